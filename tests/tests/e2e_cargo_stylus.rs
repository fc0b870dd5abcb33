//! The cargo-stylus journey on arbos-anvil, opt-in: it runs only where
//! `cargo stylus` works (`cargo +stable install cargo-stylus --version
//! 0.10.10 --locked`, about 9 minutes; CI does not install it) and is
//! skipped with a message elsewhere.
//!
//! What it shows, with cargo-stylus 0.10.10 and our pinned nightly (see
//! docs/deployment.md, "cargo stylus"):
//! - `cargo stylus check --wasm-file` validates each of our artifacts (it
//!   prints the program's size), then builds the crate anyway, which fails
//!   on the nightly's refusal of `panic_immediate_abort`;
//! - `cargo stylus deploy --wasm-file` deploys and activates the views
//!   programs, which need no construction, and the main programs built on
//!   them work once constructed through the StylusDeployer, as cargo
//!   stylus's own build path would send them;
//! - `cargo stylus deploy --wasm-file` drops `--constructor-args`: the
//!   program it deploys is not constructed. When a cargo-stylus release
//!   constructs it, the last assertion fails: then update the docs.

use std::process::{Command, Output};

use alloy::primitives::{Address, U256};
use serving_harness::{
    bindings::{fine_tuning::FineTuningServing, InferenceServing, LedgerManager},
    chain::workspace_root,
    deploy,
    deployment::{
        stylus_deployer::{self, STYLUS_DEPLOYER},
        ArbWasm, ARB_WASM,
    },
    e2e::{key_file, scratch_dir, strict_call},
    node_or_skip,
};

/// Each program's folder and artifact.
const PROGRAMS: [(&str, &str); 5] = [
    ("ledger-manager", deploy::LEDGER_ARTIFACT),
    ("inference-serving/main", deploy::INFERENCE_ARTIFACT),
    ("inference-serving/views", deploy::INFERENCE_VIEWS_ARTIFACT),
    ("fine-tuning-serving/main", deploy::FINE_TUNING_ARTIFACT),
    (
        "fine-tuning-serving/views",
        deploy::FINE_TUNING_VIEWS_ARTIFACT,
    ),
];

fn has_cargo_stylus() -> bool {
    Command::new("cargo")
        .args(["stylus", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// `cargo stylus <args>` in the program folder `dir`; its output, both
/// streams, without colours.
fn cargo_stylus(dir: &str, args: &[&str]) -> (Output, String) {
    let out = Command::new("cargo")
        .arg("stylus")
        .args(args)
        .current_dir(workspace_root().join(dir))
        .output()
        .expect("cargo stylus runs");
    let raw = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    let mut text = String::new();
    let mut escape = false;
    for c in String::from_utf8_lossy(&raw).chars() {
        match (escape, c) {
            (false, '\u{1b}') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, c) => text.push(c),
        }
    }
    (out, text)
}

/// The wasm artifact of `name`.
fn wasm(name: &str) -> String {
    deploy::artifact_path(name)
        .with_extension("wasm")
        .to_string_lossy()
        .into_owned()
}

/// The address in cargo stylus's "deployed code at address: 0x..." line.
fn deployed_address(text: &str) -> Address {
    text.lines()
        .find_map(|line| line.split("deployed code at address: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|address| address.parse().ok())
        .unwrap_or_else(|| panic!("no deployed address in:\n{text}"))
}

#[tokio::test]
async fn cargo_stylus_checks_and_deploys_our_artifacts() {
    if !has_cargo_stylus() {
        eprintln!("cargo stylus not found: the cargo-stylus journey is skipped");
        return;
    }
    let node = node_or_skip!(deploy::node_options());
    let reader = node.provider();
    stylus_deployer::install(&reader).await.unwrap();
    let url = node.url().to_string();
    let dir = scratch_dir("e2e-cargo-stylus", "journey");
    let key = key_file(&dir, "dev1", &node.dev_keys()[1]);
    let key = key.to_str().unwrap();
    let owner = node.dev_address(1);

    for (folder, artifact) in PROGRAMS {
        let (_, text) = cargo_stylus(
            folder,
            &["check", "--endpoint", &url, "--wasm-file", &wasm(artifact)],
        );
        assert!(text.contains("contract size: "), "{folder}:\n{text}");
        println!(
            "cargo stylus check ({folder}): {}",
            text.lines().next().unwrap_or("")
        );
    }

    // `cargo stylus deploy --no-verify --wasm-file` of `artifact` from
    // `folder`, with `extra` arguments; the deployed address.
    let deploy_wasm = |folder: &str, artifact: &str, extra: &[&str]| {
        let wasm = wasm(artifact);
        let mut args = vec![
            "deploy",
            "--endpoint",
            &url,
            "--private-key-path",
            key,
            "--no-verify",
            "--wasm-file",
            &wasm,
        ];
        args.extend(extra);
        let (out, text) = cargo_stylus(folder, &args);
        assert!(out.status.success(), "{folder}:\n{text}");
        deployed_address(&text)
    };
    let deploy_views = |folder: &str, artifact: &str| deploy_wasm(folder, artifact, &[]);
    let inference_views = deploy_views("inference-serving/views", deploy::INFERENCE_VIEWS_ARTIFACT);
    let fine_tuning_views = deploy_views(
        "fine-tuning-serving/views",
        deploy::FINE_TUNING_VIEWS_ARTIFACT,
    );
    let arb_wasm = ArbWasm::new(ARB_WASM, &reader);
    for views in [inference_views, fine_tuning_views] {
        arb_wasm
            .programVersion(views)
            .call()
            .await
            .unwrap_or_else(|e| panic!("{views} is not activated: {e}"));
    }

    // The main programs, constructed through the StylusDeployer on the
    // views programs cargo stylus deployed.
    let wallet = node.wallet(1);
    let first = stylus_deployer::nonce(&reader).await.unwrap();
    let at = |k: u64| STYLUS_DEPLOYER.create(first + k);
    let (inference, fine_tuning, ledger) = (at(0), at(1), at(2));
    let lock_time = U256::from(3_600u64);
    for (name, init_data, planned) in [
        (
            deploy::INFERENCE_ARTIFACT,
            stylus_deployer::inference_constructor(lock_time, ledger, owner, inference_views),
            inference,
        ),
        (
            deploy::FINE_TUNING_ARTIFACT,
            stylus_deployer::fine_tuning_constructor(
                lock_time,
                ledger,
                owner,
                U256::from(30u64),
                fine_tuning_views,
            ),
            fine_tuning,
        ),
        (
            deploy::LEDGER_ARTIFACT,
            stylus_deployer::ledger_constructor(inference, fine_tuning, owner),
            ledger,
        ),
    ] {
        stylus_deployer::deploy_at(&wallet, &deploy::program(name), init_data, planned)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // The views run in cargo stylus's views programs, through the fallback.
    let inference = InferenceServing::new(inference, &reader);
    assert_eq!(strict_call(inference.ledgerAddress()).await._0, ledger);
    assert!(strict_call(inference.getAllServices()).await._0.is_empty());
    let fine_tuning = FineTuningServing::new(fine_tuning, &reader);
    assert_eq!(
        strict_call(fine_tuning.penaltyPercentage()).await._0,
        U256::from(30u64)
    );
    let ledger = LedgerManager::new(ledger, &reader);
    assert_eq!(strict_call(ledger.owner()).await._0, owner);

    // `--wasm-file` with constructor arguments: deployed and activated, but
    // not constructed (see the module docs).
    let anyone = Address::repeat_byte(0xa1).to_string();
    let owner = owner.to_string();
    let address = deploy_wasm(
        "ledger-manager",
        deploy::LEDGER_ARTIFACT,
        &[
            "--constructor-signature",
            "constructor(address,address,address)",
            "--constructor-args",
            &anyone,
            &anyone,
            &owner,
        ],
    );
    let unconstructed = LedgerManager::new(address, &reader);
    assert!(
        !strict_call(unconstructed.initialized()).await._0,
        "cargo stylus now constructs a --wasm-file deployment: update docs/deployment.md"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
