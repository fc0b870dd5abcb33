//! What a simulation run reports: the same content as text (for people) and
//! JSON (for tools). Everything but [`Timing`] depends only on the
//! configuration and the seed.

use std::{collections::BTreeMap, fmt};

use serde::Serialize;

/// Amounts in wei (u128 holds 3.4e38 wei, far above any run's money).
pub type Wei = u128;

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Where the contracts ran ("in-process" or "rpc").
    pub backend: String,
    /// The run's parameters.
    pub config: ConfigReport,
    /// Requests sent by users.
    pub requests: RequestsReport,
    /// Per provider.
    pub providers: Vec<ProviderReport>,
    /// Settlement transactions, all providers.
    pub settlement: SettlementReport,
    /// Fine-tuning tasks.
    pub fine_tuning: FineTuningReport,
    /// The users' exit: refunds after the lock.
    pub refunds: RefundsReport,
    /// Fees lost, by the fault that explains them ("unexplained" must not
    /// appear), and the faults' effects.
    pub faults: FaultsReport,
    /// The invariants of the architecture page.
    pub invariants: InvariantsReport,
    /// Gas on a real chain (absent in process).
    pub gas: Option<GasReport>,
    /// Wall-clock measurements (not reproducible, unlike the rest).
    pub timing: Timing,
}

/// The run's parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConfigReport {
    /// Seed of every random choice.
    pub seed: u64,
    /// Providers.
    pub providers: usize,
    /// Users.
    pub users: usize,
    /// Requests sent.
    pub requests: u64,
    /// Wei each user deposits.
    pub user_funds: Wei,
    /// Records per settlement transaction the engine aims for.
    pub batch_size: usize,
    /// Requests between two settlement-engine ticks.
    pub tick: u64,
    /// Fine-tuning tasks.
    pub fine_tuning_tasks: usize,
    /// Faults switched on.
    pub faults: Vec<String>,
}

/// Requests.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestsReport {
    /// Sent by users.
    pub sent: u64,
    /// Answered and billed.
    pub served: u64,
    /// Answers whose signature the user rejected.
    pub rejected_responses: u64,
    /// Not served, by reason.
    pub refused: BTreeMap<String, u64>,
    /// Sub-account top-ups users made to keep being served.
    pub top_ups: u64,
}

/// One provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProviderReport {
    /// Its address.
    pub address: String,
    /// Requests served.
    pub served: u64,
    /// Inference fees billed.
    pub billed: Wei,
    /// Inference fees settled on chain.
    pub settled: Wei,
    /// Fees whose record failed, by the contract's reason.
    pub lost: BTreeMap<String, Wei>,
    /// Billed but in no record at the end (must be zero).
    pub unsettled: Wei,
    /// settleFeesWithTEE transactions.
    pub settlement_txs: u64,
    /// Records sent.
    pub records: u64,
    /// Records settled.
    pub records_settled: u64,
    /// Fine-tuning fees settled.
    pub fine_tuning_settled: Wei,
    /// Users it stopped serving, by reason.
    pub stopped_users: BTreeMap<String, u64>,
}

/// Settlement, all providers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SettlementReport {
    /// settleFeesWithTEE transactions (replays excluded).
    pub transactions: u64,
    /// Records sent in them.
    pub records: u64,
    /// Records settled.
    pub records_settled: u64,
    /// Mean records per transaction.
    pub records_per_batch_mean: f64,
    /// Smallest batch.
    pub records_per_batch_min: u64,
    /// Largest batch.
    pub records_per_batch_max: u64,
    /// Failed records by reason.
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Batches sent again (fault `replay`).
    pub replayed_batches: u64,
    /// Their records that settled (must be zero).
    pub replayed_records_settled: u64,
}

/// Fine-tuning.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FineTuningReport {
    /// Tasks ordered.
    pub tasks: u64,
    /// Deliverables the user acknowledged (full fee).
    pub acknowledged: u64,
    /// Deliverables never acknowledged (penalty).
    pub penalized: u64,
    /// Tasks skipped because the user could not pay.
    pub skipped: u64,
    /// Fees settled.
    pub settled: Wei,
}

/// Refunds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RefundsReport {
    /// retrieveFund calls.
    pub retrievals: u64,
    /// Users who retrieved while requests were in flight (fault
    /// `early-retrieval`).
    pub early_retrievals: u64,
    /// Wei users got back to their wallets at the end.
    pub refunded: Wei,
    /// Wei left in the ledger at the end (must be zero).
    pub left_in_ledger: Wei,
}

/// Faults.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FaultsReport {
    /// Fees lost, by the fault that explains them.
    pub lost_fees: BTreeMap<String, Wei>,
    /// Users who stopped using a provider, by reason.
    pub users_stopped: BTreeMap<String, u64>,
}

/// Invariants.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InvariantsReport {
    /// Checks made (each: one user's ledger and sub-accounts, or the
    /// global sums), after every state-changing operation.
    pub checks: u64,
    /// Full sweeps (every user and every wallet), every 1,000 checks (or
    /// ten per user) and at the end.
    pub full_sweeps: u64,
    /// What broke (empty: all held).
    pub violations: Vec<String>,
}

/// Gas on a real chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GasReport {
    /// Mean gas per settlement transaction.
    pub per_settlement_tx: u64,
    /// Mean gas per record.
    pub per_record: u64,
    /// Gas of every settlement transaction (replays excluded): the cost at
    /// another gas price is this times that price.
    pub settlement_gas: u64,
    /// What a unit of settlement gas cost, on average, in wei.
    pub mean_gas_price: Wei,
    /// What settlement transactions cost, in wei.
    pub settlement_cost: Wei,
    /// Settlement cost as a share of the inference fees billed.
    pub settlement_cost_share: f64,
    /// Every transaction of the run, in wei.
    pub total_cost: Wei,
}

/// Wall-clock measurements.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timing {
    /// The whole run, seconds.
    pub wall_seconds: f64,
    /// Inside settleFeesWithTEE calls, seconds.
    pub settlement_seconds: f64,
    /// Records settled per second of settlement calls.
    pub records_per_second: f64,
}

impl Report {
    /// Whether every invariant held and no fee was lost without a fault
    /// to explain it.
    pub fn passed(&self) -> bool {
        self.invariants.violations.is_empty()
    }

    /// The report without its timings: equal for equal seeds.
    pub fn reproducible(&self) -> Report {
        Report {
            timing: Timing::default(),
            ..self.clone()
        }
    }
}

/// Wei as ether with up to 9 decimals.
fn ether(wei: Wei) -> String {
    let gwei = wei / 1_000_000_000;
    format!("{}.{:09} ETH", gwei / 1_000_000_000, gwei % 1_000_000_000)
}

fn counts<T: fmt::Display>(map: &BTreeMap<String, T>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        writeln!(f, "market simulation ({}), seed {}", self.backend, c.seed)?;
        writeln!(
            f,
            "  {} providers, {} users, {} requests, {} per user, batches of {}, tick {} requests, {} fine-tuning tasks, faults: {}",
            c.providers,
            c.users,
            c.requests,
            ether(c.user_funds),
            c.batch_size,
            c.tick,
            c.fine_tuning_tasks,
            if c.faults.is_empty() { "none".into() } else { c.faults.join(", ") }
        )?;
        let r = &self.requests;
        writeln!(
            f,
            "requests: {} sent, {} served, {} responses rejected, {} top-ups",
            r.sent, r.served, r.rejected_responses, r.top_ups
        )?;
        writeln!(f, "  refused: {}", counts(&r.refused))?;
        writeln!(f, "providers:")?;
        for p in &self.providers {
            writeln!(
                f,
                "  {}: served {}, billed {}, settled {}, unsettled {}, {} txs, {}/{} records settled, fine-tuning {}",
                p.address,
                p.served,
                ether(p.billed),
                ether(p.settled),
                ether(p.unsettled),
                p.settlement_txs,
                p.records_settled,
                p.records,
                ether(p.fine_tuning_settled)
            )?;
            if !p.lost.is_empty() {
                let lost: BTreeMap<String, String> =
                    p.lost.iter().map(|(k, v)| (k.clone(), ether(*v))).collect();
                writeln!(f, "    lost: {}", counts(&lost))?;
            }
            if !p.stopped_users.is_empty() {
                writeln!(f, "    stopped serving: {}", counts(&p.stopped_users))?;
            }
        }
        let s = &self.settlement;
        writeln!(
            f,
            "settlement: {} transactions, {} records ({} settled), records per batch mean {:.1} (min {}, max {})",
            s.transactions, s.records, s.records_settled, s.records_per_batch_mean, s.records_per_batch_min, s.records_per_batch_max
        )?;
        writeln!(f, "  failed records: {}", counts(&s.failed_by_reason))?;
        if s.replayed_batches > 0 {
            writeln!(
                f,
                "  replayed batches: {}, their records settled: {}",
                s.replayed_batches, s.replayed_records_settled
            )?;
        }
        let t = &self.fine_tuning;
        writeln!(
            f,
            "fine-tuning: {} tasks, {} acknowledged, {} penalized, {} skipped, settled {}",
            t.tasks,
            t.acknowledged,
            t.penalized,
            t.skipped,
            ether(t.settled)
        )?;
        let x = &self.refunds;
        writeln!(
            f,
            "refunds: {} retrievals ({} early), {} back to wallets, {} left in the ledger",
            x.retrievals,
            x.early_retrievals,
            ether(x.refunded),
            ether(x.left_in_ledger)
        )?;
        let lost: BTreeMap<String, String> = self
            .faults
            .lost_fees
            .iter()
            .map(|(k, v)| (k.clone(), ether(*v)))
            .collect();
        writeln!(
            f,
            "faults: fees lost {}; users stopped: {}",
            counts(&lost),
            counts(&self.faults.users_stopped)
        )?;
        if let Some(g) = &self.gas {
            writeln!(
                f,
                "gas: {} per settlement tx, {} per record; settlement cost {} = {:.2}% of fees billed at a mean {} wei per gas; all transactions {}",
                g.per_settlement_tx,
                g.per_record,
                ether(g.settlement_cost),
                g.settlement_cost_share * 100.0,
                g.mean_gas_price,
                ether(g.total_cost)
            )?;
        }
        let i = &self.invariants;
        if i.violations.is_empty() {
            writeln!(
                f,
                "invariants: {} checks ({} full sweeps), all held",
                i.checks, i.full_sweeps
            )?;
        } else {
            writeln!(
                f,
                "invariants: {} checks ({} full sweeps), {} VIOLATED:",
                i.checks,
                i.full_sweeps,
                i.violations.len()
            )?;
            for v in i.violations.iter().take(20) {
                writeln!(f, "  {v}")?;
            }
        }
        let w = &self.timing;
        write!(
            f,
            "time: {:.2} s wall, {:.2} s in settlement, {:.0} records settled per second",
            w.wall_seconds, w.settlement_seconds, w.records_per_second
        )
    }
}
