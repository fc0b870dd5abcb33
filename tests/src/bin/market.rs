//! `market simulate`: runs the marketplace on the serving contracts in
//! process and prints the report (see `serving_harness::market`).
//!
//! Exit status: 0 when every invariant held, 1 when one broke, 2 on bad
//! input or a backend failure (one line on stderr).

use std::process::ExitCode;

use serving_harness::market::{
    cli::{self, Command},
    simulate, InProcess, Progress,
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
    let config = &options.config;
    let mut backend = InProcess::new(config.lock_time, config.penalty_percentage);
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
    let report = match simulate(config, &mut backend, &mut progress) {
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
