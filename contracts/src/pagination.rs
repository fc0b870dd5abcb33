//! The paging contract of the reference views: `limit` 0 means "all",
//! otherwise at most [`MAX_PAGE`] (a view whose items are heavier may take
//! fewer: [`page_at_most`]); an offset past the end gives an empty page.
//! Every paged view also returns the total count.

use alloc::vec::Vec;
use core::ops::Range;

use alloy_primitives::U256;

use crate::abi::{revert, InvalidLimit};

/// Largest `limit` a paged view accepts.
pub const MAX_PAGE: usize = 50;

/// The index range `(offset, limit)` selects out of `total` items.
/// Errors: `InvalidLimit` when `limit` exceeds [`MAX_PAGE`].
pub fn page(total: usize, offset: U256, limit: U256) -> Result<Range<usize>, Vec<u8>> {
    page_at_most(total, offset, limit, MAX_PAGE)
}

/// [`page`] for a view that takes at most `max` items a page.
/// Errors: `InvalidLimit` when `limit` exceeds `max`.
pub fn page_at_most(
    total: usize,
    offset: U256,
    limit: U256,
    max: usize,
) -> Result<Range<usize>, Vec<u8>> {
    if limit > U256::from(max) {
        return Err(revert(InvalidLimit {
            limit,
            max: U256::from(max),
        }));
    }
    let start = offset.saturating_to::<usize>().min(total);
    let end = match limit.to::<usize>() {
        0 => total,
        limit => start.saturating_add(limit).min(total),
    };
    Ok(start..end)
}

/// The encoding of `(T[] items, uint256 total)` made from `items`, the
/// encoding of `(T[])`: the array's encoding does not depend on where it
/// sits, so the head's offset becomes 64 and `total` follows it. A paged
/// view reuses the encoder of the view that returns every item.
pub fn with_total(items: &[u8], total: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() + 32);
    out.extend_from_slice(&U256::from(64).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(total).to_be_bytes::<32>());
    out.extend_from_slice(items.get(32..).unwrap_or_default());
    out
}

/// Checks that a batch of `len` items is at most `max`.
/// Errors: `InvalidLimit`.
pub fn bounded(len: usize, max: usize) -> Result<(), Vec<u8>> {
    if len > max {
        return Err(revert(InvalidLimit {
            limit: U256::from(len),
            max: U256::from(max),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u64) -> U256 {
        U256::from(n)
    }

    #[test]
    fn zero_limit_means_all() {
        assert_eq!(page(7, u(0), u(0)).unwrap(), 0..7);
        assert_eq!(page(7, u(3), u(0)).unwrap(), 3..7);
    }

    #[test]
    fn limit_and_offset_clip_to_total() {
        assert_eq!(page(7, u(5), u(50)).unwrap(), 5..7);
        assert_eq!(page(7, u(9), u(2)).unwrap(), 7..7);
        assert_eq!(page(7, U256::MAX, u(2)).unwrap(), 7..7);
    }

    #[test]
    fn limit_above_max_is_refused() {
        let err = page(7, u(0), u(51)).unwrap_err();
        assert_eq!(
            err,
            revert(InvalidLimit {
                limit: u(51),
                max: u(50)
            })
        );
        assert!(bounded(501, 500).is_err());
        assert!(bounded(500, 500).is_ok());
    }
}
