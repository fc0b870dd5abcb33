//! `cargo run -p fine-tuning-serving-views --features export-abi` (what `cargo stylus
//! export-abi` runs): prints the program's Solidity interface.

fn main() {
    print!("{}", fine_tuning_serving::export::views());
}
