//! Unit tests of InferenceServing (motsu), run with the real LedgerManager:
//! every public function (the views are called on the contract itself, as
//! the views program runs them on its storage), TEE batch settlement with
//! records signed natively (k256, the same digest code as on chain), the
//! refund queue, and the reference defects 3, 6, 7 and 9. The money
//! invariants of the architecture page are checked after each scenario
//! ([`Env::check_invariants`]).
//!
//! motsu's block timestamp is fixed ([`NOW`]), so a refund is "locked" under
//! a long lock time ([`LOCKED`]) and "unlocked" under lock time 0.

use core::cell::RefCell;

use alloy_primitives::{hex, Address, LogData, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use k256::ecdsa::SigningKey;
use ledger_manager::LedgerManager;
use motsu::prelude::*;
use serving_contracts::{
    abi::{
        Account, AccountNotExists, IPagedViews, InvalidInitialization, InvalidLimit,
        InvalidProofInputs, NotInitialized, Refund, RefundRequested, Service, ServiceNotExist,
        ServiceParams, ServiceRemoved, ServiceUpdated, SignerChangePending, TEESettlementCompleted,
        TEESettlementData, TEESettlementFailed, TooManyRefunds, Unauthorized, ViewsUpgraded,
    },
    account::MAX_REFUNDS,
    ownable::{OwnableUnauthorizedAccount, OwnershipTransferred},
};
use serving_verifier::{native, settlement_digest};

use crate::{
    AccountViews, InferenceServing, InferenceViews, ServiceViews, MAX_BATCH, MAX_BATCH_USERS,
};

/// motsu's fixed block timestamp.
const NOW: u64 = 1_735_689_600;
/// A lock time no refund outlives in these tests.
const LOCKED: u64 = 7 * 24 * 3600;
const INFERENCE: &str = "inference";

fn u(n: u64) -> U256 {
    U256::from(n)
}

/// The native balance of an account.
fn wallet(account: Address) -> U256 {
    #[allow(deprecated)]
    stylus_sdk::types::AddressVM::balance(&account)
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn key_address(key: &SigningKey) -> Address {
    native::address(key.verifying_key())
}

fn service(url: &str) -> ServiceParams {
    ServiceParams {
        serviceType: "chatbot".into(),
        url: url.into(),
        model: "llama-3-8b".into(),
        verifiability: "TeeML".into(),
        inputPrice: u(1),
        outputPrice: u(2),
        additionalInfo: "{\"region\":\"eu\"}".into(),
    }
}

/// A settlement record for `user`, signed by `key` over the digest of
/// (`provider`, `user`, `nonce`, `fee`).
fn signed(
    key: &SigningKey,
    provider: Address,
    user: Address,
    nonce: u64,
    fee: u64,
) -> TEESettlementData {
    let requests_hash = B256::repeat_byte(0x5a ^ nonce as u8);
    let digest = settlement_digest(requests_hash, u(nonce), provider, user, u(fee));
    TEESettlementData {
        user,
        provider,
        totalFee: u(fee),
        requestsHash: requests_hash,
        nonce: u(nonce),
        signature: native::sign(key, digest).to_vec().into(),
    }
}

/// The events of type `E` among `logs`, in emission order.
fn events<E: SolEvent>(logs: &[LogData]) -> Vec<E> {
    logs.iter()
        .filter(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|log| E::decode_log_data(log, true).unwrap())
        .collect()
}

use serving_contracts::testing::Wallet;

/// The inference contract and the ledger, initialized for each other, with
/// one provider's service registered and that provider's TEE key.
struct Env {
    ledger: Contract<LedgerManager>,
    inference: Contract<InferenceServing>,
    owner: Address,
    provider: Address,
    tee: SigningKey,
    /// The payable accounts, kept deployed.
    wallets: RefCell<Vec<Contract<Wallet>>>,
}

impl Env {
    fn new() -> Self {
        let ledger = Contract::<LedgerManager>::from_tag("ledger");
        let inference = Contract::<InferenceServing>::from_tag("inference");
        let owner = Address::from_tag("owner");
        ledger
            .sender(owner)
            .initialize(inference.address(), Address::ZERO, owner)
            .motsu_unwrap();
        inference
            .sender(owner)
            .initialize(u(LOCKED), ledger.address(), owner)
            .motsu_unwrap();
        let env = Env {
            ledger,
            inference,
            owner,
            provider: Address::ZERO,
            tee: key(1),
            wallets: RefCell::new(Vec::new()),
        };
        let provider = env.provider_named("provider");
        Env { provider, ..env }
    }

    /// A payable account named `tag` with 10^9 wei.
    fn wallet(&self, tag: &str) -> Address {
        let wallet = Contract::<Wallet>::from_tag(tag);
        wallet.fund(u(1_000_000_000));
        let address = wallet.address();
        self.wallets.borrow_mut().push(wallet);
        address
    }

    /// A payable provider with a registered service.
    fn provider_named(&self, tag: &str) -> Address {
        let provider = self.wallet(tag);
        self.inference
            .sender(provider)
            .add_or_update_service(service("https://x"))
            .motsu_unwrap();
        provider
    }

    fn tee_address(&self) -> Address {
        key_address(&self.tee)
    }

    /// A user whose ledger holds `deposit`, without an account.
    fn user(&self, tag: &str, deposit: u64) -> Address {
        let user = self.wallet(tag);
        self.ledger
            .sender_and_value(user, u(deposit))
            .add_ledger([U256::ZERO; 2], String::new())
            .motsu_unwrap();
        user
    }

    /// A user with `balance` in an account with the provider, whose TEE
    /// signer it acknowledged.
    fn customer(&self, tag: &str, balance: u64) -> Address {
        let user = self.user(tag, balance);
        self.transfer(user, self.provider, balance);
        self.inference
            .sender(user)
            .acknowledge_tee_signer(self.provider, self.tee_address())
            .motsu_unwrap();
        user
    }

    fn transfer(&self, user: Address, provider: Address, amount: u64) {
        self.ledger
            .sender(user)
            .transfer_fund(provider, INFERENCE.into(), u(amount))
            .motsu_unwrap();
    }

    fn retrieve(&self, user: Address) {
        self.ledger
            .sender(user)
            .retrieve_fund(vec![self.provider], INFERENCE.into())
            .motsu_unwrap();
    }

    fn set_lock_time(&self, lock_time: u64) {
        self.inference
            .sender(self.owner)
            .update_lock_time(u(lock_time))
            .motsu_unwrap();
    }

    fn account(&self, user: Address) -> Account {
        self.inference
            .sender(user)
            .get_account(user, self.provider)
            .motsu_unwrap()
    }

    /// The live refunds of `user`'s account as (index, amount).
    fn refunds(&self, user: Address) -> Vec<(U256, U256)> {
        self.account(user)
            .refunds
            .iter()
            .map(|r| (r.index, r.amount))
            .collect()
    }

    fn available(&self, user: Address) -> U256 {
        self.ledger
            .sender(user)
            .get_ledger(user)
            .motsu_unwrap()
            .availableBalance
    }

    /// A record of `user` with the provider, signed by its TEE.
    fn record(&self, user: Address, nonce: u64, fee: u64) -> TEESettlementData {
        signed(&self.tee, self.provider, user, nonce, fee)
    }

    fn events<E: SolEvent>(&self) -> Vec<E> {
        events(&self.inference.all_events())
    }

    /// Settles `records` as the provider and checks the outcome: the users
    /// of the refused records and their reasons, in order (returned and
    /// emitted), the completion counts, and that the provider was paid the
    /// fees of the other records.
    fn settle(&self, records: Vec<TEESettlementData>, refused: &[(Address, &str)]) {
        let seen = self.events::<TEESettlementFailed>().len();
        let paid_before = wallet(self.provider);
        let count = records.len();
        let fees: U256 = records.iter().map(|r| r.totalFee).sum();
        let failed = self
            .inference
            .sender(self.provider)
            .settle_fees_with_tee(records.clone())
            .motsu_unwrap();
        let users: Vec<Address> = refused.iter().map(|(user, _)| *user).collect();
        assert_eq!(failed, users, "failed users");
        let reported: Vec<TEESettlementFailed> = self
            .events::<TEESettlementFailed>()
            .into_iter()
            .skip(seen)
            .collect();
        let expected: Vec<TEESettlementFailed> = refused
            .iter()
            .map(|(user, reason)| TEESettlementFailed {
                provider: self.provider,
                user: *user,
                reason: reason.to_string(),
            })
            .collect();
        assert_eq!(reported, expected, "failure events");
        assert_eq!(
            self.events::<TEESettlementCompleted>().last(),
            Some(&TEESettlementCompleted {
                provider: self.provider,
                successCount: U256::from(count - refused.len()),
                failedCount: U256::from(refused.len()),
            })
        );
        if refused.is_empty() {
            assert_eq!(wallet(self.provider) - paid_before, fees, "provider paid");
        }
    }

    /// Settles one record that must be refused as `reason`, leaving the
    /// account as it was.
    fn refused(&self, record: TEESettlementData, reason: &str) {
        let user = record.user;
        let before = self.inference.sender(user).get_account(user, self.provider);
        let paid_before = wallet(self.provider);
        self.settle(vec![record], &[(user, reason)]);
        assert_eq!(
            self.inference.sender(user).get_account(user, self.provider),
            before
        );
        assert_eq!(wallet(self.provider), paid_before);
    }

    /// The invariants of the architecture page for this contract:
    /// - per ledger: total = available + its account balances;
    /// - the ledger holds the sum of all totals; this contract holds none;
    /// - per account: pending refund <= balance, the live refunds sum to the
    ///   pending refund, at most 30 of them.
    fn check_invariants(&self) {
        let (ledgers, _) = self
            .ledger
            .sender(self.owner)
            .get_all_ledgers(U256::ZERO, U256::ZERO)
            .motsu_unwrap();
        let mut totals = U256::ZERO;
        for ledger in &ledgers {
            let held: U256 = ledger
                .inferenceProviders
                .iter()
                .map(|&p| {
                    self.inference
                        .sender(p)
                        .get_account(ledger.user, p)
                        .motsu_unwrap()
                        .balance
                })
                .sum();
            assert_eq!(
                ledger.totalBalance,
                ledger.availableBalance + held,
                "ledger total"
            );
            totals += ledger.totalBalance;
        }
        assert_eq!(
            self.ledger.balance(),
            totals,
            "the ledger holds the sum of totals"
        );
        assert_eq!(
            self.inference.balance(),
            U256::ZERO,
            "the serving contract holds value"
        );
        let (accounts, total) = self
            .inference
            .sender(self.owner)
            .get_all_accounts(U256::ZERO, U256::ZERO)
            .motsu_unwrap();
        assert_eq!(U256::from(accounts.len()), total);
        // The ledger's escrow of this contract is what its sub-accounts
        // hold, and the ledger holds the available balances and the escrow.
        let escrow = self
            .ledger
            .sender(self.owner)
            .escrow_of(self.inference.address());
        let held: U256 = accounts.iter().map(|a| a.balance).sum();
        assert_eq!(escrow, held, "escrow = sub-accounts");
        let available: U256 = ledgers.iter().map(|l| l.availableBalance).sum();
        assert_eq!(
            self.ledger.balance(),
            available + escrow,
            "ledger = available + escrow"
        );
        for account in accounts {
            assert!(
                account.pendingRefund <= account.balance,
                "pending above balance"
            );
            let live: U256 = account.refunds.iter().map(|r| r.amount).sum();
            assert_eq!(live, account.pendingRefund, "refunds do not sum to pending");
            assert!(account.refunds.len() <= MAX_REFUNDS);
            assert_eq!(
                account.validRefundsLength,
                U256::from(account.refunds.len())
            );
        }
    }
}

// ------------------------------------------------------- initialize, owner

/// `setViews` by `caller` reverts `Unauthorized`: the contract is not
/// behind a beacon proxy, so nobody is its upgrade authority.
fn refuse_set_views(inference: &Contract<InferenceServing>, caller: Address) {
    let err = inference
        .sender(caller)
        .set_views(caller)
        .motsu_unwrap_err();
    assert_eq!(err, Unauthorized { caller }.abi_encode());
}

/// What the proxy sends straight to the views program ([`crate::PROXY_ROUTES`])
/// is what the views program serves (its router, or its fallback: an
/// answer other than the empty revert of an unknown selector) and the main
/// program's router does not (its fallback would delegate it to the views
/// program).
#[motsu::test]
fn the_proxy_routes_views_program_transactions_only() {
    use stylus_sdk::abi::Router;
    let main = Contract::<InferenceServing>::from_tag("main");
    let views = Contract::<InferenceViews>::from_tag("views");
    let caller = Address::from_tag("caller");
    for route in crate::PROXY_ROUTES {
        let selector = u32::from_be_bytes(route);
        let in_main =
            <InferenceServing as Router<_>>::route(&mut *main.sender(caller), selector, &[]);
        assert!(in_main.is_none(), "{route:02x?} is the main program's");
        // Arguments of zero words: an account with the zero provider,
        // which does not exist.
        let input = [&route[..], &[0; 96]].concat();
        let mut storage = views.sender(caller);
        let served =
            match <InferenceViews as Router<_>>::route(&mut *storage, selector, &input[4..]) {
                Some(_) => true,
                None => {
                    <InferenceViews as Router<_>>::fallback(&mut *storage, &input)
                        != Some(Err(vec![]))
                }
            };
        assert!(served, "{route:02x?} is not the views program's");
    }
    let unknown = [0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0];
    let answer = <InferenceViews as Router<_>>::fallback(&mut *views.sender(caller), &unknown);
    assert_eq!(answer, Some(Err(vec![])), "an unknown selector");
}

#[motsu::test]
fn initialize_configures_the_contract_once() {
    let inference = Contract::<InferenceServing>::from_tag("inference");
    let ledger = Address::from_tag("ledger");
    let owner = Address::from_tag("owner");
    let stranger = Address::from_tag("stranger");

    assert!(!inference.sender(owner).initialized());
    let err = inference
        .sender(stranger)
        .add_or_update_service(service("u"))
        .motsu_unwrap_err();
    assert_eq!(err, NotInitialized {}.abi_encode());
    let err = inference
        .sender(stranger)
        .settle_fees_with_tee(vec![])
        .motsu_unwrap_err();
    assert_eq!(err, NotInitialized {}.abi_encode());
    let err = inference
        .sender(stranger)
        .remove_service()
        .motsu_unwrap_err();
    assert_eq!(err, NotInitialized {}.abi_encode());
    // The fallback has no views program to run yet.
    let err = inference
        .sender(stranger)
        .fallback(&[1, 2, 3, 4])
        .motsu_unwrap_err();
    assert_eq!(err, NotInitialized {}.abi_encode());

    for (ledger, owner) in [(Address::ZERO, owner), (ledger, Address::ZERO)] {
        let err = inference
            .sender(owner)
            .initialize(u(1), ledger, owner)
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
    }
    let too_long = U256::from(u64::MAX) + u(1);
    let err = inference
        .sender(owner)
        .initialize(too_long, ledger, owner)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: too_long,
            max: U256::from(u64::MAX)
        }
        .abi_encode()
    );
    assert!(!inference.sender(owner).initialized());

    // Only the upgrade authority (the owner of the beacon of the proxy the
    // contract runs behind) sets the views program: nobody here, neither
    // before initialize nor after, the owner included.
    refuse_set_views(&inference, stranger);
    inference
        .sender(owner)
        .initialize(u(LOCKED), ledger, owner)
        .motsu_unwrap();
    assert!(inference.sender(stranger).initialized());
    assert_eq!(inference.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(inference.sender(stranger).ledger_address(), ledger);
    assert_eq!(inference.sender(stranger).owner(), owner);
    inference.assert_emitted(&OwnershipTransferred {
        previousOwner: Address::ZERO,
        newOwner: owner,
    });
    for caller in [stranger, owner] {
        refuse_set_views(&inference, caller);
    }

    for caller in [stranger, owner] {
        let err = inference
            .sender(caller)
            .initialize(u(0), stranger, stranger)
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
    }
    assert_eq!(inference.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(inference.sender(stranger).ledger_address(), ledger);
    assert_eq!(inference.sender(stranger).owner(), owner);
}

#[motsu::test]
fn a_constructed_contract_is_configured_and_refuses_initialize() {
    let inference = Contract::<InferenceServing>::from_tag("inference");
    let ledger = Address::from_tag("ledger");
    let owner = Address::from_tag("owner");
    let stranger = Address::from_tag("stranger");
    let views = Address::from_tag("views");

    let err = inference
        .sender(stranger)
        .constructor(u(LOCKED), Address::ZERO, owner, views)
        .motsu_unwrap_err();
    assert_eq!(err, InvalidInitialization {}.abi_encode());
    let too_long = U256::from(u64::MAX) + u(1);
    let err = inference
        .sender(stranger)
        .constructor(too_long, ledger, owner, views)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: too_long,
            max: U256::from(u64::MAX)
        }
        .abi_encode()
    );
    assert!(!inference.sender(stranger).initialized());

    inference
        .sender(stranger)
        .constructor(u(LOCKED), ledger, owner, views)
        .motsu_unwrap();
    assert!(inference.sender(stranger).initialized());
    assert_eq!(inference.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(inference.sender(stranger).ledger_address(), ledger);
    assert_eq!(inference.sender(stranger).owner(), owner);
    inference.assert_emitted(&OwnershipTransferred {
        previousOwner: Address::ZERO,
        newOwner: owner,
    });
    for caller in [stranger, owner] {
        let err = inference
            .sender(caller)
            .initialize(u(0), stranger, stranger)
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
        let err = inference
            .sender(caller)
            .constructor(u(0), stranger, stranger, stranger)
            .motsu_unwrap_err();
        assert_ne!(err, Vec::<u8>::new());
    }
    // The views program came with the construction, for good: a
    // constructed contract has no upgrade authority.
    inference.assert_emitted(&ViewsUpgraded { views });
    for caller in [stranger, owner] {
        refuse_set_views(&inference, caller);
    }
    assert_eq!(inference.sender(stranger).owner(), owner);
    assert_eq!(inference.sender(stranger).ledger_address(), ledger);
}

#[motsu::test]
fn lock_time_is_set_by_the_owner_only() {
    let env = Env::new();
    let stranger = Address::from_tag("stranger");
    let heir = Address::from_tag("heir");
    assert_eq!(env.inference.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(
        env.inference.sender(stranger).ledger_address(),
        env.ledger.address()
    );

    let err = env
        .inference
        .sender(stranger)
        .update_lock_time(u(1))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: stranger }.abi_encode()
    );
    let too_long = U256::from(u64::MAX) + u(1);
    let err = env
        .inference
        .sender(env.owner)
        .update_lock_time(too_long)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: too_long,
            max: U256::from(u64::MAX)
        }
        .abi_encode()
    );
    assert_eq!(env.inference.sender(stranger).lock_time(), u(LOCKED));
    env.set_lock_time(60);
    assert_eq!(env.inference.sender(stranger).lock_time(), u(60));

    // Ownership moves like the ledger's.
    let err = env
        .inference
        .sender(stranger)
        .transfer_ownership(stranger)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: stranger }.abi_encode()
    );
    env.inference
        .sender(env.owner)
        .transfer_ownership(heir)
        .motsu_unwrap();
    assert_eq!(env.inference.sender(stranger).owner(), heir);
    let err = env
        .inference
        .sender(env.owner)
        .update_lock_time(u(1))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: env.owner }.abi_encode()
    );
    env.inference
        .sender(heir)
        .update_lock_time(u(1))
        .motsu_unwrap();
    env.inference
        .sender(heir)
        .renounce_ownership()
        .motsu_unwrap();
    assert_eq!(env.inference.sender(stranger).owner(), Address::ZERO);
    let err = env
        .inference
        .sender(heir)
        .update_lock_time(u(2))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: heir }.abi_encode()
    );
    assert_eq!(env.inference.sender(stranger).lock_time(), u(1));
}

// ----------------------------------------------------------------- services

#[motsu::test]
fn services_are_added_updated_listed_and_removed() {
    let env = Env::new();
    let p1 = env.provider;
    let expected = |provider: Address, params: &ServiceParams| Service {
        provider,
        serviceType: params.serviceType.clone(),
        url: params.url.clone(),
        inputPrice: params.inputPrice,
        outputPrice: params.outputPrice,
        updatedAt: u(NOW),
        model: params.model.clone(),
        verifiability: params.verifiability.clone(),
        additionalInfo: params.additionalInfo.clone(),
    };
    assert_eq!(
        env.inference.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, &service("https://x"))
    );

    // An update replaces every field, longer or shorter strings alike.
    let long = ServiceParams {
        url: format!("https://{}.example", "a".repeat(80)),
        model: "m".into(),
        additionalInfo: String::new(),
        inputPrice: U256::MAX,
        outputPrice: u(7),
        ..service("")
    };
    env.inference
        .sender(p1)
        .add_or_update_service(long.clone())
        .motsu_unwrap();
    env.inference.assert_emitted(&ServiceUpdated {
        service: p1,
        serviceType: long.serviceType.clone(),
        url: long.url.clone(),
        inputPrice: long.inputPrice,
        outputPrice: long.outputPrice,
        updatedAt: u(NOW),
        model: long.model.clone(),
        verifiability: long.verifiability.clone(),
    });
    assert_eq!(
        env.inference.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, &long)
    );
    let short = service("u");
    env.inference
        .sender(p1)
        .add_or_update_service(short.clone())
        .motsu_unwrap();
    assert_eq!(
        env.inference.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, &short)
    );

    let p2 = Address::from_tag("p2");
    env.inference
        .sender(p2)
        .add_or_update_service(service("https://p2"))
        .motsu_unwrap();
    let all = env.inference.sender(p1).get_all_services();
    assert_eq!(
        all,
        vec![expected(p1, &short), expected(p2, &service("https://p2"))]
    );
    // getServices pages the same list, encoded as Solidity encodes it.
    let page = |offset: u64, limit: u64| {
        let encoded = env
            .inference
            .sender(p1)
            .get_services(u(offset), u(limit))
            .motsu_unwrap();
        let got = IPagedViews::getServicesCall::abi_decode_returns(&encoded, true).unwrap();
        let page = (got.services, got.total);
        assert_eq!(
            encoded,
            IPagedViews::getServicesCall::abi_encode_returns(&page)
        );
        page
    };
    assert_eq!(page(0, 0), (all.clone(), u(2)));
    assert_eq!(page(1, 1), (all[1..].to_vec(), u(2)));
    assert_eq!(page(2, 50), (vec![], u(2)));
    assert_eq!(
        env.inference
            .sender(p1)
            .get_services(U256::ZERO, u(51))
            .motsu_unwrap_err(),
        InvalidLimit {
            limit: u(51),
            max: u(50)
        }
        .abi_encode()
    );

    env.inference.sender(p1).remove_service().motsu_unwrap();
    env.inference
        .assert_emitted(&ServiceRemoved { service: p1 });
    let err = env.inference.sender(p2).get_service(p1).motsu_unwrap_err();
    assert_eq!(err, ServiceNotExist { provider: p1 }.abi_encode());
    let err = env.inference.sender(p1).remove_service().motsu_unwrap_err();
    assert_eq!(err, ServiceNotExist { provider: p1 }.abi_encode());
    assert_eq!(
        env.inference.sender(p1).get_all_services(),
        vec![expected(p2, &service("https://p2"))]
    );

    // Registered again, it is a fresh service.
    env.inference
        .sender(p1)
        .add_or_update_service(service("https://back"))
        .motsu_unwrap();
    assert_eq!(
        env.inference.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, &service("https://back"))
    );
    assert_eq!(env.inference.sender(p1).get_all_services().len(), 2);
}

// ------------------------------------------------ acknowledgements, accounts

#[motsu::test]
fn acknowledgements_need_an_account() {
    let env = Env::new();
    let alice = env.user("alice", 100);
    let p = env.provider;
    let missing = AccountNotExists {
        user: alice,
        provider: p,
    }
    .abi_encode();
    let err = env
        .inference
        .sender(alice)
        .acknowledge_tee_signer(p, env.tee_address())
        .motsu_unwrap_err();
    assert_eq!(err, missing);
    let err = env
        .inference
        .sender(alice)
        .acknowledge_provider_signer(p, [u(3), u(4)])
        .motsu_unwrap_err();
    assert_eq!(err, missing);

    env.transfer(alice, p, 100);
    env.inference
        .sender(alice)
        .acknowledge_tee_signer(p, env.tee_address())
        .motsu_unwrap();
    env.inference
        .sender(alice)
        .acknowledge_provider_signer(p, [u(3), U256::MAX])
        .motsu_unwrap();
    let account = env.account(alice);
    assert_eq!(account.teeSignerAddress, env.tee_address());
    assert_eq!(account.providerPubKey, [u(3), U256::MAX]);
    // Acknowledging zero revokes the signer.
    env.inference
        .sender(alice)
        .acknowledge_tee_signer(p, Address::ZERO)
        .motsu_unwrap();
    assert_eq!(env.account(alice).teeSignerAddress, Address::ZERO);
    // A user acknowledges for its own account only.
    let bob = env.user("bob", 0);
    let err = env
        .inference
        .sender(bob)
        .acknowledge_tee_signer(p, bob)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: bob,
            provider: p
        }
        .abi_encode()
    );
}

#[motsu::test]
fn get_account_shows_the_account_with_its_ledger_data() {
    let env = Env::new();
    let alice = env.wallet("alice");
    env.ledger
        .sender_and_value(alice, u(100))
        .add_ledger([u(7), u(8)], "alice's key".into())
        .motsu_unwrap();
    let err = env
        .inference
        .sender(alice)
        .get_account(alice, env.provider)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: alice,
            provider: env.provider
        }
        .abi_encode()
    );

    env.transfer(alice, env.provider, 100);
    env.inference
        .sender(alice)
        .acknowledge_tee_signer(env.provider, env.tee_address())
        .motsu_unwrap();
    env.inference
        .sender(alice)
        .acknowledge_provider_signer(env.provider, [u(5), u(6)])
        .motsu_unwrap();
    let mut expected = Account {
        user: alice,
        provider: env.provider,
        nonce: U256::ZERO,
        balance: u(100),
        pendingRefund: U256::ZERO,
        signer: [u(7), u(8)],
        refunds: vec![],
        additionalInfo: "alice's key".into(),
        providerPubKey: [u(5), u(6)],
        teeSignerAddress: env.tee_address(),
        validRefundsLength: U256::ZERO,
    };
    assert_eq!(env.account(alice), expected);

    // Refunds are listed in request order; pendingRefund is their sum.
    env.retrieve(alice); // [100]
    env.transfer(alice, env.provider, 30); // [70], 30 free
    env.retrieve(alice); // [70, 30]
    env.settle(vec![env.record(alice, 4, 10)], &[]); // the newest refund pays: [70, 20]
    let refund = |index: u64, amount: u64| Refund {
        index: u(index),
        amount: u(amount),
        createdAt: u(NOW),
        processed: false,
    };
    expected.nonce = u(4);
    expected.balance = u(90);
    expected.pendingRefund = u(90);
    expected.refunds = vec![refund(0, 70), refund(1, 20)];
    expected.validRefundsLength = u(2);
    assert_eq!(env.account(alice), expected);
    assert_eq!(
        env.inference
            .sender(alice)
            .get_pending_refund(alice, env.provider),
        u(90)
    );
    env.check_invariants();
}

#[motsu::test]
fn account_exists_and_pending_refund() {
    let env = Env::new();
    let alice = env.user("alice", 100);
    let other = env.provider_named("other");
    let view = |provider: Address| {
        let call = env.inference.sender(alice);
        (
            call.account_exists(alice, provider),
            call.get_pending_refund(alice, provider),
        )
    };
    assert_eq!(view(env.provider), (false, U256::ZERO));
    env.transfer(alice, env.provider, 60);
    assert_eq!(view(env.provider), (true, U256::ZERO));
    env.retrieve(alice);
    assert_eq!(view(env.provider), (true, u(60)));
    assert_eq!(view(other), (false, U256::ZERO));
    assert!(!env
        .inference
        .sender(alice)
        .account_exists(env.provider, alice));
}

/// Deleting accounts in any order (each deletion moves the last account
/// of both lists into the hole) leaves every account listed once, in the
/// list of all accounts and in its provider's.
#[motsu::test]
fn the_account_lists_stay_exact_through_deletions() {
    let env = Env::new();
    let providers = [
        env.provider,
        env.provider_named("p2"),
        env.provider_named("p3"),
    ];
    let users: Vec<Address> = ["a", "b", "c", "d"]
        .iter()
        .map(|tag| env.user(tag, 100))
        .collect();
    let mut open = Vec::new();
    for (i, &user) in users.iter().enumerate() {
        for &provider in &providers[..1 + i % 3] {
            env.transfer(user, provider, 0);
            open.push((user, provider));
        }
    }
    let view = env.inference.sender(users[0]);
    let listed = |accounts: Vec<Account>| {
        let mut pairs: Vec<_> = accounts.into_iter().map(|a| (a.user, a.provider)).collect();
        pairs.sort();
        pairs
    };
    // A fixed scramble of the seven accounts: middle ones, then the ends.
    for step in [3, 1, 4, 0, 2, 1, 0] {
        let (user, provider) = open.remove(step);
        env.inference
            .sender(env.ledger.address())
            .delete_accounts(user, vec![provider])
            .motsu_unwrap();
        let mut want = open.clone();
        want.sort();
        let (all, total) = view.get_all_accounts(U256::ZERO, U256::ZERO).motsu_unwrap();
        assert_eq!((listed(all), total), (want.clone(), u(open.len() as u64)));
        for provider in providers {
            let (page, _) = view
                .get_accounts_by_provider(provider, U256::ZERO, U256::ZERO)
                .motsu_unwrap();
            let mine: Vec<_> = want
                .iter()
                .filter(|(_, p)| *p == provider)
                .copied()
                .collect();
            assert_eq!(listed(page), mine);
        }
    }
    assert!(open.is_empty());
}

#[motsu::test]
fn paged_account_views() {
    let env = Env::new();
    let (p1, p2) = (env.provider, env.provider_named("p2"));
    let users: Vec<Address> = ["a", "b", "c"]
        .iter()
        .map(|tag| env.user(tag, 100))
        .collect();
    for &user in &users {
        env.transfer(user, p1, 10);
    }
    env.transfer(users[0], p2, 10);
    let pairs = |accounts: Vec<Account>| -> Vec<(Address, Address)> {
        accounts.into_iter().map(|a| (a.user, a.provider)).collect()
    };
    let view = env.inference.sender(users[0]);
    let invalid = InvalidLimit {
        limit: u(51),
        max: u(50),
    }
    .abi_encode();

    // Every account, in opening order.
    let (all, total) = view.get_all_accounts(U256::ZERO, U256::ZERO).motsu_unwrap();
    assert_eq!(total, u(4));
    let expected = vec![
        (users[0], p1),
        (users[1], p1),
        (users[2], p1),
        (users[0], p2),
    ];
    assert_eq!(pairs(all), expected);
    let (page, total) = view.get_all_accounts(u(2), u(2)).motsu_unwrap();
    assert_eq!((pairs(page), total), (expected[2..].to_vec(), u(4)));
    let (page, total) = view.get_all_accounts(u(4), u(1)).motsu_unwrap();
    assert_eq!((page.len(), total), (0, u(4)));
    assert_eq!(
        view.get_all_accounts(U256::ZERO, u(51)).motsu_unwrap_err(),
        invalid
    );
    assert_eq!(
        view.get_all_accounts(U256::ZERO, u(50)).motsu_unwrap().1,
        u(4)
    );

    // By provider.
    let view = env.inference.sender(users[0]);
    let (page, total) = view
        .get_accounts_by_provider(p1, U256::ZERO, U256::ZERO)
        .motsu_unwrap();
    assert_eq!((pairs(page), total), (expected[..3].to_vec(), u(3)));
    let (page, total) = view.get_accounts_by_provider(p1, u(1), u(1)).motsu_unwrap();
    assert_eq!((pairs(page), total), (vec![(users[1], p1)], u(3)));
    let (page, total) = view
        .get_accounts_by_provider(p1, U256::MAX, u(1))
        .motsu_unwrap();
    assert_eq!((page.len(), total), (0, u(3)));
    let (page, total) = view
        .get_accounts_by_provider(users[1], U256::ZERO, U256::ZERO)
        .motsu_unwrap();
    assert_eq!((page.len(), total), (0, U256::ZERO));
    assert_eq!(
        view.get_accounts_by_provider(p1, U256::ZERO, u(51))
            .motsu_unwrap_err(),
        invalid
    );

    // By user, in the ledger's order of providers.
    let view = env.inference.sender(users[0]);
    let (page, total) = view
        .get_accounts_by_user(users[0], U256::ZERO, U256::ZERO)
        .motsu_unwrap();
    assert_eq!(
        (pairs(page), total),
        (vec![(users[0], p1), (users[0], p2)], u(2))
    );
    let (page, total) = view
        .get_accounts_by_user(users[0], u(1), u(5))
        .motsu_unwrap();
    assert_eq!((pairs(page), total), (vec![(users[0], p2)], u(2)));
    let (page, total) = view
        .get_accounts_by_user(users[0], u(2), U256::ZERO)
        .motsu_unwrap();
    assert_eq!((page.len(), total), (0, u(2)));
    let nobody = Address::from_tag("nobody");
    let (page, total) = view
        .get_accounts_by_user(nobody, U256::ZERO, U256::ZERO)
        .motsu_unwrap();
    assert_eq!((page.len(), total), (0, U256::ZERO));
    assert_eq!(
        view.get_accounts_by_user(users[0], U256::ZERO, u(51))
            .motsu_unwrap_err(),
        invalid
    );
}

#[motsu::test]
fn batch_accounts_by_users_for_the_calling_provider() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let bob = env.customer("bob", 50);
    let stranger = Address::from_tag("stranger");
    let zeroed = Account {
        user: Address::ZERO,
        provider: Address::ZERO,
        nonce: U256::ZERO,
        balance: U256::ZERO,
        pendingRefund: U256::ZERO,
        signer: [U256::ZERO; 2],
        refunds: vec![],
        additionalInfo: String::new(),
        providerPubKey: [U256::ZERO; 2],
        teeSignerAddress: Address::ZERO,
        validRefundsLength: U256::ZERO,
    };
    let accounts = env
        .inference
        .sender(env.provider)
        .get_batch_accounts_by_users(vec![alice, stranger, bob])
        .motsu_unwrap();
    assert_eq!(
        accounts,
        vec![env.account(alice), zeroed.clone(), env.account(bob)]
    );
    // The caller is the provider: another caller sees no accounts.
    let accounts = env
        .inference
        .sender(stranger)
        .get_batch_accounts_by_users(vec![alice])
        .motsu_unwrap();
    assert_eq!(accounts, vec![zeroed]);

    let users = vec![stranger; MAX_BATCH_USERS];
    let accounts = env
        .inference
        .sender(env.provider)
        .get_batch_accounts_by_users(users)
        .motsu_unwrap();
    assert_eq!(accounts.len(), MAX_BATCH_USERS);
    let users = vec![stranger; MAX_BATCH_USERS + 1];
    let err = env
        .inference
        .sender(env.provider)
        .get_batch_accounts_by_users(users)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(101),
            max: u(100)
        }
        .abi_encode()
    );
}

#[motsu::test]
fn internal_functions_serve_only_the_ledger() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    for caller in [alice, env.provider, env.owner] {
        let unauthorized = Unauthorized { caller }.abi_encode();
        let serving = || env.inference.sender(caller);
        assert_eq!(
            serving()
                .fund_account(alice, env.provider, u(1))
                .motsu_unwrap_err(),
            unauthorized
        );
        assert_eq!(
            serving()
                .retrieve_funds(alice, vec![env.provider])
                .motsu_unwrap_err(),
            unauthorized
        );
        assert_eq!(
            serving()
                .delete_accounts(alice, vec![env.provider])
                .motsu_unwrap_err(),
            unauthorized
        );
    }
    assert_eq!(env.account(alice).balance, u(100));
    assert_eq!(env.account(alice).pendingRefund, U256::ZERO);
    // userBalance is a view anyone may read.
    let other = env.provider_named("other");
    env.ledger
        .sender_and_value(alice, u(30))
        .deposit_fund()
        .motsu_unwrap();
    env.transfer(alice, other, 30);
    let sum = env
        .inference
        .sender(alice)
        .user_balance(alice, vec![env.provider, other, alice]);
    assert_eq!(sum, u(130));
    env.check_invariants();
}

// --------------------------------------------------------------- settlement

#[motsu::test]
fn a_valid_record_pays_the_provider_through_the_ledger() {
    let env = Env::new();
    let alice = env.customer("alice", 500);
    env.settle(vec![env.record(alice, 1, 120)], &[]);
    assert_eq!(wallet(env.provider), u(1_000_000_000 + 120));
    let account = env.account(alice);
    assert_eq!((account.balance, account.nonce), (u(380), u(1)));
    let ledger = env.ledger.sender(alice).get_ledger(alice).motsu_unwrap();
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (U256::ZERO, u(380))
    );
    assert_eq!(env.ledger.balance(), u(380));
    // Nonces need not be consecutive, only growing.
    env.settle(vec![env.record(alice, 10, 80)], &[]);
    assert_eq!(env.account(alice).nonce, u(10));
    env.check_invariants();
}

#[motsu::test]
fn a_batch_settles_many_users_and_pays_once() {
    let env = Env::new();
    let users: Vec<Address> = (0..12)
        .map(|i| env.customer(&format!("user {i}"), 100))
        .collect();
    let mut records: Vec<TEESettlementData> = users
        .iter()
        .enumerate()
        .map(|(i, &user)| env.record(user, 1, i as u64 + 1))
        .collect();
    // Several records of one user in one batch, nonces growing.
    records.push(env.record(users[0], 2, 5));
    records.push(env.record(users[0], 3, 5));
    env.settle(records, &[]);
    assert_eq!(wallet(env.provider), u(1_000_000_000 + 78 + 10));
    for (i, &user) in users.iter().enumerate().skip(1) {
        let account = env.account(user);
        assert_eq!(
            (account.balance, account.nonce),
            (u(100 - i as u64 - 1), u(1))
        );
    }
    let first = env.account(users[0]);
    assert_eq!((first.balance, first.nonce), (u(89), u(3)));
    env.check_invariants();
}

#[motsu::test]
fn a_fee_above_the_balance_is_refused() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.refused(env.record(alice, 1, 101), "Insufficient balance");
    assert_eq!(env.account(alice).nonce, U256::ZERO);
    // The whole balance can be charged.
    env.settle(vec![env.record(alice, 1, 100)], &[]);
    assert_eq!(env.account(alice).balance, U256::ZERO);
    env.refused(env.record(alice, 2, 1), "Insufficient balance");
    env.check_invariants();
}

#[motsu::test]
fn a_mixed_batch_reports_each_failure_and_settles_the_rest() {
    let env = Env::new();
    let other = env.provider_named("other");
    let ok = env.customer("ok", 100);
    let mismatch = env.customer("mismatch", 100);
    let unacknowledged = env.user("unacknowledged", 100);
    env.transfer(unacknowledged, env.provider, 100);
    let wrong_signer = env.user("wrong signer", 100);
    env.transfer(wrong_signer, env.provider, 100);
    env.inference
        .sender(wrong_signer)
        .acknowledge_tee_signer(env.provider, key_address(&key(9)))
        .motsu_unwrap();
    let replayed = env.customer("replayed", 100);
    env.settle(vec![env.record(replayed, 5, 1)], &[]);
    let poor = env.customer("poor", 100);
    let ghost = Address::from_tag("ghost");

    let before: Vec<Account> = [mismatch, unacknowledged, wrong_signer, replayed, poor]
        .iter()
        .map(|&user| env.account(user))
        .collect();
    let paid_before = wallet(env.provider);
    env.settle(
        vec![
            signed(&env.tee, other, mismatch, 1, 10),
            env.record(ok, 1, 10),
            env.record(unacknowledged, 1, 10),
            env.record(wrong_signer, 1, 10),
            env.record(replayed, 5, 10),
            env.record(poor, 1, 1000),
            env.record(ghost, 1, 10),
        ],
        &[
            (mismatch, "Provider mismatch"),
            (unacknowledged, "TEE signer not acknowledged"),
            (wrong_signer, "Invalid TEE signer"),
            (replayed, "Nonce already processed"),
            (poor, "Insufficient balance"),
            (ghost, "Account not exists"),
        ],
    );
    assert_eq!(wallet(env.provider) - paid_before, u(10));
    assert_eq!(env.account(ok).balance, u(90));
    let after: Vec<Account> = [mismatch, unacknowledged, wrong_signer, replayed, poor]
        .iter()
        .map(|&user| env.account(user))
        .collect();
    assert_eq!(after, before);
    env.check_invariants();
}

/// A user served under one TEE signer who acknowledges another (or none)
/// still pays: records signed by the replaced signer settle for the lock
/// time after the change, and while that grace runs the signer can only
/// change back to it.
#[motsu::test]
fn switching_the_tee_signer_does_not_dodge_fees() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let served = env.record(alice, 1, 10);
    for signer in [Address::ZERO, key_address(&key(9))] {
        env.inference
            .sender(alice)
            .acknowledge_tee_signer(env.provider, signer)
            .motsu_unwrap();
    }
    assert_eq!(env.account(alice).teeSignerAddress, key_address(&key(9)));
    env.settle(vec![served], &[]);
    assert_eq!(env.account(alice).balance, u(90));

    // A third signer would end the grace of the first: refused, unchanged.
    let err = env
        .inference
        .sender(alice)
        .acknowledge_tee_signer(env.provider, key_address(&key(8)))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        SignerChangePending {
            user: alice,
            provider: env.provider,
            until: u(NOW + LOCKED),
        }
        .abi_encode()
    );
    assert_eq!(env.account(alice).teeSignerAddress, key_address(&key(9)));

    // Once the lock time has passed, only the acknowledged signer settles.
    env.set_lock_time(0);
    env.refused(env.record(alice, 2, 10), "Invalid TEE signer");
    env.settle(vec![signed(&key(9), env.provider, alice, 2, 10)], &[]);
    env.inference
        .sender(alice)
        .acknowledge_tee_signer(env.provider, key_address(&key(8)))
        .motsu_unwrap();
    env.check_invariants();
}

/// A batch mixing users of different TEE signers settles each record
/// against its own account's signer: the signers are numbered per provider
/// (`tee_signers`), so the same number names different keys at different
/// providers, and a revoked then re-acknowledged signer settles again.
#[motsu::test]
fn each_record_is_checked_against_its_own_signer() {
    let env = Env::new();
    let other = env.provider_named("other");
    let (k1, k2) = (env.tee.clone(), key(9));
    let acknowledge = |user: Address, provider: Address, key: &SigningKey| {
        env.inference
            .sender(user)
            .acknowledge_tee_signer(provider, key_address(key))
            .motsu_unwrap();
    };
    // At `other`, k2 is the first signer acknowledged; at the provider, k1.
    let dave = env.user("dave", 100);
    env.transfer(dave, other, 100);
    acknowledge(dave, other, &k2);
    let alice = env.customer("alice", 100);
    let bob = env.user("bob", 100);
    env.transfer(bob, env.provider, 100);
    acknowledge(bob, env.provider, &k2);
    let carol = env.customer("carol", 100);

    env.settle(
        vec![
            env.record(alice, 1, 1),
            signed(&k2, env.provider, bob, 1, 2),
            env.record(carol, 1, 3),
            env.record(bob, 2, 4),
            signed(&k2, env.provider, alice, 2, 5),
            env.record(alice, 2, 6),
        ],
        &[(bob, "Invalid TEE signer"), (alice, "Invalid TEE signer")],
    );
    assert_eq!(
        [alice, bob, carol].map(|user| env.account(user).balance),
        [u(93), u(98), u(97)]
    );
    let at_other = |record: TEESettlementData| {
        env.inference
            .sender(other)
            .settle_fees_with_tee(vec![record])
            .motsu_unwrap()
    };
    assert_eq!(at_other(signed(&k1, other, dave, 1, 7)), vec![dave]);
    assert_eq!(
        at_other(signed(&k2, other, dave, 1, 7)),
        Vec::<Address>::new()
    );

    // Revoked, bob's signer settles only through its grace; acknowledged
    // again, it settles as before.
    env.inference
        .sender(bob)
        .acknowledge_tee_signer(env.provider, Address::ZERO)
        .motsu_unwrap();
    env.settle(vec![signed(&k2, env.provider, bob, 3, 1)], &[]);
    env.set_lock_time(0);
    env.refused(
        signed(&k2, env.provider, bob, 4, 1),
        "TEE signer not acknowledged",
    );
    acknowledge(bob, env.provider, &k2);
    env.settle(vec![signed(&k2, env.provider, bob, 4, 1)], &[]);
    assert_eq!(env.account(bob).teeSignerAddress, key_address(&k2));
    env.check_invariants();
}

#[motsu::test]
fn a_record_settles_at_most_once() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let record = env.record(alice, 3, 10);
    env.settle(vec![record.clone()], &[]);
    // Replayed as is, later alone or in a batch, or with an older nonce.
    env.refused(record.clone(), "Nonce already processed");
    env.refused(env.record(alice, 2, 10), "Nonce already processed");
    let bob = env.customer("bob", 100);
    env.settle(
        vec![env.record(bob, 1, 10), record.clone()],
        &[(alice, "Nonce already processed")],
    );
    // The same nonce twice in one batch: the second is a replay.
    env.settle(
        vec![env.record(alice, 4, 10), env.record(alice, 4, 10)],
        &[(alice, "Nonce already processed")],
    );
    let account = env.account(alice);
    assert_eq!((account.balance, account.nonce), (u(80), u(4)));
    assert_eq!(wallet(env.provider), u(1_000_000_000 + 30));
    env.check_invariants();
}

#[motsu::test]
fn batches_are_bounded() {
    let env = Env::new();
    let err = env
        .inference
        .sender(env.provider)
        .settle_fees_with_tee(vec![])
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidProofInputs {
            reason: "Empty batch".into()
        }
        .abi_encode()
    );

    let ghost = Address::from_tag("ghost");
    let record = env.record(ghost, 1, 1);
    let err = env
        .inference
        .sender(env.provider)
        .settle_fees_with_tee(vec![record.clone(); MAX_BATCH + 1])
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(501),
            max: u(500)
        }
        .abi_encode()
    );
    let failed = env
        .inference
        .sender(env.provider)
        .settle_fees_with_tee(vec![record; MAX_BATCH])
        .motsu_unwrap();
    assert_eq!(failed, vec![ghost; MAX_BATCH]);
}

/// Defect 7: a record for a user without an account, or with a signature
/// of the wrong length, is reported and the rest of the batch settles.
#[motsu::test]
fn bad_records_do_not_sink_the_batch() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let bob = env.customer("bob", 100);
    let ghost = Address::from_tag("ghost");
    let mut short = env.record(alice, 1, 10);
    short.signature = short.signature[..64].to_vec().into();
    env.settle(
        vec![env.record(ghost, 1, 10), short, env.record(bob, 1, 10)],
        &[(ghost, "Account not exists"), (alice, "Invalid TEE signer")],
    );
    assert_eq!(env.account(bob).balance, u(90));
    assert_eq!(env.account(alice).balance, u(100));
    assert_eq!(wallet(env.provider), u(1_000_000_000 + 10));
    env.check_invariants();
}

/// Defect 6 and signature forgery: only a low-s 65-byte signature with v in
/// {0, 1, 27, 28} by the acknowledged signer over this very record passes.
#[motsu::test]
fn forged_and_malleable_signatures_are_refused() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let bob = env.customer("bob", 100);
    let other = Address::from_tag("other provider");
    let good = env.record(alice, 1, 10);
    let with_signature = |bytes: Vec<u8>| TEESettlementData {
        signature: bytes.into(),
        ..good.clone()
    };
    let invalid = "Invalid TEE signer";

    // High s: (r, n - s) with the other v recovers the same key on a
    // permissive verifier.
    let n = U256::from_be_bytes(hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let mut high = good.signature.to_vec();
    let s = U256::from_be_slice(&high[32..64]);
    high[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    high[64] = if high[64] == 27 { 28 } else { 27 };
    env.refused(with_signature(high), invalid);

    let mut bad_v = good.signature.to_vec();
    bad_v[64] = 29;
    env.refused(with_signature(bad_v), invalid);
    env.refused(with_signature(good.signature[..64].to_vec()), invalid);
    env.refused(
        with_signature([good.signature.to_vec(), vec![0]].concat()),
        invalid,
    );
    env.refused(with_signature(vec![0; 65]), invalid);

    // A genuine signature over another record.
    let for_other_provider = signed(&env.tee, other, alice, 1, 10).signature;
    env.refused(
        TEESettlementData {
            signature: for_other_provider,
            ..good.clone()
        },
        invalid,
    );
    let for_other_user = env.record(bob, 1, 10).signature;
    env.refused(
        TEESettlementData {
            signature: for_other_user,
            ..good.clone()
        },
        invalid,
    );
    let for_smaller_fee = env.record(alice, 1, 1).signature;
    env.refused(
        TEESettlementData {
            signature: for_smaller_fee,
            ..good.clone()
        },
        invalid,
    );
    let by_another_key = signed(&key(9), env.provider, alice, 1, 10).signature;
    env.refused(
        TEESettlementData {
            signature: by_another_key,
            ..good.clone()
        },
        invalid,
    );

    // A user without an acknowledged signer is never charged, even with a
    // zero signature (ecrecover's zero answer).
    env.inference
        .sender(bob)
        .acknowledge_tee_signer(env.provider, Address::ZERO)
        .motsu_unwrap();
    let zero = TEESettlementData {
        signature: vec![0; 65].into(),
        ..env.record(bob, 1, 10)
    };
    env.refused(zero, "TEE signer not acknowledged");

    // v as 0/1 is the same signature.
    let mut v01 = good.signature.to_vec();
    v01[64] -= 27;
    env.settle(vec![with_signature(v01)], &[]);
    assert_eq!(env.account(alice).balance, u(90));
    env.check_invariants();
}

// ------------------------------------------------------------- refund queue

/// Queues [`MAX_REFUNDS`] live refunds in `user`'s account (balance 1000,
/// all of it pending): each transfer into the account takes back part of
/// the newest refund (nothing leaves the ledger), and the next retrieveFund
/// queues it as a new refund: [900, 1 x 28, 72].
fn fill_refund_queue(env: &Env, user: Address) {
    env.retrieve(user); // [1000]
    for k in 1..MAX_REFUNDS as u64 {
        env.transfer(user, env.provider, 101 - k); // the newest keeps 1
        env.retrieve(user);
    }
}

#[motsu::test]
fn an_account_has_at_most_30_live_refunds() {
    let env = Env::new();
    let alice = env.customer("alice", 1000);
    fill_refund_queue(&env, alice);
    let refunds = env.refunds(alice);
    assert_eq!(refunds.len(), MAX_REFUNDS);
    assert_eq!(
        refunds.iter().map(|r| r.0).collect::<Vec<_>>(),
        (0..30).map(u).collect::<Vec<_>>()
    );
    assert_eq!(env.account(alice).pendingRefund, u(1000));
    let requested = env.events::<RefundRequested>();
    assert_eq!(requested.len(), MAX_REFUNDS);
    for (i, event) in requested.iter().enumerate() {
        assert_eq!(event.index, u(i as u64));
        assert_eq!(event.timestamp, u(NOW));
    }
    env.check_invariants();

    // The 31st request is refused.
    env.transfer(alice, env.provider, 71);
    let before = env.account(alice);
    assert_eq!(before.pendingRefund, u(929));
    let err = env
        .ledger
        .sender(alice)
        .retrieve_fund(vec![env.provider], INFERENCE.into())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        TooManyRefunds {
            user: alice,
            provider: env.provider
        }
        .abi_encode()
    );
    assert_eq!(env.account(alice), before);
    assert_eq!(env.events::<RefundRequested>().len(), MAX_REFUNDS);
    env.check_invariants();
}

#[motsu::test]
fn a_full_refund_queue_is_paid_at_once_when_unlocked() {
    let env = Env::new();
    let alice = env.customer("alice", 1000);
    fill_refund_queue(&env, alice);
    env.transfer(alice, env.provider, 71); // 71 free
    env.set_lock_time(0);
    env.retrieve(alice);
    let account = env.account(alice);
    assert_eq!(
        (account.balance, account.pendingRefund),
        (U256::ZERO, U256::ZERO)
    );
    assert!(account.refunds.is_empty());
    assert_eq!(env.available(alice), u(1000));
    // The free 71 was queued in the first slot freed, and paid.
    let requested = env.events::<RefundRequested>();
    assert_eq!(requested.len(), MAX_REFUNDS + 1);
    assert_eq!(requested.last().unwrap().index, U256::ZERO);

    // The queue works on afterwards.
    env.set_lock_time(LOCKED);
    env.transfer(alice, env.provider, 40);
    env.retrieve(alice);
    assert_eq!(env.refunds(alice), vec![(u(1), u(40))]);
    env.check_invariants();
}

#[motsu::test]
fn refund_slots_are_reused_after_payment() {
    let env = Env::new();
    env.set_lock_time(0);
    let alice = env.customer("alice", 10);
    for _ in 0..35 {
        env.retrieve(alice); // queued and paid at once
        assert_eq!(env.available(alice), u(10));
        env.transfer(alice, env.provider, 10);
    }
    let indices: Vec<U256> = env
        .events::<RefundRequested>()
        .iter()
        .map(|e| e.index)
        .collect();
    let expected: Vec<U256> = (0..35).map(|i| u(i % 30)).collect();
    assert_eq!(indices, expected);
    assert!(env.account(alice).refunds.is_empty());
    env.check_invariants();
}

#[motsu::test]
fn the_refund_ring_wraps_around() {
    let env = Env::new();
    let alice = env.customer("alice", 1000);
    // Advance the ring's head to slot 25 with refunds paid at once.
    env.set_lock_time(0);
    for _ in 0..25 {
        env.retrieve(alice);
        env.transfer(alice, env.provider, 1000);
    }
    env.set_lock_time(LOCKED);
    // Ten live refunds across the end of the ring: [900, 1 x 8, 92].
    env.retrieve(alice);
    for k in 1..10 {
        env.transfer(alice, env.provider, 101 - k);
        env.retrieve(alice);
    }
    let indices: Vec<U256> = env.refunds(alice).iter().map(|r| r.0).collect();
    let expected: Vec<U256> = [25, 26, 27, 28, 29, 0, 1, 2, 3, 4]
        .into_iter()
        .map(u)
        .collect();
    assert_eq!(indices, expected);
    assert_eq!(env.account(alice).pendingRefund, u(1000));
    env.check_invariants();

    // A fee of 100 uses up the nine newest, back across the wrap.
    env.settle(vec![env.record(alice, 1, 100)], &[]);
    assert_eq!(env.refunds(alice), vec![(u(25), u(900))]);
    env.transfer(alice, env.provider, 50); // [850], 50 free
    env.retrieve(alice);
    assert_eq!(env.refunds(alice), vec![(u(25), u(850)), (u(26), u(50))]);
    env.check_invariants();

    env.set_lock_time(0);
    env.retrieve(alice);
    assert!(env.refunds(alice).is_empty());
    assert_eq!(env.available(alice), u(900));
    env.check_invariants();
}

/// Defect 9: RefundRequested is emitted once per refund actually queued,
/// with the index that refund is listed under, also when a slot is reused.
#[motsu::test]
fn refund_requested_announces_each_queued_refund() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let requested = |index: u64| RefundRequested {
        user: alice,
        provider: env.provider,
        index: u(index),
        timestamp: u(NOW),
    };
    env.retrieve(alice);
    assert_eq!(env.events::<RefundRequested>(), vec![requested(0)]);
    // Nothing left to request: no event.
    env.retrieve(alice);
    assert_eq!(env.events::<RefundRequested>().len(), 1);

    env.transfer(alice, env.provider, 30); // [70], 30 free
    env.retrieve(alice); // [70, 30]
    assert_eq!(env.refunds(alice), vec![(u(0), u(70)), (u(1), u(30))]);
    // A fee uses up the newest refund, freeing slot 1 ...
    env.settle(vec![env.record(alice, 1, 30)], &[]);
    assert_eq!(env.refunds(alice), vec![(u(0), u(70))]);
    // ... which the next request reuses, and announces as such.
    env.transfer(alice, env.provider, 20); // [50], 20 free
    env.retrieve(alice);
    assert_eq!(env.refunds(alice), vec![(u(0), u(50)), (u(1), u(20))]);
    assert_eq!(
        env.events::<RefundRequested>(),
        vec![requested(0), requested(1), requested(1)]
    );

    // An empty account requests nothing.
    let bob = env.customer("bob", 0);
    env.retrieve(bob);
    assert_eq!(env.events::<RefundRequested>().len(), 3);
    env.check_invariants();
}

#[motsu::test]
fn fees_take_the_free_balance_then_the_newest_refunds() {
    let env = Env::new();
    let alice = env.customer("alice", 10);
    env.retrieve(alice); // [10]
    env.transfer(alice, env.provider, 4); // [6], 4 free
    env.settle(vec![env.record(alice, 1, 5)], &[]);
    let account = env.account(alice);
    assert_eq!((account.balance, account.pendingRefund), (u(5), u(5)));
    assert_eq!(env.refunds(alice), vec![(u(0), u(5))]);
    env.check_invariants();
}

/// Defect 3: refunds [5, 5], pending 10, balance 10, fee 7 leave [3] with
/// pending 3, and a later retrieveFund pays those 3 without underflow.
#[motsu::test]
fn a_fee_that_uses_up_a_refund_removes_it() {
    let env = Env::new();
    let alice = env.customer("alice", 10);
    env.retrieve(alice); // [10]
    env.transfer(alice, env.provider, 5); // [5], 5 free
    env.retrieve(alice); // [5, 5]
    let account = env.account(alice);
    assert_eq!((account.balance, account.pendingRefund), (u(10), u(10)));

    env.settle(vec![env.record(alice, 1, 7)], &[]);
    let account = env.account(alice);
    assert_eq!((account.balance, account.pendingRefund), (u(3), u(3)));
    assert_eq!(env.refunds(alice), vec![(u(0), u(3))]);
    env.check_invariants();

    env.set_lock_time(0);
    env.retrieve(alice);
    let account = env.account(alice);
    assert_eq!(
        (account.balance, account.pendingRefund),
        (U256::ZERO, U256::ZERO)
    );
    assert_eq!(env.available(alice), u(3));
    assert_eq!(wallet(env.provider), u(1_000_000_000 + 7));
    env.check_invariants();
}

#[motsu::test]
fn matured_refunds_return_to_the_ledger_balance() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.retrieve(alice); // [100], locked
    assert_eq!(env.available(alice), U256::ZERO);
    // Still charged while locked (the provider may settle what it served).
    env.settle(vec![env.record(alice, 1, 30)], &[]);
    env.set_lock_time(0);
    env.retrieve(alice);
    assert_eq!(env.available(alice), u(70));
    let ledger = env.ledger.sender(alice).get_ledger(alice).motsu_unwrap();
    assert_eq!(ledger.totalBalance, u(70));
    assert_eq!(env.ledger.balance(), u(70));
    assert_eq!(env.inference.balance(), U256::ZERO);
    // Paid out by the ledger.
    env.ledger.sender(alice).refund(u(70)).motsu_unwrap();
    assert_eq!(wallet(alice), u(1_000_000_000 - 30));
    env.check_invariants();
}

/// "A nonce only grows; a signed record settles at most once": deleting an
/// account (deleteLedger) keeps its nonce, so once the user opens it again
/// and acknowledges the same TEE signer, old records stay refused.
#[motsu::test]
fn a_record_does_not_settle_again_after_the_account_is_reopened() {
    let env = Env::new();
    env.set_lock_time(0);
    let alice = env.customer("alice", 100);
    let record = env.record(alice, 5, 10);
    env.settle(vec![record.clone()], &[]);
    env.retrieve(alice);
    env.ledger.sender(alice).refund(u(90)).motsu_unwrap();
    env.ledger.sender(alice).delete_ledger().motsu_unwrap();

    // The user comes back to the same provider and its TEE.
    env.ledger
        .sender_and_value(alice, u(100))
        .add_ledger([U256::ZERO; 2], String::new())
        .motsu_unwrap();
    env.transfer(alice, env.provider, 100);
    env.inference
        .sender(alice)
        .acknowledge_tee_signer(env.provider, env.tee_address())
        .motsu_unwrap();
    env.refused(record, "Nonce already processed");
}
