//! The `Viewer` type: who is calling.

use crate::auth::Session;
use async_graphql::SimpleObject;

/// The caller, as its token describes it.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The token's subject.
    pub subject: String,
    /// The slug of the tenant the caller acts for.
    pub tenant: String,
    /// The scopes the token grants.
    pub scopes: Vec<String>,
}

impl From<&Session> for Viewer {
    fn from(session: &Session) -> Self {
        Self {
            subject: session.subject.clone(),
            tenant: session.tenant_slug.clone(),
            scopes: session
                .scopes
                .iter()
                .map(|s| s.label().to_owned())
                .collect(),
        }
    }
}
