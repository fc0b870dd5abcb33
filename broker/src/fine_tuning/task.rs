//! A fine-tuning task: what the SDK posts (`createTask`), what the user
//! signed, how it is priced, and the states it moves through.
//!
//! The SDK signs a task as an Ethereum personal message over
//! `keccak256(abi.encodePacked(user, nonce, datasetHash, fee))` (its
//! `signRequest`), and a cancellation over `keccak256(taskId)` (the 16
//! bytes of the UUID, its `signTaskID`). The broker recovers the user's
//! public key from the first: the model's key is sealed to it.

use alloy_primitives::{hex, keccak256, Address, B256, U256};
use k256::ecdsa::VerifyingKey;
use serde::Deserialize;
use serde_json::{json, Value};
use serving_verifier::{eth_message, native};
use uuid::Uuid;

/// Epochs of a task whose parameters name none (the SDK's default).
pub const DEFAULT_EPOCHS: u64 = 3;

/// The body of `POST /v1/user/{address}/task`, as the SDK sends it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TaskRequest {
    /// The user (the path's address).
    pub user_address: Address,
    /// The dataset's root hash (`0x` and 64 hex digits).
    pub dataset_hash: String,
    /// The training parameters, a JSON document as text.
    pub training_params: String,
    /// The pre-trained model's hash.
    pub pre_trained_model_hash: B256,
    /// The fee the user agreed to, decimal wei.
    pub fee: String,
    /// The task's nonce, decimal (the settlement's nonce).
    pub nonce: String,
    /// The user's signature of the task, `0x` hex.
    pub signature: String,
    /// Whether the user agreed to queue behind other tasks.
    #[serde(default)]
    pub wait: bool,
}

/// Where a task is. The names are the SDK's (`task.progress`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Accepted, waiting for the trainer.
    Init,
    /// Being trained.
    Training,
    /// Trained and sealed; its deliverable is being added on chain.
    Delivering,
    /// On chain, waiting for the user's acknowledgement (or its timeout).
    Delivered,
    /// Settled on chain.
    Finished,
    /// Cancelled, refused by the trainer, or its settlement refused.
    Failed,
}

impl Progress {
    /// Every state.
    pub const ALL: [Progress; 6] = [
        Progress::Init,
        Progress::Training,
        Progress::Delivering,
        Progress::Delivered,
        Progress::Finished,
        Progress::Failed,
    ];

    /// The SDK's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::Init => "Init",
            Progress::Training => "Training",
            Progress::Delivering => "Delivering",
            Progress::Delivered => "Delivered",
            Progress::Finished => "Finished",
            Progress::Failed => "Failed",
        }
    }

    /// The state of a name.
    pub fn parse(name: &str) -> Option<Progress> {
        Progress::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether the task still holds the user's turn (one unfinished task
    /// per user).
    pub fn unfinished(self) -> bool {
        !matches!(self, Progress::Finished | Progress::Failed)
    }
}

/// A task as the broker keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Its id.
    pub id: Uuid,
    /// The user.
    pub user: Address,
    /// The user's public key (SEC1, uncompressed), recovered from the
    /// signature.
    pub user_key: Vec<u8>,
    /// The pre-trained model's hash.
    pub model_hash: B256,
    /// The dataset's root hash.
    pub dataset_hash: String,
    /// The training parameters.
    pub training_params: String,
    /// The fee.
    pub fee: U256,
    /// The nonce.
    pub nonce: U256,
    /// The user's signature, `0x` hex.
    pub signature: String,
    /// Where it is.
    pub progress: Progress,
    /// Unix seconds of its creation and last change.
    pub created_at: u64,
    /// Unix seconds of its last change.
    pub updated_at: u64,
    /// Unix seconds when its deliverable went on chain.
    pub deliver_time: Option<u64>,
    /// The sealed model's root hash (the deliverable's `modelRootHash`).
    pub root: Option<String>,
    /// The model's key sealed to the user (ECIES).
    pub encrypted_secret: Option<Vec<u8>>,
    /// How it ended: the settlement (full fee or penalty) or why it failed.
    pub outcome: Option<String>,
}

/// The digest the user signs for a task (the SDK's `signRequest`).
pub fn task_digest(user: Address, nonce: U256, dataset_hash: &str, fee: U256) -> B256 {
    let mut packed = Vec::with_capacity(84 + dataset_hash.len());
    packed.extend_from_slice(user.as_slice());
    packed.extend_from_slice(&nonce.to_be_bytes::<32>());
    packed.extend_from_slice(dataset_hash.as_bytes());
    packed.extend_from_slice(&fee.to_be_bytes::<32>());
    eth_message(keccak256(packed))
}

/// The digest the user signs to cancel task `id` (the SDK's
/// `signTaskID`).
pub fn cancel_digest(id: Uuid) -> B256 {
    eth_message(keccak256(id.as_bytes()))
}

/// The public key of `user` if `signature` is theirs over `digest`.
pub fn recover_user(digest: B256, signature: &str, user: Address) -> Option<VerifyingKey> {
    let bytes = hex::decode(signature).ok()?;
    let key = native::recover_key(digest, &bytes)?;
    (native::address(&key) == user).then_some(key)
}

/// A dataset root hash the broker accepts as a file name: `0x` and 64 hex
/// digits.
pub fn valid_dataset_hash(hash: &str) -> bool {
    hash.strip_prefix("0x")
        .is_some_and(|digits| digits.len() == 64 && hex::decode(digits).is_ok())
}

/// The epochs a task's parameters ask for, as the SDK prices them:
/// `num_train_epochs`, else `total_steps`, else [`DEFAULT_EPOCHS`].
///
/// # Errors
///
/// A message when the parameters are not a JSON object or the count is not
/// a whole number.
pub fn epochs(training_params: &str) -> Result<u64, String> {
    let params: Value = serde_json::from_str(training_params)
        .map_err(|e| format!("training parameters are not JSON: {e}"))?;
    let params = params
        .as_object()
        .ok_or("training parameters are not a JSON object")?;
    let count = |key: &str| match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key} is not a whole number")),
    };
    Ok(match count("num_train_epochs")? {
        Some(n) if n > 0 => n,
        _ => count("total_steps")?.unwrap_or(DEFAULT_EPOCHS),
    })
}

/// The fee a task of `tokens` dataset tokens and `epochs` costs at
/// `price_per_token`.
pub fn price(price_per_token: U256, tokens: u64, epochs: u64) -> U256 {
    price_per_token
        .saturating_mul(U256::from(tokens))
        .saturating_mul(U256::from(epochs))
}

fn http_date(secs: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

impl Task {
    /// The task as the SDK reads it (`getTask`, `listTask`).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "createdAt": http_date(self.created_at),
            "updatedAt": http_date(self.updated_at),
            "userAddress": self.user,
            "preTrainedModelHash": self.model_hash,
            "datasetHash": self.dataset_hash,
            "trainingParams": self.training_params,
            "fee": self.fee.to_string(),
            "nonce": self.nonce.to_string(),
            "signature": self.signature,
            "progress": self.progress.as_str(),
            "deliverTime": self.deliver_time.unwrap_or(0),
            "outputRootHash": self.root.clone().unwrap_or_default(),
            "encryptedSecret": self.encrypted_secret.as_ref().map(hex::encode_prefixed).unwrap_or_default(),
            "outcome": self.outcome,
        })
    }
}

#[cfg(test)]
mod tests {
    use k256::ecdsa::SigningKey;

    use super::*;

    #[test]
    fn epochs_follow_the_sdk() {
        assert_eq!(epochs(r#"{"num_train_epochs": 2}"#), Ok(2));
        assert_eq!(epochs(r#"{"total_steps": 5}"#), Ok(5));
        assert_eq!(
            epochs(r#"{"num_train_epochs": 0, "total_steps": 5}"#),
            Ok(5)
        );
        assert_eq!(epochs(r#"{"learning_rate": 0.1}"#), Ok(DEFAULT_EPOCHS));
        assert!(epochs(r#"{"num_train_epochs": 1.5}"#).is_err());
        assert!(epochs("[1]").is_err());
        assert!(epochs("not json").is_err());
        assert_eq!(price(U256::from(3), 10, 2), U256::from(60));
    }

    #[test]
    fn the_users_key_is_recovered_only_for_their_signature() {
        let key = SigningKey::from_slice(&[7; 32]).unwrap();
        let user = native::address(key.verifying_key());
        let digest = task_digest(user, U256::from(1), "0xab", U256::from(100));
        let signature = hex::encode_prefixed(native::sign(&key, digest));
        assert_eq!(
            recover_user(digest, &signature, user),
            Some(*key.verifying_key())
        );
        assert_eq!(recover_user(digest, &signature, Address::ZERO), None);
        let other = task_digest(user, U256::from(2), "0xab", U256::from(100));
        assert_eq!(recover_user(other, &signature, user), None);
        assert_eq!(recover_user(digest, "0x12", user), None);
    }

    #[test]
    fn states_and_hashes_round_trip() {
        for progress in Progress::ALL {
            assert_eq!(Progress::parse(progress.as_str()), Some(progress));
        }
        assert!(valid_dataset_hash(&B256::repeat_byte(1).to_string()));
        assert!(!valid_dataset_hash("0x../../etc/passwd"));
        assert!(!valid_dataset_hash("ab"));
    }
}
