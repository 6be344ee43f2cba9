//! The server's configuration, read from environment variables over development defaults. See
//! the README for the variables.
//!
//! Each group's settings type lives with what it configures (`db::DatabaseSettings`,
//! `auth::AuthSettings`, `http::cors::CorsSettings`, `http::proxies::TrustedProxies`,
//! `connections::ConnectionLimits`, `rate_limit::CostBudgets`, ...); this module assembles them,
//! one file per group, every variable read through the one `reader::Reader`. Nothing it
//! configures imports it: `startup` and `cli` hand each part its own settings.

mod auth;
mod data;
mod database;
mod jobs;
mod limits;
mod mail;
mod reader;
mod server;

pub use data::{DataSettings, DemoData};
pub use database::DEFAULT_DATABASE_URL;
pub use limits::LimitSettings;
pub use server::{DEFAULT_MAX_BODY_BYTES, ServerSettings};

use crate::{
    auth::AuthSettings, db::DatabaseSettings, services::jobs::JobSettings,
    services::mail::MailSettings, telemetry::LogFormat,
};

/// Where the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Local work: SQLite default, GraphiQL, demo data on first start, readable logs.
    Development,
    /// Real use: explicit database, no GraphiQL, no introspection, no demo data, JSON logs.
    Production,
}

impl Environment {
    /// `development` in development, `production` in production: the defaults that differ.
    fn either<T>(self, development: T, production: T) -> T {
        match self {
            Self::Development => development,
            Self::Production => production,
        }
    }
}

/// The server's settings, one group per part of the server.
#[derive(Clone, Debug)]
pub struct Config {
    /// Development or production (`PORTAL_ENV`): the defaults that differ follow it.
    pub environment: Environment,
    /// Log line format (`PORTAL_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// The database and the pool, for `db::connect`.
    pub database: DatabaseSettings,
    /// The HTTP server: address, body and time limits, CORS, proxies, subscriptions, metrics.
    pub server: ServerSettings,
    /// Signing in: the token key, the data keys, two-factor authentication, the sign-in limit.
    pub auth: AuthSettings,
    /// Query-cost budgets and persisted queries.
    pub limits: LimitSettings,
    /// The demo data, referral deadlines and the suppression of small counts.
    pub data: DataSettings,
    /// Mail: the SMTP server or the `.eml` directory, the sender, the retries.
    pub mail: MailSettings,
    /// The scheduled jobs: overdue escalation and the daily digest.
    pub jobs: JobSettings,
}

impl Config {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// A variable with an invalid value, or production without `DATABASE_URL`.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    ///
    /// # Errors
    /// As [`Config::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let reader = reader::Reader::new(&lookup);
        let environment = reader.choice(
            "PORTAL_ENV",
            &[
                ("development", Environment::Development),
                ("production", Environment::Production),
            ],
            Environment::Development,
        )?;
        let database = database::read(&reader, environment)?;
        let server = server::read(&reader)?;
        let log_format = reader.choice(
            "PORTAL_LOG_FORMAT",
            &[("json", LogFormat::Json), ("pretty", LogFormat::Pretty)],
            environment.either(LogFormat::Pretty, LogFormat::Json),
        )?;
        let auth = auth::read(&reader, environment)?;
        let limits = limits::read(&reader)?;
        let data = data::read(&reader, environment)?;
        let mail = mail::read(&reader, environment, &database.url)?;
        let jobs = jobs::read(&reader)?;
        Ok(Self {
            environment,
            log_format,
            database,
            server,
            auth,
            limits,
            data,
            mail,
            jobs,
        })
    }

    /// True in development.
    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, time::Duration};

    use super::*;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_to_development_on_sqlite() -> anyhow::Result<()> {
        let config = config(&[])?;
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.database.url, DEFAULT_DATABASE_URL);
        assert_eq!(config.data.demo_data, DemoData::FirstStart);
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert!(config.auth.jwt_secret_generated);
        assert!(config.auth.data_keys_insecure);
        assert!(!config.auth.totp_required_for_admin);
        Ok(())
    }

    #[test]
    fn production_requires_a_database_url_and_never_loads_demo_data() -> anyhow::Result<()> {
        assert!(config(&[("PORTAL_ENV", "production")]).is_err());
        let production = [
            ("PORTAL_ENV", "production"),
            ("DATABASE_URL", "postgres://portal@db/portal"),
            ("PORTAL_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            (
                "PORTAL_DATA_KEYS",
                "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ),
        ];
        let config = config(&production)?;
        assert!(config.auth.totp_required_for_admin);
        assert!(!config.auth.jwt_secret_generated);
        for missing in ["PORTAL_JWT_SECRET", "PORTAL_DATA_KEYS"] {
            let without: Vec<_> = production
                .iter()
                .copied()
                .filter(|(name, _)| *name != missing)
                .collect();
            assert!(self::config(&without).is_err(), "{missing} is required");
        }
        let short_key: Vec<_> = production
            .iter()
            .map(|&(name, value)| {
                if name == "PORTAL_JWT_SECRET" {
                    (name, "too short")
                } else {
                    (name, value)
                }
            })
            .collect();
        assert!(self::config(&short_key).is_err());
        assert_eq!(config.data.demo_data, DemoData::Never);
        assert_eq!(config.log_format, LogFormat::Json);
        Ok(())
    }

    #[test]
    fn production_mail_through_smtp_needs_a_sender_and_the_apps_address() -> anyhow::Result<()> {
        let production = [
            ("PORTAL_ENV", "production"),
            ("DATABASE_URL", "postgres://portal@db/portal"),
            ("PORTAL_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            (
                "PORTAL_DATA_KEYS",
                "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ),
            ("PORTAL_SMTP_URL", "smtps://portal:hunter2@mail.example.org"),
        ];
        let error = config(&production).err().map(|error| error.to_string());
        assert!(
            error
                .as_ref()
                .is_some_and(|text| text.contains("PORTAL_MAIL_FROM") && !text.contains("hunter2")),
            "{error:?}"
        );
        let mut with_sender = production.to_vec();
        with_sender.push(("PORTAL_MAIL_FROM", "Portal <portal@example.org>"));
        // Its links must point at the real web app, not at a development address.
        let error = config(&with_sender).err().map(|error| error.to_string());
        assert!(
            error
                .as_ref()
                .is_some_and(|text| text.contains("PORTAL_APP_URL") && !text.contains("hunter2")),
            "{error:?}"
        );
        with_sender.push(("PORTAL_APP_URL", "https://portal.example.org"));
        let config = config(&with_sender)?;
        assert_eq!(config.mail.app_url, "https://portal.example.org");
        assert!(matches!(
            config.mail.delivery,
            crate::services::mail::MailDelivery::Smtp(_)
        ));
        assert!(!format!("{config:?}").contains("hunter2"));
        Ok(())
    }

    #[test]
    fn rejects_unknown_values() {
        assert!(config(&[("PORTAL_ENV", "staging")]).is_err());
        assert!(config(&[("PORTAL_LISTEN", "port 80")]).is_err());
        assert!(config(&[("PORTAL_DB_MAX_CONNECTIONS", "0")]).is_err());
        assert!(config(&[("PORTAL_MAX_BODY_BYTES", "10")]).is_err());
        assert!(config(&[("PORTAL_REQUEST_TIMEOUT_SECS", "0")]).is_err());
        assert!(config(&[("PORTAL_DB_STATEMENT_TIMEOUT_SECS", "soon")]).is_err());
        assert!(config(&[("PORTAL_PERSISTED_QUERIES_ONLY", "yes")]).is_err());
        assert!(config(&[("PORTAL_PERSISTED_QUERIES_MAX", "0")]).is_err());
        for origin in [
            "*",
            "portal.example.org",
            "https://portal.example.org/",
            "https://",
        ] {
            assert!(
                config(&[("PORTAL_CORS_ORIGINS", origin)]).is_err(),
                "{origin}"
            );
        }
    }

    #[test]
    fn reads_the_rate_limits_and_trusted_proxies() -> anyhow::Result<()> {
        let defaults = config(&[])?;
        assert_eq!(
            defaults.limits.cost_budgets,
            crate::rate_limit::CostBudgets::default()
        );
        assert!(defaults.server.trusted_proxies.is_empty());
        assert!(defaults.server.metrics_token.is_none());
        assert_eq!(
            (
                defaults.server.connections.total,
                defaults.server.connections.per_account
            ),
            (1000, 10)
        );
        let set = config(&[
            ("PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE", "100"),
            ("PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE", "1000"),
            ("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ])?;
        assert_eq!(set.limits.cost_budgets.per_account.get(), 100);
        assert_eq!(set.limits.cost_budgets.per_address.get(), 1000);
        assert!(!set.server.trusted_proxies.is_empty());
        for (name, value) in [
            ("PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE", "0"),
            ("PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE", "many"),
            ("PORTAL_TRUSTED_PROXIES", "proxy.internal"),
            ("PORTAL_METRICS_TOKEN", "short"),
            ("PORTAL_WS_MAX_CONNECTIONS", "0"),
            ("PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT", "some"),
            ("PORTAL_CORS_ALLOWED_HEADERS", "x-build, not a header"),
        ] {
            assert!(config(&[(name, value)]).is_err(), "{name}={value}");
        }
        Ok(())
    }

    #[test]
    fn reads_the_http_limits_and_origins() -> anyhow::Result<()> {
        let defaults = config(&[])?;
        assert_eq!(defaults.server.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(defaults.server.request_timeout, Duration::from_secs(15));
        assert_eq!(
            defaults.database.statement_timeout,
            Some(Duration::from_secs(10))
        );
        assert!(defaults.server.cors.origins.is_empty());
        let set = config(&[
            ("PORTAL_MAX_BODY_BYTES", "4096"),
            ("PORTAL_REQUEST_TIMEOUT_SECS", "2"),
            ("PORTAL_DB_STATEMENT_TIMEOUT_SECS", "0"),
            (
                "PORTAL_CORS_ORIGINS",
                "https://portal.example.org, http://localhost:5173,",
            ),
        ])?;
        assert_eq!(set.server.max_body_bytes, 4096);
        assert_eq!(set.server.request_timeout, Duration::from_secs(2));
        assert_eq!(set.database.statement_timeout, None);
        assert_eq!(
            set.server.cors.origins,
            ["https://portal.example.org", "http://localhost:5173"]
        );
        Ok(())
    }
}
