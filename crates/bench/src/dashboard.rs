//! `journeyd-bench dashboard`: the BI dashboard (funnel, emotion curve,
//! channel mix and summary of one journey over 90 days) at scale. It
//! generates customers and a year of their interactions, loads them through
//! the bulk path (multi-row INSERTs, then `rollups rebuild`), times the
//! dashboard through real HTTP on the `journeyd` binary, and in the same run
//! computes the same figures by straightforward SQL over the raw
//! interactions; the two must agree.

use crate::server::{Server, open_database};
use anyhow::{Context, ensure};
use journeyd_api::graphql::{GlobalId, NodeKind};
use journeyd_domain::JourneyTemplate;
use journeyd_persistence::testing::PlainInteraction;
use journeyd_persistence::{Backend, DatabaseOptions, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Options of `journeyd-bench dashboard`.
#[derive(clap::Args, Debug)]
pub struct DashboardArgs {
    /// The database (default: a new SQLite file in a temporary directory).
    #[arg(long, env = "JOURNEYD_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// The journeyd binary (default: next to this one).
    #[arg(long)]
    journeyd: Option<std::path::PathBuf>,
    /// Customers.
    #[arg(long, default_value_t = 1_000_000)]
    customers: usize,
    /// Interactions over the year (about this many).
    #[arg(long, default_value_t = 10_000_000)]
    interactions: usize,
    /// Dashboard loads timed (after one untimed).
    #[arg(long, default_value_t = 11)]
    runs: usize,
    /// Time the data an earlier run loaded into this database (its newest
    /// `dash-` tenant) instead of loading new data; the benchmark then
    /// leaves the schema to the `journeyd` it starts. To compare two builds
    /// on the same data, give each its own copy of the database
    /// (`CREATE DATABASE b TEMPLATE a`, migrated to that build's schema)
    /// and alternate runs with `--journeyd` pointing at each build.
    #[arg(long)]
    existing: bool,
    /// Raw-SQL computations timed (0: none, and the figures are not
    /// compared).
    #[arg(long, default_value_t = 3)]
    raw_runs: usize,
}

/// The data a dashboard is timed on.
struct Loaded {
    slug: String,
    tenant: journeyd_domain::TenantId,
    journey: journeyd_domain::JourneyId,
    customers: u64,
    interactions: u64,
}

/// The year the interactions fall in.
const YEAR_START: &str = "2025-01-01T00:00:00Z";
/// The dashboard's range: the last 90 days of that year.
const RANGE: (&str, &str) = ("2025-10-03T00:00:00Z", "2026-01-01T00:00:00Z");

const DASHBOARD: &str = "query Dashboard($j: ID!, $from: DateTime!, $to: DateTime!) {
  journeyFunnel(journeyId: $j, from: $from, to: $to) { phase customers conversionFromPrevious medianSecondsFromPrevious p90SecondsFromPrevious }
  emotionCurve(journeyId: $j, from: $from, to: $to) { phase interactions averageSentiment csat nps touchpoints { name interactions averageSentiment } }
  channelMix(journeyId: $j, from: $from, to: $to) { phase channel interactions share averageSentiment }
  journeySummary(journeyId: $j, from: $from, to: $to) { customers interactions funnelEntries funnelCompletions value { currency amount } bounceRate repeatRate averageSentiment csat nps }
}";

fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("a valid constant")
        .timestamp_micros()
}

/// One customer's interactions: they start at a random moment of the year
/// and move forward through the phases (sometimes back), minutes to days
/// apart, `per_customer` on average.
fn customer_rows(
    rng: &mut StdRng,
    customer: usize,
    per_customer: f64,
    journey: uuid::Uuid,
    touchpoints: &[uuid::Uuid],
) -> Vec<PlainInteraction> {
    let year = 365 * 86_400_000_000_i64;
    let phases = touchpoints.len() / 2;
    let count = 1 + rng.random_range(0.0..(2.0 * per_customer - 1.0).max(f64::EPSILON)) as usize;
    let id = uuid::Uuid::from_u64_pair(0x6a6f_7572_6e65_7964, customer as u64);
    let mut at = micros(YEAR_START) + rng.random_range(0..year);
    let mut phase = 0usize;
    (0..count)
        .map(|n| {
            let row = PlainInteraction {
                external_id: format!("e{customer}-{n}"),
                customer_id: id,
                customer_external_id: format!("c{customer}"),
                new_customer: n == 0,
                journey_id: journey,
                touchpoint_id: touchpoints[phase * 2 + rng.random_range(0..2)],
                occurred_at_us: at,
                sentiment: rng.random_bool(0.7).then(|| rng.random_range(-2..=2)),
                rating: rng.random_bool(0.2).then(|| rng.random_range(1..=5)),
                nps: rng.random_bool(0.1).then(|| rng.random_range(0..=10)),
                value: rng
                    .random_bool(0.05)
                    .then(|| (rng.random_range(100..50_000) * 100, "EUR".to_owned())),
                properties: None,
            };
            at += rng.random_range(60_000_000..3 * 86_400_000_000);
            if rng.random_bool(0.4) && phase + 1 < phases {
                phase += 1;
            } else if rng.random_bool(0.05) && phase > 0 {
                phase -= 1;
            }
            row
        })
        .collect()
}

/// Runs the dashboard benchmark.
pub async fn run(args: DashboardArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let options = DatabaseOptions {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(600),
        ..DatabaseOptions::default()
    };
    let (url, db) =
        open_database(args.database_url.as_deref(), &dir, &options, !args.existing).await?;
    let store = Store::new(db.clone());
    let backend = match db.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let loaded = if args.existing {
        existing(&store).await?
    } else {
        load(&args, &store, &db, backend).await?
    };
    let (tenant, journey) = (loaded.tenant, loaded.journey);

    // The service, through HTTP.
    let server = Server::start(args.journeyd.as_ref(), &url, &[], "warn").await?;
    let token = server.token(&loaded.slug, "metrics:read")?;
    let client = reqwest::Client::new();
    let body = json!({
        "query": DASHBOARD,
        "variables": {
            "j": GlobalId::encode(NodeKind::Journey, journey.uuid()).0,
            "from": RANGE.0,
            "to": RANGE.1,
        },
    });
    let mut latencies = Vec::new();
    let mut answer = Value::Null;
    for run in 0..=args.runs {
        let sent = Instant::now();
        answer = client
            .post(format!("{}/graphql", server.url()))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        ensure!(
            answer.get("errors").is_none(),
            "the dashboard failed: {answer}"
        );
        if run > 0 {
            latencies.push(sent.elapsed());
        }
    }
    latencies.sort();
    drop(server);

    // The same figures by straightforward SQL over the raw interactions.
    let range = (micros(RANGE.0), micros(RANGE.1));
    let window = 30 * 86_400_000_000_i64;
    let mut raw_latencies = Vec::new();
    let mut raw = Default::default();
    for _ in 0..args.raw_runs {
        let sent = Instant::now();
        raw = store.dashboard_raw(tenant, journey, range, window).await?;
        raw_latencies.push(sent.elapsed());
    }
    raw_latencies.sort();
    db.close().await?;

    let data = &answer["data"];
    let figures = |path: &str, field: &str| -> Vec<u64> {
        data[path]
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r[field].as_u64()).collect())
            .unwrap_or_default()
    };
    let served = journeyd_persistence::testing::RawDashboard {
        funnel: figures("journeyFunnel", "customers"),
        phase_interactions: figures("emotionCurve", "interactions"),
        channel_cells: data["channelMix"].as_array().map_or(0, |rows| {
            rows.iter()
                .filter(|r| r["interactions"].as_u64() > Some(0))
                .count()
        }) as u64,
        customers: data["journeySummary"]["customers"]
            .as_u64()
            .unwrap_or_default(),
        interactions: data["journeySummary"]["interactions"]
            .as_u64()
            .unwrap_or_default(),
        bounced: (data["journeySummary"]["bounceRate"]
            .as_f64()
            .unwrap_or_default()
            * data["journeySummary"]["customers"]
                .as_f64()
                .unwrap_or_default())
        .round() as u64,
        repeat_rate: data["journeySummary"]["repeatRate"].as_f64(),
    };
    ensure!(
        args.raw_runs == 0 || served == raw,
        "the service and raw SQL disagree:\nservice {served:?}\nraw SQL {raw:?}"
    );
    let p50 = latencies[latencies.len() / 2];
    let raw = match raw_latencies.get(raw_latencies.len() / 2) {
        Some(raw_p50) => format!(
            "{:.0} ms | {:.0}×",
            raw_p50.as_secs_f64() * 1000.0,
            raw_p50.as_secs_f64() / p50.as_secs_f64()
        ),
        None => "– | –".to_owned(),
    };
    println!(
        "| backend | customers | interactions | dashboard p50 | dashboard max | raw SQL p50 | raw ÷ dashboard |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | {} | {} | {:.1} ms | {:.1} ms | {raw} |",
        loaded.customers,
        loaded.interactions,
        p50.as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    Ok(())
}

/// The newest `dash-` tenant of the database, as an earlier run loaded it.
async fn existing(store: &Store) -> anyhow::Result<Loaded> {
    let tenant = store
        .list_tenants()
        .await?
        .into_iter()
        .filter(|t| t.slug.as_str().starts_with("dash-"))
        .max_by_key(|t| t.created_at)
        .context("no tenant loaded by an earlier run (`dash-...`) in this database")?;
    let (journey, customers, interactions) = store.loaded_journey(tenant.id).await?;
    eprintln!(
        "{}: {customers} customers, {interactions} interactions loaded earlier",
        tenant.slug.as_str()
    );
    Ok(Loaded {
        slug: tenant.slug.as_str().to_owned(),
        tenant: tenant.id,
        journey,
        customers,
        interactions,
    })
}

/// Generates and loads the data: every customer's interactions in the
/// batch that creates them, then the rollups rebuilt and the tables
/// vacuumed.
async fn load(
    args: &DashboardArgs,
    store: &Store,
    db: &journeyd_persistence::Database,
    backend: &str,
) -> anyhow::Result<Loaded> {
    let slug = format!("dash-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let seeded = store
        .seed_journey(&slug, JourneyTemplate::Classic, 2, Some(2))
        .await?;
    let (tenant, journey) = (seeded.tenant, seeded.journey);
    let touchpoints: Vec<uuid::Uuid> = seeded.touchpoints.iter().map(|t| t.uuid()).collect();

    let started = Instant::now();
    let per_customer = args.interactions as f64 / args.customers as f64;
    let mut rng = StdRng::seed_from_u64(7);
    let mut loaded = 0usize;
    let mut analyzed = false;
    let mut inserts = tokio::task::JoinSet::new();
    let mut batch = Vec::new();
    for customer in 0..args.customers {
        batch.extend(customer_rows(
            &mut rng,
            customer,
            per_customer,
            journey.uuid(),
            &touchpoints,
        ));
        if batch.len() >= 2000 || customer + 1 == args.customers {
            loaded += batch.len();
            while inserts.len() >= 4 {
                inserts.join_next().await.expect("a task")??;
            }
            if !analyzed && loaded >= 50_000 {
                // Plans made on empty tables (foreign-key checks among them)
                // would scan; fresh statistics make them use the indexes.
                while let Some(done) = inserts.join_next().await {
                    done??;
                }
                db.execute_unprepared("ANALYZE").await?;
                analyzed = true;
            }
            let rows = std::mem::take(&mut batch);
            let store = store.clone();
            inserts.spawn(async move { store.insert_plain(tenant, &rows).await });
            if loaded / 1_000_000 != (loaded - 2000.min(loaded)) / 1_000_000 {
                eprintln!(
                    "{loaded} interactions loaded ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    while let Some(done) = inserts.join_next().await {
        done??;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    store.rebuild_rollups(tenant).await?;
    let rebuild_seconds = started.elapsed().as_secs_f64();
    // What autovacuum does after a bulk load, at once: fresh statistics,
    // and on PostgreSQL the visibility map, without which index-only scans
    // visit the table after all.
    let started = Instant::now();
    db.execute_unprepared(match db.backend() {
        Backend::Postgres => "VACUUM ANALYZE",
        Backend::Sqlite => "ANALYZE",
    })
    .await?;
    eprintln!(
        "{backend}: {} customers, {loaded} interactions loaded in {load_seconds:.0} s, rollups rebuilt in {rebuild_seconds:.0} s, vacuumed in {:.0} s",
        args.customers,
        started.elapsed().as_secs_f64()
    );

    Ok(Loaded {
        slug,
        tenant,
        journey,
        customers: args.customers as u64,
        interactions: loaded as u64,
    })
}
