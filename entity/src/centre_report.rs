//! A centre's monthly report of people served; one per centre and month.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "centre_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub centre_id: Uuid,
    /// The first day of the reported month.
    pub month: Date,
    /// 1 for the first submission, incremented by each correction.
    pub revision: i32,
    pub submitted_by_id: Option<Uuid>,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::resource_centre::Entity",
        from = "Column::CentreId",
        to = "super::resource_centre::Column::Id"
    )]
    Centre,
    #[sea_orm(has_many = "super::centre_report_line::Entity")]
    Line,
}

impl Related<super::resource_centre::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Centre.def()
    }
}

impl Related<super::centre_report_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Line.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
