//! Per-(user, provider) sub-accounts with their refund queue, shared by both
//! serving contracts.
//!
//! A sub-account's balance is an accounting entry backed by the ledger, which
//! holds every token. The balance, the pending refund, the provider's signer
//! and the nonce fit in two storage slots: the balance, the nonce and the
//! signer's id in one, which is all a settlement reads and writes per user,
//! and the signer's address and the pending refund in the other, which only
//! refunds and acknowledgements change (and which a settlement does not
//! read while no refund is live and the signer has an id).
//!
//! A signer's id is its 1-based position in a table of signers per
//! provider that the serving contract keeps (InferenceServing's
//! `tee_signers`): the records of a batch, one provider's and mostly signed
//! by one key, then read the signer once per batch instead of once per
//! record. An account with an id stores no address (so acknowledging a
//! signer the table knows writes one slot, not two); an id of 0 (no table,
//! as in FineTuningServing, or a table full at 65,535 signers) means the
//! signer is the address stored on the account.
//!
//! A signer change takes effect at once for new records, but the signer it
//! replaces stays valid for the lock time: records it signed still settle,
//! so a user cannot dodge fees by switching signers and retrieving the funds
//! (refunds unlock after the same lock time). While that grace runs, the
//! signer may only change back to the one it protects.
//!
//! Refunds form a queue of at most [`MAX_REFUNDS`] live entries in a ring of
//! fixed slots: requests are appended at the tail, unlock in request order
//! and are paid from the head, while fees and cancellations consume the
//! newest first. A refund's `index` is its slot in the ring. The live entries
//! always sum to `pending_refund`, and `pending_refund <= balance`.

use alloc::{vec, vec::Vec};

use alloy_primitives::{aliases::U96, Address, U16, U256, U32, U64, U8};
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageArray, StorageMap, StorageU16, StorageU32, StorageU64, StorageU8,
        StorageUint, StorageVec,
    },
};

use crate::{
    abi::{
        revert, AccountHasFunds, AccountNotExists, AmountTooLarge, BalanceUpdated, Refund,
        RefundRequested, SignerChangePending, TooManyRefunds,
    },
    address_set::AddressSet,
    host::log,
    pagination::page,
};

/// Live refunds an account may hold at once.
pub const MAX_REFUNDS: usize = 30;

type StorageU96 = StorageUint<96, 2>;

/// One slot of the refund ring.
#[storage]
pub struct RefundSlot {
    amount: StorageU96,
    created_at: StorageU64,
}

/// A sub-account as stored (multi-slot fields first: see the crate docs).
#[storage]
pub struct AccountRecord {
    refunds: StorageArray<RefundSlot, MAX_REFUNDS>,
    // Slot 0: everything a settlement writes.
    balance: StorageU96,
    nonce: StorageU96,
    /// 1-based position of the user in the provider's user list; 0 when the
    /// account does not exist.
    position: StorageU32,
    refund_head: StorageU8,
    refund_count: StorageU8,
    /// The signer's id in the provider's signer table; 0: read `signer`.
    signer_id: StorageU16,
    // Slot 1: what a settlement only reads, and what refunds change.
    signer: StorageAddress,
    pending_refund: StorageU96,
    // Slot 2: read by a settlement only for a record the signer did not sign.
    /// The signer before the last change, valid until `signer_changed_at`
    /// plus the lock time.
    previous_signer: StorageAddress,
    signer_changed_at: StorageU64,
}

/// What a view shows of an account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountView {
    /// The user; zero when the account does not exist.
    pub user: Address,
    /// The provider; zero when the account does not exist.
    pub provider: Address,
    /// The last settled nonce.
    pub nonce: U256,
    /// What the account holds, pending refunds included.
    pub balance: U256,
    /// What the user asked back and has not been paid yet.
    pub pending_refund: U256,
    /// The acknowledged signer when `signer_id` is 0 (zero: none).
    pub signer: Address,
    /// The acknowledged signer's id in the provider's signer table (0:
    /// none, `signer` holds it).
    pub signer_id: u16,
    /// The live refunds, oldest first.
    pub refunds: Vec<Refund>,
}

/// A provider's account as its list holds it: the user, and the account's
/// index in [`Accounts`]' list of every account.
#[storage]
pub struct ProviderEntry {
    user: StorageAddress,
    index: StorageU32,
}

/// An account as the list of every account holds it: the user, and the
/// provider's 1-based position in the set of providers (which never
/// shrinks, so positions are stable).
#[storage]
pub struct AccountKey {
    user: StorageAddress,
    provider: StorageU32,
}

/// Why a charge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeError {
    /// The record's nonce is not above the stored one.
    NonceUsed,
    /// The balance does not cover the fee.
    InsufficientBalance,
}

/// Why a settlement record was refused ([`Accounts::settle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user has no account with the provider.
    AccountNotExists,
    /// The account has no signer.
    NotAcknowledged,
    /// Its signer (or the one in grace) did not sign the record.
    InvalidSigner,
    /// The charge was refused.
    Charge(ChargeError),
}

/// One provider's signers, numbered from 1 in the order users first
/// acknowledged them (see the module docs).
#[storage]
pub struct SignerTable {
    ids: StorageMap<Address, StorageU16>,
    signers: StorageMap<U16, StorageAddress>,
    count: StorageU16,
}

impl SignerTable {
    /// The id of `signer`, which is added when new; 0 for zero, or when
    /// the table is full (the account then keeps only the address).
    pub fn id(&mut self, signer: Address) -> u16 {
        let id = self.ids.get(signer);
        if !id.is_zero() || signer.is_zero() || self.count.get() == U16::MAX {
            return id.to();
        }
        let id = self.count.get() + U16::from(1);
        self.count.set(id);
        self.ids.setter(signer).set(id);
        self.signers.setter(id).set(signer);
        id.to()
    }

    /// The signer of `id` (one read: no length to check).
    pub fn signer(&self, id: u16) -> Address {
        self.signers.get(U16::from(id))
    }
}

/// The sub-accounts of one serving contract.
#[storage]
pub struct Accounts {
    /// Every provider that ever had an account; never shrinks.
    providers: AddressSet,
    records: StorageMap<Address, StorageMap<Address, AccountRecord>>,
    /// The users of each provider, in opening order (with swap-removal).
    users_by_provider: StorageMap<Address, StorageVec<ProviderEntry>>,
    /// Every account, in opening order (with swap-removal): what
    /// `getAllAccounts` pages without walking the providers.
    all: StorageVec<AccountKey>,
}

fn narrow(value: U256) -> Option<U96> {
    U96::checked_from_limbs_slice(value.as_limbs())
}

fn to_u96(amount: U256) -> Result<U96, Vec<u8>> {
    narrow(amount).ok_or_else(|| revert(AmountTooLarge { amount }))
}

fn wide(value: U96) -> U256 {
    U256::from(value)
}

impl AccountRecord {
    fn exists(&self) -> bool {
        self.position.get() != U32::ZERO
    }

    /// When the previous signer stops being valid.
    fn grace_end(&self, lock_time: u64) -> u64 {
        self.signer_changed_at
            .get()
            .to::<u64>()
            .saturating_add(lock_time)
    }

    /// The acknowledged signer: the address stored with no id, else the
    /// table's signer of the id (see the module docs).
    fn acknowledged(&self, table: impl FnOnce(u16) -> Address) -> Address {
        match self.signer_id.get().to::<u16>() {
            0 => self.signer.get(),
            id => table(id),
        }
    }

    /// Whether records signed by `signer` settle at `now` (see
    /// [`Accounts::accepts`]); why not when they do not.
    fn verify(
        &self,
        signer: Address,
        now: u64,
        lock_time: u64,
        table: impl FnOnce(u16) -> Address,
    ) -> Result<(), Refusal> {
        let acknowledged = self.acknowledged(table);
        if !signer.is_zero()
            && (signer == acknowledged
                || (signer == self.previous_signer.get() && now < self.grace_end(lock_time)))
        {
            return Ok(());
        }
        Err(match acknowledged.is_zero() {
            true => Refusal::NotAcknowledged,
            false => Refusal::InvalidSigner,
        })
    }

    /// Charges a settled fee (see [`Accounts::charge`]).
    fn charge(&mut self, nonce: U256, fee: U256) -> Result<(), ChargeError> {
        let stored = wide(self.nonce.get());
        let nonce = narrow(nonce).ok_or(ChargeError::NonceUsed)?;
        if wide(nonce) <= stored {
            return Err(ChargeError::NonceUsed);
        }
        let balance = self.balance.get();
        let fee = match narrow(fee) {
            Some(fee) if fee <= balance => fee,
            _ => return Err(ChargeError::InsufficientBalance),
        };
        self.nonce.set(nonce);
        let free = balance - self.pending();
        if fee > free {
            self.consume_refunds(fee - free);
        }
        self.balance.set(balance - fee);
        Ok(())
    }

    /// The pending refund, without reading its slot when no refund is
    /// live (the live refunds sum to it).
    fn pending(&self) -> U96 {
        if self.refund_count.get().is_zero() {
            return U96::ZERO;
        }
        self.pending_refund.get()
    }

    fn slot(&self, offset: u8) -> usize {
        (self.refund_head.get().to::<usize>() + offset as usize) % MAX_REFUNDS
    }

    /// Takes `amount` out of the pending refunds, newest first. The caller
    /// guarantees `amount <= pending_refund`.
    fn consume_refunds(&mut self, mut amount: U96) {
        if amount.is_zero() {
            return;
        }
        let pending = self.pending_refund.get() - amount;
        self.pending_refund.set(pending);
        let mut count = self.refund_count.get().to::<u8>();
        while !amount.is_zero() && count > 0 {
            let slot = self.slot(count - 1);
            let mut refund = self.refunds.setter(slot).unwrap();
            let available = refund.amount.get();
            if available > amount {
                refund.amount.set(available - amount);
                break;
            }
            amount -= available;
            refund.amount.set(U96::ZERO);
            refund.created_at.set(U64::ZERO);
            count -= 1;
        }
        self.refund_count.set(U8::from(count));
    }

    /// Pays out the refunds unlocked at `now`, oldest first; returns the sum.
    fn process_unlocked(&mut self, now: u64, lock_time: u64) -> U96 {
        let mut paid = U96::ZERO;
        let mut head = self.refund_head.get().to::<usize>();
        let mut count = self.refund_count.get().to::<u8>();
        while count > 0 {
            let mut refund = self.refunds.setter(head).unwrap();
            if refund
                .created_at
                .get()
                .to::<u64>()
                .saturating_add(lock_time)
                > now
            {
                break;
            }
            paid += refund.amount.get();
            refund.amount.set(U96::ZERO);
            refund.created_at.set(U64::ZERO);
            head = (head + 1) % MAX_REFUNDS;
            count -= 1;
        }
        if !paid.is_zero() {
            let balance = self.balance.get() - paid;
            let pending = self.pending_refund.get() - paid;
            self.balance.set(balance);
            self.pending_refund.set(pending);
        }
        self.refund_head.set(U8::from(head));
        self.refund_count.set(U8::from(count));
        paid
    }

    fn refund_list(&self) -> Vec<Refund> {
        (0..self.refund_count.get().to::<u8>())
            .map(|offset| {
                let slot = self.slot(offset);
                let refund = self.refunds.get(slot).unwrap();
                Refund {
                    index: U256::from(slot),
                    amount: wide(refund.amount.get()),
                    createdAt: U256::from(refund.created_at.get()),
                    processed: false,
                }
            })
            .collect()
    }
}

impl Accounts {
    /// Emits `BalanceUpdated` with the account's balance and pending
    /// refund.
    pub fn emit_balance_of(&self, user: Address, provider: Address) {
        self.emit_balance(user, provider, &self.records.get(user).get(provider));
    }

    fn emit_balance(&self, user: Address, provider: Address, record: &AccountRecord) {
        log(
            self.host(),
            BalanceUpdated {
                user,
                provider,
                amount: wide(record.balance.get()),
                pendingRefund: wide(record.pending()),
            },
        );
    }

    /// Whether `user` has an account with `provider`.
    pub fn exists(&self, user: Address, provider: Address) -> bool {
        self.records.get(user).get(provider).exists()
    }

    /// Errors: `AccountNotExists` unless `user` has an account with
    /// `provider`.
    pub fn existing(&self, user: Address, provider: Address) -> Result<(), Vec<u8>> {
        if self.exists(user, provider) {
            Ok(())
        } else {
            Err(revert(AccountNotExists { user, provider }))
        }
    }

    /// Moves `amount` from the ledger into the account, opening it when it
    /// does not exist. Into an existing account, pending refunds are
    /// cancelled first (newest first): those funds are already in the
    /// account. Returns the amount taken from the ledger and whether the
    /// account was opened. Emits `BalanceUpdated`.
    pub fn fund(
        &mut self,
        user: Address,
        provider: Address,
        amount: U256,
    ) -> Result<(U256, bool), Vec<u8>> {
        let amount = to_u96(amount)?;
        let mut users = self.records.setter(user);
        let mut record = users.setter(provider);
        let created = !record.exists();
        let moved = if created {
            let (provider_position, _) = self.providers.insert(provider);
            let index = U32::from(self.all.len());
            let mut key = self.all.grow();
            key.user.set(user);
            key.provider.set(U32::from(provider_position));
            let mut list = self.users_by_provider.setter(provider);
            let mut entry = list.grow();
            entry.user.set(user);
            entry.index.set(index);
            record.position.set(U32::from(list.len()));
            amount
        } else {
            let cancelled = amount.min(record.pending());
            record.consume_refunds(cancelled);
            amount - cancelled
        };
        let balance = record.balance.get().checked_add(moved).ok_or_else(|| {
            revert(AmountTooLarge {
                amount: wide(moved),
            })
        })?;
        record.balance.set(balance);
        let record = self.records.get(user);
        self.emit_balance(user, provider, &record.get(provider));
        Ok((wide(moved), created))
    }

    /// Pays the refunds unlocked at `now`, queues the rest of the balance
    /// as a new refund (`RefundRequested`), and pays that too if it is
    /// already unlocked. Returns the amount paid back to the ledger.
    /// Errors: `AccountNotExists`, `TooManyRefunds`.
    pub fn retrieve(
        &mut self,
        user: Address,
        provider: Address,
        now: u64,
        lock_time: u64,
    ) -> Result<U256, Vec<u8>> {
        self.existing(user, provider)?;
        let mut users = self.records.setter(user);
        let mut record = users.setter(provider);
        let mut paid = record.process_unlocked(now, lock_time);
        let free = record.balance.get() - record.pending_refund.get();
        if !free.is_zero() {
            let count = record.refund_count.get().to::<u8>();
            if count as usize == MAX_REFUNDS {
                return Err(revert(TooManyRefunds { user, provider }));
            }
            let slot = record.slot(count);
            let mut refund = record.refunds.setter(slot).unwrap();
            refund.amount.set(free);
            refund.created_at.set(U64::from(now));
            record.refund_count.set(U8::from(count + 1));
            let pending = record.pending_refund.get() + free;
            record.pending_refund.set(pending);
            log(
                self.host(),
                RefundRequested {
                    user,
                    provider,
                    index: U256::from(slot),
                    timestamp: U256::from(now),
                },
            );
            let mut users = self.records.setter(user);
            paid += users.setter(provider).process_unlocked(now, lock_time);
        }
        self.emit_balance(user, provider, &self.records.get(user).get(provider));
        Ok(wide(paid))
    }

    /// [`Accounts::retrieve`] for each of `providers`; returns the total
    /// paid back to the ledger.
    pub fn retrieve_all(
        &mut self,
        user: Address,
        providers: Vec<Address>,
        now: u64,
        lock_time: u64,
    ) -> Result<U256, Vec<u8>> {
        let mut paid = U256::ZERO;
        for provider in providers {
            paid += self.retrieve(user, provider, now, lock_time)?;
        }
        Ok(paid)
    }

    /// The sum of the user's balances with `providers`.
    pub fn balance_of(&self, user: Address, providers: Vec<Address>) -> U256 {
        providers
            .into_iter()
            .map(|provider| self.balance(user, provider))
            .sum()
    }

    /// Deletes an empty account. Errors: `AccountNotExists`,
    /// `AccountHasFunds`.
    pub fn delete(&mut self, user: Address, provider: Address) -> Result<(), Vec<u8>> {
        self.existing(user, provider)?;
        let mut users = self.records.setter(user);
        let mut record = users.setter(provider);
        let balance = record.balance.get();
        if !balance.is_zero() {
            return Err(revert(AccountHasFunds {
                user,
                provider,
                balance: wide(balance),
            }));
        }
        // An empty account has no live refund (they sum to at most the
        // balance), so only the two header slots hold data.
        let position = record.position.get().to::<usize>();
        record.position.set(U32::ZERO);
        record.refund_head.set(U8::ZERO);
        record.refund_count.set(U8::ZERO);
        // The nonce stays: records signed for the old account must not
        // settle again if the account is opened anew. So does a previous
        // signer's grace: records it signed are still owed.
        record.signer.set(Address::ZERO);
        record.signer_id.set(U16::ZERO);
        let mut list = self.users_by_provider.setter(provider);
        let index = list.getter(position - 1).unwrap().index.get();
        // A shrunk entry is left as it was: the next one pushed there
        // overwrites both fields.
        let last = list.shrink().unwrap();
        let (moved, moved_index) = (last.user.get(), last.index.get());
        if position <= list.len() {
            let mut entry = list.setter(position - 1).unwrap();
            entry.user.set(moved);
            entry.index.set(moved_index);
            self.records
                .setter(moved)
                .setter(provider)
                .position
                .set(U32::from(position));
        }
        let last = self.all.shrink().unwrap();
        let (moved, moved_provider) = (last.user.get(), last.provider.get());
        if index.to::<usize>() < self.all.len() {
            let mut key = self.all.setter(index).unwrap();
            key.user.set(moved);
            key.provider.set(moved_provider);
            let provider = self.providers.at(moved_provider.to::<usize>() - 1);
            let position = self.records.get(moved).get(provider).position.get();
            self.users_by_provider
                .setter(provider)
                .setter(position.to::<usize>() - 1)
                .unwrap()
                .index
                .set(index);
        }
        Ok(())
    }

    /// Whether records signed by `signer` settle on the account at `now`:
    /// `signer` is the acknowledged one, or the one it replaced less than
    /// `lock_time` ago. Never for zero. `table` gives the signer of an id
    /// in the provider's signer table (see the module docs).
    pub fn accepts(
        &self,
        user: Address,
        provider: Address,
        signer: Address,
        now: u64,
        lock_time: u64,
        table: impl FnOnce(u16) -> Address,
    ) -> bool {
        let users = self.records.get(user);
        users
            .get(provider)
            .verify(signer, now, lock_time, table)
            .is_ok()
    }

    /// Settles one record on the account at `now`: the account exists,
    /// `signer` (recovered only then) is accepted ([`Accounts::accepts`],
    /// with `table`) and the charge of `fee` at `nonce` goes through
    /// ([`Accounts::charge`]), checked in that order on one lookup of the
    /// account. Changes nothing on error.
    #[allow(clippy::too_many_arguments)]
    pub fn settle(
        &mut self,
        user: Address,
        provider: Address,
        signer: impl FnOnce() -> Address,
        nonce: U256,
        fee: U256,
        now: u64,
        lock_time: u64,
        table: impl FnOnce(u16) -> Address,
    ) -> Result<(), Refusal> {
        let mut users = self.records.setter(user);
        let mut record = users.setter(provider);
        if !record.exists() {
            return Err(Refusal::AccountNotExists);
        }
        record.verify(signer(), now, lock_time, table)?;
        record.charge(nonce, fee).map_err(Refusal::Charge)
    }

    /// Records the signer the user acknowledges (zero: none) at `now`: its
    /// id in the provider's signer `table` (none: FineTuningServing), or
    /// the address when it has no id (see the module docs). The signer it
    /// replaces stays valid for the lock time, which `lock_time` reads only
    /// then. Errors: `AccountNotExists`; `SignerChangePending` when the
    /// change would end the grace of an earlier signer.
    pub fn set_signer(
        &mut self,
        user: Address,
        provider: Address,
        signer: Address,
        now: u64,
        lock_time: impl FnOnce() -> u64,
        table: Option<&mut SignerTable>,
    ) -> Result<(), Vec<u8>> {
        self.existing(user, provider)?;
        let mut users = self.records.setter(user);
        let mut record = users.setter(provider);
        let stored = record.signer_id.get();
        let current =
            record.acknowledged(|id| table.as_ref().map_or(Address::ZERO, |t| t.signer(id)));
        if current == signer {
            return Ok(());
        }
        if !current.is_zero() {
            let until = record.grace_end(lock_time());
            let previous = record.previous_signer.get();
            // The change would replace a previous signer still in grace.
            let replaced = !previous.is_zero() && previous != current && previous != signer;
            if replaced && now < until {
                return Err(revert(SignerChangePending {
                    user,
                    provider,
                    until: U256::from(until),
                }));
            }
            record.previous_signer.set(current);
            record.signer_changed_at.set(U64::from(now));
        }
        let id = table.map_or(0, |table| table.id(signer));
        // With an id the address stays zero, and its slot unwritten when
        // it already is.
        if id == 0 || stored.is_zero() {
            record
                .signer
                .set(if id == 0 { signer } else { Address::ZERO });
        }
        record.signer_id.set(U16::from(id));
        Ok(())
    }

    /// The account's balance, zero when it does not exist.
    pub fn balance(&self, user: Address, provider: Address) -> U256 {
        wide(self.records.get(user).get(provider).balance.get())
    }

    /// The last settled nonce (kept when the account is deleted).
    pub fn nonce(&self, user: Address, provider: Address) -> U256 {
        wide(self.records.get(user).get(provider).nonce.get())
    }

    /// The account's pending refund, zero when it does not exist.
    pub fn pending_refund(&self, user: Address, provider: Address) -> U256 {
        wide(self.records.get(user).get(provider).pending_refund.get())
    }

    /// Charges a settled fee: checks that `nonce` is above the stored one
    /// and that the balance covers `fee`, then stores the nonce and takes
    /// the fee from the balance not under refund first, then from pending
    /// refunds, newest first. Changes nothing on error.
    pub fn charge(
        &mut self,
        user: Address,
        provider: Address,
        nonce: U256,
        fee: U256,
    ) -> Result<(), ChargeError> {
        let mut users = self.records.setter(user);
        users.setter(provider).charge(nonce, fee)
    }

    /// The account as views show it; an empty view when it does not exist.
    pub fn view(&self, user: Address, provider: Address) -> AccountView {
        let users = self.records.get(user);
        let record = users.get(provider);
        if !record.exists() {
            return AccountView::default();
        }
        AccountView {
            user,
            provider,
            nonce: wide(record.nonce.get()),
            balance: wide(record.balance.get()),
            pending_refund: wide(record.pending_refund.get()),
            signer: record.signer.get(),
            signer_id: record.signer_id.get().to(),
            refunds: record.refund_list(),
        }
    }

    fn count_by_provider(&self, provider: Address) -> usize {
        self.users_by_provider.get(provider).len()
    }

    fn user_at(&self, provider: Address, index: usize) -> Address {
        let list = self.users_by_provider.get(provider);
        list.getter(index)
            .map(|entry| entry.user.get())
            .unwrap_or_default()
    }

    /// The `(user, provider)` pairs of the page `(offset, limit)` of every
    /// account (in opening order, the last one opened taking a deleted
    /// one's place), and the number of accounts: two reads per account,
    /// whatever the number of providers. Errors: `InvalidLimit`.
    pub fn page_all(&self, offset: U256, limit: U256) -> Result<Page, Vec<u8>> {
        let total = self.all.len();
        let pairs = page(total, offset, limit)?
            .map(|i| {
                let key = self.all.getter(i).unwrap();
                let provider = self.providers.at(key.provider.get().to::<usize>() - 1);
                (key.user.get(), provider)
            })
            .collect();
        Ok((pairs, total))
    }

    /// The pairs of the page `(offset, limit)` of `provider`'s accounts, and
    /// their number. Errors: `InvalidLimit`.
    pub fn page_by_provider(
        &self,
        provider: Address,
        offset: U256,
        limit: U256,
    ) -> Result<Page, Vec<u8>> {
        let total = self.count_by_provider(provider);
        let pairs = page(total, offset, limit)?
            .map(|i| (self.user_at(provider, i), provider))
            .collect();
        Ok((pairs, total))
    }
}

/// `(user, provider)` pairs of a page, and the number of items paged.
pub type Page = (Vec<(Address, Address)>, usize);

/// The pairs of the page `(offset, limit)` of `user`'s accounts with
/// `providers` (the ledger's list), and their number. Errors: `InvalidLimit`.
pub fn page_by_user(
    user: Address,
    providers: &[Address],
    offset: U256,
    limit: U256,
) -> Result<Page, Vec<u8>> {
    let pairs = page(providers.len(), offset, limit)?
        .map(|i| (user, providers[i]))
        .collect();
    Ok((pairs, providers.len()))
}

#[cfg(test)]
mod tests {
    use motsu::prelude::*;

    use super::*;

    /// A serving contract's accounts and one provider's signer table.
    #[storage]
    struct Serving {
        accounts: Accounts,
        table: SignerTable,
    }

    unsafe impl TopLevelStorage for Serving {}

    #[public]
    impl Serving {}

    #[motsu::test]
    fn signers_are_numbered_from_1_once_each(contract: Contract<Serving>, alice: Address) {
        let mut serving = contract.sender(alice);
        let (first, second) = (Address::repeat_byte(1), Address::repeat_byte(2));
        assert_eq!(serving.table.id(Address::ZERO), 0);
        assert_eq!(serving.table.id(first), 1);
        assert_eq!(serving.table.id(second), 2);
        assert_eq!(serving.table.id(first), 1);
        assert_eq!(serving.table.count.get(), U16::from(2));
        assert_eq!(
            [0, 1, 2, 3].map(|id| serving.table.signer(id)),
            [Address::ZERO, first, second, Address::ZERO]
        );
    }

    /// A full table gives new signers no id: their accounts keep the
    /// address, and settle without reading the table.
    #[motsu::test]
    fn a_full_table_falls_back_to_the_address(contract: Contract<Serving>, alice: Address) {
        let mut serving = contract.sender(alice);
        let (provider, signer) = (Address::repeat_byte(7), Address::repeat_byte(8));
        serving.table.count.set(U16::MAX);
        assert_eq!(serving.table.id(signer), 0);
        assert_eq!(serving.table.signer(u16::MAX), Address::ZERO);

        let Serving {
            accounts, table, ..
        } = &mut *serving;
        accounts.fund(alice, provider, U256::from(10)).unwrap();
        accounts
            .set_signer(alice, provider, signer, 0, || 0, Some(table))
            .unwrap();
        let no_table = |_| -> Address { unreachable!("the account has no id") };
        let settle = |accounts: &mut Accounts, signer: Address, nonce: u64| {
            accounts.settle(
                alice,
                provider,
                || signer,
                U256::from(nonce),
                U256::from(4),
                0,
                0,
                no_table,
            )
        };
        assert_eq!(settle(accounts, provider, 1), Err(Refusal::InvalidSigner));
        assert_eq!(settle(accounts, signer, 1), Ok(()));
        assert_eq!(
            settle(accounts, signer, 1),
            Err(Refusal::Charge(ChargeError::NonceUsed))
        );
        assert_eq!(accounts.balance(alice, provider), U256::from(6));
    }

    /// An account stores its signer's id when the table gives one, and the
    /// address only when it does not; the signer a change replaces stays
    /// valid for the lock time either way.
    #[motsu::test]
    fn an_account_stores_the_id_or_else_the_address(contract: Contract<Serving>, alice: Address) {
        let mut serving = contract.sender(alice);
        let provider = Address::repeat_byte(7);
        let (known, unknown) = (Address::repeat_byte(8), Address::repeat_byte(9));
        let Serving {
            accounts, table, ..
        } = &mut *serving;
        accounts.fund(alice, provider, U256::from(10)).unwrap();
        let stored = |accounts: &Accounts| {
            let view = accounts.view(alice, provider);
            (view.signer, view.signer_id)
        };
        let accepts = |accounts: &Accounts, table: &SignerTable, signer: Address| {
            accounts.accepts(alice, provider, signer, 0, 1, |id| table.signer(id))
        };
        accounts
            .set_signer(alice, provider, known, 0, || 0, Some(table))
            .unwrap();
        assert_eq!(stored(accounts), (Address::ZERO, 1));
        assert!(accepts(accounts, table, known));
        // The table is full: a new signer gets no id, and the account its
        // address; the one it replaces (by id) stays valid for the lock time.
        table.count.set(U16::MAX);
        accounts
            .set_signer(alice, provider, unknown, 0, || 0, Some(table))
            .unwrap();
        assert_eq!(stored(accounts), (unknown, 0));
        assert!(accepts(accounts, table, unknown) && accepts(accounts, table, known));
        // Back to the signer with an id: the address is cleared.
        accounts
            .set_signer(alice, provider, known, 0, || 0, Some(table))
            .unwrap();
        assert_eq!(stored(accounts), (Address::ZERO, 1));
        // Revoked: neither.
        accounts
            .set_signer(alice, provider, Address::ZERO, 0, || 0, Some(table))
            .unwrap();
        assert_eq!(stored(accounts), (Address::ZERO, 0));
        assert!(!accepts(accounts, table, Address::ZERO));
    }

    /// Settling checks the account, then the signer (recovered only for
    /// an account), then the charge; a refusal changes nothing.
    #[motsu::test]
    fn settle_refuses_in_order_and_changes_nothing(contract: Contract<Serving>, alice: Address) {
        let mut serving = contract.sender(alice);
        let (provider, signer) = (Address::repeat_byte(7), Address::repeat_byte(8));
        let Serving {
            accounts, table, ..
        } = &mut *serving;
        let settle = |accounts: &mut Accounts, table: &SignerTable, fee: u64| {
            accounts.settle(
                alice,
                provider,
                || signer,
                U256::from(1),
                U256::from(fee),
                0,
                0,
                |id| table.signer(id),
            )
        };
        let never = || -> Address { unreachable!("no account: nothing to recover") };
        assert_eq!(
            accounts.settle(
                alice,
                provider,
                never,
                U256::from(1),
                U256::ZERO,
                0,
                0,
                |_| { Address::ZERO }
            ),
            Err(Refusal::AccountNotExists)
        );
        accounts.fund(alice, provider, U256::from(10)).unwrap();
        assert_eq!(settle(accounts, table, 1), Err(Refusal::NotAcknowledged));
        accounts
            .set_signer(alice, provider, signer, 0, || 0, Some(table))
            .unwrap();
        assert_eq!(
            settle(accounts, table, 11),
            Err(Refusal::Charge(ChargeError::InsufficientBalance))
        );
        assert_eq!(
            (
                accounts.balance(alice, provider),
                accounts.nonce(alice, provider)
            ),
            (U256::from(10), U256::ZERO)
        );
        assert_eq!(settle(accounts, table, 10), Ok(()));
        assert_eq!(accounts.balance(alice, provider), U256::ZERO);
    }
}
