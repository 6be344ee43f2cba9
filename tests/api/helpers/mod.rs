//! The test app: a server on a fresh database, and a client for it.

pub mod accounts;
pub mod answers;
pub mod binary;
pub mod fixtures;
pub mod links;
pub mod paging;
pub mod smtp;
pub mod ws;

use std::net::TcpListener;

use api::{
    config::Config,
    db::{self, StatementCounter},
    services::{Services, case_events::CaseEventBus},
    startup::Application,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// A running server on its own database.
pub struct TestApp {
    pub config: Config,
    pub address: String,
    pub client: reqwest::Client,
    /// The app's own pool, for arranging data the API cannot write yet.
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    /// The bus the server's subscriptions listen on.
    pub case_events: CaseEventBus,
    /// Removes the test's database when the test ends.
    _database: Option<TestDatabase>,
}

/// A test's own database, removed when this is dropped: the SQLite file's directory, or the
/// PostgreSQL database (dropped `WITH (FORCE)`, since the test's server still holds
/// connections to it when the test ends, and also when it panics).
pub enum TestDatabase {
    /// Removes its directory when dropped.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Self::Postgres { admin_url, name } = self else {
            return;
        };
        let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        let admin_url = admin_url.clone();
        // `drop` cannot await, and the test's runtime is the current thread's: the statement
        // runs on a thread of its own with a small runtime, and this waits for it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url)
                    .await
                    .map_err(|error| error.to_string())?;
                let result = admin.execute_unprepared(&statement).await;
                let _ = admin.close().await;
                result.map(|_| ()).map_err(|error| error.to_string())
            })
        })
        .join();
        // Never panic here: a second panic while a failing test unwinds would abort the run.
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("could not drop the test database {name}: {error}"),
            Err(_) => eprintln!("could not drop the test database {name}: the thread panicked"),
        }
    }
}

/// A fresh database URL: a new SQLite file, or a new PostgreSQL database when
/// `TEST_DATABASE_URL` names a server; the guard removes it.
async fn fresh_database() -> (String, TestDatabase) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) => {
            let name = format!("portal_test_{}", Uuid::now_v7().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("TEST_DATABASE_URL must reach PostgreSQL");
            admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("CREATE DATABASE \"{name}\""),
                ))
                .await
                .expect("create the test database");
            admin.close().await.expect("close the admin connection");
            let (base, _) = admin_url
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL ends with a database name");
            let url = format!("{base}/{name}");
            (url, TestDatabase::Postgres { admin_url, name })
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("portal.db").display()
            );
            (url, TestDatabase::Sqlite { _dir: dir })
        }
    }
}

/// The PostgreSQL server of `TEST_DATABASE_URL`, for a test that needs PostgreSQL (`test`
/// names it); `None`, said on standard error, when the tests run on SQLite. A run that sets
/// `PORTAL_TEST_POSTGRES_MARKER` (CI's PostgreSQL step) gets the test's name appended to that
/// file, so that CI can fail when the PostgreSQL-only tests were skipped there.
pub fn postgres_only(test: &str) -> Option<String> {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: {test} needs PostgreSQL (set TEST_DATABASE_URL)");
        return None;
    };
    assert!(
        url.starts_with("postgres://") || url.starts_with("postgresql://"),
        "TEST_DATABASE_URL must name a PostgreSQL server (postgres://...)"
    );
    if let Some(marker) = std::env::var_os("PORTAL_TEST_POSTGRES_MARKER") {
        use std::io::Write;

        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(marker)
            .expect("open PORTAL_TEST_POSTGRES_MARKER");
        writeln!(file, "{test}").expect("write PORTAL_TEST_POSTGRES_MARKER");
    }
    Some(url)
}

/// The token signing key of test servers, so tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "test-signing-key-0123456789abcdef0123456789";

/// A fresh, empty database (not migrated) and the configuration for it, with `overrides` of
/// environment variables on top of the test defaults (no demo data, port 0, a small pool).
/// Keep the guard for as long as the database is used.
pub async fn fresh_config(overrides: &[(&str, &str)]) -> (Config, Option<TestDatabase>) {
    let (database_url, database) = fresh_database().await;
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let config = Config::from_lookup(|name| {
        if let Some((_, value)) = overrides.iter().find(|(key, _)| key == name) {
            return Some(value.clone());
        }
        match name {
            "DATABASE_URL" => Some(database_url.clone()),
            "PORTAL_DEMO_DATA" => Some("never".to_owned()),
            "PORTAL_LISTEN" => Some("127.0.0.1:0".to_owned()),
            "PORTAL_DB_MAX_CONNECTIONS" => Some("5".to_owned()),
            "PORTAL_JWT_SECRET" => Some(TEST_JWT_SECRET.to_owned()),
            // Every planned answer is checked against the executor's (see `plans.rs`).
            "PORTAL_QUERY_PLANS" => Some("verify".to_owned()),
            // Mail goes beside a SQLite file (a temporary directory here), but on PostgreSQL
            // into the working directory: keep the tests' `.eml` files out of the checkout.
            "PORTAL_MAIL_DIR" if !database_url.starts_with("sqlite") => Some(
                std::env::temp_dir()
                    .join("portal-test-mail")
                    .display()
                    .to_string(),
            ),
            _ => None,
        }
    })
    .expect("test configuration");
    (config, Some(database))
}

/// Runs `application` in the background and hands out a client for it.
fn run(
    config: &Config,
    application: Application,
    db: DatabaseConnection,
    database: Option<TestDatabase>,
) -> TestApp {
    let address = format!("http://127.0.0.1:{}", application.port());
    let statements = application.statements.clone();
    let case_events = application.case_events().clone();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        config: config.clone(),
        address,
        client: reqwest::Client::new(),
        db,
        statements,
        case_events,
        _database: database,
    }
}

/// Starts the server the way `portal serve` does, with `Application::build`.
pub async fn spawn_built_app(config: &Config, database: Option<TestDatabase>) -> TestApp {
    let application = Application::build(config)
        .await
        .expect("build the application");
    let (db, _) = db::connect(&config.database).await.expect("connect");
    run(config, application, db, database)
}

/// Starts the server on a fresh, migrated, empty database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the server on a fresh, migrated, empty database, with `overrides` of its
/// environment variables.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let (config, database) = fresh_config(overrides).await;
    spawn_app_on(config, database).await
}

/// Starts the server with `config` (from [`fresh_config`], adjusted) on its migrated database.
pub async fn spawn_app_on(config: Config, database: Option<TestDatabase>) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        api::telemetry::init(api::telemetry::LogFormat::Pretty);
    }
    let (db, statements) = db::connect(&config.database).await.expect("connect");
    Migrator::up(&db, None).await.expect("migrations");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let application = Application::from_parts(&config, db.clone(), statements, listener)
        .await
        .expect("app");
    run(&config, application, db, database)
}

/// Starts the server on a fresh database holding the demo data, with `PORTAL_QUERY_PLANS` set
/// to `plans` (`on` or `off`), for tests that count what one path costs: the tests' default,
/// `verify`, runs a planned query twice.
pub async fn spawn_demo_app_planning(plans: &str) -> TestApp {
    let app = spawn_app_with(&[("PORTAL_QUERY_PLANS", plans)]).await;
    app.load_demo().await.expect("demo data");
    app
}

/// Starts the server on a fresh database holding the demo data.
pub async fn spawn_app_with_demo() -> TestApp {
    let app = spawn_app().await;
    app.load_demo().await.expect("demo data");
    app
}

impl TestApp {
    /// Loads the demo data into the app's database (idempotent), as `portal seed-demo` does.
    pub async fn load_demo(&self) -> Result<api::demo::DemoSummary, sea_orm::DbErr> {
        api::demo::load(&self.db, &self.config.auth.data_keys).await
    }

    /// The service layer on the app's database, for calls the API does not offer (yet); it
    /// publishes referral events to the app's subscribers.
    pub fn services(&self) -> Services {
        Services::new(self.db.clone(), &self.config.auth).with_case_events(self.case_events.clone())
    }

    /// Another server on the same database, as a second process of a deployment would be.
    pub async fn another_server(&self) -> TestApp {
        let (db, statements) = db::connect(&self.config.database).await.expect("connect");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let application = Application::from_parts(&self.config, db.clone(), statements, listener)
            .await
            .expect("app");
        run(&self.config, application, db, None)
    }

    /// Posts a GraphQL request with `Authorization: Bearer token`.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON response")
    }

    /// As [`TestApp::graphql_as`], for a query that must succeed; returns its `data`.
    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.graphql_as(token, query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Posts a GraphQL request and returns the JSON response (any HTTP status).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_in(query, variables, None).await
    }

    /// As [`TestApp::graphql`], with an `Accept-Language` header.
    pub async fn graphql_in(&self, query: &str, variables: Value, language: Option<&str>) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(language) = language {
            request = request.header("Accept-Language", language);
        }
        request
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON response")
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.graphql(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// How many SQL statements `query` sends, run on its own: the fewest of three runs. On a
    /// loaded machine a DataLoader batch can now and then be split in two by the scheduler;
    /// the design's count is the fewest, and a query that loads row by row sends one
    /// statement per row in every run.
    pub async fn count_statements(&self, query: &str, variables: Value) -> (u64, Value) {
        let mut fewest = u64::MAX;
        let mut data = Value::Null;
        for _ in 0..3 {
            let before = self.statements.get();
            data = self.data(query, variables.clone()).await;
            fewest = fewest.min(self.statements.get() - before);
        }
        (fewest, data)
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }
}

/// The `extensions.code` of every error of a response.
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    error["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The nodes of a connection in `data` at `path` (e.g. `["projects"]`).
pub fn nodes(connection: &Value) -> Vec<&Value> {
    connection["edges"]
        .as_array()
        .map(|edges| edges.iter().map(|edge| &edge["node"]).collect())
        .unwrap_or_default()
}

/// The fields a `BAD_USER_INPUT` answer names (`extensions.fields[].field` of its first error),
/// in the order given.
pub fn error_fields(response: &Value) -> Vec<String> {
    response["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|field| field["field"].as_str().unwrap_or("<none>").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `base` (a JSON object, such as a valid input) with the keys of `changes` set over it: how
/// tests make one field of a valid input invalid.
pub fn with_changes(mut base: Value, changes: Value) -> Value {
    if let (Some(base), Value::Object(changes)) = (base.as_object_mut(), changes) {
        base.extend(changes);
    }
    base
}

impl TestApp {
    /// Runs a mutation that must succeed and creates one thing; the new thing's id (the `id` of
    /// the mutation's only root field).
    pub async fn create_as(&self, token: &str, mutation: &str, input: Value) -> String {
        let data = self
            .data_as(token, mutation, json!({ "input": input }))
            .await;
        data.as_object()
            .and_then(|root| root.values().next())
            .and_then(|created| created["id"].as_str())
            .expect("the created thing's id")
            .to_owned()
    }

    /// Asserts that `query` as `token` is refused with `BAD_USER_INPUT` naming exactly `fields`
    /// (in any order).
    pub async fn assert_bad_input(
        &self,
        token: &str,
        query: &str,
        variables: Value,
        fields: &[&str],
    ) {
        let response = self.graphql_as(token, query, variables.clone()).await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{variables}");
        let mut named = error_fields(&response);
        named.sort();
        let mut expected = fields.to_vec();
        expected.sort_unstable();
        assert_eq!(named, expected, "{variables}");
        assert!(
            response["errors"][0]["extensions"]["fields"]
                .as_array()
                .is_some_and(|fields| fields.iter().all(|field| field["message"]
                    .as_str()
                    .is_some_and(|message| !message.is_empty()))),
            "each field comes with a message: {response:#}"
        );
    }

    /// For each `(change, field)` of `cases`, asserts that `mutation` with `input` set to
    /// `valid` changed by `change` is refused naming `field` alone.
    pub async fn assert_each_input_named(
        &self,
        token: &str,
        mutation: &str,
        valid: &Value,
        cases: impl IntoIterator<Item = (Value, &str)>,
    ) {
        for (change, field) in cases {
            let input = with_changes(valid.clone(), change);
            self.assert_bad_input(token, mutation, json!({ "input": input }), &[field])
                .await;
        }
    }

    /// How many rows of `E` the database holds.
    pub async fn rows<E>(&self) -> u64
    where
        E: sea_orm::EntityTrait,
        E::Model: Sync,
    {
        use sea_orm::PaginatorTrait;

        E::find().count(&self.db).await.expect("count rows")
    }

    /// The audit entries about the entity `entity_id`, oldest first.
    pub async fn audit_of(&self, entity_id: Uuid) -> Vec<entity::audit_entry::Model> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

        let mut entries = entity::audit_entry::Entity::find()
            .filter(entity::audit_entry::Column::EntityId.eq(entity_id))
            .all(&self.db)
            .await
            .expect("audit entries");
        entries.sort_by_key(|entry| (entry.at, entry.id));
        entries
    }
}

/// The data key of production test servers (any valid key: production refuses the public
/// development one).
pub const PRODUCTION_DATA_KEYS: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Starts the server as production runs it (`PORTAL_ENV=production`: no introspection, no
/// suggestions, no GraphiQL), on a database migrated beforehand as `portal migrate` would.
pub async fn spawn_production_app() -> TestApp {
    spawn_production_app_with(&[]).await
}

/// As [`spawn_production_app`], with `overrides` of its environment variables.
pub async fn spawn_production_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("PORTAL_ENV", "production"),
        ("PORTAL_DATA_KEYS", PRODUCTION_DATA_KEYS),
    ];
    settings.extend_from_slice(overrides);
    let (config, dir) = fresh_config(&settings).await;
    let (db, _) = db::connect(&config.database).await.expect("connect");
    Migrator::up(&db, None).await.expect("migrate");
    spawn_built_app(&config, dir).await
}
