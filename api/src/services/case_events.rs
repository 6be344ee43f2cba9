//! Live referral events: what changed on which case, and which organisations are party to it.
//! The cases service publishes one after each committed transition; the `referralEvents`
//! subscription delivers each to the users of the parties only. Events carry ids and codes,
//! never survivor-identifying data.

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use entity::enums::CaseStatus;
use sea_orm::sqlx::{
    self,
    postgres::{PgListener, PgPool, PgPoolOptions},
};
use serde::{Deserialize, Serialize};
use tokio::{sync::broadcast, task::JoinHandle};
use uuid::Uuid;

/// What happened to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseChange {
    /// Sent to a receiving organisation (a new referral), or referred onward to another one.
    Referred,
    Accepted,
    Declined,
    ServiceStarted,
    Closed,
    Withdrawn,
    /// The survivor withdrew consent: identifying data erased, case closed.
    ConsentWithdrawn,
    /// The answer deadline passed with no answer (told by the overdue escalation job, again
    /// at its interval while it stays unanswered); the status does not change.
    DeadlinePassed,
}

/// One change of one case, as delivered to subscribers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub case_id: Uuid,
    /// `RC-<year>-<6 digits>`.
    pub code: String,
    pub change: CaseChange,
    /// The case's status after the change.
    pub status: CaseStatus,
    pub at: DateTime<Utc>,
    /// The organisations party to this change (referring, receiving, and the previous receiver
    /// of an onward referral): the only ones whose users receive it.
    pub parties: Vec<Uuid>,
    /// The organisations whose active accounts got an inbox notification about this change in
    /// its transaction (see `services::notifications`): the `notificationAdded` subscription
    /// reads them for those accounts only. Absent from events of older processes.
    #[serde(default)]
    pub notified: Vec<Uuid>,
}

/// The PostgreSQL channel events travel on between server processes.
pub const CHANNEL: &str = "referral_events";

/// Events a subscriber may fall behind by before it skips (and logs) the oldest.
const LOCAL_CAPACITY: usize = 1024;

/// PostgreSQL refuses `NOTIFY` payloads of 8000 bytes or more; an event is a few hundred.
const MAX_PAYLOAD_BYTES: usize = 7_900;

/// The first wait before reconnecting the listener, doubled after each failure up to the last.
const RECONNECT_FIRST_WAIT: Duration = Duration::from_millis(250);
const RECONNECT_LAST_WAIT: Duration = Duration::from_secs(30);

/// Delivers committed [`CaseEvent`]s to this process's subscribers, and on PostgreSQL to every
/// other server process sharing the database.
///
/// On PostgreSQL, [`CaseEventBus::publish`] only sends `NOTIFY`: a background task listening on
/// its own connection forwards every notification, this process's own included, to the local
/// channel, so each process delivers each event exactly once whichever process caused it.
#[derive(Clone)]
pub struct CaseEventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    local: broadcast::Sender<CaseEvent>,
    backend: Backend,
}

enum Backend {
    /// In-process only (SQLite, tests).
    Local,
    /// `NOTIFY` through `pool`; `listener` forwards the notifications to `local`.
    Postgres {
        pool: PgPool,
        /// The server's statement counter: each `NOTIFY` is a statement too.
        statements: crate::db::StatementCounter,
        listener: JoinHandle<()>,
    },
}

impl Drop for BusInner {
    fn drop(&mut self) {
        // The listener holds a sender of its own, not the bus: without this it would outlive
        // every handle on the bus and keep its connection open.
        if let Backend::Postgres { listener, .. } = &self.backend {
            listener.abort();
        }
    }
}

impl std::fmt::Debug for CaseEventBus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.inner.backend {
            Backend::Local => "local",
            Backend::Postgres { .. } => "postgres",
        };
        formatter
            .debug_struct("CaseEventBus")
            .field("backend", &backend)
            .field("subscribers", &self.subscriber_count())
            .finish()
    }
}

impl CaseEventBus {
    /// In-process only: a tokio broadcast channel (SQLite, tests).
    pub fn local() -> Self {
        Self::with_backend(broadcast::channel(LOCAL_CAPACITY).0, Backend::Local)
    }

    /// Across server processes through PostgreSQL's `LISTEN`/`NOTIFY` on `database_url`: a
    /// small pool sends the notifications, and a task listening on a dedicated connection
    /// forwards them to this process's subscribers, reconnecting with backoff when the
    /// connection drops. It is listening when this returns.
    ///
    /// # Errors
    /// When the database cannot be reached or `LISTEN` fails.
    pub async fn postgres(
        database_url: &str,
        statements: crate::db::StatementCounter,
    ) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .connect(database_url)
            .await
            .context("connecting the referral event publisher")?;
        let listener = listen(database_url)
            .await
            .context("listening for referral events")?;
        let local = broadcast::channel(LOCAL_CAPACITY).0;
        let task = tokio::spawn(forward(listener, database_url.to_owned(), local.clone()));
        Ok(Self::with_backend(
            local,
            Backend::Postgres {
                pool,
                statements,
                listener: task,
            },
        ))
    }

    fn with_backend(local: broadcast::Sender<CaseEvent>, backend: Backend) -> Self {
        Self {
            inner: Arc::new(BusInner { local, backend }),
        }
    }

    /// Publishes an event that was committed. Having no subscriber is not an error.
    ///
    /// # Errors
    /// When the event cannot be encoded or `NOTIFY` fails (PostgreSQL); the error is logged
    /// too. The change itself stands: only its live delivery is lost.
    pub async fn publish(&self, event: CaseEvent) -> anyhow::Result<()> {
        match &self.inner.backend {
            Backend::Local => {
                // `Err` only means that nobody is subscribed right now.
                let _ = self.inner.local.send(event);
                Ok(())
            }
            Backend::Postgres {
                pool, statements, ..
            } => {
                statements.count_one();
                let result = notify(pool, &event).await;
                if let Err(error) = &result {
                    tracing::error!(
                        error = format!("{error:#}"),
                        case_id = %event.case_id,
                        change = ?event.change,
                        "could not publish a referral event"
                    );
                }
                result
            }
        }
    }

    /// A receiver of every event published from now on (by any process, on PostgreSQL).
    pub fn subscribe(&self) -> broadcast::Receiver<CaseEvent> {
        self.inner.local.subscribe()
    }

    /// How many receivers this process has (open subscriptions, for metrics and tests).
    pub fn subscriber_count(&self) -> usize {
        self.inner.local.receiver_count()
    }
}

async fn notify(pool: &PgPool, event: &CaseEvent) -> anyhow::Result<()> {
    let payload = serde_json::to_string(event).context("encoding a referral event")?;
    anyhow::ensure!(
        payload.len() <= MAX_PAYLOAD_BYTES,
        "a referral event of {} bytes is too large for NOTIFY",
        payload.len()
    );
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(pool)
        .await
        .context("NOTIFY referral_events")?;
    Ok(())
}

/// A connection listening on [`CHANNEL`].
async fn listen(database_url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Forwards every notification to `local` until the bus is dropped. A lost connection is
/// opened again (at once, then with a growing wait while that fails); notifications sent while
/// no connection listened are lost, and the log says so.
async fn forward(
    mut listener: PgListener,
    database_url: String,
    local: broadcast::Sender<CaseEvent>,
) {
    let mut wait = RECONNECT_FIRST_WAIT;
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                wait = RECONNECT_FIRST_WAIT;
                match serde_json::from_str::<CaseEvent>(notification.payload()) {
                    // `Err` only means that nobody in this process is subscribed right now.
                    Ok(event) => {
                        let _ = local.send(event);
                    }
                    Err(error) => tracing::error!(
                        error = %error,
                        "ignoring a referral_events notification that is not an event"
                    ),
                }
            }
            // The connection dropped; the next `try_recv` opens a new one and listens again.
            Ok(None) => tracing::warn!(
                "lost the referral events connection; reconnecting (events sent meanwhile are \
                 not delivered live)"
            ),
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    retry_in_ms = wait.as_millis(),
                    "referral events listener failed; reconnecting"
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECONNECT_LAST_WAIT);
                // Start afresh rather than trust a listener in an unknown state.
                match listen(&database_url).await {
                    Ok(fresh) => {
                        listener = fresh;
                        wait = RECONNECT_FIRST_WAIT;
                        tracing::info!("listening for referral events again");
                    }
                    Err(error) => tracing::warn!(
                        error = %error,
                        "could not listen for referral events yet"
                    ),
                }
            }
        }
    }
}
