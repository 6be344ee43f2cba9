//! Projects: what each principal sees, filters, pagination, nested loading; their management
//! by the Programme Office and its validation.

use api::{
    auth::{Actor, Member},
    services::{
        events::{EventFilter, EventOrder, EventTexts},
        pagination::PageArgs,
        projects::ProjectFilter,
    },
};
use entity::{
    Localized,
    enums::{Language, PartnerRole, ProjectStatus, Region, Role, ThematicArea, Visibility},
};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    TestApp, error_codes,
    fixtures::{self, NewEvent, NewProject},
    nodes, spawn_app, spawn_app_with_demo, spawn_demo_app_planning, with_changes,
};

/// Two organisations, a public and an internal project of each.
struct World {
    ngo_a: entity::organisation::Model,
    ngo_b: entity::organisation::Model,
    public_a: entity::project::Model,
    internal_a: entity::project::Model,
    internal_b: entity::project::Model,
}

async fn world(app: &TestApp) -> World {
    let ngo_a = fixtures::organisation(&app.db, "NGO Alpha").await;
    let ngo_b = fixtures::organisation(&app.db, "NGO Beta").await;
    let public_a = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2024-GE-01",
            title: Localized {
                en: Some("Women's Resource Centres network".into()),
                ru: Some("Сеть ресурсных центров для женщин".into()),
                tg: None,
            },
            start: "2024-03-01",
            end: Some("2026-12-31"),
            areas: &[ThematicArea::GenderEquality, ThematicArea::DomesticViolence],
            regions: &[Region::Khatlon, Region::Sughd],
            partners: &[(ngo_a.id, PartnerRole::Implementing)],
            ..NewProject::default()
        },
    )
    .await;
    let internal_a = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2025-TR-01",
            title: Localized::en("Referral mechanism pilot"),
            visibility: Visibility::Internal,
            status: ProjectStatus::Planned,
            start: "2025-06-01",
            areas: &[ThematicArea::CombatingTrafficking],
            partners: &[(ngo_a.id, PartnerRole::Implementing)],
            ..NewProject::default()
        },
    )
    .await;
    let internal_b = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2023-BM-01",
            title: Localized::en("Border outreach"),
            visibility: Visibility::Internal,
            status: ProjectStatus::Completed,
            start: "2023-01-01",
            end: Some("2023-12-31"),
            areas: &[ThematicArea::BorderManagement],
            regions: &[Region::Gbao],
            partners: &[(ngo_b.id, PartnerRole::Counterpart)],
            ..NewProject::default()
        },
    )
    .await;
    World {
        ngo_a,
        ngo_b,
        public_a,
        internal_a,
        internal_b,
    }
}

const LIST: &str = r"
query($filter: ProjectFilterInput, $first: Int, $after: String, $orderBy: ProjectOrderBy) {
  projects(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id code title } }
  }
}";

fn codes(data: &serde_json::Value) -> Vec<String> {
    nodes(&data["projects"])
        .iter()
        .map(|node| node["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_public_sees_public_projects_only() {
    let app = spawn_app().await;
    let world = world(&app).await;

    let data = app.data(LIST, json!({})).await;

    assert_eq!(codes(&data), ["PO-2024-GE-01"]);
    assert_eq!(data["projects"]["totalCount"], 1);
    for hidden in [&world.internal_a, &world.internal_b] {
        let response = app
            .graphql(
                "query($id: ID!) { project(id: $id) { code } }",
                json!({ "id": hidden.id.to_string() }),
            )
            .await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"]);
    }
}

#[tokio::test]
async fn a_hidden_project_and_a_missing_one_give_the_same_answer() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let query = "query($id: ID!) { project(id: $id) { code } }";

    let hidden = app
        .graphql(query, json!({ "id": world.internal_a.id.to_string() }))
        .await;
    let missing = app
        .graphql(query, json!({ "id": Uuid::now_v7().to_string() }))
        .await;

    assert_eq!(
        hidden["errors"][0]["message"],
        missing["errors"][0]["message"]
    );
    assert_eq!(
        hidden["errors"][0]["extensions"],
        missing["errors"][0]["extensions"]
    );
    assert_eq!(hidden["data"], missing["data"]);
}

#[tokio::test]
async fn filters_never_reveal_internal_projects_to_the_public() {
    let app = spawn_app().await;
    let world = world(&app).await;

    for filter in [
        json!({ "search": "referral" }),
        json!({ "thematicArea": "COMBATING_TRAFFICKING" }),
        json!({ "visibility": "INTERNAL" }),
        json!({ "partnerId": world.ngo_b.id.to_string() }),
        json!({ "region": "GBAO" }),
        json!({ "status": "COMPLETED" }),
    ] {
        let data = app.data(LIST, json!({ "filter": filter })).await;
        assert_eq!(data["projects"]["totalCount"], 0, "filter {filter}");
        assert!(codes(&data).is_empty(), "filter {filter}");
    }
}

fn partner_of(organisation_id: Uuid) -> Actor {
    Actor::Member(Member {
        account_id: Uuid::now_v7(),
        role: Role::Partner,
        organisation_id: Some(organisation_id),
        session_family: Uuid::now_v7(),
        restriction: None,
        preferred_language: Language::En,
    })
}

fn staff() -> Actor {
    Actor::Member(Member {
        account_id: Uuid::now_v7(),
        role: Role::Staff,
        organisation_id: None,
        session_family: Uuid::now_v7(),
        restriction: None,
        preferred_language: Language::En,
    })
}

async fn visible_codes(app: &TestApp, actor: &Actor) -> Vec<String> {
    let page = PageArgs {
        with_total: true,
        ..PageArgs::forward(100, None)
    };
    let page = app
        .services()
        .projects()
        .list(actor, &ProjectFilter::default(), Default::default(), &page)
        .await
        .expect("list");
    assert_eq!(page.total_count, Some(page.items.len() as u64));
    let mut codes: Vec<String> = page.items.into_iter().map(|(_, p)| p.code).collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn partners_see_their_organisations_projects_and_staff_see_all() {
    // Accounts come with the next issue; the policy for them is already in force in the
    // services, which these calls exercise directly.
    let app = spawn_app().await;
    let world = world(&app).await;
    let services = app.services();

    assert_eq!(
        visible_codes(&app, &partner_of(world.ngo_a.id)).await,
        ["PO-2024-GE-01", "PO-2025-TR-01"]
    );
    assert_eq!(
        visible_codes(&app, &partner_of(world.ngo_b.id)).await,
        ["PO-2023-BM-01", "PO-2024-GE-01"]
    );
    assert_eq!(
        visible_codes(&app, &staff()).await,
        ["PO-2023-BM-01", "PO-2024-GE-01", "PO-2025-TR-01"]
    );
    assert_eq!(
        visible_codes(&app, &Actor::Anonymous).await,
        ["PO-2024-GE-01"]
    );

    let b_reads_a = services
        .projects()
        .get(&partner_of(world.ngo_b.id), world.internal_a.id)
        .await;
    assert!(matches!(
        b_reads_a,
        Err(api::error::ApiError::NotFound { .. })
    ));
    let a_reads_a = services
        .projects()
        .get(&partner_of(world.ngo_a.id), world.internal_a.id)
        .await;
    assert!(a_reads_a.is_ok());
}

#[tokio::test]
async fn filters_combine() {
    let app = spawn_app().await;
    world(&app).await;
    fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2019-RL-01",
            title: Localized::en("Penitentiary reform"),
            status: ProjectStatus::Completed,
            start: "2019-01-01",
            end: Some("2021-06-30"),
            areas: &[ThematicArea::RuleOfLaw, ThematicArea::HumanRights],
            regions: &[Region::Dushanbe],
            ..NewProject::default()
        },
    )
    .await;

    let cases = [
        (
            json!({ "thematicArea": "RULE_OF_LAW" }),
            vec!["PO-2019-RL-01"],
        ),
        (
            json!({ "thematicArea": "DOMESTIC_VIOLENCE" }),
            vec!["PO-2024-GE-01"],
        ),
        (json!({ "region": "SUGHD" }), vec!["PO-2024-GE-01"]),
        (json!({ "status": "COMPLETED" }), vec!["PO-2019-RL-01"]),
        (
            json!({ "activeDuring": { "from": "2020-01-01", "to": "2020-12-31" } }),
            vec!["PO-2019-RL-01"],
        ),
        (
            json!({ "activeDuring": { "from": "2021-01-01" } }),
            vec!["PO-2024-GE-01", "PO-2019-RL-01"],
        ),
        (json!({ "search": "PENITENTIARY" }), vec!["PO-2019-RL-01"]),
        // Russian text, matched whatever its case.
        (json!({ "search": "СЕТЬ РЕСУРСНЫХ" }), vec!["PO-2024-GE-01"]),
        (json!({ "search": "po-2024" }), vec!["PO-2024-GE-01"]),
        // LIKE wildcards in a search are literal characters.
        (json!({ "search": "%" }), vec![]),
        (
            json!({ "thematicArea": "RULE_OF_LAW", "region": "SUGHD" }),
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        let data = app.data(LIST, json!({ "filter": filter })).await;
        assert_eq!(codes(&data), expected, "filter {filter}");
        assert_eq!(
            data["projects"]["totalCount"],
            expected.len(),
            "filter {filter}"
        );
    }

    let backwards = app
        .graphql(
            LIST,
            json!({ "filter": { "activeDuring": { "from": "2025-01-01", "to": "2024-01-01" } } }),
        )
        .await;
    assert_eq!(error_codes(&backwards), ["BAD_USER_INPUT"]);
    assert_eq!(
        backwards["errors"][0]["extensions"]["fields"][0]["field"],
        "filter.activeDuring"
    );
    let long = app
        .graphql(LIST, json!({ "filter": { "search": "x".repeat(101) } }))
        .await;
    assert_eq!(error_codes(&long), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn keyset_pages_cover_every_project_once_in_order() {
    let app = spawn_app_with_demo().await;
    let all = app
        .data(LIST, json!({ "first": 100, "orderBy": "CODE_ASC" }))
        .await;
    let expected = codes(&all);
    assert!(
        expected.len() >= 20,
        "demo data has at least 20 public projects"
    );
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(expected, sorted);

    for order in ["CODE_ASC", "START_DATE_DESC", "START_DATE_ASC"] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = app
                .data(
                    LIST,
                    json!({ "first": 3, "after": after, "orderBy": order }),
                )
                .await;
            let connection = &data["projects"];
            assert_eq!(connection["pageInfo"]["hasPreviousPage"], after.is_some());
            seen.extend(codes(&data));
            if connection["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = connection["pageInfo"]["endCursor"]
                .as_str()
                .map(str::to_owned);
        }
        let mut seen_sorted = seen.clone();
        seen_sorted.sort();
        assert_eq!(
            seen_sorted, expected,
            "order {order}: every project exactly once"
        );
    }

    let first_page = app
        .data(LIST, json!({ "first": 2, "orderBy": "CODE_ASC" }))
        .await;
    let cursor = first_page["projects"]["pageInfo"]["endCursor"].clone();
    let mixed = app
        .graphql(
            LIST,
            json!({ "first": 2, "after": cursor, "orderBy": "START_DATE_DESC" }),
        )
        .await;
    assert_eq!(error_codes(&mixed), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn project_details_and_partners() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let query = r"query($id: ID!) {
      project(id: $id) {
        code title titleTranslations { en ru tg } status startDate endDate visibility
        thematicAreas regions
        partners { role organisation { name kind } }
      }
    }";

    let data = app
        .data(query, json!({ "id": world.public_a.id.to_string() }))
        .await;

    insta::assert_json_snapshot!("project_details", data);
    let budget = app
        .graphql(
            "query($id: ID!) { project(id: $id) { budget { amountMinor currency } } }",
            json!({ "id": world.public_a.id.to_string() }),
        )
        .await;
    assert_eq!(error_codes(&budget), ["FORBIDDEN"]);
}

#[tokio::test]
async fn titles_follow_accept_language_and_fall_back() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let query = "query($id: ID!) { project(id: $id) { title } }";
    let id = json!({ "id": world.public_a.id.to_string() });

    let russian = app
        .graphql_in(query, id.clone(), Some("ru-RU,ru;q=0.9"))
        .await;
    let tajik = app.graphql_in(query, id.clone(), Some("tg")).await;
    let english = app.graphql_in(query, id, None).await;

    assert_eq!(
        russian["data"]["project"]["title"],
        "Сеть ресурсных центров для женщин"
    );
    // No Tajik title: English is the first fallback.
    assert_eq!(
        tajik["data"]["project"]["title"],
        "Women's Resource Centres network"
    );
    assert_eq!(
        english["data"]["project"]["title"],
        "Women's Resource Centres network"
    );
}

#[tokio::test]
async fn a_query_costing_more_than_the_budget_is_refused() {
    let app = spawn_app().await;

    let response = app
        .graphql(NESTED, json!({ "first": 100, "events": 100 }))
        .await;

    assert_eq!(error_codes(&response), ["BAD_USER_INPUT"]);
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("complex")),
        "{response:#}"
    );
}

#[tokio::test]
async fn nested_events_are_the_visible_ones_newest_first() {
    let app = spawn_app().await;
    let world = world(&app).await;
    for (title, starts, published) in [
        ("Old training", "2024-04-10", true),
        ("New forum", "2025-09-01", true),
        ("Draft roundtable", "2025-10-01", false),
    ] {
        fixtures::event(
            &app.db,
            NewEvent {
                title,
                project_id: Some(world.public_a.id),
                organiser_id: world.ngo_a.id,
                starts,
                published,
                ..NewEvent::default()
            },
        )
        .await;
    }
    let query = r"query($id: ID!) {
      project(id: $id) {
        events(first: 5) { totalCount edges { node { title startsOn } } }
        firstOnly: events(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { title } } }
      }
    }";

    let data = app
        .data(query, json!({ "id": world.public_a.id.to_string() }))
        .await;

    let titles: Vec<&str> = nodes(&data["project"]["events"])
        .iter()
        .filter_map(|node| node["title"].as_str())
        .collect();
    assert_eq!(titles, ["New forum", "Old training"]);
    assert_eq!(data["project"]["events"]["totalCount"], 2);
    assert_eq!(data["project"]["firstOnly"]["totalCount"], 2);
    assert_eq!(
        data["project"]["firstOnly"]["pageInfo"]["hasNextPage"],
        true
    );

    let cursor = data["project"]["firstOnly"]["pageInfo"]["endCursor"].clone();
    let next = app
        .data(
            "query($id: ID!, $after: String) { project(id: $id) { events(first: 5, after: $after) { edges { node { title } } } } }",
            json!({ "id": world.public_a.id.to_string(), "after": cursor }),
        )
        .await;
    let titles: Vec<&str> = nodes(&next["project"]["events"])
        .iter()
        .filter_map(|node| node["title"].as_str())
        .collect();
    assert_eq!(titles, ["Old training"]);
}

/// The events a project shows nested (one `LIMIT` per project, with the project's own tests
/// made once) are, for every principal, exactly those the event list shows for that project:
/// the two are written differently in `policy.rs`, and must not disagree.
#[tokio::test]
async fn nested_events_agree_with_the_event_list_for_every_principal() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let projects = [world.public_a.id, world.internal_a.id, world.internal_b.id];
    let mut day = 0;
    for project_id in projects {
        for organiser in [world.ngo_a.id, world.ngo_b.id] {
            for published in [true, false] {
                day += 1;
                let starts = format!("2025-03-{day:02}");
                fixtures::event(
                    &app.db,
                    NewEvent {
                        title: "A meeting",
                        project_id: Some(project_id),
                        organiser_id: organiser,
                        starts: &starts,
                        published,
                        ..NewEvent::default()
                    },
                )
                .await;
            }
        }
    }
    let services = app.services();
    let events = services.events();
    let page = PageArgs::forward(100, None);
    // Of the 12 events: the public sees the 2 published ones of the public project; NGO Alpha,
    // a partner of the public project and of internal A, their 8; NGO Beta, a partner of
    // internal B, its 4, the 2 published ones of the public project and its own unpublished
    // one there; staff all. The events
    // each organises under a project it may not read are its events, but not that project's:
    // neither list nor filter shows them under it (`policy::event_project`).
    let principals = [
        ("the public", Actor::Anonymous, 2),
        ("a partner of NGO Alpha", partner_of(world.ngo_a.id), 8),
        ("a partner of NGO Beta", partner_of(world.ngo_b.id), 7),
        ("staff", staff(), 12),
    ];
    for (who, actor, expected) in &principals {
        let nested = events
            .page_per_project(actor, &projects, &page, EventTexts::ALL)
            .await
            .expect("nested events");
        // Read without their summaries (as a plan showing titles reads them): the same events,
        // their titles, no summary.
        let titles = events
            .page_per_project(
                actor,
                &projects,
                &page,
                EventTexts {
                    title: true,
                    summary: false,
                },
            )
            .await
            .expect("nested events, titles only");
        for (project_id, page) in &nested {
            let lean = &titles[project_id];
            assert_eq!(page.items.len(), lean.items.len(), "{who}");
            for ((cursor, event), (lean_cursor, lean_event)) in page.items.iter().zip(&lean.items) {
                assert_eq!((cursor, &event.title), (lean_cursor, &lean_event.title));
                assert!(event.summary.present().next().is_some(), "{who}: a summary");
                assert_eq!(lean_event.summary, Localized::default(), "{who}");
            }
        }
        let mut shown_in_all = 0;
        for project_id in projects {
            let filter = EventFilter {
                project_id: Some(project_id),
                ..EventFilter::default()
            };
            let listed: Vec<Uuid> = events
                .list(actor, &filter, EventOrder::StartsOnDesc, &page)
                .await
                .expect("event list")
                .items
                .into_iter()
                .map(|(_, event)| event.id)
                .collect();
            let shown: Vec<Uuid> = nested[&project_id]
                .items
                .iter()
                .map(|(_, event)| event.id)
                .collect();
            assert_eq!(shown, listed, "{who}, project {project_id}");
            shown_in_all += shown.len();
        }
        assert_eq!(shown_in_all, *expected, "{who}");
    }
}

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
async fn a_page_of_projects_with_partners_and_events_costs_a_fixed_number_of_statements() {
    // Compiled (`graphql::plan`) and executed alike.
    for plans in ["on", "off"] {
        let app = spawn_demo_app_planning(plans).await;

        let (small, small_data) = app
            .count_statements(NESTED, json!({ "first": 2, "events": 20 }))
            .await;
        let (large, large_data) = app
            .count_statements(NESTED, json!({ "first": 50, "events": 20 }))
            .await;
        let (deep, _) = app
            .count_statements(NESTED, json!({ "first": 25, "events": 100 }))
            .await;

        let small_projects = nodes(&small_data["projects"]).len();
        let large_projects = nodes(&large_data["projects"]).len();
        assert_eq!(small_projects, 2);
        assert!(
            large_projects >= 20,
            "{large_projects} projects in the large page"
        );
        let events: usize = nodes(&large_data["projects"])
            .iter()
            .map(|project| nodes(&project["events"]).len())
            .sum();
        assert!(events >= 40, "the large page carries events ({events})");
        // One statement for the page, one for all partners with their organisations, one for all
        // events (a window per project).
        assert_eq!(small, 3, "statements for 2 projects ({plans})");
        assert_eq!(large, small, "statements must not grow with the page size");
        assert_eq!(
            deep, small,
            "statements must not grow with the events per project"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Managing projects: the Programme Office creates, changes and deletes them and sets their
// partners; every invalid field is named.

const CREATE: &str = r"
mutation($input: CreateProjectInput!) {
  createProject(input: $input) {
    id code title titleTranslations { en ru tg } summary summaryTranslations { en ru tg }
    status startDate endDate budget { amountMinor currency } visibility
    thematicAreas regions partners { role organisation { name } }
  }
}";

const UPDATE: &str = r"
mutation($id: ID!, $input: UpdateProjectInput!) {
  updateProject(id: $id, input: $input) {
    id code title titleTranslations { en ru tg } summary summaryTranslations { en ru tg }
    status startDate endDate budget { amountMinor currency } visibility thematicAreas regions
  }
}";

const DELETE: &str = "mutation($id: ID!) { deleteProject(id: $id) }";

const SET_PARTNERS: &str = r"
mutation($id: ID!, $partners: [ProjectPartnerInput!]!) {
  setProjectPartners(id: $id, partners: $partners) {
    code partners { role organisation { name } }
  }
}";

const PROJECT: &str = r"
query($id: ID!) {
  project(id: $id) {
    id code title titleTranslations { en ru tg } summary summaryTranslations { en ru tg }
    status startDate endDate budget { amountMinor currency } visibility thematicAreas regions
    partners { role organisation { name } }
  }
}";

/// A valid `CreateProjectInput`.
fn new_project() -> serde_json::Value {
    json!({
        "code": "PO-2026-GE-07",
        "title": { "en": "Women's economic empowerment in Khatlon" },
        "thematicAreas": ["GENDER_EQUALITY"],
        "startDate": "2026-01-01",
        "regions": ["KHATLON"],
    })
}

#[tokio::test]
async fn staff_create_a_project_with_a_normalised_code_and_each_area_and_region_once() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;

    let data = app
        .data_as(
            &staff.access_token,
            CREATE,
            json!({ "input": {
                "code": "  po-2026-ge-07 ",
                "title": {
                    "en": "  Women's economic empowerment in Khatlon ",
                    "ru": "Экономическое расширение прав женщин в Хатлоне",
                    "tg": "",
                },
                "summary": { "en": "Grants and training for women entrepreneurs." },
                "thematicAreas": ["GENDER_EQUALITY", "ECONOMIC_ACTIVITIES", "GENDER_EQUALITY"],
                "status": "ACTIVE",
                "startDate": "2026-01-01",
                "endDate": "2027-12-31",
                "budget": { "amountMinor": "125000000", "currency": "eur" },
                "regions": ["KHATLON", "SUGHD", "KHATLON"],
                "visibility": "PUBLIC",
            } }),
        )
        .await;

    insta::assert_json_snapshot!("create_project", data, { ".createProject.id" => "[id]" });
    let id = data["createProject"]["id"].as_str().expect("id");
    // What was created is what is read back.
    let read = app
        .data_as(&staff.access_token, PROJECT, json!({ "id": id }))
        .await;
    let mut created = data["createProject"].clone();
    created["partners"] = json!([]);
    assert_eq!(read["project"], created);
}

#[tokio::test]
async fn a_created_public_project_appears_in_the_filtered_public_lists() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    app.create_as(
        &staff.access_token,
        CREATE,
        with_changes(
            new_project(),
            json!({
                "title": { "en": "Shelter network", "ru": "Сеть приютов" },
                "thematicAreas": ["DOMESTIC_VIOLENCE", "GENDER_EQUALITY"],
                "regions": ["SUGHD", "KHATLON"],
                "status": "ACTIVE",
                "endDate": "2027-12-31",
                "visibility": "PUBLIC",
            }),
        ),
    )
    .await;
    // An internal project never shows to the public, whatever the filter.
    app.create_as(
        &staff.access_token,
        CREATE,
        with_changes(
            new_project(),
            json!({ "code": "PO-2026-GE-08", "thematicAreas": ["DOMESTIC_VIOLENCE"] }),
        ),
    )
    .await;

    for filter in [
        json!({}),
        json!({ "thematicArea": "DOMESTIC_VIOLENCE" }),
        json!({ "region": "SUGHD" }),
        json!({ "status": "ACTIVE" }),
        json!({ "visibility": "PUBLIC" }),
        json!({ "search": "ПРИЮТ" }),
        json!({ "search": "ge-07" }),
        json!({ "activeDuring": { "from": "2027-06-01", "to": "2027-06-30" } }),
    ] {
        let data = app.data(LIST, json!({ "filter": filter })).await;
        assert_eq!(codes(&data), ["PO-2026-GE-07"], "filter {filter}");
    }
    let after_its_end = app
        .data(
            LIST,
            json!({ "filter": { "activeDuring": { "from": "2028-01-01" } } }),
        )
        .await;
    assert!(codes(&after_its_end).is_empty());
}

#[tokio::test]
async fn a_new_project_is_planned_and_internal_unless_told_otherwise() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;

    let id = app
        .create_as(&staff.access_token, CREATE, new_project())
        .await;

    let data = app
        .data_as(&staff.access_token, PROJECT, json!({ "id": id }))
        .await;
    assert_eq!(data["project"]["status"], "PLANNED");
    assert_eq!(data["project"]["visibility"], "INTERNAL");
    assert!(data["project"]["endDate"].is_null());
    assert!(data["project"]["budget"].is_null());
    assert_eq!(data["project"]["summary"], "");
    let public = app.graphql(PROJECT, json!({ "id": id })).await;
    assert_eq!(error_codes(&public), ["NOT_FOUND"]);
}

#[tokio::test]
async fn each_invalid_project_field_is_named() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let long = "x".repeat(301);
    let long_cyrillic = "ж".repeat(301);

    let cases = [
        (json!({ "code": "GE-01" }), "input.code"),
        (json!({ "code": "PO-26-GE-01" }), "input.code"),
        (json!({ "code": "PO-2026-GEND-01" }), "input.code"),
        (json!({ "code": "PO-2026-GE-1" }), "input.code"),
        (json!({ "code": "" }), "input.code"),
        (json!({ "title": {} }), "input.title"),
        (json!({ "title": { "en": "   ", "ru": "" } }), "input.title"),
        (json!({ "title": { "en": long } }), "input.title.en"),
        (
            json!({ "title": { "ru": long_cyrillic } }),
            "input.title.ru",
        ),
        (
            json!({ "summary": { "tg": "x".repeat(5_001) } }),
            "input.summary.tg",
        ),
        (json!({ "thematicAreas": [] }), "input.thematicAreas"),
        (json!({ "regions": [] }), "input.regions"),
        (
            json!({ "startDate": "2026-06-01", "endDate": "2026-05-31" }),
            "input.endDate",
        ),
        (
            json!({ "budget": { "amountMinor": "-1", "currency": "EUR" } }),
            "input.budget.amountMinor",
        ),
        (
            json!({ "budget": { "amountMinor": "1250.50", "currency": "EUR" } }),
            "input.budget.amountMinor",
        ),
        (
            json!({ "budget": { "amountMinor": "a lot", "currency": "EUR" } }),
            "input.budget.amountMinor",
        ),
        (
            json!({ "budget": { "amountMinor": "", "currency": "EUR" } }),
            "input.budget.amountMinor",
        ),
        (
            json!({ "budget": { "amountMinor": "100", "currency": "EURO" } }),
            "input.budget.currency",
        ),
        (
            json!({ "budget": { "amountMinor": "100", "currency": "E1R" } }),
            "input.budget.currency",
        ),
        (
            json!({ "budget": { "amountMinor": "100", "currency": "" } }),
            "input.budget.currency",
        ),
    ];
    app.assert_each_input_named(&staff.access_token, CREATE, &new_project(), cases)
        .await;
    assert_eq!(
        app.rows::<entity::project::Entity>().await,
        0,
        "nothing invalid was stored"
    );
}

#[tokio::test]
async fn project_limits_are_inclusive_and_count_characters_not_bytes() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;

    let data = app
        .data_as(
            &staff.access_token,
            CREATE,
            json!({ "input": with_changes(new_project(), json!({
                // 300 Cyrillic letters are 600 bytes.
                "title": { "ru": "ж".repeat(300) },
                "startDate": "2026-03-01",
                "endDate": "2026-03-01",
                "budget": { "amountMinor": "0", "currency": "TJS" },
            })) }),
        )
        .await;

    assert_eq!(data["createProject"]["endDate"], "2026-03-01");
    assert_eq!(
        data["createProject"]["budget"],
        json!({ "amountMinor": "0", "currency": "TJS" })
    );
}

#[tokio::test]
async fn every_invalid_project_field_is_reported_at_once() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;

    let input = json!({
        "code": "2026-GE-07",
        "title": { "en": " " },
        "thematicAreas": [],
        "regions": [],
        "startDate": "2026-06-01",
        "endDate": "2026-01-01",
        "budget": { "amountMinor": "-500", "currency": "euro" },
    });

    app.assert_bad_input(
        &staff.access_token,
        CREATE,
        json!({ "input": input }),
        &[
            "input.budget.amountMinor",
            "input.budget.currency",
            "input.code",
            "input.endDate",
            "input.regions",
            "input.thematicAreas",
            "input.title",
        ],
    )
    .await;
}

#[tokio::test]
async fn a_project_code_is_used_once_whatever_its_case() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let first = app
        .create_as(&staff.access_token, CREATE, new_project())
        .await;

    let again = app
        .graphql_as(
            &staff.access_token,
            CREATE,
            json!({ "input": with_changes(new_project(), json!({ "code": "po-2026-ge-07" })) }),
        )
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
    assert_eq!(app.rows::<entity::project::Entity>().await, 1);

    // Renaming another project to a code in use conflicts too, and changes nothing.
    let second = app
        .create_as(
            &staff.access_token,
            CREATE,
            with_changes(new_project(), json!({ "code": "PO-2026-GE-08" })),
        )
        .await;
    let rename = app
        .graphql_as(
            &staff.access_token,
            UPDATE,
            json!({ "id": second, "input": { "code": "PO-2026-GE-07", "title": { "en": "Renamed" } } }),
        )
        .await;
    assert_eq!(error_codes(&rename), ["CONFLICT"]);
    let unchanged = app
        .data_as(&staff.access_token, PROJECT, json!({ "id": second }))
        .await;
    assert_eq!(unchanged["project"]["code"], "PO-2026-GE-08");
    assert_eq!(
        unchanged["project"]["title"],
        "Women's economic empowerment in Khatlon"
    );

    // A project keeps its own code when other fields change.
    let own = app
        .data_as(
            &staff.access_token,
            UPDATE,
            json!({ "id": first, "input": { "code": "PO-2026-GE-07", "status": "ACTIVE" } }),
        )
        .await;
    assert_eq!(own["updateProject"]["status"], "ACTIVE");
}

#[tokio::test]
async fn update_project_changes_only_the_given_fields() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let id = app
        .create_as(
            &staff.access_token,
            CREATE,
            with_changes(
                new_project(),
                json!({
                    "title": { "en": "Shelter network", "ru": "Сеть приютов" },
                    "summary": { "en": "Three shelters." },
                    "endDate": "2027-12-31",
                    "budget": { "amountMinor": "5000000", "currency": "EUR" },
                    "thematicAreas": ["DOMESTIC_VIOLENCE"],
                    "regions": ["SUGHD"],
                }),
            ),
        )
        .await;
    let before = app
        .data_as(&staff.access_token, PROJECT, json!({ "id": id }))
        .await["project"]
        .clone();

    let data = app
        .data_as(
            &staff.access_token,
            UPDATE,
            json!({ "id": id, "input": { "status": "ACTIVE", "regions": ["SUGHD", "GBAO", "GBAO"] } }),
        )
        .await;

    let mut expected = before.clone();
    expected["status"] = json!("ACTIVE");
    expected["regions"] = json!(["GBAO", "SUGHD"]);
    expected
        .as_object_mut()
        .expect("an object")
        .remove("partners");
    assert_eq!(data["updateProject"], expected);

    // Clearing the end date and the budget removes them and nothing else.
    let cleared = app
        .data_as(
            &staff.access_token,
            UPDATE,
            json!({ "id": id, "input": { "clearEndDate": true, "clearBudget": true } }),
        )
        .await;
    assert!(cleared["updateProject"]["endDate"].is_null());
    assert!(cleared["updateProject"]["budget"].is_null());
    assert_eq!(
        cleared["updateProject"]["titleTranslations"],
        before["titleTranslations"]
    );
    assert_eq!(cleared["updateProject"]["startDate"], "2026-01-01");

    let budget = app
        .data_as(
            &staff.access_token,
            UPDATE,
            json!({ "id": id, "input": { "budget": { "amountMinor": "7500000", "currency": "usd" } } }),
        )
        .await;
    assert_eq!(
        budget["updateProject"]["budget"],
        json!({ "amountMinor": "7500000", "currency": "USD" })
    );
}

#[tokio::test]
async fn update_project_checks_the_changed_project_as_a_whole() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let id = app
        .create_as(
            &staff.access_token,
            CREATE,
            with_changes(new_project(), json!({ "endDate": "2026-12-31" })),
        )
        .await;

    let cases = [
        // A new start after the stored end.
        (json!({ "startDate": "2027-01-01" }), "input.endDate"),
        (json!({ "endDate": "2025-12-31" }), "input.endDate"),
        (json!({ "code": "PO-2026-GE" }), "input.code"),
        (json!({ "title": { "en": "" } }), "input.title"),
        (
            json!({ "title": { "tg": "x".repeat(301) } }),
            "input.title.tg",
        ),
        (json!({ "thematicAreas": [] }), "input.thematicAreas"),
        (json!({ "regions": [] }), "input.regions"),
        (
            json!({ "budget": { "amountMinor": "-1", "currency": "EUR" } }),
            "input.budget.amountMinor",
        ),
        (
            json!({ "budget": { "amountMinor": "12,5", "currency": "EUR" } }),
            "input.budget.amountMinor",
        ),
        (
            json!({ "budget": { "amountMinor": "1", "currency": "€" } }),
            "input.budget.currency",
        ),
    ];
    for (input, field) in cases {
        app.assert_bad_input(
            &staff.access_token,
            UPDATE,
            json!({ "id": id, "input": input }),
            &[field],
        )
        .await;
    }

    // Moving both ends together is fine, even past the stored end.
    let moved = app
        .data_as(
            &staff.access_token,
            UPDATE,
            json!({ "id": id, "input": { "startDate": "2027-01-01", "endDate": "2027-06-30" } }),
        )
        .await;
    assert_eq!(moved["updateProject"]["startDate"], "2027-01-01");

    let unknown = app
        .graphql_as(
            &staff.access_token,
            UPDATE,
            json!({ "id": Uuid::now_v7().to_string(), "input": { "status": "ACTIVE" } }),
        )
        .await;
    assert_eq!(error_codes(&unknown), ["NOT_FOUND"]);
    app.assert_bad_input(
        &staff.access_token,
        UPDATE,
        json!({ "id": "PO-2026-GE-07", "input": { "status": "ACTIVE" } }),
        &["id"],
    )
    .await;
}

#[tokio::test]
async fn a_project_with_events_is_kept() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let ngo = fixtures::organisation(&app.db, "NGO Alpha").await;
    let id = app
        .create_as(&staff.access_token, CREATE, new_project())
        .await;
    fixtures::event(
        &app.db,
        NewEvent {
            project_id: Some(id.parse().expect("a uuid")),
            organiser_id: ngo.id,
            ..NewEvent::default()
        },
    )
    .await;

    let response = app
        .graphql_as(&staff.access_token, DELETE, json!({ "id": id }))
        .await;

    assert_eq!(error_codes(&response), ["CONFLICT"]);
    let still_there = app
        .data_as(&staff.access_token, PROJECT, json!({ "id": id }))
        .await;
    assert_eq!(still_there["project"]["code"], "PO-2026-GE-07");
}

#[tokio::test]
async fn a_project_without_events_is_deleted_with_its_partners() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let ngo = fixtures::organisation(&app.db, "NGO Alpha").await;
    let id = app
        .create_as(&staff.access_token, CREATE, new_project())
        .await;
    app.data_as(
        &staff.access_token,
        SET_PARTNERS,
        json!({ "id": id, "partners": [{ "organisationId": ngo.id.to_string(), "role": "IMPLEMENTING" }] }),
    )
    .await;

    let data = app
        .data_as(&staff.access_token, DELETE, json!({ "id": id }))
        .await;

    assert_eq!(data["deleteProject"], id.as_str());
    let read = app
        .graphql_as(&staff.access_token, PROJECT, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&read), ["NOT_FOUND"]);
    let again = app
        .graphql_as(&staff.access_token, DELETE, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&again), ["NOT_FOUND"]);
    app.assert_bad_input(
        &staff.access_token,
        DELETE,
        json!({ "id": "nope" }),
        &["id"],
    )
    .await;
    // The organisation stays; only its part in the project went.
    let organisation = app
        .data_as(
            &staff.access_token,
            "query($id: ID!) { organisation(id: $id) { name } }",
            json!({ "id": ngo.id.to_string() }),
        )
        .await;
    assert_eq!(organisation["organisation"]["name"], "NGO Alpha");
    // Its code is free again.
    app.create_as(&staff.access_token, CREATE, new_project())
        .await;
}

#[tokio::test]
async fn set_project_partners_replaces_the_whole_set() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let alpha = fixtures::organisation(&app.db, "NGO Alpha").await;
    let beta = fixtures::organisation(&app.db, "NGO Beta").await;
    let id = app
        .create_as(&staff.access_token, CREATE, new_project())
        .await;
    let partner_of_alpha = app.user(Role::Partner, Some(alpha.id)).await;

    let first = app
        .data_as(
            &staff.access_token,
            SET_PARTNERS,
            json!({ "id": id, "partners": [
                { "organisationId": alpha.id.to_string(), "role": "IMPLEMENTING" },
                { "organisationId": beta.id.to_string(), "role": "FUNDING" },
            ] }),
        )
        .await;
    assert_eq!(
        first["setProjectPartners"]["partners"],
        json!([
            { "role": "FUNDING", "organisation": { "name": "NGO Beta" } },
            { "role": "IMPLEMENTING", "organisation": { "name": "NGO Alpha" } },
        ])
    );
    // Alpha now takes part, so its staff see the internal project.
    let seen = app
        .data_as(
            &partner_of_alpha.access_token,
            "query($id: ID!) { project(id: $id) { code } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(seen["project"]["code"], "PO-2026-GE-07");

    // One organisation may have two roles.
    app.data_as(
        &staff.access_token,
        SET_PARTNERS,
        json!({ "id": id, "partners": [
            { "organisationId": beta.id.to_string(), "role": "FUNDING" },
            { "organisationId": beta.id.to_string(), "role": "ACCOUNTABLE" },
        ] }),
    )
    .await;
    let read = app
        .data_as(&staff.access_token, PROJECT, json!({ "id": id }))
        .await;
    assert_eq!(
        read["project"]["partners"],
        json!([
            { "role": "ACCOUNTABLE", "organisation": { "name": "NGO Beta" } },
            { "role": "FUNDING", "organisation": { "name": "NGO Beta" } },
        ])
    );
    let by_partner = app
        .data_as(
            &staff.access_token,
            LIST,
            json!({ "filter": { "partnerId": alpha.id.to_string() } }),
        )
        .await;
    assert!(
        codes(&by_partner).is_empty(),
        "Alpha is no longer a partner"
    );
    let hidden = app
        .graphql_as(
            &partner_of_alpha.access_token,
            "query($id: ID!) { project(id: $id) { code } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&hidden), ["NOT_FOUND"]);

    let emptied = app
        .data_as(
            &staff.access_token,
            SET_PARTNERS,
            json!({ "id": id, "partners": [] }),
        )
        .await;
    assert_eq!(emptied["setProjectPartners"]["partners"], json!([]));
}

#[tokio::test]
async fn project_partners_are_known_active_organisations_each_listed_once_per_role() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let alpha = fixtures::organisation(&app.db, "NGO Alpha").await;
    let closed = fixtures::organisation(&app.db, "Closed NGO").await;
    app.data_as(
        &staff.access_token,
        "mutation($id: ID!) { deactivateOrganisation(id: $id) { active } }",
        json!({ "id": closed.id.to_string() }),
    )
    .await;
    let id = app
        .create_as(&staff.access_token, CREATE, new_project())
        .await;
    let alpha_implements =
        json!({ "organisationId": alpha.id.to_string(), "role": "IMPLEMENTING" });
    app.data_as(
        &staff.access_token,
        SET_PARTNERS,
        json!({ "id": id, "partners": [alpha_implements.clone()] }),
    )
    .await;

    let cases = [
        (
            json!([alpha_implements.clone(), { "organisationId": Uuid::now_v7().to_string(), "role": "FUNDING" }]),
            "partners",
        ),
        (
            json!([{ "organisationId": closed.id.to_string(), "role": "FUNDING" }]),
            "partners",
        ),
        (
            json!([alpha_implements.clone(), alpha_implements.clone()]),
            "partners",
        ),
        (
            json!([alpha_implements.clone(), { "organisationId": "NGO Beta", "role": "FUNDING" }]),
            "partners.1.organisationId",
        ),
    ];
    for (partners, field) in cases {
        app.assert_bad_input(
            &staff.access_token,
            SET_PARTNERS,
            json!({ "id": id, "partners": partners }),
            &[field],
        )
        .await;
    }

    // Nothing changed.
    let read = app
        .data_as(&staff.access_token, PROJECT, json!({ "id": id }))
        .await;
    assert_eq!(
        read["project"]["partners"],
        json!([{ "role": "IMPLEMENTING", "organisation": { "name": "NGO Alpha" } }])
    );
    let unknown_project = app
        .graphql_as(
            &staff.access_token,
            SET_PARTNERS,
            json!({ "id": Uuid::now_v7().to_string(), "partners": [] }),
        )
        .await;
    assert_eq!(error_codes(&unknown_project), ["NOT_FOUND"]);
}

#[tokio::test]
async fn every_change_to_a_project_is_in_the_audit_log() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let alpha = fixtures::organisation(&app.db, "NGO Alpha").await;
    let id = app
        .create_as(&staff.access_token, CREATE, new_project())
        .await;
    app.data_as(
        &staff.access_token,
        UPDATE,
        json!({ "id": id, "input": { "status": "ACTIVE", "clearBudget": true } }),
    )
    .await;
    app.data_as(
        &staff.access_token,
        SET_PARTNERS,
        json!({ "id": id, "partners": [{ "organisationId": alpha.id.to_string(), "role": "IMPLEMENTING" }] }),
    )
    .await;
    app.data_as(&staff.access_token, DELETE, json!({ "id": id }))
        .await;
    // A refused change leaves no trace of success.
    app.graphql_as(
        &staff.access_token,
        UPDATE,
        json!({ "id": id, "input": { "status": "ACTIVE" } }),
    )
    .await;

    let entries = app.audit_of(id.parse().expect("a uuid")).await;

    let actions: Vec<&str> = entries.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "project.create",
            "project.update",
            "project.set_partners",
            "project.delete"
        ]
    );
    for entry in &entries {
        assert_eq!(entry.actor_account_id, Some(staff.account.id));
        assert_eq!(entry.actor_role, Some(Role::Staff));
        assert_eq!(entry.entity_type.as_deref(), Some("project"));
    }
    assert_eq!(
        entries[1].detail,
        Some(json!({ "changed": ["status", "budget"] }))
    );
    assert_eq!(entries[2].detail, Some(json!({ "partners": 1 })));
    assert_eq!(entries[3].detail, Some(json!({ "code": "PO-2026-GE-07" })));
}

#[tokio::test]
async fn projects_page_backward_as_they_page_forward() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    for token in [None, Some(staff.access_token.as_str())] {
        for order in ["START_DATE_DESC", "START_DATE_ASC", "CODE_ASC"] {
            crate::helpers::paging::Listing {
                token,
                template: &format!("projects(orderBy: {order}, PAGE) SELECTION"),
                path: &["projects"],
            }
            .assert_pages_both_ways(&app, 2)
            .await;
        }
    }
}

/// A project's events page backward too, each project on its own page of the one batched
/// statement: a list of projects with `events(last: n)` holds what each project alone shows.
#[tokio::test]
async fn a_projects_events_page_backward_alone_and_in_a_list() {
    let app = spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let token = staff.access_token.as_str();
    // The project with the most events, to page through.
    let busiest = event_counts(&app, token)
        .await
        .into_iter()
        .max_by_key(|(_, count)| *count)
        .map(|(id, _)| id)
        .expect("a demo project");
    let template = format!(r#"project(id: "{busiest}") {{ events(PAGE) SELECTION }}"#);
    crate::helpers::paging::Listing {
        token: Some(token),
        template: &template,
        path: &["project", "events"],
    }
    .assert_pages_both_ways(&app, 2)
    .await;

    let list = app
        .data_as(
            token,
            "{ projects(first: 100) { edges { node { id events(last: 2) { pageInfo { hasPreviousPage hasNextPage } edges { node { id } } } } } } }",
            json!({}),
        )
        .await;
    let projects = nodes(&list["projects"]);
    assert!(projects.len() > 2);
    for project in projects {
        let alone = app
            .data_as(
                token,
                "query($id: ID!) { project(id: $id) { events(last: 2) { pageInfo { hasPreviousPage hasNextPage } edges { node { id } } } } }",
                json!({ "id": project["id"] }),
            )
            .await;
        assert_eq!(project["events"], alone["project"]["events"], "{project:#}");
    }
}

/// Each visible project's id and number of visible events.
async fn event_counts(app: &TestApp, token: &str) -> Vec<(String, u64)> {
    let data = app
        .data_as(
            token,
            "{ projects(first: 100) { edges { node { id events { totalCount } } } } }",
            json!({}),
        )
        .await;
    nodes(&data["projects"])
        .iter()
        .map(|node| {
            (
                node["id"].as_str().unwrap_or_default().to_owned(),
                node["events"]["totalCount"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}
