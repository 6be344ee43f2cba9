//! A job that the server processes sharing a database run on a schedule (overdue escalation,
//! the daily digest): when it is next due, and the lease of the process running it now.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduled_job")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub name: String,
    /// Not run before this.
    pub next_run_at: DateTimeUtc,
    /// A process runs the job until then; `None` when nobody does.
    pub locked_until: Option<DateTimeUtc>,
    pub last_finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
