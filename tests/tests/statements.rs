//! The nested journey-map query costs a fixed number of SQL statements,
//! whatever the number of phases, touchpoints and insights (DataLoaders).

use journeyd_api::graphql::{GlobalId, NodeKind};
use journeyd_domain::*;
use journeyd_e2e::{TENANT, TestApp, app, on_both_databases};
use serde_json::json;

on_both_databases!(app => nested_map_query_costs_the_same_for_2_and_20_phases);

const MAP: &str = "query($id: ID!) {
  journey(id: $id) {
    name
    personas { name preferredChannels }
    triggers { name kind phase { name } }
    insights { title }
    phases {
      name position
      triggers { name }
      insights { title }
      touchpoints { key name channel { name kind } insights { title severity } }
    }
  }
}";

/// A journey with `phases` phases, three touchpoints (each with an insight)
/// and a trigger in every phase, and two personas.
async fn build(app: &TestApp, tenant: TenantId, phases: usize) -> JourneyId {
    app.store
        .seed_map(tenant, &phases.to_string(), phases)
        .await
        .unwrap()
}

/// Runs the map query and returns the statements it cost and the answer.
async fn statements_for(
    app: &TestApp,
    token: &str,
    journey: JourneyId,
) -> (u64, serde_json::Value) {
    let id = GlobalId::encode(NodeKind::Journey, journey.uuid());
    let before = app.statements();
    let data = app.data(token, MAP, json!({ "id": id })).await;
    (app.statements() - before, data)
}

async fn nested_map_query_costs_the_same_for_2_and_20_phases(app: TestApp) {
    let tenant = app.store.tenant_by_slug(TENANT).await.unwrap().unwrap().id;
    let small = build(&app, tenant, 2).await;
    let large = build(&app, tenant, 20).await;
    let token = app.token(TENANT, "journeys:read");
    // Warm up: the first request also resolves the tenant of the token.
    app.data(&token, "{ viewer { tenant } }", json!({})).await;

    let (small_cost, small_data) = statements_for(&app, &token, small).await;
    let (large_cost, large_data) = statements_for(&app, &token, large).await;
    let phases = |data: &serde_json::Value| data["journey"]["phases"].as_array().unwrap().len();
    assert_eq!(phases(&small_data), 2);
    assert_eq!(phases(&large_data), 20);
    let touchpoints: usize = large_data["journey"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["touchpoints"].as_array().unwrap().len())
        .sum();
    assert_eq!(touchpoints, 60);
    assert_eq!(
        large_data["journey"]["phases"][19]["touchpoints"][2]["insights"][0]["title"],
        "Finding 19.2"
    );
    assert_eq!(
        large_data["journey"]["personas"].as_array().unwrap().len(),
        2
    );
    println!(
        "nested journey-map query: {small_cost} SQL statements for 2 phases, {large_cost} for 20"
    );
    assert_eq!(
        small_cost, large_cost,
        "the statement count must not grow with the map"
    );
    // One per table read, and the tenant's map epoch (see tests/cache.rs).
    assert!(
        small_cost <= 9,
        "{small_cost} statements: more than one per table"
    );
}
