//! Unit tests of `rpc`.

use super::*;
use crate::market::Faults;

#[test]
fn keys_are_deterministic_and_distinct() {
    let salt = B256::repeat_byte(7);
    let a = derive_key(7, salt, 0);
    assert_eq!(a.address(), derive_key(7, salt, 0).address());
    assert_ne!(a.address(), derive_key(7, salt, 1).address());
    assert_ne!(a.address(), derive_key(8, salt, 0).address());
    assert_ne!(
        a.address(),
        derive_key(7, B256::repeat_byte(8), 0).address()
    );
}

#[test]
fn structs_convert_between_the_contracts_and_the_bindings() {
    let record = TEESettlementData {
        user: Address::repeat_byte(1),
        provider: Address::repeat_byte(2),
        totalFee: U256::from(3),
        requestsHash: B256::repeat_byte(4),
        nonce: U256::from(5),
        signature: vec![6; 65].into(),
    };
    let converted: bindings::TEESettlementData = convert(&record);
    assert_eq!(converted.user, record.user);
    assert_eq!(converted.totalFee, record.totalFee);
    assert_eq!(converted.signature, record.signature);
    let back: TEESettlementData = convert(&converted);
    assert_eq!(back, record);
}

#[test]
fn the_gas_budget_grows_with_the_run() {
    let small = Config {
        providers: 2,
        users: 6,
        requests: 150,
        tick: 50,
        batch_size: 5,
        ..Config::default()
    };
    let large = Config {
        requests: 1_500,
        ..small.clone()
    };
    let replayed = Config {
        faults: Faults::all(),
        ..small.clone()
    };
    assert!(gas_budget(&small) >= 10_000_000);
    assert!(gas_budget(&large) > gas_budget(&small));
    assert!(gas_budget(&replayed) > gas_budget(&small));
}
