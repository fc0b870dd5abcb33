//! The `market` command line: `market simulate [options]`.

use alloy_primitives::{utils::parse_ether, U256};

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
  --help                 this text";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The market.
    pub config: Config,
    /// Print JSON instead of text.
    pub json: bool,
    /// No progress lines.
    pub quiet: bool,
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
    };
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
            "--json" => options.json = true,
            "--quiet" => options.quiet = true,
            "--help" | "-h" => return Ok(Command::Help),
            other => return fail(format!("unknown option `{other}` (see --help)")),
        }
    }
    options.config.validate()?;
    Ok(Command::Simulate(options))
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
