//! `journeyd import`: a 100,000-line file imports once, with rejected lines
//! reported by line number; importing it again stores nothing twice.

mod common;

use common::{Fixture, global, name, setup};
use journeyd_domain::*;
use journeyd_persistence::on_both_databases;
use std::io::Write;
use std::process::Command;

on_both_databases!(setup => a_large_file_imports_once, csv_files_and_customers_import);

fn import(f: &Fixture, what: &str, file: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_journeyd"))
        .args(["import", what])
        .arg(file)
        .args(["--tenant", "acme", "--database-url", &f.db.url])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn stored(f: &Fixture) -> i64 {
    f.store
        .rollup_snapshot(f.tenant)
        .await
        .unwrap()
        .interactions()
}

const LINES: usize = 100_000;

async fn a_large_file_imports_once(f: Fixture) {
    let path = f.dir.path().join("events.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let touchpoints: Vec<String> = f
        .touchpoints
        .iter()
        .map(|tp| global("Touchpoint", tp.uuid()))
        .collect();
    let journey = global("Journey", f.journey.uuid());
    let mut bad_lines = Vec::new();
    for i in 0..LINES {
        let line = i + 1;
        if i % 10_007 == 5 {
            writeln!(file, "{{ this is not json").unwrap();
            bad_lines.push(line);
        } else if i % 10_007 == 6 {
            writeln!(file, r#"{{"externalId":"e{i}","customerExternalId":"c{}","touchpointId":"{}","occurredAt":"2999-01-01T00:00:00Z"}}"#, i % 5000, touchpoints[0]).unwrap();
            bad_lines.push(line);
        } else if i % 3 == 0 {
            writeln!(
                file,
                r#"{{"externalId":"e{i}","customerExternalId":"c{}","journeyId":"{journey}","touchpointKey":"tp-{}-0","occurredAt":"2026-0{}-{:02}T{:02}:00:00Z","sentiment":{}}}"#,
                i % 5000,
                i % 4,
                1 + i % 9,
                1 + i % 28,
                i % 24,
                (i % 5) as i64 - 2
            )
            .unwrap();
        } else {
            writeln!(
                file,
                r#"{{"externalId":"e{i}","customerExternalId":"c{}","touchpointId":"{}","occurredAt":"2026-0{}-{:02}T{:02}:30:00+01:00","rating":{},"value":{{"amount":"{}.50","currency":"EUR"}}}}"#,
                i % 5000,
                touchpoints[i % 4],
                1 + i % 9,
                1 + i % 28,
                i % 24,
                1 + i % 5,
                i % 100
            )
            .unwrap();
        }
    }
    file.flush().unwrap();
    drop(file);

    let summary = import(&f, "interactions", &path);
    let expected = LINES - bad_lines.len();
    assert!(
        summary.contains(&format!(
            "{LINES} lines, {expected} accepted, 0 duplicates, {} rejected",
            bad_lines.len()
        )),
        "{summary}"
    );
    assert_eq!(stored(&f).await, expected as i64);
    let rejects =
        std::fs::read_to_string(f.dir.path().join("events.ndjson.rejects.ndjson")).unwrap();
    let lines: Vec<u64> = rejects
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        lines,
        bad_lines.iter().map(|l| *l as u64).collect::<Vec<_>>()
    );

    let again = import(&f, "interactions", &path);
    assert!(
        again.contains(&format!("{LINES} lines, 0 accepted, {expected} duplicates")),
        "{again}"
    );
    assert_eq!(stored(&f).await, expected as i64, "nothing twice");
    let before = f.store.rollup_snapshot(f.tenant).await.unwrap();
    f.store.rebuild_rollups(f.tenant).await.unwrap();
    assert_eq!(f.store.rollup_snapshot(f.tenant).await.unwrap(), before);
}

async fn csv_files_and_customers_import(f: Fixture) {
    let persona = f
        .store
        .create_persona(
            f.tenant,
            NewPersona {
                name: name("Loyal"),
                description: None,
                demographics: vec![],
                goals: vec![],
                frustrations: vec![],
                motivations: vec![],
                preferred_channels: vec![],
            },
        )
        .await
        .unwrap()
        .id;
    let customers = f.dir.path().join("customers.ndjson");
    std::fs::write(
        &customers,
        format!(
            "{{\"externalId\":\"c1\",\"personaId\":\"{}\",\"attributes\":{{\"tier\":\"gold\"}}}}\n{{\"externalId\":\"c2\"}}\n{{\"externalId\":\"c3\",\"personId\":\"typo\"}}\n",
            global("Persona", persona.uuid())
        ),
    )
    .unwrap();
    let summary = import(&f, "customers", &customers);
    assert!(
        summary.contains("3 lines, 2 created or updated, 0 unchanged, 1 rejected"),
        "{summary}"
    );
    let again = import(&f, "customers", &customers);
    assert!(
        again.contains("3 lines, 0 created or updated, 2 unchanged, 1 rejected"),
        "{again}"
    );

    let csv = f.dir.path().join("events.csv");
    let tp = global("Touchpoint", f.touchpoints[1].uuid());
    std::fs::write(
        &csv,
        format!(
            "externalId,customerExternalId,touchpointId,journeyId,touchpointKey,occurredAt,sentiment,rating,nps,valueAmount,valueCurrency,properties\n\
             x1,c1,{tp},,,2026-03-02T09:00:00Z,1,,9,10.00,EUR,\"{{\"\"source\"\":\"\"csv\"\"}}\"\n\
             x2,c2,,{},tp-2-0,2026-03-03T09:00:00Z,,,,,,\n\
             x3,c2,{tp},,,2026-03-03T09:00:00Z,9,,,,,\n",
            global("Journey", f.journey.uuid())
        ),
    )
    .unwrap();
    let summary = import(&f, "interactions", &csv);
    assert!(
        summary.contains("3 lines, 2 accepted, 0 duplicates, 1 rejected"),
        "{summary}"
    );
    let rejects = std::fs::read_to_string(f.dir.path().join("events.csv.rejects.ndjson")).unwrap();
    let reject: serde_json::Value = serde_json::from_str(rejects.trim()).unwrap();
    assert_eq!(reject["line"], 4);
    assert_eq!(reject["externalId"], "x3");
    assert!(reject["message"].as_str().unwrap().contains("sentiment"));
}
