//! The InferenceServing views program: the read-only functions and the owner's administration, run by the main program's delegatecall on its storage.
//!
//! The program only exports the contract of the `inference-serving` crate (its
//! storage, logic and `#[public]` functions live there, shared with the
//! other program of the contract).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

serving_contracts::program!(inference_serving::views_program);
