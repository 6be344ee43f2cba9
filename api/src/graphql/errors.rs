//! The last line of defence for error messages: any error that leaves a resolver without an
//! `extensions.code` is an unforeseen one, so its text (which may come from a library or the
//! database) is replaced and it becomes `INTERNAL`. Errors of the query document itself (parse
//! and validation, and arguments of the wrong type) are the client's and become
//! `BAD_USER_INPUT` with their message kept. Every
//! `INTERNAL` error carries the request id that the server's log line carries. Every error
//! answered is counted by its code for `/metrics`.

use async_graphql::{Response, ServerError, extensions::ExtensionContext};

use super::{Exposure, common::RequestContext};
use crate::{
    error::{INTERNAL_MESSAGE, code},
    metrics::Metrics,
};

/// The `extensions.code` of an error, if it has one.
pub fn code_of(error: &ServerError) -> Option<String> {
    error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"))
        .map(|code| match code {
            async_graphql::Value::String(code) => code.clone(),
            other => other.to_string(),
        })
}

fn request_id(ctx: &ExtensionContext<'_>) -> String {
    ctx.data_opt::<RequestContext>()
        .map(|request| request.caller.request_id.clone())
        .unwrap_or_default()
}

/// async-graphql's own messages for input values it could not read (`InputValueError`), and
/// for a variable the operation declares and uses but the request does not send (which its
/// validation lets through when the variable is used where its type does not fit).
fn is_input_coercion_error(error: &ServerError) -> bool {
    error.source.is_none()
        && (error.message.contains("Failed to parse \"")
            || error.message.contains("Expected input type \"")
            || (error.message.starts_with("Variable ")
                && error.message.ends_with(" is not defined.")))
}

/// async-graphql's refusal of a subscription sent over HTTP, where only WebSocket serves one.
const SUBSCRIPTION_OVER_HTTP: &str = "Subscriptions are not supported on this transport.";

/// Gives every error of an executed operation its final code: masks unforeseen ones as
/// `INTERNAL` with the request id, and marks the client's input mistakes `BAD_USER_INPUT`.
pub(super) fn on_executed(ctx: &ExtensionContext<'_>, response: &mut Response) {
    let production = ctx.data_opt::<Exposure>() == Some(&Exposure::Production);
    settle_executed(&request_id(ctx), production, response);
}

/// [`on_executed`]'s work; an error that has its code keeps it.
fn settle_executed(request_id: &str, production: bool, response: &mut Response) {
    for error in &mut response.errors {
        let code = code_of(error);
        let internal = match code.as_deref() {
            None if error.source.is_none() && error.message == SUBSCRIPTION_OVER_HTTP => {
                // The client's mistake of transport: say where subscriptions are served.
                error.message = "Subscriptions are served over WebSocket \
                                 (graphql-transport-ws) at /graphql/ws."
                    .to_owned();
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", code::BAD_USER_INPUT);
                false
            }
            None if is_input_coercion_error(error) => {
                // An argument or variable of the wrong type, reported by async-graphql
                // while it reads the arguments: the client's mistake, and its text names
                // only the client's own input, but for the names of the schema's input
                // types, which production does not give away.
                if production {
                    error.message = "An argument's value does not fit its type.".to_owned();
                }
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", code::BAD_USER_INPUT);
                false
            }
            None => {
                tracing::error!(
                    request_id,
                    error = error.message,
                    path = ?error.path,
                    "unexpected error in a resolver"
                );
                error.message = INTERNAL_MESSAGE.to_owned();
                true
            }
            Some(code) => code == code::INTERNAL,
        };
        if internal {
            let extensions = error.extensions.get_or_insert_with(Default::default);
            extensions.set("code", code::INTERNAL);
            extensions.set("requestId", request_id);
        }
    }
    report_once(&mut response.errors);
}

/// Keeps the first of errors that say the same thing about the same place in the document:
/// an argument refused inside a list of 20 projects is one mistake, not 20 (the `null`s it
/// caused are all in the data; the first error's path names one of them).
fn report_once(errors: &mut Vec<ServerError>) {
    let mut seen: Vec<(String, Option<String>, Vec<async_graphql::Pos>)> = Vec::new();
    errors.retain(|error| {
        if error.locations.is_empty() {
            return true;
        }
        let key = (
            error.message.clone(),
            code_of(error),
            error.locations.clone(),
        );
        let first = !seen.contains(&key);
        if first {
            seen.push(key);
        }
        first
    });
}

/// The validation errors of a document, as the client sees them. In production one error
/// with no location and no names: async-graphql's messages name the schema's fields and
/// types (`Unknown field "x" on type "Query"`, `Field "projects" of type
/// "ProjectConnection!" must have a selection of subfields`), and which of two guesses is
/// refused where tells a prober which exists, so every invalid document gets the same answer.
pub(super) fn on_invalid(exposure: Exposure, refusals: Vec<ServerError>) -> Vec<ServerError> {
    if exposure == Exposure::Development || refusals.iter().any(|error| code_of(error).is_some()) {
        return refusals;
    }
    let mut error = ServerError::new(
        "The document does not fit this API's schema (production servers do not say where; \
         check it against schema.graphql).",
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code::BAD_USER_INPUT);
    vec![error]
}

/// Gives the errors that no operation produced (parse, validation, limits) `BAD_USER_INPUT`,
/// then counts every error of the answer by its code.
pub(super) fn on_answered(ctx: &ExtensionContext<'_>, response: &mut Response) {
    for error in &mut response.errors {
        settle_unexecuted(error);
    }
    // Every error has its final code now: count them for `/metrics`. This hook does not see
    // a request's own data, so the HTTP handler counts the errors of its answers itself.
    count(ctx.data_opt::<Metrics>(), response);
}

/// `BAD_USER_INPUT` for an error that no operation produced, unless it has its code.
fn settle_unexecuted(error: &mut ServerError) {
    if code_of(error).is_none() {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code::BAD_USER_INPUT);
    }
}

fn count(metrics: Option<&Metrics>, response: &Response) {
    if let Some(metrics) = metrics {
        for error in &response.errors {
            metrics.graphql_error(code_of(error).as_deref().unwrap_or(code::INTERNAL));
        }
    }
}

/// [`on_answered`]'s work for each response of a WebSocket operation, which async-graphql
/// sends through no `request` hook (its parse and validation errors included). The errors of
/// a subscription's start pass no `execute` hook either: one with a path is a resolver's and
/// is settled as [`on_executed`] settles it (an unforeseen one masked); one without is the
/// document's or its arguments'. The metrics are in the connection's data.
pub(super) fn for_stream(
    ctx: &ExtensionContext<'_>,
) -> impl FnMut(Response) -> Response + Send + use<> {
    let request_id = request_id(ctx);
    let production = ctx.data_opt::<Exposure>() == Some(&Exposure::Production);
    let metrics = ctx.data_opt::<Metrics>().cloned();
    move |mut response| {
        for error in &mut response.errors {
            if error.path.is_empty() {
                settle_unexecuted(error);
            }
        }
        settle_executed(&request_id, production, &mut response);
        count(metrics.as_ref(), &response);
        response
    }
}
