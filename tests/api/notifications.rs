//! The inbox: who is told what when a case moves (every principal, each kind), that a failed
//! change tells nobody, paging and the unread filter, marking only one's own read, that nothing
//! identifying reaches a notification, and the live `notificationAdded` subscription.

use entity::{
    enums::{AccountStatus, NotificationKind, Role},
    mail_outbox, notification, referral_case,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    cases::{
        ACCEPT, ADDRESS, CLOSE, DECLINE, NAME, NOTES, PHONE, START, WITHDRAW, WITHDRAW_CONSENT,
        World, act, case_in, open_case, send, world,
    },
    helpers::{TestApp, accounts::User, error_codes, nodes, paging::Listing, spawn_app},
};

const INBOX: &str = r"
query($first: Int, $filter: NotificationFilterInput) {
  notifications(first: $first, filter: $filter) {
    totalCount unreadCount
    edges { node { id kind at readAt caseCode message case { id code } } }
  }
}";

const MARK: &str = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }";

const ADDED: &str = "subscription { notificationAdded { id kind caseCode message case { code } } }";

/// Who got which kind of notification about `case_id`, by the labels of `w` ("A" for both
/// members of A, and so on), sorted; a member of an organisation that got one without the
/// other member fails the test.
pub(crate) async fn told(
    app: &TestApp,
    w: &World,
    case_id: &str,
) -> Vec<(String, NotificationKind)> {
    let case_id = Uuid::parse_str(case_id).expect("uuid");
    let rows = notification::Entity::find()
        .filter(notification::Column::CaseId.eq(case_id))
        .all(&app.db)
        .await
        .expect("notifications");
    let label = |account_id: Uuid| -> String {
        let people = [
            ("A", &w.a.partner),
            ("A", &w.a.manager),
            ("B", &w.b.partner),
            ("B", &w.b.manager),
            ("C", &w.c.partner),
            ("C", &w.c.manager),
            ("staff", &w.staff),
            ("admin", &w.admin),
        ];
        people
            .iter()
            .find(|(_, user)| user.account.id == account_id)
            .map_or_else(|| account_id.to_string(), |(label, _)| (*label).to_owned())
    };
    let mut all: Vec<(String, NotificationKind)> = rows
        .iter()
        .map(|row| (label(row.account_id), row.kind))
        .collect();
    all.sort();
    let mut organisations = all.clone();
    organisations.dedup();
    for told in &organisations {
        let members = all.iter().filter(|other| *other == told).count();
        assert_eq!(
            members, 2,
            "both members of {told:?} are told once: {all:?}"
        );
    }
    organisations
}

pub(crate) fn expected(pairs: &[(&str, NotificationKind)]) -> Vec<(String, NotificationKind)> {
    let mut pairs: Vec<_> = pairs
        .iter()
        .map(|(label, kind)| ((*label).to_owned(), *kind))
        .collect();
    pairs.sort();
    pairs
}

pub(crate) fn onward(to: Uuid) -> String {
    format!(r#"referCaseOnward(id: $id, receivingOrganisationId: "{to}") {{ status }}"#)
}

pub(crate) async fn ok(app: &TestApp, by: &User, mutation: &str, id: &str) {
    let response = act(app, by, mutation, id).await;
    assert!(response.get("errors").is_none(), "{mutation}: {response:#}");
}

#[tokio::test]
async fn a_send_tells_every_active_member_of_the_receiver_and_nobody_else() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (disabled, _) = app.account(Role::Partner, Some(w.b.id)).await;
    let mut row = disabled.clone().into_active_model();
    row.status = Set(AccountStatus::Disabled);
    row.update(&app.db).await.expect("disable");

    let (id, code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    assert!(told(&app, &w, &id).await.is_empty(), "a draft tells nobody");
    ok(&app, &w.a.partner, &send(w.b.id), &id).await;

    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[("B", NotificationKind::ReferralReceived)])
    );
    let disabled_rows = notification::Entity::find()
        .filter(notification::Column::AccountId.eq(disabled.id))
        .all(&app.db)
        .await
        .expect("q");
    assert!(disabled_rows.is_empty(), "a disabled account is not told");

    // Each notice is a mail too, in the same transaction: to the receiver's active members
    // only, in their language, with the code and what happened.
    let mut mailed: Vec<(String, String)> = mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox")
        .into_iter()
        .map(|mail| (mail.recipient, mail.subject))
        .collect();
    mailed.sort();
    let mut wanted = vec![
        (
            w.b.partner.account.email.clone(),
            format!("Case {code} was referred to your organisation."),
        ),
        (
            w.b.manager.account.email.clone(),
            format!("Case {code} was referred to your organisation."),
        ),
    ];
    wanted.sort();
    assert_eq!(
        mailed, wanted,
        "one mail per notice, to the receiver's members only"
    );

    // The receiver's inbox shows it, with the case as the receiver sees it.
    for member in [&w.b.partner, &w.b.manager] {
        let data = app.data_as(&member.access_token, INBOX, json!({})).await;
        let inbox = &data["notifications"];
        assert_eq!(inbox["totalCount"], 1);
        assert_eq!(inbox["unreadCount"], 1);
        let item = nodes(inbox)[0];
        assert_eq!(item["kind"], "REFERRAL_RECEIVED");
        assert_eq!(item["caseCode"], code.as_str());
        assert_eq!(item["case"], json!({ "id": id, "code": code }));
        assert_eq!(item["readAt"], Value::Null);
        assert_eq!(
            item["message"],
            format!("Case {code} was referred to your organisation.")
        );
    }
    // Everyone else's inbox is empty: the referrer, a third organisation, the office.
    for other in [&w.a.partner, &w.a.manager, &w.c.partner, &w.staff, &w.admin] {
        let data = app.data_as(&other.access_token, INBOX, json!({})).await;
        assert_eq!(data["notifications"]["totalCount"], 0, "{data:#}");
        assert_eq!(data["notifications"]["unreadCount"], 0, "{data:#}");
    }
    // The public has no inbox.
    let response = app.graphql(INBOX, json!({})).await;
    assert_eq!(error_codes(&response), ["UNAUTHENTICATED"], "{response:#}");
    let response = app.graphql(MARK, json!({ "ids": [] })).await;
    assert_eq!(error_codes(&response), ["UNAUTHENTICATED"], "{response:#}");
}

#[tokio::test]
async fn each_step_tells_the_organisations_that_did_not_act() {
    use NotificationKind::{
        CaseClosed, ConsentWithdrawn, ReferralAccepted, ReferralDeclined, ReferralReceived,
        ReferralWithdrawn, ReferredOnward,
    };
    let app = spawn_app().await;
    let w = world(&app).await;
    let received = ("B", ReferralReceived);

    let id = case_in(&app, &w, "ACCEPTED").await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[received, ("A", ReferralAccepted)])
    );
    // Starting the service tells nobody; closing tells the referrer.
    ok(&app, &w.b.partner, START, &id).await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[received, ("A", ReferralAccepted)])
    );
    ok(&app, &w.b.partner, CLOSE, &id).await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[received, ("A", ReferralAccepted), ("A", CaseClosed)])
    );

    let id = case_in(&app, &w, "WITHDRAWN").await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[received, ("B", ReferralWithdrawn)])
    );

    // Declined, then closed by the referrer: the receiver is told of the closing.
    let id = case_in(&app, &w, "DECLINED").await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[received, ("A", ReferralDeclined)])
    );
    ok(
        &app,
        &w.a.partner,
        "closeReferralCase(id: $id, outcome: REFERRED_ELSEWHERE) { status }",
        &id,
    )
    .await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[received, ("A", ReferralDeclined), ("B", CaseClosed)])
    );

    // Declined, then referred onward by the referrer: the new receiver and the one that
    // declined are told; then consent is withdrawn by the new receiver: the referrer and the
    // previous receiver are told.
    let id = case_in(&app, &w, "DECLINED").await;
    ok(&app, &w.a.partner, &onward(w.c.id), &id).await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[
            received,
            ("A", ReferralDeclined),
            ("C", ReferralReceived),
            ("B", ReferredOnward),
        ])
    );
    ok(&app, &w.c.partner, WITHDRAW_CONSENT, &id).await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[
            received,
            ("A", ReferralDeclined),
            ("C", ReferralReceived),
            ("B", ReferredOnward),
            ("A", ConsentWithdrawn),
            ("B", ConsentWithdrawn),
        ])
    );

    // Accepted, then referred onward by the receiver: the referrer is told, and the new
    // receiver; then the referrer withdraws consent: both receivers are told.
    let id = case_in(&app, &w, "ACCEPTED").await;
    ok(&app, &w.b.partner, &onward(w.c.id), &id).await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[
            received,
            ("A", ReferralAccepted),
            ("C", ReferralReceived),
            ("A", ReferredOnward),
        ])
    );
    ok(&app, &w.a.partner, WITHDRAW_CONSENT, &id).await;
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[
            received,
            ("A", ReferralAccepted),
            ("C", ReferralReceived),
            ("A", ReferredOnward),
            ("B", ConsentWithdrawn),
            ("C", ConsentWithdrawn),
        ])
    );
    // The former receiver still has the notice with the code, but no longer the case.
    let data = app
        .data_as(
            &w.b.partner.access_token,
            INBOX,
            json!({ "filter": { "unread": true } }),
        )
        .await;
    let code = referral_case::Entity::find_by_id(Uuid::parse_str(&id).expect("uuid"))
        .one(&app.db)
        .await
        .expect("q")
        .expect("case")
        .code;
    let withdrawn: Vec<&Value> = nodes(&data["notifications"])
        .into_iter()
        .filter(|item| item["caseCode"] == code.as_str())
        .collect();
    assert_eq!(withdrawn.len(), 2, "{data:#}");
    assert_eq!(withdrawn[0]["kind"], "CONSENT_WITHDRAWN");
    assert!(
        withdrawn[0]["message"]
            .as_str()
            .is_some_and(|message| message.contains(&code)),
        "{data:#}"
    );

    // A draft whose consent is withdrawn tells nobody (only its referrer knew it).
    let id = case_in(&app, &w, "DRAFT").await;
    ok(&app, &w.a.partner, WITHDRAW_CONSENT, &id).await;
    assert!(told(&app, &w, &id).await.is_empty());
}

#[tokio::test]
async fn a_failed_transition_tells_nobody() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = Uuid::parse_str(&case_in(&app, &w, "REFERRED").await).expect("uuid");
    let before = app.rows::<notification::Entity>().await;
    let caller = api::auth::Caller::system(
        app.services()
            .auth()
            .authenticate(&w.b.partner.access_token)
            .await
            .expect("actor"),
    );
    let read = referral_case::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("case");
    let mut other = read.clone().into_active_model();
    other.version = Set(read.version + 1);
    other.update(&app.db).await.expect("bump");

    let result = app.services().cases().accept_from(&caller, read).await;

    assert!(
        matches!(result, Err(api::error::ApiError::Conflict(_))),
        "{result:?}"
    );
    assert_eq!(app.rows::<notification::Entity>().await, before);
    // Refused steps tell nobody either.
    let refused = act(&app, &w.a.partner, ACCEPT, &id.to_string()).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
    assert_eq!(app.rows::<notification::Entity>().await, before);
}

#[tokio::test]
async fn the_inbox_pages_filters_unread_and_marks_only_ones_own() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for _ in 0..7 {
        case_in(&app, &w, "REFERRED").await;
    }
    let listing = Listing {
        token: Some(&w.b.partner.access_token),
        template: "notifications(PAGE) SELECTION",
        path: &["notifications"],
    };
    let ids = listing.assert_pages_both_ways(&app, 2).await;
    assert_eq!(ids.len(), 7);
    // Newest first.
    let rows = notification::Entity::find()
        .filter(notification::Column::AccountId.eq(w.b.partner.account.id))
        .order_by_desc(notification::Column::At)
        .order_by_desc(notification::Column::Id)
        .all(&app.db)
        .await
        .expect("q");
    let newest_first: Vec<String> = rows.iter().map(|row| row.id.to_string()).collect();
    assert_eq!(ids, newest_first);

    // Another account (of the same organisation, and of the referrer) cannot mark them.
    for other in [&w.b.manager, &w.a.partner, &w.admin] {
        let data = app
            .data_as(&other.access_token, MARK, json!({ "ids": ids }))
            .await;
        assert_eq!(data["markNotificationsRead"], 0);
    }
    let unread = app
        .data_as(&w.b.partner.access_token, INBOX, json!({}))
        .await;
    assert_eq!(unread["notifications"]["unreadCount"], 7);

    // The owner marks two (one id given twice, one unknown id ignored).
    let data = app
        .data_as(
            &w.b.partner.access_token,
            MARK,
            json!({ "ids": [ids[0], ids[1], ids[1], Uuid::now_v7().to_string()] }),
        )
        .await;
    assert_eq!(data["markNotificationsRead"], 2);
    let again = app
        .data_as(&w.b.partner.access_token, MARK, json!({ "ids": [ids[0]] }))
        .await;
    assert_eq!(again["markNotificationsRead"], 0, "already read");

    let unread = app
        .data_as(
            &w.b.partner.access_token,
            INBOX,
            json!({ "filter": { "unread": true } }),
        )
        .await;
    let inbox = &unread["notifications"];
    assert_eq!(inbox["totalCount"], 5);
    assert_eq!(inbox["unreadCount"], 5);
    let unread_ids: Vec<&str> = nodes(inbox)
        .iter()
        .filter_map(|item| item["id"].as_str())
        .collect();
    assert_eq!(unread_ids, ids[2..]);
    let read = app
        .data_as(
            &w.b.partner.access_token,
            INBOX,
            json!({ "filter": { "unread": false } }),
        )
        .await;
    assert_eq!(read["notifications"]["totalCount"], 2);
    assert!(
        nodes(&read["notifications"])
            .iter()
            .all(|item| item["readAt"].is_string())
    );
    // The manager's own copies are untouched by the partner's marking.
    let manager = app
        .data_as(&w.b.manager.access_token, INBOX, json!({}))
        .await;
    assert_eq!(manager["notifications"]["unreadCount"], 7);

    let bad = app
        .graphql_as(&w.b.partner.access_token, MARK, json!({ "ids": ["nope"] }))
        .await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn the_message_answers_in_the_request_language() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = open_case(&app, &w.a.partner, "LOW").await;
    ok(&app, &w.a.partner, &send(w.b.id), &id).await;
    for (language, message) in [
        (
            "en",
            format!("Case {code} was referred to your organisation."),
        ),
        ("ru", format!("В вашу организацию направлено дело {code}.")),
        (
            "tg",
            format!("Ба ташкилоти шумо парвандаи {code} ирсол шуд."),
        ),
    ] {
        let response: Value = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&w.b.partner.access_token)
            .header("Accept-Language", language)
            .json(&json!({ "query": INBOX, "variables": {} }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            nodes(&response["data"]["notifications"])[0]["message"],
            message.as_str(),
            "{response:#}"
        );
    }
}

#[tokio::test]
async fn no_notification_carries_identifying_data() {
    let app = spawn_app().await;
    let w = world(&app).await;
    const SCOPE: &str = "Consent only for Zarina Secretova's shelter stay";
    const DECLINED: &str = "No bed for Zarina Secretova tonight";
    const ONWARD: &str = "Zarina Secretova moved to Kulob";
    let mut input = crate::cases::new_case(true, "HIGH");
    input["input"]["consentScope"] = json!(SCOPE);
    let data = app
        .data_as(&w.a.partner.access_token, crate::cases::CREATE, input)
        .await;
    let id = data["createReferralCase"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    ok(&app, &w.a.partner, &send(w.b.id), &id).await;
    ok(
        &app,
        &w.b.partner,
        &format!(
            r#"declineReferralCase(id: $id, reason: OTHER, comment: "{DECLINED}") {{ status }}"#
        ),
        &id,
    )
    .await;
    ok(
        &app,
        &w.a.partner,
        &format!(
            r#"referCaseOnward(id: $id, receivingOrganisationId: "{}", comment: "{ONWARD}") {{ status }}"#,
            w.c.id
        ),
        &id,
    )
    .await;
    ok(&app, &w.c.partner, ACCEPT, &id).await;
    ok(&app, &w.c.partner, START, &id).await;
    ok(&app, &w.c.partner, CLOSE, &id).await;
    let second = case_in(&app, &w, "REFERRED").await;
    ok(&app, &w.a.partner, WITHDRAW, &second).await;
    let third = case_in(&app, &w, "ACCEPTED").await;
    ok(&app, &w.b.partner, WITHDRAW_CONSENT, &third).await;
    ok(
        &app,
        &w.b.partner,
        DECLINE,
        &case_in(&app, &w, "REFERRED").await,
    )
    .await;

    let secrets = [
        NAME,
        PHONE,
        ADDRESS,
        NOTES,
        SCOPE,
        DECLINED,
        ONWARD,
        "Secretova",
    ];
    let rows = notification::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert!(rows.len() > 10, "{}", rows.len());
    let stored = format!("{rows:?}");
    for user in [
        &w.a.partner,
        &w.a.manager,
        &w.b.partner,
        &w.b.manager,
        &w.c.partner,
        &w.c.manager,
    ] {
        let inbox = app
            .data_as(&user.access_token, INBOX, json!({ "first": 100 }))
            .await;
        let answer = inbox.to_string();
        for secret in secrets {
            assert!(!answer.contains(secret), "{secret} in {answer}");
        }
    }
    for secret in secrets {
        assert!(!stored.contains(secret), "{secret} in the stored rows");
    }
    // Nor a mail: one per notification, none naming anything but codes and what happened.
    let mails = mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox");
    assert_eq!(mails.len(), rows.len(), "one mail per notification");
    let outbox = format!("{mails:?}");
    for secret in secrets {
        assert!(!outbox.contains(secret), "{secret} in the mail outbox");
    }
}

#[tokio::test]
async fn the_subscription_delivers_each_new_notification_to_its_account_only() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = app.case_events.subscriber_count();
    let mut receiver = app.ws_as(&w.b.partner.access_token).await;
    receiver.subscribe("n", ADDED).await;
    let mut referrer = app.ws_as(&w.a.partner.access_token).await;
    referrer.subscribe("n", ADDED).await;
    let mut third = app.ws_as(&w.c.partner.access_token).await;
    third.subscribe("n", ADDED).await;
    app.wait_for_subscribers(before + 3).await;

    let (id, code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    ok(&app, &w.a.partner, &send(w.b.id), &id).await;
    let delivered = receiver.next_response("n").await;
    let item = &delivered["data"]["notificationAdded"];
    assert_eq!(item["kind"], "REFERRAL_RECEIVED", "{delivered:#}");
    assert_eq!(item["caseCode"], code.as_str());
    assert_eq!(item["case"]["code"], code.as_str());
    assert_eq!(
        item["message"],
        format!("Case {code} was referred to your organisation.")
    );
    // It is the stored notification of that account.
    let stored = notification::Entity::find_by_id(
        Uuid::parse_str(item["id"].as_str().expect("id")).expect("uuid"),
    )
    .one(&app.db)
    .await
    .expect("q")
    .expect("row");
    assert_eq!(stored.account_id, w.b.partner.account.id);
    referrer.assert_silent().await;
    third.assert_silent().await;

    ok(&app, &w.b.partner, ACCEPT, &id).await;
    let delivered = referrer.next_response("n").await;
    assert_eq!(
        delivered["data"]["notificationAdded"]["kind"], "REFERRAL_ACCEPTED",
        "{delivered:#}"
    );
    receiver.assert_silent().await;
    third.assert_silent().await;

    // A refused step delivers nothing.
    let refused = act(&app, &w.c.partner, START, &id).await;
    assert_eq!(error_codes(&refused), ["NOT_FOUND"]);
    receiver.assert_silent().await;
    referrer.assert_silent().await;
}

#[tokio::test]
async fn the_subscription_needs_a_partner_account() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut anonymous = app.ws_init(json!({})).await.expect("connection_ack");
    anonymous.subscribe("n", ADDED).await;
    assert_eq!(
        anonymous.errors_then_complete("n").await,
        ["UNAUTHENTICATED"]
    );
    let mut staff = app.ws_as(&w.staff.access_token).await;
    staff.subscribe("n", ADDED).await;
    assert_eq!(staff.errors_then_complete("n").await, ["FORBIDDEN"]);
}

#[tokio::test]
async fn an_inbox_page_with_its_cases_costs_the_same_for_one_or_many() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let query = "query($first: Int) { notifications(first: $first) { edges { node { message case { code receivingOrganisation { name } } } } } }";
    for _ in 0..4 {
        case_in(&app, &w, "REFERRED").await;
    }
    let statements = |first: i64| {
        let app = &app;
        let token = w.b.partner.access_token.clone();
        async move {
            // The fewest of three runs: a loaded scheduler can split a batch, a loop over the
            // items would cost one more statement per item in every run.
            let mut fewest = u64::MAX;
            for _ in 0..3 {
                let before = app.statements.get();
                let data = app.data_as(&token, query, json!({ "first": first })).await;
                assert_eq!(nodes(&data["notifications"]).len() as i64, first);
                fewest = fewest.min(app.statements.get() - before);
            }
            fewest
        }
    };

    let one = statements(1).await;
    let four = statements(4).await;

    assert_eq!(one, four, "the cases load in one batch");
}
