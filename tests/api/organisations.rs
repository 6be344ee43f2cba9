//! Organisations: the public sees only those that take part in public content.

use entity::enums::{PartnerRole, Visibility};
use serde_json::json;

use crate::helpers::{
    error_codes,
    fixtures::{self, NewCentre, NewEvent, NewProject},
    nodes, spawn_app,
};

#[tokio::test]
async fn the_public_sees_organisations_of_public_content_by_name_and_kind() {
    let app = spawn_app().await;
    let partner = fixtures::organisation(&app.db, "Partner of a public project").await;
    let secret_partner = fixtures::organisation(&app.db, "Partner of an internal project").await;
    let organiser = fixtures::organisation(&app.db, "Organiser of a published event").await;
    let drafter = fixtures::organisation(&app.db, "Organiser of a draft").await;
    let operator = fixtures::organisation(&app.db, "Operator of an active centre").await;
    let closed = fixtures::organisation(&app.db, "Operator of a closed centre").await;
    fixtures::project(
        &app.db,
        NewProject {
            code: "PO-1",
            partners: &[(partner.id, PartnerRole::Implementing)],
            ..NewProject::default()
        },
    )
    .await;
    fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2",
            visibility: Visibility::Internal,
            partners: &[(secret_partner.id, PartnerRole::Implementing)],
            ..NewProject::default()
        },
    )
    .await;
    fixtures::event(
        &app.db,
        NewEvent {
            organiser_id: organiser.id,
            ..NewEvent::default()
        },
    )
    .await;
    fixtures::event(
        &app.db,
        NewEvent {
            organiser_id: drafter.id,
            published: false,
            ..NewEvent::default()
        },
    )
    .await;
    fixtures::centre(
        &app.db,
        NewCentre {
            operator_id: operator.id,
            ..NewCentre::default()
        },
    )
    .await;
    fixtures::centre(
        &app.db,
        NewCentre {
            operator_id: closed.id,
            active: false,
            ..NewCentre::default()
        },
    )
    .await;

    let data = app
        .data(
            "{ organisations(first: 100) { totalCount edges { node { name kind acronym } } } }",
            json!({}),
        )
        .await;

    let names: Vec<&str> = nodes(&data["organisations"])
        .iter()
        .filter_map(|node| node["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Operator of an active centre",
            "Organiser of a published event",
            "Partner of a public project"
        ]
    );
    assert_eq!(data["organisations"]["totalCount"], 3);
    for hidden in [&secret_partner, &drafter, &closed] {
        let response = app
            .graphql(
                "query($id: ID!) { organisation(id: $id) { name } }",
                json!({ "id": hidden.id.to_string() }),
            )
            .await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"]);
    }
    for field in ["contactEmail", "contactPhone", "active"] {
        let response = app
            .graphql(
                &format!("query($id: ID!) {{ organisation(id: $id) {{ name {field} }} }}"),
                json!({ "id": partner.id.to_string() }),
            )
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{field}");
    }
}

#[tokio::test]
async fn organisations_are_searched_in_any_language() {
    let app = spawn_app().await;
    let ministry = fixtures::organisation(&app.db, "Ministry of Internal Affairs").await;
    fixtures::centre(
        &app.db,
        NewCentre {
            operator_id: ministry.id,
            ..NewCentre::default()
        },
    )
    .await;

    let found = app
        .data(
            r#"{ organisations(filter: { search: "internal AFFAIRS" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    let none = app
        .data(
            r#"{ organisations(filter: { kind: DONOR }) { totalCount } }"#,
            json!({}),
        )
        .await;

    assert_eq!(found["organisations"]["totalCount"], 1);
    assert_eq!(none["organisations"]["totalCount"], 0);
}
