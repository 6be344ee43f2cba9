//! A project of the Programme Office. Thematic areas, regions and partners are child tables.

use sea_orm::entity::prelude::*;

use crate::{
    Localized,
    enums::{ProjectStatus, Visibility},
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// For example `PO-2025-GE-01`; unique.
    #[sea_orm(unique)]
    pub code: String,
    pub title: Localized,
    pub summary: Localized,
    pub status: ProjectStatus,
    pub start_date: Date,
    pub end_date: Option<Date>,
    /// In minor units of `budget_currency`.
    pub budget_amount: Option<i64>,
    /// ISO 4217 code; present exactly when `budget_amount` is.
    pub budget_currency: Option<String>,
    pub visibility: Visibility,
    /// Lower-cased code, title and summary in every language, for search.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::project_partner::Entity")]
    ProjectPartner,
    #[sea_orm(has_many = "super::project_thematic_area::Entity")]
    ProjectThematicArea,
    #[sea_orm(has_many = "super::project_region::Entity")]
    ProjectRegion,
    #[sea_orm(has_many = "super::event::Entity")]
    Event,
}

impl Related<super::project_partner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectPartner.def()
    }
}

impl Related<super::project_thematic_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectThematicArea.def()
    }
}

impl Related<super::project_region::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectRegion.def()
    }
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
