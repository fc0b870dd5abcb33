//! End-to-end flows of LedgerManager and InferenceServing on the real
//! Stylus VM (arbos-anvil), through the public ABI only.
//!
//! Each test starts its own node (a fresh chain), deploys both contracts
//! from the artifacts of `cargo xtask build` with the deployer of
//! `serving_harness::deploy` (configured in the creating transaction), and
//! checks the money invariants after every operation: the ledger's ETH
//! balance is the sum of all ledgers' totals, each total is the available
//! balance plus the sub-account balances, and every sub-account's live
//! refunds sum to its pending refund, which its balance covers.
//!
//! Skipped, with a plain message, when arbos-anvil is not found (a failure
//! in CI). The node's code size limit is `deploy::E2E_CODE_SIZE_LIMIT`.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolError},
};
use serving_harness::{
    bindings::{
        InferenceServing::{self as IS},
        LedgerManager::{self as LM},
    },
    chain::{self, ChainError},
    deploy,
    deployment::stylus_deployer::{self, StylusDeployer, STYLUS_DEPLOYER},
    e2e::{
        self, eth, events, expect_revert, gas_cost, milli_eth, requests_hash, revert_data, send,
        send_tx, strict_call, try_view, TeeKey, INFERENCE,
    },
    node_or_skip, opened_or_skip, serving_or_skip,
};

/// Lock time of refunds in these tests (seconds).
const LOCK_TIME: u64 = 60;

#[tokio::test]
async fn deployment_is_configured_in_the_creating_transaction() {
    let serving = serving_or_skip!(LOCK_TIME);
    let d = &serving.deployment;
    eprintln!(
        "deployed: InferenceServing {} ({} gas), LedgerManager {} ({} gas)",
        d.inference, d.inference_receipt.gas_used, d.ledger, d.ledger_receipt.gas_used
    );
    let owner = serving.node.dev_address(0);
    assert!(strict_call(serving.ledger.initialized()).await._0);
    assert!(strict_call(serving.inference.initialized()).await._0);
    assert_eq!(
        strict_call(serving.ledger.inferenceAddress()).await._0,
        d.inference
    );
    assert_eq!(
        strict_call(serving.ledger.fineTuningAddress()).await._0,
        d.fine_tuning_address()
    );
    assert_eq!(
        strict_call(serving.inference.ledgerAddress()).await._0,
        d.ledger
    );
    assert_eq!(strict_call(serving.ledger.owner()).await._0, owner);
    assert_eq!(strict_call(serving.inference.owner()).await._0, owner);
    assert_eq!(
        strict_call(serving.inference.lockTime()).await._0,
        U256::from(LOCK_TIME)
    );
    assert_eq!(
        strict_call(serving.ledger.MAX_PROVIDERS_PER_BATCH())
            .await
            ._0,
        U256::from(20u64)
    );
    // Both ownership events were emitted inside the creating transactions.
    let transferred = events::<IS::OwnershipTransferred>(&d.inference_receipt, d.inference);
    assert_eq!(transferred.len(), 1, "{:?}", d.inference_receipt);
    assert_eq!(transferred[0].newOwner, owner);
    let transferred = events::<LM::OwnershipTransferred>(&d.ledger_receipt, d.ledger);
    assert_eq!(transferred.len(), 1, "{:?}", d.ledger_receipt);
    assert_eq!(transferred[0].newOwner, owner);

    // No second initialization, by a stranger or by the owner (reference
    // defect 12).
    let stranger = serving.actor(eth(1)).await;
    for wallet in [&stranger.wallet, &serving.owner] {
        expect_revert::<LM::InvalidInitialization, _>(
            send(
                wallet,
                serving.ledger.initialize(
                    stranger.address(),
                    stranger.address(),
                    stranger.address(),
                ),
            )
            .await,
        );
        expect_revert::<IS::InvalidInitialization, _>(
            send(
                wallet,
                serving
                    .inference
                    .initialize(U256::ZERO, stranger.address(), stranger.address()),
            )
            .await,
        );
    }
    assert_eq!(strict_call(serving.ledger.owner()).await._0, owner);
    assert_eq!(
        strict_call(serving.inference.ledgerAddress()).await._0,
        d.ledger
    );
    // Nor can anyone, the owner included, point a constructed
    // InferenceServing at other views: it has no upgrade authority.
    if let Some(views) = d.inference_views {
        eprintln!("views program {views}");
        expect_revert::<IS::Unauthorized, _>(
            send(
                &serving.owner,
                serving.inference.setViews(stranger.address()),
            )
            .await,
        );
        expect_revert::<IS::Unauthorized, _>(
            send(
                &stranger.wallet,
                serving.inference.setViews(stranger.address()),
            )
            .await,
        );
    }

    // Created, activated and constructed by the chain's StylusDeployer.
    for receipt in [&d.inference_receipt, &d.ledger_receipt] {
        assert_eq!(receipt.to, Some(STYLUS_DEPLOYER));
    }
    serving.check_invariants().await;
}

#[tokio::test]
async fn a_failing_constructor_leaves_nothing_deployed() {
    let node = node_or_skip!(deploy::node_options());
    let wallet = node.wallet(0);
    let sender = node.dev_address(0);
    let reader = node.provider();
    stylus_deployer::ensure_installed(&reader).await.unwrap();
    // A zero owner is refused, so the whole creation fails.
    let init_data = stylus_deployer::inference_constructor(
        U256::from(LOCK_TIME),
        sender,
        Address::ZERO,
        sender,
    );
    let program = deploy::program(deploy::INFERENCE_ARTIFACT);
    let nonce = stylus_deployer::nonce(&reader).await.unwrap();
    let err = stylus_deployer::deploy(&wallet, &program, init_data.clone())
        .await
        .unwrap_err();
    // The StylusDeployer wraps the program's revert data.
    let failed = e2e::revert_error::<StylusDeployer::ContractInitializationError>(&err)
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(
        failed.data.as_ref(),
        IS::InvalidInitialization::SELECTOR.as_slice()
    );
    // Mined with a fixed gas limit, it fails and leaves no program.
    let tx = StylusDeployer::new(STYLUS_DEPLOYER, &wallet)
        .deploy(program.initcode.clone(), init_data, U256::ZERO, B256::ZERO)
        .value(eth(1))
        .gas(20_000_000)
        .into_transaction_request();
    match chain::send_tx(&wallet, tx).await {
        Err(ChainError::Reverted(receipt)) => assert!(!receipt.status()),
        other => panic!("expected a failed creation, got {other:?}"),
    }
    assert_eq!(stylus_deployer::nonce(&reader).await.unwrap(), nonce);
    assert!(reader
        .get_code_at(STYLUS_DEPLOYER.create(nonce))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn settlement_pays_the_provider_and_reports_failed_records() {
    let serving = serving_or_skip!(LOCK_TIME);
    let provider = serving.provider().await;
    let p = provider.address();
    let other_provider = serving.provider().await;
    let tee = TeeKey::random();
    let wrong_tee = TeeKey::random();

    // a and b: funded accounts with the TEE signer acknowledged; c: an
    // account without acknowledgement; d: a ledger but no account.
    let a = serving.user(eth(1)).await;
    let b = serving.user(eth(1)).await;
    let c = serving.user(eth(1)).await;
    let d = serving.user(eth(1)).await;
    serving.open_account(&a, p, milli_eth(500), &tee).await;
    serving.open_account(&b, p, milli_eth(500), &tee).await;
    serving
        .transfer_fund(&c, p, INFERENCE, milli_eth(500))
        .await;
    serving.check_invariants().await;
    assert_eq!(
        serving.account(a.address(), p).await.teeSignerAddress,
        tee.address()
    );
    let ledger_before = serving.check_invariants().await;

    // A clean batch: both records settle, the provider is paid their sum.
    let batch = [
        tee.record(a.address(), p, milli_eth(100), 1, requests_hash(1)),
        tee.record(b.address(), p, milli_eth(200), 1, requests_hash(2)),
    ];
    assert!(serving.failed_users(p, &batch).await.is_empty());
    let (receipt, received) = serving.received(p, serving.settle(&provider, &batch)).await;
    eprintln!("settled 2 records: {} gas", receipt.gas_used);
    assert_eq!(received, milli_eth(300));
    let (failed, counts) = serving.settlement_events(p, &receipt);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(counts, (2, 0));
    let state = serving.nonce_and_balance(a.address(), p).await;
    assert_eq!(state, (1, milli_eth(400)));
    let state = serving.nonce_and_balance(b.address(), p).await;
    assert_eq!(state, (1, milli_eth(300)));
    assert_eq!(
        serving.ledger_of(a.address()).await.totalBalance,
        milli_eth(900)
    );
    assert_eq!(
        serving.check_invariants().await,
        ledger_before - milli_eth(300)
    );

    // A batch with every kind of bad record: each is reported, the batch
    // goes on (reference defect 7: a missing account or a short signature
    // does not sink it), and only the good record is paid.
    let mut short = tee.record(b.address(), p, milli_eth(1), 2, requests_hash(9));
    short.signature = Bytes::copy_from_slice(&short.signature[..64]);
    let batch = [
        // Replay of a settled record.
        tee.record(a.address(), p, milli_eth(100), 1, requests_hash(1)),
        // More than the balance.
        tee.record(a.address(), p, milli_eth(401), 2, requests_hash(3)),
        // Signed by a key the user never acknowledged.
        wrong_tee.record(b.address(), p, milli_eth(10), 2, requests_hash(4)),
        // The user acknowledged no signer.
        tee.record(c.address(), p, milli_eth(10), 1, requests_hash(5)),
        // Another provider's record.
        tee.record(
            a.address(),
            other_provider.address(),
            milli_eth(10),
            2,
            requests_hash(6),
        ),
        // No account with this provider.
        tee.record(d.address(), p, milli_eth(10), 1, requests_hash(7)),
        // A 64-byte signature.
        short,
        // A good record.
        tee.record(b.address(), p, milli_eth(50), 3, requests_hash(8)),
    ];
    let expected_failed = vec![
        a.address(),
        a.address(),
        b.address(),
        c.address(),
        a.address(),
        d.address(),
        b.address(),
    ];
    assert_eq!(serving.failed_users(p, &batch).await, expected_failed);
    let (receipt, received) = serving.received(p, serving.settle(&provider, &batch)).await;
    assert_eq!(received, milli_eth(50));
    let (failed, counts) = serving.settlement_events(p, &receipt);
    assert_eq!(counts, (1, 7));
    let users: Vec<_> = failed.iter().map(|(u, _)| *u).collect();
    assert_eq!(users, expected_failed);
    let reasons: Vec<_> = failed.iter().map(|(_, r)| r.as_str()).collect();
    eprintln!("failure reasons: {reasons:?}");
    // The reference's strings where the reference reports the case.
    assert_eq!(reasons[0], "Nonce already processed");
    assert_eq!(reasons[1], "Insufficient balance");
    assert_eq!(reasons[2], "Invalid TEE signer");
    assert_eq!(reasons[3], "TEE signer not acknowledged");
    assert_eq!(reasons[4], "Provider mismatch");
    assert!(!reasons[5].is_empty());
    assert!(!reasons[6].is_empty());
    let state = serving.nonce_and_balance(b.address(), p).await;
    assert_eq!(state, (3, milli_eth(250)));
    let state = serving.nonce_and_balance(a.address(), p).await;
    assert_eq!(state, (1, milli_eth(400)));
    assert_eq!(serving.account(c.address(), p).await.nonce, U256::ZERO);
    assert_eq!(
        serving.check_invariants().await,
        ledger_before - milli_eth(350)
    );

    // A batch of failures only: nothing is paid, the provider pays gas.
    let batch = [tee.record(a.address(), p, milli_eth(1), 1, requests_hash(1))];
    let before = serving.balance(p).await;
    let receipt = serving.settle(&provider, &batch).await;
    assert_eq!(serving.balance(p).await, before - gas_cost(&receipt));
    assert_eq!(serving.settlement_events(p, &receipt).1, (0, 1));

    // An empty batch is refused.
    expect_revert::<IS::InvalidProofInputs, _>(
        send(
            &provider.wallet,
            serving.inference.settleFeesWithTEE(vec![]),
        )
        .await,
    );
    serving.check_invariants().await;
}

/// A user records its provider's public key on its account
/// (`acknowledgeProviderSigner`, which the main program's fallback hands to
/// the views program): `getAccount` shows it. Without an account it is
/// refused with `AccountNotExists`; a short call reverts without data;
/// neither changes the key.
#[tokio::test]
async fn acknowledge_provider_signer_records_the_key_on_the_account() {
    let (serving, provider, _tee, user) = opened_or_skip!(LOCK_TIME, milli_eth(100));
    let (p, u) = (provider.address(), user.address());
    let key = [U256::from(5u64), U256::MAX];
    let acknowledge = serving.inference.acknowledgeProviderSigner(p, key);
    user.transact("acknowledgeProviderSigner", acknowledge)
        .await;
    assert_eq!(serving.account(u, p).await.providerPubKey, key);

    let other = [U256::from(1u64), U256::from(2u64)];
    let refused = expect_revert::<IS::AccountNotExists, _>(
        send(
            &user.wallet,
            serving.inference.acknowledgeProviderSigner(u, other),
        )
        .await,
    );
    assert_eq!((refused.user, refused.provider), (u, u));
    let mut short = IS::acknowledgeProviderSignerCall {
        provider: p,
        providerPubKey: other,
    }
    .abi_encode();
    short.truncate(4 + 2 * 32);
    let tx = TransactionRequest::default()
        .with_to(serving.deployment.inference)
        .with_input(short);
    match send_tx(&user.wallet, tx).await {
        Err(e @ ChainError::Rpc(_)) => {
            assert_eq!(revert_data(&e).unwrap_or_default(), Bytes::new(), "{e}");
        }
        other => panic!("expected a revert without data, got {other:?}"),
    }
    assert_eq!(serving.account(u, p).await.providerPubKey, key);
    serving.check_invariants().await;
}

#[tokio::test]
async fn refund_after_the_lock_reaches_the_users_wallet() {
    // Reference defect 1: there, retrieveFund has the serving contract send
    // the refund back into the still-running ledger, which reverts on
    // Stylus; here no value moves between the contracts.
    let (serving, provider, tee, user) = opened_or_skip!(LOCK_TIME, milli_eth(600));
    let (p, u) = (provider.address(), user.address());
    serving
        .settle(
            &provider,
            &[tee.record(u, p, milli_eth(100), 1, requests_hash(1))],
        )
        .await;
    serving.check_invariants().await;

    // The whole rest of the sub-account is queued as a refund.
    let receipt = serving.retrieve_fund(&user, vec![p], INFERENCE).await;
    let requested = events::<IS::RefundRequested>(&receipt, serving.inference_address());
    assert_eq!(requested.len(), 1, "one refund queued");
    assert_eq!((requested[0].user, requested[0].provider), (u, p));
    let queued_at = requested[0].timestamp;
    let updated = events::<IS::BalanceUpdated>(&receipt, serving.inference_address());
    assert_eq!(
        updated
            .last()
            .map(|e| (e.user, e.provider, e.amount, e.pendingRefund)),
        Some((u, p, milli_eth(500), milli_eth(500)))
    );
    assert_eq!(
        strict_call(serving.inference.getPendingRefund(u, p))
            .await
            ._0,
        milli_eth(500)
    );
    let account = serving.account(u, p).await;
    assert_eq!(account.validRefundsLength, U256::from(1u64));
    let live: Vec<_> = account.refunds.iter().filter(|r| !r.processed).collect();
    assert_eq!(live.len(), 1);
    assert_eq!(
        (live[0].amount, live[0].createdAt),
        (milli_eth(500), queued_at)
    );
    assert_eq!(serving.ledger_of(u).await.availableBalance, milli_eth(400));
    serving.check_invariants().await;

    // Before the lock ends nothing is paid and nothing more is queued.
    let receipt = serving.retrieve_fund(&user, vec![p], INFERENCE).await;
    assert!(events::<IS::RefundRequested>(&receipt, serving.inference_address()).is_empty());
    assert_eq!(serving.ledger_of(u).await.availableBalance, milli_eth(400));
    assert_eq!(serving.account(u, p).await.pendingRefund, milli_eth(500));

    // The provider can still settle what it served during the lock; the fee
    // comes out of the pending refund.
    serving
        .settle(
            &provider,
            &[tee.record(u, p, milli_eth(50), 2, requests_hash(2))],
        )
        .await;
    let account = serving.account(u, p).await;
    assert_eq!(
        (account.balance, account.pendingRefund),
        (milli_eth(450), milli_eth(450))
    );
    serving.check_invariants().await;

    // After the lock, retrieveFund pays the matured refund into the
    // available balance...
    serving.node.increase_time(LOCK_TIME).await.unwrap();
    serving.retrieve_fund(&user, vec![p], INFERENCE).await;
    let account = serving.account(u, p).await;
    assert_eq!(
        (account.balance, account.pendingRefund),
        (U256::ZERO, U256::ZERO)
    );
    assert_eq!(account.validRefundsLength, U256::ZERO);
    let ledger = serving.ledger_of(u).await;
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (milli_eth(850), milli_eth(850))
    );
    serving.check_invariants().await;

    // ...and refund sends it to the user's wallet.
    expect_revert::<LM::InsufficientBalance, _>(
        send(&user.wallet, serving.ledger.refund(milli_eth(851))).await,
    );
    let wallet_before = serving.balance(u).await;
    let ledger_before = serving.balance(serving.ledger_address()).await;
    let receipt = user
        .transact("refund", serving.ledger.refund(milli_eth(850)))
        .await;
    assert_eq!(
        serving.balance(u).await,
        wallet_before + milli_eth(850) - gas_cost(&receipt)
    );
    assert_eq!(
        serving.balance(serving.ledger_address()).await,
        ledger_before - milli_eth(850)
    );
    let ledger = serving.ledger_of(u).await;
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (U256::ZERO, U256::ZERO)
    );
    assert_eq!(serving.check_invariants().await, U256::ZERO);
}

#[tokio::test]
async fn transfer_into_an_account_cancels_its_pending_refund_first() {
    let (serving, provider, _, user) = opened_or_skip!(LOCK_TIME, milli_eth(300));
    let (p, u) = (provider.address(), user.address());
    serving.retrieve_fund(&user, vec![p], INFERENCE).await;
    assert_eq!(serving.account(u, p).await.pendingRefund, milli_eth(300));
    serving.check_invariants().await;
    // 400 more: 300 come from the cancelled refund, 100 from the ledger.
    serving
        .transfer_fund(&user, p, INFERENCE, milli_eth(400))
        .await;
    let account = serving.account(u, p).await;
    assert_eq!(
        (account.balance, account.pendingRefund),
        (milli_eth(400), U256::ZERO)
    );
    assert_eq!(serving.ledger_of(u).await.availableBalance, milli_eth(600));
    serving.check_invariants().await;
}

#[tokio::test]
async fn delete_ledger_only_when_it_holds_nothing() {
    // Reference defect 2: deleting a ledger there strands its funds.
    let serving = serving_or_skip!(LOCK_TIME);
    let provider = serving.provider().await;
    let p = provider.address();
    let tee = TeeKey::random();
    let user = serving.user(eth(1)).await;
    let u = user.address();

    let refused = expect_revert::<LM::LedgerHasFunds, _>(
        send(&user.wallet, serving.ledger.deleteLedger()).await,
    );
    assert_eq!((refused.user, refused.totalBalance), (u, eth(1)));

    // Everything in a sub-account: still refused.
    serving.open_account(&user, p, eth(1), &tee).await;
    assert_eq!(serving.ledger_of(u).await.availableBalance, U256::ZERO);
    let refused = expect_revert::<LM::LedgerHasFunds, _>(
        send(&user.wallet, serving.ledger.deleteLedger()).await,
    );
    assert_eq!(refused.totalBalance, eth(1));
    serving.check_invariants().await;

    // Take it all back to the wallet.
    serving.retrieve_fund(&user, vec![p], INFERENCE).await;
    serving.node.increase_time(LOCK_TIME).await.unwrap();
    serving.retrieve_fund(&user, vec![p], INFERENCE).await;
    user.transact("refund", serving.ledger.refund(eth(1))).await;
    serving.check_invariants().await;

    // Empty: deleted, with its sub-account.
    user.transact("deleteLedger", serving.ledger.deleteLedger())
        .await;
    serving.untrack(u);
    expect_revert::<LM::LedgerNotExists, _>(try_view(serving.ledger.getLedger(u)).await);
    assert!(!strict_call(serving.inference.accountExists(u, p)).await._0);
    expect_revert::<LM::LedgerNotExists, _>(
        send(&user.wallet, serving.ledger.deleteLedger()).await,
    );
    assert_eq!(serving.check_invariants().await, U256::ZERO);

    // The user can start again from scratch.
    serving.add_ledger(&user, milli_eth(10)).await;
    let ledger = serving.ledger_of(u).await;
    assert!(ledger.inferenceProviders.is_empty());
    assert_eq!(ledger.totalBalance, milli_eth(10));
    serving.check_invariants().await;
}

#[tokio::test]
async fn ledgers_take_value_only_through_their_functions() {
    let serving = serving_or_skip!(LOCK_TIME);
    let user = serving.user(eth(1)).await;
    let u = user.address();

    // Plain value sent to the ledger belongs to nobody: refused.
    let plain = TransactionRequest::default()
        .with_to(serving.ledger_address())
        .with_value(eth(1));
    expect_revert::<LM::ValueNotAccepted, _>(e2e::send_tx(&user.wallet, plain.clone()).await);
    match e2e::send_tx(&user.wallet, plain.with_gas_limit(1_000_000)).await {
        Err(ChainError::Reverted(receipt)) => assert!(!receipt.status()),
        other => panic!("expected a failed transfer, got {other:?}"),
    }
    // The serving contract takes no value at all.
    let plain = TransactionRequest::default()
        .with_to(serving.inference_address())
        .with_value(eth(1))
        .with_gas_limit(1_000_000);
    assert!(matches!(
        e2e::send_tx(&user.wallet, plain).await,
        Err(ChainError::Reverted(_))
    ));
    serving.check_invariants().await;

    // depositFund adds to the ledger; a second addLedger is refused.
    user.transact(
        "depositFund",
        serving.ledger.depositFund().value(milli_eth(250)),
    )
    .await;
    let ledger = serving.ledger_of(u).await;
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (milli_eth(1250), milli_eth(1250))
    );
    let exists = expect_revert::<LM::LedgerExists, _>(
        send(
            &user.wallet,
            serving
                .ledger
                .addLedger([U256::ZERO; 2], String::new())
                .value(eth(1)),
        )
        .await,
    );
    assert_eq!(exists.user, u);
    // Without a ledger: depositFund is refused.
    let stranger = serving.actor(eth(2)).await;
    expect_revert::<LM::LedgerNotExists, _>(
        send(&stranger.wallet, serving.ledger.depositFund().value(eth(1))).await,
    );
    assert_eq!(serving.check_invariants().await, milli_eth(1250));
}

#[tokio::test]
async fn transfer_fund_needs_a_service_and_the_balance() {
    // Reference defect 11: transferFund there opens an account with any
    // address.
    let serving = serving_or_skip!(LOCK_TIME);
    let provider = serving.provider().await;
    let p = provider.address();
    let user = serving.user(eth(1)).await;
    let nobody = Address::repeat_byte(0x77);

    let missing = expect_revert::<IS::ServiceNotExist, _>(
        serving
            .try_transfer_fund(&user, nobody, INFERENCE, milli_eth(1))
            .await,
    );
    assert_eq!(missing.provider, nobody);
    // Unknown kinds are refused; so is "fine-tuning" without a
    // fine-tuning contract, and with one, a provider without a fine-tuning
    // service (e2e_fine_tuning covers the rest).
    if serving.fine_tuning.is_some() {
        let missing = expect_revert::<LM::ServiceNotExist, _>(
            serving
                .try_transfer_fund(&user, p, "fine-tuning", milli_eth(1))
                .await,
        );
        assert_eq!(missing.provider, p);
    }
    let kinds: &[&str] = if serving.fine_tuning.is_some() {
        &["training", ""]
    } else {
        &["fine-tuning", "training", ""]
    };
    for &kind in kinds {
        let invalid = expect_revert::<LM::InvalidServiceType, _>(
            serving
                .try_transfer_fund(&user, p, kind, milli_eth(1))
                .await,
        );
        assert_eq!(invalid.serviceType, kind);
    }
    expect_revert::<LM::InsufficientBalance, _>(
        serving
            .try_transfer_fund(&user, p, INFERENCE, milli_eth(1001))
            .await,
    );
    // retrieveFund of a provider without an account is refused.
    expect_revert::<LM::AccountNotExists, _>(
        send(
            &user.wallet,
            serving.ledger.retrieveFund(vec![p], INFERENCE.into()),
        )
        .await,
    );
    let too_many = expect_revert::<LM::TooManyProviders, _>(
        send(
            &user.wallet,
            serving.ledger.retrieveFund(vec![p; 21], INFERENCE.into()),
        )
        .await,
    );
    assert_eq!(
        (too_many.count, too_many.max),
        (U256::from(21u64), U256::from(20u64))
    );
    serving.check_invariants().await;

    // After the provider removes its service, existing accounts keep working
    // for the user but no new account opens.
    let tee = TeeKey::random();
    serving.open_account(&user, p, milli_eth(100), &tee).await;
    provider
        .transact("removeService", serving.inference.removeService())
        .await;
    let other = serving.user(eth(1)).await;
    expect_revert::<IS::ServiceNotExist, _>(
        serving
            .try_transfer_fund(&other, p, INFERENCE, milli_eth(1))
            .await,
    );
    serving
        .transfer_fund(&user, p, INFERENCE, milli_eth(1))
        .await;
    serving.retrieve_fund(&user, vec![p], INFERENCE).await;
    serving.check_invariants().await;
}

#[tokio::test]
async fn internal_functions_refuse_outsiders() {
    let (serving, provider, _, user) = opened_or_skip!(LOCK_TIME, milli_eth(500));
    let (p, u) = (provider.address(), user.address());
    let stranger = serving.actor(eth(1)).await;
    let s = stranger.address();

    // Nobody but the serving contracts makes the ledger pay a provider.
    for wallet in [&stranger.wallet, &provider.wallet, &serving.owner] {
        let refused = expect_revert::<LM::Unauthorized, _>(
            send(wallet, serving.ledger.payProvider(s, milli_eth(1))).await,
        );
        assert_ne!(refused.caller, Address::ZERO);
    }
    // Nobody but the ledger moves sub-account balances.
    expect_revert::<IS::Unauthorized, _>(
        send(
            &stranger.wallet,
            serving.inference.fundAccount(u, p, eth(1)),
        )
        .await,
    );
    expect_revert::<IS::Unauthorized, _>(
        send(&user.wallet, serving.inference.fundAccount(u, p, eth(1))).await,
    );
    expect_revert::<IS::Unauthorized, _>(
        send(&user.wallet, serving.inference.retrieveFunds(u, vec![p])).await,
    );
    expect_revert::<IS::Unauthorized, _>(
        send(&user.wallet, serving.inference.deleteAccounts(u, vec![p])).await,
    );
    // Owner-only settings.
    expect_revert::<IS::OwnableUnauthorizedAccount, _>(
        send(
            &stranger.wallet,
            serving.inference.updateLockTime(U256::ZERO),
        )
        .await,
    );
    send(
        &serving.owner,
        serving.inference.updateLockTime(U256::from(120u64)),
    )
    .await
    .unwrap();
    assert_eq!(
        strict_call(serving.inference.lockTime()).await._0,
        U256::from(120u64)
    );
    assert_eq!(serving.account(u, p).await.balance, milli_eth(500));
    serving.check_invariants().await;
}

#[tokio::test]
async fn paged_views_return_what_single_views_return() {
    let serving = serving_or_skip!(LOCK_TIME);
    let tee = TeeKey::random();
    let p1 = serving.provider().await;
    let p2 = serving.provider().await;
    let a = serving.user(eth(1)).await;
    let b = serving.user(eth(1)).await;
    let _c = serving.user(eth(1)).await;
    serving
        .open_account(&a, p1.address(), milli_eth(100), &tee)
        .await;
    serving
        .open_account(&a, p2.address(), milli_eth(200), &tee)
        .await;
    serving
        .open_account(&b, p1.address(), milli_eth(300), &tee)
        .await;
    serving.check_invariants().await;
    let services = strict_call(serving.inference.getAllServices()).await._0;
    let mut providers: Vec<_> = services.iter().map(|s| s.provider).collect();
    providers.sort();
    let mut want = vec![p1.address(), p2.address()];
    want.sort();
    assert_eq!(providers, want);
    let service = strict_call(serving.inference.getService(p1.address()))
        .await
        ._0;
    assert_eq!(service.model, "llama-3.3-70b");
    assert!(services.contains(&service));
    serving.check_paged_views().await;
}
