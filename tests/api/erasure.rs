//! Erasure that holds beyond the API: the free text of a case is identifying data like its
//! identifying fields; after a withdrawal of consent nothing of the case's data stays readable
//! in SQLite's files, and on PostgreSQL what stays in its files (dead rows, the write-ahead
//! log) opens with no configured key once the documented rotation retired the key that wrapped
//! the case's own key.

use std::path::{Path, PathBuf};

use api::{
    auth::Caller,
    crypto::{CryptoError, DataKeys},
    services::Services,
};
use entity::{referral_case, referral_transition};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    cases::{
        ADDRESS, NAME, NOTES, PHONE, WITHDRAW_CONSENT, World, act, open_case, send, status, world,
    },
    helpers::{TestApp, accounts::User, binary, spawn_app, spawn_app_with},
};

/// Free text a partner wrote with the survivor's name in it.
const SCOPE: &str = "Gulnora Testova agrees to a shelter referral only";
const DECLINE_COMMENT: &str = "Gulnora Testova's brother-in-law works at our shelter";
const ONWARD_COMMENT: &str = "Sent on for Gulnora Testova: B cannot take her";
const NOTE: &str = "Gulnora Testova moved to her sister's flat";
// What an older version left in plain text, for the sealing at start to find. Its own words: on
// PostgreSQL every database shares one write-ahead log, and the erasure test there checks that
// no plain text of ITS case is anywhere in that log.
const LEGACY_SCOPE: &str = "Older release: Firuza Legacyeva agrees to a shelter referral only";
const LEGACY_COMMENT: &str = "Older release: Firuza Legacyeva's cousin works at our shelter";

const K1: &str = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const K2: &str = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

const FREE_TEXT: &str = r"
query($id: ID!) { referralCase(id: $id) {
  consent { given scope }
  history { toStatus reason comment }
  notes { text }
} }";

/// A case of A's with a consent scope, declined by B with a comment, referred on to C with
/// another, and a follow-up note by C: A and C are its current parties, B a previous receiver.
async fn case_with_free_text(app: &TestApp, w: &World) -> String {
    let mut input = crate::cases::new_case(true, "MEDIUM");
    input["input"]["consentScope"] = json!(SCOPE);
    let created = app
        .data_as(&w.a.partner.access_token, crate::cases::CREATE, input)
        .await;
    let id = created["createReferralCase"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        status(&act(app, &w.a.partner, &send(w.b.id), &id).await),
        "REFERRED"
    );
    let declined = app
        .graphql_as(
            &w.b.partner.access_token,
            "mutation($id: ID!, $comment: String) { declineReferralCase(id: $id, reason: OTHER, comment: $comment) { status } }",
            json!({ "id": id, "comment": DECLINE_COMMENT }),
        )
        .await;
    assert_eq!(status(&declined), "DECLINED", "{declined:#}");
    let onward = app
        .graphql_as(
            &w.a.partner.access_token,
            "mutation($id: ID!, $to: ID!, $comment: String) { referCaseOnward(id: $id, receivingOrganisationId: $to, comment: $comment) { status } }",
            json!({ "id": id, "to": w.c.id.to_string(), "comment": ONWARD_COMMENT }),
        )
        .await;
    assert_eq!(status(&onward), "REFERRED", "{onward:#}");
    app.data_as(
        &w.c.partner.access_token,
        "mutation($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { id } }",
        json!({ "id": id, "text": NOTE }),
    )
    .await;
    id
}

fn note_texts(view: &Value) -> Value {
    view["referralCase"]["notes"].clone()
}

fn comments(view: &Value) -> Vec<Value> {
    view["referralCase"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|step| step["comment"].clone())
        .collect()
}

async fn free_text_as(app: &TestApp, user: &User, id: &str) -> Value {
    app.data_as(&user.access_token, FREE_TEXT, json!({ "id": id }))
        .await
}

/// Reads of the case's protected data recorded in the audit log.
async fn reads(app: &TestApp, id: &str) -> usize {
    app.audit_of(Uuid::parse_str(id).expect("uuid"))
        .await
        .iter()
        .filter(|entry| {
            entry.action == "case.read_identifying"
                && entry.outcome == entity::enums::AuditOutcome::Success
        })
        .count()
}

#[tokio::test]
async fn free_text_is_read_by_the_current_parties_only_each_read_audited_and_erased_with_consent() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_with_free_text(&app, &w).await;
    let expected = [
        Value::Null,
        Value::Null,
        json!(DECLINE_COMMENT),
        json!(ONWARD_COMMENT),
    ];

    // The current parties read it, and each read is audited.
    for party in [&w.a.partner, &w.c.manager] {
        let before = reads(&app, &id).await;
        let view = free_text_as(&app, party, &id).await;
        assert_eq!(view["referralCase"]["consent"]["scope"], SCOPE);
        assert_eq!(comments(&view), expected);
        assert_eq!(note_texts(&view), json!([{ "text": NOTE }]));
        assert_eq!(
            reads(&app, &id).await,
            before + 3,
            "scope, comments and notes"
        );
    }
    // A history without its comments opens nothing and records no read.
    let before = reads(&app, &id).await;
    app.data_as(
        &w.a.partner.access_token,
        "query($id: ID!) { referralCase(id: $id) { consent { given } history { toStatus reason } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(reads(&app, &id).await, before);

    // The previous receiver and the Programme Office see the codes only.
    for outsider in [&w.b.partner, &w.b.manager, &w.staff, &w.admin] {
        let view = free_text_as(&app, outsider, &id).await;
        assert_eq!(view["referralCase"]["consent"]["given"], true);
        assert_eq!(view["referralCase"]["consent"]["scope"], Value::Null);
        assert_eq!(comments(&view), [const { Value::Null }; 4]);
        assert_eq!(note_texts(&view), Value::Null, "no notes for outsiders");
        let reasons: Vec<&Value> = view["referralCase"]["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|step| &step["reason"])
            .collect();
        assert_eq!(reasons[2], "OTHER", "the coded reason stays");
    }

    // Stored sealed, never as text.
    let case_id = Uuid::parse_str(&id).expect("uuid");
    let row = case_row(&app, case_id).await;
    let steps = steps_of(&app, case_id).await;
    assert!(row.legacy_consent_scope.is_none());
    assert!(steps.iter().all(|step| step.legacy_comment.is_none()));
    let notes = notes_of(&app, case_id).await;
    let stored = format!("{row:?}{steps:?}{notes:?}");
    for text in [SCOPE, DECLINE_COMMENT, ONWARD_COMMENT, NOTE, "Gulnora"] {
        assert!(!stored.contains(text), "{text} stored as text");
    }
    assert_eq!(
        DataKeys::key_id_of(row.consent_scope_sealed.as_deref().expect("sealed scope")),
        Some("owner")
    );

    // Withdrawn consent erases it for every reader, and in the database.
    let withdrawn = act(&app, &w.c.partner, WITHDRAW_CONSENT, &id).await;
    assert!(withdrawn.get("errors").is_none(), "{withdrawn:#}");
    for reader in [&w.a.partner, &w.c.partner, &w.b.partner, &w.staff] {
        let view = free_text_as(&app, reader, &id).await;
        assert_eq!(view["referralCase"]["consent"]["scope"], Value::Null);
        assert!(comments(&view).iter().all(Value::is_null));
        let notes = note_texts(&view);
        assert!(
            notes.is_null() || notes == json!([{ "text": null }]),
            "{notes}"
        );
    }
    assert!(
        notes_of(&app, case_id)
            .await
            .iter()
            .all(|note| note.text_sealed.is_none())
    );
    let row = case_row(&app, case_id).await;
    assert!(row.data_key.is_none() && row.consent_scope_sealed.is_none());
    assert!(row.legacy_consent_scope.is_none() && row.survivor_name.is_none());
    assert!(
        steps_of(&app, case_id)
            .await
            .iter()
            .all(|step| step.comment_sealed.is_none() && step.legacy_comment.is_none())
    );
}

async fn case_row(app: &TestApp, id: Uuid) -> referral_case::Model {
    referral_case::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("case")
}

async fn notes_of(app: &TestApp, id: Uuid) -> Vec<entity::case_note::Model> {
    entity::case_note::Entity::find()
        .filter(entity::case_note::Column::CaseId.eq(id))
        .all(&app.db)
        .await
        .expect("notes")
}

async fn steps_of(app: &TestApp, id: Uuid) -> Vec<referral_transition::Model> {
    referral_transition::Entity::find()
        .filter(referral_transition::Column::CaseId.eq(id))
        .all(&app.db)
        .await
        .expect("history")
}

/// Every sealed value of a case as stored, named: its wrapped key, identifying fields, consent
/// scope, comments and notes.
async fn sealed_values(app: &TestApp, id: Uuid) -> Vec<(String, Vec<u8>)> {
    let row = case_row(app, id).await;
    let mut values: Vec<(String, Vec<u8>)> = [
        ("data_key", row.data_key),
        ("survivor_name", row.survivor_name),
        ("contact_phone", row.contact_phone),
        ("address", row.address),
        ("notes", row.notes),
        ("consent_scope", row.consent_scope_sealed),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|value| (name.to_owned(), value)))
    .collect();
    for step in steps_of(app, id).await {
        if let Some(comment) = step.comment_sealed {
            values.push((format!("comment {}", step.id), comment));
        }
    }
    for note in notes_of(app, id).await {
        if let Some(text) = note.text_sealed {
            values.push((format!("note {}", note.id), text));
        }
    }
    values
}

/// The nonce of an envelope: 24 random bytes right after its header, so finding them finds a
/// copy of that envelope.
fn nonce_of(envelope: &[u8]) -> &[u8] {
    let header = 2 + usize::from(envelope[1]);
    &envelope[header..header + 24]
}

/// Where `needle` occurs in `haystack`.
fn positions(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(at, _)| at)
        .collect()
}

/// The files under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// The copies of each value found in `files`: (value name, file, the bytes found where the
/// whole envelope would be).
fn copies_in(files: &[PathBuf], values: &[(String, Vec<u8>)]) -> Vec<(String, PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for file in files {
        // A file may vanish meanwhile (a recycled WAL segment).
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        for (name, value) in values {
            let header = 2 + usize::from(value[1]);
            for at in positions(&bytes, nonce_of(value)) {
                let start = at.saturating_sub(header);
                let end = (start + value.len()).min(bytes.len());
                found.push((name.clone(), file.clone(), bytes[start..end].to_vec()));
            }
        }
    }
    found
}

fn plaintexts() -> [&'static str; 8] {
    [
        NAME,
        PHONE,
        ADDRESS,
        NOTES,
        SCOPE,
        DECLINE_COMMENT,
        ONWARD_COMMENT,
        NOTE,
    ]
}

fn assert_no_plaintext(files: &[PathBuf]) {
    for file in files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        for text in plaintexts() {
            assert!(
                positions(&bytes, text.as_bytes()).is_empty(),
                "{text:?} in {}",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn after_a_withdrawal_nothing_of_the_case_remains_in_the_sqlite_files() {
    if std::env::var_os("TEST_DATABASE_URL").is_some() {
        eprintln!("skipped on PostgreSQL: this test reads SQLite's files");
        return;
    }
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = case_with_free_text(&app, &w).await;
    let case_id = Uuid::parse_str(&id).expect("uuid");
    let values = sealed_values(&app, case_id).await;
    assert_eq!(
        values.len(),
        9,
        "key, four fields, scope, two comments, a note"
    );
    let database = api::db::sqlite_file(&app.config.database.url).expect("a SQLite file");
    let dir = database.parent().expect("its directory");
    let files = files_under(dir);
    assert!(files.iter().any(|file| file.ends_with("portal.db-wal")));

    // The scan works: before the withdrawal every value is found in the files.
    let before = copies_in(&files, &values);
    for (name, _) in &values {
        assert!(
            before.iter().any(|(found, _, _)| found == name),
            "{name} not found before the withdrawal: the scan would prove nothing"
        );
    }
    assert_no_plaintext(&files);

    let withdrawn = act(&app, &w.c.partner, WITHDRAW_CONSENT, &id).await;
    assert!(withdrawn.get("errors").is_none(), "{withdrawn:#}");

    let files = files_under(dir);
    let after = copies_in(&files, &values);
    assert!(
        after.is_empty(),
        "left in the files: {:?}",
        after
            .iter()
            .map(|(name, file, _)| format!("{name} in {}", file.display()))
            .collect::<Vec<_>>()
    );
    assert_no_plaintext(&files);
}

#[tokio::test]
async fn on_postgresql_what_remains_of_an_erased_case_opens_with_no_key_once_rotation_retired_its_key()
 {
    if crate::helpers::postgres_only("erasure::on_postgresql_what_remains").is_none() {
        return;
    }
    let app = spawn_app_with(&[("PORTAL_DATA_KEYS", K1)]).await;
    let w = world(&app).await;
    let erased = case_with_free_text(&app, &w).await;
    let (kept, _) = open_case(&app, &w.a.partner, "LOW").await;
    let erased_id = Uuid::parse_str(&erased).expect("uuid");
    let kept_id = Uuid::parse_str(&kept).expect("uuid");
    let values = sealed_values(&app, erased_id).await;
    assert_eq!(
        values.len(),
        9,
        "key, four fields, scope, two comments, a note"
    );

    let withdrawn = act(&app, &w.c.partner, WITHDRAW_CONSENT, &erased).await;
    assert!(withdrawn.get("errors").is_none(), "{withdrawn:#}");

    // The maintenance docs/SECURITY.md describes: rotate to a new key, then retire the old.
    let rotating = Services::new(app.db.clone(), &auth_with_keys(&app, &format!("{K2},{K1}")));
    let rotation = rotating.rotate_keys().await.expect("rotate");
    assert_eq!(rotation.case_keys, 1, "the kept case's key is re-wrapped");
    assert_eq!(rotation.after.get("k1"), None, "{:?}", rotation.after);
    let retired = auth_with_keys(&app, K2);
    let keys = retired.data_keys.clone();
    execute(&app, "CHECKPOINT").await;

    // The kept case still opens with the new key alone.
    let reader = Services::new(app.db.clone(), &retired);
    let caller = Caller::system(
        reader
            .auth()
            .authenticate(&w.a.partner.access_token)
            .await
            .expect("actor"),
    );
    let identifying = reader
        .cases()
        .read_identifying(&caller, kept_id)
        .await
        .expect("the kept case opens");
    assert_eq!(identifying.survivor_name.as_deref(), Some(NAME));

    // Every copy of the erased case's values in the database's files and the WAL: try them.
    let files = postgres_files(&app).await;
    let kept_key = case_row(&app, kept_id).await.data_key.expect("kept key");
    let control = copies_in(&files, &[("kept key".to_owned(), kept_key.clone())]);
    assert!(
        control.iter().any(|(_, _, bytes)| *bytes == kept_key),
        "the scan does not find a live value: it would prove nothing"
    );
    let found = copies_in(&files, &values);
    let key_context = format!("referral_case.data_key:{erased_id}");
    // What the rotation guards against: until the old key is retired, a leftover copy of the
    // erased case's key opens with it.
    let unretired = DataKeys::parse(&format!("{K2},{K1}")).expect("keys");
    let key_copies: Vec<_> = found
        .iter()
        .filter(|(name, ..)| name == "data_key")
        .collect();
    if !key_copies.is_empty() {
        assert!(
            key_copies.iter().any(|(_, _, bytes)| unretired
                .open_owner_key(bytes, key_context.as_bytes())
                .is_ok()),
            "a copy of the erased key is found but does not open even with the old key"
        );
    }
    for (name, file, bytes) in &found {
        if name == "data_key" {
            assert!(
                matches!(
                    keys.open_owner_key(bytes, key_context.as_bytes()),
                    Err(CryptoError::UnknownKey(_) | CryptoError::Malformed)
                ),
                "the erased case's key opens from {}",
                file.display()
            );
        } else {
            // Sealed with the case's own key, whose copies do not open: no configured key is
            // the one that sealed it (a wrong context would fail anyway, so the key id is what
            // is checked).
            assert_eq!(
                keys.decrypt(bytes, b"any context"),
                Err(CryptoError::UnknownKey("owner".to_owned())),
                "{name} from {} is not sealed with the case's key",
                file.display()
            );
        }
    }
    eprintln!(
        "{} copies of the erased case's values remain in PostgreSQL's files ({} of its key); \
         none opens with the configured keys",
        found.len(),
        key_copies.len()
    );
    assert_no_plaintext(&files);
}

fn auth_with_keys(app: &TestApp, keys: &str) -> api::auth::AuthSettings {
    let mut auth = app.config.auth.clone();
    auth.data_keys = DataKeys::parse(keys).expect("keys");
    auth.data_keys_insecure = false;
    auth
}

async fn execute(app: &TestApp, sql: &str) {
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// The test database's files and the cluster's write-ahead log.
async fn postgres_files(app: &TestApp) -> Vec<PathBuf> {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT current_setting('data_directory') AS dir, \
             (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS oid",
        ))
        .await
        .expect("data directory")
        .expect("a row");
    let dir: String = row.try_get("", "dir").expect("dir");
    let oid: String = row.try_get("", "oid").expect("oid");
    let dir = PathBuf::from(dir);
    let mut files = files_under(&dir.join("base").join(oid));
    files.extend(files_under(&dir.join("pg_wal")));
    assert!(
        !files.is_empty(),
        "PostgreSQL's files are not readable here"
    );
    files
}

#[test]
fn keys_status_and_rotate_name_what_each_key_seals() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = binary::sqlite_url(&dir);
    let run = |keys: &str, args: &[&str]| {
        let output = binary::portal(&database)
            .env("PORTAL_DATA_KEYS", keys)
            .args(args)
            .output()
            .expect("run portal");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{args:?}: {stdout}{stderr}");
        stdout
    };
    run(K1, &["seed-demo"]);
    let before = run(K1, &["keys", "status"]);
    let count = |output: &str, key: &str| -> u64 {
        output
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key}: ")))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("no count for {key} in {output}"))
    };
    let sealed = count(&before, "k1");
    assert!(sealed > 10, "the demo cases' keys: {before}");
    assert!(
        before.contains("k1: ") && before.contains("(current)"),
        "{before}"
    );

    let rotated = run(&format!("{K2},{K1}"), &["keys", "rotate"]);
    assert!(
        rotated.contains(&format!("re-sealed under \"k2\": {sealed} case keys")),
        "{rotated}"
    );
    assert_eq!(count(&rotated, "k2"), sealed, "{rotated}");
    assert_eq!(count(&rotated, "k1"), 0, "{rotated}");
    assert!(rotated.contains("unused: remove it"), "{rotated}");

    // With the old key retired, everything is still accounted for under the new one.
    let after = run(K2, &["keys", "status"]);
    assert_eq!(count(&after, "k2"), sealed, "{after}");
    assert!(!after.contains("NOT CONFIGURED"), "{after}");
    // A database sealed under a key that is not configured says so.
    let other = run(
        "k3:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=",
        &["keys", "status"],
    );
    assert!(
        other.contains("k2: ") && other.contains("NOT CONFIGURED"),
        "{other}"
    );
}

#[tokio::test]
async fn text_stored_by_an_older_version_is_sealed_at_start_and_an_erased_case_keeps_none() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

    let app = spawn_app().await;
    let w = world(&app).await;
    let live = case_with_free_text(&app, &w).await;
    let erased = case_with_free_text(&app, &w).await;
    let keys = app.config.auth.data_keys.clone();
    // Both cases as an older version stored them: identifying fields sealed under the data
    // keys themselves, no key of their own, scope and comments as text; the erased one with
    // its free text left behind, as withdrawals did before.
    for (id, erase) in [(&live, false), (&erased, true)] {
        let case_id = Uuid::parse_str(id).expect("uuid");
        let mut row = case_row(&app, case_id).await.into_active_model();
        let old = |column: &str| {
            keys.encrypt(
                NAME.as_bytes(),
                format!("referral_case.{column}:{case_id}").as_bytes(),
            )
            .expect("seal")
        };
        row.survivor_name = Set((!erase).then(|| old("survivor_name")));
        row.contact_phone = Set(None);
        row.address = Set(None);
        row.notes = Set(None);
        row.data_key = Set(None);
        row.consent_scope_sealed = Set(None);
        row.legacy_consent_scope = Set(Some(LEGACY_SCOPE.to_owned()));
        if erase {
            row.erased_at = Set(Some(chrono::Utc::now()));
        }
        row.update(&app.db).await.expect("older row");
        for step in steps_of(&app, case_id).await {
            let mut step = step.into_active_model();
            step.comment_sealed = Set(None);
            step.legacy_comment = Set(Some(LEGACY_COMMENT.to_owned()));
            step.update(&app.db).await.expect("older step");
        }
    }

    let sealed = app.services().seal_stored().await.expect("seal");

    assert_eq!(sealed.cases_keyed, 1, "{sealed:?}");
    assert_eq!(sealed.erased_cleared, 1, "{sealed:?}");
    assert_eq!(
        sealed.texts_sealed,
        1 + 4,
        "the scope and four comments: {sealed:?}"
    );
    let view = app
        .data_as(
            &w.a.partner.access_token,
            "query($id: ID!) { referralCase(id: $id) { identifying { survivorName } consent { scope } history { comment } } }",
            json!({ "id": live }),
        )
        .await;
    assert_eq!(view["referralCase"]["identifying"]["survivorName"], NAME);
    assert_eq!(view["referralCase"]["consent"]["scope"], LEGACY_SCOPE);
    assert_eq!(
        view["referralCase"]["history"][2]["comment"],
        LEGACY_COMMENT
    );
    for id in [&live, &erased] {
        let case_id = Uuid::parse_str(id).expect("uuid");
        let stored = format!(
            "{:?}{:?}",
            case_row(&app, case_id).await,
            steps_of(&app, case_id).await
        );
        assert!(
            !stored.contains("Gulnora") && !stored.contains("Legacyeva"),
            "text left in {stored}"
        );
    }
    let erased_row = case_row(&app, Uuid::parse_str(&erased).expect("uuid")).await;
    assert!(erased_row.data_key.is_none() && erased_row.consent_scope_sealed.is_none());
    assert!(
        steps_of(&app, erased_row.id)
            .await
            .iter()
            .all(|step| step.comment_sealed.is_none())
    );
    // A second start finds nothing to do.
    assert_eq!(
        app.services().seal_stored().await.expect("seal"),
        api::services::cases::SealSummary::default()
    );
}

#[tokio::test]
async fn many_cases_stored_without_keys_are_keyed_in_batches_each_with_its_own_values() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

    let app = spawn_app().await;
    let w = world(&app).await;
    let template = case_row(
        &app,
        Uuid::parse_str(&case_with_free_text(&app, &w).await).expect("uuid"),
    )
    .await;
    let step_template = steps_of(&app, template.id)
        .await
        .into_iter()
        .next()
        .expect("a step");
    let keys = app.config.auth.data_keys.clone();
    // More cases than two batches of the sweep hold (500 each), each with a name, scope and
    // comment of its own, as an older version stored them: the name under the data keys, the
    // scope and the comment as text.
    let count = 1_100;
    let mut ids = Vec::new();
    let mut steps = Vec::new();
    for number in 0..count {
        let case_id = Uuid::now_v7();
        let mut row = template.clone().into_active_model();
        row.id = Set(case_id);
        row.code = Set(format!("RC-2026-{:06}", 900_000 + number));
        row.survivor_name = Set(Some(
            keys.encrypt(
                format!("Survivor {number}").as_bytes(),
                format!("referral_case.survivor_name:{case_id}").as_bytes(),
            )
            .expect("seal"),
        ));
        row.contact_phone = Set(None);
        row.address = Set(None);
        row.notes = Set(None);
        row.data_key = Set(None);
        row.consent_scope_sealed = Set(None);
        row.legacy_consent_scope = Set((number % 3 != 0).then(|| format!("Scope {number}")));
        row.insert(&app.db).await.expect("older row");
        let step_id = Uuid::now_v7();
        let mut step = step_template.clone().into_active_model();
        step.id = Set(step_id);
        step.case_id = Set(case_id);
        step.comment_sealed = Set(None);
        step.legacy_comment = Set(Some(format!("Comment {number}")));
        step.insert(&app.db).await.expect("older step");
        ids.push(case_id);
        steps.push(step_id);
    }

    let sealed = app.services().seal_stored().await.expect("seal");

    let scopes = (0..count).filter(|number| number % 3 != 0).count() as u64;
    assert_eq!(sealed.cases_keyed, count, "{sealed:?}");
    assert_eq!(sealed.texts_sealed, scopes + count, "{sealed:?}");
    for (number, case_id) in ids.iter().enumerate() {
        let row = case_row(&app, *case_id).await;
        assert!(row.legacy_consent_scope.is_none());
        let key = keys
            .open_owner_key(
                row.data_key.as_deref().expect("a key of its own"),
                format!("referral_case.data_key:{case_id}").as_bytes(),
            )
            .expect("its key, bound to it");
        let open = |value: Option<Vec<u8>>, column: &str| {
            value.map(|sealed| {
                String::from_utf8(
                    key.decrypt(
                        &sealed,
                        format!("referral_case.{column}:{case_id}").as_bytes(),
                    )
                    .expect("sealed with its own key"),
                )
                .expect("text")
            })
        };
        assert_eq!(
            open(row.survivor_name, "survivor_name").as_deref(),
            Some(format!("Survivor {number}").as_str())
        );
        assert_eq!(
            open(row.consent_scope_sealed, "consent_scope"),
            (number % 3 != 0).then(|| format!("Scope {number}"))
        );
        let step = steps_of(&app, *case_id)
            .await
            .into_iter()
            .find(|step| step.id == steps[number])
            .expect("its step");
        assert!(step.legacy_comment.is_none());
        let comment = key
            .decrypt(
                &step.comment_sealed.expect("sealed"),
                format!("referral_transition.comment:{case_id}:{}", step.id).as_bytes(),
            )
            .expect("sealed with its case's key, bound to the step");
        assert_eq!(comment, format!("Comment {number}").into_bytes());
    }
    assert_eq!(
        app.services().seal_stored().await.expect("seal"),
        api::services::cases::SealSummary::default()
    );
}
