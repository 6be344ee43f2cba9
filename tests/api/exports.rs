//! CSV downloads: who may download, what each file holds (checked against the API and the
//! rows behind it), streaming across pages, formula-safe cells and the audit trail.

use std::collections::{BTreeMap, BTreeSet};

use entity::{audit_entry, enums::Role, event};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp,
    fixtures::{self, NewCentre, NewEvent},
    spawn_app, spawn_app_with_demo,
};
use crate::statistics::{
    Published, SeenEvent, SeenLine, all_events, all_report_lines, case_statistics_query,
    people_served_query, published, read,
};

const DOWNLOADS: [&str; 7] = [
    "/exports/events.csv",
    "/exports/centre-reports.csv",
    "/exports/statistics/events.csv?rows=REGION",
    "/exports/statistics/people-served.csv?rows=SERVICE",
    "/exports/statistics/cases.csv?rows=KIND&columns=STATUS",
    "/exports/indicators.csv",
    "/exports/indicator-results.csv",
];

const EVENT_COLUMNS: [&str; 15] = [
    "id",
    "title",
    "kind",
    "starts_on",
    "ends_on",
    "region",
    "district",
    "venue",
    "organiser_id",
    "organiser",
    "project_id",
    "participants_female",
    "participants_male",
    "participants_undisclosed",
    "published",
];

const REPORT_COLUMNS: [&str; 9] = [
    "report_id",
    "centre_id",
    "centre",
    "month",
    "revision",
    "service",
    "female",
    "male",
    "total",
];

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

/// A CSV file: its header and records, once it has been checked to start with a byte-order
/// mark and to be served as CSV.
struct Csv {
    header: Vec<String>,
    records: Vec<Vec<String>>,
}

impl Csv {
    fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|column| column == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }
}

async fn download(app: &TestApp, path: &str, token: &str) -> Csv {
    let response = get(app, path, Some(token)).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8"),
        "{path}"
    );
    let body = response.text().await.expect("body");
    let body = body
        .strip_prefix('\u{feff}')
        .unwrap_or_else(|| panic!("{path} starts with a byte-order mark"));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader
        .records()
        .map(|record| {
            record
                .expect("a CSV record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    Csv { header, records }
}

/// Asserts an error answer: `status`, JSON with `code` and a request id; its first error.
async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON error");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], code, "{body:#}");
    assert!(
        error["extensions"]["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{body:#}"
    );
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error.clone()
}

fn error_field(error: &Value) -> &str {
    error["extensions"]["fields"][0]["field"]
        .as_str()
        .unwrap_or("<none>")
}

#[tokio::test]
async fn downloads_need_a_valid_token_and_known_parameters() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;

    for path in DOWNLOADS {
        assert_error(get(&app, path, None).await, 401, "UNAUTHENTICATED").await;
        assert_error(
            get(&app, path, Some("not-a-token")).await,
            401,
            "UNAUTHENTICATED",
        )
        .await;
        let forged = format!("{}.{}", staff.access_token, "x");
        assert_error(get(&app, path, Some(&forged)).await, 401, "UNAUTHENTICATED").await;
        let separator = if path.contains('?') { '&' } else { '?' };
        let unknown = format!("{path}{separator}colour=red");
        let error = assert_error(
            get(&app, &unknown, Some(&staff.access_token)).await,
            400,
            "BAD_USER_INPUT",
        )
        .await;
        assert_eq!(error_field(&error), "query", "{unknown}");
    }

    // Parameters that exist but do not apply, bad values, a missing or unknown dimension.
    for (path, field) in [
        (
            "/exports/events.csv?centreId=0190c000-0000-7000-8000-000000000000",
            "centreId",
        ),
        ("/exports/centre-reports.csv?region=KHATLON", "region"),
        ("/exports/events.csv?rows=REGION", "rows"),
        (
            "/exports/statistics/cases.csv?rows=KIND&thematicArea=YOUTH",
            "thematicArea",
        ),
        ("/exports/statistics/events.csv", "rows"),
        ("/exports/statistics/events.csv?rows=COLOUR", "rows"),
        (
            "/exports/statistics/people-served.csv?rows=SEX&columns=SEX",
            "columns",
        ),
        ("/exports/events.csv?from=2025-06-01&to=2025-05-01", "from"),
        ("/exports/events.csv?region=ATLANTIS", "query"),
    ] {
        let error = assert_error(
            get(&app, path, Some(&staff.access_token)).await,
            400,
            "BAD_USER_INPUT",
        )
        .await;
        assert_eq!(error_field(&error), field, "{path}");
    }
}

fn assert_event_record(csv: &Csv, record: &[String], event: &SeenEvent) {
    let at = |name: &str| record[csv.column(name)].as_str();
    assert_eq!(at("kind"), event.kind, "{record:?}");
    assert_eq!(at("region"), event.region, "{record:?}");
    assert_eq!(at("starts_on"), event.starts_on.to_string(), "{record:?}");
    assert_eq!(at("organiser_id"), event.organiser, "{record:?}");
    assert_eq!(at("published"), event.published.to_string(), "{record:?}");
    assert_eq!(
        [
            at("participants_female"),
            at("participants_male"),
            at("participants_undisclosed")
        ],
        [
            event.female.to_string(),
            event.male.to_string(),
            event.undisclosed.to_string()
        ],
        "{record:?}"
    );
}

#[tokio::test]
async fn the_events_file_holds_exactly_the_events_its_reader_may_see() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let (staff_events, staff_count) = all_events(&app, Some(&staff.access_token)).await;
    // A partner whose organisation organised an unpublished event: it sees more than the
    // public, less than staff.
    let organiser = staff_events
        .iter()
        .find(|event| !event.published)
        .map(|event| event.organiser.clone())
        .expect("the demo has an unpublished event");
    let partner = app
        .user(Role::Partner, Some(organiser.parse().expect("a uuid")))
        .await;
    let (partner_events, partner_count) = all_events(&app, Some(&partner.access_token)).await;
    let (public_events, _) = all_events(&app, None).await;
    assert!(public_events.len() < partner_events.len());
    assert!(partner_events.len() < staff_events.len());

    for (token, events, count) in [
        (&staff.access_token, &staff_events, staff_count),
        (&partner.access_token, &partner_events, partner_count),
    ] {
        let csv = download(&app, "/exports/events.csv", token).await;
        assert_eq!(csv.header, EVENT_COLUMNS);
        assert_eq!(
            csv.records.len(),
            usize::try_from(count).expect("count"),
            "one line per event"
        );
        let by_id: BTreeMap<&str, &SeenEvent> = events.iter().map(|e| (e.id.as_str(), e)).collect();
        let mut ids = BTreeSet::new();
        for record in &csv.records {
            let id = record[csv.column("id")].as_str();
            assert!(ids.insert(id.to_owned()), "{id} once");
            let event = by_id
                .get(id)
                .unwrap_or_else(|| panic!("{id} is an event the reader may see"));
            assert_event_record(&csv, record, event);
        }
        assert_eq!(ids.len(), events.len());
    }
    assert_error(
        get(&app, "/exports/events.csv", None).await,
        401,
        "UNAUTHENTICATED",
    )
    .await;
}

/// People served by service and sex, summed from report lines.
fn sums_by_service_and_sex<'a>(
    lines: impl IntoIterator<Item = (&'a str, i64, i64)>,
) -> BTreeMap<(String, &'static str), i64> {
    let mut sums = BTreeMap::new();
    for (service, female, male) in lines {
        *sums.entry((service.to_owned(), "FEMALE")).or_default() += female;
        *sums.entry((service.to_owned(), "MALE")).or_default() += male;
    }
    sums
}

fn csv_lines_of(csv: &Csv) -> Vec<(&str, i64, i64)> {
    let number = |record: &Vec<String>, name: &str| -> i64 {
        record[csv.column(name)].parse().expect("a count")
    };
    csv.records
        .iter()
        .map(|record| {
            let (female, male) = (number(record, "female"), number(record, "male"));
            assert_eq!(number(record, "total"), female + male, "{record:?}");
            (record[csv.column("service")].as_str(), female, male)
        })
        .collect()
}

fn graphql_lines_of(lines: &[SeenLine]) -> Vec<(&str, i64, i64)> {
    lines
        .iter()
        .map(|line| (line.service.as_str(), line.female, line.male))
        .collect()
}

/// Every published inner entry of a SERVICE × SEX table equals `sums`.
fn assert_table_agrees(table: &Published, sums: &BTreeMap<(String, &'static str), i64>) {
    assert_eq!(table.columns, ["FEMALE", "MALE"]);
    for (row, service) in table.row_keys.iter().enumerate() {
        for (column, sex) in ["FEMALE", "MALE"].into_iter().enumerate() {
            if let Some(value) = table.grid[row][column] {
                let expected = sums.get(&(service.clone(), sex)).copied().unwrap_or(0);
                assert_eq!(value, expected, "{service} {sex}");
            }
        }
    }
}

#[tokio::test]
async fn the_centre_reports_file_holds_the_lines_its_reader_may_see() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let lines = all_report_lines(&app, &staff.access_token).await;
    let operator = lines[0].operator.clone();
    let partner = app
        .user(Role::Partner, Some(operator.parse().expect("a uuid")))
        .await;
    let query = people_served_query();

    // Staff: every line, summing to the people served.
    let csv = download(&app, "/exports/centre-reports.csv", &staff.access_token).await;
    assert_eq!(csv.header, REPORT_COLUMNS);
    assert_eq!(csv.records.len(), lines.len(), "one record per report line");
    let sums = sums_by_service_and_sex(csv_lines_of(&csv));
    assert_eq!(sums, sums_by_service_and_sex(graphql_lines_of(&lines)));
    let data = app
        .data_as(
            &staff.access_token,
            &query,
            json!({ "rows": "SERVICE", "columns": "SEX" }),
        )
        .await;
    assert_table_agrees(&published(&data["peopleServedStatistics"]), &sums);

    // A partner: its centres' lines only, and they are its exact statistics.
    let own: Vec<SeenLine> = lines
        .iter()
        .filter(|line| line.operator == operator)
        .cloned()
        .collect();
    let own_centres: BTreeSet<&str> = own.iter().map(|line| line.centre.as_str()).collect();
    let csv = download(&app, "/exports/centre-reports.csv", &partner.access_token).await;
    assert_eq!(csv.records.len(), own.len());
    assert!(
        csv.records
            .iter()
            .all(|record| own_centres.contains(record[csv.column("centre_id")].as_str()))
    );
    let own_sums = sums_by_service_and_sex(csv_lines_of(&csv));
    assert_eq!(own_sums, sums_by_service_and_sex(graphql_lines_of(&own)));
    let data = app
        .data_as(
            &partner.access_token,
            &query,
            json!({ "rows": "SERVICE", "columns": "SEX", "filter": { "organisationId": operator } }),
        )
        .await;
    let exact = published(&data["peopleServedStatistics"]);
    assert_eq!(exact.threshold, None);
    assert!(exact.grid.iter().flatten().all(Option::is_some));
    assert_table_agrees(&exact, &own_sums);
}

/// A statistics table as its CSV should read: key, columns, TOTAL (and the median for cases);
/// then the column totals.
fn expected_table_csv(table: &Value, with_median: bool) -> Vec<Vec<String>> {
    let cell = |cell: &Value| {
        cell["value"]
            .as_i64()
            .map_or_else(|| "suppressed".to_owned(), |v| v.to_string())
    };
    let median = |value: &Value| value.as_f64().map(|v| v.to_string()).unwrap_or_default();
    let mut lines = Vec::new();
    for row in table["rows"].as_array().expect("rows") {
        let mut line = vec![row["key"].as_str().expect("key").to_owned()];
        line.extend(row["cells"].as_array().expect("cells").iter().map(cell));
        line.push(cell(&row["total"]));
        if with_median {
            line.push(median(&row["medianHoursToFirstAnswer"]));
        }
        lines.push(line);
    }
    let mut totals = vec!["TOTAL".to_owned()];
    totals.extend(
        table["columnTotals"]
            .as_array()
            .expect("totals")
            .iter()
            .map(cell),
    );
    totals.push(cell(&table["total"]));
    if with_median {
        totals.push(median(&table["medianHoursToFirstAnswer"]));
    }
    lines.push(totals);
    lines
}

fn table_header(table: &Value, with_median: bool) -> Vec<String> {
    let mut header = vec!["key".to_owned()];
    header.extend(
        table["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| c.as_str().expect("column").to_owned()),
    );
    header.push("TOTAL".to_owned());
    if with_median {
        header.push("median_hours_to_first_answer".to_owned());
    }
    header
}

#[tokio::test]
async fn statistics_files_agree_cell_by_cell_with_the_api() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let lines = all_report_lines(&app, &staff.access_token).await;
    let operator = lines[0].operator.clone();
    let partner = app
        .user(Role::Partner, Some(operator.parse().expect("a uuid")))
        .await;
    let people = people_served_query();

    for (token, filter, parameters) in [
        (&staff.access_token, json!(null), String::new()),
        (
            &partner.access_token,
            json!({ "organisationId": operator }),
            format!("&organisationId={operator}"),
        ),
        (
            &partner.access_token,
            json!({ "region": "SUGHD", "from": "2026-02-01" }),
            "&region=SUGHD&from=2026-02-01".to_owned(),
        ),
    ] {
        for (columns, parameter) in [
            (json!("SEX"), ""),
            (json!(null), "&columns=ALL"),
            (json!("REGION"), "&columns=REGION"),
        ] {
            let data = app
                .data_as(
                    token,
                    &people,
                    json!({ "rows": "SERVICE", "columns": columns, "filter": filter }),
                )
                .await;
            let table = &data["peopleServedStatistics"];
            let path = format!(
                "/exports/statistics/people-served.csv?rows=SERVICE{parameter}{parameters}"
            );
            let csv = download(&app, &path, token).await;
            assert_eq!(csv.header, table_header(table, false), "{path}");
            assert_eq!(csv.records, expected_table_csv(table, false), "{path}");
        }
    }
    let exact = download(
        &app,
        &format!("/exports/statistics/people-served.csv?rows=SERVICE&organisationId={operator}"),
        &partner.access_token,
    )
    .await;
    assert!(
        exact
            .records
            .iter()
            .flatten()
            .all(|cell| cell != "suppressed")
    );
    let suppressed = download(
        &app,
        &format!(
            "/exports/statistics/people-served.csv?rows=MONTH&columns=SERVICE&centreId={}",
            lines[0].centre
        ),
        &staff.access_token,
    )
    .await;
    assert!(
        suppressed
            .records
            .iter()
            .flatten()
            .any(|cell| cell == "suppressed"),
        "one centre has small counts"
    );

    // Event figures by region.
    for token in [&staff.access_token, &partner.access_token] {
        let data = read(
            &app,
            Some(token),
            "query { eventStatistics(rows: REGION) { rows { key events participantsFemale participantsMale participantsUndisclosed participants } total { key events participantsFemale participantsMale participantsUndisclosed participants } } }",
            json!({}),
        )
        .await;
        let statistics = &data["eventStatistics"];
        let csv = download(&app, "/exports/statistics/events.csv?rows=REGION", token).await;
        assert_eq!(
            csv.header,
            [
                "key",
                "events",
                "participants_female",
                "participants_male",
                "participants_undisclosed",
                "participants"
            ]
        );
        let expected: Vec<Vec<String>> = statistics["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .chain([&statistics["total"]])
            .map(|row| {
                let mut line = vec![row["key"].as_str().expect("key").to_owned()];
                line.extend(
                    [
                        "events",
                        "participantsFemale",
                        "participantsMale",
                        "participantsUndisclosed",
                        "participants",
                    ]
                    .map(|field| row[field].to_string()),
                );
                line
            })
            .collect();
        assert_eq!(csv.records, expected);
        assert!(expected.iter().any(|line| line[1] != "0"));
    }

    // Cases (none in the demo: a table of zeros, all hidden).
    let data = app
        .data_as(
            &staff.access_token,
            &case_statistics_query(),
            json!({ "rows": "KIND", "columns": "STATUS" }),
        )
        .await;
    let table = &data["caseStatistics"];
    let csv = download(
        &app,
        "/exports/statistics/cases.csv?rows=KIND&columns=STATUS",
        &staff.access_token,
    )
    .await;
    assert_eq!(csv.header, table_header(table, true));
    assert_eq!(csv.records, expected_table_csv(table, true));
}

// ---------------------------------------------------------------------------------------------
// 6. Streaming, formulas, the audit trail.

#[tokio::test]
async fn a_large_events_file_streams_every_event_once_in_date_order() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let organiser = fixtures::organisation(&app.db, "Busy NGO").await;
    // More than two pages of 500, with three events a day.
    let inserted = fixtures::events_in_bulk(&app.db, organiser.id, "2024-01-01", 1_201).await;

    let csv = download(&app, "/exports/events.csv", &staff.access_token).await;

    assert_eq!(csv.records.len(), inserted.len());
    let ids: Vec<&str> = csv
        .records
        .iter()
        .map(|record| record[csv.column("id")].as_str())
        .collect();
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "no event twice");
    let expected: BTreeSet<String> = inserted.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(
        distinct,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    let starts: Vec<&str> = csv
        .records
        .iter()
        .map(|record| record[csv.column("starts_on")].as_str())
        .collect();
    assert!(
        starts.windows(2).all(|pair| pair[0] <= pair[1]),
        "in start-date order"
    );
    // Same-day events in a stable order: a second download is identical.
    let again = download(&app, "/exports/events.csv", &staff.access_token).await;
    assert_eq!(again.records, csv.records);
}

#[tokio::test]
async fn cells_that_a_spreadsheet_would_run_as_formulas_are_defused() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let organiser = fixtures::organisation(&app.db, "@Evil, \"Inc\"").await;
    let title = "=HYPERLINK(\"http://evil.example\",\"Click\")";
    let mut venues = Vec::new();
    for (index, venue) in ["+992 37 000 00 00", "@SUM(A1:A9)", "-1+1", "Plain hall"]
        .into_iter()
        .enumerate()
    {
        let row = fixtures::event(
            &app.db,
            NewEvent {
                title,
                organiser_id: organiser.id,
                starts: &format!("2025-03-0{}", index + 1),
                ..NewEvent::default()
            },
        )
        .await;
        let mut row: event::ActiveModel = row.into_active_model();
        row.venue = Set(Some(venue.to_owned()));
        row.update(&app.db).await.expect("set the venue");
        venues.push(venue);
    }
    let centre = fixtures::centre(
        &app.db,
        NewCentre {
            name: "=1+1 Centre",
            operator_id: organiser.id,
            ..NewCentre::default()
        },
    )
    .await;
    let operator = app.user(Role::Partner, Some(organiser.id)).await;
    app.data_as(
        &operator.access_token,
        "mutation($centre: ID!) { submitCentreReport(centreId: $centre, month: \"2025-03-01\", lines: [{ service: LEGAL_CONSULTATION, female: 7, male: 1 }]) { id } }",
        json!({ "centre": centre.id.to_string() }),
    )
    .await;

    let csv = download(&app, "/exports/events.csv", &staff.access_token).await;

    assert_eq!(csv.records.len(), 4);
    for (record, venue) in csv.records.iter().zip(&venues) {
        assert_eq!(record[csv.column("title")], format!("'{title}"));
        assert_eq!(record[csv.column("organiser")], "'@Evil, \"Inc\"");
        let expected = if venue.starts_with(['+', '@', '-']) {
            format!("'{venue}")
        } else {
            (*venue).to_owned()
        };
        assert_eq!(record[csv.column("venue")], expected);
    }
    let reports = download(&app, "/exports/centre-reports.csv", &staff.access_token).await;
    assert_eq!(reports.records.len(), 1);
    assert_eq!(reports.records[0][reports.column("centre")], "'=1+1 Centre");
}

#[tokio::test]
async fn every_download_is_recorded_in_the_audit_log() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;

    for path in DOWNLOADS {
        download(&app, path, &staff.access_token).await;
    }
    download(
        &app,
        "/exports/events.csv?region=KHATLON&from=2025-01-01",
        &staff.access_token,
    )
    .await;
    // Refused downloads are answered before anything is read.
    get(
        &app,
        "/exports/events.csv?colour=red",
        Some(&staff.access_token),
    )
    .await;

    let mut entries: Vec<audit_entry::Model> = audit_entry::Entity::find()
        .all(&app.db)
        .await
        .expect("audit entries")
        .into_iter()
        .filter(|entry| entry.action.starts_with("export."))
        .collect();
    entries.sort_by_key(|entry| (entry.at, entry.id));
    let actions: Vec<&str> = entries.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "export.events",
            "export.centre_reports",
            "export.event_statistics",
            "export.people_served_statistics",
            "export.case_statistics",
            "export.indicators",
            "export.indicator_results",
            "export.events",
        ]
    );
    for entry in &entries {
        assert_eq!(entry.actor_account_id, Some(staff.account.id));
        assert_eq!(entry.actor_role, Some(Role::Staff));
        assert!(entry.request_id.as_deref().is_some_and(|id| !id.is_empty()));
    }
    let detail = |index: usize| entries[index].detail.clone().unwrap_or_default();
    assert_eq!(detail(2)["rows"], "REGION");
    assert_eq!(detail(4)["columns"], "STATUS");
    assert_eq!(detail(7)["region"], "KHATLON");
    assert_eq!(detail(7)["from"], "2025-01-01");
}

#[tokio::test]
async fn indicators_and_their_results_download_as_the_api_shows_them() {
    use entity::enums::PartnerRole;

    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let ghamkhori = fixtures::organisation(&app.db, "Ghamkhori").await;
    let oriyon = fixtures::organisation(&app.db, "Oriyon").await;
    let project = fixtures::project(
        &app.db,
        fixtures::NewProject {
            code: "PO-2025-GE-07",
            partners: &[(ghamkhori.id, PartnerRole::Implementing)],
            ..fixtures::NewProject::default()
        },
    )
    .await;
    let partner = app.user(Role::Partner, Some(ghamkhori.id)).await;
    let outsider = app.user(Role::Partner, Some(oriyon.id)).await;
    let created = app
        .data_as(
            &staff.access_token,
            "mutation($project: ID!) { createIndicator(input: { projectId: $project, \
             title: { en: \"Women reached by the centres\", ru: \"Женщины, получившие помощь\" }, \
             measure: NUMBER, disaggregatedBySex: true, baseline: { value: 100, date: \"2023-12-31\" } }) { id } }",
            json!({ "project": project.id.to_string() }),
        )
        .await;
    let id = created["createIndicator"]["id"].clone();
    for (year, target) in [(2025, 300), (2026, 400)] {
        app.data_as(
            &staff.access_token,
            "mutation($id: ID!, $year: Int!, $target: Float!) { setIndicatorTarget(indicatorId: $id, year: $year, target: $target) { id } }",
            json!({ "id": id, "year": year, "target": target }),
        )
        .await;
    }
    app.data_as(
        &partner.access_token,
        "mutation($id: ID!) { reportIndicatorResult(input: { indicatorId: $id, year: 2025, \
         value: 260, female: 250, male: 10, comment: \"=SUM(A1)\" }) { id } }",
        json!({ "id": id }),
    )
    .await;

    let indicators = download(&app, "/exports/indicators.csv", &staff.access_token).await;
    assert_eq!(indicators.records.len(), 1);
    let row = &indicators.records[0];
    assert_eq!(row[indicators.column("project_code")], "PO-2025-GE-07");
    assert_eq!(
        row[indicators.column("title")],
        "Women reached by the centres"
    );
    assert_eq!(row[indicators.column("disaggregated_by_sex")], "true");
    assert_eq!(row[indicators.column("baseline_value")], "100");

    // The project's partner reads the pending result; the comment cannot run as a formula.
    let results = download(
        &app,
        "/exports/indicator-results.csv",
        &partner.access_token,
    )
    .await;
    let cells = |csv: &Csv, line: usize, columns: &[&str]| -> Vec<String> {
        columns
            .iter()
            .map(|column| csv.records[line][csv.column(column)].clone())
            .collect()
    };
    let columns = [
        "period",
        "target",
        "actual",
        "actual_female",
        "actual_male",
        "comment",
        "approved",
        "progress",
        "status",
    ];
    assert_eq!(
        cells(&results, 0, &columns),
        [
            "2025",
            "300",
            "260",
            "250",
            "10",
            "'=SUM(A1)",
            "false",
            "0.8",
            "ON_TRACK"
        ]
    );
    assert_eq!(
        cells(&results, 1, &columns),
        ["2026", "400", "", "", "", "", "false", "", "NOT_DUE"]
    );
    // A partner outside the project reads the targets only, as the API shows it.
    let outside = download(
        &app,
        "/exports/indicator-results.csv",
        &outsider.access_token,
    )
    .await;
    assert_eq!(
        cells(&outside, 0, &columns),
        ["2025", "300", "", "", "", "", "false", "", "MISSING"]
    );
    // One project's results only.
    let other = download(
        &app,
        &format!(
            "/exports/indicator-results.csv?projectId={}",
            uuid::Uuid::now_v7()
        ),
        &staff.access_token,
    )
    .await;
    assert!(other.records.is_empty());
}
