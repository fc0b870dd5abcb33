//! The broker's fine-tuning end to end on arbos-anvil, our contracts
//! deployed by our deployer: tasks created with the SDK's signed request
//! (refused for every reason the broker checks), cancelled, trained by the
//! deterministic trainer, sealed, delivered on chain and settled: the full
//! fee after the user's acknowledgement, the contract's penalty after the
//! acknowledgement timeout; the sub-accounts and the provider's wallet move
//! by exactly that. The last test puts the unmodified SDK 0.4.4 in the
//! users' place (`tests/sdk/tuning.js`): it creates the tasks, follows
//! them, acknowledges one and opens its model with its own
//! `decryptModel`.
//!
//! Skipped, with a plain message, when arbos-anvil is not found (a failure
//! in CI); the SDK test also when `node` or `npm ci` is not available.

mod common;

use alloy::{
    primitives::{hex, keccak256, Address, B256, U256},
    providers::Provider as _,
};
use common::*;
use serde_json::{json, Value};
use serving_broker::{
    config::{self, Model, Quota},
    fine_tuning::{
        runner::{self, RunnerTick},
        task::{cancel_digest, task_digest},
        trainer::{DeterministicTrainer, Trainer},
    },
};
use serving_harness::{
    e2e::{eth, milli_eth, Actor, Serving, FINE_TUNING},
    serving_or_skip,
};
use serving_verifier::native;
use sha2::{Digest, Sha256};

/// Wei per dataset token and epoch.
const PRICE_PER_TOKEN: u64 = 1_000_000_000_000;
/// The dataset: 40 words, 40 tokens for the deterministic trainer.
const DATASET: &str = "the quick brown fox jumps over the lazy dog again and again \
    while the provider trains a model on it for the user who pays \
    for every token of every epoch and gets a sealed model back at the end of it";
const EPOCHS: u64 = 2;
/// Seconds a delivered model waits for its acknowledgement.
const ACK_TIMEOUT: u64 = 2;
/// The contract's penalty percentage (`ServingConfig::default`).
const PENALTY_PERCENT: u64 = 30;

fn model() -> Model {
    Model {
        name: "tiny-adapter".into(),
        hash: keccak256("tiny-adapter"),
        description: "a model for tests".into(),
        tokenizer: String::new(),
        data_type: "text".into(),
        usage_file: None,
    }
}

fn dataset_hash() -> String {
    keccak256(DATASET).to_string()
}

fn tokens() -> u64 {
    DeterministicTrainer.count_tokens(&model(), DATASET.as_bytes())
}

fn fee() -> U256 {
    U256::from(PRICE_PER_TOKEN * tokens() * EPOCHS)
}

/// A fine-tuning service with the dataset in place, its runner ticking
/// every `interval_secs`.
fn settings(provider: &Provider, serving: &Serving, interval_secs: u64) -> config::FineTuning {
    let datasets = provider.dir.join("datasets");
    std::fs::create_dir_all(&datasets).unwrap();
    std::fs::write(datasets.join(dataset_hash()), DATASET).unwrap();
    config::FineTuning {
        contract: serving.fine_tuning_address(),
        price_per_token: U256::from(PRICE_PER_TOKEN),
        quota: Quota {
            cpu_count: 8,
            node_memory: 64,
            gpu_count: 1,
            node_storage: 500,
            gpu_type: "H100".into(),
        },
        models: vec![model()],
        datasets,
        models_dir: provider.dir.join("models"),
        ack_timeout_secs: ACK_TIMEOUT,
        interval_secs,
        max_queue: 10,
    }
}

/// A task of `user` as the SDK's `createTask` posts it.
fn task_body(user: &Actor, nonce: u64, fee: U256, model_hash: B256, wait: bool) -> Value {
    let digest = task_digest(user.address(), U256::from(nonce), &dataset_hash(), fee);
    let signature = native::sign(user.signer.credential(), digest);
    json!({
        "userAddress": user.address(),
        "datasetHash": dataset_hash(),
        "trainingParams": json!({"num_train_epochs": EPOCHS}).to_string(),
        "preTrainedModelHash": model_hash,
        "fee": fee.to_string(),
        "nonce": nonce.to_string(),
        "signature": hex::encode_prefixed(signature),
        "wait": wait,
    })
}

async fn post(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(url: &str) -> (u16, Vec<u8>) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Creates a task; returns the status and the body.
async fn create(running: &Running, user: &Actor, body: &Value) -> (u16, Value) {
    post(
        &format!("{}/v1/user/{}/task", running.url, user.address()),
        body,
    )
    .await
}

/// Creates a task that must be accepted: its id.
async fn accepted(running: &Running, user: &Actor, body: &Value) -> String {
    let (status, answer) = create(running, user, body).await;
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_str().unwrap().to_string()
}

/// Creates a task that must be refused with `status` and `expected`.
async fn refused(running: &Running, user: &Actor, body: &Value, status: u16, expected: &str) {
    let (got, answer) = create(running, user, body).await;
    assert_eq!((got, code(&answer)), (status, expected), "{answer}");
}

fn code(body: &Value) -> &str {
    body["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not a refusal: {body}"))
}

async fn run_tasks(running: &Running) -> RunnerTick {
    runner::tick(&running.broker).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_checked_trained_delivered_and_settled() {
    let serving = serving_or_skip!(LOCK_TIME);
    let upstream = upstream().await;
    let mut provider = Provider::new(&serving, "fine-tuning").await;
    // The runner ticks when the test says.
    provider.fine_tuning = Some(settings(&provider, &serving, 3600));
    let running = provider.start(&serving, &upstream).await;
    let signer = provider.tee_address();
    let service = running
        .broker
        .fine_tuning()
        .unwrap()
        .chain()
        .service()
        .await;
    let service = service
        .unwrap()
        .expect("the fine-tuning service is registered");
    assert_eq!(
        (service.providerSigner, service.models.clone()),
        (signer, vec![model().name])
    );

    let (acking, late) = (serving.user(eth(1)).await, serving.user(eth(1)).await);
    for user in [&acking, &late] {
        serving
            .open_fine_tuning_account(user, running.provider, milli_eth(100), signer)
            .await;
    }
    let unacknowledged = serving.user(eth(1)).await;
    serving
        .transfer_fund(
            &unacknowledged,
            running.provider,
            FINE_TUNING,
            milli_eth(100),
        )
        .await;
    let stranger = serving.user(eth(1)).await;
    let poor = serving.user(eth(1)).await;
    serving
        .open_fine_tuning_account(&poor, running.provider, fee() - U256::from(1), signer)
        .await;

    // Every refusal, each with its code.
    let nonce = 1_733_400_000_000_u64;
    let hash = model().hash;
    let mut forged = task_body(&acking, nonce, fee(), hash, false);
    forged["fee"] = json!((fee() + U256::from(1)).to_string());
    let refusals = [
        (&acking, forged, 401, "bad_signature"),
        (
            &acking,
            task_body(&acking, nonce, fee(), B256::ZERO, false),
            400,
            "unsupported_model",
        ),
        (
            &acking,
            task_body(&acking, nonce, fee() - U256::from(1), hash, false),
            402,
            "insufficient_fee",
        ),
        (
            &acking,
            task_body(&acking, 0, fee(), hash, false),
            409,
            "stale_nonce",
        ),
        (
            &stranger,
            task_body(&stranger, nonce, fee(), hash, false),
            404,
            "no_account",
        ),
        (
            &unacknowledged,
            task_body(&unacknowledged, nonce, fee(), hash, false),
            403,
            "not_acknowledged",
        ),
        (
            &poor,
            task_body(&poor, nonce, fee(), hash, false),
            402,
            "insufficient_balance",
        ),
        (
            &stranger,
            task_body(&acking, nonce, fee(), hash, false),
            400,
            "bad_body",
        ),
    ];
    for (user, body, status, expected) in refusals {
        refused(&running, user, &body, status, expected).await;
    }
    // The dataset's hash is signed.
    let mut missing = task_body(&acking, nonce, fee(), hash, false);
    missing["datasetHash"] = json!(B256::repeat_byte(7));
    refused(&running, &acking, &missing, 401, "bad_signature").await;

    // Accepted, then cancelled by its user before it starts. While it
    // waits, another task needs `wait` (the SDK asks its user first), and
    // its user may not add a second.
    let body = task_body(&acking, nonce, fee(), hash, false);
    let cancelled = accepted(&running, &acking, &body).await;
    let body = task_body(&late, nonce, fee(), hash, false);
    refused(&running, &late, &body, 409, "busy").await;
    let body = task_body(&acking, nonce + 1, fee(), hash, true);
    refused(&running, &acking, &body, 409, "unfinished_task").await;
    let cancel_url = format!(
        "{}/v1/user/{}/task/{cancelled}/cancel",
        running.url,
        acking.address()
    );
    let id: uuid::Uuid = cancelled.parse().unwrap();
    let theirs = native::sign(late.signer.credential(), cancel_digest(id));
    let (status, _) = post(
        &cancel_url,
        &json!({"signature": hex::encode_prefixed(theirs)}),
    )
    .await;
    assert_eq!(status, 401);
    let signature = native::sign(acking.signer.credential(), cancel_digest(id));
    let (status, answer) = post(
        &cancel_url,
        &json!({"signature": hex::encode_prefixed(signature)}),
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!(format!("task {cancelled} cancelled")))
    );

    // Two tasks: trained, sealed and delivered one per tick.
    let mut ids = Vec::new();
    for (user, wait) in [(&acking, false), (&late, true)] {
        let body = task_body(user, nonce + 2, fee(), hash, wait);
        ids.push(accepted(&running, user, &body).await);
    }
    let (_, pending) = get(&format!("{}/v1/task/pending", running.url)).await;
    assert_eq!(pending, b"2");
    let from_block = serving.reader().get_block_number().await.unwrap() + 1;
    let wallet_before = serving.balance(running.provider).await;
    let before = [
        serving
            .fine_tuning_account(acking.address(), running.provider)
            .await
            .balance,
        serving
            .fine_tuning_account(late.address(), running.provider)
            .await
            .balance,
    ];
    for _ in 0..2 {
        let tick = run_tasks(&running).await;
        assert_eq!((tick.trained, tick.delivered), (1, 1), "{tick:?}");
    }
    let trained = DeterministicTrainer
        .train(
            &model(),
            DATASET.as_bytes(),
            &json!({"num_train_epochs": EPOCHS}).to_string(),
            EPOCHS,
            &mut |_| {},
        )
        .unwrap();
    for (user, id) in [&acking, &late].into_iter().zip(&ids) {
        let task_url = format!("{}/v1/user/{}/task/{id}", running.url, user.address());
        let (_, task) = get(&task_url).await;
        let task: Value = serde_json::from_slice(&task).unwrap();
        assert_eq!(task["progress"], "Delivered", "{task}");
        let (status, sealed) = get(&format!("{task_url}/model")).await;
        assert_eq!(status, 200);
        let root = keccak256(&sealed).to_string();
        assert_eq!(task["outputRootHash"], json!(root));
        let on_chain = strict_deliverable(&serving, user.address(), running.provider, id).await;
        assert_eq!(on_chain.modelRootHash.to_vec(), root.into_bytes());
        assert!(!on_chain.acknowledged);
        // The tags are signed by the provider signer; the rest the SDK test opens.
        assert_eq!(sealed.len(), 65 + 12 + trained.len() + 16);
        let (_, log) = get(&format!("{task_url}/log")).await;
        let log = String::from_utf8(log).unwrap();
        assert!(
            log.contains("epoch 2/2") && log.contains("delivered"),
            "{log}"
        );
    }
    let (_, listed) = get(&format!(
        "{}/v1/user/{}/task",
        running.url,
        acking.address()
    ))
    .await;
    let listed: Value = serde_json::from_slice(&listed).unwrap();
    let listed: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["progress"].clone())
        .collect();
    assert_eq!(
        listed,
        [json!("Delivered"), json!("Failed")],
        "newest first"
    );

    // The first user acknowledges: the full fee. The second does not: the
    // penalty, once the timeout passed.
    let acknowledge = serving
        .ft()
        .acknowledgeDeliverable_0(running.provider, ids[0].clone());
    acking.transact("acknowledgeDeliverable", acknowledge).await;
    let tick = run_tasks(&running).await;
    assert_eq!((tick.settled, tick.penalized), (1, 0), "{tick:?}");
    tokio::time::sleep(std::time::Duration::from_secs(ACK_TIMEOUT + 1)).await;
    let tick = run_tasks(&running).await;
    assert_eq!((tick.settled, tick.penalized), (0, 1), "{tick:?}");
    assert_eq!(
        run_tasks(&running).await,
        RunnerTick::default(),
        "nothing left"
    );

    let penalty = fee() * U256::from(PENALTY_PERCENT) / U256::from(100);
    let acking_account = serving
        .fine_tuning_account(acking.address(), running.provider)
        .await;
    let late_account = serving
        .fine_tuning_account(late.address(), running.provider)
        .await;
    assert_eq!(before[0] - acking_account.balance, fee());
    assert_eq!(before[1] - late_account.balance, penalty);
    let delivered = strict_deliverable(&serving, acking.address(), running.provider, &ids[0]).await;
    assert!(delivered.acknowledged && !delivered.encryptedSecret.is_empty());
    let gas = gas_paid(&serving, running.provider, from_block).await;
    let wallet_after = serving.balance(running.provider).await;
    assert_eq!(wallet_after + gas, wallet_before + fee() + penalty);
    for (user, id, outcome) in [
        (&acking, &ids[0], "settled: full fee"),
        (&late, &ids[1], "settled: penalty, not acknowledged in time"),
    ] {
        let (_, task) = get(&format!(
            "{}/v1/user/{}/task/{id}",
            running.url,
            user.address()
        ))
        .await;
        let task: Value = serde_json::from_slice(&task).unwrap();
        assert_eq!(
            (task["progress"].as_str(), task["outcome"].as_str()),
            (Some("Finished"), Some(outcome))
        );
    }
    let (_, metrics) = get(&format!("{}/metrics", running.url)).await;
    let metrics = String::from_utf8(metrics).unwrap();
    for line in [r#"{progress="Finished"} 2"#, r#"{progress="Failed"} 1"#] {
        assert!(
            metrics.contains(&format!("broker_fine_tuning_tasks{line}")),
            "{metrics}"
        );
    }
    // Refusals are counted by reason: two bad signatures (the forged fee,
    // the unsigned dataset) and another user's cancellation.
    for line in [r#"{code="bad_signature"} 3"#, r#"{code="busy"} 1"#] {
        assert!(
            metrics.contains(&format!("broker_refused_total{line}\n")),
            "{metrics}"
        );
    }
    serving.check_invariants().await;
    running.shutdown().await;
}

async fn strict_deliverable(
    serving: &Serving,
    user: Address,
    provider: Address,
    id: &str,
) -> serving_harness::bindings::fine_tuning::Deliverable {
    serving_harness::e2e::strict_call(serving.ft().getDeliverable(user, provider, id.into()))
        .await
        ._0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_0g_sdk_fine_tunes_acknowledges_and_opens_its_model() {
    let Some(dir) = sdk_or_skip("SDK fine-tuning test") else {
        return;
    };
    let serving = serving_or_skip!(LOCK_TIME);
    let upstream = upstream().await;
    let mut provider = Provider::new(&serving, "fine-tuning-sdk").await;
    provider.fine_tuning = Some(settings(&provider, &serving, 1));
    let running = provider.start(&serving, &upstream).await;
    let users = [serving.actor(eth(3)).await, serving.actor(eth(3)).await];
    let config = json!({
        "rpc": serving.node.url().to_string(),
        "ledger": serving.ledger_address(),
        "inference": serving.inference_address(),
        "fine_tuning": serving.fine_tuning_address(),
        "provider": running.provider,
        "keys": users.iter().map(|u| u.signer.to_bytes()).collect::<Vec<_>>(),
        "acknowledge": [true, false],
        "model": model().name,
        "dataset_hash": dataset_hash(),
        "data_size": tokens(),
        "epochs": EPOCHS,
    });
    let config_file = provider.dir.join("tuning.json");
    std::fs::write(&config_file, config.to_string()).unwrap();
    let wallet_before = serving.balance(running.provider).await;
    let from_block = serving.reader().get_block_number().await.unwrap() + 1;
    let args = vec!["tuning.js".into(), config_file.display().to_string()];
    let results = run_node(dir, args).await;
    for user in &users {
        serving.track(user.address());
    }

    // The SDK opened the model the trainer made.
    let trained = DeterministicTrainer
        .train(
            &model(),
            DATASET.as_bytes(),
            &json!({"num_train_epochs": EPOCHS}).to_string(),
            EPOCHS,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(results[0]["acknowledged"], json!(true));
    assert_eq!(
        results[0]["model_sha256"],
        json!(hex::encode_prefixed(Sha256::digest(&trained)))
    );
    assert_eq!(results[1]["acknowledged"], json!(false));
    // The SDK moved exactly the fee into each sub-account; the broker took
    // the fee from the first and the penalty from the second.
    let penalty = fee() * U256::from(PENALTY_PERCENT) / U256::from(100);
    for (user, (result, charged)) in users
        .iter()
        .zip(results.as_array().unwrap().iter().zip([fee(), penalty]))
    {
        assert_eq!(result["fee"], json!(fee().to_string()));
        let account = serving
            .fine_tuning_account(user.address(), running.provider)
            .await;
        assert_eq!(account.balance, fee() - charged);
    }
    let gas = gas_paid(&serving, running.provider, from_block).await;
    let wallet_after = serving.balance(running.provider).await;
    assert_eq!(wallet_after + gas, wallet_before + fee() + penalty);
    serving.check_invariants().await;
    running.shutdown().await;
}
