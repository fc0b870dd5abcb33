//! Fixtures for end-to-end flows on the real node: the deployed serving
//! contracts, funded actors, TEE keys signing settlement records, receipts'
//! events and revert errors, and the money invariants of
//! `../shared/design/architecture.md`.
//!
//! ```no_run
//! # async fn example() {
//! use serving_harness::{deploy, e2e::Serving};
//! let node = serving_harness::node_or_skip!(deploy::node_options());
//! let serving = Serving::deploy(node, deploy::ServingConfig::default()).await.unwrap();
//! serving.check_invariants().await;
//! # }
//! ```

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::{Ethereum, EthereumWallet, TransactionBuilder},
    primitives::{Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::{
        client::RpcClient,
        types::{TransactionReceipt, TransactionRequest},
    },
    signers::local::PrivateKeySigner,
    sol_types::{SolError, SolEvent},
    transports::{
        http::{Client as HttpClient, Http},
        Transport,
    },
};
use k256::ecdsa::SigningKey;

use crate::{
    bindings::{
        fine_tuning::{
            self as ft,
            FineTuningServing::{self, FineTuningServingInstance},
        },
        InferenceServing::{self, InferenceServingInstance},
        LedgerManager::{self, LedgerManagerInstance},
        ServiceParams, TEESettlementData,
    },
    chain::{ChainError, HttpTransport, Node, ReadProvider, WalletProvider},
    deploy::{self, ServingConfig, ServingDeployment},
    upgrade::{self, ProxiedDeployment},
};

/// The service type string of inference.
pub const INFERENCE: &str = "inference";
/// The service type string of fine-tuning.
pub const FINE_TUNING: &str = "fine-tuning";

/// One ether in wei.
pub fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// `n` milli-ether in wei.
pub fn milli_eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(15u64))
}

/// A LedgerManager handle for reads (transactions go through [`send`]).
pub type Ledger = LedgerManagerInstance<HttpTransport, ReadProvider>;
/// An InferenceServing handle for reads (transactions go through [`send`]).
pub type Inference = InferenceServingInstance<HttpTransport, ReadProvider>;
/// A FineTuningServing handle for reads (transactions go through [`send`]).
pub type FineTuning = FineTuningServingInstance<HttpTransport, ReadProvider>;

/// An account with a key and a signing provider.
pub struct Actor {
    /// Its key.
    pub signer: PrivateKeySigner,
    /// A provider signing with it.
    pub wallet: WalletProvider,
}

impl Actor {
    /// Its address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }
}

/// A key inside a provider's TEE: signs settlement records.
pub struct TeeKey(pub SigningKey);

impl TeeKey {
    /// A fresh random key.
    pub fn random() -> Self {
        let key = PrivateKeySigner::random().to_bytes();
        Self(SigningKey::from_slice(key.as_slice()).expect("a valid secp256k1 key"))
    }

    /// Its Ethereum address (what users acknowledge).
    pub fn address(&self) -> Address {
        serving_verifier::native::address(self.0.verifying_key())
    }

    /// A settlement record of `fee` for `user` at `nonce`, signed by this
    /// key as the contract checks it (EIP-191 over the packed fields).
    pub fn record(
        &self,
        user: Address,
        provider: Address,
        fee: U256,
        nonce: u64,
        requests_hash: B256,
    ) -> TEESettlementData {
        let nonce = U256::from(nonce);
        let digest = serving_verifier::settlement_digest(requests_hash, nonce, provider, user, fee);
        let signature = serving_verifier::native::sign(&self.0, digest);
        TEESettlementData {
            user,
            provider,
            totalFee: fee,
            requestsHash: requests_hash,
            nonce,
            signature: Bytes::copy_from_slice(&signature),
        }
    }
}

impl TeeKey {
    /// A fine-tuning verifier input settling the deliverable `id` (model
    /// root hash `root`) of `user` at `nonce` for `fee`, carrying `secret`
    /// (empty for a deliverable the user did not acknowledge), signed by
    /// this key as the provider signer (EIP-191 over the packed fields,
    /// `serving_verifier::verifier_input_digest`).
    pub fn verifier_input(
        &self,
        user: Address,
        id: &str,
        root: &[u8],
        secret: &[u8],
        nonce: u64,
        fee: U256,
    ) -> ft::VerifierInput {
        let nonce = U256::from(nonce);
        let signer = self.address();
        let digest =
            serving_verifier::verifier_input_digest(secret, root, nonce, signer, fee, user);
        let signature = serving_verifier::native::sign(&self.0, digest);
        ft::VerifierInput {
            id: id.into(),
            encryptedSecret: Bytes::copy_from_slice(secret),
            modelRootHash: Bytes::copy_from_slice(root),
            nonce,
            providerSigner: signer,
            signature: Bytes::copy_from_slice(&signature),
            taskFee: fee,
            user,
        }
    }
}

/// The fine-tuning service every test provider registers, with `signer` as
/// its provider signer.
pub fn fine_tuning_service(
    url: &str,
    signer: Address,
) -> FineTuningServing::addOrUpdateServiceCall {
    FineTuningServing::addOrUpdateServiceCall {
        url: url.into(),
        quota: ft::Quota {
            cpuCount: U256::from(8u64),
            nodeMemory: U256::from(64u64),
            gpuCount: U256::from(1u64),
            nodeStorage: U256::from(500u64),
            gpuType: "H100".into(),
        },
        pricePerToken: U256::from(1_000u64),
        providerSigner: signer,
        occupied: false,
        models: vec!["Qwen2.5-0.5B-Instruct".into(), "llama-3.2-1b".into()],
    }
}

/// A requests hash for tests: the word `n`.
pub fn requests_hash(n: u64) -> B256 {
    B256::from(U256::from(n))
}

/// The service every test provider registers.
pub fn service_params(url: &str) -> ServiceParams {
    ServiceParams {
        serviceType: "chatbot".into(),
        url: url.into(),
        model: "llama-3.3-70b".into(),
        verifiability: "TeeML".into(),
        inputPrice: U256::from(1_000u64),
        outputPrice: U256::from(2_000u64),
        additionalInfo: "{}".into(),
    }
}

/// Calls the view `call` (an `eth_call`), decodes its output and checks that
/// the output is exactly the canonical Solidity encoding of what was decoded
/// (so a contract whose encoding differs from Solidity's, e.g. an extra
/// offset before a returned tuple, fails here even when a lenient decoder
/// would accept it).
///
/// # Panics
///
/// If the call fails or its output is not canonical.
pub async fn strict_call<T, P, C>(
    call: alloy::contract::SolCallBuilder<T, P, C, Ethereum>,
) -> C::Return
where
    T: Transport + Clone,
    P: Provider<T, Ethereum>,
    C: alloy::sol_types::SolCall,
{
    let raw = call
        .call_raw()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", C::SIGNATURE));
    let decoded = C::abi_decode_returns(&raw, true)
        .unwrap_or_else(|e| panic!("{}: undecodable output {raw}: {e}", C::SIGNATURE));
    let canonical = canonical_returns::<C>(&raw)
        .unwrap_or_else(|e| panic!("{}: undecodable output {raw}: {e}", C::SIGNATURE));
    assert_eq!(
        raw.as_ref(),
        canonical.as_slice(),
        "{}: the output is not Solidity's encoding",
        C::SIGNATURE
    );
    decoded
}

/// Decodes `raw` as the return values of `C` and encodes them again as
/// Solidity does.
///
/// `SolCall` ties the encoder's input to the lifetime of the decoded data,
/// which a generic function cannot name for a local; the (small) output and
/// its decoding are leaked instead. Test use only.
fn canonical_returns<C: alloy::sol_types::SolCall>(
    raw: &[u8],
) -> alloy::sol_types::Result<Vec<u8>> {
    use alloy::sol_types::SolType;
    let raw: &'static [u8] = Box::leak(raw.to_vec().into_boxed_slice());
    let tuple = <C::ReturnTuple<'static> as SolType>::abi_decode_sequence(raw, true)?;
    let tuple: &'static _ = Box::leak(Box::new(tuple));
    Ok(C::abi_encode_returns(tuple))
}

/// Sends `call` as a transaction from `wallet` and waits for a successful
/// receipt (see [`send_tx`]: a call that would revert fails at estimation
/// with [`ChainError::Rpc`] carrying the revert data; decode it with
/// [`revert_error`]).
pub async fn send<T, P, D>(
    wallet: &WalletProvider,
    call: CallBuilder<T, P, D, Ethereum>,
) -> Result<TransactionReceipt, ChainError>
where
    T: Transport + Clone,
    P: Provider<T, Ethereum>,
    D: CallDecoder,
{
    send_tx(wallet, call.into_transaction_request()).await
}

/// The revert data carried by a failed request, if any.
pub fn revert_data(error: &ChainError) -> Option<Bytes> {
    match error {
        ChainError::Rpc(e) => e.as_error_resp()?.as_revert_data(),
        _ => None,
    }
}

/// The error of a failed contract call (`.call()`) as a [`ChainError`], so
/// that [`revert_error`] and [`expect_revert`] decode it.
///
/// # Panics
///
/// If the call failed for another reason than the request (e.g. its output
/// could not be decoded).
pub fn call_error(error: alloy::contract::Error) -> ChainError {
    match error {
        alloy::contract::Error::TransportError(e) => ChainError::Rpc(e),
        other => panic!("the call failed outside the request: {other}"),
    }
}

/// The custom error `E` a failed request reverted with, if it did.
pub fn revert_error<E: SolError>(error: &ChainError) -> Option<E> {
    E::abi_decode(&revert_data(error)?, true).ok()
}

/// Unwraps the error of `result` and decodes it as `E`.
///
/// # Panics
///
/// If `result` is `Ok` or reverted with anything else.
#[track_caller]
pub fn expect_revert<E: SolError, T: std::fmt::Debug>(result: Result<T, ChainError>) -> E {
    match result {
        Ok(value) => panic!("expected a revert with {}, got {value:?}", E::SIGNATURE),
        Err(error) => revert_error::<E>(&error).unwrap_or_else(|| {
            panic!(
                "expected a revert with {} (0x{}), got: {error}",
                E::SIGNATURE,
                alloy::hex::encode(E::SELECTOR)
            )
        }),
    }
}

/// The events `E` that `emitter` logged in `receipt`, in order.
pub fn events<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Vec<E> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == emitter && log.topic0() == Some(&E::SIGNATURE_HASH))
        .map(|log| {
            E::decode_log_data(log.data(), true)
                .unwrap_or_else(|e| panic!("{}: undecodable log {log:?}: {e}", E::SIGNATURE))
        })
        .collect()
}

/// What the sender paid for `receipt`'s gas, in wei.
pub fn gas_cost(receipt: &TransactionReceipt) -> U256 {
    U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
}

/// How often [`send_tx`] asks for a receipt.
pub const POLL_INTERVAL: Duration = Duration::from_millis(2);
/// How long [`send_tx`] waits for a receipt.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Sends a transaction from `wallet` and waits for a successful receipt,
/// like [`crate::chain::send_tx`] but polling `eth_getTransactionReceipt` every
/// [`POLL_INTERVAL`]: the node mines a transaction within milliseconds,
/// while alloy's pending-transaction watcher takes about a hundred (it polls
/// a local node every 250 ms).
///
/// Errors: [`ChainError::Rpc`] (including estimation of a transaction that
/// would revert, with the revert data), [`ChainError::Reverted`] (mined and
/// failed), [`ChainError::Pending`] (no receipt within
/// [`RECEIPT_TIMEOUT`]).
pub async fn send_tx(
    wallet: &WalletProvider,
    tx: TransactionRequest,
) -> Result<TransactionReceipt, ChainError> {
    let pending = wallet.send_transaction(tx).await?;
    let hash = *pending.tx_hash();
    let started = std::time::Instant::now();
    let receipt = loop {
        if let Some(receipt) = wallet.get_transaction_receipt(hash).await? {
            break receipt;
        }
        if started.elapsed() > RECEIPT_TIMEOUT {
            return Err(ChainError::Pending(
                alloy::providers::PendingTransactionError::TxWatcher(
                    alloy::providers::WatchTxError::Timeout,
                ),
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    if receipt.status() {
        Ok(receipt)
    } else {
        Err(ChainError::Reverted(Box::new(receipt)))
    }
}

fn rpc_on(http: &HttpClient, node: &Node) -> RpcClient<HttpTransport> {
    RpcClient::new(Http::with_client(http.clone(), node.url().clone()), true)
}

fn reader_on(http: &HttpClient, node: &Node) -> ReadProvider {
    ProviderBuilder::new().on_client(rpc_on(http, node))
}

fn wallet_on(http: &HttpClient, node: &Node, signer: PrivateKeySigner) -> WalletProvider {
    ProviderBuilder::new()
        .with_recommended_fillers()
        .wallet(EthereumWallet::from(signer))
        .on_client(rpc_on(http, node))
}

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

impl Serving {
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
        send(
            &user.wallet,
            self.ledger
                .transferFund(provider, FINE_TUNING.into(), amount),
        )
        .await
        .expect("transferFund (fine-tuning)");
        send(
            &user.wallet,
            self.ft().acknowledgeProviderSigner(provider, signer),
        )
        .await
        .expect("acknowledgeProviderSigner");
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
        send(
            &user.wallet,
            self.ledger
                .addLedger([U256::from(1u64), U256::from(2u64)], "user".into())
                .value(deposit),
        )
        .await
        .expect("addLedger");
        self.track(user.address());
        user
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

    /// `user` moves `amount` to a sub-account with `provider` and
    /// acknowledges `tee` as its signer.
    pub async fn open_account(&self, user: &Actor, provider: Address, amount: U256, tee: &TeeKey) {
        send(
            &user.wallet,
            self.ledger.transferFund(provider, INFERENCE.into(), amount),
        )
        .await
        .expect("transferFund");
        send(
            &user.wallet,
            self.inference.acknowledgeTEESigner(provider, tee.address()),
        )
        .await
        .expect("acknowledgeTEESigner");
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
        let all = U256::ZERO;
        let mut accounts = Vec::new();
        for user in self.users() {
            let ledger = self.ledger_of(user).await;
            for &provider in &ledger.fineTuningProviders {
                accounts.push(summary(&self.fine_tuning_account(user, provider).await));
            }
        }
        let key = |a: &ft::AccountSummary| (a.user, a.provider);
        accounts.sort_by_key(key);
        let ft = self.ft();

        let got = strict_call(ft.getAllAccounts(all, all)).await;
        assert_eq!(got._1, U256::from(accounts.len()), "getAllAccounts total");
        let mut got = got._0;
        got.sort_by_key(key);
        assert_eq!(got, accounts, "getAllAccounts (fine-tuning)");

        let mut users: Vec<_> = accounts.iter().map(|a| a.user).collect();
        users.dedup();
        for user in users {
            let got = strict_call(ft.getAccountsByUser(user, all, all)).await;
            let want: Vec<_> = accounts
                .iter()
                .filter(|a| a.user == user)
                .cloned()
                .collect();
            assert_eq!(got._1, U256::from(want.len()), "getAccountsByUser total");
            let mut got = got._0;
            got.sort_by_key(key);
            assert_eq!(got, want, "getAccountsByUser({user}) (fine-tuning)");
        }
        let mut providers: Vec<_> = accounts.iter().map(|a| a.provider).collect();
        providers.sort();
        providers.dedup();
        for provider in providers {
            let got = strict_call(ft.getAccountsByProvider(provider, all, all)).await;
            let want: Vec<_> = accounts
                .iter()
                .filter(|a| a.provider == provider)
                .cloned()
                .collect();
            assert_eq!(
                got._1,
                U256::from(want.len()),
                "getAccountsByProvider total"
            );
            let mut got = got._0;
            got.sort_by_key(key);
            assert_eq!(got, want, "getAccountsByProvider({provider}) (fine-tuning)");
            let users: Vec<_> = want.iter().map(|a| a.user).collect();
            let got = strict_call(ft.getBatchAccountsByUsers(users).from(provider))
                .await
                ._0;
            assert_eq!(
                got, want,
                "getBatchAccountsByUsers as {provider} (fine-tuning)"
            );
        }
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
        let key = |a: &crate::bindings::Account| (a.user, a.provider);

        let got = strict_call(self.ledger.getAllLedgers(all, all)).await;
        assert_eq!(got._1, U256::from(ledgers.len()), "getAllLedgers total");
        let mut got = got._0;
        got.sort_by_key(|l| l.user);
        ledgers.sort_by_key(|l| l.user);
        assert_eq!(got, ledgers, "getAllLedgers");

        let got = strict_call(self.inference.getAllAccounts(all, all)).await;
        assert_eq!(got._1, U256::from(accounts.len()), "getAllAccounts total");
        let mut got = got._0;
        got.sort_by_key(key);
        accounts.sort_by_key(key);
        assert_eq!(got, accounts, "getAllAccounts");

        for ledger in &ledgers {
            let got = strict_call(self.inference.getAccountsByUser(ledger.user, all, all)).await;
            let want: Vec<_> = accounts
                .iter()
                .filter(|a| a.user == ledger.user)
                .cloned()
                .collect();
            assert_eq!(got._1, U256::from(want.len()), "getAccountsByUser total");
            let mut got = got._0;
            got.sort_by_key(key);
            assert_eq!(got, want, "getAccountsByUser({})", ledger.user);
        }
        let mut providers: Vec<_> = accounts.iter().map(|a| a.provider).collect();
        providers.sort();
        providers.dedup();
        for provider in providers {
            let got = strict_call(self.inference.getAccountsByProvider(provider, all, all)).await;
            let want: Vec<_> = accounts
                .iter()
                .filter(|a| a.provider == provider)
                .cloned()
                .collect();
            assert_eq!(
                got._1,
                U256::from(want.len()),
                "getAccountsByProvider total"
            );
            let mut got = got._0;
            got.sort_by_key(key);
            assert_eq!(got, want, "getAccountsByProvider({provider})");

            let users: Vec<_> = want.iter().map(|a| a.user).collect();
            let got = strict_call(self.inference.getBatchAccountsByUsers(users).from(provider))
                .await
                ._0;
            assert_eq!(got, want, "getBatchAccountsByUsers as {provider}");
        }
    }
}

/// Checks one sub-account: `pendingRefund` <= `balance`, the live refunds
/// sum to `pendingRefund` and their count is `validRefundsLength`.
///
/// # Panics
///
/// When it does not hold.
pub fn check_account(account: &crate::bindings::Account) {
    assert!(
        account.pendingRefund <= account.balance,
        "pending refund above balance: {account:?}"
    );
    let live: Vec<_> = account.refunds.iter().filter(|r| !r.processed).collect();
    let live_sum = live.iter().fold(U256::ZERO, |s, r| s + r.amount);
    assert_eq!(live_sum, account.pendingRefund, "live refunds: {account:?}");
    assert_eq!(
        account.validRefundsLength,
        U256::from(live.len()),
        "validRefundsLength: {account:?}"
    );
}

/// Checks one fine-tuning sub-account like [`check_account`], and that it
/// lists `deliverablesCount` (at most 20) deliverables.
///
/// # Panics
///
/// When it does not hold.
pub fn check_fine_tuning_account(account: &ft::AccountDetails) {
    assert!(
        account.pendingRefund <= account.balance,
        "pending refund above balance: {account:?}"
    );
    let live: Vec<_> = account.refunds.iter().filter(|r| !r.processed).collect();
    let live_sum = live.iter().fold(U256::ZERO, |s, r| s + r.amount);
    assert_eq!(live_sum, account.pendingRefund, "live refunds: {account:?}");
    assert_eq!(
        account.validRefundsLength,
        U256::from(live.len()),
        "validRefundsLength: {account:?}"
    );
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

/// A scratch directory of this test process: `<tmp>/<suite>-<name>-<pid>`.
///
/// # Panics
///
/// If it cannot be created.
pub fn scratch_dir(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{suite}-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Writes a key file `dir/name` holding `key` as `0x` and 64 hex digits.
///
/// # Panics
///
/// If it cannot be written.
pub fn key_file(dir: &Path, name: &str, key: &B256) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{key}\n")).expect("key file");
    path
}

#[cfg(test)]
mod tests {
    use alloy::primitives::hex;

    use super::*;

    #[test]
    fn canonical_returns_catch_an_extra_tuple_offset() {
        use crate::bindings::LedgerManager::getAllLedgersCall;
        // No ledgers, total 0: Solidity's encoding, then stylus-sdk 0.9's
        // (one dynamic tuple, with a leading offset: stylus-sdk-rs#308).
        let solidity = hex!(
            "0000000000000000000000000000000000000000000000000000000000000040"
            "0000000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(
            canonical_returns::<getAllLedgersCall>(&solidity).unwrap(),
            solidity
        );
        let sdk = [&[0u8; 31][..], &[0x20], &solidity[..]].concat();
        assert!(canonical_returns::<getAllLedgersCall>(&sdk).map_or(true, |c| c != sdk));
    }

    #[test]
    fn verifier_inputs_recover_to_the_provider_signer() {
        let key = TeeKey::random();
        let user = Address::repeat_byte(1);
        let input = key.verifier_input(user, "task-1", &[7; 40], b"secret", 2, U256::from(9u64));
        assert_eq!(input.providerSigner, key.address());
        let digest = serving_verifier::verifier_input_digest(
            &input.encryptedSecret,
            &input.modelRootHash,
            input.nonce,
            input.providerSigner,
            input.taskFee,
            user,
        );
        assert_eq!(
            serving_verifier::native::recover(digest, &input.signature),
            Some(key.address())
        );
    }

    #[test]
    fn tee_records_recover_to_the_tee_key() {
        let tee = TeeKey::random();
        let user = Address::repeat_byte(1);
        let provider = Address::repeat_byte(2);
        let record = tee.record(user, provider, U256::from(7u64), 3, requests_hash(9));
        let digest = serving_verifier::settlement_digest(
            record.requestsHash,
            record.nonce,
            provider,
            user,
            record.totalFee,
        );
        assert_eq!(
            serving_verifier::native::recover(digest, &record.signature),
            Some(tee.address())
        );
    }
}
