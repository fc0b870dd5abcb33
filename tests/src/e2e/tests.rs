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

#[test]
fn verifier_inputs_recover_to_the_provider_signer() {
    let key = TeeKey::random();
    let user = Address::repeat_byte(1);
    let input = key.verifier_input(user, "task-1", &[7; 40], b"secret", 2, U256::from(9u64));
    assert_eq!(input.providerSigner, key.address());
    let digest = serving_verifier::verifier_input_digest(
        &input.encryptedSecret,
        &input.modelRootHash,
        input.nonce,
        input.providerSigner,
        input.taskFee,
        user,
    );
    assert_eq!(
        serving_verifier::native::recover(digest, &input.signature),
        Some(key.address())
    );
}

#[test]
fn tee_records_recover_to_the_tee_key() {
    let tee = TeeKey::random();
    let user = Address::repeat_byte(1);
    let provider = Address::repeat_byte(2);
    let record = tee.record(user, provider, U256::from(7u64), 3, requests_hash(9));
    let digest = serving_verifier::settlement_digest(
        record.requestsHash,
        record.nonce,
        provider,
        user,
        record.totalFee,
    );
    assert_eq!(
        serving_verifier::native::recover(digest, &record.signature),
        Some(tee.address())
    );
}
