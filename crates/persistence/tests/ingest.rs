//! Interaction ingest on a real database: idempotency, per-item outcomes,
//! concurrency, rollups equal to a rebuild, forgetting a customer.

use chrono::{DateTime, Duration, Utc};
use journeyd_domain::interaction::DEFAULT_FUTURE_SKEW;
use journeyd_domain::*;
use journeyd_persistence::testing::{TestBackend, TestDatabase};
use journeyd_persistence::{Backend, Store, StoreError, on_both_databases};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct Fixture {
    store: Store,
    tenant: TenantId,
    journey: JourneyId,
    touchpoints: Vec<TouchpointId>,
    personas: Vec<PersonaId>,
    db: TestDatabase,
}

fn name(text: &str) -> Name {
    Name::parse("name", text).unwrap()
}

async fn setup(backend: TestBackend) -> Option<Fixture> {
    let db = TestDatabase::create(backend).await?;
    let store = Store::new(db.database.clone());
    let seeded = store
        .seed_journey("acme", JourneyTemplate::FourStep, 2, Some(2))
        .await
        .unwrap();
    let (tenant, journey, touchpoints) = (seeded.tenant, seeded.journey, seeded.touchpoints);
    let mut personas = Vec::new();
    for p in ["Starter", "Loyal"] {
        let persona = store
            .create_persona(
                tenant,
                NewPersona {
                    name: name(p),
                    description: None,
                    demographics: vec![],
                    goals: vec![],
                    frustrations: vec![],
                    motivations: vec![],
                    preferred_channels: vec![],
                },
            )
            .await
            .unwrap();
        personas.push(persona.id);
    }
    Some(Fixture {
        store,
        tenant,
        journey,
        touchpoints,
        personas,
        db,
    })
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// An interaction `id` of `customer` at `touchpoint`, `minutes` after a fixed start.
fn event(
    id: &str,
    customer: &str,
    touchpoint: TouchpointId,
    minutes: i64,
    sentiment: Option<i64>,
) -> NewInteraction {
    let at = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(minutes);
    let at = at.to_rfc3339();
    let draft = InteractionDraft {
        external_id: id,
        customer,
        occurred_at: &at,
        sentiment,
        rating: sentiment.map(|s| s + 3),
        nps: sentiment.map(|s| (s * 2 + 6).clamp(0, 10)),
        value: (minutes % 3 == 0)
            .then_some(("12.50", if minutes % 2 == 0 { "EUR" } else { "USD" })),
        properties: None,
    };
    NewInteraction::validate(
        &draft,
        TouchpointRef::Id(touchpoint),
        now(),
        DEFAULT_FUTURE_SKEW,
    )
    .unwrap()
}

async fn try_record(
    f: &Fixture,
    items: Vec<NewInteraction>,
) -> Result<Vec<ItemOutcome>, StoreError> {
    f.store
        .record_interactions(f.tenant, items.into_iter().map(Ok).collect())
        .await
}

async fn record(f: &Fixture, items: Vec<NewInteraction>) -> Vec<ItemOutcome> {
    try_record(f, items).await.unwrap()
}

/// Interactions counted in the stats rollup.
async fn counted_interactions(f: &Fixture) -> i64 {
    f.store
        .rollup_snapshot(f.tenant)
        .await
        .unwrap()
        .interactions()
}

async fn assert_rollups_match_rebuild(f: &Fixture) {
    let incremental = f.store.rollup_snapshot(f.tenant).await.unwrap();
    f.store.rebuild_rollups(f.tenant).await.unwrap();
    let rebuilt = f.store.rollup_snapshot(f.tenant).await.unwrap();
    assert_eq!(incremental.stats.len(), rebuilt.stats.len(), "stats rows");
    assert_eq!(
        incremental, rebuilt,
        "incremental rollups must equal the rebuild"
    );
}

on_both_databases!(setup =>
    the_same_batch_twice_stores_nothing_new,
    a_mixed_batch_stores_exactly_the_valid_items,
    concurrent_overlapping_writers_store_each_event_once,
    concurrent_writers_creating_the_same_customers_all_succeed,
    rebuilds_deletions_and_persona_changes_while_ingesting_keep_the_rollups_exact,
    random_batches_keep_rollups_equal_to_a_rebuild,
    batches_over_two_journeys_keep_rollups_equal_to_a_rebuild,
    forgetting_a_customer_leaves_no_trace,
    moving_a_touchpoint_to_another_phase_moves_the_funnel,
    ingest_waits_for_a_journey_held_by_a_structure_change,
    forgetting_a_customer_waits_for_a_journey_held_by_a_structure_change,
    upgrading_carries_the_funnel_chains_over,
    a_call_waiting_for_a_customer_sees_the_calls_before_it,
    entering_chains_are_read_once_each_whatever_the_parts,
);

/// A funnel reads its entering customers' chains in parts at once on
/// PostgreSQL, one per core (40 minutes in two parts are cut at minute 20,
/// in four at 10, 20 and 30): a customer who entered where one part ends
/// and the next begins is read once, one at the range's end not at all.
async fn entering_chains_are_read_once_each_whatever_the_parts(f: Fixture) {
    let minutes = [0, 9, 10, 19, 20, 21, 29, 30, 39, 40];
    // Each customer reaches the second phase m + 1 minutes after entering
    // at minute m, so their chain tells who they are.
    let batch = minutes
        .iter()
        .flat_map(|m| {
            [
                event(
                    &format!("e{m}"),
                    &format!("c{m}"),
                    f.touchpoints[0],
                    *m,
                    None,
                ),
                event(
                    &format!("e{m}-next"),
                    &format!("c{m}"),
                    f.touchpoints[2],
                    2 * m + 1,
                    None,
                ),
            ]
        })
        .collect();
    record(&f, batch).await;
    let minute = 60_000_000;
    let base = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .timestamp_micros();
    let range = journeyd_domain::metrics::TimeRange::new(base, base + 40 * minute).unwrap();
    let chains = f
        .store
        .entering_chains(f.tenant, f.journey, range, None)
        .await
        .unwrap();
    // Counted from the start.
    let mut entered: Vec<i64> = chains
        .iter()
        .map(|chain| {
            assert_eq!(chain.len(), 2);
            assert_eq!(chain[0], 0);
            chain[1] / minute - 1
        })
        .collect();
    entered.sort_unstable();
    assert_eq!(entered, [0, 9, 10, 19, 20, 21, 29, 30, 39]);
    let mut customers: Vec<i64> = f
        .store
        .entering_customers(f.tenant, f.journey, range, None)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, t1)| (t1 - base) / minute)
        .collect();
    customers.sort_unstable();
    assert_eq!(customers, entered);
}

/// SQLite checkpoints in the background; closing the pool stops that task
/// first, so the pool's last connection checkpoints the whole WAL into the
/// database file and removes it: a stopped service leaves one file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_sqlite_pool_leaves_no_wal_behind() {
    let f = setup(TestBackend::Sqlite).await.unwrap();
    record(&f, vec![event("e0", "a", f.touchpoints[0], 0, Some(1))]).await;
    let path =
        f.db.url
            .strip_prefix("sqlite://")
            .and_then(|rest| rest.split('?').next())
            .unwrap()
            .to_owned();
    let wal = format!("{path}-wal");
    assert!(std::path::Path::new(&wal).exists(), "WAL mode writes {wal}");
    f.db.database.close().await.unwrap();
    assert!(!std::path::Path::new(&wal).exists(), "{wal} is left behind");
    let reopened = Store::new(
        journeyd_persistence::Database::connect(&f.db.url, &Default::default())
            .await
            .unwrap(),
    );
    let snapshot = reopened.rollup_snapshot(f.tenant).await.unwrap();
    assert_eq!(
        snapshot.stats.len(),
        1,
        "the interaction is in the database file"
    );
}

/// A SQLite call that waits for another process's write (an import, a
/// rollup rebuild) longer than the busy timeout fails as unavailable (503
/// with `Retry-After` for the client), not as an internal error, and
/// stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_sqlite_database_is_unavailable() {
    let f = setup(TestBackend::Sqlite).await.unwrap();
    let options = journeyd_persistence::DatabaseOptions {
        busy_timeout: std::time::Duration::from_millis(100),
        ..Default::default()
    };
    let other_process = Store::new(
        journeyd_persistence::Database::connect(&f.db.url, &options)
            .await
            .unwrap(),
    );
    let writer = f.db.begin().await;
    let items = vec![Ok(event("e1", "a", f.touchpoints[0], 0, None))];
    let result = other_process.record_interactions(f.tenant, items).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "expected unavailable, got {result:?}"
    );
    drop(writer);
    let snapshot = f.store.rollup_snapshot(f.tenant).await.unwrap();
    assert!(snapshot.stats.is_empty(), "nothing of the call was stored");
}

/// Creates customer `external_id` in the test's own transaction `txn`
/// (uncommitted until the test commits it).
async fn create_customer_in(
    txn: &sea_orm::DatabaseTransaction,
    tenant: TenantId,
    external_id: &str,
) {
    use sea_orm::ConnectionTrait;
    txn.execute_unprepared(&format!(
        "INSERT INTO customers (tenant_id, id, external_id, attributes, created_at, updated_at) \
         VALUES ('{}', '{}', '{external_id}', '{{}}', now(), now())",
        tenant.uuid(),
        uuid::Uuid::now_v7()
    ))
    .await
    .unwrap();
}

/// A call that meets another transaction in a deadlock on the customers'
/// rows is aborted by PostgreSQL and runs again, instead of failing. The
/// other transaction creates customer `b` and keeps it uncommitted; the call
/// locks customer `a` (in external-id order), then waits to create `b` as
/// well; the other transaction then asks for `a`, out of that order.
/// PostgreSQL aborts the call (its deadlock check runs first: the other
/// transaction waits 10 s before checking), the other transaction commits,
/// and the call's second run stores everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_aborted_by_a_deadlock_runs_again() {
    use sea_orm::ConnectionTrait;
    let Some(f) = setup(TestBackend::Postgres).await else {
        return;
    };
    record(&f, vec![event("e0", "a", f.touchpoints[0], 0, None)]).await;
    let other = f.db.begin().await;
    let tenant = f.tenant.uuid();
    other
        .execute_unprepared("SET LOCAL deadlock_timeout = '10s'")
        .await
        .unwrap();
    create_customer_in(&other, f.tenant, "b").await;
    let f = std::sync::Arc::new(f);
    let call = {
        let f = f.clone();
        tokio::spawn(async move {
            let items = vec![
                event("e1", "a", f.touchpoints[1], 10, Some(1)),
                event("e2", "b", f.touchpoints[0], 20, Some(-1)),
            ];
            try_record(&f, items).await
        })
    };
    // Let the call lock `a` and start waiting for `b`.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other
        .execute_unprepared(&format!(
            "SELECT id FROM customers WHERE tenant_id = '{tenant}' AND external_id = 'a' FOR UPDATE"
        ))
        .await
        .unwrap();
    other.commit().await.unwrap();
    let outcomes = call
        .await
        .unwrap()
        .expect("the call succeeds on its second run");
    assert_eq!(outcomes, [ItemOutcome::Accepted, ItemOutcome::Accepted]);
    assert_eq!(f.db.database.pool_status().transactions_retried, 1);
    let interactions = counted_interactions(&f).await;
    assert_eq!(interactions, 3, "each event counted once");
    assert_rollups_match_rebuild(&f).await;
}

/// An ingest call for a new customer that another transaction creates at
/// the same moment waits for it and records the interaction for that
/// customer, instead of failing or creating a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_created_meanwhile_is_used_by_ingest() {
    let Some(f) = setup(TestBackend::Postgres).await else {
        return;
    };
    let other = f.db.begin().await;
    create_customer_in(&other, f.tenant, "late").await;
    let f = std::sync::Arc::new(f);
    let call = {
        let f = f.clone();
        tokio::spawn(async move {
            let items = vec![
                event("e1", "late", f.touchpoints[0], 0, Some(2)),
                event("e2", "early", f.touchpoints[0], 5, None),
            ];
            try_record(&f, items).await
        })
    };
    // Let the call miss the uncommitted row and wait on its key.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other.commit().await.unwrap();
    let outcomes = call.await.unwrap().expect("the call succeeds");
    assert_eq!(outcomes, [ItemOutcome::Accepted, ItemOutcome::Accepted]);
    assert_eq!(f.store.count_customers(f.tenant, None).await.unwrap(), 2);
    assert_rollups_match_rebuild(&f).await;
}

/// `upsertCustomers` for a customer that another transaction (an ingest
/// call) creates at the same moment updates that customer instead of
/// failing on the unique external id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upserting_a_customer_created_meanwhile_updates_it() {
    let Some(f) = setup(TestBackend::Postgres).await else {
        return;
    };
    let other = f.db.begin().await;
    create_customer_in(&other, f.tenant, "late").await;
    let f = std::sync::Arc::new(f);
    let upsert = {
        let f = f.clone();
        tokio::spawn(async move {
            let item = CustomerUpsert {
                external_id: ExternalId::parse("e", "late").unwrap(),
                persona_id: Some(Some(f.personas[1])),
                attributes: None,
            };
            f.store.upsert_customers(f.tenant, vec![Ok(item)]).await
        })
    };
    // Let the upsert miss the uncommitted row and wait on its key.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other.commit().await.unwrap();
    let outcomes = upsert.await.unwrap().expect("the upsert succeeds");
    let [CustomerOutcome::Updated(customer)] = &outcomes[..] else {
        panic!("expected one update, got {outcomes:?}");
    };
    assert_eq!(customer.persona_id, Some(f.personas[1]));
    let listed = f.store.count_customers(f.tenant, None).await.unwrap();
    assert_eq!(listed, 1);
}

/// Two calls for the same customer: the second waits for the first's lock
/// on the customer and must then see the first's interactions. Here the
/// first stores a last-phase interaction the chain cannot use yet, and the
/// second brings the missing phase before it and a later last-phase one:
/// the chain's last step is the first call's interaction, not the second's.
async fn a_call_waiting_for_a_customer_sees_the_calls_before_it(f: Fixture) {
    // Two touchpoints per phase, in phase order.
    let tp: Vec<TouchpointId> = f.touchpoints.iter().step_by(2).copied().collect();
    record(
        &f,
        vec![
            event("e0", "x", tp[0], 0, None),
            event("e1", "x", tp[1], 10, None),
        ],
    )
    .await;
    let first_batch = vec![event("e2", "x", tp[3], 300, None)];
    let second_batch = vec![
        event("e3", "x", tp[2], 100, None),
        event("e4", "x", tp[3], 500, None),
    ];
    let f = std::sync::Arc::new(f);
    let block = f.db.block_writes("interaction_stats").await;
    let first = {
        let f = f.clone();
        tokio::spawn(async move { record(&f, first_batch).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let second = {
        let f = f.clone();
        tokio::spawn(async move { record(&f, second_batch).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(block);
    assert_eq!(first.await.unwrap(), [ItemOutcome::Accepted]);
    assert_eq!(
        second.await.unwrap(),
        [ItemOutcome::Accepted, ItemOutcome::Accepted]
    );
    let chains = f.store.rollup_snapshot(f.tenant).await.unwrap().progress;
    let minute = 60_000_000;
    let start = chains[0].3[0];
    let steps: Vec<i64> = chains[0].3.iter().map(|at| (at - start) / minute).collect();
    assert_eq!(steps, [0, 10, 100, 300]);
    assert_rollups_match_rebuild(&f).await;
}

/// Migration `m20261128_000005_journey_chains` turns the per-step progress
/// rows into one chain per customer and journey, losing none, and finds
/// every customer's first two conversions; `m20261129_000006_journey_windows`
/// computes from the stored interactions the windows ingest kept;
/// `m20261130_000007_chains_cover` replaces an index both ways, and
/// `m20261204_000009_chain_distances` rewrites the chains both ways.
async fn upgrading_carries_the_funnel_chains_over(f: Fixture) {
    let conversion = f.touchpoints[f.touchpoints.len() - 1];
    f.store
        .update_touchpoint(
            f.tenant,
            conversion,
            TouchpointPatch {
                is_conversion: Some(true),
                ..TouchpointPatch::default()
            },
        )
        .await
        .unwrap();
    let mut batch = Vec::new();
    for c in 0..6 {
        for (k, tp) in f.touchpoints.iter().enumerate().take(c + 1) {
            let id = format!("e{c}-{k}");
            batch.push(event(
                &id,
                &format!("c{c}"),
                *tp,
                (c * 10 + k * 90) as i64,
                None,
            ));
        }
        // Conversions without a chain, and repeated ones.
        for n in 0..c % 3 {
            let id = format!("e{c}-conversion-{n}");
            let minutes = (c * 7 + n * 1_000) as i64;
            batch.push(event(&id, &format!("k{c}"), conversion, minutes, None));
        }
    }
    // First conversions a minute before midnight, again exactly 30 days
    // later (a repeat) or a minute after that (not one).
    let month = 30 * 24 * 60;
    for (customer, second) in [("m0", 1439 + month), ("m1", 1440 + month)] {
        for (n, minutes) in [1439, second].into_iter().enumerate() {
            let id = format!("{customer}-conversion-{n}");
            batch.push(event(&id, customer, conversion, minutes, None));
        }
    }
    record(&f, batch).await;
    let before = f.store.rollup_snapshot(f.tenant).await.unwrap();
    let first_day = before.conversions.iter().find(|row| row.1 == 20_513);
    assert!(
        first_day.is_some_and(|row| row.2 >= 2 && row.3 < row.2),
        "{:?}",
        before.conversions
    );
    assert!(before.progress.iter().any(|row| row.3.len() > 2));
    assert!(before.progress.iter().any(|row| row.5.is_some()));
    assert!(before.progress.iter().any(|row| row.2.is_none()));

    assert!(!before.windows.is_empty());
    assert!(before.conversions.iter().any(|row| row.3 > 0));

    // Down to funnel chains stored as times, whose text is the times.
    let db = &f.db.database;
    let schema_sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT COALESCE(sql, name) FROM sqlite_master WHERE tbl_name = 'journey_chains' \
             ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename = 'journey_chains' ORDER BY indexname"
        }
    };
    let schema = db.query_texts(schema_sql).await.unwrap();
    db.migrate_down(1).await.unwrap();
    let stored = db
        .query_texts("SELECT chain FROM journey_chains ORDER BY journey_id, customer_id")
        .await
        .unwrap();
    let as_times: Vec<String> = before
        .progress
        .iter()
        .map(|row| {
            row.3
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    assert_eq!(stored, as_times);
    db.migrate_up().await.unwrap();
    assert_eq!(f.store.rollup_snapshot(f.tenant).await.unwrap(), before);
    assert_eq!(db.query_texts(schema_sql).await.unwrap(), schema);

    // Down past the chains migration (and the windows, index, conversions
    // and chain distances ones after it), then up again: the chains come
    // from the old progress rows, the windows from the interactions, the
    // conversion counts from the chains.
    db.migrate_down(5).await.unwrap();
    let uuid = |u: uuid::Uuid| match db.backend() {
        Backend::Sqlite => format!("X'{}'", u.simple()),
        Backend::Postgres => format!("'{u}'::uuid"),
    };
    for (journey, customer, _, chain, _, _) in &before.progress {
        for (step, reached) in chain.iter().enumerate() {
            let started = chain[0];
            let previous = if step == 0 { started } else { chain[step - 1] };
            db.execute_unprepared(&format!(
                "INSERT INTO journey_progress (tenant_id, journey_id, customer_id, step, \
                 reached_at, started_at, previous_at) VALUES ({}, {}, {}, {step}, {reached}, \
                 {started}, {previous})",
                uuid(f.tenant.uuid()),
                uuid(*journey),
                uuid(*customer),
            ))
            .await
            .unwrap();
        }
    }
    db.migrate_up().await.unwrap();
    let after = f.store.rollup_snapshot(f.tenant).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(db.query_texts(schema_sql).await.unwrap(), schema);
    // The chains table takes upserts again: a chain grows by a phase.
    let grown = event("e5-later", "c5", f.touchpoints[6], 10_000, None);
    assert_eq!(record(&f, vec![grown]).await, [ItemOutcome::Accepted]);
    let chains = f.store.rollup_snapshot(f.tenant).await.unwrap().progress;
    assert_eq!(chains.len(), after.progress.len());
    assert_ne!(chains, after.progress);
    assert_rollups_match_rebuild(&f).await;
}

async fn ingest_waits_for_a_journey_held_by_a_structure_change(f: Fixture) {
    let f = std::sync::Arc::new(f);
    // A structure change holds its journey (PostgreSQL: row lock on the
    // journey; here the whole table, which the row lock needs to pass).
    let block = f.db.block_writes("journeys").await;
    let writer = {
        let f = f.clone();
        tokio::spawn(
            async move { record(&f, vec![event("e1", "c1", f.touchpoints[0], 1, None)]).await },
        )
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the call waits for the journey");
    drop(block);
    let outcomes = writer.await.unwrap();
    assert_eq!(outcomes, [ItemOutcome::Accepted]);
    assert_rollups_match_rebuild(&f).await;
}

/// Forgetting a customer holds their journeys as ingest does: a structure
/// change, which recomputes the progress of every customer it read, cannot
/// write a forgotten customer's chain back (nor count their conversions
/// again) after the deletion.
async fn forgetting_a_customer_waits_for_a_journey_held_by_a_structure_change(f: Fixture) {
    record(&f, vec![event("e1", "c1", f.touchpoints[0], 1, None)]).await;
    let f = std::sync::Arc::new(f);
    let block = f.db.block_writes("journeys").await;
    let forget = {
        let f = f.clone();
        tokio::spawn(async move {
            f.store
                .delete_customer(f.tenant, &ExternalId::parse("e", "c1").unwrap())
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!forget.is_finished(), "the deletion waits for the journey");
    drop(block);
    assert_eq!(forget.await.unwrap().unwrap(), 1);
    assert_eq!(
        f.store.rollup_snapshot(f.tenant).await.unwrap(),
        Default::default()
    );
}

async fn moving_a_touchpoint_to_another_phase_moves_the_funnel(f: Fixture) {
    let batch: Vec<NewInteraction> = (0..40)
        .map(|i| {
            event(
                &format!("e{i}"),
                &format!("c{}", i % 5),
                f.touchpoints[(i % 8) as usize],
                i * 60,
                None,
            )
        })
        .collect();
    record(&f, batch).await;
    let before = f.store.rollup_snapshot(f.tenant).await.unwrap();
    // The first phase's first touchpoint moves to the last phase, by id and
    // then back by key (the upsert).
    let moved = f
        .store
        .touchpoint(f.tenant, f.touchpoints[0])
        .await
        .unwrap();
    let last = f
        .store
        .touchpoint(f.tenant, f.touchpoints[7])
        .await
        .unwrap();
    f.store
        .move_touchpoint(f.tenant, moved.id, Some(last.phase_id), None)
        .await
        .unwrap();
    let after = f.store.rollup_snapshot(f.tenant).await.unwrap();
    assert_ne!(after.progress, before.progress, "the chains changed");
    assert_rollups_match_rebuild(&f).await;
}

async fn the_same_batch_twice_stores_nothing_new(f: Fixture) {
    let batch: Vec<NewInteraction> = (0..20)
        .map(|i| {
            event(
                &format!("e{i}"),
                &format!("c{}", i % 4),
                f.touchpoints[(i % 8) as usize],
                i,
                Some(i % 5 - 2),
            )
        })
        .collect();
    let first = record(&f, batch.clone()).await;
    assert!(
        first.iter().all(|o| *o == ItemOutcome::Accepted),
        "{first:?}"
    );
    let before = f.store.rollup_snapshot(f.tenant).await.unwrap();
    let second = record(&f, batch).await;
    assert!(
        second.iter().all(|o| *o == ItemOutcome::Duplicate),
        "{second:?}"
    );
    assert_eq!(f.store.rollup_snapshot(f.tenant).await.unwrap(), before);
    let total: i64 = before.stats.iter().map(|(_, c)| c.tally.interactions).sum();
    assert_eq!(total, 20);
    assert_rollups_match_rebuild(&f).await;
}

async fn a_mixed_batch_stores_exactly_the_valid_items(f: Fixture) {
    record(
        &f,
        vec![event("stored", "c1", f.touchpoints[0], 1, Some(1))],
    )
    .await;
    let unknown = TouchpointId::generate();
    let items: Vec<Result<NewInteraction, ItemOutcome>> = vec![
        Ok(event("new-1", "c1", f.touchpoints[1], 2, Some(2))),
        Err(ItemOutcome::invalid(&ValidationError::new(
            "rating",
            "must be between 1 and 5",
        ))),
        Ok(event("stored", "c1", f.touchpoints[0], 1, Some(1))),
        Ok(event("stored", "c1", f.touchpoints[0], 1, Some(-1))),
        Ok(event("lost", "c2", unknown, 3, None)),
        Ok(event("new-2", "c2", f.touchpoints[2], 4, None)),
        Ok(event("new-2", "c2", f.touchpoints[2], 4, None)),
        Ok(event("new-2", "c2", f.touchpoints[3], 4, None)),
    ];
    let outcomes = f.store.record_interactions(f.tenant, items).await.unwrap();
    let codes: Vec<&str> = outcomes
        .iter()
        .map(|o| match o {
            ItemOutcome::Accepted => "accepted",
            ItemOutcome::Duplicate => "duplicate",
            ItemOutcome::Rejected { code, .. } => code.label(),
        })
        .collect();
    assert_eq!(
        codes,
        [
            "accepted",
            "BAD_USER_INPUT",
            "duplicate",
            "CONFLICT",
            "NOT_FOUND",
            "accepted",
            "duplicate",
            "CONFLICT"
        ]
    );
    let total = counted_interactions(&f).await;
    assert_eq!(total, 3, "stored, new-1 and new-2");
    let c1 = f
        .store
        .customer_by_external_id(f.tenant, &ExternalId::parse("c", "c1").unwrap())
        .await
        .unwrap();
    let page = f
        .store
        .list_interactions(
            f.tenant,
            c1.id,
            &Default::default(),
            &journeyd_persistence::PageRequest {
                after: None,
                before: None,
                limit: 10,
                from_end: false,
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|i| i.external_id.as_str()).collect();
    assert_eq!(ids, ["stored", "new-1"]);
    assert_eq!(
        page.items[0].sentiment.map(|s| s.get()),
        Some(1),
        "never overwritten"
    );
    assert_rollups_match_rebuild(&f).await;
}

/// Four writers, each sending batches one after the other, as the ingest
/// benchmark at concurrency 4 does: 400 events per batch over a shared pool
/// of 1000 customers in random order, so that calls keep creating customers
/// that other calls, started a moment later, already find; and a customer
/// sync assigning personas to the same customers meanwhile. Every call
/// succeeds, every customer is created once, every event counted once and
/// the rollups equal a rebuild (persona moves included).
/// Before the customers were created and locked in one ordered statement,
/// such calls deadlocked on PostgreSQL (a customer created by one call
/// between another's lookup and its inserts was locked out of order).
async fn concurrent_writers_creating_the_same_customers_all_succeed(f: Fixture) {
    let f = std::sync::Arc::new(f);
    let mut writers = Vec::new();
    for writer in 0..4u64 {
        let f = f.clone();
        writers.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(writer);
            let mut customers = Vec::new();
            for batch in 0..5 {
                let events: Vec<NewInteraction> = (0..400i64)
                    .map(|i| {
                        let customer = format!("c{}", rng.random_range(0..1000));
                        customers.push(customer.clone());
                        let id = format!("w{writer}-b{batch}-{i}");
                        let tp = f.touchpoints[rng.random_range(0..f.touchpoints.len())];
                        event(&id, &customer, tp, rng.random_range(0..100_000), None)
                    })
                    .collect();
                let outcomes = try_record(&f, events).await.expect("every call succeeds");
                assert!(outcomes.iter().all(|o| *o == ItemOutcome::Accepted));
            }
            customers
        }));
    }
    // A CRM sync at the same time: the same customers, assigned personas
    // (moving their stats) and created when new.
    let sync = {
        let f = f.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(99);
            let mut customers = Vec::new();
            for _ in 0..5 {
                let items: Vec<Result<CustomerUpsert, CustomerOutcome>> = (0..200)
                    .map(|_| {
                        let customer = format!("c{}", rng.random_range(0..1000));
                        customers.push(customer.clone());
                        let persona = match rng.random_range(0..3) {
                            0 => None,
                            p => Some(f.personas[p - 1]),
                        };
                        Ok(CustomerUpsert {
                            external_id: ExternalId::parse("e", &customer).unwrap(),
                            persona_id: Some(persona),
                            attributes: None,
                        })
                    })
                    .collect();
                let outcomes = f.store.upsert_customers(f.tenant, items).await.unwrap();
                assert!(
                    outcomes
                        .iter()
                        .all(|o| !matches!(o, CustomerOutcome::Rejected { .. }))
                );
            }
            customers
        })
    };
    writers.push(sync);
    let mut customers = std::collections::HashSet::new();
    for writer in writers {
        customers.extend(writer.await.unwrap());
    }
    let total = counted_interactions(&f).await;
    assert_eq!(total, 4 * 5 * 400);
    let stored = f.store.count_customers(f.tenant, None).await.unwrap();
    assert_eq!(stored, customers.len() as u64);
    // Not by luck of the retries: the calls never met in a cycle.
    assert_eq!(f.db.database.pool_status().transactions_retried, 0);
    assert_rollups_match_rebuild(&f).await;
}

/// `rollups rebuild` run while ingest calls keep arriving (an operator
/// rebuilding on a live service), with customers forgotten and assigned
/// personas meanwhile, leaves rollups equal to a rebuild run alone
/// afterwards.
async fn rebuilds_deletions_and_persona_changes_while_ingesting_keep_the_rollups_exact(f: Fixture) {
    let f = std::sync::Arc::new(f);
    let mut tasks = Vec::new();
    for writer in 0..2u64 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(writer);
            for batch in 0..8 {
                let events: Vec<NewInteraction> = (0..200)
                    .map(|i| {
                        let customer = format!("c{}", rng.random_range(0..300));
                        let id = format!("w{writer}-b{batch}-{i}");
                        let tp = f.touchpoints[rng.random_range(0..f.touchpoints.len())];
                        let at = rng.random_range(0..100_000);
                        event(&id, &customer, tp, at, Some(rng.random_range(-2..=2)))
                    })
                    .collect();
                record(&f, events).await;
            }
        }));
    }
    let rebuilds = {
        let f = f.clone();
        tokio::spawn(async move {
            for _ in 0..4 {
                f.store.rebuild_rollups(f.tenant).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    let deletions = {
        let f = f.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(7);
            let mut deleted = 0;
            for _ in 0..20 {
                let customer = format!("c{}", rng.random_range(0..300));
                let external = ExternalId::parse("e", &customer).unwrap();
                match f.store.delete_customer(f.tenant, &external).await {
                    Ok(_) => deleted += 1,
                    Err(StoreError::NotFound(_)) => {}
                    Err(err) => panic!("deleting {customer}: {err}"),
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            deleted
        })
    };
    let sync = {
        let f = f.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(8);
            for _ in 0..10 {
                let items = (0..30)
                    .map(|_| {
                        let customer = format!("c{}", rng.random_range(0..300));
                        let persona = f.personas[rng.random_range(0..f.personas.len())];
                        Ok(CustomerUpsert {
                            external_id: ExternalId::parse("e", &customer).unwrap(),
                            persona_id: Some(Some(persona)),
                            attributes: None,
                        })
                    })
                    .collect();
                f.store.upsert_customers(f.tenant, items).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    for task in tasks {
        task.await.unwrap();
    }
    rebuilds.await.unwrap();
    sync.await.unwrap();
    assert!(
        deletions.await.unwrap() > 0,
        "some customers were forgotten"
    );
    assert_rollups_match_rebuild(&f).await;
}

async fn concurrent_overlapping_writers_store_each_event_once(f: Fixture) {
    let f = std::sync::Arc::new(f);
    let mut tasks = Vec::new();
    for writer in 0..8i64 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            // Writers share half of their events with the next writer.
            let batch: Vec<NewInteraction> = (writer * 50..writer * 50 + 100)
                .map(|i| {
                    event(
                        &format!("e{i}"),
                        &format!("c{}", i % 17),
                        f.touchpoints[(i % 8) as usize],
                        i,
                        Some(i % 5 - 2),
                    )
                })
                .collect();
            try_record(&f, batch).await.unwrap()
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        let outcomes = task.await.unwrap();
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, ItemOutcome::Accepted | ItemOutcome::Duplicate))
        );
        accepted += outcomes
            .iter()
            .filter(|o| **o == ItemOutcome::Accepted)
            .count();
    }
    assert_eq!(accepted, 450, "events 0..450, each accepted exactly once");
    let total = counted_interactions(&f).await;
    assert_eq!(total, 450);
    assert_rollups_match_rebuild(&f).await;
}

/// Customers active in two journeys, with calls that carry both journeys
/// (the windows start from each journey's stored interactions, read per
/// journey) and calls that carry one (its latest interactions only count),
/// in order and late.
async fn batches_over_two_journeys_keep_rollups_equal_to_a_rebuild(f: Fixture) {
    let second = f.store.seed_map(f.tenant, "second", 3).await.unwrap();
    let other: Vec<TouchpointId> = f
        .store
        .touchpoints_of_journeys(f.tenant, &[second])
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut rng = StdRng::seed_from_u64(11);
    for round in 0..10 {
        let mut batch = Vec::new();
        for n in 0..rng.random_range(5..30) {
            let touchpoints = match round % 3 {
                0 => &f.touchpoints,
                1 => &other,
                _ if rng.random_bool(0.5) => &f.touchpoints,
                _ => &other,
            };
            let minutes = if round % 4 == 3 {
                rng.random_range(0..20_000)
            } else {
                20_000 + round * 3_000 + rng.random_range(0..2_000)
            };
            batch.push(event(
                &format!("e{round}-{n}"),
                &format!("c{}", rng.random_range(0..8)),
                touchpoints[rng.random_range(0..touchpoints.len())],
                minutes,
                None,
            ));
        }
        record(&f, batch).await;
    }
    let snapshot = f.store.rollup_snapshot(f.tenant).await.unwrap();
    let journeys: std::collections::BTreeSet<_> =
        snapshot.windows.iter().map(|(j, ..)| *j).collect();
    assert_eq!(journeys.len(), 2, "windows in both journeys");
    assert_rollups_match_rebuild(&f).await;
}

async fn random_batches_keep_rollups_equal_to_a_rebuild(f: Fixture) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut next_id = 0;
    let mut sent: Vec<NewInteraction> = Vec::new();
    for round in 0..12 {
        let mut batch = Vec::new();
        for _ in 0..rng.random_range(5..40) {
            let roll: f64 = rng.random();
            if roll < 0.15 && !sent.is_empty() {
                // A retry of something already sent.
                batch.push(sent[rng.random_range(0..sent.len())].clone());
            } else if roll < 0.2 && !sent.is_empty() {
                // The same key with other content: a conflict.
                let mut clash = sent[rng.random_range(0..sent.len())].clone();
                clash.sentiment = Some(
                    SentimentScore::new(if clash.sentiment.map(|s| s.get()) == Some(2) {
                        -2
                    } else {
                        2
                    })
                    .unwrap(),
                );
                batch.push(clash);
            } else {
                // Even rounds move forward in time (the in-order path of
                // the progress rollup); odd rounds bring late events from
                // anywhere in the timeline (the recompute path).
                let minutes = if round % 2 == 0 {
                    50_000 + round * 2_000 + rng.random_range(0..1_000)
                } else {
                    rng.random_range(0..43_200)
                };
                let customer = format!("c{}", rng.random_range(0..15));
                let tp = f.touchpoints[rng.random_range(0..f.touchpoints.len())];
                let sentiment = rng.random_bool(0.7).then(|| rng.random_range(-2..=2));
                let e = event(&format!("e{next_id}"), &customer, tp, minutes, sentiment);
                next_id += 1;
                sent.push(e.clone());
                batch.push(e);
            }
        }
        record(&f, batch).await;
        if round % 4 == 3 {
            // Personas change: contributions move between persona keys.
            let mut customers: Vec<Result<CustomerUpsert, CustomerOutcome>> = Vec::new();
            for c in 0..15 {
                if !rng.random_bool(0.5) {
                    continue;
                }
                let persona = match rng.random_range(0..3) {
                    0 => None,
                    p => Some(f.personas[p - 1]),
                };
                customers.push(Ok(CustomerUpsert {
                    external_id: ExternalId::parse("e", &format!("c{c}")).unwrap(),
                    persona_id: Some(persona),
                    attributes: None,
                }));
            }
            f.store.upsert_customers(f.tenant, customers).await.unwrap();
        }
        if round == 2 || round == 9 {
            // A touchpoint becomes (or stops being) a conversion point: the
            // journey's conversions are recomputed.
            f.store
                .update_touchpoint(
                    f.tenant,
                    f.touchpoints[round as usize % f.touchpoints.len()],
                    TouchpointPatch {
                        is_conversion: Some(round == 2),
                        ..TouchpointPatch::default()
                    },
                )
                .await
                .unwrap();
        }
        if round == 8 {
            f.store
                .delete_customer(f.tenant, &ExternalId::parse("e", "c3").unwrap())
                .await
                .ok();
        }
    }
    let snapshot = f.store.rollup_snapshot(f.tenant).await.unwrap();
    assert!(!snapshot.progress.is_empty());
    assert!(snapshot.progress.iter().any(|row| row.4.is_some()));
    assert!(snapshot.conversions.iter().any(|row| row.3 > 0));
    assert_rollups_match_rebuild(&f).await;
}

async fn forgetting_a_customer_leaves_no_trace(f: Fixture) {
    let empty = f.store.rollup_snapshot(f.tenant).await.unwrap();
    assert!(empty.stats.is_empty());
    f.store
        .upsert_customers(
            f.tenant,
            vec![Ok(CustomerUpsert {
                external_id: ExternalId::parse("e", "keep").unwrap(),
                persona_id: Some(Some(f.personas[0])),
                attributes: None,
            })],
        )
        .await
        .unwrap();
    let keep: Vec<NewInteraction> = (0..6)
        .map(|i| {
            event(
                &format!("k{i}"),
                "keep",
                f.touchpoints[i as usize],
                i * 10,
                Some(1),
            )
        })
        .collect();
    record(&f, keep).await;
    let only_keep = f.store.rollup_snapshot(f.tenant).await.unwrap();
    let forget: Vec<NewInteraction> = (0..8)
        .map(|i| {
            event(
                &format!("f{i}"),
                "forget",
                f.touchpoints[i as usize],
                i * 7,
                Some(-1),
            )
        })
        .collect();
    record(&f, forget).await;
    assert_ne!(f.store.rollup_snapshot(f.tenant).await.unwrap(), only_keep);

    let forget = ExternalId::parse("e", "forget").unwrap();
    let deleted = f.store.delete_customer(f.tenant, &forget).await.unwrap();
    assert_eq!(deleted, 8);
    assert_eq!(
        f.store.rollup_snapshot(f.tenant).await.unwrap(),
        only_keep,
        "no trace in the rollups"
    );
    assert!(
        f.store
            .customer_by_external_id(f.tenant, &forget)
            .await
            .is_err()
    );
    // Sending the forgotten events again is possible (a new customer).
    let again = record(
        &f,
        vec![event("f0", "forget", f.touchpoints[0], 0, Some(-1))],
    )
    .await;
    assert_eq!(again, [ItemOutcome::Accepted]);
    assert_rollups_match_rebuild(&f).await;
}
