//! What both serving contracts share around their accounts: ownership, the
//! ledger they answer to, the refund lock time, one-time initialization,
//! and the views program their fallback delegates to.
//!
//! The views program runs with the contract's identity and storage, so it
//! is code of the contract, and only the authority that changes the
//! contract's code sets it: a constructed contract keeps the one of its
//! constructor; a contract behind a beacon proxy gets it from the proxy's
//! creation code, and then from the beacon's owner only (`setViews`). Its
//! address is kept in a fixed slot ([`VIEWS_SLOT`]), like the proxy's
//! beacon ([`BEACON_SLOT`]), so that the proxy's creation code can write it.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256, U64};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageU64},
    stylus_core::calls::{context::Call, CallAccess},
    ArbResult,
};

use crate::{
    abi::{
        revert, InvalidInitialization, InvalidLimit, NotInitialized, Unauthorized, ViewsUpgraded,
    },
    host::log,
    ownable::Ownable,
};

/// The ERC-1967 beacon slot, `keccak256("eip1967.proxy.beacon") - 1`: where
/// a beacon proxy keeps its beacon, whose owner is the upgrade authority.
pub const BEACON_SLOT: U256 = U256::from_be_bytes([
    0xa3, 0xf0, 0xad, 0x74, 0xe5, 0x42, 0x3a, 0xeb, 0xfd, 0x80, 0xd3, 0xef, 0x43, 0x46, 0x57, 0x83,
    0x35, 0xa9, 0xa7, 0x2a, 0xea, 0xee, 0x59, 0xff, 0x6c, 0xb3, 0x58, 0x2b, 0x35, 0x13, 0x3d, 0x50,
]);

/// Where a split contract keeps its views program's address,
/// `keccak256("serving.views") - 1`.
pub const VIEWS_SLOT: U256 = U256::from_be_bytes([
    0xb6, 0x82, 0x1c, 0xc9, 0x44, 0x9f, 0xb4, 0x75, 0xf8, 0x44, 0x93, 0x6d, 0x26, 0x59, 0xe0, 0x1b,
    0xd3, 0xe8, 0xa1, 0x36, 0xeb, 0xb3, 0x14, 0x2d, 0x7d, 0x32, 0x59, 0xf8, 0x4d, 0x79, 0x0b, 0xf1,
]);

/// `owner()`, asked of the beacon.
const OWNER: [u8; 4] = [0x8d, 0xa5, 0xcb, 0x5b];

/// The configuration of a serving contract.
#[storage]
pub struct ServingConfig {
    /// The owner, for `onlyOwner` checks and the ownership functions.
    pub ownable: Ownable,
    ledger: StorageAddress,
    lock_time: StorageU64,
    initialized: StorageBool,
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

    fn views(&self) -> Address {
        Address::from_word(self.host().storage_load_bytes32(VIEWS_SLOT))
    }

    /// Stores the views program. Emits `ViewsUpgraded`.
    pub fn store_views(&mut self, views: Address) {
        // SAFETY: VIEWS_SLOT is a hash no storage field of ours lays out on.
        unsafe {
            self.host()
                .storage_cache_bytes32(VIEWS_SLOT, views.into_word())
        };
        log(self.host(), ViewsUpgraded { views });
    }

    /// `setViews`: only the upgrade authority, the owner of the beacon in
    /// the ERC-1967 beacon slot (a contract not behind a beacon proxy has
    /// none). Errors: `Unauthorized`. Emits `ViewsUpgraded`.
    pub fn set_views(&mut self, caller: Address, views: Address) -> Result<(), Vec<u8>> {
        let beacon = Address::from_word(self.host().storage_load_bytes32(BEACON_SLOT));
        let owner = if beacon.is_zero() {
            None
        } else {
            CallAccess::static_call(self.host(), &Call::new(), beacon, &OWNER).ok()
        };
        match owner {
            Some(word) if word.len() == 32 && word[12..] == caller[..] => {
                self.store_views(views);
                Ok(())
            }
            _ => Err(revert(Unauthorized { caller })),
        }
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
        let views = self.views();
        if views.is_zero() {
            return Err(revert(NotInitialized {}));
        }
        // SAFETY: the views program is ours and works on this storage only.
        unsafe { CallAccess::delegate_call(self.host(), &Call::new(), views, input) }
            .map_err(crate::interfaces::revert_data)
    }
}
