//! What the broker's end-to-end tests share: a small OpenAI-compatible
//! upstream, a provider's broker on a node with our contracts (started,
//! restarted, stopped), and the SDK's node environment.
#![allow(dead_code)] // each test file uses its part

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use alloy::{
    eips::BlockId,
    primitives::{Address, B256, U256},
    providers::Provider as _,
};
use axum::{extract::Json, response::IntoResponse, routing::post, Router};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};
use serving_broker::{
    config::{self, Config, Settlement},
    server::Broker,
    settlement::{Settler, Tick},
};
use serving_harness::e2e::{eth, key_file, scratch_dir, Actor, Serving};
use serving_verifier::native;

pub(crate) const LOCK_TIME: u64 = 60;
/// Wei per prompt and per completion token.
pub(crate) const INPUT_PRICE: u64 = 1_000_000_000;
pub(crate) const OUTPUT_PRICE: u64 = 2_000_000_000;
/// Completion tokens the upstream produces (at most `max_tokens`).
pub(crate) const COMPLETION_TOKENS: u64 = 7;

/// A small OpenAI-compatible model server: `/v1/chat/completions`, plain
/// or streamed, with token usage (a prompt token per 4 bytes of message).
pub(crate) async fn upstream() -> String {
    let ids = Arc::new(AtomicU64::new(0));
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |Json(body): Json<Value>| {
            let id = format!("chatcmpl-{}", ids.fetch_add(1, Ordering::SeqCst));
            async move {
                let prompt: usize = body["messages"]
                    .as_array()
                    .map(|m| m.iter().map(|m| m["content"].as_str().unwrap_or("").len()).sum())
                    .unwrap_or(0);
                let max = body["max_tokens"].as_u64().unwrap_or(u64::MAX);
                let usage = json!({
                    "prompt_tokens": prompt / 4 + 1,
                    "completion_tokens": COMPLETION_TOKENS.min(max),
                    "total_tokens": prompt / 4 + 1 + COMPLETION_TOKENS.min(max) as usize,
                });
                if body["stream"] == json!(true) {
                    assert_eq!(body["stream_options"]["include_usage"], json!(true));
                    let mut events = String::new();
                    for word in ["Hello", " from", " the", " model"] {
                        let chunk = json!({"id": id, "choices": [{"index": 0, "delta": {"content": word}}]});
                        events.push_str(&format!("data: {chunk}\n\n"));
                    }
                    let last = json!({"id": id, "choices": [], "usage": usage});
                    events.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
                    ([("content-type", "text/event-stream")], events).into_response()
                } else {
                    Json(json!({
                        "id": id,
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": "Hello from the model"}}],
                        "usage": usage,
                    }))
                    .into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/v1")
}

/// A provider's broker on the node of `serving`.
pub(crate) struct Running {
    pub(crate) broker: Arc<Broker>,
    pub(crate) url: String,
    pub(crate) provider: Address,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(crate) task: tokio::task::JoinHandle<Result<(), String>>,
}

/// Keys, files and address of one provider, kept across restarts.
pub(crate) struct Provider {
    pub(crate) actor: Actor,
    pub(crate) dir: std::path::PathBuf,
    pub(crate) listen: SocketAddr,
    pub(crate) tee: B256,
    pub(crate) root: B256,
    /// Its fine-tuning service, if it sells one.
    pub(crate) fine_tuning: Option<config::FineTuning>,
}

impl Provider {
    pub(crate) async fn new(serving: &Serving, name: &str) -> Self {
        Provider {
            actor: serving.actor(eth(10)).await,
            dir: scratch_dir("e2e-broker", name),
            // A free port, the same at every start (the URL on chain).
            listen: std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap(),
            tee: B256::random(),
            root: B256::random(),
            fine_tuning: None,
        }
    }

    pub(crate) fn tee_address(&self) -> Address {
        native::address(
            SigningKey::from_slice(self.tee.as_slice())
                .unwrap()
                .verifying_key(),
        )
    }

    pub(crate) fn config(&self, serving: &Serving, upstream: &str, listen: SocketAddr) -> Config {
        let key = self.actor.signer.to_bytes();
        Config {
            rpc: serving.node.url().to_string(),
            inference: serving.inference_address(),
            provider_key_file: key_file(&self.dir, "provider.key", &key),
            tee_key_file: key_file(&self.dir, "tee.key", &self.tee),
            attestation_root_key_file: key_file(&self.dir, "root.key", &self.root),
            listen,
            url: format!("http://{listen}"),
            upstream: upstream.into(),
            model: "test-model".into(),
            input_price: U256::from(INPUT_PRICE),
            output_price: U256::from(OUTPUT_PRICE),
            max_tokens: 64,
            database: self.dir.join("broker.sqlite"),
            settlement: Settlement {
                // Settlement only when the test asks (or at shutdown).
                interval_secs: 3600,
                batch_size: 100,
                account_cache_secs: 5,
            },
            fine_tuning: self.fine_tuning.clone(),
        }
    }

    pub(crate) async fn start(&self, serving: &Serving, upstream: &str) -> Running {
        let listener = tokio::net::TcpListener::bind(self.listen).await.unwrap();
        let listen = self.listen;
        let broker = serving_broker::build(self.config(serving, upstream, listen)).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(serving_broker::serve(
            Arc::clone(&broker),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        let url = format!("http://{listen}");
        // Ready once the service is registered and the server answers.
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{url}/healthz")).send().await.is_ok()
                && serving_broker::chain::Chain::service(broker.chain())
                    .await
                    .unwrap()
                    .is_some()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Running {
            broker,
            url,
            provider: self.actor.address(),
            stop: Some(stop),
            task,
        }
    }
}

impl Running {
    /// Stops the server; it settles what is owed before returning.
    pub(crate) async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }

    pub(crate) fn settler(&self) -> Settler<'_> {
        Settler {
            chain: self.broker.chain(),
            tee: self.broker.tee(),
            store: self.broker.store(),
            batch_size: 100,
        }
    }

    pub(crate) async fn settle(&self) -> Tick {
        self.broker.settle(true).await.unwrap()
    }
}

/// `node`, with the SDK installed from the committed lockfile
/// (`tests/sdk/package-lock.json`): the SDK's directory, or `None` after
/// printing why `test` is skipped.
pub(crate) fn sdk_or_skip(test: &str) -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
    let version = std::process::Command::new("node").arg("--version").output();
    let why = if !version.is_ok_and(|o| o.status.success()) {
        "node not found"
    } else if dir.join("node_modules/@0glabs/0g-serving-broker").is_dir() {
        return Some(dir);
    } else {
        let installed = std::process::Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status();
        if installed.is_ok_and(|s| s.success()) {
            return Some(dir);
        }
        "npm ci failed"
    };
    eprintln!("{test} skipped: {why} (needs node 20 and npm)");
    None
}

/// What `who` paid in gas for its transactions in the blocks from
/// `from_block` on.
pub(crate) async fn gas_paid(serving: &Serving, who: Address, from_block: u64) -> U256 {
    let reader = serving.reader();
    let latest = reader.get_block_number().await.unwrap();
    let mut paid = U256::ZERO;
    for number in from_block..=latest {
        let receipts = reader
            .get_block_receipts(BlockId::number(number))
            .await
            .unwrap()
            .unwrap_or_default();
        for receipt in receipts.iter().filter(|r| r.from == who) {
            paid += U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
        }
    }
    paid
}

/// Runs `node <args>` in the SDK's directory `dir`: the JSON of the last
/// line it printed (its summary). Its stderr (the SDK's log) is passed on.
///
/// # Panics
///
/// If the script fails; the message holds all it printed.
pub(crate) async fn run_node(dir: std::path::PathBuf, args: Vec<String>) -> Value {
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        output.status.success(),
        "the SDK failed:\n{stdout}\n{stderr}"
    );
    eprint!("{stderr}");
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}
