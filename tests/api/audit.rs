//! The audit log: admins read it, with filters and keyset pages; nobody else does.

use chrono::{Duration, Utc};
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{error_codes, error_fields, fixtures, nodes, spawn_app};

const LOG: &str = r"
query($first: Int, $after: String, $filter: AuditFilterInput) {
  auditLog(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id action outcome actorAccountId actorOrganisationId actorRole entityType } }
    pageInfo { hasNextPage endCursor }
  }
}";

fn actions(data: &Value) -> Vec<String> {
    nodes(&data["auditLog"])
        .iter()
        .filter_map(|node| node["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn admins_read_the_audit_log_and_nobody_else_does() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "Bonuvoni Fardo").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let manager = app.user(Role::PartnerManager, Some(ngo.id)).await;
    let staff = app.user(Role::Staff, None).await;
    let admin = app.user(Role::Admin, None).await;

    let anonymous = app.graphql(LOG, json!({})).await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
    for user in [&partner, &manager, &staff] {
        let refused = app.graphql_as(&user.access_token, LOG, json!({})).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused:#}");
        assert!(refused["data"].is_null() || refused["data"]["auditLog"].is_null());
    }
    let data = app.data_as(&admin.access_token, LOG, json!({})).await;
    assert!(actions(&data).iter().any(|a| a == "auth.login"), "{data:#}");
}

#[tokio::test]
async fn every_read_of_the_audit_log_and_every_refused_attempt_is_itself_audited() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "Bonuvoni Fardo").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let admin = app.user(Role::Admin, None).await;

    let refused = app.graphql_as(&partner.access_token, LOG, json!({})).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
    let subject = partner.account.id.to_string();
    app.data_as(
        &admin.access_token,
        LOG,
        json!({ "filter": { "actorAccountId": subject, "action": "auth." } }),
    )
    .await;

    let reads = app
        .data_as(
            &admin.access_token,
            r#"query { auditLog(first: 10, filter: { action: "audit.read" }) {
                edges { node { outcome actorAccountId detail } } } }"#,
            json!({}),
        )
        .await;
    let entries: Vec<&Value> = nodes(&reads["auditLog"]);
    assert_eq!(entries.len(), 2, "{reads:#}");
    // Latest first: the admin's filtered read, then the partner's refused attempt.
    assert_eq!(entries[0]["outcome"], "SUCCESS");
    assert_eq!(entries[0]["actorAccountId"], admin.account.id.to_string());
    assert_eq!(
        entries[0]["detail"]["filters"],
        json!(["actorAccountId", "action"])
    );
    assert_eq!(entries[0]["detail"]["actorAccountId"], subject);
    assert!(
        entries[0]["detail"]["entries"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    );
    assert_eq!(entries[1]["outcome"], "DENIED");
    assert_eq!(entries[1]["actorAccountId"], subject);
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_organisation_action_outcome_and_time() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "Ghamkhori").await;
    let other = fixtures::organisation(&app.db, "Zan va Zamin").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let outsider = app.user(Role::Partner, Some(other.id)).await;
    let admin = app.user(Role::Admin, None).await;
    // Two failed sign-ins of the partner's account (audited as denied, on the account).
    for _ in 0..2 {
        app.login(&partner.account.email, "not the password", None)
            .await;
    }

    let by_actor = app
        .data_as(
            &admin.access_token,
            LOG,
            json!({ "filter": { "actorAccountId": partner.account.id.to_string() } }),
        )
        .await;
    let by_actor_nodes = nodes(&by_actor["auditLog"]);
    assert!(!by_actor_nodes.is_empty());
    assert!(
        by_actor_nodes
            .iter()
            .all(|n| n["actorAccountId"] == json!(partner.account.id.to_string())),
        "{by_actor:#}"
    );

    let by_organisation = app
        .data_as(
            &admin.access_token,
            LOG,
            json!({ "filter": { "organisationId": other.id.to_string() } }),
        )
        .await;
    let organisation_nodes = nodes(&by_organisation["auditLog"]);
    assert!(!organisation_nodes.is_empty());
    assert!(organisation_nodes.iter().all(|n| {
        n["actorOrganisationId"] == json!(other.id.to_string())
            && n["actorAccountId"] == json!(outsider.account.id.to_string())
    }));

    let failures = app
        .data_as(
            &admin.access_token,
            LOG,
            json!({ "filter": { "action": "auth.login_failed", "outcome": "DENIED" } }),
        )
        .await;
    assert_eq!(
        actions(&failures),
        ["auth.login_failed", "auth.login_failed"]
    );

    // A family of actions: `auth.` holds the logins and the failures, not other families.
    let family = app
        .data_as(
            &admin.access_token,
            LOG,
            json!({ "filter": { "action": "auth." } }),
        )
        .await;
    let family_actions = actions(&family);
    assert!(family_actions.iter().all(|a| a.starts_with("auth.")));
    assert!(family_actions.iter().any(|a| a == "auth.login"));
    assert!(family_actions.iter().any(|a| a == "auth.login_failed"));

    // Time: everything so far is before `now`; nothing is in the future.
    let now = Utc::now() + Duration::seconds(1);
    let before = app
        .data_as(
            &admin.access_token,
            LOG,
            json!({ "filter": { "until": now.to_rfc3339() } }),
        )
        .await;
    assert!(!nodes(&before["auditLog"]).is_empty());
    let after = app
        .data_as(
            &admin.access_token,
            LOG,
            json!({ "filter": { "from": now.to_rfc3339() } }),
        )
        .await;
    assert!(nodes(&after["auditLog"]).is_empty(), "{after:#}");
}

#[tokio::test]
async fn the_audit_log_pages_on_a_keyset_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let ngo = fixtures::organisation(&app.db, "Madina").await;
    let partner = app.user(Role::Partner, Some(ngo.id)).await;
    let admin = app.user(Role::Admin, None).await;
    for _ in 0..4 {
        app.login(&partner.account.email, "wrong again", None).await;
    }
    let everything = app
        .data_as(
            &admin.access_token,
            LOG,
            json!({ "first": 100, "filter": { "action": "auth." } }),
        )
        .await;
    let all_ids: Vec<Value> = nodes(&everything["auditLog"])
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    assert!(all_ids.len() >= 6, "{everything:#}");

    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .data_as(
                &admin.access_token,
                LOG,
                json!({ "first": 2, "after": after, "filter": { "action": "auth." } }),
            )
            .await;
        paged.extend(nodes(&page["auditLog"]).iter().map(|n| n["id"].clone()));
        if page["auditLog"]["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = page["auditLog"]["pageInfo"]["endCursor"].clone();
    }
    // The pages' own reads are audited as `audit.read`, outside the filter, so the two agree.
    assert_eq!(paged, all_ids);
}

#[tokio::test]
async fn bad_audit_log_filters_name_the_field() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin, None).await;
    let cases = [
        (json!({ "action": " " }), "filter.action"),
        (json!({ "actorAccountId": "nope" }), "filter.actorAccountId"),
        (json!({ "organisationId": "12" }), "filter.organisationId"),
        (json!({ "entityId": "x" }), "filter.entityId"),
        (
            json!({ "from": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z" }),
            "filter.from",
        ),
    ];
    for (filter, field) in cases {
        let response = app
            .graphql_as(&admin.access_token, LOG, json!({ "filter": filter }))
            .await;
        assert_eq!(error_codes(&response), ["BAD_USER_INPUT"], "{response:#}");
        assert_eq!(error_fields(&response), [field], "{response:#}");
    }
}

#[tokio::test]
async fn the_audit_log_pages_backward_as_it_pages_forward() {
    let app = spawn_app().await;
    let admin = app.user(Role::Admin, None).await;
    // Sign-ins, failed and not, each write an entry.
    let partner = app.user(Role::Staff, None).await;
    for _ in 0..4 {
        app.login(&partner.account.email, "not the password", None)
            .await;
    }
    crate::helpers::paging::Listing {
        token: Some(&admin.access_token),
        // The listing's own reads are audited (`audit.read`): keep them out of the pages.
        template: r#"auditLog(PAGE, filter: { action: "auth." }) SELECTION"#,
        path: &["auditLog"],
    }
    .assert_pages_both_ways(&app, 2)
    .await;
}
