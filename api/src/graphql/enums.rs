//! GraphQL enums, one per stored code list. `remote` derives the conversions both ways, so a
//! variant added to an entity enum and not here is a compile error, not a silent gap.

use async_graphql::Enum;

/// What kind of body an organisation is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::OrganisationKind")]
pub enum OrganisationKind {
    Ngo,
    Government,
    International,
    Academic,
    Private,
    Donor,
}

/// A language the portal speaks.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Language")]
pub enum Language {
    En,
    Ru,
    Tg,
}

/// The Programme Office's fields of work.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ThematicArea")]
pub enum ThematicArea {
    ArmsControl,
    BorderManagement,
    CounteringTerrorism,
    Policing,
    EconomicActivities,
    EnvironmentalActivities,
    DisasterRiskReduction,
    WaterAndEnergy,
    GoodGovernance,
    HumanRights,
    MediaFreedom,
    RuleOfLaw,
    CombatingTrafficking,
    GenderEquality,
    DomesticViolence,
    Youth,
}

/// Where a project is in its life.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ProjectStatus")]
pub enum ProjectStatus {
    Planned,
    Active,
    Completed,
    Suspended,
}

/// Tajikistan's regions (DRS: Districts of Republican Subordination), or the whole country.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Region")]
pub enum Region {
    Dushanbe,
    Sughd,
    Khatlon,
    Gbao,
    Drs,
    Nationwide,
}

/// Who may read a project.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Visibility")]
pub enum Visibility {
    Public,
    Internal,
}

/// IATI participating-organisation roles.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::PartnerRole")]
pub enum PartnerRole {
    Funding,
    Accountable,
    Implementing,
    Counterpart,
}

/// What kind of event was held.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::EventKind")]
pub enum EventKind {
    Training,
    Workshop,
    Roundtable,
    Conference,
    Forum,
    StudyVisit,
    AwarenessCampaign,
    Meeting,
    Other,
}

/// What kind of resource centre.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CentreKind")]
pub enum CentreKind {
    WomensResourceCentre,
    Shelter,
    AarhusCentre,
    PoliceGenderUnit,
    LegalAid,
    Other,
}

/// Services a centre offers and reports on.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CentreService")]
pub enum CentreService {
    LegalConsultation,
    PsychosocialCounselling,
    CrisisSupport,
    Shelter,
    MedicalReferral,
    EconomicEmpowerment,
    AwarenessRaising,
}

/// An account's role; partner roles belong to an organisation, staff roles to none.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    Partner,
    PartnerManager,
    Staff,
    Admin,
}

/// Whether an account may sign in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AccountStatus")]
pub enum AccountStatus {
    Active,
    Disabled,
}
