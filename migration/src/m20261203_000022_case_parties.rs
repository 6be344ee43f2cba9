//! The organisations party to each referral case, one row per organisation and case: the
//! referrer, the current receiver, and every organisation that received the case before an
//! onward referral. They are the organisations that may read the case (`policy::visible_cases`),
//! in one indexed place, with the case's opening time: a partner's page of incoming or outgoing
//! cases is read in index order, 21 rows however many cases the organisation has, and its count
//! from the index alone. Before, the page gathered every case of the organisation from three
//! lookups (the two party columns and the transitions) and sorted them all.
//!
//! Triggers, not the services, keep the rows, as they keep the statistics' versions: no write
//! path (a service, the demo loader, an import, an operator's SQL) can forget them. A new case
//! or transition adds its parties; a change of a case's parties, or of a transition's receiver
//! or case, and a deleted transition settle the case's rows anew from the case and its history,
//! so the table is always exactly the rule. A deleted case takes its rows with it (the foreign
//! key cascades).
//!
//! A later migration that rebuilds `referral_case` or `referral_transition` on SQLite (create,
//! copy, drop, rename) drops their triggers with them and must create them again.

use sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The parties of the case whose id is `case` (an SQL expression), each once: the organisation,
/// whether it refers the case, and the case's opening time.
fn parties_of(case: &str) -> String {
    format!(
        "SELECT c.referring_organisation_id AS organisation_id, c.id AS case_id, \
                c.referring_organisation_id AS referrer, c.created_at AS case_created_at \
           FROM referral_case c WHERE c.id = {case} \
         UNION \
         SELECT c.receiving_organisation_id, c.id, c.referring_organisation_id, c.created_at \
           FROM referral_case c \
          WHERE c.id = {case} AND c.receiving_organisation_id IS NOT NULL \
         UNION \
         SELECT t.receiving_organisation_id, c.id, c.referring_organisation_id, c.created_at \
           FROM referral_transition t JOIN referral_case c ON c.id = t.case_id \
          WHERE t.case_id = {case} AND t.receiving_organisation_id IS NOT NULL"
    )
}

/// Replaces the rows of the case `case` with its parties now.
fn settle(case: &str) -> String {
    format!(
        "DELETE FROM case_party WHERE case_id = {case}; \
         INSERT INTO case_party (organisation_id, case_id, refers, case_created_at) \
         SELECT organisation_id, case_id, organisation_id = referrer, case_created_at \
           FROM ({parties}) parties;",
        parties = parties_of(case)
    )
}

/// Adds `organisation` (an SQL expression) as a party of the case `case`, unless it is one.
fn add_party(organisation: &str, case: &str, postgres: bool) -> String {
    let (insert, conflict) = if postgres {
        ("INSERT INTO", " ON CONFLICT DO NOTHING")
    } else {
        ("INSERT OR IGNORE INTO", "")
    };
    format!(
        "{insert} case_party (organisation_id, case_id, refers, case_created_at) \
         SELECT {organisation}, c.id, {organisation} = c.referring_organisation_id, c.created_at \
           FROM referral_case c WHERE c.id = {case} AND {organisation} IS NOT NULL{conflict};"
    )
}

/// Whether an update of a case changed who its parties are.
const CASE_PARTIES_CHANGED: &str = "OLD.referring_organisation_id <> NEW.referring_organisation_id \
     OR OLD.receiving_organisation_id IS DISTINCT FROM NEW.receiving_organisation_id \
     OR OLD.created_at <> NEW.created_at OR OLD.id <> NEW.id";

/// Whether an update of a transition changed the party it names.
const TRANSITION_PARTY_CHANGED: &str = "OLD.case_id <> NEW.case_id \
     OR OLD.receiving_organisation_id IS DISTINCT FROM NEW.receiving_organisation_id";

/// SQLite's triggers: (name, event, condition, body).
fn sqlite_triggers() -> Vec<(&'static str, &'static str, Option<String>, String)> {
    let distinct = |condition: &str| condition.replace("IS DISTINCT FROM", "IS NOT");
    vec![
        (
            "trg_referral_case_parties_insert",
            "AFTER INSERT ON referral_case",
            None,
            format!(
                "{}{}",
                add_party("NEW.referring_organisation_id", "NEW.id", false),
                add_party("NEW.receiving_organisation_id", "NEW.id", false)
            ),
        ),
        (
            "trg_referral_case_parties_update",
            "AFTER UPDATE OF referring_organisation_id, receiving_organisation_id, created_at, id \
             ON referral_case",
            Some(distinct(CASE_PARTIES_CHANGED)),
            format!("{}{}", settle("OLD.id"), settle("NEW.id")),
        ),
        (
            "trg_referral_transition_parties_insert",
            "AFTER INSERT ON referral_transition",
            None,
            add_party("NEW.receiving_organisation_id", "NEW.case_id", false),
        ),
        (
            "trg_referral_transition_parties_update",
            "AFTER UPDATE OF case_id, receiving_organisation_id ON referral_transition",
            Some(distinct(TRANSITION_PARTY_CHANGED)),
            format!("{}{}", settle("OLD.case_id"), settle("NEW.case_id")),
        ),
        (
            "trg_referral_transition_parties_delete",
            "AFTER DELETE ON referral_transition",
            None,
            settle("OLD.case_id"),
        ),
    ]
}

/// PostgreSQL's trigger functions and triggers.
fn postgres_statements() -> Vec<String> {
    vec![
        format!(
            "CREATE FUNCTION case_party_settle(settled uuid) RETURNS void LANGUAGE sql AS $$ {} $$",
            settle("settled")
        ),
        format!(
            "CREATE FUNCTION case_party_on_case() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF TG_OP = 'INSERT' THEN \
                 {} {} \
               ELSE \
                 PERFORM case_party_settle(OLD.id); \
                 IF NEW.id <> OLD.id THEN PERFORM case_party_settle(NEW.id); END IF; \
               END IF; \
               RETURN NULL; \
             END $$",
            add_party("NEW.referring_organisation_id", "NEW.id", true),
            add_party("NEW.receiving_organisation_id", "NEW.id", true)
        ),
        format!(
            "CREATE FUNCTION case_party_on_transition() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF TG_OP = 'INSERT' THEN \
                 {} \
               ELSIF TG_OP = 'UPDATE' THEN \
                 PERFORM case_party_settle(OLD.case_id); \
                 IF NEW.case_id <> OLD.case_id THEN PERFORM case_party_settle(NEW.case_id); END IF; \
               ELSE \
                 PERFORM case_party_settle(OLD.case_id); \
               END IF; \
               RETURN NULL; \
             END $$",
            add_party("NEW.receiving_organisation_id", "NEW.case_id", true)
        ),
        "CREATE TRIGGER trg_referral_case_parties_insert AFTER INSERT ON referral_case \
         FOR EACH ROW EXECUTE FUNCTION case_party_on_case()"
            .to_owned(),
        format!(
            "CREATE TRIGGER trg_referral_case_parties_update \
             AFTER UPDATE OF referring_organisation_id, receiving_organisation_id, created_at, id \
             ON referral_case FOR EACH ROW WHEN ({CASE_PARTIES_CHANGED}) \
             EXECUTE FUNCTION case_party_on_case()"
        ),
        "CREATE TRIGGER trg_referral_transition_parties_insert AFTER INSERT ON referral_transition \
         FOR EACH ROW EXECUTE FUNCTION case_party_on_transition()"
            .to_owned(),
        format!(
            "CREATE TRIGGER trg_referral_transition_parties_update \
             AFTER UPDATE OF case_id, receiving_organisation_id ON referral_transition \
             FOR EACH ROW WHEN ({TRANSITION_PARTY_CHANGED}) \
             EXECUTE FUNCTION case_party_on_transition()"
        ),
        "CREATE TRIGGER trg_referral_transition_parties_delete AFTER DELETE ON referral_transition \
         FOR EACH ROW EXECUTE FUNCTION case_party_on_transition()"
            .to_owned(),
    ]
}

const TRIGGERS: [(&str, &str); 5] = [
    ("trg_referral_case_parties_insert", "referral_case"),
    ("trg_referral_case_parties_update", "referral_case"),
    (
        "trg_referral_transition_parties_insert",
        "referral_transition",
    ),
    (
        "trg_referral_transition_parties_update",
        "referral_transition",
    ),
    (
        "trg_referral_transition_parties_delete",
        "referral_transition",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseParty::Table)
                    .col(uuid(CaseParty::OrganisationId))
                    .col(uuid(CaseParty::CaseId))
                    .col(boolean(CaseParty::Refers))
                    .col(timestamp_with_time_zone(CaseParty::CaseCreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CaseParty::OrganisationId)
                            .col(CaseParty::CaseId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_party_case_id")
                            .from(CaseParty::Table, CaseParty::CaseId)
                            .to(ReferralCase::Table, ReferralCase::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_party_organisation_id")
                            .from(CaseParty::Table, CaseParty::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // A page of incoming or outgoing cases, newest or oldest first.
        create_index(
            manager,
            "idx_case_party_organisation_id_refers_case_created_at_case_id",
            CaseParty::Table,
            [
                CaseParty::OrganisationId,
                CaseParty::Refers,
                CaseParty::CaseCreatedAt,
                CaseParty::CaseId,
            ],
        )
        .await?;
        // A page of all the organisation's cases.
        create_index(
            manager,
            "idx_case_party_organisation_id_case_created_at_case_id",
            CaseParty::Table,
            [
                CaseParty::OrganisationId,
                CaseParty::CaseCreatedAt,
                CaseParty::CaseId,
            ],
        )
        .await?;
        // Settling a case's rows, and the cascade of a deleted case.
        create_index(
            manager,
            "idx_case_party_case_id",
            CaseParty::Table,
            [CaseParty::CaseId],
        )
        .await?;

        let connection = manager.get_connection();
        connection
            .execute_unprepared(&format!(
                "INSERT INTO case_party (organisation_id, case_id, refers, case_created_at) \
                 SELECT organisation_id, case_id, organisation_id = referrer, case_created_at \
                   FROM ({}) parties",
                // Every case at once: each case is its own `c.id`.
                parties_of("c.id")
            ))
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for statement in postgres_statements() {
                    connection.execute_unprepared(&statement).await?;
                }
                // The planner's estimates of the new rows, before the first page is read
                // (otherwise it guesses the count of an organisation's rows from nothing).
                connection.execute_unprepared("ANALYZE case_party").await?;
            }
            _ => {
                for (name, event, condition, body) in sqlite_triggers() {
                    let when = condition.map_or(String::new(), |c| format!(" WHEN {c}"));
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER {name} {event} FOR EACH ROW{when} BEGIN {body} END"
                        ))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, table) in TRIGGERS {
            let on = if postgres {
                format!(" ON {table}")
            } else {
                String::new()
            };
            connection
                .execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}{on}"))
                .await?;
        }
        if postgres {
            for function in [
                "case_party_on_case()",
                "case_party_on_transition()",
                "case_party_settle(uuid)",
            ] {
                connection
                    .execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(CaseParty::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CaseParty {
    Table,
    OrganisationId,
    CaseId,
    Refers,
    CaseCreatedAt,
}

#[derive(DeriveIden)]
enum ReferralCase {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}
