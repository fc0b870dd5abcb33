//! The build and ABI commands (`cargo xtask build`, `cargo xtask abi`):
//! [`wasm`] turns the wasm rustc writes into the code a Stylus chain stores
//! and the init code that deploys it; [`abi`] checks the exported
//! interfaces against the spec and writes the ABI artifacts. `main.rs` runs
//! cargo and the files.

pub mod abi;
pub mod wasm;

pub use wasm::{
    code_hash, compress, decode_initcode, initcode, strip, Artifacts, Error, BROTLI_QUALITY,
    BROTLI_WINDOW, CODE_PREFIX, MAX_CODE_BYTES, MAX_WASM_BYTES, PRELUDE_LEN,
};
