//! Arguments read by hand from a call's input, for the functions a program
//! routes in its fallback: alloy's generic decoder of an `address[]`
//! argument adds about 1.5 KB to a program. Like a decoder without
//! validation, an address is the low 20 bytes of its word.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};

/// The `n`th 32-byte argument word of the call `input` (after the selector).
fn word(input: &[u8], n: usize) -> Option<&[u8]> {
    let at = n.checked_mul(32)?.checked_add(4)?;
    input.get(at..at.checked_add(32)?)
}

/// The address in the `n`th argument word of `input`.
pub fn address(input: &[u8], n: usize) -> Option<Address> {
    word(input, n).map(|word| Address::from_slice(&word[12..]))
}

/// The number in the `n`th argument word of `input`.
pub fn number(input: &[u8], n: usize) -> Option<U256> {
    word(input, n).map(U256::from_be_slice)
}

/// The `address[]` whose offset is the `n`th argument word of `input`: its
/// length and items, each an address in the low 20 bytes of its word.
/// `None` when the input is too short for them.
pub fn addresses(input: &[u8], n: usize) -> Option<Vec<Address>> {
    let args = input.get(4..)?;
    let word = |at: usize| args.get(at..at.checked_add(32)?);
    let size = |at: usize| usize::try_from(U256::from_be_slice(word(at)?)).ok();
    let start = size(n.checked_mul(32)?)?;
    // Each item is read before the next, so a length past the input stops
    // at the input's end.
    (0..size(start)?)
        .map(|i| {
            Some(Address::from_slice(
                &word(start.checked_add(32 * (i + 1))?)?[12..],
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolCall;

    use super::*;
    use crate::abi::{fine_tuning::IPagedViews, IServing};

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
            assert_eq!(addresses(&encoded, 0), Some(users.clone()));
            if !users.is_empty() {
                assert_eq!(addresses(&encoded[..encoded.len() - 1], 0), None);
            }
            let user = Address::repeat_byte(0xee);
            let encoded = IServing::retrieveFundsCall {
                user,
                providers: users.clone(),
            }
            .abi_encode();
            assert_eq!(address(&encoded, 0), Some(user));
            assert_eq!(addresses(&encoded, 1), Some(users.clone()));
            assert_eq!(number(&encoded, 1), Some(U256::from(64)));
        }
        // A length past the data, an offset past the data, nothing at all.
        let mut long = IPagedViews::getBatchAccountsByUsersCall {
            users: alloc::vec![Address::ZERO],
        }
        .abi_encode();
        long[4 + 63] = 2;
        assert_eq!(addresses(&long, 0), None);
        let mut far = long.clone();
        far[4 + 31] = 0xff;
        assert_eq!(addresses(&far, 0), None);
        let mut huge = long;
        huge[4 + 32..4 + 64].copy_from_slice(&[0xff; 32]);
        assert_eq!(addresses(&huge, 0), None);
        assert_eq!(addresses(&[1, 2, 3], 0), None);
        assert_eq!(address(&[1, 2, 3], 0), None);
        assert_eq!(addresses(&[0; 36], usize::MAX), None);
    }
}
