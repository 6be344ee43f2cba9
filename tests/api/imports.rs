//! CSV imports of centre reports (issue 17): a dry run names what would change and writes
//! nothing; the real run is all or nothing and audited; every bad row and field is named; a
//! downloaded export sent back changes nothing; who may import what follows the reports' rule.

use entity::{audit_entry, centre_report};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app},
    reports::{World, world},
};

const HEADER: &str = "centre_id,month,service,female,male";

async fn upload(app: &TestApp, token: Option<&str>, query: &str, file: &str) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/imports/centre-reports.csv{query}", app.address))
        .header("Content-Type", "text/csv; charset=utf-8")
        .body(file.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("upload");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON answer");
    (status, body)
}

fn fields(answer: &Value) -> Vec<String> {
    answer["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|field| field["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn reports(app: &TestApp) -> u64 {
    centre_report::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

fn two_months(w: &World) -> String {
    let centre = w.centre.id;
    format!(
        "{HEADER}\n\
         {centre},2026-09,LEGAL_CONSULTATION,12,3\n\
         {centre},2026-09,CRISIS_SUPPORT,2,1\n\
         {centre},2026-10-01,LEGAL_CONSULTATION,20,0\n"
    )
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_the_real_run_writes_every_report_audited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let token = Some(w.operator.access_token.as_str());
    let (status, dry) = upload(&app, token, "?dryRun=true", &two_months(&w)).await;
    assert_eq!(status, 200, "{dry:#}");
    assert_eq!(dry, json!({ "dryRun": true, "records": 2, "changed": 2 }));
    assert_eq!(reports(&app).await, 0);

    let (status, done) = upload(&app, token, "", &two_months(&w)).await;
    assert_eq!(status, 200, "{done:#}");
    assert_eq!(done, json!({ "dryRun": false, "records": 2, "changed": 2 }));
    assert_eq!(reports(&app).await, 2);
    let imports = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("centre_report.import"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(imports.len(), 1);
    assert_eq!(
        imports[0].detail,
        Some(json!({ "reports": 2, "changed": 2 }))
    );
    let submits = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("centre_report.submit"))
        .count(&app.db)
        .await
        .expect("audit");
    assert_eq!(submits, 2);

    // The same file again changes nothing; one corrected figure is one correction.
    let (_, again) = upload(&app, token, "", &two_months(&w)).await;
    assert_eq!(
        again,
        json!({ "dryRun": false, "records": 2, "changed": 0 })
    );
    let corrected = two_months(&w).replace(",20,0", ",21,0");
    let (_, corrected) = upload(&app, token, "", &corrected).await;
    assert_eq!(corrected["changed"], 1, "{corrected:#}");

    // What the export gives back, sent as it is, is no change either.
    let export = app
        .client
        .get(format!("{}/exports/centre-reports.csv", app.address))
        .bearer_auth(&w.operator.access_token)
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    let (status, round_trip) = upload(&app, token, "?dryRun=true", &export).await;
    assert_eq!(status, 200, "{round_trip:#}");
    assert_eq!(round_trip["changed"], 0, "{round_trip:#}");
}

#[tokio::test]
async fn a_file_with_bad_rows_is_refused_whole_naming_each() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let token = Some(w.operator.access_token.as_str());
    let (centre, shelter) = (w.centre.id, w.shelter.id);
    let file = format!(
        "{HEADER}\n\
         {centre},2026-09,LEGAL_CONSULTATION,12,3\n\
         {centre},2026-09,SHELTER,2,1\n\
         {centre},2026-10,LEGAL_CONSULTATION,-4,0\n\
         {shelter},2026-10,SHELTER,5,0\n\
         {centre},2099-01,LEGAL_CONSULTATION,1,1\n\
         {centre},2026-11,LEGAL_CONSULTATION,1,1\n\
         {centre},2026-11,LEGAL_CONSULTATION,2,2\n"
    );
    for query in ["?dryRun=true", ""] {
        let (status, refused) = upload(&app, token, query, &file).await;
        assert_eq!(status, 400, "{refused:#}");
        assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let mut named = fields(&refused);
        named.sort();
        assert_eq!(
            named,
            [
                "rows.3.service",
                "rows.4.female",
                "rows.5.centre_id",
                "rows.6.month",
                "rows.8.service",
            ],
            "{refused:#}"
        );
    }
    // The good rows of the file were not written either.
    assert_eq!(reports(&app).await, 0);
}

#[tokio::test]
async fn imports_follow_the_rule_of_who_reports_for_a_centre() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let file = two_months(&w);
    let (status, anonymous) = upload(&app, None, "", &file).await;
    assert_eq!(status, 401, "{anonymous:#}");
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    // Another organisation meets a centre it may not report for: the same answer as an
    // unknown one.
    let (status, refused) = upload(&app, Some(&w.shelter_operator.access_token), "", &file).await;
    assert_eq!(status, 400, "{refused:#}");
    assert_eq!(fields(&refused), ["rows.2.centre_id", "rows.4.centre_id"]);
    assert_eq!(reports(&app).await, 0);
    // The Programme Office enters the figures of a centre that reports on paper (a dry run).
    let (status, office) = upload(&app, Some(&w.staff.access_token), "?dryRun=true", &file).await;
    assert_eq!(status, 200, "{office:#}");
    assert_eq!(office["changed"], 2, "{office:#}");
    // Not CSV, or an unknown parameter.
    let not_csv = app
        .client
        .post(format!("{}/imports/centre-reports.csv", app.address))
        .bearer_auth(&w.operator.access_token)
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("upload");
    assert_eq!(not_csv.status().as_u16(), 400);
    let (_, unknown) = upload(&app, Some(&w.operator.access_token), "?dry=1", &file).await;
    assert_eq!(fields(&unknown), ["dryRun"]);
    assert_eq!(reports(&app).await, 0);
}

#[tokio::test]
async fn an_approved_month_is_refused_until_reopened() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let token = Some(w.operator.access_token.as_str());
    upload(&app, token, "", &two_months(&w)).await;
    let september = centre_report::Entity::find()
        .filter(centre_report::Column::CentreId.eq(w.centre.id))
        .all(&app.db)
        .await
        .expect("reports")
        .into_iter()
        .min_by_key(|report| report.month)
        .expect("September");
    let approved = app
        .graphql_as(
            &w.staff.access_token,
            "mutation($id: ID!) { approveCentreReport(id: $id) { id } }",
            json!({ "id": september.id.to_string() }),
        )
        .await;
    assert!(approved.get("errors").is_none(), "{approved:#}");
    let corrected = two_months(&w).replace(",12,3", ",13,3");
    let (status, refused) = upload(&app, token, "", &corrected).await;
    assert_eq!(status, 400, "{refused:#}");
    assert_eq!(fields(&refused), ["rows.2.month"]);
    // The locked month as it is (an export sent back) is no change, and not refused.
    let (status, unchanged) = upload(&app, token, "", &two_months(&w)).await;
    assert_eq!(status, 200, "{unchanged:#}");
    assert_eq!(unchanged["changed"], 0);
}

const EVENTS_HEADER: &str = "id,title,kind,starts_on,ends_on,region,district,venue,participants_female,participants_male,organiser_id";

async fn upload_events(app: &TestApp, token: &str, query: &str, file: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/imports/events.csv{query}", app.address))
        .bearer_auth(token)
        .header("Content-Type", "text/csv")
        .body(file.to_owned())
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

async fn events(app: &TestApp) -> Vec<entity::event::Model> {
    entity::event::Entity::find()
        .all(&app.db)
        .await
        .expect("events")
}

#[tokio::test]
async fn events_import_new_and_changed_rows_and_an_export_sent_back_changes_nothing() {
    let app = spawn_app().await;
    let staff = app.user(entity::enums::Role::Staff, None).await;
    let office = crate::helpers::fixtures::organisation(&app.db, "Programme Office")
        .await
        .id;
    let file = format!(
        "{EVENTS_HEADER}\n\
         ,Border management training,TRAINING,2026-10-14,2026-10-16,KHATLON,Bokhtar,Training centre,12,18,{office}\n\
         ,Roundtable on women's resource centres,ROUNDTABLE,2026-11-05,,SUGHD,Khujand,,20,4,{office}\n"
    );
    let (status, dry) = upload_events(&app, &staff.access_token, "?dryRun=true", &file).await;
    assert_eq!(status, 200, "{dry:#}");
    assert_eq!(dry, json!({ "dryRun": true, "records": 2, "changed": 2 }));
    assert!(events(&app).await.is_empty());
    let (_, done) = upload_events(&app, &staff.access_token, "", &file).await;
    assert_eq!(done["changed"], 2, "{done:#}");
    let stored = events(&app).await;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|event| !event.published));
    let imports = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("event.import"))
        .count(&app.db)
        .await
        .expect("audit");
    assert_eq!(imports, 1);

    // Give one a Russian title; the export in English shows the English one.
    let mut titled = stored
        .iter()
        .find(|event| event.kind == entity::enums::EventKind::Training)
        .expect("the training")
        .clone();
    titled.title.ru = Some("Обучение по управлению границами".to_owned());
    let mut update = sea_orm::IntoActiveModel::into_active_model(titled.clone());
    update.title = sea_orm::Set(titled.title.clone());
    sea_orm::ActiveModelTrait::update(update, &app.db)
        .await
        .expect("a Russian title");
    let export = app
        .client
        .get(format!("{}/exports/events.csv", app.address))
        .bearer_auth(&staff.access_token)
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    let (status, round_trip) =
        upload_events(&app, &staff.access_token, "?dryRun=true", &export).await;
    assert_eq!(status, 200, "{round_trip:#}");
    assert_eq!(round_trip["changed"], 0, "{round_trip:#}");
    // One count corrected: one change, and the other languages of its title kept.
    let corrected = export.replacen(",12,18,", ",13,18,", 1);
    assert_ne!(corrected, export);
    let (_, changed) = upload_events(&app, &staff.access_token, "", &corrected).await;
    assert_eq!(changed["changed"], 1, "{changed:#}");
    let training = entity::event::Entity::find_by_id(titled.id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("the training");
    assert_eq!(training.participants_female, 13);
    assert_eq!(training.title, titled.title);
}

#[tokio::test]
async fn an_events_file_with_bad_rows_is_refused_whole_naming_each() {
    let app = spawn_app().await;
    let staff = app.user(entity::enums::Role::Staff, None).await;
    let organisation = crate::helpers::fixtures::organisation(&app.db, "NGO A").await;
    let partner = app
        .user(entity::enums::Role::Partner, Some(organisation.id))
        .await;
    let unknown = uuid::Uuid::now_v7();
    let office = organisation.id;
    // Cells that do not read are named first...
    let unreadable = format!(
        "{EVENTS_HEADER}\n\
         ,Good training,TRAINING,2026-10-14,,KHATLON,Bokhtar,,1,1,{office}\n\
         ,Nameless kind,PICNIC,2026-10-14,,KHATLON,Bokhtar,,1,1,{office}\n\
         ,Bad count,TRAINING,14.10.2026,,KHATLON,Bokhtar,,-3,many,{office}\n"
    );
    let (status, refused) = upload_events(&app, &staff.access_token, "", &unreadable).await;
    assert_eq!(status, 400, "{refused:#}");
    assert_eq!(
        fields(&refused),
        [
            "rows.3.kind",
            "rows.4.starts_on",
            "rows.4.participants_male"
        ],
        "{refused:#}"
    );
    // ...then every row is checked as createEvent and updateEvent check one.
    let file = format!(
        "{EVENTS_HEADER}\n\
         ,Good training,TRAINING,2026-10-14,,KHATLON,Bokhtar,,1,1,{office}\n\
         ,Backwards,TRAINING,2026-10-14,2026-10-01,KHATLON,Bokhtar,,1,1,{office}\n\
         {unknown},Somebody's event,TRAINING,2026-10-14,,KHATLON,Bokhtar,,1,1,{office}\n\
         ,Too many,TRAINING,2026-10-14,,KHATLON,Bokhtar,,-3,1,{office}\n\
         ,No organiser,TRAINING,2026-10-14,,KHATLON,Bokhtar,,1,1,\n"
    );
    let (status, refused) = upload_events(&app, &staff.access_token, "", &file).await;
    assert_eq!(status, 400, "{refused:#}");
    assert_eq!(
        fields(&refused),
        [
            "rows.3.ends_on",
            "rows.4.id",
            "rows.5.participants_female",
            "rows.6.organiser_id",
        ],
        "{refused:#}"
    );
    assert!(events(&app).await.is_empty());
    // A partner records events under its organisation's projects only.
    let alone =
        format!("{EVENTS_HEADER}\n,Our own meeting,WORKSHOP,2026-10-14,,KHATLON,Bokhtar,,3,3,\n");
    let (status, refused) = upload_events(&app, &partner.access_token, "", &alone).await;
    assert_eq!(status, 400, "{refused:#}");
    assert_eq!(fields(&refused), ["rows.2.project_id"], "{refused:#}");
}
