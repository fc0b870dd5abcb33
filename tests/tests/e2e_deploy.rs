//! The deployment command on the real node: the library deployment and the
//! built `deploy` binary deploy the artifacts of `cargo xtask build`, every
//! program is activated by its creating transaction, every contract then
//! works through its deployed address, and bad input is refused with one
//! line and no transaction.
//!
//! Every test starts its own node (a fresh chain) and is skipped, with a
//! plain message, when arbos-anvil is not found; in CI that is a failure.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, U256},
    providers::{Provider, WalletProvider as _},
    rpc::types::TransactionRequest,
    sol_types::SolError,
};
use serving_harness::{
    bindings::{fine_tuning::FineTuningServing, InferenceServing, LedgerManager},
    chain::{Node, WalletProvider},
    deploy,
    deployment::{
        self, cli,
        stylus_deployer::{self, STYLUS_DEPLOYER},
        Activation, ArbWasm, Artifacts, Beaconed, Contracts, DeployError, ProxyAddresses, Settings,
        ARB_WASM,
    },
    e2e::{
        self, eth, fine_tuning_service, gas_cost, key_file, milli_eth, scratch_dir, send,
        service_params, strict_call,
    },
    node_or_skip,
    upgrade::{self, UpgradeableBeacon, BEACON_SLOT},
};

/// Where `cargo xtask build` put the artifacts (or `$SERVING_ARTIFACTS`).
fn artifacts_dir() -> PathBuf {
    deploy::artifact_path(deploy::LEDGER_ARTIFACT)
        .parent()
        .expect("artifacts are in a directory")
        .to_path_buf()
}

fn settings(owner: Address) -> Settings {
    Settings {
        owner,
        lock_time: U256::from(3_600u64),
        penalty_percentage: U256::from(25u64),
    }
}

/// Runs the built `deploy` binary.
fn deploy_binary(command_line: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploy"))
        .args(command_line.split_whitespace())
        .output()
        .expect("the deploy binary runs")
}

/// What the deploy binary prints to stdout for `command_line`.
///
/// # Panics
///
/// If it fails or prints anything to stderr.
fn deployed(command_line: &str) -> String {
    let output = deploy_binary(command_line);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "deploy {command_line} failed: {stderr}\n{stdout}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    stdout
}

/// The addresses a run printed (`name address` lines).
fn printed_contracts(stdout: &str) -> Contracts {
    let find = |name: &str| -> Option<Address> {
        stdout
            .lines()
            .filter(|line| !line.starts_with(' '))
            .find_map(|line| {
                let (n, address) = line.rsplit_once(' ')?;
                (n.trim() == name).then(|| address.parse().ok()).flatten()
            })
    };
    let at = |name: &str| find(name).unwrap_or_else(|| panic!("no {name} line in:\n{stdout}"));
    let beaconed = |name: &str| Beaconed {
        implementation: at(&format!("{name} implementation")),
        beacon: at(&format!("{name} beacon")),
    };
    Contracts {
        ledger: at("LedgerManager"),
        inference: at("InferenceServing"),
        inference_views: at("InferenceServing views"),
        fine_tuning: at("FineTuningServing"),
        fine_tuning_views: at("FineTuningServing views"),
        owner: at("owner"),
        proxies: find("LedgerManager beacon").map(|_| ProxyAddresses {
            ledger: beaconed("LedgerManager"),
            inference: beaconed("InferenceServing"),
            fine_tuning: beaconed("FineTuningServing"),
        }),
    }
}

/// Every Stylus program of a deployment: the views programs, and the main
/// programs or, behind (EVM) proxies and beacons, the implementations.
fn programs(contracts: &Contracts) -> Vec<Address> {
    let mut programs = vec![contracts.inference_views, contracts.fine_tuning_views];
    match contracts.proxies {
        None => programs.extend([contracts.ledger, contracts.inference, contracts.fine_tuning]),
        Some(p) => {
            programs.extend([p.ledger, p.inference, p.fine_tuning].map(|p| p.implementation))
        }
    }
    programs
}

/// Every program of `contracts` is activated, at the chain's Stylus version.
async fn check_activated(node: &Node, contracts: &Contracts) {
    let provider = node.provider();
    let arb_wasm = ArbWasm::new(ARB_WASM, &provider);
    let version = arb_wasm.stylusVersion().call().await.unwrap().version;
    for program in programs(contracts) {
        let got = arb_wasm
            .programVersion(program)
            .call()
            .await
            .unwrap_or_else(|e| panic!("{program} is not activated: {e}"));
        assert_eq!(got.version, version);
    }
}

/// Calls every contract through its deployed address: the configuration
/// views (wiring, owner, lock time, penalty), views served by the views
/// programs, and a small flow: a provider registers an inference and a
/// fine-tuning service, a user opens a ledger and moves funds to both.
async fn call_every_contract(node: &Node, contracts: &Contracts, settings: &Settings) {
    let reader = node.provider();
    let ledger = LedgerManager::new(contracts.ledger, &reader);
    let inference = InferenceServing::new(contracts.inference, &reader);
    let fine_tuning = FineTuningServing::new(contracts.fine_tuning, &reader);

    macro_rules! view {
        ($call:expr) => {
            strict_call($call).await._0
        };
    }
    let (owner, lock_time) = (settings.owner, settings.lock_time);
    let wiring = (
        view!(ledger.inferenceAddress()),
        view!(ledger.fineTuningAddress()),
    );
    assert_eq!(wiring, (contracts.inference, contracts.fine_tuning));
    assert_eq!(
        (view!(ledger.initialized()), view!(ledger.owner())),
        (true, owner)
    );
    for (initialized, owner_of, ledger_of, lock_time_of) in [
        (
            view!(inference.initialized()),
            view!(inference.owner()),
            view!(inference.ledgerAddress()),
            view!(inference.lockTime()),
        ),
        (
            view!(fine_tuning.initialized()),
            view!(fine_tuning.owner()),
            view!(fine_tuning.ledgerAddress()),
            view!(fine_tuning.lockTime()),
        ),
    ] {
        assert!(initialized);
        assert_eq!(
            (owner_of, ledger_of, lock_time_of),
            (owner, contracts.ledger, lock_time)
        );
    }
    let penalty = view!(fine_tuning.penaltyPercentage());
    assert_eq!(penalty, settings.penalty_percentage);

    // Configured at creation: initialize is refused, from anyone.
    let stranger = node.funded_account(eth(1)).await.unwrap().1;
    let anyone = stranger.default_signer_address();
    let (zero, w) = (U256::ZERO, &stranger);
    let at = LedgerManager::new(contracts.ledger, w);
    let init = at.initialize(anyone, anyone, anyone);
    e2e::expect_revert::<LedgerManager::InvalidInitialization, _>(send(w, init).await);
    let at = InferenceServing::new(contracts.inference, w);
    let init = at.initialize(zero, anyone, anyone);
    e2e::expect_revert::<InferenceServing::InvalidInitialization, _>(send(w, init).await);
    let at = FineTuningServing::new(contracts.fine_tuning, w);
    let init = at.initialize(zero, anyone, anyone, zero);
    e2e::expect_revert::<FineTuningServing::InvalidInitialization, _>(send(w, init).await);

    // A provider with both services (the fine-tuning registry is in the
    // views program, reached through the main program's fallback).
    let provider = node.funded_account(eth(10)).await.unwrap().1;
    let provider_address = provider.default_signer_address();
    let url = format!("https://provider-{provider_address}.example");
    send(
        &provider,
        InferenceServing::new(contracts.inference, &provider)
            .addOrUpdateService(service_params(&url)),
    )
    .await
    .expect("addOrUpdateService (inference)");
    send(
        &provider,
        FineTuningServing::new(contracts.fine_tuning, &provider)
            .call_builder(&fine_tuning_service(&url, provider_address)),
    )
    .await
    .expect("addOrUpdateService (fine-tuning)");
    let services = view!(inference.getAllServices());
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].provider, provider_address);
    assert_eq!(view!(fine_tuning.getAllServices()).len(), 1);

    // A user: a ledger, then a sub-account with each service.
    let user = node.funded_account(eth(10)).await.unwrap().1;
    let user_address = user.default_signer_address();
    let as_user = LedgerManager::new(contracts.ledger, &user);
    send(
        &user,
        as_user
            .addLedger([U256::from(1u64), U256::from(2u64)], "deployed".into())
            .value(eth(1)),
    )
    .await
    .expect("addLedger");
    send(
        &user,
        as_user.transferFund(provider_address, e2e::INFERENCE.into(), milli_eth(100)),
    )
    .await
    .expect("transferFund (inference)");
    send(
        &user,
        as_user.transferFund(provider_address, e2e::FINE_TUNING.into(), milli_eth(200)),
    )
    .await
    .expect("transferFund (fine-tuning)");
    let account = view!(inference.getAccount(user_address, provider_address));
    assert_eq!(account.balance, milli_eth(100));
    let account = view!(fine_tuning.getAccount(user_address, provider_address));
    assert_eq!(account.balance, milli_eth(200));
    let held = reader.get_balance(contracts.ledger).await.unwrap();
    assert!(held >= eth(1), "the ledger holds the deposit");
}

#[tokio::test]
async fn the_library_and_the_binary_deploy_working_contracts() {
    let node = node_or_skip!(deploy::node_options());
    let artifacts = Artifacts::load(&artifacts_dir()).expect("run `cargo xtask build` first");
    let dir = scratch_dir("e2e-deploy", "deploy");

    // The library, on a fresh chain: every program is activated by its
    // creating transaction (arbos-anvil records no activation otherwise).
    let wallet = node.wallet(1);
    let owner = node.dev_address(4);
    stylus_deployer::ensure_installed(&wallet).await.unwrap();
    let library = deployment::deploy(&wallet, &artifacts, &settings(owner))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(library
        .plan
        .steps
        .iter()
        .all(|step| matches!(step.activation, Activation::Needed { .. })));
    assert_eq!(library.receipts.len(), 5);
    check_activated(&node, &library.plan.contracts).await;
    call_every_contract(&node, &library.plan.contracts, &settings(owner)).await;

    // A plan whose StylusDeployer nonce is stale (its addresses are taken)
    // sends nothing...
    let stale_wallet = node.wallet(3);
    let stale_sender = node.dev_address(3);
    let stale = deployment::plan(&artifacts, &settings(owner), stale_sender, 0, 0, |_| {
        Activation::Needed { value: U256::ZERO }
    });
    let error = deployment::execute(&stale_wallet, &stale, |_, _, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            DeployError::DeployerNonceMoved {
                planned: 0,
                found: 5
            }
        ),
        "{error}"
    );
    assert_eq!(
        node.provider()
            .get_transaction_count(stale_sender)
            .await
            .unwrap(),
        0
    );

    // ...while the built binary, surveying the chain, deploys a second set
    // without activating anything.
    let key = key_file(&dir, "dev2", &node.dev_keys()[2]);
    let (url, artifacts) = (node.url(), artifacts_dir());
    let stdout = deployed(&format!(
        "--rpc {url} --key-file {} --artifacts {} --lock-time 3600 --penalty 25 --owner {owner}",
        key.display(),
        artifacts.display(),
    ));
    assert_eq!(
        stdout
            .matches("no activation: the code hash is activated already")
            .count(),
        5,
        "{stdout}"
    );
    let contracts = printed_contracts(&stdout);
    assert_eq!(contracts.ledger, STYLUS_DEPLOYER.create(9));
    assert_eq!(contracts.owner, owner);
    assert_ne!(contracts.ledger, library.plan.contracts.ledger);
    for (i, step) in library.plan.steps.iter().enumerate() {
        assert!(stdout.contains(&format!("{}/5 sent 0x", i + 1)), "{stdout}");
        assert!(stdout.contains(&step.label));
    }
    check_activated(&node, &contracts).await;
    call_every_contract(&node, &contracts, &settings(owner)).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn activation_value_comes_back_to_the_sender() {
    let node = node_or_skip!(deploy::node_options());
    let artifacts = Artifacts::load(&artifacts_dir()).expect("run `cargo xtask build` first");
    let wallet: WalletProvider = node.wallet(5);
    let sender = node.dev_address(5);
    // arbos-anvil quotes a zero data fee; send 1 ETH with each activation
    // anyway: ArbWasm reimburses the deployer, which returns it.
    stylus_deployer::ensure_installed(&wallet).await.unwrap();
    let plan = deployment::plan(&artifacts, &settings(sender), sender, 0, 0, |_| {
        Activation::Needed { value: eth(1) }
    });
    let before = node.provider().get_balance(sender).await.unwrap();
    let receipts = deployment::execute(&wallet, &plan, |_, _, _| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = node.provider().get_balance(sender).await.unwrap();
    let gas: U256 = receipts.iter().map(gas_cost).sum();
    assert_eq!(before - after, gas, "only gas was spent");
    for step in &plan.steps {
        assert_eq!(step.value, eth(1));
    }
    assert_eq!(
        node.provider().get_balance(STYLUS_DEPLOYER).await.unwrap(),
        U256::ZERO
    );
    check_activated(&node, &plan.contracts).await;
    call_every_contract(&node, &plan.contracts, &settings(sender)).await;
}

#[tokio::test]
async fn the_binary_deploys_behind_beacon_proxies() {
    let node = node_or_skip!(deploy::node_options());
    let dir = scratch_dir("e2e-deploy", "proxies");
    let key = key_file(&dir, "dev7", &node.dev_keys()[7]);
    let owner = node.dev_address(8);
    let (url, artifacts) = (node.url(), artifacts_dir());
    let stdout = deployed(&format!(
        "--proxies --local --rpc {url} --key-file {} --artifacts {} --owner {owner} --lock-time \
         3600 --penalty 25",
        key.display(),
        artifacts.display(),
    ));
    assert!(stdout.contains("11/11 sent 0x"), "{stdout}");
    let contracts = printed_contracts(&stdout);
    let proxies = contracts
        .proxies
        .expect("the beacons and implementations are printed");
    assert_eq!(
        contracts.ledger,
        deploy::created_address(node.dev_address(7), 10)
    );
    check_activated(&node, &contracts).await;

    let reader = node.provider();
    let stranger = node.dev_address(9);
    let anyone = Address::repeat_byte(0x99);
    for (proxy, parts, claim) in [
        (
            contracts.ledger,
            proxies.ledger,
            deploy::ledger_initialize(anyone, anyone, stranger),
        ),
        (
            contracts.inference,
            proxies.inference,
            deploy::inference_initialize(U256::ZERO, anyone, stranger),
        ),
        (
            contracts.fine_tuning,
            proxies.fine_tuning,
            deploy::fine_tuning_initialize(U256::ZERO, anyone, stranger, U256::ZERO),
        ),
    ] {
        // The proxy names the beacon, which names the implementation and
        // is the owner's to upgrade.
        let slot = reader
            .get_storage_at(proxy, U256::from_be_bytes(BEACON_SLOT.0))
            .await
            .unwrap();
        assert_eq!(Address::from_word(slot.into()), parts.beacon);
        let beacon = UpgradeableBeacon::new(parts.beacon, &reader);
        assert_eq!(
            strict_call(beacon.implementation()).await._0,
            parts.implementation
        );
        assert_eq!(strict_call(beacon.owner()).await._0, owner);
        let code = reader.get_code_at(parts.beacon).await.unwrap();
        assert_eq!(code.as_ref(), upgrade::beacon_runtime().as_slice());
        // The implementation is initialized: nobody can claim it.
        let tx = TransactionRequest::default()
            .with_from(stranger)
            .with_to(parts.implementation)
            .with_input(claim);
        let error = reader.call(&tx).await.unwrap_err();
        let data = error
            .as_error_resp()
            .and_then(|e| e.as_revert_data())
            .expect("revert data");
        assert_eq!(
            data.as_ref(),
            LedgerManager::InvalidInitialization::SELECTOR.as_slice()
        );
    }
    call_every_contract(&node, &contracts, &settings(owner)).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One line on stderr, a failure status, nothing on stdout.
fn assert_refused(output: &Output, status: i32, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(status), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("deploy: "), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_one_line_and_no_transaction() {
    let node = node_or_skip!(deploy::node_options());
    let dir = scratch_dir("e2e-deploy", "bad-input");
    let artifacts = artifacts_dir();
    let artifacts = artifacts.to_str().unwrap();
    let url = node.url().to_string();
    let key = key_file(&dir, "dev6", &node.dev_keys()[6]);
    let key = key.to_str().unwrap();
    let sender = node.dev_address(6);
    let from = sender.to_string();
    let malformed = dir.join("malformed");
    std::fs::write(&malformed, "not a key\n").unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };

    let missing = dir.join("missing");
    let (missing, malformed) = (missing.display(), malformed.display());
    let cases = [
        (
            format!("--rpc {url} --key-file {missing} --artifacts {artifacts}"),
            1,
            "missing: not found",
        ),
        (
            format!("--rpc {url} --key-file {malformed} --artifacts {artifacts}"),
            1,
            "not a private key",
        ),
        (
            format!("--rpc {closed} --key-file {key} --artifacts {artifacts}"),
            1,
            "the endpoint does not answer",
        ),
        (
            format!("--dry-run --rpc {closed} --key-file {key} --artifacts {artifacts}"),
            1,
            "the endpoint does not answer",
        ),
        (
            format!("--rpc {url} --key-file {key} --nonce 3 --artifacts {artifacts}"),
            2,
            "--nonce and --deployer-nonce are only for --dry-run",
        ),
        (
            format!("--rpc {url} --key-file {key} --from {from}"),
            2,
            "--from is only for --dry-run",
        ),
        (
            format!("--dry-run --key-file {key} --from {from}"),
            2,
            "both name the sender",
        ),
        (
            format!("--rpc {url} --key-file {key} --penalty 150"),
            2,
            "--penalty: 150 is above 100",
        ),
        (
            format!("--rpc {url} --key-file {key} --artifacts {missing}"),
            1,
            "run `cargo xtask build` first",
        ),
    ];
    for (line, status, expected) in &cases {
        let output = deploy_binary(line);
        assert_refused(&output, *status, expected);
    }
    // Nothing was sent, nothing deployed.
    assert_eq!(
        node.provider().get_transaction_count(sender).await.unwrap(),
        0
    );
    assert!(node
        .provider()
        .get_code_at(deploy::created_address(sender, 0))
        .await
        .unwrap()
        .is_empty());

    // A dry run against the node prints the plan of the library (nonce and
    // activation from the chain) and sends nothing either.
    let output = deploy_binary(&format!(
        "--dry-run --rpc {url} --key-file {key} --artifacts {artifacts}"
    ));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let loaded = Artifacts::load(Path::new(artifacts)).unwrap();
    let survey = deployment::survey(&node.provider(), sender, &loaded)
        .await
        .unwrap();
    let plan = deployment::plan(
        &loaded,
        &settings_of_defaults(sender),
        sender,
        survey.nonce,
        survey.deployer_nonce.unwrap_or_default(),
        |p| survey.activation(p),
    );
    assert!(stdout.starts_with(&format!("Dry run on chain {}", node.chain_id())));
    assert!(stdout.ends_with(&plan.render(true)), "{stdout}");
    assert_eq!(
        node.provider().get_transaction_count(sender).await.unwrap(),
        0
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The settings of a run with no `--owner`, `--lock-time` or `--penalty`.
fn settings_of_defaults(sender: Address) -> Settings {
    Settings {
        owner: sender,
        lock_time: U256::from(cli::DEFAULT_LOCK_TIME),
        penalty_percentage: U256::from(deploy::DEFAULT_PENALTY_PERCENTAGE),
    }
}
