//! What both serving contracts share around their accounts: ownership, the
//! ledger they answer to, the refund lock time, one-time initialization,
//! and the views program their fallback delegates to.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256, U64};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageU64},
    stylus_core::calls::context::Call,
    ArbResult,
};

use crate::{
    abi::{revert, InvalidInitialization, InvalidLimit, NotInitialized, Unauthorized},
    ownable::Ownable,
};

/// The configuration of a serving contract.
#[storage]
pub struct ServingConfig {
    /// The owner, for `onlyOwner` checks and the ownership functions.
    pub ownable: Ownable,
    ledger: StorageAddress,
    lock_time: StorageU64,
    initialized: StorageBool,
    views: StorageAddress,
}

impl ServingConfig {
    /// `initialize(lockTime, ledger, owner)`, once. Errors:
    /// `InvalidInitialization` (already initialized, zero ledger or owner),
    /// `InvalidLimit` (lock time above 2^64 - 1). Emits
    /// `OwnershipTransferred`.
    pub fn initialize(
        &mut self,
        lock_time: U256,
        ledger: Address,
        owner: Address,
    ) -> Result<(), Vec<u8>> {
        if self.initialized.get() || ledger.is_zero() || owner.is_zero() {
            return Err(revert(InvalidInitialization {}));
        }
        self.set_lock_time(lock_time)?;
        self.initialized.set(true);
        self.ledger.set(ledger);
        self.ownable.set_owner(owner);
        Ok(())
    }

    /// Whether `initialize` ran.
    pub fn initialized(&self) -> bool {
        self.initialized.get()
    }

    /// The LedgerManager.
    pub fn ledger(&self) -> Address {
        self.ledger.get()
    }

    /// Seconds a refund stays locked.
    pub fn lock_time(&self) -> u64 {
        self.lock_time.get().to()
    }

    /// Returns `caller` once the contract is initialized. Errors:
    /// `NotInitialized`.
    pub fn only_initialized(&self, caller: Address) -> Result<Address, Vec<u8>> {
        if !self.initialized.get() {
            return Err(revert(NotInitialized {}));
        }
        Ok(caller)
    }

    /// Errors with `Unauthorized` unless `caller` is the ledger.
    pub fn only_ledger(&self, caller: Address) -> Result<(), Vec<u8>> {
        if caller.is_zero() || caller != self.ledger.get() {
            return Err(revert(Unauthorized { caller }));
        }
        Ok(())
    }

    /// `setViews`: once before `initialize` (in the deploying transaction),
    /// then only by the owner. Errors: `OwnableUnauthorizedAccount`.
    pub fn set_views(&mut self, caller: Address, views: Address) -> Result<(), Vec<u8>> {
        if self.initialized.get() {
            self.ownable.only_owner(caller)?;
        }
        self.views.set(views);
        Ok(())
    }

    /// `updateLockTime` (owner only). Errors: `OwnableUnauthorizedAccount`,
    /// `InvalidLimit`.
    pub fn update_lock_time(&mut self, caller: Address, lock_time: U256) -> Result<(), Vec<u8>> {
        self.ownable.only_owner(caller)?;
        self.set_lock_time(lock_time)
    }

    fn set_lock_time(&mut self, lock_time: U256) -> Result<(), Vec<u8>> {
        if lock_time > U256::from(u64::MAX) {
            return Err(revert(InvalidLimit {
                limit: lock_time,
                max: U256::from(u64::MAX),
            }));
        }
        self.lock_time.set(U64::from(lock_time.to::<u64>()));
        Ok(())
    }

    /// Runs `input` in the views program, on the caller's storage. Errors:
    /// `NotInitialized` when no views program is set.
    pub fn delegate_to_views(&self, input: &[u8]) -> ArbResult {
        let views = self.views.get();
        if views.is_zero() {
            return Err(revert(NotInitialized {}));
        }
        // SAFETY: the views program is ours and works on this storage only.
        unsafe { self.vm().delegate_call(&Call::new(), views, input) }
            .map_err(crate::interfaces::revert_data)
    }
}
