//! The specifications clients are built on: GraphQL over HTTP (media types, status codes,
//! request errors without `data`, GraphQL-shaped refusals), and the GraphQL specification's
//! handling of field errors (a failed field is `null`, a non-null one nulls its nearest
//! nullable parent, one error per mistake). The `graphql-http` audit suite checks the same
//! against a running server (see docs/SECURITY.md); these tests keep it true.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, error_codes, fixtures, spawn_app, spawn_app_with_demo, spawn_production_app,
};

const JSON: &str = "application/json";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Posts `body` with `Accept: accept` (none if `None`); the status, content type and body.
async fn exchange(app: &TestApp, accept: Option<&str>, body: Value) -> (u16, String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_answer_has_the_media_type_the_client_accepts() {
    let app = spawn_app().await;
    let query = json!({ "query": "{ __typename }" });
    for (accept, media) in [
        (None, JSON),
        (Some("application/json"), JSON),
        (Some("*/*"), JSON),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
    ] {
        let (status, content_type, body) = exchange(&app, accept, query.clone()).await;
        assert_eq!(status, 200, "{accept:?}");
        assert!(
            content_type.starts_with(media) && content_type.contains("charset=utf-8"),
            "{accept:?}: {content_type}"
        );
        assert_eq!(body["data"]["__typename"], "Query");
    }
}

#[tokio::test]
async fn request_errors_have_no_data_and_are_4xx_only_with_graphql_response_json() {
    let app = spawn_app().await;
    let cases = [
        ("parse", json!({ "query": "{" })),
        ("validation", json!({ "query": "{ noSuchField }" })),
        (
            "variable coercion",
            json!({ "query": "query($id: ID!) { __typename }", "variables": { "id": null } }),
        ),
        (
            "limit",
            json!({ "query": format!("{{{}}}", "[".repeat(100)) }),
        ),
    ];
    for (kind, body) in cases {
        let (json_status, _, json_body) = exchange(&app, Some(JSON), body.clone()).await;
        let (status, content_type, graphql_body) =
            exchange(&app, Some(GRAPHQL_RESPONSE), body).await;

        assert_eq!(json_status, 200, "{kind}: {json_body:#}");
        assert_eq!(status, 400, "{kind}: {graphql_body:#}");
        assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{kind}");
        for body in [&json_body, &graphql_body] {
            assert!(
                body.get("data").is_none(),
                "{kind}: no data entry: {body:#}"
            );
            assert_eq!(error_codes(body), ["BAD_USER_INPUT"], "{kind}: {body:#}");
        }
    }
}

#[tokio::test]
async fn refusals_before_execution_are_graphql_shaped_in_the_accepted_type() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let too_large = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", GRAPHQL_RESPONSE)
        .body(format!("{{\"query\":\"{}\"}}", " ".repeat(300 * 1024)))
        .send()
        .await
        .expect("request");
    let form = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", GRAPHQL_RESPONSE)
        .body("query=%7B__typename%7D")
        .send()
        .await
        .expect("request");
    let batch = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"[{"query":"{ __typename }"}]"#)
        .send()
        .await
        .expect("request");
    let no_query = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"{"qeury":"{ __typename }"}"#)
        .send()
        .await
        .expect("request");

    for (response, status, media) in [
        (too_large, 413, GRAPHQL_RESPONSE),
        (form, 415, GRAPHQL_RESPONSE),
        (batch, 400, JSON),
        (no_query, 400, JSON),
    ] {
        assert_eq!(response.status().as_u16(), status);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(content_type.starts_with(media), "{status}: {content_type}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body:#}");
        assert!(body.get("data").is_none());
    }
}

#[tokio::test]
async fn other_methods_on_graphql_get_405_with_allow() {
    for (mode, app, allow) in [
        ("development", spawn_app().await, "GET, POST"),
        ("production", spawn_production_app().await, "POST"),
    ] {
        let url = format!("{}/graphql", app.address);
        for method in [
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
            reqwest::Method::PATCH,
        ] {
            let response = app
                .client
                .request(method.clone(), &url)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 405, "{mode} {method}");
            assert_eq!(response.headers()["allow"], allow, "{mode} {method}");
            let body: Value = response.json().await.expect("a JSON body");
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|message| message.contains("POST")),
                "{body:#}"
            );
        }
        // A client's GET with a query (not a browser asking for GraphiQL) is never executed.
        let get = app
            .client
            .get(format!("{url}?query=%7B__typename%7D"))
            .header("accept", "application/json")
            .send()
            .await
            .expect("request");
        assert_eq!(get.status(), 405, "{mode}");
        let body: Value = get.json().await.expect("a JSON body");
        assert!(body.get("data").is_none());
    }
}

#[tokio::test]
async fn a_refused_token_is_401_with_graphql_response_json_and_has_no_location() {
    let app = spawn_app().await;
    let request = |accept: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth("not-a-token")
            .header("accept", accept)
            .json(&json!({ "query": "{ me { id } }" }))
            .send()
    };
    let as_json = request(JSON).await.expect("request");
    let as_graphql = request(GRAPHQL_RESPONSE).await.expect("request");

    assert_eq!(as_json.status(), 200);
    assert_eq!(as_graphql.status(), 401);
    for body in [
        as_json.json::<Value>().await.expect("JSON"),
        as_graphql.json::<Value>().await.expect("JSON"),
    ] {
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
        assert!(body["errors"][0].get("locations").is_none(), "{body:#}");
        assert!(body.get("data").is_none(), "{body:#}");
    }
}

/// A refused field is `null` in its object (not left out), and the rest of the object is
/// answered.
#[tokio::test]
async fn a_refused_nullable_field_is_null_beside_its_siblings() {
    let app = spawn_app_with_demo().await;
    let data = app
        .data(
            "{ organisations(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let id = data["organisations"]["edges"][0]["node"]["id"].clone();

    let response = app
        .graphql(
            "query($id: ID!) { organisation(id: $id) { name active } }",
            json!({ "id": id }),
        )
        .await;

    assert_eq!(error_codes(&response), ["FORBIDDEN"], "{response:#}");
    let organisation = &response["data"]["organisation"];
    assert!(organisation["name"].is_string(), "{response:#}");
    assert!(
        organisation.get("active").is_some_and(Value::is_null),
        "present and null: {response:#}"
    );
    assert_eq!(
        response["errors"][0]["path"],
        json!(["organisation", "active"])
    );
}

/// A response key selected twice merges its selections (legal GraphQL): when everything one of
/// them selects of an object is refused, the other's fields are still answered. (async-graphql
/// answered such an object `null` and merged nothing into it: the public's
/// `edges { node { budget } } edges { node { partners } }` lost every project's partners.)
#[tokio::test]
async fn merged_selections_keep_their_fields_when_one_of_them_fails_whole() {
    let app = spawn_app_with_demo().await;
    for query in [
        "{ projects(first: 3) { edges { node { budget { __typename } } } \
           edges { node { code partners { role } } } } }",
        "{ projects(first: 3) { edges { node { budget { __typename } } } ...more } } \
         fragment more on ProjectConnection { edges { node { code partners { role } } } }",
    ] {
        let response = app.graphql(query, json!({})).await;
        let codes = error_codes(&response);
        assert!(
            !codes.is_empty() && codes.iter().all(|code| code == "FORBIDDEN"),
            "{response:#}"
        );
        let edges = response["data"]["projects"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("edges: {response:#}"));
        assert_eq!(edges.len(), 3, "{response:#}");
        for edge in edges {
            let node = &edge["node"];
            assert!(
                node.get("budget").is_some_and(Value::is_null),
                "{response:#}"
            );
            assert!(node["code"].is_string(), "{response:#}");
            assert!(node["partners"].is_array(), "{response:#}");
        }
    }
}

/// A failed non-null field nulls its nearest nullable parent, as the specification says;
/// the same mistake under 20 parents is reported once.
#[tokio::test]
async fn a_failed_non_null_field_nulls_its_nullable_parent_and_is_reported_once() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    for index in 0..5 {
        let code = format!("PO-2026-GE-{index:02}");
        fixtures::project(
            &app.db,
            fixtures::NewProject {
                code: &code,
                ..Default::default()
            },
        )
        .await;
    }

    // `events` is non-null; its `first` out of range fails it under every project: the
    // project's `edges` item and so on are non-null up to `projects`, a non-null root field,
    // so `data` itself is null.
    let response = app
        .graphql_as(
            &staff.access_token,
            "{ projects(first: 5) { edges { node { code events(first: 500) { totalCount } } } } }",
            json!({}),
        )
        .await;
    assert!(response["data"].is_null(), "{response:#}");
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response:#}");

    // Under a nullable parent (`project(id:)`), only that parent is null; its siblings stay.
    let id = app
        .data_as(
            &staff.access_token,
            "{ projects(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await["projects"]["edges"][0]["node"]["id"]
        .clone();
    let response = app
        .graphql_as(
            &staff.access_token,
            "query($id: ID!) { project(id: $id) { code events(first: 0) { totalCount } } \
             projects { totalCount } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response:#}");
    assert!(
        response["data"].get("project").is_some_and(Value::is_null),
        "{response:#}"
    );
    assert_eq!(response["data"]["projects"]["totalCount"], 5);
}

/// In production a prober learns nothing of the schema from errors: introspection is refused
/// with an error, and every guess (a real name or not, with or without subfields) gets the
/// same answer, naming no field or type.
#[tokio::test]
async fn production_errors_reveal_no_schema_name() {
    let app = spawn_production_app().await;
    let sdl = api::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let mut names: Vec<String> = Vec::new();
    for definition in &document.definitions {
        if let async_graphql::parser::types::TypeSystemDefinition::Type(ty) = definition {
            names.push(ty.node.name.node.to_string());
            if let async_graphql::parser::types::TypeKind::Object(object) = &ty.node.kind {
                names.extend(
                    object
                        .fields
                        .iter()
                        .map(|field| field.node.name.node.to_string()),
                );
            }
        }
    }
    assert!(names.len() > 100, "{names:?}");

    let introspection = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(
        error_codes(&introspection),
        ["FORBIDDEN"],
        "{introspection:#}"
    );
    assert!(introspection.get("data").is_none());
    // `__type` answers null for every name, real or not.
    let real = app
        .graphql("{ __type(name: \"Project\") { name } }", json!({}))
        .await;
    let made_up = app
        .graphql("{ __type(name: \"Projekt\") { name } }", json!({}))
        .await;
    assert_eq!(real, json!({ "data": { "__type": null } }));
    assert_eq!(real, made_up);

    // Likely names, real and made up, as a prober's dictionary would hold them.
    let guesses = [
        "users",
        "user",
        "accounts",
        "account",
        "me",
        "projects",
        "project",
        "organisation",
        "organisations",
        "referralCases",
        "referralCase",
        "auditLog",
        "cases",
        "admin",
        "settings",
        "statistics",
        "events",
        "resourceCentres",
        "secrets",
        "login",
    ];
    let mut answers = Vec::new();
    for guess in guesses {
        for document in [
            // Each is invalid whether or not the name exists (a valid document would be
            // executed, and that a real field answers is no secret).
            format!("{{ {guess} }}"),
            format!("{{ {guess} {{ noSuchField }} }}"),
            format!("{{ {guess}(noSuchArgument: 1) {{ id }} }}"),
            format!("{{ projects {{ {guess} }} }}"),
            format!("mutation {{ {guess}(noSuchArgument: 1) {{ id }} }}"),
        ] {
            let response = app.graphql(&document, json!({})).await;
            assert_eq!(
                error_codes(&response),
                ["BAD_USER_INPUT"],
                "{document}: {response:#}"
            );
            let text: Vec<&str> = response["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|error| error["message"].as_str())
                .collect();
            let text = text.join("\n");
            for name in &names {
                // A name the document itself sent may come back only if every guess gets it
                // back alike; the messages here name nothing at all.
                assert!(
                    !text.contains(&format!("\"{name}\"")) && !text.contains(&format!("`{name}`")),
                    "{document} reveals `{name}`: {text}"
                );
            }
            assert!(
                response["errors"][0].get("locations").is_none(),
                "{response:#}"
            );
            answers.push(response["errors"].clone());
        }
    }
    answers.dedup();
    assert_eq!(
        answers.len(),
        1,
        "every guess gets the same answer: {answers:#?}"
    );
}
