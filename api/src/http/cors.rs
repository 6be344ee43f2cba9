//! Cross-origin access from browsers: the pages of `PORTAL_CORS_ORIGINS` only, with `GET`,
//! `POST` and the request headers of [`AllowedHeaders`]; and a refused preflight answered with a
//! GraphQL-shaped body that says what was refused and which setting allows it, where actix-cors
//! answers plain text.

use actix_cors::{Cors, CorsError};
use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderMap, HeaderName},
    },
    middleware::Next,
};
use anyhow::bail;

use crate::error::code;

/// The request headers a page may send by default: the token and the body's type, the content
/// negotiation the API reads (`Accept`, `Accept-Language`), browser tracing (W3C Trace Context
/// and Baggage, Sentry), Apollo Client's name and version, and request identifiers. None of them
/// carries anything but what a page of an allowed origin could send anyway.
pub const DEFAULT_ALLOWED_HEADERS: [&str; 12] = [
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "apollographql-client-name",
    "apollographql-client-version",
    "idempotency-key",
    "x-request-id",
];

/// The request headers cross-origin pages may send: [`DEFAULT_ALLOWED_HEADERS`] and those of
/// `PORTAL_CORS_ALLOWED_HEADERS`.
#[derive(Clone, Debug)]
pub struct AllowedHeaders(Vec<HeaderName>);

impl Default for AllowedHeaders {
    fn default() -> Self {
        Self(
            DEFAULT_ALLOWED_HEADERS
                .into_iter()
                .map(HeaderName::from_static)
                .collect(),
        )
    }
}

impl AllowedHeaders {
    /// The defaults and the comma-separated header names of `list`. The list adds to the
    /// defaults rather than replacing them, so that adding a header cannot take `Authorization`
    /// away by mistake.
    ///
    /// # Errors
    /// When an entry is not a header name, or is `*` (every header is never allowed).
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut allowed = Self::default();
        for name in list
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            // `*` is a valid header name, but would read as "every header": refused.
            let Some(name) = HeaderName::from_bytes(name.as_bytes())
                .ok()
                .filter(|name| name.as_str() != "*")
            else {
                bail!(
                    "PORTAL_CORS_ALLOWED_HEADERS must list header names such as x-client-build, \
                     comma-separated, not `{name}`"
                );
            };
            if !allowed.0.contains(&name) {
                allowed.0.push(name);
            }
        }
        Ok(allowed)
    }

    /// The names, lower case.
    pub fn names(&self) -> &[HeaderName] {
        &self.0
    }
}

/// Which pages may call the API from a browser, and what they may send.
#[derive(Clone, Debug, Default)]
pub struct CorsSettings {
    /// Origins (`https://host[:port]`) whose pages may call the API (`PORTAL_CORS_ORIGINS`);
    /// none by default.
    pub origins: Vec<String>,
    /// The request headers those pages may send (`PORTAL_CORS_ALLOWED_HEADERS` adds to the
    /// defaults).
    pub allowed_headers: AllowedHeaders,
}

/// The origins of `PORTAL_CORS_ORIGINS`: comma-separated `http(s)://host[:port]`, without a path.
///
/// # Errors
/// When an entry is anything else, `*` included.
pub fn parse_origins(list: &str) -> anyhow::Result<Vec<String>> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match host {
                Some(host)
                    if !host.is_empty()
                        && host.chars().all(|character| {
                            character.is_ascii_alphanumeric() || "-.:[]".contains(character)
                        }) =>
                {
                    Ok(origin.to_owned())
                }
                _ => bail!(
                    "PORTAL_CORS_ORIGINS must list origins such as https://portal.example.org, \
                     comma-separated and without a path, not `{origin}`"
                ),
            }
        })
        .collect()
}

/// actix-cors's middleware for `origins` and `headers`. No credentials: the API is signed in by
/// a bearer token, never a cookie. Preflights are remembered for ten minutes.
pub fn middleware(origins: &[String], headers: &AllowedHeaders) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allowed_headers(headers.names().iter().cloned())
        // A page learns that an answer is a replay of an `Idempotency-Key`'s first one.
        .expose_headers([HeaderName::from_static(super::idempotency::REPLAYED)])
        .max_age(600)
}

/// Put outside [`middleware`]: its refusal of a preflight (a plain-text `400`) becomes `403`
/// with a GraphQL-shaped JSON body, `FORBIDDEN`, naming what was refused and the setting that
/// allows it. A browser hides that body from the page, but shows it in its network tools, and
/// `curl` shows it too. Every other answer passes unchanged.
///
/// # Errors
/// The inner service's.
pub async fn explain_refusal<B: MessageBody + 'static>(
    allowed: AllowedHeaders,
    request: ServiceRequest,
    next: Next<B>,
) -> actix_web::Result<ServiceResponse<EitherBody<B>>> {
    let answer = next.call(request).await?;
    let Some(refusal) = answer
        .response()
        .error()
        .and_then(|error| error.as_error::<CorsError>())
    else {
        return Ok(answer.map_into_left_body());
    };
    let message = refusal_message(refusal, answer.request().headers(), &allowed);
    let (request, refused) = answer.into_parts();
    let mut explained = super::errors::refusal(
        super::response::MediaType::Json,
        StatusCode::FORBIDDEN,
        code::FORBIDDEN,
        &message,
    );
    // actix-cors's `Vary: Origin, Access-Control-Request-…` keeps caches from reusing the answer
    // for another origin.
    if let Some(vary) = refused.headers().get(header::VARY) {
        explained.headers_mut().insert(header::VARY, vary.clone());
    }
    Ok(ServiceResponse::new(request, explained).map_into_right_body())
}

/// What a refused preflight is told.
fn refusal_message(refusal: &CorsError, request: &HeaderMap, allowed: &AllowedHeaders) -> String {
    let named = |name: HeaderName| {
        request
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    match refusal {
        CorsError::OriginNotAllowed => format!(
            "Cross-origin requests from `{}` are not allowed: PORTAL_CORS_ORIGINS lists the \
             origins whose pages may call the API.",
            named(header::ORIGIN)
        ),
        CorsError::MethodNotAllowed | CorsError::BadRequestMethod => format!(
            "Cross-origin `{}` requests are not allowed: only GET and POST are.",
            named(header::ACCESS_CONTROL_REQUEST_METHOD)
        ),
        CorsError::HeadersNotAllowed | CorsError::BadRequestHeaders => {
            let requested = named(header::ACCESS_CONTROL_REQUEST_HEADERS);
            let refused: Vec<&str> = requested
                .split(',')
                .map(str::trim)
                .filter(|name| {
                    !name.is_empty()
                        && !allowed
                            .names()
                            .iter()
                            .any(|allowed| allowed.as_str().eq_ignore_ascii_case(name))
                })
                .collect();
            format!(
                "Cross-origin requests may not send the header(s) `{}`: \
                 PORTAL_CORS_ALLOWED_HEADERS adds headers to the allowed ones.",
                refused.join(", ")
            )
        }
        other => format!("The cross-origin request was refused: {other}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_headers_add_to_the_defaults() -> anyhow::Result<()> {
        let allowed = AllowedHeaders::parse(" X-Client-Build, traceparent,,x-other ")?;

        let names: Vec<&str> = allowed.names().iter().map(HeaderName::as_str).collect();
        assert_eq!(names.len(), DEFAULT_ALLOWED_HEADERS.len() + 2);
        assert!(names.starts_with(&DEFAULT_ALLOWED_HEADERS));
        assert!(names.ends_with(&["x-client-build", "x-other"]));
        for wrong in ["*", "x foo", "x-ok, bad:name"] {
            assert!(AllowedHeaders::parse(wrong).is_err(), "{wrong}");
        }
        Ok(())
    }

    #[test]
    fn a_refusal_names_the_refused_headers_only() {
        let mut request = HeaderMap::new();
        request.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            header::HeaderValue::from_static("Authorization, X-Secret-Sauce, traceparent"),
        );

        let message = refusal_message(
            &CorsError::HeadersNotAllowed,
            &request,
            &AllowedHeaders::default(),
        );

        assert!(message.contains("`X-Secret-Sauce`"), "{message}");
        assert!(message.contains("PORTAL_CORS_ALLOWED_HEADERS"), "{message}");
    }
}
