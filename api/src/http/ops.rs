//! The operators' endpoints: `/health`, `/ready` (the database and its schema) and
//! `/metrics` (Prometheus, behind its token). GraphiQL, development only, is
//! [`super::graphiql`].

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::{AppState, errors, request::bearer_token, response::MediaType};
use crate::{db, error::code, metrics};

/// `GET /health`: the process answers.
pub(super) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /ready`: whether the database answers and its schema is the one this build expects
/// (one small read of the migration table: a schema reverted or left behind by a deployment
/// would otherwise fail request by request while the balancer sends traffic).
pub(super) async fn ready(state: web::Data<AppState>) -> HttpResponse {
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

/// `GET /metrics`: the Prometheus text. With `PORTAL_METRICS_TOKEN` set it asks for that
/// token as `Authorization: Bearer …`; without it, it is open in development and off in
/// production, so that nothing about the server is public by default.
pub(super) async fn metrics_endpoint(
    state: web::Data<AppState>,
    http: HttpRequest,
) -> HttpResponse {
    match &state.metrics_token {
        Some(expected) => {
            let given = bearer_token(&http).ok().flatten().unwrap_or_default();
            // Comparing digests takes the same time wherever the texts first differ.
            let digest = |text: &str| Sha256::digest(text.as_bytes());
            if digest(given) != digest(expected.expose_secret()) {
                return errors::refusal(
                    MediaType::Json,
                    StatusCode::UNAUTHORIZED,
                    code::UNAUTHENTICATED,
                    "/metrics needs the metrics token (PORTAL_METRICS_TOKEN) as \
                     `Authorization: Bearer …`.",
                );
            }
        }
        None if !state.development => {
            return errors::refusal(
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
