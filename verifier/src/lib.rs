//! Settlement messages and their signatures, the same code on chain and in
//! the native harness.
//!
//! - Inference settlement record: keccak256 of the packed `(requestsHash
//!   bytes32, nonce uint256, provider address, user address, totalFee
//!   uint256)`.
//! - Fine-tuning verifier input: keccak256 of the packed `(encryptedSecret
//!   bytes, modelRootHash bytes, nonce uint256, providerSigner address,
//!   taskFee uint256, user address)`.
//!
//! Both are signed as an Ethereum personal message (EIP-191 prefix over the
//! 32-byte hash). Signatures are 65 bytes `r || s || v` with `v` in
//! {0, 1, 27, 28}; high-`s`, zero `r`/`s` and a zero recovered address are
//! rejected.
//!
//! Recovery uses the ecrecover precompile on chain (feature `stylus`) and
//! `k256` natively (feature `native`, which also signs).
#![cfg_attr(not(feature = "native"), no_std)]
extern crate alloc;

use alloy_primitives::{b256, keccak256, Address, B256, U256};

/// Half the secp256k1 group order: the largest `s` accepted.
const HALF_ORDER: B256 = b256!("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

/// Wraps a 32-byte hash as an Ethereum signed message (EIP-191).
pub fn eth_message(hash: B256) -> B256 {
    let mut message = [0u8; 60];
    message[..28].copy_from_slice(b"\x19Ethereum Signed Message:\n32");
    message[28..].copy_from_slice(hash.as_slice());
    keccak256(message)
}

/// The digest a TEE signs for an inference settlement record.
pub fn settlement_digest(
    requests_hash: B256,
    nonce: U256,
    provider: Address,
    user: Address,
    total_fee: U256,
) -> B256 {
    let mut packed = [0u8; 136];
    packed[..32].copy_from_slice(requests_hash.as_slice());
    packed[32..64].copy_from_slice(&nonce.to_be_bytes::<32>());
    packed[64..84].copy_from_slice(provider.as_slice());
    packed[84..104].copy_from_slice(user.as_slice());
    packed[104..].copy_from_slice(&total_fee.to_be_bytes::<32>());
    eth_message(keccak256(packed))
}

/// The digest a provider signer signs for a fine-tuning verifier input.
pub fn verifier_input_digest(
    encrypted_secret: &[u8],
    model_root_hash: &[u8],
    nonce: U256,
    provider_signer: Address,
    task_fee: U256,
    user: Address,
) -> B256 {
    let mut packed =
        alloc::vec::Vec::with_capacity(encrypted_secret.len() + model_root_hash.len() + 104);
    packed.extend_from_slice(encrypted_secret);
    packed.extend_from_slice(model_root_hash);
    packed.extend_from_slice(&nonce.to_be_bytes::<32>());
    packed.extend_from_slice(provider_signer.as_slice());
    packed.extend_from_slice(&task_fee.to_be_bytes::<32>());
    packed.extend_from_slice(user.as_slice());
    eth_message(keccak256(packed))
}

/// A signature split into `r`, `s` and a recovery id `v` in {27, 28},
/// or `None` when it is not 65 bytes, `v` is not in {0, 1, 27, 28}, `r` or
/// `s` is zero, or `s` is in the upper half of the order (malleable).
pub fn split(signature: &[u8]) -> Option<(B256, B256, u8)> {
    if signature.len() != 65 {
        return None;
    }
    let r = B256::from_slice(&signature[..32]);
    let s = B256::from_slice(&signature[32..64]);
    let v = match signature[64] {
        v @ (0 | 1) => v + 27,
        v @ (27 | 28) => v,
        _ => return None,
    };
    if r.is_zero() || s.is_zero() || s > HALF_ORDER {
        return None;
    }
    Some((r, s, v))
}

/// Recovers the address that signed `digest`, through the ecrecover
/// precompile. `None` for an unusable signature or a zero result.
#[cfg(feature = "stylus")]
pub fn recover(digest: B256, signature: &[u8]) -> Option<Address> {
    let (r, s, v) = split(signature)?;
    let mut input = [0u8; 128];
    input[..32].copy_from_slice(digest.as_slice());
    input[63] = v;
    input[64..96].copy_from_slice(r.as_slice());
    input[96..].copy_from_slice(s.as_slice());
    let ecrecover = Address::with_last_byte(1);
    // SAFETY: a static call to a precompile cannot re-enter this contract.
    let output = unsafe { stylus_sdk::call::RawCall::new_static().call(ecrecover, &input) }.ok()?;
    if output.len() != 32 {
        return None;
    }
    let signer = Address::from_slice(&output[12..]);
    (!signer.is_zero()).then_some(signer)
}

/// Native recovery and signing with `k256`.
#[cfg(feature = "native")]
pub mod native {
    use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};

    use super::*;

    /// The Ethereum address of a public key.
    pub fn address(key: &VerifyingKey) -> Address {
        let point = key.to_encoded_point(false);
        Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
    }

    /// Recovers the address that signed `digest`; same acceptance rules as
    /// on chain.
    pub fn recover(digest: B256, signature: &[u8]) -> Option<Address> {
        recover_key(digest, signature).map(|key| address(&key))
    }

    /// Recovers the public key that signed `digest`; same acceptance rules
    /// as [`recover`].
    pub fn recover_key(digest: B256, signature: &[u8]) -> Option<VerifyingKey> {
        let (r, s, v) = split(signature)?;
        let signature = Signature::from_scalars(r.0, s.0).ok()?;
        let id = RecoveryId::from_byte(v - 27)?;
        VerifyingKey::recover_from_prehash(digest.as_slice(), &signature, id).ok()
    }

    /// Signs `digest` as `r || s || v` with `v` in {27, 28} and low `s`.
    pub fn sign(key: &SigningKey, digest: B256) -> [u8; 65] {
        let (signature, id) = key
            .sign_prehash_recoverable(digest.as_slice())
            .expect("a 32-byte prehash is always signable");
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&signature.to_bytes());
        out[64] = 27 + id.to_byte();
        out
    }
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use alloy_primitives::{address, hex};
    use k256::ecdsa::SigningKey;

    use super::{
        native::{address, recover, sign},
        *,
    };

    fn key() -> SigningKey {
        SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    #[test]
    fn eth_message_matches_personal_sign() {
        // keccak256("\x19Ethereum Signed Message:\n32" ++ 0x00..00)
        let expected =
            keccak256([b"\x19Ethereum Signed Message:\n32".as_slice(), &[0u8; 32]].concat());
        assert_eq!(eth_message(B256::ZERO), expected);
    }

    #[test]
    fn settlement_digest_packs_fields_in_order() {
        let provider = address!("00000000000000000000000000000000000000aa");
        let user = address!("00000000000000000000000000000000000000bb");
        let packed = hex::decode(concat!(
            "1111111111111111111111111111111111111111111111111111111111111111",
            "0000000000000000000000000000000000000000000000000000000000000005",
            "00000000000000000000000000000000000000aa",
            "00000000000000000000000000000000000000bb",
            "0000000000000000000000000000000000000000000000000000000000000064",
        ))
        .unwrap();
        let digest = settlement_digest(
            B256::repeat_byte(0x11),
            U256::from(5),
            provider,
            user,
            U256::from(100),
        );
        assert_eq!(digest, eth_message(keccak256(packed)));
    }

    #[test]
    fn verifier_digest_packs_fields_in_order() {
        let signer = address!("00000000000000000000000000000000000000cc");
        let user = address!("00000000000000000000000000000000000000dd");
        let mut packed = b"secret".to_vec();
        packed.extend_from_slice(b"root");
        packed.extend_from_slice(&U256::from(3).to_be_bytes::<32>());
        packed.extend_from_slice(signer.as_slice());
        packed.extend_from_slice(&U256::from(9).to_be_bytes::<32>());
        packed.extend_from_slice(user.as_slice());
        let digest = verifier_input_digest(
            b"secret",
            b"root",
            U256::from(3),
            signer,
            U256::from(9),
            user,
        );
        assert_eq!(digest, eth_message(keccak256(packed)));
    }

    #[test]
    fn sign_then_recover_round_trips_for_every_v_form() {
        let digest = eth_message(B256::repeat_byte(3));
        let mut signature = sign(&key(), digest);
        let signer = address(key().verifying_key());
        assert_eq!(recover(digest, &signature), Some(signer));
        signature[64] -= 27;
        assert_eq!(recover(digest, &signature), Some(signer));
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let digest = eth_message(B256::repeat_byte(3));
        let good = sign(&key(), digest);
        // Wrong length.
        assert_eq!(recover(digest, &good[..64]), None);
        assert_eq!(recover(digest, &[good.as_slice(), &[0]].concat()), None);
        // Bad v.
        let mut bad_v = good;
        bad_v[64] = 29;
        assert_eq!(recover(digest, &bad_v), None);
        // High s: n - s with the other recovery id recovers the same key on
        // a permissive verifier; here it is refused.
        let n = U256::from_be_bytes(hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let s = U256::from_be_slice(&good[32..64]);
        let mut high = good;
        high[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
        high[64] = if good[64] == 27 { 28 } else { 27 };
        assert_eq!(recover(digest, &high), None);
        // Zero signature.
        assert_eq!(recover(digest, &[0u8; 65]), None);
    }
}
