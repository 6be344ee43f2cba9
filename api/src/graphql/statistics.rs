//! Statistics in the API: tables of counts by one or two dimensions, with their totals; cells
//! about people who sought help are suppressed below a threshold.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::{
    common::{actor, optional_id, services},
    enums::{Region, ThematicArea},
};
use crate::services::{
    pagination::DateRange,
    statistics::{self, Cell, EventFigures, StatisticsFilter, Table},
};

/// What events are counted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "statistics::EventDimension")]
pub enum EventStatisticsDimension {
    /// The thematic areas of the event's project: an event counts once in each of them, so
    /// the rows can add up to more than the total; `NONE` for events without one.
    ThematicArea,
    Kind,
    Region,
    /// The month the event starts in, `YYYY-MM`.
    Month,
}

/// What people served by centres are counted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "statistics::PeopleDimension")]
pub enum PeopleServedDimension {
    Service,
    /// The centre's region.
    Region,
    /// The reported month, `YYYY-MM`.
    Month,
    /// `FEMALE` or `MALE`.
    Sex,
}

/// What referral cases are counted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "statistics::CaseDimension")]
pub enum CaseStatisticsDimension {
    Kind,
    Status,
    Risk,
    Region,
    /// The month the case was referred, `YYYY-MM`.
    Month,
    /// `NONE` while a case is not closed with an outcome.
    Outcome,
}

/// Filters of a statistics query; all given filters must hold.
#[derive(InputObject, Default)]
pub struct StatisticsFilterInput {
    /// Events starting on or after this day; for people served and referral cases, which are
    /// counted by month, from the first day of this day's month (the month counts whole).
    pub from: Option<NaiveDate>,
    /// Events starting on or before this day; for people served and referral cases, up to the
    /// last day of this day's month.
    pub to: Option<NaiveDate>,
    pub region: Option<Region>,
    /// Events of projects in this area (event statistics only).
    pub thematic_area: Option<ThematicArea>,
    /// Events it organises, centres it operates, or cases it refers or receives.
    pub organisation_id: Option<ID>,
    /// One centre (people served only).
    pub centre_id: Option<ID>,
}

impl StatisticsFilterInput {
    fn parse(self) -> Result<StatisticsFilter> {
        Ok(StatisticsFilter {
            period: DateRange::new(self.from, self.to, "filter.from")?,
            region: self.region.map(Into::into),
            thematic_area: self.thematic_area.map(Into::into),
            organisation_id: optional_id(self.organisation_id, "filter.organisationId")?,
            centre_id: optional_id(self.centre_id, "filter.centreId")?,
        })
    }
}

/// Events and their participants in one group.
#[derive(SimpleObject)]
pub struct EventStatisticsRow {
    /// The group: a code of the dimension, `YYYY-MM`, `NONE`, or `TOTAL`.
    pub key: String,
    pub events: i64,
    pub participants_female: i64,
    pub participants_male: i64,
    /// Participants who did not state their sex.
    pub participants_undisclosed: i64,
    pub participants: i64,
}

impl From<EventFigures> for EventStatisticsRow {
    fn from(figures: EventFigures) -> Self {
        Self {
            participants: figures.participants(),
            key: figures.key,
            events: figures.events,
            participants_female: figures.participants_female,
            participants_male: figures.participants_male,
            participants_undisclosed: figures.participants_undisclosed,
        }
    }
}

/// Event figures by one dimension. Exact: participation in events is public.
#[derive(SimpleObject)]
pub struct EventStatistics {
    pub dimension: EventStatisticsDimension,
    /// One row per value of the dimension, in the order of its code list (months in order).
    pub rows: Vec<EventStatisticsRow>,
    /// Every event counted once.
    pub total: EventStatisticsRow,
}

/// One published count.
#[derive(SimpleObject, Clone, Copy)]
pub struct StatisticsCell {
    /// The count; null when suppressed.
    pub value: Option<i64>,
    /// Whether the count is withheld: it is small, or it would let a small one be worked out
    /// from the totals.
    pub suppressed: bool,
}

impl From<Cell> for StatisticsCell {
    fn from(cell: Cell) -> Self {
        Self {
            value: cell.0,
            suppressed: cell.suppressed(),
        }
    }
}

/// One row of a statistics table.
#[derive(SimpleObject)]
pub struct StatisticsRow {
    /// The row's group: a code of the dimension, `YYYY-MM`, or `NONE`.
    pub key: String,
    /// One cell per column, in the order of `columns`.
    pub cells: Vec<StatisticsCell>,
    pub total: StatisticsCell,
    /// Referral cases only: median hours from referral to the first answer in this row; null
    /// when fewer answered cases than the suppression threshold (or for other tables).
    pub median_hours_to_first_answer: Option<f64>,
}

/// A table of counts: rows by one dimension, columns by another (or one column `ALL`), with
/// row, column and grand totals.
#[derive(SimpleObject)]
pub struct StatisticsTable {
    /// The column keys: codes of the column dimension, or `ALL`.
    pub columns: Vec<String>,
    pub rows: Vec<StatisticsRow>,
    /// One total per column, in the order of `columns`.
    pub column_totals: Vec<StatisticsCell>,
    pub total: StatisticsCell,
    /// Counts below this are suppressed, with others that would give them away; null when the
    /// reader gets exact figures.
    pub suppression_threshold: Option<i64>,
    /// Whether any cell is suppressed.
    pub any_suppressed: bool,
    /// Referral cases only: median hours from referral to first answer over the whole table.
    pub median_hours_to_first_answer: Option<f64>,
}

impl From<Table> for StatisticsTable {
    fn from(table: Table) -> Self {
        let medians = table.medians.clone();
        let rows = table
            .row_keys
            .iter()
            .enumerate()
            .map(|(row, key)| StatisticsRow {
                key: key.clone(),
                cells: (0..table.column_keys.len())
                    .map(|column| table.cell(row, column).into())
                    .collect(),
                total: table.row_total(row).into(),
                median_hours_to_first_answer: medians
                    .as_ref()
                    .and_then(|m| m.rows.get(row).copied().flatten()),
            })
            .collect();
        Self {
            column_totals: (0..table.column_keys.len())
                .map(|column| table.column_total(column).into())
                .collect(),
            total: table.total().into(),
            suppression_threshold: table.threshold,
            any_suppressed: table.any_suppressed(),
            median_hours_to_first_answer: medians.and_then(|m| m.total),
            columns: table.column_keys,
            rows,
        }
    }
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// Events and participants (by sex) by one dimension, over the events the reader may see.
    /// Exact figures for everyone.
    async fn event_statistics(
        &self,
        ctx: &Context<'_>,
        rows: EventStatisticsDimension,
        filter: Option<StatisticsFilterInput>,
    ) -> Result<EventStatistics> {
        let filter = filter.unwrap_or_default().parse()?;
        if filter.centre_id.is_some() {
            return Err(crate::error::ApiError::bad_input(
                "filter.centreId",
                "Event statistics cannot be filtered by centre.",
            )
            .into());
        }
        let table = services(ctx)?
            .statistics()
            .events(actor(ctx)?, rows.into(), &filter)
            .await?;
        Ok(EventStatistics {
            dimension: rows,
            rows: table.rows.into_iter().map(Into::into).collect(),
            total: table.total.into(),
        })
    }

    /// People served by the resource centres, by `rows` and `columns` (the sexes unless told
    /// otherwise). Small counts are suppressed, except for members of the organisation that
    /// operates every centre counted (filter by `centreId` or `organisationId`).
    async fn people_served_statistics(
        &self,
        ctx: &Context<'_>,
        rows: PeopleServedDimension,
        #[graphql(default_with = "Some(PeopleServedDimension::Sex)")] columns: Option<
            PeopleServedDimension,
        >,
        filter: Option<StatisticsFilterInput>,
    ) -> Result<StatisticsTable> {
        let filter = filter.unwrap_or_default().parse()?;
        let table = services(ctx)?
            .statistics()
            .people_served(actor(ctx)?, rows.into(), columns.map(Into::into), &filter)
            .await?;
        Ok(table.into())
    }

    /// Referral cases (once referred; drafts are not counted) by `rows` and optionally
    /// `columns`, with the median time to a first answer. Small counts are suppressed for
    /// every reader.
    async fn case_statistics(
        &self,
        ctx: &Context<'_>,
        rows: CaseStatisticsDimension,
        columns: Option<CaseStatisticsDimension>,
        filter: Option<StatisticsFilterInput>,
    ) -> Result<StatisticsTable> {
        let filter = filter.unwrap_or_default().parse()?;
        let table = services(ctx)?
            .statistics()
            .cases(actor(ctx)?, rows.into(), columns.map(Into::into), &filter)
            .await?;
        Ok(table.into())
    }
}
