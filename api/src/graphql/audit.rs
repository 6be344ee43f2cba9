//! The audit log in the API: admins only. Entries hold ids, codes and field names; never a
//! password, a token or anything that identifies a survivor.

use async_graphql::{Context, ID, InputObject, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_entry;

use super::{
    common::{
        PageRequest, PortalConnection, caller, connection, optional_id, page_args, services, to_id,
    },
    enums::{AuditOutcome, Role},
};
use crate::services::audit::AuditFilter;

/// One audited action.
pub struct AuditEntry(pub audit_entry::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The account that acted; null for the public (a failed sign-in of an unknown email).
    async fn actor_account_id(&self) -> Option<ID> {
        self.0.actor_account_id.map(to_id)
    }

    async fn actor_role(&self) -> Option<Role> {
        self.0.actor_role.map(Into::into)
    }

    async fn actor_organisation_id(&self) -> Option<ID> {
        self.0.actor_organisation_id.map(to_id)
    }

    /// Dotted action name, for example `auth.login_failed`, `account.disable` or
    /// `case.read_identifying`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// What was acted on, for example `referral_case`.
    async fn entity_type(&self) -> Option<&str> {
        self.0.entity_type.as_deref()
    }

    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.map(to_id)
    }

    async fn outcome(&self) -> AuditOutcome {
        self.0.outcome.into()
    }

    /// The request id, which the server's log lines carry too.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// Non-identifying details: changed field names, counts, reasons as codes.
    async fn detail(&self) -> Option<Json<serde_json::Value>> {
        self.0.detail.clone().map(Json)
    }
}

/// Filters of `auditLog`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    pub actor_account_id: Option<ID>,
    /// Entries by members of this organisation.
    pub organisation_id: Option<ID>,
    /// An action (`account.disable`), or a family of actions ending with a dot (`case.`).
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<ID>,
    pub outcome: Option<AuditOutcome>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, latest first. Admins only.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start, 1 to 100; 20 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor: the `endCursor` of the page before.")]
        after: Option<String>,
        #[graphql(desc = "Page size from the end, 1 to 100 (paging backward); not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor: the `startCursor` of the page after.")]
        before: Option<String>,
        filter: Option<AuditFilterInput>,
    ) -> Result<PortalConnection<AuditEntry>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let input = filter.unwrap_or_default();
        let filter = AuditFilter {
            actor_account_id: optional_id(input.actor_account_id, "filter.actorAccountId")?,
            organisation_id: optional_id(input.organisation_id, "filter.organisationId")?,
            action: input.action,
            entity_type: input.entity_type,
            entity_id: optional_id(input.entity_id, "filter.entityId")?,
            outcome: input.outcome.map(Into::into),
            from: input.from,
            until: input.until,
        };
        let page = services(ctx)?
            .audit_log()
            .list(caller(ctx)?, &filter, &args)
            .await?;
        Ok(connection(page, AuditEntry))
    }
}
