//! `journeyd-bench read`: the nested journey-map query — what frontends call
//! most — under load. It starts the real `journeyd` binary over the
//! database, seeds a journey map, and for a bounded time keeps `concurrency`
//! requests in flight over loopback, reporting requests/s, p50, p99 and the
//! server's peak memory. In the same run, with the same concurrency and a
//! pool of the same size, it reads the same data with the fewest plain SQL
//! statements (five) as the database's own limit.

use crate::server::{Server, open_database};
use anyhow::ensure;
use journeyd_api::graphql::{GlobalId, NodeKind};
use journeyd_domain::{JourneyId, Name, TenantId, TenantSlug};
use journeyd_persistence::{Backend, DatabaseOptions, Store};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};

/// Options of `journeyd-bench read`.
#[derive(clap::Args, Debug)]
pub struct ReadArgs {
    /// The database (default: a new SQLite file in a temporary directory).
    #[arg(long, env = "JOURNEYD_BENCH_DATABASE_URL")]
    database_url: Option<String>,
    /// The journeyd binary (default: next to this one).
    #[arg(long)]
    journeyd: Option<std::path::PathBuf>,
    /// Requests in flight at once (and plain reads at once).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds each side is measured.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Seconds each side runs first, unmeasured.
    #[arg(long, default_value_t = 3)]
    warmup_seconds: u64,
    /// Phases of the journey map (each with 3 touchpoints, 3 insights and a
    /// trigger).
    #[arg(long, default_value_t = 6)]
    phases: usize,
    /// Database connections of the server's pool and of the baseline's.
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// The server's journey-map answer cache, in MiB (0: every request runs
    /// the query).
    #[arg(long, default_value_t = 16)]
    map_cache_mib: usize,
}

/// The query frontends call most.
pub const MAP_QUERY: &str = "query JourneyMap($id: ID!) {
  journey(id: $id) {
    name
    personas { name preferredChannels }
    triggers { name kind phase { name } }
    phases {
      name position
      touchpoints { key name channel { name kind } insights { title severity } }
    }
  }
}";

/// Latencies and the time they were measured over.
struct Sample {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Sample {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((sorted.len() as f64 * p).ceil() as usize).max(1);
        sorted.get(rank - 1).copied().unwrap_or_default()
    }
}

/// Keeps `concurrency` calls of `call` in flight for `warmup`, then measures
/// for `measured`. Every call must succeed.
async fn load<F, Fut>(
    concurrency: usize,
    warmup: Duration,
    measured: Duration,
    call: F,
) -> anyhow::Result<Sample>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + measured;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let call = call.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let sent = Instant::now();
                if sent >= end {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                call().await?;
                if sent >= measure_from {
                    latencies.push(sent.elapsed());
                }
            }
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done??);
    }
    Ok(Sample {
        latencies,
        // Calls started before `end` finish after it: count until the last.
        elapsed: start.elapsed().saturating_sub(warmup),
    })
}

async fn seed(store: &Store, phases: usize) -> anyhow::Result<(TenantId, String, JourneyId)> {
    let slug = format!("read-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let tenant = store
        .create_tenant(TenantSlug::parse(&slug)?, Name::parse("name", &slug)?)
        .await?
        .id;
    let journey = store.seed_map(tenant, "bench", phases).await?;
    Ok((tenant, slug, journey))
}

/// Runs the read benchmark.
pub async fn run(args: ReadArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let options = DatabaseOptions {
        max_connections: args.connections,
        ..DatabaseOptions::default()
    };
    let (url, db) = open_database(args.database_url.as_deref(), &dir, &options, true).await?;
    let store = Store::new(db.clone());
    let (tenant, slug, journey) = seed(&store, args.phases).await?;
    db.execute_unprepared("ANALYZE").await?;
    let backend = match db.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };

    let server = Server::start(
        args.journeyd.as_ref(),
        &url,
        &[
            "--db-max-connections".to_owned(),
            args.connections.to_string(),
            "--map-cache-mib".to_owned(),
            args.map_cache_mib.to_string(),
        ],
        "warn",
    )
    .await?;
    let token = server.token(&slug, "journeys:read")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let body = serde_json::to_vec(&json!({
        "query": MAP_QUERY,
        "variables": { "id": GlobalId::encode(NodeKind::Journey, journey.uuid()).0 },
    }))?;
    let endpoint = format!("{}/graphql", server.url());
    let first: Value = client
        .post(&endpoint)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await?
        .json()
        .await?;
    let phases = first["data"]["journey"]["phases"]
        .as_array()
        .map_or(0, Vec::len);
    ensure!(phases == args.phases, "the map query failed: {first}");
    let response_bytes = first.to_string().len();
    eprintln!(
        "{backend}: journey map of {} phases, {} touchpoints ({response_bytes} bytes of JSON), \
         concurrency {}, {} s",
        args.phases,
        args.phases * 3,
        args.concurrency,
        args.seconds
    );

    let warmup = Duration::from_secs(args.warmup_seconds);
    let measured = Duration::from_secs(args.seconds);
    let service = load(args.concurrency, warmup, measured, {
        let (client, endpoint, token) = (client.clone(), endpoint.clone(), token.clone());
        move || {
            let request = client
                .post(&endpoint)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body.clone());
            async move {
                let response = request.send().await?;
                ensure!(response.status().is_success(), "{}", response.status());
                let bytes = response.bytes().await?;
                ensure!(bytes.len() == response_bytes, "an unexpected answer");
                Ok(())
            }
        }
    })
    .await?;
    let peak = server.peak_memory_mib();
    drop(server);

    let rows = store.read_map_plain(tenant, journey).await?;
    let plain = load(args.concurrency, warmup, measured, {
        let store = store.clone();
        move || {
            let store = store.clone();
            async move {
                let read = store.read_map_plain(tenant, journey).await?;
                ensure!(read == rows, "the plain read changed");
                Ok(())
            }
        }
    })
    .await?;
    db.close().await?;

    println!(
        "| backend | answer cache | concurrency | service req/s | p50 | p99 | p99/p50 | peak memory | plain SQL reads/s | plain p50 | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | {} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.1} | {} | {:.0} | {:.1} ms | {:.2} |",
        if args.map_cache_mib > 0 { "on" } else { "off" },
        args.concurrency,
        service.rate(),
        ms(service.percentile(0.5)),
        ms(service.percentile(0.99)),
        ms(service.percentile(0.99)) / ms(service.percentile(0.5)).max(f64::MIN_POSITIVE),
        peak.map_or_else(|| "?".to_owned(), |mib| format!("{mib:.0} MiB")),
        plain.rate(),
        ms(plain.percentile(0.5)),
        service.rate() / plain.rate()
    );
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
