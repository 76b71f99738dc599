//! The `Journey` type: a journey map with its phases, touchpoints, personas,
//! triggers and insights.

use super::enums::{InsightKind, JourneyState, JourneyStatus, JourneyTemplate};
use super::{Insight, Persona, Phase, Touchpoint, Trigger};
use crate::error::ApiResult;
use crate::graphql::context::loaders;
use crate::graphql::ids::{GlobalId, NodeKind};
use crate::graphql::loaders::*;
use crate::graphql::scalars::Date;
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use journeyd_domain as domain;
use std::collections::HashMap;

/// A journey map: the path customers take from first awareness to loyalty.
#[derive(Clone)]
pub struct Journey(pub domain::Journey);

/// A SMART goal: what should happen, how it is measured, the target and the deadline.
#[derive(SimpleObject, Clone)]
pub struct JourneyGoal {
    /// What the journey should achieve.
    pub statement: String,
    /// How progress is measured.
    pub metric: Option<String>,
    /// The value of the metric to reach.
    pub target: Option<f64>,
    /// When the target should be reached.
    pub deadline: Option<Date>,
}

#[Object]
impl Journey {
    /// The journey's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Journey, self.0.id.uuid())
    }

    /// Its name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// What it covers.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Its SMART goal.
    async fn goal(&self) -> Option<JourneyGoal> {
        self.0.goal.as_ref().map(|g| JourneyGoal {
            statement: g.statement.clone(),
            metric: g.metric.clone(),
            target: g.target,
            deadline: g.deadline.map(Date),
        })
    }

    /// Current-state or future-state map.
    async fn state(&self) -> JourneyState {
        self.0.state.into()
    }

    /// Draft, active or archived.
    async fn status(&self) -> JourneyStatus {
        self.0.status.into()
    }

    /// The framework its phases were created from.
    async fn template(&self) -> JourneyTemplate {
        self.0.template.into()
    }

    /// The optimistic-concurrency version: pass it to `updateJourney`.
    async fn version(&self) -> i64 {
        self.0.version.0
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it, or anything in it, last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Its phases, in order.
    async fn phases(&self, ctx: &Context<'_>) -> ApiResult<Vec<Phase>> {
        let phases = loaders(ctx)?.many(PhasesOfJourney(self.0.id)).await?;
        Ok(phases.into_iter().map(Phase).collect())
    }

    /// All its touchpoints, in phase order and then in order within each phase.
    async fn touchpoints(&self, ctx: &Context<'_>) -> ApiResult<Vec<Touchpoint>> {
        let loaders = loaders(ctx)?;
        // Both loads are awaited together so they join the same batch.
        let (phases, touchpoints) = tokio::join!(
            loaders.many(PhasesOfJourney(self.0.id)),
            loaders.many(TouchpointsOfJourney(self.0.id)),
        );
        let order: HashMap<domain::PhaseId, u32> =
            phases?.iter().map(|p| (p.id, p.position)).collect();
        let mut touchpoints = touchpoints?;
        touchpoints.sort_by_key(|tp| (order.get(&tp.phase_id).copied(), tp.position));
        Ok(touchpoints.into_iter().map(Touchpoint).collect())
    }

    /// The personas who travel it.
    async fn personas(&self, ctx: &Context<'_>) -> ApiResult<Vec<Persona>> {
        let personas = loaders(ctx)?.many(PersonasOfJourney(self.0.id)).await?;
        Ok(personas.into_iter().map(Persona).collect())
    }

    /// The triggers that start it or move customers through it.
    async fn triggers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Trigger>> {
        let triggers = loaders(ctx)?.many(TriggersOfJourney(self.0.id)).await?;
        Ok(triggers.into_iter().map(Trigger).collect())
    }

    /// Every research insight about it (on the journey, a phase or a
    /// touchpoint), optionally of one kind.
    async fn insights(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only insights of this kind.")] kind: Option<InsightKind>,
    ) -> ApiResult<Vec<Insight>> {
        let insights = loaders(ctx)?.many(InsightsOfJourney(self.0.id)).await?;
        let kind = kind.map(domain::InsightKind::from);
        Ok(insights
            .into_iter()
            .filter(|i| kind.is_none_or(|k| i.kind == k))
            .map(Insight)
            .collect())
    }
}
