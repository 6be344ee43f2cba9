//! One item of an account's in-app inbox: what happened to which case. It holds the case's
//! code and never survivor data.

use sea_orm::entity::prelude::*;

use crate::enums::NotificationKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: NotificationKind,
    /// Absent when the news is about no case (a report: see `report_id`), or the case is gone.
    pub case_id: Option<Uuid>,
    /// The case's code, kept so that a former party still sees which case it was.
    pub case_code: Option<String>,
    /// The centre report the news is about (none for news about a case).
    pub report_id: Option<Uuid>,
    /// The report's centre and month as the news names them, kept like a case's code.
    pub report_label: Option<String>,
    /// The indicator period whose result the news is about (none for news about a case or a
    /// report).
    pub period_id: Option<Uuid>,
    /// The indicator and period as the news names them, kept like a case's code.
    pub period_label: Option<String>,
    pub at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id"
    )]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
