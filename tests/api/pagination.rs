//! What every connection shares: Relay's page arguments, checked the same way on each, and a
//! page size that counts in a query's cost whichever end it is taken from. Each domain's module
//! pages its own connections both ways (`helpers::paging`).

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{error_codes, error_fields, paging::Listing, spawn_app, spawn_app_with_demo};

/// Every connection field of the schema (`grep 'Connection!' schema.graphql`), as an admin
/// (who may read each) reaches it.
const CONNECTIONS: [&str; 9] = [
    "organisations(PAGE) SELECTION",
    "projects(PAGE) SELECTION",
    "projects(first: 1) { edges { node { events(PAGE) SELECTION } } }",
    "events(PAGE) SELECTION",
    "resourceCentres(PAGE) SELECTION",
    "accounts(PAGE) SELECTION",
    "centreReports(PAGE) SELECTION",
    "referralCases(PAGE) SELECTION",
    "auditLog(PAGE) SELECTION",
];

fn refused_naming(response: &Value, fields: &[&str], what: &str) {
    assert_eq!(
        error_codes(response),
        ["BAD_USER_INPUT"],
        "{what}: {response:#}"
    );
    assert_eq!(error_fields(response), fields, "{what}: {response:#}");
}

#[tokio::test]
async fn every_connection_refuses_bad_page_arguments_naming_them() {
    // The demo, so that the nested `events` has a project to hang from.
    let app = spawn_app_with_demo().await;
    let admin = app.user(Role::Admin, None).await;
    let cursor = Listing {
        token: Some(&admin.access_token),
        template: "projects(PAGE) SELECTION",
        path: &["projects"],
    }
    .page(&app, json!({ "first": 1 }))
    .await
    .end_cursor;

    for template in CONNECTIONS {
        let listing = Listing {
            token: Some(&admin.access_token),
            template,
            path: &[],
        };
        for last in [0, -1, 101] {
            let response = listing.response(&app, json!({ "last": last })).await;
            refused_naming(&response, &["last"], template);
            let message = response["errors"][0]["message"]
                .as_str()
                .unwrap_or_default();
            assert!(message.contains("between 1 and 100"), "{message}");
        }
        let both = listing
            .response(&app, json!({ "first": 5, "last": 5 }))
            .await;
        refused_naming(&both, &["first", "last"], template);
        let message = both["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("cannot be given with"), "{message}");

        let garbage = listing
            .response(&app, json!({ "last": 5, "before": "not a cursor" }))
            .await;
        refused_naming(&garbage, &["before"], template);
        // A cursor of another list (and so of another ordering) is refused by name too, in
        // either place (the projects' own cursor is refused by the nested events).
        if !template.starts_with("projects(PAGE)") {
            for field in ["before", "after"] {
                let foreign = listing
                    .response(&app, json!({ "last": 5, field: cursor }))
                    .await;
                refused_naming(&foreign, &[field], template);
            }
        }
    }
}

#[tokio::test]
async fn the_cost_of_a_page_counts_last_as_it_counts_first() {
    let app = spawn_app().await;
    let query = |first: &str, last: &str| {
        format!(
            "{{ projects({first}) {{ edges {{ node {{ code events({last}) {{ edges {{ node {{ title startsOn }} }} }} }} }} }} }}"
        )
    };
    for (outer, inner) in [
        ("first: 100", "last: 100"),
        ("last: 100", "first: 100"),
        ("last: 100", "last: 100"),
    ] {
        let response = app.graphql(&query(outer, inner), json!({})).await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response:#}");
        let message = response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("too complex"),
            "{outer} {inner}: {message}"
        );
    }
    // The same shape with pages of 20 either way is well within the budget.
    let response = app.graphql(&query("last: 20", "last: 20"), json!({})).await;
    assert!(response.get("errors").is_none(), "{response:#}");
}
