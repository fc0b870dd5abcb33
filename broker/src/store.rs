//! The broker's durable state, in SQLite: every served request's record
//! (written before the response is released), each user's last nonce,
//! the response signatures, and the settlement batches with each record's
//! outcome; the fine-tuning tasks (`fine_tuning::store`).
//!
//! A request moves `unsettled` -> `batched` (in a signed record of a
//! batch, written before the batch is sent) -> `settled` or `failed`. A
//! batch stays open until every record in it has an outcome, so a broker
//! killed at any moment finds, at restart, exactly the records whose
//! outcome it does not know, and asks the chain (see `settlement`).

use std::{collections::BTreeMap, path::Path};

use alloy_primitives::{Address, Bytes, B256, U256};
use rusqlite::{params, Connection, OptionalExtension};

use crate::chain::TEESettlementData;

/// A database error.
pub type Error = rusqlite::Error;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    user TEXT PRIMARY KEY,
    last_nonce TEXT NOT NULL,
    stopped TEXT
);
CREATE TABLE IF NOT EXISTS requests (
    chat_id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    nonce TEXT NOT NULL,
    fee TEXT NOT NULL,
    state TEXT NOT NULL,
    batch INTEGER,
    text TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_state ON requests (state, user);
CREATE TABLE IF NOT EXISTS records (
    batch INTEGER NOT NULL,
    user TEXT NOT NULL,
    nonce TEXT NOT NULL,
    total_fee TEXT NOT NULL,
    requests_hash TEXT NOT NULL,
    signature BLOB NOT NULL,
    outcome TEXT,
    PRIMARY KEY (batch, user)
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    open INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    user_key BLOB NOT NULL,
    model_hash TEXT NOT NULL,
    dataset_hash TEXT NOT NULL,
    training_params TEXT NOT NULL,
    fee TEXT NOT NULL,
    nonce TEXT NOT NULL,
    signature TEXT NOT NULL,
    progress TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deliver_time INTEGER,
    root TEXT,
    encrypted_secret BLOB,
    outcome TEXT,
    log TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tasks_by_user ON tasks (user, created_at);
";

/// A served request, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    /// The id of the response (the OpenAI `id`).
    pub chat_id: String,
    /// The user.
    pub user: Address,
    /// The request's nonce.
    pub nonce: u64,
    /// The fee billed.
    pub fee: U256,
    /// The text the TEE signed.
    pub text: String,
    /// The signature, `0x` hex.
    pub signature: String,
}

/// A record of an open batch, with the requests it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenRecord {
    /// Its batch.
    pub batch: i64,
    /// The signed record.
    pub record: TEESettlementData,
}

/// Totals for the metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Requests served.
    pub requests: u64,
    /// Fees billed.
    pub billed: U256,
    /// Fees not yet in a sent record, or in one without outcome.
    pub unsettled: U256,
    /// Fees settled on chain.
    pub settled: U256,
    /// Fees of failed records.
    pub failed: U256,
    /// Records that failed.
    pub failed_records: u64,
}

/// The database.
pub struct Store {
    pub(crate) db: Connection,
}

pub(crate) fn text<T: ToString>(value: T) -> String {
    value.to_string()
}

pub(crate) fn parse<T: std::str::FromStr>(value: String) -> rusqlite::Result<T> {
    value.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unparsable value {value}").into(),
        )
    })
}

impl Store {
    /// Opens (or creates) the database at `path`; `:memory:` for one in
    /// memory.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.execute_batch(SCHEMA)?;
        Ok(Store { db })
    }

    /// Takes `nonce` for `user` if it is above the user's last one, and
    /// returns whether it did. Durable before it returns: a request is
    /// forwarded only after its nonce is spent.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn take_nonce(&mut self, user: Address, nonce: u64) -> Result<bool, Error> {
        let tx = self.db.transaction()?;
        let last: Option<String> = tx
            .query_row(
                "SELECT last_nonce FROM users WHERE user = ?1",
                [text(user)],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(last) = last {
            if nonce <= parse::<u64>(last)? {
                return Ok(false);
            }
        }
        tx.execute(
            "INSERT INTO users (user, last_nonce) VALUES (?1, ?2)
             ON CONFLICT (user) DO UPDATE SET last_nonce = ?2",
            params![text(user), text(nonce)],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Why the broker stopped serving `user`, if it did.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn stopped(&self, user: Address) -> Result<Option<String>, Error> {
        Ok(self
            .db
            .query_row(
                "SELECT stopped FROM users WHERE user = ?1",
                [text(user)],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// How many users the broker serves (known and not stopped).
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn serving(&self) -> Result<usize, Error> {
        self.db.query_row(
            "SELECT COUNT(*) FROM users WHERE stopped IS NULL",
            [],
            |row| row.get(0),
        )
    }

    /// Records a served request (with its signature), before the response
    /// is released.
    ///
    /// # Errors
    ///
    /// The database's (a `chat_id` recorded twice among them).
    pub fn record(&mut self, served: &Served) -> Result<(), Error> {
        self.db.execute(
            "INSERT INTO requests (chat_id, user, nonce, fee, state, text, signature)
             VALUES (?1, ?2, ?3, ?4, 'unsettled', ?5, ?6)",
            params![
                served.chat_id,
                text(served.user),
                text(served.nonce),
                text(served.fee),
                served.text,
                served.signature
            ],
        )?;
        Ok(())
    }

    /// The signed text and signature of response `chat_id`.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn signature(&self, chat_id: &str) -> Result<Option<(String, String)>, Error> {
        self.db
            .query_row(
                "SELECT text, signature FROM requests WHERE chat_id = ?1",
                [chat_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
    }

    /// What `user` owes and the chain does not know yet: fees of requests
    /// not in a settled or failed record.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn owed(&self, user: Address) -> Result<U256, Error> {
        let mut query = self.db.prepare_cached(
            "SELECT fee FROM requests WHERE user = ?1 AND state IN ('unsettled', 'batched')",
        )?;
        let fees = query.query_map([text(user)], |row| parse::<U256>(row.get(0)?))?;
        fees.sum()
    }

    /// The unsettled requests by user: their chat ids, highest nonce and
    /// total fee.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn unsettled(&self) -> Result<BTreeMap<Address, Unsettled>, Error> {
        let mut query = self.db.prepare_cached(
            "SELECT user, chat_id, nonce, fee FROM requests WHERE state = 'unsettled'",
        )?;
        let rows = query.query_map([], |row| {
            Ok((
                parse::<Address>(row.get(0)?)?,
                row.get::<_, String>(1)?,
                parse::<u64>(row.get(2)?)?,
                parse::<U256>(row.get(3)?)?,
            ))
        })?;
        let mut by_user = BTreeMap::<Address, Unsettled>::new();
        for row in rows {
            let (user, chat_id, nonce, fee) = row?;
            let entry = by_user.entry(user).or_default();
            entry.chat_ids.push(chat_id);
            entry.nonce = entry.nonce.max(nonce);
            entry.fee += fee;
        }
        Ok(by_user)
    }

    /// Writes a batch of signed records, each covering the requests
    /// `chat_ids` of its user, and moves those requests to `batched`.
    /// Returns the batch's id.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn open_batch(
        &mut self,
        records: &[(TEESettlementData, Vec<String>)],
    ) -> Result<i64, Error> {
        let tx = self.db.transaction()?;
        tx.execute("INSERT INTO batches (open) VALUES (1)", [])?;
        let batch = tx.last_insert_rowid();
        for (record, chat_ids) in records {
            tx.execute(
                "INSERT INTO records (batch, user, nonce, total_fee, requests_hash, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    batch,
                    text(record.user),
                    text(record.nonce),
                    text(record.totalFee),
                    text(record.requestsHash),
                    record.signature.to_vec()
                ],
            )?;
            for chat_id in chat_ids {
                tx.execute(
                    "UPDATE requests SET state = 'batched', batch = ?1 WHERE chat_id = ?2",
                    params![batch, chat_id],
                )?;
            }
        }
        tx.commit()?;
        Ok(batch)
    }

    /// The records without outcome, oldest batch first.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn open_records(&self, provider: Address) -> Result<Vec<OpenRecord>, Error> {
        let mut query = self.db.prepare_cached(
            "SELECT batch, user, nonce, total_fee, requests_hash, signature FROM records
             WHERE outcome IS NULL ORDER BY batch, rowid",
        )?;
        let rows = query.query_map([], |row| {
            Ok(OpenRecord {
                batch: row.get(0)?,
                record: TEESettlementData {
                    user: parse(row.get(1)?)?,
                    provider,
                    nonce: parse(row.get(2)?)?,
                    totalFee: parse(row.get(3)?)?,
                    requestsHash: parse::<B256>(row.get(4)?)?,
                    signature: Bytes::from(row.get::<_, Vec<u8>>(5)?),
                },
            })
        })?;
        rows.collect()
    }

    /// Gives the record of `user` in `batch` its outcome: `None` settled,
    /// else the reason it failed (the user is then not served again).
    /// Closes the batch when it was its last open record.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn close_record(
        &mut self,
        batch: i64,
        user: Address,
        failure: Option<&str>,
    ) -> Result<(), Error> {
        let tx = self.db.transaction()?;
        let outcome = failure.map_or_else(|| "settled".to_string(), |r| format!("failed: {r}"));
        tx.execute(
            "UPDATE records SET outcome = ?1 WHERE batch = ?2 AND user = ?3",
            params![outcome, batch, text(user)],
        )?;
        let state = if failure.is_some() {
            "failed"
        } else {
            "settled"
        };
        tx.execute(
            "UPDATE requests SET state = ?1 WHERE batch = ?2 AND user = ?3",
            params![state, batch, text(user)],
        )?;
        if let Some(reason) = failure {
            tx.execute(
                "UPDATE users SET stopped = ?1 WHERE user = ?2",
                params![reason, text(user)],
            )?;
        }
        tx.execute(
            "UPDATE batches SET open = 0 WHERE id = ?1 AND NOT EXISTS
             (SELECT 1 FROM records WHERE batch = ?1 AND outcome IS NULL)",
            [batch],
        )?;
        tx.commit()
    }

    /// Totals over every request.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn totals(&self) -> Result<Totals, Error> {
        let mut totals = Totals::default();
        let mut query = self.db.prepare_cached("SELECT state, fee FROM requests")?;
        let rows = query.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, parse::<U256>(row.get(1)?)?))
        })?;
        for row in rows {
            let (state, fee) = row?;
            totals.requests += 1;
            totals.billed += fee;
            match state.as_str() {
                "settled" => totals.settled += fee,
                "failed" => totals.failed += fee,
                _ => totals.unsettled += fee,
            }
        }
        totals.failed_records = self.db.query_row(
            "SELECT COUNT(*) FROM records WHERE outcome LIKE 'failed%'",
            [],
            |row| row.get(0),
        )?;
        Ok(totals)
    }
}

/// A user's requests not yet in a record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unsettled {
    /// Their response ids.
    pub chat_ids: Vec<String>,
    /// Their highest nonce.
    pub nonce: u64,
    /// Their fees.
    pub fee: U256,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(chat_id: &str, user: Address, nonce: u64, fee: u64) -> Served {
        Served {
            chat_id: chat_id.into(),
            user,
            nonce,
            fee: U256::from(fee),
            text: format!("{chat_id}:text"),
            signature: "0x00".into(),
        }
    }

    fn record(user: Address, nonce: u64, fee: u64) -> TEESettlementData {
        TEESettlementData {
            user,
            provider: Address::repeat_byte(9),
            totalFee: U256::from(fee),
            requestsHash: B256::repeat_byte(nonce as u8),
            nonce: U256::from(nonce),
            signature: Bytes::from(vec![1, 2, 3]),
        }
    }

    #[test]
    fn nonces_only_grow_and_survive_a_reopen() {
        let dir = std::env::temp_dir().join(format!("broker-store-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let user = Address::repeat_byte(1);
        {
            let mut store = Store::open(&dir).unwrap();
            assert!(store.take_nonce(user, 5).unwrap());
            assert!(!store.take_nonce(user, 5).unwrap());
            assert!(!store.take_nonce(user, 4).unwrap());
            assert!(store.take_nonce(user, u64::MAX).unwrap());
        }
        let mut store = Store::open(&dir).unwrap();
        assert!(!store.take_nonce(user, u64::MAX).unwrap());
        assert!(store.take_nonce(Address::repeat_byte(2), 1).unwrap());
        drop(store);
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn requests_move_from_unsettled_to_an_outcome() {
        let mut store = Store::open(":memory:").unwrap();
        let (alice, bob) = (Address::repeat_byte(1), Address::repeat_byte(2));
        for (i, (user, fee)) in [(alice, 10), (alice, 5), (bob, 7)].into_iter().enumerate() {
            store.take_nonce(user, i as u64 + 1).unwrap();
            store
                .record(&served(&format!("chat-{i}"), user, i as u64 + 1, fee))
                .unwrap();
        }
        assert!(store.record(&served("chat-0", alice, 9, 1)).is_err());
        assert_eq!(
            store.signature("chat-1").unwrap(),
            Some(("chat-1:text".into(), "0x00".into()))
        );
        assert_eq!(store.signature("nope").unwrap(), None);
        let unsettled = store.unsettled().unwrap();
        assert_eq!(unsettled[&alice].chat_ids, ["chat-0", "chat-1"]);
        assert_eq!(
            (unsettled[&alice].nonce, unsettled[&alice].fee),
            (2, U256::from(15))
        );
        assert_eq!(store.owed(alice).unwrap(), U256::from(15));

        let batch = store
            .open_batch(&[
                (record(alice, 2, 15), unsettled[&alice].chat_ids.clone()),
                (record(bob, 3, 7), unsettled[&bob].chat_ids.clone()),
            ])
            .unwrap();
        assert!(store.unsettled().unwrap().is_empty());
        assert_eq!(
            store.owed(alice).unwrap(),
            U256::from(15),
            "in flight, still owed"
        );
        let open = store.open_records(Address::repeat_byte(9)).unwrap();
        assert_eq!(
            open.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
            [record(alice, 2, 15), record(bob, 3, 7)]
        );

        store.close_record(batch, alice, None).unwrap();
        store
            .close_record(batch, bob, Some("Insufficient balance"))
            .unwrap();
        assert!(store
            .open_records(Address::repeat_byte(9))
            .unwrap()
            .is_empty());
        assert_eq!(store.owed(alice).unwrap(), U256::ZERO);
        assert_eq!(
            store.stopped(bob).unwrap().as_deref(),
            Some("Insufficient balance")
        );
        assert_eq!(store.stopped(alice).unwrap(), None);
        let totals = store.totals().unwrap();
        assert_eq!(
            totals,
            Totals {
                requests: 3,
                billed: U256::from(22),
                unsettled: U256::ZERO,
                settled: U256::from(15),
                failed: U256::from(7),
                failed_records: 1,
            }
        );
    }
}
