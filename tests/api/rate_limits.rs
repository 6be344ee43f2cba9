//! Rate limits in query cost: a budget per account and one per client address, refusals with
//! `RATE_LIMITED`, the time to wait and `429`; the client address behind trusted proxies.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, spawn_app_with};

/// Small budgets, and the test client (127.0.0.1) trusted as a proxy so that a test can
/// speak for several client addresses through `X-Forwarded-For`.
const BEHIND_PROXY: [(&str, &str); 3] = [
    ("PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE", "100"),
    ("PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE", "1000"),
    ("PORTAL_TRUSTED_PROXIES", "127.0.0.1"),
];

/// Costs 2 (two fields).
const CHEAP: &str = "{ me { id } }";
/// Costs 31: ten nodes of three fields, and the connection.
const PROBE: &str = "{ projects(first: 10) { edges { node { code } } } }";
/// Costs 401: more than an account's whole budget of 100.
const EXPENSIVE: &str = "{ projects(first: 100) { edges { node { code title } } } }";

/// An answer: status, `Retry-After`, body.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

impl Answer {
    fn passed(&self) -> bool {
        self.status == 200 && self.body.get("errors").is_none()
    }

    /// Asserts a refusal by a rate limit, complete with the time to wait.
    fn assert_rate_limited(&self) {
        assert_eq!(self.status, 429, "{:#}", self.body);
        assert_eq!(error_codes(&self.body), ["RATE_LIMITED"]);
        let error = &self.body["errors"][0];
        let wait = error["extensions"]["retryAfterSeconds"].as_u64();
        assert!(wait.is_some_and(|wait| (1..=60).contains(&wait)), "{error}");
        assert_eq!(self.retry_after, wait);
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|message| message.contains("try again")),
            "{error}"
        );
        assert!(self.body["data"].is_null());
    }
}

/// Posts `query` as `token` (or anonymously), from `client` through the proxy (or directly).
async fn post(app: &TestApp, token: Option<&str>, client: Option<&str>, query: &str) -> Answer {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(client) = client {
        request = request.header("X-Forwarded-For", client);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let body = response.json().await.expect("JSON");
    Answer {
        status,
        retry_after,
        body,
    }
}

#[tokio::test]
async fn an_account_over_its_budget_is_refused_and_others_still_pass() {
    let app = spawn_app_with(&BEHIND_PROXY).await;
    let over = app.user(Role::Staff, None).await;
    let other = app.user(Role::Staff, None).await;
    let office = Some("203.0.113.10");

    let spent = post(&app, Some(&over.access_token), office, EXPENSIVE).await;
    let refused = post(&app, Some(&over.access_token), office, PROBE).await;
    let same_address = post(&app, Some(&other.access_token), office, PROBE).await;
    let elsewhere = post(&app, None, Some("198.51.100.20"), PROBE).await;

    assert!(spent.passed(), "{:#}", spent.body);
    refused.assert_rate_limited();
    assert!(same_address.passed(), "{:#}", same_address.body);
    assert!(elsewhere.passed(), "{:#}", elsewhere.body);
}

#[tokio::test]
async fn an_address_over_its_budget_is_refused_and_others_still_pass() {
    let app = spawn_app_with(&BEHIND_PROXY).await;
    let crowded = Some("203.0.113.20");

    // 401 each against 1000: the third cannot be paid.
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(post(&app, None, crowded, EXPENSIVE).await);
    }
    let elsewhere = post(&app, None, Some("203.0.113.21"), EXPENSIVE).await;

    assert!(answers[0].passed() && answers[1].passed());
    answers[2].assert_rate_limited();
    assert!(elsewhere.passed(), "{:#}", elsewhere.body);
}

#[tokio::test]
async fn an_expensive_query_spends_more_of_the_budget_than_cheap_ones() {
    let app = spawn_app_with(&BEHIND_PROXY).await;
    let thrifty = app.user(Role::Staff, None).await;
    let lavish = app.user(Role::Staff, None).await;
    let office = Some("203.0.113.30");

    for _ in 0..5 {
        let cheap = post(&app, Some(&thrifty.access_token), office, CHEAP).await;
        assert!(cheap.passed(), "{:#}", cheap.body);
    }
    let thrifty_probe = post(&app, Some(&thrifty.access_token), office, PROBE).await;
    let expensive = post(&app, Some(&lavish.access_token), office, EXPENSIVE).await;
    let lavish_probe = post(&app, Some(&lavish.access_token), office, PROBE).await;

    assert!(thrifty_probe.passed(), "{:#}", thrifty_probe.body);
    assert!(expensive.passed(), "{:#}", expensive.body);
    lavish_probe.assert_rate_limited();
}

#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    // No trusted proxy: the header is the client's own invention.
    let app = spawn_app_with(&[("PORTAL_RATE_LIMIT_ADDRESS_COST_PER_MINUTE", "1000")]).await;

    let mut last = None;
    for _ in 0..3 {
        last = Some(post(&app, None, Some("203.0.113.40"), EXPENSIVE).await);
    }
    let spoofed = post(&app, None, Some("203.0.113.41"), EXPENSIVE).await;

    last.expect("three answers").assert_rate_limited();
    spoofed.assert_rate_limited();
}

#[tokio::test]
async fn the_sign_in_limit_counts_the_forwarded_client_address() {
    let app = spawn_app_with(&[
        ("PORTAL_TRUSTED_PROXIES", "127.0.0.0/8"),
        ("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "2"),
    ])
    .await;
    let login = r#"mutation { login(email: "nobody@example.org", password: "Wrong-Password-Here-1") { accessToken } }"#;

    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(error_codes(
            &post(&app, None, Some("203.0.113.50"), login).await.body,
        ));
    }
    let elsewhere = post(&app, None, Some("203.0.113.51"), login).await;

    assert_eq!(
        codes,
        [
            vec!["UNAUTHENTICATED"],
            vec!["UNAUTHENTICATED"],
            vec!["RATE_LIMITED"]
        ]
    );
    assert_eq!(error_codes(&elsewhere.body), ["UNAUTHENTICATED"]);
}
