//! Unit tests of `cli`.

use alloy::{
    primitives::Bytes,
    sol_types::{SolCall, SolValue},
};

use super::*;
use crate::{
    deploy,
    deployment::{
        stylus_deployer,
        tests::{fake_artifacts, fake_proxied_artifacts},
        ArbWasm, ARB_WASM,
    },
};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn options(list: &[&str]) -> Options {
    match parse(&args(list)) {
        Ok(Command::Run(options)) => *options,
        other => panic!("{list:?}: {other:?}"),
    }
}

fn refused(list: &[&str]) -> String {
    match parse(&args(list)) {
        Err(DeployError::Usage(message)) => message,
        other => panic!("{list:?} was not refused: {other:?}"),
    }
}

const FROM: &str = "0x5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

#[test]
fn parses_a_deployment_and_dry_runs() {
    let o = options(&["--rpc", "http://127.0.0.1:8545", "--key-file", "k"]);
    assert_eq!(o.rpc.unwrap().as_str(), "http://127.0.0.1:8545/");
    assert_eq!(o.key_file, Some(PathBuf::from("k")));
    assert_eq!((o.lock_time, o.penalty, o.nonce), (86_400, 30, None));
    assert_eq!((o.owner, o.dry_run, o.proxies), (None, false, false));
    assert_eq!(o.artifacts, default_artifacts_dir());

    let o = options(&[
        "--dry-run",
        "--from",
        FROM,
        "--nonce=4",
        "--owner",
        "0x000000000000000000000000000000000000dEaD",
        "--lock-time",
        "60",
        "--penalty",
        "100",
        "--artifacts",
        "/tmp/a",
    ]);
    assert!(o.dry_run && o.rpc.is_none());
    assert_eq!(o.from, Some(FROM.parse().unwrap()));
    assert_eq!((o.lock_time, o.penalty, o.nonce), (60, 100, Some(4)));
    assert_eq!(o.artifacts, PathBuf::from("/tmp/a"));
    assert!(options(&["--dry-run", "--key-file", "k", "--rpc", "https://x.example"]).dry_run);
    assert!(options(&["--rpc", "http://h", "--key-file", "k", "--proxies"]).proxies);
    assert_eq!(
        parse(&args(&["--rpc", "x", "--help"])).unwrap(),
        Command::Help
    );
}

#[test]
fn refuses_bad_and_conflicting_options() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "--rpc URL is required"),
        (&["--rpc", "http://h"], "--key-file PATH is required"),
        (&["--key-file", "k"], "--rpc URL is required"),
        (
            &["--rpc", "http://h", "--key-file", "k", "--from", FROM],
            "--from is only for --dry-run",
        ),
        (
            &["--rpc", "http://h", "--key-file", "k", "--nonce", "3"],
            "--nonce and --deployer-nonce are only for --dry-run",
        ),
        (
            &["--dry-run", "--from", FROM, "--local"],
            "--local is not for --dry-run",
        ),
        (&["--dry-run"], "a dry run needs the sender"),
        (
            &["--dry-run", "--from", FROM, "--key-file", "k"],
            "both name the sender",
        ),
        (
            &[
                "--dry-run",
                "--from",
                FROM,
                "--rpc",
                "http://h",
                "--nonce",
                "1",
            ],
            "--nonce conflicts with --rpc",
        ),
        (
            &["--dry-run", "--dry-run", "--from", FROM],
            "--dry-run given twice",
        ),
        (
            &["--dry-run=yes", "--from", FROM],
            "--dry-run takes no value",
        ),
        (
            &["--dry-run", "--from", FROM, "--proxies", "--proxies"],
            "--proxies given twice",
        ),
        (
            &["--dry-run", "--from", FROM, "--from", FROM],
            "--from given twice",
        ),
        (&["--dry-run", "--from"], "--from needs a value"),
        (
            &["--dry-run", "--from", "--nonce", "1"],
            "--from needs a value",
        ),
        (&["--dry-run", "--from="], "--from needs a value"),
        (
            &["--dry-run", "--from", "0x12"],
            "--from: `0x12` is not an address",
        ),
        (
            &["--dry-run", "--from", FROM, "--penalty", "101"],
            "--penalty: 101 is above 100",
        ),
        (
            &["--dry-run", "--from", FROM, "--penalty", "-1"],
            "--penalty: `-1` is not a percentage",
        ),
        (
            &["--dry-run", "--from", FROM, "--lock-time", "1d"],
            "--lock-time: `1d` is not a number",
        ),
        (
            &["--dry-run", "--from", FROM, "--nonce", "x"],
            "--nonce: `x` is not a nonce",
        ),
        (
            &[
                "--dry-run",
                "--from",
                FROM,
                "--owner",
                "0x0000000000000000000000000000000000000000",
            ],
            "zero address",
        ),
        (
            &["--rpc", "localhost:8545", "--key-file", "k"],
            "--rpc: `localhost:8545` is not an http(s) URL",
        ),
        (
            &["--rpc", "http://h", "--key-file", "k", "--proxy"],
            "unknown argument `--proxy`",
        ),
        (&["deploy"], "unknown argument `deploy`"),
    ];
    for (list, expected) in cases {
        let message = refused(list);
        assert!(message.contains(expected), "{list:?}: {message}");
        let line = DeployError::Usage(message).to_string();
        assert!(!line.contains('\n'), "{line}");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("serving-deploy-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn reads_key_files_and_refuses_anything_else() {
    let dir = temp_dir("keys");
    let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let expected: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        .parse()
        .unwrap();
    for (i, text) in [
        key.to_string(),
        format!("0x{key}\n"),
        format!("  0X{}\r\n", key.to_uppercase()),
    ]
    .iter()
    .enumerate()
    {
        let path = dir.join(format!("good{i}"));
        std::fs::write(&path, text).unwrap();
        assert_eq!(
            read_key_file(&path).unwrap().address(),
            expected,
            "{text:?}"
        );
    }
    let zero = "0".repeat(64);
    for (i, (text, reason)) in [
        (&b""[..], "not a private key"),
        (&key.as_bytes()[..63], "not a private key"),
        (format!("{key}0").as_bytes(), "not a private key"),
        (format!("0x{key} {key}").as_bytes(), "not a private key"),
        (format!("{}g", &key[..63]).as_bytes(), "not a private key"),
        (&[0xff, 0xfe, 0x00][..], "not a private key"),
        (zero.as_bytes(), "not a valid secp256k1 private key"),
    ]
    .iter()
    .enumerate()
    {
        let path = dir.join(format!("bad{i}"));
        std::fs::write(&path, text).unwrap();
        let error = read_key_file(&path).unwrap_err().to_string();
        assert!(error.contains(reason), "{error}");
        assert!(!error.contains(&key[..16]), "the key never shows: {error}");
    }
    let error = read_key_file(&dir.join("missing")).unwrap_err().to_string();
    assert!(error.ends_with("missing: not found"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One transaction of a printed plan.
#[derive(Debug, Default)]
pub(crate) struct Printed {
    pub(crate) header: String,
    pub(crate) to: String,
    pub(crate) calldata: Vec<Bytes>,
    pub(crate) data: Bytes,
    pub(crate) value: String,
}

/// The transactions and the addresses of a printed plan.
pub(crate) fn read_printed(text: &str) -> (Vec<Printed>, Vec<(String, Address)>) {
    let mut steps: Vec<Printed> = Vec::new();
    let mut addresses = Vec::new();
    for line in text.lines() {
        let numbered = line
            .split_once('/')
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if numbered && line.contains(", nonce ") {
            steps.push(Printed {
                header: line.to_string(),
                ..Printed::default()
            });
        } else if let Some(hex) = line.strip_prefix("  calldata: ") {
            steps
                .last_mut()
                .unwrap()
                .calldata
                .push(hex.parse().unwrap());
        } else if let Some(hex) = line.strip_prefix("  data:     0x") {
            steps.last_mut().unwrap().data = format!("0x{hex}").parse().unwrap();
        } else if let Some(to) = line.strip_prefix("  to:       ") {
            steps.last_mut().unwrap().to = to.to_string();
        } else if let Some(value) = line.strip_prefix("  value:    ") {
            steps.last_mut().unwrap().value = value.to_string();
        } else if let Some((name, address)) = line.rsplit_once(' ') {
            if let Ok(address) = address.parse::<Address>() {
                if !line.starts_with(' ') && !line.contains(':') {
                    addresses.push((name.trim().to_string(), address));
                }
            }
        }
    }
    (steps, addresses)
}

/// Decodes every embedded call of a printed plan with the contracts'
/// ABI and checks the wiring against the printed addresses; returns
/// the addresses by name.
pub(crate) fn check_printed_plan(text: &str, owner: Address) -> Vec<(String, Address)> {
    let (steps, addresses) = read_printed(text);
    let at = |name: &str| {
        addresses
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name} in {addresses:?}"))
            .1
    };
    let (ledger, inference, fine_tuning) = (
        at("LedgerManager"),
        at("InferenceServing"),
        at("FineTuningServing"),
    );
    let (inference_views, fine_tuning_views) =
        (at("InferenceServing views"), at("FineTuningServing views"));
    assert_eq!(at("owner"), owner);
    assert_eq!(steps.len(), 5, "{text}");
    let programs = [
        inference_views,
        inference,
        fine_tuning_views,
        fine_tuning,
        ledger,
    ];
    for (step, program) in steps.iter().zip(programs) {
        assert!(
            step.to.ends_with(&format!("program at {program}")),
            "{}",
            step.to
        );
        // The StylusDeployer's deploy: the program, then its constructor
        // (the activation is the StylusDeployer's own).
        assert!(step.to.starts_with("StylusDeployer "), "{}", step.to);
        let call = stylus_deployer::StylusDeployer::deployCall::abi_decode(&step.data, true)
            .unwrap_or_else(|e| panic!("{}: {e}", step.header));
        let embedded: Vec<u8> = step
            .calldata
            .iter()
            .filter(|c| ArbWasm::activateProgramCall::abi_decode(c, true).is_err())
            .flat_map(|c| c.iter().copied())
            .collect();
        assert_eq!(
            call.initData.as_ref(),
            embedded.as_slice(),
            "{}",
            step.header
        );
        // An activation, when there is one, is of this very program.
        if let Some(first) = step.calldata.first() {
            if let Ok(call) = ArbWasm::activateProgramCall::abi_decode(first, true) {
                assert_eq!(call.program, program);
                assert!(text.contains(&format!(
                    "ArbWasm.activateProgram({program}) on {ARB_WASM}, with the transaction's value"
                )));
            }
        }
    }
    let configuration = |i: usize| -> Vec<&Bytes> {
        steps[i]
            .calldata
            .iter()
            .filter(|c| ArbWasm::activateProgramCall::abi_decode(c, true).is_err())
            .collect()
    };
    assert!(configuration(0).is_empty());
    assert!(configuration(2).is_empty());
    let args = |i: usize| {
        let calls = configuration(i);
        assert_eq!(calls.len(), 1, "{}", steps[i].header);
        assert_eq!(
            &calls[0][..4],
            &stylus_deployer::constructor_call(Vec::new())[..]
        );
        calls[0][4..].to_vec()
    };
    let (_, inf_ledger, inf_owner, inf_views) =
        <(U256, Address, Address, Address)>::abi_decode_params(&args(1), true).unwrap();
    assert_eq!(
        (inf_ledger, inf_owner, inf_views),
        (ledger, owner, inference_views)
    );
    let (_, ft_ledger, ft_owner, _, ft_views) =
        <(U256, Address, Address, U256, Address)>::abi_decode_params(&args(3), true).unwrap();
    assert_eq!(
        (ft_ledger, ft_owner, ft_views),
        (ledger, owner, fine_tuning_views)
    );
    assert_eq!(
        <(Address, Address, Address)>::abi_decode_params(&args(4), true).unwrap(),
        (inference, fine_tuning, owner)
    );
    addresses
}

/// The address a printed plan lists for `name`.
fn address_of(addresses: &[(String, Address)], name: &str) -> Address {
    addresses.iter().find(|(n, _)| n == name).unwrap().1
}

/// What `run` prints for `options`.
async fn dry_run(options: &Options) -> String {
    let mut out = Vec::new();
    run(options, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

fn write_artifacts(dir: &Path) {
    for program in fake_proxied_artifacts().programs() {
        std::fs::write(
            dir.join(format!("{}.initcode", program.name)),
            &program.initcode,
        )
        .unwrap();
    }
}

#[tokio::test]
async fn a_dry_run_prints_every_transaction_without_a_network() {
    let dir = temp_dir("dry-run");
    write_artifacts(&dir);
    let dir_arg = dir.to_str().unwrap();
    let owner = "0x000000000000000000000000000000000000dEaD";
    let line = format!(
        "--dry-run --from {FROM} --nonce 3 --owner {owner} --lock-time 120 --penalty 40 \
         --artifacts {dir_arg}"
    );
    let o = options(&line.split_whitespace().collect::<Vec<_>>());
    let text = dry_run(&o).await;
    assert!(text.starts_with("Dry run without a network: nothing is sent."));
    assert!(text.contains("The first nonce is 3 (given by --nonce)"));
    let addresses = check_printed_plan(&text, owner.parse().unwrap());
    let from: Address = FROM.parse().unwrap();
    let ledger = address_of(&addresses, "LedgerManager");
    assert_eq!(ledger, stylus_deployer::STYLUS_DEPLOYER.create(4));
    // The printed plan is the library's plan.
    let settings = Settings {
        owner: owner.parse().unwrap(),
        lock_time: U256::from(120u64),
        penalty_percentage: U256::from(40u64),
    };
    let expected = plan(&fake_artifacts(), &settings, from, 3, 0, |_| {
        Activation::Unknown
    });
    assert!(text.ends_with(&expected.render(true)));
    let (printed, _) = read_printed(&text);
    for (p, step) in printed.iter().zip(&expected.steps) {
        assert_eq!(p.data, step.data);
        assert!(p.value.starts_with("0 wei"));
    }

    // The key file names the sender; the nonce defaults to 0.
    let key = dir.join("key");
    std::fs::write(
        &key,
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    )
    .unwrap();
    let line = format!(
        "--dry-run --key-file {} --deployer-nonce 7 --artifacts {dir_arg}",
        key.display()
    );
    let o = options(&line.split_whitespace().collect::<Vec<_>>());
    let text = dry_run(&o).await;
    assert!(text.contains("The first nonce is 0 (the default"));
    assert!(text.contains("the StylusDeployer's 7"));
    let dev0: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        .parse()
        .unwrap();
    check_printed_plan(&text, dev0);
    assert!(text.contains(&format!("5 transactions from {dev0}, nonces 0..=4")));
    assert!(text.contains(&format!(
        "LedgerManager                    {}",
        stylus_deployer::STYLUS_DEPLOYER.create(7 + 4)
    )));

    // Behind proxies: eleven transactions, the beacons and
    // implementations listed (their wiring: the library's tests).
    let o = options(&[
        "--dry-run",
        "--from",
        FROM,
        "--proxies",
        "--artifacts",
        dir_arg,
    ]);
    let text = dry_run(&o).await;
    let (steps, addresses) = read_printed(&text);
    assert_eq!(steps.len(), 11);
    assert!(steps[10]
        .header
        .starts_with("11/11 LedgerManager (beacon proxy) (evm-beacon-proxy)"));
    assert_eq!(addresses.len(), 12);
    let from: Address = FROM.parse().unwrap();
    let ledger = address_of(&addresses, "LedgerManager");
    assert_eq!(ledger, deploy::created_address(from, 10));

    // A missing artifact is one clear error.
    std::fs::remove_file(dir.join("ledger-manager.initcode")).unwrap();
    let error = run(&o, &mut Vec::new()).await.unwrap_err().one_line();
    assert!(
        error.contains("ledger-manager.initcode: not found: run `cargo xtask build`"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
