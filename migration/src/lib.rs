//! Database migrations of the partner portal.
//!
//! Each migration is frozen history: it never imports the `entity` crate and keeps its own copy
//! of every code list it restricts with a CHECK constraint. A change to the schema is a new
//! migration, never an edit of an applied one.
//!
//! Names: `fk_<table>_<column>` for foreign keys, `uq_<table>_<columns>` for unique constraints,
//! `ck_<table>_<rule>` for checks and `idx_<table>_<columns>` for indexes.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261122_000001_organisations_accounts;
mod m20261122_000002_projects_events;
mod m20261122_000003_centres;
mod m20261122_000004_referrals;
mod m20261122_000005_audit;
mod m20261123_000006_account_totp_step;
mod m20261123_000007_referral_transition_receiver_index;
mod m20261202_000008_persisted_queries;
mod m20261202_000009_idempotency_keys;
mod m20261202_000010_search_text_split;
mod m20261202_000012_case_keys;
mod m20261202_000013_notifications;
mod m20261202_000014_mail_outbox;
mod m20261202_000015_case_notes_assignment;
mod m20261202_000016_scheduled_jobs;
mod m20261202_000017_report_revisions;
mod m20261202_000018_recovery_codes;
mod m20261202_000019_account_links;
mod m20261203_000020_results;
mod m20261203_000021_statistics_versions;
mod m20261203_000022_case_parties;

/// All migrations, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_organisations_accounts::Migration),
            Box::new(m20261122_000002_projects_events::Migration),
            Box::new(m20261122_000003_centres::Migration),
            Box::new(m20261122_000004_referrals::Migration),
            Box::new(m20261122_000005_audit::Migration),
            Box::new(m20261123_000006_account_totp_step::Migration),
            Box::new(m20261123_000007_referral_transition_receiver_index::Migration),
            Box::new(m20261202_000008_persisted_queries::Migration),
            Box::new(m20261202_000009_idempotency_keys::Migration),
            Box::new(m20261202_000010_search_text_split::Migration),
            Box::new(m20261202_000012_case_keys::Migration),
            Box::new(m20261202_000013_notifications::Migration),
            Box::new(m20261202_000014_mail_outbox::Migration),
            Box::new(m20261202_000015_case_notes_assignment::Migration),
            Box::new(m20261202_000016_scheduled_jobs::Migration),
            Box::new(m20261202_000017_report_revisions::Migration),
            Box::new(m20261202_000018_recovery_codes::Migration),
            Box::new(m20261202_000019_account_links::Migration),
            Box::new(m20261203_000020_results::Migration),
            Box::new(m20261203_000021_statistics_versions::Migration),
            Box::new(m20261203_000022_case_parties::Migration),
        ]
    }
}
