//! Return data (and event data) encoded by hand, for a program whose
//! returns hold `bytes` and arrays of dynamic tuples: alloy's generic
//! encoders of such types add their code to the program (written by hand,
//! FineTuningServing's returns took 1.3 KB of stored code out of its views
//! program; docs/build.md). The layout is the ABI's: a tuple's head holds
//! its static members and the offsets of its dynamic ones, counted from the
//! tuple's start, and the dynamic members' encodings follow, in order.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};

/// A tuple being encoded: its head words are written in order, each
/// dynamic member's encoding appended as its offset is written.
#[derive(Debug)]
pub struct Tuple {
    data: Vec<u8>,
    next: usize,
}

impl Tuple {
    /// A tuple whose head is `words` words (every member one word: a static
    /// value or a dynamic one's offset).
    pub fn new(words: usize) -> Self {
        Tuple {
            data: vec![0; words * 32],
            next: 0,
        }
    }

    /// The next head word.
    pub fn word(&mut self, word: [u8; 32]) -> &mut Self {
        self.data[self.next..self.next + 32].copy_from_slice(&word);
        self.next += 32;
        self
    }

    /// A `uint256`.
    pub fn number(&mut self, number: U256) -> &mut Self {
        self.word(number.to_be_bytes())
    }

    /// An `address`.
    pub fn address(&mut self, address: Address) -> &mut Self {
        self.word(address.into_word().0)
    }

    /// A `bool`.
    pub fn boolean(&mut self, value: bool) -> &mut Self {
        self.number(U256::from(value as u8))
    }

    /// A dynamic member already encoded (a tuple, an array): its offset,
    /// then it.
    pub fn encoded(&mut self, encoding: &[u8]) -> &mut Self {
        self.number(U256::from(self.data.len()));
        self.data.extend_from_slice(encoding);
        self
    }

    /// A `bytes` or a `string`: its offset, then it (see [`bytes`]).
    pub fn bytes(&mut self, data: &[u8]) -> &mut Self {
        self.encoded(&bytes(data))
    }

    /// The encoding.
    pub fn finish(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.data)
    }
}

/// The encoding of a `uint256` (of a function's return, or a length).
pub fn word(number: U256) -> Vec<u8> {
    number.to_be_bytes::<32>().to_vec()
}

/// The encoding of a `bytes` or a `string`: its length, then its contents
/// padded to whole words.
pub fn bytes(data: &[u8]) -> Vec<u8> {
    let mut encoding = word(U256::from(data.len()));
    encoding.extend_from_slice(data);
    encoding.resize(encoding.len().next_multiple_of(32), 0);
    encoding
}

/// The encoding of an array of already encoded items: its length, then,
/// for dynamic items, their offsets (counted from the word after the
/// length) before the items, or, for static ones, the items alone.
pub fn array(items: &[Vec<u8>], dynamic: bool) -> Vec<u8> {
    let mut data = word(U256::from(items.len()));
    if dynamic {
        let mut tuple = Tuple::new(items.len());
        for item in items {
            tuple.encoded(item);
        }
        data.extend_from_slice(&tuple.finish());
    } else {
        data.extend(items.iter().flatten());
    }
    data
}

/// The return data of a function that returns one dynamic value (a tuple,
/// an array, `bytes`) already encoded.
pub fn single(encoding: &[u8]) -> Vec<u8> {
    Tuple::new(1).encoded(encoding).finish()
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolValue;

    use super::*;
    use crate::abi::{fine_tuning::Deliverable, Refund};

    fn deliverable(item: &Deliverable) -> Vec<u8> {
        Tuple::new(5)
            .bytes(item.id.as_bytes())
            .bytes(&item.modelRootHash)
            .bytes(&item.encryptedSecret)
            .boolean(item.acknowledged)
            .number(item.timestamp)
            .finish()
    }

    fn refund(item: &Refund) -> Vec<u8> {
        Tuple::new(4)
            .number(item.index)
            .number(item.amount)
            .number(item.createdAt)
            .boolean(item.processed)
            .finish()
    }

    #[test]
    fn tuples_and_arrays_are_encoded_as_alloy_encodes_them() {
        let items = [
            Deliverable::default(),
            Deliverable {
                id: "task-1".into(),
                modelRootHash: vec![7; 33].into(),
                encryptedSecret: vec![1; 64].into(),
                acknowledged: true,
                timestamp: U256::MAX,
            },
        ];
        for item in &items {
            assert_eq!(single(&deliverable(item)), item.abi_encode());
        }
        for count in 0..=items.len() {
            let list = items[..count].to_vec();
            let encoded: Vec<_> = list.iter().map(deliverable).collect();
            assert_eq!(single(&array(&encoded, true)), list.abi_encode());
        }
        let strings = ["", "a", &"b".repeat(70)];
        let encoded: Vec<_> = strings.iter().map(|s| bytes(s.as_bytes())).collect();
        assert_eq!(
            single(&array(&encoded, true)),
            strings.to_vec().abi_encode()
        );
        let refunds = vec![
            Refund {
                index: U256::from(3),
                amount: U256::from(10),
                createdAt: U256::from(99),
                processed: true,
            },
            Refund {
                index: U256::ZERO,
                amount: U256::from(1),
                createdAt: U256::ZERO,
                processed: false,
            },
        ];
        let encoded: Vec<_> = refunds.iter().map(refund).collect();
        assert_eq!(single(&array(&encoded, false)), refunds.abi_encode());
        let pair = Tuple::new(2)
            .address(Address::repeat_byte(1))
            .encoded(&array(&encoded, false))
            .finish();
        assert_eq!(pair, (Address::repeat_byte(1), refunds).abi_encode_params());
    }
}
