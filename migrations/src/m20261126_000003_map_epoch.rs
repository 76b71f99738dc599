//! A per-tenant epoch of the journey-map data: `map_epochs.epoch` grows in
//! the same transaction as every insert, update or delete of the tables a
//! journey map is read from (database triggers, so no write path can forget
//! it). Cached reads of the map are valid exactly while the epoch they were
//! read at is still current — on every replica, because each checks the
//! epoch in the database. The epoch has a table of its own, keyed by
//! `tenant_id` like every tenant-owned table, so it distributes by tenant
//! with the rest (the `tenants` table stays a reference table).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum MapEpochs {
    Table,
    TenantId,
    Epoch,
}

/// The tables the journey-map query reads.
pub const MAP_TABLES: [&str; 8] = [
    "journeys",
    "phases",
    "touchpoints",
    "channels",
    "personas",
    "journey_personas",
    "triggers",
    "insights",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table(MapEpochs::Table)
                    .col(
                        ColumnDef::new(MapEpochs::TenantId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MapEpochs::Epoch).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_map_epochs_tenant")
                            .from(MapEpochs::Table, MapEpochs::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION journeyd_bump_map_epoch() RETURNS trigger AS $$
                     BEGIN
                         INSERT INTO map_epochs (tenant_id, epoch)
                         VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END, 1)
                         ON CONFLICT (tenant_id) DO UPDATE SET epoch = map_epochs.epoch + 1;
                         RETURN NULL;
                     END
                     $$ LANGUAGE plpgsql",
                )
                .await?;
                for table in MAP_TABLES {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_map_epoch AFTER INSERT OR UPDATE OR DELETE ON {table} \
                         FOR EACH ROW EXECUTE FUNCTION journeyd_bump_map_epoch()"
                    ))
                    .await?;
                }
            }
            _ => {
                for table in MAP_TABLES {
                    for (event, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_map_epoch_{} AFTER {event} ON {table} \
                             BEGIN INSERT INTO map_epochs (tenant_id, epoch) VALUES ({row}.tenant_id, 1) \
                             ON CONFLICT (tenant_id) DO UPDATE SET epoch = epoch + 1; END",
                            event.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for table in MAP_TABLES {
                    db.execute_unprepared(&format!("DROP TRIGGER {table}_map_epoch ON {table}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION journeyd_bump_map_epoch()")
                    .await?;
            }
            _ => {
                for table in MAP_TABLES {
                    for event in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER {table}_map_epoch_{event}"))
                            .await?;
                    }
                }
            }
        }
        manager
            .drop_table(Table::drop().table(MapEpochs::Table).to_owned())
            .await?;
        Ok(())
    }
}
