//! The rollups derived from interactions, kept exact in the transaction that
//! changes the interactions, and rebuilt from the raw events on demand:
//!
//! - `interaction_stats`: per journey, UTC day, touchpoint, persona and
//!   currency, the counts and sums every metric is made of;
//! - `journey_chains`: per journey and customer, the funnel chain (when the
//!   customer reached each phase, see `journeyd_domain::funnel`), one row
//!   that grows in place;
//! - `journey_windows`: per journey, UTC day and persona, the pairs and
//!   triples of consecutive interactions ending that day (`super::windows`);
//! - `journey_conversions`: per journey and UTC day, the customers whose
//!   first conversion fell that day and how many converted again within the
//!   repeat window (`super::conversions`), changed with every chain row.

use super::any_of;
use super::bulk::{self, Cell, Kind};
use super::conversions::ConversionsDelta;
use super::windows::{Windows, WindowsDelta};
use crate::StoreError;
use crate::entity::{
    interaction, interaction_stat, journey_chain, journey_conversion, journey_window, phase,
    touchpoint,
};
use journeyd_domain::metrics::Tally;
use journeyd_domain::{TenantId, funnel};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Microseconds in a day.
pub(crate) const DAY_US: i64 = 86_400_000_000;
/// The persona key of customers without a persona.
pub(crate) const NO_PERSONA: Uuid = Uuid::nil();
/// The most bound parameters one statement may carry (SQLite allows 32,766).
pub(crate) const MAX_PARAMS: usize = 30_000;

/// One interaction as the rollups see it.
#[derive(Debug, Clone)]
pub(crate) struct Contribution {
    pub journey: Uuid,
    pub touchpoint: Uuid,
    pub persona_key: Uuid,
    pub occurred_at: i64,
    pub sentiment: Option<i16>,
    pub rating: Option<i16>,
    pub nps: Option<i16>,
    pub value: Option<(i64, String)>,
}

impl Contribution {
    /// The contribution of a stored interaction by a customer with `persona_key`.
    pub(crate) fn of(row: &interaction::Model, persona_key: Uuid) -> Self {
        Self {
            journey: row.journey_id,
            touchpoint: row.touchpoint_id,
            persona_key,
            occurred_at: row.occurred_at,
            sentiment: row.sentiment,
            rating: row.rating,
            nps: row.nps,
            value: row.value_scaled.zip(row.value_currency.clone()),
        }
    }
}

/// The counters of one rollup row: the interactions' tally (the domain's
/// counting rules) and the sum of their values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsCounters {
    /// Counts and sums of sentiments, ratings and NPS answers.
    pub tally: Tally,
    /// Sum of values, in 1/10,000 units of the row's currency.
    pub value_sum: i64,
}

impl StatsCounters {
    fn add(&mut self, c: &Contribution, sign: i64) {
        self.tally.add(
            c.sentiment.map(i64::from),
            c.rating.map(i64::from),
            c.nps.map(i64::from),
            sign,
        );
        if let Some((amount, _)) = &c.value {
            self.value_sum += sign * amount;
        }
    }

    fn values(&self) -> [i64; 13] {
        let t = &self.tally;
        [
            t.interactions,
            t.sentiment_n,
            t.sentiment_sum,
            t.sentiment_pos,
            t.sentiment_neu,
            t.sentiment_neg,
            t.rating_n,
            t.rating_sum,
            t.rating_top,
            t.nps_n,
            t.nps_promoters,
            t.nps_detractors,
            self.value_sum,
        ]
    }

    /// The counters from their values in `COUNTERS` order (the inverse of
    /// `values`).
    fn from_values(v: [i64; 13]) -> Self {
        Self {
            tally: Tally {
                interactions: v[0],
                sentiment_n: v[1],
                sentiment_sum: v[2],
                sentiment_pos: v[3],
                sentiment_neu: v[4],
                sentiment_neg: v[5],
                rating_n: v[6],
                rating_sum: v[7],
                rating_top: v[8],
                nps_n: v[9],
                nps_promoters: v[10],
                nps_detractors: v[11],
            },
            value_sum: v[12],
        }
    }

    /// The counters of a result row with one column per name of `COUNTERS`
    /// (a stats row, or sums of stats rows under the same names).
    pub(crate) fn from_query(row: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
        let mut values = [0i64; 13];
        for (value, (name, _)) in values.iter_mut().zip(COUNTERS) {
            *value = row.try_get("", name)?;
        }
        Ok(Self::from_values(values))
    }
}

/// The counter columns of `interaction_stats`, in `StatsCounters::values` order.
pub(crate) const COUNTERS: [(&str, interaction_stat::Column); 13] = [
    ("interactions", interaction_stat::Column::Interactions),
    ("sentiment_n", interaction_stat::Column::SentimentN),
    ("sentiment_sum", interaction_stat::Column::SentimentSum),
    ("sentiment_pos", interaction_stat::Column::SentimentPos),
    ("sentiment_neu", interaction_stat::Column::SentimentNeu),
    ("sentiment_neg", interaction_stat::Column::SentimentNeg),
    ("rating_n", interaction_stat::Column::RatingN),
    ("rating_sum", interaction_stat::Column::RatingSum),
    ("rating_top", interaction_stat::Column::RatingTop),
    ("nps_n", interaction_stat::Column::NpsN),
    ("nps_promoters", interaction_stat::Column::NpsPromoters),
    ("nps_detractors", interaction_stat::Column::NpsDetractors),
    ("value_sum", interaction_stat::Column::ValueSum),
];

/// One stored stats row, read by column name.
struct StatsRow {
    key: StatsKey,
    counters: StatsCounters,
}

impl sea_orm::FromQueryResult for StatsRow {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            key: StatsKey {
                journey: row.try_get(pre, "journey_id")?,
                day: row.try_get(pre, "day")?,
                touchpoint: row.try_get(pre, "touchpoint_id")?,
                persona_key: row.try_get(pre, "persona_key")?,
                currency: row.try_get(pre, "currency")?,
            },
            counters: StatsCounters::from_query(row)?,
        })
    }
}

/// The key of one rollup row (besides the tenant).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatsKey {
    /// The journey.
    pub journey: Uuid,
    /// Days since the Unix epoch (UTC).
    pub day: i32,
    /// The touchpoint.
    pub touchpoint: Uuid,
    /// The persona, or the nil UUID for none.
    pub persona_key: Uuid,
    /// The value currency, or empty.
    pub currency: String,
}

/// Changes to the stats rollup, summed in memory and written in one upsert.
#[derive(Debug, Default)]
pub(crate) struct StatsDelta {
    rows: HashMap<StatsKey, StatsCounters>,
    removes: bool,
}

impl StatsDelta {
    /// Adds (`sign` 1) or removes (`sign` -1) one interaction.
    pub(crate) fn add(&mut self, c: &Contribution, sign: i64) {
        let key = StatsKey {
            journey: c.journey,
            day: c.occurred_at.div_euclid(DAY_US) as i32,
            touchpoint: c.touchpoint,
            persona_key: c.persona_key,
            currency: c
                .value
                .as_ref()
                .map(|(_, cur)| cur.clone())
                .unwrap_or_default(),
        };
        self.rows.entry(key).or_default().add(c, sign);
        if sign < 0 {
            self.removes = true;
        }
    }

    /// Writes the changes: counters are added to the stored ones, and rows
    /// that reach zero interactions are removed.
    pub(crate) async fn apply(
        self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<(), StoreError> {
        use interaction_stat::Column as C;
        let mut rows: Vec<(StatsKey, StatsCounters)> = self
            .rows
            .into_iter()
            .filter(|(_, counters)| *counters != StatsCounters::default())
            .collect();
        // Concurrent calls update shared rows in the same order: no deadlock.
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if rows.is_empty() {
            return Ok(());
        }
        let mut columns: Vec<(&str, Kind)> = vec![
            ("tenant_id", Kind::Uuid),
            ("journey_id", Kind::Uuid),
            ("day", Kind::Int),
            ("touchpoint_id", Kind::Uuid),
            ("persona_key", Kind::Uuid),
            ("currency", Kind::Text),
        ];
        columns.extend(COUNTERS.iter().map(|(name, _)| (*name, Kind::BigInt)));
        let updates = COUNTERS
            .iter()
            .map(|(name, _)| {
                format!("\"{name}\" = \"interaction_stats\".\"{name}\" + excluded.\"{name}\"")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let upsert = format!(
            "ON CONFLICT (\"tenant_id\", \"journey_id\", \"day\", \"touchpoint_id\", \"persona_key\", \"currency\") DO UPDATE SET {updates}"
        );
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|(key, counters)| {
                let mut row = vec![
                    Cell::Uuid(tenant.uuid()),
                    Cell::Uuid(key.journey),
                    Cell::Int(i64::from(key.day)),
                    Cell::Uuid(key.touchpoint),
                    Cell::Uuid(key.persona_key),
                    Cell::Text(key.currency.clone()),
                ];
                row.extend(counters.values().into_iter().map(Cell::Int));
                row
            })
            .collect();
        for chunk in cells.chunks(10_000) {
            bulk::insert(conn, "interaction_stats", &columns, chunk, &upsert).await?;
        }
        if self.removes {
            let journeys: HashSet<Uuid> = rows.iter().map(|(k, _)| k.journey).collect();
            let days: HashSet<i32> = rows.iter().map(|(k, _)| k.day).collect();
            interaction_stat::Entity::delete_many()
                .filter(C::TenantId.eq(tenant.uuid()))
                .filter(C::JourneyId.is_in(journeys))
                .filter(C::Day.is_in(days))
                .filter(C::Interactions.eq(0))
                .exec(conn)
                .await?;
        }
        Ok(())
    }
}

/// Where each touchpoint of some journeys sits (its phase's position) and
/// whether it is a conversion point, and how many phases each journey has.
#[derive(Debug, Default)]
pub(crate) struct JourneyShapes {
    touchpoints: HashMap<Uuid, (usize, bool)>,
    phase_counts: HashMap<Uuid, usize>,
}

impl JourneyShapes {
    pub(crate) async fn load(
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        journeys: &[Uuid],
    ) -> Result<Self, StoreError> {
        let phases: Vec<(Uuid, Uuid, i32)> = phase::Entity::find()
            .select_only()
            .columns([
                phase::Column::Id,
                phase::Column::JourneyId,
                phase::Column::Position,
            ])
            .filter(phase::Column::TenantId.eq(tenant.uuid()))
            .filter(phase::Column::JourneyId.is_in(journeys.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        let touchpoints: Vec<(Uuid, Uuid, bool)> = touchpoint::Entity::find()
            .select_only()
            .columns([
                touchpoint::Column::Id,
                touchpoint::Column::PhaseId,
                touchpoint::Column::IsConversion,
            ])
            .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
            .filter(touchpoint::Column::JourneyId.is_in(journeys.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        let position: HashMap<Uuid, usize> =
            phases.iter().map(|(id, _, p)| (*id, *p as usize)).collect();
        let mut shapes = JourneyShapes::default();
        for (_, journey, _) in &phases {
            *shapes.phase_counts.entry(*journey).or_default() += 1;
        }
        for (tp, phase, conversion) in touchpoints {
            if let Some(p) = position.get(&phase) {
                shapes.touchpoints.insert(tp, (*p, conversion));
            }
        }
        Ok(shapes)
    }

    /// The state of a customer in `journey` after `events` (time and
    /// touchpoint) on top of `base` (a stored state, or the empty one).
    ///
    /// The chain comes from the base's steps and the events (right when the
    /// events follow everything the base was computed from, or when the base
    /// is empty and the events are the whole history); the two earliest
    /// conversions of the base and the events are the two earliest overall.
    fn state(&self, journey: Uuid, base: &JourneyState, events: &[(i64, Uuid)]) -> JourneyState {
        let mut points: Vec<(i64, usize)> = base
            .chain
            .iter()
            .enumerate()
            .map(|(step, at)| (*at, step))
            .collect();
        let mut conversions = base.conversions.clone();
        for (at, tp) in events {
            if let Some(&(phase, conversion)) = self.touchpoints.get(tp) {
                points.push((*at, phase));
                if conversion {
                    conversions.push(*at);
                }
            }
        }
        conversions.sort_unstable();
        conversions.truncate(2);
        let phases = self.phase_counts.get(&journey).copied().unwrap_or(0);
        JourneyState {
            chain: funnel::chain(&points, phases),
            conversions,
        }
    }
}

/// What the rollups keep of a customer in a journey (a `journey_chains` row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JourneyState {
    /// The funnel chain: t1, t2, ... tk.
    chain: Vec<i64>,
    /// The earliest two interactions at conversion touchpoints, in order.
    conversions: Vec<i64>,
}

impl JourneyState {
    fn is_empty(&self) -> bool {
        self.chain.is_empty() && self.conversions.is_empty()
    }

    /// The row's cells (`CHAIN_COLUMNS` order).
    fn row(&self, tenant: TenantId, journey: Uuid, customer: Uuid) -> Vec<Cell> {
        vec![
            Cell::Uuid(tenant.uuid()),
            Cell::Uuid(journey),
            Cell::Uuid(customer),
            Cell::int(self.chain.first().copied()),
            Cell::Text(encode_chain(&self.chain)),
            Cell::int(self.conversions.first().copied()),
            Cell::int(self.conversions.get(1).copied()),
        ]
    }
}

/// Whether the customers' `journey_chains` rows may exist already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replace {
    /// Delete them first.
    Existing,
    /// The caller emptied the table (a rebuild): nothing to delete.
    Nothing,
}

/// The interactions (time, touchpoint) of customers by (journey, customer).
pub(crate) type Histories = BTreeMap<(Uuid, Uuid), Vec<(i64, Uuid)>>;

/// Recomputes the `journey_chains` rows (funnel chain and conversions) of
/// `customers` in `journeys` from their raw interactions, replacing what
/// was stored, and adds the change of their conversions to `conversions`
/// (for the caller to apply once, after all its chunks: an additive upsert
/// per chunk would rewrite the same day rows again and again). Returns the
/// interactions it read.
pub(crate) async fn recompute_progress(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    customers: &[Uuid],
    journeys: &[Uuid],
    replace: Replace,
    conversions: &mut ConversionsDelta,
) -> Result<Histories, StoreError> {
    if customers.is_empty() || journeys.is_empty() {
        return Ok(Histories::new());
    }
    let shapes = JourneyShapes::load(conn, tenant, journeys).await?;
    let histories = histories(conn, tenant, customers, journeys).await?;
    if replace == Replace::Existing {
        for chunk in customers.chunks(MAX_PARAMS / 2) {
            let replaced = journey_chain::Entity::delete_many()
                .filter(journey_chain::Column::TenantId.eq(tenant.uuid()))
                .filter(any_of(
                    conn,
                    journey_chain::Column::JourneyId,
                    journeys.iter().copied(),
                ))
                .filter(any_of(
                    conn,
                    journey_chain::Column::CustomerId,
                    chunk.iter().copied(),
                ))
                .exec_with_returning(conn)
                .await?;
            for row in replaced {
                conversions.add(row.journey_id, &row.conversions(), -1);
            }
        }
    }
    let empty = JourneyState::default();
    let mut rows = Vec::new();
    for (&(journey, customer), events) in &histories {
        let state = shapes.state(journey, &empty, events);
        if !state.is_empty() {
            conversions.add(journey, &state.conversions, 1);
            rows.push(state.row(tenant, journey, customer));
        }
    }
    write_chains(conn, rows, Columns::All).await?;
    Ok(histories)
}

/// The interactions (time, touchpoint) of `customers` in `journeys`, by
/// (journey, customer).
async fn histories(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    customers: &[Uuid],
    journeys: &[Uuid],
) -> Result<Histories, StoreError> {
    let wanted_journeys: HashSet<Uuid> = journeys.iter().copied().collect();
    let mut histories = Histories::new();
    for chunk in customers.chunks(MAX_PARAMS / 2) {
        // By customer only: the customer index answers it, whatever the
        // statistics; other journeys' rows are dropped below.
        let rows: Vec<(Uuid, Uuid, i64, Uuid)> = interaction::Entity::find()
            .select_only()
            .columns([
                interaction::Column::JourneyId,
                interaction::Column::CustomerId,
                interaction::Column::OccurredAt,
                interaction::Column::TouchpointId,
            ])
            .filter(interaction::Column::TenantId.eq(tenant.uuid()))
            .filter(any_of(
                conn,
                interaction::Column::CustomerId,
                chunk.iter().copied(),
            ))
            .into_tuple()
            .all(conn)
            .await?;
        for (journey, customer, at, tp) in rows {
            if !wanted_journeys.contains(&journey) {
                continue;
            }
            histories
                .entry((journey, customer))
                .or_default()
                .push((at, tp));
        }
    }
    Ok(histories)
}

/// How many stats rows a journey (or some of its touchpoints) has: zero
/// exactly when no interaction was recorded there.
pub(crate) async fn recorded_rows(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    journey: Uuid,
    touchpoints: Option<&[Uuid]>,
) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    let mut select = interaction_stat::Entity::find()
        .filter(interaction_stat::Column::TenantId.eq(tenant.uuid()))
        .filter(interaction_stat::Column::JourneyId.eq(journey));
    if let Some(touchpoints) = touchpoints {
        if touchpoints.is_empty() {
            return Ok(0);
        }
        select = select
            .filter(interaction_stat::Column::TouchpointId.is_in(touchpoints.iter().copied()));
    }
    Ok(select.limit(1).count(conn).await?)
}

/// What a rebuild recomputed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Interactions read.
    pub interactions: u64,
    /// Stats rows written.
    pub stats_rows: u64,
    /// Customers whose funnel progress was recomputed.
    pub customers: u64,
}

/// A `journey_chains` row: journey, customer, started, t1..tk, and the
/// first two conversions.
pub type ChainSnapshot = (Uuid, Uuid, Option<i64>, Vec<i64>, Option<i64>, Option<i64>);

/// The stored rollups of a tenant, in key order (for comparing them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupSnapshot {
    /// Every stats row.
    pub stats: Vec<(StatsKey, StatsCounters)>,
    /// Every `journey_chains` row: journey, customer, started, t1..tk, and
    /// the first two conversions.
    pub progress: Vec<ChainSnapshot>,
    /// Every `journey_windows` row: journey, day, persona key, windows.
    pub windows: Vec<(Uuid, i64, Uuid, Windows)>,
    /// Every `journey_conversions` row: journey, day, first conversions,
    /// repeats.
    pub conversions: Vec<(Uuid, i64, i64, i64)>,
}

impl RollupSnapshot {
    /// The interactions the stats rows count.
    pub fn interactions(&self) -> i64 {
        self.stats.iter().map(|(_, c)| c.tally.interactions).sum()
    }
}

impl crate::Store {
    /// Recomputes every rollup of `tenant` from its raw interactions, in one
    /// transaction (readers see the old figures until it commits).
    ///
    /// Safe while the service runs: on PostgreSQL it first locks the
    /// tenant's journeys, which every ingest call holds in key-share mode, so
    /// ingest calls in flight finish before it reads anything and new ones
    /// wait until it commits (SQLite runs one writer at a time anyway).
    pub async fn rebuild_rollups(&self, tenant: TenantId) -> Result<RebuildReport, StoreError> {
        use crate::entity::{customer, journey};
        let t = tenant.uuid();
        let txn = self.db.begin_write().await?;
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            use sea_orm::QueryOrder;
            journey::Entity::find()
                .select_only()
                .column(journey::Column::Id)
                .filter(journey::Column::TenantId.eq(t))
                .order_by_asc(journey::Column::Id)
                .lock_exclusive()
                .into_tuple::<Uuid>()
                .all(&txn)
                .await?;
        }
        interaction_stat::Entity::delete_many()
            .filter(interaction_stat::Column::TenantId.eq(t))
            .exec(&txn)
            .await?;
        journey_chain::Entity::delete_many()
            .filter(journey_chain::Column::TenantId.eq(t))
            .exec(&txn)
            .await?;
        journey_window::Entity::delete_many()
            .filter(journey_window::Column::TenantId.eq(t))
            .exec(&txn)
            .await?;
        journey_conversion::Entity::delete_many()
            .filter(journey_conversion::Column::TenantId.eq(t))
            .exec(&txn)
            .await?;
        let personas: HashMap<Uuid, Option<Uuid>> = customer::Entity::find()
            .select_only()
            .columns([customer::Column::Id, customer::Column::PersonaId])
            .filter(customer::Column::TenantId.eq(t))
            .into_tuple::<(Uuid, Option<Uuid>)>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let mut report = RebuildReport::default();
        let mut delta = StatsDelta::default();
        let mut active: BTreeMap<Uuid, ()> = BTreeMap::new();
        let mut after: Option<String> = None;
        loop {
            let mut select =
                interaction::Entity::find().filter(interaction::Column::TenantId.eq(t));
            if let Some(after) = &after {
                select = select.filter(interaction::Column::ExternalId.gt(after.clone()));
            }
            use sea_orm::QueryOrder;
            let rows = select
                .order_by_asc(interaction::Column::ExternalId)
                .limit(5_000)
                .all(&txn)
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.external_id.clone());
            for row in &rows {
                let persona = personas
                    .get(&row.customer_id)
                    .copied()
                    .flatten()
                    .unwrap_or(NO_PERSONA);
                delta.add(&Contribution::of(row, persona), 1);
                active.insert(row.customer_id, ());
            }
            report.interactions += rows.len() as u64;
        }
        report.stats_rows = delta.rows.len() as u64;
        delta.apply(&txn, tenant).await?;
        let journeys: Vec<Uuid> = journey::Entity::find()
            .select_only()
            .column(journey::Column::Id)
            .filter(journey::Column::TenantId.eq(t))
            .into_tuple()
            .all(&txn)
            .await?;
        let customers: Vec<Uuid> = active.into_keys().collect();
        let mut windows = WindowsDelta::default();
        let mut conversions = ConversionsDelta::default();
        for chunk in customers.chunks(1_000) {
            let histories = recompute_progress(
                &txn,
                tenant,
                chunk,
                &journeys,
                Replace::Nothing,
                &mut conversions,
            )
            .await?;
            for ((journey, customer), events) in histories {
                let persona = personas.get(&customer).copied().flatten();
                let times = events.into_iter().map(|(at, _)| at);
                windows.add_all(journey, persona.unwrap_or(NO_PERSONA), times, 1);
            }
        }
        windows.apply(&txn, tenant).await?;
        conversions.apply(&txn, tenant).await?;
        report.customers = customers.len() as u64;
        txn.commit().await?;
        Ok(report)
    }

    /// Every rollup row of `tenant`, in key order.
    pub async fn rollup_snapshot(&self, tenant: TenantId) -> Result<RollupSnapshot, StoreError> {
        use sea_orm::QueryOrder;
        let t = tenant.uuid();
        let conn = self.db.conn();
        let mut stats: Vec<(StatsKey, StatsCounters)> = interaction_stat::Entity::find()
            .filter(interaction_stat::Column::TenantId.eq(t))
            .into_model::<StatsRow>()
            .all(conn)
            .await?
            .into_iter()
            .map(|row| (row.key, row.counters))
            .collect();
        stats.sort_by(|a, b| a.0.cmp(&b.0));
        let progress = journey_chain::Entity::find()
            .filter(journey_chain::Column::TenantId.eq(t))
            .order_by_asc(journey_chain::Column::JourneyId)
            .order_by_asc(journey_chain::Column::CustomerId)
            .all(conn)
            .await?
            .into_iter()
            .map(|r| {
                Ok((
                    r.journey_id,
                    r.customer_id,
                    r.started_at,
                    decode_chain(r.started_at, &r.chain)?,
                    r.first_conversion_at,
                    r.second_conversion_at,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        let windows = super::windows::snapshot(conn, tenant).await?;
        let conversions = super::conversions::snapshot(conn, tenant).await?;
        Ok(RollupSnapshot {
            stats,
            progress,
            windows,
            conversions,
        })
    }
}

/// A stored interaction as funnel progress sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProgressEvent {
    pub journey: Uuid,
    pub customer: Uuid,
    pub occurred_at: i64,
    pub touchpoint: Uuid,
}

/// A stored `journey_chains` row as ingest reads it: customer, start,
/// chain, first two conversions.
type StoredState = (Uuid, Option<i64>, String, Option<i64>, Option<i64>);

/// Brings the funnel progress up to date after `new` interactions were
/// stored. `latest` holds each customer's latest interaction before them.
///
/// When every new interaction of a customer lies strictly after all their
/// earlier ones, the chain can only grow: its stored steps stay, and new
/// steps come from the new interactions alone (an earlier interaction cannot
/// follow a step that lies after it). So the stored chain plus the new
/// interactions give the new chain. The two earliest conversions are always
/// the two earliest of the stored ones and the new ones.
/// Late interactions make the chain be recomputed from the customer's whole
/// history instead; the histories read for that are returned.
pub(crate) async fn advance_progress(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    new: &[ProgressEvent],
    latest: &HashMap<Uuid, i64>,
) -> Result<Histories, StoreError> {
    let mut by_pair: BTreeMap<(Uuid, Uuid), Vec<(i64, Uuid)>> = BTreeMap::new();
    for e in new {
        by_pair
            .entry((e.journey, e.customer))
            .or_default()
            .push((e.occurred_at, e.touchpoint));
    }
    let journeys: Vec<Uuid> = by_pair
        .keys()
        .map(|(j, _)| *j)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (in_order, late): (Vec<_>, Vec<_>) =
        by_pair.into_iter().partition(|((_, customer), events)| {
            let first_new = events.iter().map(|(at, _)| *at).min().unwrap_or(i64::MIN);
            latest.get(customer).is_none_or(|last| first_new > *last)
        });

    let mut late_customers: Vec<Uuid> = late.iter().map(|((_, c), _)| *c).collect();
    let mut conversions = ConversionsDelta::default();
    if !in_order.is_empty() {
        let shapes = JourneyShapes::load(conn, tenant, &journeys).await?;
        // Customers without an earlier interaction have no progress yet.
        let customers: Vec<Uuid> = in_order
            .iter()
            .map(|((_, c), _)| *c)
            .filter(|c| latest.contains_key(c))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut stored: HashMap<(Uuid, Uuid), JourneyState> = HashMap::new();
        // One journey at a time, so the primary key (tenant, journey,
        // customer) answers with one probe per customer.
        for journey in &journeys {
            for chunk in customers.chunks(MAX_PARAMS / 2) {
                use journey_chain::Column as J;
                // The columns the state is made of (the tenant and journey
                // are known): this read runs in every ingest call.
                let rows: Vec<StoredState> = journey_chain::Entity::find()
                    .select_only()
                    .columns([
                        J::CustomerId,
                        J::StartedAt,
                        J::Chain,
                        J::FirstConversionAt,
                        J::SecondConversionAt,
                    ])
                    .filter(J::TenantId.eq(tenant.uuid()))
                    .filter(J::JourneyId.eq(*journey))
                    .filter(any_of(conn, J::CustomerId, chunk.iter().copied()))
                    .into_tuple()
                    .all(conn)
                    .await?;
                for (customer, started, chain, first, second) in rows {
                    let state = JourneyState {
                        chain: decode_chain(started, &chain)?,
                        conversions: first.into_iter().chain(second).collect(),
                    };
                    stored.insert((*journey, customer), state);
                }
            }
        }
        let (mut grown, mut converted, mut started) = (Vec::new(), Vec::new(), Vec::new());
        for ((journey, customer), events) in in_order {
            let old = stored.remove(&(journey, customer)).unwrap_or_default();
            let new = shapes.state(journey, &old, &events);
            if !new.chain.starts_with(&old.chain) {
                // Not expected; recomputing from the history is always right.
                late_customers.push(customer);
                continue;
            }
            conversions.change(journey, &old.conversions, &new.conversions);
            if new == old {
                continue;
            } else if old.chain.is_empty() {
                started.push(new.row(tenant, journey, customer));
            } else if new.conversions == old.conversions {
                grown.push(new.row(tenant, journey, customer));
            } else {
                converted.push(new.row(tenant, journey, customer));
            }
        }
        // Each write sets only what changed, so an index of the table is
        // only written when its column changes: a chain that grew keeps its
        // start, and usually its conversions.
        write_chains(conn, grown, Columns::Chain).await?;
        write_chains(conn, converted, Columns::Conversions).await?;
        write_chains(conn, started, Columns::All).await?;
    }
    late_customers.sort_unstable();
    late_customers.dedup();
    let histories = recompute_progress(
        conn,
        tenant,
        &late_customers,
        &journeys,
        Replace::Existing,
        &mut conversions,
    )
    .await?;
    conversions.apply(conn, tenant).await?;
    Ok(histories)
}

/// A funnel chain as stored, after its start t1 (the row's `started_at`):
/// each later step's distance from the step before it, tk − t(k−1) in
/// microseconds, comma-separated; empty for a chain of one step or none.
/// A funnel needs nothing else (it counts distances), and it reads hundreds
/// of thousands of chains: distances have 11–13 digits where times have 16,
/// and t1 is not written twice.
fn encode_chain(chain: &[i64]) -> String {
    chain
        .windows(2)
        .map(|step| (step[1] - step[0]).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The chain of a stored row, from its start and its stored distances
/// (the inverse of [`encode_chain`]).
pub(crate) fn decode_chain(started_at: Option<i64>, stored: &str) -> Result<Vec<i64>, StoreError> {
    let mut chain = Vec::new();
    match started_at {
        Some(start) => decode_chain_into(stored.as_bytes(), start, &mut chain)?,
        None if stored.is_empty() => {}
        None => {
            return Err(StoreError::Corrupt(format!(
                "funnel steps '{stored}' without a start"
            )));
        }
    }
    Ok(chain)
}

/// Appends a stored chain ([`encode_chain`]) to `times`: `start`, then each
/// step's time counted from it. A funnel passes 0 as every chain's start,
/// which gives tk − t1.
pub(crate) fn decode_chain_into(
    stored: &[u8],
    start: i64,
    times: &mut Vec<i64>,
) -> Result<(), StoreError> {
    let first = times.len();
    times.push(start);
    decode_times_into(stored, times)?;
    for k in first + 1..times.len() {
        // Steps never go back in time.
        let at = (times[k] >= 0)
            .then(|| times[k - 1].checked_add(times[k]))
            .flatten();
        times[k] = at.ok_or_else(|| {
            let text = String::from_utf8_lossy(stored);
            StoreError::Corrupt(format!("funnel steps '{text}'"))
        })?;
    }
    Ok(())
}

/// Stored times, comma-separated (a customer's latest interactions).
pub(crate) fn decode_times(text: &str) -> Result<Vec<i64>, StoreError> {
    let mut times = Vec::new();
    decode_times_into(text.as_bytes(), &mut times)?;
    Ok(times)
}

/// Appends stored comma-separated numbers (their bytes: a funnel gets its
/// chains as lines of a `COPY`) to `times`. A funnel decodes hundreds of
/// thousands of chains, so this reads the digits itself, eight at a time,
/// rather than splitting and parsing each number; every other byte is an
/// error.
pub(crate) fn decode_times_into(bytes: &[u8], times: &mut Vec<i64>) -> Result<(), StoreError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let corrupt = || {
        let text = String::from_utf8_lossy(bytes);
        StoreError::Corrupt(format!("stored numbers '{text}'"))
    };
    let mut at = 0;
    loop {
        let start = at;
        let end = memchr::memchr(b',', &bytes[at..]).map_or(bytes.len(), |comma| at + comma);
        let negative = bytes[at] == b'-';
        let digits = &bytes[at + usize::from(negative)..end];
        // Up to 18 digits cannot overflow; longer ones (and errors) go to
        // the standard parser.
        let value = match (!digits.is_empty() && digits.len() <= 18)
            .then(|| fast_digits(digits))
            .flatten()
        {
            Some(magnitude) if negative => -magnitude,
            Some(magnitude) => magnitude,
            None => {
                let number = std::str::from_utf8(&bytes[start..end]).map_err(|_| corrupt())?;
                if number.starts_with('+') {
                    return Err(corrupt());
                }
                number.parse().map_err(|_| corrupt())?
            }
        };
        times.push(value);
        at = end;
        if at == bytes.len() {
            return Ok(());
        }
        // Past the comma; something must follow it.
        at += 1;
        if at == bytes.len() {
            return Err(corrupt());
        }
    }
}

/// The value of up to 18 ASCII digits, or `None` when one is not a digit.
fn fast_digits(digits: &[u8]) -> Option<i64> {
    let mut value: u64 = 0;
    let mut chunks = digits.chunks_exact(8);
    for chunk in &mut chunks {
        value = value * 100_000_000 + eight_digits(chunk)?;
    }
    for b in chunks.remainder() {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    Some(value as i64)
}

/// The value of eight ASCII digits, or `None` when one is not a digit
/// (all eight at once, in one 64-bit word).
fn eight_digits(bytes: &[u8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let chunk = u64::from_le_bytes(bytes.try_into().ok()?);
    // Each byte is 0x30..=0x3F, and below 0x3A (adding 6 carries out of
    // the nibble for 0x3A..=0x3F).
    let digits = chunk.wrapping_sub(ZEROS);
    if chunk & HIGH_NIBBLES != ZEROS
        || digits.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES != 0
    {
        return None;
    }
    // Pairs, then fours, then all eight (the first byte is the most
    // significant digit).
    let pairs = (digits.wrapping_mul(10) + (digits >> 8)) & 0x00FF_00FF_00FF_00FF;
    let fours = (pairs.wrapping_mul(100) + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((fours.wrapping_mul(10_000) + (fours >> 32)) & 0xFFFF_FFFF)
}

/// Which columns of a stored `journey_chains` row a write replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Columns {
    /// The chain only (its start and the conversions stay).
    Chain,
    /// The chain and the conversions (its start stays).
    Conversions,
    /// Every one.
    All,
}

/// Writes `journey_chains` rows (`JourneyState::row`): new ones are
/// inserted, stored ones get the new `columns`.
async fn write_chains(
    conn: &impl ConnectionTrait,
    rows: Vec<Vec<Cell>>,
    columns: Columns,
) -> Result<(), StoreError> {
    const COLUMNS: [(&str, Kind); 7] = [
        ("tenant_id", Kind::Uuid),
        ("journey_id", Kind::Uuid),
        ("customer_id", Kind::Uuid),
        ("started_at", Kind::BigInt),
        ("chain", Kind::Text),
        ("first_conversion_at", Kind::BigInt),
        ("second_conversion_at", Kind::BigInt),
    ];
    let upsert = match columns {
        Columns::Chain => {
            "ON CONFLICT (\"tenant_id\", \"journey_id\", \"customer_id\") \
             DO UPDATE SET \"chain\" = excluded.\"chain\""
        }
        Columns::Conversions => {
            "ON CONFLICT (\"tenant_id\", \"journey_id\", \"customer_id\") \
             DO UPDATE SET \"chain\" = excluded.\"chain\", \
             \"first_conversion_at\" = excluded.\"first_conversion_at\", \
             \"second_conversion_at\" = excluded.\"second_conversion_at\""
        }
        Columns::All => {
            "ON CONFLICT (\"tenant_id\", \"journey_id\", \"customer_id\") \
             DO UPDATE SET \"started_at\" = excluded.\"started_at\", \
             \"chain\" = excluded.\"chain\", \
             \"first_conversion_at\" = excluded.\"first_conversion_at\", \
             \"second_conversion_at\" = excluded.\"second_conversion_at\""
        }
    };
    for chunk in rows.chunks(10_000) {
        bulk::insert(conn, "journey_chains", &COLUMNS, chunk, upsert).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_round_trip() {
        for chain in [
            vec![0],
            vec![1_767_225_600_000_000],
            vec![1_767_225_600_000_000, 1_767_225_600_000_001],
            // Ties, and times before 1970.
            vec![-86_400_000_000, -5, -5, 3],
            vec![-62_135_596_800_000_000, 253_402_300_799_999_999],
        ] {
            let stored = encode_chain(&chain);
            assert_eq!(
                decode_chain(chain.first().copied(), &stored).unwrap(),
                chain
            );
            let mut relative = Vec::new();
            decode_chain_into(stored.as_bytes(), 0, &mut relative).unwrap();
            let from_start: Vec<i64> = chain.iter().map(|at| at - chain[0]).collect();
            assert_eq!(relative, from_start);
        }
        assert_eq!(encode_chain(&[1_767_225_600_000_000]), "");
        assert_eq!(
            encode_chain(&[5, 86_400_000_005, 86_400_000_005]),
            "86400000000,0"
        );
        assert_eq!(decode_chain(None, "").unwrap(), Vec::<i64>::new());
        // Steps back in time, steps without a start, and overflow.
        assert!(decode_chain(Some(5), "-1").is_err());
        assert!(decode_chain(None, "5").is_err());
        assert!(decode_chain(Some(i64::MAX), "1").is_err());
        for n in [
            "0",
            "7",
            "86400000000",
            "123456789012345678",
            "1234567890123456789",
            "-9223372036854775808",
        ] {
            assert_eq!(decode_times(n).unwrap(), [n.parse::<i64>().unwrap()], "{n}");
        }
        let sixteen = [
            1_000_000_000_000_000,
            1_767_225_600_123_456,
            9_999_999_999_999_999,
        ];
        for t in sixteen {
            assert_eq!(decode_times(&t.to_string()).unwrap(), [t]);
            assert_eq!(decode_times(&format!("-{t}")).unwrap(), [-t]);
        }
        for bad in [
            "1,,2",
            ",1",
            "1767225600123456,",
            "1767225600123456,,1",
            "1767225600123456x",
            "x",
            "1,2,",
            "-",
            "12345678901234567890",
            "+5",
            "--5",
            "17672256001234:6",
            "1767225600/23456",
            "176722560012345a",
            " 767225600123456",
            "12345678x",
            "1234567x9",
            "123456789x",
            "1,2x",
        ] {
            assert!(decode_times(bad).is_err(), "{bad}");
        }
    }
}
