//! A persisted query document, keyed by the SHA-256 of its text. Immutable: a hash names one
//! text for ever.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_query")]
pub struct Model {
    /// The SHA-256 of `document`, 64 lower-case hex digits.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub hash: String,
    #[sea_orm(column_type = "Text")]
    pub document: String,
    /// On the operator's allow-list (`portal persisted-queries add`): served when
    /// `PORTAL_PERSISTED_QUERIES_ONLY` is set, and never evicted. Otherwise registered by a
    /// client through automatic persisted queries.
    pub listed: bool,
    pub created_at: DateTimeUtc,
    /// When a request last named it (updated at most hourly per process); the least recently
    /// used registered documents are evicted first.
    pub last_used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
