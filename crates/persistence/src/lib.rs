//! journeyd's storage: SeaORM entities behind tenant-scoped repositories.
//!
//! Every repository method takes the tenant as its first argument, so a query
//! that forgets the tenant cannot be written. ORM types stay inside this
//! crate; callers see domain types, [`Page`]s and [`StoreError`]s.

mod convert;
mod database;
mod entity;
mod error;
mod page;
mod repo;

#[cfg(feature = "testing")]
pub mod testing;

pub use database::{Backend, Database, DatabaseOptions, MigrationState};
pub use error::StoreError;
pub use page::{Page, PageRequest};
pub use repo::customers::{Activity, CustomerKey, InteractionFilter, InteractionKey};
pub use repo::journeys::{JourneyFilter, JourneyKey, JourneyOrder};
pub use repo::metrics::{MetricEvent, MetricShape, RangeTallies};
pub use repo::personas::PersonaKey;
pub use repo::rollups::{RebuildReport, RollupSnapshot, StatsCounters, StatsKey};
pub use repo::touchpoints::TouchpointUpsert;

/// The tenant-scoped repositories over one [`Database`].
#[derive(Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Repositories over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The database underneath (for health checks and statistics).
    pub fn database(&self) -> &Database {
        &self.db
    }
}
