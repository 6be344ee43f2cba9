//! HTTP hygiene: only JSON bodies are executed (no forms, no plain text, nothing over GET, no
//! batches), bodies are limited while they are read, requests are timed out, and every answer
//! carries the security headers and the configured CORS rules.

use std::time::Duration;

use entity::enums::Role;
use migration::MigratorTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    TestApp, error_codes, fresh_config, spawn_app, spawn_app_with, spawn_built_app,
};

const ME: &str = "{ me { id } }";
const LOGOUT: &str = "mutation { logout { sessionsEnded } }";
/// `LOGOUT` as a query string would carry it.
const LOGOUT_IN_URL: &str = "mutation%7Blogout%7BsessionsEnded%7D%7D";

/// Whether `token` still signs in: proof that a refused `logout` did not run.
async fn still_signed_in(app: &TestApp, token: &str) -> bool {
    let response = app.graphql_as(token, ME, json!({})).await;
    response["data"]["me"]["id"].is_string()
}

/// The JSON error of a refused request, after checking its status.
async fn refused(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON error body");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{body:#}"
    );
    body
}

fn post(app: &TestApp) -> reqwest::RequestBuilder {
    app.client.post(format!("{}/graphql", app.address))
}

#[tokio::test]
async fn forms_multipart_and_plain_text_are_refused_unexecuted() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;
    let logout = json!({ "query": LOGOUT }).to_string();
    let bodies = [
        (
            "application/x-www-form-urlencoded",
            format!("query={LOGOUT}"),
        ),
        (
            "multipart/form-data; boundary=X",
            format!(
                "--X\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{logout}\r\n--X--\r\n"
            ),
        ),
        ("text/plain", logout.clone()),
        ("text/plain; charset=utf-8", logout.clone()),
        ("application/graphql", LOGOUT.to_owned()),
    ];

    for (content_type, body) in bodies {
        let response = post(&app)
            .bearer_auth(&user.access_token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let body = refused(response, 415).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{content_type}");
    }
    let no_type = post(&app)
        .bearer_auth(&user.access_token)
        .body(logout)
        .send()
        .await
        .expect("request");
    refused(no_type, 415).await;

    assert!(still_signed_in(&app, &user.access_token).await);
    // JSON with a charset is served.
    let json = post(&app)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(json!({ "query": "{ __typename }" }).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(json.status(), 200);
}

#[tokio::test]
async fn a_mutation_over_get_is_never_executed() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;

    let response = app
        .client
        .get(format!("{}/graphql?query={LOGOUT_IN_URL}", app.address))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .expect("request");

    // Development serves the GraphiQL page whatever the query string says.
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(
        !response
            .text()
            .await
            .expect("body")
            .contains("sessionsEnded\":")
    );
    assert!(still_signed_in(&app, &user.access_token).await);
}

#[tokio::test]
async fn a_batch_is_refused_and_none_of_it_runs() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;
    let batch: Vec<Value> = (0..10).map(|_| json!({ "query": LOGOUT })).collect();

    let response = post(&app)
        .bearer_auth(&user.access_token)
        .json(&batch)
        .send()
        .await
        .expect("request");

    let body = refused(response, 400).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("Batched")),
        "{body:#}"
    );
    assert!(still_signed_in(&app, &user.access_token).await);
}

#[tokio::test]
async fn a_malformed_body_is_bad_user_input_in_json() {
    let app = spawn_app().await;

    for body in ["{ not json", "{\"query\": 42}", ""] {
        let response = post(&app)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let answer = refused(response, 400).await;
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{body}");
    }
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    let padding = "x".repeat(10 * 1024 * 1024);
    let body = json!({ "query": "{ __typename }", "variables": { "padding": padding } });

    let response = post(&app).json(&body).send().await.expect("request");

    let answer = refused(response, 413).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"]);
    assert_eq!(
        app.data("{ __typename }", json!({})).await["__typename"],
        "Query"
    );
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn the_body_limit_holds_while_a_chunked_body_streams_in() {
    let app = spawn_app_with(&[("PORTAL_MAX_BODY_BYTES", "4096")]).await;
    // A small request under the lowered limit is served.
    assert_eq!(
        app.data("{ __typename }", json!({})).await["__typename"],
        "Query"
    );

    // No Content-Length, and the body never ends: the answer comes once the limit is passed.
    let mut request = b"POST /graphql HTTP/1.1\r\nHost: localhost\r\n\
        Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    let chunk = format!(
        "{{\"query\": \"{{ __typename }}\", \"pad\": \"{}",
        "x".repeat(8000)
    );
    request.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    let (status, body) = raw_request(&app, &request).await;

    assert_eq!(status, 413, "{body}");
    assert!(body.contains("BAD_USER_INPUT"), "{body}");
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_stopped_with_timeout() {
    let app = spawn_app_with(&[("PORTAL_REQUEST_TIMEOUT_SECS", "1")]).await;

    // A body that promises 100 bytes and sends 10: the handler waits for the rest.
    let request = b"POST /graphql HTTP/1.1\r\nHost: localhost\r\n\
        Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":";
    let started = std::time::Instant::now();
    let (status, body) = raw_request(&app, request).await;

    assert_eq!(status, 503, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(error_codes(&answer), ["TIMEOUT"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        app.data("{ __typename }", json!({})).await["__typename"],
        "Query"
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;

    let graphql = post(&app)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    let refused = post(&app)
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("request");
    let health = app.get("/health").await;
    let missing = app.get("/nowhere").await;

    for response in [&graphql, &refused, &health, &missing] {
        let headers = response.headers();
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        assert_eq!(header("x-content-type-options"), Some("nosniff"));
        assert_eq!(header("x-frame-options"), Some("DENY"));
        assert_eq!(header("referrer-policy"), Some("no-referrer"));
        assert_eq!(header("cache-control"), Some("no-store"));
        assert!(
            header("content-security-policy")
                .is_some_and(|policy| policy.starts_with("default-src 'none'")),
            "{headers:?}"
        );
        // Development is served over plain HTTP: no HSTS.
        assert_eq!(header("strict-transport-security"), None);
    }

    // The GraphiQL page has its own policy, which lets its scripts load.
    let page = app.get("/graphql").await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    // Its files come from this server only; no inline script, no inline style but GraphiQL's
    // own, which carries the answer's nonce.
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(policy.contains("style-src 'self' 'nonce-"), "{policy}");
    assert!(policy.contains("connect-src 'self' ws://"), "{policy}");
    for loose in ["unsafe", "https:", "unpkg", "*"] {
        assert!(!policy.contains(loose), "{policy}");
    }
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn production_sends_hsts_and_serves_nothing_over_get() {
    let (config, dir) = fresh_config(&[
        ("PORTAL_ENV", "production"),
        (
            "PORTAL_DATA_KEYS",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
    ])
    .await;
    let (db, _) = api::db::connect(&config.database).await.expect("connect");
    migration::Migrator::up(&db, None).await.expect("migrate");
    let app = spawn_built_app(&config, dir).await;
    let user = app.user(Role::Staff, None).await;

    let get = app
        .client
        .get(format!("{}/graphql?query={LOGOUT_IN_URL}", app.address))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .expect("request");

    assert!(
        matches!(get.status().as_u16(), 404 | 405),
        "{}",
        get.status()
    );
    assert!(
        get.headers()["strict-transport-security"]
            .to_str()
            .is_ok_and(|value| value.starts_with("max-age="))
    );
    assert!(still_signed_in(&app, &user.access_token).await);
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only() {
    let allowed = "https://portal.example.org";
    let app = spawn_app_with(&[("PORTAL_CORS_ORIGINS", allowed)]).await;
    let headers = "authorization, content-type";

    let yes = preflight(&app, allowed, "POST", headers).await;
    let no = preflight(&app, "https://evil.example.com", "POST", headers).await;
    let post_from = |origin: &'static str| {
        post(&app)
            .header("Origin", origin)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
    };
    let allowed_post = post_from("https://portal.example.org")
        .await
        .expect("request");
    let other_post = post_from("https://evil.example.com")
        .await
        .expect("request");

    assert!(yes.status().is_success(), "{}", yes.status());
    assert_eq!(yes.headers()["access-control-allow-origin"], allowed);
    let methods = yes.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    assert!(!methods.contains("DELETE"), "{methods}");
    let headers = yes.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );

    assert!(no.headers().get("access-control-allow-origin").is_none());
    let no = refused_preflight(no).await;
    assert!(
        no.contains("`https://evil.example.com`") && no.contains("PORTAL_CORS_ORIGINS"),
        "{no}"
    );
    assert_eq!(
        allowed_post.headers()["access-control-allow-origin"],
        allowed
    );
    assert!(
        other_post
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Without a list, no origin is allowed.
    let closed = spawn_app().await;
    let refused = preflight(&closed, allowed, "POST", "content-type").await;
    let refused = refused_preflight(refused).await;
    assert!(refused.contains("PORTAL_CORS_ORIGINS"), "{refused}");
}

/// A CORS preflight of `POST /graphql` from `origin`, asking to send `headers`.
async fn preflight(app: &TestApp, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .expect("request")
}

/// The message of a refused preflight, after checking that it is a GraphQL-shaped `FORBIDDEN`
/// in JSON that allows nothing.
async fn refused_preflight(response: reqwest::Response) -> String {
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|media| media.starts_with("application/json"))
    );
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let body = refused(response, 403).await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn cors_allows_tracing_and_client_headers_and_the_configured_ones() {
    let origin = "https://portal.example.org";
    let browser_headers = "authorization, content-type, traceparent, tracestate, baggage, \
                           sentry-trace, apollographql-client-name, \
                           apollographql-client-version, accept-language, idempotency-key, \
                           x-request-id";
    let app = spawn_app_with(&[
        ("PORTAL_CORS_ORIGINS", origin),
        ("PORTAL_CORS_ALLOWED_HEADERS", "X-Client-Build"),
    ])
    .await;
    let by_default = spawn_app_with(&[("PORTAL_CORS_ORIGINS", origin)]).await;

    let browser = preflight(&by_default, origin, "POST", browser_headers).await;
    let configured = preflight(&app, origin, "POST", "x-client-build, traceparent").await;
    let unconfigured = preflight(&by_default, origin, "POST", "traceparent, x-client-build").await;
    let unknown = preflight(&app, origin, "POST", "x-secret-sauce").await;
    let method = preflight(&app, origin, "DELETE", "content-type").await;

    assert_eq!(browser.status(), 200);
    assert_eq!(browser.headers()["access-control-allow-origin"], origin);
    let allowed = browser.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in browser_headers.split(',').map(str::trim) {
        assert!(allowed.contains(name), "{name} in {allowed}");
    }
    assert_eq!(configured.status(), 200);
    assert!(
        configured.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap_or_default()
            .contains("x-client-build")
    );
    for (refusal, named) in [
        (unconfigured, "`x-client-build`"),
        (unknown, "`x-secret-sauce`"),
    ] {
        let message = refused_preflight(refusal).await;
        assert!(message.contains(named), "{message}");
        assert!(!message.contains("traceparent"), "{message}");
        assert!(message.contains("PORTAL_CORS_ALLOWED_HEADERS"), "{message}");
    }
    let method = refused_preflight(method).await;
    assert!(method.contains("`DELETE`"), "{method}");
}

/// Sends `request` as raw bytes (for bodies `reqwest` will not send: unfinished, chunked
/// without end) and reads the answer: its status and body.
async fn raw_request(app: &TestApp, request: &[u8]) -> (u16, String) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request).await.expect("send");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0_u8; 4096];
        loop {
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            if read == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..read]);
            if complete(&answer) {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .expect("a status line");
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Whether `answer` holds its headers and the `Content-Length` bytes of body they announce.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .is_some_and(|length| body.len() >= length)
}

#[tokio::test]
async fn postgres_cancels_a_statement_over_the_statement_timeout() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    // SQLite has no statement timeout; its busy timeout bounds waiting for a lock.
    if crate::helpers::postgres_only("postgres_cancels_a_statement_over_the_statement_timeout")
        .is_none()
    {
        return;
    }
    let app = spawn_app().await;
    // A pool of its own with a 1 s timeout: the app's migrations ran under the default (on a
    // loaded machine one of them took over a second).
    let mut config = app.config.clone();
    config.database.statement_timeout = Some(Duration::from_secs(1));
    let (db, _) = api::db::connect(&config.database).await.expect("connect");
    let statement = |sql: &str| Statement::from_string(DbBackend::Postgres, sql);

    let setting = db
        .query_one_raw(statement("SHOW statement_timeout"))
        .await
        .expect("show")
        .expect("a row")
        .try_get_by_index::<String>(0)
        .expect("a text");
    let slow = db.execute_raw(statement("SELECT pg_sleep(3)")).await;

    assert_eq!(setting, "1s");
    let error = slow.expect_err("cancelled by the statement timeout");
    assert!(error.to_string().contains("statement timeout"), "{error}");
}
