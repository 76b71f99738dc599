//! The ingest benchmark.

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use journeyd::{ServeOptions, serve};
use journeyd_api::auth::Authenticator;
use journeyd_api::graphql::{GlobalId, NodeKind};
use journeyd_api::{AppState, AuthConfig, Limits, TokenIssuer};
use journeyd_domain::*;
use journeyd_persistence::testing::PlainInteraction;
use journeyd_persistence::{DatabaseOptions, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::time::Instant;

/// Options of `journeyd-bench ingest`.
#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// The database (default: a new SQLite file in a temporary directory).
    #[arg(long, env = "JOURNEYD_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// How many interactions each side stores while timed.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// How many interactions each side stores first, untimed, before the
    /// tables are analyzed: the timed part then runs against tables with
    /// data and planner statistics, as a production database has.
    #[arg(long, default_value_t = 20_000)]
    warmup: usize,
    /// Interactions per call (and per plain INSERT).
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Calls in flight at once (the same for both sides).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

/// One generated event.
#[derive(Clone)]
struct Event {
    id: usize,
    customer: usize,
    touchpoint: usize,
    at: DateTime<Utc>,
    sentiment: Option<i16>,
    rating: Option<i16>,
    nps: Option<i16>,
    value: Option<(i64, &'static str)>,
    campaign: Option<&'static str>,
}

/// Time-ordered events over a year (with up to an hour of jitter, so some
/// arrive late), 8 per customer on average, early phases more frequent.
fn generate(events: usize, touchpoints: usize, seed: u64) -> Vec<Event> {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let step = Duration::days(365).num_seconds() as f64 / events as f64;
    let customers = (events / 8).max(1);
    (0..events)
        .map(|id| {
            let jitter = rng.random_range(-3600..3600);
            let at = start + Duration::seconds((id as f64 * step) as i64 + jitter);
            let early: f64 = rng.random::<f64>().powi(2);
            Event {
                id,
                customer: rng.random_range(0..customers),
                touchpoint: (early * touchpoints as f64) as usize % touchpoints,
                at: at.max(start),
                sentiment: rng.random_bool(0.7).then(|| rng.random_range(-2..=2)),
                rating: rng.random_bool(0.2).then(|| rng.random_range(1..=5)),
                nps: rng.random_bool(0.1).then(|| rng.random_range(0..=10)),
                value: rng.random_bool(0.15).then(|| {
                    (
                        rng.random_range(100..50_000) * 100,
                        if rng.random_bool(0.8) { "EUR" } else { "USD" },
                    )
                }),
                campaign: rng.random_bool(0.3).then_some("spring"),
            }
        })
        .collect()
}

/// A tenant with one journey (classic template) and two touchpoints per
/// phase, those of the third phase conversion points.
pub(crate) async fn seed_tenant(
    store: &Store,
    slug: &str,
) -> anyhow::Result<(TenantId, JourneyId, Vec<TouchpointId>)> {
    let seeded = store
        .seed_journey(slug, JourneyTemplate::Classic, 2, Some(2))
        .await?;
    Ok((seeded.tenant, seeded.journey, seeded.touchpoints))
}

const RECORD: &str = "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { accepted duplicates rejected } }";

fn batch_body(events: &[Event], touchpoints: &[String]) -> Value {
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut item = json!({
                "externalId": format!("e{}", e.id),
                "customerExternalId": format!("c{}", e.customer),
                "touchpointId": touchpoints[e.touchpoint],
                "occurredAt": e.at.to_rfc3339(),
            });
            if let Some(s) = e.sentiment {
                item["sentiment"] = json!(s);
            }
            if let Some(r) = e.rating {
                item["rating"] = json!(r);
            }
            if let Some(n) = e.nps {
                item["nps"] = json!(n);
            }
            if let Some((amount, currency)) = e.value {
                item["value"] = json!({ "amount": format_scaled(amount), "currency": currency });
            }
            if let Some(campaign) = e.campaign {
                item["properties"] = json!({ "campaign": campaign });
            }
            item
        })
        .collect();
    json!({ "query": RECORD, "variables": { "input": { "interactions": items } } })
}

fn format_scaled(amount: i64) -> String {
    journeyd_domain::money::format_scaled(amount)
}

/// Runs `work` over the batches with `concurrency` in flight; returns seconds.
async fn timed<T, F, Fut>(batches: Vec<T>, concurrency: usize, work: F) -> anyhow::Result<f64>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let mut in_flight = tokio::task::JoinSet::new();
    for batch in batches {
        while in_flight.len() >= concurrency {
            in_flight.join_next().await.context("a task")???;
        }
        in_flight.spawn(work(batch));
    }
    while let Some(done) = in_flight.join_next().await {
        done??;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Runs the ingest benchmark.
pub async fn run(args: IngestArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let options = DatabaseOptions {
        max_connections: 16,
        ..DatabaseOptions::default()
    };
    let (_, db) =
        crate::server::open_database(args.database_url.as_deref(), &dir, &options, true).await?;
    let store = Store::new(db.clone());
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let backend = match db.backend() {
        journeyd_persistence::Backend::Sqlite => "SQLite",
        journeyd_persistence::Backend::Postgres => "PostgreSQL",
    };
    eprintln!(
        "{backend}: {} events in batches of {}, concurrency {}",
        args.events, args.batch, args.concurrency
    );

    // The service, on loopback, over the same database.
    let (service_tenant, _, service_tps) =
        seed_tenant(&store, &format!("svc-{}", &run_id[20..])).await?;
    let auth = AuthConfig::hs256(b"a-benchmark-secret-that-is-long-enough-for-hs256".to_vec());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}/graphql", listener.local_addr()?);
    let authenticator = Authenticator::from_config(&auth, store.clone()).await?;
    let state = AppState::new(store.clone(), authenticator, &Limits::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        serve(
            listener,
            state,
            shutdown,
            &ServeOptions {
                shutdown_grace: std::time::Duration::from_secs(5),
            },
        )
        .await
    });
    let slug = store
        .list_tenants()
        .await?
        .into_iter()
        .find(|t| t.id == service_tenant)
        .context("the service tenant")?
        .slug;
    let token = TokenIssuer::new(auth).issue(
        "bench",
        &slug,
        &Scopes::parse("interactions:write")?,
        std::time::Duration::from_secs(3600),
    )?;

    let events = generate(args.warmup + args.events, service_tps.len(), 42);
    let batches: Vec<Vec<Event>> = events.chunks(args.batch).map(<[Event]>::to_vec).collect();
    let warm_batches = args.warmup.div_ceil(args.batch).min(batches.len());
    let tp_ids: Vec<String> = service_tps
        .iter()
        .map(|tp| GlobalId::encode(NodeKind::Touchpoint, tp.uuid()).0)
        .collect();
    // Request bodies and plain rows are built before the clock starts.
    let mut bodies: Vec<(usize, Vec<u8>)> = batches
        .iter()
        .map(|batch| {
            Ok((
                batch.len(),
                serde_json::to_vec(&batch_body(batch, &tp_ids))?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let timed_bodies = bodies.split_off(warm_batches);

    let (plain_tenant, plain_journey, plain_tps) =
        seed_tenant(&store, &format!("raw-{}", &run_id[20..])).await?;
    let customer_ids: Vec<uuid::Uuid> = (0..=events.iter().map(|e| e.customer).max().unwrap_or(0))
        .map(|_| uuid::Uuid::now_v7())
        .collect();
    let mut seen = vec![false; customer_ids.len()];
    let mut plain_batches: Vec<Vec<PlainInteraction>> = batches
        .iter()
        .map(|batch| {
            batch
                .iter()
                .map(|e| {
                    let new_customer = !std::mem::replace(&mut seen[e.customer], true);
                    PlainInteraction {
                        external_id: format!("e{}", e.id),
                        customer_id: customer_ids[e.customer],
                        customer_external_id: format!("c{}", e.customer),
                        new_customer,
                        journey_id: plain_journey.uuid(),
                        touchpoint_id: plain_tps[e.touchpoint].uuid(),
                        occurred_at_us: e.at.timestamp_micros(),
                        sentiment: e.sentiment,
                        rating: e.rating,
                        nps: e.nps,
                        value: e.value.map(|(a, c)| (a, c.to_owned())),
                        properties: e.campaign.map(|c| json!({ "campaign": c })),
                    }
                })
                .collect()
        })
        .collect();
    let timed_plain = plain_batches.split_off(warm_batches);

    let client = reqwest::Client::new();
    let send = |(expected, body): (usize, Vec<u8>)| {
        let client = client.clone();
        let endpoint = endpoint.clone();
        let token = token.clone();
        async move {
            let answer: Value = client
                .post(&endpoint)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?
                .json()
                .await?;
            let accepted = answer["data"]["recordInteractions"]["accepted"].as_u64();
            if accepted != Some(expected as u64) {
                bail!("the service did not accept the batch: {answer}");
            }
            Ok(())
        }
    };
    let insert = |batch: Vec<PlainInteraction>| {
        let store = store.clone();
        async move { Ok(store.insert_plain(plain_tenant, &batch).await?) }
    };

    timed(bodies, args.concurrency, send).await?;
    timed(plain_batches, args.concurrency, insert).await?;
    db.execute_unprepared("ANALYZE").await?;
    let service_seconds = timed(timed_bodies, args.concurrency, send).await?;
    let plain_seconds = timed(timed_plain, args.concurrency, insert).await?;
    let _ = stop.send(());
    server.await??;

    let service_rate = args.events as f64 / service_seconds;
    let plain_rate = args.events as f64 / plain_seconds;
    println!(
        "| backend | events | batch | concurrency | service (HTTP GraphQL) events/s | plain INSERT events/s | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | {} | {} | {} | {:.0} | {:.0} | {:.2} |",
        args.events,
        args.batch,
        args.concurrency,
        service_rate,
        plain_rate,
        service_rate / plain_rate
    );
    db.close().await?;
    Ok(())
}
