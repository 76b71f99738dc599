//! What operators rely on, over HTTP on both databases: request ids, the
//! Prometheus figures, load shedding and per-tenant rate limits.

use journeyd_api::{AdmissionConfig, RateLimit};
use journeyd_e2e::*;
use journeyd_persistence::testing::TestBackend;
use serde_json::json;
use std::time::Duration;

on_both_databases!(app => request_ids_are_kept_or_made, figures_count_requests_operations_errors_and_ingest);
on_both_databases!(shedding_app => past_the_in_flight_limit_requests_are_refused_at_once);
on_both_databases!(rate_limited_app => a_tenant_over_its_rate_gets_429_and_others_do_not);

async fn shedding_app(backend: TestBackend) -> Option<TestApp> {
    let options = AppOptions {
        admission: AdmissionConfig {
            max_in_flight: 1,
            tenant_rate: None,
        },
        ..AppOptions::default()
    };
    TestApp::spawn_with_options(backend, options).await
}

async fn rate_limited_app(backend: TestBackend) -> Option<TestApp> {
    let options = AppOptions {
        admission: AdmissionConfig {
            tenant_rate: Some(RateLimit {
                per_second: 0.5,
                burst: 3,
            }),
            ..AdmissionConfig::default()
        },
        ..AppOptions::default()
    };
    TestApp::spawn_with_options(backend, options).await
}

const VIEWER: &str = "query Viewer { viewer { tenant } }";

async fn request_ids_are_kept_or_made(app: TestApp) {
    let token = app.admin_token();
    let send = |id: Option<&'static str>| {
        let mut request = app
            .client()
            .post(app.graphql_url())
            .bearer_auth(&token)
            .json(&json!({ "query": VIEWER }));
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };
    let kept = send(Some("crm-sync.42:a_b")).await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "crm-sync.42:a_b");

    for id in [None, Some("has spaces"), Some("")] {
        let made = send(id).await.unwrap();
        let made = made.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(
            uuid::Uuid::parse_str(&made).is_ok(),
            "{id:?} was answered with {made:?}"
        );
    }
    // Every route returns one, a refused request too.
    let health = app
        .client()
        .get(format!("{}/healthz", app.base_url))
        .header("x-request-id", "probe-1")
        .send()
        .await
        .unwrap();
    assert_eq!(health.headers()["x-request-id"], "probe-1");
    let refused = app
        .client()
        .post(app.graphql_url())
        .header("content-type", "text/plain")
        .header("x-request-id", "form-post")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(refused.headers()["x-request-id"], "form-post");
}

async fn figures_count_requests_operations_errors_and_ingest(app: TestApp) {
    let token = app.admin_token();
    let seeded = app.seed(TENANT).await;
    let rival = app.seed(OTHER_TENANT).await;
    let before = app.metrics().await;

    for _ in 0..3 {
        app.data(&token, VIEWER, json!({})).await;
    }
    let missing = app
        .post(
            Some(&token),
            "query Lookup($id: ID!) { journey(id: $id) { id } }",
            json!({ "id": rival.journey }),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    let items = json!([
        { "externalId": "m-1", "customerExternalId": "c-1", "journeyId": seeded.journey,
          "touchpointKey": "step-0", "occurredAt": "2026-03-01T10:00:00Z" },
        { "externalId": "m-2", "customerExternalId": "c-1", "journeyId": seeded.journey,
          "touchpointKey": "step-1", "occurredAt": "2026-03-01T11:00:00Z" },
        { "externalId": "m-3", "customerExternalId": "c-1", "journeyId": seeded.journey,
          "touchpointKey": "no-such-key", "occurredAt": "2026-03-01T12:00:00Z" },
    ]);
    let record = "mutation Push($items: [InteractionInput!]!) { recordInteractions(input: {interactions: $items}) { accepted } }";
    for _ in 0..2 {
        app.data(&token, record, json!({ "items": items })).await;
    }
    let unparsable = app.post(Some(&token), "query Broken {", json!({})).await;
    assert_eq!(error_code(&unparsable), "GRAPHQL_PARSE_FAILED");

    let after = app.metrics().await;
    let delta = |series: &str| figure(&after, series) - figure(&before, series);
    let expected = [
        (
            r#"journeyd_graphql_operations_total{operation="Viewer",type="query"}"#,
            3.0,
        ),
        (
            r#"journeyd_graphql_operations_total{operation="Push",type="mutation"}"#,
            2.0,
        ),
        (
            r#"journeyd_graphql_operation_duration_seconds_count{operation="Viewer"}"#,
            3.0,
        ),
        (
            r#"journeyd_graphql_errors_total{operation="Lookup",code="NOT_FOUND"}"#,
            1.0,
        ),
        // An unparsable document has no operation to name.
        (
            r#"journeyd_graphql_errors_total{operation="anonymous",code="GRAPHQL_PARSE_FAILED"}"#,
            1.0,
        ),
        (
            r#"journeyd_ingest_items_total{kind="interaction",result="accepted"}"#,
            2.0,
        ),
        (
            r#"journeyd_ingest_items_total{kind="interaction",result="duplicate"}"#,
            2.0,
        ),
        (
            r#"journeyd_ingest_items_total{kind="interaction",result="rejected"}"#,
            2.0,
        ),
        // 3 + 1 + 2 + 1 GraphQL requests, all answered 200 (application/json).
        (
            r#"journeyd_http_requests_total{route="/graphql",status="200"}"#,
            7.0,
        ),
    ];
    for (series, count) in expected {
        assert_eq!(delta(series), count, "{series} in\n{after}");
    }
    assert!(figure(&after, "journeyd_db_pool_max_connections") >= 1.0);
    assert!(
        after.contains("# TYPE journeyd_http_request_duration_seconds histogram"),
        "{after}"
    );
}

async fn past_the_in_flight_limit_requests_are_refused_at_once(app: TestApp) {
    let token = app.admin_token();
    let block = app.db.block_writes("journeys").await;
    let held = tokio::spawn({
        let request = app
            .client()
            .post(app.graphql_url())
            .bearer_auth(&token)
            .json(&json!({ "query": "mutation { createJourney(input: {name: \"Held\", template: EMPTY}) { journey { id } } }" }));
        async move { request.send().await?.json::<serde_json::Value>().await }
    });
    // The mutation holds the only slot.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while figure(&app.metrics().await, "journeyd_requests_in_flight") < 1.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the mutation never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let started = std::time::Instant::now();
    let refused = app
        .client()
        .post(app.graphql_url())
        .bearer_auth(&token)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body), "OVERLOADED");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the refusal waited for the slot"
    );
    // Probes are never shed.
    let ready = app
        .client()
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    drop(block);
    let answer = held.await.unwrap().unwrap();
    assert!(
        answer["data"]["createJourney"]["journey"]["id"].is_string(),
        "{answer}"
    );
    let metrics = app.metrics().await;
    assert_eq!(figure(&metrics, "journeyd_requests_shed_total"), 1.0);
    assert_eq!(figure(&metrics, "journeyd_requests_in_flight"), 0.0);
    // The slot is free again.
    app.data(&token, VIEWER, json!({})).await;
}

async fn a_tenant_over_its_rate_gets_429_and_others_do_not(app: TestApp) {
    let token = app.admin_token();
    for _ in 0..3 {
        app.data(&token, VIEWER, json!({})).await;
    }
    let limited = app
        .client()
        .post(app.graphql_url())
        .bearer_auth(&token)
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(body.get("data").is_none(), "{body}");

    // Another tenant has its own budget.
    let other = app.token(OTHER_TENANT, "journeys:read");
    app.data(&other, VIEWER, json!({})).await;
    // A batch counts each of its operations.
    let batch = app
        .client()
        .post(app.graphql_url())
        .bearer_auth(&other)
        .json(&json!([{ "query": VIEWER }, { "query": VIEWER }, { "query": VIEWER }]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        batch.status(),
        429,
        "3 operations with 2 requests of the burst left"
    );
    assert_eq!(
        figure(&app.metrics().await, "journeyd_requests_rate_limited_total"),
        2.0
    );
}
