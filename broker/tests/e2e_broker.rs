//! The broker end to end on arbos-anvil: the contracts deployed by our
//! deployer, the broker in front of a small OpenAI-compatible upstream
//! (`upstream` below), users signing their requests as the 0G SDK does
//! (`serving_broker::request`, checked against the SDK's own signatures in
//! the unit tests), every response's signature verified as the SDK verifies
//! it, then settlement: each sub-account and the provider's wallet move by
//! exactly the fees billed. A restart test covers the two windows a killed
//! broker can leave (records signed but not sent; sent but not closed).
//! The last test puts the unmodified SDK in node in the users' place
//! (`tests/sdk/users.js`, installed by `npm ci` from the committed
//! lockfile): 3 users, 102 requests, each verified by the SDK.
//!
//! Skipped, with a plain message, when arbos-anvil is not found (a failure
//! in CI); the SDK test also when `node` or `npm ci` is not available.

mod common;

use std::sync::Arc;

use alloy::{
    primitives::{eip191_hash_message, hex, Address, B256, U256},
    providers::Provider as _,
};
use common::*;
use serde_json::{json, Value};
use serving_broker::{
    babyjubjub::KeyPair,
    request::{header, pack_signer, signature_header, Request},
    settlement::Tick,
};
use serving_harness::{
    e2e::{eth, milli_eth, Actor, Serving, INFERENCE},
    serving_or_skip,
};
use serving_verifier::native;
use sha2::{Digest, Sha256};

/// A user of the SDK: its wallet, and the babyjubjub key its ledger names.
struct User {
    actor: Actor,
    keys: KeyPair,
    nonce: u64,
}

impl User {
    /// A user with a ledger of 1 ETH, `amount` of it in a sub-account with
    /// `provider` that acknowledged `tee` (zero: none).
    async fn new(serving: &Serving, provider: Address, amount: U256, tee: Address) -> Self {
        let actor = serving.actor(eth(11)).await;
        let keys = KeyPair::new(&B256::random().0);
        let call = serving
            .ledger
            .addLedger(pack_signer(&keys.public), "sdk user".into())
            .value(eth(1));
        actor.transact("addLedger", call).await;
        serving.track(actor.address());
        if !amount.is_zero() {
            serving
                .transfer_fund(&actor, provider, INFERENCE, amount)
                .await;
        }
        if !tee.is_zero() {
            let call = serving.inference.acknowledgeTEESigner(provider, tee);
            actor.transact("acknowledgeTEESigner", call).await;
        }
        User {
            actor,
            keys,
            nonce: 1_733_400_000_000,
        }
    }

    fn address(&self) -> Address {
        self.actor.address()
    }

    /// The SDK's headers of a request with `content` to `provider`.
    fn headers(&mut self, provider: Address, content: &str) -> Vec<(&'static str, String)> {
        self.nonce += 1;
        let fee = content.len() as u128 * u128::from(INPUT_PRICE);
        let request = Request {
            nonce: self.nonce,
            fee,
            user: self.address(),
            provider,
        };
        vec![
            (header::ADDRESS, self.address().to_string()),
            (header::FEE, fee.to_string()),
            (header::INPUT_FEE, fee.to_string()),
            (header::NONCE, self.nonce.to_string()),
            (header::REQUEST_HASH, hex::encode_prefixed(request.hash())),
            (
                header::SIGNATURE,
                signature_header(&request.sign(&self.keys)),
            ),
            (header::VLLM_PROXY, "true".into()),
        ]
    }
}

/// Sends a chat request with `headers`; returns status, body and the
/// request's bytes.
async fn chat(
    url: &str,
    headers: &[(&'static str, String)],
    content: &str,
    stream: bool,
) -> (u16, Vec<u8>, Vec<u8>) {
    let body = serde_json::to_vec(&json!({
        "messages": [{"role": "user", "content": content}],
        "model": "test-model",
        "stream": stream,
    }))
    .unwrap();
    let mut request = reqwest::Client::new()
        .post(format!("{url}/v1/proxy/chat/completions"))
        .header("content-type", "application/json")
        .body(body.clone());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec(), body)
}

fn refusal_code(body: &[u8]) -> String {
    let body: Value = serde_json::from_slice(body).unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not a refusal: {body}"))
        .to_string()
}

/// The response's id (`id` of the JSON, or of the first streamed chunk).
fn chat_id(body: &[u8], stream: bool) -> String {
    let json = if stream {
        let text = String::from_utf8(body.to_vec()).unwrap();
        let first = text
            .split("\n\n")
            .next()
            .unwrap()
            .strip_prefix("data: ")
            .unwrap()
            .to_string();
        serde_json::from_str::<Value>(&first).unwrap()
    } else {
        serde_json::from_slice::<Value>(body).unwrap()
    };
    json["id"].as_str().unwrap().to_string()
}

/// Verifies a response as the SDK does (`processResponse`): the signing
/// address from the attestation report, attested (`/v1/quote/verify/gpu`),
/// the signature of `/v1/proxy/signature/{id}` recovering to it; and that
/// the signed text binds this request and response.
async fn verify_as_the_sdk(url: &str, id: &str, request: &[u8], response: &[u8]) {
    let client = reqwest::Client::new();
    let report: Value = client
        .get(format!(
            "{url}/v1/proxy/attestation/report?model=test-model"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signing_address: Address = report["signing_address"].as_str().unwrap().parse().unwrap();
    let payload: Value = serde_json::from_str(report["nvidia_payload"].as_str().unwrap()).unwrap();
    let verified = client
        .post(format!("{url}/v1/quote/verify/gpu"))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status().as_u16(), 200);
    let signed: Value = client
        .get(format!("{url}/v1/proxy/signature/{id}?model=test-model"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = signed["text"].as_str().unwrap();
    let signature = hex::decode(signed["signature"].as_str().unwrap()).unwrap();
    assert_eq!(
        native::recover(eip191_hash_message(text), &signature),
        Some(signing_address)
    );
    let expected = format!(
        "{}:{}",
        hex::encode(Sha256::digest(request)),
        hex::encode(Sha256::digest(response))
    );
    assert_eq!(text, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_signed_requests_and_settles_exactly_what_it_billed() {
    let serving = serving_or_skip!(LOCK_TIME);
    let upstream = upstream().await;
    let provider = Provider::new(&serving, "serves").await;
    let running = provider.start(&serving, &upstream).await;
    let tee = provider.tee_address();
    let quote: Value = reqwest::get(format!("{}/v1/quote", running.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        quote["provider_signer"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        tee
    );
    // A GPU payload that is not this TEE's, and a response never served.
    let client = reqwest::Client::new();
    let forged = json!({"simulated": true, "signing_address": Address::repeat_byte(1)});
    let refused = client
        .post(format!("{}/v1/quote/verify/gpu", running.url))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let body = refused.bytes().await.unwrap();
    assert_eq!(refusal_code(&body), "invalid_attestation");
    let unknown = client
        .get(format!(
            "{}/v1/proxy/signature/chatcmpl-unknown",
            running.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(
        refusal_code(&unknown.bytes().await.unwrap()),
        "unknown_chat"
    );

    let mut users = Vec::new();
    for _ in 0..3 {
        users.push(User::new(&serving, provider.actor.address(), milli_eth(100), tee).await);
    }
    let before: Vec<U256> = {
        let mut balances = Vec::new();
        for user in &users {
            balances.push(
                serving
                    .account(user.address(), running.provider)
                    .await
                    .balance,
            );
        }
        balances
    };
    let wallet_before = serving.balance(running.provider).await;

    // 36 requests, every third streamed, each verified as the SDK does.
    for round in 0..12 {
        for user in users.iter_mut() {
            let content = format!("Question {round} from {}: what is a TEE?", user.address());
            let stream = round % 3 == 2;
            let headers = user.headers(running.provider, &content);
            let (status, body, request) = chat(&running.url, &headers, &content, stream).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            if stream {
                assert!(body.ends_with(b"data: [DONE]\n\n"));
            }
            verify_as_the_sdk(&running.url, &chat_id(&body, stream), &request, &body).await;
        }
    }

    // Refusals, each with its reason, none billed.
    let user = &mut users[0];
    let content = "a refused request";
    let mut headers = user.headers(running.provider, content);
    let (status, body, _) = chat(&running.url, &headers, content, false).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, body, _) = chat(&running.url, &headers, content, false).await;
    assert_eq!((status, refusal_code(&body).as_str()), (409, "stale_nonce"));
    headers = user.headers(running.provider, content);
    let stranger = KeyPair::new(&[9; 32]);
    let nonce: u64 = headers[3].1.parse().unwrap();
    let forged = Request {
        nonce,
        fee: headers[1].1.parse().unwrap(),
        user: user.address(),
        provider: running.provider,
    };
    headers[5].1 = signature_header(&forged.sign(&stranger));
    let (status, body, _) = chat(&running.url, &headers, content, false).await;
    assert_eq!(
        (status, refusal_code(&body).as_str()),
        (401, "bad_signature")
    );
    headers[5].1 = "[1,2]".into();
    let (status, body, _) = chat(&running.url, &headers, content, false).await;
    assert_eq!((status, refusal_code(&body).as_str()), (400, "bad_headers"));

    let mut no_account = User::new(&serving, running.provider, U256::ZERO, Address::ZERO).await;
    let headers = no_account.headers(running.provider, content);
    let (status, body, _) = chat(&running.url, &headers, content, false).await;
    assert_eq!((status, refusal_code(&body).as_str()), (404, "no_account"));
    let mut unacknowledged =
        User::new(&serving, running.provider, milli_eth(1), Address::ZERO).await;
    let headers = unacknowledged.headers(running.provider, content);
    let (status, body, _) = chat(&running.url, &headers, content, false).await;
    assert_eq!(
        (status, refusal_code(&body).as_str()),
        (403, "not_acknowledged")
    );
    // 100 gwei: less than the reserve of 145 gwei (17 signed for the input,
    // 64 completion tokens at 2).
    let mut poor = User::new(
        &serving,
        running.provider,
        U256::from(100 * INPUT_PRICE),
        tee,
    )
    .await;
    let headers = poor.headers(running.provider, content);
    let (status, body, _) = chat(&running.url, &headers, content, false).await;
    assert_eq!(
        (status, refusal_code(&body).as_str()),
        (402, "insufficient_balance")
    );

    // Settlement: every fee billed, once.
    let tick = running.settle().await;
    assert_eq!(tick.settled, 3);
    assert!(tick.failed.is_empty(), "{:?}", tick.failed);
    let totals = running.broker.store().lock().unwrap().totals().unwrap();
    assert_eq!(totals.requests, 37);
    assert_eq!(totals.settled, totals.billed);
    assert_eq!(tick.settled_fees, totals.billed);
    let mut moved = U256::ZERO;
    for (user, before) in users.iter().zip(before) {
        let after = serving.account(user.address(), running.provider).await;
        moved += before - after.balance;
    }
    assert_eq!(moved, totals.billed);
    let wallet_after = serving.balance(running.provider).await;
    assert_eq!(wallet_after + tick.gas_cost, wallet_before + totals.billed);
    serving.check_invariants().await;

    // Metrics say the same.
    let metrics = reqwest::get(format!("{}/metrics", running.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("broker_requests_total 37\n"), "{metrics}");
    assert!(metrics.contains(&format!("broker_fees_settled_wei {}\n", totals.billed)));
    assert!(
        metrics.contains("broker_refused_total{code=\"stale_nonce\"} 1\n"),
        "{metrics}"
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_broker_settles_every_record_once_after_restart() {
    let serving = serving_or_skip!(LOCK_TIME);
    let upstream = upstream().await;
    let provider = Provider::new(&serving, "restart").await;
    let tee = provider.tee_address();
    let running = provider.start(&serving, &upstream).await;
    let mut users = Vec::new();
    for _ in 0..2 {
        users.push(User::new(&serving, running.provider, milli_eth(100), tee).await);
    }
    let serve = |running: &Running, user: &mut User, n: usize| {
        let url = running.url.clone();
        let provider = running.provider;
        let requests: Vec<_> = (0..n)
            .map(|i| {
                let content = format!("request {i}");
                (user.headers(provider, &content), content)
            })
            .collect();
        async move {
            for (headers, content) in requests {
                let (status, body, _) = chat(&url, &headers, &content, false).await;
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            }
        }
    };
    let serving = &serving;
    let balance = |user: Address, provider: Address| async move {
        serving.account(user, provider).await.balance
    };
    let running_provider = running.provider;
    let transactions = |provider: Address| async move {
        serving
            .reader()
            .get_transaction_count(provider)
            .await
            .unwrap()
    };
    let start = [
        balance(users[0].address(), running.provider).await,
        balance(users[1].address(), running.provider).await,
    ];

    // Window 1: the records are signed and stored, then the broker dies
    // before sending them.
    serve(&running, &mut users[0], 3).await;
    let mut tick = Tick::default();
    running.settler().sign_due(true, &mut tick).await.unwrap();
    assert_eq!(tick.signed, 1);
    let billed_first = running
        .broker
        .store()
        .lock()
        .unwrap()
        .totals()
        .unwrap()
        .billed;
    running.task.abort();
    drop(running);

    // The restarted broker's first tick (at start) sends them, or ours does
    // (never both: ticks take turns): one transaction in all.
    let sent_before = transactions(running_provider).await;
    let running = provider.start(serving, &upstream).await;
    let tick = running.settle().await;
    assert!(tick.failed.is_empty(), "{tick:?}");
    assert_eq!(transactions(running.provider).await, sent_before + 1);
    assert_eq!(
        balance(users[0].address(), running.provider).await,
        start[0] - billed_first
    );

    // Window 2: the batch went on chain, then the broker died before
    // closing it: after the restart it is closed, not sent again.
    serve(&running, &mut users[1], 4).await;
    let mut tick = Tick::default();
    running.settler().sign_due(true, &mut tick).await.unwrap();
    let open = running
        .broker
        .store()
        .lock()
        .unwrap()
        .open_records(running.provider)
        .unwrap();
    assert_eq!(open.len(), 1);
    let sent = running
        .broker
        .chain()
        .settle(vec![open[0].record.clone()])
        .await
        .unwrap();
    assert!(sent.failed.is_empty());
    running.task.abort();
    drop(running);

    let sent_before = transactions(running_provider).await;
    let running = provider.start(serving, &upstream).await;
    let tick = running.settle().await;
    assert!(tick.failed.is_empty(), "{tick:?}");
    assert_eq!(transactions(running.provider).await, sent_before);
    assert!(running
        .broker
        .store()
        .lock()
        .unwrap()
        .open_records(running.provider)
        .unwrap()
        .is_empty());
    let totals = running.broker.store().lock().unwrap().totals().unwrap();
    assert_eq!(totals.requests, 7);
    assert_eq!(totals.settled, totals.billed);
    let moved = (start[0] - balance(users[0].address(), running.provider).await)
        + (start[1] - balance(users[1].address(), running.provider).await);
    assert_eq!(moved, totals.billed);

    // The nonces survived: a request replayed across the restarts is stale.
    let replay = users[1].headers(running.provider, "again");
    let (status, _, _) = chat(&running.url, &replay, "again", false).await;
    assert_eq!(status, 200);
    let (status, body, _) = chat(&running.url, &replay, "again", false).await;
    assert_eq!((status, refusal_code(&body).as_str()), (409, "stale_nonce"));
    // A graceful shutdown settles what is owed first.
    let broker = Arc::clone(&running.broker);
    running.shutdown().await;
    let totals = broker.store().lock().unwrap().totals().unwrap();
    assert_eq!((totals.requests, totals.unsettled), (8, U256::ZERO));
    assert_eq!(totals.settled, totals.billed);
    serving.check_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_0g_sdk_is_served_verified_and_settled() {
    let Some(dir) = sdk_or_skip("SDK end-to-end test") else {
        return;
    };
    let serving = serving_or_skip!(LOCK_TIME);
    let upstream = upstream().await;
    let provider = Provider::new(&serving, "sdk").await;
    let running = provider.start(&serving, &upstream).await;
    let mut users = Vec::new();
    for _ in 0..3 {
        users.push(serving.actor(eth(3)).await);
    }
    let config = json!({
        "rpc": serving.node.url().to_string(),
        "ledger": serving.ledger_address(),
        "inference": serving.inference_address(),
        "fine_tuning": serving.fine_tuning_address(),
        "provider": running.provider,
        "keys": users.iter().map(|u| u.signer.to_bytes()).collect::<Vec<_>>(),
        "requests": 34,
    });
    let config_file = provider.dir.join("sdk.json");
    std::fs::write(&config_file, config.to_string()).unwrap();
    // One SDK process per user, all at once.
    let runs = (0..users.len()).map(|index| {
        let args = vec![
            "users.js".into(),
            config_file.display().to_string(),
            index.to_string(),
        ];
        tokio::spawn(run_node(dir.clone(), args))
    });
    let mut verified = 0;
    for run in runs.collect::<Vec<_>>() {
        verified += run.await.unwrap()["verified"].as_u64().unwrap();
    }
    assert_eq!(verified, 102);
    for user in &users {
        serving.track(user.address());
    }

    let mut before = Vec::new();
    for user in &users {
        before.push(
            serving
                .account(user.address(), running.provider)
                .await
                .balance,
        );
    }
    let wallet_before = serving.balance(running.provider).await;
    let tick = running.settle().await;
    assert!(tick.failed.is_empty(), "{tick:?}");
    let totals = running.broker.store().lock().unwrap().totals().unwrap();
    assert_eq!(totals.requests, 102);
    assert_eq!(
        (totals.settled, tick.settled_fees),
        (totals.billed, totals.billed)
    );
    let mut moved = U256::ZERO;
    for (user, before) in users.iter().zip(before) {
        moved += before
            - serving
                .account(user.address(), running.provider)
                .await
                .balance;
    }
    assert_eq!(moved, totals.billed);
    let wallet_after = serving.balance(running.provider).await;
    assert_eq!(wallet_after + tick.gas_cost, wallet_before + totals.billed);
    serving.check_invariants().await;
    running.shutdown().await;
}

/// The `broker` binary, started with `config`; ready once it answers.
async fn spawn_broker(
    config: &std::path::Path,
    url: &str,
    log: &std::path::Path,
) -> std::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_broker"))
        .arg("--config")
        .arg(config)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if reqwest::get(format!("{url}/healthz")).await.is_ok() {
            return child;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the broker did not start");
}

/// Sends requests from `users` in turn until one gets no answer (the
/// broker died) or `limit` were served; returns the ids of the responses
/// served.
async fn serve_until_down(
    url: &str,
    provider: Address,
    users: &mut [User],
    limit: usize,
) -> Vec<String> {
    let (client, mut served) = (reqwest::Client::new(), Vec::new());
    for turn in 0.. {
        if served.len() == limit {
            break;
        }
        let user = &mut users[turn % users.len()];
        let content = format!("question {turn} from {}", user.address());
        let headers = user.headers(provider, &content);
        let mut request = client
            .post(format!("{url}/v1/proxy/chat/completions"))
            .json(&json!({"messages": [{"role": "user", "content": content}]}));
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let Ok(response) = request.send().await else {
            break;
        };
        let Ok(body) = response.json::<Value>().await else {
            break;
        };
        served.push(body["id"].as_str().expect("a served response").to_string());
    }
    served
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_binary_killed_with_sigkill_settles_every_served_request_once() {
    let serving = serving_or_skip!(LOCK_TIME);
    let upstream = upstream().await;
    let provider = Provider::new(&serving, "sigkill").await;
    let tee = provider.tee_address();
    let mut config = provider.config(&serving, &upstream, provider.listen);
    // Settlement ticks every second in small batches: the kills land
    // between serving, signing, sending and closing alike.
    config.settlement.interval_secs = 1;
    config.settlement.batch_size = 3;
    let file = provider.dir.join("broker.toml");
    std::fs::write(&file, toml::to_string(&config).unwrap()).unwrap();
    let log = provider.dir.join("broker.log");
    let url = format!("http://{}", provider.listen);
    let provider_address = provider.actor.address();
    // The first start registers the service the users open accounts with.
    let mut running = Some(spawn_broker(&file, &url, &log).await);
    let mut users = Vec::new();
    for _ in 0..3 {
        users.push(User::new(&serving, provider_address, milli_eth(100), tee).await);
    }
    let mut before = Vec::new();
    for user in &users {
        before.push(
            serving
                .account(user.address(), provider_address)
                .await
                .balance,
        );
    }
    let from_block = serving.reader().get_block_number().await.unwrap() + 1;
    let wallet_before = serving.balance(provider_address).await;

    let mut served = Vec::new();
    for round in 0..4u64 {
        let mut child = match running.take() {
            Some(child) => child,
            None => spawn_broker(&file, &url, &log).await,
        };
        let pid = child.id();
        let killer = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1000 + 500 * round)).await;
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            assert!(killed.unwrap().success());
        });
        served.extend(serve_until_down(&url, provider_address, &mut users, usize::MAX).await);
        killer.await.unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
    }
    // A last run, stopped with SIGTERM: it settles what is owed and exits.
    let mut child = spawn_broker(&file, &url, &log).await;
    served.extend(serve_until_down(&url, provider_address, &mut users, 5).await);
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(stopped.unwrap().success());
    assert!(child.wait().unwrap().success(), "see {}", log.display());

    // Every response a user got is recorded; every recorded fee settled,
    // once: the sub-accounts and the provider's wallet moved by exactly the
    // fees billed.
    let store = serving_broker::store::Store::open(&config.database).unwrap();
    for id in &served {
        assert!(
            store.signature(id).unwrap().is_some(),
            "response {id} has no record"
        );
    }
    let totals = store.totals().unwrap();
    assert!(
        totals.requests as usize >= served.len() && served.len() >= 8,
        "{totals:?}, {} served",
        served.len()
    );
    assert_eq!(
        (totals.unsettled, totals.failed),
        (U256::ZERO, U256::ZERO),
        "{totals:?}"
    );
    assert_eq!(totals.settled, totals.billed);
    let mut moved = U256::ZERO;
    for (user, before) in users.iter().zip(before) {
        moved += before
            - serving
                .account(user.address(), provider_address)
                .await
                .balance;
    }
    assert_eq!(moved, totals.billed);
    let gas = gas_paid(&serving, provider_address, from_block).await;
    assert_eq!(
        serving.balance(provider_address).await + gas,
        wallet_before + totals.billed
    );
    eprintln!(
        "{} responses served across 4 SIGKILLs and a SIGTERM; {totals:?}",
        served.len()
    );
    serving.check_invariants().await;
}
