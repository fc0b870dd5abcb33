//! `cargo run -p inference-serving --features export-abi`: prints the
//! Solidity interface of InferenceServing: the functions of the main program
//! and of the views program it delegates to, as one contract.

fn main() {
    print!("{}", inference_serving::abi::interface());
}
