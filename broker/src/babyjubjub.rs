//! Baby Jubjub, circomlib's Pedersen hash and EdDSA over it: what the 0G
//! SDK (`@0glabs/0g-serving-broker` 0.4.4, through circomlibjs) signs a
//! user's requests with. Ported from circomlibjs 0.1.7 (`babyjub.js`,
//! `pedersen_hash.js`, `eddsa.js`) and checked against its output
//! (`tests/fixtures/circomlibjs.json`).
//!
//! The curve is the twisted Edwards curve `a x^2 + y^2 = 1 + d x^2 y^2`
//! over the scalar field of BN254, with circomlib's `a = 168700`,
//! `d = 168696`. A point is packed into 32 bytes as circomlib does: `y`
//! little-endian, the top bit set when `x > (p - 1) / 2`.

use alloy_primitives::{U256, U512};
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use blake_hash::{Blake256, Blake512, Digest};
pub use field::Fq;

/// The scalar field of BN254, the base field of Baby Jubjub.
mod field {
    // ark-ff 0.4's derive tests a `cfg` of its own and implements traits
    // inside a constant.
    #![allow(unexpected_cfgs, non_local_definitions)]
    use ark_ff::{Fp256, MontBackend, MontConfig};

    /// The modulus and generator of the field.
    #[derive(MontConfig)]
    #[modulus = "21888242871839275222246405745257275088548364400416034343698204186575808495617"]
    #[generator = "5"]
    pub struct FqConfig;

    /// An element of the base field.
    pub type Fq = Fp256<MontBackend<FqConfig, 4>>;
}

/// The order of the prime subgroup that [`base8`] generates.
pub const SUB_ORDER: U256 = U256::from_limbs([
    0x677297dc392126f1,
    0xab3eedb83920ee0a,
    0x370a08b6d0302b0b,
    0x060c89ce5c263405,
]);

/// A point in affine coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// The `x` coordinate.
    pub x: Fq,
    /// The `y` coordinate.
    pub y: Fq,
}

fn coeff_a() -> Fq {
    Fq::from(168_700u64)
}

fn coeff_d() -> Fq {
    Fq::from(168_696u64)
}

fn fq(decimal: &str) -> Fq {
    decimal
        .parse()
        .unwrap_or_else(|_| unreachable!("a constant"))
}

/// circomlib's `Base8`, the generator of the prime subgroup.
pub fn base8() -> Point {
    Point {
        x: fq("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
        y: fq("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
    }
}

impl Point {
    /// The neutral element, `(0, 1)`.
    pub fn identity() -> Self {
        Point {
            x: Fq::zero(),
            y: Fq::from(1u64),
        }
    }

    /// Whether the point satisfies the curve's equation.
    pub fn on_curve(&self) -> bool {
        let (x2, y2) = (self.x.square(), self.y.square());
        coeff_a() * x2 + y2 == Fq::from(1u64) + coeff_d() * x2 * y2
    }

    /// The sum of two points (the complete twisted Edwards addition).
    pub fn add(&self, other: &Point) -> Point {
        let beta = self.x * other.y;
        let gamma = self.y * other.x;
        let delta = (self.y - coeff_a() * self.x) * (other.x + other.y);
        let dtau = coeff_d() * beta * gamma;
        let one = Fq::from(1u64);
        // The addition law is complete on this curve: 1 +- dtau is never 0.
        let inverse = |v: Fq| v.inverse().unwrap_or_else(Fq::zero);
        Point {
            x: (beta + gamma) * inverse(one + dtau),
            y: (delta + coeff_a() * beta - gamma) * inverse(one - dtau),
        }
    }

    /// `scalar` times the point, `scalar` a non-negative integer.
    pub fn mul(&self, scalar: U256) -> Point {
        let mut result = Point::identity();
        for i in (0..scalar.bit_len()).rev() {
            result = result.add(&result);
            if scalar.bit(i) {
                result = result.add(self);
            }
        }
        result
    }

    /// The point packed into 32 bytes: `y` little-endian, the top bit the
    /// sign of `x`.
    pub fn pack(&self) -> [u8; 32] {
        let mut packed = le_bytes(self.y);
        if is_negative(self.x) {
            packed[31] |= 0x80;
        }
        packed
    }

    /// The point packed in `packed`, or `None` when `y` is not below the
    /// field's modulus or no point of the curve has it (circomlib also
    /// refuses `x = 0`).
    pub fn unpack(packed: &[u8; 32]) -> Option<Point> {
        let mut bytes = *packed;
        let negative = bytes[31] & 0x80 != 0;
        bytes[31] &= 0x7f;
        let y = from_le_bytes(&bytes)?;
        let y2 = y.square();
        let x2 = (Fq::from(1u64) - y2) * (coeff_a() - coeff_d() * y2).inverse()?;
        let root = x2.sqrt().filter(|_| !x2.is_zero())?;
        let x = if is_negative(root) == negative {
            root
        } else {
            -root
        };
        Some(Point { x, y })
    }
}

/// `v` as circomlib orders it: above `(p - 1) / 2`.
fn is_negative(v: Fq) -> bool {
    v.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

fn le_bytes(v: Fq) -> [u8; 32] {
    let mut bytes = [0; 32];
    bytes.copy_from_slice(&v.into_bigint().to_bytes_le());
    bytes
}

/// The field element of 32 little-endian bytes, if below the modulus.
fn from_le_bytes(bytes: &[u8; 32]) -> Option<Fq> {
    let value = U256::from_le_bytes(*bytes);
    Fq::from_bigint(ark_ff::BigInt(value.into_limbs()))
}

/// A scalar of up to 32 little-endian bytes.
fn scalar_le(bytes: &[u8]) -> U256 {
    U256::from_le_slice(bytes)
}

/// The generator of Pedersen hash segment `index`: the first point that the
/// BLAKE-256 of `PedersenGenerator_<index>_<try>` (both padded to 32
/// digits) unpacks to, times 8.
pub fn pedersen_generator(index: usize) -> Point {
    (0u64..)
        .find_map(|attempt| {
            let seed = format!("PedersenGenerator_{index:0>32}_{attempt:0>32}");
            let mut hash: [u8; 32] = Blake256::digest(seed.as_bytes()).into();
            hash[31] &= 0xbf;
            Point::unpack(&hash)
        })
        .map(|point| point.mul(U256::from(8)))
        .unwrap_or_else(|| unreachable!("an unbounded search"))
}

/// Bits per window of the Pedersen hash, and windows per segment.
const WINDOW: usize = 4;
const WINDOWS_PER_SEGMENT: usize = 50;

/// circomlib's Pedersen hash of `message`: a packed point.
pub fn pedersen_hash(message: &[u8]) -> [u8; 32] {
    let bits: Vec<bool> = message
        .iter()
        .flat_map(|byte| (0..8).map(move |i| byte >> i & 1 == 1))
        .collect();
    let per_segment = WINDOW * WINDOWS_PER_SEGMENT;
    let mut hash = Point::identity();
    for (index, segment) in bits.chunks(per_segment).enumerate() {
        // Each window of 4 bits is the digit (1 + b0 + 2 b1 + 4 b2) with
        // the sign b3, weighted by 32^w; negative sums wrap in the subgroup.
        let (mut positive, mut negative) = (U256::ZERO, U256::ZERO);
        for (w, window) in segment.chunks(WINDOW).enumerate() {
            let digit = window
                .iter()
                .take(WINDOW - 1)
                .enumerate()
                .fold(1u64, |acc, (b, &bit)| acc + (u64::from(bit) << b));
            let term = U256::from(digit) << (5 * w);
            if window.get(WINDOW - 1) == Some(&true) {
                negative += term;
            } else {
                positive += term;
            }
        }
        let scalar = positive.add_mod(SUB_ORDER - negative % SUB_ORDER, SUB_ORDER);
        hash = hash.add(&pedersen_generator(index).mul(scalar));
    }
    hash.pack()
}

/// A babyjubjub EdDSA key pair as circomlibjs derives it from 32 bytes of
/// private key.
#[derive(Clone, Debug)]
pub struct KeyPair {
    /// The pruned BLAKE-512 of the private key: the secret scalar's bytes,
    /// then the nonce seed.
    expanded: [u8; 64],
    /// The public key.
    pub public: Point,
}

impl KeyPair {
    /// The key pair of `private_key` (`eddsa.prv2pub`).
    pub fn new(private_key: &[u8; 32]) -> Self {
        let mut expanded: [u8; 64] = Blake512::digest(private_key).into();
        expanded[0] &= 0xf8;
        expanded[31] &= 0x7f;
        expanded[31] |= 0x40;
        let public = base8().mul(scalar_le(&expanded[..32]) >> 3);
        KeyPair { expanded, public }
    }

    /// The packed signature (`R8` packed, then `S` little-endian) of
    /// `message` (`eddsa.signPedersen`, `eddsa.packSignature`).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let seed = [&self.expanded[32..], message].concat();
        let r: [u8; 64] = Blake512::digest(&seed).into();
        let r = U512::from_le_bytes(r).reduce_mod(U512::from(SUB_ORDER));
        let r = U256::from_limbs_slice(&r.as_limbs()[..4]);
        let r8 = base8().mul(r).pack();
        let hm = challenge(&r8, &self.public.pack(), message);
        let s = scalar_le(&self.expanded[..32]);
        let big_s = r.add_mod(hm.mul_mod(s, SUB_ORDER), SUB_ORDER);
        let mut signature = [0; 64];
        signature[..32].copy_from_slice(&r8);
        signature[32..].copy_from_slice(&big_s.to_le_bytes::<32>());
        signature
    }
}

/// The scalar an EdDSA-Pedersen signature binds: the Pedersen hash of
/// `R8 ‖ A ‖ message` as a little-endian number.
fn challenge(r8: &[u8; 32], public: &[u8; 32], message: &[u8]) -> U256 {
    scalar_le(&pedersen_hash(&[&r8[..], &public[..], message].concat()))
}

/// Whether `signature` (packed) is `public`'s EdDSA-Pedersen signature of
/// `message` (`eddsa.verifyPedersen`): `R8` and the key on the curve, `S`
/// below the subgroup's order, `8 S B = 8 R8 + 8 hm A` as circomlib checks
/// it (`S B = R8 + 8 hm A`).
pub fn verify(public: &Point, message: &[u8], signature: &[u8; 64]) -> bool {
    let mut r8 = [0; 32];
    r8.copy_from_slice(&signature[..32]);
    let Some(r8_point) = Point::unpack(&r8) else {
        return false;
    };
    let s = scalar_le(&signature[32..]);
    if s >= SUB_ORDER || !public.on_curve() {
        return false;
    }
    let hm = challenge(&r8_point.pack(), &public.pack(), message);
    let a8 = public.add(public);
    let a8 = a8.add(&a8);
    let a8 = a8.add(&a8);
    base8().mul(s) == r8_point.add(&a8.mul(hm))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Vectors {
        pedersen: Vec<PedersenVector>,
        eddsa: Vec<EddsaVector>,
        bases: Vec<[String; 2]>,
    }

    #[derive(Deserialize)]
    struct PedersenVector {
        msg: String,
        hash: String,
    }

    #[derive(Deserialize)]
    struct EddsaVector {
        private_key: String,
        public_key: [String; 2],
        packed_public_key: String,
        msg: String,
        signature: String,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(include_str!("../tests/fixtures/circomlibjs.json")).unwrap()
    }

    fn bytes(hex: &str) -> Vec<u8> {
        alloy_primitives::hex::decode(hex).unwrap()
    }

    fn array<const N: usize>(hex: &str) -> [u8; N] {
        bytes(hex).try_into().unwrap()
    }

    #[test]
    fn the_subgroup_order_and_base_are_circomlibs() {
        assert_eq!(
            SUB_ORDER.to_string(),
            "2736030358979909402780800718157159386076813972158567259200215660948447373041"
        );
        assert!(base8().on_curve());
        assert_eq!(base8().mul(SUB_ORDER), Point::identity());
        assert_eq!(base8().mul(SUB_ORDER - U256::from(1)), {
            let b = base8();
            Point { x: -b.x, y: b.y }
        });
    }

    #[test]
    fn generators_are_circomlibs() {
        for (index, [x, y]) in vectors().bases.iter().enumerate() {
            let generator = pedersen_generator(index);
            assert_eq!(
                (generator.x, generator.y),
                (fq(x), fq(y)),
                "generator {index}"
            );
            assert_eq!(generator.mul(SUB_ORDER), Point::identity());
        }
    }

    #[test]
    fn pedersen_hashes_are_circomlibs() {
        for vector in vectors().pedersen {
            let message = bytes(&vector.msg);
            assert_eq!(
                pedersen_hash(&message),
                array::<32>(&vector.hash),
                "{} bytes",
                message.len()
            );
        }
    }

    #[test]
    fn packing_round_trips() {
        let mut point = base8();
        for _ in 0..20 {
            let packed = point.pack();
            assert_eq!(Point::unpack(&packed), Some(point));
            point = point.add(&base8()).add(&point);
        }
        // y at or above the modulus; y = 1, whose x is 0 (refused as by
        // circomlib); y = 2, of no point.
        assert_eq!(Point::unpack(&[0xff; 32]), None);
        let mut packed = [0; 32];
        packed[0] = 1;
        assert_eq!(Point::unpack(&packed), None);
        packed[0] = 2;
        assert_eq!(Point::unpack(&packed), None);
    }

    #[test]
    fn keys_and_signatures_are_circomlibs() {
        for vector in vectors().eddsa {
            let keys = KeyPair::new(&array(&vector.private_key));
            let [x, y] = &vector.public_key;
            assert_eq!(keys.public, Point { x: fq(x), y: fq(y) });
            assert_eq!(keys.public.pack(), array::<32>(&vector.packed_public_key));
            let message = bytes(&vector.msg);
            let signature = array::<64>(&vector.signature);
            assert_eq!(keys.sign(&message), signature);
            assert!(verify(&keys.public, &message, &signature));
        }
    }

    #[test]
    fn verification_refuses_what_was_not_signed() {
        let vector = &vectors().eddsa[0];
        let keys = KeyPair::new(&array(&vector.private_key));
        let message = bytes(&vector.msg);
        let signature = array::<64>(&vector.signature);
        let mut other = message.clone();
        other[0] ^= 1;
        assert!(!verify(&keys.public, &other, &signature));
        let stranger = KeyPair::new(&[7; 32]);
        assert!(!verify(&stranger.public, &message, &signature));
        // S out of range (S + order), and R8 altered.
        let mut high = signature;
        let s = scalar_le(&signature[32..]) + SUB_ORDER;
        high[32..].copy_from_slice(&s.to_le_bytes::<32>());
        assert!(!verify(&keys.public, &message, &high));
        let mut moved = signature;
        moved[0] ^= 1;
        assert!(!verify(&keys.public, &message, &moved));
    }
}
