//! The metric queries for BI tools: funnel, emotion curve, channel mix,
//! interaction series, paths and summary. They need the `metrics:read`
//! scope; definitions are in `docs/metrics.md` and `journeyd_domain::metrics`.

use crate::error::{ApiError, ApiResult};
use crate::graphql::context::scoped;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::types::enums::ChannelKind;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use journeyd_domain::metrics::series::{Interval, SeriesBuckets, parse_zone};
use journeyd_domain::metrics::{self, DAY_US, DEFAULT_WINDOW_DAYS, SeriesGroup, TimeRange};
use journeyd_domain::{self as domain, Scope, TenantId};
use journeyd_persistence::{Chains, MetricShape, RangeTallies, Store};
use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OnceCell;

/// The length of a series bucket.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SeriesInterval {
    /// Calendar days.
    Day,
    /// Calendar weeks, from Monday.
    Week,
    /// Calendar months.
    Month,
}

/// How a series is split.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum SeriesGroupBy {
    /// One row per bucket.
    #[default]
    None,
    /// One row per bucket and phase.
    Phase,
    /// One row per bucket and channel.
    Channel,
}

/// One step (phase) of the funnel.
#[derive(SimpleObject)]
pub struct FunnelStep {
    /// The phase.
    pub phase_id: ID,
    /// The phase's name.
    pub phase: String,
    /// The phase's position, from 0.
    pub position: i32,
    /// Customers who reached this phase within the conversion window.
    pub customers: i64,
    /// `customers` over the previous step's (1 for the first step; 0 when nobody entered).
    pub conversion_from_previous: f64,
    /// `customers` over the first step's (0 when nobody entered).
    pub conversion_from_start: f64,
    /// The previous step's customers who did not reach this one.
    pub drop_off: i64,
    /// Median seconds from the previous step (nearest rank; null when nobody reached it).
    pub median_seconds_from_previous: Option<f64>,
    /// 90th percentile of seconds from the previous step (nearest rank).
    pub p90_seconds_from_previous: Option<f64>,
}

/// Sentiment, rating and NPS figures of a touchpoint.
#[derive(SimpleObject)]
pub struct TouchpointEmotion {
    /// The touchpoint.
    pub touchpoint_id: ID,
    /// Its key.
    pub touchpoint: String,
    /// Its name.
    pub name: String,
    /// Interactions in the range.
    pub interactions: i64,
    /// Interactions with a sentiment.
    pub with_sentiment: i64,
    /// Mean sentiment (-2..2).
    pub average_sentiment: Option<f64>,
    /// Share of sentiments above 0.
    pub positive_share: Option<f64>,
    /// Share of sentiments of 0.
    pub neutral_share: Option<f64>,
    /// Share of sentiments below 0.
    pub negative_share: Option<f64>,
    /// Mean star rating.
    pub average_rating: Option<f64>,
    /// Share of ratings of 4 or 5 among rated interactions.
    pub csat: Option<f64>,
    /// Percentage of promoters (9–10) minus percentage of detractors (0–6).
    pub nps: Option<f64>,
}

/// One phase of the emotion curve, with its touchpoints.
#[derive(SimpleObject)]
pub struct PhaseEmotion {
    /// The phase.
    pub phase_id: ID,
    /// The phase's name.
    pub phase: String,
    /// The phase's position, from 0.
    pub position: i32,
    /// Interactions in the range.
    pub interactions: i64,
    /// Interactions with a sentiment.
    pub with_sentiment: i64,
    /// Mean sentiment (-2..2).
    pub average_sentiment: Option<f64>,
    /// Share of sentiments above 0.
    pub positive_share: Option<f64>,
    /// Share of sentiments of 0.
    pub neutral_share: Option<f64>,
    /// Share of sentiments below 0.
    pub negative_share: Option<f64>,
    /// Mean star rating.
    pub average_rating: Option<f64>,
    /// Share of ratings of 4 or 5 among rated interactions.
    pub csat: Option<f64>,
    /// Percentage of promoters minus percentage of detractors.
    pub nps: Option<f64>,
    /// Every touchpoint of the phase, in order.
    pub touchpoints: Vec<TouchpointEmotion>,
}

/// One phase × channel cell of the channel mix.
#[derive(SimpleObject)]
pub struct ChannelMixRow {
    /// The phase.
    pub phase_id: ID,
    /// The phase's name.
    pub phase: String,
    /// The channel.
    pub channel_id: ID,
    /// The channel's name.
    pub channel: String,
    /// The channel's kind.
    pub channel_kind: ChannelKind,
    /// Interactions in this phase through this channel.
    pub interactions: i64,
    /// Their share of the phase's interactions.
    pub share: f64,
    /// Their mean sentiment.
    pub average_sentiment: Option<f64>,
}

/// One bucket (and group) of a series.
#[derive(SimpleObject)]
pub struct SeriesPoint {
    /// The bucket's first local date (YYYY-MM-DD).
    pub bucket: String,
    /// The instant the bucket starts.
    pub bucket_start: DateTime<Utc>,
    /// The phase, when grouped by phase.
    pub phase_id: Option<ID>,
    /// The phase's name, when grouped by phase.
    pub phase: Option<String>,
    /// The channel, when grouped by channel.
    pub channel_id: Option<ID>,
    /// The channel's name, when grouped by channel.
    pub channel: Option<String>,
    /// Interactions in the bucket.
    pub interactions: i64,
    /// Funnel entries (customers whose first step falls in the bucket).
    pub entries: i64,
}

/// One common path.
#[derive(SimpleObject)]
pub struct PathRow {
    /// The phases' names, in order.
    pub phases: Vec<String>,
    /// The phases, in order.
    pub phase_ids: Vec<ID>,
    /// Customers who took this path.
    pub customers: i64,
    /// Their share of all customers with interactions in the range.
    pub share: f64,
}

/// The most common paths through a journey.
#[derive(SimpleObject)]
pub struct JourneyPaths {
    /// Customers with interactions in the range.
    pub customers: i64,
    /// The most common paths, most customers first.
    pub paths: Vec<PathRow>,
    /// Share of customers who stepped back to an earlier phase at least once.
    pub back_step_rate: f64,
    /// Share of customers who skipped ahead over a phase at least once.
    pub skip_rate: f64,
}

/// A sum of money in one currency.
#[derive(SimpleObject)]
pub struct MoneyTotal {
    /// The ISO 4217 currency.
    pub currency: String,
    /// The exact sum, as a decimal string.
    pub amount: String,
}

/// A journey's figures over a range.
#[derive(SimpleObject)]
pub struct JourneySummary {
    /// Customers with interactions in the range.
    pub customers: i64,
    /// Interactions in the range.
    pub interactions: i64,
    /// Customers whose first step lies in the range.
    pub funnel_entries: i64,
    /// Of those, the ones who reached the last phase within 30 days.
    pub funnel_completions: i64,
    /// Sum of values per currency.
    pub value: Vec<MoneyTotal>,
    /// Share of customers with exactly one interaction in the range.
    pub bounce_rate: Option<f64>,
    /// Among customers whose first conversion lies in the range, the share
    /// with another conversion within 30 days after it.
    pub repeat_rate: Option<f64>,
    /// Mean sentiment.
    pub average_sentiment: Option<f64>,
    /// Share of ratings of 4 or 5 among rated interactions.
    pub csat: Option<f64>,
    /// Percentage of promoters minus percentage of detractors.
    pub nps: Option<f64>,
}

/// What is read once per request and shared by the metric fields that need
/// it: a dashboard asks for several metrics of one journey and range in one
/// request, and its fields run concurrently.
#[derive(Default)]
pub struct MetricsMemo {
    cells: Mutex<HashMap<MemoKey, Arc<OnceCell<MemoValue>>>>,
}

/// A memo entry's value, of the type its key's `what` names.
type MemoValue = Arc<dyn Any + Send + Sync>;

/// What a memo entry holds and for which journey, range and persona.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MemoKey {
    what: &'static str,
    journey: domain::JourneyId,
    range: (i64, i64),
    persona: Option<domain::PersonaId>,
}

impl MetricsMemo {
    /// The value for `key`, loaded by the first field that asks for it.
    async fn get<T, Fut>(
        memo: Option<&Self>,
        key: MemoKey,
        load: impl FnOnce() -> Fut,
    ) -> ApiResult<Arc<T>>
    where
        T: Send + Sync + 'static,
        Fut: Future<Output = ApiResult<T>>,
    {
        let Some(memo) = memo else {
            return load().await.map(Arc::new);
        };
        let cell = memo
            .cells
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        let value = cell
            .get_or_try_init(|| async { load().await.map(|v| Arc::new(v) as MemoValue) })
            .await?;
        value.clone().downcast::<T>().map_err(|_| {
            ApiError::internal(&format_args!("memo entry {} has another type", key.what))
        })
    }
}

/// Everything a metric query works with.
struct Scope_<'a> {
    store: &'a Store,
    memo: Option<&'a MetricsMemo>,
    tenant: TenantId,
    journey: domain::JourneyId,
    range: TimeRange,
    persona: Option<domain::PersonaId>,
    shape: Arc<MetricShape>,
    phases: Arc<Vec<domain::Phase>>,
}

impl Scope_<'_> {
    fn key(&self, what: &'static str) -> MemoKey {
        MemoKey {
            what,
            journey: self.journey,
            range: (self.range.from_us, self.range.to_us),
            persona: self.persona,
        }
    }

    /// Per touchpoint, the tallies of the interactions in the range.
    async fn tallies(&self) -> ApiResult<Arc<RangeTallies>> {
        MetricsMemo::get(self.memo, self.key("tallies"), || async {
            Ok(self
                .store
                .range_tallies(
                    self.tenant,
                    self.journey,
                    &self.shape,
                    self.range,
                    self.persona,
                )
                .await?)
        })
        .await
    }

    /// The funnel chains of the customers who entered in the range.
    async fn chains(&self) -> ApiResult<Arc<Chains>> {
        MetricsMemo::get(self.memo, self.key("chains"), || async {
            Ok(self
                .store
                .entering_chains(self.tenant, self.journey, self.range, self.persona)
                .await?)
        })
        .await
    }

    fn phase_id(&self, index: usize) -> ID {
        GlobalId::encode(NodeKind::Phase, self.shape.phases[index].uuid())
    }

    fn phase_name(&self, index: usize) -> String {
        self.phases
            .get(index)
            .map(|p| p.name.as_str().to_owned())
            .unwrap_or_default()
    }

    async fn channels(&self) -> ApiResult<HashMap<domain::ChannelId, domain::Channel>> {
        Ok(self
            .store
            .channels_by_ids(self.tenant, &self.shape.channels)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect())
    }
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

async fn scope<'a>(
    ctx: &'a Context<'_>,
    journey_id: &ID,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    persona_id: Option<&ID>,
) -> ApiResult<Scope_<'a>> {
    let (store, tenant) = scoped(ctx, Scope::MetricsRead)?;
    let journey = ids::journey_id("journeyId", journey_id)?;
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - Duration::days(30));
    let range = TimeRange::new(micros(from), micros(to))?;
    let persona = persona_id
        .map(|p| ids::persona_id("personaId", p))
        .transpose()?;
    let memo = ctx.data_opt::<MetricsMemo>();
    let key = MemoKey {
        what: "shape",
        journey,
        range: (0, 0),
        persona,
    };
    let found = MetricsMemo::get(memo, key, || async {
        store.journey(tenant, journey).await?;
        if let Some(persona) = persona {
            store.persona(tenant, persona).await?;
        }
        let shape = store.metric_shape(tenant, journey).await?;
        let phases = store.phases_of_journeys(tenant, &[journey]).await?;
        Ok((Arc::new(shape), Arc::new(phases)))
    })
    .await?;
    let (shape, phases) = (found.0.clone(), found.1.clone());
    Ok(Scope_ {
        store,
        memo,
        tenant,
        journey,
        range,
        persona,
        shape,
        phases,
    })
}

/// The most buckets one series answers with.
const MAX_BUCKETS: usize = 10_000;

/// The metric root fields (merged into the root query).
#[derive(Default)]
pub struct MetricsQuery;

#[Object]
impl MetricsQuery {
    /// The funnel: per phase, the customers who entered in the range (their
    /// earliest first-phase interaction lies in it) and reached the phase in
    /// order within the conversion window.
    #[graphql(complexity = "crate::graphql::METRIC_COST + child_complexity")]
    async fn journey_funnel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey.")] journey_id: ID,
        #[graphql(desc = "Start of the range (default: 30 days before `to`).")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "End of the range, exclusive (default: now).")] to: Option<DateTime<Utc>>,
        #[graphql(
            desc = "Days a customer may take from the first step to a later one.",
            default = 30
        )]
        conversion_window_days: i32,
        #[graphql(desc = "Only customers of this persona.")] persona_id: Option<ID>,
    ) -> ApiResult<Vec<FunnelStep>> {
        if !(1..=3_660).contains(&conversion_window_days) {
            return Err(ApiError::bad_input(
                "conversionWindowDays",
                "must be between 1 and 3660",
            ));
        }
        let s = scope(ctx, &journey_id, from, to, persona_id.as_ref()).await?;
        let chains = s.chains().await?;
        let steps = metrics::funnel_steps(
            chains.iter(),
            s.shape.shape.phases,
            i64::from(conversion_window_days) * DAY_US,
        );
        Ok(steps
            .into_iter()
            .enumerate()
            .map(|(i, step)| FunnelStep {
                phase_id: s.phase_id(i),
                phase: s.phase_name(i),
                position: i as i32,
                customers: step.customers as i64,
                conversion_from_previous: step.conversion_from_previous,
                conversion_from_start: step.conversion_from_start,
                drop_off: step.drop_off as i64,
                median_seconds_from_previous: step.median_seconds_from_previous,
                p90_seconds_from_previous: step.p90_seconds_from_previous,
            })
            .collect())
    }

    /// The emotion curve: per phase in order, and per touchpoint within it,
    /// sentiment, rating and NPS figures of the interactions in the range.
    #[graphql(complexity = "crate::graphql::METRIC_COST + child_complexity")]
    async fn emotion_curve(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey.")] journey_id: ID,
        #[graphql(desc = "Start of the range (default: 30 days before `to`).")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "End of the range, exclusive (default: now).")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "Only customers of this persona.")] persona_id: Option<ID>,
    ) -> ApiResult<Vec<PhaseEmotion>> {
        let s = scope(ctx, &journey_id, from, to, persona_id.as_ref()).await?;
        let tallies = s.tallies().await?;
        let touchpoints: HashMap<domain::TouchpointId, domain::Touchpoint> = s
            .store
            .touchpoints_of_journeys(s.tenant, &[s.journey])
            .await?
            .into_iter()
            .map(|tp| (tp.id, tp))
            .collect();
        let curve = metrics::emotion_curve(&s.shape.shape, &tallies.per_touchpoint);
        Ok(curve
            .into_iter()
            .map(|phase| {
                let f = &phase.figures;
                PhaseEmotion {
                    phase_id: s.phase_id(phase.phase),
                    phase: s.phase_name(phase.phase),
                    position: phase.phase as i32,
                    interactions: f.interactions,
                    with_sentiment: f.with_sentiment,
                    average_sentiment: f.average_sentiment,
                    positive_share: f.positive_share,
                    neutral_share: f.neutral_share,
                    negative_share: f.negative_share,
                    average_rating: f.average_rating,
                    csat: f.csat,
                    nps: f.nps,
                    touchpoints: phase
                        .touchpoints
                        .iter()
                        .map(|(i, f)| {
                            let id = s.shape.touchpoints[*i];
                            let tp = touchpoints.get(&id);
                            TouchpointEmotion {
                                touchpoint_id: GlobalId::encode(NodeKind::Touchpoint, id.uuid()),
                                touchpoint: tp
                                    .map(|t| t.key.as_str().to_owned())
                                    .unwrap_or_default(),
                                name: tp.map(|t| t.name.as_str().to_owned()).unwrap_or_default(),
                                interactions: f.interactions,
                                with_sentiment: f.with_sentiment,
                                average_sentiment: f.average_sentiment,
                                positive_share: f.positive_share,
                                neutral_share: f.neutral_share,
                                negative_share: f.negative_share,
                                average_rating: f.average_rating,
                                csat: f.csat,
                                nps: f.nps,
                            }
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// The channel mix: per phase × channel, the interactions in the range,
    /// their share of the phase and their mean sentiment.
    #[graphql(complexity = "crate::graphql::METRIC_COST + child_complexity")]
    async fn channel_mix(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey.")] journey_id: ID,
        #[graphql(desc = "Start of the range (default: 30 days before `to`).")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "End of the range, exclusive (default: now).")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "Only customers of this persona.")] persona_id: Option<ID>,
    ) -> ApiResult<Vec<ChannelMixRow>> {
        let s = scope(ctx, &journey_id, from, to, persona_id.as_ref()).await?;
        let tallies = s.tallies().await?;
        let channels = s.channels().await?;
        Ok(
            metrics::channel_mix(&s.shape.shape, &tallies.per_touchpoint)
                .into_iter()
                .filter_map(|row| {
                    let id = s.shape.channels[row.channel];
                    let channel = channels.get(&id)?;
                    Some(ChannelMixRow {
                        phase_id: s.phase_id(row.phase),
                        phase: s.phase_name(row.phase),
                        channel_id: GlobalId::encode(NodeKind::Channel, id.uuid()),
                        channel: channel.name.as_str().to_owned(),
                        channel_kind: channel.kind.into(),
                        interactions: row.interactions,
                        share: row.share,
                        average_sentiment: row.average_sentiment,
                    })
                })
                .collect(),
        )
    }

    /// Interactions and funnel entries per calendar bucket of a time zone;
    /// buckets with nothing are present with zeros.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::METRIC_COST + child_complexity")]
    async fn interaction_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey.")] journey_id: ID,
        #[graphql(desc = "Start of the range (default: 30 days before `to`).")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "End of the range, exclusive (default: now).")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "The bucket length.")] interval: SeriesInterval,
        #[graphql(
            desc = "An IANA time zone for the calendar.",
            default_with = "String::from(\"UTC\")"
        )]
        timezone: String,
        #[graphql(desc = "How to split the rows.", default)] group_by: SeriesGroupBy,
        #[graphql(desc = "Only customers of this persona.")] persona_id: Option<ID>,
    ) -> ApiResult<Vec<SeriesPoint>> {
        let zone = parse_zone(&timezone)?;
        let s = scope(ctx, &journey_id, from, to, persona_id.as_ref()).await?;
        let interval = match interval {
            SeriesInterval::Day => Interval::Day,
            SeriesInterval::Week => Interval::Week,
            SeriesInterval::Month => Interval::Month,
        };
        let Some(buckets) = SeriesBuckets::at_most(s.range, zone, interval, MAX_BUCKETS) else {
            return Err(ApiError::bad_input(
                "interval",
                format!(
                    "more than {MAX_BUCKETS} buckets: choose a longer interval or a shorter range"
                ),
            ));
        };
        let group = match group_by {
            SeriesGroupBy::None => SeriesGroup::None,
            SeriesGroupBy::Phase => SeriesGroup::Phase,
            SeriesGroupBy::Channel => SeriesGroup::Channel,
        };
        let shape = &s.shape.shape;
        let group_of = |tp: usize| match group {
            SeriesGroup::None => None,
            SeriesGroup::Phase => Some(shape.touchpoints[tp].phase),
            SeriesGroup::Channel => Some(shape.touchpoints[tp].channel),
        };
        let events = s
            .store
            .metric_events(s.tenant, s.journey, &s.shape, s.range, s.persona)
            .await?;
        let mut interactions: BTreeMap<(usize, Option<usize>), u64> = BTreeMap::new();
        let mut entering_touchpoint: HashMap<(domain::CustomerId, i64), usize> = HashMap::new();
        for e in &events {
            if let Some(bucket) = buckets.index_of(e.at_us) {
                *interactions
                    .entry((bucket, group_of(e.touchpoint)))
                    .or_default() += 1;
            }
            if shape.touchpoints[e.touchpoint].phase == 0 {
                let tp = entering_touchpoint
                    .entry((e.customer, e.at_us))
                    .or_insert(e.touchpoint);
                *tp = (*tp).min(e.touchpoint);
            }
        }
        let mut entries: BTreeMap<(usize, Option<usize>), u64> = BTreeMap::new();
        let entering = s
            .store
            .entering_customers(s.tenant, s.journey, s.range, s.persona)
            .await?;
        for (customer, t1) in entering {
            let tp = entering_touchpoint
                .get(&(customer, t1))
                .copied()
                .unwrap_or(0);
            if let Some(bucket) = buckets.index_of(t1) {
                *entries.entry((bucket, group_of(tp))).or_default() += 1;
            }
        }
        let groups = metrics::series_groups(shape, group);
        let channels = s.channels().await?;
        Ok(
            metrics::series_rows(buckets.dates().len(), &groups, &interactions, &entries)
                .into_iter()
                .map(|row| {
                    let channel = match (group, row.group) {
                        (SeriesGroup::Channel, Some(i)) => Some(s.shape.channels[i]),
                        _ => None,
                    };
                    let phase = match (group, row.group) {
                        (SeriesGroup::Phase, Some(i)) => Some(i),
                        _ => None,
                    };
                    SeriesPoint {
                        bucket: buckets.dates()[row.bucket].to_string(),
                        bucket_start: DateTime::from_timestamp_micros(buckets.start_of(row.bucket))
                            .unwrap_or_default(),
                        phase_id: phase.map(|i| s.phase_id(i)),
                        phase: phase.map(|i| s.phase_name(i)),
                        channel_id: channel.map(|c| GlobalId::encode(NodeKind::Channel, c.uuid())),
                        channel: channel
                            .and_then(|c| channels.get(&c))
                            .map(|c| c.name.as_str().to_owned()),
                        interactions: row.interactions as i64,
                        entries: row.entries as i64,
                    }
                })
                .collect(),
        )
    }

    /// The most common paths: each customer's phases in the range in time
    /// order, repeats collapsed; with back-step and skip rates.
    #[graphql(complexity = "crate::graphql::METRIC_COST + child_complexity")]
    async fn journey_paths(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey.")] journey_id: ID,
        #[graphql(desc = "Start of the range (default: 30 days before `to`).")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "End of the range, exclusive (default: now).")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "How many paths to return (1 to 100).", default = 10)] limit: i32,
        #[graphql(desc = "Only customers of this persona.")] persona_id: Option<ID>,
    ) -> ApiResult<JourneyPaths> {
        if !(1..=100).contains(&limit) {
            return Err(ApiError::bad_input("limit", "must be between 1 and 100"));
        }
        let s = scope(ctx, &journey_id, from, to, persona_id.as_ref()).await?;
        let events = s
            .store
            .metric_events(s.tenant, s.journey, &s.shape, s.range, s.persona)
            .await?;
        let mut by_customer: BTreeMap<domain::CustomerId, Vec<(i64, usize)>> = BTreeMap::new();
        for e in events {
            by_customer
                .entry(e.customer)
                .or_default()
                .push((e.at_us, s.shape.shape.touchpoints[e.touchpoint].phase));
        }
        let paths = metrics::paths(
            by_customer.into_values().map(|mut v| {
                v.sort_unstable();
                metrics::collapse(v.into_iter().map(|(_, phase)| phase))
            }),
            limit as usize,
        );
        Ok(JourneyPaths {
            customers: paths.customers as i64,
            paths: paths
                .paths
                .into_iter()
                .map(|p| PathRow {
                    phases: p.phases.iter().map(|i| s.phase_name(*i)).collect(),
                    phase_ids: p.phases.iter().map(|i| s.phase_id(*i)).collect(),
                    customers: p.customers as i64,
                    share: p.share,
                })
                .collect(),
            back_step_rate: paths.back_step_rate,
            skip_rate: paths.skip_rate,
        })
    }

    /// A journey's figures over the range.
    #[graphql(complexity = "crate::graphql::METRIC_COST + child_complexity")]
    async fn journey_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey.")] journey_id: ID,
        #[graphql(desc = "Start of the range (default: 30 days before `to`).")] from: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "End of the range, exclusive (default: now).")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "Only customers of this persona.")] persona_id: Option<ID>,
    ) -> ApiResult<JourneySummary> {
        let s = scope(ctx, &journey_id, from, to, persona_id.as_ref()).await?;
        // Independent reads, run at once (on separate connections).
        let (tallies, customers, chains, repeat) = tokio::try_join!(
            s.tallies(),
            async {
                Ok(s.store
                    .range_customers(s.tenant, s.journey, s.range, s.persona)
                    .await?)
            },
            s.chains(),
            async {
                Ok(s.store
                    .repeat_counts(s.tenant, s.journey, s.range, s.persona)
                    .await?)
            },
        )?;
        let ((customers, bounced), (eligible, repeated)) = (customers, repeat);
        let mut total = metrics::Tally::default();
        for t in &tallies.per_touchpoint {
            total.merge(t);
        }
        let phases = s.shape.shape.phases;
        let completions = chains
            .iter()
            .filter(|c| {
                phases > 0
                    && c.len() == phases
                    && c[phases - 1] - c[0] <= DEFAULT_WINDOW_DAYS * DAY_US
            })
            .count() as u64;
        Ok(JourneySummary {
            customers: customers as i64,
            interactions: total.interactions,
            funnel_entries: chains.len() as i64,
            funnel_completions: completions as i64,
            value: tallies
                .value
                .iter()
                .map(|(currency, amount)| MoneyTotal {
                    currency: currency.clone(),
                    amount: domain::money::format_scaled(*amount),
                })
                .collect(),
            bounce_rate: metrics::rate(bounced, customers),
            repeat_rate: metrics::rate(repeated, eligible),
            average_sentiment: total.average_sentiment(),
            csat: total.csat(),
            nps: total.nps(),
        })
    }
}
