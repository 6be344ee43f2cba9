//! `GET /graphql/ws`: subscriptions over WebSocket, signed in by `connection_init`.

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use async_graphql::{Data, ErrorExtensions};
use async_graphql_actix_web::GraphQLSubscription;
use entity::enums::Language;
use tracing_actix_web::RequestId;

use crate::{
    auth::{Actor, Caller},
    connections::{self, ConnectionCaps},
    error::{ApiError, ApiResult, code, unauthenticated},
    graphql::{common::RequestContext, loaders, subscriptions::ConnectionSession},
    metrics::{self, Metrics},
    rate_limit::CostLimiter,
    services::Services,
    startup::{AppState, accept_language, language_for},
};

/// What a WebSocket connection keeps of its upgrade request until `connection_init`.
struct Upgrade {
    services: Services,
    metrics: Metrics,
    cost_limiter: CostLimiter,
    caps: ConnectionCaps,
    /// The connection's place among the process's connections: kept in the connection's
    /// data after `connection_init`, given back when it closes.
    slot: connections::Slot,
    /// Counts the connection in `/metrics` while it lives: kept in the connection's data
    /// after `connection_init`.
    gauge: metrics::SubscriptionGauge,
    request_id: String,
    client_ip: Option<IpAddr>,
    accept_language: Option<Language>,
    /// Set when `connection_init` arrives; until then the connection is on a timer.
    initialised: Arc<AtomicBool>,
}

/// `GET /graphql/ws`: subscriptions over WebSocket (`graphql-transport-ws`, and the older
/// `graphql-ws`, as `Sec-WebSocket-Protocol` asks), signed in by `connection_init`.
pub(crate) async fn subscriptions_endpoint(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let Some(slot) = state.connection_caps.open() else {
        tracing::warn!("subscription connection refused: the process's cap is reached");
        state.metrics.graphql_error(code::RATE_LIMITED);
        let mut response = HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "errors": [{
                "message": "The server holds as many live connections as it can; try again \
                            in 30 seconds.",
                "extensions": { "code": code::RATE_LIMITED, "retryAfterSeconds": 30 },
            }]
        }));
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
        return Ok(response);
    };
    let upgrade = Upgrade {
        caps: state.connection_caps.clone(),
        slot,
        services: state.services.clone(),
        metrics: state.metrics.clone(),
        gauge: state.metrics.subscription_opened(),
        cost_limiter: state.cost_limiter.clone(),
        request_id: request_id.to_string(),
        client_ip: state.client_address(&http),
        accept_language: accept_language(&http),
        initialised: Arc::new(AtomicBool::new(false)),
    };
    let payload = until_initialised(payload, upgrade.initialised.clone(), state.ws_init_timeout);
    GraphQLSubscription::new(state.schema.clone())
        .on_connection_init(move |payload| connection_init(upgrade, payload))
        .start(&http, payload)
}

/// The client's side of a WebSocket connection, ended if no `connection_init` has arrived
/// within `timeout`: a connection that never signs in would otherwise hold a place under
/// `PORTAL_WS_MAX_CONNECTIONS` for as long as it answers pings. (async-graphql's actix
/// transport has no such timer, and closes on its own terms, so the connection is cut here
/// rather than closed with graphql-transport-ws's 4408.)
fn until_initialised(
    payload: web::Payload,
    initialised: Arc<AtomicBool>,
    timeout: Duration,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> {
    use futures_util::{StreamExt, future::ready, stream};
    enum Item {
        Frame(Result<web::Bytes, actix_web::error::PayloadError>),
        Deadline,
    }
    let deadline = stream::once(async move {
        tokio::time::sleep(timeout).await;
        Item::Deadline
    });
    stream::select(payload.map(Item::Frame), deadline)
        .take_while(move |item| {
            let goes_on = !matches!(item, Item::Deadline) || initialised.load(Ordering::Acquire);
            if !goes_on {
                tracing::info!("subscription connection closed: no connection_init in time");
            }
            ready(goes_on)
        })
        .filter_map(|item| {
            ready(match item {
                Item::Frame(frame) => Some(frame),
                Item::Deadline => None,
            })
        })
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
    upgrade.initialised.store(true, Ordering::Release);
    let (actor, session) = match init_token(&payload) {
        Ok(None) => (Actor::Anonymous, None),
        Ok(Some(token)) => match upgrade.services.auth().authenticate(&token).await {
            Ok(actor) => (actor, Some(ConnectionSession::of_verified_token(&token)?)),
            Err(error) => return Err(connection_refusal(error, &upgrade.request_id)),
        },
        Err(error) => return Err(connection_refusal(error, &upgrade.request_id)),
    };
    let account_slot = match actor.member() {
        Some(member) => match upgrade.caps.sign_in(member.account_id) {
            Some(slot) => Some(slot),
            None => {
                tracing::info!(
                    request_id = upgrade.request_id,
                    "subscription connection refused: the account's cap is reached"
                );
                let per_account = upgrade.caps.per_account();
                return Err(async_graphql::Error::new(format!(
                    "This account already holds {per_account} live connections, the most \
                     allowed; close one and connect again."
                ))
                .extend_with(|_, extensions| extensions.set("code", code::RATE_LIMITED)));
            }
        },
        None => None,
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
    data.insert(upgrade.metrics);
    data.insert(upgrade.cost_limiter);
    data.insert(upgrade.gauge);
    data.insert(upgrade.slot);
    if let Some(account_slot) = account_slot {
        data.insert(account_slot);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
