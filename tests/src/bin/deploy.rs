//! `deploy`: deploys LedgerManager, InferenceServing and FineTuningServing
//! from the artifacts of `cargo xtask build`, or prints the transactions a
//! deployment sends (`--dry-run`). `scripts/deploy.sh` runs it; `--help`
//! lists the options. See `serving_harness::deployment`.
//!
//! Exit status: 0 on success, 2 for a bad command line, 1 for any other
//! failure, reported as one line on stderr.

use std::process::ExitCode;

use serving_harness::deployment::{cli, DeployError};

fn main() -> ExitCode {
    let result = std::env::args_os()
        .skip(1)
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| DeployError::Usage(format!("argument {arg:?} is not UTF-8")))
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|args| cli::parse(&args))
        .and_then(|command| match command {
            cli::Command::Help => {
                print!("{}", cli::USAGE);
                Ok(())
            }
            cli::Command::Run(options) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| DeployError::Output(format!("cannot start the runtime: {e}")))?
                .block_on(cli::run(&options, &mut std::io::stdout().lock())),
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("deploy: {}", error.one_line());
            ExitCode::from(match error {
                DeployError::Usage(_) => 2,
                _ => 1,
            })
        }
    }
}
