//! The exported Solidity interfaces (feature `export-abi`): what the
//! export-abi binaries of the program crates print and `cargo xtask abi`
//! checks against the spec.

use alloc::string::String;

use serving_contracts::{
    abi::{
        paged_view_declaration, Account, IPagedViews, InvalidProofInputs, InvalidTEESignature,
        Service, ServiceUpdated, TEESettlementCompleted, TEESettlementFailed,
    },
    declarations,
    export::{body, interface, serving_interface},
};
use stylus_sdk::abi::AbiType;

use crate::{InferenceServing, InferenceViews};

/// The Solidity interface of the contract as users see it at its address:
/// the functions of both programs, the calls the views program routes in
/// its fallback, the events and errors.
pub fn contract() -> String {
    let declarations = declarations!(
        events: [ServiceUpdated, TEESettlementCompleted, TEESettlementFailed],
        errors: [InvalidProofInputs, InvalidTEESignature]
    );
    let functions = body::<InferenceServing>().into_iter();
    let functions = functions.chain(body::<InferenceViews>()).chain(routed());
    serving_interface("IInferenceServing", functions, declarations)
}

/// The calls the views program's fallback routes: the paged views and
/// `acknowledgeProviderSigner`.
fn routed() -> [String; 5] {
    let account = Account::ABI.as_str();
    [
        "    function acknowledgeProviderSigner(address provider, uint256[2] memory providerPubKey) external;".into(),
        paged_view_declaration::<IPagedViews::getAllAccountsCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByProviderCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByUserCall>(account),
        paged_view_declaration::<IPagedViews::getServicesCall>(Service::ABI.as_str()),
    ]
}

/// The Solidity interface of the views program alone (`views/`): the
/// functions its router serves and the calls its fallback routes.
pub fn views() -> String {
    interface(
        "IInferenceServingViews",
        body::<InferenceViews>().into_iter().chain(routed()),
    )
}
