//! Query limits: the classic attacks on a GraphQL server are refused with `BAD_USER_INPUT` and
//! a message naming the limit, the server stays healthy, the portal's own queries pass; and a
//! property-based fuzz of the query and mutation roots never meets an `INTERNAL` error, an
//! error without a code or an answer that breaks the schema's types.

use api::graphql::{
    MAX_ALIASES, MAX_DEPTH, MAX_DIRECTIVES, MAX_DOCUMENT_CHARS, MAX_NESTING, MAX_RECURSIVE_DEPTH,
    MAX_SELECTIONS,
};
use async_graphql::parser::types::{BaseType, Type, TypeKind};
use entity::enums::Role;
use proptest::{
    prelude::*,
    sample::subsequence,
    test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner},
};
use serde_json::{Map, Value, json};

use crate::helpers::{
    TestApp, accounts::User, answers, error_codes, nodes, spawn_app, spawn_app_with,
    spawn_app_with_demo,
};

/// The fuzz tests' failing cases, kept: proptest writes the seed of each failure to its test's
/// file and runs the seeds there before any new case (commit a file when it gains a line).
const QUERY_REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/api/proptest-regressions/fuzzed_queries.txt"
);
/// As [`QUERY_REGRESSIONS`], for the mutations.
const MUTATION_REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/api/proptest-regressions/fuzzed_mutations.txt"
);

/// A query the portal's clients send, that must keep working.
const HEALTHY: &str = "{ projects(first: 1) { totalCount } }";

/// Asserts that `response` is one `BAD_USER_INPUT` error whose message contains each of
/// `words`, and that the server still answers a normal query.
async fn assert_refused(app: &TestApp, response: &Value, words: &[&str]) {
    assert_eq!(error_codes(response), ["BAD_USER_INPUT"], "{response:#}");
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    for word in words {
        assert!(message.contains(word), "`{word}` not in: {message}");
    }
    let healthy = app.data(HEALTHY, json!({})).await;
    assert_eq!(healthy["projects"]["totalCount"], 0);
}

/// The nested list of `projects.rs`, the largest query the portal's clients send.
const NESTED: &str = r"
query($first: Int!, $events: Int!) {
  projects(first: $first, orderBy: CODE_ASC) {
    edges { node {
      code title
      partners { role organisation { name kind } }
      events(first: $events) { edges { node { title startsOn participants { total } } } }
    } }
  }
}";

#[tokio::test]
async fn the_portals_own_queries_pass_the_limits() {
    let app = spawn_app().await;

    app.data(NESTED, json!({ "first": 50, "events": 20 })).await;
    // Two aliases of one field, as the project page asks.
    let response = app
        .graphql(
            "{ first: projects(first: 1) { totalCount } second: projects(first: 2) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(response.get("errors").is_none(), "{response:#}");
    // One directive, as clients use them.
    let included = app
        .data(
            "query($all: Boolean!) { projects { totalCount @include(if: $all) } }",
            json!({ "all": true }),
        )
        .await;
    assert_eq!(included["projects"]["totalCount"], 0);
}

#[tokio::test]
async fn many_aliases_of_one_field_are_refused() {
    let app = spawn_app().await;
    let aliases: String = (0..=100)
        .map(|index| format!("a{index}: projects {{ totalCount }} "))
        .collect();
    let within: String = (0..MAX_ALIASES)
        .map(|index| format!("a{index}: __typename "))
        .collect();

    let response = app.graphql(&format!("{{ {aliases} }}"), json!({})).await;
    app.data(&format!("{{ {within} }}"), json!({})).await;

    assert_refused(
        &app,
        &response,
        &["aliases", "`projects`", &MAX_ALIASES.to_string()],
    )
    .await;
}

#[tokio::test]
async fn many_copies_of_one_field_are_refused() {
    let app = spawn_app().await;
    let copies = "projects { totalCount } ".repeat(500);
    // Spread through fragments: 2 × 2 × 2 × 2 × 40 fields from a short text.
    let mut fragments = String::from("{ ...F0 }");
    for level in 0..4 {
        let next = level + 1;
        fragments.push_str(&format!(
            " fragment F{level} on Query {{ ...F{next} ...F{next} }}"
        ));
    }
    fragments.push_str(&format!(
        " fragment F4 on Query {{ {} }}",
        "projects { totalCount } ".repeat(20)
    ));

    let response = app.graphql(&format!("{{ {copies} }}"), json!({})).await;
    let spread = app.graphql(&fragments, json!({})).await;

    let limit = MAX_SELECTIONS.to_string();
    assert_refused(&app, &response, &["too many fields", &limit]).await;
    assert_refused(&app, &spread, &["too many fields"]).await;
}

#[tokio::test]
async fn deep_nesting_is_refused() {
    let app = spawn_app().await;
    let nest = |levels: usize| {
        let mut query = String::from("{ code }");
        for _ in 0..levels {
            query =
                format!("{{ code events(first: 1) {{ edges {{ node {{ project {query} }} }} }} }}");
        }
        format!(r#"{{ project(id: "00000000-0000-7000-8000-000000000000") {query} }}"#)
    };

    // 20 levels: 81 nested selection sets, refused before the parser reads it.
    let twenty = app.graphql(&nest(20), json!({})).await;
    // 6 levels: 25 nested selection sets, refused before validation.
    let six = app.graphql(&nest(6), json!({})).await;
    // 4 levels: 17 fields deep, within the recursion depth, refused by validation.
    let four = app.graphql(&nest(4), json!({})).await;
    // A cycle of fragments.
    let cycle = app
        .graphql(
            "{ ...A } fragment A on Query { projects { edges { node { events { edges { node { \
             project { ...B } } } } } } } } fragment B on Project { events { ...C } } \
             fragment C on EventConnection { edges { node { ...D } } } fragment D on Event { \
             organiser { name } project { events { ...C } } }",
            json!({}),
        )
        .await;

    assert_refused(
        &app,
        &twenty,
        &["nests too deeply", &MAX_NESTING.to_string()],
    )
    .await;
    assert_refused(
        &app,
        &six,
        &["recursion depth", &MAX_RECURSIVE_DEPTH.to_string()],
    )
    .await;
    const { assert!(MAX_DEPTH < 17, "4 levels are 17 fields deep") };
    assert_refused(&app, &four, &["nested too deep"]).await;
    assert_eq!(error_codes(&cycle), ["BAD_USER_INPUT"], "{cycle:#}");
}

/// Documents nested `levels` deep (or as deep as the document limit allows, when that is less),
/// one per way of nesting, each refused before the parser recurses into it. A 5 KB document
/// nested 1,300 levels deep used to overflow the stack and abort the process for everyone;
/// deeper ones were stopped by the parser's stack guard with a message that repeated the whole
/// document.
fn deep_documents(levels: usize) -> Vec<(&'static str, String)> {
    // `before`, then `open` … `middle` … `close` nested `levels` deep, then `after`.
    let nested = |before: &str, open: &str, middle: &str, close: &str, after: &str| {
        let room = MAX_DOCUMENT_CHARS - before.len() - middle.len() - after.len();
        let levels = levels.min(room / (open.len() + close.len()));
        format!(
            "{before}{}{middle}{}{after}",
            open.repeat(levels),
            close.repeat(levels)
        )
    };
    let events = |open: &str, middle: &str, close: &str| {
        nested(
            "{ events(filter: ",
            open,
            middle,
            close,
            ") { totalCount } }",
        )
    };
    let fragments = {
        let mut chain = String::from("{ ...F0 }");
        let mut index = 0;
        while index < levels && chain.len() < MAX_DOCUMENT_CHARS - 100 {
            chain.push_str(&format!(
                " fragment F{index} on Query {{ ...F{} }}",
                index + 1
            ));
            index += 1;
        }
        chain.push_str(&format!(" fragment F{index} on Query {{ __typename }}"));
        chain
    };
    vec![
        ("inline objects", events("{a:", "1", "}")),
        ("inline lists", events("[", "1", "]")),
        ("objects in lists", events("{a:[", "1", "]}")),
        ("selection sets", nested("{ ", "a { ", "b", " }", " }")),
        (
            "inline fragments",
            nested("{ ", "... { ", "__typename", " }", " }"),
        ),
        (
            "a directive's argument",
            nested(
                "{ projects @include(if: ",
                "[",
                "true",
                "]",
                ") { totalCount } }",
            ),
        ),
        (
            "a variable's default",
            nested("query($v: Int = ", "[", "1", "]", ") { __typename }"),
        ),
        ("a chain of fragments", fragments),
        // Brackets inside strings, block strings and comments do not count; the real ones
        // after them do.
        (
            "after strings and comments",
            nested(
                "{ events(filter: { search: \"}}}]]]\\\"\", district: \"\"\"}}}\\\"\"\"}\"\"\" }) { totalCount } # }}}\n a ",
                "{ a ",
                "b",
                " }",
                " }",
            ),
        ),
    ]
}

/// JSON values nested as deep as the body limit allows, as text: serde_json refuses to build a
/// value past 128 levels, so the body is assembled by hand.
fn deep_json() -> Vec<(&'static str, String)> {
    let room = 256 * 1024 - 200;
    let nested = |open: &str, close: &str| {
        let levels = room / (open.len() + close.len());
        format!("{}1{}", open.repeat(levels), close.repeat(levels))
    };
    vec![
        ("nested objects", nested("{\"a\":", "}")),
        ("nested lists", nested("[", "]")),
    ]
}

#[tokio::test]
async fn values_nested_as_deep_as_the_limits_allow_are_refused_and_the_server_stays_up() {
    for (mode, app) in [
        ("development", spawn_app().await),
        ("production", crate::helpers::spawn_production_app().await),
    ] {
        let documents = [100, 1_300, 3_000, MAX_DOCUMENT_CHARS]
            .into_iter()
            .flat_map(|levels| {
                deep_documents(levels)
                    .into_iter()
                    .map(move |(kind, document)| (levels, kind, document))
            });
        for (levels, kind, document) in documents {
            assert!(document.chars().count() <= MAX_DOCUMENT_CHARS, "{kind}");
            let response = app.graphql(&document, json!({})).await;
            assert_eq!(
                error_codes(&response),
                ["BAD_USER_INPUT"],
                "{mode}, {kind} {levels} deep: {response:#}"
            );
            let message = response["errors"][0]["message"]
                .as_str()
                .unwrap_or_default();
            assert!(
                message.len() < 200 && !message.contains("{a:") && !message.contains("[[["),
                "{mode}, {kind} {levels} deep: a short message that does not echo the document: \
                 {message}"
            );
            assert!(
                response.get("data").is_none_or(Value::is_null),
                "{response:#}"
            );
            // The server answers the next request.
            app.data(HEALTHY, json!({})).await;
        }
        for (kind, variables) in deep_json() {
            for (name, body) in [
                (
                    "variables",
                    format!(
                        r#"{{"query":"query($f: EventFilter) {{ events(filter: $f) {{ totalCount }} }}","variables":{{"f":{variables}}}}}"#
                    ),
                ),
                (
                    "extensions",
                    format!(r#"{{"query":"{{ __typename }}","extensions":{{"x":{variables}}}}}"#),
                ),
            ] {
                let response = app
                    .client
                    .post(format!("{}/graphql", app.address))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 400, "{mode}, {kind} in {name}");
                let response: Value = response.json().await.expect("JSON");
                assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response:#}");
                let message = response["errors"][0]["message"]
                    .as_str()
                    .unwrap_or_default();
                assert!(
                    message.contains("The request body nests too deeply"),
                    "{message}"
                );
                app.data(HEALTHY, json!({})).await;
            }
        }
        // At the limit itself, each way of nesting is parsed and answered (here refused by
        // validation for the names the test makes up), on a worker thread's stack.
        let within = MAX_NESTING - 4;
        for document in [
            format!(
                "{{ events(filter: {}1{}) {{ totalCount }} }}",
                "{a:".repeat(within),
                "}".repeat(within)
            ),
            format!(
                "{{ events(filter: {}1{}) {{ totalCount }} }}",
                "[".repeat(within),
                "]".repeat(within)
            ),
        ] {
            let response = app.graphql(&document, json!({})).await;
            assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response:#}");
            let message = response["errors"][0]["message"]
                .as_str()
                .unwrap_or_default();
            assert!(!message.contains("too deeply"), "{message}");
        }
        let variables = (0..MAX_NESTING - 4).fold(json!(1), |value, _| json!([value]));
        let within = app
            .graphql("query($v: [Int]) { __typename }", json!({ "v": variables }))
            .await;
        assert!(!within.to_string().contains("too deeply"), "{within:#}");
        app.data(HEALTHY, json!({})).await;
    }
}

/// Over WebSocket the subscription's document and variables meet the same limits.
#[tokio::test]
async fn a_deep_subscription_is_refused_and_the_connection_stays_up() {
    let app = spawn_app().await;
    let mut client = app.ws_init(json!({})).await.expect("connected");
    let levels = 2_000;
    let deep = format!(
        "subscription {{ referralEvents(caseId: {}1{}) {{ kind }} }}",
        "{a:".repeat(levels),
        "}".repeat(levels)
    );
    client
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": deep } }))
        .await;
    assert_eq!(client.errors_then_complete("1").await, ["BAD_USER_INPUT"]);
    client
        .send(json!({ "id": "2", "type": "subscribe", "payload": {
            "query": "subscription($v: ID!) { referralEvents(caseId: $v) { kind } }",
            "variables": { "v": (0..100).fold(json!(1), |value, _| json!([value])) },
        } }))
        .await;
    assert_eq!(client.errors_then_complete("2").await, ["BAD_USER_INPUT"]);
    app.data(HEALTHY, json!({})).await;
}

#[tokio::test]
async fn directive_overload_is_refused() {
    let app = spawn_app().await;
    let directives = "@include(if: true) ".repeat(200);

    let on_field = app
        .graphql(
            &format!("{{ projects {directives} {{ totalCount }} }}"),
            json!({}),
        )
        .await;
    let on_fragment = app
        .graphql(
            &format!("{{ ... {directives} {{ projects {{ totalCount }} }} }}"),
            json!({}),
        )
        .await;
    let on_operation = app
        .graphql(
            &format!("query Q {directives} {{ projects {{ totalCount }} }}"),
            json!({}),
        )
        .await;

    let limit = MAX_DIRECTIVES.to_string();
    assert_refused(&app, &on_field, &["directives", "`projects`", &limit]).await;
    assert_refused(&app, &on_fragment, &["directives", &limit]).await;
    assert_eq!(
        error_codes(&on_operation),
        ["BAD_USER_INPUT"],
        "{on_operation:#}"
    );
}

#[tokio::test]
async fn circular_introspection_is_refused() {
    let app = spawn_app().await;
    let mut inner = String::from("name");
    for _ in 0..10 {
        inner = format!("fields {{ type {{ {inner} }} }}");
    }

    let response = app
        .graphql(
            &format!("{{ __schema {{ types {{ {inner} }} }} }}"),
            json!({}),
        )
        .await;

    assert_refused(&app, &response, &["nested too deep"]).await;
}

#[tokio::test]
async fn an_oversize_page_is_refused_naming_first() {
    let app = spawn_app().await;

    let large = app
        .graphql("{ projects(first: 1000) { totalCount } }", json!({}))
        .await;
    let nested = app
        .graphql(
            "{ projects(first: 100) { edges { node { events(first: 1000) { totalCount } } } } }",
            json!({}),
        )
        .await;
    let beyond_int = app
        .graphql(
            "query($first: Int) { projects(first: $first) { totalCount } }",
            json!({ "first": 1_u64 << 40 }),
        )
        .await;

    assert_eq!(
        large["errors"][0]["extensions"]["fields"][0]["field"],
        "first"
    );
    assert_refused(&app, &large, &["first"]).await;
    // Inside a list the page size multiplies the cost, refused before anything runs.
    assert_refused(&app, &nested, &["too complex"]).await;
    assert_refused(&app, &beyond_int, &["Int"]).await;
}

#[tokio::test]
async fn an_overlong_document_is_refused_before_parsing() {
    let app = spawn_app().await;
    let padding = "#".repeat(30_000);
    // Not even a document: refused for its length before the parser reads it.
    let garbage = "{".repeat(30_000);

    let response = app
        .graphql(&format!("{HEALTHY}\n{padding}"), json!({}))
        .await;
    let unparsable = app.graphql(&garbage, json!({})).await;

    let limit = MAX_DOCUMENT_CHARS.to_string();
    assert_refused(&app, &response, &["too long", &limit]).await;
    assert_refused(&app, &unparsable, &["too long"]).await;
}

// ---------------------------------------------------------------------------------------------
// Fuzz

/// A GraphQL input value, kept apart from JSON so enums can be written as enum literals.
#[derive(Clone, Debug)]
enum Input {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
    Enum(String),
    List(Vec<Input>),
    Object(Vec<(String, Input)>),
}

impl Input {
    /// As a literal in the document.
    fn literal(&self) -> String {
        match self {
            Self::Null => "null".to_owned(),
            Self::Bool(value) => value.to_string(),
            Self::Int(value) => value.to_string(),
            Self::Float(value) => format!("{value:e}"),
            Self::Text(text) => serde_json::to_string(text).unwrap_or_default(),
            Self::Enum(name) => name.clone(),
            Self::List(items) => {
                let items: Vec<_> = items.iter().map(Self::literal).collect();
                format!("[{}]", items.join(", "))
            }
            Self::Object(fields) => {
                let fields: Vec<_> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}: {}", value.literal()))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
        }
    }

    /// As the JSON value of a variable.
    fn json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(value) => json!(value),
            Self::Int(value) => i64::try_from(*value)
                .map(Value::from)
                .unwrap_or_else(|_| json!(*value as f64)),
            Self::Float(value) => json!(value),
            Self::Text(text) | Self::Enum(text) => json!(text),
            Self::List(items) => Value::Array(items.iter().map(Self::json).collect()),
            Self::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| (name.clone(), value.json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

/// What an argument takes.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Id,
    First,
    Cursor,
    Text,
    Flag,
    Date,
    Range,
    Choice(&'static str, &'static [&'static str]),
    Filter(&'static str, &'static [(&'static str, Kind)]),
}

impl Kind {
    fn type_name(self) -> String {
        match self {
            Self::Id => "ID".to_owned(),
            Self::First => "Int".to_owned(),
            Self::Cursor | Self::Text => "String".to_owned(),
            Self::Flag => "Boolean".to_owned(),
            Self::Date => "NaiveDate".to_owned(),
            Self::Range => "DateRangeInput".to_owned(),
            Self::Choice(name, _) | Self::Filter(name, _) => name.to_owned(),
        }
    }
}

const REGION: Kind = Kind::Choice(
    "Region",
    &["DUSHANBE", "SUGHD", "KHATLON", "GBAO", "DRS", "NATIONWIDE"],
);
const AREA: Kind = Kind::Choice(
    "ThematicArea",
    &[
        "HUMAN_RIGHTS",
        "GENDER_EQUALITY",
        "DOMESTIC_VIOLENCE",
        "YOUTH",
        "POLICING",
    ],
);

/// A root field: its name, its arguments and the selections to pick from.
struct Root {
    name: &'static str,
    args: &'static [(&'static str, Kind)],
    node: &'static [&'static str],
    connection: bool,
}

const PAGE: [(&str, Kind); 2] = [("first", Kind::First), ("after", Kind::Cursor)];

const ORGANISATION: &[&str] = &[
    "id name acronym kind",
    "nameTranslations { en ru tg }",
    "contactEmail contactPhone active",
];
const PROJECT: &[&str] = &[
    "id code title status startDate endDate visibility",
    "titleTranslations { en ru tg } summary",
    "budget { __typename }",
    "thematicAreas regions",
    "partners { role organisation { name } }",
    "events(first: NESTED) { totalCount edges { cursor node { title organiser { name } } } }",
    "events(after: NESTED) { pageInfo { hasNextPage endCursor } }",
];
const EVENT: &[&str] = &[
    "id title kind startsOn endsOn region district venue",
    "participants { total }",
    "summaryTranslations { en }",
    "organiser { name kind } project { code events(first: NESTED) { totalCount } }",
];
const CENTRE: &[&str] = &[
    "id name kind region district address phone openingHours",
    "operator { name } services languages shelterCapacity",
    "acceptingReferrals lastVerifiedAt active",
];
const ACCOUNT: &[&str] = &[
    "id email displayName role status",
    "organisation { name } preferredLanguage lastLoginAt",
    "mustChangePassword twoFactorEnabled recoveryCodesLeft locked createdAt",
];
const INDICATOR: &[&str] = &[
    "id title definition measure disaggregatedBySex ascending periodicity",
    "titleTranslations { en ru tg } baseline { value date } project { code }",
    "periods { year quarter target actual progress status }",
];
const PERIOD: &[&str] = &[
    "id year quarter startDate endDate target actual actualFemale actualMale",
    "comment revision reportedAt reportedById approved approvedAt approvedById",
    "progress status revisions { revision actual }",
];
const REPORT: &[&str] = &[
    "id month revision submittedAt submittedById total",
    "centre { name } lines { __typename }",
    "approval approvedAt approvedById revisions { revision total lines { total } }",
];
const CASE: &[&str] = &[
    "id code kind status risk region district",
    "survivor { __typename } consent { __typename } servicesRequested",
    "referringOrganisation { name } receivingCentre { name } overdue version",
    "identifying { __typename } history { __typename } accessLog { __typename }",
];

const ROOTS: &[Root] = &[
    Root {
        name: "organisation",
        args: &[("id", Kind::Id)],
        node: ORGANISATION,
        connection: false,
    },
    Root {
        name: "organisations",
        args: &[
            PAGE[0],
            PAGE[1],
            (
                "filter",
                Kind::Filter(
                    "OrganisationFilterInput",
                    &[
                        ("search", Kind::Text),
                        ("kind", Kind::Choice("OrganisationKind", &["NGO", "DONOR"])),
                    ],
                ),
            ),
            (
                "orderBy",
                Kind::Choice("OrganisationOrderBy", &["NAME_ASC"]),
            ),
        ],
        node: ORGANISATION,
        connection: true,
    },
    Root {
        name: "project",
        args: &[("id", Kind::Id)],
        node: PROJECT,
        connection: false,
    },
    Root {
        name: "projects",
        args: &[
            PAGE[0],
            PAGE[1],
            (
                "filter",
                Kind::Filter(
                    "ProjectFilterInput",
                    &[
                        ("search", Kind::Text),
                        ("thematicArea", AREA),
                        (
                            "status",
                            Kind::Choice("ProjectStatus", &["ACTIVE", "PLANNED"]),
                        ),
                        ("region", REGION),
                        ("activeDuring", Kind::Range),
                        ("partnerId", Kind::Id),
                        (
                            "visibility",
                            Kind::Choice("Visibility", &["PUBLIC", "INTERNAL"]),
                        ),
                    ],
                ),
            ),
            (
                "orderBy",
                Kind::Choice(
                    "ProjectOrderBy",
                    &["START_DATE_DESC", "START_DATE_ASC", "CODE_ASC"],
                ),
            ),
        ],
        node: PROJECT,
        connection: true,
    },
    Root {
        name: "event",
        args: &[("id", Kind::Id)],
        node: EVENT,
        connection: false,
    },
    Root {
        name: "events",
        args: &[
            PAGE[0],
            PAGE[1],
            (
                "filter",
                Kind::Filter(
                    "EventFilterInput",
                    &[
                        ("search", Kind::Text),
                        ("kind", Kind::Choice("EventKind", &["TRAINING", "FORUM"])),
                        ("thematicArea", AREA),
                        ("region", REGION),
                        ("district", Kind::Text),
                        ("during", Kind::Range),
                        ("projectId", Kind::Id),
                        ("organiserId", Kind::Id),
                    ],
                ),
            ),
            (
                "orderBy",
                Kind::Choice("EventOrderBy", &["STARTS_ON_DESC", "STARTS_ON_ASC"]),
            ),
        ],
        node: EVENT,
        connection: true,
    },
    Root {
        name: "resourceCentre",
        args: &[("id", Kind::Id)],
        node: CENTRE,
        connection: false,
    },
    Root {
        name: "resourceCentres",
        args: &[
            PAGE[0],
            PAGE[1],
            (
                "filter",
                Kind::Filter(
                    "CentreFilterInput",
                    &[
                        ("search", Kind::Text),
                        (
                            "kind",
                            Kind::Choice("CentreKind", &["SHELTER", "LEGAL_AID"]),
                        ),
                        (
                            "service",
                            Kind::Choice("CentreService", &["SHELTER", "CRISIS_SUPPORT"]),
                        ),
                        ("region", REGION),
                        ("district", Kind::Text),
                        ("acceptingReferrals", Kind::Flag),
                        ("operatorId", Kind::Id),
                    ],
                ),
            ),
            (
                "orderBy",
                Kind::Choice("CentreOrderBy", &["NAME_ASC", "DISTRICT_ASC"]),
            ),
        ],
        node: CENTRE,
        connection: true,
    },
    Root {
        name: "me",
        args: &[],
        node: ACCOUNT,
        connection: false,
    },
    Root {
        name: "account",
        args: &[("id", Kind::Id)],
        node: ACCOUNT,
        connection: false,
    },
    Root {
        name: "accounts",
        args: &[
            PAGE[0],
            PAGE[1],
            (
                "filter",
                Kind::Filter(
                    "AccountFilterInput",
                    &[
                        ("search", Kind::Text),
                        ("role", Kind::Choice("Role", &["PARTNER", "STAFF", "ADMIN"])),
                        (
                            "status",
                            Kind::Choice("AccountStatus", &["ACTIVE", "DISABLED"]),
                        ),
                        ("organisationId", Kind::Id),
                    ],
                ),
            ),
        ],
        node: ACCOUNT,
        connection: true,
    },
    Root {
        name: "centreReports",
        args: &[
            PAGE[0],
            PAGE[1],
            (
                "filter",
                Kind::Filter(
                    "CentreReportFilterInput",
                    &[
                        ("centreId", Kind::Id),
                        ("from", Kind::Date),
                        ("to", Kind::Date),
                    ],
                ),
            ),
        ],
        node: REPORT,
        connection: true,
    },
    Root {
        name: "referralCase",
        args: &[("id", Kind::Id)],
        node: CASE,
        connection: false,
    },
    Root {
        name: "referralCases",
        args: &[
            PAGE[0],
            PAGE[1],
            (
                "filter",
                Kind::Filter(
                    "CaseFilterInput",
                    &[
                        (
                            "direction",
                            Kind::Choice("CaseDirection", &["INCOMING", "OUTGOING"]),
                        ),
                        (
                            "status",
                            Kind::Choice("CaseStatus", &["DRAFT", "REFERRED", "CLOSED"]),
                        ),
                        (
                            "kind",
                            Kind::Choice("CaseKind", &["DOMESTIC_VIOLENCE", "OTHER_GBV"]),
                        ),
                        ("risk", Kind::Choice("RiskLevel", &["LOW", "HIGH"])),
                        ("overdue", Kind::Flag),
                        ("region", REGION),
                        ("opened", Kind::Range),
                    ],
                ),
            ),
        ],
        node: CASE,
        connection: true,
    },
];

/// Texts that break naive code: ids and cursors that are not ours, bad dates, escapes, NUL,
/// unicode, SQL and `LIKE` metacharacters, long text.
fn nasty_text() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just("not-an-id".to_owned()),
        Just("00000000-0000-0000-0000-000000000000".to_owned()),
        Just("ffffffff-ffff-ffff-ffff-ffffffffffff".to_owned()),
        Just("garbage".to_owned()),
        Just("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        Just("eyJrIjoxfQ".to_owned()),
        Just("2024-02-30".to_owned()),
        Just("+275760-09-13".to_owned()),
        Just("0000-00-00".to_owned()),
        Just("2025-01-01T00:00:00Z".to_owned()),
        Just("'; DROP TABLE project; --".to_owned()),
        Just("%_\\%".to_owned()),
        Just("nul\u{0}byte".to_owned()),
        Just("\u{feff}\u{202e}\u{1f600}".to_owned()),
        Just("Душанбе".to_owned()),
        Just("x".repeat(5_000)),
        "\\PC{0,30}",
        any::<String>(),
    ]
    .boxed()
}

fn nasty_int() -> BoxedStrategy<i128> {
    prop_oneof![
        Just(0),
        Just(-1),
        Just(1),
        Just(100),
        Just(101),
        Just(i128::from(i32::MAX)),
        Just(i128::from(i32::MIN)),
        Just(1 << 31),
        Just(1 << 53),
        Just(i128::from(i64::MAX)),
        Just(i128::from(i64::MAX) + 1),
        Just(10_i128.pow(25)),
        any::<i64>().prop_map(i128::from),
    ]
    .boxed()
}

/// Any value at all, of any shape.
fn junk() -> BoxedStrategy<Input> {
    let leaf = prop_oneof![
        Just(Input::Null),
        any::<bool>().prop_map(Input::Bool),
        nasty_int().prop_map(Input::Int),
        prop_oneof![Just(1.5), Just(-0.0), Just(1e300), Just(-1e-300)].prop_map(Input::Float),
        nasty_text().prop_map(Input::Text),
        prop_oneof![
            Just("ACTIVE".to_owned()),
            Just("KNITTING".to_owned()),
            "[A-Z_]{1,12}"
        ]
        .prop_map(Input::Enum),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Input::List),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("search".to_owned()),
                        Just("from".to_owned()),
                        Just("to".to_owned()),
                        "[a-z][a-zA-Z]{0,8}"
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(Input::Object),
        ]
    })
    .boxed()
}

/// A value of the right type for `kind` (though not necessarily a valid one).
fn typed(kind: Kind, ids: &[String]) -> BoxedStrategy<Input> {
    let date = || {
        prop_oneof![
            (1_i32..=9999, 1_u32..=13, 1_u32..=32)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            Just("2025-01-01".to_owned()),
            nasty_text(),
        ]
        .prop_map(Input::Text)
    };
    match kind {
        Kind::Id => {
            let mut pool = vec![Just("not-an-id".to_owned()).boxed(), nasty_text()];
            pool.push(prop::sample::select(ids.to_vec()).boxed());
            pool.push(
                any::<u128>()
                    .prop_map(|bits| uuid::Uuid::from_u128(bits).to_string())
                    .boxed(),
            );
            prop::strategy::Union::new(pool)
                .prop_map(Input::Text)
                .boxed()
        }
        Kind::First => prop_oneof![-5_i128..=150, nasty_int()]
            .prop_map(Input::Int)
            .boxed(),
        Kind::Cursor | Kind::Text => nasty_text().prop_map(Input::Text).boxed(),
        Kind::Flag => any::<bool>().prop_map(Input::Bool).boxed(),
        Kind::Date => date().boxed(),
        Kind::Range => (prop::option::of(date()), prop::option::of(date()))
            .prop_map(|(from, to)| {
                let mut fields = Vec::new();
                if let Some(from) = from {
                    fields.push(("from".to_owned(), from));
                }
                if let Some(to) = to {
                    fields.push(("to".to_owned(), to));
                }
                Input::Object(fields)
            })
            .boxed(),
        Kind::Choice(_, values) => prop::sample::select(values.to_vec())
            .prop_map(|value| Input::Enum(value.to_owned()))
            .boxed(),
        Kind::Filter(_, fields) => {
            let fields: Vec<_> = fields
                .iter()
                .map(|(name, kind)| {
                    prop::option::weighted(0.4, argument_value(*kind, ids))
                        .prop_map(move |value| value.map(|value| ((*name).to_owned(), value)))
                })
                .collect();
            fields
                .prop_map(|fields| Input::Object(fields.into_iter().flatten().collect()))
                .boxed()
        }
    }
}

/// Mostly a value of the right type, sometimes anything.
fn argument_value(kind: Kind, ids: &[String]) -> BoxedStrategy<Input> {
    prop_oneof![3 => typed(kind, ids), 1 => junk()].boxed()
}

/// How an argument is sent.
#[derive(Clone, Debug)]
enum Delivery {
    Inline,
    /// As a variable declared with this type, its value sent or left out.
    Variable(String, bool),
}

/// Mostly as the type `right` (a variable sometimes declared non-null or left out), sometimes
/// declared with a wrong type.
fn delivery(right: String) -> BoxedStrategy<Delivery> {
    prop_oneof![
        3 => Just(Delivery::Inline),
        3 => (Just(right.clone()), prop::bool::weighted(0.9))
            .prop_map(|(declared, sent)| Delivery::Variable(declared, sent)),
        1 => Just(Delivery::Variable(format!("{}!", right.trim_end_matches('!')), true)),
        1 => (
            prop::sample::select(vec!["String", "Int!", "ID", "[String]", "Float", "Boolean",
                "NaiveDate", "DateRangeInput", "ProjectFilterInput", "Region", "Nope"]),
            any::<bool>()
        )
            .prop_map(|(declared, sent)| Delivery::Variable(declared.to_owned(), sent)),
    ]
    .boxed()
}

/// One generated request.
#[derive(Clone, Debug)]
struct Case {
    query: String,
    variables: Value,
    signed_in: bool,
}

fn case(ids: Vec<String>) -> impl Strategy<Value = Case> {
    (0..ROOTS.len()).prop_flat_map(move |index| {
        let root = &ROOTS[index];
        let args: Vec<_> = root
            .args
            .iter()
            .map(|(_, kind)| {
                prop::option::weighted(
                    0.7,
                    (argument_value(*kind, &ids), delivery(kind.type_name())),
                )
            })
            .collect();
        let mut selections: Vec<String> = Vec::new();
        if root.connection {
            selections.push("totalCount".to_owned());
            selections
                .push("pageInfo { hasNextPage hasPreviousPage startCursor endCursor }".to_owned());
            selections.push("edges { cursor }".to_owned());
            selections.extend(
                root.node
                    .iter()
                    .map(|node| format!("edges {{ node {{ {node} }} }}")),
            );
        } else {
            selections.extend(root.node.iter().map(|node| (*node).to_owned()));
        }
        let count = selections.len();
        (
            Just(index),
            args,
            subsequence(selections, 1..=count),
            prop_oneof![typed(Kind::First, &ids), junk()],
            any::<bool>(),
        )
            .prop_map(|(index, args, selections, nested, signed_in)| {
                render(&ROOTS[index], &args, &selections, &nested, signed_in)
            })
    })
}

fn render(
    root: &Root,
    args: &[Option<(Input, Delivery)>],
    selections: &[String],
    nested: &Input,
    signed_in: bool,
) -> Case {
    let selection = selections.join(" ").replace("NESTED", &nested.literal());
    let names: Vec<&str> = root.args.iter().map(|(name, _)| *name).collect();
    let (query, variables) = operation("query", root.name, &names, args, &selection);
    Case {
        query,
        variables,
        signed_in,
    }
}

/// An operation of `kind` (`query`, `mutation`) selecting `root` with the arguments `names`
/// given as `args` say (inline or as variables, or left out), and `selection` under it (none
/// when empty); the document and its variables.
fn operation(
    kind: &str,
    root: &str,
    names: &[&str],
    args: &[Option<(Input, Delivery)>],
    selection: &str,
) -> (String, Value) {
    let mut declarations = Vec::new();
    let mut variables = Map::new();
    let mut arguments = Vec::new();
    for (index, (name, arg)) in names.iter().zip(args).enumerate() {
        let Some((value, delivery)) = arg else {
            continue;
        };
        match delivery {
            Delivery::Inline => arguments.push(format!("{name}: {}", value.literal())),
            Delivery::Variable(declared, sent) => {
                declarations.push(format!("$v{index}: {declared}"));
                if *sent {
                    variables.insert(format!("v{index}"), value.json());
                }
                arguments.push(format!("{name}: $v{index}"));
            }
        }
    }
    let declarations = if declarations.is_empty() {
        String::new()
    } else {
        format!("({})", declarations.join(", "))
    };
    let arguments = if arguments.is_empty() {
        String::new()
    } else {
        format!("({})", arguments.join(", "))
    };
    let selection = if selection.is_empty() {
        String::new()
    } else {
        format!(" {{ {selection} }}")
    };
    (
        format!("{kind}{declarations} {{ {root}{arguments}{selection} }}"),
        Value::Object(variables),
    )
}

/// Every error of `response` has a code, and none is `INTERNAL`; the answer fits the
/// schema's types (fields present, `null` only where allowed).
fn check_codes(
    case: &dyn std::fmt::Debug,
    query: &str,
    response: &Value,
) -> Result<(), TestCaseError> {
    let violations = answers::violations(query, response);
    prop_assert!(
        violations.is_empty(),
        "the answer breaks the schema's types for {:?}:\n  {}\n{:#}",
        case,
        violations.join("\n  "),
        response
    );
    prop_assert!(
        response.get("data").is_some() || response.get("errors").is_some(),
        "not a GraphQL response for {case:?}: {response:#}"
    );
    for error in response["errors"].as_array().into_iter().flatten() {
        let code = error["extensions"]["code"].as_str();
        prop_assert!(
            code.is_some(),
            "an error without a code for {case:?}: {error:#}"
        );
        prop_assert_ne!(
            code,
            Some("INTERNAL"),
            "INTERNAL for {:?}: {:#}",
            case,
            error
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_queries_never_fail_internally() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let known = app
        .data(
            "{ projects(first: 3) { edges { node { id partners { organisation { id } } } } } \
               events(first: 3) { edges { node { id } } } \
               resourceCentres(first: 3) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let mut ids: Vec<String> = ["projects", "events", "resourceCentres"]
        .iter()
        .flat_map(|root| nodes(&known[*root]))
        .filter_map(|node| node["id"].as_str().map(str::to_owned))
        .collect();
    ids.extend(
        nodes(&known["projects"])
            .iter()
            .flat_map(|node| node["partners"].as_array().cloned().unwrap_or_default())
            .filter_map(|partner| partner["organisation"]["id"].as_str().map(str::to_owned)),
    );
    assert!(ids.len() >= 9, "demo ids: {ids:?}");

    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(200);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(QUERY_REGRESSIONS))),
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&case(ids), |case| {
            let response = handle.block_on(async {
                if case.signed_in {
                    app.graphql_as(&staff.access_token, &case.query, case.variables.clone())
                        .await
                } else {
                    app.graphql(&case.query, case.variables.clone()).await
                }
            });
            check_codes(&case, &case.query, &response)
        })
    });

    if let Err(failure) = result {
        panic!("{failure}");
    }
    // Still healthy.
    app.data(HEALTHY, json!({})).await;
}

// ---------------------------------------------------------------------------------------------
// Fuzz of the mutations

/// The mutation roots and the selections of their results to pick from; their arguments come
/// from `schema.graphql`, so a new argument is fuzzed without a change here, and a new root
/// fails `every_mutation_root_is_fuzzed` until it has its row.
const MUTATIONS: &[(&str, &[&str])] = &[
    ("login", SESSION),
    ("refreshSession", SESSION),
    ("logout", &["sessionsEnded"]),
    ("changePassword", ACCOUNT),
    ("enrolTotp", &["secret", "provisioningUri"]),
    ("confirmTotp", RECOVERY_CODES),
    ("regenerateRecoveryCodes", RECOVERY_CODES),
    ("removeTotp", ACCOUNT),
    ("resetAccountTwoFactor", ACCOUNT),
    ("createAccount", ACCOUNT),
    ("resendInvitation", ACCOUNT),
    ("acceptInvitation", &[]),
    ("requestPasswordReset", &[]),
    ("resetPassword", &[]),
    ("updateAccount", ACCOUNT),
    ("disableAccount", ACCOUNT),
    ("enableAccount", ACCOUNT),
    ("resetAccountPassword", ACCOUNT),
    ("updateMyProfile", ACCOUNT),
    ("createOrganisation", ORGANISATION),
    ("updateOrganisation", ORGANISATION),
    ("deactivateOrganisation", ORGANISATION),
    ("reactivateOrganisation", ORGANISATION),
    ("createProject", PROJECT),
    ("updateProject", PROJECT),
    ("deleteProject", &[]),
    ("setProjectPartners", PROJECT),
    ("createEvent", EVENT),
    ("updateEvent", EVENT),
    ("publishEvent", EVENT),
    ("unpublishEvent", EVENT),
    ("deleteEvent", &[]),
    ("createResourceCentre", CENTRE),
    ("updateResourceCentre", CENTRE),
    ("markResourceCentreVerified", CENTRE),
    ("deactivateResourceCentre", CENTRE),
    ("reactivateResourceCentre", CENTRE),
    ("submitCentreReport", REPORT),
    ("approveCentreReport", REPORT),
    ("reopenCentreReport", REPORT),
    ("createIndicator", INDICATOR),
    ("updateIndicator", INDICATOR),
    ("deleteIndicator", &[]),
    ("setIndicatorTarget", INDICATOR),
    ("reportIndicatorResult", PERIOD),
    ("approveIndicatorResult", PERIOD),
    ("reopenIndicatorResult", PERIOD),
    ("createReferralCase", CASE),
    ("recordCaseConsent", CASE),
    ("sendReferralCase", CASE),
    ("acceptReferralCase", CASE),
    ("declineReferralCase", CASE),
    ("startReferralService", CASE),
    ("closeReferralCase", CASE),
    ("withdrawReferralCase", CASE),
    ("referCaseOnward", CASE),
    ("withdrawCaseConsent", CASE),
    ("markNotificationsRead", &[]),
    ("updateReferralCase", CASE),
    ("deleteDraftReferralCase", &[]),
    (
        "addCaseNote",
        &["id at text", "authorAccountId organisation { name }"],
    ),
    ("assignReferralCase", CASE),
];

const SESSION: &[&str] = &[
    "accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt",
    "mustChangePassword mustEnrolTwoFactor recoveryCodesLeft",
    "account { id email role organisation { name } }",
];
const RECOVERY_CODES: &[&str] = &[
    "recoveryCodes",
    "account { id twoFactorEnabled recoveryCodesLeft }",
];

/// Who sends a fuzzed mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// A partner of a demo organisation that operates a centre and takes part in projects.
    Partner,
    Staff,
    Admin,
}

const SIGNED_IN: [Who; 3] = [Who::Partner, Who::Staff, Who::Admin];

/// One generated mutation.
#[derive(Clone, Debug)]
struct MutationCase {
    query: String,
    variables: Value,
    who: Who,
}

/// The mutation root `name` of `schema.graphql`.
fn mutation_field(name: &str) -> &'static async_graphql::parser::types::FieldDefinition {
    answers::SCHEMA
        .mutation_fields()
        .iter()
        .map(|field| &field.node)
        .find(|field| field.name.node.as_str() == name)
        .unwrap_or_else(|| panic!("`{name}` is not a mutation of schema.graphql"))
}

/// Texts that pass the first checks (a strong password, an e-mail address, a project code, a
/// TOTP-shaped code, a phone number, an amount), so that a mutation gets past its input's
/// validation and into its rules.
fn plausible_text() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "Granite teapot wanders sideways 7",
        "fuzz@example.org",
        "PO-2026-FZ-01",
        "123456",
        "+992 37 221 11 11",
        "10000",
        "EUR",
        "Dushanbe",
        "Fuzzed title",
        "en",
    ])
    .prop_map(str::to_owned)
    .boxed()
}

/// A value of the schema type `ty` (though not necessarily a valid one): enums with their
/// values, input objects with their fields, nullable positions sometimes `null`.
fn of_type(ty: &'static Type, ids: &[String], depth: usize) -> BoxedStrategy<Input> {
    let value = match &ty.base {
        BaseType::List(item) => prop::collection::vec(nested_value(item, ids, depth + 1), 0..4)
            .prop_map(Input::List)
            .boxed(),
        BaseType::Named(name) => named(name.as_str(), ids, depth),
    };
    if ty.nullable {
        prop_oneof![1 => Just(Input::Null), 5 => value].boxed()
    } else {
        value
    }
}

fn named(name: &str, ids: &[String], depth: usize) -> BoxedStrategy<Input> {
    match name {
        // Mostly an id of the demo data, so that the mutation reaches its rules.
        "ID" => prop_oneof![
            3 => prop::sample::select(ids.to_vec()).prop_map(Input::Text),
            1 => typed(Kind::Id, ids),
        ]
        .boxed(),
        "Int" => typed(Kind::First, ids),
        "Boolean" => typed(Kind::Flag, ids),
        "NaiveDate" => typed(Kind::Date, ids),
        "String" => prop_oneof![plausible_text(), nasty_text()]
            .prop_map(Input::Text)
            .boxed(),
        "Float" => prop_oneof![Just(0.5), Just(-1.0), Just(1e300)]
            .prop_map(Input::Float)
            .boxed(),
        "DateTime" => prop_oneof![
            Just("2025-01-01T00:00:00Z".to_owned()),
            Just("2025-13-01T00:00:00Z".to_owned()),
            nasty_text(),
        ]
        .prop_map(Input::Text)
        .boxed(),
        _ => match answers::SCHEMA.kind(name) {
            Some(TypeKind::Enum(choices)) => prop::sample::select(
                choices
                    .values
                    .iter()
                    .map(|value| value.node.value.node.to_string())
                    .collect::<Vec<_>>(),
            )
            .prop_map(Input::Enum)
            .boxed(),
            Some(TypeKind::InputObject(object)) if depth < 4 => {
                let fields: Vec<_> = object
                    .fields
                    .iter()
                    .map(|field| {
                        let field = &field.node;
                        let required = !field.ty.node.nullable && field.default_value.is_none();
                        let name = field.name.node.to_string();
                        prop::option::weighted(
                            if required { 0.9 } else { 0.5 },
                            nested_value(&field.ty.node, ids, depth + 1),
                        )
                        .prop_map(move |value| value.map(|value| (name.clone(), value)))
                    })
                    .collect();
                fields
                    .prop_map(|fields| Input::Object(fields.into_iter().flatten().collect()))
                    .boxed()
            }
            _ => junk(),
        },
    }
}

/// Mostly a value of the schema type `ty`, sometimes anything.
fn schema_value(ty: &'static Type, ids: &[String], depth: usize) -> BoxedStrategy<Input> {
    prop_oneof![4 => of_type(ty, ids, depth), 1 => junk()].boxed()
}

/// A value inside a list or an input object: rarely anything, so that an input of many
/// fields is still often valid enough to reach the mutation's rules.
fn nested_value(ty: &'static Type, ids: &[String], depth: usize) -> BoxedStrategy<Input> {
    prop_oneof![19 => of_type(ty, ids, depth), 1 => junk()].boxed()
}

fn mutation_case(ids: Vec<String>) -> impl Strategy<Value = MutationCase> {
    (0..MUTATIONS.len()).prop_flat_map(move |index| {
        let (name, results) = MUTATIONS[index];
        let field = mutation_field(name);
        let args: Vec<_> = field
            .arguments
            .iter()
            .map(|argument| {
                let ty = &argument.node.ty.node;
                let required = !ty.nullable && argument.node.default_value.is_none();
                prop::option::weighted(
                    if required { 0.9 } else { 0.5 },
                    (schema_value(ty, &ids, 0), delivery(ty.to_string())),
                )
            })
            .collect();
        let results: Vec<String> = results.iter().map(|result| (*result).to_owned()).collect();
        let count = results.len();
        (
            args,
            subsequence(results, count.min(1)..=count),
            prop_oneof![typed(Kind::First, &ids), junk()],
            prop::sample::select(vec![Who::Anonymous, Who::Partner, Who::Staff, Who::Admin]),
        )
            .prop_map(move |(args, selections, nested, who)| {
                let names: Vec<&str> = field
                    .arguments
                    .iter()
                    .map(|argument| argument.node.name.node.as_str())
                    .collect();
                let selection = selections.join(" ").replace("NESTED", &nested.literal());
                let (query, variables) = operation("mutation", name, &names, &args, &selection);
                MutationCase {
                    query,
                    variables,
                    who,
                }
            })
    })
}

#[test]
fn every_mutation_root_is_fuzzed() {
    let in_schema: std::collections::BTreeSet<&str> = answers::SCHEMA
        .mutation_fields()
        .iter()
        .map(|field| field.node.name.node.as_str())
        .collect();
    let in_table: std::collections::BTreeSet<&str> =
        MUTATIONS.iter().map(|(name, _)| *name).collect();

    let missing: Vec<_> = in_schema.difference(&in_table).collect();
    let unknown: Vec<_> = in_table.difference(&in_schema).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "mutations not fuzzed: {missing:?}; fuzzed but not in the schema: {unknown:?}"
    );
    assert_eq!(MUTATIONS.len(), in_table.len(), "a mutation listed twice");
}

/// The ids of the demo data an admin sees: organisations, projects, events, centres, reports,
/// accounts and referral cases.
async fn demo_ids(app: &TestApp, admin: &User) -> Vec<String> {
    let known = app
        .data_as(
            &admin.access_token,
            "{ organisations(first: 5) { edges { node { id } } } \
               projects(first: 5) { edges { node { id } } } \
               events(first: 5) { edges { node { id } } } \
               resourceCentres(first: 5) { edges { node { id } } } \
               centreReports(first: 3) { edges { node { id } } } \
               accounts(first: 5) { edges { node { id } } } \
               referralCases(first: 5) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    known
        .as_object()
        .into_iter()
        .flat_map(|roots| roots.values())
        .flat_map(nodes)
        .filter_map(|node| node["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_mutations_never_fail_internally() {
    // Sign-ins are part of the fuzz and re-sign a principal whose session a fuzzed `logout`
    // ended; the per-address limit on sign-ins would answer them `RATE_LIMITED` instead.
    let app = spawn_app_with(&[("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "100000")]).await;
    app.load_demo().await.expect("demo data");
    let admin = app.user(Role::Admin, None).await;
    let ids = demo_ids(&app, &admin).await;
    assert!(ids.len() >= 20, "demo ids: {ids:?}");
    let partner_organisation = app
        .data(
            "{ resourceCentres(first: 1) { edges { node { operator { id } } } } }",
            json!({}),
        )
        .await["resourceCentres"]["edges"][0]["node"]["operator"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok());
    assert!(partner_organisation.is_some(), "a demo centre's operator");
    // In the order of `SIGNED_IN`.
    let users = std::cell::RefCell::new(vec![
        app.user(Role::Partner, partner_organisation).await,
        app.user(Role::Staff, None).await,
        admin,
    ]);
    let slot = |who: Who| SIGNED_IN.iter().position(|signed_in| *signed_in == who);
    let token = |who: Who| slot(who).map(|slot| users.borrow()[slot].access_token.clone());

    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(200);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            MUTATION_REGRESSIONS,
        ))),
        ..Config::default()
    });
    // Cases whose request was executed (an answer with `data`), not refused by parsing or
    // validation: the fuzz must reach the mutations' rules, not only the validator.
    let executed = std::cell::Cell::new(0_u32);
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&mutation_case(ids), |case| {
            let response = handle.block_on(async {
                let response = match token(case.who) {
                    Some(token) => {
                        app.graphql_as(&token, &case.query, case.variables.clone())
                            .await
                    }
                    None => app.graphql(&case.query, case.variables.clone()).await,
                };
                // A fuzzed `logout` (or a password change) ends the principal's session: sign
                // in again so that the following cases are not all refused at the door.
                if let Some(slot) = slot(case.who)
                    && error_codes(&response)
                        .iter()
                        .any(|code| code == "UNAUTHENTICATED")
                {
                    let (email, password) = {
                        let user = &users.borrow()[slot];
                        (user.account.email.clone(), user.password.clone())
                    };
                    let login = app.login(&email, &password, None).await;
                    if let Some(token) = login["data"]["login"]["accessToken"].as_str() {
                        token.clone_into(&mut users.borrow_mut()[slot].access_token);
                    }
                }
                response
            });
            if response.get("data").is_some() {
                executed.set(executed.get() + 1);
            }
            check_codes(&case, &case.query, &response)
        })
    });

    if let Err(failure) = result {
        panic!("{failure}");
    }
    assert!(
        executed.get() * 4 >= cases,
        "only {} of {cases} fuzzed mutations were executed",
        executed.get()
    );
    // Still healthy, for every principal: each signs in afresh (a last fuzzed `logout` may
    // have ended its session) and reads.
    app.data(HEALTHY, json!({})).await;
    let credentials: Vec<(String, String)> = users
        .borrow()
        .iter()
        .map(|user| (user.account.email.clone(), user.password.clone()))
        .collect();
    for (email, password) in credentials {
        let login = app.login(&email, &password, None).await;
        let token = login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-in after the fuzz: {login:#}"));
        app.data_as(token, HEALTHY, json!({})).await;
    }
}

/// Found by the fuzz: a declared variable that the request does not send, used where its type
/// does not fit, passes async-graphql's validation and failed at execution as `INTERNAL`.
#[tokio::test]
async fn a_declared_variable_left_out_is_bad_user_input() {
    let app = spawn_app().await;

    let response = app
        .graphql(
            "query($v: Int!) { projects(after: $v) { totalCount } }",
            json!({}),
        )
        .await;

    assert_refused(&app, &response, &["Variable v is not defined"]).await;
}

/// PostgreSQL cannot store a NUL character in text; found by the fuzz test as an `INTERNAL`
/// error on PostgreSQL. It is refused as bad input, in variables and in literals alike, on
/// every database.
#[tokio::test]
async fn a_nul_character_is_bad_input_not_a_database_error() {
    let app = spawn_app().await;
    let in_variables = app
        .graphql(
            "query($district: String) { events(first: 5, filter: { district: $district }) { totalCount } }",
            json!({ "district": "Vahdat\u{0}" }),
        )
        .await;
    assert_eq!(
        error_codes(&in_variables),
        ["BAD_USER_INPUT"],
        "{in_variables:#}"
    );
    let in_a_literal = app
        .graphql(
            r#"{ events(first: 5, filter: { search: "Vahdat\u0000" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        error_codes(&in_a_literal),
        ["BAD_USER_INPUT"],
        "{in_a_literal:#}"
    );
    // The server is fine afterwards.
    app.data("{ events(first: 1) { totalCount } }", json!({}))
        .await;
}
