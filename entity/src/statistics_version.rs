//! The version of the rows a protected statistic counts (`referral_cases`, `people_served`):
//! raised by the database's triggers on every write to those rows, read by every server
//! process to know whether the cube it keeps is current (`services::statistics::Cubes`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "statistics_version")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(40))"
    )]
    pub name: String,
    pub version: i64,
    /// PostgreSQL: the transaction that raised the version last (at most once each).
    pub bumped_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
