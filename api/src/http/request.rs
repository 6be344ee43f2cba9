//! What a request says before anything runs: its body read into one GraphQL request (JSON
//! only, one operation, a size limit counted while reading), its bearer token, its language and
//! its client address (see [`super::proxies`]).

use std::net::IpAddr;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use entity::enums::Language;
use futures_util::StreamExt;

use super::{errors, proxies::TrustedProxies, response::MediaType};
use crate::{
    auth::Actor,
    error::{ApiError, code, unauthenticated},
    graphql,
};

/// Why a `POST /graphql` body was not read into a request.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BodyRefusal {
    /// Not `application/json` (`415`): forms and plain text are what a page of another site
    /// can post without a preflight, so refusing them refuses cross-site request forgery.
    MediaType,
    /// A `Content-Encoding` other than `identity` (`415`).
    Encoded,
    /// Over `PORTAL_MAX_BODY_BYTES` (`413`).
    TooLarge(usize),
    /// The body broke off (`400`).
    Unreadable,
    /// A JSON array: batches are not served (`400`).
    Batch,
    /// Objects and arrays nested deeper than `graphql::limits::MAX_NESTING` (`400`).
    TooDeep,
    /// Not a GraphQL request (`400`), with the parser's reason.
    Malformed(String),
}

impl BodyRefusal {
    pub(super) fn response(&self, media: MediaType) -> HttpResponse {
        let (status, message) = match self {
            Self::MediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "POST /graphql takes a JSON body: send `Content-Type: application/json`."
                    .to_owned(),
            ),
            Self::Encoded => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Request bodies are not accepted compressed.".to_owned(),
            ),
            Self::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than the limit of {limit} bytes."),
            ),
            Self::Unreadable => (
                StatusCode::BAD_REQUEST,
                "The request body could not be read.".to_owned(),
            ),
            Self::Batch => (
                StatusCode::BAD_REQUEST,
                "Batched requests are not served: send one operation per request.".to_owned(),
            ),
            Self::TooDeep => (
                StatusCode::BAD_REQUEST,
                format!(
                    "The request body nests too deeply: at most {} levels of objects and \
                     arrays are accepted.",
                    graphql::limits::MAX_NESTING
                ),
            ),
            Self::Malformed(reason) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "The body is not a GraphQL request (`{{\"query\": …, \"variables\": …}}`): \
                     {reason}"
                ),
            ),
        };
        errors::refusal(media, status, code::BAD_USER_INPUT, &message)
    }
}

/// Whether a `Content-Type` is `application/json`, with no parameter but `charset=utf-8`.
fn is_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    essence.eq_ignore_ascii_case("application/json")
        && parts.filter(|part| !part.is_empty()).all(|parameter| {
            parameter.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("charset")
                    && value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            })
        })
}

/// Reads the body of `POST /graphql` into one GraphQL request: JSON only, at most `limit`
/// bytes, counted as the body arrives (a declared `Content-Length` over it is refused before
/// reading anything), one operation (no batch).
pub(super) async fn read_request(
    http: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<async_graphql::Request, BodyRefusal> {
    let header = |name| {
        http.headers()
            .get(name)
            .and_then(|value: &header::HeaderValue| value.to_str().ok())
    };
    if !header(header::CONTENT_TYPE).is_some_and(is_json) {
        return Err(BodyRefusal::MediaType);
    }
    if header(header::CONTENT_ENCODING)
        .is_some_and(|encoding| !encoding.trim().eq_ignore_ascii_case("identity"))
    {
        return Err(BodyRefusal::Encoded);
    }
    if header(header::CONTENT_LENGTH)
        .and_then(|length| length.trim().parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyRefusal::TooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyRefusal::Unreadable)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyRefusal::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    parse_request(&body)
}

/// One GraphQL request of a JSON body.
fn parse_request(body: &[u8]) -> Result<async_graphql::Request, BodyRefusal> {
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(BodyRefusal::Batch);
    }
    if graphql::limits::json_nests_too_deeply(body) {
        return Err(BodyRefusal::TooDeep);
    }
    let request: async_graphql::Request =
        serde_json::from_slice(body).map_err(|error| BodyRefusal::Malformed(error.to_string()))?;
    // A body naming a persisted query's hash may leave the query out; any other must send one.
    if request.query.trim().is_empty() && !request.extensions.contains_key("persistedQuery") {
        return Err(BodyRefusal::Malformed(
            "it has no `query` (a string holding the GraphQL document)".to_owned(),
        ));
    }
    Ok(request)
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub(crate) fn bearer_token(http: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = http.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(Some)
        .ok_or(ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN))
}

/// The client address of `http`: its peer, or what a trusted proxy says the client is.
/// The rate limits, the sign-in limit and the audit log all use this one.
pub(crate) fn client_address(trusted: &TrustedProxies, http: &HttpRequest) -> Option<IpAddr> {
    let forwarded = http
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok());
    trusted.client_address(http.peer_addr().map(|peer| peer.ip()), forwarded)
}

/// The best language of the request's `Accept-Language` header that the portal speaks.
pub(crate) fn accept_language(http: &HttpRequest) -> Option<Language> {
    http.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_accept_language)
}

/// The language of the answer: `accepted` (the best `Accept-Language` entry the portal
/// speaks), else the signed-in account's preferred language, else English.
pub(crate) fn language_for(accepted: Option<Language>, actor: &Actor) -> Language {
    accepted
        .or_else(|| actor.member().map(|member| member.preferred_language))
        .unwrap_or(Language::En)
}

/// The first language of `header` (by quality, then order) that the portal speaks.
pub fn parse_accept_language(header: &str) -> Option<Language> {
    let mut ranked: Vec<(f32, usize, Language)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, entry)| {
            let mut parts = entry.trim().split(';');
            let tag = parts.next()?.trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|part| part.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            let primary = tag.split('-').next()?;
            let language = match primary {
                "en" => Language::En,
                "ru" => Language::Ru,
                "tg" => Language::Tg,
                _ => return None,
            };
            (quality > 0.0).then_some((quality, position, language))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map(|(_, _, language)| *language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_bodies_are_graphql_requests() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=\"UTF-8\"",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/json; charset=latin1",
            "application/jsonp",
            "application/graphql",
            "",
        ] {
            assert!(!is_json(other), "{other}");
        }
    }

    #[test]
    fn a_batch_or_a_malformed_body_is_refused() {
        assert_eq!(
            parse_request(b" \n[{\"query\": \"{ a }\"}]").err(),
            Some(BodyRefusal::Batch)
        );
        assert!(matches!(
            parse_request(b"{\"query\": 42}"),
            Err(BodyRefusal::Malformed(_))
        ));
        assert!(parse_request(b"{\"query\": \"{ a }\"}").is_ok());
        assert!(matches!(
            parse_request(b"{\"qeury\": \"{ a }\"}"),
            Err(BodyRefusal::Malformed(_))
        ));
        assert!(
            parse_request(
                b"{\"extensions\": {\"persistedQuery\": {\"version\": 1, \"sha256Hash\": \"ab\"}}}"
            )
            .is_ok()
        );
    }

    #[test]
    fn accept_language_picks_the_best_spoken_language() {
        assert_eq!(
            parse_accept_language("ru-RU,ru;q=0.9,en;q=0.8"),
            Some(Language::Ru)
        );
        assert_eq!(
            parse_accept_language("de, tg;q=0.5, en;q=0.4"),
            Some(Language::Tg)
        );
        assert_eq!(
            parse_accept_language("en;q=0.2, ru;q=0.7"),
            Some(Language::Ru)
        );
        assert_eq!(parse_accept_language("fr, de"), None);
        assert_eq!(parse_accept_language("ru;q=0"), None);
    }
}
