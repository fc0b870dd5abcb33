#!/usr/bin/env bash
# Deploys LedgerManager, InferenceServing and FineTuningServing (each program
# created, activated and constructed in one transaction by the chain's
# StylusDeployer, wired to the others) from the artifacts of `cargo xtask
# build`, or prints the plan with --dry-run; --local installs the
# StylusDeployer on a local node first. `scripts/deploy.sh --help` lists the options;
# docs/deployment.md walks through it. The command is the `deploy` binary of
# tests/ (serving_harness::deployment).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
exec cargo run -q -p serving-harness --bin deploy -- "$@"
