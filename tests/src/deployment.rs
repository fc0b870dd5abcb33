//! The deployment command's library: LedgerManager, InferenceServing and
//! FineTuningServing from the artifacts of `cargo xtask build`, wired to each
//! other, each program created, activated and configured in one transaction.
//! The command line is [`cli`] (`tests/src/bin/deploy.rs`,
//! `scripts/deploy.sh`).
//!
//! # A plan, then exactly its transactions
//!
//! [`plan`] turns the [`Artifacts`], the [`Settings`], the sender and its
//! first nonce into a [`Plan`]: the ordered transactions, each with its
//! target (`None`: a contract creation), value and data, what it deploys
//! and where. A dry run prints it; a deployment ([`survey`] the chain,
//! [`plan`], [`execute`]; or [`deploy()`] for the three) sends exactly those
//! transactions and checks every predicted address.
//!
//! # One transaction per program, no window
//!
//! A Stylus program must be *activated* (`ArbWasm.activateProgram`,
//! precompile `0x71`, paying a data fee) before it can run. Each program is
//! therefore created through the chain's StylusDeployer
//! ([`stylus_deployer`], at its canonical address; installed from
//! `../shared/vendor/stylus-deployer` on a local node), which creates it,
//! activates it with the transaction's value (the data fee ArbWasm quotes
//! plus [`FEE_BUMP_PERCENT`] %, as cargo stylus does; the rest comes back)
//! and runs its `#[constructor]` in one transaction, and reverts as a whole
//! if any step fails. So no program is ever on chain unconfigured
//! (reference defect 12: anyone could call the reference's `initialize`
//! first) or inactive. A program whose code hash the chain has already
//! activated (the same build deployed before) is not activated again.
//!
//! # Order and addresses
//!
//! As [`deploy::deploy_serving`] (the end-to-end tests' deployment), one
//! StylusDeployer transaction each, from consecutive nonces:
//! InferenceServing's views program; InferenceServing (constructor
//! `(lockTime, ledger, owner, views)`); FineTuningServing's views program;
//! FineTuningServing (`(lockTime, ledger, owner, penaltyPercentage,
//! views)`); LedgerManager (`(inference, fineTuning, owner)`). The
//! StylusDeployer's k-th creation lands at `create_address(deployer, k)`,
//! so every address is known before the first transaction is sent, as long
//! as nobody else deploys through it meanwhile (checked before and after).
//! The views programs run only by delegatecall on their main program's
//! storage and have nothing to configure.
//!
//! # On arbos-anvil
//!
//! arbos-anvil has the ArbWasm precompile (`stylusVersion` 2,
//! `codehashVersion`, `programVersion`, `activateProgram`); it quotes a data
//! fee of 0 and reimburses any value sent with an activation to the caller,
//! as Nitro does. It runs a program nobody activated (it compiles it on the
//! first call, even with `--stylus-disable-auto-activate`) but records no
//! activation: `programVersion` answers `ProgramNotActivated` until
//! `activateProgram` is called. The end-to-end test (`tests/e2e_deploy.rs`)
//! therefore proves that the deployment activates every program, that the
//! value comes back, and that re-activating a code hash is refused
//! (`ProgramUpToDate`); that a real chain refuses to call a program left
//! inactive is Nitro's rule, which this node does not enforce.
//!
//! # Behind beacon proxies
//!
//! With [`Artifacts::proxies`] (the command's `--proxies`), each contract
//! is deployed as [`crate::upgrade`] describes: its implementation (the
//! main program, created, activated and initialized with the contract's
//! arguments so that nobody else can initialize it), its beacon (the EVM
//! beacon of [`upgrade::beacon_initcode`], `(implementation, owner)` in
//! its creation code) and its proxy (the EVM beacon proxy of
//! [`upgrade::proxy_initcode`], its views program written by its creation
//! code; then `initialize` through the proxy), eleven transactions in all;
//! beacons and proxies are EVM code, nothing to activate. The contracts
//! know each other by their proxies' addresses; the owner upgrades a
//! contract with its beacon's `upgradeTo` ([`upgrade::upgrade`]).
//!
//! ```no_run
//! # async fn example(wallet: &serving_harness::chain::WalletProvider) {
//! use serving_harness::deployment::{self, Artifacts, Settings};
//! use alloy::primitives::{Address, U256};
//! let artifacts = Artifacts::load("target/stylus".as_ref()).unwrap();
//! let settings = Settings {
//!     owner: Address::repeat_byte(1),
//!     lock_time: U256::from(86_400u64),
//!     penalty_percentage: U256::from(30u64),
//! };
//! let deployed = deployment::deploy(wallet, &artifacts, &settings).await.unwrap();
//! println!("{}", deployed.plan.contracts);
//! # }
//! ```

pub mod cli;
mod onchain;
mod plan;
pub mod stylus_deployer;

use std::{
    fmt,
    path::{Path, PathBuf},
};

use alloy::primitives::{address, Address, Bytes, B256, U256};
pub use onchain::{activation, deploy, execute, survey, Deployment, Survey};
pub use plan::{activate, configure, plan, Plan};
use serving_scripts::evm;
pub use serving_scripts::evm::{deployer_code, CallTarget, EmbeddedCall};
use stylus_deployer::STYLUS_DEPLOYER;

use crate::deploy;

alloy::sol! {
    /// The ArbWasm precompile (`0x71`): activation of Stylus programs.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function programVersion(address program) external view returns (uint16 version);
        function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
        function programMemoryFootprint(address program) external view returns (uint16 footprint);

        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }
}

alloy::sol! {
    /// The ArbWasmCache precompile (`0x72`): the chain's cache of Stylus
    /// programs, managed by chain owners and cache managers.
    #[sol(rpc)]
    interface ArbWasmCache {
        function cacheProgram(address program) external;
        function codehashIsCached(bytes32 codehash) external view returns (bool);
    }

    /// The ArbDebug precompile (`0xff`) of development chains.
    #[sol(rpc)]
    interface ArbDebug {
        function becomeChainOwner() external;
    }
}

/// The address of the ArbWasm precompile.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
/// The address of the ArbWasmCache precompile.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");
/// The address of the ArbDebug precompile (development chains only).
pub const ARB_DEBUG: Address = address!("00000000000000000000000000000000000000ff");

/// Puts `programs` in the chain's Stylus cache, as a chain owner or cache
/// manager does on a public chain (CacheManager bids): `wallet`'s account
/// becomes a chain owner through ArbDebug, which development nodes such as
/// arbos-anvil have, and calls `ArbWasmCache.cacheProgram` for each. A
/// cached program pays its cached initialization gas
/// (`ArbWasm.programInitGas`'s `gasWhenCached`) at every entry.
///
/// # Errors
///
/// [`ChainError`](crate::chain::ChainError) when a transaction fails (no
/// ArbDebug: not a development chain; a program that is not activated).
pub async fn cache_programs(
    wallet: &crate::chain::WalletProvider,
    programs: &[Address],
) -> Result<(), crate::chain::ChainError> {
    let debug = ArbDebug::new(ARB_DEBUG, wallet);
    crate::e2e::send(wallet, debug.becomeChainOwner()).await?;
    let cache = ArbWasmCache::new(ARB_WASM_CACHE, wallet);
    for &program in programs {
        crate::e2e::send(wallet, cache.cacheProgram(program)).await?;
    }
    Ok(())
}

/// How much more than ArbWasm's data fee quote a deployment sends (the data
/// fee follows demand and may rise before the transaction lands; the excess
/// comes back). cargo stylus's default bump.
pub const FEE_BUMP_PERCENT: u64 = 20;

/// What can go wrong in a deployment; [`fmt::Display`] gives one line for
/// each (see [`DeployError::one_line`]).
#[derive(Debug)]
pub enum DeployError {
    /// The command line is wrong (the message says how).
    Usage(String),
    /// The key file is missing, unreadable or not a private key.
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (never its content).
        reason: String,
    },
    /// A build artifact is missing or malformed.
    Artifact {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint did not answer.
    Unreachable(String),
    /// The endpoint answered but is not a Stylus chain (no ArbWasm).
    NotStylus(String),
    /// A JSON-RPC request failed after the endpoint had answered.
    Rpc(String),
    /// The sender's nonce is not the plan's first nonce (another
    /// transaction was sent in between): nothing was sent.
    NonceMoved {
        /// The plan's first nonce.
        planned: u64,
        /// The account's nonce.
        found: u64,
    },
    /// The chain has no StylusDeployer at its canonical address.
    NoStylusDeployer,
    /// The StylusDeployer's nonce is not the plan's (another deployment
    /// went through it in between): nothing was sent.
    DeployerNonceMoved {
        /// The plan's.
        planned: u64,
        /// The StylusDeployer's.
        found: u64,
    },
    /// The wallet's account is not the plan's sender.
    WrongSender {
        /// The plan's sender.
        planned: Address,
        /// The wallet's account.
        wallet: Address,
    },
    /// A transaction of the plan failed or deployed something unexpected;
    /// the transactions before it stay on chain.
    Step {
        /// 1-based position in the plan.
        index: usize,
        /// What the step deploys.
        label: String,
        /// What went wrong.
        reason: String,
    },
    /// Writing the output failed.
    Output(String),
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) => write!(f, "{message} (see --help)"),
            Self::KeyFile { path, reason } => write!(f, "key file {}: {reason}", path.display()),
            Self::Artifact { path, reason } => write!(f, "artifact {}: {reason}", path.display()),
            Self::Unreachable(reason) => write!(f, "the endpoint does not answer: {reason}"),
            Self::NotStylus(reason) => write!(f, "not a Stylus chain: {reason}"),
            Self::Rpc(reason) => write!(f, "JSON-RPC request failed: {reason}"),
            Self::NonceMoved { planned, found } => write!(
                f,
                "the sender's nonce is {found}, the plan starts at {planned}: nothing was sent"
            ),
            Self::NoStylusDeployer => write!(
                f,
                "no StylusDeployer at {STYLUS_DEPLOYER} on this chain (every Arbitrum chain has \
                 it; on a local node, --local installs it)"
            ),
            Self::DeployerNonceMoved { planned, found } => write!(
                f,
                "the StylusDeployer's nonce is {found}, the plan's addresses follow from \
                 {planned} (another deployment went through it): nothing was sent, run again"
            ),
            Self::WrongSender { planned, wallet } => write!(
                f,
                "the plan's sender is {planned} but the key is {wallet}: nothing was sent"
            ),
            Self::Step {
                index,
                label,
                reason,
            } => write!(
                f,
                "transaction {index} ({label}) failed: {reason}; the transactions before it \
                 stay on chain, a new run deploys a fresh set"
            ),
            Self::Output(reason) => write!(f, "cannot write the output: {reason}"),
        }
    }
}

impl std::error::Error for DeployError {}

impl DeployError {
    /// The message on one line (a node's error text may span several).
    pub fn one_line(&self) -> String {
        self.to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One Stylus program: its artifact name and the init code of `cargo xtask
/// build` (which returns the stored code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The artifact name, e.g. `inference-serving-views`.
    pub name: String,
    /// The init code.
    pub initcode: Bytes,
}

impl Program {
    /// A program from its init code, checked to be `cargo xtask build`'s:
    /// the 43-byte prelude returning exactly the rest, which is Stylus code
    /// (`0xEFF000` ‖ dictionary ‖ compressed wasm). The error is the reason.
    pub fn new(name: impl Into<String>, initcode: Vec<u8>) -> Result<Self, String> {
        let Some(code) = evm::initcode_code(&initcode) else {
            return Err("not the init code of `cargo xtask build` (rebuild it)".into());
        };
        // The prefix `0xEFF000` of stored Stylus code (then a dictionary
        // byte and the compressed wasm).
        if !code.starts_with(&serving_scripts::CODE_PREFIX[..3]) {
            return Err("its code is not Stylus code (no 0xEFF000 prefix)".into());
        }
        Ok(Self {
            name: name.into(),
            initcode: initcode.into(),
        })
    }

    /// Reads `<dir>/<name>.initcode` (see [`Program::new`]).
    pub fn load(dir: &Path, name: &str) -> Result<Self, DeployError> {
        let path = dir.join(format!("{name}.initcode"));
        let artifact = |reason: String| DeployError::Artifact {
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => artifact(
                "not found: run `cargo xtask build` first (or give --artifacts DIR)".into(),
            ),
            _ => artifact(e.to_string()),
        })?;
        Self::new(name, bytes).map_err(artifact)
    }

    /// The code the chain stores (what the init code returns).
    pub fn code(&self) -> &[u8] {
        &self.initcode[evm::CODE_OFFSET..]
    }

    /// keccak256 of the stored code: what ArbWasm activates and
    /// `EXTCODEHASH` returns.
    pub fn code_hash(&self) -> B256 {
        alloy::primitives::keccak256(self.code())
    }
}

/// The programs of a deployment, as `cargo xtask build` writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifacts {
    /// LedgerManager.
    pub ledger: Program,
    /// InferenceServing's main program.
    pub inference: Program,
    /// InferenceServing's views program.
    pub inference_views: Program,
    /// FineTuningServing's main program.
    pub fine_tuning: Program,
    /// FineTuningServing's views program.
    pub fine_tuning_views: Program,
    /// Whether every contract goes behind a beacon proxy (see
    /// [`crate::upgrade`]; beacon and proxy are EVM code); otherwise the
    /// contracts are the main programs.
    pub proxies: bool,
}

impl Artifacts {
    /// Reads `<dir>/<name>.initcode` of the five programs (`dir` is usually
    /// `target/stylus`); no proxies.
    pub fn load(dir: &Path) -> Result<Self, DeployError> {
        Ok(Self {
            ledger: Program::load(dir, deploy::LEDGER_ARTIFACT)?,
            inference: Program::load(dir, deploy::INFERENCE_ARTIFACT)?,
            inference_views: Program::load(dir, deploy::INFERENCE_VIEWS_ARTIFACT)?,
            fine_tuning: Program::load(dir, deploy::FINE_TUNING_ARTIFACT)?,
            fine_tuning_views: Program::load(dir, deploy::FINE_TUNING_VIEWS_ARTIFACT)?,
            proxies: false,
        })
    }

    /// The same deployed behind beacon proxies.
    pub fn with_proxies(self) -> Self {
        Self {
            proxies: true,
            ..self
        }
    }

    /// Every program, in deployment order.
    pub fn programs(&self) -> Vec<&Program> {
        vec![
            &self.inference_views,
            &self.inference,
            &self.fine_tuning_views,
            &self.fine_tuning,
            &self.ledger,
        ]
    }
}

/// How the contracts are configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The owner of the three contracts.
    pub owner: Address,
    /// The refund lock time of both serving contracts, in seconds.
    pub lock_time: U256,
    /// FineTuningServing's penalty percentage (0 to 100).
    pub penalty_percentage: U256,
}

/// Whether a program must be activated by its creating transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// The chain has activated this code hash already: no activation step.
    Active,
    /// Activate, sending `value` (the quoted data fee plus
    /// [`FEE_BUMP_PERCENT`] %).
    Needed {
        /// The value of the creating transaction.
        value: U256,
    },
    /// No chain was asked (a dry run without an endpoint): activate,
    /// sending nothing, since the data fee is unknown.
    Unknown,
    /// EVM code (a beacon or a beacon proxy): nothing to activate.
    Evm,
}

impl Activation {
    /// The value to send when activating, or `None` when there is no
    /// activation step.
    pub fn value(self) -> Option<U256> {
        match self {
            Self::Active | Self::Evm => None,
            Self::Needed { value } => Some(value),
            Self::Unknown => Some(U256::ZERO),
        }
    }
}

/// One transaction of a [`Plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What it deploys, e.g. `InferenceServing`.
    pub label: String,
    /// The program's artifact name.
    pub program: String,
    /// The Stylus program's code hash; `None` for EVM code.
    pub code_hash: Option<B256>,
    /// Its nonce.
    pub nonce: u64,
    /// Its target; `None`: a contract creation.
    pub to: Option<Address>,
    /// Its value in wei.
    pub value: U256,
    /// Its data (for a creation, the deployer's init code).
    pub data: Bytes,
    /// The deployer the transaction creates (it keeps no code).
    pub deployer: Address,
    /// Where the program lands.
    pub address: Address,
    /// Whether the transaction activates the program, and with what value.
    pub activation: Activation,
    /// The calls the deployer makes after creating the program, in order
    /// (the activation first, if any).
    pub calls: Vec<EmbeddedCall>,
}

/// Where a deployment puts the contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contracts {
    /// LedgerManager.
    pub ledger: Address,
    /// InferenceServing (its main program: the contract's address).
    pub inference: Address,
    /// InferenceServing's views program.
    pub inference_views: Address,
    /// FineTuningServing (its main program: the contract's address).
    pub fine_tuning: Address,
    /// FineTuningServing's views program.
    pub fine_tuning_views: Address,
    /// The owner of the three (and of their beacons).
    pub owner: Address,
    /// Behind beacon proxies, each contract's implementation and beacon
    /// (the addresses above are then the proxies').
    pub proxies: Option<ProxyAddresses>,
}

/// A contract's implementation and beacon, behind a beacon proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beaconed {
    /// The main program the beacon names (created initialized, never used
    /// on its own storage).
    pub implementation: Address,
    /// The beacon (`upgradeTo` by the owner upgrades the contract).
    pub beacon: Address,
}

/// The implementations and beacons of a deployment behind proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyAddresses {
    /// LedgerManager's.
    pub ledger: Beaconed,
    /// InferenceServing's.
    pub inference: Beaconed,
    /// FineTuningServing's.
    pub fine_tuning: Beaconed,
}

impl fmt::Display for Contracts {
    /// One `name address` line each, the contracts first (behind proxies,
    /// their implementations and beacons last).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = vec![
            ("LedgerManager".to_string(), self.ledger),
            ("InferenceServing".into(), self.inference),
            ("FineTuningServing".into(), self.fine_tuning),
            ("InferenceServing views".into(), self.inference_views),
            ("FineTuningServing views".into(), self.fine_tuning_views),
            ("owner".into(), self.owner),
        ];
        if let Some(proxies) = &self.proxies {
            for (name, parts) in [
                ("LedgerManager", proxies.ledger),
                ("InferenceServing", proxies.inference),
                ("FineTuningServing", proxies.fine_tuning),
            ] {
                lines.push((format!("{name} implementation"), parts.implementation));
                lines.push((format!("{name} beacon"), parts.beacon));
            }
        }
        for (name, address) in lines {
            writeln!(f, "{name:<32} {address}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;
