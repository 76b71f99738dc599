//! The end-to-end harness: starts journeyd on a free port over a fresh
//! database (SQLite, or PostgreSQL when `JOURNEYD_TEST_DATABASE_URL` is set)
//! and talks to it over HTTP with real tokens, the way clients do.

use journeyd::{ServeOptions, serve};
use journeyd_api::{AppState, AuthConfig, SchemaLimits, TokenIssuer};
use journeyd_domain::{Name, Scopes, TenantSlug};
use journeyd_persistence::Store;
pub use journeyd_persistence::on_both_databases;
use journeyd_persistence::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::oneshot;

/// The secret the test server signs and checks tokens with.
pub const TEST_SECRET: &[u8] = b"an-end-to-end-test-secret-that-is-long-enough";
/// The tenant most tests act for.
pub const TENANT: &str = "acme";
/// A second tenant, for isolation tests.
pub const OTHER_TENANT: &str = "rival";
/// Every scope.
pub const ALL_SCOPES: &str = "journeys:read journeys:write interactions:write metrics:read admin";

/// A running journeyd with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The database behind it.
    pub db: TestDatabase,
    /// Repositories over the same database (for set-up and checks).
    pub store: Store,
    /// The token settings the server uses.
    pub auth: AuthConfig,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// Starts journeyd over a fresh database on `backend` with the tenants
    /// `acme` and `rival`; `None` when PostgreSQL is not configured.
    pub async fn spawn(backend: TestBackend) -> Option<Self> {
        Self::spawn_with(backend, None, None).await
    }

    /// Like [`spawn`](Self::spawn), requiring `iss` and `aud` in tokens.
    pub async fn spawn_with(
        backend: TestBackend,
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Option<Self> {
        let db = TestDatabase::create(backend).await?;
        let store = Store::new(db.database.clone());
        for slug in [TENANT, OTHER_TENANT] {
            store
                .create_tenant(
                    TenantSlug::parse(slug).expect("a valid slug"),
                    Name::parse("name", slug).expect("a valid name"),
                )
                .await
                .expect("create a test tenant");
        }
        let auth = AuthConfig {
            secret: TEST_SECRET.to_vec(),
            issuer: issuer.map(str::to_owned),
            audience: audience.map(str::to_owned),
            leeway: Duration::from_secs(5),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let state = AppState::new(store.clone(), &auth, &SchemaLimits::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let options = ServeOptions {
            shutdown_grace: Duration::from_secs(5),
        };
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            serve(listener, state, shutdown, &options)
                .await
                .expect("the test server runs");
        });
        Some(Self {
            base_url,
            db,
            store,
            auth,
            client: reqwest::Client::new(),
            stop: Some(stop),
        })
    }

    /// A valid token for `tenant` with `scopes`.
    pub fn token(&self, tenant: &str, scopes: &str) -> String {
        TokenIssuer::new(self.auth.clone())
            .issue(
                "e2e",
                &TenantSlug::parse(tenant).expect("a valid slug"),
                &Scopes::parse(scopes).expect("valid scopes"),
                Duration::from_secs(600),
            )
            .expect("sign a token")
    }

    /// A token for the main tenant with every scope.
    pub fn admin_token(&self) -> String {
        self.token(TENANT, ALL_SCOPES)
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.base_url)
    }

    /// The HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Posts a GraphQL request and returns the whole JSON body.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.graphql_url())
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        assert!(
            !response.status().is_server_error(),
            "5xx answer: {}",
            response.status()
        );
        response.json().await.expect("a JSON body")
    }

    /// Posts a GraphQL request that must succeed and returns its `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.post(Some(token), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Posts a GraphQL request that must fail and returns the first error's code.
    pub async fn error_code(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let body = self.post(token, query, variables).await;
        error_code(&body)
    }

    /// How many SQL statements the server's database pool has run so far.
    pub fn statements(&self) -> u64 {
        self.db.database.statements_executed()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The `extensions.code` of the first error of a GraphQL answer.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {body}"))
        .to_owned()
}

/// The fixture constructor for [`on_both_databases!`].
pub async fn app(backend: TestBackend) -> Option<TestApp> {
    TestApp::spawn(backend).await
}
