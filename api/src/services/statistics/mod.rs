//! Statistics: events and participants, people served by centres, and referral cases, counted
//! in SQL (grouped aggregates; no row is loaded to be counted) and laid out as tables.
//!
//! Figures about people who sought help (centre reports, referral cases) are suppressed below a
//! threshold with complementary suppression ([`suppression`]); figures about events are public
//! facts and exact. Who reads what exactly is decided by [`policy`].

pub mod suppression;

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDate, NaiveTime};
use entity::{
    centre_report, centre_report_line,
    enums::{
        CaseKind, CaseOutcome, CaseStatus, CentreService, EventKind, Region, RiskLevel,
        ThematicArea,
    },
    event, project_thematic_area, referral_case, resource_centre,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    Iterable, JoinType, QueryFilter, QuerySelect, QueryTrait, RelationTrait, Select,
    sea_query::{Alias, Expr, Query, SimpleExpr},
};
use serde::Deserialize;
use uuid::Uuid;

use self::suppression::Extended;
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    policy,
    services::pagination::DateRange,
};

/// The smallest count published about people who sought help, unless configured otherwise.
pub const DEFAULT_THRESHOLD: i64 = 5;

/// A table of months longer than this (ten years) is refused: ask for a narrower range.
const MAX_MONTHS: usize = 120;

/// What events are counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventDimension {
    /// The thematic areas of the event's project (an event counts once in each; `NONE` for
    /// events without a project or area).
    ThematicArea,
    Kind,
    Region,
    /// The month the event starts in (`YYYY-MM`).
    Month,
}

/// What people served are counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PeopleDimension {
    Service,
    /// The centre's region.
    Region,
    /// The reported month (`YYYY-MM`).
    Month,
    Sex,
}

/// What referral cases are counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaseDimension {
    Kind,
    Status,
    Risk,
    Region,
    /// The month the case was referred (`YYYY-MM`).
    Month,
    /// `NONE` for cases not closed with an outcome.
    Outcome,
}

/// Filters of a statistics query; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct StatisticsFilter {
    /// Events starting, reports of months, or cases referred, within the range.
    pub period: DateRange,
    pub region: Option<Region>,
    /// Events of projects in this area (events only).
    pub thematic_area: Option<ThematicArea>,
    /// Events it organises, centres it operates, or cases it refers or receives.
    pub organisation_id: Option<Uuid>,
    /// One centre (people served only).
    pub centre_id: Option<Uuid>,
}

/// One row of event figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFigures {
    pub key: String,
    pub events: i64,
    pub participants_female: i64,
    pub participants_male: i64,
    pub participants_undisclosed: i64,
}

impl EventFigures {
    /// Everyone who took part.
    pub fn participants(&self) -> i64 {
        self.participants_female + self.participants_male + self.participants_undisclosed
    }
}

/// Event figures by one dimension, and for all events counted once each.
#[derive(Clone, Debug)]
pub struct EventTable {
    pub dimension: EventDimension,
    pub rows: Vec<EventFigures>,
    pub total: EventFigures,
}

/// A published cell: its value, or `None` when suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell(pub Option<i64>);

impl Cell {
    pub fn suppressed(self) -> bool {
        self.0.is_none()
    }
}

/// Counts by a row dimension and a column dimension, with their totals, as published to the
/// reader: suppressed cells carry no value.
#[derive(Clone, Debug)]
pub struct Table {
    pub row_keys: Vec<String>,
    pub column_keys: Vec<String>,
    entries: Extended,
    /// `None` when the reader gets exact figures.
    hidden: Option<Vec<bool>>,
    /// The threshold applied, `None` when exact.
    pub threshold: Option<i64>,
    /// Median hours from referral to first answer per row and overall (cases only), each
    /// `None` when fewer answered cases than the threshold would publish it.
    pub medians: Option<Medians>,
}

/// Median hours to first answer.
#[derive(Clone, Debug, Default)]
pub struct Medians {
    pub rows: Vec<Option<f64>>,
    pub total: Option<f64>,
}

impl Table {
    fn cell_at(&self, row: usize, column: usize) -> Cell {
        let value = self.entries.get(row, column);
        match &self.hidden {
            Some(hidden) if hidden[row * (self.column_keys.len() + 1) + column] => Cell(None),
            _ => Cell(Some(value)),
        }
    }

    /// The count of row `row` and column `column`.
    pub fn cell(&self, row: usize, column: usize) -> Cell {
        self.cell_at(row, column)
    }

    /// Row `row`'s total.
    pub fn row_total(&self, row: usize) -> Cell {
        self.cell_at(row, self.column_keys.len())
    }

    /// Column `column`'s total.
    pub fn column_total(&self, column: usize) -> Cell {
        self.cell_at(self.row_keys.len(), column)
    }

    /// The grand total.
    pub fn total(&self) -> Cell {
        self.cell_at(self.row_keys.len(), self.column_keys.len())
    }

    /// Whether any cell is suppressed.
    pub fn any_suppressed(&self) -> bool {
        self.hidden.as_ref().is_some_and(|h| h.iter().any(|h| *h))
    }
}

/// The key of a table without a column dimension: its one column holds the counts.
pub const ALL: &str = "ALL";
/// The key of rows with no value for the dimension (no area, no outcome).
pub const NONE: &str = "NONE";

/// Statistics.
pub struct Statistics<'a> {
    pub(super) db: &'a crate::db::Db,
    pub(super) threshold: i64,
}

#[derive(Debug, FromQueryResult)]
struct Group {
    row_key: Option<String>,
    column_key: Option<String>,
    first: i64,
    second: i64,
    third: i64,
    fourth: i64,
}

#[derive(Debug, FromQueryResult)]
struct Span {
    first: Option<String>,
    last: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct MedianRow {
    row_key: Option<String>,
    answered: i64,
    median: Option<f64>,
}

impl Statistics<'_> {
    /// Events and participants by `dimension`, over the events the actor may see. Exact for
    /// everyone: event participation is public.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for a month table over too long a range; database errors.
    pub async fn events(
        &self,
        actor: &Actor,
        dimension: EventDimension,
        filter: &StatisticsFilter,
    ) -> ApiResult<EventTable> {
        let backend = self.db.get_database_backend();
        let scope = event::Entity::find()
            .select_only()
            .filter(policy::visible_events(actor))
            .filter(event_conditions(actor, filter));
        let mut grouped = scope.clone();
        let key = match dimension {
            EventDimension::ThematicArea => {
                // Only the areas of projects the reader may see: a partner organising an event
                // under an internal project of others must not learn that project's areas (the
                // event counts under `NONE` for it, as its list shows no project).
                let actor = actor.clone();
                grouped = grouped.join(
                    JoinType::LeftJoin,
                    event::Entity::belongs_to(project_thematic_area::Entity)
                        .from(event::Column::ProjectId)
                        .to(project_thematic_area::Column::ProjectId)
                        .on_condition(move |_, areas| {
                            policy::in_visible_project(
                                &actor,
                                (areas, project_thematic_area::Column::ProjectId),
                            )
                        })
                        .into(),
                );
                column("project_thematic_area", "thematic_area")
            }
            EventDimension::Kind => column("event", "kind"),
            EventDimension::Region => column("event", "region"),
            EventDimension::Month => month_of_date(backend, "event", "starts_on"),
        };
        let groups = event_figures(
            grouped
                .expr_as(Expr::cust(key.clone()), "row_key")
                .group_by(Expr::cust(key)),
        )
        .into_model::<Group>()
        .all(self.db)
        .await?;
        let total = event_figures(scope.expr_as(Expr::val(ALL), "row_key"))
            .into_model::<Group>()
            .one(self.db)
            .await?;
        let figures = |key: String, group: Option<&Group>| EventFigures {
            key,
            events: group.map_or(0, |g| g.first),
            participants_female: group.map_or(0, |g| g.second),
            participants_male: group.map_or(0, |g| g.third),
            participants_undisclosed: group.map_or(0, |g| g.fourth),
        };
        let by_key: HashMap<String, &Group> = groups
            .iter()
            .map(|g| (g.row_key.clone().unwrap_or_else(|| NONE.to_owned()), g))
            .collect();
        let keys = match dimension {
            EventDimension::ThematicArea => with_none(codes::<ThematicArea>()),
            EventDimension::Kind => codes::<EventKind>(),
            EventDimension::Region => codes::<Region>(),
            EventDimension::Month => months(&filter.period, by_key.keys())?,
        };
        let rows = keys
            .into_iter()
            .map(|key| {
                let group = by_key.get(&key).copied();
                figures(key, group)
            })
            .collect();
        Ok(EventTable {
            dimension,
            rows,
            total: figures("TOTAL".to_owned(), total.as_ref()),
        })
    }

    /// People served by centres, by `rows` and `columns` (by default a table's columns are the
    /// sexes). Suppressed unless the actor's organisation operates every centre counted.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for the same dimension twice, a filter that does not apply, a month
    /// table over too long a range; database errors.
    pub async fn people_served(
        &self,
        actor: &Actor,
        rows: PeopleDimension,
        columns: Option<PeopleDimension>,
        filter: &StatisticsFilter,
    ) -> ApiResult<Table> {
        distinct(Some(rows), columns)?;
        if filter.thematic_area.is_some() {
            return Err(ApiError::bad_input(
                "filter.thematicArea",
                "Centre reports have no thematic area.",
            ));
        }
        let backend = self.db.get_database_backend();
        let mut select = centre_report_line::Entity::find()
            .select_only()
            .join(
                JoinType::InnerJoin,
                centre_report_line::Relation::Report.def(),
            )
            .join(JoinType::InnerJoin, centre_report::Relation::Centre.def())
            .filter(people_conditions(filter));
        let key_of = |dimension: PeopleDimension| -> Option<String> {
            match dimension {
                PeopleDimension::Service => Some(column("centre_report_line", "service")),
                PeopleDimension::Region => Some(column("resource_centre", "region")),
                PeopleDimension::Month => Some(month_of_date(backend, "centre_report", "month")),
                // Sex is not a column: each line holds one count per sex.
                PeopleDimension::Sex => None,
            }
        };
        for (alias, dimension) in [("row_key", Some(rows)), ("column_key", columns)] {
            let expr = dimension.and_then(key_of);
            match expr {
                Some(key) => {
                    select = select
                        .expr_as(Expr::cust(key.clone()), alias)
                        .group_by(Expr::cust(key));
                }
                None => select = select.expr_as(Expr::cust("CAST(NULL AS TEXT)"), alias),
            }
        }
        let groups = select
            .expr_as(sum("centre_report_line", "female"), "first")
            .expr_as(sum("centre_report_line", "male"), "second")
            .expr_as(Expr::val(0_i64), "third")
            .expr_as(Expr::val(0_i64), "fourth")
            .into_model::<Group>()
            .all(self.db)
            .await?;

        // Spread the per-sex counts over the requested layout.
        const SEXES: [&str; 2] = ["FEMALE", "MALE"];
        let mut counts: HashMap<(String, String), i64> = HashMap::new();
        for group in &groups {
            for (sex, value) in SEXES.iter().zip([group.first, group.second]) {
                let key =
                    |dimension: Option<PeopleDimension>, stored: &Option<String>| match dimension {
                        Some(PeopleDimension::Sex) => (*sex).to_owned(),
                        Some(_) => stored.clone().unwrap_or_else(|| NONE.to_owned()),
                        None => ALL.to_owned(),
                    };
                *counts
                    .entry((
                        key(Some(rows), &group.row_key),
                        key(columns, &group.column_key),
                    ))
                    .or_default() += value;
            }
        }
        // Months run over the period, or without one over every month with any report: a
        // span taken from the filtered rows would tell when one centre began or stopped
        // reporting, and an empty one that its hidden totals are zero.
        let span = if rows == PeopleDimension::Month || columns == Some(PeopleDimension::Month) {
            self.month_span(
                centre_report::Entity::find().select_only(),
                &month_of_date(backend, "centre_report", "month"),
            )
            .await?
        } else {
            Vec::new()
        };
        let keys_of = |dimension: Option<PeopleDimension>| {
            Ok::<_, ApiError>(match dimension {
                None => vec![ALL.to_owned()],
                Some(PeopleDimension::Service) => codes::<CentreService>(),
                Some(PeopleDimension::Region) => codes::<Region>(),
                Some(PeopleDimension::Month) => months(&filter.period, span.iter())?,
                Some(PeopleDimension::Sex) => SEXES.iter().map(|s| (*s).to_owned()).collect(),
            })
        };
        let row_keys = keys_of(Some(rows))?;
        let column_keys = keys_of(columns)?;
        let exact = self.reads_exact_people_served(actor, filter).await?;
        Ok(self.table(row_keys, column_keys, &counts, !exact, None))
    }

    /// Whether the actor's organisation operates every centre the filter counts.
    async fn reads_exact_people_served(
        &self,
        actor: &Actor,
        filter: &StatisticsFilter,
    ) -> ApiResult<bool> {
        let operator = match (filter.centre_id, filter.organisation_id) {
            (Some(centre_id), organisation_id) => {
                let centre = resource_centre::Entity::find_by_id(centre_id)
                    .one(self.db)
                    .await?;
                match centre {
                    // A centre of another operator than the filter's counts nothing.
                    Some(centre) if organisation_id.is_none_or(|o| o == centre.operator_id) => {
                        Some(centre.operator_id)
                    }
                    _ => None,
                }
            }
            (None, organisation_id) => organisation_id,
        };
        Ok(operator.is_some_and(|operator| policy::reads_exact_people_served(actor, operator)))
    }

    /// Referral cases (those referred: drafts are not counted) by `rows` and optionally
    /// `columns`, with the median hours from referral to first answer per row. Suppressed unless
    /// [`policy::reads_exact_case_statistics`] says otherwise (it says so for nobody).
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for the same dimension twice, a filter that does not apply, a month
    /// table over too long a range; database errors.
    pub async fn cases(
        &self,
        actor: &Actor,
        rows: CaseDimension,
        columns: Option<CaseDimension>,
        filter: &StatisticsFilter,
    ) -> ApiResult<Table> {
        distinct(Some(rows), columns)?;
        for (given, field) in [
            (filter.thematic_area.is_some(), "filter.thematicArea"),
            (filter.centre_id.is_some(), "filter.centreId"),
        ] {
            if given {
                return Err(ApiError::bad_input(
                    field,
                    "Referral case statistics cannot be filtered by this.",
                ));
            }
        }
        let backend = self.db.get_database_backend();
        let key_of = |dimension: CaseDimension| -> String {
            match dimension {
                CaseDimension::Kind => column("referral_case", "kind"),
                CaseDimension::Status => column("referral_case", "status"),
                CaseDimension::Risk => column("referral_case", "risk"),
                CaseDimension::Region => column("referral_case", "region"),
                CaseDimension::Month => month_of_timestamp(backend, "referral_case", "referred_at"),
                CaseDimension::Outcome => column("referral_case", "outcome"),
            }
        };
        let scope = referral_case::Entity::find()
            .select_only()
            .filter(case_conditions(filter));
        let mut select = scope.clone();
        let row_key = key_of(rows);
        select = select
            .expr_as(Expr::cust(row_key.clone()), "row_key")
            .group_by(Expr::cust(row_key.clone()));
        match columns.map(key_of) {
            Some(key) => {
                select = select
                    .expr_as(Expr::cust(key.clone()), "column_key")
                    .group_by(Expr::cust(key));
            }
            None => select = select.expr_as(Expr::val(ALL), "column_key"),
        }
        let groups = select
            .expr_as(Expr::cust("COUNT(*)"), "first")
            .expr_as(Expr::val(0_i64), "second")
            .expr_as(Expr::val(0_i64), "third")
            .expr_as(Expr::val(0_i64), "fourth")
            .into_model::<Group>()
            .all(self.db)
            .await?;
        let mut counts: HashMap<(String, String), i64> = HashMap::new();
        for group in groups {
            let or_none = |key: Option<String>| key.unwrap_or_else(|| NONE.to_owned());
            *counts
                .entry((or_none(group.row_key), or_none(group.column_key)))
                .or_default() += group.first;
        }
        // As for people served: months of the period, or of all referred cases.
        let span = if rows == CaseDimension::Month || columns == Some(CaseDimension::Month) {
            self.month_span(
                referral_case::Entity::find()
                    .select_only()
                    .filter(referral_case::Column::ReferredAt.is_not_null()),
                &month_of_timestamp(backend, "referral_case", "referred_at"),
            )
            .await?
        } else {
            Vec::new()
        };
        let keys_of = |dimension: Option<CaseDimension>| {
            Ok::<_, ApiError>(match dimension {
                None => vec![ALL.to_owned()],
                Some(CaseDimension::Kind) => codes::<CaseKind>(),
                Some(CaseDimension::Status) => codes::<CaseStatus>()
                    .into_iter()
                    .filter(|code| code != "DRAFT")
                    .collect(),
                Some(CaseDimension::Risk) => codes::<RiskLevel>(),
                Some(CaseDimension::Region) => codes::<Region>(),
                Some(CaseDimension::Month) => months(&filter.period, span.iter())?,
                Some(CaseDimension::Outcome) => with_none(codes::<CaseOutcome>()),
            })
        };
        let row_keys = keys_of(Some(rows))?;
        let column_keys = keys_of(columns)?;
        let medians = self
            .median_hours(backend, scope, &row_key, &row_keys)
            .await?;
        let suppressed = !policy::reads_exact_case_statistics(actor);
        Ok(self.table(row_keys, column_keys, &counts, suppressed, Some(medians)))
    }

    /// The first and the last month (`YYYY-MM`) of `select`'s rows, by `month`.
    async fn month_span<E: EntityTrait>(
        &self,
        select: Select<E>,
        month: &str,
    ) -> ApiResult<Vec<String>> {
        let span = select
            .expr_as(Expr::cust(format!("MIN({month})")), "first")
            .expr_as(Expr::cust(format!("MAX({month})")), "last")
            .into_model::<Span>()
            .one(self.db)
            .await?;
        Ok(span
            .into_iter()
            .flat_map(|span| [span.first, span.last])
            .flatten()
            .collect())
    }

    /// Median hours from referral to first answer, per row key and overall, computed in SQL
    /// with window functions (portable to SQLite, which has no `percentile_cont`).
    async fn median_hours(
        &self,
        backend: DbBackend,
        scope: Select<referral_case::Entity>,
        row_key: &str,
        row_keys: &[String],
    ) -> ApiResult<Medians> {
        let hours = match backend {
            DbBackend::Sqlite => {
                "(julianday(\"referral_case\".\"first_response_at\") - \
                 julianday(\"referral_case\".\"referred_at\")) * 24.0"
            }
            _ => {
                "CAST(EXTRACT(EPOCH FROM (\"referral_case\".\"first_response_at\" - \
                 \"referral_case\".\"referred_at\")) AS DOUBLE PRECISION) / 3600.0"
            }
        };
        let answered = scope.filter(referral_case::Column::FirstResponseAt.is_not_null());
        let mut medians = Medians::default();
        let mut by_key = HashMap::new();
        for per_row in [true, false] {
            // One window per row key, or one over everything for the table's median.
            let (key, partition) = if per_row {
                (row_key.to_owned(), format!("PARTITION BY {row_key}"))
            } else {
                (format!("'{ALL}'"), String::new())
            };
            let ranked = answered
                .clone()
                .expr_as(Expr::cust(format!("CAST({key} AS TEXT)")), "row_key")
                .expr_as(Expr::cust(hours), "hours")
                .expr_as(
                    Expr::cust(format!("ROW_NUMBER() OVER ({partition} ORDER BY {hours})")),
                    "position",
                )
                .expr_as(
                    Expr::cust(format!("COUNT(*) OVER ({partition})")),
                    "answered",
                )
                .into_query();
            // The middle one (odd count) or the mean of the middle two (even count).
            let statement = Query::select()
                .expr_as(Expr::col(Alias::new("row_key")), "row_key")
                .expr_as(Expr::cust("MAX(\"answered\")"), "answered")
                .expr_as(Expr::cust("AVG(\"hours\")"), "median")
                .from_subquery(ranked, Alias::new("ranked"))
                .and_where(Expr::cust(
                    "\"position\" IN ((\"answered\" + 1) / 2, (\"answered\" + 2) / 2)",
                ))
                .group_by_col(Alias::new("row_key"))
                .to_owned();
            let rows = MedianRow::find_by_statement(backend.build(&statement))
                .all(self.db)
                .await?;
            for row in rows {
                let published = (row.answered >= self.threshold)
                    .then_some(row.median)
                    .flatten()
                    .map(|hours| (hours * 10.0).round() / 10.0);
                if per_row {
                    by_key.insert(row.row_key.unwrap_or_else(|| NONE.to_owned()), published);
                } else {
                    medians.total = published;
                }
            }
        }
        medians.rows = row_keys
            .iter()
            .map(|key| by_key.get(key).copied().flatten())
            .collect();
        Ok(medians)
    }

    fn table(
        &self,
        row_keys: Vec<String>,
        column_keys: Vec<String>,
        counts: &HashMap<(String, String), i64>,
        suppressed: bool,
        medians: Option<Medians>,
    ) -> Table {
        let inner: Vec<i64> = row_keys
            .iter()
            .flat_map(|row| {
                column_keys.iter().map(move |column| {
                    counts
                        .get(&(row.clone(), column.clone()))
                        .copied()
                        .unwrap_or(0)
                })
            })
            .collect();
        let entries = Extended::from_inner(row_keys.len(), column_keys.len(), &inner);
        let hidden = suppressed.then(|| suppression::suppress(&entries, self.threshold));
        Table {
            row_keys,
            column_keys,
            entries,
            hidden,
            threshold: suppressed.then_some(self.threshold),
            medians,
        }
    }
}

/// `"table"."column"`: the statistics' SQL is written from such fixed names and the dialects'
/// functions only, never from input, so it needs no parameters.
fn column(table: &str, column: &str) -> String {
    format!("\"{table}\".\"{column}\"")
}

/// The sum of a count column, zero when there are no rows.
fn sum(table: &str, name: &str) -> SimpleExpr {
    // The cast: SQLite would otherwise describe the sum as REAL.
    Expr::cust(format!(
        "CAST(COALESCE(SUM({}), 0) AS BIGINT)",
        column(table, name)
    ))
}

fn event_figures(select: Select<event::Entity>) -> Select<event::Entity> {
    select
        .expr_as(Expr::cust("COUNT(*)"), "first")
        .expr_as(sum("event", "participants_female"), "second")
        .expr_as(sum("event", "participants_male"), "third")
        .expr_as(sum("event", "participants_undisclosed"), "fourth")
        .expr_as(Expr::cust("CAST(NULL AS TEXT)"), "column_key")
}

fn event_conditions(actor: &Actor, filter: &StatisticsFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(from) = filter.period.from {
        condition = condition.add(event::Column::StartsOn.gte(from));
    }
    if let Some(to) = filter.period.to {
        condition = condition.add(event::Column::StartsOn.lte(to));
    }
    if let Some(region) = filter.region {
        condition = condition.add(event::Column::Region.eq(region));
    }
    if let Some(area) = filter.thematic_area {
        condition = condition.add(
            event::Column::ProjectId.in_subquery(policy::visible_project_ids_in_area(actor, area)),
        );
    }
    if let Some(organisation_id) = filter.organisation_id {
        condition = condition.add(event::Column::OrganiserId.eq(organisation_id));
    }
    condition
}

fn people_conditions(filter: &StatisticsFilter) -> Condition {
    let mut condition = Condition::all();
    // A month counts when its first day is in the range or the range starts within it.
    if let Some(from) = filter.period.from {
        condition = condition.add(centre_report::Column::Month.gte(first_of_month(from)));
    }
    if let Some(to) = filter.period.to {
        condition = condition.add(centre_report::Column::Month.lte(to));
    }
    if let Some(region) = filter.region {
        condition = condition.add(resource_centre::Column::Region.eq(region));
    }
    if let Some(organisation_id) = filter.organisation_id {
        condition = condition.add(resource_centre::Column::OperatorId.eq(organisation_id));
    }
    if let Some(centre_id) = filter.centre_id {
        condition = condition.add(centre_report::Column::CentreId.eq(centre_id));
    }
    condition
}

fn case_conditions(filter: &StatisticsFilter) -> Condition {
    let mut condition = Condition::all().add(referral_case::Column::ReferredAt.is_not_null());
    if let Some(from) = filter.period.from {
        condition = condition
            .add(referral_case::Column::ReferredAt.gte(from.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(to) = filter.period.to
        && let Some(next) = to.succ_opt()
    {
        condition = condition
            .add(referral_case::Column::ReferredAt.lt(next.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(region) = filter.region {
        condition = condition.add(referral_case::Column::Region.eq(region));
    }
    if let Some(organisation_id) = filter.organisation_id {
        condition = condition.add(
            Condition::any()
                .add(referral_case::Column::ReferringOrganisationId.eq(organisation_id))
                .add(referral_case::Column::ReceivingOrganisationId.eq(organisation_id)),
        );
    }
    condition
}

/// `YYYY-MM` of a date column.
fn month_of_date(backend: DbBackend, table: &str, name: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("substr({}, 1, 7)", column(table, name)),
        _ => format!("to_char({}, 'YYYY-MM')", column(table, name)),
    }
}

/// `YYYY-MM` of a timestamp column, in UTC.
fn month_of_timestamp(backend: DbBackend, table: &str, name: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("strftime('%Y-%m', {})", column(table, name)),
        _ => format!(
            "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM')",
            column(table, name)
        ),
    }
}

/// Refuses a table whose rows and columns are the same dimension.
fn distinct<D: PartialEq>(rows: Option<D>, columns: Option<D>) -> ApiResult<()> {
    if rows.is_some() && rows == columns {
        return Err(ApiError::bad_input(
            "columns",
            "Rows and columns must be different dimensions.",
        ));
    }
    Ok(())
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The stored codes of a code list, in its order.
fn codes<E: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
    E::iter().map(|code| code.to_value()).collect()
}

fn with_none(mut codes: Vec<String>) -> Vec<String> {
    codes.push(NONE.to_owned());
    codes
}

/// Every month from the period's first to its last; where the period is open, from the first
/// or to the last of the months `seen`.
fn months<'a>(
    period: &DateRange,
    seen: impl Iterator<Item = &'a String>,
) -> ApiResult<Vec<String>> {
    let seen: BTreeSet<NaiveDate> = seen
        .filter_map(|key| NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok())
        .collect();
    let first = period
        .from
        .map(first_of_month)
        .or_else(|| seen.first().copied());
    let last = period
        .to
        .map(first_of_month)
        .or_else(|| seen.last().copied());
    let (Some(mut month), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    while month <= last {
        if keys.len() == MAX_MONTHS {
            return Err(ApiError::bad_input(
                "filter.from",
                format!("A table by month covers at most {MAX_MONTHS} months; narrow the period."),
            ));
        }
        keys.push(month.format("%Y-%m").to_string());
        month = month + Months::new(1);
    }
    Ok(keys)
}
