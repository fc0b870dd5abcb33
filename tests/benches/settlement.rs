//! Settlement throughput in process (issue 9, item 5): 10,000 TEE-signed
//! records in 100 `settleFeesWithTEE` batches of 100, through the contracts'
//! own code run natively by motsu (the market simulation's
//! [`InProcess`] backend), for one provider and 100 funded users.
//!
//! ```sh
//! cargo bench --profile sim -p serving-harness --bench settlement
//! ```
//!
//! The `sim` profile is the simulation's (`cargo simulate`): optimized,
//! unwinding panics. The release profile is the contracts' (size first,
//! LTO, `panic = "abort"`): under `cargo bench` the harness's binaries
//! want the contract crates built with abort and the benchmark with
//! unwind, and the two builds of a `cdylib` crate write the same files
//! (cargo#6313), so the build fails; `--config 'profile.release.panic="unwind"'`
//! builds it, a little slower than `sim`.
//!
//! Signing (the provider's TEE, k256) is timed apart from settlement and
//! prints records per second for settlement alone and end to end (signing
//! plus settlement). Every record must settle: the run checks the
//! provider's payment and every account's nonce and balance, and exits
//! non-zero otherwise.

use std::{
    process::ExitCode,
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, Address, U256};
use serving_contracts::abi::{ServiceParams, TEESettlementData};
use serving_harness::market::{
    tee::{AttestationRoot, TeeSigner},
    Backend, Failure, InProcess, Kind, SubAccount,
};

/// Users, one record each per batch.
const USERS: usize = 100;
/// Batches, one nonce each per user.
const BATCHES: usize = 100;
/// Fee of one record, wei.
const FEE: u64 = 1_000_000_000;
/// What each user moves into its sub-account: every fee, with room to spare.
const SUB_ACCOUNT: u64 = 2 * FEE * BATCHES as u64;
/// Refund lock time of the deployment, seconds (no refund is asked for).
const LOCK_TIME: u64 = 86_400;
/// The throughput issue 9 aims for, records per second.
const TARGET: f64 = 2_000.0;

/// The market the benchmark settles for: one provider with its TEE, 100
/// users with funded sub-accounts that acknowledged the TEE's signer.
struct Market {
    backend: InProcess,
    provider: Address,
    tee: TeeSigner,
    users: Vec<Address>,
}

fn setup() -> Result<Market, Failure> {
    let mut backend = InProcess::new(LOCK_TIME, 30);
    let root = AttestationRoot::from_seed(b"settlement bench: attestation root");
    let tee = TeeSigner::boot(&root, b"settlement bench: tee");
    let provider = backend.new_account(U256::ZERO)?;
    backend.add_inference_service(
        provider,
        ServiceParams {
            serviceType: "chatbot".into(),
            url: "https://provider.example".into(),
            model: "llama-3.3-70b-instruct".into(),
            verifiability: "TeeML".into(),
            inputPrice: U256::from(1),
            outputPrice: U256::from(1),
            additionalInfo: String::new(),
        },
    )?;
    let mut users = Vec::with_capacity(USERS);
    for _ in 0..USERS {
        let user = backend.new_account(U256::from(SUB_ACCOUNT))?;
        backend.add_ledger(user, U256::from(SUB_ACCOUNT))?;
        let account = SubAccount::new(user, provider, Kind::Inference);
        backend.transfer_fund(account, U256::from(SUB_ACCOUNT))?;
        backend.acknowledge_signer(account, tee.address())?;
        users.push(user);
    }
    Ok(Market {
        backend,
        provider,
        tee,
        users,
    })
}

/// Batch `b`: one record per user with nonce `b + 1`.
fn sign_batch(market: &Market, b: usize) -> Vec<TEESettlementData> {
    market
        .users
        .iter()
        .map(|user| {
            let requests_hash = keccak256([user.as_slice(), &b.to_be_bytes()].concat());
            market.tee.sign_record(
                market.provider,
                *user,
                requests_hash,
                U256::from(b + 1),
                U256::from(FEE),
            )
        })
        .collect()
}

/// Settles `batches` and checks that every record settled.
fn settle(market: &mut Market, batches: Vec<Vec<TEESettlementData>>) -> Result<(), String> {
    for (b, batch) in batches.into_iter().enumerate() {
        let settlement = market
            .backend
            .settle(market.provider, batch)
            .map_err(|e| format!("batch {b}: {e}"))?;
        if let Some((user, reason)) = settlement.failed.first() {
            return Err(format!(
                "batch {b}: {} records failed, the first of {user}: {reason}",
                settlement.failed.len()
            ));
        }
    }
    Ok(())
}

/// The chain's state after the run: the provider was paid every fee, each
/// account's nonce is the last batch's and its balance lost every fee.
fn verify(market: &mut Market) -> Result<(), String> {
    let records = (USERS * BATCHES) as u64;
    let paid = market
        .backend
        .balance(market.provider)
        .map_err(|e| e.to_string())?;
    let due = U256::from(FEE) * U256::from(records);
    if paid != due {
        return Err(format!("the provider was paid {paid} wei, not {due}"));
    }
    let accounts = market
        .backend
        .inference_accounts(market.provider, &market.users)
        .map_err(|e| e.to_string())?;
    let left = U256::from(SUB_ACCOUNT - FEE * BATCHES as u64);
    for (user, account) in market.users.iter().zip(accounts) {
        if account.nonce != U256::from(BATCHES) || account.balance != left {
            return Err(format!(
                "account of {user}: nonce {}, balance {} (expected {BATCHES}, {left})",
                account.nonce, account.balance
            ));
        }
    }
    Ok(())
}

fn per_second(records: usize, time: Duration) -> f64 {
    records as f64 / time.as_secs_f64()
}

fn main() -> ExitCode {
    let records = USERS * BATCHES;
    let started = Instant::now();
    let mut market = match setup() {
        Ok(market) => market,
        Err(error) => {
            eprintln!("settlement bench: setup failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    let setup_time = started.elapsed();

    let started = Instant::now();
    let batches: Vec<Vec<TEESettlementData>> =
        (0..BATCHES).map(|b| sign_batch(&market, b)).collect();
    let signing = started.elapsed();

    let started = Instant::now();
    let settled = settle(&mut market, batches);
    let settlement = started.elapsed();
    if let Err(error) = settled.and_then(|()| verify(&mut market)) {
        eprintln!("settlement bench: {error}");
        return ExitCode::FAILURE;
    }

    let end_to_end = signing + settlement;
    let rate = per_second(records, settlement);
    println!(
        "settlement bench (in process): {records} records, {BATCHES} batches of {USERS}, 1 provider, {USERS} users"
    );
    println!(
        "  setup (service, {USERS} ledgers, sub-accounts, signers): {:.3} s",
        setup_time.as_secs_f64()
    );
    println!(
        "  TEE signing:             {:8.3} s  {:9.0} records/s",
        signing.as_secs_f64(),
        per_second(records, signing)
    );
    println!(
        "  settleFeesWithTEE:       {:8.3} s  {:9.0} records/s  ({:.2} ms per batch)",
        settlement.as_secs_f64(),
        rate,
        settlement.as_secs_f64() * 1e3 / BATCHES as f64
    );
    println!(
        "  end to end (sign+settle):{:8.3} s  {:9.0} records/s",
        end_to_end.as_secs_f64(),
        per_second(records, end_to_end)
    );
    println!(
        "  target {TARGET:.0} records/s for settlement: {}",
        if rate >= TARGET { "met" } else { "NOT met" }
    );
    ExitCode::SUCCESS
}
