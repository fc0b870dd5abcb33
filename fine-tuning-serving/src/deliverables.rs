//! The deliverables of one fine-tuning sub-account: at most
//! [`MAX_DELIVERABLES`], in a ring of fixed slots, the oldest evicted when a
//! new one arrives at a full ring, and an index from each live id (by its
//! keccak256) to its slot.
//!
//! The index always holds exactly the live deliverables: eviction and
//! [`Deliverables::clear`] remove their entries, so a lookup is one read and
//! needs no check. A slot keeps its lengths, timestamp and acknowledgement
//! in one header word and its bytes in words of its own (see `Words`), so
//! a settlement reads the header and the root hash's words and writes the
//! header and the secret's words, nothing else. Clearing an account reads
//! one word and deletes one index entry per deliverable, whatever their
//! sizes: the slots' contents are left behind unreachable and overwritten
//! when a slot is reused.

use alloc::vec::Vec;

use alloy_primitives::{keccak256, B256, U256, U8};
use serving_contracts::{
    abi::{fine_tuning::DeliverableExists, revert},
    returndata::Tuple,
};
use stylus_sdk::{
    prelude::*,
    storage::{StorageArray, StorageB256, StorageGuard, StorageGuardMut, StorageMap, StorageU8},
};

/// Deliverables an account keeps; adding one more evicts the oldest.
pub const MAX_DELIVERABLES: usize = 20;

/// The byte fields of a deliverable; each value is the position of the
/// field's 4-byte length in the slot's header word.
#[derive(Clone, Copy)]
enum Field {
    Id = 12,
    Root = 16,
    Secret = 20,
}

/// Position of the timestamp (8 bytes) in the header word.
const TIMESTAMP: usize = 0;
/// Position of the acknowledgement (1 byte) in the header word.
const ACKNOWLEDGED: usize = 8;

/// The bytes of a deliverable's fields are stored in 32-byte words, keyed by
/// the field (top 8 bits) and the word's index; the lengths are kept in the
/// slot's header and words past a length are never read. One map for the
/// three fields: each field of a storage struct adds to its constructor's
/// code.
type Words = StorageMap<u32, StorageB256>;

fn key(field: Field, index: usize) -> u32 {
    ((field as u32) << 24) | index as u32
}

fn field_len(header: &B256, field: Field) -> usize {
    let at = field as usize;
    let mut bytes = [0u8; 4];
    bytes.copy_from_slice(&header[at..at + 4]);
    u32::from_be_bytes(bytes) as usize
}

fn set_field_len(header: &mut B256, field: Field, len: usize) {
    let at = field as usize;
    header[at..at + 4].copy_from_slice(&(len as u32).to_be_bytes());
}

/// One slot of the ring.
#[storage]
pub struct DeliverableSlot {
    /// keccak256 of the id, to remove the index entry on eviction.
    id_hash: StorageB256,
    /// Timestamp, acknowledgement and the fields' lengths, packed by hand
    /// (see [`Field`], [`TIMESTAMP`], [`ACKNOWLEDGED`]): one field instead
    /// of five keeps the storage constructor small.
    header: StorageB256,
    words: Words,
}

impl DeliverableSlot {
    fn read(&self, header: &B256, field: Field) -> Vec<u8> {
        let len = field_len(header, field);
        let mut bytes = Vec::with_capacity(len.next_multiple_of(32));
        for i in 0..len.div_ceil(32) {
            bytes.extend_from_slice(self.words.get(key(field, i)).as_slice());
        }
        bytes.truncate(len);
        bytes
    }

    fn write(&mut self, header: &mut B256, field: Field, bytes: &[u8]) {
        for (i, chunk) in bytes.chunks(32).enumerate() {
            let mut word = B256::ZERO;
            word[..chunk.len()].copy_from_slice(chunk);
            self.words.insert(key(field, i), word);
        }
        set_field_len(header, field, bytes.len());
    }

    /// Whether the user acknowledged it.
    pub fn acknowledged(&self) -> bool {
        self.header.get()[ACKNOWLEDGED] != 0
    }

    /// Records the user's acknowledgement.
    pub fn acknowledge(&mut self) {
        let mut header = self.header.get();
        header[ACKNOWLEDGED] = 1;
        self.header.set(header);
    }

    /// Whether its model root hash is `root`.
    pub fn root_is(&self, root: &[u8]) -> bool {
        field_len(&self.header.get(), Field::Root) == root.len()
            && root
                .chunks(32)
                .enumerate()
                .all(|(i, chunk)| &self.words.get(key(Field::Root, i))[..chunk.len()] == chunk)
    }

    /// Stores the encrypted secret of a settlement.
    pub fn set_secret(&mut self, secret: &[u8]) {
        let mut header = self.header.get();
        self.write(&mut header, Field::Secret, secret);
        self.header.set(header);
    }

    /// Fills the slot with a new deliverable.
    fn fill(&mut self, hash: B256, id: &str, root: &[u8], now: u64) {
        let mut header = B256::ZERO;
        header[TIMESTAMP..TIMESTAMP + 8].copy_from_slice(&now.to_be_bytes());
        self.write(&mut header, Field::Id, id.as_bytes());
        self.write(&mut header, Field::Root, root);
        self.id_hash.set(hash);
        self.header.set(header);
    }

    /// Its ABI encoding, a `Deliverable` tuple (see `abi::fine_tuning`),
    /// written from storage by hand (`serving_contracts::returndata`).
    fn encode(&self) -> Vec<u8> {
        let header = self.header.get();
        let mut timestamp = [0u8; 8];
        timestamp.copy_from_slice(&header[TIMESTAMP..TIMESTAMP + 8]);
        Tuple::new(5)
            .bytes(&self.read(&header, Field::Id))
            .bytes(&self.read(&header, Field::Root))
            .bytes(&self.read(&header, Field::Secret))
            .boolean(header[ACKNOWLEDGED] != 0)
            .number(U256::from(u64::from_be_bytes(timestamp)))
            .finish()
    }
}

/// The deliverables of one account (multi-slot fields first: see the
/// storage layout rule of `serving_contracts`).
#[storage]
pub struct Deliverables {
    slots: StorageArray<DeliverableSlot, MAX_DELIVERABLES>,
    /// 1-based slot of each live deliverable, by keccak256 of its id.
    index: StorageMap<B256, StorageU8>,
    /// Slot of the oldest deliverable.
    head: StorageU8,
    count: StorageU8,
}

impl Deliverables {
    /// The slot holding the deliverable `id`, if it is live.
    pub fn find(&self, id: &str) -> Option<usize> {
        match self.index.get(keccak256(id)).to::<usize>() {
            0 => None,
            position => Some(position - 1),
        }
    }

    /// The slot `slot` (from [`Deliverables::find`]).
    pub fn slot(&self, slot: usize) -> StorageGuard<'_, DeliverableSlot> {
        self.slots.getter(slot).unwrap()
    }

    /// The slot `slot` (from [`Deliverables::find`]), to change it.
    pub fn slot_mut(&mut self, slot: usize) -> StorageGuardMut<'_, DeliverableSlot> {
        self.slots.setter(slot).unwrap()
    }

    /// Adds a deliverable, evicting the oldest when the ring is full.
    /// Errors: `DeliverableExists`.
    pub fn add(&mut self, id: &str, root: &[u8], now: u64) -> Result<(), Vec<u8>> {
        let hash = keccak256(id);
        if self.index.get(hash) != U8::ZERO {
            return Err(revert(DeliverableExists { id: id.into() }));
        }
        let mut head = self.head.get().to::<usize>();
        let mut count = self.count.get().to::<usize>();
        if count == MAX_DELIVERABLES {
            let oldest = self.slots.get(head).unwrap().id_hash.get();
            self.index.delete(oldest);
            head = (head + 1) % MAX_DELIVERABLES;
            count -= 1;
        }
        let position = (head + count) % MAX_DELIVERABLES;
        self.slots
            .setter(position)
            .unwrap()
            .fill(hash, id, root, now);
        self.index.insert(hash, U8::from(position + 1));
        self.head.set(U8::from(head));
        self.count.set(U8::from(count + 1));
        Ok(())
    }

    /// Removes every deliverable (the account is deleted).
    pub fn clear(&mut self) {
        let head = self.head.get().to::<usize>();
        for offset in 0..self.count.get().to::<usize>() {
            let slot = (head + offset) % MAX_DELIVERABLES;
            let hash = self.slots.get(slot).unwrap().id_hash.get();
            self.index.delete(hash);
        }
        self.head.set(U8::ZERO);
        self.count.set(U8::ZERO);
    }

    /// Slot of the oldest deliverable and the number of deliverables.
    pub fn head_and_count(&self) -> (usize, usize) {
        (
            self.head.get().to::<usize>(),
            self.count.get().to::<usize>(),
        )
    }

    /// The encoding of the deliverable `id` (a `Deliverable` tuple), if
    /// live.
    pub fn encoded(&self, id: &str) -> Option<Vec<u8>> {
        self.find(id).map(|slot| self.slot(slot).encode())
    }

    /// The encodings of every deliverable, oldest first.
    pub fn encoded_list(&self) -> Vec<Vec<u8>> {
        let (head, count) = self.head_and_count();
        (0..count)
            .map(|offset| self.slot((head + offset) % MAX_DELIVERABLES).encode())
            .collect()
    }
}
