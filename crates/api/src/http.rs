//! The HTTP face of journeyd: `POST /graphql` (and `GET /graphql` for
//! queries, or GraphiQL in a browser), `GET /healthz` and `GET /readyz`.

use crate::auth::{AuthConfig, Authenticator};
use crate::error::REQUEST_ID;
use crate::graphql::{ApiSchema, Loaders, RequestData, SchemaLimits, build_schema};
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use journeyd_persistence::Store;
use serde_json::json;

/// The header that carries a request's id, in and out.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a request handler needs, built once at start-up.
#[derive(Clone)]
pub struct AppState {
    schema: ApiSchema,
    store: Store,
    auth: Authenticator,
}

impl AppState {
    /// The state of a service over `store` that checks tokens as `auth` says.
    pub fn new(store: Store, auth: &AuthConfig, limits: &SchemaLimits) -> Self {
        Self {
            schema: build_schema(store.clone(), limits),
            auth: Authenticator::new(auth, store.clone()),
            store,
        }
    }
}

/// The router serving journeyd's HTTP endpoints.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
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

async fn execute(state: AppState, headers: HeaderMap, request: GraphQLRequest) -> Response {
    let id = request_id(&headers);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let session = state.auth.authenticate(authorization).await;
    if let Err(reason) = &session {
        tracing::debug!(request_id = %id, %reason, "request not authenticated");
    }
    let mut request = request.into_inner();
    if let Ok(session) = &session {
        request = request.data(Loaders::new(state.store.clone(), session.tenant));
    }
    request = request.data(RequestData { session });
    let response = REQUEST_ID
        .scope(id.clone(), state.schema.execute(request))
        .await;
    let mut response = GraphQLResponse::from(response).into_response();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    response
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    execute(state, headers, request).await
}

/// GraphiQL for browsers; a query given in the URL for everyone else.
async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    match request {
        Ok(request) if !wants_html => execute(state, headers, request).await,
        _ if wants_html => Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response(),
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [{"message": "a GET request needs a `query` parameter", "extensions": {"code": "BAD_REQUEST"}}]})),
        )
            .into_response(),
    }
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.database().ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}
