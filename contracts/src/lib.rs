//! Shared parts of the serving contracts: the Solidity ABI (structs, events,
//! errors), the per-(user, provider) sub-accounts with their refund queue,
//! the enumerable address set behind the service registry, paging, and the
//! interfaces the contracts call on each other.

extern crate alloc;

pub mod abi;
pub mod account;
pub mod address_set;
#[cfg(feature = "export-abi")]
pub mod export;
pub mod interfaces;
pub mod ownable;
pub mod pagination;
pub mod storage;
