//! `journeyd-bench`: measures journeyd against the database's own limit.
//!
//! `journeyd-bench ingest` generates time-ordered interactions, pushes them
//! through real HTTP GraphQL `recordInteractions` calls (batches of 1000) to
//! a journeyd served on loopback, and in the same run inserts the same rows
//! into the same tables with plain multi-row INSERTs (no service, no checks,
//! no rollups). It prints events per second for both and their ratio.
//!
//! `journeyd-bench read` loads the nested journey-map query at concurrency
//! 64 on a journeyd binary and reads the same data with plain SQL.
//!
//! `journeyd-bench dashboard` loads a million customers' year of
//! interactions and times the BI dashboard against raw SQL.
//!
//! `journeyd-bench outage` stops and restarts PostgreSQL under ingest load
//! and checks that journeyd answers quickly, recovers, and lost nothing it
//! acknowledged.

mod dashboard;
mod ingest;
mod outage;
mod read;
mod server;

/// mimalloc: the service allocates many small, short-lived objects (JSON
/// values, SQL parameters) from several threads, which glibc's allocator
/// serves markedly slower.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// journeyd's benchmarks.
#[derive(Parser, Debug)]
#[command(name = "journeyd-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ingest throughput: the service over HTTP against plain INSERTs.
    Ingest(ingest::IngestArgs),
    /// The metrics dashboard at scale against raw SQL over the interactions.
    Dashboard(dashboard::DashboardArgs),
    /// The journey-map read path under load against plain SQL reads.
    Read(read::ReadArgs),
    /// A database outage under ingest load: quick 503s, recovery, nothing lost.
    Outage(outage::OutageArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ingest(args) => ingest::run(args).await,
        Command::Outage(args) => outage::run(args).await,
        Command::Read(args) => read::run(args).await,
        Command::Dashboard(args) => dashboard::run(args).await,
    }
}
