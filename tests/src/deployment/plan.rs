//! The plan of a deployment: the ordered transactions, built without a
//! chain ([`plan`]), printed by a dry run and sent as they are by
//! [`super::execute`].

use std::collections::HashSet;

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    sol_types::SolCall,
};

use super::{
    deployer_code, stylus_deployer, stylus_deployer::StylusDeployer, Activation, ArbWasm,
    Artifacts, Beaconed, CallTarget, Contracts, EmbeddedCall, Program, ProxyAddresses, Settings,
    Step, ARB_WASM, FEE_BUMP_PERCENT, STYLUS_DEPLOYER,
};
use crate::{
    deploy,
    upgrade::{self, Kind},
};

/// The ordered transactions of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Who sends them.
    pub sender: Address,
    /// The first transaction's nonce; the others follow one by one.
    pub first_nonce: u64,
    /// The StylusDeployer's nonce at the first program: its programs land
    /// at `create(STYLUS_DEPLOYER, n)`, `n + 1`, ...
    pub deployer_nonce: u64,
    /// The configuration.
    pub settings: Settings,
    /// The transactions, in order.
    pub steps: Vec<Step>,
    /// Where everything lands.
    pub contracts: Contracts,
}

/// Collects the steps of a plan.
struct Builder<F> {
    sender: Address,
    nonce: u64,
    /// The StylusDeployer's nonce at the next program.
    deployer_nonce: u64,
    activation: F,
    /// Code hashes an earlier step activates.
    activated: HashSet<B256>,
    steps: Vec<Step>,
}

impl<F: Fn(&Program) -> Activation> Builder<F> {
    /// Adds the creation of `program` through the StylusDeployer,
    /// activated unless the chain or an earlier step already does, and
    /// constructed with `constructor` (calldata and description), if any.
    fn program(
        &mut self,
        label: &str,
        program: &Program,
        constructor: Option<(Bytes, String)>,
    ) -> Address {
        let code_hash = program.code_hash();
        let activation = if self.activated.contains(&code_hash) {
            Activation::Active
        } else {
            (self.activation)(program)
        };
        if activation.value().is_some() {
            self.activated.insert(code_hash);
        }
        let address = STYLUS_DEPLOYER.create(self.deployer_nonce);
        let mut calls = Vec::with_capacity(2);
        if activation.value().is_some() {
            calls.push(activate(address));
        }
        let init_data = match constructor {
            Some((data, description)) => {
                calls.push(configure(data.clone(), description));
                data
            }
            None => Bytes::new(),
        };
        let data = StylusDeployer::deployCall {
            bytecode: program.initcode.clone(),
            initData: init_data,
            initValue: U256::ZERO,
            salt: B256::ZERO,
        }
        .abi_encode();
        self.steps.push(Step {
            label: label.into(),
            program: program.name.clone(),
            code_hash: Some(code_hash),
            nonce: self.nonce,
            to: Some(STYLUS_DEPLOYER),
            value: activation.value().unwrap_or_default(),
            data: data.into(),
            deployer: STYLUS_DEPLOYER,
            address,
            activation,
            calls,
        });
        self.nonce += 1;
        self.deployer_nonce += 1;
        address
    }

    /// Adds a transaction creating EVM code `program` from `initcode`
    /// through the one-shot EVM deployer, which then makes `calls` on it.
    fn evm(
        &mut self,
        label: &str,
        program: &str,
        initcode: &[u8],
        calls: Vec<EmbeddedCall>,
    ) -> Address {
        let deployer = deploy::deployer_address(self.sender, self.nonce);
        let address = deploy::created_address(self.sender, self.nonce);
        self.steps.push(Step {
            label: label.into(),
            program: program.into(),
            code_hash: None,
            nonce: self.nonce,
            to: None,
            value: U256::ZERO,
            data: deployer_code(initcode, &calls).into(),
            deployer,
            address,
            activation: Activation::Evm,
            calls,
        });
        self.nonce += 1;
        address
    }
}

impl<F: Fn(&Program) -> Activation> Builder<F> {
    /// Adds contract `label`: its main program constructed by
    /// `constructor`; or, `proxied`, its implementation (the main program,
    /// constructed the same way, so that nobody can claim it), its EVM
    /// beacon (naming the implementation, owned by `owner`) and its EVM
    /// proxy (for the beacon, running `views`, zero for none, with the
    /// routes of contract `kind`), configured through the proxy by
    /// `initialize`. Returns the contract's address (the main program or
    /// the proxy).
    fn contract(
        &mut self,
        label: &str,
        main: &Program,
        constructor: (Bytes, String),
        proxied: Option<(Kind, Address, EmbeddedCall)>,
        owner: Address,
    ) -> Address {
        let Some((kind, views, initialize)) = proxied else {
            return self.program(label, main, Some(constructor));
        };
        let implementation =
            self.program(&format!("{label} implementation"), main, Some(constructor));
        let beacon = self.evm(
            &format!("{label} beacon"),
            "evm-beacon",
            &upgrade::beacon_initcode(implementation, owner),
            Vec::new(),
        );
        self.evm(
            &format!("{label} (beacon proxy)"),
            "evm-beacon-proxy",
            &upgrade::proxy_initcode(beacon, views, kind.proxy_routes()),
            vec![initialize],
        )
    }
}

/// The call that activates the program at `address`, with the
/// transaction's value (the data fee).
pub fn activate(address: Address) -> EmbeddedCall {
    EmbeddedCall {
        target: CallTarget::At(ARB_WASM),
        forwards_value: true,
        data: ArbWasm::activateProgramCall { program: address }
            .abi_encode()
            .into(),
        description: format!("ArbWasm.activateProgram({address})"),
    }
}

/// A configuration call on the created program.
pub fn configure(data: Bytes, description: String) -> EmbeddedCall {
    EmbeddedCall {
        target: CallTarget::Created,
        forwards_value: false,
        data,
        description,
    }
}

/// The transactions that deploy `artifacts` from `sender`, starting at
/// `first_nonce`, the StylusDeployer at `deployer_nonce`, configured by
/// `settings`; `activation` says for each program whether its transaction
/// activates it (see [`survey`]; a dry run without a chain uses
/// [`Activation::Unknown`]). See the module docs for the order and the
/// wiring.
pub fn plan(
    artifacts: &Artifacts,
    settings: &Settings,
    sender: Address,
    first_nonce: u64,
    deployer_nonce: u64,
    activation: impl Fn(&Program) -> Activation,
) -> Plan {
    // The StylusDeployer's k-th program, and the proxy of the sender's k-th
    // transaction.
    let program = |k: u64| STYLUS_DEPLOYER.create(deployer_nonce + k);
    let proxy = |k: u64| deploy::created_address(sender, first_nonce + k);
    let contracts = match artifacts.proxies {
        false => Contracts {
            inference_views: program(0),
            inference: program(1),
            fine_tuning_views: program(2),
            fine_tuning: program(3),
            ledger: program(4),
            owner: settings.owner,
            proxies: None,
        },
        // Per contract: views program, implementation (programs), beacon,
        // proxy (EVM code, created by the sender's transactions); the ledger
        // has no views program.
        true => {
            let beaconed = |implementation: u64, beacon: u64| Beaconed {
                implementation: program(implementation),
                beacon: proxy(beacon),
            };
            Contracts {
                inference_views: program(0),
                inference: proxy(3),
                fine_tuning_views: program(2),
                fine_tuning: proxy(7),
                ledger: proxy(10),
                owner: settings.owner,
                proxies: Some(ProxyAddresses {
                    inference: beaconed(1, 2),
                    fine_tuning: beaconed(3, 6),
                    ledger: beaconed(4, 9),
                }),
            }
        }
    };
    let c = contracts;
    let lock_time = settings.lock_time;
    let penalty = settings.penalty_percentage;
    let mut builder = Builder {
        sender,
        nonce: first_nonce,
        deployer_nonce,
        activation,
        activated: HashSet::new(),
        steps: Vec::new(),
    };
    let proxied = |kind: Kind, views: Address, initialize: EmbeddedCall| {
        artifacts.proxies.then_some((kind, views, initialize))
    };
    let built = [
        builder.program(
            "InferenceServing views program",
            &artifacts.inference_views,
            None,
        ),
        builder.contract(
            "InferenceServing",
            &artifacts.inference,
            (
                stylus_deployer::inference_constructor(
                    lock_time,
                    c.ledger,
                    c.owner,
                    c.inference_views,
                ),
                format!(
                    "constructor({lock_time}, {}, {}, {})",
                    c.ledger, c.owner, c.inference_views
                ),
            ),
            proxied(
                Kind::Inference,
                c.inference_views,
                configure(
                    deploy::inference_initialize(lock_time, c.ledger, c.owner),
                    format!("initialize({lock_time}, {}, {})", c.ledger, c.owner),
                ),
            ),
            c.owner,
        ),
        builder.program(
            "FineTuningServing views program",
            &artifacts.fine_tuning_views,
            None,
        ),
        builder.contract(
            "FineTuningServing",
            &artifacts.fine_tuning,
            (
                stylus_deployer::fine_tuning_constructor(
                    lock_time,
                    c.ledger,
                    c.owner,
                    penalty,
                    c.fine_tuning_views,
                ),
                format!(
                    "constructor({lock_time}, {}, {}, {penalty}, {})",
                    c.ledger, c.owner, c.fine_tuning_views
                ),
            ),
            proxied(
                Kind::FineTuning,
                c.fine_tuning_views,
                configure(
                    deploy::fine_tuning_initialize(lock_time, c.ledger, c.owner, penalty),
                    format!(
                        "initialize({lock_time}, {}, {}, {penalty})",
                        c.ledger, c.owner
                    ),
                ),
            ),
            c.owner,
        ),
        builder.contract(
            "LedgerManager",
            &artifacts.ledger,
            (
                stylus_deployer::ledger_constructor(c.inference, c.fine_tuning, c.owner),
                format!(
                    "constructor({}, {}, {})",
                    c.inference, c.fine_tuning, c.owner
                ),
            ),
            proxied(
                Kind::Ledger,
                Address::ZERO,
                configure(
                    deploy::ledger_initialize(c.inference, c.fine_tuning, c.owner),
                    format!(
                        "initialize({}, {}, {})",
                        c.inference, c.fine_tuning, c.owner
                    ),
                ),
            ),
            c.owner,
        ),
    ];
    debug_assert_eq!(
        built,
        [
            c.inference_views,
            c.inference,
            c.fine_tuning_views,
            c.fine_tuning,
            c.ledger
        ]
    );
    debug_assert_eq!(builder.steps.len(), if artifacts.proxies { 11 } else { 5 });
    Plan {
        sender,
        first_nonce,
        deployer_nonce,
        settings: settings.clone(),
        steps: builder.steps,
        contracts,
    }
}

impl Plan {
    /// The plan for people: each transaction's target, value, what the
    /// deployer does and where everything lands; with `data`, also each
    /// embedded call's calldata and each transaction's full data (what a
    /// dry run prints).
    pub fn render(&self, data: bool) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let n = self.steps.len();
        let last = self.first_nonce + n as u64 - 1;
        let _ = writeln!(
            out,
            "{n} transactions from {}, nonces {}..={last}",
            self.sender, self.first_nonce
        );
        let _ = writeln!(
            out,
            "owner {}, refund lock time {} s, fine-tuning penalty {} %",
            self.settings.owner, self.settings.lock_time, self.settings.penalty_percentage
        );
        for (i, step) in self.steps.iter().enumerate() {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "{}/{n} {} ({}), nonce {}",
                i + 1,
                step.label,
                step.program,
                step.nonce
            );
            let target = match step.to {
                Some(to) => format!("StylusDeployer {to}, program at {}", step.address),
                None => format!(
                    "contract creation: deployer {}, {} at {}",
                    step.deployer,
                    if step.code_hash.is_some() {
                        "program"
                    } else {
                        "EVM contract"
                    },
                    step.address
                ),
            };
            let _ = writeln!(out, "  to:       {target}");
            let value_note: String = match step.activation {
                Activation::Active => {
                    "; no activation: the code hash is activated already (on the chain, or by an \
                     earlier transaction)"
                        .into()
                }
                Activation::Needed { .. } => format!(
                    "; the activation data fee plus {FEE_BUMP_PERCENT} %, the rest comes back"
                ),
                Activation::Unknown => {
                    "; a deployment sends the activation data fee (not quoted here)".into()
                }
                Activation::Evm => "; EVM code, nothing to activate".into(),
            };
            let _ = writeln!(out, "  value:    {} wei{value_note}", step.value);
            let code = match step.code_hash {
                Some(hash) => format!("code hash {hash}"),
                None => "EVM code".into(),
            };
            let _ = writeln!(
                out,
                "  creates:  {} ({} bytes of init code, {code})",
                step.program,
                step.initcode_len()
            );
            for call in &step.calls {
                let to = match call.target {
                    CallTarget::Created => "program".to_string(),
                    CallTarget::At(to) => to.to_string(),
                };
                let value = if call.forwards_value {
                    ", with the transaction's value"
                } else {
                    ""
                };
                let _ = writeln!(out, "  call:     {} on {to}{value}", call.description);
                if data {
                    let _ = writeln!(out, "  calldata: {}", call.data);
                }
            }
            if data {
                let _ = writeln!(out, "  data:     {}", step.data);
            } else {
                let _ = writeln!(out, "  data:     {} bytes", step.data.len());
            }
        }
        let _ = writeln!(out);
        out.push_str(&self.contracts.to_string());
        out
    }
}

impl Step {
    /// The length of the init code inside the data.
    fn initcode_len(&self) -> usize {
        match self.to {
            Some(_) => StylusDeployer::deployCall::abi_decode(&self.data, true)
                .map_or(0, |call| call.bytecode.len()),
            None => self.data.len() - deployer_code(&[], &self.calls).len(),
        }
    }
}
