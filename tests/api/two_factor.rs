//! Two-factor recovery: recovery codes shown once at confirmation and usable once at sign-in,
//! their regeneration and removal, the reset of a lost second factor by an administrator, and
//! the error of a wrong or replayed code (only ever after a right password).

use api::auth::totp;
use chrono::{Duration, Utc};
use entity::{account, audit_entry, enums::Role, recovery_code};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    auth::{ENROL, secret_of},
    helpers::{TestApp, accounts::User, error_codes, fixtures, spawn_app_with},
};

const SIGN_IN: &str = r"
mutation($email: String!, $password: String!, $totpCode: String, $recoveryCode: String) {
  login(email: $email, password: $password, totpCode: $totpCode, recoveryCode: $recoveryCode) {
    accessToken mustEnrolTwoFactor recoveryCodesLeft
    account { id twoFactorEnabled }
  }
}";

const CONFIRM: &str = r"
mutation($code: String!) {
  confirmTotp(code: $code) { recoveryCodes account { id twoFactorEnabled recoveryCodesLeft } }
}";

const REGENERATE: &str = r"
mutation($code: String!) {
  regenerateRecoveryCodes(code: $code) { recoveryCodes account { recoveryCodesLeft } }
}";

const RESET: &str = r"
mutation($id: ID!) { resetAccountTwoFactor(id: $id) { id twoFactorEnabled recoveryCodesLeft } }";

const CODES_LEFT: &str = "query($id: ID!) { account(id: $id) { recoveryCodesLeft } }";

/// An app whose login limit per address does not get in the way of many sign-ins.
async fn app() -> TestApp {
    spawn_app_with(&[("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "1000")]).await
}

/// A signed-in user with two-factor authentication on: its secret and recovery codes.
struct Enrolled {
    user: User,
    secret: Vec<u8>,
    codes: Vec<String>,
}

impl Enrolled {
    /// The authenticator's code `steps` 30-second steps from now. Enrolment used the previous
    /// step, so steps 0, 1 and so on are each good once.
    fn code(&self, steps: i64) -> String {
        totp::code_at(&self.secret, Utc::now() + Duration::seconds(30 * steps))
    }
}

async fn enrolled(app: &TestApp, role: Role, organisation_id: Option<Uuid>) -> Enrolled {
    let user = app.user(role, organisation_id).await;
    let enrolment = app.data_as(&user.access_token, ENROL, json!({})).await;
    let secret = secret_of(enrolment["enrolTotp"]["secret"].as_str().expect("secret"));
    let code = totp::code_at(&secret, Utc::now() - Duration::seconds(30));
    let confirmed = app
        .data_as(&user.access_token, CONFIRM, json!({ "code": code }))
        .await;
    let codes = strings(&confirmed["confirmTotp"]["recoveryCodes"]);
    Enrolled {
        user,
        secret,
        codes,
    }
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|code| code.as_str().expect("a string").to_owned())
        .collect()
}

async fn sign_in(
    app: &TestApp,
    user: &User,
    totp_code: Option<&str>,
    recovery_code: Option<&str>,
) -> Value {
    app.graphql(
        SIGN_IN,
        json!({
            "email": user.account.email,
            "password": user.password,
            "totpCode": totp_code,
            "recoveryCode": recovery_code,
        }),
    )
    .await
}

fn reason(response: &Value) -> &str {
    response["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("<none>")
}

async fn stored_codes(app: &TestApp, account_id: Uuid) -> Vec<recovery_code::Model> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .all(&app.db)
        .await
        .expect("recovery codes")
}

async fn audit_actions(app: &TestApp, account_id: Uuid) -> Vec<String> {
    let mut entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::EntityId.eq(account_id))
        .all(&app.db)
        .await
        .expect("audit entries");
    entries.sort_by_key(|entry| entry.id);
    entries.into_iter().map(|entry| entry.action).collect()
}

async fn stored_account(app: &TestApp, id: Uuid) -> account::Model {
    account::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("the account")
}

#[tokio::test]
async fn confirming_two_factor_shows_ten_recovery_codes_once_and_stores_only_hashes() {
    let app = app().await;
    let user = app.user(Role::Staff, None).await;
    let enrolment = app.data_as(&user.access_token, ENROL, json!({})).await;
    let secret = secret_of(enrolment["enrolTotp"]["secret"].as_str().expect("secret"));
    let code = totp::code_at(&secret, Utc::now() - Duration::seconds(30));

    let confirmed = app
        .data_as(&user.access_token, CONFIRM, json!({ "code": code }))
        .await;

    let answer = &confirmed["confirmTotp"];
    assert_eq!(answer["account"]["twoFactorEnabled"], true);
    assert_eq!(answer["account"]["recoveryCodesLeft"], 10);
    let codes = strings(&answer["recoveryCodes"]);
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    for code in &codes {
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 3, "{code}");
        assert!(
            groups.iter().all(|group| group.len() == 4
                && group.bytes().all(|byte| byte.is_ascii_digit()
                    || (byte.is_ascii_lowercase() && !b"ilou".contains(&byte)))),
            "{code}"
        );
    }
    let stored = stored_codes(&app, user.account.id).await;
    assert_eq!(stored.len(), 10);
    for row in &stored {
        assert_eq!(row.code_hash.len(), 32);
        assert!(row.used_at.is_none());
        for code in &codes {
            let plain = code.replace('-', "");
            assert!(
                !row.code_hash
                    .windows(plain.len())
                    .any(|window| window == plain.as_bytes()),
                "a code is stored in the clear"
            );
        }
    }
    // The owner sees how many are left; the codes themselves are never shown again.
    let me = app
        .data_as(
            &user.access_token,
            "{ me { twoFactorEnabled recoveryCodesLeft } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"]["recoveryCodesLeft"], 10);
    assert!(
        audit_actions(&app, user.account.id)
            .await
            .contains(&"account.totp_enabled".to_owned())
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_in_place_of_a_code() {
    let app = app().await;
    let enrolled = enrolled(&app, Role::Staff, None).await;
    let user = &enrolled.user;

    // With a wrong password a right recovery code gives the usual answer and is not spent.
    let wrong_password = app
        .graphql(
            SIGN_IN,
            json!({
                "email": user.account.email,
                "password": "Not-The-Password-1",
                "recoveryCode": enrolled.codes[0],
            }),
        )
        .await;
    assert_eq!(error_codes(&wrong_password), ["UNAUTHENTICATED"]);
    assert!(wrong_password["errors"][0]["extensions"]["reason"].is_null());
    assert_eq!(
        stored_codes(&app, user.account.id)
            .await
            .iter()
            .filter(|row| row.used_at.is_none())
            .count(),
        10
    );

    // Upper case and without hyphens, as people type them.
    let typed = enrolled.codes[0].replace('-', " ").to_uppercase();
    let signed_in = sign_in(&app, user, None, Some(&typed)).await;
    let session = &signed_in["data"]["login"];
    assert!(session.is_object(), "{signed_in:#}");
    assert_eq!(session["recoveryCodesLeft"], 9);
    assert_eq!(session["account"]["twoFactorEnabled"], true);
    let token = session["accessToken"].as_str().expect("token").to_owned();
    let me = app
        .data_as(&token, "{ me { recoveryCodesLeft } }", json!({}))
        .await;
    assert_eq!(me["me"]["recoveryCodesLeft"], 9);

    let again = sign_in(&app, user, None, Some(&enrolled.codes[0])).await;
    assert_eq!(error_codes(&again), ["INVALID_TWO_FACTOR_CODE"]);
    assert_eq!(reason(&again), "WRONG_RECOVERY_CODE");
    let made_up = sign_in(&app, user, None, Some("abcd-efgh-jkmn")).await;
    assert_eq!(error_codes(&made_up), ["INVALID_TWO_FACTOR_CODE"]);
    assert_eq!(reason(&made_up), "WRONG_RECOVERY_CODE");
    // Another account's code is not this account's.
    let other = self::enrolled(&app, Role::Staff, None).await;
    let foreign = sign_in(&app, user, None, Some(&other.codes[0])).await;
    assert_eq!(reason(&foreign), "WRONG_RECOVERY_CODE");
    // Both at once is a mistake of the client.
    let both = sign_in(
        &app,
        user,
        Some(&enrolled.code(0)),
        Some(&enrolled.codes[1]),
    )
    .await;
    assert_eq!(error_codes(&both), ["BAD_USER_INPUT"]);

    let used = stored_codes(&app, user.account.id)
        .await
        .into_iter()
        .filter(|row| row.used_at.is_some())
        .count();
    assert_eq!(used, 1);
    let actions = audit_actions(&app, user.account.id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|action| *action == "auth.recovery_code_used")
            .count(),
        1,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|action| *action == "auth.login_failed")
            .count(),
        4,
        "{actions:?}"
    );
}

#[tokio::test]
async fn two_sign_ins_racing_with_one_recovery_code_spend_it_once() {
    let app = app().await;
    let enrolled = enrolled(&app, Role::Staff, None).await;
    let code = enrolled.codes[3].clone();

    let (first, second) = tokio::join!(
        sign_in(&app, &enrolled.user, None, Some(&code)),
        sign_in(&app, &enrolled.user, None, Some(&code)),
    );

    let succeeded = [&first, &second]
        .iter()
        .filter(|response| response["data"]["login"].is_object())
        .count();
    assert_eq!(succeeded, 1, "{first:#} {second:#}");
    let loser = if first["data"]["login"].is_object() {
        &second
    } else {
        &first
    };
    assert_eq!(error_codes(loser), ["INVALID_TWO_FACTOR_CODE"]);
}

#[tokio::test]
async fn regenerating_recovery_codes_needs_a_current_code_and_voids_the_old_ones() {
    let app = app().await;
    let enrolled = enrolled(&app, Role::Staff, None).await;
    let token = &enrolled.user.access_token;

    let anonymous = app
        .graphql(REGENERATE, json!({ "code": enrolled.code(0) }))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let wrong = app
        .graphql_as(token, REGENERATE, json!({ "code": "000000" }))
        .await;
    assert_eq!(error_codes(&wrong), ["BAD_USER_INPUT"]);
    let without_two_factor = app.user(Role::Staff, None).await;
    let off = app
        .graphql_as(
            &without_two_factor.access_token,
            REGENERATE,
            json!({ "code": "123456" }),
        )
        .await;
    assert_eq!(error_codes(&off), ["CONFLICT"]);

    let regenerated = app
        .data_as(token, REGENERATE, json!({ "code": enrolled.code(0) }))
        .await;
    let fresh = strings(&regenerated["regenerateRecoveryCodes"]["recoveryCodes"]);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|code| !enrolled.codes.contains(code)));
    assert_eq!(
        regenerated["regenerateRecoveryCodes"]["account"]["recoveryCodesLeft"],
        10
    );
    // The code just used cannot be used again.
    let replayed = app
        .graphql_as(token, REGENERATE, json!({ "code": enrolled.code(0) }))
        .await;
    assert_eq!(error_codes(&replayed), ["BAD_USER_INPUT"]);

    let old = sign_in(&app, &enrolled.user, None, Some(&enrolled.codes[0])).await;
    assert_eq!(reason(&old), "WRONG_RECOVERY_CODE");
    let new = sign_in(&app, &enrolled.user, None, Some(&fresh[0])).await;
    assert!(new["data"]["login"].is_object(), "{new:#}");
    assert_eq!(stored_codes(&app, enrolled.user.account.id).await.len(), 10);
    assert!(
        audit_actions(&app, enrolled.user.account.id)
            .await
            .contains(&"account.recovery_codes_regenerated".to_owned())
    );
}

#[tokio::test]
async fn removing_two_factor_deletes_the_recovery_codes() {
    let app = app().await;
    let enrolled = enrolled(&app, Role::Staff, None).await;

    let removed = app
        .data_as(
            &enrolled.user.access_token,
            "mutation($code: String!) { removeTotp(code: $code) { twoFactorEnabled \
             recoveryCodesLeft } }",
            json!({ "code": enrolled.code(0) }),
        )
        .await;

    assert_eq!(removed["removeTotp"]["twoFactorEnabled"], false);
    assert!(removed["removeTotp"]["recoveryCodesLeft"].is_null());
    assert!(
        stored_codes(&app, enrolled.user.account.id)
            .await
            .is_empty()
    );
    // Without two-factor authentication a recovery code is not asked for, and not needed.
    let plain = sign_in(&app, &enrolled.user, None, None).await;
    assert!(plain["data"]["login"].is_object(), "{plain:#}");
}

#[tokio::test]
async fn a_wrong_or_replayed_code_has_its_own_error_but_only_after_a_right_password() {
    let app = app().await;
    let enrolled = enrolled(&app, Role::Staff, None).await;
    let user = &enrolled.user;

    // Nothing about the code before the password is right: an attacker without it learns
    // nothing.
    let wrong_password = app
        .graphql(
            SIGN_IN,
            json!({
                "email": user.account.email,
                "password": "Not-The-Password-1",
                "totpCode": "123456",
            }),
        )
        .await;
    assert_eq!(error_codes(&wrong_password), ["UNAUTHENTICATED"]);
    assert!(wrong_password["errors"][0]["extensions"]["reason"].is_null());
    let unknown = app
        .graphql(
            SIGN_IN,
            json!({
                "email": "nobody@test.example.tj",
                "password": "Not-The-Password-1",
                "totpCode": "123456",
            }),
        )
        .await;
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong_password["errors"][0]["message"]
    );

    let wrong = sign_in(&app, user, Some("123456"), None).await;
    // (One in a million that 123456 is the current code; the next one is another.)
    let wrong = if wrong["data"]["login"].is_object() {
        sign_in(&app, user, Some("654321"), None).await
    } else {
        wrong
    };
    assert_eq!(error_codes(&wrong), ["INVALID_TWO_FACTOR_CODE"]);
    assert_eq!(reason(&wrong), "WRONG_CODE");
    assert!(
        wrong["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("not right")
    );

    let code = enrolled.code(0);
    let first = sign_in(&app, user, Some(&code), None).await;
    assert!(first["data"]["login"].is_object(), "{first:#}");
    let replayed = sign_in(&app, user, Some(&code), None).await;
    assert_eq!(error_codes(&replayed), ["INVALID_TWO_FACTOR_CODE"]);
    assert_eq!(reason(&replayed), "CODE_ALREADY_USED");
    assert!(
        replayed["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("already used")
    );
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lock_like_wrong_passwords() {
    let app = app().await;
    let enrolled = enrolled(&app, Role::Staff, None).await;
    let user = &enrolled.user;
    let right = enrolled.code(0);
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };

    // Five failures of every kind in a row: wrong code, wrong recovery code, wrong password.
    for attempt in 0..4 {
        let response = if attempt % 2 == 0 {
            sign_in(&app, user, Some(wrong), None).await
        } else {
            sign_in(&app, user, None, Some("abcd-efgh-jkmn")).await
        };
        assert_eq!(error_codes(&response), ["INVALID_TWO_FACTOR_CODE"]);
    }
    let fifth = sign_in(&app, user, Some(wrong), None).await;
    assert_eq!(error_codes(&fifth), ["INVALID_TWO_FACTOR_CODE"]);

    // Locked: even the right password and code get the one answer that tells nothing.
    let locked = sign_in(&app, user, Some(&right), None).await;
    assert_eq!(error_codes(&locked), ["UNAUTHENTICATED"]);
    assert!(locked["errors"][0]["extensions"]["reason"].is_null());
    let with_recovery = sign_in(&app, user, None, Some(&enrolled.codes[0])).await;
    assert_eq!(error_codes(&with_recovery), ["UNAUTHENTICATED"]);
    assert!(
        stored_account(&app, user.account.id)
            .await
            .locked_until
            .is_some()
    );
    // The lock did not spend the recovery code.
    assert!(
        stored_codes(&app, user.account.id)
            .await
            .iter()
            .all(|row| row.used_at.is_none())
    );
    let actions = audit_actions(&app, user.account.id).await;
    assert!(
        actions.contains(&"auth.account_locked".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn admins_and_the_partner_manager_reset_a_lost_second_factor_and_nobody_else() {
    let app = app().await;
    let ngo = fixtures::organisation(&app.db, "Reset NGO").await;
    let other_ngo = fixtures::organisation(&app.db, "Another NGO").await;
    let target = enrolled(&app, Role::Partner, Some(ngo.id)).await;
    let second_target = enrolled(&app, Role::Partner, Some(ngo.id)).await;
    let colleague = app.user(Role::Partner, Some(ngo.id)).await;
    let stranger = app.user(Role::Partner, Some(other_ngo.id)).await;
    let manager = app.user(Role::PartnerManager, Some(ngo.id)).await;
    let other_manager = app.user(Role::PartnerManager, Some(other_ngo.id)).await;
    let staff = app.user(Role::Staff, None).await;
    let admin = app.user(Role::Admin, None).await;
    let id = json!({ "id": target.user.account.id.to_string() });

    let anonymous = app.graphql(RESET, id.clone()).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let own = app
        .graphql_as(&target.user.access_token, RESET, id.clone())
        .await;
    assert_eq!(
        error_codes(&own),
        ["FORBIDDEN"],
        "one's own goes through removeTotp"
    );
    for (who, user) in [
        ("a colleague", &colleague),
        ("a partner of another organisation", &stranger),
        ("the manager of another organisation", &other_manager),
        ("staff", &staff),
    ] {
        let refused = app.graphql_as(&user.access_token, RESET, id.clone()).await;
        assert_eq!(error_codes(&refused), ["NOT_FOUND"], "{who}: {refused:#}");
    }
    // A manager reaches no Programme Office account, and an admin not their own.
    let staff_id = json!({ "id": staff.account.id.to_string() });
    let not_theirs = app.graphql_as(&manager.access_token, RESET, staff_id).await;
    assert_eq!(error_codes(&not_theirs), ["NOT_FOUND"]);
    let admin_self = app
        .graphql_as(
            &admin.access_token,
            RESET,
            json!({ "id": admin.account.id.to_string() }),
        )
        .await;
    assert_eq!(error_codes(&admin_self), ["FORBIDDEN"]);
    // Nothing changed by the refusals.
    assert!(
        stored_account(&app, target.user.account.id)
            .await
            .totp_enabled_at
            .is_some()
    );
    assert_eq!(stored_codes(&app, target.user.account.id).await.len(), 10);
    let counted = app
        .data_as(&manager.access_token, CODES_LEFT, id.clone())
        .await;
    assert_eq!(counted["account"]["recoveryCodesLeft"], 10);

    let reset = app.data_as(&manager.access_token, RESET, id.clone()).await;
    assert_eq!(reset["resetAccountTwoFactor"]["twoFactorEnabled"], false);
    assert!(reset["resetAccountTwoFactor"]["recoveryCodesLeft"].is_null());
    let by_admin = app
        .data_as(
            &admin.access_token,
            RESET,
            json!({ "id": second_target.user.account.id.to_string() }),
        )
        .await;
    assert_eq!(by_admin["resetAccountTwoFactor"]["twoFactorEnabled"], false);

    for reset in [&target, &second_target] {
        let account = stored_account(&app, reset.user.account.id).await;
        assert!(account.totp_secret.is_none());
        assert!(account.totp_enabled_at.is_none());
        assert!(account.totp_last_step.is_none());
        assert!(stored_codes(&app, account.id).await.is_empty());
        // Its sessions are over; it signs in with its password alone and can enrol again.
        let old = app
            .graphql_as(&reset.user.access_token, "{ me { id } }", json!({}))
            .await;
        assert_eq!(error_codes(&old), ["UNAUTHENTICATED"]);
        let plain = sign_in(&app, &reset.user, None, None).await;
        assert!(plain["data"]["login"].is_object(), "{plain:#}");
        let old_code = sign_in(&app, &reset.user, None, Some(&reset.codes[0])).await;
        assert!(
            old_code["data"]["login"].is_object(),
            "codes are not asked for any more"
        );
        assert!(
            audit_actions(&app, account.id)
                .await
                .contains(&"account.reset_two_factor".to_owned())
        );
    }
    let entry = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("account.reset_two_factor"))
        .filter(audit_entry::Column::EntityId.eq(target.user.account.id))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the audit entry");
    assert_eq!(entry.actor_account_id, Some(manager.account.id));
    let detail = entry.detail.expect("detail");
    assert_eq!(detail["recoveryCodesDeleted"], 10);
    assert_eq!(detail["twoFactorWasOn"], true);
    assert!(detail["sessionsEnded"].as_u64().expect("a count") >= 1);
}

#[tokio::test]
async fn an_admin_whose_second_factor_was_reset_must_enrol_again_where_it_is_mandatory() {
    let app = spawn_app_with(&[
        ("PORTAL_TOTP_REQUIRED_FOR_ADMIN", "true"),
        ("PORTAL_LOGIN_ATTEMPTS_PER_MINUTE", "1000"),
    ])
    .await;
    let first = enrolled(&app, Role::Admin, None).await;
    let second = enrolled(&app, Role::Admin, None).await;
    let signed_in = sign_in(&app, &first.user, Some(&first.code(0)), None).await;
    let token = signed_in["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed_in:#}"))
        .to_owned();

    app.data_as(
        &token,
        RESET,
        json!({ "id": second.user.account.id.to_string() }),
    )
    .await;

    let after = sign_in(&app, &second.user, None, None).await;
    let session = &after["data"]["login"];
    assert_eq!(session["mustEnrolTwoFactor"], true, "{after:#}");
    let held = app
        .graphql_as(
            session["accessToken"].as_str().expect("token"),
            "{ accounts { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&held), ["FORBIDDEN"]);
}

#[tokio::test]
async fn recovery_codes_left_is_for_the_owner_and_those_who_may_reset_them() {
    let app = app().await;
    let ngo = fixtures::organisation(&app.db, "Counting NGO").await;
    let enrolled = enrolled(&app, Role::PartnerManager, Some(ngo.id)).await;
    let colleague_manager = app.user(Role::PartnerManager, Some(ngo.id)).await;
    let admin = app.user(Role::Admin, None).await;
    let id = json!({ "id": enrolled.user.account.id.to_string() });

    for (who, token) in [
        ("the owner", &enrolled.user.access_token),
        (
            "a manager of the organisation",
            &colleague_manager.access_token,
        ),
        ("an admin", &admin.access_token),
    ] {
        let data = app.data_as(token, CODES_LEFT, id.clone()).await;
        assert_eq!(data["account"]["recoveryCodesLeft"], 10, "{who}");
    }
    // In one list, counted in one statement for all accounts.
    let list = app
        .data_as(
            &admin.access_token,
            "{ accounts(first: 100) { edges { node { id twoFactorEnabled recoveryCodesLeft } } } }",
            json!({}),
        )
        .await;
    for edge in list["accounts"]["edges"].as_array().expect("edges") {
        let node = &edge["node"];
        if node["twoFactorEnabled"] == true {
            assert_eq!(node["recoveryCodesLeft"], 10);
        } else {
            assert!(node["recoveryCodesLeft"].is_null());
        }
    }
}
