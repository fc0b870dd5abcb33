//! The exported Solidity interfaces (feature `export-abi`): what the
//! export-abi binaries of the program crates print and `cargo xtask abi`
//! checks against the spec.

use alloc::string::String;

use serving_contracts::{
    abi::{
        paged_view_declaration, Account, AccountExists, AccountHasFunds, AccountNotExists,
        AmountTooLarge, BalanceUpdated, IPagedViews, InsufficientBalance, InvalidInitialization,
        InvalidLimit, InvalidProofInputs, InvalidTEESignature, NotInitialized, RefundRequested,
        Service, ServiceNotExist, ServiceRemoved, ServiceUpdated, SignerChangePending,
        TEESettlementCompleted, TEESettlementFailed, TooManyRefunds, Unauthorized, ViewsUpgraded,
    },
    export::{body, error, event, interface},
    ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount, OwnershipTransferred},
};
use stylus_sdk::abi::AbiType;

use crate::{InferenceServing, InferenceViews};

/// The Solidity interface of the contract as users see it at its address:
/// the functions of both programs, the views the views program routes in
/// its fallback, the events and errors.
pub fn contract() -> String {
    let paged = paged();
    // The events and errors the contract emits, from their `sol!` declarations.
    let events = [
        event::<BalanceUpdated>(),
        event::<RefundRequested>(),
        event::<ServiceUpdated>(),
        event::<ServiceRemoved>(),
        event::<TEESettlementCompleted>(),
        event::<TEESettlementFailed>(),
        event::<OwnershipTransferred>(),
        event::<ViewsUpgraded>(),
    ];
    let errors = [
        error::<AccountNotExists>(),
        error::<AccountExists>(),
        error::<AccountHasFunds>(),
        error::<ServiceNotExist>(),
        error::<TooManyRefunds>(),
        error::<SignerChangePending>(),
        error::<InsufficientBalance>(),
        error::<AmountTooLarge>(),
        error::<InvalidProofInputs>(),
        error::<InvalidTEESignature>(),
        error::<Unauthorized>(),
        error::<InvalidInitialization>(),
        error::<NotInitialized>(),
        error::<InvalidLimit>(),
        error::<OwnableUnauthorizedAccount>(),
        error::<OwnableInvalidOwner>(),
    ];
    let lines = body::<InferenceServing>()
        .into_iter()
        .chain(body::<InferenceViews>())
        .chain(paged)
        .chain(events)
        .chain(errors);
    interface("IInferenceServing", lines)
}

/// The paged views, routed by the views program's fallback.
fn paged() -> [String; 4] {
    let account = Account::ABI.as_str();
    [
        paged_view_declaration::<IPagedViews::getAllAccountsCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByProviderCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByUserCall>(account),
        paged_view_declaration::<IPagedViews::getServicesCall>(Service::ABI.as_str()),
    ]
}

/// The Solidity interface of the views program alone (`views/`): the
/// functions its router serves and the paged views of its fallback.
pub fn views() -> String {
    interface(
        "IInferenceServingViews",
        body::<InferenceViews>().into_iter().chain(paged()),
    )
}
