//! What a reader may not read, it can neither find, narrow nor order by: every filter field and
//! every ordering of every connection, asked by every kind of principal.
//!
//! Each probe filters a connection by a value that only some fixtures carry, and names who may
//! read each of them. Every principal must find exactly the fixtures it may read and no other:
//! a filter on a hidden field or a hidden row finds nothing (a refusal finds nothing too), and
//! a reader who may read the value finds it, so a probe that stopped working would fail. The
//! filter fields and orderings are read from `schema.graphql`: a new one fails
//! `every_filter_field_and_ordering_has_a_probe` until it has its row here.
//!
//! The fixtures (each value below is carried by these alone):
//! - organisation C: kind DONOR, name "Cerulean Donors"; takes part in no public content, so
//!   the public does not see it. It operates the inactive centre I.
//! - centre S: an active shelter of A at "Zarafshon Lane 9": its address is hidden from the
//!   public. Centre I: inactive (the Programme Office only), LEGAL_AID, GBAO, "Ishkoshim",
//!   MEDICAL_REFERRAL, not accepting referrals. Centre CB: B's active centre, with a report.
//! - project P: internal, A a partner, COMBATING_TRAFFICKING, GBAO, PLANNED, 2030; project Q:
//!   public.
//! - event E1: B's unpublished STUDY_VISIT in Rushan (GBAO) in 2031. Event E2: published,
//!   organised by B under P: B reads the event but not its project.
//! - cases K1 (A's draft, TRAFFICKING_LABOUR, HIGH, GBAO) and K2 (A's, referred to B, where
//!   B's partner took it; nobody in A has either).
//! - notification N: the partner of B's (unread) inbox item about K2's referral.

use std::collections::{BTreeSet, HashMap};

use async_graphql::parser::types::{BaseType, TypeKind};
use chrono::{Duration, Utc};
use entity::{
    Localized,
    enums::{
        AccountStatus, CentreKind, CentreService, EventKind, OrganisationKind, PartnerRole,
        ProjectStatus, Region, Role, ThematicArea, Visibility,
    },
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp, answers,
    fixtures::{self, NewCentre, NewEvent, NewProject},
    nodes, spawn_app,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Principal {
    Anonymous,
    PartnerA,
    ManagerA,
    PartnerB,
    Staff,
    Admin,
}

use Principal::{Admin, Anonymous, ManagerA, PartnerA, PartnerB, Staff};

const PRINCIPALS: [Principal; 6] = [Anonymous, PartnerA, ManagerA, PartnerB, Staff, Admin];
const SIGNED_IN: &[Principal] = &[PartnerA, ManagerA, PartnerB, Staff, Admin];
const OFFICE: &[Principal] = &[Staff, Admin];
const OF_A: &[Principal] = &[PartnerA, ManagerA, Staff, Admin];
const OF_B: &[Principal] = &[PartnerB, Staff, Admin];
const ADMIN: &[Principal] = &[Admin];

/// The codes of a refusal: a principal refused finds nothing.
const REFUSALS: [&str; 3] = ["UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT"];

/// The fixtures' ids, by the names of the module's header, and the principals' accounts.
struct Ids {
    fixtures: HashMap<&'static str, String>,
    accounts: HashMap<Principal, Uuid>,
}

impl Ids {
    fn id(&self, name: &str) -> String {
        self.fixtures
            .get(name)
            .unwrap_or_else(|| panic!("no fixture {name}"))
            .clone()
    }
}

struct World {
    app: TestApp,
    tokens: HashMap<Principal, String>,
    ids: Ids,
}

impl World {
    fn id(&self, name: &str) -> String {
        self.ids.id(name)
    }

    async fn ask(&self, who: Principal, query: &str, variables: Value) -> Value {
        match self.tokens.get(&who) {
            Some(token) => self.app.graphql_as(token, query, variables).await,
            None => self.app.graphql(query, variables).await,
        }
    }
}

async fn world() -> World {
    let app = spawn_app().await;
    let a = fixtures::organisation(&app.db, "Aster NGO").await;
    let b = fixtures::organisation(&app.db, "Birch NGO").await;
    let c = fixtures::organisation(&app.db, "Cerulean Donors").await;
    let mut donor = c.clone().into_active_model();
    donor.kind = Set(OrganisationKind::Donor);
    donor.update(&app.db).await.expect("a donor");

    let mut users = HashMap::new();
    for (who, role, organisation) in [
        (PartnerA, Role::Partner, Some(a.id)),
        (ManagerA, Role::PartnerManager, Some(a.id)),
        (PartnerB, Role::Partner, Some(b.id)),
        (Staff, Role::Staff, None),
        (Admin, Role::Admin, None),
    ] {
        users.insert(who, app.user(role, organisation).await);
    }
    let (disabled, _) = app.account(Role::Partner, Some(b.id)).await;
    let mut disabled_row = disabled.clone().into_active_model();
    disabled_row.status = Set(AccountStatus::Disabled);
    disabled_row
        .update(&app.db)
        .await
        .expect("a disabled account");

    let shelter = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Safe House",
            kind: CentreKind::Shelter,
            operator_id: a.id,
            district: "Vahdat",
            address: "Zarafshon Lane 9",
            services: &[CentreService::Shelter],
            ..NewCentre::default()
        },
    )
    .await;
    let inactive = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Closed Centre",
            kind: CentreKind::LegalAid,
            operator_id: c.id,
            region: Region::Gbao,
            district: "Ishkoshim",
            address: "Pamir Road 4",
            active: false,
            services: &[CentreService::MedicalReferral],
            ..NewCentre::default()
        },
    )
    .await;
    let mut closed = inactive.clone().into_active_model();
    closed.accepting_referrals = Set(false);
    closed.update(&app.db).await.expect("a closed centre");
    let b_centre = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Birch Centre",
            operator_id: b.id,
            address: "Bokhtar Street 3",
            ..NewCentre::default()
        },
    )
    .await;

    let internal = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2030-HD-01",
            title: Localized::en("Hiddenproject"),
            visibility: Visibility::Internal,
            status: ProjectStatus::Planned,
            start: "2030-06-01",
            end: Some("2030-12-31"),
            areas: &[ThematicArea::CombatingTrafficking],
            regions: &[Region::Gbao],
            partners: &[(a.id, PartnerRole::Implementing)],
            ..NewProject::default()
        },
    )
    .await;
    let public = fixtures::project(
        &app.db,
        NewProject {
            code: "PO-2025-PB-01",
            title: Localized::en("Open project"),
            end: Some("2025-12-31"),
            ..NewProject::default()
        },
    )
    .await;

    let quiet = fixtures::event(
        &app.db,
        NewEvent {
            title: "Quietmeeting",
            organiser_id: b.id,
            kind: EventKind::StudyVisit,
            starts: "2031-02-01",
            region: Region::Gbao,
            district: "Rushan",
            published: false,
            ..NewEvent::default()
        },
    )
    .await;
    let under_internal = fixtures::event(
        &app.db,
        NewEvent {
            title: "Projectevent",
            project_id: Some(internal.id),
            organiser_id: b.id,
            starts: "2030-07-01",
            ..NewEvent::default()
        },
    )
    .await;
    let open = fixtures::event(
        &app.db,
        NewEvent {
            title: "Open event",
            project_id: Some(public.id),
            organiser_id: a.id,
            starts: "2025-04-01",
            ..NewEvent::default()
        },
    )
    .await;

    let tokens: HashMap<Principal, String> = users
        .iter()
        .map(|(who, user)| (*who, user.access_token.clone()))
        .collect();
    let report = app
        .data_as(
            &tokens[&PartnerB],
            "mutation($centre: ID!) { submitCentreReport(centreId: $centre, month: \"2025-07-01\", lines: [{ service: LEGAL_CONSULTATION, female: 7, male: 1 }]) { id } }",
            json!({ "centre": b_centre.id.to_string() }),
        )
        .await["submitCentreReport"]["id"]
        .as_str()
        .expect("report id")
        .to_owned();

    let case = |kind: &str, risk: &str, region: &str, district: &str| {
        json!({ "input": {
            "kind": kind, "risk": risk, "survivorSex": "FEMALE",
            "survivorAgeGroup": "ADULT_25_59", "survivorCitizenship": "tj", "region": region,
            "district": district, "servicesRequested": ["SHELTER"],
            "survivorName": "Test Survivor", "contactPhone": "+992 90 000 00 00",
            "address": "Somewhere 1", "notes": "Notes.",
            "consentGiven": true, "consentScope": "Referral",
        } })
    };
    const CREATE: &str =
        "mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id } }";
    let mut case_ids = Vec::new();
    for input in [
        case("TRAFFICKING_LABOUR", "HIGH", "GBAO", "Khorog"),
        case("DOMESTIC_VIOLENCE", "LOW", "KHATLON", "Bokhtar"),
    ] {
        let data = app.data_as(&tokens[&PartnerA], CREATE, input).await;
        case_ids.push(
            data["createReferralCase"]["id"]
                .as_str()
                .expect("case id")
                .to_owned(),
        );
    }
    app.data_as(
        &tokens[&PartnerA],
        "mutation($id: ID!, $to: ID!) { sendReferralCase(id: $id, receivingOrganisationId: $to) { status } }",
        json!({ "id": case_ids[1], "to": b.id.to_string() }),
    )
    .await;
    app.data_as(
        &tokens[&PartnerB],
        "mutation($id: ID!, $me: ID!) { assignReferralCase(id: $id, accountId: $me) { id } }",
        json!({ "id": case_ids[1], "me": users[&PartnerB].account.id.to_string() }),
    )
    .await;

    let notice = entity::notification::Entity::find()
        .filter(entity::notification::Column::AccountId.eq(users[&PartnerB].account.id))
        .one(&app.db)
        .await
        .expect("notifications")
        .expect("the partner of B is told of K2");

    let accounts = users
        .iter()
        .map(|(who, user)| (*who, user.account.id))
        .collect();
    let fixtures = HashMap::from([
        ("N", notice.id.to_string()),
        ("A", a.id.to_string()),
        ("B", b.id.to_string()),
        ("C", c.id.to_string()),
        ("S", shelter.id.to_string()),
        ("I", inactive.id.to_string()),
        ("CB", b_centre.id.to_string()),
        ("P", internal.id.to_string()),
        ("Q", public.id.to_string()),
        ("E1", quiet.id.to_string()),
        ("E2", under_internal.id.to_string()),
        ("E3", open.id.to_string()),
        ("R", report),
        ("K1", case_ids[0].clone()),
        ("K2", case_ids[1].clone()),
        ("disabled", disabled.id.to_string()),
    ]);
    World {
        app,
        tokens,
        ids: Ids { fixtures, accounts },
    }
}

/// The fixtures' names; `T` is the audit entry of B's report.
const FIXTURES: [&str; 17] = [
    "A", "B", "C", "S", "I", "CB", "P", "Q", "E1", "E2", "E3", "R", "K1", "K2", "N", "T",
    "disabled",
];

/// A filter of `connection` on `field` with `value`, and the fixtures it finds, each with the
/// principals who may find it.
struct Probe {
    connection: &'static str,
    field: &'static str,
    value: Value,
    finds: Vec<(String, &'static [Principal])>,
}

fn probe(
    connection: &'static str,
    field: &'static str,
    value: Value,
    finds: Vec<(String, &'static [Principal])>,
) -> Probe {
    Probe {
        connection,
        field,
        value,
        finds,
    }
}

/// Every probe. The values are those the fixtures alone carry (see the module's header).
fn probes(w: &Ids) -> Vec<Probe> {
    let id = |name: &str| w.id(name);
    let k_both = || {
        vec![
            (id("K1"), OF_A),
            (id("K2"), &[PartnerA, ManagerA, PartnerB, Staff, Admin][..]),
        ]
    };
    let audit = |field, value| probe("auditLog", field, value, vec![(id("T"), ADMIN)]);
    let account =
        |field, value, target: String| probe("accounts", field, value, vec![(target, ADMIN)]);
    let today = Utc::now().date_naive();
    vec![
        // Organisations: C takes part in no public content.
        probe(
            "organisations",
            "search",
            json!("cerulean"),
            vec![(id("C"), SIGNED_IN)],
        ),
        probe(
            "organisations",
            "kind",
            json!("DONOR"),
            vec![(id("C"), SIGNED_IN)],
        ),
        // Centres: the shelter's address is the public's blind spot; I is the office's.
        probe(
            "resourceCentres",
            "search",
            json!("zarafshon"),
            vec![(id("S"), SIGNED_IN)],
        ),
        probe(
            "resourceCentres",
            "search",
            json!("pamir road"),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "search",
            json!("closed centre"),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "search",
            json!("ishkoshim"),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "kind",
            json!("LEGAL_AID"),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "service",
            json!("MEDICAL_REFERRAL"),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "region",
            json!("GBAO"),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "district",
            json!("Ishkoshim"),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "acceptingReferrals",
            json!(false),
            vec![(id("I"), OFFICE)],
        ),
        probe(
            "resourceCentres",
            "operatorId",
            json!(id("C")),
            vec![(id("I"), OFFICE)],
        ),
        // Projects: P is internal, A a partner.
        probe(
            "projects",
            "search",
            json!("hiddenproject"),
            vec![(id("P"), OF_A)],
        ),
        probe(
            "projects",
            "search",
            json!("po-2030-hd"),
            vec![(id("P"), OF_A)],
        ),
        probe(
            "projects",
            "thematicArea",
            json!("COMBATING_TRAFFICKING"),
            vec![(id("P"), OF_A)],
        ),
        probe(
            "projects",
            "status",
            json!("PLANNED"),
            vec![(id("P"), OF_A)],
        ),
        probe("projects", "region", json!("GBAO"), vec![(id("P"), OF_A)]),
        probe(
            "projects",
            "activeDuring",
            json!({ "from": "2030-01-01", "to": "2030-12-31" }),
            vec![(id("P"), OF_A)],
        ),
        probe(
            "projects",
            "partnerId",
            json!(id("A")),
            vec![(id("P"), OF_A)],
        ),
        probe(
            "projects",
            "visibility",
            json!("INTERNAL"),
            vec![(id("P"), OF_A)],
        ),
        // Events: E1 is B's and unpublished; E2 is B's, under A's internal project P, which
        // B may not read: B must not find E2 by P's id or P's area.
        probe(
            "events",
            "search",
            json!("quietmeeting"),
            vec![(id("E1"), OF_B)],
        ),
        probe("events", "search", json!("rushan"), vec![(id("E1"), OF_B)]),
        probe(
            "events",
            "kind",
            json!("STUDY_VISIT"),
            vec![(id("E1"), OF_B)],
        ),
        probe("events", "region", json!("GBAO"), vec![(id("E1"), OF_B)]),
        probe(
            "events",
            "district",
            json!("Rushan"),
            vec![(id("E1"), OF_B)],
        ),
        probe(
            "events",
            "during",
            json!({ "from": "2031-01-01", "to": "2031-12-31" }),
            vec![(id("E1"), OF_B)],
        ),
        probe(
            "events",
            "thematicArea",
            json!("COMBATING_TRAFFICKING"),
            vec![(id("E2"), OF_A)],
        ),
        probe(
            "events",
            "projectId",
            json!(id("P")),
            vec![(id("E2"), OF_A)],
        ),
        probe(
            "events",
            "organiserId",
            json!(id("B")),
            vec![
                (id("E1"), OF_B),
                (id("E2"), &[PartnerA, ManagerA, PartnerB, Staff, Admin][..]),
            ],
        ),
        // Accounts: listed by admins and managers (their own organisation's); B's accounts
        // and the staff are the admin's alone.
        account(
            "search",
            json!(w.accounts[&PartnerB].simple().to_string()),
            w.accounts[&PartnerB].to_string(),
        ),
        account("role", json!("STAFF"), w.accounts[&Staff].to_string()),
        account("status", json!("DISABLED"), id("disabled")),
        account(
            "organisationId",
            json!(id("B")),
            w.accounts[&PartnerB].to_string(),
        ),
        // Centre reports: B's centre's, read by B and the office.
        probe(
            "centreReports",
            "centreId",
            json!(id("CB")),
            vec![(id("R"), OF_B)],
        ),
        probe(
            "centreReports",
            "from",
            json!("2025-07-01"),
            vec![(id("R"), OF_B)],
        ),
        probe(
            "centreReports",
            "to",
            json!("2025-07-31"),
            vec![(id("R"), OF_B)],
        ),
        // R awaits approval (the fixtures' only report).
        probe(
            "centreReports",
            "approval",
            json!("PENDING"),
            vec![(id("R"), OF_B)],
        ),
        // Referral cases: K1 is A's draft; K2 A's, referred to B.
        probe(
            "referralCases",
            "direction",
            json!("OUTGOING"),
            vec![
                (id("K1"), &[PartnerA, ManagerA][..]),
                (id("K2"), &[PartnerA, ManagerA][..]),
            ],
        ),
        probe(
            "referralCases",
            "direction",
            json!("INCOMING"),
            vec![(id("K2"), &[PartnerB][..])],
        ),
        probe(
            "referralCases",
            "status",
            json!("DRAFT"),
            vec![(id("K1"), OF_A)],
        ),
        probe(
            "referralCases",
            "kind",
            json!("TRAFFICKING_LABOUR"),
            vec![(id("K1"), OF_A)],
        ),
        probe(
            "referralCases",
            "risk",
            json!("HIGH"),
            vec![(id("K1"), OF_A)],
        ),
        probe(
            "referralCases",
            "region",
            json!("GBAO"),
            vec![(id("K1"), OF_A)],
        ),
        probe("referralCases", "overdue", json!(false), k_both()),
        // Assignment filters: each party organisation's own queue; the office has none.
        probe(
            "referralCases",
            "assignedToMe",
            json!(true),
            vec![(id("K2"), &[PartnerB][..])],
        ),
        probe(
            "referralCases",
            "unassigned",
            json!(true),
            vec![
                (id("K1"), &[PartnerA, ManagerA][..]),
                (id("K2"), &[PartnerA, ManagerA][..]),
            ],
        ),
        probe(
            "referralCases",
            "opened",
            json!({ "from": (today - Duration::days(1)).to_string(), "to": (today + Duration::days(1)).to_string() }),
            k_both(),
        ),
        // The inbox: each account's own alone.
        probe(
            "notifications",
            "unread",
            json!(true),
            vec![(id("N"), &[PartnerB][..])],
        ),
        // The audit log: the admin's alone. T is B's report submission.
        audit("actorAccountId", json!(w.accounts[&PartnerB].to_string())),
        audit("organisationId", json!(id("B"))),
        audit("action", json!("centre_report.submit")),
        audit("entityType", json!("centre_report")),
        audit("entityId", json!(id("R"))),
        audit("outcome", json!("SUCCESS")),
        audit(
            "from",
            json!((Utc::now() - Duration::hours(1)).to_rfc3339()),
        ),
        audit(
            "until",
            json!((Utc::now() + Duration::hours(1)).to_rfc3339()),
        ),
    ]
}

/// The connections of the query root: (field, filter input type, ordering enum).
fn connections() -> Vec<(String, Option<String>, Option<String>)> {
    let schema = &*answers::SCHEMA;
    let type_name = |ty: &async_graphql::parser::types::Type| match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(_) => String::new(),
    };
    schema
        .fields("Query")
        .iter()
        .map(|field| &field.node)
        .filter(|field| type_name(&field.ty.node).ends_with("Connection"))
        .map(|field| {
            let argument = |name: &str| {
                field
                    .arguments
                    .iter()
                    .find(|argument| argument.node.name.node.as_str() == name)
                    .map(|argument| type_name(&argument.node.ty.node))
            };
            (
                field.name.node.to_string(),
                argument("filter"),
                argument("orderBy"),
            )
        })
        .collect()
}

fn input_fields(type_name: &str) -> Vec<String> {
    match answers::SCHEMA.kind(type_name) {
        Some(TypeKind::InputObject(object)) => object
            .fields
            .iter()
            .map(|field| field.node.name.node.to_string())
            .collect(),
        _ => panic!("{type_name} is not an input type of schema.graphql"),
    }
}

fn enum_values(type_name: &str) -> Vec<String> {
    match answers::SCHEMA.kind(type_name) {
        Some(TypeKind::Enum(values)) => values
            .values
            .iter()
            .map(|value| value.node.value.node.to_string())
            .collect(),
        _ => panic!("{type_name} is not an enum of schema.graphql"),
    }
}

/// An ordering, and the field of a node its order follows.
struct Sort {
    connection: &'static str,
    order: &'static str,
    /// Where the key is in a node: a field, or a field of an object field.
    key: &'static [&'static str],
    descending: bool,
    /// Rows without a key come last (a case's deadline, before it is referred).
    nulls_last: bool,
}

impl Sort {
    const fn asc(
        connection: &'static str,
        order: &'static str,
        key: &'static [&'static str],
    ) -> Self {
        Self {
            connection,
            order,
            key,
            descending: false,
            nulls_last: false,
        }
    }

    const fn desc(
        connection: &'static str,
        order: &'static str,
        key: &'static [&'static str],
    ) -> Self {
        Self {
            descending: true,
            ..Self::asc(connection, order, key)
        }
    }

    const fn nulls_last(self) -> Self {
        Self {
            nulls_last: true,
            ..self
        }
    }

    /// The selection that reads the key: `nameTranslations { en }`.
    fn selection(&self) -> String {
        self.key.iter().rev().fold(String::new(), |inner, field| {
            if inner.is_empty() {
                (*field).to_owned()
            } else {
                format!("{field} {{ {inner} }}")
            }
        })
    }

    fn key_of<'a>(&self, node: &'a Value) -> &'a Value {
        self.key.iter().fold(node, |value, field| &value[*field])
    }
}

const NAME: &[&str] = &["nameTranslations", "en"];

const SORTS: &[Sort] = &[
    Sort::asc("organisations", "NAME_ASC", NAME),
    Sort::desc("projects", "START_DATE_DESC", &["startDate"]),
    Sort::asc("projects", "START_DATE_ASC", &["startDate"]),
    Sort::asc("projects", "CODE_ASC", &["code"]),
    Sort::desc("events", "STARTS_ON_DESC", &["startsOn"]),
    Sort::asc("events", "STARTS_ON_ASC", &["startsOn"]),
    Sort::asc("resourceCentres", "NAME_ASC", NAME),
    Sort::asc("resourceCentres", "DISTRICT_ASC", &["district"]),
    Sort::desc("referralCases", "OPENED_DESC", &["createdAt"]),
    Sort::asc("referralCases", "OPENED_ASC", &["createdAt"]),
    Sort::asc("referralCases", "RESPONSE_DUE_ASC", &["responseDueAt"]).nulls_last(),
    Sort::desc("referralCases", "RESPONSE_DUE_DESC", &["responseDueAt"]).nulls_last(),
    Sort::asc("referralCases", "CODE_ASC", &["code"]),
    Sort::desc("referralCases", "CODE_DESC", &["code"]),
];

#[tokio::test]
async fn every_filter_field_and_ordering_has_a_probe() {
    // The probes' names alone are checked here, against schema.graphql: their values may be
    // any ids.
    let ids = Ids {
        fixtures: FIXTURES
            .into_iter()
            .map(|name| (name, Uuid::nil().to_string()))
            .collect(),
        accounts: PRINCIPALS.iter().map(|who| (*who, Uuid::nil())).collect(),
    };
    let probed: BTreeSet<(String, String)> = probes(&ids)
        .iter()
        .map(|probe| (probe.connection.to_owned(), probe.field.to_owned()))
        .collect();
    let sorted: BTreeSet<(String, String)> = SORTS
        .iter()
        .map(|sort| (sort.connection.to_owned(), sort.order.to_owned()))
        .collect();
    let mut missing = Vec::new();
    let mut known = BTreeSet::new();
    for (connection, filter, order) in connections() {
        for field in filter.as_deref().map(input_fields).unwrap_or_default() {
            known.insert((connection.clone(), field.clone()));
            if !probed.contains(&(connection.clone(), field.clone())) {
                missing.push(format!("{connection}(filter: {{ {field} }}) has no probe"));
            }
        }
        for value in order.as_deref().map(enum_values).unwrap_or_default() {
            if !sorted.contains(&(connection.clone(), value.clone())) {
                missing.push(format!("{connection}(orderBy: {value}) has no sort check"));
            }
        }
    }
    for (connection, field) in probed.difference(&known) {
        missing.push(format!(
            "a probe names {connection}.{field}, which the schema lacks"
        ));
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The ids a principal's answer holds, or `None` for a refusal.
fn found(response: &Value, connection: &str) -> Result<Option<BTreeSet<String>>, String> {
    if let Some(errors) = response["errors"].as_array() {
        let codes: Vec<&str> = errors
            .iter()
            .map(|error| error["extensions"]["code"].as_str().unwrap_or("<none>"))
            .collect();
        return if codes.iter().all(|code| REFUSALS.contains(code)) {
            Ok(None)
        } else {
            Err(format!("errors {codes:?}"))
        };
    }
    Ok(Some(
        nodes(&response["data"][connection])
            .iter()
            .filter_map(|node| node["id"].as_str().map(str::to_owned))
            .collect(),
    ))
}

#[tokio::test]
async fn no_principal_finds_what_it_may_not_read_and_each_reader_finds_it() {
    let mut w = world().await;
    let report = w.id("R");
    let submission = w
        .app
        .audit_of(report.parse().expect("a report id"))
        .await
        .into_iter()
        .find(|entry| entry.action == "centre_report.submit")
        .expect("the submission's audit entry");
    w.ids.fixtures.insert("T", submission.id.to_string());
    let filter_types: HashMap<String, String> = connections()
        .into_iter()
        .filter_map(|(connection, filter, _)| filter.map(|filter| (connection, filter)))
        .collect();

    let mut failures = Vec::new();
    for probe in probes(&w.ids) {
        assert!(
            probe.finds.iter().any(|(_, readers)| !readers.is_empty()),
            "{}.{}: a probe nobody passes tests nothing",
            probe.connection,
            probe.field
        );
        assert!(
            PRINCIPALS.iter().any(|who| probe
                .finds
                .iter()
                .any(|(_, readers)| !readers.contains(who))),
            "{}.{}: a probe everyone passes tests nothing",
            probe.connection,
            probe.field
        );
        let query = format!(
            "query($filter: {}) {{ {}(filter: $filter, first: 100) {{ edges {{ node {{ id }} }} }} }}",
            filter_types[probe.connection], probe.connection
        );
        let variables = json!({ "filter": { probe.field: probe.value } });
        for who in PRINCIPALS {
            let response = w.ask(who, &query, variables.clone()).await;
            let context = format!(
                "{}(filter: {{ {}: {} }}) as {who:?}",
                probe.connection, probe.field, probe.value
            );
            let readable: BTreeSet<String> = probe
                .finds
                .iter()
                .filter(|(_, readers)| readers.contains(&who))
                .map(|(id, _)| id.clone())
                .collect();
            let hidden: BTreeSet<String> = probe
                .finds
                .iter()
                .filter(|(_, readers)| !readers.contains(&who))
                .map(|(id, _)| id.clone())
                .collect();
            match found(&response, probe.connection) {
                Err(error) => failures.push(format!("{context}: {error}: {response}")),
                Ok(None) if !readable.is_empty() => {
                    failures.push(format!("{context}: refused, but may read {readable:?}"));
                }
                Ok(None) => {}
                Ok(Some(ids)) => {
                    if !readable.is_subset(&ids) {
                        failures.push(format!("{context}: missed {:?}", &readable - &ids));
                    }
                    if !hidden.is_disjoint(&ids) {
                        failures.push(format!("{context}: FOUND {:?}", &hidden & &ids));
                    }
                    // Only the audit log holds rows beyond the fixtures, and only the admin
                    // reads it: everyone else gets the fixtures it may read, nothing more.
                    if readable.is_empty() && !ids.is_empty() {
                        failures.push(format!("{context}: expected nothing, got {ids:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether `keys` are in order: each key readable (never null, save where nulls come last),
/// ascending or descending.
fn in_order(keys: &[Value], sort: &Sort) -> Result<(), String> {
    let text = |key: &Value| key.as_str().map(str::to_lowercase);
    let mut seen_null = false;
    let mut previous: Option<String> = None;
    for key in keys {
        match text(key) {
            None if sort.nulls_last => seen_null = true,
            None => return Err(format!("a key the reader cannot read: {key}")),
            Some(_) if seen_null => return Err("a key after the rows without one".into()),
            Some(key) => {
                if let Some(previous) = &previous {
                    let ordered = if sort.descending {
                        previous >= &key
                    } else {
                        previous <= &key
                    };
                    if !ordered {
                        return Err(format!("{previous} then {key}"));
                    }
                }
                previous = Some(key);
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_ordering_follows_a_field_its_reader_reads() {
    let w = world().await;
    let mut failures = Vec::new();
    for sort in SORTS {
        let query = format!(
            "{{ {}(orderBy: {}, first: 100) {{ edges {{ node {{ id {} }} }} }} }}",
            sort.connection,
            sort.order,
            sort.selection()
        );
        let mut longest = 0;
        for who in PRINCIPALS {
            let response = w.ask(who, &query, json!({})).await;
            let context = format!("{}(orderBy: {}) as {who:?}", sort.connection, sort.order);
            match found(&response, sort.connection) {
                Err(error) => failures.push(format!("{context}: {error}: {response}")),
                Ok(None) => {}
                Ok(Some(_)) => {
                    let keys: Vec<Value> = nodes(&response["data"][sort.connection])
                        .into_iter()
                        .map(|node| sort.key_of(node).clone())
                        .collect();
                    longest = longest.max(keys.len());
                    if let Err(error) = in_order(&keys, sort) {
                        failures.push(format!("{context}: {error}"));
                    }
                }
            }
        }
        if longest < 2 {
            failures.push(format!(
                "{}(orderBy: {}): no principal saw two rows to order",
                sort.connection, sort.order
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_public_finds_a_centre_by_an_address_it_may_read_and_not_a_shelter() {
    let w = world().await;
    let search = |text: &str| json!({ "filter": { "search": text } });
    const QUERY: &str = "query($filter: CentreFilterInput) { resourceCentres(filter: $filter) { edges { node { id address } } } }";
    let data = w.app.data(QUERY, search("bokhtar street")).await;
    let found = nodes(&data["resourceCentres"]);
    assert_eq!(found.len(), 1, "{data:#}");
    assert_eq!(found[0]["id"], json!(w.id("CB")));
    assert_eq!(found[0]["address"], json!("Bokhtar Street 3"));

    // The shelter is in the public directory by name, without its address.
    let data = w.app.data(QUERY, search("safe house")).await;
    let found = nodes(&data["resourceCentres"]);
    assert_eq!(found.len(), 1, "{data:#}");
    assert_eq!(found[0]["address"], Value::Null);
    assert!(nodes(&w.app.data(QUERY, search("zarafshon")).await["resourceCentres"]).is_empty());
}

#[tokio::test]
async fn an_export_shows_an_event_s_project_only_to_who_may_read_it() {
    let w = world().await;
    let download = |who: Principal, query: &'static str| {
        let token = w.tokens[&who].clone();
        let url = format!("{}/exports/events.csv{query}", w.app.address);
        let client = w.app.client.clone();
        async move {
            let response = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("download");
            assert_eq!(response.status(), 200);
            response.text().await.expect("CSV")
        }
    };
    let project = w.id("P");
    let event = w.id("E2");
    // A, a partner of P, reads the event and its project.
    let of_a = download(PartnerA, "").await;
    let line = of_a
        .lines()
        .find(|line| line.starts_with(&event))
        .expect("E2 in A's file");
    assert!(line.contains(&project), "{line}");
    // B organised the event but may not read P: its file names no project.
    let of_b = download(PartnerB, "").await;
    let line = of_b
        .lines()
        .find(|line| line.starts_with(&event))
        .expect("E2 in B's file");
    assert!(!line.contains(&project), "{line}");
    assert!(!of_b.contains(&project), "{of_b}");
    // Nor can B narrow its file by P.
    let by_project = w
        .app
        .client
        .get(format!(
            "{}/exports/events.csv?projectId={project}",
            w.app.address
        ))
        .bearer_auth(&w.tokens[&PartnerB])
        .send()
        .await
        .expect("download")
        .text()
        .await
        .expect("CSV");
    assert_eq!(
        by_project.lines().count(),
        1,
        "only the header: {by_project}"
    );
}
