//! The views of InferenceServing, its service registry and
//! `acknowledgeProviderSigner`, deployed as a second program (the crate in
//! `views/`) that the main program's fallback delegates to (and the proxy
//! routes the transactions to: [`crate::PROXY_ROUTES`]), so both run on the
//! same storage. The logic is written as methods of [`InferenceServing`]
//! (unit tests call them there); [`InferenceViews`] exposes them with the
//! spec's selectors.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serving_contracts::{
    abi::{Account, IPagedViews, Service, ServiceParams, UserInfo},
    account::{AccountView, Accounts},
    account_views::AccountViews,
    address_set::AddressSet,
    calldata::Args,
    service_views::ServiceViews,
};
use stylus_sdk::{prelude::*, ArbResult};

use crate::InferenceServing;

impl InferenceServing {
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

    /// The account of `user` with `provider`. Errors: `AccountNotExists`.
    pub fn get_account(&self, user: Address, provider: Address) -> Result<Account, Vec<u8>> {
        self.existing_item(user, provider)
    }
}

impl ServiceViews for InferenceServing {
    type Service = Service;

    fn providers(&self) -> &AddressSet {
        &self.providers
    }

    fn service(&self, provider: Address) -> Service {
        let service = self.services.get(provider);
        Service {
            provider,
            serviceType: service.service_type.get(),
            url: service.url.get(),
            inputPrice: service.input_price.get(),
            outputPrice: service.output_price.get(),
            updatedAt: U256::from(service.updated_at.get()),
            model: service.model.get(),
            verifiability: service.verifiability.get(),
            additionalInfo: service.additional_info.get(),
        }
    }
}

impl AccountViews for InferenceServing {
    type Item = Account;

    fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    fn ledger(&self) -> Address {
        self.config.ledger()
    }

    /// The account as the ABI shows it.
    fn show(&self, account: AccountView, info: UserInfo) -> Account {
        let AccountView {
            user,
            provider,
            nonce,
            balance,
            pending_refund,
            signer,
            signer_id,
            refunds,
        } = account;
        let keys = self.provider_pub_keys.get(user);
        let key = keys.get(provider);
        Account {
            user,
            provider,
            nonce,
            balance,
            pendingRefund: pending_refund,
            signer: info.signer,
            validRefundsLength: U256::from(refunds.len()),
            refunds,
            additionalInfo: info.additionalInfo,
            providerPubKey: [key.get(0).unwrap(), key.get(1).unwrap()],
            teeSignerAddress: match signer_id {
                0 => signer,
                id => self.tee_signers.get(provider).signer(id),
            },
        }
    }
}

/// The views program: InferenceServing's storage, read-only functions.
#[storage]
pub struct InferenceViews {
    state: InferenceServing,
}

/// SAFETY: the whole storage of the views program (`views/`).
unsafe impl TopLevelStorage for InferenceViews {}

/// Runs one call of the views program on [`InferenceViews`]'s `#[public]` functions:
/// the router the `views/` crate's entrypoint hands every call to
/// (`serving_contracts::program!`).
///
/// # Errors
///
/// The revert data of the function called, or empty for an unknown
/// selector.
pub fn views_program(input: Vec<u8>, host: stylus_sdk::host::VM) -> ArbResult {
    stylus_sdk::abi::router_entrypoint::<InferenceViews, InferenceViews>(input, host)
}

/// `acknowledgeProviderSigner(address,uint256[2])`, routed by the views
/// program's fallback with its arguments read by hand (alloy's decoder of
/// the `uint256[2]` costs the program about 1 KB of stored code).
pub(crate) const ACKNOWLEDGE_PROVIDER_SIGNER: [u8; 4] =
    stylus_sdk::function_selector!("acknowledgeProviderSigner", Address, [U256; 2]);

#[public]
impl InferenceViews {
    /// Registers or updates the caller's service. Errors: `NotInitialized`.
    /// Emits `ServiceUpdated`.
    pub fn add_or_update_service(&mut self, params: ServiceParams) -> Result<(), Vec<u8>> {
        self.state.add_or_update_service(params)
    }

    /// Removes the caller's service; its accounts stay. Errors:
    /// `NotInitialized`, `ServiceNotExist`. Emits `ServiceRemoved`.
    pub fn remove_service(&mut self) -> Result<(), Vec<u8>> {
        self.state.remove_service()
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

    /// The service of `provider`. Errors: `ServiceNotExist`.
    pub fn get_service(&self, provider: Address) -> Result<Service, Vec<u8>> {
        self.state.get_service(provider)
    }

    /// Every service.
    pub fn get_all_services(&self) -> Vec<Service> {
        self.state.get_all_services()
    }

    /// The account of `user` with `provider`. Errors: `AccountNotExists`.
    pub fn get_account(&self, user: Address, provider: Address) -> Result<Account, Vec<u8>> {
        self.state.get_account(user, provider)
    }

    /// The caller's (a provider's) accounts with `users`, a zeroed account
    /// for a user without one. Errors: `InvalidLimit` (more than 100).
    pub fn get_batch_accounts_by_users(
        &self,
        users: Vec<Address>,
    ) -> Result<Vec<Account>, Vec<u8>> {
        self.state.get_batch_accounts_by_users(users)
    }

    /// Whether `user` has an account with `provider`.
    pub fn account_exists(&self, user: Address, provider: Address) -> bool {
        self.state.account_exists(user, provider)
    }

    /// The pending refund of the account (zero when it does not exist).
    pub fn get_pending_refund(&self, user: Address, provider: Address) -> U256 {
        self.state.get_pending_refund(user, provider)
    }

    /// Routes the paged views (see `IPagedViews`): getAllAccounts,
    /// getAccountsByProvider, getAccountsByUser, getServices; and
    /// `acknowledgeProviderSigner`, its arguments read by hand (empty
    /// revert data when malformed). Every other unknown selector reverts.
    #[fallback]
    fn fallback(&mut self, input: &[u8]) -> ArbResult {
        use IPagedViews::*;
        let state = &self.state;
        let selector = serving_contracts::calldata::selector(input);
        let bad = |_| Vec::new();
        match selector {
            getAllAccountsCall::SELECTOR => {
                let call = getAllAccountsCall::abi_decode(input, true).map_err(bad)?;
                let page = state.get_all_accounts(call.offset, call.limit)?;
                Ok(getAllAccountsCall::abi_encode_returns(&page))
            }
            getAccountsByProviderCall::SELECTOR => {
                let call = getAccountsByProviderCall::abi_decode(input, true).map_err(bad)?;
                let page =
                    state.get_accounts_by_provider(call.provider, call.offset, call.limit)?;
                Ok(getAccountsByProviderCall::abi_encode_returns(&page))
            }
            getAccountsByUserCall::SELECTOR => {
                let call = getAccountsByUserCall::abi_decode(input, true).map_err(bad)?;
                let page = state.get_accounts_by_user(call.user, call.offset, call.limit)?;
                Ok(getAccountsByUserCall::abi_encode_returns(&page))
            }
            getServicesCall::SELECTOR => {
                let call = getServicesCall::abi_decode(input, true).map_err(bad)?;
                state.get_services(call.offset, call.limit)
            }
            ACKNOWLEDGE_PROVIDER_SIGNER => {
                let (provider, key) = Args::of(input)
                    .and_then(|a| Some((a.address(0)?, [a.number(1)?, a.number(2)?])))
                    .ok_or_else(Vec::new)?;
                self.state
                    .acknowledge_provider_signer(provider, key)
                    .map(|()| Vec::new())
            }
            _ => Err(Vec::new()),
        }
    }
}
