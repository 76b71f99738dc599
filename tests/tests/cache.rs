//! The read path's caches over HTTP on both databases: a repeated
//! journey-map query costs one statement (the map epoch) and is never stale —
//! whoever changed the map, through this server or straight in the database
//! as another replica would — and never crosses tenants or scopes.
//! Automatic persisted queries name a query by its SHA-256.

use journeyd_e2e::*;
use serde_json::{Value, json};

on_both_databases!(app => repeated_map_queries_cost_one_statement_and_are_never_stale, automatic_persisted_queries);

const MAP: &str = "query Map($id: ID!) { journey(id: $id) { name phases { name touchpoints { key name channel { name } } } personas { name } } }";

fn first_touchpoint(data: &Value) -> &Value {
    &data["journey"]["phases"][0]["touchpoints"][0]
}

async fn repeated_map_queries_cost_one_statement_and_are_never_stale(app: TestApp) {
    let seeded = app.seed(TENANT).await;
    let token = app.token(TENANT, "journeys:read journeys:write");
    let variables = json!({ "id": seeded.journey });

    let fresh = app.data(&token, MAP, variables.clone()).await;
    let before = app.statements();
    let again = app.data(&token, MAP, variables.clone()).await;
    assert_eq!(
        app.statements() - before,
        1,
        "a repeated map query reads the epoch only"
    );
    assert_eq!(again, fresh);

    // A change through this server.
    app.data(
        &token,
        "mutation($id: ID!) { updateTouchpoint(input: {id: $id, name: \"Renamed here\"}) { touchpoint { id } } }",
        json!({ "id": seeded.touchpoints[0] }),
    )
    .await;
    let after_mutation = app.data(&token, MAP, variables.clone()).await;
    assert_eq!(first_touchpoint(&after_mutation)["name"], "Renamed here");

    // A change this server never saw (another replica, a script): the
    // database's epoch still moves.
    app.db
        .database
        .execute_unprepared(
            "UPDATE touchpoints SET name = 'Renamed elsewhere' WHERE key = 'step-0'",
        )
        .await
        .unwrap();
    let after_sql = app.data(&token, MAP, variables.clone()).await;
    assert_eq!(first_touchpoint(&after_sql)["name"], "Renamed elsewhere");
    app.db
        .database
        .execute_unprepared("DELETE FROM journey_personas")
        .await
        .unwrap();
    let unlinked = app.data(&token, MAP, variables.clone()).await;
    assert_eq!(unlinked["journey"]["personas"], json!([]));

    // The cached answer is only for tokens that may read it, of its tenant.
    let no_scope = app.token(TENANT, "metrics:read");
    assert_eq!(
        error_code(&app.post(Some(&no_scope), MAP, variables.clone()).await),
        "FORBIDDEN"
    );
    let rival = app.token(OTHER_TENANT, "journeys:read");
    assert_eq!(
        error_code(&app.post(Some(&rival), MAP, variables.clone()).await),
        "NOT_FOUND"
    );

    let metrics = app.metrics().await;
    assert!(
        figure(&metrics, r#"journeyd_map_cache_total{result="hit"}"#) >= 1.0,
        "{metrics}"
    );
    assert!(
        figure(&metrics, r#"journeyd_map_cache_total{result="miss"}"#) >= 4.0,
        "{metrics}"
    );
}

fn sha256_hex(text: &str) -> String {
    // The same digest APQ clients compute (checked against sha256sum in the
    // API's unit tests).
    use sha2::Digest;
    use std::fmt::Write;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

async fn automatic_persisted_queries(app: TestApp) {
    let seeded = app.seed(TENANT).await;
    let token = app.token(TENANT, "journeys:read");
    let query = "query Name($id: ID!) { journey(id: $id) { name } }";
    let hash = sha256_hex(query);
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let post = |body: Value| {
        let request = app
            .client()
            .post(app.graphql_url())
            .bearer_auth(&token)
            .json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let variables = json!({ "id": seeded.journey });

    // The hash alone, before the server has seen the text.
    let unknown = post(json!({ "extensions": extensions, "variables": variables })).await;
    assert_eq!(error_code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    // Text and hash: registered and answered.
    let registered =
        post(json!({ "query": query, "extensions": extensions, "variables": variables })).await;
    assert_eq!(
        registered["data"]["journey"]["name"], "Shop",
        "{registered}"
    );
    // From now on the hash alone is enough, by POST and by GET.
    let by_hash = post(json!({ "extensions": extensions, "variables": variables })).await;
    assert_eq!(by_hash["data"], registered["data"]);
    let by_get: Value = app
        .client()
        .get(app.graphql_url())
        .bearer_auth(&token)
        .query(&[
            ("extensions", extensions.to_string()),
            ("variables", variables.to_string()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_get["data"], registered["data"], "{by_get}");

    // A hash that is not the text's, and malformed extensions.
    let wrong =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex("{ __typename }") } });
    let mismatch =
        post(json!({ "query": query, "extensions": wrong, "variables": variables })).await;
    assert_eq!(error_code(&mismatch), "BAD_REQUEST");
    for bad in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "zz" } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let answer = post(json!({ "extensions": bad, "variables": variables })).await;
        assert_eq!(error_code(&answer), "BAD_REQUEST", "{bad}");
    }
}
