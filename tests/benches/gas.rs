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
    bindings::{fine_tuning::VerifierInput, TEESettlementData},
    chain::{self, DEFAULT_CODE_SIZE_LIMIT},
    deploy::{self, ServingConfig, E2E_CODE_SIZE_LIMIT},
    e2e::{eth, milli_eth, requests_hash, send, Actor, Serving, TeeKey, FINE_TUNING, INFERENCE},
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

/// Gas used and intrinsic gas of a receipt's transaction.
async fn measure(serving: &Serving, receipt: &TransactionReceipt) -> (u64, u64) {
    use alloy::{consensus::Transaction as _, providers::Provider};
    let tx = serving
        .reader()
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .expect("eth_getTransactionByHash")
        .expect("the transaction exists");
    (receipt.gas_used, intrinsic(tx.input()))
}

fn mean(values: &[(u64, u64)]) -> (u64, u64) {
    let n = values.len() as u64;
    let (a, b) = values
        .iter()
        .fold((0u64, 0u64), |(a, b), (x, y)| (a + x, b + y));
    (a / n, b / n)
}

/// Gas limit of set-up transactions: a fixed limit skips estimation (the
/// node runs a Stylus transaction about ten times to estimate it), and a
/// failure still shows as a failed receipt.
const SETUP_GAS: u64 = 2_000_000;

/// A user with a ledger and a sub-account with `provider` whose TEE signer
/// is acknowledged; returns the receipts of addLedger and transferFund.
async fn onboard(
    serving: &Serving,
    provider: Address,
    tee: &TeeKey,
) -> (Actor, TransactionReceipt, TransactionReceipt) {
    let user = serving.actor(eth(3)).await;
    let add = send(
        &user.wallet,
        serving
            .ledger
            .addLedger([U256::from(1u64), U256::from(2u64)], "bench".into())
            .value(eth(1))
            .gas(SETUP_GAS),
    )
    .await
    .expect("addLedger");
    serving.track(user.address());
    let transfer = send(
        &user.wallet,
        serving
            .ledger
            .transferFund(provider, INFERENCE.into(), milli_eth(500))
            .gas(SETUP_GAS),
    )
    .await
    .expect("transferFund");
    send(
        &user.wallet,
        serving
            .inference
            .acknowledgeTEESigner(provider, tee.address())
            .gas(SETUP_GAS),
    )
    .await
    .expect("acknowledgeTEESigner");
    (user, add, transfer)
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
    let mut rows = Vec::new();

    let provider = serving.provider().await;
    let p = provider.address();
    let tee = TeeKey::random();

    // Users for every batch size; addLedger and transferFund (new account)
    // are measured on all of them.
    let mut adds = Vec::new();
    let mut transfers = Vec::new();
    let mut groups = Vec::new();
    for size in BATCHES {
        let mut users = Vec::new();
        for _ in 0..size {
            let (user, add, transfer) = onboard(&serving, p, &tee).await;
            adds.push(measure(&serving, &add).await);
            transfers.push(measure(&serving, &transfer).await);
            users.push(user);
        }
        groups.push(users);
    }
    let n = adds.len();
    let (gas, intrinsic) = mean(&adds);
    rows.push(Row {
        what: format!("addLedger (mean of {n})"),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    let (gas, intrinsic) = mean(&transfers);
    rows.push(Row {
        what: format!("transferFund, new account (mean of {n})"),
        gas,
        intrinsic,
        records: 1,
        target: Some((150_000, 574_000)),
    });

    // Settlement: first, then repeat, per batch size.
    for (size, users) in BATCHES.iter().zip(&groups) {
        for (nonce, kind) in [(1u64, "first"), (2, "repeat")] {
            let records = batch(&tee, users, p, nonce);
            let receipt = send(
                &provider.wallet,
                serving.inference.settleFeesWithTEE(records),
            )
            .await
            .expect("settleFeesWithTEE");
            let (gas, intrinsic) = measure(&serving, &receipt).await;
            let target = match (*size, kind) {
                (100, "first") => Some((28_000, 67_800)),
                (100, "repeat") => Some((20_000, 50_700)),
                _ => None,
            };
            rows.push(Row {
                what: format!("settleFeesWithTEE, batch {size}, {kind}"),
                gas,
                intrinsic,
                records: *size as u64,
                target,
            });
        }
    }
    serving.check_invariants().await;

    // More operations on the first user.
    let user = &groups[0][0];
    let receipt = send(
        &user.wallet,
        serving
            .ledger
            .transferFund(p, INFERENCE.into(), milli_eth(100)),
    )
    .await
    .expect("transferFund");
    let (gas, intrinsic) = measure(&serving, &receipt).await;
    rows.push(Row {
        what: "transferFund, existing account".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    let receipt = send(
        &user.wallet,
        serving.ledger.depositFund().value(milli_eth(100)),
    )
    .await
    .expect("depositFund");
    let (gas, intrinsic) = measure(&serving, &receipt).await;
    rows.push(Row {
        what: "depositFund".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    let receipt = send(
        &user.wallet,
        serving.ledger.retrieveFund(vec![p], INFERENCE.into()),
    )
    .await
    .expect("retrieveFund");
    let (gas, intrinsic) = measure(&serving, &receipt).await;
    rows.push(Row {
        what: "retrieveFund, 1 provider, queue refund".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    serving
        .node
        .increase_time(LOCK_TIME)
        .await
        .expect("increase_time");
    let receipt = send(
        &user.wallet,
        serving.ledger.retrieveFund(vec![p], INFERENCE.into()),
    )
    .await
    .expect("retrieveFund");
    let (gas, intrinsic) = measure(&serving, &receipt).await;
    rows.push(Row {
        what: "retrieveFund, 1 provider, pay matured".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    let available = serving.ledger_of(user.address()).await.availableBalance;
    let receipt = send(&user.wallet, serving.ledger.refund(available))
        .await
        .expect("refund");
    let (gas, intrinsic) = measure(&serving, &receipt).await;
    rows.push(Row {
        what: "refund (to the wallet)".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    serving.check_invariants().await;

    if serving.fine_tuning.is_some() {
        fine_tuning_rows(&serving, &mut rows).await;
        serving.check_invariants().await;
    } else {
        println!("FineTuningServing not deployed (no artifacts): its rows are skipped");
    }

    print_table(&rows, &serving);
    let (one, hundred) = (
        rows.iter()
            .find(|r| r.what == "settleFeesWithTEE, batch 1, repeat"),
        rows.iter()
            .find(|r| r.what == "settleFeesWithTEE, batch 100, repeat"),
    );
    if let (Some(one), Some(hundred)) = (one, hundred) {
        println!(
            "marginal gas per record (batch 100 vs 1, repeat): {}",
            (hundred.gas - one.gas) / 99
        );
    }
    println!("benchmark took {:.1?}", started.elapsed());
}

/// A model root hash for the benchmark.
fn root(n: usize) -> Vec<u8> {
    (0..ROOT_LEN).map(|i| (n * 7 + i) as u8 | 1).collect()
}

/// Sends a fine-tuning settlement and returns its receipt.
async fn settle_fees(
    serving: &Serving,
    provider: &Actor,
    input: VerifierInput,
) -> TransactionReceipt {
    send(
        &provider.wallet,
        serving.ft().settleFees(input).gas(SETUP_GAS),
    )
    .await
    .expect("settleFees")
}

/// The fine-tuning rows: transferFund to a new fine-tuning account,
/// addDeliverable and settleFees (acknowledged and at the penalty).
async fn fine_tuning_rows(serving: &Serving, rows: &mut Vec<Row>) {
    let ft = serving.ft();
    let signer = TeeKey::random();
    let provider = serving.fine_tuning_provider(signer.address()).await;
    let p = provider.address();
    let secret: Vec<u8> = (0..SECRET_LEN).map(|i| i as u8 ^ 0x5a).collect();

    let mut users = Vec::new();
    let mut transfers = Vec::new();
    let mut adds = Vec::new();
    for i in 0..FINE_TUNING_USERS {
        let user = serving.actor(eth(3)).await;
        send(
            &user.wallet,
            serving
                .ledger
                .addLedger([U256::from(1u64), U256::from(2u64)], "bench".into())
                .value(eth(1))
                .gas(SETUP_GAS),
        )
        .await
        .expect("addLedger");
        serving.track(user.address());
        let receipt = send(
            &user.wallet,
            serving
                .ledger
                .transferFund(p, FINE_TUNING.into(), milli_eth(500))
                .gas(SETUP_GAS),
        )
        .await
        .expect("transferFund (fine-tuning)");
        transfers.push(measure(serving, &receipt).await);
        send(
            &user.wallet,
            ft.acknowledgeProviderSigner(p, signer.address())
                .gas(SETUP_GAS),
        )
        .await
        .expect("acknowledgeProviderSigner");
        let receipt = send(
            &provider.wallet,
            ft.addDeliverable(user.address(), format!("task-{i}-1"), root(i).into())
                .gas(SETUP_GAS),
        )
        .await
        .expect("addDeliverable");
        adds.push(measure(serving, &receipt).await);
        users.push(user);
    }
    let n = users.len();
    let (gas, intrinsic) = mean(&transfers);
    rows.push(Row {
        what: format!("transferFund, new fine-tuning account ({n})"),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    let (gas, intrinsic) = mean(&adds);
    rows.push(Row {
        what: format!("addDeliverable, first of the account ({n})"),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });

    // Settlement: the first half acknowledged (full fee, secret stored),
    // the second half not (penalty, no secret).
    let (acked, penalised) = users.split_at(n / 2);
    let mut full = Vec::new();
    for (i, user) in acked.iter().enumerate() {
        let id = format!("task-{i}-1");
        send(
            &user.wallet,
            ft.acknowledgeDeliverable_0(p, id.clone()).gas(SETUP_GAS),
        )
        .await
        .expect("acknowledgeDeliverable");
        let input = signer.verifier_input(user.address(), &id, &root(i), &secret, 1, milli_eth(10));
        let receipt = settle_fees(serving, &provider, input).await;
        full.push(measure(serving, &receipt).await);
    }
    let (gas, intrinsic) = mean(&full);
    rows.push(Row {
        what: format!("settleFees, acknowledged, first ({})", full.len()),
        gas,
        intrinsic,
        records: 1,
        target: Some((60_000, 149_000)),
    });
    let mut penalty = Vec::new();
    for (j, user) in penalised.iter().enumerate() {
        let i = acked.len() + j;
        let input = signer.verifier_input(
            user.address(),
            &format!("task-{i}-1"),
            &root(i),
            &[],
            1,
            milli_eth(10),
        );
        let receipt = settle_fees(serving, &provider, input).await;
        penalty.push(measure(serving, &receipt).await);
    }
    let (gas, intrinsic) = mean(&penalty);
    rows.push(Row {
        what: format!("settleFees, penalty, first ({})", penalty.len()),
        gas,
        intrinsic,
        records: 1,
        target: Some((60_000, 149_000)),
    });

    // A second deliverable of the first user, acknowledged: the account's
    // nonce is no longer zero.
    let user = &acked[0];
    let u = user.address();
    send(
        &provider.wallet,
        ft.addDeliverable(u, "task-0-2".into(), root(100).into())
            .gas(SETUP_GAS),
    )
    .await
    .expect("addDeliverable");
    send(
        &user.wallet,
        ft.acknowledgeDeliverable_0(p, "task-0-2".into())
            .gas(SETUP_GAS),
    )
    .await
    .expect("acknowledgeDeliverable");
    let input = signer.verifier_input(u, "task-0-2", &root(100), &secret, 2, milli_eth(10));
    let receipt = settle_fees(serving, &provider, input).await;
    let (gas, intrinsic) = measure(serving, &receipt).await;
    rows.push(Row {
        what: "settleFees, acknowledged, second".into(),
        gas,
        intrinsic,
        records: 1,
        target: Some((60_000, 149_000)),
    });

    // Diagnostics: the same with a one-word secret (the secret's storage
    // is 22.1k per fresh 32-byte word), and a settlement whose penalty
    // rounds to zero (no payment through the ledger).
    send(
        &provider.wallet,
        ft.addDeliverable(u, "task-0-3".into(), root(103).into())
            .gas(SETUP_GAS),
    )
    .await
    .expect("addDeliverable");
    send(
        &user.wallet,
        ft.acknowledgeDeliverable_0(p, "task-0-3".into())
            .gas(SETUP_GAS),
    )
    .await
    .expect("acknowledgeDeliverable");
    let input = signer.verifier_input(u, "task-0-3", &root(103), &secret[..32], 3, milli_eth(10));
    let receipt = settle_fees(serving, &provider, input).await;
    let (gas, intrinsic) = measure(serving, &receipt).await;
    rows.push(Row {
        what: "settleFees, acknowledged, 32-byte secret".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
    let other = &penalised[0];
    send(
        &provider.wallet,
        ft.addDeliverable(other.address(), "task-p-2".into(), root(200).into())
            .gas(SETUP_GAS),
    )
    .await
    .expect("addDeliverable");
    let input = signer.verifier_input(
        other.address(),
        "task-p-2",
        &root(200),
        &[],
        2,
        U256::from(1u64),
    );
    let receipt = settle_fees(serving, &provider, input).await;
    let (gas, intrinsic) = measure(serving, &receipt).await;
    rows.push(Row {
        what: "settleFees, penalty rounding to 0 (no payment)".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });

    // Fill the first user's ring (20) and add the 21st, evicting the oldest.
    for k in 4..=20 {
        send(
            &provider.wallet,
            ft.addDeliverable(u, format!("task-0-{k}"), root(100 + k).into())
                .gas(SETUP_GAS),
        )
        .await
        .expect("addDeliverable");
    }
    let receipt = send(
        &provider.wallet,
        ft.addDeliverable(u, "task-0-21".into(), root(121).into())
            .gas(SETUP_GAS),
    )
    .await
    .expect("addDeliverable");
    let (gas, intrinsic) = measure(serving, &receipt).await;
    rows.push(Row {
        what: "addDeliverable, 21st (evicts the oldest)".into(),
        gas,
        intrinsic,
        records: 1,
        target: None,
    });
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
