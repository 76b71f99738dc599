//! The real `journeyd` binary as a child process, for the benchmarks and
//! checks that need a separate server (its own memory, its own CLI), and
//! the database they run on.

use anyhow::{Context, ensure};
use journeyd_api::{AuthConfig, TokenIssuer};
use journeyd_domain::{Scopes, TenantSlug};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The HS256 secret the child server and the tokens share.
const SECRET: &str = "a-benchmark-server-secret-that-is-long-enough";

/// A running `journeyd serve`, killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `binary` (default: `journeyd` next to this program) serving
    /// `database_url` on a free loopback port, with `args` added and
    /// `rust_log` as its log filter, and waits until `/readyz` says 200.
    pub async fn start(
        binary: Option<&PathBuf>,
        database_url: &str,
        args: &[String],
        rust_log: &str,
    ) -> anyhow::Result<Self> {
        let binary = match binary {
            Some(path) => path.clone(),
            None => std::env::current_exe()?
                .parent()
                .context("the bench binary's directory")?
                .join("journeyd"),
        };
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new(&binary)
            .args(["serve", "--addr", &addr.to_string()])
            .args(["--database-url", database_url])
            .args(args)
            .env("JOURNEYD_JWT_SECRET", SECRET)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let server = Self { child, addr };
        server
            .wait_for(&format!("{}/readyz", server.url()), Duration::from_secs(60))
            .await?;
        Ok(server)
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A token for `tenant` with `scopes`, valid for an hour.
    pub fn token(&self, tenant: &str, scopes: &str) -> anyhow::Result<String> {
        Ok(TokenIssuer::new(AuthConfig::hs256(SECRET)).issue(
            "bench",
            &TenantSlug::parse(tenant)?,
            &Scopes::parse(scopes)?,
            Duration::from_secs(3600),
        )?)
    }

    /// Waits until `url` answers 200.
    pub async fn wait_for(&self, url: &str, within: Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + within;
        loop {
            if let Ok(response) = client.get(url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            ensure!(Instant::now() < deadline, "{url} did not answer 200");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's peak resident memory so far, in MiB (Linux).
    pub fn peak_memory_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

/// The benchmark's database: `url`, or a new SQLite file in `dir`; opened
/// with `options`, and migrated when `migrate` says so. Returns its URL too
/// (for a child server).
pub async fn open_database(
    url: Option<&str>,
    dir: &tempfile::TempDir,
    options: &journeyd_persistence::DatabaseOptions,
    migrate: bool,
) -> anyhow::Result<(String, journeyd_persistence::Database)> {
    let url = url.map_or_else(
        || {
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            )
        },
        str::to_owned,
    );
    let db = journeyd_persistence::Database::connect(&url, options).await?;
    if migrate {
        db.migrate_up().await?;
    }
    Ok((url, db))
}
