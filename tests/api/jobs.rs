//! The scheduled jobs (issue 16): a referral past its deadline tells both sides (and nobody
//! else) once per interval, again after a new deadline, never once answered, and once with two
//! processes; the running server does it on its own and delivers it live; the daily digest
//! tells each organisation what awaits it, once a day, in its members' language, without
//! identifying data.

use api::{
    db::{Db, StatementCounter},
    services::{
        jobs::{JobSettings, Scheduler, digest_window},
        values::Email,
    },
};
use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    enums::{Language, NotificationKind},
    mail_outbox, notification, referral_case,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    cases::{ACCEPT, ADDRESS, NAME, NOTES, PHONE, World, open_case, send, world},
    helpers::{TestApp, accounts::User, spawn_app, spawn_app_with},
    notifications::{expected, ok, onward, told},
};

/// The outbox's spelling of `user`'s address.
fn address(user: &User) -> String {
    Email::parse(&user.account.email)
        .expect("an address")
        .as_str()
        .to_owned()
}

/// A second pool on the test's database, as another server process has.
async fn another_pool(app: &TestApp) -> sea_orm::DatabaseConnection {
    api::db::connect(&app.config.database)
        .await
        .expect("connect")
        .0
}

fn scheduler(app: &TestApp, db: sea_orm::DatabaseConnection) -> Scheduler {
    Scheduler::new(
        Db::new(db, StatementCounter::default()),
        app.case_events.clone(),
        JobSettings::default(),
    )
}

/// Sets the answer deadline of case `id` to `due`.
async fn due_at(app: &TestApp, id: &str, due: DateTime<Utc>) {
    let mut case = referral_case::Entity::find_by_id(Uuid::parse_str(id).expect("uuid"))
        .one(&app.db)
        .await
        .expect("q")
        .expect("case")
        .into_active_model();
    case.response_due_at = Set(Some(due));
    case.update(&app.db).await.expect("update");
}

/// How many DEADLINE_PASSED notifications each of A, B and C got about case `id`.
async fn deadline_notices(app: &TestApp, w: &World, id: &str) -> [u64; 3] {
    let mut counts = [0; 3];
    for (count, organisation) in counts.iter_mut().zip([&w.a, &w.b, &w.c]) {
        *count = notification::Entity::find()
            .filter(notification::Column::CaseId.eq(Uuid::parse_str(id).expect("uuid")))
            .filter(notification::Column::Kind.eq(NotificationKind::DeadlinePassed))
            .filter(notification::Column::AccountId.is_in([
                organisation.partner.account.id,
                organisation.manager.account.id,
            ]))
            .count(&app.db)
            .await
            .expect("count");
    }
    counts
}

async fn outbox(app: &TestApp) -> Vec<mail_outbox::Model> {
    mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("the outbox")
}

fn assert_nothing_identifying(mail: &mail_outbox::Model) {
    for secret in [NAME, PHONE, ADDRESS, NOTES] {
        assert!(
            !mail.subject.contains(secret) && !mail.body.contains(secret),
            "a mail carries {secret}: {mail:#?}"
        );
    }
}

#[tokio::test]
async fn an_overdue_referral_tells_both_sides_once_per_interval_until_answered() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    ok(&app, &w.a.partner, &send(w.b.id), &id).await;
    let jobs = scheduler(&app, app.db.clone());

    // Before its deadline nobody is told.
    assert_eq!(jobs.escalate_overdue(Utc::now()).await.expect("run"), 0);
    assert_eq!(deadline_notices(&app, &w, &id).await, [0, 0, 0]);

    due_at(&app, &id, Utc::now() - TimeDelta::minutes(1)).await;
    let now = Utc::now();
    assert_eq!(jobs.escalate_overdue(now).await.expect("run"), 1);
    assert_eq!(
        told(&app, &w, &id).await,
        expected(&[
            ("A", NotificationKind::DeadlinePassed),
            ("B", NotificationKind::DeadlinePassed),
            ("B", NotificationKind::ReferralReceived),
        ])
    );
    // Within the interval, nobody again; after it, both sides again.
    for later in [TimeDelta::seconds(1), TimeDelta::hours(23)] {
        assert_eq!(jobs.escalate_overdue(now + later).await.expect("run"), 0);
    }
    assert_eq!(deadline_notices(&app, &w, &id).await, [2, 2, 0]);
    assert_eq!(
        jobs.escalate_overdue(now + TimeDelta::hours(24))
            .await
            .expect("run"),
        1
    );
    assert_eq!(deadline_notices(&app, &w, &id).await, [4, 4, 0]);

    // Answered: never again.
    ok(&app, &w.b.partner, ACCEPT, &id).await;
    assert_eq!(
        jobs.escalate_overdue(now + TimeDelta::days(5))
            .await
            .expect("run"),
        0
    );
    assert_eq!(deadline_notices(&app, &w, &id).await, [4, 4, 0]);

    // Each notice is a mail to its member, with the code and what happened only.
    let subject = format!("The time to answer the referral of case {code} has passed.");
    let mut recipients: Vec<String> = outbox(&app)
        .await
        .into_iter()
        .filter(|mail| mail.subject == subject)
        .inspect(assert_nothing_identifying)
        .map(|mail| mail.recipient)
        .collect();
    recipients.sort();
    let mut members: Vec<String> = [&w.a, &w.b]
        .iter()
        .flat_map(|org| [&org.partner, &org.manager])
        .flat_map(|user| [address(user), address(user)])
        .collect();
    members.sort();
    assert_eq!(recipients, members);
}

#[tokio::test]
async fn an_onward_referral_is_escalated_on_its_own_deadline_to_its_new_parties() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, _) = open_case(&app, &w.a.partner, "HIGH").await;
    ok(&app, &w.a.partner, &send(w.b.id), &id).await;
    let jobs = scheduler(&app, app.db.clone());
    due_at(&app, &id, Utc::now() - TimeDelta::minutes(1)).await;
    assert_eq!(jobs.escalate_overdue(Utc::now()).await.expect("run"), 1);
    assert_eq!(deadline_notices(&app, &w, &id).await, [2, 2, 0]);

    ok(&app, &w.b.partner, ACCEPT, &id).await;
    ok(&app, &w.b.partner, &onward(w.c.id), &id).await;
    // C's deadline passes within the interval of the first telling: a new deadline is told
    // at once, to the referrer and the new receiver, not to B any more.
    due_at(&app, &id, Utc::now()).await;
    assert_eq!(jobs.escalate_overdue(Utc::now()).await.expect("run"), 1);
    assert_eq!(deadline_notices(&app, &w, &id).await, [4, 2, 2]);
}

#[tokio::test]
async fn of_two_processes_one_runs_the_job_and_each_case_is_told_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
        ok(&app, &w.a.partner, &send(w.b.id), &id).await;
        due_at(&app, &id, Utc::now() - TimeDelta::minutes(1)).await;
        ids.push(id);
    }
    // Two processes: two pools on the one database.
    let first = scheduler(&app, another_pool(&app).await);
    let second = scheduler(&app, another_pool(&app).await);
    let now = Utc::now();
    let (one, two) = tokio::join!(first.run_due(now), second.run_due(now));
    let (one, two) = (one.expect("run"), two.expect("run"));
    assert_eq!(
        one.escalated + two.escalated,
        3,
        "every case once: {one:?} {two:?}"
    );
    assert_eq!(
        one.escalated.min(two.escalated),
        0,
        "one process ran it: {one:?} {two:?}"
    );
    // Even two runs at once (a lease that ran out under a slow run) tell each case once.
    let later = now + TimeDelta::hours(25);
    let (one, two) = tokio::join!(
        first.escalate_overdue(later),
        second.escalate_overdue(later)
    );
    assert_eq!(one.expect("run") + two.expect("run"), 3);
    for id in &ids {
        assert_eq!(deadline_notices(&app, &w, id).await, [4, 4, 0], "{id}");
    }
}

#[tokio::test]
async fn the_running_server_escalates_on_its_own_and_delivers_it_live() {
    let app = spawn_app_with(&[("PORTAL_JOBS_POLL_SECONDS", "1")]).await;
    let w = world(&app).await;
    let (id, code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    ok(&app, &w.a.partner, &send(w.b.id), &id).await;

    let before = app.case_events.subscriber_count();
    let mut referrer = app.ws_as(&w.a.partner.access_token).await;
    referrer
        .subscribe(
            "n",
            "subscription { notificationAdded { kind caseCode message } }",
        )
        .await;
    let mut receiver = app.ws_as(&w.b.partner.access_token).await;
    receiver
        .subscribe(
            "e",
            "subscription { referralEvents { code change status } }",
        )
        .await;
    let mut third = app.ws_as(&w.c.partner.access_token).await;
    third
        .subscribe("n", "subscription { notificationAdded { kind } }")
        .await;
    app.wait_for_subscribers(before + 3).await;

    due_at(&app, &id, Utc::now() - TimeDelta::minutes(1)).await;
    let delivered = referrer.next_response("n").await;
    assert_eq!(
        delivered["data"]["notificationAdded"],
        json!({
            "kind": "DEADLINE_PASSED",
            "caseCode": code,
            "message": format!("The time to answer the referral of case {code} has passed."),
        })
    );
    let event = receiver.next_response("e").await;
    assert_eq!(
        event["data"]["referralEvents"],
        json!({ "code": code, "change": "DEADLINE_PASSED", "status": "REFERRED" })
    );
    third.assert_silent().await;
    assert_eq!(deadline_notices(&app, &w, &id).await, [2, 2, 0]);
}

#[tokio::test]
async fn the_daily_digest_tells_each_organisation_what_awaits_it_once_a_day() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // B's partner reads Russian.
    let mut russian = entity::account::Entity::find_by_id(w.b.partner.account.id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("account")
        .into_active_model();
    russian.preferred_language = Set(Language::Ru);
    russian.update(&app.db).await.expect("update");

    let window = digest_window(Utc::now(), JobSettings::default().digest_hour);
    // Overdue, to B; waiting, to B; accepted by B, nobody assigned.
    let (late, late_code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    ok(&app, &w.a.partner, &send(w.b.id), &late).await;
    due_at(&app, &late, window - TimeDelta::hours(1)).await;
    let (waiting, waiting_code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    ok(&app, &w.a.partner, &send(w.b.id), &waiting).await;
    let (taken, taken_code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    ok(&app, &w.a.partner, &send(w.b.id), &taken).await;
    ok(&app, &w.b.partner, ACCEPT, &taken).await;
    let jobs = scheduler(&app, app.db.clone());
    let before = outbox(&app).await.len();

    let now = window + TimeDelta::hours(1);
    assert_eq!(jobs.send_digests(now).await.expect("run"), 2, "A and B");
    let digests: Vec<mail_outbox::Model> = outbox(&app).await.split_off(before);
    let to = |user: &User| {
        digests
            .iter()
            .find(|mail| mail.recipient == address(user))
            .unwrap_or_else(|| panic!("no digest for {}: {digests:#?}", user.account.email))
    };
    assert_eq!(digests.len(), 4, "each member of A and B: {digests:#?}");
    let b = to(&w.b.manager);
    assert_eq!(
        b.subject,
        "Daily digest: 2 to answer (1 overdue), 0 awaiting others, 1 unassigned"
    );
    for code in [&late_code, &waiting_code, &taken_code] {
        assert!(b.body.contains(code.as_str()), "{code} in {}", b.body);
    }
    assert!(b.body.contains(&format!("- {late_code}")), "{}", b.body);
    assert!(b.body.contains("overdue"), "{}", b.body);
    let b_russian = to(&w.b.partner);
    assert_eq!(b_russian.language, Language::Ru);
    assert!(
        b_russian.subject.starts_with("Сводка за день"),
        "{}",
        b_russian.subject
    );
    let a = to(&w.a.partner);
    assert_eq!(
        a.subject,
        "Daily digest: 0 to answer (0 overdue), 2 awaiting others, 3 unassigned"
    );
    for mail in &digests {
        assert_nothing_identifying(mail);
        assert_ne!(mail.recipient, address(&w.c.partner));
    }

    // Once a day: later the same day nothing; the next day again.
    assert_eq!(
        jobs.send_digests(now + TimeDelta::hours(2))
            .await
            .expect("run"),
        0
    );
    assert_eq!(
        jobs.send_digests(now + TimeDelta::hours(24))
            .await
            .expect("run"),
        2
    );
}

#[tokio::test]
async fn operators_are_reminded_once_a_month_of_a_missing_report() {
    use entity::{centre_report, enums::CentreKind, resource_centre};

    use crate::helpers::fixtures::{self, NewCentre};

    let app = spawn_app().await;
    let w = world(&app).await;
    let at = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    };
    // A's centre reported November; B's two (the world's shelter too) did not; C's came into
    // the portal in December.
    let mut centres = Vec::new();
    for (operator, name, created) in [
        (w.a.id, "Reporting centre of A", "2026-10-01T00:00:00Z"),
        (w.b.id, "Silent centre of B", "2026-10-01T00:00:00Z"),
        (w.c.id, "New centre of C", "2026-12-01T00:00:00Z"),
    ] {
        let centre = fixtures::centre(
            &app.db,
            NewCentre {
                name,
                kind: CentreKind::WomensResourceCentre,
                operator_id: operator,
                ..NewCentre::default()
            },
        )
        .await;
        let mut dated = centre.clone().into_active_model();
        dated.created_at = Set(at(created));
        dated.update(&app.db).await.expect("date the centre");
        centres.push(centre);
    }
    centre_report::Model {
        id: Uuid::now_v7(),
        centre_id: centres[0].id,
        month: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("a month"),
        revision: 1,
        submitted_by_id: None,
        submitted_at: at("2026-12-01T09:00:00Z"),
    }
    .into_active_model()
    .insert(&app.db)
    .await
    .expect("A's report");
    let jobs = scheduler(&app, app.db.clone());
    let before = outbox(&app).await.len();

    // Not before the third of the month; then once.
    assert_eq!(
        jobs.remind_reports(at("2026-12-02T10:00:00Z"))
            .await
            .expect("run"),
        0
    );
    assert_eq!(
        jobs.remind_reports(at("2026-12-03T03:00:00Z"))
            .await
            .expect("run"),
        2
    );
    assert_eq!(
        jobs.remind_reports(at("2026-12-04T03:00:00Z"))
            .await
            .expect("run"),
        0
    );
    let reminders: Vec<mail_outbox::Model> = outbox(&app).await.split_off(before);
    let mut recipients: Vec<String> = reminders
        .iter()
        .map(|mail| mail.recipient.clone())
        .collect();
    recipients.sort();
    let mut members = vec![address(&w.b.partner), address(&w.b.manager)];
    members.sort();
    assert_eq!(recipients, members, "{reminders:#?}");
    assert_eq!(
        reminders[0].subject,
        "Monthly report for 2026-11 not submitted yet"
    );
    for name in ["Silent centre of B", "Shelter of B"] {
        assert!(reminders[0].body.contains(name), "{}", reminders[0].body);
    }
    assert!(!reminders[0].body.contains("of A"), "{}", reminders[0].body);

    // The next month every centre owes December, C's included; a deactivated one nothing.
    let mut gone = resource_centre::Entity::find_by_id(centres[0].id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("centre")
        .into_active_model();
    gone.active = Set(false);
    gone.update(&app.db).await.expect("deactivate");
    assert_eq!(
        jobs.remind_reports(at("2027-01-03T03:00:00Z"))
            .await
            .expect("run"),
        3
    );
}
