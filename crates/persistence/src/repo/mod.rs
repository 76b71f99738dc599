//! Tenant-scoped repositories, one module per aggregate, each an `impl Store`.

pub mod channels;
pub mod customers;
pub mod ingest;
pub mod insights;
pub mod journeys;
mod ordering;
pub mod personas;
pub mod phases;
pub mod rollups;
pub mod tenants;
pub mod touchpoints;
pub mod triggers;

use journeyd_domain::TenantId;
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

/// `tenant_col = tenant AND id_col IN ids`: the filter of every batch load.
pub(crate) fn tenant_and_in<C: ColumnTrait>(
    conn: &impl sea_orm::ConnectionTrait,
    tenant_col: C,
    tenant: TenantId,
    id_col: C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Condition {
    Condition::all()
        .add(tenant_col.eq(tenant.uuid()))
        .add(any_of(conn, id_col, ids))
}

/// The current time, truncated to microseconds so that what is stored equals
/// what is returned on both databases.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// `column IN values`, written so each database plans it well. On
/// PostgreSQL: `column IN (SELECT UNNEST($1))` with one array parameter, so
/// the statement text is the same for any number of values (one prepared
/// statement, one cached plan) and the planner joins (hash or index probes)
/// instead of testing every row against a long list, even before the
/// table has statistics. On SQLite: a plain IN list, which it turns into an
/// index lookup per value.
pub(crate) fn any_of<C, V>(
    conn: &impl sea_orm::ConnectionTrait,
    column: C,
    values: impl IntoIterator<Item = V>,
) -> sea_orm::sea_query::Expr
where
    C: ColumnTrait,
    V: Into<sea_orm::Value> + sea_orm::sea_query::ValueType,
{
    use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
    let values: Vec<sea_orm::Value> = values.into_iter().map(Into::into).collect();
    match conn.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let array = sea_orm::Value::Array(V::array_type(), Some(Box::new(values)));
            let unnest = Query::select()
                .expr(Func::cust("UNNEST").arg(Expr::val(array)))
                .to_owned();
            Expr::col(column).in_subquery(unnest)
        }
        _ => Expr::col(column).is_in(values),
    }
}
