//! The HTTP face of journeyd: `/graphql` (GraphQL over HTTP, or GraphiQL in
//! a browser), `GET /healthz`, `GET /readyz` and `GET /metrics`.

mod admission;
mod cache;
mod graphql;
mod observe;
mod outage;

pub use admission::{AdmissionConfig, RateLimit};

use crate::auth::Authenticator;
use crate::graphql::{ApiSchema, Limits, build_schema};
use crate::telemetry::Telemetry;
use admission::Admission;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cache::Caches;
use journeyd_persistence::Store;
use outage::Outage;
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
    telemetry: Arc<Telemetry>,
    admission: Arc<Admission>,
    outage: Arc<Outage>,
    caches: Arc<Caches>,
}

impl AppState {
    /// The state of a service over `store` that checks tokens with `auth`
    /// and holds requests to `limits`.
    pub fn new(store: Store, auth: Authenticator, limits: &Limits) -> Self {
        let telemetry = Arc::new(Telemetry::default());
        Self {
            schema: build_schema(store.clone(), limits, Arc::clone(&telemetry)),
            auth,
            outage: Outage::new(store.clone()),
            store,
            limits: Arc::new(limits.clone()),
            cors_origins: Arc::new([]),
            telemetry,
            admission: Arc::new(Admission::new(&AdmissionConfig::default())),
            caches: Arc::new(Caches::new(
                DOCUMENT_CACHE_BYTES,
                DEFAULT_ANSWER_CACHE_BYTES,
            )),
        }
    }

    /// Keeps at most `bytes` of journey-map answers in the cache (0: none).
    pub fn with_answer_cache_bytes(mut self, bytes: usize) -> Self {
        self.caches = Arc::new(Caches::new(DOCUMENT_CACHE_BYTES, bytes));
        self
    }

    /// Holds the service to `config`: requests in flight, tenants' rates.
    pub fn with_admission(mut self, config: &AdmissionConfig) -> Self {
        self.admission = Arc::new(Admission::new(config));
        self
    }

    /// Lets browsers on `origins` (e.g. `https://app.example.com`) call the
    /// API across origins. Without any, only same-origin pages can.
    pub fn with_cors_origins(mut self, origins: Vec<HeaderValue>) -> Self {
        self.cors_origins = origins.into();
        self
    }
}

/// The query text the document cache holds at most.
const DOCUMENT_CACHE_BYTES: usize = 4 << 20;

/// The journey-map answers the cache holds at most, by default.
pub const DEFAULT_ANSWER_CACHE_BYTES: usize = 16 << 20;

/// The router serving journeyd's HTTP endpoints.
pub fn router(state: AppState) -> Router {
    let cors = (!state.cors_origins.is_empty()).then(|| cors_layer(&state.cors_origins));
    let router = Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get)
                .post(graphql::graphql_post)
                .route_layer(from_fn_with_state(state.clone(), admission::admit)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state.clone());
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state, observe::observe))
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

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.store.database().ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "not ready: database unreachable");
            state.outage.report();
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "not ready: database did not answer");
            state.outage.report();
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Prometheus figures (text exposition format).
async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.telemetry.render(
        state.store.database().pool_status(),
        state.admission.in_flight(),
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}
