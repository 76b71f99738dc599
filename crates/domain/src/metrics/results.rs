//! The figures the metric queries answer with, and the journey shape they
//! are computed over (phases, touchpoints and channels by index).

use super::Tally;
use std::collections::BTreeMap;

/// A touchpoint as the metrics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeTouchpoint {
    /// Its phase, by position.
    pub phase: usize,
    /// Its channel, by index into the journey's channels.
    pub channel: usize,
    /// Whether a purchase happens there.
    pub conversion: bool,
}

/// A journey as the metrics see it: touchpoints ordered by phase, then by
/// position within the phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyShape {
    /// How many phases the journey has.
    pub phases: usize,
    /// Its touchpoints, in phase order and then position.
    pub touchpoints: Vec<ShapeTouchpoint>,
}

/// The sentiment, rating and NPS figures of a set of interactions.
#[derive(Debug, Clone, PartialEq)]
pub struct EmotionFigures {
    /// Interactions.
    pub interactions: i64,
    /// Interactions with a sentiment.
    pub with_sentiment: i64,
    /// Mean sentiment.
    pub average_sentiment: Option<f64>,
    /// Share of sentiments above 0.
    pub positive_share: Option<f64>,
    /// Share of sentiments of 0.
    pub neutral_share: Option<f64>,
    /// Share of sentiments below 0.
    pub negative_share: Option<f64>,
    /// Mean star rating.
    pub average_rating: Option<f64>,
    /// Share of ratings of 4 or 5.
    pub csat: Option<f64>,
    /// Percentage of promoters minus percentage of detractors.
    pub nps: Option<f64>,
}

impl EmotionFigures {
    /// The figures of a tally.
    pub fn from_tally(t: &Tally) -> Self {
        Self {
            interactions: t.interactions,
            with_sentiment: t.sentiment_n,
            average_sentiment: t.average_sentiment(),
            positive_share: t.positive_share(),
            neutral_share: t.neutral_share(),
            negative_share: t.negative_share(),
            average_rating: t.average_rating(),
            csat: t.csat(),
            nps: t.nps(),
        }
    }
}

/// One phase of the emotion curve, with its touchpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseEmotion {
    /// The phase, by position.
    pub phase: usize,
    /// The phase's figures.
    pub figures: EmotionFigures,
    /// Each touchpoint of the phase (by index into the shape) with its figures.
    pub touchpoints: Vec<(usize, EmotionFigures)>,
}

/// One phase × channel cell of the channel mix.
#[derive(Debug, Clone, PartialEq)]
pub struct MixRow {
    /// The phase, by position.
    pub phase: usize,
    /// The channel, by index.
    pub channel: usize,
    /// Interactions in this cell.
    pub interactions: i64,
    /// Their share of the phase's interactions.
    pub share: f64,
    /// Mean sentiment in this cell.
    pub average_sentiment: Option<f64>,
}

/// How a series is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesGroup {
    /// One row per bucket.
    None,
    /// One row per bucket and phase.
    Phase,
    /// One row per bucket and channel.
    Channel,
}

/// One row of a time series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRow {
    /// The bucket, by index into the series' buckets.
    pub bucket: usize,
    /// The phase or channel index, when grouped.
    pub group: Option<usize>,
    /// Interactions in the bucket (and group).
    pub interactions: u64,
    /// Funnel entries (customers whose t1 falls in the bucket): in the first
    /// phase's row when grouped by phase, in the entering interaction's
    /// channel's row when grouped by channel.
    pub entries: u64,
}

/// The journey summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Customers with at least one interaction in the range.
    pub customers: u64,
    /// Interactions in the range.
    pub interactions: u64,
    /// Customers whose t1 lies in the range.
    pub funnel_entries: u64,
    /// Entering customers who reached the last phase within the default window.
    pub funnel_completions: u64,
    /// Sum of values per currency, in 1/10,000 units.
    pub value: BTreeMap<String, i64>,
    /// Share of customers with exactly one interaction in the range.
    pub bounce_rate: Option<f64>,
    /// Share, among customers whose first conversion lies in the range, of
    /// those with another conversion at most 30 days after it.
    pub repeat_rate: Option<f64>,
    /// Mean sentiment.
    pub average_sentiment: Option<f64>,
    /// Share of ratings of 4 or 5.
    pub csat: Option<f64>,
    /// NPS.
    pub nps: Option<f64>,
}

/// The groups a series is split into: every phase, or every channel the
/// journey's touchpoints use.
pub fn series_groups(shape: &JourneyShape, group: SeriesGroup) -> Vec<Option<usize>> {
    match group {
        SeriesGroup::None => vec![None],
        SeriesGroup::Phase => (0..shape.phases).map(Some).collect(),
        SeriesGroup::Channel => {
            let used: std::collections::BTreeSet<usize> =
                shape.touchpoints.iter().map(|tp| tp.channel).collect();
            used.into_iter().map(Some).collect()
        }
    }
}

/// Builds series rows for every bucket and group, zeros included.
pub fn series_rows(
    buckets: usize,
    group_keys: &[Option<usize>],
    interactions: &BTreeMap<(usize, Option<usize>), u64>,
    entries: &BTreeMap<(usize, Option<usize>), u64>,
) -> Vec<SeriesRow> {
    let mut rows = Vec::with_capacity(buckets * group_keys.len());
    for bucket in 0..buckets {
        for group in group_keys {
            let key = (bucket, *group);
            rows.push(SeriesRow {
                bucket,
                group: *group,
                interactions: interactions.get(&key).copied().unwrap_or(0),
                entries: entries.get(&key).copied().unwrap_or(0),
            });
        }
    }
    rows
}

/// Builds the emotion curve from a tally per touchpoint (by index).
pub fn emotion_curve(shape: &JourneyShape, per_touchpoint: &[Tally]) -> Vec<PhaseEmotion> {
    (0..shape.phases)
        .map(|phase| {
            let mut total = Tally::default();
            let touchpoints = shape
                .touchpoints
                .iter()
                .enumerate()
                .filter(|(_, tp)| tp.phase == phase)
                .map(|(i, _)| {
                    let tally = per_touchpoint.get(i).copied().unwrap_or_default();
                    total.merge(&tally);
                    (i, EmotionFigures::from_tally(&tally))
                })
                .collect();
            PhaseEmotion {
                phase,
                figures: EmotionFigures::from_tally(&total),
                touchpoints,
            }
        })
        .collect()
}

/// Builds the channel mix from a tally per touchpoint (by index): one row
/// per phase × channel with interactions, in phase and channel order.
pub fn channel_mix(shape: &JourneyShape, per_touchpoint: &[Tally]) -> Vec<MixRow> {
    let mut cells: BTreeMap<(usize, usize), Tally> = BTreeMap::new();
    let mut phase_totals: BTreeMap<usize, i64> = BTreeMap::new();
    for (i, tp) in shape.touchpoints.iter().enumerate() {
        let tally = per_touchpoint.get(i).copied().unwrap_or_default();
        if tally.interactions == 0 {
            continue;
        }
        cells
            .entry((tp.phase, tp.channel))
            .or_default()
            .merge(&tally);
        *phase_totals.entry(tp.phase).or_default() += tally.interactions;
    }
    cells
        .into_iter()
        .map(|((phase, channel), tally)| MixRow {
            phase,
            channel,
            interactions: tally.interactions,
            share: tally.interactions as f64 / phase_totals[&phase] as f64,
            average_sentiment: tally.average_sentiment(),
        })
        .collect()
}
