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
