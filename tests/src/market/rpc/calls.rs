//! [`Backend`] for [`Rpc`]: every operation of the market as a
//! transaction or a call on the chain.

use super::*;

impl Backend for Rpc {
    fn name(&self) -> &'static str {
        "rpc"
    }

    fn new_account(&mut self, funds: U256) -> Outcome<Address> {
        let index = self.issued;
        self.issued += 1;
        let signer = match self.pool.get(index) {
            Some(signer) => signer.clone(),
            None => derive_key(self.seed, self.salt, index as u64),
        };
        let address = signer.address();
        let tx = TransactionRequest::default()
            .with_to(address)
            .with_value(funds + self.allowance);
        self.runtime
            .block_on(e2e::send_tx(&self.funder, tx))
            .map_err(|e| backend(format!("funding {address}: {e}")))?;
        self.wallets
            .insert(address, wallet_on(&self.http, &self.url, signer));
        Ok(address)
    }

    fn gas_spent(&mut self) -> Outcome<U256> {
        Ok(self.gas_spent)
    }

    fn balance(&mut self, account: Address) -> Outcome<U256> {
        self.runtime
            .block_on(async { self.reader.get_balance(account).await })
            .map_err(backend)
    }

    fn balances(&mut self, accounts: &[Address]) -> Outcome<Vec<U256>> {
        self.runtime.block_on(async {
            let mut balances = Vec::with_capacity(accounts.len());
            for chunk in accounts.chunks(BATCH_REQUESTS) {
                let mut batch = BatchRequest::new(self.reader.client());
                let waiters = chunk
                    .iter()
                    .map(|account| {
                        batch.add_call::<_, U256>(
                            "eth_getBalance",
                            &(*account, BlockNumberOrTag::Latest),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(backend)?;
                batch.send().await.map_err(backend)?;
                for waiter in waiters {
                    balances.push(waiter.await.map_err(backend)?);
                }
            }
            Ok(balances)
        })
    }

    fn contract_balances(&mut self) -> Outcome<[U256; 3]> {
        let c = self.contracts;
        let balances = self.balances(&[c.ledger, c.inference, c.fine_tuning])?;
        Ok([balances[0], balances[1], balances[2]])
    }

    fn escrows(&mut self) -> Outcome<[U256; 2]> {
        let c = self.contracts;
        let mut escrows = [U256::ZERO; 2];
        for (escrow, serving) in escrows.iter_mut().zip([c.inference, c.fine_tuning]) {
            *escrow = self
                .view(Address::ZERO, c.ledger, LM::escrowOfCall { serving })?
                .map_err(|e| backend(format!("escrowOf: {e:?}")))?
                ._0;
        }
        Ok(escrows)
    }

    fn lock_time(&mut self) -> Outcome<u64> {
        let c = self.contracts;
        let zero = Address::ZERO;
        let inference = self.view(zero, c.inference, IS::lockTimeCall {})?;
        let fine_tuning = self.view(zero, c.fine_tuning, FT::lockTimeCall {})?;
        match (inference, fine_tuning) {
            (Ok(a), Ok(b)) => Ok(a._0.max(b._0).saturating_to()),
            (Err(revert), _) | (_, Err(revert)) => Err(Failure::Reverted(revert)),
        }
    }

    fn elapse_lock(&mut self) -> Outcome<()> {
        let lock = self.lock_time()?;
        match self.clock {
            Clock::Node => self.runtime.block_on(async {
                let _offset: i64 = self
                    .reader
                    .raw_request("evm_increaseTime".into(), (U256::from(lock + 1),))
                    .await
                    .map_err(backend)?;
                let _: String = self
                    .reader
                    .raw_request("evm_mine".into(), ())
                    .await
                    .map_err(backend)?;
                Ok(())
            }),
            Clock::Wall => {
                if let Some(requested) = self.last_refund_request {
                    let due = requested + Duration::from_secs(lock + 1);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
                Ok(())
            }
        }
    }

    fn add_inference_service(&mut self, provider: Address, params: ServiceParams) -> Outcome<()> {
        let call = IS::addOrUpdateServiceCall {
            params: convert(&params),
        };
        self.call(provider, self.contracts.inference, U256::ZERO, call)
            .map(drop)
    }

    fn add_fine_tuning_service(&mut self, provider: Address, s: FineTuningService) -> Outcome<()> {
        let call = FT::addOrUpdateServiceCall {
            url: s.url,
            quota: convert(&s.quota),
            pricePerToken: s.price_per_token,
            providerSigner: s.signer,
            occupied: false,
            models: s.models,
        };
        self.call(provider, self.contracts.fine_tuning, U256::ZERO, call)
            .map(drop)
    }

    fn add_ledger(&mut self, user: Address, amount: U256) -> Outcome<()> {
        let call = LM::addLedgerCall {
            inferenceSigner: [U256::ZERO; 2],
            additionalInfo: String::new(),
        };
        self.call(user, self.contracts.ledger, amount, call)
            .map(drop)
    }

    fn deposit_fund(&mut self, user: Address, amount: U256) -> Outcome<()> {
        self.call(user, self.contracts.ledger, amount, LM::depositFundCall {})
            .map(drop)
    }

    fn refund(&mut self, user: Address, amount: U256) -> Outcome<()> {
        self.call(
            user,
            self.contracts.ledger,
            U256::ZERO,
            LM::refundCall { amount },
        )
        .map(drop)
    }

    fn transfer_fund(&mut self, to: SubAccount, amount: U256) -> Outcome<()> {
        let call = LM::transferFundCall {
            provider: to.provider,
            serviceType: to.kind.service_type().into(),
            amount,
        };
        self.call(to.user, self.contracts.ledger, U256::ZERO, call)
            .map(drop)
    }

    fn retrieve_fund(&mut self, user: Address, providers: Vec<Address>, kind: Kind) -> Outcome<()> {
        let call = LM::retrieveFundCall {
            providers,
            serviceType: kind.service_type().into(),
        };
        self.call(user, self.contracts.ledger, U256::ZERO, call)?;
        self.last_refund_request = Some(Instant::now());
        Ok(())
    }

    fn ledger(&mut self, user: Address) -> Outcome<Option<LedgerState>> {
        Ok(self
            .view(user, self.contracts.ledger, LM::getLedgerCall { user })?
            .ok()
            .map(|r| LedgerState {
                available: r._0.availableBalance,
                total: r._0.totalBalance,
                providers: [r._0.inferenceProviders, r._0.fineTuningProviders],
            }))
    }

    fn acknowledge_signer(&mut self, account: SubAccount, signer: Address) -> Outcome<()> {
        let (c, user, provider) = (self.contracts, account.user, account.provider);
        match account.kind {
            Kind::Inference => self.call(
                user,
                c.inference,
                U256::ZERO,
                IS::acknowledgeTEESignerCall { provider, signer },
            ),
            Kind::FineTuning => self.call(
                user,
                c.fine_tuning,
                U256::ZERO,
                FT::acknowledgeProviderSignerCall {
                    provider,
                    providerSigner: signer,
                },
            ),
        }
        .map(drop)
    }

    fn account(&mut self, account: SubAccount) -> Outcome<Option<AccountState>> {
        let (c, user, provider) = (self.contracts, account.user, account.provider);
        Ok(match account.kind {
            Kind::Inference => self
                .view(user, c.inference, IS::getAccountCall { user, provider })?
                .ok()
                .map(|r| account_state(r._0)),
            Kind::FineTuning => self
                .view(user, c.fine_tuning, FT::getAccountCall { user, provider })?
                .ok()
                .map(|r| details_state(r._0)),
        })
    }

    fn inference_accounts(
        &mut self,
        provider: Address,
        users: &[Address],
    ) -> Outcome<Vec<AccountState>> {
        let mut states = Vec::with_capacity(users.len());
        for chunk in users.chunks(MAX_BATCH) {
            let call = IS::getBatchAccountsByUsersCall {
                users: chunk.to_vec(),
            };
            let accounts = self
                .view(provider, self.contracts.inference, call)?
                .map_err(Failure::Reverted)?
                ._0;
            states.extend(accounts.into_iter().map(account_state));
        }
        Ok(states)
    }

    fn settle(
        &mut self,
        provider: Address,
        records: Vec<TEESettlementData>,
    ) -> Outcome<Settlement> {
        let inference = self.contracts.inference;
        let call = IS::settleFeesWithTEECall {
            settlements: records.iter().map(convert).collect(),
        };
        let receipt = self.call(provider, inference, U256::ZERO, call)?;
        let mut failed = Vec::new();
        for log in receipt.inner.logs() {
            if log.address() != inference
                || log.topic0() != Some(&IS::TEESettlementFailed::SIGNATURE_HASH)
            {
                continue;
            }
            let event = IS::TEESettlementFailed::decode_log_data(log.data(), true)
                .map_err(|e| backend(format!("undecodable TEESettlementFailed: {e}")))?;
            failed.push((event.user, event.reason));
        }
        Ok(Settlement {
            failed,
            gas: Some(Gas {
                used: receipt.gas_used,
                cost: e2e::gas_cost(&receipt),
            }),
        })
    }

    fn add_deliverable(&mut self, to: SubAccount, id: String, root: Vec<u8>) -> Outcome<()> {
        let call = FT::addDeliverableCall {
            user: to.user,
            id,
            modelRootHash: Bytes::from(root),
        };
        self.call(to.provider, self.contracts.fine_tuning, U256::ZERO, call)
            .map(drop)
    }

    fn acknowledge_deliverable(&mut self, of: SubAccount, id: String) -> Outcome<()> {
        let call = FT::acknowledgeDeliverable_0Call {
            provider: of.provider,
            id,
        };
        self.call(of.user, self.contracts.fine_tuning, U256::ZERO, call)
            .map(drop)
    }

    fn settle_fine_tuning(
        &mut self,
        provider: Address,
        input: VerifierInput,
    ) -> Outcome<Option<Gas>> {
        let call = FT::settleFeesCall {
            verifierInput: convert(&input),
        };
        let receipt = self.call(provider, self.contracts.fine_tuning, U256::ZERO, call)?;
        Ok(Some(Gas {
            used: receipt.gas_used,
            cost: e2e::gas_cost(&receipt),
        }))
    }
}
