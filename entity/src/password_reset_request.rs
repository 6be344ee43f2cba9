//! One request for a password reset, for a known account or not: when, and from which client
//! address (the database-backed limit per address).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_reset_request")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The client address as text (IPv4 or IPv6); `None` when unknown.
    #[sea_orm(column_type = "String(StringLen::N(45))", nullable)]
    pub client_address: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
