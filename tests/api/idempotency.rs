//! `Idempotency-Key` on mutations: the same key from the same account returns the first answer
//! and changes nothing, on one server, across servers and across a server killed mid-request.

use std::time::Duration;

use api::{
    auth::Caller,
    error::ApiError,
    services::idempotency::{CanonicalRequest, Claimed, IdempotencyKey},
};
use chrono::Utc;
use entity::{
    enums::{IdempotencyState, Role},
    idempotency_key, referral_case, referral_transition,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp, accounts::User, binary, error_codes, fixtures, spawn_app, spawn_app_with,
};

const NAME: &str = "Zarina Idempotova";

const CREATE: &str = r"
mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id code status version } }";

const CREATE_READING_NAME: &str = r"
mutation($input: CreateCaseInput!) {
  createReferralCase(input: $input) { id code identifying { survivorName } }
}";

fn new_case(district: &str) -> Value {
    json!({ "input": {
        "kind": "DOMESTIC_VIOLENCE", "risk": "HIGH", "survivorSex": "FEMALE",
        "survivorAgeGroup": "ADULT_25_59", "survivorCitizenship": "tj", "region": "KHATLON",
        "district": district, "servicesRequested": ["SHELTER"],
        "survivorName": NAME, "contactPhone": "+992 93 555 77 66",
        "consentGiven": true, "consentScope": "Referral to a shelter",
    } })
}

/// An answer: its status, whether it was a replay, and its body (text, to compare byte for
/// byte, and JSON).
struct Answer {
    status: u16,
    replayed: bool,
    text: String,
    json: Value,
}

/// Posts to `address` with the key (sent as the draft's quoted string) and a bearer token,
/// asking for `application/graphql-response+json` so that the status tells request errors.
async fn post_to(
    address: &str,
    token: Option<&str>,
    key: Option<&str>,
    query: &str,
    variables: &Value,
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .header("Accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", format!("\"{key}\""));
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).expect("JSON body");
    Answer {
        status,
        replayed,
        text,
        json,
    }
}

async fn post(app: &TestApp, by: &User, key: &str, query: &str, variables: &Value) -> Answer {
    post_to(
        &app.address,
        Some(&by.access_token),
        Some(key),
        query,
        variables,
    )
    .await
}

async fn partner(app: &TestApp, organisation: &str) -> (Uuid, User) {
    let organisation = fixtures::organisation(&app.db, organisation).await;
    (
        organisation.id,
        app.user(Role::Partner, Some(organisation.id)).await,
    )
}

async fn key_row(app: &TestApp, account: Uuid, key: &str) -> Option<idempotency_key::Model> {
    idempotency_key::Entity::find()
        .filter(idempotency_key::Column::AccountId.eq(account))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(&app.db)
        .await
        .expect("read the key")
}

fn message(answer: &Answer) -> &str {
    answer.json["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn the_same_key_twice_opens_one_case_and_answers_the_same() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;

    let first = post(&app, &a, "create-1", CREATE, &new_case("Bokhtar")).await;
    let second = post(&app, &a, "create-1", CREATE, &new_case("Bokhtar")).await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.json["data"]["createReferralCase"]["id"].is_string());
    assert!(!first.replayed);
    assert!(second.replayed);
    assert_eq!((second.status, &second.text), (first.status, &first.text));
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
    // The variables in another key order are the same request.
    let reordered: Value =
        serde_json::from_str(&serde_json::to_string(&new_case("Bokhtar")).expect("json"))
            .expect("json");
    let third = post(&app, &a, "create-1", CREATE, &reordered).await;
    assert_eq!(third.text, first.text);
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
    // A new key is a new request.
    let other = post(&app, &a, "create-2", CREATE, &new_case("Bokhtar")).await;
    assert!(!other.replayed && other.json["data"]["createReferralCase"]["id"].is_string());
    assert_eq!(app.rows::<referral_case::Entity>().await, 2);
}

#[tokio::test]
async fn a_used_key_with_another_request_is_a_conflict() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;

    post(&app, &a, "k", CREATE, &new_case("Bokhtar")).await;
    let other_variables = post(&app, &a, "k", CREATE, &new_case("Kulob")).await;
    let other_query = post(&app, &a, "k", CREATE_READING_NAME, &new_case("Bokhtar")).await;

    for answer in [&other_variables, &other_query] {
        assert_eq!(answer.status, 409, "{}", answer.text);
        assert_eq!(error_codes(&answer.json), ["CONFLICT"]);
        assert!(
            message(answer).contains("different request"),
            "{}",
            answer.text
        );
        assert!(answer.json.get("data").is_none());
    }
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
}

#[tokio::test]
async fn keys_are_scoped_by_account() {
    let app = spawn_app().await;
    let (organisation, a) = partner(&app, "Referring NGO").await;
    let (_, b) = partner(&app, "Another NGO").await;
    let a2 = app.user(Role::Partner, Some(organisation)).await;

    let mut ids = Vec::new();
    for user in [&a, &b, &a2] {
        let answer = post(&app, user, "shared-key", CREATE, &new_case("Bokhtar")).await;
        assert!(!answer.replayed, "{}", answer.text);
        ids.push(answer.json["data"]["createReferralCase"]["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(app.rows::<referral_case::Entity>().await, 3);
}

#[tokio::test]
async fn a_workflow_step_retried_is_done_once_and_a_failed_one_may_be_retried() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let (b_id, b) = partner(&app, "Receiving NGO").await;
    let created = post(&app, &a, "c", CREATE, &new_case("Bokhtar")).await;
    let id = created.json["data"]["createReferralCase"]["id"].clone();
    let accept = "mutation($id: ID!) { acceptReferralCase(id: $id) { status version } }";
    let send = "mutation($id: ID!, $to: ID!) { sendReferralCase(id: $id, receivingOrganisationId: $to) { status version } }";

    // The receiver cannot accept a draft it was never sent: the failure is not kept, so the
    // same key works once the case is sent.
    let early = post(&app, &b, "accept-1", accept, &json!({ "id": id })).await;
    assert!(!error_codes(&early.json).is_empty(), "{}", early.text);
    assert!(key_row(&app, b.account.id, "accept-1").await.is_none());

    let variables = json!({ "id": id, "to": b_id.to_string() });
    let sent = post(&app, &a, "send-1", send, &variables).await;
    let again = post(&app, &a, "send-1", send, &variables).await;
    assert_eq!(sent.json["data"]["sendReferralCase"]["status"], "REFERRED");
    assert!(again.replayed);
    assert_eq!(again.text, sent.text);

    let accepted = post(&app, &b, "accept-1", accept, &json!({ "id": id })).await;
    assert_eq!(
        accepted.json["data"]["acceptReferralCase"]["status"], "ACCEPTED",
        "{}",
        accepted.text
    );
    let retried = post(&app, &b, "accept-1", accept, &json!({ "id": id })).await;
    assert!(retried.replayed);
    assert_eq!(retried.text, accepted.text);

    // Draft, referred, accepted: each step once.
    assert_eq!(app.rows::<referral_transition::Entity>().await, 3);

    // Once the receiver referred the case onward, it is no party to it: its own earlier
    // answers about the case are not replayed to it.
    let (c_id, _) = partner(&app, "Third NGO").await;
    let onward = "mutation($id: ID!, $to: ID!) { referCaseOnward(id: $id, receivingOrganisationId: $to) { status } }";
    let referred = post(
        &app,
        &b,
        "onward",
        onward,
        &json!({ "id": id, "to": c_id.to_string() }),
    )
    .await;
    assert!(error_codes(&referred.json).is_empty(), "{}", referred.text);
    let gone = post(&app, &b, "accept-1", accept, &json!({ "id": id })).await;
    assert_eq!(gone.status, 409, "{}", gone.text);
    assert!(
        message(&gone).contains("no longer takes part"),
        "{}",
        gone.text
    );
    assert!(!gone.replayed);
    // The referrer still is.
    assert!(post(&app, &a, "send-1", send, &variables).await.replayed);
}

#[tokio::test]
async fn a_key_in_flight_is_a_conflict_until_its_request_is_surely_gone() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let variables = new_case("Bokhtar");
    // Another server process holds the claim: a row as its claim leaves it.
    let in_flight = |claimed_at: chrono::DateTime<Utc>| {
        let id = Uuid::now_v7();
        let canonical = CanonicalRequest::new(CREATE, None, &variables);
        idempotency_key::Model {
            id,
            account_id: a.account.id,
            key: "busy".to_owned(),
            request_hash: Some(canonical.hash_for(id)),
            attempt: Uuid::now_v7(),
            state: IdempotencyState::InFlight,
            entity_type: None,
            entity_id: None,
            status: None,
            content_type: None,
            answer: None,
            identifying_read: false,
            claimed_at,
            expires_at: claimed_at + chrono::Duration::hours(24),
        }
    };
    let row = in_flight(Utc::now())
        .into_active_model()
        .insert(&app.db)
        .await
        .expect("claim");

    let busy = post(&app, &a, "busy", CREATE, &variables).await;
    assert_eq!(busy.status, 409, "{}", busy.text);
    assert_eq!(error_codes(&busy.json), ["CONFLICT"]);
    assert!(
        message(&busy).contains("still being processed"),
        "{}",
        busy.text
    );
    assert_eq!(app.rows::<referral_case::Entity>().await, 0);

    // Older than the request timeout: its request is over, and committed nothing (a commit
    // marks the row), so a retry runs the mutation, once.
    let mut stale = row.into_active_model();
    stale.claimed_at = Set(Utc::now() - chrono::Duration::hours(1));
    stale.update(&app.db).await.expect("age the claim");
    let taken = post(&app, &a, "busy", CREATE, &variables).await;
    assert!(
        taken.json["data"]["createReferralCase"]["id"].is_string(),
        "{}",
        taken.text
    );
    let replayed = post(&app, &a, "busy", CREATE, &variables).await;
    assert!(replayed.replayed);
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_once() {
    let app = spawn_app().await;
    let other = app.another_server().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let variables = new_case("Bokhtar");

    let answers = futures_util::future::join_all((0..8).map(|index| {
        let server = if index % 2 == 0 { &app } else { &other };
        post(server, &a, "race", CREATE, &variables)
    }))
    .await;

    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
    let ran: Vec<&Answer> = answers
        .iter()
        .filter(|answer| answer.json["data"]["createReferralCase"]["id"].is_string())
        .collect();
    assert!(!ran.is_empty());
    assert!(ran.iter().all(|answer| answer.text == ran[0].text));
    assert_eq!(ran.iter().filter(|answer| !answer.replayed).count(), 1);
    for answer in &answers {
        if !answer.json["data"]["createReferralCase"]["id"].is_string() {
            assert_eq!(answer.status, 409, "{}", answer.text);
            assert!(
                message(answer).contains("still being processed"),
                "{}",
                answer.text
            );
        }
    }
}

#[tokio::test]
async fn a_committed_request_whose_answer_was_lost_is_never_run_again() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    post(&app, &a, "lost", CREATE, &new_case("Bokhtar")).await;
    // What a crash between the commit and the storing of the answer leaves.
    let row = key_row(&app, a.account.id, "lost").await.expect("the key");
    assert_eq!(row.state, IdempotencyState::Done);
    assert_eq!(row.entity_type.as_deref(), Some("referral_case"));
    let mut lost = row.into_active_model();
    lost.state = Set(IdempotencyState::Committed);
    lost.status = Set(None);
    lost.content_type = Set(None);
    lost.answer = Set(None);
    let lost = lost.update(&app.db).await.expect("lose the answer");

    // Until its request is surely over, it may still be storing the answer.
    let early = post(&app, &a, "lost", CREATE, &new_case("Bokhtar")).await;
    assert_eq!(early.status, 409, "{}", early.text);
    assert!(
        message(&early).contains("still being processed"),
        "{}",
        early.text
    );
    let mut old = lost.into_active_model();
    old.claimed_at = Set(Utc::now() - chrono::Duration::hours(1));
    old.update(&app.db).await.expect("age the claim");

    let retried = post(&app, &a, "lost", CREATE, &new_case("Bokhtar")).await;

    assert_eq!(retried.status, 409, "{}", retried.text);
    assert_eq!(error_codes(&retried.json), ["CONFLICT"]);
    assert!(
        message(&retried).contains("answer was lost"),
        "{}",
        retried.text
    );
    let case = referral_case::Entity::find()
        .one(&app.db)
        .await
        .expect("read")
        .expect("the case");
    assert_eq!(
        retried.json["errors"][0]["extensions"]["resultId"],
        case.id.to_string(),
        "the answer names the case to load"
    );
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
}

/// The crash window itself, without a crash: a change made under a claim whose answer is
/// never stored, as when the server dies between the commit and the storing.
#[tokio::test]
async fn the_claim_is_marked_by_the_transaction_of_the_change() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let created = post(&app, &a, "draft", CREATE, &new_case("Bokhtar")).await;
    let case_id: Uuid = created.json["data"]["createReferralCase"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the case id");
    let services = app.services();
    let actor = services
        .auth()
        .authenticate(&a.access_token)
        .await
        .expect("the actor");
    let key = IdempotencyKey::parse("direct").expect("a key");
    let request = CanonicalRequest::new("mutation { recordCaseConsent }", None, &json!({}));
    let mut caller = Caller::new(actor, "request".to_owned(), None);
    let idempotency = services.idempotency();
    let Ok(Claimed::Fresh(held)) = idempotency
        .claim(&caller, &key, &request, Duration::from_secs(60))
        .await
    else {
        panic!("a fresh key is claimed");
    };
    caller.idempotency = Some(held);
    let retry = Caller::new(caller.actor.clone(), "retry".to_owned(), None);
    let claim = |stale_after| idempotency.claim(&retry, &key, &request, stale_after);

    let refused = services
        .cases()
        .record_consent(&caller, case_id, Some("x".repeat(100_000)))
        .await;
    assert!(
        matches!(refused, Err(ApiError::BadUserInput(_))),
        "{refused:?}"
    );
    let row = key_row(&app, a.account.id, "direct")
        .await
        .expect("the key");
    assert_eq!(
        row.state,
        IdempotencyState::InFlight,
        "a failure marks nothing"
    );

    services
        .cases()
        .record_consent(&caller, case_id, Some("Shelter".to_owned()))
        .await
        .expect("consent recorded");
    let row = key_row(&app, a.account.id, "direct")
        .await
        .expect("the key");
    assert_eq!(row.state, IdempotencyState::Committed);
    assert_eq!(
        (row.entity_type.as_deref(), row.entity_id),
        (Some("referral_case"), Some(case_id))
    );
    match claim(Duration::from_secs(60)).await {
        Err(ApiError::Conflict(message)) => assert!(message.contains("still being processed")),
        other => panic!("its request may still be storing the answer: {other:?}"),
    }
    match claim(Duration::ZERO).await {
        Err(ApiError::AnswerLost { result_id }) => assert_eq!(result_id, Some(case_id)),
        other => panic!("a committed change is never run again: {other:?}"),
    }
}

#[tokio::test]
async fn stored_answers_are_sealed_and_erased_with_the_consent() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let variables = new_case("Bokhtar");
    let created = post(&app, &a, "named", CREATE_READING_NAME, &variables).await;
    assert_eq!(
        created.json["data"]["createReferralCase"]["identifying"]["survivorName"], NAME,
        "{}",
        created.text
    );
    let id = created.json["data"]["createReferralCase"]["id"].clone();
    let row = key_row(&app, a.account.id, "named").await.expect("the key");
    let sealed = row.answer.expect("a stored answer");
    assert!(
        !sealed
            .windows(NAME.len())
            .any(|window| window == NAME.as_bytes()),
        "the stored answer holds the name in clear"
    );
    let case_id: Uuid = id.as_str().and_then(|id| id.parse().ok()).expect("the id");
    let reads = |entries: Vec<entity::audit_entry::Model>| {
        entries
            .into_iter()
            .filter(|entry| entry.action == "case.read_identifying")
            .map(|entry| entry.detail)
            .collect::<Vec<_>>()
    };
    assert_eq!(reads(app.audit_of(case_id).await), [None]);
    // The replay hands the name out again, and the access log says so.
    assert_eq!(
        post(&app, &a, "named", CREATE_READING_NAME, &variables)
            .await
            .text,
        created.text
    );
    assert_eq!(
        reads(app.audit_of(case_id).await),
        [None, Some(json!({ "replay": true }))]
    );
    // A replay of an answer without the survivor's data is no read.
    post(&app, &a, "plain", CREATE, &new_case("Kulob")).await;
    let plain = post(&app, &a, "plain", CREATE, &new_case("Kulob")).await;
    assert!(plain.replayed);
    let plain_id: Uuid = plain.json["data"]["createReferralCase"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the id");
    assert!(reads(app.audit_of(plain_id).await).is_empty());

    let withdraw = "mutation($id: ID!) { withdrawCaseConsent(id: $id) { status } }";
    let withdrawn = post(&app, &a, "withdraw", withdraw, &json!({ "id": id })).await;
    assert_eq!(
        withdrawn.json["data"]["withdrawCaseConsent"]["status"], "CLOSED",
        "{}",
        withdrawn.text
    );

    let erased = key_row(&app, a.account.id, "named").await.expect("the key");
    assert_eq!(erased.state, IdempotencyState::Erased);
    assert_eq!(
        (erased.answer, erased.request_hash, erased.status),
        (None, None, None)
    );
    let retried = post(&app, &a, "named", CREATE_READING_NAME, &variables).await;
    assert_eq!(error_codes(&retried.json), ["CONFLICT"], "{}", retried.text);
    assert!(message(&retried).contains("erased"));
    assert!(!retried.text.contains(NAME));
    assert_eq!(app.rows::<referral_case::Entity>().await, 2);
    // The withdrawal's own answer holds nothing identifying and is kept.
    let again = post(&app, &a, "withdraw", withdraw, &json!({ "id": id })).await;
    assert!(again.replayed);
    assert_eq!(again.text, withdrawn.text);
}

#[tokio::test]
async fn expired_keys_are_purged_and_may_be_used_again() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    post(&app, &a, "old", CREATE, &new_case("Bokhtar")).await;
    let row = key_row(&app, a.account.id, "old").await.expect("the key");
    let mut expired = row.into_active_model();
    expired.expires_at = Set(Utc::now() - chrono::Duration::seconds(1));
    expired.update(&app.db).await.expect("expire the key");
    post(&app, &a, "another", CREATE, &new_case("Kulob")).await;
    assert!(
        key_row(&app, a.account.id, "old").await.is_none(),
        "a claim purges the expired keys"
    );

    let purged = app
        .services()
        .idempotency()
        .purge_expired(Utc::now() + chrono::Duration::hours(25))
        .await
        .expect("purge");
    assert_eq!(purged, 1, "the purge removes what is 24 hours old");
    let reused = post(&app, &a, "old", CREATE, &new_case("Bokhtar")).await;
    assert!(!reused.replayed, "{}", reused.text);
    assert_eq!(app.rows::<referral_case::Entity>().await, 3);
}

#[tokio::test]
async fn the_header_is_checked_on_mutations_and_ignored_on_queries() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let token = a.access_token.as_str();
    let send = |key: &'static str, query: &'static str| {
        let address = app.address.clone();
        async move {
            let answer = reqwest::Client::new()
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .header("Accept", "application/graphql-response+json")
                .header("Idempotency-Key", key)
                .json(&json!({ "query": query, "variables": new_case("Bokhtar") }))
                .send()
                .await
                .expect("request");
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.expect("JSON"))
        }
    };

    let long = Box::leak(format!("\"{}\"", "k".repeat(256)).into_boxed_str());
    for bad in ["\"\"", "\"unterminated", "two words", long, "\"tab\there\""] {
        let (status, answer) = send(bad, CREATE).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{bad}");
    }
    // The bare form is the same key as the quoted one.
    let (_, bare) = send("bare-key", CREATE).await;
    let (_, quoted) = send("\"bare-key\"", CREATE).await;
    assert_eq!(bare, quoted);
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);

    // A query ignores the header, whatever it holds.
    let (status, me) = send("\"\"", "query { me { id } }").await;
    assert_eq!(status, 200, "{me}");
    assert!(me.get("errors").is_none(), "{me}");

    // Refused rather than ignored: more than one mutation field, an answer with a secret,
    // the public.
    let two = "mutation($input: CreateCaseInput!) { a: createReferralCase(input: $input) { id } b: createReferralCase(input: $input) { id } }";
    let (_, answer) = send("\"two\"", two).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("one mutation field")
    );
    let enrol = post_to(
        &app.address,
        Some(token),
        Some("totp"),
        "mutation { enrolTotp { otpauthUri } }",
        &json!({}),
    )
    .await;
    assert_eq!(
        error_codes(&enrol.json),
        ["BAD_USER_INPUT"],
        "{}",
        enrol.text
    );
    assert!(message(&enrol).contains("secret"));
    for holding_codes in [
        r#"mutation { confirmTotp(code: "123456") { recoveryCodes } }"#,
        r#"mutation { regenerateRecoveryCodes(code: "123456") { recoveryCodes } }"#,
    ] {
        let refused = post_to(
            &app.address,
            Some(token),
            Some("codes"),
            holding_codes,
            &json!({}),
        )
        .await;
        assert_eq!(
            error_codes(&refused.json),
            ["BAD_USER_INPUT"],
            "{}",
            refused.text
        );
        assert!(message(&refused).contains("secret"), "{}", refused.text);
    }
    let anonymous = post_to(
        &app.address,
        None,
        Some("anon"),
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
        &json!({ "e": a.account.email, "p": a.password }),
    )
    .await;
    assert_eq!(
        error_codes(&anonymous.json),
        ["BAD_USER_INPUT"],
        "{}",
        anonymous.text
    );
    assert!(message(&anonymous).contains("signed-in"));
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
    assert_eq!(app.rows::<idempotency_key::Entity>().await, 1);
}

#[tokio::test]
async fn a_page_of_an_allowed_origin_sees_the_replay() {
    let app = spawn_app_with(&[("PORTAL_CORS_ORIGINS", "https://portal.example")]).await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let mut exposed = Vec::new();
    for _ in 0..2 {
        let response = reqwest::Client::new()
            .post(format!("{}/graphql", app.address))
            .header("Origin", "https://portal.example")
            .header("Idempotency-Key", "\"page\"")
            .bearer_auth(&a.access_token)
            .json(&json!({ "query": CREATE, "variables": new_case("Bokhtar") }))
            .send()
            .await
            .expect("request");
        exposed.push((
            response
                .headers()
                .get("access-control-expose-headers")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase(),
            response.headers().get("idempotent-replayed").is_some(),
        ));
    }
    assert!(exposed[0].0.contains("idempotent-replayed"), "{exposed:?}");
    assert_eq!((exposed[0].1, exposed[1].1), (false, true));
}

#[tokio::test]
async fn replays_are_charged_to_the_query_cost_budget() {
    let app = spawn_app_with(&[("PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE", "100")]).await;
    let (_, a) = partner(&app, "Referring NGO").await;
    post(&app, &a, "many", CREATE, &new_case("Bokhtar")).await;

    let mut replays = 0;
    let refused = loop {
        let response = reqwest::Client::new()
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&a.access_token)
            .header("Idempotency-Key", "\"many\"")
            .json(&json!({ "query": CREATE, "variables": new_case("Bokhtar") }))
            .send()
            .await
            .expect("request");
        if response.status() == 429 {
            break response;
        }
        assert!(response.headers().contains_key("idempotent-replayed"));
        replays += 1;
        assert!(replays <= 100, "replays are never refused");
    };

    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    assert!(replays > 10, "{replays} replays before the refusal");
}

#[tokio::test]
async fn a_second_server_replays_the_first_ones_answer() {
    let app = spawn_app().await;
    let other = app.another_server().await;
    let (_, a) = partner(&app, "Referring NGO").await;

    let first = post(&app, &a, "shared", CREATE, &new_case("Bokhtar")).await;
    let second = post(&other, &a, "shared", CREATE, &new_case("Bokhtar")).await;

    assert!(second.replayed);
    assert_eq!(second.text, first.text);
    assert_eq!(app.rows::<referral_case::Entity>().await, 1);
}

/// The `portal` binary on the test app's database, answering on a free port.
async fn portal_on(app: &TestApp) -> (binary::Server, String) {
    let mut command = binary::portal(&app.config.database.url);
    command.env("PORTAL_REQUEST_TIMEOUT_SECS", "2");
    let server = binary::serve(command, &binary::free_address());
    drop(server.connection().await);
    let address = format!("http://{}", server.address);
    (server, address)
}

#[tokio::test]
async fn a_retry_after_the_server_was_killed_opens_no_second_case() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let token = a.access_token.clone();

    // Killed after the answer went out (the client lost it all the same), and killed at
    // moments in the middle of the request: before it arrived, before or after the commit.
    for (round, kill_after_ms) in [None, Some(0), Some(5), Some(20), Some(60)]
        .into_iter()
        .enumerate()
    {
        let key = format!("killed-{round}");
        let variables = new_case(&format!("District {round}"));
        let (server, address) = portal_on(&app).await;
        let first = match kill_after_ms {
            None => {
                let answer = post_to(&address, Some(&token), Some(&key), CREATE, &variables).await;
                server.signal("KILL");
                Some(answer)
            }
            Some(ms) => {
                let (address, token, key, variables) = (
                    address.clone(),
                    token.clone(),
                    key.clone(),
                    variables.clone(),
                );
                let request = tokio::spawn(async move {
                    let _ = reqwest::Client::new()
                        .post(format!("{address}/graphql"))
                        .bearer_auth(token)
                        .header("Idempotency-Key", format!("\"{key}\""))
                        .json(&json!({ "query": CREATE, "variables": variables }))
                        .send()
                        .await;
                });
                tokio::time::sleep(Duration::from_millis(ms)).await;
                server.signal("KILL");
                let _ = request.await;
                None
            }
        };
        let _ = server.exit().await;

        let (restarted, address) = portal_on(&app).await;
        // A claim left in flight by the killed process is taken over once it is older than
        // the request timeout (2 s) and its margin.
        let started = std::time::Instant::now();
        let retried = loop {
            let answer = post_to(&address, Some(&token), Some(&key), CREATE, &variables).await;
            if !message(&answer).contains("still being processed") {
                break answer;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{}",
                answer.text
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        drop(restarted);

        let cases = referral_case::Entity::find()
            .filter(referral_case::Column::District.eq(format!("District {round}")))
            .all(&app.db)
            .await
            .expect("cases");
        assert_eq!(cases.len(), 1, "round {round}: {}", retried.text);
        match (
            &first,
            retried.json["data"]["createReferralCase"]["id"].as_str(),
        ) {
            (Some(first), _) => {
                assert!(retried.replayed, "round {round}: {}", retried.text);
                assert_eq!(retried.text, first.text);
            }
            (None, Some(id)) => assert_eq!(id, cases[0].id.to_string(), "round {round}"),
            // Killed between the commit and the storing of the answer.
            (None, None) => {
                assert!(
                    message(&retried).contains("answer was lost"),
                    "round {round}: {}",
                    retried.text
                );
                assert_eq!(
                    retried.json["errors"][0]["extensions"]["resultId"],
                    cases[0].id.to_string()
                );
            }
        }
    }
}

#[tokio::test]
async fn a_deleted_draft_retried_with_its_key_answers_the_same_and_nothing_else() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let variables = new_case("Bokhtar");
    let created = post(&app, &a, "named", CREATE_READING_NAME, &variables).await;
    let id = created.json["data"]["createReferralCase"]["id"].clone();
    let delete = "mutation($id: ID!) { deleteDraftReferralCase(id: $id) }";
    let deleted = post(&app, &a, "delete", delete, &json!({ "id": id })).await;
    assert_eq!(
        deleted.json["data"]["deleteDraftReferralCase"], id,
        "{}",
        deleted.text
    );
    // The network failed: the retry gets the same answer, not a refusal.
    let retried = post(&app, &a, "delete", delete, &json!({ "id": id })).await;
    assert!(retried.replayed, "{}", retried.text);
    assert_eq!(
        (retried.status, &retried.text),
        (deleted.status, &deleted.text)
    );
    // The answer that held the survivor's name went with the draft.
    let again = post(&app, &a, "named", CREATE_READING_NAME, &variables).await;
    assert_eq!(error_codes(&again.json), ["CONFLICT"], "{}", again.text);
    assert!(!again.text.contains(NAME));
    assert_eq!(app.rows::<referral_case::Entity>().await, 0);
}

#[tokio::test]
async fn a_replayed_note_is_in_the_access_log_as_a_read() {
    let app = spawn_app().await;
    let (_, a) = partner(&app, "Referring NGO").await;
    let created = post(&app, &a, "create", CREATE, &new_case("Bokhtar")).await;
    let id = created.json["data"]["createReferralCase"]["id"].clone();
    let case_id: Uuid = id.as_str().and_then(|id| id.parse().ok()).expect("the id");
    let note = "mutation($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { text } }";
    let variables = json!({ "id": id, "text": "Called back; she is safe at her sister's" });
    let reads = |entries: Vec<entity::audit_entry::Model>| {
        entries
            .into_iter()
            .filter(|entry| entry.action == "case.read_identifying")
            .map(|entry| entry.detail)
            .collect::<Vec<_>>()
    };
    let added = post(&app, &a, "note", note, &variables).await;
    assert!(added.text.contains("her sister"), "{}", added.text);
    // Writing one's own note is no read.
    assert!(reads(app.audit_of(case_id).await).is_empty());
    let replayed = post(&app, &a, "note", note, &variables).await;
    assert!(replayed.replayed);
    assert_eq!(replayed.text, added.text);
    assert_eq!(
        reads(app.audit_of(case_id).await),
        [Some(json!({ "replay": true }))]
    );
}
