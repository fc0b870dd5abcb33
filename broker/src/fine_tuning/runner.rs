//! The task runner: each tick settles the delivered tasks that are due,
//! finishes delivering the sealed ones, then trains the oldest waiting
//! task, seals its model and delivers it (`addDeliverable`).
//!
//! Every step is written to the database before the next depends on it,
//! and each is safe to repeat, so a broker killed at any moment resumes:
//! a task found `Training` is trained again (the model is not on chain
//! yet); `Delivering` asks the chain whether the deliverable is there
//! before adding it; `Delivered` asks whether the sub-account's nonce
//! already reached the task's before settling, so a task is never charged
//! twice (the contract also refuses a used nonce).
//!
//! A delivered task is settled with the full fee once the user
//! acknowledged the deliverable (the input carries the sealed secret),
//! or with an empty secret, which the contract charges as its penalty,
//! when `ack_timeout_secs` (at most half the lock time, so the provider
//! settles before a refund can drain the account) passed without it.

use alloy_primitives::{Bytes, B256, U256};

use super::{
    chain::SettleError,
    seal,
    store::now,
    task::{epochs, Progress, Task},
    FineTuning,
};
use crate::{
    lock,
    server::Broker,
    store::{self, Store},
    tee::VerifierInputFields,
};

/// What a tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunnerTick {
    /// Tasks trained and sealed.
    pub trained: usize,
    /// Deliverables that went on chain.
    pub delivered: usize,
    /// Tasks settled with the full fee.
    pub settled: usize,
    /// Tasks settled with the penalty.
    pub penalized: usize,
    /// Tasks that failed, with why.
    pub failed: Vec<(uuid::Uuid, String)>,
}

/// A failure that leaves the task where it was, for the next tick.
pub type Error = String;

/// One tick of `broker`'s runner; never two at once.
///
/// # Errors
///
/// A chain or database failure; the task stays where it was.
pub async fn tick(broker: &Broker) -> Result<RunnerTick, Error> {
    let Some(side) = broker.fine_tuning() else {
        return Ok(RunnerTick::default());
    };
    let _turn = side.running.lock().await;
    let mut tick = RunnerTick::default();
    let tasks = |progress| with_store(broker, |store| store.tasks_in(progress));
    let delivered = tasks(Progress::Delivered)?;
    if !delivered.is_empty() {
        let timeout = ack_timeout(side).await?;
        for task in delivered {
            settle(broker, side, &task, timeout, &mut tick).await?;
        }
    }
    for task in tasks(Progress::Delivering)? {
        deliver(broker, side, &task, &mut tick).await?;
    }
    let next = tasks(Progress::Training)?
        .into_iter()
        .chain(tasks(Progress::Init)?)
        .next();
    if let Some(task) = next {
        if train(broker, side, &task, &mut tick).await? {
            if let Some(sealed) = with_store(broker, |store| store.task(task.id))? {
                deliver(broker, side, &sealed, &mut tick).await?;
            }
        }
    }
    Ok(tick)
}

/// `operation` on `broker`'s store, its error as text.
fn with_store<T>(
    broker: &Broker,
    operation: impl FnOnce(&mut Store) -> Result<T, store::Error>,
) -> Result<T, Error> {
    operation(&mut lock(broker.store())).map_err(|e| e.to_string())
}

fn log(broker: &Broker, task: &Task, line: &str) -> Result<(), Error> {
    with_store(broker, |store| store.log_task(task.id, line))
}

fn fail(broker: &Broker, task: &Task, reason: String, tick: &mut RunnerTick) -> Result<(), Error> {
    tracing::warn!(task = %task.id, %reason, "fine-tuning task failed");
    log(broker, task, &format!("failed: {reason}"))?;
    with_store(broker, |store| {
        store.move_task(task.id, task.progress, Progress::Failed, Some(&reason))
    })?;
    tick.failed.push((task.id, reason));
    Ok(())
}

/// Trains `task` and seals its model; returns whether it is now
/// `Delivering`.
async fn train(
    broker: &Broker,
    side: &FineTuning,
    task: &Task,
    tick: &mut RunnerTick,
) -> Result<bool, Error> {
    let Some(model) = side.model_with_hash(task.model_hash).cloned() else {
        fail(broker, task, "the model is no longer offered".into(), tick)?;
        return Ok(false);
    };
    let Some(dataset) = side.dataset(&task.dataset_hash) else {
        fail(
            broker,
            task,
            "the dataset is no longer available".into(),
            tick,
        )?;
        return Ok(false);
    };
    let epochs = epochs(&task.training_params)?;
    if task.progress == Progress::Init {
        let started = with_store(broker, |store| {
            store.move_task(task.id, Progress::Init, Progress::Training, None)
        })?;
        if !started {
            return Ok(false);
        }
    }
    log(broker, task, "training")?;
    let trainer = std::sync::Arc::clone(&side.trainer);
    let params = task.training_params.clone();
    let (trained, lines) = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        let trained = trainer.train(&model, &dataset, &params, epochs, &mut |l| lines.push(l));
        (trained, lines)
    })
    .await
    .map_err(|e| format!("the trainer panicked: {e}"))?;
    for line in &lines {
        log(broker, task, line)?;
    }
    let trained = match trained {
        Ok(trained) => trained,
        Err(reason) => {
            let mut training = task.clone();
            training.progress = Progress::Training;
            fail(broker, &training, format!("training: {reason}"), tick)?;
            return Ok(false);
        }
    };
    let key = B256::random();
    let iv: [u8; 12] = B256::random()[..12].try_into().expect("12 bytes");
    let file = seal::seal_model(&trained, &key, iv, broker.tee());
    let root = seal::model_root(&file);
    let user_key = k256::PublicKey::from_sec1_bytes(&task.user_key)
        .map_err(|e| format!("task {}: the user's key: {e}", task.id))?;
    let secret = seal::seal_secret(
        &user_key.into(),
        key.as_slice(),
        &seal::random_secret_key(),
        B256::random()[..16].try_into().expect("16 bytes"),
    );
    let path = side.model_file(task.id);
    write_durably(&path, &file).map_err(|e| format!("{}: {e}", path.display()))?;
    with_store(broker, |store| store.sealed(task.id, &root, &secret))?;
    log(broker, task, &format!("sealed: model root {root}"))?;
    tick.trained += 1;
    Ok(true)
}

/// Writes `bytes` to `path` through a synced temporary file, so `path`
/// is either absent or complete.
fn write_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("partial");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

/// Puts `task`'s deliverable on chain unless it is there.
async fn deliver(
    broker: &Broker,
    side: &FineTuning,
    task: &Task,
    tick: &mut RunnerTick,
) -> Result<(), Error> {
    let root = Bytes::from(task.root.clone().unwrap_or_default().into_bytes());
    let id = task.id.to_string();
    let on_chain = side
        .chain
        .deliverable(task.user, &id)
        .await
        .map_err(|e| e.to_string())?;
    match on_chain {
        Some(deliverable) if deliverable.modelRootHash == root => {}
        Some(_) => {
            let reason = "another deliverable with this id is on chain".into();
            return fail(broker, task, reason, tick);
        }
        None => match side.chain.add_deliverable(task.user, &id, root).await {
            Ok(()) => {}
            Err(crate::chain::ChainError::Reverted(data)) => {
                let reason = format!(
                    "addDeliverable reverted: 0x{}",
                    alloy_primitives::hex::encode(data)
                );
                return fail(broker, task, reason, tick);
            }
            Err(error) => return Err(error.to_string()),
        },
    }
    with_store(broker, |store| store.delivered(task.id, now()))?;
    log(
        broker,
        task,
        "delivered: waiting for the user's acknowledgement",
    )?;
    tracing::info!(task = %task.id, user = %task.user, "fine-tuning model delivered");
    tick.delivered += 1;
    Ok(())
}

/// Reasons the contract gives when the acknowledgement changed between
/// the read and the settlement: the next tick tries again.
const RACED: [&str; 2] = ["secret should be empty", "secret should not be empty"];

/// How long a delivered model waits for its acknowledgement:
/// `ack_timeout_secs`, at most half the contract's lock time.
async fn ack_timeout(side: &FineTuning) -> Result<U256, Error> {
    let lock_time = side.chain.lock_time().await.map_err(|e| e.to_string())?;
    Ok(U256::from(side.config.ack_timeout_secs).min(lock_time / U256::from(2)))
}

/// Settles `task` when it is due (`timeout` after its delivery without
/// an acknowledgement).
async fn settle(
    broker: &Broker,
    side: &FineTuning,
    task: &Task,
    timeout: U256,
    tick: &mut RunnerTick,
) -> Result<(), Error> {
    let chain = &side.chain;
    let id = task.id.to_string();
    let account = chain.account(task.user).await.map_err(|e| e.to_string())?;
    let Some(account) = account else {
        return fail(broker, task, "the sub-account is gone".into(), tick);
    };
    let deliverable = chain
        .deliverable(task.user, &id)
        .await
        .map_err(|e| e.to_string())?;
    let acknowledged = deliverable.as_ref().is_some_and(|d| d.acknowledged);
    if account.nonce >= task.nonce {
        // Settled before a restart: closed, not sent again.
        let full = deliverable.is_some_and(|d| !d.encryptedSecret.is_empty());
        return finish(broker, task, full, tick);
    }
    if !acknowledged {
        let due = U256::from(task.deliver_time.unwrap_or(0)) + timeout;
        if U256::from(now()) < due {
            return Ok(());
        }
    }
    let secret: &[u8] = match (acknowledged, &task.encrypted_secret) {
        (true, Some(secret)) => secret,
        _ => &[],
    };
    let input = broker.tee().sign_verifier_input(VerifierInputFields {
        user: task.user,
        id: &id,
        model_root_hash: task.root.as_deref().unwrap_or_default().as_bytes(),
        encrypted_secret: secret,
        nonce: task.nonce,
        task_fee: task.fee,
    });
    match chain.settle(input).await {
        Ok(()) => finish(broker, task, acknowledged, tick),
        Err(SettleError::Refused(reason)) if RACED.contains(&reason.as_str()) => Ok(()),
        Err(SettleError::Refused(reason)) => {
            fail(broker, task, format!("settlement refused: {reason}"), tick)
        }
        Err(SettleError::Chain(error)) => Err(error.to_string()),
    }
}

/// Closes `task` as settled, with the full fee or the penalty.
fn finish(broker: &Broker, task: &Task, full: bool, tick: &mut RunnerTick) -> Result<(), Error> {
    let outcome = if full {
        "settled: full fee"
    } else {
        "settled: penalty, not acknowledged in time"
    };
    log(broker, task, outcome)?;
    with_store(broker, |store| {
        store.move_task(
            task.id,
            Progress::Delivered,
            Progress::Finished,
            Some(outcome),
        )
    })?;
    tracing::info!(task = %task.id, user = %task.user, outcome, "fine-tuning task settled");
    if full {
        tick.settled += 1;
    } else {
        tick.penalized += 1;
    }
    Ok(())
}
