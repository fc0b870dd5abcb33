//! The invariant checks of a run.

use super::*;

/// The invariants of the architecture page, checked on the chain's state:
/// - per user: ledger total = available + the user's sub-account balances
///   in both serving contracts;
/// - the ledger's token balance = the sum of all ledgers' totals = the
///   available balances + each serving contract's escrow; each escrow =
///   that contract's sub-account balances; the serving contracts hold
///   nothing; no token appears or disappears (wallets + ledger + gas spent
///   stay constant);
/// - per sub-account: pending refund <= balance, the live refunds sum to
///   the pending refund, at most 30 of them;
/// - a nonce never goes down.
///
/// After an operation, the users it touched are checked and the global sums
/// are checked incrementally: the sum of the ledgers' totals and of the
/// wallets' balances are kept up to date from the users checked and the
/// providers (whom settlements pay), so a check costs the same whatever the
/// number of users; a user's check reads the sub-accounts its ledger lists
/// (one missing from the list would break the user's sum). Every 1,000
/// checks, or ten per user if that is more, and at the end, a full sweep
/// checks every user and reads every wallet again.
pub struct Checker {
    actors: Vec<Address>,
    users: Vec<Address>,
    providers: Vec<Address>,
    money: U256,
    /// Per user: ledger total, available, and held in each kind's
    /// sub-accounts; and their running sums over all users.
    parts: HashMap<Address, [U256; 4]>,
    parts_sum: [U256; 4],
    balances: HashMap<Address, U256>,
    balances_sum: U256,
    nonces: HashMap<(Address, Address, Kind), U256>,
    /// Checks made.
    pub checks: u64,
    /// Full sweeps made.
    pub full_sweeps: u64,
    /// What broke.
    pub violations: Vec<String>,
}

/// Global checks between two full sweeps, at least.
const FULL_SWEEP_EVERY: u64 = 1_000;

impl Checker {
    /// A checker for the wallets `actors` (users and providers) and the
    /// `providers`, taking the money they hold now as the total.
    pub fn new(
        backend: &mut dyn Backend,
        actors: Vec<Address>,
        providers: Vec<Address>,
    ) -> Outcome<Self> {
        let wallets = backend.balances(&actors)?;
        let balances_sum = wallets.iter().copied().sum::<U256>();
        let money = backend.contract_balances()?[0] + backend.gas_spent()? + balances_sum;
        let users = actors
            .iter()
            .copied()
            .filter(|a| !providers.contains(a))
            .collect();
        Ok(Self {
            balances: actors.iter().copied().zip(wallets).collect(),
            balances_sum,
            actors,
            users,
            providers,
            money,
            parts: HashMap::new(),
            parts_sum: [U256::ZERO; 4],
            nonces: HashMap::new(),
            checks: 0,
            full_sweeps: 0,
            violations: Vec::new(),
        })
    }

    /// Checks `touched` (the users an operation changed) and the global
    /// invariants, with a full sweep every [`FULL_SWEEP_EVERY`] checks.
    pub fn check(&mut self, backend: &mut dyn Backend, touched: &[Address]) -> Outcome<()> {
        for user in touched {
            self.check_user(backend, *user)?;
        }
        let every = FULL_SWEEP_EVERY.max(10 * self.users.len() as u64);
        if self.checks / every != (self.checks + 1) / every {
            return self.full_sweep(backend);
        }
        let providers = self.providers.clone();
        self.refresh_balances(backend, &[touched, &providers].concat())?;
        self.check_global(backend)
    }

    /// Every user checked and every wallet read again, then the global
    /// invariants.
    pub fn full_sweep(&mut self, backend: &mut dyn Backend) -> Outcome<()> {
        self.full_sweeps += 1;
        for user in self.users.clone() {
            self.check_user(backend, user)?;
        }
        let sum = self.parts.values().fold([U256::ZERO; 4], |mut sum, parts| {
            sum.iter_mut().zip(parts).for_each(|(s, p)| *s += *p);
            sum
        });
        if sum != self.parts_sum {
            self.violation(format!(
                "the running sums of the ledgers {:?} drifted from {sum:?}",
                self.parts_sum
            ));
            self.parts_sum = sum;
        }
        let actors = self.actors.clone();
        self.refresh_balances(backend, &actors)?;
        self.check_global(backend)
    }

    /// Records `user`'s ledger total, available balance and sub-account
    /// sums per kind in the running sums (`None`: the user has no ledger).
    fn set_parts(&mut self, user: Address, parts: Option<[U256; 4]>) {
        let old = match parts {
            Some(parts) => self.parts.insert(user, parts),
            None => self.parts.remove(&user),
        };
        for (i, sum) in self.parts_sum.iter_mut().enumerate() {
            *sum = *sum - old.map_or(U256::ZERO, |o| o[i]) + parts.map_or(U256::ZERO, |p| p[i]);
        }
    }

    /// Reads the wallets of `actors` again into the running sum.
    fn refresh_balances(&mut self, backend: &mut dyn Backend, actors: &[Address]) -> Outcome<()> {
        for (actor, balance) in actors.iter().zip(backend.balances(actors)?) {
            if let Some(old) = self.balances.insert(*actor, balance) {
                self.balances_sum -= old;
            }
            self.balances_sum += balance;
        }
        Ok(())
    }

    /// Records a violation (the first 1,000).
    pub fn violation(&mut self, what: String) {
        if self.violations.len() < 1_000 {
            self.violations.push(what);
        }
    }

    /// The per-user invariants of `user`.
    fn check_user(&mut self, backend: &mut dyn Backend, user: Address) -> Outcome<()> {
        self.checks += 1;
        let Some(ledger) = backend.ledger(user)? else {
            self.set_parts(user, None);
            return Ok(());
        };
        let mut sum = U256::ZERO;
        let mut held = [U256::ZERO; 2];
        for (kind, providers) in Kind::ALL.into_iter().zip(&ledger.providers) {
            for &provider in providers {
                let at = format!("{} account of {user} with {provider}", kind.service_type());
                let Some(account) = backend.account(SubAccount::new(user, provider, kind))? else {
                    self.violation(format!("{at}: listed by the ledger, missing"));
                    continue;
                };
                if account.pending_refund > account.balance {
                    self.violation(format!("{at}: pending refund above the balance"));
                }
                if account.refunds.iter().copied().sum::<U256>() != account.pending_refund {
                    self.violation(format!(
                        "{at}: live refunds do not sum to the pending refund"
                    ));
                }
                if account.refunds.len() > 30 {
                    self.violation(format!("{at}: more than 30 refunds"));
                }
                let last = self.nonces.entry((user, provider, kind)).or_default();
                if account.nonce < *last {
                    let was = *last;
                    self.violation(format!(
                        "{at}: nonce went down from {was} to {}",
                        account.nonce
                    ));
                } else {
                    *last = account.nonce;
                }
                sum += account.balance;
                held[usize::from(kind == Kind::FineTuning)] += account.balance;
            }
        }
        self.set_parts(
            user,
            Some([ledger.total, ledger.available, held[0], held[1]]),
        );
        if ledger.total != ledger.available + sum {
            self.violation(format!(
                "ledger of {user}: total {} != available {} + sub-accounts {sum}",
                ledger.total, ledger.available
            ));
        }
        Ok(())
    }

    /// The global invariants, from the running sums.
    fn check_global(&mut self, backend: &mut dyn Backend) -> Outcome<()> {
        self.checks += 1;
        let [ledger, inference, fine_tuning] = backend.contract_balances()?;
        let [totals, available, held_inference, held_fine_tuning] = self.parts_sum;
        if ledger != totals {
            self.violation(format!(
                "the ledger holds {ledger} wei, its ledgers' totals sum to {totals}"
            ));
        }
        let escrows = backend.escrows()?;
        if escrows != [held_inference, held_fine_tuning] {
            self.violation(format!(
                "the escrows {escrows:?} are not what the sub-accounts hold \
                 ({held_inference}, {held_fine_tuning})"
            ));
        }
        if ledger != available + escrows[0] + escrows[1] {
            self.violation(format!(
                "the ledger holds {ledger} wei, not the available balances {available} plus \
                 the escrows {escrows:?}"
            ));
        }
        if !inference.is_zero() || !fine_tuning.is_zero() {
            self.violation(format!(
                "a serving contract holds value ({inference}, {fine_tuning})"
            ));
        }
        let money = ledger + backend.gas_spent()? + self.balances_sum;
        if money != self.money {
            self.violation(format!(
                "money is not conserved: {money} wei now, {} at the start",
                self.money
            ));
        }
        Ok(())
    }
}
