//! The end-to-end harness: starts journeyd on a free port over a fresh
//! database (SQLite, or PostgreSQL when `JOURNEYD_TEST_DATABASE_URL` is set)
//! and talks to it over HTTP with real tokens, the way clients do.

use journeyd::{ServeOptions, serve};
use journeyd_api::auth::Authenticator;
use journeyd_api::{AdmissionConfig, AppState, AuthConfig, Limits, TokenIssuer};
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

/// How a test server is configured.
pub struct AppOptions {
    /// Token settings (default: HS256 with [`TEST_SECRET`], 5 s leeway).
    pub auth: AuthConfig,
    /// Request limits (default: the service's defaults).
    pub limits: Limits,
    /// Origins allowed by CORS (default: none).
    pub cors_origins: Vec<String>,
    /// Load shedding and rate limits (default: the service's defaults).
    pub admission: AdmissionConfig,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            auth: AuthConfig {
                leeway: Duration::from_secs(5),
                ..AuthConfig::hs256(TEST_SECRET)
            },
            limits: Limits::default(),
            cors_origins: Vec::new(),
            admission: AdmissionConfig::default(),
        }
    }
}

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
        let mut options = AppOptions::default();
        options.auth.issuer = issuer.map(str::to_owned);
        options.auth.audience = audience.map(str::to_owned);
        Self::spawn_with_options(backend, options).await
    }

    /// Like [`spawn`](Self::spawn), configured by `options`.
    pub async fn spawn_with_options(backend: TestBackend, options: AppOptions) -> Option<Self> {
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
        let auth = options.auth;
        let authenticator = Authenticator::from_config(&auth, store.clone())
            .await
            .expect("the token configuration works");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let origins = options
            .cors_origins
            .iter()
            .map(|o| o.parse().expect("a valid origin"))
            .collect();
        let state = AppState::new(store.clone(), authenticator, &options.limits)
            .with_cors_origins(origins)
            .with_admission(&options.admission);
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

    /// The figures at `/metrics`.
    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(format!("{}/metrics", self.base_url))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200);
        response.text().await.expect("the figures")
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

/// The value of the series `series` (name and labels exactly as exposed)
/// in Prometheus text, or 0 when it is absent.
pub fn figure(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().expect("a number"))
        .unwrap_or(0.0)
}

/// The fixture constructor for [`on_both_databases!`].
pub async fn app(backend: TestBackend) -> Option<TestApp> {
    TestApp::spawn(backend).await
}

/// One object of every kind, created through the API for one tenant: a
/// FOUR_STEP journey with a touchpoint (keys `step-0`..`step-3`) in each
/// phase, a channel, a persona linked to the journey, a trigger, an insight,
/// and a customer with one interaction.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The journey's global id.
    pub journey: String,
    /// Its phases' global ids, in order.
    pub phases: Vec<String>,
    /// The channel's global id.
    pub channel: String,
    /// The touchpoints' global ids, one per phase.
    pub touchpoints: Vec<String>,
    /// The persona's global id.
    pub persona: String,
    /// The trigger's global id.
    pub trigger: String,
    /// The insight's global id.
    pub insight: String,
    /// The customer's external id.
    pub customer: String,
    /// The customer's global id.
    pub customer_id: String,
}

impl TestApp {
    /// Creates one object of every kind for `tenant` (see [`Seeded`]).
    pub async fn seed(&self, tenant: &str) -> Seeded {
        let token = self.token(tenant, ALL_SCOPES);
        let journey = self
            .data(
                &token,
                "mutation { createJourney(input: {name: \"Shop\", template: FOUR_STEP}) { journey { id phases { id } } } }",
                json!({}),
            )
            .await["createJourney"]["journey"]
            .clone();
        let journey_id = id_of(&journey);
        let phases: Vec<String> = journey["phases"]
            .as_array()
            .expect("phases")
            .iter()
            .map(id_of)
            .collect();
        let channel = id_of(
            &self
                .data(
                    &token,
                    "mutation { createChannel(input: {name: \"Web\", kind: WEB}) { channel { id } } }",
                    json!({}),
                )
                .await["createChannel"]["channel"],
        );
        let mut touchpoints = Vec::new();
        for (i, phase) in phases.iter().enumerate() {
            touchpoints.push(id_of(
                &self
                    .data(
                        &token,
                        "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id } } }",
                        json!({ "input": { "phaseId": phase, "channelId": channel,
                                           "key": format!("step-{i}"), "name": format!("Step {i}") } }),
                    )
                    .await["createTouchpoint"]["touchpoint"],
            ));
        }
        let persona = id_of(
            &self
                .data(
                    &token,
                    "mutation { createPersona(input: {name: \"Sam\"}) { persona { id } } }",
                    json!({}),
                )
                .await["createPersona"]["persona"],
        );
        self.data(
            &token,
            "mutation($j: ID!, $p: ID!) { linkPersona(input: {journeyId: $j, personaId: $p}) { journey { id } } }",
            json!({ "j": journey_id, "p": persona }),
        )
        .await;
        let trigger = id_of(
            &self
                .data(
                    &token,
                    "mutation($j: ID!) { createTrigger(input: {journeyId: $j, name: \"Ad\", kind: ADVERTISEMENT}) { trigger { id } } }",
                    json!({ "j": journey_id }),
                )
                .await["createTrigger"]["trigger"],
        );
        let insight = id_of(
            &self
                .data(
                    &token,
                    "mutation($j: ID!, $t: ID!) { createInsight(input: {journeyId: $j, touchpointId: $t, kind: PAIN_POINT, title: \"Slow\"}) { insight { id } } }",
                    json!({ "j": journey_id, "t": touchpoints[0] }),
                )
                .await["createInsight"]["insight"],
        );
        let customer = format!("{tenant}-customer");
        let recorded = self
            .data(
                &token,
                "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { accepted } }",
                json!({ "input": { "interactions": [{
                    "externalId": format!("{tenant}-e1"), "customerExternalId": customer,
                    "touchpointId": touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z", "sentiment": 1 }] } }),
            )
            .await;
        assert_eq!(recorded["recordInteractions"]["accepted"], 1);
        let customer_id = id_of(
            &self
                .data(
                    &token,
                    "query($c: String!) { customer(externalId: $c) { id } }",
                    json!({ "c": customer }),
                )
                .await["customer"],
        );
        Seeded {
            journey: journey_id,
            phases,
            channel,
            touchpoints,
            persona,
            trigger,
            insight,
            customer,
            customer_id,
        }
    }
}

fn id_of(object: &Value) -> String {
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an object with an id, got {object}"))
        .to_owned()
}
