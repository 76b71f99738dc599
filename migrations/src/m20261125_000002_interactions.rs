//! Customers, their interactions, and the rollups derived from them:
//! daily statistics per touchpoint and persona, and each customer's funnel
//! progress per journey. Raw interactions are the source of truth; the
//! rollups can be rebuilt from them at any time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Personas {
    Table,
    TenantId,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Touchpoints {
    Table,
    TenantId,
    JourneyId,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    TenantId,
    Id,
    ExternalId,
    PersonaId,
    Attributes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    TenantId,
    ExternalId,
    CustomerId,
    JourneyId,
    TouchpointId,
    OccurredAt,
    Sentiment,
    Rating,
    Nps,
    ValueScaled,
    ValueCurrency,
    Properties,
    ContentHash,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InteractionStats {
    Table,
    TenantId,
    JourneyId,
    Day,
    TouchpointId,
    PersonaKey,
    Currency,
    Interactions,
    SentimentN,
    SentimentSum,
    SentimentPos,
    SentimentNeu,
    SentimentNeg,
    RatingN,
    RatingSum,
    RatingTop,
    NpsN,
    NpsPromoters,
    NpsDetractors,
    ValueSum,
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
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(uuid(Customers::TenantId))
                    .col(uuid(Customers::Id))
                    .col(string_len(Customers::ExternalId, 200))
                    .col(uuid_null(Customers::PersonaId))
                    .col(json_binary(Customers::Attributes))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_customers")
                            .col(Customers::TenantId)
                            .col(Customers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customers_tenant")
                            .from(Customers::Table, Customers::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customers_persona")
                            .from(
                                Customers::Table,
                                (Customers::TenantId, Customers::PersonaId),
                            )
                            .to(Personas::Table, (Personas::TenantId, Personas::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_customers_external_id")
                    .table(Customers::Table)
                    .col(Customers::TenantId)
                    .col(Customers::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_persona")
                    .table(Customers::Table)
                    .col(Customers::TenantId)
                    .col(Customers::PersonaId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Interactions::Table)
                    .col(uuid(Interactions::TenantId))
                    .col(string_len(Interactions::ExternalId, 200))
                    .col(uuid(Interactions::CustomerId))
                    .col(uuid(Interactions::JourneyId))
                    .col(uuid(Interactions::TouchpointId))
                    // Microseconds since the Unix epoch, UTC: exact and equal
                    // on both databases, cheap to compare and bucket.
                    .col(big_integer(Interactions::OccurredAt))
                    .col(small_integer_null(Interactions::Sentiment))
                    .col(small_integer_null(Interactions::Rating))
                    .col(small_integer_null(Interactions::Nps))
                    .col(big_integer_null(Interactions::ValueScaled))
                    .col(string_len_null(Interactions::ValueCurrency, 3))
                    .col(json_binary_null(Interactions::Properties))
                    .col(big_integer(Interactions::ContentHash))
                    .col(timestamp_with_time_zone(Interactions::RecordedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_interactions")
                            .col(Interactions::TenantId)
                            .col(Interactions::ExternalId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_interactions_customer")
                            .from(
                                Interactions::Table,
                                (Interactions::TenantId, Interactions::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_interactions_touchpoint")
                            .from(
                                Interactions::Table,
                                (
                                    Interactions::TenantId,
                                    Interactions::JourneyId,
                                    Interactions::TouchpointId,
                                ),
                            )
                            .to(
                                Touchpoints::Table,
                                (
                                    Touchpoints::TenantId,
                                    Touchpoints::JourneyId,
                                    Touchpoints::Id,
                                ),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_interactions_journey_time")
                    .table(Interactions::Table)
                    .col(Interactions::TenantId)
                    .col(Interactions::JourneyId)
                    .col(Interactions::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_interactions_customer_time")
                    .table(Interactions::Table)
                    .col(Interactions::TenantId)
                    .col(Interactions::CustomerId)
                    .col(Interactions::OccurredAt)
                    .to_owned(),
            )
            .await?;

        let counter = |column: InteractionStats| big_integer(column).default(0).to_owned();
        manager
            .create_table(
                Table::create()
                    .table(InteractionStats::Table)
                    .col(uuid(InteractionStats::TenantId))
                    .col(uuid(InteractionStats::JourneyId))
                    // Days since the Unix epoch (UTC).
                    .col(integer(InteractionStats::Day))
                    .col(uuid(InteractionStats::TouchpointId))
                    // The customer's persona; the nil UUID for none (a key
                    // column cannot be NULL and stay unique).
                    .col(uuid(InteractionStats::PersonaKey))
                    // The value's currency; empty for interactions without value.
                    .col(string_len(InteractionStats::Currency, 3))
                    .col(counter(InteractionStats::Interactions))
                    .col(counter(InteractionStats::SentimentN))
                    .col(counter(InteractionStats::SentimentSum))
                    .col(counter(InteractionStats::SentimentPos))
                    .col(counter(InteractionStats::SentimentNeu))
                    .col(counter(InteractionStats::SentimentNeg))
                    .col(counter(InteractionStats::RatingN))
                    .col(counter(InteractionStats::RatingSum))
                    .col(counter(InteractionStats::RatingTop))
                    .col(counter(InteractionStats::NpsN))
                    .col(counter(InteractionStats::NpsPromoters))
                    .col(counter(InteractionStats::NpsDetractors))
                    .col(counter(InteractionStats::ValueSum))
                    .primary_key(
                        Index::create()
                            .name("pk_interaction_stats")
                            .col(InteractionStats::TenantId)
                            .col(InteractionStats::JourneyId)
                            .col(InteractionStats::Day)
                            .col(InteractionStats::TouchpointId)
                            .col(InteractionStats::PersonaKey)
                            .col(InteractionStats::Currency),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JourneyProgress::Table)
                    .col(uuid(JourneyProgress::TenantId))
                    .col(uuid(JourneyProgress::JourneyId))
                    .col(uuid(JourneyProgress::CustomerId))
                    // The phase position (0 = the first phase).
                    .col(small_integer(JourneyProgress::Step))
                    // tk, t1 and t(k-1), in microseconds since the epoch.
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JourneyProgress::Table.into_iden(),
            InteractionStats::Table.into_iden(),
            Interactions::Table.into_iden(),
            Customers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
