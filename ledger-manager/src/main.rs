//! `cargo run -p ledger-manager --features export-abi`: prints the Solidity
//! interface of LedgerManager, with `getAllLedgers` (routed by its fallback).

use ledger_manager::LedgerManager;
use serving_contracts::{
    abi::{paged_view_declaration, IPagedViews, Ledger},
    export::{body, interface},
};
use stylus_sdk::abi::AbiType;

fn main() {
    let paged = paged_view_declaration::<IPagedViews::getAllLedgersCall>(Ledger::ABI.as_str());
    let lines = body::<LedgerManager>().into_iter().chain([paged]);
    print!("{}", interface("ILedgerManager", lines));
}
