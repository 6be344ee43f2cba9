//! The results framework in the API: a project's indicators, their targets and results period
//! by period, the approval of results, and progress (computed by the service, in SQL).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{
    common::{
        Translations, TranslationsInput, actor, caller, parse_id, services, to_id, translated,
    },
    enums::{IndicatorMeasure, IndicatorPeriodicity, Region, ThematicArea},
    loaders::{IndicatorPeriodsKey, Loaders, PeriodRevisionsKey, ProjectKey},
    projects::Project,
};
use crate::{
    error::ApiError,
    services::results::{
        self, Baseline, GroupBy, IndicatorChanges, NewIndicator, NewResult, PeriodKey, PeriodView,
        ProgressGroup, ProjectProgress,
    },
};

/// Where a period stands against its target.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressStatus {
    /// The result reached the target (progress 1 or more).
    Achieved,
    /// Progress of at least 0.8 of the way from the baseline to the target.
    OnTrack,
    /// Less progress than that, or worse than the baseline.
    OffTrack,
    /// The period is over and no result is reported (or none the reader may read).
    Missing,
    /// The period is not over and no result is reported yet.
    NotDue,
    /// A result was reported for a period without target.
    NoTarget,
}

impl From<results::ProgressStatus> for ProgressStatus {
    fn from(status: results::ProgressStatus) -> Self {
        match status {
            results::ProgressStatus::Achieved => Self::Achieved,
            results::ProgressStatus::OnTrack => Self::OnTrack,
            results::ProgressStatus::OffTrack => Self::OffTrack,
            results::ProgressStatus::Missing => Self::Missing,
            results::ProgressStatus::NotDue => Self::NotDue,
            results::ProgressStatus::NoTarget => Self::NoTarget,
        }
    }
}

/// How `resultsProgress` groups projects.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultsGrouping {
    ThematicArea,
    Region,
}

/// One measure of a project's results (IATI `result/indicator`).
pub struct Indicator(pub entity::indicator::Model);

/// The value measured before the project, and when.
#[derive(SimpleObject)]
pub struct IndicatorBaseline {
    pub value: f64,
    pub date: NaiveDate,
}

#[Object]
impl Indicator {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn project(&self, ctx: &Context<'_>) -> Result<Project> {
        ctx.data::<Loaders>()?
            .load_one(ProjectKey(self.0.project_id))
            .await?
            .map(Project)
            .ok_or_else(|| ApiError::NotFound { entity: "Project" }.into())
    }

    /// The title in the request's language, else in any language present.
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.title)?)
    }

    async fn title_translations(&self) -> Translations {
        (&self.0.title).into()
    }

    /// How it is counted, in the request's language, else in any language present; null when
    /// none is given.
    async fn definition(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        if self.0.definition.is_empty() {
            return Ok(None);
        }
        Ok(Some(translated(ctx, &self.0.definition)?))
    }

    async fn definition_translations(&self) -> Translations {
        (&self.0.definition).into()
    }

    async fn measure(&self) -> IndicatorMeasure {
        self.0.measure.into()
    }

    /// Results are reported for women and men as well as in total.
    async fn disaggregated_by_sex(&self) -> bool {
        self.0.disaggregated_by_sex
    }

    /// True when more is better; false when less is (a target is then below the baseline).
    async fn ascending(&self) -> bool {
        self.0.ascending
    }

    async fn periodicity(&self) -> IndicatorPeriodicity {
        self.0.periodicity.into()
    }

    async fn baseline(&self) -> Option<IndicatorBaseline> {
        Some(IndicatorBaseline {
            value: self.0.baseline_value?,
            date: self.0.baseline_date?,
        })
    }

    /// Its periods with a target or a result, oldest first. Results the reader may not read
    /// (for the public and for partners outside the project: results not yet approved) are
    /// shown as not reported.
    async fn periods(&self, ctx: &Context<'_>) -> Result<Vec<IndicatorPeriod>> {
        Ok(ctx
            .data::<Loaders>()?
            .load_one(IndicatorPeriodsKey(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(IndicatorPeriod)
            .collect())
    }
}

/// One year or quarter of an indicator: its target, its result and its progress.
pub struct IndicatorPeriod(pub PeriodView);

#[Object]
impl IndicatorPeriod {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn indicator_id(&self) -> ID {
        to_id(self.0.indicator_id)
    }

    async fn year(&self) -> i32 {
        self.0.period_start.year()
    }

    /// 1 to 4 for a quarterly indicator; null for an annual one.
    async fn quarter(&self) -> Option<i32> {
        PeriodKey::of(self.0.periodicity, self.0.period_start)
            .quarter
            .and_then(|quarter| i32::try_from(quarter).ok())
    }

    async fn start_date(&self) -> NaiveDate {
        self.0.period_start
    }

    async fn end_date(&self) -> NaiveDate {
        self.0.period_end
    }

    async fn target(&self) -> Option<f64> {
        self.0.target_value
    }

    /// The reported value; null while nothing is reported, or for a reader who may not read
    /// the result yet.
    async fn actual(&self) -> Option<f64> {
        self.0.actual_value
    }

    /// Of an indicator counted by sex: the value for women.
    async fn actual_female(&self) -> Option<f64> {
        self.0.actual_female
    }

    /// Of an indicator counted by sex: the value for men.
    async fn actual_male(&self) -> Option<f64> {
        self.0.actual_male
    }

    /// The reporter's comment on the result.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// 1 for the first report, one more for each correction; 0 when only a target is set;
    /// null for a reader who may not read the result.
    async fn revision(&self) -> Option<i32> {
        self.0.revision
    }

    async fn reported_at(&self) -> Option<DateTime<Utc>> {
        self.0.reported_at
    }

    /// The account that reported the current revision, by id; for the Programme Office and
    /// the project's partners only (null for others).
    async fn reported_by_id(&self) -> Option<ID> {
        self.0.reported_by_id.map(to_id)
    }

    /// Whether the Programme Office approved the result (the period is then locked).
    async fn approved(&self) -> bool {
        self.0.approved_at.is_some()
    }

    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at
    }

    /// The staff account that approved the result, by id; for the Programme Office and the
    /// project's partners only.
    async fn approved_by_id(&self) -> Option<ID> {
        self.0.approved_by_id.map(to_id)
    }

    /// The share of the way from the baseline (0 when none) to the target that the result
    /// has gone: 1 at the target, above 1 beyond it, below 0 when worse than the baseline;
    /// null without target or readable result.
    async fn progress(&self) -> Option<f64> {
        self.0.progress
    }

    /// Where the period stands; null for a period with neither target nor readable result.
    async fn status(&self) -> Option<ProgressStatus> {
        self.0.status().map(Into::into)
    }

    /// Earlier revisions of the result, oldest first: for the Programme Office and the
    /// project's partners (empty for others).
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<IndicatorResultRevision>> {
        Ok(ctx
            .data::<Loaders>()?
            .load_one(PeriodRevisionsKey(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|row| IndicatorResultRevision {
                revision: row.revision,
                actual: row.actual_value,
                actual_female: row.actual_female,
                actual_male: row.actual_male,
                comment: row.comment,
                reported_at: row.reported_at,
                reported_by_id: row.reported_by_id.map(to_id),
            })
            .collect())
    }
}

/// A result a correction replaced.
#[derive(SimpleObject)]
pub struct IndicatorResultRevision {
    pub revision: i32,
    pub actual: f64,
    pub actual_female: Option<f64>,
    pub actual_male: Option<f64>,
    pub comment: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub reported_by_id: Option<ID>,
}

/// How a project's indicators stand.
#[derive(SimpleObject)]
pub struct ResultsSummary {
    /// Indicators the project has.
    pub indicators: i64,
    /// Indicators with an assessed period: the latest period with a target that is over or
    /// has a result.
    pub assessed: i64,
    /// Assessed indicators whose latest assessed period is `ACHIEVED` or `ON_TRACK` (a missing
    /// result counts against).
    pub on_track: i64,
    /// `onTrack / assessed`; null when none is assessed.
    pub share_on_track: Option<f64>,
}

impl From<Option<ProjectProgress>> for ResultsSummary {
    /// A project without indicators has no row: nothing to count.
    fn from(progress: Option<ProjectProgress>) -> Self {
        Self {
            indicators: progress.as_ref().map_or(0, |row| row.indicators),
            assessed: progress.as_ref().map_or(0, |row| row.assessed),
            on_track: progress.as_ref().map_or(0, |row| row.on_track),
            share_on_track: progress.as_ref().and_then(ProjectProgress::share_on_track),
        }
    }
}

/// Progress across the projects of one thematic area or region (a project counts in each of
/// its areas and regions).
#[derive(SimpleObject)]
pub struct ResultsProgressGroup {
    /// Set when grouped by thematic area.
    pub thematic_area: Option<ThematicArea>,
    /// Set when grouped by region.
    pub region: Option<Region>,
    /// Projects with at least one indicator.
    pub projects: i64,
    pub indicators: i64,
    pub assessed: i64,
    pub on_track: i64,
    pub share_on_track: Option<f64>,
}

impl From<ProgressGroup> for ResultsProgressGroup {
    fn from(group: ProgressGroup) -> Self {
        Self {
            share_on_track: group.share_on_track(),
            thematic_area: group.thematic_area.map(Into::into),
            region: group.region.map(Into::into),
            projects: group.projects,
            indicators: group.indicators,
            assessed: group.assessed,
            on_track: group.on_track,
        }
    }
}

#[derive(Default)]
pub struct ResultsQuery;

#[Object]
impl ResultsQuery {
    /// An indicator of a project the reader may read; `NOT_FOUND` otherwise.
    async fn indicator(&self, ctx: &Context<'_>, id: ID) -> Result<Indicator> {
        let id = parse_id(&id, "id")?;
        let row = services(ctx)?.results().indicator(actor(ctx)?, id).await?;
        Ok(Indicator(row))
    }

    /// Progress across the projects the reader may read, by thematic area or by region, from
    /// the results the reader may read (the public: approved results of public projects).
    async fn results_progress(
        &self,
        ctx: &Context<'_>,
        by: ResultsGrouping,
    ) -> Result<Vec<ResultsProgressGroup>> {
        let by = match by {
            ResultsGrouping::ThematicArea => GroupBy::ThematicArea,
            ResultsGrouping::Region => GroupBy::Region,
        };
        Ok(services(ctx)?
            .results()
            .progress_by(actor(ctx)?, by)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// A baseline, for input.
#[derive(InputObject, Clone, Copy)]
pub struct BaselineInput {
    pub value: f64,
    /// When it was measured.
    pub date: NaiveDate,
}

impl From<BaselineInput> for Baseline {
    fn from(input: BaselineInput) -> Self {
        Self {
            value: input.value,
            date: input.date,
        }
    }
}

/// A new indicator.
#[derive(InputObject)]
pub struct CreateIndicatorInput {
    pub project_id: ID,
    pub title: TranslationsInput,
    pub definition: Option<TranslationsInput>,
    pub measure: IndicatorMeasure,
    #[graphql(default)]
    pub disaggregated_by_sex: bool,
    /// True (the default) when more is better.
    #[graphql(default = true)]
    pub ascending: bool,
    #[graphql(default_with = "IndicatorPeriodicity::Annual")]
    pub periodicity: IndicatorPeriodicity,
    /// Required when less is better.
    pub baseline: Option<BaselineInput>,
}

/// Changes to an indicator; a field left out keeps its value, `baseline: null` clears it.
#[derive(InputObject)]
pub struct UpdateIndicatorInput {
    pub title: Option<TranslationsInput>,
    pub definition: Option<TranslationsInput>,
    pub measure: Option<IndicatorMeasure>,
    pub disaggregated_by_sex: Option<bool>,
    pub ascending: Option<bool>,
    pub periodicity: Option<IndicatorPeriodicity>,
    pub baseline: async_graphql::MaybeUndefined<BaselineInput>,
}

/// A result: the actual value of one period.
#[derive(InputObject)]
pub struct ReportIndicatorResultInput {
    pub indicator_id: ID,
    pub year: i32,
    /// 1 to 4 for a quarterly indicator; left out for an annual one.
    pub quarter: Option<i32>,
    pub value: f64,
    /// Required for an indicator counted by sex, refused otherwise.
    pub female: Option<f64>,
    pub male: Option<f64>,
    pub comment: Option<String>,
}

fn period_key(year: i32, quarter: Option<i32>) -> Result<PeriodKey> {
    let quarter = quarter
        .map(|quarter| {
            u32::try_from(quarter)
                .map_err(|_| ApiError::bad_input("quarter", "A quarter is 1 to 4."))
        })
        .transpose()?;
    Ok(PeriodKey { year, quarter })
}

#[derive(Default)]
pub struct ResultsMutation;

#[Object]
impl ResultsMutation {
    /// Defines an indicator of a project. The Programme Office, and members of the project's
    /// `ACCOUNTABLE` partner (`FORBIDDEN` for others who may read the project). Audited.
    async fn create_indicator(
        &self,
        ctx: &Context<'_>,
        input: CreateIndicatorInput,
    ) -> Result<Indicator> {
        let project_id = parse_id(&input.project_id, "input.projectId")?;
        let row = services(ctx)?
            .results()
            .create(
                caller(ctx)?,
                NewIndicator {
                    project_id,
                    title: input.title.into(),
                    definition: input.definition.map(Into::into).unwrap_or_default(),
                    measure: input.measure.into(),
                    disaggregated_by_sex: input.disaggregated_by_sex,
                    ascending: input.ascending,
                    periodicity: input.periodicity.into(),
                    baseline: input.baseline.map(Into::into),
                },
            )
            .await?;
        Ok(Indicator(row))
    }

    /// Changes an indicator. Its measure and counting by sex are fixed once a result is
    /// reported, its periodicity once a period has a target or result (`CONFLICT`); a baseline
    /// or direction must fit every target; an approved period locks them. Audited.
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateIndicatorInput,
    ) -> Result<Indicator> {
        let id = parse_id(&id, "id")?;
        let baseline = match input.baseline {
            async_graphql::MaybeUndefined::Undefined => None,
            async_graphql::MaybeUndefined::Null => Some(None),
            async_graphql::MaybeUndefined::Value(baseline) => Some(Some(baseline.into())),
        };
        let row = services(ctx)?
            .results()
            .update(
                caller(ctx)?,
                id,
                IndicatorChanges {
                    title: input.title.map(Into::into),
                    definition: input.definition.map(Into::into),
                    measure: input.measure.map(Into::into),
                    disaggregated_by_sex: input.disaggregated_by_sex,
                    ascending: input.ascending,
                    periodicity: input.periodicity.map(Into::into),
                    baseline,
                },
            )
            .await?;
        Ok(Indicator(row))
    }

    /// Deletes an indicator with its targets and results; `CONFLICT` when a result of it is
    /// approved. Audited. Answers the id.
    async fn delete_indicator(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let id = parse_id(&id, "id")?;
        let id = services(ctx)?.results().delete(caller(ctx)?, id).await?;
        Ok(to_id(id))
    }

    /// Sets the target of one period (a year, or a quarter of a quarterly indicator), or
    /// removes it with `target: null`. Same rights as `updateIndicator`; `CONFLICT` for an
    /// approved period. Audited.
    async fn set_indicator_target(
        &self,
        ctx: &Context<'_>,
        indicator_id: ID,
        year: i32,
        quarter: Option<i32>,
        target: Option<f64>,
    ) -> Result<Indicator> {
        let indicator_id = parse_id(&indicator_id, "indicatorId")?;
        let row = services(ctx)?
            .results()
            .set_target(
                caller(ctx)?,
                indicator_id,
                period_key(year, quarter)?,
                target,
            )
            .await?;
        Ok(Indicator(row))
    }

    /// Reports the result of a period that has started, or corrects it (the value replaced is
    /// kept in `revisions`; the same figures and comment again change nothing). Members of a
    /// partner organisation of the project, any role (`FORBIDDEN` for others, the Programme
    /// Office included: it approves). `CONFLICT` for an approved period. Audited.
    async fn report_indicator_result(
        &self,
        ctx: &Context<'_>,
        input: ReportIndicatorResultInput,
    ) -> Result<IndicatorPeriod> {
        let indicator_id = parse_id(&input.indicator_id, "input.indicatorId")?;
        let period = period_key(input.year, input.quarter)?;
        let services = services(ctx)?;
        let view = services
            .results()
            .report(
                caller(ctx)?,
                NewResult {
                    indicator_id,
                    period,
                    value: input.value,
                    female: input.female,
                    male: input.male,
                    comment: input.comment,
                },
            )
            .await?;
        Ok(IndicatorPeriod(view))
    }

    /// Approves the result of a period, locking it (target included) until
    /// `reopenIndicatorResult`. Programme Office staff and admins only. Give the `revision`
    /// you read: a result corrected since is a `CONFLICT`, as is one already approved or a
    /// period without result. Audited.
    async fn approve_indicator_result(
        &self,
        ctx: &Context<'_>,
        period_id: ID,
        revision: Option<i32>,
    ) -> Result<IndicatorPeriod> {
        let id = parse_id(&period_id, "periodId")?;
        let view = services(ctx)?
            .results()
            .approve(caller(ctx)?, id, revision)
            .await?;
        Ok(IndicatorPeriod(view))
    }

    /// Reopens an approved result for correction. Programme Office staff and admins only;
    /// `CONFLICT` for a result that is not approved. Audited with its reason.
    async fn reopen_indicator_result(
        &self,
        ctx: &Context<'_>,
        period_id: ID,
        #[graphql(desc = "Why it is reopened: required, 1 to 1,000 characters once trimmed.")]
        reason: String,
    ) -> Result<IndicatorPeriod> {
        let id = parse_id(&period_id, "periodId")?;
        let view = services(ctx)?
            .results()
            .reopen(caller(ctx)?, id, &reason)
            .await?;
        Ok(IndicatorPeriod(view))
    }
}
