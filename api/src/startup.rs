//! Builds the HTTP application, for `main` and for the tests alike.

use std::net::TcpListener;

use std::net::IpAddr;

use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer, dev::Server, guard, http::header, web,
};
use async_graphql::{Data, http::GraphiQLSource};
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};
use entity::enums::Language;
use sea_orm::{DatabaseConnection, DbBackend};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::{
    auth::{Actor, Caller},
    config::{Config, DemoData},
    db::{self, StatementCounter},
    error::{ApiError, ApiResult, unauthenticated},
    graphql::{
        self, Exposure, PortalSchema, common::RequestContext, loaders,
        subscriptions::ConnectionSession,
    },
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
        let listener = TcpListener::bind(config.listen)?;
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
            DbBackend::Postgres => CaseEventBus::postgres(&config.database_url).await?,
            _ => CaseEventBus::local(),
        };
        let services = Services::new(db, &config.auth)
            .with_case_events(case_events.clone())
            .with_case_deadlines(config.case_deadlines);
        let exposure = if config.is_development() {
            Exposure::Development
        } else {
            Exposure::Production
        };
        let state = AppState {
            schema: graphql::build(services.clone(), exposure),
            services,
            development: config.is_development(),
        };
        let server = HttpServer::new(move || {
            App::new()
                .wrap(TracingLogger::default())
                .app_data(web::Data::new(state.clone()))
                .configure(routes)
        })
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

    /// Serves until the server is stopped (SIGINT or SIGTERM drain requests in flight).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The routes; shared by every way of building the app.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/graphql", web::post().to(graphql_endpoint))
        .route(
            "/graphql",
            web::get()
                .guard(guard::fn_guard(|ctx| {
                    ctx.app_data::<web::Data<AppState>>()
                        .is_some_and(|state| state.development)
                }))
                .to(graphiql),
        )
        .route("/graphql/ws", web::get().to(subscriptions_endpoint))
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready));
}

async fn graphql_endpoint(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let request_id = request_id.to_string();
    let actor = match bearer_token(&http) {
        Ok(None) => Actor::Anonymous,
        Ok(Some(token)) => match state.services.auth().authenticate(token).await {
            Ok(actor) => actor,
            Err(error) => return refusal(error, &request_id),
        },
        Err(error) => return refusal(error, &request_id),
    };
    let language = request_language(&http, &actor);
    let caller = Caller {
        actor: actor.clone(),
        request_id,
        client_ip: http.peer_addr().map(|address| address.ip()),
    };
    let loaders = loaders::for_request(state.services.clone(), actor);
    let context = RequestContext { caller, language };
    state
        .schema
        .execute(request.into_inner().data(context).data(loaders))
        .await
        .into()
}

/// What a WebSocket connection keeps of its upgrade request until `connection_init`.
struct Upgrade {
    services: Services,
    request_id: String,
    client_ip: Option<IpAddr>,
    accept_language: Option<Language>,
}

/// `GET /graphql/ws`: subscriptions over WebSocket (`graphql-transport-ws`, and the older
/// `graphql-ws`, as `Sec-WebSocket-Protocol` asks), signed in by `connection_init`.
async fn subscriptions_endpoint(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let upgrade = Upgrade {
        services: state.services.clone(),
        request_id: request_id.to_string(),
        client_ip: http.peer_addr().map(|address| address.ip()),
        accept_language: accept_language(&http),
    };
    GraphQLSubscription::new(state.schema.clone())
        .on_connection_init(move |payload| connection_init(upgrade, payload))
        .start(&http, payload)
}

/// Signs a WebSocket connection in with the token of its `connection_init` payload, as an
/// HTTP request is signed in by its `Authorization` header; without a token it is anonymous.
/// The connection's data is what an HTTP request's is: its context and loaders.
///
/// # Errors
/// A bad token, a disabled account or an ended login refuse the connection (it is closed
/// with the error's message).
async fn connection_init(
    upgrade: Upgrade,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let (actor, session) = match init_token(&payload) {
        Ok(None) => (Actor::Anonymous, None),
        Ok(Some(token)) => match upgrade.services.auth().authenticate(&token).await {
            Ok(actor) => (actor, Some(ConnectionSession::of_verified_token(&token)?)),
            Err(error) => return Err(connection_refusal(error, &upgrade.request_id)),
        },
        Err(error) => return Err(connection_refusal(error, &upgrade.request_id)),
    };
    let language = language_for(upgrade.accept_language, &actor);
    let caller = Caller {
        actor: actor.clone(),
        request_id: upgrade.request_id,
        client_ip: upgrade.client_ip,
    };
    let mut data = Data::default();
    data.insert(loaders::for_request(upgrade.services, actor));
    data.insert(RequestContext { caller, language });
    if let Some(session) = session {
        data.insert(session);
    }
    Ok(data)
}

fn connection_refusal(error: ApiError, request_id: &str) -> async_graphql::Error {
    tracing::info!(request_id, "subscription connection refused");
    error.into()
}

/// The access token of a `connection_init` payload: `{"Authorization": "Bearer …"}` (also
/// `authorization`), or `{"token": "…"}`; `None` when it names none (an anonymous connection).
///
/// # Errors
/// `UNAUTHENTICATED` when a token is named but unusable (not a string, empty, not `Bearer`).
fn init_token(payload: &serde_json::Value) -> ApiResult<Option<String>> {
    let invalid = || ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN);
    let named = |key: &str| payload.get(key).filter(|value| !value.is_null());
    let token = if let Some(value) = named("Authorization").or_else(|| named("authorization")) {
        value
            .as_str()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(invalid)?
    } else if let Some(value) = named("token") {
        let value = value.as_str().ok_or_else(invalid)?;
        value.strip_prefix("Bearer ").unwrap_or(value)
    } else {
        return Ok(None);
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(invalid());
    }
    Ok(Some(token.to_owned()))
}

/// The token of an `Authorization: Bearer …` header, if there is one.
fn bearer_token(http: &HttpRequest) -> Result<Option<&str>, ApiError> {
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

/// The whole request refused before execution (a bad token): one error, no data.
fn refusal(error: ApiError, request_id: &str) -> GraphQLResponse {
    let mut error =
        async_graphql::Error::from(error).into_server_error(async_graphql::Pos::default());
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("requestId", request_id);
    async_graphql::Response::from_errors(vec![error]).into()
}

/// The language of the answer: the best `Accept-Language` entry the portal speaks, else the
/// signed-in account's preferred language, else English.
pub fn request_language(http: &HttpRequest, actor: &Actor) -> Language {
    language_for(accept_language(http), actor)
}

/// The best language of the request's `Accept-Language` header that the portal speaks.
fn accept_language(http: &HttpRequest) -> Option<Language> {
    http.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_accept_language)
}

/// `accepted`, else the signed-in account's preferred language, else English.
fn language_for(accepted: Option<Language>, actor: &Actor) -> Language {
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

async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .finish(),
        )
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.services.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "unavailable", "database": "unreachable" }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn connection_init_names_its_token_as_a_header_would() {
        let token = |payload: serde_json::Value| init_token(&payload).map_err(|error| error.code());
        let some = Ok(Some("abc".to_owned()));
        assert_eq!(
            token(serde_json::json!({ "Authorization": "Bearer abc" })),
            some
        );
        assert_eq!(
            token(serde_json::json!({ "authorization": "Bearer abc " })),
            some
        );
        assert_eq!(token(serde_json::json!({ "token": "abc" })), some);
        assert_eq!(token(serde_json::json!({ "token": "Bearer abc" })), some);
        for anonymous in [
            serde_json::Value::Null,
            serde_json::json!({}),
            serde_json::json!({ "Authorization": null }),
        ] {
            assert_eq!(token(anonymous), Ok(None));
        }
        for unusable in [
            serde_json::json!({ "Authorization": "abc" }),
            serde_json::json!({ "Authorization": "Bearer " }),
            serde_json::json!({ "token": "" }),
            serde_json::json!({ "token": 42 }),
        ] {
            assert_eq!(token(unusable), Err("UNAUTHENTICATED"));
        }
    }
}
