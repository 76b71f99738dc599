//! journeyd's database schema, as sea-orm-migration migrations.
//!
//! Every tenant-owned table carries `tenant_id`, leads its primary key with
//! it, and points at other tables through foreign keys that include it, so a
//! row can never reference another tenant's row and the schema can be
//! distributed by tenant (e.g. on Citus) unchanged.

pub use m20261126_000003_map_epoch::MAP_TABLES;
use sea_orm_migration::prelude::*;
pub use sea_orm_migration::{MigrationStatus, MigratorTrait};

mod m20261124_000001_journey_map;
mod m20261125_000002_interactions;
mod m20261126_000003_map_epoch;
mod m20261127_000004_metrics_index;
mod m20261128_000005_journey_chains;
mod m20261129_000006_journey_windows;
mod m20261130_000007_chains_cover;
mod m20261201_000008_journey_conversions;
mod m20261204_000009_chain_distances;

/// Runs journeyd's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_journey_map::Migration),
            Box::new(m20261125_000002_interactions::Migration),
            Box::new(m20261126_000003_map_epoch::Migration),
            Box::new(m20261127_000004_metrics_index::Migration),
            Box::new(m20261128_000005_journey_chains::Migration),
            Box::new(m20261129_000006_journey_windows::Migration),
            Box::new(m20261130_000007_chains_cover::Migration),
            Box::new(m20261201_000008_journey_conversions::Migration),
            Box::new(m20261204_000009_chain_distances::Migration),
        ]
    }
}
