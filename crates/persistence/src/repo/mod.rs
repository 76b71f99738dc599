//! Tenant-scoped repositories, one module per aggregate, each an `impl Store`.

mod bulk;
pub mod channels;
pub(crate) mod conversions;
pub mod customers;
pub mod ingest;
pub mod insights;
pub mod journeys;
pub mod metrics;
mod ordering;
pub mod personas;
pub mod phases;
pub mod rollups;
pub mod tenants;
pub mod touchpoints;
pub mod triggers;
pub mod windows;

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

/// `column IN values`, written so each database runs it well with one bound
/// parameter, whatever the number of values: the statement text stays the
/// same (one prepared statement, one cached plan).
///
/// On PostgreSQL: `column IN (SELECT UNNEST($1))` with an array, which the
/// planner joins (hash or index probes) instead of testing every row against
/// a long list, even before the table has statistics. On SQLite: the values
/// as a JSON array read by `json_each` (UUIDs, which SQLite stores as blobs,
/// as hex text turned back into blobs).
pub(crate) fn any_of<C, V>(
    conn: &impl sea_orm::ConnectionTrait,
    column: C,
    values: impl IntoIterator<Item = V>,
) -> sea_orm::sea_query::Expr
where
    C: ColumnTrait,
    V: Into<sea_orm::Value> + sea_orm::sea_query::ValueType,
{
    use sea_orm::Value;
    use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
    let values: Vec<Value> = values.into_iter().map(Into::into).collect();
    match conn.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let array = Value::Array(V::array_type(), Some(Box::new(values)));
            let unnest = Query::select()
                .expr(Func::cust("UNNEST").arg(Expr::val(array)))
                .to_owned();
            Expr::col(column).in_subquery(unnest)
        }
        _ => {
            let mut uuids = false;
            let items: Vec<serde_json::Value> = values
                .into_iter()
                .map(|value| match value {
                    Value::Uuid(Some(u)) => {
                        uuids = true;
                        serde_json::Value::String(u.simple().to_string())
                    }
                    Value::String(Some(s)) => serde_json::Value::String(s),
                    Value::Int(Some(i)) => i.into(),
                    Value::BigInt(Some(i)) => i.into(),
                    Value::SmallInt(Some(i)) => i.into(),
                    _ => serde_json::Value::Null,
                })
                .collect();
            let element = if uuids { "unhex(value)" } else { "value" };
            let sql = format!(
                "\"{}\" IN (SELECT {element} FROM json_each(?))",
                column.as_str()
            );
            Expr::cust_with_values(sql, [serde_json::Value::Array(items).to_string()])
        }
    }
}
