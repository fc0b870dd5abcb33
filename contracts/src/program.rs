//! The entrypoint of a program whose contract type lives in a library.
//!
//! A split contract (InferenceServing, FineTuningServing) is one storage
//! type served by two programs, main and views, each its own crate. The
//! SDK's `#[entrypoint]` attribute has to sit on the storage struct itself
//! and always exports `user_entrypoint`, so two programs cannot share a
//! struct that carries it. Instead the library defines, per program, the
//! router function `#[entrypoint]` would generate (a call of
//! `stylus_sdk::abi::router_entrypoint`, instantiated there so that the
//! router's generic code is compiled once, with the functions it calls),
//! and the program's crate exports it with [`program!`](crate::program).

/// Exports `user_entrypoint`, through which a Stylus chain calls the
/// program, handing every call to `$router`, a
/// `fn(Vec<u8>, stylus_sdk::host::VM) -> stylus_sdk::ArbResult` of the
/// contract's library: the code stylus-sdk 0.9's `#[entrypoint]` generates,
/// with its reentrancy refusal (this project never builds the SDK's
/// `reentrant` feature). Natively (tests, export-abi) it expands to
/// nothing.
#[macro_export]
macro_rules! program {
    ($router:expr) => {
        /// The program's entrypoint: reads the call, routes it, writes the
        /// result; non-zero status reverts.
        #[cfg(target_arch = "wasm32")]
        #[no_mangle]
        pub extern "C" fn user_entrypoint(len: usize) -> usize {
            use stylus_sdk::prelude::*;
            let host = stylus_sdk::host::VM(stylus_sdk::host::WasmVM {});
            if host.msg_reentrant() {
                return 1;
            }
            // Referenced so that activation can charge memory growth.
            host.pay_for_memory_grow(0);
            let input = host.read_args(len);
            let (data, status) = match ($router)(input, host.clone()) {
                Ok(data) => (data, 0),
                Err(data) => (data, 1),
            };
            host.flush_cache(false);
            host.write_result(&data);
            status
        }
    };
}
