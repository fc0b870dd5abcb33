//! A user's signed request, as the 0G SDK 0.4.4 sends it with every call
//! (`getRequestHeaders`): the headers, the request they sign and how to
//! check them against the signer the user registered in its ledger.
//!
//! The SDK signs `nonce (8 bytes) ‖ fee (16) ‖ user (20) ‖ provider (20)`,
//! every field a little-endian integer (an address too: its bytes
//! reversed), with the babyjubjub key whose packed public key is the
//! ledger's `inferenceSigner`, and sends the packed signature as a JSON
//! array of its 64 bytes. `Request-Hash` is the Pedersen hash of the same
//! fields without the fee.

use alloy_primitives::{hex, Address, U256};

use crate::babyjubjub::{self, KeyPair, Point};

/// The request a user signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The user's nonce: grows with every request to the provider.
    pub nonce: u64,
    /// The fee the user agrees to pay for the request's input.
    pub fee: u128,
    /// The user.
    pub user: Address,
    /// The provider.
    pub provider: Address,
}

/// The headers of a request, as the SDK names them.
pub mod header {
    /// The user's address.
    pub const ADDRESS: &str = "Address";
    /// The fee signed for (input fee plus output fee, the latter 0).
    pub const FEE: &str = "Fee";
    /// The fee of the request's input, as the SDK counted it.
    pub const INPUT_FEE: &str = "Input-Fee";
    /// The nonce.
    pub const NONCE: &str = "Nonce";
    /// The Pedersen hash of nonce, user and provider, `0x` hex.
    pub const REQUEST_HASH: &str = "Request-Hash";
    /// The packed signature, a JSON array of 64 numbers.
    pub const SIGNATURE: &str = "Signature";
    /// Whether the SDK talks to a vLLM proxy (`true` by default).
    pub const VLLM_PROXY: &str = "VLLM-Proxy";
}

/// Why a request's headers were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// A header is missing.
    Missing(&'static str),
    /// A header does not parse.
    Malformed(&'static str),
    /// `Request-Hash` is not the hash of the request.
    RequestHashMismatch,
    /// `Input-Fee` is above `Fee`.
    InputFeeAboveFee,
}

impl core::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HeaderError::Missing(name) => write!(f, "missing header {name}"),
            HeaderError::Malformed(name) => write!(f, "malformed header {name}"),
            HeaderError::RequestHashMismatch => {
                write!(
                    f,
                    "Request-Hash is not the hash of nonce, user and provider"
                )
            }
            HeaderError::InputFeeAboveFee => write!(f, "Input-Fee is above Fee"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// A request's headers, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest {
    /// What the user signed.
    pub request: Request,
    /// The fee of the input (at most `request.fee`).
    pub input_fee: u128,
    /// The packed signature.
    pub signature: [u8; 64],
}

fn le<const N: usize>(value: &[u8]) -> [u8; N] {
    let mut bytes = [0; N];
    bytes.copy_from_slice(value);
    bytes.reverse();
    bytes
}

impl Request {
    /// The bytes the user signs (`Request.serialize()` of the SDK).
    pub fn serialize(&self) -> [u8; 64] {
        let mut bytes = [0; 64];
        bytes[..8].copy_from_slice(&self.nonce.to_le_bytes());
        bytes[8..24].copy_from_slice(&self.fee.to_le_bytes());
        bytes[24..44].copy_from_slice(&le::<20>(self.user.as_slice()));
        bytes[44..].copy_from_slice(&le::<20>(self.provider.as_slice()));
        bytes
    }

    /// The `Request-Hash` header: the Pedersen hash of nonce, user and
    /// provider (`calculatePedersenHash` of the SDK).
    pub fn hash(&self) -> [u8; 32] {
        let bytes = self.serialize();
        babyjubjub::pedersen_hash(&[&bytes[..8], &bytes[24..]].concat())
    }

    /// Whether `signature` is the request signed by `signer`, the packed
    /// public key as the ledger keeps it (`inferenceSigner`).
    pub fn verify(&self, signer: [U256; 2], signature: &[u8; 64]) -> bool {
        unpack_signer(signer)
            .is_some_and(|public| babyjubjub::verify(&public, &self.serialize(), signature))
    }

    /// The request signed with `keys`: what the SDK sends.
    pub fn sign(&self, keys: &KeyPair) -> [u8; 64] {
        keys.sign(&self.serialize())
    }
}

/// The public key of a ledger's `inferenceSigner`: the packed point's low
/// and high 16 bytes as little-endian numbers (`genKeyPair` of the SDK).
pub fn unpack_signer(signer: [U256; 2]) -> Option<Point> {
    let mut packed = [0; 32];
    for (half, part) in packed.chunks_mut(16).zip(signer) {
        if part >= U256::from(1) << 128 {
            return None;
        }
        half.copy_from_slice(&part.to_le_bytes::<32>()[..16]);
    }
    Point::unpack(&packed)
}

/// `public` as a ledger's `inferenceSigner`.
pub fn pack_signer(public: &Point) -> [U256; 2] {
    let packed = public.pack();
    [
        U256::from_le_slice(&packed[..16]),
        U256::from_le_slice(&packed[16..]),
    ]
}

/// The private key of the SDK's `packedPrivkey` (two 16-byte little-endian
/// numbers, as `additionalInfo` keeps it encrypted).
pub fn unpack_private_key(packed: [u128; 2]) -> [u8; 32] {
    let mut key = [0; 32];
    key[..16].copy_from_slice(&packed[0].to_le_bytes());
    key[16..].copy_from_slice(&packed[1].to_le_bytes());
    key
}

/// The `Signature` header of a packed signature.
pub fn signature_header(signature: &[u8; 64]) -> String {
    serde_json::to_string(&signature[..]).unwrap_or_default()
}

impl SignedRequest {
    /// Parses the headers of a request to `provider`, `get` looking one up
    /// by name. Errors: a header missing or malformed, `Request-Hash` not
    /// the request's, `Input-Fee` above `Fee`.
    pub fn from_headers<'a>(
        provider: Address,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, HeaderError> {
        let field = |name: &'static str| get(name).map(str::trim).ok_or(HeaderError::Missing(name));
        let number = |name: &'static str| {
            field(name)?
                .parse::<u128>()
                .map_err(|_| HeaderError::Malformed(name))
        };
        let user = field(header::ADDRESS)?
            .parse::<Address>()
            .map_err(|_| HeaderError::Malformed(header::ADDRESS))?;
        let nonce = u64::try_from(number(header::NONCE)?)
            .map_err(|_| HeaderError::Malformed(header::NONCE))?;
        let request = Request {
            nonce,
            fee: number(header::FEE)?,
            user,
            provider,
        };
        let input_fee = number(header::INPUT_FEE)?;
        if input_fee > request.fee {
            return Err(HeaderError::InputFeeAboveFee);
        }
        let signature: Vec<u8> = serde_json::from_str(field(header::SIGNATURE)?)
            .map_err(|_| HeaderError::Malformed(header::SIGNATURE))?;
        let signature = <[u8; 64]>::try_from(signature)
            .map_err(|_| HeaderError::Malformed(header::SIGNATURE))?;
        let hash = hex::decode(field(header::REQUEST_HASH)?)
            .map_err(|_| HeaderError::Malformed(header::REQUEST_HASH))?;
        if hash != request.hash() {
            return Err(HeaderError::RequestHashMismatch);
        }
        Ok(SignedRequest {
            request,
            input_fee,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;

    /// A request signed by the SDK's own code (`tests/fixtures/generate.js`).
    #[derive(Deserialize)]
    struct SdkVector {
        packed_private_key: [String; 2],
        signer: [String; 2],
        nonce: String,
        fee: String,
        user: Address,
        provider: Address,
        serialized: String,
        signature_header: String,
        request_hash: String,
    }

    fn vectors() -> Vec<SdkVector> {
        serde_json::from_str(include_str!("../tests/fixtures/sdk-0.4.4.json")).unwrap()
    }

    fn headers(vector: &SdkVector) -> HashMap<&'static str, String> {
        HashMap::from([
            (header::ADDRESS, vector.user.to_string()),
            (header::FEE, vector.fee.clone()),
            (header::INPUT_FEE, vector.fee.clone()),
            (header::NONCE, vector.nonce.clone()),
            (header::REQUEST_HASH, vector.request_hash.clone()),
            (header::SIGNATURE, vector.signature_header.clone()),
            (header::VLLM_PROXY, "true".into()),
        ])
    }

    fn parse(
        provider: Address,
        headers: &HashMap<&'static str, String>,
    ) -> Result<SignedRequest, HeaderError> {
        SignedRequest::from_headers(provider, |name| headers.get(name).map(String::as_str))
    }

    #[test]
    fn the_sdks_requests_verify() {
        for vector in vectors() {
            let signer = vector.signer.clone().map(|s| s.parse::<U256>().unwrap());
            let signed = parse(vector.provider, &headers(&vector)).unwrap();
            let request = signed.request;
            assert_eq!(request.nonce.to_string(), vector.nonce);
            assert_eq!(request.fee.to_string(), vector.fee);
            assert_eq!(request.user, vector.user);
            assert_eq!(hex::encode_prefixed(request.serialize()), vector.serialized);
            assert!(request.verify(signer, &signed.signature));
            // The same key signs the same bytes: our signer is the SDK's.
            let key = vector
                .packed_private_key
                .clone()
                .map(|s| s.parse::<u128>().unwrap());
            let keys = KeyPair::new(&unpack_private_key(key));
            assert_eq!(pack_signer(&keys.public), signer);
            assert_eq!(
                signature_header(&request.sign(&keys)),
                vector.signature_header
            );
            // Signed for someone else, or another fee: refused.
            let other = Request {
                fee: request.fee ^ 1,
                ..request
            };
            assert!(!other.verify(signer, &signed.signature));
            assert!(!request.verify([signer[1], signer[0]], &signed.signature));
        }
    }

    #[test]
    fn malformed_headers_are_refused_with_their_name() {
        let vector = &vectors()[1];
        let provider = vector.provider;
        let good = headers(vector);
        for name in [
            header::ADDRESS,
            header::FEE,
            header::INPUT_FEE,
            header::NONCE,
            header::REQUEST_HASH,
            header::SIGNATURE,
        ] {
            let mut missing = good.clone();
            missing.remove(name);
            assert_eq!(parse(provider, &missing), Err(HeaderError::Missing(name)));
            let mut malformed = good.clone();
            malformed.insert(name, "0xzz".into());
            assert_eq!(
                parse(provider, &malformed),
                Err(HeaderError::Malformed(name))
            );
        }
        let mut short = good.clone();
        short.insert(header::SIGNATURE, "[1,2,3]".into());
        assert_eq!(
            parse(provider, &short),
            Err(HeaderError::Malformed(header::SIGNATURE))
        );
        let mut big_nonce = good.clone();
        big_nonce.insert(header::NONCE, "18446744073709551616".into());
        assert_eq!(
            parse(provider, &big_nonce),
            Err(HeaderError::Malformed(header::NONCE))
        );
        let mut input = good.clone();
        input.insert(header::INPUT_FEE, "123456790".into());
        assert_eq!(parse(provider, &input), Err(HeaderError::InputFeeAboveFee));
        // The hash binds the provider: a request meant for another one.
        assert_eq!(
            parse(Address::repeat_byte(1), &good),
            Err(HeaderError::RequestHashMismatch)
        );
    }

    #[test]
    fn a_signer_that_is_no_point_is_refused() {
        let vector = &vectors()[0];
        let signed = parse(vector.provider, &headers(vector)).unwrap();
        let too_big = [U256::from(1) << 128, U256::ZERO];
        assert!(!signed.request.verify(too_big, &signed.signature));
        assert_eq!(unpack_signer([U256::from(2), U256::ZERO]), None);
    }
}
