//! The host as the contracts call it: `host()`, which the patched
//! `#[storage]` gives every storage struct (vendor/README.md), instead of
//! the SDK's `vm()`. In wasm `host()` is the VM itself, so a call through
//! it is a direct call; `vm()` returns a `&dyn Host`, and one such value
//! anywhere keeps the trait's vtables (about 1 KB of data segments, which
//! Stylus charges 0.75 gas a byte at every entry into the program) and
//! every hostio they name in the program. Natively (motsu, the export
//! binaries) `host()` is a `&dyn Host`; the helpers here take either.

use alloc::vec::Vec;

use alloy_primitives::B256;
use alloy_sol_types::{abi::token::WordToken, SolEvent, TopicList};
use stylus_sdk::stylus_core::LogAccess;

/// Emits `event` (`stylus_core::log` without the `&dyn Host`).
pub fn log<T: SolEvent>(vm: &(impl LogAccess + ?Sized), event: T) {
    let mut topics = [WordToken::default(); 4];
    // Fails only when the array is shorter than the event's topics.
    event
        .encode_topics_raw(&mut topics)
        .unwrap_or_else(|_| unreachable!());
    let count = T::TopicList::COUNT;
    let mut bytes = Vec::with_capacity(32 * count);
    for topic in &topics[..count] {
        bytes.extend_from_slice(topic.as_slice());
    }
    event.encode_data_to(&mut bytes);
    vm.emit_log(&bytes, count);
}

/// Emits a log with `topics` (the event's signature hash first) and `data`
/// already encoded: for an event whose data alloy's encoder would bring
/// into a program that otherwise does without it.
pub fn log_encoded(vm: &(impl LogAccess + ?Sized), topics: &[B256], data: &[u8]) {
    let bytes = [topics.concat().as_slice(), data].concat();
    vm.emit_log(&bytes, topics.len());
}
