//! Every request limit at its bound (the request runs) and just over it (a
//! clear error, nothing done), with the defaults and with small configured
//! limits; the time limit; introspection and suggestions switched off.

use journeyd_api::Limits;
use journeyd_e2e::{AppOptions, TENANT, TestApp, error_code, on_both_databases};
use journeyd_persistence::testing::TestBackend;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use std::time::Duration;

on_both_databases!(default_app =>
    default_limits_hold_at_and_just_over_their_bounds,
);

on_both_databases!(small_app =>
    configured_limits_hold_at_and_just_over_their_bounds,
);

on_both_databases!(impatient_app =>
    requests_over_the_time_limit_are_stopped_and_change_nothing,
);

on_both_databases!(production_app =>
    introspection_and_suggestions_can_be_switched_off,
);

async fn default_app(backend: TestBackend) -> Option<TestApp> {
    TestApp::spawn_with_options(backend, AppOptions::default()).await
}

fn small_limits() -> Limits {
    Limits {
        max_body_bytes: 4096,
        max_document_bytes: 1024,
        max_depth: 6,
        max_complexity: 200,
        max_aliases: 5,
        max_directives: 4,
        max_batch_operations: 3,
        max_page_size: 50,
        max_batch_items: 5,
        ..Limits::default()
    }
}

async fn small_app(backend: TestBackend) -> Option<TestApp> {
    let options = AppOptions {
        limits: small_limits(),
        ..AppOptions::default()
    };
    TestApp::spawn_with_options(backend, options).await
}

async fn impatient_app(backend: TestBackend) -> Option<TestApp> {
    let options = AppOptions {
        limits: Limits {
            request_timeout: Duration::from_millis(300),
            ..Limits::default()
        },
        ..AppOptions::default()
    };
    TestApp::spawn_with_options(backend, options).await
}

async fn production_app(backend: TestBackend) -> Option<TestApp> {
    let options = AppOptions {
        limits: Limits {
            introspection: false,
            suggestions: false,
            ..Limits::default()
        },
        ..AppOptions::default()
    };
    TestApp::spawn_with_options(backend, options).await
}

async fn default_limits_hold_at_and_just_over_their_bounds(app: TestApp) {
    check_limits(&app, &Limits::default()).await;
}

async fn configured_limits_hold_at_and_just_over_their_bounds(app: TestApp) {
    check_limits(&app, &small_limits()).await;
}

/// Posts a raw JSON body; returns the status and the body.
async fn post_body(app: &TestApp, body: String) -> (StatusCode, Value) {
    let response = app
        .client()
        .post(app.graphql_url())
        .bearer_auth(app.admin_token())
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/graphql-response+json")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

async fn query(app: &TestApp, query: &str) -> (StatusCode, Value) {
    post_body(app, json!({ "query": query }).to_string()).await
}

/// Runs `query` and asserts it was not refused by a limit.
async fn within(app: &TestApp, what: &str, document: &str) -> Value {
    let (status, body) = query(app, document).await;
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    assert!(body.get("errors").is_none(), "{what}: {body}");
    body
}

/// Runs `query` and asserts a limit refused it before it ran.
async fn over(app: &TestApp, what: &str, document: &str) {
    let (status, body) = query(app, document).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{what}: {body}");
    assert!(body.get("data").is_none(), "{what}: {body}");
}

/// A query `depth` fields deep: journeys → nodes → personas → journeys → ...
fn deep_query(depth: usize) -> String {
    assert!(depth >= 3);
    let mut fields = vec!["journeys(first: 1)", "nodes"];
    while fields.len() < depth - 1 {
        fields.push(if fields.len() % 2 == 0 {
            "personas"
        } else {
            "journeys"
        });
    }
    let open: String = fields.iter().map(|f| format!("{f} {{ ")).collect();
    format!("{{ {open}id {} }}", "} ".repeat(fields.len()))
}

/// A query costing exactly `cost`: a page of `page` journeys selecting
/// `totalCount` k times (k × page), and a page of r personas (r).
fn costly_query(cost: usize, page: usize) -> String {
    let (k, r) = (cost / page, cost % page);
    let rest = if r > 0 {
        format!("personas(first: {r}) {{ totalCount }}")
    } else {
        String::new()
    };
    format!(
        "{{ journeys(first: {page}) {{ {}}} {rest} }}",
        "totalCount ".repeat(k)
    )
}

fn aliased_query(aliases: usize) -> String {
    let fields: String = (0..aliases).map(|i| format!("a{i}: __typename ")).collect();
    format!("{{ __typename {fields}}}")
}

fn directed_query(directives: usize) -> String {
    format!(
        "{{ {} }}",
        "__typename @include(if: true) ".repeat(directives)
    )
}

/// `{ __typename }` padded with a comment to exactly `bytes` bytes.
fn sized_query(bytes: usize) -> String {
    let core = "{ __typename }\n#";
    format!("{core}{}", "x".repeat(bytes - core.len()))
}

/// A request body of exactly `bytes` bytes (JSON padded with spaces).
fn sized_body(bytes: usize) -> String {
    let core = json!({ "query": "{ __typename }" }).to_string();
    format!("{}{core}", " ".repeat(bytes - core.len()))
}

async fn check_limits(app: &TestApp, limits: &Limits) {
    let seeded = app.seed(TENANT).await;

    let depth = limits.max_depth;
    within(app, "depth at the limit", &deep_query(depth)).await;
    over(app, "depth over the limit", &deep_query(depth + 1)).await;

    let page = limits.max_page_size as usize;
    let cost = limits.max_complexity;
    within(app, "cost at the limit", &costly_query(cost, page)).await;
    over(app, "cost over the limit", &costly_query(cost + 1, page)).await;
    // A bigger page costs more: the same selection over a page of one is cheap.
    within(app, "a cheap page", &costly_query(cost / page, 1)).await;

    within(
        app,
        "aliases at the limit",
        &aliased_query(limits.max_aliases),
    )
    .await;
    over(
        app,
        "aliases over the limit",
        &aliased_query(limits.max_aliases + 1),
    )
    .await;

    within(
        app,
        "directives at the limit",
        &directed_query(limits.max_directives),
    )
    .await;
    over(
        app,
        "directives over the limit",
        &directed_query(limits.max_directives + 1),
    )
    .await;

    within(
        app,
        "document at the limit",
        &sized_query(limits.max_document_bytes),
    )
    .await;
    over(
        app,
        "document over the limit",
        &sized_query(limits.max_document_bytes + 1),
    )
    .await;

    let batch = |n: usize| json!(vec![json!({ "query": "{ __typename }" }); n]).to_string();
    let (status, body) = post_body(app, batch(limits.max_batch_operations)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body.as_array().map(Vec::len),
        Some(limits.max_batch_operations)
    );
    let (status, body) = post_body(app, batch(limits.max_batch_operations + 1)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED");

    let (status, body) = post_body(app, sized_body(limits.max_body_bytes)).await;
    assert_eq!(status, StatusCode::OK, "body at the limit: {body}");
    // Over the limit, refused on the announced length before it is read ...
    let over = limits.max_body_bytes + 1;
    let response = raw_post(app, &format!("Content-Length: {over}"), b"").await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("LIMIT_EXCEEDED"), "{response}");
    // ... and, sent without a length, cut off once it passes the limit.
    let chunked = |body: &[u8], finish: bool| {
        let mut encoded = Vec::new();
        for chunk in body.chunks(1000) {
            encoded.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            encoded.extend_from_slice(chunk);
            encoded.extend_from_slice(b"\r\n");
        }
        if finish {
            encoded.extend_from_slice(b"0\r\n\r\n");
        } else {
            encoded.truncate(encoded.len() - 2);
        }
        encoded
    };
    let payload = chunked(sized_body(over).as_bytes(), false);
    let response = raw_post(app, "Transfer-Encoding: chunked", &payload).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    let payload = chunked(sized_body(limits.max_body_bytes).as_bytes(), true);
    let response = raw_post(app, "Transfer-Encoding: chunked", &payload).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    for arg in ["first", "last"] {
        let page_query = |n: i32| format!("{{ journeys({arg}: {n}) {{ totalCount }} }}");
        within(app, "page at the limit", &page_query(limits.max_page_size)).await;
        let body = app
            .post(
                Some(&app.admin_token()),
                &page_query(limits.max_page_size + 1),
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(&limits.max_page_size.to_string())
        );
    }

    let record = "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { accepted } }";
    let items = |n: usize, prefix: &str| {
        (0..n)
            .map(|i| json!({ "externalId": format!("{prefix}-{i}"), "customerExternalId": "c",
                             "touchpointId": seeded.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z" }))
            .collect::<Vec<_>>()
    };
    let stored = || async {
        let tenant = app.store.tenant_by_slug(TENANT).await.unwrap().unwrap().id;
        let snapshot = app.store.rollup_snapshot(tenant).await.unwrap();
        snapshot
            .stats
            .iter()
            .map(|(_, c)| c.tally.interactions)
            .sum::<i64>()
    };
    let before = stored().await;
    let body = app
        .post(
            Some(&app.admin_token()),
            record,
            json!({ "input": { "interactions": items(limits.max_batch_items + 1, "over") } }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(
        stored().await,
        before,
        "nothing of a refused batch is stored"
    );
    let data = app
        .data(
            &app.admin_token(),
            record,
            json!({ "input": { "interactions": items(limits.max_batch_items, "at") } }),
        )
        .await;
    assert_eq!(
        data["recordInteractions"]["accepted"],
        limits.max_batch_items
    );
}

/// Posts `payload` after a request head carrying `framing` (a length or a
/// transfer encoding) over a plain TCP connection; returns the response.
async fn raw_post(app: &TestApp, framing: &str, payload: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\n{framing}\r\nConnection: close\r\n\r\n",
        app.admin_token()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(payload).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

async fn requests_over_the_time_limit_are_stopped_and_change_nothing(app: TestApp) {
    let token = app.admin_token();
    let write =
        "mutation { createJourney(input: {name: \"late\", template: CLASSIC}) { journey { id } } }";
    // Within the limit.
    let created = app.data(&token, write, json!({})).await;
    assert!(created["createJourney"]["journey"]["id"].is_string());

    // Over it: the write waits for a lock held here, longer than the limit.
    let block = app.db.block_writes("journeys").await;
    let started = std::time::Instant::now();
    let body = app.post(Some(&token), write, json!({})).await;
    assert_eq!(error_code(&body), "TIMEOUT", "{body}");
    assert!(body.get("data").is_none());
    assert!(started.elapsed() < Duration::from_secs(10));
    let response = app
        .client()
        .post(app.graphql_url())
        .bearer_auth(&token)
        .header(ACCEPT, "application/graphql-response+json")
        .json(&json!({ "query": write }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(
        status,
        StatusCode::GATEWAY_TIMEOUT,
        "{}",
        response.text().await.unwrap()
    );
    drop(block);

    let tenant = app.store.tenant_by_slug(TENANT).await.unwrap().unwrap().id;
    let journeys = app
        .store
        .count_journeys(tenant, &Default::default())
        .await
        .unwrap();
    assert_eq!(journeys, 1, "the stopped mutations left nothing");
}

async fn introspection_and_suggestions_can_be_switched_off(app: TestApp) {
    let token = app.admin_token();
    for introspection in [
        "{ __schema { types { name } } }",
        "{ __type(name: \"Journey\") { fields { name } } }",
    ] {
        let body = app.post(Some(&token), introspection, json!({})).await;
        let data = &body["data"];
        assert!(
            data.as_object()
                .is_some_and(|d| d.values().all(Value::is_null)),
            "{introspection}: {body}"
        );
    }
    let body = app
        .post(Some(&token), "{ journeyz { totalCount } }", json!({}))
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    // `__typename` is not introspection and keeps working.
    let body = app.post(Some(&token), "{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query");
}
