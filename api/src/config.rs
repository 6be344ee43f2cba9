//! Typed configuration, read from environment variables over development defaults.

use std::{net::SocketAddr, time::Duration};

use anyhow::{Context, bail};

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
        Ok(Self {
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
        Ok(())
    }

    #[test]
    fn production_requires_a_database_url_and_never_loads_demo_data() -> anyhow::Result<()> {
        assert!(config(&[("PORTAL_ENV", "production")]).is_err());
        let config = config(&[
            ("PORTAL_ENV", "production"),
            ("DATABASE_URL", "postgres://portal@db/portal"),
        ])?;
        assert_eq!(config.demo_data, DemoData::Never);
        assert_eq!(config.log_format, LogFormat::Json);
        Ok(())
    }

    #[test]
    fn rejects_unknown_values() {
        assert!(config(&[("PORTAL_ENV", "staging")]).is_err());
        assert!(config(&[("PORTAL_LISTEN", "port 80")]).is_err());
        assert!(config(&[("PORTAL_DB_MAX_CONNECTIONS", "0")]).is_err());
    }
}
