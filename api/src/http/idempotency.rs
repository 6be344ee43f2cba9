//! The `Idempotency-Key` request header of `POST /graphql` (IETF httpapi draft
//! "draft-ietf-httpapi-idempotency-key-header"): which requests it applies to, and the key.
//!
//! - The draft's form is a Structured Field `sf-string`, `Idempotency-Key: "8e03978e-…"`.
//!   The bare form `Idempotency-Key: 8e03978e-…` (no quotes, no spaces) is accepted too, as
//!   many clients send it; `"abc"` and `abc` are the same key.
//! - Only mutations use it; a query or a subscription ignores the header, whatever it holds.
//! - Only a signed-in account may send it: keys are scoped by account, and the public's only
//!   mutations sign in, whose answers hold tokens that must never be stored.
//! - One mutation field per request, and none whose answer holds a secret (tokens, a
//!   one-time password, a TOTP secret): such answers are never stored, not even sealed.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

use super::{
    AppState,
    response::{self, MediaType},
};
use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    services::{
        Services,
        idempotency::{CanonicalRequest, Claim, Claimed, IdempotencyKey, StoredAnswer},
    },
};

/// The header's name.
pub const HEADER: &str = "idempotency-key";

/// The answer header that marks a replayed first answer (as Stripe's API does; the draft names
/// none).
pub const REPLAYED: &str = "idempotent-replayed";

/// How much longer than the request timeout a claim stays `IN_FLIGHT` before a retry may take
/// it over: the timeout stops a request, and this covers its rollback and clocks apart.
const STALE_MARGIN: Duration = Duration::from_secs(10);

/// Claims the request's key before it runs: `Ok(None)` runs it without one (no header, not
/// a mutation), `Ok(Some(claim))` runs it under the claim, `Err` is the answer to send instead
/// (the first answer replayed, or the refusal).
///
/// # Errors
/// The answer to send rather than running the request.
pub async fn start(
    state: &AppState,
    http: &HttpRequest,
    request: &async_graphql::Request,
    caller: &Caller,
) -> Result<Option<Claim>, Refused> {
    let actor = &caller.actor;
    let Some(key) = key_of(
        http,
        &request.query,
        request.operation_name.as_deref(),
        actor,
    )
    .map_err(Refused::Error)?
    else {
        return Ok(None);
    };
    // A claim writes to the database and a replay runs nothing that the query-cost budget
    // would charge: each costs 1, so that replays cannot be sent without limit.
    state
        .cost_limiter
        .charge(actor, caller.client_ip, 1)
        .map_err(|over| {
            Refused::Error(ApiError::RateLimited {
                retry_after_secs: over.retry_after_secs,
            })
        })?;
    let variables = serde_json::to_value(&request.variables)
        .map_err(|error| Refused::Error(ApiError::Internal(error.into())))?;
    let canonical = CanonicalRequest::new(
        &request.query,
        request.operation_name.as_deref(),
        &variables,
    );
    match state
        .services
        .idempotency()
        .claim(
            caller,
            &key,
            &canonical,
            state.request_timeout + STALE_MARGIN,
        )
        .await
        .map_err(Refused::Error)?
    {
        Claimed::Fresh(claim) => Ok(Some(claim)),
        Claimed::Replay(answer) => Err(Refused::Replay(answer)),
    }
}

/// Why a request under a key is not run.
#[derive(Debug)]
pub enum Refused {
    /// The key's first answer.
    Replay(StoredAnswer),
    /// The header or the claim was refused.
    Error(ApiError),
}

/// The first answer again, marked as replayed.
pub fn replayed(answer: StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = response::stored(status, &answer.content_type, answer.body);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static(REPLAYED),
        actix_web::http::header::HeaderValue::from_static("true"),
    );
    response
}

/// Stores the answer of a request run under `claim` (or releases the claim when it failed
/// without committing anything), and gives the answer to send. A failure to store is logged;
/// the answer goes out all the same.
pub async fn finish(
    services: &Services,
    claim: &Claim,
    media: MediaType,
    answer: &async_graphql::Response,
) -> HttpResponse {
    let Some((status, body)) = response::render(media, answer) else {
        return response::graphql(media, answer);
    };
    let stored = StoredAnswer {
        status: status.as_u16(),
        content_type: media.content_type().to_owned(),
        body,
    };
    if let Err(error) = services
        .idempotency()
        .finish(claim, &stored, !answer.errors.is_empty())
        .await
    {
        let reason = match &error {
            ApiError::Internal(source) => format!("{source:#}"),
            other => other.code().to_owned(),
        };
        tracing::error!(
            error = reason,
            "the answer of an idempotent request was not stored"
        );
    }
    response::stored(status, &stored.content_type, stored.body)
}

/// Mutation fields whose answers hold secrets; a key on them is refused rather than ignored,
/// so that a client does not believe itself protected.
const SECRET_ANSWERS: [&str; 5] = [
    "login",
    "refreshSession",
    "enrolTotp",
    "confirmTotp",
    "regenerateRecoveryCodes",
];

/// The key this request runs under, or `None` when it has no key or is not a mutation (a
/// document that does not parse is not one: execution reports it and runs nothing).
///
/// # Errors
/// `BAD_USER_INPUT` for a malformed or repeated header, a mutation by the public, a document
/// of more than one mutation field, or a mutation whose answer holds a secret.
pub fn key_of(
    http: &HttpRequest,
    query: &str,
    operation_name: Option<&str>,
    actor: &Actor,
) -> ApiResult<Option<IdempotencyKey>> {
    let mut values = http.headers().get_all(HEADER);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let Some(fields) = mutation_fields(query, operation_name) else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::bad_input(
            "Idempotency-Key",
            "Send one Idempotency-Key header, not several.",
        ));
    }
    let key = value
        .to_str()
        .map_err(|_| ApiError::bad_input("Idempotency-Key", "The key must be printable ASCII."))
        .and_then(unquote)
        .and_then(|key| IdempotencyKey::parse(&key))?;
    if actor.member().is_none() {
        return Err(ApiError::bad_input(
            "Idempotency-Key",
            "Idempotency-Key is served for signed-in accounts only: sign in first, or send \
             this request without it.",
        ));
    }
    match fields.as_slice() {
        [field] if SECRET_ANSWERS.contains(&field.as_str()) => Err(ApiError::bad_input(
            "Idempotency-Key",
            format!(
                "{field} cannot be sent with an Idempotency-Key: its answer holds a secret, \
                 which is never stored. Send it without the header."
            ),
        )),
        [_] => Ok(Some(key)),
        _ => Err(ApiError::bad_input(
            "Idempotency-Key",
            "An Idempotency-Key covers one mutation field: send each mutation in a request of \
             its own.",
        )),
    }
}

/// The key of a header value: an sf-string (`"…"`, with `\"` and `\\` escapes) or a bare
/// token.
fn unquote(value: &str) -> ApiResult<String> {
    let value = value.trim_matches(' ');
    let Some(quoted) = value.strip_prefix('"') else {
        if value.contains(['"', '\\', ' ']) {
            return Err(malformed());
        }
        return Ok(value.to_owned());
    };
    let mut key = String::with_capacity(quoted.len());
    let mut characters = quoted.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => match characters.next() {
                Some(escaped @ ('"' | '\\')) => key.push(escaped),
                _ => return Err(malformed()),
            },
            '"' => {
                return if characters.next().is_none() {
                    Ok(key)
                } else {
                    Err(malformed())
                };
            }
            other => key.push(other),
        }
    }
    Err(malformed())
}

fn malformed() -> ApiError {
    ApiError::bad_input(
        "Idempotency-Key",
        "The Idempotency-Key header must be a quoted string such as \
         \"8e03978e-40d5-43e8-bc93-6894a57f9324\" (or the key alone, without spaces or quotes).",
    )
}

/// The root fields of the operation `operation_name` names (or the only one) when it is a
/// mutation, with fragments spread in; `None` for anything else.
fn mutation_fields(query: &str, operation_name: Option<&str>) -> Option<Vec<String>> {
    let document = async_graphql::parser::parse_query(query).ok()?;
    let operation = document
        .operations
        .iter()
        .find(|(name, _)| {
            operation_name.is_none() || name.map(|name| name.as_str()) == operation_name
        })?
        .1;
    if operation.node.ty != OperationType::Mutation {
        return None;
    }
    let mut fields = Vec::new();
    collect_fields(
        &document,
        &operation.node.selection_set.node,
        0,
        &mut fields,
    );
    Some(fields)
}

/// The fields of `set` (not `__typename`), into `fields`; fragments followed a few levels
/// deep (a deeper or cyclic spread is refused by validation before anything runs).
fn collect_fields(
    document: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    fields: &mut Vec<String>,
) {
    if depth > 8 {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if !name.starts_with("__") {
                    fields.push(name.to_owned());
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect_fields(
                        document,
                        &fragment.node.selection_set.node,
                        depth + 1,
                        fields,
                    );
                }
            }
            Selection::InlineFragment(inline) => {
                collect_fields(document, &inline.node.selection_set.node, depth + 1, fields);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sf_strings_and_bare_tokens_are_keys() {
        assert_eq!(unquote("\"abc-1\"").ok().as_deref(), Some("abc-1"));
        assert_eq!(
            unquote(" \"a \\\"b\\\\\" ").ok().as_deref(),
            Some("a \"b\\")
        );
        assert_eq!(unquote("abc-1").ok().as_deref(), Some("abc-1"));
        for bad in ["\"open", "\"a\"b", "\"bad\\escape\"", "two words", "a\"b"] {
            assert!(unquote(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_mutations_have_fields() {
        assert_eq!(mutation_fields("{ me { id } }", None), None);
        assert_eq!(mutation_fields("query Q { me { id } }", Some("Q")), None);
        assert_eq!(mutation_fields("mutation {", None), None);
        assert_eq!(
            mutation_fields(
                "query Q { me { id } } mutation M { ...F __typename } fragment F on Mutation { a: logout { ok } ... on Mutation { enrolTotp { uri } } }",
                Some("M")
            ),
            Some(vec!["logout".to_owned(), "enrolTotp".to_owned()])
        );
    }
}
