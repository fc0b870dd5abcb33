//! The functions our contracts call on each other (ledger <-> serving).
//!
//! No value ever moves between our contracts: the ledger holds every token,
//! a serving contract's sub-account balances are accounting entries backed
//! by it, and each of these calls returns amounts instead of sending them.
//! Each call goes one way and never calls back into its caller, so no
//! contract is entered while it is on the call stack.
//!
//! Ledger -> serving (callable only by the ledger):
//! - `fundAccount(user, provider, amount) -> (moved, created)`: moves
//!   `amount` into the sub-account, opening it if needed (the provider must
//!   have a service); into an existing one it cancels pending refunds first
//!   and `moved` is what the ledger must take from the user's available
//!   balance.
//! - `retrieveFunds(user, providers) -> paid`: per provider, pays matured
//!   refunds and queues the rest of the balance; `paid` returns to the
//!   user's available balance.
//! - `deleteAccounts(user, providers)`: deletes empty sub-accounts; reverts
//!   with `AccountHasFunds` if one holds funds.
//! - `userBalance(user, providers) -> sum` (view): the sum of the user's
//!   sub-account balances, for the ledger's `totalBalance`.
//!
//! Serving -> ledger (callable only by the two serving contracts):
//! - `payProvider(provider, amount)`: after a settlement, the ledger pays
//!   the provider the batch's total once.
//! - `userInfo(users, withProviders) -> (signer, additionalInfo,
//!   providers)[]` (view): for each user, the ledger's signer and info
//!   (shown on the user's accounts) and, when asked, the providers of the
//!   caller's kind the user has accounts with. A page of accounts asks once
//!   for all its users and does not ask for providers, so its cost stays
//!   that of its accounts.

use alloc::{string::String, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::stylus_core::calls::{context::Call, errors::Error as CallError, CallAccess};

use crate::abi::UserInfo;
pub use crate::abi::{ILedger, IServing};

/// The revert data of a failed call. A call of the VM fails only with
/// `Revert`; the SDK's own conversion would encode a `Panic` for the other
/// variant and costs about 250 bytes of stored code.
pub fn revert_data(error: CallError) -> Vec<u8> {
    match error {
        CallError::Revert(data) => data,
        CallError::AbiDecodingFailed(error) => {
            core::mem::forget(error);
            Vec::new()
        }
    }
}

/// Calls `call` on `to`, bubbling up its revert data.
pub fn call<C: SolCall>(
    vm: &(impl CallAccess + ?Sized),
    to: Address,
    call: &C,
) -> Result<C::Return, Vec<u8>> {
    let output = vm
        .call(&Call::new(), to, &call.abi_encode())
        .map_err(revert_data)?;
    C::abi_decode_returns(&output, false).map_err(|_| Vec::new())
}

/// Static-calls `call` on `to`, bubbling up its revert data.
pub fn view<C: SolCall>(
    vm: &(impl CallAccess + ?Sized),
    to: Address,
    call: &C,
) -> Result<C::Return, Vec<u8>> {
    let output = vm
        .static_call(&Call::new(), to, &call.abi_encode())
        .map_err(revert_data)?;
    C::abi_decode_returns(&output, false).map_err(|_| Vec::new())
}

/// `ILedger.userInfo(users, withProviders)` on `ledger`: one call for a
/// whole page of accounts. Its return is decoded by hand: alloy's generic
/// decoder of `UserInfo` adds about 2 KB of wasm to a program. Errors: the
/// ledger's revert data, or empty data when the return is malformed.
pub fn user_infos(
    vm: &(impl CallAccess + ?Sized),
    ledger: Address,
    users: Vec<Address>,
    with_providers: bool,
) -> Result<Vec<UserInfo>, Vec<u8>> {
    let output = vm
        .static_call(
            &Call::new(),
            ledger,
            &ILedger::userInfoCall {
                users,
                withProviders: with_providers,
            }
            .abi_encode(),
        )
        .map_err(revert_data)?;
    decode_user_infos(&output).ok_or_else(Vec::new)
}

/// Decodes the ABI encoding of `(UserInfo[])`: the array's offset, its
/// length and the offsets of its tuples (from the end of the length word);
/// each tuple holds `signer[2]`, the offsets of `additionalInfo` and
/// `providers` (from the tuple's start), and their lengths and contents.
fn decode_user_infos(data: &[u8]) -> Option<Vec<UserInfo>> {
    let word = |at: usize| data.get(at..at.checked_add(32)?);
    // A word that is an offset or a length: at most the data's length.
    let size = |at: usize| {
        let value = U256::from_be_slice(word(at)?);
        (value <= U256::from(data.len())).then(|| value.to::<usize>())
    };
    let array = size(0)?;
    let heads = array + 32;
    (0..size(array)?)
        .map(|i| {
            let tuple = heads + size(heads + 32 * i)?;
            let signer = [
                U256::from_be_slice(word(tuple)?),
                U256::from_be_slice(word(tuple + 32)?),
            ];
            let info = tuple + size(tuple + 64)?;
            let providers = tuple + size(tuple + 96)?;
            let info_len = size(info)?;
            let info_bytes = data.get(info + 32..info + 32 + info_len)?;
            let count = size(providers)?;
            let providers = (0..count)
                .map(|i| Some(Address::from_slice(&word(providers + 32 + 32 * i)?[12..])))
                .collect::<Option<Vec<_>>>()?;
            Some(UserInfo {
                signer,
                // The ledger stores only valid UTF-8 (decoded strings); the
                // lossy conversion shares its code with alloy's decoder.
                additionalInfo: String::from_utf8_lossy(info_bytes).into_owned(),
                providers,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;

    #[test]
    fn user_info_is_decoded_like_alloy_encodes_it() {
        for info in [
            UserInfo::default(),
            UserInfo {
                signer: [U256::from(7), U256::MAX],
                additionalInfo: "{\"a\":\"".repeat(20),
                providers: vec![
                    address!("00000000000000000000000000000000000000aa"),
                    Address::repeat_byte(0xbb),
                ],
            },
        ] {
            let encoded = ILedger::userInfoCall::abi_encode_returns(&(vec![info.clone()],));
            assert_eq!(decode_user_infos(&encoded), Some(vec![info.clone()]));
        }
        let infos = vec![
            UserInfo::default(),
            UserInfo {
                signer: [U256::from(1), U256::from(2)],
                additionalInfo: "second".into(),
                providers: vec![Address::repeat_byte(0xcc)],
            },
            UserInfo {
                additionalInfo: "third".into(),
                ..UserInfo::default()
            },
        ];
        let encoded = ILedger::userInfoCall::abi_encode_returns(&(infos.clone(),));
        assert_eq!(decode_user_infos(&encoded), Some(infos));
        let encoded = ILedger::userInfoCall::abi_encode_returns(&(Vec::<UserInfo>::new(),));
        assert_eq!(decode_user_infos(&encoded), Some(vec![]));
    }

    #[test]
    fn malformed_user_info_is_refused() {
        let info = UserInfo {
            signer: [U256::from(1), U256::from(2)],
            additionalInfo: "info".into(),
            providers: vec![Address::repeat_byte(1)],
        };
        let encoded = ILedger::userInfoCall::abi_encode_returns(&(vec![info],));
        for len in 0..encoded.len() {
            assert_eq!(
                decode_user_infos(&encoded[..len]),
                None,
                "truncated to {len}"
            );
        }
        let mut huge = encoded.clone();
        huge[..32].copy_from_slice(&U256::MAX.to_be_bytes::<32>());
        assert_eq!(decode_user_infos(&huge), None);
    }
}
