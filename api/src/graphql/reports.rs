//! Centre reports in the API: monthly figures of people served, by service and sex.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    centres::ResourceCentre,
    common::{
        PageRequest, PortalConnection, actor, caller, connection, page_args, parse_id, services,
        to_id,
    },
    enums::CentreService,
    loaders::{CentreKey, Loaders},
};
use crate::{
    error::ApiError,
    services::{
        pagination::DateRange,
        reports::{Report, ReportFilter, ReportLine},
    },
};

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

    /// 1 for the first submission, one more for each correction.
    async fn revision(&self) -> i32 {
        self.0.report.revision
    }

    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.report.submitted_at
    }

    async fn lines(&self) -> Vec<CentreReportLine> {
        self.0
            .lines
            .iter()
            .map(|line| CentreReportLine {
                service: line.service.into(),
                female: line.female,
                male: line.male,
                total: line.female + line.male,
            })
            .collect()
    }

    /// Everyone served in the month, all services together (a person helped by two services
    /// counts twice).
    async fn total(&self) -> i64 {
        self.0
            .lines
            .iter()
            .map(|line| i64::from(line.female) + i64::from(line.male))
            .sum()
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
    /// Submits a centre's figures for a month, or corrects them (the report is replaced and the
    /// correction audited). Members of the operating organisation only; not for future months.
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
}
