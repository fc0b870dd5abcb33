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

mod serving;

pub use serving::{check_account, check_fine_tuning_account, summary, Serving};

use crate::{
    bindings::{
        convert,
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
    market::tee,
    upgrade::{self, ProxiedDeployment},
};

/// Starts a node and deploys the three contracts with refunds (and signer
/// changes) locked for `$lock_time` seconds, or skips the test where
/// arbos-anvil is not found ([`node_or_skip!`](crate::node_or_skip)).
///
/// # Panics
///
/// If the deployment fails or leaves out FineTuningServing (its artifact
/// missing: run `cargo xtask build`).
#[macro_export]
macro_rules! serving_or_skip {
    ($lock_time:expr) => {{
        let node = $crate::node_or_skip!($crate::deploy::node_options());
        let config = $crate::deploy::ServingConfig::default().lock_time($lock_time);
        let serving = $crate::e2e::Serving::deploy(node, config)
            .await
            .unwrap_or_else(|e| panic!("deployment failed: {e}"));
        assert!(
            serving.fine_tuning.is_some(),
            "FineTuningServing was not deployed: run `cargo xtask build`"
        );
        serving
    }};
}

/// [`serving_or_skip!`] with a first sub-account ([`Serving::opened`]; with
/// `fine_tuning:`, [`Serving::opened_fine_tuning`]): a provider, its TEE
/// key, and a user whose ledger holds 1 ETH, `$amount` of it in the
/// sub-account: `(serving, provider, tee, user)`.
#[macro_export]
macro_rules! opened_or_skip {
    ($lock_time:expr, $amount:expr) => {{
        let serving = $crate::serving_or_skip!($lock_time);
        let (provider, tee, user) = serving.opened($crate::e2e::eth(1), $amount).await;
        (serving, provider, tee, user)
    }};
    (fine_tuning: $lock_time:expr, $amount:expr) => {{
        let serving = $crate::serving_or_skip!($lock_time);
        let deposit = $crate::e2e::eth(1);
        let (provider, tee, user) = serving.opened_fine_tuning(deposit, $amount).await;
        (serving, provider, tee, user)
    }};
}

/// Asserts that a sub-account of either kind (as `getAccount` returns
/// it) holds nothing: no balance, no pending refund, no live refund.
#[macro_export]
macro_rules! assert_emptied {
    ($account:expr) => {{
        let account = &$account;
        let held = (
            account.balance,
            account.pendingRefund,
            account.validRefundsLength,
        );
        let zero = ::alloy::primitives::U256::ZERO;
        assert_eq!(held, (zero, zero, zero), "{account:?}");
    }};
}

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

    /// Sends `call` from this account (see [`send`]) and returns its
    /// successful receipt.
    ///
    /// # Panics
    ///
    /// If the transaction fails; the message starts with `what`.
    pub async fn transact<T, P, D>(
        &self,
        what: &str,
        call: CallBuilder<T, P, D, Ethereum>,
    ) -> TransactionReceipt
    where
        T: Transport + Clone,
        P: Provider<T, Ethereum>,
        D: CallDecoder,
    {
        send(&self.wallet, call)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}

/// A key inside a provider's TEE: signs settlement records and
/// fine-tuning verifier inputs (a [`tee::TeeSigner`], with the end-to-end
/// tests' argument order and client types).
pub struct TeeKey(tee::TeeSigner);

impl TeeKey {
    /// A fresh random key.
    pub fn random() -> Self {
        let root = tee::AttestationRoot::from_seed(b"end-to-end tests");
        Self(tee::TeeSigner::boot(
            &root,
            PrivateKeySigner::random().to_bytes().as_slice(),
        ))
    }

    /// Its Ethereum address (what users acknowledge).
    pub fn address(&self) -> Address {
        self.0.address()
    }

    /// A settlement record of `fee` for `user` at `nonce`, signed by this
    /// key as the contract checks it (see [`tee::TeeSigner::sign_record`]).
    pub fn record(
        &self,
        user: Address,
        provider: Address,
        fee: U256,
        nonce: u64,
        requests_hash: B256,
    ) -> TEESettlementData {
        let nonce = U256::from(nonce);
        convert(
            &self
                .0
                .sign_record(provider, user, requests_hash, nonce, fee),
        )
    }

    /// A fine-tuning verifier input settling the deliverable `id` (model
    /// root hash `root`) of `user` at `nonce` for `fee`, carrying `secret`
    /// (empty for a deliverable the user did not acknowledge), signed by
    /// this key as the provider signer (see
    /// [`tee::TeeSigner::sign_verifier_input`]).
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
        convert(
            &self
                .0
                .sign_verifier_input(user, id, root, secret, nonce, fee),
        )
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

/// Calls the view `call` (an `eth_call`): its return values, or the error
/// for [`expect_revert`].
pub async fn try_view<T, P, C>(
    call: alloy::contract::SolCallBuilder<T, P, C, Ethereum>,
) -> Result<C::Return, ChainError>
where
    T: Transport + Clone,
    P: Provider<T, Ethereum>,
    C: alloy::sol_types::SolCall + Unpin,
{
    call.call().await.map_err(call_error)
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

/// Gas [`send_tx`] adds to the node's estimate. A Stylus program's entry
/// costs its whole initialization gas unless it ran recently, so an
/// estimate made while it had can fall short by that much when the
/// transaction runs: seen once, an `addDeliverable` mined out of gas
/// (status 0, 119,139 used) after a successful estimate. Three programs'
/// initialization (at most 20.4k each here, docs/gas.md) and room to spare.
/// The gas used, which the tests and the benchmark measure, is unchanged.
pub const STYLUS_INIT_MARGIN: u64 = 75_000;

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
    mut tx: TransactionRequest,
) -> Result<TransactionReceipt, ChainError> {
    if tx.gas.is_none() {
        tx.from = Some(alloy::providers::WalletProvider::default_signer_address(
            wallet,
        ));
        tx.gas = Some(wallet.estimate_gas(&tx).await? + STYLUS_INIT_MARGIN);
    }
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
mod tests;
