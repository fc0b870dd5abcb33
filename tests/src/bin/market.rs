//! `market simulate`: runs the marketplace on the serving contracts in
//! process, or on a chain with `--rpc` (see `serving_harness::market` and
//! `serving_harness::market::rpc`), and prints the report.
//!
//! Exit status: 0 when every invariant held, 1 when one broke, 2 on bad
//! input or a backend failure (one line on stderr).

use std::process::ExitCode;

use serving_harness::market::{
    cli::{self, ChainOptions, Command},
    simulate, Backend, Config, InProcess, Progress,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match cli::parse(&args) {
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Simulate(options)) => options,
        Err(error) => {
            eprintln!("market: {error}");
            return ExitCode::from(2);
        }
    };
    let mut config = options.config.clone();
    let mut backend: Box<dyn Backend> = match &options.chain {
        None => Box::new(InProcess::new(config.lock_time, config.penalty_percentage)),
        Some(chain) => match on_chain(&mut config, chain, options.quiet) {
            Ok(backend) => backend,
            Err(error) => {
                eprintln!("market: {error}");
                return ExitCode::from(2);
            }
        },
    };
    let mut shown = 0;
    let mut progress = |p: Progress| {
        let percent = p.requests * 100 / p.total;
        if !options.quiet && percent >= shown + 10 {
            shown = percent - percent % 10;
            eprintln!(
                "market: {percent:3}% ({}/{} requests, {} records settled)",
                p.requests, p.total, p.records_settled
            );
        }
    };
    let report = match simulate(&config, backend.as_mut(), &mut progress) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("market: {error}");
            return ExitCode::from(2);
        }
    };
    if options.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a report serializes")
        );
    } else {
        println!("{report}");
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The backend of a run on a chain: reads the key, connects, checks and
/// deploys (see `Rpc::connect`); the run then uses the contracts' penalty.
/// Errors are one line.
#[cfg(feature = "chain")]
fn on_chain(
    config: &mut Config,
    chain: &ChainOptions,
    quiet: bool,
) -> Result<Box<dyn Backend>, String> {
    use serving_harness::{
        deployment::cli::read_key_file,
        market::{
            rpc::{Contracts, Rpc, RpcOptions},
            Failure,
        },
    };

    let funder = read_key_file(&chain.key_file).map_err(|e| e.one_line())?;
    let mut options = RpcOptions::new(chain.url.clone(), funder);
    options.contracts = chain
        .contracts
        .map(|[ledger, inference, fine_tuning]| Contracts {
            ledger,
            inference,
            fine_tuning,
        });
    let rpc = Rpc::connect(config, options).map_err(|e| match e {
        Failure::Backend(message) => message,
        other => other.to_string(),
    })?;
    config.penalty_percentage = rpc.penalty_percentage();
    if !quiet {
        let c = rpc.contracts();
        eprintln!(
            "market: chain {}, contracts {}: LedgerManager {}, InferenceServing {}, FineTuningServing {}",
            rpc.chain_id(),
            if rpc.deployed() { "deployed" } else { "given" },
            c.ledger,
            c.inference,
            c.fine_tuning
        );
    }
    Ok(Box::new(rpc))
}

/// Without the `chain` feature there is no chain client.
#[cfg(not(feature = "chain"))]
fn on_chain(
    _config: &mut Config,
    _chain: &ChainOptions,
    _quiet: bool,
) -> Result<Box<dyn Backend>, String> {
    Err("--rpc needs the chain client: build with --features chain".into())
}
