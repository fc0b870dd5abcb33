//! The views of FineTuningServing and its service registry, deployed as a
//! second program (the crate in `views/`) that the main program's fallback
//! delegates to, so both run on the same storage (a delegate call keeps the
//! caller, so `addOrUpdateService` registers the provider that called the
//! contract). The logic is written as methods of [`FineTuningServing`]
//! (unit tests call them there); [`FineTuningViews`], the program, has only
//! a fallback, which routes every call by hand
//! ([`FineTuningServing::route_views`]): its arguments are read by
//! `serving_contracts::calldata` and its returns, events included, written
//! by `serving_contracts::returndata`, because alloy's generic encoders and
//! decoders and the SDK's router do not fit in the program.

use alloc::{string::String, vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use serving_contracts::{
    abi::{
        fine_tuning::{
            AccountSummary, DeliverableNotExists, IPagedViews, ISettings, Quota, Service,
            ServiceUpdated,
        },
        revert, ServiceNotExist, ServiceRemoved, UserInfo,
    },
    account::{AccountView, Accounts},
    account_views::AccountViews,
    address_set::AddressSet,
    host::log_encoded,
    pagination::page,
    returndata::{self, Tuple},
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
        let data = Tuple::new(5)
            .bytes(url.as_bytes())
            .encoded(&quota_encoding(&quota))
            .number(price_per_token)
            .address(provider_signer)
            .boolean(occupied)
            .finish();
        let topics = [ServiceUpdated::SIGNATURE_HASH, provider.into_word()];
        log_encoded(self.host(), &topics, &data);
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
        let topics = [ServiceRemoved::SIGNATURE_HASH, provider.into_word()];
        log_encoded(self.host(), &topics, &[]);
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

    /// `getDeliverable`'s return data: the deliverable `id` of `user`'s
    /// account with `provider`. Errors: `AccountNotExists`,
    /// `DeliverableNotExists`.
    pub fn deliverable_returns(
        &self,
        user: Address,
        provider: Address,
        id: &str,
    ) -> Result<Vec<u8>, Vec<u8>> {
        self.accounts.existing(user, provider)?;
        let deliverable = self.deliverables.get(user).get(provider).encoded(id);
        let deliverable =
            deliverable.ok_or_else(|| revert(DeliverableNotExists { id: id.into() }))?;
        Ok(returndata::single(&deliverable))
    }

    /// `getDeliverables`' return data: the deliverables of `user`'s account
    /// with `provider`, oldest first. Errors: `AccountNotExists`.
    pub fn deliverables_returns(
        &self,
        user: Address,
        provider: Address,
    ) -> Result<Vec<u8>, Vec<u8>> {
        self.accounts.existing(user, provider)?;
        let deliverables = self.deliverables.get(user).get(provider).encoded_list();
        Ok(returndata::single(&returndata::array(&deliverables, true)))
    }

    /// `getAccount`'s return data: the account of `user` with `provider`
    /// (an `AccountDetails`), with its refunds and deliverables. Errors:
    /// `AccountNotExists`.
    pub fn account_returns(&self, user: Address, provider: Address) -> Result<Vec<u8>, Vec<u8>> {
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
        let refunds: Vec<_> = (self.accounts.view(user, provider).refunds.iter())
            .map(|refund| {
                Tuple::new(4)
                    .number(refund.index)
                    .number(refund.amount)
                    .number(refund.createdAt)
                    .boolean(refund.processed)
                    .finish()
            })
            .collect();
        let accounts = self.deliverables.get(user);
        let deliverables = accounts.get(provider);
        let (head, _) = deliverables.head_and_count();
        let account = Tuple::new(12)
            .address(user)
            .address(provider)
            .number(nonce)
            .number(balance)
            .number(pendingRefund)
            .encoded(&returndata::array(&refunds, false))
            .bytes(additionalInfo.as_bytes())
            .address(providerSigner)
            .encoded(&returndata::array(&deliverables.encoded_list(), true))
            .number(validRefundsLength)
            .number(U256::from(head))
            .number(deliverablesCount)
            .finish();
        Ok(returndata::single(&account))
    }
}

/// The views whose return data the views program encodes by hand
/// (`serving_contracts::returndata`), with alloy's types, as the native
/// callers (unit tests, the harness's in-process market) read them.
#[cfg(not(target_arch = "wasm32"))]
impl FineTuningServing {
    /// `getDeliverable` (see [`FineTuningServing::deliverable_returns`]).
    pub fn get_deliverable(
        &self,
        user: Address,
        provider: Address,
        id: String,
    ) -> Result<serving_contracts::abi::fine_tuning::Deliverable, Vec<u8>> {
        let data = self.deliverable_returns(user, provider, &id)?;
        Ok(decode::<IPagedViews::getDeliverableCall>(&data).deliverable)
    }

    /// `getDeliverables` (see [`FineTuningServing::deliverables_returns`]).
    pub fn get_deliverables(
        &self,
        user: Address,
        provider: Address,
    ) -> Result<Vec<serving_contracts::abi::fine_tuning::Deliverable>, Vec<u8>> {
        let data = self.deliverables_returns(user, provider)?;
        Ok(decode::<IPagedViews::getDeliverablesCall>(&data).deliverables)
    }

    /// `getAccount` (see [`FineTuningServing::account_returns`]).
    pub fn get_account(
        &self,
        user: Address,
        provider: Address,
    ) -> Result<serving_contracts::abi::fine_tuning::AccountDetails, Vec<u8>> {
        let data = self.account_returns(user, provider)?;
        Ok(alloy_sol_types::SolValue::abi_decode(&data, true).expect("alloy decodes our encoding"))
    }
}

/// The returns of `C` in `data`, which our encoder wrote.
#[cfg(not(target_arch = "wasm32"))]
fn decode<C: SolCall>(data: &[u8]) -> C::Return {
    C::abi_decode_returns(data, true).expect("alloy decodes our encoding")
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
            // No signer table here: the id is always 0.
            signer_id: _,
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

/// The views program: FineTuningServing's storage, its read-only functions,
/// the service registry and the lock time's setting (rarely called, so the
/// extra delegate call costs little, and they do not fit in the main
/// program).
#[storage]
pub struct FineTuningViews {
    state: FineTuningServing,
}

/// SAFETY: the whole storage of the views program (`views/`).
unsafe impl TopLevelStorage for FineTuningViews {}

/// Runs one call of the views program: the router the `views/` crate's
/// entrypoint hands every call to (`serving_contracts::program!`), which
/// refuses value and hands the call to [`FineTuningServing::route_views`].
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
    /// Routes every call (see [`FineTuningServing::route_views`]).
    #[fallback]
    fn fallback(&mut self, input: &[u8]) -> ArbResult {
        self.state.route_views(input)
    }
}

/// `getAccount(address,address)`, routed by [`FineTuningServing::route_views`].
const GET_ACCOUNT: [u8; 4] = stylus_sdk::function_selector!("getAccount", Address, Address);

impl FineTuningServing {
    /// The views program's fallback: routes the calls of
    /// `fine_tuning::IPagedViews` (the services, the paged views, the views
    /// of one account with `getAccount`, `getBatchAccountsByUsers`,
    /// `addOrUpdateService`) and of `fine_tuning::ISettings`, their
    /// arguments read by `serving_contracts::calldata` and their returns
    /// encoded as Solidity encodes them by `serving_contracts::returndata`.
    ///
    /// # Errors
    ///
    /// Those of the functions; empty data for a malformed call or any other
    /// selector.
    pub fn route_views(&mut self, input: &[u8]) -> ArbResult {
        use IPagedViews::*;
        let number = |i: usize| arguments(input, |a| a.number(i));
        let address = |i: usize| arguments(input, |a| a.address(i));
        let word = returndata::word;
        let selector = serving_contracts::calldata::selector(input);
        match selector {
            getAllAccountsCall::SELECTOR => {
                let page = self.get_all_accounts(number(0)?, number(1)?)?;
                Ok(paged_summaries(page))
            }
            getAccountsByProviderCall::SELECTOR => {
                let page = self.get_accounts_by_provider(address(0)?, number(1)?, number(2)?)?;
                Ok(paged_summaries(page))
            }
            getAccountsByUserCall::SELECTOR => {
                let page = self.get_accounts_by_user(address(0)?, number(1)?, number(2)?)?;
                Ok(paged_summaries(page))
            }
            getServicesCall::SELECTOR => {
                // As `ServiceViews::get_services` pages them; sharing a
                // function with it cost InferenceServing's views program
                // 121 bytes.
                let total = self.providers.len();
                let services = self.services_in(page(total, number(0)?, number(1)?)?);
                Ok(Tuple::new(2)
                    .encoded(&services_encoding(&services))
                    .number(U256::from(total))
                    .finish())
            }
            getServiceCall::SELECTOR => {
                let service = self.get_service(address(0)?)?;
                Ok(returndata::single(&service_encoding(&service)))
            }
            getAllServicesCall::SELECTOR => {
                let services = self.get_all_services();
                Ok(returndata::single(&services_encoding(&services)))
            }
            GET_ACCOUNT => self.account_returns(address(0)?, address(1)?),
            getDeliverablesCall::SELECTOR => self.deliverables_returns(address(0)?, address(1)?),
            accountExistsCall::SELECTOR => {
                let exists = self.account_exists(address(0)?, address(1)?);
                Ok(word(U256::from(exists as u8)))
            }
            getPendingRefundCall::SELECTOR => {
                Ok(word(self.get_pending_refund(address(0)?, address(1)?)))
            }
            getDeliverableCall::SELECTOR => {
                let (user, provider, id) = arguments(input, |a| {
                    Some((a.address(0)?, a.address(1)?, a.string(2)?))
                })?;
                self.deliverable_returns(user, provider, id)
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
            ISettings::initializedCall::SELECTOR => Ok(word(U256::from(self.initialized() as u8))),
            ISettings::lockTimeCall::SELECTOR => Ok(word(self.lock_time())),
            ISettings::ledgerAddressCall::SELECTOR => {
                Ok(self.ledger_address().into_word().to_vec())
            }
            ISettings::ownerCall::SELECTOR => Ok(self.owner().into_word().to_vec()),
            ISettings::penaltyPercentageCall::SELECTOR => Ok(word(self.penalty_percentage())),
            ISettings::updateLockTimeCall::SELECTOR => {
                self.update_lock_time(number(0)?).map(|()| Vec::new())
            }
            ISettings::removeServiceCall::SELECTOR => self.remove_service().map(|()| Vec::new()),
            getBatchAccountsByUsersCall::SELECTOR => {
                let users = arguments(input, |a| a.addresses(0))?;
                let accounts = self.get_batch_accounts_by_users(users)?;
                Ok(returndata::single(&summaries(&accounts)))
            }
            _ => Err(Vec::new()),
        }
    }
}

/// The encoding of an `AccountSummary[]`.
fn summaries(accounts: &[AccountSummary]) -> Vec<u8> {
    let items: Vec<_> = accounts
        .iter()
        .map(|account| {
            Tuple::new(9)
                .address(account.user)
                .address(account.provider)
                .number(account.nonce)
                .number(account.balance)
                .number(account.pendingRefund)
                .bytes(account.additionalInfo.as_bytes())
                .address(account.providerSigner)
                .number(account.validRefundsLength)
                .number(account.deliverablesCount)
                .finish()
        })
        .collect();
    returndata::array(&items, true)
}

/// The return data of a paged view of accounts: the page and the number
/// of accounts paged.
fn paged_summaries((accounts, total): (Vec<AccountSummary>, U256)) -> Vec<u8> {
    Tuple::new(2)
        .encoded(&summaries(&accounts))
        .number(total)
        .finish()
}

/// The encoding of a `Service[]`.
fn services_encoding(services: &[Service]) -> Vec<u8> {
    let items: Vec<_> = services.iter().map(service_encoding).collect();
    returndata::array(&items, true)
}

/// The encoding of a `Service`.
fn service_encoding(service: &Service) -> Vec<u8> {
    let models: Vec<_> = (service.models.iter())
        .map(|model| returndata::bytes(model.as_bytes()))
        .collect();
    Tuple::new(7)
        .address(service.provider)
        .bytes(service.url.as_bytes())
        .encoded(&quota_encoding(&service.quota))
        .number(service.pricePerToken)
        .address(service.providerSigner)
        .boolean(service.occupied)
        .encoded(&returndata::array(&models, true))
        .finish()
}

/// The encoding of a `Quota`.
fn quota_encoding(quota: &Quota) -> Vec<u8> {
    Tuple::new(5)
        .number(quota.cpuCount)
        .number(quota.nodeMemory)
        .number(quota.gpuCount)
        .number(quota.nodeStorage)
        .bytes(quota.gpuType.as_bytes())
        .finish()
}
