//! A provider broker for the serving contracts: it sits in front of an
//! OpenAI-compatible model server, speaks the HTTP protocol of the 0G SDK
//! (`@0glabs/0g-serving-broker` 0.4.4) to users, checks that each request
//! is signed and can be paid, signs responses with its TEE key and settles
//! the fees on chain.
//!
//! - [`request`]: the user's signed request (the SDK's headers), over
//!   [`babyjubjub`];
//! - [`tee`]: the TEE that signs responses and settlement records, and a
//!   simulated one;
//! - [`server`]: the endpoints; [`store`]: every served request, durable;
//! - [`policy`] and [`settlement`]: when and how the fees are settled;
//! - [`chain`]: InferenceServing as the provider sees it; [`config`];
//! - [`fine_tuning`]: the fine-tuning tasks, trained, sealed, delivered
//!   and settled on FineTuningServing.
//!
//! [`run`] is the broker binary: `broker --config broker.toml`.

use std::{future::Future, sync::Arc, time::Duration};

use alloy::{signers::local::PrivateKeySigner, transports::http::reqwest::Url};
use k256::ecdsa::SigningKey;

pub mod babyjubjub;
pub mod chain;
pub mod config;
pub mod fine_tuning;
pub mod policy;
pub mod request;
pub mod server;
pub mod settlement;
pub mod store;
pub mod tee;

use config::{read_key, Config};
use server::Broker;

/// Builds the broker of `config`: its keys, chain client, simulated TEE and
/// store.
///
/// # Errors
///
/// A message for the operator: a key file, the RPC URL, the database.
pub fn build(config: Config) -> Result<Arc<Broker>, String> {
    let provider_key = read_key(&config.provider_key_file)?;
    let signer = PrivateKeySigner::from_slice(&provider_key)
        .map_err(|e| format!("{}: {e}", config.provider_key_file.display()))?;
    let signing_key = |path: &std::path::Path| {
        SigningKey::from_slice(&read_key(path)?).map_err(|e| format!("{}: {e}", path.display()))
    };
    let tee = tee::SimulatedTee::new(
        signing_key(&config.tee_key_file)?,
        &signing_key(&config.attestation_root_key_file)?,
    );
    let url: Url = config
        .rpc
        .parse()
        .map_err(|e| format!("rpc {}: {e}", config.rpc))?;
    let chain = chain::Chain::new(url.clone(), signer.clone(), config.inference);
    let store = store::Store::open(&config.database)
        .map_err(|e| format!("database {}: {e}", config.database.display()))?;
    let fine_tuning = config.fine_tuning.clone().map(|settings| {
        let chain = chain::Chain::new(url, signer, settings.contract);
        fine_tuning::FineTuning::new(
            settings,
            config.url.clone(),
            fine_tuning::chain::FineTuningChain(chain),
            Arc::new(fine_tuning::trainer::DeterministicTrainer),
        )
    });
    Ok(Broker::new(
        config,
        chain,
        Box::new(tee),
        store,
        fine_tuning,
    ))
}

/// Runs `broker` on its configured address until `shutdown` completes (see
/// [`serve`]).
///
/// # Errors
///
/// A message for the operator: the listening socket, the registration.
pub async fn run(
    broker: Arc<Broker>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let listen = broker.config().listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("listen on {listen}: {e}"))?;
    serve(broker, listener, shutdown).await
}

/// Runs `broker` on `listener` until `shutdown` completes: registers its
/// service, serves, settles at every tick, and at shutdown stops taking
/// requests, then settles everything owed once more.
///
/// # Errors
///
/// A message for the operator: the registration, the server.
pub async fn serve(
    broker: Arc<Broker>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let config = broker.config().clone();
    if broker
        .register()
        .await
        .map_err(|e| format!("registering the service: {e}"))?
    {
        tracing::info!(url = %config.url, model = %config.model, "service registered");
    }
    if let Some(side) = broker.fine_tuning() {
        if side
            .register(broker.tee().address())
            .await
            .map_err(|e| format!("registering the fine-tuning service: {e}"))?
        {
            tracing::info!(url = %config.url, "fine-tuning service registered");
        }
    }
    tracing::info!(
        listen = %listener.local_addr().map_err(|e| e.to_string())?,
        provider = %broker.chain().provider_address(),
        tee = %broker.tee().address(),
        "broker serving"
    );
    let settler = {
        let broker = Arc::clone(&broker);
        AbortOnDrop(tokio::spawn(async move {
            let interval = Duration::from_secs(config.settlement.interval_secs.max(1));
            loop {
                settle(&broker, false).await;
                tokio::time::sleep(interval).await;
            }
        }))
    };
    let runner = config.fine_tuning.as_ref().map(|settings| {
        let broker = Arc::clone(&broker);
        let interval = Duration::from_secs(settings.interval_secs.max(1));
        AbortOnDrop(tokio::spawn(async move {
            loop {
                run_tasks(&broker).await;
                tokio::time::sleep(interval).await;
            }
        }))
    });
    let served = axum::serve(listener, broker.router())
        .with_graceful_shutdown(shutdown)
        .await;
    drop((settler, runner));
    tracing::info!("shutting down: settling what is owed");
    settle(&broker, true).await;
    served.map_err(|e| format!("server: {e}"))
}

/// `mutex` locked, even if a thread panicked holding it (the state it
/// guards is written in single statements or transactions).
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The settlement loop's task, stopped with the server (or when the
/// server's future is dropped).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One settlement tick, logged.
pub async fn settle(broker: &Broker, force: bool) {
    match broker.settle(force).await {
        Ok(tick) if tick.transactions > 0 || tick.settled > 0 => {
            tracing::info!(?tick, "settlement tick");
        }
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, "settlement tick failed; open records stay for the next")
        }
    }
}

/// One tick of the fine-tuning task runner, logged.
pub async fn run_tasks(broker: &Broker) {
    match fine_tuning::runner::tick(broker).await {
        Ok(tick) if tick != fine_tuning::runner::RunnerTick::default() => {
            tracing::info!(?tick, "task runner tick");
        }
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, "task runner tick failed; its task stays for the next")
        }
    }
}
