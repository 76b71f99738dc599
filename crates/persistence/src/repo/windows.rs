//! The `journey_windows` rollup (migration `m20261129_000006`): the
//! summary's customers and bounced customers over whole days, without
//! reading the range's interactions.
//!
//! Of a customer's interactions in a journey, in time order, a pair is two
//! consecutive ones and a triple three. Over a range, customers =
//! interactions − pairs and bounced customers = interactions − 2·pairs +
//! triples, counting the windows that lie wholly in the range. A row holds,
//! per journey, last day and persona, the pairs and triples ending that
//! day by lag (last day − first day).

use super::bulk::{self, Cell, Kind};
use super::rollups::DAY_US;
use crate::StoreError;
use crate::entity::{interaction, journey_window};
use journeyd_domain::TenantId;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// Window counts by lag in days.
pub type LagCounts = BTreeMap<i64, i64>;

/// The pairs and triples of one row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Windows {
    /// Pairs by lag.
    pub pairs: LagCounts,
    /// Triples by lag.
    pub triples: LagCounts,
}

impl Windows {
    fn is_empty(&self) -> bool {
        self.pairs.is_empty() && self.triples.is_empty()
    }

    fn add(&mut self, other: &Windows) {
        for (target, source) in [
            (&mut self.pairs, &other.pairs),
            (&mut self.triples, &other.triples),
        ] {
            for (lag, n) in source {
                *target.entry(*lag).or_default() += n;
            }
            target.retain(|_, n| *n != 0);
        }
    }

    fn is_valid(&self) -> bool {
        self.pairs
            .values()
            .chain(self.triples.values())
            .all(|n| *n > 0)
    }

    pub(crate) fn decode(pairs: &str, triples: &str) -> Result<Self, StoreError> {
        Ok(Self {
            pairs: decode(pairs)?,
            triples: decode(triples)?,
        })
    }

    /// The pairs and triples that lie in a range starting `since` days
    /// before this row's day (lag ≤ since).
    pub(crate) fn within(&self, since: i64) -> (i64, i64) {
        let sum = |counts: &LagCounts| counts.range(..=since).map(|(_, n)| n).sum();
        (sum(&self.pairs), sum(&self.triples))
    }
}

fn encode(counts: &LagCounts) -> String {
    counts
        .iter()
        .map(|(lag, n)| format!("{lag}:{n}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn decode(text: &str) -> Result<LagCounts, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("window counts '{text}'"));
    let mut counts = LagCounts::new();
    for item in text.split(',').filter(|s| !s.is_empty()) {
        let (lag, n) = item.split_once(':').ok_or_else(corrupt)?;
        let lag: i64 = lag.parse().map_err(|_| corrupt())?;
        let n: i64 = n.parse().map_err(|_| corrupt())?;
        *counts.entry(lag).or_default() += n;
    }
    Ok(counts)
}

/// Changes to `journey_windows` rows, by (journey, day, persona key).
#[derive(Debug, Default)]
pub(crate) struct WindowsDelta {
    rows: BTreeMap<(Uuid, i64, Uuid), Windows>,
}

impl WindowsDelta {
    /// Adds `sign` times the windows of `times` (one customer's interactions
    /// in `journey`, in time order) whose last interaction is `times[from]`
    /// or later.
    pub(crate) fn add(
        &mut self,
        journey: Uuid,
        persona: Uuid,
        times: &[i64],
        from: usize,
        sign: i64,
    ) {
        let days: Vec<i64> = times.iter().map(|t| t.div_euclid(DAY_US)).collect();
        for i in from.max(1)..days.len() {
            let row = self.rows.entry((journey, days[i], persona)).or_default();
            *row.pairs.entry(days[i] - days[i - 1]).or_default() += sign;
            if i >= 2 {
                *row.triples.entry(days[i] - days[i - 2]).or_default() += sign;
            }
        }
    }

    /// Adds `sign` times every window of one customer's interactions in
    /// `journey` at `times` (in any order).
    pub(crate) fn add_all(
        &mut self,
        journey: Uuid,
        persona: Uuid,
        times: impl IntoIterator<Item = i64>,
        sign: i64,
    ) {
        let mut times: Vec<i64> = times.into_iter().collect();
        times.sort_unstable();
        self.add(journey, persona, &times, 0, sign);
    }

    /// Adds `sign` times every window of these interactions (all of one
    /// customer's, of the persona key `persona`).
    pub(crate) fn add_history(
        &mut self,
        interactions: &[interaction::Model],
        persona: Uuid,
        sign: i64,
    ) {
        let mut by_journey: BTreeMap<Uuid, Vec<i64>> = BTreeMap::new();
        for i in interactions {
            by_journey
                .entry(i.journey_id)
                .or_default()
                .push(i.occurred_at);
        }
        for (journey, times) in by_journey {
            self.add_all(journey, persona, times, sign);
        }
    }

    /// Writes the changes: each row is read, added to and written back. On
    /// PostgreSQL under its lock, taken in key order; missing rows are first
    /// inserted empty, so two calls creating one row wait for each other
    /// instead of both inserting it. A row whose counts fall to zero stays
    /// (empty) until a rebuild: deleting it would let a call that found it
    /// before the deletion, and so did not insert it, write it back over
    /// another call's new row.
    pub(crate) async fn apply(
        self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<(), StoreError> {
        use journey_window::Column as W;
        let mut changes: BTreeMap<(Uuid, i64, Uuid), Windows> = self.rows;
        for windows in changes.values_mut() {
            windows.pairs.retain(|_, n| *n != 0);
            windows.triples.retain(|_, n| *n != 0);
        }
        changes.retain(|_, w| !w.is_empty());
        if changes.is_empty() {
            return Ok(());
        }
        const COLUMNS: [(&str, Kind); 6] = [
            ("tenant_id", Kind::Uuid),
            ("journey_id", Kind::Uuid),
            ("day", Kind::BigInt),
            ("persona_key", Kind::Uuid),
            ("pairs", Kind::Text),
            ("triples", Kind::Text),
        ];
        let row = |(journey, day, persona): &(Uuid, i64, Uuid), w: &Windows| {
            vec![
                Cell::Uuid(tenant.uuid()),
                Cell::Uuid(*journey),
                Cell::Int(*day),
                Cell::Uuid(*persona),
                Cell::Text(encode(&w.pairs)),
                Cell::Text(encode(&w.triples)),
            ]
        };
        let postgres = conn.get_database_backend() == DbBackend::Postgres;
        if postgres {
            let empty = Windows::default();
            let keys: Vec<Vec<Cell>> = changes.keys().map(|k| row(k, &empty)).collect();
            for chunk in keys.chunks(10_000) {
                bulk::insert(
                    conn,
                    "journey_windows",
                    &COLUMNS,
                    chunk,
                    "ON CONFLICT DO NOTHING",
                )
                .await?;
            }
        }
        let journeys: HashSet<Uuid> = changes.keys().map(|k| k.0).collect();
        let days: HashSet<i64> = changes.keys().map(|k| k.1).collect();
        let personas: HashSet<Uuid> = changes.keys().map(|k| k.2).collect();
        // Rows of these journeys, days and personas (a call of one journey
        // and persona locks only the rows it changes).
        let mut select = journey_window::Entity::find()
            .filter(W::TenantId.eq(tenant.uuid()))
            .filter(W::JourneyId.is_in(journeys))
            .filter(W::Day.is_in(days))
            .filter(W::PersonaKey.is_in(personas))
            .order_by_asc(W::JourneyId)
            .order_by_asc(W::Day)
            .order_by_asc(W::PersonaKey);
        if postgres {
            select = select.lock(LockType::Update);
        }
        // SQLite, one writer at a time: rows not stored yet start empty.
        let mut stored: BTreeMap<(Uuid, i64, Uuid), Windows> = BTreeMap::new();
        for row in select.all(conn).await? {
            let key = (row.journey_id, row.day, row.persona_key);
            if changes.contains_key(&key) {
                stored.insert(key, Windows::decode(&row.pairs, &row.triples)?);
            }
        }
        let mut merged = Vec::with_capacity(changes.len());
        for (key, change) in &changes {
            let mut windows = stored.remove(key).unwrap_or_default();
            windows.add(change);
            if !windows.is_valid() {
                return Err(StoreError::Corrupt(format!(
                    "journey_windows of day {} would count below zero",
                    key.1
                )));
            }
            merged.push(row(key, &windows));
        }
        let upsert = "ON CONFLICT (\"tenant_id\", \"journey_id\", \"day\", \"persona_key\") \
                      DO UPDATE SET \"pairs\" = excluded.\"pairs\", \"triples\" = excluded.\"triples\"";
        for chunk in merged.chunks(10_000) {
            bulk::insert(conn, "journey_windows", &COLUMNS, chunk, upsert).await?;
        }
        Ok(())
    }
}

/// Over the whole days `[from_day, to_day)` of a journey (of one persona
/// key, or all): how many customers have interactions there, and how many
/// of them exactly one. One statement, so the stats and the windows come
/// from one snapshot.
pub(crate) async fn customers_in_days(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    journey: Uuid,
    (from_day, to_day): (i64, i64),
    persona_key: Option<Uuid>,
) -> Result<(u64, u64), StoreError> {
    use crate::entity::interaction_stat::{self, Column as S};
    use journey_window::Column as W;
    use sea_orm::sea_query::{Expr, Query, UnionType};
    let mut windows = Query::select()
        .columns([W::Day, W::Pairs, W::Triples])
        .expr_as(Expr::cust("CAST(NULL AS BIGINT)"), "interactions")
        .from(journey_window::Entity)
        .and_where(W::TenantId.eq(tenant.uuid()))
        .and_where(W::JourneyId.eq(journey))
        .and_where(W::Day.gte(from_day))
        .and_where(W::Day.lt(to_day))
        .to_owned();
    let mut stats = Query::select()
        .expr(Expr::cust("CAST(NULL AS BIGINT)"))
        .expr(Expr::cust("CAST(NULL AS TEXT)"))
        .expr(Expr::cust("CAST(NULL AS TEXT)"))
        .expr(Expr::cust("CAST(SUM(\"interactions\") AS BIGINT)"))
        .from(interaction_stat::Entity)
        .and_where(S::TenantId.eq(tenant.uuid()))
        .and_where(S::JourneyId.eq(journey))
        .and_where(S::Day.gte(from_day))
        .and_where(S::Day.lt(to_day))
        .to_owned();
    if let Some(persona) = persona_key {
        windows.and_where(W::PersonaKey.eq(persona));
        stats.and_where(S::PersonaKey.eq(persona));
    }
    let query = windows.union(UnionType::All, stats).to_owned();
    let (mut interactions, mut pairs, mut triples) = (0i64, 0i64, 0i64);
    for row in conn.query_all(&query).await? {
        let day: Option<i64> = row.try_get_by_index(0)?;
        let p: Option<String> = row.try_get_by_index(1)?;
        let t: Option<String> = row.try_get_by_index(2)?;
        let n: Option<i64> = row.try_get_by_index(3)?;
        interactions += n.unwrap_or(0);
        if let (Some(day), Some(p), Some(t)) = (day, p, t) {
            let (in_pairs, in_triples) = Windows::decode(&p, &t)?.within(day - from_day);
            pairs += in_pairs;
            triples += in_triples;
        }
    }
    let customers = interactions - pairs;
    let bounced = interactions - 2 * pairs + triples;
    if customers < 0 || bounced < 0 || bounced > customers {
        return Err(StoreError::Corrupt(format!(
            "journey_windows: {interactions} interactions, {pairs} pairs, {triples} triples"
        )));
    }
    Ok((customers as u64, bounced as u64))
}

/// Every row of `tenant` that counts something, in key order (for
/// comparing rollups).
pub(crate) async fn snapshot(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<(Uuid, i64, Uuid, Windows)>, StoreError> {
    use journey_window::Column as W;
    journey_window::Entity::find()
        .filter(W::TenantId.eq(tenant.uuid()))
        .order_by_asc(W::JourneyId)
        .order_by_asc(W::Day)
        .order_by_asc(W::PersonaKey)
        .all(conn)
        .await?
        .into_iter()
        // Rows emptied by deletions and persona moves stay until a rebuild.
        .filter(|r| !(r.pairs.is_empty() && r.triples.is_empty()))
        .map(|r| {
            Ok((
                r.journey_id,
                r.day,
                r.persona_key,
                Windows::decode(&r.pairs, &r.triples)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = DAY_US;

    #[test]
    fn a_customers_windows_end_on_the_days_of_their_later_interactions() {
        let j = Uuid::from_u128(1);
        let p = Uuid::nil();
        let mut delta = WindowsDelta::default();
        // Days 0, 0, 2, 5.
        delta.add(j, p, &[10, 20, 2 * DAY + 1, 5 * DAY], 0, 1);
        let day = |d: i64| delta.rows.get(&(j, d, p)).cloned().unwrap_or_default();
        assert_eq!(day(0).pairs, LagCounts::from([(0, 1)]));
        assert!(day(0).triples.is_empty());
        assert_eq!(day(2).pairs, LagCounts::from([(2, 1)]));
        assert_eq!(day(2).triples, LagCounts::from([(2, 1)]));
        assert_eq!(day(5).pairs, LagCounts::from([(3, 1)]));
        assert_eq!(day(5).triples, LagCounts::from([(5, 1)]));
        // Appending after a stored tail adds only the windows ending at the new ones.
        let mut appended = WindowsDelta::default();
        appended.add(j, p, &[10, 20, 2 * DAY + 1], 0, 1);
        appended.add(j, p, &[20, 2 * DAY + 1, 5 * DAY], 2, 1);
        assert_eq!(appended.rows, delta.rows);
    }

    #[test]
    fn counts_round_trip_and_sum_by_lag() {
        let w = Windows::decode("0:3,2:1,9:4", "1:2").unwrap();
        assert_eq!(encode(&w.pairs), "0:3,2:1,9:4");
        assert_eq!(w.within(2), (4, 2));
        assert_eq!(w.within(0), (3, 0));
        assert!(Windows::decode("x", "").is_err());
    }
}
