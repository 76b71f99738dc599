//! Prefetching a journey map: when a query asks for journeys, everything the
//! query selects below them (phases, touchpoints, channels, insights,
//! triggers, personas) is read in one statement per table, whatever the
//! number of journeys, phases or touchpoints, and fed into the request's
//! loaders. Nested resolvers then find their rows in the cache.
//!
//! This makes the cost of the most common query exact (the DataLoader's
//! time-window batching would usually, but not always, reach the same
//! count) and saves the batching delay at every level.

use super::context::loaders;
use super::loaders::*;
use crate::error::ApiResult;
use async_graphql::{Context, Lookahead};
use journeyd_domain::*;
use journeyd_persistence::{Store, StoreError};
use std::collections::BTreeSet;
use std::future::Future;

/// Runs `load` only when `wanted`.
async fn when<T>(
    wanted: bool,
    load: impl Future<Output = Result<T, StoreError>>,
) -> Result<Option<T>, StoreError> {
    if wanted {
        load.await.map(Some)
    } else {
        Ok(None)
    }
}

/// The loader keys of `ids`.
fn keys<I: Copy, K>(ids: &[I], key: fn(I) -> K) -> Vec<K> {
    ids.iter().map(|id| key(*id)).collect()
}

/// What a selection on `Journey` asks for below it.
struct Wanted {
    phases: bool,
    touchpoints: bool,
    channels: bool,
    insights: bool,
    triggers: bool,
    personas: bool,
}

impl Wanted {
    fn of(journey: &Lookahead<'_>) -> Self {
        let phase = journey.field("phases");
        let touchpoint_selections = [journey.field("touchpoints"), phase.field("touchpoints")];
        let touchpoints = touchpoint_selections.iter().any(Lookahead::exists);
        let under_touchpoints = |field: &str| {
            touchpoint_selections
                .iter()
                .any(|s| s.field(field).exists())
        };
        Self {
            // Touchpoints are ordered by their phase's position, so they need the phases.
            phases: phase.exists() || touchpoints,
            touchpoints,
            channels: under_touchpoints("channel"),
            insights: journey.field("insights").exists()
                || phase.field("insights").exists()
                || under_touchpoints("insights"),
            triggers: journey.field("triggers").exists() || phase.field("triggers").exists(),
            personas: journey.field("personas").exists(),
        }
    }
}

/// Loads what `selection` (a selection on `Journey`) asks for below
/// `journeys` and feeds it to the request's loaders.
pub(crate) async fn journey_maps(
    ctx: &Context<'_>,
    store: &Store,
    tenant: TenantId,
    journeys: &[Journey],
    selection: &Lookahead<'_>,
) -> ApiResult<()> {
    let loaders = loaders(ctx)?;
    if journeys.is_empty() {
        return Ok(());
    }
    let ids: Vec<JourneyId> = journeys.iter().map(|j| j.id).collect();
    loaders
        .feed(journeys.iter().map(|j| (j.id, j.clone())))
        .await;
    let wanted = Wanted::of(selection);

    let (phases, touchpoints, insights, triggers, personas) = tokio::try_join!(
        when(wanted.phases, store.phases_of_journeys(tenant, &ids)),
        when(
            wanted.touchpoints,
            store.touchpoints_of_journeys(tenant, &ids)
        ),
        when(wanted.insights, store.insights_of_journeys(tenant, &ids)),
        when(wanted.triggers, store.triggers_of_journeys(tenant, &ids)),
        when(wanted.personas, store.personas_of_journeys(tenant, &ids)),
    )?;
    let channels = match (&touchpoints, wanted.channels) {
        (Some(touchpoints), true) => {
            let distinct: BTreeSet<ChannelId> =
                touchpoints.iter().map(|tp| tp.channel_id).collect();
            let distinct: Vec<ChannelId> = distinct.into_iter().collect();
            Some(store.channels_by_ids(tenant, &distinct).await?)
        }
        _ => None,
    };

    let phase_ids: Vec<PhaseId> = phases.iter().flatten().map(|p| p.id).collect();

    if let Some(phases) = phases {
        loaders.feed(phases.iter().map(|p| (p.id, p.clone()))).await;
        let owned = phases
            .into_iter()
            .map(|p| (Some(PhasesOfJourney(p.journey_id)), p));
        loaders
            .feed(grouped(&keys(&ids, PhasesOfJourney), owned))
            .await;
    }
    if let Some(mut touchpoints) = touchpoints {
        loaders
            .feed(touchpoints.iter().map(|tp| (tp.id, tp.clone())))
            .await;
        let by_journey = touchpoints
            .iter()
            .cloned()
            .map(|tp| (Some(TouchpointsOfJourney(tp.journey_id)), tp));
        loaders
            .feed(grouped(&keys(&ids, TouchpointsOfJourney), by_journey))
            .await;
        touchpoints.sort_by_key(|tp| (tp.phase_id, tp.position));
        let by_phase = touchpoints
            .iter()
            .cloned()
            .map(|tp| (Some(TouchpointsOfPhase(tp.phase_id)), tp));
        loaders
            .feed(grouped(&keys(&phase_ids, TouchpointsOfPhase), by_phase))
            .await;
        if let Some(insights) = &insights {
            let touchpoint_ids: Vec<TouchpointId> = touchpoints.iter().map(|tp| tp.id).collect();
            let owned = insights.iter().cloned().map(|i| {
                let owner = match i.target {
                    InsightTarget::Touchpoint(tp) => Some(InsightsOfTouchpoint(tp)),
                    _ => None,
                };
                (owner, i)
            });
            loaders
                .feed(grouped(&keys(&touchpoint_ids, InsightsOfTouchpoint), owned))
                .await;
        }
    }
    if let Some(channels) = channels {
        loaders.feed(channels.into_iter().map(|c| (c.id, c))).await;
    }
    if let Some(insights) = insights {
        let by_phase = insights.iter().cloned().map(|i| {
            let owner = match i.target {
                InsightTarget::Phase(phase) => Some(InsightsOfPhase(phase)),
                _ => None,
            };
            (owner, i)
        });
        loaders
            .feed(grouped(&keys(&phase_ids, InsightsOfPhase), by_phase))
            .await;
        let by_journey = insights
            .into_iter()
            .map(|i| (Some(InsightsOfJourney(i.journey_id)), i));
        loaders
            .feed(grouped(&keys(&ids, InsightsOfJourney), by_journey))
            .await;
    }
    if let Some(triggers) = triggers {
        let by_phase = triggers
            .iter()
            .cloned()
            .map(|t| (t.phase_id.map(TriggersOfPhase), t));
        loaders
            .feed(grouped(&keys(&phase_ids, TriggersOfPhase), by_phase))
            .await;
        let by_journey = triggers
            .into_iter()
            .map(|t| (Some(TriggersOfJourney(t.journey_id)), t));
        loaders
            .feed(grouped(&keys(&ids, TriggersOfJourney), by_journey))
            .await;
    }
    if let Some(personas) = personas {
        let owned = personas
            .into_iter()
            .map(|(journey, p)| (Some(PersonasOfJourney(journey)), p));
        loaders
            .feed(grouped(&keys(&ids, PersonasOfJourney), owned))
            .await;
    }
    Ok(())
}
