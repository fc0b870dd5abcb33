//! The run itself: phases, ticks, faults, bookkeeping and the invariant
//! checks (see the [module docs](super)).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    time::{Duration, Instant},
};

use alloy_primitives::{keccak256, Address, B256, U256};
use rand::{seq::IndexedRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serving_verifier::settlement_digest;

use super::{
    backend::{Backend, Failure, Kind, Outcome, Settlement, SubAccount},
    provider::{Batch, Provider, Refusal},
    report::{
        ConfigReport, FaultsReport, FineTuningReport, GasReport, InvariantsReport, ProviderReport,
        RefundsReport, Report, RequestsReport, SettlementReport, Timing, Wei,
    },
    tee::AttestationRoot,
    user::{User, FUNDS_RETRIEVED},
    Config, MAX_INPUT_TOKENS, MAX_OUTPUT_TOKENS,
};

/// How far a run is, for progress displays.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Requests sent so far.
    pub requests: u64,
    /// Requests in the run.
    pub total: u64,
    /// Records settled so far.
    pub records_settled: u64,
}

/// Runs the market of `config` on `backend`. Progress is reported at every
/// tick. Errors: the configuration's (see [`Config::validate`]) as
/// [`Failure::Backend`], and the backend's own failures. A contract that
/// misbehaves does not stop the run: it is in the report's violations.
pub fn simulate(
    config: &Config,
    backend: &mut dyn Backend,
    progress: &mut dyn FnMut(Progress),
) -> Outcome<Report> {
    config.validate().map_err(|e| Failure::Backend(e.0))?;
    let started = Instant::now();
    let mut market = Market::new(config, backend)?;
    market.setup()?;
    market.trade(progress)?;
    market.close()?;
    market.exit()?;
    market.checker.full_sweep(market.backend)?;
    Ok(market.report(started.elapsed()))
}

/// Which fault explains a lost fee.
const REORDER: &str = "reorder";
const KEY_ROTATION: &str = "key-rotation";
const UNEXPLAINED: &str = "unexplained";
/// The contract's reasons (`TEESettlementFailed`) the faults cause.
const NONCE_USED: &str = "Nonce already processed";
const INVALID_SIGNER: &str = "Invalid TEE signer";

struct Market<'a> {
    config: &'a Config,
    backend: &'a mut dyn Backend,
    rng: ChaCha8Rng,
    root: AttestationRoot,
    providers: Vec<Provider>,
    users: Vec<User>,
    checker: Checker,
    /// Per user: the providers of its fine-tuning accounts.
    fine_tuning_links: Vec<BTreeSet<usize>>,
    /// Per provider: a batch held back (fault `reorder`) and the tick
    /// that signed it.
    held: Vec<Option<(u64, Batch)>>,
    /// Ticks so far.
    ticks: u64,
    reorder_done: bool,
    key_rotated: bool,
    early_retrieval_done: bool,
    /// Per provider: its last settled batches (fault `replay`).
    history: Vec<Vec<Batch>>,
    settled_records: HashSet<B256>,
    batch_sizes: Vec<u64>,
    settle_time: Duration,
    records_settled: u64,
    requests: RequestsReport,
    fine_tuning: FineTuningReport,
    refunds: RefundsReport,
    lost_fees: BTreeMap<String, U256>,
    users_stopped: BTreeMap<String, u64>,
    replayed_batches: u64,
    replayed_records_settled: u64,
    tasks_started: usize,
}

impl<'a> Market<'a> {
    fn new(config: &'a Config, backend: &'a mut dyn Backend) -> Outcome<Self> {
        let seed = config.seed.to_be_bytes();
        let root = AttestationRoot::from_seed(&[b"attestation root".as_slice(), &seed].concat());
        let mut providers = Vec::with_capacity(config.providers);
        let mut actors = Vec::new();
        for i in 0..config.providers {
            let address = backend.new_account(U256::ZERO)?;
            let (input, output) = Config::prices(i);
            let tee_seed = format!("{}:tee:{i}:0", config.seed);
            providers.push(Provider::new(
                address,
                &root,
                tee_seed.as_bytes(),
                input,
                output,
            ));
            actors.push(address);
        }
        let mut users = Vec::with_capacity(config.users);
        for _ in 0..config.users {
            let address = backend.new_account(config.user_funds)?;
            users.push(User::new(address, root.address()));
            actors.push(address);
        }
        let checker = Checker::new(
            backend,
            actors,
            providers.iter().map(|p| p.address).collect(),
        )?;
        Ok(Self {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            root,
            fine_tuning_links: vec![BTreeSet::new(); users.len()],
            held: vec![None; providers.len()],
            history: vec![Vec::new(); providers.len()],
            providers,
            users,
            checker,
            config,
            backend,
            reorder_done: false,
            ticks: 0,
            key_rotated: false,
            early_retrieval_done: false,
            settled_records: HashSet::new(),
            batch_sizes: Vec::new(),
            settle_time: Duration::ZERO,
            records_settled: 0,
            requests: RequestsReport::default(),
            fine_tuning: FineTuningReport::default(),
            refunds: RefundsReport::default(),
            lost_fees: BTreeMap::new(),
            users_stopped: BTreeMap::new(),
            replayed_batches: 0,
            replayed_records_settled: 0,
            tasks_started: 0,
        })
    }

    /// A contract refused something the market expected to work: a
    /// violation, unless the backend itself failed.
    fn expect(&mut self, what: &str, outcome: Outcome<()>) -> Outcome<bool> {
        match outcome {
            Ok(()) => Ok(true),
            Err(Failure::Reverted(error)) => {
                self.checker
                    .violation(format!("{what}: unexpected revert {error}"));
                Ok(false)
            }
            Err(failure) => Err(failure),
        }
    }

    /// Checks the invariants for `users` and globally.
    fn check(&mut self, users: &[Address]) -> Outcome<()> {
        self.checker.check(self.backend, users)
    }

    /// Phase 1: services, ledgers, sub-accounts, acknowledged signers.
    fn setup(&mut self) -> Outcome<()> {
        for i in 0..self.providers.len() {
            let outcome = self.providers[i].register(self.backend);
            self.expect("register services", outcome)?;
        }
        for u in 0..self.users.len() {
            let user = self.users[u].address;
            let outcome = self.users[u].open_ledger(self.backend, self.config.user_funds);
            self.expect("addLedger", outcome)?;
            self.check(&[user])?;
            let count = self.rng.random_range(1..=self.providers.len().min(3));
            let chosen =
                rand::seq::index::sample(&mut self.rng, self.providers.len(), count).into_vec();
            let share = self.share(count);
            for p in chosen {
                let outcome = self.users[u].engage(
                    self.backend,
                    p,
                    &self.providers[p],
                    Kind::Inference,
                    share,
                );
                match outcome {
                    Ok(true) => {}
                    Ok(false) => self
                        .checker
                        .violation(format!("user {user}: a genuine attestation was refused")),
                    Err(failure) => {
                        self.expect("transferFund and acknowledgeTEESigner", Err(failure))?;
                    }
                }
                self.check(&[user])?;
            }
        }
        Ok(())
    }

    /// What a user puts in a sub-account at a time (half its funds, split
    /// over its `links` providers; the rest is for top-ups and fine-tuning).
    fn share(&self, links: usize) -> U256 {
        self.config.user_funds / U256::from(2 * links as u64)
    }

    /// Phase 2: requests, ticks, tasks, faults.
    fn trade(&mut self, progress: &mut dyn FnMut(Progress)) -> Outcome<()> {
        let ticks = self.config.requests.div_ceil(self.config.tick).max(1);
        let tasks_per_tick = self.config.fine_tuning_tasks as u64;
        for r in 0..self.config.requests {
            if r > 0 && r % self.config.tick == 0 {
                let t = r / self.config.tick;
                self.tick(
                    r,
                    (tasks_per_tick * t / ticks - tasks_per_tick * (t - 1) / ticks) as usize,
                )?;
                progress(Progress {
                    requests: r,
                    total: self.config.requests,
                    records_settled: self.records_settled,
                });
            }
            self.request()?;
        }
        let remaining = self.config.fine_tuning_tasks - self.tasks_started;
        self.tick(self.config.requests, remaining)?;
        progress(Progress {
            requests: self.config.requests,
            total: self.config.requests,
            records_settled: self.records_settled,
        });
        Ok(())
    }

    /// One request from a random user to one of the providers it uses.
    fn request(&mut self) -> Outcome<()> {
        self.requests.sent += 1;
        let u = self.rng.random_range(0..self.users.len());
        let input_tokens = self.rng.random_range(1..=MAX_INPUT_TOKENS);
        let output_tokens = self.rng.random_range(1..=MAX_OUTPUT_TOKENS);
        let Some(&p) = self.users[u].usable().choose(&mut self.rng) else {
            return self.refuse("the user has no provider left");
        };
        let mut topped_up = false;
        loop {
            let request = self.users[u].request(p, input_tokens, output_tokens);
            match self.providers[p].serve(self.backend, &request)? {
                Ok(response) => {
                    self.requests.served += 1;
                    if !self.users[u].verify(p, &self.providers[p], &request, &response) {
                        self.requests.rejected_responses += 1;
                    }
                    return Ok(());
                }
                Err(Refusal::NotCovered) if !topped_up => {
                    if !self.top_up(u, p)? {
                        return self.refuse("the user is out of funds");
                    }
                    topped_up = true;
                }
                Err(Refusal::NotCovered) => {
                    return self.refuse("the sub-account does not cover the fee")
                }
                Err(Refusal::Stopped(_)) => {
                    self.users[u].stop(p, "the provider stopped serving it");
                    return self.refuse("the provider stopped serving the user");
                }
                Err(Refusal::StaleNonce) => return self.refuse("stale nonce"),
            }
        }
    }

    /// Counts a request not served, for `reason`.
    fn refuse(&mut self, reason: &str) -> Outcome<()> {
        *self.requests.refused.entry(reason.into()).or_default() += 1;
        Ok(())
    }

    /// What `user`'s ledger holds outside its sub-accounts (zero without a
    /// ledger).
    fn available(&mut self, user: Address) -> Outcome<U256> {
        Ok(self
            .backend
            .ledger(user)?
            .map(|l| l.available)
            .unwrap_or_default())
    }

    /// Moves another share from user `u`'s ledger into its sub-account with
    /// provider `p`; false when the ledger is empty.
    fn top_up(&mut self, u: usize, p: usize) -> Outcome<bool> {
        let user = self.users[u].address;
        let available = self.available(user)?;
        let amount = self.share(self.users[u].engaged().len()).min(available);
        if amount.is_zero() {
            return Ok(false);
        }
        let outcome = self.backend.transfer_fund(
            SubAccount::new(user, self.providers[p].address, Kind::Inference),
            amount,
        );
        let done = self.expect("transferFund (top-up)", outcome)?;
        self.check(&[user])?;
        self.requests.top_ups += u64::from(done);
        Ok(done)
    }

    /// A tick at request `r`: faults due, `tasks` fine-tuning tasks, then
    /// each provider's settlement engine.
    fn tick(&mut self, r: u64, tasks: usize) -> Outcome<()> {
        self.ticks += 1;
        if self.config.faults.key_rotation && !self.key_rotated && r >= self.config.requests / 2 {
            self.key_rotated = true;
            let seed = format!("{}:tee:0:1", self.config.seed);
            self.providers[0].replace_tee_key(&self.root, seed.as_bytes());
        }
        if self.config.faults.early_retrieval
            && !self.early_retrieval_done
            && r >= self.config.requests / 3
        {
            self.early_retrieval_done = true;
            self.retrieve_in_flight()?;
        }
        for _ in 0..tasks {
            self.fine_tuning_task()?;
        }
        for p in 0..self.providers.len() {
            let batches =
                self.providers[p].due_batches(self.backend, self.config.batch_size, false)?;
            for batch in batches {
                self.submit(p, batch)?;
            }
        }
        Ok(())
    }

    /// Fault `early-retrieval`: about one user in ten who owes a provider
    /// fees (at least one) asks for that sub-account back.
    fn retrieve_in_flight(&mut self) -> Outcome<()> {
        let mut owing = Vec::new();
        for (u, user) in self.users.iter().enumerate() {
            for p in user.usable() {
                if self.providers[p].owed_by(user.address) {
                    owing.push((u, p));
                }
            }
        }
        let count = owing.len().div_ceil(10);
        let picked: Vec<(usize, usize)> = owing
            .choose_multiple(&mut self.rng, count)
            .copied()
            .collect();
        for (u, p) in picked {
            let user = self.users[u].address;
            let outcome =
                self.backend
                    .retrieve_fund(user, vec![self.providers[p].address], Kind::Inference);
            self.expect("retrieveFund (in flight)", outcome)?;
            self.users[u].stop(p, FUNDS_RETRIEVED);
            self.refunds.retrievals += 1;
            self.refunds.early_retrievals += 1;
            self.check(&[user])?;
        }
        Ok(())
    }

    /// Sends `batch` for provider `p`, with the faults `reorder` (hold the
    /// first batch back and send it after one signed at a later tick) and
    /// `replay` (send a settled batch again) when they are on.
    fn submit(&mut self, p: usize, batch: Batch) -> Outcome<()> {
        if self.config.faults.reorder && !self.reorder_done && p == 2 % self.providers.len() {
            self.reorder_done = true;
            self.held[p] = Some((self.ticks, batch));
            return Ok(());
        }
        self.send(p, batch, false)?;
        if self.held[p]
            .as_ref()
            .is_some_and(|(tick, _)| *tick < self.ticks)
        {
            let (_, held) = self.held[p].take().expect("a held batch");
            self.send(p, held, true)?;
        }
        if self.config.faults.replay && !self.history[p].is_empty() && self.rng.random_bool(0.25) {
            let old = self.history[p]
                .choose(&mut self.rng)
                .cloned()
                .expect("a settled batch");
            self.replay(p, old)?;
        }
        Ok(())
    }

    /// One settleFeesWithTEE transaction and its bookkeeping.
    fn send(&mut self, p: usize, batch: Batch, reordered: bool) -> Outcome<()> {
        let provider = self.providers[p].address;
        let paid_before = self.backend.balance(provider)?;
        let started = Instant::now();
        let settlement = match self.backend.settle(provider, batch.records.clone()) {
            Ok(settlement) => settlement,
            Err(Failure::Reverted(error)) => {
                self.checker.violation(format!(
                    "settleFeesWithTEE by {provider}: unexpected revert {error}"
                ));
                Settlement {
                    failed: batch
                        .records
                        .iter()
                        .map(|r| (r.user, format!("batch reverted: {error}")))
                        .collect(),
                    gas: None,
                }
            }
            Err(failure) => return Err(failure),
        };
        self.settle_time += started.elapsed();
        let paid = self.backend.balance(provider)?
            + settlement.gas.map(|g| g.cost).unwrap_or_default()
            - paid_before;
        self.batch_sizes.push(batch.records.len() as u64);
        let users: Vec<Address> = batch.records.iter().map(|r| r.user).collect();
        let results = self.providers[p].settled(batch.clone(), &settlement);
        let mut expected = U256::ZERO;
        for result in &results {
            let r = &result.record;
            match &result.failure {
                None => {
                    expected += r.totalFee;
                    self.records_settled += 1;
                    let digest =
                        settlement_digest(r.requestsHash, r.nonce, r.provider, r.user, r.totalFee);
                    if !self.settled_records.insert(digest) {
                        self.checker.violation(format!(
                            "a record of {} with nonce {} settled twice",
                            r.user, r.nonce
                        ));
                    }
                }
                Some(reason) => {
                    // A fault explains a failure only by the reason it
                    // causes: a held batch overtaken by a later nonce, or
                    // a record signed by provider 0's new TEE key.
                    let fault = match reason.as_str() {
                        NONCE_USED if reordered => REORDER,
                        INVALID_SIGNER if self.key_rotated && p == 0 => KEY_ROTATION,
                        _ => UNEXPLAINED,
                    };
                    *self.lost_fees.entry(fault.into()).or_default() += r.totalFee;
                }
            }
        }
        if paid != expected {
            self.checker.violation(format!(
                "provider {provider} was paid {paid} for records worth {expected}"
            ));
        }
        self.history[p].push(batch);
        if self.history[p].len() > 8 {
            self.history[p].remove(0);
        }
        self.check(&users)
    }

    /// Fault `replay`: a settled batch again; nothing in it may settle.
    fn replay(&mut self, p: usize, batch: Batch) -> Outcome<()> {
        let provider = self.providers[p].address;
        self.replayed_batches += 1;
        let settlement = match self.backend.settle(provider, batch.records.clone()) {
            Ok(settlement) => settlement,
            Err(Failure::Reverted(_)) => return Ok(()),
            Err(failure) => return Err(failure),
        };
        let settled = (batch.records.len() - settlement.failed.len()) as u64;
        if settled > 0 {
            self.replayed_records_settled += settled;
            self.checker.violation(format!(
                "a replayed batch of {provider} settled {settled} records again"
            ));
        }
        let users: Vec<Address> = batch.records.iter().map(|r| r.user).collect();
        self.check(&users)
    }

    /// A fine-tuning task: a random user orders it from a random provider
    /// (after checking its attestation), the provider delivers, the user
    /// acknowledges the deliverable four times in five, and the provider
    /// settles: the full fee with the secret, or the penalty without.
    fn fine_tuning_task(&mut self) -> Outcome<()> {
        self.tasks_started += 1;
        self.fine_tuning.tasks += 1;
        let u = self.rng.random_range(0..self.users.len());
        let p = self.rng.random_range(0..self.providers.len());
        let tokens = self.rng.random_range(1_000..=5_000u64);
        let acknowledge = self.rng.random_bool(0.8);
        let (user, provider) = (self.users[u].address, self.providers[p].address);
        let fee = self.providers[p].fine_tuning_price * U256::from(tokens);
        let available = self.available(user)?;
        if available < fee {
            self.fine_tuning.skipped += 1;
            return Ok(());
        }
        let engaged =
            self.users[u].engage(self.backend, p, &self.providers[p], Kind::FineTuning, fee);
        let engaged = match engaged {
            Ok(accepted) => accepted,
            Err(failure) => {
                self.expect(
                    "fine-tuning transferFund and acknowledgeProviderSigner",
                    Err(failure),
                )?;
                false
            }
        };
        self.fine_tuning_links[u].insert(p);
        self.check(&[user])?;
        if !engaged {
            self.fine_tuning.skipped += 1;
            return Ok(());
        }
        let id = format!("task-{}", self.fine_tuning.tasks);
        let root = keccak256([id.as_bytes(), user.as_slice()].concat()).to_vec();
        let account = SubAccount::new(user, provider, Kind::FineTuning);
        let outcome = self
            .backend
            .add_deliverable(account, id.clone(), root.clone());
        if !self.expect("addDeliverable", outcome)? {
            return Ok(());
        }
        if acknowledge {
            let outcome = self.backend.acknowledge_deliverable(account, id.clone());
            self.expect("acknowledgeDeliverable", outcome)?;
        }
        let secret = if acknowledge {
            keccak256(root.as_slice()).to_vec()
        } else {
            Vec::new()
        };
        let input = self.providers[p].verifier_input(user, &id, &root, &secret, fee);
        let before = self
            .backend
            .account(SubAccount::new(user, provider, Kind::FineTuning))?
            .unwrap_or_default()
            .balance;
        let paid_before = self.backend.balance(provider)?;
        let outcome = self.backend.settle_fine_tuning(provider, input);
        let gas = match outcome {
            Ok(gas) => gas,
            Err(failure) => {
                self.expect("fine-tuning settleFees", Err(failure))?;
                return Ok(());
            }
        };
        let after = self
            .backend
            .account(SubAccount::new(user, provider, Kind::FineTuning))?
            .unwrap_or_default()
            .balance;
        let paid =
            self.backend.balance(provider)? + gas.map(|g| g.cost).unwrap_or_default() - paid_before;
        let charged = before - after;
        let due = if acknowledge {
            fee
        } else {
            fee * U256::from(self.config.penalty_percentage) / U256::from(100)
        };
        if charged != due || paid != charged {
            self.checker.violation(format!(
                "fine-tuning {id}: charged {charged}, paid {paid}, due {due}"
            ));
        }
        if acknowledge {
            self.fine_tuning.acknowledged += 1;
        } else {
            self.fine_tuning.penalized += 1;
        }
        self.fine_tuning.settled += wei(charged);
        self.providers[p].stats.fine_tuning_settled += charged;
        self.check(&[user])
    }

    /// Phase 3: every provider settles everything it is owed, and sends a
    /// batch it still holds.
    fn close(&mut self) -> Outcome<()> {
        for p in 0..self.providers.len() {
            let batches =
                self.providers[p].due_batches(self.backend, self.config.batch_size, true)?;
            for batch in batches {
                self.submit(p, batch)?;
            }
            if let Some((_, held)) = self.held[p].take() {
                self.send(p, held, true)?;
            }
        }
        Ok(())
    }

    /// Phase 4: retrieve every sub-account, let the lock pass, retrieve the
    /// matured refunds and refund the ledgers to the wallets.
    fn exit(&mut self) -> Outcome<()> {
        self.retrieve_all()?;
        self.backend.elapse_lock()?;
        self.retrieve_all()?;
        for u in 0..self.users.len() {
            let user = self.users[u].address;
            let available = self.available(user)?;
            if available.is_zero() {
                continue;
            }
            // On a chain the user pays the refund's gas: add it back.
            let before = self.backend.balance(user)? + self.backend.gas_spent()?;
            let outcome = self.backend.refund(user, available);
            if self.expect("refund", outcome)? {
                let after = self.backend.balance(user)? + self.backend.gas_spent()?;
                self.refunds.refunded += wei(after - before);
            }
            self.check(&[user])?;
        }
        let [ledger, _, _] = self.backend.contract_balances()?;
        self.refunds.left_in_ledger = wei(ledger);
        if !ledger.is_zero() {
            self.checker.violation(format!(
                "the ledger still holds {ledger} wei after every user left"
            ));
        }
        Ok(())
    }

    fn retrieve_all(&mut self) -> Outcome<()> {
        for u in 0..self.users.len() {
            let user = self.users[u].address;
            let links = [
                (Kind::Inference, self.users[u].engaged()),
                (
                    Kind::FineTuning,
                    self.fine_tuning_links[u].iter().copied().collect(),
                ),
            ];
            for (kind, indices) in links {
                if indices.is_empty() {
                    continue;
                }
                let providers = indices.iter().map(|&p| self.providers[p].address).collect();
                let outcome = self.backend.retrieve_fund(user, providers, kind);
                self.expect("retrieveFund", outcome)?;
                self.refunds.retrievals += 1;
                self.check(&[user])?;
            }
        }
        Ok(())
    }

    fn report(mut self, wall: Duration) -> Report {
        let mut providers = Vec::new();
        let mut settlement = SettlementReport {
            records_per_batch_min: self.batch_sizes.iter().copied().min().unwrap_or_default(),
            records_per_batch_max: self.batch_sizes.iter().copied().max().unwrap_or_default(),
            replayed_batches: self.replayed_batches,
            replayed_records_settled: self.replayed_records_settled,
            ..SettlementReport::default()
        };
        let (mut billed, mut gas_used, mut gas_cost) = (U256::ZERO, 0u64, U256::ZERO);
        for provider in &self.providers {
            let s = &provider.stats;
            let mut stopped_users = BTreeMap::new();
            for (_, reason) in provider.stopped() {
                *stopped_users.entry(reason.clone()).or_default() += 1;
            }
            if !provider.unsettled().is_zero() {
                self.checker.violation(format!(
                    "provider {} ends with unsettled fees",
                    provider.address
                ));
            }
            providers.push(ProviderReport {
                address: provider.address.to_string(),
                served: s.served,
                billed: wei(s.billed),
                settled: wei(s.settled),
                lost: s.lost.iter().map(|(k, v)| (k.clone(), wei(*v))).collect(),
                unsettled: wei(provider.unsettled()),
                settlement_txs: s.settlement_txs,
                records: s.records,
                records_settled: s.records_settled,
                fine_tuning_settled: wei(s.fine_tuning_settled),
                stopped_users,
            });
            let lost: U256 = s.lost.values().copied().sum();
            if s.billed != s.settled + lost + provider.unsettled() {
                self.checker.violation(format!(
                    "provider {}: billed fees are not settled + lost",
                    provider.address
                ));
            }
            settlement.transactions += s.settlement_txs;
            settlement.records += s.records;
            settlement.records_settled += s.records_settled;
            for (reason, n) in &s.failed {
                *settlement
                    .failed_by_reason
                    .entry(reason.clone())
                    .or_default() += n;
            }
            billed += s.billed;
            gas_used += s.gas_used;
            gas_cost += s.gas_cost;
        }
        if settlement.transactions > 0 {
            settlement.records_per_batch_mean =
                settlement.records as f64 / settlement.transactions as f64;
        }
        if let Some(amount) = self.lost_fees.get(UNEXPLAINED) {
            self.checker.violation(format!(
                "{amount} wei of fees lost with no fault to explain it"
            ));
        }
        for user in &self.users {
            for p in user.engaged() {
                if let Some(reason) = user.stopped(p) {
                    *self.users_stopped.entry(reason.into()).or_default() += 1;
                }
            }
        }
        let gas = (self.backend.name() != "in-process" && settlement.transactions > 0).then(|| {
            GasReport {
                per_settlement_tx: gas_used / settlement.transactions,
                per_record: gas_used / settlement.records.max(1),
                settlement_gas: gas_used,
                mean_gas_price: wei(gas_cost / U256::from(gas_used.max(1))),
                settlement_cost: wei(gas_cost),
                settlement_cost_share: if billed.is_zero() {
                    0.0
                } else {
                    wei(gas_cost) as f64 / wei(billed) as f64
                },
                total_cost: self.backend.gas_spent().map(wei).unwrap_or_default(),
            }
        });
        let seconds = self.settle_time.as_secs_f64();
        let c = self.config;
        Report {
            backend: self.backend.name().into(),
            config: ConfigReport {
                seed: c.seed,
                providers: c.providers,
                users: c.users,
                requests: c.requests,
                user_funds: wei(c.user_funds),
                batch_size: c.batch_size,
                tick: c.tick,
                fine_tuning_tasks: c.fine_tuning_tasks,
                faults: c.faults.names(),
            },
            requests: self.requests,
            providers,
            settlement,
            fine_tuning: self.fine_tuning,
            refunds: self.refunds,
            faults: FaultsReport {
                lost_fees: self
                    .lost_fees
                    .iter()
                    .map(|(k, v)| (k.clone(), wei(*v)))
                    .collect(),
                users_stopped: self.users_stopped,
            },
            invariants: InvariantsReport {
                checks: self.checker.checks,
                full_sweeps: self.checker.full_sweeps,
                violations: self.checker.violations,
            },
            gas,
            timing: Timing {
                wall_seconds: wall.as_secs_f64(),
                settlement_seconds: seconds,
                records_per_second: if seconds > 0.0 {
                    self.records_settled as f64 / seconds
                } else {
                    0.0
                },
            },
        }
    }
}

/// Wei as a report amount (saturating: no run comes near 2^128 wei).
fn wei(amount: U256) -> Wei {
    amount.try_into().unwrap_or(Wei::MAX)
}

mod checker;

pub use checker::Checker;
