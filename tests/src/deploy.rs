//! The end-to-end tests' deployment of the serving contracts: every program
//! created, activated and constructed in one transaction by the chain's
//! StylusDeployer ([`crate::deployment::stylus_deployer`], installed on the
//! local node when it has none), as `cargo stylus deploy` does, so no
//! program is ever on chain unconfigured (reference defect 12: the
//! reference's `initialize` can be called by the first stranger who
//! reaches it).
//!
//! LedgerManager and InferenceServing each need the other's address in
//! their constructors, so every address is planned ahead from the
//! StylusDeployer's nonce: its programs land at `create(STYLUS_DEPLOYER, n)`,
//! `n + 1`, ... in the order InferenceServing's views program,
//! InferenceServing, FineTuningServing's views program, FineTuningServing,
//! LedgerManager; each landing is checked against the plan.
//!
//! A split contract's views program (its main program's fallback
//! delegates every other selector to it) is deployed first, with nothing
//! to construct: it only ever runs on the main program's storage. The main
//! program's constructor takes its address.
//!
//! The EVM beacon proxies of [`crate::upgrade`] are created by the
//! project's one-shot EVM deployer ([`deploy_initialized`],
//! `serving_scripts::evm::deployer_code`), which also configures them
//! through the proxy in the creating transaction.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256},
    providers::{Provider, WalletProvider as _},
    rpc::types::{TransactionReceipt, TransactionRequest},
    sol_types::SolCall,
};

use crate::{
    bindings::{fine_tuning::FineTuningServing, InferenceServing, LedgerManager},
    chain::{self, ChainError, NodeOptions, WalletProvider},
    deployment::{
        self,
        stylus_deployer::{self, STYLUS_DEPLOYER},
    },
};

/// The node's code size limit for the end-to-end tests and the gas
/// benchmark: `None` keeps mainnet's 24,576 bytes (what the final tests must
/// use); `Some(bytes)` raises it while a contract is still too large.
///
/// **The one place to flip**: set it back to `None` once every artifact fits.
pub const E2E_CODE_SIZE_LIMIT: Option<usize> = None;

/// The node options of the end-to-end tests and the gas benchmark (see
/// [`E2E_CODE_SIZE_LIMIT`]).
pub fn node_options() -> NodeOptions {
    NodeOptions {
        code_size_limit: E2E_CODE_SIZE_LIMIT,
        ..NodeOptions::default()
    }
}

/// The artifact name of LedgerManager (`target/stylus/ledger-manager.initcode`).
pub const LEDGER_ARTIFACT: &str = "ledger-manager";
/// The artifact name of InferenceServing (its main program).
pub const INFERENCE_ARTIFACT: &str = "inference-serving";
/// The artifact name of InferenceServing's views program, when the contract
/// is split in two (see the module docs).
pub const INFERENCE_VIEWS_ARTIFACT: &str = "inference-serving-views";

/// The artifact name of FineTuningServing (its main program).
pub const FINE_TUNING_ARTIFACT: &str = "fine-tuning-serving";
/// The artifact name of FineTuningServing's views program.
pub const FINE_TUNING_VIEWS_ARTIFACT: &str = "fine-tuning-serving-views";

/// Artifact `name` as a program (see [`artifact`]).
///
/// # Panics
///
/// If it is missing, unreadable or not `cargo xtask build`'s init code.
pub fn program(name: &str) -> deployment::Program {
    deployment::Program::new(name, artifact(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Environment variable naming a directory to read the `<name>.initcode`
/// artifacts from instead of `target/stylus` (e.g. another build's output).
pub const ARTIFACTS_ENV: &str = "SERVING_ARTIFACTS";

/// The path of artifact `name`: `$SERVING_ARTIFACTS/<name>.initcode` when
/// that variable is set, else [`chain::artifact_path`] (`target/stylus`).
pub fn artifact_path(name: &str) -> std::path::PathBuf {
    match std::env::var_os(ARTIFACTS_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => std::path::PathBuf::from(dir).join(format!("{name}.initcode")),
        None => chain::artifact_path(name),
    }
}

/// The init code of artifact `name` (see [`artifact_path`]).
///
/// # Panics
///
/// If it is missing or unreadable, telling to run `cargo xtask build`.
pub fn artifact(name: &str) -> Vec<u8> {
    let path = artifact_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the Stylus artifact {} ({e}): run `cargo xtask build` first",
            path.display()
        )
    })
}

/// The address of the deployer contract created by `sender`'s transaction
/// with nonce `nonce`.
pub fn deployer_address(sender: Address, nonce: u64) -> Address {
    sender.create(nonce)
}

/// The address of the contract that the deployer sent by `sender` with
/// nonce `nonce` creates: the deployer's first CREATE (its nonce starts at
/// 1).
pub fn created_address(sender: Address, nonce: u64) -> Address {
    deployer_address(sender, nonce).create(1)
}

/// A contract created and initialized by one deployer transaction.
#[derive(Clone, Debug)]
pub struct Deployed {
    /// The new contract.
    pub address: Address,
    /// The deployer (no code; it only ran once).
    pub deployer: Address,
    /// The creation transaction's receipt.
    pub receipt: TransactionReceipt,
}

/// The transaction that creates the EVM contract `initcode` (a proxy, a
/// probe) with nonce `nonce` through the project's one-shot EVM deployer
/// ([`serving_scripts::evm::deployer_code`]), which then makes each of
/// `calls` on it; any failure reverts the whole transaction. Stylus
/// programs go through the StylusDeployer instead
/// ([`deployment::stylus_deployer`]).
pub fn deployer_tx(initcode: &[u8], calls: &[&[u8]], nonce: u64) -> TransactionRequest {
    let embedded: Vec<_> = calls
        .iter()
        .map(|data| {
            deployment::configure(Bytes::copy_from_slice(data), "configuration call".into())
        })
        .collect();
    TransactionRequest::default()
        .with_deploy_code(deployment::deployer_code(initcode, &embedded))
        .with_nonce(nonce)
}

/// Creates the EVM contract `initcode` and makes each of `calls` on it, in
/// one transaction from `wallet` (with `nonce`, or the account's next one):
/// see [`deployer_tx`]. The contract lands at [`created_address`].
///
/// # Errors
///
/// [`ChainError`] when the transaction fails (a failing call reverts it
/// with that call's revert data) or leaves no code at the address.
pub async fn deploy_initialized(
    wallet: &WalletProvider,
    initcode: &[u8],
    calls: &[&[u8]],
    nonce: Option<u64>,
) -> Result<Deployed, ChainError> {
    let sender = wallet.default_signer_address();
    let nonce = match nonce {
        Some(n) => n,
        None => wallet.get_transaction_count(sender).await?,
    };
    let tx = deployer_tx(initcode, calls, nonce);
    let receipt = crate::e2e::send_tx(wallet, tx).await?;
    let deployer = deployer_address(sender, nonce);
    let address = created_address(sender, nonce);
    if receipt.contract_address != Some(deployer) || wallet.get_code_at(address).await?.is_empty() {
        return Err(ChainError::NoContractAddress(Box::new(receipt)));
    }
    Ok(Deployed {
        address,
        deployer,
        receipt,
    })
}

/// How [`deploy_serving`] configures the contracts.
#[derive(Clone, Debug)]
pub struct ServingConfig {
    /// The refund lock time in seconds of both serving contracts.
    pub lock_time: U256,
    /// The owner of every contract; `None`: the deploying account.
    pub owner: Option<Address>,
    /// A FineTuningServing address to give the ledger instead of deploying
    /// one (zero: deploy ours when [`ServingConfig::deploy_fine_tuning`]
    /// holds and its artifacts exist, else none, and "fine-tuning" is then
    /// refused as a service type).
    pub fine_tuning: Address,
    /// Whether to deploy FineTuningServing when its artifacts exist and
    /// [`ServingConfig::fine_tuning`] is zero.
    pub deploy_fine_tuning: bool,
    /// FineTuningServing's penalty percentage (0 to 100).
    pub penalty_percentage: U256,
}

/// The penalty percentage of [`ServingConfig::default`].
pub const DEFAULT_PENALTY_PERCENTAGE: u64 = 30;

impl Default for ServingConfig {
    /// Lock time 60 s, owned by the deployer, FineTuningServing deployed
    /// when its artifacts exist, with a 30 % penalty.
    fn default() -> Self {
        Self {
            lock_time: U256::from(60u64),
            owner: None,
            fine_tuning: Address::ZERO,
            deploy_fine_tuning: true,
            penalty_percentage: U256::from(DEFAULT_PENALTY_PERCENTAGE),
        }
    }
}

impl ServingConfig {
    /// The same with another lock time (seconds).
    pub fn lock_time(mut self, secs: u64) -> Self {
        self.lock_time = U256::from(secs);
        self
    }

    /// The same with another penalty percentage for FineTuningServing.
    pub fn penalty_percentage(mut self, percentage: u64) -> Self {
        self.penalty_percentage = U256::from(percentage);
        self
    }

    /// The same without FineTuningServing: the ledger gets a zero
    /// fine-tuning address (unless [`ServingConfig::fine_tuning`] is set).
    pub fn without_fine_tuning(mut self) -> Self {
        self.deploy_fine_tuning = false;
        self
    }
}

/// LedgerManager, InferenceServing and (if deployed) FineTuningServing,
/// deployed and initialized.
#[derive(Clone, Debug)]
pub struct ServingDeployment {
    /// LedgerManager.
    pub ledger: Address,
    /// InferenceServing.
    pub inference: Address,
    /// InferenceServing's views program, if the contract is split.
    pub inference_views: Option<Address>,
    /// The owner of both.
    pub owner: Address,
    /// InferenceServing's lock time.
    pub lock_time: U256,
    /// The creation of the views program (sent first), if any.
    pub views_receipt: Option<TransactionReceipt>,
    /// The creation of InferenceServing.
    pub inference_receipt: TransactionReceipt,
    /// The creation of LedgerManager.
    pub ledger_receipt: TransactionReceipt,
    /// FineTuningServing, if deployed here.
    pub fine_tuning: Option<FineTuningDeployment>,
}

/// FineTuningServing as [`deploy_serving`] deployed it.
#[derive(Clone, Debug)]
pub struct FineTuningDeployment {
    /// FineTuningServing (its main program).
    pub address: Address,
    /// Its views program, if the contract is split.
    pub views: Option<Address>,
    /// Its penalty percentage.
    pub penalty_percentage: U256,
    /// The creation of the views program (sent first), if any.
    pub views_receipt: Option<TransactionReceipt>,
    /// The creation of FineTuningServing.
    pub receipt: TransactionReceipt,
}

impl ServingDeployment {
    /// The FineTuningServing address the ledger was given (zero: none).
    pub fn fine_tuning_address(&self) -> Address {
        self.fine_tuning
            .as_ref()
            .map_or(Address::ZERO, |f| f.address)
    }
}

/// `initialize(lockTime, ledger, owner)` of InferenceServing.
pub fn inference_initialize(lock_time: U256, ledger: Address, owner: Address) -> Bytes {
    InferenceServing::initializeCall {
        lockTime: lock_time,
        ledger,
        owner,
    }
    .abi_encode()
    .into()
}

/// `setViews(views)` of InferenceServing's main program.
pub fn inference_set_views(views: Address) -> Bytes {
    InferenceServing::setViewsCall { views }.abi_encode().into()
}

/// `initialize(lockTime, ledger, owner, penaltyPercentage)` of
/// FineTuningServing.
pub fn fine_tuning_initialize(
    lock_time: U256,
    ledger: Address,
    owner: Address,
    penalty_percentage: U256,
) -> Bytes {
    FineTuningServing::initializeCall {
        lockTime: lock_time,
        ledger,
        owner,
        penaltyPercentage: penalty_percentage,
    }
    .abi_encode()
    .into()
}

/// `initialize(inference, fineTuning, owner)` of LedgerManager.
pub fn ledger_initialize(inference: Address, fine_tuning: Address, owner: Address) -> Bytes {
    LedgerManager::initializeCall {
        inference,
        fineTuning: fine_tuning,
        owner,
    }
    .abi_encode()
    .into()
}

/// Deploys InferenceServing, FineTuningServing (when
/// [`ServingConfig::deploy_fine_tuning`] holds and
/// [`ServingConfig::fine_tuning`] is zero) and LedgerManager from the
/// artifacts of `cargo xtask build` (see [`artifact_path`]) through the
/// StylusDeployer, each program constructed with the others' addresses
/// (planned ahead), in the order of the module docs. Transactions from
/// `wallet`'s default signer.
///
/// # Errors
///
/// [`ChainError`] when a transaction fails (a failing constructor reverts
/// its transaction with `ContractInitializationError`) or a program lands
/// elsewhere than planned ([`ChainError::Moved`]).
///
/// # Panics
///
/// If an artifact is missing or malformed (run `cargo xtask build`).
pub async fn deploy_serving(
    wallet: &WalletProvider,
    config: &ServingConfig,
) -> Result<ServingDeployment, ChainError> {
    let sender = wallet.default_signer_address();
    let owner = config.owner.unwrap_or(sender);
    stylus_deployer::ensure_installed(wallet).await?;
    let first = stylus_deployer::nonce(wallet).await?;
    let at = |k: u64| STYLUS_DEPLOYER.create(first + k);

    let with_fine_tuning = config.deploy_fine_tuning && config.fine_tuning.is_zero();
    let (inference_views, inference) = (at(0), at(1));
    let (fine_tuning_views, fine_tuning_address) = if with_fine_tuning {
        (at(2), at(3))
    } else {
        (Address::ZERO, config.fine_tuning)
    };
    let ledger = at(if with_fine_tuning { 4 } else { 2 });

    let deploy = |artifact: &str, constructor: Bytes, at: Address| {
        let program = program(artifact);
        async move { stylus_deployer::deploy_at(wallet, &program, constructor, at).await }
    };
    let views_receipt = deploy(INFERENCE_VIEWS_ARTIFACT, Bytes::new(), inference_views).await?;
    let constructor =
        stylus_deployer::inference_constructor(config.lock_time, ledger, owner, inference_views);
    let inference_receipt = deploy(INFERENCE_ARTIFACT, constructor, inference).await?;
    let fine_tuning = if with_fine_tuning {
        let views_receipt =
            deploy(FINE_TUNING_VIEWS_ARTIFACT, Bytes::new(), fine_tuning_views).await?;
        let penalty = config.penalty_percentage;
        let constructor = stylus_deployer::fine_tuning_constructor(
            config.lock_time,
            ledger,
            owner,
            penalty,
            fine_tuning_views,
        );
        let receipt = deploy(FINE_TUNING_ARTIFACT, constructor, fine_tuning_address).await?;
        Some(FineTuningDeployment {
            address: fine_tuning_address,
            views: Some(fine_tuning_views),
            penalty_percentage: penalty,
            views_receipt: Some(views_receipt),
            receipt,
        })
    } else {
        None
    };
    let constructor = stylus_deployer::ledger_constructor(inference, fine_tuning_address, owner);
    let ledger_receipt = deploy(LEDGER_ARTIFACT, constructor, ledger).await?;
    Ok(ServingDeployment {
        ledger,
        inference,
        inference_views: Some(inference_views),
        owner,
        lock_time: config.lock_time,
        views_receipt: Some(views_receipt),
        inference_receipt,
        ledger_receipt,
        fine_tuning,
    })
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    #[test]
    fn create_addresses() {
        // The first contract of anvil's dev account 0, and that contract's
        // own first creation.
        let sender = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_eq!(
            deployer_address(sender, 0),
            address!("5FbDB2315678afecb367f032d93F642f64180aa3")
        );
        assert_eq!(
            created_address(sender, 0),
            deployer_address(sender, 0).create(1)
        );
    }
}
