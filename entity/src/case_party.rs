//! The organisations that may read a referral case, one row per organisation and case: its
//! referrer, its current receiver and every earlier receiver. Written by the database's
//! triggers on every change of a case's parties (migration `m20261203_000022_case_parties`),
//! never by the services; read by `policy::visible_cases` and by a partner's case lists, which
//! page through it in index order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_party")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    /// Whether the organisation refers the case (its outgoing cases); otherwise it receives
    /// the case or received it before an onward referral (its incoming cases).
    pub refers: bool,
    /// The case's `created_at`: the order of a case list.
    pub case_created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::referral_case::Entity",
        from = "Column::CaseId",
        to = "super::referral_case::Column::Id"
    )]
    Case,
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id"
    )]
    Organisation,
}

impl Related<super::referral_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
