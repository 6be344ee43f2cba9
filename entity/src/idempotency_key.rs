//! One account's `Idempotency-Key`: the claim of a mutation request and, once it committed,
//! its first answer, sealed with the data keys. Kept 24 hours.

use sea_orm::entity::prelude::*;

use crate::enums::IdempotencyState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    /// The header's key, 1 to 255 printable ASCII characters; unique per account.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub key: String,
    /// SHA-256 (hex) of the row id and the canonical request (query, operation name,
    /// variables); `None` once erased.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub request_hash: Option<String>,
    /// The request holding the claim: a new one when a stale claim is taken over, so that
    /// the old request can no longer mark it.
    pub attempt: Uuid,
    pub state: IdempotencyState,
    /// What the mutation changed (its first successful audit record): the erasure of a case
    /// finds the answers about it by this.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    /// The first answer's HTTP status, media type and body (sealed), once `DONE`.
    pub status: Option<i16>,
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub content_type: Option<String>,
    pub answer: Option<Vec<u8>>,
    /// The answer holds a case's identifying data (its request read them, audited): a replay
    /// is audited as a read again.
    pub identifying_read: bool,
    pub claimed_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
