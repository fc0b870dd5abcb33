//! `cargo run -p upgradeable-beacon --features export-abi` (what `cargo
//! stylus export-abi` runs): prints the beacon's Solidity interface.

fn main() {
    upgradeable_beacon::print_from_args();
}
