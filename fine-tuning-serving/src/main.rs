//! `cargo run -p fine-tuning-serving --features export-abi`: prints the
//! Solidity interface of FineTuningServing: the functions of the main
//! program, of the views program it delegates to, and the views the views
//! program routes in its fallback, as one contract.

use fine_tuning_serving::{FineTuningServing, FineTuningViews};
use serving_contracts::{
    abi::fine_tuning::{AccountSummary, IPagedViews},
    abi::paged_view_declaration,
    export::{body, interface},
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
    let lines = body::<FineTuningServing>()
        .into_iter()
        .chain(body::<FineTuningViews>())
        .chain(paged);
    print!("{}", interface("IFineTuningServing", lines));
}
