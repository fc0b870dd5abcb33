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

/// `alloy_sol_types::sol!` for the declarations of this crate: with
/// `export-abi`, each item also gets its JSON ABI (`#[sol(abi)]`, parameter
/// names included), which the export prints; on chain it does not.
macro_rules! sol_items {
    ($($items:tt)*) => {
        #[cfg(feature = "export-abi")]
        alloy_sol_types::sol! {
            #![sol(abi)]
            $($items)*
        }
        #[cfg(not(feature = "export-abi"))]
        alloy_sol_types::sol! {
            $($items)*
        }
    };
}

pub mod abi;
pub mod account;
pub mod account_views;
pub mod address_set;
pub mod calldata;
#[cfg(feature = "export-abi")]
pub mod export;
pub mod host;
pub mod interfaces;
pub mod ownable;
pub mod pagination;
pub mod program;
pub mod returndata;
pub mod service_views;
pub mod serving;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
