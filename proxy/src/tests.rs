//! Unit tests of the beacon (motsu): construction, upgrades and who may
//! make them. What a proxy of the beacon does (state kept across an
//! upgrade, value, delegatecall) is checked on the real VM
//! (`tests/tests/e2e_upgrade.rs`).

use alloy_primitives::Address;
use alloy_sol_types::SolError;
use motsu::prelude::*;
use openzeppelin_stylus::{
    access::ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount},
    proxy::beacon::upgradeable::{BeaconInvalidImplementation, Upgraded},
};
use stylus_sdk::prelude::*;

use crate::Beacon;

/// An implementation: any contract with code.
#[storage]
struct Implementation;

unsafe impl TopLevelStorage for Implementation {}

#[public]
impl Implementation {}

#[motsu::test]
fn the_constructor_sets_implementation_and_owner(
    beacon: Contract<Beacon>,
    v1: Contract<Implementation>,
    owner: Address,
    deployer: Address,
) {
    beacon
        .sender(deployer)
        .constructor(v1.address(), owner)
        .unwrap();
    beacon.assert_emitted(&Upgraded {
        implementation: v1.address(),
    });
    assert_eq!(
        beacon.sender(deployer).implementation().unwrap(),
        v1.address()
    );
    assert_eq!(beacon.sender(deployer).owner(), owner);
}

#[motsu::test]
fn the_beacon_owner_upgrades(
    beacon: Contract<Beacon>,
    v1: Contract<Implementation>,
    v2: Contract<Implementation>,
    owner: Address,
) {
    beacon
        .sender(owner)
        .constructor(v1.address(), owner)
        .unwrap();
    beacon.sender(owner).upgrade_to(v2.address()).unwrap();
    beacon.assert_emitted(&Upgraded {
        implementation: v2.address(),
    });
    assert_eq!(beacon.sender(owner).implementation().unwrap(), v2.address());
}

#[motsu::test]
fn only_the_beacon_owner_upgrades(
    beacon: Contract<Beacon>,
    v1: Contract<Implementation>,
    v2: Contract<Implementation>,
    owner: Address,
    stranger: Address,
) {
    beacon
        .sender(owner)
        .constructor(v1.address(), owner)
        .unwrap();
    let err = beacon
        .sender(stranger)
        .upgrade_to(v2.address())
        .unwrap_err();
    assert_eq!(
        Vec::<u8>::from(err),
        OwnableUnauthorizedAccount { account: stranger }.abi_encode()
    );
    let err = beacon
        .sender(stranger)
        .transfer_ownership(stranger)
        .unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: stranger }.abi_encode()
    );
    assert_eq!(beacon.sender(owner).implementation().unwrap(), v1.address());

    // An address without code is no implementation.
    let err = beacon.sender(owner).upgrade_to(stranger).unwrap_err();
    assert_eq!(
        Vec::<u8>::from(err),
        BeaconInvalidImplementation {
            implementation: stranger
        }
        .abi_encode()
    );

    // A new owner upgrades; the old one no longer can; after renouncing
    // nobody can.
    beacon.sender(owner).transfer_ownership(stranger).unwrap();
    assert_eq!(beacon.sender(owner).owner(), stranger);
    assert!(beacon.sender(owner).upgrade_to(v2.address()).is_err());
    beacon.sender(stranger).upgrade_to(v2.address()).unwrap();
    beacon.sender(stranger).renounce_ownership().unwrap();
    assert_eq!(beacon.sender(owner).owner(), Address::ZERO);
    assert!(beacon.sender(stranger).upgrade_to(v1.address()).is_err());
}

#[motsu::test]
fn the_beacon_refuses_a_zero_owner_or_an_implementation_without_code(
    beacon: Contract<Beacon>,
    v1: Contract<Implementation>,
    owner: Address,
) {
    let err = beacon
        .sender(owner)
        .constructor(v1.address(), Address::ZERO)
        .unwrap_err();
    assert_eq!(
        Vec::<u8>::from(err),
        OwnableInvalidOwner {
            owner: Address::ZERO
        }
        .abi_encode()
    );
    let err = beacon.sender(owner).constructor(owner, owner).unwrap_err();
    assert_eq!(
        Vec::<u8>::from(err),
        BeaconInvalidImplementation {
            implementation: owner
        }
        .abi_encode()
    );
}
