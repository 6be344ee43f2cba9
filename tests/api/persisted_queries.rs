//! Automatic persisted queries as Apollo's client speaks them, the store shared by server
//! processes, its bounds, and the allow-list of `PORTAL_PERSISTED_QUERIES_ONLY`.

use api::services::persisted_queries::QueryHash;
use entity::persisted_query;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, spawn_app, spawn_app_with, ws::REFERRAL_EVENTS};

const ORGANISATIONS: &str = "query Organisations { organisations(first: 5) { totalCount } }";

/// The SHA-256 of `document` in lower-case hex, as Apollo's link computes it.
fn sha256(document: &str) -> String {
    QueryHash::of(document).as_str().to_owned()
}

/// `extensions.persistedQuery` naming `hash`.
fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// Posts `body` to `/graphql` as it is; the status and the JSON answer.
async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("JSON response"))
}

/// The first request of Apollo's link: the hash alone.
async fn by_hash(app: &TestApp, document: &str) -> (StatusCode, Value) {
    post(
        app,
        json!({ "extensions": persisted(&sha256(document)), "variables": {} }),
    )
    .await
}

/// Its retry after `PERSISTED_QUERY_NOT_FOUND`: the hash and the text.
async fn with_text(app: &TestApp, document: &str) -> (StatusCode, Value) {
    post(
        app,
        json!({
            "query": document,
            "extensions": persisted(&sha256(document)),
            "variables": {},
        }),
    )
    .await
}

fn assert_served(answer: &(StatusCode, Value)) {
    assert_eq!(answer.0, StatusCode::OK, "{:#}", answer.1);
    assert!(answer.1.get("errors").is_none(), "{:#}", answer.1);
    assert_eq!(
        answer.1["data"]["organisations"]["totalCount"], 0,
        "{:#}",
        answer.1
    );
}

fn assert_refused(answer: &(StatusCode, Value), code: &str) {
    assert_eq!(answer.0, StatusCode::OK, "{:#}", answer.1);
    assert_eq!(error_codes(&answer.1), [code], "{:#}", answer.1);
    assert!(
        answer.1.get("data").is_none_or(Value::is_null),
        "{:#}",
        answer.1
    );
}

#[tokio::test]
async fn an_unknown_hash_is_registered_with_its_text_and_then_served_by_hash() {
    let app = spawn_app().await;

    let first = by_hash(&app, ORGANISATIONS).await;
    assert_refused(&first, "PERSISTED_QUERY_NOT_FOUND");
    // Apollo's link recognises the message as well as the code.
    assert_eq!(first.1["errors"][0]["message"], "PersistedQueryNotFound");

    assert_served(&with_text(&app, ORGANISATIONS).await);
    assert_served(&by_hash(&app, ORGANISATIONS).await);
    // A hash in capitals names the same document.
    assert_served(
        &post(
            &app,
            json!({ "extensions": persisted(&sha256(ORGANISATIONS).to_uppercase()) }),
        )
        .await,
    );

    let stored = app.rows::<persisted_query::Entity>().await;
    assert_eq!(stored, 1);
    // A plain request is served as before.
    assert_eq!(
        app.data(ORGANISATIONS, json!({})).await["organisations"]["totalCount"],
        0
    );
}

#[tokio::test]
async fn a_hash_that_is_not_the_sha256_of_the_text_is_refused() {
    let app = spawn_app().await;

    let mismatch = post(
        &app,
        json!({ "query": ORGANISATIONS, "extensions": persisted(&sha256("{ organisations { totalCount } }")) }),
    )
    .await;
    assert_refused(&mismatch, "BAD_USER_INPUT");
    assert_eq!(
        mismatch.1["errors"][0]["message"],
        "provided sha does not match query"
    );

    let version_2 = post(
        &app,
        json!({
            "query": ORGANISATIONS,
            "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256(ORGANISATIONS) } },
        }),
    )
    .await;
    assert_refused(&version_2, "BAD_USER_INPUT");

    for malformed in [
        json!({ "version": 1, "sha256Hash": "abc" }),
        json!({ "version": 1 }),
        json!("yes"),
    ] {
        let answer = post(
            &app,
            json!({ "extensions": { "persistedQuery": malformed } }),
        )
        .await;
        assert_refused(&answer, "BAD_USER_INPUT");
    }
    assert_eq!(app.rows::<persisted_query::Entity>().await, 0);
}

#[tokio::test]
async fn a_hash_registered_through_one_server_process_is_served_by_another() {
    let app = spawn_app().await;
    let other = app.another_server().await;

    assert_refused(
        &by_hash(&other, ORGANISATIONS).await,
        "PERSISTED_QUERY_NOT_FOUND",
    );
    assert_served(&with_text(&app, ORGANISATIONS).await);

    assert_served(&by_hash(&other, ORGANISATIONS).await);
}

#[tokio::test]
async fn only_a_document_that_parses_and_validates_is_stored() {
    let app = spawn_app().await;

    for invalid in [
        "query { noSuchField }",
        "query { organisations(first: 5) { totalCount }",
        "query Organisations($first: Int!) { organisations(first: $first) { nope } }",
    ] {
        let answer = with_text(&app, invalid).await;
        let codes = error_codes(&answer.1);
        assert!(
            !codes.is_empty() && codes.iter().all(|code| code == "BAD_USER_INPUT"),
            "{:#}",
            answer.1
        );
        assert_refused(&by_hash(&app, invalid).await, "PERSISTED_QUERY_NOT_FOUND");
    }
    assert_eq!(app.rows::<persisted_query::Entity>().await, 0);

    // A valid document is stored even when executing it fails: the failure is the answer's,
    // not the document's.
    let refused = "query { organisations(first: 500) { totalCount } }";
    let answer = with_text(&app, refused).await;
    assert_eq!(error_codes(&answer.1), ["BAD_USER_INPUT"], "{:#}", answer.1);
    assert_eq!(
        error_codes(&by_hash(&app, refused).await.1),
        ["BAD_USER_INPUT"],
        "served from the store"
    );
    assert_eq!(app.rows::<persisted_query::Entity>().await, 1);
}

/// A string literal may be what a person typed (a survivor's name written inline): such a
/// document is answered but never kept, so the store holds nothing that consent withdrawal
/// could not erase.
#[tokio::test]
async fn a_document_with_a_string_literal_is_run_but_never_stored() {
    let app = spawn_app().await;
    let inline = "query { organisations(first: 5, filter: { search: \"Gulnora Rahimova\" }) \
                  { totalCount } }";

    let answer = with_text(&app, inline).await;

    assert_served(&answer);
    assert_refused(&by_hash(&app, inline).await, "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(app.rows::<persisted_query::Entity>().await, 0);
}

#[tokio::test]
async fn registered_documents_are_bounded_in_length_and_number() {
    let app = spawn_app_with(&[("PORTAL_PERSISTED_QUERIES_MAX", "2")]).await;
    let listed = "query Listed { organisations(first: 1) { totalCount } }";
    app.services()
        .persisted_queries()
        .add_listed(listed)
        .await
        .expect("listed");

    // Longer than the longest document accepted (padding a valid document with a comment).
    let long = format!(
        "{ORGANISATIONS}\n# {}",
        "x".repeat(api::graphql::MAX_DOCUMENT_CHARS)
    );
    assert_refused(&with_text(&app, &long).await, "BAD_USER_INPUT");
    assert_refused(&by_hash(&app, &long).await, "PERSISTED_QUERY_NOT_FOUND");

    let documents: Vec<String> = (1..=3)
        .map(|n| format!("query Page{n} {{ organisations(first: {n}) {{ totalCount }} }}"))
        .collect();
    for document in &documents {
        let answer = with_text(&app, document).await;
        assert!(answer.1.get("errors").is_none(), "{:#}", answer.1);
    }

    // The cap counts clients' documents only, and the least recently used went first. (The
    // process that registered it may still serve it from its cache: a hash names one text for
    // ever. Another process asks the database.)
    assert_eq!(app.rows::<persisted_query::Entity>().await, 3);
    let other = app.another_server().await;
    assert_refused(
        &by_hash(&other, &documents[0]).await,
        "PERSISTED_QUERY_NOT_FOUND",
    );
    for kept in [&documents[1], &documents[2], &listed.to_owned()] {
        let answer = by_hash(&other, kept).await;
        assert!(answer.1.get("errors").is_none(), "{kept}: {:#}", answer.1);
    }
}

#[tokio::test]
async fn with_the_allow_list_only_listed_hashes_run() {
    let app = spawn_app_with(&[("PORTAL_PERSISTED_QUERIES_ONLY", "true")]).await;
    // A document a client registered before the allow-list was turned on is not on it.
    let registered = "query Registered { organisations(first: 2) { totalCount } }";
    app.services()
        .persisted_queries()
        .register(registered)
        .await
        .expect("registered");

    let plain = post(&app, json!({ "query": ORGANISATIONS })).await;
    assert_refused(&plain, "PERSISTED_QUERY_ID_REQUIRED");
    assert_refused(
        &by_hash(&app, ORGANISATIONS).await,
        "PERSISTED_QUERY_NOT_IN_LIST",
    );
    assert_refused(
        &with_text(&app, ORGANISATIONS).await,
        "PERSISTED_QUERY_NOT_IN_LIST",
    );
    assert_refused(
        &by_hash(&app, registered).await,
        "PERSISTED_QUERY_NOT_IN_LIST",
    );
    assert_eq!(
        app.rows::<persisted_query::Entity>().await,
        1,
        "nothing registered"
    );

    app.services()
        .persisted_queries()
        .add_listed(ORGANISATIONS)
        .await
        .expect("listed");

    assert_served(&by_hash(&app, ORGANISATIONS).await);
    assert_served(&with_text(&app, ORGANISATIONS).await);
    // Another process sees the list too.
    assert_served(&by_hash(&app.another_server().await, ORGANISATIONS).await);
}

#[tokio::test]
async fn with_the_allow_list_a_subscription_runs_only_when_its_text_is_listed() {
    let app = spawn_app_with(&[("PORTAL_PERSISTED_QUERIES_ONLY", "true")]).await;

    let mut connection = app.ws_init(json!({})).await.expect("connected");
    connection.subscribe("1", REFERRAL_EVENTS).await;
    assert_eq!(
        connection.errors_then_complete("1").await,
        ["PERSISTED_QUERY_NOT_IN_LIST"]
    );

    app.services()
        .persisted_queries()
        .add_listed(REFERRAL_EVENTS)
        .await
        .expect("listed");
    connection.subscribe("2", REFERRAL_EVENTS).await;
    // Past the list, the subscription meets its own rule: the public may not subscribe.
    assert_eq!(
        connection.errors_then_complete("2").await,
        ["UNAUTHENTICATED"]
    );
}

/// Runs `portal persisted-queries add` on `files` against the app's database.
fn add_from_command_line(app: &TestApp, files: &[&std::path::Path]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["persisted-queries", "add"])
        .args(files)
        .env("DATABASE_URL", &app.config.database.url)
        .env("PORTAL_DEMO_DATA", "never")
        .env("RUST_LOG", "error")
        .output()
        .expect("run portal")
}

#[tokio::test]
async fn the_operator_lists_operations_from_a_manifest_and_from_documents() {
    let app = spawn_app_with(&[("PORTAL_PERSISTED_QUERIES_ONLY", "true")]).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let manifest = dir.path().join("persisted-query-manifest.json");
    let manifest_body = |body: &str| {
        json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{
                "id": sha256(body),
                "name": "Organisations",
                "type": "query",
                "body": body,
            }],
        })
        .to_string()
    };
    let document = dir.path().join("projects.graphql");
    let projects = "query Projects { projects(first: 3) { totalCount } }\n";
    std::fs::write(&document, projects).expect("write the document");

    // One invalid document: nothing is added.
    std::fs::write(
        &manifest,
        manifest_body("query Organisations { organisations { nope } }"),
    )
    .expect("write the manifest");
    let refused = add_from_command_line(&app, &[&manifest, &document]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("nope"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(app.rows::<persisted_query::Entity>().await, 0);

    std::fs::write(&manifest, manifest_body(ORGANISATIONS)).expect("write the manifest");
    let added = add_from_command_line(&app, &[&manifest, &document]);
    let output = String::from_utf8_lossy(&added.stdout);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(output.contains(&sha256(ORGANISATIONS)), "{output}");
    assert!(output.contains(&sha256(projects)), "{output}");

    assert_served(&by_hash(&app, ORGANISATIONS).await);
    let answer = by_hash(&app, projects).await;
    assert_eq!(
        answer.1["data"]["projects"]["totalCount"], 0,
        "{:#}",
        answer.1
    );
}
