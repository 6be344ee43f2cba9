//! People served by one service in an earlier revision of a centre report, by sex.

use sea_orm::entity::prelude::*;

use crate::enums::CentreService;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "centre_report_revision_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service: CentreService,
    pub female: i32,
    pub male: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::centre_report_revision::Entity",
        from = "Column::RevisionId",
        to = "super::centre_report_revision::Column::Id"
    )]
    Revision,
}

impl Related<super::centre_report_revision::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Revision.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
