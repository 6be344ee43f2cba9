//! `POST /graphql`: one operation of a JSON body ([`super::request`]), within the time limit,
//! through persisted queries, the caller's sign-in and its `Idempotency-Key`, then executed; a
//! refusal by a rate limit is `429` with `Retry-After`.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use tracing_actix_web::RequestId;

use super::{
    AppState, errors, idempotency,
    middleware::within,
    request::read_request,
    response::{self, MediaType},
};
use crate::{
    error::code,
    graphql::{
        self,
        persisted_queries::{self, Transport},
        plan::Answer,
    },
};

/// `POST /graphql`: one operation of a JSON body, within the time limit.
pub(super) async fn graphql_endpoint(
    state: web::Data<AppState>,
    http: HttpRequest,
    request_id: RequestId,
    payload: web::Payload,
) -> HttpResponse {
    let request_id = request_id.to_string();
    within(
        state.request_timeout,
        MediaType::of(&http),
        &request_id,
        &state.metrics,
        serve_graphql(&state, &http, request_id.clone(), payload),
    )
    .await
}

async fn serve_graphql(
    state: &AppState,
    http: &HttpRequest,
    request_id: String,
    payload: web::Payload,
) -> HttpResponse {
    let media = MediaType::of(http);
    let mut request = match read_request(http, payload, state.max_body_bytes).await {
        Ok(request) => request,
        Err(refusal) => {
            state.metrics.graphql_error(code::BAD_USER_INPUT);
            return refusal.response(media);
        }
    };
    if let Err(error) =
        persisted_queries::resolve(&state.services, &mut request, Transport::Http).await
    {
        // Apollo's clients read these answers as GraphQL results (200, see
        // `http::response`), and retry on PERSISTED_QUERY_NOT_FOUND with the query text.
        state.metrics.graphql_error(error.code());
        return response::graphql(media, &errors::request_refusal(error, &request_id));
    }
    let mut context = match state.caller(http, request_id.clone()).await {
        Ok(context) => context,
        Err(error) => {
            state.metrics.graphql_error(error.code());
            return response::graphql(media, &errors::request_refusal(error, &request_id));
        }
    };
    let claim = match idempotency::start(state, http, &request, &context.caller).await {
        Ok(claim) => claim,
        Err(idempotency::Refused::Replay(answer)) => return idempotency::replayed(answer),
        Err(idempotency::Refused::Error(error)) => {
            state.metrics.graphql_error(error.code());
            let answer = errors::request_refusal(error, &request_id);
            return with_retry_after(response::graphql(media, &answer), &answer);
        }
    };
    context.caller.idempotency = claim.clone();
    let executor = graphql::plan::Executor {
        schema: &state.schema,
        services: &state.services,
        // A mutation under an `Idempotency-Key` is never planned; nor is anything else with one.
        plans: if claim.is_some() {
            graphql::plan::QueryPlans::Off
        } else {
            state.query_plans
        },
        limiter: &state.cost_limiter,
        metrics: &state.metrics,
    };
    let answer = match executor.execute(request, context).await {
        // A planned answer is a success without errors, written as the executor's would be.
        Answer::Planned(body) => {
            return response::stored(StatusCode::OK, media.content_type(), body);
        }
        Answer::Executed(answer) => answer,
    };
    for error in &answer.errors {
        let code = graphql::errors::code_of(error);
        state
            .metrics
            .graphql_error(code.as_deref().unwrap_or(code::INTERNAL));
    }
    // An answer depends on who asks: never stored, whatever the schema's cache hints say
    // (`response::graphql` sends `no-store`).
    let response = match &claim {
        Some(claim) => idempotency::finish(&state.services, claim, media, &answer).await,
        None => response::graphql(media, &answer),
    };
    with_retry_after(response, &answer)
}

/// `response` with `Retry-After` when `answer` is a refusal by a rate limit: nothing was
/// executed (the answer is 429), so say when to come back, for proxies and generic clients.
fn with_retry_after(mut response: HttpResponse, answer: &async_graphql::Response) -> HttpResponse {
    if let Some(seconds) = refused_for_rate(answer)
        && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The seconds to wait when `answer` is a refusal by a rate limit and nothing else: no data,
/// one `RATE_LIMITED` error.
fn refused_for_rate(answer: &async_graphql::Response) -> Option<u64> {
    let [error] = answer.errors.as_slice() else {
        return None;
    };
    if !matches!(answer.data, async_graphql::Value::Null)
        || graphql::errors::code_of(error).as_deref() != Some(code::RATE_LIMITED)
    {
        return None;
    }
    match error.extensions.as_ref()?.get("retryAfterSeconds")? {
        async_graphql::Value::Number(seconds) => seconds.as_u64(),
        _ => None,
    }
}
