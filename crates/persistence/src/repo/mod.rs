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
    tenant_col: C,
    tenant: TenantId,
    id_col: C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Condition {
    Condition::all()
        .add(tenant_col.eq(tenant.uuid()))
        .add(id_col.is_in(ids))
}

/// The current time, truncated to microseconds so that what is stored equals
/// what is returned on both databases.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
