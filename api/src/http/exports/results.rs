//! The results framework as CSV: `GET /exports/indicators.csv` (one row per indicator) and
//! `GET /exports/indicator-results.csv` (one row per period of each indicator: target, result,
//! progress), of the indicators the caller may read and with the results it may read, exactly
//! as the API shows them (the same service calls). Optionally of one project (`projectId`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use entity::indicator;
use sea_orm::ActiveEnum;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use super::{
    AppState, PAGE_ROWS, audit_export, download,
    file::{csv_lines, csv_response, head, paged},
};
use crate::{
    auth::Actor,
    error::ApiResult,
    graphql::common::pick,
    services::{
        Services,
        pagination::Cursor,
        results::{PeriodKey, PeriodView, ProgressStatus},
    },
};

/// The order name of the indicators' cursors.
const BY_ID: &str = "ID";

/// A number as a spreadsheet reads it; empty when absent.
fn number(value: Option<f64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// One page of indicators after `after` with their projects' codes; the cursor of the next.
async fn indicator_page(
    services: &Services,
    actor: &Actor,
    project_id: Option<Uuid>,
    after: Option<Cursor>,
) -> ApiResult<(Vec<indicator::Model>, HashMap<Uuid, String>, Option<Cursor>)> {
    let (indicators, more) = services
        .results()
        .indicator_page(actor, project_id, after.map(|cursor| cursor.id), PAGE_ROWS)
        .await?;
    let project_ids: Vec<Uuid> = indicators.iter().map(|row| row.project_id).collect();
    let codes = services
        .projects()
        .by_ids(actor, &project_ids)
        .await?
        .into_iter()
        .map(|project| (project.id, project.code))
        .collect();
    let next = more
        .then(|| indicators.last())
        .flatten()
        .map(|last| Cursor {
            order: BY_ID.to_owned(),
            key: None,
            id: last.id,
        });
    Ok((indicators, codes, next))
}

/// `GET /exports/indicators.csv`.
pub(super) async fn indicators(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    download(
        state,
        http,
        request_id,
        |state, caller, params, language| async move {
            params.only(&["projectId"])?;
            audit_export(&state.services, &caller, "export.indicators", &params).await?;
            let header = head(&[
                "project_code",
                "indicator_id",
                "title",
                "definition",
                "measure",
                "disaggregated_by_sex",
                "ascending",
                "periodicity",
                "baseline_value",
                "baseline_date",
            ])?;
            let (services, actor, project_id) = (state.services, caller.actor, params.project_id);
            let body = paged(header, move |after| {
                let (services, actor) = (services.clone(), actor.clone());
                async move {
                    let (rows, codes, next) =
                        indicator_page(&services, &actor, project_id, after).await?;
                    let bytes = csv_lines(rows.iter().map(|row| {
                        vec![
                            codes.get(&row.project_id).cloned().unwrap_or_default(),
                            row.id.to_string(),
                            pick(&row.title, language),
                            if row.definition.is_empty() {
                                String::new()
                            } else {
                                pick(&row.definition, language)
                            },
                            row.measure.to_value(),
                            row.disaggregated_by_sex.to_string(),
                            row.ascending.to_string(),
                            row.periodicity.to_value(),
                            number(row.baseline_value),
                            row.baseline_date
                                .map(|date| date.to_string())
                                .unwrap_or_default(),
                        ]
                    }))?;
                    Ok((bytes, next))
                }
            });
            Ok(csv_response("indicators.csv", body))
        },
    )
    .await
}

/// `GET /exports/indicator-results.csv`.
pub(super) async fn indicator_results(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
) -> HttpResponse {
    download(
        state,
        http,
        request_id,
        |state, caller, params, language| async move {
            params.only(&["projectId"])?;
            audit_export(
                &state.services,
                &caller,
                "export.indicator_results",
                &params,
            )
            .await?;
            let header = head(&[
                "project_code",
                "indicator_id",
                "indicator",
                "period",
                "period_start",
                "period_end",
                "target",
                "actual",
                "actual_female",
                "actual_male",
                "comment",
                "revision",
                "approved",
                "progress",
                "status",
            ])?;
            let (services, actor, project_id) = (state.services, caller.actor, params.project_id);
            let body = paged(header, move |after| {
                let (services, actor) = (services.clone(), actor.clone());
                async move {
                    let (rows, codes, next) =
                        indicator_page(&services, &actor, project_id, after).await?;
                    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
                    let mut periods: HashMap<Uuid, Vec<PeriodView>> = HashMap::new();
                    for period in services.results().periods_of(&actor, &ids).await? {
                        periods.entry(period.indicator_id).or_default().push(period);
                    }
                    let bytes = csv_lines(rows.iter().flat_map(|row| {
                        let code = codes.get(&row.project_id).cloned().unwrap_or_default();
                        let title = pick(&row.title, language);
                        periods
                            .remove(&row.id)
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |period| result_line(&code, row, &title, &period))
                    }))?;
                    Ok((bytes, next))
                }
            });
            Ok(csv_response("indicator-results.csv", body))
        },
    )
    .await
}

/// One line of `indicator-results.csv`.
fn result_line(
    code: &str,
    indicator: &indicator::Model,
    title: &str,
    period: &PeriodView,
) -> Vec<String> {
    vec![
        code.to_owned(),
        indicator.id.to_string(),
        title.to_owned(),
        PeriodKey::of(indicator.periodicity, period.period_start).label(),
        period.period_start.to_string(),
        period.period_end.to_string(),
        number(period.target_value),
        number(period.actual_value),
        number(period.actual_female),
        number(period.actual_male),
        period.comment.clone().unwrap_or_default(),
        period
            .revision
            .map(|revision| revision.to_string())
            .unwrap_or_default(),
        period.approved_at.is_some().to_string(),
        number(period.progress),
        period
            .status()
            .map(ProgressStatus::code)
            .unwrap_or_default()
            .to_owned(),
    ]
}
