//! An enumerable set of addresses: a vector of members and each member's
//! 1-based position, so that membership, insertion and removal are O(1).

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U32};
use stylus_sdk::{
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU32, StorageVec},
};

/// An enumerable set of addresses.
#[storage]
pub struct AddressSet {
    members: StorageVec<StorageAddress>,
    positions: StorageMap<Address, StorageU32>,
}

impl AddressSet {
    /// Whether `member` is in the set.
    pub fn contains(&self, member: Address) -> bool {
        self.position(member) != 0
    }

    /// The 1-based position of `member`; 0 when it is not in the set.
    pub fn position(&self, member: Address) -> usize {
        self.positions.get(member).to()
    }

    /// Adds `member` if it is not there; returns its 1-based position and
    /// whether it was added.
    pub fn insert(&mut self, member: Address) -> (usize, bool) {
        let position = self.position(member);
        if position != 0 {
            return (position, false);
        }
        self.members.push(member);
        let position = self.members.len();
        self.positions.setter(member).set(U32::from(position));
        (position, true)
    }

    /// Removes `member` (the last member takes its place); returns false
    /// when it was not there.
    pub fn remove(&mut self, member: Address) -> bool {
        let position = self.positions.get(member).to::<usize>();
        if position == 0 {
            return false;
        }
        let last = self.members.len();
        if position != last {
            let moved = self.members.get(last - 1).unwrap_or_default();
            self.members.setter(position - 1).unwrap().set(moved);
            self.positions.setter(moved).set(U32::from(position));
        }
        self.members.erase_last();
        self.positions.delete(member);
        true
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The member at `index` (0-based, in storage order).
    pub fn at(&self, index: usize) -> Address {
        self.members.get(index).unwrap_or_default()
    }

    /// The members in `range`.
    pub fn slice(&self, range: core::ops::Range<usize>) -> Vec<Address> {
        range.map(|i| self.at(i)).collect()
    }
}
