//! The test app: a server on a fresh database, and a client for it.

pub mod accounts;
pub mod fixtures;

use std::net::TcpListener;

use api::{
    config::Config,
    db::{self, StatementCounter},
    services::Services,
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
    /// Keeps the SQLite file alive for the test's duration.
    _dir: Option<tempfile::TempDir>,
}

/// A fresh database URL: a new SQLite file, or a new PostgreSQL database when
/// `TEST_DATABASE_URL` names a server.
async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
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
            (format!("{base}/{name}"), None)
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("portal.db").display()
            );
            (url, Some(dir))
        }
    }
}

/// The token signing key of test servers, so tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "test-signing-key-0123456789abcdef0123456789";

/// A fresh, empty database (not migrated) and the configuration for it, with `overrides` of
/// environment variables on top of the test defaults (no demo data, port 0, a small pool).
pub async fn fresh_config(overrides: &[(&str, &str)]) -> (Config, Option<tempfile::TempDir>) {
    let (database_url, dir) = fresh_database().await;
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
            _ => None,
        }
    })
    .expect("test configuration");
    (config, dir)
}

/// Runs `application` in the background and hands out a client for it.
fn run(
    config: &Config,
    application: Application,
    db: DatabaseConnection,
    dir: Option<tempfile::TempDir>,
) -> TestApp {
    let address = format!("http://127.0.0.1:{}", application.port());
    let statements = application.statements.clone();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        config: config.clone(),
        address,
        client: reqwest::Client::new(),
        db,
        statements,
        _dir: dir,
    }
}

/// Starts the server the way `portal serve` does, with `Application::build`.
pub async fn spawn_built_app(config: &Config, dir: Option<tempfile::TempDir>) -> TestApp {
    let application = Application::build(config)
        .await
        .expect("build the application");
    let (db, _) = db::connect(config).await.expect("connect");
    run(config, application, db, dir)
}

/// Starts the server on a fresh, migrated, empty database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the server on a fresh, migrated, empty database, with `overrides` of its
/// environment variables.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        api::telemetry::init(api::config::LogFormat::Pretty);
    }
    let (config, dir) = fresh_config(overrides).await;
    let (db, statements) = db::connect(&config).await.expect("connect");
    Migrator::up(&db, None).await.expect("migrations");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let application =
        Application::from_parts(&config, db.clone(), statements, listener).expect("app");
    run(&config, application, db, dir)
}

/// Starts the server on a fresh database holding the demo data.
pub async fn spawn_app_with_demo() -> TestApp {
    let app = spawn_app().await;
    app.services().load_demo().await.expect("demo data");
    app
}

impl TestApp {
    /// The service layer on the app's database, for calls the API does not offer (yet).
    pub fn services(&self) -> Services {
        Services::new(self.db.clone(), &self.config.auth)
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

    /// How many SQL statements `query` sends, run on its own.
    pub async fn count_statements(&self, query: &str, variables: Value) -> (u64, Value) {
        let before = self.statements.get();
        let data = self.data(query, variables).await;
        (self.statements.get() - before, data)
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
