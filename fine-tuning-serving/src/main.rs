//! `cargo run -p fine-tuning-serving --features export-abi`: prints the
//! Solidity interface of FineTuningServing: the functions of the main
//! program, of the views program it delegates to, and the views the views
//! program routes in its fallback, as one contract.

use fine_tuning_serving::{FineTuningServing, FineTuningViews};
use serving_contracts::{
    abi::{
        fine_tuning::{
            AccountSummary, DeliverableExists, DeliverableNotExists, IPagedViews, ServiceUpdated,
        },
        paged_view_declaration, AccountExists, AccountHasFunds, AccountNotExists, AmountTooLarge,
        BalanceUpdated, InsufficientBalance, InvalidInitialization, InvalidLimit,
        InvalidVerifierInput, LedgerHasFunds, NotInitialized, RefundRequested, ServiceNotExist,
        ServiceRemoved, TooManyRefunds, Unauthorized,
    },
    export::{body, error, event, interface},
    ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount, OwnershipTransferred},
};
use stylus_sdk::abi::AbiType;

fn main() {
    let account = AccountSummary::ABI.as_str();
    let paged = [
        paged_view_declaration::<IPagedViews::getAllAccountsCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByProviderCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByUserCall>(account),
        format!(
            "    function getBatchAccountsByUsers(address[] calldata users) external view returns ({account}[] memory);"
        ),
    ];
    // The events and errors the contract emits, from their `sol!` declarations.
    let events = [
        event::<BalanceUpdated>(),
        event::<RefundRequested>(),
        event::<ServiceUpdated>(),
        event::<ServiceRemoved>(),
        event::<OwnershipTransferred>(),
    ];
    let errors = [
        error::<AccountNotExists>(),
        error::<AccountExists>(),
        error::<AccountHasFunds>(),
        error::<ServiceNotExist>(),
        error::<TooManyRefunds>(),
        error::<InsufficientBalance>(),
        error::<AmountTooLarge>(),
        error::<LedgerHasFunds>(),
        error::<InvalidVerifierInput>(),
        error::<DeliverableNotExists>(),
        error::<DeliverableExists>(),
        error::<Unauthorized>(),
        error::<InvalidInitialization>(),
        error::<NotInitialized>(),
        error::<InvalidLimit>(),
        error::<OwnableUnauthorizedAccount>(),
        error::<OwnableInvalidOwner>(),
    ];
    let lines = body::<FineTuningServing>()
        .into_iter()
        .chain(body::<FineTuningViews>())
        .chain(paged)
        .chain(events)
        .chain(errors);
    print!("{}", interface("IFineTuningServing", lines));
}
