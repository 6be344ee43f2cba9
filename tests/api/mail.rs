//! The mail outbox and its delivery, against a real SMTP server started by each test
//! (`helpers::smtp`): delivered once, with credentials, through a server that is down and comes
//! back, by a new process after a stop, by several processes at once, and as `.eml` files
//! without a server. Timings are shortened through the configuration, so no test waits for a
//! real backoff.

use std::{collections::BTreeSet, net::TcpListener, time::Duration};

use api::services::{
    mail::{OutgoingMail, enqueue},
    values::Email,
};
use entity::{enums::Language, mail_outbox};
use sea_orm::{EntityTrait, PaginatorTrait, TransactionTrait};

use crate::helpers::{
    TestApp, fresh_config,
    smtp::{SmtpServer, body, header},
    spawn_app_on,
};

const USER: &str = "portal@mail.test";
const PASSWORD: &str = "p@ss:wörd";

/// A server whose sender looks at the outbox every 50 ms and retries after 100–200 ms,
/// with `overrides` of its variables.
async fn mail_app(overrides: &[(&str, &str)]) -> TestApp {
    let (mut config, database) = fresh_config(overrides).await;
    config.mail.poll_interval = Duration::from_millis(50);
    config.mail.retry.first = Duration::from_millis(100);
    config.mail.retry.longest = Duration::from_millis(200);
    spawn_app_on(config, database).await
}

/// `smtp://` URL of a local server on `port`, with the test credentials (URL-encoded).
fn smtp_url(port: u16) -> String {
    format!("smtp://portal%40mail.test:p%40ss%3Aw%C3%B6rd@127.0.0.1:{port}")
}

fn mail(to: &str, subject: &str, body: &str) -> OutgoingMail {
    OutgoingMail {
        to: Email::parse(to).expect("an address"),
        language: Language::Tg,
        subject: subject.to_owned(),
        body: body.to_owned(),
        holds_link: false,
    }
}

async fn outbox(app: &TestApp) -> Vec<mail_outbox::Model> {
    mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("the outbox")
}

/// Waits (up to ten seconds, for a loaded machine) until `done` holds for the outbox.
async fn wait_until(app: &TestApp, done: impl Fn(&[mail_outbox::Model]) -> bool) {
    for _ in 0..500 {
        if done(&outbox(app).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the outbox never got there: {:#?}", outbox(app).await);
}

#[tokio::test]
async fn an_enqueued_mail_is_delivered_once_with_credentials_and_utf8_text() {
    let server = SmtpServer::start(USER, PASSWORD);
    let app = mail_app(&[
        ("PORTAL_SMTP_URL", &smtp_url(server.port)),
        ("PORTAL_MAIL_FROM", "Portal <no-reply@portal.test>"),
    ])
    .await;
    let subject = "Ирҷои нав: TJ-2026-0042";
    let text = "Ба ташкилоти шумо ирҷои TJ-2026-0042 фиристода шуд.\nНовое направление.";
    enqueue(&app.db, mail("Partner@Example.org", subject, text))
        .await
        .expect("enqueue");

    let received = server.wait_for(1).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let message = &received[0];
    assert_eq!(message.user, USER, "the server required AUTH");
    assert_eq!(message.from, "no-reply@portal.test");
    assert_eq!(message.to, ["partner@example.org"]);
    let raw = message.text();
    assert_eq!(
        header(&raw, "From").as_deref(),
        Some("Portal <no-reply@portal.test>")
    );
    assert_eq!(header(&raw, "To").as_deref(), Some("partner@example.org"));
    assert_eq!(header(&raw, "Subject").as_deref(), Some(subject));
    assert!(
        header(&raw, "Content-Type").is_some_and(|value| value.contains("charset=utf-8")),
        "{raw}"
    );
    assert_eq!(body(&raw).replace("\r\n", "\n"), text);

    wait_until(&app, |rows| rows.iter().all(|row| row.sent_at.is_some())).await;
    let rows = outbox(&app).await;
    let id = rows[0].id;
    assert_eq!(
        header(&raw, "Message-ID"),
        Some(format!("<{id}@portal.test>")),
        "the Message-ID names the outbox row"
    );
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].last_error, None);
    assert_eq!(rows[0].claimed_until, None);
    // Sent rows are not sent again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn wrong_credentials_are_retried_not_lost() {
    let server = SmtpServer::start(USER, "another password");
    let app = mail_app(&[("PORTAL_SMTP_URL", &smtp_url(server.port))]).await;
    enqueue(&app.db, mail("partner@example.org", "TJ-2026-0001", "text"))
        .await
        .expect("enqueue");
    wait_until(&app, |rows| rows.iter().all(|row| row.attempts >= 1)).await;
    let row = &outbox(&app).await[0];
    assert!(row.sent_at.is_none());
    assert!(row.last_error.is_some());
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_server_that_is_down_gets_the_mail_when_it_comes_back() {
    // A port that nothing listens on: the server is down.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let app = mail_app(&[("PORTAL_SMTP_URL", &smtp_url(port))]).await;
    enqueue(&app.db, mail("partner@example.org", "TJ-2026-0002", "text"))
        .await
        .expect("enqueue");

    wait_until(&app, |rows| rows.iter().all(|row| row.attempts >= 2)).await;
    let row = &outbox(&app).await[0];
    assert!(row.sent_at.is_none());
    assert_eq!(row.last_error.as_deref(), Some("connect"));
    assert!(row.next_attempt_at > row.created_at, "backed off");

    let server = SmtpServer::start_on(port, USER, PASSWORD);
    let received = server.wait_for(1).await;
    assert_eq!(received.len(), 1);
    wait_until(&app, |rows| rows.iter().all(|row| row.sent_at.is_some())).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.received().len(), 1, "delivered once");
}

#[tokio::test]
async fn a_new_process_sends_what_a_stopped_one_left() {
    let server = SmtpServer::start(USER, PASSWORD);
    // The first process never gets to send: it polls once an hour.
    let (mut config, database) = fresh_config(&[("PORTAL_SMTP_URL", &smtp_url(server.port))]).await;
    config.mail.poll_interval = Duration::from_secs(3600);
    let first = spawn_app_on(config.clone(), database).await;
    enqueue(&first.db, mail("a@example.org", "TJ-2026-0003", "one"))
        .await
        .expect("enqueue");
    enqueue(&first.db, mail("b@example.org", "TJ-2026-0004", "two"))
        .await
        .expect("enqueue");
    // A crashed sender's claim that has run out does not hold the message back.
    let claimed = outbox(&first).await[0].clone();
    mail_outbox::Entity::update(mail_outbox::ActiveModel {
        claimed_until: sea_orm::ActiveValue::Set(Some(
            chrono::Utc::now() - chrono::Duration::seconds(1),
        )),
        ..sea_orm::IntoActiveModel::into_active_model(claimed)
    })
    .exec(&first.db)
    .await
    .expect("an old claim");
    assert!(server.received().is_empty());

    config.mail.poll_interval = Duration::from_millis(50);
    let restarted = spawn_app_on(config, None).await;
    let received = server.wait_for(2).await;
    assert_eq!(received.len(), 2);
    wait_until(&restarted, |rows| {
        rows.iter().all(|row| row.sent_at.is_some())
    })
    .await;
}

#[tokio::test]
async fn several_processes_on_one_database_send_each_mail_once() {
    let server = SmtpServer::start(USER, PASSWORD);
    let app = mail_app(&[("PORTAL_SMTP_URL", &smtp_url(server.port))]).await;
    let _second = app.another_server().await;
    let _third = app.another_server().await;
    const COUNT: usize = 30;
    for number in 0..COUNT {
        enqueue(
            &app.db,
            mail(
                "partner@example.org",
                &format!("TJ-2026-{number:04}"),
                "text",
            ),
        )
        .await
        .expect("enqueue");
    }
    wait_until(&app, |rows| rows.iter().all(|row| row.sent_at.is_some())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = server.received();
    assert_eq!(received.len(), COUNT, "each mail once");
    let subjects: BTreeSet<_> = received
        .iter()
        .filter_map(|message| header(&message.text(), "Subject"))
        .collect();
    assert_eq!(subjects.len(), COUNT);
    assert!(outbox(&app).await.iter().all(|row| row.attempts == 1));
}

#[tokio::test]
async fn without_smtp_each_mail_is_written_as_an_eml_file() {
    let dir = tempfile::tempdir().expect("a directory");
    let mail_dir = dir.path().join("mail");
    let app = mail_app(&[("PORTAL_MAIL_DIR", &mail_dir.display().to_string())]).await;
    let text = "Новое направление TJ-2026-0005.";
    enqueue(&app.db, mail("partner@example.org", "TJ-2026-0005", text))
        .await
        .expect("enqueue");
    wait_until(&app, |rows| rows.iter().all(|row| row.sent_at.is_some())).await;
    let id = outbox(&app).await[0].id;
    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .expect("the mail directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(files, [format!("{id}.eml")]);
    let raw = std::fs::read_to_string(mail_dir.join(format!("{id}.eml"))).expect("the file");
    assert_eq!(
        header(&raw, "From").as_deref(),
        Some("\"OSCE Partner Portal\" <no-reply@portal.example.tj>")
    );
    assert_eq!(header(&raw, "Subject").as_deref(), Some("TJ-2026-0005"));
    assert_eq!(body(&raw), text);
}

#[tokio::test]
async fn a_rolled_back_change_enqueues_nothing() {
    let dir = tempfile::tempdir().expect("a directory");
    let app = mail_app(&[("PORTAL_MAIL_DIR", &dir.path().display().to_string())]).await;
    let transaction = app.db.begin().await.expect("begin");
    enqueue(
        &transaction,
        mail("partner@example.org", "TJ-2026-0006", "x"),
    )
    .await
    .expect("enqueue");
    transaction.rollback().await.expect("rollback");
    assert_eq!(
        mail_outbox::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0
    );
    let transaction = app.db.begin().await.expect("begin");
    enqueue(
        &transaction,
        mail("partner@example.org", "TJ-2026-0007", "x"),
    )
    .await
    .expect("enqueue");
    transaction.commit().await.expect("commit");
    assert_eq!(outbox(&app).await.len(), 1);
}
