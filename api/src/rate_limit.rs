//! Budgets of query cost per minute: one per signed-in account, one per client address (every
//! request, signed in or not). A request costs the complexity of its validated operation, the
//! number `MAX_COMPLEXITY` bounds (each field 1, a connection `first ×` its node), and at least
//! 1: an unparsable document costs 1 too.
//!
//! The budgets are kept in this process's memory (`governor`'s keyed token buckets), not in the
//! database: checking a budget in the database would add a write to every request, which is
//! the load the limit is there to bound. With several server processes behind one balancer a
//! client may spend up to the budget on each; `docs/SECURITY.md` says so. What must hold for
//! all processes (the account lock after failed sign-ins) is in the database.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use uuid::Uuid;

use crate::{auth::Actor, metrics::Metrics};

/// Query cost allowed per minute: the configuration of [`CostLimiter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostBudgets {
    /// Per signed-in account (`PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE`).
    pub per_account: NonZeroU32,
    /// Per client address (`PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE`).
    pub per_address: NonZeroU32,
}

/// The default budget of an account: ten queries at the complexity limit (25,000), or about
/// a thousand of the portal's usual pages (which cost 20 to 300), per minute.
pub const DEFAULT_ACCOUNT_COST_PER_MINUTE: u32 = 250_000;

/// The default budget of an address: four accounts' worth, since an office (the Programme
/// Office, a ministry) reaches the portal through one address.
pub const DEFAULT_ADDRESS_COST_PER_MINUTE: u32 = 1_000_000;

impl Default for CostBudgets {
    fn default() -> Self {
        Self {
            per_account: NonZeroU32::new(DEFAULT_ACCOUNT_COST_PER_MINUTE)
                .unwrap_or(NonZeroU32::MIN),
            per_address: NonZeroU32::new(DEFAULT_ADDRESS_COST_PER_MINUTE)
                .unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// Which budget refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    /// The label of `/metrics`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Address => "address",
        }
    }
}

/// A request over budget: which budget, and how long until it holds the request's cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverBudget {
    pub scope: Scope,
    pub retry_after_secs: u64,
}

/// The budgets of this process; cheap to clone.
#[derive(Clone)]
pub struct CostLimiter(Arc<Inner>);

struct Inner {
    budgets: CostBudgets,
    accounts: DefaultKeyedRateLimiter<Uuid>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    metrics: Metrics,
    /// Charges since the last sweep of idle keys.
    charges: AtomicU32,
}

impl std::fmt::Debug for CostLimiter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CostLimiter")
            .field("budgets", &self.0.budgets)
            .finish_non_exhaustive()
    }
}

/// How many charges pass between sweeps of the keys whose buckets are full again (so that
/// the maps hold only recent clients).
const SWEEP_EVERY: u32 = 4096;

impl CostLimiter {
    /// Full budgets for everyone; refusals are counted in `metrics`.
    pub fn new(budgets: CostBudgets, metrics: Metrics) -> Self {
        Self(Arc::new(Inner {
            budgets,
            accounts: RateLimiter::keyed(Quota::per_minute(budgets.per_account)),
            addresses: RateLimiter::keyed(Quota::per_minute(budgets.per_address)),
            metrics,
            charges: AtomicU32::new(0),
        }))
    }

    /// Takes `cost` from the budget of `address` and, when signed in, of the account.
    ///
    /// A cost larger than a whole budget is taken as the whole budget: such a request passes
    /// when the budget is full and empties it. The address is charged first; when the account
    /// then refuses, the address's share stays spent (the buckets cannot be charged together).
    ///
    /// # Errors
    /// The budget that cannot pay `cost` now, and when it will.
    pub fn charge(
        &self,
        actor: &Actor,
        address: Option<IpAddr>,
        cost: u32,
    ) -> Result<(), OverBudget> {
        self.charge_more(actor, address, cost, 0)
    }

    /// As [`CostLimiter::charge`], for the rest of the cost of a request of which `paid` was
    /// charged already: the request never takes more than a whole budget in all.
    ///
    /// # Errors
    /// As [`CostLimiter::charge`].
    pub fn charge_more(
        &self,
        actor: &Actor,
        address: Option<IpAddr>,
        cost: u32,
        paid: u32,
    ) -> Result<(), OverBudget> {
        let inner = &self.0;
        let within =
            |budget: NonZeroU32| NonZeroU32::new(cost.min(budget.get().saturating_sub(paid)));
        if inner.charges.fetch_add(1, Ordering::Relaxed) >= SWEEP_EVERY {
            inner.charges.store(0, Ordering::Relaxed);
            inner.accounts.retain_recent();
            inner.addresses.retain_recent();
        }
        if let (Some(address), Some(cost)) = (address, within(inner.budgets.per_address)) {
            take(&inner.addresses, &address, cost)
                .map_err(|wait| self.refused(Scope::Address, wait))?;
        }
        if let (Some(member), Some(cost)) = (actor.member(), within(inner.budgets.per_account)) {
            take(&inner.accounts, &member.account_id, cost)
                .map_err(|wait| self.refused(Scope::Account, wait))?;
        }
        Ok(())
    }

    fn refused(&self, scope: Scope, wait: std::time::Duration) -> OverBudget {
        self.0.metrics.rate_limited(scope.label());
        // Whole seconds, rounded up: a client that waits as told is served.
        let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        OverBudget {
            scope,
            retry_after_secs: retry_after_secs.max(1),
        }
    }
}

/// Takes `cost` (at most the bucket's size) from `key`'s bucket, or says how long to wait.
fn take<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    cost: NonZeroU32,
) -> Result<(), std::time::Duration> {
    match limiter.check_key_n(key, cost) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(not_until)) => {
            Err(not_until.wait_time_from(governor::clock::DefaultClock::default().now()))
        }
        // Cannot happen: the cost is capped at the bucket's size. Refuse for a minute.
        Err(_) => Err(std::time::Duration::from_secs(60)),
    }
}

#[cfg(test)]
mod tests {
    use entity::enums::{Language, Role};

    use super::*;
    use crate::{auth::Member, db::StatementCounter};

    fn member() -> Actor {
        Actor::Member(Member {
            account_id: Uuid::now_v7(),
            role: Role::Staff,
            organisation_id: None,
            session_family: Uuid::now_v7(),
            restriction: None,
            preferred_language: Language::En,
        })
    }

    fn limiter(account: u32, address: u32) -> CostLimiter {
        let budgets = CostBudgets {
            per_account: NonZeroU32::new(account).expect("positive"),
            per_address: NonZeroU32::new(address).expect("positive"),
        };
        CostLimiter::new(
            budgets,
            Metrics::new(&StatementCounter::default()).expect("metrics"),
        )
    }

    #[test]
    fn an_account_over_budget_is_refused_alone() {
        let limiter = limiter(100, 1000);
        let (first, second) = (member(), member());
        let here = "192.0.2.1".parse().ok();

        assert_eq!(limiter.charge(&first, here, 60), Ok(()));
        let refused = limiter.charge(&first, here, 60);
        assert!(
            matches!(refused, Err(OverBudget { scope: Scope::Account, retry_after_secs }) if (1..=60).contains(&retry_after_secs)),
            "{refused:?}"
        );
        assert_eq!(limiter.charge(&second, here, 60), Ok(()));
        assert_eq!(limiter.charge(&Actor::Anonymous, here, 60), Ok(()));
    }

    #[test]
    fn an_address_over_budget_is_refused_alone() {
        let limiter = limiter(1000, 100);
        let (here, there) = ("192.0.2.1".parse().ok(), "192.0.2.2".parse().ok());

        assert_eq!(limiter.charge(&Actor::Anonymous, here, 100), Ok(()));
        assert!(matches!(
            limiter.charge(&member(), here, 1),
            Err(OverBudget {
                scope: Scope::Address,
                ..
            })
        ));
        assert_eq!(limiter.charge(&Actor::Anonymous, there, 1), Ok(()));
    }

    #[test]
    fn a_cost_over_the_whole_budget_empties_it() {
        let limiter = limiter(100, 1000);
        let actor = member();

        assert_eq!(limiter.charge(&actor, None, 5000), Ok(()));
        assert!(limiter.charge(&actor, None, 1).is_err());

        let other = member();
        assert_eq!(limiter.charge(&other, None, 1), Ok(()));
        assert_eq!(limiter.charge_more(&other, None, 5000, 1), Ok(()));
        assert!(limiter.charge(&other, None, 1).is_err());
    }
}
