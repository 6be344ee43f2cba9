//! The results framework: indicators of projects, their targets and results period by period,
//! corrections and approval, progress, and who may do and read what.

use entity::enums::{PartnerRole, Role, ThematicArea, Visibility};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp,
    accounts::User,
    error_codes, error_fields,
    fixtures::{self, NewProject},
    spawn_app,
};

const CREATE: &str = r"
mutation($input: CreateIndicatorInput!) {
  createIndicator(input: $input) { id title measure ascending periodicity baseline { value date } }
}";

const TARGET: &str = r"
mutation($id: ID!, $year: Int!, $quarter: Int, $target: Float) {
  setIndicatorTarget(indicatorId: $id, year: $year, quarter: $quarter, target: $target) { id }
}";

const REPORT: &str = r"
mutation($input: ReportIndicatorResultInput!) {
  reportIndicatorResult(input: $input) {
    id year quarter target actual actualFemale actualMale comment revision approved progress status
    revisions { revision actual comment }
  }
}";

const APPROVE: &str = r"
mutation($id: ID!, $revision: Int) {
  approveIndicatorResult(periodId: $id, revision: $revision) { id approved revision actual }
}";

const REOPEN: &str = r"
mutation($id: ID!, $reason: String!) {
  reopenIndicatorResult(periodId: $id, reason: $reason) { id approved }
}";

const INDICATOR: &str = r"
query($id: ID!) {
  indicator(id: $id) {
    id title
    periods {
      id year quarter target actual actualFemale actualMale comment revision approved
      reportedById progress status revisions { revision actual }
    }
  }
}";

/// A public and an internal project of the Programme Office, each with Gulrukhsor accountable
/// and Ghamkhori implementing; Oriyon is a partner of neither.
struct World {
    public: entity::project::Model,
    internal: entity::project::Model,
    staff: User,
    accountable: User,
    implementing: User,
    outsider: User,
}

async fn world(app: &TestApp) -> World {
    let gulrukhsor = fixtures::organisation(&app.db, "Gulrukhsor").await;
    let ghamkhori = fixtures::organisation(&app.db, "Ghamkhori").await;
    let oriyon = fixtures::organisation(&app.db, "Oriyon").await;
    let partners = [
        (gulrukhsor.id, PartnerRole::Accountable),
        (ghamkhori.id, PartnerRole::Implementing),
    ];
    let public = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2024-GE-01",
            partners: &partners,
            areas: &[ThematicArea::GenderEquality, ThematicArea::DomesticViolence],
            ..NewProject::default()
        },
    )
    .await;
    let internal = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2024-BM-02",
            visibility: Visibility::Internal,
            partners: &partners,
            areas: &[ThematicArea::BorderManagement],
            ..NewProject::default()
        },
    )
    .await;
    World {
        public,
        internal,
        staff: app.user(Role::Staff, None).await,
        accountable: app.user(Role::Partner, Some(gulrukhsor.id)).await,
        implementing: app.user(Role::Partner, Some(ghamkhori.id)).await,
        outsider: app.user(Role::Partner, Some(oriyon.id)).await,
    }
}

fn id_of(response: &Value, field: &str) -> String {
    response["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {field}: {response:#}"))
        .to_owned()
}

/// Creates an indicator of `project` as `user` with `extra` input fields, checking it worked.
async fn indicator(app: &TestApp, user: &User, project: Uuid, extra: Value) -> String {
    let mut input = json!({
        "projectId": project.to_string(),
        "title": { "en": "Women trained as trainers", "ru": "Женщины, обученные как тренеры" },
        "measure": "NUMBER",
    });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    let response = app
        .graphql_as(&user.access_token, CREATE, json!({ "input": input }))
        .await;
    id_of(&response, "createIndicator")
}

async fn target(app: &TestApp, user: &User, id: &str, year: i32, value: f64) -> Value {
    app.graphql_as(
        &user.access_token,
        TARGET,
        json!({ "id": id, "year": year, "target": value }),
    )
    .await
}

async fn report(app: &TestApp, user: &User, id: &str, year: i32, input: Value) -> Value {
    let mut full = json!({ "indicatorId": id, "year": year });
    if let (Some(full), Some(input)) = (full.as_object_mut(), input.as_object()) {
        full.extend(input.clone());
    }
    app.graphql_as(&user.access_token, REPORT, json!({ "input": full }))
        .await
}

fn ok(response: &Value) -> &Value {
    assert!(response.get("errors").is_none(), "{response:#}");
    &response["data"]
}

/// The periods of indicator `id` as `token` reads them (anonymous without).
async fn periods(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    let variables = json!({ "id": id });
    let response = match token {
        Some(token) => app.graphql_as(token, INDICATOR, variables).await,
        None => app.graphql(INDICATOR, variables).await,
    };
    ok(&response)["indicator"]["periods"].clone()
}

#[tokio::test]
async fn the_programme_office_and_the_accountable_partner_define_indicators_and_no_one_else() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let input = |project: Uuid| {
        json!({ "input": {
            "projectId": project.to_string(),
            "title": { "en": "Police officers trained" },
            "measure": "NUMBER",
        } })
    };

    let anonymous = app.graphql(CREATE, input(world.public.id)).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for user in [&world.implementing, &world.outsider] {
        let refused = app
            .graphql_as(&user.access_token, CREATE, input(world.public.id))
            .await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused:#}");
    }
    // An internal project is not even there for a partner outside it.
    let hidden = app
        .graphql_as(
            &world.outsider.access_token,
            CREATE,
            input(world.internal.id),
        )
        .await;
    assert_eq!(error_codes(&hidden), ["NOT_FOUND"]);

    for (user, project) in [
        (&world.staff, world.public.id),
        (&world.accountable, world.public.id),
        (&world.accountable, world.internal.id),
    ] {
        let created = app
            .graphql_as(&user.access_token, CREATE, input(project))
            .await;
        let created = &ok(&created)["createIndicator"];
        assert_eq!(created["title"], "Police officers trained");
        assert_eq!(created["ascending"], true, "more is better unless said");
        assert_eq!(created["periodicity"], "ANNUAL");
        let id: Uuid = created["id"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap_or_default();
        let entries = app.audit_of(id).await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action, "indicator.create");
    }

    // Targets: the same rights.
    let id = indicator(&app, &world.staff, world.public.id, json!({})).await;
    for user in [&world.implementing, &world.outsider] {
        let refused = target(&app, user, &id, 2025, 100.0).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
    }
    ok(&target(&app, &world.accountable, &id, 2025, 100.0).await);
    ok(&target(&app, &world.staff, &id, 2026, 120.0).await);
}

#[tokio::test]
async fn indicators_are_checked_before_they_are_stored() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let create = |input: Value| {
        let mut full = json!({
            "projectId": world.public.id.to_string(),
            "title": { "en": "An indicator" },
            "measure": "NUMBER",
        });
        if let (Some(full), Some(input)) = (full.as_object_mut(), input.as_object()) {
            full.extend(input.clone());
        }
        app.graphql_as(&world.staff.access_token, CREATE, json!({ "input": full }))
    };

    let no_title = create(json!({ "title": { "en": "  " } })).await;
    assert_eq!(error_fields(&no_title), ["input.title"]);
    let descending = create(json!({ "ascending": false })).await;
    assert_eq!(error_fields(&descending), ["input.baseline"]);
    let percentage = create(json!({
        "measure": "PERCENTAGE",
        "baseline": { "value": 140.0, "date": "2023-12-31" },
    }))
    .await;
    assert_eq!(error_fields(&percentage), ["input.baseline.value"]);
    let yes_no_by_sex = create(json!({ "measure": "YES_NO", "disaggregatedBySex": true })).await;
    assert_eq!(error_fields(&yes_no_by_sex), ["input.disaggregatedBySex"]);

    // A target lies on the better side of the baseline.
    let id = indicator(
        &app,
        &world.staff,
        world.public.id,
        json!({ "baseline": { "value": 50.0, "date": "2023-12-31" } }),
    )
    .await;
    let below = target(&app, &world.staff, &id, 2025, 40.0).await;
    assert_eq!(error_fields(&below), ["target"]);
    let quarter = app
        .graphql_as(
            &world.staff.access_token,
            TARGET,
            json!({ "id": id, "year": 2025, "quarter": 2, "target": 60.0 }),
        )
        .await;
    assert_eq!(error_fields(&quarter), ["quarter"], "an annual indicator");
}

#[tokio::test]
async fn partners_of_the_project_report_results_and_the_office_approves_them() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let id = indicator(
        &app,
        &world.staff,
        world.public.id,
        json!({ "disaggregatedBySex": true }),
    )
    .await;
    let figures =
        json!({ "value": 40.0, "female": 31.0, "male": 9.0, "comment": "Two ToT cycles" });

    let anonymous = app
        .graphql(
            REPORT,
            json!({ "input": { "indicatorId": id, "year": 2025, "value": 1.0 } }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for user in [&world.staff, &world.outsider] {
        let refused = report(&app, user, &id, 2025, figures.clone()).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused:#}");
    }

    // Any partner of the project reports, by sex for this indicator.
    let reported = report(&app, &world.implementing, &id, 2025, figures.clone()).await;
    let period = ok(&reported)["reportIndicatorResult"].clone();
    assert_eq!(period["actual"], 40.0);
    assert_eq!(
        (period["actualFemale"].clone(), period["actualMale"].clone()),
        (json!(31.0), json!(9.0))
    );
    assert_eq!(period["revision"], 1);
    assert_eq!(period["status"], "NO_TARGET");
    let period_id = period["id"].as_str().unwrap_or_default().to_owned();

    // The same figures again change nothing.
    let again = report(&app, &world.implementing, &id, 2025, figures.clone()).await;
    assert_eq!(ok(&again)["reportIndicatorResult"]["revision"], 1);

    // A correction keeps the replaced value.
    let corrected = report(
        &app,
        &world.accountable,
        &id,
        2025,
        json!({ "value": 42.0, "female": 33.0, "male": 9.0 }),
    )
    .await;
    let corrected = &ok(&corrected)["reportIndicatorResult"];
    assert_eq!(corrected["revision"], 2);
    assert_eq!(
        corrected["revisions"],
        json!([{ "revision": 1, "actual": 40.0, "comment": "Two ToT cycles" }])
    );
    let entries = app.audit_of(period_id.parse().unwrap_or_default()).await;
    let actions: Vec<&str> = entries.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(
        actions,
        ["indicator_result.report", "indicator_result.correct"]
    );

    // Only the Programme Office approves; an approval names the revision it read.
    let partner_approves = app
        .graphql_as(
            &world.accountable.access_token,
            APPROVE,
            json!({ "id": period_id }),
        )
        .await;
    assert_eq!(error_codes(&partner_approves), ["FORBIDDEN"]);
    let stale = app
        .graphql_as(
            &world.staff.access_token,
            APPROVE,
            json!({ "id": period_id, "revision": 1 }),
        )
        .await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    let approved = app
        .graphql_as(
            &world.staff.access_token,
            APPROVE,
            json!({ "id": period_id, "revision": 2 }),
        )
        .await;
    assert_eq!(ok(&approved)["approveIndicatorResult"]["approved"], true);
    let twice = app
        .graphql_as(
            &world.staff.access_token,
            APPROVE,
            json!({ "id": period_id }),
        )
        .await;
    assert_eq!(error_codes(&twice), ["CONFLICT"]);

    // Approval locks the period: its result and its target.
    let locked = report(&app, &world.implementing, &id, 2025, figures.clone()).await;
    assert_eq!(error_codes(&locked), ["CONFLICT"]);
    let locked_target = target(&app, &world.staff, &id, 2025, 50.0).await;
    assert_eq!(error_codes(&locked_target), ["CONFLICT"]);
    let delete = app
        .graphql_as(
            &world.staff.access_token,
            "mutation($id: ID!) { deleteIndicator(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&delete), ["CONFLICT"]);
    // Its baseline and direction too: the approved progress is measured from them.
    let rebased = app
        .graphql_as(
            &world.staff.access_token,
            "mutation($id: ID!) { updateIndicator(id: $id, input: { baseline: { value: 5, date: \"2024-12-31\" } }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&rebased), ["CONFLICT"]);

    // Reopening needs a reason, and then a correction is taken.
    let no_reason = app
        .graphql_as(
            &world.staff.access_token,
            REOPEN,
            json!({ "id": period_id, "reason": " " }),
        )
        .await;
    assert_eq!(error_fields(&no_reason), ["reason"]);
    let reopened = app
        .graphql_as(
            &world.staff.access_token,
            REOPEN,
            json!({ "id": period_id, "reason": "The female count double-counts one cycle" }),
        )
        .await;
    assert_eq!(ok(&reopened)["reopenIndicatorResult"]["approved"], false);
    let not_approved = app
        .graphql_as(
            &world.staff.access_token,
            REOPEN,
            json!({ "id": period_id, "reason": "again" }),
        )
        .await;
    assert_eq!(error_codes(&not_approved), ["CONFLICT"]);
    let third = report(
        &app,
        &world.implementing,
        &id,
        2025,
        json!({ "value": 38.0, "female": 29.0, "male": 9.0 }),
    )
    .await;
    assert_eq!(ok(&third)["reportIndicatorResult"]["revision"], 3);
}

#[tokio::test]
async fn results_are_checked_against_the_indicator() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let by_sex = indicator(
        &app,
        &world.staff,
        world.public.id,
        json!({ "disaggregatedBySex": true }),
    )
    .await;
    let share = indicator(
        &app,
        &world.staff,
        world.public.id,
        json!({ "measure": "PERCENTAGE" }),
    )
    .await;
    let user = &world.implementing;

    let missing_sex = report(&app, user, &by_sex, 2025, json!({ "value": 10.0 })).await;
    assert_eq!(error_fields(&missing_sex), ["input.female", "input.male"]);
    let too_many = report(
        &app,
        user,
        &by_sex,
        2025,
        json!({ "value": 10.0, "female": 8.0, "male": 5.0 }),
    )
    .await;
    assert_eq!(error_fields(&too_many), ["input.value"]);
    let over_100 = report(&app, user, &share, 2025, json!({ "value": 120.0 })).await;
    assert_eq!(error_fields(&over_100), ["input.value"]);
    let by_sex_refused = report(
        &app,
        user,
        &share,
        2025,
        json!({ "value": 20.0, "female": 10.0 }),
    )
    .await;
    assert_eq!(error_fields(&by_sex_refused), ["input.female"]);
    let future = report(&app, user, &share, 2099, json!({ "value": 20.0 })).await;
    assert_eq!(error_fields(&future), ["input.year"]);
    let long_comment = report(
        &app,
        user,
        &share,
        2025,
        json!({ "value": 20.0, "comment": "x".repeat(2_001) }),
    )
    .await;
    assert_eq!(error_fields(&long_comment), ["input.comment"]);
}

#[tokio::test]
async fn each_reader_reads_the_results_it_may() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let public = indicator(&app, &world.staff, world.public.id, json!({})).await;
    let internal = indicator(&app, &world.staff, world.internal.id, json!({})).await;
    ok(&target(&app, &world.staff, &public, 2025, 100.0).await);
    let reported = report(
        &app,
        &world.implementing,
        &public,
        2025,
        json!({ "value": 90.0, "comment": "Pending figures" }),
    )
    .await;
    let period_id = id_of(&reported, "reportIndicatorResult");

    // Pending: the project's partners and the office read it; the public and other partners
    // read the target only, as if nothing were reported.
    for token in [
        &world.staff.access_token,
        &world.accountable.access_token,
        &world.implementing.access_token,
    ] {
        let read = periods(&app, Some(token), &public).await;
        assert_eq!(read[0]["actual"], 90.0);
        assert_eq!(read[0]["status"], "ON_TRACK");
        assert!(read[0]["reportedById"].is_string());
    }
    for token in [None, Some(world.outsider.access_token.as_str())] {
        let read = periods(&app, token, &public).await;
        assert_eq!(read[0]["target"], 100.0);
        assert_eq!(read[0]["actual"], Value::Null);
        assert_eq!(read[0]["comment"], Value::Null);
        assert_eq!(read[0]["revision"], Value::Null);
        assert_eq!(read[0]["progress"], Value::Null);
        assert_eq!(
            read[0]["status"], "MISSING",
            "2025 is over and nothing is approved"
        );
        assert_eq!(read[0]["reportedById"], Value::Null);
    }

    // Approved: everyone who reads the project reads it, but only the project's partners and
    // the office read who reported it and its earlier revisions.
    let approved = app
        .graphql_as(
            &world.staff.access_token,
            APPROVE,
            json!({ "id": period_id }),
        )
        .await;
    ok(&approved);
    for token in [None, Some(world.outsider.access_token.as_str())] {
        let read = periods(&app, token, &public).await;
        assert_eq!(read[0]["actual"], 90.0);
        assert_eq!(read[0]["approved"], true);
        assert_eq!(read[0]["reportedById"], Value::Null);
        assert_eq!(read[0]["revisions"], json!([]));
    }

    // An internal project's indicators are not there for the public or outsiders.
    let query = json!({ "id": internal });
    let anonymous = app.graphql(INDICATOR, query.clone()).await;
    assert_eq!(error_codes(&anonymous), ["NOT_FOUND"]);
    let outsider = app
        .graphql_as(&world.outsider.access_token, INDICATOR, query.clone())
        .await;
    assert_eq!(error_codes(&outsider), ["NOT_FOUND"]);
    let partner = app
        .graphql_as(&world.implementing.access_token, INDICATOR, query)
        .await;
    ok(&partner);
    let approve_hidden = app
        .graphql_as(
            &world.outsider.access_token,
            APPROVE,
            json!({ "id": period_id }),
        )
        .await;
    assert_eq!(error_codes(&approve_hidden), ["FORBIDDEN"]);
}

#[tokio::test]
async fn progress_runs_from_the_baseline_to_the_target_in_either_direction() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let staff = &world.staff;
    let user = &world.implementing;
    // More is better, from 100 to 200.
    let up = indicator(
        &app,
        staff,
        world.public.id,
        json!({ "baseline": { "value": 100.0, "date": "2022-12-31" } }),
    )
    .await;
    // Less is better: a share of 40 % to bring down to 20 %.
    let down = indicator(
        &app,
        staff,
        world.public.id,
        json!({
            "measure": "PERCENTAGE",
            "ascending": false,
            "baseline": { "value": 40.0, "date": "2022-12-31" },
        }),
    )
    .await;
    // Keeping a level: target equal to the baseline.
    let level = indicator(
        &app,
        staff,
        world.public.id,
        json!({ "baseline": { "value": 10.0, "date": "2022-12-31" } }),
    )
    .await;
    for year in [2023, 2024, 2025] {
        ok(&target(&app, staff, &up, year, 200.0).await);
        ok(&target(&app, staff, &down, year, 20.0).await);
        ok(&target(&app, staff, &level, year, 10.0).await);
    }
    ok(&target(&app, staff, &up, 2099, 300.0).await);
    for (id, year, value) in [
        (&up, 2023, 180.0),  // 0.8: on track
        (&up, 2024, 250.0),  // 1.5: achieved
        (&down, 2023, 30.0), // 0.5: off track
        (&down, 2024, 15.0), // 1.25: achieved
        (&down, 2025, 45.0), // −0.25: worse than the baseline
        (&level, 2023, 10.0),
        (&level, 2024, 9.0), // below a level to keep
    ] {
        ok(&report(&app, user, id, year, json!({ "value": value })).await);
    }

    let summary = |periods: &Value| -> Vec<(i64, Value, Value)> {
        periods
            .as_array()
            .map(|periods| {
                periods
                    .iter()
                    .map(|period| {
                        (
                            period["year"].as_i64().unwrap_or_default(),
                            period["progress"].clone(),
                            period["status"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        summary(&periods(&app, Some(&world.staff.access_token), &up).await),
        [
            (2023, json!(0.8), json!("ON_TRACK")),
            (2024, json!(1.5), json!("ACHIEVED")),
            (2025, Value::Null, json!("MISSING")),
            (2099, Value::Null, json!("NOT_DUE")),
        ]
    );
    assert_eq!(
        summary(&periods(&app, Some(&world.staff.access_token), &down).await),
        [
            (2023, json!(0.5), json!("OFF_TRACK")),
            (2024, json!(1.25), json!("ACHIEVED")),
            (2025, json!(-0.25), json!("OFF_TRACK")),
        ]
    );
    assert_eq!(
        summary(&periods(&app, Some(&world.staff.access_token), &level).await),
        [
            (2023, json!(1.0), json!("ACHIEVED")),
            (2024, json!(0.0), json!("OFF_TRACK")),
            (2025, Value::Null, json!("MISSING")),
        ]
    );

    // Each indicator is judged by its latest assessed period: `up` by 2025 (missing: it counts
    // against; 2099 is not over), `down` by 2025 (off track), `level` by 2025 (missing). A
    // fourth indicator, whose latest period is achieved, is on track.
    let fourth = indicator(&app, staff, world.public.id, json!({})).await;
    ok(&target(&app, staff, &fourth, 2025, 10.0).await);
    ok(&report(&app, user, &fourth, 2025, json!({ "value": 12.0 })).await);
    // And a fifth without any target is not assessed.
    indicator(&app, staff, world.public.id, json!({})).await;
    let project = app
        .data_as(
            &world.staff.access_token,
            "query { projects(first: 10) { edges { node { code results { indicators assessed onTrack shareOnTrack } } } } }",
            json!({}),
        )
        .await;
    let results = project["projects"]["edges"]
        .as_array()
        .and_then(|edges| {
            edges
                .iter()
                .find(|edge| edge["node"]["code"] == "PO-2024-GE-01")
                .map(|edge| edge["node"]["results"].clone())
        })
        .unwrap_or_default();
    assert_eq!(
        results,
        json!({ "indicators": 5, "assessed": 4, "onTrack": 1, "shareOnTrack": 0.25 })
    );

    // Across projects: by thematic area (the project is in two).
    let groups = app
        .data_as(
            &world.staff.access_token,
            "{ resultsProgress(by: THEMATIC_AREA) { thematicArea projects indicators assessed onTrack shareOnTrack } }",
            json!({}),
        )
        .await;
    assert_eq!(
        groups["resultsProgress"],
        json!([
            { "thematicArea": "DOMESTIC_VIOLENCE", "projects": 1, "indicators": 5, "assessed": 4, "onTrack": 1, "shareOnTrack": 0.25 },
            { "thematicArea": "GENDER_EQUALITY", "projects": 1, "indicators": 5, "assessed": 4, "onTrack": 1, "shareOnTrack": 0.25 },
        ])
    );
    // The public reads approved results only: nothing is approved, every assessed period is
    // missing for it.
    let public = app
        .data(
            "{ resultsProgress(by: REGION) { region projects indicators assessed onTrack shareOnTrack } }",
            json!({}),
        )
        .await;
    assert_eq!(
        public["resultsProgress"],
        json!([{ "region": "DUSHANBE", "projects": 1, "indicators": 5, "assessed": 4, "onTrack": 0, "shareOnTrack": 0.0 }])
    );
}

#[tokio::test]
async fn a_project_list_with_its_indicators_costs_the_same_statements_whatever_the_page_size() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let organisation = fixtures::organisation(&app.db, "Zanon ва Замон").await;
    for number in 0..6 {
        let code = format!("PO-2025-RF-{number:02}");
        let project = fixtures::project(
            &app.db,
            NewProject {
                code: &code,
                partners: &[(organisation.id, PartnerRole::Implementing)],
                ..NewProject::default()
            },
        )
        .await;
        for _ in 0..2 {
            let id = indicator(&app, &world.staff, project.id, json!({})).await;
            ok(&target(&app, &world.staff, &id, 2025, 10.0).await);
            ok(&target(&app, &world.staff, &id, 2026, 20.0).await);
        }
    }
    let query = "query($first: Int!) { projects(first: $first) { edges { node { code \
                 results { indicators assessed onTrack shareOnTrack } \
                 indicators { title baseline { value } periods { year target actual progress status revisions { revision } } } \
                 } } } }";

    let (small, data) = app.count_statements(query, json!({ "first": 2 })).await;
    assert_eq!(
        data["projects"]["edges"][1]["node"]["indicators"][1]["periods"][1]["target"], 20.0,
        "the nested data came: {data:#}"
    );
    let (large, data) = app.count_statements(query, json!({ "first": 20 })).await;
    let edges = data["projects"]["edges"].as_array().map_or(0, Vec::len);
    assert_eq!(edges, 7, "the public project of the world and the six");
    // The page; the indicators, their periods with progress, their revisions, and the
    // projects' progress: one statement each, whatever the page size.
    assert_eq!((small, large), (5, 5));
}

/// The CSV of `path` as `token` downloads it, without its byte-order mark.
async fn csv_as(app: &TestApp, path: &str, token: &str) -> String {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{path}");
    let body = response.text().await.expect("body");
    body.trim_start_matches('\u{feff}').to_owned()
}

#[tokio::test]
async fn a_pending_result_of_a_period_without_target_leaves_no_trace_for_outside_readers() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let id = indicator(&app, &world.staff, world.public.id, json!({})).await;
    // No target for 2025: the period exists only because of the pending result.
    ok(&report(
        &app,
        &world.implementing,
        &id,
        2025,
        json!({ "value": 7.0 }),
    )
    .await);
    let seen = periods(&app, Some(&world.implementing.access_token), &id).await;
    assert_eq!(seen[0]["actual"], 7.0);

    // The public and partners outside the project read no period at all: a period with neither
    // a target nor a readable result says that a result is pending.
    assert_eq!(periods(&app, None, &id).await, json!([]));
    assert_eq!(
        periods(&app, Some(&world.outsider.access_token), &id).await,
        json!([])
    );
    // Nor in the CSV of results (header only) ...
    let csv = csv_as(
        &app,
        "/exports/indicator-results.csv",
        &world.outsider.access_token,
    )
    .await;
    assert_eq!(csv.lines().count(), 1, "{csv}");
    // ... nor in the IATI export.
    let xml = app
        .get("/exports/iati/activities.xml")
        .await
        .text()
        .await
        .expect("body");
    assert!(!xml.contains("<period>"), "{xml}");
}

#[tokio::test]
async fn progress_of_extreme_but_valid_figures_does_not_break_the_reads() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let id = indicator(&app, &world.staff, world.public.id, json!({})).await;
    // A target the rules accept (a number of 0 or more) so small that progress overflows a
    // double: PostgreSQL refuses the division ("value out of range"), failing every read of
    // the project's results, its summary and the aggregates, for everyone.
    let tiny = target(&app, &world.accountable, &id, 2025, 1e-300).await;
    let accepted = tiny.get("errors").is_none();
    if accepted {
        ok(&report(
            &app,
            &world.implementing,
            &id,
            2025,
            json!({ "value": 1e12 }),
        )
        .await);
    } else {
        assert_eq!(error_fields(&tiny), ["target"], "{tiny:#}");
        ok(&target(&app, &world.accountable, &id, 2025, 1.0).await);
        ok(&report(
            &app,
            &world.implementing,
            &id,
            2025,
            json!({ "value": 1e12 }),
        )
        .await);
    }
    let read = app
        .graphql_as(&world.staff.access_token, INDICATOR, json!({ "id": id }))
        .await;
    ok(&read);
    let summary = app
        .graphql_as(
            &world.staff.access_token,
            "query { resultsProgress(by: THEMATIC_AREA) { onTrack } }",
            json!({}),
        )
        .await;
    ok(&summary);
    // A result as small: (actual - baseline) / (target - baseline) underflows to 0.
    let other = indicator(&app, &world.staff, world.public.id, json!({})).await;
    let big = target(&app, &world.accountable, &other, 2025, 1e12).await;
    ok(&big);
    let small = report(
        &app,
        &world.implementing,
        &other,
        2025,
        json!({ "value": 5e-324 }),
    )
    .await;
    if small.get("errors").is_none() {
        ok(&app
            .graphql_as(&world.staff.access_token, INDICATOR, json!({ "id": other }))
            .await);
    } else {
        assert_eq!(error_fields(&small), ["input.value"], "{small:#}");
    }
}

#[tokio::test]
async fn a_result_and_a_change_of_measure_at_once_never_leave_a_result_the_measure_refuses() {
    let app = spawn_app().await;
    let world = world(&app).await;
    const UPDATE: &str = r"
    mutation($id: ID!, $input: UpdateIndicatorInput!) { updateIndicator(id: $id, input: $input) { id measure } }";
    for _ in 0..12 {
        let id = indicator(&app, &world.staff, world.public.id, json!({})).await;
        // The report is checked against NUMBER (500 fits), the change against no result yet.
        let (reported, changed) = tokio::join!(
            report(
                &app,
                &world.implementing,
                &id,
                2025,
                json!({ "value": 500.0 })
            ),
            app.graphql_as(
                &world.accountable.access_token,
                UPDATE,
                json!({ "id": id, "input": { "measure": "PERCENTAGE" } }),
            ),
        );
        // Whichever comes second is refused (or, a report after the change, checked against
        // the new measure).
        for response in [&reported, &changed] {
            for code in error_codes(response) {
                assert!(
                    code == "CONFLICT" || code == "BAD_USER_INPUT",
                    "{response:#}"
                );
            }
        }
        let read = app
            .graphql_as(
                &world.staff.access_token,
                "query($id: ID!) { indicator(id: $id) { measure periods { actual } } }",
                json!({ "id": id }),
            )
            .await;
        let indicator = &ok(&read)["indicator"];
        if indicator["measure"] == "PERCENTAGE" {
            assert_eq!(indicator["periods"], json!([]), "{read:#}");
        }
    }
}

#[tokio::test]
async fn the_reporting_organisation_is_told_when_its_result_is_approved_or_reopened() {
    use entity::mail_outbox;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = spawn_app().await;
    let world = world(&app).await;
    let id = indicator(&app, &world.staff, world.public.id, json!({})).await;
    ok(&target(&app, &world.staff, &id, 2025, 50.0).await);
    let reported = report(
        &app,
        &world.implementing,
        &id,
        2025,
        json!({ "value": 44.0, "comment": "Two cycles of the training of trainers" }),
    )
    .await;
    let period_id = id_of(&reported, "reportIndicatorResult");
    let inbox = "{ notifications(first: 10) { edges { node { kind message \
                 indicatorPeriod { id year actual approved } } } } }";

    ok(&app
        .graphql_as(
            &world.staff.access_token,
            APPROVE,
            json!({ "id": period_id }),
        )
        .await);
    let told = app
        .data_as(&world.implementing.access_token, inbox, json!({}))
        .await;
    let node = &told["notifications"]["edges"][0]["node"];
    assert_eq!(node["kind"], "RESULT_APPROVED");
    assert_eq!(
        node["message"],
        "The Programme Office approved the result of Women trained as trainers (2025)."
    );
    assert_eq!(node["indicatorPeriod"]["id"], period_id.as_str());
    assert_eq!(node["indicatorPeriod"]["approved"], true);
    // The organisation that did not report it is not told; the comment is in no message.
    let others = app
        .data_as(&world.accountable.access_token, inbox, json!({}))
        .await;
    assert_eq!(others["notifications"]["edges"], json!([]));
    let mails = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Recipient.eq(world.implementing.account.email.clone()))
        .all(&app.db)
        .await
        .expect("the outbox");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].subject.contains("approved the result"));
    assert!(!mails[0].body.contains("training of trainers"));

    ok(&app
        .graphql_as(
            &world.staff.access_token,
            REOPEN,
            json!({ "id": period_id, "reason": "The second cycle counts twice" }),
        )
        .await);
    let told = app
        .data_as(&world.implementing.access_token, inbox, json!({}))
        .await;
    let kinds: Vec<&Value> = told["notifications"]["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|edge| &edge["node"]["kind"]).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [&json!("RESULT_REOPENED"), &json!("RESULT_APPROVED")]
    );
    let mails = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Recipient.eq(world.implementing.account.email.clone()))
        .all(&app.db)
        .await
        .expect("the outbox");
    assert!(mails.iter().all(|mail| !mail.body.contains("counts twice")));
}
