//! LedgerManager: users' ledgers, and the only contract that holds funds.
//!
//! A ledger's `availableBalance` is the user's money not assigned to any
//! provider. Money moved to a provider sits in a sub-account of a serving
//! contract, as an accounting entry backed by this contract's balance:
//! `totalBalance` = available + the user's sub-account balances, read from
//! the serving contracts. Users are paid only by `refund`, providers only by
//! `payProvider` after a settlement; no value moves between our contracts
//! (see `serving_contracts::interfaces`).
//!
//! Bounds: `retrieveFund` takes at most [`MAX_PROVIDERS_PER_BATCH`]
//! providers; a ledger has sub-accounts with at most
//! [`MAX_PROVIDERS_PER_KIND`] providers of each service kind, which bounds
//! `deleteLedger` and what a ledger's view reads; a page of
//! `getAllLedgers` holds at most [`MAX_LEDGER_PAGE`] ledgers.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{aliases::U128, Address, U256, U8};
use alloy_sol_types::{SolCall, SolError};
use serving_contracts::{
    abi::{
        revert, AmountTooLarge, EscrowExceeded, IPagedViews, InsufficientBalance,
        InvalidInitialization, InvalidServiceType, Ledger, LedgerExists, LedgerHasFunds,
        LedgerNotExists, NotInitialized, TooManyProviders, Unauthorized, UserInfo,
        ValueNotAccepted,
    },
    account_views::MAX_BATCH_USERS,
    address_set::AddressSet,
    interfaces::{call, view, IServing},
    ownable::Ownable,
    pagination::{bounded, page_at_most},
    storage::StoredString,
};
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageArray, StorageBool, StorageMap, StorageU128, StorageU256, StorageU8,
    },
    stylus_core::calls::ValueTransfer,
    ArbResult,
};

/// Most providers `retrieveFund` takes in one call.
pub const MAX_PROVIDERS_PER_BATCH: usize = 20;
/// Most providers of one service kind a ledger may have sub-accounts with.
pub const MAX_PROVIDERS_PER_KIND: usize = 64;
/// Most ledgers a page of `getAllLedgers` holds (`limit` 0 still means
/// all). A ledger shows up to 128 providers and its total balance, read
/// from both serving contracts: up to about 0.7M gas, so a full page stays
/// under 10M gas.
pub const MAX_LEDGER_PAGE: usize = 10;

/// The two kinds of service, each with its serving contract.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Inference,
    FineTuning,
}

type ProviderArray = StorageArray<StorageAddress, MAX_PROVIDERS_PER_KIND>;

/// A user's ledger as stored. The provider counts share the slot of the
/// available balance, which every transfer writes anyway.
#[storage]
pub struct LedgerRecord {
    signer: StorageArray<StorageU256, 2>,
    additional_info: StoredString,
    inference_providers: ProviderArray,
    fine_tuning_providers: ProviderArray,
    available: StorageU128,
    inference_count: StorageU8,
    fine_tuning_count: StorageU8,
}

impl LedgerRecord {
    fn list(&self, kind: Kind) -> (&ProviderArray, usize) {
        match kind {
            Kind::Inference => (&self.inference_providers, self.inference_count.get().to()),
            Kind::FineTuning => (
                &self.fine_tuning_providers,
                self.fine_tuning_count.get().to(),
            ),
        }
    }

    /// The providers of `kind` the user has sub-accounts with.
    fn providers(&self, kind: Kind) -> Vec<Address> {
        let (members, count) = self.list(kind);
        (0..count)
            .map(|i| members.get(i).unwrap_or_default())
            .collect()
    }

    /// Records a new sub-account with `provider`. Errors: `TooManyProviders`.
    fn push(&mut self, kind: Kind, provider: Address) -> Result<(), Vec<u8>> {
        let (members, count) = match kind {
            Kind::Inference => (&mut self.inference_providers, &mut self.inference_count),
            Kind::FineTuning => (&mut self.fine_tuning_providers, &mut self.fine_tuning_count),
        };
        let n = count.get().to::<usize>();
        if n == MAX_PROVIDERS_PER_KIND {
            return Err(revert(TooManyProviders {
                count: U256::from(n + 1),
                max: U256::from(MAX_PROVIDERS_PER_KIND),
            }));
        }
        members.setter(n).unwrap().set(provider);
        count.set(U8::from(n + 1));
        Ok(())
    }

    /// Forgets every provider.
    fn clear_providers(&mut self) {
        for (members, count) in [
            (&mut self.inference_providers, &mut self.inference_count),
            (&mut self.fine_tuning_providers, &mut self.fine_tuning_count),
        ] {
            for i in 0..count.get().to::<usize>() {
                members.setter(i).unwrap().set(Address::ZERO);
            }
            count.set(U8::ZERO);
        }
    }
}

/// The LedgerManager contract.
#[entrypoint]
#[storage]
pub struct LedgerManager {
    ownable: Ownable,
    users: AddressSet,
    ledgers: StorageMap<Address, LedgerRecord>,
    initialized: StorageBool,
    inference_address: StorageAddress,
    fine_tuning_address: StorageAddress,
    /// Per serving contract, what its sub-accounts hold: what
    /// `transferFund` moved in, less what came back and what was paid out.
    escrow: StorageMap<Address, StorageU256>,
}

impl LedgerManager {
    /// Takes `amount` out of `serving`'s escrow. Errors: `EscrowExceeded`.
    fn release(&mut self, serving: Address, amount: U256) -> Result<(), Vec<u8>> {
        let mut escrow = self.escrow.setter(serving);
        let held = escrow.get();
        if amount > held {
            return Err(revert(EscrowExceeded {
                serving,
                amount,
                escrow: held,
            }));
        }
        escrow.set(held - amount);
        Ok(())
    }

    fn only_initialized(&self) -> Result<(), Vec<u8>> {
        if !self.initialized.get() {
            return Err(revert(NotInitialized {}));
        }
        Ok(())
    }

    /// The caller's ledger must exist. Errors: `NotInitialized`,
    /// `LedgerNotExists`.
    fn sender_ledger(&self) -> Result<Address, Vec<u8>> {
        self.only_initialized()?;
        let user = self.host().msg_sender();
        self.existing(user)?;
        Ok(user)
    }

    fn existing(&self, user: Address) -> Result<(), Vec<u8>> {
        if !self.users.contains(user) {
            return Err(revert(LedgerNotExists { user }));
        }
        Ok(())
    }

    fn kind(&self, service_type: &str) -> Result<(Kind, Address), Vec<u8>> {
        let (kind, address) = match service_type {
            "inference" => (Kind::Inference, self.inference_address.get()),
            "fine-tuning" => (Kind::FineTuning, self.fine_tuning_address.get()),
            _ => (Kind::Inference, Address::ZERO),
        };
        if address.is_zero() {
            return Err(revert(InvalidServiceType {
                serviceType: service_type.into(),
            }));
        }
        Ok((kind, address))
    }

    fn serving_contracts(&self) -> [(Kind, Address); 2] {
        [
            (Kind::Inference, self.inference_address.get()),
            (Kind::FineTuning, self.fine_tuning_address.get()),
        ]
    }

    fn providers(&self, user: Address, kind: Kind) -> Vec<Address> {
        self.ledgers.get(user).providers(kind)
    }

    fn set_available(&mut self, user: Address, amount: U256) -> Result<(), Vec<u8>> {
        let value = U128::checked_from_limbs_slice(amount.as_limbs())
            .ok_or_else(|| revert(AmountTooLarge { amount }))?;
        self.ledgers.setter(user).available.set(value);
        Ok(())
    }

    fn available(&self, user: Address) -> U256 {
        U256::from(self.ledgers.get(user).available.get())
    }

    /// Available balance plus every sub-account balance of `user`.
    fn total_balance(&self, user: Address) -> Result<U256, Vec<u8>> {
        let mut total = self.available(user);
        for (kind, serving) in self.serving_contracts() {
            let providers = self.providers(user, kind);
            if !providers.is_empty() {
                total += view(
                    self.host(),
                    serving,
                    &IServing::userBalanceCall { user, providers },
                )?
                .balance;
            }
        }
        Ok(total)
    }

    /// A page of all ledgers (`limit` 0: all, else at most
    /// [`MAX_LEDGER_PAGE`]) and their count. Errors: `InvalidLimit`.
    pub fn get_all_ledgers(
        &self,
        offset: U256,
        limit: U256,
    ) -> Result<(Vec<Ledger>, U256), Vec<u8>> {
        let total = self.users.len();
        let ledgers = page_at_most(total, offset, limit, MAX_LEDGER_PAGE)?
            .map(|i| self.ledger_view(self.users.at(i)))
            .collect::<Result<_, _>>()?;
        Ok((ledgers, U256::from(total)))
    }

    fn ledger_view(&self, user: Address) -> Result<Ledger, Vec<u8>> {
        let ledger = self.ledgers.get(user);
        Ok(Ledger {
            user,
            availableBalance: U256::from(ledger.available.get()),
            totalBalance: self.total_balance(user)?,
            inferenceSigner: [ledger.signer.get(0).unwrap(), ledger.signer.get(1).unwrap()],
            additionalInfo: ledger.additional_info.get(),
            inferenceProviders: ledger.providers(Kind::Inference),
            fineTuningProviders: ledger.providers(Kind::FineTuning),
        })
    }
}

#[public]
impl LedgerManager {
    /// Constructs a configured contract in its creating transaction (the
    /// StylusDeployer's init call, `cargo stylus deploy --constructor-args`):
    /// `initialize`, so a constructed contract refuses `initialize`. Errors:
    /// as `initialize`. Emits `OwnershipTransferred`.
    #[constructor]
    pub fn constructor(
        &mut self,
        inference: Address,
        fine_tuning: Address,
        owner: Address,
    ) -> Result<(), Vec<u8>> {
        self.initialize(inference, fine_tuning, owner)
    }

    /// Configures the contract once: the serving contracts and the owner.
    /// `fineTuning` may be zero until that contract is deployed ("fine-tuning"
    /// is then refused as a service type). Deployments call it in the
    /// creating transaction. Errors: `InvalidInitialization` (already
    /// initialized, zero inference or owner). Emits `OwnershipTransferred`.
    pub fn initialize(
        &mut self,
        inference: Address,
        fine_tuning: Address,
        owner: Address,
    ) -> Result<(), Vec<u8>> {
        if self.initialized.get() || inference.is_zero() || owner.is_zero() {
            return Err(revert(InvalidInitialization {}));
        }
        self.initialized.set(true);
        self.inference_address.set(inference);
        self.fine_tuning_address.set(fine_tuning);
        self.ownable.set_owner(owner);
        Ok(())
    }

    /// Whether `initialize` ran.
    pub fn initialized(&self) -> bool {
        self.initialized.get()
    }

    /// Opens the caller's ledger with the value sent; returns the available
    /// and total balances. Errors: `NotInitialized`, `LedgerExists`,
    /// `AmountTooLarge`.
    #[payable]
    pub fn add_ledger(
        &mut self,
        inference_signer: [U256; 2],
        additional_info: String,
    ) -> Result<(U256, U256), Vec<u8>> {
        self.only_initialized()?;
        let user = self.host().msg_sender();
        if !self.users.insert(user).1 {
            return Err(revert(LedgerExists { user }));
        }
        let value = self.host().msg_value();
        self.set_available(user, value)?;
        let mut ledger = self.ledgers.setter(user);
        for (i, part) in inference_signer.into_iter().enumerate() {
            ledger.signer.setter(i).unwrap().set(part);
        }
        ledger.additional_info.set(&additional_info);
        Ok((value, value))
    }

    /// Adds the value sent to the caller's available balance. Errors:
    /// `NotInitialized`, `LedgerNotExists`, `AmountTooLarge`.
    #[payable]
    pub fn deposit_fund(&mut self) -> Result<(), Vec<u8>> {
        let user = self.sender_ledger()?;
        let balance = self.available(user) + self.host().msg_value();
        self.set_available(user, balance)
    }

    /// Sends `amount` of the caller's available balance to the caller.
    /// Errors: `NotInitialized`, `LedgerNotExists`, `InsufficientBalance`.
    pub fn refund(&mut self, amount: U256) -> Result<(), Vec<u8>> {
        let user = self.sender_ledger()?;
        let available = self.available(user);
        if available < amount {
            return Err(revert(InsufficientBalance { user }));
        }
        self.set_available(user, available - amount)?;
        ValueTransfer::transfer_eth(self.host(), user, amount)
    }

    /// Moves `amount` to the caller's sub-account with `provider` in the
    /// serving contract of `serviceType` ("inference" or "fine-tuning"),
    /// opening it if needed (the provider must offer a service of that
    /// kind). Into an existing sub-account, pending refunds are cancelled
    /// first and only the rest is taken from the available balance.
    /// Errors: `NotInitialized`, `LedgerNotExists`, `InvalidServiceType`,
    /// `InsufficientBalance`, `TooManyProviders`, and from the serving
    /// contract `ServiceNotExist`, `AmountTooLarge`. Emits (serving)
    /// `BalanceUpdated`.
    pub fn transfer_fund(
        &mut self,
        provider: Address,
        service_type: String,
        amount: U256,
    ) -> Result<(), Vec<u8>> {
        let user = self.sender_ledger()?;
        let (kind, serving) = self.kind(&service_type)?;
        let available = self.available(user);
        let funded = call(
            self.host(),
            serving,
            &IServing::fundAccountCall {
                user,
                provider,
                amount,
            },
        )?;
        if available < funded.moved {
            return Err(revert(InsufficientBalance { user }));
        }
        self.set_available(user, available - funded.moved)?;
        let mut escrow = self.escrow.setter(serving);
        let held = escrow.get();
        escrow.set(held + funded.moved);
        if funded.created {
            self.ledgers.setter(user).push(kind, provider)?;
        }
        Ok(())
    }

    /// For each of `providers`, pays the caller's matured refunds back to
    /// the available balance and queues the rest of the sub-account as a
    /// refund that unlocks after the serving contract's lock time.
    /// Errors: `NotInitialized`, `LedgerNotExists`, `TooManyProviders`
    /// (more than 20), `InvalidServiceType`, and from the serving contract
    /// `AccountNotExists`, `TooManyRefunds`. Emits (serving)
    /// `RefundRequested`, `BalanceUpdated`.
    pub fn retrieve_fund(
        &mut self,
        providers: Vec<Address>,
        service_type: String,
    ) -> Result<(), Vec<u8>> {
        let user = self.sender_ledger()?;
        if providers.len() > MAX_PROVIDERS_PER_BATCH {
            return Err(revert(TooManyProviders {
                count: U256::from(providers.len()),
                max: U256::from(MAX_PROVIDERS_PER_BATCH),
            }));
        }
        let (_, serving) = self.kind(&service_type)?;
        let paid = call(
            self.host(),
            serving,
            &IServing::retrieveFundsCall { user, providers },
        )?
        .paid;
        self.release(serving, paid)?;
        let available = self.available(user) + paid;
        self.set_available(user, available)
    }

    /// Deletes the caller's ledger and its sub-accounts. Only an empty
    /// ledger can be deleted, so no funds are ever stranded. Errors:
    /// `NotInitialized`, `LedgerNotExists`, `LedgerHasFunds`.
    pub fn delete_ledger(&mut self) -> Result<(), Vec<u8>> {
        let user = self.sender_ledger()?;
        let total = self.total_balance(user)?;
        if !total.is_zero() {
            return Err(revert(LedgerHasFunds {
                user,
                totalBalance: total,
            }));
        }
        for (kind, serving) in self.serving_contracts() {
            let providers = self.providers(user, kind);
            if !providers.is_empty() {
                call(
                    self.host(),
                    serving,
                    &IServing::deleteAccountsCall { user, providers },
                )?;
            }
        }
        let mut ledger = self.ledgers.setter(user);
        ledger.clear_providers();
        for i in 0..2 {
            ledger.signer.setter(i).unwrap().set(U256::ZERO);
        }
        ledger.additional_info.clear();
        self.users.remove(user);
        Ok(())
    }

    /// The ledger of `user`. Errors: `LedgerNotExists`.
    pub fn get_ledger(&self, user: Address) -> Result<Ledger, Vec<u8>> {
        self.existing(user)?;
        self.ledger_view(user)
    }

    /// The InferenceServing contract.
    pub fn inference_address(&self) -> Address {
        self.inference_address.get()
    }

    /// The FineTuningServing contract.
    pub fn fine_tuning_address(&self) -> Address {
        self.fine_tuning_address.get()
    }

    /// Most providers `retrieveFund` takes in one call (20).
    #[selector(name = "MAX_PROVIDERS_PER_BATCH")]
    pub fn max_providers_per_batch(&self) -> U256 {
        U256::from(MAX_PROVIDERS_PER_BATCH)
    }

    /// The owner.
    pub fn owner(&self) -> Address {
        self.ownable.owner()
    }

    /// Hands ownership to `newOwner`. Errors: `OwnableUnauthorizedAccount`,
    /// `OwnableInvalidOwner`. Emits `OwnershipTransferred`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        self.ownable.transfer(caller, new_owner)
    }

    /// Leaves the contract without owner. Errors:
    /// `OwnableUnauthorizedAccount`. Emits `OwnershipTransferred`.
    pub fn renounce_ownership(&mut self) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        self.ownable.renounce(caller)
    }

    /// Internal (serving contracts only): pays `provider` the fees of a
    /// settled batch, out of the calling contract's escrow: a serving
    /// contract can never pay out more than its own users' sub-accounts
    /// hold. Errors: `Unauthorized`, `EscrowExceeded`.
    pub fn pay_provider(&mut self, provider: Address, amount: U256) -> Result<(), Vec<u8>> {
        let caller = self.host().msg_sender();
        if caller.is_zero()
            || (caller != self.inference_address.get() && caller != self.fine_tuning_address.get())
        {
            return Err(revert(Unauthorized { caller }));
        }
        self.release(caller, amount)?;
        ValueTransfer::transfer_eth(self.host(), provider, amount)
    }

    /// What the sub-accounts of serving contract `serving` hold, as the
    /// ledger keeps it (the most `payProvider` can pay it out).
    pub fn escrow_of(&self, serving: Address) -> U256 {
        self.escrow.get(serving)
    }

    /// Internal view (serving contracts): for each of `users` (at most
    /// [`MAX_BATCH_USERS`], what a serving contract's page or batch holds),
    /// the ledger's signer and info (zero for a user without a ledger), and
    /// when `withProviders`, the providers of the calling serving
    /// contract's kind that the user has sub-accounts with (none for any
    /// other caller). Errors: `InvalidLimit`.
    pub fn user_info(
        &self,
        users: Vec<Address>,
        with_providers: bool,
    ) -> Result<Vec<UserInfo>, Vec<u8>> {
        bounded(users.len(), MAX_BATCH_USERS)?;
        let caller = self.host().msg_sender();
        let kind = if !with_providers {
            None
        } else if caller == self.inference_address.get() {
            Some(Kind::Inference)
        } else if caller == self.fine_tuning_address.get() {
            Some(Kind::FineTuning)
        } else {
            None
        };
        Ok(users
            .into_iter()
            .map(|user| {
                let ledger = self.ledgers.get(user);
                UserInfo {
                    signer: [ledger.signer.get(0).unwrap(), ledger.signer.get(1).unwrap()],
                    additionalInfo: ledger.additional_info.get(),
                    providers: kind.map(|kind| ledger.providers(kind)).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// Routes `getAllLedgers` (see `IPagedViews`); every other unknown
    /// selector reverts.
    #[fallback]
    fn fallback(&mut self, input: &[u8]) -> ArbResult {
        let call =
            IPagedViews::getAllLedgersCall::abi_decode(input, true).map_err(|_| Vec::new())?;
        let page = self.get_all_ledgers(call.offset, call.limit)?;
        Ok(IPagedViews::getAllLedgersCall::abi_encode_returns(&page))
    }

    /// Plain value transfers are refused: value belongs to a ledger.
    /// Errors: `ValueNotAccepted`.
    #[receive]
    pub fn receive(&mut self) -> Result<(), Vec<u8>> {
        Err(ValueNotAccepted {}.abi_encode())
    }
}

#[cfg(test)]
mod tests;
