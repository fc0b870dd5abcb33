//! The chain's StylusDeployer, what `cargo stylus deploy` uses: one
//! transaction creates a program, activates it (the transaction's value pays
//! the data fee; the rest comes back) and calls its `#[constructor]`. On
//! Arbitrum chains it is at [`STYLUS_DEPLOYER`]; [`install`] puts the same
//! runtime code there on a local node (`../shared/vendor/stylus-deployer`).
//!
//! Created without a salt (as `cargo stylus deploy` does by default), a
//! program lands at `create(STYLUS_DEPLOYER, n)`, where `n` is the
//! StylusDeployer's nonce when the transaction runs, so a set of contracts
//! that name each other is planned from that nonce and checked against each
//! [`StylusDeployer::ContractDeployed`] event: another deployment through the
//! StylusDeployer in between moves the addresses (see `docs/deployment.md`).

use std::path::PathBuf;

use alloy::{
    primitives::{address, keccak256, Address, Bytes, B256, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::{SolEvent, SolValue},
    transports::{Transport, TransportError},
};

use super::{activation, Activation, Program};
use crate::{
    chain::{workspace_root, ChainError, WalletProvider},
    e2e::send_tx,
};

alloy::sol! {
    /// The StylusDeployer of the Nitro contracts (`src/stylus/StylusDeployer.sol`).
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    interface StylusDeployer {
        event ContractDeployed(address deployedContract);

        error ContractDeploymentError(bytes bytecode);
        error ContractInitializationError(address newContract, bytes data);
        error RefundExcessValueError(uint256 excessValue);
        error EmptyBytecode();
        error InitValueButNotInitData();

        function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt) external payable returns (address);
    }
}

/// Where Arbitrum chains have the StylusDeployer.
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");

/// The calldata of a Stylus `#[constructor]` whose arguments ABI-encode to
/// `args`: the selector of `stylus_constructor()`, then `args`. What
/// `cargo stylus deploy --constructor-args` makes the StylusDeployer send.
pub fn constructor_call(args: Vec<u8>) -> Bytes {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend(args);
    data.into()
}

/// LedgerManager's `constructor(inference, fineTuning, owner)`.
pub fn ledger_constructor(inference: Address, fine_tuning: Address, owner: Address) -> Bytes {
    constructor_call((inference, fine_tuning, owner).abi_encode_params())
}

/// InferenceServing's `constructor(lockTime, ledger, owner, views)`.
pub fn inference_constructor(
    lock_time: U256,
    ledger: Address,
    owner: Address,
    views: Address,
) -> Bytes {
    constructor_call((lock_time, ledger, owner, views).abi_encode_params())
}

/// FineTuningServing's
/// `constructor(lockTime, ledger, owner, penaltyPercentage, views)`.
pub fn fine_tuning_constructor(
    lock_time: U256,
    ledger: Address,
    owner: Address,
    penalty_percentage: U256,
    views: Address,
) -> Bytes {
    constructor_call((lock_time, ledger, owner, penalty_percentage, views).abi_encode_params())
}

/// The vendored build of the StylusDeployer
/// (`../shared/vendor/stylus-deployer/StylusDeployer.json`).
pub fn vendored_json() -> PathBuf {
    workspace_root().join("../shared/vendor/stylus-deployer/StylusDeployer.json")
}

/// Puts the StylusDeployer's runtime code (from [`vendored_json`]) at
/// [`STYLUS_DEPLOYER`] on a node that has `anvil_setCode` (arbos-anvil).
///
/// # Errors
///
/// [`ChainError::Vendored`] when the file is missing or malformed; the node's
/// error otherwise.
pub async fn install<P, T>(provider: &P) -> Result<(), ChainError>
where
    P: Provider<T>,
    T: Transport + Clone,
{
    let path = vendored_json();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ChainError::Vendored(format!("{}: {e}", path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ChainError::Vendored(format!("{}: {e}", path.display())))?;
    let code = json["deployedBytecode"]
        .as_str()
        .ok_or_else(|| ChainError::Vendored(format!("{}: no deployedBytecode", path.display())))?;
    let code: Bytes = code
        .parse()
        .map_err(|e| ChainError::Vendored(format!("{}: {e}", path.display())))?;
    let () = provider
        .raw_request("anvil_setCode".into(), (STYLUS_DEPLOYER, code))
        .await?;
    Ok(())
}

/// [`install`]s the StylusDeployer unless the chain has code at
/// [`STYLUS_DEPLOYER`] (every Arbitrum chain does; a fresh local node does
/// not).
///
/// # Errors
///
/// Those of [`install`], or the node's.
pub async fn ensure_installed<P, T>(provider: &P) -> Result<(), ChainError>
where
    P: Provider<T>,
    T: Transport + Clone,
{
    if installed_nonce(provider).await?.is_none() {
        install(provider).await?;
    }
    Ok(())
}

/// The StylusDeployer's nonce (see [`nonce`]), or `None` when the chain has
/// no code at [`STYLUS_DEPLOYER`].
///
/// # Errors
///
/// The node's.
pub async fn installed_nonce<P, T>(provider: &P) -> Result<Option<u64>, TransportError>
where
    P: Provider<T>,
    T: Transport + Clone,
{
    if provider.get_code_at(STYLUS_DEPLOYER).await?.is_empty() {
        return Ok(None);
    }
    Ok(Some(provider.get_transaction_count(STYLUS_DEPLOYER).await?))
}

/// The program a StylusDeployer transaction created: the address of its
/// `ContractDeployed` event, if the receipt has one.
pub fn deployed_address(receipt: &TransactionReceipt) -> Option<Address> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == STYLUS_DEPLOYER)
        .find_map(|log| StylusDeployer::ContractDeployed::decode_log_data(log.data(), true).ok())
        .map(|event| event.deployedContract)
}

/// The StylusDeployer's nonce: its next program without a salt lands at
/// `STYLUS_DEPLOYER.create(nonce)`, the one after at `nonce + 1`, and so on.
///
/// # Errors
///
/// The node's.
pub async fn nonce<P, T>(provider: &P) -> Result<u64, ChainError>
where
    P: Provider<T>,
    T: Transport + Clone,
{
    Ok(provider.get_transaction_count(STYLUS_DEPLOYER).await?)
}

/// [`deploy`], which must land at `planned` (its address was given to
/// other contracts ahead).
///
/// # Errors
///
/// Those of [`deploy`]; [`ChainError::Moved`] when the program landed
/// elsewhere (another deployment went through the StylusDeployer since the
/// addresses were planned).
pub async fn deploy_at(
    wallet: &WalletProvider,
    program: &Program,
    init_data: Bytes,
    planned: Address,
) -> Result<TransactionReceipt, ChainError> {
    let (address, receipt) = deploy(wallet, program, init_data).await?;
    if address != planned {
        return Err(ChainError::Moved {
            planned,
            landed: address,
        });
    }
    Ok(receipt)
}

/// Creates `program` through the StylusDeployer from `wallet`, activated
/// when the chain has not activated its code (the quoted data fee as the
/// transaction's value), and calls it with `init_data` (a
/// [`constructor_call`], or nothing) in the same transaction. Returns the
/// program's address, from the `ContractDeployed` event, and the receipt.
///
/// # Errors
///
/// [`ChainError::Activation`] when the chain cannot quote the activation;
/// the transaction's error (a failing constructor reverts it with
/// `ContractInitializationError`); [`ChainError::NoContractAddress`] when
/// the receipt names no deployed program.
pub async fn deploy(
    wallet: &WalletProvider,
    program: &Program,
    init_data: Bytes,
) -> Result<(Address, TransactionReceipt), ChainError> {
    let sender = alloy::providers::WalletProvider::default_signer_address(wallet);
    let value = match activation(wallet, sender, program)
        .await
        .map_err(|e| ChainError::Activation(e.to_string()))?
    {
        Activation::Needed { value } => value,
        _ => U256::ZERO,
    };
    let call = StylusDeployer::new(STYLUS_DEPLOYER, wallet)
        .deploy(program.initcode.clone(), init_data, U256::ZERO, B256::ZERO)
        .value(value)
        .into_transaction_request();
    let receipt = send_tx(wallet, call).await?;
    match deployed_address(&receipt) {
        Some(address) => Ok((address, receipt)),
        None => Err(ChainError::NoContractAddress(Box::new(receipt))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructor_calls_use_the_sdk_selector() {
        let inference = Address::repeat_byte(0xbe);
        let call = ledger_constructor(inference, Address::ZERO, Address::repeat_byte(1));
        // Selector, inference, fine-tuning, owner.
        assert_eq!(call.len(), 4 + 3 * 32);
        assert_eq!(
            u32::from_be_bytes(call[..4].try_into().unwrap()),
            stylus_sdk::abi::CONSTRUCTOR_SELECTOR
        );
        assert_eq!(&call[4 + 12..4 + 32], inference.as_slice());
    }
}
