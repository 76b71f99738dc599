//! The auth matrix over HTTP: missing, malformed, forged, expired and
//! foreign tokens; missing scopes; another tenant's ids.

use journeyd_e2e::{
    OTHER_TENANT, TENANT, TEST_SECRET, TestApp, app, error_code, on_both_databases,
};
use journeyd_persistence::testing::TestBackend;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

on_both_databases!(app =>
    missing_or_broken_tokens_are_unauthenticated,
    forged_expired_and_unknown_tenant_tokens_are_unauthenticated,
    scopes_gate_reads_and_writes,
    other_tenants_ids_are_not_found,
);

on_both_databases!(app_with_issuer =>
    issuer_and_audience_are_enforced_when_configured,
);

async fn app_with_issuer(backend: TestBackend) -> Option<TestApp> {
    TestApp::spawn_with(backend, Some("https://auth.example"), Some("journeyd")).await
}

const READ: &str = "{ journeys(first: 1) { totalCount } }";
const WRITE: &str =
    "mutation { createJourney(input: {name: \"x\", template: EMPTY}) { journey { id } } }";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(claims: Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn raw_request(app: &TestApp, authorization: &str) -> Value {
    app.client()
        .post(app.graphql_url())
        .header("authorization", authorization)
        .json(&json!({ "query": READ }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn missing_or_broken_tokens_are_unauthenticated(app: TestApp) {
    assert_eq!(
        app.error_code(None, READ, json!({})).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.error_code(None, WRITE, json!({})).await,
        "UNAUTHENTICATED"
    );
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer not.a.jwt",
        "Bearer ....",
        "Token abc",
    ] {
        assert_eq!(
            error_code(&raw_request(&app, header).await),
            "UNAUTHENTICATED",
            "{header}"
        );
    }
    let body = app.post(None, "{ viewer { subject } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(body["data"].is_null() || body["data"]["viewer"].is_null());
}

async fn forged_expired_and_unknown_tenant_tokens_are_unauthenticated(app: TestApp) {
    let scope = "journeys:read journeys:write";
    let claims = |tenant: &str, exp: u64| json!({ "sub": "t", "tenant": tenant, "scope": scope, "exp": exp });
    let cases = [
        (
            "wrong secret",
            sign(
                claims(TENANT, now() + 600),
                b"some-other-secret-that-is-long-enough!!",
            ),
        ),
        ("expired", sign(claims(TENANT, now() - 3600), TEST_SECRET)),
        (
            "unknown tenant",
            sign(claims("ghost", now() + 600), TEST_SECRET),
        ),
        (
            "not yet valid",
            sign(
                json!({ "sub": "t", "tenant": TENANT, "scope": scope, "exp": now() + 600, "nbf": now() + 3600 }),
                TEST_SECRET,
            ),
        ),
        (
            "no exp",
            sign(
                json!({ "sub": "t", "tenant": TENANT, "scope": scope }),
                TEST_SECRET,
            ),
        ),
    ];
    for (case, token) in cases {
        assert_eq!(
            app.error_code(Some(&token), READ, json!({})).await,
            "UNAUTHENTICATED",
            "{case}"
        );
    }
    // A valid token with its payload swapped for another tenant's.
    let valid = app.token(TENANT, scope);
    let parts: Vec<&str> = valid.split('.').collect();
    let other_payload = sign(claims(OTHER_TENANT, now() + 600), TEST_SECRET);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        other_payload.split('.').nth(1).unwrap(),
        parts[2]
    );
    assert_eq!(
        app.error_code(Some(&tampered), READ, json!({})).await,
        "UNAUTHENTICATED"
    );
    // An unsigned token.
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    assert_eq!(
        app.error_code(Some(&unsigned), READ, json!({})).await,
        "UNAUTHENTICATED"
    );
    // The genuine token works.
    app.data(&valid, READ, json!({})).await;
}

async fn scopes_gate_reads_and_writes(app: TestApp) {
    let reader = app.token(TENANT, "journeys:read");
    let writer = app.token(TENANT, "journeys:write");
    let bi = app.token(TENANT, "metrics:read");
    app.data(&reader, READ, json!({})).await;
    assert_eq!(
        app.error_code(Some(&reader), WRITE, json!({})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(Some(&writer), READ, json!({})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(Some(&bi), READ, json!({})).await,
        "FORBIDDEN"
    );
    app.data(&writer, WRITE, json!({})).await;
    let viewer = app
        .data(&bi, "{ viewer { subject tenant scopes } }", json!({}))
        .await;
    assert_eq!(
        viewer["viewer"],
        json!({ "subject": "e2e", "tenant": TENANT, "scopes": ["metrics:read"] })
    );
    let count = app.data(&reader, READ, json!({})).await;
    assert_eq!(
        count["journeys"]["totalCount"], 1,
        "only the writer's journey exists"
    );
}

async fn other_tenants_ids_are_not_found(app: TestApp) {
    let mine = app.admin_token();
    let theirs = app.token(OTHER_TENANT, "journeys:read journeys:write");
    let created = app
        .data(&mine, "mutation { createJourney(input: {name: \"Secret\", template: CLASSIC}) { journey { id phases { id } } } }", json!({}))
        .await;
    let journey = created["createJourney"]["journey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let phase = created["createJourney"]["journey"]["phases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let channel = app
        .data(
            &mine,
            "mutation { createChannel(input: {name: \"Web\", kind: WEB}) { channel { id } } }",
            json!({}),
        )
        .await["createChannel"]["channel"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempts = [
        (
            "query($id: ID!) { journey(id: $id) { name } }",
            json!({ "id": journey }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": journey }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": phase }),
        ),
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": channel }),
        ),
        (
            "mutation($id: ID!) { updateJourney(input: {id: $id, version: 1, name: \"Mine\"}) { journey { id } } }",
            json!({ "id": journey }),
        ),
        (
            "mutation($id: ID!) { deleteJourney(input: {id: $id}) { deletedId } }",
            json!({ "id": journey }),
        ),
        (
            "mutation($id: ID!) { addPhase(input: {journeyId: $id, name: \"x\", stage: DECISION}) { phase { id } } }",
            json!({ "id": journey }),
        ),
        (
            "mutation($id: ID!) { removePhase(input: {id: $id, cascade: true}) { deletedId } }",
            json!({ "id": phase }),
        ),
        (
            "mutation($id: ID!) { deleteChannel(input: {id: $id}) { deletedId } }",
            json!({ "id": channel }),
        ),
    ];
    for (query, variables) in attempts {
        let body = app.post(Some(&theirs), query, variables).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
        assert!(!body.to_string().contains("Secret"), "{body}");
    }
    let listed = app
        .data(
            &theirs,
            "{ journeys { totalCount nodes { id } } channels { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed,
        json!({ "journeys": { "totalCount": 0, "nodes": [] }, "channels": [] })
    );
    let still = app
        .data(
            &mine,
            "query($id: ID!) { journey(id: $id) { name phases { id } } }",
            json!({ "id": journey }),
        )
        .await;
    assert_eq!(still["journey"]["name"], "Secret");
    assert_eq!(still["journey"]["phases"].as_array().unwrap().len(), 5);
}

async fn issuer_and_audience_are_enforced_when_configured(app: TestApp) {
    let base = |iss: Option<&str>, aud: Option<&str>| {
        let mut claims =
            json!({ "sub": "t", "tenant": TENANT, "scope": "journeys:read", "exp": now() + 600 });
        if let Some(iss) = iss {
            claims["iss"] = json!(iss);
        }
        if let Some(aud) = aud {
            claims["aud"] = json!(aud);
        }
        sign(claims, TEST_SECRET)
    };
    let good = base(Some("https://auth.example"), Some("journeyd"));
    app.data(&good, READ, json!({})).await;
    for (case, token) in [
        (
            "wrong iss",
            base(Some("https://evil.example"), Some("journeyd")),
        ),
        (
            "wrong aud",
            base(Some("https://auth.example"), Some("other")),
        ),
        ("no iss", base(None, Some("journeyd"))),
        ("no aud", base(Some("https://auth.example"), None)),
    ] {
        assert_eq!(
            app.error_code(Some(&token), READ, json!({})).await,
            "UNAUTHENTICATED",
            "{case}"
        );
    }
    // Tokens issued by the service itself carry the configured iss and aud.
    app.data(&app.token(TENANT, "journeys:read"), READ, json!({}))
        .await;
}
