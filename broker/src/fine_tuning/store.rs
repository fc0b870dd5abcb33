//! The fine-tuning tasks in the broker's database: a task is written when
//! it is accepted, and every step (its state, its sealed model's root and
//! secret, its delivery time, its outcome, its log) before the step that
//! depends on it, so a restarted broker resumes each task where it was.

use alloy_primitives::Address;
use rusqlite::{params, OptionalExtension, Row};
use uuid::Uuid;

use super::task::{Progress, Task};
use crate::store::{parse, text, Error, Store};

const COLUMNS: &str = "id, user, user_key, model_hash, dataset_hash, training_params, fee, \
     nonce, signature, progress, created_at, updated_at, deliver_time, root, encrypted_secret, \
     outcome";

fn task(row: &Row<'_>) -> rusqlite::Result<Task> {
    let progress: String = row.get(9)?;
    Ok(Task {
        id: parse(row.get(0)?)?,
        user: parse(row.get(1)?)?,
        user_key: row.get(2)?,
        model_hash: parse(row.get(3)?)?,
        dataset_hash: row.get(4)?,
        training_params: row.get(5)?,
        fee: parse(row.get(6)?)?,
        nonce: parse(row.get(7)?)?,
        signature: row.get(8)?,
        progress: Progress::parse(&progress).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                9,
                rusqlite::types::Type::Text,
                format!("unknown progress {progress}").into(),
            )
        })?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        deliver_time: row.get(12)?,
        root: row.get(13)?,
        encrypted_secret: row.get(14)?,
        outcome: row.get(15)?,
    })
}

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Store {
    /// Adds `task` unless `user` has an unfinished one; returns whether it
    /// did.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn add_task(&mut self, task: &Task) -> Result<bool, Error> {
        let tx = self.db.transaction()?;
        if unfinished_in(&tx, task.user)? {
            return Ok(false);
        }
        tx.execute(
            &format!(
                "INSERT INTO tasks ({COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
            ),
            params![
                text(task.id),
                text(task.user),
                task.user_key,
                text(task.model_hash),
                task.dataset_hash,
                task.training_params,
                text(task.fee),
                text(task.nonce),
                task.signature,
                task.progress.as_str(),
                task.created_at,
                task.updated_at,
                task.deliver_time,
                task.root,
                task.encrypted_secret,
                task.outcome,
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Task `id`.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn task(&self, id: Uuid) -> Result<Option<Task>, Error> {
        self.db
            .query_row(
                &format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"),
                [text(id)],
                task,
            )
            .optional()
    }

    /// The tasks of `user`, newest first.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn tasks_of(&self, user: Address) -> Result<Vec<Task>, Error> {
        let mut query = self.db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE user = ?1 ORDER BY created_at DESC, rowid DESC"
        ))?;
        let rows = query.query_map([text(user)], task)?;
        rows.collect()
    }

    /// The tasks in `progress`, oldest first.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn tasks_in(&self, progress: Progress) -> Result<Vec<Task>, Error> {
        let mut query = self.db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE progress = ?1 ORDER BY created_at, rowid"
        ))?;
        let rows = query.query_map([progress.as_str()], task)?;
        rows.collect()
    }

    /// How many tasks wait for the trainer.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn pending_tasks(&self) -> Result<u64, Error> {
        self.db.query_row(
            "SELECT COUNT(*) FROM tasks WHERE progress = ?1",
            [Progress::Init.as_str()],
            |row| row.get(0),
        )
    }

    /// How many tasks are in each state.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn task_counts(&self) -> Result<Vec<(Progress, u64)>, Error> {
        Progress::ALL
            .into_iter()
            .map(|progress| {
                let count = self.db.query_row(
                    "SELECT COUNT(*) FROM tasks WHERE progress = ?1",
                    [progress.as_str()],
                    |row| row.get(0),
                )?;
                Ok((progress, count))
            })
            .collect()
    }

    /// Moves task `id` from `from` to `to`, with `outcome` when given;
    /// returns whether it was in `from`.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn move_task(
        &mut self,
        id: Uuid,
        from: Progress,
        to: Progress,
        outcome: Option<&str>,
    ) -> Result<bool, Error> {
        let changed = self.db.execute(
            "UPDATE tasks SET progress = ?3, updated_at = ?4, outcome = COALESCE(?5, outcome)
             WHERE id = ?1 AND progress = ?2",
            params![text(id), from.as_str(), to.as_str(), now(), outcome],
        )?;
        Ok(changed == 1)
    }

    /// Records task `id`'s sealed model (`root`, `encrypted_secret`) and
    /// moves it from `Training` to `Delivering`.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn sealed(&mut self, id: Uuid, root: &str, encrypted_secret: &[u8]) -> Result<(), Error> {
        self.db.execute(
            "UPDATE tasks SET progress = ?2, root = ?3, encrypted_secret = ?4, updated_at = ?5
             WHERE id = ?1 AND progress = ?6",
            params![
                text(id),
                Progress::Delivering.as_str(),
                root,
                encrypted_secret,
                now(),
                Progress::Training.as_str(),
            ],
        )?;
        Ok(())
    }

    /// Moves task `id` from `Delivering` to `Delivered` at `time`.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn delivered(&mut self, id: Uuid, time: u64) -> Result<(), Error> {
        self.db.execute(
            "UPDATE tasks SET progress = ?2, deliver_time = ?3, updated_at = ?3
             WHERE id = ?1 AND progress = ?4",
            params![
                text(id),
                Progress::Delivered.as_str(),
                time,
                Progress::Delivering.as_str()
            ],
        )?;
        Ok(())
    }

    /// Appends `line` to task `id`'s log.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn log_task(&mut self, id: Uuid, line: &str) -> Result<(), Error> {
        self.db.execute(
            "UPDATE tasks SET log = log || ?2 || char(10) WHERE id = ?1",
            params![text(id), line],
        )?;
        Ok(())
    }

    /// Task `id`'s log.
    ///
    /// # Errors
    ///
    /// The database's.
    pub fn task_log(&self, id: Uuid) -> Result<Option<String>, Error> {
        self.db
            .query_row("SELECT log FROM tasks WHERE id = ?1", [text(id)], |row| {
                row.get(0)
            })
            .optional()
    }
}

fn unfinished_in(db: &rusqlite::Connection, user: Address) -> Result<bool, Error> {
    db.query_row(
        "SELECT EXISTS (SELECT 1 FROM tasks WHERE user = ?1 AND progress NOT IN (?2, ?3))",
        params![
            text(user),
            Progress::Finished.as_str(),
            Progress::Failed.as_str()
        ],
        |row| row.get(0),
    )
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, U256};

    use super::*;

    fn task(user: Address, created_at: u64) -> Task {
        Task {
            id: Uuid::new_v4(),
            user,
            user_key: vec![4; 65],
            model_hash: B256::repeat_byte(1),
            dataset_hash: B256::repeat_byte(2).to_string(),
            training_params: "{}".into(),
            fee: U256::from(100),
            nonce: U256::from(7),
            signature: "0x00".into(),
            progress: Progress::Init,
            created_at,
            updated_at: created_at,
            deliver_time: None,
            root: None,
            encrypted_secret: None,
            outcome: None,
        }
    }

    #[test]
    fn a_task_moves_through_its_states_one_at_a_time_per_user() {
        let mut store = Store::open(":memory:").unwrap();
        let user = Address::repeat_byte(9);
        let first = task(user, 10);
        assert!(store.add_task(&first).unwrap());
        assert!(
            !store.add_task(&task(user, 11)).unwrap(),
            "one unfinished task per user"
        );
        assert!(store.add_task(&task(Address::repeat_byte(8), 11)).unwrap());
        assert_eq!(store.pending_tasks().unwrap(), 2);
        assert_eq!(store.task(first.id).unwrap(), Some(first.clone()));

        let id = first.id;
        assert!(store
            .move_task(id, Progress::Init, Progress::Training, None)
            .unwrap());
        assert!(!store
            .move_task(id, Progress::Init, Progress::Failed, None)
            .unwrap());
        store.sealed(id, "0xroot", b"secret").unwrap();
        store.delivered(id, 42).unwrap();
        store.log_task(id, "epoch 1/1").unwrap();
        store.log_task(id, "delivered").unwrap();
        let delivered = store.task(id).unwrap().unwrap();
        assert_eq!(delivered.progress, Progress::Delivered);
        assert_eq!(delivered.root.as_deref(), Some("0xroot"));
        assert_eq!(delivered.encrypted_secret.as_deref(), Some(&b"secret"[..]));
        assert_eq!(delivered.deliver_time, Some(42));
        assert_eq!(
            store.tasks_in(Progress::Delivered).unwrap(),
            vec![delivered]
        );
        assert_eq!(
            store.task_log(id).unwrap().as_deref(),
            Some("epoch 1/1\ndelivered\n")
        );

        let counts = store.task_counts().unwrap();
        assert!(
            counts.contains(&(Progress::Delivered, 1)) && counts.contains(&(Progress::Init, 1))
        );
        let settled = Some("settled: full fee");
        assert!(store
            .move_task(id, Progress::Delivered, Progress::Finished, settled)
            .unwrap());
        let second = task(user, 20);
        assert!(
            store.add_task(&second).unwrap(),
            "the user's turn is free again"
        );
        let listed: Vec<_> = store.tasks_of(user).unwrap().iter().map(|t| t.id).collect();
        assert_eq!(listed, vec![second.id, id], "newest first");
        assert_eq!(store.task(id).unwrap().unwrap().outcome.as_deref(), settled);
    }
}
