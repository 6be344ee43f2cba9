//! Compiled reads (`graphql::plan`) answer as the executor does.
//!
//! Every test of this suite runs its server with `PORTAL_QUERY_PLANS=verify`, where each
//! planned answer is computed by the executor too and a difference is an `INTERNAL` error:
//! every query of the suite and of the authorization matrix that the planner compiles is a
//! differential test already. This module adds the differential test over HTTP, between two
//! servers on one database, one planning (`verify`) and one executing only (`off`): the queries
//! the planner covers, with aliases, fragments, variables and paging, for every kind of reader
//! (the public, a partner of an internal project, a partner of none, the office, an admin, a
//! partner held to changing its one-time password) in every language: the same status, media type and
//! JSON (an object's members may come in another order: async-graphql writes them as their
//! resolvers finish, the plan in the order of the document).

use api::graphql::plan::QueryPlans;
use entity::enums::Role;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app_on, spawn_app_with_demo};

/// The benchmark's nested request (`bench/src/run.rs`).
const NESTED: &str = "{ projects(first: 50, orderBy: CODE_ASC) { edges { node { code title partners { role organisation { name kind } } events(first: 20) { edges { node { title startsOn participants { total } } } } } } } }";

/// Every field the planner knows, through aliases, fragments and `__typename`.
const EVERYTHING: &str = r"
query Everything($size: Int = 4, $events: Int) {
  __typename
  all: projects(first: $size, orderBy: START_DATE_ASC) {
    __typename
    totalCount
    pageInfo { __typename hasPreviousPage hasNextPage startCursor endCursor }
    edges { __typename cursor node { ...ProjectFields } }
    nodes { id code }
  }
}
fragment ProjectFields on Project {
  __typename id code title summary status startDate endDate visibility thematicAreas regions
  titleTranslations { en ru tg __typename }
  summaryTranslations { ru }
  ... on Project {
    partners {
      __typename role
      organisation { __typename id name acronym kind }
    }
  }
  ... {
    newest: events(first: $events) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...EventFields } }
    }
    oldest: events(last: 2) { nodes { id startsOn } pageInfo { hasPreviousPage startCursor } }
  }
}
fragment EventFields on Event {
  __typename id title kind startsOn endsOn region district venue summary published
  titleTranslations { en tg }
  summaryTranslations { __typename en }
  participants { __typename female male undisclosed total }
}
query Other { projects(first: 1) { nodes { code } } }
";

/// Fields some readers may not read: planned for those who may, given to the executor for the
/// others (whose answer then carries `FORBIDDEN` errors and nulls).
const RESTRICTED_FIELDS: &str = "{ projects(first: 30, orderBy: CODE_ASC) { nodes { code visibility budget { amountMinor currency } partners { organisation { name contactEmail contactPhone active } } } } }";

/// Paging and filters.
const FILTERED: &str = r"
query($after: String, $filter: ProjectFilterInput) {
  projects(first: 3, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { code events(first: 1) { totalCount nodes { title } } } }
  }
}";

/// Events as lines of a list (titles and scalars, no summary or translations: the plan reads
/// them as `EventLine`s, the title picked in the request's language by the database), with their
/// cursors, forward and backward.
const LINES: &str = "{ projects(first: 12, orderBy: CODE_ASC) { nodes { code events(first: 3) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id title kind startsOn endsOn region district venue published participants { female male undisclosed total } } } } last: events(last: 2) { pageInfo { hasPreviousPage startCursor } nodes { title startsOn } } } } }";

const BACKWARD: &str = "{ projects(last: 3, orderBy: CODE_ASC) { pageInfo { hasPreviousPage hasNextPage startCursor } nodes { code } } }";

/// A raw answer: status, content type and body bytes.
async fn raw(
    app: &TestApp,
    token: Option<&str>,
    language: Option<&str>,
    body: &Value,
) -> (u16, String, String) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(language) = language {
        request = request.header("accept-language", language);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("body"))
}

/// Where two answers part, with some context (the answers run to tens of kilobytes).
fn difference(left: &str, right: &str) -> String {
    let at = left
        .char_indices()
        .zip(right.chars())
        .find(|((_, a), b)| a != b)
        .map_or(left.len().min(right.len()), |((at, _), _)| at);
    let window = |text: &str| {
        let start = text.floor_char_boundary(at.saturating_sub(120));
        let end = text.ceil_char_boundary((at + 120).min(text.len()));
        text[start..end].to_owned()
    };
    format!(
        "at byte {at}:\n  planned:  …{}…\n  executed: …{}…",
        window(left),
        window(right)
    )
}

/// The difference a `verify` server reported between its two answers.
fn verified_difference(answer: &str) -> String {
    let answer: Value = serde_json::from_str(answer).unwrap_or_default();
    let extensions = &answer["errors"][0]["extensions"];
    difference(
        extensions["planned"].as_str().unwrap_or_default(),
        extensions["executed"].as_str().unwrap_or_default(),
    )
}

/// The outcomes counted by `/metrics` so far.
async fn outcomes(app: &TestApp) -> std::collections::HashMap<String, u64> {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("portal_graphql_query_plans_total{outcome=\"")?;
            let (outcome, count) = rest.split_once("\"} ")?;
            Some((outcome.to_owned(), count.trim().parse().ok()?))
        })
        .collect()
}

/// The same server on the same database, executing every query.
async fn executor_only(app: &TestApp) -> TestApp {
    let mut config = app.config.clone();
    config.server.query_plans = QueryPlans::Off;
    spawn_app_on(config, None).await
}

#[tokio::test]
async fn compiled_answers_are_the_executors_for_every_reader_and_language() {
    let app = spawn_app_with_demo().await;
    let executor = executor_only(&app).await;

    // A partner of an internal project (it reads the project and its budget), a partner of an
    // organisation in no project, the office, an admin (the restricted partner comes below).
    let staff = app.user(Role::Staff, None).await;
    let listed = app
        .data_as(
            &staff.access_token,
            "{ projects(first: 50, filter: { visibility: INTERNAL }) { nodes { code partners { organisation { id } } } } }",
            json!({}),
        )
        .await;
    let internal = listed["projects"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !internal.is_empty(),
        "the demo has internal projects: {listed:#}"
    );
    let organisation: Uuid = internal[0]["partners"][0]["organisation"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("an internal project's partner");
    let partner = app.user(Role::Partner, Some(organisation)).await;
    let loner_organisation = app
        .data_as(
            &staff.access_token,
            r#"mutation { createOrganisation(input: { name: { en: "Khujand Legal Aid Bureau" }, kind: NGO }) { id } }"#,
            json!({}),
        )
        .await["createOrganisation"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a new organisation");
    let loner = app.user(Role::Partner, Some(loner_organisation)).await;
    let admin = app.user(Role::Admin, None).await;
    // A partner signed in with a one-time password it must change first: the guard refuses
    // `projects` to it, so the planner must not answer.
    let restricted = {
        let (account, password) = app.account(Role::Partner, Some(organisation)).await;
        let mut row = account.into_active_model();
        row.must_change_password = Set(true);
        let account = row.update(&app.db).await.expect("a one-time password");
        let login = app.login(&account.email, &password, None).await;
        assert_eq!(
            login["data"]["login"]["mustChangePassword"], true,
            "{login:#}"
        );
        login["data"]["login"]["accessToken"]
            .as_str()
            .expect("a token")
            .to_owned()
    };
    let readers: [(&str, Option<&str>); 6] = [
        ("the public", None),
        (
            "a partner of an internal project",
            Some(&partner.access_token),
        ),
        ("a partner of no project", Some(&loner.access_token)),
        ("the office", Some(&staff.access_token)),
        ("an admin", Some(&admin.access_token)),
        ("a partner held to changing its password", Some(&restricted)),
    ];

    // The second page's cursor, for `after`.
    let first_page = app.data(FILTERED, json!({})).await;
    let cursor = first_page["projects"]["pageInfo"]["endCursor"].clone();
    assert!(cursor.is_string(), "{first_page:#}");

    let bodies = [
        json!({ "query": NESTED }),
        json!({ "query": EVERYTHING, "operationName": "Everything", "variables": { "events": null } }),
        json!({ "query": EVERYTHING, "operationName": "Everything", "variables": { "size": 2, "events": 3 } }),
        json!({ "query": EVERYTHING, "operationName": "Other" }),
        json!({ "query": RESTRICTED_FIELDS }),
        json!({ "query": FILTERED, "variables": { "after": cursor } }),
        json!({ "query": FILTERED, "variables": { "filter": { "thematicArea": "GENDER_EQUALITY" } } }),
        json!({ "query": FILTERED, "variables": { "filter": { "search": "border", "status": "COMPLETED", "region": "SUGHD" } } }),
        json!({ "query": FILTERED, "variables": { "filter": { "search": "no project is called this" } } }),
        json!({ "query": FILTERED, "variables": { "filter": { "activeDuring": { "from": "2024-01-01", "to": "2024-12-31" }, "visibility": "INTERNAL" } } }),
        json!({ "query": BACKWARD }),
        json!({ "query": LINES }),
        // Refused by the schema, planned or not: the same refusals.
        json!({ "query": FILTERED, "variables": { "after": "not a cursor" } }),
        json!({ "query": "{ projects(first: 500) { nodes { code } } }" }),
        json!({ "query": "{ projects(first: 1) { nodes { code nope } } }" }),
        json!({ "query": "{ projects(first: 2, last: 2) { nodes { code } } }" }),
        // Compiled, then refused by the schema's complexity limit: never run.
        json!({ "query": "{ projects(first: 100) { nodes { events(first: 100) { nodes { id title startsOn endsOn district } } } } }" }),
    ];

    let before = outcomes(&app).await;
    let mut compared = 0;
    for (reader, token) in readers {
        for language in [None, Some("ru"), Some("tg"), Some("en-GB,en;q=0.8")] {
            for body in &bodies {
                let planned = raw(&app, token, language, body).await;
                let executed = raw(&executor, token, language, body).await;
                assert!(
                    !planned.2.contains("otherwise than the executor"),
                    "{reader}, {language:?}, {}: {}",
                    body["query"],
                    verified_difference(&planned.2)
                );
                // Equal as JSON (the executor orders an object's members as its resolvers
                // finish; the plan as the document selects them).
                let as_json = |text: &str| serde_json::from_str::<Value>(text).expect("JSON");
                assert!(
                    (&planned.0, &planned.1) == (&executed.0, &executed.1)
                        && as_json(&planned.2) == as_json(&executed.2),
                    "{reader}, language {language:?}: the planned answer differs for {}: {}",
                    body["query"],
                    difference(&planned.2, &executed.2)
                );
                if body["operationName"] == "Everything" && token.is_none() {
                    // The members in the document's order.
                    let at = |key: &str| planned.2.find(key).expect("key present");
                    assert!(at("\"edges\"") < at("\"nodes\""), "{}", planned.2);
                    assert!(at("\"newest\"") < at("\"oldest\""), "{}", planned.2);
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 6 * 4 * bodies.len());

    // The compiled path really ran, and gave way where it must.
    let after = outcomes(&app).await;
    let grew = |outcome: &str| after[outcome] - before.get(outcome).copied().unwrap_or_default();
    // Planned for everyone but the restricted partner: 11 valid documents each, and the
    // restricted fields for the office, the admin and the partner of an internal project (the
    // public and the other partner get `FORBIDDEN` errors: declined, executed).
    assert!(grew("planned") >= 4 * (5 * 11 + 3), "{after:?}");
    assert!(grew("declined") >= 2 * 4, "{after:?}");
    assert!(grew("refused") >= 4 * 5, "{after:?}");
    // And the server that executes never planned.
    let executor_outcomes = outcomes(&executor).await;
    assert_eq!(executor_outcomes["planned"], 0, "{executor_outcomes:?}");
}

/// A query the planner does not know is executed as before: mutations, other root fields,
/// directives, a key selected twice, fields without a rule in the planner.
#[tokio::test]
async fn what_the_planner_does_not_know_goes_to_the_executor() {
    let app = spawn_app_with_demo().await;
    for query in [
        "{ projects(first: 1) { nodes { code } } organisations(first: 1) { nodes { name } } }",
        "{ projects(first: 1) @include(if: true) { nodes { code } } }",
        "query($skip: Boolean = false) { projects(first: 1) { nodes { code @skip(if: $skip) } } }",
        "{ projects(first: 1) { nodes { code } nodes { title } } }",
        "{ projects(first: 1) { nodes { code events(first: 1) { nodes { organiser { name } } } } } }",
        "{ projects(first: 1) { nodes { indicators { id } } } }",
        "{ __schema { queryType { name } } }",
    ] {
        let before = outcomes(&app).await;
        let answer = app.graphql(query, json!({})).await;
        assert!(answer.get("errors").is_none(), "{query}: {answer:#}");
        let after = outcomes(&app).await;
        assert_eq!(
            after["executed"],
            before["executed"] + 1,
            "{query} was not given to the executor: {after:?}"
        );
        assert_eq!(after["planned"], before["planned"], "{query}");
    }
    let before = outcomes(&app).await;
    app.data(NESTED, json!({})).await;
    assert_eq!(outcomes(&app).await["planned"], before["planned"] + 1);
}
