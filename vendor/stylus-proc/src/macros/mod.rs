// Copyright 2024, Offchain Labs, Inc.
// For licensing, see https://github.com/OffchainLabs/stylus-sdk-rs/blob/main/licenses/COPYRIGHT.md

mod derive;
mod entrypoint;
mod public;
mod sol_interface;
mod sol_storage;
mod storage;

pub use derive::abi_type::derive_abi_type;
pub use derive::erase::derive_erase;
pub use derive::solidity_error::derive_solidity_error;
pub use entrypoint::entrypoint;
pub use public::public;
pub use sol_interface::sol_interface;
pub use sol_storage::sol_storage;
pub use storage::storage;
