//! The marketplace, simulated: TEE-backed providers with their settlement
//! engine, users who check attestations and signatures, and faults, run
//! against the contracts through a [`Backend`] (the contracts' own code in
//! process, or a real chain).
//!
//! A run has four phases:
//! 1. setup: providers register their services; users open ledgers, check
//!    each chosen provider's attestation, fund a sub-account and
//!    acknowledge the attested TEE signer;
//! 2. trading: `requests` requests from random users to random providers
//!    they use; every `tick` requests each provider's settlement engine
//!    runs (see [`provider`]), fine-tuning tasks are ordered, delivered
//!    and settled, and the faults switched on strike;
//! 3. closing: every provider settles what it is still owed;
//! 4. exit: users retrieve their sub-accounts, the lock time passes, they
//!    retrieve the matured refunds and take their ledgers back to their
//!    wallets.
//!
//! After every state-changing operation the invariants of the architecture
//! page are checked for the users it touched and globally (see
//! [`sim::Checker`]).

pub mod backend;
pub mod cli;
pub mod in_process;
pub mod provider;
pub mod report;
#[cfg(feature = "chain")]
pub mod rpc;
pub mod sim;
pub mod tee;
pub mod user;

use std::fmt;

use alloy_primitives::U256;
pub use backend::{Backend, Failure, Kind, SubAccount};
pub use in_process::InProcess;
pub use report::Report;
#[cfg(feature = "chain")]
pub use rpc::Rpc;
pub use sim::{simulate, Progress};

/// The faults a run can switch on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Halfway through, provider 0's TEE reboots with a new key: users must
    /// notice (response signatures) and stop; its records fail.
    pub key_rotation: bool,
    /// A third of the way through, some users retrieve a sub-account whose
    /// provider is still owed fees: the provider must collect them before
    /// the lock time ends.
    pub early_retrieval: bool,
    /// Settled batches are sent again: none of their records may settle.
    pub replay: bool,
    /// One provider's signed batch is held back and sent after the next
    /// one: records whose nonce was overtaken fail.
    pub reorder: bool,
}

impl Faults {
    /// Every fault's name, as `--faults` takes it.
    pub const NAMES: [&'static str; 4] = ["key-rotation", "early-retrieval", "replay", "reorder"];

    /// Every fault on.
    pub fn all() -> Self {
        Self {
            key_rotation: true,
            early_retrieval: true,
            replay: true,
            reorder: true,
        }
    }

    /// Parses a comma-separated list of fault names, `all` or `none`.
    pub fn parse(list: &str) -> Result<Self, ConfigError> {
        let mut faults = Faults::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "all" => faults = Faults::all(),
                "none" => {}
                "key-rotation" => faults.key_rotation = true,
                "early-retrieval" => faults.early_retrieval = true,
                "replay" => faults.replay = true,
                "reorder" => faults.reorder = true,
                other => {
                    return Err(ConfigError(format!(
                        "unknown fault `{other}` (expected {}, all or none)",
                        Faults::NAMES.join(", ")
                    )))
                }
            }
        }
        Ok(faults)
    }

    /// The names of the faults switched on.
    pub fn names(&self) -> Vec<String> {
        let on = [
            self.key_rotation,
            self.early_retrieval,
            self.replay,
            self.reorder,
        ];
        Faults::NAMES
            .iter()
            .zip(on)
            .filter(|(_, on)| *on)
            .map(|(n, _)| n.to_string())
            .collect()
    }
}

/// A run's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Providers (1 to 64).
    pub providers: usize,
    /// Users (1 to 10,000).
    pub users: usize,
    /// Requests users send (at least 1).
    pub requests: u64,
    /// Seed of every random choice: the same seed, the same report.
    pub seed: u64,
    /// Wei each user deposits in its ledger.
    pub user_funds: U256,
    /// Records per settlement transaction the engine waits for (1 to 500).
    pub batch_size: usize,
    /// Requests between two ticks of the settlement engine.
    pub tick: u64,
    /// Fine-tuning tasks ordered during the run.
    pub fine_tuning_tasks: usize,
    /// Refund lock time, seconds.
    pub lock_time: u64,
    /// Share of a fine-tuning fee charged when the user never acknowledged
    /// the deliverable, percent.
    pub penalty_percentage: u8,
    /// Faults switched on.
    pub faults: Faults,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            providers: 4,
            users: 200,
            requests: 20_000,
            seed: 7,
            user_funds: U256::from(1_000_000_000_000_000u64),
            batch_size: 100,
            tick: 200,
            fine_tuning_tasks: 20,
            lock_time: 86_400,
            penalty_percentage: 30,
            faults: Faults::default(),
        }
    }
}

/// Prompt tokens of a request: at most this many.
pub const MAX_INPUT_TOKENS: u64 = 2_000;
/// Completion tokens of a request: at most this many.
pub const MAX_OUTPUT_TOKENS: u64 = 1_000;

impl Config {
    /// Provider `i`'s prices per prompt and completion token, in wei.
    pub fn prices(i: usize) -> (U256, U256) {
        let step = U256::from(1 + i as u64 % 3);
        (
            U256::from(100_000_000u64) * step,
            U256::from(300_000_000u64) * step,
        )
    }

    /// The largest fee one request can cost.
    pub fn max_request_fee(&self) -> U256 {
        (0..self.providers.min(3))
            .map(|i| {
                let (input, output) = Config::prices(i);
                input * U256::from(MAX_INPUT_TOKENS) + output * U256::from(MAX_OUTPUT_TOKENS)
            })
            .max()
            .unwrap_or_default()
    }

    /// Refuses parameters no market can run with, in one line.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |message: String| Err(ConfigError(message));
        if !(1..=64).contains(&self.providers) {
            return fail(format!(
                "--providers must be between 1 and 64, not {}",
                self.providers
            ));
        }
        if !(1..=10_000).contains(&self.users) {
            return fail(format!(
                "--users must be between 1 and 10000, not {}",
                self.users
            ));
        }
        if self.requests == 0 {
            return fail("--requests must be at least 1".into());
        }
        if !(1..=provider::MAX_BATCH).contains(&self.batch_size) {
            return fail(format!(
                "--batch-size must be between 1 and {}, not {}",
                provider::MAX_BATCH,
                self.batch_size
            ));
        }
        if self.tick == 0 {
            return fail("--tick must be at least 1".into());
        }
        if self.penalty_percentage > 100 {
            return fail(format!(
                "the penalty must be at most 100%, not {}%",
                self.penalty_percentage
            ));
        }
        if self.user_funds.is_zero() {
            return fail("--user-funds must be above zero".into());
        }
        let funds = self.user_funds.saturating_mul(U256::from(self.users));
        let worst = self
            .max_request_fee()
            .saturating_mul(U256::from(self.requests));
        if worst > funds {
            let most = funds / self.max_request_fee();
            return fail(format!(
                "{} requests cannot be funded: {} users with {} wei each pay for at most {most} requests at the highest fee ({} wei); raise --user-funds or --users",
                self.requests,
                self.users,
                self.user_funds,
                self.max_request_fee()
            ));
        }
        Ok(())
    }
}

/// Parameters no market can run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn impossible_parameters_are_refused_in_one_line() {
        let with = |change: fn(&mut Config)| {
            let mut config = Config::default();
            change(&mut config);
            config
        };
        let bad = [
            with(|c| c.providers = 0),
            with(|c| c.users = 0),
            with(|c| c.requests = 0),
            with(|c| c.batch_size = 501),
            with(|c| c.tick = 0),
            with(|c| c.user_funds = U256::ZERO),
            with(|c| c.requests = 10_000_000),
        ];
        for config in bad {
            let error = config.validate().unwrap_err().to_string();
            assert!(!error.contains('\n'), "{error}");
        }
        let error = with(|c| c.requests = 10_000_000).validate().unwrap_err();
        assert!(error.0.contains("cannot be funded"), "{error}");
    }

    #[test]
    fn faults_parse_by_name() {
        assert_eq!(Faults::parse("all").unwrap(), Faults::all());
        assert_eq!(Faults::parse("").unwrap(), Faults::default());
        let some = Faults::parse("replay, key-rotation").unwrap();
        assert_eq!(some.names(), ["key-rotation", "replay"]);
        assert!(Faults::parse("meteor")
            .unwrap_err()
            .0
            .contains("unknown fault `meteor`"));
    }
}
