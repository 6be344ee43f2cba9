//! The HTTP server: its address, what it reads and how long it waits, who may call it from a
//! browser or through a proxy, how many subscriptions it holds, and who reads its metrics.

use std::{
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};

use secrecy::SecretString;

use super::reader::Reader;
use crate::{
    connections::ConnectionLimits,
    graphql::plan::QueryPlans,
    http::{
        cors::{self, AllowedHeaders, CorsSettings},
        proxies::TrustedProxies,
    },
};

/// The default of `PORTAL_MAX_BODY_BYTES`: 256 KiB, far more than any GraphQL document of the
/// portal needs.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// What the HTTP server is built with.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// The address to serve on (`PORTAL_LISTEN`).
    pub listen: SocketAddr,
    /// The largest request body read, counted while it is read.
    pub max_body_bytes: usize,
    /// How long a request may take, from its headers to its answer.
    pub request_timeout: Duration,
    /// How long a subscription connection may wait before its `connection_init`
    /// (`PORTAL_WS_INIT_TIMEOUT_SECS`); past it the connection is closed.
    pub ws_init_timeout: Duration,
    /// Subscription connections open at once, in all and per account.
    pub connections: ConnectionLimits,
    /// Which pages may call the API from a browser.
    pub cors: CorsSettings,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`PORTAL_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// The bearer token `/metrics` asks for (`PORTAL_METRICS_TOKEN`). Without one, `/metrics`
    /// is open in development and off in production.
    pub metrics_token: Option<SecretString>,
    /// Whether queries the planner knows skip the executor (`PORTAL_QUERY_PLANS`).
    pub query_plans: QueryPlans,
}

/// Reads `PORTAL_LISTEN`, `PORTAL_MAX_BODY_BYTES`, `PORTAL_REQUEST_TIMEOUT_SECS`,
/// `PORTAL_WS_INIT_TIMEOUT_SECS`, `PORTAL_WS_MAX_CONNECTIONS`,
/// `PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT`, `PORTAL_CORS_ORIGINS`, `PORTAL_CORS_ALLOWED_HEADERS`,
/// `PORTAL_TRUSTED_PROXIES`, `PORTAL_METRICS_TOKEN` and `PORTAL_QUERY_PLANS`.
pub(super) fn read(reader: &Reader<'_>) -> anyhow::Result<ServerSettings> {
    let listen = reader
        .parsed("PORTAL_LISTEN", "an address such as 127.0.0.1:8080")?
        .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)));
    let max_body_bytes = reader.number(
        "PORTAL_MAX_BODY_BYTES",
        DEFAULT_MAX_BODY_BYTES,
        1024..,
        "a number of bytes, at least 1024",
    )?;
    let request_timeout = reader.seconds("PORTAL_REQUEST_TIMEOUT_SECS", 15, 1)?;
    let ws_init_timeout = reader.seconds("PORTAL_WS_INIT_TIMEOUT_SECS", 10, 1)?;
    let defaults = ConnectionLimits::default();
    let connections = ConnectionLimits {
        total: reader.number(
            "PORTAL_WS_MAX_CONNECTIONS",
            defaults.total,
            1..=1_000_000,
            "a number, 1 to 1000000",
        )?,
        per_account: reader.number(
            "PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT",
            defaults.per_account,
            1..=1_000_000,
            "a number, 1 to 1000000",
        )?,
    };
    let cors = CorsSettings {
        origins: reader
            .parsed_with("PORTAL_CORS_ORIGINS", cors::parse_origins)?
            .unwrap_or_default(),
        allowed_headers: reader
            .parsed_with("PORTAL_CORS_ALLOWED_HEADERS", AllowedHeaders::parse)?
            .unwrap_or_default(),
    };
    let trusted_proxies = reader
        .parsed_with("PORTAL_TRUSTED_PROXIES", TrustedProxies::parse)?
        .unwrap_or_default();
    let metrics_token = reader.secret("PORTAL_METRICS_TOKEN", 16, "characters")?;
    let query_plans = reader.choice(
        "PORTAL_QUERY_PLANS",
        &[
            ("on", QueryPlans::On),
            ("off", QueryPlans::Off),
            ("verify", QueryPlans::Verify),
        ],
        QueryPlans::On,
    )?;
    Ok(ServerSettings {
        listen,
        max_body_bytes,
        request_timeout,
        ws_init_timeout,
        connections,
        cors,
        trusted_proxies,
        metrics_token,
        query_plans,
    })
}
