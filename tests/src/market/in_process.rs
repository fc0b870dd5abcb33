//! The market's chain in process: LedgerManager, InferenceServing and
//! FineTuningServing as their own Rust code, run natively by motsu (one VM
//! per thread, with the ecrecover precompile). No node, no gas, no
//! reentrancy guard: the real VM is the [RPC backend](super)'s job.
//!
//! motsu's block timestamp is fixed, so the lock time "passes" the way the
//! contracts' own tests let it pass: the owner sets `lockTime` to zero
//! ([`Backend::elapse_lock`]), which matures every refund requested so far.

use std::collections::HashMap;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use fine_tuning_serving::FineTuningServing;
use inference_serving::{AccountViews, InferenceServing};
use ledger_manager::LedgerManager;
use motsu::prelude::*;
use serving_contracts::{
    abi::{fine_tuning::VerifierInput, ServiceParams, TEESettlementData, TEESettlementFailed},
    account::Accounts,
    testing::Wallet,
};

use super::backend::{
    describe_revert, AccountState, Backend, Failure, FineTuningService, Gas, Kind, LedgerState,
    Outcome, Settlement, SubAccount,
};

/// The three contracts deployed and initialized in this thread's motsu VM.
pub struct InProcess {
    contracts: MotsuDeployment,
    wallets: Vec<Contract<Wallet>>,
    lock_time: u64,
    /// The settlement engines' view of inference accounts
    /// ([`Backend::inference_accounts`]), by (user, provider): read once,
    /// dropped by every call that can change the account (a transfer, a
    /// retrieval, an acknowledgement, a settlement). Every provider reads
    /// its owing customers at every tick, so without it a run's reads grow
    /// with ticks times providers, the square of the market. The checker
    /// reads accounts afresh ([`Backend::account`]).
    engine_view: HashMap<(Address, Address), AccountState>,
}

/// The three contracts deployed and initialized in this thread's motsu VM
/// by their owner, with the ecrecover precompile.
pub struct MotsuDeployment {
    /// The ecrecover precompile (dropped with the contracts).
    _precompiles: Box<dyn std::any::Any>,
    /// LedgerManager.
    pub ledger: Contract<LedgerManager>,
    /// InferenceServing.
    pub inference: Contract<InferenceServing>,
    /// FineTuningServing.
    pub fine_tuning: Contract<FineTuningServing>,
    /// Their owner.
    pub owner: Address,
}

impl MotsuDeployment {
    /// Deploys and initializes the three contracts: refunds lock for
    /// `lock_time` seconds, an unacknowledged deliverable costs
    /// `penalty_percentage` percent of its fee.
    ///
    /// # Panics
    ///
    /// If initialization fails (it cannot with fresh contracts).
    pub fn new(lock_time: u64, penalty_percentage: u8) -> Self {
        let precompiles = Box::new(deploy_precompiles());
        let owner = Address::repeat_byte(0xa0);
        let ledger = Contract::<LedgerManager>::new_at(Address::repeat_byte(0xa1));
        let inference = Contract::<InferenceServing>::new_at(Address::repeat_byte(0xa2));
        let fine_tuning = Contract::<FineTuningServing>::new_at(Address::repeat_byte(0xa3));
        ledger
            .sender(owner)
            .initialize(inference.address(), fine_tuning.address(), owner)
            .expect("initialize LedgerManager");
        inference
            .sender(owner)
            .initialize(U256::from(lock_time), ledger.address(), owner)
            .expect("initialize InferenceServing");
        let penalty = U256::from(penalty_percentage);
        fine_tuning
            .sender(owner)
            .initialize(U256::from(lock_time), ledger.address(), owner, penalty)
            .expect("initialize FineTuningServing");
        Self {
            _precompiles: precompiles,
            ledger,
            inference,
            fine_tuning,
            owner,
        }
    }
}

/// Where the `i`-th wallet lives (clear of the precompiles and contracts).
fn wallet_address(i: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0x5e;
    bytes[12..].copy_from_slice(&(i as u64).to_be_bytes());
    Address::from(bytes)
}

fn reverted(data: Vec<u8>) -> Failure {
    Failure::Reverted(describe_revert(&data))
}

impl InProcess {
    /// The three contracts (see [`MotsuDeployment::new`]) and no wallets yet.
    pub fn new(lock_time: u64, penalty_percentage: u8) -> Self {
        Self {
            contracts: MotsuDeployment::new(lock_time, penalty_percentage),
            wallets: Vec::new(),
            lock_time,
            engine_view: HashMap::new(),
        }
    }

    /// Drops the engines' view of `user`'s inference accounts with
    /// `providers`, when `kind` is inference.
    fn changed(&mut self, user: Address, providers: &[Address], kind: Kind) {
        if kind == Kind::Inference {
            for provider in providers {
                self.engine_view.remove(&(user, *provider));
            }
        }
    }
}

/// An account as the market sees it, read from the contract's storage by
/// the shared account code (`serving_contracts::account::Accounts`), the
/// code the views read it with, without the views' ABI encoding and their
/// call to the ledger for the user's info. The views are tested through
/// the ABI elsewhere (unit tests, and the same market on a chain).
fn account_state(accounts: &Accounts, user: Address, provider: Address) -> AccountState {
    let view = accounts.view(user, provider);
    let refunds = view.refunds.iter().map(|r| r.amount).collect();
    AccountState::new(
        view.nonce,
        view.balance,
        view.pending_refund,
        refunds,
        view.signer,
    )
}

/// The native balance of `account` in this thread's VM.
fn native_balance(account: Address) -> U256 {
    #[allow(deprecated)]
    stylus_sdk::types::AddressVM::balance(&account)
}

impl Backend for InProcess {
    fn name(&self) -> &'static str {
        "in-process"
    }

    fn new_account(&mut self, funds: U256) -> Outcome<Address> {
        let wallet = Contract::<Wallet>::new_at(wallet_address(self.wallets.len()));
        let address = wallet.address();
        address.fund(funds);
        self.wallets.push(wallet);
        Ok(address)
    }

    fn gas_spent(&mut self) -> Outcome<U256> {
        Ok(U256::ZERO)
    }

    fn balance(&mut self, account: Address) -> Outcome<U256> {
        Ok(native_balance(account))
    }

    fn contract_balances(&mut self) -> Outcome<[U256; 3]> {
        Ok([
            self.contracts.ledger.balance(),
            self.contracts.inference.balance(),
            self.contracts.fine_tuning.balance(),
        ])
    }

    fn escrows(&mut self) -> Outcome<[U256; 2]> {
        let ledger = self.contracts.ledger.sender(self.contracts.owner);
        Ok([
            ledger.escrow_of(self.contracts.inference.address()),
            ledger.escrow_of(self.contracts.fine_tuning.address()),
        ])
    }

    fn lock_time(&mut self) -> Outcome<u64> {
        Ok(self.lock_time)
    }

    fn elapse_lock(&mut self) -> Outcome<()> {
        self.contracts
            .inference
            .sender(self.contracts.owner)
            .update_lock_time(U256::ZERO)
            .map_err(reverted)?;
        self.contracts
            .fine_tuning
            .sender(self.contracts.owner)
            .update_lock_time(U256::ZERO)
            .map_err(reverted)?;
        self.lock_time = 0;
        Ok(())
    }

    fn add_inference_service(&mut self, provider: Address, params: ServiceParams) -> Outcome<()> {
        self.contracts
            .inference
            .sender(provider)
            .add_or_update_service(params)
            .motsu_res()
            .map_err(reverted)
    }

    fn add_fine_tuning_service(&mut self, provider: Address, s: FineTuningService) -> Outcome<()> {
        self.contracts
            .fine_tuning
            .sender(provider)
            .add_or_update_service(s.url, s.quota, s.price_per_token, s.signer, false, s.models)
            .motsu_res()
            .map_err(reverted)
    }

    fn add_ledger(&mut self, user: Address, amount: U256) -> Outcome<()> {
        self.contracts
            .ledger
            .sender_and_value(user, amount)
            .add_ledger([U256::ZERO; 2], String::new())
            .motsu_res()
            .map(drop)
            .map_err(reverted)
    }

    fn deposit_fund(&mut self, user: Address, amount: U256) -> Outcome<()> {
        self.contracts
            .ledger
            .sender_and_value(user, amount)
            .deposit_fund()
            .motsu_res()
            .map_err(reverted)
    }

    fn refund(&mut self, user: Address, amount: U256) -> Outcome<()> {
        self.contracts
            .ledger
            .sender(user)
            .refund(amount)
            .motsu_res()
            .map_err(reverted)
    }

    fn transfer_fund(&mut self, to: SubAccount, amount: U256) -> Outcome<()> {
        let SubAccount {
            user,
            provider,
            kind,
        } = to;
        self.changed(user, &[provider], kind);
        self.contracts
            .ledger
            .sender(user)
            .transfer_fund(provider, kind.service_type().into(), amount)
            .motsu_res()
            .map_err(reverted)
    }

    fn retrieve_fund(&mut self, user: Address, providers: Vec<Address>, kind: Kind) -> Outcome<()> {
        self.changed(user, &providers, kind);
        self.contracts
            .ledger
            .sender(user)
            .retrieve_fund(providers, kind.service_type().into())
            .motsu_res()
            .map_err(reverted)
    }

    fn ledger(&mut self, user: Address) -> Outcome<Option<LedgerState>> {
        Ok(self
            .contracts
            .ledger
            .sender(user)
            .get_ledger(user)
            .motsu_res()
            .ok()
            .map(|l| LedgerState {
                available: l.availableBalance,
                total: l.totalBalance,
                providers: [l.inferenceProviders, l.fineTuningProviders],
            }))
    }

    fn acknowledge_signer(&mut self, account: SubAccount, signer: Address) -> Outcome<()> {
        let (user, provider) = (account.user, account.provider);
        self.changed(user, &[provider], account.kind);
        match account.kind {
            Kind::Inference => self
                .contracts
                .inference
                .sender(user)
                .acknowledge_tee_signer(provider, signer)
                .motsu_res(),
            Kind::FineTuning => self
                .contracts
                .fine_tuning
                .sender(user)
                .acknowledge_provider_signer(provider, signer)
                .motsu_res(),
        }
        .map_err(reverted)
    }

    fn account(&mut self, account: SubAccount) -> Outcome<Option<AccountState>> {
        let SubAccount {
            user,
            provider,
            kind,
        } = account;
        let read = |accounts: &Accounts| {
            accounts
                .exists(user, provider)
                .then(|| account_state(accounts, user, provider))
        };
        Ok(match kind {
            Kind::Inference => read(self.contracts.inference.sender(user).accounts()),
            Kind::FineTuning => read(self.contracts.fine_tuning.sender(user).accounts()),
        })
    }

    fn inference_accounts(
        &mut self,
        provider: Address,
        users: &[Address],
    ) -> Outcome<Vec<AccountState>> {
        let missing: Vec<Address> = users
            .iter()
            .filter(|user| !self.engine_view.contains_key(&(**user, provider)))
            .copied()
            .collect();
        if !missing.is_empty() {
            let inference = self.contracts.inference.sender(provider);
            let accounts = inference.accounts();
            for user in missing {
                let state = account_state(accounts, user, provider);
                self.engine_view.insert((user, provider), state);
            }
        }
        Ok(users
            .iter()
            .map(|user| self.engine_view[&(*user, provider)].clone())
            .collect())
    }

    fn settle(
        &mut self,
        provider: Address,
        records: Vec<TEESettlementData>,
    ) -> Outcome<Settlement> {
        for record in &records {
            self.changed(record.user, &[provider], Kind::Inference);
        }
        let failed_users = self
            .contracts
            .inference
            .sender(provider)
            .settle_fees_with_tee(records)
            .motsu_res()
            .map_err(reverted)?;
        // The reasons are in the batch's `TEESettlementFailed` events, the
        // last ones of that kind, one per failed record in order. Read only
        // when some failed: the contract's event list only grows.
        let failed = if failed_users.is_empty() {
            Vec::new()
        } else {
            let mut failed: Vec<_> = self
                .contracts
                .inference
                .all_events()
                .iter()
                .rev()
                .filter_map(|log| TEESettlementFailed::decode_log_data(log, true).ok())
                .take(failed_users.len())
                .map(|event| (event.user, event.reason))
                .collect();
            failed.reverse();
            failed
        };
        Ok(Settlement { failed, gas: None })
    }

    fn add_deliverable(&mut self, to: SubAccount, id: String, root: Vec<u8>) -> Outcome<()> {
        self.contracts
            .fine_tuning
            .sender(to.provider)
            .add_deliverable(to.user, id, root.into())
            .motsu_res()
            .map_err(reverted)
    }

    fn acknowledge_deliverable(&mut self, of: SubAccount, id: String) -> Outcome<()> {
        self.contracts
            .fine_tuning
            .sender(of.user)
            .acknowledge_deliverable(of.provider, id)
            .motsu_res()
            .map_err(reverted)
    }

    fn settle_fine_tuning(
        &mut self,
        provider: Address,
        input: VerifierInput,
    ) -> Outcome<Option<Gas>> {
        self.contracts
            .fine_tuning
            .sender(provider)
            .settle_fees(input)
            .motsu_res()
            .map(|()| None)
            .map_err(reverted)
    }
}
