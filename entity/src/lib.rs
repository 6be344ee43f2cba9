//! SeaORM entities of the partner portal: one module per table, the shared enums in [`enums`]
//! and the per-language text type in [`localized`].
//!
//! This crate holds database shapes only. The API crate has its own GraphQL types built from
//! these models, so a new column is never exposed by accident.

pub mod account;
pub mod account_token;
pub mod audit_entry;
pub mod case_assignment;
pub mod case_code_counter;
pub mod case_note;
pub mod case_party;
pub mod centre_report;
pub mod centre_report_approval;
pub mod centre_report_line;
pub mod centre_report_revision;
pub mod centre_report_revision_line;
pub mod centre_service;
pub mod centre_service_past;
pub mod enums;
pub mod event;
pub mod idempotency_key;
pub mod indicator;
pub mod indicator_period;
pub mod indicator_period_approval;
pub mod indicator_period_revision;
pub mod job_mark;
pub mod localized;
pub mod mail_outbox;
pub mod notification;
pub mod organisation;
pub mod password_reset_request;
pub mod persisted_query;
pub mod project;
pub mod project_partner;
pub mod project_region;
pub mod project_thematic_area;
pub mod recovery_code;
pub mod referral_case;
pub mod referral_transition;
pub mod resource_centre;
pub mod scheduled_job;
pub mod session;
pub mod statistics_version;

pub use localized::Localized;
