//! Production as the README's `PORTAL_ENV=production` row promises it, with nothing but that
//! variable and the secrets it requires: JSON logs, no migration by itself, `/metrics` closed
//! without its token, admins held until two-factor is on. (Introspection and `__type` are in
//! `spec.rs`, GraphiQL in `server.rs`, HSTS in `http.rs`.)

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    PRODUCTION_DATA_KEYS, TEST_JWT_SECRET,
    binary::{self, migrate},
    error_codes, fresh_config, spawn_production_app, spawn_production_app_with,
};

/// `portal serve` with `PORTAL_ENV=production` and its required secrets only: the log format
/// and the migrations are production's own defaults.
fn production_portal(database: &str) -> std::process::Command {
    let mut command = binary::portal(database);
    command
        .env("PORTAL_ENV", "production")
        .env("PORTAL_DATA_KEYS", PRODUCTION_DATA_KEYS)
        .env("PORTAL_JWT_SECRET", TEST_JWT_SECRET)
        .env("RUST_LOG", "info")
        .env_remove("PORTAL_DEMO_DATA")
        .env_remove("PORTAL_TOTP_REQUIRED_FOR_ADMIN")
        .env_remove("PORTAL_METRICS_TOKEN");
    command
}

/// A production binary on an unmigrated database refuses to start, names `portal migrate` and
/// leaves the database unmigrated; once migrated it serves, and every line it writes is JSON.
#[tokio::test]
async fn the_production_binary_never_migrates_by_itself_and_logs_json() {
    let (config, _database) = fresh_config(&[]).await;
    let database = config.database.url.clone();

    let refused = binary::serve(production_portal(&database), &binary::free_address());
    let (status, output, errors) = refused.exit_with_errors().await;
    let status_after_refusal = migrate(&database, &["status"]);

    let said = format!("{output}{errors}");
    assert!(status.is_some_and(|status| !status.success()), "{said}");
    assert!(
        said.contains("not migrated") && said.contains("`portal migrate`"),
        "{said}"
    );
    assert!(
        status_after_refusal
            .stdout
            .lines()
            .all(|line| line.starts_with("Pending")),
        "nothing applied: {}",
        status_after_refusal.stdout
    );

    assert!(migrate(&database, &[]).success);
    let server = binary::serve(production_portal(&database), &binary::free_address());
    drop(server.connection().await);
    let page = reqwest::get(format!("http://{}/graphql", server.address))
        .await
        .expect("GET /graphql");
    assert_ne!(page.status(), 200);
    server.signal("TERM");
    let (exited, log) = server.exit().await;

    assert!(exited.is_some_and(|status| status.success()), "{log}");
    let lines: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("a line that is not JSON: {line}"))
        })
        .collect();
    let routes: Vec<&str> = lines
        .iter()
        .filter(|line| line["target"] == "portal::access")
        .filter_map(|line| line["route"].as_str())
        .collect();
    assert_eq!(routes, ["/health", "/graphql"], "{log}");
    // Production loads no demo data, so it prints no demo logins.
    assert!(!log.contains("Demo"), "{log}");
}

/// `/metrics` is off in production without `PORTAL_METRICS_TOKEN`, and asks for it when set.
#[tokio::test]
async fn production_metrics_are_off_without_a_token_and_need_it_when_set() {
    let token = "metrics-token-0123456789";
    let closed = spawn_production_app().await;
    let guarded = spawn_production_app_with(&[("PORTAL_METRICS_TOKEN", token)]).await;
    let scrape = |app: &crate::helpers::TestApp, token: Option<&str>| {
        let mut request = app.client.get(format!("{}/metrics", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let off = scrape(&closed, None).await.expect("scrape");
    let off_with_a_token = scrape(&closed, Some(token)).await.expect("scrape");
    let without = scrape(&guarded, None).await.expect("scrape");
    let wrong = scrape(&guarded, Some("metrics-token-wrong-0000"))
        .await
        .expect("scrape");
    let with = scrape(&guarded, Some(token)).await.expect("scrape");

    assert_eq!(off.status(), 403);
    let body: Value = off.json().await.expect("JSON");
    assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body:#}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{body:#}"
    );
    assert_eq!(off_with_a_token.status(), 403);
    assert_eq!(without.status(), 401);
    assert_eq!(wrong.status(), 401);
    assert_eq!(with.status(), 200);
    assert!(
        with.text()
            .await
            .expect("text")
            .contains("portal_db_statements_total")
    );
}

/// In production an admin without two-factor authentication can only enrol: the default of
/// `PORTAL_TOTP_REQUIRED_FOR_ADMIN` there is `true`.
#[tokio::test]
async fn production_holds_an_admin_until_two_factor_is_on() {
    let app = spawn_production_app().await;
    let (admin, password) = app.account(Role::Admin, None).await;
    let staff = app.user(Role::Staff, None).await;

    let login = app.login(&admin.email, &password, None).await;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("a token")
        .to_owned();
    let blocked = app
        .graphql_as(&token, "{ accounts { totalCount } }", json!({}))
        .await;
    let enrolment = app
        .graphql_as(&token, "mutation { enrolTotp { secret } }", json!({}))
        .await;

    assert!(app.config.auth.totp_required_for_admin);
    assert_eq!(login["data"]["login"]["mustEnrolTwoFactor"], true);
    assert_eq!(error_codes(&blocked), ["FORBIDDEN"], "{blocked:#}");
    assert!(
        enrolment["data"]["enrolTotp"]["secret"].is_string(),
        "{enrolment:#}"
    );
    // Staff are not held.
    app.data_as(
        &staff.access_token,
        "{ projects { totalCount } }",
        json!({}),
    )
    .await;
}
