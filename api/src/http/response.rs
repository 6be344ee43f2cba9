//! GraphQL over HTTP answers as the specification says (graphql-over-http, the media types and
//! status codes that clients such as Apollo Client and `graphql-http` are built on):
//!
//! - the answer's media type follows `Accept`: `application/graphql-response+json` only when the
//!   client names it, `application/json` otherwise (no header, `*/*`, `application/json`, or
//!   nothing the server speaks);
//! - a *request error* (the document did not parse or validate, a variable could not be
//!   coerced, a limit refused it: nothing was executed) has no `data` entry; with
//!   `application/graphql-response+json` its status is 4xx, with `application/json` 200, as each
//!   media type's rules say;
//! - every refusal outside GraphQL execution is a GraphQL response too, in the negotiated media
//!   type (see [`super::errors`]).

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use async_graphql::{ServerError, Value};
use serde::Serialize;

use crate::error::code;

/// The media type of a GraphQL answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: the legacy type every client reads; status 200 for any GraphQL
    /// response to a well-formed request.
    Json,
    /// `application/graphql-response+json`: the status code tells request errors (4xx) from
    /// executed operations (2xx).
    GraphQLResponse,
}

impl MediaType {
    /// The `Content-Type` of the answer (always UTF-8).
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
        }
    }

    /// The media type a request's `Accept` header asks for.
    pub fn of(http: &HttpRequest) -> Self {
        Self::negotiate(
            http.headers()
                .get(header::ACCEPT)
                .and_then(|value| value.to_str().ok()),
        )
    }

    /// `application/graphql-response+json` when `accept` names it at a quality at least that
    /// of `application/json` (itself, or `*/*`, `application/*`); `application/json`
    /// otherwise, as the specification says for a missing header or one naming neither.
    pub fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return Self::Json;
        };
        let mut graphql_response: Option<f32> = None;
        let mut json: Option<f32> = None;
        for entry in accept.split(',') {
            let mut parts = entry.split(';').map(str::trim);
            let range = parts.next().unwrap_or_default().to_ascii_lowercase();
            let quality = parts
                .find_map(|part| part.strip_prefix("q=").or_else(|| part.strip_prefix("Q=")))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            let best =
                |slot: &mut Option<f32>| *slot = Some(slot.map_or(quality, |q| q.max(quality)));
            match range.as_str() {
                "application/graphql-response+json" => best(&mut graphql_response),
                "application/json" | "application/*" | "*/*" => best(&mut json),
                _ => {}
            }
        }
        match graphql_response {
            Some(quality) if quality > 0.0 && json.is_none_or(|json| quality >= json) => {
                Self::GraphQLResponse
            }
            _ => Self::Json,
        }
    }
}

/// A GraphQL response body: `data` only when execution started.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, Value>,
}

/// Whether `answer` is a request error: refused before anything was executed (parse,
/// validation, variables, limits, rate), which errors without a path and no data tell.
pub fn is_request_error(answer: &async_graphql::Response) -> bool {
    !answer.errors.is_empty()
        && matches!(answer.data, Value::Null)
        && answer.errors.iter().all(|error| error.path.is_empty())
}

/// The `extensions.code` of an error, if it has one.
fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// The status of a request error: what its (first) code means in HTTP.
fn request_error_status(answer: &async_graphql::Response) -> StatusCode {
    match answer.errors.first().and_then(code_of) {
        Some(code::RATE_LIMITED) => StatusCode::TOO_MANY_REQUESTS,
        Some(code::UNAUTHENTICATED) => StatusCode::UNAUTHORIZED,
        Some(code::FORBIDDEN) => StatusCode::FORBIDDEN,
        // An `Idempotency-Key` in use or reused for another request (the draft's 409).
        Some(code::CONFLICT) => StatusCode::CONFLICT,
        // Apollo's persisted-query link reads these as GraphQL results and retries with the
        // query text (or gives up) only when they come as 200, as Apollo Server sends them.
        Some(
            code::PERSISTED_QUERY_NOT_FOUND
            | code::PERSISTED_QUERY_NOT_IN_LIST
            | code::PERSISTED_QUERY_ID_REQUIRED,
        ) => StatusCode::OK,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The HTTP answer of a GraphQL response in `media`.
pub fn graphql(media: MediaType, answer: &async_graphql::Response) -> HttpResponse {
    match render(media, answer) {
        Some((status, body)) => stored(status, media.content_type(), body),
        None => super::errors::refusal(
            media,
            StatusCode::INTERNAL_SERVER_ERROR,
            code::INTERNAL,
            crate::error::INTERNAL_MESSAGE,
        ),
    }
}

/// The status and body of a GraphQL response in `media`; `None` (logged) when it cannot be
/// written as JSON.
pub fn render(media: MediaType, answer: &async_graphql::Response) -> Option<(StatusCode, Vec<u8>)> {
    let request_error = is_request_error(answer);
    let status = match (request_error, media) {
        (false, _) => StatusCode::OK,
        (true, MediaType::GraphQLResponse) => request_error_status(answer),
        // With `application/json` a request error is 200, but for a rate limit: nothing was
        // executed, which proxies and generic clients learn from 429 and `Retry-After`.
        (true, MediaType::Json) => match request_error_status(answer) {
            StatusCode::TOO_MANY_REQUESTS => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::OK,
        },
    };
    let body = Body {
        data: (!request_error).then_some(&answer.data),
        errors: &answer.errors,
        extensions: &answer.extensions,
    };
    match serde_json::to_vec(&body) {
        Ok(bytes) => Some((status, bytes)),
        Err(error) => {
            tracing::error!(%error, "a GraphQL response could not be written as JSON");
            None
        }
    }
}

/// An answer of `status`, `content_type` and `body` as rendered before (a GraphQL answer, or
/// one replayed for an `Idempotency-Key`): never stored by caches.
pub fn stored(status: StatusCode, content_type: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_response_json_only_when_named() {
        use MediaType::{GraphQLResponse, Json};
        for (accept, media) in [
            (None, Json),
            (Some("application/json"), Json),
            (Some("*/*"), Json),
            (Some("text/html"), Json),
            (Some("application/graphql-response+json"), GraphQLResponse),
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                GraphQLResponse,
            ),
            (
                Some("application/json, application/graphql-response+json;q=0.5"),
                Json,
            ),
            (Some("application/graphql-response+json;q=0"), Json),
            (
                Some("Application/GraphQL-Response+JSON; charset=utf-8, */*;q=0.1"),
                GraphQLResponse,
            ),
        ] {
            assert_eq!(MediaType::negotiate(accept), media, "{accept:?}");
        }
    }

    #[test]
    fn a_request_error_has_no_data() {
        let refused = async_graphql::Response::from_errors(vec![ServerError::new("no", None)]);
        assert!(is_request_error(&refused));
        let mut field_error = async_graphql::Response::new(Value::Null);
        let mut error = ServerError::new("no", None);
        error.path = vec![async_graphql::PathSegment::Field("me".to_owned())];
        field_error.errors.push(error);
        assert!(!is_request_error(&field_error));
        assert!(!is_request_error(&async_graphql::Response::new(
            Value::Null
        )));
    }
}
