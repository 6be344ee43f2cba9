//! Faults: when the database goes away, requests fail fast with a clear error and `/ready`
//! says so; when it comes back, the server recovers without a restart.
//!
//! The server reaches PostgreSQL through a TCP proxy that the test can cut and restore, which
//! is a database outage as the server sees it, without stopping the PostgreSQL that other tests
//! share. (SQLite is a file inside the process: it cannot go away like this.)

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use api::{db, startup::Application};
use migration::{Migrator, MigratorTrait};
use serde_json::json;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::Notify,
};

use crate::helpers::{error_codes, fresh_config, postgres_only};

/// A TCP proxy to `target` that refuses and drops connections while it is cut.
struct Proxy {
    address: SocketAddr,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (accept_up, accept_cut) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let cut = accept_cut.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cut.notified() => {}
                    }
                });
            }
        });
        Self { address, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_outage_gives_clear_errors_and_the_server_recovers() {
    if postgres_only("a_database_outage_gives_clear_errors_and_the_server_recovers").is_none() {
        return;
    }
    let (config, _database) = fresh_config(&[]).await;
    let proxy = Proxy::start("127.0.0.1:5432".parse().expect("address")).await;
    let proxied = config
        .database
        .url
        .replace("127.0.0.1:5432", &proxy.address.to_string());
    // The database this makes is not used (the proxied URL replaces it); it is dropped here.
    let (config, _) = fresh_config(&[("DATABASE_URL", &proxied)]).await;
    let (pool, statements) = db::connect(&config.database)
        .await
        .expect("connect through the proxy");
    Migrator::up(&pool, None).await.expect("migrate");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let application = Application::from_parts(&config, pool, statements, listener)
        .await
        .expect("app");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::new();
    let query = || {
        client
            .post(format!("{address}/graphql"))
            .json(&json!({ "query": "{ projects { totalCount } }" }))
            .send()
    };
    let ready = || client.get(format!("{address}/ready")).send();

    let before: serde_json::Value = query().await.expect("request").json().await.expect("json");
    assert_eq!(before["data"]["projects"]["totalCount"], 0, "{before:#}");

    proxy.cut();
    let started = std::time::Instant::now();
    let during: serde_json::Value = query().await.expect("request").json().await.expect("json");
    let waited = started.elapsed();
    assert_eq!(error_codes(&during), ["INTERNAL"], "{during:#}");
    let message = during["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("database"), "a clear message: {message}");
    assert!(during["errors"][0]["extensions"]["requestId"].is_string());
    assert!(
        waited < Duration::from_secs(12),
        "fails within the acquire timeout: {waited:?}"
    );
    assert_eq!(ready().await.expect("request").status(), 503);

    proxy.restore();
    let mut recovered = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let response: serde_json::Value =
            query().await.expect("request").json().await.expect("json");
        if response["data"]["projects"]["totalCount"] == 0 {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the server answers again without a restart");
    assert_eq!(ready().await.expect("request").status(), 200);
}
