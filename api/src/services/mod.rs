//! Business rules and the only code that touches the database. Every call takes the [`Actor`]
//! first and asks [`crate::policy`] what it may see.
//!
//! [`Actor`]: crate::auth::Actor

pub mod account_links;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod case_events;
pub mod cases;
pub mod centres;
pub mod events;
pub mod fields;
pub mod idempotency;
pub mod input;
pub mod jobs;
pub mod keys;
pub mod mail;
pub mod notifications;
pub mod organisations;
pub mod pagination;
pub mod persisted_queries;
pub mod projects;
pub mod recovery_codes;
pub mod reports;
pub mod results;
pub mod review;
mod rows;
pub mod statistics;
pub mod text;
pub mod values;

use std::sync::Arc;

use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::{auth::AuthSettings, db};

/// The partner web app in development, where mailed links point unless `PORTAL_APP_URL` says.
pub const DEFAULT_APP_URL: &str = "http://localhost:3000";

/// The service layer: a handle on the database that only this module can open, the keys of
/// signing in, and the bus of live referral events.
#[derive(Clone, Debug)]
pub struct Services {
    db: db::Db,
    auth: Arc<auth::AuthState>,
    case_events: case_events::CaseEventBus,
    case_deadlines: cases::CaseDeadlines,
    suppression_threshold: i64,
    /// The protected statistics' cubes of this process.
    cubes: Arc<statistics::Cubes>,
    persisted_queries: Arc<persisted_queries::PersistedQueryState>,
    /// Where the links of invitation and reset mails point (`PORTAL_APP_URL`).
    app_url: Arc<str>,
}

impl Services {
    /// Wraps a connection pool. Referral events go to this process's subscribers only (see
    /// [`Services::with_case_events`] for a bus shared with other processes).
    pub fn new(db: DatabaseConnection, auth: &AuthSettings) -> Self {
        Self {
            db: db::Db::new(db, db::StatementCounter::default()),
            auth: auth::AuthState::new(auth),
            case_events: case_events::CaseEventBus::local(),
            case_deadlines: cases::CaseDeadlines::default(),
            suppression_threshold: statistics::DEFAULT_THRESHOLD,
            cubes: Arc::default(),
            persisted_queries: Arc::default(),
            app_url: Arc::from(DEFAULT_APP_URL),
        }
    }

    /// The same services putting `app_url` (the partner web app) in the links they mail.
    #[must_use]
    pub fn with_app_url(self, app_url: &str) -> Self {
        Self {
            app_url: Arc::from(app_url),
            ..self
        }
    }

    /// Invitations and password resets by mailed link.
    pub fn account_links(&self) -> account_links::AccountLinks<'_> {
        account_links::AccountLinks {
            db: &self.db,
            app_url: &self.app_url,
        }
    }

    /// The same services counting the statements sea-orm's metric callback does not see
    /// (transactions, unprepared statements) into `statements`: give it the counter of the
    /// connection's callback ([`db::connect`]), and `portal_db_statements_total` counts them
    /// all.
    #[must_use]
    pub fn with_statements(self, statements: db::StatementCounter) -> Self {
        Self {
            db: db::Db::new(self.db.connection().clone(), statements),
            ..self
        }
    }

    /// The same services serving persisted queries by `settings` (with a cache of their own).
    #[must_use]
    pub fn with_persisted_queries(
        self,
        settings: persisted_queries::PersistedQuerySettings,
    ) -> Self {
        Self {
            persisted_queries: Arc::new(persisted_queries::PersistedQueryState::new(settings)),
            ..self
        }
    }

    /// Persisted query documents: automatic persisted queries and the operator's list.
    pub fn persisted_queries(&self) -> persisted_queries::PersistedQueries<'_> {
        persisted_queries::PersistedQueries {
            db: &self.db,
            state: &self.persisted_queries,
        }
    }

    /// The same services with these answer deadlines for referrals.
    #[must_use]
    pub fn with_case_deadlines(self, deadlines: cases::CaseDeadlines) -> Self {
        Self {
            case_deadlines: deadlines,
            ..self
        }
    }

    /// The same services suppressing counts of people below `threshold` in statistics.
    #[must_use]
    pub fn with_suppression_threshold(self, threshold: i64) -> Self {
        Self {
            suppression_threshold: threshold,
            ..self
        }
    }

    /// Statistics (suppressed where they count people who sought help).
    pub fn statistics(&self) -> statistics::Statistics<'_> {
        statistics::Statistics::new(&self.db, self.suppression_threshold, &self.cubes)
    }

    /// Referral cases: the workflow and the protected survivor data.
    pub fn cases(&self) -> cases::Cases<'_> {
        cases::Cases {
            db: &self.db,
            keys: &self.auth.data_keys,
            deadlines: self.case_deadlines,
            events: &self.case_events,
        }
    }

    /// The same services publishing referral events on `bus`.
    #[must_use]
    pub fn with_case_events(self, bus: case_events::CaseEventBus) -> Self {
        Self {
            case_events: bus,
            ..self
        }
    }

    /// Live referral events: publish after a committed change, subscribe to deliver.
    pub fn case_events(&self) -> &case_events::CaseEventBus {
        &self.case_events
    }

    /// Signing in and out, and the actor of each request.
    pub fn auth(&self) -> auth::Auth<'_> {
        auth::Auth {
            db: &self.db,
            state: &self.auth,
        }
    }

    /// The audit log, for admins.
    pub fn audit_log(&self) -> audit::AuditLog<'_> {
        audit::AuditLog { db: &self.db }
    }

    /// Appends an entry to the audit log on its own (for actions that change nothing else,
    /// such as a download).
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_audit(
        &self,
        caller: &crate::auth::Caller,
        record: audit::AuditRecord,
    ) -> crate::error::ApiResult<()> {
        audit::record(&self.db, caller, record)
            .await
            .map_err(Into::into)
    }

    /// `Idempotency-Key` claims and first answers of mutations.
    pub fn idempotency(&self) -> idempotency::Idempotency<'_> {
        idempotency::Idempotency {
            db: &self.db,
            keys: &self.auth.data_keys,
        }
    }

    /// The signed-in account's own inbox of notifications.
    pub fn notifications(&self) -> notifications::Notifications<'_> {
        notifications::Notifications { db: &self.db }
    }

    /// Account administration.
    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts {
            db: &self.db,
            app_url: &self.app_url,
        }
    }

    /// Organisations.
    pub fn organisations(&self) -> organisations::Organisations<'_> {
        organisations::Organisations { db: &self.db }
    }

    /// Projects, their partners, areas and regions.
    pub fn projects(&self) -> projects::Projects<'_> {
        projects::Projects { db: &self.db }
    }

    /// Events.
    pub fn events(&self) -> events::Events<'_> {
        events::Events { db: &self.db }
    }

    /// Centre reports.
    pub fn reports(&self) -> reports::Reports<'_> {
        reports::Reports { db: &self.db }
    }

    /// Project indicators, their targets and results, and progress.
    pub fn results(&self) -> results::Results<'_> {
        results::Results { db: &self.db }
    }

    /// Resource centres.
    pub fn centres(&self) -> centres::Centres<'_> {
        centres::Centres { db: &self.db }
    }

    /// The state of the connection pool (for `/metrics`).
    pub fn pool_state(&self) -> Option<db::PoolState> {
        db::pool_state(self.db.connection())
    }

    /// Whether the database answers (for `/ready`).
    ///
    /// # Errors
    /// The database error when it does not.
    pub async fn ping(&self) -> Result<(), sea_orm::DbErr> {
        db::ping(self.db.connection()).await
    }

    /// Applies every pending migration.
    ///
    /// # Errors
    /// When a migration fails; it is rolled back where the database allows.
    pub async fn migrate_up(&self) -> Result<(), sea_orm::DbErr> {
        Migrator::up(self.db.connection(), None).await
    }

    /// The migrations this build knows that the database lacks (for `/ready`).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, sea_orm::DbErr> {
        db::pending_migrations(self.db.connection()).await
    }

    /// Refuses a database whose schema is behind this build's, naming `portal migrate`.
    ///
    /// # Errors
    /// When migrations are pending, or the database cannot be read.
    pub async fn ensure_migrated(&self) -> anyhow::Result<()> {
        db::ensure_migrated(self.db.connection()).await
    }

    /// Seals what is stored in plain text or under an older protection, with the configured
    /// keys (see [`cases::seal_stored`]); the server runs it at start.
    ///
    /// # Errors
    /// Database errors; stored values that the configured keys do not open.
    pub async fn seal_stored(&self) -> anyhow::Result<cases::SealSummary> {
        let txn = self.db.begin().await?;
        let summary = cases::seal_stored(&txn, &self.auth.data_keys).await?;
        txn.commit().await?;
        Ok(summary)
    }

    /// How many stored values each data key seals.
    ///
    /// # Errors
    /// Database errors.
    pub async fn key_usage(&self) -> anyhow::Result<keys::KeyUse> {
        keys::usage(&self.db).await
    }

    /// Re-seals every stored value under the current data key (`portal keys rotate`).
    ///
    /// # Errors
    /// Database errors; a stored value no configured key opens.
    pub async fn rotate_keys(&self) -> anyhow::Result<keys::Rotation> {
        keys::rotate(self.db.connection(), &self.auth.data_keys).await
    }
}
