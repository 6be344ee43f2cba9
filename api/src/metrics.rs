//! What `/metrics` reports, in the Prometheus text format: HTTP requests by route pattern and
//! status, their latency, GraphQL errors by `extensions.code`, requests refused by the rate
//! limits, open subscription connections, the database pool and the SQL statements sent.
//!
//! Every label value comes from a fixed list in the code (route patterns, methods, status
//! codes, error codes, limit scopes), never from what a client sent: no paths with ids, no
//! emails, no tokens, no addresses. Each [`Metrics`] has its own registry, so several servers
//! in one process (the tests) each report their own figures.

use std::sync::Arc;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::{
    db::{PoolState, StatementCounter},
    error::code,
};

/// The error codes counted by name; anything else (which the code never produces) is counted
/// as `OTHER`, so a label can never carry text from elsewhere.
const KNOWN_CODES: [&str; 12] = [
    code::UNAUTHENTICATED,
    code::FORBIDDEN,
    code::NOT_FOUND,
    code::BAD_USER_INPUT,
    code::CONFLICT,
    code::RATE_LIMITED,
    code::TIMEOUT,
    code::INTERNAL,
    code::PERSISTED_QUERY_NOT_FOUND,
    code::PERSISTED_QUERY_NOT_IN_LIST,
    code::PERSISTED_QUERY_ID_REQUIRED,
    code::INVALID_TWO_FACTOR_CODE,
];

/// Latency buckets in seconds: from a cached lookup to the request timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
];

/// How a GraphQL operation over HTTP was answered (`graphql::plan`).
pub const PLAN_OUTCOMES: [&str; 4] = ["planned", "executed", "declined", "refused"];

/// The server's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    graphql_errors: IntCounterVec,
    rate_limited: IntCounterVec,
    query_plans: IntCounterVec,
    subscriptions: IntGauge,
    pool_in_use: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Metrics(..)")
    }
}

impl Metrics {
    /// A registry holding every metric of the server, `statements` included.
    ///
    /// # Errors
    /// Never in practice: the names and labels are constants (a duplicate would fail here, at
    /// start-up).
    pub fn new(statements: &StatementCounter) -> prometheus::Result<Self> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "portal_http_requests_total",
                "HTTP requests answered, by route pattern, method and status.",
            ),
            &["route", "method", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "portal_http_request_duration_seconds",
                "Time from a request's arrival to its answer's headers, by route pattern and \
                 method.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        let graphql_errors = IntCounterVec::new(
            Opts::new(
                "portal_graphql_errors_total",
                "GraphQL errors answered, by extensions.code.",
            ),
            &["code"],
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "portal_rate_limited_total",
                "Requests refused by a rate limit, by what was over its budget.",
            ),
            &["scope"],
        )?;
        let query_plans = IntCounterVec::new(
            Opts::new(
                "portal_graphql_query_plans_total",
                "GraphQL operations by how they were answered: `planned` (a compiled plan), \
                 `executed` (no plan compiles), `declined` (a plan gave up while running), \
                 `refused` (a compiled document the schema refused).",
            ),
            &["outcome"],
        )?;
        let subscriptions = IntGauge::new(
            "portal_subscription_connections",
            "WebSocket subscription connections open now.",
        )?;
        let pool_in_use = IntGauge::new(
            "portal_db_pool_connections_in_use",
            "Database connections lent out to requests.",
        )?;
        let pool_idle = IntGauge::new(
            "portal_db_pool_connections_idle",
            "Database connections open and waiting.",
        )?;
        let pool_max = IntGauge::new(
            "portal_db_pool_connections_max",
            "The most connections the pool opens.",
        )?;
        registry.register(Box::new(statements.metric()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(graphql_errors.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(query_plans.clone()))?;
        registry.register(Box::new(subscriptions.clone()))?;
        registry.register(Box::new(pool_in_use.clone()))?;
        registry.register(Box::new(pool_idle.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        // Every code is reported from the start, at 0, so a dashboard sees the series before
        // the first error.
        for code in KNOWN_CODES {
            graphql_errors.with_label_values(&[code]);
        }
        for outcome in PLAN_OUTCOMES {
            query_plans.with_label_values(&[outcome]);
        }
        Ok(Self(Arc::new(Inner {
            registry,
            http_requests,
            http_duration,
            graphql_errors,
            rate_limited,
            query_plans,
            subscriptions,
            pool_in_use,
            pool_idle,
            pool_max,
        })))
    }

    /// Counts one answered HTTP request. `route` is the matched route pattern (or
    /// `unmatched`), `method` one of a fixed list.
    pub fn observe_http(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.0
            .http_requests
            .with_label_values(&[route, method, status.as_str()])
            .inc();
        self.0
            .http_duration
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// Counts one GraphQL error answered with `code`.
    pub fn graphql_error(&self, code: &str) {
        let code = KNOWN_CODES
            .into_iter()
            .find(|known| *known == code)
            .unwrap_or("OTHER");
        self.0.graphql_errors.with_label_values(&[code]).inc();
    }

    /// Counts one request refused by the rate limit of `scope` (`account` or `address`).
    pub fn rate_limited(&self, scope: &'static str) {
        self.0.rate_limited.with_label_values(&[scope]).inc();
    }

    /// Counts one GraphQL operation answered with `outcome`, one of [`PLAN_OUTCOMES`].
    pub fn query_plan(&self, outcome: &'static str) {
        self.0.query_plans.with_label_values(&[outcome]).inc();
    }

    /// Counts a subscription connection until the returned guard is dropped.
    pub fn subscription_opened(&self) -> SubscriptionGauge {
        self.0.subscriptions.inc();
        SubscriptionGauge(self.0.subscriptions.clone())
    }

    /// The metrics in the Prometheus text format, with the pool's state as of now.
    pub fn render(&self, pool: Option<PoolState>) -> String {
        if let Some(pool) = pool {
            self.0.pool_in_use.set(i64::from(pool.in_use));
            self.0.pool_idle.set(i64::from(pool.idle));
            self.0.pool_max.set(i64::from(pool.max));
        }
        let mut text = Vec::new();
        // Encoding into memory fails only on a metric that is not valid, which the
        // constructor would have refused.
        if let Err(error) = TextEncoder::new().encode(&self.0.registry.gather(), &mut text) {
            tracing::error!(error = %error, "metrics could not be encoded");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

/// An open subscription connection, counted in `portal_subscription_connections` while it
/// lives.
#[derive(Debug)]
pub struct SubscriptionGauge(IntGauge);

impl Drop for SubscriptionGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The method label of a request: one of a fixed list, so that invented methods cannot grow
/// the series.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_family_and_keeps_labels_to_known_values() -> prometheus::Result<()> {
        let statements = StatementCounter::default();
        let metrics = Metrics::new(&statements)?;
        metrics.observe_http("/graphql", "POST", 200, 0.004);
        metrics.graphql_error(code::NOT_FOUND);
        metrics.graphql_error("someone@example.org");
        metrics.rate_limited("account");
        let gauge = metrics.subscription_opened();

        let text = metrics.render(Some(PoolState {
            in_use: 1,
            idle: 2,
            max: 5,
        }));

        for line in [
            "portal_db_statements_total 0",
            "portal_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"} 1",
            "portal_http_request_duration_seconds_bucket{method=\"POST\",route=\"/graphql\",le=\"0.005\"} 1",
            "portal_graphql_errors_total{code=\"NOT_FOUND\"} 1",
            "portal_graphql_errors_total{code=\"INTERNAL\"} 0",
            "portal_graphql_errors_total{code=\"OTHER\"} 1",
            "portal_rate_limited_total{scope=\"account\"} 1",
            "portal_subscription_connections 1",
            "portal_db_pool_connections_in_use 1",
            "portal_db_pool_connections_idle 2",
            "portal_db_pool_connections_max 5",
        ] {
            assert!(text.lines().any(|got| got == line), "{line} in\n{text}");
        }
        assert!(!text.contains("example.org"));
        drop(gauge);
        assert!(
            metrics
                .render(None)
                .lines()
                .any(|line| line == "portal_subscription_connections 0")
        );
        Ok(())
    }
}
