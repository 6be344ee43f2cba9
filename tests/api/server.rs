//! The HTTP surface: health, readiness, GraphiQL, error codes of malformed requests.

use migration::MigratorTrait;
use serde_json::json;

use crate::helpers::{
    TestDatabase, binary, error_codes, fresh_config, nodes, spawn_app, spawn_built_app,
};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;

    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);

    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("JSON");
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.expect("close the pool");

    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.expect("JSON");
    assert_eq!(body["status"], "unavailable");
}

#[tokio::test]
async fn readiness_fails_while_the_schema_is_behind() {
    let app = spawn_app().await;
    migration::Migrator::down(&app.db, Some(1))
        .await
        .expect("revert the last migration");

    let ready = app.get("/ready").await;

    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.expect("JSON");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "behind");
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("`portal migrate`")),
        "{body:#}"
    );
}

/// The production settings of a fresh, unmigrated database.
async fn production_config() -> (api::config::Config, Option<TestDatabase>) {
    fresh_config(&[
        ("PORTAL_ENV", "production"),
        (
            "PORTAL_DATA_KEYS",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
    ])
    .await
}

#[tokio::test]
async fn production_refuses_to_serve_an_unmigrated_database_naming_portal_migrate() {
    let (config, _dir) = production_config().await;

    let refused = api::startup::Application::build(&config).await;

    let message = refused
        .err()
        .map(|error| format!("{error:#}"))
        .unwrap_or_default();
    assert!(
        message.contains("not migrated") && message.contains("`portal migrate`"),
        "{message}"
    );
}

#[tokio::test]
async fn a_busy_port_names_the_address_and_portal_listen() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = busy.local_addr().expect("address").to_string();
    let (config, _dir) = fresh_config(&[("PORTAL_LISTEN", &address)]).await;

    let refused = api::startup::Application::build(&config).await;

    let message = refused
        .err()
        .map(|error| format!("{error:#}"))
        .unwrap_or_default();
    assert!(
        message.contains(&address) && message.contains("PORTAL_LISTEN"),
        "{message}"
    );
}

#[tokio::test]
async fn graphiql_is_served_in_development_with_every_file_from_the_server_itself() {
    let app = spawn_app().await;

    let page = app.get("/graphql").await;

    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    let html = page.text().await.expect("body");
    assert!(html.contains("graphiql"), "GraphiQL page expected");
    // The one inline style allowed carries this answer's nonce.
    let nonce = html
        .split_once(r#"name="graphiql-style-nonce" content=""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(nonce, _)| nonce)
        .expect("a style nonce");
    assert!(nonce.len() >= 22, "{nonce}");
    assert!(
        policy.contains(&format!("style-src 'self' 'nonce-{nonce}';")),
        "{policy}"
    );
    // Nothing comes from elsewhere: no absolute or scheme-relative address anywhere.
    for elsewhere in ["http:", "https:", "//"] {
        assert!(!html.contains(elsewhere), "{elsewhere} in {html}");
    }
    let references = quoted_attributes(&html, "src=").chain(quoted_attributes(&html, "href="));
    let references: Vec<&str> = references.collect();
    assert_eq!(
        references.len(),
        html.matches("src=").count() + html.matches("href=").count(),
        "every reference is quoted: {html}"
    );
    let page_url = reqwest::Url::parse(&format!("{}/graphql", app.address)).expect("URL");
    let mut scripts = Vec::new();
    let mut style_sheets = 0;
    for reference in &references {
        let url = page_url.join(reference).expect("a relative URL");
        assert_eq!(url.origin(), page_url.origin(), "{reference}");
        let file = app.get(url.path()).await;
        assert_eq!(file.status(), 200, "{reference}");
        let content_type = file.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        let body = file.text().await.expect("body");
        assert!(body.len() > 1000, "{reference}: {} bytes", body.len());
        if reference.ends_with(".js") {
            assert_eq!(
                content_type, "text/javascript; charset=utf-8",
                "{reference}"
            );
            scripts.push(body);
        } else {
            assert!(reference.ends_with(".css"), "{reference}");
            assert_eq!(content_type, "text/css; charset=utf-8", "{reference}");
            style_sheets += 1;
        }
    }
    // React, ReactDOM, GraphiQL and the script that starts it; GraphiQL's style sheet.
    assert_eq!(scripts.len(), 4, "{references:?}");
    assert_eq!(style_sheets, 1, "{references:?}");
    // Subscriptions are wired to this server's graphql-ws endpoint, through the client that
    // GraphiQL's bundle carries, which speaks the server's protocol.
    assert!(
        scripts
            .iter()
            .any(|script| script.contains("'graphql/ws'") && script.contains("subscriptionUrl")),
        "a script names the subscription endpoint"
    );
    assert!(
        scripts
            .iter()
            .any(|script| script.contains("graphql-transport-ws")),
        "GraphiQL's bundle carries a graphql-ws client"
    );
}

/// The values of `attribute="…"` in `html`.
fn quoted_attributes<'a>(html: &'a str, attribute: &'a str) -> impl Iterator<Item = &'a str> {
    html.split(attribute).skip(1).filter_map(|rest| {
        rest.strip_prefix('"')
            .and_then(|rest| rest.split_once('"'))
            .map(|(value, _)| value)
    })
}

#[tokio::test]
async fn graphiql_files_are_cached_by_version_and_revalidated_by_etag() {
    let app = spawn_app().await;

    let bundle = app.get("/graphql/assets/graphiql-4.1.2.min.js").await;
    let start = app.get("/graphql/assets/start-graphiql.js").await;
    let unknown = app.get("/graphql/assets/secrets.js").await;

    assert_eq!(
        bundle.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // Our own script keeps its name when it changes: browsers ask again each time.
    assert_eq!(start.headers()["cache-control"], "no-cache");
    assert_eq!(unknown.status(), 404);
    let etag = start.headers()["etag"].clone();
    let again = app
        .client
        .get(format!("{}/graphql/assets/start-graphiql.js", app.address))
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.bytes().await.expect("body").is_empty());
    assert_ne!(bundle.headers()["etag"], etag);
}

#[tokio::test]
async fn an_invalid_document_is_bad_user_input_with_the_reason() {
    let app = spawn_app().await;

    let unknown_field = app
        .graphql("{ projects { edges { node { secret } } } }", json!({}))
        .await;
    let syntax = app.graphql("{ projects { ", json!({})).await;

    assert_eq!(error_codes(&unknown_field), ["BAD_USER_INPUT"]);
    assert!(
        unknown_field["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("secret")),
        "{unknown_field:#}"
    );
    assert_eq!(error_codes(&syntax), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn page_size_out_of_range_names_the_argument() {
    let app = spawn_app().await;

    for first in [0, 101, -5] {
        let response = app
            .graphql(
                "query($first: Int!) { projects(first: $first) { totalCount } }",
                json!({ "first": first }),
            )
            .await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "first = {first}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["fields"][0]["field"],
            "first"
        );
    }
}

#[tokio::test]
async fn a_bad_cursor_or_id_is_bad_user_input() {
    let app = spawn_app().await;

    let cursor = app
        .graphql(r#"{ events(after: "garbage") { totalCount } }"#, json!({}))
        .await;
    let id = app
        .graphql(r#"{ project(id: "not-an-id") { code } }"#, json!({}))
        .await;

    assert_eq!(error_codes(&cursor), ["BAD_USER_INPUT"]);
    assert_eq!(
        cursor["errors"][0]["extensions"]["fields"][0]["field"],
        "after"
    );
    assert_eq!(error_codes(&id), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn a_wrongly_typed_variable_is_bad_user_input_not_internal() {
    let app = spawn_app().await;

    let response = app
        .graphql(
            "query($area: ThematicArea) { projects(filter: { thematicArea: $area }) { totalCount } }",
            json!({ "area": "KNITTING" }),
        )
        .await;

    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response:#}");
}

#[tokio::test]
async fn serving_in_development_migrates_and_loads_the_demo_data_once() {
    let (config, dir) = fresh_config(&[("PORTAL_DEMO_DATA", "first-start")]).await;
    let query = "{ projects(first: 100) { totalCount } events(first: 1) { totalCount } }";

    let first = spawn_built_app(&config, None).await;
    let first_counts = first.data(query, json!({})).await;
    // A second start on the same database, as after a restart.
    let second = spawn_built_app(&config, dir).await;
    let second_counts = second.data(query, json!({})).await;

    assert!(first_counts["projects"]["totalCount"].as_u64() >= Some(20));
    assert!(first_counts["events"]["totalCount"].as_u64() >= Some(60));
    assert_eq!(first_counts, second_counts);
}

#[tokio::test]
async fn production_serves_no_graphiql_and_no_introspection() {
    let (config, dir) = production_config().await;
    // Production does not migrate by itself (`portal migrate` does).
    let (db, _) = api::db::connect(&config.database).await.expect("connect");
    migration::Migrator::up(&db, None).await.expect("migrate");
    let app = spawn_built_app(&config, dir).await;

    let page = app.get("/graphql").await;
    let introspection = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    let typo = app.graphql("{ projectz { totalCount } }", json!({})).await;
    let works = app.data("{ projects { totalCount } }", json!({})).await;

    assert_ne!(page.status(), 200);
    // async-graphql answers a disabled introspection with null rather than an error.
    assert!(
        introspection["data"]["__schema"].is_null(),
        "{introspection:#}"
    );
    let typo_message = typo["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(!typo_message.contains("Did you mean"), "{typo_message}");
    assert_eq!(works["projects"]["totalCount"], 0);
    assert!(nodes(&works["projects"]).is_empty());
    for file in ["graphiql-4.1.2.min.js", "start-graphiql.js"] {
        let asset = app.get(&format!("/graphql/assets/{file}")).await;
        assert_eq!(asset.status(), 404, "{file}");
    }
}

#[tokio::test]
async fn every_mutation_on_an_id_names_a_malformed_one() {
    let app = spawn_app().await;
    let admin = app.user(entity::enums::Role::Admin, None).await;
    let mutations = [
        "updateAccount(id: $id, input: {}) { id }",
        "disableAccount(id: $id) { id }",
        "enableAccount(id: $id) { id }",
        "resetAccountPassword(id: $id) { id }",
        "resendInvitation(id: $id) { id }",
        r#"updateOrganisation(id: $id, input: { name: { en: "X" }, kind: NGO }) { id }"#,
        "deactivateOrganisation(id: $id) { id }",
        "reactivateOrganisation(id: $id) { id }",
        "updateProject(id: $id, input: {}) { id }",
        "deleteProject(id: $id)",
        "setProjectPartners(id: $id, partners: []) { id }",
        "updateEvent(id: $id, input: {}) { id }",
        "publishEvent(id: $id) { id }",
        "unpublishEvent(id: $id) { id }",
        "deleteEvent(id: $id)",
        "updateResourceCentre(id: $id, input: {}) { id }",
        "markResourceCentreVerified(id: $id) { id }",
        "deactivateResourceCentre(id: $id) { id }",
        "reactivateResourceCentre(id: $id) { id }",
    ];

    for mutation in mutations {
        let document = format!("mutation($id: ID!) {{ {mutation} }}");
        let response = app
            .graphql_as(&admin.access_token, &document, json!({ "id": "42" }))
            .await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{mutation}: {response:#}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["fields"][0]["field"], "id",
            "{mutation}"
        );
    }
}

#[tokio::test]
async fn graphiql_can_load_the_schema_in_development() {
    // GraphiQL's own introspection query: its type references nest fourteen fields deep.
    let app = spawn_app().await;
    let type_ref = "kind name ofType { kind name ofType { kind name ofType { kind name \
                    ofType { kind name ofType { kind name ofType { kind name ofType { kind \
                    name } } } } } } }";
    let query = format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} mutationType {{ name }} \
         subscriptionType {{ name }} types {{ ...FullType }} directives {{ name description \
         locations args {{ ...InputValue }} }} }} }} \
         fragment FullType on __Type {{ kind name description fields(includeDeprecated: true) \
         {{ name description args {{ ...InputValue }} type {{ ...TypeRef }} isDeprecated \
         deprecationReason }} inputFields {{ ...InputValue }} interfaces {{ ...TypeRef }} \
         enumValues(includeDeprecated: true) {{ name description isDeprecated \
         deprecationReason }} possibleTypes {{ ...TypeRef }} }} \
         fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} \
         defaultValue }} fragment TypeRef on __Type {{ {type_ref} }}"
    );

    let data = app.data(&query, json!({})).await;

    let types = data["__schema"]["types"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(types > 50, "the schema's types: {types}");
    assert_eq!(data["__schema"]["subscriptionType"]["name"], "Subscription");
}

/// `signal` stops the server taking connections at once, lets the request in flight finish
/// with a whole answer (written to the access log), then the server exits with success.
async fn drains_the_request_in_flight_then_exits(signal: &str) {
    use tokio::{io::AsyncWriteExt, net::TcpStream, time::timeout};

    let dir = tempfile::tempdir().expect("temporary directory");
    let server = binary::serve(
        binary::portal(&binary::sqlite_url(&dir)),
        &binary::free_address(),
    );
    let mut connection = server.connection().await;
    // A request in flight: its headers read by the server (it answers `100 Continue`; before
    // that the connection is an idle keep-alive one, which a graceful stop may close), and
    // half its body sent.
    let body = br#"{"query":"{ __typename }"}"#;
    let (first_half, second_half) = body.split_at(body.len() / 2);
    connection
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("send the headers");
    let interim = timeout(binary::PATIENCE, binary::read_head(&mut connection))
        .await
        .expect("100 Continue in time");
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    connection
        .write_all(first_half)
        .await
        .expect("send half the body");

    server.signal(signal);

    // New connections are refused once the signal is handled.
    let started = tokio::time::Instant::now();
    while TcpStream::connect(&server.address).await.is_ok() {
        assert!(
            started.elapsed() < binary::PATIENCE,
            "the server still takes new connections after SIG{signal}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The request in flight is finished and answered in full.
    connection
        .write_all(second_half)
        .await
        .expect("send the rest of the body");
    let (status, answer) = timeout(binary::PATIENCE, binary::read_answer(&mut connection))
        .await
        .expect("the answer in time");
    drop(connection);
    let (exited, log) = server.exit().await;

    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("a whole JSON answer");
    assert_eq!(answer["data"]["__typename"], "Query");
    assert!(
        exited.is_some_and(|status| status.success()),
        "the server exits with success after draining: {exited:?}\n{log}"
    );
    // Its standard output is a pipe: plain lines, no terminal colours.
    assert!(!log.contains('\u{1b}'), "colour codes in the log: {log:?}");
    assert!(
        log.lines()
            .any(|line| line.contains("route=\"/graphql\"") && line.contains("status=200")),
        "the drained request is in the access log: {log}"
    );
}

#[tokio::test]
async fn sigterm_drains_the_request_in_flight_then_exits() {
    drains_the_request_in_flight_then_exits("TERM").await;
}

/// Ctrl-C means what SIGTERM means (actix alone would cut the requests in flight).
#[tokio::test]
async fn sigint_drains_the_request_in_flight_then_exits() {
    drains_the_request_in_flight_then_exits("INT").await;
}
