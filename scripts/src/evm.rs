//! Every piece of EVM bytecode the project writes, in one place: the init
//! code that deploys a Stylus program (the prelude of cargo stylus), the
//! one-shot deployer that creates, activates and configures a program in
//! one transaction, and the beacon proxy of the upgradeable contracts.

use alloy_primitives::{keccak256, Address, Bytes, B256};

// The opcodes used below.
const STOP: u8 = 0x00;
const LT: u8 = 0x10;
const ISZERO: u8 = 0x15;
const SHL: u8 = 0x1b;
const CALLER: u8 = 0x33;
const CALLVALUE: u8 = 0x34;
const CALLDATASIZE: u8 = 0x36;
const CALLDATACOPY: u8 = 0x37;
const CODECOPY: u8 = 0x39;
const EXTCODESIZE: u8 = 0x3b;
const RETURNDATASIZE: u8 = 0x3d;
const RETURNDATACOPY: u8 = 0x3e;
const SELFBALANCE: u8 = 0x47;
const MLOAD: u8 = 0x51;
const MSTORE: u8 = 0x52;
const SSTORE: u8 = 0x55;
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

/// Length of [`proxy_runtime`].
pub const PROXY_RUNTIME_LEN: u8 = 101;
/// Where [`proxy_runtime`]'s success branch starts.
const PROXY_OK: u8 = 85;
/// Where [`proxy_runtime`]'s failure branch (the beacon failed) starts.
const PROXY_FAIL: u8 = 90;
/// Length of [`proxy_initcode`] before the runtime code.
const PROXY_INIT_LEN: u8 = 247;
/// Where [`proxy_initcode`]'s failure branch (no beacon) starts.
const PROXY_INIT_BAD: u8 = 206;

fn push_selector(code: &mut Vec<u8>, selector: [u8; 4]) {
    // PUSH4 selector PUSH1 224 SHL: the selector in the word's first bytes.
    code.push(PUSH4);
    code.extend_from_slice(&selector);
    code.extend_from_slice(&[PUSH1, 224, SHL]);
}

fn push_address(code: &mut Vec<u8>, address: Address) {
    code.push(PUSH20);
    code.extend_from_slice(address.as_slice());
}

/// The runtime code of the EVM beacon proxy for `beacon`, 101 bytes:
///
/// ```text
/// PUSH4 implementation() PUSH1 224 SHL PUSH1 0 MSTORE
/// PUSH1 32 PUSH1 0 PUSH1 4 PUSH1 0 PUSH20 beacon GAS STATICCALL
/// ISZERO PUSH1 fail JUMPI                       ; the beacon failed
/// PUSH1 32 RETURNDATASIZE LT PUSH1 fail JUMPI   ; or returned no word
/// PUSH1 0 MLOAD                                 ; the implementation
/// CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY
/// PUSH1 0 PUSH1 0 CALLDATASIZE PUSH1 0 DUP5 GAS DELEGATECALL
/// RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY
/// PUSH1 ok JUMPI RETURNDATASIZE PUSH1 0 REVERT
/// ok:   JUMPDEST RETURNDATASIZE PUSH1 0 RETURN
/// fail: JUMPDEST RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY
///       RETURNDATASIZE PUSH1 0 REVERT
/// ```
pub fn proxy_runtime(beacon: Address) -> Vec<u8> {
    let mut code = Vec::with_capacity(PROXY_RUNTIME_LEN.into());
    push_selector(&mut code, selector("implementation()"));
    code.extend_from_slice(&[PUSH1, 0, MSTORE]);
    code.extend_from_slice(&[PUSH1, 32, PUSH1, 0, PUSH1, 4, PUSH1, 0]);
    push_address(&mut code, beacon);
    code.extend_from_slice(&[GAS, STATICCALL, ISZERO, PUSH1, PROXY_FAIL, JUMPI]);
    code.extend_from_slice(&[PUSH1, 32, RETURNDATASIZE, LT, PUSH1, PROXY_FAIL, JUMPI]);
    code.extend_from_slice(&[PUSH1, 0, MLOAD]);
    code.extend_from_slice(&[CALLDATASIZE, PUSH1, 0, PUSH1, 0, CALLDATACOPY]);
    code.extend_from_slice(&[
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
    code.extend_from_slice(&[RETURNDATASIZE, PUSH1, 0, PUSH1, 0, RETURNDATACOPY]);
    code.extend_from_slice(&[PUSH1, PROXY_OK, JUMPI, RETURNDATASIZE, PUSH1, 0, REVERT]);
    assert_eq!(code.len(), usize::from(PROXY_OK), "the success branch");
    code.extend_from_slice(&[JUMPDEST, RETURNDATASIZE, PUSH1, 0, RETURN]);
    assert_eq!(code.len(), usize::from(PROXY_FAIL), "the failure branch");
    code.extend_from_slice(&[JUMPDEST, RETURNDATASIZE, PUSH1, 0, PUSH1, 0, RETURNDATACOPY]);
    code.extend_from_slice(&[RETURNDATASIZE, PUSH1, 0, REVERT]);
    assert_eq!(code.len(), usize::from(PROXY_RUNTIME_LEN));
    code
}

/// The init code of the EVM beacon proxy for `beacon`, running `views` as
/// its views program (zero: a contract without one): reverts with
/// `ERC1967InvalidBeacon(beacon)` when `beacon` has no code; otherwise
/// stores `beacon` in the ERC-1967 beacon slot ([`BEACON_SLOT`]) and
/// `views` in [`VIEWS_SLOT`] (afterwards only the beacon's owner changes
/// it, through the contract's `setViews`), emits
/// `BeaconUpgraded(beacon)` and returns [`proxy_runtime`]`(beacon)`.
/// Initialization calls go through the new proxy afterwards, in the same
/// transaction: the proxy is created by a [`deployer_code`] like a program.
///
/// ```text
/// PUSH20 beacon EXTCODESIZE ISZERO PUSH1 bad JUMPI
/// PUSH20 beacon PUSH32 slot SSTORE
/// PUSH20 views PUSH32 views_slot SSTORE
/// PUSH20 beacon PUSH32 BeaconUpgraded PUSH1 0 PUSH1 0 LOG2
/// PUSH1 101 DUP1 PUSH1 247 PUSH1 0 CODECOPY PUSH1 0 RETURN
/// bad: JUMPDEST PUSH4 ERC1967InvalidBeacon PUSH1 224 SHL PUSH1 0 MSTORE
///      PUSH20 beacon PUSH1 4 MSTORE PUSH1 36 PUSH1 0 REVERT
/// runtime: ...
/// ```
pub fn proxy_initcode(beacon: Address, views: Address) -> Vec<u8> {
    let mut code = Vec::with_capacity(usize::from(PROXY_INIT_LEN) + usize::from(PROXY_RUNTIME_LEN));
    push_address(&mut code, beacon);
    code.extend_from_slice(&[EXTCODESIZE, ISZERO, PUSH1, PROXY_INIT_BAD, JUMPI]);
    push_address(&mut code, beacon);
    code.push(PUSH32);
    code.extend_from_slice(BEACON_SLOT.as_slice());
    code.push(SSTORE);
    push_address(&mut code, views);
    code.push(PUSH32);
    code.extend_from_slice(VIEWS_SLOT.as_slice());
    code.push(SSTORE);
    push_address(&mut code, beacon);
    code.push(PUSH32);
    code.extend_from_slice(keccak256("BeaconUpgraded(address)").as_slice());
    code.extend_from_slice(&[PUSH1, 0, PUSH1, 0, LOG2]);
    code.extend_from_slice(&[
        PUSH1,
        PROXY_RUNTIME_LEN,
        DUP1,
        PUSH1,
        PROXY_INIT_LEN,
        PUSH1,
        0,
        CODECOPY,
    ]);
    code.extend_from_slice(&[PUSH1, 0, RETURN]);
    assert_eq!(
        code.len(),
        usize::from(PROXY_INIT_BAD),
        "the failure branch"
    );
    code.push(JUMPDEST);
    push_selector(&mut code, selector("ERC1967InvalidBeacon(address)"));
    code.extend_from_slice(&[PUSH1, 0, MSTORE]);
    push_address(&mut code, beacon);
    code.extend_from_slice(&[PUSH1, 4, MSTORE, PUSH1, 36, PUSH1, 0, REVERT]);
    assert_eq!(code.len(), usize::from(PROXY_INIT_LEN));
    code.extend_from_slice(&proxy_runtime(beacon));
    code
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
        let runtime = proxy_runtime(beacon);
        assert_eq!(runtime.len(), 101);
        // The selector of implementation(), then the beacon, pushed.
        assert_eq!(&runtime[1..5], &[0x5c, 0x60, 0xda, 0x1b]);
        assert_eq!(runtime[19], PUSH20);
        assert_eq!(&runtime[20..40], beacon.as_slice());
        // Both jump targets are JUMPDESTs, and jumped to.
        for target in [PROXY_OK, PROXY_FAIL] {
            assert_eq!(runtime[usize::from(target)], JUMPDEST);
            assert!(runtime.windows(3).any(|w| w == [PUSH1, target, JUMPI]));
        }
        assert_eq!(runtime.iter().filter(|&&op| op == DELEGATECALL).count(), 1);

        let views = Address::repeat_byte(0x71);
        let init = proxy_initcode(beacon, views);
        assert_eq!(init.len(), 247 + 101);
        assert_eq!(&init[247..], runtime.as_slice());
        assert_eq!(init[usize::from(PROXY_INIT_BAD)], JUMPDEST);
        // The slot and the event topic, pushed in full.
        let find = |needle: &[u8]| init.windows(needle.len()).position(|w| w == needle);
        assert_eq!(find(BEACON_SLOT.as_slice()), Some(48));
        assert_eq!(find(views.as_slice()), Some(82));
        assert_eq!(find(VIEWS_SLOT.as_slice()), Some(103));
        assert_eq!(
            find(keccak256("BeaconUpgraded(address)").as_slice()),
            Some(158)
        );
        // CODECOPY of 101 bytes from 247.
        assert!(init.windows(5).any(|w| w == [PUSH1, 101, DUP1, PUSH1, 247]));
    }
}
