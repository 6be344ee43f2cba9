//! Events: what the public sees, filters, and the links to project and organiser; their
//! recording by the Programme Office and partners, and its validation.

use entity::enums::{EventKind, PartnerRole, Region, Role, ThematicArea, Visibility};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    TestApp,
    accounts::User,
    error_codes,
    fixtures::{self, NewEvent, NewProject},
    nodes, spawn_app, spawn_app_with_demo, with_changes,
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

// ---------------------------------------------------------------------------------------------
// Recording events: the Programme Office records any; partners record those of their
// organisation's projects, as organiser, and edit what their organisation organises.

const CREATE: &str = r"
mutation($input: CreateEventInput!) {
  createEvent(input: $input) {
    id title titleTranslations { en ru tg } kind startsOn endsOn region district venue
    participants { female male undisclosed total } summary published
    organiser { name } project { code }
  }
}";

const UPDATE: &str = r"
mutation($id: ID!, $input: UpdateEventInput!) {
  updateEvent(id: $id, input: $input) {
    id title titleTranslations { en ru tg } kind startsOn endsOn region district venue
    participants { female male undisclosed total } summary published
    organiser { name } project { code }
  }
}";

const PUBLISH: &str = "mutation($id: ID!) { publishEvent(id: $id) { published } }";
const UNPUBLISH: &str = "mutation($id: ID!) { unpublishEvent(id: $id) { published } }";
const DELETE: &str = "mutation($id: ID!) { deleteEvent(id: $id) }";
const EVENT: &str = r"
query($id: ID!) {
  event(id: $id) {
    id title titleTranslations { en ru tg } kind startsOn endsOn region district venue
    participants { female male undisclosed total } summary published
    organiser { name } project { code }
  }
}";

/// Two NGOs; a public project both take part in, a public project of Beta only, an internal
/// project of Alpha; and a member of the Programme Office.
struct World {
    staff: User,
    alpha: entity::organisation::Model,
    beta: entity::organisation::Model,
    shared: entity::project::Model,
    beta_only: entity::project::Model,
    internal: entity::project::Model,
}

async fn world(app: &TestApp) -> World {
    let alpha = fixtures::organisation(&app.db, "NGO Alpha").await;
    let beta = fixtures::organisation(&app.db, "NGO Beta").await;
    let shared = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2025-GE-01",
            partners: &[
                (alpha.id, PartnerRole::Implementing),
                (beta.id, PartnerRole::Implementing),
            ],
            ..NewProject::default()
        },
    )
    .await;
    let beta_only = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2025-GE-02",
            partners: &[(beta.id, PartnerRole::Implementing)],
            ..NewProject::default()
        },
    )
    .await;
    let internal = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2025-TR-01",
            visibility: Visibility::Internal,
            partners: &[(alpha.id, PartnerRole::Implementing)],
            ..NewProject::default()
        },
    )
    .await;
    World {
        staff: app.user(Role::Staff, None).await,
        alpha,
        beta,
        shared,
        beta_only,
        internal,
    }
}

/// A valid `CreateEventInput` for an event of `project` organised by `organiser`.
fn new_event(project: Uuid, organiser: Uuid) -> serde_json::Value {
    json!({
        "projectId": project.to_string(),
        "title": {
            "en": "Training of police gender units",
            "ru": "Тренинг для гендерных подразделений милиции",
        },
        "kind": "TRAINING",
        "startsOn": "2025-05-12",
        "endsOn": "2025-05-14",
        "region": "KHATLON",
        "district": "Bokhtar",
        "venue": "Regional police academy",
        "organiserId": organiser.to_string(),
        "participantsFemale": 14,
        "participantsMale": 6,
        "participantsUndisclosed": 1,
        "summary": { "en": "Three days on responding to domestic violence calls." },
    })
}

#[tokio::test]
async fn staff_record_an_event_that_the_public_sees_only_once_published() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = &world.staff.access_token;

    let data = app
        .data_as(
            token,
            CREATE,
            json!({ "input": new_event(world.shared.id, world.alpha.id) }),
        )
        .await;

    insta::assert_json_snapshot!("create_event", data, { ".createEvent.id" => "[id]" });
    let id = data["createEvent"]["id"].clone();
    let hidden = app.graphql(EVENT, json!({ "id": id })).await;
    assert_eq!(error_codes(&hidden), ["NOT_FOUND"], "unpublished at first");

    let published = app.data_as(token, PUBLISH, json!({ "id": id })).await;
    assert_eq!(published["publishEvent"]["published"], true);
    let public = app.data(EVENT, json!({ "id": id })).await;
    assert_eq!(public["event"]["title"], "Training of police gender units");
    assert_eq!(
        titles(&app.data(LIST, json!({})).await),
        ["Training of police gender units"]
    );

    let unpublished = app.data_as(token, UNPUBLISH, json!({ "id": id })).await;
    assert_eq!(unpublished["unpublishEvent"]["published"], false);
    let hidden_again = app.graphql(EVENT, json!({ "id": id })).await;
    assert_eq!(error_codes(&hidden_again), ["NOT_FOUND"]);
    assert!(titles(&app.data(LIST, json!({})).await).is_empty());
}

#[tokio::test]
async fn a_published_event_of_an_internal_project_stays_hidden_from_the_public() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = &world.staff.access_token;
    let id = app
        .create_as(token, CREATE, new_event(world.internal.id, world.alpha.id))
        .await;

    app.data_as(token, PUBLISH, json!({ "id": id })).await;

    let response = app.graphql(EVENT, json!({ "id": id })).await;
    assert_eq!(error_codes(&response), ["NOT_FOUND"]);
}

#[tokio::test]
async fn a_one_day_event_ends_on_the_day_it_starts() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let mut input = new_event(world.shared.id, world.alpha.id);
    input
        .as_object_mut()
        .expect("an object")
        .retain(|field, _| !matches!(field.as_str(), "endsOn" | "venue" | "summary"));
    for field in [
        "participantsFemale",
        "participantsMale",
        "participantsUndisclosed",
    ] {
        input.as_object_mut().expect("an object").remove(field);
    }

    let data = app
        .data_as(&world.staff.access_token, CREATE, json!({ "input": input }))
        .await;

    let event = &data["createEvent"];
    assert_eq!(event["startsOn"], "2025-05-12");
    assert_eq!(event["endsOn"], "2025-05-12");
    assert!(event["venue"].is_null());
    assert_eq!(event["summary"], "");
    assert_eq!(
        event["participants"],
        json!({ "female": 0, "male": 0, "undisclosed": 0, "total": 0 })
    );
}

#[tokio::test]
async fn each_invalid_event_field_is_named() {
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
        (
            json!({ "startsOn": "2025-05-12", "endsOn": "2025-05-11" }),
            "input.endsOn",
        ),
        (
            json!({ "participantsFemale": -1 }),
            "input.participantsFemale",
        ),
        (
            json!({ "participantsMale": 100_001 }),
            "input.participantsMale",
        ),
        (
            json!({ "participantsUndisclosed": -3 }),
            "input.participantsUndisclosed",
        ),
        (json!({ "district": "" }), "input.district"),
        (json!({ "district": "   " }), "input.district"),
        (json!({ "district": "x".repeat(101) }), "input.district"),
        (json!({ "title": {} }), "input.title"),
        (json!({ "title": { "tg": " " } }), "input.title"),
        (
            json!({ "title": { "en": "x".repeat(301) } }),
            "input.title.en",
        ),
        (json!({ "venue": "x".repeat(201) }), "input.venue"),
        (
            json!({ "summary": { "ru": "x".repeat(5_001) } }),
            "input.summary.ru",
        ),
        (
            json!({ "projectId": Uuid::now_v7().to_string() }),
            "input.projectId",
        ),
        (json!({ "projectId": "PO-2025-GE-01" }), "input.projectId"),
        (
            json!({ "organiserId": closed.id.to_string() }),
            "input.organiserId",
        ),
        (
            json!({ "organiserId": Uuid::now_v7().to_string() }),
            "input.organiserId",
        ),
        (json!({ "organiserId": "NGO Alpha" }), "input.organiserId"),
        // The Programme Office names the organiser: it has no organisation to default to.
        (json!({ "organiserId": null }), "input.organiserId"),
    ];
    app.assert_each_input_named(
        &world.staff.access_token,
        CREATE,
        &new_event(world.shared.id, world.alpha.id),
        cases,
    )
    .await;
    assert_eq!(
        app.rows::<entity::event::Entity>().await,
        0,
        "nothing invalid was stored"
    );
}

#[tokio::test]
async fn event_limits_are_inclusive() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let data = app
        .data_as(
            &world.staff.access_token,
            CREATE,
            json!({ "input": with_changes(new_event(world.shared.id, world.alpha.id), json!({
                "participantsFemale": 100_000,
                "participantsMale": 0,
                "participantsUndisclosed": 100_000,
                "district": "ж".repeat(100),
                "venue": "ж".repeat(200),
                "title": { "tg": "ж".repeat(300) },
            })) }),
        )
        .await;

    assert_eq!(data["createEvent"]["participants"]["total"], 200_000);
}

#[tokio::test]
async fn every_invalid_event_field_is_reported_at_once() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let input = with_changes(
        new_event(world.shared.id, world.alpha.id),
        json!({
            "title": { "en": "" },
            "endsOn": "2025-05-01",
            "district": "",
            "venue": "x".repeat(201),
            "participantsFemale": -1,
            "participantsMale": 1_000_000,
        }),
    );

    app.assert_bad_input(
        &world.staff.access_token,
        CREATE,
        json!({ "input": input }),
        &[
            "input.district",
            "input.endsOn",
            "input.participantsFemale",
            "input.participantsMale",
            "input.title",
            "input.venue",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_partner_records_events_of_its_projects_as_their_organiser() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let partner = app.user(Role::Partner, Some(world.alpha.id)).await;
    let token = &partner.access_token;
    let mut input = new_event(world.shared.id, world.alpha.id);
    input
        .as_object_mut()
        .expect("an object")
        .remove("organiserId");

    let data = app
        .data_as(token, CREATE, json!({ "input": input.clone() }))
        .await;

    assert_eq!(data["createEvent"]["organiser"]["name"], "NGO Alpha");
    assert_eq!(data["createEvent"]["project"]["code"], "PO-2025-GE-01");
    assert_eq!(data["createEvent"]["published"], false);
    // Naming their own organisation is the same; an internal project of theirs is open too.
    let named = app
        .data_as(
            token,
            CREATE,
            json!({ "input": new_event(world.internal.id, world.alpha.id) }),
        )
        .await;
    assert_eq!(named["createEvent"]["organiser"]["name"], "NGO Alpha");

    // A project Alpha is not a partner of, public as it is; no project at all.
    for project in [json!(world.beta_only.id.to_string()), json!(null)] {
        let input = with_changes(input.clone(), json!({ "projectId": project }));
        app.assert_bad_input(
            token,
            CREATE,
            json!({ "input": input }),
            &["input.projectId"],
        )
        .await;
    }
    // Another organisation as organiser, even under a shared project.
    let for_beta = app
        .graphql_as(
            token,
            CREATE,
            json!({ "input": new_event(world.shared.id, world.beta.id) }),
        )
        .await;
    assert_eq!(error_codes(&for_beta), ["FORBIDDEN"]);
    assert_eq!(app.rows::<entity::event::Entity>().await, 2);
}

#[tokio::test]
async fn a_partner_edits_publishes_and_deletes_the_events_its_organisation_organises() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let partner = app.user(Role::Partner, Some(world.alpha.id)).await;
    let token = &partner.access_token;
    let id = app
        .create_as(token, CREATE, new_event(world.shared.id, world.alpha.id))
        .await;
    // A colleague's event counts too: edits follow the organisation, not the author.
    let colleague = app.user(Role::PartnerManager, Some(world.alpha.id)).await;

    let updated = app
        .data_as(
            &colleague.access_token,
            UPDATE,
            json!({ "id": id, "input": { "participantsFemale": 20, "kind": "WORKSHOP" } }),
        )
        .await;
    assert_eq!(updated["updateEvent"]["kind"], "WORKSHOP");
    assert_eq!(updated["updateEvent"]["participants"]["total"], 27);
    let published = app.data_as(token, PUBLISH, json!({ "id": id })).await;
    assert_eq!(published["publishEvent"]["published"], true);
    assert_eq!(
        app.data(EVENT, json!({ "id": id })).await["event"]["kind"],
        "WORKSHOP"
    );
    let unpublished = app.data_as(token, UNPUBLISH, json!({ "id": id })).await;
    assert_eq!(unpublished["unpublishEvent"]["published"], false);
    // Moving it under their internal project is fine; under Beta's, or out of any, is not.
    let moved = app
        .data_as(
            token,
            UPDATE,
            json!({ "id": id, "input": { "projectId": world.internal.id.to_string() } }),
        )
        .await;
    assert_eq!(moved["updateEvent"]["project"]["code"], "PO-2025-TR-01");
    for input in [
        json!({ "projectId": world.beta_only.id.to_string() }),
        json!({ "clearProject": true }),
    ] {
        let variables = json!({ "id": id, "input": input });
        app.assert_bad_input(token, UPDATE, variables, &["input.projectId"])
            .await;
    }
    let handed_over = app
        .graphql_as(
            token,
            UPDATE,
            json!({ "id": id, "input": { "organiserId": world.beta.id.to_string() } }),
        )
        .await;
    assert_eq!(error_codes(&handed_over), ["FORBIDDEN"]);

    let deleted = app.data_as(token, DELETE, json!({ "id": id })).await;
    assert_eq!(deleted["deleteEvent"], id.as_str());
    let gone = app.graphql_as(token, EVENT, json!({ "id": id })).await;
    assert_eq!(error_codes(&gone), ["NOT_FOUND"]);
    let actions: Vec<String> = app
        .audit_of(id.parse().expect("a uuid"))
        .await
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        [
            "event.create",
            "event.update",
            "event.publish",
            "event.unpublish",
            "event.update",
            "event.delete"
        ]
    );
}

#[tokio::test]
async fn a_partner_sees_but_may_not_edit_an_event_another_organisation_organises() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let partner = app.user(Role::Partner, Some(world.alpha.id)).await;
    let token = &partner.access_token;
    let betas = fixtures::event(
        &app.db,
        NewEvent {
            title: "Beta's draft",
            project_id: Some(world.shared.id),
            organiser_id: world.beta.id,
            published: false,
            ..NewEvent::default()
        },
    )
    .await;
    let id = json!(betas.id.to_string());

    let seen = app.data_as(token, EVENT, json!({ "id": id })).await;
    assert_eq!(seen["event"]["title"], "Beta's draft");

    for (mutation, variables) in [
        (
            UPDATE,
            json!({ "id": id, "input": { "participantsMale": 0 } }),
        ),
        (PUBLISH, json!({ "id": id })),
        (UNPUBLISH, json!({ "id": id })),
        (DELETE, json!({ "id": id })),
    ] {
        let response = app.graphql_as(token, mutation, variables).await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"], "{mutation}");
    }
    let unchanged = app
        .data_as(&world.staff.access_token, EVENT, json!({ "id": id }))
        .await;
    assert_eq!(unchanged["event"]["published"], false);
    assert_eq!(unchanged["event"]["participants"]["male"], 8);
}

#[tokio::test]
async fn update_event_changes_only_the_given_fields() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = &world.staff.access_token;
    let id = app
        .create_as(token, CREATE, new_event(world.shared.id, world.alpha.id))
        .await;
    app.data_as(token, PUBLISH, json!({ "id": id })).await;
    let before = app.data_as(token, EVENT, json!({ "id": id })).await["event"].clone();

    let data = app
        .data_as(
            token,
            UPDATE,
            json!({ "id": id, "input": { "participantsMale": 30, "title": { "tg": "Омӯзиш" } } }),
        )
        .await;

    let mut expected = before.clone();
    expected["participants"] = json!({ "female": 14, "male": 30, "undisclosed": 1, "total": 45 });
    expected["titleTranslations"] = json!({ "en": null, "ru": null, "tg": "Омӯзиш" });
    expected["title"] = json!("Омӯзиш");
    assert_eq!(
        data["updateEvent"], expected,
        "published stays as it was too"
    );

    let cleared = app
        .data_as(
            token,
            UPDATE,
            json!({ "id": id, "input": { "clearVenue": true } }),
        )
        .await;
    assert!(cleared["updateEvent"]["venue"].is_null());
    assert_eq!(cleared["updateEvent"]["district"], "Bokhtar");
    let staff_moves_it = app
        .data_as(
            token,
            UPDATE,
            json!({ "id": id, "input": {
                "clearProject": true,
                "organiserId": world.beta.id.to_string(),
                "startsOn": "2025-06-01",
                "endsOn": "2025-06-01",
            } }),
        )
        .await;
    assert!(staff_moves_it["updateEvent"]["project"].is_null());
    assert_eq!(
        staff_moves_it["updateEvent"]["organiser"]["name"],
        "NGO Beta"
    );
}

#[tokio::test]
async fn update_event_checks_the_changed_event_as_a_whole() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = &world.staff.access_token;
    // 12 to 14 May.
    let id = app
        .create_as(token, CREATE, new_event(world.shared.id, world.alpha.id))
        .await;

    let cases = [
        // A start after the stored end.
        (json!({ "startsOn": "2025-05-15" }), "input.endsOn"),
        (json!({ "endsOn": "2025-05-11" }), "input.endsOn"),
        (json!({ "district": " " }), "input.district"),
        (json!({ "title": { "en": "" } }), "input.title"),
        (json!({ "venue": "x".repeat(201) }), "input.venue"),
        (
            json!({ "participantsUndisclosed": -1 }),
            "input.participantsUndisclosed",
        ),
        (
            json!({ "projectId": Uuid::now_v7().to_string() }),
            "input.projectId",
        ),
        (
            json!({ "organiserId": Uuid::now_v7().to_string() }),
            "input.organiserId",
        ),
    ];
    for (input, field) in cases {
        app.assert_bad_input(token, UPDATE, json!({ "id": id, "input": input }), &[field])
            .await;
    }
    let unchanged = app.data_as(token, EVENT, json!({ "id": id })).await;
    assert_eq!(unchanged["event"]["startsOn"], "2025-05-12");
    assert_eq!(unchanged["event"]["district"], "Bokhtar");
}

#[tokio::test]
async fn a_deleted_event_is_gone_for_everyone() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let token = &world.staff.access_token;
    let id = app
        .create_as(token, CREATE, new_event(world.shared.id, world.alpha.id))
        .await;

    let deleted = app.data_as(token, DELETE, json!({ "id": id })).await;

    assert_eq!(deleted["deleteEvent"], id.as_str());
    for (mutation, variables) in [
        (EVENT, json!({ "id": id })),
        (DELETE, json!({ "id": id })),
        (PUBLISH, json!({ "id": id })),
        (
            UPDATE,
            json!({ "id": id, "input": { "participantsMale": 1 } }),
        ),
    ] {
        let response = app.graphql_as(token, mutation, variables).await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"], "{mutation}");
    }
    app.assert_bad_input(token, DELETE, json!({ "id": "event-1" }), &["id"])
        .await;
}

#[tokio::test]
async fn events_page_backward_as_they_page_forward() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    for token in [None, Some(staff.access_token.as_str())] {
        for order in ["STARTS_ON_DESC", "STARTS_ON_ASC"] {
            crate::helpers::paging::Listing {
                token,
                template: &format!("events(orderBy: {order}, PAGE) SELECTION"),
                path: &["events"],
            }
            .assert_pages_both_ways(&app, 3)
            .await;
        }
    }
}
