//! One step in a case's history. Rows are only ever inserted, except that erasure clears their
//! sealed comments.

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
    /// The plain comment of rows written before comments were sealed: moved into
    /// `comment_sealed` and cleared at start, never written.
    #[sea_orm(column_name = "comment")]
    pub legacy_comment: Option<String>,
    /// The comment (free text, identifying like the case's identifying fields), sealed with the
    /// case's key; erased with them.
    pub comment_sealed: Option<Vec<u8>>,
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
