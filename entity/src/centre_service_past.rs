//! A service a resource centre no longer offers, and the last month it offered it (the month
//! it was removed in): reports of that month and earlier may still list it.

use sea_orm::entity::prelude::*;

use crate::enums::CentreService;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "centre_service_past")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub centre_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service: CentreService,
    /// The first day of the last month the centre offered the service.
    pub last_month: Date,
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
