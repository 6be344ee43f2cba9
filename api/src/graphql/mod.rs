//! The GraphQL schema: one module per domain (types, inputs, resolvers that call services),
//! merged here, with the limits and the error-masking extension.

pub mod accounts;
pub mod auth;
pub mod cases;
pub mod centres;
pub mod common;
pub mod enums;
pub mod errors;
pub mod events;
pub mod guard;
pub mod loaders;
pub mod organisations;
pub mod projects;
pub mod reports;
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
    cases::CaseQuery,
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
    cases::CaseMutation,
);

/// The portal's schema.
pub type PortalSchema = Schema<Query, Mutation, Subscription>;

/// Deepest selection accepted. The portal's own clients need 6 (projects → edges → node →
/// events → edges → node → organiser → name is 8 with the connection wrappers).
pub const MAX_DEPTH: usize = 12;

/// The most expensive query accepted, counting each field 1 and each connection `first ×` its
/// node (see [`common::connection_complexity`]). 50 projects with partners and their first 20
/// events cost about 6,500; 100 projects with 100 events each are refused.
pub const MAX_COMPLEXITY: usize = 25_000;

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
        .extension(errors::ErrorMasking)
        .extension(guard::RestrictionGate);
    match exposure {
        Exposure::Development => builder,
        Exposure::Production => builder.disable_introspection().disable_suggestions(),
    }
}

/// The schema served by the HTTP layer.
pub fn build(services: Services, exposure: Exposure) -> PortalSchema {
    builder(exposure).data(services).finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(Exposure::Development).finish().sdl()
}
