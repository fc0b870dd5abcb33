//! The InferenceServing main program: the functions of users, providers and the ledger; its fallback delegates every other selector to the views program.
//!
//! The program only exports the contract of the `inference-serving` crate (its
//! storage, logic and `#[public]` functions live there, shared with the
//! other program of the contract).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

serving_contracts::program!(inference_serving::main_program);
