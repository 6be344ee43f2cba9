//! The demo's data files (`api/data/`), embedded in the binary and read into typed rows.
//!
//! Every field is named, and a file that does not read is an error naming the file, the line
//! and the field: unknown fields are refused (a misspelt `titel.en` is not silently dropped),
//! codes are the stored ones (`WOMENS_RESOURCE_CENTRE`, as in the API) and dates are TOML dates.

use std::{collections::HashMap, fmt, ops::Range};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use entity::{
    Localized,
    enums::{
        AgeGroup, CaseKind, CaseOutcome, CentreKind, CentreService, DeclineReason, EventKind,
        IndicatorMeasure, IndicatorPeriodicity, OrganisationKind, PartnerRole, ProjectStatus,
        Region, RiskLevel, Sex, ThematicArea,
    },
};
use sea_orm::ActiveEnum;
use serde::{
    Deserialize, Deserializer,
    de::{DeserializeOwned, Error as _},
};
use toml::Spanned;

/// One embedded data file.
#[derive(Clone, Copy, Debug)]
pub(super) struct DataFile {
    /// Its path from the repository's root, for messages.
    path: &'static str,
    text: &'static str,
}

macro_rules! data_file {
    ($path:literal) => {
        DataFile {
            path: concat!("api/data/", $path),
            text: include_str!(concat!("../../data/", $path)),
        }
    };
}

const DISTRICTS: DataFile = data_file!("districts.toml");
const ORGANISATIONS: DataFile = data_file!("demo/organisations.toml");
const PROJECTS: DataFile = data_file!("demo/projects.toml");
const EVENTS: DataFile = data_file!("demo/events.toml");
const CENTRES: DataFile = data_file!("demo/centres.toml");
const ACCOUNTS: DataFile = data_file!("demo/accounts.toml");
const CASES: DataFile = data_file!("demo/cases.toml");
const INDICATORS: DataFile = data_file!("demo/indicators.toml");

/// A data file that does not read: the file, and the parser's message, which gives the line
/// and column, shows the line, and names the field. Or one that breaks a rule across its
/// values ([`DataFile::error`]): the file, the line and the field, and the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    /// The file's path from the repository's root.
    pub file: &'static str,
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for DataError {}

impl DataFile {
    /// An error found in the file after it was read (a rule across values): the line of the
    /// value at `span`, the field, and what is wrong.
    pub(super) fn error(&self, span: &Range<usize>, field: &str, message: &str) -> DataError {
        let before = self.text.get(..span.start).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        DataError {
            file: self.path,
            message: format!("line {line}, {field}: {message}"),
        }
    }
}

fn read<T: DeserializeOwned>(file: &DataFile) -> Result<T, DataError> {
    read_text(file.path, file.text)
}

fn read_text<T: DeserializeOwned>(path: &'static str, text: &str) -> Result<T, DataError> {
    toml::from_str(text).map_err(|error| DataError {
        file: path,
        message: error.to_string(),
    })
}

/// A district (or city) and its region.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    /// As stored in a row's `district`.
    pub name: String,
    #[serde(deserialize_with = "code")]
    pub region: Region,
    /// A place outside Tajikistan (a study visit abroad), filed under a region of the country.
    #[serde(default)]
    pub abroad: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictsFile {
    district: Vec<District>,
}

/// The districts (and cities) of `api/data/districts.toml`, which the demo and the benchmark
/// generator share.
///
/// # Errors
/// When the file does not read (a unit test reads it on every run).
pub fn districts() -> Result<Vec<District>, DataError> {
    read::<DistrictsFile>(&DISTRICTS).map(|file| file.district)
}

/// A demo sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoLogin {
    /// The role, as its code.
    pub role: String,
    pub email: String,
    pub password: String,
    /// The organisation's demo key, for partner roles.
    pub organisation: Option<String>,
    pub display_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    login: Vec<DemoLogin>,
}

/// The demo sign-ins, one per role (`api/data/demo/accounts.toml`).
///
/// # Errors
/// When the file does not read (a unit test reads it on every run).
pub fn logins() -> Result<Vec<DemoLogin>, DataError> {
    read::<AccountsFile>(&ACCOUNTS).map(|file| file.login)
}

/// A text in English and Russian, and in Tajik where the demo has a translation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Text {
    en: String,
    ru: String,
    tg: Option<String>,
}

impl Text {
    /// The stored form of the text.
    pub fn localized(&self) -> Localized {
        Localized {
            en: Some(self.en.clone()),
            ru: Some(self.ru.clone()),
            tg: self.tg.clone(),
        }
    }
}

/// One indicator of a project's results; `key` is its stable id seed. The spans locate the
/// values that rules across fields check (see `indicators.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IndicatorRow {
    pub key: Spanned<String>,
    /// The project's code.
    pub project: Spanned<String>,
    /// The key of the partner organisation whose members report the results.
    pub reporter: Spanned<String>,
    #[serde(deserialize_with = "code")]
    pub measure: IndicatorMeasure,
    #[serde(deserialize_with = "code")]
    pub periodicity: IndicatorPeriodicity,
    /// False when left out.
    pub disaggregated_by_sex: Option<Spanned<bool>>,
    /// True (more is better) when left out.
    pub ascending: Option<Spanned<bool>>,
    pub baseline: Option<Spanned<Baseline>>,
    pub title: Text,
    /// Empty in every language when left out.
    pub definition: Option<Text>,
    /// In order of their start.
    pub periods: Vec<Spanned<PeriodRow>>,
}

/// An indicator's baseline: its value, and when it was measured.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Baseline {
    pub value: f64,
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
}

/// One period (a year or a quarter) of an indicator: its target, and its result if one was
/// reported.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PeriodRow {
    /// The first day of the year or quarter.
    #[serde(deserialize_with = "date")]
    pub start: NaiveDate,
    pub target: Option<f64>,
    /// The current revision of the result, if one was reported.
    pub actual: Option<f64>,
    /// For an indicator disaggregated by sex.
    pub female: Option<f64>,
    pub male: Option<f64>,
    /// The reporter's comment on the result.
    pub comment: Option<String>,
    /// Whether the Programme Office approved the result.
    #[serde(default)]
    pub approved: bool,
    /// The earlier revisions of the result, oldest first.
    #[serde(default)]
    pub earlier: Vec<ResultRow>,
}

/// An earlier revision of a period's result.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResultRow {
    pub actual: f64,
    /// For an indicator disaggregated by sex.
    pub female: Option<f64>,
    pub male: Option<f64>,
    pub comment: Option<String>,
}

/// One organisation; `key` is its stable id seed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrganisationRow {
    pub key: String,
    #[serde(deserialize_with = "code")]
    pub kind: OrganisationKind,
    pub acronym: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    pub name: Text,
}

/// One project; the code doubles as its stable key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProjectRow {
    pub code: String,
    #[serde(deserialize_with = "code")]
    pub status: ProjectStatus,
    #[serde(deserialize_with = "date")]
    pub start: NaiveDate,
    #[serde(default, deserialize_with = "optional_date")]
    pub end: Option<NaiveDate>,
    /// Whole euros; stored in cents.
    pub budget_eur: Option<i64>,
    #[serde(default)]
    pub internal: bool,
    #[serde(deserialize_with = "codes")]
    pub areas: Vec<ThematicArea>,
    #[serde(deserialize_with = "codes")]
    pub regions: Vec<Region>,
    /// The Programme Office is listed first, as accountable.
    pub partners: Vec<Partner>,
    pub title: Text,
    pub summary: Text,
}

/// An organisation's part in a project.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Partner {
    /// The organisation's key.
    pub organisation: String,
    #[serde(deserialize_with = "code")]
    pub role: PartnerRole,
}

/// One event; `key` is its stable id seed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventRow {
    pub key: String,
    /// The project's code, if the event belongs to one.
    pub project: Option<String>,
    #[serde(deserialize_with = "code")]
    pub kind: EventKind,
    #[serde(deserialize_with = "date")]
    pub starts: NaiveDate,
    #[serde(deserialize_with = "date")]
    pub ends: NaiveDate,
    pub district: String,
    pub venue: Option<String>,
    /// The organising organisation's key.
    pub organiser: String,
    pub participants: Participants,
    /// False for a draft.
    #[serde(default = "yes")]
    pub published: bool,
    pub title: Text,
    pub summary: Text,
}

/// An event's participants by sex.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Participants {
    pub female: i32,
    pub male: i32,
    pub undisclosed: i32,
}

/// One centre; `key` is its stable id seed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CentreRow {
    pub key: String,
    #[serde(deserialize_with = "code")]
    pub kind: CentreKind,
    /// The operating organisation's key.
    pub operator: String,
    pub district: String,
    pub phone: String,
    pub languages: Vec<String>,
    #[serde(deserialize_with = "codes")]
    pub services: Vec<CentreService>,
    pub shelter_capacity: Option<i32>,
    #[serde(default = "yes")]
    pub accepting_referrals: bool,
    /// Date of the last check of the directory entry, if any.
    #[serde(default, deserialize_with = "optional_date")]
    pub verified: Option<NaiveDate>,
    #[serde(default = "yes")]
    pub active: bool,
    pub name: Text,
    pub address: Text,
    pub hours: Text,
}

/// One demo case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseRow {
    /// Stable id seed; never shown.
    pub key: String,
    /// When the draft was opened, UTC.
    #[serde(deserialize_with = "moment")]
    pub opened: NaiveDateTime,
    /// The referring organisation's key.
    pub referrer: String,
    #[serde(deserialize_with = "code")]
    pub kind: CaseKind,
    #[serde(deserialize_with = "code")]
    pub risk: RiskLevel,
    /// Where the survivor lives; the region follows from it.
    pub district: String,
    pub survivor: Survivor,
    #[serde(deserialize_with = "codes")]
    pub services: Vec<CentreService>,
    /// Whether consent was recorded when the draft was opened (only a draft may lack it).
    #[serde(default = "yes")]
    pub consent: bool,
    /// The steps after opening, oldest first.
    pub steps: Vec<StepRow>,
}

/// The survivor's profile.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Survivor {
    #[serde(deserialize_with = "code")]
    pub sex: Sex,
    #[serde(deserialize_with = "code")]
    pub age: AgeGroup,
    /// ISO 3166 alpha-2.
    pub citizenship: Option<String>,
    pub disability: bool,
}

/// One step of a case's history after it was opened.
#[derive(Debug, Deserialize)]
pub(super) struct StepRow {
    /// The delay after the previous step (or the opening).
    #[serde(deserialize_with = "delay")]
    pub after: Duration,
    #[serde(flatten)]
    pub act: Act,
}

/// What a step does, with the workflow's names.
#[derive(Debug, Deserialize)]
#[serde(tag = "act", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Act {
    /// Send the draft to an organisation (by key), optionally one of its centres.
    Send {
        to: String,
        centre: Option<String>,
    },
    Accept,
    /// Decline with a coded reason and a comment (required for `OTHER`).
    Decline {
        #[serde(deserialize_with = "code")]
        reason: DeclineReason,
        comment: Option<String>,
    },
    StartService,
    Close {
        #[serde(deserialize_with = "code")]
        outcome: CaseOutcome,
        comment: Option<String>,
    },
    Withdraw {
        comment: Option<String>,
    },
    /// Refer onward (after a decline: the referrer; after acceptance: the receiver).
    ReferOnward {
        to: String,
        centre: Option<String>,
        comment: Option<String>,
    },
    /// The survivor withdrew consent, as told to this party.
    WithdrawConsent {
        by: Party,
    },
}

/// Which side of a case acts, where the workflow lets either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Party {
    Referrer,
    Receiver,
}

/// Every demo row's source, read from the files.
#[derive(Debug)]
pub(super) struct DemoFiles {
    pub districts: Vec<District>,
    pub organisations: Vec<OrganisationRow>,
    pub projects: Vec<ProjectRow>,
    pub events: Vec<EventRow>,
    pub centres: Vec<CentreRow>,
    pub logins: Vec<DemoLogin>,
    /// The consent scope recorded with a case, by the case's kind.
    pub consent_scopes: HashMap<CaseKind, String>,
    /// Oldest first.
    pub cases: Vec<CaseRow>,
    pub indicators: Vec<IndicatorRow>,
    /// Their file, for errors found after reading it.
    pub indicators_file: DataFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationsFile {
    organisation: Vec<OrganisationRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectsFile {
    project: Vec<ProjectRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsFile {
    event: Vec<EventRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CentresFile {
    centre: Vec<CentreRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorsFile {
    indicator: Vec<IndicatorRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    consent_scope: HashMap<String, String>,
    case: Vec<CaseRow>,
}

impl DemoFiles {
    /// Reads every file.
    pub fn read() -> Result<Self, DataError> {
        let cases: CasesFile = read(&CASES)?;
        let mut consent_scopes = HashMap::new();
        for (kind, scope) in cases.consent_scope {
            let kind = CaseKind::try_from_value(&kind).map_err(|_| DataError {
                file: CASES.path,
                message: format!("consent_scope: {}", unknown_code::<CaseKind>(&kind)),
            })?;
            consent_scopes.insert(kind, scope);
        }
        Ok(Self {
            districts: districts()?,
            organisations: read::<OrganisationsFile>(&ORGANISATIONS)?.organisation,
            projects: read::<ProjectsFile>(&PROJECTS)?.project,
            events: read::<EventsFile>(&EVENTS)?.event,
            centres: read::<CentresFile>(&CENTRES)?.centre,
            logins: logins()?,
            consent_scopes,
            cases: cases.case,
            indicators: read::<IndicatorsFile>(&INDICATORS)?.indicator,
            indicators_file: INDICATORS,
        })
    }

    /// The files with `text` in place of the indicators' file (for tests of its rules).
    #[cfg(test)]
    pub fn with_indicators(mut self, text: &'static str) -> Result<Self, DataError> {
        let file = DataFile {
            path: INDICATORS.path,
            text,
        };
        self.indicators = read::<IndicatorsFile>(&file)?.indicator;
        self.indicators_file = file;
        Ok(self)
    }
}

fn yes() -> bool {
    true
}

fn unknown_code<T: ActiveEnum<Value = String>>(code: &str) -> String {
    format!(
        "unknown code {code:?}, expected one of {}",
        T::values().join(", ")
    )
}

/// A code as stored (`WOMENS_RESOURCE_CENTRE`); the entities' own serde names differ for some
/// (`ADULT_25_59`).
fn code<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: ActiveEnum<Value = String>,
{
    let code = String::deserialize(deserializer)?;
    T::try_from_value(&code).map_err(|_| D::Error::custom(unknown_code::<T>(&code)))
}

/// A list of codes.
fn codes<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: ActiveEnum<Value = String>,
{
    struct Code<T>(T);
    impl<'de, T: ActiveEnum<Value = String>> Deserialize<'de> for Code<T> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            code(deserializer).map(Code)
        }
    }
    let codes: Vec<Code<T>> = Vec::deserialize(deserializer)?;
    Ok(codes.into_iter().map(|Code(value)| value).collect())
}

/// A TOML date (`2026-03-14`).
fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let value = toml::value::Datetime::deserialize(deserializer)?.to_string();
    NaiveDate::parse_from_str(&value, "%Y-%m-%d")
        .map_err(|_| D::Error::custom(format!("expected a date like 2026-03-14, not {value}")))
}

fn optional_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    date(deserializer).map(Some)
}

/// A TOML local date and time (`2026-03-14T09:30:00`), read as UTC.
fn moment<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDateTime, D::Error> {
    let value = toml::value::Datetime::deserialize(deserializer)?.to_string();
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&value, format).ok())
        .ok_or_else(|| {
            D::Error::custom(format!(
                "expected a date and time like 2026-03-14T09:30:00, not {value}"
            ))
        })
}

/// A delay in hours (`"3h"`) or days (`"2d"`).
fn delay<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    let parsed = if let Some(hours) = text.strip_suffix('h') {
        hours
            .parse::<u32>()
            .ok()
            .map(|hours| Duration::hours(hours.into()))
    } else if let Some(days) = text.strip_suffix('d') {
        days.parse::<u32>()
            .ok()
            .map(|days| Duration::days(days.into()))
    } else {
        None
    };
    parsed.ok_or_else(|| {
        D::Error::custom(format!(
            "expected hours like \"3h\" or days like \"2d\", not {text:?}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_reads() {
        let files = DemoFiles::read().expect("the demo's data files read");
        assert!(files.districts.len() > 30);
        assert_eq!(files.logins.len(), 4);
        assert!(!files.organisations.is_empty() && !files.projects.is_empty());
        assert!(!files.events.is_empty() && !files.centres.is_empty());
        assert!(!files.cases.is_empty());
        assert_eq!(files.consent_scopes.len(), 4);
        assert!(!files.indicators.is_empty());
    }

    #[test]
    fn an_error_names_the_file_the_line_and_the_field() {
        let bad = "[[district]]\nname = \"Khujand\"\nregion = \"SUGD\"\n";
        let error = read_text::<DistrictsFile>("api/data/districts.toml", bad)
            .expect_err("an unknown region");
        let message = error.to_string();
        assert!(
            message.starts_with("api/data/districts.toml: "),
            "{message}"
        );
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("region = \"SUGD\""), "{message}");
        assert!(message.contains("expected one of DUSHANBE"), "{message}");

        let misspelt = "[[district]]\nname = \"Khujand\"\nregoin = \"SUGHD\"\n";
        let message = read_text::<DistrictsFile>("api/data/districts.toml", misspelt)
            .expect_err("an unknown field")
            .to_string();
        assert!(message.contains("regoin"), "{message}");
    }

    #[test]
    fn a_step_reads_its_action_and_delay() {
        #[derive(Deserialize)]
        struct Steps {
            steps: Vec<StepRow>,
        }
        let text = r#"steps = [
            { after = "2d", act = "decline", reason = "OTHER", comment = "Why" },
            { after = "5h", act = "withdraw_consent", by = "receiver" },
        ]"#;
        let steps: Steps = read_text("steps", text).expect("steps read");
        assert_eq!(steps.steps[0].after, Duration::hours(48));
        assert!(matches!(
            &steps.steps[0].act,
            Act::Decline { reason: DeclineReason::Other, comment: Some(comment) } if comment == "Why"
        ));
        assert!(matches!(
            steps.steps[1].act,
            Act::WithdrawConsent {
                by: Party::Receiver
            }
        ));
        for bad in [
            r#"steps = [{ after = "2w", act = "accept" }]"#,
            r#"steps = [{ after = "2h", act = "approve" }]"#,
        ] {
            assert!(read_text::<Steps>("steps", bad).is_err(), "{bad}");
        }
    }
}
