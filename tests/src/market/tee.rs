//! The provider's Trusted Execution Environment, simulated: a secp256k1 key
//! that never leaves it, an attestation report that binds the key's address
//! to the enclave, and the signatures the TEE makes (responses and
//! settlement records) with the same hashing code as the contracts.

use std::collections::HashMap;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use k256::ecdsa::SigningKey;
use serving_contracts::abi::{fine_tuning::VerifierInput, TEESettlementData};
use serving_verifier::{eth_message, native, settlement_digest, verifier_input_digest};

/// Domain tag of the attestation statement the root signs.
const ATTESTATION_TAG: &[u8] = b"simulated-nvidia-attestation:v1";

/// A secp256k1 key from 32 seed bytes (the seed is hashed until it is a
/// valid scalar, which the first hash almost always is).
pub fn key_from_seed(seed: &[u8]) -> SigningKey {
    let mut bytes = keccak256(seed);
    loop {
        if let Ok(key) = SigningKey::from_slice(bytes.as_slice()) {
            return key;
        }
        bytes = keccak256(bytes);
    }
}

/// The attestation service users trust (standing in for NVIDIA's): it signs
/// a statement that an address is the signing key of a genuine enclave.
pub struct AttestationRoot {
    key: SigningKey,
}

impl AttestationRoot {
    /// A root whose key is derived from `seed`.
    pub fn from_seed(seed: &[u8]) -> Self {
        Self {
            key: key_from_seed(seed),
        }
    }

    /// The root's address: what users pin as trusted.
    pub fn address(&self) -> Address {
        native::address(self.key.verifying_key())
    }

    /// Attests that `signing_address` is an enclave's key.
    fn attest(&self, signing_address: Address) -> AttestationReport {
        let signature = native::sign(&self.key, attestation_digest(signing_address));
        AttestationReport {
            signing_address,
            nvidia_payload: Bytes::from(signature.to_vec()),
        }
    }
}

/// The EIP-191 digest of the statement "`signing_address` is an enclave key".
fn attestation_digest(signing_address: Address) -> B256 {
    let mut statement = ATTESTATION_TAG.to_vec();
    statement.extend_from_slice(signing_address.as_slice());
    eth_message(keccak256(statement))
}

/// What a provider's attestation endpoint returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestationReport {
    /// The address of the enclave's signing key.
    pub signing_address: Address,
    /// The attestation root's signature over the statement (65 bytes).
    pub nvidia_payload: Bytes,
}

impl AttestationReport {
    /// Whether `root` attested this report's signing address.
    pub fn verify(&self, root: Address) -> bool {
        native::recover(
            attestation_digest(self.signing_address),
            &self.nvidia_payload,
        ) == Some(root)
    }
}

/// A response signature, as a provider's signature download endpoint
/// serves it: the signed text's hash and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseSignature {
    /// keccak256(keccak256(request) || keccak256(response)).
    pub text_hash: B256,
    /// EIP-191 signature over `text_hash` (65 bytes).
    pub signature: [u8; 65],
}

impl ResponseSignature {
    /// The hash a TEE signs for the exchange `request` -> `response`.
    pub fn text_hash(request: &[u8], response: &[u8]) -> B256 {
        let mut text = [0u8; 64];
        text[..32].copy_from_slice(keccak256(request).as_slice());
        text[32..].copy_from_slice(keccak256(response).as_slice());
        keccak256(text)
    }

    /// Whether this signature covers `request` -> `response` and was made
    /// by `signer`.
    pub fn verify(&self, request: &[u8], response: &[u8], signer: Address) -> bool {
        self.text_hash == Self::text_hash(request, response)
            && native::recover(eth_message(self.text_hash), &self.signature) == Some(signer)
    }
}

/// The enclave: its key never leaves this struct; the outside world gets
/// its address, its attestation and its signatures.
pub struct TeeSigner {
    key: SigningKey,
    address: Address,
    report: AttestationReport,
    signatures: HashMap<B256, ResponseSignature>,
}

impl TeeSigner {
    /// Boots an enclave with a key derived from `seed`, attested by `root`.
    pub fn boot(root: &AttestationRoot, seed: &[u8]) -> Self {
        let key = key_from_seed(seed);
        let address = native::address(key.verifying_key());
        Self {
            report: root.attest(address),
            key,
            address,
            signatures: HashMap::new(),
        }
    }

    /// The signing key's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The attestation report (the provider's attestation endpoint).
    pub fn attestation(&self) -> &AttestationReport {
        &self.report
    }

    /// Signs the exchange `request` -> `response` and keeps the signature
    /// under `response_id` for download.
    pub fn sign_response(&mut self, response_id: B256, request: &[u8], response: &[u8]) {
        let text_hash = ResponseSignature::text_hash(request, response);
        let signature = native::sign(&self.key, eth_message(text_hash));
        self.signatures.insert(
            response_id,
            ResponseSignature {
                text_hash,
                signature,
            },
        );
    }

    /// The signature of response `response_id` (the download endpoint).
    pub fn signature(&self, response_id: &B256) -> Option<&ResponseSignature> {
        self.signatures.get(response_id)
    }

    /// A settlement record of `total_fee` for `user`'s requests with
    /// `provider`, signed with the digest the contract checks (EIP-191 over
    /// the packed fields, `serving_verifier::settlement_digest`).
    pub fn sign_record(
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

    /// A fine-tuning verifier input settling deliverable `id` (model root
    /// hash `model_root_hash`) of `user` at `nonce` for `task_fee`,
    /// carrying `encrypted_secret` (empty for a deliverable the user did not
    /// acknowledge), signed as the provider signer (EIP-191 over the packed
    /// fields, `serving_verifier::verifier_input_digest`).
    pub fn sign_verifier_input(
        &self,
        user: Address,
        id: &str,
        model_root_hash: &[u8],
        encrypted_secret: &[u8],
        nonce: U256,
        task_fee: U256,
    ) -> VerifierInput {
        let (root, secret, signer) = (model_root_hash, encrypted_secret, self.address);
        let digest = verifier_input_digest(secret, root, nonce, signer, task_fee, user);
        VerifierInput {
            id: id.into(),
            encryptedSecret: secret.to_vec().into(),
            modelRootHash: root.to_vec().into(),
            nonce,
            providerSigner: signer,
            signature: native::sign(&self.key, digest).to_vec().into(),
            taskFee: task_fee,
            user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attestation_verifies_only_against_its_root() {
        let root = AttestationRoot::from_seed(b"root");
        let other = AttestationRoot::from_seed(b"other root");
        let tee = TeeSigner::boot(&root, b"tee");
        assert!(tee.attestation().verify(root.address()));
        assert!(!tee.attestation().verify(other.address()));
        let mut forged = tee.attestation().clone();
        forged.signing_address = other.address();
        assert!(
            !forged.verify(root.address()),
            "the payload binds the address"
        );
    }

    #[test]
    fn response_signature_binds_request_response_and_key() {
        let root = AttestationRoot::from_seed(b"root");
        let mut tee = TeeSigner::boot(&root, b"tee");
        let id = B256::repeat_byte(1);
        tee.sign_response(id, b"request", b"response");
        let signature = tee.signature(&id).unwrap();
        assert!(signature.verify(b"request", b"response", tee.address()));
        assert!(!signature.verify(b"request", b"other response", tee.address()));
        assert!(!signature.verify(b"request", b"response", root.address()));
        assert!(tee.signature(&B256::ZERO).is_none());
    }

    #[test]
    fn records_recover_to_the_tee_address() {
        let root = AttestationRoot::from_seed(b"root");
        let tee = TeeSigner::boot(&root, b"tee");
        let (provider, user) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let record = tee.sign_record(
            provider,
            user,
            B256::repeat_byte(3),
            U256::from(4),
            U256::from(5),
        );
        let digest = settlement_digest(
            record.requestsHash,
            record.nonce,
            provider,
            user,
            record.totalFee,
        );
        assert_eq!(
            native::recover(digest, &record.signature),
            Some(tee.address())
        );
    }
}
