//! The `journey_conversions` rollup (migration `m20261201_000008`): per
//! journey and UTC day, the customers whose first conversion fell that day
//! and how many of them converted again within the repeat window. The
//! summary's repeat rate over whole days sums these rows instead of
//! counting the customers' `journey_chains` rows.
//!
//! Every write of a chain row's conversions adds the change here: the old
//! first two conversions counted out, the new ones in.

use super::bulk::{self, Cell, Kind};
use super::rollups::DAY_US;
use crate::StoreError;
use crate::entity::journey_conversion;
use journeyd_domain::TenantId;
use journeyd_domain::metrics::REPEAT_WINDOW_DAYS;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;
use uuid::Uuid;

/// How long after the first conversion another one counts as a repeat
/// (migration `m20261201_000008` builds the rows with the same window: a
/// change needs a rollup rebuild).
pub(crate) const REPEAT_WINDOW_US: i64 = REPEAT_WINDOW_DAYS * DAY_US;

/// First conversions and repeats, by (journey, day).
type Counts = BTreeMap<(Uuid, i64), (i64, i64)>;

/// Changes to `journey_conversions` rows.
#[derive(Debug, Default)]
pub(crate) struct ConversionsDelta {
    rows: Counts,
}

impl ConversionsDelta {
    /// Adds `sign` times a customer whose first two conversions in
    /// `journey` are `conversions` (in time order; none, one or two).
    pub(crate) fn add(&mut self, journey: Uuid, conversions: &[i64], sign: i64) {
        let Some(&first) = conversions.first() else {
            return;
        };
        let row = self
            .rows
            .entry((journey, first.div_euclid(DAY_US)))
            .or_default();
        row.0 += sign;
        if conversions
            .get(1)
            .is_some_and(|second| second - first <= REPEAT_WINDOW_US)
        {
            row.1 += sign;
        }
    }

    /// Adds the change of a customer's first two conversions in `journey`
    /// from `old` to `new`.
    pub(crate) fn change(&mut self, journey: Uuid, old: &[i64], new: &[i64]) {
        if old != new {
            self.add(journey, old, -1);
            self.add(journey, new, 1);
        }
    }

    /// Adds the changes to the stored counts, in key order, in one
    /// statement: concurrent calls add to a row one after the other
    /// without reading it first. A row whose counts fall to zero stays
    /// until a rebuild.
    pub(crate) async fn apply(
        self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<(), StoreError> {
        const COLUMNS: [(&str, Kind); 5] = [
            ("tenant_id", Kind::Uuid),
            ("journey_id", Kind::Uuid),
            ("day", Kind::BigInt),
            ("firsts", Kind::BigInt),
            ("repeats", Kind::BigInt),
        ];
        let rows: Vec<Vec<Cell>> = self
            .rows
            .into_iter()
            .filter(|(_, counts)| *counts != (0, 0))
            .map(|((journey, day), (firsts, repeats))| {
                vec![
                    Cell::Uuid(tenant.uuid()),
                    Cell::Uuid(journey),
                    Cell::Int(day),
                    Cell::Int(firsts),
                    Cell::Int(repeats),
                ]
            })
            .collect();
        let add = "ON CONFLICT (\"tenant_id\", \"journey_id\", \"day\") DO UPDATE SET \
                   \"firsts\" = \"journey_conversions\".\"firsts\" + excluded.\"firsts\", \
                   \"repeats\" = \"journey_conversions\".\"repeats\" + excluded.\"repeats\"";
        for chunk in rows.chunks(10_000) {
            bulk::insert(conn, "journey_conversions", &COLUMNS, chunk, add).await?;
        }
        Ok(())
    }
}

/// Over the whole days `[from_day, to_day)` of a journey: how many
/// customers made their first conversion there, and how many of them
/// converted again within the repeat window.
pub(crate) async fn conversions_in_days(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    journey: Uuid,
    (from_day, to_day): (i64, i64),
) -> Result<(u64, u64), StoreError> {
    use journey_conversion::Column as C;
    use sea_orm::sea_query::Expr;
    let (firsts, repeats): (Option<i64>, Option<i64>) = journey_conversion::Entity::find()
        .select_only()
        .expr(Expr::cust("CAST(SUM(\"firsts\") AS BIGINT)"))
        .expr(Expr::cust("CAST(SUM(\"repeats\") AS BIGINT)"))
        .filter(C::TenantId.eq(tenant.uuid()))
        .filter(C::JourneyId.eq(journey))
        .filter(C::Day.gte(from_day))
        .filter(C::Day.lt(to_day))
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or_default();
    let (firsts, repeats) = (firsts.unwrap_or(0), repeats.unwrap_or(0));
    if firsts < 0 || repeats < 0 || repeats > firsts {
        return Err(StoreError::Corrupt(format!(
            "journey_conversions: {firsts} first conversions, {repeats} repeats"
        )));
    }
    Ok((firsts as u64, repeats as u64))
}

/// Every row of `tenant` that counts something, in key order (for
/// comparing rollups): journey, day, first conversions, repeats.
pub(crate) async fn snapshot(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<(Uuid, i64, i64, i64)>, StoreError> {
    use journey_conversion::Column as C;
    Ok(journey_conversion::Entity::find()
        .filter(C::TenantId.eq(tenant.uuid()))
        .order_by_asc(C::JourneyId)
        .order_by_asc(C::Day)
        .all(conn)
        .await?
        .into_iter()
        // Rows emptied by later changes stay until a rebuild.
        .filter(|r| (r.firsts, r.repeats) != (0, 0))
        .map(|r| (r.journey_id, r.day, r.firsts, r.repeats))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_counts_on_the_day_of_their_first_conversion() {
        let j = Uuid::from_u128(1);
        let mut delta = ConversionsDelta::default();
        // Day 2, again 30 days later to the microsecond: a repeat.
        delta.add(j, &[2 * DAY_US + 5, 32 * DAY_US + 5], 1);
        // Day 2, again a microsecond too late: not a repeat.
        delta.add(j, &[2 * DAY_US, 32 * DAY_US + 1], 1);
        // Day -1 (before 1970), once.
        delta.add(j, &[-1], 1);
        delta.add(j, &[], 1);
        assert_eq!(
            delta.rows,
            Counts::from([((j, -1), (1, 0)), ((j, 2), (2, 1))])
        );
        // A change to the same conversions changes nothing; another moves
        // the customer.
        delta.change(j, &[-1], &[-1]);
        delta.change(j, &[-1], &[3 * DAY_US, 4 * DAY_US]);
        assert_eq!(
            delta.rows,
            Counts::from([((j, -1), (0, 0)), ((j, 2), (2, 1)), ((j, 3), (1, 1))])
        );
    }
}
