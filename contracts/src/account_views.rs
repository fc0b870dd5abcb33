//! The account views both serving contracts expose, written once: a
//! contract says how it shows one account and where its ledger keeps a
//! user's providers; paging, batching and the plain reads come from here.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use stylus_sdk::prelude::*;

use crate::{
    account::{page_by_user, Accounts, Page},
    pagination::bounded,
};

/// Most users `getBatchAccountsByUsers` takes.
pub const MAX_BATCH_USERS: usize = 500;

/// `getAllAccounts`, `getAccountsByProvider`, `getAccountsByUser`,
/// `getBatchAccountsByUsers`, `accountExists` and `getPendingRefund` of a
/// serving contract.
pub trait AccountViews: HostAccess {
    /// An account as the contract's views list it.
    type Item;

    /// The contract's sub-accounts.
    fn accounts(&self) -> &Accounts;

    /// The account of `user` with `provider` as listed; zeroed when it does
    /// not exist.
    ///
    /// # Errors
    ///
    /// What reading the ledger's user info raises.
    fn item(&self, user: Address, provider: Address) -> Result<Self::Item, Vec<u8>>;

    /// The providers of `user`'s sub-accounts of this contract's kind, as
    /// the ledger lists them.
    ///
    /// # Errors
    ///
    /// What reading the ledger's user info raises.
    fn ledger_providers(&self, user: Address) -> Result<Vec<Address>, Vec<u8>>;

    /// The items of `pairs`, in order.
    ///
    /// # Errors
    ///
    /// See [`AccountViews::item`].
    fn items(
        &self,
        pairs: impl Iterator<Item = (Address, Address)>,
    ) -> Result<Vec<Self::Item>, Vec<u8>> {
        pairs
            .map(|(user, provider)| self.item(user, provider))
            .collect()
    }

    /// The items of a page and the number of items paged.
    ///
    /// # Errors
    ///
    /// See [`AccountViews::item`].
    fn paged(&self, (pairs, total): Page) -> Result<(Vec<Self::Item>, U256), Vec<u8>> {
        Ok((self.items(pairs.into_iter())?, U256::from(total)))
    }

    /// A page of every account and their count.
    ///
    /// # Errors
    ///
    /// `InvalidLimit`.
    fn get_all_accounts(
        &self,
        offset: U256,
        limit: U256,
    ) -> Result<(Vec<Self::Item>, U256), Vec<u8>> {
        self.paged(self.accounts().page_all(offset, limit)?)
    }

    /// A page of the accounts of `provider` and their count.
    ///
    /// # Errors
    ///
    /// `InvalidLimit`.
    fn get_accounts_by_provider(
        &self,
        provider: Address,
        offset: U256,
        limit: U256,
    ) -> Result<(Vec<Self::Item>, U256), Vec<u8>> {
        self.paged(self.accounts().page_by_provider(provider, offset, limit)?)
    }

    /// A page of the accounts of `user` and their count.
    ///
    /// # Errors
    ///
    /// `InvalidLimit`.
    fn get_accounts_by_user(
        &self,
        user: Address,
        offset: U256,
        limit: U256,
    ) -> Result<(Vec<Self::Item>, U256), Vec<u8>> {
        let providers = self.ledger_providers(user)?;
        self.paged(page_by_user(user, &providers, offset, limit)?)
    }

    /// The caller's (a provider's) accounts with `users`, a zeroed account
    /// for a user without one.
    ///
    /// # Errors
    ///
    /// `InvalidLimit` (more than [`MAX_BATCH_USERS`]).
    fn get_batch_accounts_by_users(&self, users: Vec<Address>) -> Result<Vec<Self::Item>, Vec<u8>> {
        bounded(users.len(), MAX_BATCH_USERS)?;
        let provider = self.vm().msg_sender();
        self.items(users.into_iter().map(|user| (user, provider)))
    }

    /// Whether `user` has an account with `provider`.
    fn account_exists(&self, user: Address, provider: Address) -> bool {
        self.accounts().exists(user, provider)
    }

    /// The pending refund of the account (zero when it does not exist).
    fn get_pending_refund(&self, user: Address, provider: Address) -> U256 {
        self.accounts().pending_refund(user, provider)
    }
}
