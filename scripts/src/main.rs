//! `cargo xtask build [--contract NAME]...`: builds each contract for
//! wasm32-unknown-unknown (flags in .cargo/config.toml), turns the wasm into
//! the code a Stylus chain stores, writes target/stylus/<name>.{wasm,code,initcode}
//! and fails when a contract is over the size limits.

use std::path::{Path, PathBuf};
use std::process::{exit, Command};
use xtask::{Artifacts, MAX_CODE_BYTES, MAX_WASM_BYTES};

/// The contracts deployed on chain, built by default.
/// Every program: its artifact name, its crate, and the crate features that
/// select it (a contract split in two programs builds its crate twice).
const PROGRAMS: &[(&str, &str, &str)] = &[
    ("ledger-manager", "ledger-manager", ""),
    ("inference-serving", "inference-serving", ""),
    ("inference-serving-views", "inference-serving", "views"),
];


const USAGE: &str = "usage: cargo xtask build [--contract NAME]...";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let contracts = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: {e} ({USAGE})");
            exit(2);
        }
    };
    if let Err(e) = build(&contracts) {
        eprintln!("xtask: {e}");
        exit(1);
    }
}

fn parse(args: &[String]) -> Result<Vec<String>, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("build") => {}
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}\ncontracts: {}", PROGRAMS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "));
            exit(0);
        }
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("missing command".into()),
    }
    let mut contracts = Vec::new();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--contract" => match it.next() {
                Some(name) if !name.starts_with('-') => contracts.push(name.clone()),
                _ => return Err("--contract needs a package name".into()),
            },
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if contracts.is_empty() {
        contracts = PROGRAMS.iter().map(|p| p.0.to_string()).collect();
    }
    Ok(contracts)
}

fn build(contracts: &[String]) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let out_dir = target.join("stylus");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let mut rows = Vec::new();
    for name in contracts {
        let (_, package, features) = PROGRAMS
            .iter()
            .find(|(program, _, _)| program == name)
            .ok_or_else(|| format!("unknown contract `{name}`"))?;
        // One crate at a time, so that features are those of the crate alone.
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(["build", "-p", package, "--lib", "--release"])
            .args(["--features", features])
            .args(["--target", "wasm32-unknown-unknown"])
            .arg("-Zbuild-std=std,panic_abort")
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build of `{name}` failed"));
        }
        let file = package.replace('-', "_") + ".wasm";
        let wasm_path = target.join("wasm32-unknown-unknown/release").join(&file);
        let raw = std::fs::read(&wasm_path).map_err(|e| format!("{}: {e}", wasm_path.display()))?;
        let a = Artifacts::from_wasm(&raw).map_err(|e| format!("{name}: {e}"))?;
        for (ext, bytes) in [
            ("wasm", &a.wasm),
            ("code", &a.code),
            ("initcode", &a.initcode),
        ] {
            let p = out_dir.join(format!("{name}.{ext}"));
            std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        rows.push((name.clone(), a.wasm.len(), a.code.len(), a.fits()));
    }

    println!(
        "{:<24} {:>10} {:>10} {:>16}  status",
        "contract", "wasm", "code", "limit code/wasm"
    );
    for (name, wasm, code, ok) in &rows {
        println!(
            "{name:<24} {wasm:>10} {code:>10} {:>16}  {}",
            format!("{MAX_CODE_BYTES}/{MAX_WASM_BYTES}"),
            if *ok { "ok" } else { "FAIL" }
        );
    }
    println!("artifacts in {}", out_dir.display());
    let failed: Vec<_> = rows.iter().filter(|r| !r.3).map(|r| r.0.as_str()).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("over the size limit: {}", failed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_to_every_contract() {
        let all: Vec<_> = super::PROGRAMS.iter().map(|p| p.0).collect();
        assert_eq!(parse(&args(&["build"])).unwrap(), all);
    }

    #[test]
    fn contracts_can_be_chosen() {
        let got = parse(&args(&["build", "--contract", "a", "--contract", "b"])).unwrap();
        assert_eq!(got, ["a", "b"]);
    }

    #[test]
    fn rejects_the_unknown() {
        for bad in [
            &[][..],
            &["sizes"],
            &["build", "-x"],
            &["build", "--contract"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
