//! Charges every operation its cost against the rate-limit budgets of its account and client
//! address (see [`crate::rate_limit`]): 1 as soon as it arrives, then the rest of its
//! complexity once it is validated (the complexity the schema's `limit_complexity` checks).
//! Over budget, the request is refused unexecuted with `RATE_LIMITED`, a message that says
//! when to come back, and `extensions.retryAfterSeconds`.
//!
//! The limiter and the caller come with the request's data (HTTP) or the connection's
//! (WebSocket); a schema used without them (the SDL export, unit tests) charges nothing.

use std::any::TypeId;

use async_graphql::{
    Request, ServerError, ServerResult, ValidationResult, extensions::ExtensionContext,
};

use super::common::RequestContext;
use crate::{
    error::ApiError,
    rate_limit::{CostLimiter, OverBudget},
};

/// The refusal: about the whole request, so without a location in the document.
fn refusal(over: OverBudget) -> ServerError {
    let error = async_graphql::Error::from(ApiError::RateLimited {
        retry_after_secs: over.retry_after_secs,
    });
    let mut refusal = ServerError::new(error.message, None);
    refusal.extensions = error.extensions;
    refusal
}

/// Charges `cost` of which `paid` was charged before.
fn charge(
    limiter: Option<&CostLimiter>,
    caller: Option<&RequestContext>,
    cost: usize,
    paid: u32,
) -> Result<(), ServerError> {
    let (Some(limiter), Some(context)) = (limiter, caller) else {
        return Ok(());
    };
    let cost = u32::try_from(cost).unwrap_or(u32::MAX);
    limiter
        .charge_more(&context.caller.actor, context.caller.client_ip, cost, paid)
        .map_err(refusal)
}

/// Charges 1 for an operation as it arrives (before it is parsed).
///
/// # Errors
/// `RATE_LIMITED` when a budget is spent.
pub(super) fn on_arrival(ctx: &ExtensionContext<'_>, request: &Request) -> ServerResult<()> {
    // The request's own data is not attached to `ctx` yet at this stage.
    fn of<'a, T: Send + Sync + 'static>(
        request: &'a Request,
        ctx: &ExtensionContext<'a>,
    ) -> Option<&'a T> {
        request
            .data
            .get(&TypeId::of::<T>())
            .and_then(|data| data.downcast_ref::<T>())
            .or_else(|| ctx.data_opt::<T>())
    }
    charge(of(request, ctx), of(request, ctx), 1, 0)
}

/// Charges the rest of a validated operation's complexity (1 was charged on arrival).
///
/// # Errors
/// `RATE_LIMITED` when a budget is spent.
pub(super) fn on_validated(
    ctx: &ExtensionContext<'_>,
    result: &ValidationResult,
) -> Result<(), Vec<ServerError>> {
    let rest = result.complexity.max(1) - 1;
    charge(ctx.data_opt(), ctx.data_opt(), rest, 1).map_err(|error| vec![error])
}
