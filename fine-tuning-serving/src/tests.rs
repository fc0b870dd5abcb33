//! Unit tests of FineTuningServing (motsu), run with the real LedgerManager:
//! every public function with its success path and each of its errors
//! (the views are called on the contract itself, as the views program runs
//! them on its storage), deliverables and their ring, settlement with
//! verifier inputs signed natively (k256, the same digest code as on chain),
//! the penalty, and the reference defects 4, 5, 6, 8, 9, 10 and 11. The
//! money invariants of the architecture page are checked after each
//! scenario ([`Env::check_invariants`]).
//!
//! motsu's block timestamp is fixed ([`NOW`]), so a refund is "locked" under
//! a long lock time ([`LOCKED`]) and "unlocked" under lock time 0. The
//! ledger is given a stand-in inference address: nothing here opens an
//! inference account.

use core::cell::RefCell;

use alloy_primitives::{Address, Bytes, LogData, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use k256::ecdsa::SigningKey;
use ledger_manager::LedgerManager;
use motsu::prelude::*;
use serving_contracts::{
    abi::{
        fine_tuning::{
            AccountDetails, AccountSummary, Deliverable, DeliverableExists, DeliverableNotExists,
            IDeliveries, IPagedViews, ISettings, Quota, Service, ServiceUpdated, VerifierInput,
        },
        AccountHasFunds, AccountNotExists, BalanceUpdated, IServing, InvalidInitialization,
        InvalidLimit, InvalidVerifierInput, LedgerHasFunds, NotInitialized, Refund,
        RefundRequested, ServiceNotExist, ServiceRemoved, SignerChangePending, Unauthorized,
        ViewsUpgraded,
    },
    account::MAX_REFUNDS,
    ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount, OwnershipTransferred},
};
use serving_verifier::{native, verifier_input_digest};

use crate::{
    penalty, AccountViews, FineTuningServing, ServiceViews, MAX_BATCH_USERS, MAX_DELIVERABLES,
};

/// motsu's fixed block timestamp.
const NOW: u64 = 1_735_689_600;
/// A lock time no refund outlives in these tests.
const LOCKED: u64 = 7 * 24 * 3600;
/// The penalty percentage the contract starts with.
const PENALTY: u64 = 30;
/// What every wallet starts with.
const FUNDS: u64 = 1_000_000_000;
const FINE_TUNING: &str = "fine-tuning";

const NOT_ACKNOWLEDGED: &str = "provider signing address is not acknowledged";
const NONCE_USED: &str = "nonce should larger than the current nonce";
const NO_DELIVERABLE: &str = "Deliverable does not exist";
const ROOT_MISMATCH: &str = "model root hash mismatch";
const BAD_SIGNATURE: &str = "TEE settlement validation failed";
const SECRET_MISSING: &str = "secret should not be empty";
const SECRET_PRESENT: &str = "secret should be empty";
const INSUFFICIENT: &str = "insufficient balance";

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

fn quota() -> Quota {
    Quota {
        cpuCount: u(16),
        nodeMemory: u(128),
        gpuCount: u(2),
        nodeStorage: u(1000),
        gpuType: "H100".into(),
    }
}

/// The model root hash of deliverable `id` (longer than a word).
fn root(id: &str) -> Vec<u8> {
    format!("root hash of the model of fine-tuning task {id}").into_bytes()
}

/// `input` signed by `key` (over its own fields).
fn signed(key: &SigningKey, mut input: VerifierInput) -> VerifierInput {
    let digest = verifier_input_digest(
        &input.encryptedSecret,
        &input.modelRootHash,
        input.nonce,
        input.providerSigner,
        input.taskFee,
        input.user,
    );
    input.signature = native::sign(key, digest).to_vec().into();
    input
}

fn reason(reason: &str) -> Vec<u8> {
    InvalidVerifierInput {
        reason: reason.into(),
    }
    .abi_encode()
}

/// The events of type `E` among `logs`, in emission order.
fn events<E: SolEvent>(logs: &[LogData]) -> Vec<E> {
    logs.iter()
        .filter(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|log| E::decode_log_data(log, true).unwrap())
        .collect()
}

use serving_contracts::testing::Wallet;

/// The fine-tuning contract and the ledger, initialized for each other,
/// with one provider's service registered and that provider's signer key.
struct Env {
    ledger: Contract<LedgerManager>,
    ft: Contract<FineTuningServing>,
    owner: Address,
    provider: Address,
    signer: SigningKey,
    /// The payable accounts, kept deployed.
    wallets: RefCell<Vec<Contract<Wallet>>>,
}

impl Env {
    fn new() -> Self {
        let ledger = Contract::<LedgerManager>::from_tag("ledger");
        let ft = Contract::<FineTuningServing>::from_tag("fine-tuning");
        let owner = Address::from_tag("owner");
        ledger
            .sender(owner)
            .initialize(Address::from_tag("inference"), ft.address(), owner)
            .motsu_unwrap();
        ft.sender(owner)
            .initialize(u(LOCKED), ledger.address(), owner, u(PENALTY))
            .motsu_unwrap();
        let env = Env {
            ledger,
            ft,
            owner,
            provider: Address::ZERO,
            signer: key(1),
            wallets: RefCell::new(Vec::new()),
        };
        let provider = env.provider_named("provider");
        Env { provider, ..env }
    }

    /// A payable account named `tag` with [`FUNDS`] wei.
    fn wallet(&self, tag: &str) -> Address {
        let wallet = Contract::<Wallet>::from_tag(tag);
        wallet.fund(u(FUNDS));
        let address = wallet.address();
        self.wallets.borrow_mut().push(wallet);
        address
    }

    fn signer_address(&self) -> Address {
        key_address(&self.signer)
    }

    /// Registers (or updates) `provider`'s service.
    fn register(&self, provider: Address, url: &str, occupied: bool, models: &[&str]) {
        self.ft
            .sender(provider)
            .add_or_update_service(
                url.into(),
                quota(),
                u(5),
                self.signer_address(),
                occupied,
                models.iter().map(|m| m.to_string()).collect(),
            )
            .motsu_unwrap();
    }

    /// A payable provider with a registered service.
    fn provider_named(&self, tag: &str) -> Address {
        let provider = self.wallet(tag);
        self.register(provider, "https://ft.example", false, &["llama-3-8b"]);
        provider
    }

    /// A user whose ledger holds `deposit`, without an account.
    fn user(&self, tag: &str, deposit: u64) -> Address {
        let user = self.wallet(tag);
        self.ledger
            .sender_and_value(user, u(deposit))
            .add_ledger([U256::ZERO; 2], format!("{tag}'s info"))
            .motsu_unwrap();
        user
    }

    /// A user with `balance` in an account with the provider, whose signer
    /// it acknowledged.
    fn customer(&self, tag: &str, balance: u64) -> Address {
        let user = self.user(tag, balance);
        self.transfer(user, self.provider, balance);
        self.ft
            .sender(user)
            .acknowledge_provider_signer(self.provider, self.signer_address())
            .motsu_unwrap();
        user
    }

    fn transfer(&self, user: Address, provider: Address, amount: u64) {
        self.ledger
            .sender(user)
            .transfer_fund(provider, FINE_TUNING.into(), u(amount))
            .motsu_unwrap();
    }

    fn retrieve(&self, user: Address) {
        self.ledger
            .sender(user)
            .retrieve_fund(vec![self.provider], FINE_TUNING.into())
            .motsu_unwrap();
    }

    fn set_lock_time(&self, lock_time: u64) {
        self.ft
            .sender(self.owner)
            .update_lock_time(u(lock_time))
            .motsu_unwrap();
    }

    fn set_penalty(&self, percentage: u64) {
        self.ft
            .sender(self.owner)
            .update_penalty_percentage(u(percentage))
            .motsu_unwrap();
    }

    fn account(&self, user: Address) -> AccountDetails {
        self.ft
            .sender(user)
            .get_account(user, self.provider)
            .motsu_unwrap()
    }

    fn available(&self, user: Address) -> U256 {
        self.ledger
            .sender(user)
            .get_ledger(user)
            .motsu_unwrap()
            .availableBalance
    }

    /// The provider posts deliverable `id` (with [`root`]) to `user`.
    fn deliver(&self, user: Address, id: &str) {
        self.ft
            .sender(self.provider)
            .add_deliverable(user, id.into(), root(id).into())
            .motsu_unwrap();
    }

    fn acknowledge(&self, user: Address, id: &str) {
        self.ft
            .sender(user)
            .acknowledge_deliverable(self.provider, id.into())
            .motsu_unwrap();
    }

    fn deliverables(&self, user: Address) -> Vec<Deliverable> {
        self.ft
            .sender(user)
            .get_deliverables(user, self.provider)
            .motsu_unwrap()
    }

    fn ids(&self, user: Address) -> Vec<String> {
        self.deliverables(user).into_iter().map(|d| d.id).collect()
    }

    /// A verifier input for deliverable `id` of `user`, signed by the
    /// provider's signer.
    fn input(&self, user: Address, id: &str, nonce: u64, fee: u64, secret: &[u8]) -> VerifierInput {
        signed(
            &self.signer,
            VerifierInput {
                id: id.into(),
                encryptedSecret: secret.to_vec().into(),
                modelRootHash: root(id).into(),
                nonce: u(nonce),
                providerSigner: self.signer_address(),
                signature: Bytes::new(),
                taskFee: u(fee),
                user,
            },
        )
    }

    fn settle(&self, input: VerifierInput) -> Result<(), Vec<u8>> {
        self.ft.sender(self.provider).settle_fees(input).motsu_res()
    }

    /// Settles `input`, which must charge `charged`: the provider is paid
    /// that through the ledger and the account's balance drops by it.
    fn settles(&self, input: VerifierInput, charged: u64) {
        let user = input.user;
        let before = self.account(user).balance;
        let paid_before = wallet(self.provider);
        let ledger_before = self.ledger.balance();
        self.settle(input.clone()).unwrap();
        let account = self.account(user);
        assert_eq!(before - account.balance, u(charged), "charged");
        assert_eq!(account.nonce, input.nonce);
        assert_eq!(
            wallet(self.provider) - paid_before,
            u(charged),
            "provider paid"
        );
        assert_eq!(
            ledger_before - self.ledger.balance(),
            u(charged),
            "paid by the ledger"
        );
        self.ft.assert_emitted(&BalanceUpdated {
            user,
            provider: self.provider,
            amount: account.balance,
            pendingRefund: account.pendingRefund,
        });
        self.check_invariants();
    }

    /// Settles `input` as `provider`, which must be refused with `error`,
    /// leaving the account as it was and paying nothing.
    fn refused_as(&self, provider: Address, input: VerifierInput, error: Vec<u8>) {
        let user = input.user;
        let before = self.ft.sender(user).get_account(user, provider).motsu_res();
        let paid_before = wallet(provider);
        let err = self
            .ft
            .sender(provider)
            .settle_fees(input)
            .motsu_unwrap_err();
        assert_eq!(err, error);
        assert_eq!(
            self.ft.sender(user).get_account(user, provider).motsu_res(),
            before
        );
        assert_eq!(wallet(provider), paid_before);
    }

    /// Settles `input`, which must be refused as `InvalidVerifierInput(why)`.
    fn refused(&self, input: VerifierInput, why: &str) {
        self.refused_as(self.provider, input, reason(why));
    }

    fn events<E: SolEvent>(&self) -> Vec<E> {
        events(&self.ft.all_events())
    }

    /// The invariants of the architecture page for this contract:
    /// - per ledger: total = available + its fine-tuning account balances;
    /// - the ledger holds the sum of all totals; this contract holds none;
    /// - per account: pending refund <= balance, the live refunds sum to the
    ///   pending refund, at most 30 of them; at most 20 deliverables, listed
    ///   as counted.
    fn check_invariants(&self) {
        let (ledgers, _) = self
            .ledger
            .sender(self.owner)
            .get_all_ledgers(U256::ZERO, U256::ZERO)
            .motsu_unwrap();
        let mut totals = U256::ZERO;
        for ledger in &ledgers {
            assert!(ledger.inferenceProviders.is_empty());
            let held: U256 = ledger
                .fineTuningProviders
                .iter()
                .map(|&p| {
                    self.ft
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
            self.ft.balance(),
            U256::ZERO,
            "the serving contract holds value"
        );
        let (accounts, total) = self
            .ft
            .sender(self.owner)
            .get_all_accounts(U256::ZERO, U256::ZERO)
            .motsu_unwrap();
        assert_eq!(U256::from(accounts.len()), total);
        // The ledger's escrow of this contract is what its sub-accounts
        // hold, and the ledger holds the available balances and the escrow.
        let escrow = self.ledger.sender(self.owner).escrow_of(self.ft.address());
        let held: U256 = accounts.iter().map(|a| a.balance).sum();
        assert_eq!(escrow, held, "escrow = sub-accounts");
        let available: U256 = ledgers.iter().map(|l| l.availableBalance).sum();
        assert_eq!(
            self.ledger.balance(),
            available + escrow,
            "ledger = available + escrow"
        );
        for summary in accounts {
            let account = self
                .ft
                .sender(self.owner)
                .get_account(summary.user, summary.provider)
                .motsu_unwrap();
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
            assert!(account.deliverables.len() <= MAX_DELIVERABLES);
            assert_eq!(
                account.deliverablesCount,
                U256::from(account.deliverables.len())
            );
            assert!(account.deliverablesHead < U256::from(MAX_DELIVERABLES));
            assert_eq!(summary.deliverablesCount, account.deliverablesCount);
            assert_eq!(summary.balance, account.balance);
        }
    }
}

// ------------------------------------------------------- initialize, owner

/// `setViews` by `caller` reverts `Unauthorized`: the contract is not
/// behind a beacon proxy, so nobody is its upgrade authority.
fn refuse_set_views(ft: &Contract<FineTuningServing>, caller: Address) {
    let err = ft.sender(caller).set_views(caller).motsu_unwrap_err();
    assert_eq!(err, Unauthorized { caller }.abi_encode());
}

/// What the proxy sends straight to the views program ([`crate::PROXY_ROUTES`],
/// calls its fallback routes) is not the main program's: its router does
/// not serve it, nor does its fallback route it by hand.
#[motsu::test]
fn the_proxy_routes_views_program_transactions_only() {
    use stylus_sdk::abi::Router;
    let main = Contract::<FineTuningServing>::from_tag("main");
    let caller = Address::from_tag("caller");
    let by_hand = [
        IDeliveries::addDeliverableCall::SELECTOR,
        IDeliveries::acknowledgeDeliverable_0Call::SELECTOR,
        IDeliveries::acknowledgeDeliverable_1Call::SELECTOR,
        IDeliveries::settleFeesCall::SELECTOR,
        IServing::retrieveFundsCall::SELECTOR,
        IServing::deleteAccountsCall::SELECTOR,
        IServing::userBalanceCall::SELECTOR,
    ];
    for route in crate::PROXY_ROUTES {
        let selector = u32::from_be_bytes(route);
        let in_main =
            <FineTuningServing as Router<_>>::route(&mut *main.sender(caller), selector, &[]);
        assert!(in_main.is_none(), "{route:02x?} is the main program's");
        assert!(
            !by_hand.contains(&route),
            "{route:02x?} is the main program's"
        );
    }
}

#[motsu::test]
fn initialize_configures_the_contract_once() {
    let ft = Contract::<FineTuningServing>::from_tag("fine-tuning");
    let ledger = Address::from_tag("ledger");
    let owner = Address::from_tag("owner");
    let stranger = Address::from_tag("stranger");

    assert!(!ft.sender(owner).initialized());
    let not_initialized = NotInitialized {}.abi_encode();
    let err = ft
        .sender(stranger)
        .add_or_update_service("u".into(), quota(), u(1), stranger, false, vec![])
        .motsu_unwrap_err();
    assert_eq!(err, not_initialized);
    assert_eq!(
        ft.sender(stranger).remove_service().motsu_unwrap_err(),
        not_initialized
    );
    let err = ft
        .sender(stranger)
        .add_deliverable(stranger, "id".into(), vec![1].into())
        .motsu_unwrap_err();
    assert_eq!(err, not_initialized);
    let input = VerifierInput {
        id: "id".into(),
        encryptedSecret: Bytes::new(),
        modelRootHash: Bytes::new(),
        nonce: u(1),
        providerSigner: stranger,
        signature: Bytes::new(),
        taskFee: u(1),
        user: stranger,
    };
    assert_eq!(
        ft.sender(stranger).settle_fees(input).motsu_unwrap_err(),
        not_initialized
    );
    // The fallback has no views program to run yet.
    assert_eq!(
        ft.sender(stranger)
            .fallback(&[1, 2, 3, 4])
            .motsu_unwrap_err(),
        not_initialized
    );

    for (ledger, owner) in [(Address::ZERO, owner), (ledger, Address::ZERO)] {
        let err = ft
            .sender(owner)
            .initialize(u(1), ledger, owner, u(PENALTY))
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
    }
    let too_long = U256::from(u64::MAX) + u(1);
    let err = ft
        .sender(owner)
        .initialize(too_long, ledger, owner, u(PENALTY))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: too_long,
            max: U256::from(u64::MAX)
        }
        .abi_encode()
    );
    let err = ft
        .sender(owner)
        .initialize(u(LOCKED), ledger, owner, u(101))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(101),
            max: u(100)
        }
        .abi_encode()
    );
    assert!(!ft.sender(owner).initialized());

    // Only the upgrade authority (the owner of the beacon of the proxy the
    // contract runs behind) sets the views program: nobody here, neither
    // before initialize nor after, the owner included.
    refuse_set_views(&ft, stranger);
    ft.sender(owner)
        .initialize(u(LOCKED), ledger, owner, u(PENALTY))
        .motsu_unwrap();
    assert!(ft.sender(stranger).initialized());
    assert_eq!(ft.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(ft.sender(stranger).ledger_address(), ledger);
    assert_eq!(ft.sender(stranger).owner(), owner);
    assert_eq!(ft.sender(stranger).penalty_percentage(), u(PENALTY));
    ft.assert_emitted(&OwnershipTransferred {
        previousOwner: Address::ZERO,
        newOwner: owner,
    });
    for caller in [stranger, owner] {
        refuse_set_views(&ft, caller);
    }

    for caller in [stranger, owner] {
        let err = ft
            .sender(caller)
            .initialize(u(0), stranger, stranger, u(0))
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
    }
    assert_eq!(ft.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(ft.sender(stranger).ledger_address(), ledger);
    assert_eq!(ft.sender(stranger).owner(), owner);
    assert_eq!(ft.sender(stranger).penalty_percentage(), u(PENALTY));
}

#[motsu::test]
fn a_constructed_contract_is_configured_and_refuses_initialize() {
    let ft = Contract::<FineTuningServing>::from_tag("fine-tuning");
    let ledger = Address::from_tag("ledger");
    let owner = Address::from_tag("owner");
    let stranger = Address::from_tag("stranger");
    let views = Address::from_tag("views");

    let err = ft
        .sender(stranger)
        .constructor(u(LOCKED), ledger, owner, u(101), views)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(101),
            max: u(100)
        }
        .abi_encode()
    );
    let err = ft
        .sender(stranger)
        .constructor(u(LOCKED), Address::ZERO, owner, u(PENALTY), views)
        .motsu_unwrap_err();
    assert_eq!(err, InvalidInitialization {}.abi_encode());
    assert!(!ft.sender(stranger).initialized());

    ft.sender(stranger)
        .constructor(u(LOCKED), ledger, owner, u(PENALTY), views)
        .motsu_unwrap();
    assert!(ft.sender(stranger).initialized());
    assert_eq!(ft.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(ft.sender(stranger).ledger_address(), ledger);
    assert_eq!(ft.sender(stranger).owner(), owner);
    assert_eq!(ft.sender(stranger).penalty_percentage(), u(PENALTY));
    for caller in [stranger, owner] {
        let err = ft
            .sender(caller)
            .initialize(u(0), stranger, stranger, u(0))
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
        let err = ft
            .sender(caller)
            .constructor(u(0), stranger, stranger, u(0), stranger)
            .motsu_unwrap_err();
        assert_ne!(err, Vec::<u8>::new());
    }
    // The views program came with the construction, for good.
    ft.assert_emitted(&ViewsUpgraded { views });
    for caller in [stranger, owner] {
        refuse_set_views(&ft, caller);
    }
    assert_eq!(ft.sender(stranger).penalty_percentage(), u(PENALTY));
}

/// The settings, `updateLockTime` and `removeService` through the views
/// program's fallback, as the chain calls them.
#[motsu::test]
fn the_views_fallback_routes_the_settings() {
    let env = Env::new();
    let stranger = Address::from_tag("stranger");
    let route = |caller: Address, call: &[u8]| env.ft.sender(caller).route_views(call);
    let view = |call: &[u8]| route(stranger, call).motsu_unwrap();
    assert_eq!(
        view(&ISettings::initializedCall {}.abi_encode()),
        true.abi_encode()
    );
    assert_eq!(
        view(&ISettings::lockTimeCall {}.abi_encode()),
        u(LOCKED).abi_encode()
    );
    assert_eq!(
        view(&ISettings::ledgerAddressCall {}.abi_encode()),
        env.ledger.address().abi_encode()
    );
    assert_eq!(
        view(&ISettings::ownerCall {}.abi_encode()),
        env.owner.abi_encode()
    );
    assert_eq!(
        view(&ISettings::penaltyPercentageCall {}.abi_encode()),
        u(PENALTY).abi_encode()
    );

    let update = ISettings::updateLockTimeCall { lockTime: u(60) }.abi_encode();
    assert_eq!(
        route(stranger, &update).motsu_unwrap_err(),
        OwnableUnauthorizedAccount { account: stranger }.abi_encode()
    );
    let too_long = U256::from(u64::MAX) + u(1);
    let refused = ISettings::updateLockTimeCall { lockTime: too_long }.abi_encode();
    assert_eq!(
        route(env.owner, &refused).motsu_unwrap_err(),
        InvalidLimit {
            limit: too_long,
            max: U256::from(u64::MAX)
        }
        .abi_encode()
    );
    assert_eq!(env.ft.sender(stranger).lock_time(), u(LOCKED));
    assert_eq!(route(env.owner, &update).motsu_unwrap(), Vec::<u8>::new());
    assert_eq!(env.ft.sender(stranger).lock_time(), u(60));
    // A truncated argument reverts without data and changes nothing.
    assert_eq!(
        route(env.owner, &update[..update.len() - 1]).motsu_unwrap_err(),
        Vec::<u8>::new()
    );
    assert_eq!(env.ft.sender(stranger).lock_time(), u(60));

    let remove = ISettings::removeServiceCall {}.abi_encode();
    assert_eq!(
        route(stranger, &remove).motsu_unwrap_err(),
        ServiceNotExist { provider: stranger }.abi_encode()
    );
    assert_eq!(
        route(env.provider, &remove).motsu_unwrap(),
        Vec::<u8>::new()
    );
    env.ft.assert_emitted(&ServiceRemoved {
        service: env.provider,
    });
    assert!(env.ft.sender(stranger).get_all_services().is_empty());
}

#[motsu::test]
fn lock_time_and_penalty_are_set_by_the_owner_only() {
    let env = Env::new();
    let stranger = Address::from_tag("stranger");
    let unauthorized = OwnableUnauthorizedAccount { account: stranger }.abi_encode();

    let err = env
        .ft
        .sender(stranger)
        .update_lock_time(u(1))
        .motsu_unwrap_err();
    assert_eq!(err, unauthorized);
    let too_long = U256::from(u64::MAX) + u(1);
    let err = env
        .ft
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
    assert_eq!(env.ft.sender(stranger).lock_time(), u(LOCKED));
    env.set_lock_time(60);
    assert_eq!(env.ft.sender(stranger).lock_time(), u(60));

    let err = env
        .ft
        .sender(stranger)
        .update_penalty_percentage(u(10))
        .motsu_unwrap_err();
    assert_eq!(err, unauthorized);
    for above in [u(101), U256::MAX] {
        let err = env
            .ft
            .sender(env.owner)
            .update_penalty_percentage(above)
            .motsu_unwrap_err();
        assert_eq!(
            err,
            InvalidLimit {
                limit: above,
                max: u(100)
            }
            .abi_encode()
        );
    }
    assert_eq!(env.ft.sender(stranger).penalty_percentage(), u(PENALTY));
    for percentage in [100, 0, 55] {
        env.set_penalty(percentage);
        assert_eq!(env.ft.sender(stranger).penalty_percentage(), u(percentage));
    }
}

#[motsu::test]
fn ownership_moves_and_can_be_renounced() {
    let env = Env::new();
    let stranger = Address::from_tag("stranger");
    let heir = Address::from_tag("heir");
    let err = env
        .ft
        .sender(stranger)
        .transfer_ownership(stranger)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: stranger }.abi_encode()
    );
    let err = env
        .ft
        .sender(env.owner)
        .transfer_ownership(Address::ZERO)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableInvalidOwner {
            owner: Address::ZERO
        }
        .abi_encode()
    );
    env.ft
        .sender(env.owner)
        .transfer_ownership(heir)
        .motsu_unwrap();
    env.ft.assert_emitted(&OwnershipTransferred {
        previousOwner: env.owner,
        newOwner: heir,
    });
    assert_eq!(env.ft.sender(stranger).owner(), heir);
    // The old owner lost its rights, the new one has them.
    let err = env
        .ft
        .sender(env.owner)
        .update_penalty_percentage(u(1))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: env.owner }.abi_encode()
    );
    env.ft
        .sender(heir)
        .update_penalty_percentage(u(1))
        .motsu_unwrap();

    let err = env
        .ft
        .sender(stranger)
        .renounce_ownership()
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: stranger }.abi_encode()
    );
    env.ft.sender(heir).renounce_ownership().motsu_unwrap();
    assert_eq!(env.ft.sender(stranger).owner(), Address::ZERO);
    let err = env
        .ft
        .sender(heir)
        .update_lock_time(u(1))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        OwnableUnauthorizedAccount { account: heir }.abi_encode()
    );
}

// ----------------------------------------------------------------- services

#[motsu::test]
fn services_are_added_updated_listed_and_removed() {
    let env = Env::new();
    let p1 = env.provider;
    let expected = |provider: Address, url: &str, occupied: bool, models: &[&str]| Service {
        provider,
        url: url.into(),
        quota: quota(),
        pricePerToken: u(5),
        providerSigner: env.signer_address(),
        occupied,
        models: models.iter().map(|m| m.to_string()).collect(),
    };
    assert_eq!(
        env.ft.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, "https://ft.example", false, &["llama-3-8b"])
    );

    // An update replaces every field, with longer or shorter values alike.
    let url = format!("https://{}.example", "a".repeat(80));
    let models = [
        "m1",
        "a much longer model name that needs two words of storage",
        "m3",
    ];
    let big = Quota {
        cpuCount: U256::MAX,
        nodeMemory: u(1),
        gpuCount: U256::ZERO,
        nodeStorage: u(7),
        gpuType: "A100 80GB SXM, a long GPU type description".into(),
    };
    let other_signer = Address::from_tag("other signer");
    env.ft
        .sender(p1)
        .add_or_update_service(
            url.clone(),
            big.clone(),
            U256::MAX,
            other_signer,
            true,
            models.iter().map(|m| m.to_string()).collect(),
        )
        .motsu_unwrap();
    env.ft.assert_emitted(&ServiceUpdated {
        user: p1,
        url: url.clone(),
        quota: big.clone(),
        pricePerToken: U256::MAX,
        providerSigner: other_signer,
        occupied: true,
    });
    assert_eq!(
        env.ft.sender(p1).get_service(p1).motsu_unwrap(),
        Service {
            provider: p1,
            url: url.clone(),
            quota: big,
            pricePerToken: U256::MAX,
            providerSigner: other_signer,
            occupied: true,
            models: models.iter().map(|m| m.to_string()).collect(),
        }
    );
    env.register(p1, "u", false, &["only"]);
    assert_eq!(
        env.ft.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, "u", false, &["only"])
    );
    env.register(p1, "u", false, &[]);
    assert_eq!(
        env.ft.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, "u", false, &[])
    );

    let p2 = Address::from_tag("p2");
    env.register(p2, "https://p2", true, &["a", "b"]);
    let all = env.ft.sender(p1).get_all_services();
    assert_eq!(
        all,
        vec![
            expected(p1, "u", false, &[]),
            expected(p2, "https://p2", true, &["a", "b"])
        ]
    );
    // getServices pages the same list, through the views program's
    // fallback, encoded as Solidity encodes it.
    let page = |offset: u64, limit: u64| {
        let call = IPagedViews::getServicesCall {
            offset: u(offset),
            limit: u(limit),
        };
        let encoded = env.ft.sender(p1).route_views(&call.abi_encode());
        let encoded = encoded.motsu_unwrap();
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
    // So are getService and getAllServices.
    let call = IPagedViews::getServiceCall { provider: p2 };
    assert_eq!(
        env.ft
            .sender(p1)
            .route_views(&call.abi_encode())
            .motsu_unwrap(),
        IPagedViews::getServiceCall::abi_encode_returns(&(all[1].clone(),))
    );
    let call = IPagedViews::getServiceCall {
        provider: Address::from_tag("nobody"),
    };
    assert_eq!(
        env.ft
            .sender(p1)
            .route_views(&call.abi_encode())
            .motsu_unwrap_err(),
        ServiceNotExist {
            provider: call.provider
        }
        .abi_encode()
    );
    let call = IPagedViews::getAllServicesCall {};
    assert_eq!(
        env.ft
            .sender(p1)
            .route_views(&call.abi_encode())
            .motsu_unwrap(),
        IPagedViews::getAllServicesCall::abi_encode_returns(&(all.clone(),))
    );
    assert_eq!(
        env.ft
            .sender(p1)
            .get_services(U256::ZERO, u(51))
            .motsu_unwrap_err(),
        InvalidLimit {
            limit: u(51),
            max: u(50)
        }
        .abi_encode()
    );

    env.ft.sender(p1).remove_service().motsu_unwrap();
    env.ft.assert_emitted(&ServiceRemoved { service: p1 });
    let err = env.ft.sender(p2).get_service(p1).motsu_unwrap_err();
    assert_eq!(err, ServiceNotExist { provider: p1 }.abi_encode());
    let err = env.ft.sender(p1).remove_service().motsu_unwrap_err();
    assert_eq!(err, ServiceNotExist { provider: p1 }.abi_encode());
    assert_eq!(
        env.ft.sender(p1).get_all_services(),
        vec![expected(p2, "https://p2", true, &["a", "b"])]
    );

    // Registered again, it is a fresh service.
    env.register(p1, "https://back", false, &["x"]);
    assert_eq!(
        env.ft.sender(p1).get_service(p1).motsu_unwrap(),
        expected(p1, "https://back", false, &["x"])
    );
    assert_eq!(env.ft.sender(p1).get_all_services().len(), 2);
}

/// Defect 10: the reference stored a new service as not occupied while its
/// event said occupied; ours stores what it emits.
#[motsu::test]
fn a_new_service_is_stored_occupied_as_given() {
    let env = Env::new();
    let fresh = Address::from_tag("fresh provider");
    env.register(fresh, "https://busy", true, &["m"]);
    let emitted = env.events::<ServiceUpdated>().pop().unwrap();
    assert_eq!(emitted.user, fresh);
    assert!(emitted.occupied);
    assert!(
        env.ft
            .sender(fresh)
            .get_service(fresh)
            .motsu_unwrap()
            .occupied
    );
    env.register(fresh, "https://busy", false, &["m"]);
    assert!(
        !env.ft
            .sender(fresh)
            .get_service(fresh)
            .motsu_unwrap()
            .occupied
    );
}

/// A removed service keeps its accounts: the provider can still settle what
/// it delivered and users top up or retrieve, but no new account opens.
#[motsu::test]
fn a_removed_service_keeps_its_accounts() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.deliver(alice, "t1");
    env.ft.sender(env.provider).remove_service().motsu_unwrap();
    env.settles(env.input(alice, "t1", 1, 50, b""), 15);
    env.ledger
        .sender_and_value(alice, u(10))
        .deposit_fund()
        .motsu_unwrap();
    env.transfer(alice, env.provider, 10);
    assert_eq!(env.account(alice).balance, u(95));
    let bob = env.user("bob", 10);
    let err = env
        .ledger
        .sender(bob)
        .transfer_fund(env.provider, FINE_TUNING.into(), u(10))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        ServiceNotExist {
            provider: env.provider
        }
        .abi_encode()
    );
    env.retrieve(alice);
    assert_eq!(env.account(alice).pendingRefund, u(95));
    env.check_invariants();
}

// ------------------------------------------------ acknowledgements, accounts

/// A user served under one provider signer who acknowledges another (or
/// none) still pays: inputs signed by the replaced signer settle for the
/// lock time after the change, and while that grace runs the signer can
/// only change back to it.
#[motsu::test]
fn switching_the_provider_signer_does_not_dodge_fees() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let p = env.provider;
    let other = Address::from_tag("other signer");
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(p, other)
        .motsu_unwrap();
    env.deliver(alice, "t");
    env.settles(env.input(alice, "t", 1, 10, b""), 3);

    // A third signer would end the grace of the first: refused.
    let third = Address::from_tag("third signer");
    let err = env
        .ft
        .sender(alice)
        .acknowledge_provider_signer(p, third)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        SignerChangePending {
            user: alice,
            provider: p,
            until: u(NOW + LOCKED),
        }
        .abi_encode()
    );
    assert_eq!(env.account(alice).providerSigner, other);
    // Back to the first signer is allowed; then `other` is in grace.
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(p, env.signer_address())
        .motsu_unwrap();
    assert_eq!(env.account(alice).providerSigner, env.signer_address());

    // Once the lock time has passed, only the acknowledged signer settles.
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(p, other)
        .motsu_unwrap();
    env.set_lock_time(0);
    env.deliver(alice, "u");
    env.refused(env.input(alice, "u", 2, 10, b""), NOT_ACKNOWLEDGED);
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(p, third)
        .motsu_unwrap();
    env.check_invariants();
}

#[motsu::test]
fn acknowledge_provider_signer_needs_an_account() {
    let env = Env::new();
    let alice = env.user("alice", 100);
    let p = env.provider;
    let err = env
        .ft
        .sender(alice)
        .acknowledge_provider_signer(p, env.signer_address())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: alice,
            provider: p
        }
        .abi_encode()
    );

    env.transfer(alice, p, 100);
    assert_eq!(env.account(alice).providerSigner, Address::ZERO);
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(p, env.signer_address())
        .motsu_unwrap();
    assert_eq!(env.account(alice).providerSigner, env.signer_address());
    // Acknowledging zero revokes the signer: once the revoked signer's
    // grace (the lock time) is over, nothing settles.
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(p, Address::ZERO)
        .motsu_unwrap();
    assert_eq!(env.account(alice).providerSigner, Address::ZERO);
    env.deliver(alice, "t");
    env.set_lock_time(0);
    env.refused(env.input(alice, "t", 1, 10, b""), NOT_ACKNOWLEDGED);
    // A user acknowledges for its own account only.
    let bob = env.user("bob", 0);
    let err = env
        .ft
        .sender(bob)
        .acknowledge_provider_signer(p, bob)
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
fn get_account_shows_refunds_deliverables_and_ledger_info() {
    let env = Env::new();
    let alice = env.user("alice", 100);
    let err = env
        .ft
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
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(env.provider, env.signer_address())
        .motsu_unwrap();
    let mut expected = AccountDetails {
        user: alice,
        provider: env.provider,
        nonce: U256::ZERO,
        balance: u(100),
        pendingRefund: U256::ZERO,
        refunds: vec![],
        additionalInfo: "alice's info".into(),
        providerSigner: env.signer_address(),
        deliverables: vec![],
        validRefundsLength: U256::ZERO,
        deliverablesHead: U256::ZERO,
        deliverablesCount: U256::ZERO,
    };
    assert_eq!(env.account(alice), expected);

    env.retrieve(alice); // [100]
    env.transfer(alice, env.provider, 30); // [70], 30 free
    env.retrieve(alice); // [70, 30]
    env.deliver(alice, "t1");
    env.deliver(alice, "t2");
    env.acknowledge(alice, "t2");
    env.settles(env.input(alice, "t2", 4, 10, b"secret"), 10); // the newest refund pays
    let refund = |index: u64, amount: u64| Refund {
        index: u(index),
        amount: u(amount),
        createdAt: u(NOW),
        processed: false,
    };
    let deliverable = |id: &str, secret: &[u8], acknowledged: bool| Deliverable {
        id: id.into(),
        modelRootHash: root(id).into(),
        encryptedSecret: secret.to_vec().into(),
        acknowledged,
        timestamp: u(NOW),
    };
    expected.nonce = u(4);
    expected.balance = u(90);
    expected.pendingRefund = u(90);
    expected.refunds = vec![refund(0, 70), refund(1, 20)];
    expected.validRefundsLength = u(2);
    expected.deliverables = vec![
        deliverable("t1", b"", false),
        deliverable("t2", b"secret", true),
    ];
    expected.deliverablesCount = u(2);
    assert_eq!(env.account(alice), expected);
    assert_eq!(
        env.ft.sender(alice).get_pending_refund(alice, env.provider),
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
        let call = env.ft.sender(alice);
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
    assert!(!env.ft.sender(alice).account_exists(env.provider, alice));
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
    env.ft
        .sender(p2)
        .add_deliverable(users[0], "d".into(), vec![1].into())
        .motsu_unwrap();
    let pairs = |accounts: Vec<AccountSummary>| -> Vec<(Address, Address)> {
        accounts.into_iter().map(|a| (a.user, a.provider)).collect()
    };
    let view = env.ft.sender(users[0]);
    let invalid = InvalidLimit {
        limit: u(51),
        max: u(50),
    }
    .abi_encode();

    // Every account, grouped by provider.
    let (all, total) = view.get_all_accounts(U256::ZERO, U256::ZERO).motsu_unwrap();
    assert_eq!(total, u(4));
    assert_eq!(
        all[3],
        AccountSummary {
            user: users[0],
            provider: p2,
            nonce: U256::ZERO,
            balance: u(10),
            pendingRefund: U256::ZERO,
            additionalInfo: "a's info".into(),
            providerSigner: Address::ZERO,
            validRefundsLength: U256::ZERO,
            deliverablesCount: u(1),
        }
    );
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
    let view = env.ft.sender(users[0]);
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
    let view = env.ft.sender(users[0]);
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
    env.deliver(bob, "t");
    let stranger = Address::from_tag("stranger");
    let summary = |user: Address| {
        let account = env.account(user);
        AccountSummary {
            user,
            provider: env.provider,
            nonce: account.nonce,
            balance: account.balance,
            pendingRefund: account.pendingRefund,
            additionalInfo: account.additionalInfo,
            providerSigner: account.providerSigner,
            validRefundsLength: account.validRefundsLength,
            deliverablesCount: account.deliverablesCount,
        }
    };
    let accounts = env
        .ft
        .sender(env.provider)
        .get_batch_accounts_by_users(vec![alice, stranger, bob])
        .motsu_unwrap();
    assert_eq!(
        accounts,
        vec![summary(alice), AccountSummary::default(), summary(bob)]
    );
    assert_eq!(accounts[2].deliverablesCount, u(1));
    // The caller is the provider: another caller sees no accounts.
    let accounts = env
        .ft
        .sender(stranger)
        .get_batch_accounts_by_users(vec![alice])
        .motsu_unwrap();
    assert_eq!(accounts, vec![AccountSummary::default()]);

    let accounts = env
        .ft
        .sender(env.provider)
        .get_batch_accounts_by_users(vec![stranger; MAX_BATCH_USERS])
        .motsu_unwrap();
    assert_eq!(accounts.len(), MAX_BATCH_USERS);
    let err = env
        .ft
        .sender(env.provider)
        .get_batch_accounts_by_users(vec![stranger; MAX_BATCH_USERS + 1])
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

/// The views program's fallback decodes the routed calls by hand and
/// encodes their returns as Solidity does: what alloy encodes and decodes
/// round-trips through it.
#[motsu::test]
fn the_views_fallback_routes_the_paged_and_batch_views() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let bob = env.customer("bob", 50);
    env.deliver(alice, "t");
    let mut view = env.ft.sender(env.provider);

    // The views of one account: what the functions return, encoded as
    // Solidity encodes it.
    let details = view.get_account(alice, env.provider).motsu_unwrap();
    let call = [
        &stylus_sdk::function_selector!("getAccount", Address, Address)[..],
        &(alice, env.provider).abi_encode_params(),
    ]
    .concat();
    let output = view.route_views(&call).motsu_unwrap();
    assert_eq!(output, (details.clone(),).abi_encode_params());
    let call = IPagedViews::getDeliverablesCall {
        user: alice,
        provider: env.provider,
    };
    let output = view.route_views(&call.abi_encode()).motsu_unwrap();
    assert_eq!(
        output,
        IPagedViews::getDeliverablesCall::abi_encode_returns(&(details.deliverables.clone(),))
    );
    let call = IPagedViews::getDeliverableCall {
        user: alice,
        provider: env.provider,
        id: "t".into(),
    };
    let output = view.route_views(&call.abi_encode()).motsu_unwrap();
    assert_eq!(
        output,
        IPagedViews::getDeliverableCall::abi_encode_returns(&(details.deliverables[0].clone(),))
    );
    let call = IPagedViews::getDeliverableCall {
        id: "none".into(),
        ..call
    };
    assert_eq!(
        view.route_views(&call.abi_encode()).motsu_unwrap_err(),
        DeliverableNotExists { id: "none".into() }.abi_encode()
    );
    for (user, exists) in [(alice, true), (env.owner, false)] {
        let call = IPagedViews::accountExistsCall {
            user,
            provider: env.provider,
        };
        let output = view.route_views(&call.abi_encode()).motsu_unwrap();
        assert_eq!(output, exists.abi_encode());
        let call = IPagedViews::getPendingRefundCall {
            user,
            provider: env.provider,
        };
        let output = view.route_views(&call.abi_encode()).motsu_unwrap();
        assert_eq!(
            output,
            view.get_pending_refund(user, env.provider).abi_encode()
        );
    }
    let call = IPagedViews::getDeliverablesCall {
        user: env.owner,
        provider: env.provider,
    };
    assert_eq!(
        view.route_views(&call.abi_encode()).motsu_unwrap_err(),
        AccountNotExists {
            user: env.owner,
            provider: env.provider
        }
        .abi_encode()
    );

    let call = IPagedViews::getAllAccountsCall {
        offset: u(1),
        limit: u(1),
    };
    let output = view.route_views(&call.abi_encode()).motsu_unwrap();
    let page = IPagedViews::getAllAccountsCall::abi_decode_returns(&output, true).unwrap();
    let expected = view.get_all_accounts(u(1), u(1)).motsu_unwrap();
    assert_eq!((page.accounts, page.total), expected);
    assert_eq!(
        output,
        IPagedViews::getAllAccountsCall::abi_encode_returns(&expected)
    );

    let call = IPagedViews::getAccountsByProviderCall {
        provider: env.provider,
        offset: U256::ZERO,
        limit: U256::ZERO,
    };
    let output = view.route_views(&call.abi_encode()).motsu_unwrap();
    let page = IPagedViews::getAccountsByProviderCall::abi_decode_returns(&output, true).unwrap();
    assert_eq!(page.total, u(2));
    assert_eq!(
        (page.accounts, page.total),
        view.get_accounts_by_provider(env.provider, U256::ZERO, U256::ZERO)
            .motsu_unwrap()
    );

    let call = IPagedViews::getAccountsByUserCall {
        user: alice,
        offset: U256::ZERO,
        limit: u(50),
    };
    let output = view.route_views(&call.abi_encode()).motsu_unwrap();
    let page = IPagedViews::getAccountsByUserCall::abi_decode_returns(&output, true).unwrap();
    assert_eq!(page.accounts.len(), 1);
    assert_eq!(page.accounts[0].deliverablesCount, u(1));

    let users = vec![bob, Address::from_tag("stranger"), alice];
    let call = IPagedViews::getBatchAccountsByUsersCall {
        users: users.clone(),
    };
    let output = view.route_views(&call.abi_encode()).motsu_unwrap();
    let batch =
        IPagedViews::getBatchAccountsByUsersCall::abi_decode_returns(&output, true).unwrap();
    let expected = view.get_batch_accounts_by_users(users).motsu_unwrap();
    assert_eq!(batch.accounts, expected);
    assert_eq!(
        output,
        IPagedViews::getBatchAccountsByUsersCall::abi_encode_returns(&(expected,))
    );

    // The views' errors come through; malformed calls and other selectors
    // revert without data.
    let call = IPagedViews::getAllAccountsCall {
        offset: U256::ZERO,
        limit: u(51),
    };
    let err = view.route_views(&call.abi_encode()).motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(51),
            max: u(50)
        }
        .abi_encode()
    );
    let call = IPagedViews::getBatchAccountsByUsersCall {
        users: vec![alice; 101],
    };
    let err = view.route_views(&call.abi_encode()).motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(101),
            max: u(100)
        }
        .abi_encode()
    );
    let encoded = IPagedViews::getAccountsByUserCall {
        user: alice,
        offset: u(0),
        limit: u(1),
    }
    .abi_encode();
    assert_eq!(
        view.route_views(&encoded[..encoded.len() - 1])
            .motsu_unwrap_err(),
        Vec::<u8>::new()
    );
    assert_eq!(
        view.route_views(&[0xde, 0xad, 0xbe, 0xef])
            .motsu_unwrap_err(),
        Vec::<u8>::new()
    );
    assert_eq!(view.route_views(&[]).motsu_unwrap_err(), Vec::<u8>::new());
}

#[motsu::test]
fn internal_functions_serve_only_the_ledger() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    for caller in [alice, env.provider, env.owner] {
        let unauthorized = Unauthorized { caller }.abi_encode();
        let serving = || env.ft.sender(caller);
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
        .ft
        .sender(alice)
        .user_balance(alice, vec![env.provider, other, alice]);
    assert_eq!(sum, u(130));
    env.check_invariants();
}

/// Defect 11: an account opens only with a provider that has a fine-tuning
/// service, so a user cannot make the ledger's loops grow with made-up
/// providers.
#[motsu::test]
fn accounts_open_only_with_registered_providers() {
    let env = Env::new();
    let alice = env.user("alice", 100);
    let nobody = Address::from_tag("nobody");
    let err = env
        .ledger
        .sender(alice)
        .transfer_fund(nobody, FINE_TUNING.into(), u(10))
        .motsu_unwrap_err();
    assert_eq!(err, ServiceNotExist { provider: nobody }.abi_encode());
    assert!(!env.ft.sender(alice).account_exists(alice, nobody));
    assert_eq!(env.available(alice), u(100));
    env.transfer(alice, env.provider, 10);
    assert!(env.ft.sender(alice).account_exists(alice, env.provider));
    env.check_invariants();
}

// ------------------------------------------------------------- deliverables

#[motsu::test]
fn deliverables_are_added_for_an_existing_account() {
    let env = Env::new();
    let alice = env.user("alice", 100);
    let p = env.provider;
    let err = env
        .ft
        .sender(p)
        .add_deliverable(alice, "t1".into(), root("t1").into())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: alice,
            provider: p
        }
        .abi_encode()
    );
    env.transfer(alice, p, 100);
    // Another provider has no account with alice.
    let other = env.provider_named("other");
    let err = env
        .ft
        .sender(other)
        .add_deliverable(alice, "t1".into(), root("t1").into())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: alice,
            provider: other
        }
        .abi_encode()
    );

    env.deliver(alice, "t1");
    let expected = Deliverable {
        id: "t1".into(),
        modelRootHash: root("t1").into(),
        encryptedSecret: Bytes::new(),
        acknowledged: false,
        timestamp: u(NOW),
    };
    assert_eq!(
        env.ft
            .sender(alice)
            .get_deliverable(alice, p, "t1".into())
            .motsu_unwrap(),
        expected
    );
    assert_eq!(env.deliverables(alice), vec![expected.clone()]);

    // A duplicate id is refused and changes nothing.
    let err = env
        .ft
        .sender(p)
        .add_deliverable(alice, "t1".into(), vec![9; 32].into())
        .motsu_unwrap_err();
    assert_eq!(err, DeliverableExists { id: "t1".into() }.abi_encode());
    assert_eq!(env.deliverables(alice), vec![expected]);

    // Ids and root hashes of any length, the empty id too.
    let long_id = "x".repeat(100);
    for (id, hash) in [
        ("", vec![]),
        (long_id.as_str(), vec![7; 65]),
        ("é", vec![1]),
    ] {
        env.ft
            .sender(p)
            .add_deliverable(alice, id.into(), hash.clone().into())
            .motsu_unwrap();
        let got = env
            .ft
            .sender(alice)
            .get_deliverable(alice, p, id.into())
            .motsu_unwrap();
        assert_eq!((got.id.as_str(), got.modelRootHash.to_vec()), (id, hash));
    }
    assert_eq!(
        env.ids(alice),
        vec!["t1".to_string(), String::new(), long_id, "é".into()]
    );
    let account = env.account(alice);
    assert_eq!(
        (account.deliverablesHead, account.deliverablesCount),
        (U256::ZERO, u(4))
    );

    // Missing ones.
    let err = env
        .ft
        .sender(alice)
        .get_deliverable(alice, p, "t2".into())
        .motsu_unwrap_err();
    assert_eq!(err, DeliverableNotExists { id: "t2".into() }.abi_encode());
    let bob = Address::from_tag("bob");
    let missing = AccountNotExists {
        user: bob,
        provider: p,
    }
    .abi_encode();
    assert_eq!(
        env.ft
            .sender(bob)
            .get_deliverable(bob, p, "t1".into())
            .motsu_unwrap_err(),
        missing
    );
    assert_eq!(
        env.ft
            .sender(bob)
            .get_deliverables(bob, p)
            .motsu_unwrap_err(),
        missing
    );
    env.check_invariants();
}

#[motsu::test]
fn an_account_keeps_the_20_newest_deliverables() {
    let env = Env::new();
    let alice = env.customer("alice", 1000);
    let id = |i: usize| format!("task-{i}");
    for i in 0..MAX_DELIVERABLES {
        env.deliver(alice, &id(i));
    }
    let all: Vec<String> = (0..20).map(id).collect();
    assert_eq!(env.ids(alice), all);
    let account = env.account(alice);
    assert_eq!(
        (account.deliverablesHead, account.deliverablesCount),
        (U256::ZERO, u(20))
    );
    env.acknowledge(alice, &id(1));

    // The 21st evicts the oldest, the 22nd the next one.
    env.deliver(alice, &id(20));
    assert_eq!(env.ids(alice), (1..21).map(id).collect::<Vec<_>>());
    env.deliver(alice, &id(21));
    assert_eq!(env.ids(alice), (2..22).map(id).collect::<Vec<_>>());
    let account = env.account(alice);
    assert_eq!(
        (account.deliverablesHead, account.deliverablesCount),
        (u(2), u(20))
    );
    for evicted in [0, 1] {
        let err = env
            .ft
            .sender(alice)
            .get_deliverable(alice, env.provider, id(evicted))
            .motsu_unwrap_err();
        assert_eq!(err, DeliverableNotExists { id: id(evicted) }.abi_encode());
        env.refused(env.input(alice, &id(evicted), 1, 10, b""), NO_DELIVERABLE);
        let err = env
            .ft
            .sender(alice)
            .acknowledge_deliverable(env.provider, id(evicted))
            .motsu_unwrap_err();
        assert_eq!(err, DeliverableNotExists { id: id(evicted) }.abi_encode());
    }
    // The live ones keep their state; an evicted id may come back, as the
    // newest.
    assert!(!env.deliverables(alice)[0].acknowledged);
    env.deliver(alice, &id(0));
    assert_eq!(
        env.ids(alice),
        (3..22).chain([0]).map(id).collect::<Vec<_>>()
    );
    env.settles(env.input(alice, &id(0), 1, 10, b""), 3);

    // Round and round the ring, oldest first always.
    for i in 22..65 {
        env.deliver(alice, &id(i));
    }
    assert_eq!(env.ids(alice), (45..65).map(id).collect::<Vec<_>>());
    let account = env.account(alice);
    assert_eq!(account.deliverablesCount, u(20));
    assert_eq!(account.deliverables[0].id, id(45));
    let err = env
        .ft
        .sender(env.provider)
        .add_deliverable(alice, id(50), vec![1].into())
        .motsu_unwrap_err();
    assert_eq!(err, DeliverableExists { id: id(50) }.abi_encode());
    env.check_invariants();
}

#[motsu::test]
fn the_user_acknowledges_a_deliverable() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let p = env.provider;
    env.deliver(alice, "t1");
    env.deliver(alice, "t2");
    let err = env
        .ft
        .sender(alice)
        .acknowledge_deliverable(p, "t3".into())
        .motsu_unwrap_err();
    assert_eq!(err, DeliverableNotExists { id: "t3".into() }.abi_encode());
    let bob = env.user("bob", 0);
    let err = env
        .ft
        .sender(bob)
        .acknowledge_deliverable(p, "t1".into())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: bob,
            provider: p
        }
        .abi_encode()
    );

    env.acknowledge(alice, "t1");
    // Again is harmless.
    env.acknowledge(alice, "t1");
    // The three-argument form, called by the user named in it.
    env.ft
        .sender(alice)
        .acknowledge_deliverable_for(alice, p, "t2".into())
        .motsu_unwrap();
    assert!(env.deliverables(alice).iter().all(|d| d.acknowledged));
    let err = env
        .ft
        .sender(alice)
        .acknowledge_deliverable_for(alice, p, "t9".into())
        .motsu_unwrap_err();
    assert_eq!(err, DeliverableNotExists { id: "t9".into() }.abi_encode());
    let err = env
        .ft
        .sender(bob)
        .acknowledge_deliverable_for(bob, p, "t1".into())
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

/// Defect 4: the reference let anyone call acknowledgeDeliverable(user,
/// provider, id), so a provider acknowledged its own deliverable, then
/// settled without a secret... or with one, at the full fee, for a model
/// the user never confirmed. Ours takes that call only from the user.
#[motsu::test]
fn only_the_user_acknowledges_through_the_three_argument_form() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    let p = env.provider;
    env.deliver(alice, "t");
    for caller in [p, Address::from_tag("stranger"), env.owner] {
        let err = env
            .ft
            .sender(caller)
            .acknowledge_deliverable_for(alice, p, "t".into())
            .motsu_unwrap_err();
        assert_eq!(err, Unauthorized { caller }.abi_encode());
    }
    assert!(!env.deliverables(alice)[0].acknowledged);
    // So the provider cannot collect the full fee: only the penalty.
    env.refused(env.input(alice, "t", 1, 100, b"secret"), SECRET_PRESENT);
    env.settles(env.input(alice, "t", 1, 100, b""), 30);
    assert!(!env.deliverables(alice)[0].acknowledged);
}

// --------------------------------------------------------------- settlement

#[motsu::test]
fn an_acknowledged_deliverable_settles_at_the_full_fee_with_its_secret() {
    let env = Env::new();
    let alice = env.customer("alice", 500);
    env.deliver(alice, "t");
    env.acknowledge(alice, "t");
    let available = env.available(alice);
    env.settles(env.input(alice, "t", 1, 120, b"encrypted key"), 120);
    assert_eq!(wallet(env.provider), u(FUNDS + 120));
    let deliverable = env.deliverables(alice).pop().unwrap();
    assert_eq!(
        deliverable.encryptedSecret.to_vec(),
        b"encrypted key".to_vec()
    );
    assert!(deliverable.acknowledged);
    // The ledger's total follows; its available balance does not move.
    let ledger = env.ledger.sender(alice).get_ledger(alice).motsu_unwrap();
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (available, u(380))
    );
    // A long secret is kept whole.
    env.deliver(alice, "t2");
    env.acknowledge(alice, "t2");
    let secret = vec![0xab; 200];
    env.settles(env.input(alice, "t2", 2, 0, &secret), 0);
    assert_eq!(env.deliverables(alice)[1].encryptedSecret.to_vec(), secret);
}

#[motsu::test]
fn an_unacknowledged_deliverable_settles_at_the_penalty() {
    let env = Env::new();
    let alice = env.customer("alice", 1000);
    for i in 0..6 {
        env.deliver(alice, &format!("t{i}"));
    }
    // 30% of 100.
    env.settles(env.input(alice, "t0", 1, 100, b""), 30);
    // Rounded down: 30% of 7 is 2.1.
    env.settles(env.input(alice, "t1", 2, 7, b""), 2);
    env.set_penalty(0);
    let paid = wallet(env.provider);
    env.settles(env.input(alice, "t2", 3, 100, b""), 0);
    assert_eq!(wallet(env.provider), paid);
    env.set_penalty(100);
    env.settles(env.input(alice, "t3", 4, 100, b""), 100);
    env.set_penalty(55);
    env.settles(env.input(alice, "t4", 5, 99, b""), 54);
    // The secret stays empty, the deliverable unacknowledged.
    let deliverable = &env.deliverables(alice)[0];
    assert!(deliverable.encryptedSecret.is_empty() && !deliverable.acknowledged);
    // The balance need only cover what is charged.
    let balance = env.account(alice).balance.to::<u64>();
    env.settles(env.input(alice, "t5", 6, balance * 100 / 55, b""), balance);
    assert_eq!(env.account(alice).balance, U256::ZERO);
}

#[test]
fn the_penalty_needs_no_wide_division() {
    assert_eq!(penalty(u(100), 30), Some(u(30)));
    assert_eq!(penalty(u(7), 30), Some(u(2)));
    assert_eq!(penalty(u(0), 100), Some(u(0)));
    assert_eq!(penalty(U256::MAX, 0), Some(U256::ZERO));
    // Charges of 2^96 or more cannot be covered by any balance.
    let limit = U256::from(1u64) << 96;
    assert_eq!(penalty(limit, 100), None);
    assert_eq!(penalty(limit - u(1), 100), Some(limit - u(1)));
    assert_eq!(penalty(U256::MAX, 1), None);
    let fee = (limit * u(100) - u(1)) / u(7);
    assert_eq!(penalty(fee, 7), Some(fee * u(7) / u(100)));
    for (fee, percentage) in [
        (u(123_456_789_012_345), 33),
        (limit - u(3), 99),
        (limit * u(3) + u(17), 31),
    ] {
        assert_eq!(
            penalty(fee, percentage),
            Some(fee * U256::from(percentage) / u(100))
        );
    }
}

#[motsu::test]
fn a_verifier_input_settles_at_most_once() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.deliver(alice, "t");
    let input = env.input(alice, "t", 5, 10, b"");
    env.settles(input.clone(), 3);
    env.refused(input, NONCE_USED);
    env.refused(env.input(alice, "t", 4, 10, b""), NONCE_USED);
    env.refused(env.input(alice, "t", 0, 10, b""), NONCE_USED);
    env.settles(env.input(alice, "t", 6, 10, b""), 3);
    // Nonces of 2^96 and above cannot be stored.
    let mut huge = env.input(alice, "t", 0, 10, b"");
    huge.nonce = U256::from(1u64) << 96;
    env.refused(signed(&env.signer, huge), NONCE_USED);
}

#[motsu::test]
fn a_fee_above_the_balance_is_refused() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.deliver(alice, "t");
    env.acknowledge(alice, "t");
    env.refused(env.input(alice, "t", 1, 101, b"s"), INSUFFICIENT);
    let mut huge = env.input(alice, "t", 1, 0, b"s");
    huge.taskFee = U256::MAX;
    env.refused(signed(&env.signer, huge), INSUFFICIENT);
    env.deliver(alice, "u");
    // Not acknowledged: 30% of 334 is 100, of 337 is 101.
    env.refused(env.input(alice, "u", 1, 337, b""), INSUFFICIENT);
    let mut huge = env.input(alice, "u", 1, 0, b"");
    huge.taskFee = U256::MAX;
    env.refused(signed(&env.signer, huge), INSUFFICIENT);
    env.settles(env.input(alice, "u", 1, 334, b""), 100);
    env.refused(env.input(alice, "t", 2, 1, b"s"), INSUFFICIENT);
}

#[motsu::test]
fn the_secret_comes_with_an_acknowledged_deliverable_only() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.deliver(alice, "t");
    env.refused(env.input(alice, "t", 1, 10, b"secret"), SECRET_PRESENT);
    env.acknowledge(alice, "t");
    env.refused(env.input(alice, "t", 1, 10, b""), SECRET_MISSING);
    env.settles(env.input(alice, "t", 1, 10, b"secret"), 10);
}

#[motsu::test]
fn each_check_of_a_verifier_input_has_its_reason() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.deliver(alice, "t");
    let good = env.input(alice, "t", 1, 10, b"");

    // 1. No account of this user with the caller.
    let bob = env.user("bob", 0);
    let other = env.provider_named("other");
    let missing = AccountNotExists {
        user: alice,
        provider: other,
    }
    .abi_encode();
    env.refused_as(other, good.clone(), missing);
    let mut nobody = good.clone();
    nobody.user = bob;
    let missing = AccountNotExists {
        user: bob,
        provider: env.provider,
    }
    .abi_encode();
    env.refused_as(env.provider, signed(&env.signer, nobody), missing);

    // 2. A signer other than the acknowledged one, even if it signed.
    let rogue = key(2);
    let mut input = good.clone();
    input.providerSigner = key_address(&rogue);
    env.refused(signed(&rogue, input), NOT_ACKNOWLEDGED);

    // 3. The nonce comes before the deliverable.
    env.settles(env.input(alice, "t", 3, 10, b""), 3);
    env.refused(env.input(alice, "missing", 2, 10, b""), NONCE_USED);

    // 4. An unknown deliverable.
    env.refused(env.input(alice, "missing", 4, 10, b""), NO_DELIVERABLE);

    // 5. Another root hash than the deliverable's (longer, shorter, one byte
    //    off in the second word).
    let mut hashes = vec![
        [root("t"), vec![0]].concat(),
        root("t")[..32].to_vec(),
        Vec::new(),
    ];
    let mut off = root("t");
    off[33] ^= 1;
    hashes.push(off);
    for hash in hashes {
        let mut input = env.input(alice, "t", 4, 10, b"");
        input.modelRootHash = hash.into();
        env.refused(signed(&env.signer, input), ROOT_MISMATCH);
    }

    // 6. A signature over other values, by another key, or malformed.
    let mut input = env.input(alice, "t", 4, 10, b"");
    input.taskFee = u(9);
    env.refused(input, BAD_SIGNATURE);
    let mut input = env.input(alice, "t", 4, 10, b"");
    input.user = alice;
    input.signature = signed(&rogue, input.clone()).signature;
    env.refused(input, BAD_SIGNATURE);
    for signature in [vec![], vec![0; 65], vec![1; 64], vec![1; 66]] {
        let mut input = env.input(alice, "t", 4, 10, b"");
        input.signature = signature.into();
        env.refused(input, BAD_SIGNATURE);
    }

    // 7. The secret rules (see the_secret_comes_with_...), then
    // 8. the balance.
    env.refused(env.input(alice, "t", 4, 10, b"s"), SECRET_PRESENT);
    env.refused(env.input(alice, "t", 4, 1000, b""), INSUFFICIENT);
    env.settles(env.input(alice, "t", 4, 10, b""), 3);
    env.check_invariants();
}

/// Defect 5: a user who never acknowledged a signer has signer zero; the
/// reference then accepted an input with signer zero and an all-zero
/// signature (ecrecover returns zero), again and again. Ours refuses a zero
/// signer and a zero recovered address everywhere.
#[motsu::test]
fn a_zero_signer_never_settles() {
    let env = Env::new();
    let alice = env.user("alice", 100);
    env.transfer(alice, env.provider, 100);
    env.deliver(alice, "t");
    assert_eq!(env.account(alice).providerSigner, Address::ZERO);
    for nonce in 1..4 {
        let forged = VerifierInput {
            id: "t".into(),
            encryptedSecret: Bytes::new(),
            modelRootHash: root("t").into(),
            nonce: u(nonce),
            providerSigner: Address::ZERO,
            signature: vec![0; 65].into(),
            taskFee: u(100),
            user: alice,
        };
        env.refused(forged, NOT_ACKNOWLEDGED);
    }
    // Nor with the provider's real signer, unacknowledged.
    env.refused(env.input(alice, "t", 1, 100, b""), NOT_ACKNOWLEDGED);
    // With the signer acknowledged, a signature recovering to zero (or to
    // nobody) is still refused.
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(env.provider, env.signer_address())
        .motsu_unwrap();
    let mut zero = env.input(alice, "t", 1, 100, b"");
    zero.signature = vec![0; 65].into();
    env.refused(zero, BAD_SIGNATURE);
    let mut zero = env.input(alice, "t", 1, 100, b"");
    zero.providerSigner = Address::ZERO;
    env.refused(zero, NOT_ACKNOWLEDGED);
    assert_eq!(env.account(alice).balance, u(100));
    assert_eq!(env.account(alice).nonce, U256::ZERO);
    env.check_invariants();
}

/// Defect 6: a high-s twin of a valid signature, and a `v` outside {0, 1,
/// 27, 28}, are refused; `v` in {0, 1} is accepted like {27, 28}.
#[motsu::test]
fn malleable_signatures_are_refused() {
    let env = Env::new();
    let alice = env.customer("alice", 100);
    env.deliver(alice, "t");
    let good = env.input(alice, "t", 1, 10, b"");
    let n = U256::from_be_bytes(alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let mut high = good.signature.to_vec();
    let s = U256::from_be_slice(&high[32..64]);
    high[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    high[64] = if high[64] == 27 { 28 } else { 27 };
    let mut input = good.clone();
    input.signature = high.into();
    env.refused(input, BAD_SIGNATURE);
    for v in [2, 26, 29, 255] {
        let mut signature = good.signature.to_vec();
        signature[64] = v;
        let mut input = good.clone();
        input.signature = signature.into();
        env.refused(input, BAD_SIGNATURE);
    }
    let mut signature = good.signature.to_vec();
    signature[64] -= 27;
    let mut input = good;
    input.signature = signature.into();
    env.settles(input, 3);
}

#[motsu::test]
fn fees_take_the_free_balance_then_the_newest_refunds() {
    let env = Env::new();
    let alice = env.customer("alice", 10);
    env.retrieve(alice); // [10]
    env.transfer(alice, env.provider, 5); // [5], 5 free
    env.retrieve(alice); // [5, 5]
    env.transfer(alice, env.provider, 4); // [5, 1], 4 free
    let refunds = |env: &Env| -> Vec<(U256, U256)> {
        env.account(alice)
            .refunds
            .iter()
            .map(|r| (r.index, r.amount))
            .collect()
    };
    assert_eq!(refunds(&env), vec![(u(0), u(5)), (u(1), u(1))]);
    env.deliver(alice, "t");
    env.acknowledge(alice, "t");
    // 4 free, then the newest refund (1) whole, then 2 of the oldest.
    env.settles(env.input(alice, "t", 1, 7, b"s"), 7);
    let account = env.account(alice);
    assert_eq!((account.balance, account.pendingRefund), (u(3), u(3)));
    assert_eq!(refunds(&env), vec![(u(0), u(3))]);
    // The rest comes back once unlocked.
    env.set_lock_time(0);
    env.retrieve(alice);
    assert_eq!(env.available(alice), u(3));
    assert_eq!(env.account(alice).balance, U256::ZERO);
    env.ledger.sender(alice).refund(u(3)).motsu_unwrap();
    assert_eq!(wallet(alice), u(FUNDS - 7));
    env.check_invariants();
}

/// Defect 9: RefundRequested once per refund actually queued, with the
/// index it is listed under (the reference's fine-tuning never emitted it).
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
    assert_eq!(
        env.events::<RefundRequested>(),
        vec![requested(0), requested(1)]
    );
    // A settlement uses up the newest refund; the next request reuses its
    // slot and says so.
    env.deliver(alice, "t");
    env.acknowledge(alice, "t");
    env.settles(env.input(alice, "t", 1, 30, b"s"), 30);
    env.transfer(alice, env.provider, 20); // [50], 20 free
    env.retrieve(alice); // [50, 20]
    let listed: Vec<U256> = env.account(alice).refunds.iter().map(|r| r.index).collect();
    assert_eq!(listed, vec![u(0), u(1)]);
    assert_eq!(
        env.events::<RefundRequested>(),
        vec![requested(0), requested(1), requested(1)]
    );
    env.check_invariants();
}

/// Defect 8: deleting an account (with the ledger) deletes its
/// deliverables; opened again, the account has none, old ids can be used
/// again and old acknowledgements are gone. The nonce stays, so old inputs
/// stay refused.
#[motsu::test]
fn deleting_an_account_deletes_its_deliverables() {
    let env = Env::new();
    env.set_lock_time(0);
    let alice = env.customer("alice", 100);
    for id in ["t1", "t2", "t3"] {
        env.deliver(alice, id);
    }
    env.acknowledge(alice, "t2");
    let old = env.input(alice, "t2", 5, 10, b"s");
    env.settles(old.clone(), 10);

    // An account that holds funds is not deleted.
    let err = env.ledger.sender(alice).delete_ledger().motsu_unwrap_err();
    assert_eq!(
        err,
        LedgerHasFunds {
            user: alice,
            totalBalance: u(90)
        }
        .abi_encode()
    );
    let err = env
        .ft
        .sender(env.ledger.address())
        .delete_accounts(alice, vec![env.provider])
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountHasFunds {
            user: alice,
            provider: env.provider,
            balance: u(90)
        }
        .abi_encode()
    );
    assert_eq!(env.ids(alice).len(), 3);
    env.retrieve(alice);
    env.ledger.sender(alice).refund(u(90)).motsu_unwrap();
    env.ledger.sender(alice).delete_ledger().motsu_unwrap();
    assert!(!env.ft.sender(alice).account_exists(alice, env.provider));
    let err = env
        .ft
        .sender(alice)
        .get_deliverables(alice, env.provider)
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: alice,
            provider: env.provider
        }
        .abi_encode()
    );

    // The user comes back to the same provider.
    env.ledger
        .sender_and_value(alice, u(100))
        .add_ledger([U256::ZERO; 2], String::new())
        .motsu_unwrap();
    env.transfer(alice, env.provider, 100);
    let account = env.account(alice);
    assert_eq!(account.deliverables, vec![]);
    assert_eq!(
        (account.deliverablesHead, account.deliverablesCount),
        (U256::ZERO, U256::ZERO)
    );
    assert_eq!(account.providerSigner, Address::ZERO);
    assert_eq!(account.nonce, u(5));
    for id in ["t1", "t2", "t3"] {
        let err = env
            .ft
            .sender(alice)
            .get_deliverable(alice, env.provider, id.into())
            .motsu_unwrap_err();
        assert_eq!(err, DeliverableNotExists { id: id.into() }.abi_encode());
    }
    env.deliver(alice, "t2");
    let fresh = &env.deliverables(alice)[0];
    assert!(!fresh.acknowledged && fresh.encryptedSecret.is_empty());
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(env.provider, env.signer_address())
        .motsu_unwrap();
    // The old input is refused (its nonce is used); a new one, without
    // acknowledgement, pays the penalty.
    env.refused(old, NONCE_USED);
    env.settles(env.input(alice, "t2", 6, 10, b""), 3);
    env.check_invariants();
}

/// The whole path through the ledger: fund, deliver, acknowledge, settle,
/// retrieve, refund; the money invariants hold at each step.
#[motsu::test]
fn a_fine_tuning_task_from_deposit_to_refund() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 600);
    env.check_invariants();
    env.ft
        .sender(alice)
        .acknowledge_provider_signer(env.provider, env.signer_address())
        .motsu_unwrap();
    env.deliver(alice, "job-1");
    env.check_invariants();
    env.acknowledge(alice, "job-1");
    env.settles(env.input(alice, "job-1", 1, 250, b"key-1"), 250);
    env.deliver(alice, "job-2");
    env.settles(env.input(alice, "job-2", 2, 100, b""), 30);
    let ledger = env.ledger.sender(alice).get_ledger(alice).motsu_unwrap();
    assert_eq!(ledger.fineTuningProviders, vec![env.provider]);
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (u(400), u(720))
    );
    env.retrieve(alice);
    assert_eq!(env.account(alice).pendingRefund, u(320));
    env.set_lock_time(0);
    env.retrieve(alice);
    assert_eq!(env.available(alice), u(720));
    env.ledger.sender(alice).refund(u(720)).motsu_unwrap();
    assert_eq!(wallet(alice), u(FUNDS - 280));
    assert_eq!(wallet(env.provider), u(FUNDS + 280));
    env.check_invariants();
}

#[test]
fn a_settlement_is_read_from_calldata_as_alloy_encodes_it() {
    use serving_contracts::{abi::fine_tuning::IDeliveries, calldata::Args};
    let input = VerifierInput {
        id: "task-7".into(),
        encryptedSecret: vec![1; 97].into(),
        modelRootHash: root("task-7").into(),
        nonce: u(9),
        providerSigner: Address::repeat_byte(4),
        signature: vec![2; 65].into(),
        taskFee: u(1_000),
        user: Address::repeat_byte(5),
    };
    let encoded = IDeliveries::settleFeesCall {
        verifierInput: input.clone(),
    }
    .abi_encode();
    let read = crate::Settlement::read(Args::of(&encoded).unwrap()).unwrap();
    assert_eq!(read.id, input.id);
    assert_eq!(read.encrypted_secret, &input.encryptedSecret[..]);
    assert_eq!(read.model_root_hash, &input.modelRootHash[..]);
    assert_eq!(read.signature, &input.signature[..]);
    assert_eq!(
        (read.nonce, read.provider_signer, read.task_fee, read.user),
        (input.nonce, input.providerSigner, input.taskFee, input.user)
    );
    let short = &encoded[..encoded.len() - 32];
    assert!(crate::Settlement::read(Args::of(short).unwrap()).is_none());
}
