#!/usr/bin/env bash
# The test command: installs the pinned toolchain if it is missing, checks
# format and lints, builds every contract for Stylus with the size check,
# checks the exported ABI against the spec, then runs every test of the
# workspace and the gas benchmark. The end-to-end tests look for the node in
# ARBOS_ANVIL, then PATH, then ../shared/bin (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh

# Under CI, refuse to touch Cargo.lock (it pins ruint 1.15.0 for stylus-sdk 0.9).
locked=${CI:+--locked}

# Format and lints (the workspace's [workspace.lints], warnings denied).
cargo fmt --all --check
cargo $locked clippy --workspace --all-targets --features serving-scripts/wasm-opt -- -D warnings

# Build + size check: target/stylus/<contract>.{wasm,code,initcode}.
cargo $locked xtask build

# The exported Solidity interfaces (target/abi/<Contract>.sol) against the
# target ABI of ../shared/spec/abi-0g.md: selectors, mutability, outputs.
cargo $locked xtask abi --check

# Unit (motsu), scenario, property and end-to-end tests, run natively.
cargo test $locked --workspace

# The gas benchmark (about a minute on arbos-anvil): every contract behind
# its proxy, programs not cached and cached; writes target/gas-report.json
# and prints the docs' table of it (docs/gas.md).
cargo test $locked -p serving-harness --bench gas
cargo $locked xtask gas-table
