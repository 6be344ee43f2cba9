//! A version per protected statistic, raised by the database itself whenever a row its counts
//! are made of changes. A server keeps the protection of the counts (built from every case or
//! every report line) in memory and rebuilds it only when the version it read is not the one
//! it built from, so every server process of a deployment sees another's writes at its next
//! request without a message between them.
//!
//! Triggers, not the services, raise the versions: no write path (a service, an import, an
//! operator's SQL) can forget to. On PostgreSQL they are deferred to the commit and raise a
//! version at most once per transaction, so the version's row lock is the last lock a writing
//! transaction takes (two transactions writing cases in different orders cannot deadlock on
//! it). SQLite has one writer at a time and plain triggers.
//!
//! A later migration that rebuilds one of these tables on SQLite (create, copy, drop, rename)
//! drops its triggers with it and must create them again.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A table whose rows a version counts, with the columns of an update that matter (`None`: any).
type Source = (&'static str, Option<&'static str>);

/// Each version, and the tables whose rows it counts.
const SOURCES: [(&str, &[Source]); 2] = [
    (
        "referral_cases",
        &[
            (
                "referral_case",
                Some(
                    "kind, status, risk, region, referred_at, first_response_at, outcome, \
                     referring_organisation_id, receiving_organisation_id",
                ),
            ),
            (
                "referral_transition",
                Some("case_id, receiving_organisation_id"),
            ),
        ],
    ),
    (
        "people_served",
        &[
            ("resource_centre", Some("region, operator_id")),
            ("centre_service", None),
            ("centre_report", None),
            ("centre_report_line", None),
        ],
    ),
];

fn trigger_name(table: &str, event: &str) -> String {
    format!("trg_{table}_statistics_version_{event}")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StatisticsVersion::Table)
                    .col(
                        ColumnDef::new(StatisticsVersion::Name)
                            .string_len(40)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StatisticsVersion::Version)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    // PostgreSQL: the transaction that raised the version last.
                    .col(ColumnDef::new(StatisticsVersion::BumpedBy).big_integer())
                    .to_owned(),
            )
            .await?;
        let connection = manager.get_connection();
        for (name, _) in SOURCES {
            connection
                .execute_unprepared(&format!(
                    "INSERT INTO statistics_version (name, version) VALUES ('{name}', 0)"
                ))
                .await?;
        }
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                connection
                    .execute_unprepared(
                        "CREATE FUNCTION raise_statistics_version() RETURNS trigger \
                         LANGUAGE plpgsql AS $$ \
                         BEGIN \
                           UPDATE statistics_version \
                              SET version = version + 1, bumped_by = txid_current() \
                            WHERE name = TG_ARGV[0] \
                              AND bumped_by IS DISTINCT FROM txid_current(); \
                           RETURN NULL; \
                         END $$",
                    )
                    .await?;
                for (name, tables) in SOURCES {
                    for (table, columns) in tables {
                        let update =
                            columns.map_or("UPDATE".to_owned(), |c| format!("UPDATE OF {c}"));
                        connection
                            .execute_unprepared(&format!(
                                "CREATE CONSTRAINT TRIGGER {trigger} \
                                 AFTER INSERT OR {update} OR DELETE ON {table} \
                                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
                                 EXECUTE FUNCTION raise_statistics_version('{name}')",
                                trigger = trigger_name(table, "write"),
                            ))
                            .await?;
                    }
                }
            }
            _ => {
                for (name, tables) in SOURCES {
                    for (table, columns) in tables {
                        let update =
                            columns.map_or("UPDATE".to_owned(), |c| format!("UPDATE OF {c}"));
                        for (event, when) in [
                            ("insert", "INSERT"),
                            ("update", &update),
                            ("delete", "DELETE"),
                        ] {
                            connection
                                .execute_unprepared(&format!(
                                    "CREATE TRIGGER {trigger} AFTER {when} ON {table} BEGIN \
                                     UPDATE statistics_version SET version = version + 1 \
                                     WHERE name = '{name}'; END",
                                    trigger = trigger_name(table, event),
                                ))
                                .await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (_, tables) in SOURCES {
            for (table, _) in tables {
                if postgres {
                    connection
                        .execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {} ON {table}",
                            trigger_name(table, "write")
                        ))
                        .await?;
                } else {
                    for event in ["insert", "update", "delete"] {
                        connection
                            .execute_unprepared(&format!(
                                "DROP TRIGGER IF EXISTS {}",
                                trigger_name(table, event)
                            ))
                            .await?;
                    }
                }
            }
        }
        if postgres {
            connection
                .execute_unprepared("DROP FUNCTION IF EXISTS raise_statistics_version()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(StatisticsVersion::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StatisticsVersion {
    Table,
    Name,
    Version,
    BumpedBy,
}
