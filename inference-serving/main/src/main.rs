//! `cargo run -p inference-serving-main --features export-abi` (what `cargo stylus
//! export-abi` runs): prints the program's Solidity interface.

fn main() {
    print!("{}", inference_serving::export::contract());
}
