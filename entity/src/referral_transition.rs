//! One step in a case's history. Rows are only ever inserted.

use sea_orm::entity::prelude::*;

use crate::enums::{CaseStatus, DeclineReason};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_transition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// Absent for the case's creation.
    pub from_status: Option<CaseStatus>,
    pub to_status: CaseStatus,
    pub actor_account_id: Uuid,
    pub actor_organisation_id: Option<Uuid>,
    /// The receiving organisation after this step (for sends and onward referrals).
    pub receiving_organisation_id: Option<Uuid>,
    pub reason: Option<DeclineReason>,
    /// Non-identifying comment.
    pub comment: Option<String>,
    pub at: DateTimeUtc,
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
