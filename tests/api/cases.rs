//! Referral cases: the workflow, every illegal transition, each principal's view, the version
//! guard, the protected data at rest, consent withdrawal and the access log.

use entity::{
    enums::{CentreKind, CentreService, Role},
    referral_case,
};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp,
    accounts::User,
    error_codes,
    fixtures::{self, NewCentre},
    nodes, spawn_app,
};

/// The survivor's identifying data in these tests; it must never appear where it should not.
pub(crate) const NAME: &str = "Gulnora Testova";
pub(crate) const PHONE: &str = "+992 93 555 01 02";
pub(crate) const ADDRESS: &str = "14 Test Street, Bokhtar";
pub(crate) const NOTES: &str = "Needs a safe place tonight; husband threatens";

pub(crate) struct Org {
    pub(crate) id: Uuid,
    pub(crate) partner: User,
    pub(crate) manager: User,
}

pub(crate) struct World {
    pub(crate) a: Org,
    pub(crate) b: Org,
    pub(crate) c: Org,
    pub(crate) b_centre: Uuid,
    pub(crate) staff: User,
    pub(crate) admin: User,
}

pub(crate) async fn org(app: &TestApp, name: &str) -> Org {
    let organisation = fixtures::organisation(&app.db, name).await;
    Org {
        id: organisation.id,
        partner: app.user(Role::Partner, Some(organisation.id)).await,
        manager: app.user(Role::PartnerManager, Some(organisation.id)).await,
    }
}

pub(crate) async fn world(app: &TestApp) -> World {
    let a = org(app, "Referring NGO").await;
    let b = org(app, "Receiving shelter NGO").await;
    let c = org(app, "Third NGO").await;
    let centre = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Shelter of B",
            kind: CentreKind::Shelter,
            operator_id: b.id,
            services: &[CentreService::Shelter, CentreService::CrisisSupport],
            ..NewCentre::default()
        },
    )
    .await;
    World {
        a,
        b,
        c,
        b_centre: centre.id,
        staff: app.user(Role::Staff, None).await,
        admin: app.user(Role::Admin, None).await,
    }
}

pub(crate) const CREATE: &str = r"
mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id code status version } }";

pub(crate) fn new_case(consent: bool, risk: &str) -> Value {
    json!({ "input": {
        "kind": "DOMESTIC_VIOLENCE", "risk": risk, "survivorSex": "FEMALE",
        "survivorAgeGroup": "ADULT_25_59", "survivorCitizenship": "tj", "region": "KHATLON",
        "district": "Bokhtar", "servicesRequested": ["SHELTER", "CRISIS_SUPPORT"],
        "survivorName": NAME, "contactPhone": PHONE, "address": ADDRESS, "notes": NOTES,
        "consentGiven": consent, "consentScope": "Referral to a shelter and legal aid",
    } })
}

pub(crate) async fn open_case(app: &TestApp, by: &User, risk: &str) -> (String, String) {
    let data = app
        .data_as(&by.access_token, CREATE, new_case(true, risk))
        .await;
    let case = &data["createReferralCase"];
    (
        case["id"].as_str().expect("id").to_owned(),
        case["code"].as_str().expect("code").to_owned(),
    )
}

pub(crate) async fn act(app: &TestApp, by: &User, mutation: &str, id: &str) -> Value {
    app.graphql_as(
        &by.access_token,
        &format!("mutation($id: ID!) {{ {mutation} }}"),
        json!({ "id": id }),
    )
    .await
}

pub(crate) fn send(to: Uuid) -> String {
    format!(r#"sendReferralCase(id: $id, receivingOrganisationId: "{to}") {{ status }}"#)
}

pub(crate) const ACCEPT: &str = "acceptReferralCase(id: $id) { status }";
pub(crate) const START: &str = "startReferralService(id: $id) { status }";
pub(crate) const CLOSE: &str = "closeReferralCase(id: $id, outcome: SERVICES_PROVIDED) { status }";
pub(crate) const DECLINE: &str = "declineReferralCase(id: $id, reason: NO_CAPACITY) { status }";
pub(crate) const WITHDRAW: &str = "withdrawReferralCase(id: $id) { status }";
pub(crate) const WITHDRAW_CONSENT: &str = "withdrawCaseConsent(id: $id) { status }";

pub(crate) fn status(response: &Value) -> &str {
    response["data"]
        .as_object()
        .and_then(|data| data.values().next())
        .and_then(|case| case["status"].as_str())
        .unwrap_or("<error>")
}

pub(crate) const VIEW: &str = r"
query($id: ID!) { referralCase(id: $id) {
  code status overdue responseDueAt firstResponseAt closedAt outcome
  referringOrganisation { name } receivingOrganisation { name }
  history { fromStatus toStatus organisation { name } reason comment }
} }";

#[tokio::test]
async fn a_case_goes_from_draft_to_closed() {
    let app = spawn_app().await;
    let w = world(&app).await;

    let (id, code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    assert!(
        code.starts_with("RC-") && code.len() == "RC-2026-000001".len(),
        "{code}"
    );
    assert!(
        code.ends_with("-000001"),
        "the first case of the year: {code}"
    );

    let sent = app
        .graphql_as(
            &w.a.partner.access_token,
            "mutation($id: ID!, $to: ID!, $centre: ID) { sendReferralCase(id: $id, receivingOrganisationId: $to, receivingCentreId: $centre) { status responseDueAt receivingCentre { name } } }",
            json!({ "id": id, "to": w.b.id.to_string(), "centre": w.b_centre.to_string() }),
        )
        .await;
    assert_eq!(
        sent["data"]["sendReferralCase"]["status"], "REFERRED",
        "{sent:#}"
    );
    assert_eq!(
        sent["data"]["sendReferralCase"]["receivingCentre"]["name"],
        "Shelter of B"
    );
    assert_eq!(
        status(&act(&app, &w.b.partner, ACCEPT, &id).await),
        "ACCEPTED"
    );
    assert_eq!(
        status(&act(&app, &w.b.manager, START, &id).await),
        "IN_SERVICE"
    );
    assert_eq!(status(&act(&app, &w.b.partner, CLOSE, &id).await), "CLOSED");

    let case = app
        .data_as(&w.a.manager.access_token, VIEW, json!({ "id": id }))
        .await;
    let case = &case["referralCase"];
    assert_eq!(case["outcome"], "SERVICES_PROVIDED");
    assert!(case["firstResponseAt"].is_string() && case["closedAt"].is_string());
    let steps: Vec<(Value, Value)> = case["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|step| (step["fromStatus"].clone(), step["toStatus"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("DRAFT")),
            (json!("DRAFT"), json!("REFERRED")),
            (json!("REFERRED"), json!("ACCEPTED")),
            (json!("ACCEPTED"), json!("IN_SERVICE")),
            (json!("IN_SERVICE"), json!("CLOSED")),
        ]
    );
    let (_, second) = open_case(&app, &w.a.partner, "LOW").await;
    assert!(
        second.ends_with("-000002"),
        "numbers follow each other: {second}"
    );
}

/// Brings a new case of A's to `target` through the workflow, B receiving.
pub(crate) async fn case_in(app: &TestApp, w: &World, target: &str) -> String {
    let (id, _) = open_case(app, &w.a.partner, "MEDIUM").await;
    let path: &[(&User, String)] = match target {
        "DRAFT" => &[],
        "REFERRED" => &[(&w.a.partner, send(w.b.id))],
        "ACCEPTED" => &[(&w.a.partner, send(w.b.id)), (&w.b.partner, ACCEPT.into())],
        "DECLINED" => &[(&w.a.partner, send(w.b.id)), (&w.b.partner, DECLINE.into())],
        "IN_SERVICE" => &[
            (&w.a.partner, send(w.b.id)),
            (&w.b.partner, ACCEPT.into()),
            (&w.b.partner, START.into()),
        ],
        "CLOSED" => &[
            (&w.a.partner, send(w.b.id)),
            (&w.b.partner, ACCEPT.into()),
            (&w.b.partner, START.into()),
            (&w.b.partner, CLOSE.into()),
        ],
        "WITHDRAWN" => &[
            (&w.a.partner, send(w.b.id)),
            (&w.a.partner, WITHDRAW.into()),
        ],
        other => panic!("no path to {other}"),
    };
    for (user, mutation) in path {
        let response = act(app, user, mutation, &id).await;
        assert!(response.get("errors").is_none(), "{mutation}: {response:#}");
    }
    id
}

#[tokio::test]
async fn every_illegal_transition_names_the_current_status() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let onward = format!(
        r#"referCaseOnward(id: $id, receivingOrganisationId: "{}") {{ status }}"#,
        w.c.id
    );
    // (status, who acts, mutation): a party to the case, asking for a step the workflow does
    // not allow from that status. The status is checked before whose turn it is.
    let referrer = &w.a.partner;
    let receiver = &w.b.partner;
    let cases: Vec<(&str, &User, String)> = vec![
        // A draft is its referrer's alone (the receiver does not see it yet).
        ("DRAFT", referrer, ACCEPT.into()),
        ("DRAFT", referrer, WITHDRAW.into()),
        ("REFERRED", referrer, send(w.b.id)),
        ("REFERRED", receiver, START.into()),
        ("ACCEPTED", receiver, ACCEPT.into()),
        ("ACCEPTED", receiver, DECLINE.into()),
        ("ACCEPTED", referrer, WITHDRAW.into()),
        ("DECLINED", receiver, ACCEPT.into()),
        ("DECLINED", receiver, START.into()),
        ("IN_SERVICE", receiver, ACCEPT.into()),
        ("IN_SERVICE", referrer, WITHDRAW.into()),
        ("CLOSED", receiver, CLOSE.into()),
        ("CLOSED", referrer, onward.clone()),
        ("CLOSED", referrer, WITHDRAW_CONSENT.into()),
        ("WITHDRAWN", receiver, ACCEPT.into()),
        ("WITHDRAWN", referrer, send(w.c.id)),
    ];
    for (from, user, mutation) in cases {
        let id = case_in(&app, &w, from).await;
        let response = act(&app, user, &mutation, &id).await;
        assert_eq!(
            error_codes(&response),
            ["BAD_USER_INPUT"],
            "{mutation} in {from}: {response:#}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["fields"][0]["field"],
            "status"
        );
        let message = response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains(from),
            "the message names {from}: {message}"
        );
    }
}

#[tokio::test]
async fn only_the_organisation_whose_turn_it_is_acts() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cases: Vec<(&str, &User, String)> = vec![
        // The receiver answers; the referrer cannot answer its own referral.
        ("REFERRED", &w.a.partner, ACCEPT.into()),
        ("REFERRED", &w.a.manager, DECLINE.into()),
        // The referrer withdraws; the receiver cannot.
        ("REFERRED", &w.b.partner, WITHDRAW.into()),
        ("ACCEPTED", &w.a.partner, START.into()),
        ("IN_SERVICE", &w.a.partner, CLOSE.into()),
        // The office does not act on cases.
        ("REFERRED", &w.staff, ACCEPT.into()),
        ("REFERRED", &w.admin, WITHDRAW.into()),
        ("DRAFT", &w.admin, send(w.b.id)),
    ];
    for (from, user, mutation) in cases {
        let id = case_in(&app, &w, from).await;
        let response = act(&app, user, &mutation, &id).await;
        assert_eq!(
            error_codes(&response),
            ["FORBIDDEN"],
            "{mutation} in {from}: {response:#}"
        );
    }
    // A third organisation does not see the case at all.
    let id = case_in(&app, &w, "REFERRED").await;
    let response = act(&app, &w.c.partner, ACCEPT, &id).await;
    assert_eq!(error_codes(&response), ["NOT_FOUND"]);
}

pub(crate) const IDENTIFYING: &str = "query($id: ID!) { referralCase(id: $id) { identifying { survivorName contactPhone address notes } } }";

#[tokio::test]
async fn each_principal_sees_what_the_design_allows() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_in(&app, &w, "ACCEPTED").await;

    for party in [&w.a.partner, &w.a.manager, &w.b.partner, &w.b.manager] {
        let data = app
            .data_as(&party.access_token, IDENTIFYING, json!({ "id": id }))
            .await;
        let identifying = &data["referralCase"]["identifying"];
        assert_eq!(identifying["survivorName"], NAME);
        assert_eq!(identifying["contactPhone"], PHONE);
        assert_eq!(identifying["address"], ADDRESS);
        assert_eq!(identifying["notes"], NOTES);
    }
    for office in [&w.staff, &w.admin] {
        let view = app
            .data_as(&office.access_token, VIEW, json!({ "id": id }))
            .await;
        assert_eq!(view["referralCase"]["status"], "ACCEPTED");
        let response = app
            .graphql_as(&office.access_token, IDENTIFYING, json!({ "id": id }))
            .await;
        assert_eq!(error_codes(&response), ["FORBIDDEN"]);
        assert!(!response.to_string().contains(NAME));
    }
    let stranger = app
        .graphql_as(&w.c.partner.access_token, VIEW, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&stranger), ["NOT_FOUND"]);
    let anonymous = app.graphql(VIEW, json!({ "id": id })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let lists = app
        .data_as(
            &w.c.partner.access_token,
            "{ referralCases { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(lists["referralCases"]["totalCount"], 0);
    let office_list = app
        .data_as(
            &w.staff.access_token,
            "{ referralCases { totalCount edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(office_list["referralCases"]["totalCount"], 1);
}

#[tokio::test]
async fn every_read_of_identifying_data_is_in_the_access_log() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_in(&app, &w, "REFERRED").await;

    app.data_as(&w.a.partner.access_token, IDENTIFYING, json!({ "id": id }))
        .await;
    app.data_as(&w.b.manager.access_token, IDENTIFYING, json!({ "id": id }))
        .await;
    app.graphql_as(&w.admin.access_token, IDENTIFYING, json!({ "id": id }))
        .await;

    let log = app
        .data_as(
            &w.b.partner.access_token,
            "query($id: ID!) { referralCase(id: $id) { accessLog { at accountId organisation { name } } } }",
            json!({ "id": id }),
        )
        .await;
    let entries = log["referralCase"]["accessLog"].as_array().expect("log");
    assert_eq!(entries.len(), 2, "{log:#}");
    let organisations: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry["organisation"]["name"].as_str())
        .collect();
    assert!(
        organisations.contains(&"Referring NGO"),
        "{organisations:?}"
    );
    assert!(
        organisations.contains(&"Receiving shelter NGO"),
        "{organisations:?}"
    );
    // To B, B's own reader is named; A's reader only by organisation.
    let named: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry["accountId"].as_str())
        .collect();
    assert_eq!(named, [w.b.manager.account.id.to_string().as_str()]);
    let office_log = app
        .graphql_as(
            &w.staff.access_token,
            "query($id: ID!) { referralCase(id: $id) { accessLog { at } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&office_log), ["FORBIDDEN"]);
    // The refused attempt is audited too, as denied.
    let denied = app
        .audit_of(Uuid::parse_str(&id).expect("uuid"))
        .await
        .into_iter()
        .filter(|entry| {
            entry.action == "case.read_identifying"
                && entry.outcome == entity::enums::AuditOutcome::Denied
        })
        .count();
    assert_eq!(denied, 1);
}

#[tokio::test]
async fn the_database_holds_no_identifying_plaintext() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_in(&app, &w, "ACCEPTED").await;
    app.data_as(&w.b.partner.access_token, IDENTIFYING, json!({ "id": id }))
        .await;

    let row = referral_case::Entity::find_by_id(Uuid::parse_str(&id).expect("uuid"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("case");
    for (column, secret) in [
        (&row.survivor_name, NAME),
        (&row.contact_phone, PHONE),
        (&row.address, ADDRESS),
        (&row.notes, NOTES),
    ] {
        let stored = column.as_ref().expect("stored");
        assert!(
            !stored
                .windows(secret.len())
                .any(|window| window == secret.as_bytes()),
            "plaintext in the column"
        );
        assert_eq!(
            api::crypto::DataKeys::key_id_of(stored),
            Some("owner"),
            "each value is sealed with the case's own key"
        );
    }
    assert_eq!(
        api::crypto::DataKeys::key_id_of(row.data_key.as_deref().expect("the case's key")),
        Some(app.config.auth.data_keys.current_key_id()),
        "the case's key is wrapped under the current data key"
    );
    // Nor in the case's other rows: its history and the audit log.
    let history = format!(
        "{:?}",
        entity::referral_transition::Entity::find()
            .all(&app.db)
            .await
            .expect("history")
    );
    for secret in [NAME, PHONE, ADDRESS, NOTES] {
        assert!(!history.contains(secret));
    }
    let audit = format!("{:?}", app.audit_of(row.id).await);
    for secret in [NAME, PHONE, ADDRESS, NOTES] {
        assert!(!audit.contains(secret));
    }
}

#[tokio::test]
async fn withdrawn_consent_erases_the_identifying_data_for_good() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_in(&app, &w, "IN_SERVICE").await;

    let response = act(&app, &w.b.partner, WITHDRAW_CONSENT, &id).await;
    assert_eq!(status(&response), "CLOSED", "{response:#}");

    let row = referral_case::Entity::find_by_id(Uuid::parse_str(&id).expect("uuid"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("case");
    assert!(row.survivor_name.is_none() && row.contact_phone.is_none());
    assert!(row.address.is_none() && row.notes.is_none());
    assert!(row.erased_at.is_some() && !row.consent_given);
    let view = app
        .data_as(&w.a.partner.access_token, VIEW, json!({ "id": id }))
        .await;
    assert_eq!(view["referralCase"]["outcome"], "CONSENT_WITHDRAWN");
    let read = app
        .graphql_as(&w.a.partner.access_token, IDENTIFYING, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&read), ["CONFLICT"]);
}

#[tokio::test]
async fn a_previous_receiver_keeps_only_the_non_identifying_history() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_in(&app, &w, "DECLINED").await;

    let onward = app
        .graphql_as(
            &w.a.partner.access_token,
            "mutation($id: ID!, $to: ID!) { referCaseOnward(id: $id, receivingOrganisationId: $to, comment: \"B has no place\") { status receivingOrganisation { name } } }",
            json!({ "id": id, "to": w.c.id.to_string() }),
        )
        .await;
    assert_eq!(
        onward["data"]["referCaseOnward"]["status"], "REFERRED",
        "{onward:#}"
    );
    assert_eq!(
        onward["data"]["referCaseOnward"]["receivingOrganisation"]["name"],
        "Third NGO"
    );

    let history = app
        .data_as(&w.b.partner.access_token, VIEW, json!({ "id": id }))
        .await;
    assert_eq!(
        history["referralCase"]["history"].as_array().map(Vec::len),
        Some(4)
    );
    let read = app
        .graphql_as(&w.b.partner.access_token, IDENTIFYING, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&read), ["FORBIDDEN"]);
    let act_again = act(&app, &w.b.partner, ACCEPT, &id).await;
    assert_eq!(error_codes(&act_again), ["FORBIDDEN"]);
    let new_receiver = app
        .data_as(&w.c.partner.access_token, IDENTIFYING, json!({ "id": id }))
        .await;
    assert_eq!(
        new_receiver["referralCase"]["identifying"]["survivorName"],
        NAME
    );
    // B's decline answered the first referral; C has not answered yet, so the case has no
    // first answer until C's, which comes after the onward referral.
    let pending = app
        .data_as(&w.c.partner.access_token, VIEW, json!({ "id": id }))
        .await;
    assert_eq!(pending["referralCase"]["firstResponseAt"], Value::Null);
    assert_eq!(
        status(&act(&app, &w.c.manager, ACCEPT, &id).await),
        "ACCEPTED"
    );
    let answered = app
        .data_as(
            &w.c.partner.access_token,
            "query($id: ID!) { referralCase(id: $id) { firstResponseAt history { toStatus at } } }",
            json!({ "id": id }),
        )
        .await;
    let history = answered["referralCase"]["history"]
        .as_array()
        .expect("history");
    let onward_at = history
        .iter()
        .rev()
        .find(|step| step["toStatus"] == "REFERRED")
        .and_then(|step| step["at"].as_str())
        .expect("the onward referral");
    let first_answer = answered["referralCase"]["firstResponseAt"]
        .as_str()
        .expect("C answered");
    assert!(
        first_answer >= onward_at,
        "{first_answer} is before the referral it answers ({onward_at})"
    );
}

#[tokio::test]
async fn of_concurrent_accepts_exactly_one_wins() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let second = app.user(Role::Partner, Some(w.b.id)).await;
    let third = app.user(Role::Partner, Some(w.b.id)).await;

    for _ in 0..3 {
        let id = case_in(&app, &w, "REFERRED").await;
        let (one, two, three, four) = tokio::join!(
            act(&app, &w.b.partner, ACCEPT, &id),
            act(&app, &w.b.manager, ACCEPT, &id),
            act(&app, &second, ACCEPT, &id),
            act(&app, &third, DECLINE, &id),
        );
        let responses = [one, two, three, four];
        let winners = responses
            .iter()
            .filter(|response| response.get("errors").is_none())
            .count();
        assert_eq!(winners, 1, "{responses:#?}");
        for loser in responses
            .iter()
            .filter(|response| response.get("errors").is_some())
        {
            // The version guard refuses a writer that read before the winner committed; one
            // that read after sees the new status.
            let codes = error_codes(loser);
            assert!(
                codes == ["CONFLICT"] || codes == ["BAD_USER_INPUT"],
                "{loser:#}"
            );
        }
        let history = app
            .data_as(&w.a.partner.access_token, VIEW, json!({ "id": id }))
            .await;
        assert_eq!(
            history["referralCase"]["history"].as_array().map(Vec::len),
            Some(3),
            "one answer recorded"
        );
    }
}

#[tokio::test]
async fn a_stale_version_is_refused_with_conflict() {
    // The version guard on its own: the case changes between the read and the write.
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = Uuid::parse_str(&case_in(&app, &w, "REFERRED").await).expect("uuid");
    let caller = api::auth::Caller::system(
        app.services()
            .auth()
            .authenticate(&w.b.partner.access_token)
            .await
            .expect("actor"),
    );
    let services = app.services();
    let cases = services.cases();
    let read = referral_case::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("case");
    // Another writer bumps the version after our read.
    let mut other = read.clone().into_active_model();
    other.version = Set(read.version + 1);
    other.update(&app.db).await.expect("bump");

    let result = cases.accept_from(&caller, read).await;

    assert!(
        matches!(result, Err(api::error::ApiError::Conflict(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn answers_are_due_sooner_for_high_risk_and_late_ones_are_overdue() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (high, _) = open_case(&app, &w.a.partner, "HIGH").await;
    let (low, _) = open_case(&app, &w.a.partner, "LOW").await;
    for id in [&high, &low] {
        act(&app, &w.a.partner, &send(w.b.id), id).await;
    }
    let due = |data: &Value| {
        chrono::DateTime::parse_from_rfc3339(
            data["referralCase"]["responseDueAt"]
                .as_str()
                .unwrap_or_default(),
        )
        .expect("time")
    };
    let high_view = app
        .data_as(&w.a.partner.access_token, VIEW, json!({ "id": high }))
        .await;
    let low_view = app
        .data_as(&w.a.partner.access_token, VIEW, json!({ "id": low }))
        .await;
    let now = chrono::Utc::now();
    assert!((due(&high_view).with_timezone(&chrono::Utc) - now).num_hours() <= 24);
    assert!((due(&low_view).with_timezone(&chrono::Utc) - now).num_hours() >= 71);
    assert_eq!(high_view["referralCase"]["overdue"], false);

    // The deadline passes (moved in the database).
    let row = referral_case::Entity::find_by_id(Uuid::parse_str(&high).expect("uuid"))
        .one(&app.db)
        .await
        .expect("q")
        .expect("case");
    let mut late = row.into_active_model();
    late.response_due_at = Set(Some(now - chrono::Duration::minutes(1)));
    late.update(&app.db).await.expect("move the deadline");

    let overdue = app
        .data_as(
            &w.b.partner.access_token,
            "{ referralCases(filter: { overdue: true, direction: INCOMING }) { totalCount edges { node { id overdue } } } }",
            json!({}),
        )
        .await;
    assert_eq!(overdue["referralCases"]["totalCount"], 1);
    assert_eq!(nodes(&overdue["referralCases"])[0]["id"], high.as_str());
    assert_eq!(nodes(&overdue["referralCases"])[0]["overdue"], true);
    let on_time = app
        .data_as(
            &w.b.partner.access_token,
            "{ referralCases(filter: { overdue: false }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(on_time["referralCases"]["totalCount"], 1);
    // Answering ends the deadline.
    act(&app, &w.b.partner, ACCEPT, &high).await;
    let answered = app
        .data_as(&w.b.partner.access_token, VIEW, json!({ "id": high }))
        .await;
    assert_eq!(answered["referralCase"]["overdue"], false);
}

#[tokio::test]
async fn lists_filter_by_direction_status_and_kind() {
    let app = spawn_app().await;
    let w = world(&app).await;
    case_in(&app, &w, "REFERRED").await;
    case_in(&app, &w, "DRAFT").await;
    // A case B refers to A.
    let (from_b, _) = open_case(&app, &w.b.partner, "LOW").await;
    act(&app, &w.b.partner, &send(w.a.id), &from_b).await;

    let count = |token: &str, filter: Value| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.data_as(
                &token,
                "query($filter: CaseFilterInput) { referralCases(filter: $filter) { totalCount } }",
                json!({ "filter": filter }),
            )
            .await["referralCases"]["totalCount"]
                .as_u64()
                .unwrap_or(99)
        }
    };
    let a = &w.a.partner.access_token;
    assert_eq!(count(a, json!({})).await, 3);
    assert_eq!(count(a, json!({ "direction": "OUTGOING" })).await, 2);
    assert_eq!(count(a, json!({ "direction": "INCOMING" })).await, 1);
    assert_eq!(count(a, json!({ "status": "DRAFT" })).await, 1);
    assert_eq!(count(a, json!({ "kind": "TRAFFICKING_LABOUR" })).await, 0);
    // The period, alone and with the side (both counted from `case_party`), and with a
    // filter it does not hold.
    let today = chrono::Utc::now().date_naive();
    let day = |days: i64| (today + chrono::Duration::days(days)).to_string();
    let opened = |from: String, to: String| json!({ "from": from, "to": to });
    assert_eq!(
        count(a, json!({ "opened": opened(day(0), day(0)) })).await,
        3
    );
    assert_eq!(
        count(a, json!({ "opened": opened(day(-9), day(-1)) })).await,
        0
    );
    assert_eq!(
        count(
            a,
            json!({ "direction": "OUTGOING", "opened": opened(day(-1), day(1)) })
        )
        .await,
        2
    );
    assert_eq!(
        count(
            a,
            json!({ "direction": "INCOMING", "opened": opened(day(1), day(9)) })
        )
        .await,
        0
    );
    assert_eq!(
        count(
            a,
            json!({ "status": "DRAFT", "opened": opened(day(0), day(0)) })
        )
        .await,
        1
    );
    assert_eq!(
        count(
            a,
            json!({ "direction": "INCOMING", "opened": { "from": day(0) } })
        )
        .await,
        1
    );
    assert_eq!(
        count(&w.b.partner.access_token, json!({})).await,
        2,
        "B does not see A's draft"
    );
    let office = app
        .graphql_as(
            &w.staff.access_token,
            "{ referralCases(filter: { direction: INCOMING }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&office), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn case_input_is_checked() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let token = &w.a.partner.access_token;
    let base = new_case(true, "LOW");
    let cases = [
        (
            json!({ "servicesRequested": [] }),
            "input.servicesRequested",
        ),
        (json!({ "district": " " }), "input.district"),
        (
            json!({ "survivorCitizenship": "Tajikistan" }),
            "input.survivorCitizenship",
        ),
        (
            json!({ "contactPhone": "9".repeat(40) }),
            "input.contactPhone",
        ),
        (json!({ "notes": "x".repeat(2001) }), "input.notes"),
    ];
    for (change, field) in cases {
        let mut input = base["input"].clone();
        if let (Some(input), Value::Object(change)) = (input.as_object_mut(), change.clone()) {
            input.extend(change);
        }
        let response = app
            .graphql_as(token, CREATE, json!({ "input": input }))
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{change}");
        assert_eq!(
            response["errors"][0]["extensions"]["fields"][0]["field"], field,
            "{change}"
        );
    }
    let by_staff = app
        .graphql_as(&w.staff.access_token, CREATE, base.clone())
        .await;
    assert_eq!(error_codes(&by_staff), ["FORBIDDEN"]);

    // Sending needs consent, another organisation, and a centre accepting referrals.
    let draft = app.data_as(token, CREATE, new_case(false, "LOW")).await;
    let id = draft["createReferralCase"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let no_consent = act(&app, &w.a.partner, &send(w.b.id), &id).await;
    assert_eq!(
        no_consent["errors"][0]["extensions"]["fields"][0]["field"],
        "consent"
    );
    app.data_as(
        token,
        "mutation($id: ID!) { recordCaseConsent(id: $id, scope: \"Shelter\") { id } }",
        json!({ "id": id }),
    )
    .await;
    let to_self = act(&app, &w.a.partner, &send(w.a.id), &id).await;
    assert_eq!(
        to_self["errors"][0]["extensions"]["fields"][0]["field"],
        "receivingOrganisationId"
    );
    let full = fixtures::centre(
        &app.db,
        NewCentre {
            name: "Full shelter",
            kind: CentreKind::Shelter,
            operator_id: w.b.id,
            ..NewCentre::default()
        },
    )
    .await;
    let mut closed = full.into_active_model();
    closed.accepting_referrals = Set(false);
    let full = closed.update(&app.db).await.expect("stop referrals");
    let to_full = app
        .graphql_as(
            token,
            "mutation($id: ID!, $to: ID!, $centre: ID) { sendReferralCase(id: $id, receivingOrganisationId: $to, receivingCentreId: $centre) { status } }",
            json!({ "id": id, "to": w.b.id.to_string(), "centre": full.id.to_string() }),
        )
        .await;
    assert_eq!(
        to_full["errors"][0]["extensions"]["fields"][0]["field"],
        "receivingCentreId"
    );
    assert_eq!(
        status(&act(&app, &w.a.partner, &send(w.b.id), &id).await),
        "REFERRED"
    );
    let other_without_comment = act(
        &app,
        &w.b.partner,
        "declineReferralCase(id: $id, reason: OTHER) { status }",
        &id,
    )
    .await;
    assert_eq!(
        other_without_comment["errors"][0]["extensions"]["fields"][0]["field"],
        "comment"
    );
}

#[tokio::test]
async fn case_numbers_are_unique_under_concurrency() {
    let app = spawn_app().await;
    let w = world(&app).await;

    let created = futures_util::future::join_all(
        (0..8).map(|_| app.graphql_as(&w.a.partner.access_token, CREATE, new_case(true, "LOW"))),
    )
    .await;

    let mut codes: Vec<String> = created
        .iter()
        .filter_map(|response| {
            response["data"]["createReferralCase"]["code"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(codes.len(), 8, "{created:#?}");
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 8, "every case has its own number");
}

#[tokio::test]
async fn a_list_of_cases_with_their_histories_costs_the_same_for_one_or_many() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let query = "query($first: Int) { referralCases(first: $first) { edges { node { code history { toStatus } } } } }";
    for _ in 0..4 {
        case_in(&app, &w, "ACCEPTED").await;
    }
    let statements = |first: i64| {
        let app = &app;
        let token = w.a.partner.access_token.clone();
        async move {
            // The fewest of three runs, as in the projects test: a loaded scheduler can split a
            // batch, a loop over cases would cost one more statement per case in every run.
            let mut fewest = u64::MAX;
            for _ in 0..3 {
                let before = app.statements.get();
                let data = app.data_as(&token, query, json!({ "first": first })).await;
                assert_eq!(nodes(&data["referralCases"]).len() as i64, first);
                fewest = fewest.min(app.statements.get() - before);
            }
            fewest
        }
    };

    let one = statements(1).await;
    let four = statements(4).await;

    assert_eq!(one, four, "the histories load in one batch");
}

const AUDIT_LOG: &str = r"
query($filter: AuditFilterInput, $after: String) {
  auditLog(first: 100, after: $after, filter: $filter) {
    edges { node { id at actorAccountId actorRole actorOrganisationId action entityType entityId outcome requestId detail } }
    pageInfo { hasNextPage endCursor }
  }
}";

#[tokio::test]
async fn the_audit_log_follows_a_case_and_never_shows_the_survivor() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_in(&app, &w, "ACCEPTED").await;
    app.data_as(&w.a.partner.access_token, IDENTIFYING, json!({ "id": id }))
        .await;
    app.graphql_as(&w.staff.access_token, IDENTIFYING, json!({ "id": id }))
        .await;

    let log = app
        .data_as(
            &w.admin.access_token,
            AUDIT_LOG,
            json!({ "filter": { "entityId": id } }),
        )
        .await;
    let entries = nodes(&log["auditLog"]);
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for expected in [
        ("case.create", "SUCCESS"),
        ("case.read_identifying", "SUCCESS"),
        ("case.read_identifying", "DENIED"),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} missing from {actions:?}"
        );
    }
    assert!(
        entries.iter().all(|e| e["entityId"] == json!(id)),
        "{log:#}"
    );
    // Latest first.
    let times: Vec<&str> = entries.iter().filter_map(|e| e["at"].as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable_by(|x, y| y.cmp(x));
    assert_eq!(times, sorted);

    // Nothing that identifies the survivor, anywhere in the whole log.
    let mut everything = String::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .data_as(&w.admin.access_token, AUDIT_LOG, json!({ "after": after }))
            .await;
        everything.push_str(&page.to_string());
        if page["auditLog"]["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = page["auditLog"]["pageInfo"]["endCursor"].clone();
    }
    assert!(everything.contains("case.read_identifying"));
    for secret in [NAME, PHONE, ADDRESS, NOTES, "Gulnora", "555 01 02"] {
        assert!(!everything.contains(secret), "{secret} is in the audit log");
    }
}

/// The ids of `cases` in the order `order` promises: on non-identifying columns, the id
/// breaking ties, cases without a deadline last in both deadline orders.
fn in_order(mut cases: Vec<referral_case::Model>, order: &str) -> Vec<String> {
    use std::cmp::Reverse;
    match order {
        "OPENED_DESC" => cases.sort_by_key(|case| Reverse((case.created_at, case.id))),
        "OPENED_ASC" => cases.sort_by_key(|case| (case.created_at, case.id)),
        "RESPONSE_DUE_ASC" => {
            cases.sort_by_key(|case| {
                (
                    case.response_due_at.is_none(),
                    case.response_due_at,
                    case.id,
                )
            });
        }
        "RESPONSE_DUE_DESC" => cases.sort_by_key(|case| {
            (
                case.response_due_at.is_none(),
                Reverse((case.response_due_at, case.id)),
            )
        }),
        "CODE_ASC" => cases.sort_by_key(|case| case.code.clone()),
        "CODE_DESC" => cases.sort_by_key(|case| Reverse(case.code.clone())),
        other => panic!("no order {other}"),
    }
    cases.into_iter().map(|case| case.id.to_string()).collect()
}

#[tokio::test]
async fn cases_are_listed_in_each_order_both_ways_for_staff_and_for_a_partner() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = crate::helpers::spawn_app_with_demo().await;
    let staff = app.user(Role::Staff, None).await;
    let all = referral_case::Entity::find()
        .all(&app.db)
        .await
        .expect("cases");
    assert!(
        all.iter().any(|case| case.response_due_at.is_none()),
        "a draft"
    );
    // The organisation that referred the most cases, and what its partners may see: the cases
    // it refers, receives or received before an onward referral.
    let mut referrers: Vec<Uuid> = all
        .iter()
        .map(|case| case.referring_organisation_id)
        .collect();
    referrers.sort();
    let busiest = referrers
        .chunk_by(|a, b| a == b)
        .max_by_key(|run| run.len())
        .map(|run| run[0])
        .expect("a referrer");
    let received_before: Vec<Uuid> = entity::referral_transition::Entity::find()
        .filter(entity::referral_transition::Column::ReceivingOrganisationId.eq(busiest))
        .all(&app.db)
        .await
        .expect("transitions")
        .into_iter()
        .map(|step| step.case_id)
        .collect();
    let theirs: Vec<referral_case::Model> = all
        .iter()
        .filter(|case| {
            case.referring_organisation_id == busiest
                || case.receiving_organisation_id == Some(busiest)
                || received_before.contains(&case.id)
        })
        .cloned()
        .collect();
    assert!(theirs.len() < all.len());
    let partner = app.user(Role::Partner, Some(busiest)).await;

    for order in [
        "OPENED_DESC",
        "OPENED_ASC",
        "RESPONSE_DUE_ASC",
        "RESPONSE_DUE_DESC",
        "CODE_ASC",
        "CODE_DESC",
    ] {
        let template = format!("referralCases(orderBy: {order}, PAGE) SELECTION");
        // A partner's own side of its cases: those it refers, and the others.
        let (outgoing, incoming): (Vec<_>, Vec<_>) = theirs
            .iter()
            .cloned()
            .partition(|case| case.referring_organisation_id == busiest);
        assert!(!outgoing.is_empty() && !incoming.is_empty());
        for (direction, cases) in [("OUTGOING", &outgoing), ("INCOMING", &incoming)] {
            let template = format!(
                "referralCases(orderBy: {order}, filter: {{ direction: {direction} }}, PAGE) SELECTION"
            );
            let listed = crate::helpers::paging::Listing {
                token: Some(&partner.access_token),
                template: &template,
                path: &["referralCases"],
            }
            .assert_pages_both_ways(&app, 3)
            .await;
            assert_eq!(
                listed,
                in_order(cases.clone(), order),
                "{direction}, {order}"
            );
        }
        for (who, token, cases) in [
            ("staff", &staff.access_token, &all),
            ("a partner", &partner.access_token, &theirs),
        ] {
            let listed = crate::helpers::paging::Listing {
                token: Some(token),
                template: &template,
                path: &["referralCases"],
            }
            .assert_pages_both_ways(&app, 3)
            .await;
            assert_eq!(listed, in_order(cases.clone(), order), "{who}, {order}");
        }
    }
    // No order by default is the latest opened first, as before `orderBy` existed.
    let default = crate::helpers::paging::Listing {
        token: Some(&staff.access_token),
        template: "referralCases(PAGE) SELECTION",
        path: &["referralCases"],
    }
    .page(&app, json!({ "first": 100 }))
    .await;
    assert_eq!(default.ids, in_order(all, "OPENED_DESC"));
}

/// The rows of `case_party` (organisation, case, whether it refers, the case's opening time),
/// read back, and as the rule of DESIGN.md makes them from the cases and their histories: the
/// referrer, the current receiver and every earlier receiver of each case.
async fn parties_and_rule(
    app: &TestApp,
) -> (
    std::collections::BTreeSet<(Uuid, Uuid, bool, String)>,
    std::collections::BTreeSet<(Uuid, Uuid, bool, String)>,
) {
    use entity::{case_party, referral_transition};
    let cases = referral_case::Entity::find()
        .all(&app.db)
        .await
        .expect("cases");
    let steps = referral_transition::Entity::find()
        .all(&app.db)
        .await
        .expect("steps");
    let mut rule = std::collections::BTreeSet::new();
    for case in &cases {
        let receivers = std::iter::once(case.receiving_organisation_id).chain(
            steps
                .iter()
                .filter(|step| step.case_id == case.id)
                .map(|step| step.receiving_organisation_id),
        );
        rule.insert((
            case.referring_organisation_id,
            case.id,
            true,
            case.created_at.to_rfc3339(),
        ));
        for receiver in receivers.flatten() {
            if receiver != case.referring_organisation_id {
                rule.insert((receiver, case.id, false, case.created_at.to_rfc3339()));
            }
        }
    }
    let table = case_party::Entity::find()
        .all(&app.db)
        .await
        .expect("parties")
        .into_iter()
        .map(|row| {
            (
                row.organisation_id,
                row.case_id,
                row.refers,
                row.case_created_at.to_rfc3339(),
            )
        })
        .collect();
    (table, rule)
}

/// `case_party`, which every partner's read of a case goes through (`policy::visible_cases`,
/// `policy::case_list`), is kept by the database's triggers. It must be exactly the rule after
/// every kind of write: the workflow through the API (a referral, a decline, an onward
/// referral, a deleted draft), the demo loader's, and an operator's SQL that changes a case's
/// receiver, moves or re-addresses a step, or deletes one.
#[tokio::test]
async fn the_parties_of_every_case_follow_every_kind_of_write() {
    use entity::referral_transition;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let app = spawn_app().await;
    let w = world(&app).await;
    let check = |when: &'static str| {
        let app = &app;
        async move {
            let (table, rule) = parties_and_rule(app).await;
            assert!(!rule.is_empty(), "{when}: no case");
            assert_eq!(table, rule, "{when}");
        }
    };

    // Through the API: B declines, A refers onward to C; a draft of A's is deleted.
    let onward = case_in(&app, &w, "DECLINED").await;
    let response = app
        .graphql_as(
            &w.a.partner.access_token,
            "mutation($id: ID!, $to: ID!) { referCaseOnward(id: $id, receivingOrganisationId: $to) { status } }",
            json!({ "id": onward, "to": w.c.id.to_string() }),
        )
        .await;
    assert_eq!(status(&response), "REFERRED", "{response:#}");
    let draft = case_in(&app, &w, "DRAFT").await;
    check("after the workflow").await;
    let onward: Uuid = onward.parse().expect("uuid");
    let parties_of_onward = parties_and_rule(&app)
        .await
        .0
        .into_iter()
        .filter(|row| row.1 == onward)
        .map(|row| (row.0, row.2))
        .collect::<Vec<_>>();
    assert_eq!(parties_of_onward.len(), 3, "A, B before, C now");
    let deleted = app
        .graphql_as(
            &w.a.partner.access_token,
            "mutation($id: ID!) { deleteDraftReferralCase(id: $id) }",
            json!({ "id": draft }),
        )
        .await;
    assert!(deleted.get("errors").is_none(), "{deleted:#}");
    check("after a draft was deleted").await;

    app.load_demo().await.expect("demo");
    check("after the demo").await;

    // An operator's SQL, past the services.
    let referred = case_in(&app, &w, "REFERRED").await.parse().expect("uuid");
    let mut case = referral_case::Entity::find_by_id(referred)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the case")
        .into_active_model();
    case.receiving_organisation_id = Set(Some(w.c.id));
    let case = case.update(&app.db).await.expect("a new receiver");
    check("after a case's receiver was changed").await;
    let mut case = case.into_active_model();
    case.receiving_organisation_id = Set(None);
    case.update(&app.db).await.expect("no receiver");
    check("after a case's receiver was taken away").await;

    let steps = referral_transition::Entity::find()
        .filter(referral_transition::Column::CaseId.eq(onward))
        .order_by_asc(referral_transition::Column::At)
        .all(&app.db)
        .await
        .expect("steps");
    let to_b = steps
        .iter()
        .find(|step| step.receiving_organisation_id == Some(w.b.id))
        .expect("the referral to B")
        .clone();
    let mut step = to_b.clone().into_active_model();
    step.receiving_organisation_id = Set(Some(w.c.id));
    step.update(&app.db).await.expect("another receiver");
    check("after a step's receiver was changed").await;
    let mut step = to_b.clone().into_active_model();
    step.case_id = Set(referred);
    step.receiving_organisation_id = Set(Some(w.b.id));
    step.update(&app.db).await.expect("another case");
    check("after a step was moved to another case").await;
    referral_transition::Entity::delete_by_id(to_b.id)
        .exec(&app.db)
        .await
        .expect("delete the step");
    check("after a step was deleted").await;
}
