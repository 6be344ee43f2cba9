//! Two server processes on one database, as a deployment behind a balancer runs them: what
//! docs/SECURITY.md ("What is per process, and why") says must hold across processes does
//! (the account lock, the end of sessions, disabled accounts, live referral events), and what
//! it says is per process is (the sign-in limit and the query-cost budgets). The events cross
//! processes on PostgreSQL only (`LISTEN`/`NOTIFY`); the rest runs on either database.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, fixtures, postgres_only, spawn_app, spawn_app_with};

const ME: &str = "{ me { id } }";

/// Whether `token` is accepted by `app`.
async fn accepted(app: &TestApp, token: &str) -> bool {
    let response = app.graphql_as(token, ME, json!({})).await;
    match error_codes(&response).as_slice() {
        [] => true,
        [code] if code == "UNAUTHENTICATED" => false,
        codes => panic!("neither an answer nor UNAUTHENTICATED: {codes:?} {response:#}"),
    }
}

#[tokio::test]
async fn the_account_lock_counts_failures_on_every_server_and_holds_on_every_server() {
    let first = spawn_app().await;
    let second = first.another_server().await;
    let (account, password) = first.account(Role::Staff, None).await;
    let signed_in = |response: &Value| response["data"]["login"].is_object();

    // The right password works on the second server before the failures.
    assert!(signed_in(
        &second.login(&account.email, &password, None).await
    ));
    // Five failures in a row, three on one server and two on the other.
    for (index, server) in [&first, &second, &first, &second, &first]
        .iter()
        .enumerate()
    {
        let wrong = server
            .login(&account.email, &format!("Wrong-Password-{index}-x"), None)
            .await;
        assert_eq!(error_codes(&wrong), ["UNAUTHENTICATED"], "{wrong:#}");
    }
    let on_second = second.login(&account.email, &password, None).await;
    let on_first = first.login(&account.email, &password, None).await;

    assert_eq!(
        error_codes(&on_second),
        ["UNAUTHENTICATED"],
        "{on_second:#}"
    );
    assert_eq!(error_codes(&on_first), ["UNAUTHENTICATED"], "{on_first:#}");
}

#[tokio::test]
async fn ending_a_session_on_one_server_ends_it_on_the_other() {
    let first = spawn_app().await;
    let second = first.another_server().await;
    let user = first.user(Role::Staff, None).await;
    let other_session = second
        .login(&user.account.email, &user.password, None)
        .await;
    let other_token = other_session["data"]["login"]["accessToken"]
        .as_str()
        .expect("a second session")
        .to_owned();
    let admin = first.user(Role::Admin, None).await;

    let before = accepted(&second, &user.access_token).await;
    first
        .data_as(
            &user.access_token,
            "mutation { logout { sessionsEnded } }",
            json!({}),
        )
        .await;
    let after_logout = accepted(&second, &user.access_token).await;
    let refreshed = second
        .graphql(
            "mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken } }",
            json!({ "token": user.refresh_token }),
        )
        .await;
    let other_before = accepted(&first, &other_token).await;
    first
        .data_as(
            &admin.access_token,
            "mutation($id: ID!) { disableAccount(id: $id) { id } }",
            json!({ "id": user.account.id }),
        )
        .await;
    let other_after_disable = accepted(&first, &other_token).await;
    let other_on_second = accepted(&second, &other_token).await;
    let sign_in_on_second = second
        .login(&user.account.email, &user.password, None)
        .await;

    assert!(before);
    assert!(
        !after_logout,
        "the second server still takes a token logged out on the first"
    );
    assert_eq!(
        error_codes(&refreshed),
        ["UNAUTHENTICATED"],
        "{refreshed:#}"
    );
    assert!(other_before);
    assert!(!other_after_disable);
    assert!(
        !other_on_second,
        "the second server still takes a disabled account's token"
    );
    assert_eq!(error_codes(&sign_in_on_second), ["UNAUTHENTICATED"]);
}

/// docs/SECURITY.md: "The sign-in limit per address, the query-cost budgets ... live in each
/// server process's memory ... With N processes behind a balancer a client may therefore spend
/// up to N budgets." Spent on one server, each is whole on the other.
#[tokio::test]
async fn the_sign_in_limit_and_the_cost_budgets_are_per_process_as_documented() {
    let first = spawn_app_with(&[
        ("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "2"),
        ("PORTAL_RATE_LIMIT_ACCOUNT_COST_PER_MINUTE", "100"),
    ])
    .await;
    let second = first.another_server().await;
    let user = first.user(Role::Staff, None).await;
    let nobody = "nobody@portal.example.tj";
    let wrong = "Not-A-Password-1";

    // The user's own sign-in was the first attempt on the first server.
    let second_attempt = first.login(nobody, wrong, None).await;
    let third_attempt = first.login(nobody, wrong, None).await;
    let on_second = second.login(nobody, wrong, None).await;
    // Costs 31 (ten nodes of three fields, and the connection): the fourth is over 100.
    let probe = "{ projects(first: 10) { edges { node { code } } } }";
    let mut spent = Vec::new();
    for _ in 0..4 {
        spent.push(first.graphql_as(&user.access_token, probe, json!({})).await);
    }
    let budget_on_second = second
        .graphql_as(&user.access_token, probe, json!({}))
        .await;

    assert_eq!(error_codes(&second_attempt), ["UNAUTHENTICATED"]);
    assert_eq!(
        error_codes(&third_attempt),
        ["RATE_LIMITED"],
        "{third_attempt:#}"
    );
    assert_eq!(
        error_codes(&on_second),
        ["UNAUTHENTICATED"],
        "{on_second:#}"
    );
    let codes: Vec<Vec<String>> = spent.iter().map(error_codes).collect();
    assert_eq!(
        codes,
        [vec![], vec![], vec![], vec!["RATE_LIMITED".to_owned()]],
        "{spent:#?}"
    );
    assert!(
        error_codes(&budget_on_second).is_empty(),
        "{budget_on_second:#}"
    );
}

/// A case sent through one server reaches its receiver's subscription on the other, and the
/// referrer's too: the event is published after the commit, through the database.
#[tokio::test]
async fn a_case_sent_through_one_server_reaches_subscribers_on_the_other() {
    if postgres_only("a_case_sent_through_one_server_reaches_subscribers_on_the_other").is_none() {
        return;
    }
    let first = spawn_app().await;
    let second = first.another_server().await;
    let referrer = fixtures::organisation(&first.db, "Referring NGO").await;
    let receiver = fixtures::organisation(&first.db, "Receiving shelter").await;
    let outsider = fixtures::organisation(&first.db, "Unrelated NGO").await;
    let sender = first.user(Role::Partner, Some(referrer.id)).await;
    let colleague = first.user(Role::Partner, Some(referrer.id)).await;
    let recipient = first.user(Role::Partner, Some(receiver.id)).await;
    let stranger = first.user(Role::Partner, Some(outsider.id)).await;
    let mut receiving = second
        .referral_events_as(&recipient.access_token, "1")
        .await;
    let mut referring = second
        .referral_events_as(&colleague.access_token, "2")
        .await;
    let mut unrelated = second.referral_events_as(&stranger.access_token, "3").await;

    let opened = first
        .data_as(
            &sender.access_token,
            "mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id code } }",
            json!({ "input": {
                "kind": "DOMESTIC_VIOLENCE", "risk": "HIGH", "survivorSex": "FEMALE",
                "survivorAgeGroup": "ADULT_25_59", "region": "KHATLON", "district": "Bokhtar",
                "servicesRequested": ["SHELTER"], "consentGiven": true,
            } }),
        )
        .await;
    let case_id = opened["createReferralCase"]["id"].as_str().expect("an id");
    let code = opened["createReferralCase"]["code"]
        .as_str()
        .expect("a code");
    first
        .data_as(
            &sender.access_token,
            "mutation($id: ID!, $to: ID!) { sendReferralCase(id: $id, receivingOrganisationId: \
             $to) { status } }",
            json!({ "id": case_id, "to": receiver.id }),
        )
        .await;

    for (feed, id) in [(&mut receiving, "1"), (&mut referring, "2")] {
        let delivered = feed.next_event(id).await;
        assert_eq!(delivered["caseId"], case_id, "{delivered}");
        assert_eq!(delivered["code"], code, "{delivered}");
        assert_eq!(delivered["change"], "REFERRED", "{delivered}");
        assert_eq!(delivered["status"], "REFERRED", "{delivered}");
        feed.assert_silent().await;
    }
    unrelated.assert_silent().await;
}
