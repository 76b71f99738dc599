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

pub use database::{Backend, Database, DatabaseOptions, MigrationState, PoolStatus};
pub use error::StoreError;
pub use page::{Page, PageRequest};
pub use repo::customers::{Activity, CustomerKey, InteractionFilter, InteractionKey};
pub use repo::journeys::{JourneyFilter, JourneyKey, JourneyOrder};
pub use repo::metrics::{Chains, MetricEvent, MetricShape, RangeTallies};
pub use repo::personas::PersonaKey;
pub use repo::rollups::{ChainSnapshot, RebuildReport, RollupSnapshot, StatsCounters, StatsKey};
pub use repo::touchpoints::TouchpointUpsert;
pub use repo::windows::Windows;

/// The tenant-scoped repositories over one [`Database`].
#[derive(Clone)]
pub struct Store {
    db: Database,
    metrics_db: Option<Database>,
}

impl Store {
    /// Repositories over `db`.
    pub fn new(db: Database) -> Self {
        Self {
            db,
            metrics_db: None,
        }
    }

    /// Serves the metric queries (funnels, curves, series, ...) from
    /// `replica`, e.g. a read-only PostgreSQL streaming replica, so BI load
    /// stays off the primary. Metrics may then lag the primary by the
    /// replica's delay; everything else still reads and writes `db`.
    pub fn with_metrics_database(mut self, replica: Database) -> Self {
        self.metrics_db = Some(replica);
        self
    }

    /// The connection metric queries read.
    pub(crate) fn metrics_conn(&self) -> &sea_orm::DatabaseConnection {
        self.metrics_database().conn()
    }

    /// The pool metric queries read from.
    pub(crate) fn metrics_database(&self) -> &Database {
        self.metrics_db.as_ref().unwrap_or(&self.db)
    }

    /// The database underneath (for health checks and statistics).
    pub fn database(&self) -> &Database {
        &self.db
    }
}
