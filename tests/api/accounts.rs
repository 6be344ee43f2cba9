//! Account administration: who may create, change, disable and reset which accounts.

use api::{
    auth::{Actor, Caller, Member},
    error::ApiError,
};
use entity::enums::{AccountStatus, Language, Role};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, accounts::User, error_codes, fixtures, nodes, spawn_app};

const CREATE: &str = r"
mutation($input: CreateAccountInput!) {
  createAccount(input: $input) { id email role organisation { id } }
}";

const UPDATE: &str = r"
mutation($id: ID!, $input: UpdateAccountInput!) { updateAccount(id: $id, input: $input) { id role displayName } }";

struct Org {
    id: Uuid,
    manager: User,
    partner: User,
}

async fn org(app: &TestApp, name: &str) -> Org {
    let organisation = fixtures::organisation(&app.db, name).await;
    Org {
        id: organisation.id,
        manager: app.user(Role::PartnerManager, Some(organisation.id)).await,
        partner: app.user(Role::Partner, Some(organisation.id)).await,
    }
}

fn new_account(role: &str, organisation: Option<Uuid>) -> serde_json::Value {
    json!({ "input": {
        "email": format!("{}@test.example.tj", Uuid::now_v7().simple()),
        "displayName": "Someone",
        "role": role,
        "organisationId": organisation.map(|id| id.to_string()),
    } })
}

#[tokio::test]
async fn managers_manage_their_own_organisation_and_nothing_above_it() {
    let app = spawn_app().await;
    let a = org(&app, "NGO A").await;
    let b = org(&app, "NGO B").await;
    let token = &a.manager.access_token;

    // Allowed: partner roles in A.
    for role in ["PARTNER", "PARTNER_MANAGER"] {
        let created = app
            .data_as(token, CREATE, new_account(role, Some(a.id)))
            .await;
        assert_eq!(created["createAccount"]["role"], role);
    }
    // Refused: staff roles, and any account in B.
    for (role, organisation) in [
        ("STAFF", None),
        ("ADMIN", None),
        ("PARTNER", Some(b.id)),
        ("PARTNER_MANAGER", Some(b.id)),
    ] {
        let response = app
            .graphql_as(token, CREATE, new_account(role, organisation))
            .await;
        assert_eq!(
            error_codes(&response),
            ["FORBIDDEN"],
            "{role} in {organisation:?}"
        );
    }
    // Promoting a partner of A above PARTNER_MANAGER, or moving them to B.
    let promote = app
        .graphql_as(token, UPDATE, json!({ "id": a.partner.account.id.to_string(), "input": { "role": "ADMIN", "clearOrganisation": true } }))
        .await;
    assert_eq!(error_codes(&promote), ["FORBIDDEN"]);
    let to_staff = app
        .graphql_as(token, UPDATE, json!({ "id": a.partner.account.id.to_string(), "input": { "role": "STAFF", "clearOrganisation": true } }))
        .await;
    assert_eq!(error_codes(&to_staff), ["FORBIDDEN"]);
    let move_to_b = app
        .graphql_as(token, UPDATE, json!({ "id": a.partner.account.id.to_string(), "input": { "organisationId": b.id.to_string() } }))
        .await;
    assert_eq!(error_codes(&move_to_b), ["FORBIDDEN"]);
    // Their own role.
    let own = app
        .graphql_as(
            token,
            UPDATE,
            json!({ "id": a.manager.account.id.to_string(), "input": { "role": "PARTNER" } }),
        )
        .await;
    assert_eq!(error_codes(&own), ["FORBIDDEN"]);
    // B's accounts are invisible: the same answer as for an account that does not exist.
    for mutation in [
        "mutation($id: ID!) { disableAccount(id: $id) { id } }",
        "mutation($id: ID!) { resetAccountPassword(id: $id) { id } }",
        "query($id: ID!) { account(id: $id) { email } }",
    ] {
        let response = app
            .graphql_as(
                token,
                mutation,
                json!({ "id": b.partner.account.id.to_string() }),
            )
            .await;
        assert_eq!(error_codes(&response), ["NOT_FOUND"], "{mutation}");
    }
    // The list holds A's accounts only, whatever the filter says.
    let list = app
        .data_as(token, "query($org: ID) { accounts(first: 100, filter: { organisationId: $org }) { totalCount edges { node { organisation { id } } } } }", json!({ "org": null }))
        .await;
    assert_eq!(list["accounts"]["totalCount"], 4);
    assert!(
        nodes(&list["accounts"])
            .iter()
            .all(|node| node["organisation"]["id"] == a.id.to_string())
    );
    let other = app
        .data_as(
            token,
            "query($org: ID) { accounts(filter: { organisationId: $org }) { totalCount } }",
            json!({ "org": b.id.to_string() }),
        )
        .await;
    assert_eq!(other["accounts"]["totalCount"], 0);

    // Allowed: changing a partner of A, disabling and resetting them.
    let renamed = app
        .data_as(token, UPDATE, json!({ "id": a.partner.account.id.to_string(), "input": { "displayName": "Renamed", "role": "PARTNER_MANAGER" } }))
        .await;
    assert_eq!(renamed["updateAccount"]["role"], "PARTNER_MANAGER");
    let reset = app
        .data_as(
            token,
            "mutation($id: ID!) { resetAccountPassword(id: $id) { id } }",
            json!({ "id": a.partner.account.id.to_string() }),
        )
        .await;
    assert_eq!(
        reset["resetAccountPassword"]["id"],
        a.partner.account.id.to_string()
    );
}

#[tokio::test]
async fn partners_and_staff_do_not_administer_accounts() {
    let app = spawn_app().await;
    let a = org(&app, "NGO A").await;
    let staff = app.user(Role::Staff, None).await;

    for user in [&a.partner, &staff] {
        let create = app
            .graphql_as(
                &user.access_token,
                CREATE,
                new_account("PARTNER", Some(a.id)),
            )
            .await;
        assert_eq!(error_codes(&create), ["FORBIDDEN"]);
        let list = app
            .graphql_as(&user.access_token, "{ accounts { totalCount } }", json!({}))
            .await;
        assert_eq!(error_codes(&list), ["FORBIDDEN"]);
        let other = app
            .graphql_as(
                &user.access_token,
                "query($id: ID!) { account(id: $id) { email } }",
                json!({ "id": a.manager.account.id.to_string() }),
            )
            .await;
        assert_eq!(error_codes(&other), ["NOT_FOUND"]);
        let own = app
            .data_as(
                &user.access_token,
                "query($id: ID!) { account(id: $id) { email } }",
                json!({ "id": user.account.id.to_string() }),
            )
            .await;
        assert_eq!(own["account"]["email"], user.account.email.as_str());
    }
    let anonymous = app
        .graphql(CREATE, new_account("PARTNER", Some(a.id)))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    let me = app.graphql("{ me { id } }", json!({})).await;
    assert_eq!(error_codes(&me), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn an_admin_creates_accounts_with_checked_fields() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin, None).await;
    let a = fixtures::organisation(&app.db, "NGO A").await;
    let token = &admin.access_token;

    let cases = [
        (
            json!({ "email": "not-an-email", "displayName": "X", "role": "STAFF" }),
            "email",
        ),
        (
            json!({ "email": "ok@example.tj", "displayName": "  ", "role": "STAFF" }),
            "displayName",
        ),
        (
            json!({ "email": "ok@example.tj", "displayName": "X", "role": "PARTNER" }),
            "organisationId",
        ),
        (
            json!({ "email": "ok@example.tj", "displayName": "X", "role": "STAFF", "organisationId": a.id.to_string() }),
            "organisationId",
        ),
        (
            json!({ "email": "ok@example.tj", "displayName": "X", "role": "PARTNER", "organisationId": Uuid::now_v7().to_string() }),
            "organisationId",
        ),
    ];
    for (input, field) in cases {
        let response = app
            .graphql_as(token, CREATE, json!({ "input": input }))
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{input}");
        assert_eq!(
            response["errors"][0]["extensions"]["fields"][0]["field"], field,
            "{input}"
        );
    }
    let input =
        json!({ "input": { "email": "Dup@Example.tj", "displayName": "X", "role": "STAFF" } });
    app.data_as(token, CREATE, input.clone()).await;
    let duplicate = app
        .graphql_as(
            token,
            CREATE,
            json!({ "input": { "email": "dup@example.TJ", "displayName": "Y", "role": "ADMIN" } }),
        )
        .await;
    assert_eq!(error_codes(&duplicate), ["CONFLICT"]);

    let search = app
        .data_as(
            token,
            r#"{ accounts(filter: { search: "DUP@" }) { totalCount edges { node { email } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(search["accounts"]["totalCount"], 1);
}

#[tokio::test]
async fn a_disabled_account_is_cut_off_at_once() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin, None).await;
    let staff = app.user(Role::Staff, None).await;
    app.data_as(&staff.access_token, "{ me { id } }", json!({}))
        .await;

    let disabled = app
        .data_as(
            &admin.access_token,
            "mutation($id: ID!) { disableAccount(id: $id) { status } }",
            json!({ "id": staff.account.id.to_string() }),
        )
        .await;
    assert_eq!(disabled["disableAccount"]["status"], "DISABLED");

    let with_token = app
        .graphql_as(&staff.access_token, "{ me { id } }", json!({}))
        .await;
    assert_eq!(error_codes(&with_token), ["UNAUTHENTICATED"]);
    let refresh = app
        .graphql(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": staff.refresh_token }),
        )
        .await;
    assert_eq!(error_codes(&refresh), ["UNAUTHENTICATED"]);
    let login = app.login(&staff.account.email, &staff.password, None).await;
    assert_eq!(error_codes(&login), ["UNAUTHENTICATED"]);

    app.data_as(
        &admin.access_token,
        "mutation($id: ID!) { enableAccount(id: $id) { status } }",
        json!({ "id": staff.account.id.to_string() }),
    )
    .await;
    let login = app.login(&staff.account.email, &staff.password, None).await;
    assert!(login["data"]["login"].is_object());
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_disabled_or_demoted() {
    let app = spawn_app().await;
    let first = app.user(Role::Admin, None).await;
    let second = app.user(Role::Admin, None).await;

    // Nobody disables or demotes themselves.
    let own = app
        .graphql_as(
            &first.access_token,
            "mutation($id: ID!) { disableAccount(id: $id) { id } }",
            json!({ "id": first.account.id.to_string() }),
        )
        .await;
    assert_eq!(error_codes(&own), ["FORBIDDEN"]);
    // With two admins, one may demote the other.
    let demoted = app
        .data_as(
            &first.access_token,
            UPDATE,
            json!({ "id": second.account.id.to_string(), "input": { "role": "STAFF" } }),
        )
        .await;
    assert_eq!(demoted["updateAccount"]["role"], "STAFF");

    // `first` is now the last active admin. An admin acting from a session that outlived its own
    // admin rights (as in a race between two admins) still cannot remove it.
    let stale_admin = Caller::system(Actor::Member(Member {
        account_id: second.account.id,
        role: Role::Admin,
        organisation_id: None,
        session_family: Uuid::now_v7(),
        restriction: None,
        preferred_language: Language::En,
    }));
    let accounts = app.services();
    let disable = accounts
        .accounts()
        .set_status(&stale_admin, first.account.id, AccountStatus::Disabled)
        .await;
    assert!(matches!(disable, Err(ApiError::Conflict(_))), "{disable:?}");
    let demote = accounts
        .accounts()
        .update(
            &stale_admin,
            first.account.id,
            api::services::accounts::AccountChanges {
                role: Some(Role::Staff),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(demote, Err(ApiError::Conflict(_))), "{demote:?}");
    app.data_as(&first.access_token, "{ me { role status } }", json!({}))
        .await;
}

#[tokio::test]
async fn everyone_edits_their_own_profile() {
    let app = spawn_app().await;
    let a = org(&app, "NGO A").await;

    let updated = app
        .data_as(
            &a.partner.access_token,
            r#"mutation { updateMyProfile(input: { displayName: "Zarina", preferredLanguage: TG }) { displayName preferredLanguage role } }"#,
            json!({}),
        )
        .await;

    assert_eq!(updated["updateMyProfile"]["displayName"], "Zarina");
    assert_eq!(updated["updateMyProfile"]["preferredLanguage"], "TG");
    assert_eq!(updated["updateMyProfile"]["role"], "PARTNER");
}

fn create_admin(app: &TestApp, email: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["create-admin", "--email", email, "--name", "First Admin"])
        .env("DATABASE_URL", &app.config.database.url)
        .env("PORTAL_DEMO_DATA", "never")
        .env("RUST_LOG", "error")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run portal");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("portal ends")
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_command_line() {
    let app = spawn_app().await;

    let weak = create_admin(&app, "root@portal.example.tj", "password123");
    assert!(!weak.status.success());
    let error = String::from_utf8_lossy(&weak.stderr);
    assert!(
        error.contains("12 characters") || error.to_lowercase().contains("guess"),
        "{error}"
    );

    let created = create_admin(&app, "Root@Portal.example.tj", "Varzob-Gorge-Morning-Light");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("root@portal.example.tj"));
    let login = app
        .login("root@portal.example.tj", "Varzob-Gorge-Morning-Light", None)
        .await;
    assert_eq!(
        login["data"]["login"]["account"]["role"], "ADMIN",
        "{login:#}"
    );
    assert_eq!(login["data"]["login"]["mustChangePassword"], false);

    let again = create_admin(&app, "root@portal.example.tj", "Varzob-Gorge-Morning-Light");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
}

#[tokio::test]
async fn each_demo_login_signs_in_with_its_role() {
    let app = crate::helpers::spawn_app_with_demo().await;

    for login in api::demo::logins().expect("the demo logins") {
        let response = app.login(&login.email, &login.password, None).await;
        assert_eq!(
            response["data"]["login"]["account"]["role"], login.role,
            "{response:#}"
        );
        let token = response["data"]["login"]["accessToken"]
            .as_str()
            .expect("token");
        let me = app
            .data_as(token, "{ me { organisation { name } } }", json!({}))
            .await;
        assert_eq!(
            me["me"]["organisation"].is_null(),
            login.organisation.is_none()
        );
    }
}

#[tokio::test]
async fn names_are_checked_on_every_change() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin, None).await;
    let staff = app.user(Role::Staff, None).await;

    for name in ["", "   ", &"x".repeat(101)] {
        let update = app
            .graphql_as(
                &admin.access_token,
                UPDATE,
                json!({ "id": staff.account.id.to_string(), "input": { "displayName": name } }),
            )
            .await;
        assert_eq!(error_codes(&update), ["BAD_USER_INPUT"], "{name:?}");
        assert_eq!(
            update["errors"][0]["extensions"]["fields"][0]["field"],
            "displayName"
        );
        let own = app
            .graphql_as(
                &staff.access_token,
                "mutation($name: String) { updateMyProfile(input: { displayName: $name }) { id } }",
                json!({ "name": name }),
            )
            .await;
        assert_eq!(error_codes(&own), ["BAD_USER_INPUT"], "{name:?}");
        assert_eq!(
            own["errors"][0]["extensions"]["fields"][0]["field"],
            "displayName"
        );
    }
}

#[tokio::test]
async fn accounts_page_backward_as_they_page_forward() {
    let app = crate::helpers::spawn_app_with_demo().await;
    let admin = app.user(Role::Admin, None).await;
    for _ in 0..3 {
        app.user(Role::Staff, None).await;
    }
    crate::helpers::paging::Listing {
        token: Some(&admin.access_token),
        template: "accounts(PAGE) SELECTION",
        path: &["accounts"],
    }
    .assert_pages_both_ways(&app, 2)
    .await;
}
