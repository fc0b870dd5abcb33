//! `cargo xtask build [--contract NAME]...`: builds each contract for
//! wasm32-unknown-unknown (flags in .cargo/config.toml), runs binaryen's
//! `wasm-opt -Oz` on it, turns the wasm into the code a Stylus chain
//! stores, writes target/stylus/<name>.{wasm,code,initcode} and fails when
//! a contract is over the size limits or over our budget of 20,480 bytes of
//! stored code.
//!
//! `cargo xtask abi [--contract CRATE]...`: runs each contract's Solidity
//! export (`cargo run -p CRATE --features export-abi`), writes it to
//! target/abi/<Contract>.sol and checks it against the target ABI of the spec
//! (../shared/spec/abi-0g.md): every function marked public there must be
//! exported with its selector, mutability and outputs. Fails with one line per
//! difference. It also writes the ABI artifacts for wallets and SDKs,
//! abi/<Contract>.json (standard JSON ABI) and abi/<Contract>.sol (Solidity
//! interface with the spec's struct names and field names), loads the JSON
//! back with alloy-json-abi and checks its selectors against the spec.
//!
//! `cargo xtask abi --check`: the same checks, but the artifacts are only
//! regenerated in memory; fails with one line per file of abi/ that differs
//! (stale or missing).
//!
//! `cargo xtask sizes [--contract NAME]...`: builds each contract as `build`
//! does (wasm-opt included) but keeping function names (into
//! target/sizes), and prints where its code goes: bytes per crate and the
//! largest functions (`serving_scripts::sizes`).
//!
//! `cargo xtask gas-table [--write]`: prints the gas table of the gas
//! benchmark's report, target/gas-report.json (`serving_scripts::gas`);
//! with `--write`, puts it in docs/gas.md between its markers.

use std::{
    path::{Path, PathBuf},
    process::{exit, Command, Stdio},
};

use serving_scripts::{
    abi::{self, artifacts, Spec},
    code_hash, decode_initcode, gas,
    wasm::optimize,
    Artifacts, CODE_BUDGET_BYTES, MAX_CODE_BYTES, MAX_WASM_BYTES,
};

/// Every program the build makes: its artifact name and its crate (a
/// cargo-stylus project whose `cdylib` is that program).
const PROGRAMS: &[(&str, &str)] = &[
    ("ledger-manager", "ledger-manager"),
    ("inference-serving", "inference-serving-main"),
    ("inference-serving-views", "inference-serving-views"),
    ("fine-tuning-serving", "fine-tuning-serving-main"),
    ("fine-tuning-serving-views", "fine-tuning-serving-views"),
];

/// The contracts whose exported interface `cargo xtask abi` checks: the crate,
/// and the contract's name, which is both its section of the spec
/// (`## LedgerManager`) and the file target/abi/<name>.sol.
const ABI_CONTRACTS: &[(&str, &str)] = &[
    ("ledger-manager", "LedgerManager"),
    ("inference-serving-main", "InferenceServing"),
    ("fine-tuning-serving-main", "FineTuningServing"),
];

/// The target ABI, from the workspace root.
const ABI_SPEC: &str = "../shared/spec/abi-0g.md";

/// The committed ABI artifacts, from the workspace root.
const ABI_DIR: &str = "abi";

const USAGE: &str =
    "usage: cargo xtask build [--contract NAME]... | cargo xtask sizes [--contract \
                     NAME]... | cargo xtask abi [--check] [--contract CRATE]... | cargo xtask \
                     gas-table [--write]";

/// How many functions `cargo xtask sizes` lists per program.
const SIZES_TOP: usize = 25;

#[derive(Debug, PartialEq)]
enum Cmd {
    Build(Vec<String>),
    Sizes(Vec<String>),
    /// The crates, and whether to only check abi/ (`--check`).
    Abi(Vec<String>, bool),
    /// Whether to write docs/gas.md (`--write`).
    GasTable(bool),
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: {e} ({USAGE})");
            exit(2);
        }
    };
    let result = match &cmd {
        Cmd::Build(contracts) => build(contracts),
        Cmd::Sizes(contracts) => sizes(contracts),
        Cmd::Abi(crates, check) => check_abi(crates, *check),
        Cmd::GasTable(write) => gas_table(*write),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        exit(1);
    }
}

fn parse(args: &[String]) -> Result<Cmd, String> {
    let mut it = args.iter();
    let command = it.next().map(String::as_str);
    let abi = match command {
        Some("build" | "sizes") => false,
        Some("abi") => true,
        Some("gas-table") => {
            return match args[1..] {
                [] => Ok(Cmd::GasTable(false)),
                [ref flag] if flag == "--write" => Ok(Cmd::GasTable(true)),
                _ => Err(format!("unknown argument `{}`", args[1])),
            };
        }
        Some("-h" | "--help" | "help") => {
            println!(
                "{USAGE}\nbuild contracts: {}\nabi crates: {}",
                PROGRAMS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "),
                ABI_CONTRACTS
                    .iter()
                    .map(|p| p.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            exit(0);
        }
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("missing command".into()),
    };
    let mut contracts = Vec::new();
    let mut check = false;
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" if abi => check = true,
            "--contract" => match it.next() {
                Some(name) if !name.starts_with('-') => contracts.push(name.clone()),
                _ => return Err("--contract needs a package name".into()),
            },
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if abi {
        if contracts.is_empty() {
            contracts = ABI_CONTRACTS.iter().map(|p| p.0.to_string()).collect();
        }
        return Ok(Cmd::Abi(contracts, check));
    }
    if contracts.is_empty() {
        contracts = PROGRAMS.iter().map(|p| p.0.to_string()).collect();
    }
    Ok(match command {
        Some("sizes") => Cmd::Sizes(contracts),
        _ => Cmd::Build(contracts),
    })
}

/// Prints the gas table of target/gas-report.json, and with `write` puts
/// it in docs/gas.md.
fn gas_table(write: bool) -> Result<(), String> {
    let path = target_dir().join("gas-report.json");
    let report = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e} (run `cargo bench -p serving-harness --bench gas`)",
            path.display()
        )
    })?;
    let report = serde_json::from_str(&report).map_err(|e| format!("{}: {e}", path.display()))?;
    let table = gas::table(&report)?;
    print!("{table}");
    if write {
        let doc_path = root().join("docs/gas.md");
        let doc = std::fs::read_to_string(&doc_path)
            .map_err(|e| format!("{}: {e}", doc_path.display()))?;
        std::fs::write(&doc_path, gas::replace_section(&doc, &table)?)
            .map_err(|e| format!("{}: {e}", doc_path.display()))?;
        println!("wrote {}", doc_path.display());
    }
    Ok(())
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Builds the crates of `contracts` for wasm32 into `target` (with `env`
/// set) and returns them.
fn compile(
    contracts: &[String],
    target: &Path,
    env: &[(&str, &str)],
) -> Result<Vec<&'static str>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let packages = contracts
        .iter()
        .map(|name| {
            PROGRAMS
                .iter()
                .find(|(program, _)| program == name)
                .map(|(_, package)| *package)
                .ok_or_else(|| format!("unknown contract `{name}`"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // One crate at a time: built together, the crates would share the union
    // of their dependencies' features, which grows every program.
    for package in &packages {
        let status = Command::new(&cargo)
            .current_dir(root())
            .env("CARGO_TARGET_DIR", target)
            .envs(env.iter().copied())
            .args(["build", "-p", package, "--lib", "--release"])
            .args([
                "--target",
                "wasm32-unknown-unknown",
                "-Zbuild-std=std,panic_abort",
            ])
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build of `{package}` failed"));
        }
    }
    Ok(packages)
}

/// The wasm file cargo writes for `package` under `target`.
fn wasm_file(target: &Path, package: &str) -> PathBuf {
    let file = package.replace('-', "_") + ".wasm";
    target.join("wasm32-unknown-unknown/release").join(file)
}

/// `cargo xtask sizes`: where each program's code goes.
fn sizes(contracts: &[String]) -> Result<(), String> {
    // `--compress-relocations` refuses debug information, so the names are
    // kept by stripping only that.
    let target = target_dir().join("sizes");
    let packages = compile(
        contracts,
        &target,
        &[("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")],
    )?;
    for (name, package) in contracts.iter().zip(&packages) {
        let path = wasm_file(&target, package);
        let raw = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let wasm =
            optimize(&raw, &target.join("wasm-opt"), true).map_err(|e| format!("{name}: {e}"))?;
        let sizes = serving_scripts::sizes::Sizes::of(&wasm).map_err(|e| format!("{name}: {e}"))?;
        println!("{name} ({package}): {}", sizes.report(SIZES_TOP));
    }
    Ok(())
}

fn build(contracts: &[String]) -> Result<(), String> {
    let target = target_dir();
    let out_dir = target.join("stylus");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let packages = compile(contracts, &target, &[])?;

    let mut rows = Vec::new();
    let mut hashes = Vec::new();
    for (name, package) in contracts.iter().zip(&packages) {
        let wasm_path = wasm_file(&target, package);
        let raw = std::fs::read(&wasm_path).map_err(|e| format!("{}: {e}", wasm_path.display()))?;
        let optimized =
            optimize(&raw, &target.join("wasm-opt"), false).map_err(|e| format!("{name}: {e}"))?;
        let a = Artifacts::from_wasm(&optimized).map_err(|e| format!("{name}: {e}"))?;
        // The deployment data must give back exactly the wasm built.
        if decode_initcode(&a.initcode).as_deref() != Some(a.wasm.as_slice()) {
            return Err(format!(
                "{name}: init code does not decode back to the wasm"
            ));
        }
        for (ext, bytes) in [
            ("wasm", &a.wasm),
            ("code", &a.code),
            ("initcode", &a.initcode),
        ] {
            let p = out_dir.join(format!("{name}.{ext}"));
            std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        rows.push((name.clone(), a.wasm.len(), a.code.len(), a.fits()));
        hashes.push((name.clone(), a.initcode.len(), code_hash(&a.code)));
    }

    println!(
        "{:<24} {:>10} {:>10} {:>16}  status (code budget {CODE_BUDGET_BYTES})",
        "contract", "wasm", "code", "limit code/wasm"
    );
    for (name, wasm, code, ok) in &rows {
        let status = match (ok, *code <= CODE_BUDGET_BYTES) {
            (false, _) => "FAIL".into(),
            (true, true) => format!("ok, {} below budget", CODE_BUDGET_BYTES - code),
            (true, false) => format!("FAIL: {} over budget", code - CODE_BUDGET_BYTES),
        };
        println!(
            "{name:<24} {wasm:>10} {code:>10} {:>16}  {status}",
            format!("{MAX_CODE_BYTES}/{MAX_WASM_BYTES}"),
        );
    }
    println!("{:<24} {:>10}  code hash", "deployment data", "bytes");
    for (name, len, hash) in &hashes {
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        println!("{name:<24} {len:>10}  0x{hex}");
    }
    println!("artifacts in {}", out_dir.display());
    let failed: Vec<_> = rows.iter().filter(|r| !r.3).map(|r| r.0.as_str()).collect();
    let over_budget: Vec<_> = (rows.iter())
        .filter(|r| r.2 > CODE_BUDGET_BYTES)
        .map(|r| r.0.as_str())
        .collect();
    if !failed.is_empty() {
        Err(format!("over the size limit: {}", failed.join(", ")))
    } else if !over_budget.is_empty() {
        Err(format!(
            "over the budget of {CODE_BUDGET_BYTES} bytes of stored code (docs/build.md): {}",
            over_budget.join(", ")
        ))
    } else {
        Ok(())
    }
}

fn check_abi(crates: &[String], check_only: bool) -> Result<(), String> {
    let root = root();
    let spec_path = root.join(ABI_SPEC);
    let md =
        std::fs::read_to_string(&spec_path).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let spec = Spec::parse(&md);
    let out_dir = target_dir().join("abi");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let abi_dir = root.join(ABI_DIR);
    if !check_only {
        std::fs::create_dir_all(&abi_dir).map_err(|e| format!("{}: {e}", abi_dir.display()))?;
    }
    let mut stale = Vec::new();

    // The spec's own errors (a selector that is not the hash of its signature).
    let mut mismatches = spec.errors.clone();
    for krate in crates {
        let (_, contract) = ABI_CONTRACTS
            .iter()
            .find(|(c, _)| c == krate)
            .ok_or_else(|| format!("unknown contract crate `{krate}`"))?;
        let out = Command::new(&cargo)
            .current_dir(root)
            .args(["run", "-q", "-p", krate, "--features", "export-abi"])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!("the export-abi run of `{krate}` failed"));
        }
        let sol = String::from_utf8(out.stdout)
            .map_err(|_| format!("the export of `{krate}` is not UTF-8"))?;
        let path = out_dir.join(format!("{contract}.sol"));
        std::fs::write(&path, &sol).map_err(|e| format!("{}: {e}", path.display()))?;
        let items = abi::parse_items(&sol).map_err(|e| format!("{}: {e}", path.display()))?;
        let exported = abi::functions(&items);
        let report = abi::check(&spec, contract, &exported);

        println!(
            "{contract} ({krate}, {}): {} of {} public functions of the spec match, {} extra",
            path.display(),
            report.matched.len(),
            report.expected,
            report.extras.len()
        );
        for f in &report.matched {
            let outs = f
                .outputs
                .as_deref()
                .map(|o| o.join(","))
                .unwrap_or_default();
            println!(
                "  ok     {}  {} {} ({outs})",
                abi::hex(f.selector),
                f.signature,
                f.mutability
            );
        }
        for (f, internal) in &report.extras {
            println!(
                "  extra  {}  {} {} ({}){}",
                abi::hex(f.selector()),
                f.signature(),
                f.mutability,
                f.outputs.join(","),
                if *internal {
                    "  [internal in the spec]"
                } else {
                    ""
                }
            );
        }
        mismatches.extend(report.mismatches);

        // The artifacts: abi/<Contract>.{json,sol}.
        let iface = format!("I{contract}");
        let decls = artifacts::decls(&items);
        let json_abi = artifacts::json_abi(&spec, contract, &iface, &decls)
            .map_err(|e| format!("{contract}: {e}"))?;
        let (json, sol_out) = artifacts::render(&json_abi, &iface)?;
        mismatches.extend(artifacts::validate(&spec, contract, &json));
        for (ext, text) in [("json", &json), ("sol", &sol_out)] {
            let file = abi_dir.join(format!("{contract}.{ext}"));
            let shown = format!("{ABI_DIR}/{contract}.{ext}");
            if check_only {
                match std::fs::read_to_string(&file) {
                    Ok(old) if old == *text => println!("  fresh  {shown}"),
                    Ok(_) => stale.push(format!("{shown} is stale")),
                    Err(_) => stale.push(format!("{shown} is missing")),
                }
            } else {
                std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
                println!("  wrote  {shown}");
            }
        }
    }
    for s in &stale {
        eprintln!("abi stale: {s} (run `cargo xtask abi` and commit {ABI_DIR}/)");
    }
    if mismatches.is_empty() {
        println!("abi: every public function of the spec is exported as specified");
        if stale.is_empty() {
            return Ok(());
        }
        return Err(format!("{} stale file(s) in {ABI_DIR}/", stale.len()));
    }
    for m in &mismatches {
        eprintln!("abi mismatch: {m}");
    }
    Err(format!(
        "{} ABI mismatch(es) with {ABI_SPEC}",
        mismatches.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::{parse, Cmd};

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_to_every_contract() {
        let all: Vec<_> = super::PROGRAMS.iter().map(|p| p.0.to_string()).collect();
        assert_eq!(parse(&args(&["build"])).unwrap(), Cmd::Build(all));
        let all: Vec<_> = super::ABI_CONTRACTS
            .iter()
            .map(|p| p.0.to_string())
            .collect();
        assert_eq!(
            parse(&args(&["abi"])).unwrap(),
            Cmd::Abi(all.clone(), false)
        );
        assert_eq!(
            parse(&args(&["abi", "--check"])).unwrap(),
            Cmd::Abi(all, true)
        );
        assert_eq!(parse(&args(&["gas-table"])).unwrap(), Cmd::GasTable(false));
        assert_eq!(
            parse(&args(&["gas-table", "--write"])).unwrap(),
            Cmd::GasTable(true)
        );
    }

    #[test]
    fn contracts_can_be_chosen() {
        let got = parse(&args(&["build", "--contract", "a", "--contract", "b"])).unwrap();
        assert_eq!(got, Cmd::Build(args(&["a", "b"])));
        let got = parse(&args(&["sizes", "--contract", "a"])).unwrap();
        assert_eq!(got, Cmd::Sizes(args(&["a"])));
        let got = parse(&args(&["abi", "--contract", "ledger-manager"])).unwrap();
        assert_eq!(got, Cmd::Abi(args(&["ledger-manager"]), false));
    }

    #[test]
    fn rejects_the_unknown() {
        for bad in [
            &[][..],
            &["size"],
            &["sizes", "--check"],
            &["build", "-x"],
            &["build", "--contract"],
            &["abi", "-x"],
            &["build", "--check"],
            &["gas-table", "--check"],
            &["gas-table", "--write", "--write"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
