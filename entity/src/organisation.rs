//! A partner organisation: NGO, ministry or agency, international partner or donor.

use sea_orm::entity::prelude::*;

use crate::{Localized, enums::OrganisationKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: Localized,
    pub acronym: Option<String>,
    pub kind: OrganisationKind,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub active: bool,
    /// Lower-cased name (English, else the first language present), for ordering.
    pub sort_name: String,
    /// Lower-cased name in every language and the acronym, for search.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::account::Entity")]
    Account,
    #[sea_orm(has_many = "super::project_partner::Entity")]
    ProjectPartner,
    #[sea_orm(has_many = "super::resource_centre::Entity")]
    ResourceCentre,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl Related<super::project_partner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectPartner.def()
    }
}

impl Related<super::resource_centre::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResourceCentre.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
