//! Ownership, with the reference's functions, event and the errors of
//! OpenZeppelin's `Ownable` (written out here: the library's version adds an
//! ERC-165 router the contracts do not need).

use alloc::{vec, vec::Vec};

use alloy_primitives::Address;
use alloy_sol_types::SolError;
use stylus_sdk::{prelude::*, storage::StorageAddress};

use crate::host::log;

sol_items! {
    /// Ownership moved from `previousOwner` to `newOwner`.
    #[derive(Debug, PartialEq, Eq)]
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// The caller is not the owner.
    #[derive(Debug, PartialEq, Eq)]
    error OwnableUnauthorizedAccount(address account);
    /// The new owner is the zero address.
    #[derive(Debug, PartialEq, Eq)]
    error OwnableInvalidOwner(address owner);
}

/// The owner of a contract.
#[storage]
pub struct Ownable {
    owner: StorageAddress,
}

impl Ownable {
    /// The current owner.
    pub fn owner(&self) -> Address {
        self.owner.get()
    }

    /// Errors with `OwnableUnauthorizedAccount` unless `account` is the owner.
    pub fn only_owner(&self, account: Address) -> Result<(), Vec<u8>> {
        if self.owner.get() != account {
            return Err(OwnableUnauthorizedAccount { account }.abi_encode());
        }
        Ok(())
    }

    /// Sets the owner without checks. Emits `OwnershipTransferred`.
    pub fn set_owner(&mut self, new_owner: Address) {
        let previous_owner = self.owner.get();
        self.owner.set(new_owner);
        log(
            self.host(),
            OwnershipTransferred {
                previousOwner: previous_owner,
                newOwner: new_owner,
            },
        );
    }

    /// `transferOwnership` called by `caller`. Errors:
    /// `OwnableUnauthorizedAccount`, `OwnableInvalidOwner`.
    pub fn transfer(&mut self, caller: Address, new_owner: Address) -> Result<(), Vec<u8>> {
        self.only_owner(caller)?;
        if new_owner.is_zero() {
            return Err(OwnableInvalidOwner { owner: new_owner }.abi_encode());
        }
        self.set_owner(new_owner);
        Ok(())
    }

    /// `renounceOwnership` called by `caller`. Errors:
    /// `OwnableUnauthorizedAccount`.
    pub fn renounce(&mut self, caller: Address) -> Result<(), Vec<u8>> {
        self.only_owner(caller)?;
        self.set_owner(Address::ZERO);
        Ok(())
    }
}
