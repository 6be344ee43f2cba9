//! The audit log: append-only, written in the same transaction as the change it records.
//! Entries carry ids, codes and field names, never a password, a token or a survivor's data.

use chrono::Utc;
use entity::{audit_entry, enums::AuditOutcome};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{Actor, Caller};

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
    db: &DatabaseConnection,
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
