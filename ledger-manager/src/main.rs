//! `cargo run -p ledger-manager --features export-abi`: prints the Solidity
//! interface of LedgerManager, with `getAllLedgers` (routed by its fallback), or
//! with the argument `constructor` its constructor signature.

use ledger_manager::LedgerManager;
use serving_contracts::{
    abi::{
        paged_view_declaration, EscrowExceeded, IPagedViews, InvalidServiceType, Ledger,
        LedgerExists, LedgerHasFunds, LedgerNotExists, TooManyProviders, ValueNotAccepted,
    },
    declarations,
    export::{body, common_declarations, interface},
};
use stylus_sdk::abi::AbiType;

fn main() {
    serving_contracts::export::print::<LedgerManager>(contract);
}

/// The interface, with `getAllLedgers` and the events and errors.
fn contract() -> String {
    let paged = paged_view_declaration::<IPagedViews::getAllLedgersCall>(Ledger::ABI.as_str());
    let errors = declarations!(
        events: [],
        errors: [
            LedgerNotExists, LedgerExists, TooManyProviders, InvalidServiceType, LedgerHasFunds,
            EscrowExceeded, ValueNotAccepted,
        ]
    );
    let lines = body::<LedgerManager>()
        .into_iter()
        .chain([paged])
        .chain(common_declarations())
        .chain(errors);
    interface("ILedgerManager", lines)
}
