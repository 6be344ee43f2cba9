//! Connecting to the database, and counting the statements sent to it.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use prometheus::IntCounter;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, Statement, TransactionTrait,
};

/// Where the database is and how the pool uses it (`DATABASE_URL`, `PORTAL_DB_MAX_CONNECTIONS`,
/// `PORTAL_DB_STATEMENT_TIMEOUT_SECS`).
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// The pool's size.
    pub max_connections: u32,
    /// How long a request waits for a connection of the pool, and for a new one to open.
    pub acquire_timeout: Duration,
    /// How long one SQL statement may run on PostgreSQL (`statement_timeout`); `None` for no
    /// limit. SQLite has no such setting.
    pub statement_timeout: Option<Duration>,
}

/// A pool a little larger than the machine's cores: the work per request is mostly waiting on
/// the database, and more connections than the database has cores only queue inside it.
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    u32::try_from(cores * 2 + 2).unwrap_or(10)
}

/// How many SQL statements this pool has sent. Tests use it to prove that a query runs a
/// fixed number of statements; `/metrics` reports it as `portal_db_statements_total`. It is a
/// Prometheus counter itself, so the exporter reads the very number the tests read.
///
/// sea-orm's metric callback counts the prepared statements, on the pool and inside
/// transactions; [`Db`] counts what the callback does not see: `BEGIN`, `COMMIT`, `ROLLBACK`
/// and statements sent unprepared.
#[derive(Clone, Debug)]
pub struct StatementCounter(IntCounter);

/// The name under which `/metrics` reports the [`StatementCounter`].
pub const STATEMENTS_METRIC: &str = "portal_db_statements_total";

impl Default for StatementCounter {
    fn default() -> Self {
        // The name and help are constants: building the counter cannot fail.
        let counter = IntCounter::new(
            STATEMENTS_METRIC,
            "SQL statements sent to the database by this process.",
        )
        .unwrap_or_else(|_| unreachable!("a valid metric name"));
        Self(counter)
    }
}

impl StatementCounter {
    /// Statements sent so far.
    pub fn get(&self) -> u64 {
        self.0.get()
    }

    /// Counts one statement sent outside sea-orm's metric callback.
    pub fn count_one(&self) {
        self.0.inc();
    }

    /// The counter, for registering with the exporter.
    pub fn metric(&self) -> IntCounter {
        self.0.clone()
    }
}

/// The services' handle on the pool: sea-orm's connection, with the statements its metric
/// callback does not see counted here (transactions and unprepared statements), so that
/// `portal_db_statements_total` tells the truth about writes too.
#[derive(Clone, Debug)]
pub struct Db {
    connection: DatabaseConnection,
    statements: StatementCounter,
}

impl Db {
    /// `connection`, counting into `statements` (the counter of its metric callback).
    pub fn new(connection: DatabaseConnection, statements: StatementCounter) -> Self {
        Self {
            connection,
            statements,
        }
    }

    /// The connection itself, for what needs sea-orm's type (migrations, the demo loader).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// Starts a transaction (`BEGIN`, counted; its `COMMIT` or `ROLLBACK` is counted too).
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: the transaction takes the write lock at once, waiting
    /// for it (the busy timeout) behind another writer. A deferred transaction that read first
    /// and wrote after would be refused ("database is locked") whenever another connection
    /// committed in between, as WAL mode cannot upgrade its read snapshot; seen under the
    /// background jobs' writes. PostgreSQL ignores the mode.
    ///
    /// # Errors
    /// When no connection can be had or `BEGIN` fails.
    pub async fn begin(&self) -> Result<Transaction, DbErr> {
        let inner = self
            .connection
            .begin_with_options(sea_orm::TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            })
            .await?;
        self.statements.count_one();
        Ok(Transaction {
            backend: inner.get_database_backend(),
            returning: inner.support_returning(),
            inner: Some(inner),
            statements: self.statements.clone(),
        })
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.connection.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.connection.execute_raw(statement).await
    }

    /// Counted as one statement (the callback does not see it), however many it holds.
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.statements.count_one();
        self.connection.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.connection.query_one_raw(statement).await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.connection.query_all_raw(statement).await
    }

    fn support_returning(&self) -> bool {
        self.connection.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.connection.is_mock_connection()
    }
}

/// A transaction of [`Db::begin`]: its end is counted, a commit, a rollback, or the rollback
/// sea-orm sends when it is dropped unfinished (an early `?`).
pub struct Transaction {
    /// `None` once committed or rolled back.
    inner: Option<DatabaseTransaction>,
    statements: StatementCounter,
    backend: DbBackend,
    returning: bool,
}

impl Transaction {
    fn inner(&self) -> Result<&DatabaseTransaction, DbErr> {
        self.inner
            .as_ref()
            .ok_or_else(|| DbErr::Custom("the transaction has ended".to_owned()))
    }

    /// Commits (`COMMIT`, counted).
    ///
    /// # Errors
    /// When the commit fails.
    pub async fn commit(mut self) -> Result<(), DbErr> {
        let inner = self
            .inner
            .take()
            .ok_or_else(|| DbErr::Custom("the transaction has ended".to_owned()))?;
        self.statements.count_one();
        inner.commit().await
    }

    /// Rolls back (`ROLLBACK`, counted).
    ///
    /// # Errors
    /// When the rollback fails.
    pub async fn rollback(mut self) -> Result<(), DbErr> {
        let inner = self
            .inner
            .take()
            .ok_or_else(|| DbErr::Custom("the transaction has ended".to_owned()))?;
        self.statements.count_one();
        inner.rollback().await
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // sea-orm rolls back a transaction dropped unfinished: one more statement.
        if self.inner.is_some() {
            self.statements.count_one();
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Transaction {
    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.inner()?.execute_raw(statement).await
    }

    /// Counted as one statement (the callback does not see it), however many it holds.
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.statements.count_one();
        self.inner()?.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner()?.query_one_raw(statement).await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner()?.query_all_raw(statement).await
    }

    fn support_returning(&self) -> bool {
        self.returning
    }
}

/// The state of the connection pool, for `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolState {
    /// Connections lent out to a request.
    pub in_use: u32,
    /// Connections open and waiting.
    pub idle: u32,
    /// The most the pool opens (`PORTAL_DB_MAX_CONNECTIONS`).
    pub max: u32,
}

/// The state of `db`'s pool; `None` for a connection that has no sqlx pool (a mock).
pub fn pool_state(db: &DatabaseConnection) -> Option<PoolState> {
    fn of<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> PoolState {
        let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
        PoolState {
            in_use: pool.size().saturating_sub(idle),
            idle,
            max: pool.options().get_max_connections(),
        }
    }
    match db.get_database_backend() {
        DbBackend::Postgres => Some(of(db.get_postgres_connection_pool())),
        DbBackend::Sqlite => Some(of(db.get_sqlite_connection_pool())),
        _ => None,
    }
}

/// Connects to `settings.url` with a pool of `settings.max_connections`.
///
/// SQLite runs in WAL mode with a busy timeout, so readers do not block the writer; foreign
/// keys are enforced (sqlx turns them on for every connection). On PostgreSQL every connection
/// carries `statement_timeout` (`PORTAL_DB_STATEMENT_TIMEOUT_SECS`), so a runaway statement is
/// cancelled by the database itself even when the request that sent it is gone.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(
    settings: &DatabaseSettings,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .connect_timeout(settings.acquire_timeout)
        .idle_timeout(Duration::from_secs(300))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|options| {
            options
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // Deleted and overwritten content is zeroed in the file, not left in free space:
                // erased case data must not stay readable there (see `purge_deleted_content`).
                .pragma("secure_delete", "ON")
        });
    if let Some(timeout) = settings.statement_timeout {
        let milliseconds = timeout.as_millis().to_string();
        options.map_sqlx_postgres_opts(move |options| {
            options.options([("statement_timeout", milliseconds.as_str())])
        });
    }
    let mut db = Database::connect(options).await?;
    let counter = StatementCounter::default();
    let counted = counter.0.clone();
    db.set_metric_callback(move |_info| counted.inc());
    Ok((db, counter))
}

/// After an erasure has committed, makes SQLite's files hold nothing of what was erased: with
/// `secure_delete` the database file has zeros where the values were, but the write-ahead log
/// still holds the pages as they were before; a `TRUNCATE` checkpoint copies the log into the
/// database and empties it. A reader still inside a transaction can hold the checkpoint back:
/// it is retried for a few seconds, then left to SQLite's next automatic checkpoint with a
/// warning (the log is overwritten from its start then). PostgreSQL's files are covered by
/// crypto-shredding and the maintenance docs/SECURITY.md describes, not by this.
pub async fn purge_deleted_content(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    for attempt in 0..3 {
        let statement =
            Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(TRUNCATE)");
        match db.query_one_raw(statement).await {
            // The first column is 1 when a reader or writer kept the checkpoint from finishing.
            Ok(Some(row)) if row.try_get_by_index::<i32>(0).is_ok_and(|busy| busy == 0) => {
                return;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "could not checkpoint the write-ahead log after an erasure");
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    tracing::warn!(
        "the write-ahead log was busy: erased data stays in it until the next checkpoint"
    );
}

/// Checks that the database answers a trivial statement.
///
/// # Errors
/// When it does not.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let statement = Statement::from_string(backend, "SELECT 1");
    db.execute_raw(statement).await.map(|_| ())
}

/// Whether the connection is to SQLite (some statements differ).
pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// The names of the migrations this build knows that `db` has not applied, oldest first. Only
/// reads: a database that was never migrated has no migration table, and keeps none.
///
/// # Errors
/// When the database cannot be read.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations_read_only(db)
        .await?
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect())
}

/// What to tell an operator whose database lacks the migrations `pending`.
pub fn schema_behind_message(pending: &[String]) -> String {
    format!(
        "The database is not migrated: {} of this version's migrations {} not applied ({}). \
         Run `portal migrate` first.",
        pending.len(),
        if pending.len() == 1 { "is" } else { "are" },
        pending.join(", ")
    )
}

/// Refuses a database whose schema is behind this build's.
///
/// # Errors
/// The message of [`schema_behind_message`] when migrations are pending; database errors.
pub async fn ensure_migrated(db: &DatabaseConnection) -> anyhow::Result<()> {
    let pending = pending_migrations(db).await?;
    if pending.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", schema_behind_message(&pending))
    }
}

/// Applies every pending migration; the names of those it applied, oldest first.
///
/// # Errors
/// When a migration fails; it is rolled back where the database allows.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let pending = pending_migrations(db).await?;
    Migrator::up(db, None).await?;
    Ok(pending)
}

/// The file of a SQLite `url` (`sqlite://portal.db?mode=rwc` is `portal.db`); `None` for
/// another database or an in-memory one.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_url_names_its_file() {
        let file = |url| sqlite_file(url).map(|path| path.display().to_string());
        assert_eq!(
            file("sqlite://portal.db?mode=rwc").as_deref(),
            Some("portal.db")
        );
        assert_eq!(
            file("sqlite:///var/lib/p.db").as_deref(),
            Some("/var/lib/p.db")
        );
        assert_eq!(file("sqlite:p.db").as_deref(), Some("p.db"));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("postgres://u@h/db"), None);
    }
}
