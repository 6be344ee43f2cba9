//! A service a resource centre offers.

use sea_orm::entity::prelude::*;

use crate::enums::CentreService;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "centre_service")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub centre_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service: CentreService,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::resource_centre::Entity",
        from = "Column::CentreId",
        to = "super::resource_centre::Column::Id"
    )]
    Centre,
}

impl Related<super::resource_centre::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Centre.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
