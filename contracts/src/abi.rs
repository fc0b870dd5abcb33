//! The Solidity ABI of the serving contracts: structs, events and errors,
//! declared once with `sol!` and shared by every contract and the harness.
//!
//! Struct parameters enter function selectors in their tuple form
//! (`(address,uint256,...)`), so each struct used in a public signature gets
//! an [`AbiType`] whose `ABI` string is that tuple.

use stylus_sdk::abi::{AbiType, ConstString};

/// Implements [`AbiType`] for a `sol!` struct with its canonical tuple type,
/// so that selectors computed by `#[public]` match Solidity's.
macro_rules! abi_tuple {
    ($($name:ident = $tuple:literal;)+) => {$(
        impl AbiType for $name {
            type SolType = Self;
            const ABI: ConstString = ConstString::new($tuple);
            const EXPORT_ABI_ARG: ConstString = ConstString::new(concat!($tuple, " calldata"));
            const EXPORT_ABI_RET: ConstString = ConstString::new(concat!($tuple, " memory"));
        }

        // Exported in tuple form, so there is no struct to declare.
        #[cfg(feature = "export-abi")]
        impl stylus_sdk::abi::export::internal::InnerTypes for $name {}
    )+};
}

sol_items! {
    /// A queued refund of a sub-account. `index` is the refund's sequence
    /// number within its account (the value `RefundRequested` announced).
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

    /// What the ledger tells a serving contract about a user: the ledger's
    /// signer and info (shown on the user's accounts) and the providers of
    /// the caller's kind the user has accounts with.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct UserInfo {
        uint256[2] signer;
        string additionalInfo;
        address[] providers;
    }

    /// The paged views. They return two values, one of them dynamic, which
    /// stylus-sdk 0.9's router would encode as one tuple (with a leading
    /// offset, unlike Solidity); the contracts route them in their fallback
    /// and encode the returns with these declarations.
    interface IPagedViews {
        function getAllLedgers(uint256 offset, uint256 limit) external view returns (Ledger[] memory ledgers, uint256 total);
        function getAllAccounts(uint256 offset, uint256 limit) external view returns (Account[] memory accounts, uint256 total);
        function getAccountsByProvider(address provider, uint256 offset, uint256 limit) external view returns (Account[] memory accounts, uint256 total);
        function getAccountsByUser(address user, uint256 offset, uint256 limit) external view returns (Account[] memory accounts, uint256 total);
        function getServices(uint256 offset, uint256 limit) external view returns (Service[] memory services, uint256 total);
    }

    /// Ledger -> serving (see `interfaces`).
    interface IServing {
        function fundAccount(address user, address provider, uint256 amount) external returns (uint256 moved, bool created);
        function retrieveFunds(address user, address[] calldata providers) external returns (uint256 paid);
        function deleteAccounts(address user, address[] calldata providers) external;
        function userBalance(address user, address[] calldata providers) external view returns (uint256 balance);
    }

    /// Serving -> ledger (see `interfaces`).
    interface ILedger {
        function payProvider(address provider, uint256 amount) external;
        function userInfo(address[] calldata users, bool withProviders) external view returns (UserInfo[] memory infos);
    }
    /// A sub-account's balance after it changed.
    #[derive(Debug, PartialEq, Eq)]
    event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
    /// A refund was queued; it unlocks `lockTime` seconds after `timestamp`.
    #[derive(Debug, PartialEq, Eq)]
    event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
    /// An inference service was added or updated.
    #[derive(Debug, PartialEq, Eq)]
    event ServiceUpdated(address indexed service, string serviceType, string url, uint256 inputPrice, uint256 outputPrice, uint256 updatedAt, string model, string verifiability);
    /// A service was removed.
    #[derive(Debug, PartialEq, Eq)]
    event ServiceRemoved(address indexed service);
    /// A TEE settlement batch finished.
    #[derive(Debug, PartialEq, Eq)]
    event TEESettlementCompleted(address indexed provider, uint256 successCount, uint256 failedCount);
    /// A record of a TEE settlement batch was refused; the rest of the batch went on.
    #[derive(Debug, PartialEq, Eq)]
    event TEESettlementFailed(address indexed provider, address indexed user, string reason);
    /// The views program of a split contract was set (by its constructor,
    /// or by the upgrade authority through `setViews`).
    #[derive(Debug, PartialEq, Eq)]
    event ViewsUpgraded(address indexed views);

    /// The caller has no ledger (or the named user has none).
    #[derive(Debug, PartialEq, Eq)]
    error LedgerNotExists(address user);
    /// The caller already has a ledger.
    #[derive(Debug, PartialEq, Eq)]
    error LedgerExists(address user);
    /// The ledger's available balance does not cover the amount.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientBalance(address user);
    /// More providers than allowed (`count`, `max`).
    #[derive(Debug, PartialEq, Eq)]
    error TooManyProviders(uint256 count, uint256 max);
    /// The service type is neither "inference" nor "fine-tuning".
    #[derive(Debug, PartialEq, Eq)]
    error InvalidServiceType(string serviceType);
    /// The ledger still holds funds (available plus sub-accounts), so it cannot be deleted.
    #[derive(Debug, PartialEq, Eq)]
    error LedgerHasFunds(address user, uint256 totalBalance);

    /// No sub-account of `user` with `provider`.
    #[derive(Debug, PartialEq, Eq)]
    error AccountNotExists(address user, address provider);
    /// The sub-account already exists.
    #[derive(Debug, PartialEq, Eq)]
    error AccountExists(address user, address provider);
    /// The sub-account still holds funds, so it cannot be deleted.
    #[derive(Debug, PartialEq, Eq)]
    error AccountHasFunds(address user, address provider, uint256 balance);
    /// The provider has no service of this kind.
    #[derive(Debug, PartialEq, Eq)]
    error ServiceNotExist(address provider);
    /// The sub-account already has the maximum number of live refunds.
    #[derive(Debug, PartialEq, Eq)]
    error TooManyRefunds(address user, address provider);
    /// The account's signer changed less than the lock time ago: until
    /// `until`, records signed by the signer before it still settle, and the
    /// signer may only change back to that one.
    #[derive(Debug, PartialEq, Eq)]
    error SignerChangePending(address user, address provider, uint256 until);
    /// A batch or argument is malformed (empty, too large, unknown user).
    #[derive(Debug, PartialEq, Eq)]
    error InvalidProofInputs(string reason);
    /// A TEE signature is unusable.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidTEESignature(string reason);
    /// A fine-tuning verifier input was refused.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidVerifierInput(string reason);

    /// The caller may not call this function.
    #[derive(Debug, PartialEq, Eq)]
    error Unauthorized(address caller);
    /// `initialize` already ran, or a required address is zero.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidInitialization();
    /// The contract was never initialized.
    #[derive(Debug, PartialEq, Eq)]
    error NotInitialized();
    /// A page `limit` or batch size above the maximum.
    #[derive(Debug, PartialEq, Eq)]
    error InvalidLimit(uint256 limit, uint256 max);
    /// A balance would exceed what a sub-account can hold (2^112 - 1 wei).
    #[derive(Debug, PartialEq, Eq)]
    error AmountTooLarge(uint256 amount);
    /// Plain value transfers are refused: value belongs to a ledger.
    #[derive(Debug, PartialEq, Eq)]
    error ValueNotAccepted();
    /// A serving contract asked the ledger to pay out `amount`, more than
    /// its `escrow` (what its sub-accounts hold).
    #[derive(Debug, PartialEq, Eq)]
    error EscrowExceeded(address serving, uint256 amount, uint256 escrow);
}

abi_tuple! {
    Refund = "(uint256,uint256,uint256,bool)";
    Ledger = "(address,uint256,uint256,uint256[2],string,address[],address[])";
    ServiceParams = "(string,string,string,string,uint256,uint256,string)";
    Service = "(address,string,string,uint256,uint256,uint256,string,string,string)";
    Account = "(address,address,uint256,uint256,uint256,uint256[2],(uint256,uint256,uint256,bool)[],string,uint256[2],address,uint256)";
    TEESettlementData = "(address,address,uint256,bytes32,uint256,bytes)";
    UserInfo = "(uint256[2],string,address[])";
}

/// The FineTuningServing ABI. Its own `sol!`, so that names the spec gives
/// both contracts (`Service`, `ServiceUpdated`, `IPagedViews`) can repeat:
/// use them as `abi::fine_tuning::Service` and so on.
pub mod fine_tuning {
    use stylus_sdk::abi::{AbiType, ConstString};

    pub use super::Refund;

    sol_items! {
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

        /// A model a provider delivered to a user: `modelRootHash` when it
        /// was added, `encryptedSecret` (the key to the model) once settled
        /// after the user acknowledged it.
        #[derive(Debug, PartialEq, Eq, Default)]
        struct Deliverable {
            string id;
            bytes modelRootHash;
            bytes encryptedSecret;
            bool acknowledged;
            uint256 timestamp;
        }

        /// A fine-tuning sub-account as the paged views list it.
        #[derive(Debug, PartialEq, Eq, Default)]
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
        /// provider signer (see `serving_verifier::verifier_input_digest`).
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

        /// The views of FineTuningServing routed by its views program's
        /// fallback, their arguments read by hand (alloy's decoders do not
        /// fit) and their returns encoded by hand (`returndata`): the
        /// services, the paged ones (see the parent module's `IPagedViews`),
        /// `getBatchAccountsByUsers`, the views of one account (with
        /// `getAccount`, whose return holds a struct of the parent module
        /// that this `sol!` cannot name: see `GET_ACCOUNT` there), and the
        /// calls with `string` arguments (`getDeliverable`,
        /// `addOrUpdateService`).
        interface IPagedViews {
            function getBatchAccountsByUsers(address[] calldata users) external view returns (AccountSummary[] memory accounts);
            function getAllAccounts(uint256 offset, uint256 limit) external view returns (AccountSummary[] memory accounts, uint256 total);
            function getAccountsByProvider(address provider, uint256 offset, uint256 limit) external view returns (AccountSummary[] memory accounts, uint256 total);
            function getAccountsByUser(address user, uint256 offset, uint256 limit) external view returns (AccountSummary[] memory accounts, uint256 total);
            function getServices(uint256 offset, uint256 limit) external view returns (Service[] memory services, uint256 total);
            function getService(address provider) external view returns (Service memory service);
            function getAllServices() external view returns (Service[] memory services);
            function getDeliverables(address user, address provider) external view returns (Deliverable[] memory deliverables);
            function accountExists(address user, address provider) external view returns (bool exists);
            function getPendingRefund(address user, address provider) external view returns (uint256 pending);
            function getDeliverable(address user, address provider, string calldata id) external view returns (Deliverable memory deliverable);
            function addOrUpdateService(string calldata url, Quota calldata quota, uint256 pricePerToken, address providerSigner, bool occupied, string[] calldata models) external;
        }

        /// The settings, `updateLockTime` and `removeService`, also routed
        /// by FineTuningServing's views program's fallback: with them, the
        /// SDK's router left that program (814 bytes of stored code).
        interface ISettings {
            function initialized() external view returns (bool);
            function lockTime() external view returns (uint256);
            function ledgerAddress() external view returns (address);
            function owner() external view returns (address);
            function penaltyPercentage() external view returns (uint256);
            function updateLockTime(uint256 lockTime) external;
            function removeService() external;
        }

        /// The calls of FineTuningServing's main program routed by its
        /// fallback, their arguments read by hand (`calldata::Args`):
        /// alloy's decoders of `string`, `bytes` and the verifier input's
        /// tuple would add their code to the program.
        interface IDeliveries {
            function addDeliverable(address user, string calldata id, bytes calldata modelRootHash) external;
            function acknowledgeDeliverable(address provider, string calldata id) external;
            function acknowledgeDeliverable(address user, address provider, string calldata id) external;
            function settleFees(VerifierInput calldata verifierInput) external;
        }

        /// A fine-tuning service was added or updated.
        #[derive(Debug, PartialEq, Eq)]
        event ServiceUpdated(address indexed user, string url, Quota quota, uint256 pricePerToken, address providerSigner, bool occupied);

        /// No deliverable with this id in the account.
        #[derive(Debug, PartialEq, Eq)]
        error DeliverableNotExists(string id);
        /// The account already has a deliverable with this id.
        #[derive(Debug, PartialEq, Eq)]
        error DeliverableExists(string id);
    }

    abi_tuple! {
        Quota = "(uint256,uint256,uint256,uint256,string)";
        Service = "(address,string,(uint256,uint256,uint256,uint256,string),uint256,address,bool,string[])";
        Deliverable = "(string,bytes,bytes,bool,uint256)";
        AccountSummary = "(address,address,uint256,uint256,uint256,string,address,uint256,uint256)";
        AccountDetails = "(address,address,uint256,uint256,uint256,(uint256,uint256,uint256,bool)[],string,address,(string,bytes,bytes,bool,uint256)[],uint256,uint256,uint256)";
        VerifierInput = "(string,bytes,bytes,uint256,address,bytes,uint256,address)";
    }
}

/// The Solidity declaration of a paged view routed by a fallback, for the
/// exported interface (`items` is the tuple type of one item).
#[cfg(feature = "export-abi")]
pub fn paged_view_declaration<C: alloy_sol_types::SolCall>(items: &str) -> alloc::string::String {
    let signature = C::SIGNATURE;
    let (name, params) = signature.split_once('(').unwrap_or((signature, ")"));
    let params = params.trim_end_matches(')');
    let names = ["offset", "limit"];
    let mut args: alloc::vec::Vec<alloc::string::String> = params
        .split(',')
        .filter(|p| !p.is_empty())
        .map(alloc::string::String::from)
        .collect();
    let count = args.len();
    for (i, arg) in args.iter_mut().enumerate() {
        let name = if i + 2 >= count {
            names[i + 2 - count]
        } else {
            "key"
        };
        *arg = alloc::format!("{arg} {name}");
    }
    alloc::format!(
        "    function {name}({}) external view returns ({items}[] memory, uint256);",
        args.join(", ")
    )
}

/// Encodes a Solidity custom error as revert data.
pub fn revert<E: alloy_sol_types::SolError>(error: E) -> alloc::vec::Vec<u8> {
    error.abi_encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_tuple_is_embedded_in_account() {
        assert!(Account::ABI.as_str().contains(Refund::ABI.as_str()));
    }

    #[test]
    fn fine_tuning_tuples_embed_their_structs() {
        use alloy_sol_types::{SolError, SolEvent};
        use fine_tuning::{AccountDetails, Deliverable, Quota, ServiceUpdated};
        assert!(fine_tuning::Service::ABI
            .as_str()
            .contains(Quota::ABI.as_str()));
        assert!(AccountDetails::ABI.as_str().contains(Refund::ABI.as_str()));
        assert!(AccountDetails::ABI
            .as_str()
            .contains(Deliverable::ABI.as_str()));
        // The event topic and error selector of the spec.
        assert_eq!(
            ServiceUpdated::SIGNATURE_HASH,
            alloy_primitives::b256!(
                "9657518f02d23efc8a15c042c006a06464dd791f65394ff87310a287c6949462"
            )
        );
        assert_eq!(InvalidVerifierInput::SELECTOR, [0xde, 0x83, 0xc5, 0x43]);
    }
}
