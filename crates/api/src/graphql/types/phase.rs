//! The `Phase` type: an ordered step of a journey.

use super::enums::{Sentiment, Stage};
use super::{Insight, Journey, Touchpoint, Trigger};
use crate::error::ApiResult;
use crate::graphql::context::loaders;
use crate::graphql::ids::{GlobalId, NodeKind};
use crate::graphql::loaders::*;
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use journeyd_domain as domain;

/// An ordered step of a journey.
#[derive(Clone)]
pub struct Phase(pub domain::Phase);

#[Object]
impl Phase {
    /// The phase's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Phase, self.0.id.uuid())
    }

    /// Its place in the journey, from 0.
    async fn position(&self) -> u32 {
        self.0.position
    }

    /// Its name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// Its canonical stage.
    async fn stage(&self) -> Stage {
        self.0.stage.into()
    }

    /// What happens in it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// What the customer wants to achieve here.
    async fn customer_goals(&self) -> &[String] {
        &self.0.customer_goals
    }

    /// What the customer asks here.
    async fn questions(&self) -> &[String] {
        &self.0.questions
    }

    /// The emotion the customer is expected to feel here.
    async fn expected_emotion(&self) -> Option<Sentiment> {
        self.0.expected_emotion.map(Into::into)
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The journey it belongs to.
    async fn journey(&self, ctx: &Context<'_>) -> ApiResult<Journey> {
        Ok(Journey(
            loaders(ctx)?.one(self.0.journey_id, "journey").await?,
        ))
    }

    /// Its touchpoints, in order.
    async fn touchpoints(&self, ctx: &Context<'_>) -> ApiResult<Vec<Touchpoint>> {
        let touchpoints = loaders(ctx)?.many(TouchpointsOfPhase(self.0.id)).await?;
        Ok(touchpoints.into_iter().map(Touchpoint).collect())
    }

    /// The triggers that move customers into it.
    async fn triggers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Trigger>> {
        let triggers = loaders(ctx)?.many(TriggersOfPhase(self.0.id)).await?;
        Ok(triggers.into_iter().map(Trigger).collect())
    }

    /// The insights attached to it.
    async fn insights(&self, ctx: &Context<'_>) -> ApiResult<Vec<Insight>> {
        let insights = loaders(ctx)?.many(InsightsOfPhase(self.0.id)).await?;
        Ok(insights.into_iter().map(Insight).collect())
    }
}
