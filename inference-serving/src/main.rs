//! `cargo run -p inference-serving --features export-abi`: prints the
//! Solidity interface of InferenceServing: the functions of the main program,
//! of the views program it delegates to, and the paged views the views
//! program routes in its fallback, as one contract.

use inference_serving::{InferenceServing, InferenceViews};
use serving_contracts::{
    abi::{paged_view_declaration, Account, IPagedViews},
    export::{body, interface},
};
use stylus_sdk::abi::AbiType;

fn main() {
    let account = Account::ABI.as_str();
    let paged = [
        paged_view_declaration::<IPagedViews::getAllAccountsCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByProviderCall>(account),
        paged_view_declaration::<IPagedViews::getAccountsByUserCall>(account),
    ];
    let lines = body::<InferenceServing>()
        .into_iter()
        .chain(body::<InferenceViews>())
        .chain(paged);
    print!("{}", interface("IInferenceServing", lines));
}
