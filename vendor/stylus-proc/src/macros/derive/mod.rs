// Copyright 2024, Offchain Labs, Inc.
// For licensing, see https://github.com/OffchainLabs/stylus-sdk-rs/blob/main/licenses/COPYRIGHT.md

//! Implementations of derive macros.

pub mod abi_type;
pub mod erase;
pub mod solidity_error;
