//! The journey-map model: tenants, personas, channels, journeys, phases,
//! touchpoints, triggers and insights.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Personas {
    Table,
    TenantId,
    Id,
    Name,
    Description,
    Demographics,
    Goals,
    Frustrations,
    Motivations,
    PreferredChannels,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Channels {
    Table,
    TenantId,
    Id,
    Name,
    Kind,
    Description,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Journeys {
    Table,
    TenantId,
    Id,
    Name,
    Description,
    GoalStatement,
    GoalMetric,
    GoalTarget,
    GoalDeadline,
    State,
    Status,
    Template,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum JourneyPersonas {
    Table,
    TenantId,
    JourneyId,
    PersonaId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Phases {
    Table,
    TenantId,
    Id,
    JourneyId,
    Position,
    Name,
    Stage,
    Description,
    CustomerGoals,
    Questions,
    ExpectedEmotion,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Touchpoints {
    Table,
    TenantId,
    Id,
    JourneyId,
    PhaseId,
    ChannelId,
    Key,
    Name,
    Description,
    Owner,
    Goal,
    KpiName,
    KpiTarget,
    KpiUnit,
    Sentiment,
    IsConversion,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Triggers {
    Table,
    TenantId,
    Id,
    JourneyId,
    PhaseId,
    Name,
    Description,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Insights {
    Table,
    TenantId,
    Id,
    JourneyId,
    PhaseId,
    TouchpointId,
    Kind,
    Title,
    Description,
    Severity,
    Source,
    CreatedAt,
}

/// The primary key `(tenant_id, id)` every tenant-owned table has.
fn tenant_key<T: IntoIden + Clone + 'static>(table: T, tenant: T, id: T) -> IndexCreateStatement {
    Index::create()
        .name(format!("pk_{}", table.into_iden()))
        .col(tenant)
        .col(id)
        .to_owned()
}

/// The foreign key from a tenant-owned table to its tenant.
fn to_tenant<T: IntoIden + Clone + 'static>(table: T, tenant: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{}_tenant", table.clone().into_iden()))
        .from(table, tenant)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid(Tenants::Id).primary_key())
                    .col(string_len_uniq(Tenants::Slug, 63))
                    .col(string_len(Tenants::Name, 200))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Personas::Table)
                    .col(uuid(Personas::TenantId))
                    .col(uuid(Personas::Id))
                    .col(string_len(Personas::Name, 200))
                    .col(text_null(Personas::Description))
                    .col(json_binary(Personas::Demographics))
                    .col(json_binary(Personas::Goals))
                    .col(json_binary(Personas::Frustrations))
                    .col(json_binary(Personas::Motivations))
                    .col(json_binary(Personas::PreferredChannels))
                    .col(timestamp_with_time_zone(Personas::CreatedAt))
                    .col(timestamp_with_time_zone(Personas::UpdatedAt))
                    .primary_key(&mut tenant_key(
                        Personas::Table,
                        Personas::TenantId,
                        Personas::Id,
                    ))
                    .foreign_key(&mut to_tenant(Personas::Table, Personas::TenantId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(uuid(Channels::TenantId))
                    .col(uuid(Channels::Id))
                    .col(string_len(Channels::Name, 200))
                    .col(string_len(Channels::Kind, 32))
                    .col(text_null(Channels::Description))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .primary_key(&mut tenant_key(
                        Channels::Table,
                        Channels::TenantId,
                        Channels::Id,
                    ))
                    .foreign_key(&mut to_tenant(Channels::Table, Channels::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_channels_name")
                    .table(Channels::Table)
                    .col(Channels::TenantId)
                    .col(Channels::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Journeys::Table)
                    .col(uuid(Journeys::TenantId))
                    .col(uuid(Journeys::Id))
                    .col(string_len(Journeys::Name, 200))
                    .col(text_null(Journeys::Description))
                    .col(text_null(Journeys::GoalStatement))
                    .col(string_len_null(Journeys::GoalMetric, 200))
                    .col(double_null(Journeys::GoalTarget))
                    .col(date_null(Journeys::GoalDeadline))
                    .col(string_len(Journeys::State, 16))
                    .col(string_len(Journeys::Status, 16))
                    .col(string_len(Journeys::Template, 16))
                    .col(big_integer(Journeys::Version))
                    .col(timestamp_with_time_zone(Journeys::CreatedAt))
                    .col(timestamp_with_time_zone(Journeys::UpdatedAt))
                    .primary_key(&mut tenant_key(
                        Journeys::Table,
                        Journeys::TenantId,
                        Journeys::Id,
                    ))
                    .foreign_key(&mut to_tenant(Journeys::Table, Journeys::TenantId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JourneyPersonas::Table)
                    .col(uuid(JourneyPersonas::TenantId))
                    .col(uuid(JourneyPersonas::JourneyId))
                    .col(uuid(JourneyPersonas::PersonaId))
                    .col(timestamp_with_time_zone(JourneyPersonas::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_journey_personas")
                            .col(JourneyPersonas::TenantId)
                            .col(JourneyPersonas::JourneyId)
                            .col(JourneyPersonas::PersonaId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_journey_personas_journey")
                            .from(
                                JourneyPersonas::Table,
                                (JourneyPersonas::TenantId, JourneyPersonas::JourneyId),
                            )
                            .to(Journeys::Table, (Journeys::TenantId, Journeys::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_journey_personas_persona")
                            .from(
                                JourneyPersonas::Table,
                                (JourneyPersonas::TenantId, JourneyPersonas::PersonaId),
                            )
                            .to(Personas::Table, (Personas::TenantId, Personas::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_journey_personas_persona")
                    .table(JourneyPersonas::Table)
                    .col(JourneyPersonas::TenantId)
                    .col(JourneyPersonas::PersonaId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Phases::Table)
                    .col(uuid(Phases::TenantId))
                    .col(uuid(Phases::Id))
                    .col(uuid(Phases::JourneyId))
                    .col(integer(Phases::Position))
                    .col(string_len(Phases::Name, 200))
                    .col(string_len(Phases::Stage, 16))
                    .col(text_null(Phases::Description))
                    .col(json_binary(Phases::CustomerGoals))
                    .col(json_binary(Phases::Questions))
                    .col(string_len_null(Phases::ExpectedEmotion, 16))
                    .col(timestamp_with_time_zone(Phases::CreatedAt))
                    .primary_key(&mut tenant_key(Phases::Table, Phases::TenantId, Phases::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_phases_journey")
                            .from(Phases::Table, (Phases::TenantId, Phases::JourneyId))
                            .to(Journeys::Table, (Journeys::TenantId, Journeys::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Lets touchpoints, triggers and insights reference a phase *of their
        // own journey* through one foreign key.
        manager
            .create_index(
                Index::create()
                    .name("ux_phases_journey_id")
                    .table(Phases::Table)
                    .col(Phases::TenantId)
                    .col(Phases::JourneyId)
                    .col(Phases::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_phases_journey_position")
                    .table(Phases::Table)
                    .col(Phases::TenantId)
                    .col(Phases::JourneyId)
                    .col(Phases::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Touchpoints::Table)
                    .col(uuid(Touchpoints::TenantId))
                    .col(uuid(Touchpoints::Id))
                    .col(uuid(Touchpoints::JourneyId))
                    .col(uuid(Touchpoints::PhaseId))
                    .col(uuid(Touchpoints::ChannelId))
                    .col(string_len(Touchpoints::Key, 64))
                    .col(string_len(Touchpoints::Name, 200))
                    .col(text_null(Touchpoints::Description))
                    .col(string_len_null(Touchpoints::Owner, 200))
                    .col(text_null(Touchpoints::Goal))
                    .col(string_len_null(Touchpoints::KpiName, 200))
                    .col(double_null(Touchpoints::KpiTarget))
                    .col(string_len_null(Touchpoints::KpiUnit, 32))
                    .col(string_len_null(Touchpoints::Sentiment, 16))
                    .col(boolean(Touchpoints::IsConversion))
                    .col(integer(Touchpoints::Position))
                    .col(timestamp_with_time_zone(Touchpoints::CreatedAt))
                    .col(timestamp_with_time_zone(Touchpoints::UpdatedAt))
                    .primary_key(&mut tenant_key(
                        Touchpoints::Table,
                        Touchpoints::TenantId,
                        Touchpoints::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_touchpoints_journey")
                            .from(
                                Touchpoints::Table,
                                (Touchpoints::TenantId, Touchpoints::JourneyId),
                            )
                            .to(Journeys::Table, (Journeys::TenantId, Journeys::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_touchpoints_phase")
                            .from(
                                Touchpoints::Table,
                                (
                                    Touchpoints::TenantId,
                                    Touchpoints::JourneyId,
                                    Touchpoints::PhaseId,
                                ),
                            )
                            .to(
                                Phases::Table,
                                (Phases::TenantId, Phases::JourneyId, Phases::Id),
                            ),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_touchpoints_channel")
                            .from(
                                Touchpoints::Table,
                                (Touchpoints::TenantId, Touchpoints::ChannelId),
                            )
                            .to(Channels::Table, (Channels::TenantId, Channels::Id)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_touchpoints_key")
                    .table(Touchpoints::Table)
                    .col(Touchpoints::TenantId)
                    .col(Touchpoints::JourneyId)
                    .col(Touchpoints::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_touchpoints_journey_id")
                    .table(Touchpoints::Table)
                    .col(Touchpoints::TenantId)
                    .col(Touchpoints::JourneyId)
                    .col(Touchpoints::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_touchpoints_phase")
                    .table(Touchpoints::Table)
                    .col(Touchpoints::TenantId)
                    .col(Touchpoints::PhaseId)
                    .col(Touchpoints::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_touchpoints_channel")
                    .table(Touchpoints::Table)
                    .col(Touchpoints::TenantId)
                    .col(Touchpoints::ChannelId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Triggers::Table)
                    .col(uuid(Triggers::TenantId))
                    .col(uuid(Triggers::Id))
                    .col(uuid(Triggers::JourneyId))
                    .col(uuid_null(Triggers::PhaseId))
                    .col(string_len(Triggers::Name, 200))
                    .col(text_null(Triggers::Description))
                    .col(string_len(Triggers::Kind, 32))
                    .col(timestamp_with_time_zone(Triggers::CreatedAt))
                    .primary_key(&mut tenant_key(
                        Triggers::Table,
                        Triggers::TenantId,
                        Triggers::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_triggers_journey")
                            .from(Triggers::Table, (Triggers::TenantId, Triggers::JourneyId))
                            .to(Journeys::Table, (Journeys::TenantId, Journeys::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_triggers_phase")
                            .from(
                                Triggers::Table,
                                (Triggers::TenantId, Triggers::JourneyId, Triggers::PhaseId),
                            )
                            .to(
                                Phases::Table,
                                (Phases::TenantId, Phases::JourneyId, Phases::Id),
                            ),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_triggers_journey")
                    .table(Triggers::Table)
                    .col(Triggers::TenantId)
                    .col(Triggers::JourneyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Insights::Table)
                    .col(uuid(Insights::TenantId))
                    .col(uuid(Insights::Id))
                    .col(uuid(Insights::JourneyId))
                    .col(uuid_null(Insights::PhaseId))
                    .col(uuid_null(Insights::TouchpointId))
                    .col(string_len(Insights::Kind, 32))
                    .col(string_len(Insights::Title, 200))
                    .col(text_null(Insights::Description))
                    .col(string_len(Insights::Severity, 16))
                    .col(string_len_null(Insights::Source, 200))
                    .col(timestamp_with_time_zone(Insights::CreatedAt))
                    .primary_key(&mut tenant_key(
                        Insights::Table,
                        Insights::TenantId,
                        Insights::Id,
                    ))
                    .check(
                        Expr::col(Insights::PhaseId)
                            .is_null()
                            .or(Expr::col(Insights::TouchpointId).is_null()),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_insights_journey")
                            .from(Insights::Table, (Insights::TenantId, Insights::JourneyId))
                            .to(Journeys::Table, (Journeys::TenantId, Journeys::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_insights_phase")
                            .from(
                                Insights::Table,
                                (Insights::TenantId, Insights::JourneyId, Insights::PhaseId),
                            )
                            .to(
                                Phases::Table,
                                (Phases::TenantId, Phases::JourneyId, Phases::Id),
                            ),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_insights_touchpoint")
                            .from(
                                Insights::Table,
                                (
                                    Insights::TenantId,
                                    Insights::JourneyId,
                                    Insights::TouchpointId,
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
                    .name("ix_insights_journey")
                    .table(Insights::Table)
                    .col(Insights::TenantId)
                    .col(Insights::JourneyId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Insights::Table.into_iden(),
            Triggers::Table.into_iden(),
            Touchpoints::Table.into_iden(),
            Phases::Table.into_iden(),
            JourneyPersonas::Table.into_iden(),
            Journeys::Table.into_iden(),
            Channels::Table.into_iden(),
            Personas::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
