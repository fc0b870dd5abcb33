//! End-to-end flows of FineTuningServing with LedgerManager (and
//! InferenceServing next to it) on the real Stylus VM (arbos-anvil), through
//! the public ABI only.
//!
//! FineTuningServing is two programs at one address: the main program
//! (settlement, deliverables, acknowledgements, the owner's and the ledger's
//! functions) delegates every other selector to the views program, which
//! also holds the service registry: `addOrUpdateService` and
//! `removeService` *write* storage through that delegate call. These tests
//! are the first to run that path on the real VM.
//!
//! Each test starts its own node (a fresh chain), deploys the three
//! contracts from the artifacts of `cargo xtask build` (each configured in
//! its creating transaction, the ledger wired to both serving contracts)
//! and checks the money invariants after every flow: the ledger's ETH
//! balance is the sum of all ledgers' totals, each total is the available
//! balance plus the inference and fine-tuning sub-account balances, and
//! every sub-account's live refunds sum to its pending refund.
//!
//! Skipped, with a plain message, when arbos-anvil is not found (a failure
//! in CI). The node's code size limit is `deploy::E2E_CODE_SIZE_LIMIT`
//! (mainnet's 24,576 bytes).

use alloy::{
    primitives::{Address, Bytes, U256},
    rpc::types::TransactionReceipt,
};
use serving_harness::{
    assert_emptied,
    bindings::{
        fine_tuning::{FineTuningServing as FT, Quota, VerifierInput},
        LedgerManager::{self as LM},
    },
    deploy::{self, ServingConfig, DEFAULT_PENALTY_PERCENTAGE},
    deployment::stylus_deployer::STYLUS_DEPLOYER,
    e2e::{
        eth, events, expect_revert, fine_tuning_service, gas_cost, milli_eth, send, strict_call,
        try_view, Actor, Serving, TeeKey, FINE_TUNING, INFERENCE,
    },
    node_or_skip, opened_or_skip, serving_or_skip,
};

/// Lock time of refunds in these tests (seconds).
const LOCK_TIME: u64 = 60;
/// The penalty percentage of these deployments.
const PENALTY: u64 = DEFAULT_PENALTY_PERCENTAGE;

/// A model root hash for tests (longer than a word, like a real one).
fn root(n: u8) -> Vec<u8> {
    (0..48)
        .map(|i| n.wrapping_mul(31).wrapping_add(i))
        .collect()
}

/// An encrypted secret for tests.
fn secret(n: u8) -> Vec<u8> {
    (0..77).map(|i| n ^ (i as u8)).collect()
}

/// Posts the deliverable `id` to `user`'s account as `provider`.
async fn add_deliverable(
    serving: &Serving,
    provider: &Actor,
    user: Address,
    id: &str,
    root: &[u8],
) -> TransactionReceipt {
    provider
        .transact(
            "addDeliverable",
            serving
                .ft()
                .addDeliverable(user, id.into(), Bytes::copy_from_slice(root)),
        )
        .await
}

/// Settles `input` as `provider`.
async fn settle(
    serving: &Serving,
    provider: &Actor,
    input: &VerifierInput,
) -> Result<TransactionReceipt, serving_harness::chain::ChainError> {
    send(&provider.wallet, serving.ft().settleFees(input.clone())).await
}

/// The reason of an `InvalidVerifierInput` revert.
#[track_caller]
fn invalid_reason<T: std::fmt::Debug>(
    result: Result<T, serving_harness::chain::ChainError>,
) -> String {
    expect_revert::<FT::InvalidVerifierInput, _>(result).reason
}

#[tokio::test]
async fn deployment_wires_fine_tuning_into_the_ledger() {
    let serving = serving_or_skip!(LOCK_TIME);
    let d = &serving.deployment;
    let f = d.fine_tuning.as_ref().unwrap();
    eprintln!(
        "deployed: FineTuningServing {} ({} gas, views {:?} {:?} gas), ledger {}",
        f.address,
        f.receipt.gas_used,
        f.views,
        f.views_receipt.as_ref().map(|r| r.gas_used),
        d.ledger
    );
    let owner = serving.node.dev_address(0);
    let ft = serving.ft();
    assert_eq!(
        strict_call(serving.ledger.fineTuningAddress()).await._0,
        f.address
    );
    assert_eq!(
        strict_call(serving.ledger.inferenceAddress()).await._0,
        d.inference
    );
    // The views run through the main program's fallback.
    assert!(strict_call(ft.initialized()).await._0);
    assert_eq!(strict_call(ft.ledgerAddress()).await._0, d.ledger);
    assert_eq!(strict_call(ft.owner()).await._0, owner);
    assert_eq!(strict_call(ft.lockTime()).await._0, U256::from(LOCK_TIME));
    assert_eq!(
        strict_call(ft.penaltyPercentage()).await._0,
        U256::from(PENALTY)
    );
    assert!(strict_call(ft.getAllServices()).await._0.is_empty());
    let transferred = events::<FT::OwnershipTransferred>(&f.receipt, f.address);
    assert_eq!(transferred.len(), 1, "{:?}", f.receipt);
    assert_eq!(transferred[0].newOwner, owner);
    // Created, activated and constructed by the chain's StylusDeployer.
    assert_eq!(f.receipt.to, Some(STYLUS_DEPLOYER));

    // No second initialization, and no stranger repoints the views.
    let stranger = serving.actor(eth(1)).await;
    for wallet in [&stranger.wallet, &serving.owner] {
        expect_revert::<FT::InvalidInitialization, _>(
            send(
                wallet,
                ft.initialize(
                    U256::ZERO,
                    stranger.address(),
                    stranger.address(),
                    U256::ZERO,
                ),
            )
            .await,
        );
    }
    expect_revert::<FT::Unauthorized, _>(
        send(&stranger.wallet, ft.setViews(stranger.address())).await,
    );

    // The owner's settings.
    let refused = expect_revert::<FT::OwnableUnauthorizedAccount, _>(
        send(
            &stranger.wallet,
            ft.updatePenaltyPercentage(U256::from(50u64)),
        )
        .await,
    );
    assert_eq!(refused.account, stranger.address());
    expect_revert::<FT::OwnableUnauthorizedAccount, _>(
        send(&stranger.wallet, ft.updateLockTime(U256::from(1u64))).await,
    );
    let limit = expect_revert::<FT::InvalidLimit, _>(
        send(
            &serving.owner,
            ft.updatePenaltyPercentage(U256::from(101u64)),
        )
        .await,
    );
    assert_eq!(limit.max, U256::from(100u64));
    send(
        &serving.owner,
        ft.updatePenaltyPercentage(U256::from(50u64)),
    )
    .await
    .unwrap();
    assert_eq!(
        strict_call(ft.penaltyPercentage()).await._0,
        U256::from(50u64)
    );
    send(&serving.owner, ft.updateLockTime(U256::from(120u64)))
        .await
        .unwrap();
    assert_eq!(strict_call(ft.lockTime()).await._0, U256::from(120u64));

    // The internal functions take only the ledger.
    let u = stranger.address();
    let unauthorized = expect_revert::<FT::Unauthorized, _>(
        send(&stranger.wallet, ft.fundAccount(u, u, U256::from(1u64))).await,
    );
    assert_eq!(unauthorized.caller, u);
    expect_revert::<FT::Unauthorized, _>(
        send(&stranger.wallet, ft.retrieveFunds(u, vec![u])).await,
    );
    expect_revert::<FT::Unauthorized, _>(
        send(&stranger.wallet, ft.deleteAccounts(u, vec![u])).await,
    );
    serving.check_invariants().await;
}

#[tokio::test]
async fn without_a_fine_tuning_contract_the_kind_is_refused() {
    let node = node_or_skip!(deploy::node_options());
    let serving = Serving::deploy(
        node,
        ServingConfig::default()
            .lock_time(LOCK_TIME)
            .without_fine_tuning(),
    )
    .await
    .unwrap_or_else(|e| panic!("deployment failed: {e}"));
    assert!(serving.fine_tuning.is_none());
    assert_eq!(
        strict_call(serving.ledger.fineTuningAddress()).await._0,
        Address::ZERO
    );
    let provider = serving.provider().await;
    let user = serving.user(eth(1)).await;
    let invalid = expect_revert::<LM::InvalidServiceType, _>(
        serving
            .try_transfer_fund(&user, provider.address(), FINE_TUNING, milli_eth(1))
            .await,
    );
    assert_eq!(invalid.serviceType, FINE_TUNING);
    serving.check_invariants().await;
}

#[tokio::test]
async fn a_provider_registers_updates_and_removes_its_service_through_the_views_program() {
    let serving = serving_or_skip!(LOCK_TIME);
    let ft = serving.ft();
    let at = serving.fine_tuning_address();
    let signer = TeeKey::random();
    let provider = serving.actor(eth(10)).await;
    let p = provider.address();

    // Registration: a state-writing delegate call from the main program's
    // fallback into the views program.
    let service = fine_tuning_service("https://ft.example", signer.address());
    let receipt = send(&provider.wallet, ft.call_builder(&service))
        .await
        .unwrap_or_else(|e| {
            panic!("addOrUpdateService through the fallback delegate call failed: {e}")
        });
    eprintln!("addOrUpdateService (new): {} gas", receipt.gas_used);
    // The event is the contract's (a delegate call logs as its caller).
    let updated = events::<FT::ServiceUpdated>(&receipt, at);
    assert_eq!(updated.len(), 1, "{receipt:?}");
    assert_eq!(updated[0].user, p);
    assert_eq!(updated[0].url, service.url);
    assert_eq!(updated[0].quota, service.quota);
    assert_eq!(updated[0].pricePerToken, service.pricePerToken);
    assert_eq!(updated[0].providerSigner, signer.address());
    assert!(!updated[0].occupied);

    let got = serving_harness::e2e::strict_call(ft.getService(p)).await._0;
    assert_eq!(got.provider, p);
    assert_eq!(got.url, service.url);
    assert_eq!(got.quota, service.quota);
    assert_eq!(got.pricePerToken, service.pricePerToken);
    assert_eq!(got.providerSigner, signer.address());
    assert!(!got.occupied);
    assert_eq!(got.models, service.models);
    let all = serving_harness::e2e::strict_call(ft.getAllServices())
        .await
        ._0;
    assert_eq!(all, vec![got.clone()]);

    // An update overwrites every field (fewer models, occupied).
    let update = FT::addOrUpdateServiceCall {
        url: "https://ft-2.example/a/much/longer/url/than/one/storage/word/holds".into(),
        quota: Quota {
            cpuCount: U256::from(16u64),
            nodeMemory: U256::from(128u64),
            gpuCount: U256::from(2u64),
            nodeStorage: U256::from(1_000u64),
            gpuType: "A100".into(),
        },
        pricePerToken: U256::from(7u64),
        providerSigner: signer.address(),
        occupied: true,
        models: vec!["only-one".into()],
    };
    let receipt = provider
        .transact("call_builder", ft.call_builder(&update))
        .await;
    eprintln!("addOrUpdateService (update): {} gas", receipt.gas_used);
    let got = serving_harness::e2e::strict_call(ft.getService(p)).await._0;
    assert_eq!(
        (
            &got.url,
            &got.quota,
            got.pricePerToken,
            got.occupied,
            &got.models
        ),
        (
            &update.url,
            &update.quota,
            update.pricePerToken,
            true,
            &update.models
        )
    );

    // A second provider; getAllServices lists both.
    let other = serving.fine_tuning_provider(signer.address()).await;
    assert_eq!(strict_call(ft.getAllServices()).await._0.len(), 2);

    // Removal, also through the delegate call.
    let receipt = send(&provider.wallet, ft.removeService())
        .await
        .unwrap_or_else(|e| panic!("removeService through the fallback failed: {e}"));
    let removed = events::<FT::ServiceRemoved>(&receipt, at);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].service, p);
    let missing = expect_revert::<FT::ServiceNotExist, _>(try_view(ft.getService(p)).await);
    assert_eq!(missing.provider, p);
    let services = strict_call(ft.getAllServices()).await._0;
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].provider, other.address());
    expect_revert::<FT::ServiceNotExist, _>(send(&provider.wallet, ft.removeService()).await);

    // A removed provider takes no new account; a registered one does.
    let user = serving.user(eth(1)).await;
    let missing = expect_revert::<LM::ServiceNotExist, _>(
        serving
            .try_transfer_fund(&user, p, FINE_TUNING, milli_eth(10))
            .await,
    );
    assert_eq!(missing.provider, p);
    serving
        .transfer_fund(&user, other.address(), FINE_TUNING, milli_eth(10))
        .await;
    // An inference provider is not a fine-tuning one, and the other way.
    let inference_provider = serving.provider().await;
    expect_revert::<LM::ServiceNotExist, _>(
        send(
            &user.wallet,
            serving.ledger.transferFund(
                inference_provider.address(),
                FINE_TUNING.into(),
                milli_eth(10),
            ),
        )
        .await,
    );
    expect_revert::<LM::ServiceNotExist, _>(
        serving
            .try_transfer_fund(&user, other.address(), INFERENCE, milli_eth(10))
            .await,
    );

    // Registering again works.
    provider
        .transact("call_builder", ft.call_builder(&service))
        .await;
    assert_eq!(
        serving_harness::e2e::strict_call(ft.getService(p))
            .await
            ._0
            .url,
        service.url
    );
    serving.check_invariants().await;
}

#[tokio::test]
async fn an_acknowledged_deliverable_settles_for_the_full_fee_and_keeps_the_secret() {
    let serving = serving_or_skip!(LOCK_TIME);
    let ft = serving.ft();
    let at = serving.fine_tuning_address();
    let signer = TeeKey::random();
    let wrong_signer = TeeKey::random();
    let provider = serving.fine_tuning_provider(signer.address()).await;
    let p = provider.address();
    let user = serving.user(eth(1)).await;
    let u = user.address();

    // Funding through the ledger opens the fine-tuning sub-account.
    let receipt = serving
        .transfer_fund(&user, p, FINE_TUNING, milli_eth(500))
        .await;
    eprintln!(
        "transferFund fine-tuning (new account): {} gas",
        receipt.gas_used
    );
    let updated = events::<FT::BalanceUpdated>(&receipt, at);
    assert_eq!(
        updated.last().map(|e| (e.user, e.provider, e.amount)),
        Some((u, p, milli_eth(500)))
    );
    let ledger = serving.ledger_of(u).await;
    assert_eq!(ledger.fineTuningProviders, vec![p]);
    assert!(ledger.inferenceProviders.is_empty());
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (milli_eth(500), eth(1))
    );
    assert!(strict_call(ft.accountExists(u, p)).await._0);
    assert_eq!(serving.check_invariants().await, eth(1));

    // Nothing settles before the user acknowledges a provider signer.
    add_deliverable(&serving, &provider, u, "task-1", &root(1)).await;
    let posted_at = serving.node.latest_timestamp().await.unwrap();
    let early = signer.verifier_input(u, "task-1", &root(1), &[], 1, milli_eth(100));
    assert_eq!(
        invalid_reason(settle(&serving, &provider, &early).await),
        "provider signing address is not acknowledged"
    );
    user.transact(
        "acknowledgeProviderSigner",
        ft.acknowledgeProviderSigner(p, signer.address()),
    )
    .await;
    let account = serving.fine_tuning_account(u, p).await;
    assert_eq!(account.providerSigner, signer.address());
    assert_eq!(account.additionalInfo, "user");

    // The deliverable as posted.
    let deliverable = serving_harness::e2e::strict_call(ft.getDeliverable(u, p, "task-1".into()))
        .await
        ._0;
    assert_eq!(deliverable.id, "task-1");
    assert_eq!(deliverable.modelRootHash.as_ref(), root(1).as_slice());
    assert!(deliverable.encryptedSecret.is_empty());
    assert!(!deliverable.acknowledged);
    assert_eq!(deliverable.timestamp, U256::from(posted_at));
    let duplicate = expect_revert::<FT::DeliverableExists, _>(
        send(
            &provider.wallet,
            ft.addDeliverable(u, "task-1".into(), Bytes::copy_from_slice(&root(9))),
        )
        .await,
    );
    assert_eq!(duplicate.id, "task-1");
    // Only for an existing account.
    let stranger = serving.user(eth(1)).await;
    expect_revert::<FT::AccountNotExists, _>(
        send(
            &provider.wallet,
            ft.addDeliverable(stranger.address(), "x".into(), Bytes::new()),
        )
        .await,
    );

    // Acknowledgement: the two-argument form by the user; the
    // three-argument form only by that user.
    let refused = expect_revert::<FT::Unauthorized, _>(
        send(
            &provider.wallet,
            ft.acknowledgeDeliverable_1(u, p, "task-1".into()),
        )
        .await,
    );
    assert_eq!(refused.caller, p);
    let missing = expect_revert::<FT::DeliverableNotExists, _>(
        send(
            &user.wallet,
            ft.acknowledgeDeliverable_0(p, "task-404".into()),
        )
        .await,
    );
    assert_eq!(missing.id, "task-404");
    user.transact(
        "acknowledgeDeliverable_0",
        ft.acknowledgeDeliverable_0(p, "task-1".into()),
    )
    .await;
    assert!(
        strict_call(ft.getDeliverable(u, p, "task-1".into()))
            .await
            ._0
            .acknowledged
    );

    // Bad inputs, each refused with its reason.
    let fee = milli_eth(100);
    let cases: Vec<(VerifierInput, &str)> = vec![
        (
            signer.verifier_input(u, "task-1", &root(1), &[], 1, fee),
            "secret should not be empty",
        ),
        (
            wrong_signer.verifier_input(u, "task-1", &root(1), &secret(1), 1, fee),
            "provider signing address is not acknowledged",
        ),
        (
            signer.verifier_input(u, "task-1", &root(1), &secret(1), 0, fee),
            "nonce should larger than the current nonce",
        ),
        (
            signer.verifier_input(u, "task-2", &root(1), &secret(1), 1, fee),
            "Deliverable does not exist",
        ),
        (
            signer.verifier_input(u, "task-1", &root(2), &secret(1), 1, fee),
            "model root hash mismatch",
        ),
        (
            {
                // Signed by another key but claiming the acknowledged one.
                let mut input =
                    wrong_signer.verifier_input(u, "task-1", &root(1), &secret(1), 1, fee);
                input.providerSigner = signer.address();
                input
            },
            "TEE settlement validation failed",
        ),
        (
            {
                // The fee changed after signing.
                let mut input = signer.verifier_input(u, "task-1", &root(1), &secret(1), 1, fee);
                input.taskFee = milli_eth(1);
                input
            },
            "TEE settlement validation failed",
        ),
        (
            signer.verifier_input(u, "task-1", &root(1), &secret(1), 1, milli_eth(501)),
            "insufficient balance",
        ),
    ];
    for (input, reason) in &cases {
        assert_eq!(
            &invalid_reason(settle(&serving, &provider, input).await),
            reason,
            "{input:?}"
        );
    }
    // Only the provider of the account settles it.
    let good = signer.verifier_input(u, "task-1", &root(1), &secret(1), 1, fee);
    let intruder = serving.fine_tuning_provider(signer.address()).await;
    expect_revert::<FT::AccountNotExists, _>(settle(&serving, &intruder, &good).await);

    // The settlement: the provider is paid the full fee, the secret is
    // stored on the deliverable.
    let ledger_before = serving.check_invariants().await;
    let before = serving.balance(p).await;
    let receipt = settle(&serving, &provider, &good).await.unwrap();
    eprintln!("settleFees (acknowledged): {} gas", receipt.gas_used);
    assert_eq!(serving.balance(p).await, before + fee - gas_cost(&receipt));
    let updated = events::<FT::BalanceUpdated>(&receipt, at);
    assert_eq!(
        updated
            .iter()
            .map(|e| (e.user, e.provider, e.amount, e.pendingRefund))
            .collect::<Vec<_>>(),
        vec![(u, p, milli_eth(400), U256::ZERO)]
    );
    let account = serving.fine_tuning_account(u, p).await;
    assert_eq!(
        (account.nonce, account.balance),
        (U256::from(1u64), milli_eth(400))
    );
    assert_eq!(account.deliverables.len(), 1);
    let settled = &account.deliverables[0];
    assert_eq!(settled.encryptedSecret.as_ref(), secret(1).as_slice());
    assert!(settled.acknowledged);
    assert_eq!(settled.modelRootHash.as_ref(), root(1).as_slice());
    let ledger = serving.ledger_of(u).await;
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (milli_eth(500), milli_eth(900))
    );
    assert_eq!(serving.check_invariants().await, ledger_before - fee);

    // The same input again is refused: nothing more is paid.
    let before = serving.balance(p).await;
    assert_eq!(
        invalid_reason(settle(&serving, &provider, &good).await),
        "nonce should larger than the current nonce"
    );
    assert_eq!(serving.balance(p).await, before);
    assert_eq!(
        serving.fine_tuning_account(u, p).await.balance,
        milli_eth(400)
    );

    serving.check_fine_tuning_paged_views().await;
    assert_eq!(serving.check_invariants().await, ledger_before - fee);
}

#[tokio::test]
async fn an_unacknowledged_deliverable_settles_for_the_penalty_only() {
    let (serving, provider, signer, user) = opened_or_skip!(fine_tuning: LOCK_TIME, milli_eth(500));
    let (ft, at) = (serving.ft(), serving.fine_tuning_address());
    let (p, u) = (provider.address(), user.address());
    let receipt = add_deliverable(&serving, &provider, u, "task-1", &root(1)).await;
    eprintln!("addDeliverable: {} gas", receipt.gas_used);

    // Without acknowledgement the secret must be empty.
    let fee = milli_eth(101);
    let with_secret = signer.verifier_input(u, "task-1", &root(1), &secret(1), 1, fee);
    assert_eq!(
        invalid_reason(settle(&serving, &provider, &with_secret).await),
        "secret should be empty"
    );

    // The penalty: fee * penalty / 100, rounded down.
    let charged = fee * U256::from(PENALTY) / U256::from(100u64);
    let input = signer.verifier_input(u, "task-1", &root(1), &[], 1, fee);
    let ledger_before = serving.check_invariants().await;
    let before = serving.balance(p).await;
    let receipt = settle(&serving, &provider, &input).await.unwrap();
    eprintln!("settleFees (penalty): {} gas", receipt.gas_used);
    assert_eq!(
        serving.balance(p).await,
        before + charged - gas_cost(&receipt)
    );
    let updated = events::<FT::BalanceUpdated>(&receipt, at);
    assert_eq!(
        updated.last().map(|e| (e.amount, e.pendingRefund)),
        Some((milli_eth(500) - charged, U256::ZERO))
    );
    let account = serving.fine_tuning_account(u, p).await;
    assert_eq!(
        (account.nonce, account.balance),
        (U256::from(1u64), milli_eth(500) - charged)
    );
    let deliverable = &account.deliverables[0];
    assert!(deliverable.encryptedSecret.is_empty());
    assert!(!deliverable.acknowledged);
    assert_eq!(serving.check_invariants().await, ledger_before - charged);

    // Refused the second time.
    assert_eq!(
        invalid_reason(settle(&serving, &provider, &input).await),
        "nonce should larger than the current nonce"
    );

    // A deliverable acknowledged later settles for the full fee at a new
    // nonce.
    add_deliverable(&serving, &provider, u, "task-2", &root(2)).await;
    user.transact(
        "acknowledgeDeliverable_1",
        ft.acknowledgeDeliverable_1(u, p, "task-2".into()),
    )
    .await;
    let before = serving.balance(p).await;
    let input = signer.verifier_input(u, "task-2", &root(2), &secret(2), 2, milli_eth(10));
    let receipt = settle(&serving, &provider, &input).await.unwrap();
    assert_eq!(
        serving.balance(p).await,
        before + milli_eth(10) - gas_cost(&receipt)
    );
    let deliverables = serving_harness::e2e::strict_call(ft.getDeliverables(u, p))
        .await
        ._0;
    assert_eq!(
        deliverables
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        ["task-1", "task-2"]
    );
    assert_eq!(
        deliverables[1].encryptedSecret.as_ref(),
        secret(2).as_slice()
    );
    assert_eq!(
        serving.check_invariants().await,
        ledger_before - charged - milli_eth(10)
    );
    serving.check_fine_tuning_paged_views().await;
}

#[tokio::test]
async fn deliverables_keep_the_latest_twenty() {
    let (serving, provider, _, user) = opened_or_skip!(fine_tuning: LOCK_TIME, milli_eth(100));
    let (ft, p, u) = (serving.ft(), provider.address(), user.address());
    for i in 0..21u8 {
        add_deliverable(&serving, &provider, u, &format!("task-{i}"), &root(i)).await;
    }
    let account = serving.fine_tuning_account(u, p).await;
    assert_eq!(account.deliverablesCount, U256::from(20u64));
    let ids: Vec<_> = account.deliverables.iter().map(|d| d.id.clone()).collect();
    let want: Vec<_> = (1..21).map(|i| format!("task-{i}")).collect();
    assert_eq!(ids, want, "oldest first, the first evicted");
    expect_revert::<FT::DeliverableNotExists, _>(
        try_view(ft.getDeliverable(u, p, "task-0".into())).await,
    );
    // The evicted id can be posted again (it is the newest then).
    add_deliverable(&serving, &provider, u, "task-0", &root(0)).await;
    let ids: Vec<_> = serving_harness::e2e::strict_call(ft.getDeliverables(u, p))
        .await
        ._0
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids.first().map(String::as_str), Some("task-2"));
    assert_eq!(ids.last().map(String::as_str), Some("task-0"));
    serving.check_invariants().await;
}

#[tokio::test]
async fn retrieve_fund_refund_and_delete_ledger_cover_fine_tuning() {
    let serving = serving_or_skip!(LOCK_TIME);
    let ft = serving.ft();
    let at = serving.fine_tuning_address();
    let signer = TeeKey::random();
    let provider = serving.fine_tuning_provider(signer.address()).await;
    let p = provider.address();
    let inference_provider = serving.provider().await;
    let ip = inference_provider.address();
    let user = serving.user(eth(1)).await;
    let u = user.address();
    serving
        .open_fine_tuning_account(&user, p, milli_eth(500), signer.address())
        .await;
    serving
        .transfer_fund(&user, ip, INFERENCE, milli_eth(200))
        .await;
    let ledger = serving.ledger_of(u).await;
    assert_eq!(ledger.fineTuningProviders, vec![p]);
    assert_eq!(ledger.inferenceProviders, vec![ip]);
    assert_eq!(ledger.availableBalance, milli_eth(300));
    assert_eq!(serving.check_invariants().await, eth(1));
    add_deliverable(&serving, &provider, u, "task-1", &root(1)).await;

    // The fine-tuning kind touches only fine-tuning accounts.
    expect_revert::<LM::AccountNotExists, _>(
        send(
            &user.wallet,
            serving.ledger.retrieveFund(vec![ip], FINE_TUNING.into()),
        )
        .await,
    );

    // The whole sub-account is queued as a refund.
    let receipt = serving.retrieve_fund(&user, vec![p], FINE_TUNING).await;
    let requested = events::<FT::RefundRequested>(&receipt, at);
    assert_eq!(requested.len(), 1, "one refund queued");
    assert_eq!((requested[0].user, requested[0].provider), (u, p));
    assert_eq!(
        strict_call(ft.getPendingRefund(u, p)).await._0,
        milli_eth(500)
    );
    let account = serving.fine_tuning_account(u, p).await;
    assert_eq!(account.validRefundsLength, U256::from(1u64));
    assert_eq!(serving.ledger_of(u).await.availableBalance, milli_eth(300));
    serving.check_invariants().await;

    // During the lock the provider still settles; the penalty comes out of
    // the pending refund.
    let fee = milli_eth(100);
    let charged = fee * U256::from(PENALTY) / U256::from(100u64);
    let input = signer.verifier_input(u, "task-1", &root(1), &[], 1, fee);
    settle(&serving, &provider, &input).await.unwrap();
    let account = serving.fine_tuning_account(u, p).await;
    assert_eq!(
        (account.balance, account.pendingRefund),
        (milli_eth(500) - charged, milli_eth(500) - charged)
    );
    serving.check_invariants().await;

    // Before the lock ends nothing is paid.
    serving.retrieve_fund(&user, vec![p], FINE_TUNING).await;
    assert_eq!(serving.ledger_of(u).await.availableBalance, milli_eth(300));

    // A ledger with funds cannot be deleted.
    let has_funds = expect_revert::<LM::LedgerHasFunds, _>(
        send(&user.wallet, serving.ledger.deleteLedger()).await,
    );
    assert_eq!(has_funds.totalBalance, eth(1) - charged);

    // After the lock the refund is paid back to the ledger...
    serving.node.increase_time(LOCK_TIME).await.unwrap();
    serving.retrieve_fund(&user, vec![p], FINE_TUNING).await;
    let account = serving.fine_tuning_account(u, p).await;
    assert_emptied!(account);
    let back = milli_eth(800) - charged;
    assert_eq!(serving.ledger_of(u).await.availableBalance, back);
    serving.check_invariants().await;
    // ...and the inference one too.
    serving.retrieve_fund(&user, vec![ip], INFERENCE).await;
    serving.node.increase_time(LOCK_TIME).await.unwrap();
    serving.retrieve_fund(&user, vec![ip], INFERENCE).await;
    let total = eth(1) - charged;
    let ledger = serving.ledger_of(u).await;
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (total, total)
    );
    assert_eq!(serving.check_invariants().await, total);

    // Refund reaches the wallet.
    let (_, received) = serving
        .received(u, user.transact("refund", serving.ledger.refund(total)))
        .await;
    assert_eq!(received, total);
    assert_eq!(serving.check_invariants().await, U256::ZERO);

    // deleteLedger deletes the fine-tuning account and its deliverables.
    serving.check_fine_tuning_paged_views().await;
    user.transact("deleteLedger", serving.ledger.deleteLedger())
        .await;
    serving.untrack(u);
    assert!(!strict_call(ft.accountExists(u, p)).await._0);
    assert!(!strict_call(serving.inference.accountExists(u, ip)).await._0);
    expect_revert::<FT::AccountNotExists, _>(try_view(ft.getDeliverables(u, p)).await);
    expect_revert::<LM::LedgerNotExists, _>(try_view(serving.ledger.getLedger(u)).await);
    assert_eq!(
        ft.getAllAccounts(U256::ZERO, U256::ZERO)
            .call()
            .await
            .unwrap()
            ._1,
        U256::ZERO
    );

    // A new ledger and account start clean: no old deliverable remains.
    serving.add_ledger(&user, milli_eth(100)).await;
    serving
        .open_fine_tuning_account(&user, p, milli_eth(50), signer.address())
        .await;
    let account = serving.fine_tuning_account(u, p).await;
    assert!(account.deliverables.is_empty(), "{account:?}");
    // The nonce stays: inputs signed for the old account do not settle on
    // the new one.
    assert_eq!(account.nonce, U256::from(1u64));
    add_deliverable(&serving, &provider, u, "task-1", &root(1)).await;
    assert_eq!(
        invalid_reason(settle(&serving, &provider, &input).await),
        "nonce should larger than the current nonce"
    );
    assert_eq!(serving.check_invariants().await, milli_eth(100));
    serving.check_fine_tuning_paged_views().await;
}
