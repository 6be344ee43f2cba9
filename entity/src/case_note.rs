//! A follow-up note a party wrote on a referral case. Its text is free text, so identifying:
//! sealed with the case's own key and cleared (`None`) when consent is withdrawn.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_note")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub author_account_id: Uuid,
    /// The party organisation the author wrote for.
    pub author_organisation_id: Uuid,
    pub at: DateTimeUtc,
    /// The text, sealed with the case's key bound to this row; `None` once erased.
    pub text_sealed: Option<Vec<u8>>,
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
