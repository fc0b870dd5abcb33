//! Unit tests of `deployment`.

use alloy::sol_types::SolCall;

use super::{stylus_deployer::StylusDeployer, *};
use crate::bindings::{fine_tuning::FineTuningServing, InferenceServing, LedgerManager};

/// Init code as `cargo xtask build` writes it, around Stylus code made
/// of `tag` repeated (distinct tags: distinct code hashes).
pub(crate) fn fake_initcode(tag: u8, len: usize) -> Vec<u8> {
    let mut code = serving_scripts::CODE_PREFIX.to_vec();
    code.resize(code.len() + len, tag);
    evm::initcode(&code)
}

/// Artifacts of fake programs (distinct code each).
pub(crate) fn fake_artifacts() -> Artifacts {
    let program = |name: &str, tag: u8| Program::new(name, fake_initcode(tag, 100)).unwrap();
    Artifacts {
        ledger: program(deploy::LEDGER_ARTIFACT, 1),
        inference: program(deploy::INFERENCE_ARTIFACT, 2),
        inference_views: program(deploy::INFERENCE_VIEWS_ARTIFACT, 3),
        fine_tuning: program(deploy::FINE_TUNING_ARTIFACT, 4),
        fine_tuning_views: program(deploy::FINE_TUNING_VIEWS_ARTIFACT, 5),
        proxies: false,
    }
}

/// [`fake_artifacts`] behind proxies.
pub(crate) fn fake_proxied_artifacts() -> Artifacts {
    fake_artifacts().with_proxies()
}

fn settings() -> Settings {
    Settings {
        owner: Address::repeat_byte(0x0e),
        lock_time: U256::from(86_400u64),
        penalty_percentage: U256::from(30u64),
    }
}

#[test]
fn programs_are_checked() {
    assert!(Program::new("p", fake_initcode(1, 10)).is_ok());
    let mut wrong_len = fake_initcode(1, 10);
    wrong_len[32] ^= 1;
    assert!(Program::new("p", wrong_len).is_err());
    let mut not_stylus = fake_initcode(1, 10);
    not_stylus[evm::CODE_OFFSET] = 0x60;
    assert!(Program::new("p", not_stylus).is_err());
    assert!(Program::new("p", vec![0x7f; 40]).is_err());
    let program = Program::new("p", fake_initcode(9, 10)).unwrap();
    assert_eq!(program.code().len(), 14);
    assert_eq!(
        program.code_hash(),
        alloy::primitives::keccak256(program.code())
    );
}

#[test]
fn a_missing_artifact_says_how_to_build_it() {
    let dir = std::env::temp_dir().join(format!("serving-deploy-none-{}", std::process::id()));
    let error = Artifacts::load(&dir).unwrap_err().to_string();
    assert!(error.contains("inference-serving.initcode") || error.contains("ledger-manager"));
    assert!(error.contains("cargo xtask build"), "{error}");
}

/// Without proxies: five StylusDeployer transactions from consecutive
/// nonces, each creating, activating and constructing one program at the
/// StylusDeployer's consecutive addresses; the contracts are wired to each
/// other's planned addresses.
#[test]
fn the_plan_wires_the_contracts() {
    use alloy::sol_types::SolValue;
    let sender = Address::repeat_byte(0x5e);
    let artifacts = fake_artifacts();
    let plan = plan(&artifacts, &settings(), sender, 7, 40, |_| {
        Activation::Needed {
            value: U256::from(12u64),
        }
    });
    let c = plan.contracts;
    assert_eq!(plan.steps.len(), 5);
    let mut init_data = Vec::new();
    for (k, step) in plan.steps.iter().enumerate() {
        assert_eq!(step.nonce, 7 + k as u64);
        assert_eq!(step.to, Some(STYLUS_DEPLOYER));
        assert_eq!(step.value, U256::from(12u64));
        assert_eq!(step.address, STYLUS_DEPLOYER.create(40 + k as u64));
        // The data is the StylusDeployer's deploy of the program, with the
        // constructor (if any) as its init call.
        let program = artifacts
            .programs()
            .into_iter()
            .find(|p| p.name == step.program)
            .unwrap();
        let call = StylusDeployer::deployCall::abi_decode(&step.data, true).unwrap();
        assert_eq!(call.bytecode, program.initcode);
        assert_eq!((call.initValue, call.salt), (U256::ZERO, B256::ZERO));
        // The activation comes first, for the program itself.
        let activation =
            ArbWasm::activateProgramCall::abi_decode(&step.calls[0].data, true).unwrap();
        assert_eq!(activation.program, step.address);
        assert_eq!(step.calls[0].target, CallTarget::At(ARB_WASM));
        match &step.calls[1..] {
            [] => assert!(call.initData.is_empty()),
            [constructor] => {
                assert_eq!(constructor.data, call.initData);
                assert_eq!(
                    &call.initData[..4],
                    &stylus_deployer::constructor_call(Vec::new())[..]
                );
            }
            more => panic!("{} calls", more.len()),
        }
        init_data.push(call.initData.slice(4.min(call.initData.len())..));
    }
    assert_eq!(
        plan.steps.iter().map(|s| s.address).collect::<Vec<_>>(),
        [
            c.inference_views,
            c.inference,
            c.fine_tuning_views,
            c.fine_tuning,
            c.ledger
        ]
    );
    assert!(init_data[0].is_empty() && init_data[2].is_empty());
    assert_eq!(
        <(U256, Address, Address, Address)>::abi_decode_params(&init_data[1], true).unwrap(),
        (U256::from(86_400u64), c.ledger, c.owner, c.inference_views)
    );
    assert_eq!(
        <(U256, Address, Address, U256, Address)>::abi_decode_params(&init_data[3], true).unwrap(),
        (
            U256::from(86_400u64),
            c.ledger,
            c.owner,
            U256::from(30u64),
            c.fine_tuning_views
        )
    );
    assert_eq!(
        <(Address, Address, Address)>::abi_decode_params(&init_data[4], true).unwrap(),
        (c.inference, c.fine_tuning, c.owner)
    );
    assert_eq!(c.owner, settings().owner);
}

/// Behind proxies: per contract its implementation (constructed), beacon
/// (naming the implementation) and EVM proxy (for the beacon, configured
/// with the other proxies' addresses); the beacon program is activated
/// once.
#[test]
fn the_proxied_plan_wires_the_proxies() {
    use alloy::sol_types::SolValue;
    let sender = Address::repeat_byte(0x5e);
    let artifacts = fake_proxied_artifacts();
    let plan = plan(&artifacts, &settings(), sender, 0, 9, |_| {
        Activation::Unknown
    });
    let c = plan.contracts;
    let p = c.proxies.unwrap();
    assert_eq!(plan.steps.len(), 11);
    let labels: Vec<_> = plan.steps.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "InferenceServing views program",
            "InferenceServing implementation",
            "InferenceServing beacon",
            "InferenceServing (beacon proxy)",
            "FineTuningServing views program",
            "FineTuningServing implementation",
            "FineTuningServing beacon",
            "FineTuningServing (beacon proxy)",
            "LedgerManager implementation",
            "LedgerManager beacon",
            "LedgerManager (beacon proxy)",
        ]
    );
    let address = |i: usize| plan.steps[i].address;
    assert_eq!(
        [
            c.inference_views,
            p.inference.implementation,
            p.inference.beacon,
            c.inference
        ],
        [address(0), address(1), address(2), address(3)]
    );
    assert_eq!(
        [
            c.fine_tuning_views,
            p.fine_tuning.implementation,
            p.fine_tuning.beacon,
            c.fine_tuning
        ],
        [address(4), address(5), address(6), address(7)]
    );
    assert_eq!(
        [p.ledger.implementation, p.ledger.beacon, c.ledger],
        [address(8), address(9), address(10)]
    );
    // Programs at the StylusDeployer's consecutive addresses, beacons and
    // proxies from the sender's own nonces.
    let programs: Vec<_> = plan.steps.iter().filter(|s| s.to.is_some()).collect();
    assert_eq!(programs.len(), 5);
    for (k, step) in programs.iter().enumerate() {
        assert_eq!(step.address, STYLUS_DEPLOYER.create(9 + k as u64));
    }
    // Beacons and proxies are EVM code: nothing to activate.
    let activations: Vec<Activation> = plan.steps.iter().map(|s| s.activation).collect();
    use Activation::{Evm, Unknown};
    assert_eq!(
        activations,
        [Unknown, Unknown, Evm, Evm, Unknown, Unknown, Evm, Evm, Unknown, Evm, Evm]
    );
    // A program step's init call (the constructor's arguments).
    let constructor = |i: usize| -> Vec<u8> {
        let call = StylusDeployer::deployCall::abi_decode(&plan.steps[i].data, true).unwrap();
        assert_eq!(
            &call.initData[..4],
            &stylus_deployer::constructor_call(Vec::new())[..]
        );
        call.initData[4..].to_vec()
    };
    // An EVM step's configuration calls, and the init code it creates
    // (after the deployer's own code, before the calls' data).
    let config =
        |i: usize| -> Vec<&Bytes> { plan.steps[i].calls.iter().map(|call| &call.data).collect() };
    let evm_initcode = |i: usize| {
        let step = &plan.steps[i];
        let overhead = deployer_code(&[], &step.calls).len();
        let calls: usize = step.calls.iter().map(|call| call.data.len()).sum();
        let start = overhead - calls;
        step.data[start..start + step.data.len() - overhead].to_vec()
    };
    use crate::upgrade::Kind;
    for (first, beaconed, contract, views, kind) in [
        (
            1,
            p.inference,
            c.inference,
            c.inference_views,
            Kind::Inference,
        ),
        (
            5,
            p.fine_tuning,
            c.fine_tuning,
            c.fine_tuning_views,
            Kind::FineTuning,
        ),
        (8, p.ledger, c.ledger, Address::ZERO, Kind::Ledger),
    ] {
        let (beacon, proxy) = (first + 1, first + 2);
        for step in [&plan.steps[beacon], &plan.steps[proxy]] {
            assert_eq!(
                (step.code_hash, step.value, step.to),
                (None, U256::ZERO, None)
            );
        }
        // The beacon names the implementation, owned by the owner, and is
        // not called at its creation.
        assert_eq!(
            evm_initcode(beacon),
            crate::upgrade::beacon_initcode(beaconed.implementation, c.owner)
        );
        assert!(config(beacon).is_empty());
        assert_eq!(plan.steps[beacon].address, beaconed.beacon);
        // The proxy is the EVM beacon proxy of this beacon, with the views
        // program and the routes of its contract.
        assert_eq!(
            evm_initcode(proxy),
            crate::upgrade::proxy_initcode(beaconed.beacon, views, kind.proxy_routes())
        );
        assert_eq!(plan.steps[proxy].address, contract);
    }
    // Each implementation is constructed like its proxy is initialized.
    assert_eq!(
        <(U256, Address, Address, Address)>::abi_decode_params(&constructor(1), true).unwrap(),
        (U256::from(86_400u64), c.ledger, c.owner, c.inference_views)
    );
    assert_eq!(
        <(Address, Address, Address)>::abi_decode_params(&constructor(8), true).unwrap(),
        (c.inference, c.fine_tuning, c.owner)
    );
    // Through the proxies: initialize with the proxies' addresses.
    let inference = config(3);
    assert_eq!(inference.len(), 1);
    let init = InferenceServing::initializeCall::abi_decode(inference[0], true).unwrap();
    assert_eq!((init.ledger, init.owner), (c.ledger, c.owner));
    let fine_tuning = config(7);
    assert_eq!(fine_tuning.len(), 1);
    let init = FineTuningServing::initializeCall::abi_decode(fine_tuning[0], true).unwrap();
    assert_eq!((init.ledger, init.owner), (c.ledger, c.owner));
    let ledger = config(10);
    assert_eq!(ledger.len(), 1);
    let init = LedgerManager::initializeCall::abi_decode(ledger[0], true).unwrap();
    assert_eq!(
        (init.inference, init.fineTuning, init.owner),
        (c.inference, c.fine_tuning, c.owner)
    );
    let shown = plan.render(false);
    assert!(shown.contains(&format!(
        "LedgerManager beacon             {}",
        p.ledger.beacon
    )));
    assert!(shown.contains(&format!(
        "InferenceServing implementation  {}",
        p.inference.implementation
    )));
}

#[test]
fn activation_follows_the_chain_and_happens_once_per_code_hash() {
    let mut artifacts = fake_artifacts();
    // Both views programs with the same code: only the first activates.
    artifacts.fine_tuning_views.initcode = artifacts.inference_views.initcode.clone();
    let active = artifacts.ledger.code_hash();
    let plan = plan(&artifacts, &settings(), Address::ZERO, 0, 0, |p| {
        if p.code_hash() == active {
            Activation::Active
        } else {
            Activation::Needed {
                value: U256::from(5u64),
            }
        }
    });
    let activations: Vec<_> = plan.steps.iter().map(|s| s.activation).collect();
    let needed = Activation::Needed {
        value: U256::from(5u64),
    };
    assert_eq!(
        activations,
        [
            needed,
            needed,
            Activation::Active,
            needed,
            Activation::Active
        ]
    );
    // Without activation: no value, no ArbWasm call.
    let ledger = &plan.steps[4];
    assert_eq!(ledger.value, U256::ZERO);
    assert_eq!(ledger.calls.len(), 1);
    assert_eq!(
        ledger.calls[0].description.split('(').next(),
        Some("constructor")
    );
    // Unknown (no chain): activate, sending nothing.
    let plan = plan_unknown(&fake_artifacts());
    assert!(plan
        .steps
        .iter()
        .all(|s| s.value.is_zero() && s.calls[0].target == CallTarget::At(ARB_WASM)));
}

fn plan_unknown(artifacts: &Artifacts) -> Plan {
    plan(artifacts, &settings(), Address::ZERO, 0, 0, |_| {
        Activation::Unknown
    })
}

#[test]
fn the_rendering_shows_every_transaction() {
    let plan = plan_unknown(&fake_artifacts());
    let full = plan.render(true);
    for step in &plan.steps {
        assert!(full.contains(&format!("  data:     {}", step.data)));
        for call in &step.calls {
            assert!(full.contains(&format!("  calldata: {}", call.data)));
            assert!(full.contains(&call.description));
        }
    }
    assert!(full.contains(&format!(
        "LedgerManager                    {}",
        plan.contracts.ledger
    )));
    let short = plan.render(false);
    assert!(!short.contains("calldata:"));
    assert!(short.contains(&format!("  data:     {} bytes", plan.steps[0].data.len())));
    assert!(short.contains("147 bytes of init code"));
}

#[test]
fn errors_fit_one_line() {
    let error = DeployError::Rpc("a\nb\n  c".into());
    assert_eq!(error.one_line(), "JSON-RPC request failed: a b c");
}

#[test]
fn the_contracts_read_the_slots_the_proxy_writes() {
    use serving_contracts::serving;
    use serving_scripts::evm;
    assert_eq!(serving::BEACON_SLOT.to_be_bytes(), evm::BEACON_SLOT.0);
    assert_eq!(serving::VIEWS_SLOT.to_be_bytes(), evm::VIEWS_SLOT.0);
}
