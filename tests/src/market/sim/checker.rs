//! The invariant checks of a run.

use super::*;

/// The invariants of the architecture page, checked on the chain's state:
/// - per user: ledger total = available + the user's sub-account balances
///   in both serving contracts;
/// - the ledger's token balance = the sum of all ledgers' totals; the
///   serving contracts hold nothing; no token appears or disappears
///   (wallets + ledger + gas spent stay constant);
/// - per sub-account: pending refund <= balance, the live refunds sum to
///   the pending refund, at most 30 of them;
/// - a nonce never goes down.
pub struct Checker {
    actors: Vec<Address>,
    providers: Vec<Address>,
    money: U256,
    totals: HashMap<Address, U256>,
    nonces: HashMap<(Address, Address, Kind), U256>,
    /// Checks made.
    pub checks: u64,
    /// What broke.
    pub violations: Vec<String>,
}

impl Checker {
    /// A checker for the wallets `actors` (users and providers) and the
    /// `providers`, taking the money they hold now as the total.
    pub fn new(
        backend: &mut dyn Backend,
        actors: Vec<Address>,
        providers: Vec<Address>,
    ) -> Outcome<Self> {
        let money = backend.contract_balances()?[0]
            + backend.gas_spent()?
            + backend.balances(&actors)?.into_iter().sum::<U256>();
        Ok(Self {
            actors,
            providers,
            money,
            totals: HashMap::new(),
            nonces: HashMap::new(),
            checks: 0,
            violations: Vec::new(),
        })
    }

    /// Records a violation (the first 1,000).
    pub fn violation(&mut self, what: String) {
        if self.violations.len() < 1_000 {
            self.violations.push(what);
        }
    }

    /// The per-user invariants of `user`.
    pub fn check_user(&mut self, backend: &mut dyn Backend, user: Address) -> Outcome<()> {
        self.checks += 1;
        let Some(ledger) = backend.ledger(user)? else {
            self.totals.remove(&user);
            return Ok(());
        };
        let mut sum = U256::ZERO;
        for kind in Kind::ALL {
            for i in 0..self.providers.len() {
                let provider = self.providers[i];
                let Some(account) = backend.account(user, provider, kind)? else {
                    continue;
                };
                let at = format!("{} account of {user} with {provider}", kind.service_type());
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
            }
        }
        if ledger.total != ledger.available + sum {
            self.violation(format!(
                "ledger of {user}: total {} != available {} + sub-accounts {sum}",
                ledger.total, ledger.available
            ));
        }
        self.totals.insert(user, ledger.total);
        Ok(())
    }

    /// The global invariants.
    pub fn check_global(&mut self, backend: &mut dyn Backend) -> Outcome<()> {
        self.checks += 1;
        let [ledger, inference, fine_tuning] = backend.contract_balances()?;
        let totals: U256 = self.totals.values().copied().sum();
        if ledger != totals {
            self.violation(format!(
                "the ledger holds {ledger} wei, its ledgers' totals sum to {totals}"
            ));
        }
        if !inference.is_zero() || !fine_tuning.is_zero() {
            self.violation(format!(
                "a serving contract holds value ({inference}, {fine_tuning})"
            ));
        }
        let money = ledger
            + backend.gas_spent()?
            + backend.balances(&self.actors)?.into_iter().sum::<U256>();
        if money != self.money {
            self.violation(format!(
                "money is not conserved: {money} wei now, {} at the start",
                self.money
            ));
        }
        Ok(())
    }
}
