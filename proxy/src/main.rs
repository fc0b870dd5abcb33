//! `cargo run -p serving-proxy --features export-abi`: prints the Solidity
//! interface of the BeaconProxy program (a constructor and a fallback);
//! with `--features export-abi,beacon`, of the UpgradeableBeacon program.

fn main() {
    serving_proxy::print_from_args();
}
