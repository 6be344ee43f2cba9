//! Statistics: event figures, people served by centres and referral cases, checked against the
//! rows they count, recomputed here from what the lists show (independently of the SQL that
//! counts them), and small-cell suppression checked from the outside.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use entity::{enums::Role, referral_case};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp, accounts::User, fixtures, nodes, spawn_app, spawn_app_with, spawn_app_with_demo,
};

pub const THEMATIC_AREAS: [&str; 16] = [
    "ARMS_CONTROL",
    "BORDER_MANAGEMENT",
    "COUNTERING_TERRORISM",
    "POLICING",
    "ECONOMIC_ACTIVITIES",
    "ENVIRONMENTAL_ACTIVITIES",
    "DISASTER_RISK_REDUCTION",
    "WATER_AND_ENERGY",
    "GOOD_GOVERNANCE",
    "HUMAN_RIGHTS",
    "MEDIA_FREEDOM",
    "RULE_OF_LAW",
    "COMBATING_TRAFFICKING",
    "GENDER_EQUALITY",
    "DOMESTIC_VIOLENCE",
    "YOUTH",
];
pub const EVENT_KINDS: [&str; 9] = [
    "TRAINING",
    "WORKSHOP",
    "ROUNDTABLE",
    "CONFERENCE",
    "FORUM",
    "STUDY_VISIT",
    "AWARENESS_CAMPAIGN",
    "MEETING",
    "OTHER",
];
pub const REGIONS: [&str; 6] = ["DUSHANBE", "SUGHD", "KHATLON", "GBAO", "DRS", "NATIONWIDE"];
pub const SERVICES: [&str; 7] = [
    "LEGAL_CONSULTATION",
    "PSYCHOSOCIAL_COUNSELLING",
    "CRISIS_SUPPORT",
    "SHELTER",
    "MEDICAL_REFERRAL",
    "ECONOMIC_EMPOWERMENT",
    "AWARENESS_RAISING",
];
pub const SEXES: [&str; 2] = ["FEMALE", "MALE"];
const CASE_KINDS: [&str; 4] = [
    "DOMESTIC_VIOLENCE",
    "TRAFFICKING_SEXUAL",
    "TRAFFICKING_LABOUR",
    "OTHER_GBV",
];
/// Case statuses as statistics rows: every status but `DRAFT`, which is never counted.
const CASE_STATUSES: [&str; 6] = [
    "REFERRED",
    "ACCEPTED",
    "DECLINED",
    "IN_SERVICE",
    "CLOSED",
    "WITHDRAWN",
];

/// Reads as the holder of `token`, or as the public without one; the query must succeed.
pub async fn read(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    match token {
        Some(token) => app.data_as(token, query, variables).await,
        None => app.data(query, variables).await,
    }
}

fn day(text: &str) -> NaiveDate {
    fixtures::date(text)
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("every month has a first day")
}

fn month_key(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// Every month from `first`'s to `last`'s, as `YYYY-MM`.
fn month_range(first: NaiveDate, last: NaiveDate) -> Vec<String> {
    let mut month = first_of_month(first);
    let mut keys = Vec::new();
    while month <= first_of_month(last) {
        keys.push(month_key(month));
        month = month + Months::new(1);
    }
    keys
}

fn owned(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|code| (*code).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// What the lists show, page by page.

const EVENTS_PAGE: &str = r"
query($after: String) {
  events(first: 100, after: $after, orderBy: STARTS_ON_ASC) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id kind region startsOn published venue
      participants { female male undisclosed total }
      organiser { id }
      project { thematicAreas }
    } }
  }
}";

/// One event as the `events` connection shows it to its reader.
#[derive(Clone, Debug)]
pub struct SeenEvent {
    pub id: String,
    pub kind: String,
    pub region: String,
    pub starts_on: NaiveDate,
    pub published: bool,
    pub organiser: String,
    pub areas: BTreeSet<String>,
    pub female: i64,
    pub male: i64,
    pub undisclosed: i64,
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a string: {value}"))
        .to_owned()
}

fn number(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("a number: {value}"))
}

/// Every event the reader sees, through all pages of `events(first: 100)`; with the
/// connection's `totalCount`.
pub async fn all_events(app: &TestApp, token: Option<&str>) -> (Vec<SeenEvent>, i64) {
    let mut events = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = read(app, token, EVENTS_PAGE, json!({ "after": after })).await;
        let connection = &data["events"];
        for node in nodes(connection) {
            let participants = &node["participants"];
            events.push(SeenEvent {
                id: text(&node["id"]),
                kind: text(&node["kind"]),
                region: text(&node["region"]),
                starts_on: day(&text(&node["startsOn"])),
                published: node["published"].as_bool().expect("published"),
                organiser: text(&node["organiser"]["id"]),
                areas: node["project"]["thematicAreas"]
                    .as_array()
                    .map(|areas| areas.iter().map(text).collect())
                    .unwrap_or_default(),
                female: number(&participants["female"]),
                male: number(&participants["male"]),
                undisclosed: number(&participants["undisclosed"]),
            });
        }
        if connection["pageInfo"]["hasNextPage"] != json!(true) {
            return (events, number(&connection["totalCount"]));
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

const REPORTS_PAGE: &str = r"
query($after: String) {
  centreReports(first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id month
      centre { id region operator { id } }
      lines { service female male }
    } }
  }
}";

/// One line of a centre report as `centreReports` shows it.
#[derive(Clone, Debug)]
pub struct SeenLine {
    pub centre: String,
    pub operator: String,
    pub region: String,
    pub month: NaiveDate,
    pub service: String,
    pub female: i64,
    pub male: i64,
}

/// Every report line the reader sees, through all pages of `centreReports(first: 100)`.
pub async fn all_report_lines(app: &TestApp, token: &str) -> Vec<SeenLine> {
    let mut lines = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data_as(token, REPORTS_PAGE, json!({ "after": after }))
            .await;
        let connection = &data["centreReports"];
        for node in nodes(connection) {
            let centre = &node["centre"];
            for line in node["lines"].as_array().expect("lines") {
                lines.push(SeenLine {
                    centre: text(&centre["id"]),
                    operator: text(&centre["operator"]["id"]),
                    region: text(&centre["region"]),
                    month: day(&text(&node["month"])),
                    service: text(&line["service"]),
                    female: number(&line["female"]),
                    male: number(&line["male"]),
                });
            }
        }
        if connection["pageInfo"]["hasNextPage"] != json!(true) {
            return lines;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

// ---------------------------------------------------------------------------------------------
// Filters, applied here to the rows the lists show.

#[derive(Clone, Copy, Debug, Default)]
struct Filter {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    region: Option<&'static str>,
    thematic_area: Option<&'static str>,
}

impl Filter {
    fn json(&self) -> Value {
        json!({
            "from": self.from.map(|d| d.to_string()),
            "to": self.to.map(|d| d.to_string()),
            "region": self.region,
            "thematicArea": self.thematic_area,
        })
    }

    fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.region.is_none()
            && self.thematic_area.is_none()
    }

    fn keeps_event(&self, event: &SeenEvent) -> bool {
        self.from.is_none_or(|from| event.starts_on >= from)
            && self.to.is_none_or(|to| event.starts_on <= to)
            && self.region.is_none_or(|region| event.region == region)
            && self
                .thematic_area
                .is_none_or(|area| event.areas.contains(area))
    }

    /// A reported month counts whole when any day of it is in the period.
    fn keeps_line(&self, line: &SeenLine) -> bool {
        self.from
            .is_none_or(|from| line.month >= first_of_month(from))
            && self.to.is_none_or(|to| line.month <= to)
            && self.region.is_none_or(|region| line.region == region)
    }
}

// ---------------------------------------------------------------------------------------------
// Event figures, recomputed.

const EVENT_STATISTICS: &str = r"
query($rows: EventStatisticsDimension!, $filter: StatisticsFilterInput) {
  eventStatistics(rows: $rows, filter: $filter) {
    dimension
    rows { key events participantsFemale participantsMale participantsUndisclosed participants }
    total { key events participantsFemale participantsMale participantsUndisclosed participants }
  }
}";

const EVENT_DIMENSIONS: [&str; 4] = ["THEMATIC_AREA", "KIND", "REGION", "MONTH"];

#[derive(Clone, Copy, Debug, Default)]
struct Figures {
    events: i64,
    female: i64,
    male: i64,
    undisclosed: i64,
}

impl Figures {
    fn add(&mut self, event: &SeenEvent) {
        self.events += 1;
        self.female += event.female;
        self.male += event.male;
        self.undisclosed += event.undisclosed;
    }

    fn json(self, key: &str) -> Value {
        json!({
            "key": key,
            "events": self.events,
            "participantsFemale": self.female,
            "participantsMale": self.male,
            "participantsUndisclosed": self.undisclosed,
            "participants": self.female + self.male + self.undisclosed,
        })
    }
}

/// `eventStatistics` as it should read for `events` (already filtered) by `dimension`.
pub fn expected_event_statistics(
    events: &[SeenEvent],
    dimension: &str,
    period: (Option<NaiveDate>, Option<NaiveDate>),
) -> Value {
    let mut by_key: BTreeMap<String, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    for event in events {
        total.add(event);
        let keys: Vec<String> = match dimension {
            "THEMATIC_AREA" if event.areas.is_empty() => vec!["NONE".to_owned()],
            "THEMATIC_AREA" => event.areas.iter().cloned().collect(),
            "KIND" => vec![event.kind.clone()],
            "REGION" => vec![event.region.clone()],
            "MONTH" => vec![month_key(event.starts_on)],
            other => panic!("no dimension {other}"),
        };
        for key in keys {
            by_key.entry(key).or_default().add(event);
        }
    }
    let keys = match dimension {
        "THEMATIC_AREA" => {
            let mut keys = owned(&THEMATIC_AREAS);
            keys.push("NONE".to_owned());
            keys
        }
        "KIND" => owned(&EVENT_KINDS),
        "REGION" => owned(&REGIONS),
        _ => {
            let starts = events.iter().map(|event| event.starts_on);
            match (period.0.or(starts.clone().min()), period.1.or(starts.max())) {
                (Some(first), Some(last)) => month_range(first, last),
                _ => Vec::new(),
            }
        }
    };
    json!({
        "dimension": dimension,
        "rows": keys
            .iter()
            .map(|key| by_key.get(key).copied().unwrap_or_default().json(key))
            .collect::<Vec<_>>(),
        "total": total.json("TOTAL"),
    })
}

// ---------------------------------------------------------------------------------------------
// Tables: reading them, recomputing people served, and checking what is published.

pub const TABLE: &str = r"
fragment Cell on StatisticsCell { value suppressed }
fragment Table on StatisticsTable {
  columns
  rows { key cells { ...Cell } total { ...Cell } medianHoursToFirstAnswer }
  columnTotals { ...Cell }
  total { ...Cell }
  suppressionThreshold anySuppressed medianHoursToFirstAnswer
}";

pub fn people_served_query() -> String {
    format!(
        "query($rows: PeopleServedDimension!, $columns: PeopleServedDimension, \
         $filter: StatisticsFilterInput) {{
           peopleServedStatistics(rows: $rows, columns: $columns, filter: $filter) {{ ...Table }}
         }} {TABLE}"
    )
}

pub fn case_statistics_query() -> String {
    format!(
        "query($rows: CaseStatisticsDimension!, $columns: CaseStatisticsDimension, \
         $filter: StatisticsFilterInput) {{
           caseStatistics(rows: $rows, columns: $columns, filter: $filter) {{ ...Table }}
         }} {TABLE}"
    )
}

/// A published table as a grid of `(rows + 1) × (columns + 1)` entries, totals last; `None`
/// where suppressed.
#[derive(Debug)]
pub struct Published {
    pub row_keys: Vec<String>,
    pub columns: Vec<String>,
    pub grid: Vec<Vec<Option<i64>>>,
    pub threshold: Option<i64>,
    pub any_suppressed: bool,
    pub row_medians: Vec<Option<f64>>,
    pub median: Option<f64>,
}

/// A cell's value; checks that `suppressed` says exactly whether the value is withheld.
fn cell(value: &Value) -> Option<i64> {
    assert_eq!(
        value["suppressed"].as_bool(),
        Some(value["value"].is_null()),
        "suppressed if and only if no value: {value}"
    );
    value["value"].as_i64()
}

pub fn published(table: &Value) -> Published {
    let columns: Vec<String> = table["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(text)
        .collect();
    let rows = table["rows"].as_array().expect("rows");
    let mut grid = Vec::new();
    for row in rows {
        let cells = row["cells"].as_array().expect("cells");
        assert_eq!(cells.len(), columns.len(), "one cell per column: {row}");
        let mut line: Vec<Option<i64>> = cells.iter().map(cell).collect();
        line.push(cell(&row["total"]));
        grid.push(line);
    }
    let mut totals: Vec<Option<i64>> = table["columnTotals"]
        .as_array()
        .expect("column totals")
        .iter()
        .map(cell)
        .collect();
    assert_eq!(totals.len(), columns.len(), "one total per column");
    totals.push(cell(&table["total"]));
    grid.push(totals);
    Published {
        row_keys: rows.iter().map(|row| text(&row["key"])).collect(),
        columns,
        grid,
        threshold: table["suppressionThreshold"].as_i64(),
        any_suppressed: table["anySuppressed"].as_bool().expect("anySuppressed"),
        row_medians: rows
            .iter()
            .map(|row| row["medianHoursToFirstAnswer"].as_f64())
            .collect(),
        median: table["medianHoursToFirstAnswer"].as_f64(),
    }
}

type Counts = BTreeMap<(String, String), i64>;

/// Checks a published table against the true counts: the layout, every published entry (inner,
/// totals, grand total) equal to the truth and not below the threshold, every entry below the
/// threshold suppressed, nothing suppressed when exact.
fn check_table(
    published: &Published,
    row_keys: &[String],
    column_keys: &[String],
    counts: &Counts,
    threshold: Option<i64>,
    context: &str,
) {
    assert_eq!(published.row_keys, row_keys, "row keys: {context}");
    assert_eq!(published.columns, column_keys, "column keys: {context}");
    assert_eq!(published.threshold, threshold, "threshold: {context}");
    let value = |row: &String, column: &String| {
        counts
            .get(&(row.clone(), column.clone()))
            .copied()
            .unwrap_or(0)
    };
    let rows = row_keys.len();
    let columns = column_keys.len();
    let truth = |r: usize, c: usize| -> i64 {
        let row_range: Vec<usize> = if r == rows {
            (0..rows).collect()
        } else {
            vec![r]
        };
        let column_range: Vec<usize> = if c == columns {
            (0..columns).collect()
        } else {
            vec![c]
        };
        row_range
            .iter()
            .flat_map(|&r| {
                column_range
                    .iter()
                    .map(move |&c| value(&row_keys[r], &column_keys[c]))
            })
            .sum()
    };
    let mut any_hidden = false;
    for r in 0..=rows {
        for c in 0..=columns {
            let expected = truth(r, c);
            let at = format!("entry ({r}, {c}) of {context}");
            match published.grid[r][c] {
                Some(shown) => {
                    assert_eq!(shown, expected, "{at}");
                    if let Some(threshold) = threshold {
                        assert!(shown >= threshold, "a small count is published: {at}");
                    }
                }
                None => {
                    any_hidden = true;
                    assert!(threshold.is_some(), "suppressed in an exact table: {at}");
                }
            }
        }
    }
    assert_eq!(
        published.any_suppressed, any_hidden,
        "anySuppressed: {context}"
    );
}

/// Every row and every column of the grid (totals included) that holds a suppressed entry
/// holds at least two: a single one would be its line's total minus the rest.
fn assert_no_line_gives_a_hidden_entry_away(published: &Published, context: &str) {
    let grid = &published.grid;
    for (r, row) in grid.iter().enumerate() {
        let hidden = row.iter().filter(|entry| entry.is_none()).count();
        assert_ne!(
            hidden, 1,
            "row {r} of {context} has one suppressed entry: {grid:?}"
        );
    }
    for c in 0..grid[0].len() {
        let hidden = grid.iter().filter(|row| row[c].is_none()).count();
        assert_ne!(
            hidden, 1,
            "column {c} of {context} has one suppressed entry: {grid:?}"
        );
    }
    if let Some(threshold) = published.threshold {
        for entry in grid.iter().flatten().flatten() {
            assert!(*entry >= threshold, "{entry} published in {context}");
        }
    }
}

fn people_key(line: &SeenLine, dimension: Option<&str>, sex: &str) -> String {
    match dimension {
        None => "ALL".to_owned(),
        Some("SERVICE") => line.service.clone(),
        Some("REGION") => line.region.clone(),
        Some("MONTH") => month_key(line.month),
        Some("SEX") => sex.to_owned(),
        Some(other) => panic!("no dimension {other}"),
    }
}

/// People served in `lines` by `rows` × `columns`.
fn people_counts(lines: &[&SeenLine], rows: &str, columns: Option<&str>) -> Counts {
    let mut counts = Counts::new();
    for line in lines {
        for (sex, value) in [("FEMALE", line.female), ("MALE", line.male)] {
            *counts
                .entry((
                    people_key(line, Some(rows), sex),
                    people_key(line, columns, sex),
                ))
                .or_default() += value;
        }
    }
    counts
}

/// The keys of a dimension; months run over the filter's period, or where it is open from the
/// first or to the last month of any report (`all`), whatever the other filters keep.
fn people_keys(dimension: Option<&str>, all: &[SeenLine], filter: &Filter) -> Vec<String> {
    match dimension {
        None => vec!["ALL".to_owned()],
        Some("SERVICE") => owned(&SERVICES),
        Some("REGION") => owned(&REGIONS),
        Some("SEX") => owned(&SEXES),
        _ => {
            let months = all.iter().map(|line| line.month);
            match (
                filter.from.or(months.clone().min()),
                filter.to.or(months.max()),
            ) {
                (Some(first), Some(last)) => month_range(first, last),
                _ => Vec::new(),
            }
        }
    }
}

/// Asks for people served by `rows` × `columns` with `filter` (plus `organisationId` and
/// `centreId` when given) as `token`, and checks the table against `lines` recomputed.
async fn check_people_served(
    app: &TestApp,
    token: Option<&str>,
    lines: &[SeenLine],
    (rows, columns): (&str, Option<&str>),
    filter: &Filter,
    scope: (Option<&str>, Option<&str>),
    threshold: Option<i64>,
) -> Published {
    let (organisation, centre) = scope;
    let counted: Vec<&SeenLine> = lines
        .iter()
        .filter(|line| filter.keeps_line(line))
        .filter(|line| organisation.is_none_or(|o| line.operator == o))
        .filter(|line| centre.is_none_or(|c| line.centre == c))
        .collect();
    let mut filter_json = filter.json();
    filter_json["organisationId"] = json!(organisation);
    filter_json["centreId"] = json!(centre);
    let data = read(
        app,
        token,
        &people_served_query(),
        json!({ "rows": rows, "columns": columns, "filter": filter_json }),
    )
    .await;
    let table = published(&data["peopleServedStatistics"]);
    check_table(
        &table,
        &people_keys(Some(rows), lines, filter),
        &people_keys(columns, lines, filter),
        &people_counts(&counted, rows, columns),
        threshold,
        &format!("{rows} × {columns:?} with {filter_json}"),
    );
    table
}

const TABLE_LAYOUTS: [(&str, Option<&str>); 8] = [
    ("SERVICE", Some("SEX")),
    ("REGION", Some("SEX")),
    ("MONTH", Some("SEX")),
    ("MONTH", None),
    ("SERVICE", None),
    ("SEX", Some("SERVICE")),
    ("MONTH", Some("SERVICE")),
    ("REGION", Some("SERVICE")),
];

// ---------------------------------------------------------------------------------------------
// 1. Figures agree with the rows, on the demo data.

#[tokio::test]
async fn event_statistics_agree_with_the_events_each_reader_sees_on_the_demo_data() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;

    let mut seen = Vec::new();
    for token in [Some(staff.access_token.as_str()), None] {
        let (events, total_count) = all_events(&app, token).await;
        assert_eq!(events.len(), usize::try_from(total_count).expect("count"));
        // A period covering the middle half of the events' start dates, from mid-month.
        let mut starts: Vec<NaiveDate> = events.iter().map(|event| event.starts_on).collect();
        starts.sort_unstable();
        let period = Filter {
            from: Some(starts[starts.len() / 4] + Duration::days(3)),
            to: Some(starts[starts.len() * 3 / 4]),
            ..Filter::default()
        };
        let filters = [
            Filter::default(),
            period,
            Filter {
                region: Some("KHATLON"),
                ..Filter::default()
            },
            Filter {
                thematic_area: Some("GENDER_EQUALITY"),
                ..period
            },
        ];
        for filter in filters {
            let counted: Vec<SeenEvent> = events
                .iter()
                .filter(|event| filter.keeps_event(event))
                .cloned()
                .collect();
            if !filter.is_empty() {
                assert!(
                    !counted.is_empty() && counted.len() < events.len(),
                    "{filter:?} keeps some events, not all"
                );
            }
            for dimension in EVENT_DIMENSIONS {
                let data = read(
                    &app,
                    token,
                    EVENT_STATISTICS,
                    json!({ "rows": dimension, "filter": filter.json() }),
                )
                .await;
                assert_eq!(
                    data["eventStatistics"],
                    expected_event_statistics(&counted, dimension, (filter.from, filter.to)),
                    "{dimension} with {filter:?} as {}",
                    if token.is_some() {
                        "staff"
                    } else {
                        "the public"
                    }
                );
            }
        }
        seen.push(events.len());
    }
    assert!(
        seen[0] > seen[1],
        "staff see events the public does not: {seen:?}"
    );
}

#[tokio::test]
async fn people_served_agree_with_the_centre_reports_on_the_demo_data() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let lines = all_report_lines(&app, &staff.access_token).await;
    assert!(lines.len() > 100, "the demo has a year of reports");
    let mut months: Vec<NaiveDate> = lines.iter().map(|line| line.month).collect();
    months.sort_unstable();
    months.dedup();
    // From the middle of the third month to the start of the eighth: both count whole.
    let period = Filter {
        from: Some(months[2] + Duration::days(14)),
        to: Some(months[7] + Duration::days(2)),
        ..Filter::default()
    };
    let khatlon = Filter {
        region: Some("KHATLON"),
        ..Filter::default()
    };

    let mut suppressed_somewhere = false;
    for filter in [Filter::default(), period, khatlon] {
        for layout in TABLE_LAYOUTS {
            let table = check_people_served(
                &app,
                Some(&staff.access_token),
                &lines,
                layout,
                &filter,
                (None, None),
                Some(5),
            )
            .await;
            assert!(
                table
                    .grid
                    .last()
                    .and_then(|totals| totals.last().copied().flatten())
                    .is_some(),
                "the grand total of {layout:?} with {filter:?} is large and published"
            );
            suppressed_somewhere |= table.any_suppressed;
        }
    }
    assert!(
        suppressed_somewhere,
        "the demo has small counts to suppress"
    );

    // The public reads the very same suppressed tables.
    for layout in [("SERVICE", Some("SEX")), ("MONTH", Some("SERVICE"))] {
        check_people_served(&app, None, &lines, layout, &period, (None, None), Some(5)).await;
    }
    // Without `columns` the columns are the sexes.
    let by_default = app
        .data_as(
            &staff.access_token,
            &format!("{{ peopleServedStatistics(rows: SERVICE) {{ ...Table }} }} {TABLE}"),
            json!({}),
        )
        .await;
    let by_sex = read(
        &app,
        Some(&staff.access_token),
        &people_served_query(),
        json!({ "rows": "SERVICE", "columns": "SEX" }),
    )
    .await;
    assert_eq!(by_default, by_sex);
}

/// The operator with the most centres among `lines`, and its centres.
fn busiest_operator(lines: &[SeenLine]) -> (String, Vec<String>) {
    let mut centres: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for line in lines {
        centres
            .entry(line.operator.as_str())
            .or_default()
            .insert(line.centre.as_str());
    }
    let (operator, its) = centres
        .into_iter()
        .max_by_key(|(_, its)| its.len())
        .expect("some operator");
    (
        operator.to_owned(),
        its.into_iter().map(str::to_owned).collect(),
    )
}

#[tokio::test]
async fn an_operator_reads_its_own_centres_exactly_and_others_suppressed() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let lines = all_report_lines(&app, &staff.access_token).await;
    let (own, own_centres) = busiest_operator(&lines);
    let other = lines
        .iter()
        .map(|line| line.operator.clone())
        .find(|operator| *operator != own)
        .expect("another operator");
    let other_centre = lines
        .iter()
        .find(|line| line.operator == other)
        .map(|line| line.centre.clone())
        .expect("a centre of the other operator");
    let partner = app
        .user(Role::Partner, Some(own.parse().expect("a uuid")))
        .await;
    let token = Some(partner.access_token.as_str());
    let khatlon = Filter {
        region: Some("KHATLON"),
        ..Filter::default()
    };
    let layouts = [
        ("SERVICE", Some("SEX")),
        ("MONTH", Some("SERVICE")),
        ("REGION", None),
    ];

    for layout in layouts {
        for filter in [Filter::default(), khatlon] {
            // Its own organisation: exact, and counting its centres only.
            let table = check_people_served(
                &app,
                token,
                &lines,
                layout,
                &filter,
                (Some(&own), None),
                None,
            )
            .await;
            assert!(!table.any_suppressed);
            // Another organisation: suppressed like everyone's.
            check_people_served(
                &app,
                token,
                &lines,
                layout,
                &filter,
                (Some(&other), None),
                Some(5),
            )
            .await;
            // No organisation: all centres, suppressed.
            check_people_served(&app, token, &lines, layout, &filter, (None, None), Some(5)).await;
        }
        // One of its centres: exact; another's centre: suppressed; its own organisation with
        // another's centre counts nothing and is not exact either.
        check_people_served(
            &app,
            token,
            &lines,
            layout,
            &Filter::default(),
            (None, Some(&own_centres[0])),
            None,
        )
        .await;
        check_people_served(
            &app,
            token,
            &lines,
            layout,
            &Filter::default(),
            (None, Some(&other_centre)),
            Some(5),
        )
        .await;
        check_people_served(
            &app,
            token,
            &lines,
            layout,
            &Filter::default(),
            (Some(&own), Some(&other_centre)),
            Some(5),
        )
        .await;
    }
    // Staff never read exactly, even filtered to one organisation.
    check_people_served(
        &app,
        Some(&staff.access_token),
        &lines,
        ("SERVICE", Some("SEX")),
        &Filter::default(),
        (Some(&own), None),
        Some(5),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// 2. Referral cases.

struct CaseWorld {
    referrer: User,
    receiver: User,
    receiver_org: Uuid,
    staff: User,
    admin: User,
}

async fn case_world(app: &TestApp) -> CaseWorld {
    let a = fixtures::organisation(&app.db, "Referring NGO").await;
    let b = fixtures::organisation(&app.db, "Receiving NGO").await;
    CaseWorld {
        referrer: app.user(Role::Partner, Some(a.id)).await,
        receiver: app.user(Role::Partner, Some(b.id)).await,
        receiver_org: b.id,
        staff: app.user(Role::Staff, None).await,
        admin: app.user(Role::Admin, None).await,
    }
}

const CREATE_CASE: &str = r"
mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id status } }";

/// A case of `kind` in `region`, drafted by the referrer; sent to the receiver unless `draft`.
async fn case(app: &TestApp, world: &CaseWorld, kind: &str, region: &str, draft: bool) -> Uuid {
    let data = app
        .data_as(
            &world.referrer.access_token,
            CREATE_CASE,
            json!({ "input": {
                "kind": kind, "risk": "MEDIUM", "survivorSex": "FEMALE",
                "survivorAgeGroup": "ADULT_25_59", "region": region, "district": "Somewhere",
                "servicesRequested": ["CRISIS_SUPPORT"], "consentGiven": true,
                "consentScope": "Referral",
            } }),
        )
        .await;
    let id = text(&data["createReferralCase"]["id"]);
    if !draft {
        let sent = app
            .data_as(
                &world.referrer.access_token,
                "mutation($id: ID!, $to: ID!) { sendReferralCase(id: $id, receivingOrganisationId: $to) { status } }",
                json!({ "id": id, "to": world.receiver_org.to_string() }),
            )
            .await;
        assert_eq!(sent["sendReferralCase"]["status"], "REFERRED");
    }
    id.parse().expect("a uuid")
}

/// The receiver answers: `accept` or `decline`.
async fn answer(app: &TestApp, world: &CaseWorld, id: Uuid, accept: bool) {
    let mutation = if accept {
        "mutation($id: ID!) { acceptReferralCase(id: $id) { status } }"
    } else {
        "mutation($id: ID!) { declineReferralCase(id: $id, reason: NO_CAPACITY) { status } }"
    };
    app.data_as(
        &world.receiver.access_token,
        mutation,
        json!({ "id": id.to_string() }),
    )
    .await;
}

/// Sets when a case was referred and first answered, so that the times to answer are known.
async fn set_times(app: &TestApp, id: Uuid, referred: DateTime<Utc>, hours: Option<i64>) {
    let row = referral_case::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("read case")
        .expect("the case");
    assert_eq!(
        row.first_response_at.is_some(),
        hours.is_some(),
        "answered cases, and only they, have a first answer"
    );
    let mut row = row.into_active_model();
    row.referred_at = Set(Some(referred));
    row.first_response_at = Set(hours.map(|h| referred + Duration::hours(h)));
    row.update(&app.db).await.expect("update case");
}

/// One planned case: kind, region, and the receiver's answer with the hours it took.
struct Planned {
    kind: &'static str,
    region: &'static str,
    answer: Option<(bool, i64)>,
}

const fn planned(kind: &'static str, region: &'static str, answer: Option<(bool, i64)>) -> Planned {
    Planned {
        kind,
        region,
        answer,
    }
}

/// Eleven referred cases: DV 4 (accepted after 2 h and 10 h, declined after 30 h, one open),
/// TS 2 (accepted after 50 h, one open), TL 3 (accepted after 4 h, declined after 7 h, one
/// open), OG 2 (open).
const PLAN: [Planned; 11] = [
    planned("DOMESTIC_VIOLENCE", "KHATLON", Some((true, 2))),
    planned("DOMESTIC_VIOLENCE", "KHATLON", Some((true, 10))),
    planned("DOMESTIC_VIOLENCE", "SUGHD", Some((false, 30))),
    planned("DOMESTIC_VIOLENCE", "KHATLON", None),
    planned("TRAFFICKING_SEXUAL", "DUSHANBE", Some((true, 50))),
    planned("TRAFFICKING_SEXUAL", "DUSHANBE", None),
    planned("TRAFFICKING_LABOUR", "SUGHD", Some((true, 4))),
    planned("TRAFFICKING_LABOUR", "SUGHD", Some((false, 7))),
    planned("TRAFFICKING_LABOUR", "KHATLON", None),
    planned("OTHER_GBV", "KHATLON", None),
    planned("OTHER_GBV", "GBAO", None),
];

fn status_of(plan: &Planned) -> &'static str {
    match plan.answer {
        None => "REFERRED",
        Some((true, _)) => "ACCEPTED",
        Some((false, _)) => "DECLINED",
    }
}

/// Creates the planned cases (and `drafts` drafts of domestic violence, never sent), each
/// referred on its own day of January 2026.
async fn create_cases(app: &TestApp, world: &CaseWorld, plan: &[Planned], drafts: usize) {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .expect("a time");
    for (index, planned) in plan.iter().enumerate() {
        let id = case(app, world, planned.kind, planned.region, false).await;
        if let Some((accept, _)) = planned.answer {
            answer(app, world, id, accept).await;
        }
        let referred = start + Duration::days(i64::try_from(index).expect("small"));
        set_times(app, id, referred, planned.answer.map(|(_, hours)| hours)).await;
    }
    for _ in 0..drafts {
        case(app, world, "DOMESTIC_VIOLENCE", "KHATLON", true).await;
    }
}

fn case_counts(plan: &[Planned], rows: &str, columns: Option<&str>) -> Counts {
    let key = |planned: &Planned, dimension: Option<&str>| match dimension {
        None => "ALL".to_owned(),
        Some("KIND") => planned.kind.to_owned(),
        Some("STATUS") => status_of(planned).to_owned(),
        Some("REGION") => planned.region.to_owned(),
        Some(other) => panic!("no dimension {other}"),
    };
    let mut counts = Counts::new();
    for planned in plan {
        *counts
            .entry((key(planned, Some(rows)), key(planned, columns)))
            .or_default() += 1;
    }
    counts
}

fn case_keys(dimension: Option<&str>) -> Vec<String> {
    match dimension {
        None => vec!["ALL".to_owned()],
        Some("KIND") => owned(&CASE_KINDS),
        Some("STATUS") => owned(&CASE_STATUSES),
        Some("REGION") => owned(&REGIONS),
        Some(other) => panic!("no dimension {other}"),
    }
}

/// The median of `hours`, as the API publishes it (to a tenth of an hour).
fn median(mut hours: Vec<i64>) -> Option<f64> {
    if hours.is_empty() {
        return None;
    }
    hours.sort_unstable();
    let middle = hours.len() / 2;
    #[allow(clippy::cast_precision_loss)]
    let value = if hours.len() % 2 == 1 {
        hours[middle] as f64
    } else {
        (hours[middle - 1] + hours[middle]) as f64 / 2.0
    };
    Some(value)
}

fn answered_hours<'a>(plan: impl IntoIterator<Item = &'a Planned>) -> Vec<i64> {
    plan.into_iter()
        .filter_map(|planned| planned.answer.map(|(_, hours)| hours))
        .collect()
}

fn assert_close(actual: Option<f64>, expected: Option<f64>, context: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-6, "{context}: {a} ≠ {e}"),
        _ => assert_eq!(actual, expected, "{context}"),
    }
}

#[tokio::test]
async fn case_statistics_count_referred_cases_and_publish_medians_of_enough_answers() {
    // A threshold of 2 so that a few cases show exact counts and medians.
    let app = spawn_app_with(&[("PORTAL_SUPPRESSION_THRESHOLD", "2")]).await;
    let world = case_world(&app).await;
    create_cases(&app, &world, &PLAN, 2).await;
    let query = case_statistics_query();

    // By kind: drafts are not counted. Every kind has at least 2 cases, but every kind also
    // has a single open case in some region, and those are settled with other kinds' within
    // their region (regions are given up after kinds): a kind's total would give the others
    // away combined with the tables by region, so only the grand total is published.
    let data = app
        .data_as(
            &world.staff.access_token,
            &query,
            json!({ "rows": "KIND", "columns": null }),
        )
        .await;
    let by_kind = published(&data["caseStatistics"]);
    assert_eq!(by_kind.threshold, Some(2));
    assert_eq!(by_kind.columns, ["ALL"]);
    assert_eq!(by_kind.row_keys, CASE_KINDS);
    check_table(
        &by_kind,
        &case_keys(Some("KIND")),
        &case_keys(None),
        &case_counts(&PLAN, "KIND", None),
        Some(2),
        "KIND",
    );
    assert_eq!(
        by_kind.grid.last(),
        Some(&vec![Some(11), Some(11)]),
        "the two drafts are not counted"
    );
    // Medians go with the row totals: a hidden row has none. Overall 2, 4, 7, 10, 30, 50 h.
    for (row, kind) in CASE_KINDS.iter().enumerate() {
        let answered = answered_hours(PLAN.iter().filter(|p| p.kind == *kind));
        let expected = if answered.len() >= 2 && by_kind.grid[row][1].is_some() {
            median(answered)
        } else {
            None
        };
        assert_close(by_kind.row_medians[row], expected, kind);
    }
    assert_close(by_kind.median, Some(8.5), "overall by hand");

    // By status, and by kind × status: checked against the plan, whatever is suppressed.
    for (rows, columns) in [
        ("STATUS", None),
        ("KIND", Some("STATUS")),
        ("STATUS", Some("KIND")),
        ("REGION", Some("KIND")),
    ] {
        let data = app
            .data_as(
                &world.staff.access_token,
                &query,
                json!({ "rows": rows, "columns": columns }),
            )
            .await;
        let table = published(&data["caseStatistics"]);
        let context = format!("{rows} × {columns:?}");
        check_table(
            &table,
            &case_keys(Some(rows)),
            &case_keys(columns),
            &case_counts(&PLAN, rows, columns),
            Some(2),
            &context,
        );
        assert_no_line_gives_a_hidden_entry_away(&table, &context);
        assert_close(table.median, Some(8.5), &context);
    }
    let data = app
        .data_as(
            &world.staff.access_token,
            &query,
            json!({ "rows": "STATUS", "columns": "KIND" }),
        )
        .await;
    let by_status = published(&data["caseStatistics"]);
    assert!(by_status.any_suppressed, "zeros are small: {by_status:?}");
    // Accepted after 2, 4, 10, 50 h; declined after 7, 30 h; open ones have no answer. A
    // median is published only with its row's total.
    let shown = |row: usize, median: f64| by_status.grid[row][4].map(|_| median);
    assert_close(by_status.row_medians[0], None, "REFERRED");
    assert_close(by_status.row_medians[1], shown(1, 7.0), "ACCEPTED");
    assert_close(by_status.row_medians[2], shown(2, 18.5), "DECLINED");

    // A period counts whole months: 7 to 12 January is all of January, so every planned case.
    let data = app
        .data_as(
            &world.staff.access_token,
            &query,
            json!({ "rows": "KIND", "filter": { "from": "2026-01-07", "to": "2026-01-12" } }),
        )
        .await;
    let in_period = published(&data["caseStatistics"]);
    check_table(
        &in_period,
        &case_keys(Some("KIND")),
        &case_keys(None),
        &case_counts(&PLAN, "KIND", None),
        Some(2),
        "KIND in 7–12 January",
    );
    assert_eq!(
        in_period.grid, by_kind.grid,
        "the same month, the same cells"
    );
    assert_close(
        in_period.median,
        median(answered_hours(&PLAN)),
        "median in the period",
    );

    // Every reader gets the same table: no one reads cases exactly.
    let staff_view = data_of_case_table(&app, Some(&world.staff.access_token)).await;
    for token in [
        Some(world.admin.access_token.as_str()),
        Some(world.referrer.access_token.as_str()),
        Some(world.receiver.access_token.as_str()),
        None,
    ] {
        assert_eq!(data_of_case_table(&app, token).await, staff_view);
    }
}

async fn data_of_case_table(app: &TestApp, token: Option<&str>) -> Value {
    read(
        app,
        token,
        &case_statistics_query(),
        json!({ "rows": "KIND", "columns": "STATUS" }),
    )
    .await
}

#[tokio::test]
async fn small_case_counts_are_suppressed_for_every_reader() {
    let app = spawn_app().await;
    let world = case_world(&app).await;
    // Four referred cases, three answered, and a draft: all below the default threshold of 5.
    create_cases(&app, &world, &PLAN[..4], 1).await;
    let query = case_statistics_query();

    for (who, token) in [
        ("staff", Some(world.staff.access_token.as_str())),
        ("admin", Some(world.admin.access_token.as_str())),
        ("referrer", Some(world.referrer.access_token.as_str())),
        ("receiver", Some(world.receiver.access_token.as_str())),
        ("public", None),
    ] {
        for (rows, columns) in [("KIND", None), ("KIND", Some("STATUS"))] {
            let data = read(
                &app,
                token,
                &query,
                json!({ "rows": rows, "columns": columns }),
            )
            .await;
            let table = published(&data["caseStatistics"]);
            let context = format!("{rows} × {columns:?} for {who}");
            check_table(
                &table,
                &case_keys(Some(rows)),
                &case_keys(columns),
                &case_counts(&PLAN[..4], rows, columns),
                Some(5),
                &context,
            );
            assert!(
                table.grid.iter().flatten().all(Option::is_none),
                "every count is below 5, so all are hidden: {context}"
            );
            assert!(table.row_medians.iter().all(Option::is_none), "{context}");
            assert_eq!(table.median, None, "three answers are too few: {context}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. No suppressed entry can be worked out from a published table.

#[tokio::test]
async fn no_suppressed_people_served_entry_is_given_away_by_its_lines_on_the_demo_data() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let lines = all_report_lines(&app, &staff.access_token).await;
    let (busiest, _) = busiest_operator(&lines);
    let query = people_served_query();

    let mut hidden = 0;
    for filter in [
        json!(null),
        json!({ "organisationId": busiest }),
        json!({ "region": "SUGHD" }),
    ] {
        for (rows, columns) in [
            ("SERVICE", "SEX"),
            ("REGION", "SEX"),
            ("MONTH", "SEX"),
            ("MONTH", "SERVICE"),
            ("SERVICE", "REGION"),
        ] {
            let data = app
                .data_as(
                    &staff.access_token,
                    &query,
                    json!({ "rows": rows, "columns": columns, "filter": filter }),
                )
                .await;
            let table = published(&data["peopleServedStatistics"]);
            assert_eq!(table.threshold, Some(5));
            assert_no_line_gives_a_hidden_entry_away(
                &table,
                &format!("{rows} × {columns} {filter}"),
            );
            hidden += table.grid.iter().flatten().filter(|e| e.is_none()).count();
        }
    }
    assert!(
        hidden > 0,
        "some entries are suppressed, so the check checks something"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Input errors.

#[tokio::test]
async fn statistics_refuse_inputs_that_make_no_sense_naming_the_field() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let token = &staff.access_token;
    let people = people_served_query();
    let cases = case_statistics_query();
    let months = |from: &str, to: &str| json!({ "from": from, "to": to });

    // The same dimension twice.
    app.assert_bad_input(
        token,
        &people,
        json!({ "rows": "SEX", "columns": "SEX" }),
        &["columns"],
    )
    .await;
    app.assert_bad_input(
        token,
        &cases,
        json!({ "rows": "KIND", "columns": "KIND" }),
        &["columns"],
    )
    .await;
    // Filters that do not apply.
    app.assert_bad_input(
        token,
        &people,
        json!({ "rows": "SERVICE", "filter": { "thematicArea": "YOUTH" } }),
        &["filter.thematicArea"],
    )
    .await;
    let centre = Uuid::now_v7().to_string();
    app.assert_bad_input(
        token,
        &cases,
        json!({ "rows": "KIND", "filter": { "centreId": centre } }),
        &["filter.centreId"],
    )
    .await;
    app.assert_bad_input(
        token,
        &cases,
        json!({ "rows": "KIND", "filter": { "thematicArea": "YOUTH" } }),
        &["filter.thematicArea"],
    )
    .await;
    app.assert_bad_input(
        token,
        EVENT_STATISTICS,
        json!({ "rows": "KIND", "filter": { "centreId": centre } }),
        &["filter.centreId"],
    )
    .await;
    // A period that ends before it starts.
    let backwards = months("2025-06-01", "2025-05-31");
    app.assert_bad_input(
        token,
        EVENT_STATISTICS,
        json!({ "rows": "KIND", "filter": backwards }),
        &["filter.from"],
    )
    .await;
    app.assert_bad_input(
        token,
        &people,
        json!({ "rows": "SERVICE", "filter": backwards }),
        &["filter.from"],
    )
    .await;
    app.assert_bad_input(
        token,
        &cases,
        json!({ "rows": "KIND", "filter": backwards }),
        &["filter.from"],
    )
    .await;
    // A month table of 121 months is refused, one of 120 is not.
    let too_long = months("2016-01-01", "2026-01-01");
    let ten_years = months("2016-01-01", "2025-12-31");
    app.assert_bad_input(
        token,
        EVENT_STATISTICS,
        json!({ "rows": "MONTH", "filter": too_long }),
        &["filter.from"],
    )
    .await;
    app.assert_bad_input(
        token,
        &people,
        json!({ "rows": "MONTH", "filter": too_long }),
        &["filter.from"],
    )
    .await;
    app.assert_bad_input(
        token,
        &people,
        json!({ "rows": "SERVICE", "columns": "MONTH", "filter": too_long }),
        &["filter.from"],
    )
    .await;
    app.assert_bad_input(
        token,
        &cases,
        json!({ "rows": "MONTH", "filter": too_long }),
        &["filter.from"],
    )
    .await;
    let events = app
        .data_as(
            token,
            EVENT_STATISTICS,
            json!({ "rows": "MONTH", "filter": ten_years }),
        )
        .await;
    assert_eq!(
        events["eventStatistics"]["rows"].as_array().map(Vec::len),
        Some(120)
    );
    let people_served = app
        .data_as(
            token,
            &people,
            json!({ "rows": "MONTH", "filter": ten_years }),
        )
        .await;
    assert_eq!(
        people_served["peopleServedStatistics"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(120)
    );
    let case_table = app
        .data_as(
            token,
            &cases,
            json!({ "rows": "MONTH", "filter": ten_years }),
        )
        .await;
    assert_eq!(
        case_table["caseStatistics"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(120)
    );
}

/// A partner organising an event under another organisation's internal project sees the event
/// but not the project: neither the statistics by area nor an area filter (of the statistics or
/// of the event list) may tell it the project's areas.
#[tokio::test]
async fn the_areas_of_a_project_hidden_from_the_reader_stay_hidden() {
    use entity::enums::{ThematicArea, Visibility};

    let app = spawn_app().await;
    let owner = fixtures::organisation(&app.db, "Owner of the internal project").await;
    let organiser = fixtures::organisation(&app.db, "Organiser of one of its events").await;
    let internal = fixtures::project(
        &app.db,
        fixtures::NewProject {
            code: "PO-2025-BM-09",
            visibility: Visibility::Internal,
            areas: &[ThematicArea::BorderManagement],
            partners: &[(owner.id, entity::enums::PartnerRole::Implementing)],
            ..fixtures::NewProject::default()
        },
    )
    .await;
    fixtures::event(
        &app.db,
        fixtures::NewEvent {
            title: "Border post visit",
            project_id: Some(internal.id),
            organiser_id: organiser.id,
            ..fixtures::NewEvent::default()
        },
    )
    .await;
    let partner = app.user(Role::Partner, Some(organiser.id)).await;
    let staff = app.user(Role::Staff, None).await;
    const BY_AREA: &str = r"
    query($filter: StatisticsFilterInput) {
      eventStatistics(rows: THEMATIC_AREA, filter: $filter) { rows { key events } total { events } }
    }";
    let events_in = |data: &Value, key: &str| {
        data["eventStatistics"]["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|row| row["key"] == key))
            .map(|row| row["events"].clone())
    };

    let seen = app.data_as(&partner.access_token, BY_AREA, json!({})).await;
    assert_eq!(seen["eventStatistics"]["total"]["events"], json!(1));
    assert_eq!(events_in(&seen, "NONE"), Some(json!(1)), "{seen:#}");
    assert_eq!(events_in(&seen, "BORDER_MANAGEMENT"), Some(json!(0)));
    let filtered = app
        .data_as(
            &partner.access_token,
            BY_AREA,
            json!({ "filter": { "thematicArea": "BORDER_MANAGEMENT" } }),
        )
        .await;
    assert_eq!(filtered["eventStatistics"]["total"]["events"], json!(0));
    let listed = app
        .data_as(
            &partner.access_token,
            "{ events(first: 10, filter: { thematicArea: BORDER_MANAGEMENT }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["events"]["totalCount"], json!(0));

    // The office sees the project, so the event counts under its area.
    let office = app.data_as(&staff.access_token, BY_AREA, json!({})).await;
    assert_eq!(events_in(&office, "BORDER_MANAGEMENT"), Some(json!(1)));
    assert_eq!(events_in(&office, "NONE"), Some(json!(0)));
}

// ---------------------------------------------------------------------------------------------
// 3. The cubes a server keeps between requests.

/// The version the database keeps of the counts named `name` (`statistics_version`).
async fn version_of(app: &TestApp, name: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT version FROM statistics_version WHERE name = '{name}'"),
        ))
        .await
        .expect("read the version")
        .expect("a version of every protected statistic");
    row.try_get("", "version").expect("version")
}

#[tokio::test]
async fn the_database_raises_a_statistic_version_on_writes_to_what_it_counts_and_only_then() {
    let app = spawn_app().await;
    let world = case_world(&app).await;
    let id = case(&app, &world, "DOMESTIC_VIOLENCE", "KHATLON", false).await;
    let operator = fixtures::organisation(&app.db, "Centre operator").await;
    let centre = fixtures::centre(
        &app.db,
        fixtures::NewCentre {
            operator_id: operator.id,
            ..Default::default()
        },
    )
    .await;
    let cases = version_of(&app, "referral_cases").await;
    let people = version_of(&app, "people_served").await;

    // What no table counts: a case's district, a centre's telephone.
    let mut row = referral_case::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("read case")
        .expect("the case")
        .into_active_model();
    row.district = Set("Bokhtar".to_owned());
    row.update(&app.db).await.expect("update the district");
    let mut phone = centre.clone().into_active_model();
    phone.phone = Set(Some("+992 37 000 00 02".to_owned()));
    phone.update(&app.db).await.expect("update the phone");
    assert_eq!(version_of(&app, "referral_cases").await, cases);
    assert_eq!(version_of(&app, "people_served").await, people);

    // What they count, written past the services as an operator's SQL would be.
    let mut row = referral_case::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("read case")
        .expect("the case")
        .into_active_model();
    row.region = Set(entity::enums::Region::Sughd);
    row.update(&app.db).await.expect("update the region");
    let after_region = version_of(&app, "referral_cases").await;
    assert!(after_region > cases, "{cases} → {after_region}");
    answer(&app, &world, id, true).await;
    let after_answer = version_of(&app, "referral_cases").await;
    assert!(
        after_answer > after_region,
        "{after_region} → {after_answer}"
    );
    assert_eq!(version_of(&app, "people_served").await, people);

    let mut moved = centre.into_active_model();
    moved.region = Set(entity::enums::Region::Gbao);
    moved.update(&app.db).await.expect("move the centre");
    let after_move = version_of(&app, "people_served").await;
    assert!(after_move > people, "{people} → {after_move}");
    assert_eq!(version_of(&app, "referral_cases").await, after_answer);
}

#[tokio::test]
async fn a_server_answers_from_its_kept_cube_only_while_no_server_has_written_since() {
    // Threshold 2, so that a few cases publish their total and median.
    let first = spawn_app_with(&[("PORTAL_SUPPRESSION_THRESHOLD", "2")]).await;
    let second = first.another_server().await;
    let world = case_world(&first).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(case(&first, &world, "DOMESTIC_VIOLENCE", "KHATLON", false).await);
    }
    let query = case_statistics_query();
    let by_status = json!({ "rows": "STATUS", "columns": "KIND" });
    let table = |data: &Value| published(&data["caseStatistics"]);

    let before = first
        .data_as(&world.staff.access_token, &query, by_status.clone())
        .await;
    assert_eq!(
        table(&before)
            .grid
            .last()
            .and_then(|t| *t.last().expect("total")),
        Some(3)
    );
    assert_eq!(table(&before).median, None, "nothing answered yet");
    // Asked again with nothing written: the same table (that it comes from the kept cube and
    // not from a new build is shown by the statement count of the single-flight test).
    let again = first
        .data_as(&world.staff.access_token, &query, by_status.clone())
        .await;
    assert_eq!(again, before);

    // The other server answers two cases and refers a fourth; an operator's SQL moves the
    // third case's referral back a year (its month changes).
    answer(&second, &world, ids[0], true).await;
    answer(&second, &world, ids[1], false).await;
    case(&second, &world, "TRAFFICKING_LABOUR", "SUGHD", false).await;
    let mut row = referral_case::Entity::find_by_id(ids[2])
        .one(&first.db)
        .await
        .expect("read case")
        .expect("the case")
        .into_active_model();
    let referred = row.referred_at.clone().unwrap().expect("referred");
    row.referred_at = Set(Some(referred - Duration::days(365)));
    row.update(&first.db).await.expect("move the referral");

    let after = first
        .data_as(&world.staff.access_token, &query, by_status.clone())
        .await;
    let by_month = json!({ "rows": "MONTH", "columns": null });
    let months_after = first
        .data_as(&world.staff.access_token, &query, by_month.clone())
        .await;
    assert_eq!(
        table(&after)
            .grid
            .last()
            .and_then(|t| *t.last().expect("total")),
        Some(4)
    );
    assert!(
        table(&after).median.is_some(),
        "two answers publish the median at threshold 2: {after:#}"
    );
    assert!(
        table(&months_after).row_keys.len() >= 12,
        "the months reach back a year: {:?}",
        table(&months_after).row_keys
    );
    // Exactly what a server that never kept a cube answers.
    let fresh = first.another_server().await;
    for (variables, seen) in [(by_status, after), (by_month, months_after)] {
        assert_eq!(
            fresh
                .data_as(&world.staff.access_token, &query, variables)
                .await,
            seen
        );
    }
}

#[tokio::test]
async fn requests_that_find_no_current_cube_wait_for_one_build_instead_of_each_making_one() {
    let app = spawn_app().await;
    let world = case_world(&app).await;
    for region in ["KHATLON", "SUGHD", "DUSHANBE"] {
        case(&app, &world, "DOMESTIC_VIOLENCE", region, false).await;
    }
    let query = case_statistics_query();
    let variables = json!({ "rows": "KIND", "columns": "STATUS" });
    let token = world.staff.access_token.as_str();
    let spent = |server: &TestApp| server.statements.get();

    // What a request costs on a server that has not built the cube, and once it has.
    let probe = app.another_server().await;
    let before = spent(&probe);
    let first = probe.data_as(token, &query, variables.clone()).await;
    let cold = spent(&probe) - before;
    let before = spent(&probe);
    probe.data_as(token, &query, variables.clone()).await;
    let warm = spent(&probe) - before;
    assert!(
        cold > warm,
        "a build reads the cases: cold {cold}, warm {warm}"
    );

    // Eight at once on a new server: one builds, seven wait and take its cube.
    let fresh = app.another_server().await;
    let before = spent(&fresh);
    let answers = futures_util::future::join_all(
        (0..8).map(|_| fresh.data_as(token, &query, variables.clone())),
    )
    .await;
    let together = spent(&fresh) - before;
    assert!(
        together <= cold + 7 * warm,
        "eight requests cost {together} statements: more than one build ({cold}) and seven \
         readers of the built cube ({warm} each)"
    );
    assert!(answers.iter().all(|answer| *answer == first));
}
