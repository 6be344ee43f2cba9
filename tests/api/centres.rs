//! The resource centre directory.

use entity::enums::{CentreKind, CentreService, Region};
use serde_json::json;

use crate::helpers::{
    error_codes,
    fixtures::{self, NewCentre},
    nodes, spawn_app, spawn_app_with_demo,
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
