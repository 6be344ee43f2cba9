//! Statistics: events and participants, people served by centres, and referral cases, laid out
//! as tables. Events are counted in SQL (grouped aggregates); they are public facts and exact.
//!
//! Figures about people who sought help (centre reports, referral cases) are read from their
//! finest counts ([`cubes`]), loaded whole, and every table is cut from one protection of them
//! ([`suppression`]): a cell is published only if it is a union of whole protection blocks, so
//! that no combination of tables gives a small count away. Who reads what exactly is decided by
//! [`policy`].

mod cubes;
pub mod suppression;

use std::{
    collections::{BTreeSet, HashMap},
    fmt,
    sync::Arc,
};

use chrono::{Datelike, Months, NaiveDate};
use entity::{
    centre_report, centre_report_line, centre_service,
    enums::{CaseKind, CaseOutcome, CentreService, EventKind, Region, RiskLevel, ThematicArea},
    event, project_thematic_area, referral_case, referral_transition, resource_centre,
    statistics_version,
};
use futures_util::TryStreamExt;
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    Iterable, JoinType, QueryFilter, QuerySelect, RelationTrait, Select,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};
use serde::Deserialize;
use tokio::sync::{Mutex, OnceCell};
use uuid::Uuid;

use self::{
    cubes::{Axis, cases, index_of, people},
    suppression::{Protection, Selection},
};
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
    /// `(rows + 1) × (columns + 1)` counts, row-major, the totals last.
    entries: Vec<i64>,
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
        let index = row * (self.column_keys.len() + 1) + column;
        match &self.hidden {
            Some(hidden) if hidden[index] => Cell(None),
            _ => Cell(Some(self.entries[index])),
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

/// The protected cubes of this process, each with the version of the data it was built from
/// (`statistics_version`, raised by the database's triggers on every write to the rows it
/// counts). A request reads the version (one primary-key lookup) and is cut from the cube in
/// memory while it is current; the first request after a write, on any server process,
/// rebuilds it, and requests arriving meanwhile wait for that one build instead of each making
/// their own.
#[derive(Default)]
pub struct Cubes {
    people: Mutex<Option<Built<people::Cube>>>,
    cases: Mutex<Option<Built<cases::Cube>>>,
}

impl fmt::Debug for Cubes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cubes").finish_non_exhaustive()
    }
}

/// A cube and what it was built from.
struct Built<C> {
    version: i64,
    threshold: i64,
    cube: Arc<C>,
}

/// The versions' names (`statistics_version.name`).
const PEOPLE_SERVED: &str = "people_served";
const REFERRAL_CASES: &str = "referral_cases";

/// Statistics. One value reads one snapshot of the counts it protects: each cube is taken
/// once, on first use, and every table asked of the same value is cut from it (so the tables
/// of one request agree with each other).
pub struct Statistics<'a> {
    db: &'a crate::db::Db,
    threshold: i64,
    cubes: &'a Cubes,
    people: OnceCell<Arc<people::Cube>>,
    cases: OnceCell<Arc<cases::Cube>>,
}

#[derive(Debug, FromQueryResult)]
struct Group {
    row_key: Option<String>,
    first: i64,
    second: i64,
    third: i64,
    fourth: i64,
}

impl<'a> Statistics<'a> {
    /// Statistics over `db`, suppressing counts of people below `threshold`, with the cubes
    /// of the process.
    pub fn new(db: &'a crate::db::Db, threshold: i64, cubes: &'a Cubes) -> Self {
        Self {
            db,
            threshold,
            cubes,
            people: OnceCell::new(),
            cases: OnceCell::new(),
        }
    }

    /// The version of the data named `name`, `None` if the database has none.
    async fn version(&self, name: &str) -> ApiResult<Option<i64>> {
        Ok(statistics_version::Entity::find_by_id(name.to_owned())
            .select_only()
            .column(statistics_version::Column::Version)
            .into_tuple::<i64>()
            .one(self.db)
            .await?)
    }

    /// The cube in `slot` if it was built from the current version of `name`, otherwise a
    /// new one from `build` (one build at a time: whoever waited for it gets it).
    async fn current<C, F>(
        &self,
        slot: &Mutex<Option<Built<C>>>,
        name: &str,
        build: impl FnOnce() -> F,
    ) -> ApiResult<Arc<C>>
    where
        F: Future<Output = ApiResult<C>>,
    {
        let fits = |built: &Option<Built<C>>, version: i64| {
            built
                .as_ref()
                .filter(|built| built.version == version && built.threshold == self.threshold)
                .map(|built| built.cube.clone())
        };
        let seen = self.version(name).await?;
        let mut built = slot.lock().await;
        if let Some(version) = seen
            && let Some(cube) = fits(&built, version)
        {
            return Ok(cube);
        }
        // Another request may have built it while this one waited: read the version again
        // before reading every row (and label the build with the version read before them,
        // so that a write committed during the build makes the next request build again).
        let version = self.version(name).await?;
        if let Some(version) = version
            && let Some(cube) = fits(&built, version)
        {
            return Ok(cube);
        }
        let cube = Arc::new(build().await?);
        *built = version.map(|version| Built {
            version,
            threshold: self.threshold,
            cube: cube.clone(),
        });
        Ok(cube)
    }

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
    /// sexes). Exact for the organisation operating every centre counted; for everyone else
    /// cut from the one protection of all reports ([`suppression`]).
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
        let cube = self
            .people
            .get_or_try_init(|| {
                self.current(&self.cubes.people, PEOPLE_SERVED, || self.people_cube())
            })
            .await?;
        let mut base = Selection::everything(people::LEVELS);
        cube.months
            .restrict(&mut base, people::MONTH, &filter.period);
        if let Some(region) = filter.region {
            base.restrict(people::REGION, Region::iter().count(), [index_of(region)]);
        }
        if let Some(organisation_id) = filter.organisation_id {
            base.restrict(
                people::CENTRE,
                cube.centres.len(),
                cube.centres_where(|centre| centre.operator_id == organisation_id),
            );
        }
        if let Some(centre_id) = filter.centre_id {
            base.restrict(
                people::CENTRE,
                cube.centres.len(),
                cube.centres_where(|centre| centre.id == centre_id),
            );
        }
        let axis = |dimension: Option<PeopleDimension>| -> ApiResult<Axis> {
            Ok(match dimension {
                None => Axis::all(),
                Some(PeopleDimension::Service) => Axis::codes::<CentreService>(people::SERVICE),
                Some(PeopleDimension::Region) => Axis::codes::<Region>(people::REGION),
                Some(PeopleDimension::Sex) => Axis {
                    level: Some(people::SEX),
                    size: 2,
                    keys: people::SEXES.iter().map(|s| (*s).to_owned()).collect(),
                    values: vec![vec![0], vec![1]],
                },
                Some(PeopleDimension::Month) => cube.months.axis(people::MONTH, &filter.period)?,
            })
        };
        let (row_axis, column_axis) = (axis(Some(rows))?, axis(columns)?);
        let exact = self.reads_exact_people_served(actor, filter).await?;
        Ok(self.cut(&cube.protection, &base, row_axis, column_axis, !exact, None))
    }

    /// Every centre report line as the atoms of one protection: month × region × service × sex
    /// × centre. A centre's atoms start with the month of its first report and cover the
    /// services it offers or has reported; each is known exactly to the centre's operator.
    async fn people_cube(&self) -> ApiResult<people::Cube> {
        let centres: Vec<people::Centre> = resource_centre::Entity::find()
            .select_only()
            .column(resource_centre::Column::Id)
            .column(resource_centre::Column::Region)
            .column(resource_centre::Column::OperatorId)
            .into_model()
            .all(self.db)
            .await?;
        let offered: Vec<(Uuid, CentreService)> = centre_service::Entity::find()
            .select_only()
            .column(centre_service::Column::CentreId)
            .column(centre_service::Column::Service)
            .into_tuple()
            .all(self.db)
            .await?;
        let lines: Vec<people::Line> = centre_report_line::Entity::find()
            .select_only()
            .join(
                JoinType::InnerJoin,
                centre_report_line::Relation::Report.def(),
            )
            .column(centre_report::Column::CentreId)
            .column(centre_report::Column::Month)
            .column(centre_report_line::Column::Service)
            .column(centre_report_line::Column::Female)
            .column(centre_report_line::Column::Male)
            .into_model()
            .all(self.db)
            .await?;
        Ok(people::Cube::new(self.threshold, centres, &offered, &lines))
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
    /// `columns`, with the median hours from referral to first answer per row. Cut from the one
    /// protection of all referred cases unless [`policy::reads_exact_case_statistics`] says
    /// otherwise (it says so for nobody). Periods count whole months, as cases are atoms by
    /// the month they were referred in.
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
        let cube = self
            .cases
            .get_or_try_init(|| {
                self.current(&self.cubes.cases, REFERRAL_CASES, || self.case_cube())
            })
            .await?;
        let mut base = Selection::everything(cases::LEVELS);
        cube.months
            .restrict(&mut base, cases::MONTH, &filter.period);
        if let Some(region) = filter.region {
            base.restrict(cases::REGION, Region::iter().count(), [index_of(region)]);
        }
        if let Some(organisation_id) = filter.organisation_id {
            base.restrict(
                cases::CLASS,
                cube.classes.len(),
                cube.classes_of(organisation_id),
            );
        }
        let axis = |dimension: Option<CaseDimension>| -> ApiResult<Axis> {
            Ok(match dimension {
                None => Axis::all(),
                Some(CaseDimension::Kind) => Axis::codes::<CaseKind>(cases::KIND),
                Some(CaseDimension::Risk) => Axis::codes::<RiskLevel>(cases::RISK),
                Some(CaseDimension::Region) => Axis::codes::<Region>(cases::REGION),
                Some(CaseDimension::Status) => {
                    let keys: Vec<String> = cases::STATUSES.iter().map(|s| s.to_value()).collect();
                    Axis {
                        level: Some(cases::STATUS),
                        size: keys.len(),
                        values: (0..keys.len() as u32).map(|i| vec![i]).collect(),
                        keys,
                    }
                }
                Some(CaseDimension::Outcome) => {
                    let keys = with_none(codes::<CaseOutcome>());
                    Axis {
                        level: Some(cases::OUTCOME),
                        size: keys.len(),
                        values: (0..keys.len() as u32).map(|i| vec![i]).collect(),
                        keys,
                    }
                }
                Some(CaseDimension::Month) => cube.months.axis(cases::MONTH, &filter.period)?,
            })
        };
        let (row_axis, column_axis) = (axis(Some(rows))?, axis(columns)?);
        let medians = self.median_hours(cube, &base, &row_axis);
        let suppressed = !policy::reads_exact_case_statistics(actor);
        Ok(self.cut(
            &cube.protection,
            &base,
            row_axis,
            column_axis,
            suppressed,
            Some(medians),
        ))
    }

    /// Every referred case as the atoms of one protection: month referred × region × kind ×
    /// risk × status × outcome × parties. Each atom is known exactly to the organisations that
    /// may read its cases: the referrer, the receiver and earlier receivers. The cases are
    /// read as a stream and kept as a few bytes each.
    async fn case_cube(&self) -> ApiResult<cases::Cube> {
        // Receivers a case was referred to before its current one (onward referrals): the
        // few transitions whose receiver is neither party now.
        let transition =
            |column: referral_transition::Column| Expr::col((referral_transition::Entity, column));
        let case = |column: referral_case::Column| Expr::col((referral_case::Entity, column));
        let earlier: Vec<(Uuid, Uuid)> = referral_transition::Entity::find()
            .select_only()
            .distinct()
            .column(referral_transition::Column::CaseId)
            .column(referral_transition::Column::ReceivingOrganisationId)
            .join(
                JoinType::InnerJoin,
                referral_transition::Relation::Case.def(),
            )
            .filter(
                Condition::all()
                    .add(
                        transition(referral_transition::Column::ReceivingOrganisationId)
                            .is_not_null(),
                    )
                    .add(
                        transition(referral_transition::Column::ReceivingOrganisationId)
                            .ne(case(referral_case::Column::ReferringOrganisationId)),
                    )
                    .add(
                        Condition::any()
                            .add(case(referral_case::Column::ReceivingOrganisationId).is_null())
                            .add(
                                transition(referral_transition::Column::ReceivingOrganisationId)
                                    .ne(case(referral_case::Column::ReceivingOrganisationId)),
                            ),
                    ),
            )
            .into_tuple()
            .all(self.db)
            .await?;
        let mut builder = cases::Builder::new(&earlier);
        let mut stream = referral_case::Entity::find()
            .select_only()
            .column(referral_case::Column::Id)
            .column(referral_case::Column::Kind)
            .column(referral_case::Column::Status)
            .column(referral_case::Column::Risk)
            .column(referral_case::Column::Region)
            .column(referral_case::Column::ReferredAt)
            .column(referral_case::Column::FirstResponseAt)
            .column(referral_case::Column::Outcome)
            .column(referral_case::Column::ReferringOrganisationId)
            .column(referral_case::Column::ReceivingOrganisationId)
            .filter(referral_case::Column::ReferredAt.is_not_null())
            .into_model::<cases::Referred>()
            .stream(self.db.connection())
            .await?;
        while let Some(referred) = stream.try_next().await? {
            builder.add(&referred);
        }
        drop(stream);
        Ok(builder.finish(self.threshold))
    }

    /// Median hours from referral to first answer of the answered cases within `base`, per
    /// row of `rows` and overall, from the cube's answered cases.
    fn median_hours(&self, cube: &cases::Cube, base: &Selection, rows: &Axis) -> Medians {
        let row_of = rows.key_of();
        let mut by_row: Vec<Vec<f64>> = vec![Vec::new(); rows.keys.len()];
        let mut all = Vec::new();
        for answered in &cube.answered {
            let levels = answered.levels();
            if !base.keeps_atom(&levels) {
                continue;
            }
            all.push(answered.hours);
            if let Some(row) = row_of(&levels) {
                by_row[row].push(answered.hours);
            }
        }
        // The answered cases come by hours, so each list is sorted already.
        let publish = |hours: &mut Vec<f64>| {
            let answered = i64::try_from(hours.len()).unwrap_or(i64::MAX);
            (answered >= self.threshold && !hours.is_empty()).then(|| {
                let middle = hours.len() / 2;
                let median = if hours.len() % 2 == 1 {
                    hours[middle]
                } else {
                    f64::midpoint(hours[middle - 1], hours[middle])
                };
                (median * 10.0).round() / 10.0
            })
        };
        Medians {
            rows: by_row.iter_mut().map(publish).collect(),
            total: publish(&mut all),
        }
    }

    /// The table of `rows` × `columns` within `base`, with its totals: each entry's value
    /// and, when `suppressed`, hidden unless `protection` publishes it. A row's median is
    /// published only with the row's total, the table's only with its grand total.
    fn cut(
        &self,
        protection: &Protection,
        base: &Selection,
        rows: Axis,
        columns: Axis,
        suppressed: bool,
        medians: Option<Medians>,
    ) -> Table {
        let width = columns.keys.len() + 1;
        let (row_of, column_of) = (rows.key_of(), columns.key_of());
        let readings = protection.tabulate(
            base,
            (rows.keys.len(), &row_of),
            (columns.keys.len(), &column_of),
        );
        let entries: Vec<i64> = readings.iter().map(|reading| reading.value).collect();
        let hidden: Vec<bool> = readings
            .iter()
            .map(|reading| suppressed && !reading.publishable)
            .collect();
        let medians = medians.map(|mut medians| {
            for (row, median) in medians.rows.iter_mut().enumerate() {
                if hidden[row * width + width - 1] {
                    *median = None;
                }
            }
            if hidden[hidden.len() - 1] {
                medians.total = None;
            }
            medians
        });
        Table {
            row_keys: rows.keys,
            column_keys: columns.keys,
            entries,
            hidden: suppressed.then_some(hidden),
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

/// `YYYY-MM` of a date column.
fn month_of_date(backend: DbBackend, table: &str, name: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("substr({}, 1, 7)", column(table, name)),
        _ => format!("to_char({}, 'YYYY-MM')", column(table, name)),
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
