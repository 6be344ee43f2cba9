//! CSV downloads for people who work in spreadsheets: events, centre reports, statistics, and
//! project indicators with their results; and the public IATI activity file of the projects
//! ([`iati`]), which needs no sign-in.
//!
//! Each download is authenticated like the GraphQL API (a bearer token), asks the same services
//! (so the same policy and the same suppression apply), and is streamed page by page on keyset
//! order, so a large export holds one page in memory, not the file. Text cells that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) are prefixed with `'`. Files start with a UTF-8 byte-order mark so that spreadsheet
//! programs read Cyrillic text correctly.

mod file;
pub mod iati;
mod results;
mod statistics;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use entity::enums::{EventKind, Language, Region, ThematicArea};
use sea_orm::ActiveEnum;
use serde::Deserialize;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    graphql::common::{RequestContext, pick},
    policy,
    services::{
        Services,
        audit::AuditRecord,
        events::{EventFilter, EventOrder},
        pagination::{Cursor, DateRange, PageArgs},
        reports::ReportFilter,
        statistics::StatisticsFilter,
    },
};

use self::file::{csv_lines, csv_response, head, next_cursor, paged};
use super::{AppState, errors};

/// Rows fetched per page while streaming.
const PAGE_ROWS: u64 = 500;

/// The routes of the downloads.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/exports/events.csv", web::get().to(events))
        .route("/exports/centre-reports.csv", web::get().to(centre_reports))
        .route(
            "/exports/statistics/events.csv",
            web::get().to(statistics::event_statistics),
        )
        .route(
            "/exports/statistics/people-served.csv",
            web::get().to(statistics::people_served_statistics),
        )
        .route(
            "/exports/statistics/cases.csv",
            web::get().to(statistics::case_statistics),
        )
        .route(
            "/exports/indicators.csv",
            web::get().to(results::indicators),
        )
        .route(
            "/exports/indicator-results.csv",
            web::get().to(results::indicator_results),
        )
        .route(
            "/exports/iati/activities.xml",
            web::get().to(iati::activities),
        );
}

/// Query parameters of the downloads; each download reads those that apply to it and refuses
/// the others.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    region: Option<Region>,
    kind: Option<EventKind>,
    thematic_area: Option<ThematicArea>,
    organisation_id: Option<Uuid>,
    project_id: Option<Uuid>,
    centre_id: Option<Uuid>,
    rows: Option<String>,
    columns: Option<String>,
}

impl Params {
    fn read(http: &HttpRequest) -> ApiResult<Self> {
        web::Query::<Self>::from_query(http.query_string())
            .map(web::Query::into_inner)
            .map_err(|error| {
                ApiError::bad_input(
                    "query",
                    format!("The download's parameters are not valid: {error}."),
                )
            })
    }

    /// Refuses parameters the download does not use, naming them.
    fn only(&self, allowed: &[&str]) -> ApiResult<()> {
        let given = [
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("region", self.region.is_some()),
            ("kind", self.kind.is_some()),
            ("thematicArea", self.thematic_area.is_some()),
            ("organisationId", self.organisation_id.is_some()),
            ("projectId", self.project_id.is_some()),
            ("centreId", self.centre_id.is_some()),
            ("rows", self.rows.is_some()),
            ("columns", self.columns.is_some()),
        ];
        let refused: Vec<crate::error::FieldError> = given
            .iter()
            .filter(|(name, present)| *present && !allowed.contains(name))
            .map(|(name, _)| crate::error::FieldError {
                field: (*name).to_owned(),
                message: format!("This download cannot be filtered by `{name}`."),
            })
            .collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(ApiError::BadUserInput(refused))
        }
    }

    fn statistics_filter(&self) -> ApiResult<StatisticsFilter> {
        Ok(StatisticsFilter {
            period: DateRange::new(self.from, self.to, "from")?,
            region: self.region,
            thematic_area: self.thematic_area,
            organisation_id: self.organisation_id,
            centre_id: self.centre_id,
        })
    }
}

/// A signed-in caller with no pending restriction, or the error to answer.
async fn signed_in(
    state: &AppState,
    http: &HttpRequest,
    request_id: &str,
) -> ApiResult<RequestContext> {
    let context = state.caller(http, request_id.to_owned()).await?;
    policy::may_download(&context.caller.actor)?;
    Ok(context)
}

/// An error as JSON shaped like a GraphQL error, with a status that says the same.
fn error_response(error: &ApiError, request_id: &str) -> HttpResponse {
    if let ApiError::Internal(source) = error {
        tracing::error!(error = format!("{source:#}"), request_id, "export failed");
    }
    errors::api_error(error, request_id)
}

fn page_args(after: Option<Cursor>) -> PageArgs {
    PageArgs::forward(PAGE_ROWS, after)
}

/// Records the download in the audit log (what and with which filters; never the rows).
async fn audit_export(
    services: &Services,
    caller: &Caller,
    what: &'static str,
    params: &Params,
) -> ApiResult<()> {
    let detail = serde_json::json!({
        "from": params.from, "to": params.to, "region": params.region,
        "kind": params.kind, "thematicArea": params.thematic_area,
        "organisationId": params.organisation_id, "projectId": params.project_id,
        "centreId": params.centre_id, "rows": params.rows, "columns": params.columns,
    });
    services
        .record_audit(
            caller,
            AuditRecord {
                action: what,
                entity_type: None,
                entity_id: None,
                outcome: entity::enums::AuditOutcome::Success,
                detail: Some(detail),
            },
        )
        .await
}

/// Runs `answer` for a signed-in caller, turning any refusal into an error response.
async fn download<F, Fut>(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
    answer: F,
) -> HttpResponse
where
    F: FnOnce(AppState, Caller, Params, Language) -> Fut,
    Fut: Future<Output = ApiResult<HttpResponse>>,
{
    let request_id = request_id.to_string();
    let outcome = async {
        let RequestContext { caller, language } = signed_in(&state, &http, &request_id).await?;
        let params = Params::read(&http)?;
        answer(state.get_ref().clone(), caller, params, language).await
    }
    .await;
    outcome.unwrap_or_else(|error| error_response(&error, &request_id))
}

/// `GET /exports/events.csv`: the events the caller may see, in date order.
async fn events(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    download(
        state,
        http,
        request_id,
        |state, caller, params, language| async move {
            params.only(&[
                "from",
                "to",
                "region",
                "kind",
                "thematicArea",
                "organisationId",
                "projectId",
            ])?;
            let filter = EventFilter {
                kind: params.kind,
                thematic_area: params.thematic_area,
                region: params.region,
                during: DateRange::new(params.from, params.to, "from")?,
                project_id: params.project_id,
                organiser_id: params.organisation_id,
                ..EventFilter::default()
            };
            audit_export(&state.services, &caller, "export.events", &params).await?;
            let header = head(&[
                "id",
                "title",
                "kind",
                "starts_on",
                "ends_on",
                "region",
                "district",
                "venue",
                "organiser_id",
                "organiser",
                "project_id",
                "participants_female",
                "participants_male",
                "participants_undisclosed",
                "published",
            ])?;
            let services = state.services;
            let actor = caller.actor;
            let body = paged(header, move |after| {
                let (services, actor, filter) = (services.clone(), actor.clone(), filter.clone());
                async move {
                    let page = services
                        .events()
                        .list(&actor, &filter, EventOrder::StartsOnAsc, &page_args(after))
                        .await?;
                    let organiser_ids: Vec<Uuid> =
                        page.items.iter().map(|(_, e)| e.organiser_id).collect();
                    let organisers: std::collections::HashMap<Uuid, String> = services
                        .organisations()
                        .by_ids(&actor, &organiser_ids)
                        .await?
                        .into_iter()
                        .map(|o| (o.id, pick(&o.name, language)))
                        .collect();
                    let next = next_cursor(&page);
                    let bytes = csv_lines(page.items.into_iter().map(|(_, event)| {
                        vec![
                            event.id.to_string(),
                            pick(&event.title, language),
                            event.kind.to_value(),
                            event.starts_on.to_string(),
                            event.ends_on.to_string(),
                            event.region.to_value(),
                            event.district.clone(),
                            event.venue.clone().unwrap_or_default(),
                            event.organiser_id.to_string(),
                            organisers
                                .get(&event.organiser_id)
                                .cloned()
                                .unwrap_or_default(),
                            event
                                .project_id
                                .map(|id| id.to_string())
                                .unwrap_or_default(),
                            event.participants_female.to_string(),
                            event.participants_male.to_string(),
                            event.participants_undisclosed.to_string(),
                            event.published.to_string(),
                        ]
                    }))?;
                    Ok((bytes, next))
                }
            });
            Ok(csv_response("events.csv", body))
        },
    )
    .await
}

/// `GET /exports/centre-reports.csv`: one line per service of each report the caller may read
/// (members of the operating organisation, the Programme Office), latest month first.
async fn centre_reports(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    download(
        state,
        http,
        request_id,
        |state, caller, params, language| async move {
            params.only(&["from", "to", "centreId"])?;
            let filter = ReportFilter {
                centre_id: params.centre_id,
                months: DateRange::new(params.from, params.to, "from")?,
                approval: None,
            };
            audit_export(&state.services, &caller, "export.centre_reports", &params).await?;
            let header = head(&[
                "report_id",
                "centre_id",
                "centre",
                "month",
                "revision",
                "service",
                "female",
                "male",
                "total",
            ])?;
            let services = state.services;
            let actor = caller.actor;
            let body = paged(header, move |after| {
                let (services, actor, filter) = (services.clone(), actor.clone(), filter.clone());
                async move {
                    let page = services
                        .reports()
                        .list(&actor, &filter, &page_args(after))
                        .await?;
                    let centre_ids: Vec<Uuid> =
                        page.items.iter().map(|(_, r)| r.report.centre_id).collect();
                    let centres: std::collections::HashMap<Uuid, String> = services
                        .centres()
                        .by_ids(&actor, &centre_ids)
                        .await?
                        .into_iter()
                        .map(|c| (c.id, pick(&c.name, language)))
                        .collect();
                    let next = next_cursor(&page);
                    let bytes = csv_lines(page.items.into_iter().flat_map(|(_, report)| {
                        let centre = centres
                            .get(&report.report.centre_id)
                            .cloned()
                            .unwrap_or_default();
                        let report_row = report.report.clone();
                        report.lines.into_iter().map(move |line| {
                            vec![
                                report_row.id.to_string(),
                                report_row.centre_id.to_string(),
                                centre.clone(),
                                report_row.month.format("%Y-%m").to_string(),
                                report_row.revision.to_string(),
                                line.service.to_value(),
                                line.female.to_string(),
                                line.male.to_string(),
                                (i64::from(line.female) + i64::from(line.male)).to_string(),
                            ]
                        })
                    }))?;
                    Ok((bytes, next))
                }
            });
            Ok(csv_response("centre-reports.csv", body))
        },
    )
    .await
}
