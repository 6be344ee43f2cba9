//! The schema's one extension, which carries four concerns, each decided in its own module:
//!
//! - [`cost`](super::cost): charge the operation to the rate-limit budgets, 1 on arrival and
//!   the rest of its complexity once it is validated;
//! - [`limits`](super::limits): the document's length before it is parsed, its shape after;
//! - [`errors`](super::errors): every error's final code, and nothing internal shown;
//! - [`guard`](super::guard): a restricted account held to the root fields that lift it.
//!
//! They are one extension, not four, because async-graphql sends every field of every
//! response through the `resolve` hook of each extension, a boxed future per extension per
//! field: four extensions made four per field (about 7,500 fields for 50 projects with their
//! partners and 20 events each), though only the guard has anything to do there.

use std::sync::Arc;

use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
        NextPrepareRequest, NextRequest, NextResolve, NextSubscribe, NextValidation, ResolveInfo,
    },
    parser::types::ExecutableDocument,
};
use futures_util::{StreamExt, stream::BoxStream};

use super::{cost, errors, guard, limits};

/// Factory of [`PortalExtension`].
pub struct Portal;

impl ExtensionFactory for Portal {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PortalExtension)
    }
}

/// See the module documentation.
pub struct PortalExtension;

#[async_trait::async_trait]
impl Extension for PortalExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        errors::on_answered(ctx, &mut response);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        // A WebSocket operation's responses pass no `request` hook.
        next.run(ctx, stream).map(errors::for_stream(ctx)).boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Charged first: a refused document costs its sender too.
        cost::on_arrival(ctx, &request)?;
        limits::check_length(&request.query)?;
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        limits::check_parsed(&document, variables)?;
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        cost::on_validated(ctx, &result)?;
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        errors::on_executed(ctx, &mut response);
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        guard::check(ctx, &info)?;
        next.run(ctx, info).await
    }
}
