//! What the market needs from a chain: the public ABI of the three
//! contracts, as blocking calls by the market's actors. Two backends
//! implement it: the contracts' own code in process (motsu,
//! [`super::InProcess`]) and a real chain over JSON-RPC.

use std::fmt;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolError;
use serving_contracts::abi::{
    self,
    fine_tuning::{self as ft, Quota, VerifierInput},
    ServiceParams, TEESettlementData,
};

/// A sub-account kind: the ledger's `serviceType` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// InferenceServing.
    Inference,
    /// FineTuningServing.
    FineTuning,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::Inference, Kind::FineTuning];

    /// The ledger's name for it.
    pub fn service_type(self) -> &'static str {
        match self {
            Kind::Inference => "inference",
            Kind::FineTuning => "fine-tuning",
        }
    }
}

/// Why a call did not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The contract refused: its custom error, decoded (see [`describe_revert`]).
    Reverted(String),
    /// The backend itself failed (transport, node): the run cannot go on.
    Backend(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Reverted(error) => write!(f, "reverted: {error}"),
            Failure::Backend(error) => write!(f, "backend: {error}"),
        }
    }
}

impl std::error::Error for Failure {}

/// The result of a call.
pub type Outcome<T> = Result<T, Failure>;

/// Gas a transaction used and what it cost its sender (real chains only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// Gas used (receipt).
    pub used: u64,
    /// Gas used times the effective gas price, in wei.
    pub cost: U256,
}

/// The outcome of one `settleFeesWithTEE` transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settlement {
    /// The records that failed: user and the reason of its
    /// `TEESettlementFailed` event, in batch order.
    pub failed: Vec<(Address, String)>,
    /// Gas, on a real chain.
    pub gas: Option<Gas>,
}

/// A sub-account: its user, its provider and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubAccount {
    /// The user.
    pub user: Address,
    /// The provider.
    pub provider: Address,
    /// Inference or fine-tuning.
    pub kind: Kind,
}

impl SubAccount {
    /// The sub-account of `kind` of `user` with `provider`.
    pub fn new(user: Address, provider: Address, kind: Kind) -> Self {
        Self {
            user,
            provider,
            kind,
        }
    }
}

/// A fine-tuning service as a provider registers it.
#[derive(Clone, Debug)]
pub struct FineTuningService {
    /// Where users reach it.
    pub url: String,
    /// The resources of a task.
    pub quota: Quota,
    /// Price per token, wei.
    pub price_per_token: U256,
    /// The provider signer users acknowledge.
    pub signer: Address,
    /// The models it fine-tunes.
    pub models: Vec<String>,
}

/// A sub-account as `getAccount` returns it (the fields the market uses).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountState {
    /// Settled requests' highest nonce.
    pub nonce: U256,
    /// Balance, pending refunds included.
    pub balance: U256,
    /// Sum of the live refunds.
    pub pending_refund: U256,
    /// The live refunds' amounts.
    pub refunds: Vec<U256>,
    /// The acknowledged signer (TEE signer for inference, provider signer
    /// for fine-tuning; zero: none).
    pub signer: Address,
}

impl AccountState {
    /// An account's state from its fields.
    pub fn new(
        nonce: U256,
        balance: U256,
        pending_refund: U256,
        refunds: Vec<U256>,
        signer: Address,
    ) -> Self {
        Self {
            nonce,
            balance,
            pending_refund,
            refunds,
            signer,
        }
    }
}

/// A ledger as `getLedger` returns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerState {
    /// Not in any sub-account.
    pub available: U256,
    /// Available plus every sub-account's balance.
    pub total: U256,
    /// The providers of the user's sub-accounts, per kind (in
    /// [`Kind::ALL`]'s order).
    pub providers: [Vec<Address>; 2],
}

/// The contracts as the market's actors use them. Every state-changing
/// call is made by the actor named first (`user` or `provider`).
pub trait Backend {
    /// A short name for reports ("in-process", "rpc").
    fn name(&self) -> &'static str;
    /// A new externally owned account holding `funds` (wei) for the
    /// market, plus what it needs for gas on a real chain.
    fn new_account(&mut self, funds: U256) -> Outcome<Address>;
    /// What the market's transactions cost in gas so far, in wei (zero in
    /// process): the money conservation check adds it back.
    fn gas_spent(&mut self) -> Outcome<U256>;
    /// An account's native balance.
    fn balance(&mut self, account: Address) -> Outcome<U256>;
    /// The native balances of `accounts`, in order (a chain backend reads
    /// them in one request).
    fn balances(&mut self, accounts: &[Address]) -> Outcome<Vec<U256>> {
        accounts.iter().map(|a| self.balance(*a)).collect()
    }
    /// The native balances of LedgerManager, InferenceServing and
    /// FineTuningServing.
    fn contract_balances(&mut self) -> Outcome<[U256; 3]>;
    /// The ledger's escrow of each serving contract (inference, then
    /// fine-tuning): what their sub-accounts hold, as the ledger keeps it.
    fn escrows(&mut self) -> Outcome<[U256; 2]>;
    /// The sub-accounts' refund lock time, in seconds.
    fn lock_time(&mut self) -> Outcome<u64>;
    /// Lets the refund lock time pass for every refund requested so far.
    fn elapse_lock(&mut self) -> Outcome<()>;

    /// `InferenceServing.addOrUpdateService(params)` by `provider`.
    fn add_inference_service(&mut self, provider: Address, params: ServiceParams) -> Outcome<()>;
    /// `FineTuningServing.addOrUpdateService(...)` by `provider`, not
    /// occupied.
    fn add_fine_tuning_service(
        &mut self,
        provider: Address,
        service: FineTuningService,
    ) -> Outcome<()>;

    /// `LedgerManager.addLedger` by `user` with `amount` as value.
    fn add_ledger(&mut self, user: Address, amount: U256) -> Outcome<()>;
    /// `LedgerManager.depositFund` by `user` with `amount` as value.
    fn deposit_fund(&mut self, user: Address, amount: U256) -> Outcome<()>;
    /// `LedgerManager.refund(amount)` by `user`.
    fn refund(&mut self, user: Address, amount: U256) -> Outcome<()>;
    /// `LedgerManager.transferFund(provider, kind, amount)` by `user` into
    /// the sub-account `to`.
    fn transfer_fund(&mut self, to: SubAccount, amount: U256) -> Outcome<()>;
    /// `LedgerManager.retrieveFund(providers, kind)` by `user`.
    fn retrieve_fund(&mut self, user: Address, providers: Vec<Address>, kind: Kind) -> Outcome<()>;
    /// `getLedger(user)`; `None` when the user has no ledger.
    fn ledger(&mut self, user: Address) -> Outcome<Option<LedgerState>>;

    /// `acknowledgeTEESigner(provider, signer)` (inference) or
    /// `acknowledgeProviderSigner(provider, signer)` (fine-tuning) by the
    /// user of `account`.
    fn acknowledge_signer(&mut self, account: SubAccount, signer: Address) -> Outcome<()>;
    /// `getAccount(user, provider)`; `None` when there is no account.
    fn account(&mut self, account: SubAccount) -> Outcome<Option<AccountState>>;
    /// `InferenceServing.getBatchAccountsByUsers(users)` by `provider`: a
    /// zeroed state for a user without an account.
    fn inference_accounts(
        &mut self,
        provider: Address,
        users: &[Address],
    ) -> Outcome<Vec<AccountState>>;
    /// `InferenceServing.settleFeesWithTEE(records)` by `provider`.
    fn settle(&mut self, provider: Address, records: Vec<TEESettlementData>)
        -> Outcome<Settlement>;

    /// `FineTuningServing.addDeliverable(user, id, root)` by the provider
    /// of the fine-tuning sub-account `to`.
    fn add_deliverable(&mut self, to: SubAccount, id: String, root: Vec<u8>) -> Outcome<()>;
    /// `FineTuningServing.acknowledgeDeliverable(provider, id)` by the user
    /// of the fine-tuning sub-account `of`.
    fn acknowledge_deliverable(&mut self, of: SubAccount, id: String) -> Outcome<()>;
    /// `FineTuningServing.settleFees(input)` by `provider`: the gas on a
    /// real chain.
    fn settle_fine_tuning(
        &mut self,
        provider: Address,
        input: VerifierInput,
    ) -> Outcome<Option<Gas>>;
}

/// Decodes revert data as one of the contracts' custom errors, e.g.
/// `InvalidVerifierInput { reason: "insufficient balance" }`; unknown data
/// is shown in hex.
pub fn describe_revert(data: &[u8]) -> String {
    macro_rules! try_errors {
        ($($error:ty),* $(,)?) => {
            $(
                if let Ok(error) = <$error>::abi_decode(data, true) {
                    return format!("{error:?}");
                }
            )*
        };
    }
    try_errors!(
        abi::LedgerNotExists,
        abi::LedgerExists,
        abi::InsufficientBalance,
        abi::TooManyProviders,
        abi::InvalidServiceType,
        abi::LedgerHasFunds,
        abi::AccountNotExists,
        abi::AccountExists,
        abi::AccountHasFunds,
        abi::ServiceNotExist,
        abi::TooManyRefunds,
        abi::InvalidProofInputs,
        abi::InvalidTEESignature,
        abi::InvalidVerifierInput,
        abi::Unauthorized,
        abi::InvalidInitialization,
        abi::NotInitialized,
        abi::InvalidLimit,
        abi::AmountTooLarge,
        abi::ValueNotAccepted,
        ft::DeliverableNotExists,
        ft::DeliverableExists,
    );
    if data.is_empty() {
        "empty revert data".into()
    } else {
        format!("revert data 0x{}", alloy_primitives::hex::encode(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverts_are_named() {
        let data = abi::InvalidVerifierInput {
            reason: "insufficient balance".into(),
        }
        .abi_encode();
        assert_eq!(
            describe_revert(&data),
            r#"InvalidVerifierInput { reason: "insufficient balance" }"#
        );
        assert_eq!(describe_revert(&[]), "empty revert data");
        assert_eq!(describe_revert(&[1, 2]), "revert data 0x0102");
    }
}
