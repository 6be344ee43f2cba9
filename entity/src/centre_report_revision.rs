//! An earlier revision of a centre report: who submitted it and when, kept when a correction
//! replaced it. Its figures are in `centre_report_revision_line`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "centre_report_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub report_id: Uuid,
    /// The revision number it had (1 for the first submission).
    pub revision: i32,
    pub submitted_by_id: Option<Uuid>,
    pub submitted_at: DateTimeUtc,
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
