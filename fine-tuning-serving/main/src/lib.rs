//! The FineTuningServing main program: settlement, deliverables, acknowledgements, ownership and the ledger's functions; its fallback delegates every other selector to the views program.
//!
//! The program only exports the contract of the `fine-tuning-serving` crate (its
//! storage, logic and `#[public]` functions live there, shared with the
//! other program of the contract).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

serving_contracts::program!(fine_tuning_serving::main_program);
