//! `cargo run -p ledger-manager --features export-abi`: prints the Solidity
//! interface of LedgerManager, with `getAllLedgers` (routed by its fallback), or
//! with the argument `constructor` its constructor signature.

use ledger_manager::LedgerManager;
use serving_contracts::{
    abi::{
        paged_view_declaration, AccountNotExists, AmountTooLarge, EscrowExceeded, IPagedViews,
        InsufficientBalance, InvalidInitialization, InvalidLimit, InvalidServiceType, Ledger,
        LedgerExists, LedgerHasFunds, LedgerNotExists, NotInitialized, ServiceNotExist,
        TooManyProviders, Unauthorized, ValueNotAccepted,
    },
    export::{body, error, event, interface},
    ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount, OwnershipTransferred},
};
use stylus_sdk::abi::AbiType;

fn main() {
    serving_contracts::export::print::<LedgerManager>(contract);
}

/// The interface, with `getAllLedgers` and the events and errors.
fn contract() -> String {
    let paged = paged_view_declaration::<IPagedViews::getAllLedgersCall>(Ledger::ABI.as_str());
    // The events and errors the contract emits, from their `sol!` declarations.
    let events = [event::<OwnershipTransferred>()];
    let errors = [
        error::<LedgerNotExists>(),
        error::<LedgerExists>(),
        error::<InsufficientBalance>(),
        error::<TooManyProviders>(),
        error::<InvalidServiceType>(),
        error::<LedgerHasFunds>(),
        error::<AccountNotExists>(),
        error::<ServiceNotExist>(),
        error::<AmountTooLarge>(),
        error::<Unauthorized>(),
        error::<EscrowExceeded>(),
        error::<InvalidInitialization>(),
        error::<NotInitialized>(),
        error::<InvalidLimit>(),
        error::<ValueNotAccepted>(),
        error::<OwnableUnauthorizedAccount>(),
        error::<OwnableInvalidOwner>(),
    ];
    let lines = body::<LedgerManager>()
        .into_iter()
        .chain([paged])
        .chain(events)
        .chain(errors);
    interface("ILedgerManager", lines)
}
