//! Deploying the serving contracts behind beacon proxies, and upgrading
//! them.
//!
//! Each contract (LedgerManager, InferenceServing, FineTuningServing) is
//! three parts: its **implementation** (for a split contract, the main
//! program, plus its views program), a **beacon** (OpenZeppelin's
//! `UpgradeableBeacon` as EVM code, [`beacon_runtime`]) naming the
//! implementation, and a **proxy** at the address everybody uses,
//! which runs every call in the beacon's implementation by delegatecall.
//! The proxy holds the contract's state (the views program's address
//! included) and, for the ledger, all the value; implementations and
//! beacons hold none. The contracts are initialized with each other's
//! *proxy* addresses, so the ledger <-> serving checks (`msg.sender ==
//! ledger`) see proxies.
//!
//! The proxy is a 104-byte EVM contract (`serving_scripts::evm`'s
//! [`proxy_runtime`], with all the EVM code the project writes), the
//! equivalent of Solidity's `BeaconProxy`: the beacon is in its code (and,
//! for tools, in the ERC-1967 beacon slot); each call asks the beacon for
//! the implementation (`STATICCALL implementation()`) and `DELEGATECALL`s it
//! with the calldata, returning or reverting with exactly what it returned.
//! A split contract's proxy also routes the views program's transactions
//! ([`Kind::proxy_routes`]) straight to the views program its storage names,
//! skipping the beacon and the main program (docs/upgrades.md).
//!
//! A Stylus proxy does not work on arbos-anvil: a delegatecall made by a
//! Stylus program runs its target with `msg.value` 0, so `addLedger`
//! through it credits nothing while the proxy keeps the value (measured with openzeppelin-stylus's
//! `BeaconProxy` as a program, since removed; docs/upgrades.md). The EVM
//! proxy and beacon are also the cheaper pair: a call through them enters
//! one Stylus program, the implementation, where a Stylus beacon made it
//! pay a second program's initialization (about 30k gas a proxy,
//! docs/upgrades.md).
//!
//! Nothing is left unconfigured between transactions (no initialization
//! window): every creating transaction also configures what it creates.
//! The programs go through the chain's StylusDeployer (created, activated
//! and constructed in one transaction, see
//! [`crate::deployment::stylus_deployer`]), the beacon and the proxy
//! through the project's one-shot EVM deployer ([`deploy_initialized`]):
//!
//! 1. the views program of a split contract, as it is (it only ever runs on
//!    the proxy's storage);
//! 2. the implementation, constructed with the proxy's configuration (owner:
//!    the owner, the others: the proxies) so that nobody can claim it; it is
//!    never used on its own storage;
//! 3. the beacon, created with `(implementation, owner)` in its creation
//!    code ([`beacon_initcode`]);
//! 4. the proxy, created for the beacon (its creation code also writes the
//!    views program of a split contract), then, through the proxy,
//!    `initialize(...)`.
//!
//! In the order InferenceServing, FineTuningServing, LedgerManager, with
//! consecutive nonces, so that every proxy address is known ahead (the
//! ledger and InferenceServing need each other's).
//!
//! [`upgrade`] replaces a contract's programs: it deploys the new views
//! program and implementation (constructed as in step 2), has the beacon's
//! owner point the proxy at the new views (`setViews`, through the proxy:
//! the contract lets only its beacon's owner change the code that runs),
//! then call `upgradeTo(implementation)` on the beacon. The
//! proxy's address, storage and balance do not change. Between the two
//! transactions the old main program runs with the new views, so a new
//! views program must serve the old main program's storage too (it is the
//! same storage).

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256},
    providers::{Provider, WalletProvider as _},
    rpc::types::{TransactionReceipt, TransactionRequest},
    sol_types::SolCall,
};
pub use serving_scripts::evm::{
    beacon_initcode, beacon_runtime, proxy_initcode, proxy_runtime, BEACON_SLOT,
};

use crate::{
    chain::{ChainError, WalletProvider},
    deploy::{
        self, artifact_path, created_address, deploy_initialized, FineTuningDeployment,
        ServingConfig, ServingDeployment,
    },
    deployment::{stylus_deployer, Program},
    e2e::send_tx,
};

alloy::sol! {
    /// The beacon of one kind of contract ([`beacon_runtime`],
    /// OpenZeppelin's `UpgradeableBeacon`).
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    contract UpgradeableBeacon {
        /// The implementation every proxy of this beacon runs.
        function implementation() external view returns (address);
        /// Points the proxies at `newImplementation` (owner only).
        function upgradeTo(address newImplementation) external;
        /// Who may upgrade.
        function owner() external view returns (address);
        /// Hands the beacon over (owner only).
        function transferOwnership(address newOwner) external;
        /// Leaves the beacon without owner.
        function renounceOwnership() external;

        /// The implementation changed.
        event Upgraded(address indexed implementation);
        /// The owner changed.
        event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

        /// Not a contract.
        error BeaconInvalidImplementation(address implementation);
        /// Not the owner.
        error OwnableUnauthorizedAccount(address account);
        /// A zero owner.
        error OwnableInvalidOwner(address owner);
    }

    /// What a proxy itself emits and raises; every other call is the
    /// implementation's. The EVM proxy ([`proxy_initcode`]) emits
    /// `BeaconUpgraded` and raises `ERC1967InvalidBeacon` when created.
    #[derive(Debug, PartialEq, Eq)]
    contract BeaconProxy {
        /// The proxy was pointed at `beacon` (when created).
        event BeaconUpgraded(address indexed beacon);

        /// The beacon is not a contract.
        error ERC1967InvalidBeacon(address beacon);
    }
}

/// A contract of the deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// LedgerManager.
    Ledger,
    /// InferenceServing (main and views programs).
    Inference,
    /// FineTuningServing (main and views programs).
    FineTuning,
}

impl Kind {
    /// The selectors the contract's proxy sends straight to its views
    /// program (the library crates' `PROXY_ROUTES`; none for the ledger).
    pub fn proxy_routes(self) -> &'static [[u8; 4]] {
        match self {
            Kind::Ledger => &[],
            Kind::Inference => &inference_serving::PROXY_ROUTES,
            Kind::FineTuning => &fine_tuning_serving::PROXY_ROUTES,
        }
    }
}

/// One contract's programs.
#[derive(Clone, Debug)]
pub struct Programs {
    /// The main program: the beacon's implementation.
    pub main: Program,
    /// The views program of a split contract.
    pub views: Option<Program>,
}

impl Programs {
    /// The programs of `kind` built by `cargo xtask build` (see
    /// [`deploy::artifact_path`]); the views program when its artifact
    /// exists.
    ///
    /// # Panics
    ///
    /// If the main program's artifact is missing.
    pub fn artifacts(kind: Kind) -> Self {
        let (main, views) = match kind {
            Kind::Ledger => (deploy::LEDGER_ARTIFACT, None),
            Kind::Inference => (
                deploy::INFERENCE_ARTIFACT,
                Some(deploy::INFERENCE_VIEWS_ARTIFACT),
            ),
            Kind::FineTuning => (
                deploy::FINE_TUNING_ARTIFACT,
                Some(deploy::FINE_TUNING_VIEWS_ARTIFACT),
            ),
        };
        Self {
            main: deploy::program(main),
            views: views
                .filter(|name| artifact_path(name).exists())
                .map(deploy::program),
        }
    }
}

/// Everything [`deploy_programs_with_proxies`] deploys.
#[derive(Clone, Debug)]
pub struct ServingPrograms {
    /// LedgerManager.
    pub ledger: Programs,
    /// InferenceServing.
    pub inference: Programs,
    /// FineTuningServing, or `None`: not deployed (the ledger gets
    /// [`ServingConfig::fine_tuning`]).
    pub fine_tuning: Option<Programs>,
}

impl ServingPrograms {
    /// The artifacts of `cargo xtask build`; FineTuningServing's when
    /// `config` deploys it ([`ServingConfig::deploy_fine_tuning`], no
    /// [`ServingConfig::fine_tuning`] address) and they exist.
    ///
    /// # Panics
    ///
    /// If a required artifact is missing (run `cargo xtask build`).
    pub fn artifacts(config: &ServingConfig) -> Self {
        let fine_tuning = config.deploy_fine_tuning
            && config.fine_tuning.is_zero()
            && artifact_path(deploy::FINE_TUNING_ARTIFACT).exists()
            && artifact_path(deploy::FINE_TUNING_VIEWS_ARTIFACT).exists();
        Self {
            ledger: Programs::artifacts(Kind::Ledger),
            inference: Programs::artifacts(Kind::Inference),
            fine_tuning: fine_tuning.then(|| Programs::artifacts(Kind::FineTuning)),
        }
    }
}

/// One contract behind its proxy.
#[derive(Clone, Debug)]
pub struct Proxied {
    /// The proxy: the contract's address, state and (the ledger's) value.
    pub proxy: Address,
    /// The beacon naming the implementation.
    pub beacon: Address,
    /// The implementation (main program) the beacon names.
    pub implementation: Address,
    /// The views program the proxy's storage names, for a split contract.
    pub views: Option<Address>,
    /// The creation of the proxy, with its initialization.
    pub receipt: TransactionReceipt,
}

/// LedgerManager, InferenceServing and (if deployed) FineTuningServing,
/// each behind a beacon proxy.
#[derive(Clone, Debug)]
pub struct ProxiedDeployment {
    /// The owner of every contract and beacon.
    pub owner: Address,
    /// The serving contracts' lock time.
    pub lock_time: U256,
    /// FineTuningServing's penalty percentage.
    pub penalty_percentage: U256,
    /// LedgerManager.
    pub ledger: Proxied,
    /// InferenceServing.
    pub inference: Proxied,
    /// FineTuningServing, if deployed here.
    pub fine_tuning: Option<Proxied>,
    /// The FineTuningServing address the ledger was given: the proxy, or
    /// [`ServingConfig::fine_tuning`] (zero: none).
    pub fine_tuning_address: Address,
}

impl ProxiedDeployment {
    /// Contract `kind`, if deployed.
    pub fn get(&self, kind: Kind) -> Option<&Proxied> {
        match kind {
            Kind::Ledger => Some(&self.ledger),
            Kind::Inference => Some(&self.inference),
            Kind::FineTuning => self.fine_tuning.as_ref(),
        }
    }

    fn get_mut(&mut self, kind: Kind) -> Option<&mut Proxied> {
        match kind {
            Kind::Ledger => Some(&mut self.ledger),
            Kind::Inference => Some(&mut self.inference),
            Kind::FineTuning => self.fine_tuning.as_mut(),
        }
    }

    /// The deployment as its users see it, at the proxies' addresses (what
    /// `e2e::Serving` talks to).
    pub fn serving(&self) -> ServingDeployment {
        ServingDeployment {
            ledger: self.ledger.proxy,
            inference: self.inference.proxy,
            inference_views: self.inference.views,
            owner: self.owner,
            lock_time: self.lock_time,
            views_receipt: None,
            inference_receipt: self.inference.receipt.clone(),
            ledger_receipt: self.ledger.receipt.clone(),
            fine_tuning: self.fine_tuning.as_ref().map(|f| FineTuningDeployment {
                address: f.proxy,
                views: f.views,
                penalty_percentage: self.penalty_percentage,
                views_receipt: None,
                receipt: f.receipt.clone(),
            }),
        }
    }

    /// `initialize(...)` of contract `kind`, with the proxies' addresses.
    pub fn initialize(&self, kind: Kind) -> Bytes {
        self.addresses().initialize(kind)
    }

    fn addresses(&self) -> Addresses {
        Addresses {
            ledger: self.ledger.proxy,
            inference: self.inference.proxy,
            fine_tuning: self.fine_tuning_address,
            owner: self.owner,
            lock_time: self.lock_time,
            penalty_percentage: self.penalty_percentage,
        }
    }
}

/// What the contracts are initialized with.
struct Addresses {
    ledger: Address,
    inference: Address,
    fine_tuning: Address,
    owner: Address,
    lock_time: U256,
    penalty_percentage: U256,
}

impl Addresses {
    /// The `initialize` call of contract `kind`, which its proxy's creation
    /// makes.
    fn initialize(&self, kind: Kind) -> Bytes {
        let (ledger, owner, lock) = (self.ledger, self.owner, self.lock_time);
        match kind {
            Kind::Ledger => deploy::ledger_initialize(self.inference, self.fine_tuning, owner),
            Kind::Inference => deploy::inference_initialize(lock, ledger, owner),
            Kind::FineTuning => {
                deploy::fine_tuning_initialize(lock, ledger, owner, self.penalty_percentage)
            }
        }
    }

    /// The constructor of contract `kind`'s implementation with `views`
    /// (ignored by LedgerManager): the proxy's configuration, so that
    /// nobody can claim the implementation.
    fn constructor(&self, kind: Kind, views: Address) -> Bytes {
        let (ledger, owner, lock) = (self.ledger, self.owner, self.lock_time);
        let penalty = self.penalty_percentage;
        match kind {
            Kind::Ledger => {
                stylus_deployer::ledger_constructor(self.inference, self.fine_tuning, owner)
            }
            Kind::Inference => stylus_deployer::inference_constructor(lock, ledger, owner, views),
            Kind::FineTuning => {
                stylus_deployer::fine_tuning_constructor(lock, ledger, owner, penalty, views)
            }
        }
    }
}

/// `setViews(views)` (the same selector in both serving contracts).
fn set_views(views: Address) -> Bytes {
    deploy::inference_set_views(views)
}

/// How many transactions [`deploy_proxied`] sends for `programs`.
fn transactions(programs: &Programs) -> u64 {
    3 + u64::from(programs.views.is_some())
}

/// Deploys `programs` through the StylusDeployer: the views program (if
/// any) as it is, then the main program constructed by `constructor` (given
/// the views program's address, or zero); advances `nonce` past both
/// transactions. Returns (main program, views program).
async fn deploy_implementation(
    wallet: &WalletProvider,
    nonce: &mut u64,
    programs: &Programs,
    constructor: impl Fn(Address) -> Bytes,
) -> Result<(Address, Option<Address>), ChainError> {
    let views = match &programs.views {
        Some(views) => {
            let (views, _) = stylus_deployer::deploy(wallet, views, Bytes::new()).await?;
            *nonce += 1;
            Some(views)
        }
        None => None,
    };
    let init_data = constructor(views.unwrap_or_default());
    let (main, _) = stylus_deployer::deploy(wallet, &programs.main, init_data).await?;
    *nonce += 1;
    Ok((main, views))
}

/// Deploys one contract behind a proxy (the module docs' steps 1 to 4)
/// with nonces from `nonce`, and advances it.
async fn deploy_proxied(
    wallet: &WalletProvider,
    nonce: &mut u64,
    kind: Kind,
    programs: &Programs,
    owner: Address,
    initialize: &[u8],
    constructor: impl Fn(Address) -> Bytes,
) -> Result<Proxied, ChainError> {
    let (implementation, views) =
        deploy_implementation(wallet, nonce, programs, constructor).await?;
    let beacon = deploy_initialized(
        wallet,
        &beacon_initcode(implementation, owner),
        &[],
        Some(*nonce),
    )
    .await?
    .address;
    *nonce += 1;
    let initcode = proxy_initcode(beacon, views.unwrap_or_default(), kind.proxy_routes());
    let proxy = deploy_initialized(wallet, &initcode, &[initialize], Some(*nonce)).await?;
    *nonce += 1;
    Ok(Proxied {
        proxy: proxy.address,
        beacon,
        implementation,
        views,
        receipt: proxy.receipt,
    })
}

/// Deploys LedgerManager, InferenceServing and FineTuningServing (when
/// `config` deploys it and its artifacts exist) each behind a beacon proxy,
/// from the artifacts of `cargo xtask build` ([`ServingPrograms::artifacts`]):
/// see [`deploy_programs_with_proxies`].
///
/// # Panics
///
/// If an artifact is missing (run `cargo xtask build`).
pub async fn deploy_serving_with_proxies(
    wallet: &WalletProvider,
    config: &ServingConfig,
) -> Result<ProxiedDeployment, ChainError> {
    deploy_programs_with_proxies(wallet, &ServingPrograms::artifacts(config), config).await
}

/// Deploys `programs`, each contract behind a beacon proxy, as the module
/// docs describe: transactions from `wallet`'s default signer with
/// consecutive nonces, every one configuring what it creates. The owner
/// of every contract and beacon is [`ServingConfig::owner`] (default: the
/// sender); the contracts know each other by their proxies' addresses.
///
/// Errors: those of [`deploy_initialized`] (a failing creation or
/// initialization reverts its whole transaction, with its revert data).
pub async fn deploy_programs_with_proxies(
    wallet: &WalletProvider,
    programs: &ServingPrograms,
    config: &ServingConfig,
) -> Result<ProxiedDeployment, ChainError> {
    let sender = wallet.default_signer_address();
    let owner = config.owner.unwrap_or(sender);
    let first = wallet.get_transaction_count(sender).await?;
    stylus_deployer::ensure_installed(wallet).await?;

    // Each proxy is the last transaction of its contract.
    let inference_end = first + transactions(&programs.inference);
    let fine_tuning_end = programs
        .fine_tuning
        .as_ref()
        .map(|p| inference_end + transactions(p));
    let ledger_end = fine_tuning_end.unwrap_or(inference_end) + transactions(&programs.ledger);
    let addresses = Addresses {
        ledger: created_address(sender, ledger_end - 1),
        inference: created_address(sender, inference_end - 1),
        fine_tuning: fine_tuning_end
            .map_or(config.fine_tuning, |end| created_address(sender, end - 1)),
        owner,
        lock_time: config.lock_time,
        penalty_percentage: config.penalty_percentage,
    };

    let mut nonce = first;
    let mut deploy = async |program, kind| {
        let initialize = addresses.initialize(kind);
        let constructor = |views| addresses.constructor(kind, views);
        deploy_proxied(
            wallet,
            &mut nonce,
            kind,
            program,
            owner,
            &initialize,
            constructor,
        )
        .await
    };
    let inference = deploy(&programs.inference, Kind::Inference).await?;
    debug_assert_eq!(inference.proxy, addresses.inference);
    let fine_tuning = match &programs.fine_tuning {
        Some(fine_tuning) => Some(deploy(fine_tuning, Kind::FineTuning).await?),
        None => None,
    };
    let ledger = deploy(&programs.ledger, Kind::Ledger).await?;
    debug_assert_eq!((ledger.proxy, nonce), (addresses.ledger, ledger_end));
    Ok(ProxiedDeployment {
        owner,
        lock_time: config.lock_time,
        penalty_percentage: config.penalty_percentage,
        ledger,
        inference,
        fine_tuning,
        fine_tuning_address: addresses.fine_tuning,
    })
}

/// Why [`upgrade`] failed.
#[derive(Debug)]
pub enum UpgradeError {
    /// The deployment has no such contract (FineTuningServing not
    /// deployed).
    NotDeployed(Kind),
    /// A transaction failed.
    Chain(ChainError),
}

impl std::fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotDeployed(kind) => write!(f, "no {kind:?} contract in this deployment"),
            Self::Chain(e) => write!(f, "upgrade failed: {e}"),
        }
    }
}

impl std::error::Error for UpgradeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NotDeployed(_) => None,
            Self::Chain(e) => Some(e),
        }
    }
}

impl From<ChainError> for UpgradeError {
    fn from(e: ChainError) -> Self {
        Self::Chain(e)
    }
}

/// What [`upgrade`] deployed and sent.
#[derive(Clone, Debug)]
pub struct Upgrade {
    /// The new implementation (main program).
    pub implementation: Address,
    /// The new views program, for a split contract.
    pub views: Option<Address>,
    /// `setViews(views)` through the proxy, for a split contract.
    pub set_views_receipt: Option<TransactionReceipt>,
    /// `upgradeTo(implementation)` on the beacon.
    pub upgrade_receipt: TransactionReceipt,
}

/// `upgradeTo(implementation)` on `beacon`, sent by `wallet` (only the
/// beacon's owner may: `OwnableUnauthorizedAccount(sender)` otherwise;
/// `BeaconInvalidImplementation(implementation)` for an address without
/// code).
pub async fn upgrade_to(
    wallet: &WalletProvider,
    beacon: Address,
    implementation: Address,
) -> Result<TransactionReceipt, ChainError> {
    let call = UpgradeableBeacon::upgradeToCall {
        newImplementation: implementation,
    };
    let tx = TransactionRequest::default()
        .with_to(beacon)
        .with_input(call.abi_encode());
    send_tx(wallet, tx).await
}

/// Upgrades contract `kind` of `deployment` to `programs`, sent by
/// `wallet`, which must own the contract's beacon: deploys the
/// new views program (if any) and the new main program (initialized at
/// creation, like every implementation), then `setViews(views)` through the
/// proxy, then `upgradeTo(main)` on the beacon; updates `deployment`. The
/// proxy keeps its address, state and balance.
///
/// Errors: [`UpgradeError::NotDeployed`] when the deployment has no
/// contract `kind`; [`UpgradeError::Chain`] when a step fails, e.g.
/// [`ChainError::Rpc`] carrying `Unauthorized(sender)` (`setViews`) or
/// `OwnableUnauthorizedAccount(sender)` (`upgradeTo`) when `wallet` is not
/// the beacon's owner. The contract then still runs its previous
/// programs, unless only `upgradeTo` failed (the proxy then already names
/// the new views program).
pub async fn upgrade(
    wallet: &WalletProvider,
    deployment: &mut ProxiedDeployment,
    kind: Kind,
    programs: &Programs,
) -> Result<Upgrade, UpgradeError> {
    let (proxy, beacon) = deployment
        .get(kind)
        .map(|p| (p.proxy, p.beacon))
        .ok_or(UpgradeError::NotDeployed(kind))?;
    let mut nonce = wallet
        .get_transaction_count(wallet.default_signer_address())
        .await
        .map_err(ChainError::from)?;
    let addresses = deployment.addresses();
    let (implementation, views) = deploy_implementation(wallet, &mut nonce, programs, |views| {
        addresses.constructor(kind, views)
    })
    .await?;
    let set_views_receipt = match views {
        Some(views) => {
            let tx = TransactionRequest::default()
                .with_to(proxy)
                .with_input(set_views(views));
            Some(send_tx(wallet, tx).await?)
        }
        None => None,
    };
    let upgrade_receipt = upgrade_to(wallet, beacon, implementation).await?;
    if let Some(upgraded) = deployment.get_mut(kind) {
        upgraded.implementation = implementation;
        upgraded.views = views.or(upgraded.views);
    }
    Ok(Upgrade {
        implementation,
        views,
        set_views_receipt,
        upgrade_receipt,
    })
}
