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
created, activated and constructed in one transaction by the chain's
StylusDeployer (as cargo stylus deploy does), wired to the others.

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
  --deployer-nonce N the StylusDeployer's nonce, for a dry run without --rpc
                     (default 0)
  --local            on a local node without a StylusDeployer (arbos-anvil),
                     install it first (anvil_setCode, from
                     ../shared/vendor/stylus-deployer)
  --proxies          put every contract behind a beacon proxy: its
                     implementation, an EVM UpgradeableBeacon, and an
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
    /// The StylusDeployer's nonce for a dry run without an endpoint
    /// (`None`: 0).
    pub deployer_nonce: Option<u64>,
    /// Install the StylusDeployer on a local node that has none.
    pub local: bool,
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
    let mut local = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let name: &'static str = match name {
            "-h" | "--help" => return Ok(Command::Help),
            flag @ ("--dry-run" | "--proxies" | "--local") => {
                if inline.is_some() {
                    return Err(usage(format!("{flag} takes no value")));
                }
                let set = match flag {
                    "--dry-run" => &mut dry_run,
                    "--proxies" => &mut proxies,
                    _ => &mut local,
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
            "--deployer-nonce" => "--deployer-nonce",
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
        deployer_nonce: number("--deployer-nonce", "a nonce")?,
        local,
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
        if options.rpc.is_some() && options.deployer_nonce.is_some() {
            return Err(usage(
                "--deployer-nonce conflicts with --rpc: the dry run reads it from the node",
            ));
        }
        if options.local {
            return Err(usage(
                "--local is not for --dry-run: a dry run changes nothing on the node",
            ));
        }
    } else {
        if options.from.is_some() {
            return Err(usage(
                "--from is only for --dry-run: a deployment signs with --key-file",
            ));
        }
        if options.nonce.is_some() || options.deployer_nonce.is_some() {
            return Err(usage(
                "--nonce and --deployer-nonce are only for --dry-run: a deployment reads both \
                 from the node",
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
        true => artifacts.with_proxies(),
        false => artifacts,
    };
    let settings = Settings {
        owner: options.owner.unwrap_or(sender),
        lock_time: U256::from(options.lock_time),
        penalty_percentage: U256::from(options.penalty),
    };
    let Some(url) = &options.rpc else {
        let nonce = options.nonce.unwrap_or(0);
        let deployer_nonce = options.deployer_nonce.unwrap_or(0);
        let plan = plan(&artifacts, &settings, sender, nonce, deployer_nonce, |_| {
            Activation::Unknown
        });
        let nonce_note = match options.nonce {
            Some(_) => "given by --nonce",
            None => "the default; --nonce N to change it",
        };
        write!(
            out,
            "Dry run without a network: nothing is sent.\n\
             The first nonce is {nonce} ({nonce_note}) and the StylusDeployer's \
             {deployer_nonce} (--deployer-nonce N): a deployment reads both from the chain, and \
             every address follows from them.\n\
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
        let plan = plan(
            &artifacts,
            &settings,
            sender,
            survey.nonce,
            survey.deployer_nonce.unwrap_or(0),
            |p| survey.activation(p),
        );
        let missing = match survey.deployer_nonce {
            Some(_) => "",
            None => {
                "The chain has no StylusDeployer: a deployment needs it (on a local node, \
                 --local installs it; the plan assumes its nonce 0).\n"
            }
        };
        write!(
            out,
            "Dry run on chain {} (Stylus version {}): nothing is sent.\n{missing}\n{}",
            survey.chain_id,
            survey.stylus_version,
            plan.render(true)
        )
        .map_err(output)?;
        return Ok(());
    }
    let signer = signer.ok_or_else(|| usage("--key-file PATH is required to deploy"))?;
    let wallet = wallet(url, signer)?;
    if options.local {
        super::stylus_deployer::ensure_installed(&wallet)
            .await
            .map_err(|e| DeployError::Rpc(format!("installing the StylusDeployer: {e}")))?;
    }
    let survey = survey(&wallet, sender, &artifacts).await?;
    let deployer_nonce = survey.deployer_nonce.ok_or(DeployError::NoStylusDeployer)?;
    let plan = plan(
        &artifacts,
        &settings,
        sender,
        survey.nonce,
        deployer_nonce,
        |p| survey.activation(p),
    );
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
        "\nDeployed on chain {}, every program activated and configured:\n{}",
        survey.chain_id, plan.contracts
    )
    .map_err(output)
}

#[cfg(test)]
mod tests;
