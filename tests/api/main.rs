//! The integration tests: one binary whose modules mirror the API. Each test starts the real
//! server (built by `startup`, as `main` builds it) on its own fresh database, SQLite by default
//! or PostgreSQL when `TEST_DATABASE_URL` is set.

mod accounts;
mod audit;
mod auth;
mod cases;
mod casework;
mod centres;
mod cli;
mod configuration;
mod demo;
mod erasure;
mod events;
mod exports;
mod faults;
mod field_rules;
mod helpers;
mod http;
mod idempotency;
mod jobs;
mod layering;
mod limits;
mod logs;
mod mail;
mod matrix;
mod metrics;
mod migrations;
mod notifications;
mod organisations;
mod pagination;
mod persisted_queries;
mod processes;
mod production;
mod projects;
mod rate_limits;
mod readme;
mod reports;
mod schema;
mod server;
mod spec;
mod statements;
mod statistics;
mod statistics_audit;
mod subscriptions;
mod two_factor;
