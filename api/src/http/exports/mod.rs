//! CSV downloads for people who work in spreadsheets: events, centre reports and statistics.
//!
//! Each download is authenticated like the GraphQL API (a bearer token), asks the same services
//! (so the same policy and the same suppression apply), and is streamed page by page on keyset
//! order, so a large export holds one page in memory, not the file. Text cells that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) are prefixed with `'`. Files start with a UTF-8 byte-order mark so that spreadsheet
//! programs read Cyrillic text correctly.

use actix_web::{
    HttpRequest, HttpResponse,
    http::header,
    web::{self, Bytes},
};
use chrono::NaiveDate;
use entity::enums::{EventKind, Language, Region, ThematicArea};
use futures_util::{Stream, StreamExt, stream};
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
        pagination::{Cursor, DateRange, Page, PageArgs},
        reports::ReportFilter,
        statistics::{CaseDimension, EventDimension, PeopleDimension, StatisticsFilter, Table},
    },
};

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
            web::get().to(event_statistics),
        )
        .route(
            "/exports/statistics/people-served.csv",
            web::get().to(people_served_statistics),
        )
        .route(
            "/exports/statistics/cases.csv",
            web::get().to(case_statistics),
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

/// A CSV file answer streaming `body`.
fn csv_response(
    file_name: &str,
    body: impl Stream<Item = Result<Bytes, ApiError>> + 'static,
) -> HttpResponse {
    let body = body.map(|chunk| {
        chunk.map_err(|error| {
            // The status is sent already: cut the connection so the client sees an incomplete
            // download rather than a file that looks whole.
            tracing::error!(code = error.code(), "export stopped part way");
            actix_web::error::ErrorInternalServerError(error.code())
        })
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// A cell as a spreadsheet will show it, never as a formula.
pub fn safe_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// CSV lines of `records`, formula-safe.
fn csv_lines<I, R>(records: I) -> ApiResult<Bytes>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        let cells: Vec<String> = record
            .into_iter()
            .map(|cell| safe_cell(&cell).into_owned())
            .collect();
        writer
            .write_record(&cells)
            .map_err(|error| ApiError::Internal(error.into()))?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("{error}")))
}

/// The start of a file: the byte-order mark (so that spreadsheets read UTF-8), then `records`.
fn file_start<I, R>(records: I) -> ApiResult<Bytes>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(&csv_lines(records)?);
    Ok(Bytes::from(bytes))
}

/// The byte-order mark and the header line.
fn head(columns: &[&str]) -> ApiResult<Bytes> {
    file_start([columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()])
}

/// The cursor to fetch the page after `page` from, if there is one.
fn next_cursor<T>(page: &Page<T>) -> Option<Cursor> {
    page.has_next_page
        .then(|| page.items.last().map(|(cursor, _)| cursor.clone()))
        .flatten()
}

/// Streams the header, then one chunk per page fetched by `page` from the cursor it returns,
/// until it returns none.
fn paged<F, Fut>(header: Bytes, mut page: F) -> impl Stream<Item = Result<Bytes, ApiError>>
where
    F: FnMut(Option<Cursor>) -> Fut + 'static,
    Fut: Future<Output = ApiResult<(Bytes, Option<Cursor>)>>,
{
    enum Step {
        Header(Bytes),
        Page(Option<Cursor>),
        Done,
    }
    stream::unfold(Step::Header(header), move |step| {
        let fetch = match &step {
            Step::Page(after) => Some(page(after.clone())),
            Step::Header(_) | Step::Done => None,
        };
        async move {
            match step {
                Step::Header(bytes) => Some((Ok(bytes), Step::Page(None))),
                Step::Page(_) => match fetch?.await {
                    Ok((bytes, Some(cursor))) => Some((Ok(bytes), Step::Page(Some(cursor)))),
                    Ok((bytes, None)) => Some((Ok(bytes), Step::Done)),
                    Err(error) => Some((Err(error), Step::Done)),
                },
                Step::Done => None,
            }
        }
    })
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

/// A dimension named in a query parameter.
fn dimension<T: for<'de> Deserialize<'de>>(
    value: Option<&str>,
    field: &str,
) -> ApiResult<Option<T>> {
    value
        .map(|value| {
            serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
                ApiError::bad_input(
                    field,
                    format!("`{value}` is not a dimension of this table."),
                )
            })
        })
        .transpose()
}

fn required<T>(value: Option<T>, field: &str) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::bad_input(field, format!("Give `{field}`, the rows' dimension.")))
}

/// A statistics table as CSV: a header of column keys, one line per row with its total, and a
/// line of column totals. Suppressed cells read `suppressed`.
fn table_csv(table: &Table) -> ApiResult<Bytes> {
    let cell = |cell: crate::services::statistics::Cell| {
        cell.0
            .map_or_else(|| "suppressed".to_owned(), |v| v.to_string())
    };
    let with_medians = table.medians.is_some();
    let mut header: Vec<String> = vec!["key".to_owned()];
    header.extend(table.column_keys.iter().cloned());
    header.push("TOTAL".to_owned());
    if with_medians {
        header.push("median_hours_to_first_answer".to_owned());
    }
    let median = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    let mut lines = vec![header];
    for (row, key) in table.row_keys.iter().enumerate() {
        let mut line = vec![key.clone()];
        line.extend((0..table.column_keys.len()).map(|column| cell(table.cell(row, column))));
        line.push(cell(table.row_total(row)));
        if let Some(medians) = &table.medians {
            line.push(median(medians.rows.get(row).copied().flatten()));
        }
        lines.push(line);
    }
    let mut totals = vec!["TOTAL".to_owned()];
    totals.extend((0..table.column_keys.len()).map(|column| cell(table.column_total(column))));
    totals.push(cell(table.total()));
    if let Some(medians) = &table.medians {
        totals.push(median(medians.total));
    }
    lines.push(totals);
    file_start(lines)
}

fn whole(file_name: &str, bytes: Bytes) -> HttpResponse {
    csv_response(file_name, stream::once(async move { Ok(bytes) }))
}

/// `GET /exports/statistics/events.csv?rows=REGION`.
async fn event_statistics(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    download(
        state,
        http,
        request_id,
        |state, caller, params, _| async move {
            params.only(&[
                "from",
                "to",
                "region",
                "thematicArea",
                "organisationId",
                "rows",
            ])?;
            let rows: EventDimension =
                required(dimension(params.rows.as_deref(), "rows")?, "rows")?;
            let table = state
                .services
                .statistics()
                .events(&caller.actor, rows, &params.statistics_filter()?)
                .await?;
            audit_export(&state.services, &caller, "export.event_statistics", &params).await?;
            let mut lines = vec![
                [
                    "key",
                    "events",
                    "participants_female",
                    "participants_male",
                    "participants_undisclosed",
                    "participants",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            for figures in table.rows.iter().chain([&table.total]) {
                lines.push(vec![
                    figures.key.clone(),
                    figures.events.to_string(),
                    figures.participants_female.to_string(),
                    figures.participants_male.to_string(),
                    figures.participants_undisclosed.to_string(),
                    figures.participants().to_string(),
                ]);
            }
            Ok(whole("event-statistics.csv", file_start(lines)?))
        },
    )
    .await
}

/// `GET /exports/statistics/people-served.csv?rows=SERVICE&columns=SEX`.
async fn people_served_statistics(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    download(
        state,
        http,
        request_id,
        |state, caller, params, _| async move {
            params.only(&[
                "from",
                "to",
                "region",
                "organisationId",
                "centreId",
                "rows",
                "columns",
            ])?;
            let rows: PeopleDimension =
                required(dimension(params.rows.as_deref(), "rows")?, "rows")?;
            // As in the API, the columns are the sexes unless told otherwise; `ALL` for one column.
            let columns = match params.columns.as_deref() {
                None => Some(PeopleDimension::Sex),
                Some("ALL") => None,
                Some(value) => dimension(Some(value), "columns")?,
            };
            let table = state
                .services
                .statistics()
                .people_served(&caller.actor, rows, columns, &params.statistics_filter()?)
                .await?;
            audit_export(
                &state.services,
                &caller,
                "export.people_served_statistics",
                &params,
            )
            .await?;
            Ok(whole("people-served.csv", table_csv(&table)?))
        },
    )
    .await
}

/// `GET /exports/statistics/cases.csv?rows=KIND[&columns=STATUS]`.
async fn case_statistics(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    download(
        state,
        http,
        request_id,
        |state, caller, params, _| async move {
            params.only(&["from", "to", "region", "organisationId", "rows", "columns"])?;
            let rows: CaseDimension = required(dimension(params.rows.as_deref(), "rows")?, "rows")?;
            let columns: Option<CaseDimension> = dimension(params.columns.as_deref(), "columns")?;
            let table = state
                .services
                .statistics()
                .cases(&caller.actor, rows, columns, &params.statistics_filter()?)
                .await?;
            audit_export(&state.services, &caller, "export.case_statistics", &params).await?;
            Ok(whole("case-statistics.csv", table_csv(&table)?))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_left_alone() {
        for dangerous in [
            "=1+1",
            "+7",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(safe_cell(dangerous), format!("'{dangerous}"));
        }
        for plain in ["Khujand", "", "12", "Женский ресурсный центр", "a=b"] {
            assert_eq!(safe_cell(plain), plain);
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting() -> ApiResult<()> {
        let bytes = csv_lines([vec![
            "a,b".to_owned(),
            "say \"hi\"".to_owned(),
            "two\nlines".to_owned(),
            "=cmd".to_owned(),
        ]])?;
        assert_eq!(
            std::str::from_utf8(&bytes).ok(),
            Some("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",'=cmd\n")
        );
        Ok(())
    }
}
