//! Signing in and out: login, lockout, tokens, refresh rotation, logout, two-factor codes.

use api::auth::{password, tokens, totp};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use entity::{
    account, audit_entry,
    enums::{AccountStatus, Role},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TEST_JWT_SECRET, TestApp, error_codes, fixtures, spawn_app, spawn_app_with};

const ME: &str = "{ me { id email role status mustChangePassword twoFactorEnabled } }";

async fn audit_actions(app: &TestApp, account_id: Option<Uuid>) -> Vec<String> {
    let mut query = audit_entry::Entity::find();
    if let Some(id) = account_id {
        query = query.filter(audit_entry::Column::EntityId.eq(id));
    }
    let mut entries = query.all(&app.db).await.expect("audit entries");
    entries.sort_by_key(|entry| entry.id);
    entries.into_iter().map(|entry| entry.action).collect()
}

#[tokio::test]
async fn a_user_signs_in_and_the_token_names_the_account() {
    let app = spawn_app().await;
    let (account, password) = app.account(Role::Staff, None).await;

    let response = app
        .login(&account.email.to_uppercase(), &password, None)
        .await;

    let session = &response["data"]["login"];
    assert_eq!(session["account"]["email"], account.email.as_str());
    assert_eq!(session["mustChangePassword"], false);
    let token = session["accessToken"].as_str().expect("access token");
    let me = app.data_as(token, ME, json!({})).await;
    assert_eq!(me["me"]["id"], account.id.to_string());
    assert_eq!(me["me"]["role"], "STAFF");
    assert_eq!(audit_actions(&app, Some(account.id)).await, ["auth.login"]);
    let stored = account::Entity::find_by_id(account.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    assert!(stored.last_login_at.is_some());
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let (account, _) = app
        .account(
            Role::Partner,
            Some(fixtures::organisation(&app.db, "NGO").await.id),
        )
        .await;

    let unknown = app
        .login("nobody@test.example.tj", "Some-Password-123", None)
        .await;
    let wrong = app.login(&account.email, "Some-Password-123", None).await;

    assert_eq!(error_codes(&unknown), ["UNAUTHENTICATED"]);
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        wrong["errors"][0]["extensions"]["code"]
    );
    assert_eq!(unknown["data"], wrong["data"]);
    let actions = audit_actions(&app, None).await;
    assert_eq!(actions, ["auth.login_failed", "auth.login_failed"]);
}

#[tokio::test]
async fn five_failures_lock_the_account_for_fifteen_minutes() {
    let app = spawn_app().await;
    let (account, password) = app.account(Role::Staff, None).await;

    for _ in 0..5 {
        let response = app.login(&account.email, "Wrong-Password-1234", None).await;
        assert_eq!(error_codes(&response), ["UNAUTHENTICATED"]);
    }
    let while_locked = app.login(&account.email, &password, None).await;
    assert_eq!(
        error_codes(&while_locked),
        ["UNAUTHENTICATED"],
        "locked: even the right password fails"
    );

    let stored = account::Entity::find_by_id(account.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    let until = stored.locked_until.expect("locked");
    assert!(
        until > Utc::now() + Duration::minutes(14) && until <= Utc::now() + Duration::minutes(15)
    );
    assert!(
        audit_actions(&app, Some(account.id))
            .await
            .contains(&"auth.account_locked".to_owned())
    );

    // Fifteen minutes later (moved in the database, where the lock lives).
    let mut expired = stored.into_active_model();
    expired.locked_until = Set(Some(Utc::now() - Duration::seconds(1)));
    expired.update(&app.db).await.expect("expire the lock");
    let after = app.login(&account.email, &password, None).await;
    assert!(after["data"]["login"].is_object(), "{after:#}");
    let stored = account::Entity::find_by_id(account.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    assert_eq!(stored.failed_login_count, 0);
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in() {
    let app = spawn_app().await;
    let (account, password) = app.account(Role::Staff, None).await;
    let mut disabled = account.clone().into_active_model();
    disabled.status = Set(AccountStatus::Disabled);
    disabled.update(&app.db).await.expect("disable");

    let response = app.login(&account.email, &password, None).await;

    assert_eq!(error_codes(&response), ["UNAUTHENTICATED"]);
}

fn claims(sub: Uuid, sid: Uuid) -> tokens::Claims {
    let now = Utc::now();
    tokens::Claims {
        sub,
        role: "STAFF".into(),
        org: None,
        sid,
        iss: tokens::ISSUER.into(),
        aud: tokens::AUDIENCE.into(),
        exp: (now + Duration::minutes(10)).timestamp(),
        iat: now.timestamp(),
        jti: Uuid::now_v7(),
    }
}

fn sign(claims: &impl serde::Serialize, secret: &[u8], algorithm: Algorithm) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;
    let genuine = app.verify_claims(&user.access_token);
    let secret = TEST_JWT_SECRET.as_bytes();

    let mut expired = genuine.clone();
    expired.iat -= 3600;
    expired.exp = Utc::now().timestamp() - 60;
    let mut foreign_audience = genuine.clone();
    foreign_audience.aud = "some-other-api".into();
    let mut foreign_issuer = genuine.clone();
    foreign_issuer.iss = "someone-else".into();
    let mut admin_claim = genuine.clone();
    admin_claim.role = "ADMIN".into();
    let (header, payload, signature) = {
        let mut parts = user.access_token.split('.');
        (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        )
    };
    let tampered_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin_claim).expect("json"));
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let without_jti = {
        let mut value = serde_json::to_value(&genuine).expect("json");
        value.as_object_mut().map(|object| object.remove("jti"));
        sign(&value, secret, Algorithm::HS256)
    };

    let refused = [
        ("expired", sign(&expired, secret, Algorithm::HS256)),
        (
            "wrong audience",
            sign(&foreign_audience, secret, Algorithm::HS256),
        ),
        (
            "wrong issuer",
            sign(&foreign_issuer, secret, Algorithm::HS256),
        ),
        (
            "signed with another key",
            sign(
                &genuine,
                b"another-key-0123456789abcdef0123456789",
                Algorithm::HS256,
            ),
        ),
        (
            "HS512 with our key",
            sign(&genuine, secret, Algorithm::HS512),
        ),
        (
            "tampered payload",
            format!("{header}.{tampered_payload}.{signature}"),
        ),
        ("alg none", format!("{none_header}.{payload}.")),
        ("missing jti", without_jti),
        ("garbage", "not.a.token".to_owned()),
        (
            "unknown session",
            sign(
                &claims(user.account.id, Uuid::now_v7()),
                secret,
                Algorithm::HS256,
            ),
        ),
    ];
    for (what, token) in refused {
        let response = app.graphql_as(&token, ME, json!({})).await;
        assert_eq!(
            error_codes(&response),
            ["UNAUTHENTICATED"],
            "{what}: {response:#}"
        );
        assert!(response["data"].is_null(), "{what}");
    }
    let malformed_header = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("request")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    assert_eq!(error_codes(&malformed_header), ["UNAUTHENTICATED"]);
    // The genuine token still works.
    app.data_as(&user.access_token, ME, json!({})).await;
}

impl TestApp {
    fn verify_claims(&self, token: &str) -> tokens::Claims {
        tokens::TokenKeys::new(&self.config.auth.jwt_secret)
            .verify(token)
            .expect("a genuine token")
    }
}

const REFRESH: &str = r"
mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken } }";

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;

    let first = app
        .data(REFRESH, json!({ "token": user.refresh_token }))
        .await;
    let second_refresh = first["refreshSession"]["refreshToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let second_access = first["refreshSession"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(second_refresh, user.refresh_token);
    app.data_as(&second_access, ME, json!({})).await;

    // The first refresh token again: stolen or replayed.
    let reuse = app
        .graphql(REFRESH, json!({ "token": user.refresh_token }))
        .await;
    assert_eq!(error_codes(&reuse), ["UNAUTHENTICATED"]);

    // The whole session is over: the newest refresh token and every access token of it.
    let after = app
        .graphql(REFRESH, json!({ "token": second_refresh }))
        .await;
    assert_eq!(error_codes(&after), ["UNAUTHENTICATED"]);
    for token in [&user.access_token, &second_access] {
        let response = app.graphql_as(token, ME, json!({})).await;
        assert_eq!(error_codes(&response), ["UNAUTHENTICATED"]);
    }
    let actions = audit_actions(&app, Some(user.account.id)).await;
    assert!(actions.contains(&"auth.refresh".to_owned()));
    assert!(actions.contains(&"auth.refresh_reuse".to_owned()));

    // Another login is unaffected.
    let again = app.login(&user.account.email, &user.password, None).await;
    assert!(again["data"]["login"].is_object());
    let unknown = app.graphql(REFRESH, json!({ "token": "made-up" })).await;
    assert_eq!(error_codes(&unknown), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_have_one_winner() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;

    let (left, right) = tokio::join!(
        app.graphql(REFRESH, json!({ "token": user.refresh_token })),
        app.graphql(REFRESH, json!({ "token": user.refresh_token })),
    );

    let winners = [&left, &right]
        .iter()
        .filter(|response| response["data"]["refreshSession"].is_object())
        .count();
    assert_eq!(winners, 1, "exactly one refresh wins: {left:#} {right:#}");
    let loser = if left["data"]["refreshSession"].is_object() {
        &right
    } else {
        &left
    };
    assert_eq!(error_codes(loser), ["UNAUTHENTICATED"], "{loser:#}");
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_everywhere_ends_all() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;
    let laptop = app.login(&user.account.email, &user.password, None).await;
    let laptop_token = laptop["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let logout = app
        .data_as(
            &user.access_token,
            "mutation { logout { sessionsEnded } }",
            json!({}),
        )
        .await;
    assert_eq!(logout["logout"]["sessionsEnded"], 1);
    let ended = app.graphql_as(&user.access_token, ME, json!({})).await;
    assert_eq!(error_codes(&ended), ["UNAUTHENTICATED"]);
    let refresh = app
        .graphql(REFRESH, json!({ "token": user.refresh_token }))
        .await;
    assert_eq!(error_codes(&refresh), ["UNAUTHENTICATED"]);
    // The other login lives on until it logs out everywhere.
    app.data_as(&laptop_token, ME, json!({})).await;
    let second = app.login(&user.account.email, &user.password, None).await;
    let second_token = second["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    app.data_as(
        &laptop_token,
        "mutation { logout(everywhere: true) { sessionsEnded } }",
        json!({}),
    )
    .await;
    for token in [&laptop_token, &second_token] {
        let response = app.graphql_as(token, ME, json!({})).await;
        assert_eq!(error_codes(&response), ["UNAUTHENTICATED"]);
    }
}

const CHANGE: &str = r"
mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { id mustChangePassword }
}";

#[tokio::test]
async fn changing_the_password_checks_the_policy_and_ends_other_sessions() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;
    let other = app.login(&user.account.email, &user.password, None).await;
    let other_token = other["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let cases = [
        (
            "Wrong-Current-Password-1",
            "A-Fine-New-Passphrase-77",
            "currentPassword",
        ),
        (user.password.as_str(), "short", "newPassword"),
        (user.password.as_str(), "password1234", "newPassword"),
        (user.password.as_str(), &user.account.email, "newPassword"),
        (
            user.password.as_str(),
            user.password.as_str(),
            "newPassword",
        ),
    ];
    for (current, new, field) in cases {
        let response = app
            .graphql_as(
                &user.access_token,
                CHANGE,
                json!({ "current": current, "new": new }),
            )
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{new}");
        assert_eq!(
            response["errors"][0]["extensions"]["fields"][0]["field"], field,
            "{new}"
        );
        let message = response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(!message.is_empty() && !message.contains(new), "{message}");
    }

    app.data_as(
        &user.access_token,
        CHANGE,
        json!({ "current": user.password, "new": "Mountain-Guide-Ayni-Route-28" }),
    )
    .await;
    app.data_as(&user.access_token, ME, json!({})).await;
    let other_after = app.graphql_as(&other_token, ME, json!({})).await;
    assert_eq!(
        error_codes(&other_after),
        ["UNAUTHENTICATED"],
        "other sessions end"
    );
    let old = app.login(&user.account.email, &user.password, None).await;
    assert_eq!(error_codes(&old), ["UNAUTHENTICATED"]);
    let new = app
        .login(&user.account.email, "Mountain-Guide-Ayni-Route-28", None)
        .await;
    assert!(new["data"]["login"].is_object());
}

#[tokio::test]
async fn weak_hashes_are_upgraded_at_the_next_login() {
    let app = spawn_app().await;
    let (account, password) = app.account(Role::Staff, None).await;
    let weak = {
        use argon2::{
            Algorithm as A, Argon2, Params, PasswordHasher, Version, password_hash::SaltString,
        };
        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").expect("salt");
        Argon2::new(
            A::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).expect("params"),
        )
        .hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
    };
    let mut stored = account.clone().into_active_model();
    stored.password_hash = Set(weak.clone());
    stored.update(&app.db).await.expect("store a weak hash");

    let response = app.login(&account.email, &password, None).await;

    assert!(response["data"]["login"].is_object(), "{response:#}");
    let upgraded = account::Entity::find_by_id(account.id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("account");
    assert_ne!(upgraded.password_hash, weak);
    assert!(
        upgraded.password_hash.contains("m=19456,t=2,p=1"),
        "{}",
        upgraded.password_hash
    );
    let verified = password::verify(password.into(), Some(upgraded.password_hash))
        .await
        .expect("verify");
    assert!(verified.matches && !verified.needs_rehash);
}

#[tokio::test]
async fn a_one_time_password_must_be_changed_before_anything_else() {
    // Accounts made before invitations were given a one-time password to change at first
    // sign-in; the restriction still holds for those.
    let app = spawn_app().await;
    let (account, one_time) = app.account(Role::Staff, None).await;
    let email = account.email.clone();
    let mut legacy = account.into_active_model();
    legacy.must_change_password = Set(true);
    legacy.update(&app.db).await.expect("update");

    let login = app.login(&email, &one_time, None).await;
    assert_eq!(login["data"]["login"]["mustChangePassword"], true);
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let blocked = app
        .graphql_as(&token, "{ projects { totalCount } }", json!({}))
        .await;
    assert_eq!(error_codes(&blocked), ["FORBIDDEN"]);
    assert!(
        blocked["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("changePassword")
    );
    app.data_as(&token, ME, json!({})).await;

    app.data_as(
        &token,
        CHANGE,
        json!({ "current": one_time, "new": "Pamir-Highway-Khorog-Bridge" }),
    )
    .await;
    let now_allowed = app
        .data_as(&token, "{ projects { totalCount } }", json!({}))
        .await;
    assert_eq!(now_allowed["projects"]["totalCount"], 0);
}

pub(crate) const ENROL: &str = "mutation { enrolTotp { secret provisioningUri } }";

pub(crate) fn secret_of(app_secret_base32: &str) -> Vec<u8> {
    base32_decode(app_secret_base32)
}

/// RFC 4648 base32 without padding.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0_u64;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|c| *c == byte).expect("base32") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[tokio::test]
async fn two_factor_enrolment_and_login_with_a_code() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;

    let enrolment = app.data_as(&user.access_token, ENROL, json!({})).await;
    let secret = secret_of(enrolment["enrolTotp"]["secret"].as_str().expect("secret"));
    let uri = enrolment["enrolTotp"]["provisioningUri"]
        .as_str()
        .expect("uri");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let stored = account::Entity::find_by_id(user.account.id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("a");
    let ciphertext = stored.totp_secret.expect("stored");
    assert!(
        !ciphertext
            .windows(secret.len())
            .any(|window| window == secret.as_slice()),
        "stored encrypted"
    );

    let wrong = app
        .graphql_as(
            &user.access_token,
            r#"mutation { confirmTotp(code: "000000") { account { twoFactorEnabled } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&wrong), ["BAD_USER_INPUT"]);
    let code = totp::code_at(&secret, Utc::now() - Duration::seconds(30));
    let confirmed = app
        .data_as(
            &user.access_token,
            "mutation($code: String!) { confirmTotp(code: $code) { account { twoFactorEnabled } } }",
            json!({ "code": code }),
        )
        .await;
    assert_eq!(
        confirmed["confirmTotp"]["account"]["twoFactorEnabled"],
        true
    );

    let without_code = app.login(&user.account.email, &user.password, None).await;
    assert_eq!(error_codes(&without_code), ["UNAUTHENTICATED"]);
    assert_eq!(
        without_code["errors"][0]["extensions"]["totpRequired"],
        true
    );
    let with_wrong_code = app
        .login(&user.account.email, &user.password, Some("123456"))
        .await;
    // The password was right: the answer says that the code was not.
    assert_eq!(error_codes(&with_wrong_code), ["INVALID_TWO_FACTOR_CODE"]);
    assert!(with_wrong_code["errors"][0]["extensions"]["totpRequired"].is_null());
    let code = totp::code_at(&secret, Utc::now());
    let with_code = app
        .login(&user.account.email, &user.password, Some(&code))
        .await;
    assert!(with_code["data"]["login"].is_object(), "{with_code:#}");
    // The same code again is refused: it was used.
    let replay = app
        .login(&user.account.email, &user.password, Some(&code))
        .await;
    assert_eq!(error_codes(&replay), ["INVALID_TWO_FACTOR_CODE"]);

    let token = with_code["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let next_code = totp::code_at(&secret, Utc::now() + Duration::seconds(30));
    let removed = app
        .data_as(
            &token,
            "mutation($code: String!) { removeTotp(code: $code) { twoFactorEnabled } }",
            json!({ "code": next_code }),
        )
        .await;
    assert_eq!(removed["removeTotp"]["twoFactorEnabled"], false);
    let plain = app.login(&user.account.email, &user.password, None).await;
    assert!(plain["data"]["login"].is_object());
}

#[tokio::test]
async fn admins_must_enrol_in_two_factor_where_it_is_mandatory() {
    let app = spawn_app_with(&[("PORTAL_TOTP_REQUIRED_FOR_ADMIN", "true")]).await;
    let (admin, password) = app.account(Role::Admin, None).await;

    let login = app.login(&admin.email, &password, None).await;
    assert_eq!(login["data"]["login"]["mustEnrolTwoFactor"], true);
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let blocked = app
        .graphql_as(&token, "{ accounts { totalCount } }", json!({}))
        .await;
    assert_eq!(error_codes(&blocked), ["FORBIDDEN"]);

    let enrolment = app.data_as(&token, ENROL, json!({})).await;
    let secret = secret_of(enrolment["enrolTotp"]["secret"].as_str().expect("secret"));
    let code = totp::code_at(&secret, Utc::now());
    app.data_as(
        &token,
        "mutation($code: String!) { confirmTotp(code: $code) { account { id } } }",
        json!({ "code": code }),
    )
    .await;
    let allowed = app
        .data_as(&token, "{ accounts { totalCount } }", json!({}))
        .await;
    assert_eq!(allowed["accounts"]["totalCount"], 1);
    // A staff account is not held up.
    let staff = app.user(Role::Staff, None).await;
    app.data_as(
        &staff.access_token,
        "{ projects { totalCount } }",
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_client_address() {
    let app = spawn_app_with(&[("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "3")]).await;

    let mut codes = Vec::new();
    for _ in 0..4 {
        let response = app
            .login("someone@test.example.tj", "Whatever-Password-1", None)
            .await;
        codes.extend(error_codes(&response));
        if let Some(wait) = response["errors"][0]["extensions"]["retryAfterSeconds"].as_u64() {
            assert!(wait >= 1);
        }
    }

    assert_eq!(
        codes,
        [
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "RATE_LIMITED"
        ]
    );
}

#[tokio::test]
async fn no_password_or_token_reaches_the_audit_log() {
    let app = spawn_app().await;
    let user = app.user(Role::Staff, None).await;
    app.login(&user.account.email, "Wrong-Password-Here-1", None)
        .await;
    app.data(REFRESH, json!({ "token": user.refresh_token }))
        .await;
    app.data_as(
        &user.access_token,
        CHANGE,
        json!({ "current": user.password, "new": "Syrdarya-Basin-Youth-Forum" }),
    )
    .await;

    let entries = audit_entry::Entity::find()
        .all(&app.db)
        .await
        .expect("audit");
    assert!(entries.len() >= 4);
    let dump = format!("{entries:?}");
    for secret in [
        user.password.as_str(),
        "Wrong-Password-Here-1",
        "Syrdarya-Basin-Youth-Forum",
        user.refresh_token.as_str(),
        user.access_token.as_str(),
    ] {
        assert!(!dump.contains(secret), "the audit log holds a secret");
    }
}
