//! [`Serving`]: the contracts deployed on a node of their own, with the
//! readers, actors and money invariants the end-to-end tests use.

use std::collections::BTreeSet;

use super::*;

/// LedgerManager and InferenceServing deployed on a node of their own.
pub struct Serving {
    /// The node (dropping it stops it).
    pub node: Node,
    /// Addresses, owner, lock time and creation receipts.
    pub deployment: ServingDeployment,
    /// LedgerManager, for reads.
    pub ledger: Ledger,
    /// InferenceServing, for reads.
    pub inference: Inference,
    /// FineTuningServing, for reads, if deployed (see
    /// [`deploy::deploy_serving`]).
    pub fine_tuning: Option<FineTuning>,
    /// The owner (dev account 0, which deployed both; it also funds
    /// [`Serving::actor`]s).
    pub owner: WalletProvider,
    /// The users whose ledgers exist, for [`Serving::check_invariants`].
    users: Mutex<Vec<Address>>,
    /// Serialises the funding transfers of [`Serving::actor`].
    funding: tokio::sync::Mutex<()>,
    /// One HTTP client for every provider made here: building a client
    /// loads the TLS roots, which takes tens of milliseconds.
    http: HttpClient,
}

/// Checks a serving contract's `getAllAccounts`, `getAccountsByUser`,
/// `getAccountsByProvider` (limit 0: all) and `getBatchAccountsByUsers`
/// against `accounts`, every account of the contract; `getAccountsByUser`
/// of every user of `users` (those without an account list none).
macro_rules! check_account_views {
    ($contract:expr, $accounts:expr, $users:expr, $label:literal) => {{
        let (contract, accounts, all) = (&$contract, &$accounts, U256::ZERO);
        let got = strict_call(contract.getAllAccounts(all, all)).await;
        check_page(got._0, got._1, accounts, concat!("getAllAccounts ", $label));
        for user in $users {
            let got = strict_call(contract.getAccountsByUser(user, all, all)).await;
            let want = matching(accounts, |a| a.user == user);
            check_page(got._0, got._1, &want, concat!("getAccountsByUser ", $label));
        }
        for provider in accounts.iter().map(|a| a.provider).collect::<BTreeSet<_>>() {
            let got = strict_call(contract.getAccountsByProvider(provider, all, all)).await;
            let want = matching(accounts, |a| a.provider == provider);
            check_page(
                got._0,
                got._1,
                &want,
                concat!("getAccountsByProvider ", $label),
            );
            let users = want.iter().map(|a| a.user).collect();
            let got = strict_call(contract.getBatchAccountsByUsers(users).from(provider)).await;
            assert_eq!(
                got._0, want,
                "getBatchAccountsByUsers as {provider} {}",
                $label
            );
        }
    }};
}

impl Serving {
    /// A fresh inference provider with a fresh TEE key, and a fresh user
    /// with a ledger of `deposit` that moves `amount` to a sub-account with
    /// the provider and acknowledges the key: `(provider, key, user)`.
    pub async fn opened(&self, deposit: U256, amount: U256) -> (Actor, TeeKey, Actor) {
        let user = self.user(deposit).await;
        let (provider, tee) = self.open_with_new_provider(&user, amount).await;
        (provider, tee, user)
    }

    /// [`Serving::opened`] for fine-tuning: the key is the service's
    /// provider signer.
    pub async fn opened_fine_tuning(&self, deposit: U256, amount: U256) -> (Actor, TeeKey, Actor) {
        let user = self.user(deposit).await;
        let (provider, signer) = self.open_with_new_fine_tuning_provider(&user, amount).await;
        (provider, signer, user)
    }

    /// A fresh inference provider with a fresh TEE key; `user` moves
    /// `amount` to a sub-account with it and acknowledges the key.
    pub async fn open_with_new_provider(&self, user: &Actor, amount: U256) -> (Actor, TeeKey) {
        let tee = TeeKey::random();
        let provider = self.provider().await;
        self.open_account(user, provider.address(), amount, &tee)
            .await;
        (provider, tee)
    }

    /// A fresh fine-tuning provider with a fresh provider signer; `user`
    /// moves `amount` to a sub-account with it and acknowledges the signer.
    pub async fn open_with_new_fine_tuning_provider(
        &self,
        user: &Actor,
        amount: U256,
    ) -> (Actor, TeeKey) {
        let signer = TeeKey::random();
        let provider = self.fine_tuning_provider(signer.address()).await;
        self.open_fine_tuning_account(user, provider.address(), amount, signer.address())
            .await;
        (provider, signer)
    }

    /// Deploys both contracts from the artifacts with dev account 0 (see
    /// [`deploy::deploy_serving`]).
    pub async fn deploy(node: Node, config: ServingConfig) -> Result<Self, ChainError> {
        let http = HttpClient::new();
        let owner = wallet_on(&http, &node, node.dev_signer(0));
        let deployment = deploy::deploy_serving(&owner, &config).await?;
        Ok(Self::over(http, node, owner, deployment))
    }

    /// Deploys every contract behind a beacon proxy with dev account 0 (see
    /// [`upgrade::deploy_serving_with_proxies`]); the fixture talks to the
    /// proxies.
    pub async fn deploy_with_proxies(
        node: Node,
        config: ServingConfig,
    ) -> Result<(Self, ProxiedDeployment), ChainError> {
        let http = HttpClient::new();
        let owner = wallet_on(&http, &node, node.dev_signer(0));
        let proxied = upgrade::deploy_serving_with_proxies(&owner, &config).await?;
        Ok((Self::over(http, node, owner, proxied.serving()), proxied))
    }

    /// The fixture over `deployment`, deployed on `node` by `owner`.
    fn over(
        http: HttpClient,
        node: Node,
        owner: WalletProvider,
        deployment: ServingDeployment,
    ) -> Self {
        let ledger = LedgerManager::new(deployment.ledger, reader_on(&http, &node));
        let inference = InferenceServing::new(deployment.inference, reader_on(&http, &node));
        let fine_tuning = deployment
            .fine_tuning
            .as_ref()
            .map(|f| FineTuningServing::new(f.address, reader_on(&http, &node)));
        Self {
            http,
            node,
            deployment,
            ledger,
            inference,
            fine_tuning,
            owner,
            users: Mutex::new(Vec::new()),
            funding: tokio::sync::Mutex::new(()),
        }
    }

    /// LedgerManager's address.
    pub fn ledger_address(&self) -> Address {
        self.deployment.ledger
    }

    /// InferenceServing's address.
    pub fn inference_address(&self) -> Address {
        self.deployment.inference
    }

    /// FineTuningServing, for reads.
    ///
    /// # Panics
    ///
    /// If it was not deployed (its artifacts are missing: run `cargo xtask
    /// build`).
    pub fn ft(&self) -> &FineTuning {
        self.fine_tuning.as_ref().expect(
            "FineTuningServing was not deployed: run `cargo xtask build` \
             (target/stylus/fine-tuning-serving{,-views}.initcode)",
        )
    }

    /// FineTuningServing's address (zero when not deployed).
    pub fn fine_tuning_address(&self) -> Address {
        self.deployment.fine_tuning_address()
    }

    /// A fresh provider (10 ETH for gas) with a registered fine-tuning
    /// service whose provider signer is `signer` (through the main
    /// program's fallback, delegated to the views program).
    pub async fn fine_tuning_provider(&self, signer: Address) -> Actor {
        let provider = self.actor(eth(10)).await;
        let url = format!("https://fine-tuning-{}.example", provider.address());
        send(
            &provider.wallet,
            self.ft().call_builder(&fine_tuning_service(&url, signer)),
        )
        .await
        .expect("addOrUpdateService (fine-tuning)");
        provider
    }

    /// `user` moves `amount` to a fine-tuning sub-account with `provider`
    /// and acknowledges `signer` as its provider signer.
    pub async fn open_fine_tuning_account(
        &self,
        user: &Actor,
        provider: Address,
        amount: U256,
        signer: Address,
    ) {
        self.transfer_fund(user, provider, FINE_TUNING, amount)
            .await;
        let acknowledge = self.ft().acknowledgeProviderSigner(provider, signer);
        user.transact("acknowledgeProviderSigner", acknowledge)
            .await;
    }

    /// The fine-tuning sub-account of `user` with `provider` (its encoding
    /// checked by [`strict_call`]).
    pub async fn fine_tuning_account(
        &self,
        user: Address,
        provider: Address,
    ) -> ft::AccountDetails {
        strict_call(self.ft().getAccount(user, provider)).await._0
    }

    /// A fresh account holding `amount` wei.
    pub async fn actor(&self, amount: U256) -> Actor {
        let signer = PrivateKeySigner::random();
        {
            // Transfers from the owner are serialised (one nonce at a time).
            let _guard = self.funding.lock().await;
            let tx = TransactionRequest::default()
                .with_to(signer.address())
                .with_value(amount);
            send_tx(&self.owner, tx)
                .await
                .expect("funding a fresh account");
        }
        let wallet = self.wallet_for(signer.clone());
        Actor { signer, wallet }
    }

    /// A signing provider for `signer` (sharing this fixture's HTTP client).
    pub fn wallet_for(&self, signer: PrivateKeySigner) -> WalletProvider {
        wallet_on(&self.http, &self.node, signer)
    }

    /// A provider without a signer (sharing this fixture's HTTP client).
    pub fn reader(&self) -> ReadProvider {
        reader_on(&self.http, &self.node)
    }

    /// A fresh provider (10 ETH for gas) with a registered inference
    /// service.
    pub async fn provider(&self) -> Actor {
        let provider = self.actor(eth(10)).await;
        let url = format!("https://provider-{}.example", provider.address());
        send(
            &provider.wallet,
            self.inference.addOrUpdateService(service_params(&url)),
        )
        .await
        .expect("addOrUpdateService");
        provider
    }

    /// A fresh user (`deposit` + 10 ETH for gas) with a ledger holding
    /// `deposit`.
    pub async fn user(&self, deposit: U256) -> Actor {
        let user = self.actor(deposit + eth(10)).await;
        self.add_ledger(&user, deposit).await;
        user
    }

    /// `user` creates its ledger with `deposit` (and records it, see
    /// [`Serving::track`]).
    ///
    /// # Panics
    ///
    /// If the transaction fails.
    pub async fn add_ledger(&self, user: &Actor, deposit: U256) -> TransactionReceipt {
        let signer = [U256::from(1u64), U256::from(2u64)];
        let call = self.ledger.addLedger(signer, "user".into()).value(deposit);
        let receipt = user.transact("addLedger", call).await;
        self.track(user.address());
        receipt
    }

    /// Records that `user` has a ledger (done by [`Serving::user`]; call it
    /// after an `addLedger` sent by hand).
    pub fn track(&self, user: Address) {
        let mut users = self.users.lock().unwrap();
        if !users.contains(&user) {
            users.push(user);
        }
    }

    /// Records that `user`'s ledger was deleted.
    pub fn untrack(&self, user: Address) {
        self.users.lock().unwrap().retain(|u| *u != user);
    }

    /// The users whose ledgers exist (as recorded by [`Serving::track`]).
    pub fn users(&self) -> Vec<Address> {
        self.users.lock().unwrap().clone()
    }

    /// `user` moves `amount` from its ledger to its sub-account of `kind`
    /// ([`INFERENCE`] or [`FINE_TUNING`]) with `provider`.
    ///
    /// # Panics
    ///
    /// If the transaction fails.
    pub async fn transfer_fund(
        &self,
        user: &Actor,
        provider: Address,
        kind: &str,
        amount: U256,
    ) -> TransactionReceipt {
        let result = self.try_transfer_fund(user, provider, kind, amount).await;
        result.unwrap_or_else(|e| panic!("transferFund: {e}"))
    }

    /// `user` sends `transferFund(provider, kind, amount)`: the receipt, or
    /// the error (see [`send`]) for [`expect_revert`].
    pub async fn try_transfer_fund(
        &self,
        user: &Actor,
        provider: Address,
        kind: &str,
        amount: U256,
    ) -> Result<TransactionReceipt, ChainError> {
        send(
            &user.wallet,
            self.ledger.transferFund(provider, kind.into(), amount),
        )
        .await
    }

    /// `user` moves `amount` to a sub-account with `provider` and
    /// acknowledges `tee` as its signer.
    pub async fn open_account(&self, user: &Actor, provider: Address, amount: U256, tee: &TeeKey) {
        self.transfer_fund(user, provider, INFERENCE, amount).await;
        let acknowledge = self.inference.acknowledgeTEESigner(provider, tee.address());
        user.transact("acknowledgeTEESigner", acknowledge).await;
    }

    /// `user` calls `retrieveFund(providers, kind)`: matured refunds paid
    /// back to its ledger, the rest queued.
    ///
    /// # Panics
    ///
    /// If the transaction fails.
    pub async fn retrieve_fund(
        &self,
        user: &Actor,
        providers: Vec<Address>,
        kind: &str,
    ) -> TransactionReceipt {
        send(
            &user.wallet,
            self.ledger.retrieveFund(providers, kind.into()),
        )
        .await
        .expect("retrieveFund")
    }

    /// Settles `batch` (inference) as `provider` and returns the receipt.
    ///
    /// # Panics
    ///
    /// If the transaction fails.
    pub async fn settle(
        &self,
        provider: &Actor,
        batch: &[TEESettlementData],
    ) -> TransactionReceipt {
        send(
            &provider.wallet,
            self.inference.settleFeesWithTEE(batch.to_vec()),
        )
        .await
        .expect("settleFeesWithTEE")
    }

    /// Awaits `transaction`, sent by `account`, and returns its receipt and
    /// what `account` received in it: the change of its balance plus the
    /// gas it paid.
    pub async fn received(
        &self,
        account: Address,
        transaction: impl std::future::Future<Output = TransactionReceipt>,
    ) -> (TransactionReceipt, U256) {
        let before = self.balance(account).await;
        let receipt = transaction.await;
        let after = self.balance(account).await;
        let received = after + gas_cost(&receipt) - before;
        (receipt, received)
    }

    /// The users `settleFeesWithTEE` would report failed for `batch` sent
    /// by `provider` (an `eth_call` against the latest state).
    ///
    /// # Panics
    ///
    /// If the call fails.
    pub async fn failed_users(
        &self,
        provider: Address,
        batch: &[TEESettlementData],
    ) -> Vec<Address> {
        self.inference
            .settleFeesWithTEE(batch.to_vec())
            .from(provider)
            .call()
            .await
            .expect("settleFeesWithTEE as a call")
            ._0
    }

    /// The (user, reason) of each `TEESettlementFailed` in `receipt`, and
    /// the (success, failed) counts of its `TEESettlementCompleted`.
    ///
    /// # Panics
    ///
    /// Unless the receipt holds exactly one `TEESettlementCompleted` and
    /// every event names `provider`.
    pub fn settlement_events(
        &self,
        provider: Address,
        receipt: &TransactionReceipt,
    ) -> (Vec<(Address, String)>, (u64, u64)) {
        let at = self.inference_address();
        let failed = events::<InferenceServing::TEESettlementFailed>(receipt, at)
            .into_iter()
            .map(|e| {
                assert_eq!(e.provider, provider);
                (e.user, e.reason)
            })
            .collect();
        let completed = events::<InferenceServing::TEESettlementCompleted>(receipt, at);
        assert_eq!(completed.len(), 1, "one TEESettlementCompleted per batch");
        assert_eq!(completed[0].provider, provider);
        let counts = (
            completed[0].successCount.to::<u64>(),
            completed[0].failedCount.to::<u64>(),
        );
        (failed, counts)
    }

    /// The ETH balance of `address`.
    pub async fn balance(&self, address: Address) -> U256 {
        self.ledger
            .provider()
            .get_balance(address)
            .await
            .expect("eth_getBalance")
    }

    /// The ledger of `user` (its encoding checked by [`strict_call`]).
    pub async fn ledger_of(&self, user: Address) -> crate::bindings::Ledger {
        strict_call(self.ledger.getLedger(user)).await._0
    }

    /// The sub-account of `user` with `provider` (its encoding checked by
    /// [`strict_call`]).
    pub async fn account(&self, user: Address, provider: Address) -> crate::bindings::Account {
        strict_call(self.inference.getAccount(user, provider))
            .await
            ._0
    }

    /// The nonce and balance of the sub-account of `user` with `provider`.
    pub async fn nonce_and_balance(&self, user: Address, provider: Address) -> (u64, U256) {
        let account = self.account(user, provider).await;
        (account.nonce.to(), account.balance)
    }

    /// Checks the money invariants of the design on the chain's state,
    /// reading every ledger with `getLedger` and every sub-account with
    /// `getAccount` of its serving contract:
    ///
    /// - the ledger contract's ETH balance = the sum of every ledger's
    ///   `totalBalance`, and neither serving contract holds ETH;
    /// - for every ledger, `totalBalance` = `availableBalance` + the sum of
    ///   its inference and fine-tuning sub-account balances (no fine-tuning
    ///   providers when FineTuningServing is not deployed);
    /// - for every sub-account, `pendingRefund` <= `balance`, the live
    ///   refunds sum to `pendingRefund` and their count is
    ///   `validRefundsLength`; a fine-tuning one also lists
    ///   `deliverablesCount` (at most 20) deliverables.
    ///
    /// The ledgers are those of [`Serving::users`] (the paged views are
    /// checked against them by [`Serving::check_paged_views`]). Returns the
    /// sum of all ledgers' totals.
    ///
    /// # Panics
    ///
    /// When an invariant does not hold.
    pub async fn check_invariants(&self) -> U256 {
        let mut sum = U256::ZERO;
        for user in self.users() {
            let ledger = self.ledger_of(user).await;
            assert_eq!(ledger.user, user);
            if self.fine_tuning.is_none() {
                assert!(
                    ledger.fineTuningProviders.is_empty(),
                    "no fine-tuning contract: {ledger:?}"
                );
            }
            let mut sub_accounts = U256::ZERO;
            for &provider in &ledger.inferenceProviders {
                let account = self.account(user, provider).await;
                check_account(&account);
                assert_eq!((account.user, account.provider), (user, provider));
                sub_accounts += account.balance;
            }
            for &provider in &ledger.fineTuningProviders {
                let account = self.fine_tuning_account(user, provider).await;
                check_fine_tuning_account(&account);
                assert_eq!((account.user, account.provider), (user, provider));
                sub_accounts += account.balance;
            }
            assert_eq!(
                ledger.totalBalance,
                ledger.availableBalance + sub_accounts,
                "totalBalance != available + sub-accounts: {ledger:?}"
            );
            sum += ledger.totalBalance;
        }
        assert_eq!(
            self.balance(self.ledger_address()).await,
            sum,
            "the ledger's ETH balance != the sum of all ledgers' totals"
        );
        assert_eq!(
            self.balance(self.inference_address()).await,
            U256::ZERO,
            "InferenceServing holds no ETH"
        );
        if self.fine_tuning.is_some() {
            assert_eq!(
                self.balance(self.fine_tuning_address()).await,
                U256::ZERO,
                "FineTuningServing holds no ETH"
            );
        }
        sum
    }

    /// Checks FineTuningServing's paged and batch views against the ledgers
    /// of [`Serving::users`]: `getAllAccounts`, `getAccountsByUser`,
    /// `getAccountsByProvider` (limit 0: all) and `getBatchAccountsByUsers`
    /// return the summaries of what `getAccount` returns.
    ///
    /// # Panics
    ///
    /// When they differ or a view fails.
    pub async fn check_fine_tuning_paged_views(&self) {
        let mut accounts = Vec::new();
        for user in self.users() {
            let ledger = self.ledger_of(user).await;
            for &provider in &ledger.fineTuningProviders {
                accounts.push(summary(&self.fine_tuning_account(user, provider).await));
            }
        }
        check_account_views!(self.ft(), accounts, self.users(), "(fine-tuning)");
    }

    /// Checks the paged and batch views against the ledgers of
    /// [`Serving::users`]: `getAllLedgers`, `getAllAccounts`,
    /// `getAccountsByUser`, `getAccountsByProvider` (limit 0: all) and
    /// `getBatchAccountsByUsers` return what `getLedger` and `getAccount`
    /// return.
    ///
    /// # Panics
    ///
    /// When they differ or a view fails.
    pub async fn check_paged_views(&self) {
        let all = U256::ZERO;
        let mut ledgers = Vec::new();
        let mut accounts = Vec::new();
        for user in self.users() {
            let ledger = self.ledger_of(user).await;
            for &provider in &ledger.inferenceProviders {
                accounts.push(self.account(user, provider).await);
            }
            ledgers.push(ledger);
        }
        let got = strict_call(self.ledger.getAllLedgers(all, all)).await;
        check_page(got._0, got._1, &ledgers, "getAllLedgers");
        check_account_views!(self.inference, accounts, self.users(), "(inference)");
    }
}

/// The items of `all` that `keep` keeps, in order.
fn matching<T: Clone>(all: &[T], keep: impl Fn(&T) -> bool) -> Vec<T> {
    all.iter().filter(|&item| keep(item)).cloned().collect()
}

/// Checks a whole page `(got, total)` of a paged view: it lists `want`,
/// in any order.
///
/// # Panics
///
/// When it does not.
fn check_page<T: PartialEq + std::fmt::Debug>(got: Vec<T>, total: U256, want: &[T], view: &str) {
    assert_eq!(total, U256::from(want.len()), "{view}: total");
    let mut missing: Vec<&T> = want.iter().collect();
    for item in &got {
        let found = missing.iter().position(|w| *w == item);
        let found = found.unwrap_or_else(|| panic!("{view}: {item:?} is not expected"));
        missing.swap_remove(found);
    }
    assert!(missing.is_empty(), "{view}: missing {missing:?}");
}

/// The refund checks of [`check_account`], on either kind of account.
macro_rules! check_refunds {
    ($account:expr) => {{
        let account = $account;
        let pending = account.pendingRefund;
        assert!(
            pending <= account.balance,
            "pending refund above balance: {account:?}"
        );
        let live: Vec<U256> = (account.refunds.iter())
            .filter(|r| !r.processed)
            .map(|r| r.amount)
            .collect();
        let live_sum = live.iter().fold(U256::ZERO, |s, r| s + r);
        assert_eq!(live_sum, pending, "live refunds: {account:?}");
        let valid = U256::from(live.len());
        assert_eq!(
            account.validRefundsLength, valid,
            "validRefundsLength: {account:?}"
        );
    }};
}

/// Checks one sub-account: `pendingRefund` <= `balance`, the live refunds
/// sum to `pendingRefund` and their count is `validRefundsLength`.
///
/// # Panics
///
/// When it does not hold.
pub fn check_account(account: &crate::bindings::Account) {
    check_refunds!(account);
}

/// Checks one fine-tuning sub-account like [`check_account`], and that it
/// lists `deliverablesCount` (at most 20) deliverables.
///
/// # Panics
///
/// When it does not hold.
pub fn check_fine_tuning_account(account: &ft::AccountDetails) {
    check_refunds!(account);
    assert_eq!(
        account.deliverablesCount,
        U256::from(account.deliverables.len()),
        "deliverablesCount: {account:?}"
    );
    assert!(account.deliverables.len() <= 20, "at most 20 deliverables");
}

/// The summary the paged views list for a fine-tuning sub-account.
pub fn summary(account: &ft::AccountDetails) -> ft::AccountSummary {
    ft::AccountSummary {
        user: account.user,
        provider: account.provider,
        nonce: account.nonce,
        balance: account.balance,
        pendingRefund: account.pendingRefund,
        additionalInfo: account.additionalInfo.clone(),
        providerSigner: account.providerSigner,
        validRefundsLength: account.validRefundsLength,
        deliverablesCount: account.deliverablesCount,
    }
}
