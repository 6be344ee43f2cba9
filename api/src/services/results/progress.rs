//! Progress, computed in SQL from the results a reader may read.
//!
//! Per period, progress is the share of the way from the baseline to the target that the
//! actual value has gone: `(actual − baseline) / (target − baseline)`, with a baseline of 0
//! when none is given (an indicator where less is better always has one). The same formula
//! serves both directions: for a descending indicator the target is below the baseline, and so
//! is a better actual. A target equal to the baseline (keeping a level) is met (1) or not (0).
//! Progress may be below 0 (worse than the baseline) or above 1 (beyond the target).
//!
//! A period's status: `ACHIEVED` (progress ≥ 1), `ON_TRACK` (≥ [`ON_TRACK`]), `OFF_TRACK`
//! (below), `MISSING` (a target, no result the reader may read, and the period is over),
//! `NOT_DUE` (a target, no result, the period not over), `NO_TARGET` (a result without
//! target); none for a period with neither.
//!
//! An indicator is judged by its latest assessed period: the latest with a target that is over
//! or has a result. It is on track when that period is `ACHIEVED` or `ON_TRACK`; a missing
//! result counts against it. A project's share on track is its indicators on track over its
//! assessed indicators (none assessed: no share).
//!
//! Every statement reads the results through [`policy::readable_results`]: a result the reader
//! may not read (for the public, one not approved yet) counts as not reported.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    enums::{IndicatorPeriodicity, Region, ThematicArea},
    indicator, indicator_period, indicator_period_approval, project_region, project_thematic_area,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityName, FromQueryResult, IdenStatic,
    JoinType,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{auth::Actor, policy};

/// The least progress of a period on track.
pub const ON_TRACK: f64 = 0.8;

/// Where a period stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressStatus {
    Achieved,
    OnTrack,
    OffTrack,
    Missing,
    NotDue,
    NoTarget,
}

impl ProgressStatus {
    const ALL: [(Self, &'static str); 6] = [
        (Self::Achieved, "ACHIEVED"),
        (Self::OnTrack, "ON_TRACK"),
        (Self::OffTrack, "OFF_TRACK"),
        (Self::Missing, "MISSING"),
        (Self::NotDue, "NOT_DUE"),
        (Self::NoTarget, "NO_TARGET"),
    ];

    /// The status of its code in SQL.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, name)| *name == code)
            .map(|(status, _)| *status)
    }

    /// Its code, as SQL computes it and the API and the CSV files spell it.
    pub fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(status, _)| *status == self)
            .map_or("", |(_, code)| code)
    }
}

/// A period of an indicator with what the reader may read of its result, and its progress.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct PeriodView {
    pub id: Uuid,
    pub indicator_id: Uuid,
    /// The indicator's: whether the period is a year or a quarter.
    pub periodicity: IndicatorPeriodicity,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub target_value: Option<f64>,
    /// None when nothing is reported or the reader may not read the result.
    pub actual_value: Option<f64>,
    pub actual_female: Option<f64>,
    pub actual_male: Option<f64>,
    pub comment: Option<String>,
    /// The result's revision (0: only a target), none when the reader may not read it.
    pub revision: Option<i32>,
    /// The reporter, for readers of the history only.
    pub reported_by_id: Option<Uuid>,
    pub reported_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    /// The approver, for readers of the history only.
    pub approved_by_id: Option<Uuid>,
    pub progress: Option<f64>,
    status: Option<String>,
}

impl PeriodView {
    /// Where the period stands (none: neither target nor readable result).
    pub fn status(&self) -> Option<ProgressStatus> {
        self.status.as_deref().and_then(ProgressStatus::from_code)
    }
}

/// The progress of one project.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct ProjectProgress {
    pub project_id: Uuid,
    pub indicators: i64,
    /// Indicators with an assessed period.
    pub assessed: i64,
    pub on_track: i64,
}

impl ProjectProgress {
    /// Indicators on track over indicators assessed; none when none is assessed.
    pub fn share_on_track(&self) -> Option<f64> {
        share(self.on_track, self.assessed)
    }
}

/// How progress across projects is grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    ThematicArea,
    Region,
}

/// Progress across the projects of one thematic area or region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgressGroup {
    pub thematic_area: Option<ThematicArea>,
    pub region: Option<Region>,
    /// Projects with at least one indicator.
    pub projects: i64,
    pub indicators: i64,
    pub assessed: i64,
    pub on_track: i64,
}

impl ProgressGroup {
    /// Indicators on track over indicators assessed; none when none is assessed.
    pub fn share_on_track(&self) -> Option<f64> {
        share(self.on_track, self.assessed)
    }
}

#[allow(clippy::cast_precision_loss)]
fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Which periods a statement reads.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scope<'a> {
    Period(Uuid),
    Periods(&'a [Uuid]),
    Indicators(&'a [Uuid]),
    Projects(&'a [Uuid]),
    Everything,
}

/// `"alias"."column"`.
fn col(alias: &str, column: &str) -> Expr {
    Expr::col((Alias::new(alias), Alias::new(column)))
}

/// The periods of `scope` the actor may read, with the results it may read (others as not
/// reported), and the indicator's baseline and direction: the rows progress is computed from.
fn readable_periods(actor: &Actor, scope: Scope<'_>) -> SelectStatement {
    use indicator_period::Column as P;
    let period = |column: P| Expr::col((indicator_period::Entity, column));
    let readable = policy::readable_results(actor);
    let readable_rows = readable.clone();
    let history = policy::readable_result_history(actor);
    let mut select = Query::select();
    select
        .columns([
            (indicator_period::Entity, P::Id),
            (indicator_period::Entity, P::IndicatorId),
            (indicator_period::Entity, P::PeriodStart),
            (indicator_period::Entity, P::PeriodEnd),
            (indicator_period::Entity, P::TargetValue),
        ])
        .column((indicator::Entity, indicator::Column::BaselineValue))
        .column((indicator::Entity, indicator::Column::Ascending))
        .column((indicator::Entity, indicator::Column::Periodicity))
        .column((indicator::Entity, indicator::Column::ProjectId));
    for column in [
        P::ActualValue,
        P::ActualFemale,
        P::ActualMale,
        P::Comment,
        P::Revision,
        P::ReportedAt,
    ] {
        select.expr_as(
            Expr::case(readable.clone(), period(column)),
            Alias::new(column.as_str()),
        );
    }
    select
        .expr_as(
            Expr::case(history.clone(), period(P::ReportedById)),
            Alias::new("reported_by_id"),
        )
        .expr_as(
            Expr::case(
                readable,
                Expr::col((
                    indicator_period_approval::Entity,
                    indicator_period_approval::Column::ApprovedAt,
                )),
            ),
            Alias::new("approved_at"),
        )
        .expr_as(
            Expr::case(
                history,
                Expr::col((
                    indicator_period_approval::Entity,
                    indicator_period_approval::Column::ApprovedById,
                )),
            ),
            Alias::new("approved_by_id"),
        )
        .expr_as(Expr::val(Utc::now().date_naive()), Alias::new("today"))
        .from(indicator_period::Entity)
        .inner_join(
            indicator::Entity,
            Expr::col((indicator::Entity, indicator::Column::Id))
                .equals((indicator_period::Entity, P::IndicatorId)),
        )
        .left_join(
            indicator_period_approval::Entity,
            Expr::col((
                indicator_period_approval::Entity,
                indicator_period_approval::Column::PeriodId,
            ))
            .equals((indicator_period::Entity, P::Id)),
        )
        .cond_where(policy::visible_indicators(actor))
        // A period with neither target nor a result the reader may read exists only because
        // of a result it may not read (a period without both goes): it is not listed.
        .cond_where(
            Condition::any()
                .add(period(P::TargetValue).is_not_null())
                .add(readable_rows),
        );
    match scope {
        Scope::Period(id) => {
            select.and_where(Expr::col((indicator_period::Entity, P::Id)).eq(id));
        }
        Scope::Periods(ids) => {
            select
                .and_where(Expr::col((indicator_period::Entity, P::Id)).is_in(ids.iter().copied()));
        }
        Scope::Indicators(ids) => {
            select.and_where(
                Expr::col((indicator_period::Entity, P::IndicatorId)).is_in(ids.iter().copied()),
            );
        }
        Scope::Projects(ids) => {
            select.and_where(
                Expr::col((indicator::Entity, indicator::Column::ProjectId))
                    .is_in(ids.iter().copied()),
            );
        }
        Scope::Everything => {}
    }
    select.to_owned()
}

/// [`readable_periods`] with each period's progress and status.
fn periods_with_progress(actor: &Actor, scope: Scope<'_>) -> SelectStatement {
    // The baseline progress is measured from: 0 when none is given (an indicator where less
    // is better has one).
    let progress = Expr::cust(
        r#"CASE
             WHEN "r"."actual_value" IS NULL OR "r"."target_value" IS NULL THEN NULL
             WHEN "r"."target_value" = COALESCE("r"."baseline_value", 0.0) THEN
               CASE WHEN ("r"."ascending" AND "r"."actual_value" >= "r"."target_value")
                      OR (NOT "r"."ascending" AND "r"."actual_value" <= "r"."target_value")
                    THEN 1.0 ELSE 0.0 END
             ELSE ("r"."actual_value" - COALESCE("r"."baseline_value", 0.0))
                  / ("r"."target_value" - COALESCE("r"."baseline_value", 0.0))
           END"#,
    );
    let with_progress = Query::select()
        .column(Asterisk)
        .expr_as(progress, Alias::new("progress"))
        .from_subquery(readable_periods(actor, scope), Alias::new("r"))
        .to_owned();
    let status = Expr::cust(format!(
        r#"CASE
             WHEN "p"."target_value" IS NULL THEN
               CASE WHEN "p"."actual_value" IS NULL THEN NULL ELSE 'NO_TARGET' END
             WHEN "p"."actual_value" IS NULL THEN
               CASE WHEN "p"."period_end" < "p"."today" THEN 'MISSING' ELSE 'NOT_DUE' END
             WHEN "p"."progress" >= 1.0 THEN 'ACHIEVED'
             WHEN "p"."progress" >= {ON_TRACK:?} THEN 'ON_TRACK'
             ELSE 'OFF_TRACK'
           END"#
    ));
    Query::select()
        .column(Asterisk)
        .expr_as(status, Alias::new("status"))
        .from_subquery(with_progress, Alias::new("p"))
        .to_owned()
}

/// For each indicator of `scope` with an assessed period, the status of its latest one
/// (`indicator_id`, `status`, `latest` = 1 for that period).
fn assessed_periods(actor: &Actor, scope: Scope<'_>) -> SelectStatement {
    Query::select()
        .expr_as(col("v", "indicator_id"), Alias::new("indicator_id"))
        .expr_as(col("v", "status"), Alias::new("status"))
        .expr_as(
            Expr::cust(
                r#"ROW_NUMBER() OVER (PARTITION BY "v"."indicator_id" ORDER BY "v"."period_start" DESC)"#,
            ),
            Alias::new("latest"),
        )
        .from_subquery(periods_with_progress(actor, scope), Alias::new("v"))
        .and_where(col("v", "target_value").is_not_null())
        .and_where(
            col("v", "period_end")
                .lt(col("v", "today"))
                .or(col("v", "actual_value").is_not_null()),
        )
        .to_owned()
}

/// Counts of indicators, assessed ones and those on track, over the indicators the actor may
/// read (joined with their latest assessed period as `x`).
fn indicator_counts(actor: &Actor, scope: Scope<'_>) -> SelectStatement {
    let on_track = Expr::cust(
        r#"COALESCE(SUM(CASE WHEN "x"."status" IN ('ACHIEVED', 'ON_TRACK') THEN 1 ELSE 0 END), 0)"#,
    );
    Query::select()
        .expr_as(
            Func::count(Expr::col((indicator::Entity, indicator::Column::Id))),
            Alias::new("indicators"),
        )
        .expr_as(
            Func::count(col("x", "indicator_id")),
            Alias::new("assessed"),
        )
        .expr_as(on_track, Alias::new("on_track"))
        .from(indicator::Entity)
        .join_subquery(
            JoinType::LeftJoin,
            assessed_periods(actor, scope),
            Alias::new("x"),
            col("x", "indicator_id")
                .equals((indicator::Entity, indicator::Column::Id))
                .and(col("x", "latest").eq(1)),
        )
        .cond_where(policy::visible_indicators(actor))
        .to_owned()
}

/// The periods of `scope` as the actor may read them, oldest first per indicator.
pub(super) async fn periods(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope<'_>,
) -> Result<Vec<PeriodView>, DbErr> {
    let mut select = periods_with_progress(actor, scope);
    select
        .order_by(Alias::new("indicator_id"), sea_orm::Order::Asc)
        .order_by(Alias::new("period_start"), sea_orm::Order::Asc);
    PeriodView::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await
}

/// The progress of the projects among `project_ids` the actor may read (those with at least
/// one indicator).
pub(super) async fn projects(
    db: &impl ConnectionTrait,
    actor: &Actor,
    project_ids: &[Uuid],
) -> Result<Vec<ProjectProgress>, DbErr> {
    let mut select = indicator_counts(actor, Scope::Projects(project_ids));
    select
        .expr_as(
            Expr::col((indicator::Entity, indicator::Column::ProjectId)),
            Alias::new("project_id"),
        )
        .and_where(indicator::Column::ProjectId.is_in(project_ids.iter().copied()))
        .group_by_col((indicator::Entity, indicator::Column::ProjectId));
    ProjectProgress::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await
}

#[derive(FromQueryResult)]
struct GroupRow {
    key: String,
    projects: i64,
    indicators: i64,
    assessed: i64,
    on_track: i64,
}

/// Progress across the projects the actor may read, by thematic area or region (each project
/// counts in each of its areas or regions), in the order of the codes.
pub(super) async fn groups(
    db: &impl ConnectionTrait,
    actor: &Actor,
    by: GroupBy,
) -> Result<Vec<ProgressGroup>, DbErr> {
    let mut select = indicator_counts(actor, Scope::Everything);
    let (table, key, project): (Alias, Alias, Alias) = match by {
        GroupBy::ThematicArea => (
            Alias::new(project_thematic_area::Entity.table_name()),
            Alias::new(project_thematic_area::Column::ThematicArea.as_str()),
            Alias::new(project_thematic_area::Column::ProjectId.as_str()),
        ),
        GroupBy::Region => (
            Alias::new(project_region::Entity.table_name()),
            Alias::new(project_region::Column::Region.as_str()),
            Alias::new(project_region::Column::ProjectId.as_str()),
        ),
    };
    select
        .expr_as(Expr::col((table.clone(), key.clone())), Alias::new("key"))
        .expr_as(
            Expr::cust(r#"COUNT(DISTINCT "indicator"."project_id")"#),
            Alias::new("projects"),
        )
        .inner_join(
            table.clone(),
            Expr::col((table.clone(), project))
                .equals((indicator::Entity, indicator::Column::ProjectId)),
        )
        .group_by_col((table.clone(), key.clone()))
        .order_by((table, key), sea_orm::Order::Asc);
    let rows = GroupRow::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let (thematic_area, region) = match by {
                GroupBy::ThematicArea => (
                    Some(<ThematicArea as sea_orm::ActiveEnum>::try_from_value(&row.key).ok()?),
                    None,
                ),
                GroupBy::Region => (
                    None,
                    Some(<Region as sea_orm::ActiveEnum>::try_from_value(&row.key).ok()?),
                ),
            };
            Some(ProgressGroup {
                thematic_area,
                region,
                projects: row.projects,
                indicators: row.indicators,
                assessed: row.assessed,
                on_track: row.on_track,
            })
        })
        .collect())
}
