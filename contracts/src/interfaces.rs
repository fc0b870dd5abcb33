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
//! - `userInfo(user) -> (signer, additionalInfo, providers)` (view): the
//!   ledger's signer and info (shown on the user's accounts) and the
//!   providers of the caller's kind the user has accounts with.

use alloc::vec::Vec;

use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use stylus_sdk::stylus_core::{calls::context::Call, Host};

pub use crate::abi::{ILedger, IServing};


/// Calls `call` on `to`, bubbling up its revert data.
pub fn call<C: SolCall>(vm: &dyn Host, to: Address, call: &C) -> Result<C::Return, Vec<u8>> {
    let output = vm
        .call(&Call::new(), to, &call.abi_encode())
        .map_err(Vec::<u8>::from)?;
    C::abi_decode_returns(&output, false).map_err(|_| Vec::new())
}

/// Static-calls `call` on `to`, bubbling up its revert data.
pub fn view<C: SolCall>(vm: &dyn Host, to: Address, call: &C) -> Result<C::Return, Vec<u8>> {
    let output = vm
        .static_call(&Call::new(), to, &call.abi_encode())
        .map_err(Vec::<u8>::from)?;
    C::abi_decode_returns(&output, false).map_err(|_| Vec::new())
}
