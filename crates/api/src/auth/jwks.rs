//! Public keys from a JSON Web Key Set (RFC 7517), read from a file or an
//! HTTP(S) URL, kept in memory and refreshed: on a schedule, and when a token
//! names a key id the set does not hold (at most once per `min_refetch`, so a
//! flood of made-up key ids cannot hammer the key server).

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

/// The largest key set journeyd reads.
const MAX_JWKS_BYTES: usize = 1 << 20;
/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// Where the key set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// A file (re-read on every refresh).
    File(PathBuf),
    /// An `http://` or `https://` URL.
    Url(String),
}

impl JwksSource {
    /// A URL when `text` starts with `http://` or `https://`, else a path.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("https://") || text.starts_with("http://") {
            JwksSource::Url(text.to_owned())
        } else {
            JwksSource::File(PathBuf::from(text))
        }
    }
}

impl std::fmt::Display for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksSource::File(path) => write!(f, "{}", path.display()),
            JwksSource::Url(url) => f.write_str(url),
        }
    }
}

/// Why a key set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The file or URL could not be read.
    #[error("cannot read the JWKS at {source_name}: {message}")]
    Fetch {
        /// The file or URL.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// The document is not a key set with at least one usable key.
    #[error("the JWKS at {source_name} is unusable: {message}")]
    Invalid {
        /// The file or URL.
        source_name: String,
        /// What is wrong.
        message: String,
    },
}

/// One verification key of the set.
struct Key {
    kid: Option<String>,
    /// The algorithm the set pins the key to, if any.
    alg: Option<Algorithm>,
    family: AlgorithmFamily,
    key: Arc<DecodingKey>,
}

impl Key {
    fn fits(&self, alg: Algorithm) -> bool {
        self.family == alg.family() && self.alg.is_none_or(|pinned| pinned == alg)
    }
}

/// The keys of a set, as read.
#[derive(Default)]
struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// The key for a token signed with `alg` naming `kid`. Without a `kid`,
    /// the set's only key that fits `alg`.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<DecodingKey>> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid) && k.fits(alg))
                .map(|k| Arc::clone(&k.key)),
            None => {
                let mut fitting = self.keys.iter().filter(|k| k.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(only), None) => Some(Arc::clone(&only.key)),
                    _ => None,
                }
            }
        }
    }
}

/// Parses a key set document, keeping the keys journeyd can verify with and
/// skipping (with a warning) the rest: symmetric keys (a key set is public),
/// encryption keys, unknown key types, short RSA moduli, malformed points.
fn parse_key_set(bytes: &[u8], source_name: &str) -> Result<KeySet, JwksError> {
    let invalid = |message: String| JwksError::Invalid {
        source_name: source_name.to_owned(),
        message,
    };
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not a JSON key set ({e})")))?;
    let mut set = KeySet::default();
    for (index, value) in document.keys.into_iter().enumerate() {
        match usable_key(value) {
            Ok(key) => set.keys.push(key),
            Err(reason) => {
                tracing::warn!(jwks = %source_name, index, %reason, "skipping a JWKS key");
            }
        }
    }
    if set.keys.is_empty() {
        return Err(invalid("it holds no usable signing key".to_owned()));
    }
    Ok(set)
}

fn usable_key(value: serde_json::Value) -> Result<Key, String> {
    let jwk: Jwk = serde_json::from_value(value).map_err(|e| format!("not a JWK ({e})"))?;
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return Err("not a signature key (`use` is not `sig`)".to_owned());
    }
    let alg = jwk
        .common
        .key_algorithm
        .map(|a| Algorithm::try_from(a).map_err(|_| format!("unsupported `alg` {a}")))
        .transpose()?;
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let modulus = base64_bytes(&rsa.n);
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            let bits = significant * 8;
            if bits < MIN_RSA_BITS {
                return Err(format!(
                    "RSA modulus of {bits} bits, at least {MIN_RSA_BITS} required"
                ));
            }
            AlgorithmFamily::Rsa
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            let size = match ec.curve {
                EllipticCurve::P256 => 32,
                EllipticCurve::P384 => 48,
                _ => return Err("unsupported elliptic curve".to_owned()),
            };
            if base64_len(&ec.x) != size || base64_len(&ec.y) != size {
                return Err("malformed EC point".to_owned());
            }
            AlgorithmFamily::Ec
        }
        AlgorithmParameters::OctetKeyPair(okp) => {
            if okp.curve != EllipticCurve::Ed25519 || base64_len(&okp.x) != 32 {
                return Err("only 32-byte Ed25519 OKP keys are supported".to_owned());
            }
            AlgorithmFamily::Ed
        }
        AlgorithmParameters::OctetKey(_) => {
            return Err("symmetric keys do not belong in a public key set".to_owned());
        }
        _ => return Err("unsupported key type".to_owned()),
    };
    if alg.is_some_and(|a| a.family() != family) {
        return Err("`alg` does not match the key type".to_owned());
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable key ({e})"))?;
    Ok(Key {
        kid: jwk.common.key_id,
        alg,
        family,
        key: Arc::new(key),
    })
}

/// The bytes of unpadded base64url `text` (empty when malformed).
fn base64_bytes(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .unwrap_or_default()
}

fn base64_len(text: &str) -> usize {
    base64_bytes(text).len()
}

/// Parses `bytes` as a key set; an accepted set holds a key.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_key_set(bytes: &[u8]) {
    if let Ok(set) = parse_key_set(bytes, "fuzz") {
        assert!(!set.keys.is_empty());
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
            let _ = set.find(None, alg);
        }
    }
}

/// A key set kept fresh.
pub struct Jwks {
    source: JwksSource,
    client: Option<reqwest::Client>,
    keys: RwLock<Arc<KeySet>>,
    /// Held while fetching, so only one fetch runs; holds when the last
    /// fetch for an unknown key id started.
    refreshing: tokio::sync::Mutex<Option<Instant>>,
    min_refetch: Duration,
    fetches: AtomicU64,
}

impl Jwks {
    /// Reads the key set from `source` (failing when it cannot be read or
    /// holds no usable key) and refreshes it every `refresh` from then on.
    pub async fn load(
        source: JwksSource,
        refresh: Duration,
        min_refetch: Duration,
    ) -> Result<Arc<Self>, JwksError> {
        let client = match &source {
            JwksSource::Url(_) => Some(
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| JwksError::Fetch {
                        source_name: source.to_string(),
                        message: e.to_string(),
                    })?,
            ),
            JwksSource::File(_) => None,
        };
        let jwks = Arc::new(Self {
            source,
            client,
            keys: RwLock::default(),
            refreshing: tokio::sync::Mutex::new(None),
            min_refetch,
            fetches: AtomicU64::new(0),
        });
        let set = jwks.fetch().await?;
        jwks.replace(set);
        tokio::spawn(refresh_on_schedule(Arc::downgrade(&jwks), refresh));
        Ok(jwks)
    }

    /// How often the set has been fetched.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The key for a token signed with `alg` naming `kid`, re-reading the
    /// set once when it does not hold the key (unless that was done less
    /// than `min_refetch` ago).
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<DecodingKey>> {
        if let Some(key) = self.current().find(kid, alg) {
            return Some(key);
        }
        let mut last = self.refreshing.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(key) = self.current().find(kid, alg) {
            return Some(key);
        }
        if last.is_some_and(|at| at.elapsed() < self.min_refetch) {
            return None;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(set) => self.replace(set),
            Err(err) => tracing::warn!(error = %err, "JWKS refresh failed, keeping the old keys"),
        }
        drop(last);
        self.current().find(kid, alg)
    }

    fn current(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, set: KeySet) {
        let set = Arc::new(set);
        match self.keys.write() {
            Ok(mut keys) => *keys = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// Reads and parses the set, without touching the cached one.
    async fn fetch(&self) -> Result<KeySet, JwksError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let source_name = self.source.to_string();
        let failed = |message: String| JwksError::Fetch {
            source_name: source_name.clone(),
            message,
        };
        let bytes = match (&self.source, &self.client) {
            (JwksSource::File(path), _) => {
                let bytes = tokio::fs::read(path)
                    .await
                    .map_err(|e| failed(e.to_string()))?;
                if bytes.len() > MAX_JWKS_BYTES {
                    return Err(failed(format!("larger than {MAX_JWKS_BYTES} bytes")));
                }
                bytes
            }
            (JwksSource::Url(url), Some(client)) => {
                let mut response = client
                    .get(url)
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| failed(e.without_url().to_string()))?;
                let mut bytes = Vec::new();
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|e| failed(e.without_url().to_string()))?
                {
                    if bytes.len() + chunk.len() > MAX_JWKS_BYTES {
                        return Err(failed(format!("larger than {MAX_JWKS_BYTES} bytes")));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                bytes
            }
            (JwksSource::Url(_), None) => return Err(failed("no HTTP client".to_owned())),
        };
        let set = parse_key_set(&bytes, &source_name)?;
        tracing::debug!(jwks = %source_name, keys = set.keys.len(), "JWKS read");
        Ok(set)
    }

    /// A scheduled refresh: one fetch, keeping the old keys on failure.
    async fn refresh(&self) {
        let _fetching = self.refreshing.lock().await;
        match self.fetch().await {
            Ok(set) => self.replace(set),
            Err(err) => tracing::warn!(error = %err, "JWKS refresh failed, keeping the old keys"),
        }
    }
}

/// Refreshes the set every `every` for as long as anyone holds it.
async fn refresh_on_schedule(jwks: Weak<Jwks>, every: Duration) {
    let every = every.max(Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        let Some(jwks) = jwks.upgrade() else { return };
        jwks.refresh().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_modulus(bytes: usize) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vec![0xC3; bytes])
    }

    #[test]
    fn unusable_keys_are_skipped_and_an_empty_set_refused() {
        let doc = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "RSA", "n": rsa_modulus(128), "e": "AQAB", "kid": "short"},
            {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "tiny"},
            {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "bad-point"},
            {"kty": "RSA", "n": rsa_modulus(256), "e": "AQAB", "kid": "enc", "use": "enc"},
            {"kty": "RSA", "n": rsa_modulus(256), "e": "AQAB", "kid": "mismatch", "alg": "ES256"},
            {"kty": "weird"},
        ]});
        let err = parse_key_set(doc.to_string().as_bytes(), "test")
            .err()
            .expect("no usable key");
        assert!(err.to_string().contains("no usable signing key"));

        let doc = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "RSA", "n": rsa_modulus(256), "e": "AQAB", "kid": "good", "alg": "RS256"},
        ]});
        let set = parse_key_set(doc.to_string().as_bytes(), "test").unwrap();
        assert_eq!(set.keys.len(), 1);
        assert!(set.find(Some("good"), Algorithm::RS256).is_some());
        assert!(set.find(None, Algorithm::RS256).is_some());
        assert!(set.find(Some("good"), Algorithm::RS384).is_none());
        assert!(set.find(Some("hmac"), Algorithm::HS256).is_none());
        assert!(set.find(None, Algorithm::ES256).is_none());
    }

    #[test]
    fn garbage_is_not_a_key_set() {
        for doc in ["", "[]", "{}", "{\"keys\": 1}", "\u{0}"] {
            assert!(parse_key_set(doc.as_bytes(), "test").is_err(), "{doc:?}");
        }
    }
}
