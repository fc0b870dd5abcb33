//! `cargo run -p fine-tuning-serving-main --features export-abi` (what `cargo stylus
//! export-abi` runs): prints the program's Solidity interface, or with
//! the argument `constructor` its constructor signature.

fn main() {
    serving_contracts::export::print::<fine_tuning_serving::FineTuningServing>(
        fine_tuning_serving::export::contract,
    );
}
