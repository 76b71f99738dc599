//! `/graphql` as the GraphQL-over-HTTP specification describes it.
//!
//! - `POST` with `Content-Type: application/json` carries one request object
//!   (`query`, `operationName`, `variables`, `extensions`) or a batch (an
//!   array of them); any other content type is refused with 415, so a
//!   cross-site HTML form cannot post a query.
//! - `GET` carries the same fields as URL parameters (`variables` and
//!   `extensions` as JSON). It runs queries only: a mutation is refused with
//!   405. Browsers opening the endpoint get GraphiQL.
//! - The response is `application/graphql-response+json` when the client
//!   accepts it, else `application/json`. With the former a request that
//!   never ran (unparsable, invalid, over a limit) is answered 400 and has no
//!   `data`; with the latter every GraphQL response is answered 200, as older
//!   clients expect.
//! - Every error carries `extensions.code`.

use super::AppState;
use super::cache::{Caches, Hash, digest, query_hash, reads_map_only};
use super::observe::{RequestId, RequestSummary};
use crate::auth::{AuthError, Session};
use crate::error::REQUEST_ID;
use crate::graphql::limits::{
    LIMIT_EXCEEDED, check_document, check_nesting, coded_error, operation_type, selected_operation,
};
use crate::graphql::{Limits, Loaders, MetricsMemo, RequestData};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError, Value};
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use journeyd_domain::Scope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A header that a browser only sends cross-site after a CORS preflight; a
/// `GET` without a token must carry it (or `apollo-require-preflight`).
pub static CSRF_HEADER: HeaderName = HeaderName::from_static("x-graphql-csrf");
static APOLLO_PREFLIGHT_HEADER: HeaderName = HeaderName::from_static("apollo-require-preflight");

/// The response media types journeyd speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Media {
    /// `application/graphql-response+json`: status codes tell request errors
    /// apart.
    GraphqlResponse,
    /// `application/json`: 200 for every GraphQL response.
    Json,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    /// The media type the `Accept` header prefers, `None` if it accepts
    /// neither. No header (or `*/*`) means `application/json`.
    pub(super) fn negotiate(headers: &HeaderMap) -> Option<Media> {
        let Some(accept) = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
        else {
            return Some(Media::Json);
        };
        let mut graphql = 0.0_f32;
        // (specificity, q) of the most specific range matching application/json.
        let mut json: Option<(u8, f32)> = None;
        for range in accept.split(',') {
            let mut params = range.split(';');
            let media = params.next().unwrap_or_default().trim();
            let q = params
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q))
                .unwrap_or(1.0);
            let specificity = if media.eq_ignore_ascii_case("application/graphql-response+json") {
                graphql = q;
                continue;
            } else if media.eq_ignore_ascii_case("application/json") {
                2
            } else if media.eq_ignore_ascii_case("application/*") {
                1
            } else if media == "*/*" {
                0
            } else {
                continue;
            };
            if json.is_none_or(|(s, _)| s <= specificity) {
                json = Some((specificity, q));
            }
        }
        let json = json.map_or(0.0, |(_, q)| q);
        if graphql > 0.0 && graphql >= json {
            Some(Media::GraphqlResponse)
        } else if json > 0.0 {
            Some(Media::Json)
        } else {
            None
        }
    }
}

/// A response with one error carrying `code`, for a request that could not
/// be run at all.
pub(super) fn error_response(
    status: StatusCode,
    media: Media,
    message: &str,
    code: &str,
) -> axum::response::Response {
    let errors = [coded_error(message, code)];
    json_response(status, media, &ResponseBody::from_errors(&errors))
}

fn json_response(
    status: StatusCode,
    media: Media,
    body: &impl Serialize,
) -> axum::response::Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, media.content_type())],
            Bytes::from(bytes),
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "a response did not serialize");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A refusal before anything ran: status, message, code.
struct Refusal {
    status: StatusCode,
    message: String,
    code: &'static str,
    /// Seconds after which a retry may succeed (`Retry-After`).
    retry_after: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>, code: &'static str) -> Self {
        Self {
            status,
            message: message.into(),
            code,
            retry_after: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, "BAD_REQUEST")
    }

    fn respond(self, state: &AppState, media: Media) -> axum::response::Response {
        state.telemetry.record_refusal(self.code);
        let mut response = error_response(self.status, media, &self.message, self.code);
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        if let Some(wait) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        response.extensions_mut().insert(RequestSummary {
            codes: self.code.to_owned(),
            ..RequestSummary::default()
        });
        response
    }
}

/// `POST /graphql`.
pub(super) async fn graphql_post(
    State(state): State<AppState>,
    Extension(RequestId(id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> axum::response::Response {
    let outcome = async {
        let media = Media::negotiate(&headers).ok_or_else(not_acceptable)?;
        let requests = read_post(&headers, body, &state.limits)
            .await
            .map_err(|refusal| (media, refusal))?;
        Ok::<_, (Media, Refusal)>((media, requests))
    }
    .await;
    match outcome {
        Ok((media, requests)) => execute(&state, &headers, &id, media, requests, false).await,
        Err((media, refusal)) => refusal.respond(&state, media),
    }
}

fn not_acceptable() -> (Media, Refusal) {
    (
        Media::Json,
        Refusal::new(
            StatusCode::NOT_ACCEPTABLE,
            "responses are application/graphql-response+json or application/json; \
             the Accept header allows neither",
            "NOT_ACCEPTABLE",
        ),
    )
}

/// The parameters of `GET /graphql`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// `GET /graphql`: GraphiQL for browsers, a query in the URL for clients.
pub(super) async fn graphql_get(
    State(state): State<AppState>,
    Extension(RequestId(id)): Extension<RequestId>,
    headers: HeaderMap,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> axum::response::Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let no_query = params.as_ref().is_ok_and(|p| p.query.is_none());
    if wants_html && no_query && state.limits.introspection {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    let outcome = Media::negotiate(&headers)
        .ok_or_else(not_acceptable)
        .and_then(|media| {
            read_get(&headers, params)
                .map(|request| (media, request))
                .map_err(|refusal| (media, refusal))
        });
    match outcome {
        Ok((media, request)) => {
            execute(
                &state,
                &headers,
                &id,
                media,
                Requests {
                    items: vec![request],
                    batched: false,
                },
                true,
            )
            .await
        }
        Err((media, refusal)) => refusal.respond(&state, media),
    }
}

/// One request, or a batch of them (a JSON array, answered with one).
struct Requests {
    items: Vec<Request>,
    batched: bool,
}

async fn read_post(headers: &HeaderMap, body: Body, limits: &Limits) -> Result<Requests, Refusal> {
    check_content_type(headers)?;
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than the limit of {} bytes",
                limits.max_body_bytes
            ),
            LIMIT_EXCEEDED,
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, limits.max_body_bytes)
        .await
        .map_err(|err| {
            if is_length_limit(&err) {
                too_large()
            } else {
                Refusal::bad_request("the request body could not be read")
            }
        })?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let requests = match first {
        Some(b'[') => {
            let batch: Vec<Request> = serde_json::from_slice(&bytes).map_err(malformed)?;
            if batch.is_empty() {
                return Err(Refusal::bad_request("the batch is empty"));
            }
            if batch.len() > limits.max_batch_operations {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "the batch has {} operations, at most {} are allowed",
                        batch.len(),
                        limits.max_batch_operations
                    ),
                    LIMIT_EXCEEDED,
                ));
            }
            Requests {
                items: batch,
                batched: true,
            }
        }
        Some(b'{') => Requests {
            items: vec![serde_json::from_slice(&bytes).map_err(malformed)?],
            batched: false,
        },
        _ => {
            return Err(Refusal::bad_request(
                "the body must be a JSON object (or an array of them) with a `query`",
            ));
        }
    };
    if requests
        .items
        .iter()
        .any(|r| r.query.is_empty() && !has_persisted_query(r))
    {
        return Err(Refusal::bad_request("the request has no `query`"));
    }
    Ok(requests)
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

fn malformed(err: serde_json::Error) -> Refusal {
    Refusal::bad_request(format!("the body is not a valid GraphQL request: {err}"))
}

/// POST bodies must be JSON: a form or `text/plain` post (which a browser
/// sends cross-site without asking) is refused.
fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or_default().trim();
    let charset_ok = parts.all(|p| {
        let mut kv = p.splitn(2, '=');
        let key = kv.next().unwrap_or_default().trim();
        let value = kv.next().unwrap_or_default().trim().trim_matches('"');
        !key.eq_ignore_ascii_case("charset") || value.eq_ignore_ascii_case("utf-8")
    });
    if media.eq_ignore_ascii_case("application/json") && charset_ok {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a POST body must be application/json (UTF-8)",
            "UNSUPPORTED_MEDIA_TYPE",
        ))
    }
}

fn read_get(
    headers: &HeaderMap,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Request, Refusal> {
    let Query(params) =
        params.map_err(|_| Refusal::bad_request("the URL parameters could not be read"))?;
    let preflighted = headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key(&CSRF_HEADER)
        || headers.contains_key(&APOLLO_PREFLIGHT_HEADER);
    if !preflighted {
        return Err(Refusal::bad_request(
            "a GET request needs an Authorization header or an `x-graphql-csrf` header \
             (CSRF protection)",
        ));
    }
    let mut request = Request::new(params.query.unwrap_or_default());
    request.operation_name = params.operation_name;
    if let Some(variables) = params.variables.filter(|v| !v.is_empty()) {
        request.variables = serde_json::from_str(&variables)
            .map_err(|e| Refusal::bad_request(format!("`variables` is not a JSON object: {e}")))?;
    }
    if let Some(extensions) = params.extensions.filter(|v| !v.is_empty()) {
        request.extensions = serde_json::from_str(&extensions)
            .map_err(|e| Refusal::bad_request(format!("`extensions` is not a JSON object: {e}")))?;
    }
    if request.query.is_empty() && !has_persisted_query(&request) {
        return Err(Refusal::bad_request(
            "a GET request needs a `query` parameter",
        ));
    }
    Ok(request)
}

/// Parses `request`'s document and holds it to the document limits, or
/// takes both from the document cache; resolves an APQ hash to its text. A
/// refusal here is a GraphQL request error (no `data`).
fn prepare(
    request: &mut Request,
    limits: &Limits,
    by_get: bool,
    caches: &Caches,
) -> Result<(), PrepareError> {
    let persisted = persisted_query_hash(request).map_err(PrepareError::Request)?;
    if request.query.is_empty() {
        // Automatic persisted queries: the hash alone, once the text is known.
        let cached = persisted
            .and_then(|hash| caches.document(&hash))
            .ok_or_else(|| {
                PrepareError::Request(coded_error(
                    "PersistedQueryNotFound",
                    "PERSISTED_QUERY_NOT_FOUND",
                ))
            })?;
        request.query = cached.query.clone();
        request.set_parsed_query(cached.document.clone());
    } else {
        if request.query.len() > limits.max_document_bytes {
            return Err(PrepareError::Request(coded_error(
                format!(
                    "the document is {} bytes long, at most {} are allowed",
                    request.query.len(),
                    limits.max_document_bytes
                ),
                LIMIT_EXCEEDED,
            )));
        }
        let hash = query_hash(&request.query);
        if persisted.is_some_and(|persisted| persisted != hash) {
            return Err(PrepareError::Request(coded_error(
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query",
                "BAD_REQUEST",
            )));
        }
        match caches.document(&hash) {
            Some(cached) => request.set_parsed_query(cached.document.clone()),
            None => {
                let doc = parse_and_check(request, limits)?;
                caches.keep_document(hash, request.query.clone(), doc);
            }
        }
    }
    let operation_name = request.operation_name.clone();
    let doc = request.parsed_query().map_err(PrepareError::Request)?;
    if by_get && operation_type(doc, operation_name.as_deref()) == Some(OperationType::Mutation) {
        return Err(PrepareError::Refused(Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
            "METHOD_NOT_ALLOWED",
        )));
    }
    Ok(())
}

/// Parses the request's query and holds the document to the limits;
/// returns a copy for the cache.
fn parse_and_check(
    request: &mut Request,
    limits: &Limits,
) -> Result<ExecutableDocument, PrepareError> {
    check_nesting(&request.query).map_err(PrepareError::Request)?;
    let doc = request.parsed_query().map_err(|mut err| {
        // The parser's message quotes the whole offending line; keep its
        // verdict (the position is in `locations`).
        let verdict = err
            .message
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches([' ', '='])
            .chars()
            .take(200)
            .collect::<String>();
        err.message = format!("syntax error: {verdict}");
        set_code(&mut err, "GRAPHQL_PARSE_FAILED");
        PrepareError::Request(err)
    })?;
    check_document(doc, limits).map_err(PrepareError::Request)?;
    Ok(doc.clone())
}

/// The hash of `extensions.persistedQuery` (APQ, version 1), if any.
fn persisted_query_hash(request: &Request) -> Result<Option<Hash>, ServerError> {
    let Some(extension) = request.extensions.0.get("persistedQuery") else {
        return Ok(None);
    };
    let invalid = || {
        coded_error(
            "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}",
            "BAD_REQUEST",
        )
    };
    let Value::Object(fields) = extension else {
        return Err(invalid());
    };
    if fields.get("version") != Some(&Value::from(1)) {
        return Err(invalid());
    }
    let Some(Value::String(hex)) = fields.get("sha256Hash") else {
        return Err(invalid());
    };
    let mut hash = [0u8; 32];
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(invalid());
    }
    for (byte, pair) in hash.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| invalid())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
    }
    Ok(Some(hash))
}

/// Whether a request names its query by an APQ hash.
fn has_persisted_query(request: &Request) -> bool {
    request.extensions.0.contains_key("persistedQuery")
}

enum PrepareError {
    /// Answered as a GraphQL response with this error.
    Request(ServerError),
    /// Answered at the HTTP level.
    Refused(Refusal),
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    media: Media,
    requests: Requests,
    by_get: bool,
) -> axum::response::Response {
    let limits = &state.limits;
    let Requests {
        items: mut requests,
        batched,
    } = requests;
    // `None`: ready to run; `Some(response)`: answered without running.
    let mut answers: Vec<Option<Response>> = Vec::with_capacity(requests.len());
    for request in &mut requests {
        match prepare(request, limits, by_get, &state.caches) {
            Ok(()) => answers.push(None),
            Err(PrepareError::Request(error)) => {
                answers.push(Some(Response::from_errors(vec![error])))
            }
            Err(PrepareError::Refused(refusal)) => return refusal.respond(state, media),
        }
    }

    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let runnable = answers.iter().filter(|a| a.is_none()).count();
    let run = async {
        if runnable > 0 && state.outage.is_down() {
            return Err(unavailable());
        }
        let session = if runnable > 0 {
            state.auth.authenticate(authorization).await
        } else {
            Err(AuthError::Missing)
        };
        if let Err(AuthError::Lookup) = &session {
            // The token may be fine: the tenant could not be looked up.
            state.outage.report();
            return Err(unavailable());
        }
        if let Err(reason) = &session {
            tracing::debug!(request_id = %id, %reason, "request not authenticated");
        }
        if let Ok(session) = &session {
            state
                .admission
                .check_rate(session.tenant, runnable)
                .map_err(|wait| {
                    state.telemetry.record_rate_limited();
                    rate_limited(wait, &session.tenant_slug)
                })?;
        }
        let mut responses = Vec::with_capacity(requests.len());
        for (mut request, answer) in requests.into_iter().zip(answers) {
            let (name, kind) = describe(&mut request, answer.is_none());
            let started = std::time::Instant::now();
            let mut response = match answer {
                Some(response) => response,
                None => run_one(state, &session, request).await,
            };
            complete_codes(&mut response);
            state.telemetry.record_operation(
                &name,
                kind,
                started.elapsed(),
                error_codes(&response),
            );
            responses.push((name, response));
        }
        Ok::<_, Refusal>((session.ok().map(|s| s.tenant_slug), responses))
    };
    let outcome =
        tokio::time::timeout(limits.request_timeout, REQUEST_ID.scope(id.to_owned(), run)).await;
    let (tenant, responses) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(refusal)) => return refusal.respond(state, media),
        Err(_) => {
            tracing::warn!(request_id = %id, timeout = ?limits.request_timeout, "request timed out");
            let status = match media {
                Media::GraphqlResponse => StatusCode::GATEWAY_TIMEOUT,
                Media::Json => StatusCode::OK,
            };
            let message = format!(
                "the request did not finish within {:?} and was stopped; \
                 changes of an unfinished mutation are not kept",
                limits.request_timeout
            );
            return Refusal::new(status, message, "TIMEOUT").respond(state, media);
        }
    };
    let unavailable = responses
        .iter()
        .any(|(_, r)| error_codes(r).any(|code| code == UNAVAILABLE));
    if unavailable {
        state.outage.report();
    }
    let status = if unavailable {
        // The database is away: tell gateways and clients to come back.
        StatusCode::SERVICE_UNAVAILABLE
    } else if !batched && media == Media::GraphqlResponse && is_request_error(&responses[0].1) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = if batched {
        let bodies: Vec<ResponseBody> =
            responses.iter().map(|(_, r)| ResponseBody::of(r)).collect();
        json_response(status, media, &bodies)
    } else {
        json_response(status, media, &ResponseBody::of(&responses[0].1))
    };
    if unavailable {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    let mut codes: Vec<&str> = responses.iter().flat_map(|(_, r)| error_codes(r)).collect();
    codes.sort_unstable();
    codes.dedup();
    response.extensions_mut().insert(RequestSummary {
        operations: responses
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(","),
        tenant,
        codes: codes.join(","),
    });
    response
}

/// Runs one prepared request, answering a journey-map query from the cache
/// while the tenant's map epoch is the one the cached answer was read at.
async fn run_one(
    state: &AppState,
    session: &Result<Session, AuthError>,
    mut request: Request,
) -> Response {
    let cache = match session {
        Ok(session) => answer_key(state, session, &mut request),
        Err(_) => None,
    };
    let epoch = match (&cache, session) {
        // A failed read leaves the request to run and report it.
        (Some(_), Ok(session)) => state.store.map_epoch(session.tenant).await.ok(),
        _ => None,
    };
    if let (Some(key), Some(epoch)) = (&cache, epoch) {
        let hit = state.caches.answer(key).filter(|hit| hit.epoch == epoch);
        state.telemetry.record_map_cache(hit.is_some());
        if let Some(hit) = hit {
            return Response::new((*hit.data).clone());
        }
    }
    let mut request = request.data(RequestData {
        session: session.clone(),
    });
    if let Ok(session) = session {
        request = request
            .data(Loaders::new(state.store.clone(), session.tenant))
            .data(MetricsMemo::default());
    }
    let response = state.schema.execute(request).await;
    if let (Some(key), Some(epoch)) = (cache, epoch)
        && response.errors.is_empty()
    {
        state.caches.keep_answer(key, epoch, response.data.clone());
    }
    response
}

/// The answer-cache key of a request that reads journey-map data only, for
/// a session allowed to read it.
fn answer_key(state: &AppState, session: &Session, request: &mut Request) -> Option<Hash> {
    if !state.caches.answers_enabled() || !session.grants(Scope::JourneysRead) {
        return None;
    }
    let operation_name = request.operation_name.clone();
    let doc = request.parsed_query().ok()?;
    if !reads_map_only(doc, operation_name.as_deref()) {
        return None;
    }
    let variables = serde_json::to_vec(&request.variables).ok()?;
    Some(digest(&[
        session.tenant.uuid().as_bytes(),
        request.query.as_bytes(),
        operation_name.as_deref().unwrap_or_default().as_bytes(),
        &variables,
    ]))
}

/// The `extensions.code` of a database outage.
const UNAVAILABLE: &str = "UNAVAILABLE";

/// The refusal of a request while the database is away.
fn unavailable() -> Refusal {
    Refusal {
        retry_after: Some(1),
        ..Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable; retry shortly",
            UNAVAILABLE,
        )
    }
}

/// The refusal of a request over its tenant's rate limit.
fn rate_limited(wait: std::time::Duration, tenant: &str) -> Refusal {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    tracing::debug!(tenant, seconds, "tenant rate limit reached");
    Refusal {
        retry_after: Some(seconds),
        ..Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many requests for this tenant; retry in {seconds} s"),
            "RATE_LIMITED",
        )
    }
}

/// The codes of a response's errors.
fn error_codes(response: &Response) -> impl Iterator<Item = &str> {
    response
        .errors
        .iter()
        .filter_map(|error| match error.extensions.as_ref()?.get("code")? {
            Value::String(code) => Some(code.as_str()),
            _ => None,
        })
}

/// The operation's name (for logs and figures) and type. Only a request
/// that passed [`prepare`] is looked into; a name that is not a GraphQL name
/// is not repeated.
fn describe(request: &mut Request, prepared: bool) -> (String, &'static str) {
    let requested = request.operation_name.clone();
    let selected = if prepared {
        request
            .parsed_query()
            .ok()
            .and_then(|doc| selected_operation(doc, requested.as_deref()))
            .map(|(name, op)| (name.map(str::to_owned), op.ty))
    } else {
        None
    };
    let kind = match selected.as_ref().map(|(_, ty)| ty) {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "invalid",
    };
    let name = selected
        .and_then(|(name, _)| name)
        .or(requested)
        .filter(|name| is_graphql_name(name))
        .unwrap_or_else(|| "anonymous".to_owned());
    (name, kind)
}

fn is_graphql_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// A response that never reached execution: no data, only errors without a
/// path (parse, validation, variables, limits).
fn is_request_error(response: &Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The most errors one response lists.
const MAX_ERRORS: usize = 50;

/// Gives every error an `extensions.code`: request errors (no path) are
/// validation failures, field errors without a code come from argument
/// parsing. journeyd's own errors always carry one. A response lists at most
/// [`MAX_ERRORS`] errors.
fn complete_codes(response: &mut Response) {
    if response.errors.len() > MAX_ERRORS {
        let omitted = response.errors.len() - MAX_ERRORS + 1;
        response.errors.truncate(MAX_ERRORS - 1);
        response.errors.push(coded_error(
            format!("{omitted} more errors are not listed"),
            "TOO_MANY_ERRORS",
        ));
    }
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let code = if error.path.is_empty() {
                "GRAPHQL_VALIDATION_FAILED"
            } else {
                "BAD_USER_INPUT"
            };
            set_code(error, code);
        }
    }
}

fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}

/// A GraphQL response as sent: `data` only when execution started.
#[derive(Serialize)]
struct ResponseBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "Option::is_none")]
    extensions: Option<&'a BTreeMap<String, Value>>,
}

impl<'a> ResponseBody<'a> {
    fn of(response: &'a Response) -> Self {
        Self {
            data: (!is_request_error(response)).then_some(&response.data),
            errors: &response.errors,
            extensions: (!response.extensions.is_empty()).then_some(&response.extensions),
        }
    }

    fn from_errors(errors: &'a [ServerError]) -> Self {
        Self {
            data: None,
            errors,
            extensions: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Media> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        Media::negotiate(&headers)
    }

    #[test]
    fn content_negotiation_follows_the_accept_header() {
        assert_eq!(Media::negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept("application/json"), Some(Media::Json));
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(Media::Json)
        );
        assert_eq!(
            accept("application/json;q=0, application/graphql-response+json;q=0.1"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/xml, */*;q=0.1"), Some(Media::Json));
        assert_eq!(accept("application/*;q=0, */*"), None);
    }
}
