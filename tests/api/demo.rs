//! The demo data's referral cases: present in every status with their histories, loaded once,
//! seen by the demo partners, counted by the statistics, and numbered so that the API goes on
//! from them; its indicators' results loaded once too.

use std::collections::{BTreeSet, HashMap};

use api::{crypto::DataKeys, demo::DemoLogin};
use chrono::Datelike;
use entity::{
    account, case_code_counter,
    enums::{CaseStatus, Role},
    indicator, indicator_period, referral_case, referral_transition,
};
use sea_orm::{ColumnTrait, EntityTrait, Iterable, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, fixtures, nodes, spawn_app, spawn_app_with_demo};

/// The access token of the demo login of `role`, and its account.
async fn demo_login(app: &TestApp, role: &str) -> (String, account::Model) {
    let login: DemoLogin = api::demo::logins()
        .expect("the demo logins")
        .into_iter()
        .find(|login| login.role == role)
        .expect("a demo login of the role");
    let response = app.login(&login.email, &login.password, None).await;
    let token = response["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("demo login failed: {response:#}"))
        .to_owned();
    let account = account::Entity::find()
        .filter(account::Column::Email.eq(login.email))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the demo account");
    (token, account)
}

async fn all_cases(app: &TestApp) -> Vec<referral_case::Model> {
    referral_case::Entity::find()
        .order_by_asc(referral_case::Column::Id)
        .all(&app.db)
        .await
        .expect("cases")
}

/// Each case's history, oldest step first.
async fn histories(app: &TestApp) -> HashMap<Uuid, Vec<referral_transition::Model>> {
    let mut histories: HashMap<Uuid, Vec<referral_transition::Model>> = HashMap::new();
    for step in referral_transition::Entity::find()
        .order_by_asc(referral_transition::Column::At)
        .order_by_asc(referral_transition::Column::Id)
        .all(&app.db)
        .await
        .expect("transitions")
    {
        histories.entry(step.case_id).or_default().push(step);
    }
    histories
}

async fn counters(app: &TestApp) -> Vec<case_code_counter::Model> {
    case_code_counter::Entity::find()
        .order_by_asc(case_code_counter::Column::Year)
        .all(&app.db)
        .await
        .expect("counters")
}

/// `RC-<year>-<number>` split into its year and number.
fn year_and_number(code: &str) -> (i32, i32) {
    let parts: Vec<&str> = code.split('-').collect();
    assert_eq!(parts.len(), 3, "{code}");
    assert_eq!(parts[0], "RC", "{code}");
    assert_eq!(parts[2].len(), 6, "{code}");
    (
        parts[1].parse().expect("a year"),
        parts[2].parse().expect("a number"),
    )
}

#[tokio::test]
async fn the_demo_has_cases_in_every_status_each_with_its_history() {
    let app = spawn_app_with_demo().await;
    let cases = all_cases(&app).await;
    let histories = histories(&app).await;

    assert!((55..=65).contains(&cases.len()), "{} cases", cases.len());
    for status in CaseStatus::iter() {
        assert!(
            cases.iter().any(|case| case.status == status),
            "no demo case is {status:?}"
        );
    }
    let drafts = cases
        .iter()
        .filter(|case| case.status == CaseStatus::Draft)
        .count();
    assert!((2..=3).contains(&drafts), "{drafts} drafts");

    let codes: BTreeSet<&str> = cases.iter().map(|case| case.code.as_str()).collect();
    assert_eq!(codes.len(), cases.len(), "codes are unique");
    for case in &cases {
        let code = &case.code;
        assert_eq!(year_and_number(code).0, case.created_at.year(), "{code}");
        let history = &histories[&case.id];
        // Opened as a draft; then sent (unless still a draft); each step from the last status.
        assert_eq!(history[0].from_status, None, "{code}");
        assert_eq!(history[0].to_status, CaseStatus::Draft, "{code}");
        if case.status == CaseStatus::Draft {
            assert_eq!(history.len(), 1, "{code}");
        } else {
            assert_eq!(history[1].from_status, Some(CaseStatus::Draft), "{code}");
            assert_eq!(history[1].to_status, CaseStatus::Referred, "{code}");
        }
        for pair in history.windows(2) {
            assert_eq!(pair[1].from_status, Some(pair[0].to_status), "{code}");
        }
        assert_eq!(
            history.last().map(|step| step.to_status),
            Some(case.status),
            "{code}"
        );
        assert_eq!(
            usize::try_from(case.version).ok(),
            Some(history.len()),
            "{code}"
        );
        // The demo has no data key: no identifying data at all.
        assert!(
            case.survivor_name.is_none() && case.contact_phone.is_none(),
            "{code}"
        );
        assert!(case.address.is_none() && case.notes.is_none(), "{code}");
    }
    assert!(
        histories
            .keys()
            .all(|id| cases.iter().any(|case| case.id == *id)),
        "no history without its case"
    );
}

#[tokio::test]
async fn loading_the_demo_again_adds_nothing() {
    let app = spawn_app_with_demo().await;
    let cases = all_cases(&app).await;
    let steps = app.rows::<referral_transition::Entity>().await;
    let before = counters(&app).await;
    let results = all_results(&app).await;

    let summary = app.load_demo().await.expect("second load");

    assert_eq!(
        summary.referral_cases,
        u64::try_from(cases.len()).expect("fits")
    );
    assert_eq!(all_cases(&app).await, cases);
    assert_eq!(app.rows::<referral_transition::Entity>().await, steps);
    assert_eq!(counters(&app).await, before);
    assert_eq!(
        summary.indicator_periods,
        u64::try_from(results.len()).expect("fits")
    );
    assert_eq!(all_results(&app).await, results);
    assert_eq!(
        summary.indicators,
        app.rows::<indicator::Entity>().await,
        "{summary:?}"
    );
}

/// Every indicator period, its values as the database holds them.
async fn all_results(app: &TestApp) -> Vec<indicator_period::Model> {
    indicator_period::Entity::find()
        .order_by_asc(indicator_period::Column::Id)
        .all(&app.db)
        .await
        .expect("indicator periods")
}

const LIST: &str = r"
query($after: String) {
  referralCases(first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id code status
      referringOrganisation { id }
      receivingOrganisation { id }
      history { toStatus receivingOrganisation { id } }
    } }
  }
}";

#[tokio::test]
async fn a_demo_partner_lists_the_cases_its_organisation_is_party_to() {
    let app = spawn_app_with_demo().await;
    let (token, account) = demo_login(&app, "PARTNER").await;
    let oksana = account
        .organisation_id
        .expect("a partner has an organisation");
    let cases = all_cases(&app).await;
    let histories = histories(&app).await;
    let party: BTreeSet<String> = cases
        .iter()
        .filter(|case| {
            case.referring_organisation_id == oksana
                || case.receiving_organisation_id == Some(oksana)
                || histories[&case.id]
                    .iter()
                    .any(|step| step.receiving_organisation_id == Some(oksana))
        })
        .map(|case| case.id.to_string())
        .collect();
    // Oksana refers and receives, and does not see the cases of others.
    let referring = cases
        .iter()
        .filter(|case| case.referring_organisation_id == oksana)
        .count();
    let receiving = cases
        .iter()
        .filter(|case| case.receiving_organisation_id == Some(oksana))
        .count();
    assert!(
        referring >= 5 && receiving >= 5,
        "{referring} / {receiving}"
    );
    assert!(party.len() < cases.len());

    let mut seen = BTreeSet::new();
    let mut after = Value::Null;
    loop {
        let data = app.data_as(&token, LIST, json!({ "after": after })).await;
        let connection = &data["referralCases"];
        assert_eq!(
            connection["totalCount"].as_u64(),
            u64::try_from(party.len()).ok()
        );
        for node in nodes(connection) {
            let id = node["id"].as_str().expect("id").to_owned();
            let oksana = oksana.to_string();
            let is_party = node["referringOrganisation"]["id"] == oksana.as_str()
                || node["receivingOrganisation"]["id"] == oksana.as_str()
                || node["history"].as_array().is_some_and(|steps| {
                    steps
                        .iter()
                        .any(|step| step["receivingOrganisation"]["id"] == oksana.as_str())
                });
            assert!(is_party, "{node:#}");
            assert!(seen.insert(id), "a case twice: {node:#}");
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, party);
}

const CREATE: &str = r"
mutation($input: CreateCaseInput!) { createReferralCase(input: $input) { id code status } }";

#[tokio::test]
async fn a_case_opened_after_the_demo_gets_the_next_free_code_of_its_year() {
    let app = spawn_app_with_demo().await;
    let (token, _) = demo_login(&app, "PARTNER").await;
    let demo_codes: BTreeSet<String> = all_cases(&app)
        .await
        .into_iter()
        .map(|case| case.code)
        .collect();
    let input = json!({
        "kind": "DOMESTIC_VIOLENCE", "risk": "MEDIUM", "survivorSex": "FEMALE",
        "survivorAgeGroup": "ADULT_25_59", "region": "KHATLON", "district": "Bokhtar",
        "servicesRequested": ["LEGAL_CONSULTATION"], "consentGiven": true,
    });

    let mut previous = None;
    for _ in 0..2 {
        let data = app
            .data_as(&token, CREATE, json!({ "input": input.clone() }))
            .await;
        let code = data["createReferralCase"]["code"]
            .as_str()
            .expect("a code")
            .to_owned();
        assert!(!demo_codes.contains(&code), "{code} is a demo case's");
        let (year, number) = year_and_number(&code);
        let expected = previous.unwrap_or_else(|| last_number(demo_codes.clone(), year)) + 1;
        assert_eq!(number, expected, "{code}");
        let counter = counters(&app)
            .await
            .into_iter()
            .find(|counter| counter.year == year)
            .expect("the year's counter");
        assert_eq!(counter.last_value, number);
        previous = Some(number);
    }
}

/// The highest number of `year` among `codes`, 0 when none.
fn last_number(codes: impl IntoIterator<Item = String>, year: i32) -> i32 {
    codes
        .into_iter()
        .map(|code| year_and_number(&code))
        .filter(|(of, _)| *of == year)
        .map(|(_, number)| number)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn the_demo_loaded_into_a_database_in_use_leaves_its_cases_alone() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "An NGO already at work").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let input = json!({
        "kind": "OTHER_GBV", "risk": "LOW", "survivorSex": "FEMALE",
        "survivorAgeGroup": "ADULT_18_24", "region": "SUGHD", "district": "Khujand",
        "servicesRequested": ["PSYCHOSOCIAL_COUNSELLING"],
    });
    let data = app
        .data_as(
            &partner.access_token,
            CREATE,
            json!({ "input": input.clone() }),
        )
        .await;
    let earlier = data["createReferralCase"]["code"]
        .as_str()
        .expect("a code")
        .to_owned();

    app.load_demo().await.expect("the demo loads");

    // The case of this year's number 1 was there first: it keeps its code, and the demo case
    // that would have taken it is left out with its history.
    let cases = all_cases(&app).await;
    let holders: Vec<&referral_case::Model> =
        cases.iter().filter(|case| case.code == earlier).collect();
    assert_eq!(holders.len(), 1);
    assert_eq!(holders[0].referring_organisation_id, ngo.id);
    assert!(cases.len() > 50);
    // The next case goes on after the highest number of its year.
    let data = app
        .data_as(&partner.access_token, CREATE, json!({ "input": input }))
        .await;
    let code = data["createReferralCase"]["code"].as_str().expect("a code");
    let (year, number) = year_and_number(code);
    let codes = cases.into_iter().map(|case| case.code);
    assert_eq!(number, last_number(codes, year) + 1, "{code}");
}

const STATISTICS: &str = r"
query { caseStatistics(rows: KIND) {
  total { value suppressed }
  rows { key total { value suppressed } }
  medianHoursToFirstAnswer
} }";

#[tokio::test]
async fn the_case_statistics_count_every_referred_demo_case() {
    let app = spawn_app_with_demo().await;
    let (token, account) = demo_login(&app, "STAFF").await;
    assert_eq!(account.role, Role::Staff);
    let referred = all_cases(&app)
        .await
        .iter()
        .filter(|case| case.status != CaseStatus::Draft)
        .count();

    let data = app.data_as(&token, STATISTICS, json!({})).await;
    let table = &data["caseStatistics"];

    // The demo's cases are shared among few organisations: one of them is party to all of
    // the cases but fewer than the threshold (possibly none), so any published count would
    // tell it how many cases it is not party to (docs/SECURITY.md). The protection hides every
    // cell, and with them the medians.
    assert!(referred > 50, "{referred} referred cases");
    assert_eq!(table["total"]["suppressed"], true, "{table:#}");
    for row in table["rows"].as_array().expect("rows") {
        assert_eq!(row["total"]["suppressed"], true, "{row:#}");
    }
    assert!(table["medianHoursToFirstAnswer"].is_null(), "{table:#}");
}

/// The text a value sealed with its case's own key opens to (`context` names the column).
fn opened(keys: &DataKeys, wrapped: &[u8], case_id: Uuid, sealed: &[u8], context: &str) -> String {
    let key = keys
        .open_owner_key(
            wrapped,
            format!("referral_case.data_key:{case_id}").as_bytes(),
        )
        .expect("the case's key opens");
    let text = key
        .decrypt(sealed, context.as_bytes())
        .expect("the sealed value opens");
    format!("sealed {:?}", String::from_utf8(text).expect("text"))
}

/// Every row of every table in the demo's database, in primary-key order, every column as
/// SQLite's `quote()` writes it. What differs on every load is reduced: a password hash, a TOTP
/// secret, a case's wrapped key and its identifying fields (random salts and nonces) to
/// present or absent; a consent scope or comment sealed with its case's key to the text it
/// opens to.
async fn dump_sqlite(app: &TestApp) -> String {
    use sea_orm::{ConnectionTrait, QueryResult, Statement};
    let backend = app.db.get_database_backend();
    let query = |sql: String| Statement::from_string(backend, sql);
    let keys = &app.config.auth.data_keys;
    let text = |row: &QueryResult, index: usize| -> String {
        row.try_get_by_index(index).expect("a text column")
    };
    // Not the migrations' record, nor the statistics' versions: those count writes (the
    // demo's and any a background job makes at start), not the demo's content.
    let tables = app
        .db
        .query_all_raw(query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT IN ('seaql_migrations', 'statistics_version') ORDER BY name"
                .to_owned(),
        ))
        .await
        .expect("tables");
    let case_keys: HashMap<Uuid, Vec<u8>> = all_cases(app)
        .await
        .into_iter()
        .filter_map(|case| Some((case.id, case.data_key?)))
        .collect();
    let mut dump = String::new();
    for table in &tables {
        let table = text(table, 0);
        let columns: Vec<(String, i32)> = app
            .db
            .query_all_raw(query(format!(
                "SELECT name, pk FROM pragma_table_info('{table}') ORDER BY cid"
            )))
            .await
            .expect("columns")
            .iter()
            .map(|column| {
                let pk: i32 = column.try_get_by_index(1).expect("pk");
                (text(column, 0), pk)
            })
            .collect();
        let mut key: Vec<&(String, i32)> = columns.iter().filter(|(_, pk)| *pk > 0).collect();
        key.sort_by_key(|(_, pk)| *pk);
        let order: Vec<String> = if key.is_empty() {
            columns
                .iter()
                .map(|(name, _)| format!("\"{name}\""))
                .collect()
        } else {
            key.iter().map(|(name, _)| format!("\"{name}\"")).collect()
        };
        // Each column twice: as `quote()` writes it, and as stored (for the sealed bytes).
        let select: Vec<String> = columns
            .iter()
            .map(|(name, _)| format!("quote(\"{name}\"), \"{name}\""))
            .collect();
        let rows = app
            .db
            .query_all_raw(query(format!(
                "SELECT {} FROM \"{table}\" ORDER BY {}",
                select.join(", "),
                order.join(", ")
            )))
            .await
            .expect("rows");
        dump.push_str(&format!("== {table} ({} rows)\n", rows.len()));
        for row in &rows {
            let stored = |name: &str| -> Option<Vec<u8>> {
                let index = columns
                    .iter()
                    .position(|(column, _)| column == name)
                    .expect("a column of the table");
                row.try_get_by_index(index * 2 + 1).expect("bytes")
            };
            let id = |name: &str| Uuid::from_slice(&stored(name).expect("an id")).expect("a uuid");
            let mut line = Vec::with_capacity(columns.len());
            for (index, (name, _)) in columns.iter().enumerate() {
                let quoted = text(row, index * 2);
                let shown = match (table.as_str(), name.as_str()) {
                    _ if quoted == "NULL" => quoted,
                    ("account", "password_hash" | "totp_secret")
                    | (
                        "referral_case",
                        "data_key" | "survivor_name" | "contact_phone" | "address" | "notes",
                    ) => "<present>".to_owned(),
                    ("referral_case", "consent_scope_sealed") => {
                        let case_id = id("id");
                        opened(
                            keys,
                            &case_keys[&case_id],
                            case_id,
                            &stored(name).expect("sealed"),
                            &format!("referral_case.consent_scope:{case_id}"),
                        )
                    }
                    ("referral_transition", "comment_sealed") => {
                        let case_id = id("case_id");
                        opened(
                            keys,
                            &case_keys[&case_id],
                            case_id,
                            &stored(name).expect("sealed"),
                            &format!("referral_transition.comment:{case_id}:{}", id("id")),
                        )
                    }
                    _ => quoted,
                };
                line.push(format!("{name}={shown}"));
            }
            dump.push_str(&line.join(" | "));
            dump.push('\n');
        }
    }
    dump
}

/// The proof that moving the demo to data files changed no row: the whole database after a
/// load, pinned. A change to the demo data shows here as a diff to review and accept
/// (`cargo insta review`); `DEMO_DUMP=<file>` also writes the dump to a file. SQLite only:
/// the dump reads SQLite's catalogue.
#[tokio::test]
async fn the_demo_rows_are_the_pinned_ones() {
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        eprintln!("skipped: the demo dump reads SQLite's catalogue");
        return;
    }
    let app = spawn_app_with_demo().await;
    let dump = dump_sqlite(&app).await;
    if let Ok(path) = std::env::var("DEMO_DUMP") {
        std::fs::write(path, &dump).expect("write the dump");
    }
    insta::assert_snapshot!("demo_rows", dump);
}

#[tokio::test]
async fn the_first_start_does_not_add_the_demo_to_a_database_with_a_real_admin() {
    let app = spawn_app().await;
    // Other accounts do not count: only an admin shows a database in real use.
    app.account(Role::Staff, None).await;
    let (admin, _) = app.account(Role::Admin, None).await;

    let outcome = api::demo::load_if_missing(&app.db, &app.config.auth.data_keys)
        .await
        .expect("no error");

    assert_eq!(
        outcome,
        api::demo::DemoLoad::RefusedForRealAdmin { admin: admin.id }
    );
    assert!(!api::demo::is_loaded(&app.db).await.expect("query"));
    let emails: Vec<String> = api::demo::logins()
        .expect("the demo logins")
        .into_iter()
        .map(|login| login.email)
        .collect();
    let demo_accounts = account::Entity::find()
        .filter(account::Column::Email.is_in(emails))
        .all(&app.db)
        .await
        .expect("query");
    assert!(demo_accounts.is_empty());
    assert!(all_cases(&app).await.is_empty());
}

#[tokio::test]
async fn the_first_start_loads_the_demo_once_and_its_own_admin_does_not_stop_it() {
    let app = spawn_app().await;
    app.account(
        Role::PartnerManager,
        Some(fixtures::organisation(&app.db, "An NGO").await.id),
    )
    .await;

    let first = api::demo::load_if_missing(&app.db, &app.config.auth.data_keys)
        .await
        .expect("the demo loads");
    let second = api::demo::load_if_missing(&app.db, &app.config.auth.data_keys)
        .await
        .expect("no error");

    assert!(matches!(first, api::demo::DemoLoad::Loaded(_)), "{first:?}");
    assert_eq!(second, api::demo::DemoLoad::AlreadyLoaded);
    // The demo's admin is not a real admin: a database with only it is still a demo.
    assert_eq!(api::demo::real_admin(&app.db).await.expect("query"), None);
}
