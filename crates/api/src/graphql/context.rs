//! What every resolver can reach: the caller's session (or why there is
//! none), the store and the request's loaders.

use super::Loaders;
use crate::auth::{AuthError, Session};
use crate::error::ApiError;
use async_graphql::Context;
use journeyd_domain::{Scope, TenantId};
use journeyd_persistence::Store;

/// The per-request data the HTTP layer attaches to a GraphQL request.
pub struct RequestData {
    /// The authenticated session, or why authentication failed.
    pub session: Result<Session, AuthError>,
}

/// The caller's session, if it grants `scope`; otherwise UNAUTHENTICATED (no
/// valid token) or FORBIDDEN (valid token without the scope).
pub(crate) fn require<'a>(ctx: &'a Context<'_>, scope: Scope) -> Result<&'a Session, ApiError> {
    let session = authenticated(ctx)?;
    if session.grants(scope) {
        Ok(session)
    } else {
        Err(ApiError::forbidden(scope))
    }
}

/// The caller's session, whatever its scopes.
pub(crate) fn authenticated<'a>(ctx: &'a Context<'_>) -> Result<&'a Session, ApiError> {
    match ctx.data_opt::<RequestData>().map(|d| &d.session) {
        Some(Ok(session)) => Ok(session),
        _ => Err(ApiError::Unauthenticated),
    }
}

/// The store and the caller's tenant, for a field that needs `scope`.
pub(crate) fn scoped<'a>(
    ctx: &'a Context<'_>,
    scope: Scope,
) -> Result<(&'a Store, TenantId), ApiError> {
    let session = require(ctx, scope)?;
    Ok((store(ctx), session.tenant))
}

/// The store and the caller's tenant for a mutation that needs `scope`. The
/// request's loader cache is switched off: what it holds may be stale now.
pub(crate) fn writing<'a>(
    ctx: &'a Context<'_>,
    scope: Scope,
) -> Result<(&'a Store, TenantId), ApiError> {
    let scoped = scoped(ctx, scope)?;
    loaders(ctx)?.stop_caching();
    Ok(scoped)
}

pub(crate) fn store<'a>(ctx: &'a Context<'_>) -> &'a Store {
    ctx.data_unchecked::<Store>()
}

/// The request's loaders (present on every authenticated request).
pub(crate) fn loaders<'a>(ctx: &'a Context<'_>) -> Result<&'a Loaders, ApiError> {
    ctx.data_opt::<Loaders>().ok_or(ApiError::Unauthenticated)
}
