//! Tenants: the organisations that use journeyd; every other row belongs to one.

use crate::{Name, TenantId, ValidationError, text::parse_slug};
use std::fmt;

/// The longest tenant slug in characters.
pub const TENANT_SLUG_MAX_CHARS: usize = 63;

/// A tenant's stable, human-readable handle (used in tokens and on the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// Validates `value` as a tenant slug.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        parse_slug("slug", value, TENANT_SLUG_MAX_CHARS).map(Self)
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organisation using journeyd.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// The tenant's id.
    pub id: TenantId,
    /// Its handle, unique across the service.
    pub slug: TenantSlug,
    /// Its display name.
    pub name: Name,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}
