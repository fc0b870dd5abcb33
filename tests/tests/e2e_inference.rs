//! End-to-end flows of LedgerManager and InferenceServing on the real
//! Stylus VM (arbos-anvil), through the public ABI only.
//!
//! Each test starts its own node (a fresh chain), deploys both contracts
//! from the artifacts of `cargo xtask build` with the deployer of
//! `serving_harness::deploy` (configured in the creating transaction), and
//! checks the money invariants after every operation: the ledger's ETH
//! balance is the sum of all ledgers' totals, and each total is the
//! available balance plus the sub-account balances.
//!
//! Skipped, with a plain message, when arbos-anvil is not found (a failure
//! in CI). The node's code size limit is `deploy::E2E_CODE_SIZE_LIMIT`.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use serving_harness::bindings::{InferenceServing, LedgerManager};
use serving_harness::deploy::{self, ServingConfig};
use serving_harness::e2e::{self, eth, expect_revert, milli_eth, send, Serving};
use serving_harness::node_or_skip;

/// Lock time of refunds in these tests (seconds).
const LOCK_TIME: u64 = 60;

macro_rules! serving_or_skip {
    () => {{
        let node = node_or_skip!(deploy::node_options());
        Serving::deploy(node, ServingConfig::default().lock_time(LOCK_TIME))
            .await
            .unwrap_or_else(|e| panic!("deployment failed: {e}"))
    }};
}

#[tokio::test]
async fn deployment_is_configured_in_the_creating_transaction() {
    let serving = serving_or_skip!();
    let d = &serving.deployment;
    eprintln!(
        "deployed: InferenceServing {} ({} gas), LedgerManager {} ({} gas)",
        d.inference, d.inference_receipt.gas_used, d.ledger, d.ledger_receipt.gas_used
    );
    let owner = serving.node.dev_address(0);
    assert!(serving.ledger.initialized().call().await.unwrap()._0);
    assert!(serving.inference.initialized().call().await.unwrap()._0);
    assert_eq!(serving.ledger.inferenceAddress().call().await.unwrap()._0, d.inference);
    assert_eq!(serving.ledger.fineTuningAddress().call().await.unwrap()._0, Address::ZERO);
    assert_eq!(serving.inference.ledgerAddress().call().await.unwrap()._0, d.ledger);
    assert_eq!(serving.ledger.owner().call().await.unwrap()._0, owner);
    assert_eq!(serving.inference.owner().call().await.unwrap()._0, owner);
    assert_eq!(serving.inference.lockTime().call().await.unwrap()._0, U256::from(LOCK_TIME));
    serving.check_invariants().await;
}

#[tokio::test]
async fn probe_raw() {
    let serving = serving_or_skip!();
    let raw = serving.ledger.getAllLedgers(U256::ZERO, U256::ZERO).call_raw().await;
    eprintln!("getAllLedgers raw: {raw:?}");
    let raw = serving.inference.getAllAccounts(U256::ZERO, U256::ZERO).call_raw().await;
    eprintln!("getAllAccounts raw: {raw:?}");
    let raw = serving.ledger.MAX_PROVIDERS_PER_BATCH().call_raw().await;
    eprintln!("max raw: {raw:?}");
    let r = send(&serving.owner, serving.ledger.initialize(Address::repeat_byte(1), Address::ZERO, Address::repeat_byte(1))).await;
    eprintln!("init again: {r:?}");
}
