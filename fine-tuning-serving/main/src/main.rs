//! `cargo run -p fine-tuning-serving-main --features export-abi` (what `cargo stylus
//! export-abi` runs): prints the program's Solidity interface.

fn main() {
    print!("{}", fine_tuning_serving::export::contract());
}
