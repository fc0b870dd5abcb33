//! Gas benchmark of LedgerManager and InferenceServing on the real Stylus VM
//! (arbos-anvil): gas read from transaction receipts, not time.
//!
//! ```sh
//! cargo xtask build                                  # the artifacts
//! cargo bench --profile sim -p serving-harness --bench gas         # sim profile (optimized)
//! cargo test -p serving-harness --bench gas          # same run, dev build (faster to compile)
//! ```
//!
//! Measures `settleFeesWithTEE` at batch sizes 1, 10, 100, 250 and 500 (one record per
//! user; the first settlement of each user, then a repeat), `addLedger`,
//! `transferFund` to a new and to an existing sub-account, `retrieveFund`
//! (queueing a refund, then paying matured refunds), `refund` and
//! `depositFund`; for FineTuningServing (when its artifacts exist),
//! `transferFund` to a new fine-tuning account, `addDeliverable` (into a
//! fresh slot, and the 21st evicting the oldest) and `settleFees`
//! (acknowledged: full fee and the secret stored, first and second
//! settlement of an account; not acknowledged: the penalty). Prints gas
//! per call and per record, the share of the
//! transaction's intrinsic cost (21,000 + calldata), and the targets with the
//! reference Solidity deployment's figures. The node's code size limit is
//! `deploy::E2E_CODE_SIZE_LIMIT` (mainnet's 24,576 bytes unless raised).
//!
//! Skipped with a message when arbos-anvil is not found (a failure in CI).

use std::time::Instant;

use alloy::{
    primitives::{Address, U256},
    rpc::types::TransactionReceipt,
};
use serving_harness::{
    bindings::TEESettlementData,
    chain::{self, DEFAULT_CODE_SIZE_LIMIT},
    deploy::{self, ServingConfig, E2E_CODE_SIZE_LIMIT},
    e2e::{eth, milli_eth, requests_hash, Actor, Serving, TeeKey, FINE_TUNING, INFERENCE},
};

/// Refund lock time of the benchmark deployment (seconds).
const LOCK_TIME: u64 = 60;
/// Settlement batch sizes.
const BATCHES: [usize; 5] = [1, 10, 100, 250, 500];
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
        });
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
    let node = chain::Node::start_at(&path, deploy::node_options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let serving = Serving::deploy(node, ServingConfig::default().lock_time(LOCK_TIME))
        .await
        .unwrap_or_else(|e| panic!("deployment failed: {e}"));
    let mut bench = Bench {
        serving,
        rows: Vec::new(),
    };
    inference_rows(&mut bench).await;
    bench.serving.check_invariants().await;
    if bench.serving.fine_tuning.is_some() {
        fine_tuning_rows(&mut bench).await;
        bench.serving.check_invariants().await;
    } else {
        println!("FineTuningServing not deployed (no artifacts): its rows are skipped");
    }

    print_table(&bench.rows, &bench.serving);
    let row = |what: &str| bench.rows.iter().find(|r| r.what == what);
    let (one, hundred) = (
        row("settleFeesWithTEE, batch 1, repeat"),
        row("settleFeesWithTEE, batch 100, repeat"),
    );
    if let (Some(one), Some(hundred)) = (one, hundred) {
        println!(
            "marginal gas per record (batch 100 vs 1, repeat): {}",
            (hundred.gas - one.gas) / 99
        );
    }
    println!("benchmark took {:.1?}", started.elapsed());
}

/// The ledger's and InferenceServing's rows.
async fn inference_rows(bench: &mut Bench) {
    let provider = bench.serving.provider().await;
    let p = provider.address();
    let tee = TeeKey::random();

    // Users for every batch size, each with an acknowledged sub-account;
    // addLedger and transferFund (new account) are measured on all of them.
    let mut adds = Vec::new();
    let mut transfers = Vec::new();
    let mut groups = Vec::new();
    for size in BATCHES {
        let mut users = Vec::new();
        for _ in 0..size {
            let (user, add) = bench.user().await;
            adds.push(bench.measure(&add).await);
            transfers.push(bench.open(&user, p, INFERENCE).await);
            user.transact(
                "acknowledgeTEESigner",
                bench
                    .serving
                    .inference
                    .acknowledgeTEESigner(p, tee.address())
                    .gas(SETUP_GAS),
            )
            .await;
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
        Some((150_000, 574_000)),
    );

    // Settlement: first, then repeat, per batch size.
    for (size, users) in BATCHES.iter().zip(&groups) {
        for (nonce, kind) in [(1u64, "first"), (2, "repeat")] {
            let records = batch(&tee, users, p, nonce);
            let receipt = provider
                .transact(
                    "settleFeesWithTEE",
                    bench.serving.inference.settleFeesWithTEE(records),
                )
                .await;
            let measured = bench.measure(&receipt).await;
            let target = match (*size, kind) {
                (100, "first") => Some((28_000, 67_800)),
                (100, "repeat") => Some((20_000, 50_700)),
                _ => None,
            };
            bench.push(
                format!("settleFeesWithTEE, batch {size}, {kind}"),
                &[measured],
                *size as u64,
                target,
            );
        }
    }

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
    let receipt = user
        .transact("depositFund", ledger.depositFund().value(milli_eth(100)))
        .await;
    bench.row("depositFund", &receipt, None).await;
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
    let available = bench
        .serving
        .ledger_of(user.address())
        .await
        .availableBalance;
    let receipt = user.transact("refund", ledger.refund(available)).await;
    bench.row("refund (to the wallet)", &receipt, None).await;
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

fn print_table(rows: &[Row], serving: &Serving) {
    let limit = match E2E_CODE_SIZE_LIMIT {
        None => format!("{DEFAULT_CODE_SIZE_LIMIT} bytes (mainnet default)"),
        Some(limit) => format!("{limit} bytes (RAISED, not mainnet)"),
    };
    println!();
    println!(
        "gas on arbos-anvil ({}), code size limit {limit}",
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
        "targets: per record at batch 100 <= 20,000 (repeat) and <= 28,000 (first); \
         transferFund to a new account <= 150,000 (reference Solidity: 50.7k, 67.8k, 574k); \
         fine-tuning settleFees <= 60,000 (reference Solidity: 149k)"
    );
    if serving.fine_tuning.is_some() {
        println!(
            "fine-tuning settlements carry a {SECRET_LEN}-byte secret (acknowledged) and a \
             {ROOT_LEN}-byte model root hash; gas/tx includes the intrinsic cost"
        );
    }
}
