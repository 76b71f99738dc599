//! Bearer token parsing and verification against an HS256 secret and a JWKS
//! (RSA, P-256 and Ed25519 keys made at start), and JWKS documents as a key
//! server could serve them.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use journeyd_api::AuthConfig;
use journeyd_api::auth::{Algorithm, JwksSource, TokenVerifier};
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use std::sync::LazyLock;
use std::time::Duration;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: TokenVerifier,
    _dir: tempfile::TempDir,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    use rsa::traits::PublicKeyParts;
    let rng = &mut rsa::rand_core::OsRng;
    let rsa = rsa::RsaPrivateKey::new(rng, 2048)
        .expect("an RSA key")
        .to_public_key();
    let ec = p256::ecdsa::SigningKey::random(rng);
    let point = ec.verifying_key().to_encoded_point(false);
    let ed = ed25519_dalek::SigningKey::generate(rng);
    let jwks = json!({ "keys": [
        { "kty": "RSA", "kid": "rsa", "n": B64.encode(rsa.n().to_bytes_be()), "e": B64.encode(rsa.e().to_bytes_be()) },
        { "kty": "EC", "crv": "P-256", "kid": "ec", "x": B64.encode(point.x().unwrap()), "y": B64.encode(point.y().unwrap()) },
        { "kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": B64.encode(ed.verifying_key().to_bytes()) },
    ]});
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks.to_string()).expect("write the JWKS");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let config = AuthConfig {
        secret: Some(b"a-fuzzing-secret-that-is-long-enough".to_vec()),
        jwks: Some(JwksSource::File(path)),
        algorithms: vec![
            Algorithm::HS256,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
        ],
        issuer: Some("https://idp.example".into()),
        audience: Some("journeyd".into()),
        jwks_min_refetch: Duration::from_secs(3600),
        ..AuthConfig::default()
    };
    let verifier = runtime
        .block_on(TokenVerifier::new(&config))
        .expect("a verifier");
    Fixture {
        runtime,
        verifier,
        _dir: dir,
    }
});

fuzz_target!(
    // Keys are made before the first input, so their cost never counts
    // against an input's time limit.
    init: {
        LazyLock::force(&FIXTURE);
    },
    |data: &[u8]| {
    let fixture = &*FIXTURE;
    let verify = |token: &str| {
        let _ = fixture.runtime.block_on(fixture.verifier.verify(token));
    };
    match data.split_first() {
        // A JWKS document.
        Some((0, rest)) => journeyd_api::fuzzing::key_set(rest),
        // Header, payload and signature bytes, framed as a token.
        Some((1, rest)) => {
            let mut parts = rest.splitn(3, |b| *b == 0xff);
            let header = parts.next().unwrap_or_default();
            let payload = parts.next().unwrap_or_default();
            let signature = parts.next().unwrap_or_default();
            verify(&format!("{}.{}.{}", B64.encode(header), B64.encode(payload), B64.encode(signature)));
        }
        _ => verify(&String::from_utf8_lossy(data)),
    }
});
