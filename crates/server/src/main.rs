//! The `journeyd` command.

/// mimalloc: the service allocates many small, short-lived objects (JSON
/// values, SQL parameters) from several threads, which glibc's allocator
/// serves markedly slower.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use journeyd::config::{Cli, LogFormat};
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::prelude::*;
use tracing_subscriber::{Layer, Registry, fmt};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match journeyd::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("journeyd: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error, so commands like `token` keep standard output clean.
///
/// `RUST_LOG` (default `info`) in the usual `target=level,...` form is
/// served by `Targets`, which decides once per call site. `EnvFilter` is
/// used only for what `Targets` cannot express (span and field filters):
/// it takes a lock each time a span is entered or left, and the request
/// span is entered on every poll of its future, so under a metric query
/// that streams a few hundred thousand rows it cost a tenth of the CPU.
fn init_logging(format: LogFormat) {
    // Empty pieces (`info,`) mean nothing to EnvFilter, but an error-only
    // level to Targets; no directives at all means the default.
    let directives = std::env::var("RUST_LOG").unwrap_or_default();
    let mut directives: Vec<&str> = directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.is_empty() {
        directives.push("info");
    }
    let directives = directives.join(",");
    // Targets would take `[span]` and `{field}` as part of a target name.
    let plain = !directives.contains(['[', '{']);
    let filter: Box<dyn Layer<Registry> + Send + Sync> = match plain
        .then(|| directives.parse::<Targets>())
    {
        Some(Ok(targets)) => Box::new(targets),
        _ => Box::new(EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"))),
    };
    let output = fmt::layer().with_writer(std::io::stderr);
    let output = match format {
        LogFormat::Json => output.json().boxed(),
        LogFormat::Text => output.boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .init();
}
