//! Graceful shutdown of the real binary: SIGTERM arrives while a 1000-item
//! ingest batch is in flight (held back by a lock on the table it writes).
//! The server stops accepting connections at once, still answers the batch
//! (every item accepted), stores all of it, and exits 0.

mod common;

use common::{Fixture, global, setup};
use journeyd_api::{AuthConfig, TokenIssuer};
use journeyd_domain::{Scopes, TenantSlug};
use journeyd_persistence::on_both_databases;
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "a-shutdown-test-secret-of-enough-bytes";
const ITEMS: usize = 1000;

on_both_databases!(setup => sigterm_finishes_the_batch_in_flight);

/// The child process, killed if the test fails half-way.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(database_url: &str) -> Self {
        // A free port: bind, read it, release it for the server.
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_journeyd"))
            .args([
                "serve",
                "--addr",
                &addr.to_string(),
                "--shutdown-grace",
                "60s",
            ])
            .args(["--database-url", database_url])
            .env("JOURNEYD_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start journeyd");
        Self { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn wait_until_healthy(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(self.url("/healthz")).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("journeyd did not become healthy");
    }

    /// The value of an unlabelled figure at `/metrics`.
    async fn figure(&self, client: &reqwest::Client, name: &str) -> f64 {
        let text = client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("scrape /metrics")
            .text()
            .await
            .expect("the figures");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no figure {name} in\n{text}"))
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    fn wait_for_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                return status;
            }
            assert!(Instant::now() < deadline, "journeyd did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

async fn sigterm_finishes_the_batch_in_flight(f: Fixture) {
    let mut server = Server::start(&f.db.url);
    let client = reqwest::Client::new();
    server.wait_until_healthy(&client).await;
    let token = TokenIssuer::new(AuthConfig::hs256(SECRET))
        .issue(
            "shutdown-test",
            &TenantSlug::parse("acme").unwrap(),
            &Scopes::parse("interactions:write").unwrap(),
            Duration::from_secs(600),
        )
        .expect("a token");
    let journey = global("Journey", f.journey.uuid());
    let items: Vec<Value> = (0..ITEMS)
        .map(|i| {
            json!({
                "externalId": format!("evt-{i}"),
                "customerExternalId": format!("cust-{}", i % 50),
                "journeyId": journey,
                "touchpointKey": format!("tp-{}-0", i % 4),
                "occurredAt": format!("2026-03-01T10:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                "sentiment": (i % 5) as i64 - 2,
            })
        })
        .collect();
    let body = json!({
        "query": "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { accepted duplicates rejected } }",
        "variables": { "input": { "interactions": items } },
    });

    let block = f.db.block_writes("interactions").await;
    let batch = tokio::spawn({
        let request = reqwest::Client::new()
            .post(server.url("/graphql"))
            .bearer_auth(&token)
            .json(&body);
        async move { request.send().await?.json::<Value>().await }
    });
    // The batch is in the server (waiting for the lock) before SIGTERM.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.figure(&client, "journeyd_requests_in_flight").await < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the batch never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(client);
    server.terminate();

    // New connections are refused while the batch is still being served.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&server.addr, Duration::from_millis(200)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "journeyd exited with a request in flight"
    );
    assert!(!batch.is_finished(), "the batch was answered while blocked");

    drop(block);
    let answer = batch
        .await
        .expect("the request task")
        .expect("the batch is answered after SIGTERM");
    assert_eq!(
        answer["data"]["recordInteractions"],
        json!({ "accepted": ITEMS, "duplicates": 0, "rejected": 0 }),
        "{answer}"
    );
    let status = server.wait_for_exit(Duration::from_secs(30));
    assert!(status.success(), "journeyd exited with {status}");

    let snapshot = f.store.rollup_snapshot(f.tenant).await.unwrap();
    let stored: i64 = snapshot
        .stats
        .iter()
        .map(|(_, c)| c.tally.interactions)
        .sum();
    assert_eq!(stored, ITEMS as i64, "every accepted interaction is stored");
}
