//! CSV uploads (issue 17): a centre's monthly reports from a spreadsheet, in the columns of
//! the export (`/exports/centre-reports.csv`), so that a file downloaded, corrected and sent
//! back works.
//!
//! `POST /imports/centre-reports.csv` (`Content-Type: text/csv`, a bearer token; at most
//! 4 MiB) reads `centre_id`, `month` (`2026-10` or `2026-10-01`), `service` (its code),
//! `female` and `male`; `report_id`, `centre`, `revision` and `total` may be there and are
//! ignored, any other column is refused. Rows of one centre and month are one report, which
//! replaces that month's figures as `submitCentreReport` does. `?dryRun=true` checks and
//! answers what would change; otherwise the whole file is written in one transaction or
//! nothing is. A refusal is `BAD_USER_INPUT` whose `extensions.fields` names every bad cell
//! as `rows.<line>.<column>`, the line as a spreadsheet numbers it (the header is line 1).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::NaiveDate;
use entity::enums::CentreService;
use futures_util::StreamExt;
use sea_orm::ActiveEnum;
use serde::Deserialize;
use serde_json::json;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use super::{AppState, errors};
use crate::{
    error::{ApiError, ApiResult, FieldError},
    policy,
    services::reports::{ImportedReport, ReportLine},
};

/// The largest file taken: some ten thousand rows, years of reports of every centre.
const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

/// The columns read, and those of the export that are ignored.
const READ: [&str; 5] = ["centre_id", "month", "service", "female", "male"];
const IGNORED: [&str; 4] = ["report_id", "centre", "revision", "total"];

/// The routes of the uploads.
pub fn routes(config: &mut web::ServiceConfig) {
    config.route(
        "/imports/centre-reports.csv",
        web::post().to(centre_reports),
    );
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
        let reports = parse(&body)?;
        let outcome = state
            .services
            .reports()
            .import(&context.caller, reports, params.dry_run)
            .await?;
        Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({
                "dryRun": params.dry_run,
                "reports": outcome.reports,
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

/// The reports of a file, grouped by centre and month, or every problem of it.
fn parse(body: &[u8]) -> ApiResult<Vec<ImportedReport>> {
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
    let mut problems: Vec<FieldError> = Vec::new();
    let mut problem = |field: String, message: &str| {
        problems.push(FieldError {
            field,
            message: message.to_owned(),
        });
    };
    for name in &headers {
        if !READ.contains(&name.as_str()) && !IGNORED.contains(&name.as_str()) {
            problem(
                format!("columns.{name}"),
                "Unknown column; the columns are those of the export.",
            );
        }
    }
    let position = |name: &str| headers.iter().position(|header| header == name);
    let columns: Vec<Option<usize>> = READ.iter().map(|name| position(name)).collect();
    for (name, column) in READ.iter().zip(&columns) {
        if column.is_none() {
            problem(format!("columns.{name}"), "This column is missing.");
        }
    }
    let [
        Some(centre),
        Some(month),
        Some(service),
        Some(female),
        Some(male),
    ] = columns[..]
    else {
        return Err(ApiError::BadUserInput(problems));
    };
    let mut reports: BTreeMap<(Uuid, NaiveDate), ImportedReport> = BTreeMap::new();
    for (index, record) in reader.records().enumerate() {
        // The header is line 1 (a record spanning lines is rare in such files).
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(_) => {
                problem(
                    format!("rows.{line}"),
                    "This row does not have the header's number of cells.",
                );
                continue;
            }
        };
        if record.iter().all(|value| value.trim().is_empty()) {
            continue;
        }
        let get = |column: usize| cell(record.get(column).unwrap_or_default());
        let centre_id = Uuid::parse_str(get(centre)).ok();
        if centre_id.is_none() {
            problem(format!("rows.{line}.centre_id"), "Not a centre id.");
        }
        let month_of = parse_month(get(month));
        if month_of.is_none() {
            problem(
                format!("rows.{line}.month"),
                "A month is 2026-10 or 2026-10-01.",
            );
        }
        let service_of = CentreService::try_from_value(&get(service).to_owned()).ok();
        if service_of.is_none() {
            problem(
                format!("rows.{line}.service"),
                "Not a service code (such as LEGAL_CONSULTATION).",
            );
        }
        let mut count = |column: usize, name: &str| {
            let parsed = get(column).parse::<i32>().ok();
            if parsed.is_none() {
                problem(format!("rows.{line}.{name}"), "A count is a whole number.");
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
        Err(ApiError::BadUserInput(problems))
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
