//! Every piece of EVM bytecode the project writes, in one place: the init
//! code that deploys a Stylus program (the prelude of cargo stylus), the
//! one-shot deployer that creates, activates and configures a program in
//! one transaction, and the beacon and beacon proxy of the upgradeable
//! contracts.

use alloy_primitives::{keccak256, Address, Bytes, B256};

// The opcodes used below.
const STOP: u8 = 0x00;
const LT: u8 = 0x10;
const ISZERO: u8 = 0x15;
const EQ: u8 = 0x14;
const SHL: u8 = 0x1b;
const SHR: u8 = 0x1c;
const CALLER: u8 = 0x33;
const CALLVALUE: u8 = 0x34;
const CALLDATALOAD: u8 = 0x35;
const CALLDATASIZE: u8 = 0x36;
const CALLDATACOPY: u8 = 0x37;
const CODECOPY: u8 = 0x39;
const EXTCODESIZE: u8 = 0x3b;
const RETURNDATASIZE: u8 = 0x3d;
const RETURNDATACOPY: u8 = 0x3e;
const SELFBALANCE: u8 = 0x47;
const POP: u8 = 0x50;
const MLOAD: u8 = 0x51;
const MSTORE: u8 = 0x52;
const SLOAD: u8 = 0x54;
const SSTORE: u8 = 0x55;
const JUMP: u8 = 0x56;
const JUMPI: u8 = 0x57;
const GAS: u8 = 0x5a;
const JUMPDEST: u8 = 0x5b;
const PUSH1: u8 = 0x60;
const PUSH2: u8 = 0x61;
const PUSH4: u8 = 0x63;
const PUSH20: u8 = 0x73;
const PUSH32: u8 = 0x7f;
const DUP1: u8 = 0x80;
const DUP5: u8 = 0x84;
const DUP6: u8 = 0x85;
const LOG2: u8 = 0xa2;
const LOG3: u8 = 0xa3;
const CREATE: u8 = 0xf0;
const CALL: u8 = 0xf1;
const RETURN: u8 = 0xf3;
const DELEGATECALL: u8 = 0xf4;
const STATICCALL: u8 = 0xfa;
const REVERT: u8 = 0xfd;

/// Where the code starts in [`initcode`]: after the prelude and its
/// version byte.
pub const CODE_OFFSET: usize = 43;

/// EVM init code returning `code`, laid out as cargo stylus'
/// `contract_deployment_calldata`: PUSH32 len, DUP1, PUSH1 43, PUSH1 0,
/// CODECOPY, PUSH1 0, RETURN, then a version byte 0 and the code. Any code
/// (EVM too) is deployed by it as it is.
pub fn initcode(code: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CODE_OFFSET + code.len());
    out.push(PUSH32);
    out.extend_from_slice(&[0u8; 24]);
    out.extend_from_slice(&(code.len() as u64).to_be_bytes());
    #[allow(clippy::cast_possible_truncation)]
    out.extend_from_slice(&[
        DUP1,
        PUSH1,
        CODE_OFFSET as u8,
        PUSH1,
        0,
        CODECOPY,
        PUSH1,
        0,
        RETURN,
    ]);
    out.push(0x00); // version
    out.extend_from_slice(code);
    out
}

/// The code an [`initcode`] returns; `None` when `initcode` is not one.
pub fn initcode_code(initcode: &[u8]) -> Option<&[u8]> {
    let code = initcode.get(CODE_OFFSET..)?;
    (initcode[..CODE_OFFSET] == self::initcode(code)[..CODE_OFFSET]).then_some(code)
}

/// The first four bytes of keccak256 of a signature.
fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature);
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Where a call made by a deployer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallTarget {
    /// The program the deployer has just created.
    Created,
    /// A fixed address (e.g. [`ARB_WASM`]).
    At(Address),
}

/// A call a deployer makes after creating its program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddedCall {
    /// Where it goes.
    pub target: CallTarget,
    /// Whether it carries the transaction's value (`CALLVALUE`); otherwise
    /// none.
    pub forwards_value: bool,
    /// Its calldata.
    pub data: Bytes,
    /// What it does, for people, e.g. `initialize(86400, 0x…, 0x…)`.
    pub description: String,
}

/// Positions inside a deployer: where its program's init code starts, and
/// its two jump targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Labels {
    program: usize,
    done: usize,
    fail: usize,
}

/// The deployer's code before the embedded data, with `labels` pushed
/// where they are used; returns it and the labels it actually has (a first
/// pass with any labels measures them: no push depends on a value).
fn assemble(program_len: usize, calls: &[EmbeddedCall], labels: Labels) -> (Vec<u8>, Labels) {
    let push4 = |code: &mut Vec<u8>, value: usize| {
        let value = u32::try_from(value).expect("deployer parts are below 4 GiB");
        code.push(PUSH4);
        code.extend_from_slice(&value.to_be_bytes());
    };
    let jump_if_zero = |code: &mut Vec<u8>, target: usize| {
        let target = u16::try_from(target).expect("the deployer's code is below 64 KiB");
        code.push(ISZERO);
        code.push(PUSH2);
        code.extend_from_slice(&target.to_be_bytes());
        code.push(JUMPI);
    };
    let mut code = Vec::new();
    // memory[0..] = the program's init code; address = CREATE(0, 0, len).
    push4(&mut code, program_len);
    push4(&mut code, labels.program);
    code.extend_from_slice(&[PUSH1, 0, CODECOPY]);
    push4(&mut code, program_len);
    code.extend_from_slice(&[PUSH1, 0, PUSH1, 0, CREATE, DUP1]);
    jump_if_zero(&mut code, labels.fail);
    // Each call: memory[0..] = its calldata; CALL(gas, to, value, 0, len, 0, 0).
    let mut offset = labels.program + program_len;
    for call in calls {
        push4(&mut code, call.data.len());
        push4(&mut code, offset);
        code.extend_from_slice(&[PUSH1, 0, CODECOPY, PUSH1, 0, PUSH1, 0]);
        push4(&mut code, call.data.len());
        code.extend_from_slice(&[PUSH1, 0]);
        if call.forwards_value {
            code.push(CALLVALUE);
        } else {
            code.extend_from_slice(&[PUSH1, 0]);
        }
        match call.target {
            // The stack holds the address under the five pushed words.
            CallTarget::Created => code.push(DUP6),
            CallTarget::At(to) => {
                code.push(PUSH20);
                code.extend_from_slice(to.as_slice());
            }
        }
        code.extend_from_slice(&[GAS, CALL]);
        jump_if_zero(&mut code, labels.fail);
        offset += call.data.len();
    }
    // Whatever the deployer holds (the activation's unused value) goes back
    // to the sender: CALL(gas, CALLER, balance, 0, 0, 0, 0) unless zero.
    code.extend_from_slice(&[SELFBALANCE, DUP1, ISZERO, PUSH2]);
    let done = u16::try_from(labels.done).expect("the deployer's code is below 64 KiB");
    code.extend_from_slice(&done.to_be_bytes());
    code.extend_from_slice(&[JUMPI, PUSH1, 0, PUSH1, 0, PUSH1, 0, PUSH1, 0]);
    code.extend_from_slice(&[DUP5, CALLER, GAS, CALL]);
    jump_if_zero(&mut code, labels.fail);
    let done = code.len();
    // Success: no code for the deployer.
    code.extend_from_slice(&[JUMPDEST, STOP]);
    // Failure: revert with the failing step's revert data.
    let fail = code.len();
    code.extend_from_slice(&[
        JUMPDEST,
        RETURNDATASIZE,
        PUSH1,
        0,
        PUSH1,
        0,
        RETURNDATACOPY,
        RETURNDATASIZE,
        PUSH1,
        0,
        REVERT,
    ]);
    let program = code.len();
    (
        code,
        Labels {
            program,
            done,
            fail,
        },
    )
}

/// Init code of a one-shot deployer (see the module docs): creates
/// `program_initcode`, makes each of `calls` in order, returns its balance
/// to the sender, keeps no code; reverts with the failing step's revert
/// data if any step fails.
///
/// Layout: the code, then `program_initcode`, then each call's calldata.
///
/// ```text
/// PUSH4 len(p) PUSH4 off(p) PUSH1 0 CODECOPY  PUSH4 len(p) PUSH1 0 PUSH1 0 CREATE
/// DUP1 ISZERO PUSH2 fail JUMPI
/// per call: PUSH4 len(c) PUSH4 off(c) PUSH1 0 CODECOPY
///           PUSH1 0 PUSH1 0 PUSH4 len(c) PUSH1 0 (CALLVALUE | PUSH1 0) (DUP6 | PUSH20 to)
///           GAS CALL ISZERO PUSH2 fail JUMPI
/// SELFBALANCE DUP1 ISZERO PUSH2 done JUMPI
/// PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 0 DUP5 CALLER GAS CALL ISZERO PUSH2 fail JUMPI
/// done: JUMPDEST STOP
/// fail: JUMPDEST RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY RETURNDATASIZE PUSH1 0 REVERT
/// ```
pub fn deployer_code(program_initcode: &[u8], calls: &[EmbeddedCall]) -> Vec<u8> {
    let (_, labels) = assemble(program_initcode.len(), calls, Labels::default());
    let (mut code, check) = assemble(program_initcode.len(), calls, labels);
    assert_eq!(
        check, labels,
        "the deployer's layout does not depend on its labels"
    );
    code.extend_from_slice(program_initcode);
    for call in calls {
        code.extend_from_slice(&call.data);
    }
    code
}

/// The ERC-1967 beacon slot, `keccak256("eip1967.proxy.beacon") - 1`,
/// where a proxy keeps its beacon.
pub const BEACON_SLOT: B256 =
    alloy_primitives::b256!("a3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50");

/// `keccak256("serving.views") - 1`, where a split serving contract keeps
/// its views program (`serving_contracts::serving::VIEWS_SLOT`).
pub const VIEWS_SLOT: B256 =
    alloy_primitives::b256!("b6821cc9449fb475f844936d2659e01bd3e8a136ebb3142d7d3259f84d790bf1");

fn push_selector(code: &mut Vec<u8>, selector: [u8; 4]) {
    // PUSH4 selector PUSH1 224 SHL: the selector in the word's first bytes.
    code.push(PUSH4);
    code.extend_from_slice(&selector);
    code.extend_from_slice(&[PUSH1, 224, SHL]);
}

/// The runtime code of the EVM beacon proxy for `beacon` that sends the
/// calls of the selectors `routes` straight to the views program
/// ([`VIEWS_SLOT`]; none: 104 bytes, OpenZeppelin's `BeaconProxy`):
///
/// ```text
/// routes:  PUSH1 0 CALLDATALOAD PUSH1 224 SHR
///          per route: DUP1 PUSH4 selector EQ views JUMPI
///          POP
/// beacon:  JUMPDEST PUSH4 implementation() PUSH1 224 SHL PUSH1 0 MSTORE
///          PUSH1 32 PUSH1 0 PUSH1 4 PUSH1 0 PUSH20 beacon GAS STATICCALL
///          ISZERO fail JUMPI                       ; the beacon failed
///          PUSH1 32 RETURNDATASIZE LT fail JUMPI   ; or returned no word
///          PUSH1 0 MLOAD                           ; the implementation
/// delegate: JUMPDEST CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY
///          PUSH1 0 PUSH1 0 CALLDATASIZE PUSH1 0 DUP5 GAS DELEGATECALL
///          RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY
///          ok JUMPI RETURNDATASIZE PUSH1 0 REVERT
/// ok:      JUMPDEST RETURNDATASIZE PUSH1 0 RETURN
/// fail:    JUMPDEST RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY
///          RETURNDATASIZE PUSH1 0 REVERT
/// views:   JUMPDEST POP PUSH32 views_slot SLOAD DUP1 delegate JUMPI
///          POP beacon JUMP                         ; no views program
/// ```
///
/// A routed call skips the beacon and the main program, whose fallback
/// would delegate it to the views program anyway: the call costs one
/// Stylus program's entry, not two. With no views program set, it goes to
/// the main program as any other call. Every other call pays 22 gas per
/// route for the comparisons.
pub fn proxy_runtime(beacon: Address, routes: &[[u8; 4]]) -> Vec<u8> {
    let mut a = Asm::default();
    if !routes.is_empty() {
        a.ops(&[PUSH1, 0, CALLDATALOAD, PUSH1, 224, SHR]);
        for route in routes {
            a.ops(&[DUP1]).push(route).ops(&[EQ]).jump_if("views");
        }
        a.ops(&[POP]).label("beacon");
    }
    push_selector(&mut a.code, selector("implementation()"));
    a.ops(&[PUSH1, 0, MSTORE, PUSH1, 32, PUSH1, 0, PUSH1, 4, PUSH1, 0]);
    a.push(beacon.as_slice()).ops(&[GAS, STATICCALL, ISZERO]);
    a.jump_if("fail");
    a.ops(&[PUSH1, 32, RETURNDATASIZE, LT]).jump_if("fail");
    a.ops(&[PUSH1, 0, MLOAD]);
    if !routes.is_empty() {
        a.label("delegate");
    }
    a.ops(&[CALLDATASIZE, PUSH1, 0, PUSH1, 0, CALLDATACOPY]);
    a.ops(&[
        PUSH1,
        0,
        PUSH1,
        0,
        CALLDATASIZE,
        PUSH1,
        0,
        DUP5,
        GAS,
        DELEGATECALL,
    ]);
    a.ops(&[RETURNDATASIZE, PUSH1, 0, PUSH1, 0, RETURNDATACOPY]);
    a.jump_if("ok").ops(&[RETURNDATASIZE, PUSH1, 0, REVERT]);
    a.label("ok").ops(&[RETURNDATASIZE, PUSH1, 0, RETURN]);
    a.label("fail");
    a.ops(&[RETURNDATASIZE, PUSH1, 0, PUSH1, 0, RETURNDATACOPY]);
    a.ops(&[RETURNDATASIZE, PUSH1, 0, REVERT]);
    if !routes.is_empty() {
        a.label("views").ops(&[POP]).push(VIEWS_SLOT.as_slice());
        a.ops(&[SLOAD, DUP1]).jump_if("delegate");
        a.ops(&[POP]).push_label("beacon").ops(&[JUMP]);
    }
    a.finish()
}

/// The init code of the EVM beacon proxy for `beacon`, running `views` as
/// its views program (zero: a contract without one) and routing the
/// selectors `routes` to it ([`proxy_runtime`]): reverts with
/// `ERC1967InvalidBeacon(beacon)` when `beacon` has no code; otherwise
/// stores `beacon` in the ERC-1967 beacon slot ([`BEACON_SLOT`]) and
/// `views` in [`VIEWS_SLOT`] (afterwards only the beacon's owner changes
/// it, through the contract's `setViews`), emits
/// `BeaconUpgraded(beacon)` and returns [`proxy_runtime`]`(beacon, routes)`.
/// Initialization calls go through the new proxy afterwards, in the same
/// transaction: the proxy is created by a [`deployer_code`] like a program.
///
/// ```text
/// PUSH20 beacon EXTCODESIZE ISZERO bad JUMPI
/// PUSH20 beacon PUSH32 slot SSTORE
/// PUSH20 views PUSH32 views_slot SSTORE
/// PUSH20 beacon PUSH32 BeaconUpgraded PUSH1 0 PUSH1 0 LOG2
/// PUSH2 len DUP1 PUSH2 runtime PUSH1 0 CODECOPY PUSH1 0 RETURN
/// bad: JUMPDEST PUSH4 ERC1967InvalidBeacon PUSH1 224 SHL PUSH1 0 MSTORE
///      PUSH20 beacon PUSH1 4 MSTORE PUSH1 36 PUSH1 0 REVERT
/// runtime: ...
/// ```
pub fn proxy_initcode(beacon: Address, views: Address, routes: &[[u8; 4]]) -> Vec<u8> {
    let runtime = proxy_runtime(beacon, routes);
    let len = u16::try_from(runtime.len()).expect("the proxy is below 64 KiB");
    let mut a = Asm::default();
    a.push(beacon.as_slice()).ops(&[EXTCODESIZE, ISZERO]);
    a.jump_if("bad");
    a.push(beacon.as_slice()).push(BEACON_SLOT.as_slice());
    a.ops(&[SSTORE]);
    a.push(views.as_slice()).push(VIEWS_SLOT.as_slice());
    a.ops(&[SSTORE]);
    a.push(beacon.as_slice());
    a.push(keccak256("BeaconUpgraded(address)").as_slice());
    a.ops(&[PUSH1, 0, PUSH1, 0, LOG2]);
    a.push(&len.to_be_bytes())
        .ops(&[DUP1])
        .push_label("runtime");
    a.ops(&[PUSH1, 0, CODECOPY, PUSH1, 0, RETURN]);
    a.label("bad").revert_with(
        "ERC1967InvalidBeacon(address)",
        &[&[PUSH20][..], beacon.as_slice()].concat(),
    );
    a.mark("runtime").ops(&runtime);
    a.finish()
}

/// EVM code with named jump targets: a label is pushed as a PUSH2 and
/// patched when the code is finished.
#[derive(Default)]
struct Asm {
    code: Vec<u8>,
    labels: Vec<(&'static str, usize)>,
    uses: Vec<(&'static str, usize)>,
}

impl Asm {
    fn ops(&mut self, ops: &[u8]) -> &mut Self {
        self.code.extend_from_slice(ops);
        self
    }

    /// PUSHn of `bytes` (1 to 32 of them).
    fn push(&mut self, bytes: &[u8]) -> &mut Self {
        let n = u8::try_from(bytes.len()).expect("at most 32 bytes");
        assert!((1..=32).contains(&n), "a push takes 1 to 32 bytes");
        self.code.push(PUSH1 - 1 + n);
        self.ops(bytes)
    }

    /// PUSH2 of where `label` is.
    fn push_label(&mut self, label: &'static str) -> &mut Self {
        self.uses.push((label, self.code.len() + 1));
        self.ops(&[PUSH2, 0, 0])
    }

    /// Jumps to `label` when the top of the stack is not zero.
    fn jump_if(&mut self, label: &'static str) -> &mut Self {
        self.push_label(label).ops(&[JUMPI])
    }

    /// Names this place, without a JUMPDEST (data).
    fn mark(&mut self, label: &'static str) -> &mut Self {
        self.labels.push((label, self.code.len()));
        self
    }

    /// A jump target named `label`.
    fn label(&mut self, label: &'static str) -> &mut Self {
        self.mark(label).ops(&[JUMPDEST])
    }

    /// Reverts with the custom error `signature`, whose one argument `arg`
    /// pushes (e.g. `[CALLER]`, or `[DUP1]` for the top of the stack).
    fn revert_with(&mut self, signature: &str, arg: &[u8]) -> &mut Self {
        push_selector(&mut self.code, selector(signature));
        self.ops(&[PUSH1, 0, MSTORE])
            .ops(arg)
            .ops(&[PUSH1, 4, MSTORE, PUSH1, 36, PUSH1, 0, REVERT])
    }

    fn finish(mut self) -> Vec<u8> {
        for (label, at) in self.uses {
            let (_, target) = self
                .labels
                .iter()
                .find(|(name, _)| *name == label)
                .unwrap_or_else(|| panic!("label {label} is placed"));
            let target = u16::try_from(*target).expect("the code is below 64 KiB");
            self.code[at..at + 2].copy_from_slice(&target.to_be_bytes());
        }
        self.code
    }
}

/// Length of [`beacon_runtime`].
pub const BEACON_RUNTIME_LEN: usize = 337;

/// The beacon's storage slot of its implementation.
const BEACON_IMPLEMENTATION: u8 = 0;
/// The beacon's storage slot of its owner.
const BEACON_OWNER: u8 = 1;

/// The runtime code of the EVM beacon: OpenZeppelin's `UpgradeableBeacon`
/// (`implementation()`, `upgradeTo(address)` and `Ownable`'s `owner()`,
/// `transferOwnership(address)`, `renounceOwnership()`), with its events
/// and errors, in 337 bytes of EVM code. A proxy asks it for the
/// implementation on every call: an SLOAD in EVM code, not a second Stylus
/// program to enter (see docs/upgrades.md). Not payable; an unknown
/// selector, a short or non-canonical address argument or value reverts
/// without data, as Solidity's dispatcher does.
///
/// ```text
/// CALLVALUE refuse JUMPI  PUSH1 0 CALLDATALOAD PUSH1 224 SHR
/// per function: DUP1 PUSH4 selector EQ label JUMPI
/// refuse: JUMPDEST PUSH1 0 DUP1 REVERT
/// implementation / owner: JUMPDEST PUSH1 slot SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
/// upgradeTo: argument, only owner, DUP1 EXTCODESIZE ISZERO invalid JUMPI
///            DUP1 PUSH1 0 SSTORE PUSH32 Upgraded PUSH1 0 DUP1 LOG2 STOP
/// transferOwnership: argument, only owner, DUP1 ISZERO invalid JUMPI, set owner
/// renounceOwnership: only owner, PUSH1 0, set owner
/// set owner: JUMPDEST DUP1 PUSH1 1 SLOAD PUSH32 OwnershipTransferred PUSH1 0 DUP1 LOG3
///            PUSH1 1 SSTORE STOP
/// argument: PUSH1 36 CALLDATASIZE LT refuse JUMPI
///           PUSH1 4 CALLDATALOAD DUP1 PUSH1 160 SHR refuse JUMPI
/// only owner: PUSH1 1 SLOAD CALLER EQ ISZERO unauthorized JUMPI
/// errors: OwnableUnauthorizedAccount(caller), BeaconInvalidImplementation(new),
///         OwnableInvalidOwner(0)
/// ```
pub fn beacon_runtime() -> Vec<u8> {
    let argument = |a: &mut Asm| {
        a.ops(&[PUSH1, 36, CALLDATASIZE, LT]).jump_if("refuse");
        a.ops(&[PUSH1, 4, CALLDATALOAD, DUP1, PUSH1, 160, SHR])
            .jump_if("refuse");
    };
    let only_owner = |a: &mut Asm| {
        a.ops(&[PUSH1, BEACON_OWNER, SLOAD, CALLER, EQ, ISZERO])
            .jump_if("unauthorized");
    };
    let mut a = Asm::default();
    a.ops(&[CALLVALUE]).jump_if("refuse");
    a.ops(&[PUSH1, 0, CALLDATALOAD, PUSH1, 224, SHR]);
    for (signature, label) in [
        ("implementation()", "implementation"),
        ("owner()", "owner"),
        ("upgradeTo(address)", "upgrade"),
        ("transferOwnership(address)", "transfer"),
        ("renounceOwnership()", "renounce"),
    ] {
        a.ops(&[DUP1]).push(&selector(signature)).ops(&[EQ]);
        a.jump_if(label);
    }
    a.label("refuse").ops(&[PUSH1, 0, DUP1, REVERT]);
    for (label, slot) in [
        ("implementation", BEACON_IMPLEMENTATION),
        ("owner", BEACON_OWNER),
    ] {
        a.label(label).ops(&[PUSH1, slot, SLOAD, PUSH1, 0, MSTORE]);
        a.ops(&[PUSH1, 32, PUSH1, 0, RETURN]);
    }
    a.label("upgrade");
    argument(&mut a);
    only_owner(&mut a);
    a.ops(&[DUP1, EXTCODESIZE, ISZERO])
        .jump_if("invalid implementation");
    a.ops(&[DUP1, PUSH1, BEACON_IMPLEMENTATION, SSTORE]);
    a.push(keccak256("Upgraded(address)").as_slice());
    a.ops(&[PUSH1, 0, DUP1, LOG2, STOP]);
    a.label("transfer");
    argument(&mut a);
    only_owner(&mut a);
    a.ops(&[DUP1, ISZERO]).jump_if("invalid owner");
    a.label("set owner");
    a.ops(&[DUP1, PUSH1, BEACON_OWNER, SLOAD]);
    a.push(keccak256("OwnershipTransferred(address,address)").as_slice());
    a.ops(&[PUSH1, 0, DUP1, LOG3, PUSH1, BEACON_OWNER, SSTORE, STOP]);
    a.label("renounce");
    only_owner(&mut a);
    a.ops(&[PUSH1, 0]).push_label("set owner").ops(&[JUMP]);
    a.label("unauthorized")
        .revert_with("OwnableUnauthorizedAccount(address)", &[CALLER]);
    a.label("invalid implementation")
        .revert_with("BeaconInvalidImplementation(address)", &[DUP1]);
    a.label("invalid owner")
        .revert_with("OwnableInvalidOwner(address)", &[PUSH1, 0]);
    a.finish()
}

/// The init code of the EVM beacon ([`beacon_runtime`]) for
/// `implementation`, owned by `owner`: OpenZeppelin's `UpgradeableBeacon`
/// constructor. Reverts with `OwnableInvalidOwner(0)` for a zero owner and
/// `BeaconInvalidImplementation(implementation)` when `implementation` has
/// no code; emits `OwnershipTransferred(0, owner)`, then
/// `Upgraded(implementation)`.
pub fn beacon_initcode(implementation: Address, owner: Address) -> Vec<u8> {
    let runtime = beacon_runtime();
    let len = u16::try_from(runtime.len()).expect("the beacon is below 64 KiB");
    let mut a = Asm::default();
    a.push(owner.as_slice())
        .ops(&[ISZERO])
        .jump_if("invalid owner");
    a.push(implementation.as_slice())
        .ops(&[EXTCODESIZE, ISZERO]);
    a.jump_if("invalid implementation");
    a.push(owner.as_slice()).ops(&[PUSH1, 0]);
    a.push(keccak256("OwnershipTransferred(address,address)").as_slice());
    a.ops(&[PUSH1, 0, DUP1, LOG3]);
    a.push(owner.as_slice()).ops(&[PUSH1, BEACON_OWNER, SSTORE]);
    a.push(implementation.as_slice());
    a.ops(&[PUSH1, BEACON_IMPLEMENTATION, SSTORE]);
    a.push(implementation.as_slice());
    a.push(keccak256("Upgraded(address)").as_slice());
    a.ops(&[PUSH1, 0, DUP1, LOG2]);
    a.push(&len.to_be_bytes())
        .ops(&[DUP1])
        .push_label("runtime");
    a.ops(&[PUSH1, 0, CODECOPY, PUSH1, 0, RETURN]);
    a.label("invalid owner")
        .revert_with("OwnableInvalidOwner(address)", &[PUSH1, 0]);
    a.label("invalid implementation").revert_with(
        "BeaconInvalidImplementation(address)",
        &[&[PUSH20][..], implementation.as_slice()].concat(),
    );
    a.mark("runtime").ops(&runtime);
    a.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ArbWasm precompile, as the deployment activates programs.
    const ARB_WASM: Address = Address::new([
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x71,
    ]);

    /// The pieces a deployer copies, in order: each (length, offset) pushed
    /// right before a CODECOPY, read by walking the instructions; and
    /// whether every jump lands on a JUMPDEST.
    fn copied_segments(code: &[u8]) -> (Vec<&[u8]>, bool) {
        let mut pushes: Vec<usize> = Vec::new();
        let mut segments = Vec::new();
        let mut jumps_ok = true;
        let mut pc = 0;
        while pc < code.len() {
            let op = code[pc];
            if (0x60..=0x7f).contains(&op) {
                let n = usize::from(op - 0x5f);
                let value = code[pc + 1..pc + 1 + n]
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
                pushes.push(value);
                pc += 1 + n;
                continue;
            }
            match op {
                CODECOPY => {
                    // Stack (top first): destOffset 0, offset, length.
                    let len = pushes[pushes.len() - 3];
                    let offset = pushes[pushes.len() - 2];
                    segments.push(&code[offset..offset + len]);
                }
                JUMPI => {
                    let target = *pushes.last().unwrap();
                    jumps_ok &= code[target] == JUMPDEST;
                }
                REVERT => break,
                _ => {}
            }
            pc += 1;
        }
        (segments, jumps_ok)
    }

    #[test]
    fn the_deployer_copies_the_program_then_each_call() {
        let program = initcode(&[7; 300]);
        let calls = [
            EmbeddedCall {
                target: CallTarget::At(ARB_WASM),
                forwards_value: true,
                data: Bytes::from(vec![1, 2, 3]),
                description: "a".into(),
            },
            EmbeddedCall {
                target: CallTarget::Created,
                forwards_value: false,
                data: Bytes::from(vec![4; 68]),
                description: "b".into(),
            },
        ];
        let code = deployer_code(&program, &calls);
        let (segments, jumps_ok) = copied_segments(&code);
        assert!(jumps_ok, "every jump lands on a JUMPDEST");
        assert_eq!(segments, [&program[..], &[1, 2, 3][..], &[4; 68][..]]);
        // The activation forwards the value to ArbWasm; the other call goes
        // to the created program (DUP6) with no value.
        let arb_wasm_call = [&[CALLVALUE, PUSH20][..], ARB_WASM.as_slice(), &[GAS, CALL]].concat();
        assert!(code
            .windows(arb_wasm_call.len())
            .any(|w| w == arb_wasm_call));
        assert!(code.windows(5).any(|w| w == [PUSH1, 0, DUP6, GAS, CALL]));
        // The refund goes to the caller.
        assert!(code.windows(4).any(|w| w == [DUP5, CALLER, GAS, CALL]));
        // No call at all: the program only.
        let code = deployer_code(&program, &[]);
        assert_eq!(copied_segments(&code).0, [&program[..]]);
    }

    #[test]
    fn initcode_layout() {
        let code = vec![0xAB; 0x1234];
        let init = initcode(&code);
        assert_eq!(init.len(), 43 + code.len());
        assert_eq!(init[0], 0x7f);
        assert_eq!(init[1..31], [0u8; 30]);
        assert_eq!(init[31..33], [0x12, 0x34]);
        assert_eq!(
            init[33..43],
            [0x80, 0x60, 0x2b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00]
        );
        assert_eq!(init[43..], code[..]);
    }

    #[test]
    fn initcode_code_reads_back_only_an_initcode() {
        let code = [0xAB; 70];
        assert_eq!(initcode_code(&initcode(&code)), Some(&code[..]));
        let mut other = initcode(&code);
        other[41] = 0;
        assert_eq!(initcode_code(&other), None);
        assert_eq!(initcode_code(&other[..10]), None);
    }

    /// The ERC-1967 slot of `name`: keccak256(name) - 1.
    fn erc1967_slot(name: &[u8]) -> B256 {
        let hash = alloy_primitives::U256::from_be_bytes(keccak256(name).0);
        B256::from(hash - alloy_primitives::U256::from(1u64))
    }

    #[test]
    fn the_beacon_slot_is_erc_1967s() {
        assert_eq!(BEACON_SLOT, erc1967_slot(b"eip1967.proxy.beacon"));
    }

    #[test]
    fn the_views_slot_is_the_contracts() {
        assert_eq!(VIEWS_SLOT, erc1967_slot(b"serving.views"));
    }

    #[test]
    fn proxy_layout() {
        let beacon = Address::repeat_byte(0xbe);
        let runtime = proxy_runtime(beacon, &[]);
        assert_eq!(runtime.len(), 104);
        // The selector of implementation(), then the beacon, pushed.
        assert_eq!(&runtime[1..5], &[0x5c, 0x60, 0xda, 0x1b]);
        assert_eq!(runtime[19], PUSH20);
        assert_eq!(&runtime[20..40], beacon.as_slice());
        // The beacon's failures and the delegatecall's success.
        assert_eq!(checked_jumps(&runtime), 3);
        assert_eq!(runtime.iter().filter(|&&op| op == DELEGATECALL).count(), 1);
        assert!(!runtime.windows(32).any(|w| w == VIEWS_SLOT.as_slice()));

        let views = Address::repeat_byte(0x71);
        let init = proxy_initcode(beacon, views, &[]);
        assert_eq!(init.len(), 250 + 104);
        assert_eq!(&init[250..], runtime.as_slice());
        assert_eq!(checked_jumps(&init[..250]), 1);
        // The slots, the views program and the event topic, pushed in full.
        let find = |needle: &[u8]| init.windows(needle.len()).position(|w| w == needle);
        assert_eq!(find(BEACON_SLOT.as_slice()), Some(49));
        assert_eq!(find(views.as_slice()), Some(83));
        assert_eq!(find(VIEWS_SLOT.as_slice()), Some(104));
        assert_eq!(
            find(keccak256("BeaconUpgraded(address)").as_slice()),
            Some(159)
        );
        // CODECOPY of 104 bytes from 250.
        let copy = [PUSH2, 0, 104, DUP1, PUSH2, 0, 250];
        assert!(init.windows(copy.len()).any(|w| w == copy));
    }

    #[test]
    fn a_routed_proxy_compares_each_route_then_asks_the_beacon() {
        let beacon = Address::repeat_byte(0xbe);
        let routes = [[0x12, 0x34, 0x56, 0x78], [0x9a, 0xbc, 0xde, 0xf0]];
        let runtime = proxy_runtime(beacon, &routes);
        // The beacon's failures, the delegatecall's success, one jump per
        // route, and the views program's (set, or back to the beacon).
        assert_eq!(checked_jumps(&runtime), 3 + routes.len() + 2);
        for route in routes {
            let compare = [&[DUP1, PUSH4][..], &route, &[EQ, PUSH2]].concat();
            assert!(runtime.windows(compare.len()).any(|w| w == compare));
        }
        let load = [&[PUSH32][..], VIEWS_SLOT.as_slice(), &[SLOAD]].concat();
        assert!(runtime.windows(load.len()).any(|w| w == load));
        assert_eq!(runtime.iter().filter(|&&op| op == DELEGATECALL).count(), 1);
        let init = proxy_initcode(beacon, Address::repeat_byte(0x71), &routes);
        assert!(init.ends_with(&runtime));
    }

    /// Every PUSH2 right before a JUMP or JUMPI in `code` names a
    /// JUMPDEST; returns how many jumps there are.
    fn checked_jumps(code: &[u8]) -> usize {
        let mut jumps = 0;
        let mut pc = 0;
        while pc < code.len() {
            let op = code[pc];
            if op == PUSH2 && matches!(code.get(pc + 3), Some(&JUMP | &JUMPI)) {
                let target = usize::from(u16::from_be_bytes([code[pc + 1], code[pc + 2]]));
                assert_eq!(code[target], JUMPDEST, "the jump at {pc}");
                jumps += 1;
            }
            pc += if (PUSH1..=PUSH32).contains(&op) {
                usize::from(op - PUSH1) + 2
            } else {
                1
            };
        }
        jumps
    }

    #[test]
    fn beacon_layout() {
        let runtime = beacon_runtime();
        assert_eq!(runtime.len(), BEACON_RUNTIME_LEN);
        // Not payable, five functions, then the checks of the three that
        // take an argument or need the owner.
        assert_eq!(checked_jumps(&runtime), 1 + 5 + 2 * 2 + 3 + 1 + 1 + 1);
        for signature in [
            "implementation()",
            "owner()",
            "upgradeTo(address)",
            "transferOwnership(address)",
            "renounceOwnership()",
            "OwnableUnauthorizedAccount(address)",
            "BeaconInvalidImplementation(address)",
            "OwnableInvalidOwner(address)",
        ] {
            let push = [&[PUSH4][..], &selector(signature)].concat();
            assert!(runtime.windows(5).any(|w| w == push), "{signature}");
        }
        let (implementation, owner) = (Address::repeat_byte(0x11), Address::repeat_byte(0x22));
        let init = beacon_initcode(implementation, owner);
        assert!(init.ends_with(&runtime));
        let runtime_at = init.len() - runtime.len();
        let len = u16::try_from(runtime.len()).unwrap().to_be_bytes();
        let at = u16::try_from(runtime_at).unwrap().to_be_bytes();
        let copy = [
            PUSH2, len[0], len[1], DUP1, PUSH2, at[0], at[1], PUSH1, 0, CODECOPY,
        ];
        assert!(init.windows(copy.len()).any(|w| w == copy));
        assert_eq!(checked_jumps(&init[..runtime_at]), 2);
        let pushes = |a: Address| {
            init[..runtime_at]
                .windows(20)
                .filter(|w| *w == a.as_slice())
                .count()
        };
        assert_eq!((pushes(implementation), pushes(owner)), (4, 3));
    }
}
