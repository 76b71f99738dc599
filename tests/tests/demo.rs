//! The README's first command: `journeyd serve --demo` serves the demo, and
//! the curl example it prints answers with the demo journeys. Runs the real
//! binary, and stops it with SIGTERM.

use journeyd_persistence::on_both_databases;
use journeyd_persistence::testing::{TestBackend, TestDatabase};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Demo {
    dir: tempfile::TempDir,
    database: Option<TestDatabase>,
}

async fn demo(backend: TestBackend) -> Option<Demo> {
    let database = match backend {
        TestBackend::Sqlite => None,
        TestBackend::Postgres => Some(TestDatabase::create(backend).await?),
    };
    Some(Demo {
        dir: tempfile::tempdir().unwrap(),
        database,
    })
}

on_both_databases!(demo => demo_serves_its_example_and_stops_cleanly);

/// The `journeyd` binary cargo built next to this test.
fn journeyd_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("journeyd");
    assert!(
        path.exists(),
        "build the binary first: cargo build -p journeyd ({path:?})"
    );
    path
}

/// What the demo printed: the curl example's address, token and body.
struct Printed {
    url: String,
    token: String,
    body: String,
}

fn start(demo: &Demo) -> (Child, Printed) {
    let mut command = Command::new(journeyd_binary());
    command
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .current_dir(demo.dir.path())
        .env_remove("JOURNEYD_DATABASE_URL")
        .env_remove("JOURNEYD_JWT_SECRET")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(db) = &demo.database {
        command.args(["--database-url", &db.url]);
    }
    let mut child = command.spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = stdout.lines();
    let mut curl = None;
    while let Some(Ok(line)) = lines.next() {
        if line.trim_start().starts_with("curl ") {
            curl = Some(line);
            break;
        }
    }
    let curl = curl.expect("the demo prints a curl example");
    // Keep draining standard output so the server never writes to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let between = |start: &str, end: &str| -> String {
        let from = curl
            .find(start)
            .unwrap_or_else(|| panic!("{start} in {curl}"))
            + start.len();
        let to = curl[from..].find(end).unwrap() + from;
        curl[from..to].to_owned()
    };
    let printed = Printed {
        url: between("curl -s ", " "),
        token: between("Authorization: Bearer ", "'"),
        body: between("-d '", "'"),
    };
    (child, printed)
}

fn stop(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "journeyd exits 0 after SIGTERM: {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("journeyd did not stop within 10s of SIGTERM");
}

async fn run_example(printed: &Printed) -> Value {
    reqwest::Client::new()
        .post(&printed.url)
        .header("content-type", "application/json")
        .bearer_auth(&printed.token)
        .body(printed.body.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn demo_serves_its_example_and_stops_cleanly(demo: Demo) {
    let (child, printed) = start(&demo);
    let answer = run_example(&printed).await;
    stop(child);
    assert!(answer.get("errors").is_none(), "{answer}");
    let journeys = &answer["data"]["journeys"];
    assert_eq!(
        journeys["totalCount"], 5,
        "one journey per template: {answer}"
    );
    let templates: Vec<&str> = journeys["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["template"].as_str().unwrap())
        .collect();
    assert_eq!(
        templates,
        ["CLASSIC", "DECISION", "FIVE_AS", "FOUR_STEP", "EMPTY"]
    );
    let webshop = &journeys["nodes"][0];
    assert_eq!(webshop["name"], "Webshop purchase");
    assert_eq!(webshop["phases"][2]["touchpoints"][0]["key"], "checkout");

    // A second start finds the demo tenant and adds nothing.
    let (child, printed) = start(&demo);
    let again = run_example(&printed).await;
    stop(child);
    assert_eq!(again["data"]["journeys"]["totalCount"], 5, "{again}");
}
