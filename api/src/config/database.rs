//! The database: where it is and how large a pool the server keeps.

use std::time::Duration;

use anyhow::bail;

use super::{Environment, reader::Reader};
use crate::db::{self, DatabaseSettings};

/// The development database: `portal.db` in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://portal.db?mode=rwc";

/// Reads `DATABASE_URL` (required in production), `PORTAL_DB_MAX_CONNECTIONS` and
/// `PORTAL_DB_STATEMENT_TIMEOUT_SECS`.
pub(super) fn read(
    reader: &Reader<'_>,
    environment: Environment,
) -> anyhow::Result<DatabaseSettings> {
    let url = match (reader.text("DATABASE_URL"), environment) {
        (Some(url), _) => url,
        (None, Environment::Development) => DEFAULT_DATABASE_URL.to_owned(),
        (None, Environment::Production) => {
            bail!("DATABASE_URL is required when PORTAL_ENV=production")
        }
    };
    let max_connections = reader
        .parsed::<u32>("PORTAL_DB_MAX_CONNECTIONS", "a positive number")?
        .unwrap_or_else(db::default_pool_size);
    if max_connections == 0 {
        bail!("PORTAL_DB_MAX_CONNECTIONS must be at least 1");
    }
    let statement_timeout = Some(reader.seconds("PORTAL_DB_STATEMENT_TIMEOUT_SECS", 10, 0)?)
        .filter(|timeout| !timeout.is_zero());
    Ok(DatabaseSettings {
        url,
        max_connections,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout,
    })
}
