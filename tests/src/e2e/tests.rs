//! Unit tests of `e2e`.

use alloy::primitives::hex;

use super::*;

#[test]
fn canonical_returns_catch_an_extra_tuple_offset() {
    use crate::bindings::LedgerManager::getAllLedgersCall;
    // No ledgers, total 0: Solidity's encoding, then stylus-sdk 0.9's
    // (one dynamic tuple, with a leading offset: stylus-sdk-rs#308).
    let solidity = hex!(
        "0000000000000000000000000000000000000000000000000000000000000040"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"
    );
    assert_eq!(
        canonical_returns::<getAllLedgersCall>(&solidity).unwrap(),
        solidity
    );
    let sdk = [&[0u8; 31][..], &[0x20], &solidity[..]].concat();
    assert!(canonical_returns::<getAllLedgersCall>(&sdk).map_or(true, |c| c != sdk));
}
