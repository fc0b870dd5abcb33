//! The calldata fuzz's kit: random and mutated calldata for a function of a
//! JSON ABI, and the rule a contract's answer must follow. The native fuzz
//! (`tests/properties.rs`, through each program's router) and the one on the
//! node (`tests/e2e_security.rs`, through `eth_call`) share it.

use alloy_dyn_abi::{JsonAbiExt, Specifier};
use alloy_json_abi::{Function, JsonAbi};
use alloy_primitives::{Address, B256, U256};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The contracts' JSON ABIs (`abi/`, written by `cargo xtask abi`).
pub const LEDGER_ABI: &str = include_str!("../../abi/LedgerManager.json");
/// InferenceServing's JSON ABI.
pub const INFERENCE_ABI: &str = include_str!("../../abi/InferenceServing.json");
/// FineTuningServing's JSON ABI.
pub const FINE_TUNING_ABI: &str = include_str!("../../abi/FineTuningServing.json");

/// Parses a JSON ABI.
///
/// # Panics
///
/// If `json` is not one.
pub fn contract_abi(json: &str) -> JsonAbi {
    serde_json::from_str(json).expect("a JSON ABI of abi/")
}

/// How a call ended, when it ended as the rule allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded.
    Succeeded,
    /// It reverted with an error its contract declares.
    Declared,
    /// It reverted empty: the calldata does not decode (canonically) for
    /// the function its selector names, or the program does not have it.
    Empty,
}

/// Judges `result`, the answer to `input` by a program of the contract
/// `abi` (`has_fallback`: it answers every selector, as a main program or
/// the contract's address does). Errors: what broke the rule.
pub fn judge(
    abi: &JsonAbi,
    has_fallback: bool,
    input: &[u8],
    result: Result<(), &[u8]>,
) -> Result<Outcome, String> {
    match result {
        Ok(()) => Ok(Outcome::Succeeded),
        Err([]) => {
            // The SDK decodes strictly: trailing bytes or another encoding
            // of the same values do not decode.
            let decodes = abi
                .functions()
                .find(|f| input.len() >= 4 && input[..4] == f.selector()[..])
                .is_some_and(|f| {
                    f.abi_decode_input(&input[4..], true).is_ok_and(|values| {
                        f.abi_encode_input(&values).ok().as_deref() == Some(input)
                    })
                });
            if decodes && has_fallback {
                Err("empty revert for calldata that decodes".into())
            } else {
                Ok(Outcome::Empty)
            }
        }
        Err(data) => {
            if abi
                .errors()
                .any(|e| data.len() >= 4 && data[..4] == e.selector()[..])
            {
                Ok(Outcome::Declared)
            } else {
                Err(format!(
                    "undeclared revert 0x{}",
                    alloy_primitives::hex::encode(data)
                ))
            }
        }
    }
}

/// What a fuzz run saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Calls that succeeded.
    pub succeeded: usize,
    /// Calls reverted with a declared error.
    pub declared: usize,
    /// Calls reverted empty.
    pub empty: usize,
}

impl Tally {
    /// Counts `outcome`.
    pub fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Succeeded => self.succeeded += 1,
            Outcome::Declared => self.declared += 1,
            Outcome::Empty => self.empty += 1,
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls: {} succeeded, {} reverted with a declared error, {} reverted empty \
             (undecodable, or another program's selector)",
            self.succeeded + self.declared + self.empty,
            self.succeeded,
            self.declared,
            self.empty
        )
    }
}

/// A count from the environment variable `name`, else `default`.
pub fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Random calldata for the fuzz: values of each parameter type, drawn
/// from the market's accounts and the edges of each type, then sometimes
/// mutated (bytes flipped, cut, extended, a word replaced).
pub struct CalldataGen {
    /// The randomness.
    pub rng: ChaCha8Rng,
    /// The addresses a generated address is drawn from (else random).
    pub addresses: Vec<Address>,
}

impl CalldataGen {
    /// A generator seeded with `seed` (`FUZZ_SEED` overrides it), drawing
    /// addresses from `addresses`.
    pub fn new(seed: u64, addresses: Vec<Address>) -> Self {
        let seed = count_from_env("FUZZ_SEED", seed as usize) as u64;
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            addresses,
        }
    }

    /// A function of `abi`, at random.
    pub fn function<'a>(&mut self, abi: &'a JsonAbi) -> &'a Function {
        let functions: Vec<&Function> = abi.functions().collect();
        functions[self.rng.random_range(0..functions.len())]
    }

    fn value(&mut self, ty: &alloy_dyn_abi::DynSolType) -> alloy_dyn_abi::DynSolValue {
        use alloy_dyn_abi::{DynSolType as T, DynSolValue as V};
        let rng = &mut self.rng;
        match ty {
            T::Address => {
                let i = rng.random_range(0..=self.addresses.len());
                V::Address(
                    self.addresses
                        .get(i)
                        .copied()
                        .unwrap_or_else(|| Address::from(rng.random::<[u8; 20]>())),
                )
            }
            T::Bool => V::Bool(rng.random()),
            T::Uint(bits) => {
                let value = match rng.random_range(0..6) {
                    0 => U256::ZERO,
                    1 => U256::from(rng.random_range(1..100u64)),
                    2 => U256::from(rng.random_range(0..100_000u64)),
                    3 => U256::MAX,
                    4 => U256::from(1u8) << rng.random_range(0..256usize),
                    _ => U256::from_be_bytes(rng.random::<[u8; 32]>()),
                };
                let value = if *bits < 256 {
                    value & ((U256::from(1u8) << *bits) - U256::from(1u8))
                } else {
                    value
                };
                V::Uint(value, *bits)
            }
            T::Int(bits) => V::Int(
                alloy_primitives::I256::from_raw(U256::from(rng.random::<u64>())),
                *bits,
            ),
            T::FixedBytes(size) => {
                let mut word = [0u8; 32];
                rng.fill(&mut word[..*size]);
                V::FixedBytes(B256::from(word), *size)
            }
            T::Bytes => {
                let len = [0, 1, 32, 65, rng.random_range(0..200)][rng.random_range(0..5)];
                V::Bytes((0..len).map(|_| rng.random()).collect())
            }
            T::String => {
                let known = ["inference", "fine-tuning", "chatbot", "", "t", "é"];
                let text = if rng.random_bool(0.7) {
                    known[rng.random_range(0..known.len())].to_string()
                } else {
                    (0..rng.random_range(0..80))
                        .map(|_| rng.random_range(b' '..=b'~') as char)
                        .collect()
                };
                V::String(text)
            }
            T::Array(inner) => {
                let len = if self.rng.random_bool(0.05) {
                    self.rng.random_range(0..600)
                } else {
                    self.rng.random_range(0..4)
                };
                V::Array((0..len).map(|_| self.value(inner)).collect())
            }
            T::FixedArray(inner, len) => {
                V::FixedArray((0..*len).map(|_| self.value(inner)).collect())
            }
            T::Tuple(types) => V::Tuple(types.iter().map(|t| self.value(t)).collect()),
            other => panic!("no generator for {other}"),
        }
    }

    /// Calldata for `function`: well-formed, or (one time in three) mutated.
    pub fn calldata(&mut self, function: &Function) -> Vec<u8> {
        let values: Vec<_> = function
            .inputs
            .iter()
            .map(|param| self.value(&param.resolve().expect("a parameter type")))
            .collect();
        let mut data = function
            .abi_encode_input(&values)
            .expect("values of the function's types");
        if self.rng.random_range(0..3) == 0 {
            let rng = &mut self.rng;
            match rng.random_range(0..5) {
                0 => {
                    for _ in 0..rng.random_range(1..4) {
                        let at = rng.random_range(0..data.len());
                        data[at] ^= rng.random_range(1..=255u8);
                    }
                }
                1 => data.truncate(rng.random_range(0..data.len())),
                2 => data.extend((0..rng.random_range(1..64)).map(|_| rng.random::<u8>())),
                3 if data.len() >= 36 => {
                    let word = rng.random_range(0..(data.len() - 4) / 32);
                    let value = [U256::MAX, U256::from(u32::MAX), U256::from(32u8 * 7)]
                        [rng.random_range(0..3)];
                    data[4 + 32 * word..36 + 32 * word].copy_from_slice(&value.to_be_bytes::<32>());
                }
                _ => data[..4].copy_from_slice(&rng.random::<[u8; 4]>()),
            }
        }
        data
    }
}
