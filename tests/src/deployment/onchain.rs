//! What a deployment asks of the chain and sends to it: the [`survey`]
//! (nonce, activated code hashes, activation quotes), the execution of a
//! [`Plan`], and [`deploy()`] for the three steps.

use std::collections::HashMap;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, B256, U256},
    providers::{Provider, WalletProvider as _},
    rpc::types::{
        state::{AccountOverride, StateOverride},
        TransactionReceipt, TransactionRequest,
    },
    sol_types::SolInterface,
    transports::Transport,
};

use super::{
    plan,
    stylus_deployer::{self, STYLUS_DEPLOYER},
    Activation, ArbWasm, Artifacts, DeployError, Plan, Program, Settings, Step, ARB_WASM,
    FEE_BUMP_PERCENT,
};
use crate::chain::{self, ChainError, WalletProvider};

/// What a deployment needs to know of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survey {
    /// The chain id.
    pub chain_id: u64,
    /// The sender's next nonce.
    pub nonce: u64,
    /// The StylusDeployer's nonce; `None`: the chain has no StylusDeployer.
    pub deployer_nonce: Option<u64>,
    /// ArbWasm's Stylus version.
    pub stylus_version: u16,
    /// Per code hash: whether the program needs activation, with what
    /// value.
    pub activations: HashMap<B256, Activation>,
}

impl Survey {
    /// Whether `program` must be activated (see [`plan`]).
    pub fn activation(&self, program: &Program) -> Activation {
        self.activations
            .get(&program.code_hash())
            .copied()
            .unwrap_or(Activation::Unknown)
    }
}

/// The balance given to the sender, by a state override, to quote a data
/// fee, and the value sent with the quote.
const QUOTE_VALUE: u128 = 1_000_000_000_000_000_000_000;

/// Asks the chain behind `provider` what a deployment of `artifacts` by
/// `sender` needs: its chain id, the sender's nonce, and for each program
/// whether its code hash is activated (`ArbWasm.codehashVersion`) or, if
/// not, the activation data fee (`ArbWasm.activateProgram` in an `eth_call`
/// with the program's code put at a scratch address by a state override,
/// as cargo stylus does), plus [`FEE_BUMP_PERCENT`] %. Sends nothing.
///
/// Errors: [`DeployError::Unreachable`] when the first request fails,
/// [`DeployError::NotStylus`] without ArbWasm, [`DeployError::Rpc`].
pub async fn survey<P, T>(
    provider: &P,
    sender: Address,
    artifacts: &Artifacts,
) -> Result<Survey, DeployError>
where
    P: Provider<T>,
    T: Transport + Clone,
{
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|e| DeployError::Unreachable(e.to_string()))?;
    let rpc = |e: alloy::transports::TransportError| DeployError::Rpc(e.to_string());
    let nonce = provider.get_transaction_count(sender).await.map_err(rpc)?;
    let arb_wasm = ArbWasm::new(ARB_WASM, provider);
    let stylus_version = arb_wasm
        .stylusVersion()
        .call()
        .await
        .map_err(|e| {
            DeployError::NotStylus(format!("ArbWasm.stylusVersion at {ARB_WASM} failed: {e}"))
        })?
        .version;
    let deployer_nonce = stylus_deployer::installed_nonce(provider)
        .await
        .map_err(rpc)?;
    let mut activations = HashMap::new();
    for program in artifacts.programs() {
        let hash = program.code_hash();
        if let std::collections::hash_map::Entry::Vacant(entry) = activations.entry(hash) {
            entry.insert(activation(provider, sender, program).await?);
        }
    }
    Ok(Survey {
        chain_id,
        nonce,
        deployer_nonce,
        stylus_version,
        activations,
    })
}

/// Whether `program` needs activation on the chain behind `provider`
/// (`ArbWasm.codehashVersion` of its code hash) and, if so, the value that
/// activates it (quoted for `sender`, see [`survey`]). Sends nothing.
///
/// Errors: [`DeployError::Rpc`].
pub async fn activation<P, T>(
    provider: &P,
    sender: Address,
    program: &Program,
) -> Result<Activation, DeployError>
where
    P: Provider<T>,
    T: Transport + Clone,
{
    let arb_wasm = ArbWasm::new(ARB_WASM, provider);
    let hash = program.code_hash();
    match arb_wasm.codehashVersion(hash).call().await {
        Ok(_) => Ok(Activation::Active),
        Err(error) => {
            match revert_data(&error)
                .and_then(|data| ArbWasm::ArbWasmErrors::abi_decode(&data, true).ok())
            {
                Some(
                    ArbWasm::ArbWasmErrors::ProgramNotActivated(_)
                    | ArbWasm::ArbWasmErrors::ProgramNeedsUpgrade(_)
                    | ArbWasm::ArbWasmErrors::ProgramExpired(_),
                ) => Ok(Activation::Needed {
                    value: quote(&arb_wasm, sender, program).await?,
                }),
                _ => Err(DeployError::Rpc(format!(
                    "ArbWasm.codehashVersion({hash}) of {}: {error}",
                    program.name
                ))),
            }
        }
    }
}

/// The revert data of a failed contract call, if the node returned some.
fn revert_data(error: &alloy::contract::Error) -> Option<Bytes> {
    match error {
        alloy::contract::Error::TransportError(e) => e.as_error_resp()?.as_revert_data(),
        _ => None,
    }
}

/// The value that activates `program`: ArbWasm's data fee plus
/// [`FEE_BUMP_PERCENT`] %.
async fn quote<P, T>(
    arb_wasm: &ArbWasm::ArbWasmInstance<T, &P>,
    sender: Address,
    program: &Program,
) -> Result<U256, DeployError>
where
    P: Provider<T>,
    T: Transport + Clone,
{
    let scratch = Address::from_word(program.code_hash());
    let overrides: StateOverride = [
        (
            sender,
            AccountOverride {
                balance: Some(U256::from(QUOTE_VALUE) * U256::from(2u64)),
                ..AccountOverride::default()
            },
        ),
        (
            scratch,
            AccountOverride {
                code: Some(Bytes::copy_from_slice(program.code())),
                ..AccountOverride::default()
            },
        ),
    ]
    .into_iter()
    .collect();
    let quoted = arb_wasm
        .activateProgram(scratch)
        .from(sender)
        .value(U256::from(QUOTE_VALUE))
        .state(overrides)
        .call()
        .await
        .map_err(|e| {
            DeployError::Rpc(format!(
                "quoting the activation of {} (ArbWasm.activateProgram with a state override): {e}",
                program.name
            ))
        })?;
    Ok(quoted.dataFee * U256::from(100 + FEE_BUMP_PERCENT) / U256::from(100u64))
}

/// A short account of a failed transaction.
fn describe(error: &ChainError) -> String {
    match error {
        ChainError::Reverted(receipt) => format!(
            "transaction {} was mined but reverted (gas used {})",
            receipt.transaction_hash, receipt.gas_used
        ),
        other => other.to_string(),
    }
}

/// Sends the transactions of `plan` from `wallet` (whose account must be
/// the plan's sender, at the plan's first nonce; the StylusDeployer at the
/// plan's nonce), one by one, each checked: it succeeded, the program landed
/// at its planned address (the StylusDeployer's `ContractDeployed`, or the
/// predicted EVM deployer) and has code there. Calls `sent` after each. Then checks that every
/// program is activated (`ArbWasm.programVersion`). Returns the receipts.
///
/// Nothing is sent when the sender or its nonce does not match. A failed
/// transaction stops the deployment ([`DeployError::Step`]); the earlier
/// ones stay on chain, each of them complete (created, activated,
/// initialized) or absent.
pub async fn execute(
    wallet: &WalletProvider,
    plan: &Plan,
    mut sent: impl FnMut(usize, &Step, &TransactionReceipt),
) -> Result<Vec<TransactionReceipt>, DeployError> {
    let sender = wallet.default_signer_address();
    if sender != plan.sender {
        return Err(DeployError::WrongSender {
            planned: plan.sender,
            wallet: sender,
        });
    }
    let rpc = |e: alloy::transports::TransportError| DeployError::Rpc(e.to_string());
    let found = wallet.get_transaction_count(sender).await.map_err(rpc)?;
    if found != plan.first_nonce {
        return Err(DeployError::NonceMoved {
            planned: plan.first_nonce,
            found,
        });
    }
    if plan
        .steps
        .iter()
        .any(|step| step.to == Some(STYLUS_DEPLOYER))
    {
        let found = stylus_deployer::installed_nonce(wallet)
            .await
            .map_err(rpc)?
            .ok_or(DeployError::NoStylusDeployer)?;
        if found != plan.deployer_nonce {
            return Err(DeployError::DeployerNonceMoved {
                planned: plan.deployer_nonce,
                found,
            });
        }
    }
    let mut receipts = Vec::with_capacity(plan.steps.len());
    for (i, step) in plan.steps.iter().enumerate() {
        let failed = |reason: String| DeployError::Step {
            index: i + 1,
            label: step.label.clone(),
            reason,
        };
        let tx = TransactionRequest::default()
            .with_nonce(step.nonce)
            .with_value(step.value)
            .with_input(step.data.clone());
        let tx = match step.to {
            Some(to) => tx.with_to(to),
            None => tx.into_create(),
        };
        let receipt = chain::send_tx(wallet, tx)
            .await
            .map_err(|e| failed(describe(&e)))?;
        if step.to.is_none() && receipt.contract_address != Some(step.deployer) {
            return Err(failed(format!(
                "it created {:?}, not the predicted deployer {}",
                receipt.contract_address, step.deployer
            )));
        }
        if step.to == Some(STYLUS_DEPLOYER) {
            let landed = stylus_deployer::deployed_address(&receipt);
            if landed != Some(step.address) {
                return Err(failed(format!(
                    "the StylusDeployer created {landed:?}, not {} as planned (another \
                     deployment went through it in between)",
                    step.address
                )));
            }
        }
        let code = wallet.get_code_at(step.address).await.map_err(rpc)?;
        if code.is_empty() {
            return Err(failed(format!("no code at {}", step.address)));
        }
        sent(i, step, &receipt);
        receipts.push(receipt);
    }
    let arb_wasm = ArbWasm::new(ARB_WASM, wallet);
    for (i, step) in plan.steps.iter().enumerate() {
        if step.code_hash.is_none() {
            continue;
        }
        if let Err(e) = arb_wasm.programVersion(step.address).call().await {
            return Err(DeployError::Step {
                index: i + 1,
                label: step.label.clone(),
                reason: format!(
                    "{} is not activated: ArbWasm.programVersion failed: {e}",
                    step.address
                ),
            });
        }
    }
    Ok(receipts)
}

/// A completed deployment.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// What the chain said before the first transaction.
    pub survey: Survey,
    /// The transactions sent (all of them).
    pub plan: Plan,
    /// Their receipts, in order.
    pub receipts: Vec<TransactionReceipt>,
}

/// [`survey`], [`plan`] and [`execute`]: deploys `artifacts` from `wallet`'s
/// account at its next nonce.
pub async fn deploy(
    wallet: &WalletProvider,
    artifacts: &Artifacts,
    settings: &Settings,
) -> Result<Deployment, DeployError> {
    let sender = wallet.default_signer_address();
    let survey = survey(wallet, sender, artifacts).await?;
    let deployer_nonce = survey.deployer_nonce.ok_or(DeployError::NoStylusDeployer)?;
    let plan = plan(
        artifacts,
        settings,
        sender,
        survey.nonce,
        deployer_nonce,
        |p| survey.activation(p),
    );
    let receipts = execute(wallet, &plan, |_, _, _| {}).await?;
    Ok(Deployment {
        survey,
        plan,
        receipts,
    })
}
