//! CSV uploads (issue 17): monthly centre reports and events from a spreadsheet, in the columns
//! of their exports (`/exports/centre-reports.csv`, `/exports/events.csv`), so that a file
//! downloaded, corrected and sent back works.
//!
//! Both take `Content-Type: text/csv` with a bearer token, at most 4 MiB, and `?dryRun=true`
//! to check and count what would change; otherwise the whole file is written in one transaction
//! or nothing is, and audited. A refusal is `BAD_USER_INPUT` whose `extensions.fields` names
//! every bad cell as `rows.<line>.<column>`, the line as a spreadsheet numbers it (the header is
//! line 1): first the cells that do not read, then, once all read, what the services refuse.
//!
//! - `POST /imports/centre-reports.csv` reads `centre_id`, `month` (`2026-10` or
//!   `2026-10-01`), `service` (its code), `female` and `male`; `report_id`, `centre`,
//!   `revision` and `total` may be there and are ignored. Rows of one centre and month are one
//!   report, which replaces that month's figures as `submitCentreReport` does.
//! - `POST /imports/events.csv` reads the events export's columns but `organiser` and
//!   `published`; a row with an `id` changes that event, one without records a new one.
//!
//! Any other column is refused.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::NaiveDate;
use entity::enums::{CentreService, EventKind, Region};
use futures_util::StreamExt;
use sea_orm::ActiveEnum;
use serde::Deserialize;
use serde_json::json;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use super::{AppState, errors};
use crate::{
    error::{ApiError, ApiResult, FieldError},
    graphql::common::RequestContext,
    policy,
    services::{
        events::{EventInput, ImportedEvent},
        input::ImportOutcome,
        reports::{ImportedReport, ReportLine},
    },
};

/// The largest file taken: some ten thousand rows, years of reports of every centre.
const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

/// The columns read, and those of the export that are ignored.
const READ: [&str; 5] = ["centre_id", "month", "service", "female", "male"];
const IGNORED: [&str; 4] = ["report_id", "centre", "revision", "total"];

/// The routes of the uploads.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/imports/centre-reports.csv",
            web::post().to(centre_reports),
        )
        .route("/imports/events.csv", web::post().to(events));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(rename = "dryRun", default)]
    dry_run: bool,
}

async fn centre_reports(
    state: web::Data<AppState>,
    http: HttpRequest,
    payload: web::Payload,
    request_id: RequestId,
) -> HttpResponse {
    upload(
        state,
        http,
        payload,
        request_id,
        |state, context, body, dry_run| async move {
            let reports = parse(&body)?;
            state
                .services
                .reports()
                .import(&context.caller, reports, dry_run)
                .await
        },
    )
    .await
}

/// `POST /imports/events.csv`: events in the columns of `/exports/events.csv`. A row with an
/// `id` changes that event, one without records a new one (unpublished); `title` is the text
/// in the request's language (`Accept-Language`, as the export wrote it); `organiser` and
/// `published` are ignored (publish with `publishEvent`).
async fn events(
    state: web::Data<AppState>,
    http: HttpRequest,
    payload: web::Payload,
    request_id: RequestId,
) -> HttpResponse {
    upload(
        state,
        http,
        payload,
        request_id,
        |state, context, body, dry_run| async move {
            let rows = parse_events(&body)?;
            state
                .services
                .events()
                .import(&context.caller, context.language, rows, dry_run)
                .await
        },
    )
    .await
}

/// Signs the caller in, checks the request and reads the file, runs `import`, and answers its
/// outcome or its refusal.
async fn upload<F, Fut>(
    state: web::Data<AppState>,
    http: HttpRequest,
    payload: web::Payload,
    request_id: RequestId,
    import: F,
) -> HttpResponse
where
    F: FnOnce(AppState, RequestContext, Vec<u8>, bool) -> Fut,
    Fut: Future<Output = ApiResult<ImportOutcome>>,
{
    let request_id = request_id.to_string();
    let outcome = async {
        let context = state.caller(&http, request_id.clone()).await?;
        policy::may_import(&context.caller.actor)?;
        let params = web::Query::<Params>::from_query(http.query_string()).map_err(|_| {
            ApiError::bad_input(
                "dryRun",
                "The only parameter is dryRun=true or dryRun=false.",
            )
        })?;
        let is_csv = http
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim().to_ascii_lowercase().starts_with("text/csv"));
        if !is_csv {
            return Err(ApiError::bad_input(
                "Content-Type",
                "Send the file as Content-Type: text/csv.",
            ));
        }
        let body = read_body(payload).await?;
        let outcome = import(state.get_ref().clone(), context, body, params.dry_run).await?;
        Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({
                "dryRun": params.dry_run,
                "records": outcome.reports,
                "changed": outcome.changed,
            })))
    }
    .await;
    outcome.unwrap_or_else(|error: ApiError| {
        if let ApiError::Internal(source) = &error {
            tracing::error!(error = format!("{source:#}"), request_id, "import failed");
        }
        errors::api_error(&error, &request_id)
    })
}

/// The body, refused past [`MAX_IMPORT_BYTES`] while it is read.
async fn read_body(mut payload: web::Payload) -> ApiResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_input("file", "The upload was cut off."))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::bad_input(
                "file",
                format!(
                    "The file is larger than {} MiB; send it in parts.",
                    MAX_IMPORT_BYTES / 1024 / 1024
                ),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A cell as written, without the `'` the export puts before one a spreadsheet would take for
/// a formula.
fn cell(text: &str) -> &str {
    let text = text.trim();
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => text,
    }
}

/// A file's rows, each with its line (the header is line 1), and where each column is.
struct Table {
    headers: Vec<String>,
    rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|header| header == name)
    }
}

/// Reads `body` as CSV whose header names `required` columns and maybe `optional` or `ignored`
/// ones, into its rows (empty ones left out); or every problem with the columns and the rows'
/// shapes, in `problems`.
fn read_table(
    body: &[u8],
    required: &[&str],
    optional: &[&str],
    ignored: &[&str],
    problems: &mut Vec<FieldError>,
) -> ApiResult<Option<Table>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_input("file", "The file is not UTF-8 text."))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| ApiError::bad_input("file", "The first line must name the columns."))?
        .iter()
        .map(|name| cell(name).to_owned())
        .collect();
    let known = |name: &str| {
        required.contains(&name) || optional.contains(&name) || ignored.contains(&name)
    };
    for name in &headers {
        if !known(name) {
            problems.push(problem(
                format!("columns.{name}"),
                "Unknown column; the columns are those of the export.",
            ));
        }
    }
    for name in required {
        if !headers.iter().any(|header| header == name) {
            problems.push(problem(
                format!("columns.{name}"),
                "This column is missing.",
            ));
        }
    }
    if !problems.is_empty() {
        return Ok(None);
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        // The header is line 1 (a record spanning lines is rare in such files).
        let line = index + 2;
        match record {
            Ok(record) if record.iter().all(|value| value.trim().is_empty()) => {}
            Ok(record) => rows.push((line, record)),
            Err(_) => problems.push(problem(
                format!("rows.{line}"),
                "This row does not have the header's number of cells.",
            )),
        }
    }
    Ok(Some(Table { headers, rows }))
}

/// The refusal of `problems`, in the order of their lines.
fn in_file_order(mut problems: Vec<FieldError>) -> ApiError {
    problems.sort_by_key(|problem| {
        problem
            .field
            .strip_prefix("rows.")
            .and_then(|rest| rest.split('.').next())
            .and_then(|line| line.parse::<usize>().ok())
            .unwrap_or(0)
    });
    ApiError::BadUserInput(problems)
}

fn problem(field: String, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.to_owned(),
    }
}

/// The reports of a file, grouped by centre and month, or every problem of it.
fn parse(body: &[u8]) -> ApiResult<Vec<ImportedReport>> {
    let mut problems = Vec::new();
    let Some(table) = read_table(body, &READ, &[], &IGNORED, &mut problems)? else {
        return Err(ApiError::BadUserInput(problems));
    };
    let column = |name: &str| table.column(name).unwrap_or_default();
    let (centre, month, service, female, male) = (
        column("centre_id"),
        column("month"),
        column("service"),
        column("female"),
        column("male"),
    );
    let mut reports: BTreeMap<(Uuid, NaiveDate), ImportedReport> = BTreeMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        let get = |column: usize| cell(record.get(column).unwrap_or_default());
        let centre_id = Uuid::parse_str(get(centre)).ok();
        if centre_id.is_none() {
            problems.push(problem(
                format!("rows.{line}.centre_id"),
                "Not a centre id.",
            ));
        }
        let month_of = parse_month(get(month));
        if month_of.is_none() {
            problems.push(problem(
                format!("rows.{line}.month"),
                "A month is 2026-10 or 2026-10-01.",
            ));
        }
        let service_of = CentreService::try_from_value(&get(service).to_owned()).ok();
        if service_of.is_none() {
            problems.push(problem(
                format!("rows.{line}.service"),
                "Not a service code (such as LEGAL_CONSULTATION).",
            ));
        }
        let mut count = |column: usize, name: &str| {
            let parsed = get(column).parse::<i32>().ok();
            if parsed.is_none() {
                problems.push(problem(
                    format!("rows.{line}.{name}"),
                    "A count is a whole number.",
                ));
            }
            parsed
        };
        let (female_of, male_of) = (count(female, "female"), count(male, "male"));
        let (Some(centre_id), Some(month_of), Some(service), Some(female), Some(male)) =
            (centre_id, month_of, service_of, female_of, male_of)
        else {
            continue;
        };
        reports
            .entry((centre_id, month_of))
            .or_insert_with(|| ImportedReport {
                centre_id,
                first_line: line,
                month: month_of,
                lines: Vec::new(),
            })
            .lines
            .push((
                line,
                ReportLine {
                    service,
                    female,
                    male,
                },
            ));
    }
    if problems.is_empty() {
        Ok(reports.into_values().collect())
    } else {
        Err(in_file_order(problems))
    }
}

/// The columns of an events file.
const EVENT_REQUIRED: [&str; 5] = ["title", "kind", "starts_on", "region", "district"];
const EVENT_OPTIONAL: [&str; 8] = [
    "id",
    "ends_on",
    "venue",
    "organiser_id",
    "project_id",
    "participants_female",
    "participants_male",
    "participants_undisclosed",
];
const EVENT_IGNORED: [&str; 2] = ["organiser", "published"];

/// The events of a file, one per row, or every problem of it. An empty optional cell leaves
/// its field as it is (an empty `venue` or `project_id` clears it).
fn parse_events(body: &[u8]) -> ApiResult<Vec<ImportedEvent>> {
    let mut problems = Vec::new();
    let Some(table) = read_table(
        body,
        &EVENT_REQUIRED,
        &EVENT_OPTIONAL,
        &EVENT_IGNORED,
        &mut problems,
    )?
    else {
        return Err(ApiError::BadUserInput(problems));
    };
    let mut events = Vec::new();
    for (line, record) in &table.rows {
        let line = *line;
        let get = |name: &str| -> Option<&str> {
            table
                .column(name)
                .and_then(|column| record.get(column))
                .map(cell)
                .filter(|value| !value.is_empty())
        };
        let mut bad = |name: &str, message: &str| {
            problems.push(problem(format!("rows.{line}.{name}"), message));
        };
        let mut id_of = |name: &str, message: &str| -> Option<Option<Uuid>> {
            match get(name) {
                None => Some(None),
                Some(text) => match Uuid::parse_str(text) {
                    Ok(id) => Some(Some(id)),
                    Err(_) => {
                        bad(name, message);
                        None
                    }
                },
            }
        };
        let id = id_of("id", "Not an event id (leave it empty for a new event).");
        let organiser_id = id_of("organiser_id", "Not an organisation id.");
        let project_id = id_of("project_id", "Not a project id (leave it empty for none).");
        let mut date = |name: &str| -> Option<Option<NaiveDate>> {
            match get(name) {
                None => Some(None),
                Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                    Ok(day) => Some(Some(day)),
                    Err(_) => {
                        problems.push(problem(
                            format!("rows.{line}.{name}"),
                            "A date is 2026-10-14.",
                        ));
                        None
                    }
                },
            }
        };
        let (starts_on, ends_on) = (date("starts_on"), date("ends_on"));
        let kind = get("kind").and_then(|code| EventKind::try_from_value(&code.to_owned()).ok());
        if kind.is_none() {
            problems.push(problem(
                format!("rows.{line}.kind"),
                "Not an event kind (such as TRAINING).",
            ));
        }
        let region = get("region").and_then(|code| Region::try_from_value(&code.to_owned()).ok());
        if region.is_none() {
            problems.push(problem(
                format!("rows.{line}.region"),
                "Not a region (such as KHATLON).",
            ));
        }
        let mut count = |name: &str| -> Option<Option<i32>> {
            match get(name) {
                None => Some(None),
                Some(text) => match text.parse::<i32>() {
                    Ok(count) => Some(Some(count)),
                    Err(_) => {
                        problems.push(problem(
                            format!("rows.{line}.{name}"),
                            "A number of participants is a whole number.",
                        ));
                        None
                    }
                },
            }
        };
        let counts = (
            count("participants_female"),
            count("participants_male"),
            count("participants_undisclosed"),
        );
        let (
            Some(id),
            Some(organiser_id),
            Some(project_id),
            Some(starts_on),
            Some(ends_on),
            Some(kind),
            Some(region),
            (Some(female), Some(male), Some(undisclosed)),
        ) = (
            id,
            organiser_id,
            project_id,
            starts_on,
            ends_on,
            kind,
            region,
            counts,
        )
        else {
            continue;
        };
        let column = |name: &str| {
            table
                .column(name)
                .and_then(|column| record.get(column))
                .map(|value| cell(value).to_owned())
        };
        events.push(ImportedEvent {
            line,
            id,
            title: get("title").unwrap_or_default().to_owned(),
            input: EventInput {
                // An empty cell clears the project and the venue, where the file has the column.
                project_id: column("project_id").map(|_| project_id),
                title: None,
                kind: Some(kind),
                starts_on,
                ends_on,
                region: Some(region),
                district: get("district").map(str::to_owned),
                venue: column("venue").map(|venue| Some(venue).filter(|venue| !venue.is_empty())),
                organiser_id,
                participants_female: female,
                participants_male: male,
                participants_undisclosed: undisclosed,
                summary: None,
            },
        });
    }
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(in_file_order(problems))
    }
}

/// `2026-10` or `2026-10-01` (any day: the month is what counts).
fn parse_month(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::BadUserInput(problems) => {
                problems.into_iter().map(|problem| problem.field).collect()
            }
            other => panic!("{}", other.code()),
        }
    }

    #[test]
    fn a_file_of_the_exports_columns_is_read_and_grouped_by_centre_and_month() {
        let centre = Uuid::now_v7();
        let file = format!(
            "\u{feff}report_id,centre_id,centre,month,revision,service,female,male,total\n\
             x,{centre},'-Centre,2026-10-01,1,LEGAL_CONSULTATION,64,3,67\n\
             x,{centre},'-Centre,2026-10-01,1,PSYCHOSOCIAL_COUNSELLING,38,0,38\n\
             ,,,,,,,,\n\
             x,{centre},'-Centre,2026-09,1,LEGAL_CONSULTATION,1,2,3\n"
        );
        let reports = parse(file.as_bytes()).expect("a good file");
        assert_eq!(reports.len(), 2);
        assert_eq!(
            reports[1].month,
            NaiveDate::from_ymd_opt(2026, 10, 1).expect("day")
        );
        assert_eq!(reports[1].lines.len(), 2);
        assert_eq!(reports[1].first_line, 2);
        assert_eq!(reports[0].lines[0].0, 5);
    }

    #[test]
    fn every_bad_cell_and_column_is_named() {
        let missing = fields(parse(b"centre_id,month,service,female\n").expect_err("no male"));
        assert_eq!(missing, ["columns.male"]);
        let unknown =
            fields(parse(b"centre_id,month,service,female,male,notes\n").expect_err("notes"));
        assert_eq!(unknown, ["columns.notes"]);
        let file = "centre_id,month,service,female,male\n\
                    nope,October,SHELTER,-,1\n\
                    0190a000-0000-7000-8000-000000000000,2026-10,NAPPING,3,x\n\
                    1,2\n";
        assert_eq!(
            fields(parse(file.as_bytes()).expect_err("bad rows")),
            [
                "rows.2.centre_id",
                "rows.2.month",
                "rows.2.female",
                "rows.3.service",
                "rows.3.male",
                "rows.4",
            ]
        );
    }
}
