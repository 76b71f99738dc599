//! The `Touchpoint` type: a moment where a customer meets the brand.

use super::enums::Sentiment;
use super::{Channel, Insight, Journey, Phase};
use crate::error::ApiResult;
use crate::graphql::context::loaders;
use crate::graphql::ids::{GlobalId, NodeKind};
use crate::graphql::loaders::*;
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use journeyd_domain as domain;

/// A moment where a customer meets the brand, in one phase, through one channel.
#[derive(Clone)]
pub struct Touchpoint(pub domain::Touchpoint);

/// A key performance indicator with its target.
#[derive(SimpleObject, Clone)]
pub struct Kpi {
    /// What is measured.
    pub name: String,
    /// The value to reach.
    pub target: Option<f64>,
    /// The unit of the value.
    pub unit: Option<String>,
}

#[Object]
impl Touchpoint {
    /// The touchpoint's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Touchpoint, self.0.id.uuid())
    }

    /// Its key, unique within the journey: how CRM systems address it.
    async fn key(&self) -> &str {
        self.0.key.as_str()
    }

    /// Its name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// What happens there.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Who in the organisation owns it.
    async fn owner(&self) -> Option<&str> {
        self.0.owner.as_deref()
    }

    /// What it should achieve.
    async fn goal(&self) -> Option<&str> {
        self.0.goal.as_deref()
    }

    /// How that is measured.
    async fn kpi(&self) -> Option<Kpi> {
        self.0.kpi.as_ref().map(|k| Kpi {
            name: k.name.clone(),
            target: k.target,
            unit: k.unit.clone(),
        })
    }

    /// How customers are assessed to feel there.
    async fn sentiment(&self) -> Option<Sentiment> {
        self.0.sentiment.map(Into::into)
    }

    /// Whether a purchase (conversion) happens there.
    async fn is_conversion(&self) -> bool {
        self.0.is_conversion
    }

    /// Its place within its phase, from 0.
    async fn position(&self) -> u32 {
        self.0.position
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The phase it sits in.
    async fn phase(&self, ctx: &Context<'_>) -> ApiResult<Phase> {
        Ok(Phase(loaders(ctx)?.one(self.0.phase_id, "phase").await?))
    }

    /// The channel it uses.
    async fn channel(&self, ctx: &Context<'_>) -> ApiResult<Channel> {
        Ok(Channel(
            loaders(ctx)?.one(self.0.channel_id, "channel").await?,
        ))
    }

    /// The journey it belongs to.
    async fn journey(&self, ctx: &Context<'_>) -> ApiResult<Journey> {
        Ok(Journey(
            loaders(ctx)?.one(self.0.journey_id, "journey").await?,
        ))
    }

    /// The insights attached to it.
    async fn insights(&self, ctx: &Context<'_>) -> ApiResult<Vec<Insight>> {
        let insights = loaders(ctx)?.many(InsightsOfTouchpoint(self.0.id)).await?;
        Ok(insights.into_iter().map(Insight).collect())
    }
}
