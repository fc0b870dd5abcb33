//! The market on the real Stylus VM (arbos-anvil): a larger run of the
//! simulation through real transactions (`serving_harness::market::Rpc`),
//! for what a provider needs to choose a settlement policy: gas per
//! settlement transaction and per record, and the settlement cost as a
//! share of the fees billed.
//!
//! ```sh
//! cargo xtask build                                         # the artifacts
//! cargo bench --profile sim -p serving-harness --bench market_chain       # sim profile
//! cargo test -p serving-harness --bench market_chain        # dev build, same run
//! ```
//!
//! 2 providers, 120 users, 3,000 requests, a settlement tick every 500
//! requests, batches of up to 50 records, no faults (the test suite's small
//! run has them all). Gas is read from receipts; it does not depend on the
//! gas price. arbos-anvil's base fee falls block after block (its blocks
//! are nearly empty), so the cost at the node's price is close to nothing;
//! the share is also printed at fixed prices: 0.01 gwei (Arbitrum One's
//! minimum base fee) and 0.1 gwei. Every invariant is checked after every
//! operation, as in process; the run fails if one breaks.
//!
//! Skipped with a message when arbos-anvil is not found (a failure in CI).

use std::time::Instant;

use serving_harness::{
    chain::{self, Node},
    deploy,
    market::{
        rpc::{Rpc, RpcOptions},
        simulate, Config, Progress,
    },
};

/// The run.
fn config() -> Config {
    Config {
        providers: 2,
        users: 120,
        requests: 3_000,
        tick: 500,
        batch_size: 50,
        ..Config::default()
    }
}

/// Gas prices the share is shown at, in wei, with their names.
const PRICES: [(u128, &str); 2] = [
    (10_000_000, "0.01 gwei (Arbitrum One's minimum base fee)"),
    (100_000_000, "0.1 gwei"),
];

fn main() {
    let Some(path) = chain::node_or_skip() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let node = runtime
        .block_on(Node::start_at(&path, deploy::node_options()))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = config();
    let mut options = RpcOptions::new(node.url().as_str(), node.dev_signer(0));
    options.artifacts = deploy::artifact_path(deploy::LEDGER_ARTIFACT)
        .parent()
        .expect("artifacts are in a directory")
        .to_path_buf();

    let started = Instant::now();
    let mut rpc = Rpc::connect(&config, options).unwrap_or_else(|e| panic!("{e}"));
    let connected = started.elapsed();
    let mut shown = 0;
    let mut progress = |p: Progress| {
        let percent = p.requests * 100 / p.total;
        if percent >= shown + 10 {
            shown = percent - percent % 10;
            eprintln!(
                "market_chain: {percent:3}% ({}/{} requests, {} records settled, {:.0} s)",
                p.requests,
                p.total,
                p.records_settled,
                started.elapsed().as_secs_f64()
            );
        }
    };
    let report = simulate(&config, &mut rpc, &mut progress).unwrap_or_else(|e| panic!("{e}"));
    println!("{report}\n");
    assert!(report.passed(), "an invariant broke on the node");

    let gas = report.gas.as_ref().expect("a gas report on a chain");
    let s = &report.settlement;
    let billed: u128 = report.providers.iter().map(|p| p.billed).sum();
    println!(
        "settlement on arbos-anvil, {} records in {} transactions (mean {:.1} per transaction):",
        s.records, s.transactions, s.records_per_batch_mean
    );
    println!(
        "  gas per settlement transaction  {:>10}",
        gas.per_settlement_tx
    );
    println!("  gas per record                  {:>10}", gas.per_record);
    println!(
        "  fees billed                     {:>10} wei ({:.0} per record)",
        billed,
        billed as f64 / s.records as f64
    );
    println!(
        "  settlement cost / fees billed   {:>9.4}% at the node's mean {} wei per gas",
        gas.settlement_cost_share * 100.0,
        gas.mean_gas_price
    );
    for (price, name) in PRICES {
        let cost = u128::from(gas.settlement_gas) * price;
        println!(
            "  settlement cost / fees billed   {:>9.4}% at {name}",
            cost as f64 / billed as f64 * 100.0
        );
    }
    println!(
        "time: {:.1} s to connect, deploy and fund {} accounts; {:.1} s of market ({} invariant checks)",
        connected.as_secs_f64(),
        config.providers + config.users,
        report.timing.wall_seconds,
        report.invariants.checks
    );
}
