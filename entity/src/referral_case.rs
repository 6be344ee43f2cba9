//! A referral case between partner organisations.
//!
//! The identifying fields (`survivor_name`, `contact_phone`, `address`, `notes`) and the consent
//! scope hold AEAD envelopes sealed with the case's own key, `data_key`, which is stored wrapped
//! under the configured data keys; erasure deletes it. Plaintext never reaches this table
//! (`legacy_consent_scope` is empty once the server has started: see the `case_keys` migration).

use sea_orm::entity::prelude::*;

use crate::{
    enums::{AgeGroup, CaseKind, CaseOutcome, CaseStatus, Region, RiskLevel, Sex},
    localized::CodeList,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_case")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `RC-<year>-<6 digits>`; unique; never a name.
    #[sea_orm(unique)]
    pub code: String,
    pub kind: CaseKind,
    pub status: CaseStatus,
    pub risk: RiskLevel,
    pub survivor_sex: Sex,
    pub survivor_age_group: AgeGroup,
    /// ISO 3166-1 alpha-2 code.
    pub survivor_citizenship: Option<String>,
    pub survivor_has_disability: bool,
    pub region: Region,
    pub district: String,
    /// Requested services, as `CentreService` codes.
    pub services_requested: CodeList,
    pub referring_organisation_id: Uuid,
    pub receiving_organisation_id: Option<Uuid>,
    pub receiving_centre_id: Option<Uuid>,
    pub consent_given: bool,
    /// The plain consent scope of rows written before the scope was sealed: moved into
    /// `consent_scope_sealed` and cleared at start, never written.
    #[sea_orm(column_name = "consent_scope")]
    pub legacy_consent_scope: Option<String>,
    /// The consent scope (free text, identifying), sealed with the case's key.
    pub consent_scope_sealed: Option<Vec<u8>>,
    pub consent_recorded_at: Option<DateTimeUtc>,
    pub consent_recorded_by_id: Option<Uuid>,
    pub referred_at: Option<DateTimeUtc>,
    pub response_due_at: Option<DateTimeUtc>,
    pub first_response_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub outcome: Option<CaseOutcome>,
    pub survivor_name: Option<Vec<u8>>,
    pub contact_phone: Option<Vec<u8>>,
    pub address: Option<Vec<u8>>,
    pub notes: Option<Vec<u8>>,
    /// The case's own key, wrapped under the configured data keys; `None` once erased.
    pub data_key: Option<Vec<u8>>,
    /// When consent was withdrawn and the identifying fields erased.
    pub erased_at: Option<DateTimeUtc>,
    pub created_by_id: Uuid,
    /// Optimistic-concurrency version, incremented by every transition.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::ReferringOrganisationId",
        to = "super::organisation::Column::Id"
    )]
    ReferringOrganisation,
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::ReceivingOrganisationId",
        to = "super::organisation::Column::Id"
    )]
    ReceivingOrganisation,
    #[sea_orm(
        belongs_to = "super::resource_centre::Entity",
        from = "Column::ReceivingCentreId",
        to = "super::resource_centre::Column::Id"
    )]
    ReceivingCentre,
    #[sea_orm(has_many = "super::referral_transition::Entity")]
    Transition,
}

impl Related<super::referral_transition::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Transition.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
