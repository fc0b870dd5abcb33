//! When a provider serves and when it settles: the policy the broker runs
//! and the harness's simulated providers run too (`serving_harness::market`).
//!
//! Serving: a request is answered only while the user's sub-account covers
//! it, i.e. the fees billed but not yet settled plus this request's fee stay
//! within the balance that is not on its way out (balance minus pending
//! refunds, as last read from the chain; read again before refusing) and
//! not claimed by a record already signed and not yet settled (a batch in
//! flight).
//!
//! Settling: unsettled fees are a debt only the chain can collect, and a
//! user who asks for a refund starts a clock (the lock time) after which
//! the money is gone. So at every tick the provider reads the accounts of
//! the users it is owed by and settles
//! - at once, when some user's unsettled fees exceed what that user has
//!   left after them (balance minus pending refunds, fees in flight and
//!   unsettled fees): half the account is owed, or a refund is pending and
//!   the lock window is still open;
//! - otherwise only when enough users owe it to fill a batch of
//!   `batch_size` records (or every user it serves owes it, when it serves
//!   fewer), since a transaction costs much more than a record;
//! - and everything when forced (shutdown, end of a run).

use alloy_primitives::{Address, U256};

/// What a provider knows of one user's sub-account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Balance minus pending refunds, as last read from the chain (minus
    /// what settled since).
    pub spendable: U256,
    /// Fees in signed records not yet settled or failed.
    pub in_flight: U256,
    /// Fees billed and not yet in a signed record.
    pub unsettled: U256,
}

impl Exposure {
    /// Whether the account covers the unsettled fees plus `fee`, after the
    /// records in flight.
    pub fn covers(&self, fee: U256) -> bool {
        self.unsettled
            .checked_add(fee)
            .is_some_and(|owed| owed <= self.spendable.saturating_sub(self.in_flight))
    }
}

/// The users to settle now, in batches of at most `batch_size`: those of
/// `owing` (users with unsettled fees, their accounts just read) that the
/// policy above says are due, urgent ones first; none when nothing is.
/// `serving` is the number of users the provider serves.
pub fn due(
    owing: &[(Address, Exposure)],
    serving: usize,
    batch_size: usize,
    force: bool,
) -> Vec<Vec<Address>> {
    let batch_size = batch_size.max(1);
    let (urgent, patient): (Vec<&(Address, Exposure)>, Vec<_>) = owing
        .iter()
        .filter(|(_, exposure)| !exposure.unsettled.is_zero())
        .partition(|(_, exposure)| !exposure.covers(exposure.unsettled));
    if !force && urgent.is_empty() && patient.len() < batch_size.min(serving.max(1)) {
        return Vec::new();
    }
    let users: Vec<Address> = urgent
        .into_iter()
        .chain(patient)
        .map(|entry| entry.0)
        .collect();
    users.chunks(batch_size).map(<[Address]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposure(spendable: u64, in_flight: u64, unsettled: u64) -> Exposure {
        Exposure {
            spendable: U256::from(spendable),
            in_flight: U256::from(in_flight),
            unsettled: U256::from(unsettled),
        }
    }

    #[test]
    fn cover_counts_what_is_in_flight_and_unsettled() {
        assert!(exposure(100, 30, 20).covers(U256::from(50)));
        assert!(!exposure(100, 30, 20).covers(U256::from(51)));
        assert!(!exposure(10, 30, 0).covers(U256::ZERO + U256::from(1)));
        assert!(!exposure(100, 0, 1).covers(U256::MAX));
    }

    #[test]
    fn settles_when_urgent_full_or_forced() {
        let user = |i: u8| Address::repeat_byte(i);
        // Two patient users of three served, batches of 2: a full batch.
        let patient = [
            (user(1), exposure(100, 0, 10)),
            (user(2), exposure(100, 0, 10)),
        ];
        assert_eq!(due(&patient, 3, 2, false), [vec![user(1), user(2)]]);
        // One patient user, batches of 2: wait, unless forced.
        assert!(due(&patient[..1], 3, 2, false).is_empty());
        assert_eq!(due(&patient[..1], 3, 2, true), [vec![user(1)]]);
        // An urgent user (owes more than half) goes first, at once.
        let mixed = [patient[0], (user(3), exposure(100, 0, 60))];
        assert_eq!(due(&mixed, 10, 5, false), [vec![user(3), user(1)]]);
        // Batches of 1.
        assert_eq!(due(&mixed, 10, 1, false), [vec![user(3)], vec![user(1)]]);
        // Nobody owes anything.
        assert!(due(&[(user(4), exposure(100, 5, 0))], 1, 1, true).is_empty());
    }
}
