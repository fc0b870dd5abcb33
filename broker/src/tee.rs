//! The provider's Trusted Execution Environment, behind [`Tee`], and a
//! simulated one ([`SimulatedTee`]).
//!
//! A TEE holds the key users acknowledge on chain (`acknowledgeTEESigner`):
//! it signs every response (the SDK checks the signature against the
//! attested signing address) and every settlement record (the contract
//! checks it); for fine-tuning it is the provider signer, and signs each
//! sealed model and each verifier input. The key never leaves the
//! implementation; the broker gets its address, its attestation and its
//! signatures.
//!
//! The simulated TEE is a secp256k1 key in the broker's memory, and its
//! attestation is a statement "this address is an enclave key" signed by a
//! simulated attestation root, a second key the operator holds. It proves
//! nothing about the hardware: whoever holds the key file can sign as the
//! "enclave", and the root key vouches for whatever it is told. A real
//! implementation (Intel TDX quote, NVIDIA GPU attestation) replaces it
//! behind the same trait.

use alloy_primitives::{eip191_hash_message, hex, keccak256, Address, B256, U256};
use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};
use serving_verifier::{native, settlement_digest, verifier_input_digest};

use crate::{chain::TEESettlementData, fine_tuning::chain::VerifierInput};

/// Domain tag of the simulated attestation statement.
const ATTESTATION_TAG: &[u8] = b"simulated-tee-attestation:v1";

/// What the attestation endpoints serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    /// The address of the enclave's signing key.
    pub signing_address: Address,
    /// The GPU attestation, a JSON document (the SDK parses it and posts it
    /// back to `/v1/quote/verify/gpu`).
    pub nvidia_payload: String,
    /// The CPU quote (served as base64 at `/v1/proxy/attestation/report`
    /// and as hex at `/v1/quote`, as the SDK reads it there).
    pub intel_quote: Vec<u8>,
}

/// A Trusted Execution Environment that signs for the provider.
pub trait Tee: Send + Sync {
    /// The address of its signing key.
    fn address(&self) -> Address;

    /// Its attestation.
    fn attestation(&self) -> Attestation;

    /// Whether `nvidia_payload` is a valid GPU attestation of this TEE.
    fn verify_gpu_payload(&self, nvidia_payload: &serde_json::Value) -> bool;

    /// Signs `text` as an Ethereum personal message (EIP-191, what the
    /// SDK's `verifySignature` recovers): 65 bytes, `v` in {27, 28}.
    fn sign_text(&self, text: &str) -> [u8; 65];

    /// A settlement record of `total_fee` for `user`'s requests with
    /// `provider`, signed over the digest the contract checks
    /// (`serving_verifier::settlement_digest`).
    fn sign_record(
        &self,
        provider: Address,
        user: Address,
        requests_hash: B256,
        nonce: U256,
        total_fee: U256,
    ) -> TEESettlementData;

    /// Signs the keccak256 of a sealed model's tags, without a message
    /// prefix (the SDK's `decryptModel` recovers it as is).
    fn sign_model_tags(&self, tags_hash: B256) -> [u8; 65];

    /// A fine-tuning verifier input settling deliverable `id` of `user`,
    /// signed over the digest the contract checks
    /// (`serving_verifier::verifier_input_digest`) as the provider signer.
    fn sign_verifier_input(&self, input: VerifierInputFields<'_>) -> VerifierInput;
}

/// What a fine-tuning verifier input settles.
#[derive(Clone, Copy, Debug)]
pub struct VerifierInputFields<'a> {
    /// The user.
    pub user: Address,
    /// The deliverable's id.
    pub id: &'a str,
    /// The deliverable's `modelRootHash`.
    pub model_root_hash: &'a [u8],
    /// The model's key sealed to the user; empty for the penalty.
    pub encrypted_secret: &'a [u8],
    /// The task's nonce.
    pub nonce: U256,
    /// The task's fee.
    pub task_fee: U256,
}

/// The simulated TEE: a key in memory, attested by a simulated root.
pub struct SimulatedTee {
    key: SigningKey,
    address: Address,
    root: Address,
    statement_signature: [u8; 65],
}

/// The digest the simulated root signs for `signing_address`.
fn statement_digest(signing_address: Address) -> B256 {
    let mut statement = ATTESTATION_TAG.to_vec();
    statement.extend_from_slice(signing_address.as_slice());
    eip191_hash_message(keccak256(statement))
}

/// The simulated GPU payload.
#[derive(Debug, Serialize, Deserialize)]
struct SimulatedPayload {
    simulated: bool,
    signing_address: Address,
    root: Address,
    signature: String,
}

impl SimulatedTee {
    /// A TEE with signing key `key`, attested by the root key `root`.
    pub fn new(key: SigningKey, root: &SigningKey) -> Self {
        let address = native::address(key.verifying_key());
        let statement_signature = native::sign(root, statement_digest(address));
        SimulatedTee {
            key,
            address,
            root: native::address(root.verifying_key()),
            statement_signature,
        }
    }

    /// The address of the attestation root users pin.
    pub fn root(&self) -> Address {
        self.root
    }

    fn payload(&self) -> SimulatedPayload {
        SimulatedPayload {
            simulated: true,
            signing_address: self.address,
            root: self.root,
            signature: hex::encode_prefixed(self.statement_signature),
        }
    }
}

impl Tee for SimulatedTee {
    fn address(&self) -> Address {
        self.address
    }

    fn attestation(&self) -> Attestation {
        let mut quote = ATTESTATION_TAG.to_vec();
        quote.extend_from_slice(self.address.as_slice());
        quote.extend_from_slice(&self.statement_signature);
        Attestation {
            signing_address: self.address,
            nvidia_payload: serde_json::to_string(&self.payload()).unwrap_or_default(),
            intel_quote: quote,
        }
    }

    fn verify_gpu_payload(&self, nvidia_payload: &serde_json::Value) -> bool {
        let Ok(payload) = serde_json::from_value::<SimulatedPayload>(nvidia_payload.clone()) else {
            return false;
        };
        let signature = hex::decode(&payload.signature).unwrap_or_default();
        payload.signing_address == self.address
            && payload.root == self.root
            && native::recover(statement_digest(payload.signing_address), &signature)
                == Some(self.root)
    }

    fn sign_text(&self, text: &str) -> [u8; 65] {
        native::sign(&self.key, eip191_hash_message(text))
    }

    fn sign_record(
        &self,
        provider: Address,
        user: Address,
        requests_hash: B256,
        nonce: U256,
        total_fee: U256,
    ) -> TEESettlementData {
        let digest = settlement_digest(requests_hash, nonce, provider, user, total_fee);
        TEESettlementData {
            user,
            provider,
            totalFee: total_fee,
            requestsHash: requests_hash,
            nonce,
            signature: native::sign(&self.key, digest).to_vec().into(),
        }
    }

    fn sign_model_tags(&self, tags_hash: B256) -> [u8; 65] {
        native::sign(&self.key, tags_hash)
    }

    fn sign_verifier_input(&self, input: VerifierInputFields<'_>) -> VerifierInput {
        let VerifierInputFields {
            user,
            id,
            model_root_hash: root,
            encrypted_secret: secret,
            nonce,
            task_fee,
        } = input;
        let digest = verifier_input_digest(secret, root, nonce, self.address, task_fee, user);
        VerifierInput {
            id: id.into(),
            encryptedSecret: secret.to_vec().into(),
            modelRootHash: root.to_vec().into(),
            nonce,
            providerSigner: self.address,
            signature: native::sign(&self.key, digest).to_vec().into(),
            taskFee: task_fee,
            user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tee() -> SimulatedTee {
        let key = SigningKey::from_slice(&[3; 32]).unwrap();
        let root = SigningKey::from_slice(&[4; 32]).unwrap();
        SimulatedTee::new(key, &root)
    }

    #[test]
    fn texts_recover_to_the_signing_address() {
        let tee = tee();
        let signature = tee.sign_text("abc:def");
        let digest = eip191_hash_message("abc:def");
        assert_eq!(native::recover(digest, &signature), Some(tee.address()));
        assert_ne!(
            native::recover(eip191_hash_message("abc:deg"), &signature),
            Some(tee.address())
        );
    }

    #[test]
    fn the_gpu_payload_verifies_only_as_served() {
        let tee = tee();
        let attestation = tee.attestation();
        assert_eq!(attestation.signing_address, tee.address());
        let payload: serde_json::Value = serde_json::from_str(&attestation.nvidia_payload).unwrap();
        assert!(tee.verify_gpu_payload(&payload));
        let mut forged = payload.clone();
        forged["signing_address"] = serde_json::json!(Address::repeat_byte(9));
        assert!(!tee.verify_gpu_payload(&forged));
        assert!(!tee.verify_gpu_payload(&serde_json::json!({"simulated": true})));
        // Another root's statement about the same key.
        let other = SimulatedTee::new(
            SigningKey::from_slice(&[3; 32]).unwrap(),
            &SigningKey::from_slice(&[5; 32]).unwrap(),
        );
        let theirs: serde_json::Value =
            serde_json::from_str(&other.attestation().nvidia_payload).unwrap();
        assert!(!tee.verify_gpu_payload(&theirs));
    }

    #[test]
    fn records_are_signed_as_the_contract_checks() {
        let tee = tee();
        let (provider, user) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let record = tee.sign_record(
            provider,
            user,
            B256::repeat_byte(7),
            U256::from(5),
            U256::from(9),
        );
        let digest = settlement_digest(
            B256::repeat_byte(7),
            U256::from(5),
            provider,
            user,
            U256::from(9),
        );
        assert_eq!(
            native::recover(digest, &record.signature),
            Some(tee.address())
        );
    }
}
