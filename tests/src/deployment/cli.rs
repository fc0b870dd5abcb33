//! The `deploy` command (`tests/src/bin/deploy.rs`; `scripts/deploy.sh`
//! runs it): its options ([`parse`], [`USAGE`]), the key file
//! ([`read_key_file`]) and the run ([`run`]).
//!
//! Every refusal (a missing or malformed key file, an endpoint that does
//! not answer, conflicting or malformed options, a missing artifact) happens
//! before the first transaction, as one [`DeployError`].

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::ProviderBuilder,
    rpc::client::RpcClient,
    signers::local::PrivateKeySigner,
    transports::http::{reqwest::Url, Client, Http},
};

use super::{execute, plan, survey, Activation, Artifacts, DeployError, Settings};
use crate::chain::{ReadProvider, WalletProvider};

/// The command's help.
pub const USAGE: &str = "\
usage: deploy --rpc URL --key-file PATH [OPTIONS]
           deploy the contracts, then print their addresses
       deploy --dry-run (--key-file PATH | --from ADDR) [--rpc URL | --nonce N] [OPTIONS]
           print every transaction a deployment sends (target, value, calldata); send nothing

Deploys LedgerManager, InferenceServing and FineTuningServing (and the two
views programs) from the artifacts of `cargo xtask build`, each program
created, activated and initialized in one transaction, wired to the others.

  --rpc URL          the chain's JSON-RPC endpoint (a dry run with it reads the
                     sender's nonce and the activation fees, and sends nothing)
  --key-file PATH    the sender's private key: a file holding 64 hex digits,
                     with or without 0x
  --from ADDR        the sender of a dry run without a key file
  --owner ADDR       the owner of the three contracts (default: the sender)
  --lock-time SECS   the refund lock time of both serving contracts
                     (default 86400)
  --penalty PCT      FineTuningServing's penalty percentage, 0 to 100
                     (default 30)
  --artifacts DIR    where `cargo xtask build` wrote <program>.initcode
                     (default: target/stylus)
  --nonce N          the sender's first nonce, for a dry run without --rpc
                     (default 0)
  --proxies          put every contract behind a beacon proxy: its
                     implementation, an upgradeable-beacon program, and an
                     EVM beacon proxy at the contract's address (the owner
                     upgrades it with the beacon's upgradeTo)
  --dry-run          print the plan, send nothing
  -h, --help         this text
";

/// The default refund lock time: one day.
pub const DEFAULT_LOCK_TIME: u64 = 86_400;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Print [`USAGE`].
    Help,
    /// Deploy, or print the plan.
    Run(Box<Options>),
}

/// The options of a run, checked for conflicts by [`parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The endpoint (required to deploy).
    pub rpc: Option<Url>,
    /// The key file (required to deploy).
    pub key_file: Option<PathBuf>,
    /// The sender of a dry run without a key file.
    pub from: Option<Address>,
    /// The owner; `None`: the sender.
    pub owner: Option<Address>,
    /// The refund lock time in seconds.
    pub lock_time: u64,
    /// FineTuningServing's penalty percentage.
    pub penalty: u64,
    /// The first nonce of a dry run without an endpoint (`None`: 0).
    pub nonce: Option<u64>,
    /// Where the artifacts are.
    pub artifacts: PathBuf,
    /// Print the plan, send nothing.
    pub dry_run: bool,
    /// Deploy every contract behind a beacon proxy.
    pub proxies: bool,
}

/// Where `cargo xtask build` writes the artifacts: `$CARGO_TARGET_DIR/stylus`
/// when that variable is set, else `target/stylus` of this workspace.
pub fn default_artifacts_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("stylus"),
        None => crate::chain::workspace_root().join("target").join("stylus"),
    }
}

fn usage(message: impl Into<String>) -> DeployError {
    DeployError::Usage(message.into())
}

/// Parses the arguments (without the program name). Refuses unknown,
/// repeated, malformed and conflicting options with one
/// [`DeployError::Usage`] each.
pub fn parse(args: &[String]) -> Result<Command, DeployError> {
    let mut values: Vec<(&'static str, String)> = Vec::new();
    let mut dry_run = false;
    let mut proxies = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let name: &'static str = match name {
            "-h" | "--help" => return Ok(Command::Help),
            flag @ ("--dry-run" | "--proxies") => {
                if inline.is_some() {
                    return Err(usage(format!("{flag} takes no value")));
                }
                let set = if flag == "--dry-run" {
                    &mut dry_run
                } else {
                    &mut proxies
                };
                if *set {
                    return Err(usage(format!("{flag} given twice")));
                }
                *set = true;
                continue;
            }
            "--rpc" => "--rpc",
            "--key-file" => "--key-file",
            "--from" => "--from",
            "--owner" => "--owner",
            "--lock-time" => "--lock-time",
            "--penalty" => "--penalty",
            "--nonce" => "--nonce",
            "--artifacts" => "--artifacts",
            other => return Err(usage(format!("unknown argument `{other}`"))),
        };
        let value = match inline {
            Some(value) => value,
            None => match it.next() {
                Some(value) if !value.starts_with("--") => value.clone(),
                _ => return Err(usage(format!("{name} needs a value"))),
            },
        };
        if value.is_empty() {
            return Err(usage(format!("{name} needs a value")));
        }
        if values.iter().any(|(n, _)| *n == name) {
            return Err(usage(format!("{name} given twice")));
        }
        values.push((name, value));
    }
    let get = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    let number = |name: &str, what: &str| -> Result<Option<u64>, DeployError> {
        get(name)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| usage(format!("{name}: `{v}` is not {what}")))
            })
            .transpose()
    };
    let address = |name: &str| -> Result<Option<Address>, DeployError> {
        get(name)
            .map(|v| {
                v.parse::<Address>().map_err(|_| {
                    usage(format!(
                        "{name}: `{v}` is not an address (0x and 40 hex digits)"
                    ))
                })
            })
            .transpose()
    };
    let rpc = get("--rpc")
        .map(|v| match v.parse::<Url>() {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
            _ => Err(usage(format!("--rpc: `{v}` is not an http(s) URL"))),
        })
        .transpose()?;
    let options = Options {
        rpc,
        key_file: get("--key-file").map(PathBuf::from),
        from: address("--from")?,
        owner: address("--owner")?,
        lock_time: number("--lock-time", "a number of seconds")?.unwrap_or(DEFAULT_LOCK_TIME),
        penalty: number("--penalty", "a percentage")?
            .unwrap_or(crate::deploy::DEFAULT_PENALTY_PERCENTAGE),
        nonce: number("--nonce", "a nonce")?,
        artifacts: get("--artifacts")
            .map(PathBuf::from)
            .unwrap_or_else(default_artifacts_dir),
        dry_run,
        proxies,
    };
    if options.penalty > 100 {
        return Err(usage(format!(
            "--penalty: {} is above 100 %",
            options.penalty
        )));
    }
    if options.owner == Some(Address::ZERO) {
        return Err(usage("--owner: the zero address cannot own the contracts"));
    }
    if options.dry_run {
        match (&options.key_file, options.from) {
            (Some(_), Some(_)) => {
                return Err(usage(
                    "--from and --key-file both name the sender: give one",
                ))
            }
            (None, None) => {
                return Err(usage(
                    "a dry run needs the sender: --key-file PATH or --from ADDR",
                ))
            }
            _ => {}
        }
        if options.rpc.is_some() && options.nonce.is_some() {
            return Err(usage(
                "--nonce conflicts with --rpc: the dry run reads the sender's nonce from the node",
            ));
        }
    } else {
        if options.from.is_some() {
            return Err(usage(
                "--from is only for --dry-run: a deployment signs with --key-file",
            ));
        }
        if options.nonce.is_some() {
            return Err(usage(
                "--nonce is only for --dry-run: a deployment starts at the sender's next nonce",
            ));
        }
        if options.rpc.is_none() {
            return Err(usage("--rpc URL is required to deploy (or --dry-run)"));
        }
        if options.key_file.is_none() {
            return Err(usage(
                "--key-file PATH is required to deploy (or --dry-run)",
            ));
        }
    }
    Ok(Command::Run(Box::new(options)))
}

/// The private key in a key file's text: 64 hex digits, with or without
/// `0x`, surrounded by nothing but whitespace.
fn parse_key(text: &str) -> Option<B256> {
    let text = text.trim();
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex.parse().ok()
}

/// The signer of the private key in `path` (see [`USAGE`]). Errors name the
/// file and what is wrong, never its content.
pub fn read_key_file(path: &Path) -> Result<PrivateKeySigner, DeployError> {
    let error = |reason: &str| DeployError::KeyFile {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let malformed = "not a private key: expected 64 hex digits, with or without 0x";
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => error("not found"),
        std::io::ErrorKind::InvalidData => error(malformed),
        _ => error(&e.to_string()),
    })?;
    let key = parse_key(&text).ok_or_else(|| error(malformed))?;
    PrivateKeySigner::from_bytes(&key)
        .map_err(|_| error("not a valid secp256k1 private key (zero or above the curve order)"))
}

/// The HTTP transport of the command: a connection that does not open
/// within 10 s, or a request not answered within 2 min, fails.
fn transport(url: &Url) -> Result<Http<Client>, DeployError> {
    let client = Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| DeployError::Unreachable(format!("cannot build an HTTP client: {e}")))?;
    Ok(Http::with_client(client, url.clone()))
}

/// A provider without a signer on `url`.
pub fn reader(url: &Url) -> Result<ReadProvider, DeployError> {
    let http = transport(url)?;
    let local = http.guess_local();
    Ok(ProviderBuilder::new().on_client(RpcClient::new(http, local)))
}

/// A signing provider on `url` for `signer` (gas, fees, chain id filled in).
pub fn wallet(url: &Url, signer: PrivateKeySigner) -> Result<WalletProvider, DeployError> {
    let http = transport(url)?;
    let local = http.guess_local();
    Ok(ProviderBuilder::new()
        .with_recommended_fillers()
        .wallet(EthereumWallet::from(signer))
        .on_client(RpcClient::new(http, local)))
}

fn output(e: std::io::Error) -> DeployError {
    DeployError::Output(e.to_string())
}

/// Runs the command: reads the key and the artifacts, then
///
/// - a dry run without `--rpc`: prints the plan from the given nonce (0 by
///   default), activation fees not quoted;
/// - a dry run with `--rpc`: asks the chain (nonce, activation, fees; see
///   [`survey`]) and prints the plan;
/// - otherwise: asks the chain, prints the plan (without the data), sends
///   it ([`execute`]) and prints each transaction and the addresses.
///
/// Output goes to `out`; nothing is sent before every check has passed.
pub async fn run(options: &Options, out: &mut dyn Write) -> Result<(), DeployError> {
    let signer = options.key_file.as_deref().map(read_key_file).transpose()?;
    let sender = match (&signer, options.from) {
        (Some(signer), _) => signer.address(),
        (None, Some(from)) => from,
        (None, None) => {
            return Err(usage(
                "a dry run needs the sender: --key-file PATH or --from ADDR",
            ))
        }
    };
    let artifacts = Artifacts::load(&options.artifacts)?;
    let artifacts = match options.proxies {
        true => artifacts.with_beacon(&options.artifacts)?,
        false => artifacts,
    };
    let settings = Settings {
        owner: options.owner.unwrap_or(sender),
        lock_time: U256::from(options.lock_time),
        penalty_percentage: U256::from(options.penalty),
    };
    let Some(url) = &options.rpc else {
        let nonce = options.nonce.unwrap_or(0);
        let plan = plan(&artifacts, &settings, sender, nonce, |_| {
            Activation::Unknown
        });
        let nonce_note = match options.nonce {
            Some(_) => "given by --nonce",
            None => "the default; --nonce N to change it",
        };
        write!(
            out,
            "Dry run without a network: nothing is sent.\n\
             The first nonce is {nonce} ({nonce_note}): a deployment starts at the sender's \
             next nonce, and every address follows from it.\n\
             Activation data fees are not quoted without --rpc: each value below is 0. A \
             deployment quotes each fee (ArbWasm.activateProgram) and sends it plus {} %, the \
             rest coming back, and does not activate code the chain has already activated.\n\n{}",
            super::FEE_BUMP_PERCENT,
            plan.render(true)
        )
        .map_err(output)?;
        return Ok(());
    };
    if options.dry_run {
        let provider = reader(url)?;
        let survey = survey(&provider, sender, &artifacts).await?;
        let plan = plan(&artifacts, &settings, sender, survey.nonce, |p| {
            survey.activation(p)
        });
        write!(
            out,
            "Dry run on chain {} (Stylus version {}): nothing is sent.\n\n{}",
            survey.chain_id,
            survey.stylus_version,
            plan.render(true)
        )
        .map_err(output)?;
        return Ok(());
    }
    let signer = signer.ok_or_else(|| usage("--key-file PATH is required to deploy"))?;
    let wallet = wallet(url, signer)?;
    let survey = survey(&wallet, sender, &artifacts).await?;
    let plan = plan(&artifacts, &settings, sender, survey.nonce, |p| {
        survey.activation(p)
    });
    write!(
        out,
        "Deploying on chain {} (Stylus version {}):\n\n{}\n",
        survey.chain_id,
        survey.stylus_version,
        plan.render(false)
    )
    .map_err(output)?;
    out.flush().map_err(output)?;
    let total = plan.steps.len();
    execute(&wallet, &plan, |i, step, receipt| {
        // Progress only: a failed write here is reported by the final one.
        let _ = writeln!(
            out,
            "{}/{total} sent {} (gas used {}): {} at {}",
            i + 1,
            receipt.transaction_hash,
            receipt.gas_used,
            step.label,
            step.address
        );
        let _ = out.flush();
    })
    .await?;
    write!(
        out,
        "\nDeployed on chain {}, every program activated and initialized:\n{}",
        survey.chain_id, plan.contracts
    )
    .map_err(output)
}

#[cfg(test)]
mod tests {
    use alloy::{primitives::Bytes, sol_types::SolCall};

    use super::*;
    use crate::{
        bindings::{fine_tuning::FineTuningServing, InferenceServing, LedgerManager},
        deploy,
        deployment::{
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
                "--nonce is only for --dry-run",
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
        let dir =
            std::env::temp_dir().join(format!("serving-deploy-{name}-{}", std::process::id()));
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
            // The data embeds each call, in order, after the program.
            let mut rest = step.data.as_ref();
            for calldata in &step.calldata {
                let at = rest
                    .windows(calldata.len())
                    .position(|w| w == calldata.as_ref())
                    .unwrap_or_else(|| panic!("{}: calldata not in the data", step.header));
                rest = &rest[at + calldata.len()..];
            }
            assert!(rest.is_empty(), "{}: the calls end the data", step.header);
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
        let inf = configuration(1);
        assert_eq!(inf.len(), 2);
        assert_eq!(
            InferenceServing::setViewsCall::abi_decode(inf[0], true)
                .unwrap()
                .views,
            inference_views
        );
        let init = InferenceServing::initializeCall::abi_decode(inf[1], true).unwrap();
        assert_eq!((init.ledger, init.owner), (ledger, owner));
        let ft = configuration(3);
        assert_eq!(ft.len(), 2);
        assert_eq!(
            FineTuningServing::setViewsCall::abi_decode(ft[0], true)
                .unwrap()
                .views,
            fine_tuning_views
        );
        let init = FineTuningServing::initializeCall::abi_decode(ft[1], true).unwrap();
        assert_eq!((init.ledger, init.owner), (ledger, owner));
        let ledger_calls = configuration(4);
        assert_eq!(ledger_calls.len(), 1);
        let init = LedgerManager::initializeCall::abi_decode(ledger_calls[0], true).unwrap();
        assert_eq!(
            (init.inference, init.fineTuning, init.owner),
            (inference, fine_tuning, owner)
        );
        addresses
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
        let o = options(&[
            "--dry-run",
            "--from",
            FROM,
            "--nonce",
            "3",
            "--owner",
            owner,
            "--lock-time",
            "120",
            "--penalty",
            "40",
            "--artifacts",
            dir_arg,
        ]);
        let mut out = Vec::new();
        run(&o, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Dry run without a network: nothing is sent."));
        assert!(text.contains("The first nonce is 3 (given by --nonce)"));
        let addresses = check_printed_plan(&text, owner.parse().unwrap());
        let from: Address = FROM.parse().unwrap();
        let ledger = addresses
            .iter()
            .find(|(n, _)| n == "LedgerManager")
            .unwrap()
            .1;
        assert_eq!(ledger, deploy::created_address(from, 7));
        // The printed plan is the library's plan.
        let settings = Settings {
            owner: owner.parse().unwrap(),
            lock_time: U256::from(120u64),
            penalty_percentage: U256::from(40u64),
        };
        let expected = plan(&fake_artifacts(), &settings, from, 3, |_| {
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
        let o = options(&[
            "--dry-run",
            "--key-file",
            key.to_str().unwrap(),
            "--artifacts",
            dir_arg,
        ]);
        let mut out = Vec::new();
        run(&o, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("The first nonce is 0 (the default"));
        let dev0: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse()
            .unwrap();
        check_printed_plan(&text, dev0);
        assert!(text.contains(&format!("program at {}", deploy::created_address(dev0, 0))));

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
        let mut out = Vec::new();
        run(&o, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        let (steps, addresses) = read_printed(&text);
        assert_eq!(steps.len(), 11);
        assert!(steps[10]
            .header
            .starts_with("11/11 LedgerManager (beacon proxy) (evm-beacon-proxy)"));
        assert_eq!(addresses.len(), 12);
        let from: Address = FROM.parse().unwrap();
        let ledger = addresses
            .iter()
            .find(|(n, _)| n == "LedgerManager")
            .unwrap()
            .1;
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
}
