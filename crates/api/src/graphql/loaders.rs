//! DataLoaders for every edge of the journey map, so a nested query costs a
//! fixed number of SQL statements whatever the number of phases, touchpoints
//! or insights: all keys asked for at one depth are loaded in one batch.

use crate::error::ApiError;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use journeyd_domain::*;
use journeyd_persistence::{Activity, Store, StoreError};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// Loads journey-map rows of one tenant for one request.
pub struct MapLoader {
    store: Store,
    tenant: TenantId,
}

/// The touchpoints of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TouchpointsOfPhase(pub PhaseId);
/// The touchpoints of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TouchpointsOfJourney(pub JourneyId);
/// The phases of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhasesOfJourney(pub JourneyId);
/// The triggers of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TriggersOfJourney(pub JourneyId);
/// The triggers of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TriggersOfPhase(pub PhaseId);
/// Every insight of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InsightsOfJourney(pub JourneyId);
/// The insights attached to a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InsightsOfPhase(pub PhaseId);
/// The insights attached to a touchpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InsightsOfTouchpoint(pub TouchpointId);
/// The personas linked to a journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PersonasOfJourney(pub JourneyId);
/// When a customer was first and last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActivityOf(pub CustomerId);
/// The journeys a persona is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JourneysOfPersona(pub PersonaId);

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<StoreError>>;

/// Maps rows to their id.
fn by_id<K: Hash + Eq, V>(rows: Vec<V>, id: impl Fn(&V) -> K) -> HashMap<K, V> {
    rows.into_iter().map(|row| (id(&row), row)).collect()
}

/// Groups rows under the keys asked for; every key gets a list, empty when
/// nothing belongs to it. Rows whose owner is not asked for are dropped.
pub(crate) fn grouped<K: Hash + Eq + Copy, V>(
    keys: &[K],
    rows: impl IntoIterator<Item = (Option<K>, V)>,
) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for (owner, row) in rows {
        if let Some(group) = owner.and_then(|owner| groups.get_mut(&owner)) {
            group.push(row);
        }
    }
    groups
}

/// Implements a by-id loader.
macro_rules! load_by_id {
    ($key:ty => $value:ty, $method:ident) => {
        impl Loader<$key> for MapLoader {
            type Value = $value;
            type Error = Arc<StoreError>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $value> {
                let rows = self.store.$method(self.tenant, keys).await?;
                Ok(by_id(rows, |row| row.id))
            }
        }
    };
}

/// Implements a loader of the rows owned by a key; `owner` finds a row's
/// owner (if it has one of this kind).
macro_rules! load_owned {
    ($key:ident($inner:ty) => $value:ty, $method:ident, |$row:ident| $owner:expr) => {
        impl Loader<$key> for MapLoader {
            type Value = Vec<$value>;
            type Error = Arc<StoreError>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Vec<$value>> {
                let ids: Vec<$inner> = keys.iter().map(|k| k.0).collect();
                let rows = self.store.$method(self.tenant, &ids).await?;
                let owned = rows.into_iter().map(|$row| {
                    let owner: Option<$inner> = $owner;
                    (owner.map($key), $row)
                });
                Ok(grouped(keys, owned))
            }
        }
    };
}

/// Implements a loader over a link table: the store returns (owner, row) pairs.
macro_rules! load_linked {
    ($key:ident($inner:ty) => $value:ty, $method:ident) => {
        impl Loader<$key> for MapLoader {
            type Value = Vec<$value>;
            type Error = Arc<StoreError>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Vec<$value>> {
                let ids: Vec<$inner> = keys.iter().map(|k| k.0).collect();
                let links = self.store.$method(self.tenant, &ids).await?;
                Ok(grouped(
                    keys,
                    links
                        .into_iter()
                        .map(|(owner, row)| (Some($key(owner)), row)),
                ))
            }
        }
    };
}

load_by_id!(JourneyId => Journey, journeys_by_ids);
load_by_id!(PhaseId => Phase, phases_by_ids);
load_by_id!(PersonaId => Persona, personas_by_ids);
load_by_id!(ChannelId => Channel, channels_by_ids);
load_by_id!(TouchpointId => Touchpoint, touchpoints_by_ids);
load_by_id!(CustomerId => Customer, customers_by_ids);

impl Loader<ActivityOf> for MapLoader {
    type Value = Activity;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[ActivityOf]) -> LoadResult<ActivityOf, Activity> {
        let ids: Vec<CustomerId> = keys.iter().map(|k| k.0).collect();
        let activity = self.store.customer_activity(self.tenant, &ids).await?;
        Ok(activity
            .into_iter()
            .map(|(id, a)| (ActivityOf(id), a))
            .collect())
    }
}

load_owned!(PhasesOfJourney(JourneyId) => Phase, phases_of_journeys, |row| Some(row.journey_id));
load_owned!(TouchpointsOfPhase(PhaseId) => Touchpoint, touchpoints_of_phases, |row| Some(row.phase_id));
load_owned!(TouchpointsOfJourney(JourneyId) => Touchpoint, touchpoints_of_journeys, |row| Some(row.journey_id));
load_owned!(TriggersOfJourney(JourneyId) => Trigger, triggers_of_journeys, |row| Some(row.journey_id));
load_owned!(TriggersOfPhase(PhaseId) => Trigger, triggers_of_phases, |row| row.phase_id);
load_owned!(InsightsOfJourney(JourneyId) => Insight, insights_of_journeys, |row| Some(row.journey_id));
load_owned!(InsightsOfPhase(PhaseId) => Insight, insights_of_phases, |row| match row.target {
    InsightTarget::Phase(phase) => Some(phase),
    _ => None,
});
load_owned!(InsightsOfTouchpoint(TouchpointId) => Insight, insights_of_touchpoints, |row| match row.target {
    InsightTarget::Touchpoint(tp) => Some(tp),
    _ => None,
});
load_linked!(PersonasOfJourney(JourneyId) => Persona, personas_of_journeys);
load_linked!(JourneysOfPersona(PersonaId) => Journey, journeys_of_personas);

/// The loaders of one request, scoped to the caller's tenant. Loaded rows are
/// cached for the request, so rows fed in advance (see `prefetch`) cost
/// nothing when a nested field asks for them.
pub struct Loaders {
    inner: DataLoader<MapLoader, HashMapCache>,
}

impl Loaders {
    /// Fresh loaders for one request of `tenant`.
    pub fn new(store: Store, tenant: TenantId) -> Self {
        Self {
            inner: DataLoader::with_cache(
                MapLoader { store, tenant },
                tokio::spawn,
                HashMapCache::default(),
            ),
        }
    }

    /// One row by key; `kind` names it in the NOT_FOUND error.
    pub async fn one<K, V>(&self, key: K, kind: &str) -> Result<V, ApiError>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        MapLoader: Loader<K, Value = V, Error = Arc<StoreError>>,
        V: Send + Sync + Clone + 'static,
    {
        self.inner
            .load_one(key)
            .await?
            .ok_or_else(|| ApiError::NotFound(kind.to_owned()))
    }

    /// The rows owned by a key (empty when none).
    pub async fn many<K, V>(&self, key: K) -> Result<Vec<V>, ApiError>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        MapLoader: Loader<K, Value = Vec<V>, Error = Arc<StoreError>>,
        V: Send + Sync + Clone + 'static,
    {
        Ok(self.inner.load_one(key).await?.unwrap_or_default())
    }

    /// Puts rows loaded in advance into the request's cache.
    pub async fn feed<K, V>(&self, rows: impl IntoIterator<Item = (K, V)>)
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        MapLoader: Loader<K, Value = V, Error = Arc<StoreError>>,
        V: Send + Sync + Clone + 'static,
    {
        self.inner.feed_many(rows).await;
    }

    /// Stops caching for the rest of the request: after a change, rows read
    /// before it would be stale.
    pub fn stop_caching(&self) {
        self.inner.enable_all_cache(false);
    }
}
