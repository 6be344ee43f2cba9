//! The one builder of GraphQL-shaped HTTP error answers: every refusal outside GraphQL
//! execution (413, 415, 405, a batch, the timeout, a refused preflight, the metrics token, a
//! download's error, a refused WebSocket upgrade) is `{"errors":[{"message":…,"extensions":
//! {"code":…}}]}`, so that a client shows the code rather than a generic network error.

use actix_web::{
    HttpResponse,
    http::{StatusCode, header},
};
use async_graphql::ServerError;

use super::response::MediaType;
use crate::error::{ApiError, code};

/// An answer refused outside GraphQL execution, shaped as a GraphQL request error in `media`.
pub fn refusal(media: MediaType, status: StatusCode, code: &str, message: &str) -> HttpResponse {
    refusal_with(media, status, code, message, serde_json::Map::new())
}

/// As [`refusal`], with more `extensions` beside the code (`requestId`, `retryAfterSeconds`).
pub fn refusal_with(
    media: MediaType,
    status: StatusCode,
    code: &str,
    message: &str,
    extensions: serde_json::Map<String, serde_json::Value>,
) -> HttpResponse {
    answer(status, media.content_type(), code, message, extensions)
}

/// `error` answered outside GraphQL (the downloads), with a status that says what its code
/// says and the request id to quote; `BAD_USER_INPUT` names its fields as the API does.
pub fn api_error(error: &ApiError, request_id: &str) -> HttpResponse {
    let status = match error.code() {
        code::UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
        code::FORBIDDEN => StatusCode::FORBIDDEN,
        code::NOT_FOUND => StatusCode::NOT_FOUND,
        code::BAD_USER_INPUT => StatusCode::BAD_REQUEST,
        code::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        _ if matches!(error, ApiError::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut extensions = serde_json::Map::new();
    extensions.insert("requestId".to_owned(), request_id.into());
    if let ApiError::BadUserInput(fields) = error {
        extensions.insert(
            "fields".to_owned(),
            fields
                .iter()
                .map(|field| serde_json::json!({ "field": field.field, "message": field.message }))
                .collect(),
        );
    }
    // The downloads have always sent their errors as bare `application/json`, without the
    // charset parameter of GraphQL answers; this refactor keeps every header as it was.
    answer(
        status,
        "application/json",
        error.code(),
        &error.message(),
        extensions,
    )
}

/// The GraphQL response of a request refused before execution (a bad token, an unknown
/// persisted query, a used `Idempotency-Key`): one error with no location (it is about no
/// place in the document), no data, and the request id. `response::graphql` answers it.
pub fn request_refusal(error: ApiError, request_id: &str) -> async_graphql::Response {
    let error = async_graphql::Error::from(error);
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
        .extensions
        .get_or_insert_with(Default::default)
        .set("requestId", request_id);
    async_graphql::Response::from_errors(vec![server_error])
}

/// The body every refusal shares, never stored by caches.
fn answer(
    status: StatusCode,
    content_type: &str,
    code: &str,
    message: &str,
    mut extensions: serde_json::Map<String, serde_json::Value>,
) -> HttpResponse {
    extensions.insert("code".to_owned(), code.into());
    HttpResponse::build(status)
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(
            serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] })
                .to_string(),
        )
}
