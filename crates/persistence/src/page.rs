//! Keyset pagination: a page is the rows after (or before) a key, in a fixed
//! order, so pages stay correct while rows are added and removed.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};

/// Which slice of an ordered list to read.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest<K> {
    /// Only rows after this key.
    pub after: Option<K>,
    /// Only rows before this key.
    pub before: Option<K>,
    /// How many rows at most.
    pub limit: u64,
    /// Read the last `limit` rows of the slice instead of the first.
    pub from_end: bool,
}

/// One page of rows, with whether more exist on either side.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows, in the requested order.
    pub items: Vec<T>,
    /// Whether rows exist after the last one.
    pub has_next: bool,
    /// Whether rows exist before the first one.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// Converts every row.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            has_next: self.has_next,
            has_previous: self.has_previous,
        })
    }
}

/// A position in an ordered list: the sort value (absent when the order is
/// by id alone) and the id that breaks ties.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SortKey {
    pub value: Option<Value>,
    pub id: uuid::Uuid,
}

/// The order of a keyset-paginated query: an optional sort column, then the id.
pub(crate) struct KeysetOrder<C> {
    pub sort: Option<C>,
    pub id: C,
    pub descending: bool,
}

impl<C: ColumnTrait + Copy> KeysetOrder<C> {
    /// Rows strictly beyond `key` in direction `forward` of this order.
    fn beyond(&self, key: &SortKey, forward: bool) -> Condition {
        let greater = forward != self.descending;
        let cmp = |column: C, value: Value| -> Expr {
            if greater {
                Expr::col(column).gt(value)
            } else {
                Expr::col(column).lt(value)
            }
        };
        match (&self.sort, &key.value) {
            (Some(sort), Some(value)) => Condition::any().add(cmp(*sort, value.clone())).add(
                Condition::all()
                    .add(Expr::col(*sort).eq(value.clone()))
                    .add(cmp(self.id, key.id.into())),
            ),
            _ => Condition::all().add(cmp(self.id, key.id.into())),
        }
    }

    /// Applies the page's bounds, order and limit (+1 to learn whether more
    /// rows exist) to `select`.
    pub fn apply<E>(&self, mut select: Select<E>, page: &PageRequest<SortKey>) -> Select<E>
    where
        E: EntityTrait<Column = C>,
    {
        if let Some(after) = &page.after {
            select = select.filter(self.beyond(after, true));
        }
        if let Some(before) = &page.before {
            select = select.filter(self.beyond(before, false));
        }
        // Reading from the end runs the order backwards; `finish` restores it.
        let ascending = self.descending == page.from_end;
        let order = if ascending { Order::Asc } else { Order::Desc };
        if let Some(sort) = self.sort {
            select = select.order_by(sort, order.clone());
        }
        select.order_by(self.id, order).limit(page.limit + 1)
    }
}

/// Turns the rows read by [`KeysetOrder::apply`] into a page.
pub(crate) fn finish<K, T>(mut rows: Vec<T>, page: &PageRequest<K>) -> Page<T> {
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    if page.from_end {
        rows.reverse();
        Page {
            items: rows,
            has_next: page.before.is_some(),
            has_previous: more,
        }
    } else {
        Page {
            items: rows,
            has_next: more,
            has_previous: page.after.is_some(),
        }
    }
}
