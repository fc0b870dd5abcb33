//! A trained model sealed for its user, in the formats the SDK opens
//! (`decryptModel`: `eciesDecrypt`, then `aesGCMDecryptToFile`).
//!
//! - The model file: `tagSignature (65) || iv (12) || chunk...`, each chunk
//!   a 64 MiB piece of the model under AES-256-GCM (ciphertext, then its
//!   16-byte tag), the IV incremented (big-endian) after each; the TEE
//!   signs `keccak256(tag || tag || ...)` (no message prefix).
//! - The secret (the AES key) for the user: ECIES over secp256k1 as
//!   eciesjs 0.4 does it: an ephemeral key, HKDF-SHA256 over the ephemeral
//!   public key and the shared point (both uncompressed), AES-256-GCM with
//!   a 16-byte nonce; `ephemeralKey (65) || nonce (16) || tag (16) ||
//!   ciphertext`.
//! - The deliverable's `modelRootHash`: the text `0x` + keccak256 of the
//!   model file, as bytes (the SDK reads it back as text, `hexToRoots`).

use aes_gcm::{
    aead::{Aead, KeyInit},
    aes::Aes256,
    Aes256Gcm, AesGcm, Nonce,
};
use alloy_primitives::{keccak256, B256};
use k256::{
    ecdsa::VerifyingKey,
    elliptic_curve::{generic_array::typenum::U16, sec1::ToEncodedPoint},
    ProjectivePoint, SecretKey,
};

use crate::tee::Tee;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024 * 1024;
/// AES-GCM tag bytes.
const TAG: usize = 16;

/// The sealed model file of `model` under `key`, starting at `iv`, its tags
/// signed by `tee`.
pub fn seal_model(model: &[u8], key: &B256, mut iv: [u8; 12], tee: &dyn Tee) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.as_slice().into());
    let mut body = iv.to_vec();
    let mut tags = Vec::new();
    for chunk in model.chunks(CHUNK) {
        let sealed = cipher
            .encrypt(&Nonce::from(iv), chunk)
            .expect("AES-GCM seals any chunk under 64 GiB");
        tags.extend_from_slice(&sealed[sealed.len() - TAG..]);
        body.extend_from_slice(&sealed);
        for byte in iv.iter_mut().rev() {
            *byte = byte.wrapping_add(1);
            if *byte != 0 {
                break;
            }
        }
    }
    let mut file = tee.sign_model_tags(keccak256(&tags)).to_vec();
    file.extend_from_slice(&body);
    file
}

/// The deliverable's `modelRootHash` of a sealed model file.
pub fn model_root(file: &[u8]) -> String {
    keccak256(file).to_string()
}

/// `secret` encrypted to `user` (ECIES as eciesjs), with the ephemeral key
/// `ephemeral` and the nonce `nonce`.
pub fn seal_secret(
    user: &VerifyingKey,
    secret: &[u8],
    ephemeral: &SecretKey,
    nonce: [u8; 16],
) -> Vec<u8> {
    let ephemeral_public = ephemeral.public_key().to_encoded_point(false);
    let shared = (ProjectivePoint::from(*user.as_affine()) * *ephemeral.to_nonzero_scalar())
        .to_affine()
        .to_encoded_point(false);
    let mut master = ephemeral_public.as_bytes().to_vec();
    master.extend_from_slice(shared.as_bytes());
    let mut key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, &master)
        .expand(&[], &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    let sealed = AesGcm::<Aes256, U16>::new(&key.into())
        .encrypt(&nonce.into(), secret)
        .expect("AES-GCM seals a short secret");
    let (ciphertext, tag) = sealed.split_at(sealed.len() - TAG);
    let mut out = ephemeral_public.as_bytes().to_vec();
    out.extend_from_slice(&nonce);
    out.extend_from_slice(tag);
    out.extend_from_slice(ciphertext);
    out
}

/// A fresh secret key (for the ephemeral ECIES key).
pub fn random_secret_key() -> SecretKey {
    loop {
        if let Ok(key) = SecretKey::from_slice(B256::random().as_slice()) {
            return key;
        }
    }
}

#[cfg(test)]
mod tests {
    use k256::ecdsa::SigningKey;
    use serving_verifier::native;

    use super::*;
    use crate::tee::SimulatedTee;

    /// The SDK's `aesGCMDecryptToFile`, in Rust: the model and the address
    /// that signed its tags.
    fn open_model(file: &[u8], key: &B256, chunk: usize) -> (Vec<u8>, alloy_primitives::Address) {
        let (signature, rest) = file.split_at(65);
        let (iv, mut body) = rest.split_at(12);
        let mut iv: [u8; 12] = iv.try_into().unwrap();
        let cipher = Aes256Gcm::new(key.as_slice().into());
        let (mut model, mut tags) = (Vec::new(), Vec::new());
        while !body.is_empty() {
            let (sealed, next) = body.split_at(body.len().min(chunk + TAG));
            model.extend(cipher.decrypt(&Nonce::from(iv), sealed).unwrap());
            tags.extend_from_slice(&sealed[sealed.len() - TAG..]);
            body = next;
            for byte in iv.iter_mut().rev() {
                *byte = byte.wrapping_add(1);
                if *byte != 0 {
                    break;
                }
            }
        }
        let signer = native::recover(keccak256(&tags), signature).unwrap();
        (model, signer)
    }

    #[test]
    fn a_sealed_model_opens_with_its_key_and_names_its_tee() {
        let tee = SimulatedTee::new(
            SigningKey::from_slice(&[1; 32]).unwrap(),
            &SigningKey::from_slice(&[2; 32]).unwrap(),
        );
        let key = B256::repeat_byte(9);
        let model = b"adapter weights".repeat(100);
        let file = seal_model(&model, &key, [0xff; 12], &tee);
        assert_eq!(file.len(), 65 + 12 + model.len() + TAG);
        assert_eq!(open_model(&file, &key, CHUNK), (model, tee.address()));
        assert_eq!(model_root(&file), keccak256(&file).to_string());
        assert_eq!(model_root(&file).len(), 66);
    }

    #[test]
    fn the_secret_opens_with_the_users_key() {
        let user = SigningKey::from_slice(&[5; 32]).unwrap();
        let ephemeral = random_secret_key();
        let sealed = seal_secret(user.verifying_key(), b"secret key", &ephemeral, [3; 16]);
        // eciesjs's decrypt: the shared point from the receiver's side.
        let ephemeral_public = k256::PublicKey::from_sec1_bytes(&sealed[..65]).unwrap();
        let shared = (ephemeral_public.to_projective() * **user.as_nonzero_scalar())
            .to_affine()
            .to_encoded_point(false);
        let mut master = sealed[..65].to_vec();
        master.extend_from_slice(shared.as_bytes());
        let mut key = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, &master)
            .expand(&[], &mut key)
            .unwrap();
        let (nonce, rest) = sealed[65..].split_at(16);
        let (tag, ciphertext) = rest.split_at(TAG);
        let mut joined = ciphertext.to_vec();
        joined.extend_from_slice(tag);
        let nonce: [u8; 16] = nonce.try_into().unwrap();
        let opened = AesGcm::<Aes256, U16>::new(&key.into())
            .decrypt(&nonce.into(), joined.as_slice())
            .unwrap();
        assert_eq!(opened, b"secret key");
    }
}
