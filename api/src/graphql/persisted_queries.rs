//! Automatic persisted queries, as Apollo's clients speak them
//! (`@apollo/client/link/persisted-queries`), and the allow-list of
//! `PORTAL_PERSISTED_QUERIES_ONLY`. The documents are kept by `services::persisted_queries`.
//!
//! A client first sends `extensions.persistedQuery = {"version": 1, "sha256Hash": …}` without
//! the query. A known hash runs its document; an unknown one is answered
//! `PersistedQueryNotFound` (`PERSISTED_QUERY_NOT_FOUND`), and the client sends the same request
//! with the query text, whose SHA-256 must be the hash. That document is stored once it has
//! parsed and validated (as Apollo Server does): stored on arrival, any text an anonymous
//! client sends would go into the table.
//!
//! With `PORTAL_PERSISTED_QUERIES_ONLY`, only the operator's listed documents run: an unknown
//! hash is `PERSISTED_QUERY_NOT_IN_LIST` (Apollo Router's code, on which Apollo's link neither
//! retries nor turns hashes off) and a text without a hash `PERSISTED_QUERY_ID_REQUIRED`. Over
//! WebSocket, where Apollo's clients send subscriptions as text, a text whose own SHA-256 is
//! listed runs too.

use async_graphql::{Request, ServerError, ServerResult, extensions::ExtensionContext};
use serde::Deserialize;

use crate::{
    error::{ApiError, ApiResult, PersistedQueryRefusal},
    services::{Services, persisted_queries::QueryHash},
};

/// Where a request came from: `POST /graphql` asks for a hash in allow-list mode, a WebSocket
/// subscription may name its document by its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Http,
    WebSocket,
}

/// In a request's data: its persisted query has been resolved (the HTTP handler does it before
/// execution; the schema's extension does it for requests that arrive otherwise).
struct Resolved;

/// In a request's data: the document to store once it has validated.
struct Registration(String);

#[derive(Deserialize)]
struct PersistedQueryExtension {
    version: i64,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

const VERSION_FIELD: &str = "extensions.persistedQuery.version";
const HASH_FIELD: &str = "extensions.persistedQuery.sha256Hash";

/// Fills `request.query` from the store when it names a persisted query, and marks a new
/// document for registration once it validates.
///
/// # Errors
/// `PERSISTED_QUERY_NOT_FOUND` for an unknown hash (the client sends the text next);
/// `BAD_USER_INPUT` for a malformed extension, another version than 1, or a text whose
/// SHA-256 is not the hash; with `PORTAL_PERSISTED_QUERIES_ONLY`,
/// `PERSISTED_QUERY_NOT_IN_LIST` and `PERSISTED_QUERY_ID_REQUIRED`; database errors.
pub async fn resolve(
    services: &Services,
    request: &mut Request,
    transport: Transport,
) -> ApiResult<()> {
    let store = services.persisted_queries();
    request.data.insert(Resolved);
    let Some(extension) = request.extensions.remove("persistedQuery") else {
        if !store.only_listed() {
            return Ok(());
        }
        if transport == Transport::WebSocket && !request.query.is_empty() {
            return match store.find(&QueryHash::of(&request.query)).await? {
                Some(_) => Ok(()),
                None => Err(ApiError::PersistedQuery(PersistedQueryRefusal::NotInList)),
            };
        }
        return Err(ApiError::PersistedQuery(PersistedQueryRefusal::IdRequired));
    };
    let extension: PersistedQueryExtension =
        async_graphql::from_value(extension).map_err(|_| {
            ApiError::bad_input(
                "extensions.persistedQuery",
                "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<the \
                 SHA-256 of the query text in hex>\"}.",
            )
        })?;
    if extension.version != 1 {
        return Err(ApiError::bad_input(
            VERSION_FIELD,
            "Unsupported persisted query version: only version 1 is served.",
        ));
    }
    let hash = QueryHash::parse(&extension.sha256_hash).ok_or_else(|| {
        ApiError::bad_input(
            HASH_FIELD,
            "extensions.persistedQuery.sha256Hash must be the SHA-256 of the query text: 64 \
             hex digits.",
        )
    })?;
    if request.query.is_empty() {
        return match store.find(&hash).await? {
            Some(document) => {
                request.query = document.as_ref().to_owned();
                Ok(())
            }
            None if store.only_listed() => {
                Err(ApiError::PersistedQuery(PersistedQueryRefusal::NotInList))
            }
            None => Err(ApiError::PersistedQuery(PersistedQueryRefusal::NotFound)),
        };
    }
    if QueryHash::of(&request.query) != hash {
        // Apollo Server's words.
        return Err(ApiError::bad_input(
            HASH_FIELD,
            "provided sha does not match query",
        ));
    }
    if store.find(&hash).await?.is_some() {
        return Ok(());
    }
    if store.only_listed() {
        return Err(ApiError::PersistedQuery(PersistedQueryRefusal::NotInList));
    }
    // A string literal may be what a person typed (a survivor's name inline): it is run but
    // never kept, so the store holds no identifying data that consent withdrawal could not
    // reach. Apollo's link sends values as variables; such a document is simply not cached.
    if !super::limits::holds_string_literal(&request.query) {
        request.data.insert(Registration(request.query.clone()));
    }
    Ok(())
}

/// Marks `request` as resolved: a request built again from one that was (a plan's fallback).
pub(super) fn mark_resolved(request: &mut Request) {
    request.data.insert(Resolved);
}

/// For a request the HTTP handler has not resolved (a WebSocket subscription): [`resolve`].
///
/// # Errors
/// As [`resolve`].
pub(super) async fn on_arrival(
    ctx: &ExtensionContext<'_>,
    request: &mut Request,
) -> ServerResult<()> {
    if request
        .data
        .contains_key(&std::any::TypeId::of::<Resolved>())
    {
        return Ok(());
    }
    let Some(services) = ctx.data_opt::<Services>() else {
        return Ok(());
    };
    resolve(services, request, Transport::WebSocket)
        .await
        .map_err(server_error)
}

/// Stores the request's new document, now that it has parsed and validated. A failure to
/// store costs the client one more round trip next time, so it is logged and the request
/// goes on.
pub(super) async fn on_validated(ctx: &ExtensionContext<'_>) {
    let (Some(Registration(document)), Some(services)) =
        (ctx.data_opt::<Registration>(), ctx.data_opt::<Services>())
    else {
        return;
    };
    if let Err(error) = services.persisted_queries().register(document).await {
        let code = error.code();
        if let ApiError::Internal(source) = error {
            tracing::warn!(
                error = format!("{source:#}"),
                "a persisted query was not stored"
            );
        } else {
            tracing::warn!(code, "a persisted query was not stored");
        }
    }
}

/// In a request's data: validate the document, never execute it (see [`check`]).
pub(super) struct ValidationOnly;

/// Whether `document` is one the server would run: within the limits, parsed and valid
/// against `schema`, each of its operations (by name when there are several). Nothing is
/// executed. For `portal persisted-queries add`.
///
/// # Errors
/// The messages of every problem found.
pub async fn check(schema: &super::PortalSchema, document: &str) -> Result<(), Vec<String>> {
    let operations: Vec<Option<String>> = match async_graphql::parser::parse_query(document) {
        Ok(parsed) => match parsed.operations {
            async_graphql::parser::types::DocumentOperations::Single(_) => vec![None],
            async_graphql::parser::types::DocumentOperations::Multiple(operations) => operations
                .keys()
                .map(|name| Some(name.to_string()))
                .collect(),
        },
        // The schema's answer names the parse error.
        Err(_) => vec![None],
    };
    let mut problems = Vec::new();
    for operation in operations {
        let mut request = Request::new(document);
        request.operation_name = operation;
        request.data.insert(Resolved);
        request.data.insert(ValidationOnly);
        let answer = schema.execute(request).await;
        problems.extend(answer.errors.into_iter().map(|error| error.message));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// `error` as a request error: its message and code, no location.
fn server_error(error: ApiError) -> ServerError {
    let error = async_graphql::Error::from(error);
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
}
