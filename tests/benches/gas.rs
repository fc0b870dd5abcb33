//! Gas benchmark of the three contracts on the real Stylus VM
//! (arbos-anvil): gas read from transaction receipts, not time.
//!
//! ```sh
//! cargo xtask build                                  # the artifacts
//! cargo bench --profile sim -p serving-harness --bench gas         # sim profile (optimized)
//! cargo test -p serving-harness --bench gas          # same run, dev build (faster to compile)
//! ```
//!
//! Deploys every contract behind its beacon proxy, as a production
//! deployment is, each program created, activated and constructed by the
//! StylusDeployer, and measures everything twice, each time on a fresh
//! node: with the programs **not cached** (what a user pays on a public
//! chain while nobody keeps them in the chain's cache) and **cached**
//! (`ArbWasmCache.cacheProgram`, sent as a chain owner: the bench's account
//! becomes one through the ArbDebug precompile of the development node,
//! see `deployment::cache_programs`).
//!
//! Measures `settleFeesWithTEE` at batch sizes 1, 10 and 100 (250 and 500
//! too with `GAS_LARGE_BATCHES=1`; one record per user; the first
//! settlement of each user, then a repeat), `addLedger`,
//! `acknowledgeTEESigner`, `addOrUpdateService` (an update),
//! `transferFund` to a new and to an existing sub-account, `retrieveFund`
//! (queueing a refund, then paying matured refunds), `refund` and
//! `depositFund`; for FineTuningServing, `transferFund` to a new
//! fine-tuning account, `addDeliverable` (into a fresh slot, and the 21st
//! evicting the oldest) and `settleFees` (acknowledged: full fee and the
//! secret stored, first and second settlement of an account; not
//! acknowledged: the penalty). Prints gas per call and per record and the
//! share of the transaction's intrinsic cost (21,000 + calldata), and
//! writes `target/gas-report.json`: per mode the figures of `serving_scripts::gas::FIGURES`, the
//! programs' initialization gas (`ArbWasm.programInitGas`) and stored code
//! size, and the calldata of a settlement record. `cargo xtask gas-table`
//! turns it into the table of `docs/gas.md`, with the reference Solidity
//! deployment's figures beside ours. The node's code size limit is
//! `deploy::E2E_CODE_SIZE_LIMIT` (mainnet's 24,576 bytes unless raised).
//!
//! Skipped with a message when arbos-anvil is not found (a failure in CI).

use std::{collections::BTreeMap, time::Instant};

use alloy::{
    primitives::{keccak256, Address, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::SolCall,
};
use serving_harness::{
    bindings::{InferenceServing, TEESettlementData},
    chain::{self, DEFAULT_CODE_SIZE_LIMIT},
    deploy::{self, ServingConfig, E2E_CODE_SIZE_LIMIT},
    deployment::{self, ArbWasm, ArbWasmCache, ARB_WASM, ARB_WASM_CACHE},
    e2e::{
        eth, milli_eth, requests_hash, service_params, Actor, Serving, TeeKey, FINE_TUNING,
        INFERENCE,
    },
    upgrade::ProxiedDeployment,
};
use serving_scripts::gas;

/// Refund lock time of the benchmark deployment (seconds).
const LOCK_TIME: u64 = 60;
/// Settlement batch sizes.
const BATCHES: [usize; 3] = [1, 10, 100];
/// More batch sizes, with `GAS_LARGE_BATCHES=1` (750 more users a mode).
const LARGE_BATCHES: [usize; 2] = [250, 500];

/// Fine-tuning accounts measured (half settle acknowledged, half at the
/// penalty).
const FINE_TUNING_USERS: usize = 10;
/// Length of the encrypted secret of a fine-tuning settlement (bytes): an
/// ECIES-encrypted 32-byte key (65-byte ephemeral key, 16-byte tag, 12-byte
/// nonce) is about this long.
const SECRET_LEN: usize = 125;
/// Length of a model root hash (bytes).
const ROOT_LEN: usize = 32;

/// One measured operation.
struct Row {
    what: String,
    /// Gas of one transaction (the mean when several were measured).
    gas: u64,
    /// Its intrinsic part: 21,000 + 16 per non-zero and 4 per zero calldata
    /// byte.
    intrinsic: u64,
    /// Records in the transaction (settlements), else 1.
    records: u64,
    /// The target and the reference Solidity figure, per record or per call.
    target: Option<(u64, u64)>,
    /// Its key in the report (`gas::FIGURES`), if it is one of its figures.
    key: Option<&'static str>,
}

fn intrinsic(input: &[u8]) -> u64 {
    21_000
        + input
            .iter()
            .map(|&b| if b == 0 { 4u64 } else { 16 })
            .sum::<u64>()
}

/// Gas limit of set-up transactions: a fixed limit skips estimation (the
/// node runs a Stylus transaction about ten times to estimate it), and a
/// failure still shows as a failed receipt.
const SETUP_GAS: u64 = 2_000_000;

/// The benchmark's deployment and the rows measured on it.
struct Bench {
    serving: Serving,
    rows: Vec<Row>,
}

impl Bench {
    /// Gas used and intrinsic gas of a receipt's transaction.
    async fn measure(&self, receipt: &TransactionReceipt) -> (u64, u64) {
        use alloy::{consensus::Transaction as _, providers::Provider};
        let tx = self
            .serving
            .reader()
            .get_transaction_by_hash(receipt.transaction_hash)
            .await
            .expect("eth_getTransactionByHash")
            .expect("the transaction exists");
        (receipt.gas_used, intrinsic(tx.input()))
    }

    /// A row of the mean of `measured` (gas, intrinsic gas) per transaction
    /// of `records` records.
    fn push(
        &mut self,
        what: String,
        measured: &[(u64, u64)],
        records: u64,
        target: Option<(u64, u64)>,
    ) {
        let n = measured.len() as u64;
        let (gas, intrinsic) = measured
            .iter()
            .fold((0u64, 0u64), |(a, b), (x, y)| (a + x, b + y));
        self.rows.push(Row {
            what,
            gas: gas / n,
            intrinsic: intrinsic / n,
            records,
            target,
            key: None,
        });
    }

    /// Names the last row `key` in the report.
    fn keyed(&mut self, key: &'static str) {
        self.rows.last_mut().expect("a row").key = Some(key);
    }

    /// A row of one call's receipt.
    async fn row(&mut self, what: &str, receipt: &TransactionReceipt, target: Option<(u64, u64)>) {
        let measured = self.measure(receipt).await;
        self.push(what.into(), &[measured], 1, target);
    }

    /// A fresh user with a ledger; returns the receipt of its addLedger.
    async fn user(&self) -> (Actor, TransactionReceipt) {
        let serving = &self.serving;
        let user = serving.actor(eth(3)).await;
        let signer = [U256::from(1u64), U256::from(2u64)];
        let call = serving.ledger.addLedger(signer, "bench".into());
        let add = user
            .transact("addLedger", call.value(eth(1)).gas(SETUP_GAS))
            .await;
        serving.track(user.address());
        (user, add)
    }

    /// `user` moves 0.5 ETH to a new sub-account with `provider` of
    /// `service` (measured).
    async fn open(&self, user: &Actor, provider: Address, service: &str) -> (u64, u64) {
        let transfer = user
            .transact(
                "transferFund",
                self.serving
                    .ledger
                    .transferFund(provider, service.into(), milli_eth(500))
                    .gas(SETUP_GAS),
            )
            .await;
        self.measure(&transfer).await
    }
}

fn batch(tee: &TeeKey, users: &[Actor], provider: Address, nonce: u64) -> Vec<TEESettlementData> {
    users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            tee.record(
                u.address(),
                provider,
                U256::from(1_000_000_000u64 + i as u64),
                nonce,
                requests_hash(nonce * 1_000 + i as u64),
            )
        })
        .collect()
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing to filter here.
    let started = Instant::now();
    let Some(path) = chain::node_or_skip() else {
        return;
    };
    let large = std::env::var("GAS_LARGE_BATCHES").is_ok_and(|v| v == "1");
    let mut report = serde_json::Map::new();
    for mode in ["uncached", "cached"] {
        let node = chain::Node::start_at(&path, deploy::node_options())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let config = ServingConfig::default().lock_time(LOCK_TIME);
        let (serving, proxied) = Serving::deploy_with_proxies(node, config)
            .await
            .unwrap_or_else(|e| panic!("deployment failed: {e}"));
        let programs = programs(&proxied);
        if mode == "cached" {
            let addresses: Vec<Address> = programs.values().copied().collect();
            deployment::cache_programs(&serving.owner, &addresses)
                .await
                .unwrap_or_else(|e| panic!("caching the programs: {e}"));
            check_cached(&serving, &addresses).await;
        } else {
            program_facts(&serving, &programs, &mut report).await;
        }
        let mut bench = Bench {
            serving,
            rows: Vec::new(),
        };
        let calldata = inference_rows(&mut bench, large).await;
        if mode == "uncached" {
            report.insert("calldata_bytes_per_record".into(), calldata.into());
        }
        bench.serving.check_invariants().await;
        assert!(
            bench.serving.fine_tuning.is_some(),
            "FineTuningServing was not deployed: run `cargo xtask build`"
        );
        fine_tuning_rows(&mut bench).await;
        bench.serving.check_invariants().await;
        print_table(mode, &bench.rows, &bench.serving);
        report.insert(mode.into(), figures(&bench.rows).into());
    }
    let references: serde_json::Map<_, _> = gas::FIGURES
        .iter()
        .map(|f| (f.key.to_string(), f.reference.into()))
        .collect();
    report.insert("reference".into(), references.into());
    let path = chain::workspace_root().join("target/gas-report.json");
    let json = serde_json::to_string_pretty(&report).expect("the report is JSON");
    std::fs::write(&path, json + "\n").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    println!(
        "wrote {} (`cargo xtask gas-table` shows it as the docs' table)",
        path.display()
    );
    println!("benchmark took {:.1?}", started.elapsed());
}

/// The Stylus programs of a deployment behind proxies, by artifact name:
/// the implementations and the views programs (beacons and proxies are
/// EVM code).
fn programs(proxied: &ProxiedDeployment) -> BTreeMap<&'static str, Address> {
    let fine_tuning = proxied.fine_tuning.as_ref().expect("FineTuningServing");
    BTreeMap::from([
        (deploy::LEDGER_ARTIFACT, proxied.ledger.implementation),
        (deploy::INFERENCE_ARTIFACT, proxied.inference.implementation),
        (
            deploy::INFERENCE_VIEWS_ARTIFACT,
            proxied.inference.views.expect("InferenceServing's views"),
        ),
        (deploy::FINE_TUNING_ARTIFACT, fine_tuning.implementation),
        (
            deploy::FINE_TUNING_VIEWS_ARTIFACT,
            fine_tuning.views.expect("FineTuningServing's views"),
        ),
    ])
}

/// Every one of `programs` is in the chain's cache.
async fn check_cached(serving: &Serving, programs: &[Address]) {
    let reader = serving.reader();
    let cache = ArbWasmCache::new(ARB_WASM_CACHE, &reader);
    for &program in programs {
        let code = reader.get_code_at(program).await.expect("eth_getCode");
        let cached = cache.codehashIsCached(keccak256(&code)).call().await;
        assert!(
            cached.expect("codehashIsCached")._0,
            "{program} is not cached"
        );
    }
}

/// Each program's initialization gas, not cached and cached
/// (`ArbWasm.programInitGas`), its memory footprint in pages
/// (`ArbWasm.programMemoryFootprint`: one, with the 32 KiB stack of
/// `.cargo/config.toml`; docs/build.md) and its stored code size, into
/// `report`.
async fn program_facts(
    serving: &Serving,
    programs: &BTreeMap<&'static str, Address>,
    report: &mut serde_json::Map<String, serde_json::Value>,
) {
    let reader = serving.reader();
    let arb_wasm = ArbWasm::new(ARB_WASM, &reader);
    let (mut init, mut init_cached, mut pages, mut code) = Default::default();
    for (&name, &address) in programs {
        let gas = arb_wasm
            .programInitGas(address)
            .call()
            .await
            .expect("programInitGas");
        let footprint = arb_wasm
            .programMemoryFootprint(address)
            .call()
            .await
            .expect("programMemoryFootprint")
            .footprint;
        assert_eq!(footprint, 1, "{name}: pages of memory at entry");
        let size = reader
            .get_code_at(address)
            .await
            .expect("eth_getCode")
            .len();
        assert_eq!(
            size,
            deploy::program(name).code().len(),
            "{name}: the built code"
        );
        let insert = |map: &mut serde_json::Map<String, serde_json::Value>, v: u64| {
            map.insert(name.into(), v.into());
        };
        insert(&mut init, gas.gas);
        insert(&mut init_cached, gas.gasWhenCached);
        insert(&mut pages, footprint.into());
        insert(&mut code, size as u64);
    }
    report.insert("init_gas".into(), init.into());
    report.insert("init_gas_cached".into(), init_cached.into());
    report.insert("memory_pages".into(), pages.into());
    report.insert("code_bytes".into(), code.into());
}

/// The reference's figure `key` (`gas::FIGURES`).
fn reference(key: &str) -> u64 {
    let figure = gas::FIGURES.iter().find(|f| f.key == key);
    figure.expect("a figure of the report").reference
}

/// The report's figures among `rows`.
fn figures(rows: &[Row]) -> serde_json::Map<String, serde_json::Value> {
    let mut figures = serde_json::Map::new();
    for gas::Figure { key, .. } in gas::FIGURES {
        let row = rows
            .iter()
            .find(|row| row.key == Some(key))
            .unwrap_or_else(|| panic!("no row measures {key}"));
        let gas = if key.starts_with("settle_per_record") {
            row.gas / row.records
        } else {
            row.gas
        };
        figures.insert(key.into(), gas.into());
    }
    figures
}

/// The ledger's and InferenceServing's rows; returns the calldata of a
/// settlement record (bytes, the marginal size at batch 100).
async fn inference_rows(bench: &mut Bench, large: bool) -> u64 {
    let provider = bench.serving.provider().await;
    let p = provider.address();
    let tee = TeeKey::random();
    let update = bench
        .serving
        .inference
        .addOrUpdateService(service_params(&format!("https://provider-{p}.example/v2")))
        .gas(SETUP_GAS);
    let receipt = provider.transact("addOrUpdateService", update).await;
    bench
        .row("addOrUpdateService, update", &receipt, None)
        .await;
    bench.keyed("add_or_update_service_update");

    // Users for every batch size, each with an acknowledged sub-account;
    // addLedger, transferFund (new account) and acknowledgeTEESigner are
    // measured on all of them.
    let sizes: Vec<usize> = match large {
        true => BATCHES.into_iter().chain(LARGE_BATCHES).collect(),
        false => BATCHES.to_vec(),
    };
    let mut adds = Vec::new();
    let mut transfers = Vec::new();
    let mut acknowledgements = Vec::new();
    let mut groups = Vec::new();
    for &size in &sizes {
        let mut users = Vec::new();
        for _ in 0..size {
            let (user, add) = bench.user().await;
            adds.push(bench.measure(&add).await);
            transfers.push(bench.open(&user, p, INFERENCE).await);
            let acknowledge = user
                .transact(
                    "acknowledgeTEESigner",
                    bench
                        .serving
                        .inference
                        .acknowledgeTEESigner(p, tee.address())
                        .gas(SETUP_GAS),
                )
                .await;
            acknowledgements.push(bench.measure(&acknowledge).await);
            users.push(user);
        }
        groups.push(users);
    }
    let n = adds.len();
    bench.push(format!("addLedger (mean of {n})"), &adds, 1, None);
    bench.push(
        format!("transferFund, new account (mean of {n})"),
        &transfers,
        1,
        Some((150_000, reference("transfer_fund_new_account"))),
    );
    bench.keyed("transfer_fund_new_account");
    bench.push(
        format!("acknowledgeTEESigner (mean of {n})"),
        &acknowledgements,
        1,
        None,
    );
    bench.keyed("acknowledge_tee_signer");

    // Settlement: first, then repeat, per batch size.
    for (size, users) in sizes.iter().zip(&groups) {
        for (nonce, kind) in [(1u64, "first"), (2, "repeat")] {
            let records = batch(&tee, users, p, nonce);
            let receipt = provider
                .transact(
                    "settleFeesWithTEE",
                    bench.serving.inference.settleFeesWithTEE(records),
                )
                .await;
            let measured = bench.measure(&receipt).await;
            let (target, key) = match (*size, kind) {
                (1, "first") => (None, Some("settle_batch1")),
                (1, "repeat") => (None, Some("settle_batch1_repeat")),
                (10, "repeat") => (None, Some("settle_batch10_repeat")),
                (100, "first") => (Some((28_000, 67_800)), None),
                (100, "repeat") => (
                    Some((15_000, reference("settle_per_record_batch100_repeat"))),
                    Some("settle_per_record_batch100_repeat"),
                ),
                _ => (None, None),
            };
            bench.push(
                format!("settleFeesWithTEE, batch {size}, {kind}"),
                &[measured],
                *size as u64,
                target,
            );
            if let Some(key) = key {
                bench.keyed(key);
            }
        }
    }
    let calldata = |users: &[Actor]| {
        let settlements = batch(&tee, users, p, 3);
        InferenceServing::settleFeesWithTEECall { settlements }
            .abi_encode()
            .len() as u64
    };
    let per_record = (calldata(&groups[2]) - calldata(&groups[0])) / 99;

    // More operations on the first user.
    let user = &groups[0][0];
    let ledger = bench.serving.ledger.clone();
    let receipt = user
        .transact(
            "transferFund",
            ledger.transferFund(p, INFERENCE.into(), milli_eth(100)),
        )
        .await;
    bench
        .row("transferFund, existing account", &receipt, None)
        .await;
    bench.keyed("transfer_fund_existing_account");
    let receipt = user
        .transact("depositFund", ledger.depositFund().value(milli_eth(100)))
        .await;
    bench.row("depositFund", &receipt, None).await;
    bench.keyed("deposit_fund");
    let retrieve = ledger.retrieveFund(vec![p], INFERENCE.into());
    let receipt = user.transact("retrieveFund", retrieve.clone()).await;
    bench
        .row("retrieveFund, 1 provider, queue refund", &receipt, None)
        .await;
    bench
        .serving
        .node
        .increase_time(LOCK_TIME)
        .await
        .expect("increase_time");
    let receipt = user.transact("retrieveFund", retrieve).await;
    bench
        .row("retrieveFund, 1 provider, pay matured", &receipt, None)
        .await;
    bench.keyed("retrieve_fund_matured");
    let available = bench
        .serving
        .ledger_of(user.address())
        .await
        .availableBalance;
    let receipt = user.transact("refund", ledger.refund(available)).await;
    bench.row("refund (to the wallet)", &receipt, None).await;
    bench.keyed("refund");
    per_record
}

/// A model root hash for the benchmark.
fn root(n: usize) -> Vec<u8> {
    (0..ROOT_LEN).map(|i| (n * 7 + i) as u8 | 1).collect()
}

/// The target of a fine-tuning settlement and the reference's figure.
const SETTLE_FEES_TARGET: Option<(u64, u64)> = Some((60_000, 149_000));

/// The fine-tuning rows: transferFund to a new fine-tuning account,
/// addDeliverable and settleFees (acknowledged and at the penalty).
async fn fine_tuning_rows(bench: &mut Bench) {
    let ft = bench.serving.ft().clone();
    let signer = TeeKey::random();
    let provider = bench.serving.fine_tuning_provider(signer.address()).await;
    let p = provider.address();
    let secret: Vec<u8> = (0..SECRET_LEN).map(|i| i as u8 ^ 0x5a).collect();
    let deliver = |user: Address, id: String, root: Vec<u8>| {
        ft.addDeliverable(user, id, root.into()).gas(SETUP_GAS)
    };
    let acknowledge = |id: &str| ft.acknowledgeDeliverable_0(p, id.into()).gas(SETUP_GAS);
    let settle = |user: Address, id: &str, root: &[u8], secret: &[u8], nonce: u64, fee: U256| {
        let input = signer.verifier_input(user, id, root, secret, nonce, fee);
        ft.settleFees(input).gas(SETUP_GAS)
    };

    let mut users = Vec::new();
    let mut transfers = Vec::new();
    let mut adds = Vec::new();
    for i in 0..FINE_TUNING_USERS {
        let (user, _) = bench.user().await;
        transfers.push(bench.open(&user, p, FINE_TUNING).await);
        user.transact(
            "acknowledgeProviderSigner",
            ft.acknowledgeProviderSigner(p, signer.address())
                .gas(SETUP_GAS),
        )
        .await;
        let receipt = provider
            .transact(
                "addDeliverable",
                deliver(user.address(), format!("task-{i}-1"), root(i)),
            )
            .await;
        adds.push(bench.measure(&receipt).await);
        users.push(user);
    }
    let n = users.len();
    bench.push(
        format!("transferFund, new fine-tuning account ({n})"),
        &transfers,
        1,
        None,
    );
    bench.push(
        format!("addDeliverable, first of the account ({n})"),
        &adds,
        1,
        None,
    );

    // Settlement: the first half acknowledged (full fee, secret stored),
    // the second half not (penalty, no secret).
    let (acked, penalised) = users.split_at(n / 2);
    let mut full = Vec::new();
    let mut penalty = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let id = format!("task-{i}-1");
        let secret: &[u8] = if i < acked.len() {
            user.transact("acknowledgeDeliverable", acknowledge(&id))
                .await;
            &secret
        } else {
            &[]
        };
        let receipt = provider
            .transact(
                "settleFees",
                settle(user.address(), &id, &root(i), secret, 1, milli_eth(10)),
            )
            .await;
        let measured = bench.measure(&receipt).await;
        if i < acked.len() {
            &mut full
        } else {
            &mut penalty
        }
        .push(measured);
    }
    bench.push(
        format!("settleFees, acknowledged, first ({})", full.len()),
        &full,
        1,
        SETTLE_FEES_TARGET,
    );
    bench.push(
        format!("settleFees, penalty, first ({})", penalty.len()),
        &penalty,
        1,
        SETTLE_FEES_TARGET,
    );
    bench.keyed("fine_tuning_settle_penalty");

    // A second deliverable of the first user, acknowledged: the account's
    // nonce is no longer zero. Then, as diagnostics, the same with a
    // one-word secret (the secret's storage is 22.1k per fresh 32-byte
    // word).
    let u = acked[0].address();
    for (nonce, secret, what, target) in [
        (
            2,
            &secret[..],
            "settleFees, acknowledged, second",
            SETTLE_FEES_TARGET,
        ),
        (
            3,
            &secret[..32],
            "settleFees, acknowledged, 32-byte secret",
            None,
        ),
    ] {
        let id = format!("task-0-{nonce}");
        let root = root(100 + nonce as usize);
        provider
            .transact("addDeliverable", deliver(u, id.clone(), root.clone()))
            .await;
        acked[0]
            .transact("acknowledgeDeliverable", acknowledge(&id))
            .await;
        let receipt = provider
            .transact(
                "settleFees",
                settle(u, &id, &root, secret, nonce, milli_eth(10)),
            )
            .await;
        bench.row(what, &receipt, target).await;
    }

    // A settlement whose penalty rounds to zero (no payment through the
    // ledger).
    let other = penalised[0].address();
    provider
        .transact(
            "addDeliverable",
            deliver(other, "task-p-2".into(), root(200)),
        )
        .await;
    let receipt = provider
        .transact(
            "settleFees",
            settle(other, "task-p-2", &root(200), &[], 2, U256::from(1u64)),
        )
        .await;
    bench
        .row(
            "settleFees, penalty rounding to 0 (no payment)",
            &receipt,
            None,
        )
        .await;

    // Fill the first user's ring (20) and add the 21st, evicting the oldest.
    let mut receipt = None;
    for k in 4..=21 {
        let call = deliver(u, format!("task-0-{k}"), root(100 + k));
        receipt = Some(provider.transact("addDeliverable", call).await);
    }
    let receipt = receipt.expect("the 21st deliverable");
    bench
        .row("addDeliverable, 21st (evicts the oldest)", &receipt, None)
        .await;
}

fn print_table(mode: &str, rows: &[Row], serving: &Serving) {
    let limit = match E2E_CODE_SIZE_LIMIT {
        None => format!("{DEFAULT_CODE_SIZE_LIMIT} bytes (mainnet default)"),
        Some(limit) => format!("{limit} bytes (RAISED, not mainnet)"),
    };
    println!();
    println!(
        "gas on arbos-anvil ({}), programs {mode}, behind proxies, code size limit {limit}",
        serving.node.path().display()
    );
    println!(
        "{:<44} {:>10} {:>10} {:>8} {:>11} {:>9} {:>10}  status",
        "operation", "gas/tx", "intrinsic", "records", "gas/record", "target", "reference"
    );
    for row in rows {
        let per = row.gas / row.records;
        let (target, reference, status) = match row.target {
            Some((target, reference)) => (
                target.to_string(),
                reference.to_string(),
                if per <= target { "ok" } else { "ABOVE TARGET" },
            ),
            None => ("-".into(), "-".into(), ""),
        };
        println!(
            "{:<44} {:>10} {:>10} {:>8} {:>11} {:>9} {:>10}  {status}",
            row.what, row.gas, row.intrinsic, row.records, per, target, reference
        );
    }
    println!(
        "targets: per record at batch 100 <= 15,000 (repeat) and <= 28,000 (first); \
         transferFund to a new account <= 150,000 (reference Solidity: 50.7k, 67.8k, 501k); \
         fine-tuning settleFees <= 60,000 (reference Solidity: 149k)"
    );
    if serving.fine_tuning.is_some() {
        println!(
            "fine-tuning settlements carry a {SECRET_LEN}-byte secret (acknowledged) and a \
             {ROOT_LEN}-byte model root hash; gas/tx includes the intrinsic cost"
        );
    }
}
