//! The schema's one extension, which carries five concerns, each decided in its own module:
//!
//! - [`cost`](super::cost): charge the operation to the rate-limit budgets, 1 on arrival and
//!   the rest of its complexity once it is validated;
//! - [`limits`](super::limits): the document's length before it is parsed, its shape after;
//! - [`errors`](super::errors): every error's final code, and nothing internal shown;
//! - [`guard`](super::guard): a restricted account held to the root fields that lift it;
//! - [`persisted_queries`](super::persisted_queries): a persisted query of a request that did
//!   not come through `POST /graphql` (a subscription), and the store of a new document once
//!   it has validated.
//!
//! It also keeps the request's query text for [`nulls`](super::nulls), which puts a failed
//! field's `null` where the specification says once the operation has run.
//!
//! They are one extension, not five, because async-graphql sends every field of every
//! response through the `resolve` hook of each extension, a boxed future per extension per
//! field: four extensions made four per field (about 7,500 fields for 50 projects with their
//! partners and 20 events each), though only the guard has anything to do there.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
        NextPrepareRequest, NextRequest, NextResolve, NextSubscribe, NextValidation, ResolveInfo,
    },
    parser::types::ExecutableDocument,
};
use futures_util::{StreamExt, stream::BoxStream};

use super::{Exposure, cost, errors, guard, limits, nulls, persisted_queries};

/// Whether the schema serves production (no introspection, nothing about the schema in
/// messages); the exported SDL's schema has no exposure and counts as development.
fn exposure(ctx: &ExtensionContext<'_>) -> Exposure {
    ctx.data_opt::<Exposure>()
        .copied()
        .unwrap_or(Exposure::Development)
}

/// Factory of [`PortalExtension`].
pub struct Portal;

impl ExtensionFactory for Portal {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PortalExtension::default())
    }
}

/// See the module documentation. One per request.
#[derive(Default)]
pub struct PortalExtension {
    /// The request's query text, kept from parsing for [`nulls::propagate`], which parses it
    /// again only when a field failed (a copy of the text costs less than one of the parsed
    /// document on every request).
    query: Mutex<Option<String>>,
    /// The errors of the fields that failed while the operation was executed, answered `null`
    /// in their objects meanwhile (see [`PortalExtension::resolve`]); `None` outside an
    /// execution (a subscription's events keep async-graphql's own handling).
    failed: Mutex<Option<Vec<ServerError>>>,
}

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
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Charged first: a refused document costs its sender too.
        cost::on_arrival(ctx, &request)?;
        persisted_queries::on_arrival(ctx, &mut request).await?;
        limits::check_length(&request.query)?;
        limits::check_nesting(&request.query)?;
        limits::check_value_nesting(request.variables.values(), "The variables nest")?;
        limits::check_value_nesting(request.extensions.values(), "The extensions nest")?;
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
        limits::check_parsed(&document, variables, exposure(ctx))?;
        if let Ok(mut kept) = self.query.lock() {
            *kept = Some(query.to_owned());
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next
            .run(ctx)
            .await
            .map_err(|refusals| errors::on_invalid(exposure(ctx), refusals))?;
        cost::on_validated(ctx, &result)?;
        persisted_queries::on_validated(ctx).await;
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if ctx
            .data_opt::<persisted_queries::ValidationOnly>()
            .is_some()
        {
            return Response::new(Value::Null);
        }
        if let Ok(mut failed) = self.failed.lock() {
            *failed = Some(Vec::new());
        }
        let mut response = next.run(ctx, operation_name).await;
        if let Ok(mut failed) = self.failed.lock() {
            response.errors.extend(failed.take().unwrap_or_default());
        }
        if response.errors.iter().any(|error| !error.path.is_empty())
            && let Ok(query) = self.query.lock()
            && let Some(Ok(document)) = query.as_deref().map(async_graphql::parser::parse_query)
        {
            nulls::propagate(
                &ctx.schema_env.registry,
                &document,
                operation_name,
                &mut response,
            );
        }
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
        let error = match next.run(ctx, info).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        // async-graphql leaves a failed field out of its object, and answers an object all of
        // whose fields failed with `null`. A response key selected twice (legal: the
        // selections merge) is merged into the first answer, and nothing merges into a
        // `null`: `edges { node { budget } } edges { node { partners } }` lost the partners
        // of every project whose budget the reader may not see. So a failed field is `null`
        // in its object, which therefore never empties, and its error is answered with the
        // others once the operation has run; `nulls::propagate` then puts the `null` where
        // the specification says.
        match self.failed.lock() {
            Ok(mut failed) if failed.is_some() => {
                failed.get_or_insert_with(Vec::new).push(error);
                Ok(Some(Value::Null))
            }
            _ => Err(error),
        }
    }
}
