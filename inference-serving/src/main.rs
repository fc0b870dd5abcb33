//! `cargo run -p inference-serving --features export-abi`: prints the
//! Solidity interface of InferenceServing: the functions of the main program,
//! of the views program it delegates to, and the paged views the views
//! program routes in its fallback, as one contract.

use inference_serving::{InferenceServing, InferenceViews};
use serving_contracts::{
    abi::{
        paged_view_declaration, Account, AccountExists, AccountHasFunds, AccountNotExists,
        AmountTooLarge, BalanceUpdated, IPagedViews, InsufficientBalance, InvalidInitialization,
        InvalidLimit, InvalidProofInputs, InvalidTEESignature, NotInitialized, RefundRequested,
        ServiceNotExist, ServiceRemoved, ServiceUpdated, TEESettlementCompleted,
        TEESettlementFailed, TooManyRefunds, Unauthorized,
    },
    export::{body, error, event, interface},
    ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount, OwnershipTransferred},
};
use stylus_sdk::abi::AbiType;

fn main() {
    let account = Account::ABI.as_str();
    let paged = [
        paged_view_declaration::<IPagedViews::getAllAccountsCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByProviderCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByUserCall>(account),
    ];
    // The events and errors the contract emits, from their `sol!` declarations.
    let events = [
        event::<BalanceUpdated>(),
        event::<RefundRequested>(),
        event::<ServiceUpdated>(),
        event::<ServiceRemoved>(),
        event::<TEESettlementCompleted>(),
        event::<TEESettlementFailed>(),
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
    print!("{}", interface("IInferenceServing", lines));
}
