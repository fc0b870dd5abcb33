//! A compact string store: the byte length and the bytes in 32-byte words.
//!
//! The SDK's `StorageBytes` keeps Solidity's packed layout, whose length
//! arithmetic pulls 256-bit division into every contract that stores a
//! string; this layout needs none.

use alloc::{string::String, vec::Vec};

use alloy_primitives::{B256, U32};
use stylus_sdk::{
    prelude::*,
    storage::{StorageB256, StorageU32, StorageVec},
};

/// A stored UTF-8 string.
#[storage]
pub struct StoredString {
    words: StorageVec<StorageB256>,
    len: StorageU32,
}

impl StoredString {
    /// The string. Only [`StoredString::set`] writes it, from a `&str`, so
    /// the bytes are not validated again.
    pub fn get(&self) -> String {
        let len = self.len.get().to::<usize>();
        let mut bytes = Vec::with_capacity(len.next_multiple_of(32));
        for i in 0..self.words.len() {
            bytes.extend_from_slice(self.words.get(i).unwrap_or_default().as_slice());
        }
        bytes.truncate(len);
        // SAFETY: the bytes were a `&str` when written.
        unsafe { String::from_utf8_unchecked(bytes) }
    }

    /// Stores `value`, clearing words a longer old value left behind.
    pub fn set(&mut self, value: &str) {
        let bytes = value.as_bytes();
        let old = self.words.len();
        let mut count = 0;
        for chunk in bytes.chunks(32) {
            let mut word = B256::ZERO;
            word[..chunk.len()].copy_from_slice(chunk);
            if count < old {
                self.words.setter(count).unwrap().set(word);
            } else {
                self.words.push(word);
            }
            count += 1;
        }
        for _ in count..old {
            self.words.erase_last();
        }
        self.len.set(U32::from(bytes.len()));
    }

    /// Clears the string.
    pub fn clear(&mut self) {
        self.set("");
    }
}
