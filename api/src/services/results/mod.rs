//! The results framework: what each project set out to change, and how far it got (IATI 2.03's
//! `result/indicator` with `baseline` and `period` `target`/`actual`).
//!
//! - The Programme Office and a project's `ACCOUNTABLE` partner define its indicators (title and
//!   definition in each language, measure, counted by sex or not, baseline, direction, years or
//!   quarters) and set their targets, period by period.
//! - A partner of the project reports the actual value of a period (by sex where the indicator
//!   is disaggregated) with a comment; a correction keeps the value it replaces as an earlier
//!   revision. The Programme Office approves a result, which locks the period (target
//!   included) until it reopens it: the rules of [`super::review`], shared with centre reports.
//! - Progress is computed in SQL ([`progress`]); every read goes through the policy: the
//!   indicators of the projects a reader may read, and of their results those
//!   [`policy::readable_results`] grants (the public: approved results only).

pub mod progress;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{
    Localized, account,
    enums::{IndicatorMeasure, IndicatorPeriodicity, NotificationKind},
    indicator, indicator_period, indicator_period_approval, indicator_period_revision, project,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    sea_query::{Expr, ExprTrait, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    input::{Problems, trimmed},
    notifications,
    review::{self, Reviewed},
    rows::OneOrNotFound,
};
use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    policy,
};

pub use self::progress::{GroupBy, PeriodView, ProgressGroup, ProgressStatus, ProjectProgress};

/// The longest indicator title, in characters per language.
const MAX_TITLE: usize = 300;
/// The longest definition, in characters per language.
const MAX_DEFINITION: usize = 2_000;
/// The longest comment on a result, in characters.
const MAX_COMMENT: usize = 2_000;
/// A value above this is a typing mistake (people trained, women reached, ...).
const MAX_VALUE: f64 = 1e12;
/// The least value other than 0: finer figures mean nothing, and with them progress (a
/// quotient of differences of values) could overflow or underflow a double, which PostgreSQL
/// refuses as an error.
const MIN_VALUE: f64 = 1e-6;
/// Years a period may be in.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A baseline: the value measured before the project, and when.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Baseline {
    pub value: f64,
    pub date: NaiveDate,
}

/// A new indicator.
#[derive(Clone, Debug)]
pub struct NewIndicator {
    pub project_id: Uuid,
    pub title: Localized,
    pub definition: Localized,
    pub measure: IndicatorMeasure,
    pub disaggregated_by_sex: bool,
    pub ascending: bool,
    pub periodicity: IndicatorPeriodicity,
    pub baseline: Option<Baseline>,
}

/// Changes to an indicator: `None` keeps a field; `baseline: Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct IndicatorChanges {
    pub title: Option<Localized>,
    pub definition: Option<Localized>,
    pub measure: Option<IndicatorMeasure>,
    pub disaggregated_by_sex: Option<bool>,
    pub ascending: Option<bool>,
    pub periodicity: Option<IndicatorPeriodicity>,
    pub baseline: Option<Option<Baseline>>,
}

/// A period of an indicator as its users name it: a year, or a quarter of a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodKey {
    pub year: i32,
    /// 1 to 4 for a quarterly indicator; none for an annual one.
    pub quarter: Option<u32>,
}

impl PeriodKey {
    /// The period's first and last day, checked against the indicator's periodicity; problems
    /// are recorded at `<prefix>year` and `<prefix>quarter`.
    fn dates(
        self,
        problems: &mut Problems,
        prefix: &str,
        periodicity: IndicatorPeriodicity,
    ) -> Option<(NaiveDate, NaiveDate)> {
        problems.check(
            YEARS.contains(&self.year),
            &format!("{prefix}year"),
            format!("A year is {} to {}.", YEARS.start(), YEARS.end()),
        );
        match (periodicity, self.quarter) {
            (IndicatorPeriodicity::Annual, None)
            | (IndicatorPeriodicity::Quarterly, Some(1..=4)) => self.bounds(),
            (IndicatorPeriodicity::Annual, Some(_)) => {
                problems.add(
                    format!("{prefix}quarter"),
                    "This indicator is measured per year; leave the quarter out.",
                );
                None
            }
            (IndicatorPeriodicity::Quarterly, quarter) => {
                problems.add(
                    format!("{prefix}quarter"),
                    if quarter.is_none() {
                        "This indicator is measured per quarter; give the quarter (1 to 4)."
                    } else {
                        "A quarter is 1 to 4."
                    },
                );
                None
            }
        }
    }

    /// The first and last day of the year, or of the quarter when one is given (none for a
    /// quarter outside 1 to 4 or a date out of range).
    fn bounds(self) -> Option<(NaiveDate, NaiveDate)> {
        let (first_month, months) = match self.quarter {
            None => (1, 12),
            Some(quarter @ 1..=4) => (quarter * 3 - 2, 3),
            Some(_) => return None,
        };
        let start = NaiveDate::from_ymd_opt(self.year, first_month, 1)?;
        let end = start
            .checked_add_months(chrono::Months::new(months))?
            .pred_opt()?;
        Some((start, end))
    }

    /// The first and last day of the period of an indicator of `periodicity` that starts on
    /// `start`, if `start` is the first day of a calendar year or quarter as it wants.
    pub fn starting(
        periodicity: IndicatorPeriodicity,
        start: NaiveDate,
    ) -> Option<(NaiveDate, NaiveDate)> {
        Self::of(periodicity, start)
            .bounds()
            .filter(|(first, _)| *first == start)
    }

    /// The period starting on `start` of an indicator of `periodicity`.
    pub fn of(periodicity: IndicatorPeriodicity, start: NaiveDate) -> Self {
        Self {
            year: start.year(),
            quarter: match periodicity {
                IndicatorPeriodicity::Annual => None,
                IndicatorPeriodicity::Quarterly => Some(start.month0() / 3 + 1),
            },
        }
    }

    /// `2025` or `2025-Q3`, for audit details and messages.
    pub fn label(self) -> String {
        match self.quarter {
            Some(quarter) => format!("{}-Q{quarter}", self.year),
            None => self.year.to_string(),
        }
    }
}

/// A reported result: the actual value of a period.
#[derive(Clone, Debug)]
pub struct NewResult {
    pub indicator_id: Uuid,
    pub period: PeriodKey,
    pub value: f64,
    pub female: Option<f64>,
    pub male: Option<f64>,
    pub comment: Option<String>,
}

/// Indicator results as [`review`] reviews them.
struct ResultReview;

impl Reviewed for ResultReview {
    type Record = indicator_period::Entity;
    type Approval = indicator_period_approval::Entity;
    const ID: indicator_period::Column = indicator_period::Column::Id;
    const REVISION: indicator_period::Column = indicator_period::Column::Revision;
    const APPROVED: indicator_period_approval::Column = indicator_period_approval::Column::PeriodId;
    const LOCKED: &'static str = "The Programme Office approved this period's result; it cannot \
                                  be changed until the Programme Office reopens it.";
    const CORRECTED: &'static str =
        "The result was just corrected; reload it and approve what it says now.";
    const ALREADY_APPROVED: &'static str = "This result is already approved.";
    const NOT_APPROVED: &'static str = "This result is not approved; there is nothing to reopen.";

    fn approval(id: Uuid, at: DateTime<Utc>, by: Uuid) -> indicator_period_approval::ActiveModel {
        indicator_period_approval::Model {
            period_id: id,
            approved_at: at,
            approved_by_id: Some(by),
        }
        .into_active_model()
    }
}

/// The rules of the results framework as pure functions: the service records what they find
/// as problems of its input, the demo loader as errors of its data file, so both hold the data
/// to the same rules.
pub mod rules {
    use entity::enums::IndicatorMeasure;

    use super::{MAX_VALUE, MIN_VALUE};

    /// What is wrong with `value` for an indicator measured by `measure`, if anything.
    pub fn value(measure: IndicatorMeasure, value: f64) -> Option<&'static str> {
        let fits = match measure {
            IndicatorMeasure::Number => (0.0..=MAX_VALUE).contains(&value),
            IndicatorMeasure::Percentage => (0.0..=100.0).contains(&value),
            IndicatorMeasure::YesNo => {
                value.to_bits() == 0.0_f64.to_bits() || value.to_bits() == 1.0_f64.to_bits()
            }
        };
        let fine = value == 0.0 || value >= MIN_VALUE;
        (!(fits && fine && value.is_finite())).then_some(match measure {
            IndicatorMeasure::Number => "A number is 0 or more (at least 0.000001 if not 0).",
            IndicatorMeasure::Percentage => {
                "A percentage is 0 to 100 (at least 0.000001 if not 0)."
            }
            IndicatorMeasure::YesNo => "A yes/no indicator takes 1 (yes) or 0 (no).",
        })
    }

    /// What is wrong with `target` for an indicator of this direction and baseline: a target
    /// lies on the better side of the baseline, or on it.
    pub fn target(ascending: bool, baseline: Option<f64>, target: f64) -> Option<String> {
        let baseline = baseline?;
        if ascending && target < baseline {
            Some(format!(
                "More is better for this indicator: a target is at least its baseline ({baseline})."
            ))
        } else if !ascending && target > baseline {
            Some(format!(
                "Less is better for this indicator: a target is at most its baseline ({baseline})."
            ))
        } else {
            None
        }
    }

    /// What is wrong with an indicator as a whole, and its field (`baseline`,
    /// `disaggregatedBySex`): a descending indicator has a baseline; a yes/no indicator is not
    /// counted by sex.
    pub fn indicator(
        measure: IndicatorMeasure,
        disaggregated_by_sex: bool,
        ascending: bool,
        has_baseline: bool,
    ) -> Vec<(&'static str, &'static str)> {
        let mut problems = Vec::new();
        if !ascending && !has_baseline {
            problems.push((
                "baseline",
                "Give the baseline of an indicator where less is better: progress is measured from it.",
            ));
        }
        if disaggregated_by_sex && measure == IndicatorMeasure::YesNo {
            problems.push((
                "disaggregatedBySex",
                "A yes/no indicator is not counted by sex.",
            ));
        }
        problems
    }

    /// What is wrong with a reported result and its field (`value`, `female`, `male`): each
    /// value fits the measure; women and men are given exactly for an indicator counted by sex,
    /// and for a number they are together at most the total (the rest is undisclosed).
    pub fn result(
        measure: IndicatorMeasure,
        disaggregated_by_sex: bool,
        total: f64,
        female: Option<f64>,
        male: Option<f64>,
    ) -> Vec<(&'static str, String)> {
        let misfit = |field: &'static str, given: f64| {
            value(measure, given).map(|problem| (field, problem.to_owned()))
        };
        let mut problems: Vec<(&'static str, String)> =
            misfit("value", total).into_iter().collect();
        if disaggregated_by_sex {
            for (field, given) in [("female", female), ("male", male)] {
                match given {
                    Some(given) => problems.extend(misfit(field, given)),
                    None => problems.push((
                        field,
                        "Give the value for women and for men: this indicator is counted by sex."
                            .to_owned(),
                    )),
                }
            }
            if let (IndicatorMeasure::Number, Some(female), Some(male)) = (measure, female, male)
                && female + male > total
            {
                problems.push((
                    "value",
                    format!(
                        "Women and men together ({}) cannot be more than the total.",
                        female + male
                    ),
                ));
            }
        } else {
            for (field, given) in [("female", female), ("male", male)] {
                if given.is_some() {
                    problems.push((
                        field,
                        "This indicator is not counted by sex; give the total only.".to_owned(),
                    ));
                }
            }
        }
        problems
    }
}

/// Records at `path` what [`rules::value`] finds wrong with `value`.
fn check_value(problems: &mut Problems, path: &str, measure: IndicatorMeasure, value: f64) {
    if let Some(problem) = rules::value(measure, value) {
        problems.add(path, problem);
    }
}

/// Records at `path` what [`rules::target`] finds wrong with `target`.
fn check_direction(
    problems: &mut Problems,
    path: &str,
    ascending: bool,
    baseline: Option<f64>,
    target: f64,
) {
    if let Some(problem) = rules::target(ascending, baseline, target) {
        problems.add(path, problem);
    }
}

/// The rules of an indicator as a whole (its texts are checked as they are given): a baseline
/// fit for its measure, and [`rules::indicator`]. Problems are named `input.<field>`.
fn check_indicator(problems: &mut Problems, row: &indicator::Model) {
    if let Some(value) = row.baseline_value {
        check_value(problems, "input.baseline.value", row.measure, value);
    }
    if let Some(date) = row.baseline_date {
        problems.check(
            (1900..=2100).contains(&date.year()),
            "input.baseline.date",
            "A baseline is measured between 1900 and 2100.",
        );
    }
    for (field, problem) in rules::indicator(
        row.measure,
        row.disaggregated_by_sex,
        row.ascending,
        row.baseline_value.is_some(),
    ) {
        problems.add(format!("input.{field}"), problem);
    }
}

/// Results rules.
pub struct Results<'a> {
    pub(in crate::services) db: &'a crate::db::Db,
}

impl Results<'_> {
    /// The project `project_id` if the actor may manage its indicators.
    ///
    /// # Errors
    /// `NOT_FOUND` for a project hidden from the actor; `FORBIDDEN` when the actor may read
    /// it but not manage its indicators.
    async fn managed_project(
        &self,
        conn: &impl ConnectionTrait,
        actor: &Actor,
        project_id: Uuid,
    ) -> ApiResult<project::Model> {
        let project = project::Entity::find_by_id(project_id)
            .filter(policy::visible_projects(actor))
            .one_or_not_found(conn, "Project")
            .await?;
        let managed = project::Entity::find_by_id(project_id)
            .filter(policy::projects_with_managed_indicators(actor))
            .count(conn)
            .await?;
        if managed == 0 {
            return Err(ApiError::Forbidden);
        }
        Ok(project)
    }

    /// The indicator `id` if the actor may read it.
    async fn visible(
        &self,
        conn: &impl ConnectionTrait,
        actor: &Actor,
        id: Uuid,
    ) -> ApiResult<indicator::Model> {
        indicator::Entity::find_by_id(id)
            .filter(policy::visible_indicators(actor))
            .one_or_not_found(conn, "Indicator")
            .await
    }

    /// Defines a new indicator of a project.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a project hidden from the caller; `FORBIDDEN` unless
    /// the caller is of the Programme Office or of the project's `ACCOUNTABLE` partner;
    /// `BAD_USER_INPUT` naming each problem.
    pub async fn create(&self, caller: &Caller, new: NewIndicator) -> ApiResult<indicator::Model> {
        caller.actor.signed_in()?;
        self.managed_project(self.db, &caller.actor, new.project_id)
            .await?;
        let now = Utc::now();
        let mut row = indicator::Model {
            id: Uuid::now_v7(),
            project_id: new.project_id,
            title: new.title,
            definition: new.definition,
            measure: new.measure,
            disaggregated_by_sex: new.disaggregated_by_sex,
            ascending: new.ascending,
            periodicity: new.periodicity,
            baseline_value: new.baseline.map(|baseline| baseline.value),
            baseline_date: new.baseline.map(|baseline| baseline.date),
            created_at: now,
            updated_at: now,
        };
        let mut problems = Problems::new();
        row.title = problems.translations("input.title", &row.title, MAX_TITLE);
        row.definition =
            problems.optional_translations("input.definition", &row.definition, MAX_DEFINITION);
        check_indicator(&mut problems, &row);
        problems.finish()?;
        let txn = self.db.begin().await?;
        let row = row.into_active_model().insert(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("indicator.create", "indicator", row.id)
                .with_detail(json!({ "projectId": row.project_id })),
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }

    /// Changes an indicator. Its measure, its counting by sex and its periodicity cannot change
    /// once a result is reported (the results would change meaning), nor its periodicity once
    /// a target is set; a new baseline or direction must still fit every target.
    ///
    /// # Errors
    /// As [`Results::create`], with `NOT_FOUND` for a hidden indicator; `CONFLICT` as above or
    /// when a period is approved (locked).
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        changes: IndicatorChanges,
    ) -> ApiResult<indicator::Model> {
        caller.actor.signed_in()?;
        let stored = self.visible(self.db, &caller.actor, id).await?;
        self.managed_project(self.db, &caller.actor, stored.project_id)
            .await?;
        let txn = self.db.begin().await?;
        hold_unchanged(&txn, &stored).await?;
        let periods = indicator_period::Entity::find()
            .filter(indicator_period::Column::IndicatorId.eq(id))
            .all(&txn)
            .await?;
        let mut row = stored.clone();
        let mut problems = Problems::new();
        if let Some(title) = changes.title {
            row.title = problems.translations("input.title", &title, MAX_TITLE);
        }
        if let Some(definition) = changes.definition {
            row.definition =
                problems.optional_translations("input.definition", &definition, MAX_DEFINITION);
        }
        row.measure = changes.measure.unwrap_or(row.measure);
        row.disaggregated_by_sex = changes
            .disaggregated_by_sex
            .unwrap_or(row.disaggregated_by_sex);
        row.ascending = changes.ascending.unwrap_or(row.ascending);
        row.periodicity = changes.periodicity.unwrap_or(row.periodicity);
        if let Some(baseline) = changes.baseline {
            row.baseline_value = baseline.map(|baseline| baseline.value);
            row.baseline_date = baseline.map(|baseline| baseline.date);
        }
        check_indicator(&mut problems, &row);
        for period in &periods {
            if let Some(target) = period.target_value {
                let key = PeriodKey::of(stored.periodicity, period.period_start);
                let path = format!("targets.{}", key.label());
                check_value(&mut problems, &path, row.measure, target);
                check_direction(
                    &mut problems,
                    &path,
                    row.ascending,
                    row.baseline_value,
                    target,
                );
            }
        }
        problems.finish()?;
        let reported = periods.iter().any(|period| period.revision > 0);
        if reported
            && (row.measure != stored.measure
                || row.disaggregated_by_sex != stored.disaggregated_by_sex)
        {
            return Err(ApiError::Conflict(
                "Results are reported for this indicator: its measure and its counting by sex \
                 can no longer change. Define a new indicator instead."
                    .into(),
            ));
        }
        if !periods.is_empty() && row.periodicity != stored.periodicity {
            return Err(ApiError::Conflict(
                "This indicator has targets or results per period: remove them before changing \
                 between years and quarters."
                    .into(),
            ));
        }
        let progress_changes =
            row.ascending != stored.ascending || row.baseline_value != stored.baseline_value;
        if progress_changes {
            // An approved result's progress is what was approved: its baseline and direction
            // are locked with it.
            let ids: Vec<Uuid> = periods.iter().map(|period| period.id).collect();
            review::hold_open::<ResultReview>(&txn, &ids).await?;
        }
        if row == stored {
            return Ok(stored);
        }
        row.updated_at = Utc::now();
        let mut update = stored.clone().into_active_model();
        update.title = Set(row.title.clone());
        update.definition = Set(row.definition.clone());
        update.measure = Set(row.measure);
        update.disaggregated_by_sex = Set(row.disaggregated_by_sex);
        update.ascending = Set(row.ascending);
        update.periodicity = Set(row.periodicity);
        update.baseline_value = Set(row.baseline_value);
        update.baseline_date = Set(row.baseline_date);
        update.updated_at = Set(row.updated_at);
        let row = update.update(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("indicator.update", "indicator", id)
                .with_detail(json!({ "projectId": row.project_id })),
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }

    /// Deletes an indicator with its targets and results, unless a result is approved.
    ///
    /// # Errors
    /// As [`Results::update`]; `CONFLICT` when a result of it is approved.
    pub async fn delete(&self, caller: &Caller, id: Uuid) -> ApiResult<Uuid> {
        caller.actor.signed_in()?;
        let stored = self.visible(self.db, &caller.actor, id).await?;
        self.managed_project(self.db, &caller.actor, stored.project_id)
            .await?;
        let txn = self.db.begin().await?;
        hold_indicator(&txn, id).await?;
        let periods = indicator_period::Entity::find()
            .filter(indicator_period::Column::IndicatorId.eq(id))
            .all(&txn)
            .await?;
        let ids: Vec<Uuid> = periods.iter().map(|period| period.id).collect();
        review::hold_open::<ResultReview>(&txn, &ids)
            .await
            .map_err(|error| match error {
                ApiError::Conflict(_) => ApiError::Conflict(
                    "A result of this indicator is approved; ask the Programme Office to reopen \
                     it before deleting the indicator."
                        .into(),
                ),
                other => other,
            })?;
        indicator::Entity::delete_by_id(id).exec(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("indicator.delete", "indicator", id).with_detail(json!({
                "projectId": stored.project_id,
                "periods": periods.len(),
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Sets (or, with `None`, removes) the target of one period of an indicator. A period
    /// without target and without result goes.
    ///
    /// # Errors
    /// As [`Results::update`]; `BAD_USER_INPUT` naming `year`, `quarter` or `target`;
    /// `CONFLICT` for an approved (locked) period.
    pub async fn set_target(
        &self,
        caller: &Caller,
        indicator_id: Uuid,
        period: PeriodKey,
        target: Option<f64>,
    ) -> ApiResult<indicator::Model> {
        caller.actor.signed_in()?;
        // −0 is 0 (it would print as "-0").
        let target = target.map(|target| target + 0.0);
        let indicator = self.visible(self.db, &caller.actor, indicator_id).await?;
        self.managed_project(self.db, &caller.actor, indicator.project_id)
            .await?;
        let mut problems = Problems::new();
        let dates = period.dates(&mut problems, "", indicator.periodicity);
        if let Some(target) = target {
            check_value(&mut problems, "target", indicator.measure, target);
            check_direction(
                &mut problems,
                "target",
                indicator.ascending,
                indicator.baseline_value,
                target,
            );
        }
        problems.finish()?;
        let Some((start, end)) = dates else {
            return Err(ApiError::bad_input("year", "This is not a period."));
        };
        let txn = self.db.begin().await?;
        hold_unchanged(&txn, &indicator).await?;
        let existing = indicator_period::Entity::find()
            .filter(indicator_period::Column::IndicatorId.eq(indicator_id))
            .filter(indicator_period::Column::PeriodStart.eq(start))
            .one(&txn)
            .await?;
        match existing {
            Some(existing) => {
                review::hold_open::<ResultReview>(&txn, &[existing.id]).await?;
                if existing.target_value == target {
                    return Ok(indicator);
                }
                if target.is_none() && existing.revision == 0 {
                    indicator_period::Entity::delete_by_id(existing.id)
                        .exec(&txn)
                        .await?;
                } else {
                    let mut update = existing.into_active_model();
                    update.target_value = Set(target);
                    update.update(&txn).await?;
                }
            }
            None if target.is_none() => return Ok(indicator),
            None => {
                let inserted = blank_period(indicator_id, start, end, target)
                    .into_active_model()
                    .insert(&txn)
                    .await;
                if let Err(error) = inserted {
                    return Err(period_race(error));
                }
            }
        }
        audit::record(
            &txn,
            caller,
            AuditRecord::success("indicator.set_target", "indicator", indicator_id)
                .with_detail(json!({ "period": period.label(), "target": target })),
        )
        .await?;
        txn.commit().await?;
        Ok(indicator)
    }

    /// Reports the actual value of one period of an indicator, or corrects the one reported:
    /// a correction keeps the value it replaces as an earlier revision; the same value,
    /// figures and comment again change nothing.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a hidden indicator; `FORBIDDEN` unless the caller's
    /// organisation is a partner of the project; `BAD_USER_INPUT` naming each problem (a
    /// period that has not started, a value unfit for the measure, figures by sex missing or
    /// not expected, more women and men than the total); `CONFLICT` for an approved period.
    pub async fn report(&self, caller: &Caller, new: NewResult) -> ApiResult<PeriodView> {
        let member = caller.actor.signed_in()?;
        // −0 is 0 (it would print as "-0").
        let new = NewResult {
            value: new.value + 0.0,
            female: new.female.map(|value| value + 0.0),
            male: new.male.map(|value| value + 0.0),
            ..new
        };
        let indicator = self
            .visible(self.db, &caller.actor, new.indicator_id)
            .await?;
        let open = project::Entity::find_by_id(indicator.project_id)
            .filter(policy::projects_open_for_results(&caller.actor))
            .count(self.db)
            .await?;
        if open == 0 {
            return Err(ApiError::Forbidden);
        }
        let mut problems = Problems::new();
        let dates = new
            .period
            .dates(&mut problems, "input.", indicator.periodicity);
        if let Some((start, _)) = dates {
            problems.check(
                start <= Utc::now().date_naive(),
                if new.period.quarter.is_some() {
                    "input.quarter"
                } else {
                    "input.year"
                },
                "This period has not started yet; report results of past or current periods.",
            );
        }
        for (field, problem) in rules::result(
            indicator.measure,
            indicator.disaggregated_by_sex,
            new.value,
            new.female,
            new.male,
        ) {
            problems.add(format!("input.{field}"), problem);
        }
        let comment = problems.text("input.comment", trimmed(new.comment), MAX_COMMENT);
        problems.finish()?;
        let Some((start, end)) = dates else {
            return Err(ApiError::bad_input("input.year", "This is not a period."));
        };
        let txn = self.db.begin().await?;
        hold_unchanged(&txn, &indicator).await?;
        let existing = indicator_period::Entity::find()
            .filter(indicator_period::Column::IndicatorId.eq(indicator.id))
            .filter(indicator_period::Column::PeriodStart.eq(start))
            .one(&txn)
            .await?;
        let now = Utc::now();
        let (female, male) = (new.female, new.male);
        let (period, action) = match existing {
            Some(existing) => {
                review::hold_open::<ResultReview>(&txn, &[existing.id]).await?;
                if existing.revision > 0
                    && existing.actual_value == Some(new.value)
                    && (existing.actual_female, existing.actual_male) == (female, male)
                    && existing.comment == comment
                {
                    let id = existing.id;
                    txn.commit().await?;
                    return self.period(&caller.actor, id).await;
                }
                let action = if existing.revision > 0 {
                    keep_revision(&txn, &existing).await?;
                    "indicator_result.correct"
                } else {
                    "indicator_result.report"
                };
                let mut update = existing.clone().into_active_model();
                update.actual_value = Set(Some(new.value));
                update.actual_female = Set(female);
                update.actual_male = Set(male);
                update.comment = Set(comment);
                update.revision = Set(existing.revision + 1);
                update.reported_by_id = Set(Some(member.account_id));
                update.reported_at = Set(Some(now));
                (update.update(&txn).await?, action)
            }
            None => {
                let mut row = blank_period(indicator.id, start, end, None);
                row.actual_value = Some(new.value);
                row.actual_female = female;
                row.actual_male = male;
                row.comment = comment;
                row.revision = 1;
                row.reported_by_id = Some(member.account_id);
                row.reported_at = Some(now);
                match row.into_active_model().insert(&txn).await {
                    Ok(row) => (row, "indicator_result.report"),
                    Err(error) => return Err(period_race(error)),
                }
            }
        };
        audit::record(
            &txn,
            caller,
            AuditRecord::success(action, "indicator_period", period.id).with_detail(json!({
                "indicatorId": indicator.id,
                "period": new.period.label(),
                "revision": period.revision,
            })),
        )
        .await?;
        txn.commit().await?;
        self.period(&caller.actor, period.id).await
    }

    /// Approves the result of period `id`: the period is locked until reopened. Audited.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a hidden period; `FORBIDDEN` for anyone but the
    /// Programme Office; `CONFLICT` for a period without result, one already approved, or one
    /// corrected since `revision` was read (when given).
    pub async fn approve(
        &self,
        caller: &Caller,
        id: Uuid,
        revision: Option<i32>,
    ) -> ApiResult<PeriodView> {
        let member = caller.actor.signed_in()?;
        let period = self.for_approval(&caller.actor, id).await?;
        if period.revision == 0 {
            return Err(ApiError::Conflict(
                "Nothing is reported for this period yet; there is nothing to approve.".into(),
            ));
        }
        let revision = revision.unwrap_or(period.revision);
        let txn = self.db.begin().await?;
        review::approve::<ResultReview>(&txn, id, revision, member.account_id, Utc::now()).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("indicator_result.approve", "indicator_period", id)
                .with_detail(json!({ "indicatorId": period.indicator_id, "revision": revision })),
        )
        .await?;
        tell_reporter(&txn, NotificationKind::ResultApproved, &period).await?;
        txn.commit().await?;
        self.period(&caller.actor, id).await
    }

    /// Reopens the approved result of period `id` for correction, for `reason` (required; kept
    /// in the audit log). Audited.
    ///
    /// # Errors
    /// As [`Results::approve`]; `BAD_USER_INPUT` naming `reason`; `CONFLICT` for a result that
    /// is not approved.
    pub async fn reopen(&self, caller: &Caller, id: Uuid, reason: &str) -> ApiResult<PeriodView> {
        caller.actor.signed_in()?;
        let period = self.for_approval(&caller.actor, id).await?;
        let reason = review::reopen_reason(reason)?;
        let txn = self.db.begin().await?;
        review::reopen::<ResultReview>(&txn, id).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("indicator_result.reopen", "indicator_period", id).with_detail(
                json!({
                    "indicatorId": period.indicator_id,
                    "revision": period.revision,
                    "reason": reason,
                }),
            ),
        )
        .await?;
        tell_reporter(&txn, NotificationKind::ResultReopened, &period).await?;
        txn.commit().await?;
        self.period(&caller.actor, id).await
    }

    /// The period `id` for the Programme Office to approve or reopen.
    async fn for_approval(&self, actor: &Actor, id: Uuid) -> ApiResult<indicator_period::Model> {
        let period = indicator_period::Entity::find_by_id(id)
            .filter(
                indicator_period::Column::IndicatorId.in_subquery(
                    Query::select()
                        .column(indicator::Column::Id)
                        .from(indicator::Entity)
                        .cond_where(policy::visible_indicators(actor))
                        .to_owned(),
                ),
            )
            .one_or_not_found(self.db, "Indicator period")
            .await?;
        if !policy::can_approve_results(actor) {
            return Err(ApiError::Forbidden);
        }
        Ok(period)
    }

    /// The indicator `id`, if the actor may read it.
    ///
    /// # Errors
    /// `NOT_FOUND` for a hidden or missing indicator.
    pub async fn indicator(&self, actor: &Actor, id: Uuid) -> ApiResult<indicator::Model> {
        self.visible(self.db, actor, id).await
    }

    /// The indicators of the projects among `project_ids` that the actor may read, in the
    /// order they were defined: one statement, whatever the number of projects.
    ///
    /// # Errors
    /// Database errors.
    pub async fn indicators_of(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<indicator::Model>> {
        if project_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(indicator::Entity::find()
            .filter(indicator::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(policy::visible_indicators(actor))
            .order_by_asc(indicator::Column::ProjectId)
            .order_by_asc(indicator::Column::Id)
            .all(self.db)
            .await?)
    }

    /// A page of at most `limit` indicators the actor may read (of `project_id` when given), in
    /// id order after `after`, and whether more follow: what the CSV downloads stream.
    ///
    /// # Errors
    /// Database errors.
    pub async fn indicator_page(
        &self,
        actor: &Actor,
        project_id: Option<Uuid>,
        after: Option<Uuid>,
        limit: u64,
    ) -> ApiResult<(Vec<indicator::Model>, bool)> {
        let mut select = indicator::Entity::find().filter(policy::visible_indicators(actor));
        if let Some(project_id) = project_id {
            select = select.filter(indicator::Column::ProjectId.eq(project_id));
        }
        if let Some(after) = after {
            select = select.filter(indicator::Column::Id.gt(after));
        }
        let mut rows = select
            .order_by_asc(indicator::Column::Id)
            .limit(limit + 1)
            .all(self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((rows, more))
    }

    /// The indicators among `ids` that the actor may read.
    ///
    /// # Errors
    /// Database errors.
    pub async fn indicators_by_ids(
        &self,
        actor: &Actor,
        ids: &[Uuid],
    ) -> ApiResult<Vec<indicator::Model>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(indicator::Entity::find()
            .filter(indicator::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_indicators(actor))
            .all(self.db)
            .await?)
    }

    /// The period `id` as the actor may read it.
    ///
    /// # Errors
    /// `NOT_FOUND` for a hidden or missing period.
    pub async fn period(&self, actor: &Actor, id: Uuid) -> ApiResult<PeriodView> {
        progress::periods(self.db, actor, progress::Scope::Period(id))
            .await?
            .pop()
            .ok_or(ApiError::NotFound {
                entity: "Indicator period",
            })
    }

    /// The periods among `ids` that the actor may read, as [`Results::periods_of`] reads them:
    /// one statement.
    ///
    /// # Errors
    /// Database errors.
    pub async fn periods_by_ids(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<Vec<PeriodView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(progress::periods(self.db, actor, progress::Scope::Periods(ids)).await?)
    }

    /// The periods of the indicators among `indicator_ids` that the actor may read, oldest
    /// first, with the results the actor may read and their progress: one statement.
    ///
    /// # Errors
    /// Database errors.
    pub async fn periods_of(
        &self,
        actor: &Actor,
        indicator_ids: &[Uuid],
    ) -> ApiResult<Vec<PeriodView>> {
        if indicator_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(progress::periods(self.db, actor, progress::Scope::Indicators(indicator_ids)).await?)
    }

    /// The progress of the projects among `project_ids` that the actor may read: one statement.
    ///
    /// # Errors
    /// Database errors.
    pub async fn progress_of_projects(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<ProjectProgress>> {
        if project_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(progress::projects(self.db, actor, project_ids).await?)
    }

    /// Progress across the projects the actor may read, by thematic area or region.
    ///
    /// # Errors
    /// Database errors.
    pub async fn progress_by(&self, actor: &Actor, by: GroupBy) -> ApiResult<Vec<ProgressGroup>> {
        Ok(progress::groups(self.db, actor, by).await?)
    }

    /// The earlier revisions of the periods among `period_ids` whose history the actor may
    /// read ([`policy::readable_result_history`]), oldest first: one statement.
    ///
    /// # Errors
    /// Database errors.
    pub async fn revisions_of(
        &self,
        actor: &Actor,
        period_ids: &[Uuid],
    ) -> ApiResult<Vec<indicator_period_revision::Model>> {
        if period_ids.is_empty() {
            return Ok(Vec::new());
        }
        let readable = Query::select()
            .column((indicator_period::Entity, indicator_period::Column::Id))
            .from(indicator_period::Entity)
            .inner_join(
                indicator::Entity,
                Expr::col((indicator::Entity, indicator::Column::Id)).equals((
                    indicator_period::Entity,
                    indicator_period::Column::IndicatorId,
                )),
            )
            .cond_where(policy::visible_indicators(actor))
            .cond_where(policy::readable_result_history(actor))
            .to_owned();
        Ok(indicator_period_revision::Entity::find()
            .filter(indicator_period_revision::Column::PeriodId.is_in(period_ids.iter().copied()))
            .filter(indicator_period_revision::Column::PeriodId.in_subquery(readable))
            .order_by_asc(indicator_period_revision::Column::PeriodId)
            .order_by_asc(indicator_period_revision::Column::Revision)
            .all(self.db)
            .await?)
    }
}

/// Holds the row of indicator `id` until the end of the transaction (a write that changes
/// nothing): the first statement of every change of an indicator, its targets or results, so
/// that two changes of one indicator take turns (on PostgreSQL a row lock; on SQLite the write
/// lock, taken before any read so that it is waited for rather than refused as "locked").
async fn hold_indicator(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), sea_orm::DbErr> {
    indicator::Entity::update_many()
        .col_expr(
            indicator::Column::UpdatedAt,
            Expr::col(indicator::Column::UpdatedAt),
        )
        .filter(indicator::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Tells the members of the organisation that reported `period`'s current result (that of the
/// account that reported it) of `kind`, in the inbox and by mail, on `txn`. Nobody is told when
/// that account is gone or belongs to no organisation.
async fn tell_reporter(
    txn: &impl ConnectionTrait,
    kind: NotificationKind,
    period: &indicator_period::Model,
) -> ApiResult<()> {
    let Some(reporter) = period.reported_by_id else {
        return Ok(());
    };
    let Some(organisation) = account::Entity::find_by_id(reporter)
        .one(txn)
        .await?
        .and_then(|account| account.organisation_id)
    else {
        return Ok(());
    };
    let Some(indicator) = indicator::Entity::find_by_id(period.indicator_id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let label = notifications::result_label(
        &indicator.title,
        &PeriodKey::of(indicator.periodicity, period.period_start).label(),
    );
    let notices = notifications::notify_result(
        txn,
        kind,
        organisation,
        notifications::AboutResult {
            period_id: period.id,
            label: &label,
        },
        Utc::now(),
    )
    .await?;
    super::mail::enqueue_all(
        txn,
        notices.iter().filter_map(notifications::mail_for).collect(),
    )
    .await?;
    Ok(())
}

/// [`hold_indicator`] of `checked`, the indicator as read before the transaction and checked
/// against: a change of it since (another request changed its measure, counting by sex,
/// baseline or direction, or deleted it) would let through what its rules now refuse, or undo
/// that change.
///
/// # Errors
/// `NOT_FOUND` for an indicator deleted since; `CONFLICT` for one changed since.
async fn hold_unchanged(conn: &impl ConnectionTrait, checked: &indicator::Model) -> ApiResult<()> {
    hold_indicator(conn, checked.id).await?;
    match indicator::Entity::find_by_id(checked.id).one(conn).await? {
        None => Err(ApiError::NotFound {
            entity: "Indicator",
        }),
        Some(now) if now != *checked => Err(ApiError::Conflict(
            "The indicator was just changed by someone else; reload it and try again.".into(),
        )),
        Some(_) => Ok(()),
    }
}

/// A period of `indicator_id` with nothing reported.
fn blank_period(
    indicator_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    target: Option<f64>,
) -> indicator_period::Model {
    indicator_period::Model {
        id: Uuid::now_v7(),
        indicator_id,
        period_start: start,
        period_end: end,
        target_value: target,
        actual_value: None,
        actual_female: None,
        actual_male: None,
        comment: None,
        revision: 0,
        reported_by_id: None,
        reported_at: None,
    }
}

/// The answer to an insert of a period another request just created.
fn period_race(error: sea_orm::DbErr) -> ApiError {
    if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        ApiError::Conflict("This period was just changed by someone else; reload it.".into())
    } else {
        error.into()
    }
}

/// Keeps the current result of `period` as an earlier revision.
async fn keep_revision(
    conn: &impl ConnectionTrait,
    period: &indicator_period::Model,
) -> Result<(), sea_orm::DbErr> {
    let (Some(value), Some(at)) = (period.actual_value, period.reported_at) else {
        return Ok(());
    };
    indicator_period_revision::Entity::insert(
        indicator_period_revision::Model {
            id: Uuid::now_v7(),
            period_id: period.id,
            revision: period.revision,
            actual_value: value,
            actual_female: period.actual_female,
            actual_male: period.actual_male,
            comment: period.comment.clone(),
            reported_by_id: period.reported_by_id,
            reported_at: at,
        }
        .into_active_model(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The revisions of `period_ids` grouped by period.
pub fn by_period(
    revisions: Vec<indicator_period_revision::Model>,
) -> HashMap<Uuid, Vec<indicator_period_revision::Model>> {
    let mut grouped: HashMap<Uuid, Vec<_>> = HashMap::new();
    for revision in revisions {
        grouped
            .entry(revision.period_id)
            .or_default()
            .push(revision);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    }

    #[test]
    fn periods_are_calendar_years_and_quarters() {
        let mut problems = Problems::new();
        let year = PeriodKey {
            year: 2025,
            quarter: None,
        };
        assert_eq!(
            year.dates(&mut problems, "", IndicatorPeriodicity::Annual),
            day("2025-01-01").zip(day("2025-12-31"))
        );
        for (quarter, start, end) in [
            (1, "2025-01-01", "2025-03-31"),
            (2, "2025-04-01", "2025-06-30"),
            (3, "2025-07-01", "2025-09-30"),
            (4, "2025-10-01", "2025-12-31"),
        ] {
            let key = PeriodKey {
                year: 2025,
                quarter: Some(quarter),
            };
            assert_eq!(
                key.dates(&mut problems, "", IndicatorPeriodicity::Quarterly),
                day(start).zip(day(end))
            );
            let Some(start) = day(start) else {
                panic!("a date")
            };
            assert_eq!(PeriodKey::of(IndicatorPeriodicity::Quarterly, start), key);
            assert_eq!(key.label(), format!("2025-Q{quarter}"));
        }
        assert!(problems.is_empty());
        assert_eq!(
            year.dates(&mut problems, "", IndicatorPeriodicity::Quarterly),
            None
        );
        let fifth = PeriodKey {
            year: 2025,
            quarter: Some(5),
        };
        assert_eq!(
            fifth.dates(&mut problems, "", IndicatorPeriodicity::Quarterly),
            None
        );
        assert!(!problems.is_empty());
    }
}
