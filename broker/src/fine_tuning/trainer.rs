//! What trains a model, behind [`Trainer`], and the default one: fast and
//! deterministic, for tests and demonstrations.

use alloy_primitives::hex;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::Model;

/// Trains pre-trained models on datasets.
pub trait Trainer: Send + Sync {
    /// The tokens of `dataset` as `model`'s tokenizer counts them: what the
    /// task is priced on.
    fn count_tokens(&self, model: &Model, dataset: &[u8]) -> u64;

    /// Fine-tunes `model` on `dataset` for `epochs` with `params` (the
    /// task's JSON text), reporting progress to `log`: the trained model's
    /// file.
    ///
    /// # Errors
    ///
    /// Why training failed (the task fails with it and is not charged).
    fn train(
        &self,
        model: &Model,
        dataset: &[u8],
        params: &str,
        epochs: u64,
        log: &mut dyn FnMut(String),
    ) -> Result<Vec<u8>, String>;
}

/// A trainer that trains nothing: one token per whitespace-separated word,
/// and a "model" whose weights are a SHA-256 chain over the base model, the
/// dataset, the parameters and each epoch. The same task always gives the
/// same file.
pub struct DeterministicTrainer;

impl Trainer for DeterministicTrainer {
    fn count_tokens(&self, _model: &Model, dataset: &[u8]) -> u64 {
        String::from_utf8_lossy(dataset).split_whitespace().count() as u64
    }

    fn train(
        &self,
        model: &Model,
        dataset: &[u8],
        params: &str,
        epochs: u64,
        log: &mut dyn FnMut(String),
    ) -> Result<Vec<u8>, String> {
        if dataset.is_empty() {
            return Err("the dataset is empty".into());
        }
        let mut state = Sha256::new()
            .chain_update(model.hash)
            .chain_update(Sha256::digest(dataset))
            .chain_update(params)
            .finalize();
        for epoch in 1..=epochs {
            state = Sha256::new()
                .chain_update(state)
                .chain_update(epoch.to_be_bytes())
                .finalize();
            log(format!("epoch {epoch}/{epochs}"));
        }
        let artifact = json!({
            "format": "deterministic-adapter/1",
            "base_model": model.hash,
            "dataset_sha256": hex::encode(Sha256::digest(dataset)),
            "epochs": epochs,
            "weights": hex::encode(state),
        });
        Ok(serde_json::to_vec_pretty(&artifact).expect("JSON of plain values"))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    fn model() -> Model {
        Model {
            name: "m".into(),
            hash: B256::repeat_byte(1),
            description: String::new(),
            tokenizer: String::new(),
            data_type: "text".into(),
            usage_file: None,
        }
    }

    #[test]
    fn the_same_task_gives_the_same_model() {
        let trainer = DeterministicTrainer;
        let mut lines = Vec::new();
        let first = trainer
            .train(&model(), b"a b c", "{}", 2, &mut |l| lines.push(l))
            .unwrap();
        assert_eq!(lines, ["epoch 1/2", "epoch 2/2"]);
        let again = trainer.train(&model(), b"a b c", "{}", 2, &mut |_| {});
        assert_eq!(again.unwrap(), first);
        let other = trainer.train(&model(), b"a b d", "{}", 2, &mut |_| {});
        assert_ne!(other.unwrap(), first);
        assert_eq!(trainer.count_tokens(&model(), b" a  b\nc "), 3);
        assert!(trainer.train(&model(), b"", "{}", 1, &mut |_| {}).is_err());
    }
}
