//! The beacon of every upgradeable contract: an [`UpgradeableBeacon`]
//! program (openzeppelin-stylus) that names the implementation its proxies
//! run.
//!
//! A contract behind a beacon lives at an EVM beacon proxy
//! (`serving_harness::upgrade::proxy_initcode`) that holds its state and
//! value and runs every call in the implementation the beacon names, by
//! delegatecall: users, providers and the other contracts only ever see the
//! proxy's address. Upgrading is deploying a new implementation and calling
//! `upgradeTo(newImplementation)` on the beacon, which only the beacon's
//! owner may do (`OwnableUnauthorizedAccount`); every proxy of that beacon
//! runs the new code from the next call on, on the state it already holds.
//!
//! The proxy is EVM code, not a Stylus program: on arbos-anvil a
//! delegatecall made by a Stylus program runs its target with `msg.value`
//! 0, so a payable call through a Stylus proxy (`addLedger`) credits
//! nothing while the proxy keeps the value (measured with a Stylus beacon
//! proxy on openzeppelin-stylus, since removed; see docs/upgrades.md).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::Address;
pub use openzeppelin_stylus::proxy::beacon::UpgradeableBeacon;
use openzeppelin_stylus::{
    access::ownable::IOwnable,
    proxy::beacon::{self, IBeacon},
};
use stylus_sdk::prelude::*;

/// The beacon: names the implementation of its proxies; its owner upgrades
/// it.
///
/// Errors: `BeaconInvalidImplementation(implementation)` for an address
/// without code, `OwnableUnauthorizedAccount(caller)` when anyone but the
/// owner upgrades or transfers, `OwnableInvalidOwner(owner)` for a zero
/// owner. Events: `Upgraded(implementation)`, `OwnershipTransferred(previous,
/// new)`.
#[entrypoint]
#[storage]
pub struct Beacon {
    beacon: UpgradeableBeacon,
}

#[public]
impl Beacon {
    /// Sets the first implementation and the owner, in the transaction that
    /// creates the beacon. Runs once (the SDK's constructor guard).
    ///
    /// # Errors
    ///
    /// `BeaconInvalidImplementation`, `OwnableInvalidOwner`.
    ///
    /// # Events
    ///
    /// `Upgraded`, `OwnershipTransferred`.
    #[constructor]
    pub fn constructor(
        &mut self,
        implementation: Address,
        initial_owner: Address,
    ) -> Result<(), beacon::Error> {
        self.beacon.constructor(implementation, initial_owner)
    }

    /// The implementation the proxies run.
    ///
    /// # Errors
    ///
    /// None in practice (the SDK's interface returns a `Result`).
    pub fn implementation(&self) -> Result<Address, Vec<u8>> {
        IBeacon::implementation(&self.beacon)
    }

    /// Points every proxy of this beacon at `new_implementation` (owner
    /// only).
    ///
    /// # Errors
    ///
    /// `OwnableUnauthorizedAccount`, `BeaconInvalidImplementation`.
    ///
    /// # Events
    ///
    /// `Upgraded`.
    pub fn upgrade_to(&mut self, new_implementation: Address) -> Result<(), beacon::Error> {
        self.beacon.upgrade_to(new_implementation)
    }

    /// The account that may upgrade.
    pub fn owner(&self) -> Address {
        IOwnable::owner(&self.beacon)
    }

    /// Hands the beacon to `new_owner` (owner only; not to zero).
    ///
    /// # Errors
    ///
    /// `OwnableUnauthorizedAccount`, `OwnableInvalidOwner`.
    ///
    /// # Events
    ///
    /// `OwnershipTransferred`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), Vec<u8>> {
        IOwnable::transfer_ownership(&mut self.beacon, new_owner)
    }

    /// Leaves the beacon without owner: its implementation is final.
    ///
    /// # Errors
    ///
    /// `OwnableUnauthorizedAccount`.
    ///
    /// # Events
    ///
    /// `OwnershipTransferred`.
    pub fn renounce_ownership(&mut self) -> Result<(), Vec<u8>> {
        IOwnable::renounce_ownership(&mut self.beacon)
    }
}

#[cfg(test)]
mod tests;
