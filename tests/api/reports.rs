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
pub(crate) struct World {
    pub(crate) staff: User,
    pub(crate) centre: entity::resource_centre::Model,
    pub(crate) shelter: entity::resource_centre::Model,
    pub(crate) operator: User,
    pub(crate) shelter_operator: User,
}

pub(crate) async fn world(app: &TestApp) -> World {
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

// ---------------------------------------------------------------------------------------------
// Issue 17: the services of a month, revisions, approval

const UPDATE_SERVICES: &str = r"
mutation($id: ID!, $services: [CentreService!]!) {
  updateResourceCentre(id: $id, input: { services: $services }) { services }
}";

const REVISIONS: &str = r"
query($filter: CentreReportFilterInput) {
  centreReports(first: 100, filter: $filter) {
    edges { node {
      id month revision submittedById total approval approvedAt approvedById
      revisions { revision submittedAt submittedById total lines { service female male total } }
    } }
  }
}";

const APPROVE: &str = r"
mutation($id: ID!) {
  approveCentreReport(id: $id) { id revision approval approvedAt approvedById }
}";

const REOPEN: &str = r"
mutation($id: ID!, $reason: String!) {
  reopenCentreReport(id: $id, reason: $reason) { id revision approval approvedAt approvedById }
}";

const INBOX: &str = r"
query {
  notifications(first: 100) {
    edges { node { kind caseCode case { code } message report { id month approval } } }
  }
}";

fn report_id(response: &Value) -> String {
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"]["submitCentreReport"]["id"]
        .as_str()
        .expect("a report id")
        .to_owned()
}

/// The month before last, and the one before it: always in the past.
fn past_months() -> (String, String) {
    let first = Utc::now().date_naive().with_day(1).expect("a first day");
    (
        (first - Months::new(3)).to_string(),
        (first - Months::new(2)).to_string(),
    )
}

#[tokio::test]
async fn a_month_is_judged_by_the_services_of_that_month() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (earlier, later) = past_months();
    let with_legal = json!([
        { "service": "LEGAL_CONSULTATION", "female": 12, "male": 3 },
        { "service": "CRISIS_SUPPORT", "female": 2, "male": 1 },
    ]);
    report_id(
        &submit(
            &app,
            &world.operator,
            world.centre.id,
            &earlier,
            with_legal.clone(),
        )
        .await,
    );

    // The centre stops giving legal consultations.
    let updated = app
        .data_as(
            &world.staff.access_token,
            UPDATE_SERVICES,
            json!({
                "id": world.centre.id.to_string(),
                "services": ["PSYCHOSOCIAL_COUNSELLING", "CRISIS_SUPPORT"],
            }),
        )
        .await;
    assert_eq!(
        updated["updateResourceCentre"]["services"],
        json!(["CRISIS_SUPPORT", "PSYCHOSOCIAL_COUNSELLING"])
    );

    // A correction of the earlier month that still lists it is taken...
    let corrected = submit(
        &app,
        &world.operator,
        world.centre.id,
        &earlier,
        json!([
            { "service": "LEGAL_CONSULTATION", "female": 14, "male": 3 },
            { "service": "CRISIS_SUPPORT", "female": 2, "male": 1 },
        ]),
    )
    .await;
    assert!(corrected.get("errors").is_none(), "{corrected:#}");
    assert_eq!(corrected["data"]["submitCentreReport"]["revision"], 2);
    // ...and so is a late first report of a month before its removal...
    let late = submit(&app, &world.operator, world.centre.id, &later, with_legal).await;
    assert!(late.get("errors").is_none(), "{late:#}");

    // The centre offered it until this month, as far as the portal knows.
    let past = {
        use sea_orm::EntityTrait;
        entity::centre_service_past::Entity::find()
            .all(&app.db)
            .await
            .expect("past services")
    };
    assert_eq!(past.len(), 1);
    assert_eq!(past[0].service, CentreService::LegalConsultation);
    assert_eq!(
        past[0].last_month,
        Utc::now().date_naive().with_day(1).expect("a first day")
    );
    // A service the centre never offered is still refused for any month.
    app.assert_bad_input(
        &world.operator.access_token,
        SUBMIT,
        json!({
            "centreId": world.centre.id.to_string(),
            "month": earlier,
            "lines": [{ "service": "SHELTER", "female": 1, "male": 0 }],
        }),
        &["lines.0.service"],
    )
    .await;
}

#[tokio::test]
async fn resubmitting_identical_figures_changes_nothing() {
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
    let id = report_id(&first);

    // The same figures, in another order, by another member.
    let colleague = app
        .user(Role::Partner, world.operator.account.organisation_id)
        .await;
    let mut lines = march_lines();
    lines.as_array_mut().expect("lines").reverse();
    let again = submit(&app, &colleague, world.centre.id, "2025-03-20", lines).await;

    assert!(again.get("errors").is_none(), "{again:#}");
    assert_eq!(again["data"], first["data"], "the report as it was");
    let entries = app.audit_of(id.parse().expect("a uuid")).await;
    assert_eq!(entries.len(), 1, "no audit entry of a change");
    assert_eq!(
        app.rows::<entity::centre_report_revision::Entity>().await,
        0
    );
}

#[tokio::test]
async fn every_earlier_revision_is_kept_with_its_figures_who_and_when() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let colleague = app
        .user(Role::PartnerManager, world.operator.account.organisation_id)
        .await;
    let first = submit(
        &app,
        &world.operator,
        world.centre.id,
        "2025-03-01",
        march_lines(),
    )
    .await;
    let first_at = first["data"]["submitCentreReport"]["submittedAt"].clone();
    submit(
        &app,
        &colleague,
        world.centre.id,
        "2025-03-01",
        json!([{ "service": "LEGAL_CONSULTATION", "female": 14, "male": 3 }]),
    )
    .await;
    submit(
        &app,
        &world.operator,
        world.centre.id,
        "2025-03-01",
        json!([{ "service": "LEGAL_CONSULTATION", "female": 15, "male": 3 }]),
    )
    .await;
    // Another report, never corrected, in the same page.
    report_id(
        &submit(
            &app,
            &world.operator,
            world.centre.id,
            "2025-02-01",
            march_lines(),
        )
        .await,
    );

    for user in [&world.operator, &world.staff] {
        let data = app.data_as(&user.access_token, REVISIONS, json!({})).await;
        let listed = nodes(&data["centreReports"]);
        let march = listed[0];
        assert_eq!(march["revision"], 3);
        assert_eq!(march["total"], 18);
        assert_eq!(
            march["submittedById"],
            world.operator.account.id.to_string()
        );
        let revisions = march["revisions"].as_array().expect("revisions");
        assert_eq!(revisions.len(), 2, "{march:#}");
        assert_eq!(revisions[0]["revision"], 1);
        assert_eq!(revisions[0]["submittedAt"], first_at);
        assert_eq!(
            revisions[0]["submittedById"],
            world.operator.account.id.to_string()
        );
        assert_eq!(revisions[0]["total"], 25);
        assert_eq!(
            revisions[0]["lines"],
            json!([
                { "service": "CRISIS_SUPPORT", "female": 2, "male": 1, "total": 3 },
                { "service": "LEGAL_CONSULTATION", "female": 12, "male": 3, "total": 15 },
                { "service": "PSYCHOSOCIAL_COUNSELLING", "female": 7, "male": 0, "total": 7 },
            ])
        );
        assert_eq!(revisions[1]["revision"], 2);
        assert_eq!(
            revisions[1]["submittedById"],
            colleague.account.id.to_string()
        );
        assert_eq!(revisions[1]["total"], 17);
        assert_eq!(listed[1]["revisions"], json!([]));
    }
    // Nobody else reads them: the report itself is hidden.
    let data = app
        .data_as(&world.shelter_operator.access_token, REVISIONS, json!({}))
        .await;
    assert!(nodes(&data["centreReports"]).is_empty());
    let anonymous = app.graphql(REVISIONS, json!({})).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn revisions_of_a_page_of_reports_cost_the_same_for_one_or_many() {
    let app = spawn_app().await;
    let world = world(&app).await;
    for month in ["2025-01-01", "2025-02-01", "2025-03-01"] {
        for female in [1, 2] {
            report_id(
                &submit(
                    &app,
                    &world.operator,
                    world.centre.id,
                    month,
                    json!([{ "service": "CRISIS_SUPPORT", "female": female, "male": 0 }]),
                )
                .await,
            );
        }
    }
    let query = "query($first: Int!) { centreReports(first: $first) { edges { node { \
                 month approval revisions { revision lines { total } } } } } }";
    let count = |first: i64| {
        let app = &app;
        let token = world.staff.access_token.clone();
        async move {
            let mut fewest = u64::MAX;
            let mut data = Value::Null;
            for _ in 0..3 {
                let before = app.statements.get();
                data = app.data_as(&token, query, json!({ "first": first })).await;
                fewest = fewest.min(app.statements.get() - before);
            }
            (fewest, data)
        }
    };
    let (one, data) = count(1).await;
    assert_eq!(
        nodes(&data["centreReports"])[0]["revisions"][0]["revision"],
        1
    );
    let (three, data) = count(3).await;
    assert_eq!(nodes(&data["centreReports"]).len(), 3, "{data:#}");
    assert_eq!(one, three, "one statement per relation, not per report");
}

async fn inbox(app: &TestApp, user: &User) -> Vec<Value> {
    let data = app.data_as(&user.access_token, INBOX, json!({})).await;
    nodes(&data["notifications"]).into_iter().cloned().collect()
}

async fn mailed(app: &TestApp) -> Vec<(String, String)> {
    use sea_orm::EntityTrait;
    let mut mails: Vec<(String, String)> = entity::mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox")
        .into_iter()
        .map(|mail| (mail.recipient, mail.subject))
        .collect();
    mails.sort();
    mails
}

#[tokio::test]
async fn an_approved_month_is_locked_until_the_programme_office_reopens_it() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let colleague = app
        .user(Role::PartnerManager, world.operator.account.organisation_id)
        .await;
    let id = report_id(
        &submit(
            &app,
            &world.operator,
            world.centre.id,
            "2025-03-01",
            march_lines(),
        )
        .await,
    );
    let uuid: Uuid = id.parse().expect("a uuid");

    let approved = app
        .data_as(&world.staff.access_token, APPROVE, json!({ "id": id }))
        .await;
    let report = &approved["approveCentreReport"];
    assert_eq!(report["approval"], "APPROVED");
    assert!(report["approvedAt"].is_string(), "{report:#}");
    assert_eq!(report["approvedById"], world.staff.account.id.to_string());

    // A correction, even of identical figures, is refused while the month is locked.
    for lines in [
        json!([{ "service": "LEGAL_CONSULTATION", "female": 14, "male": 3 }]),
        march_lines(),
    ] {
        let refused = submit(&app, &colleague, world.centre.id, "2025-03-01", lines).await;
        assert_eq!(error_codes(&refused), ["CONFLICT"], "{refused:#}");
    }
    let read = app
        .data_as(&world.operator.access_token, REVISIONS, json!({}))
        .await;
    let node = nodes(&read["centreReports"])[0];
    assert_eq!(node["revision"], 1);
    assert_eq!(node["total"], 25);
    assert_eq!(node["approval"], "APPROVED");

    // Every member of the operating organisation is told, in the inbox and by mail; nobody
    // else.
    let label = "Bokhtar Women's Resource Centre (2025-03)";
    let approved_text = format!("The Programme Office approved the monthly report of {label}.");
    for member in [&world.operator, &colleague] {
        let items = inbox(&app, member).await;
        assert_eq!(items.len(), 1, "{items:#?}");
        assert_eq!(items[0]["kind"], "REPORT_APPROVED");
        assert!(items[0]["caseCode"].is_null());
        assert!(items[0]["case"].is_null());
        assert_eq!(items[0]["message"], approved_text.as_str());
        assert_eq!(items[0]["report"]["id"], id.as_str());
        assert_eq!(items[0]["report"]["approval"], "APPROVED");
    }
    assert!(inbox(&app, &world.shelter_operator).await.is_empty());
    let mut wanted = vec![
        (world.operator.account.email.clone(), approved_text.clone()),
        (colleague.account.email.clone(), approved_text.clone()),
    ];
    wanted.sort();
    assert_eq!(mailed(&app).await, wanted);

    let reopened = app
        .data_as(
            &world.staff.access_token,
            REOPEN,
            json!({ "id": id, "reason": "  Legal consultations counted twice.  " }),
        )
        .await;
    let report = &reopened["reopenCentreReport"];
    assert_eq!(report["approval"], "PENDING");
    assert!(report["approvedAt"].is_null());
    assert!(report["approvedById"].is_null());
    let items = inbox(&app, &colleague).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "REPORT_REOPENED");
    assert_eq!(
        items[0]["message"],
        format!("The Programme Office reopened the monthly report of {label} for correction.")
    );
    assert_eq!(mailed(&app).await.len(), 4);

    let corrected = submit(
        &app,
        &colleague,
        world.centre.id,
        "2025-03-01",
        json!([{ "service": "LEGAL_CONSULTATION", "female": 14, "male": 3 }]),
    )
    .await;
    assert!(corrected.get("errors").is_none(), "{corrected:#}");
    assert_eq!(corrected["data"]["submitCentreReport"]["revision"], 2);

    let entries = app.audit_of(uuid).await;
    let actions: Vec<&str> = entries.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "centre_report.submit",
            "centre_report.approve",
            "centre_report.reopen",
            "centre_report.correct",
        ]
    );
    assert_eq!(entries[1].actor_account_id, Some(world.staff.account.id));
    let detail = entries[2].detail.clone().expect("details of the reopening");
    assert_eq!(detail["reason"], "Legal consultations counted twice.");
    assert_eq!(detail["revision"], 1);
}

#[tokio::test]
async fn only_the_programme_office_approves_and_reopens_reports() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let admin = app.user(Role::Admin, None).await;
    let manager = app
        .user(Role::PartnerManager, world.operator.account.organisation_id)
        .await;
    let id = report_id(
        &submit(
            &app,
            &world.operator,
            world.centre.id,
            "2025-03-01",
            march_lines(),
        )
        .await,
    );
    let uuid: Uuid = id.parse().expect("a uuid");
    let reopen = json!({ "id": id, "reason": "Check the figures." });

    let anonymous = app.graphql(APPROVE, json!({ "id": id })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    // The operating organisation reads the report but does not approve it; another
    // organisation does not find it.
    for (user, code) in [
        (&world.operator, "FORBIDDEN"),
        (&manager, "FORBIDDEN"),
        (&world.shelter_operator, "NOT_FOUND"),
    ] {
        let response = app
            .graphql_as(&user.access_token, APPROVE, json!({ "id": id }))
            .await;
        assert_eq!(error_codes(&response), [code], "{:?}", user.account.role);
    }
    assert_eq!(
        app.rows::<entity::centre_report_approval::Entity>().await,
        0
    );

    // An admin may, as staff may.
    let approved = app
        .data_as(&admin.access_token, APPROVE, json!({ "id": id }))
        .await;
    assert_eq!(approved["approveCentreReport"]["approval"], "APPROVED");
    let twice = app
        .graphql_as(&world.staff.access_token, APPROVE, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&twice), ["CONFLICT"]);

    let anonymous = app.graphql(REOPEN, reopen.clone()).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for (user, code) in [
        (&world.operator, "FORBIDDEN"),
        (&manager, "FORBIDDEN"),
        (&world.shelter_operator, "NOT_FOUND"),
    ] {
        let response = app
            .graphql_as(&user.access_token, REOPEN, reopen.clone())
            .await;
        assert_eq!(error_codes(&response), [code], "{:?}", user.account.role);
    }
    // A reason is required, and bounded.
    for reason in ["   ".to_owned(), "x".repeat(1_001)] {
        app.assert_bad_input(
            &world.staff.access_token,
            REOPEN,
            json!({ "id": id, "reason": reason }),
            &["reason"],
        )
        .await;
    }
    assert_eq!(
        app.rows::<entity::centre_report_approval::Entity>().await,
        1,
        "still approved"
    );
    let reopened = app
        .data_as(&world.staff.access_token, REOPEN, reopen.clone())
        .await;
    assert_eq!(reopened["reopenCentreReport"]["approval"], "PENDING");
    let again = app
        .graphql_as(&admin.access_token, REOPEN, reopen.clone())
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);

    let unknown = app
        .graphql_as(
            &world.staff.access_token,
            APPROVE,
            json!({ "id": Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);

    // Only the two changes were audited, and only they told anyone.
    let actions: Vec<String> = app
        .audit_of(uuid)
        .await
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        [
            "centre_report.submit",
            "centre_report.approve",
            "centre_report.reopen"
        ]
    );
    assert_eq!(inbox(&app, &world.operator).await.len(), 2);
}

#[tokio::test]
async fn reports_filter_by_approval() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let mut ids = Vec::new();
    for month in ["2025-01-01", "2025-02-01", "2025-03-01"] {
        ids.push(report_id(
            &submit(&app, &world.operator, world.centre.id, month, march_lines()).await,
        ));
    }
    app.data_as(&world.staff.access_token, APPROVE, json!({ "id": ids[0] }))
        .await;

    for user in [&world.staff, &world.operator] {
        let approved = app
            .data_as(
                &user.access_token,
                REPORTS,
                json!({ "filter": { "approval": "APPROVED" } }),
            )
            .await;
        assert_eq!(months(&approved), ["2025-01-01"]);
        let pending = app
            .data_as(
                &user.access_token,
                REPORTS,
                json!({ "filter": { "approval": "PENDING", "from": "2025-02-01" } }),
            )
            .await;
        assert_eq!(months(&pending), ["2025-03-01", "2025-02-01"]);
        assert_eq!(pending["centreReports"]["totalCount"], 2);
    }
    let other = app
        .data_as(
            &world.shelter_operator.access_token,
            REPORTS,
            json!({ "filter": { "approval": "APPROVED" } }),
        )
        .await;
    assert!(months(&other).is_empty());
}
