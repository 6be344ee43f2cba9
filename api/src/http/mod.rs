//! The HTTP layer, one concern per file: the GraphQL endpoint ([`graphql`]), body reading,
//! token, language and client address ([`request`]), WebSocket subscriptions ([`ws`]), the CSV
//! downloads ([`exports`]), the operators' endpoints ([`ops`]), GraphiQL ([`graphiql`]), what
//! wraps every answer ([`middleware`], [`cors`]), GraphQL answers ([`response`]) and refusals
//! ([`errors`]), and `Idempotency-Key` ([`idempotency`]). Here: the state the handlers share,
//! the routes, and the one way a request's [`Caller`] is made.

pub mod cors;
pub mod errors;
pub mod exports;
pub mod graphiql;
mod graphql;
pub mod idempotency;
mod imports;
pub mod middleware;
mod ops;
pub mod proxies;
pub mod request;
pub mod response;
pub mod ws;

use std::{net::IpAddr, time::Duration};

use actix_web::{HttpRequest, web};
use entity::enums::Language;
use secrecy::SecretString;

use self::proxies::TrustedProxies;
use crate::{
    auth::{Actor, Caller},
    connections::ConnectionCaps,
    error::ApiResult,
    graphql::{PortalSchema, common::RequestContext},
    metrics::Metrics,
    rate_limit::CostLimiter,
    services::Services,
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
    /// Who publishes the IATI export (`PORTAL_IATI_ORGANISATION_REF`).
    pub iati: exports::iati::IatiSettings,
    /// Whether queries are compiled (`PORTAL_QUERY_PLANS`).
    pub query_plans: crate::graphql::plan::QueryPlans,
}

impl AppState {
    /// The caller of `http` and its language: signed in by its `Authorization: Bearer …`
    /// header, or the public without one.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for a malformed, invalid or ended token.
    pub(crate) async fn caller(
        &self,
        http: &HttpRequest,
        request_id: String,
    ) -> ApiResult<RequestContext> {
        let token = request::bearer_token(http)?;
        sign_in(&self.services, token, Arrival::of(self, http, request_id)).await
    }
}

/// What a request's HTTP head says about its sender before any token is checked. A WebSocket
/// connection keeps it from its upgrade request until its `connection_init`.
pub(crate) struct Arrival {
    pub request_id: String,
    pub client_ip: Option<IpAddr>,
    pub accept_language: Option<Language>,
}

impl Arrival {
    /// The request id, client address and `Accept-Language` of `http`.
    pub(crate) fn of(state: &AppState, http: &HttpRequest, request_id: String) -> Self {
        Self {
            request_id,
            client_ip: request::client_address(&state.trusted_proxies, http),
            accept_language: request::accept_language(http),
        }
    }
}

/// The one way a request becomes a [`Caller`] with its language: the account of `token` (read
/// from the database, so a disabled account or an ended login stops at once), or the public
/// without one. `POST /graphql`, the downloads and a WebSocket's `connection_init` all sign in
/// here; only where the token comes from differs.
///
/// # Errors
/// `UNAUTHENTICATED` for an invalid or ended token, or a disabled account.
pub(crate) async fn sign_in(
    services: &Services,
    token: Option<&str>,
    arrival: Arrival,
) -> ApiResult<RequestContext> {
    let actor = match token {
        Some(token) => services.auth().authenticate(token).await?,
        None => Actor::Anonymous,
    };
    let language = request::language_for(arrival.accept_language, &actor);
    Ok(RequestContext {
        caller: Caller::new(actor, arrival.request_id, arrival.client_ip),
        language,
    })
}

/// The routes; shared by every way of building the app.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/graphql", web::post().to(graphql::graphql_endpoint))
        .configure(graphiql::routes)
        .route("/graphql", web::route().to(middleware::method_not_allowed))
        .route("/graphql/ws", web::get().to(ws::subscriptions_endpoint))
        .route("/health", web::get().to(ops::health))
        .route("/ready", web::get().to(ops::ready))
        .route("/metrics", web::get().to(ops::metrics_endpoint))
        .configure(exports::routes)
        .configure(imports::routes);
}
