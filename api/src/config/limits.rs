//! What clients may spend and keep: query-cost budgets and persisted queries.

use super::reader::Reader;
use crate::{
    rate_limit::CostBudgets,
    services::persisted_queries::{DEFAULT_MAX_REGISTERED, PersistedQuerySettings},
};

/// The limits on what clients ask of the server.
#[derive(Clone, Copy, Debug)]
pub struct LimitSettings {
    /// Query cost allowed per minute per account and per client address.
    pub cost_budgets: CostBudgets,
    /// Automatic persisted queries, or the operator's list only
    /// (`PORTAL_PERSISTED_QUERIES_ONLY`, `PORTAL_PERSISTED_QUERIES_MAX`).
    pub persisted_queries: PersistedQuerySettings,
}

/// Reads `PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE`, `PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE`,
/// `PORTAL_PERSISTED_QUERIES_ONLY` and `PORTAL_PERSISTED_QUERIES_MAX`.
pub(super) fn read(reader: &Reader<'_>) -> anyhow::Result<LimitSettings> {
    let defaults = CostBudgets::default();
    let cost_budgets = CostBudgets {
        per_account: reader.number(
            "PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE",
            defaults.per_account,
            ..,
            "a positive number",
        )?,
        per_address: reader.number(
            "PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE",
            defaults.per_address,
            ..,
            "a positive number",
        )?,
    };
    let persisted_queries = PersistedQuerySettings {
        only_listed: reader.flag("PORTAL_PERSISTED_QUERIES_ONLY", false)?,
        max_registered: reader.number(
            "PORTAL_PERSISTED_QUERIES_MAX",
            DEFAULT_MAX_REGISTERED,
            1..=1_000_000,
            "a number, 1 to 1000000",
        )?,
    };
    Ok(LimitSettings {
        cost_budgets,
        persisted_queries,
    })
}
