//! `GET /exports/iati/activities.xml`: the public projects as an IATI 2.03 activity file, for
//! the IATI Registry and anyone who reads aid data (issue 18).
//!
//! It is a publication: nobody needs to sign in. A token, when one is sent, is checked as
//! everywhere (an ended token or a disabled account is refused, a pending restriction holds:
//! `policy::may_read_publications`), but what the file holds never depends on it: whoever
//! asks, the services are asked as the public ([`Actor::Anonymous`]), so the file holds exactly
//! what the policy lets the public read: `PUBLIC` projects only (never `INTERNAL` ones, even
//! for staff), the partners the public sees, and no budget (a project's budget is one of its
//! internals, `policy::project_internals`; the writer emits `budget` whenever the view holds
//! one, which for the public it never does). Nothing is audited: it is a public read, like the
//! API's, and an entry per anonymous fetch would let anyone fill the audit log. Each fetch
//! costs its address (and account, when signed in) as much as the most expensive GraphQL
//! operation ([`MAX_COMPLEXITY`]), since it reads every public project.
//!
//! The file is streamed page by page on the projects' code order, as the CSV downloads are
//! (one page of projects with their partners, areas and regions in memory). Elements follow
//! the order of the schema's sequences (`tests/iati/iati-activities-schema.xsd`);
//! `tests/api/iati.rs` validates the export and the results writer against it.
//!
//! Codes, per IATI 2.03 codelist:
//! - `participating-org/@role` (OrganisationRole): see [`role_code`];
//!   `@type` (OrganisationType): see [`organisation_type`].
//! - `activity-status` (ActivityStatus) and `activity-date/@type` (ActivityDateType): see
//!   [`status_code`] and [`Publication::activity`].
//! - `sector` (vocabulary 1, DAC 5-digit): see [`sector_code`].
//! - `result/@type` 1 (Output), `indicator/@measure` (IndicatorMeasure): see [`results`].
//!
//! An export with no public project at all is an `iati-activities` element with no activity,
//! which the schema does not accept (it asks for at least one): there is nothing to publish.

use std::collections::HashMap;

use actix_web::{
    HttpRequest, HttpResponse,
    http::header,
    web::{self, Bytes},
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{
    Localized,
    enums::{
        IndicatorMeasure, OrganisationKind, PartnerRole, ProjectStatus, Region, ThematicArea,
        Visibility,
    },
};
use futures_util::{StreamExt, stream};
use tracing_actix_web::RequestId;
use uuid::Uuid;

use super::{
    AppState, error_response,
    file::{next_cursor, paged, streamed},
    page_args,
};
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    graphql::MAX_COMPLEXITY,
    policy,
    services::{
        Services,
        projects::{Project, ProjectFilter, ProjectOrder, ProjectPartner},
    },
};

/// What the IATI export says about who publishes it (`PORTAL_IATI_ORGANISATION_REF`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IatiSettings {
    /// The reporting organisation's IATI identifier; every activity's identifier starts with it.
    pub organisation_ref: String,
    /// True when the variable was not set and [`IatiSettings::DEFAULT_ORGANISATION_REF`] is in
    /// use (the server warns of it in production).
    pub organisation_ref_is_default: bool,
}

impl IatiSettings {
    /// The identifier used until one is configured. It is no registered identifier: no IATI
    /// organisation identifier of the OSCE could be found (the OSCE does not appear to publish
    /// to IATI), so this one is made up in the shape of one (`XM-` for an international body),
    /// to be replaced by the one the Programme Office registers.
    pub const DEFAULT_ORGANISATION_REF: &'static str = "XM-OSCE-PODUSHANBE";

    /// The longest identifier accepted (an activity's identifier adds the project code to it).
    const MAX_REF_CHARS: usize = 100;

    /// The settings with `organisation_ref`, checked against IATI's rules for identifiers:
    /// letters, digits, `-`, `.` and `_` (no spaces, `/`, `&`, `|` or `?`), an agency's prefix
    /// and the organisation's number joined by a `-`.
    ///
    /// # Errors
    /// Why `organisation_ref` is not such an identifier.
    pub fn new(organisation_ref: &str) -> Result<Self, String> {
        let valid_chars = organisation_ref
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if organisation_ref.is_empty() || organisation_ref.chars().count() > Self::MAX_REF_CHARS {
            return Err(format!("1 to {} characters", Self::MAX_REF_CHARS));
        }
        if !valid_chars {
            return Err("letters, digits, `-`, `.` and `_` only".to_owned());
        }
        if organisation_ref.starts_with('-')
            || organisation_ref.ends_with('-')
            || !organisation_ref.contains('-')
        {
            return Err("an agency's prefix and a number joined by `-`".to_owned());
        }
        Ok(Self {
            organisation_ref: organisation_ref.to_owned(),
            organisation_ref_is_default: false,
        })
    }
}

impl Default for IatiSettings {
    fn default() -> Self {
        Self {
            organisation_ref: Self::DEFAULT_ORGANISATION_REF.to_owned(),
            organisation_ref_is_default: true,
        }
    }
}

/// One indicator of a project's results as the export publishes it; the results service fills
/// these (see [`indicators_of`]).
#[derive(Clone, Debug, PartialEq)]
pub struct IatiIndicator {
    pub title: Localized,
    /// How it is counted; may be empty in every language (then no `description` is written).
    pub definition: Localized,
    pub measure: IndicatorMeasure,
    /// True when a higher value is better.
    pub ascending: bool,
    /// When the baseline was measured, and its value.
    pub baseline: Option<(NaiveDate, f64)>,
    pub periods: Vec<IatiPeriod>,
}

/// A period of an indicator with its target and what was achieved, each when known.
#[derive(Clone, Debug, PartialEq)]
pub struct IatiPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub target: Option<f64>,
    pub actual: Option<f64>,
}

/// A project with what the export writes of it: its partners, thematic areas, regions and
/// indicators, as the public reads them.
#[derive(Clone, Copy, Debug)]
pub struct Activity<'a> {
    pub project: &'a Project,
    pub partners: &'a [ProjectPartner],
    pub thematic_areas: &'a [ThematicArea],
    pub regions: &'a [Region],
    pub indicators: &'a [IatiIndicator],
}

/// One export: who reports it and when it was made. Its parts are the file's head, one chunk
/// per activity and [`Publication::TAIL`], so that the file can be streamed.
#[derive(Clone, Debug)]
pub struct Publication {
    organisation_ref: String,
    generated_at: DateTime<Utc>,
}

/// The Programme Office, the reporting organisation, in the portal's languages.
const REPORTING_ORG_NAMES: [(&str, &str); 3] = [
    ("en", "OSCE Programme Office in Dushanbe"),
    ("ru", "Программный офис ОБСЕ в Душанбе"),
    ("tg", "Дафтари барномавии САҲА дар Душанбе"),
];

/// OrganisationType 40, Multilateral: the OSCE is an intergovernmental organisation.
const REPORTING_ORG_TYPE: &str = "40";

/// ISO 3166-1 code of Tajikistan, where every project runs.
const RECIPIENT_COUNTRY: &str = "TJ";

impl Publication {
    /// The end of the file.
    pub const TAIL: &'static str = "</iati-activities>\n";

    /// An export reported by `organisation_ref`, made at `generated_at` (which also decides
    /// whether a date has passed: actual or planned).
    pub fn new(organisation_ref: impl Into<String>, generated_at: DateTime<Utc>) -> Self {
        Self {
            organisation_ref: organisation_ref.into(),
            generated_at,
        }
    }

    /// The XML declaration and the opening `iati-activities` element.
    pub fn head(&self) -> String {
        let generated = self
            .generated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut xml = Xml::new(0);
        xml.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.open(
            "iati-activities",
            &[("version", "2.03"), ("generated-datetime", &generated)],
        );
        xml.finish()
    }

    /// The whole file of `activities`, in one piece (the handler streams the same parts).
    pub fn document(&self, activities: &[Activity<'_>]) -> String {
        let mut text = self.head();
        for activity in activities {
            text.push_str(&self.activity(activity));
        }
        text.push_str(Self::TAIL);
        text
    }

    /// One `iati-activity`, its elements in the schema's order.
    ///
    /// The start date is actual (`activity-date` type 2) once the project has started (any
    /// status but `PLANNED`) and the date has passed, planned (1) otherwise; the end date is
    /// actual (4) once the project is `COMPLETED` and the date has passed, planned (3)
    /// otherwise. A project without a summary is described by its title (the schema asks
    /// for a description), and one without any visible partner names the reporting
    /// organisation as accountable (it asks for a participating organisation, and the
    /// Programme Office answers for every project of the portal).
    pub fn activity(&self, activity: &Activity<'_>) -> String {
        let project = activity.project;
        let today = self.generated_at.date_naive();
        let mut xml = Xml::new(1);
        xml.open("iati-activity", &[]);
        xml.leaf(
            "iati-identifier",
            &[],
            &format!("{}-{}", self.organisation_ref, project.code),
        );
        xml.open(
            "reporting-org",
            &[
                ("ref", &self.organisation_ref),
                ("type", REPORTING_ORG_TYPE),
            ],
        );
        xml.narratives_of(&REPORTING_ORG_NAMES);
        xml.close("reporting-org");
        xml.texts("title", &[], &project.title, &project.code);
        let description = if project.summary.is_empty() {
            &project.title
        } else {
            &project.summary
        };
        // Type 1: the general description.
        xml.texts("description", &[("type", "1")], description, &project.code);
        if activity.partners.is_empty() {
            xml.open(
                "participating-org",
                &[
                    ("ref", &self.organisation_ref),
                    ("type", REPORTING_ORG_TYPE),
                    ("role", role_code(PartnerRole::Accountable)),
                ],
            );
            xml.narratives_of(&REPORTING_ORG_NAMES);
            xml.close("participating-org");
        }
        for partner in activity.partners {
            let attributes = [
                ("type", organisation_type(partner.organisation.kind)),
                ("role", role_code(partner.role)),
            ];
            if partner.organisation.name.is_empty() {
                xml.empty("participating-org", &attributes);
            } else {
                xml.open("participating-org", &attributes);
                xml.narratives(&partner.organisation.name);
                xml.close("participating-org");
            }
        }
        xml.empty("activity-status", &[("code", status_code(project.status))]);
        let started = project.status != ProjectStatus::Planned && project.start_date <= today;
        let start = project.start_date.to_string();
        xml.empty(
            "activity-date",
            &[
                ("type", if started { "2" } else { "1" }),
                ("iso-date", &start),
            ],
        );
        if let Some(end_date) = project.end_date {
            let ended = project.status == ProjectStatus::Completed && end_date <= today;
            let end = end_date.to_string();
            xml.empty(
                "activity-date",
                &[("type", if ended { "4" } else { "3" }), ("iso-date", &end)],
            );
        }
        xml.empty(
            "recipient-country",
            &[("code", RECIPIENT_COUNTRY), ("percentage", "100")],
        );
        for region in activity.regions {
            let Some(names) = region_names(*region) else {
                continue;
            };
            xml.open("location", &[]);
            // LocationReach 1: where the activity happens. No point: the portal knows the
            // region, not coordinates.
            xml.empty("location-reach", &[("code", "1")]);
            xml.open("name", &[]);
            xml.narratives_of(&names);
            xml.close("name");
            // LocationClass 1: an administrative region.
            xml.empty("location-class", &[("code", "1")]);
            xml.close("location");
        }
        for (code, percentage) in sectors(activity.thematic_areas) {
            xml.empty(
                "sector",
                &[
                    ("vocabulary", "1"),
                    ("code", code),
                    ("percentage", &percentage),
                ],
            );
        }
        if let (Some(budget), Some(end_date)) = (
            project
                .internals
                .as_ref()
                .and_then(|internals| internals.budget.as_ref()),
            project.end_date,
        ) {
            // One budget over the whole project (type 1 original, status 1 indicative): the
            // portal keeps the total, not yearly figures.
            xml.open("budget", &[("type", "1"), ("status", "1")]);
            xml.empty("period-start", &[("iso-date", &start)]);
            xml.empty("period-end", &[("iso-date", &end_date.to_string())]);
            xml.leaf(
                "value",
                &[("currency", &budget.currency), ("value-date", &start)],
                &format!(
                    "{}.{:02}",
                    budget.amount_minor.div_euclid(100),
                    budget.amount_minor.rem_euclid(100)
                ),
            );
            xml.close("budget");
        }
        let results = results_at(xml.depth, activity.indicators);
        xml.raw(&results);
        xml.close("iati-activity");
        xml.finish()
    }
}

/// The `result` of a project's indicators: one result of type 1 (Output) holding them all,
/// nothing when there are none. Measures: `NUMBER` 1 (unit), `PERCENTAGE` 2, `YES_NO` 3
/// (nominal); a baseline with its year, date and value; each period with its target and
/// actual value when known.
pub fn results(indicators: &[IatiIndicator]) -> String {
    results_at(0, indicators)
}

fn results_at(depth: usize, indicators: &[IatiIndicator]) -> String {
    if indicators.is_empty() {
        return String::new();
    }
    let mut xml = Xml::new(depth);
    xml.open("result", &[("type", "1")]);
    xml.open("title", &[]);
    xml.narratives_of(&[("en", "Outputs"), ("ru", "Непосредственные результаты")]);
    xml.close("title");
    for indicator in indicators {
        let measure = match indicator.measure {
            IndicatorMeasure::Number => "1",
            IndicatorMeasure::Percentage => "2",
            IndicatorMeasure::YesNo => "3",
        };
        let ascending = if indicator.ascending { "true" } else { "false" };
        xml.open(
            "indicator",
            &[("measure", measure), ("ascending", ascending)],
        );
        xml.texts("title", &[], &indicator.title, "Indicator");
        if !indicator.definition.is_empty() {
            xml.texts("description", &[], &indicator.definition, "");
        }
        if let Some((date, value)) = indicator.baseline {
            xml.empty(
                "baseline",
                &[
                    ("year", &date.year().to_string()),
                    ("iso-date", &date.to_string()),
                    ("value", &value.to_string()),
                ],
            );
        }
        for period in &indicator.periods {
            xml.open("period", &[]);
            xml.empty("period-start", &[("iso-date", &period.start.to_string())]);
            xml.empty("period-end", &[("iso-date", &period.end.to_string())]);
            if let Some(target) = period.target {
                xml.empty("target", &[("value", &target.to_string())]);
            }
            if let Some(actual) = period.actual {
                xml.empty("actual", &[("value", &actual.to_string())]);
            }
            xml.close("period");
        }
        xml.close("indicator");
    }
    xml.close("result");
    xml.finish()
}

/// OrganisationRole of a partner's role.
///
/// `COUNTERPART` is 2, Accountable. IATI 2.03 has four roles: Funding (1), Accountable (2),
/// Extending (3) and Implementing (4). An OSCE counterpart is the national authority that
/// requested or endorsed the project and oversees it with the Office; it neither pays for it
/// (Funding), manages its funds on a funder's behalf (Extending), nor carries out the work
/// (Implementing, which a counterpart that also does the work is recorded as). Accountable,
/// "responsible for oversight of the activity and its outcomes", is the role that says that.
pub fn role_code(role: PartnerRole) -> &'static str {
    match role {
        PartnerRole::Funding => "1",
        PartnerRole::Accountable | PartnerRole::Counterpart => "2",
        PartnerRole::Implementing => "4",
    }
}

/// OrganisationType of an organisation's kind. The portal's NGOs are Tajik: 24, partner
/// country based NGO. Its donors are governments (10); a donor of another kind would need a
/// kind of its own. `INTERNATIONAL` is 40, multilateral (an international NGO recorded with
/// that kind reads as one too).
pub fn organisation_type(kind: OrganisationKind) -> &'static str {
    match kind {
        OrganisationKind::Government | OrganisationKind::Donor => "10",
        OrganisationKind::Ngo => "24",
        OrganisationKind::International => "40",
        OrganisationKind::Private => "70",
        OrganisationKind::Academic => "80",
    }
}

/// ActivityStatus of a project's status. `COMPLETED` is 4, closed: the portal's completed
/// projects are over, and it tracks no financial close that finalisation (3) would wait for.
pub fn status_code(status: ProjectStatus) -> &'static str {
    match status {
        ProjectStatus::Planned => "1",
        ProjectStatus::Active => "2",
        ProjectStatus::Completed => "4",
        ProjectStatus::Suspended => "6",
    }
}

/// The DAC 5-digit purpose code (IATI Sector vocabulary 1) of a thematic area: the code whose
/// description covers the Office's work in that field.
pub fn sector_code(area: ThematicArea) -> &'static str {
    match area {
        // Reintegration and SALW control: small arms and ammunition stockpiles.
        ThematicArea::ArmsControl => "15240",
        // Legal and judicial development, which names border management, law enforcement
        // agencies and police among its contents.
        ThematicArea::BorderManagement | ThematicArea::Policing | ThematicArea::RuleOfLaw => {
            "15130"
        }
        // Security system management and reform.
        ThematicArea::CounteringTerrorism => "15210",
        // Business policy and administration.
        ThematicArea::EconomicActivities => "25010",
        // Environmental policy and administrative management.
        ThematicArea::EnvironmentalActivities => "41010",
        // Disaster risk reduction.
        ThematicArea::DisasterRiskReduction => "43060",
        // Water sector policy and administrative management (energy's own code, 23110, is
        // left out so that one area keeps one code and one share).
        ThematicArea::WaterAndEnergy => "14010",
        // Public sector policy and administrative management.
        ThematicArea::GoodGovernance => "15110",
        // Human rights.
        ThematicArea::HumanRights => "15160",
        // Media and free flow of information.
        ThematicArea::MediaFreedom => "15153",
        // Facilitation of orderly, safe, regular and responsible migration and mobility, which
        // covers preventing and combating trafficking in human beings.
        ThematicArea::CombatingTrafficking => "15190",
        // Women's rights organisations and movements, and government institutions.
        ThematicArea::GenderEquality => "15170",
        // Ending violence against women and girls.
        ThematicArea::DomesticViolence => "15180",
        // Democratic participation and civil society: the Office's youth work is civic
        // participation.
        ThematicArea::Youth => "15150",
    }
}

/// The sectors of a project's thematic areas, each area an equal share, areas of one code
/// added up; the percentages (two decimals at most) sum to exactly 100.
fn sectors(areas: &[ThematicArea]) -> Vec<(&'static str, String)> {
    let Ok(count) = u32::try_from(areas.len()) else {
        return Vec::new();
    };
    if count == 0 {
        return Vec::new();
    }
    // In hundredths of a percent; the first areas take the remainder, one hundredth each.
    let (share, remainder) = (10_000 / count, 10_000 % count);
    let mut codes: Vec<(&'static str, u32)> = Vec::new();
    for (index, area) in (0_u32..).zip(areas) {
        let hundredths = share + u32::from(index < remainder);
        let code = sector_code(*area);
        match codes.iter_mut().find(|(known, _)| *known == code) {
            Some((_, sum)) => *sum += hundredths,
            None => codes.push((code, hundredths)),
        }
    }
    codes
        .into_iter()
        .map(|(code, hundredths)| {
            let percentage = if hundredths % 100 == 0 {
                (hundredths / 100).to_string()
            } else {
                format!("{}.{:02}", hundredths / 100, hundredths % 100)
            };
            (code, percentage)
        })
        .collect()
}

/// A region's name in the portal's languages; none for `NATIONWIDE`, which is no location
/// (the recipient country says it).
fn region_names(region: Region) -> Option<[(&'static str, &'static str); 3]> {
    Some(match region {
        Region::Dushanbe => [("en", "Dushanbe"), ("ru", "Душанбе"), ("tg", "Душанбе")],
        Region::Sughd => [
            ("en", "Sughd Region"),
            ("ru", "Согдийская область"),
            ("tg", "Вилояти Суғд"),
        ],
        Region::Khatlon => [
            ("en", "Khatlon Region"),
            ("ru", "Хатлонская область"),
            ("tg", "Вилояти Хатлон"),
        ],
        Region::Gbao => [
            ("en", "Gorno-Badakhshan Autonomous Region"),
            ("ru", "Горно-Бадахшанская автономная область"),
            ("tg", "Вилояти Мухтори Кӯҳистони Бадахшон"),
        ],
        Region::Drs => [
            ("en", "Districts of Republican Subordination"),
            ("ru", "Районы республиканского подчинения"),
            ("tg", "Ноҳияҳои тобеи ҷумҳурӣ"),
        ],
        Region::Nationwide => return None,
    })
}

/// The indicators of the projects `project_ids` as the public may read them, by project: the
/// results service's indicators and, of their periods, the targets and the approved results
/// (read as `Actor::Anonymous`), for the page's projects in two statements.
async fn indicators_of(
    services: &Services,
    project_ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<IatiIndicator>>> {
    let public = Actor::Anonymous;
    let results = services.results();
    let indicators = results.indicators_of(&public, project_ids).await?;
    let ids: Vec<Uuid> = indicators.iter().map(|row| row.id).collect();
    let mut periods: HashMap<Uuid, Vec<IatiPeriod>> = HashMap::new();
    for period in results.periods_of(&public, &ids).await? {
        periods
            .entry(period.indicator_id)
            .or_default()
            .push(IatiPeriod {
                start: period.period_start,
                end: period.period_end,
                target: period.target_value,
                actual: period.actual_value,
            });
    }
    let mut by_project: HashMap<Uuid, Vec<IatiIndicator>> = HashMap::new();
    for row in indicators {
        by_project
            .entry(row.project_id)
            .or_default()
            .push(IatiIndicator {
                periods: periods.remove(&row.id).unwrap_or_default(),
                title: row.title,
                definition: row.definition,
                measure: row.measure,
                ascending: row.ascending,
                baseline: row.baseline_date.zip(row.baseline_value),
            });
    }
    Ok(by_project)
}

/// `GET /exports/iati/activities.xml`: the public projects as IATI activities, for anyone.
pub(super) async fn activities(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    let request_id = request_id.to_string();
    let caller = match state.caller(&http, request_id.clone()).await {
        Ok(context) => context.caller,
        Err(error) => return error_response(&error, &request_id),
    };
    if let Err(error) = policy::may_read_publications(&caller.actor) {
        return error_response(&error, &request_id);
    }
    let cost = u32::try_from(MAX_COMPLEXITY).unwrap_or(u32::MAX);
    if let Err(over) = state
        .cost_limiter
        .charge(&caller.actor, caller.client_ip, cost)
    {
        let error = ApiError::RateLimited {
            retry_after_secs: over.retry_after_secs,
        };
        let mut response = error_response(&error, &request_id);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(over.retry_after_secs),
        );
        return response;
    }
    let publication = Publication::new(state.iati.organisation_ref.clone(), Utc::now());
    let head = Bytes::from(publication.head());
    let services = state.services.clone();
    let filter = ProjectFilter {
        visibility: Some(Visibility::Public),
        ..ProjectFilter::default()
    };
    let pages = paged(head, move |after| {
        let (services, filter, publication) =
            (services.clone(), filter.clone(), publication.clone());
        async move {
            let public = Actor::Anonymous;
            let projects = services.projects();
            let page = projects
                .list(&public, &filter, ProjectOrder::CodeAsc, &page_args(after))
                .await?;
            let ids: Vec<Uuid> = page.items.iter().map(|(_, project)| project.id).collect();
            let mut partners: HashMap<Uuid, Vec<ProjectPartner>> = HashMap::new();
            for partner in projects.partners_of(&public, &ids).await? {
                partners
                    .entry(partner.project_id)
                    .or_default()
                    .push(partner);
            }
            let mut areas: HashMap<Uuid, Vec<ThematicArea>> = HashMap::new();
            for row in projects.thematic_areas_of(&public, &ids).await? {
                areas
                    .entry(row.project_id)
                    .or_default()
                    .push(row.thematic_area);
            }
            let mut regions: HashMap<Uuid, Vec<Region>> = HashMap::new();
            for row in projects.regions_of(&public, &ids).await? {
                regions.entry(row.project_id).or_default().push(row.region);
            }
            let indicators = indicators_of(&services, &ids).await?;
            let mut chunk = String::new();
            for (_, project) in &page.items {
                chunk.push_str(&publication.activity(&Activity {
                    project,
                    partners: partners.get(&project.id).map_or(&[], Vec::as_slice),
                    thematic_areas: areas.get(&project.id).map_or(&[], Vec::as_slice),
                    regions: regions.get(&project.id).map_or(&[], Vec::as_slice),
                    indicators: indicators.get(&project.id).map_or(&[], Vec::as_slice),
                }));
            }
            Ok((Bytes::from(chunk), next_cursor(&page)))
        }
    });
    let body = pages.chain(stream::once(async {
        Ok(Bytes::from_static(Publication::TAIL.as_bytes()))
    }));
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(streamed(body))
}

/// XML text built element by element, indented two spaces a level, every text and attribute
/// value escaped.
struct Xml {
    text: String,
    depth: usize,
}

impl Xml {
    fn new(depth: usize) -> Self {
        Self {
            text: String::new(),
            depth,
        }
    }

    fn finish(self) -> String {
        self.text
    }

    fn raw(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn start_tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
        self.text.push('<');
        self.text.push_str(name);
        for (attribute, value) in attributes {
            self.text.push(' ');
            self.text.push_str(attribute);
            self.text.push_str("=\"");
            escape_into(&mut self.text, value, true);
            self.text.push('"');
        }
    }

    /// `<name …>` on a line of its own; what follows is nested in it.
    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.text.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    /// `<name …/>`.
    fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.text.push_str("/>\n");
    }

    /// `<name …>text</name>`.
    fn leaf(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.start_tag(name, attributes);
        self.text.push('>');
        escape_into(&mut self.text, text, false);
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    /// A `narrative` per language of `names`.
    fn narratives_of(&mut self, names: &[(&str, &str)]) {
        for (language, text) in names {
            self.leaf("narrative", &[("xml:lang", language)], text);
        }
    }

    /// A `narrative` per language `text` has (blank ones left out), in the order en, ru, tg.
    fn narratives(&mut self, text: &Localized) {
        for (language, value) in [("en", &text.en), ("ru", &text.ru), ("tg", &text.tg)] {
            if let Some(value) = value.as_deref().filter(|value| !value.trim().is_empty()) {
                self.leaf("narrative", &[("xml:lang", language)], value);
            }
        }
    }

    /// `<name …>` with the narratives of `text`, or one `fallback` narrative (in no declared
    /// language) when `text` has none: the schema asks these elements for at least one.
    fn texts(&mut self, name: &str, attributes: &[(&str, &str)], text: &Localized, fallback: &str) {
        self.open(name, attributes);
        if text.is_empty() {
            self.leaf("narrative", &[], fallback);
        } else {
            self.narratives(text);
        }
        self.close(name);
    }
}

/// Appends `text` escaped for XML: markup characters as entities (and in an attribute value
/// the quote, and tabs and line breaks, which a parser would turn into spaces), a carriage
/// return as a reference (a parser would drop it), and characters XML 1.0 forbids even as
/// references (most control characters) as U+FFFD.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => {
                out.push(character);
            }
            _ => out.push('\u{FFFD}'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str, attribute: bool) -> String {
        let mut out = String::new();
        escape_into(&mut out, text, attribute);
        out
    }

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(
            escaped("<b>Tom & \"Jerry\"</b>", false),
            "&lt;b&gt;Tom &amp; \"Jerry\"&lt;/b&gt;"
        );
        assert_eq!(escaped("a\"b\tc\nd\re", true), "a&quot;b&#9;c&#10;d&#13;e");
        assert_eq!(
            escaped("bell\u{7}end\u{FFFE}", false),
            "bell\u{FFFD}end\u{FFFD}"
        );
        assert_eq!(escaped("Душанбе 🌄", false), "Душанбе 🌄");
    }

    #[test]
    fn sector_shares_sum_to_a_hundred_and_merge_codes() {
        use ThematicArea::*;
        assert_eq!(sectors(&[]), Vec::new());
        assert_eq!(sectors(&[HumanRights]), vec![("15160", "100".to_owned())]);
        assert_eq!(
            sectors(&[HumanRights, MediaFreedom, Youth]),
            vec![
                ("15160", "33.34".to_owned()),
                ("15153", "33.33".to_owned()),
                ("15150", "33.33".to_owned())
            ]
        );
        // Border management and policing share one code.
        assert_eq!(
            sectors(&[BorderManagement, Policing, Youth]),
            vec![("15130", "66.67".to_owned()), ("15150", "33.33".to_owned())]
        );
        let seven = sectors(&[
            ArmsControl,
            HumanRights,
            MediaFreedom,
            Youth,
            GenderEquality,
            DomesticViolence,
            GoodGovernance,
        ]);
        let total: f64 = seven
            .iter()
            .map(|(_, percentage)| percentage.parse::<f64>().unwrap_or(f64::NAN))
            .sum();
        assert!((total - 100.0).abs() < 1e-9, "{seven:?}");
    }

    #[test]
    fn organisation_refs_follow_iati_rules() {
        assert!(IatiSettings::new("XM-DAC-41114").is_ok());
        assert!(IatiSettings::new("GB-CHC-202918").is_ok());
        assert!(IatiSettings::new(IatiSettings::DEFAULT_ORGANISATION_REF).is_ok());
        for refused in ["", "OSCE", "XM OSCE", "XM-OSCE/1", "XM-&", "-XM", "XM-"] {
            assert!(IatiSettings::new(refused).is_err(), "{refused:?}");
        }
    }
}
