//! A compact string store: the first 28 bytes share one slot with the
//! length, the rest sits in 32-byte words. A short string (most URLs, model
//! names, infos) costs one slot.
//!
//! The SDK's `StorageBytes` keeps Solidity's packed layout, whose length
//! arithmetic pulls 256-bit division into every contract that stores a
//! string; this layout needs none.

use alloc::{string::String, vec::Vec};

use alloy_primitives::{FixedBytes, B256, U32};
use stylus_sdk::{
    prelude::*,
    storage::{StorageB256, StorageFixedBytes, StorageMap, StorageU32},
};

/// Bytes kept beside the length.
const HEAD: usize = 28;

/// A stored UTF-8 string.
#[storage]
pub struct StoredString {
    tail: StorageMap<U32, StorageB256>,
    head: StorageFixedBytes<HEAD>,
    len: StorageU32,
}

fn tail_words(len: usize) -> usize {
    len.saturating_sub(HEAD).div_ceil(32)
}

impl StoredString {
    /// The string. Only [`StoredString::set`] writes it, from a `&str`, so
    /// the bytes are not validated again.
    pub fn get(&self) -> String {
        let len = self.len.get().to::<usize>();
        let mut bytes = Vec::with_capacity(HEAD + 32 * tail_words(len));
        bytes.extend_from_slice(self.head.get().as_slice());
        for i in 0..tail_words(len) {
            bytes.extend_from_slice(self.tail.get(U32::from(i)).as_slice());
        }
        bytes.truncate(len);
        // SAFETY: the bytes were a `&str` when written.
        unsafe { String::from_utf8_unchecked(bytes) }
    }

    /// Stores `value`, clearing words a longer old value left behind.
    pub fn set(&mut self, value: &str) {
        let bytes = value.as_bytes();
        let old = tail_words(self.len.get().to::<usize>());
        let split = bytes.len().min(HEAD);
        let mut head = FixedBytes::<HEAD>::ZERO;
        head[..split].copy_from_slice(&bytes[..split]);
        self.head.set(head);
        let mut count = 0;
        for chunk in bytes[split..].chunks(32) {
            let mut word = B256::ZERO;
            word[..chunk.len()].copy_from_slice(chunk);
            self.tail.setter(U32::from(count)).set(word);
            count += 1;
        }
        for i in count..old {
            self.tail.delete(U32::from(i));
        }
        self.len.set(U32::from(bytes.len()));
    }

    /// Clears the string.
    pub fn clear(&mut self) {
        self.set("");
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Address;
    use motsu::prelude::*;

    use super::*;

    #[storage]
    struct Strings {
        value: StoredString,
    }

    unsafe impl TopLevelStorage for Strings {}

    #[public]
    impl Strings {}

    #[motsu::test]
    fn round_trips_short_long_and_shrinking_values(contract: Contract<Strings>, alice: Address) {
        let mut strings = contract.sender(alice);
        for value in [
            "",
            "short",
            &"x".repeat(28),
            &"é".repeat(40),
            &"long ".repeat(30),
            "again",
        ] {
            strings.value.set(value);
            assert_eq!(strings.value.get(), value);
        }
        strings.value.clear();
        assert_eq!(strings.value.get(), "");
    }
}
