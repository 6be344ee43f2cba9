//! Codes stored as text in the database. The migrations keep their own frozen copy of each list
//! in a CHECK constraint; `ActiveEnum::values()` gives the current list.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What kind of body an organisation is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum OrganisationKind {
    #[sea_orm(string_value = "NGO")]
    Ngo,
    #[sea_orm(string_value = "GOVERNMENT")]
    Government,
    #[sea_orm(string_value = "INTERNATIONAL")]
    International,
    #[sea_orm(string_value = "ACADEMIC")]
    Academic,
    #[sea_orm(string_value = "PRIVATE")]
    Private,
    #[sea_orm(string_value = "DONOR")]
    Donor,
}

/// An account's role; partner roles belong to an organisation, staff roles to none.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Role {
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    #[sea_orm(string_value = "PARTNER_MANAGER")]
    PartnerManager,
    #[sea_orm(string_value = "STAFF")]
    Staff,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// A language the portal speaks.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Language {
    #[sea_orm(string_value = "en")]
    En,
    #[sea_orm(string_value = "ru")]
    Ru,
    #[sea_orm(string_value = "tg")]
    Tg,
}

/// Whether an account may sign in.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AccountStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

/// The Programme Office's fields of work.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ThematicArea {
    #[sea_orm(string_value = "ARMS_CONTROL")]
    ArmsControl,
    #[sea_orm(string_value = "BORDER_MANAGEMENT")]
    BorderManagement,
    #[sea_orm(string_value = "COUNTERING_TERRORISM")]
    CounteringTerrorism,
    #[sea_orm(string_value = "POLICING")]
    Policing,
    #[sea_orm(string_value = "ECONOMIC_ACTIVITIES")]
    EconomicActivities,
    #[sea_orm(string_value = "ENVIRONMENTAL_ACTIVITIES")]
    EnvironmentalActivities,
    #[sea_orm(string_value = "DISASTER_RISK_REDUCTION")]
    DisasterRiskReduction,
    #[sea_orm(string_value = "WATER_AND_ENERGY")]
    WaterAndEnergy,
    #[sea_orm(string_value = "GOOD_GOVERNANCE")]
    GoodGovernance,
    #[sea_orm(string_value = "HUMAN_RIGHTS")]
    HumanRights,
    #[sea_orm(string_value = "MEDIA_FREEDOM")]
    MediaFreedom,
    #[sea_orm(string_value = "RULE_OF_LAW")]
    RuleOfLaw,
    #[sea_orm(string_value = "COMBATING_TRAFFICKING")]
    CombatingTrafficking,
    #[sea_orm(string_value = "GENDER_EQUALITY")]
    GenderEquality,
    #[sea_orm(string_value = "DOMESTIC_VIOLENCE")]
    DomesticViolence,
    #[sea_orm(string_value = "YOUTH")]
    Youth,
}

/// Where a project is in its life.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ProjectStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}

/// Tajikistan's regions (DRS: Districts of Republican Subordination), or the whole country.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Region {
    #[sea_orm(string_value = "DUSHANBE")]
    Dushanbe,
    #[sea_orm(string_value = "SUGHD")]
    Sughd,
    #[sea_orm(string_value = "KHATLON")]
    Khatlon,
    #[sea_orm(string_value = "GBAO")]
    Gbao,
    #[sea_orm(string_value = "DRS")]
    Drs,
    #[sea_orm(string_value = "NATIONWIDE")]
    Nationwide,
}

/// Who may read a project.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Visibility {
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    #[sea_orm(string_value = "INTERNAL")]
    Internal,
}

/// IATI participating-organisation roles.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum PartnerRole {
    #[sea_orm(string_value = "FUNDING")]
    Funding,
    #[sea_orm(string_value = "ACCOUNTABLE")]
    Accountable,
    #[sea_orm(string_value = "IMPLEMENTING")]
    Implementing,
    #[sea_orm(string_value = "COUNTERPART")]
    Counterpart,
}

/// What kind of event was held.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum EventKind {
    #[sea_orm(string_value = "TRAINING")]
    Training,
    #[sea_orm(string_value = "WORKSHOP")]
    Workshop,
    #[sea_orm(string_value = "ROUNDTABLE")]
    Roundtable,
    #[sea_orm(string_value = "CONFERENCE")]
    Conference,
    #[sea_orm(string_value = "FORUM")]
    Forum,
    #[sea_orm(string_value = "STUDY_VISIT")]
    StudyVisit,
    #[sea_orm(string_value = "AWARENESS_CAMPAIGN")]
    AwarenessCampaign,
    #[sea_orm(string_value = "MEETING")]
    Meeting,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// What kind of resource centre.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CentreKind {
    #[sea_orm(string_value = "WOMENS_RESOURCE_CENTRE")]
    WomensResourceCentre,
    #[sea_orm(string_value = "SHELTER")]
    Shelter,
    #[sea_orm(string_value = "AARHUS_CENTRE")]
    AarhusCentre,
    #[sea_orm(string_value = "POLICE_GENDER_UNIT")]
    PoliceGenderUnit,
    #[sea_orm(string_value = "LEGAL_AID")]
    LegalAid,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Services a centre offers and reports on.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CentreService {
    #[sea_orm(string_value = "LEGAL_CONSULTATION")]
    LegalConsultation,
    #[sea_orm(string_value = "PSYCHOSOCIAL_COUNSELLING")]
    PsychosocialCounselling,
    #[sea_orm(string_value = "CRISIS_SUPPORT")]
    CrisisSupport,
    #[sea_orm(string_value = "SHELTER")]
    Shelter,
    #[sea_orm(string_value = "MEDICAL_REFERRAL")]
    MedicalReferral,
    #[sea_orm(string_value = "ECONOMIC_EMPOWERMENT")]
    EconomicEmpowerment,
    #[sea_orm(string_value = "AWARENESS_RAISING")]
    AwarenessRaising,
}

/// What a referral case is about.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CaseKind {
    #[sea_orm(string_value = "DOMESTIC_VIOLENCE")]
    DomesticViolence,
    #[sea_orm(string_value = "TRAFFICKING_SEXUAL")]
    TraffickingSexual,
    #[sea_orm(string_value = "TRAFFICKING_LABOUR")]
    TraffickingLabour,
    #[sea_orm(string_value = "OTHER_GBV")]
    OtherGbv,
}

/// Where a referral case is in the workflow.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CaseStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "REFERRED")]
    Referred,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "IN_SERVICE")]
    InService,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

/// Assessed risk to the survivor.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum RiskLevel {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "MEDIUM")]
    Medium,
    #[sea_orm(string_value = "HIGH")]
    High,
}

/// Sex as recorded, with an option not to disclose.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Sex {
    #[sea_orm(string_value = "FEMALE")]
    Female,
    #[sea_orm(string_value = "MALE")]
    Male,
    #[sea_orm(string_value = "UNDISCLOSED")]
    Undisclosed,
}

/// Age bands used in referral work (no birth dates are stored).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AgeGroup {
    #[sea_orm(string_value = "CHILD_0_11")]
    Child011,
    #[sea_orm(string_value = "ADOLESCENT_12_17")]
    Adolescent1217,
    #[sea_orm(string_value = "ADULT_18_24")]
    Adult1824,
    #[sea_orm(string_value = "ADULT_25_59")]
    Adult2559,
    #[sea_orm(string_value = "OLDER_60_PLUS")]
    Older60Plus,
    #[sea_orm(string_value = "UNKNOWN")]
    Unknown,
}

/// Coded reasons for declining a referral.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum DeclineReason {
    #[sea_orm(string_value = "NO_CAPACITY")]
    NoCapacity,
    #[sea_orm(string_value = "OUTSIDE_AREA")]
    OutsideArea,
    #[sea_orm(string_value = "SERVICE_NOT_OFFERED")]
    ServiceNotOffered,
    #[sea_orm(string_value = "CONFLICT_OF_INTEREST")]
    ConflictOfInterest,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// How a case ended.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CaseOutcome {
    #[sea_orm(string_value = "SERVICES_PROVIDED")]
    ServicesProvided,
    #[sea_orm(string_value = "REFERRED_ELSEWHERE")]
    ReferredElsewhere,
    #[sea_orm(string_value = "SURVIVOR_DISENGAGED")]
    SurvivorDisengaged,
    #[sea_orm(string_value = "CONSENT_WITHDRAWN")]
    ConsentWithdrawn,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// How an audited action ended.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AuditOutcome {
    #[sea_orm(string_value = "SUCCESS")]
    Success,
    #[sea_orm(string_value = "DENIED")]
    Denied,
    #[sea_orm(string_value = "FAILURE")]
    Failure,
}

/// Where a request under an `Idempotency-Key` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum IdempotencyState {
    /// Claimed by a request that has not committed anything yet.
    #[sea_orm(string_value = "IN_FLIGHT")]
    InFlight,
    /// The mutation committed (marked in its own transaction); the answer is not stored yet,
    /// or was lost when the server stopped before storing it.
    #[sea_orm(string_value = "COMMITTED")]
    Committed,
    /// The first answer is stored.
    #[sea_orm(string_value = "DONE")]
    Done,
    /// The answer was about a case whose consent was withdrawn; it is gone.
    #[sea_orm(string_value = "ERASED")]
    Erased,
}

/// What an inbox notification tells its account about a case.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum NotificationKind {
    /// A case was sent, or referred onward, to the account's organisation.
    #[sea_orm(string_value = "REFERRAL_RECEIVED")]
    ReferralReceived,
    #[sea_orm(string_value = "REFERRAL_ACCEPTED")]
    ReferralAccepted,
    #[sea_orm(string_value = "REFERRAL_DECLINED")]
    ReferralDeclined,
    #[sea_orm(string_value = "REFERRAL_WITHDRAWN")]
    ReferralWithdrawn,
    /// The case went on to another organisation (told to the previous receiver and the
    /// referrer).
    #[sea_orm(string_value = "REFERRED_ONWARD")]
    ReferredOnward,
    #[sea_orm(string_value = "CASE_CLOSED")]
    CaseClosed,
    #[sea_orm(string_value = "CONSENT_WITHDRAWN")]
    ConsentWithdrawn,
    /// The receiver did not answer in time (written by a later job).
    #[sea_orm(string_value = "DEADLINE_PASSED")]
    DeadlinePassed,
    /// The Programme Office approved a monthly report of a centre the organisation operates.
    #[sea_orm(string_value = "REPORT_APPROVED")]
    ReportApproved,
    /// The Programme Office reopened an approved report for correction.
    #[sea_orm(string_value = "REPORT_REOPENED")]
    ReportReopened,
    /// The Programme Office approved a result an organisation reported for an indicator.
    #[sea_orm(string_value = "RESULT_APPROVED")]
    ResultApproved,
    /// The Programme Office reopened an approved result for correction.
    #[sea_orm(string_value = "RESULT_REOPENED")]
    ResultReopened,
}

/// What a mailed single-use link to an account is for.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum TokenPurpose {
    /// A new account's invitation: its owner sets the first password (72 hours).
    #[sea_orm(string_value = "INVITATION")]
    Invitation,
    /// A password reset, asked for by the owner or started by an administrator (1 hour).
    #[sea_orm(string_value = "PASSWORD_RESET")]
    PasswordReset,
}

/// How an indicator is measured (IATI indicator measure: a number of units, a percentage, or
/// a yes/no reported as 1 or 0).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum IndicatorMeasure {
    #[sea_orm(string_value = "NUMBER")]
    Number,
    #[sea_orm(string_value = "PERCENTAGE")]
    Percentage,
    #[sea_orm(string_value = "YES_NO")]
    YesNo,
}

/// Whether an indicator's targets and results are per year or per quarter.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum IndicatorPeriodicity {
    #[sea_orm(string_value = "ANNUAL")]
    Annual,
    #[sea_orm(string_value = "QUARTERLY")]
    Quarterly,
}
