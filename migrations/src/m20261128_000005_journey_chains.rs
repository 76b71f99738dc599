//! Funnel progress as one row per customer and journey (`journey_chains`)
//! instead of one row per reached phase (`journey_progress`). The row also
//! holds the customer's first two interactions at conversion touchpoints,
//! which the summary's repeat rate is counted from.
//!
//! A chain that grows by a phase updates its row in place and leaves the
//! start index alone, so an ingest call writes a third of the index pages it
//! wrote before, and a funnel reads one row per entering customer. On SQLite
//! the table is clustered by its primary key (`WITHOUT ROWID`).
//!
//! Upgrading carries every stored chain over and computes the conversions
//! from the interactions. Downgrading restores the old table empty: run
//! `journeyd rollups rebuild` after it.

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
    FirstConversionAt,
    SecondConversionAt,
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
            // t1, in microseconds since the epoch (none: the customer has
            // not reached the first phase).
            .col(big_integer_null(JourneyChains::StartedAt))
            // t1, t2, ... tk in microseconds, comma-separated (or empty).
            .col(text(JourneyChains::Chain))
            // The earliest and second-earliest interaction at a conversion
            // touchpoint (ties count twice).
            .col(big_integer_null(JourneyChains::FirstConversionAt))
            .col(big_integer_null(JourneyChains::SecondConversionAt))
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
        // The two earliest conversions of every customer and journey.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO \"journey_chains\" (\"tenant_id\", \"journey_id\", \"customer_id\", \
                 \"chain\", \"first_conversion_at\", \"second_conversion_at\") \
                 SELECT \"tenant_id\", \"journey_id\", \"customer_id\", '', \
                 MAX(CASE WHEN \"n\" = 1 THEN \"occurred_at\" END), \
                 MAX(CASE WHEN \"n\" = 2 THEN \"occurred_at\" END) \
                 FROM (SELECT \"i\".\"tenant_id\", \"i\".\"journey_id\", \"i\".\"customer_id\", \
                 \"i\".\"occurred_at\", ROW_NUMBER() OVER (PARTITION BY \"i\".\"tenant_id\", \
                 \"i\".\"journey_id\", \"i\".\"customer_id\" ORDER BY \"i\".\"occurred_at\") AS \"n\" \
                 FROM \"interactions\" AS \"i\" JOIN \"touchpoints\" AS \"t\" \
                 ON \"t\".\"tenant_id\" = \"i\".\"tenant_id\" AND \"t\".\"id\" = \"i\".\"touchpoint_id\" \
                 WHERE \"t\".\"is_conversion\") AS \"c\" \
                 WHERE \"n\" <= 2 \
                 GROUP BY \"tenant_id\", \"journey_id\", \"customer_id\" \
                 ON CONFLICT (\"tenant_id\", \"journey_id\", \"customer_id\") DO UPDATE SET \
                 \"first_conversion_at\" = excluded.\"first_conversion_at\", \
                 \"second_conversion_at\" = excluded.\"second_conversion_at\"",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_journey_chains_conversion")
                    .table(JourneyChains::Table)
                    .col(JourneyChains::TenantId)
                    .col(JourneyChains::JourneyId)
                    .col(JourneyChains::FirstConversionAt)
                    .col(JourneyChains::SecondConversionAt)
                    // Only customers who converted: most chains never enter it.
                    .and_where(Expr::col(JourneyChains::FirstConversionAt).is_not_null())
                    .to_owned(),
            )
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
