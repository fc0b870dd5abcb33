//! The market on a real chain: the three contracts deployed on (or found at)
//! a JSON-RPC endpoint, every actor an externally owned account with its own
//! key, every call a real transaction or `eth_call`.
//!
//! # Setting up ([`Rpc::connect`])
//!
//! Nothing is sent before every check has passed, each failing in one line:
//! the endpoint answers (`eth_chainId` within [`PROBE_TIMEOUT`]); the given
//! contracts hold code and the ledger is wired to the given serving
//! contracts, or the artifacts of `cargo xtask build` load and the chain is a
//! Stylus chain (ArbWasm answers); the funder's account holds what the run
//! needs: each simulated account's funds plus a gas allowance
//! ([`gas_budget`] gas at the chain's current fee cap), plus the
//! deployment's activation fees and [`DEPLOYMENT_GAS`]. Then the contracts
//! are deployed by [`deployment`] (each program created, activated and
//! initialized in one transaction, owned by the funder).
//!
//! # Accounts
//!
//! [`Backend::new_account`] hands out keys derived from the run's seed, a
//! salt (the chain id, the ledger and the funder's nonce when the run
//! starts: a second run on the same contracts gets fresh accounts) and an
//! index, and funds each from the funder's key with its funds plus the gas
//! allowance. The keys of the accounts a [`Config`] needs are derived up
//! front and handed out in ascending address order, as the in-process
//! backend's addresses are: a provider batches its users in address order,
//! so the same seed gives the same business outcome on both backends (only
//! addresses, gas and timings differ). What is left of the allowances stays
//! in those accounts.
//!
//! # Transactions and gas
//!
//! Each transaction is estimated first (a call that would revert fails
//! there, with the contract's error, and costs nothing), sent, and its
//! receipt awaited. [`Backend::gas_spent`] adds up `gasUsed ×
//! effectiveGasPrice` of every receipt of every simulated account, mined
//! reverts included: the only money that leaves the market's wallets and
//! contracts, so the checker's money conservation holds to the wei. The
//! funder's transactions (funding, deployment) happen before the checker
//! takes its first total and are not counted.
//!
//! # Time ([`Clock`])
//!
//! On a node that moves its clock (arbos-anvil: `evm_increaseTime`),
//! [`Backend::elapse_lock`] moves it by the lock time and mines a block. On
//! a chain that cannot (a public chain), refunds mature in real time: the
//! run deploys with a lock time of [`WALL_LOCK_TIME`] seconds and
//! `elapse_lock` sleeps until the lock time and a second have passed since
//! the last refund request was mined (the chain's clock runs at the wall
//! clock's pace, whatever its offset); contracts given by address must then
//! have a lock time of at most [`MAX_WALL_WAIT`] seconds.

use std::{
    collections::HashMap,
    future::IntoFuture,
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{keccak256, utils::format_ether, Address, Bytes, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::{
        client::{BatchRequest, RpcClient},
        types::{BlockNumberOrTag, TransactionReceipt, TransactionRequest},
    },
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
    transports::http::{reqwest::Url, Client, Http},
};
use serving_contracts::abi::{fine_tuning::VerifierInput, ServiceParams, TEESettlementData};
use tokio::runtime::Runtime;

use super::{
    backend::{
        describe_revert, AccountState, Backend, Failure, FineTuningService, Gas, Kind, LedgerState,
        Outcome, Settlement, SubAccount,
    },
    provider::MAX_BATCH,
    Config,
};
use crate::{
    bindings::{
        self, convert,
        fine_tuning::{self as ft, FineTuningServing as FT},
        InferenceServing as IS, LedgerManager as LM,
    },
    chain::{ChainError, ReadProvider, WalletProvider},
    deployment::{self, Artifacts, DeployError, Settings},
    e2e,
};

/// How long the endpoint has to answer its first request.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long any later request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Gas set aside for deploying the five programs (measured on arbos-anvil:
/// 33.5M, 5.7M to 7.1M per program, activation included).
pub const DEPLOYMENT_GAS: u64 = 45_000_000;
/// Requests sent in one JSON-RPC batch, at most.
pub const BATCH_REQUESTS: usize = 500;
/// The refund lock time of contracts deployed on a chain whose clock cannot
/// be moved, in seconds.
pub const WALL_LOCK_TIME: u64 = 30;
/// The longest lock time a run waits out in real time, in seconds.
pub const MAX_WALL_WAIT: u64 = 600;

/// How the refund lock time passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The node moves its time: `evm_increaseTime`, then `evm_mine`.
    Node,
    /// Real time: wait until the lock time has passed.
    Wall,
}

/// The three contracts of a market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contracts {
    /// LedgerManager.
    pub ledger: Address,
    /// InferenceServing.
    pub inference: Address,
    /// FineTuningServing.
    pub fine_tuning: Address,
}

/// Where and how to run.
#[derive(Clone, Debug)]
pub struct RpcOptions {
    /// The JSON-RPC endpoint.
    pub url: String,
    /// The key that deploys the contracts and funds every simulated account.
    pub funder: PrivateKeySigner,
    /// Contracts to use; `None`: deploy them.
    pub contracts: Option<Contracts>,
    /// Where `cargo xtask build` wrote the artifacts (when deploying).
    pub artifacts: PathBuf,
    /// How time passes; `None`: [`Clock::Node`] when the endpoint answers
    /// `evm_increaseTime`, else [`Clock::Wall`].
    pub clock: Option<Clock>,
    /// The refund lock time of deployed contracts, in seconds; `None`: the
    /// configuration's with [`Clock::Node`], [`WALL_LOCK_TIME`] with
    /// [`Clock::Wall`].
    pub lock_time: Option<u64>,
}

impl RpcOptions {
    /// Deploy on `url` with `funder`, from the default artifacts directory,
    /// the clock and lock time chosen by what the endpoint supports.
    pub fn new(url: impl Into<String>, funder: PrivateKeySigner) -> Self {
        Self {
            url: url.into(),
            funder,
            contracts: None,
            artifacts: deployment::cli::default_artifacts_dir(),
            clock: None,
            lock_time: None,
        }
    }
}

/// The contracts of a run: given, or to deploy by this plan.
enum Target {
    Given(Contracts),
    Planned(Box<deployment::Plan>),
}

/// The market's chain over JSON-RPC (see the module docs).
pub struct Rpc {
    runtime: Runtime,
    http: Client,
    url: Url,
    reader: ReadProvider,
    funder: WalletProvider,
    contracts: Contracts,
    deployed: bool,
    chain_id: u64,
    clock: Clock,
    penalty_percentage: u8,
    /// Wei each new account gets for gas.
    allowance: U256,
    /// Keys of the planned accounts, in ascending address order.
    pool: Vec<PrivateKeySigner>,
    seed: u64,
    salt: B256,
    /// Accounts handed out so far.
    issued: usize,
    wallets: HashMap<Address, WalletProvider>,
    gas_spent: U256,
    /// When the last refund request was mined (wall clock only).
    last_refund_request: Option<Instant>,
}

/// Collapses a message to one line.
fn one_line(message: impl std::fmt::Display) -> String {
    message
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn backend(message: impl std::fmt::Display) -> Failure {
    Failure::Backend(one_line(message))
}

/// Gas one simulated account may spend in a run of `config`, at most (its
/// allowance is this much gas at the chain's fee cap): the larger of a
/// provider's and a user's worst case, with the per-operation costs of
/// the gas table of docs/gas.md rounded up generously.
///
/// - A provider: its two services; settlement transactions, at most one
///   per batch of users (and one held back by the `reorder` fault) at every
///   tick and at closing, each possibly sent again by the `replay` fault; a
///   record for every user at every tick (at most one per request), and
///   the replayed ones; two transactions per fine-tuning task.
/// - A user: its ledger; a sub-account and an acknowledged signer per
///   provider; top-ups; three transactions per fine-tuning task;
///   retrievals and the final refund.
pub fn gas_budget(config: &Config) -> u64 {
    let users = config.users as u64;
    let batch = config.batch_size as u64;
    let ticks = config.requests.div_ceil(config.tick) + 1;
    let sent = ticks * (users.div_ceil(batch) + 1);
    let replayed = if config.faults.replay { sent } else { 0 };
    let records = config.requests.min(ticks * users) + replayed * users.min(batch);
    let tasks = config.fine_tuning_tasks as u64;
    let provider = 1_500_000 + (sent + replayed) * 150_000 + records * 40_000 + tasks * 500_000;
    let links = config.providers.min(3) as u64;
    let user = 1_000_000 + links * 400_000 + 10 * 150_000 + tasks * 400_000 + 700_000;
    provider.max(user)
}

/// The key of account `index` of a run with `seed` and `salt`.
fn derive_key(seed: u64, salt: B256, index: u64) -> PrivateKeySigner {
    (0u64..)
        .find_map(|counter| {
            let word = keccak256(
                [
                    b"serving-harness market account".as_slice(),
                    &seed.to_be_bytes(),
                    salt.as_slice(),
                    &index.to_be_bytes(),
                    &counter.to_be_bytes(),
                ]
                .concat(),
            );
            PrivateKeySigner::from_bytes(&word).ok()
        })
        .expect("a valid key within a few tries")
}

/// The [`AccountState`] of an account view, whose signer is the field
/// `signer`.
macro_rules! account_state {
    ($account:expr, $signer:ident) => {{
        let a = $account;
        let refunds = a.refunds.iter().map(|r| r.amount).collect();
        AccountState::new(a.nonce, a.balance, a.pendingRefund, refunds, a.$signer)
    }};
}

/// The state of an inference account.
fn account_state(account: bindings::Account) -> AccountState {
    account_state!(account, teeSignerAddress)
}

/// The state of a fine-tuning account.
fn details_state(account: ft::AccountDetails) -> AccountState {
    account_state!(account, providerSigner)
}

/// A signing provider for `signer` on `url` over the shared client. Its
/// block poller (which alloy starts at the first transaction, for receipt
/// watchers) polls once an hour: receipts are polled by
/// [`e2e::send_tx`], and a poller at alloy's 250 ms, whose missed ticks
/// come in bursts whenever the blocking backend drives its runtime again,
/// would send most of a run's requests.
fn wallet_on(http: &Client, url: &Url, signer: PrivateKeySigner) -> WalletProvider {
    let transport = Http::with_client(http.clone(), url.clone());
    let local = transport.guess_local();
    ProviderBuilder::new()
        .with_recommended_fillers()
        .wallet(EthereumWallet::from(signer))
        .on_client(RpcClient::new(transport, local).with_poll_interval(IDLE_POLL))
}

/// The block poll interval of the market's signing providers.
const IDLE_POLL: Duration = Duration::from_secs(3_600);

fn reader_on(http: &Client, url: &Url) -> ReadProvider {
    let transport = Http::with_client(http.clone(), url.clone());
    let local = transport.guess_local();
    ProviderBuilder::new().on_client(RpcClient::new(transport, local))
}

/// The result of an `eth_call`: the decoded return, or the revert.
async fn view<C: SolCall>(
    reader: &ReadProvider,
    to: Address,
    from: Address,
    call: &C,
) -> Outcome<Result<C::Return, String>> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(call.abi_encode());
    match reader.call(&tx).await {
        Ok(output) => C::abi_decode_returns(&output, true).map(Ok).map_err(|e| {
            backend(format!(
                "{}: undecodable output {output}: {e}",
                C::SIGNATURE
            ))
        }),
        Err(error) => {
            let error = ChainError::Rpc(error);
            match e2e::revert_data(&error) {
                Some(data) => Ok(Err(describe_revert(&data))),
                None => Err(backend(format!("{}: {error}", C::SIGNATURE))),
            }
        }
    }
}

/// `call` answered by the contract at `at`, which a revert shows is not
/// `what`.
async fn answer<C: SolCall>(
    reader: &ReadProvider,
    what: &str,
    at: Address,
    call: C,
) -> Result<C::Return, Failure> {
    view(reader, at, Address::ZERO, &call)
        .await?
        .map_err(|revert| backend(format!("{at} does not answer as {what}: {revert}")))
}

/// What `Rpc::connect` learns about given contracts: the clock's lock time
/// and the penalty.
async fn inspect(reader: &ReadProvider, contracts: &Contracts) -> Result<(u64, u8), Failure> {
    let named = [
        ("--ledger", contracts.ledger),
        ("--inference", contracts.inference),
        ("--fine-tuning", contracts.fine_tuning),
    ];
    for (flag, address) in named {
        let code = reader.get_code_at(address).await.map_err(backend)?;
        if code.is_empty() {
            return Err(backend(format!("no contract at {address} ({flag})")));
        }
    }
    let ledger = contracts.ledger;
    let wiring = [
        (
            "InferenceServing",
            answer(
                reader,
                "a LedgerManager",
                ledger,
                LM::inferenceAddressCall {},
            )
            .await?
            ._0,
            contracts.inference,
        ),
        (
            "FineTuningServing",
            answer(
                reader,
                "a LedgerManager",
                ledger,
                LM::fineTuningAddressCall {},
            )
            .await?
            ._0,
            contracts.fine_tuning,
        ),
    ];
    for (what, found, given) in wiring {
        if found != given {
            return Err(backend(format!(
                "the ledger at {ledger} works with {what} {found}, not {given}"
            )));
        }
    }
    let (inference, fine_tuning) = (contracts.inference, contracts.fine_tuning);
    let inference_lock = answer(reader, "InferenceServing", inference, IS::lockTimeCall {})
        .await?
        ._0;
    let fine_tuning_lock = answer(
        reader,
        "FineTuningServing",
        fine_tuning,
        FT::lockTimeCall {},
    )
    .await?
    ._0;
    let penalty = answer(
        reader,
        "FineTuningServing",
        fine_tuning,
        FT::penaltyPercentageCall {},
    )
    .await?
    ._0;
    let lock = inference_lock.max(fine_tuning_lock).saturating_to::<u64>();
    Ok((lock, penalty.saturating_to::<u8>()))
}

impl Rpc {
    /// Connects to `options.url`, checks everything a run of `config` needs
    /// (see the module docs) and deploys the contracts unless they are
    /// given. Every error is one line, and none leaves a transaction
    /// behind except a deployment that failed halfway.
    pub fn connect(config: &Config, options: RpcOptions) -> Result<Self, Failure> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| backend(format!("cannot start the async runtime: {e}")))?;
        let url: Url = options
            .url
            .parse()
            .map_err(|e| backend(format!("--rpc {}: not a URL ({e})", options.url)))?;
        let http = Client::builder()
            .connect_timeout(PROBE_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| backend(format!("cannot build an HTTP client: {e}")))?;
        let reader = reader_on(&http, &url);
        let funder_address = options.funder.address();
        let funder = wallet_on(&http, &url, options.funder.clone());
        let setup = runtime.block_on(async {
            let chain_id = match tokio::time::timeout(PROBE_TIMEOUT, reader.get_chain_id()).await
            {
                Ok(Ok(id)) => id,
                Ok(Err(e)) => return Err(backend(format!("the endpoint {url} does not answer: {e}"))),
                Err(_) => {
                    return Err(backend(format!(
                        "the endpoint {url} does not answer within {} s",
                        PROBE_TIMEOUT.as_secs()
                    )))
                }
            };
            let clock = match options.clock {
                Some(clock) => clock,
                None => {
                    let moved: Result<i64, _> = reader
                        .raw_request("evm_increaseTime".into(), (U256::ZERO,))
                        .await;
                    if moved.is_ok() {
                        Clock::Node
                    } else {
                        Clock::Wall
                    }
                }
            };
            let nonce = reader
                .get_transaction_count(funder_address)
                .await
                .map_err(backend)?;
            let balance = reader.get_balance(funder_address).await.map_err(backend)?;
            let fee_cap = U256::from(
                reader
                    .estimate_eip1559_fees(None)
                    .await
                    .map_err(backend)?
                    .max_fee_per_gas,
            );
            let (target, penalty) = match options.contracts {
                Some(contracts) => {
                    let (lock, penalty) = inspect(&reader, &contracts).await?;
                    if clock == Clock::Wall && lock > MAX_WALL_WAIT {
                        return Err(backend(format!(
                            "the contracts' refund lock time is {lock} s and this chain cannot move its clock: a run would wait that long (at most {MAX_WALL_WAIT} s)"
                        )));
                    }
                    (Target::Given(contracts), penalty)
                }
                None => {
                    let artifacts = Artifacts::load(&options.artifacts)
                        .map_err(|e| backend(e.one_line()))?;
                    let lock_time = options.lock_time.unwrap_or(match clock {
                        Clock::Node => config.lock_time,
                        Clock::Wall => WALL_LOCK_TIME,
                    });
                    let settings = Settings {
                        owner: funder_address,
                        lock_time: U256::from(lock_time),
                        penalty_percentage: U256::from(config.penalty_percentage),
                    };
                    let mut survey = deployment::survey(&reader, funder_address, &artifacts)
                        .await
                        .map_err(|e| backend(e.one_line()))?;
                    if survey.deployer_nonce.is_none() {
                        // A local node without one (arbos-anvil): install it.
                        deployment::stylus_deployer::install(&reader)
                            .await
                            .map_err(|e| {
                                backend(format!("{}: {e}", DeployError::NoStylusDeployer))
                            })?;
                        survey = deployment::survey(&reader, funder_address, &artifacts)
                            .await
                            .map_err(|e| backend(e.one_line()))?;
                    }
                    let plan = deployment::plan(
                        &artifacts,
                        &settings,
                        funder_address,
                        survey.nonce,
                        survey.deployer_nonce.unwrap_or_default(),
                        |p| survey.activation(p),
                    );
                    (Target::Planned(Box::new(plan)), config.penalty_percentage)
                }
            };
            let allowance = U256::from(gas_budget(config)) * fee_cap;
            let accounts = U256::from(config.providers + config.users);
            let deployment_cost = match &target {
                Target::Given(_) => U256::ZERO,
                Target::Planned(plan) => {
                    plan.steps.iter().map(|s| s.value).sum::<U256>()
                        + U256::from(DEPLOYMENT_GAS) * fee_cap
                }
            };
            let needed = config.user_funds * U256::from(config.users)
                + accounts * allowance
                + deployment_cost;
            if balance < needed {
                return Err(backend(format!(
                    "the key's account {funder_address} holds {} ETH, the run needs {} ETH ({} accounts with {} ETH for gas each, {} users' deposits of {} ETH{}); fund it or shrink the run",
                    format_ether(balance),
                    format_ether(needed),
                    accounts,
                    format_ether(allowance),
                    config.users,
                    format_ether(config.user_funds),
                    match target {
                        Target::Given(_) => String::new(),
                        Target::Planned(_) =>
                            format!(", the deployment {} ETH", format_ether(deployment_cost)),
                    }
                )));
            }
            let contracts = match target {
                Target::Given(contracts) => contracts,
                Target::Planned(plan) => {
                    // A provider of its own, polling blocks at alloy's
                    // pace: the deployment watches its receipts. Dropped
                    // (with its poller) once deployed.
                    let transport = Http::with_client(http.clone(), url.clone());
                    let local = transport.guess_local();
                    let deployer = ProviderBuilder::new()
                        .with_recommended_fillers()
                        .wallet(EthereumWallet::from(options.funder.clone()))
                        .on_client(RpcClient::new(transport, local));
                    deployment::execute(&deployer, &plan, |_, _, _| {})
                        .await
                        .map_err(|e| backend(format!("deployment: {}", e.one_line())))?;
                    Contracts {
                        ledger: plan.contracts.ledger,
                        inference: plan.contracts.inference,
                        fine_tuning: plan.contracts.fine_tuning,
                    }
                }
            };
            Ok((chain_id, clock, nonce, allowance, contracts, penalty))
        });
        let (chain_id, clock, nonce, allowance, contracts, penalty_percentage) = setup?;
        let deployed = options.contracts.is_none();
        let salt = keccak256(
            [
                chain_id.to_be_bytes().as_slice(),
                contracts.ledger.as_slice(),
                funder_address.as_slice(),
                &nonce.to_be_bytes(),
            ]
            .concat(),
        );
        let mut pool: Vec<PrivateKeySigner> = (0..(config.providers + config.users) as u64)
            .map(|i| derive_key(config.seed, salt, i))
            .collect();
        pool.sort_by_key(|k| k.address());
        Ok(Self {
            runtime,
            http,
            url,
            reader,
            funder,
            contracts,
            deployed,
            chain_id,
            clock,
            penalty_percentage,
            allowance,
            pool,
            seed: config.seed,
            salt,
            issued: 0,
            wallets: HashMap::new(),
            gas_spent: U256::ZERO,
            last_refund_request: None,
        })
    }

    /// The contracts the market runs on.
    pub fn contracts(&self) -> Contracts {
        self.contracts
    }

    /// Whether [`Rpc::connect`] deployed them.
    pub fn deployed(&self) -> bool {
        self.deployed
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// How time passes on this chain.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// FineTuningServing's penalty percentage (a run's configuration must
    /// use it).
    pub fn penalty_percentage(&self) -> u8 {
        self.penalty_percentage
    }

    /// Wei each new account gets for gas.
    pub fn allowance(&self) -> U256 {
        self.allowance
    }

    /// Sends `data` to `to` with `value` from the simulated account `from`,
    /// waits for the receipt and counts its gas.
    fn transact(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        data: Vec<u8>,
    ) -> Outcome<TransactionReceipt> {
        let wallet = self
            .wallets
            .get(&from)
            .ok_or_else(|| backend(format!("{from} is not an account of this market")))?;
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_value(value)
            .with_input(data);
        // Half again the estimate: the estimate is made on the state before
        // the transaction is mined, and with a wall clock a refund can mature
        // in between and make retrieveFund do more work.
        let estimate = match self
            .runtime
            .block_on(wallet.estimate_gas(&tx).into_future())
        {
            Ok(gas) => gas,
            Err(error) => {
                let error = ChainError::from(error);
                return match e2e::revert_data(&error) {
                    Some(data) => Err(Failure::Reverted(describe_revert(&data))),
                    None => Err(backend(error)),
                };
            }
        };
        let tx = tx.with_gas_limit(estimate + estimate / 2);
        match self.runtime.block_on(e2e::send_tx(wallet, tx)) {
            Ok(receipt) => {
                self.gas_spent += e2e::gas_cost(&receipt);
                Ok(receipt)
            }
            Err(ChainError::Reverted(receipt)) => {
                self.gas_spent += e2e::gas_cost(&receipt);
                Err(Failure::Reverted(format!(
                    "transaction {} reverted on chain (status 0, gas used {})",
                    receipt.transaction_hash, receipt.gas_used
                )))
            }
            Err(error) => match e2e::revert_data(&error) {
                Some(data) => Err(Failure::Reverted(describe_revert(&data))),
                None => Err(backend(error)),
            },
        }
    }

    fn call<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        call: C,
    ) -> Outcome<TransactionReceipt> {
        self.transact(from, to, value, call.abi_encode())
    }

    fn view<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
    ) -> Outcome<Result<C::Return, String>> {
        self.runtime.block_on(view(&self.reader, to, from, &call))
    }
}

mod calls;

#[cfg(test)]
mod tests;
