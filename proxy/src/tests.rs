//! Unit tests of the proxy and the beacon (motsu), with a small counter as
//! the implementation (two versions). motsu runs a delegatecall on the
//! target's own storage, so where the state lives behind a proxy (and that
//! it survives an upgrade) is checked on the real VM instead (`tests/tests/e2e_upgrade.rs`); here: routing,
//! caller and revert data kept through the proxy, the constructor's
//! initialization call and its errors, upgrades and who may make them.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolValue};
use motsu::prelude::*;
use openzeppelin_stylus::{
    access::ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount},
    proxy::{
        beacon::upgradeable::{BeaconInvalidImplementation, Upgraded},
        erc1967::{utils::ERC1967InvalidBeacon, BeaconUpgraded},
    },
    utils::address::FailedCallWithReason,
};

use crate::{Beacon, BeaconProxy};

sol! {
    /// The counter's interface, as a caller of the proxy encodes it.
    interface ICounter {
        function initialize(address owner) external;
        function owner() external view returns (address);
        function increment() external returns (uint256);
        function count() external view returns (uint256);
        function step() external pure returns (uint256);
    }

    /// `initialize` ran already.
    error AlreadyInitialized();
    /// Only the counter's owner increments.
    error NotOwner(address caller);
}

/// Two versions of a counter with an owner: version 2 counts by ten.
mod counter {
    use alloc::vec::Vec;

    use alloy_primitives::{Address, U256};
    use alloy_sol_types::SolError;
    use stylus_sdk::{
        prelude::*,
        storage::{StorageAddress, StorageU256},
    };

    use super::{AlreadyInitialized, NotOwner};

    macro_rules! counter {
        ($name:ident, $step:expr) => {
            #[storage]
            pub(super) struct $name {
                owner: StorageAddress,
                count: StorageU256,
            }

            unsafe impl TopLevelStorage for $name {}

            #[public]
            impl $name {
                fn initialize(&mut self, owner: Address) -> Result<(), Vec<u8>> {
                    if !self.owner.get().is_zero() {
                        return Err(AlreadyInitialized {}.abi_encode());
                    }
                    self.owner.set(owner);
                    Ok(())
                }

                fn owner(&self) -> Address {
                    self.owner.get()
                }

                fn increment(&mut self) -> Result<U256, Vec<u8>> {
                    let caller = self.vm().msg_sender();
                    if caller != self.owner.get() {
                        return Err(NotOwner { caller }.abi_encode());
                    }
                    let count = self.count.get() + U256::from($step);
                    self.count.set(count);
                    Ok(count)
                }

                fn count(&self) -> U256 {
                    self.count.get()
                }

                fn step(&self) -> U256 {
                    U256::from($step)
                }
            }
        };
    }

    counter!(CounterV1, 1u64);
    counter!(CounterV2, 10u64);
}
use counter::{CounterV1, CounterV2};

fn initialize(owner: Address) -> Vec<u8> {
    ICounter::initializeCall { owner }.abi_encode()
}

/// `count()` read through `proxy`.
fn count(proxy: &Contract<BeaconProxy>, caller: Address) -> U256 {
    let out = proxy
        .sender(caller)
        .fallback(&ICounter::countCall {}.abi_encode())
        .expect("count through the proxy");
    U256::abi_decode(&out, true).unwrap()
}

/// `increment()` sent through `proxy` by `caller`.
fn increment(proxy: &Contract<BeaconProxy>, caller: Address) -> Result<Vec<u8>, Vec<u8>> {
    proxy
        .sender(caller)
        .fallback(&ICounter::incrementCall {}.abi_encode())
}

#[motsu::test]
fn the_constructor_initializes_through_the_beacon_implementation(
    proxy: Contract<BeaconProxy>,
    beacon: Contract<Beacon>,
    v1: Contract<CounterV1>,
    owner: Address,
    deployer: Address,
) {
    beacon
        .sender(deployer)
        .constructor(v1.address(), owner)
        .unwrap();
    proxy
        .sender(deployer)
        .constructor(beacon.address(), initialize(owner).into())
        .unwrap();
    proxy.assert_emitted(&BeaconUpgraded {
        beacon: beacon.address(),
    });

    let out = proxy
        .sender(owner)
        .fallback(&ICounter::ownerCall {}.abi_encode())
        .unwrap();
    assert_eq!(Address::abi_decode(&out, true).unwrap(), owner);
    // The caller reaches the implementation unchanged: the owner counts.
    assert_eq!(
        increment(&proxy, owner).unwrap(),
        U256::from(1u64).abi_encode()
    );
    assert_eq!(count(&proxy, deployer), U256::from(1u64));
}

#[motsu::test]
fn revert_data_comes_back_unchanged(
    proxy: Contract<BeaconProxy>,
    beacon: Contract<Beacon>,
    v1: Contract<CounterV1>,
    owner: Address,
    stranger: Address,
) {
    beacon
        .sender(owner)
        .constructor(v1.address(), owner)
        .unwrap();
    proxy
        .sender(owner)
        .constructor(beacon.address(), initialize(owner).into())
        .unwrap();
    assert_eq!(
        increment(&proxy, stranger).unwrap_err(),
        NotOwner { caller: stranger }.abi_encode()
    );
    assert_eq!(
        proxy
            .sender(stranger)
            .fallback(&initialize(stranger))
            .unwrap_err(),
        AlreadyInitialized {}.abi_encode()
    );
}

#[motsu::test]
fn a_failing_initialization_fails_the_constructor(
    proxy: Contract<BeaconProxy>,
    beacon: Contract<Beacon>,
    v1: Contract<CounterV1>,
    owner: Address,
) {
    beacon
        .sender(owner)
        .constructor(v1.address(), owner)
        .unwrap();
    // Refused by the implementation (nobody owns the counter yet): its
    // revert data comes back wrapped.
    let err = proxy
        .sender(owner)
        .constructor(
            beacon.address(),
            ICounter::incrementCall {}.abi_encode().into(),
        )
        .unwrap_err();
    let reason = NotOwner { caller: owner }.abi_encode();
    assert_eq!(
        Vec::<u8>::from(err),
        FailedCallWithReason {
            reason: reason.into()
        }
        .abi_encode()
    );
}

#[motsu::test]
fn the_constructor_refuses_a_beacon_without_code(proxy: Contract<BeaconProxy>, owner: Address) {
    let nowhere = Address::repeat_byte(0x42);
    let err = proxy
        .sender(owner)
        .constructor(nowhere, Vec::new().into())
        .unwrap_err();
    assert_eq!(
        Vec::<u8>::from(err),
        ERC1967InvalidBeacon { beacon: nowhere }.abi_encode()
    );
}

#[motsu::test]
fn the_beacon_owner_upgrades_every_proxy(
    proxy: Contract<BeaconProxy>,
    beacon: Contract<Beacon>,
    v1: Contract<CounterV1>,
    v2: Contract<CounterV2>,
    owner: Address,
) {
    beacon
        .sender(owner)
        .constructor(v1.address(), owner)
        .unwrap();
    beacon.assert_emitted(&Upgraded {
        implementation: v1.address(),
    });
    assert_eq!(beacon.sender(owner).owner(), owner);
    proxy
        .sender(owner)
        .constructor(beacon.address(), initialize(owner).into())
        .unwrap();
    increment(&proxy, owner).unwrap();

    beacon.sender(owner).upgrade_to(v2.address()).unwrap();
    beacon.assert_emitted(&Upgraded {
        implementation: v2.address(),
    });
    assert_eq!(beacon.sender(owner).implementation().unwrap(), v2.address());
    // The next call runs version 2.
    let step = proxy
        .sender(owner)
        .fallback(&ICounter::stepCall {}.abi_encode())
        .unwrap();
    assert_eq!(step, U256::from(10u64).abi_encode());
}

#[motsu::test]
fn only_the_beacon_owner_upgrades(
    beacon: Contract<Beacon>,
    v1: Contract<CounterV1>,
    v2: Contract<CounterV2>,
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
    v1: Contract<CounterV1>,
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
