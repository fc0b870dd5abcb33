use alloy::primitives::U256;
use serving_harness::deploy::{self, ServingConfig};
use serving_harness::e2e::{eth, milli_eth, Serving, TeeKey};
use serving_harness::node_or_skip;

#[tokio::test]
async fn probe() {
    let node = node_or_skip!(deploy::node_options());
    let serving = Serving::deploy(node, ServingConfig::default()).await.unwrap();
    let p = serving.provider().await;
    let u = serving.user(eth(1)).await;
    serving.open_account(&u, p.address(), milli_eth(100), &TeeKey::random()).await;
    let raw = serving.ledger.userInfo(u.address()).from(serving.inference_address()).call_raw().await;
    eprintln!("userInfo raw: {raw:?}");
    let raw = serving.ledger.getAllLedgers(U256::ZERO, U256::ZERO).call_raw().await;
    eprintln!("getAllLedgers raw: {raw:?}");
    let raw = serving.inference.getAccount(u.address(), p.address()).call_raw().await;
    eprintln!("getAccount raw: {raw:?}");
}
