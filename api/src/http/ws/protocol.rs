//! The `graphql-transport-ws` protocol
//! (<https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md>), which client libraries
//! (graphql-ws, Apollo Client, urql, GraphiQL) act on by its close codes:
//!
//! | code | when |
//! |------|------|
//! | 4400 | a message that is not one of the protocol's (the reason names what is wrong) |
//! | 4401 | `subscribe` before the connection is acknowledged |
//! | 4403 | `connection_init` refused: the token, the account, or its connection cap |
//! | 4408 | no `connection_init` in time (closed by [`super::serve`]) |
//! | 4409 | `subscribe` with the id of an operation still running |
//! | 4429 | a second `connection_init` |
//! | 4500 | the server failed |
//!
//! async-graphql implements the protocol too, but closes with other codes (1002 for a refused
//! `connection_init` or a message it cannot read, 1011 for a `subscribe` before the
//! acknowledgement), lets a second `subscribe` with a live id silently replace the first, and
//! sends a document it refuses as `next` and `complete` rather than `error`; it offers no hook
//! to change any of that. Messages are read in order: one sent before the acknowledgement
//! of its `connection_init` is read after it.

use std::{collections::HashMap, sync::Arc};

use actix_ws::CloseReason;
use async_graphql::{Data, Request, Response, ServerError, Value, http::WsMessage};
use futures_util::{
    Stream, StreamExt, future,
    stream::{self, AbortHandle, BoxStream, SelectAll},
};
use serde::Serialize;

use super::{Refusal, Upgrade, connection_init};
use crate::graphql::PortalSchema;

/// A close code with its reason.
pub(super) type Close = (u16, &'static str);

pub(super) const BAD_REQUEST: u16 = 4400;
pub(super) const UNAUTHORIZED: Close = (4401, "Unauthorized");
pub(super) const FORBIDDEN: u16 = 4403;
pub(super) const FORBIDDEN_TOKEN: Close = (
    FORBIDDEN,
    "Forbidden: the token is not valid; sign in again",
);
pub(super) const INIT_TIMEOUT: Close = (4408, "Connection initialisation timeout");
pub(super) const SUBSCRIBER_EXISTS: u16 = 4409;
pub(super) const TOO_MANY_INITIALISATIONS: Close = (4429, "Too many initialisation requests");
pub(super) const INTERNAL_ERROR: Close = (4500, "Internal server error");

/// The longest close reason a close frame carries (RFC 6455: 125 bytes, less the code).
const MAX_REASON_BYTES: usize = 123;

/// The close frame of `close`.
pub(super) fn close_reason((code, reason): Close) -> CloseReason {
    CloseReason {
        code: code.into(),
        description: Some(reason.to_owned()),
    }
}

/// The server's side of a connection whose client sends `input`: what to send, the close
/// last.
pub(super) fn replies(
    schema: PortalSchema,
    input: impl Stream<Item = actix_web::web::Bytes> + Unpin,
    upgrade: Upgrade,
) -> impl Stream<Item = WsMessage> {
    let connection = Connection {
        schema,
        input,
        upgrade: Some(upgrade),
        data: None,
        operations: SelectAll::new(),
        live: HashMap::new(),
        started: 0,
        closed: false,
    };
    stream::unfold(connection, |mut connection| async move {
        let reply = connection.next().await?;
        Some((reply, connection))
    })
}

/// A message of the client.
#[derive(Debug)]
enum ClientMessage {
    ConnectionInit(serde_json::Value),
    Ping,
    Pong,
    Subscribe { id: String, request: Box<Request> },
    Complete { id: String },
}

impl ClientMessage {
    /// Reads one message; the error is the reason to close with 4400, short and fixed (never
    /// a parser's message, which quotes the input).
    fn parse(bytes: &[u8]) -> Result<Self, &'static str> {
        let Ok(serde_json::Value::Object(mut message)) = serde_json::from_slice(bytes) else {
            return Err("Invalid message: not a JSON object");
        };
        let id = match message.remove("id") {
            Some(serde_json::Value::String(id)) if !id.is_empty() => Some(id),
            _ => None,
        };
        match message.get("type").and_then(serde_json::Value::as_str) {
            Some("connection_init") => Ok(Self::ConnectionInit(
                message.remove("payload").unwrap_or_default(),
            )),
            Some("ping") => Ok(Self::Ping),
            Some("pong") => Ok(Self::Pong),
            Some("subscribe") => {
                let request = message
                    .remove("payload")
                    .filter(|payload| payload.get("query").is_some_and(|query| query.is_string()))
                    .and_then(|payload| serde_json::from_value::<Request>(payload).ok());
                match (id, request) {
                    (Some(id), Some(request)) => Ok(Self::Subscribe {
                        id,
                        request: Box::new(request),
                    }),
                    _ => Err("Invalid message: subscribe needs an id and a payload with a query"),
                }
            }
            Some("complete") => id
                .map(|id| Self::Complete { id })
                .ok_or("Invalid message: complete needs an id"),
            _ => Err("Invalid message: unknown type"),
        }
    }
}

/// A message of the server.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage<'a> {
    ConnectionAck,
    Pong,
    Next {
        id: &'a str,
        payload: &'a Response,
    },
    Error {
        id: &'a str,
        payload: &'a [ServerError],
    },
    Complete {
        id: &'a str,
    },
}

/// What an operation's stream gives: each of its responses, then `None` at its end.
struct Event {
    id: String,
    start: u64,
    response: Option<Response>,
}

/// A running operation.
struct Operation {
    /// Which start of its id this is: an id may be used again once its operation is over,
    /// while the events of the earlier one may still be on their way.
    start: u64,
    abort: AbortHandle,
    /// Whether a response was sent.
    answered: bool,
}

struct Connection<S> {
    schema: PortalSchema,
    input: S,
    /// Until `connection_init`.
    upgrade: Option<Upgrade>,
    /// After the acknowledgement.
    data: Option<Arc<Data>>,
    operations: SelectAll<BoxStream<'static, Event>>,
    live: HashMap<String, Operation>,
    started: u64,
    closed: bool,
}

impl<S: Stream<Item = actix_web::web::Bytes> + Unpin> Connection<S> {
    /// The next message to send; `None` once the client is gone or the connection closed.
    async fn next(&mut self) -> Option<WsMessage> {
        while !self.closed {
            let reply = tokio::select! {
                message = self.input.next() => self.on_message(&message?).await,
                Some(event) = self.operations.next(), if !self.operations.is_empty() => {
                    self.on_event(event)
                }
            };
            if reply.is_some() {
                return reply;
            }
        }
        None
    }

    async fn on_message(&mut self, bytes: &[u8]) -> Option<WsMessage> {
        let message = match ClientMessage::parse(bytes) {
            Ok(message) => message,
            Err(reason) => return self.close((BAD_REQUEST, reason)),
        };
        match message {
            ClientMessage::ConnectionInit(payload) => {
                let Some(upgrade) = self.upgrade.take() else {
                    return self.close(TOO_MANY_INITIALISATIONS);
                };
                match connection_init(upgrade, payload).await {
                    Ok(data) => {
                        self.data = Some(Arc::new(data));
                        Some(self.send(&ServerMessage::ConnectionAck))
                    }
                    Err(Refusal { code, reason }) => {
                        self.closed = true;
                        Some(WsMessage::Close(code, reason))
                    }
                }
            }
            ClientMessage::Ping => Some(self.send(&ServerMessage::Pong)),
            ClientMessage::Pong => None,
            ClientMessage::Subscribe { id, request } => {
                let Some(data) = self.data.clone() else {
                    return self.close(UNAUTHORIZED);
                };
                if self.live.contains_key(&id) {
                    self.closed = true;
                    return Some(WsMessage::Close(SUBSCRIBER_EXISTS, subscriber_exists(&id)));
                }
                self.start(id, *request, data);
                None
            }
            ClientMessage::Complete { id } => {
                // The client's end of an operation: nothing more is sent for it, not even
                // `complete`.
                if let Some(operation) = self.live.remove(&id) {
                    operation.abort.abort();
                }
                None
            }
        }
    }

    fn start(&mut self, id: String, request: Request, data: Arc<Data>) {
        self.started += 1;
        let start = self.started;
        let (responses, abort) =
            stream::abortable(self.schema.execute_stream_with_session_data(request, data));
        let events = responses
            .map(Some)
            .chain(stream::once(future::ready(None)))
            .map({
                let id = id.clone();
                move |response| Event {
                    id: id.clone(),
                    start,
                    response,
                }
            });
        self.operations.push(events.boxed());
        self.live.insert(
            id,
            Operation {
                start,
                abort,
                answered: false,
            },
        );
    }

    fn on_event(&mut self, event: Event) -> Option<WsMessage> {
        let Event {
            id,
            start,
            response,
        } = event;
        // An operation the client completed, or an earlier one of the same id: dropped.
        let operation = self
            .live
            .get_mut(&id)
            .filter(|operation| operation.start == start)?;
        let Some(response) = response else {
            self.live.remove(&id);
            return Some(self.send(&ServerMessage::Complete { id: &id }));
        };
        if !operation.answered && refused_before_execution(&response) {
            if let Some(operation) = self.live.remove(&id) {
                operation.abort.abort();
            }
            return Some(self.send(&ServerMessage::Error {
                id: &id,
                payload: &response.errors,
            }));
        }
        operation.answered = true;
        Some(self.send(&ServerMessage::Next {
            id: &id,
            payload: &response,
        }))
    }

    fn send(&mut self, message: &ServerMessage<'_>) -> WsMessage {
        match serde_json::to_string(message) {
            Ok(text) => WsMessage::Text(text),
            Err(error) => {
                // Cannot happen for these types (JSON values with string keys); closed
                // rather than sent half.
                tracing::error!(error = %error, "a subscription message did not serialise");
                self.closed = true;
                WsMessage::Close(INTERNAL_ERROR.0, INTERNAL_ERROR.1.to_owned())
            }
        }
    }

    fn close(&mut self, (code, reason): Close) -> Option<WsMessage> {
        self.closed = true;
        Some(WsMessage::Close(code, reason.to_owned()))
    }
}

/// Whether `response`, the first of its operation, refuses the operation before running it:
/// async-graphql answers a document it cannot parse or validate, or whose arguments it
/// cannot read, with no data and errors that point at the document, not at a field. The
/// protocol's `error` message is for those; a resolver's error has a path and is `next`.
fn refused_before_execution(response: &Response) -> bool {
    matches!(response.data, Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The reason of 4409, naming the id when it fits in a close frame.
fn subscriber_exists(id: &str) -> String {
    let reason = format!("Subscriber for {id} already exists");
    if reason.len() <= MAX_REASON_BYTES {
        reason
    } else {
        "Subscriber for this id already exists".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_close_reason_fits_a_close_frame() {
        for (_, reason) in [
            UNAUTHORIZED,
            FORBIDDEN_TOKEN,
            INIT_TIMEOUT,
            TOO_MANY_INITIALISATIONS,
            INTERNAL_ERROR,
        ] {
            assert!(reason.len() <= MAX_REASON_BYTES, "{reason}");
        }
        assert_eq!(subscriber_exists("7"), "Subscriber for 7 already exists");
        assert!(subscriber_exists(&"é".repeat(100)).len() <= MAX_REASON_BYTES);
    }
}
