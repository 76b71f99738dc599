//! Production tokens end to end: RS256, ES256 and EdDSA tokens verified
//! against a JWKS served over HTTP (or read from a file), beside HS256; the
//! token attack matrix; key rotation without restart; a flood of unknown key
//! ids that must not hammer the key server.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use journeyd_api::AuthConfig;
use journeyd_api::auth::{Algorithm, Authenticator, JwksSource};
use journeyd_e2e::{AppOptions, TEST_SECRET, TestApp, error_code, on_both_databases};
use journeyd_persistence::Store;
use journeyd_persistence::testing::{TestBackend, TestDatabase};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

on_both_databases!(fixture =>
    public_key_tokens_verify_against_the_jwks,
    the_token_attack_matrix_is_unauthenticated,
);

on_both_databases!(rotating_fixture =>
    keys_rotate_without_a_restart,
);

on_both_databases!(fixture =>
    a_flood_of_unknown_key_ids_fetches_the_set_at_most_once,
    an_unreachable_key_server_keeps_the_known_keys,
);

const ISSUER: &str = "https://idp.example";
const AUDIENCE: &str = "journeyd";
const LEEWAY: u64 = 5;

/// A signing key and its public half as a JWK.
struct SigningKey {
    alg: Algorithm,
    kid: &'static str,
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

struct Keys {
    rsa: SigningKey,
    rsa_next: SigningKey,
    /// A key pair whose public half is not published, under a published kid.
    rsa_impostor: SigningKey,
    ec: SigningKey,
    ed: SigningKey,
    /// The PEM of the published RSA public key (for algorithm confusion).
    rsa_public_pem: String,
}

fn rsa_key(kid: &'static str) -> (SigningKey, String) {
    use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
    use rsa::traits::PublicKeyParts;
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
    let public = private.to_public_key();
    let der = private.to_pkcs1_der().expect("PKCS#1 DER");
    let pem = public
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .expect("PKCS#1 PEM");
    let jwk = json!({
        "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
        "n": B64.encode(public.n().to_bytes_be()),
        "e": B64.encode(public.e().to_bytes_be()),
    });
    (
        SigningKey {
            alg: Algorithm::RS256,
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk,
        },
        pem,
    )
}

fn ec_key(kid: &'static str) -> SigningKey {
    use p256::pkcs8::EncodePrivateKey;
    let private = p256::ecdsa::SigningKey::random(&mut rsa::rand_core::OsRng);
    let point = private.verifying_key().to_encoded_point(false);
    let der = private.to_pkcs8_der().expect("PKCS#8 DER");
    SigningKey {
        alg: Algorithm::ES256,
        kid,
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
            "x": B64.encode(point.x().expect("x")),
            "y": B64.encode(point.y().expect("y")),
        }),
    }
}

fn ed_key(kid: &'static str) -> SigningKey {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let private = ed25519_dalek::SigningKey::generate(&mut rsa::rand_core::OsRng);
    let der = private.to_pkcs8_der().expect("PKCS#8 DER");
    SigningKey {
        alg: Algorithm::EdDSA,
        kid,
        encoding: EncodingKey::from_ed_der(der.as_bytes()),
        jwk: json!({
            "kty": "OKP", "crv": "Ed25519", "kid": kid,
            "x": B64.encode(private.verifying_key().to_bytes()),
        }),
    }
}

/// Generated once per test process (RSA key generation takes a moment).
static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let (rsa, rsa_public_pem) = rsa_key("rsa-1");
    let (rsa_next, _) = rsa_key("rsa-2");
    let (mut rsa_impostor, _) = rsa_key("rsa-1");
    rsa_impostor.kid = "rsa-1";
    Keys {
        rsa,
        rsa_next,
        rsa_impostor,
        ec: ec_key("ec-1"),
        ed: ed_key("ed-1"),
        rsa_public_pem,
    }
});

/// A key server: serves the current set at `/jwks.json` and counts fetches.
#[derive(Clone)]
struct KeyServer {
    url: String,
    document: Arc<Mutex<Value>>,
    failing: Arc<Mutex<bool>>,
    hits: Arc<AtomicUsize>,
}

impl KeyServer {
    async fn start(keys: &[&SigningKey]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = KeyServer {
            url: format!("http://{}/jwks.json", listener.local_addr().unwrap()),
            document: Arc::new(Mutex::new(Value::Null)),
            failing: Arc::new(Mutex::new(false)),
            hits: Arc::new(AtomicUsize::new(0)),
        };
        server.publish(keys);
        let router = Router::new()
            .route("/jwks.json", get(serve_keys))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        server
    }

    fn publish(&self, keys: &[&SigningKey]) {
        let keys: Vec<Value> = keys.iter().map(|k| k.jwk.clone()).collect();
        *self.document.lock().unwrap() = json!({ "keys": keys });
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn serve_keys(State(server): State<KeyServer>) -> axum::response::Response {
    server.hits.fetch_add(1, Ordering::SeqCst);
    if *server.failing.lock().unwrap() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Json(server.document.lock().unwrap().clone()).into_response()
}

struct Fixture {
    app: TestApp,
    keys: KeyServer,
}

fn auth(keys: &KeyServer, refresh: Duration) -> AuthConfig {
    AuthConfig {
        secret: Some(TEST_SECRET.to_vec()),
        jwks: Some(JwksSource::Url(keys.url.clone())),
        issuer: Some(ISSUER.to_owned()),
        audience: Some(AUDIENCE.to_owned()),
        leeway: Duration::from_secs(LEEWAY),
        jwks_refresh: refresh,
        jwks_min_refetch: Duration::from_secs(60),
        ..AuthConfig::default()
    }
}

async fn fixture_with_refresh(backend: TestBackend, refresh: Duration) -> Option<Fixture> {
    let k = &*KEYS;
    let keys = KeyServer::start(&[&k.rsa, &k.ec, &k.ed]).await;
    let options = AppOptions {
        auth: auth(&keys, refresh),
        ..AppOptions::default()
    };
    let app = TestApp::spawn_with_options(backend, options).await?;
    Some(Fixture { app, keys })
}

async fn fixture(backend: TestBackend) -> Option<Fixture> {
    fixture_with_refresh(backend, Duration::from_secs(3600)).await
}

async fn rotating_fixture(backend: TestBackend) -> Option<Fixture> {
    fixture_with_refresh(backend, Duration::from_secs(1)).await
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    json!({
        "sub": "crm-sync", "tenant": "acme", "scope": "journeys:read",
        "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600,
    })
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

const VIEWER: &str = "{ viewer { tenant subject } }";

/// Whether `token` is accepted: the viewer query answers, or fails
/// UNAUTHENTICATED (anything else fails the test).
async fn accepted(app: &TestApp, token: &str) -> bool {
    let body = app.post(Some(token), VIEWER, json!({})).await;
    if body["data"]["viewer"]["tenant"] == "acme" {
        return true;
    }
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    false
}

async fn public_key_tokens_verify_against_the_jwks(f: Fixture) {
    let k = &*KEYS;
    for key in [&k.rsa, &k.ec, &k.ed] {
        assert!(
            accepted(&f.app, &key.sign(&claims())).await,
            "{:?}",
            key.alg
        );
    }
    assert!(accepted(&f.app, &hs256(&claims(), TEST_SECRET)).await);
    // Clock skew within the leeway is tolerated.
    let skewed = with(claims(), json!({ "exp": now() - 2, "nbf": now() + 2 }));
    assert!(accepted(&f.app, &k.ec.sign(&skewed)).await);
    // A token without a kid is checked with the only key of its kind.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = None;
    let no_kid = jsonwebtoken::encode(&header, &claims(), &k.ed.encoding).unwrap();
    assert!(accepted(&f.app, &no_kid).await);
    // One fetch at start-up, none per request.
    assert_eq!(f.keys.hits(), 1);
}

/// `text` with its middle character changed (the last one may carry only
/// padding bits).
fn flip_middle(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn tamper_payload(token: &str, changes: Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let payload: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    let payload = B64.encode(with(payload, changes).to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

async fn the_token_attack_matrix_is_unauthenticated(f: Fixture) {
    let k = &*KEYS;
    let valid = k.rsa.sign(&claims());
    assert!(accepted(&f.app, &valid).await);
    let header = |value: Value| B64.encode(value.to_string());
    let payload = B64.encode(claims().to_string());
    let parts: Vec<&str> = valid.split('.').collect();
    let mut rs384 = Header::new(Algorithm::RS384);
    rs384.kid = Some("rsa-1".to_owned());
    let mut es_with_rsa_kid = Header::new(Algorithm::ES256);
    es_with_rsa_kid.kid = Some("rsa-1".to_owned());
    let mut unknown_kid = Header::new(Algorithm::RS256);
    unknown_kid.kid = Some("rsa-404".to_owned());
    let mut with_jku = Header::new(Algorithm::RS256);
    with_jku.kid = Some("attacker".to_owned());
    with_jku.jku = Some("http://127.0.0.1:9/jwks.json".to_owned());

    let attacks: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{payload}.",
                header(json!({"alg": "none", "typ": "JWT"}))
            ),
        ),
        (
            "alg None",
            format!(
                "{}.{payload}.",
                header(json!({"alg": "None", "kid": "rsa-1"}))
            ),
        ),
        (
            "HS256 signed with the RSA public key",
            hs256(&claims(), k.rsa_public_pem.as_bytes()),
        ),
        (
            "HS256 signed with the RSA modulus",
            hs256(&claims(), k.rsa.jwk["n"].as_str().unwrap().as_bytes()),
        ),
        (
            "HS256 with another secret",
            hs256(&claims(), b"guessed-secret-guessed-secret-guessed"),
        ),
        (
            "a disallowed algorithm (RS384)",
            jsonwebtoken::encode(&rs384, &claims(), &k.rsa.encoding).unwrap(),
        ),
        (
            "ES256 naming the RSA key",
            jsonwebtoken::encode(&es_with_rsa_kid, &claims(), &k.ec.encoding).unwrap(),
        ),
        (
            "an unknown kid",
            jsonwebtoken::encode(&unknown_kid, &claims(), &k.rsa.encoding).unwrap(),
        ),
        (
            "a jku pointing elsewhere",
            jsonwebtoken::encode(&with_jku, &claims(), &k.rsa_impostor.encoding).unwrap(),
        ),
        (
            "another key under a published kid",
            k.rsa_impostor.sign(&claims()),
        ),
        (
            "a tampered tenant",
            tamper_payload(&valid, json!({"tenant": "rival"})),
        ),
        (
            "a tampered scope",
            tamper_payload(&valid, json!({"scope": "journeys:read admin"})),
        ),
        (
            "a tampered expiry",
            tamper_payload(&valid, json!({"exp": now() + 999_999})),
        ),
        (
            "a stripped signature",
            format!("{}.{}.", parts[0], parts[1]),
        ),
        (
            "a flipped signature",
            format!("{}.{}.{}", parts[0], parts[1], flip_middle(parts[2])),
        ),
        (
            "a wrong issuer",
            k.rsa
                .sign(&with(claims(), json!({"iss": "https://evil.example"}))),
        ),
        (
            "no issuer",
            k.rsa.sign(&with(claims(), json!({"iss": null}))),
        ),
        (
            "a wrong audience",
            k.rsa.sign(&with(claims(), json!({"aud": "another-api"}))),
        ),
        (
            "no audience",
            k.ec.sign(&with(claims(), json!({"aud": null}))),
        ),
        (
            "expired beyond the leeway",
            k.ed.sign(&with(claims(), json!({"exp": now() - LEEWAY - 30}))),
        ),
        (
            "not yet valid beyond the leeway",
            k.ed.sign(&with(claims(), json!({"nbf": now() + LEEWAY + 30}))),
        ),
        (
            "no expiry",
            k.rsa.sign(&with(claims(), json!({"exp": null}))),
        ),
        (
            "no subject",
            k.rsa.sign(&with(claims(), json!({"sub": null}))),
        ),
        (
            "an unknown tenant",
            k.rsa.sign(&with(claims(), json!({"tenant": "nobody"}))),
        ),
        (
            "a tenant of the wrong type",
            k.rsa.sign(&with(claims(), json!({"tenant": 42}))),
        ),
        (
            "an expiry of the wrong type",
            k.rsa.sign(&with(claims(), json!({"exp": "tomorrow"}))),
        ),
        ("garbage", "a.b.c".to_owned()),
        ("two parts", format!("{}.{}", parts[0], parts[1])),
        ("non-base64 header", format!("!!.{payload}.{}", parts[2])),
        (
            "a header that is not JSON",
            format!("{}.{payload}.{}", B64.encode("{"), parts[2]),
        ),
        (
            "a huge token",
            format!("{}.{}.{}", parts[0], "A".repeat(200_000), parts[2]),
        ),
    ];
    for (what, token) in &attacks {
        assert!(!accepted(&f.app, token).await, "accepted: {what}");
    }
    for header in [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer",
        "Token abc",
    ] {
        let body = f
            .app
            .client()
            .post(f.app.graphql_url())
            .header("authorization", header)
            .json(&json!({ "query": VIEWER }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{header}");
    }
    // The attacker's key server was never asked.
    assert!(accepted(&f.app, &valid).await);
}

async fn keys_rotate_without_a_restart(f: Fixture) {
    let k = &*KEYS;
    let old = k.rsa.sign(&claims());
    let new = k.rsa_next.sign(&claims());
    assert!(accepted(&f.app, &old).await);
    // The identity provider adds a key and signs with it: the unknown kid
    // makes journeyd re-read the set.
    f.keys.publish(&[&k.rsa, &k.rsa_next, &k.ec, &k.ed]);
    assert!(accepted(&f.app, &new).await);
    assert!(accepted(&f.app, &old).await);
    // Later the old key is withdrawn; the scheduled refresh drops it.
    f.keys.publish(&[&k.rsa_next, &k.ec, &k.ed]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while accepted(&f.app, &old).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the withdrawn key is still accepted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(accepted(&f.app, &new).await);
}

async fn a_flood_of_unknown_key_ids_fetches_the_set_at_most_once(f: Fixture) {
    let k = &*KEYS;
    let before = f.keys.hits();
    let tokens: Vec<String> = (0..100)
        .map(|i| {
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(format!("made-up-{i}"));
            jsonwebtoken::encode(&header, &claims(), &k.rsa.encoding).unwrap()
        })
        .collect();
    let mut requests = tokio::task::JoinSet::new();
    for token in tokens {
        let request = f
            .app
            .client()
            .post(f.app.graphql_url())
            .bearer_auth(token)
            .json(&json!({ "query": VIEWER }));
        requests.spawn(async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            error_code(&body)
        });
    }
    while let Some(code) = requests.join_next().await {
        assert_eq!(code.unwrap(), "UNAUTHENTICATED");
    }
    assert!(
        f.keys.hits() - before <= 1,
        "{} fetches for 100 unknown kids",
        f.keys.hits() - before
    );
    assert!(accepted(&f.app, &k.rsa.sign(&claims())).await);
}

async fn an_unreachable_key_server_keeps_the_known_keys(f: Fixture) {
    let k = &*KEYS;
    *f.keys.failing.lock().unwrap() = true;
    // An unknown kid triggers a fetch, which fails; the known keys stay.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-9".to_owned());
    let unknown = jsonwebtoken::encode(&header, &claims(), &k.rsa.encoding).unwrap();
    assert!(!accepted(&f.app, &unknown).await);
    assert!(f.keys.hits() >= 2, "the set was fetched again");
    assert!(accepted(&f.app, &k.rsa.sign(&claims())).await);
}

#[tokio::test]
async fn a_jwks_file_is_read_and_reread_for_new_keys() {
    let k = &*KEYS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    let write = |keys: &[&SigningKey]| {
        let keys: Vec<Value> = keys.iter().map(|k| k.jwk.clone()).collect();
        std::fs::write(&path, json!({ "keys": keys }).to_string()).unwrap();
    };
    write(&[&k.ec]);
    let db = TestDatabase::sqlite().await;
    let store = Store::new(db.database.clone());
    let config = AuthConfig {
        jwks: Some(JwksSource::File(path.clone())),
        algorithms: vec![Algorithm::ES256, Algorithm::EdDSA],
        jwks_min_refetch: Duration::ZERO,
        ..AuthConfig::default()
    };
    let verifier = journeyd_api::auth::TokenVerifier::new(&config)
        .await
        .unwrap();
    let plain = json!({ "sub": "s", "tenant": "acme", "exp": now() + 60 });
    assert!(verifier.verify(&k.ec.sign(&plain)).await.is_ok());
    assert!(verifier.verify(&k.ed.sign(&plain)).await.is_err());
    write(&[&k.ec, &k.ed]);
    assert!(verifier.verify(&k.ed.sign(&plain)).await.is_ok());
    // RS256 is not on this allow-list, whatever the set holds.
    write(&[&k.ec, &k.ed, &k.rsa]);
    assert!(verifier.verify(&k.rsa.sign(&plain)).await.is_err());
    drop(store);
}

#[tokio::test]
async fn an_unusable_jwks_stops_start_up() {
    let db = TestDatabase::sqlite().await;
    let store = Store::new(db.database.clone());
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let symmetric = dir.path().join("symmetric.json");
    std::fs::write(
        &symmetric,
        json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] }).to_string(),
    )
    .unwrap();
    for source in [
        JwksSource::File(missing),
        JwksSource::File(symmetric),
        JwksSource::Url("http://127.0.0.1:9/jwks.json".to_owned()),
    ] {
        let config = AuthConfig {
            jwks: Some(source.clone()),
            ..AuthConfig::default()
        };
        let result = Authenticator::from_config(&config, store.clone()).await;
        assert!(result.is_err(), "{source} was accepted");
    }
}
