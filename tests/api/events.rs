//! Events: what the public sees, filters, and the links to project and organiser.

use entity::enums::{EventKind, Region, ThematicArea, Visibility};
use serde_json::json;

use crate::helpers::{
    error_codes,
    fixtures::{self, NewEvent, NewProject},
    nodes, spawn_app, spawn_app_with_demo,
};

const LIST: &str = r"
query($filter: EventFilterInput, $orderBy: EventOrderBy) {
  events(first: 100, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { title startsOn kind project { code } organiser { name } } }
  }
}";

fn titles(data: &serde_json::Value) -> Vec<String> {
    nodes(&data["events"])
        .iter()
        .map(|node| node["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_public_sees_published_events_of_public_projects_only() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO Alpha").await;
    let public = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2024-GE-01",
            ..NewProject::default()
        },
    )
    .await;
    let internal = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2024-TR-01",
            visibility: Visibility::Internal,
            areas: &[ThematicArea::CombatingTrafficking],
            ..NewProject::default()
        },
    )
    .await;
    let mut hidden = Vec::new();
    for (title, project, published) in [
        ("Public forum", Some(public.id), true),
        ("Standalone campaign", None, true),
        ("Draft of a public project", Some(public.id), false),
        ("Event of an internal project", Some(internal.id), true),
        ("Draft without project", None, false),
    ] {
        let event = fixtures::event(
            &app.db,
            NewEvent {
                title,
                project_id: project,
                organiser_id: ngo.id,
                published,
                ..NewEvent::default()
            },
        )
        .await;
        if title.contains("Draft") || title.contains("internal") {
            hidden.push(event);
        }
    }

    let data = app.data(LIST, json!({})).await;

    let mut seen = titles(&data);
    seen.sort();
    assert_eq!(seen, ["Public forum", "Standalone campaign"]);
    assert_eq!(data["events"]["totalCount"], 2);
    for event in hidden {
        let response = app
            .graphql(
                "query($id: ID!) { event(id: $id) { title } }",
                json!({ "id": event.id.to_string() }),
            )
            .await;
        assert_eq!(
            error_codes(&response),
            ["NOT_FOUND"],
            "{}",
            event.title.en.unwrap_or_default()
        );
    }
    let by_search = app
        .data(LIST, json!({ "filter": { "search": "internal project" } }))
        .await;
    assert!(titles(&by_search).is_empty());
    let by_area = app
        .data(
            LIST,
            json!({ "filter": { "thematicArea": "COMBATING_TRAFFICKING" } }),
        )
        .await;
    assert!(titles(&by_area).is_empty());
}

#[tokio::test]
async fn event_filters() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO Alpha").await;
    let other = fixtures::organisation(&app.db, "Ministry").await;
    let project = fixtures::project(
        &app.db,
        NewProject {
            areas: &[ThematicArea::Policing],
            ..NewProject::default()
        },
    )
    .await;
    for (title, kind, starts, ends, region, district, organiser, with_project) in [
        (
            "Training in Khujand",
            EventKind::Training,
            "2021-10-19",
            "2021-10-21",
            Region::Sughd,
            "Khujand",
            ngo.id,
            true,
        ),
        (
            "Forum in Dushanbe",
            EventKind::Forum,
            "2023-10-23",
            "2023-10-23",
            Region::Dushanbe,
            "Dushanbe",
            other.id,
            false,
        ),
        (
            "Roundtable in Bokhtar",
            EventKind::Roundtable,
            "2025-02-10",
            "2025-02-10",
            Region::Khatlon,
            "Bokhtar",
            ngo.id,
            true,
        ),
    ] {
        fixtures::event(
            &app.db,
            NewEvent {
                title,
                kind,
                starts,
                ends: Some(ends),
                region,
                district,
                organiser_id: organiser,
                project_id: with_project.then_some(project.id),
                ..NewEvent::default()
            },
        )
        .await;
    }

    let cases = [
        (json!({ "kind": "FORUM" }), vec!["Forum in Dushanbe"]),
        (json!({ "region": "SUGHD" }), vec!["Training in Khujand"]),
        (
            json!({ "district": "Bokhtar" }),
            vec!["Roundtable in Bokhtar"],
        ),
        (
            json!({ "thematicArea": "POLICING" }),
            vec!["Roundtable in Bokhtar", "Training in Khujand"],
        ),
        // A three-day training overlaps a range that starts on its last day.
        (
            json!({ "during": { "from": "2021-10-21", "to": "2021-12-31" } }),
            vec!["Training in Khujand"],
        ),
        (json!({ "during": { "to": "2021-10-18" } }), vec![]),
        (
            json!({ "organiserId": other.id.to_string() }),
            vec!["Forum in Dushanbe"],
        ),
        (
            json!({ "projectId": project.id.to_string() }),
            vec!["Roundtable in Bokhtar", "Training in Khujand"],
        ),
        (json!({ "search": "khujand" }), vec!["Training in Khujand"]),
    ];
    for (filter, expected) in cases {
        let data = app.data(LIST, json!({ "filter": filter })).await;
        assert_eq!(titles(&data), expected, "filter {filter}");
        assert_eq!(
            data["events"]["totalCount"],
            expected.len(),
            "filter {filter}"
        );
    }

    let ascending = app.data(LIST, json!({ "orderBy": "STARTS_ON_ASC" })).await;
    assert_eq!(
        titles(&ascending),
        [
            "Training in Khujand",
            "Forum in Dushanbe",
            "Roundtable in Bokhtar"
        ]
    );
}

#[tokio::test]
async fn an_event_shows_its_participants_project_and_organiser() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO Alpha").await;
    let project = fixtures::project(&app.db, NewProject::default()).await;
    let event = fixtures::event(
        &app.db,
        NewEvent {
            title: "Train-the-trainer course",
            project_id: Some(project.id),
            organiser_id: ngo.id,
            ..NewEvent::default()
        },
    )
    .await;

    let data = app
        .data(
            r"query($id: ID!) { event(id: $id) {
                title kind startsOn endsOn region district venue published
                participants { female male undisclosed total }
                project { code } organiser { name kind }
            } }",
            json!({ "id": event.id.to_string() }),
        )
        .await;

    insta::assert_json_snapshot!("event_details", data);
}

#[tokio::test]
async fn the_demo_events_include_the_dated_news() {
    let app = spawn_app_with_demo().await;

    let data = app
        .data(
            LIST,
            json!({ "filter": { "during": { "from": "2023-10-23", "to": "2023-10-23" }, "region": "DUSHANBE" } }),
        )
        .await;

    assert!(
        titles(&data)
            .iter()
            .any(|title| title.to_lowercase().contains("penitentiary")),
        "the second penitentiary reform forum, 23 October 2023: {:?}",
        titles(&data)
    );
}
