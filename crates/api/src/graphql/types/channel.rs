//! The `Channel` type: a road by which customers meet the brand.

use super::enums::ChannelKind;
use crate::graphql::ids::{GlobalId, NodeKind};
use async_graphql::{ID, Object};
use journeyd_domain as domain;

/// A road by which customers meet the brand.
#[derive(Clone)]
pub struct Channel(pub domain::Channel);

#[Object]
impl Channel {
    /// The channel's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Channel, self.0.id.uuid())
    }

    /// Its name, unique within the tenant.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// Its kind.
    async fn kind(&self) -> ChannelKind {
        self.0.kind.into()
    }

    /// What it is.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
}
