//! Dense positions (0, 1, 2, ...) of ordered rows (phases in a journey,
//! touchpoints in a phase): opening a gap, closing it, moving within a list.

use crate::StoreError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The columns that identify one ordered list of rows of `E`.
pub(crate) struct OrderedList<E: EntityTrait> {
    pub tenant: E::Column,
    pub scope: E::Column,
    pub position: E::Column,
}

impl<E: EntityTrait> OrderedList<E> {
    /// Adds `delta` to the position of every row of the list with a position
    /// in `from..to` (`to` absent: to the end).
    pub async fn shift(
        &self,
        conn: &impl ConnectionTrait,
        tenant: Uuid,
        scope: Uuid,
        from: i32,
        to: Option<i32>,
        delta: i32,
    ) -> Result<(), StoreError> {
        let mut filter = Condition::all()
            .add(self.tenant.eq(tenant))
            .add(self.scope.eq(scope))
            .add(self.position.gte(from));
        if let Some(to) = to {
            filter = filter.add(self.position.lt(to));
        }
        E::update_many()
            .col_expr(self.position, Expr::col(self.position).add(delta))
            .filter(filter)
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Makes room at `at` by moving every row from `at` on one place down.
    pub async fn open_gap(
        &self,
        conn: &impl ConnectionTrait,
        tenant: Uuid,
        scope: Uuid,
        at: i32,
    ) -> Result<(), StoreError> {
        self.shift(conn, tenant, scope, at, None, 1).await
    }

    /// Closes the hole a row at `at` left by moving every later row one place up.
    pub async fn close_gap(
        &self,
        conn: &impl ConnectionTrait,
        tenant: Uuid,
        scope: Uuid,
        at: i32,
    ) -> Result<(), StoreError> {
        self.shift(conn, tenant, scope, at + 1, None, -1).await
    }

    /// Shifts the rows between a row's old place `from` and its new place
    /// `to` so that it can take `to`. The moved row itself is set by the caller.
    pub async fn make_room_for_move(
        &self,
        conn: &impl ConnectionTrait,
        tenant: Uuid,
        scope: Uuid,
        from: i32,
        to: i32,
    ) -> Result<(), StoreError> {
        use std::cmp::Ordering;
        match from.cmp(&to) {
            Ordering::Less => {
                self.shift(conn, tenant, scope, from + 1, Some(to + 1), -1)
                    .await
            }
            Ordering::Greater => self.shift(conn, tenant, scope, to, Some(from), 1).await,
            Ordering::Equal => Ok(()),
        }
    }
}
