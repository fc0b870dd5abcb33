use std::time::Instant;
use alloy::primitives::U256;
use alloy::providers::Provider;
use serving_harness::deploy::{self, ServingConfig};
use serving_harness::e2e::{eth, milli_eth, send, Serving, TeeKey, INFERENCE};
use serving_harness::node_or_skip;

#[tokio::test]
async fn probe() {
    let node = node_or_skip!(deploy::node_options());
    let serving = Serving::deploy(node, ServingConfig::default()).await.unwrap();
    let p = serving.provider().await;
    let tee = TeeKey::random();
    for _ in 0..3 {
        let t = Instant::now();
        let u = serving.actor(eth(3)).await;
        let t1 = t.elapsed();
        let tx = serving.ledger.addLedger([U256::ZERO; 2], "".into()).value(eth(1));
        let t2 = Instant::now();
        let gas = tx.from(u.address()).estimate_gas().await.unwrap();
        let t3 = t2.elapsed();
        let t4 = Instant::now();
        let r = send(&u.wallet, serving.ledger.addLedger([U256::ZERO; 2], "".into()).value(eth(1))).await;
        let t5 = t4.elapsed();
        eprintln!("fund {t1:?} estimate {t3:?} ({gas}) send {t5:?} {}", r.is_ok());
        let t6 = Instant::now();
        let _ = u.wallet.get_transaction_count(u.address()).await;
        eprintln!("nonce {:?}", t6.elapsed());
        let t6 = Instant::now();
        send(&u.wallet, serving.ledger.transferFund(p.address(), INFERENCE.into(), milli_eth(1))).await.unwrap();
        eprintln!("transfer {:?}", t6.elapsed());
        let _ = &tee;
    }
}
