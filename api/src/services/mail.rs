//! Mail: a durable outbox and the loop that delivers it.
//!
//! A message is written to `mail_outbox` by [`enqueue`], inside the transaction of the change
//! that causes it, so that a rolled-back change sends nothing and a committed one loses
//! nothing. A [`MailSender`] (one per server process, started by `startup`) claims the due
//! rows, sends each through its [`Transport`] and marks it sent, or puts it back with an
//! exponential backoff. A claim is a lease (`claimed_until`): taken under `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL and by an update guarded on the old lease on SQLite, so that of
//! several processes on one database exactly one sends a message; a process that dies while
//! sending leaves a lease that runs out, and the message is sent again with the same
//! `Message-ID`.
//!
//! A message carries a case code and what happened, never a survivor's data (see
//! `docs/SECURITY.md`); the logs name a message by its outbox id only, never its recipient or
//! its text.

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use entity::{enums::Language, mail_outbox};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Body, Mailbox, header::ContentTransferEncoding, header::ContentType},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr, sea_query::LockBehavior, sea_query::LockType,
};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::values::Email;
use crate::{
    db::Db,
    error::{ApiError, ApiResult},
};

/// The longest subject the outbox holds (its column's width).
const MAX_SUBJECT_CHARS: usize = 255;

/// A message to send: to one address, in the language its subject and body are written in.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub to: Email,
    /// The recipient's preferred language, which `subject` and `body` are written in.
    pub language: Language,
    /// One line; a case code and what happened, never a survivor's data.
    pub subject: String,
    /// Plain text (UTF-8).
    pub body: String,
    /// Whether the body holds a single-use link: the outbox then forgets the body once the
    /// message is sent or given up.
    pub holds_link: bool,
}

/// Puts `mail` in the outbox. Call it on the transaction of the change that causes the mail:
/// the message then exists exactly when the change does.
///
/// # Errors
/// As [`enqueue_all`].
pub async fn enqueue(conn: &impl ConnectionTrait, mail: OutgoingMail) -> ApiResult<()> {
    enqueue_all(conn, vec![mail]).await
}

/// Puts every message of `mails` in the outbox in one statement, on the transaction of the
/// change that causes them.
///
/// # Errors
/// A subject that is longer than 255 characters or not one line (a programming error: then
/// none is enqueued), or the database's.
pub async fn enqueue_all(conn: &impl ConnectionTrait, mails: Vec<OutgoingMail>) -> ApiResult<()> {
    if mails.is_empty() {
        return Ok(());
    }
    if mails.iter().any(|mail| {
        mail.subject.chars().count() > MAX_SUBJECT_CHARS || mail.subject.contains(['\r', '\n'])
    }) {
        return Err(ApiError::Internal(anyhow!(
            "a mail subject must be one line of at most {MAX_SUBJECT_CHARS} characters"
        )));
    }
    let now = Utc::now();
    mail_outbox::Entity::insert_many(mails.into_iter().map(|mail| mail_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        recipient: Set(mail.to.as_str().to_owned()),
        language: Set(mail.language),
        subject: Set(mail.subject),
        body: Set(mail.body),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
        claimed_until: Set(None),
        holds_link: Set(mail.holds_link),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Where mail goes (`PORTAL_SMTP_URL`, else `PORTAL_MAIL_DIR`).
#[derive(Clone, Debug)]
pub enum MailDelivery {
    /// A real SMTP server.
    Smtp(SmtpUrl),
    /// One `.eml` file per message in this directory (development).
    Files(PathBuf),
}

/// An SMTP server's URL: `smtp://[user:password@]host[:port]` (plain, upgraded with STARTTLS
/// whenever the server offers it; port 25 by default) or `smtps://…` (TLS from the first byte;
/// port 465 by default). The user and password are URL-decoded. The URL is a secret: it is
/// never printed.
#[derive(Clone)]
pub struct SmtpUrl(SecretString);

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("SmtpUrl([REDACTED])")
    }
}

impl SmtpUrl {
    /// Checks `raw`. The message of an error never repeats the URL, which may hold a password.
    ///
    /// # Errors
    /// A value that is not an `smtp://` or `smtps://` URL with a host.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(raw).map_err(|error| anyhow!("is not a URL ({error})"))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(anyhow!("must start with smtp:// or smtps://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(anyhow!("has no host"));
        }
        Ok(Self(SecretString::from(raw.to_owned())))
    }

    /// The transport for this server.
    fn transport(&self) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        let url = url::Url::parse(self.0.expose_secret()).context("PORTAL_SMTP_URL")?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let tls = TlsParameters::new(host.clone()).context("TLS for PORTAL_SMTP_URL")?;
        let mut builder = if url.scheme() == "smtps" {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                .port(465)
                .tls(Tls::Wrapper(tls))
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                .tls(Tls::Opportunistic(tls))
        };
        if let Some(port) = url.port() {
            builder = builder.port(port);
        }
        if !url.username().is_empty() {
            let decode = |text: &str| {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8()
                    .map(std::borrow::Cow::into_owned)
                    .context("the user or password of PORTAL_SMTP_URL is not UTF-8")
            };
            builder = builder.credentials(Credentials::new(
                decode(url.username())?,
                decode(url.password().unwrap_or_default())?,
            ));
        }
        Ok(builder.timeout(Some(SMTP_TIMEOUT)).build())
    }
}

/// How long one SMTP command may take: well within the lease, so that a message is not sent
/// twice because a slow server outlived its claim.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// When a failed message is tried again: after `first`, doubling each time up to `longest`,
/// for at most `max_attempts` attempts.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub first: Duration,
    pub longest: Duration,
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min … capped at an hour: ten attempts span about four hours.
    fn default() -> Self {
        Self {
            first: Duration::from_secs(30),
            longest: Duration::from_secs(3600),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt.
    fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.first
            .saturating_mul(2_u32.saturating_pow(doublings))
            .min(self.longest)
    }
}

/// How the server sends mail (`PORTAL_SMTP_URL`, `PORTAL_MAIL_FROM`, `PORTAL_MAIL_DIR`,
/// `PORTAL_APP_URL`).
#[derive(Clone, Debug)]
pub struct MailSettings {
    pub delivery: MailDelivery,
    /// The `From` of every message.
    pub from: Mailbox,
    /// The partner web app, where the links of invitations and resets point (no trailing
    /// slash).
    pub app_url: String,
    /// How often the outbox is looked at.
    pub poll_interval: Duration,
    pub retry: RetryPolicy,
    /// How long a claim holds a message: longer than any send can take.
    pub lease: Duration,
    /// The most messages one pass claims.
    pub batch: u64,
}

impl MailSettings {
    /// The development default's sender.
    pub const DEFAULT_FROM: &'static str = "OSCE Partner Portal <no-reply@portal.example.tj>";

    /// Settings sending through `delivery` from `from`, with the default timings.
    pub fn new(delivery: MailDelivery, from: Mailbox) -> Self {
        Self {
            delivery,
            from,
            app_url: super::DEFAULT_APP_URL.to_owned(),
            poll_interval: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(300),
            batch: 20,
        }
    }
}

/// Why a send failed, as the outbox keeps it: a short kind, never the server's words (which
/// may quote the message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendFailure {
    /// `connect`, `timeout`, `tls`, `deferred`, `rejected`, `protocol`, `client` or `io`.
    pub kind: &'static str,
    /// Trying again cannot help (the server refused the message for good).
    pub permanent: bool,
}

/// Something that sends a formatted message.
#[async_trait::async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `message`, the outbox row `id`.
    async fn send(&self, id: Uuid, message: &Message) -> Result<(), SendFailure>;
}

/// Sends through an SMTP server.
#[derive(Clone)]
pub struct SmtpTransport(AsyncSmtpTransport<Tokio1Executor>);

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("SmtpTransport")
    }
}

#[async_trait::async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, _id: Uuid, message: &Message) -> Result<(), SendFailure> {
        self.0
            .send(message.clone())
            .await
            .map(|_| ())
            .map_err(|error| {
                let kind = if error.is_timeout() {
                    "timeout"
                } else if error.is_tls() {
                    "tls"
                } else if error.is_permanent() {
                    "rejected"
                } else if error.is_transient() {
                    "deferred"
                } else if error.is_response() {
                    "protocol"
                } else if error.is_client() {
                    "client"
                } else {
                    "connect"
                };
                SendFailure {
                    kind,
                    permanent: error.is_permanent(),
                }
            })
    }
}

/// Writes each message as `<outbox id>.eml` into a directory, for development: the whole
/// message as it would go over SMTP, written to a temporary file and renamed, so that a reader
/// never sees half a message.
#[derive(Clone, Debug)]
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    /// Writes into `dir` (created when the first message is written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Where the message `id` is written.
    pub fn path_of(dir: &Path, id: Uuid) -> PathBuf {
        dir.join(format!("{id}.eml"))
    }
}

#[async_trait::async_trait]
impl Transport for FileTransport {
    async fn send(&self, id: Uuid, message: &Message) -> Result<(), SendFailure> {
        let io = |_| SendFailure {
            kind: "io",
            permanent: false,
        };
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let path = Self::path_of(&self.dir, id);
        let temporary = self.dir.join(format!(".{id}.eml.tmp"));
        tokio::fs::write(&temporary, message.formatted())
            .await
            .map_err(io)?;
        tokio::fs::rename(&temporary, &path).await.map_err(io)?;
        tracing::info!(mail = %id, path = %path.display(), "mail written to a file");
        Ok(())
    }
}

/// The transport `delivery` names.
///
/// # Errors
/// When the SMTP transport cannot be set up (its TLS configuration).
pub fn transport(delivery: &MailDelivery) -> anyhow::Result<Arc<dyn Transport>> {
    Ok(match delivery {
        MailDelivery::Smtp(url) => Arc::new(SmtpTransport(url.transport()?)),
        MailDelivery::Files(dir) => Arc::new(FileTransport::new(dir.clone())),
    })
}

/// What one pass of the sender did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
}

/// Delivers the outbox: claims the due messages, sends them, records the outcome.
#[derive(Clone, Debug)]
pub struct MailSender {
    db: Db,
    settings: Arc<MailSettings>,
    transport: Arc<dyn Transport>,
}

impl MailSender {
    /// A sender on `db` (best its own pool: its statements are background work, not a
    /// request's) sending through `transport`.
    pub fn new(db: Db, settings: MailSettings, transport: Arc<dyn Transport>) -> Self {
        Self {
            db,
            settings: Arc::new(settings),
            transport,
        }
    }

    /// Runs the loop in the background until the returned task is dropped.
    pub fn spawn(self) -> MailTask {
        MailTask(tokio::spawn(self.run()))
    }

    /// Looks at the outbox every poll interval, for ever.
    async fn run(self) {
        let period = self.settings.poll_interval;
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = self.deliver_due().await {
                tracing::warn!(?error, "mail delivery pass failed; trying again later");
            }
        }
    }

    /// One pass: claims up to a batch of due messages and sends them one by one.
    ///
    /// # Errors
    /// The database's while claiming; a failed send is recorded on its row, and a failure to
    /// record an outcome is logged, not returned.
    pub async fn deliver_due(&self) -> ApiResult<Pass> {
        let now = Utc::now();
        let mut pass = Pass::default();
        for row in self.claim(now).await? {
            let id = row.id;
            let outcome = match self.message(&row) {
                Ok(message) => self.transport.send(id, &message).await,
                Err(error) => {
                    tracing::error!(mail = %id, ?error, "mail cannot be formatted");
                    Err(SendFailure {
                        kind: "format",
                        permanent: true,
                    })
                }
            };
            let recorded = match outcome {
                Ok(()) => {
                    pass.sent += 1;
                    self.mark_sent(&row).await
                }
                Err(failure) => {
                    pass.failed += 1;
                    self.mark_failed(&row, failure).await
                }
            };
            // The rest of the batch is still sent: this row keeps its claim until the lease
            // runs out, and is then tried again (with the same Message-ID).
            if let Err(error) = recorded {
                tracing::warn!(mail = %id, ?error, "the outcome of a mail could not be recorded");
            }
        }
        Ok(pass)
    }

    /// The rows that may be sent now and that no live claim holds.
    fn due(&self, now: DateTime<Utc>) -> Condition {
        Condition::all()
            .add(mail_outbox::Column::SentAt.is_null())
            .add(mail_outbox::Column::NextAttemptAt.lte(now))
            .add(mail_outbox::Column::Attempts.lt(self.settings.retry.max_attempts))
            .add(
                Condition::any()
                    .add(mail_outbox::Column::ClaimedUntil.is_null())
                    .add(mail_outbox::Column::ClaimedUntil.lt(now)),
            )
    }

    /// Claims up to a batch of due rows for this sender until the lease runs out.
    async fn claim(&self, now: DateTime<Utc>) -> ApiResult<Vec<mail_outbox::Model>> {
        let lease = chrono::Duration::from_std(self.settings.lease)
            .map_err(|error| ApiError::Internal(error.into()))?;
        let until = now + lease;
        let candidates = mail_outbox::Entity::find()
            .filter(self.due(now))
            .order_by_asc(mail_outbox::Column::NextAttemptAt)
            .limit(self.settings.batch);
        if self.db.get_database_backend() == DbBackend::Postgres {
            // Rows another process is claiming are skipped, not waited for; the short
            // transaction only sets the lease, the sending happens outside it.
            let transaction = self.db.begin().await?;
            let rows = candidates
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(&transaction)
                .await?;
            if !rows.is_empty() {
                mail_outbox::Entity::update_many()
                    .col_expr(mail_outbox::Column::ClaimedUntil, Expr::value(until))
                    .filter(mail_outbox::Column::Id.is_in(rows.iter().map(|row| row.id)))
                    .exec(&transaction)
                    .await?;
            }
            transaction.commit().await?;
            return Ok(rows);
        }
        // SQLite has no row locks: each row is claimed by an update that only succeeds while
        // the row is still due and unclaimed, so that of two processes exactly one gets it.
        let mut claimed = Vec::new();
        for row in candidates.all(&self.db).await? {
            let taken = mail_outbox::Entity::update_many()
                .col_expr(mail_outbox::Column::ClaimedUntil, Expr::value(until))
                .filter(mail_outbox::Column::Id.eq(row.id))
                .filter(self.due(now))
                .exec(&self.db)
                .await?;
            if taken.rows_affected == 1 {
                claimed.push(row);
            }
        }
        Ok(claimed)
    }

    /// The message of `row`, with a `Message-ID` derived from the row id.
    fn message(&self, row: &mail_outbox::Model) -> anyhow::Result<Message> {
        let to: Mailbox = row
            .recipient
            .parse()
            .context("the recipient is not an address")?;
        let domain = self.settings.from.email.domain();
        let body = Body::new_with_encoding(row.body.clone(), ContentTransferEncoding::Base64)
            .map_err(|_| anyhow!("the body cannot be encoded"))?;
        Message::builder()
            .from(self.settings.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(format!("<{}@{domain}>", row.id)))
            .date(row.created_at.into())
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .context("the message cannot be built")
    }

    async fn mark_sent(&self, row: &mail_outbox::Model) -> ApiResult<()> {
        let mut update = mail_outbox::Entity::update_many();
        if row.holds_link {
            // The link is the recipient's now; the outbox keeps no working one.
            update = update.col_expr(mail_outbox::Column::Body, Expr::value(String::new()));
        }
        update
            .col_expr(mail_outbox::Column::SentAt, Expr::value(Utc::now()))
            .col_expr(mail_outbox::Column::Attempts, Expr::value(row.attempts + 1))
            .col_expr(
                mail_outbox::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(mail_outbox::Column::Id.eq(row.id))
            .exec(&self.db)
            .await?;
        tracing::info!(mail = %row.id, attempts = row.attempts + 1, "mail sent");
        Ok(())
    }

    async fn mark_failed(&self, row: &mail_outbox::Model, failure: SendFailure) -> ApiResult<()> {
        let retry = self.settings.retry;
        let attempts = row.attempts + 1;
        let given_up = failure.permanent || attempts >= retry.max_attempts;
        let backoff = retry.backoff(attempts);
        let next = Utc::now()
            + chrono::Duration::from_std(backoff)
                .map_err(|error| ApiError::Internal(error.into()))?;
        let mut update = mail_outbox::Entity::update_many();
        if given_up && row.holds_link {
            update = update.col_expr(mail_outbox::Column::Body, Expr::value(String::new()));
        }
        update
            // A refused message counts as having used every attempt, so it is never due again.
            .col_expr(
                mail_outbox::Column::Attempts,
                Expr::value(if given_up {
                    attempts.max(retry.max_attempts)
                } else {
                    attempts
                }),
            )
            .col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(next))
            .col_expr(mail_outbox::Column::LastError, Expr::value(failure.kind))
            .col_expr(
                mail_outbox::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(mail_outbox::Column::Id.eq(row.id))
            .exec(&self.db)
            .await?;
        if given_up {
            tracing::error!(
                mail = %row.id,
                attempts,
                error = failure.kind,
                "mail not delivered; given up"
            );
        } else {
            tracing::warn!(
                mail = %row.id,
                attempts,
                error = failure.kind,
                retry_in_secs = backoff.as_secs(),
                "mail not delivered; will retry"
            );
        }
        Ok(())
    }
}

/// The sender's background task: stopped when dropped (with the server that owns it).
#[derive(Debug)]
pub struct MailTask(tokio::task::JoinHandle<()>);

impl Drop for MailTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let retry = RetryPolicy::default();
        assert_eq!(retry.backoff(1), Duration::from_secs(30));
        assert_eq!(retry.backoff(2), Duration::from_secs(60));
        assert_eq!(retry.backoff(3), Duration::from_secs(120));
        assert_eq!(retry.backoff(8), Duration::from_secs(3600));
        assert_eq!(retry.backoff(40), Duration::from_secs(3600));
    }

    #[test]
    fn a_bad_smtp_url_is_refused_without_repeating_it() {
        for raw in [
            "mail.example.org",
            "http://user:hunter2@mail.example.org",
            "smtp://user:hunter2@",
        ] {
            let error = SmtpUrl::parse(raw).err().map(|error| error.to_string());
            assert!(
                error.as_ref().is_some_and(|text| !text.contains("hunter2")),
                "{raw}: {error:?}"
            );
        }
        let url = SmtpUrl::parse("smtps://user:p%40ss@mail.example.org:465");
        assert!(url.is_ok());
        assert!(!format!("{url:?}").contains("p%40ss"));
    }
}
