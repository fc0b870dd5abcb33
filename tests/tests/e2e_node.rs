//! The end-to-end harness itself, on the real node: start, dev accounts,
//! deployment of EVM and Stylus code, calls, time, the code size limit, and
//! the built artifacts when they exist.
//!
//! Every test starts its own node (a fresh chain) and is skipped, with a
//! plain message, when arbos-anvil is not found; in CI that is a failure.

use alloy::{
    network::TransactionBuilder,
    primitives::{address, hex, Address, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use serving_harness::{
    chain::{self, ChainError, DEFAULT_CODE_SIZE_LIMIT},
    node_or_skip,
};

/// EVM runtime returning the word 42: PUSH1 42, PUSH1 0, MSTORE, PUSH1 32,
/// PUSH1 0, RETURN.
const RUNTIME_42: [u8; 10] = hex!("602a60005260206000f3");

/// Stored Stylus code (`0xEFF00000 ‖ brotli(wasm)`) of a hand-written
/// 143-byte program that returns the word 42:
///
/// ```wat
/// (module
///   (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
///   (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
///   (memory (export "memory") 1)
///   (func (export "user_entrypoint") (param i32) (result i32)
///     (i32.store8 (i32.const 31) (i32.const 42))
///     (call $write_result (i32.const 0) (i32.const 32))
///     (i32.const 0)))
/// ```
///
/// Activation requires the `pay_for_memory_grow` import even though the
/// program never grows its memory. The brotli stream is a single
/// uncompressed meta-block (header `e0 08 10`, the wasm), then the empty
/// last meta-block `03`, which any decoder accepts.
const STYLUS_42: [u8; 151] = hex!(
    "eff00000e00810"
    "0061736d01000000010f0360017f017f60027f7f0060017f0002380208766d5f686f"
    "6f6b730c77726974655f726573756c74000108766d5f686f6f6b73137061795f666f"
    "725f6d656d6f72795f67726f770002030201000503010001071c02066d656d6f7279"
    "02000f757365725f656e747279706f696e7400020a13011100411f412a3a00004100"
    "4120100041000b"
    "03"
);

/// Whether a failed call is a refused activation rather than a revert of
/// the program itself: the node reports activation failures as text.
fn is_activation_failure(message: &str) -> bool {
    [
        "Middleware error",
        "failed to parse",
        "wasm",
        "activat",
        "missing import",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

fn word(n: u64) -> Bytes {
    Bytes::from(U256::from(n).to_be_bytes::<32>())
}

/// Deploys `code` from dev account 0 and checks that it is stored as is.
async fn deploy_code(node: &chain::Node, code: &[u8]) -> Address {
    let at = chain::deploy(&node.wallet(0), &serving_scripts::evm::initcode(code))
        .await
        .unwrap();
    let stored = node.provider().get_code_at(at).await.unwrap();
    assert_eq!(stored, Bytes::copy_from_slice(code));
    at
}

async fn call(node: &chain::Node, to: Address) -> Result<Bytes, alloy::transports::TransportError> {
    node.provider()
        .call(&TransactionRequest::default().with_to(to))
        .await
}

#[tokio::test]
async fn node_starts_with_funded_dev_accounts() {
    let started = std::time::Instant::now();
    let node = node_or_skip!();
    eprintln!(
        "node {} up at {} in {:?}",
        node.path().display(),
        node.url(),
        started.elapsed()
    );

    let provider = node.provider();
    assert_eq!(provider.get_chain_id().await.unwrap(), node.chain_id());
    assert_eq!(node.chain_id(), 31337);
    assert_eq!(node.url().host_str(), Some("127.0.0.1"));
    assert_eq!(node.dev_keys().len(), 10);
    // The standard anvil mnemonic's first account.
    assert_eq!(
        node.dev_address(0),
        address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
    let balance = provider.get_balance(node.dev_address(0)).await.unwrap();
    assert_eq!(
        balance,
        U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
    );
}

#[tokio::test]
async fn deploys_and_calls_an_evm_contract() {
    let node = node_or_skip!();
    let contract = deploy_code(&node, &RUNTIME_42).await;
    assert_eq!(call(&node, contract).await.unwrap(), word(42));
}

#[tokio::test]
async fn failed_creation_reports_the_receipt() {
    let node = node_or_skip!();
    let owner = node.wallet(0);
    // PUSH1 0, PUSH1 0, REVERT.
    let reverting = hex!("60006000fd");
    // Estimation already fails: the error says so.
    match chain::deploy(&owner, &reverting).await {
        Err(ChainError::Rpc(e)) => eprintln!("estimation refused the creation: {e}"),
        other => panic!("expected an RPC error, got {other:?}"),
    }
    // With a fixed gas limit the transaction is mined and fails.
    let tx = TransactionRequest::default()
        .with_deploy_code(reverting.to_vec())
        .with_gas_limit(100_000);
    match chain::send_tx(&owner, tx).await {
        Err(ChainError::Reverted(receipt)) => assert!(!receipt.status()),
        other => panic!("expected a failed receipt, got {other:?}"),
    }
}

#[tokio::test]
async fn increase_time_moves_the_block_timestamp() {
    let node = node_or_skip!();
    let before = node.latest_timestamp().await.unwrap();
    let after = node.increase_time(7 * 24 * 3600).await.unwrap();
    assert!(after >= before + 7 * 24 * 3600, "{before} -> {after}");
    assert!(after < before + 7 * 24 * 3600 + 60, "{before} -> {after}");
    // Blocks mined by later transactions keep the offset.
    let receipt = chain::send_tx(
        &node.wallet(1),
        TransactionRequest::default()
            .with_to(node.dev_address(2))
            .with_value(U256::from(1u64)),
    )
    .await
    .unwrap();
    let block = node
        .provider()
        .get_block_by_number(receipt.block_number.unwrap().into(), Default::default())
        .await
        .unwrap()
        .unwrap();
    assert!(block.header.timestamp >= after);
    // An exact next timestamp.
    node.set_next_block_timestamp(after + 1000).await.unwrap();
    node.mine().await.unwrap();
    assert_eq!(node.latest_timestamp().await.unwrap(), after + 1000);
}

#[tokio::test]
async fn funded_accounts_can_transact() {
    let node = node_or_skip!();
    let one_eth = U256::from(10u64).pow(U256::from(18u64));
    let (user, wallet) = node.funded_account(one_eth).await.unwrap();
    let (other, _) = node.funded_account(one_eth).await.unwrap();
    assert_ne!(user.address(), other.address());
    assert_eq!(
        node.provider().get_balance(user.address()).await.unwrap(),
        one_eth
    );
    let contract = chain::deploy(&wallet, &serving_scripts::evm::initcode(&RUNTIME_42))
        .await
        .unwrap();
    assert_eq!(call(&node, contract).await.unwrap(), word(42));
    assert!(node.provider().get_balance(user.address()).await.unwrap() < one_eth);
}

#[tokio::test]
async fn the_code_size_limit_is_mainnets() {
    let node = node_or_skip!();
    let owner = node.wallet(0);
    let at_limit = vec![0u8; DEFAULT_CODE_SIZE_LIMIT];
    chain::deploy(&owner, &serving_scripts::evm::initcode(&at_limit))
        .await
        .unwrap();
    let over = vec![0u8; DEFAULT_CODE_SIZE_LIMIT + 1];
    let err = chain::deploy(&owner, &serving_scripts::evm::initcode(&over))
        .await
        .unwrap_err();
    eprintln!("{} bytes refused: {err}", over.len());
}

#[tokio::test]
async fn stylus_program_is_activated_by_its_first_call() {
    let node = node_or_skip!();
    let owner = node.wallet(0);
    let program = deploy_code(&node, &STYLUS_42).await;
    // First call: activation by the node, then execution.
    assert_eq!(call(&node, program).await.unwrap(), word(42));
    // As a transaction: Stylus gas in the receipt.
    let receipt = chain::send_tx(&owner, TransactionRequest::default().with_to(program))
        .await
        .unwrap();
    eprintln!(
        "tiny Stylus call as a transaction: {} gas",
        receipt.gas_used
    );

    // The same program without `user_entrypoint` is stored, but refused at
    // its first call.
    let mut broken = STYLUS_42;
    let at = broken
        .windows(15)
        .position(|w| w == b"user_entrypoint")
        .unwrap();
    broken[at + 14] = b'x';
    let program = chain::deploy(&owner, &serving_scripts::evm::initcode(&broken))
        .await
        .unwrap();
    let err = call(&node, program).await.unwrap_err().to_string();
    assert!(is_activation_failure(&err), "{err}");
    eprintln!("invalid program refused at its first call: {err}");
}

/// The built contracts, when `cargo xtask build` has run: each is deployed
/// and called once (activation); a call may revert (empty calldata), but
/// activation must not fail.
#[tokio::test]
async fn built_artifacts_deploy_and_activate() {
    let dir = chain::artifact_path("x").parent().unwrap().to_path_buf();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| {
                    e.ok()?
                        .file_name()
                        .into_string()
                        .ok()?
                        .strip_suffix(".initcode")
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        eprintln!(
            "no artifacts in {}: run `cargo xtask build` to test them here",
            dir.display()
        );
        return;
    }
    names.sort();
    let node = node_or_skip!();
    let owner = node.wallet(0);
    for name in names {
        let initcode = chain::artifact(&name);
        let address = chain::deploy(&owner, &initcode)
            .await
            .unwrap_or_else(|e| panic!("{name}: deployment failed: {e}"));
        let code = node.provider().get_code_at(address).await.unwrap();
        assert!(code.starts_with(&hex!("eff000")), "{name}: not Stylus code");
        assert!(
            code.len() <= DEFAULT_CODE_SIZE_LIMIT,
            "{name}: {} bytes",
            code.len()
        );
        match call(&node, address).await {
            Ok(out) => eprintln!(
                "{name}: {} bytes stored, empty call returned {out}",
                code.len()
            ),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    !is_activation_failure(&msg),
                    "{name}: activation failed: {msg}"
                );
                eprintln!(
                    "{name}: {} bytes stored, empty call reverted: {msg}",
                    code.len()
                );
            }
        }
    }
}
