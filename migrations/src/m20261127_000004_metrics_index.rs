//! The index the metric queries scan by journey and time also holds the
//! customer and the touchpoint, so counting customers in a range and finding
//! conversions read the index alone instead of visiting every row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    TenantId,
    JourneyId,
    OccurredAt,
    CustomerId,
    TouchpointId,
}

const OLD: &str = "ix_interactions_journey_time";
const NEW: &str = "ix_interactions_journey_time_customer";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NEW)
                    .table(Interactions::Table)
                    .col(Interactions::TenantId)
                    .col(Interactions::JourneyId)
                    .col(Interactions::OccurredAt)
                    .col(Interactions::CustomerId)
                    .col(Interactions::TouchpointId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(OLD)
                    .table(Interactions::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table(Interactions::Table)
                    .col(Interactions::TenantId)
                    .col(Interactions::JourneyId)
                    .col(Interactions::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(NEW)
                    .table(Interactions::Table)
                    .to_owned(),
            )
            .await
    }
}
