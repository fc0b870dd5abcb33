//! Client bindings (alloy `sol!` with `#[sol(rpc)]`) for LedgerManager,
//! InferenceServing and (in the [`fine_tuning`] module) FineTuningServing,
//! generated from the contracts' JSON ABIs in `abi/` (written by `cargo
//! xtask abi` from the contracts' own export and checked against
//! `../shared/spec/abi-0g.md`): every public function, event and error,
//! the functions our contracts call on each other (ledger <-> serving, see
//! `serving_contracts::interfaces`) included. The structs are re-exported
//! under their spec names. The unit tests below pin every selector and
//! event topic to the spec's table.
//!
//! ```no_run
//! # async fn example(node: &serving_harness::chain::Node, at: alloy::primitives::Address) {
//! use serving_harness::bindings::LedgerManager;
//! let ledger = LedgerManager::new(at, node.provider());
//! let max = ledger.MAX_PROVIDERS_PER_BATCH().call().await.unwrap()._0;
//! # let _ = max;
//! # }
//! ```

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    LedgerManager,
    "../abi/LedgerManager.json"
);
alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    InferenceServing,
    "../abi/InferenceServing.json"
);

pub use IInferenceServing::{Account, Refund, Service, ServiceParams, TEESettlementData};
pub use ILedgerManager::{Ledger, UserInfo};

/// Client bindings of FineTuningServing, in a module of their own: its
/// `Service`, `Account*` and events share names with inference's above.
///
/// The two `acknowledgeDeliverable` overloads are `acknowledgeDeliverable_0`
/// (provider, id; the caller is the user) and `acknowledgeDeliverable_1`
/// (user, provider, id; only that user may call it).
pub mod fine_tuning {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        FineTuningServing,
        "../abi/FineTuningServing.json"
    );

    pub use FineTuningServing::{DeliverableExists, DeliverableNotExists};
    pub use IFineTuningServing::{
        AccountDetails, AccountSummary, Deliverable, Quota, Refund, Service, VerifierInput,
    };
}

/// The same ABI value as another `sol!` type (the contracts' and the
/// client bindings' structs are distinct Rust types of one ABI).
///
/// # Panics
///
/// If the two types' ABIs differ.
pub fn convert<A, B>(value: &A) -> B
where
    A: alloy::sol_types::SolValue,
    B: alloy::sol_types::SolValue
        + From<<<B as alloy::sol_types::SolValue>::SolType as alloy::sol_types::SolType>::RustType>,
{
    B::abi_decode(&value.abi_encode(), true).expect("both types have the same ABI")
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{b256, hex},
        sol_types::{SolCall, SolError, SolEvent},
    };

    use super::*;

    macro_rules! selectors {
        ($($call:ty => $hex:literal,)+) => {$(
            assert_eq!(
                <$call>::SELECTOR,
                hex!($hex),
                "{} ({})",
                stringify!($call),
                <$call>::SIGNATURE
            );
        )+};
    }

    /// The selectors both serving contracts share.
    macro_rules! serving_selectors {
        ($($contract:ident)::+) => {{
            use $($contract)::+::*;
            selectors! {
                removeServiceCall => "bbee42d9",
                getServiceCall => "15a52302",
                getAllServicesCall => "21fe0f30",
                getAccountCall => "fd590847",
                getAllAccountsCall => "5bd7ace2",
                getAccountsByProviderCall => "1d73b9f5",
                getAccountsByUserCall => "4fe63f4d",
                getBatchAccountsByUsersCall => "ba16a750",
                accountExistsCall => "147500e3",
                getPendingRefundCall => "264173d6",
                lockTimeCall => "0d668087",
                updateLockTimeCall => "fbfa4e11",
                ledgerAddressCall => "d1d20056",
                initializedCall => "158ef93e",
                ownerCall => "8da5cb5b",
                transferOwnershipCall => "f2fde38b",
                renounceOwnershipCall => "715018a6",
                AccountNotExists => "08ca03ac",
                AccountExists => "b3c19d64",
                ServiceNotExist => "098eda7e",
                TooManyRefunds => "9edd285f",
            }
        }};
    }

    #[test]
    fn ledger_selectors_are_the_specs() {
        use LedgerManager::*;
        selectors! {
            addLedgerCall => "72adc0d9",
            depositFundCall => "8d0d8cb6",
            refundCall => "278ecde1",
            transferFundCall => "2ba43b82",
            retrieveFundCall => "31404a19",
            deleteLedgerCall => "410b3815",
            getLedgerCall => "f7cd6af9",
            getAllLedgersCall => "987086f0",
            inferenceAddressCall => "e5d9fdab",
            fineTuningAddressCall => "382e1112",
            MAX_PROVIDERS_PER_BATCHCall => "9449fe17",
            initializeCall => "c0c53b8b",
            initializedCall => "158ef93e",
            ownerCall => "8da5cb5b",
            transferOwnershipCall => "f2fde38b",
            renounceOwnershipCall => "715018a6",
        }
        selectors! {
            LedgerNotExists => "7d2d536b",
            LedgerExists => "cde58aa1",
            InsufficientBalance => "897f6c58",
            TooManyProviders => "829e4c32",
            InvalidServiceType => "6753c722",
        }
        assert_eq!(
            OwnershipTransferred::SIGNATURE_HASH,
            b256!("8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0")
        );
    }

    #[test]
    fn inference_selectors_are_the_specs() {
        use InferenceServing::*;
        serving_selectors!(InferenceServing);
        selectors! {
            settleFeesWithTEECall => "8be74119",
            addOrUpdateServiceCall => "94842d14",
            acknowledgeTEESignerCall => "154d75ef",
            acknowledgeProviderSignerCall => "d9f4140b",
            initializeCall => "b4988fd0",
            InvalidProofInputs => "885e2879",
            InvalidTEESignature => "48f72277",
        }
        let topics = [
            (
                BalanceUpdated::SIGNATURE_HASH,
                b256!("526824944047da5b81071fb6349412005c5da81380b336103fbe5dd34556c776"),
            ),
            (
                RefundRequested::SIGNATURE_HASH,
                b256!("54377dfdebf06f6df53fbda737d2dcd7e141f95bbfb0c1223437e856b9de3ac3"),
            ),
            (
                ServiceUpdated::SIGNATURE_HASH,
                b256!("30ecc203691b2d18e17ee75d47caf34a3fb9f86e855f7e0414d3cec26d0c424b"),
            ),
            (
                ServiceRemoved::SIGNATURE_HASH,
                b256!("29d546abb6e94f4f04d5bdccb6682316f597d43776078f47e273f000e77b2a91"),
            ),
            (
                TEESettlementCompleted::SIGNATURE_HASH,
                b256!("1e13ceddf2221b6edbebc1bb62b84cc8f302100f62ec4dc4c0b56b9914bfd980"),
            ),
            (
                TEESettlementFailed::SIGNATURE_HASH,
                b256!("214b7466a40718c5e72c4ebd7645a645bd520a6097d5e55e96ee687c4562ff0c"),
            ),
            (
                OwnershipTransferred::SIGNATURE_HASH,
                b256!("8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0"),
            ),
        ];
        for (i, (got, want)) in topics.into_iter().enumerate() {
            assert_eq!(got, want, "event {i}");
        }
    }

    #[test]
    fn internal_functions_are_the_contracts() {
        // The ledger <-> serving interface as declared in
        // `serving_contracts::interfaces`.
        use serving_contracts_sigs::*;
        assert_eq!(InferenceServing::fundAccountCall::SIGNATURE, FUND_ACCOUNT);
        assert_eq!(
            InferenceServing::retrieveFundsCall::SIGNATURE,
            RETRIEVE_FUNDS
        );
        assert_eq!(
            InferenceServing::deleteAccountsCall::SIGNATURE,
            DELETE_ACCOUNTS
        );
        assert_eq!(InferenceServing::userBalanceCall::SIGNATURE, USER_BALANCE);
        assert_eq!(LedgerManager::payProviderCall::SIGNATURE, PAY_PROVIDER);
        assert_eq!(LedgerManager::userInfoCall::SIGNATURE, USER_INFO);
    }

    /// The signatures of `serving_contracts::interfaces` (written out: that
    /// crate is a Stylus library, not a dependency of the harness library).
    mod serving_contracts_sigs {
        pub(super) const FUND_ACCOUNT: &str = "fundAccount(address,address,uint256)";
        pub(super) const RETRIEVE_FUNDS: &str = "retrieveFunds(address,address[])";
        pub(super) const DELETE_ACCOUNTS: &str = "deleteAccounts(address,address[])";
        pub(super) const USER_BALANCE: &str = "userBalance(address,address[])";
        pub(super) const PAY_PROVIDER: &str = "payProvider(address,uint256)";
        pub(super) const USER_INFO: &str = "userInfo(address[],bool)";
    }

    #[test]
    fn fine_tuning_selectors_are_the_specs() {
        use fine_tuning::FineTuningServing::*;
        serving_selectors!(fine_tuning::FineTuningServing);
        selectors! {
            settleFeesCall => "95e21362",
            addOrUpdateServiceCall => "389f68ee",
            addDeliverableCall => "6dc7513d",
            acknowledgeDeliverable_0Call => "a296bf4f",
            acknowledgeDeliverable_1Call => "f7a433c8",
            getDeliverableCall => "a134f9e1",
            getDeliverablesCall => "9622e934",
            acknowledgeProviderSignerCall => "f2c6741a",
            penaltyPercentageCall => "15908d51",
            updatePenaltyPercentageCall => "eb961693",
            initializeCall => "e37259e9",
            InvalidVerifierInput => "de83c543",
        }
        assert_eq!(
            ServiceUpdated::SIGNATURE_HASH,
            b256!("9657518f02d23efc8a15c042c006a06464dd791f65394ff87310a287c6949462")
        );
        // The events and internal functions shared with inference are
        // inference's.
        macro_rules! inference_s {
            ($($item:ident::$what:ident),+) => {$(
                assert_eq!($item::$what, InferenceServing::$item::$what, stringify!($item));
            )+};
        }
        inference_s!(
            BalanceUpdated::SIGNATURE_HASH,
            RefundRequested::SIGNATURE_HASH,
            ServiceRemoved::SIGNATURE_HASH,
            OwnershipTransferred::SIGNATURE_HASH,
            fundAccountCall::SELECTOR,
            retrieveFundsCall::SELECTOR,
            deleteAccountsCall::SELECTOR,
            userBalanceCall::SELECTOR
        );
    }

    #[test]
    fn struct_parameters_enter_selectors_as_the_specs_tuples() {
        use fine_tuning::FineTuningServing as FT;
        use InferenceServing as IS;
        let signatures = [
            (
                IS::settleFeesWithTEECall::SIGNATURE,
                "settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])",
            ),
            (
                IS::addOrUpdateServiceCall::SIGNATURE,
                "addOrUpdateService((string,string,string,string,uint256,uint256,string))",
            ),
            (
                FT::settleFeesCall::SIGNATURE,
                "settleFees((string,bytes,bytes,uint256,address,bytes,uint256,address))",
            ),
            (
                FT::addOrUpdateServiceCall::SIGNATURE,
                "addOrUpdateService(string,(uint256,uint256,uint256,uint256,string),uint256,address,bool,string[])",
            ),
            (
                FT::acknowledgeDeliverable_1Call::SIGNATURE,
                "acknowledgeDeliverable(address,address,string)",
            ),
        ];
        for (got, want) in signatures {
            assert_eq!(got, want);
        }
        assert_eq!(FT::setViewsCall::SELECTOR, IS::setViewsCall::SELECTOR);
    }
}
