//! The Programme Office's approval of a centre report: it locks the month until reopened. No
//! row: the report awaits approval.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "centre_report_approval")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub report_id: Uuid,
    pub approved_at: DateTimeUtc,
    pub approved_by_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::centre_report::Entity",
        from = "Column::ReportId",
        to = "super::centre_report::Column::Id"
    )]
    Report,
}

impl Related<super::centre_report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Report.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
