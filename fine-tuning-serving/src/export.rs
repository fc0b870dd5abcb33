//! The exported Solidity interfaces (feature `export-abi`): what the
//! export-abi binaries of the program crates print and `cargo xtask abi`
//! checks against the spec.

use alloc::string::String;

use serving_contracts::{
    abi::{
        fine_tuning::{
            AccountDetails, AccountSummary, Deliverable, DeliverableExists, DeliverableNotExists,
            IPagedViews, Quota, Service, ServiceUpdated, VerifierInput,
        },
        paged_view_declaration, InvalidVerifierInput, LedgerHasFunds,
    },
    declarations,
    export::{body, interface, serving_interface},
};
use stylus_sdk::abi::AbiType;

use crate::{FineTuningServing, FineTuningViews};

/// The Solidity interface of the contract as users see it at its address:
/// the functions of both programs, the views the views program routes in
/// its fallback, the events and errors.
pub fn contract() -> String {
    let declarations = declarations!(
        events: [ServiceUpdated],
        errors: [LedgerHasFunds, InvalidVerifierInput, DeliverableNotExists, DeliverableExists]
    );
    let functions = body::<FineTuningServing>()
        .into_iter()
        .chain(deliveries())
        .chain(ledger_calls());
    let functions = functions.chain(body::<FineTuningViews>()).chain(paged());
    let functions = functions.chain(settings().map(String::from));
    serving_interface("IFineTuningServing", functions, declarations)
}

/// The calls of `IDeliveries`, routed by the main program's fallback.
fn deliveries() -> [String; 4] {
    let input = VerifierInput::ABI.as_str();
    [
        "    function addDeliverable(address user, string calldata id, bytes calldata model_root_hash) external;".into(),
        "    function acknowledgeDeliverable(address provider, string calldata id) external;".into(),
        "    function acknowledgeDeliverable(address user, address provider, string calldata id) external;".into(),
        alloc::format!("    function settleFees({input} calldata verifier_input) external;"),
    ]
}

/// The ledger's calls with an `address[]`, routed by the main program's
/// fallback.
fn ledger_calls() -> [String; 3] {
    let args = "address user, address[] calldata providers";
    [
        alloc::format!("    function retrieveFunds({args}) external returns (uint256);"),
        alloc::format!("    function deleteAccounts({args}) external;"),
        alloc::format!("    function userBalance({args}) external view returns (uint256);"),
    ]
}

/// The views and the calls of the views program routed by its fallback:
/// the services, the paged views, the views of one account and the calls
/// with `string` arguments.
fn paged() -> [String; 13] {
    let account = AccountSummary::ABI.as_str();
    let details = AccountDetails::ABI.as_str();
    let deliverable = Deliverable::ABI.as_str();
    let args = "address user, address provider";
    let quota = Quota::ABI.as_str();
    let service = Service::ABI.as_str();
    [
        paged_view_declaration::<IPagedViews::getAllAccountsCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByProviderCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByUserCall>(account),
        paged_view_declaration::<IPagedViews::getServicesCall>(service),
        alloc::format!(
            "    function getService(address provider) external view returns ({service} memory);"
        ),
        alloc::format!("    function getAllServices() external view returns ({service}[] memory);"),
        alloc::format!("    function getAccount({args}) external view returns ({details} memory);"),
        alloc::format!(
            "    function getDeliverables({args}) external view returns ({deliverable}[] memory);"
        ),
        alloc::format!("    function accountExists({args}) external view returns (bool);"),
        alloc::format!("    function getPendingRefund({args}) external view returns (uint256);"),
        alloc::format!(
            "    function getBatchAccountsByUsers(address[] calldata users) external view returns ({account}[] memory);"
        ),
        alloc::format!(
            "    function addOrUpdateService(string calldata url, {quota} calldata quota, uint256 price_per_token, address provider_signer, bool occupied, string[] memory models) external;"
        ),
        alloc::format!(
            "    function getDeliverable({args}, string calldata id) external view returns ({deliverable} memory);"
        ),
    ]
}

/// The calls of `ISettings`, routed by the views program's fallback.
fn settings() -> [&'static str; 7] {
    [
        "    function initialized() external view returns (bool);",
        "    function lockTime() external view returns (uint256);",
        "    function ledgerAddress() external view returns (address);",
        "    function owner() external view returns (address);",
        "    function penaltyPercentage() external view returns (uint256);",
        "    function updateLockTime(uint256 lockTime) external;",
        "    function removeService() external;",
    ]
}

/// The Solidity interface of the views program alone (`views/`): the
/// functions its router serves and the paged views of its fallback.
pub fn views() -> String {
    interface(
        "IFineTuningServingViews",
        body::<FineTuningViews>()
            .into_iter()
            .chain(paged())
            .chain(settings().map(String::from)),
    )
}
