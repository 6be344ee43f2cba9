//! A Women's Resource Centre, shelter, Aarhus Centre, police gender unit or legal aid office.

use sea_orm::entity::prelude::*;

use crate::{
    Localized,
    enums::{CentreKind, Region},
    localized::CodeList,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_centre")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: Localized,
    pub kind: CentreKind,
    pub operator_id: Uuid,
    pub region: Region,
    pub district: String,
    pub address: Localized,
    pub phone: Option<String>,
    pub opening_hours: Localized,
    /// Languages spoken, as codes (`tg`, `ru`, `uz`, `en`, ...).
    pub languages: CodeList,
    pub shelter_capacity: Option<i32>,
    pub accepting_referrals: bool,
    pub last_verified_at: Option<DateTimeUtc>,
    pub active: bool,
    /// Lower-cased name (English, else the first language present), for ordering.
    pub sort_name: String,
    /// Lower-cased name in every language and the district: what every reader of the centre
    /// may search.
    pub search_text: String,
    /// Lower-cased address in every language: searched only by those who may read the
    /// address (see `policy::centre_address`).
    pub search_text_restricted: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OperatorId",
        to = "super::organisation::Column::Id"
    )]
    Operator,
    #[sea_orm(has_many = "super::centre_service::Entity")]
    CentreService,
    #[sea_orm(has_many = "super::centre_report::Entity")]
    CentreReport,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Operator.def()
    }
}

impl Related<super::centre_service::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CentreService.def()
    }
}

impl Related<super::centre_report::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CentreReport.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
