//! Property tests over whole simulated markets (issue 9, item 4): random
//! sizes, settlement policies, faults and interleavings (the seed), run in
//! process on the contracts' own code (`serving_harness::market`).
//!
//! The simulation checks the invariants of the architecture page after
//! every state-changing operation (`market::sim::Checker`); these tests
//! check its report:
//! - every invariant held at every step, no record settled twice, every
//!   payment matched its records, no fee was lost without a fault to
//!   explain it, nothing is left unsettled (`Report::passed`);
//! - per provider, every fee billed was settled or lost, and fees are lost
//!   only to a fault that was switched on (key rotation, reordered
//!   batches); a replayed batch settles nothing;
//! - without faults nothing is lost and no record fails;
//! - every wei users deposited went back to them or to a provider for
//!   fees, and the ledger ends empty.
//!
//! The same configuration gives the same report; another seed, another.
//!
//! `PROPTEST_CASES` sets the number of markets per property (default 64,
//! about half a minute in a debug build on 2 cores, the signature crates
//! being optimized: see the root Cargo.toml).

use std::sync::{Mutex, PoisonError};

use alloy_primitives::U256;
use proptest::{prelude::*, test_runner::TestCaseError};
use serving_harness::market::{simulate, Config, Faults, InProcess, Report};

/// Markets per property unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 64;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// A random subset of the faults.
fn faults() -> impl Strategy<Value = Faults> {
    any::<[bool; 4]>().prop_map(|[key_rotation, early_retrieval, replay, reorder]| Faults {
        key_rotation,
        early_retrieval,
        replay,
        reorder,
    })
}

/// The smallest deposit per user that funds `requests` requests at the
/// highest fee (what `Config::validate` demands).
fn least_funds(config: &Config) -> U256 {
    (config.max_request_fee() * U256::from(config.requests)).div_ceil(U256::from(config.users))
}

/// A market: 1 to 4 providers, 1 to 12 users, up to 300 requests, any
/// batch size and tick, a few fine-tuning tasks, some faults, any seed.
/// Users are rich (the default deposit) or hold only a small multiple of
/// the least the market needs, so that they run dry, top up and make the
/// settlement engine hurry.
fn market(faults: impl Strategy<Value = Faults>) -> impl Strategy<Value = Config> {
    (
        (1..=4usize, 1..=12usize, 1..=300u64, 1..=16usize, 1..=60u64),
        (
            0..=4usize,
            0..=100u8,
            faults,
            any::<u64>(),
            prop::option::of(1..=6u64),
        ),
    )
        .prop_map(
            |(
                (providers, users, requests, batch_size, tick),
                (fine_tuning_tasks, penalty_percentage, faults, seed, scarce),
            )| {
                let mut config = Config {
                    providers,
                    users,
                    requests,
                    seed,
                    batch_size,
                    tick,
                    fine_tuning_tasks,
                    penalty_percentage,
                    faults,
                    ..Config::default()
                };
                if let Some(multiple) = scarce {
                    config.user_funds = least_funds(&config) * U256::from(multiple);
                }
                config
            },
        )
}

/// Runs `config` in its own thread (motsu keeps one VM per thread), one
/// market at a time: motsu keeps every thread's VM in one process-wide map
/// whose shards a busy thread holds, and gives up on a shard after 10 ms
/// ("storage is locked", an abort inside a host call), which markets
/// running side by side on a loaded machine hit.
fn run(config: &Config) -> Result<Report, TestCaseError> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let config = config.clone();
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            let mut backend = InProcess::new(config.lock_time, config.penalty_percentage);
            simulate(&config, &mut backend, &mut |_| {})
        })
        .expect("spawn a market thread")
        .join()
        .map_err(|_| TestCaseError::fail("the simulation panicked (see above)"))?
        .map_err(|failure| TestCaseError::fail(format!("the simulation failed: {failure}")))
}

/// Everything a market's report must show, whatever the configuration.
fn check(config: &Config, report: &Report) -> Result<(), TestCaseError> {
    prop_assert!(
        report.passed(),
        "violations: {:#?}",
        report.invariants.violations
    );
    prop_assert!(report.invariants.checks > 0);
    prop_assert_eq!(report.requests.sent, config.requests);
    prop_assert_eq!(
        report.requests.served,
        report.providers.iter().map(|p| p.served).sum::<u64>()
    );

    let mut lost_by_providers = 0u128;
    for p in &report.providers {
        let lost: u128 = p.lost.values().sum();
        prop_assert_eq!(p.unsettled, 0, "provider {} left fees unsettled", p.address);
        prop_assert_eq!(
            p.billed,
            p.settled + lost + p.unsettled,
            "provider {}: billed is not settled + lost",
            p.address
        );
        lost_by_providers += lost;
    }

    let s = &report.settlement;
    prop_assert_eq!(
        s.records,
        s.records_settled + s.failed_by_reason.values().sum::<u64>()
    );
    prop_assert_eq!(s.replayed_records_settled, 0, "a replayed record settled");
    if !config.faults.replay {
        prop_assert_eq!(s.replayed_batches, 0);
    }

    let lost = &report.faults.lost_fees;
    for (fault, amount) in lost {
        let switched_on = match fault.as_str() {
            "key-rotation" => config.faults.key_rotation,
            "reorder" => config.faults.reorder,
            _ => false,
        };
        prop_assert!(
            switched_on,
            "{} wei lost to `{}`, a fault that was not switched on ({:?})",
            amount,
            fault,
            config.faults
        );
    }
    prop_assert_eq!(
        lost.values().sum::<u128>(),
        lost_by_providers,
        "the faults explain every lost fee"
    );
    if config.faults == Faults::default() {
        prop_assert!(lost.is_empty(), "lost without faults: {:?}", lost);
        prop_assert!(
            s.failed_by_reason.is_empty(),
            "records failed without faults: {:?}",
            s.failed_by_reason
        );
        prop_assert!(report.faults.users_stopped.is_empty());
        prop_assert_eq!(report.requests.rejected_responses, 0);
    }

    prop_assert_eq!(report.refunds.left_in_ledger, 0, "the ledger ends empty");
    let deposited = u128::try_from(config.user_funds).unwrap() * config.users as u128;
    let paid: u128 = report
        .providers
        .iter()
        .map(|p| p.settled + p.fine_tuning_settled)
        .sum();
    prop_assert_eq!(
        report.refunds.refunded + paid,
        deposited,
        "every wei deposited went back to its user or to a provider"
    );
    prop_assert_eq!(
        report.fine_tuning.settled,
        report
            .providers
            .iter()
            .map(|p| p.fine_tuning_settled)
            .sum::<u128>()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // A market takes about a second in a debug build: shrink for a
        // few minutes at most.
        max_shrink_iters: 128,
        ..ProptestConfig::default()
    })]

    /// Random markets, any faults.
    #[test]
    fn markets_with_faults_keep_every_invariant(config in market(faults())) {
        let report = run(&config)?;
        check(&config, &report)?;
    }

    /// Random markets without faults: nothing is lost.
    #[test]
    fn markets_without_faults_lose_nothing(config in market(Just(Faults::default()))) {
        let report = run(&config)?;
        check(&config, &report)?;
        for p in &report.providers {
            prop_assert_eq!(p.settled, p.billed);
        }
    }
}

/// A small market with every fault on.
fn faulty() -> Config {
    Config {
        providers: 3,
        users: 8,
        requests: 200,
        seed: 11,
        batch_size: 4,
        tick: 25,
        fine_tuning_tasks: 3,
        faults: Faults::all(),
        ..Config::default()
    }
}

#[test]
fn the_same_config_gives_the_same_report() {
    let config = faulty();
    let first = run(&config).unwrap();
    let second = run(&config).unwrap();
    assert!(first.passed(), "{first}");
    assert_eq!(first.reproducible(), second.reproducible());
    assert_eq!(
        serde_json::to_string(&first.reproducible()).unwrap(),
        serde_json::to_string(&second.reproducible()).unwrap()
    );
    let other = run(&Config {
        seed: config.seed + 1,
        ..config
    })
    .unwrap();
    assert!(other.passed(), "{other}");
    assert_ne!(
        serde_json::to_string(&first.reproducible()).unwrap(),
        serde_json::to_string(&other.reproducible()).unwrap()
    );
    assert_ne!(first.requests, other.requests);
}

/// Found by the properties: a held batch (fault `reorder`) whose fees the
/// provider forgot while it was in flight let it serve the same money
/// again, and a later record failed with "Insufficient balance", a loss
/// no fault explained.
#[test]
fn a_held_batch_still_claims_the_balance() {
    let config = Config {
        providers: 1,
        users: 4,
        requests: 60,
        seed: 8186616644979716106,
        user_funds: U256::from(7_500_000_000_000u64),
        batch_size: 1,
        tick: 30,
        fine_tuning_tasks: 2,
        penalty_percentage: 0,
        faults: Faults {
            reorder: true,
            ..Faults::default()
        },
        ..Config::default()
    };
    let report = run(&config).unwrap();
    check(&config, &report).unwrap();
}
