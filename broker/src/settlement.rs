//! The settlement engine: at every tick it signs the records that the
//! policy says are due (`policy::due`), writes them to the store as a
//! batch, and sends every record without outcome in `settleFeesWithTEE`.
//!
//! A record's outcome is read from the chain, not from memory: it settled
//! when the sub-account's nonce reached the record's nonce (only this
//! provider settles its users' accounts, a record's nonce is the highest of
//! its requests, and the contract moves the nonce only when a record
//! settles); otherwise it failed with the reason of its
//! `TEESettlementFailed` event. So a broker killed at any moment (before,
//! while or after a batch is sent) settles every open record exactly once
//! after a restart: what the chain already took is closed as settled
//! without being sent again, the rest is sent.
//!
//! What is retried: a transaction that did not go through (the node did not
//! answer, the whole call reverted) leaves its records open for the next
//! tick. A record the contract refused is closed with the reason and its
//! user is not served again: its reasons (signer not acknowledged, balance
//! short, nonce already used, ...) do not change by sending it again.

use std::{collections::BTreeMap, sync::Mutex};

use alloy_primitives::{keccak256, Address, U256};

use crate::{
    chain::{self, Chain, ChainError},
    lock,
    policy::{self, Exposure},
    store::{self, Store},
    tee::Tee,
};

/// Why a tick did not finish.
#[derive(Debug)]
pub enum Error {
    /// The chain did not answer or refused the transaction; the records
    /// stay open.
    Chain(ChainError),
    /// The database failed.
    Store(store::Error),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Chain(error) => write!(f, "{error}"),
            Error::Store(error) => write!(f, "database: {error}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ChainError> for Error {
    fn from(error: ChainError) -> Self {
        Error::Chain(error)
    }
}

impl From<store::Error> for Error {
    fn from(error: store::Error) -> Self {
        Error::Store(error)
    }
}

/// What a tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// Records signed into new batches.
    pub signed: usize,
    /// Settlement transactions sent.
    pub transactions: usize,
    /// Records closed as settled, and their fees.
    pub settled: usize,
    /// Fees of the records settled.
    pub settled_fees: U256,
    /// What the settlement transactions cost the provider (wei).
    pub gas_cost: U256,
    /// Records closed as failed, with the reason.
    pub failed: Vec<(Address, String)>,
}

/// The engine of one provider.
pub struct Settler<'a> {
    /// The chain, as the provider.
    pub chain: &'a Chain,
    /// The TEE that signs the records.
    pub tee: &'a dyn Tee,
    /// The store.
    pub store: &'a Mutex<Store>,
    /// Records per batch (at most `chain::MAX_BATCH`).
    pub batch_size: usize,
}

impl Settler<'_> {
    /// One tick: new batches for what is due (everything owed when
    /// `force`), then every open record sent and closed.
    ///
    /// # Errors
    ///
    /// A chain or database failure; what was done before it stays done.
    pub async fn tick(&self, force: bool) -> Result<Tick, Error> {
        let mut tick = Tick::default();
        self.sign_due(force, &mut tick).await?;
        self.resolve(&mut tick).await?;
        Ok(tick)
    }

    /// The first half of a tick: signs records for the users the policy
    /// says are due and stores them as batches, sending nothing.
    ///
    /// # Errors
    ///
    /// A chain or database failure.
    pub async fn sign_due(&self, force: bool, tick: &mut Tick) -> Result<(), Error> {
        let provider = self.chain.provider_address();
        let (unsettled, in_flight, serving) = {
            let store = lock(self.store);
            let mut in_flight = BTreeMap::<Address, U256>::new();
            for open in store.open_records(provider)? {
                *in_flight.entry(open.record.user).or_default() += open.record.totalFee;
            }
            (store.unsettled()?, in_flight, store.serving()?)
        };
        if unsettled.is_empty() {
            return Ok(());
        }
        let users: Vec<Address> = unsettled.keys().copied().collect();
        let accounts = self.chain.accounts(&users).await?;
        let owing: Vec<(Address, Exposure)> = users
            .iter()
            .zip(&accounts)
            .map(|(user, account)| {
                let exposure = Exposure {
                    spendable: chain::spendable(account),
                    in_flight: in_flight.get(user).copied().unwrap_or_default(),
                    unsettled: unsettled[user].fee,
                };
                (*user, exposure)
            })
            .collect();
        let batch_size = self.batch_size.clamp(1, chain::MAX_BATCH);
        for batch in policy::due(&owing, serving, batch_size, force) {
            let records: Vec<_> = batch
                .iter()
                .map(|user| {
                    let requests = &unsettled[user];
                    let ids: Vec<u8> = requests
                        .chat_ids
                        .iter()
                        .flat_map(|id| keccak256(id.as_bytes()))
                        .collect();
                    let record = self.tee.sign_record(
                        provider,
                        *user,
                        keccak256(&ids),
                        U256::from(requests.nonce),
                        requests.fee,
                    );
                    (record, requests.chat_ids.clone())
                })
                .collect();
            tick.signed += records.len();
            lock(self.store).open_batch(&records)?;
        }
        Ok(())
    }

    /// The second half of a tick: sends the open records and closes each
    /// with its outcome.
    ///
    /// # Errors
    ///
    /// A chain or database failure; the records not closed stay open.
    pub async fn resolve(&self, tick: &mut Tick) -> Result<(), Error> {
        let provider = self.chain.provider_address();
        let open = lock(self.store).open_records(provider)?;
        if open.is_empty() {
            return Ok(());
        }
        // What the chain already took (a batch sent before a crash) is
        // closed without sending it again.
        let pending = self.close_settled(open, tick, &[]).await?;
        for chunk in pending.chunks(chain::MAX_BATCH) {
            let records = chunk.iter().map(|r| r.record.clone()).collect();
            let outcome = self.chain.settle(records).await?;
            tick.transactions += 1;
            tick.gas_cost += outcome.gas_cost;
            tracing::info!(
                tx = %outcome.tx,
                records = chunk.len(),
                failed = outcome.failed.len(),
                gas = outcome.gas_used,
                "settlement sent"
            );
            self.close_settled(chunk.to_vec(), tick, &outcome.failed)
                .await?;
        }
        Ok(())
    }

    /// Closes the records of `open` the chain settled, and those `failed`
    /// names; returns the rest.
    async fn close_settled(
        &self,
        open: Vec<store::OpenRecord>,
        tick: &mut Tick,
        failed: &[(Address, String)],
    ) -> Result<Vec<store::OpenRecord>, Error> {
        let users: Vec<Address> = open.iter().map(|r| r.record.user).collect();
        let accounts = self.chain.accounts(&users).await?;
        let mut pending = Vec::new();
        let mut store = lock(self.store);
        for (open, account) in open.into_iter().zip(accounts) {
            let user = open.record.user;
            if account.nonce >= open.record.nonce {
                store.close_record(open.batch, user, None)?;
                tick.settled += 1;
                tick.settled_fees += open.record.totalFee;
            } else if let Some((_, reason)) = failed.iter().find(|(u, _)| *u == user) {
                tracing::warn!(%user, reason, "settlement record failed");
                store.close_record(open.batch, user, Some(reason))?;
                tick.failed.push((user, reason.clone()));
            } else {
                pending.push(open);
            }
        }
        Ok(pending)
    }
}
