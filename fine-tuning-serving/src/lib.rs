//! FineTuningServing: fine-tuning services (url, quota, price per token,
//! provider signer, occupied flag, models), per-(user, provider)
//! sub-accounts with a time-locked refund queue, the deliverables a provider
//! posts to an account, and their settlement with a verifier input signed by
//! the provider signer, at a penalty when the user did not acknowledge the
//! deliverable.
//!
//! Accounts, refunds and paging are the shared ones of `serving_contracts`
//! (the account's acknowledged signer is the provider signer); only the
//! deliverables (`deliverables.rs`), the quotas and the penalty are this
//! contract's. Sub-account balances are accounting entries backed by the
//! ledger, which holds every token: this contract never receives or sends
//! value. The ledger moves funds in and out through the internal functions
//! documented in `serving_contracts::interfaces`; a settlement pays the
//! provider with one call to the ledger.
//!
//! Like InferenceServing, the contract is two programs at one address, so
//! that each fits the Stylus code limit: this program holds settlement,
//! deliverables, acknowledgements, the owner's and the ledger's functions,
//! and its fallback delegates every other selector to the views program
//! ([`FineTuningViews`], written in `views.rs`), which runs on this
//! contract's storage. This crate is the contract as a library; the
//! programs are the crates in `main/` and `views/`, which only export it. The views program also holds the service registry
//! (`addOrUpdateService`, `removeService`): providers call it rarely, so
//! the extra delegate call costs little, and it does not fit here.
//!
//! `settleFees` checks, in this order, each failure reverting with
//! `InvalidVerifierInput(reason)` (the reference's reasons where it had
//! one):
//! 1. the account of (`user`, caller) exists, else `AccountNotExists`;
//! 2. "provider signing address is not acknowledged": the input's
//!    `providerSigner` is zero, or not the one the user acknowledged (an
//!    account without acknowledgement has signer zero, which never settles);
//! 3. "nonce should larger than the current nonce";
//! 4. "Deliverable does not exist";
//! 5. "model root hash mismatch";
//! 6. "TEE settlement validation failed": the signature (65 bytes, `v` in
//!    {0, 1, 27, 28}, low `s`) over `verifier_input_digest` does not recover
//!    to the provider signer;
//! 7. "secret should not be empty" (acknowledged deliverable) or "secret
//!    should be empty" (not acknowledged);
//! 8. "insufficient balance": the balance does not cover the fee charged,
//!    which is `taskFee` when acknowledged and `taskFee * penaltyPercentage
//!    / 100` (rounded down) when not.
//!
//! Bounds: an account keeps at most [`MAX_DELIVERABLES`] deliverables, so
//! deleting one (through the ledger's `deleteLedger`) touches at most 20
//! index entries; `getBatchAccountsByUsers` takes at most
//! [`MAX_BATCH_USERS`] users; paged views at most 50 items (`limit` 0: all).
extern crate alloc;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256, U8};
use serving_contracts::{
    abi::{
        fine_tuning::{DeliverableNotExists, IDeliveries},
        revert, InvalidLimit, InvalidVerifierInput, ServiceNotExist, Unauthorized,
    },
    account::{Accounts, ChargeError},
    address_set::AddressSet,
    calldata::{self, Args},
    interfaces::{call, ILedger, IServing},
    returndata,
    serving::ServingConfig,
    storage::StoredString,
};
use serving_verifier::{recover, verifier_input_digest};
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageArray, StorageBool, StorageMap, StorageU256, StorageU8, StorageVec,
    },
    ArbResult,
};

mod deliverables;
mod views;

pub use deliverables::{Deliverables, MAX_DELIVERABLES};
pub use serving_contracts::{
    account_views::{AccountViews, MAX_BATCH_USERS},
    service_views::ServiceViews,
};
pub use views::{views_program, FineTuningViews};

/// The selectors of the views program's transactions (`addOrUpdateService`,
/// `updateLockTime`, `removeService`), which the contract's EVM proxy sends
/// straight to the views program (`serving_scripts::evm::proxy_runtime`):
/// the main program's fallback would delegate them there anyway, after a
/// second Stylus entry. A new views program must keep serving them.
pub const PROXY_ROUTES: [[u8; 4]; 3] = {
    use alloy_sol_types::SolCall;
    use serving_contracts::abi::fine_tuning::{IPagedViews, ISettings};
    [
        IPagedViews::addOrUpdateServiceCall::SELECTOR,
        ISettings::updateLockTimeCall::SELECTOR,
        ISettings::removeServiceCall::SELECTOR,
    ]
};

/// Largest penalty percentage.
pub const MAX_PENALTY: u8 = 100;

/// A fine-tuning service as stored (multi-slot fields first: see the
/// storage layout rule of `serving_contracts`).
#[storage]
pub struct ServiceRecord {
    /// pricePerToken, then the quota's cpuCount, nodeMemory, gpuCount and
    /// nodeStorage (one field: smaller constructor code than five).
    numbers: StorageArray<StorageU256, 5>,
    gpu_type: StoredString,
    url: StoredString,
    models: StorageVec<StoredString>,
    provider_signer: StorageAddress,
    occupied: StorageBool,
}

/// The FineTuningServing contract (multi-slot fields first, as above).
#[storage]
pub struct FineTuningServing {
    config: ServingConfig,
    accounts: Accounts,
    providers: AddressSet,
    deliverables: StorageMap<Address, StorageMap<Address, Deliverables>>,
    services: StorageMap<Address, ServiceRecord>,
    penalty_percentage: StorageU8,
}

/// SAFETY: the whole storage of the main program (`main/`), and of the
/// views program through [`FineTuningViews`].
unsafe impl TopLevelStorage for FineTuningServing {}

/// Runs one call of the main program on [`FineTuningServing`]'s `#[public]` functions:
/// the router the `main/` crate's entrypoint hands every call to
/// (`serving_contracts::program!`).
///
/// # Errors
///
/// The revert data of the function called, or empty for an unknown
/// selector.
pub fn main_program(input: Vec<u8>, host: stylus_sdk::host::VM) -> ArbResult {
    stylus_sdk::abi::router_entrypoint::<FineTuningServing, FineTuningServing>(input, host)
}

/// The arguments `read` reads from the call `input`; empty revert data
/// when they are malformed.
pub(crate) fn arguments<'a, T>(
    input: &'a [u8],
    read: impl FnOnce(Args<'a>) -> Option<T>,
) -> Result<T, Vec<u8>> {
    Args::of(input).and_then(read).ok_or_else(Vec::new)
}

fn invalid(reason: &str) -> Vec<u8> {
    revert(InvalidVerifierInput {
        reason: reason.into(),
    })
}

/// `fee * percentage / 100` rounded down, or `None` when that is 2^96 or
/// more, which no sub-account balance covers. Divides in two 64-bit steps
/// (wasm has 64-bit division; 128- and 256-bit division would add their
/// code to the program).
fn penalty(fee: U256, percentage: u8) -> Option<U256> {
    let product = fee.checked_mul(U256::from(percentage))?;
    if product >= U256::from(100u64) << 96 {
        return None;
    }
    // product < 100 * 2^96 < 2^103 = high * 2^52 + low.
    let product = product.to::<u128>();
    let (high, low) = ((product >> 52) as u64, product as u64 & ((1 << 52) - 1));
    let rest = ((high % 100) << 52) + low;
    Some(U256::from(
        (((high / 100) as u128) << 52) + (rest / 100) as u128,
    ))
}

impl FineTuningServing {
    fn only_initialized(&self) -> Result<Address, Vec<u8>> {
        self.config.only_initialized(self.host().msg_sender())
    }

    fn only_ledger(&self) -> Result<(), Vec<u8>> {
        self.config.only_ledger(self.host().msg_sender())
    }

    fn only_owner(&self) -> Result<(), Vec<u8>> {
        self.config.ownable.only_owner(self.host().msg_sender())
    }

    fn set_penalty_percentage(&mut self, percentage: U256) -> Result<(), Vec<u8>> {
        if percentage > U256::from(MAX_PENALTY) {
            return Err(revert(InvalidLimit {
                limit: percentage,
                max: U256::from(MAX_PENALTY),
            }));
        }
        self.penalty_percentage.set(U8::from(percentage.to::<u8>()));
        Ok(())
    }

    /// Marks the deliverable `id` of `user`'s account with `provider` as
    /// acknowledged. Errors: `AccountNotExists`, `DeliverableNotExists`.
    fn acknowledge(&mut self, user: Address, provider: Address, id: &str) -> Result<(), Vec<u8>> {
        self.accounts.existing(user, provider)?;
        let mut accounts = self.deliverables.setter(user);
        let mut deliverables = accounts.setter(provider);
        let slot = deliverables
            .find(id)
            .ok_or_else(|| revert(DeliverableNotExists { id: id.into() }))?;
        deliverables.slot_mut(slot).acknowledge();
        Ok(())
    }
}

/// A verifier input (`settleFees`) as the main program reads it from its
/// calldata.
#[derive(Clone, Copy, Debug)]
pub struct Settlement<'a> {
    /// The deliverable's id.
    pub id: &'a str,
    /// The model's key sealed for the user; empty for the penalty.
    pub encrypted_secret: &'a [u8],
    /// The deliverable's model root hash.
    pub model_root_hash: &'a [u8],
    /// Above the account's nonce.
    pub nonce: U256,
    /// The provider signer that signed it.
    pub provider_signer: Address,
    /// Its signature.
    pub signature: &'a [u8],
    /// The task's fee.
    pub task_fee: U256,
    /// The user.
    pub user: Address,
}

impl<'a> Settlement<'a> {
    /// The verifier input of a `settleFees` call's arguments.
    pub fn read(args: Args<'a>) -> Option<Self> {
        let input = args.at(0)?;
        Some(Settlement {
            id: input.string(0)?,
            encrypted_secret: input.bytes(1)?,
            model_root_hash: input.bytes(2)?,
            nonce: input.number(3)?,
            provider_signer: input.address(4)?,
            signature: input.bytes(5)?,
            task_fee: input.number(6)?,
            user: input.address(7)?,
        })
    }
}

/// The calls of `IDeliveries`, which the main program's fallback routes.
impl FineTuningServing {
    /// The caller (a provider) posts the deliverable `id` with its model
    /// root hash to `user`'s account; a full account (20 deliverables)
    /// drops its oldest. Errors: `NotInitialized`, `AccountNotExists`,
    /// `DeliverableExists`.
    pub fn post_deliverable(
        &mut self,
        user: Address,
        id: &str,
        model_root_hash: &[u8],
    ) -> Result<(), Vec<u8>> {
        let provider = self.only_initialized()?;
        self.accounts.existing(user, provider)?;
        let now = self.host().block_timestamp();
        self.deliverables
            .setter(user)
            .setter(provider)
            .add(id, model_root_hash, now)
    }

    /// The caller (a user, or `user` when given: the reference's
    /// three-argument form, whose `user` alone may call it; the reference
    /// let anyone, so a provider could dodge its own penalty) acknowledges
    /// the deliverable `id` of `provider`: it got the model, so a
    /// settlement charges the full fee and must bring the secret. Errors:
    /// `Unauthorized`, `AccountNotExists`, `DeliverableNotExists`.
    pub fn acknowledge_by(
        &mut self,
        user: Option<Address>,
        provider: Address,
        id: &str,
    ) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        let user = user.unwrap_or(caller);
        if caller != user {
            return Err(revert(Unauthorized { caller }));
        }
        self.acknowledge(user, provider, id)
    }

    /// Settles a deliverable for the caller (the provider) with a verifier
    /// input signed by the provider signer; the checks and their reasons are
    /// listed in the crate documentation. Charges the full fee and stores
    /// the secret on an acknowledged deliverable, else charges the penalty
    /// share; fees come from the balance not under refund first, then from
    /// pending refunds, newest first. The ledger pays the provider. Errors:
    /// `NotInitialized`, `AccountNotExists`, `InvalidVerifierInput`. Emits
    /// `BalanceUpdated`.
    pub fn settle(&mut self, input: Settlement<'_>) -> Result<(), Vec<u8>> {
        let provider = self.only_initialized()?;
        let Settlement {
            id,
            encrypted_secret: secret,
            model_root_hash: root,
            nonce,
            provider_signer: signer,
            signature,
            task_fee,
            user,
        } = input;
        self.accounts.existing(user, provider)?;
        let now = self.host().block_timestamp();
        if !self
            .accounts
            .accepts(user, provider, signer, now, self.config.lock_time(), |_| {
                Address::ZERO
            })
        {
            return Err(invalid("provider signing address is not acknowledged"));
        }
        const NONCE_USED: &str = "nonce should larger than the current nonce";
        if nonce <= self.accounts.nonce(user, provider) {
            return Err(invalid(NONCE_USED));
        }
        let deliverables = self.deliverables.get(user);
        let deliverables = deliverables.get(provider);
        let slot = deliverables
            .find(id)
            .ok_or_else(|| invalid("Deliverable does not exist"))?;
        let deliverable = deliverables.slot(slot);
        if !deliverable.root_is(root) {
            return Err(invalid("model root hash mismatch"));
        }
        let digest = verifier_input_digest(secret, root, nonce, signer, task_fee, user);
        if recover(digest, signature) != Some(signer) {
            return Err(invalid("TEE settlement validation failed"));
        }
        let acknowledged = deliverable.acknowledged();
        const INSUFFICIENT: &str = "insufficient balance";
        let fee = if acknowledged {
            if secret.is_empty() {
                return Err(invalid("secret should not be empty"));
            }
            task_fee
        } else {
            if !secret.is_empty() {
                return Err(invalid("secret should be empty"));
            }
            let percentage = self.penalty_percentage.get().to::<u8>();
            penalty(task_fee, percentage).ok_or_else(|| invalid(INSUFFICIENT))?
        };
        self.accounts
            .charge(user, provider, nonce, fee)
            .map_err(|error| {
                invalid(match error {
                    ChargeError::NonceUsed => NONCE_USED,
                    ChargeError::InsufficientBalance => INSUFFICIENT,
                })
            })?;
        if acknowledged {
            self.deliverables
                .setter(user)
                .setter(provider)
                .slot_mut(slot)
                .set_secret(secret);
        }
        self.accounts.emit_balance_of(user, provider);
        if !fee.is_zero() {
            call(
                self.host(),
                self.config.ledger(),
                &ILedger::payProviderCall {
                    provider,
                    amount: fee,
                },
            )?;
        }
        Ok(())
    }
}

/// The calls of `IDeliveries` with alloy's argument types, as the native
/// callers (unit tests, the harness's in-process market) make them; the
/// programs read the same arguments from the calldata.
#[cfg(not(target_arch = "wasm32"))]
impl FineTuningServing {
    /// `addDeliverable` (see [`FineTuningServing::post_deliverable`]).
    pub fn add_deliverable(
        &mut self,
        user: Address,
        id: alloc::string::String,
        model_root_hash: stylus_sdk::abi::Bytes,
    ) -> Result<(), Vec<u8>> {
        self.post_deliverable(user, &id, &model_root_hash)
    }

    /// `acknowledgeDeliverable(provider, id)` (see
    /// [`FineTuningServing::acknowledge_by`]).
    pub fn acknowledge_deliverable(
        &mut self,
        provider: Address,
        id: alloc::string::String,
    ) -> Result<(), Vec<u8>> {
        self.acknowledge_by(None, provider, &id)
    }

    /// `acknowledgeDeliverable(user, provider, id)` (see
    /// [`FineTuningServing::acknowledge_by`]).
    pub fn acknowledge_deliverable_for(
        &mut self,
        user: Address,
        provider: Address,
        id: alloc::string::String,
    ) -> Result<(), Vec<u8>> {
        self.acknowledge_by(Some(user), provider, &id)
    }

    /// `settleFees` (see [`FineTuningServing::settle`]).
    pub fn settle_fees(
        &mut self,
        input: serving_contracts::abi::fine_tuning::VerifierInput,
    ) -> Result<(), Vec<u8>> {
        self.settle(Settlement {
            id: &input.id,
            encrypted_secret: &input.encryptedSecret,
            model_root_hash: &input.modelRootHash,
            nonce: input.nonce,
            provider_signer: input.providerSigner,
            signature: &input.signature,
            task_fee: input.taskFee,
            user: input.user,
        })
    }
}

/// The administration: owner-only functions, routed through the views
/// program (`views.rs`) to keep the main program small.
impl FineTuningServing {
    /// Sets the refund lock time (owner only). Errors:
    /// `OwnableUnauthorizedAccount`, `InvalidLimit`.
    pub fn update_lock_time(&mut self, lock_time: U256) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        self.config.update_lock_time(caller, lock_time)
    }
}

#[public]
impl FineTuningServing {
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
        penalty_percentage: U256,
        views: Address,
    ) -> Result<(), Vec<u8>> {
        self.config.store_views(views);
        self.initialize(lock_time, ledger, owner, penalty_percentage)
    }

    /// Configures the contract once: refund lock time (seconds), ledger,
    /// owner and penalty percentage. Deployments call it in the creating
    /// transaction. Errors: `InvalidInitialization` (already initialized,
    /// zero ledger or owner), `InvalidLimit` (lock time above 2^64 - 1,
    /// penalty above 100). Emits `OwnershipTransferred`.
    pub fn initialize(
        &mut self,
        lock_time: U256,
        ledger: Address,
        owner: Address,
        penalty_percentage: U256,
    ) -> Result<(), Vec<u8>> {
        self.config.initialize(lock_time, ledger, owner)?;
        self.set_penalty_percentage(penalty_percentage)?;
        Ok(())
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

    /// Sets the share of the fee (in percent) charged for a deliverable the
    /// user did not acknowledge (owner only). Errors:
    /// `OwnableUnauthorizedAccount`, `InvalidLimit` (above 100).
    pub fn update_penalty_percentage(&mut self, penalty_percentage: U256) -> Result<(), Vec<u8>> {
        self.only_owner()?;
        self.set_penalty_percentage(penalty_percentage)
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

    /// Routes the calls of `IDeliveries` (`addDeliverable`, both
    /// `acknowledgeDeliverable`, `settleFees`) and the ledger's
    /// `retrieveFunds`, `deleteAccounts` and `userBalance`, their arguments
    /// read by hand (`calldata::Args`); every other selector runs in the
    /// views program, on this storage. Errors: those of the functions;
    /// empty data for their malformed calls (a `string` that is not UTF-8
    /// included); `NotInitialized` when no views program is set.
    #[fallback]
    fn fallback(&mut self, input: &[u8]) -> ArbResult {
        use alloy_sol_types::SolCall;
        use IDeliveries::*;
        use IServing::*;
        let selector = calldata::selector(input);
        let ledger_call = || arguments(input, |a| Some((a.address(0)?, a.addresses(1)?)));
        let word = returndata::word;
        let done = |()| Vec::new();
        match selector {
            addDeliverableCall::SELECTOR => {
                let (user, id, root) =
                    arguments(input, |a| Some((a.address(0)?, a.string(1)?, a.bytes(2)?)))?;
                self.post_deliverable(user, id, root).map(done)
            }
            acknowledgeDeliverable_0Call::SELECTOR => {
                let (provider, id) = arguments(input, |a| Some((a.address(0)?, a.string(1)?)))?;
                self.acknowledge_by(None, provider, id).map(done)
            }
            acknowledgeDeliverable_1Call::SELECTOR => {
                let (user, provider, id) = arguments(input, |a| {
                    Some((a.address(0)?, a.address(1)?, a.string(2)?))
                })?;
                self.acknowledge_by(Some(user), provider, id).map(done)
            }
            settleFeesCall::SELECTOR => {
                let input = arguments(input, Settlement::read)?;
                self.settle(input).map(done)
            }
            retrieveFundsCall::SELECTOR => {
                let (user, providers) = ledger_call()?;
                self.retrieve_funds(user, providers).map(word)
            }
            deleteAccountsCall::SELECTOR => {
                let (user, providers) = ledger_call()?;
                self.delete_accounts(user, providers).map(done)
            }
            userBalanceCall::SELECTOR => {
                let (user, providers) = ledger_call()?;
                Ok(word(self.user_balance(user, providers)))
            }
            _ => self.config.delegate_to_views(input),
        }
    }

    /// The caller (a user) acknowledges `providerSigner` as the key that
    /// signs the settlements of its account with `provider` (zero revokes).
    /// Inputs signed by the signer it replaces still settle for the lock
    /// time. Errors: `AccountNotExists`, `SignerChangePending` (the signer
    /// changed less than the lock time ago; only a change back is allowed).
    pub fn acknowledge_provider_signer(
        &mut self,
        provider: Address,
        provider_signer: Address,
    ) -> Result<(), Vec<u8>> {
        let user = self.host().msg_sender();
        let now = self.host().block_timestamp();
        // The lock time matters only when a signer is replaced. No signer
        // table: a settlement here is one record, which reads the signer
        // from the account (id 0).
        let config = &self.config;
        self.accounts.set_signer(
            user,
            provider,
            provider_signer,
            now,
            || config.lock_time(),
            None,
        )
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
}

/// The ledger's calls that take an `address[]`, routed by the main
/// program's fallback with their arguments read by hand
/// (`serving_contracts::calldata`): alloy's decoder of `(address,
/// address[])` would cost about 1.5 KB here.
impl FineTuningServing {
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
    /// `providers`, and their deliverables. Errors: `Unauthorized`,
    /// `AccountNotExists`, `AccountHasFunds`.
    pub fn delete_accounts(
        &mut self,
        user: Address,
        providers: Vec<Address>,
    ) -> Result<(), Vec<u8>> {
        self.only_ledger()?;
        for provider in providers {
            self.accounts.delete(user, provider)?;
            self.deliverables.setter(user).setter(provider).clear();
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
