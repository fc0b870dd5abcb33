//! End-to-end layer: the real Stylus VM (arbos-anvil) driven over JSON-RPC.
//!
//! `arbos-anvil` is anvil from iosiro's arbos-foundry: a local Ethereum node
//! that runs Stylus programs next to EVM contracts with Nitro's own activation
//! and metering code (see `../shared/design/architecture.md`, "The real Stylus
//! VM for tests: arbos-anvil"). This module finds the binary, starts one node
//! per [`Node`] on a free port of 127.0.0.1, hands out signing providers for
//! its funded dev accounts, deploys init code and moves block time.
//!
//! # Finding the node
//!
//! [`find_node`] looks in `ARBOS_ANVIL`, then `PATH`, then `../shared/bin`
//! next to the workspace. Tests start with [`node_or_skip!`](crate::node_or_skip)
//! (or [`skip_without_node!`](crate::skip_without_node)): without a node they
//! print "end-to-end layer skipped: arbos-anvil not found (set ARBOS_ANVIL)"
//! and return, except when `CI` is set, where a missing node is a failure.
//!
//! ```no_run
//! # async fn example() {
//! use serving_harness::chain;
//! let node = serving_harness::node_or_skip!();
//! let owner = node.wallet(0);
//! let address = chain::deploy(&owner, &chain::artifact("ledger_manager")).await.unwrap();
//! # let _ = address;
//! # }
//! ```
//!
//! # Deploying and activating Stylus programs
//!
//! A Stylus program is deployed like any contract: a creation transaction
//! whose init code *returns* the stored code, which is `0xEFF000`, a
//! dictionary byte (`0x00`: no dictionary) and the brotli-compressed wasm.
//! `cargo xtask build` writes such init code to
//! `target/stylus/<name>.initcode`; [`artifact`] reads it and [`deploy`] sends
//! it. arbos-anvil accepts the `0xEF` prefix that EIP-3541 would otherwise
//! refuse (unless started with `--stylus-disable-deployment`).
//!
//! On Arbitrum a deployed program must then be *activated* by a transaction
//! to `ArbWasm.activateProgram` (precompile `0x71`), which validates and
//! instruments the wasm and charges a data fee. arbos-anvil does this itself
//! on the first call to the program (unless `--stylus-disable-auto-activate`),
//! with Nitro's validator: deployment of a program Stylus would refuse
//! succeeds, and the **first call** fails (the node reports "failed to parse
//! wasm" or similar). An end-to-end test must therefore call a freshly
//! deployed program before it counts as accepted. Gas in receipts is Stylus
//! gas (ink converted to gas), so benchmarks read it from receipts.
//!
//! # Limits kept like mainnet
//!
//! The node enforces EIP-170's 24,576-byte limit on stored code by default,
//! as Arbitrum does; [`NodeOptions::code_size_limit`] exists for experiments
//! only. Stylus's own limits (uncompressed wasm size, pages) are the node's
//! defaults.

use std::{
    ffi::{OsStr, OsString},
    fmt,
    io::{BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::{
    network::{Ethereum, EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{
        fillers::{FillProvider, JoinFill, RecommendedFillers, WalletFiller},
        Identity, PendingTransactionError, Provider, ProviderBuilder, RootProvider,
    },
    rpc::types::{BlockNumberOrTag, BlockTransactionsKind, TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    transports::{
        http::{reqwest::Url, Client, Http},
        Transport, TransportError,
    },
};

/// Name of the node's executable, looked up in `PATH`.
pub const NODE_BINARY: &str = "arbos-anvil";

/// Environment variable naming the node's executable; it wins over `PATH`.
pub const NODE_ENV: &str = "ARBOS_ANVIL";

/// The line printed when the end-to-end layer is skipped.
pub const SKIP_MESSAGE: &str = "end-to-end layer skipped: arbos-anvil not found (set ARBOS_ANVIL)";

/// EIP-170's limit on stored code, enforced by the node by default as on
/// Arbitrum (0x6000 bytes).
pub const DEFAULT_CODE_SIZE_LIMIT: usize = 24_576;

/// The HTTP transport of every provider built here.
pub type HttpTransport = Http<Client>;

/// A provider without a signer, for reads and node-control requests.
pub type ReadProvider = RootProvider<HttpTransport>;

/// A provider that fills gas, nonce and chain id and signs with a local key:
/// the type returned by
/// `ProviderBuilder::new().with_recommended_fillers().wallet(..).on_http(..)`.
pub type WalletProvider = FillProvider<
    JoinFill<
        JoinFill<Identity, <Ethereum as RecommendedFillers>::RecommendedFillers>,
        WalletFiller<EthereumWallet>,
    >,
    ReadProvider,
    HttpTransport,
    Ethereum,
>;

/// What can go wrong in the end-to-end layer.
#[derive(Debug)]
pub enum ChainError {
    /// No arbos-anvil executable was found (see [`find_node`]).
    NotFound,
    /// The executable could not be started.
    Spawn {
        /// The executable.
        path: PathBuf,
        /// Why it could not be started.
        source: std::io::Error,
    },
    /// The node started but did not come up as expected.
    Startup {
        /// What went wrong.
        reason: String,
        /// What the node printed so far.
        log: String,
    },
    /// A JSON-RPC request failed (this includes gas estimation of a
    /// transaction that would revert; the message carries the revert data).
    Rpc(TransportError),
    /// Waiting for a transaction's receipt failed.
    Pending(PendingTransactionError),
    /// The transaction was mined but failed (status 0).
    Reverted(Box<TransactionReceipt>),
    /// A creation transaction succeeded but its receipt has no contract
    /// address.
    NoContractAddress(Box<TransactionReceipt>),
    /// Asking ArbWasm whether a program needs activation failed.
    Activation(String),
    /// A program landed at another address than planned.
    Moved {
        /// Where the plan put it.
        planned: Address,
        /// Where it is.
        landed: Address,
    },
    /// A vendored file the node needs (e.g. the StylusDeployer's code) is
    /// missing or malformed.
    Vendored(String),
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str(SKIP_MESSAGE),
            Self::Spawn { path, source } => write!(f, "cannot run {}: {source}", path.display()),
            Self::Startup { reason, log } => {
                write!(
                    f,
                    "arbos-anvil did not start: {reason}\n--- node output ---\n{log}"
                )
            }
            Self::Rpc(e) => write!(f, "JSON-RPC request failed: {e}"),
            Self::Pending(e) => write!(f, "waiting for the receipt failed: {e}"),
            Self::Reverted(r) => write!(
                f,
                "transaction {} failed (status 0, gas used {}): {r:?}",
                r.transaction_hash, r.gas_used
            ),
            Self::NoContractAddress(r) => {
                write!(
                    f,
                    "creation transaction {} has no contract address: {r:?}",
                    r.transaction_hash
                )
            }
            Self::Activation(reason) => write!(f, "asking ArbWasm about activation: {reason}"),
            Self::Vendored(reason) => write!(f, "vendored file: {reason}"),
            Self::Moved { planned, landed } => write!(
                f,
                "the program landed at {landed}, not at {planned} as planned: another deployment \
                 went through the StylusDeployer in between"
            ),
        }
    }
}

impl std::error::Error for ChainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Spawn { source, .. } => Some(source),
            Self::Rpc(e) => Some(e),
            Self::Pending(e) => Some(e),
            _ => None,
        }
    }
}

impl From<TransportError> for ChainError {
    fn from(e: TransportError) -> Self {
        Self::Rpc(e)
    }
}

impl From<PendingTransactionError> for ChainError {
    fn from(e: PendingTransactionError) -> Self {
        Self::Pending(e)
    }
}

/// The workspace root (the directory holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Finds the arbos-anvil executable: `ARBOS_ANVIL` (a path, or a bare name
/// looked up in `PATH`), then `arbos-anvil` in `PATH`, then
/// `../shared/bin/arbos-anvil` next to the workspace.
///
/// An `ARBOS_ANVIL` that is set is returned even if it does not exist, so
/// that a wrong setting fails loudly when the node is started instead of
/// silently falling back to another binary.
pub fn find_node() -> Option<PathBuf> {
    locate(
        std::env::var_os(NODE_ENV),
        std::env::var_os("PATH"),
        &workspace_root().join("../shared/bin").join(NODE_BINARY),
    )
}

fn locate(env: Option<OsString>, path_var: Option<OsString>, shared: &Path) -> Option<PathBuf> {
    let search = |name: &OsStr| {
        let dirs = path_var.as_deref()?;
        std::env::split_paths(dirs)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    };
    if let Some(value) = env.filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&value);
        if path.components().count() == 1 && !path.is_file() {
            if let Some(found) = search(&value) {
                return Some(found);
            }
        }
        return Some(path);
    }
    if let Some(found) = search(OsStr::new(NODE_BINARY)) {
        return Some(found);
    }
    is_executable(shared).then(|| {
        shared
            .canonicalize()
            .unwrap_or_else(|_| shared.to_path_buf())
    })
}

/// Whether the tests run in CI: `CI` is set to anything but empty, `0` or
/// `false`. There the end-to-end layer must run, never be skipped.
pub fn is_ci() -> bool {
    std::env::var("CI")
        .map(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"))
        .unwrap_or(false)
}

/// The node's executable, or `None` after printing [`SKIP_MESSAGE`] to the
/// real stderr (visible even under the test harness's output capture).
///
/// # Panics
///
/// When no node is found and [`is_ci`] holds: CI always runs this layer.
pub fn node_or_skip() -> Option<PathBuf> {
    match find_node() {
        Some(path) => Some(path),
        None if is_ci() => {
            panic!("arbos-anvil not found (set ARBOS_ANVIL) and CI is set: CI must run the end-to-end layer")
        }
        None => {
            // `eprintln!` would be captured by libtest; write to the stream.
            let _ = writeln!(std::io::stderr(), "{SKIP_MESSAGE}");
            None
        }
    }
}

/// Returns the arbos-anvil executable (a `PathBuf`), or returns early from
/// the enclosing test (a function returning `()`) after printing
/// "end-to-end layer skipped: arbos-anvil not found (set ARBOS_ANVIL)".
/// Panics instead when `CI` is set (see [`chain::node_or_skip`](crate::chain::node_or_skip)).
#[macro_export]
macro_rules! skip_without_node {
    () => {
        match $crate::chain::node_or_skip() {
            ::core::option::Option::Some(path) => path,
            ::core::option::Option::None => return,
        }
    };
}

/// Starts a [`Node`](crate::chain::Node) (with default options, or the given
/// [`NodeOptions`](crate::chain::NodeOptions)) inside an async test, or
/// returns early from it when arbos-anvil is not found, like
/// [`skip_without_node!`](crate::skip_without_node). Panics if the node is
/// found but does not start.
#[macro_export]
macro_rules! node_or_skip {
    () => {
        $crate::node_or_skip!($crate::chain::NodeOptions::default())
    };
    ($options:expr) => {{
        let path = $crate::skip_without_node!();
        match $crate::chain::Node::start_at(&path, $options).await {
            ::core::result::Result::Ok(node) => node,
            ::core::result::Result::Err(e) => ::core::panic!("{e}"),
        }
    }};
}

/// How to start a [`Node`]. The defaults are the node's own: 10 dev accounts
/// with 10,000 ETH each, chain id 31337, the 24,576-byte code size limit,
/// the wall clock as genesis timestamp, a block per transaction.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// `--code-size-limit`: `None` keeps mainnet's 24,576 bytes. Raise it
    /// only to experiment; the artifacts must fit the default.
    pub code_size_limit: Option<usize>,
    /// `--timestamp`: the genesis block's timestamp (seconds).
    pub genesis_timestamp: Option<u64>,
    /// `--accounts`: how many funded dev accounts.
    pub accounts: Option<usize>,
    /// `--balance`: each dev account's balance in ETH.
    pub balance_eth: Option<u64>,
    /// Further command-line arguments, passed as they are.
    pub extra_args: Vec<String>,
    /// How long to wait for the node to answer `eth_chainId`.
    pub startup_timeout: Duration,
}

impl Default for NodeOptions {
    fn default() -> Self {
        Self {
            code_size_limit: None,
            genesis_timestamp: None,
            accounts: None,
            balance_eth: None,
            extra_args: Vec::new(),
            startup_timeout: Duration::from_secs(60),
        }
    }
}

impl NodeOptions {
    /// Appends a raw command-line argument (e.g. `--stylus-debug`).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    fn args(&self) -> Vec<String> {
        // Port 0: the OS picks a free port and the node prints it, so there is
        // no race between choosing a port and binding it.
        let mut args: Vec<String> = ["--host", "127.0.0.1", "--port", "0", "--color", "never"]
            .map(String::from)
            .into();
        if let Some(limit) = self.code_size_limit {
            args.extend(["--code-size-limit".into(), limit.to_string()]);
        }
        if let Some(ts) = self.genesis_timestamp {
            args.extend(["--timestamp".into(), ts.to_string()]);
        }
        if let Some(n) = self.accounts {
            args.extend(["--accounts".into(), n.to_string()]);
        }
        if let Some(eth) = self.balance_eth {
            args.extend(["--balance".into(), eth.to_string()]);
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

/// The node's output, kept for error messages (the tail beyond this is
/// dropped).
const LOG_CAP: usize = 4 << 20;

#[derive(Debug, Default)]
struct Log(Mutex<String>);

impl Log {
    fn push(&self, line: &str) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() + line.len() > LOG_CAP {
            let cut = log.len() / 2;
            let cut = (cut..log.len())
                .find(|&i| log.is_char_boundary(i))
                .unwrap_or(log.len());
            log.drain(..cut);
        }
        log.push_str(line);
        log.push('\n');
    }

    fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What the node's banner tells: its address and the dev accounts' keys.
struct Banner {
    url: Url,
    keys: Vec<B256>,
}

fn parse_banner(text: &str) -> Result<Banner, String> {
    let mut keys = Vec::new();
    let mut in_keys = false;
    let mut url = None;
    for line in text.lines().map(str::trim) {
        if line == "Private Keys" {
            in_keys = true;
        } else if in_keys && line.starts_with('(') {
            let key = line
                .split_once(')')
                .map(|(_, k)| k.trim())
                .unwrap_or_default();
            keys.push(
                key.parse::<B256>()
                    .map_err(|e| format!("bad private key line {line:?}: {e}"))?,
            );
        } else if in_keys && !line.is_empty() && !line.starts_with('=') {
            in_keys = false;
        }
        if let Some(addr) = line.strip_prefix("Listening on ") {
            let parsed = format!("http://{}", addr.trim())
                .parse::<Url>()
                .map_err(|e| format!("bad listening address {addr:?}: {e}"))?;
            url = Some(parsed);
        }
    }
    let url = url.ok_or("no \"Listening on\" line")?;
    if keys.is_empty() {
        return Err("no private keys in the banner".into());
    }
    Ok(Banner { url, keys })
}

fn drain<R: Read + Send + 'static>(
    stream: R,
    log: Arc<Log>,
    banner: Option<tokio::sync::oneshot::Sender<String>>,
) {
    std::thread::spawn(move || {
        let mut banner = banner.map(|tx| (tx, String::new()));
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            log.push(&line);
            if let Some((_, text)) = banner.as_mut() {
                text.push_str(&line);
                text.push('\n');
                if line.trim_start().starts_with("Listening on ") {
                    let (tx, text) = banner.take().expect("banner is pending");
                    let _ = tx.send(text);
                }
            }
        }
        // End of output: dropping a pending sender reports an early exit.
    });
}

/// A running arbos-anvil, listening on 127.0.0.1 on a port of its own; the
/// process is killed when this value is dropped.
///
/// Each node is a fresh chain, so tests that start their own node do not
/// see each other's state.
#[derive(Debug)]
pub struct Node {
    child: Child,
    path: PathBuf,
    url: Url,
    chain_id: u64,
    dev_keys: Vec<B256>,
    log: Arc<Log>,
    /// Serialises transfers from dev account 0 in [`Node::funded_account`].
    funding: tokio::sync::Mutex<()>,
}

impl Node {
    /// Starts the node found by [`find_node`] with default options.
    pub async fn start() -> Result<Self, ChainError> {
        Self::start_with(NodeOptions::default()).await
    }

    /// Starts the node found by [`find_node`] with the given options.
    pub async fn start_with(options: NodeOptions) -> Result<Self, ChainError> {
        let path = find_node().ok_or(ChainError::NotFound)?;
        Self::start_at(&path, options).await
    }

    /// Starts the given executable with the given options, reads the dev
    /// keys and the address from its banner and waits until it answers
    /// `eth_chainId`.
    pub async fn start_at(path: &Path, options: NodeOptions) -> Result<Self, ChainError> {
        let started = Instant::now();
        let mut child = Command::new(path)
            .args(options.args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ChainError::Spawn {
                path: path.to_path_buf(),
                source,
            })?;
        let log = Arc::new(Log::default());
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Both streams are drained for the node's whole life: a full pipe
        // would block it.
        drain(
            child.stdout.take().expect("stdout is piped"),
            log.clone(),
            Some(tx),
        );
        drain(
            child.stderr.take().expect("stderr is piped"),
            log.clone(),
            None,
        );

        // From here on, `node` kills the process if anything fails.
        let mut node = Self {
            child,
            path: path.to_path_buf(),
            url: "http://127.0.0.1:0".parse().expect("static url"),
            chain_id: 0,
            dev_keys: Vec::new(),
            log,
            funding: tokio::sync::Mutex::new(()),
        };
        let fail = |node: &mut Self, reason: String| {
            let status = node.child.try_wait().ok().flatten();
            let reason = match status {
                Some(status) => format!("{reason} (process exited: {status})"),
                None => reason,
            };
            ChainError::Startup {
                reason,
                log: node.log.text(),
            }
        };

        let banner = match tokio::time::timeout(options.startup_timeout, rx).await {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                return Err(fail(
                    &mut node,
                    "output ended before \"Listening on\"".into(),
                ))
            }
            Err(_) => {
                return Err(fail(
                    &mut node,
                    format!("no \"Listening on\" within {:?}", options.startup_timeout),
                ))
            }
        };
        let banner = parse_banner(&banner).map_err(|reason| fail(&mut node, reason))?;
        node.url = banner.url;
        node.dev_keys = banner.keys;

        let provider = node.provider();
        loop {
            match provider.get_chain_id().await {
                Ok(id) => {
                    node.chain_id = id;
                    return Ok(node);
                }
                Err(e) if started.elapsed() > options.startup_timeout => {
                    return Err(fail(&mut node, format!("eth_chainId failed: {e}")));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// The executable that runs this node.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The node's JSON-RPC endpoint, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The chain id the node answered at start (31337 unless changed).
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The funded dev accounts' private keys, as printed by the node
    /// (by default the ten keys of the mnemonic
    /// "test test test test test test test test test test test junk").
    pub fn dev_keys(&self) -> &[B256] {
        &self.dev_keys
    }

    /// The signer of dev account `index`.
    ///
    /// # Panics
    ///
    /// If there is no such dev account.
    pub fn dev_signer(&self, index: usize) -> PrivateKeySigner {
        let key = self.dev_keys.get(index).unwrap_or_else(|| {
            panic!(
                "dev account {index} does not exist ({} accounts)",
                self.dev_keys.len()
            )
        });
        PrivateKeySigner::from_bytes(key).expect("the node prints valid keys")
    }

    /// The address of dev account `index`.
    ///
    /// # Panics
    ///
    /// If there is no such dev account.
    pub fn dev_address(&self, index: usize) -> Address {
        self.dev_signer(index).address()
    }

    /// A provider without a signer, for reads and node control.
    pub fn provider(&self) -> ReadProvider {
        ProviderBuilder::new().on_http(self.url.clone())
    }

    /// A signing provider for dev account `index` (e.g. 0 owner, 1 provider,
    /// 2 user: any fixed assignment a test likes).
    ///
    /// # Panics
    ///
    /// If there is no such dev account.
    pub fn wallet(&self, index: usize) -> WalletProvider {
        self.wallet_for(self.dev_signer(index))
    }

    /// A signing provider for any key.
    pub fn wallet_for(&self, signer: PrivateKeySigner) -> WalletProvider {
        wallet_provider(&self.url, signer)
    }

    /// A fresh random account holding `amount` wei, sent by a transfer from
    /// dev account 0; returns its signer and a signing provider for it.
    ///
    /// Transfers made here are serialised, but a test that sends from dev
    /// account 0 *concurrently* with this call may collide on the nonce.
    pub async fn funded_account(
        &self,
        amount: U256,
    ) -> Result<(PrivateKeySigner, WalletProvider), ChainError> {
        let signer = PrivateKeySigner::random();
        {
            let _guard = self.funding.lock().await;
            let tx = TransactionRequest::default()
                .with_to(signer.address())
                .with_value(amount);
            send_tx(&self.wallet(0), tx).await?;
        }
        let wallet = self.wallet_for(signer.clone());
        Ok((signer, wallet))
    }

    /// The latest block's timestamp (seconds).
    pub async fn latest_timestamp(&self) -> Result<u64, ChainError> {
        let block = self
            .provider()
            .get_block_by_number(BlockNumberOrTag::Latest, BlockTransactionsKind::Hashes)
            .await?
            .ok_or_else(|| ChainError::Rpc(TransportError::NullResp))?;
        Ok(block.header.timestamp)
    }

    /// Moves time forward by `secs` seconds (`evm_increaseTime`) and mines a
    /// block (`evm_mine`) so that the new time is the latest block's
    /// timestamp; returns that timestamp. Later blocks keep the offset.
    pub async fn increase_time(&self, secs: u64) -> Result<u64, ChainError> {
        let provider = self.provider();
        let _offset: i64 = provider
            .raw_request("evm_increaseTime".into(), (U256::from(secs),))
            .await?;
        self.mine().await?;
        self.latest_timestamp().await
    }

    /// Sets the timestamp of the next block (`evm_setNextBlockTimestamp`);
    /// it must be later than the latest block's. Combine with [`Node::mine`]
    /// or the next transaction.
    pub async fn set_next_block_timestamp(&self, timestamp: u64) -> Result<(), ChainError> {
        let _: () = self
            .provider()
            .raw_request("evm_setNextBlockTimestamp".into(), (timestamp,))
            .await?;
        Ok(())
    }

    /// Mines one empty block (`evm_mine`).
    pub async fn mine(&self) -> Result<(), ChainError> {
        let _: String = self.provider().raw_request("evm_mine".into(), ()).await?;
        Ok(())
    }

    /// Everything the node printed so far (up to a few MiB, most recent
    /// last): start banner, requests, transactions and Stylus errors.
    pub fn log(&self) -> String {
        self.log.text()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signing provider on `url` for `signer`, with the recommended fillers
/// (gas, nonce, chain id).
pub fn wallet_provider(url: &Url, signer: PrivateKeySigner) -> WalletProvider {
    ProviderBuilder::new()
        .with_recommended_fillers()
        .wallet(EthereumWallet::from(signer))
        .on_http(url.clone())
}

/// Sends a transaction, waits for its receipt and fails with the receipt if
/// the transaction failed. A transaction that would revert usually fails
/// earlier, at gas estimation, with [`ChainError::Rpc`].
pub async fn send_tx<P, T>(
    provider: &P,
    tx: TransactionRequest,
) -> Result<TransactionReceipt, ChainError>
where
    P: Provider<T, Ethereum>,
    T: Transport + Clone,
{
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    if receipt.status() {
        Ok(receipt)
    } else {
        Err(ChainError::Reverted(Box::new(receipt)))
    }
}

/// Sends a contract-creation transaction with `initcode`, waits for the
/// receipt and returns the new contract's address; fails with the receipt
/// if the creation failed.
///
/// For a Stylus program the init code returns `0xEFF00000 ‖ brotli(wasm)`;
/// the program is activated by its first call (see the module docs), so a
/// successful deployment alone does not prove Stylus accepts it.
pub async fn deploy<P, T>(provider: &P, initcode: &[u8]) -> Result<Address, ChainError>
where
    P: Provider<T, Ethereum>,
    T: Transport + Clone,
{
    let tx = TransactionRequest::default().with_deploy_code(initcode.to_vec());
    let receipt = send_tx(provider, tx).await?;
    match receipt.contract_address {
        Some(address) => Ok(address),
        None => Err(ChainError::NoContractAddress(Box::new(receipt))),
    }
}

/// Where `cargo xtask build` writes the init code of contract `name`:
/// `<workspace>/target/stylus/<name>.initcode`.
pub fn artifact_path(name: &str) -> PathBuf {
    workspace_root()
        .join("target")
        .join("stylus")
        .join(format!("{name}.initcode"))
}

/// The init code of contract `name` built by `cargo xtask build` (raw bytes;
/// a file holding `0x`-prefixed hex is decoded too).
///
/// # Panics
///
/// If the artifact is missing or unreadable, telling to run
/// `cargo xtask build` first.
pub fn artifact(name: &str) -> Vec<u8> {
    let path = artifact_path(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the Stylus artifact {} ({e}): run `cargo xtask build` first, \
             it writes target/stylus/<name>.initcode",
            path.display()
        )
    });
    match bytes.strip_prefix(b"0x") {
        Some(hex) => alloy::hex::decode(hex.trim_ascii())
            .unwrap_or_else(|e| panic!("{} starts with 0x but is not hex: {e}", path.display())),
        None => bytes,
    }
}

#[cfg(test)]
mod tests;
