//! The broker's side of FineTuningServing: its service, its users'
//! sub-accounts and deliverables, and settlement, as the provider.

use alloy::{
    primitives::{Address, Bytes, U256},
    sol_types::SolError,
};

use crate::chain::{Chain, ChainError};

alloy::sol!(
    #[derive(Debug, PartialEq, Eq)]
    FineTuningServing,
    "../abi/FineTuningServing.json"
);

use FineTuningServing as FT;
pub use IFineTuningServing::{AccountDetails, Deliverable, Quota, Service, VerifierInput};

/// FineTuningServing, called as the provider.
pub struct FineTuningChain(pub Chain);

/// A settlement the contract refused, with its reason
/// (`InvalidVerifierInput`), or another failure.
#[derive(Debug)]
pub enum SettleError {
    /// The contract refused the input: the reason.
    Refused(String),
    /// The node or another revert.
    Chain(ChainError),
}

impl FineTuningChain {
    /// The provider's service, or `None` when it has none.
    pub async fn service(&self) -> Result<Option<Service>, ChainError> {
        let provider = self.0.provider_address();
        match self.0.view(FT::getServiceCall { provider }).await {
            Ok(service) => Ok(Some(service._0)),
            Err(ChainError::Reverted(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Registers or updates the provider's service.
    pub async fn register(&self, service: &Service) -> Result<(), ChainError> {
        let call = FT::addOrUpdateServiceCall {
            url: service.url.clone(),
            quota: service.quota.clone(),
            pricePerToken: service.pricePerToken,
            providerSigner: service.providerSigner,
            occupied: service.occupied,
            models: service.models.clone(),
        };
        self.0.send(call).await.map(drop)
    }

    /// The lock time of refunds, in seconds.
    pub async fn lock_time(&self) -> Result<U256, ChainError> {
        Ok(self.0.view(FT::lockTimeCall {}).await?._0)
    }

    /// The sub-account of `user` with the provider, or `None`.
    pub async fn account(&self, user: Address) -> Result<Option<AccountDetails>, ChainError> {
        let provider = self.0.provider_address();
        match self.0.view(FT::getAccountCall { user, provider }).await {
            Ok(account) => Ok(Some(account._0)),
            Err(ChainError::Reverted(data))
                if data.starts_with(&FT::AccountNotExists::SELECTOR) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Deliverable `id` of `user`, or `None`.
    pub async fn deliverable(
        &self,
        user: Address,
        id: &str,
    ) -> Result<Option<Deliverable>, ChainError> {
        let call = FT::getDeliverableCall {
            user,
            provider: self.0.provider_address(),
            id: id.into(),
        };
        match self.0.view(call).await {
            Ok(deliverable) => Ok(Some(deliverable._0)),
            Err(ChainError::Reverted(data))
                if data.starts_with(&FT::DeliverableNotExists::SELECTOR)
                    || data.starts_with(&FT::AccountNotExists::SELECTOR) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Adds deliverable `id` of `user` with `root`.
    pub async fn add_deliverable(
        &self,
        user: Address,
        id: &str,
        root: Bytes,
    ) -> Result<(), ChainError> {
        let call = FT::addDeliverableCall {
            user,
            id: id.into(),
            modelRootHash: root,
        };
        self.0.send(call).await.map(drop)
    }

    /// Sends `input` (`settleFees`).
    pub async fn settle(&self, input: VerifierInput) -> Result<(), SettleError> {
        let call = FT::settleFeesCall {
            verifierInput: input,
        };
        match self.0.send(call).await {
            Ok(_) => Ok(()),
            Err(ChainError::Reverted(data)) => {
                match FT::InvalidVerifierInput::abi_decode(&data, true) {
                    Ok(refusal) => Err(SettleError::Refused(refusal.reason)),
                    Err(_) => Err(SettleError::Chain(ChainError::Reverted(data))),
                }
            }
            Err(error) => Err(SettleError::Chain(error)),
        }
    }
}
