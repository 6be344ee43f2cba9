//! The HTTP surface: health, readiness, GraphiQL, error codes of malformed requests.

use migration::MigratorTrait;
use serde_json::json;

use crate::helpers::{error_codes, fresh_config, nodes, spawn_app, spawn_built_app};

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
    let (config, dir) = fresh_config(&[
        ("PORTAL_ENV", "production"),
        (
            "PORTAL_DATA_KEYS",
            "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
    ])
    .await;
    // Production does not migrate by itself (`portal migrate` does).
    let (db, _) = api::db::connect(&config).await.expect("connect");
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
        "resetAccountPassword(id: $id) { oneTimePassword }",
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

/// Reads one HTTP/1.1 answer with a `Content-Length` from `stream`: its status and body.
async fn read_answer(stream: &mut tokio::net::TcpStream) -> (u16, String) {
    use tokio::io::AsyncReadExt;

    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("a Content-Length");
            if body.len() >= length {
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|status| status.parse().ok())
                    .expect("a status line");
                return (status, body[..length].to_owned());
            }
        }
        let read = stream.read(&mut buffer).await.expect("read the answer");
        assert!(read > 0, "the connection closed mid-answer: {text}");
        received.extend_from_slice(&buffer[..read]);
    }
}

/// SIGTERM stops taking connections at once, lets the request in flight finish with a whole
/// answer, then exits with success.
#[tokio::test]
async fn sigterm_drains_the_request_in_flight_then_exits() {
    use std::time::Duration;
    use tokio::{io::AsyncWriteExt, net::TcpStream, time::timeout};

    let patience = Duration::from_secs(60);
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("portal.db").display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .arg("serve")
        .env("DATABASE_URL", &database)
        .env("PORTAL_LISTEN", &address)
        .env("PORTAL_DEMO_DATA", "never")
        .env("PORTAL_ENV", "development")
        .env("PORTAL_JWT_SECRET", crate::helpers::TEST_JWT_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start portal serve");

    // A connection the server has taken: it answered a first request on it.
    let started = tokio::time::Instant::now();
    let mut connection = loop {
        if let Ok(mut stream) = TcpStream::connect(&address).await {
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: portal\r\n\r\n")
                .await
                .expect("send");
            if timeout(patience, read_answer(&mut stream))
                .await
                .expect("health")
                .0
                == 200
            {
                break stream;
            }
        }
        assert!(
            started.elapsed() < patience,
            "the server did not start in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // A request in flight: its headers and half its body sent.
    let body = br#"{"query":"{ __typename }"}"#;
    let (first_half, second_half) = body.split_at(body.len() / 2);
    connection
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("send the headers");
    connection
        .write_all(first_half)
        .await
        .expect("send half the body");

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());

    // New connections are refused once the signal is handled.
    let started = tokio::time::Instant::now();
    while TcpStream::connect(&address).await.is_ok() {
        assert!(
            started.elapsed() < patience,
            "the server still takes new connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The request in flight is finished and answered in full.
    connection
        .write_all(second_half)
        .await
        .expect("send the rest of the body");
    let (status, answer) = timeout(patience, read_answer(&mut connection))
        .await
        .expect("the answer in time");
    drop(connection);
    let exited = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = server.try_wait().expect("the server's status") {
                return Some(status);
            }
            if started.elapsed() > patience {
                let _ = server.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .expect("wait for the server");

    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("a whole JSON answer");
    assert_eq!(answer["data"]["__typename"], "Query");
    assert!(
        exited.is_some_and(|status| status.success()),
        "the server exits with success after draining: {exited:?}"
    );
}
