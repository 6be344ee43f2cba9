//! Who works a referral case for one of its party organisations: one row per case and side (a
//! case has two queues, the referrer's and the receiver's); no row is unassigned.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    /// The party organisation whose queue this is.
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    /// An active member of that organisation.
    pub account_id: Uuid,
    pub assigned_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::referral_case::Entity",
        from = "Column::CaseId",
        to = "super::referral_case::Column::Id"
    )]
    Case,
}

impl Related<super::referral_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
