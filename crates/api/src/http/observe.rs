//! One log line and one set of figures per request: the request id (taken
//! from `x-request-id` when the client sent a sensible one, else made, and
//! always returned), the route, status and duration, and for GraphQL the
//! operation names, tenant and error codes the handler reports.

use super::{AppState, REQUEST_ID_HEADER};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

/// The id of the request being served (a request extension).
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) String);

/// What a GraphQL handler tells the log about a request (a response
/// extension).
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestSummary {
    /// The operations' names, comma-separated.
    pub(crate) operations: String,
    /// The tenant the token named, when it was valid.
    pub(crate) tenant: Option<String>,
    /// The distinct error codes answered, comma-separated.
    pub(crate) codes: String,
}

/// The routes figures are kept for; anything else counts as `unmatched`, so
/// scanners cannot grow the label set.
fn route_label(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ => "unmatched",
    }
}

/// The client's request id when it is sensible, else a fresh one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// Wraps every request: its id, a span carrying it, a log line and figures.
pub(super) async fn observe(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    let route = route_label(request.uri().path());
    let method = request.method().clone();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();
    let status = response.status();
    state
        .telemetry
        .record_request(route, status.as_u16(), elapsed);
    let summary = response
        .extensions_mut()
        .remove::<RequestSummary>()
        .unwrap_or_default();
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    let tenant = summary.tenant.as_deref().unwrap_or("-");
    macro_rules! log {
        ($level:ident) => {
            tracing::$level!(
                request_id = %id,
                %method,
                route,
                status = status.as_u16(),
                duration_ms,
                operation = %summary.operations,
                tenant,
                codes = %summary.codes,
                "request"
            )
        };
    }
    if status.is_server_error() {
        log!(warn);
    } else if route == "/graphql" {
        log!(info);
    } else {
        // Probes and scrapes come every few seconds.
        log!(debug);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    response
}
