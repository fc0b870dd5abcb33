//! A provider: its service and prices, its TEE, the users it serves, and
//! its settlement engine.
//!
//! When it serves and when it settles is the policy of the broker
//! (`serving_broker::policy`, the same code): a request is answered only
//! while the user's sub-account covers it after the fees billed and in
//! flight; a tick settles at once for a user whose unsettled fees exceed
//! what it has left after them, otherwise when enough users owe it to fill
//! a batch, and everything at the end of the run.
//!
//! Each record covers all of a user's requests since its last settlement:
//! `requestsHash` is the keccak256 of their ids, `nonce` the highest request
//! nonce, `totalFee` their fees. A user whose record fails is not served
//! again; the reason is kept for the report.

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, Address, B256, U256};
use serving_broker::policy::{self, Exposure};
use serving_contracts::abi::{ServiceParams, TEESettlementData};

use super::{
    backend::{AccountState, Backend, FineTuningService, Kind, Outcome, Settlement, SubAccount},
    tee::{AttestationReport, AttestationRoot, TeeSigner},
};

/// The largest batch the contract takes.
pub const MAX_BATCH: usize = 500;

/// A request as it reaches the provider.
#[derive(Clone, Debug)]
pub struct Request {
    /// The user.
    pub user: Address,
    /// The user's nonce with this provider (grows with every request).
    pub nonce: u64,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens the model will produce.
    pub output_tokens: u64,
}

impl Request {
    /// The request's bytes, as sent.
    pub fn content(&self, provider: Address) -> Vec<u8> {
        format!(
            "{}:{}:{}:{}:{}",
            self.user, provider, self.nonce, self.input_tokens, self.output_tokens
        )
        .into_bytes()
    }
}

/// The provider's answer.
#[derive(Clone, Debug)]
pub struct Response {
    /// The id under which the TEE keeps the response's signature.
    pub id: B256,
    /// The response's bytes.
    pub content: Vec<u8>,
    /// The fee billed.
    pub fee: U256,
}

/// Why a request was not served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The sub-account does not cover the fee.
    NotCovered,
    /// The provider stopped serving this user (a record failed).
    Stopped(String),
    /// The nonce does not grow.
    StaleNonce,
}

/// What a provider knows about one user.
#[derive(Clone, Debug, Default)]
struct Customer {
    /// The account as last read from the chain, minus what settled since.
    known: AccountState,
    /// Fees billed and not yet in a signed record.
    unsettled: U256,
    /// Fees in signed records not yet settled or failed (a batch in
    /// flight): the chain's balance still holds them, but they are claimed.
    in_flight: U256,
    /// Ids of the requests behind `unsettled`.
    requests: Vec<B256>,
    /// The highest request nonce served.
    last_nonce: u64,
    /// Why the provider stopped serving this user.
    stopped: Option<String>,
}

/// A signed batch and what it claims.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The records, as sent.
    pub records: Vec<TEESettlementData>,
}

impl Batch {
    /// The fees the batch claims.
    pub fn total(&self) -> U256 {
        self.records.iter().map(|r| r.totalFee).sum()
    }
}

/// The result of one record, for the market's bookkeeping.
#[derive(Clone, Debug)]
pub struct RecordResult {
    /// The record.
    pub record: TEESettlementData,
    /// `None`: settled; else the contract's reason.
    pub failure: Option<String>,
}

/// Per-provider counters for the report.
#[derive(Clone, Debug, Default)]
pub struct ProviderStats {
    /// Requests answered.
    pub served: u64,
    /// Fees billed for them.
    pub billed: U256,
    /// Fees collected on chain.
    pub settled: U256,
    /// Fees whose record failed, by the contract's reason.
    pub lost: BTreeMap<String, U256>,
    /// settleFeesWithTEE transactions (replays excluded).
    pub settlement_txs: u64,
    /// Records sent in them.
    pub records: u64,
    /// Records that settled.
    pub records_settled: u64,
    /// Failed records by reason.
    pub failed: BTreeMap<String, u64>,
    /// Gas of the settlement transactions (real chains).
    pub gas_used: u64,
    /// Their cost in wei (real chains).
    pub gas_cost: U256,
    /// Fine-tuning fees collected.
    pub fine_tuning_settled: U256,
}

/// A provider of inference and fine-tuning.
pub struct Provider {
    /// Its account.
    pub address: Address,
    /// Price per prompt token (wei).
    pub input_price: U256,
    /// Price per completion token (wei).
    pub output_price: U256,
    /// Fine-tuning price per token (wei).
    pub fine_tuning_price: U256,
    tee: TeeSigner,
    customers: BTreeMap<Address, Customer>,
    fine_tuning_nonces: BTreeMap<Address, u64>,
    /// Counters for the report.
    pub stats: ProviderStats,
}

impl Provider {
    /// A provider at `address` whose TEE boots with a key from `tee_seed`.
    pub fn new(
        address: Address,
        root: &AttestationRoot,
        tee_seed: &[u8],
        input_price: U256,
        output_price: U256,
    ) -> Self {
        Self {
            address,
            input_price,
            output_price,
            fine_tuning_price: input_price * U256::from(10),
            tee: TeeSigner::boot(root, tee_seed),
            customers: BTreeMap::new(),
            fine_tuning_nonces: BTreeMap::new(),
            stats: ProviderStats::default(),
        }
    }

    /// The inference service it registers.
    pub fn service(&self) -> ServiceParams {
        ServiceParams {
            serviceType: "chatbot".into(),
            url: format!("https://{}.provider.example", self.address),
            model: "llama-3.3-70b-instruct".into(),
            verifiability: "TeeML".into(),
            inputPrice: self.input_price,
            outputPrice: self.output_price,
            additionalInfo: String::new(),
        }
    }

    /// Registers its inference and fine-tuning services.
    pub fn register(&self, backend: &mut dyn Backend) -> Outcome<()> {
        backend.add_inference_service(self.address, self.service())?;
        let service = FineTuningService {
            url: format!("https://{}.trainer.example", self.address),
            quota: serving_contracts::abi::fine_tuning::Quota {
                cpuCount: U256::from(16),
                nodeMemory: U256::from(128),
                gpuCount: U256::from(1),
                nodeStorage: U256::from(1000),
                gpuType: "H100".into(),
            },
            price_per_token: self.fine_tuning_price,
            signer: self.tee.address(),
            models: vec!["llama-3.3-70b-instruct".into()],
        };
        backend.add_fine_tuning_service(self.address, service)
    }

    /// The attestation endpoint.
    pub fn attestation(&self) -> &AttestationReport {
        self.tee.attestation()
    }

    /// The TEE's signing address now.
    pub fn tee_address(&self) -> Address {
        self.tee.address()
    }

    /// The TEE (the signature download endpoint is `tee().signature(id)`).
    pub fn tee(&self) -> &TeeSigner {
        &self.tee
    }

    /// Reboots the TEE with a new key (fault: the key users acknowledged is
    /// gone; the new one is attested but nobody acknowledged it).
    pub fn replace_tee_key(&mut self, root: &AttestationRoot, seed: &[u8]) {
        self.tee = TeeSigner::boot(root, seed);
    }

    /// The fee of `request` at this provider's prices.
    pub fn fee(&self, request: &Request) -> U256 {
        U256::from(request.input_tokens) * self.input_price
            + U256::from(request.output_tokens) * self.output_price
    }

    /// Answers `request` if the user's sub-account covers it (reading the
    /// account again before refusing), bills it and signs the response.
    pub fn serve(
        &mut self,
        backend: &mut dyn Backend,
        request: &Request,
    ) -> Outcome<Result<Response, Refusal>> {
        let fee = self.fee(request);
        let customer = self.customers.entry(request.user).or_default();
        if let Some(reason) = &customer.stopped {
            return Ok(Err(Refusal::Stopped(reason.clone())));
        }
        if request.nonce <= customer.last_nonce {
            return Ok(Err(Refusal::StaleNonce));
        }
        if !covers(customer, fee) {
            customer.known = backend
                .account(SubAccount::new(request.user, self.address, Kind::Inference))?
                .unwrap_or_default();
            if !covers(customer, fee) {
                return Ok(Err(Refusal::NotCovered));
            }
        }
        let content = request.content(self.address);
        let id = keccak256(&content);
        let answer =
            format!("completion of {} tokens for {id}", request.output_tokens).into_bytes();
        self.tee.sign_response(id, &content, &answer);
        customer.unsettled += fee;
        customer.requests.push(id);
        customer.last_nonce = request.nonce;
        self.stats.served += 1;
        self.stats.billed += fee;
        Ok(Ok(Response {
            id,
            content: answer,
            fee,
        }))
    }

    /// The settlement engine's decision at a tick: the batches to send now
    /// (signed; their fees leave `unsettled`), or none. `force` settles
    /// every debt (end of the run).
    pub fn due_batches(
        &mut self,
        backend: &mut dyn Backend,
        batch_size: usize,
        force: bool,
    ) -> Outcome<Vec<Batch>> {
        let owing: Vec<Address> = self
            .customers
            .iter()
            .filter(|(_, c)| c.stopped.is_none() && !c.unsettled.is_zero())
            .map(|(user, _)| *user)
            .collect();
        if owing.is_empty() {
            return Ok(Vec::new());
        }
        for chunk in owing.chunks(MAX_BATCH) {
            let states = backend.inference_accounts(self.address, chunk)?;
            for (user, state) in chunk.iter().zip(states) {
                self.customers.get_mut(user).expect("owing customer").known = state;
            }
        }
        let serving = self
            .customers
            .values()
            .filter(|c| c.stopped.is_none())
            .count();
        let exposures: Vec<(Address, Exposure)> = owing
            .iter()
            .map(|user| (*user, self.customers[user].exposure()))
            .collect();
        Ok(policy::due(&exposures, serving, batch_size, force)
            .iter()
            .map(|users| self.sign_batch(users))
            .collect())
    }

    /// Signs one record per user for everything it owes, and forgets the
    /// fees as unsettled (they are in the batch now).
    fn sign_batch(&mut self, users: &[Address]) -> Batch {
        let mut records = Vec::with_capacity(users.len());
        for user in users {
            let customer = self.customers.get_mut(user).expect("owing customer");
            let mut ids = Vec::with_capacity(customer.requests.len() * 32);
            for id in customer.requests.drain(..) {
                ids.extend_from_slice(id.as_slice());
            }
            let fee = std::mem::take(&mut customer.unsettled);
            customer.in_flight += fee;
            records.push(self.tee.sign_record(
                self.address,
                *user,
                keccak256(&ids),
                U256::from(customer.last_nonce),
                fee,
            ));
        }
        Batch { records }
    }

    /// Takes in the outcome of sending `batch`: settled fees are collected,
    /// a failed record's fees are lost and its user is not served again.
    /// Returns each record's result in batch order.
    pub fn settled(&mut self, batch: Batch, settlement: &Settlement) -> Vec<RecordResult> {
        let mut failures = settlement.failed.iter().peekable();
        let mut results = Vec::with_capacity(batch.records.len());
        self.stats.settlement_txs += 1;
        self.stats.records += batch.records.len() as u64;
        if let Some(gas) = settlement.gas {
            self.stats.gas_used += gas.used;
            self.stats.gas_cost += gas.cost;
        }
        for record in batch.records {
            let failure = match failures.peek() {
                Some((user, _)) if *user == record.user => {
                    failures.next().map(|(_, reason)| reason.clone())
                }
                _ => None,
            };
            let customer = self
                .customers
                .get_mut(&record.user)
                .expect("record of a customer");
            customer.in_flight = customer.in_flight.saturating_sub(record.totalFee);
            match &failure {
                None => {
                    self.stats.settled += record.totalFee;
                    self.stats.records_settled += 1;
                    customer.known.balance = customer.known.balance.saturating_sub(record.totalFee);
                    customer.known.pending_refund =
                        customer.known.pending_refund.min(customer.known.balance);
                }
                Some(reason) => {
                    *self.stats.lost.entry(reason.clone()).or_default() += record.totalFee;
                    *self.stats.failed.entry(reason.clone()).or_default() += 1;
                    customer.stopped.get_or_insert_with(|| reason.clone());
                }
            }
            results.push(RecordResult { record, failure });
        }
        results
    }

    /// Fees billed and not yet in a signed record.
    pub fn unsettled(&self) -> U256 {
        self.customers.values().map(|c| c.unsettled).sum()
    }

    /// Users it stopped serving, with the reason.
    pub fn stopped(&self) -> impl Iterator<Item = (&Address, &String)> {
        self.customers
            .iter()
            .filter_map(|(user, c)| c.stopped.as_ref().map(|r| (user, r)))
    }

    /// Whether `user` owes it fees not yet in a signed record.
    pub fn owed_by(&self, user: Address) -> bool {
        self.customers
            .get(&user)
            .is_some_and(|c| !c.unsettled.is_zero())
    }

    /// A signed verifier input for deliverable `id` of `user`: the full fee
    /// with the secret when the user acknowledged it, else no secret (the
    /// contract charges the penalty).
    pub fn verifier_input(
        &mut self,
        user: Address,
        id: &str,
        root: &[u8],
        secret: &[u8],
        fee: U256,
    ) -> serving_contracts::abi::fine_tuning::VerifierInput {
        let nonce = self.fine_tuning_nonces.entry(user).or_insert(0);
        *nonce += 1;
        self.tee
            .sign_verifier_input(user, id, root, secret, U256::from(*nonce), fee)
    }
}

impl Customer {
    /// What the provider knows of the account, for the policy.
    fn exposure(&self) -> Exposure {
        Exposure {
            spendable: self.known.balance.saturating_sub(self.known.pending_refund),
            in_flight: self.in_flight,
            unsettled: self.unsettled,
        }
    }
}

/// Whether the customer's account covers its unsettled fees plus `fee`,
/// after the records in flight.
fn covers(customer: &Customer, fee: U256) -> bool {
    customer.exposure().covers(fee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::InProcess;

    fn request(user: Address, nonce: u64, tokens: u64) -> Request {
        Request {
            user,
            nonce,
            input_tokens: tokens,
            output_tokens: tokens,
        }
    }

    /// A record signed and not yet settled (a batch held back) still claims
    /// the user's balance: the provider does not serve that money again.
    #[test]
    fn fees_in_flight_are_not_served_again() {
        let mut backend = InProcess::new(86_400, 30);
        let root = AttestationRoot::from_seed(b"root");
        let address = backend.new_account(U256::ZERO).unwrap();
        let mut provider = Provider::new(address, &root, b"tee", U256::from(1), U256::from(1));
        provider.register(&mut backend).unwrap();
        let user = backend.new_account(U256::from(100)).unwrap();
        backend.add_ledger(user, U256::from(100)).unwrap();
        backend
            .transfer_fund(
                SubAccount::new(user, address, Kind::Inference),
                U256::from(100),
            )
            .unwrap();
        backend
            .acknowledge_signer(
                SubAccount::new(user, address, Kind::Inference),
                provider.tee_address(),
            )
            .unwrap();

        assert!(provider
            .serve(&mut backend, &request(user, 1, 30))
            .unwrap()
            .is_ok());
        let batch = provider
            .due_batches(&mut backend, 1, true)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(batch.total(), U256::from(60));
        assert_eq!(
            provider
                .serve(&mut backend, &request(user, 2, 30))
                .unwrap()
                .unwrap_err(),
            Refusal::NotCovered,
            "60 of the 100 wei are in flight"
        );

        let settlement = backend.settle(address, batch.records.clone()).unwrap();
        assert!(provider.settled(batch, &settlement)[0].failure.is_none());
        assert!(provider
            .serve(&mut backend, &request(user, 3, 20))
            .unwrap()
            .is_ok());
        assert_eq!(
            provider
                .serve(&mut backend, &request(user, 4, 1))
                .unwrap()
                .unwrap_err(),
            Refusal::NotCovered
        );
        let batch = provider
            .due_batches(&mut backend, 1, true)
            .unwrap()
            .pop()
            .unwrap();
        let settlement = backend.settle(address, batch.records.clone()).unwrap();
        assert!(provider.settled(batch, &settlement)[0].failure.is_none());
        assert_eq!(backend.balance(address).unwrap(), U256::from(100));
        assert!(provider.unsettled().is_zero());
    }
}
