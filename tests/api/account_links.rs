//! Invitations and password resets by mailed link (issue 17): no answer carries a password;
//! a link works once, until it expires or a newer one replaces it; a reset request answers
//! the same for an unknown address; the limits per client address and per account hold in
//! the database; using a link ends every session.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use entity::{
    account, account_token,
    enums::{Language, Role, TokenPurpose},
    mail_outbox,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, error_codes, error_fields, fresh_config, links::latest_link, spawn_app_on,
};

const NEW_PASSWORD: &str = "Pamir-Highway-Khorog-Bridge";

const CREATE: &str = r"
mutation($input: CreateAccountInput!) { createAccount(input: $input) { id email mustChangePassword } }";
const ACCEPT: &str = "mutation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) }";
const REQUEST: &str = "mutation($email: String!) { requestPasswordReset(email: $email) }";
const RESET: &str = "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }";

/// A server whose mail sender does not run during the test, so that the outbox keeps the
/// links (a sent link's body is emptied).
async fn app() -> TestApp {
    let (mut config, database) =
        fresh_config(&[("PORTAL_APP_URL", "https://portal.example.tj/")]).await;
    config.mail.poll_interval = Duration::from_secs(3600);
    spawn_app_on(config, database).await
}

async fn invite(app: &TestApp, token: &str, email: &str, language: &str) -> Value {
    app.graphql_as(
        token,
        CREATE,
        json!({ "input": {
            "email": email, "displayName": "New officer", "role": "STAFF",
            "preferredLanguage": language,
        } }),
    )
    .await
}

/// Waits (up to ten seconds) for a link mailed to `to` other than `not`.
async fn wait_for_link(app: &TestApp, to: &str, not: Option<&str>) -> (String, String) {
    for _ in 0..200 {
        if let Some((subject, secret)) = latest_link(&app.db, to).await
            && Some(secret.as_str()) != not
        {
            return (subject, secret);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no new link mailed to {to}");
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    app.login(email, password, None).await
}

#[tokio::test]
async fn an_invitation_sets_the_first_password_once_and_no_answer_carries_one() {
    let app = app().await;
    let organisation = crate::helpers::fixtures::organisation(&app.db, "Khujand shelter").await;
    let manager = app.user(Role::PartnerManager, Some(organisation.id)).await;
    let email = "nilufar@shelter.example.tj";
    let created = app
        .graphql_as(
            &manager.access_token,
            CREATE,
            json!({ "input": {
                "email": email, "displayName": "Nilufar Saidova", "role": "PARTNER",
                "organisationId": organisation.id.to_string(), "preferredLanguage": "RU",
            } }),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created:#}");
    assert!(!created.to_string().to_lowercase().contains("password\":\""));

    // One mail, in the invitee's language, with a link to the web app; only its hash is kept.
    let (subject, secret) = wait_for_link(&app, email, None).await;
    assert_eq!(subject, "Ваша учётная запись на портале партнёров ОБСЕ");
    let mail = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Recipient.eq(email))
        .one(&app.db)
        .await
        .expect("q")
        .expect("the invitation");
    assert_eq!(mail.language, Language::Ru);
    assert!(
        mail.body.contains(&format!(
            "https://portal.example.tj/accept-invitation#token={secret}"
        )),
        "{}",
        mail.body
    );
    let stored = account_token::Entity::find()
        .all(&app.db)
        .await
        .expect("tokens");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].purpose, TokenPurpose::Invitation);
    assert_ne!(stored[0].token_hash, secret);
    assert!(!stored[0].token_hash.contains(&secret));

    // Nobody can sign in before the invitation is accepted.
    let before = sign_in(&app, email, NEW_PASSWORD).await;
    assert_eq!(error_codes(&before), ["UNAUTHENTICATED"]);

    // A weak password is refused and the link still works; then it works once.
    let weak = app
        .graphql(ACCEPT, json!({ "token": secret, "password": "password" }))
        .await;
    assert_eq!(error_fields(&weak), ["password"], "{weak:#}");
    let accepted = app
        .graphql(ACCEPT, json!({ "token": secret, "password": NEW_PASSWORD }))
        .await;
    assert_eq!(accepted["data"]["acceptInvitation"], true, "{accepted:#}");
    let login = sign_in(&app, email, NEW_PASSWORD).await;
    assert_eq!(
        login["data"]["login"]["mustChangePassword"], false,
        "{login:#}"
    );
    let again = app
        .graphql(
            ACCEPT,
            json!({ "token": secret, "password": "Another-Long-Password-2026" }),
        )
        .await;
    assert_eq!(error_fields(&again), ["token"], "{again:#}");
    // The one refusal does not say why.
    let unknown = app
        .graphql(
            ACCEPT,
            json!({ "token": "x".repeat(43), "password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(
        again["errors"][0]["message"], unknown["errors"][0]["message"],
        "{unknown:#}"
    );
    // The password set is the one that works.
    assert!(
        sign_in(&app, email, "Another-Long-Password-2026")
            .await
            .get("errors")
            .is_some()
    );
    // An invitation cannot be resent once it was used to sign in.
    let id = created["data"]["createAccount"]["id"].clone();
    let resend = app
        .graphql_as(
            &manager.access_token,
            "mutation($id: ID!) { resendInvitation(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&resend), ["CONFLICT"], "{resend:#}");
}

#[tokio::test]
async fn a_resent_invitation_replaces_the_old_one_and_an_expired_one_does_not_work() {
    let app = app().await;
    let admin = app.user(Role::Admin, None).await;
    let email = "officer@portal.example.tj";
    let created = app
        .graphql_as(
            &admin.access_token,
            CREATE,
            json!({ "input": { "email": email, "displayName": "New officer", "role": "STAFF" } }),
        )
        .await;
    let id = created["data"]["createAccount"]["id"].clone();
    let (_, first) = wait_for_link(&app, email, None).await;
    let resent = app
        .graphql_as(
            &admin.access_token,
            "mutation($id: ID!) { resendInvitation(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(resent.get("errors").is_none(), "{resent:#}");
    let (_, second) = wait_for_link(&app, email, Some(&first)).await;
    let old = app
        .graphql(ACCEPT, json!({ "token": first, "password": NEW_PASSWORD }))
        .await;
    assert_eq!(error_fields(&old), ["token"], "the replaced link: {old:#}");

    // The newer one expires after 72 hours.
    let mut open = account_token::Entity::find()
        .filter(account_token::Column::UsedAt.is_null())
        .one(&app.db)
        .await
        .expect("q")
        .expect("the open link")
        .into_active_model();
    open.expires_at = Set(Utc::now() - TimeDelta::seconds(1));
    open.update(&app.db).await.expect("expire");
    let expired = app
        .graphql(ACCEPT, json!({ "token": second, "password": NEW_PASSWORD }))
        .await;
    assert_eq!(error_fields(&expired), ["token"], "{expired:#}");
    // A reset link is no invitation, nor the other way round.
    let wrong_kind = app
        .graphql(RESET, json!({ "token": second, "password": NEW_PASSWORD }))
        .await;
    assert_eq!(error_fields(&wrong_kind), ["token"]);
}

#[tokio::test]
async fn a_reset_answers_the_same_for_an_unknown_address_and_ends_every_session() {
    let app = app().await;
    let (account, old_password) = app.account(Role::Staff, None).await;
    let first_session = sign_in(&app, &account.email, &old_password).await;
    let first_token = first_session["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let known = app
        .graphql(REQUEST, json!({ "email": account.email.to_uppercase() }))
        .await;
    let unknown = app
        .graphql(REQUEST, json!({ "email": "nobody@nowhere.example.tj" }))
        .await;
    let malformed = app
        .graphql(REQUEST, json!({ "email": "not an address" }))
        .await;
    assert_eq!(known, unknown);
    assert_eq!(known, malformed);
    assert_eq!(known["data"]["requestPasswordReset"], true, "{known:#}");

    let (subject, secret) = wait_for_link(&app, &account.email, None).await;
    assert_eq!(subject, "Reset your partner portal password");
    // The old password works until the link is used (whoever asked may not be the owner).
    assert!(
        sign_in(&app, &account.email, &old_password)
            .await
            .get("errors")
            .is_none()
    );
    let reset = app
        .graphql(RESET, json!({ "token": secret, "password": NEW_PASSWORD }))
        .await;
    assert_eq!(reset["data"]["resetPassword"], true, "{reset:#}");
    let ended = app
        .graphql_as(&first_token, "{ me { id } }", json!({}))
        .await;
    assert_eq!(error_codes(&ended), ["UNAUTHENTICATED"], "{ended:#}");
    assert!(
        sign_in(&app, &account.email, &old_password)
            .await
            .get("errors")
            .is_some()
    );
    assert!(
        sign_in(&app, &account.email, NEW_PASSWORD)
            .await
            .get("errors")
            .is_none()
    );
    let twice = app
        .graphql(
            RESET,
            json!({ "token": secret, "password": "Another-Long-Password-2026" }),
        )
        .await;
    assert_eq!(error_fields(&twice), ["token"]);
    let audit: Vec<String> = app
        .audit_of(account.id)
        .await
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert!(
        audit.contains(&"account.request_password_reset".to_owned())
            && audit.contains(&"account.reset_password_by_link".to_owned()),
        "{audit:?}"
    );
}

#[tokio::test]
async fn resets_are_limited_per_account_and_per_client_address() {
    let app = app().await;
    let (account, _) = app
        .account(
            Role::Partner,
            Some(
                crate::helpers::fixtures::organisation(&app.db, "NGO")
                    .await
                    .id,
            ),
        )
        .await;
    // Three mails per account per hour, however often asked.
    for _ in 0..5 {
        let answer = app
            .graphql(REQUEST, json!({ "email": account.email }))
            .await;
        assert_eq!(answer["data"]["requestPasswordReset"], true, "{answer:#}");
    }
    let links = || async {
        account_token::Entity::find()
            .filter(account_token::Column::AccountId.eq(account.id))
            .count(&app.db)
            .await
            .expect("count")
    };
    for _ in 0..200 {
        if links().await >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(links().await, 3);
    // Ten requests per client address per hour, known addresses or not: the limit is in the
    // database, so another server process on it refuses the same way.
    for _ in 0..5 {
        app.graphql(REQUEST, json!({ "email": "someone@example.tj" }))
            .await;
    }
    let other = app.another_server().await;
    let refused = other
        .graphql(REQUEST, json!({ "email": "someone.else@example.tj" }))
        .await;
    assert_eq!(error_codes(&refused), ["RATE_LIMITED"], "{refused:#}");
}

#[tokio::test]
async fn an_administrators_reset_stops_the_old_password_at_once_and_mails_a_link() {
    let app = app().await;
    let admin = app.user(Role::Admin, None).await;
    let (account, old_password) = app.account(Role::Staff, None).await;
    let mut russian = account::Entity::find_by_id(account.id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("account")
        .into_active_model();
    russian.preferred_language = Set(Language::Tg);
    russian.update(&app.db).await.expect("update");
    let reset = app
        .graphql_as(
            &admin.access_token,
            "mutation($id: ID!) { resetAccountPassword(id: $id) { id mustChangePassword } }",
            json!({ "id": account.id.to_string() }),
        )
        .await;
    assert!(reset.get("errors").is_none(), "{reset:#}");
    assert!(!reset.to_string().contains(&old_password));
    assert!(
        sign_in(&app, &account.email, &old_password)
            .await
            .get("errors")
            .is_some()
    );
    let (subject, secret) = wait_for_link(&app, &account.email, None).await;
    assert_eq!(subject, "Пароли портали шарикон бекор карда шуд");
    let set = app
        .graphql(RESET, json!({ "token": secret, "password": NEW_PASSWORD }))
        .await;
    assert_eq!(set["data"]["resetPassword"], true, "{set:#}");
    assert!(
        sign_in(&app, &account.email, NEW_PASSWORD)
            .await
            .get("errors")
            .is_none()
    );
}

#[tokio::test]
async fn a_sent_link_is_not_kept_in_the_outbox() {
    // A server whose sender runs: the message goes out as a file and the outbox forgets its
    // body, so the database holds no working link.
    let (mut config, database) = fresh_config(&[]).await;
    config.mail.poll_interval = Duration::from_millis(50);
    let app = spawn_app_on(config, database).await;
    let admin = app.user(Role::Admin, None).await;
    let created = invite(&app, &admin.access_token, "sent@portal.example.tj", "EN").await;
    assert!(created.get("errors").is_none(), "{created:#}");
    for _ in 0..200 {
        let rows = mail_outbox::Entity::find()
            .filter(mail_outbox::Column::Recipient.eq("sent@portal.example.tj"))
            .all(&app.db)
            .await
            .expect("q");
        if rows.iter().all(|row| row.sent_at.is_some()) && !rows.is_empty() {
            assert!(rows.iter().all(|row| row.body.is_empty()), "{rows:#?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the invitation was never sent");
}
