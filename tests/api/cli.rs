//! The `portal` command line: migrations, the first admin, and the access log of `serve`,
//! run as the built binary.

use migration::MigratorTrait;
use serde_json::{Value, json};

use crate::helpers::binary::{self, PASSWORD, create_admin, migrate, portal, sqlite_url};

#[test]
fn migrate_says_what_it_applied_and_status_lists_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = sqlite_url(&dir);
    let known = migration::Migrator::migrations().len();

    let first = migrate(&database, &[]);
    let second = migrate(&database, &["up"]);
    let status = migrate(&database, &["status"]);

    assert!(first.success, "{}", first.stderr);
    let applied: Vec<&str> = first.stdout.lines().collect();
    assert_eq!(applied.len(), known, "{}", first.stdout);
    assert!(
        applied.iter().all(|line| line.starts_with("applied m2026")),
        "{}",
        first.stdout
    );
    assert!(second.success, "{}", second.stderr);
    assert!(
        second.stdout.starts_with("nothing to apply"),
        "{}",
        second.stdout
    );
    assert_eq!(status.stdout.lines().count(), known, "{}", status.stdout);
    assert!(
        status
            .stdout
            .lines()
            .all(|line| line.starts_with("Applied")),
        "{}",
        status.stdout
    );
}

#[test]
fn migrate_status_creates_no_database_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("portal.db");

    let status = migrate(&sqlite_url(&dir), &["status"]);

    assert!(!status.success);
    assert!(
        status.stderr.contains("no database at") && status.stderr.contains("portal.db"),
        "{}",
        status.stderr
    );
    assert!(
        !file.exists(),
        "`migrate status` created {}",
        file.display()
    );
}

#[test]
fn create_admin_on_an_unmigrated_database_names_portal_migrate() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = sqlite_url(&dir);

    let refused = create_admin(&database, "first@portal.example.tj");
    assert!(migrate(&database, &[]).success);
    let created = create_admin(&database, "first@portal.example.tj");

    assert!(!refused.success);
    assert!(
        refused.stderr.contains("not migrated") && refused.stderr.contains("`portal migrate`"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("went wrong"), "{}", refused.stderr);
    // The password read from a pipe, as scripts give it.
    assert!(created.success, "{}", created.stderr);
    assert!(
        created
            .stdout
            .starts_with("created admin first@portal.example.tj"),
        "{}",
        created.stdout
    );
}

/// One JSON line per request with method, route pattern, status, duration and request id,
/// and nothing of the query string, the password or the tokens.
#[tokio::test]
async fn serve_writes_one_access_line_per_request_and_no_secret() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = sqlite_url(&dir);
    assert!(migrate(&database, &[]).success);
    let email = "first@portal.example.tj";
    assert!(create_admin(&database, email).success);
    let mut command = portal(&database);
    command
        .env("PORTAL_LOG_FORMAT", "json")
        .env("RUST_LOG", "info");
    let server = binary::serve(command, &binary::free_address());
    drop(server.connection().await);
    let base = format!("http://{}", server.address);
    let client = reqwest::Client::new();
    let graphql = |token: Option<&str>, query: &str, variables: Value| {
        let mut request = client
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let login: Value = graphql(
        None,
        "mutation($email: String!, $password: String!) { login(email: $email, \
         password: $password) { accessToken refreshToken } }",
        json!({ "email": email, "password": PASSWORD }),
    )
    .await
    .expect("login")
    .json()
    .await
    .expect("JSON");
    let access = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let refresh = login["data"]["login"]["refreshToken"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let me = graphql(Some(&access), "{ me { email } }", json!({}))
        .await
        .expect("me");
    let export = client
        .get(format!(
            "{base}/exports/events.csv?region=KHATLON&search=zzsecretzz"
        ))
        .bearer_auth(&access)
        .send()
        .await
        .expect("export");
    let unknown = client
        .get(format!("{base}/accounts/0193-private?token=zzsecretzz"))
        .send()
        .await
        .expect("unknown path");
    let statuses = [200, me.status().as_u16(), export.status().as_u16(), 404];
    assert_eq!(unknown.status(), 404);
    server.signal("TERM");
    let (exited, log) = server.exit().await;

    assert!(exited.is_some_and(|status| status.success()), "{log}");
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    let access_lines: Vec<&Value> = lines
        .iter()
        .filter(|line| line["target"] == "portal::access")
        .collect();
    // The first line is the `/health` of `connection`.
    let seen: Vec<(&str, &str, u64)> = access_lines
        .iter()
        .map(|line| {
            (
                line["method"].as_str().unwrap_or_default(),
                line["route"].as_str().unwrap_or_default(),
                line["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", "/health", 200),
            ("POST", "/graphql", u64::from(statuses[0])),
            ("POST", "/graphql", u64::from(statuses[1])),
            ("GET", "/exports/events.csv", u64::from(statuses[2])),
            ("GET", "unmatched", u64::from(statuses[3])),
        ],
        "{log}"
    );
    let mut ids: Vec<&str> = access_lines
        .iter()
        .map(|line| line["request_id"].as_str().unwrap_or_default())
        .collect();
    assert!(
        access_lines.iter().all(|line| line["level"] == "INFO"
            && line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0)
            && line["message"] == "request"),
        "{log}"
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), access_lines.len(), "one request id each: {log}");
    assert!(ids.iter().all(|id| id.len() == 36), "{ids:?}");
    for secret in [
        PASSWORD,
        &access,
        &refresh,
        "zzsecretzz",
        "0193-private",
        "Bearer",
    ] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }
}

/// The demo accounts' passwords are public: neither `seed-demo` nor the first start of a
/// development server adds them to a database that has a real admin.
#[tokio::test]
async fn the_demo_is_not_added_beside_a_real_admin() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = sqlite_url(&dir);
    assert!(migrate(&database, &[]).success);
    assert!(create_admin(&database, "first@portal.example.tj").success);

    let mut command = portal(&database);
    command.arg("seed-demo");
    let seeded = binary::run(command, "");
    assert!(!seeded.success, "{}", seeded.stdout);
    assert!(
        seeded.stderr.contains("not a demo account"),
        "{}",
        seeded.stderr
    );

    let mut command = portal(&database);
    command.env("PORTAL_DEMO_DATA", "first-start");
    let server = binary::serve(command, &binary::free_address());
    drop(server.connection().await);
    server.signal("TERM");
    let (exited, output, errors) = server.exit_with_errors().await;
    let log = format!("{output}{errors}");
    assert!(exited.is_some_and(|status| status.success()), "{log}");
    assert!(log.contains("the demo data is not loaded"), "{log}");
    assert!(!log.contains("demo login"), "{log}");

    let db = sea_orm::Database::connect(&database)
        .await
        .expect("connect");
    assert!(!api::demo::is_loaded(&db).await.expect("query"));
    for login in api::demo::logins().expect("the demo logins") {
        assert!(!log.contains(&login.password), "a demo password in the log");
    }
}
