//! Fine-tuning: the endpoints the 0G SDK 0.4.4 calls for it, the task
//! runner, and settlement on FineTuningServing.
//!
//! | endpoint | what it serves |
//! | --- | --- |
//! | `POST /v1/user/{address}/task` | a task checked and queued: `201 {"id": ...}` |
//! | `GET /v1/user/{address}/task` | the user's tasks, newest first (`?latest=true`: the newest) |
//! | `GET /v1/user/{address}/task/{id}` | one task, with its `progress` |
//! | `GET /v1/user/{address}/task/{id}/log` | its log, as text |
//! | `POST /v1/user/{address}/task/{id}/cancel` | cancels a task not started yet, signed by the user |
//! | `GET /v1/user/{address}/task/{id}/model` | the sealed model, once delivered (in place of 0G storage) |
//! | `GET /v1/task/pending` | how many tasks wait for the trainer |
//! | `GET /v1/model`, `/v1/model/{name}`, `/v1/model/desc/{name}` | the models offered, one, its usage notes |
//!
//! A task is accepted only when it is signed by its user (the SDK's
//! `signRequest`), names a model offered and a dataset the broker has,
//! pays at least the price of its dataset's tokens times its epochs, has a
//! nonce above the sub-account's, and the sub-account exists, acknowledged
//! this TEE as its provider signer and can pay the fee; one unfinished task
//! per user. Refusals are `{"error": message, "code": code}` (the SDK's
//! fine-tuning client shows `error`).
//!
//! [`runner`] trains, seals ([`seal`]) and delivers each task, then
//! settles it: the full fee once the user acknowledged the deliverable,
//! the contract's penalty when the acknowledgement did not come in time.

pub mod chain;
pub mod runner;
pub mod seal;
pub mod store;
pub mod task;
pub mod trainer;

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header::CONTENT_TYPE, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use chain::{FineTuningChain, Quota, Service};
use serde::Deserialize;
use serde_json::{json, Value};
use store::now;
use task::{Progress, Task, TaskRequest};
use trainer::Trainer;
use uuid::Uuid;

use crate::{
    config, lock,
    server::{Broker, Refused},
};

/// The fine-tuning side of a broker.
pub struct FineTuning {
    config: config::FineTuning,
    url: String,
    chain: FineTuningChain,
    trainer: Arc<dyn Trainer>,
    running: tokio::sync::Mutex<()>,
}

/// A refused call: status, code and message.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn refusal(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

fn internal(error: impl std::fmt::Display) -> Refusal {
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        error.to_string(),
    )
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        tracing::info!(code = self.code, message = %self.message, "fine-tuning call refused");
        let body = json!({"error": self.message, "code": self.code});
        (self.status, Refused(self.code), Json(body)).into_response()
    }
}

impl FineTuning {
    /// The fine-tuning side of `config`, at `url`, on FineTuningServing
    /// through `chain`, training with `trainer`.
    pub fn new(
        config: config::FineTuning,
        url: String,
        chain: FineTuningChain,
        trainer: Arc<dyn Trainer>,
    ) -> Self {
        FineTuning {
            config,
            url,
            chain,
            trainer,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Its settings.
    pub fn config(&self) -> &config::FineTuning {
        &self.config
    }

    /// FineTuningServing.
    pub fn chain(&self) -> &FineTuningChain {
        &self.chain
    }

    /// The service it registers, its provider signer `signer`.
    pub fn service(&self, signer: Address) -> Service {
        let quota = &self.config.quota;
        Service {
            provider: self.chain.0.provider_address(),
            url: self.url.clone(),
            quota: Quota {
                cpuCount: U256::from(quota.cpu_count),
                nodeMemory: U256::from(quota.node_memory),
                gpuCount: U256::from(quota.gpu_count),
                nodeStorage: U256::from(quota.node_storage),
                gpuType: quota.gpu_type.clone(),
            },
            pricePerToken: self.config.price_per_token,
            providerSigner: signer,
            occupied: false,
            models: self.config.models.iter().map(|m| m.name.clone()).collect(),
        }
    }

    /// Registers the service, or updates it when the chain's differs.
    /// Returns whether it sent a transaction.
    ///
    /// # Errors
    ///
    /// The chain's.
    pub async fn register(&self, signer: Address) -> Result<bool, crate::chain::ChainError> {
        let service = self.service(signer);
        if self.chain.service().await?.as_ref() == Some(&service) {
            return Ok(false);
        }
        self.chain.register(&service).await?;
        Ok(true)
    }

    /// The model offered with `hash`.
    fn model_with_hash(&self, hash: B256) -> Option<&config::Model> {
        self.config.models.iter().find(|m| m.hash == hash)
    }

    /// The model offered named `name_or_hash`, or with that hash.
    fn model(&self, name_or_hash: &str) -> Option<&config::Model> {
        let named = self.config.models.iter().find(|m| m.name == name_or_hash);
        named.or_else(|| self.model_with_hash(name_or_hash.parse().ok()?))
    }

    /// The file of the dataset with root hash `hash`, if the broker has it.
    fn dataset(&self, hash: &str) -> Option<Vec<u8>> {
        task::valid_dataset_hash(hash)
            .then(|| std::fs::read(self.config.datasets.join(hash)).ok())
            .flatten()
    }

    /// Where the sealed model of task `id` is kept.
    pub fn model_file(&self, id: Uuid) -> std::path::PathBuf {
        self.config.models_dir.join(format!("{id}.data"))
    }
}

fn model_json(model: &config::Model) -> Value {
    json!({
        "name": model.name,
        "hash": model.hash,
        "dataType": model.data_type,
        "description": model.description,
        "tokenizer": model.tokenizer,
    })
}

/// The fine-tuning endpoints (`404 no_fine_tuning` when the broker sells
/// none).
pub fn routes() -> Router<Arc<Broker>> {
    Router::new()
        .route("/v1/user/{user}/task", post(create_task).get(list_tasks))
        .route("/v1/user/{user}/task/{id}", get(get_task))
        .route("/v1/user/{user}/task/{id}/log", get(task_log))
        .route("/v1/user/{user}/task/{id}/cancel", post(cancel_task))
        .route("/v1/user/{user}/task/{id}/model", get(sealed_model))
        .route("/v1/task/pending", get(pending))
        .route("/v1/model", get(list_models))
        .route("/v1/model/{name}", get(get_model))
        .route("/v1/model/desc/{name}", get(model_usage))
}

fn side(broker: &Broker) -> Result<&FineTuning, Refusal> {
    broker.fine_tuning().ok_or_else(|| {
        refusal(
            StatusCode::NOT_FOUND,
            "no_fine_tuning",
            "this provider does not sell fine-tuning",
        )
    })
}

fn decimal(value: &str, name: &str) -> Result<U256, Refusal> {
    U256::from_str_radix(value, 10).map_err(|_| {
        refusal(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!("{name} is not a decimal number"),
        )
    })
}

async fn create_task(
    State(broker): State<Arc<Broker>>,
    Path(user): Path<Address>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let side = side(&broker)?;
    let request: TaskRequest = serde_json::from_slice(&body)
        .map_err(|e| refusal(StatusCode::BAD_REQUEST, "bad_body", e.to_string()))?;
    if request.user_address != user {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "userAddress is not the path's user",
        ));
    }
    let model = side
        .model_with_hash(request.pre_trained_model_hash)
        .ok_or_else(|| {
            refusal(
                StatusCode::BAD_REQUEST,
                "unsupported_model",
                format!("model {} is not offered", request.pre_trained_model_hash),
            )
        })?;
    let epochs = task::epochs(&request.training_params)
        .map_err(|e| refusal(StatusCode::BAD_REQUEST, "bad_params", e))?;
    let (fee, nonce) = (
        decimal(&request.fee, "fee")?,
        decimal(&request.nonce, "nonce")?,
    );
    let digest = task::task_digest(user, nonce, &request.dataset_hash, fee);
    let key = task::recover_user(digest, &request.signature, user).ok_or_else(|| {
        refusal(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the task is not signed by its user",
        )
    })?;
    let dataset = side.dataset(&request.dataset_hash).ok_or_else(|| {
        refusal(
            StatusCode::NOT_FOUND,
            "no_dataset",
            format!(
                "dataset {} is not available to this provider",
                request.dataset_hash
            ),
        )
    })?;
    let tokens = side.trainer.count_tokens(model, &dataset);
    let due = task::price(side.config.price_per_token, tokens, epochs);
    if fee < due {
        return Err(refusal(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_fee",
            format!("{tokens} tokens x {epochs} epochs cost {due}, the task offers {fee}"),
        ));
    }
    let account = side
        .chain
        .account(user)
        .await
        .map_err(|e| refusal(StatusCode::BAD_GATEWAY, "chain", e.to_string()))?
        .ok_or_else(|| {
            refusal(
                StatusCode::NOT_FOUND,
                "no_account",
                format!("{user} has no fine-tuning sub-account with this provider"),
            )
        })?;
    if account.providerSigner != broker.tee().address() {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "not_acknowledged",
            format!(
                "the sub-account has not acknowledged this provider's signer {}",
                broker.tee().address()
            ),
        ));
    }
    if nonce <= account.nonce {
        return Err(refusal(
            StatusCode::CONFLICT,
            "stale_nonce",
            format!(
                "the nonce must be above the sub-account's {}",
                account.nonce
            ),
        ));
    }
    if account.balance.saturating_sub(account.pendingRefund) < fee {
        return Err(refusal(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_balance",
            format!("the sub-account cannot pay {fee}"),
        ));
    }
    let mut store = lock(broker.store());
    let pending = store.pending_tasks().map_err(internal)?;
    if pending >= side.config.max_queue {
        return Err(refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "queue_full",
            "the task queue is full",
        ));
    }
    if pending > 0 && !request.wait {
        return Err(refusal(
            StatusCode::CONFLICT,
            "busy",
            format!("{pending} tasks are waiting: set wait to queue behind them"),
        ));
    }
    let time = now();
    let task = Task {
        id: Uuid::new_v4(),
        user,
        user_key: key.to_encoded_point(false).as_bytes().to_vec(),
        model_hash: model.hash,
        dataset_hash: request.dataset_hash,
        training_params: request.training_params,
        fee,
        nonce,
        signature: request.signature,
        progress: Progress::Init,
        created_at: time,
        updated_at: time,
        deliver_time: None,
        root: None,
        encrypted_secret: None,
        outcome: None,
    };
    if !store.add_task(&task).map_err(internal)? {
        return Err(refusal(
            StatusCode::CONFLICT,
            "unfinished_task",
            "the user has an unfinished task",
        ));
    }
    let line =
        format!("accepted: {tokens} tokens x {epochs} epochs, fee {fee}; {pending} tasks ahead");
    store.log_task(task.id, &line).map_err(internal)?;
    tracing::info!(task = %task.id, %user, %fee, "fine-tuning task accepted");
    Ok((StatusCode::CREATED, Json(json!({"id": task.id}))).into_response())
}

/// Task `id` of `user`, or 404.
fn owned_task(broker: &Broker, user: Address, id: &str) -> Result<Task, Refusal> {
    let unknown = || {
        refusal(
            StatusCode::NOT_FOUND,
            "unknown_task",
            format!("{user} has no task {id}"),
        )
    };
    let id: Uuid = id.parse().map_err(|_| unknown())?;
    lock(broker.store())
        .task(id)
        .map_err(internal)?
        .filter(|task| task.user == user)
        .ok_or_else(unknown)
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    latest: Option<String>,
}

async fn list_tasks(
    State(broker): State<Arc<Broker>>,
    Path(user): Path<Address>,
    Query(query): Query<ListQuery>,
) -> Result<Response, Refusal> {
    side(&broker)?;
    let mut tasks = lock(broker.store()).tasks_of(user).map_err(internal)?;
    if query.latest.as_deref() == Some("true") {
        tasks.truncate(1);
    }
    Ok(Json(tasks.iter().map(Task::to_json).collect::<Vec<_>>()).into_response())
}

async fn get_task(
    State(broker): State<Arc<Broker>>,
    Path((user, id)): Path<(Address, String)>,
) -> Result<Response, Refusal> {
    side(&broker)?;
    Ok(Json(owned_task(&broker, user, &id)?.to_json()).into_response())
}

async fn task_log(
    State(broker): State<Arc<Broker>>,
    Path((user, id)): Path<(Address, String)>,
) -> Result<Response, Refusal> {
    side(&broker)?;
    let task = owned_task(&broker, user, &id)?;
    let log = lock(broker.store()).task_log(task.id).map_err(internal)?;
    Ok(([(CONTENT_TYPE, "text/plain")], log.unwrap_or_default()).into_response())
}

#[derive(Deserialize)]
struct CancelBody {
    signature: String,
}

async fn cancel_task(
    State(broker): State<Arc<Broker>>,
    Path((user, id)): Path<(Address, String)>,
    body: Bytes,
) -> Result<Response, Refusal> {
    side(&broker)?;
    let task = owned_task(&broker, user, &id)?;
    let body: CancelBody = serde_json::from_slice(&body)
        .map_err(|e| refusal(StatusCode::BAD_REQUEST, "bad_body", e.to_string()))?;
    if task::recover_user(task::cancel_digest(task.id), &body.signature, user).is_none() {
        return Err(refusal(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the cancellation is not signed by the task's user",
        ));
    }
    let cancelled = lock(broker.store())
        .move_task(
            task.id,
            Progress::Init,
            Progress::Failed,
            Some("cancelled by the user"),
        )
        .map_err(internal)?;
    if !cancelled {
        return Err(refusal(
            StatusCode::CONFLICT,
            "started",
            format!("task {} has started ({})", task.id, task.progress.as_str()),
        ));
    }
    Ok(format!("task {} cancelled", task.id).into_response())
}

async fn sealed_model(
    State(broker): State<Arc<Broker>>,
    Path((user, id)): Path<(Address, String)>,
) -> Result<Response, Refusal> {
    let side = side(&broker)?;
    let task = owned_task(&broker, user, &id)?;
    let not_yet = || {
        refusal(
            StatusCode::NOT_FOUND,
            "not_delivered",
            format!("task {} has no model yet", task.id),
        )
    };
    if task.root.is_none() {
        return Err(not_yet());
    }
    let file = tokio::fs::read(side.model_file(task.id))
        .await
        .map_err(|_| not_yet())?;
    Ok(([(CONTENT_TYPE, "application/octet-stream")], file).into_response())
}

async fn pending(State(broker): State<Arc<Broker>>) -> Result<Response, Refusal> {
    side(&broker)?;
    let pending = lock(broker.store()).pending_tasks().map_err(internal)?;
    Ok(pending.to_string().into_response())
}

async fn list_models(State(broker): State<Arc<Broker>>) -> Result<Response, Refusal> {
    let models = &side(&broker)?.config.models;
    Ok(Json(models.iter().map(model_json).collect::<Vec<_>>()).into_response())
}

fn named_model<'a>(side: &'a FineTuning, name: &str) -> Result<&'a config::Model, Refusal> {
    side.model(name).ok_or_else(|| {
        refusal(
            StatusCode::NOT_FOUND,
            "unknown_model",
            format!("model {name} is not offered"),
        )
    })
}

async fn get_model(
    State(broker): State<Arc<Broker>>,
    Path(name): Path<String>,
) -> Result<Response, Refusal> {
    let side = side(&broker)?;
    Ok(Json(model_json(named_model(side, &name)?)).into_response())
}

async fn model_usage(
    State(broker): State<Arc<Broker>>,
    Path(name): Path<String>,
) -> Result<Response, Refusal> {
    let side = side(&broker)?;
    let model = named_model(side, &name)?;
    let none = || {
        refusal(
            StatusCode::NOT_FOUND,
            "no_usage",
            format!("model {name} has no usage notes"),
        )
    };
    let file = model.usage_file.as_ref().ok_or_else(none)?;
    let bytes = tokio::fs::read(file).await.map_err(|_| none())?;
    Ok(([(CONTENT_TYPE, "application/zip")], bytes).into_response())
}
