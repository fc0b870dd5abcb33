//! The broker's configuration: a TOML file (`--config`), some of whose
//! settings flags override. `broker.example.toml` lists every setting.

use std::{net::SocketAddr, path::PathBuf};

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The chain's JSON-RPC endpoint.
    pub rpc: String,
    /// InferenceServing's address.
    pub inference: Address,
    /// The provider's private key: a file of 64 hex digits (`0x`
    /// optional).
    pub provider_key_file: PathBuf,
    /// The simulated TEE's signing key, same format.
    pub tee_key_file: PathBuf,
    /// The simulated attestation root's key, same format.
    pub attestation_root_key_file: PathBuf,
    /// Where the broker listens.
    pub listen: SocketAddr,
    /// The service's URL as registered on chain: where users reach the
    /// broker.
    pub url: String,
    /// The OpenAI-compatible model server's base URL (ending in `/v1`).
    pub upstream: String,
    /// The model's name.
    pub model: String,
    /// Wei per prompt token, decimal.
    pub input_price: U256,
    /// Wei per completion token, decimal.
    pub output_price: U256,
    /// Completion tokens a request may produce when it does not say
    /// (`max_tokens`): the broker reserves their fee before forwarding.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u64,
    /// The SQLite database.
    pub database: PathBuf,
    /// The settlement engine.
    #[serde(default)]
    pub settlement: Settlement,
    /// The fine-tuning service, when the provider sells one.
    #[serde(default)]
    pub fine_tuning: Option<FineTuning>,
}

/// The fine-tuning service's settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FineTuning {
    /// FineTuningServing's address.
    pub contract: Address,
    /// Wei per dataset token and epoch, decimal.
    pub price_per_token: U256,
    /// The machine offered, as registered on chain.
    pub quota: Quota,
    /// The pre-trained models offered.
    pub models: Vec<Model>,
    /// Where datasets are found: a file per dataset, named by its root hash
    /// (`0x` and 64 hex digits).
    pub datasets: PathBuf,
    /// Where the sealed models are kept (and served from).
    pub models_dir: PathBuf,
    /// How long a delivered model waits for the user's acknowledgement
    /// before it is settled with the penalty, in seconds (at most half the
    /// contract's lock time).
    #[serde(default = "default_ack_timeout")]
    pub ack_timeout_secs: u64,
    /// Seconds between the task runner's ticks.
    #[serde(default = "default_task_interval")]
    pub interval_secs: u64,
    /// Tasks that may wait for the trainer.
    #[serde(default = "default_max_queue")]
    pub max_queue: u64,
}

/// A fine-tuning machine.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// CPUs.
    pub cpu_count: u64,
    /// Memory, GB.
    pub node_memory: u64,
    /// GPUs.
    pub gpu_count: u64,
    /// Storage, GB.
    pub node_storage: u64,
    /// The GPU's type.
    pub gpu_type: String,
}

/// A pre-trained model offered for fine-tuning (`/v1/model`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Its name.
    pub name: String,
    /// Its hash (the SDK's `preTrainedModelHash`).
    pub hash: alloy_primitives::B256,
    /// What it is.
    pub description: String,
    /// Its tokenizer's hash.
    #[serde(default)]
    pub tokenizer: String,
    /// `text` or `image`.
    #[serde(default = "default_data_type")]
    pub data_type: String,
    /// A zip of usage notes, served at `/v1/model/desc/{name}`.
    #[serde(default)]
    pub usage_file: Option<PathBuf>,
}

fn default_ack_timeout() -> u64 {
    3600
}

fn default_task_interval() -> u64 {
    5
}

fn default_max_queue() -> u64 {
    10
}

fn default_data_type() -> String {
    "text".into()
}

/// The settlement engine's settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Settlement {
    /// Seconds between ticks.
    pub interval_secs: u64,
    /// Records per batch.
    pub batch_size: usize,
    /// How long an account read from the chain is trusted, in seconds.
    pub account_cache_secs: u64,
}

impl Default for Settlement {
    fn default() -> Self {
        Settlement {
            interval_secs: 10,
            batch_size: 100,
            account_cache_secs: 5,
        }
    }
}

fn default_max_tokens() -> u64 {
    1024
}

/// The usage line.
pub const USAGE: &str =
    "usage: broker --config FILE [--listen ADDR] [--rpc URL] [--upstream URL] [--database FILE]";

impl Config {
    /// The configuration from the command line's arguments (without the
    /// program's name): the file of `--config`, then the flags.
    ///
    /// # Errors
    ///
    /// A message for the operator: an unknown or incomplete flag, an
    /// unreadable or invalid file.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let mut args = args.into_iter();
        let mut file = None;
        let mut overrides = Vec::new();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            match flag.as_str() {
                "--config" => file = Some(value),
                "--listen" | "--rpc" | "--upstream" | "--database" => overrides.push((flag, value)),
                _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
            }
        }
        let file = file.ok_or_else(|| format!("--config is required\n{USAGE}"))?;
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
        let mut config: Config = toml::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
        for (flag, value) in overrides {
            match flag.as_str() {
                "--listen" => {
                    config.listen = value
                        .parse()
                        .map_err(|e| format!("--listen {value}: {e}"))?;
                }
                "--rpc" => config.rpc = value,
                "--upstream" => config.upstream = value,
                _ => config.database = value.into(),
            }
        }
        Ok(config)
    }
}

/// Reads a private key file: 64 hex digits, `0x` optional, surrounding
/// whitespace ignored.
///
/// # Errors
///
/// A message naming the file.
pub fn read_key(path: &std::path::Path) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read key file {}: {e}", path.display()))?;
    let digits = text.trim();
    let digits = digits.strip_prefix("0x").unwrap_or(digits);
    let bytes = alloy_primitives::hex::decode(digits).unwrap_or_default();
    <[u8; 32]>::try_from(bytes)
        .map_err(|_| format!("key file {} is not 64 hex digits", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../broker.example.toml");

    fn write(name: &str, text: &str) -> String {
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    #[test]
    fn the_example_parses_and_flags_override_it() {
        let file = write("broker-config", EXAMPLE);
        let config = Config::from_args([
            "--config".to_string(),
            file.clone(),
            "--listen".into(),
            "127.0.0.1:9999".into(),
            "--database".into(),
            "other.sqlite".into(),
        ])
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:9999".parse().unwrap());
        assert_eq!(config.database, PathBuf::from("other.sqlite"));
        assert_eq!(config.settlement, Settlement::default());
        assert_eq!(config.max_tokens, 1024);
        let fine_tuning = config.fine_tuning.as_ref().unwrap();
        assert_eq!(fine_tuning.models[0].name, "distilbert-base-uncased");
        assert_eq!(fine_tuning.quota.gpu_count, 1);
        let written = toml::to_string(&config).unwrap();
        assert_eq!(
            toml::from_str::<Config>(&written).unwrap(),
            config,
            "{written}"
        );
        let error = Config::from_args([
            "--config".to_string(),
            file.clone(),
            "--port".into(),
            "1".into(),
        ]);
        assert!(error.unwrap_err().starts_with("unknown argument --port"));
        assert!(Config::from_args([])
            .unwrap_err()
            .starts_with("--config is required"));
        let bad = write(
            "broker-config-bad",
            &format!("{EXAMPLE}\ncolour = \"blue\"\n"),
        );
        assert!(Config::from_args(["--config".to_string(), bad])
            .unwrap_err()
            .contains("colour"));
    }

    #[test]
    fn key_files_are_64_hex_digits() {
        let key = format!("0x{}\n", "ab".repeat(32));
        assert_eq!(read_key(write("key-good", &key).as_ref()), Ok([0xab; 32]));
        let short = write("key-short", "abcd");
        assert!(read_key(short.as_ref())
            .unwrap_err()
            .contains("not 64 hex digits"));
        assert!(read_key("/nonexistent/key".as_ref())
            .unwrap_err()
            .contains("cannot read"));
    }
}
