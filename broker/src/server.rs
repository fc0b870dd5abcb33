//! The HTTP side: the endpoints the 0G SDK 0.4.4 calls on a service's URL,
//! and the operator's.
//!
//! | endpoint | what it serves |
//! | --- | --- |
//! | `GET /v1/quote` | the TEE's quote and signing address (`acknowledgeProviderSigner`) |
//! | `POST /v1/quote/verify/gpu` | 200 when the posted GPU payload attests this TEE |
//! | `GET /v1/proxy/attestation/report` | signing address, GPU payload, CPU quote |
//! | `POST /v1/proxy/chat/completions` | the request checked, forwarded, billed, signed |
//! | `GET /v1/proxy/signature/{chatID}` | the signed text of a response and its signature |
//! | `GET /healthz`, `GET /metrics` | liveness; Prometheus counters |
//!
//! And the fine-tuning endpoints of `fine_tuning` (`404 no_fine_tuning`
//! when the broker sells none).
//!
//! A chat request is served only when its headers are the user's signed
//! request (`request`), its nonce is above the user's last one, the user
//! has a sub-account with this provider that acknowledged this TEE, and the
//! account covers what the user owes plus this request's reserve: its
//! signed fee plus `max_tokens` completion tokens at the output price (the
//! broker sets `max_tokens` when the request does not). It is billed from
//! the upstream's token usage at the on-chain prices, at most the reserve,
//! and recorded before the response is released. Refusals are JSON:
//! `{"error": {"code": ..., "message": ...}}`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{hex, Address, U256};
use axum::{
    body::{Body, Bytes},
    extract::{Path, State},
    http::{header::CONTENT_TYPE, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::Engine;
use futures_util::StreamExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{
    chain::{self, Account, Chain},
    config::Config,
    fine_tuning::FineTuning,
    lock,
    policy::Exposure,
    request::SignedRequest,
    settlement::{self, Settler, Tick},
    store::{Served, Store},
    tee::Tee,
};

/// A refusal: status, code and message.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Refused(self.code), Json(body)).into_response()
    }
}

/// The code of a refusal, carried by its response to the counter of
/// `/metrics` (`count_refusals`), whichever endpoint refused.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Refused(pub(crate) &'static str);

impl axum::response::IntoResponseParts for Refused {
    type Error = std::convert::Infallible;

    fn into_response_parts(
        self,
        mut parts: axum::response::ResponseParts,
    ) -> Result<axum::response::ResponseParts, Self::Error> {
        parts.extensions_mut().insert(self);
        Ok(parts)
    }
}

/// Counts the refusal a response carries.
async fn count_refusals(State(broker): State<Arc<Broker>>, response: Response) -> Response {
    if let Some(Refused(code)) = response.extensions().get::<Refused>() {
        *lock(&broker.refused).entry(code).or_default() += 1;
    }
    response
}

/// A running broker's state.
pub struct Broker {
    config: Config,
    chain: Chain,
    tee: Box<dyn Tee>,
    store: Mutex<Store>,
    accounts: Mutex<HashMap<Address, (Account, Instant)>>,
    reserved: Mutex<HashMap<Address, U256>>,
    refused: Mutex<HashMap<&'static str, u64>>,
    http: reqwest::Client,
    settling: tokio::sync::Mutex<()>,
    fine_tuning: Option<FineTuning>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn internal(error: impl std::fmt::Display) -> Refusal {
    Refusal::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        error.to_string(),
    )
}

impl Broker {
    /// A broker for `config`, with its chain client, TEE and store, and its
    /// fine-tuning side when it sells fine-tuning.
    pub fn new(
        config: Config,
        chain: Chain,
        tee: Box<dyn Tee>,
        store: Store,
        fine_tuning: Option<FineTuning>,
    ) -> Arc<Self> {
        Arc::new(Broker {
            config,
            chain,
            tee,
            store: Mutex::new(store),
            accounts: Mutex::new(HashMap::new()),
            reserved: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
            http: reqwest::Client::new(),
            settling: tokio::sync::Mutex::new(()),
            fine_tuning,
        })
    }

    /// The fine-tuning side, if the broker sells fine-tuning.
    pub fn fine_tuning(&self) -> Option<&FineTuning> {
        self.fine_tuning.as_ref()
    }

    /// The chain client.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The TEE.
    pub fn tee(&self) -> &dyn Tee {
        self.tee.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &Mutex<Store> {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// One settlement tick (`settlement::Settler::tick`), never two at once:
    /// two would both send the records open when they start.
    ///
    /// # Errors
    ///
    /// A chain or database failure; the records not closed stay open.
    pub async fn settle(&self, force: bool) -> Result<Tick, settlement::Error> {
        let _turn = self.settling.lock().await;
        let settler = Settler {
            chain: &self.chain,
            tee: self.tee.as_ref(),
            store: &self.store,
            batch_size: self.config.settlement.batch_size,
        };
        settler.tick(force).await
    }

    /// The service the broker registers: a `chatbot`, verifiable by its
    /// TEE (`TeeML`), whose `additionalInfo` names the TEE's signing
    /// address (`{"teeSigner": ...}`).
    pub fn service_params(&self) -> chain::ServiceParams {
        chain::ServiceParams {
            serviceType: "chatbot".into(),
            url: self.config.url.clone(),
            model: self.config.model.clone(),
            verifiability: "TeeML".into(),
            inputPrice: self.config.input_price,
            outputPrice: self.config.output_price,
            additionalInfo: json!({"teeSigner": self.tee.address()}).to_string(),
        }
    }

    /// Registers the service, or updates it when the chain's differs.
    /// Returns whether it sent a transaction.
    ///
    /// # Errors
    ///
    /// The chain's.
    pub async fn register(&self) -> Result<bool, chain::ChainError> {
        let params = self.service_params();
        if let Some(service) = self.chain.service().await? {
            let same = service.serviceType == params.serviceType
                && service.url == params.url
                && service.model == params.model
                && service.verifiability == params.verifiability
                && service.inputPrice == params.inputPrice
                && service.outputPrice == params.outputPrice
                && service.additionalInfo == params.additionalInfo;
            if same {
                return Ok(false);
            }
        }
        self.chain.register(params).await?;
        Ok(true)
    }

    /// The router of every endpoint.
    pub fn router(self: &Arc<Self>) -> Router {
        crate::fine_tuning::routes()
            .route("/healthz", get(|| async { "ok" }))
            .route("/metrics", get(metrics))
            .route("/v1/quote", get(quote))
            .route("/v1/quote/verify/gpu", post(verify_gpu))
            .route("/v1/proxy/attestation/report", get(attestation_report))
            .route("/v1/proxy/signature/{chat_id}", get(signature))
            .route("/v1/proxy/chat/completions", post(chat))
            .layer(axum::middleware::map_response_with_state(
                Arc::clone(self),
                count_refusals,
            ))
            .with_state(Arc::clone(self))
    }

    fn refuse(&self, refusal: Refusal) -> Refusal {
        tracing::info!(code = refusal.code, message = %refusal.message, "request refused");
        refusal
    }

    /// The user's account, from the cache unless older than the configured
    /// staleness or `fresh`.
    async fn account(&self, user: Address, fresh: bool) -> Result<Account, Refusal> {
        let max_age = Duration::from_secs(self.config.settlement.account_cache_secs);
        if !fresh {
            if let Some((account, read)) = lock(&self.accounts).get(&user) {
                if read.elapsed() <= max_age {
                    return Ok(account.clone());
                }
            }
        }
        let account = self
            .chain
            .accounts(&[user])
            .await
            .map_err(|e| Refusal::new(StatusCode::BAD_GATEWAY, "chain", e.to_string()))?
            .pop()
            .ok_or_else(|| internal("the chain returned no account"))?;
        lock(&self.accounts).insert(user, (account.clone(), Instant::now()));
        Ok(account)
    }

    /// Reserves `reserve` for `user` if the account covers it after what
    /// the user owes and what other requests in progress reserved.
    fn try_reserve(
        &self,
        user: Address,
        account: &Account,
        reserve: U256,
    ) -> Result<bool, Refusal> {
        let owed = lock(&self.store).owed(user).map_err(internal)?;
        let mut reserved = lock(&self.reserved);
        let held = reserved.entry(user).or_default();
        let exposure = Exposure {
            spendable: chain::spendable(account),
            in_flight: U256::ZERO,
            unsettled: owed + *held,
        };
        if !exposure.covers(reserve) {
            return Ok(false);
        }
        *held += reserve;
        Ok(true)
    }

    fn release(&self, user: Address, reserve: U256) {
        let mut reserved = lock(&self.reserved);
        if let Some(held) = reserved.get_mut(&user) {
            *held = held.saturating_sub(reserve);
        }
    }

    /// Checks a chat request and reserves its fee; returns the signed
    /// request, the body to forward and the reserve.
    async fn admit(&self, headers: &HeaderMap, body: &[u8]) -> Result<Admitted, Refusal> {
        let signed = SignedRequest::from_headers(self.chain.provider_address(), |name| {
            headers.get(name).and_then(|v| v.to_str().ok())
        })
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "bad_headers", e.to_string()))?;
        let user = signed.request.user;
        if let Some(reason) = lock(&self.store).stopped(user).map_err(internal)? {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "stopped",
                format!("the provider stopped serving this user: a settlement failed ({reason})"),
            ));
        }
        let mut forward: Value = serde_json::from_slice(body)
            .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "bad_body", e.to_string()))?;
        let Some(fields) = forward.as_object_mut() else {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                "not a JSON object",
            ));
        };
        let max_tokens = match fields.get("max_tokens") {
            None | Some(Value::Null) => self.config.max_tokens,
            Some(value) => value.as_u64().ok_or_else(|| {
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    "max_tokens is not a count",
                )
            })?,
        };
        fields.insert("max_tokens".into(), max_tokens.into());
        fields.insert("model".into(), self.config.model.clone().into());
        let streaming = fields.get("stream") == Some(&Value::Bool(true));
        if streaming {
            fields.insert("stream_options".into(), json!({"include_usage": true}));
        }
        let reserve = U256::from(signed.request.fee)
            .saturating_add(U256::from(max_tokens).saturating_mul(self.config.output_price));

        let mut account = self.account(user, false).await?;
        if account.user.is_zero() {
            account = self.account(user, true).await?;
        }
        if account.user.is_zero() {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                "no_account",
                format!("{user} has no sub-account with this provider"),
            ));
        }
        if account.teeSignerAddress != self.tee.address() {
            account = self.account(user, true).await?;
            if account.teeSignerAddress != self.tee.address() {
                return Err(Refusal::new(
                    StatusCode::FORBIDDEN,
                    "not_acknowledged",
                    format!(
                        "the sub-account has not acknowledged this provider's TEE signer {}",
                        self.tee.address()
                    ),
                ));
            }
        }
        if !signed.request.verify(account.signer, &signed.signature) {
            return Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "bad_signature",
                "Signature is not the request signed by the ledger's inference signer",
            ));
        }
        if !self.try_reserve(user, &account, reserve)? {
            let account = self.account(user, true).await?;
            if !self.try_reserve(user, &account, reserve)? {
                return Err(Refusal::new(
                    StatusCode::PAYMENT_REQUIRED,
                    "insufficient_balance",
                    format!(
                        "the sub-account does not cover this request's reserve of {reserve} wei after what the user owes"
                    ),
                ));
            }
        }
        let fresh = lock(&self.store).take_nonce(user, signed.request.nonce);
        if fresh.as_ref().ok() != Some(&true) {
            self.release(user, reserve);
            fresh.map_err(internal)?;
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                "stale_nonce",
                format!(
                    "nonce {} is not above the user's last one",
                    signed.request.nonce
                ),
            ));
        }
        Ok(Admitted {
            user,
            nonce: signed.request.nonce,
            forward,
            reserve,
            streaming,
        })
    }

    /// The fee of a response's usage, at most the reserve.
    fn fee(&self, usage: &Value, reserve: U256) -> Option<U256> {
        let prompt = usage.get("prompt_tokens")?.as_u64()?;
        let completion = usage.get("completion_tokens")?.as_u64()?;
        let fee = U256::from(prompt)
            .saturating_mul(self.config.input_price)
            .saturating_add(U256::from(completion).saturating_mul(self.config.output_price));
        Some(fee.min(reserve))
    }

    /// Signs and records a served request; the response may go out after.
    fn bill(
        &self,
        admitted: &Admitted,
        chat_id: String,
        fee: U256,
        request: &[u8],
        response: &[u8],
    ) -> Result<(), Refusal> {
        let text = format!("{}:{}", sha256_hex(request), sha256_hex(response));
        let signature = hex::encode_prefixed(self.tee.sign_text(&text));
        lock(&self.store)
            .record(&Served {
                chat_id,
                user: admitted.user,
                nonce: admitted.nonce,
                fee,
                text,
                signature,
            })
            .map_err(internal)
    }

    /// Sends the admitted request to the model server; its response
    /// when successful.
    async fn forward(&self, admitted: &Admitted) -> Result<reqwest::Response, Refusal> {
        let url = format!(
            "{}/chat/completions",
            self.config.upstream.trim_end_matches('/')
        );
        let upstream = self
            .http
            .post(url)
            .json(&admitted.forward)
            .send()
            .await
            .map_err(upstream_error)?;
        let status = upstream.status();
        if !status.is_success() {
            let bytes = upstream.bytes().await.unwrap_or_default();
            return Err(upstream_error(format!(
                "the model server answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            )));
        }
        Ok(upstream)
    }
}

/// A request admitted: its reserve is held until it is billed or fails.
struct Admitted {
    user: Address,
    nonce: u64,
    forward: Value,
    reserve: U256,
    streaming: bool,
}

async fn chat(State(broker): State<Arc<Broker>>, headers: HeaderMap, body: Bytes) -> Response {
    let admitted = match broker.admit(&headers, &body).await {
        Ok(admitted) => admitted,
        Err(refusal) => return broker.refuse(refusal).into_response(),
    };
    let response = if admitted.streaming {
        stream(&broker, &admitted, body).await
    } else {
        complete(&broker, &admitted, &body).await
    };
    match response {
        Ok(response) => response,
        Err(refusal) => {
            broker.release(admitted.user, admitted.reserve);
            broker.refuse(refusal).into_response()
        }
    }
}

fn upstream_error(error: impl std::fmt::Display) -> Refusal {
    Refusal::new(StatusCode::BAD_GATEWAY, "upstream", error.to_string())
}

/// A non-streaming request: forwarded, billed, recorded, then returned.
async fn complete(
    broker: &Broker,
    admitted: &Admitted,
    request: &[u8],
) -> Result<Response, Refusal> {
    let upstream = broker.forward(admitted).await?;
    let bytes = upstream.bytes().await.map_err(upstream_error)?;
    let answer: Value = serde_json::from_slice(&bytes).map_err(upstream_error)?;
    let fee = broker
        .fee(&answer["usage"], admitted.reserve)
        .ok_or_else(|| upstream_error("the model server reported no token usage"))?;
    let chat_id = answer["id"]
        .as_str()
        .ok_or_else(|| upstream_error("the model server's answer has no id"))?
        .to_string();
    broker.bill(admitted, chat_id, fee, request, &bytes)?;
    broker.release(admitted.user, admitted.reserve);
    Ok(([(CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// The server-sent event that ends a stream.
const DONE: &[u8] = b"data: [DONE]\n\n";

/// A streaming request: its events are passed on as they come, except the
/// last (`data: [DONE]`), which goes out once the request is billed and
/// recorded.
async fn stream(
    broker: &Arc<Broker>,
    admitted: &Admitted,
    request: Bytes,
) -> Result<Response, Refusal> {
    let upstream = broker.forward(admitted).await?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let broker = Arc::clone(broker);
    let admitted = Admitted {
        forward: Value::Null,
        ..*admitted
    };
    tokio::spawn(async move {
        let outcome = relay(&broker, &admitted, &request, upstream, &sender).await;
        if let Err(refusal) = outcome {
            broker.release(admitted.user, admitted.reserve);
            let refusal = broker.refuse(refusal);
            let event = format!(
                "data: {}\n\n",
                json!({"error": {"code": refusal.code, "message": refusal.message}})
            );
            let _ = sender.send(Ok(Bytes::from(event))).await;
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async { receiver.recv().await.map(|item| (item, receiver)) },
    ));
    Ok(([(CONTENT_TYPE, "text/event-stream")], body).into_response())
}

/// Passes the upstream's events on, then bills and sends the last.
async fn relay(
    broker: &Broker,
    admitted: &Admitted,
    request: &[u8],
    upstream: reqwest::Response,
    sender: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), Refusal> {
    let mut chunks = upstream.bytes_stream();
    let (mut pending, mut sent) = (Vec::new(), Vec::new());
    let (mut chat_id, mut usage) = (None, Value::Null);
    let mut done = false;
    while let Some(chunk) = chunks.next().await {
        pending.extend_from_slice(&chunk.map_err(upstream_error)?);
        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = pending.drain(..end + 2).collect();
            if event == DONE {
                done = true;
                continue;
            }
            if let Some(data) = event.strip_prefix(b"data: ") {
                if let Ok(chunk) = serde_json::from_slice::<Value>(data) {
                    if let Some(id) = chunk["id"].as_str() {
                        chat_id.get_or_insert_with(|| id.to_string());
                    }
                    if chunk["usage"].is_object() {
                        usage = chunk["usage"].clone();
                    }
                }
            }
            sent.extend_from_slice(&event);
            if sender.send(Ok(Bytes::from(event))).await.is_err() {
                return Err(upstream_error("the client went away"));
            }
        }
    }
    if !done {
        return Err(upstream_error(
            "the model server's stream ended without [DONE]",
        ));
    }
    let fee = broker
        .fee(&usage, admitted.reserve)
        .ok_or_else(|| upstream_error("the model server reported no token usage"))?;
    let chat_id = chat_id.ok_or_else(|| upstream_error("the model server's stream has no id"))?;
    sent.extend_from_slice(DONE);
    broker.bill(admitted, chat_id, fee, request, &sent)?;
    broker.release(admitted.user, admitted.reserve);
    let _ = sender.send(Ok(Bytes::from_static(DONE))).await;
    Ok(())
}

async fn quote(State(broker): State<Arc<Broker>>) -> Response {
    let attestation = broker.tee.attestation();
    Json(json!({
        "quote": hex::encode(&attestation.intel_quote),
        "provider_signer": attestation.signing_address,
        "nvidia_payload": attestation.nvidia_payload,
    }))
    .into_response()
}

async fn verify_gpu(State(broker): State<Arc<Broker>>, body: Bytes) -> Response {
    let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if broker.tee.verify_gpu_payload(&payload) {
        Json(json!({"valid": true})).into_response()
    } else {
        broker
            .refuse(Refusal::new(
                StatusCode::BAD_REQUEST,
                "invalid_attestation",
                "the payload is not this TEE's attestation",
            ))
            .into_response()
    }
}

async fn attestation_report(State(broker): State<Arc<Broker>>) -> Response {
    let attestation = broker.tee.attestation();
    Json(json!({
        "signing_address": attestation.signing_address,
        "nvidia_payload": attestation.nvidia_payload,
        "intel_quote": base64::engine::general_purpose::STANDARD.encode(&attestation.intel_quote),
    }))
    .into_response()
}

async fn signature(State(broker): State<Arc<Broker>>, Path(chat_id): Path<String>) -> Response {
    match lock(&broker.store).signature(&chat_id) {
        Ok(Some((text, signature))) => Json(json!({
            "text": text,
            "signature": signature,
            "signing_address": broker.tee.address(),
            "signing_algo": "ecdsa",
        }))
        .into_response(),
        Ok(None) => Refusal::new(
            StatusCode::NOT_FOUND,
            "unknown_chat",
            format!("no response {chat_id} was served"),
        )
        .into_response(),
        Err(error) => internal(error).into_response(),
    }
}

async fn metrics(State(broker): State<Arc<Broker>>) -> Response {
    let totals = match lock(&broker.store).totals() {
        Ok(totals) => totals,
        Err(error) => return internal(error).into_response(),
    };
    let mut text = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: String| {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    };
    metric(
        "broker_requests_total",
        "counter",
        "Requests served and billed.",
        totals.requests.to_string(),
    );
    metric(
        "broker_fees_billed_wei",
        "counter",
        "Fees billed.",
        totals.billed.to_string(),
    );
    metric(
        "broker_fees_unsettled_wei",
        "gauge",
        "Fees billed and not settled yet.",
        totals.unsettled.to_string(),
    );
    metric(
        "broker_fees_settled_wei",
        "counter",
        "Fees settled on chain.",
        totals.settled.to_string(),
    );
    metric(
        "broker_fees_failed_wei",
        "counter",
        "Fees of records the contract refused.",
        totals.failed.to_string(),
    );
    metric(
        "broker_failed_records_total",
        "counter",
        "Settlement records the contract refused.",
        totals.failed_records.to_string(),
    );
    text.push_str("# HELP broker_refused_total Requests refused, by reason.\n# TYPE broker_refused_total counter\n");
    let mut refused: Vec<_> = lock(&broker.refused)
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    refused.sort();
    for (code, count) in refused {
        text.push_str(&format!(
            "broker_refused_total{{code=\"{code}\"}} {count}\n"
        ));
    }
    if broker.fine_tuning.is_some() {
        let counts = match lock(&broker.store).task_counts() {
            Ok(counts) => counts,
            Err(error) => return internal(error).into_response(),
        };
        text.push_str("# HELP broker_fine_tuning_tasks Fine-tuning tasks, by state.\n# TYPE broker_fine_tuning_tasks gauge\n");
        for (progress, count) in counts {
            text.push_str(&format!(
                "broker_fine_tuning_tasks{{progress=\"{}\"}} {count}\n",
                progress.as_str()
            ));
        }
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
