//! Keeping a case up to date: editing a draft or an open case (who, which fields, the version
//! guard, the audit of field names only) and deleting a draft opened by mistake.

use entity::{referral_case, referral_transition};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    cases::{ADDRESS, NAME, PHONE, WITHDRAW, act, open_case, send, status, world},
    helpers::{TestApp, accounts::User, error_codes, error_fields, nodes, spawn_app},
};

const UPDATE: &str = r"
mutation($id: ID!, $version: Int!, $input: UpdateCaseInput!) {
  updateReferralCase(id: $id, version: $version, input: $input) {
    version risk kind district survivor { ageGroup citizenship hasDisability }
  }
}";

const IDENTIFYING: &str = r"
query($id: ID!) { referralCase(id: $id) {
  version identifying { survivorName contactPhone address notes } consent { scope }
} }";

const DELETE: &str = "mutation($id: ID!) { deleteDraftReferralCase(id: $id) }";

async fn update(app: &TestApp, by: &User, id: &str, version: i32, input: Value) -> Value {
    app.graphql_as(
        &by.access_token,
        UPDATE,
        json!({ "id": id, "version": version, "input": input }),
    )
    .await
}

async fn identifying(app: &TestApp, by: &User, id: &str) -> Value {
    app.data_as(&by.access_token, IDENTIFYING, json!({ "id": id }))
        .await["referralCase"]
        .clone()
}

async fn stored(app: &TestApp, id: &str) -> Option<referral_case::Model> {
    referral_case::Entity::find_by_id(id.parse::<Uuid>().expect("an id"))
        .one(&app.db)
        .await
        .expect("read the case")
}

#[tokio::test]
async fn the_referrer_edits_every_field_of_a_draft_and_the_audit_names_the_fields_only() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;

    let new_name = "Malika Renamedova";
    let answer = update(
        &app,
        &w.a.partner,
        &id,
        1,
        json!({
            "risk": "HIGH", "kind": "TRAFFICKING_LABOUR", "district": "Kulob",
            "survivorCitizenship": "af", "survivorName": new_name, "address": "",
            "consentScope": "Only legal aid",
        }),
    )
    .await;
    let case = &answer["data"]["updateReferralCase"];
    assert_eq!(case["version"], 2, "{answer:#}");
    assert_eq!(case["risk"], "HIGH");
    assert_eq!(case["kind"], "TRAFFICKING_LABOUR");
    assert_eq!(case["district"], "Kulob");
    assert_eq!(case["survivor"]["citizenship"], "AF");
    assert_eq!(
        case["survivor"]["ageGroup"], "ADULT_25_59",
        "a field left out keeps its value"
    );

    let read = identifying(&app, &w.a.manager, &id).await;
    assert_eq!(read["identifying"]["survivorName"], new_name);
    assert_eq!(read["identifying"]["contactPhone"], PHONE, "left out: kept");
    assert_eq!(
        read["identifying"]["address"],
        Value::Null,
        "given empty: cleared"
    );
    assert_eq!(read["consent"]["scope"], "Only legal aid");

    // Sealed again with the case's key: the new name is not in the row in plain text.
    let row = stored(&app, &id).await.expect("the case");
    let sealed = row.survivor_name.expect("a sealed name");
    assert!(
        !sealed
            .windows(new_name.len())
            .any(|window| window == new_name.as_bytes()),
        "the name is stored sealed"
    );

    let entries = app.audit_of(row.id).await;
    let edit = entries
        .iter()
        .find(|entry| entry.action == "case.update")
        .expect("the edit is audited");
    let detail = edit.detail.clone().expect("the edit's detail");
    assert_eq!(
        detail["fields"],
        json!([
            "kind",
            "risk",
            "survivorCitizenship",
            "district",
            "survivorName",
            "address",
            "consentScope"
        ])
    );
    let everything = format!("{entries:?}");
    for secret in [new_name, NAME, ADDRESS, "Only legal aid"] {
        assert!(!everything.contains(secret), "{secret} in the audit log");
    }

    // Nothing changed: nothing written, no new version.
    let same = update(&app, &w.a.partner, &id, 2, json!({ "risk": "HIGH" })).await;
    assert_eq!(same["data"]["updateReferralCase"]["version"], 2, "{same:#}");
}

#[tokio::test]
async fn who_may_edit_a_draft() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
    let input = json!({ "risk": "LOW" });

    let anonymous = app
        .graphql(UPDATE, json!({ "id": id, "version": 1, "input": input }))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for (who, user, code) in [
        ("receiver-to-be", &w.b.partner, "NOT_FOUND"),
        ("third organisation", &w.c.manager, "NOT_FOUND"),
        ("staff", &w.staff, "FORBIDDEN"),
        ("admin", &w.admin, "FORBIDDEN"),
    ] {
        let answer = update(&app, user, &id, 1, input.clone()).await;
        assert_eq!(error_codes(&answer), [code], "{who}: {answer:#}");
    }
    assert_eq!(stored(&app, &id).await.expect("the case").version, 1);
    let answer = update(&app, &w.a.manager, &id, 1, input).await;
    assert_eq!(
        answer["data"]["updateReferralCase"]["risk"], "LOW",
        "{answer:#}"
    );
}

#[tokio::test]
async fn both_parties_edit_an_open_case_s_profile_only_at_its_current_version() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
    assert_eq!(
        status(&act(&app, &w.a.partner, &send(w.b.id), &id).await),
        "REFERRED"
    );

    let answer = update(
        &app,
        &w.b.partner,
        &id,
        2,
        json!({ "survivorAgeGroup": "ADULT_18_24", "contactPhone": "+992 90 000 00 00" }),
    )
    .await;
    assert_eq!(
        answer["data"]["updateReferralCase"]["version"], 3,
        "{answer:#}"
    );
    assert_eq!(
        identifying(&app, &w.a.partner, &id).await["identifying"]["contactPhone"],
        "+992 90 000 00 00"
    );

    // The referrer read version 2: stale, refused, nothing written.
    let stale = update(
        &app,
        &w.a.partner,
        &id,
        2,
        json!({ "survivorHasDisability": true }),
    )
    .await;
    assert_eq!(error_codes(&stale), ["CONFLICT"], "{stale:#}");
    let row = stored(&app, &id).await.expect("the case");
    assert!(!row.survivor_has_disability && row.version == 3);

    let fixed = update(
        &app,
        &w.a.manager,
        &id,
        3,
        json!({ "kind": "TRAFFICKING_LABOUR", "risk": "LOW", "address": "elsewhere" }),
    )
    .await;
    assert_eq!(error_codes(&fixed), ["BAD_USER_INPUT"], "{fixed:#}");
    assert_eq!(error_fields(&fixed), ["input.kind", "input.risk"]);

    for (who, user, code) in [
        ("third organisation", &w.c.partner, "NOT_FOUND"),
        ("staff", &w.staff, "FORBIDDEN"),
        ("admin", &w.admin, "FORBIDDEN"),
    ] {
        let answer = update(&app, user, &id, 3, json!({ "survivorHasDisability": true })).await;
        assert_eq!(error_codes(&answer), [code], "{who}: {answer:#}");
    }
    assert_eq!(stored(&app, &id).await.expect("the case").version, 3);

    let audited = app
        .audit_of(row.id)
        .await
        .into_iter()
        .filter(|entry| entry.action == "case.update")
        .count();
    assert_eq!(audited, 1, "one successful edit, one entry");
}

#[tokio::test]
async fn a_withdrawn_or_erased_case_is_not_edited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
    act(&app, &w.a.partner, &send(w.b.id), &id).await;
    assert_eq!(
        status(&act(&app, &w.a.partner, WITHDRAW, &id).await),
        "WITHDRAWN"
    );
    let answer = update(&app, &w.a.partner, &id, 3, json!({ "survivorName": "x" })).await;
    assert_eq!(error_fields(&answer), ["status"], "{answer:#}");

    let (erased, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
    act(
        &app,
        &w.a.partner,
        "withdrawCaseConsent(id: $id) { status }",
        &erased,
    )
    .await;
    let answer = update(
        &app,
        &w.a.partner,
        &erased,
        2,
        json!({ "survivorName": NAME }),
    )
    .await;
    assert_eq!(error_fields(&answer), ["status"], "{answer:#}");
    let row = stored(&app, &erased).await.expect("the case");
    assert!(row.survivor_name.is_none() && row.data_key.is_none());
}

#[tokio::test]
async fn a_deleted_draft_leaves_every_list_and_its_code_is_never_reused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, code) = open_case(&app, &w.a.partner, "MEDIUM").await;
    let (referred, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
    act(&app, &w.a.partner, &send(w.b.id), &referred).await;

    let anonymous = app.graphql(DELETE, json!({ "id": id })).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for (who, user, code) in [
        ("partner of B", &w.b.partner, "NOT_FOUND"),
        ("manager of C", &w.c.manager, "NOT_FOUND"),
        ("staff", &w.staff, "FORBIDDEN"),
        ("admin", &w.admin, "FORBIDDEN"),
    ] {
        let answer = app
            .graphql_as(&user.access_token, DELETE, json!({ "id": id }))
            .await;
        assert_eq!(error_codes(&answer), [code], "{who}: {answer:#}");
    }
    let receiver = app
        .graphql_as(&w.b.manager.access_token, DELETE, json!({ "id": referred }))
        .await;
    assert_eq!(error_codes(&receiver), ["FORBIDDEN"], "{receiver:#}");
    let referrer = app
        .graphql_as(&w.a.partner.access_token, DELETE, json!({ "id": referred }))
        .await;
    assert_eq!(error_fields(&referrer), ["status"], "{referrer:#}");

    let deleted = app
        .data_as(&w.a.partner.access_token, DELETE, json!({ "id": id }))
        .await;
    assert_eq!(deleted["deleteDraftReferralCase"], id.as_str());
    assert!(stored(&app, &id).await.is_none());
    let case_id: Uuid = id.parse().expect("an id");
    let steps = referral_transition::Entity::find()
        .all(&app.db)
        .await
        .expect("transitions");
    assert!(steps.iter().all(|step| step.case_id != case_id));
    let audit = app.audit_of(case_id).await;
    let entry = audit
        .iter()
        .find(|entry| entry.action == "case.delete_draft")
        .expect("the deletion is audited");
    assert_eq!(entry.detail.clone().expect("detail")["code"], code.as_str());

    for user in [&w.a.partner, &w.staff] {
        let list = app
            .data_as(
                &user.access_token,
                "{ referralCases(first: 50) { edges { node { id } } } }",
                json!({}),
            )
            .await;
        let ids: Vec<&Value> = nodes(&list["referralCases"]);
        assert!(ids.iter().all(|node| node["id"] != id.as_str()));
    }
    let again = app
        .graphql_as(&w.a.partner.access_token, DELETE, json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&again), ["NOT_FOUND"]);

    let (_, next) = open_case(&app, &w.a.partner, "LOW").await;
    assert!(next.ends_with("-000003"), "after {code}: {next}");
}

const ADD_NOTE: &str =
    "mutation($id: ID!, $text: String!) { addCaseNote(id: $id, text: $text) { id text } }";
const NOTES: &str = r"
query($id: ID!) { referralCase(id: $id) {
  notes { text authorAccountId organisation { name } }
} }";

/// The follow-up notes in these tests: free text naming the survivor.
const NOTE_OF_A: &str = "Gulnora Testova called: she is safe at her aunt's";
const NOTE_OF_B: &str = "Gulnora Testova missed the first counselling session";

async fn add_note(app: &TestApp, by: &User, id: &str, text: &str) -> Value {
    app.graphql_as(
        &by.access_token,
        ADD_NOTE,
        json!({ "id": id, "text": text }),
    )
    .await
}

async fn note_reads(app: &TestApp, id: &str) -> Vec<Value> {
    app.audit_of(id.parse().expect("an id"))
        .await
        .into_iter()
        .filter(|entry| entry.action == "case.read_identifying")
        .filter_map(|entry| entry.detail)
        .filter(|detail| detail["fields"] == "notes")
        .collect()
}

#[tokio::test]
async fn notes_are_written_and_read_by_the_current_parties_only_each_read_audited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
    act(&app, &w.a.partner, &send(w.b.id), &id).await;

    let added = add_note(&app, &w.a.partner, &id, NOTE_OF_A).await;
    assert_eq!(added["data"]["addCaseNote"]["text"], NOTE_OF_A, "{added:#}");
    let added = add_note(&app, &w.b.manager, &id, NOTE_OF_B).await;
    assert!(added.get("errors").is_none(), "{added:#}");

    let anonymous = app
        .graphql(ADD_NOTE, json!({ "id": id, "text": "x" }))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for (who, user, code) in [
        ("third organisation", &w.c.partner, "NOT_FOUND"),
        ("staff", &w.staff, "FORBIDDEN"),
        ("admin", &w.admin, "FORBIDDEN"),
    ] {
        let answer = add_note(&app, user, &id, "x").await;
        assert_eq!(error_codes(&answer), [code], "{who}: {answer:#}");
    }
    let empty = add_note(&app, &w.a.partner, &id, "   ").await;
    assert_eq!(error_fields(&empty), ["text"], "{empty:#}");

    // Both parties read both notes, oldest first; each read is audited.
    for (reader, own) in [(&w.a.partner, 0), (&w.b.partner, 1)] {
        let before = note_reads(&app, &id).await.len();
        let view = app
            .data_as(&reader.access_token, NOTES, json!({ "id": id }))
            .await;
        let notes = view["referralCase"]["notes"].as_array().expect("notes");
        let texts: Vec<&Value> = notes.iter().map(|note| &note["text"]).collect();
        assert_eq!(texts, [NOTE_OF_A, NOTE_OF_B]);
        // The author's account only for the author's own organisation.
        for (at, note) in notes.iter().enumerate() {
            assert_eq!(note["authorAccountId"].is_string(), at == own, "{note}");
        }
        assert_eq!(note_reads(&app, &id).await.len(), before + 1);
    }
    // Listing notes without their text opens nothing and records no read.
    let before = note_reads(&app, &id).await.len();
    app.data_as(
        &w.a.partner.access_token,
        "query($id: ID!) { referralCase(id: $id) { notes { at } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(note_reads(&app, &id).await.len(), before);

    for outsider in [&w.staff, &w.admin] {
        let view = app
            .data_as(&outsider.access_token, NOTES, json!({ "id": id }))
            .await;
        assert_eq!(view["referralCase"]["notes"], Value::Null);
    }

    // B refers onward to C: B is a previous receiver and sees no notes, nor adds one.
    act(
        &app,
        &w.b.partner,
        "acceptReferralCase(id: $id) { status }",
        &id,
    )
    .await;
    let onward = act(
        &app,
        &w.b.partner,
        &format!(
            r#"referCaseOnward(id: $id, receivingOrganisationId: "{}") {{ status }}"#,
            w.c.id
        ),
        &id,
    )
    .await;
    assert_eq!(status(&onward), "REFERRED", "{onward:#}");
    let view = app
        .data_as(&w.b.partner.access_token, NOTES, json!({ "id": id }))
        .await;
    assert_eq!(view["referralCase"]["notes"], Value::Null);
    let refused = add_note(&app, &w.b.partner, &id, "x").await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused:#}");
    let view = app
        .data_as(&w.c.partner.access_token, NOTES, json!({ "id": id }))
        .await;
    assert_eq!(
        view["referralCase"]["notes"].as_array().map(Vec::len),
        Some(2)
    );

    // Never in the audit log, sealed in the database.
    let entries = format!("{:?}", app.audit_of(id.parse().expect("an id")).await);
    let rows = format!(
        "{:?}",
        entity::case_note::Entity::find()
            .all(&app.db)
            .await
            .expect("notes")
    );
    for text in [NOTE_OF_A, NOTE_OF_B, "Gulnora"] {
        assert!(!entries.contains(text), "{text} in the audit log");
        assert!(!rows.contains(text), "{text} stored as text");
    }

    // Consent withdrawn: the texts are gone, and no note is added any more.
    let withdrawn = act(
        &app,
        &w.c.partner,
        "withdrawCaseConsent(id: $id) { status }",
        &id,
    )
    .await;
    assert_eq!(status(&withdrawn), "CLOSED", "{withdrawn:#}");
    let view = app
        .data_as(&w.a.partner.access_token, NOTES, json!({ "id": id }))
        .await;
    let notes = view["referralCase"]["notes"].as_array().expect("notes");
    assert!(notes.iter().all(|note| note["text"].is_null()), "{view:#}");
    let late = add_note(&app, &w.a.partner, &id, NOTE_OF_A).await;
    assert_eq!(error_codes(&late), ["CONFLICT"], "{late:#}");
}

const ASSIGN: &str = r"
mutation($id: ID!, $account: ID) { assignReferralCase(id: $id, accountId: $account) {
  assignedTo { id }
} }";

async fn assign(app: &TestApp, by: &User, id: &str, account: Option<&User>) -> Value {
    app.graphql_as(
        &by.access_token,
        ASSIGN,
        json!({ "id": id, "account": account.map(|user| user.account.id.to_string()) }),
    )
    .await
}

async fn assignee(app: &TestApp, reader: &User, id: &str) -> Value {
    app.data_as(
        &reader.access_token,
        "query($id: ID!) { referralCase(id: $id) { assignedTo { id } } }",
        json!({ "id": id }),
    )
    .await["referralCase"]["assignedTo"]["id"]
        .clone()
}

/// The ids of the cases `reader` lists with `filter`.
async fn listed(app: &TestApp, reader: &User, filter: Value) -> Vec<String> {
    let data = app
        .data_as(
            &reader.access_token,
            "query($filter: CaseFilterInput) { referralCases(first: 50, filter: $filter, orderBy: RESPONSE_DUE_ASC) { edges { node { id } } } }",
            json!({ "filter": filter }),
        )
        .await;
    nodes(&data["referralCases"])
        .iter()
        .map(|node| node["id"].as_str().expect("id").to_owned())
        .collect()
}

fn id_of(user: &User) -> Value {
    json!(user.account.id.to_string())
}

#[tokio::test]
async fn each_party_assigns_its_own_side_managers_anyone_partners_themselves() {
    use entity::enums::Role;

    let app = spawn_app().await;
    let w = world(&app).await;
    let colleague = app.user(Role::Partner, Some(w.a.id)).await;
    let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
    let (other, _) = open_case(&app, &w.a.partner, "HIGH").await;
    act(&app, &w.a.partner, &send(w.b.id), &id).await;
    act(&app, &w.a.partner, &send(w.b.id), &other).await;

    // A's manager assigns A's partner; B's side stays unassigned.
    let answer = assign(&app, &w.a.manager, &id, Some(&w.a.partner)).await;
    assert_eq!(
        answer["data"]["assignReferralCase"]["assignedTo"]["id"],
        id_of(&w.a.partner),
        "{answer:#}"
    );
    assert_eq!(assignee(&app, &colleague, &id).await, id_of(&w.a.partner));
    assert_eq!(assignee(&app, &w.b.partner, &id).await, Value::Null);

    // A partner assigns only themself, and unassigns only themself.
    let answer = assign(&app, &w.a.partner, &id, Some(&colleague)).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    let answer = assign(&app, &colleague, &id, None).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    let answer = assign(&app, &colleague, &id, Some(&colleague)).await;
    assert!(answer.get("errors").is_none(), "taking it: {answer:#}");
    let answer = assign(&app, &colleague, &id, None).await;
    assert!(answer.get("errors").is_none(), "giving it back: {answer:#}");
    assert_eq!(assignee(&app, &w.a.partner, &id).await, Value::Null);

    // Only active members of the caller's own organisation.
    let answer = assign(&app, &w.a.manager, &id, Some(&w.b.partner)).await;
    assert_eq!(error_fields(&answer), ["accountId"], "{answer:#}");
    let anonymous = app
        .graphql(ASSIGN, json!({ "id": id, "account": null }))
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for (who, user, code) in [
        ("third organisation", &w.c.manager, "NOT_FOUND"),
        ("staff", &w.staff, "FORBIDDEN"),
        ("admin", &w.admin, "FORBIDDEN"),
    ] {
        let answer = assign(&app, user, &id, Some(user)).await;
        assert_eq!(error_codes(&answer), [code], "{who}: {answer:#}");
    }
    assert_eq!(
        app.data_as(
            &w.staff.access_token,
            "query($id: ID!) { referralCase(id: $id) { assignedTo { id } } }",
            json!({ "id": id }),
        )
        .await["referralCase"]["assignedTo"],
        Value::Null
    );

    // Each side its own queue.
    assign(&app, &w.a.manager, &id, Some(&w.a.partner)).await;
    let taken = assign(&app, &w.b.partner, &other, Some(&w.b.partner)).await;
    assert!(taken.get("errors").is_none(), "{taken:#}");
    assert_eq!(
        listed(&app, &w.a.partner, json!({ "assignedToMe": true })).await,
        [id.as_str()]
    );
    assert_eq!(
        listed(&app, &w.a.manager, json!({ "unassigned": true })).await,
        [other.as_str()]
    );
    assert_eq!(
        listed(&app, &w.b.partner, json!({ "assignedToMe": true })).await,
        [other.as_str()]
    );
    assert_eq!(
        listed(&app, &w.b.manager, json!({ "unassigned": true })).await,
        [id.as_str()]
    );
    assert_eq!(
        listed(
            &app,
            &w.b.manager,
            json!({ "unassigned": false, "assignedToMe": false })
        )
        .await,
        [other.as_str()]
    );
    let office = app
        .graphql_as(
            &w.staff.access_token,
            "{ referralCases(filter: { unassigned: true }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&office), ["BAD_USER_INPUT"], "{office:#}");

    // B refers the case on to C: B's assignee goes with B's part in it; A's stays.
    act(
        &app,
        &w.b.partner,
        "acceptReferralCase(id: $id) { status }",
        &other,
    )
    .await;
    let onward = act(
        &app,
        &w.b.partner,
        &format!(
            r#"referCaseOnward(id: $id, receivingOrganisationId: "{}") {{ status }}"#,
            w.c.id
        ),
        &other,
    )
    .await;
    assert_eq!(status(&onward), "REFERRED", "{onward:#}");
    assert!(
        listed(&app, &w.b.partner, json!({ "assignedToMe": true }))
            .await
            .is_empty()
    );
    let rows = entity::case_assignment::Entity::find()
        .all(&app.db)
        .await
        .expect("assignments");
    assert!(
        rows.iter()
            .all(|row| row.organisation_id != w.b.id || row.case_id.to_string() == id)
    );

    let audited = app
        .audit_of(id.parse().expect("an id"))
        .await
        .into_iter()
        .filter(|entry| entry.action == "case.assign")
        .count();
    assert_eq!(audited, 4, "assigned, taken, given back, assigned");
}

#[tokio::test]
async fn a_queue_with_its_assignees_costs_the_same_for_one_case_or_many() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for _ in 0..4 {
        let (id, _) = open_case(&app, &w.a.partner, "MEDIUM").await;
        act(&app, &w.a.partner, &send(w.b.id), &id).await;
        let answer = assign(&app, &w.a.manager, &id, Some(&w.a.partner)).await;
        assert!(answer.get("errors").is_none(), "{answer:#}");
    }
    let query = "query($first: Int) { referralCases(first: $first, filter: { assignedToMe: true }) { edges { node { code assignedTo { id displayName } } } } }";
    let partner = id_of(&w.a.partner);
    let statements = |first: i64| {
        let app = &app;
        let token = w.a.partner.access_token.clone();
        let partner = partner.clone();
        async move {
            // The fewest of three runs: a loaded scheduler can split a batch, a loop over the
            // cases would cost more per case in every run.
            let mut fewest = u64::MAX;
            for _ in 0..3 {
                let before = app.statements.get();
                let data = app.data_as(&token, query, json!({ "first": first })).await;
                let cases = nodes(&data["referralCases"]);
                assert_eq!(cases.len() as i64, first);
                assert!(
                    cases.iter().all(|case| case["assignedTo"]["id"] == partner),
                    "{data:#}"
                );
                fewest = fewest.min(app.statements.get() - before);
            }
            fewest
        }
    };
    let one = statements(1).await;
    let four = statements(4).await;
    assert_eq!(one, four, "the assignees load in one batch");
}
