//! Centre reports: each month the operating organisation reports the people each service of a
//! centre served, by sex; a second submission for a month corrects the first. The Programme
//! Office reads them all, partners those of their own centres, the public none.

use chrono::{Datelike, Months, Utc};
use entity::enums::{CentreKind, CentreService, Region, Role};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp,
    accounts::User,
    error_codes, error_fields,
    fixtures::{self, NewCentre},
    nodes, spawn_app,
};

const SUBMIT: &str = r"
mutation($centreId: ID!, $month: NaiveDate!, $lines: [CentreReportLineInput!]!) {
  submitCentreReport(centreId: $centreId, month: $month, lines: $lines) {
    id centre { name } month revision submittedAt total
    lines { service female male total }
  }
}";

const REPORTS: &str = r"
query($filter: CentreReportFilterInput) {
  centreReports(first: 100, filter: $filter) {
    totalCount
    edges { node { id centre { name } month revision total lines { service female male total } } }
  }
}";

/// Gulrukhsor operates a Women's Resource Centre; Najoti Kudakon a shelter; a partner of each,
/// and Programme Office staff.
struct World {
    staff: User,
    centre: entity::resource_centre::Model,
    shelter: entity::resource_centre::Model,
    operator: User,
    shelter_operator: User,
}

async fn world(app: &TestApp) -> World {
    let gulrukhsor = fixtures::organisation(&app.db, "Gulrukhsor").await;
    let najoti = fixtures::organisation(&app.db, "Najoti Kudakon").await;
    let centre = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Bokhtar Women's Resource Centre",
            operator_id: gulrukhsor.id,
            services: &[
                CentreService::LegalConsultation,
                CentreService::PsychosocialCounselling,
                CentreService::CrisisSupport,
            ],
            ..NewCentre::default()
        },
    )
    .await;
    let shelter = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Khujand Shelter",
            kind: CentreKind::Shelter,
            operator_id: najoti.id,
            region: Region::Sughd,
            district: "Khujand",
            services: &[CentreService::Shelter, CentreService::CrisisSupport],
            ..NewCentre::default()
        },
    )
    .await;
    World {
        staff: app.user(Role::Staff, None).await,
        operator: app.user(Role::Partner, Some(gulrukhsor.id)).await,
        shelter_operator: app.user(Role::Partner, Some(najoti.id)).await,
        centre,
        shelter,
    }
}

/// Three lines of the Bokhtar centre: 2 + 1 + 12 + 3 + 7 + 0 = 25 people.
fn march_lines() -> Value {
    json!([
        { "service": "CRISIS_SUPPORT", "female": 2, "male": 1 },
        { "service": "LEGAL_CONSULTATION", "female": 12, "male": 3 },
        { "service": "PSYCHOSOCIAL_COUNSELLING", "female": 7, "male": 0 },
    ])
}

async fn submit(app: &TestApp, user: &User, centre: Uuid, month: &str, lines: Value) -> Value {
    app.graphql_as(
        &user.access_token,
        SUBMIT,
        json!({ "centreId": centre.to_string(), "month": month, "lines": lines }),
    )
    .await
}

fn months(data: &Value) -> Vec<String> {
    nodes(&data["centreReports"])
        .iter()
        .map(|node| node["month"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_partner_submits_the_monthly_figures_of_a_centre_its_organisation_operates() {
    let app = spawn_app().await;
    let world = world(&app).await;

    // Any day stands for its month.
    let response = submit(
        &app,
        &world.operator,
        world.centre.id,
        "2025-03-17",
        march_lines(),
    )
    .await;

    assert!(response.get("errors").is_none(), "{response:#}");
    insta::assert_json_snapshot!("submit_centre_report", response["data"], {
        ".submitCentreReport.id" => "[id]",
        ".submitCentreReport.submittedAt" => "[time]",
    });
    let report = &response["data"]["submitCentreReport"];
    assert_eq!(report["month"], "2025-03-01");
    assert_eq!(report["total"], 25);
    let entries = app
        .audit_of(report["id"].as_str().expect("id").parse().expect("a uuid"))
        .await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "centre_report.submit");
    assert_eq!(entries[0].actor_account_id, Some(world.operator.account.id));
}

#[tokio::test]
async fn a_report_reads_back_as_it_was_submitted() {
    let app = spawn_app().await;
    let world = world(&app).await;
    // Lines in no particular order.
    let mut lines = march_lines();
    lines.as_array_mut().expect("lines").reverse();

    let submitted = submit(&app, &world.operator, world.centre.id, "2025-03-01", lines).await;

    let read = app
        .data_as(&world.operator.access_token, REPORTS, json!({}))
        .await;
    let report = &submitted["data"]["submitCentreReport"];
    let node = nodes(&read["centreReports"])[0];
    assert_eq!(node["id"], report["id"]);
    assert_eq!(node["total"], report["total"]);
    assert_eq!(
        node["lines"], report["lines"],
        "the answer to a submission and a later read list the lines alike"
    );
}

#[tokio::test]
async fn submitting_a_month_again_corrects_its_report() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let first = submit(
        &app,
        &world.operator,
        world.centre.id,
        "2025-03-01",
        march_lines(),
    )
    .await;
    let first_id = first["data"]["submitCentreReport"]["id"].clone();

    let corrected = submit(
        &app,
        &world.operator,
        world.centre.id,
        "2025-03-31",
        json!([{ "service": "LEGAL_CONSULTATION", "female": 14, "male": 3 }]),
    )
    .await;

    assert!(corrected.get("errors").is_none(), "{corrected:#}");
    let report = &corrected["data"]["submitCentreReport"];
    assert_eq!(report["id"], first_id, "the same report, corrected");
    assert_eq!(report["month"], "2025-03-01");
    assert_eq!(report["revision"], 2);
    assert_eq!(
        report["lines"],
        json!([{ "service": "LEGAL_CONSULTATION", "female": 14, "male": 3, "total": 17 }]),
        "the old lines are replaced, not kept"
    );
    assert_eq!(report["total"], 17);
    let listed = app
        .data_as(
            &world.operator.access_token,
            REPORTS,
            json!({ "filter": { "centreId": world.centre.id.to_string(), "from": "2025-03-01", "to": "2025-03-31" } }),
        )
        .await;
    assert_eq!(listed["centreReports"]["totalCount"], 1);
    assert_eq!(nodes(&listed["centreReports"])[0]["revision"], 2);
    assert_eq!(nodes(&listed["centreReports"])[0]["total"], 17);
    assert_eq!(app.rows::<entity::centre_report::Entity>().await, 1);

    let entries = app
        .audit_of(first_id.as_str().expect("id").parse().expect("a uuid"))
        .await;
    let actions: Vec<&str> = entries.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["centre_report.submit", "centre_report.correct"]);
    let detail = entries[1]
        .detail
        .clone()
        .expect("details of the correction");
    assert_eq!(detail["previousTotal"], 25);
    assert_eq!(detail["total"], 17);
    assert_eq!(detail["revision"], 2);
    assert_eq!(detail["month"], "2025-03-01");
}

#[tokio::test]
async fn the_current_month_may_be_reported_but_not_a_future_one() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let today = Utc::now().date_naive();
    let first_of_month = today.with_day(1).expect("a first day");
    let next_month = first_of_month + Months::new(1);

    let future = submit(
        &app,
        &world.operator,
        world.centre.id,
        &next_month.to_string(),
        march_lines(),
    )
    .await;
    let this_month = submit(
        &app,
        &world.operator,
        world.centre.id,
        &today.to_string(),
        march_lines(),
    )
    .await;

    assert_eq!(error_codes(&future), ["BAD_USER_INPUT"]);
    assert_eq!(error_fields(&future), ["month"]);
    assert!(this_month.get("errors").is_none(), "{this_month:#}");
    assert_eq!(
        this_month["data"]["submitCentreReport"]["month"],
        first_of_month.to_string()
    );
    assert_eq!(app.rows::<entity::centre_report::Entity>().await, 1);
}

#[tokio::test]
async fn each_invalid_report_line_is_named() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let cases = [
        (
            json!([{ "service": "LEGAL_CONSULTATION", "female": -1, "male": 0 }]),
            vec!["lines.0.female"],
        ),
        (
            json!([
                { "service": "LEGAL_CONSULTATION", "female": 1, "male": 0 },
                { "service": "CRISIS_SUPPORT", "female": 0, "male": 100_001 },
            ]),
            vec!["lines.1.male"],
        ),
        // The centre offers no shelter.
        (
            json!([{ "service": "SHELTER", "female": 4, "male": 0 }]),
            vec!["lines.0.service"],
        ),
        (
            json!([
                { "service": "LEGAL_CONSULTATION", "female": 1, "male": 0 },
                { "service": "LEGAL_CONSULTATION", "female": 2, "male": 0 },
            ]),
            vec!["lines.1.service"],
        ),
        (json!([]), vec!["lines"]),
        // Everything wrong at once is reported at once.
        (
            json!([
                { "service": "SHELTER", "female": -2, "male": -3 },
                { "service": "SHELTER", "female": 0, "male": 0 },
            ]),
            vec![
                "lines.0.service",
                "lines.0.female",
                "lines.0.male",
                "lines.1.service",
                "lines.1.service",
            ],
        ),
    ];
    let centre_id = world.centre.id.to_string();
    for (lines, fields) in cases {
        let variables = json!({ "centreId": centre_id, "month": "2025-03-01", "lines": lines });
        app.assert_bad_input(&world.operator.access_token, SUBMIT, variables, &fields)
            .await;
    }
    assert_eq!(
        app.rows::<entity::centre_report::Entity>().await,
        0,
        "nothing invalid was stored"
    );

    // Zeros are a report: nobody came.
    let nobody = submit(
        &app,
        &world.operator,
        world.centre.id,
        "2025-03-01",
        json!([{ "service": "CRISIS_SUPPORT", "female": 0, "male": 0 }]),
    )
    .await;
    assert_eq!(nobody["data"]["submitCentreReport"]["total"], 0);
}

#[tokio::test]
async fn a_report_names_a_malformed_or_unknown_centre() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let malformed = app
        .graphql_as(
            &world.operator.access_token,
            SUBMIT,
            json!({ "centreId": "bokhtar", "month": "2025-03-01", "lines": march_lines() }),
        )
        .await;
    let unknown = submit(
        &app,
        &world.operator,
        Uuid::now_v7(),
        "2025-03-01",
        march_lines(),
    )
    .await;

    assert_eq!(error_codes(&malformed), ["BAD_USER_INPUT"]);
    assert_eq!(error_fields(&malformed), ["centreId"]);
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);
}

#[tokio::test]
async fn only_the_operating_organisation_submits_reports() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let admin = app.user(Role::Admin, None).await;
    let manager = app
        .user(Role::PartnerManager, world.operator.account.organisation_id)
        .await;

    // The Programme Office reads reports but does not write them; nor does another organisation.
    for user in [&world.staff, &admin, &world.shelter_operator] {
        let response = submit(&app, user, world.centre.id, "2025-03-01", march_lines()).await;
        assert_eq!(
            error_codes(&response),
            ["FORBIDDEN"],
            "{:?}",
            user.account.role
        );
    }
    let anonymous = app
        .graphql(
            SUBMIT,
            json!({ "centreId": world.centre.id.to_string(), "month": "2025-03-01", "lines": march_lines() }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    assert_eq!(app.rows::<entity::centre_report::Entity>().await, 0);

    // Its focal point may, as every member of the operator.
    let by_manager = submit(&app, &manager, world.centre.id, "2025-03-01", march_lines()).await;
    assert!(by_manager.get("errors").is_none(), "{by_manager:#}");
}

#[tokio::test]
async fn the_programme_office_reads_every_report_and_partners_only_their_centres() {
    let app = spawn_app().await;
    let world = world(&app).await;
    for month in ["2025-01-01", "2025-02-01", "2025-03-01"] {
        let response = submit(&app, &world.operator, world.centre.id, month, march_lines()).await;
        assert!(response.get("errors").is_none(), "{response:#}");
    }
    let response = submit(
        &app,
        &world.shelter_operator,
        world.shelter.id,
        "2025-02-01",
        json!([{ "service": "SHELTER", "female": 5, "male": 0 }]),
    )
    .await;
    assert!(response.get("errors").is_none(), "{response:#}");
    let admin = app.user(Role::Admin, None).await;
    let bystander = app
        .user(
            Role::PartnerManager,
            Some(
                fixtures::organisation(&app.db, "NGO without centres")
                    .await
                    .id,
            ),
        )
        .await;
    let centre_id = world.centre.id.to_string();

    for user in [&world.staff, &admin] {
        let all = app.data_as(&user.access_token, REPORTS, json!({})).await;
        assert_eq!(all["centreReports"]["totalCount"], 4);
        // Latest month first.
        assert_eq!(months(&all)[0], "2025-03-01");
        assert_eq!(months(&all)[3], "2025-01-01");

        let filtered = app
            .data_as(
                &user.access_token,
                REPORTS,
                // Any day of the first and of the last month.
                json!({ "filter": { "centreId": centre_id, "from": "2025-02-15", "to": "2025-03-10" } }),
            )
            .await;
        assert_eq!(months(&filtered), ["2025-03-01", "2025-02-01"]);
        assert_eq!(filtered["centreReports"]["totalCount"], 2);
        for node in nodes(&filtered["centreReports"]) {
            assert_eq!(node["centre"]["name"], "Bokhtar Women's Resource Centre");
        }
    }

    let own = app
        .data_as(&world.operator.access_token, REPORTS, json!({}))
        .await;
    assert_eq!(months(&own), ["2025-03-01", "2025-02-01", "2025-01-01"]);
    let shelters = app
        .data_as(&world.shelter_operator.access_token, REPORTS, json!({}))
        .await;
    assert_eq!(months(&shelters), ["2025-02-01"]);
    // Another organisation's centre, asked for by id, gives nothing either.
    for (user, filter) in [
        (&bystander, json!({})),
        (&bystander, json!({ "centreId": centre_id })),
        (&world.shelter_operator, json!({ "centreId": centre_id })),
    ] {
        let data = app
            .data_as(&user.access_token, REPORTS, json!({ "filter": filter }))
            .await;
        assert_eq!(data["centreReports"]["totalCount"], 0, "{filter}");
        assert!(months(&data).is_empty(), "{filter}");
    }

    let anonymous = app.graphql(REPORTS, json!({})).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let backwards = app
        .graphql_as(
            &world.staff.access_token,
            REPORTS,
            json!({ "filter": { "from": "2025-03-01", "to": "2025-01-01" } }),
        )
        .await;
    assert_eq!(error_codes(&backwards), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn a_deactivated_centre_still_reports_to_the_programme_office() {
    let app = spawn_app().await;
    let world = world(&app).await;
    app.data_as(
        &world.staff.access_token,
        "mutation($id: ID!) { deactivateResourceCentre(id: $id) { active } }",
        json!({ "id": world.centre.id.to_string() }),
    )
    .await;

    // Figures of the months it was open still count.
    let late = submit(
        &app,
        &world.operator,
        world.centre.id,
        "2025-03-01",
        march_lines(),
    )
    .await;
    let stranger = submit(
        &app,
        &world.shelter_operator,
        world.centre.id,
        "2025-03-01",
        march_lines(),
    )
    .await;

    assert!(late.get("errors").is_none(), "{late:#}");
    // Outside the directory the centre is hidden from other organisations altogether.
    assert_eq!(error_codes(&stranger), ["NOT_FOUND"]);
    let read = app
        .data_as(&world.staff.access_token, REPORTS, json!({}))
        .await;
    assert_eq!(read["centreReports"]["totalCount"], 1);
}

#[tokio::test]
async fn centre_reports_page_backward_as_they_page_forward() {
    let app = crate::helpers::spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    crate::helpers::paging::Listing {
        token: Some(&staff.access_token),
        template: "centreReports(PAGE) SELECTION",
        path: &["centreReports"],
    }
    .assert_pages_both_ways(&app, 3)
    .await;
}
