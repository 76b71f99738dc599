//! `journeyd-bench outage`: the database goes away under ingest load and
//! comes back. It starts the real `journeyd` binary on the given PostgreSQL
//! database, pushes interaction batches from several clients that retry a
//! batch until it is answered (as CRM integrations do), stops the database
//! with a command, keeps the load on, starts it again, and then checks:
//!
//! - during the outage every answer is 503 `UNAVAILABLE`, and quick;
//! - `/readyz` says 503 during the outage and 200 after it;
//! - journeyd recovers by itself and keeps running;
//! - every interaction it acknowledged (accepted or duplicate) is stored,
//!   and nothing else is.

use crate::ingest::seed_tenant;
use crate::server::Server;
use anyhow::{Context, bail, ensure};
use journeyd_api::graphql::{GlobalId, NodeKind};
use journeyd_persistence::{Database, DatabaseOptions, Store};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Options of `journeyd-bench outage`.
#[derive(clap::Args, Debug)]
pub struct OutageArgs {
    /// The PostgreSQL database journeyd serves (it gets a new tenant).
    #[arg(long, env = "JOURNEYD_BENCH_DATABASE_URL")]
    database_url: String,
    /// A shell command that stops the database server.
    #[arg(long)]
    stop: String,
    /// A shell command that starts it again.
    #[arg(long)]
    start: String,
    /// The journeyd binary (default: next to this one).
    #[arg(long)]
    journeyd: Option<std::path::PathBuf>,
    /// Clients pushing batches at once.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Interactions per batch.
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// Seconds of load before the outage, and again after recovery.
    #[arg(long, default_value_t = 5)]
    steady_seconds: u64,
    /// Seconds the database stays down.
    #[arg(long, default_value_t = 10)]
    outage_seconds: u64,
}

/// The part of the run an answer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Answered before the stop command began.
    Before,
    /// While the database stopped or started: either answer is fine.
    Transition,
    /// Sent after the database was down, answered before it was started.
    Outage,
    /// Sent after the database was up again.
    After,
}

/// When the database went down and came back.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    stop_began: Instant,
    stop_done: Instant,
    start_began: Instant,
    start_done: Instant,
}

impl Timeline {
    fn phase(&self, answer: &Answer) -> Phase {
        let answered = answer.sent + answer.latency;
        if answered < self.stop_began {
            Phase::Before
        } else if answer.sent >= self.stop_done && answered < self.start_began {
            Phase::Outage
        } else if answer.sent >= self.start_done {
            Phase::After
        } else {
            Phase::Transition
        }
    }
}

/// One answer a client saw.
#[derive(Debug, Clone)]
struct Answer {
    sent: Instant,
    status: u16,
    code: Option<String>,
    latency: Duration,
}

impl Answer {
    fn unavailable(&self) -> bool {
        self.status == 503 && self.code.as_deref() == Some("UNAVAILABLE")
    }
}

/// What the clients saw, shared while they run.
#[derive(Default)]
struct Log {
    answers: Vec<Answer>,
    acknowledged: HashSet<String>,
}

fn shell(command: &str) -> anyhow::Result<()> {
    let status = Command::new("sh").args(["-c", command]).status()?;
    ensure!(status.success(), "`{command}` failed with {status}");
    Ok(())
}

/// Runs the outage check.
pub async fn run(args: OutageArgs) -> anyhow::Result<()> {
    let db = Database::connect(&args.database_url, &DatabaseOptions::default()).await?;
    db.migrate_up().await?;
    let store = Store::new(db.clone());
    let slug = format!(
        "outage-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    let (tenant, _, touchpoints) = seed_tenant(&store, &slug).await?;
    let touchpoints: Vec<String> = touchpoints
        .iter()
        .map(|tp| GlobalId::encode(NodeKind::Touchpoint, tp.uuid()).0)
        .collect();
    db.close().await?;

    // Every 503 is logged at warn; the check wants the outage's start and
    // end only.
    let server = Server::start(
        args.journeyd.as_ref(),
        &args.database_url,
        &[],
        "error,journeyd_api::http::outage=info",
    )
    .await?;
    let token = server.token(&slug, "interactions:write")?;
    let base = server.url();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;

    let running = Arc::new(AtomicBool::new(true));
    let log = Arc::new(Mutex::new(Log::default()));
    let mut clients = tokio::task::JoinSet::new();
    for id in 0..args.clients {
        let load = Load {
            client: client.clone(),
            endpoint: format!("{base}/graphql"),
            token: token.clone(),
            touchpoints: touchpoints.clone(),
            batch: args.batch,
            running: Arc::clone(&running),
            log: Arc::clone(&log),
        };
        clients.spawn(load.run(id));
    }

    let steady = Duration::from_secs(args.steady_seconds);
    tokio::time::sleep(steady).await;
    eprintln!("stopping the database: {}", args.stop);
    let stop_began = Instant::now();
    shell(&args.stop)?;
    let stop_done = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.outage_seconds) / 2).await;
    let ready_during = client.get(format!("{base}/readyz")).send().await?.status();
    tokio::time::sleep(
        Duration::from_secs(args.outage_seconds).saturating_sub(stop_done.elapsed()),
    )
    .await;
    eprintln!("starting the database: {}", args.start);
    let start_began = Instant::now();
    shell(&args.start)?;
    let start_done = Instant::now();
    let timeline = Timeline {
        stop_began,
        stop_done,
        start_began,
        start_done,
    };
    let recovered_in = wait_for_success(&log, start_done, Duration::from_secs(60)).await?;
    tokio::time::sleep(steady).await;
    running.store(false, Ordering::SeqCst);
    while let Some(done) = clients.join_next().await {
        done??;
    }
    let ready_after = client.get(format!("{base}/readyz")).send().await?.status();

    let log = std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()));
    let db = Database::connect(&args.database_url, &DatabaseOptions::default()).await?;
    let stored: Vec<String> = Store::new(db.clone())
        .interaction_external_ids(tenant)
        .await?;
    db.close().await?;
    report(
        &log,
        &timeline,
        ready_during.as_u16(),
        ready_after.as_u16(),
        recovered_in,
        &stored,
    )
}

/// Checks the run and prints what it saw.
fn report(
    log: &Log,
    timeline: &Timeline,
    ready_during: u16,
    ready_after: u16,
    recovered_in: Duration,
    stored: &[String],
) -> anyhow::Result<()> {
    let of = |phase: Phase| {
        log.answers
            .iter()
            .filter(move |a| timeline.phase(a) == phase)
    };
    let outage: Vec<&Answer> = of(Phase::Outage).collect();
    let mut latencies: Vec<Duration> = outage.iter().map(|a| a.latency).collect();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    };
    let stored_set: HashSet<&str> = stored.iter().map(String::as_str).collect();
    let missing = log
        .acknowledged
        .iter()
        .filter(|id| !stored_set.contains(id.as_str()))
        .count();
    println!("| phase | answers | 200 | 503 UNAVAILABLE | other |");
    println!("|---|---|---|---|---|");
    for (name, phase) in [
        ("before", Phase::Before),
        ("stopping/starting", Phase::Transition),
        ("outage", Phase::Outage),
        ("after", Phase::After),
    ] {
        let answers: Vec<&Answer> = of(phase).collect();
        let ok = answers.iter().filter(|a| a.status == 200).count();
        let unavailable = answers.iter().filter(|a| a.unavailable()).count();
        println!(
            "| {name} | {} | {ok} | {unavailable} | {} |",
            answers.len(),
            answers.len() - ok - unavailable
        );
    }
    println!(
        "outage answers: p50 {:?}, p99 {:?}, max {:?}; /readyz during {ready_during}, after {ready_after}; \
         recovered {:.1?} after the restart",
        percentile(0.5),
        percentile(0.99),
        percentile(1.0),
        recovered_in
    );
    println!(
        "acknowledged {} interactions, stored {}, missing {missing}",
        log.acknowledged.len(),
        stored.len()
    );

    let strays: Vec<&Answer> = log
        .answers
        .iter()
        .filter(|a| a.status != 200 && !a.unavailable())
        .collect();
    ensure!(
        strays.is_empty(),
        "answers other than 200 or 503 UNAVAILABLE: {strays:?}"
    );
    ensure!(!outage.is_empty(), "no request was sent during the outage");
    let served: Vec<&&Answer> = outage.iter().filter(|a| !a.unavailable()).collect();
    ensure!(
        served.is_empty(),
        "answers other than 503 UNAVAILABLE during the outage: {served:?}"
    );
    ensure!(
        of(Phase::Before).all(|a| a.status == 200),
        "failures before the outage"
    );
    ensure!(
        percentile(0.5) < Duration::from_millis(100),
        "outage answers are slow: median {:?}",
        percentile(0.5)
    );
    ensure!(
        percentile(1.0) < Duration::from_secs(5),
        "an outage answer took {:?}",
        percentile(1.0)
    );
    ensure!(
        ready_during == 503,
        "/readyz said {ready_during} during the outage"
    );
    ensure!(
        ready_after == 200,
        "/readyz said {ready_after} after the outage"
    );
    ensure!(
        of(Phase::After).any(|a| a.status == 200),
        "no success after the restart"
    );
    ensure!(
        missing == 0,
        "{missing} acknowledged interactions are not stored"
    );
    if stored.len() != log.acknowledged.len() {
        bail!(
            "{} interactions are stored but {} were acknowledged (every batch is retried until answered)",
            stored.len(),
            log.acknowledged.len()
        );
    }
    Ok(())
}

/// How long after `since` the first batch succeeded.
async fn wait_for_success(
    log: &Mutex<Log>,
    since: Instant,
    within: Duration,
) -> anyhow::Result<Duration> {
    let seen_before = log.lock().unwrap_or_else(|e| e.into_inner()).answers.len();
    loop {
        let succeeded = log.lock().unwrap_or_else(|e| e.into_inner()).answers[seen_before..]
            .iter()
            .any(|a| a.sent >= since && a.status == 200);
        if succeeded {
            return Ok(since.elapsed());
        }
        ensure!(
            since.elapsed() < within,
            "journeyd did not recover within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One client pushing batches, each retried until it is answered.
struct Load {
    client: reqwest::Client,
    endpoint: String,
    token: String,
    touchpoints: Vec<String>,
    batch: usize,
    running: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
}

impl Load {
    async fn run(self, id: usize) -> anyhow::Result<()> {
        let mut sequence = 0usize;
        while self.running.load(Ordering::SeqCst) {
            let ids: Vec<String> = (0..self.batch)
                .map(|i| format!("c{id}-b{sequence}-{i}"))
                .collect();
            let items: Vec<Value> = ids
                .iter()
                .enumerate()
                .map(|(i, external_id)| {
                    json!({
                        "externalId": external_id,
                        "customerExternalId": format!("cust-{}", (sequence * 7 + i) % 500),
                        "touchpointId": self.touchpoints[(sequence + i) % self.touchpoints.len()],
                        "occurredAt": chrono::Utc::now().to_rfc3339(),
                        "sentiment": (i % 5) as i64 - 2,
                    })
                })
                .collect();
            let body = json!({
                "query": "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { results { externalId status } } }",
                "variables": { "input": { "interactions": items } },
            });
            // Retried until answered, as a CRM integration would.
            loop {
                let sent = Instant::now();
                let response = self
                    .client
                    .post(&self.endpoint)
                    .bearer_auth(&self.token)
                    .json(&body)
                    .send()
                    .await
                    .context("journeyd stopped answering")?;
                let status = response.status().as_u16();
                let answer: Value = response
                    .json()
                    .await
                    .context("an answer that is not JSON")?;
                let latency = sent.elapsed();
                let code = answer["errors"][0]["extensions"]["code"]
                    .as_str()
                    .map(str::to_owned);
                let acknowledged: Option<Vec<String>> = (status == 200)
                    .then(|| answer["data"]["recordInteractions"]["results"].as_array())
                    .flatten()
                    .map(|results| {
                        results
                            .iter()
                            .filter(|r| {
                                matches!(r["status"].as_str(), Some("ACCEPTED" | "DUPLICATE"))
                            })
                            .filter_map(|r| r["externalId"].as_str().map(str::to_owned))
                            .collect()
                    });
                let answered = {
                    let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
                    log.answers.push(Answer {
                        sent,
                        status,
                        code,
                        latency,
                    });
                    match acknowledged {
                        Some(acknowledged) if acknowledged.len() != ids.len() => {
                            bail!("a batch was not fully acknowledged: {answer}")
                        }
                        Some(acknowledged) => {
                            log.acknowledged.extend(acknowledged);
                            true
                        }
                        None => false,
                    }
                };
                if answered {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            sequence += 1;
        }
        Ok(())
    }
}
