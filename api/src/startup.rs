//! Builds the HTTP application, for `main` and for the tests alike: the database, the
//! services, the middleware around [`http::routes`], the listener and the shutdown signal. The
//! handlers are in [`crate::http`].

use std::net::TcpListener;

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use sea_orm::{DatabaseConnection, DbBackend};
use tracing_actix_web::TracingLogger;

use crate::{
    config::{Config, DemoData},
    connections::ConnectionCaps,
    db::{self, StatementCounter},
    demo,
    graphql::{self, Exposure},
    http::{
        self, AppState,
        exports::iati::IatiSettings,
        middleware::{RequestSpan, record_request, security_headers},
    },
    metrics::Metrics,
    rate_limit::CostLimiter,
    services::Services,
    services::case_events::CaseEventBus,
    services::jobs::{JobTask, Scheduler},
    services::mail::{self, MailDelivery, MailSender, MailTask},
};

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    port: u16,
    pub statements: StatementCounter,
    case_events: CaseEventBus,
    /// The mail outbox's delivery loop: stopped with the server.
    mail: MailTask,
    /// The scheduled jobs' loop (overdue escalation, daily digest): stopped with the server.
    jobs: JobTask,
}

impl Application {
    /// Connects to the database, applies migrations and the demo data as configured, and binds
    /// the listener.
    ///
    /// # Errors
    /// When the database is unreachable, a migration fails or the address cannot be bound.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        if config.auth.jwt_secret_generated {
            tracing::warn!(
                "PORTAL_JWT_SECRET is not set: signing tokens with a key generated for this \
                 process; sessions end when it stops"
            );
        }
        if config.auth.data_keys_insecure {
            tracing::warn!(
                "PORTAL_DATA_KEYS is not set: encrypting with the publicly known development key"
            );
        }
        if let (MailDelivery::Files(dir), false) = (&config.mail.delivery, config.is_development())
        {
            tracing::warn!(
                dir = %dir.display(),
                "PORTAL_SMTP_URL is not set: mail is written to files in PORTAL_MAIL_DIR, and \
                 nobody receives it"
            );
        }
        if config.data.iati.organisation_ref_is_default && !config.is_development() {
            tracing::warn!(
                organisation_ref = IatiSettings::DEFAULT_ORGANISATION_REF,
                "PORTAL_IATI_ORGANISATION_REF is not set: the IATI export names its reporting \
                 organisation by an identifier that is not registered"
            );
        }
        let (db, statements) = db::connect(&config.database).await?;
        let services = Services::new(db.clone(), &config.auth);
        // The first sign-in with an unknown email would otherwise pay for building the dummy
        // hash, and take longer than the others.
        crate::auth::password::warm_up().await?;
        if config.is_development() {
            services.migrate_up().await?;
        } else {
            // Production never changes the schema by itself (`portal migrate` does, on
            // purpose); serving an older schema would fail request by request instead.
            services.ensure_migrated().await?;
        }
        if config.data.demo_data == DemoData::FirstStart {
            let demo_accounts = match demo::load_if_missing(&db, &config.auth.data_keys).await? {
                demo::DemoLoad::Loaded(summary) => {
                    tracing::info!(?summary, "loaded the demo data");
                    true
                }
                demo::DemoLoad::AlreadyLoaded => true,
                demo::DemoLoad::RefusedForRealAdmin { admin } => {
                    tracing::warn!(
                        %admin,
                        "the demo data is not loaded: this database has an admin account that \
                         is not a demo account, and the demo accounts' passwords are public \
                         (set PORTAL_DEMO_DATA=never to silence this)"
                    );
                    false
                }
            };
            if demo_accounts {
                for login in demo::logins()? {
                    tracing::info!(
                        role = login.role.as_str(),
                        email = login.email.as_str(),
                        password = login.password.as_str(),
                        "demo login"
                    );
                }
            }
        }
        // Stored text from before cases had keys of their own, or written by the demo or
        // benchmark loaders, is sealed before anything is served.
        let sealed = services.seal_stored().await?;
        if sealed != crate::services::cases::SealSummary::default() {
            tracing::info!(?sealed, "sealed stored case data with each case's own key");
        }
        let listener = TcpListener::bind(config.server.listen).map_err(|error| {
            anyhow::anyhow!(
                "cannot listen on {} (PORTAL_LISTEN): {error}; is another server running there? \
                 Stop it or set PORTAL_LISTEN to another address.",
                config.server.listen
            )
        })?;
        Self::from_parts(config, db, statements, listener).await
    }

    /// Builds the server on an existing pool and listener (tests use port 0), with the bus of
    /// referral events for the database: shared with every server process through PostgreSQL,
    /// in-process on SQLite.
    ///
    /// # Errors
    /// When the listener cannot be used, or PostgreSQL refuses to `LISTEN`.
    pub async fn from_parts(
        config: &Config,
        db: DatabaseConnection,
        statements: StatementCounter,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let case_events = match db.get_database_backend() {
            DbBackend::Postgres => {
                CaseEventBus::postgres(&config.database.url, statements.clone()).await?
            }
            _ => CaseEventBus::local(),
        };
        let services = Services::new(db, &config.auth)
            .with_statements(statements.clone())
            .with_case_events(case_events.clone())
            .with_case_deadlines(config.data.case_deadlines)
            .with_suppression_threshold(config.data.suppression_threshold)
            .with_persisted_queries(config.limits.persisted_queries)
            .with_app_url(&config.mail.app_url);
        let exposure = if config.is_development() {
            Exposure::Development
        } else {
            Exposure::Production
        };
        let metrics = Metrics::new(&statements)?;
        let state = AppState {
            schema: graphql::build(services.clone(), exposure),
            services,
            development: config.is_development(),
            max_body_bytes: config.server.max_body_bytes,
            request_timeout: config.server.request_timeout,
            ws_init_timeout: config.server.ws_init_timeout,
            cost_limiter: CostLimiter::new(config.limits.cost_budgets, metrics.clone()),
            trusted_proxies: config.server.trusted_proxies.clone(),
            connection_caps: ConnectionCaps::new(
                config.server.connections.total,
                config.server.connections.per_account,
            ),
            metrics,
            metrics_token: config.server.metrics_token.clone(),
            iati: config.data.iati.clone(),
            query_plans: config.server.query_plans,
        };
        let mail = mail_sender(config).await?.spawn();
        let jobs = scheduler(config, case_events.clone()).await?.spawn();
        let production = !config.is_development();
        let cors_origins = config.server.cors.origins.clone();
        let cors_headers = config.server.cors.allowed_headers.clone();
        let server = HttpServer::new(move || {
            // The last `wrap` is the outermost: the log and the metrics see every answer and
            // the security headers go on every answer, refusals of CORS included.
            App::new()
                .wrap(http::cors::middleware(&cors_origins, &cors_headers))
                .wrap({
                    let allowed = cors_headers.clone();
                    from_fn(move |request, next| {
                        http::cors::explain_refusal(allowed.clone(), request, next)
                    })
                })
                .wrap(security_headers(production))
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(from_fn(record_request))
                .app_data(web::Data::new(state.clone()))
                .configure(http::routes)
        })
        .shutdown_signal(shutdown_signal())
        .listen(listener)?
        .run();
        Ok(Self {
            server,
            port,
            statements,
            case_events,
            mail,
            jobs,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bus the server's subscriptions listen on (tests publish on it).
    pub fn case_events(&self) -> &CaseEventBus {
        &self.case_events
    }

    /// Serves until the server is stopped: SIGINT (Ctrl-C) and SIGTERM alike close the
    /// listener and let the requests in flight finish (see [`shutdown_signal`]).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server, mail, jobs, ..
        } = self;
        let stopped = server.await;
        drop(jobs);
        drop(mail);
        stopped
    }
}

/// The mail outbox's sender, on a small pool of its own: its polling is background work, and
/// counted with the requests' statements it would blur what `portal_db_statements_total` and
/// the tests measure.
async fn mail_sender(config: &Config) -> anyhow::Result<MailSender> {
    let settings = db::DatabaseSettings {
        max_connections: 2,
        ..config.database.clone()
    };
    let (db, statements) = db::connect(&settings).await?;
    let transport = mail::transport(&config.mail.delivery)?;
    Ok(MailSender::new(
        db::Db::new(db, statements),
        config.mail.clone(),
        transport,
    ))
}

/// The scheduled jobs, on a small pool of their own for the same reason as the mail sender's,
/// publishing what they tell on the server's bus of referral events.
async fn scheduler(config: &Config, events: CaseEventBus) -> anyhow::Result<Scheduler> {
    let settings = db::DatabaseSettings {
        max_connections: 2,
        ..config.database.clone()
    };
    let (db, statements) = db::connect(&settings).await?;
    Ok(Scheduler::new(
        db::Db::new(db, statements),
        events,
        config.jobs.clone(),
    ))
}

/// Resolves at the first SIGINT (Ctrl-C) or SIGTERM. Given to the server as its shutdown
/// signal, it makes both stop gracefully: actix on its own treats SIGINT as a forced stop that
/// cuts the requests in flight, while an operator's Ctrl-C means what SIGTERM means.
///
/// The handlers are installed here, when the server is built, not when the future is first
/// polled: the server answers before it polls its signal, and a signal in between would meet
/// the default action and kill the process.
fn shutdown_signal() -> futures_util::future::BoxFuture<'static, ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                return Box::pin(async move {
                    tokio::select! {
                        _ = interrupt.recv() => tracing::info!("SIGINT received; draining"),
                        _ = terminate.recv() => tracing::info!("SIGTERM received; draining"),
                    }
                });
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "cannot listen for SIGINT and SIGTERM; trying Ctrl-C");
            }
        }
    }
    Box::pin(async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("SIGINT received; draining"),
            Err(error) => {
                tracing::warn!(%error, "cannot listen for Ctrl-C: stop the server with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
    })
}
