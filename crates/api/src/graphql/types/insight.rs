//! The `Insight` type: what research found.

use super::enums::{InsightKind, Severity};
use super::{Journey, Phase, Touchpoint};
use crate::error::ApiResult;
use crate::graphql::context::loaders;
use crate::graphql::ids::{GlobalId, NodeKind};
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use journeyd_domain::{self as domain, InsightTarget};

/// What research found: a pain point, an opportunity, a quote or a finding.
#[derive(Clone)]
pub struct Insight(pub domain::Insight);

#[Object]
impl Insight {
    /// The insight's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Insight, self.0.id.uuid())
    }

    /// Its kind.
    async fn kind(&self) -> InsightKind {
        self.0.kind.into()
    }

    /// A short title.
    async fn title(&self) -> &str {
        self.0.title.as_str()
    }

    /// The finding in full.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// How much it matters.
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }

    /// Where it comes from.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The journey it belongs to.
    async fn journey(&self, ctx: &Context<'_>) -> ApiResult<Journey> {
        Ok(Journey(
            loaders(ctx)?.one(self.0.journey_id, "journey").await?,
        ))
    }

    /// The phase it is attached to, if it is attached to a phase.
    async fn phase(&self, ctx: &Context<'_>) -> ApiResult<Option<Phase>> {
        match self.0.target {
            InsightTarget::Phase(id) => Ok(Some(Phase(loaders(ctx)?.one(id, "phase").await?))),
            _ => Ok(None),
        }
    }

    /// The touchpoint it is attached to, if it is attached to a touchpoint.
    async fn touchpoint(&self, ctx: &Context<'_>) -> ApiResult<Option<Touchpoint>> {
        match self.0.target {
            InsightTarget::Touchpoint(id) => {
                Ok(Some(Touchpoint(loaders(ctx)?.one(id, "touchpoint").await?)))
            }
            _ => Ok(None),
        }
    }
}
