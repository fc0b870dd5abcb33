//! The `market` command line: `market simulate [options]`.

use std::path::PathBuf;

use alloy_primitives::{utils::parse_ether, Address, U256};

use super::{Config, ConfigError, Faults};

/// The usage text.
pub const USAGE: &str = "\
usage: market simulate [options]

Runs a marketplace of TEE-backed providers and users on the serving
contracts and prints what happened. The same seed gives the same report.

options:
  --providers N          providers (default 4)
  --users N              users (default 200)
  --requests N           requests users send (default 20000)
  --seed N               seed of every random choice (default 7)
  --user-funds ETH       what each user deposits, in ether (default 0.001)
  --batch-size N         records per settlement transaction (default 100)
  --tick N               requests between settlement-engine ticks (default 200)
  --fine-tuning-tasks N  fine-tuning tasks (default 20)
  --faults LIST          key-rotation, early-retrieval, replay, reorder,
                         all or none, comma-separated (default none)
  --json                 print the report as JSON
  --quiet                no progress on stderr
  --help                 this text

on a chain (every call a real transaction; the report adds gas):
  --rpc URL              the chain's JSON-RPC endpoint: deploys the contracts
                         built by `cargo xtask build` there (target/stylus)
  --key-file PATH        the key that deploys and funds every simulated
                         account: a file holding 64 hex digits, with or
                         without 0x (required with --rpc)
  --ledger ADDR          use these contracts instead of deploying them
  --inference ADDR       (all three together; the ledger must be wired to
  --fine-tuning ADDR     the two others)";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The market.
    pub config: Config,
    /// Print JSON instead of text.
    pub json: bool,
    /// No progress lines.
    pub quiet: bool,
    /// Run on a chain instead of in process.
    pub chain: Option<Box<ChainOptions>>,
}

/// Where a run on a chain goes (`--rpc` and what goes with it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainOptions {
    /// The JSON-RPC endpoint (`http://` or `https://`).
    pub url: String,
    /// The file holding the key that deploys and funds the accounts.
    pub key_file: PathBuf,
    /// Contracts to use instead of deploying: ledger, inference and
    /// fine-tuning.
    pub contracts: Option<[Address; 3]>,
}

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Print the usage.
    Help,
    /// Run a simulation.
    Simulate(Options),
}

/// Parses the arguments after the program name; errors are one line.
pub fn parse(args: &[String]) -> Result<Command, ConfigError> {
    let fail = |message: String| Err(ConfigError(message));
    let mut args = args.iter();
    match args.next().map(String::as_str) {
        Some("simulate") => {}
        Some("--help" | "-h" | "help") | None => return Ok(Command::Help),
        Some(other) => {
            return fail(format!(
                "unknown command `{other}` (expected `simulate`; see --help)"
            ))
        }
    }
    let mut options = Options {
        config: Config::default(),
        json: false,
        quiet: false,
        chain: None,
    };
    let mut rpc = None;
    let mut key_file = None;
    let mut contracts: [Option<Address>; 3] = [None; 3];
    while let Some(flag) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| ConfigError(format!("{name} needs a value")))
        };
        let c = &mut options.config;
        match flag.as_str() {
            "--providers" => c.providers = number(flag, &value(flag)?)?,
            "--users" => c.users = number(flag, &value(flag)?)?,
            "--requests" => c.requests = number(flag, &value(flag)?)?,
            "--seed" => c.seed = number(flag, &value(flag)?)?,
            "--batch-size" => c.batch_size = number(flag, &value(flag)?)?,
            "--tick" => c.tick = number(flag, &value(flag)?)?,
            "--fine-tuning-tasks" => c.fine_tuning_tasks = number(flag, &value(flag)?)?,
            "--user-funds" => c.user_funds = ether(flag, &value(flag)?)?,
            "--faults" => c.faults = Faults::parse(&value(flag)?)?,
            "--rpc" => rpc = Some(url(flag, &value(flag)?)?),
            "--key-file" => key_file = Some(PathBuf::from(value(flag)?)),
            "--ledger" => contracts[0] = Some(address(flag, &value(flag)?)?),
            "--inference" => contracts[1] = Some(address(flag, &value(flag)?)?),
            "--fine-tuning" => contracts[2] = Some(address(flag, &value(flag)?)?),
            "--json" => options.json = true,
            "--quiet" => options.quiet = true,
            "--help" | "-h" => return Ok(Command::Help),
            other => return fail(format!("unknown option `{other}` (see --help)")),
        }
    }
    options.chain = chain_options(rpc, key_file, contracts)?;
    options.config.validate()?;
    Ok(Command::Simulate(options))
}

/// The contract flags, in the order of [`ChainOptions::contracts`].
const CONTRACT_FLAGS: [&str; 3] = ["--ledger", "--inference", "--fine-tuning"];

/// Checks that the chain options go together.
fn chain_options(
    rpc: Option<String>,
    key_file: Option<PathBuf>,
    contracts: [Option<Address>; 3],
) -> Result<Option<Box<ChainOptions>>, ConfigError> {
    // The contract flags given (`true`) or missing (`false`).
    let flags = |given: bool| -> Vec<&str> {
        let flags = CONTRACT_FLAGS.iter().zip(contracts);
        flags
            .filter(|(_, c)| c.is_some() == given)
            .map(|(flag, _)| *flag)
            .collect()
    };
    let given = flags(true);
    let Some(url) = rpc else {
        if key_file.is_some() {
            return Err(ConfigError("--key-file needs --rpc URL".into()));
        }
        if let Some(flag) = given.first() {
            return Err(ConfigError(format!("{flag} needs --rpc URL")));
        }
        return Ok(None);
    };
    let key_file = key_file.ok_or_else(|| {
        ConfigError(
            "--rpc needs --key-file PATH (the key that funds the simulated accounts)".into(),
        )
    })?;
    let contracts = match contracts {
        [Some(ledger), Some(inference), Some(fine_tuning)] => {
            Some([ledger, inference, fine_tuning])
        }
        [None, None, None] => None,
        _ => {
            let missing = flags(false);
            return Err(ConfigError(format!(
                "--ledger, --inference and --fine-tuning go together: {} given, {} missing",
                given.join(" and "),
                missing.join(" and ")
            )));
        }
    };
    Ok(Some(Box::new(ChainOptions {
        url,
        key_file,
        contracts,
    })))
}

fn url(flag: &str, value: &str) -> Result<String, ConfigError> {
    let host = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    match host {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(value.into()),
        _ => Err(ConfigError(format!(
            "{flag} takes an http:// or https:// URL, not `{value}`"
        ))),
    }
}

fn address(flag: &str, value: &str) -> Result<Address, ConfigError> {
    let hex = value.strip_prefix("0x").unwrap_or(value);
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ConfigError(format!(
            "{flag} takes an address (0x and 40 hex digits), not `{value}`"
        )));
    }
    value
        .parse()
        .map_err(|_| ConfigError(format!("{flag} takes an address, not `{value}`")))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, ConfigError> {
    value
        .parse()
        .map_err(|_| ConfigError(format!("{flag} takes a whole number, not `{value}`")))
}

fn ether(flag: &str, value: &str) -> Result<U256, ConfigError> {
    parse_ether(value)
        .map_err(|_| ConfigError(format!("{flag} takes an amount in ether, not `{value}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_the_readme_command() {
        let Command::Simulate(options) = parse(&args(
            "simulate --providers 4 --users 200 --requests 20000 --seed 7",
        ))
        .unwrap() else {
            panic!("not a simulation")
        };
        assert_eq!(options.config, Config::default());
        let Command::Simulate(options) = parse(&args(
            "simulate --user-funds 0.5 --faults all --json --quiet",
        ))
        .unwrap() else {
            panic!("not a simulation")
        };
        assert_eq!(
            options.config.user_funds,
            U256::from(500_000_000_000_000_000u64)
        );
        assert_eq!(options.config.faults, Faults::all());
        assert!(options.json && options.quiet);
        assert_eq!(parse(&[]).unwrap(), Command::Help);
    }

    #[test]
    fn parses_a_run_on_a_chain() {
        let Command::Simulate(options) = parse(&args(
            "simulate --users 6 --requests 60 --rpc http://127.0.0.1:8545 --key-file /tmp/k",
        ))
        .unwrap() else {
            panic!("not a simulation")
        };
        let chain = options.chain.expect("a chain");
        assert_eq!(chain.url, "http://127.0.0.1:8545");
        assert_eq!(chain.key_file, PathBuf::from("/tmp/k"));
        assert_eq!(chain.contracts, None);
        assert_eq!(options.config.users, 6);

        let (l, i, f) = (
            "0x1111111111111111111111111111111111111111",
            "0x2222222222222222222222222222222222222222",
            "0x3333333333333333333333333333333333333333",
        );
        let line = format!(
            "simulate --rpc https://rpc.example --key-file k --ledger {l} --inference {i} --fine-tuning {f}"
        );
        let Command::Simulate(options) = parse(&args(&line)).unwrap() else {
            panic!("not a simulation")
        };
        let contracts = options.chain.expect("a chain").contracts.expect("given");
        assert_eq!(
            contracts,
            [
                l.parse::<Address>().unwrap(),
                i.parse().unwrap(),
                f.parse().unwrap()
            ]
        );

        let Command::Simulate(options) = parse(&args("simulate --requests 10")).unwrap() else {
            panic!("not a simulation")
        };
        assert_eq!(options.chain, None);
    }

    #[test]
    fn conflicting_or_incomplete_chain_options_are_refused() {
        let a = "0x1111111111111111111111111111111111111111";
        for (line, expected) in [
            (
                "simulate --key-file k".to_string(),
                "--key-file needs --rpc URL",
            ),
            (format!("simulate --ledger {a}"), "--ledger needs --rpc URL"),
            (
                format!("simulate --key-file k --fine-tuning {a}"),
                "--key-file needs --rpc URL",
            ),
            (
                "simulate --rpc http://h".into(),
                "--rpc needs --key-file PATH",
            ),
            (
                format!("simulate --rpc http://h --key-file k --ledger {a}"),
                "--ledger given, --inference and --fine-tuning missing",
            ),
            (
                format!("simulate --rpc http://h --key-file k --ledger {a} --fine-tuning {a}"),
                "--ledger and --fine-tuning given, --inference missing",
            ),
            (
                "simulate --rpc 127.0.0.1:8545 --key-file k".into(),
                "--rpc takes an http:// or https:// URL, not `127.0.0.1:8545`",
            ),
            (
                "simulate --rpc http:// --key-file k".into(),
                "--rpc takes an http",
            ),
            (
                "simulate --rpc http://h --key-file k --ledger 0x12".into(),
                "--ledger takes an address (0x and 40 hex digits), not `0x12`",
            ),
            (
                "simulate --rpc http://h --key-file".into(),
                "--key-file needs a value",
            ),
            (
                "simulate --rpc http://h --key-file k --providers 0".into(),
                "--providers must be between 1 and 64",
            ),
        ] {
            let error = parse(&args(&line)).unwrap_err().to_string();
            assert!(error.contains(expected), "{line}: {error}");
            assert!(!error.contains('\n'), "{line}: {error}");
        }
    }

    #[test]
    fn bad_input_is_one_line() {
        for line in [
            "simulate --providers 0",
            "simulate --users x",
            "simulate --requests",
            "simulate --frobnicate",
            "simulate --faults meteor",
            "simulate --user-funds lots",
            "simulate --requests 100000000",
            "deploy",
        ] {
            let error = parse(&args(line)).unwrap_err().to_string();
            assert!(
                !error.is_empty() && !error.contains('\n'),
                "{line}: {error}"
            );
        }
    }
}
