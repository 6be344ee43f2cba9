//! `GET /graphql/ws`: subscriptions over WebSocket. A connection takes a place under the
//! process's cap before the upgrade and is signed in by `connection_init` (under its
//! account's cap). [`protocol`] speaks `graphql-transport-ws`; async-graphql's own
//! implementation speaks the older `graphql-ws` (subscriptions-transport-ws) that some clients
//! still use. Both run under [`serve`], which holds the WebSocket itself: pings, the client's
//! close, and the time a connection may wait before its `connection_init`.

mod protocol;

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use async_graphql::{
    Data,
    http::{WebSocket, WebSocketProtocols, WsMessage},
};
use futures_util::{Stream, StreamExt, stream};
use tokio::time::Instant;
use tracing_actix_web::RequestId;

use super::{
    AppState, Arrival,
    errors::{refusal, refusal_with},
    response::MediaType,
    sign_in,
};
use crate::{
    connections::{self, ConnectionCaps},
    error::{ApiError, ApiResult, code, unauthenticated},
    graphql::{loaders, subscriptions::ConnectionSession},
    metrics::{self, Metrics},
    rate_limit::CostLimiter,
    services::Services,
};

/// How often the server pings a connection, and how long it waits to hear from the client
/// before it takes the connection for lost (a client gone without closing would otherwise
/// hold its places for good). async-graphql's actix transport, used before, had the same.
const HEARTBEAT: Duration = Duration::from_secs(5);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The request id, client address and language of the upgrade request.
    arrival: Arrival,
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
        let mut extensions = serde_json::Map::new();
        extensions.insert("retryAfterSeconds".to_owned(), 30.into());
        let mut response = refusal_with(
            MediaType::Json,
            StatusCode::SERVICE_UNAVAILABLE,
            code::RATE_LIMITED,
            "The server holds as many live connections as it can; try again in 30 seconds.",
            extensions,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
        return Ok(response);
    };
    let Some(protocol) = requested_protocol(&http) else {
        return Ok(refusal(
            MediaType::Json,
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            "Subscriptions speak graphql-transport-ws: ask for it with \
             `Sec-WebSocket-Protocol: graphql-transport-ws`.",
        ));
    };
    let (response, session, messages) =
        actix_ws::handle_with_protocols(&http, payload, &[protocol.sec_websocket_protocol()])?;
    let upgrade = Upgrade {
        caps: state.connection_caps.clone(),
        slot,
        services: state.services.clone(),
        metrics: state.metrics.clone(),
        gauge: state.metrics.subscription_opened(),
        cost_limiter: state.cost_limiter.clone(),
        arrival: Arrival::of(&state, &http, request_id.to_string()),
        initialised: Arc::new(AtomicBool::new(false)),
    };
    let connection = Connection {
        request_id: upgrade.arrival.request_id.clone(),
        initialised: upgrade.initialised.clone(),
        init_timeout: state.ws_init_timeout,
        heard: Heard::now(),
    };
    // Messages as large as an HTTP request's body, in one frame or in several.
    let messages = messages
        .max_frame_size(state.max_body_bytes)
        .aggregate_continuations()
        .max_continuation_size(state.max_body_bytes);
    let input = client_messages(messages, session.clone(), connection.heard.clone());
    let schema = state.schema.clone();
    match protocol {
        // async-graphql's name for graphql-transport-ws.
        WebSocketProtocols::GraphQLWS => {
            let replies = protocol::replies(schema, input, upgrade);
            actix_web::rt::spawn(serve(session, Box::pin(replies), connection));
        }
        WebSocketProtocols::SubscriptionsTransportWS => {
            let replies = WebSocket::new(schema, input, protocol).on_connection_init(
                move |payload| async move {
                    connection_init(upgrade, payload)
                        .await
                        .map_err(|refusal| async_graphql::Error::new(refusal.reason))
                },
            );
            actix_web::rt::spawn(serve(session, Box::pin(replies), connection));
        }
    }
    Ok(response)
}

/// The first subprotocol of the request's `Sec-WebSocket-Protocol` that the server speaks.
fn requested_protocol(http: &HttpRequest) -> Option<WebSocketProtocols> {
    http.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|protocol| match protocol.trim() {
            "graphql-transport-ws" => Some(WebSocketProtocols::GraphQLWS),
            "graphql-ws" => Some(WebSocketProtocols::SubscriptionsTransportWS),
            _ => None,
        })
}

/// What [`serve`] watches of a connection besides its messages.
struct Connection {
    request_id: String,
    initialised: Arc<AtomicBool>,
    init_timeout: Duration,
    heard: Heard,
}

/// When the client was last heard from (any frame, pongs included).
#[derive(Clone)]
struct Heard(Arc<Mutex<Instant>>);

impl Heard {
    fn now() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn mark(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn elapsed(&self) -> Duration {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
    }
}

/// The protocol messages of the client, as bytes: answers the client's WebSocket pings on
/// the way, and ends at its close (answered with a close) or at a frame that breaks the
/// WebSocket protocol (closed with 1009 when too large, 1002 otherwise).
fn client_messages(
    messages: AggregatedMessageStream,
    session: Session,
    heard: Heard,
) -> impl Stream<Item = web::Bytes> + Unpin {
    Box::pin(stream::unfold(
        (messages, session, heard),
        |(mut messages, mut session, heard)| async move {
            loop {
                let message = messages.recv().await?;
                heard.mark();
                match message {
                    Ok(AggregatedMessage::Text(text)) => {
                        return Some((text.into_bytes(), (messages, session, heard)));
                    }
                    Ok(AggregatedMessage::Binary(bytes)) => {
                        return Some((bytes, (messages, session, heard)));
                    }
                    Ok(AggregatedMessage::Ping(bytes)) => session.pong(&bytes).await.ok()?,
                    Ok(AggregatedMessage::Pong(_)) => {}
                    Ok(AggregatedMessage::Close(reason)) => {
                        // Closed already if the server closed first; nothing more to do then.
                        let _ = session.close(reason).await;
                        return None;
                    }
                    Err(error) => {
                        let code = match error {
                            actix_ws::ProtocolError::Overflow => CloseCode::Size,
                            _ => CloseCode::Protocol,
                        };
                        let _ = session.close(Some(code.into())).await;
                        return None;
                    }
                }
            }
        },
    ))
}

/// Sends `replies` to the client until they end or close the connection; closes it with
/// 4408 if no `connection_init` came within the init timeout (`PORTAL_WS_INIT_TIMEOUT_SECS`:
/// a connection that never signs in would otherwise hold a place under
/// `PORTAL_WS_MAX_CONNECTIONS`), and drops it when the client has not been heard for
/// [`CLIENT_TIMEOUT`]. The connection's data, and with it its places under the caps, go
/// with `replies` when this returns.
async fn serve(
    mut session: Session,
    mut replies: impl Stream<Item = WsMessage> + Unpin,
    connection: Connection,
) {
    let init_deadline = tokio::time::sleep(connection.init_timeout);
    tokio::pin!(init_deadline);
    let mut heartbeat = tokio::time::interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let close = loop {
        tokio::select! {
            reply = replies.next() => match reply {
                Some(WsMessage::Text(text)) => {
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    break Some(CloseReason { code: code.into(), description: Some(reason) });
                }
                None => break None,
            },
            () = &mut init_deadline, if !connection.initialised.load(Ordering::Acquire) => {
                tracing::info!(
                    request_id = connection.request_id,
                    "subscription connection closed: no connection_init in time"
                );
                break Some(protocol::close_reason(protocol::INIT_TIMEOUT));
            }
            _ = heartbeat.tick() => {
                if connection.heard.elapsed() > CLIENT_TIMEOUT {
                    tracing::info!(
                        request_id = connection.request_id,
                        "subscription connection dropped: the client stopped answering"
                    );
                    break None;
                }
                if session.ping(b"").await.is_err() {
                    return;
                }
            }
        }
    };
    // Closed already when the client closed first.
    let _ = session.close(close).await;
}

/// Why `connection_init` was refused: a close code of `graphql-transport-ws` and a reason
/// short enough for a close frame (the older protocol sends the reason as its
/// `connection_error`).
struct Refusal {
    code: u16,
    reason: String,
}

impl From<protocol::Close> for Refusal {
    fn from((code, reason): protocol::Close) -> Self {
        Self {
            code,
            reason: reason.to_owned(),
        }
    }
}

impl Refusal {
    /// The refusal of a token, whatever is wrong with it or its account: the reason does not
    /// tell a disabled account from a forged token. A server fault is not the token's.
    fn of(error: &ApiError, request_id: &str) -> Self {
        tracing::info!(
            request_id,
            code = error.code(),
            "subscription connection refused"
        );
        if error.code() == code::INTERNAL {
            protocol::INTERNAL_ERROR.into()
        } else {
            protocol::FORBIDDEN_TOKEN.into()
        }
    }
}

/// Signs a WebSocket connection in with the token of its `connection_init` payload, as an
/// HTTP request is signed in by its `Authorization` header; without a token it is anonymous.
/// The connection's data is what an HTTP request's is: its context and loaders.
///
/// # Errors
/// A bad token, a disabled account, an ended login or an account over its connection cap
/// refuse the connection (4403).
async fn connection_init(upgrade: Upgrade, payload: serde_json::Value) -> Result<Data, Refusal> {
    upgrade.initialised.store(true, Ordering::Release);
    let request_id = upgrade.arrival.request_id.clone();
    let refuse = |error: ApiError| Refusal::of(&error, &request_id);
    let token = init_token(&payload).map_err(refuse)?;
    let context = sign_in(&upgrade.services, token.as_deref(), upgrade.arrival)
        .await
        .map_err(refuse)?;
    let session = token
        .as_deref()
        .map(ConnectionSession::of_verified_token)
        .transpose()
        .map_err(refuse)?;
    let account_slot = match context.caller.actor.member() {
        Some(member) => match upgrade.caps.sign_in(member.account_id) {
            Some(slot) => Some(slot),
            None => {
                tracing::info!(
                    request_id = request_id.as_str(),
                    "subscription connection refused: the account's cap is reached"
                );
                return Err(Refusal {
                    code: protocol::FORBIDDEN,
                    reason: format!(
                        "Forbidden: this account holds {} live connections, the most allowed",
                        upgrade.caps.per_account()
                    ),
                });
            }
        },
        None => None,
    };
    let mut data = Data::default();
    data.insert(loaders::for_request(
        upgrade.services,
        context.caller.actor.clone(),
    ));
    data.insert(context);
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
