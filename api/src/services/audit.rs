//! The audit log: append-only, written in the same transaction as the change it records.
//! Entries carry ids, codes and field names, never a password, a token or a survivor's data.

use chrono::{DateTime, Utc};
use entity::{audit_entry, enums::AuditOutcome};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde_json::Value;
use uuid::Uuid;

use super::pagination::{KeyKind, KeysetOrder, Page, PageArgs};
use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    policy,
};

/// One audited action.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    /// Dotted action name, for example `account.disable`.
    pub action: &'static str,
    pub entity_type: Option<&'static str>,
    pub entity_id: Option<Uuid>,
    pub outcome: AuditOutcome,
    /// Non-identifying details: changed field names, counts, reasons as codes.
    pub detail: Option<Value>,
}

impl AuditRecord {
    /// A successful action on an entity.
    pub fn success(action: &'static str, entity_type: &'static str, entity_id: Uuid) -> Self {
        Self {
            action,
            entity_type: Some(entity_type),
            entity_id: Some(entity_id),
            outcome: AuditOutcome::Success,
            detail: None,
        }
    }

    /// Adds details.
    #[must_use]
    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Changes the outcome.
    #[must_use]
    pub fn with_outcome(mut self, outcome: AuditOutcome) -> Self {
        self.outcome = outcome;
        self
    }
}

/// Appends `record`, made by `caller`, on `conn` (a transaction when it records a change).
///
/// A successful change made under an `Idempotency-Key` also marks the request's claim here,
/// in the change's transaction: this is what makes a retry after a crash see that the change
/// committed (see [`super::idempotency`]).
///
/// # Errors
/// Database errors; the caller's transaction then rolls back with the change.
pub async fn record(
    conn: &impl ConnectionTrait,
    caller: &Caller,
    record: AuditRecord,
) -> Result<(), DbErr> {
    record_as(conn, caller, None, record).await
}

/// As [`record`], naming the account acted for when the caller is not signed in (a login).
///
/// # Errors
/// Database errors.
pub async fn record_as(
    conn: &impl ConnectionTrait,
    caller: &Caller,
    account: Option<(Uuid, entity::enums::Role, Option<Uuid>)>,
    record: AuditRecord,
) -> Result<(), DbErr> {
    if let Some(claim) = &caller.idempotency
        && record.outcome == AuditOutcome::Success
    {
        super::idempotency::mark_committed(conn, claim, &record).await?;
    }
    let (actor_account_id, actor_role, actor_organisation_id) = match (&caller.actor, account) {
        (Actor::Member(member), _) => (
            Some(member.account_id),
            Some(member.role),
            member.organisation_id,
        ),
        (Actor::Anonymous, Some((id, role, organisation))) => (Some(id), Some(role), organisation),
        (Actor::Anonymous, None) => (None, None, None),
    };
    audit_entry::Model {
        id: Uuid::now_v7(),
        at: Utc::now(),
        actor_account_id,
        actor_role,
        actor_organisation_id,
        action: record.action.to_owned(),
        entity_type: record.entity_type.map(str::to_owned),
        entity_id: record.entity_id,
        outcome: record.outcome,
        request_id: Some(caller.request_id.clone()),
        detail: record.detail,
    }
    .into_active_model()
    .insert(conn)
    .await
    .map(|_| ())
}

/// Saves `change` to an existing row and its audit record in one transaction: both or
/// neither. `record` describes the saved row.
///
/// # Errors
/// Database errors; nothing is saved then.
pub async fn update_audited<A>(
    db: &crate::db::Db,
    caller: &Caller,
    change: A,
    record: impl FnOnce(&<A::Entity as EntityTrait>::Model) -> AuditRecord,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let txn = db.begin().await?;
    let saved = change.update(&txn).await?;
    self::record(&txn, caller, record(&saved)).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Filters of the audit log; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_account_id: Option<Uuid>,
    /// Entries by members of this organisation.
    pub organisation_id: Option<Uuid>,
    /// An action (`account.disable`), or every action of a family when it ends with a dot
    /// (`case.`).
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub outcome: Option<AuditOutcome>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
}

fn keyset() -> KeysetOrder<audit_entry::Entity> {
    KeysetOrder {
        name: "AT_DESC",
        column: audit_entry::Column::At,
        kind: KeyKind::Timestamp,
        descending: true,
        nullable: false,
        id_column: audit_entry::Column::Id,
        key_of: |row| Some(row.at.to_rfc3339()),
        id_of: |row| row.id,
    }
}

/// The audit record of a read of the log: which filters were given (their names, and the ids
/// of the entity and the account asked about) and how many entries were shown.
fn read_record(filter: &AuditFilter, shown: Option<usize>) -> AuditRecord {
    let given: Vec<&str> = [
        ("actorAccountId", filter.actor_account_id.is_some()),
        ("organisationId", filter.organisation_id.is_some()),
        ("action", filter.action.is_some()),
        ("entityType", filter.entity_type.is_some()),
        ("entityId", filter.entity_id.is_some()),
        ("outcome", filter.outcome.is_some()),
        ("from", filter.from.is_some()),
        ("until", filter.until.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect();
    AuditRecord {
        action: "audit.read",
        entity_type: None,
        entity_id: None,
        outcome: AuditOutcome::Success,
        detail: Some(serde_json::json!({
            "filters": given,
            "entityId": filter.entity_id,
            "actorAccountId": filter.actor_account_id,
            "entries": shown,
        })),
    }
}

/// Reading the audit log.
pub struct AuditLog<'a> {
    pub(super) db: &'a crate::db::Db,
}

impl AuditLog<'_> {
    /// Entries, latest first. Every read is itself audited (`audit.read`, with the names of
    /// the filters given and the number of entries shown), and so is every refused attempt by
    /// a signed-in member: who looked at whom is in the log too.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public, `FORBIDDEN` for anyone but admins, `BAD_USER_INPUT`
    /// for an empty action or an inverted range.
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: &PageArgs,
    ) -> ApiResult<Page<audit_entry::Model>> {
        let actor = &caller.actor;
        actor.signed_in()?;
        if !policy::can_read_audit_log(actor) {
            let mut refused = read_record(filter, None);
            refused.outcome = AuditOutcome::Denied;
            record(self.db, caller, refused).await?;
            return Err(ApiError::Forbidden);
        }
        let entries = self.entries(filter, page).await?;
        record(
            self.db,
            caller,
            read_record(filter, Some(entries.items.len())),
        )
        .await?;
        Ok(entries)
    }

    async fn entries(
        &self,
        filter: &AuditFilter,
        page: &PageArgs,
    ) -> ApiResult<Page<audit_entry::Model>> {
        let mut select = audit_entry::Entity::find();
        if let Some(account_id) = filter.actor_account_id {
            select = select.filter(audit_entry::Column::ActorAccountId.eq(account_id));
        }
        if let Some(organisation_id) = filter.organisation_id {
            select = select.filter(audit_entry::Column::ActorOrganisationId.eq(organisation_id));
        }
        if let Some(action) = filter.action.as_deref() {
            let action = action.trim();
            if action.is_empty() || action == "." {
                return Err(ApiError::bad_input(
                    "filter.action",
                    "Give an action such as `account.disable`, or a family such as `case.`.",
                ));
            }
            select = match action.strip_suffix('.') {
                // From `case.` up to `case/` (the next character): every action of the family,
                // on the (action, at) index.
                Some(family) => select
                    .filter(audit_entry::Column::Action.gte(format!("{family}.")))
                    .filter(audit_entry::Column::Action.lt(format!("{family}/"))),
                None => select.filter(audit_entry::Column::Action.eq(action)),
            };
        }
        if let Some(entity_type) = filter.entity_type.as_deref() {
            select = select.filter(audit_entry::Column::EntityType.eq(entity_type));
        }
        if let Some(entity_id) = filter.entity_id {
            select = select.filter(audit_entry::Column::EntityId.eq(entity_id));
        }
        if let Some(outcome) = filter.outcome {
            select = select.filter(audit_entry::Column::Outcome.eq(outcome));
        }
        if let (Some(from), Some(until)) = (filter.from, filter.until)
            && from >= until
        {
            return Err(ApiError::bad_input(
                "filter.from",
                format!("The range starts ({from}) at or after it ends ({until})."),
            ));
        }
        if let Some(from) = filter.from {
            select = select.filter(audit_entry::Column::At.gte(from));
        }
        if let Some(until) = filter.until {
            select = select.filter(audit_entry::Column::At.lt(until));
        }
        keyset().fetch(self.db, select, page).await
    }
}
