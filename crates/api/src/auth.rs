//! Authentication: bearer JWTs (HS256 with the configured secret) carrying the
//! subject, the tenant, the scopes and an expiry; and the tenant lookup that
//! turns a verified token into a [`Session`].

use journeyd_domain::{Scope, Scopes, TenantId, TenantSlug};
use journeyd_persistence::{Store, StoreError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How tokens are signed and checked.
#[derive(Clone)]
pub struct AuthConfig {
    /// The HS256 shared secret.
    pub secret: Vec<u8>,
    /// The required `iss`, when configured.
    pub issuer: Option<String>,
    /// The required `aud`, when configured.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .finish()
    }
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

/// Signs tokens (for the `journeyd token` command and the demo).
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
    ) -> Result<String, jsonwebtoken::errors::Error> {
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
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.config.secret),
        )
    }
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
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
}

impl TokenVerifier {
    /// A verifier for tokens signed as `config` says.
    pub fn new(config: &AuthConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
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
        Self {
            key: Arc::new(DecodingKey::from_secret(&config.secret)),
            validation: Arc::new(validation),
        }
    }

    /// The claims of `token`, if it verifies.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }
}

/// Checks tokens and resolves their tenant.
#[derive(Clone)]
pub struct Authenticator {
    verifier: TokenVerifier,
    tenants: TenantCache,
}

impl Authenticator {
    /// An authenticator for `config`, resolving tenants through `store`.
    pub fn new(config: &AuthConfig, store: Store) -> Self {
        Self {
            verifier: TokenVerifier::new(config),
            tenants: TenantCache::new(store),
        }
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
        let claims = self.verifier.verify(token)?;
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
            secret: b"test-secret-of-some-length".to_vec(),
            issuer: issuer.map(str::to_owned),
            audience: audience.map(str::to_owned),
            leeway: Duration::from_secs(0),
        }
    }

    fn decode(config: &AuthConfig, token: &str) -> Result<Claims, AuthError> {
        TokenVerifier::new(config).verify(token)
    }

    fn slug() -> TenantSlug {
        TenantSlug::parse("acme").unwrap()
    }

    #[test]
    fn issued_tokens_verify_with_the_same_configuration() {
        let config = config(Some("journeyd"), Some("api"));
        let scopes = Scopes::parse("journeys:read").unwrap();
        let token = TokenIssuer::new(config.clone())
            .issue("me", &slug(), &scopes, Duration::from_secs(60))
            .unwrap();
        let claims = decode(&config, &token).unwrap();
        assert_eq!(claims.tenant, "acme");
        assert_eq!(claims.scope, "journeys:read");
    }

    #[test]
    fn wrong_secret_issuer_or_audience_fail() {
        let scopes = Scopes::default();
        let good = config(Some("journeyd"), Some("api"));
        let issue = |c: &AuthConfig, ttl: u64| {
            TokenIssuer::new(c.clone())
                .issue("me", &slug(), &scopes, Duration::from_secs(ttl))
                .unwrap()
        };
        let mut other_secret = good.clone();
        other_secret.secret = b"another-secret".to_vec();
        assert!(decode(&good, &issue(&other_secret, 60)).is_err());
        assert!(decode(&good, &issue(&config(Some("other"), Some("api")), 60)).is_err());
        assert!(decode(&good, &issue(&config(Some("journeyd"), Some("web")), 60)).is_err());
        assert!(decode(&good, &issue(&config(None, None), 60)).is_err());
        // Expired and not-yet-valid tokens are covered end to end (tests/auth.rs).
    }
}
