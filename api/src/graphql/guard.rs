//! Holds an account with a pending restriction (a one-time password to change, two-factor
//! enrolment due) to the root fields that let it meet it. The decision is the policy's
//! (`policy::allowed_while_restricted`); this extension only applies it to every root field.

use std::sync::Arc;

use async_graphql::{
    ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};

use super::common::RequestContext;
use crate::{auth::Restriction, error::ApiError, policy};

/// Factory of [`RestrictionGateExtension`].
pub struct RestrictionGate;

impl ExtensionFactory for RestrictionGate {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RestrictionGateExtension)
    }
}

/// See the module documentation.
pub struct RestrictionGateExtension;

#[async_trait::async_trait]
impl Extension for RestrictionGateExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let root = info.path_node.parent.is_none();
        let restriction = ctx
            .data_opt::<RequestContext>()
            .and_then(|request| request.caller.actor.member())
            .and_then(|member| member.restriction);
        if root
            && !info.is_for_introspection
            && let Some(restriction) = restriction
            && !policy::allowed_while_restricted(restriction, info.name)
        {
            let error = async_graphql::Error::from(restriction_error(restriction));
            return Err(error.into_server_error(async_graphql::Pos::default()));
        }
        next.run(ctx, info).await
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
