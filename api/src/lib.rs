//! The partner portal's GraphQL server.
//!
//! A request flows `http` (handlers; `startup` builds the server) → `graphql` (types and
//! resolvers) → `services` (rules and the database), with `policy` deciding what the request's
//! `auth::Actor` may see. See `docs/ARCHITECTURE.md`.

pub mod auth;
pub mod cli;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod policy;
pub mod rate_limit;
pub mod services;
pub mod startup;
pub mod telemetry;
