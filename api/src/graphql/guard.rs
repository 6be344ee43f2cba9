//! Holds an account with a pending restriction (a one-time password to change, two-factor
//! enrolment due) to the root fields that let it meet it. The decision is the policy's
//! (`policy::check_restriction`); this module only applies it to every root field.
//! (Subscriptions check it when they start, as this extension only runs per delivered item.)

use async_graphql::{
    ServerResult,
    extensions::{ExtensionContext, ResolveInfo},
};

use super::common::RequestContext;
use crate::policy;

/// Refuses a root field to an account with a pending restriction, unless the policy lets it
/// through. Any other field passes at once: this runs for every field of every response.
///
/// # Errors
/// `ACTION_REQUIRED`, saying what to do first.
pub(super) fn check(ctx: &ExtensionContext<'_>, info: &ResolveInfo<'_>) -> ServerResult<()> {
    if info.path_node.parent.is_some() || info.is_for_introspection {
        return Ok(());
    }
    let Some(request) = ctx.data_opt::<RequestContext>() else {
        return Ok(());
    };
    policy::check_restriction(&request.caller.actor, info.name).map_err(|error| {
        async_graphql::Error::from(error).into_server_error(async_graphql::Pos::default())
    })
}
