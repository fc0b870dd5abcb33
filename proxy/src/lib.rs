//! Upgrades behind a beacon: an [`UpgradeableBeacon`] program (feature
//! `beacon`) per kind of contract, and a [`BeaconProxy`] program, both
//! built on openzeppelin-stylus.
//!
//! A proxy holds a contract's state and value and runs every call in the
//! implementation its beacon names, by delegatecall: users, providers and
//! the other contracts only ever see the proxy's address. Upgrading is
//! deploying a new implementation and calling `upgradeTo(newImplementation)`
//! on the beacon, which only the beacon's owner may do
//! (`OwnableUnauthorizedAccount`); every proxy of that beacon runs the new
//! code from the next call on, on the state it already holds.
//!
//! Deployments use the beacon program with an EVM proxy
//! (`serving_harness::upgrade::proxy_initcode`), not the Stylus proxy
//! program: on arbos-anvil a delegatecall made by a Stylus program runs its
//! target with `msg.value` 0, so a payable call through the Stylus proxy
//! (`addLedger`) credits nothing while the proxy keeps the value
//! (`tests/tests/e2e_upgrade.rs` measures it). The Stylus proxy is kept as
//! the subject of that experiment and for chains whose delegatecall keeps
//! the value.
//!
//! The Stylus proxy keeps no state of its own in the implementation's
//! storage: its beacon lives only in the ERC-1967 beacon slot
//! (`keccak256("eip1967.proxy.beacon") - 1`), and the one-time constructor
//! flag in the SDK's hashed constructor slot. (openzeppelin-stylus's own
//! `BeaconProxy` type also stores the beacon in its first storage field,
//! slot 0, which an implementation's first field would overwrite; it is not
//! used here.) It has no public function of its own either, so every
//! selector, the empty calldata of a plain transfer included, reaches the
//! implementation.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::Address;
pub use openzeppelin_stylus::proxy::beacon::UpgradeableBeacon;
use openzeppelin_stylus::{
    access::ownable::IOwnable,
    proxy::{
        beacon::{self, IBeacon, IBeaconInterface},
        erc1967::{self, Erc1967Utils},
        IProxy,
    },
};
use stylus_sdk::{abi::Bytes, prelude::*, ArbResult};

/// A beacon proxy: the program at the address users call.
///
/// Errors (constructor): `ERC1967InvalidBeacon(beacon)` when the beacon has
/// no code, `ERC1967InvalidImplementation(implementation)` when the
/// beacon's implementation has none, `ERC1967NonPayable()` when value comes
/// without data, `FailedCallWithReason(reason)` carrying the revert data of
/// a failing initialization call. Events: `BeaconUpgraded(beacon)`. Every
/// other call returns or reverts with exactly what the implementation
/// returned.
#[cfg_attr(not(feature = "beacon"), entrypoint)]
#[storage]
pub struct BeaconProxy;

/// SAFETY: the proxy is the whole contract's storage (it has no fields);
/// as the entrypoint, the SDK implements it.
#[cfg(feature = "beacon")]
unsafe impl TopLevelStorage for BeaconProxy {}

#[public]
impl BeaconProxy {
    /// Points the proxy at `beacon` and, when `data` is not empty, runs
    /// `data` (e.g. `initialize(...)`) in the beacon's implementation on
    /// the proxy's storage, in the transaction that creates the proxy.
    /// Runs once (the SDK's constructor guard).
    #[constructor]
    #[payable]
    pub fn constructor(&mut self, beacon: Address, data: Bytes) -> Result<(), erc1967::Error> {
        Erc1967Utils::upgrade_beacon_to_and_call(self, beacon, &data)
    }

    /// Every call: runs in the beacon's current implementation, with the
    /// caller, value and calldata it came with.
    #[fallback]
    #[payable]
    fn fallback(&mut self, calldata: &[u8]) -> ArbResult {
        // SAFETY: the implementation is what the beacon's owner set, and
        // the proxy keeps nothing in the storage it works on.
        unsafe { self.do_fallback(calldata) }
    }
}

/// SAFETY: the implementation comes from the beacon of the ERC-1967 slot,
/// which only the constructor sets.
unsafe impl IProxy for BeaconProxy {
    fn implementation(&self) -> Result<Address, Vec<u8>> {
        Ok(IBeaconInterface::new(Erc1967Utils::get_beacon()).implementation(self)?)
    }
}

/// The beacon: names the implementation of its proxies; its owner upgrades
/// it.
///
/// Errors: `BeaconInvalidImplementation(implementation)` for an address
/// without code, `OwnableUnauthorizedAccount(caller)` when anyone but the
/// owner upgrades or transfers, `OwnableInvalidOwner(owner)` for a zero
/// owner. Events: `Upgraded(implementation)`, `OwnershipTransferred(previous,
/// new)`.
#[cfg_attr(feature = "beacon", entrypoint)]
#[storage]
pub struct Beacon {
    beacon: UpgradeableBeacon,
}

/// SAFETY: the beacon is the whole contract's storage; as the entrypoint,
/// the SDK implements it.
#[cfg(not(feature = "beacon"))]
unsafe impl TopLevelStorage for Beacon {}

#[public]
impl Beacon {
    /// Sets the first implementation and the owner, in the transaction that
    /// creates the beacon. Runs once (the SDK's constructor guard).
    #[constructor]
    pub fn constructor(
        &mut self,
        implementation: Address,
        initial_owner: Address,
    ) -> Result<(), beacon::Error> {
        self.beacon.constructor(implementation, initial_owner)
    }

    /// The implementation the proxies run.
    pub fn implementation(&self) -> Result<Address, Vec<u8>> {
        IBeacon::implementation(&self.beacon)
    }

    /// Points every proxy of this beacon at `new_implementation` (owner
    /// only).
    pub fn upgrade_to(&mut self, new_implementation: Address) -> Result<(), beacon::Error> {
        self.beacon.upgrade_to(new_implementation)
    }

    /// The account that may upgrade.
    pub fn owner(&self) -> Address {
        IOwnable::owner(&self.beacon)
    }

    /// Hands the beacon to `new_owner` (owner only; not to zero).
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), Vec<u8>> {
        IOwnable::transfer_ownership(&mut self.beacon, new_owner)
    }

    /// Leaves the beacon without owner: its implementation is final.
    pub fn renounce_ownership(&mut self) -> Result<(), Vec<u8>> {
        IOwnable::renounce_ownership(&mut self.beacon)
    }
}

#[cfg(test)]
mod tests;
