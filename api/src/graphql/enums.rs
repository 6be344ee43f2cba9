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

/// What a referral case is about.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CaseKind")]
pub enum CaseKind {
    DomesticViolence,
    TraffickingSexual,
    TraffickingLabour,
    OtherGbv,
}

/// Where a referral case is in the workflow.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CaseStatus")]
pub enum CaseStatus {
    Draft,
    Referred,
    Accepted,
    Declined,
    InService,
    Closed,
    Withdrawn,
}

/// Assessed risk to the survivor.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::RiskLevel")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

/// Sex as recorded, with an option not to disclose.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Sex")]
pub enum Sex {
    Female,
    Male,
    Undisclosed,
}

/// Age bands used in referral work (no birth dates are stored).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AgeGroup")]
pub enum AgeGroup {
    #[graphql(name = "CHILD_0_11")]
    Child011,
    #[graphql(name = "ADOLESCENT_12_17")]
    Adolescent1217,
    #[graphql(name = "ADULT_18_24")]
    Adult1824,
    #[graphql(name = "ADULT_25_59")]
    Adult2559,
    #[graphql(name = "OLDER_60_PLUS")]
    Older60Plus,
    #[graphql(name = "UNKNOWN")]
    Unknown,
}

/// Coded reasons for declining a referral.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::DeclineReason")]
pub enum DeclineReason {
    NoCapacity,
    OutsideArea,
    ServiceNotOffered,
    ConflictOfInterest,
    Other,
}

/// How a case ended.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::CaseOutcome")]
pub enum CaseOutcome {
    ServicesProvided,
    ReferredElsewhere,
    SurvivorDisengaged,
    ConsentWithdrawn,
    Other,
}

/// How an audited action ended.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AuditOutcome")]
pub enum AuditOutcome {
    Success,
    /// Refused by a rule of access.
    Denied,
    /// Failed: wrong credentials, invalid input, a conflict.
    Failure,
}

/// How an indicator is measured.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::IndicatorMeasure")]
pub enum IndicatorMeasure {
    /// A number of units (people trained, centres opened).
    Number,
    /// A percentage, 0 to 100.
    Percentage,
    /// Yes (1) or no (0): a law adopted, a plan in force.
    YesNo,
}

/// Whether an indicator's targets and results are per calendar year or per quarter.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::IndicatorPeriodicity")]
pub enum IndicatorPeriodicity {
    Annual,
    Quarterly,
}
