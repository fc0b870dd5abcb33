//! The build and ABI commands (`cargo xtask build`, `cargo xtask abi`) and
//! the bytecode the deployment sends: [`wasm`] turns the wasm rustc writes
//! into the code a Stylus chain stores; [`evm`] is every piece of EVM code
//! the project writes (the init code of a program, the one-shot deployer,
//! the beacon proxy); [`abi`] checks the exported interfaces against the
//! spec and writes the ABI artifacts; [`sizes`] tells where a program's
//! bytes go; [`gas`] makes the gas table of the docs from the gas
//! benchmark's report. `src/main.rs` (the `xtask` binary)
//! runs cargo and the files.

pub mod abi;
pub mod evm;
pub mod gas;
pub mod sizes;
pub mod wasm;

pub use wasm::{
    code_hash, compress, decode_initcode, initcode, strip, Artifacts, Error, BROTLI_QUALITY,
    BROTLI_WINDOW, CODE_BUDGET_BYTES, CODE_PREFIX, MAX_CODE_BYTES, MAX_WASM_BYTES,
};
