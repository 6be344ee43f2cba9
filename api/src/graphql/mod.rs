//! The GraphQL schema: one module per domain (types, inputs, resolvers that call services),
//! merged here, with the limits and the schema's extension.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod centres;
pub mod common;
pub mod cost;
pub mod enums;
pub mod errors;
pub mod events;
pub mod extension;
pub mod guard;
pub mod limits;
pub mod loaders;
pub mod notifications;
mod nulls;
pub mod organisations;
pub mod persisted_queries;
pub mod plan;
pub mod projects;
pub mod reports;
pub mod results;
pub mod statistics;
pub mod subscriptions;

use async_graphql::{MergedObject, Schema, SchemaBuilder};

use crate::services::Services;
use subscriptions::Subscription;

/// Every root query field.
#[derive(MergedObject, Default)]
pub struct Query(
    organisations::OrganisationQuery,
    projects::ProjectQuery,
    events::EventQuery,
    centres::CentreQuery,
    accounts::AccountQuery,
    reports::ReportQuery,
    results::ResultsQuery,
    cases::CaseQuery,
    statistics::StatisticsQuery,
    audit::AuditQuery,
    notifications::NotificationQuery,
);

/// Every root mutation field.
#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    accounts::AccountMutation,
    organisations::OrganisationMutation,
    projects::ProjectMutation,
    events::EventMutation,
    centres::CentreMutation,
    reports::ReportMutation,
    results::ResultsMutation,
    cases::CaseMutation,
    notifications::NotificationMutation,
);

/// The portal's schema.
pub type PortalSchema = Schema<Query, Mutation, Subscription>;

/// Deepest selection accepted. The portal's own queries need 8 (projects → edges → node →
/// events → edges → node → organiser → name); GraphiQL's introspection query needs 14, since
/// its type references nest that deep. Complexity bounds the cost either way.
pub const MAX_DEPTH: usize = 15;

/// The most expensive query accepted, counting each field 1 and each connection `first ×` (or
/// `last ×`) its node (see [`common::connection_complexity`]). 50 projects with partners and their first 20
/// events cost about 6,500; 100 projects with 100 events each are refused.
pub const MAX_COMPLEXITY: usize = 25_000;

/// The deepest nesting of selection sets the parser's checks accept, counting fragments and
/// inline fragments as a level each (async-graphql's default is 32). Checked before the
/// document is validated, so that a cycle of fragments or a deeply nested text is refused
/// cheaply; [`MAX_DEPTH`] is the limit clients meet first.
pub const MAX_RECURSIVE_DEPTH: usize = 24;

pub use limits::{MAX_ALIASES, MAX_DIRECTIVES, MAX_DOCUMENT_CHARS, MAX_NESTING, MAX_SELECTIONS};

/// Whether the schema is built for development (introspection on) or production (off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposure {
    Development,
    Production,
}

fn builder(exposure: Exposure) -> SchemaBuilder<Query, Mutation, Subscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
        .limit_directives(MAX_DIRECTIVES)
        .extension(extension::Portal);
    match exposure {
        Exposure::Development => builder,
        Exposure::Production => builder.disable_introspection().disable_suggestions(),
    }
}

/// The schema served by the HTTP layer.
pub fn build(services: Services, exposure: Exposure) -> PortalSchema {
    builder(exposure).data(services).data(exposure).finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(Exposure::Development).finish().sdl()
}
