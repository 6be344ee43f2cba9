//! What wraps every answer: the security headers, the request span and the access-log line
//! with its metrics, the time limit of `POST /graphql`, and the `405` of other methods. CORS is
//! [`super::cors`].

use std::time::Duration;

use actix_web::{
    HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
    middleware::{DefaultHeaders, Next},
    web,
};
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use super::{AppState, errors, response::MediaType};
use crate::{
    error::code,
    metrics::{self, Metrics},
};

/// The headers every answer carries. The API answers JSON only, so its policy forbids
/// everything; the GraphiQL page sets its own (see [`crate::http::graphiql`]).
pub(crate) fn security_headers(production: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::CONTENT_SECURITY_POLICY, API_CONTENT_SECURITY_POLICY));
    if production {
        headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

/// The content security policy of every answer but the GraphiQL page.
pub const API_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `answer`, unless it takes longer than `limit`: then `503` with `TIMEOUT`. Dropping the
/// unfinished answer cancels its work (an open transaction rolls back); on PostgreSQL the
/// statement timeout of `db::connect` also bounds each statement.
pub(super) async fn within(
    limit: Duration,
    media: MediaType,
    request_id: &str,
    metrics: &Metrics,
    answer: impl Future<Output = HttpResponse>,
) -> HttpResponse {
    if let Ok(response) = tokio::time::timeout(limit, answer).await {
        return response;
    }
    metrics.graphql_error(code::TIMEOUT);
    tracing::warn!(
        request_id,
        seconds = limit.as_secs_f64(),
        "request timed out"
    );
    let mut response = errors::refusal(
        media,
        StatusCode::SERVICE_UNAVAILABLE,
        code::TIMEOUT,
        &format!(
            "The request took too long (the limit is {} seconds) and was stopped; nothing it \
             started was kept. Quote the request id {request_id} if you report it.",
            limit.as_secs()
        ),
    );
    // The rest of an unread body would otherwise be taken for the next request.
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// Any other method on `/graphql` (`PUT`, `DELETE`, and `GET` in production): `405` with
/// `Allow` and a GraphQL-shaped body, rather than an empty `404`.
pub(super) async fn method_not_allowed(
    state: web::Data<AppState>,
    http: HttpRequest,
) -> HttpResponse {
    let allowed = if state.development {
        "GET, POST"
    } else {
        "POST"
    };
    let mut answer = errors::refusal(
        MediaType::of(&http),
        StatusCode::METHOD_NOT_ALLOWED,
        code::BAD_USER_INPUT,
        &format!(
            "{} is not served on /graphql: send queries and mutations with POST{}.",
            http.method(),
            if state.development {
                " (GET serves GraphiQL)"
            } else {
                ""
            }
        ),
    );
    answer
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allowed));
    answer
}

/// Counts every answer in `/metrics` by its route pattern (never the raw path, which may
/// carry ids), method and status, times it to its headers, and writes its access-log line.
///
/// The line is the one event per request (tracing-actix-web makes a span, which no format
/// prints as a line). It is written outside that span, so it carries the route pattern and
/// never the span's raw target (path and query string); no header or body goes in it.
pub(crate) async fn record_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
    let started = std::time::Instant::now();
    let metrics = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let method = metrics::method_label(request.method());
    let answer = next.call(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let (route, status, request_id) = match &answer {
        Ok(response) => (
            response.request().match_pattern(),
            response.status().as_u16(),
            actix_web::HttpMessage::extensions(response.request())
                .get::<RequestId>()
                .map(ToString::to_string),
        ),
        Err(error) => (None, error.as_response_error().status_code().as_u16(), None),
    };
    let route = route.as_deref().unwrap_or("unmatched");
    if let Some(metrics) = metrics {
        metrics.observe_http(route, method, status, seconds);
    }
    tracing::info!(
        target: ACCESS_LOG,
        method,
        route,
        status,
        duration_ms = (seconds * 1000.0 * 10.0).round() / 10.0,
        request_id = request_id.as_deref().unwrap_or("none"),
        "request"
    );
    answer
}

/// The target of the access-log lines (`RUST_LOG=portal::access=warn` silences them).
pub const ACCESS_LOG: &str = "portal::access";

/// The span of each request, whose fields every line written inside it carries (a refused
/// token's warning, an internal error): the method, the route pattern and the request id.
/// tracing-actix-web's default span also holds the raw path and query string (`http.target`),
/// where a search term or a token in a URL would have reached the log, the host, the user agent
/// and a client address believed from `X-Forwarded-For`: none of them is recorded here.
pub(crate) struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;

        let route = request.match_pattern();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = route.as_deref().unwrap_or("unmatched"),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        // Records the status (and error fields this span does not have, which are dropped).
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::StatementCounter;

    #[tokio::test]
    async fn a_slow_answer_is_stopped_with_timeout() {
        let limit = Duration::from_millis(50);
        let metrics = Metrics::new(&StatementCounter::default()).expect("metrics");
        let fast = within(limit, MediaType::Json, "r1", &metrics, async {
            HttpResponse::Ok().finish()
        })
        .await;
        let slow = within(limit, MediaType::Json, "r2", &metrics, async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            HttpResponse::Ok().finish()
        })
        .await;

        assert_eq!(fast.status(), StatusCode::OK);
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = actix_web::body::to_bytes(slow.into_body())
            .await
            .map_err(|_| "body")
            .and_then(|body| {
                serde_json::from_slice::<serde_json::Value>(&body).map_err(|_| "json")
            });
        let body = body.unwrap_or_default();
        assert_eq!(body["errors"][0]["extensions"]["code"], code::TIMEOUT);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|message| message.contains("took too long") && message.contains("r2"))
        );
    }
}
