//! CRM ingest over HTTP: customers, interaction batches answered per item,
//! batch limits, reading customers with their interactions, forgetting one.

use journeyd_e2e::{TENANT, TestApp, app, error_code, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(app =>
    a_batch_is_answered_per_item_and_retries_are_duplicates,
    customers_are_upserted_and_read_with_their_interactions,
    batches_over_the_limit_are_refused_whole,
    ingest_needs_its_scope,
    forgetting_a_customer_over_http,
);

const RECORD: &str = "mutation($input: RecordInteractionsInput!) {
  recordInteractions(input: $input) { accepted duplicates rejected results { index externalId status code message } }
}";

async fn record(app: &TestApp, token: &str, items: Value) -> Value {
    app.data(token, RECORD, json!({ "input": { "interactions": items } }))
        .await["recordInteractions"]
        .clone()
}

async fn a_batch_is_answered_per_item_and_retries_are_duplicates(app: TestApp) {
    let map = app.seed(TENANT).await;
    let crm = app.token(TENANT, "journeys:write interactions:write");
    let items = json!([
        { "externalId": "e1", "customerExternalId": "c1", "touchpointId": map.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z", "sentiment": 1 },
        { "externalId": "e2", "customerExternalId": "c1", "journeyId": map.journey, "touchpointKey": "step-1", "occurredAt": "2026-03-03T10:00:00+02:00",
          "rating": 5, "nps": 9, "value": { "amount": "79.90", "currency": "EUR" }, "properties": { "campaign": "spring", "items": [1, 2] } },
        { "externalId": "e3", "customerExternalId": "c2", "touchpointId": map.touchpoints[0], "occurredAt": "2026-03-02T09:00:00" },
        { "externalId": "e4", "customerExternalId": "c2", "touchpointId": map.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z", "sentiment": 7 },
        { "externalId": "e5", "customerExternalId": "c2", "journeyId": map.journey, "touchpointKey": "nope", "occurredAt": "2026-03-02T09:00:00Z" },
        { "externalId": "e6", "customerExternalId": "c2", "touchpointId": map.touchpoints[1], "occurredAt": "2999-01-01T00:00:00Z" },
        { "externalId": "e7", "customerExternalId": "c2", "touchpointId": map.touchpoints[1], "occurredAt": "2026-03-04T09:00:00Z",
          "value": { "amount": "1.5", "currency": "EURO" } },
        { "externalId": "e8", "customerExternalId": "c2", "occurredAt": "2026-03-04T09:00:00Z" },
        { "externalId": "e9", "customerExternalId": "c2", "touchpointId": map.touchpoints[2], "occurredAt": "2026-03-05T09:00:00Z", "properties": [1, 2] },
    ]);
    let answer = record(&app, &crm, items.clone()).await;
    assert_eq!(answer["accepted"], 2, "{answer}");
    assert_eq!(answer["rejected"], 7, "{answer}");
    let statuses: Vec<(&str, &str)> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["code"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("ACCEPTED", "-"),
            ("ACCEPTED", "-"),
            ("REJECTED", "BAD_USER_INPUT"),
            ("REJECTED", "BAD_USER_INPUT"),
            ("REJECTED", "NOT_FOUND"),
            ("REJECTED", "BAD_USER_INPUT"),
            ("REJECTED", "BAD_USER_INPUT"),
            ("REJECTED", "BAD_USER_INPUT"),
            ("REJECTED", "BAD_USER_INPUT"),
        ]
    );
    assert!(
        answer["results"][2]["message"]
            .as_str()
            .unwrap()
            .contains("occurredAt")
    );
    assert_eq!(answer["results"][8]["index"], 8);

    let retry = record(&app, &crm, items).await;
    assert_eq!(
        (retry["accepted"].as_i64(), retry["duplicates"].as_i64()),
        (Some(0), Some(2))
    );

    let clash = record(
        &app,
        &crm,
        json!([{ "externalId": "e1", "customerExternalId": "c1", "touchpointId": map.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z", "sentiment": -1 }]),
    )
    .await;
    assert_eq!(clash["results"][0]["code"], "CONFLICT");

    let reader = app.token(TENANT, "journeys:read");
    let customer = app
        .data(
            &reader,
            "{ customer(externalId: \"c1\") { externalId firstSeenAt lastSeenAt interactions(first: 10) { edges { node { externalId occurredAt sentiment rating nps value { amount currency } properties touchpoint { key } journey { name } } } } } }",
            json!({}),
        )
        .await["customer"]
        .clone();
    assert_eq!(customer["firstSeenAt"], "2026-03-02T09:00:00+00:00");
    assert_eq!(customer["lastSeenAt"], "2026-03-03T08:00:00+00:00");
    let nodes: Vec<&Value> = customer["interactions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0]["sentiment"], 1, "the first stored version stays");
    assert_eq!(
        nodes[1]["value"],
        json!({ "amount": "79.9", "currency": "EUR" })
    );
    assert_eq!(
        nodes[1]["properties"],
        json!({ "campaign": "spring", "items": [1, 2] })
    );
    assert_eq!(nodes[1]["touchpoint"]["key"], "step-1");
}

async fn customers_are_upserted_and_read_with_their_interactions(app: TestApp) {
    let map = app.seed(TENANT).await;
    let token = app.admin_token();
    let persona = app
        .data(
            &token,
            "mutation { createPersona(input: {name: \"Starter\"}) { persona { id } } }",
            json!({}),
        )
        .await["createPersona"]["persona"]["id"]
        .clone();
    let upsert = "mutation($input: UpsertCustomersInput!) { upsertCustomers(input: $input) { results { index status code customer { externalId persona { name } attributes } } } }";
    let answer = app
        .data(
            &token,
            upsert,
            json!({ "input": { "customers": [
                { "externalId": "c1", "personaId": persona, "attributes": { "tier": "gold" } },
                { "externalId": "c2" },
                { "externalId": "" },
                { "externalId": "c3", "attributes": ["not", "an", "object"] },
            ] } }),
        )
        .await["upsertCustomers"]["results"]
        .clone();
    let statuses: Vec<&str> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CREATED", "CREATED", "REJECTED", "REJECTED"]);
    assert_eq!(answer[0]["customer"]["persona"]["name"], "Starter");
    assert_eq!(
        answer[0]["customer"]["attributes"],
        json!({ "tier": "gold" })
    );
    let again = app
        .data(
            &token,
            upsert,
            json!({ "input": { "customers": [
            { "externalId": "c1", "attributes": { "tier": "gold" } },
            { "externalId": "c2", "personaId": persona },
        ] } }),
        )
        .await["upsertCustomers"]["results"]
        .clone();
    assert_eq!(again[0]["status"], "UNCHANGED");
    assert_eq!(again[1]["status"], "UPDATED");

    let events: Vec<Value> = (0..25)
        .map(|i| json!({ "externalId": format!("e{i}"), "customerExternalId": "c1", "touchpointId": map.touchpoints[i % 4],
                         "occurredAt": format!("2026-03-{:02}T09:00:00Z", i + 1) }))
        .collect();
    record(&app, &token, json!(events)).await;
    let page = "query($after: String, $journey: ID) { customer(externalId: \"c1\") { interactions(first: 10, after: $after, journeyId: $journey, from: \"2026-03-03T00:00:00Z\", to: \"2026-03-24T00:00:00Z\") { edges { cursor node { externalId } } pageInfo { hasNextPage endCursor } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(
                &token,
                page,
                json!({ "after": after, "journey": map.journey }),
            )
            .await;
        let connection = &data["customer"]["interactions"];
        seen.extend(
            connection["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["externalId"].as_str().unwrap().to_owned()),
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<String> = (2..23).map(|i| format!("e{i}")).collect();
    assert_eq!(
        seen, expected,
        "21 days in range, in time order, no gap, no repeat"
    );

    let listed = app
        .data(&token, "query($p: ID) { customers(first: 10, personaId: $p) { totalCount nodes { externalId } } }", json!({ "p": persona }))
        .await;
    assert_eq!(
        listed["customers"],
        json!({ "totalCount": 2, "nodes": [{ "externalId": "c1" }, { "externalId": "c2" }] })
    );
    let missing = app
        .error_code(
            Some(&token),
            "{ customer(externalId: \"nobody\") { externalId } }",
            json!({}),
        )
        .await;
    assert_eq!(missing, "NOT_FOUND");
}

async fn batches_over_the_limit_are_refused_whole(app: TestApp) {
    let map = app.seed(TENANT).await;
    let token = app.admin_token();
    let items: Vec<Value> = (0..1001)
        .map(|i| json!({ "externalId": format!("e{i}"), "customerExternalId": "c", "touchpointId": map.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z" }))
        .collect();
    let body = app
        .post(
            Some(&token),
            RECORD,
            json!({ "input": { "interactions": items } }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1000")
    );
    let at_limit = record(&app, &token, json!(items[..1000])).await;
    assert_eq!(at_limit["accepted"], 1000);
}

async fn ingest_needs_its_scope(app: TestApp) {
    let map = app.seed(TENANT).await;
    let item = json!([{ "externalId": "e1", "customerExternalId": "c1", "touchpointId": map.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z" }]);
    for scopes in ["journeys:read", "journeys:write metrics:read"] {
        let token = app.token(TENANT, scopes);
        let code = app
            .error_code(
                Some(&token),
                RECORD,
                json!({ "input": { "interactions": item } }),
            )
            .await;
        assert_eq!(code, "FORBIDDEN", "{scopes}");
    }
    let rival = app.token(journeyd_e2e::OTHER_TENANT, "interactions:write");
    let foreign = record(&app, &rival, item).await;
    assert_eq!(
        foreign["results"][0]["code"], "NOT_FOUND",
        "another tenant's touchpoint"
    );
}

async fn forgetting_a_customer_over_http(app: TestApp) {
    let map = app.seed(TENANT).await;
    let token = app.admin_token();
    let events: Vec<Value> = (0..4)
        .map(|i| json!({ "externalId": format!("e{i}"), "customerExternalId": if i < 3 { "gone" } else { "stays" },
                         "touchpointId": map.touchpoints[i], "occurredAt": "2026-03-02T09:00:00Z" }))
        .collect();
    record(&app, &token, json!(events)).await;
    let deleted = app
        .data(&token, "mutation { deleteCustomer(input: {externalId: \"gone\"}) { externalId interactionsDeleted } }", json!({}))
        .await;
    assert_eq!(deleted["deleteCustomer"]["interactionsDeleted"], 3);
    let code = app
        .error_code(
            Some(&token),
            "{ customer(externalId: \"gone\") { externalId } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let tenant = app.store.tenant_by_slug(TENANT).await.unwrap().unwrap().id;
    let snapshot = app.store.rollup_snapshot(tenant).await.unwrap();
    let total: i64 = snapshot
        .stats
        .iter()
        .map(|(_, c)| c.tally.interactions)
        .sum();
    assert_eq!(
        total, 2,
        "only the remaining customers' interactions count (`stays` and the seeded one)"
    );
    let again = app
        .error_code(
            Some(&token),
            "mutation { deleteCustomer(input: {externalId: \"gone\"}) { externalId } }",
            json!({}),
        )
        .await;
    assert_eq!(again, "NOT_FOUND");
}
