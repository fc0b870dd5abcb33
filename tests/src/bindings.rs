//! Client bindings (alloy `sol!` with `#[sol(rpc)]`) for LedgerManager,
//! InferenceServing and (in the [`fine_tuning`] module) FineTuningServing,
//! written from `../shared/spec/abi-0g.md`: every public function, event
//! and error with its canonical signature, plus the functions our
//! contracts call on each other (ledger <-> serving, see
//! `serving_contracts::interfaces`) and the errors only ours raise.
//!
//! These types are alloy 0.9's, separate from the contracts crate's `sol!`
//! types (alloy-sol-types 0.8 through stylus-sdk): same ABI, different Rust
//! types. The unit tests below pin every selector and event topic to the
//! spec's table, so a binding cannot drift from it silently.
//!
//! ```no_run
//! # async fn example(node: &serving_harness::chain::Node, at: alloy::primitives::Address) {
//! use serving_harness::bindings::LedgerManager;
//! let ledger = LedgerManager::new(at, node.provider());
//! let max = ledger.MAX_PROVIDERS_PER_BATCH().call().await.unwrap()._0;
//! # let _ = max;
//! # }
//! ```

alloy::sol! {
    /// A queued refund of a sub-account.
    #[derive(Debug, PartialEq, Eq)]
    struct Refund {
        uint256 index;
        uint256 amount;
        uint256 createdAt;
        bool processed;
    }

    /// A user's ledger as `getLedger` reports it.
    #[derive(Debug, PartialEq, Eq)]
    struct Ledger {
        address user;
        uint256 availableBalance;
        uint256 totalBalance;
        uint256[2] inferenceSigner;
        string additionalInfo;
        address[] inferenceProviders;
        address[] fineTuningProviders;
    }

    /// What a provider submits to register or update its inference service.
    #[derive(Debug, PartialEq, Eq)]
    struct ServiceParams {
        string serviceType;
        string url;
        string model;
        string verifiability;
        uint256 inputPrice;
        uint256 outputPrice;
        string additionalInfo;
    }

    /// An inference service.
    #[derive(Debug, PartialEq, Eq)]
    struct Service {
        address provider;
        string serviceType;
        string url;
        uint256 inputPrice;
        uint256 outputPrice;
        uint256 updatedAt;
        string model;
        string verifiability;
        string additionalInfo;
    }

    /// An inference sub-account of `user` with `provider`.
    #[derive(Debug, PartialEq, Eq)]
    struct Account {
        address user;
        address provider;
        uint256 nonce;
        uint256 balance;
        uint256 pendingRefund;
        uint256[2] signer;
        Refund[] refunds;
        string additionalInfo;
        uint256[2] providerPubKey;
        address teeSignerAddress;
        uint256 validRefundsLength;
    }

    /// One settlement record of a TEE batch, signed by the provider's TEE key.
    #[derive(Debug, PartialEq, Eq)]
    struct TEESettlementData {
        address user;
        address provider;
        uint256 totalFee;
        bytes32 requestsHash;
        uint256 nonce;
        bytes signature;
    }

    /// What the ledger tells a serving contract about a user (ours,
    /// internal: `userInfo`).
    #[derive(Debug, PartialEq, Eq)]
    struct UserInfo {
        uint256[2] signer;
        string additionalInfo;
        address[] providers;
    }

    /// LedgerManager: users' ledgers; the only contract holding funds.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    interface LedgerManager {
        // Public (spec).
        function addLedger(uint256[2] inferenceSigner, string additionalInfo) external payable returns (uint256 availableBalance, uint256 totalBalance);
        function depositFund() external payable;
        function refund(uint256 amount) external;
        function transferFund(address provider, string serviceTypeStr, uint256 amount) external;
        function retrieveFund(address[] providers, string serviceType) external;
        function deleteLedger() external;
        function getLedger(address user) external view returns (Ledger ledger);
        function getAllLedgers(uint256 offset, uint256 limit) external view returns (Ledger[] ledgers, uint256 total);
        function inferenceAddress() external view returns (address);
        function fineTuningAddress() external view returns (address);
        function MAX_PROVIDERS_PER_BATCH() external view returns (uint256);
        function initialize(address inference, address fineTuning, address owner) external;
        function initialized() external view returns (bool);
        function owner() external view returns (address);
        function transferOwnership(address newOwner) external;
        function renounceOwnership() external;

        // Internal (ours; callable only by the serving contracts).
        function payProvider(address provider, uint256 amount) external;
        function userInfo(address user) external view returns (UserInfo info);

        event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

        // Errors of the spec.
        error LedgerNotExists(address user);
        error LedgerExists(address user);
        error InsufficientBalance(address user);
        error TooManyProviders(uint256 count, uint256 max);
        error InvalidServiceType(string serviceType);
        // Errors only ours raise.
        error LedgerHasFunds(address user, uint256 totalBalance);
        error Unauthorized(address caller);
        error InvalidInitialization();
        error NotInitialized();
        error InvalidLimit(uint256 limit, uint256 max);
        error AmountTooLarge(uint256 amount);
        error ValueNotAccepted();
        error OwnableUnauthorizedAccount(address account);
        error OwnableInvalidOwner(address owner);
        // Bubbled up from the serving contract by transferFund, retrieveFund
        // and deleteLedger.
        error AccountNotExists(address user, address provider);
        error AccountHasFunds(address user, address provider, uint256 balance);
        error ServiceNotExist(address provider);
        error TooManyRefunds(address user, address provider);
    }

    /// InferenceServing: inference services, sub-accounts, TEE settlement.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    interface InferenceServing {
        // Public (spec).
        function settleFeesWithTEE(TEESettlementData[] settlements) external returns (address[] failedUsers);
        function addOrUpdateService(ServiceParams params) external;
        function removeService() external;
        function getService(address provider) external view returns (Service service);
        function getAllServices() external view returns (Service[] services);
        function acknowledgeTEESigner(address provider, address teeSignerAddress) external;
        function acknowledgeProviderSigner(address provider, uint256[2] providerPubKey) external;
        function getAccount(address user, address provider) external view returns (Account account);
        function getAllAccounts(uint256 offset, uint256 limit) external view returns (Account[] accounts, uint256 total);
        function getAccountsByProvider(address provider, uint256 offset, uint256 limit) external view returns (Account[] accounts, uint256 total);
        function getAccountsByUser(address user, uint256 offset, uint256 limit) external view returns (Account[] accounts, uint256 total);
        function getBatchAccountsByUsers(address[] users) external view returns (Account[] accounts);
        function accountExists(address user, address provider) external view returns (bool);
        function getPendingRefund(address user, address provider) external view returns (uint256);
        function lockTime() external view returns (uint256);
        function updateLockTime(uint256 _locktime) external;
        function ledgerAddress() external view returns (address);
        function initialize(uint256 _locktime, address _ledgerAddress, address owner) external;
        function initialized() external view returns (bool);
        function owner() external view returns (address);
        function transferOwnership(address newOwner) external;
        function renounceOwnership() external;

        // Ours: deployment of the split contract (the main program's fallback
        // delegates every other selector to this views program); before
        // `initialize` in the creating transaction, then owner only.
        function setViews(address views) external;

        // Internal (ours; callable only by the ledger).
        function fundAccount(address user, address provider, uint256 amount) external returns (uint256 moved, bool created);
        function retrieveFunds(address user, address[] providers) external returns (uint256 paid);
        function deleteAccounts(address user, address[] providers) external;
        function userBalance(address user, address[] providers) external view returns (uint256 balance);

        event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
        event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
        event ServiceUpdated(address indexed service, string serviceType, string url, uint256 inputPrice, uint256 outputPrice, uint256 updatedAt, string model, string verifiability);
        event ServiceRemoved(address indexed service);
        event TEESettlementCompleted(address indexed provider, uint256 successCount, uint256 failedCount);
        event TEESettlementFailed(address indexed provider, address indexed user, string reason);
        event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

        // Errors of the spec.
        error AccountNotExists(address user, address provider);
        error AccountExists(address user, address provider);
        error ServiceNotExist(address provider);
        error TooManyRefunds(address user, address provider);
        error InvalidProofInputs(string reason);
        error InvalidTEESignature(string reason);
        // Errors only ours raise.
        error AccountHasFunds(address user, address provider, uint256 balance);
        error Unauthorized(address caller);
        error InvalidInitialization();
        error NotInitialized();
        error InvalidLimit(uint256 limit, uint256 max);
        error AmountTooLarge(uint256 amount);
        error OwnableUnauthorizedAccount(address account);
        error OwnableInvalidOwner(address owner);
        // Bubbled up from the ledger (payProvider, userInfo).
        error LedgerNotExists(address user);
    }
}

/// Client bindings of FineTuningServing, in a module of their own: its
/// `Service`, `Account*` and events share names with inference's above.
/// Written from the FineTuningServing section of
/// `../shared/spec/abi-0g.md` and the errors of `serving_contracts::abi`;
/// the unit tests below pin every selector, event topic and struct tuple.
///
/// The two `acknowledgeDeliverable` overloads are `acknowledgeDeliverable_0`
/// (provider, id; the caller is the user) and `acknowledgeDeliverable_1`
/// (user, provider, id; only that user may call it).
pub mod fine_tuning {
    alloy::sol! {
        /// A queued refund of a fine-tuning sub-account.
        #[derive(Debug, PartialEq, Eq)]
        struct Refund {
            uint256 index;
            uint256 amount;
            uint256 createdAt;
            bool processed;
        }

        /// The resources a fine-tuning provider offers.
        #[derive(Debug, PartialEq, Eq, Default)]
        struct Quota {
            uint256 cpuCount;
            uint256 nodeMemory;
            uint256 gpuCount;
            uint256 nodeStorage;
            string gpuType;
        }

        /// A fine-tuning service.
        #[derive(Debug, PartialEq, Eq)]
        struct Service {
            address provider;
            string url;
            Quota quota;
            uint256 pricePerToken;
            address providerSigner;
            bool occupied;
            string[] models;
        }

        /// A model a provider delivered to a user.
        #[derive(Debug, PartialEq, Eq)]
        struct Deliverable {
            string id;
            bytes modelRootHash;
            bytes encryptedSecret;
            bool acknowledged;
            uint256 timestamp;
        }

        /// A fine-tuning sub-account as the paged views list it.
        #[derive(Debug, PartialEq, Eq)]
        struct AccountSummary {
            address user;
            address provider;
            uint256 nonce;
            uint256 balance;
            uint256 pendingRefund;
            string additionalInfo;
            address providerSigner;
            uint256 validRefundsLength;
            uint256 deliverablesCount;
        }

        /// A fine-tuning sub-account with its refunds and deliverables
        /// (oldest first).
        #[derive(Debug, PartialEq, Eq)]
        struct AccountDetails {
            address user;
            address provider;
            uint256 nonce;
            uint256 balance;
            uint256 pendingRefund;
            Refund[] refunds;
            string additionalInfo;
            address providerSigner;
            Deliverable[] deliverables;
            uint256 validRefundsLength;
            uint256 deliverablesHead;
            uint256 deliverablesCount;
        }

        /// What a provider submits to settle a deliverable, signed by its
        /// provider signer (`serving_verifier::verifier_input_digest`).
        #[derive(Debug, PartialEq, Eq)]
        struct VerifierInput {
            string id;
            bytes encryptedSecret;
            bytes modelRootHash;
            uint256 nonce;
            address providerSigner;
            bytes signature;
            uint256 taskFee;
            address user;
        }

        /// FineTuningServing: fine-tuning services, sub-accounts,
        /// deliverables and their settlement.
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        interface FineTuningServing {
            // Public (spec).
            function settleFees(VerifierInput verifierInput) external;
            function addOrUpdateService(string url, Quota quota, uint256 pricePerToken, address providerSigner, bool occupied, string[] models) external;
            function removeService() external;
            function getService(address provider) external view returns (Service service);
            function getAllServices() external view returns (Service[] services);
            function addDeliverable(address user, string id, bytes modelRootHash) external;
            function acknowledgeDeliverable(address provider, string id) external;
            function acknowledgeDeliverable(address user, address provider, string id) external;
            function getDeliverable(address user, address provider, string id) external view returns (Deliverable deliverable);
            function getDeliverables(address user, address provider) external view returns (Deliverable[] deliverables);
            function acknowledgeProviderSigner(address provider, address providerSigner) external;
            function getAccount(address user, address provider) external view returns (AccountDetails account);
            function getAllAccounts(uint256 offset, uint256 limit) external view returns (AccountSummary[] accounts, uint256 total);
            function getAccountsByProvider(address provider, uint256 offset, uint256 limit) external view returns (AccountSummary[] accounts, uint256 total);
            function getAccountsByUser(address user, uint256 offset, uint256 limit) external view returns (AccountSummary[] accounts, uint256 total);
            function getBatchAccountsByUsers(address[] users) external view returns (AccountSummary[] accounts);
            function accountExists(address user, address provider) external view returns (bool);
            function getPendingRefund(address user, address provider) external view returns (uint256);
            function penaltyPercentage() external view returns (uint256);
            function updatePenaltyPercentage(uint256 penaltyPercentage) external;
            function lockTime() external view returns (uint256);
            function updateLockTime(uint256 _locktime) external;
            function ledgerAddress() external view returns (address);
            function initialize(uint256 _locktime, address _ledgerAddress, address owner, uint256 _penaltyPercentage) external;
            function initialized() external view returns (bool);
            function owner() external view returns (address);
            function transferOwnership(address newOwner) external;
            function renounceOwnership() external;

            // Ours: the split contract's views program (see InferenceServing).
            function setViews(address views) external;

            // Internal (ours; callable only by the ledger).
            function fundAccount(address user, address provider, uint256 amount) external returns (uint256 moved, bool created);
            function retrieveFunds(address user, address[] providers) external returns (uint256 paid);
            function deleteAccounts(address user, address[] providers) external;
            function userBalance(address user, address[] providers) external view returns (uint256 balance);

            event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
            event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
            event ServiceUpdated(address indexed user, string url, Quota quota, uint256 pricePerToken, address providerSigner, bool occupied);
            event ServiceRemoved(address indexed service);
            event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

            // Errors of the spec.
            error AccountNotExists(address user, address provider);
            error AccountExists(address user, address provider);
            error ServiceNotExist(address provider);
            error TooManyRefunds(address user, address provider);
            error InvalidVerifierInput(string reason);
            // Errors only ours raise.
            error DeliverableNotExists(string id);
            error DeliverableExists(string id);
            error AccountHasFunds(address user, address provider, uint256 balance);
            error Unauthorized(address caller);
            error InvalidInitialization();
            error NotInitialized();
            error InvalidLimit(uint256 limit, uint256 max);
            error AmountTooLarge(uint256 amount);
            error OwnableUnauthorizedAccount(address account);
            error OwnableInvalidOwner(address owner);
            // Bubbled up from the ledger (payProvider, userInfo).
            error LedgerNotExists(address user);
        }
    }
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
        selectors! {
            settleFeesWithTEECall => "8be74119",
            addOrUpdateServiceCall => "94842d14",
            removeServiceCall => "bbee42d9",
            getServiceCall => "15a52302",
            getAllServicesCall => "21fe0f30",
            acknowledgeTEESignerCall => "154d75ef",
            acknowledgeProviderSignerCall => "d9f4140b",
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
            initializeCall => "b4988fd0",
            initializedCall => "158ef93e",
            ownerCall => "8da5cb5b",
            transferOwnershipCall => "f2fde38b",
            renounceOwnershipCall => "715018a6",
        }
        selectors! {
            AccountNotExists => "08ca03ac",
            AccountExists => "b3c19d64",
            ServiceNotExist => "098eda7e",
            TooManyRefunds => "9edd285f",
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
        pub(super) const USER_INFO: &str = "userInfo(address)";
    }

    #[test]
    fn struct_parameters_enter_selectors_as_the_specs_tuples() {
        assert_eq!(
            InferenceServing::settleFeesWithTEECall::SIGNATURE,
            "settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])"
        );
        assert_eq!(
            InferenceServing::addOrUpdateServiceCall::SIGNATURE,
            "addOrUpdateService((string,string,string,string,uint256,uint256,string))"
        );
    }

    #[test]
    fn fine_tuning_selectors_are_the_specs() {
        use fine_tuning::FineTuningServing::*;
        selectors! {
            settleFeesCall => "95e21362",
            addOrUpdateServiceCall => "389f68ee",
            removeServiceCall => "bbee42d9",
            getServiceCall => "15a52302",
            getAllServicesCall => "21fe0f30",
            addDeliverableCall => "6dc7513d",
            acknowledgeDeliverable_0Call => "a296bf4f",
            acknowledgeDeliverable_1Call => "f7a433c8",
            getDeliverableCall => "a134f9e1",
            getDeliverablesCall => "9622e934",
            acknowledgeProviderSignerCall => "f2c6741a",
            getAccountCall => "fd590847",
            getAllAccountsCall => "5bd7ace2",
            getAccountsByProviderCall => "1d73b9f5",
            getAccountsByUserCall => "4fe63f4d",
            getBatchAccountsByUsersCall => "ba16a750",
            accountExistsCall => "147500e3",
            getPendingRefundCall => "264173d6",
            penaltyPercentageCall => "15908d51",
            updatePenaltyPercentageCall => "eb961693",
            lockTimeCall => "0d668087",
            updateLockTimeCall => "fbfa4e11",
            ledgerAddressCall => "d1d20056",
            initializeCall => "e37259e9",
            initializedCall => "158ef93e",
            ownerCall => "8da5cb5b",
            transferOwnershipCall => "f2fde38b",
            renounceOwnershipCall => "715018a6",
        }
        selectors! {
            AccountNotExists => "08ca03ac",
            AccountExists => "b3c19d64",
            ServiceNotExist => "098eda7e",
            TooManyRefunds => "9edd285f",
            InvalidVerifierInput => "de83c543",
        }
        assert_eq!(
            ServiceUpdated::SIGNATURE_HASH,
            b256!("9657518f02d23efc8a15c042c006a06464dd791f65394ff87310a287c6949462")
        );
        // The events shared with inference have inference's topics.
        assert_eq!(
            BalanceUpdated::SIGNATURE_HASH,
            InferenceServing::BalanceUpdated::SIGNATURE_HASH
        );
        assert_eq!(
            RefundRequested::SIGNATURE_HASH,
            InferenceServing::RefundRequested::SIGNATURE_HASH
        );
        assert_eq!(
            ServiceRemoved::SIGNATURE_HASH,
            InferenceServing::ServiceRemoved::SIGNATURE_HASH
        );
        assert_eq!(
            OwnershipTransferred::SIGNATURE_HASH,
            InferenceServing::OwnershipTransferred::SIGNATURE_HASH
        );
        // The internal functions are inference's.
        assert_eq!(
            fundAccountCall::SELECTOR,
            InferenceServing::fundAccountCall::SELECTOR
        );
        assert_eq!(
            retrieveFundsCall::SELECTOR,
            InferenceServing::retrieveFundsCall::SELECTOR
        );
        assert_eq!(
            deleteAccountsCall::SELECTOR,
            InferenceServing::deleteAccountsCall::SELECTOR
        );
        assert_eq!(
            userBalanceCall::SELECTOR,
            InferenceServing::userBalanceCall::SELECTOR
        );
    }

    #[test]
    fn fine_tuning_structs_are_the_specs_tuples() {
        use fine_tuning::*;
        assert_eq!(
            FineTuningServing::settleFeesCall::SIGNATURE,
            "settleFees((string,bytes,bytes,uint256,address,bytes,uint256,address))"
        );
        assert_eq!(
            FineTuningServing::addOrUpdateServiceCall::SIGNATURE,
            "addOrUpdateService(string,(uint256,uint256,uint256,uint256,string),uint256,address,bool,string[])"
        );
        assert_eq!(
            FineTuningServing::acknowledgeDeliverable_1Call::SIGNATURE,
            "acknowledgeDeliverable(address,address,string)"
        );
        assert_eq!(
            FineTuningServing::setViewsCall::SELECTOR,
            InferenceServing::setViewsCall::SELECTOR
        );
    }
}
