//! Connecting to the database, and counting the statements sent to it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::config::Config;

/// How many SQL statements this process has sent. Tests use it to prove that a query runs a
/// fixed number of statements; `/metrics` will report it.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Statements sent so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Connects to `config.database_url` with a pool sized by the configuration.
///
/// SQLite runs in WAL mode with a busy timeout, so readers do not block the writer; foreign
/// keys are enforced (sqlx turns them on for every connection). On PostgreSQL every connection
/// carries `statement_timeout` (`PORTAL_DB_STATEMENT_TIMEOUT_SECS`), so a runaway statement is
/// cancelled by the database itself even when the request that sent it is gone.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(config: &Config) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.database_max_connections)
        .min_connections(1)
        .acquire_timeout(config.database_acquire_timeout)
        .connect_timeout(config.database_acquire_timeout)
        .idle_timeout(Duration::from_secs(300))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|options| {
            options
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    if let Some(timeout) = config.database_statement_timeout {
        let milliseconds = timeout.as_millis().to_string();
        options.map_sqlx_postgres_opts(move |options| {
            options.options([("statement_timeout", milliseconds.as_str())])
        });
    }
    let mut db = Database::connect(options).await?;
    let counter = StatementCounter::default();
    let counted = counter.0.clone();
    db.set_metric_callback(move |_info| {
        counted.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

/// Checks that the database answers a trivial statement.
///
/// # Errors
/// When it does not.
pub async fn ping(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let statement = sea_orm::Statement::from_string(backend, "SELECT 1");
    db.execute_raw(statement).await.map(|_| ())
}

/// Whether the connection is to SQLite (some statements differ).
pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}
