//! `/metrics`: the Prometheus text of requests by route, latency, errors by code, the database
//! pool and the statements sent; open in development, behind its token when one is set, and
//! free of anything a client sent.

use serde_json::json;

use crate::helpers::{TestApp, error_codes, spawn_app, spawn_app_with};

/// The value of the sample `series` (the whole text before the value, labels included).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|value| value.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        response.headers()
    );
    response.text().await.expect("the metrics text")
}

const GRAPHQL_OK: &str =
    "portal_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}";
const NOT_FOUND_ERRORS: &str = "portal_graphql_errors_total{code=\"NOT_FOUND\"}";
const LATENCY_COUNT: &str =
    "portal_http_request_duration_seconds_count{method=\"POST\",route=\"/graphql\"}";

#[tokio::test]
async fn counters_move_after_requests() {
    let app = spawn_app().await;
    app.data("{ projects { totalCount } }", json!({})).await;
    let before = scrape(&app).await;

    let missing = app
        .graphql(
            r#"{ project(id: "0190c1c4-0000-7000-8000-000000000000") { code } }"#,
            json!({}),
        )
        .await;
    let after = scrape(&app).await;

    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
    let moved = |series: &str| {
        let before = sample(&before, series).unwrap_or(0.0);
        let after = sample(&after, series).unwrap_or_else(|| panic!("{series} in\n{after}"));
        after - before
    };
    assert_eq!(moved(GRAPHQL_OK), 1.0);
    assert_eq!(moved(NOT_FOUND_ERRORS), 1.0);
    assert_eq!(moved(LATENCY_COUNT), 1.0);
    assert!(moved("portal_db_statements_total") >= 1.0);
    assert!(
        after.contains(
            "portal_http_request_duration_seconds_bucket{method=\"POST\",route=\"/graphql\",le=\"+Inf\"}"
        ),
        "{after}"
    );
    // The database pool: the test app's pool holds at most 5 connections.
    assert_eq!(sample(&after, "portal_db_pool_connections_max"), Some(5.0));
    assert!(sample(&after, "portal_db_pool_connections_idle").is_some());
    assert!(sample(&after, "portal_db_pool_connections_in_use").is_some());
    // The statement counter is the one the tests count with.
    assert!(
        sample(&after, "portal_db_statements_total") >= Some(app.statements.get() as f64 - 1.0)
    );
}

#[tokio::test]
async fn refusals_outside_execution_are_counted_by_code() {
    let app = spawn_app().await;
    let before = scrape(&app).await;

    let bad_token = app
        .graphql_as("not-a-token", "{ me { id } }", json!({}))
        .await;
    let not_json = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("request");
    let after = scrape(&app).await;

    assert_eq!(error_codes(&bad_token), ["UNAUTHENTICATED"]);
    assert_eq!(not_json.status(), 415);
    for (series, count) in [
        ("portal_graphql_errors_total{code=\"UNAUTHENTICATED\"}", 1.0),
        ("portal_graphql_errors_total{code=\"BAD_USER_INPUT\"}", 1.0),
        (
            "portal_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"415\"}",
            1.0,
        ),
    ] {
        let grew = sample(&after, series).unwrap_or(0.0) - sample(&before, series).unwrap_or(0.0);
        assert_eq!(grew, count, "{series}");
    }
}

#[tokio::test]
async fn routes_are_labelled_by_pattern_never_by_raw_path() {
    let app = spawn_app().await;
    let email = "someone@example.org";

    let unknown = app
        .get(&format!(
            "/accounts/0190c1c4-0000-7000-8000-000000000000/{email}"
        ))
        .await;
    app.get("/health").await;
    let text = scrape(&app).await;

    assert_eq!(unknown.status(), 404);
    assert!(
        text.contains(
            "portal_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("route=\"/health\""), "{text}");
    assert!(!text.contains("0190c1c4"), "{text}");
    assert!(!text.contains("example.org"), "{text}");
}

#[tokio::test]
async fn a_metrics_token_is_asked_for_when_set() {
    let token = "metrics-token-0123456789";
    let app = spawn_app_with(&[("PORTAL_METRICS_TOKEN", token)]).await;

    let without = app.get("/metrics").await;
    let wrong = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth("metrics-token-wrong-0000")
        .send()
        .await
        .expect("request");
    let with = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");

    assert_eq!(without.status(), 401);
    let body: serde_json::Value = without.json().await.expect("JSON");
    assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
    assert_eq!(wrong.status(), 401);
    assert_eq!(with.status(), 200);
    assert!(
        with.text()
            .await
            .expect("text")
            .contains("portal_db_statements_total")
    );
}
