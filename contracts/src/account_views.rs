//! The account views both serving contracts expose, written once: a
//! contract says how it shows one account; paging, batching and the plain
//! reads come from here. A page or batch asks the ledger once for the
//! info of all its users, so its cost is that of its accounts, whatever
//! the number of providers, users or ledgers.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use stylus_sdk::stylus_core::MessageAccess;

use crate::{
    abi::UserInfo,
    account::{page_by_user, AccountView, Accounts, Page},
    interfaces::user_infos,
    pagination::bounded,
};

/// Most users `getBatchAccountsByUsers` takes: the reference takes 500,
/// but a view's cost on Stylus grows faster than its number of items
/// (measured on arbos-anvil: 100 accounts 6.1M gas, 200 24M), so that a
/// full batch stays under 10M gas.
pub const MAX_BATCH_USERS: usize = 100;

/// `getAllAccounts`, `getAccountsByProvider`, `getAccountsByUser`,
/// `getBatchAccountsByUsers`, `accountExists` and `getPendingRefund` of a
/// serving contract.
pub trait AccountViews {
    /// An account as the contract's views list it.
    type Item;

    /// The contract's sub-accounts.
    fn accounts(&self) -> &Accounts;

    /// The LedgerManager.
    fn ledger(&self) -> Address;

    /// How the contract lists `account` (zeroed when it does not exist),
    /// `info` being its user's ledger info.
    fn show(&self, account: AccountView, info: UserInfo) -> Self::Item;

    /// The ledger's info of each of `users`, with `with_providers` the
    /// providers of this contract's kind they have accounts with.
    ///
    /// # Errors
    ///
    /// What the ledger's `userInfo` raises.
    fn ledger_infos(
        &self,
        users: Vec<Address>,
        with_providers: bool,
    ) -> Result<Vec<UserInfo>, Vec<u8>> {
        user_infos(self.accounts().host(), self.ledger(), users, with_providers)
    }

    /// The items of `pairs`, in order, with one call to the ledger for the
    /// info of all their users.
    ///
    /// # Errors
    ///
    /// See [`AccountViews::ledger_infos`].
    fn items(&self, pairs: Vec<(Address, Address)>) -> Result<Vec<Self::Item>, Vec<u8>> {
        let users = pairs.iter().map(|(user, _)| *user).collect();
        let infos = self.ledger_infos(users, false)?;
        Ok(pairs
            .into_iter()
            .zip(infos)
            .map(|((user, provider), info)| {
                let account = self.accounts().view(user, provider);
                let info = if account.user.is_zero() {
                    UserInfo::default()
                } else {
                    info
                };
                self.show(account, info)
            })
            .collect())
    }

    /// The account of `user` with `provider` as listed.
    ///
    /// # Errors
    ///
    /// `AccountNotExists`, or see [`AccountViews::ledger_infos`].
    fn existing_item(&self, user: Address, provider: Address) -> Result<Self::Item, Vec<u8>> {
        self.accounts().existing(user, provider)?;
        let mut items = self.items(alloc::vec![(user, provider)])?;
        Ok(items.remove(0))
    }

    /// The items of a page and the number of items paged.
    ///
    /// # Errors
    ///
    /// See [`AccountViews::ledger_infos`].
    fn paged(&self, (pairs, total): Page) -> Result<(Vec<Self::Item>, U256), Vec<u8>> {
        Ok((self.items(pairs)?, U256::from(total)))
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
        let info = self.ledger_infos(alloc::vec![user], true)?.pop();
        let providers = info.map(|info| info.providers).unwrap_or_default();
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
        let provider = MessageAccess::msg_sender(self.accounts().host());
        self.items(users.into_iter().map(|user| (user, provider)).collect())
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
