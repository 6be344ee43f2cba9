//! Holds an account with a pending restriction (a one-time password to change, two-factor
//! enrolment due) to the root fields that let it meet it. The decision is the policy's
//! (`policy::allowed_while_restricted`); this module only applies it to every root field.

use async_graphql::{
    ServerResult,
    extensions::{ExtensionContext, ResolveInfo},
};

use super::common::RequestContext;
use crate::{auth::Restriction, error::ApiError, policy};

/// Refuses a root field to an account with a pending restriction, unless the policy lets it
/// through. Any other field passes at once: this runs for every field of every response.
///
/// # Errors
/// `ACTION_REQUIRED`, saying what to do first.
pub(super) fn check(ctx: &ExtensionContext<'_>, info: &ResolveInfo<'_>) -> ServerResult<()> {
    if info.path_node.parent.is_some() || info.is_for_introspection {
        return Ok(());
    }
    let restriction = ctx
        .data_opt::<RequestContext>()
        .and_then(|request| request.caller.actor.member())
        .and_then(|member| member.restriction);
    match restriction {
        Some(restriction) if !policy::allowed_while_restricted(restriction, info.name) => {
            let error = async_graphql::Error::from(restriction_error(restriction));
            Err(error.into_server_error(async_graphql::Pos::default()))
        }
        _ => Ok(()),
    }
}

/// The refusal of a root field to an account with `restriction` pending: what to do first.
/// (Subscriptions check it when they start, as this extension only runs per delivered item.)
pub fn restriction_error(restriction: Restriction) -> ApiError {
    ApiError::ActionRequired(match restriction {
        Restriction::MustChangePassword => "Change your one-time password first (changePassword).",
        Restriction::MustEnrolTotp => {
            "Admins must turn on two-factor authentication first (enrolTotp, then confirmTotp)."
        }
    })
}
