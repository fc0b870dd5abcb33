//! The market simulation on the real node: the same users, providers and
//! settlement engine as in process, through real transactions
//! (`serving_harness::market::Rpc`), and the `market` binary with `--rpc`.
//!
//! The test with a node starts its own (a fresh chain) and is skipped, with
//! a plain message, when arbos-anvil is not found; in CI that is a failure.
//! The market's backend is blocking (it drives a runtime of its own), so
//! these are plain tests that start the node on a runtime of theirs.

use std::{
    io::Read,
    net::TcpListener,
    path::PathBuf,
    process::{Command, Output},
    time::{Duration, Instant},
};

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use serving_harness::{
    chain::{self, Node},
    deploy,
    e2e::{self, key_file, milli_eth, scratch_dir},
    market::{
        report::Report,
        rpc::{Clock, Rpc, RpcOptions},
        simulate, Backend, Config, Faults, InProcess,
    },
};

/// Where `cargo xtask build` put the artifacts (or `$SERVING_ARTIFACTS`).
fn artifacts_dir() -> PathBuf {
    deploy::artifact_path(deploy::LEDGER_ARTIFACT)
        .parent()
        .expect("artifacts are in a directory")
        .to_path_buf()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Runs the built `market` binary with `args` and `env`.
fn market(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_market"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the market binary runs")
}

/// The binary refused: exit status 2, one line on stderr containing
/// `expected`, nothing on stdout.
#[track_caller]
fn assert_refused(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("market: "), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in: {stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

/// The small market of the test suite: every fault on.
fn small() -> Config {
    Config {
        providers: 2,
        users: 6,
        requests: 150,
        tick: 50,
        batch_size: 5,
        faults: Faults::all(),
        ..Config::default()
    }
}

/// The report without what differs between backends: the backend's name,
/// the providers' addresses, gas and timings. Everything else (requests
/// served and refused, fees billed, settled and lost per provider, records
/// and failures by reason, fine-tuning, refunds, faults, the number of
/// invariant checks and their violations) must be the same for one seed.
fn business(report: &Report) -> Report {
    let mut report = report.reproducible();
    report.backend.clear();
    report.gas = None;
    for provider in &mut report.providers {
        provider.address.clear();
    }
    report
}

/// Gas figures a settlement on arbos-anvil can have.
#[track_caller]
fn assert_gas_is_sane(report: &Report) {
    let gas = report.gas.as_ref().expect("a gas report on a chain");
    let s = &report.settlement;
    assert!(s.transactions > 0, "{report}");
    assert_eq!(gas.per_settlement_tx, gas.settlement_gas / s.transactions);
    assert_eq!(gas.per_record, gas.settlement_gas / s.records);
    // A transaction costs 21,000 plus its calldata and work; a record
    // (about 330 bytes of calldata, a signature recovery, two accounts
    // touched) costs thousands, far from a block.
    assert!(
        (21_000..5_000_000).contains(&gas.per_settlement_tx),
        "{gas:?}"
    );
    assert!(
        (5_000..gas.per_settlement_tx).contains(&gas.per_record),
        "{gas:?}"
    );
    assert!(gas.mean_gas_price > 0, "{gas:?}");
    assert_eq!(
        gas.mean_gas_price,
        gas.settlement_cost / u128::from(gas.settlement_gas),
        "{gas:?}"
    );
    let billed: u128 = report.providers.iter().map(|p| p.billed).sum();
    let share = gas.settlement_cost as f64 / billed as f64;
    assert!((gas.settlement_cost_share - share).abs() < 1e-12, "{gas:?}");
    assert!(gas.total_cost > gas.settlement_cost, "{gas:?}");
}

#[test]
fn the_market_on_the_node_does_what_it_does_in_process() {
    let Some(path) = chain::node_or_skip() else {
        return;
    };
    let runtime = runtime();
    let node = runtime
        .block_on(Node::start_at(&path, deploy::node_options()))
        .unwrap_or_else(|e| panic!("{e}"));
    let url = node.url().to_string();
    let dir = scratch_dir("e2e-market", "node");

    // The library: deploys, runs the small market, checks after every step.
    let config = small();
    let mut options = RpcOptions::new(url.clone(), node.dev_signer(0));
    options.artifacts = artifacts_dir();
    let started = Instant::now();
    let mut rpc = Rpc::connect(&config, options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rpc.clock(), Clock::Node);
    assert!(rpc.deployed());
    assert_eq!(rpc.lock_time().unwrap(), config.lock_time);
    let contracts = rpc.contracts();
    let on_chain = simulate(&config, &mut rpc, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{on_chain}\n(connect and run: {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    assert!(on_chain.passed(), "{on_chain}");
    assert_eq!(on_chain.backend, "rpc");
    assert_gas_is_sane(&on_chain);
    assert_eq!(
        U256::from(on_chain.gas.as_ref().unwrap().total_cost),
        rpc.gas_spent().unwrap()
    );

    let mut in_process = InProcess::new(config.lock_time, config.penalty_percentage);
    let reference = simulate(&config, &mut in_process, &mut |_| {}).expect("in process");
    assert!(reference.gas.is_none());
    assert_eq!(business(&on_chain), business(&reference));
    // The faults struck on the chain too.
    let s = &on_chain.settlement;
    assert!(
        s.failed_by_reason.contains_key("Invalid TEE signer"),
        "{on_chain}"
    );
    assert!(s.replayed_batches > 0 && s.replayed_records_settled == 0);
    assert!(on_chain.refunds.early_retrievals > 0);

    // Time passes on a chain without evm_increaseTime too: a market whose
    // refunds mature in real time, on contracts deployed with a 2 s lock.
    let micro = Config {
        providers: 1,
        users: 2,
        requests: 20,
        tick: 10,
        batch_size: 2,
        fine_tuning_tasks: 2,
        faults: Faults {
            early_retrieval: true,
            ..Faults::default()
        },
        ..Config::default()
    };
    let mut options = RpcOptions::new(url.clone(), node.dev_signer(2));
    options.artifacts = artifacts_dir();
    options.clock = Some(Clock::Wall);
    options.lock_time = Some(2);
    let mut wall = Rpc::connect(&micro, options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(wall.lock_time().unwrap(), 2);
    let report = simulate(&micro, &mut wall, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.passed(), "{report}");
    assert_eq!(report.refunds.left_in_ledger, 0, "{report}");
    assert!(report.refunds.refunded > 0, "{report}");

    // The binary, on the contracts deployed above, funded by another key.
    let funder = key_file(&dir, "dev1", &node.dev_keys()[1]);
    let [ledger, inference, fine_tuning] = [
        contracts.ledger.to_string(),
        contracts.inference.to_string(),
        contracts.fine_tuning.to_string(),
    ];
    let run = [
        "simulate",
        "--rpc",
        &url,
        "--key-file",
        funder.to_str().unwrap(),
        "--ledger",
        &ledger,
        "--inference",
        &inference,
        "--fine-tuning",
        &fine_tuning,
        "--providers",
        "1",
        "--users",
        "3",
        "--requests",
        "30",
        "--tick",
        "10",
        "--batch-size",
        "2",
        "--fine-tuning-tasks",
        "2",
        "--json",
    ];
    let output = market(&run, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        stderr.contains(&format!("contracts given: LedgerManager {ledger}")),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(json["backend"], "rpc");
    assert_eq!(json["invariants"]["violations"], serde_json::json!([]));
    assert!(json["gas"]["per_record"].as_u64().unwrap() > 0, "{json}");
    assert!(json["requests"]["served"].as_u64().unwrap() > 0, "{json}");

    // Bad input on a live endpoint: one line, exit 2, not one transaction.
    let reader = node.provider();
    let block = |runtime: &tokio::runtime::Runtime| {
        runtime
            .block_on(reader.get_block_number())
            .expect("the block number")
    };
    let before = block(&runtime);
    let empty = PrivateKeySigner::random();
    let empty_file = key_file(&dir, "empty", &empty.to_bytes());
    let empty_arg = empty_file.to_str().unwrap();
    let small_run = [
        "simulate",
        "--rpc",
        &url,
        "--key-file",
        empty_arg,
        "--providers",
        "1",
        "--users",
        "2",
        "--requests",
        "10",
    ];
    assert_refused(
        &market(&small_run, &[]),
        &format!(
            "the key's account {} holds 0.000000000000000000 ETH, the run needs",
            empty.address()
        ),
    );
    // Missing artifacts are found before the funds are looked at.
    assert_refused(
        &market(&small_run, &[("CARGO_TARGET_DIR", "/nonexistent")]),
        "artifact /nonexistent/stylus/",
    );
    // Given contracts that are not wired together.
    let mut crossed = run;
    crossed[4] = empty_arg;
    crossed[6] = &inference;
    assert_refused(&market(&crossed, &[]), "does not answer as a LedgerManager");
    crossed[6] = &ledger;
    crossed[8] = &fine_tuning;
    assert_refused(
        &market(&crossed, &[]),
        &format!(
            "the ledger at {ledger} works with InferenceServing {inference}, not {fine_tuning}"
        ),
    );
    let not_a_contract = Address::repeat_byte(0x42).to_string();
    crossed[8] = &not_a_contract;
    assert_refused(
        &market(&crossed, &[]),
        &format!("no contract at {not_a_contract} (--inference)"),
    );
    assert_eq!(block(&runtime), before, "a refused run sent a transaction");
    assert_eq!(
        runtime
            .block_on(async { reader.get_transaction_count(empty.address()).await })
            .unwrap(),
        0
    );

    // A key with some funds, but not enough for the run.
    let poor = PrivateKeySigner::random();
    let tx = TransactionRequest::default()
        .with_to(poor.address())
        .with_value(milli_eth(1));
    runtime
        .block_on(e2e::send_tx(&node.wallet(3), tx))
        .expect("funding");
    let before = block(&runtime);
    let poor_file = key_file(&dir, "poor", &poor.to_bytes());
    let mut poor_run = small_run;
    poor_run[4] = poor_file.to_str().unwrap();
    assert_refused(&market(&poor_run, &[]), "holds 0.001000000000000000 ETH");
    assert_eq!(block(&runtime), before, "a refused run sent a transaction");
    std::fs::remove_dir_all(&dir).expect("scratch removed");
}

#[test]
fn an_endpoint_that_does_not_answer_is_refused_in_one_line() {
    let dir = scratch_dir("e2e-market", "silent");
    let key = key_file(&dir, "key", &B256::repeat_byte(0x11));
    let key = key.to_str().unwrap();
    let args = |url: &str| -> Vec<String> {
        [
            "simulate",
            "--rpc",
            url,
            "--key-file",
            key,
            "--users",
            "2",
            "--requests",
            "10",
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |url: &str| {
        let args = args(url);
        market(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[])
    };

    // Nothing listens.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    assert_refused(&run(&url), &format!("the endpoint {url}/ does not answer"));

    // Something listens and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let accept = std::thread::spawn(move || {
        // Hold the connection open, reading, until the client gives up.
        if let Ok((mut stream, _)) = silent.accept() {
            let mut buffer = [0u8; 1024];
            while matches!(stream.read(&mut buffer), Ok(n) if n > 0) {}
        }
    });
    let started = Instant::now();
    assert_refused(&run(&url), "does not answer within 10 s");
    assert!(started.elapsed() < Duration::from_secs(30));
    accept.join().unwrap();

    // A key file that is not a key: refused before the endpoint is asked.
    let bad = dir.join("bad");
    std::fs::write(&bad, "not a key\n").unwrap();
    let output = market(
        &[
            "simulate",
            "--rpc",
            &url,
            "--key-file",
            bad.to_str().unwrap(),
        ],
        &[],
    );
    assert_refused(&output, "not a private key");
    std::fs::remove_dir_all(&dir).expect("scratch removed");
}
