//! `cargo run -p inference-serving-main --features export-abi` (what `cargo stylus
//! export-abi` runs): prints the program's Solidity interface, or with
//! the argument `constructor` its constructor signature.

fn main() {
    serving_contracts::export::print::<inference_serving::InferenceServing>(
        inference_serving::export::contract,
    );
}
