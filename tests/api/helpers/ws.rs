//! A `graphql-transport-ws` client for tests, its messages written by hand: `connection_init`
//! and `connection_ack`, `subscribe`, then `next`, `error` and `complete`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use super::TestApp;

/// How long a test waits for a message that should come.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a test listens to be sure that nothing comes.
pub const SILENCE: Duration = Duration::from_millis(500);

/// The subscription every test makes.
pub const REFERRAL_EVENTS: &str =
    "subscription { referralEvents { caseId code change status at } }";

/// A `connection_init` the server refused by closing the connection.
#[derive(Debug)]
pub struct Refused {
    pub code: u16,
    pub reason: String,
}

/// An open connection.
#[derive(Debug)]
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// A message the server sent.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// A protocol message (`next`, `error`, `complete`, …) as JSON.
    Message(Value),
    /// The server closed the connection, with this code and reason.
    Closed(u16, String),
}

impl TestApp {
    /// The WebSocket address of the subscriptions.
    pub fn ws_address(&self) -> String {
        format!("{}/graphql/ws", self.address.replacen("http", "ws", 1))
    }

    /// Connects with the subprotocol `protocol` (`graphql-transport-ws`, or the older
    /// `graphql-ws`), which the server must accept; nothing sent yet.
    pub async fn ws_connect(&self, protocol: &'static str) -> WsClient {
        let mut request = self
            .ws_address()
            .into_client_request()
            .expect("a WebSocket request");
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
        let (socket, response) = connect_async(request).await.expect("WebSocket handshake");
        assert_eq!(
            response.headers().get("Sec-WebSocket-Protocol"),
            Some(&HeaderValue::from_static(protocol)),
            "the server speaks {protocol}"
        );
        WsClient { socket }
    }

    /// Connects with `graphql-transport-ws` and sends `connection_init` with `payload`; the
    /// open connection once the server acknowledged it.
    pub async fn ws_init(&self, payload: Value) -> Result<WsClient, Refused> {
        let mut client = self.ws_connect("graphql-transport-ws").await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match client.receive(DELIVERY_TIMEOUT).await {
            Some(Received::Message(message)) if message["type"] == "connection_ack" => Ok(client),
            Some(Received::Closed(code, reason)) => Err(Refused { code, reason }),
            other => panic!("expected connection_ack or a close, got {other:?}"),
        }
    }

    /// A connection signed in with `token`.
    pub async fn ws_as(&self, token: &str) -> WsClient {
        self.ws_init(json!({ "Authorization": format!("Bearer {token}") }))
            .await
            .expect("connection_ack")
    }

    /// A connection signed in with `token`, subscribed to `referralEvents` as `id`; returns
    /// once the server listens for it.
    pub async fn referral_events_as(&self, token: &str, id: &str) -> WsClient {
        let before = self.case_events.subscriber_count();
        let mut client = self.ws_as(token).await;
        client.subscribe(id, REFERRAL_EVENTS).await;
        self.wait_for_subscribers(before + 1).await;
        client
    }

    /// Waits until the server holds at least `count` subscriptions: a subscription is live
    /// only once its resolver ran, and the protocol does not say when that is.
    pub async fn wait_for_subscribers(&self, count: usize) {
        let started = tokio::time::Instant::now();
        while self.case_events.subscriber_count() < count {
            assert!(
                started.elapsed() < DELIVERY_TIMEOUT,
                "the subscription did not start"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl WsClient {
    /// Sends one protocol message.
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send a WebSocket message");
    }

    /// Sends one text frame as it is (for messages that are not JSON).
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("send a WebSocket message");
    }

    /// Sends `subscribe` with `query` as operation `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
    }

    /// The next protocol message or the close, within `timeout`; `None` if nothing came.
    /// Answers protocol pings on the way.
    pub async fn receive(&mut self, timeout: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                None => return Some(Received::Closed(1006, String::new())),
                Some(Err(error)) => return Some(Received::Closed(1006, error.to_string())),
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str()).expect("JSON");
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(Received::Message(message));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(
                        frame.map_or(Received::Closed(1005, String::new()), |frame| {
                            Received::Closed(
                                u16::from(frame.code),
                                frame.reason.as_str().to_owned(),
                            )
                        }),
                    );
                }
                // WebSocket pings are answered by the library.
                Some(Ok(_)) => {}
            }
        }
    }

    /// The payload of the next `next` message of operation `id`: the GraphQL response.
    pub async fn next_response(&mut self, id: &str) -> Value {
        match self.receive(DELIVERY_TIMEOUT).await {
            Some(Received::Message(message)) if message["type"] == "next" => {
                assert_eq!(message["id"], id, "{message}");
                message["payload"].clone()
            }
            other => panic!("expected `next` for {id}, got {other:?}"),
        }
    }

    /// The next event of the `referralEvents` subscription `id`.
    pub async fn next_event(&mut self, id: &str) -> Value {
        let response = self.next_response(id).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"]["referralEvents"].clone()
    }

    /// The `extensions.code`s of the errors operation `id` ends with (a `next` carrying errors
    /// and then `complete`, or an `error` message).
    pub async fn errors_then_complete(&mut self, id: &str) -> Vec<String> {
        let message = match self.receive(DELIVERY_TIMEOUT).await {
            Some(Received::Message(message)) => message,
            other => panic!("expected errors for {id}, got {other:?}"),
        };
        assert_eq!(message["id"], id, "{message}");
        let errors = match message["type"].as_str() {
            Some("next") => message["payload"]["errors"].clone(),
            Some("error") => return codes(&message["payload"]),
            _ => panic!("expected errors for {id}, got {message}"),
        };
        assert_eq!(
            self.receive(DELIVERY_TIMEOUT).await,
            Some(Received::Message(json!({ "id": id, "type": "complete" }))),
            "the subscription ends after its error"
        );
        codes(&errors)
    }

    /// The errors of the `error` message that refuses operation `id` (a document the server
    /// would not run): asserts that no `complete` follows, as the protocol says.
    pub async fn refused_operation(&mut self, id: &str) -> Value {
        let errors = match self.receive(DELIVERY_TIMEOUT).await {
            Some(Received::Message(message)) if message["type"] == "error" => {
                assert_eq!(message["id"], id, "{message}");
                message["payload"].clone()
            }
            other => panic!("expected `error` for {id}, got {other:?}"),
        };
        self.assert_silent().await;
        errors
    }

    /// The code and reason the server closes the connection with next; fails on any message
    /// before the close.
    pub async fn closed(&mut self) -> (u16, String) {
        match self.receive(DELIVERY_TIMEOUT).await {
            Some(Received::Closed(code, reason)) => (code, reason),
            other => panic!("expected the server to close the connection, got {other:?}"),
        }
    }

    /// Asserts that nothing comes for a while.
    pub async fn assert_silent(&mut self) {
        if let Some(received) = self.receive(SILENCE).await {
            panic!("expected nothing, got {received:?}");
        }
    }
}

fn codes(errors: &Value) -> Vec<String> {
    errors
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    error["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}
