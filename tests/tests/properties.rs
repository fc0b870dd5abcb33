//! Property tests: random sequences of user, provider and owner actions
//! through LedgerManager, InferenceServing and FineTuningServing (motsu,
//! native), with the
//! invariants of the architecture page checked after every step:
//! - per user: ledger total = available + the user's sub-account balances;
//! - the ledger's token balance = the sum of all ledgers' totals, and no
//!   token appears or disappears (wallets + ledger stay constant);
//! - per sub-account: pending refund <= balance, live refunds sum to the
//!   pending refund, at most 30 of them;
//! - a nonce only grows, and a signed record settles at most once.
//!
//! `PROPTEST_CASES` raises the number of cases (default 64).

extern crate alloc;

use std::collections::{HashMap, HashSet};

use alloy_json_abi::{JsonAbi, StateMutability};
use alloy_primitives::{Address, B256, U256};
use fine_tuning_serving::FineTuningServing;
use inference_serving::{AccountViews, InferenceServing};
use k256::ecdsa::SigningKey;
use ledger_manager::LedgerManager;
use motsu::prelude::*;
use proptest::prelude::*;
use rand::Rng;
use serving_contracts::{
    abi::{
        fine_tuning::{Quota, VerifierInput},
        ServiceParams, TEESettlementData,
    },
    testing::Wallet,
};
use serving_harness::{
    fuzz::{self, CalldataGen, Outcome},
    market::in_process::MotsuDeployment,
};
use serving_verifier::{native, settlement_digest, verifier_input_digest};

const USERS: usize = 4;
const PROVIDERS: usize = 2;
const FUNDS: u64 = 1_000_000;

#[derive(Debug, Clone)]
enum Op {
    AddLedger {
        user: usize,
        amount: u64,
    },
    Deposit {
        user: usize,
        amount: u64,
    },
    Refund {
        user: usize,
        amount: u64,
    },
    Transfer {
        user: usize,
        provider: usize,
        amount: u64,
    },
    Retrieve {
        user: usize,
        providers: Vec<usize>,
    },
    Acknowledge {
        user: usize,
        provider: usize,
        genuine: bool,
    },
    Settle {
        provider: usize,
        records: Vec<(usize, u64, u8, bool)>,
    },
    Replay {
        provider: usize,
    },
    LockTime {
        unlocked: bool,
    },
    DeleteLedger {
        user: usize,
    },
    Service {
        provider: usize,
        present: bool,
    },
    FtTransfer {
        user: usize,
        provider: usize,
        amount: u64,
    },
    FtDeliver {
        user: usize,
        provider: usize,
        id: u8,
    },
    FtAcknowledge {
        user: usize,
        provider: usize,
        id: u8,
    },
    FtSettle(FtSettle),
    FtRetrieve {
        user: usize,
        provider: usize,
    },
}

/// A fine-tuning settlement of deliverable `id` by `provider` for `user`:
/// `fee`, the nonce `step` past the last, a secret or none.
#[derive(Clone, Debug)]
struct FtSettle {
    user: usize,
    provider: usize,
    id: u8,
    fee: u64,
    step: u8,
    with_secret: bool,
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS;
    let provider = 0..PROVIDERS;
    prop_oneof![
        2 => (user.clone(), 0..50_000u64).prop_map(|(user, amount)| Op::AddLedger { user, amount }),
        1 => (user.clone(), 0..20_000u64).prop_map(|(user, amount)| Op::Deposit { user, amount }),
        1 => (user.clone(), 0..20_000u64).prop_map(|(user, amount)| Op::Refund { user, amount }),
        3 => (user.clone(), provider.clone(), 0..20_000u64)
            .prop_map(|(user, provider, amount)| Op::Transfer { user, provider, amount }),
        2 => (user.clone(), proptest::collection::vec(provider.clone(), 0..3))
            .prop_map(|(user, providers)| Op::Retrieve { user, providers }),
        2 => (user.clone(), provider.clone(), proptest::bool::weighted(0.85))
            .prop_map(|(user, provider, genuine)| Op::Acknowledge { user, provider, genuine }),
        4 => (
            provider.clone(),
            proptest::collection::vec(
                (user.clone(), 0..15_000u64, 0..3u8, proptest::bool::weighted(0.9)),
                1..5
            )
        )
            .prop_map(|(provider, records)| Op::Settle { provider, records }),
        1 => provider.clone().prop_map(|provider| Op::Replay { provider }),
        1 => any::<bool>().prop_map(|unlocked| Op::LockTime { unlocked }),
        1 => user.clone().prop_map(|user| Op::DeleteLedger { user }),
        1 => (provider.clone(), proptest::bool::weighted(0.7))
            .prop_map(|(provider, present)| Op::Service { provider, present }),
        2 => (user.clone(), provider.clone(), 0..20_000u64)
            .prop_map(|(user, provider, amount)| Op::FtTransfer { user, provider, amount }),
        2 => (user.clone(), provider.clone(), 0..4u8)
            .prop_map(|(user, provider, id)| Op::FtDeliver { user, provider, id }),
        1 => (user.clone(), provider.clone(), 0..4u8)
            .prop_map(|(user, provider, id)| Op::FtAcknowledge { user, provider, id }),
        3 => (user.clone(), provider.clone(), 0..4u8, 0..15_000u64, 0..3u8, any::<bool>())
            .prop_map(|(user, provider, id, fee, step, with_secret)| Op::FtSettle(FtSettle {
                user, provider, id, fee, step, with_secret
            })),
        1 => (user, provider).prop_map(|(user, provider)| Op::FtRetrieve { user, provider }),
    ]
}

/// Checks a sub-account of either kind (`getAccount`'s result): its
/// refunds sum to its pending refund, which its balance covers; returns its
/// balance.
macro_rules! check_account {
    ($account:expr) => {{
        let account = $account.unwrap();
        let pending = account.pendingRefund;
        assert!(pending <= account.balance, "pending above balance");
        let refunds: U256 = account.refunds.iter().map(|r| r.amount).sum();
        assert_eq!(refunds, pending, "refunds do not sum to pending");
        assert!(account.refunds.len() <= 30);
        let live = U256::from(account.refunds.len());
        assert_eq!(account.validRefundsLength, live);
        account.balance
    }};
}

struct Market {
    /// The contracts, with the ecrecover precompile (dropped with the
    /// market).
    contracts: MotsuDeployment,
    _wallets: Vec<Contract<Wallet>>,
    users: Vec<Address>,
    providers: Vec<Address>,
    tee_keys: Vec<SigningKey>,
    nonces: HashMap<(usize, usize), u64>,
    last_batch: HashMap<usize, Vec<TEESettlementData>>,
    settled: HashSet<B256>,
    ft_nonces: HashMap<(usize, usize), u64>,
    ft_settled: HashSet<B256>,
    total_money: U256,
    /// Inference's lock time: motsu's clock stands still, so a replaced TEE
    /// signer stays valid exactly while it is not zero.
    lock_time: u64,
    /// The TEE signer each inference account's signer replaced (what the
    /// contract keeps for the signer grace), by (user, provider).
    replaced_signers: HashMap<(Address, Address), Address>,
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn service() -> ServiceParams {
    ServiceParams {
        serviceType: "chatbot".into(),
        url: "https://provider.example".into(),
        model: "llama".into(),
        verifiability: "TeeML".into(),
        inputPrice: U256::from(1),
        outputPrice: U256::from(2),
        additionalInfo: String::new(),
    }
}

impl Market {
    fn new() -> Self {
        let contracts = MotsuDeployment::new(0, 30);
        let (inference, fine_tuning) = (&contracts.inference, &contracts.fine_tuning);
        let wallets: Vec<Contract<Wallet>> = (0..USERS + PROVIDERS)
            .map(|i| Contract::new_at(Address::repeat_byte(0xb0 + i as u8)))
            .collect();
        let users: Vec<Address> = wallets[..USERS].iter().map(Contract::address).collect();
        let providers: Vec<Address> = wallets[USERS..].iter().map(Contract::address).collect();
        for user in &users {
            user.fund(U256::from(FUNDS));
        }
        let tee_keys: Vec<SigningKey> = (0..PROVIDERS as u8).map(|i| key(i + 1)).collect();
        for (provider, key) in providers.iter().zip(&tee_keys) {
            inference
                .sender(*provider)
                .add_or_update_service(service())
                .unwrap();
            fine_tuning
                .sender(*provider)
                .add_or_update_service(
                    "https://trainer.example".into(),
                    Quota {
                        cpuCount: U256::from(8),
                        nodeMemory: U256::from(64),
                        gpuCount: U256::from(1),
                        nodeStorage: U256::from(500),
                        gpuType: "H100".into(),
                    },
                    U256::from(1),
                    native::address(key.verifying_key()),
                    false,
                    vec!["llama".into()],
                )
                .unwrap();
        }
        Market {
            contracts,
            _wallets: wallets,
            users,
            providers,
            tee_keys,
            nonces: HashMap::new(),
            last_batch: HashMap::new(),
            settled: HashSet::new(),
            ft_nonces: HashMap::new(),
            ft_settled: HashSet::new(),
            lock_time: 0,
            replaced_signers: HashMap::new(),
            total_money: U256::from(FUNDS) * U256::from(USERS),
        }
    }

    fn record(
        &mut self,
        provider: usize,
        user: usize,
        fee: u64,
        step: u8,
        genuine: bool,
    ) -> TEESettlementData {
        let nonce = self.nonces.entry((user, provider)).or_insert(0);
        // step 0 replays the last nonce used for this pair.
        *nonce += u64::from(step);
        let nonce = U256::from(*nonce);
        let (p, u) = (self.providers[provider], self.users[user]);
        let requests_hash = B256::with_last_byte(step);
        let digest = settlement_digest(requests_hash, nonce, p, u, U256::from(fee));
        let signer = if genuine {
            &self.tee_keys[provider]
        } else {
            &self.tee_keys[(provider + 1) % PROVIDERS]
        };
        TEESettlementData {
            user: u,
            provider: p,
            totalFee: U256::from(fee),
            requestsHash: requests_hash,
            nonce,
            signature: native::sign(signer, digest).to_vec().into(),
        }
    }

    /// Every user opens a ledger, funds every provider and acknowledges its
    /// TEE signer, so that random sequences reach settlement often.
    fn open_accounts(&mut self) {
        for user in 0..USERS {
            self.apply(Op::AddLedger {
                user,
                amount: 40_000,
            });
            for provider in 0..PROVIDERS {
                self.apply(Op::Transfer {
                    user,
                    provider,
                    amount: 10_000,
                });
                self.apply(Op::Acknowledge {
                    user,
                    provider,
                    genuine: true,
                });
                self.apply(Op::FtTransfer {
                    user,
                    provider,
                    amount: 5_000,
                });
                let signer = native::address(self.tee_keys[provider].verifying_key());
                let _ = self
                    .contracts
                    .fine_tuning
                    .sender(self.users[user])
                    .acknowledge_provider_signer(self.providers[provider], signer)
                    .motsu_res();
            }
        }
    }

    /// Settles a batch, checking the contract's outcome against a model of
    /// the per-record checks, and that no record settles twice.
    fn settle(&mut self, provider: usize, batch: Vec<TEESettlementData>) {
        let p = self.providers[provider];
        // Per user: stored nonce, balance and acknowledged signer (zero: none).
        let mut state: HashMap<Address, (U256, U256, Address)> = HashMap::new();
        let mut expected_failed = Vec::new();
        let mut expected_paid = U256::ZERO;
        let mut settled_now = Vec::new();
        for record in &batch {
            let user = record.user;
            let entry = state.entry(user).or_insert_with(|| {
                match self
                    .contracts
                    .inference
                    .sender(p)
                    .get_account(user, p)
                    .motsu_res()
                {
                    Ok(a) => (a.nonce, a.balance, a.teeSignerAddress),
                    Err(_) => (U256::MAX, U256::ZERO, Address::ZERO),
                }
            });
            let signer = native::recover(
                settlement_digest(record.requestsHash, record.nonce, p, user, record.totalFee),
                &record.signature,
            )
            .unwrap_or_default();
            let replaced = self.replaced_signers.get(&(user, p)).copied();
            let signed_by_acknowledged = !signer.is_zero()
                && (signer == entry.2 || (Some(signer) == replaced && self.lock_time > 0));
            let ok = signed_by_acknowledged && record.nonce > entry.0 && record.totalFee <= entry.1;
            if ok {
                entry.0 = record.nonce;
                entry.1 -= record.totalFee;
                expected_paid += record.totalFee;
                settled_now.push(settlement_digest(
                    record.requestsHash,
                    record.nonce,
                    p,
                    user,
                    record.totalFee,
                ));
            } else {
                expected_failed.push(user);
            }
        }
        let paid_before = native_balance(p);
        let failed = self
            .contracts
            .inference
            .sender(p)
            .settle_fees_with_tee(batch.clone())
            .unwrap();
        assert_eq!(
            failed, expected_failed,
            "failed records differ from the model"
        );
        assert_eq!(
            native_balance(p) - paid_before,
            expected_paid,
            "provider paid a wrong amount"
        );
        for id in settled_now {
            assert!(self.settled.insert(id), "a record settled twice");
        }
        self.last_batch.insert(provider, batch);
    }

    /// Settles a deliverable with a signed verifier input; whether it is
    /// accepted is the contract's call, but an input never settles twice
    /// and the provider is paid exactly what the account lost.
    fn settle_fine_tuning(&mut self, settle: FtSettle) {
        let FtSettle {
            user,
            provider,
            id,
            fee,
            step,
            with_secret,
        } = settle;
        let (u, p) = (self.users[user], self.providers[provider]);
        let nonce = self.ft_nonces.entry((user, provider)).or_insert(0);
        *nonce += u64::from(step);
        let nonce = U256::from(*nonce);
        let secret: Vec<u8> = if with_secret {
            b"encrypted key".to_vec()
        } else {
            Vec::new()
        };
        let root = root_hash(id);
        let key = &self.tee_keys[provider];
        let signer = native::address(key.verifying_key());
        let digest = verifier_input_digest(&secret, &root, nonce, signer, U256::from(fee), u);
        let input = VerifierInput {
            id: id.to_string(),
            encryptedSecret: secret.into(),
            modelRootHash: root.to_vec().into(),
            nonce,
            providerSigner: signer,
            signature: native::sign(key, digest).to_vec().into(),
            taskFee: U256::from(fee),
            user: u,
        };
        let balance_before = self
            .contracts
            .fine_tuning
            .sender(u)
            .get_account(u, p)
            .motsu_res()
            .map(|a| a.balance);
        let paid_before = native_balance(p);
        if self
            .contracts
            .fine_tuning
            .sender(p)
            .settle_fees(input)
            .motsu_res()
            .is_ok()
        {
            assert!(
                self.ft_settled.insert(digest),
                "a verifier input settled twice"
            );
            let balance = self
                .contracts
                .fine_tuning
                .sender(u)
                .get_account(u, p)
                .unwrap()
                .balance;
            let charged = balance_before.unwrap() - balance;
            assert!(charged <= U256::from(fee), "charged more than the fee");
            assert_eq!(
                native_balance(p) - paid_before,
                charged,
                "provider paid what the account lost"
            );
        }
    }

    /// `transferFund` by user `user` to provider `provider` of `kind`.
    fn transfer(&self, user: usize, provider: usize, kind: &str, amount: u64) {
        let (user, provider) = (self.users[user], self.providers[provider]);
        let mut call = self.contracts.ledger.sender(user);
        let _ = call
            .transfer_fund(provider, kind.into(), U256::from(amount))
            .motsu_res();
    }

    /// `retrieveFund` by user `user` from providers `providers` of `kind`.
    fn retrieve(&self, user: usize, providers: Vec<usize>, kind: &str) {
        let providers = providers.into_iter().map(|p| self.providers[p]).collect();
        let mut call = self.contracts.ledger.sender(self.users[user]);
        let _ = call.retrieve_fund(providers, kind.into()).motsu_res();
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::AddLedger { user, amount } => {
                let _ = self
                    .contracts
                    .ledger
                    .sender_and_value(self.users[user], U256::from(amount))
                    .add_ledger([U256::ZERO; 2], String::new())
                    .motsu_res();
            }
            Op::Deposit { user, amount } => {
                let _ = self
                    .contracts
                    .ledger
                    .sender_and_value(self.users[user], U256::from(amount))
                    .deposit_fund()
                    .motsu_res();
            }
            Op::Refund { user, amount } => {
                let _ = self
                    .contracts
                    .ledger
                    .sender(self.users[user])
                    .refund(U256::from(amount))
                    .motsu_res();
            }
            Op::Transfer {
                user,
                provider,
                amount,
            } => self.transfer(user, provider, "inference", amount),
            Op::Retrieve { user, providers } => self.retrieve(user, providers, "inference"),
            Op::Acknowledge {
                user,
                provider,
                genuine,
            } => {
                let key = if genuine {
                    &self.tee_keys[provider]
                } else {
                    &self.tee_keys[(provider + 1) % PROVIDERS]
                };
                let signer = native::address(key.verifying_key());
                let (u, p) = (self.users[user], self.providers[provider]);
                let current = self
                    .contracts
                    .inference
                    .sender(u)
                    .get_account(u, p)
                    .map(|a| a.teeSignerAddress)
                    .unwrap_or_default();
                let changed = self
                    .contracts
                    .inference
                    .sender(u)
                    .acknowledge_tee_signer(p, signer)
                    .motsu_res()
                    .is_ok();
                if changed && current != signer && !current.is_zero() {
                    self.replaced_signers.insert((u, p), current);
                }
            }
            Op::Settle { provider, records } => {
                let batch = records
                    .into_iter()
                    .map(|(user, fee, step, genuine)| {
                        self.record(provider, user, fee, step, genuine)
                    })
                    .collect();
                self.settle(provider, batch);
            }
            Op::Replay { provider } => {
                if let Some(batch) = self.last_batch.get(&provider).cloned() {
                    self.settle(provider, batch);
                }
            }
            Op::LockTime { unlocked } => {
                self.lock_time = if unlocked { 0 } else { 86_400 };
                self.contracts
                    .inference
                    .sender(self.contracts.owner)
                    .update_lock_time(U256::from(self.lock_time))
                    .unwrap();
            }
            Op::DeleteLedger { user } => {
                let _ = self
                    .contracts
                    .ledger
                    .sender(self.users[user])
                    .delete_ledger()
                    .motsu_res();
            }
            Op::FtTransfer {
                user,
                provider,
                amount,
            } => self.transfer(user, provider, "fine-tuning", amount),
            Op::FtDeliver { user, provider, id } => {
                let _ = self
                    .contracts
                    .fine_tuning
                    .sender(self.providers[provider])
                    .add_deliverable(
                        self.users[user],
                        id.to_string(),
                        root_hash(id).to_vec().into(),
                    )
                    .motsu_res();
            }
            Op::FtAcknowledge { user, provider, id } => {
                let _ = self
                    .contracts
                    .fine_tuning
                    .sender(self.users[user])
                    .acknowledge_deliverable(self.providers[provider], id.to_string())
                    .motsu_res();
            }
            Op::FtSettle(settle) => self.settle_fine_tuning(settle),
            Op::FtRetrieve { user, provider } => self.retrieve(user, vec![provider], "fine-tuning"),
            Op::Service { provider, present } => {
                let p = self.providers[provider];
                let _ = if present {
                    self.contracts
                        .inference
                        .sender(p)
                        .add_or_update_service(service())
                        .motsu_res()
                } else {
                    self.contracts
                        .inference
                        .sender(p)
                        .remove_service()
                        .motsu_res()
                };
            }
        }
    }

    fn check_invariants(&self) {
        let (ledger_contract, inference, fine_tuning) = (
            &self.contracts.ledger,
            &self.contracts.inference,
            &self.contracts.fine_tuning,
        );
        let mut ledgers_total = U256::ZERO;
        let mut available = U256::ZERO;
        let mut held = [U256::ZERO; 2];
        let mut pairs = [Vec::new(), Vec::new()];
        for &user in &self.users {
            let Ok(ledger) = ledger_contract.sender(user).get_ledger(user) else {
                // No ledger: no sub-account may hold funds.
                for &p in &self.providers {
                    assert!(!inference.sender(user).account_exists(user, p));
                    assert!(!fine_tuning.sender(user).account_exists(user, p));
                }
                continue;
            };
            let mut sum = U256::ZERO;
            // Every provider with an account is in the ledger's lists, and
            // the totals count every account in them (also with providers
            // the market did not make: the calldata fuzz registers some).
            for &p in &self.providers {
                if inference.sender(user).account_exists(user, p) {
                    assert!(ledger.inferenceProviders.contains(&p));
                }
                if fine_tuning.sender(user).account_exists(user, p) {
                    assert!(ledger.fineTuningProviders.contains(&p));
                }
            }
            for &p in &ledger.inferenceProviders {
                let balance = check_account!(inference.sender(user).get_account(user, p));
                (sum, held[0]) = (sum + balance, held[0] + balance);
                pairs[0].push((user, p));
            }
            for &p in &ledger.fineTuningProviders {
                let balance = check_account!(fine_tuning.sender(user).get_account(user, p));
                (sum, held[1]) = (sum + balance, held[1] + balance);
                pairs[1].push((user, p));
            }
            assert_eq!(
                ledger.totalBalance,
                ledger.availableBalance + sum,
                "ledger total"
            );
            ledgers_total += ledger.totalBalance;
            available += ledger.availableBalance;
        }
        assert_eq!(
            ledger_contract.balance(),
            ledgers_total,
            "ledger holds the sum of totals"
        );
        // Each serving contract's escrow in the ledger is what its
        // sub-accounts hold; the ledger holds the available balances and
        // the escrows.
        self.check_account_lists(pairs);
        let escrows = [inference.address(), fine_tuning.address()].map(|serving| {
            ledger_contract
                .sender(self.contracts.owner)
                .escrow_of(serving)
        });
        assert_eq!(escrows, held, "escrow = sub-accounts");
        assert_eq!(
            ledger_contract.balance(),
            available + escrows[0] + escrows[1],
            "ledger = available + escrows"
        );
        let wallets: U256 = self
            .users
            .iter()
            .chain(&self.providers)
            .map(|a| native_balance(*a))
            .sum();
        assert_eq!(
            wallets + ledger_contract.balance(),
            self.total_money,
            "money created or lost"
        );
        assert_eq!(
            inference.balance(),
            U256::ZERO,
            "serving contract holds no value"
        );
        assert_eq!(
            fine_tuning.balance(),
            U256::ZERO,
            "serving contract holds no value"
        );
    }

    /// The account lists the paged views read (every account, each
    /// provider's) hold exactly the accounts of the ledgers' lists: `pairs`,
    /// per serving contract.
    fn check_account_lists(&self, mut pairs: [Vec<(Address, Address)>; 2]) {
        let all = U256::ZERO;
        let inference = self.contracts.inference.sender(self.contracts.owner);
        let fine_tuning = self.contracts.fine_tuning.sender(self.contracts.owner);
        let listed = [
            inference
                .get_all_accounts(all, all)
                .unwrap()
                .0
                .iter()
                .map(|a| (a.user, a.provider))
                .collect::<Vec<_>>(),
            fine_tuning
                .get_all_accounts(all, all)
                .unwrap()
                .0
                .iter()
                .map(|a| (a.user, a.provider))
                .collect(),
        ];
        for (mut listed, want) in listed.into_iter().zip(&mut pairs) {
            listed.sort();
            want.sort();
            assert_eq!(&listed, want, "getAllAccounts lists every account once");
        }
        for &p in &self.providers {
            let mut listed: Vec<_> = inference
                .get_accounts_by_provider(p, all, all)
                .unwrap()
                .0
                .iter()
                .map(|a| (a.user, a.provider))
                .collect();
            listed.sort();
            let want: Vec<_> = pairs[0].iter().filter(|(_, q)| *q == p).copied().collect();
            assert_eq!(
                listed, want,
                "getAccountsByProvider lists the provider's accounts"
            );
        }
    }

    fn check_nonces_grow(&self, before: &HashMap<(usize, usize), U256>) {
        // A deleted account is gone; a live one's nonce only grows.
        for (now_key, now) in self.nonces() {
            if let Some(old) = before.get(&now_key) {
                assert!(now >= *old, "nonce went down");
            }
        }
    }

    fn nonces(&self) -> HashMap<(usize, usize), U256> {
        let mut out = HashMap::new();
        for u in 0..USERS {
            for p in 0..PROVIDERS {
                let (user, provider) = (self.users[u], self.providers[p]);
                if self
                    .contracts
                    .inference
                    .sender(user)
                    .account_exists(user, provider)
                {
                    out.insert(
                        (u, p),
                        self.contracts
                            .inference
                            .sender(user)
                            .get_account(user, provider)
                            .unwrap()
                            .nonce,
                    );
                }
            }
        }
        out
    }
}

/// The native balance of an address (motsu reads it through the VM).
fn native_balance(account: Address) -> U256 {
    #[allow(deprecated)]
    stylus_sdk::types::AddressVM::balance(&account)
}

fn root_hash(id: u8) -> [u8; 32] {
    *alloy_primitives::keccak256([id])
}

/// One motsu market at a time: motsu's shared storage is not safe under
/// two busy threads (the property test and the calldata fuzz).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_every_step(ops in proptest::collection::vec(op(), 1..40)) {
        let _serial = serial();
        // motsu keeps one VM per thread: a thread per case keeps cases apart.
        std::thread::spawn(move || {
            let mut market = Market::new();
            market.open_accounts();
            market.check_invariants();
            for op in ops {
                let before = market.nonces();
                market.apply(op);
                market.check_invariants();
                market.check_nonces_grow(&before);
            }
        })
        .join()
        .map_err(|_| TestCaseError::fail("an invariant broke (see the panic above)"))?;
    }
}

// ------------------------------------------------------------ calldata fuzz

/// A program's router, as its entrypoint runs it.
type Route = fn(Vec<u8>, stylus_sdk::host::VM) -> stylus_sdk::ArbResult;

/// One deployable program under the fuzz: its contract's JSON ABI (the
/// functions to call and the errors it may revert with), the router, and
/// whether it also answers every selector its router does not know
/// (a main program's fallback) instead of reverting empty.
struct Fuzzed {
    name: &'static str,
    abi: JsonAbi,
    route: Route,
    has_fallback: bool,
}

fn ledger_router(input: Vec<u8>, vm: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    stylus_sdk::abi::router_entrypoint::<LedgerManager, LedgerManager>(input, vm)
}

/// The five programs, with the contract each runs on (0: ledger, 1:
/// inference, 2: fine-tuning).
fn fuzzed_programs() -> Vec<(usize, Fuzzed)> {
    let (ledger, inference, fine_tuning) =
        (fuzz::LEDGER_ABI, fuzz::INFERENCE_ABI, fuzz::FINE_TUNING_ABI);
    let program = |name, json, route: Route, has_fallback| Fuzzed {
        name,
        abi: fuzz::contract_abi(json),
        route,
        has_fallback,
    };
    vec![
        (0, program("LedgerManager", ledger, ledger_router, true)),
        (
            1,
            program(
                "InferenceServing main",
                inference,
                inference_serving::main_program,
                true,
            ),
        ),
        (
            1,
            program(
                "InferenceServing views",
                inference,
                inference_serving::views_program,
                false,
            ),
        ),
        (
            2,
            program(
                "FineTuningServing main",
                fine_tuning,
                fine_tuning_serving::main_program,
                true,
            ),
        ),
        (
            2,
            program(
                "FineTuningServing views",
                fine_tuning,
                fine_tuning_serving::views_program,
                false,
            ),
        ),
    ]
}

impl Market {
    /// Runs `input` through `route` on contract `contract` (0: ledger, 1:
    /// inference, 2: fine-tuning) as `sender` with `value`; motsu undoes
    /// a reverted call.
    fn route(
        &self,
        contract: usize,
        route: Route,
        sender: Address,
        value: U256,
        input: Vec<u8>,
    ) -> stylus_sdk::ArbResult {
        let host = || stylus_sdk::host::VM {
            host: Box::new(stylus_sdk::host::WasmVM {}),
        };
        // Dereferencing a call sets motsu's sender, value and contract.
        let result = match contract {
            0 => {
                let mut call = self.contracts.ledger.sender_and_value(sender, value);
                let _: &mut LedgerManager = &mut call;
                route(input, host())
            }
            1 => {
                let mut call = self.contracts.inference.sender_and_value(sender, value);
                let _: &mut InferenceServing = &mut call;
                route(input, host())
            }
            _ => {
                let mut call = self.contracts.fine_tuning.sender_and_value(sender, value);
                let _: &mut FineTuningServing = &mut call;
                route(input, host())
            }
        };
        result.motsu_res()
    }
}

#[test]
fn raw_calldata_succeeds_or_reverts_with_a_declared_error() {
    let calls = fuzz::count_from_env("FUZZ_CALLS", 3_000);
    // `FUZZ_TRACE`: print each call before it runs (a panic in a motsu
    // hostio aborts the process without unwinding).
    let trace = std::env::var_os("FUZZ_TRACE").is_some();
    let _serial = serial();
    std::thread::spawn(move || {
        let mut market = Market::new();
        market.open_accounts();
        let programs = fuzzed_programs();
        let mut senders: Vec<Address> = market.users.clone();
        senders.extend(&market.providers);
        senders.extend([market.contracts.owner, Address::repeat_byte(0x5e)]);
        // The owner and the stranger can receive value too (a refund of a
        // ledger one of them opened): motsu sends value only to contracts.
        let _wallets: Vec<Contract<Wallet>> = senders[USERS + PROVIDERS..]
            .iter()
            .map(|&account| Contract::new_at(account))
            .collect();
        // Their ledgers count in the invariants.
        market.users.extend(&senders[USERS + PROVIDERS..]);
        let mut addresses = senders.clone();
        addresses.extend([
            Address::ZERO,
            market.contracts.ledger.address(),
            market.contracts.inference.address(),
            market.contracts.fine_tuning.address(),
        ]);
        let mut gen = CalldataGen::new(16, addresses);
        let mut tally = fuzz::Tally::default();
        for n in 0..calls {
            let (contract, program) = &programs[gen.rng.random_range(0..programs.len())];
            let function = gen.function(&program.abi);
            let input = gen.calldata(function);
            let sender = senders[gen.rng.random_range(0..senders.len())];
            let payable = function.state_mutability == StateMutability::Payable;
            // Value only from the accounts whose money the invariants count.
            let value = U256::from(gen.rng.random_range(0..2_000u64));
            let value = if payable
                && gen.rng.random_bool(0.5)
                && !senders[USERS + PROVIDERS..].contains(&sender)
                && native_balance(sender) >= value
            {
                value
            } else {
                U256::ZERO
            };
            let context = format!(
                "call {n}: {} {} from {sender} value {value}, calldata 0x{}",
                program.name,
                function.signature(),
                alloy_primitives::hex::encode(&input)
            );
            if trace {
                eprintln!("{context}");
            }
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                market.route(*contract, program.route, sender, value, input.clone())
            }))
            .unwrap_or_else(|_| panic!("panicked: {context}"));
            let answer = result.as_ref().map(|_| ()).map_err(Vec::as_slice);
            let outcome = fuzz::judge(&program.abi, program.has_fallback, &input, answer)
                .unwrap_or_else(|broken| panic!("{broken}: {context}"));
            if outcome == Outcome::Succeeded {
                market.check_invariants();
            }
            tally.count(outcome);
        }
        eprintln!("calldata fuzz (native): {tally}");
        assert!(
            tally.succeeded > 0 && tally.declared > 0,
            "the fuzz reached both outcomes"
        );
    })
    .join()
    .expect("the calldata fuzz failed (see the panic above)");
}
