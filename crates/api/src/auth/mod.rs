//! Authentication: bearer JWTs carrying the subject, the tenant, the scopes
//! and an expiry, signed with a shared HS256 secret or with a private key
//! whose public half is in a JWKS (RS256, ES256, EdDSA, ...); and the tenant
//! lookup that turns a verified token into a [`Session`].

mod jwks;

pub use jsonwebtoken::Algorithm;

/// Parses a JWKS document as a refresh would (for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_key_set(bytes: &[u8]) {
    jwks::fuzz_key_set(bytes);
}
pub use jwks::{Jwks, JwksError, JwksSource};

use journeyd_domain::{Scope, Scopes, TenantId, TenantSlug};
use journeyd_persistence::{Store, StoreError};
use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How tokens are signed and checked.
#[derive(Clone)]
pub struct AuthConfig {
    /// The HS256 shared secret, if tokens may be signed with one.
    pub secret: Option<Vec<u8>>,
    /// The key set public-key tokens are checked against, if any.
    pub jwks: Option<JwksSource>,
    /// The algorithms a token may be signed with; empty means HS256 when a
    /// secret is configured plus RS256, ES256 and EdDSA when a JWKS is.
    pub algorithms: Vec<Algorithm>,
    /// The required `iss`, when configured.
    pub issuer: Option<String>,
    /// The required `aud`, when configured.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// How often the JWKS is re-read.
    pub jwks_refresh: Duration,
    /// The least time between two re-reads of the JWKS caused by tokens
    /// naming a key it does not hold.
    pub jwks_min_refetch: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            secret: None,
            jwks: None,
            algorithms: Vec::new(),
            issuer: None,
            audience: None,
            leeway: Duration::from_secs(60),
            jwks_refresh: Duration::from_secs(300),
            jwks_min_refetch: Duration::from_secs(30),
        }
    }
}

impl AuthConfig {
    /// HS256 tokens signed with `secret`.
    pub fn hs256(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: Some(secret.into()),
            ..Self::default()
        }
    }

    /// The algorithms accepted: the configured list, or the defaults for the
    /// configured keys.
    pub fn allowed_algorithms(&self) -> Vec<Algorithm> {
        if !self.algorithms.is_empty() {
            return self.algorithms.clone();
        }
        let mut allowed = Vec::new();
        if self.secret.is_some() {
            allowed.push(Algorithm::HS256);
        }
        if self.jwks.is_some() {
            allowed.extend([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]);
        }
        allowed
    }
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("jwks", &self.jwks)
            .field("algorithms", &self.allowed_algorithms())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// Why the token configuration cannot work.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// Neither a secret nor a JWKS.
    #[error("configure a JWT secret or a JWKS")]
    NoKeys,
    /// An allowed algorithm has no key to check it with.
    #[error("{0:?} is allowed but {1}")]
    NoKeyFor(Algorithm, &'static str),
    /// The JWKS could not be read.
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

/// The claims journeyd reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// Who the caller is (a user, or an integration's name).
    pub sub: String,
    /// The slug of the tenant the caller acts for.
    pub tenant: String,
    /// Space-separated scopes (RFC 9068).
    #[serde(default)]
    pub scope: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not valid before, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Why a request is not authenticated. The reason goes to the log; clients
/// only learn that they are not authenticated.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// The header is not a bearer token.
    #[error("the Authorization header is not a bearer token")]
    NotBearer,
    /// The token does not verify (signature, expiry, issuer, audience, ...).
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The token names a tenant that does not exist.
    #[error("unknown tenant '{0}'")]
    UnknownTenant(String),
    /// The tenant could not be looked up.
    #[error("tenant lookup failed")]
    Lookup,
}

/// Signs HS256 tokens with the configured secret (for the `journeyd token`
/// command and the demo; tokens for a JWKS come from the identity provider).
pub struct TokenIssuer {
    config: AuthConfig,
}

impl TokenIssuer {
    /// An issuer signing with `config`'s secret and naming its issuer and audience.
    pub fn new(config: AuthConfig) -> Self {
        Self { config }
    }

    /// A token for `subject` acting for `tenant` with `scopes`, valid for `ttl`.
    pub fn issue(
        &self,
        subject: &str,
        tenant: &TenantSlug,
        scopes: &Scopes,
        ttl: Duration,
    ) -> Result<String, IssueError> {
        let secret = self.config.secret.as_deref().ok_or(IssueError::NoSecret)?;
        let now = unix_now();
        let claims = Claims {
            sub: subject.to_owned(),
            tenant: tenant.as_str().to_owned(),
            scope: scopes.to_claim(),
            exp: now + ttl.as_secs(),
            iat: Some(now),
            nbf: None,
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )?)
    }
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// journeyd signs only with a configured HS256 secret.
    #[error("journeyd signs tokens with its HS256 secret, and none is configured")]
    NoSecret,
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] jsonwebtoken::errors::Error),
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Verifies a token's signature and claims.
#[derive(Clone)]
pub struct TokenVerifier {
    secret: Option<Arc<DecodingKey>>,
    jwks: Option<Arc<Jwks>>,
    /// One validation per allowed algorithm.
    validations: Arc<[(Algorithm, Validation)]>,
}

impl TokenVerifier {
    /// A verifier for tokens signed as `config` says; reads the JWKS if one
    /// is configured.
    pub async fn new(config: &AuthConfig) -> Result<Self, AuthSetupError> {
        let allowed = config.allowed_algorithms();
        if allowed.is_empty() {
            return Err(AuthSetupError::NoKeys);
        }
        for &alg in &allowed {
            match alg.family() {
                AlgorithmFamily::Hmac if config.secret.is_none() => {
                    return Err(AuthSetupError::NoKeyFor(alg, "no secret is configured"));
                }
                AlgorithmFamily::Rsa | AlgorithmFamily::Ec | AlgorithmFamily::Ed
                    if config.jwks.is_none() =>
                {
                    return Err(AuthSetupError::NoKeyFor(alg, "no JWKS is configured"));
                }
                _ => {}
            }
        }
        let jwks = match &config.jwks {
            Some(source) => Some(
                Jwks::load(source.clone(), config.jwks_refresh, config.jwks_min_refetch).await?,
            ),
            None => None,
        };
        let validations = allowed
            .iter()
            .map(|&alg| (alg, validation(config, alg)))
            .collect();
        Ok(Self {
            secret: config
                .secret
                .as_deref()
                .map(|s| Arc::new(DecodingKey::from_secret(s))),
            jwks,
            validations,
        })
    }

    /// The key set, when one is configured.
    pub fn jwks(&self) -> Option<&Arc<Jwks>> {
        self.jwks.as_ref()
    }

    /// The claims of `token`, if it verifies: its algorithm is allowed, a
    /// key of that algorithm's kind signed it, and its claims hold.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        let validation = self
            .validations
            .iter()
            .find(|(alg, _)| *alg == header.alg)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                AuthError::Invalid(format!("algorithm {:?} is not allowed", header.alg))
            })?;
        let key = match header.alg.family() {
            AlgorithmFamily::Hmac => self.secret.clone(),
            _ => match &self.jwks {
                Some(jwks) => jwks.key(header.kid.as_deref(), header.alg).await,
                None => None,
            },
        }
        .ok_or_else(|| {
            AuthError::Invalid(format!(
                "no {:?} key{}",
                header.alg,
                header
                    .kid
                    .as_deref()
                    .map(|k| format!(" with kid '{k}'"))
                    .unwrap_or_default()
            ))
        })?;
        jsonwebtoken::decode::<Claims>(token, &key, validation)
            .map(|data| data.claims)
            .map_err(invalid)
    }
}

fn invalid(err: jsonwebtoken::errors::Error) -> AuthError {
    AuthError::Invalid(err.to_string())
}

fn validation(config: &AuthConfig, alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = config.leeway.as_secs();
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "sub"]);
    match &config.issuer {
        Some(issuer) => {
            validation.set_issuer(&[issuer]);
            validation.required_spec_claims.insert("iss".into());
        }
        None => validation.iss = None,
    }
    match &config.audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            validation.required_spec_claims.insert("aud".into());
        }
        None => validation.validate_aud = false,
    }
    validation
}

/// Checks tokens and resolves their tenant.
#[derive(Clone)]
pub struct Authenticator {
    verifier: TokenVerifier,
    tenants: TenantCache,
}

impl Authenticator {
    /// An authenticator checking tokens with `verifier`, resolving tenants
    /// through `store`.
    pub fn new(verifier: TokenVerifier, store: Store) -> Self {
        Self {
            verifier,
            tenants: TenantCache::new(store),
        }
    }

    /// An authenticator for `config` (reading its JWKS, if any).
    pub async fn from_config(config: &AuthConfig, store: Store) -> Result<Self, AuthSetupError> {
        Ok(Self::new(TokenVerifier::new(config).await?, store))
    }

    /// Verifies the value of an `Authorization` header and resolves the
    /// session it grants.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Session, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::NotBearer)?;
        let claims = self.verifier.verify(token).await?;
        if TenantSlug::parse(&claims.tenant).is_err() {
            return Err(AuthError::UnknownTenant(claims.tenant));
        }
        let tenant = self.tenants.resolve(&claims.tenant).await?;
        Ok(Session {
            tenant,
            tenant_slug: claims.tenant,
            subject: claims.sub,
            scopes: Scopes::parse_lenient(&claims.scope),
        })
    }
}

/// Tenant slugs resolved to ids, remembered for the life of the process
/// (tenants are never renamed or deleted, so a found slug stays valid).
#[derive(Clone)]
struct TenantCache {
    store: Store,
    known: Arc<RwLock<HashMap<String, TenantId>>>,
}

impl TenantCache {
    fn new(store: Store) -> Self {
        Self {
            store,
            known: Arc::default(),
        }
    }

    async fn resolve(&self, slug: &str) -> Result<TenantId, AuthError> {
        if let Some(id) = self.known.read().ok().and_then(|m| m.get(slug).copied()) {
            return Ok(id);
        }
        match self.store.tenant_by_slug(slug).await {
            Ok(Some(tenant)) => {
                if let Ok(mut known) = self.known.write() {
                    known.insert(slug.to_owned(), tenant.id);
                }
                Ok(tenant.id)
            }
            Ok(None) => Err(AuthError::UnknownTenant(slug.to_owned())),
            Err(err) => {
                log_lookup_failure(&err);
                Err(AuthError::Lookup)
            }
        }
    }
}

fn log_lookup_failure(err: &StoreError) {
    tracing::error!(error = %err, "tenant lookup failed");
}

/// Who is calling, for which tenant, with which scopes.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The tenant every query and change is scoped to.
    pub tenant: TenantId,
    /// The tenant's slug.
    pub tenant_slug: String,
    /// The token's subject.
    pub subject: String,
    /// The granted scopes.
    pub scopes: Scopes,
}

impl Session {
    /// Whether the session grants `scope`.
    pub fn grants(&self, scope: Scope) -> bool {
        self.scopes.grants(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: Option<&str>, audience: Option<&str>) -> AuthConfig {
        AuthConfig {
            issuer: issuer.map(str::to_owned),
            audience: audience.map(str::to_owned),
            leeway: Duration::from_secs(0),
            ..AuthConfig::hs256(b"test-secret-of-some-length".to_vec())
        }
    }

    async fn decode(config: &AuthConfig, token: &str) -> Result<Claims, AuthError> {
        TokenVerifier::new(config)
            .await
            .unwrap()
            .verify(token)
            .await
    }

    fn slug() -> TenantSlug {
        TenantSlug::parse("acme").unwrap()
    }

    #[tokio::test]
    async fn issued_tokens_verify_with_the_same_configuration() {
        let config = config(Some("journeyd"), Some("api"));
        let scopes = Scopes::parse("journeys:read").unwrap();
        let token = TokenIssuer::new(config.clone())
            .issue("me", &slug(), &scopes, Duration::from_secs(60))
            .unwrap();
        let claims = decode(&config, &token).await.unwrap();
        assert_eq!(claims.tenant, "acme");
        assert_eq!(claims.scope, "journeys:read");
    }

    #[tokio::test]
    async fn wrong_secret_issuer_or_audience_fail() {
        let scopes = Scopes::default();
        let good = config(Some("journeyd"), Some("api"));
        let issue = |c: &AuthConfig, ttl: u64| {
            TokenIssuer::new(c.clone())
                .issue("me", &slug(), &scopes, Duration::from_secs(ttl))
                .unwrap()
        };
        let mut other_secret = good.clone();
        other_secret.secret = Some(b"another-secret".to_vec());
        assert!(decode(&good, &issue(&other_secret, 60)).await.is_err());
        let other_issuer = config(Some("other"), Some("api"));
        assert!(decode(&good, &issue(&other_issuer, 60)).await.is_err());
        let other_audience = config(Some("journeyd"), Some("web"));
        assert!(decode(&good, &issue(&other_audience, 60)).await.is_err());
        assert!(
            decode(&good, &issue(&config(None, None), 60))
                .await
                .is_err()
        );
        // Expiry, nbf, JWKS keys and algorithm attacks are covered end to end
        // (tests/tests/tokens.rs).
    }

    #[tokio::test]
    async fn configurations_without_keys_for_their_algorithms_are_refused() {
        let none = AuthConfig::default();
        assert!(matches!(
            TokenVerifier::new(&none).await.err(),
            Some(AuthSetupError::NoKeys)
        ));
        let rs_without_jwks = AuthConfig {
            algorithms: vec![Algorithm::RS256],
            ..AuthConfig::hs256(b"secret".to_vec())
        };
        assert!(matches!(
            TokenVerifier::new(&rs_without_jwks).await.err(),
            Some(AuthSetupError::NoKeyFor(Algorithm::RS256, _))
        ));
    }
}
