//! The broker's side of InferenceServing: its service, its users'
//! sub-accounts, and settlement, over JSON-RPC with the provider's key.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
    transports::http::reqwest::Url,
};

alloy::sol!(
    #[derive(Debug, PartialEq, Eq)]
    InferenceServing,
    "../abi/InferenceServing.json"
);

pub use IInferenceServing::{Account, Service, ServiceParams, TEESettlementData};
use InferenceServing as IS;

/// The largest batch InferenceServing settles in one call.
pub const MAX_BATCH: usize = 500;

/// A failure talking to the chain.
#[derive(Debug)]
pub enum ChainError {
    /// The node could not be reached or answered with an error.
    Rpc(String),
    /// The call reverted, with its revert data.
    Reverted(Vec<u8>),
}

impl core::fmt::Display for ChainError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ChainError::Rpc(message) => write!(f, "rpc: {message}"),
            ChainError::Reverted(data) => {
                write!(f, "reverted: 0x{}", alloy::primitives::hex::encode(data))
            }
        }
    }
}

impl std::error::Error for ChainError {}

fn rpc(error: impl core::fmt::Display) -> ChainError {
    ChainError::Rpc(error.to_string())
}

/// A node's answer to a call or a transaction: its revert data when it
/// reverted, else the error.
fn node_error(error: alloy::transports::TransportError) -> ChainError {
    match error.as_error_resp().and_then(|e| e.as_revert_data()) {
        Some(data) => ChainError::Reverted(data.to_vec()),
        None => rpc(error),
    }
}

/// A settlement transaction's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettleOutcome {
    /// The transaction hash.
    pub tx: alloy::primitives::B256,
    /// Users whose record failed, with the reason of its
    /// `TEESettlementFailed` event.
    pub failed: Vec<(Address, String)>,
    /// Gas used.
    pub gas_used: u64,
    /// What the transaction cost the provider (wei).
    pub gas_cost: U256,
}

/// InferenceServing at `contract`, called as the provider.
pub struct Chain {
    url: Url,
    signer: PrivateKeySigner,
    contract: Address,
}

impl Chain {
    /// A client of `contract` on the node at `url`, sending as `signer`
    /// (the provider).
    pub fn new(url: Url, signer: PrivateKeySigner, contract: Address) -> Self {
        Chain {
            url,
            signer,
            contract,
        }
    }

    /// The provider's address.
    pub fn provider_address(&self) -> Address {
        self.signer.address()
    }

    pub(crate) async fn view<C: SolCall>(&self, call: C) -> Result<C::Return, ChainError> {
        let provider = ProviderBuilder::new().on_http(self.url.clone());
        let tx = TransactionRequest::default()
            .with_from(self.signer.address())
            .with_to(self.contract)
            .with_input(call.abi_encode());
        let output = provider.call(&tx).await.map_err(node_error)?;
        C::abi_decode_returns(&output, true).map_err(rpc)
    }

    pub(crate) async fn send<C: SolCall>(
        &self,
        call: C,
    ) -> Result<alloy::rpc::types::TransactionReceipt, ChainError> {
        let provider = ProviderBuilder::new()
            .with_recommended_fillers()
            .wallet(EthereumWallet::from(self.signer.clone()))
            .on_http(self.url.clone());
        let tx = TransactionRequest::default()
            .with_to(self.contract)
            .with_input(call.abi_encode());
        let pending = provider.send_transaction(tx).await.map_err(node_error)?;
        let receipt = pending.get_receipt().await.map_err(rpc)?;
        if !receipt.status() {
            return Err(ChainError::Reverted(Vec::new()));
        }
        Ok(receipt)
    }

    /// The provider's service, or `None` when it has none.
    pub async fn service(&self) -> Result<Option<Service>, ChainError> {
        let call = IS::getServiceCall {
            provider: self.signer.address(),
        };
        match self.view(call).await {
            Ok(service) => Ok(Some(service._0)),
            Err(ChainError::Reverted(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Registers or updates the provider's service.
    pub async fn register(&self, params: ServiceParams) -> Result<(), ChainError> {
        self.send(IS::addOrUpdateServiceCall { params }).await?;
        Ok(())
    }

    /// The provider's sub-accounts with `users` (zeroed for a user without
    /// one), in order.
    pub async fn accounts(&self, users: &[Address]) -> Result<Vec<Account>, ChainError> {
        let mut accounts = Vec::with_capacity(users.len());
        for chunk in users.chunks(MAX_BATCH) {
            let call = IS::getBatchAccountsByUsersCall {
                users: chunk.to_vec(),
            };
            accounts.extend(self.view(call).await?._0);
        }
        Ok(accounts)
    }

    /// Sends `records` in one `settleFeesWithTEE` and reads which failed.
    pub async fn settle(
        &self,
        records: Vec<TEESettlementData>,
    ) -> Result<SettleOutcome, ChainError> {
        let receipt = self
            .send(IS::settleFeesWithTEECall {
                settlements: records,
            })
            .await?;
        let mut failed = Vec::new();
        for log in receipt.inner.logs() {
            if log.address() != self.contract
                || log.topic0() != Some(&IS::TEESettlementFailed::SIGNATURE_HASH)
            {
                continue;
            }
            let event = IS::TEESettlementFailed::decode_log_data(log.data(), true).map_err(rpc)?;
            failed.push((event.user, event.reason));
        }
        Ok(SettleOutcome {
            tx: receipt.transaction_hash,
            failed,
            gas_used: receipt.gas_used,
            gas_cost: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price),
        })
    }
}

/// What a sub-account leaves to spend: balance minus pending refunds.
pub fn spendable(account: &Account) -> U256 {
    account.balance.saturating_sub(account.pendingRefund)
}
