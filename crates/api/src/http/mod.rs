//! The HTTP face of journeyd: `/graphql` (GraphQL over HTTP, or GraphiQL in
//! a browser), `GET /healthz` and `GET /readyz`.

mod graphql;

use crate::auth::Authenticator;
use crate::graphql::{ApiSchema, Limits, build_schema};
use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use journeyd_persistence::Store;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The header that carries a request's id, in and out.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a request handler needs, built once at start-up.
#[derive(Clone)]
pub struct AppState {
    schema: ApiSchema,
    store: Store,
    auth: Authenticator,
    limits: Arc<Limits>,
    cors_origins: Arc<[HeaderValue]>,
}

impl AppState {
    /// The state of a service over `store` that checks tokens with `auth`
    /// and holds requests to `limits`.
    pub fn new(store: Store, auth: Authenticator, limits: &Limits) -> Self {
        Self {
            schema: build_schema(store.clone(), limits),
            auth,
            store,
            limits: Arc::new(limits.clone()),
            cors_origins: Arc::new([]),
        }
    }

    /// Lets browsers on `origins` (e.g. `https://app.example.com`) call the
    /// API across origins. Without any, only same-origin pages can.
    pub fn with_cors_origins(mut self, origins: Vec<HeaderValue>) -> Self {
        self.cors_origins = origins.into();
        self
    }
}

/// The router serving journeyd's HTTP endpoints.
pub fn router(state: AppState) -> Router {
    let cors = (!state.cors_origins.is_empty()).then(|| cors_layer(&state.cors_origins));
    let router = Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get).post(graphql::graphql_post),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state);
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router.layer(CatchPanicLayer::custom(panic_response))
}

fn cors_layer(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            REQUEST_ID_HEADER.clone(),
            graphql::CSRF_HEADER.clone(),
        ])
        .expose_headers([REQUEST_ID_HEADER.clone()])
        .max_age(Duration::from_secs(600))
}

/// A panic is a bug: log it, answer a masked error, keep serving.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    let id = uuid::Uuid::now_v7().to_string();
    tracing::error!(request_id = %id, panic = %detail, "request handler panicked");
    graphql::error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        graphql::Media::Json,
        &format!("internal error (request {id})"),
        "INTERNAL",
    )
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

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.database().ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}
