//! Centre reports in the API: monthly figures of people served, by service and sex; their
//! earlier revisions; their approval by the Programme Office.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    centres::ResourceCentre,
    common::{
        PageRequest, PortalConnection, actor, caller, connection, page_args, parse_id, services,
        to_id,
    },
    enums::CentreService,
    loaders::{CentreKey, Loaders, ReportApprovalKey, ReportRevisionsKey},
};
use crate::{
    error::ApiError,
    services::{
        pagination::DateRange,
        reports::{Approval, Report, ReportFilter, ReportLine, Revision},
    },
};

/// Whether the Programme Office approved a report.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportApproval {
    /// Approved: the month is locked; a correction is refused (`CONFLICT`) until the Programme
    /// Office reopens the report.
    Approved,
    /// Not approved (yet, or reopened): the operating organisation may correct it.
    Pending,
}

impl From<ReportApproval> for Approval {
    fn from(approval: ReportApproval) -> Self {
        match approval {
            ReportApproval::Approved => Self::Approved,
            ReportApproval::Pending => Self::Pending,
        }
    }
}

fn report_lines(
    lines: impl Iterator<Item = (entity::enums::CentreService, i32, i32)>,
) -> Vec<CentreReportLine> {
    lines
        .map(|(service, female, male)| CentreReportLine {
            service: service.into(),
            female,
            male,
            total: female + male,
        })
        .collect()
}

fn lines_total(lines: impl Iterator<Item = (i32, i32)>) -> i64 {
    lines
        .map(|(female, male)| i64::from(female) + i64::from(male))
        .sum()
}

/// A centre's report of one month. The operating organisation and the Programme Office read
/// them; the public sees only suppressed statistics.
pub struct CentreReport(pub Report);

/// People served by one service in the month.
#[derive(SimpleObject)]
pub struct CentreReportLine {
    pub service: CentreService,
    pub female: i32,
    pub male: i32,
    pub total: i32,
}

#[Object]
impl CentreReport {
    async fn id(&self) -> ID {
        to_id(self.0.report.id)
    }

    /// The centre reported on.
    async fn centre(&self, ctx: &Context<'_>) -> Result<ResourceCentre> {
        ctx.data::<Loaders>()?
            .load_one(CentreKey(self.0.report.centre_id))
            .await?
            .map(ResourceCentre)
            .ok_or_else(|| {
                ApiError::NotFound {
                    entity: "Resource centre",
                }
                .into()
            })
    }

    /// The first day of the reported month.
    async fn month(&self) -> NaiveDate {
        self.0.report.month
    }

    /// 1 for the first submission, one more for each correction (figures identical to the
    /// current ones are no correction).
    async fn revision(&self) -> i32 {
        self.0.report.revision
    }

    /// When the current revision was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.report.submitted_at
    }

    /// The account that submitted the current revision, by id; null when that account was
    /// deleted (or for figures loaded without one, as the demo's).
    async fn submitted_by_id(&self) -> Option<ID> {
        self.0.report.submitted_by_id.map(to_id)
    }

    async fn lines(&self) -> Vec<CentreReportLine> {
        report_lines(
            self.0
                .lines
                .iter()
                .map(|line| (line.service, line.female, line.male)),
        )
    }

    /// Everyone served in the month, all services together (a person helped by two services
    /// counts twice).
    async fn total(&self) -> i64 {
        lines_total(self.0.lines.iter().map(|line| (line.female, line.male)))
    }

    /// Every earlier revision, oldest first, with its figures, who submitted it and when
    /// (empty for a report never corrected). Readable by whoever reads the report.
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<CentreReportRevision>> {
        Ok(ctx
            .data::<Loaders>()?
            .load_one(ReportRevisionsKey(self.0.report.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(CentreReportRevision)
            .collect())
    }

    /// `APPROVED` once the Programme Office approved the report (its month is then locked),
    /// `PENDING` before and after a reopening.
    async fn approval(&self, ctx: &Context<'_>) -> Result<ReportApproval> {
        Ok(if self.approval_row(ctx).await?.is_some() {
            ReportApproval::Approved
        } else {
            ReportApproval::Pending
        })
    }

    /// When the Programme Office approved the report; null while it is pending.
    async fn approved_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .approval_row(ctx)
            .await?
            .map(|approval| approval.approved_at))
    }

    /// The staff account that approved the report, by id; null while it is pending (or when
    /// that account was deleted).
    async fn approved_by_id(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        Ok(self
            .approval_row(ctx)
            .await?
            .and_then(|approval| approval.approved_by_id)
            .map(to_id))
    }
}

impl CentreReport {
    async fn approval_row(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<entity::centre_report_approval::Model>> {
        ctx.data::<Loaders>()?
            .load_one(ReportApprovalKey(self.0.report.id))
            .await
    }
}

/// An earlier revision of a centre report: the figures a correction replaced.
pub struct CentreReportRevision(pub Revision);

#[Object]
impl CentreReportRevision {
    /// Its number: 1 for the first submission.
    async fn revision(&self) -> i32 {
        self.0.revision.revision
    }

    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.revision.submitted_at
    }

    /// The account that submitted it, by id; null when that account was deleted.
    async fn submitted_by_id(&self) -> Option<ID> {
        self.0.revision.submitted_by_id.map(to_id)
    }

    async fn lines(&self) -> Vec<CentreReportLine> {
        report_lines(
            self.0
                .lines
                .iter()
                .map(|line| (line.service, line.female, line.male)),
        )
    }

    /// Everyone served in the month by this revision's figures.
    async fn total(&self) -> i64 {
        lines_total(self.0.lines.iter().map(|line| (line.female, line.male)))
    }
}

/// One service's figures, for input.
#[derive(InputObject)]
pub struct CentreReportLineInput {
    pub service: CentreService,
    pub female: i32,
    pub male: i32,
}

/// Filters of `centreReports`.
#[derive(InputObject, Default)]
pub struct CentreReportFilterInput {
    pub centre_id: Option<ID>,
    /// The first month (any day of it).
    pub from: Option<NaiveDate>,
    /// The last month (any day of it).
    pub to: Option<NaiveDate>,
    /// Only approved, or only pending, reports.
    pub approval: Option<ReportApproval>,
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Centre reports, latest month first: all for the Programme Office, those of the centres
    /// their organisation operates for partners; `UNAUTHENTICATED` for the public.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    async fn centre_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start, 1 to 100; 20 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor: the `endCursor` of the page before.")]
        after: Option<String>,
        #[graphql(desc = "Page size from the end, 1 to 100 (paging backward); not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor: the `startCursor` of the page after.")]
        before: Option<String>,
        filter: Option<CentreReportFilterInput>,
    ) -> Result<PortalConnection<CentreReport>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let input = filter.unwrap_or_default();
        let filter = ReportFilter {
            centre_id: input
                .centre_id
                .map(|id| parse_id(&id, "filter.centreId"))
                .transpose()?,
            months: DateRange::new(input.from, input.to, "filter.from")?,
            approval: input.approval.map(Into::into),
        };
        let page = services(ctx)?
            .reports()
            .list(actor(ctx)?, &filter, &args)
            .await?;
        Ok(connection(page, CentreReport))
    }
}

#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Submits a centre's figures for a month, or corrects them (the report is replaced, the
    /// replaced figures kept in `revisions` and the correction audited). Figures identical to
    /// the current ones change nothing (same revision, no audit entry). Members of the operating
    /// organisation only; not for future months. A month is judged by the services of that
    /// month: a service the centre offered then may be reported even if it was removed since.
    /// An approved report is locked: `CONFLICT` until the Programme Office reopens it.
    async fn submit_centre_report(
        &self,
        ctx: &Context<'_>,
        centre_id: ID,
        #[graphql(desc = "Any day of the reported month.")] month: NaiveDate,
        lines: Vec<CentreReportLineInput>,
    ) -> Result<CentreReport> {
        let centre_id = parse_id(&centre_id, "centreId")?;
        let lines = lines
            .into_iter()
            .map(|line| ReportLine {
                service: line.service.into(),
                female: line.female,
                male: line.male,
            })
            .collect();
        let report = services(ctx)?
            .reports()
            .submit(caller(ctx)?, centre_id, month, lines)
            .await?;
        Ok(CentreReport(report))
    }

    /// Approves a report: its month is locked, corrections are refused (`CONFLICT`) until
    /// `reopenCentreReport`. Audited, and told to the members of the operating organisation
    /// (inbox and mail). Programme Office staff and admins only (`FORBIDDEN` for partners,
    /// `UNAUTHENTICATED` for the public); `CONFLICT` for a report already approved, or
    /// corrected while it was being approved.
    async fn approve_centre_report(&self, ctx: &Context<'_>, id: ID) -> Result<CentreReport> {
        let id = parse_id(&id, "id")?;
        let report = services(ctx)?.reports().approve(caller(ctx)?, id).await?;
        Ok(CentreReport(report))
    }

    /// Reopens an approved report for correction. Audited with its reason, and told to the
    /// members of the operating organisation (inbox and mail). Programme Office staff and admins
    /// only (`FORBIDDEN` for partners, `UNAUTHENTICATED` for the public); `CONFLICT` for a
    /// report that is not approved.
    async fn reopen_centre_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Why it is reopened: required, 1 to 1,000 characters once trimmed.")]
        reason: String,
    ) -> Result<CentreReport> {
        let id = parse_id(&id, "id")?;
        let report = services(ctx)?
            .reports()
            .reopen(caller(ctx)?, id, &reason)
            .await?;
        Ok(CentreReport(report))
    }
}
