//! The `market` command as a user runs it: a small in-process simulation
//! with its text and JSON reports, and bad input refused in one line
//! before anything runs.

use std::process::{Command, Output};

fn market(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_market"))
        .args(args)
        .output()
        .expect("run market")
}

const SMALL: [&str; 13] = [
    "simulate",
    "--providers",
    "2",
    "--users",
    "6",
    "--requests",
    "120",
    "--tick",
    "30",
    "--batch-size",
    "4",
    "--seed",
    "3",
];

#[test]
fn a_small_run_reports_and_passes() {
    let output = market(&[&SMALL[..], &["--faults", "all"]].concat());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "market simulation (in-process), seed 3",
        "requests: 120 sent",
        "settlement:",
        "invariants:",
        "all held",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in\n{stdout}");
    }
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("100% (120/120 requests"),
        "progress on stderr:\n{stderr}"
    );
}

#[test]
fn json_is_the_same_report() {
    let output = market(&[&SMALL[..], &["--json", "--quiet"]].concat());
    assert!(output.status.success());
    assert!(output.stderr.is_empty(), "--quiet prints no progress");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["backend"], "in-process");
    assert_eq!(report["config"]["seed"], 3);
    assert_eq!(report["requests"]["sent"], 120);
    assert_eq!(report["invariants"]["violations"], serde_json::json!([]));
    assert!(report["invariants"]["checks"].as_u64().unwrap() > 0);
    assert_eq!(report["refunds"]["left_in_ledger"], 0);
    let text = String::from_utf8(market(&[&SMALL[..], &["--quiet"]].concat()).stdout).unwrap();
    let served = report["requests"]["served"].as_u64().unwrap();
    assert!(
        text.contains(&format!("{served} served")),
        "text and JSON agree"
    );
}

#[test]
fn bad_input_is_one_line_and_runs_nothing() {
    for (args, expected) in [
        (
            vec!["simulate", "--providers", "0"],
            "--providers must be between 1 and 64",
        ),
        (
            vec!["simulate", "--requests", "100000000"],
            "cannot be funded",
        ),
        (
            vec!["simulate", "--frobnicate"],
            "unknown option `--frobnicate`",
        ),
        (vec!["simulate", "--users"], "--users needs a value"),
        (
            vec!["simulate", "--faults", "meteor"],
            "unknown fault `meteor`",
        ),
        (vec!["frobnicate"], "unknown command `frobnicate`"),
    ] {
        let output = market(&args);
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: nothing ran");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{args:?}: one line, got {stderr}"
        );
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let help = market(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .starts_with("usage: market simulate"));
}
