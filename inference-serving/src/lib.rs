//! InferenceServing: inference services and prices, per-(user, provider)
//! sub-accounts with a time-locked refund queue, and batch settlement signed
//! by the provider's TEE key.
//!
//! Sub-account balances are accounting entries backed by the ledger, which
//! holds every token: this contract never receives or sends value. The
//! ledger moves funds in and out through the internal functions documented
//! in `serving_contracts::interfaces`; a settlement pays the provider with
//! one call to the ledger per batch.
//!
//! The contract is two programs, so that each fits the Stylus code limit
//! while the address and selectors stay those of the spec. This crate is
//! the contract as a library: its storage, its logic and the `#[public]`
//! functions of both programs; the program crates only export them. The
//! main program (`main/`, [`InferenceServing`]) holds the functions of
//! users, providers, the ledger and the owner, and its fallback delegates
//! every other selector to the views program (`views/`, [`InferenceViews`],
//! written in `views.rs`): the views, the service registry and
//! `acknowledgeProviderSigner`, run on this contract's storage.
//! Delegating from one Stylus program to another was checked on the real
//! VM (arbos-anvil).
//!
//! Bounds: a settlement batch holds at most [`MAX_BATCH`] records;
//! `getBatchAccountsByUsers` at most [`MAX_BATCH_USERS`] users; paged views
//! at most 50 items (`limit` 0: all).
extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256, U64};
use serving_contracts::{
    abi::{
        revert, InvalidProofInputs, ServiceNotExist, ServiceParams, ServiceRemoved, ServiceUpdated,
        TEESettlementCompleted, TEESettlementData, TEESettlementFailed,
    },
    account::{Accounts, ChargeError, Refusal, SignerTable},
    address_set::AddressSet,
    host::log,
    interfaces::{call, ILedger},
    pagination::bounded,
    serving::ServingConfig,
    storage::StoredString,
};
use serving_verifier::{recover, settlement_digest};
use stylus_sdk::{
    prelude::*,
    storage::{StorageArray, StorageMap, StorageU256, StorageU64},
    ArbResult,
};

/// Most records in one settlement batch.
pub const MAX_BATCH: usize = 500;
pub use serving_contracts::{
    account_views::{AccountViews, MAX_BATCH_USERS},
    service_views::ServiceViews,
};

/// An inference service as stored.
#[storage]
pub struct ServiceRecord {
    service_type: StoredString,
    url: StoredString,
    model: StoredString,
    verifiability: StoredString,
    additional_info: StoredString,
    input_price: StorageU256,
    output_price: StorageU256,
    updated_at: StorageU64,
}

mod views;
pub use views::{views_program, InferenceViews};

/// The selectors of the views program's transactions (`addOrUpdateService`,
/// `removeService`, `acknowledgeProviderSigner`), which the contract's EVM
/// proxy sends straight to the views program
/// (`serving_scripts::evm::proxy_runtime`): the main program's fallback
/// would delegate them there anyway, after a second Stylus entry. A new
/// views program must keep serving them.
pub const PROXY_ROUTES: [[u8; 4]; 3] = [
    stylus_sdk::function_selector!("addOrUpdateService", ServiceParams),
    stylus_sdk::function_selector!("removeService"),
    views::ACKNOWLEDGE_PROVIDER_SIGNER,
];

/// The InferenceServing contract.
#[storage]
pub struct InferenceServing {
    config: ServingConfig,
    accounts: Accounts,
    providers: AddressSet,
    provider_pub_keys: StorageMap<Address, StorageMap<Address, StorageArray<StorageU256, 2>>>,
    services: StorageMap<Address, ServiceRecord>,
    /// Each provider's TEE signers, in the order users first acknowledged
    /// them: an account stores its signer's 1-based position here, which a
    /// batch reads once (`serving_contracts::account`).
    tee_signers: StorageMap<Address, SignerTable>,
}

/// SAFETY: the whole storage of the main program (`main/`), and of the
/// views program through [`InferenceViews`].
unsafe impl TopLevelStorage for InferenceServing {}

/// Runs one call of the main program on [`InferenceServing`]'s `#[public]` functions:
/// the router the `main/` crate's entrypoint hands every call to
/// (`serving_contracts::program!`).
///
/// # Errors
///
/// The revert data of the function called, or empty for an unknown
/// selector.
pub fn main_program(input: Vec<u8>, host: stylus_sdk::host::VM) -> ArbResult {
    stylus_sdk::abi::router_entrypoint::<InferenceServing, InferenceServing>(input, host)
}

impl InferenceServing {
    fn only_initialized(&self) -> Result<Address, Vec<u8>> {
        self.config.only_initialized(self.host().msg_sender())
    }

    fn only_ledger(&self) -> Result<(), Vec<u8>> {
        self.config.only_ledger(self.host().msg_sender())
    }

    /// Checks and charges one record at `now`; the reason strings are the
    /// reference's (brokers match on them).
    fn settle_record(
        &mut self,
        provider: Address,
        record: &TEESettlementData,
        now: u64,
        lock_time: u64,
    ) -> Result<(), &'static str> {
        if record.provider != provider {
            return Err("Provider mismatch");
        }
        let user = record.user;
        let signer = || {
            let digest = settlement_digest(
                record.requestsHash,
                record.nonce,
                provider,
                user,
                record.totalFee,
            );
            recover(digest, &record.signature).unwrap_or_default()
        };
        let table = &self.tee_signers;
        let acknowledged = |id| table.get(provider).signer(id);
        self.accounts
            .settle(
                user,
                provider,
                signer,
                record.nonce,
                record.totalFee,
                now,
                lock_time,
                acknowledged,
            )
            .map_err(|refusal| match refusal {
                Refusal::AccountNotExists => "Account not exists",
                Refusal::NotAcknowledged => "TEE signer not acknowledged",
                Refusal::InvalidSigner => "Invalid TEE signer",
                Refusal::Charge(ChargeError::NonceUsed) => "Nonce already processed",
                Refusal::Charge(ChargeError::InsufficientBalance) => "Insufficient balance",
            })
    }
}

/// The service registry and the provider's key on an account, routed
/// through the views program (`views.rs`) to keep the main program small
/// (behind a proxy, straight to it: [`PROXY_ROUTES`]).
impl InferenceServing {
    /// Registers or updates the caller's service. Errors: `NotInitialized`.
    /// Emits `ServiceUpdated`.
    pub fn add_or_update_service(&mut self, params: ServiceParams) -> Result<(), Vec<u8>> {
        let provider = self.only_initialized()?;
        let now = self.host().block_timestamp();
        self.providers.insert(provider);
        let mut service = self.services.setter(provider);
        service.input_price.set(params.inputPrice);
        service.output_price.set(params.outputPrice);
        service.updated_at.set(U64::from(now));
        service.service_type.set(&params.serviceType);
        service.url.set(&params.url);
        service.model.set(&params.model);
        service.verifiability.set(&params.verifiability);
        service.additional_info.set(&params.additionalInfo);
        log(
            self.host(),
            ServiceUpdated {
                service: provider,
                serviceType: params.serviceType,
                url: params.url,
                inputPrice: params.inputPrice,
                outputPrice: params.outputPrice,
                updatedAt: U256::from(now),
                model: params.model,
                verifiability: params.verifiability,
            },
        );
        Ok(())
    }

    /// The caller (a user) records `provider`'s public key on its account.
    /// Errors: `AccountNotExists`.
    pub fn acknowledge_provider_signer(
        &mut self,
        provider: Address,
        provider_pub_key: [U256; 2],
    ) -> Result<(), Vec<u8>> {
        let user = self.host().msg_sender();
        self.accounts.existing(user, provider)?;
        let mut keys = self.provider_pub_keys.setter(user);
        let mut key = keys.setter(provider);
        for (i, part) in provider_pub_key.into_iter().enumerate() {
            key.setter(i).unwrap().set(part);
        }
        Ok(())
    }

    /// Removes the caller's service; its accounts stay (users can still
    /// retrieve their funds) but no new account can be opened. Errors:
    /// `NotInitialized`, `ServiceNotExist`. Emits `ServiceRemoved`.
    pub fn remove_service(&mut self) -> Result<(), Vec<u8>> {
        let provider = self.only_initialized()?;
        if !self.providers.remove(provider) {
            return Err(revert(ServiceNotExist { provider }));
        }
        let mut service = self.services.setter(provider);
        service.input_price.set(U256::ZERO);
        service.output_price.set(U256::ZERO);
        service.updated_at.set(U64::ZERO);
        service.service_type.clear();
        service.url.clear();
        service.model.clear();
        service.verifiability.clear();
        service.additional_info.clear();
        log(self.host(), ServiceRemoved { service: provider });
        Ok(())
    }
}

#[public]
impl InferenceServing {
    /// Constructs a configured contract in its creating transaction (the
    /// StylusDeployer's init call, `cargo stylus deploy --constructor-args`):
    /// the views program, then `initialize`. A constructed contract refuses
    /// `initialize`. Errors: as `initialize`. Emits `ViewsUpgraded`,
    /// `OwnershipTransferred`.
    #[constructor]
    pub fn constructor(
        &mut self,
        lock_time: U256,
        ledger: Address,
        owner: Address,
        views: Address,
    ) -> Result<(), Vec<u8>> {
        self.config.store_views(views);
        self.config.initialize(lock_time, ledger, owner)
    }

    /// Configures the contract once: refund lock time (seconds), ledger and
    /// owner. Deployments call it in the creating transaction. Errors:
    /// `InvalidInitialization` (already initialized, zero ledger or owner),
    /// `InvalidLimit` (lock time above 2^64 - 1). Emits
    /// `OwnershipTransferred`.
    pub fn initialize(
        &mut self,
        lock_time: U256,
        ledger: Address,
        owner: Address,
    ) -> Result<(), Vec<u8>> {
        self.config.initialize(lock_time, ledger, owner)
    }

    /// Sets the views program the fallback delegates to (it runs as this
    /// contract's code): only the upgrade authority, the owner of the
    /// beacon of the proxy this contract runs behind; a constructed
    /// contract keeps its constructor's. Errors: `Unauthorized`. Emits
    /// `ViewsUpgraded`.
    pub fn set_views(&mut self, views: Address) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        self.config.set_views(caller, views)
    }

    /// Every other selector runs in the views program, on this storage.
    /// Errors: `NotInitialized` when no views program is set.
    #[fallback]
    fn fallback(&mut self, input: &[u8]) -> ArbResult {
        self.config.delegate_to_views(input)
    }

    /// The caller (a user) acknowledges `signer` as the TEE key that signs
    /// settlements of its account with `provider` (zero revokes). Records
    /// signed by the signer it replaces still settle for the lock time.
    /// Errors: `AccountNotExists`, `SignerChangePending` (the signer changed
    /// less than the lock time ago; only a change back is allowed).
    #[selector(name = "acknowledgeTEESigner")]
    pub fn acknowledge_tee_signer(
        &mut self,
        provider: Address,
        signer: Address,
    ) -> Result<(), Vec<u8>> {
        let user = self.host().msg_sender();
        let now = self.host().block_timestamp();
        // The lock time matters only when a signer is replaced.
        let config = &self.config;
        self.accounts.set_signer(
            user,
            provider,
            signer,
            now,
            || config.lock_time(),
            Some(&mut self.tee_signers.setter(provider)),
        )
    }

    /// Settles a batch of TEE-signed records for the caller (the provider).
    /// Per record: the provider matches, the account exists, its TEE signer
    /// (or, for the lock time after a change, the one before) is
    /// acknowledged and signed the record, the nonce is new and the
    /// balance covers the fee. A refused record is reported
    /// (`TEESettlementFailed` and the returned `failedUsers`) and the rest
    /// goes on. The provider is paid the batch's total once, by the ledger.
    /// Errors: `NotInitialized`, `InvalidProofInputs` (empty batch),
    /// `InvalidLimit` (more than 500 records). Emits
    /// `TEESettlementFailed`, `TEESettlementCompleted`.
    #[selector(name = "settleFeesWithTEE")]
    pub fn settle_fees_with_tee(
        &mut self,
        settlements: Vec<TEESettlementData>,
    ) -> Result<Vec<Address>, Vec<u8>> {
        let provider = self.only_initialized()?;
        if settlements.is_empty() {
            return Err(revert(InvalidProofInputs {
                reason: "Empty batch".into(),
            }));
        }
        bounded(settlements.len(), MAX_BATCH)?;
        let now = self.host().block_timestamp();
        let lock_time = self.config.lock_time();
        let mut total = U256::ZERO;
        let mut failed = Vec::new();
        for record in &settlements {
            match self.settle_record(provider, record, now, lock_time) {
                Ok(()) => total += record.totalFee,
                Err(reason) => {
                    failed.push(record.user);
                    log(
                        self.host(),
                        TEESettlementFailed {
                            provider,
                            user: record.user,
                            reason: reason.into(),
                        },
                    );
                }
            }
        }
        if !total.is_zero() {
            call(
                self.host(),
                self.config.ledger(),
                &ILedger::payProviderCall {
                    provider,
                    amount: total,
                },
            )?;
        }
        log(
            self.host(),
            TEESettlementCompleted {
                provider,
                successCount: U256::from(settlements.len() - failed.len()),
                failedCount: U256::from(failed.len()),
            },
        );
        Ok(failed)
    }

    /// Sets the refund lock time (owner only). Errors:
    /// `OwnableUnauthorizedAccount`, `InvalidLimit`.
    pub fn update_lock_time(&mut self, lock_time: U256) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        self.config.update_lock_time(caller, lock_time)
    }

    /// Hands ownership to `newOwner`. Errors: `OwnableUnauthorizedAccount`,
    /// `OwnableInvalidOwner`. Emits `OwnershipTransferred`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        self.config.ownable.transfer(caller, new_owner)
    }

    /// Leaves the contract without owner. Errors:
    /// `OwnableUnauthorizedAccount`. Emits `OwnershipTransferred`.
    pub fn renounce_ownership(&mut self) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        self.config.ownable.renounce(caller)
    }

    /// Internal (ledger only): moves `amount` into the account, opening it
    /// when the provider has a service. Returns what the ledger must take
    /// from the available balance and whether the account was opened.
    /// Errors: `Unauthorized`, `ServiceNotExist`, `AmountTooLarge`. Emits
    /// `BalanceUpdated`.
    pub fn fund_account(
        &mut self,
        user: Address,
        provider: Address,
        amount: U256,
    ) -> Result<(U256, bool), Vec<u8>> {
        self.only_ledger()?;
        if !self.accounts.exists(user, provider) && !self.providers.contains(provider) {
            return Err(revert(ServiceNotExist { provider }));
        }
        self.accounts.fund(user, provider, amount)
    }

    /// Internal (ledger only): for each provider, pays the user's matured
    /// refunds and queues the rest; returns the total paid. Errors:
    /// `Unauthorized`, `AccountNotExists`, `TooManyRefunds`. Emits
    /// `RefundRequested`, `BalanceUpdated`.
    pub fn retrieve_funds(
        &mut self,
        user: Address,
        providers: Vec<Address>,
    ) -> Result<U256, Vec<u8>> {
        self.only_ledger()?;
        let now = self.host().block_timestamp();
        let lock_time = self.config.lock_time();
        self.accounts.retrieve_all(user, providers, now, lock_time)
    }

    /// Internal (ledger only): deletes the user's empty accounts with
    /// `providers`. Errors: `Unauthorized`, `AccountNotExists`,
    /// `AccountHasFunds`.
    pub fn delete_accounts(
        &mut self,
        user: Address,
        providers: Vec<Address>,
    ) -> Result<(), Vec<u8>> {
        self.only_ledger()?;
        for provider in providers {
            self.accounts.delete(user, provider)?;
            let mut keys = self.provider_pub_keys.setter(user);
            let mut key = keys.setter(provider);
            for i in 0..2 {
                key.setter(i).unwrap().set(U256::ZERO);
            }
        }
        Ok(())
    }

    /// Internal view (ledger): the sum of the user's balances with
    /// `providers`.
    pub fn user_balance(&self, user: Address, providers: Vec<Address>) -> U256 {
        self.accounts.balance_of(user, providers)
    }
}

#[cfg(feature = "export-abi")]
pub mod export;

#[cfg(test)]
mod tests;
