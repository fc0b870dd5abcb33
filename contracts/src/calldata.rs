//! Arguments read by hand from a call's input, for the functions a program
//! routes in its fallback: alloy's generic decoders add their code to the
//! program (an `address[]` argument about 1.5 KB; a `string`, a `bytes` and
//! the fine-tuning verifier input's tuple several more). The values are
//! checked as alloy's validating decoder (the SDK router's) and Solidity's
//! check them: an address's word has 12 zero bytes before it, a `bool` is
//! 0 or 1, a `string` is UTF-8.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};

/// The selector of the call `input`; zero when it is shorter than one.
pub fn selector(input: &[u8]) -> [u8; 4] {
    input
        .get(..4)
        .and_then(|s| s.try_into().ok())
        .unwrap_or_default()
}

/// The arguments of a call (its input after the selector), or a tuple
/// within them: `bytes`, `string` and tuples are read where their offset
/// word points, relative to the start of the arguments (or tuple) they are
/// in, as the ABI lays them out.
#[derive(Clone, Copy, Debug)]
pub struct Args<'a>(&'a [u8]);

impl<'a> Args<'a> {
    /// The arguments of the call `input`.
    pub fn of(input: &'a [u8]) -> Option<Self> {
        input.get(4..).map(Args)
    }

    fn word(self, n: usize) -> Option<&'a [u8]> {
        let at = n.checked_mul(32)?;
        self.0.get(at..at.checked_add(32)?)
    }

    /// The address in word `n`; `None` unless the word's other 12 bytes
    /// are zero.
    pub fn address(self, n: usize) -> Option<Address> {
        let word = self.word(n)?;
        word[..12]
            .iter()
            .all(|byte| *byte == 0)
            .then(|| Address::from_slice(&word[12..]))
    }

    /// The `bool` in word `n`; `None` unless the word is 0 or 1.
    pub fn boolean(self, n: usize) -> Option<bool> {
        let word = self.word(n)?;
        match (word[..31].iter().all(|byte| *byte == 0), word[31]) {
            (true, 0) => Some(false),
            (true, 1) => Some(true),
            _ => None,
        }
    }

    /// The number in word `n`.
    pub fn number(self, n: usize) -> Option<U256> {
        self.word(n).map(U256::from_be_slice)
    }

    /// Word `n` as an offset or a length that fits the input.
    fn size(self, n: usize) -> Option<usize> {
        usize::try_from(U256::from_be_slice(self.word(n)?)).ok()
    }

    /// What the offset in word `n` points at: a tuple, or a dynamic
    /// value's length and contents.
    pub fn at(self, n: usize) -> Option<Args<'a>> {
        self.0.get(self.size(n)?..).map(Args)
    }

    /// The `bytes` whose offset is word `n`; `None` when its length runs
    /// past the input.
    pub fn bytes(self, n: usize) -> Option<&'a [u8]> {
        let data = self.at(n)?;
        let length = data.size(0)?;
        data.0.get(32..32usize.checked_add(length)?)
    }

    /// The `string` whose offset is word `n`; `None` unless it is UTF-8.
    pub fn string(self, n: usize) -> Option<&'a str> {
        core::str::from_utf8(self.bytes(n)?).ok()
    }

    /// The `string[]` whose offset is word `n`; `None` unless every item is
    /// UTF-8.
    pub fn strings(self, n: usize) -> Option<Vec<&'a str>> {
        let items = self.at(n)?;
        // The items' offsets count from the word after the length.
        let offsets = Args(items.0.get(32..)?);
        (0..items.size(0)?).map(|i| offsets.string(i)).collect()
    }

    /// The `address[]` whose offset is word `n`. `None` when the input is
    /// too short for its items or one is not an address.
    pub fn addresses(self, n: usize) -> Option<Vec<Address>> {
        let items = self.at(n)?;
        // Each item is read before the next, so a length past the input
        // stops at the input's end.
        (0..items.size(0)?).map(|i| items.address(i + 1)).collect()
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolCall;

    use super::*;
    use crate::abi::{fine_tuning::IPagedViews, IServing};

    #[test]
    fn strings_and_bytes_are_decoded_like_alloy_encodes_them() {
        use crate::abi::fine_tuning::IDeliveries;
        for (id, root) in [("", alloc::vec![]), ("task-1", alloc::vec![7; 33])] {
            let encoded = IDeliveries::addDeliverableCall {
                user: Address::repeat_byte(3),
                id: id.into(),
                modelRootHash: root.clone().into(),
            }
            .abi_encode();
            let args = Args::of(&encoded).unwrap();
            assert_eq!(args.address(0), Some(Address::repeat_byte(3)));
            assert_eq!(args.string(1), Some(id));
            assert_eq!(args.bytes(2), Some(&root[..]));
            assert_eq!(
                Args::of(&encoded[..encoded.len() - 32]).unwrap().bytes(2),
                None
            );
        }
        let models = alloc::vec!["a".into(), "".into(), "gpt-ish".into()];
        let quota = crate::abi::fine_tuning::Quota {
            gpuType: "H100".into(),
            ..Default::default()
        };
        let encoded = IPagedViews::addOrUpdateServiceCall {
            url: "https://x".into(),
            quota,
            pricePerToken: U256::from(5),
            providerSigner: Address::repeat_byte(1),
            occupied: true,
            models: models.clone(),
        }
        .abi_encode();
        let args = Args::of(&encoded).unwrap();
        assert_eq!(args.string(0), Some("https://x"));
        assert_eq!(args.at(1).unwrap().string(4), Some("H100"));
        assert_eq!(args.number(4), Some(U256::from(1)));
        assert_eq!(
            args.strings(5),
            Some(models.iter().map(|m| m.as_str()).collect())
        );
        assert_eq!(
            Args::of(&encoded[..encoded.len() - 32]).unwrap().strings(5),
            None
        );
        // Not UTF-8; a length past the input.
        let mut encoded = IDeliveries::acknowledgeDeliverable_0Call {
            provider: Address::ZERO,
            id: "ab".into(),
        }
        .abi_encode();
        // An address word with a high byte set, a bool that is 2.
        let mut dirty = encoded.clone();
        dirty[4] = 1;
        assert_eq!(Args::of(&dirty).unwrap().address(0), None);
        let mut flags = [0u8; 4 + 64];
        flags[4 + 31] = 1;
        flags[4 + 63] = 2;
        let flags = Args::of(&flags).unwrap();
        assert_eq!((flags.boolean(0), flags.boolean(1)), (Some(true), None));
        let text = encoded.len() - 32;
        encoded[text] = 0xff;
        assert_eq!(Args::of(&encoded).unwrap().string(1), None);
        assert_eq!(
            Args::of(&encoded).unwrap().bytes(1),
            Some(&[0xff, b'b'][..])
        );
        encoded[text - 1] = 33;
        assert_eq!(Args::of(&encoded).unwrap().bytes(1), None);
    }

    #[test]
    fn addresses_are_decoded_like_alloy_encodes_them() {
        for users in [
            alloc::vec![],
            alloc::vec![Address::repeat_byte(1)],
            (0..7).map(Address::with_last_byte).collect(),
        ] {
            let encoded = IPagedViews::getBatchAccountsByUsersCall {
                users: users.clone(),
            }
            .abi_encode();
            assert_eq!(
                Args::of(&encoded).unwrap().addresses(0),
                Some(users.clone())
            );
            if !users.is_empty() {
                assert_eq!(
                    Args::of(&encoded[..encoded.len() - 1])
                        .unwrap()
                        .addresses(0),
                    None
                );
            }
            let user = Address::repeat_byte(0xee);
            let encoded = IServing::retrieveFundsCall {
                user,
                providers: users.clone(),
            }
            .abi_encode();
            let args = Args::of(&encoded).unwrap();
            assert_eq!(args.address(0), Some(user));
            assert_eq!(args.addresses(1), Some(users.clone()));
            assert_eq!(args.number(1), Some(U256::from(64)));
        }
        // A length past the data, an offset past the data, nothing at all.
        let mut long = IPagedViews::getBatchAccountsByUsersCall {
            users: alloc::vec![Address::ZERO],
        }
        .abi_encode();
        long[4 + 63] = 2;
        assert_eq!(Args::of(&long).unwrap().addresses(0), None);
        let mut far = long.clone();
        far[4 + 31] = 0xff;
        assert_eq!(Args::of(&far).unwrap().addresses(0), None);
        let mut huge = long;
        huge[4 + 32..4 + 64].copy_from_slice(&[0xff; 32]);
        assert_eq!(Args::of(&huge).unwrap().addresses(0), None);
        assert!(Args::of(&[1, 2, 3]).is_none());
        assert_eq!(Args::of(&[0; 5]).unwrap().address(0), None);
        assert_eq!(Args::of(&[0; 36]).unwrap().addresses(usize::MAX), None);
    }
}
