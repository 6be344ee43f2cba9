//! The statistics downloads: the tables of the API's statistics queries, under the same
//! suppression, one CSV line per row with its total and a line of column totals.

use actix_web::{
    HttpRequest, HttpResponse,
    web::{self, Bytes},
};
use serde::Deserialize;
use tracing_actix_web::RequestId;

use super::{
    AppState, audit_export, download,
    file::{file_start, whole},
};
use crate::{
    error::{ApiError, ApiResult},
    services::statistics::{CaseDimension, EventDimension, PeopleDimension, Table},
};

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

/// `GET /exports/statistics/events.csv?rows=REGION`.
pub(super) async fn event_statistics(
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
pub(super) async fn people_served_statistics(
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
pub(super) async fn case_statistics(
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
