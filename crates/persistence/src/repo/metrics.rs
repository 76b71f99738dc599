//! What the metric queries read: the journey's shape, tallies per
//! touchpoint (from the daily stats for whole days, from raw interactions
//! for the partial days at the range's edges), the funnel chains of the
//! customers who entered, and raw interactions where a metric needs them.

use super::rollups::{COUNTERS, DAY_US, decode_chain_into};
use crate::StatsCounters;
use crate::database::SnapshotReader;
use crate::entity::{customer, interaction, interaction_stat, journey_chain, phase, touchpoint};
use crate::{Backend, Store, StoreError};
use journeyd_domain::metrics::{JourneyShape, ShapeTouchpoint, Tally, TimeRange};
use journeyd_domain::*;
use sea_orm::sea_query::{Expr, ExprTrait, PostgresQueryBuilder, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use std::collections::{BTreeMap, HashMap};
use tracing::Instrument;
use uuid::Uuid;

/// A journey's shape for the metrics, with the ids behind the indices.
#[derive(Debug, Clone)]
pub struct MetricShape {
    /// Phases, touchpoints and channels by index.
    pub shape: JourneyShape,
    /// The phases in order.
    pub phases: Vec<PhaseId>,
    /// The touchpoints, in phase order and then position.
    pub touchpoints: Vec<TouchpointId>,
    /// The channels, in the order their first touchpoint appears.
    pub channels: Vec<ChannelId>,
}

impl MetricShape {
    fn touchpoint_index(&self) -> HashMap<Uuid, usize> {
        self.touchpoints
            .iter()
            .enumerate()
            .map(|(i, tp)| (tp.uuid(), i))
            .collect()
    }
}

/// One raw interaction as a metric reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricEvent {
    /// The customer.
    pub customer: CustomerId,
    /// The touchpoint, by index into the shape.
    pub touchpoint: usize,
    /// When, in microseconds since the epoch.
    pub at_us: i64,
    /// Sentiment.
    pub sentiment: Option<i64>,
    /// Rating.
    pub rating: Option<i64>,
    /// NPS answer.
    pub nps: Option<i64>,
    /// Currency and amount in 1/10,000 units.
    pub value: Option<(String, i64)>,
}

/// A raw interaction's columns as a metric reads them: customer, time,
/// touchpoint, sentiment, rating, NPS answer, value and currency.
type EventRow = (
    Uuid,
    i64,
    Uuid,
    Option<i16>,
    Option<i16>,
    Option<i16>,
    Option<i64>,
    Option<String>,
);

/// A touchpoint's stats summed over a range, per currency.
struct StatsSum {
    touchpoint_id: Uuid,
    currency: String,
    counters: StatsCounters,
}

impl FromQueryResult for StatsSum {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            touchpoint_id: row.try_get(pre, "touchpoint_id")?,
            currency: row.try_get(pre, "currency")?,
            counters: StatsCounters::from_query(row)?,
        })
    }
}

/// Per touchpoint, the tallies of interactions in a range; and the value
/// sums per currency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RangeTallies {
    /// By touchpoint index.
    pub per_touchpoint: Vec<Tally>,
    /// Sum of values per currency, in 1/10,000 units.
    pub value: BTreeMap<String, i64>,
}

/// Funnel chains, one per customer: tk − t1 in microseconds (a funnel
/// counts distances only; the times a customer entered come from
/// [`Store::entering_customers`]). A funnel over a
/// long range reads hundreds of thousands, in parts at once, so they are
/// held as the parts were read (never copied into one), each in two flat
/// vectors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chains {
    parts: Vec<ChainsPart>,
}

/// The chains of one part of a read.
#[derive(Debug, Clone, Default, PartialEq)]
struct ChainsPart {
    /// Where each customer's chain ends in `times`.
    ends: Vec<usize>,
    times: Vec<i64>,
}

impl ChainsPart {
    /// Adds a customer's chain as stored (the distances of its steps).
    fn push_stored(&mut self, stored: &[u8]) -> Result<(), StoreError> {
        decode_chain_into(stored, 0, &mut self.times)?;
        self.ends.push(self.times.len());
        Ok(())
    }

    fn iter(&self) -> impl Iterator<Item = &[i64]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, end)| &self.times[start..*end])
    }
}

impl Chains {
    /// How many customers.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|part| part.ends.len()).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each customer's chain.
    pub fn iter(&self) -> impl Iterator<Item = &[i64]> + '_ {
        self.parts.iter().flat_map(ChainsPart::iter)
    }
}

/// `range` cut into `parts` consecutive ranges (at least one) that cover
/// it exactly; when it is shorter than `parts` microseconds, the first are
/// empty.
fn split_range(range: TimeRange, parts: usize) -> Vec<TimeRange> {
    let parts = parts.max(1) as i64;
    let width = (range.to_us - range.from_us) / parts;
    (0..parts)
        .map(|i| TimeRange {
            from_us: range.from_us + i * width,
            to_us: if i + 1 == parts {
                range.to_us
            } else {
                range.from_us + (i + 1) * width
            },
        })
        .collect()
}

/// The funnel-chain rows of the customers (of `persona`) who entered in
/// `range`.
fn entered(
    tenant: TenantId,
    journey: JourneyId,
    range: TimeRange,
    persona: Option<PersonaId>,
) -> Select<journey_chain::Entity> {
    use journey_chain::Column as P;
    journey_chain::Entity::find()
        .filter(P::TenantId.eq(tenant.uuid()))
        .filter(P::JourneyId.eq(journey.uuid()))
        .filter(P::StartedAt.gte(range.from_us))
        .filter(P::StartedAt.lt(range.to_us))
        .filter(of_persona(tenant, P::CustomerId, persona))
}

/// Their stored chains: the one query both databases run.
fn chains_query(
    tenant: TenantId,
    journey: JourneyId,
    range: TimeRange,
    persona: Option<PersonaId>,
) -> Select<journey_chain::Entity> {
    entered(tenant, journey, range, persona)
        .select_only()
        .column(journey_chain::Column::Chain)
}

/// Reads [`chains_query`] through `COPY ... TO STDOUT` on one reader of a
/// shared snapshot. The rows arrive as lines of text with no per-row
/// decoding in the driver, which costs more than decoding the chain.
async fn copy_chains(
    reader: &mut SnapshotReader,
    tenant: TenantId,
    journey: JourneyId,
    range: TimeRange,
    persona: Option<PersonaId>,
) -> Result<ChainsPart, StoreError> {
    // Every value in it is a number or a UUID, written out by the builder.
    let select = chains_query(tenant, journey, range, persona)
        .into_query()
        .to_string(PostgresQueryBuilder);
    let mut chains = ChainsPart::default();
    // A chain is digits and commas, which the text format
    // writes as they are; anything else is not a chain.
    reader
        .copy_rows(&select, |row| chains.push_stored(row))
        .await?;
    Ok(chains)
}

/// Only customers of `persona`: a condition on a customer id column.
fn of_persona<C: ColumnTrait>(
    tenant: TenantId,
    column: C,
    persona: Option<PersonaId>,
) -> Condition {
    match persona {
        None => Condition::all(),
        Some(persona) => Condition::all().add(
            column.in_subquery(
                Query::select()
                    .column(customer::Column::Id)
                    .from(customer::Entity)
                    .and_where(customer::Column::TenantId.eq(tenant.uuid()))
                    .and_where(customer::Column::PersonaId.eq(persona.uuid()))
                    .to_owned(),
            ),
        ),
    }
}

impl Store {
    /// The shape of a journey for the metrics.
    pub async fn metric_shape(
        &self,
        tenant: TenantId,
        journey: JourneyId,
    ) -> Result<MetricShape, StoreError> {
        let conn = self.metrics_conn();
        let phases: Vec<(Uuid, i32)> = phase::Entity::find()
            .select_only()
            .columns([phase::Column::Id, phase::Column::Position])
            .filter(phase::Column::TenantId.eq(tenant.uuid()))
            .filter(phase::Column::JourneyId.eq(journey.uuid()))
            .order_by_asc(phase::Column::Position)
            .into_tuple()
            .all(conn)
            .await?;
        let position: HashMap<Uuid, usize> = phases
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        let mut touchpoints: Vec<(Uuid, Uuid, Uuid, bool, i32)> = touchpoint::Entity::find()
            .select_only()
            .columns([
                touchpoint::Column::Id,
                touchpoint::Column::PhaseId,
                touchpoint::Column::ChannelId,
                touchpoint::Column::IsConversion,
                touchpoint::Column::Position,
            ])
            .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
            .filter(touchpoint::Column::JourneyId.eq(journey.uuid()))
            .into_tuple()
            .all(conn)
            .await?;
        touchpoints.sort_by_key(|(id, phase, _, _, pos)| {
            (
                position.get(phase).copied().unwrap_or(usize::MAX),
                *pos,
                *id,
            )
        });
        let mut channels: Vec<Uuid> = Vec::new();
        let mut shape_tps = Vec::with_capacity(touchpoints.len());
        for (_, phase, channel, conversion, _) in &touchpoints {
            let channel_index = match channels.iter().position(|c| c == channel) {
                Some(i) => i,
                None => {
                    channels.push(*channel);
                    channels.len() - 1
                }
            };
            shape_tps.push(ShapeTouchpoint {
                phase: position.get(phase).copied().unwrap_or(0),
                channel: channel_index,
                conversion: *conversion,
            });
        }
        Ok(MetricShape {
            shape: JourneyShape {
                phases: phases.len(),
                touchpoints: shape_tps,
            },
            phases: phases
                .into_iter()
                .map(|(id, _)| PhaseId::from_uuid(id))
                .collect(),
            touchpoints: touchpoints
                .into_iter()
                .map(|t| TouchpointId::from_uuid(t.0))
                .collect(),
            channels: channels.into_iter().map(ChannelId::from_uuid).collect(),
        })
    }

    /// Tallies per touchpoint of the interactions in `range` (of customers
    /// of `persona`): whole UTC days from the daily stats, the partial days
    /// at the edges from the raw interactions.
    pub async fn range_tallies(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        shape: &MetricShape,
        range: TimeRange,
        persona: Option<PersonaId>,
    ) -> Result<RangeTallies, StoreError> {
        let index = shape.touchpoint_index();
        let mut tallies = RangeTallies {
            per_touchpoint: vec![Tally::default(); shape.touchpoints.len()],
            value: BTreeMap::new(),
        };
        let first_day =
            range.from_us.div_euclid(DAY_US) + i64::from(range.from_us.rem_euclid(DAY_US) != 0);
        let end_day = range.to_us.div_euclid(DAY_US);
        let raw_parts = if first_day < end_day {
            use interaction_stat::Column as S;
            let sum = |c: S| Expr::col(c).sum();
            let mut select = interaction_stat::Entity::find()
                .select_only()
                .column(S::TouchpointId)
                .column(S::Currency);
            for (name, column) in COUNTERS {
                select = select.column_as(sum(column).cast_as("BIGINT"), name);
            }
            select = select
                .filter(S::TenantId.eq(tenant.uuid()))
                .filter(S::JourneyId.eq(journey.uuid()))
                .filter(S::Day.gte(first_day as i32))
                .filter(S::Day.lt(end_day as i32));
            if let Some(persona) = persona {
                select = select.filter(S::PersonaKey.eq(persona.uuid()));
            }
            let rows = select
                .group_by(S::TouchpointId)
                .group_by(S::Currency)
                .into_model::<StatsSum>()
                .all(self.metrics_conn())
                .await?;
            for row in rows {
                let Some(&i) = index.get(&row.touchpoint_id) else {
                    continue;
                };
                tallies.per_touchpoint[i].merge(&row.counters.tally);
                if !row.currency.is_empty() {
                    *tallies.value.entry(row.currency).or_default() += row.counters.value_sum;
                }
            }
            vec![
                (range.from_us, first_day * DAY_US),
                (end_day * DAY_US, range.to_us),
            ]
        } else {
            vec![(range.from_us, range.to_us)]
        };
        for (from, to) in raw_parts {
            if from >= to {
                continue;
            }
            let part = TimeRange {
                from_us: from,
                to_us: to,
            };
            for e in self
                .metric_events(tenant, journey, shape, part, persona)
                .await?
            {
                tallies.per_touchpoint[e.touchpoint].add(e.sentiment, e.rating, e.nps, 1);
                if let Some((currency, amount)) = e.value {
                    *tallies.value.entry(currency).or_default() += amount;
                }
            }
        }
        Ok(tallies)
    }

    /// The raw interactions in `range` (of customers of `persona`).
    pub async fn metric_events(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        shape: &MetricShape,
        range: TimeRange,
        persona: Option<PersonaId>,
    ) -> Result<Vec<MetricEvent>, StoreError> {
        use interaction::Column as I;
        let index = shape.touchpoint_index();
        let rows: Vec<EventRow> = interaction::Entity::find()
            .select_only()
            .columns([
                I::CustomerId,
                I::OccurredAt,
                I::TouchpointId,
                I::Sentiment,
                I::Rating,
                I::Nps,
                I::ValueScaled,
                I::ValueCurrency,
            ])
            .filter(I::TenantId.eq(tenant.uuid()))
            .filter(I::JourneyId.eq(journey.uuid()))
            .filter(I::OccurredAt.gte(range.from_us))
            .filter(I::OccurredAt.lt(range.to_us))
            .filter(of_persona(tenant, I::CustomerId, persona))
            .into_tuple()
            .all(self.metrics_conn())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(customer, at, tp, sentiment, rating, nps, amount, currency)| {
                    Some(MetricEvent {
                        customer: CustomerId::from_uuid(customer),
                        touchpoint: *index.get(&tp)?,
                        at_us: at,
                        sentiment: sentiment.map(i64::from),
                        rating: rating.map(i64::from),
                        nps: nps.map(i64::from),
                        value: amount.zip(currency).map(|(a, c)| (c, a)),
                    })
                },
            )
            .collect())
    }

    /// How many customers (of `persona`) have interactions in `range`, and
    /// how many of them exactly one: for whole UTC days from the windows
    /// rollup, otherwise counted by the database from the interactions, so
    /// only the two numbers travel.
    pub async fn range_customers(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        range: TimeRange,
        persona: Option<PersonaId>,
    ) -> Result<(u64, u64), StoreError> {
        // Whole UTC days: from the windows rollup (`super::windows`).
        if let Some(days) = whole_days(range) {
            return super::windows::customers_in_days(
                self.metrics_conn(),
                tenant,
                journey.uuid(),
                days,
                persona.map(PersonaId::uuid),
            )
            .await;
        }
        use interaction::Column as I;
        let per_customer = Query::select()
            .column(I::CustomerId)
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(interaction::Entity)
            .and_where(I::TenantId.eq(tenant.uuid()))
            .and_where(I::JourneyId.eq(journey.uuid()))
            .and_where(I::OccurredAt.gte(range.from_us))
            .and_where(I::OccurredAt.lt(range.to_us))
            .cond_where(of_persona(tenant, I::CustomerId, persona))
            .group_by_col(I::CustomerId)
            .to_owned();
        self.count_matching(per_customer, "\"n\" = 1", "customer counts")
            .await
    }

    /// How many rows `rows` returns, and how many of them meet `condition`
    /// (SQL over its columns): counted by the database, so only the two
    /// numbers travel.
    async fn count_matching(
        &self,
        rows: SelectStatement,
        condition: &str,
        what: &'static str,
    ) -> Result<(u64, u64), StoreError> {
        let counts = Query::select()
            .expr(Expr::cust("CAST(COUNT(*) AS BIGINT)"))
            .expr(Expr::cust(format!(
                "CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)"
            )))
            .from_subquery(rows, "counted")
            .to_owned();
        let row = self
            .metrics_conn()
            .query_one(&counts)
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound(what.into()))?;
        let all: i64 = row.try_get_by_index(0)?;
        let matching: i64 = row.try_get_by_index(1)?;
        Ok((
            u64::try_from(all).unwrap_or(0),
            u64::try_from(matching).unwrap_or(0),
        ))
    }

    /// The funnel chains of the customers who entered in `range` (t1 in
    /// range), of `persona` (in no order).
    ///
    /// A funnel over months reads hundreds of thousands of chains, so on
    /// PostgreSQL the range is read in parts at once, one per core (up to
    /// four), each on its own connection and task, and each through `COPY`:
    /// the database and the decoding then use every core. The parts share
    /// one snapshot ([`crate::Database::shared_snapshot`]).
    pub async fn entering_chains(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        range: TimeRange,
        persona: Option<PersonaId>,
    ) -> Result<Chains, StoreError> {
        let database = self.metrics_database();
        if database.backend() == Backend::Sqlite {
            let mut chains = ChainsPart::default();
            let rows: Vec<String> = chains_query(tenant, journey, range, persona)
                .into_tuple()
                .all(database.conn())
                .await?;
            for stored in rows {
                chains.push_stored(stored.as_bytes())?;
            }
            return Ok(Chains {
                parts: vec![chains],
            });
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let readers = database.shared_snapshot(cores).await?;
        let parts = split_range(range, readers.len());
        // Dropping the set (an error, a cancelled request) aborts the reads
        // still running; their connections close, which ends their
        // transactions.
        let mut reads = tokio::task::JoinSet::new();
        for (mut reader, part) in readers.into_iter().zip(parts) {
            let read = async move {
                let chains = copy_chains(&mut reader, tenant, journey, part, persona).await?;
                reader.finish().await?;
                Ok::<_, StoreError>(chains)
            };
            reads.spawn(read.in_current_span());
        }
        let mut chains = Chains::default();
        while let Some(read) = reads.join_next().await {
            let part = read.map_err(|e| {
                StoreError::Database(sea_orm::DbErr::Custom(format!(
                    "a funnel read stopped: {e}"
                )))
            })??;
            chains.parts.push(part);
        }
        Ok(chains)
    }

    /// The customers (of `persona`) who entered the funnel in `range`, each
    /// with the time they entered (t1), in no order.
    pub async fn entering_customers(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        range: TimeRange,
        persona: Option<PersonaId>,
    ) -> Result<Vec<(CustomerId, i64)>, StoreError> {
        use journey_chain::Column as P;
        let rows: Vec<(Uuid, i64)> = entered(tenant, journey, range, persona)
            .select_only()
            .columns([P::CustomerId, P::StartedAt])
            .into_tuple()
            .all(self.metrics_conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(customer, t1)| (CustomerId::from_uuid(customer), t1))
            .collect())
    }

    /// The repeat rate's counts: customers (of `persona`) whose first
    /// conversion lies in `range`, and how many of them converted again
    /// within the repeat window after it. For whole UTC days and every
    /// persona from the `journey_conversions` rollup, otherwise counted by
    /// the database from the `journey_chains` rollup.
    pub async fn repeat_counts(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        range: TimeRange,
        persona: Option<PersonaId>,
    ) -> Result<(u64, u64), StoreError> {
        if let (Some(days), None) = (whole_days(range), persona) {
            return super::conversions::conversions_in_days(
                self.metrics_conn(),
                tenant,
                journey.uuid(),
                days,
            )
            .await;
        }
        use journey_chain::Column as J;
        let first_conversions = Query::select()
            .columns([J::FirstConversionAt, J::SecondConversionAt])
            .from(journey_chain::Entity)
            .and_where(J::TenantId.eq(tenant.uuid()))
            .and_where(J::JourneyId.eq(journey.uuid()))
            .and_where(J::FirstConversionAt.gte(range.from_us))
            .and_where(J::FirstConversionAt.lt(range.to_us))
            .cond_where(of_persona(tenant, J::CustomerId, persona))
            .to_owned();
        let repeated = format!(
            "\"second_conversion_at\" - \"first_conversion_at\" <= {}",
            super::conversions::REPEAT_WINDOW_US
        );
        self.count_matching(first_conversions, &repeated, "repeat counts")
            .await
    }
}

/// The days of `range` when it starts and ends at midnight UTC: the first,
/// and the one after the last (days since the epoch).
fn whole_days(range: TimeRange) -> Option<(i64, i64)> {
    (range.from_us.rem_euclid(DAY_US) == 0 && range.to_us.rem_euclid(DAY_US) == 0).then(|| {
        (
            range.from_us.div_euclid(DAY_US),
            range.to_us.div_euclid(DAY_US),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_splits_into_parts_that_cover_it_exactly() {
        let range = |from_us, to_us| TimeRange { from_us, to_us };
        let bounds = |parts: Vec<TimeRange>| -> Vec<(i64, i64)> {
            parts.iter().map(|p| (p.from_us, p.to_us)).collect()
        };
        assert_eq!(bounds(split_range(range(0, 10), 1)), [(0, 10)]);
        assert_eq!(bounds(split_range(range(0, 10), 0)), [(0, 10)]);
        assert_eq!(bounds(split_range(range(0, 10), 2)), [(0, 5), (5, 10)]);
        assert_eq!(
            bounds(split_range(range(-7, 4), 3)),
            [(-7, -4), (-4, -1), (-1, 4)]
        );
        // Shorter than the parts: the first are empty, the last is whole.
        assert_eq!(
            bounds(split_range(range(5, 6), 4)),
            [(5, 5), (5, 5), (5, 5), (5, 6)]
        );
    }
}
