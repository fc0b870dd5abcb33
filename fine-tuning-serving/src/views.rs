//! The views of FineTuningServing and its service registry, deployed as a
//! second program (the crate in `views/`) that the main program's fallback
//! delegates to, so both run on the same storage (a delegate call keeps the
//! caller, so `addOrUpdateService` registers the provider that called the
//! contract). The logic is written as methods of [`FineTuningServing`]
//! (unit tests call them there); [`FineTuningViews`] exposes them with the
//! spec's selectors, and its fallback routes the views whose arguments or
//! returns the SDK's router does not handle ([`FineTuningServing::route_views`]).

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serving_contracts::{
    abi::{
        fine_tuning::{
            AccountDetails, AccountSummary, Deliverable, DeliverableNotExists, IPagedViews, Quota,
            Service, ServiceUpdated,
        },
        revert, ServiceNotExist, ServiceRemoved, UserInfo,
    },
    account::{AccountView, Accounts},
    account_views::AccountViews,
    address_set::AddressSet,
    host::log,
    service_views::ServiceViews,
    storage::StoredString,
};
use stylus_sdk::{prelude::*, storage::StorageVec, ArbResult};

use crate::{arguments, FineTuningServing};

impl FineTuningServing {
    /// Registers or updates the caller's service, storing `occupied` as
    /// given. Errors: `NotInitialized`. Emits `ServiceUpdated`.
    pub fn add_or_update_service(
        &mut self,
        url: String,
        quota: Quota,
        price_per_token: U256,
        provider_signer: Address,
        occupied: bool,
        models: Vec<String>,
    ) -> Result<(), Vec<u8>> {
        let provider = self.only_initialized()?;
        self.providers.insert(provider);
        let mut service = self.services.setter(provider);
        let numbers = [
            price_per_token,
            quota.cpuCount,
            quota.nodeMemory,
            quota.gpuCount,
            quota.nodeStorage,
        ];
        for (i, number) in numbers.into_iter().enumerate() {
            service.numbers.setter(i).unwrap().set(number);
        }
        service.url.set(&url);
        service.gpu_type.set(&quota.gpuType);
        service.provider_signer.set(provider_signer);
        service.occupied.set(occupied);
        set_models(&mut service.models, &models);
        log(
            self.host(),
            ServiceUpdated {
                user: provider,
                url,
                quota,
                pricePerToken: price_per_token,
                providerSigner: provider_signer,
                occupied,
            },
        );
        Ok(())
    }

    /// Removes the caller's service; its accounts stay (users can still
    /// retrieve their funds, the provider can still settle) but no new
    /// account can be opened. Errors: `NotInitialized`, `ServiceNotExist`.
    /// Emits `ServiceRemoved`.
    pub fn remove_service(&mut self) -> Result<(), Vec<u8>> {
        let provider = self.only_initialized()?;
        if !self.providers.remove(provider) {
            return Err(revert(ServiceNotExist { provider }));
        }
        // The record stays, out of reach: only a listed provider's service
        // is read, and registering again overwrites every field.
        log(self.host(), ServiceRemoved { service: provider });
        Ok(())
    }

    /// Whether `initialize` ran.
    pub fn initialized(&self) -> bool {
        self.config.initialized()
    }

    /// Seconds a refund stays locked after it was requested.
    pub fn lock_time(&self) -> U256 {
        U256::from(self.config.lock_time())
    }

    /// The LedgerManager.
    pub fn ledger_address(&self) -> Address {
        self.config.ledger()
    }

    /// The owner.
    pub fn owner(&self) -> Address {
        self.config.ownable.owner()
    }

    /// The share of the fee (in percent) charged for a deliverable the user
    /// did not acknowledge.
    pub fn penalty_percentage(&self) -> U256 {
        U256::from(self.penalty_percentage.get())
    }

    /// The deliverable `id` of `user`'s account with `provider`. Errors:
    /// `AccountNotExists`, `DeliverableNotExists`.
    pub fn get_deliverable(
        &self,
        user: Address,
        provider: Address,
        id: String,
    ) -> Result<Deliverable, Vec<u8>> {
        self.accounts.existing(user, provider)?;
        let deliverable = self.deliverables.get(user).get(provider).get(&id);
        deliverable.ok_or_else(|| revert(DeliverableNotExists { id }))
    }

    /// The deliverables of `user`'s account with `provider`, oldest first.
    /// Errors: `AccountNotExists`.
    pub fn get_deliverables(
        &self,
        user: Address,
        provider: Address,
    ) -> Result<Vec<Deliverable>, Vec<u8>> {
        self.accounts.existing(user, provider)?;
        Ok(self.deliverables.get(user).get(provider).list())
    }

    /// The account of `user` with `provider`, with its refunds and
    /// deliverables. Errors: `AccountNotExists`.
    pub fn get_account(&self, user: Address, provider: Address) -> Result<AccountDetails, Vec<u8>> {
        let AccountSummary {
            user,
            provider,
            nonce,
            balance,
            pendingRefund,
            additionalInfo,
            providerSigner,
            validRefundsLength,
            deliverablesCount,
        } = self.existing_item(user, provider)?;
        let accounts = self.deliverables.get(user);
        let deliverables = accounts.get(provider);
        let (head, _) = deliverables.head_and_count();
        Ok(AccountDetails {
            user,
            provider,
            nonce,
            balance,
            pendingRefund,
            validRefundsLength,
            refunds: self.accounts.view(user, provider).refunds,
            additionalInfo,
            providerSigner,
            deliverables: deliverables.list(),
            deliverablesHead: U256::from(head),
            deliverablesCount,
        })
    }
}

impl ServiceViews for FineTuningServing {
    type Service = Service;

    fn providers(&self) -> &AddressSet {
        &self.providers
    }

    fn service(&self, provider: Address) -> Service {
        let service = self.services.get(provider);
        let number = |i: usize| service.numbers.get(i).unwrap();
        Service {
            provider,
            url: service.url.get(),
            quota: Quota {
                cpuCount: number(1),
                nodeMemory: number(2),
                gpuCount: number(3),
                nodeStorage: number(4),
                gpuType: service.gpu_type.get(),
            },
            pricePerToken: number(0),
            providerSigner: service.provider_signer.get(),
            occupied: service.occupied.get(),
            models: (0..service.models.len())
                .map(|i| service.models.getter(i).unwrap().get())
                .collect(),
        }
    }
}

impl AccountViews for FineTuningServing {
    type Item = AccountSummary;

    fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    fn ledger(&self) -> Address {
        self.config.ledger()
    }

    /// The account as the paged views show it.
    fn show(&self, account: AccountView, info: UserInfo) -> AccountSummary {
        let AccountView {
            user,
            provider,
            nonce,
            balance,
            pending_refund,
            signer,
            refunds,
        } = account;
        let (_, count) = self.deliverables.get(user).get(provider).head_and_count();
        AccountSummary {
            user,
            provider,
            nonce,
            balance,
            pendingRefund: pending_refund,
            additionalInfo: info.additionalInfo,
            providerSigner: signer,
            validRefundsLength: U256::from(refunds.len()),
            deliverablesCount: U256::from(count),
        }
    }
}

/// Stores `models` in `stored`. Entries past their number are left in
/// storage, out of the vector: an entry stored there again overwrites all
/// of the old one (`StoredString::set` clears its longer tail).
fn set_models(stored: &mut StorageVec<StoredString>, models: &[String]) {
    let old = stored.len();
    for (i, model) in models.iter().enumerate() {
        if i < old {
            stored.setter(i).unwrap().set(model);
        } else {
            stored.grow().set(model);
        }
    }
    stored.truncate(models.len());
}

/// The views program: FineTuningServing's storage, its read-only functions
/// and the service registry (rarely called, so the extra delegate call
/// costs little, and it does not fit in the main program).
#[storage]
pub struct FineTuningViews {
    state: FineTuningServing,
}

/// SAFETY: the whole storage of the views program (`views/`).
unsafe impl TopLevelStorage for FineTuningViews {}

/// Runs one call of the views program on [`FineTuningViews`]'s `#[public]` functions:
/// the router the `views/` crate's entrypoint hands every call to
/// (`serving_contracts::program!`).
///
/// # Errors
///
/// The revert data of the function called, or empty for an unknown
/// selector.
pub fn views_program(input: Vec<u8>, host: stylus_sdk::host::VM) -> ArbResult {
    stylus_sdk::abi::router_entrypoint::<FineTuningViews, FineTuningViews>(input, host)
}

#[public]
impl FineTuningViews {
    /// Sets the refund lock time (owner only). Errors:
    /// `OwnableUnauthorizedAccount`, `InvalidLimit`.
    pub fn update_lock_time(&mut self, lock_time: U256) -> Result<(), Vec<u8>> {
        self.state.update_lock_time(lock_time)
    }

    /// Whether `initialize` ran.
    pub fn initialized(&self) -> bool {
        self.state.initialized()
    }

    /// Seconds a refund stays locked after it was requested.
    pub fn lock_time(&self) -> U256 {
        self.state.lock_time()
    }

    /// The LedgerManager.
    pub fn ledger_address(&self) -> Address {
        self.state.ledger_address()
    }

    /// The owner.
    pub fn owner(&self) -> Address {
        self.state.owner()
    }

    /// The share of the fee (in percent) charged for a deliverable the user
    /// did not acknowledge.
    pub fn penalty_percentage(&self) -> U256 {
        self.state.penalty_percentage()
    }

    /// The service of `provider`. Errors: `ServiceNotExist`.
    pub fn get_service(&self, provider: Address) -> Result<Service, Vec<u8>> {
        self.state.get_service(provider)
    }

    /// Every service.
    pub fn get_all_services(&self) -> Vec<Service> {
        self.state.get_all_services()
    }

    /// Removes the caller's service; its accounts stay. Errors:
    /// `NotInitialized`, `ServiceNotExist`. Emits `ServiceRemoved`.
    pub fn remove_service(&mut self) -> Result<(), Vec<u8>> {
        self.state.remove_service()
    }

    /// Routes the views of `fine_tuning::IPagedViews` (see
    /// [`FineTuningServing::route_views`]). Every other unknown selector
    /// reverts.
    #[fallback]
    fn fallback(&mut self, input: &[u8]) -> ArbResult {
        self.state.route_views(input)
    }
}

/// `getAccount(address,address)`, routed by [`FineTuningServing::route_views`].
const GET_ACCOUNT: [u8; 4] = stylus_sdk::function_selector!("getAccount", Address, Address);

impl FineTuningServing {
    /// The views program's fallback: routes the views of
    /// `fine_tuning::IPagedViews`, getAllAccounts, getAccountsByProvider,
    /// getAccountsByUser (two return values, one dynamic, which the SDK's
    /// router would encode unlike Solidity) and getBatchAccountsByUsers
    /// (its `address[]` read by `serving_contracts::calldata`), and encodes
    /// their returns as Solidity does.
    /// Errors: those of the views; empty data for a malformed call or any
    /// other selector.
    pub fn route_views(&mut self, input: &[u8]) -> ArbResult {
        use IPagedViews::*;
        // The arguments are read by hand: alloy's decoders would add their
        // code (and validation's error formatting) to the program. Like a
        // decoder without validation, an address is the low 20 bytes of
        // its word.
        let number = |i: usize| arguments(input, |a| a.number(i));
        let address = |i: usize| arguments(input, |a| a.address(i));
        let selector: [u8; 4] = input
            .get(..4)
            .and_then(|s| s.try_into().ok())
            .unwrap_or_default();
        match selector {
            getAllAccountsCall::SELECTOR => {
                let page = self.get_all_accounts(number(0)?, number(1)?)?;
                Ok(getAllAccountsCall::abi_encode_returns(&page))
            }
            getAccountsByProviderCall::SELECTOR => {
                let page = self.get_accounts_by_provider(address(0)?, number(1)?, number(2)?)?;
                Ok(getAccountsByProviderCall::abi_encode_returns(&page))
            }
            getAccountsByUserCall::SELECTOR => {
                let page = self.get_accounts_by_user(address(0)?, number(1)?, number(2)?)?;
                Ok(getAccountsByUserCall::abi_encode_returns(&page))
            }
            getServicesCall::SELECTOR => self.get_services(number(0)?, number(1)?),
            GET_ACCOUNT => {
                let account = self.get_account(address(0)?, address(1)?)?;
                Ok(stylus_sdk::abi::encode(&account))
            }
            getDeliverablesCall::SELECTOR => {
                let deliverables = self.get_deliverables(address(0)?, address(1)?)?;
                Ok(getDeliverablesCall::abi_encode_returns(&(deliverables,)))
            }
            accountExistsCall::SELECTOR => {
                let exists = self.account_exists(address(0)?, address(1)?);
                Ok(U256::from(exists as u8).to_be_bytes::<32>().to_vec())
            }
            getPendingRefundCall::SELECTOR => {
                let pending = self.get_pending_refund(address(0)?, address(1)?);
                Ok(pending.to_be_bytes::<32>().to_vec())
            }
            getDeliverableCall::SELECTOR => {
                let (user, provider, id) = arguments(input, |a| {
                    Some((a.address(0)?, a.address(1)?, a.string(2)?))
                })?;
                let deliverable = self.get_deliverable(user, provider, id.into())?;
                Ok(getDeliverableCall::abi_encode_returns(&(deliverable,)))
            }
            addOrUpdateServiceCall::SELECTOR => {
                let (url, quota, price, signer, occupied, models) = arguments(input, |a| {
                    let quota = a.at(1)?;
                    let quota = Quota {
                        cpuCount: quota.number(0)?,
                        nodeMemory: quota.number(1)?,
                        gpuCount: quota.number(2)?,
                        nodeStorage: quota.number(3)?,
                        gpuType: quota.string(4)?.into(),
                    };
                    let occupied = a.boolean(4)?;
                    let models = a.strings(5)?.into_iter().map(String::from).collect();
                    Some((
                        a.string(0)?,
                        quota,
                        a.number(2)?,
                        a.address(3)?,
                        occupied,
                        models,
                    ))
                })?;
                self.add_or_update_service(url.into(), quota, price, signer, occupied, models)
                    .map(|()| Vec::new())
            }
            getBatchAccountsByUsersCall::SELECTOR => {
                let users = arguments(input, |a| a.addresses(0))?;
                let accounts = self.get_batch_accounts_by_users(users)?;
                Ok(getBatchAccountsByUsersCall::abi_encode_returns(
                    &(accounts,),
                ))
            }
            _ => Err(Vec::new()),
        }
    }
}
