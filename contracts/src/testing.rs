//! What the contracts' unit tests and the native harness share (feature
//! `testing`; never in a program).

use alloc::vec::Vec;

use stylus_sdk::prelude::*;

/// An externally owned account that can be paid: motsu delivers value only
/// to contracts, so users and providers that receive value are deployed as
/// this empty contract, which accepts any value.
#[storage]
pub struct Wallet;

/// SAFETY: the wallet is the whole storage of its (test) contract.
unsafe impl TopLevelStorage for Wallet {}

#[public]
impl Wallet {
    /// Accepts any value.
    #[receive]
    fn receive(&mut self) -> Result<(), Vec<u8>> {
        Ok(())
    }
}
