//! Shared parts of the serving contracts: the Solidity ABI (structs, events,
//! errors), the per-(user, provider) sub-accounts with their refund queue,
//! the enumerable address set behind the service registry, paging, and the
//! interfaces the contracts call on each other.
//!
//! Storage layout rule: stylus-sdk 0.9's `#[storage]` undercounts a
//! struct's slots by one when a multi-slot field (a nested struct, an array)
//! follows a packed field, which shifts whatever follows the struct onto its
//! last slot. Every storage struct of this project therefore lists its
//! multi-slot fields first, then maps and packed fields.

extern crate alloc;

pub mod abi;
pub mod account;
pub mod address_set;
#[cfg(feature = "export-abi")]
pub mod export;
pub mod interfaces;
pub mod ownable;
pub mod pagination;
pub mod program;
pub mod serving;
pub mod storage;
