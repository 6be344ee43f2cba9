//! Live referral events over WebSocket: delivered to the parties of a case and to nobody else,
//! across server processes on PostgreSQL.

use std::time::Duration;

use api::services::case_events::{CaseChange, CaseEvent};
use chrono::{SubsecRound, Utc};
use entity::{
    account,
    enums::{AccountStatus, CaseStatus, Role},
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, IntoActiveModel, Set, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    TestApp, fixtures, postgres_only, spawn_app,
    ws::{DELIVERY_TIMEOUT, REFERRAL_EVENTS, Received},
};

/// A committed change of a case whose parties are `parties`.
fn event(parties: &[Uuid]) -> CaseEvent {
    CaseEvent {
        case_id: Uuid::now_v7(),
        code: "RC-2026-000042".to_owned(),
        change: CaseChange::Referred,
        status: CaseStatus::Referred,
        at: Utc::now().trunc_subsecs(0),
        parties: parties.to_vec(),
        notified: Vec::new(),
    }
}

async fn publish(app: &TestApp, event: &CaseEvent) {
    app.case_events
        .publish(event.clone())
        .await
        .expect("publish the event");
}

/// Asserts that `delivered` (a `referralEvents` item) is `event`.
fn assert_delivered(delivered: &serde_json::Value, event: &CaseEvent) {
    let at = delivered["at"].as_str().expect("at");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 time"),
        event.at,
        "{delivered}"
    );
    let mut delivered = delivered.clone();
    delivered["at"] = json!(null);
    assert_eq!(
        delivered,
        json!({
            "caseId": event.case_id.to_string(),
            "code": event.code,
            "change": "REFERRED",
            "status": "REFERRED",
            "at": null,
        })
    );
}

#[tokio::test]
async fn an_event_reaches_the_partners_of_its_parties_and_nobody_else() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "Referring NGO").await;
    let shelter = fixtures::organisation(&app.db, "Shelter").await;
    let other = fixtures::organisation(&app.db, "Unrelated NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let manager = app.user(Role::PartnerManager, Some(ngo.id)).await;
    let outsider = app.user(Role::Partner, Some(other.id)).await;
    let mut partner_feed = app.referral_events_as(&partner.access_token, "1").await;
    let mut manager_feed = app.referral_events_as(&manager.access_token, "1").await;
    let mut outsider_feed = app.referral_events_as(&outsider.access_token, "1").await;

    let referral = event(&[ngo.id, shelter.id]);
    publish(&app, &referral).await;

    assert_delivered(&partner_feed.next_event("1").await, &referral);
    assert_delivered(&manager_feed.next_event("1").await, &referral);
    outsider_feed.assert_silent().await;

    // The outsider's subscription was live all along: its own organisation's events reach it,
    // and the others' feeds stay silent (no second copy of the first event either).
    let theirs = event(&[other.id]);
    publish(&app, &theirs).await;
    assert_delivered(&outsider_feed.next_event("1").await, &theirs);
    partner_feed.assert_silent().await;
    manager_feed.assert_silent().await;
}

#[tokio::test]
async fn a_bad_token_or_a_disabled_account_is_refused_at_connection_init() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    disable(&app, &partner.account).await;

    let mut reasons = Vec::new();
    for payload in [
        json!({ "Authorization": "Bearer not-a-token" }),
        json!({ "token": "not-a-token" }),
        json!({ "Authorization": partner.access_token }),
        json!({ "Authorization": format!("Bearer {}", partner.access_token) }),
    ] {
        match app.ws_init(payload.clone()).await {
            Err(refused) => {
                assert_eq!(refused.code, 4403, "{payload}: {refused:?}");
                reasons.push(refused.reason);
            }
            Ok(_) => panic!("{payload} was accepted"),
        }
    }
    // A disabled account is refused as a forged token is: the reason says nothing of it.
    reasons.dedup();
    assert_eq!(
        reasons,
        ["Forbidden: the token is not valid; sign in again"]
    );
}

#[tokio::test]
async fn the_public_and_the_programme_office_cannot_subscribe() {
    let app = spawn_app().await;
    let staff = app.user(Role::Staff, None).await;
    let admin = app.user(Role::Admin, None).await;

    let mut anonymous = app
        .ws_init(json!({}))
        .await
        .expect("an anonymous connection is accepted");
    anonymous.subscribe("1", REFERRAL_EVENTS).await;
    assert_eq!(
        anonymous.errors_then_complete("1").await,
        ["UNAUTHENTICATED"]
    );

    for token in [&staff.access_token, &admin.access_token] {
        let mut office = app.ws_as(token).await;
        office.subscribe("1", REFERRAL_EVENTS).await;
        assert_eq!(office.errors_then_complete("1").await, ["FORBIDDEN"]);
    }
    assert_eq!(app.case_events.subscriber_count(), 0);
}

#[tokio::test]
async fn an_account_disabled_while_subscribed_receives_nothing_more() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let mut feed = app.referral_events_as(&partner.access_token, "1").await;

    disable(&app, &partner.account).await;
    publish(&app, &event(&[ngo.id])).await;

    assert_eq!(feed.errors_then_complete("1").await, ["UNAUTHENTICATED"]);
    assert_eq!(app.case_events.subscriber_count(), 0);
}

#[tokio::test]
async fn a_subscriber_on_one_server_receives_an_event_published_by_another() {
    // Events cross server processes on PostgreSQL only.
    if postgres_only("a_subscriber_on_one_server_receives_an_event_published_by_another").is_none()
    {
        return;
    }
    let first = spawn_app().await;
    let second = first.another_server().await;
    let ngo = fixtures::organisation(&first.db, "NGO").await;
    let partner = first.user(Role::Partner, Some(ngo.id)).await;
    let colleague = second.user(Role::Partner, Some(ngo.id)).await;
    let mut on_first = first.referral_events_as(&partner.access_token, "1").await;
    let mut on_second = second
        .referral_events_as(&colleague.access_token, "7")
        .await;

    let referral = event(&[ngo.id]);
    publish(&second, &referral).await;

    // Each process delivers the event once, whichever caused it.
    assert_delivered(&on_first.next_event("1").await, &referral);
    assert_delivered(&on_second.next_event("7").await, &referral);
    on_first.assert_silent().await;
    on_second.assert_silent().await;
}

#[tokio::test]
async fn the_listener_reconnects_when_its_connection_is_lost() {
    // The listener exists on PostgreSQL only.
    let Some(admin_url) = postgres_only("the_listener_reconnects_when_its_connection_is_lost")
    else {
        return;
    };
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let mut feed = app.referral_events_as(&partner.access_token, "1").await;
    let lost = listener_pids(&app).await;
    assert_eq!(lost.len(), 1, "one listening connection");

    // The database refuses new connections for a while and the listener's is ended: it
    // fails to reconnect, waits, tries again, and listens once the database lets it.
    let admin = Database::connect(&admin_url)
        .await
        .expect("admin connection");
    let (_, name) = app.config.database.url.rsplit_once('/').expect("a name");
    let allow = |allowed: bool| {
        Statement::from_string(
            admin.get_database_backend(),
            format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {allowed}"),
        )
    };
    admin
        .execute_raw(allow(false))
        .await
        .expect("refuse connections");
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT pg_terminate_backend({})", lost[0]),
        ))
        .await
        .expect("end the listener's connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
    admin
        .execute_raw(allow(true))
        .await
        .expect("allow connections");

    let started = tokio::time::Instant::now();
    loop {
        let pids = listener_pids(&app).await;
        if pids.len() == 1 && pids[0] != lost[0] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the listener did not come back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let referral = event(&[ngo.id]);
    publish(&app, &referral).await;
    assert_delivered(&feed.next_event("1").await, &referral);
    feed.assert_silent().await;
}

/// The server processes of this test's database that listen for referral events.
async fn listener_pids(app: &TestApp) -> Vec<i32> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT pid FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        ))
        .await
        .expect("pg_stat_activity");
    rows.iter()
        .map(|row| row.try_get::<i32>("", "pid").expect("pid"))
        .collect()
}

async fn disable(app: &TestApp, account: &account::Model) {
    let mut disabled = account.clone().into_active_model();
    disabled.status = Set(AccountStatus::Disabled);
    disabled.update(&app.db).await.expect("disable the account");
}

#[tokio::test]
async fn referring_and_answering_a_case_reach_both_parties_live() {
    let app = spawn_app().await;
    let referrer = fixtures::organisation(&app.db, "Referring NGO").await;
    let receiver = fixtures::organisation(&app.db, "Receiving NGO").await;
    let third = fixtures::organisation(&app.db, "Third NGO").await;
    let referring = app.user(Role::Partner, Some(referrer.id)).await;
    let receiving = app.user(Role::Partner, Some(receiver.id)).await;
    let outsider = app.user(Role::Partner, Some(third.id)).await;
    let mut referrer_feed = app.referral_events_as(&referring.access_token, "a").await;
    let mut receiver_feed = app.referral_events_as(&receiving.access_token, "b").await;
    let mut outsider_feed = app.referral_events_as(&outsider.access_token, "c").await;

    let created = app
        .data_as(
            &referring.access_token,
            "mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id code } }",
            json!({ "input": {
                "kind": "DOMESTIC_VIOLENCE", "risk": "HIGH", "survivorSex": "FEMALE",
                "survivorAgeGroup": "ADULT_25_59", "region": "KHATLON", "district": "Bokhtar",
                "servicesRequested": ["SHELTER"], "survivorName": "Gulnora Testova",
                "consentGiven": true, "consentScope": "Referral to a shelter",
            } }),
        )
        .await;
    let id = created["createReferralCase"]["id"].as_str().expect("id");
    let code = created["createReferralCase"]["code"]
        .as_str()
        .expect("code");
    app.data_as(
        &referring.access_token,
        "mutation($id: ID!, $to: ID!) { sendReferralCase(id: $id, receivingOrganisationId: $to) { id } }",
        json!({ "id": id, "to": receiver.id }),
    )
    .await;

    for (feed, subscription) in [(&mut receiver_feed, "b"), (&mut referrer_feed, "a")] {
        let referred = feed.next_event(subscription).await;
        assert_eq!(referred["caseId"], id);
        assert_eq!(referred["code"], code);
        assert_eq!(referred["change"], "REFERRED");
        assert_eq!(referred["status"], "REFERRED");
    }
    outsider_feed.assert_silent().await;

    app.data_as(
        &receiving.access_token,
        "mutation($id: ID!) { acceptReferralCase(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let accepted = referrer_feed.next_event("a").await;
    assert_eq!(
        (
            &accepted["caseId"],
            &accepted["change"],
            &accepted["status"]
        ),
        (&json!(id), &json!("ACCEPTED"), &json!("ACCEPTED"))
    );
    assert_eq!(receiver_feed.next_event("b").await["change"], "ACCEPTED");
    outsider_feed.assert_silent().await;
    referrer_feed.assert_silent().await;
}

/// The status of a WebSocket upgrade to `app`: 101 when it was taken.
async fn upgrade_status(
    app: &TestApp,
) -> (
    u16,
    Option<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    >,
) {
    use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, http::HeaderValue};

    let mut request = app
        .ws_address()
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, response)) => (response.status().as_u16(), Some(socket)),
        Err(tungstenite::Error::Http(response)) => {
            let body: serde_json::Value = response
                .body()
                .as_deref()
                .and_then(|body| serde_json::from_slice(body).ok())
                .unwrap_or_default();
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
                "{body}"
            );
            assert_eq!(
                response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok()),
                Some("30")
            );
            (response.status().as_u16(), None)
        }
        Err(error) => panic!("the upgrade failed: {error}"),
    }
}

#[tokio::test]
async fn the_process_refuses_connections_over_its_cap_until_one_closes() {
    let app = crate::helpers::spawn_app_with(&[("PORTAL_WS_MAX_CONNECTIONS", "2")]).await;

    let first = app.ws_init(json!({})).await.expect("connection_ack");
    let _second = app.ws_init(json!({})).await.expect("connection_ack");
    let (over, _) = upgrade_status(&app).await;
    drop(first);
    // The server notices the close on its own time; wait (generously) for the place.
    let started = tokio::time::Instant::now();
    let again = loop {
        let (status, socket) = upgrade_status(&app).await;
        if status == 101 {
            break socket;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the closed connection's place was not given back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    assert_eq!(over, 503);
    assert!(again.is_some());
}

#[tokio::test]
async fn an_account_over_its_connection_cap_is_refused_at_connection_init() {
    let app =
        crate::helpers::spawn_app_with(&[("PORTAL_WS_MAX_CONNECTIONS_PER_ACCOUNT", "2")]).await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let colleague = app.user(Role::Partner, Some(ngo.id)).await;

    let _first = app.ws_as(&partner.access_token).await;
    let _second = app.ws_as(&partner.access_token).await;
    let third = app
        .ws_init(json!({ "Authorization": format!("Bearer {}", partner.access_token) }))
        .await;
    let _colleagues = app.ws_as(&colleague.access_token).await;

    match third {
        Err(refused) => assert_eq!(
            (refused.code, refused.reason.as_str()),
            (
                4403,
                "Forbidden: this account holds 2 live connections, the most allowed"
            )
        ),
        Ok(_) => panic!("a third connection of the account was accepted"),
    }
}

#[tokio::test]
async fn an_upgrade_without_a_subprotocol_the_server_speaks_is_refused() {
    use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, http::HeaderValue};

    let app = spawn_app().await;
    for offered in [None, Some("graphql-over-carrier-pigeons")] {
        let mut request = app
            .ws_address()
            .into_client_request()
            .expect("a WebSocket request");
        if let Some(offered) = offered {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(offered));
        }
        match tokio_tungstenite::connect_async(request).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 400);
                let body: serde_json::Value = response
                    .body()
                    .as_deref()
                    .and_then(|body| serde_json::from_slice(body).ok())
                    .unwrap_or_default();
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                    "{body}"
                );
            }
            other => panic!("{offered:?}: expected a refusal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_connection_without_connection_init_in_time_is_closed_with_4408() {
    let app = crate::helpers::spawn_app_with(&[("PORTAL_WS_INIT_TIMEOUT_SECS", "1")]).await;
    let mut initialised = app.ws_init(json!({})).await.expect("connection_ack");
    let mut silent = app.ws_connect("graphql-transport-ws").await;
    let mut pinging = app.ws_connect("graphql-transport-ws").await;

    // Pinging is answered, but does not stand for `connection_init`.
    pinging.send(json!({ "type": "ping" })).await;
    assert_eq!(
        pinging.receive(DELIVERY_TIMEOUT).await,
        Some(Received::Message(json!({ "type": "pong" })))
    );
    for client in [&mut silent, &mut pinging] {
        assert_eq!(
            client.closed().await,
            (4408, "Connection initialisation timeout".to_owned())
        );
    }
    // The connection that did sign in outlived the same deadline and is still open.
    assert_eq!(initialised.receive(Duration::from_millis(300)).await, None);
}

#[tokio::test]
async fn a_subscribe_before_connection_ack_is_closed_with_4401() {
    let app = spawn_app().await;
    let mut client = app.ws_connect("graphql-transport-ws").await;

    client.subscribe("1", REFERRAL_EVENTS).await;

    assert_eq!(client.closed().await, (4401, "Unauthorized".to_owned()));
}

#[tokio::test]
async fn a_second_connection_init_is_closed_with_4429() {
    let app = spawn_app().await;
    let mut client = app.ws_init(json!({})).await.expect("connection_ack");

    client
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;

    assert_eq!(
        client.closed().await,
        (4429, "Too many initialisation requests".to_owned())
    );
}

#[tokio::test]
async fn a_message_outside_the_protocol_is_closed_with_4400_and_a_short_reason() {
    let app = spawn_app().await;
    let not_an_object = "Invalid message: not a JSON object";
    let unknown = "Invalid message: unknown type";
    let bad_subscribe = "Invalid message: subscribe needs an id and a payload with a query";
    let cases: [(&str, &str); 10] = [
        ("hello", not_an_object),
        ("{\"type\": \"subscribe\", ", not_an_object),
        ("[1, 2]", not_an_object),
        ("{\"id\": \"1\"}", unknown),
        ("{\"type\": 7}", unknown),
        (
            "{\"type\": \"start\", \"id\": \"1\", \"payload\": {\"query\": \"{ a }\"}}",
            unknown,
        ),
        (
            "{\"type\": \"next\", \"id\": \"1\", \"payload\": {}}",
            unknown,
        ),
        (
            "{\"type\": \"subscribe\", \"payload\": {\"query\": \"{ a }\"}}",
            bad_subscribe,
        ),
        (
            "{\"type\": \"subscribe\", \"id\": \"1\", \"payload\": {\"query\": 42}}",
            bad_subscribe,
        ),
        (
            "{\"type\": \"complete\"}",
            "Invalid message: complete needs an id",
        ),
    ];
    for (text, reason) in cases {
        let mut client = app.ws_init(json!({})).await.expect("connection_ack");
        client.send_text(text).await;
        assert_eq!(client.closed().await, (4400, reason.to_owned()), "{text}");
    }
}

#[tokio::test]
async fn a_second_subscriber_for_a_live_id_is_closed_with_4409() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;

    // An id may be used again once its operation is over: here, completed by the client.
    let mut feed = app.referral_events_as(&partner.access_token, "1").await;
    feed.send(json!({ "type": "complete", "id": "1" })).await;
    wait_for_no_subscribers(&app).await;
    feed.subscribe("1", REFERRAL_EVENTS).await;
    app.wait_for_subscribers(1).await;

    feed.subscribe("1", REFERRAL_EVENTS).await;
    assert_eq!(
        feed.closed().await,
        (4409, "Subscriber for 1 already exists".to_owned())
    );

    // A long id is not echoed into a reason that a close frame cannot carry.
    let long = "x".repeat(300);
    let mut feed = app.referral_events_as(&partner.access_token, &long).await;
    feed.subscribe(&long, REFERRAL_EVENTS).await;
    assert_eq!(
        feed.closed().await,
        (4409, "Subscriber for this id already exists".to_owned())
    );
}

/// Waits until the server holds no subscription.
async fn wait_for_no_subscribers(app: &TestApp) {
    let started = tokio::time::Instant::now();
    while app.case_events.subscriber_count() > 0 {
        assert!(
            started.elapsed() < DELIVERY_TIMEOUT,
            "the subscription did not end"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_document_the_server_will_not_run_gets_an_error_message_with_codes() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let mut client = app.ws_as(&partner.access_token).await;
    let aliases = (0..30)
        .map(|n| format!("a{n}: code"))
        .collect::<Vec<_>>()
        .join(" ");
    let refused = [
        "subscription { referralEvents { nope } }".to_owned(),
        "subscription { referralEvents(first: 1) { code } }".to_owned(),
        "subscription { nope }".to_owned(),
        "subscription { referralEvents { code }".to_owned(),
        "subscription { referralEvents { ... on Nope { code } } }".to_owned(),
        format!("subscription {{ referralEvents {{ {aliases} }} }}"),
        "{ nope }".to_owned(),
    ];
    let counted_before = bad_input_errors_counted(&app).await;
    let mut received = 0;
    for (n, query) in refused.iter().enumerate() {
        let id = n.to_string();
        client.subscribe(&id, query).await;
        let errors = client.refused_operation(&id).await;
        let codes: Vec<_> = errors
            .as_array()
            .unwrap_or_else(|| panic!("{query}: {errors}"))
            .iter()
            .map(|error| error["extensions"]["code"].as_str())
            .collect();
        assert!(
            !codes.is_empty() && codes.iter().all(|code| *code == Some("BAD_USER_INPUT")),
            "{query}: {errors}"
        );
        received += codes.len();
    }
    // Counted in `/metrics` as an HTTP answer's errors are.
    assert_eq!(
        bad_input_errors_counted(&app).await - counted_before,
        received as f64
    );
    // The connection lives on.
    client.subscribe("live", REFERRAL_EVENTS).await;
    app.wait_for_subscribers(1).await;
}

/// The `BAD_USER_INPUT` errors `/metrics` has counted.
async fn bad_input_errors_counted(app: &TestApp) -> f64 {
    let text = app
        .get("/metrics")
        .await
        .text()
        .await
        .expect("the metrics text");
    text.lines()
        .find_map(|line| {
            line.strip_prefix("portal_graphql_errors_total{code=\"BAD_USER_INPUT\"} ")?
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn the_older_graphql_ws_protocol_still_delivers() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "NGO").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let mut legacy = app.ws_connect("graphql-ws").await;

    legacy
        .send(json!({
            "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {}", partner.access_token) },
        }))
        .await;
    assert_eq!(
        legacy.receive(DELIVERY_TIMEOUT).await,
        Some(Received::Message(json!({ "type": "connection_ack" })))
    );
    legacy
        .send(json!({ "id": "1", "type": "start", "payload": { "query": REFERRAL_EVENTS } }))
        .await;
    app.wait_for_subscribers(1).await;
    let referral = event(&[ngo.id]);
    publish(&app, &referral).await;

    match legacy.receive(DELIVERY_TIMEOUT).await {
        Some(Received::Message(message)) if message["type"] == "data" => {
            assert_eq!(message["id"], "1");
            assert_delivered(&message["payload"]["data"]["referralEvents"], &referral);
        }
        other => panic!("expected `data`, got {other:?}"),
    }
    legacy.send(json!({ "id": "1", "type": "stop" })).await;
    assert_eq!(
        legacy.receive(DELIVERY_TIMEOUT).await,
        Some(Received::Message(json!({ "id": "1", "type": "complete" })))
    );
}
