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

const CREATE_ORGANISATION: &str = r"
mutation($input: OrganisationInput!) {
  createOrganisation(input: $input) { id name acronym kind contactEmail active }
}";

#[tokio::test]
async fn staff_and_admins_manage_organisations_and_others_may_not() {
    use entity::enums::Role;
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let staff = app.user(Role::Staff, None).await;
    let admin = app.user(Role::Admin, None).await;
    let manager = app.user(Role::PartnerManager, Some(ngo.id)).await;
    let input = json!({ "input": {
        "name": { "en": "Association of Women Judges", "ru": "Союз женщин-судей" },
        "acronym": "AWJ", "kind": "NGO", "contactEmail": "Info@AWJ.example.tj"
    } });

    let anonymous = app.graphql(CREATE_ORGANISATION, input.clone()).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let by_manager = app
        .graphql_as(&manager.access_token, CREATE_ORGANISATION, input.clone())
        .await;
    assert_eq!(error_codes(&by_manager), ["FORBIDDEN"]);

    let created = app
        .data_as(&staff.access_token, CREATE_ORGANISATION, input)
        .await;
    let created = &created["createOrganisation"];
    assert_eq!(created["contactEmail"], "info@awj.example.tj");
    assert_eq!(created["active"], true);
    let id = created["id"].as_str().expect("id").to_owned();

    let updated = app
        .data_as(
            &admin.access_token,
            "mutation($id: ID!, $input: OrganisationInput!) { updateOrganisation(id: $id, input: $input) { name kind } }",
            json!({ "id": id, "input": { "name": { "tg": "Иттиҳодияи занони судя" }, "kind": "ACADEMIC" } }),
        )
        .await;
    assert_eq!(
        updated["updateOrganisation"]["name"],
        "Иттиҳодияи занони судя"
    );
    let deactivated = app
        .data_as(
            &staff.access_token,
            "mutation($id: ID!) { deactivateOrganisation(id: $id) { active } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deactivated["deactivateOrganisation"]["active"], false);
    let by_partner = app
        .graphql_as(
            &manager.access_token,
            "mutation($id: ID!) { reactivateOrganisation(id: $id) { active } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&by_partner), ["FORBIDDEN"]);

    let signed_in_details = app
        .data_as(
            &manager.access_token,
            "query($id: ID!) { organisation(id: $id) { contactEmail active } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(signed_in_details["organisation"]["active"], false);
}

#[tokio::test]
async fn organisation_fields_are_checked() {
    use entity::enums::Role;
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;

    let cases = [
        (json!({ "name": {}, "kind": "NGO" }), "name"),
        (json!({ "name": { "en": "   " }, "kind": "NGO" }), "name"),
        (
            json!({ "name": { "en": "x".repeat(201) }, "kind": "NGO" }),
            "name.en",
        ),
        (
            json!({ "name": { "en": "Fine" }, "kind": "NGO", "acronym": "X".repeat(21) }),
            "acronym",
        ),
        (
            json!({ "name": { "en": "Fine" }, "kind": "NGO", "contactEmail": "nope" }),
            "contactEmail",
        ),
        (
            json!({ "name": { "en": "Fine" }, "kind": "NGO", "contactPhone": "call me" }),
            "contactPhone",
        ),
    ];
    for (input, field) in cases {
        let response = app
            .graphql_as(
                &staff.access_token,
                CREATE_ORGANISATION,
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{input}");
        assert_eq!(
            response["errors"][0]["extensions"]["fields"][0]["field"], field,
            "{input}"
        );
    }
    let unknown = app
        .graphql_as(
            &staff.access_token,
            "mutation($id: ID!, $input: OrganisationInput!) { updateOrganisation(id: $id, input: $input) { id } }",
            json!({ "id": uuid::Uuid::now_v7().to_string(), "input": { "name": { "en": "X" }, "kind": "NGO" } }),
        )
        .await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);
}

#[tokio::test]
async fn organisations_page_backward_as_they_page_forward() {
    let app = crate::helpers::spawn_app_with_demo().await;
    let staff = app.user(entity::enums::Role::Staff, None).await;
    for token in [None, Some(staff.access_token.as_str())] {
        crate::helpers::paging::Listing {
            token,
            template: "organisations(orderBy: NAME_ASC, PAGE) SELECTION",
            path: &["organisations"],
        }
        .assert_pages_both_ways(&app, 2)
        .await;
    }
}
