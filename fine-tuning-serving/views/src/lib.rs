//! The FineTuningServing views program: the views, the service registry and the owner's settings (lock time, penalty), run by the main program's delegatecall on its storage.
//!
//! The program only exports the contract of the `fine-tuning-serving` crate (its
//! storage, logic and `#[public]` functions live there, shared with the
//! other program of the contract).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

serving_contracts::program!(fine_tuning_serving::views_program);
