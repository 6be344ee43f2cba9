//! When a scheduled job last acted on one subject: the overdue case it told its parties about,
//! the organisation it sent a digest to. Written with what the job did, in one transaction.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_mark")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub job: String,
    /// A case's or an organisation's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: Uuid,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
