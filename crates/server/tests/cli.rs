//! The command line as operators use it: the real binary, a real SQLite file.

use std::path::Path;
use std::process::{Command, Output};

const SECRET: &str = "a-command-line-test-secret-of-enough-length";

fn journeyd(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_journeyd"))
        .args(args)
        .current_dir(dir)
        .env_remove("JOURNEYD_DATABASE_URL")
        .env("JOURNEYD_JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run journeyd")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "journeyd failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn schema_prints_the_committed_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let printed = stdout(&journeyd(dir.path(), &["schema"]));
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql"))
            .unwrap();
    assert!(printed.contains("type Query"));
    if let Some((line, (printed, committed))) = printed
        .lines()
        .zip(committed.lines())
        .enumerate()
        .find(|(_, (p, c))| p != c)
    {
        panic!(
            "schema.graphql is stale at line {}: journeyd prints {printed:?}, the file has {committed:?}; \
             regenerate it with `journeyd schema > schema.graphql`",
            line + 1
        );
    }
    assert_eq!(
        printed.len(),
        committed.len(),
        "schema.graphql is stale: regenerate it"
    );
}

#[test]
fn tenants_migrations_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let status = stdout(&journeyd(dir.path(), &["migrate", "status"]));
    assert!(status.contains("pending"), "{status}");
    stdout(&journeyd(dir.path(), &["migrate", "up"]));
    let status = stdout(&journeyd(dir.path(), &["migrate", "status"]));
    assert!(status.lines().all(|l| l.starts_with("applied")), "{status}");
    assert!(
        dir.path().join("journeyd.db").exists(),
        "the default database is journeyd.db here"
    );

    stdout(&journeyd(
        dir.path(),
        &["tenant", "create", "acme", "--name", "Acme Inc."],
    ));
    let again = journeyd(dir.path(), &["tenant", "create", "acme"]);
    assert!(!again.status.success(), "a slug is unique");
    let bad = journeyd(dir.path(), &["tenant", "create", "Not A Slug"]);
    assert!(!bad.status.success());
    assert_eq!(
        stdout(&journeyd(dir.path(), &["tenant", "list"])),
        "acme\tAcme Inc.\n"
    );

    let token = stdout(&journeyd(
        dir.path(),
        &[
            "token",
            "--tenant",
            "acme",
            "--scope",
            "journeys:read metrics:read",
            "--ttl",
            "2h",
            "--sub",
            "bi",
        ],
    ));
    let token = token.trim_end();
    assert_eq!(
        token.split('.').count(),
        3,
        "only the token is printed: {token}"
    );
    assert!(!token.contains(char::is_whitespace));

    let unknown = journeyd(
        dir.path(),
        &["token", "--tenant", "ghost", "--scope", "journeys:read"],
    );
    assert!(
        !unknown.status.success(),
        "no token for a tenant that does not exist"
    );
    let bad_scope = journeyd(
        dir.path(),
        &["token", "--tenant", "acme", "--scope", "everything"],
    );
    assert!(!bad_scope.status.success());
    assert!(String::from_utf8_lossy(&bad_scope.stderr).contains("unknown scope"));

    let down = stdout(&journeyd(dir.path(), &["migrate", "down"]));
    assert!(down.is_empty());
    let status = stdout(&journeyd(dir.path(), &["migrate", "status"]));
    assert!(status.contains("pending"), "{status}");
}

#[test]
fn serve_refuses_to_start_without_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_journeyd"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("JOURNEYD_DATABASE_URL")
        .env_remove("JOURNEYD_JWT_SECRET")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("JOURNEYD_JWT_SECRET"));
    let short = Command::new(env!("CARGO_BIN_EXE_journeyd"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("JOURNEYD_DATABASE_URL")
        .env("JOURNEYD_JWT_SECRET", "short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 32 bytes"));
}
