//! `cargo run -p ledger-manager --features export-abi`: prints the Solidity
//! interface of LedgerManager.

fn main() {
    stylus_sdk::abi::export::print_from_args::<ledger_manager::LedgerManager>();
}
