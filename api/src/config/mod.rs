//! Typed configuration, read from environment variables over development defaults.

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretBox, SecretString};

use crate::crypto::DataKeys;

/// Where the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Local work: SQLite default, GraphiQL, demo data on first start, readable logs.
    Development,
    /// Real use: explicit database, no GraphiQL, no introspection, no demo data, JSON logs.
    Production,
}

/// When `serve` loads the demo data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoData {
    /// When the database has none yet (the development default).
    FirstStart,
    /// Never (the production default).
    Never,
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The server's settings. See the README for the variables.
#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    pub database_url: String,
    pub database_max_connections: u32,
    pub database_acquire_timeout: Duration,
    pub listen: SocketAddr,
    pub demo_data: DemoData,
    pub log_format: LogFormat,
    pub auth: AuthConfig,
    /// How long a receiving organisation has to answer a referral.
    pub case_deadlines: crate::services::cases::CaseDeadlines,
    /// Counts of people below this are suppressed in statistics (`PORTAL_SUPPRESSION_THRESHOLD`).
    pub suppression_threshold: i64,
    /// The largest request body read, counted while it is read.
    pub max_body_bytes: usize,
    /// How long a request may take, from its headers to its answer.
    pub request_timeout: Duration,
    /// How long a subscription connection may wait before its `connection_init`
    /// (`PORTAL_WS_INIT_TIMEOUT_SECS`); past it the connection is closed.
    pub ws_init_timeout: Duration,
    /// How long one SQL statement may run on PostgreSQL (`statement_timeout`); `None` for no
    /// limit. SQLite has no such setting.
    pub database_statement_timeout: Option<Duration>,
    /// Origins (`https://host[:port]`) whose pages may call the API from a browser.
    pub cors_origins: Vec<String>,
    /// The request headers those pages may send (`PORTAL_CORS_ALLOWED_HEADERS` adds to the
    /// defaults).
    pub cors_allowed_headers: crate::cors::AllowedHeaders,
    /// The bearer token `/metrics` asks for (`PORTAL_METRICS_TOKEN`). Without one, `/metrics`
    /// is open in development and off in production.
    pub metrics_token: Option<SecretString>,
    /// Query cost allowed per minute per account and per client address.
    pub cost_budgets: crate::rate_limit::CostBudgets,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`PORTAL_TRUSTED_PROXIES`).
    pub trusted_proxies: crate::proxies::TrustedProxies,
    /// Subscription connections open at once (`PORTAL_WS_MAX_CONNECTIONS`).
    pub ws_max_connections: usize,
    /// Subscription connections one account may hold (`PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT`).
    pub ws_max_connections_per_account: usize,
    /// Automatic persisted queries, or the operator's list only
    /// (`PORTAL_PERSISTED_QUERIES_ONLY`, `PORTAL_PERSISTED_QUERIES_MAX`).
    pub persisted_queries: crate::services::persisted_queries::PersistedQuerySettings,
}

/// Secrets and rules of signing in.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// HS256 key of access tokens.
    pub jwt_secret: JwtSecret,
    /// Whether `jwt_secret` was generated at start (development only): tokens die with the
    /// process.
    pub jwt_secret_generated: bool,
    /// Keys that encrypt TOTP secrets (and, later, case data).
    pub data_keys: DataKeys,
    /// Whether `data_keys` is the publicly known development key.
    pub data_keys_insecure: bool,
    /// Whether ADMIN accounts must enrol in two-factor authentication before doing anything.
    pub totp_required_for_admin: bool,
    /// Logins allowed per client address per minute (per server process).
    pub login_attempts_per_minute: u32,
}

/// The access-token signing key; never printed.
#[derive(Clone)]
pub struct JwtSecret(std::sync::Arc<SecretBox<Vec<u8>>>);

impl JwtSecret {
    /// Wraps key bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(std::sync::Arc::new(SecretBox::new(Box::new(bytes))))
    }

    /// The key bytes, for signing and verifying only.
    pub fn bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("JwtSecret(..)")
    }
}

/// The shortest signing key accepted: 256 bits, the size of HS256's output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl AuthConfig {
    fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        environment: Environment,
    ) -> anyhow::Result<Self> {
        let production = environment == Environment::Production;
        let (jwt_secret, jwt_secret_generated) = match lookup("PORTAL_JWT_SECRET") {
            Some(secret) => {
                let secret = SecretString::from(secret);
                if secret.expose_secret().len() < MIN_JWT_SECRET_BYTES {
                    bail!("PORTAL_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes long");
                }
                (secret.expose_secret().as_bytes().to_vec(), false)
            }
            None if production => {
                bail!(
                    "PORTAL_JWT_SECRET (at least {MIN_JWT_SECRET_BYTES} bytes) is required in production"
                )
            }
            None => {
                let mut secret = vec![0_u8; MIN_JWT_SECRET_BYTES];
                getrandom::fill(&mut secret)
                    .map_err(|error| anyhow::anyhow!("no random numbers: {error}"))?;
                (secret, true)
            }
        };
        let (data_keys, data_keys_insecure) = match lookup("PORTAL_DATA_KEYS") {
            Some(spec) => (DataKeys::parse(&spec).context("PORTAL_DATA_KEYS")?, false),
            None if production => {
                bail!("PORTAL_DATA_KEYS (`id:base64-of-32-bytes`) is required in production")
            }
            None => (DataKeys::development(), true),
        };
        let totp_required_for_admin = match lookup("PORTAL_TOTP_REQUIRED_FOR_ADMIN").as_deref() {
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                bail!("PORTAL_TOTP_REQUIRED_FOR_ADMIN must be `true` or `false`, not `{other}`")
            }
            None => production,
        };
        let login_attempts_per_minute = match lookup("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE") {
            Some(value) => value
                .parse()
                .ok()
                .filter(|value| *value > 0)
                .context("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE must be a positive number")?,
            None => 30,
        };
        Ok(Self {
            jwt_secret: JwtSecret::from_bytes(jwt_secret),
            jwt_secret_generated,
            data_keys,
            data_keys_insecure,
            totp_required_for_admin,
            login_attempts_per_minute,
        })
    }
}

/// The development database: `portal.db` in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://portal.db?mode=rwc";

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
        let environment = match lookup("PORTAL_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                bail!("PORTAL_ENV must be `development` or `production`, not `{other}`")
            }
        };
        let database_url = match (lookup("DATABASE_URL"), environment) {
            (Some(url), _) => url,
            (None, Environment::Development) => DEFAULT_DATABASE_URL.to_owned(),
            (None, Environment::Production) => {
                bail!("DATABASE_URL is required when PORTAL_ENV=production")
            }
        };
        let listen = lookup("PORTAL_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
            .parse()
            .context("PORTAL_LISTEN must be an address such as 127.0.0.1:8080")?;
        let database_max_connections = match lookup("PORTAL_DB_MAX_CONNECTIONS") {
            Some(value) => value
                .parse()
                .context("PORTAL_DB_MAX_CONNECTIONS must be a positive number")?,
            None => default_pool_size(),
        };
        if database_max_connections == 0 {
            bail!("PORTAL_DB_MAX_CONNECTIONS must be at least 1");
        }
        let demo_data = match (lookup("PORTAL_DEMO_DATA").as_deref(), environment) {
            (Some("first-start"), _) => DemoData::FirstStart,
            (Some("never"), _) => DemoData::Never,
            (Some(other), _) => {
                bail!("PORTAL_DEMO_DATA must be `first-start` or `never`, not `{other}`")
            }
            (None, Environment::Development) => DemoData::FirstStart,
            (None, Environment::Production) => DemoData::Never,
        };
        let log_format = match (lookup("PORTAL_LOG_FORMAT").as_deref(), environment) {
            (Some("json"), _) => LogFormat::Json,
            (Some("pretty"), _) => LogFormat::Pretty,
            (Some(other), _) => {
                bail!("PORTAL_LOG_FORMAT must be `json` or `pretty`, not `{other}`")
            }
            (None, Environment::Development) => LogFormat::Pretty,
            (None, Environment::Production) => LogFormat::Json,
        };
        let auth = AuthConfig::from_lookup(&lookup, environment)?;
        let hours = |name: &str, default: i64| -> anyhow::Result<chrono::Duration> {
            let hours = match lookup(name) {
                Some(value) => value
                    .parse::<i64>()
                    .ok()
                    .filter(|hours| (1..=24 * 30).contains(hours))
                    .with_context(|| format!("{name} must be a number of hours, 1 to 720"))?,
                None => default,
            };
            Ok(chrono::Duration::hours(hours))
        };
        let case_deadlines = crate::services::cases::CaseDeadlines {
            standard: hours("PORTAL_CASE_RESPONSE_HOURS", 72)?,
            high_risk: hours("PORTAL_CASE_RESPONSE_HOURS_HIGH_RISK", 24)?,
        };
        let suppression_threshold = match lookup("PORTAL_SUPPRESSION_THRESHOLD") {
            Some(value) => value
                .parse::<i64>()
                .ok()
                .filter(|threshold| (2..=100).contains(threshold))
                .context("PORTAL_SUPPRESSION_THRESHOLD must be a whole number from 2 to 100")?,
            None => crate::services::statistics::DEFAULT_THRESHOLD,
        };
        let max_body_bytes = match lookup("PORTAL_MAX_BODY_BYTES") {
            Some(value) => value
                .parse::<usize>()
                .ok()
                .filter(|bytes| *bytes >= 1024)
                .context("PORTAL_MAX_BODY_BYTES must be a number of bytes, at least 1024")?,
            None => DEFAULT_MAX_BODY_BYTES,
        };
        let seconds = |name: &str, default: u64, least: u64| -> anyhow::Result<u64> {
            match lookup(name) {
                Some(value) => value
                    .parse::<u64>()
                    .ok()
                    .filter(|seconds| (least..=3600).contains(seconds))
                    .with_context(|| {
                        format!("{name} must be a number of seconds, {least} to 3600")
                    }),
                None => Ok(default),
            }
        };
        let request_timeout = Duration::from_secs(seconds("PORTAL_REQUEST_TIMEOUT_SECS", 15, 1)?);
        let ws_init_timeout = Duration::from_secs(seconds("PORTAL_WS_INIT_TIMEOUT_SECS", 10, 1)?);
        let database_statement_timeout = match seconds("PORTAL_DB_STATEMENT_TIMEOUT_SECS", 10, 0)? {
            0 => None,
            seconds => Some(Duration::from_secs(seconds)),
        };
        let cors_origins = match lookup("PORTAL_CORS_ORIGINS") {
            Some(list) => parse_origins(&list)?,
            None => Vec::new(),
        };
        let cors_allowed_headers = match lookup("PORTAL_CORS_ALLOWED_HEADERS") {
            Some(list) => crate::cors::AllowedHeaders::parse(&list)?,
            None => crate::cors::AllowedHeaders::default(),
        };
        let metrics_token = match lookup("PORTAL_METRICS_TOKEN") {
            Some(token) if token.len() < 16 => {
                bail!("PORTAL_METRICS_TOKEN must be at least 16 characters long")
            }
            Some(token) => Some(SecretString::from(token)),
            None => None,
        };
        let budget = |name: &str, default: u32| -> anyhow::Result<std::num::NonZeroU32> {
            match lookup(name) {
                Some(value) => value
                    .parse()
                    .ok()
                    .with_context(|| format!("{name} must be a positive number")),
                None => std::num::NonZeroU32::new(default)
                    .with_context(|| format!("{name} has no default")),
            }
        };
        let cost_budgets = crate::rate_limit::CostBudgets {
            per_account: budget(
                "PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE",
                crate::rate_limit::DEFAULT_ACCOUNT_COST_PER_MINUTE,
            )?,
            per_address: budget(
                "PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE",
                crate::rate_limit::DEFAULT_ADDRESS_COST_PER_MINUTE,
            )?,
        };
        let trusted_proxies = match lookup("PORTAL_TRUSTED_PROXIES") {
            Some(list) => crate::proxies::TrustedProxies::parse(&list)?,
            None => crate::proxies::TrustedProxies::default(),
        };
        let connections = |name: &str, default: usize| -> anyhow::Result<usize> {
            match lookup(name) {
                Some(value) => value
                    .parse::<usize>()
                    .ok()
                    .filter(|count| (1..=1_000_000).contains(count))
                    .with_context(|| format!("{name} must be a number, 1 to 1000000")),
                None => Ok(default),
            }
        };
        let ws_max_connections = connections("PORTAL_WS_MAX_CONNECTIONS", 1000)?;
        let ws_max_connections_per_account =
            connections("PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT", 10)?;
        let persisted_queries = crate::services::persisted_queries::PersistedQuerySettings {
            only_listed: match lookup("PORTAL_PERSISTED_QUERIES_ONLY").as_deref() {
                Some("true") => true,
                Some("false") | None => false,
                Some(other) => {
                    bail!("PORTAL_PERSISTED_QUERIES_ONLY must be `true` or `false`, not `{other}`")
                }
            },
            max_registered: match lookup("PORTAL_PERSISTED_QUERIES_MAX") {
                Some(value) => value
                    .parse::<u64>()
                    .ok()
                    .filter(|count| (1..=1_000_000).contains(count))
                    .context("PORTAL_PERSISTED_QUERIES_MAX must be a number, 1 to 1000000")?,
                None => crate::services::persisted_queries::DEFAULT_MAX_REGISTERED,
            },
        };
        Ok(Self {
            persisted_queries,
            ws_max_connections,
            ws_max_connections_per_account,
            metrics_token,
            cost_budgets,
            trusted_proxies,
            auth,
            case_deadlines,
            suppression_threshold,
            max_body_bytes,
            request_timeout,
            ws_init_timeout,
            database_statement_timeout,
            cors_origins,
            cors_allowed_headers,
            environment,
            database_url,
            database_max_connections,
            database_acquire_timeout: Duration::from_secs(5),
            listen,
            demo_data,
            log_format,
        })
    }

    /// True in development.
    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }
}

/// The default of `PORTAL_MAX_BODY_BYTES`: 256 KiB, far more than any GraphQL document of the
/// portal needs.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// The origins of `PORTAL_CORS_ORIGINS`: comma-separated `http(s)://host[:port]`, without a path.
fn parse_origins(list: &str) -> anyhow::Result<Vec<String>> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match host {
                Some(host)
                    if !host.is_empty()
                        && host.chars().all(|character| {
                            character.is_ascii_alphanumeric() || "-.:[]".contains(character)
                        }) =>
                {
                    Ok(origin.to_owned())
                }
                _ => bail!(
                    "PORTAL_CORS_ORIGINS must list origins such as https://portal.example.org, \
                     comma-separated and without a path, not `{origin}`"
                ),
            }
        })
        .collect()
}

/// A pool a little larger than the machine's cores: the work per request is mostly waiting on
/// the database, and more connections than the database has cores only queue inside it.
fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    u32::try_from(cores * 2 + 2).unwrap_or(10)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

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
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.demo_data, DemoData::FirstStart);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
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
        assert_eq!(config.demo_data, DemoData::Never);
        assert_eq!(config.log_format, LogFormat::Json);
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
            defaults.cost_budgets,
            crate::rate_limit::CostBudgets::default()
        );
        assert!(defaults.trusted_proxies.is_empty());
        assert!(defaults.metrics_token.is_none());
        assert_eq!(
            (
                defaults.ws_max_connections,
                defaults.ws_max_connections_per_account
            ),
            (1000, 10)
        );
        let set = config(&[
            ("PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE", "100"),
            ("PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE", "1000"),
            ("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ])?;
        assert_eq!(set.cost_budgets.per_account.get(), 100);
        assert_eq!(set.cost_budgets.per_address.get(), 1000);
        assert!(!set.trusted_proxies.is_empty());
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
        assert_eq!(defaults.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(defaults.request_timeout, Duration::from_secs(15));
        assert_eq!(
            defaults.database_statement_timeout,
            Some(Duration::from_secs(10))
        );
        assert!(defaults.cors_origins.is_empty());
        let set = config(&[
            ("PORTAL_MAX_BODY_BYTES", "4096"),
            ("PORTAL_REQUEST_TIMEOUT_SECS", "2"),
            ("PORTAL_DB_STATEMENT_TIMEOUT_SECS", "0"),
            (
                "PORTAL_CORS_ORIGINS",
                "https://portal.example.org, http://localhost:5173,",
            ),
        ])?;
        assert_eq!(set.max_body_bytes, 4096);
        assert_eq!(set.request_timeout, Duration::from_secs(2));
        assert_eq!(set.database_statement_timeout, None);
        assert_eq!(
            set.cors_origins,
            ["https://portal.example.org", "http://localhost:5173"]
        );
        Ok(())
    }
}
