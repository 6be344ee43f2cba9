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
