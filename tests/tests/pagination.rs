//! A pagination walk over 250 journeys, forwards and backwards, with no
//! duplicate and no gap, in every order.

use journeyd_domain::{JourneyState, JourneyStatus, JourneyTemplate, Name, NewJourney, TenantId};
use journeyd_e2e::{TestApp, app, on_both_databases};
use serde_json::{Value, json};
use std::collections::HashSet;

on_both_databases!(app => walks_cover_every_journey_once_in_both_directions, page_arguments_are_checked);

const TOTAL: usize = 250;

async fn tenant(app: &TestApp) -> TenantId {
    app.store
        .tenant_by_slug(journeyd_e2e::TENANT)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn seed(app: &TestApp) {
    let tenant = tenant(app).await;
    for i in 0..TOTAL {
        // Repeated names make the name order break ties by id.
        let new = NewJourney {
            name: Name::parse("name", &format!("Journey {:02}", i % 40)).unwrap(),
            description: None,
            goal: None,
            state: if i % 3 == 0 {
                JourneyState::Future
            } else {
                JourneyState::Current
            },
            status: JourneyStatus::Active,
            template: JourneyTemplate::Empty,
        };
        app.store.create_journey(tenant, new, &[]).await.unwrap();
    }
}

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $order: JourneyOrderInput, $filter: JourneyFilterInput) {
  journeys(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $filter) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

async fn walk(
    app: &TestApp,
    token: &str,
    order: Value,
    filter: Value,
    forwards: bool,
) -> (Vec<String>, i64) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total;
    loop {
        let variables = if forwards {
            json!({ "first": 37, "after": cursor, "order": order, "filter": filter })
        } else {
            json!({ "last": 37, "before": cursor, "order": order, "filter": filter })
        };
        let page = app.data(token, PAGE, variables).await["journeys"].clone();
        total = page["totalCount"].as_i64().unwrap();
        let mut ids: Vec<String> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        let info = &page["pageInfo"];
        if forwards {
            seen.extend(ids);
            if !info["hasNextPage"].as_bool().unwrap() {
                break;
            }
            cursor = info["endCursor"].as_str().map(str::to_owned);
        } else {
            ids.reverse();
            seen.extend(ids);
            if !info["hasPreviousPage"].as_bool().unwrap() {
                break;
            }
            cursor = info["startCursor"].as_str().map(str::to_owned);
        }
    }
    if !forwards {
        seen.reverse();
    }
    (seen, total)
}

async fn walks_cover_every_journey_once_in_both_directions(app: TestApp) {
    seed(&app).await;
    let token = app.token(journeyd_e2e::TENANT, "journeys:read");
    for order in [
        json!({ "field": "CREATED_AT" }),
        json!({ "field": "NAME" }),
        json!({ "field": "NAME", "direction": "DESC" }),
        json!({ "field": "UPDATED_AT", "direction": "DESC" }),
    ] {
        let (forwards, total) = walk(&app, &token, order.clone(), json!(null), true).await;
        let (backwards, _) = walk(&app, &token, order.clone(), json!(null), false).await;
        assert_eq!(total, TOTAL as i64);
        assert_eq!(forwards.len(), TOTAL, "{order}");
        assert_eq!(
            forwards.iter().collect::<HashSet<_>>().len(),
            TOTAL,
            "no duplicate: {order}"
        );
        assert_eq!(forwards, backwards, "both directions agree: {order}");
    }
    let (future, total) = walk(
        &app,
        &token,
        json!(null),
        json!({ "state": "FUTURE" }),
        true,
    )
    .await;
    assert_eq!(future.len(), TOTAL.div_ceil(3));
    assert_eq!(total, future.len() as i64);
    let (searched, _) = walk(
        &app,
        &token,
        json!(null),
        json!({ "search": "journey 07" }),
        true,
    )
    .await;
    assert_eq!(searched.len(), 7, "names 07 repeat every 40 journeys");
}

async fn page_arguments_are_checked(app: TestApp) {
    let token = app.token(journeyd_e2e::TENANT, "journeys:read");
    for variables in [
        json!({ "first": 101 }),
        json!({ "first": -1 }),
        json!({ "first": 5, "last": 5 }),
        json!({ "after": "bm90IGEgY3Vyc29y" }),
        json!({ "after": "%%%" }),
    ] {
        let code = app.error_code(Some(&token), PAGE, variables.clone()).await;
        assert_eq!(code, "BAD_USER_INPUT", "{variables}");
    }
    // A cursor of one order used with another is refused, not misread.
    seed_one(&app).await;
    let page = app.data(&token, PAGE, json!({ "first": 1 })).await;
    let cursor = page["journeys"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = app
        .error_code(
            Some(&token),
            PAGE,
            json!({ "first": 1, "after": cursor, "order": { "field": "NAME" } }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

async fn seed_one(app: &TestApp) {
    app.data(
        &app.admin_token(),
        "mutation { createJourney(input: {name: \"One\", template: EMPTY}) { journey { id } } }",
        json!({}),
    )
    .await;
}
