//! Funnel progress as one row per customer and journey (`journey_chains`)
//! instead of one row per reached phase (`journey_progress`).
//!
//! A chain that grows by a phase updates its row in place and leaves the
//! start index alone, so an ingest call writes a third of the index pages it
//! wrote before, and a funnel reads one row per entering customer. On SQLite
//! the table is clustered by its primary key (`WITHOUT ROWID`).
//!
//! Upgrading carries every stored chain over. Downgrading restores the old
//! table empty: run `journeyd rollups rebuild` after it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum JourneyChains {
    Table,
    TenantId,
    JourneyId,
    CustomerId,
    StartedAt,
    Chain,
}

#[derive(DeriveIden, Clone, Copy)]
enum JourneyProgress {
    Table,
    TenantId,
    JourneyId,
    CustomerId,
    Step,
    ReachedAt,
    StartedAt,
    PreviousAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = Table::create();
        table
            .table(JourneyChains::Table)
            .col(uuid(JourneyChains::TenantId))
            .col(uuid(JourneyChains::JourneyId))
            .col(uuid(JourneyChains::CustomerId))
            // t1, in microseconds since the epoch.
            .col(big_integer(JourneyChains::StartedAt))
            // t1, t2, ... tk in microseconds, comma-separated.
            .col(text(JourneyChains::Chain))
            .primary_key(
                Index::create()
                    .name("pk_journey_chains")
                    .col(JourneyChains::TenantId)
                    .col(JourneyChains::JourneyId)
                    .col(JourneyChains::CustomerId),
            );
        if backend == DbBackend::Sqlite {
            table.extra("WITHOUT ROWID");
        }
        manager.create_table(table.to_owned()).await?;
        let concat = match backend {
            DbBackend::Postgres => "string_agg(\"reached_at\"::text, ',' ORDER BY \"step\")",
            _ => "group_concat(\"reached_at\", ',' ORDER BY \"step\")",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO \"journey_chains\" \
                 (\"tenant_id\", \"journey_id\", \"customer_id\", \"started_at\", \"chain\") \
                 SELECT \"tenant_id\", \"journey_id\", \"customer_id\", MIN(\"started_at\"), {concat} \
                 FROM \"journey_progress\" \
                 GROUP BY \"tenant_id\", \"journey_id\", \"customer_id\""
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_journey_chains_start")
                    .table(JourneyChains::Table)
                    .col(JourneyChains::TenantId)
                    .col(JourneyChains::JourneyId)
                    .col(JourneyChains::StartedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(JourneyProgress::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JourneyProgress::Table)
                    .col(uuid(JourneyProgress::TenantId))
                    .col(uuid(JourneyProgress::JourneyId))
                    .col(uuid(JourneyProgress::CustomerId))
                    .col(small_integer(JourneyProgress::Step))
                    .col(big_integer(JourneyProgress::ReachedAt))
                    .col(big_integer(JourneyProgress::StartedAt))
                    .col(big_integer(JourneyProgress::PreviousAt))
                    .primary_key(
                        Index::create()
                            .name("pk_journey_progress")
                            .col(JourneyProgress::TenantId)
                            .col(JourneyProgress::JourneyId)
                            .col(JourneyProgress::CustomerId)
                            .col(JourneyProgress::Step),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_journey_progress_start")
                    .table(JourneyProgress::Table)
                    .col(JourneyProgress::TenantId)
                    .col(JourneyProgress::JourneyId)
                    .col(JourneyProgress::StartedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(JourneyChains::Table).to_owned())
            .await
    }
}
