//! The resource centre directory, and its upkeep by the Programme Office and the operating
//! organisations.

use entity::enums::{CentreKind, CentreService, Region, Role};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    TestApp,
    accounts::User,
    error_codes,
    fixtures::{self, NewCentre},
    nodes, spawn_app, spawn_app_with_demo, with_changes,
};

const LIST: &str = r"
query($filter: CentreFilterInput, $orderBy: CentreOrderBy) {
  resourceCentres(first: 100, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { name kind district services operator { name } } }
  }
}";

fn names(data: &serde_json::Value) -> Vec<String> {
    nodes(&data["resourceCentres"])
        .iter()
        .map(|node| node["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_public_directory_lists_active_centres_and_hides_shelter_addresses() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "Gulrukhsor").await;
    fixtures::centre(
        &app.db,
        NewCentre {
            name: "Bokhtar Women's Resource Centre",
            operator_id: ngo.id,
            ..NewCentre::default()
        },
    )
    .await;
    let shelter = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Khujand Shelter",
            kind: CentreKind::Shelter,
            operator_id: ngo.id,
            region: Region::Sughd,
            district: "Khujand",
            services: &[CentreService::Shelter, CentreService::CrisisSupport],
            ..NewCentre::default()
        },
    )
    .await;
    let closed = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Closed centre",
            operator_id: ngo.id,
            active: false,
            ..NewCentre::default()
        },
    )
    .await;

    let data = app.data(LIST, json!({})).await;
    assert_eq!(
        names(&data),
        ["Bokhtar Women's Resource Centre", "Khujand Shelter"]
    );
    assert_eq!(data["resourceCentres"]["totalCount"], 2);

    let closed_by_id = app
        .graphql(
            "query($id: ID!) { resourceCentre(id: $id) { name } }",
            json!({ "id": closed.id.to_string() }),
        )
        .await;
    assert_eq!(error_codes(&closed_by_id), ["NOT_FOUND"]);

    let shelter_data = app
        .data(
            r"query($id: ID!) { resourceCentre(id: $id) {
                name kind address addressTranslations { en } phone openingHours services
                languages shelterCapacity acceptingReferrals
            } }",
            json!({ "id": shelter.id.to_string() }),
        )
        .await;
    insta::assert_json_snapshot!("shelter_in_public_directory", shelter_data);
    assert!(shelter_data["resourceCentre"]["address"].is_null());

    let active = app
        .graphql(
            "query($id: ID!) { resourceCentre(id: $id) { active } }",
            json!({ "id": shelter.id.to_string() }),
        )
        .await;
    assert_eq!(error_codes(&active), ["FORBIDDEN"]);
}

#[tokio::test]
async fn centre_filters() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let police = fixtures::organisation(&app.db, "Ministry of Internal Affairs").await;
    for (name, kind, operator, region, district, services) in [
        (
            "Jomi WRC",
            CentreKind::WomensResourceCentre,
            ngo.id,
            Region::Khatlon,
            "Jomi",
            &[
                CentreService::LegalConsultation,
                CentreService::EconomicEmpowerment,
            ][..],
        ),
        (
            "Istaravshan WRC",
            CentreKind::WomensResourceCentre,
            ngo.id,
            Region::Sughd,
            "Istaravshan",
            &[CentreService::PsychosocialCounselling][..],
        ),
        (
            "Khujand police gender unit",
            CentreKind::PoliceGenderUnit,
            police.id,
            Region::Sughd,
            "Khujand",
            &[CentreService::CrisisSupport][..],
        ),
    ] {
        fixtures::centre(
            &app.db,
            NewCentre {
                name,
                kind,
                operator_id: operator,
                region,
                district,
                services,
                ..NewCentre::default()
            },
        )
        .await;
    }

    let cases = [
        (
            json!({ "service": "ECONOMIC_EMPOWERMENT" }),
            vec!["Jomi WRC"],
        ),
        (
            json!({ "region": "SUGHD" }),
            vec!["Istaravshan WRC", "Khujand police gender unit"],
        ),
        (json!({ "district": "Jomi" }), vec!["Jomi WRC"]),
        (
            json!({ "kind": "POLICE_GENDER_UNIT" }),
            vec!["Khujand police gender unit"],
        ),
        (
            json!({ "operatorId": police.id.to_string() }),
            vec!["Khujand police gender unit"],
        ),
        (
            json!({ "search": "wrc" }),
            vec!["Istaravshan WRC", "Jomi WRC"],
        ),
        (json!({ "acceptingReferrals": false }), vec![]),
    ];
    for (filter, expected) in cases {
        let data = app.data(LIST, json!({ "filter": filter })).await;
        assert_eq!(names(&data), expected, "filter {filter}");
    }

    let by_district = app.data(LIST, json!({ "orderBy": "DISTRICT_ASC" })).await;
    assert_eq!(
        names(&by_district),
        ["Istaravshan WRC", "Jomi WRC", "Khujand police gender unit"]
    );
}

#[tokio::test]
async fn the_demo_directory_has_the_womens_resource_centres() {
    let app = spawn_app_with_demo().await;

    let data = app
        .data(
            LIST,
            json!({ "filter": { "kind": "WOMENS_RESOURCE_CENTRE" } }),
        )
        .await;

    let count = data["resourceCentres"]["totalCount"]
        .as_u64()
        .unwrap_or_default();
    assert!(
        count >= 14,
        "Women's Resource Centres in 14 districts, got {count}"
    );
}

// ---------------------------------------------------------------------------------------------
// Keeping the directory: the Programme Office adds and changes centres and takes them out of
// the directory; the operating organisation keeps its centres' directory entries.

const CREATE: &str = r"
mutation($input: CreateCentreInput!) {
  createResourceCentre(input: $input) {
    id name nameTranslations { en ru tg } kind operator { name } region district address
    addressTranslations { en ru tg } phone openingHours openingHoursTranslations { en ru tg }
    services languages shelterCapacity acceptingReferrals lastVerifiedAt active
  }
}";

const UPDATE: &str = r"
mutation($id: ID!, $input: UpdateCentreInput!) {
  updateResourceCentre(id: $id, input: $input) {
    id name nameTranslations { en ru tg } kind operator { name } region district address
    addressTranslations { en ru tg } phone openingHours openingHoursTranslations { en ru tg }
    services languages shelterCapacity acceptingReferrals lastVerifiedAt active
  }
}";

const CENTRE: &str = r"
query($id: ID!) {
  resourceCentre(id: $id) {
    id name nameTranslations { en ru tg } kind operator { name } region district address
    addressTranslations { en ru tg } phone openingHours openingHoursTranslations { en ru tg }
    services languages shelterCapacity acceptingReferrals lastVerifiedAt active
  }
}";

const VERIFY: &str =
    "mutation($id: ID!) { markResourceCentreVerified(id: $id) { lastVerifiedAt } }";
const DEACTIVATE: &str = "mutation($id: ID!) { deactivateResourceCentre(id: $id) { active } }";
const REACTIVATE: &str = "mutation($id: ID!) { reactivateResourceCentre(id: $id) { active } }";

/// A valid `CreateCentreInput` for a centre run by `operator`.
fn new_centre(operator: Uuid) -> serde_json::Value {
    json!({
        "name": {
            "en": "Vahdat Women's Resource Centre",
            "ru": "Ресурсный центр для женщин Вахдат",
        },
        "kind": "WOMENS_RESOURCE_CENTRE",
        "operatorId": operator.to_string(),
        "region": "DRS",
        "district": "Vahdat",
        "address": { "en": "12 Rudaki Street", "ru": "ул. Рудаки, 12" },
        "phone": "+992 (93) 123-45-67",
        "openingHours": { "en": "Mon-Fri 9:00-17:00" },
        "services": ["LEGAL_CONSULTATION", "PSYCHOSOCIAL_COUNSELLING"],
        "languages": ["tg", "ru"],
    })
}

/// Staff, and an NGO with one of its partner staff.
struct World {
    staff: User,
    ngo: entity::organisation::Model,
    operator: User,
}

async fn world(app: &TestApp) -> World {
    let ngo = fixtures::organisation(&app.db, "Gulrukhsor").await;
    World {
        staff: app.user(Role::Staff, None).await,
        operator: app.user(Role::Partner, Some(ngo.id)).await,
        ngo,
    }
}

#[tokio::test]
async fn staff_add_a_centre_to_the_public_directory() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let data = app
        .data_as(
            &world.staff.access_token,
            CREATE,
            json!({ "input": with_changes(new_centre(world.ngo.id), json!({
                "name": { "en": " Vahdat Women's Resource Centre ", "tg": "" },
                "district": " Vahdat ",
                "phone": " +992 (93) 123-45-67 ",
                "services": ["PSYCHOSOCIAL_COUNSELLING", "LEGAL_CONSULTATION", "PSYCHOSOCIAL_COUNSELLING"],
                "languages": ["TG", " Ru ", "uz"],
            })) }),
        )
        .await;

    insta::assert_json_snapshot!("create_resource_centre", data, {
        ".createResourceCentre.id" => "[id]",
    });
    let id = data["createResourceCentre"]["id"].clone();
    let listed = app
        .data(
            LIST,
            json!({ "filter": { "service": "PSYCHOSOCIAL_COUNSELLING", "district": "Vahdat" } }),
        )
        .await;
    assert_eq!(names(&listed), ["Vahdat Women's Resource Centre"]);
    let public = app
        .data(
            "query($id: ID!) { resourceCentre(id: $id) { name address phone languages } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(public["resourceCentre"]["address"], "12 Rudaki Street");
    assert_eq!(
        public["resourceCentre"]["languages"],
        json!(["tg", "ru", "uz"])
    );
}

#[tokio::test]
async fn a_centres_languages_are_listed_once_each() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let data = app
        .data_as(
            &world.staff.access_token,
            CREATE,
            json!({ "input": with_changes(new_centre(world.ngo.id), json!({
                "languages": ["tg", "ru", "TG", "uz", "ru"],
            })) }),
        )
        .await;

    let mut languages: Vec<&str> = data["createResourceCentre"]["languages"]
        .as_array()
        .expect("languages")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    languages.sort_unstable();
    assert_eq!(languages, ["ru", "tg", "uz"]);
}

#[tokio::test]
async fn each_invalid_centre_field_is_named() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let closed = fixtures::organisation(&app.db, "Closed NGO").await;
    app.data_as(
        &world.staff.access_token,
        "mutation($id: ID!) { deactivateOrganisation(id: $id) { active } }",
        json!({ "id": closed.id.to_string() }),
    )
    .await;

    let cases = [
        (json!({ "name": {} }), "input.name"),
        (json!({ "name": { "en": "  " } }), "input.name"),
        (
            json!({ "name": { "ru": "ж".repeat(201) } }),
            "input.name.ru",
        ),
        (json!({ "address": {} }), "input.address"),
        (
            json!({ "address": { "en": "x".repeat(301) } }),
            "input.address.en",
        ),
        (
            json!({ "openingHours": { "tg": "" } }),
            "input.openingHours",
        ),
        (
            json!({ "openingHours": { "en": "x".repeat(201) } }),
            "input.openingHours.en",
        ),
        (json!({ "phone": "call 1313" }), "input.phone"),
        (
            json!({ "phone": "+992 93 123 45 67 ext. 2" }),
            "input.phone",
        ),
        (json!({ "phone": "1".repeat(33) }), "input.phone"),
        (json!({ "shelterCapacity": -1 }), "input.shelterCapacity"),
        (
            json!({ "shelterCapacity": 10_001 }),
            "input.shelterCapacity",
        ),
        (json!({ "languages": ["tajik"] }), "input.languages"),
        (json!({ "languages": ["tg", "r1"] }), "input.languages"),
        (json!({ "languages": [""] }), "input.languages"),
        (json!({ "district": "" }), "input.district"),
        (json!({ "district": " " }), "input.district"),
        (json!({ "district": "x".repeat(101) }), "input.district"),
        (
            json!({ "operatorId": closed.id.to_string() }),
            "input.operatorId",
        ),
        (
            json!({ "operatorId": Uuid::now_v7().to_string() }),
            "input.operatorId",
        ),
        (json!({ "operatorId": "Gulrukhsor" }), "input.operatorId"),
    ];
    app.assert_each_input_named(
        &world.staff.access_token,
        CREATE,
        &new_centre(world.ngo.id),
        cases,
    )
    .await;
    assert_eq!(
        app.rows::<entity::resource_centre::Entity>().await,
        0,
        "nothing invalid was stored"
    );
}

#[tokio::test]
async fn every_invalid_centre_field_is_reported_at_once() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let input = with_changes(
        new_centre(world.ngo.id),
        json!({
            "name": {},
            "district": "",
            "phone": "none",
            "languages": ["Tajik"],
            "shelterCapacity": -5,
        }),
    );

    app.assert_bad_input(
        &world.staff.access_token,
        CREATE,
        json!({ "input": input }),
        &[
            "input.district",
            "input.languages",
            "input.name",
            "input.phone",
            "input.shelterCapacity",
        ],
    )
    .await;
}

#[tokio::test]
async fn update_resource_centre_checks_what_it_changes() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let closed = fixtures::organisation(&app.db, "Closed NGO").await;
    app.data_as(
        &world.staff.access_token,
        "mutation($id: ID!) { deactivateOrganisation(id: $id) { active } }",
        json!({ "id": closed.id.to_string() }),
    )
    .await;
    let id = app
        .create_as(&world.staff.access_token, CREATE, new_centre(world.ngo.id))
        .await;

    let cases = [
        (&world.staff, json!({ "name": { "en": "" } }), "input.name"),
        (&world.staff, json!({ "district": "" }), "input.district"),
        (
            &world.staff,
            json!({ "operatorId": closed.id.to_string() }),
            "input.operatorId",
        ),
        (
            &world.operator,
            json!({ "phone": "hotline" }),
            "input.phone",
        ),
        (
            &world.operator,
            json!({ "openingHours": {} }),
            "input.openingHours",
        ),
        (
            &world.operator,
            json!({ "shelterCapacity": -3 }),
            "input.shelterCapacity",
        ),
        (
            &world.operator,
            json!({ "languages": ["russian"] }),
            "input.languages",
        ),
    ];
    for (user, input, field) in cases {
        let variables = json!({ "id": id, "input": input });
        app.assert_bad_input(&user.access_token, UPDATE, variables, &[field])
            .await;
    }
    let unchanged = app
        .data_as(&world.staff.access_token, CENTRE, json!({ "id": id }))
        .await;
    assert_eq!(unchanged["resourceCentre"]["phone"], "+992 (93) 123-45-67");
    assert_eq!(
        unchanged["resourceCentre"]["operator"]["name"],
        "Gulrukhsor"
    );
}

#[tokio::test]
async fn the_operator_keeps_its_centres_directory_entry() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let id = app
        .create_as(&world.staff.access_token, CREATE, new_centre(world.ngo.id))
        .await;
    let before = app
        .data_as(&world.staff.access_token, CENTRE, json!({ "id": id }))
        .await["resourceCentre"]
        .clone();

    let data = app
        .data_as(
            &world.operator.access_token,
            UPDATE,
            json!({ "id": id, "input": {
                "phone": "+992 93 765 43 21",
                "openingHours": { "en": "Mon-Sat 8:00-18:00", "tg": "Душанбе-Шанбе 8:00-18:00" },
                "services": ["CRISIS_SUPPORT", "LEGAL_CONSULTATION"],
                "acceptingReferrals": false,
            } }),
        )
        .await;

    let mut expected = before.clone();
    expected["phone"] = json!("+992 93 765 43 21");
    expected["openingHours"] = json!("Mon-Sat 8:00-18:00");
    expected["openingHoursTranslations"] =
        json!({ "en": "Mon-Sat 8:00-18:00", "ru": null, "tg": "Душанбе-Шанбе 8:00-18:00" });
    expected["services"] = json!(["CRISIS_SUPPORT", "LEGAL_CONSULTATION"]);
    expected["acceptingReferrals"] = json!(false);
    assert_eq!(data["updateResourceCentre"], expected);

    let cleared = app
        .data_as(
            &world.operator.access_token,
            UPDATE,
            json!({ "id": id, "input": { "clearPhone": true, "languages": ["TG", "UZ"] } }),
        )
        .await;
    assert!(cleared["updateResourceCentre"]["phone"].is_null());
    assert_eq!(
        cleared["updateResourceCentre"]["languages"],
        json!(["tg", "uz"])
    );

    let started = chrono::Utc::now() - chrono::Duration::seconds(1);
    let verified = app
        .data_as(&world.operator.access_token, VERIFY, json!({ "id": id }))
        .await;
    let at = verified["markResourceCentreVerified"]["lastVerifiedAt"]
        .as_str()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .expect("lastVerifiedAt is set");
    assert!(at >= started, "verified now, not {at}");
    let read = app
        .data_as(&world.staff.access_token, CENTRE, json!({ "id": id }))
        .await;
    assert_eq!(
        read["resourceCentre"]["lastVerifiedAt"],
        verified["markResourceCentreVerified"]["lastVerifiedAt"]
    );
}

#[tokio::test]
async fn the_operator_may_not_change_what_the_programme_office_decides() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let other = fixtures::organisation(&app.db, "Other NGO").await;
    let id = app
        .create_as(&world.staff.access_token, CREATE, new_centre(world.ngo.id))
        .await;

    for input in [
        json!({ "name": { "en": "Our centre" } }),
        json!({ "address": { "en": "14 Rudaki Street" } }),
        json!({ "kind": "SHELTER" }),
        json!({ "region": "KHATLON" }),
        json!({ "district": "Bokhtar" }),
        json!({ "operatorId": other.id.to_string() }),
        // Allowed and forbidden fields together: nothing is changed.
        json!({ "phone": "+992 93 000 00 00", "name": { "en": "Our centre" } }),
    ] {
        let response = app
            .graphql_as(
                &world.operator.access_token,
                UPDATE,
                json!({ "id": id, "input": input }),
            )
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{input}");
    }
    let unchanged = app
        .data_as(&world.staff.access_token, CENTRE, json!({ "id": id }))
        .await;
    assert_eq!(
        unchanged["resourceCentre"]["name"],
        "Vahdat Women's Resource Centre"
    );
    assert_eq!(unchanged["resourceCentre"]["phone"], "+992 (93) 123-45-67");
    // The Programme Office changes them.
    let renamed = app
        .data_as(
            &world.staff.access_token,
            UPDATE,
            json!({ "id": id, "input": { "name": { "en": "Vahdat WRC" }, "address": { "en": "14 Rudaki Street" } } }),
        )
        .await;
    assert_eq!(renamed["updateResourceCentre"]["name"], "Vahdat WRC");
    assert_eq!(
        renamed["updateResourceCentre"]["addressTranslations"],
        json!({ "en": "14 Rudaki Street", "ru": null, "tg": null })
    );
}

#[tokio::test]
async fn a_deactivated_centre_leaves_the_public_directory_but_not_its_operators_view() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let id = app
        .create_as(&world.staff.access_token, CREATE, new_centre(world.ngo.id))
        .await;
    let by_id = json!({ "id": id });

    let deactivated = app
        .data_as(&world.staff.access_token, DEACTIVATE, by_id.clone())
        .await;

    assert_eq!(deactivated["deactivateResourceCentre"]["active"], false);
    let public = app.graphql(CENTRE, by_id.clone()).await;
    assert_eq!(error_codes(&public), ["NOT_FOUND"]);
    assert!(names(&app.data(LIST, json!({})).await).is_empty());
    for user in [&world.operator, &world.staff] {
        let seen = app.data_as(&user.access_token, CENTRE, by_id.clone()).await;
        assert_eq!(seen["resourceCentre"]["active"], false);
        let listed = app.data_as(&user.access_token, LIST, json!({})).await;
        assert_eq!(names(&listed), ["Vahdat Women's Resource Centre"]);
    }
    // A partner of another organisation reads the public directory only.
    let stranger = app
        .user(
            Role::Partner,
            Some(fixtures::organisation(&app.db, "Other NGO").await.id),
        )
        .await;
    let hidden = app
        .graphql_as(&stranger.access_token, CENTRE, by_id.clone())
        .await;
    assert_eq!(error_codes(&hidden), ["NOT_FOUND"]);

    let reactivated = app
        .data_as(&world.staff.access_token, REACTIVATE, by_id.clone())
        .await;
    assert_eq!(reactivated["reactivateResourceCentre"]["active"], true);
    let back = app
        .data(
            "query($id: ID!) { resourceCentre(id: $id) { name } }",
            by_id.clone(),
        )
        .await;
    assert_eq!(
        back["resourceCentre"]["name"],
        "Vahdat Women's Resource Centre"
    );
    let actions: Vec<String> = app
        .audit_of(id.parse().expect("a uuid"))
        .await
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        ["centre.create", "centre.deactivate", "centre.reactivate"]
    );
}

#[tokio::test]
async fn centre_mutations_name_a_malformed_or_unknown_centre() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = &world.staff.access_token;
    let unknown = Uuid::now_v7().to_string();

    for (mutation, variables) in [
        (
            UPDATE,
            json!({ "id": unknown, "input": { "phone": "1313" } }),
        ),
        (VERIFY, json!({ "id": unknown })),
        (DEACTIVATE, json!({ "id": unknown })),
        (REACTIVATE, json!({ "id": unknown })),
    ] {
        let response = app.graphql_as(token, mutation, variables).await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"], "{mutation}");
    }
    for (mutation, variables) in [
        (
            UPDATE,
            json!({ "id": "wrc-1", "input": { "phone": "1313" } }),
        ),
        (VERIFY, json!({ "id": "wrc-1" })),
        (DEACTIVATE, json!({ "id": "wrc-1" })),
        (REACTIVATE, json!({ "id": "wrc-1" })),
    ] {
        app.assert_bad_input(token, mutation, variables, &["id"])
            .await;
    }
}

#[tokio::test]
async fn centres_page_backward_as_they_page_forward() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    for token in [None, Some(staff.access_token.as_str())] {
        for order in ["NAME_ASC", "DISTRICT_ASC"] {
            crate::helpers::paging::Listing {
                token,
                template: &format!("resourceCentres(orderBy: {order}, PAGE) SELECTION"),
                path: &["resourceCentres"],
            }
            .assert_pages_both_ways(&app, 2)
            .await;
        }
    }
}
