//! Small storage helpers.

use alloc::string::String;

use stylus_sdk::storage::StorageBytes;

/// Reads a string stored from an ABI `string` argument. The bytes were
/// valid UTF-8 when written, so they are not validated again.
pub fn read_string(bytes: &StorageBytes) -> String {
    // SAFETY: only `write_string` writes these bytes, from a `&str`.
    unsafe { String::from_utf8_unchecked(bytes.get_bytes()) }
}

/// Stores a string.
pub fn write_string(bytes: &mut StorageBytes, value: &str) {
    bytes.set_bytes(value.as_bytes());
}
