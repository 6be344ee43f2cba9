//! Builds the HTTP application, for `main` and for the tests alike.

use std::{
    net::{IpAddr, TcpListener},
    time::Duration,
};

use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer,
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
    middleware::{DefaultHeaders, Next, from_fn},
    web,
};
use async_graphql::ServerError;
use entity::enums::Language;
use futures_util::StreamExt;
use sea_orm::{DatabaseConnection, DbBackend};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder, TracingLogger};

use crate::{
    auth::{Actor, Caller},
    config::{Config, DemoData},
    connections::ConnectionCaps,
    db::{self, StatementCounter},
    error::{ApiError, code, unauthenticated},
    graphql::{
        self, Exposure, PortalSchema,
        common::RequestContext,
        loaders,
        persisted_queries::{self, Transport},
    },
    http::{
        idempotency,
        response::{self, MediaType},
    },
    metrics::{self, Metrics},
    http::proxies::TrustedProxies,
    rate_limit::CostLimiter,
    services::Services,
    services::case_events::CaseEventBus,
    services::demo::demo_logins,
};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: PortalSchema,
    pub services: Services,
    pub development: bool,
    /// The largest request body read (`PORTAL_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// How long `POST /graphql` may take, reading its body included
    /// (`PORTAL_REQUEST_TIMEOUT_SECS`).
    pub request_timeout: Duration,
    /// How long a subscription connection may wait before `connection_init`.
    pub ws_init_timeout: Duration,
    /// What `/metrics` reports.
    pub metrics: Metrics,
    /// The token `/metrics` asks for (`PORTAL_METRICS_TOKEN`), if any.
    pub metrics_token: Option<SecretString>,
    /// The query-cost budgets per account and client address.
    pub cost_limiter: CostLimiter,
    /// The proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// The caps on subscription connections.
    pub connection_caps: ConnectionCaps,
}

impl AppState {
    /// Who sends `http`: the account of its bearer token, or the public without one.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for a malformed, invalid or ended token.
    pub(crate) async fn actor_of(&self, http: &HttpRequest) -> Result<Actor, ApiError> {
        match bearer_token(http)? {
            Some(token) => self.services.auth().authenticate(token).await,
            None => Ok(Actor::Anonymous),
        }
    }

    /// The client address of `http`: its peer, or what a trusted proxy says the client is.
    /// The rate limits, the sign-in limit and the audit log all use this one.
    pub(crate) fn client_address(&self, http: &HttpRequest) -> Option<IpAddr> {
        let forwarded = http
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok());
        self.trusted_proxies
            .client_address(http.peer_addr().map(|peer| peer.ip()), forwarded)
    }
}

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    port: u16,
    pub statements: StatementCounter,
    case_events: CaseEventBus,
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
        let (db, statements) = db::connect(config).await?;
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
        if config.demo_data == DemoData::FirstStart {
            if let Some(summary) = services.load_demo_if_missing().await? {
                tracing::info!(?summary, "loaded the demo data");
            }
            for login in demo_logins() {
                tracing::info!(
                    role = login.role,
                    email = login.email,
                    password = login.password,
                    "demo login"
                );
            }
        }
        // Stored text from before cases had keys of their own, or written by the demo or
        // benchmark loaders, is sealed before anything is served.
        let sealed = services.seal_stored().await?;
        if sealed != crate::services::cases::SealSummary::default() {
            tracing::info!(?sealed, "sealed stored case data with each case's own key");
        }
        let listener = TcpListener::bind(config.listen).map_err(|error| {
            anyhow::anyhow!(
                "cannot listen on {} (PORTAL_LISTEN): {error}; is another server running there? \
                 Stop it or set PORTAL_LISTEN to another address.",
                config.listen
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
                CaseEventBus::postgres(&config.database_url, statements.clone()).await?
            }
            _ => CaseEventBus::local(),
        };
        let services = Services::new(db, &config.auth)
            .with_statements(statements.clone())
            .with_case_events(case_events.clone())
            .with_case_deadlines(config.case_deadlines)
            .with_suppression_threshold(config.suppression_threshold)
            .with_persisted_queries(config.persisted_queries);
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
            max_body_bytes: config.max_body_bytes,
            request_timeout: config.request_timeout,
            ws_init_timeout: config.ws_init_timeout,
            cost_limiter: CostLimiter::new(config.cost_budgets, metrics.clone()),
            trusted_proxies: config.trusted_proxies.clone(),
            connection_caps: ConnectionCaps::new(
                config.ws_max_connections,
                config.ws_max_connections_per_account,
            ),
            metrics,
            metrics_token: config.metrics_token.clone(),
        };
        let production = !config.is_development();
        let cors_origins = config.cors_origins.clone();
        let cors_headers = config.cors_allowed_headers.clone();
        let server = HttpServer::new(move || {
            // The last `wrap` is the outermost: the log and the metrics see every answer and
            // the security headers go on every answer, refusals of CORS included.
            App::new()
                .wrap(crate::http::cors::middleware(&cors_origins, &cors_headers))
                .wrap({
                    let allowed = cors_headers.clone();
                    from_fn(move |request, next| {
                        crate::http::cors::explain_refusal(allowed.clone(), request, next)
                    })
                })
                .wrap(security_headers(production))
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(from_fn(record_request))
                .app_data(web::Data::new(state.clone()))
                .configure(routes)
        })
        .shutdown_signal(shutdown_signal())
        .listen(listener)?
        .run();
        Ok(Self {
            server,
            port,
            statements,
            case_events,
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
        self.server.await
    }
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

/// The routes; shared by every way of building the app.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/graphql", web::post().to(graphql_endpoint))
        .configure(crate::http::graphiql::routes)
        .route("/graphql", web::route().to(method_not_allowed))
        .route(
            "/graphql/ws",
            web::get().to(crate::http::ws::subscriptions_endpoint),
        )
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready))
        .route("/metrics", web::get().to(metrics_endpoint))
        .configure(crate::http::exports::routes);
}

/// Any other method on `/graphql` (`PUT`, `DELETE`, and `GET` in production): `405` with
/// `Allow` and a GraphQL-shaped body, rather than an empty `404`.
async fn method_not_allowed(state: web::Data<AppState>, http: HttpRequest) -> HttpResponse {
    let allowed = if state.development {
        "GET, POST"
    } else {
        "POST"
    };
    let mut answer = response::refusal(
        MediaType::of(&http),
        StatusCode::METHOD_NOT_ALLOWED,
        code::BAD_USER_INPUT,
        &format!(
            "{} is not served on /graphql: send queries and mutations with POST{}.",
            http.method(),
            if state.development {
                " (GET serves GraphiQL)"
            } else {
                ""
            }
        ),
    );
    answer
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allowed));
    answer
}

/// Counts every answer in `/metrics` by its route pattern (never the raw path, which may
/// carry ids), method and status, times it to its headers, and writes its access-log line.
///
/// The line is the one event per request (tracing-actix-web makes a span, which no format
/// prints as a line). It is written outside that span, so it carries the route pattern and
/// never the span's raw target (path and query string); no header or body goes in it.
async fn record_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
    let started = std::time::Instant::now();
    let metrics = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let method = metrics::method_label(request.method());
    let answer = next.call(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let (route, status, request_id) = match &answer {
        Ok(response) => (
            response.request().match_pattern(),
            response.status().as_u16(),
            actix_web::HttpMessage::extensions(response.request())
                .get::<RequestId>()
                .map(ToString::to_string),
        ),
        Err(error) => (None, error.as_response_error().status_code().as_u16(), None),
    };
    let route = route.as_deref().unwrap_or("unmatched");
    if let Some(metrics) = metrics {
        metrics.observe_http(route, method, status, seconds);
    }
    tracing::info!(
        target: ACCESS_LOG,
        method,
        route,
        status,
        duration_ms = (seconds * 1000.0 * 10.0).round() / 10.0,
        request_id = request_id.as_deref().unwrap_or("none"),
        "request"
    );
    answer
}

/// The target of the access-log lines (`RUST_LOG=portal::access=warn` silences them).
pub const ACCESS_LOG: &str = "portal::access";

/// The span of each request, whose fields every line written inside it carries (a refused
/// token's warning, an internal error): the method, the route pattern and the request id.
/// tracing-actix-web's default span also holds the raw path and query string (`http.target`),
/// where a search term or a token in a URL would have reached the log, the host, the user agent
/// and a client address believed from `X-Forwarded-For`: none of them is recorded here.
struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;

        let route = request.match_pattern();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = route.as_deref().unwrap_or("unmatched"),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        // Records the status (and error fields this span does not have, which are dropped).
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// `GET /metrics`: the Prometheus text. With `PORTAL_METRICS_TOKEN` set it asks for that
/// token as `Authorization: Bearer …`; without it, it is open in development and off in
/// production, so that nothing about the server is public by default.
async fn metrics_endpoint(state: web::Data<AppState>, http: HttpRequest) -> HttpResponse {
    match &state.metrics_token {
        Some(expected) => {
            let given = bearer_token(&http).ok().flatten().unwrap_or_default();
            // Comparing digests takes the same time wherever the texts first differ.
            let digest = |text: &str| Sha256::digest(text.as_bytes());
            if digest(given) != digest(expected.expose_secret()) {
                return response::refusal(
                    MediaType::Json,
                    StatusCode::UNAUTHORIZED,
                    code::UNAUTHENTICATED,
                    "/metrics needs the metrics token (PORTAL_METRICS_TOKEN) as \
                     `Authorization: Bearer …`.",
                );
            }
        }
        None if !state.development => {
            return response::refusal(
                MediaType::Json,
                StatusCode::FORBIDDEN,
                code::FORBIDDEN,
                "/metrics is off: set PORTAL_METRICS_TOKEN to scrape it with that token.",
            );
        }
        None => {}
    }
    HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .body(state.metrics.render(state.services.pool_state()))
}

/// The headers every answer carries. The API answers JSON only, so its policy forbids
/// everything; the GraphiQL page sets its own (see [`crate::http::graphiql`]).
fn security_headers(production: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::CONTENT_SECURITY_POLICY, API_CONTENT_SECURITY_POLICY));
    if production {
        headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

/// The content security policy of every answer but the GraphiQL page.
pub const API_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `answer`, unless it takes longer than `limit`: then `503` with `TIMEOUT`. Dropping the
/// unfinished answer cancels its work (an open transaction rolls back); on PostgreSQL the
/// statement timeout of `db::connect` also bounds each statement.
async fn within(
    limit: Duration,
    media: MediaType,
    request_id: &str,
    metrics: &Metrics,
    answer: impl Future<Output = HttpResponse>,
) -> HttpResponse {
    if let Ok(response) = tokio::time::timeout(limit, answer).await {
        return response;
    }
    metrics.graphql_error(code::TIMEOUT);
    tracing::warn!(
        request_id,
        seconds = limit.as_secs_f64(),
        "request timed out"
    );
    let mut response = response::refusal(
        media,
        StatusCode::SERVICE_UNAVAILABLE,
        code::TIMEOUT,
        &format!(
            "The request took too long (the limit is {} seconds) and was stopped; nothing it \
             started was kept. Quote the request id {request_id} if you report it.",
            limit.as_secs()
        ),
    );
    // The rest of an unread body would otherwise be taken for the next request.
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// Why a `POST /graphql` body was not read into a request.
#[derive(Debug, PartialEq, Eq)]
enum BodyRefusal {
    /// Not `application/json` (`415`): forms and plain text are what a page of another site
    /// can post without a preflight, so refusing them refuses cross-site request forgery.
    MediaType,
    /// A `Content-Encoding` other than `identity` (`415`).
    Encoded,
    /// Over `PORTAL_MAX_BODY_BYTES` (`413`).
    TooLarge(usize),
    /// The body broke off (`400`).
    Unreadable,
    /// A JSON array: batches are not served (`400`).
    Batch,
    /// Objects and arrays nested deeper than `graphql::limits::MAX_NESTING` (`400`).
    TooDeep,
    /// Not a GraphQL request (`400`), with the parser's reason.
    Malformed(String),
}

impl BodyRefusal {
    fn response(&self, media: MediaType) -> HttpResponse {
        let (status, message) = match self {
            Self::MediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "POST /graphql takes a JSON body: send `Content-Type: application/json`."
                    .to_owned(),
            ),
            Self::Encoded => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Request bodies are not accepted compressed.".to_owned(),
            ),
            Self::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than the limit of {limit} bytes."),
            ),
            Self::Unreadable => (
                StatusCode::BAD_REQUEST,
                "The request body could not be read.".to_owned(),
            ),
            Self::Batch => (
                StatusCode::BAD_REQUEST,
                "Batched requests are not served: send one operation per request.".to_owned(),
            ),
            Self::TooDeep => (
                StatusCode::BAD_REQUEST,
                format!(
                    "The request body nests too deeply: at most {} levels of objects and \
                     arrays are accepted.",
                    graphql::limits::MAX_NESTING
                ),
            ),
            Self::Malformed(reason) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "The body is not a GraphQL request (`{{\"query\": …, \"variables\": …}}`): \
                     {reason}"
                ),
            ),
        };
        response::refusal(media, status, code::BAD_USER_INPUT, &message)
    }
}

/// Whether a `Content-Type` is `application/json`, with no parameter but `charset=utf-8`.
fn is_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    essence.eq_ignore_ascii_case("application/json")
        && parts.filter(|part| !part.is_empty()).all(|parameter| {
            parameter.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("charset")
                    && value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            })
        })
}

/// Reads the body of `POST /graphql` into one GraphQL request: JSON only, at most `limit`
/// bytes, counted as the body arrives (a declared `Content-Length` over it is refused before
/// reading anything), one operation (no batch).
async fn read_request(
    http: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<async_graphql::Request, BodyRefusal> {
    let header = |name| {
        http.headers()
            .get(name)
            .and_then(|value: &header::HeaderValue| value.to_str().ok())
    };
    if !header(header::CONTENT_TYPE).is_some_and(is_json) {
        return Err(BodyRefusal::MediaType);
    }
    if header(header::CONTENT_ENCODING)
        .is_some_and(|encoding| !encoding.trim().eq_ignore_ascii_case("identity"))
    {
        return Err(BodyRefusal::Encoded);
    }
    if header(header::CONTENT_LENGTH)
        .and_then(|length| length.trim().parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyRefusal::TooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyRefusal::Unreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyRefusal::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    parse_request(&body)
}

/// One GraphQL request of a JSON body.
fn parse_request(body: &[u8]) -> Result<async_graphql::Request, BodyRefusal> {
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(BodyRefusal::Batch);
    }
    if graphql::limits::json_nests_too_deeply(body) {
        return Err(BodyRefusal::TooDeep);
    }
    let request: async_graphql::Request =
        serde_json::from_slice(body).map_err(|error| BodyRefusal::Malformed(error.to_string()))?;
    // A body naming a persisted query's hash may leave the query out; any other must send one.
    if request.query.trim().is_empty() && !request.extensions.contains_key("persistedQuery") {
        return Err(BodyRefusal::Malformed(
            "it has no `query` (a string holding the GraphQL document)".to_owned(),
        ));
    }
    Ok(request)
}

/// `POST /graphql`: one operation of a JSON body, within the time limit.
async fn graphql_endpoint(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
    payload: web::Payload,
) -> HttpResponse {
    let request_id = request_id.to_string();
    within(
        state.request_timeout,
        MediaType::of(&http),
        &request_id,
        &state.metrics,
        serve_graphql(&state, &http, request_id.clone(), payload),
    )
    .await
}

async fn serve_graphql(
    state: &AppState,
    http: &HttpRequest,
    request_id: String,
    payload: web::Payload,
) -> HttpResponse {
    let media = MediaType::of(http);
    let mut request = match read_request(http, payload, state.max_body_bytes).await {
        Ok(request) => request,
        Err(refusal) => {
            state.metrics.graphql_error(code::BAD_USER_INPUT);
            return refusal.response(media);
        }
    };
    if let Err(error) =
        persisted_queries::resolve(&state.services, &mut request, Transport::Http).await
    {
        // Apollo's clients read these answers as GraphQL results (200, see
        // `http::response`), and retry on PERSISTED_QUERY_NOT_FOUND with the query text.
        state.metrics.graphql_error(error.code());
        return response::graphql(media, &refusal(error, &request_id));
    }
    let actor = match state.actor_of(http).await {
        Ok(actor) => actor,
        Err(error) => {
            state.metrics.graphql_error(error.code());
            return response::graphql(media, &refusal(error, &request_id));
        }
    };
    let language = request_language(http, &actor);
    let mut caller = Caller::new(actor.clone(), request_id, state.client_address(http));
    let claim = match idempotency::start(state, http, &request, &caller).await {
        Ok(claim) => claim,
        Err(idempotency::Refused::Replay(answer)) => return idempotency::replayed(answer),
        Err(idempotency::Refused::Error(error)) => {
            state.metrics.graphql_error(error.code());
            let answer = refusal(error, &caller.request_id);
            return with_retry_after(response::graphql(media, &answer), &answer);
        }
    };
    caller.idempotency = claim.clone();
    let loaders = loaders::for_request(state.services.clone(), actor);
    let context = RequestContext { caller, language };
    let answer = state
        .schema
        .execute(
            request
                .data(context)
                .data(loaders)
                .data(state.cost_limiter.clone()),
        )
        .await;
    for error in &answer.errors {
        let code = graphql::errors::code_of(error);
        state
            .metrics
            .graphql_error(code.as_deref().unwrap_or(code::INTERNAL));
    }
    // An answer depends on who asks: never stored, whatever the schema's cache hints say
    // (`response::graphql` sends `no-store`).
    let response = match &claim {
        Some(claim) => idempotency::finish(&state.services, claim, media, &answer).await,
        None => response::graphql(media, &answer),
    };
    with_retry_after(response, &answer)
}

/// `response` with `Retry-After` when `answer` is a refusal by a rate limit: nothing was
/// executed (the answer is 429), so say when to come back, for proxies and generic clients.
fn with_retry_after(mut response: HttpResponse, answer: &async_graphql::Response) -> HttpResponse {
    if let Some(seconds) = refused_for_rate(answer)
        && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The seconds to wait when `answer` is a refusal by a rate limit and nothing else: no data,
/// one `RATE_LIMITED` error.
fn refused_for_rate(answer: &async_graphql::Response) -> Option<u64> {
    let [error] = answer.errors.as_slice() else {
        return None;
    };
    if !matches!(answer.data, async_graphql::Value::Null)
        || graphql::errors::code_of(error).as_deref() != Some(code::RATE_LIMITED)
    {
        return None;
    }
    match error.extensions.as_ref()?.get("retryAfterSeconds")? {
        async_graphql::Value::Number(seconds) => seconds.as_u64(),
        _ => None,
    }
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub(crate) fn bearer_token(http: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = http.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(Some)
        .ok_or(ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN))
}

/// The whole request refused before execution (a bad token): one error with no location
/// (it is about no place in the document), no data.
fn refusal(error: ApiError, request_id: &str) -> async_graphql::Response {
    let error = async_graphql::Error::from(error);
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
        .extensions
        .get_or_insert_with(Default::default)
        .set("requestId", request_id);
    async_graphql::Response::from_errors(vec![server_error])
}

/// The language of the answer: the best `Accept-Language` entry the portal speaks, else the
/// signed-in account's preferred language, else English.
pub fn request_language(http: &HttpRequest, actor: &Actor) -> Language {
    language_for(accept_language(http), actor)
}

/// The best language of the request's `Accept-Language` header that the portal speaks.
pub(crate) fn accept_language(http: &HttpRequest) -> Option<Language> {
    http.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_accept_language)
}

/// `accepted`, else the signed-in account's preferred language, else English.
pub(crate) fn language_for(accepted: Option<Language>, actor: &Actor) -> Language {
    accepted
        .or_else(|| actor.member().map(|member| member.preferred_language))
        .unwrap_or(Language::En)
}

/// The first language of `header` (by quality, then order) that the portal speaks.
pub fn parse_accept_language(header: &str) -> Option<Language> {
    let mut ranked: Vec<(f32, usize, Language)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, entry)| {
            let mut parts = entry.trim().split(';');
            let tag = parts.next()?.trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|part| part.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            let primary = tag.split('-').next()?;
            let language = match primary {
                "en" => Language::En,
                "ru" => Language::Ru,
                "tg" => Language::Tg,
                _ => return None,
            };
            (quality > 0.0).then_some((quality, position, language))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map(|(_, _, language)| *language)
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /ready`: whether the database answers and its schema is the one this build expects
/// (one small read of the migration table: a schema reverted or left behind by a deployment
/// would otherwise fail request by request while the balancer sends traffic).
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let unavailable = |database: &str, reason: String| {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "status": "unavailable", "database": database, "reason": reason,
        }))
    };
    if let Err(error) = state.services.ping().await {
        tracing::warn!(error = %error, "readiness check failed");
        return unavailable("unreachable", "The database does not answer.".to_owned());
    }
    match state.services.pending_migrations().await {
        Ok(pending) if pending.is_empty() => {
            HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))
        }
        Ok(pending) => {
            tracing::warn!(?pending, "readiness check failed: migrations are pending");
            unavailable("behind", db::schema_behind_message(&pending))
        }
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            unavailable(
                "unreadable",
                "The migration table cannot be read.".to_owned(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_bodies_are_graphql_requests() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=\"UTF-8\"",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/json; charset=latin1",
            "application/jsonp",
            "application/graphql",
            "",
        ] {
            assert!(!is_json(other), "{other}");
        }
    }

    #[test]
    fn a_batch_or_a_malformed_body_is_refused() {
        assert_eq!(
            parse_request(b" \n[{\"query\": \"{ a }\"}]").err(),
            Some(BodyRefusal::Batch)
        );
        assert!(matches!(
            parse_request(b"{\"query\": 42}"),
            Err(BodyRefusal::Malformed(_))
        ));
        assert!(parse_request(b"{\"query\": \"{ a }\"}").is_ok());
        assert!(matches!(
            parse_request(b"{\"qeury\": \"{ a }\"}"),
            Err(BodyRefusal::Malformed(_))
        ));
        assert!(
            parse_request(
                b"{\"extensions\": {\"persistedQuery\": {\"version\": 1, \"sha256Hash\": \"ab\"}}}"
            )
            .is_ok()
        );
    }

    #[tokio::test]
    async fn a_slow_answer_is_stopped_with_timeout() {
        let limit = Duration::from_millis(50);
        let metrics = Metrics::new(&StatementCounter::default()).expect("metrics");
        let fast = within(limit, MediaType::Json, "r1", &metrics, async {
            HttpResponse::Ok().finish()
        })
        .await;
        let slow = within(limit, MediaType::Json, "r2", &metrics, async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            HttpResponse::Ok().finish()
        })
        .await;

        assert_eq!(fast.status(), StatusCode::OK);
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = actix_web::body::to_bytes(slow.into_body())
            .await
            .map_err(|_| "body")
            .and_then(|body| {
                serde_json::from_slice::<serde_json::Value>(&body).map_err(|_| "json")
            });
        let body = body.unwrap_or_default();
        assert_eq!(body["errors"][0]["extensions"]["code"], code::TIMEOUT);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|message| message.contains("took too long") && message.contains("r2"))
        );
    }

    #[test]
    fn accept_language_picks_the_best_spoken_language() {
        assert_eq!(
            parse_accept_language("ru-RU,ru;q=0.9,en;q=0.8"),
            Some(Language::Ru)
        );
        assert_eq!(
            parse_accept_language("de, tg;q=0.5, en;q=0.4"),
            Some(Language::Tg)
        );
        assert_eq!(
            parse_accept_language("en;q=0.2, ru;q=0.7"),
            Some(Language::Ru)
        );
        assert_eq!(parse_accept_language("fr, de"), None);
        assert_eq!(parse_accept_language("ru;q=0"), None);
    }
}
