//! A training, forum, roundtable or other event, optionally under a project.

use sea_orm::entity::prelude::*;

use crate::{
    Localized,
    enums::{EventKind, Region},
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Option<Uuid>,
    pub title: Localized,
    pub kind: EventKind,
    pub starts_on: Date,
    pub ends_on: Date,
    pub region: Region,
    pub district: String,
    /// Free-text place (venue, village).
    pub venue: Option<String>,
    pub organiser_id: Uuid,
    pub participants_female: i32,
    pub participants_male: i32,
    pub participants_undisclosed: i32,
    pub summary: Localized,
    pub published: bool,
    /// Lower-cased title and summary in every language, district and venue, for search.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id"
    )]
    Project,
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganiserId",
        to = "super::organisation::Column::Id"
    )]
    Organiser,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organiser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
