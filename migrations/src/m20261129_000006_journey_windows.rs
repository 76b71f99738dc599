//! The `journey_windows` rollup, from which the summary counts the customers
//! and bounced customers of a whole-day range without reading its
//! interactions.
//!
//! Take each customer's interactions in a journey in time order. A *pair*
//! is two consecutive ones, a *triple* three. For a range `[F, T)` in which
//! a customer has k ≥ 1 interactions (consecutive in their own timeline),
//! the pairs and triples lying wholly in the range number k − 1 and
//! k − 2 (none when k = 1), so over all customers
//!
//! - customers = interactions − pairs, and
//! - bounced customers (exactly one interaction) = interactions − 2·pairs + triples.
//!
//! A window lies in `[F, T)` when its first interaction is at or after F and
//! its last before T; for whole days, when its first day ≥ F's and its last
//! day < T's. A row holds, for one journey, persona and *last* day, how many
//! pairs and triples end that day, by lag (last day − first day): a range
//! of whole days sums, over the rows of its days d, the counts with lag ≤
//! d − F. An in-order ingest call touches only the rows of the days its
//! events fall on.
//!
//! Ingest reads each customer's last two interactions in the journey (where
//! the windows of their new interactions start), so the customer index of
//! `interactions` gains the journey after the time: the probe then reads
//! the index alone, the customer's interactions stay in time order.
//!
//! Upgrading computes the rows from the stored interactions; downgrading
//! drops the table and restores the index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    TenantId,
    CustomerId,
    OccurredAt,
    JourneyId,
}

/// The customer index before and after this migration.
const OLD_CUSTOMER_INDEX: &str = "ix_interactions_customer_time";
const NEW_CUSTOMER_INDEX: &str = "ix_interactions_customer_time_journey";

/// Replaces the customer index of `interactions` with the one with (or
/// without) the journey. Under a new name, so neither waits for the other's
/// name on SQLite, whose migrations run statement by statement.
async fn replace_customer_index(
    manager: &SchemaManager<'_>,
    with_journey: bool,
) -> Result<(), DbErr> {
    let (old, new) = match with_journey {
        true => (OLD_CUSTOMER_INDEX, NEW_CUSTOMER_INDEX),
        false => (NEW_CUSTOMER_INDEX, OLD_CUSTOMER_INDEX),
    };
    let mut index = Index::create();
    index
        .name(new)
        .table(Interactions::Table)
        .col(Interactions::TenantId)
        .col(Interactions::CustomerId)
        .col(Interactions::OccurredAt);
    if with_journey {
        index.col(Interactions::JourneyId);
    }
    manager.create_index(index.to_owned()).await?;
    manager
        .drop_index(
            Index::drop()
                .name(old)
                .table(Interactions::Table)
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden, Clone, Copy)]
enum JourneyWindows {
    Table,
    TenantId,
    JourneyId,
    Day,
    PersonaKey,
    Pairs,
    Triples,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = Table::create();
        table
            .table(JourneyWindows::Table)
            .col(uuid(JourneyWindows::TenantId))
            .col(uuid(JourneyWindows::JourneyId))
            // The last interaction's day: days since the epoch, UTC.
            .col(big_integer(JourneyWindows::Day))
            // The customer's persona, or the nil UUID for none (as in
            // `interaction_stats`).
            .col(uuid(JourneyWindows::PersonaKey))
            // `lag:count` by ascending lag, comma-separated; counts above 0.
            .col(text(JourneyWindows::Pairs))
            .col(text(JourneyWindows::Triples))
            .primary_key(
                Index::create()
                    .name("pk_journey_windows")
                    .col(JourneyWindows::TenantId)
                    .col(JourneyWindows::JourneyId)
                    .col(JourneyWindows::Day)
                    .col(JourneyWindows::PersonaKey),
            );
        if backend == DbBackend::Sqlite {
            table.extra("WITHOUT ROWID");
        }
        manager.create_table(table.to_owned()).await?;
        let (nil, concat_pairs, concat_triples) = match backend {
            DbBackend::Postgres => (
                "'00000000-0000-0000-0000-000000000000'::uuid",
                "COALESCE(string_agg(\"lag\"::text || ':' || \"pairs\"::text, ',' ORDER BY \"lag\") FILTER (WHERE \"pairs\" > 0), '')",
                "COALESCE(string_agg(\"lag\"::text || ':' || \"triples\"::text, ',' ORDER BY \"lag\") FILTER (WHERE \"triples\" > 0), '')",
            ),
            _ => (
                "zeroblob(16)",
                "COALESCE(group_concat(CASE WHEN \"pairs\" > 0 THEN \"lag\" || ':' || \"pairs\" END, ',' ORDER BY \"lag\"), '')",
                "COALESCE(group_concat(CASE WHEN \"triples\" > 0 THEN \"lag\" || ':' || \"triples\" END, ',' ORDER BY \"lag\"), '')",
            ),
        };
        // Days by floor division, also before 1970.
        let day = |at: &str| {
            format!("(({at} - ((({at} % 86400000000) + 86400000000) % 86400000000)) / 86400000000)")
        };
        let sql = format!(
            "INSERT INTO \"journey_windows\" (\"tenant_id\", \"journey_id\", \"day\", \"persona_key\", \"pairs\", \"triples\") \
             SELECT \"tenant_id\", \"journey_id\", \"day\", \"persona_key\", {concat_pairs}, {concat_triples} \
             FROM (SELECT \"tenant_id\", \"journey_id\", \"day\", \"persona_key\", \"lag\", \
                   SUM(\"p\") AS \"pairs\", SUM(\"t\") AS \"triples\" \
                   FROM (SELECT \"tenant_id\", \"journey_id\", \"day\", \"persona_key\", \"day\" - \"d1\" AS \"lag\", 1 AS \"p\", 0 AS \"t\" \
                         FROM \"w\" WHERE \"d1\" IS NOT NULL \
                         UNION ALL \
                         SELECT \"tenant_id\", \"journey_id\", \"day\", \"persona_key\", \"day\" - \"d2\", 0, 1 \
                         FROM \"w\" WHERE \"d2\" IS NOT NULL) AS \"windows\" \
                   GROUP BY \"tenant_id\", \"journey_id\", \"day\", \"persona_key\", \"lag\") AS \"lags\" \
             GROUP BY \"tenant_id\", \"journey_id\", \"day\", \"persona_key\"",
        );
        let with = format!(
            "WITH \"w\" AS (SELECT \"i\".\"tenant_id\", \"i\".\"journey_id\", \
             COALESCE(\"c\".\"persona_id\", {nil}) AS \"persona_key\", {d} AS \"day\", \
             LAG({d}, 1) OVER \"ordered\" AS \"d1\", LAG({d}, 2) OVER \"ordered\" AS \"d2\" \
             FROM \"interactions\" AS \"i\" JOIN \"customers\" AS \"c\" \
             ON \"c\".\"tenant_id\" = \"i\".\"tenant_id\" AND \"c\".\"id\" = \"i\".\"customer_id\" \
             WINDOW \"ordered\" AS (PARTITION BY \"i\".\"tenant_id\", \"i\".\"journey_id\", \"i\".\"customer_id\" \
             ORDER BY \"i\".\"occurred_at\")) ",
            d = day("\"i\".\"occurred_at\""),
        );
        manager
            .get_connection()
            .execute_unprepared(&format!("{with}{sql}"))
            .await?;
        replace_customer_index(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace_customer_index(manager, false).await?;
        manager
            .drop_table(Table::drop().table(JourneyWindows::Table).to_owned())
            .await
    }
}
