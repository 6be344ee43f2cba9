//! Logging: one line per event, JSON in production, readable in development; `RUST_LOG` sets
//! the levels. Nothing in here logs request bodies, tokens or case data.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Log line format (`PORTAL_LOG_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Compact lines for a person, coloured at a terminal.
    Pretty,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Installs the global subscriber. Calling it twice keeps the first (tests call it freely).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _already_set = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
        // Colours only for a person at a terminal: in a file or a log collector the escape
        // codes are noise in every line.
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .compact()
                    .with_ansi(std::io::stdout().is_terminal()),
            )
            .try_init(),
    };
}
