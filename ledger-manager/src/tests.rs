//! Unit tests of LedgerManager (motsu), run against a real InferenceServing
//! (and, where fine-tuning matters, a second InferenceServing standing in for
//! the fine-tuning contract: both speak the same ledger <-> serving
//! interface). Every public function is driven through its success path and
//! each of its errors; after a refused call the state is checked unchanged,
//! and the money invariants of the architecture page are checked at the end
//! of each scenario ([`Env::check_invariants`]).
//!
//! motsu's block timestamp is fixed, so a refund is "locked" under a long
//! lock time ([`LOCKED`]) and "unlocked" under lock time 0.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use inference_serving::{AccountViews, InferenceServing};
use motsu::prelude::*;
use serving_contracts::{
    abi::{
        Account, AccountNotExists, AmountTooLarge, BalanceUpdated, EscrowExceeded, IPagedViews,
        InsufficientBalance, InvalidInitialization, InvalidLimit, InvalidServiceType, Ledger,
        LedgerExists, LedgerHasFunds, LedgerNotExists, NotInitialized, ServiceNotExist,
        ServiceParams, TooManyProviders, Unauthorized, UserInfo, ValueNotAccepted,
    },
    ownable::{OwnableInvalidOwner, OwnableUnauthorizedAccount, OwnershipTransferred},
};

use crate::{LedgerManager, MAX_PROVIDERS_PER_BATCH, MAX_PROVIDERS_PER_KIND};

/// A lock time no refund outlives in these tests (motsu's clock stands still).
const LOCKED: u64 = 7 * 24 * 3600;
/// What every user's wallet starts with.
const FUNDS: u64 = 1_000_000;
const INFERENCE: &str = "inference";
const FINE_TUNING: &str = "fine-tuning";

fn u(n: u64) -> U256 {
    U256::from(n)
}

/// The native balance of an account that is not a contract.
fn wallet(account: Address) -> U256 {
    #[allow(deprecated)]
    stylus_sdk::types::AddressVM::balance(&account)
}

fn service() -> ServiceParams {
    ServiceParams {
        serviceType: "chatbot".into(),
        url: "https://provider.example/v1".into(),
        model: "llama-3-8b".into(),
        verifiability: "TeeML".into(),
        inputPrice: u(1),
        outputPrice: u(2),
        additionalInfo: String::new(),
    }
}

use serving_contracts::testing::Wallet;

/// A payable account named `tag`, with `funds` in it.
fn wallet_account(tag: &str, funds: u64) -> Contract<Wallet> {
    let wallet = Contract::<Wallet>::from_tag(tag);
    wallet.fund(u(funds));
    wallet
}

/// The ledger and the inference contract, initialized for each other, with
/// one provider's service registered; optionally a fine-tuning contract.
struct Env {
    ledger: Contract<LedgerManager>,
    inference: Contract<InferenceServing>,
    fine_tuning: Option<Contract<InferenceServing>>,
    owner: Address,
    provider: Address,
    /// The payable accounts (users, the provider), kept deployed.
    wallets: core::cell::RefCell<Vec<Contract<Wallet>>>,
}

impl Env {
    /// Without a fine-tuning contract (its address is zero).
    fn new() -> Self {
        Self::deploy(false)
    }

    fn with_fine_tuning() -> Self {
        Self::deploy(true)
    }

    fn deploy(fine_tuning: bool) -> Self {
        let ledger = Contract::<LedgerManager>::from_tag("ledger");
        let inference = Contract::<InferenceServing>::from_tag("inference");
        let fine_tuning =
            fine_tuning.then(|| Contract::<InferenceServing>::from_tag("fine-tuning"));
        let owner = Address::from_tag("owner");
        let fine_tuning_address = fine_tuning.as_ref().map_or(Address::ZERO, |c| c.address());
        ledger
            .sender(owner)
            .initialize(inference.address(), fine_tuning_address, owner)
            .motsu_unwrap();
        let provider = wallet_account("provider", 0);
        let env = Env {
            ledger,
            inference,
            fine_tuning,
            owner,
            provider: provider.address(),
            wallets: core::cell::RefCell::new(vec![provider]),
        };
        for serving in env.servings() {
            serving
                .sender(owner)
                .initialize(u(LOCKED), env.ledger.address(), owner)
                .motsu_unwrap();
        }
        env.register(env.provider);
        env
    }

    /// The serving contracts: inference, then fine-tuning if deployed.
    /// The ledger's escrow of serving contract `serving`.
    fn escrow(&self, serving: Address) -> U256 {
        self.ledger.sender(self.owner).escrow_of(serving)
    }

    fn servings(&self) -> impl Iterator<Item = &Contract<InferenceServing>> {
        core::iter::once(&self.inference).chain(self.fine_tuning.as_ref())
    }

    fn serving(&self, kind: &str) -> &Contract<InferenceServing> {
        match kind {
            INFERENCE => &self.inference,
            _ => self.fine_tuning.as_ref().expect("no fine-tuning contract"),
        }
    }

    /// Registers a service of `provider` in every serving contract.
    fn register(&self, provider: Address) {
        for serving in self.servings() {
            serving
                .sender(provider)
                .add_or_update_service(service())
                .motsu_unwrap();
        }
    }

    /// A payable account with [`FUNDS`].
    fn wallet(&self, tag: &str) -> Address {
        let wallet = wallet_account(tag, FUNDS);
        let address = wallet.address();
        self.wallets.borrow_mut().push(wallet);
        address
    }

    /// A user with a funded wallet and a ledger holding `deposit`.
    fn user(&self, tag: &str, deposit: u64) -> Address {
        let user = self.wallet(tag);
        self.ledger
            .sender_and_value(user, u(deposit))
            .add_ledger([U256::ZERO; 2], String::new())
            .motsu_unwrap();
        user
    }

    fn ledger_of(&self, user: Address) -> Ledger {
        self.ledger.sender(user).get_ledger(user).motsu_unwrap()
    }

    fn available(&self, user: Address) -> U256 {
        self.ledger_of(user).availableBalance
    }

    fn account(&self, user: Address, provider: Address) -> Account {
        self.inference
            .sender(user)
            .get_account(user, provider)
            .motsu_unwrap()
    }

    fn account_exists(&self, user: Address, provider: Address) -> bool {
        self.inference.sender(user).account_exists(user, provider)
    }

    fn transfer(&self, user: Address, provider: Address, amount: u64) {
        self.ledger
            .sender(user)
            .transfer_fund(provider, INFERENCE.into(), u(amount))
            .motsu_unwrap();
    }

    fn retrieve(&self, user: Address, providers: Vec<Address>) {
        self.ledger
            .sender(user)
            .retrieve_fund(providers, INFERENCE.into())
            .motsu_unwrap();
    }

    fn set_lock_time(&self, serving: &Contract<InferenceServing>, lock_time: u64) {
        serving
            .sender(self.owner)
            .update_lock_time(u(lock_time))
            .motsu_unwrap();
    }

    /// The invariants of the architecture page:
    /// - per ledger: total = available + its sub-account balances in every
    ///   serving contract, and it lists exactly the accounts it has;
    /// - the ledger holds the sum of all totals; serving contracts hold none;
    /// - per account: pending refund <= balance, and the live refunds sum to
    ///   the pending refund.
    fn check_invariants(&self) {
        let (ledgers, count) = self
            .ledger
            .sender(self.owner)
            .get_all_ledgers(U256::ZERO, U256::ZERO)
            .motsu_unwrap();
        assert_eq!(U256::from(ledgers.len()), count);
        let mut totals = U256::ZERO;
        for ledger in &ledgers {
            let mut held = U256::ZERO;
            for (serving, providers) in self
                .servings()
                .zip([&ledger.inferenceProviders, &ledger.fineTuningProviders])
            {
                for &provider in providers {
                    held += serving
                        .sender(ledger.user)
                        .get_account(ledger.user, provider)
                        .motsu_unwrap()
                        .balance;
                }
                let (accounts, _) = serving
                    .sender(ledger.user)
                    .get_accounts_by_user(ledger.user, U256::ZERO, U256::ZERO)
                    .motsu_unwrap();
                assert_eq!(accounts.len(), providers.len());
            }
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
        let available: U256 = ledgers.iter().map(|l| l.availableBalance).sum();
        let escrows: U256 = self.servings().map(|s| self.escrow(s.address())).sum();
        assert_eq!(
            self.ledger.balance(),
            available + escrows,
            "the ledger holds the available balances and the escrows"
        );
        for serving in self.servings() {
            assert_eq!(
                serving.balance(),
                U256::ZERO,
                "a serving contract holds value"
            );
            let (accounts, _) = serving
                .sender(self.owner)
                .get_all_accounts(U256::ZERO, U256::ZERO)
                .motsu_unwrap();
            let held: U256 = accounts.iter().map(|a| a.balance).sum();
            assert_eq!(
                self.escrow(serving.address()),
                held,
                "escrow = sub-accounts"
            );
            for account in accounts {
                assert!(
                    account.pendingRefund <= account.balance,
                    "pending above balance"
                );
                let live: U256 = account.refunds.iter().map(|r| r.amount).sum();
                assert_eq!(live, account.pendingRefund, "refunds do not sum to pending");
                assert_eq!(
                    account.validRefundsLength,
                    U256::from(account.refunds.len())
                );
                assert!(
                    ledgers.iter().any(|l| l.user == account.user),
                    "an account without a ledger"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- initialize

#[motsu::test]
fn initialize_configures_the_contract_once() {
    let ledger = Contract::<LedgerManager>::from_tag("ledger");
    let inference = Contract::<InferenceServing>::from_tag("inference");
    let owner = Address::from_tag("owner");
    let user = Address::from_tag("user");
    user.fund(u(100));

    // Before initialize nothing works, and no value is kept.
    assert!(!ledger.sender(owner).initialized());
    let err = ledger
        .sender_and_value(user, u(100))
        .add_ledger([U256::ZERO; 2], String::new())
        .motsu_unwrap_err();
    assert_eq!(err, NotInitialized {}.abi_encode());
    assert_eq!(wallet(user), u(100));
    assert_eq!(ledger.balance(), U256::ZERO);
    let not_initialized = NotInitialized {}.abi_encode();
    assert_eq!(
        ledger.sender(user).deposit_fund().motsu_unwrap_err(),
        not_initialized
    );
    assert_eq!(
        ledger.sender(user).refund(u(1)).motsu_unwrap_err(),
        not_initialized
    );
    assert_eq!(
        ledger.sender(user).delete_ledger().motsu_unwrap_err(),
        not_initialized
    );
    let err = ledger
        .sender(user)
        .transfer_fund(owner, INFERENCE.into(), u(1))
        .motsu_unwrap_err();
    assert_eq!(err, not_initialized);
    let err = ledger
        .sender(user)
        .retrieve_fund(vec![], INFERENCE.into())
        .motsu_unwrap_err();
    assert_eq!(err, not_initialized);

    // A zero inference contract or owner is refused.
    for (inference, owner) in [(Address::ZERO, owner), (inference.address(), Address::ZERO)] {
        let err = ledger
            .sender(owner)
            .initialize(inference, Address::ZERO, owner)
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
    }
    assert!(!ledger.sender(owner).initialized());

    ledger
        .sender(owner)
        .initialize(inference.address(), Address::ZERO, owner)
        .motsu_unwrap();
    assert!(ledger.sender(user).initialized());
    assert_eq!(ledger.sender(user).inference_address(), inference.address());
    assert_eq!(ledger.sender(user).fine_tuning_address(), Address::ZERO);
    assert_eq!(ledger.sender(user).owner(), owner);
    ledger.assert_emitted(&OwnershipTransferred {
        previousOwner: Address::ZERO,
        newOwner: owner,
    });

    // Defect 12: initialize can never run again, not even by the owner.
    let stranger = Address::from_tag("stranger");
    for caller in [stranger, owner] {
        let err = ledger
            .sender(caller)
            .initialize(stranger, stranger, stranger)
            .motsu_unwrap_err();
        assert_eq!(err, InvalidInitialization {}.abi_encode());
    }
    assert_eq!(ledger.sender(user).inference_address(), inference.address());
    assert_eq!(ledger.sender(user).fine_tuning_address(), Address::ZERO);
    assert_eq!(ledger.sender(user).owner(), owner);
}

#[motsu::test]
fn a_constructed_ledger_is_configured_and_refuses_initialize() {
    let ledger = Contract::<LedgerManager>::from_tag("ledger");
    let inference = Address::from_tag("inference");
    let fine_tuning = Address::from_tag("fine-tuning");
    let owner = Address::from_tag("owner");
    let stranger = Address::from_tag("stranger");

    let err = ledger
        .sender(stranger)
        .constructor(Address::ZERO, fine_tuning, owner)
        .motsu_unwrap_err();
    assert_eq!(err, InvalidInitialization {}.abi_encode());
    assert!(!ledger.sender(stranger).initialized());

    ledger
        .sender(stranger)
        .constructor(inference, fine_tuning, owner)
        .motsu_unwrap();
    assert!(ledger.sender(stranger).initialized());
    assert_eq!(ledger.sender(stranger).inference_address(), inference);
    assert_eq!(ledger.sender(stranger).fine_tuning_address(), fine_tuning);
    assert_eq!(ledger.sender(stranger).owner(), owner);
    ledger.assert_emitted(&OwnershipTransferred {
        previousOwner: Address::ZERO,
        newOwner: owner,
    });
    for caller in [stranger, owner] {
        for err in [
            ledger
                .sender(caller)
                .initialize(stranger, stranger, stranger)
                .motsu_unwrap_err(),
            ledger
                .sender(caller)
                .constructor(stranger, stranger, stranger)
                .motsu_unwrap_err(),
        ] {
            assert_eq!(err, InvalidInitialization {}.abi_encode());
        }
    }
    assert_eq!(ledger.sender(stranger).owner(), owner);
}

// ------------------------------------------------ addLedger, depositFund, refund

#[motsu::test]
fn add_ledger_opens_one_ledger_per_user() {
    let env = Env::new();
    let alice = env.wallet("alice");
    let signer = [u(11), U256::MAX];
    let info = "x".repeat(70); // spans three storage words
    let opened = env
        .ledger
        .sender_and_value(alice, u(1000))
        .add_ledger(signer, info.clone())
        .motsu_unwrap();
    assert_eq!(opened, (u(1000), u(1000)));
    let expected = Ledger {
        user: alice,
        availableBalance: u(1000),
        totalBalance: u(1000),
        inferenceSigner: signer,
        additionalInfo: info,
        inferenceProviders: vec![],
        fineTuningProviders: vec![],
    };
    assert_eq!(env.ledger_of(alice), expected);
    assert_eq!(wallet(alice), u(FUNDS - 1000));

    let err = env
        .ledger
        .sender_and_value(alice, u(5))
        .add_ledger([U256::ZERO; 2], String::new())
        .motsu_unwrap_err();
    assert_eq!(err, LedgerExists { user: alice }.abi_encode());
    assert_eq!(env.ledger_of(alice), expected);
    assert_eq!(wallet(alice), u(FUNDS - 1000));

    // A ledger may start empty.
    let bob = env.user("bob", 0);
    assert_eq!(env.ledger_of(bob).totalBalance, U256::ZERO);

    let carol = Address::from_tag("carol");
    let err = env
        .ledger
        .sender(carol)
        .get_ledger(carol)
        .motsu_unwrap_err();
    assert_eq!(err, LedgerNotExists { user: carol }.abi_encode());
    env.check_invariants();
}

#[motsu::test]
fn deposit_fund_adds_to_the_available_balance() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.ledger
        .sender_and_value(alice, u(500))
        .deposit_fund()
        .motsu_unwrap();
    assert_eq!(env.available(alice), u(1500));
    assert_eq!(env.ledger_of(alice).totalBalance, u(1500));
    assert_eq!(wallet(alice), u(FUNDS - 1500));

    let bob = Address::from_tag("bob");
    bob.fund(u(100));
    let err = env
        .ledger
        .sender_and_value(bob, u(100))
        .deposit_fund()
        .motsu_unwrap_err();
    assert_eq!(err, LedgerNotExists { user: bob }.abi_encode());
    assert_eq!(wallet(bob), u(100));
    assert_eq!(env.ledger.balance(), u(1500));
    env.check_invariants();
}

#[motsu::test]
fn refund_pays_only_the_available_balance_to_the_user() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 600);

    env.ledger.sender(alice).refund(u(300)).motsu_unwrap();
    assert_eq!(wallet(alice), u(FUNDS - 1000 + 300));
    assert_eq!(env.available(alice), u(100));
    assert_eq!(env.ledger_of(alice).totalBalance, u(700));
    env.check_invariants();

    // The sub-account's funds are not available.
    let err = env.ledger.sender(alice).refund(u(101)).motsu_unwrap_err();
    assert_eq!(err, InsufficientBalance { user: alice }.abi_encode());
    assert_eq!(env.available(alice), u(100));
    assert_eq!(wallet(alice), u(FUNDS - 700));

    env.ledger.sender(alice).refund(u(100)).motsu_unwrap();
    assert_eq!(env.available(alice), U256::ZERO);
    assert_eq!(wallet(alice), u(FUNDS - 600));

    let bob = Address::from_tag("bob");
    let err = env.ledger.sender(bob).refund(U256::ZERO).motsu_unwrap_err();
    assert_eq!(err, LedgerNotExists { user: bob }.abi_encode());
    env.check_invariants();
}

// -------------------------------------------------------------- transferFund

#[motsu::test]
fn transfer_fund_refuses_unknown_service_types() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    // "fine-tuning" is refused while the fine-tuning contract is not set.
    for kind in ["foo", FINE_TUNING, "Inference", ""] {
        let err = env
            .ledger
            .sender(alice)
            .transfer_fund(env.provider, kind.into(), u(10))
            .motsu_unwrap_err();
        assert_eq!(
            err,
            InvalidServiceType {
                serviceType: kind.into()
            }
            .abi_encode()
        );
    }
    assert_eq!(env.available(alice), u(1000));
    assert!(!env.account_exists(alice, env.provider));
    env.check_invariants();
}

#[motsu::test]
fn transfer_fund_needs_a_provider_with_a_service() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    // Defect 11: no account with a provider that offers nothing.
    let nobody = Address::from_tag("nobody");
    let err = env
        .ledger
        .sender(alice)
        .transfer_fund(nobody, INFERENCE.into(), u(10))
        .motsu_unwrap_err();
    assert_eq!(err, ServiceNotExist { provider: nobody }.abi_encode());

    // Nor with one whose service was removed.
    let gone = Address::from_tag("gone");
    env.register(gone);
    env.inference.sender(gone).remove_service().motsu_unwrap();
    let err = env
        .ledger
        .sender(alice)
        .transfer_fund(gone, INFERENCE.into(), u(10))
        .motsu_unwrap_err();
    assert_eq!(err, ServiceNotExist { provider: gone }.abi_encode());

    assert!(!env.account_exists(alice, nobody));
    assert!(!env.account_exists(alice, gone));
    assert_eq!(
        env.ledger_of(alice).inferenceProviders,
        Vec::<Address>::new()
    );
    assert_eq!(env.available(alice), u(1000));

    let bob = Address::from_tag("bob");
    let err = env
        .ledger
        .sender(bob)
        .transfer_fund(env.provider, INFERENCE.into(), u(0))
        .motsu_unwrap_err();
    assert_eq!(err, LedgerNotExists { user: bob }.abi_encode());
    env.check_invariants();
}

#[motsu::test]
fn transfer_fund_needs_the_available_balance() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    let err = env
        .ledger
        .sender(alice)
        .transfer_fund(env.provider, INFERENCE.into(), u(1001))
        .motsu_unwrap_err();
    assert_eq!(err, InsufficientBalance { user: alice }.abi_encode());
    // The serving contract's half of the call is undone too.
    assert!(!env.account_exists(alice, env.provider));
    assert_eq!(
        env.ledger_of(alice).inferenceProviders,
        Vec::<Address>::new()
    );
    assert_eq!(env.available(alice), u(1000));

    env.transfer(alice, env.provider, 400);
    let err = env
        .ledger
        .sender(alice)
        .transfer_fund(env.provider, INFERENCE.into(), u(601))
        .motsu_unwrap_err();
    assert_eq!(err, InsufficientBalance { user: alice }.abi_encode());
    assert_eq!(env.account(alice, env.provider).balance, u(400));
    assert_eq!(env.available(alice), u(600));
    env.check_invariants();
}

#[motsu::test]
fn amounts_beyond_the_stored_widths_are_refused() {
    let env = Env::new();
    let two = U256::from(2);
    let whale = Address::from_tag("whale");
    whale.fund(two.pow(u(129)));
    // A ledger holds at most 2^128 - 1 wei.
    let err = env
        .ledger
        .sender_and_value(whale, two.pow(u(128)))
        .add_ledger([U256::ZERO; 2], String::new())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AmountTooLarge {
            amount: two.pow(u(128))
        }
        .abi_encode()
    );
    let max_account = two.pow(u(96)) - u(1);
    env.ledger
        .sender_and_value(whale, max_account + u(1))
        .add_ledger([U256::ZERO; 2], String::new())
        .motsu_unwrap();
    let err = env
        .ledger
        .sender_and_value(whale, two.pow(u(128)))
        .deposit_fund()
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AmountTooLarge {
            amount: two.pow(u(128)) + max_account + u(1)
        }
        .abi_encode()
    );

    // A sub-account holds at most 2^96 - 1 wei.
    let transfer = |amount: U256| {
        env.ledger
            .sender(whale)
            .transfer_fund(env.provider, INFERENCE.into(), amount)
    };
    let err = transfer(max_account + u(1)).motsu_unwrap_err();
    assert_eq!(
        err,
        AmountTooLarge {
            amount: max_account + u(1)
        }
        .abi_encode()
    );
    assert!(!env.account_exists(whale, env.provider));
    transfer(max_account).motsu_unwrap();
    let err = transfer(u(1)).motsu_unwrap_err();
    assert_eq!(err, AmountTooLarge { amount: u(1) }.abi_encode());
    assert_eq!(env.account(whale, env.provider).balance, max_account);
    assert_eq!(env.available(whale), u(1));
    env.check_invariants();
}

#[motsu::test]
fn transfer_fund_opens_an_account_then_tops_it_up() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 300);
    let account = env.account(alice, env.provider);
    assert_eq!((account.user, account.provider), (alice, env.provider));
    assert_eq!(
        (account.balance, account.pendingRefund),
        (u(300), U256::ZERO)
    );
    env.inference.assert_emitted(&BalanceUpdated {
        user: alice,
        provider: env.provider,
        amount: u(300),
        pendingRefund: U256::ZERO,
    });
    let ledger = env.ledger_of(alice);
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (u(700), u(1000))
    );
    assert_eq!(ledger.inferenceProviders, vec![env.provider]);

    env.transfer(alice, env.provider, 200);
    assert_eq!(env.account(alice, env.provider).balance, u(500));
    env.inference.assert_emitted(&BalanceUpdated {
        user: alice,
        provider: env.provider,
        amount: u(500),
        pendingRefund: U256::ZERO,
    });
    let ledger = env.ledger_of(alice);
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (u(500), u(1000))
    );
    assert_eq!(ledger.inferenceProviders, vec![env.provider]);

    let second = Address::from_tag("second provider");
    env.register(second);
    env.transfer(alice, second, 100);
    let ledger = env.ledger_of(alice);
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (u(400), u(1000))
    );
    assert_eq!(ledger.inferenceProviders, vec![env.provider, second]);
    env.check_invariants();
}

#[motsu::test]
fn transfer_fund_into_an_account_cancels_its_pending_refunds_first() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 500);
    env.retrieve(alice, vec![env.provider]);
    assert_eq!(env.account(alice, env.provider).pendingRefund, u(500));

    // 200 of the pending refund goes back into use; nothing leaves the ledger.
    env.transfer(alice, env.provider, 200);
    let account = env.account(alice, env.provider);
    assert_eq!((account.balance, account.pendingRefund), (u(500), u(300)));
    assert_eq!(
        account.refunds.iter().map(|r| r.amount).collect::<Vec<_>>(),
        vec![u(300)]
    );
    assert_eq!(env.available(alice), u(500));
    env.inference.assert_emitted(&BalanceUpdated {
        user: alice,
        provider: env.provider,
        amount: u(500),
        pendingRefund: u(300),
    });

    // 400 cancels the remaining 300 and takes 100 from the ledger.
    env.transfer(alice, env.provider, 400);
    let account = env.account(alice, env.provider);
    assert_eq!(
        (account.balance, account.pendingRefund),
        (u(600), U256::ZERO)
    );
    assert!(account.refunds.is_empty());
    assert_eq!(env.available(alice), u(400));
    env.check_invariants();
}

/// `count` providers with a registered service.
fn providers(env: &Env, count: usize) -> Vec<Address> {
    (0..count)
        .map(|i| {
            let provider = Address::from_tag(&format!("provider {i}"));
            env.register(provider);
            provider
        })
        .collect()
}

#[motsu::test]
fn a_ledger_has_at_most_64_providers_of_a_kind() {
    // With a fine-tuning contract, so that the overlap the next test shows
    // does not make getLedger call the zero address.
    let env = Env::with_fine_tuning();
    let alice = env.user("alice", 1000);
    let providers = providers(&env, MAX_PROVIDERS_PER_KIND + 1);
    for &provider in &providers[..MAX_PROVIDERS_PER_KIND] {
        env.transfer(alice, provider, 1);
    }
    let last = providers[MAX_PROVIDERS_PER_KIND];
    let err = env
        .ledger
        .sender(alice)
        .transfer_fund(last, INFERENCE.into(), u(1))
        .motsu_unwrap_err();
    let max = u(MAX_PROVIDERS_PER_KIND as u64);
    assert_eq!(
        err,
        TooManyProviders {
            count: max + u(1),
            max
        }
        .abi_encode()
    );
    assert!(!env.account_exists(alice, last));
    assert_eq!(
        env.ledger_of(alice).inferenceProviders,
        providers[..MAX_PROVIDERS_PER_KIND]
    );
    assert_eq!(
        env.available(alice),
        u(1000 - MAX_PROVIDERS_PER_KIND as u64)
    );
    // Topping up an existing account is still fine.
    env.transfer(alice, providers[0], 1);
    assert_eq!(env.ledger_of(alice).totalBalance, u(1000));
    // (No check_invariants here: the fine-tuning list is corrupt, see below.)
}

/// Regression: stylus-sdk 0.9's `#[storage]` undercounts a struct whose
/// packed fields precede a multi-slot field, which made the two provider
/// lists of a ledger overlap by one slot (see the storage layout rule in
/// `serving_contracts`).
#[motsu::test]
fn provider_lists_of_both_kinds_do_not_overlap() {
    let env = Env::with_fine_tuning();
    let alice = env.user("alice", 1000);
    let providers = providers(&env, MAX_PROVIDERS_PER_KIND);
    for &provider in &providers {
        env.transfer(alice, provider, 1);
    }
    let ledger = env.ledger_of(alice);
    assert_eq!(ledger.inferenceProviders, providers);
    assert_eq!(ledger.fineTuningProviders, Vec::<Address>::new());

    env.ledger
        .sender(alice)
        .transfer_fund(providers[0], FINE_TUNING.into(), u(1))
        .motsu_unwrap();
    let ledger = env.ledger_of(alice);
    assert_eq!(ledger.inferenceProviders, providers);
    assert_eq!(ledger.fineTuningProviders, vec![providers[0]]);
    env.check_invariants();
}

// -------------------------------------------------------------- retrieveFund

#[motsu::test]
fn retrieve_fund_checks_its_arguments() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 100);
    assert_eq!(env.ledger.sender(alice).max_providers_per_batch(), u(20));
    assert_eq!(MAX_PROVIDERS_PER_BATCH, 20);

    let many = vec![env.provider; MAX_PROVIDERS_PER_BATCH + 1];
    let err = env
        .ledger
        .sender(alice)
        .retrieve_fund(many, INFERENCE.into())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        TooManyProviders {
            count: u(21),
            max: u(20)
        }
        .abi_encode()
    );

    for kind in ["foo", FINE_TUNING] {
        let err = env
            .ledger
            .sender(alice)
            .retrieve_fund(vec![env.provider], kind.into())
            .motsu_unwrap_err();
        assert_eq!(
            err,
            InvalidServiceType {
                serviceType: kind.into()
            }
            .abi_encode()
        );
    }

    // One unknown account refuses the whole call: the first account's
    // refund is not queued either.
    let nobody = Address::from_tag("nobody");
    let err = env
        .ledger
        .sender(alice)
        .retrieve_fund(vec![env.provider, nobody], INFERENCE.into())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        AccountNotExists {
            user: alice,
            provider: nobody
        }
        .abi_encode()
    );
    assert_eq!(env.account(alice, env.provider).pendingRefund, U256::ZERO);

    let bob = Address::from_tag("bob");
    let err = env
        .ledger
        .sender(bob)
        .retrieve_fund(vec![], INFERENCE.into())
        .motsu_unwrap_err();
    assert_eq!(err, LedgerNotExists { user: bob }.abi_encode());
    env.check_invariants();
}

#[motsu::test]
fn retrieve_fund_takes_twenty_providers_at_once() {
    let env = Env::new();
    env.set_lock_time(&env.inference, 0);
    let alice = env.user("alice", 1000);
    let providers = providers(&env, MAX_PROVIDERS_PER_BATCH);
    for &provider in &providers {
        env.transfer(alice, provider, 10);
    }
    assert_eq!(env.available(alice), u(800));
    env.retrieve(alice, providers.clone());
    assert_eq!(env.available(alice), u(1000));
    for provider in providers {
        assert_eq!(env.account(alice, provider).balance, U256::ZERO);
    }
    env.check_invariants();
}

#[motsu::test]
fn retrieve_fund_returns_refunds_to_the_ledger_once_unlocked() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 600);

    // Locked: the balance is queued as a refund and stays in the account.
    env.retrieve(alice, vec![env.provider]);
    let account = env.account(alice, env.provider);
    assert_eq!((account.balance, account.pendingRefund), (u(600), u(600)));
    env.inference.assert_emitted(&BalanceUpdated {
        user: alice,
        provider: env.provider,
        amount: u(600),
        pendingRefund: u(600),
    });
    assert_eq!(env.available(alice), u(400));
    env.retrieve(alice, vec![env.provider]);
    assert_eq!(env.account(alice, env.provider).pendingRefund, u(600));
    assert_eq!(env.available(alice), u(400));
    env.check_invariants();

    // Unlocked: the refund returns to the available balance; the money
    // never left the ledger.
    // (A provider named twice pays once.)
    env.set_lock_time(&env.inference, 0);
    env.retrieve(alice, vec![env.provider, env.provider]);
    let account = env.account(alice, env.provider);
    assert_eq!(
        (account.balance, account.pendingRefund),
        (U256::ZERO, U256::ZERO)
    );
    assert!(account.refunds.is_empty());
    let ledger = env.ledger_of(alice);
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (u(1000), u(1000))
    );
    assert_eq!(env.ledger.balance(), u(1000));

    env.ledger.sender(alice).refund(u(1000)).motsu_unwrap();
    assert_eq!(wallet(alice), u(FUNDS));
    env.check_invariants();
}

// -------------------------------------------------------------- deleteLedger

#[motsu::test]
fn delete_ledger_refuses_while_anything_is_held() {
    let env = Env::new();
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 600);
    let refused = |total: u64| {
        let err = env.ledger.sender(alice).delete_ledger().motsu_unwrap_err();
        assert_eq!(
            err,
            LedgerHasFunds {
                user: alice,
                totalBalance: u(total)
            }
            .abi_encode()
        );
        assert_eq!(env.ledger_of(alice).totalBalance, u(total));
        assert!(env.account_exists(alice, env.provider));
    };

    // Defect 2: available balance and sub-account.
    refused(1000);
    // The sub-account alone.
    env.ledger.sender(alice).refund(u(400)).motsu_unwrap();
    refused(600);
    // A pending refund is still held.
    env.retrieve(alice, vec![env.provider]);
    refused(600);
    // Back in the available balance.
    env.set_lock_time(&env.inference, 0);
    env.retrieve(alice, vec![env.provider]);
    refused(600);
    env.check_invariants();
}

#[motsu::test]
fn delete_ledger_deletes_an_empty_ledger_and_its_accounts() {
    let env = Env::new();
    env.set_lock_time(&env.inference, 0);
    let alice = env.user("alice", 1000);
    let bob = env.user("bob", 10);
    let second = Address::from_tag("second provider");
    env.register(second);
    env.transfer(alice, env.provider, 600);
    env.transfer(alice, second, 100);
    env.transfer(bob, env.provider, 10);
    env.inference
        .sender(alice)
        .acknowledge_tee_signer(env.provider, Address::from_tag("tee"))
        .motsu_unwrap();
    env.retrieve(alice, vec![env.provider, second]);
    env.ledger.sender(alice).refund(u(1000)).motsu_unwrap();

    env.ledger.sender(alice).delete_ledger().motsu_unwrap();
    let err = env
        .ledger
        .sender(alice)
        .get_ledger(alice)
        .motsu_unwrap_err();
    assert_eq!(err, LedgerNotExists { user: alice }.abi_encode());
    assert!(!env.account_exists(alice, env.provider));
    assert!(!env.account_exists(alice, second));
    let (accounts, total) = env
        .inference
        .sender(alice)
        .get_accounts_by_provider(env.provider, U256::ZERO, U256::ZERO)
        .motsu_unwrap();
    assert_eq!(total, u(1));
    assert_eq!(accounts[0].user, bob);
    let (_, total) = env
        .ledger
        .sender(alice)
        .get_all_ledgers(U256::ZERO, U256::ZERO)
        .motsu_unwrap();
    assert_eq!(total, u(1));
    let err = env.ledger.sender(alice).delete_ledger().motsu_unwrap_err();
    assert_eq!(err, LedgerNotExists { user: alice }.abi_encode());
    env.check_invariants();

    // A new ledger starts afresh: the old accounts do not come back.
    env.ledger
        .sender_and_value(alice, u(50))
        .add_ledger([U256::ZERO; 2], String::new())
        .motsu_unwrap();
    assert_eq!(
        env.ledger_of(alice).inferenceProviders,
        Vec::<Address>::new()
    );
    env.transfer(alice, env.provider, 20);
    let account = env.account(alice, env.provider);
    assert_eq!(account.balance, u(20));
    assert_eq!(account.teeSignerAddress, Address::ZERO);
    env.check_invariants();
}

#[motsu::test]
fn deleting_ledgers_in_any_order_keeps_the_lists_consistent() {
    let env = Env::new();
    env.set_lock_time(&env.inference, 0);
    let users: Vec<Address> = ["a", "b", "c", "d"]
        .iter()
        .map(|tag| env.user(tag, 10))
        .collect();
    for &user in &users {
        env.transfer(user, env.provider, 10);
    }
    let sorted = |mut list: Vec<Address>| {
        list.sort();
        list
    };
    let listed = || {
        let (accounts, total) = env
            .inference
            .sender(env.owner)
            .get_accounts_by_provider(env.provider, U256::ZERO, U256::ZERO)
            .motsu_unwrap();
        assert_eq!(U256::from(accounts.len()), total);
        let (ledgers, _) = env
            .ledger
            .sender(env.owner)
            .get_all_ledgers(U256::ZERO, U256::ZERO)
            .motsu_unwrap();
        let ledger_users = sorted(ledgers.into_iter().map(|l| l.user).collect());
        let account_users = sorted(accounts.into_iter().map(|a| a.user).collect());
        assert_eq!(ledger_users, account_users);
        account_users
    };
    let mut left = users.clone();
    // First, last, middle, then the only one.
    for index in [0, 2, 1, 0] {
        let user = left.remove(index);
        env.retrieve(user, vec![env.provider]);
        env.ledger.sender(user).refund(u(10)).motsu_unwrap();
        env.ledger.sender(user).delete_ledger().motsu_unwrap();
        assert!(!env.account_exists(user, env.provider));
        assert_eq!(listed(), sorted(left.clone()));
        for &other in &left {
            assert_eq!(env.account(other, env.provider).balance, u(10));
        }
        env.check_invariants();
    }
    let (accounts, total) = env
        .inference
        .sender(env.owner)
        .get_all_accounts(U256::ZERO, U256::ZERO)
        .motsu_unwrap();
    assert_eq!((accounts.len(), total), (0, U256::ZERO));
}

// ------------------------------------------------------ getLedger, getAllLedgers

#[motsu::test]
fn get_all_ledgers_pages_through_every_ledger() {
    let env = Env::new();
    let users: Vec<Address> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, tag)| env.user(tag, i as u64 + 1))
        .collect();
    let page = |offset: u64, limit: u64| {
        let (ledgers, total) = env
            .ledger
            .sender(users[0])
            .get_all_ledgers(u(offset), u(limit))
            .motsu_unwrap();
        (
            ledgers.into_iter().map(|l| l.user).collect::<Vec<_>>(),
            total,
        )
    };
    assert_eq!(page(0, 0), (users.clone(), u(3)));
    assert_eq!(page(1, 1), (vec![users[1]], u(3)));
    assert_eq!(page(1, 0), (users[1..].to_vec(), u(3)));
    assert_eq!(page(2, 10), (vec![users[2]], u(3)));
    assert_eq!(page(3, 1), (vec![], u(3)));
    let (ledgers, total) = env
        .ledger
        .sender(users[0])
        .get_all_ledgers(U256::MAX, U256::ZERO)
        .motsu_unwrap();
    assert_eq!((ledgers, total), (vec![], u(3)));
    let err = env
        .ledger
        .sender(users[0])
        .get_all_ledgers(U256::ZERO, u(11))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(11),
            max: u(10)
        }
        .abi_encode()
    );

    // The fallback routes getAllLedgers with Solidity's return encoding.
    let call = IPagedViews::getAllLedgersCall {
        offset: u(1),
        limit: u(2),
    };
    let output = env
        .ledger
        .sender(users[0])
        .fallback(&call.abi_encode())
        .motsu_unwrap();
    let decoded = IPagedViews::getAllLedgersCall::abi_decode_returns(&output, true).unwrap();
    assert_eq!(decoded.total, u(3));
    assert_eq!(
        decoded.ledgers,
        vec![env.ledger_of(users[1]), env.ledger_of(users[2])]
    );
    let call = IPagedViews::getAllLedgersCall {
        offset: U256::ZERO,
        limit: u(11),
    };
    let err = env
        .ledger
        .sender(users[0])
        .fallback(&call.abi_encode())
        .motsu_unwrap_err();
    assert_eq!(
        err,
        InvalidLimit {
            limit: u(11),
            max: u(10)
        }
        .abi_encode()
    );
    assert!(env
        .ledger
        .sender(users[0])
        .fallback(&[0xde, 0xad, 0xbe, 0xef])
        .is_err());
}

// -------------------------------------------------------------------- owner

#[motsu::test]
fn ownership_can_be_transferred_and_renounced() {
    let env = Env::new();
    let stranger = Address::from_tag("stranger");
    let heir = Address::from_tag("heir");
    let unauthorized =
        |caller: Address| OwnableUnauthorizedAccount { account: caller }.abi_encode();

    let err = env
        .ledger
        .sender(stranger)
        .transfer_ownership(stranger)
        .motsu_unwrap_err();
    assert_eq!(err, unauthorized(stranger));
    let err = env
        .ledger
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
    assert_eq!(env.ledger.sender(stranger).owner(), env.owner);

    env.ledger
        .sender(env.owner)
        .transfer_ownership(heir)
        .motsu_unwrap();
    assert_eq!(env.ledger.sender(stranger).owner(), heir);
    env.ledger.assert_emitted(&OwnershipTransferred {
        previousOwner: env.owner,
        newOwner: heir,
    });

    let err = env
        .ledger
        .sender(env.owner)
        .renounce_ownership()
        .motsu_unwrap_err();
    assert_eq!(err, unauthorized(env.owner));
    env.ledger.sender(heir).renounce_ownership().motsu_unwrap();
    assert_eq!(env.ledger.sender(stranger).owner(), Address::ZERO);
    env.ledger.assert_emitted(&OwnershipTransferred {
        previousOwner: heir,
        newOwner: Address::ZERO,
    });
    let err = env
        .ledger
        .sender(heir)
        .transfer_ownership(heir)
        .motsu_unwrap_err();
    assert_eq!(err, unauthorized(heir));
}

// ------------------------------------------- receive, payProvider, userInfo

#[motsu::test]
fn plain_value_transfers_are_refused() {
    let env = Env::new();
    let alice = Address::from_tag("alice");
    alice.fund(u(5));
    let err = env
        .ledger
        .sender_and_value(alice, u(5))
        .receive()
        .motsu_unwrap_err();
    assert_eq!(err, ValueNotAccepted {}.abi_encode());
    assert_eq!(wallet(alice), u(5));
    assert_eq!(env.ledger.balance(), U256::ZERO);
}

#[motsu::test]
fn pay_provider_and_user_info_serve_only_the_serving_contracts() {
    let env = Env::new();
    let alice = env.wallet("alice");
    env.ledger
        .sender_and_value(alice, u(1000))
        .add_ledger([u(1), u(2)], "info".into())
        .motsu_unwrap();
    env.transfer(alice, env.provider, 100);

    for caller in [alice, env.owner, env.provider] {
        let err = env
            .ledger
            .sender(caller)
            .pay_provider(caller, u(1))
            .motsu_unwrap_err();
        assert_eq!(err, Unauthorized { caller }.abi_encode());
    }
    assert_eq!(wallet(env.provider), U256::ZERO);
    assert_eq!(env.ledger.balance(), u(1000));

    // The inference contract is served (settlement pays this way), out of
    // its escrow: what its sub-accounts hold (100), never more.
    env.ledger
        .sender(env.inference.address())
        .pay_provider(env.provider, u(40))
        .motsu_unwrap();
    assert_eq!(wallet(env.provider), u(40));
    assert_eq!(env.ledger.balance(), u(960));
    assert_eq!(env.escrow(env.inference.address()), u(60));
    let serving = env.inference.address();
    let err = env
        .ledger
        .sender(serving)
        .pay_provider(env.provider, u(61))
        .motsu_unwrap_err();
    assert_eq!(
        err,
        EscrowExceeded {
            serving,
            amount: u(61),
            escrow: u(60)
        }
        .abi_encode()
    );
    // The other serving contract holds nothing of alice's: it can pay out
    // nothing, whatever the ledger holds.
    if let Some(fine_tuning) = &env.fine_tuning {
        let serving = fine_tuning.address();
        let err = env
            .ledger
            .sender(serving)
            .pay_provider(env.provider, u(1))
            .motsu_unwrap_err();
        assert_eq!(
            err,
            EscrowExceeded {
                serving,
                amount: u(1),
                escrow: U256::ZERO
            }
            .abi_encode()
        );
    }
    assert_eq!(wallet(env.provider), u(40));

    // userInfo lists the caller's kind of providers when asked; others get
    // none.
    let info = |caller: Address, with_providers: bool| {
        let stranger = Address::repeat_byte(0x99);
        let infos = env
            .ledger
            .sender(caller)
            .user_info(vec![alice, stranger], with_providers)
            .motsu_unwrap();
        assert_eq!(infos[1], UserInfo::default(), "a user without a ledger");
        infos[0].clone()
    };
    let expected = UserInfo {
        signer: [u(1), u(2)],
        additionalInfo: "info".into(),
        providers: vec![env.provider],
    };
    assert_eq!(info(env.inference.address(), true), expected);
    let without = UserInfo {
        providers: vec![],
        ..expected.clone()
    };
    assert_eq!(info(env.inference.address(), false), without);
    assert_eq!(info(alice, true), without);
    // At most a batch of users at once.
    let users = vec![alice; serving_contracts::account_views::MAX_BATCH_USERS + 1];
    assert_eq!(
        env.ledger
            .sender(env.inference.address())
            .user_info(users, false)
            .motsu_unwrap_err(),
        InvalidLimit {
            limit: u(101),
            max: u(100)
        }
        .abi_encode()
    );
}

// ------------------------------------------------------------- fine-tuning

#[motsu::test]
fn fine_tuning_funds_live_in_the_fine_tuning_contract() {
    let env = Env::with_fine_tuning();
    let fine_tuning = env.serving(FINE_TUNING);
    assert_eq!(
        env.ledger.sender(env.owner).fine_tuning_address(),
        fine_tuning.address()
    );
    env.set_lock_time(fine_tuning, 0);
    let alice = env.user("alice", 1000);
    env.transfer(alice, env.provider, 300);
    env.ledger
        .sender(alice)
        .transfer_fund(env.provider, FINE_TUNING.into(), u(200))
        .motsu_unwrap();

    let ledger = env.ledger_of(alice);
    assert_eq!(
        (ledger.availableBalance, ledger.totalBalance),
        (u(500), u(1000))
    );
    assert_eq!(ledger.inferenceProviders, vec![env.provider]);
    assert_eq!(ledger.fineTuningProviders, vec![env.provider]);
    let held = |serving: &Contract<InferenceServing>| {
        serving
            .sender(alice)
            .get_account(alice, env.provider)
            .motsu_unwrap()
            .balance
    };
    assert_eq!((held(&env.inference), held(fine_tuning)), (u(300), u(200)));
    let info = env
        .ledger
        .sender(fine_tuning.address())
        .user_info(vec![alice], true)
        .motsu_unwrap()
        .remove(0);
    assert_eq!(info.providers, vec![env.provider]);
    env.check_invariants();

    // Retrieving fine-tuning funds leaves the inference account alone.
    env.ledger
        .sender(alice)
        .retrieve_fund(vec![env.provider], FINE_TUNING.into())
        .motsu_unwrap();
    assert_eq!(
        (held(&env.inference), held(fine_tuning)),
        (u(300), U256::ZERO)
    );
    assert_eq!(env.available(alice), u(700));
    let err = env.ledger.sender(alice).delete_ledger().motsu_unwrap_err();
    assert_eq!(
        err,
        LedgerHasFunds {
            user: alice,
            totalBalance: u(1000)
        }
        .abi_encode()
    );
    env.check_invariants();

    // Emptied everywhere, the ledger goes with the accounts of both kinds.
    env.set_lock_time(&env.inference, 0);
    env.retrieve(alice, vec![env.provider]);
    env.ledger.sender(alice).refund(u(1000)).motsu_unwrap();
    env.ledger.sender(alice).delete_ledger().motsu_unwrap();
    for serving in env.servings() {
        assert!(!serving.sender(alice).account_exists(alice, env.provider));
    }
    assert_eq!(wallet(alice), u(FUNDS));
    env.check_invariants();
}
