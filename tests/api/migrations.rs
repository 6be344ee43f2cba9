//! Migrations build the schema, and revert it completely. (Column-by-column agreement with the
//! entities and every constraint are checked in `migration/tests/schema.rs`.)

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::spawn_app;

async fn user_tables(app: &crate::helpers::TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name"
        }
        _ => {
            "SELECT table_name AS t FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name <> 'seaql_migrations' ORDER BY table_name"
        }
    };
    app.db
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await
        .expect("list tables")
        .iter()
        .map(|row| row.try_get::<String>("", "t").expect("table name"))
        .collect()
}

#[tokio::test]
async fn migrations_go_down_completely_and_up_again() {
    let app = spawn_app().await;
    let tables = user_tables(&app).await;
    for table in [
        "organisation",
        "account",
        "session",
        "project",
        "project_partner",
        "project_thematic_area",
        "project_region",
        "event",
        "resource_centre",
        "centre_service",
        "centre_report",
        "centre_report_line",
        "referral_case",
        "referral_transition",
        "case_code_counter",
        "audit_entry",
        "persisted_query",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing from {tables:?}"
        );
    }

    Migrator::down(&app.db, None).await.expect("down");
    assert_eq!(user_tables(&app).await, Vec::<String>::new());

    Migrator::up(&app.db, None).await.expect("up again");
    assert_eq!(user_tables(&app).await, tables);
}

/// The search text of the only centre, read without the entity (whose columns are those of the
/// newest schema).
async fn centre_search_text(app: &crate::helpers::TestApp) -> String {
    let backend = app.db.get_database_backend();
    app.db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT search_text FROM resource_centre",
        ))
        .await
        .expect("read the centre")
        .expect("a centre")
        .try_get::<String>("", "search_text")
        .expect("its search text")
}

#[tokio::test]
async fn the_search_text_split_moves_existing_addresses_apart_and_back() {
    const SPLIT: &str = "m20261202_000010_search_text_split";
    let app = spawn_app().await;
    let operator = crate::helpers::fixtures::organisation(&app.db, "Operator").await;
    let centre = crate::helpers::fixtures::centre(
        &app.db,
        crate::helpers::fixtures::NewCentre {
            name: "Safe House",
            kind: entity::enums::CentreKind::Shelter,
            operator_id: operator.id,
            district: "Vahdat",
            address: "Zarafshon Lane 9",
            ..crate::helpers::fixtures::NewCentre::default()
        },
    )
    .await;
    // Back to before the split, one migration at a time (later ones may follow it).
    while Migrator::get_applied_migrations(&app.db)
        .await
        .expect("applied migrations")
        .iter()
        .any(|migration| migration.name() == SPLIT)
    {
        Migrator::down(&app.db, Some(1)).await.expect("down");
    }
    assert_eq!(
        centre_search_text(&app).await,
        "safe house\nzarafshon lane 9\nvahdat"
    );

    Migrator::up(&app.db, None).await.expect("up");
    use sea_orm::EntityTrait;
    let split = entity::resource_centre::Entity::find_by_id(centre.id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the centre");
    assert_eq!(split.search_text, "safe house\nvahdat");
    assert_eq!(split.search_text_restricted, "zarafshon lane 9");
}

/// Runs `sql` without the entities (whose columns are those of the newest schema).
async fn raw(app: &crate::helpers::TestApp, sql: &str) {
    app.db
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

#[tokio::test]
async fn the_report_revisions_migration_remembers_services_reported_but_no_longer_offered() {
    const REVISIONS: &str = "m20261202_000017_report_revisions";
    use entity::enums::{CentreService, NotificationKind, Role};
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};

    let app = spawn_app().await;
    let operator = crate::helpers::fixtures::organisation(&app.db, "Operator").await;
    let centre = crate::helpers::fixtures::centre(
        &app.db,
        crate::helpers::fixtures::NewCentre {
            name: "Bokhtar WRC",
            operator_id: operator.id,
            services: &[
                CentreService::LegalConsultation,
                CentreService::CrisisSupport,
            ],
            ..crate::helpers::fixtures::NewCentre::default()
        },
    )
    .await;
    let partner = app.user(Role::Partner, Some(operator.id)).await;
    app.data_as(
        &partner.access_token,
        "mutation($centre: ID!) { submitCentreReport(centreId: $centre, month: \"2025-03-01\", \
         lines: [{ service: CRISIS_SUPPORT, female: 2, male: 0 }]) { id } }",
        serde_json::json!({ "centre": centre.id.to_string() }),
    )
    .await;
    // One notification about a case's kind, one about a report: going down keeps the first.
    for kind in [
        NotificationKind::DeadlinePassed,
        NotificationKind::ReportApproved,
    ] {
        entity::notification::Model {
            id: uuid::Uuid::now_v7(),
            account_id: partner.account.id,
            kind,
            case_id: None,
            case_code: Some("RC-2026-000001".to_owned()),
            report_id: None,
            report_label: None,
            period_id: None,
            period_label: None,
            at: chrono::Utc::now(),
            read_at: None,
        }
        .into_active_model()
        .insert(&app.db)
        .await
        .expect("a notification");
    }

    while Migrator::get_applied_migrations(&app.db)
        .await
        .expect("applied migrations")
        .iter()
        .any(|migration| migration.name() == REVISIONS)
    {
        Migrator::down(&app.db, Some(1)).await.expect("down");
    }
    // Before the migration, a removed service was simply forgotten.
    raw(
        &app,
        &format!(
            "DELETE FROM centre_service WHERE service = 'CRISIS_SUPPORT' AND centre_id = {}",
            match app.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => format!("'{}'", centre.id),
                _ => format!("X'{}'", centre.id.simple()),
            }
        ),
    )
    .await;

    Migrator::up(&app.db, None).await.expect("up");
    let past = entity::centre_service_past::Entity::find()
        .all(&app.db)
        .await
        .expect("past services");
    assert_eq!(
        past,
        [entity::centre_service_past::Model {
            centre_id: centre.id,
            service: CentreService::CrisisSupport,
            last_month: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("a date"),
        }]
    );
    let kinds: Vec<NotificationKind> = entity::notification::Entity::find()
        .all(&app.db)
        .await
        .expect("notifications")
        .into_iter()
        .map(|row| row.kind)
        .collect();
    assert_eq!(kinds, [NotificationKind::DeadlinePassed]);
}
