//! The test oracle: every metric computed the straightforward way, from raw
//! interactions held in memory. The service computes the same figures from
//! rollups; tests compare the two. Clarity over speed here.

use super::series::SeriesBuckets;
use super::*;
use std::collections::BTreeMap;

/// One raw interaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The customer (any stable number).
    pub customer: u64,
    /// The customer's persona (any stable number), if any.
    pub persona: Option<u64>,
    /// The touchpoint, by index into the journey shape.
    pub touchpoint: usize,
    /// When, in microseconds since the epoch.
    pub at_us: i64,
    /// Sentiment, -2..2.
    pub sentiment: Option<i64>,
    /// Rating, 1..5.
    pub rating: Option<i64>,
    /// NPS answer, 0..10.
    pub nps: Option<i64>,
    /// Currency and amount in 1/10,000 units.
    pub value: Option<(String, i64)>,
}

/// What a metric query asks for.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// The time range.
    pub range: TimeRange,
    /// Only customers of this persona.
    pub persona: Option<u64>,
}

fn of_persona<'a>(events: &'a [Event], q: &Query) -> impl Iterator<Item = &'a Event> + 'a {
    let persona = q.persona;
    events
        .iter()
        .filter(move |e| persona.is_none() || e.persona == persona)
}

fn in_range<'a>(events: &'a [Event], q: &Query) -> Vec<&'a Event> {
    let range = q.range;
    of_persona(events, q)
        .filter(|e| range.contains(e.at_us))
        .collect()
}

/// Every customer's chain (all their interactions, not only the range).
fn chains(shape: &JourneyShape, events: &[Event], q: &Query) -> BTreeMap<u64, Vec<i64>> {
    let mut by_customer: BTreeMap<u64, Vec<(i64, usize)>> = BTreeMap::new();
    for e in of_persona(events, q) {
        by_customer
            .entry(e.customer)
            .or_default()
            .push((e.at_us, shape.touchpoints[e.touchpoint].phase));
    }
    by_customer
        .into_iter()
        .map(|(c, events)| (c, crate::funnel::chain(&events, shape.phases)))
        .collect()
}

/// Chains of the customers who entered (t1 in the range).
fn entering(shape: &JourneyShape, events: &[Event], q: &Query) -> BTreeMap<u64, Vec<i64>> {
    chains(shape, events, q)
        .into_iter()
        .filter(|(_, chain)| chain.first().is_some_and(|t1| q.range.contains(*t1)))
        .collect()
}

/// The funnel.
pub fn funnel(
    shape: &JourneyShape,
    events: &[Event],
    q: &Query,
    window_days: i64,
) -> Vec<FunnelStep> {
    let chains = entering(shape, events, q);
    funnel_steps(
        chains.values().map(Vec::as_slice),
        shape.phases,
        window_days * DAY_US,
    )
}

fn figures(events: &[&Event]) -> EmotionFigures {
    let sentiments: Vec<i64> = events.iter().filter_map(|e| e.sentiment).collect();
    let ratings: Vec<i64> = events.iter().filter_map(|e| e.rating).collect();
    let answers: Vec<i64> = events.iter().filter_map(|e| e.nps).collect();
    let share = |n: usize, of: usize| (of > 0).then(|| n as f64 / of as f64);
    let mean = |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum::<i64>() as f64 / v.len() as f64);
    EmotionFigures {
        interactions: events.len() as i64,
        with_sentiment: sentiments.len() as i64,
        average_sentiment: mean(&sentiments),
        positive_share: share(
            sentiments.iter().filter(|s| **s > 0).count(),
            sentiments.len(),
        ),
        neutral_share: share(
            sentiments.iter().filter(|s| **s == 0).count(),
            sentiments.len(),
        ),
        negative_share: share(
            sentiments.iter().filter(|s| **s < 0).count(),
            sentiments.len(),
        ),
        average_rating: mean(&ratings),
        csat: share(ratings.iter().filter(|r| **r >= 4).count(), ratings.len()),
        nps: (!answers.is_empty()).then(|| {
            let promoters = answers.iter().filter(|a| **a >= 9).count() as f64;
            let detractors = answers.iter().filter(|a| **a <= 6).count() as f64;
            100.0 * (promoters - detractors) / answers.len() as f64
        }),
    }
}

/// The emotion curve.
pub fn emotion_curve(shape: &JourneyShape, events: &[Event], q: &Query) -> Vec<PhaseEmotion> {
    let events = in_range(events, q);
    (0..shape.phases)
        .map(|phase| {
            let in_phase: Vec<&Event> = events
                .iter()
                .copied()
                .filter(|e| shape.touchpoints[e.touchpoint].phase == phase)
                .collect();
            let touchpoints = (0..shape.touchpoints.len())
                .filter(|tp| shape.touchpoints[*tp].phase == phase)
                .map(|tp| {
                    let at: Vec<&Event> = in_phase
                        .iter()
                        .copied()
                        .filter(|e| e.touchpoint == tp)
                        .collect();
                    (tp, figures(&at))
                })
                .collect();
            PhaseEmotion {
                phase,
                figures: figures(&in_phase),
                touchpoints,
            }
        })
        .collect()
}

/// The channel mix.
pub fn channel_mix(shape: &JourneyShape, events: &[Event], q: &Query) -> Vec<MixRow> {
    let events = in_range(events, q);
    let mut cells: BTreeMap<(usize, usize), Vec<&Event>> = BTreeMap::new();
    for e in &events {
        let tp = shape.touchpoints[e.touchpoint];
        cells.entry((tp.phase, tp.channel)).or_default().push(e);
    }
    cells
        .iter()
        .map(|((phase, channel), cell)| {
            let phase_total = events
                .iter()
                .filter(|e| shape.touchpoints[e.touchpoint].phase == *phase)
                .count();
            MixRow {
                phase: *phase,
                channel: *channel,
                interactions: cell.len() as i64,
                share: cell.len() as f64 / phase_total as f64,
                average_sentiment: figures(cell).average_sentiment,
            }
        })
        .collect()
}

/// The interaction series.
pub fn series(
    shape: &JourneyShape,
    events: &[Event],
    q: &Query,
    buckets: &SeriesBuckets,
    group: SeriesGroup,
) -> Vec<SeriesRow> {
    let group_of = |tp: usize| match group {
        SeriesGroup::None => None,
        SeriesGroup::Phase => Some(shape.touchpoints[tp].phase),
        SeriesGroup::Channel => Some(shape.touchpoints[tp].channel),
    };
    let mut interactions: BTreeMap<(usize, Option<usize>), u64> = BTreeMap::new();
    for e in in_range(events, q) {
        if let Some(bucket) = buckets.index_of(e.at_us) {
            *interactions
                .entry((bucket, group_of(e.touchpoint)))
                .or_default() += 1;
        }
    }
    let mut entries: BTreeMap<(usize, Option<usize>), u64> = BTreeMap::new();
    for (customer, chain) in entering(shape, events, q) {
        let t1 = chain[0];
        // The entering interaction: first phase, at t1, lowest touchpoint.
        let tp = of_persona(events, q)
            .filter(|e| {
                e.customer == customer
                    && e.at_us == t1
                    && shape.touchpoints[e.touchpoint].phase == 0
            })
            .map(|e| e.touchpoint)
            .min()
            .unwrap_or(0);
        if let Some(bucket) = buckets.index_of(t1) {
            *entries.entry((bucket, group_of(tp))).or_default() += 1;
        }
    }
    series_rows(
        buckets.dates().len(),
        &series_groups(shape, group),
        &interactions,
        &entries,
    )
}

/// The most common paths.
pub fn journey_paths(shape: &JourneyShape, events: &[Event], q: &Query, limit: usize) -> Paths {
    let mut by_customer: BTreeMap<u64, Vec<(i64, usize)>> = BTreeMap::new();
    for e in in_range(events, q) {
        by_customer
            .entry(e.customer)
            .or_default()
            .push((e.at_us, shape.touchpoints[e.touchpoint].phase));
    }
    let customer_paths = by_customer.into_values().map(|mut v| {
        v.sort_unstable();
        collapse(v.into_iter().map(|(_, phase)| phase))
    });
    paths(customer_paths, limit)
}

/// The journey summary.
pub fn summary(shape: &JourneyShape, events: &[Event], q: &Query) -> Summary {
    let in_range_events = in_range(events, q);
    let mut per_customer: BTreeMap<u64, u64> = BTreeMap::new();
    let mut value: BTreeMap<String, i64> = BTreeMap::new();
    for e in &in_range_events {
        *per_customer.entry(e.customer).or_default() += 1;
        if let Some((currency, amount)) = &e.value {
            *value.entry(currency.clone()).or_default() += amount;
        }
    }
    let customers = per_customer.len() as u64;
    let bounced = per_customer.values().filter(|n| **n == 1).count() as u64;
    let chains = entering(shape, events, q);
    let completions = chains
        .values()
        .filter(|c| {
            c.len() == shape.phases && c[c.len() - 1] - c[0] <= DEFAULT_WINDOW_DAYS * DAY_US
        })
        .count() as u64;
    let mut conversions: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for e in of_persona(events, q) {
        if shape.touchpoints[e.touchpoint].conversion {
            conversions.entry(e.customer).or_default().push(e.at_us);
        }
    }
    let (mut eligible, mut repeated) = (0u64, 0u64);
    for times in conversions.values_mut() {
        times.sort_unstable();
        let first = times[0];
        if q.range.contains(first) {
            eligible += 1;
            if times[1..]
                .iter()
                .any(|t| *t - first <= REPEAT_WINDOW_DAYS * DAY_US)
            {
                repeated += 1;
            }
        }
    }
    let all = figures(&in_range_events);
    Summary {
        customers,
        interactions: in_range_events.len() as u64,
        funnel_entries: chains.len() as u64,
        funnel_completions: completions,
        value,
        bounce_rate: rate(bounced, customers),
        repeat_rate: rate(repeated, eligible),
        average_sentiment: all.average_sentiment,
        csat: all.csat,
        nps: all.nps,
    }
}
