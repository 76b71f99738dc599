//! The attack and bad-input matrix over HTTP: another tenant's objects by id,
//! by `node`, by key and by cursor, read and written; hostile input (huge
//! strings, deep JSON, out-of-range numbers, NUL bytes, forged ids and
//! cursors); SQL metacharacters in every string filter. None of it may cause
//! a 5xx, leak the other tenant's data, or change what is stored.

use journeyd_e2e::{
    ALL_SCOPES, OTHER_TENANT, Seeded, TENANT, TestApp, error_code, on_both_databases,
};
use journeyd_persistence::testing::TestBackend;
use serde_json::{Value, json};

on_both_databases!(two_tenants =>
    another_tenants_objects_are_not_found_by_id_node_key_or_cursor,
    another_tenants_objects_cannot_be_changed_or_referenced,
    hostile_input_is_refused_cleanly_and_changes_nothing,
    sql_metacharacters_are_plain_text,
);

struct World {
    app: TestApp,
    ours: Seeded,
    theirs: Seeded,
}

async fn two_tenants(backend: TestBackend) -> Option<World> {
    let app = TestApp::spawn(backend).await?;
    let ours = app.seed(TENANT).await;
    let theirs = app.seed(OTHER_TENANT).await;
    Some(World { app, ours, theirs })
}

impl World {
    fn token(&self) -> String {
        self.app.token(TENANT, ALL_SCOPES)
    }

    /// Every identifier of the other tenant a response must never show.
    fn their_ids(&self) -> Vec<String> {
        let t = &self.theirs;
        let mut ids = vec![
            t.journey.clone(),
            t.channel.clone(),
            t.persona.clone(),
            t.trigger.clone(),
            t.insight.clone(),
            t.customer.clone(),
            t.customer_id.clone(),
        ];
        ids.extend(t.phases.iter().cloned());
        ids.extend(t.touchpoints.iter().cloned());
        ids
    }

    /// Posts as our tenant; asserts no 5xx (the harness does), no foreign
    /// id in the answer, and every error coded and never FORBIDDEN.
    async fn post(&self, query: &str, variables: Value) -> Value {
        let body = self.app.post(Some(&self.token()), query, variables).await;
        self.assert_hidden(query, &body);
        body
    }

    fn assert_hidden(&self, query: &str, body: &Value) {
        let text = body.to_string();
        for id in self.their_ids() {
            // The id may appear in an error message echoing the input; never in data.
            assert!(
                !body["data"].to_string().contains(&id),
                "{query}: the other tenant's {id} leaked: {text}"
            );
        }
        if let Some(errors) = body["errors"].as_array() {
            for error in errors {
                let code = error["extensions"]["code"].as_str().unwrap_or_else(|| {
                    panic!("{query}: an error without a code: {text}");
                });
                assert_ne!(code, "FORBIDDEN", "{query}: FORBIDDEN confirms existence");
                assert_ne!(code, "INTERNAL", "{query}: {text}");
            }
        }
    }

    async fn not_found(&self, query: &str, variables: Value) {
        let body = self.post(query, variables.clone()).await;
        assert_eq!(
            error_code(&body),
            "NOT_FOUND",
            "{query} {variables}: {body}"
        );
    }

    /// Everything both tenants have, as the API shows it, plus the derived
    /// rollups: equal before and after means nothing was changed.
    async fn fingerprint(&self) -> String {
        // In three queries, to stay under the cost limit.
        const EVERYTHING: [&str; 3] = [
            r#"{ journeys(first: 10) { nodes { id name description version status state goal { statement }
              phases { id name position stage customerGoals expectedEmotion
                touchpoints { id key name position description owner sentiment kpi { name target } channel { id } insights { id } }
                triggers { id } insights { id } }
              personas { id } triggers { id name kind phase { id } }
              touchpoints { id insights { id title description severity source phase { id } } } } } }"#,
            r#"{ personas(first: 20) { nodes { id name description demographics { label value } goals frustrations motivations preferredChannels journeys { id } } }
              channels { id name kind description } }"#,
            r#"{ customers(first: 30) { nodes { id externalId persona { id } attributes
              interactions(first: 10) { nodes { externalId occurredAt sentiment rating nps value { amount currency } properties touchpoint { id } } } } } }"#,
        ];
        let mut all = Vec::new();
        for tenant in [TENANT, OTHER_TENANT] {
            let token = self.app.token(tenant, ALL_SCOPES);
            for query in EVERYTHING {
                all.push(self.app.data(&token, query, json!({})).await);
            }
            let id = self
                .app
                .store
                .tenant_by_slug(tenant)
                .await
                .unwrap()
                .unwrap()
                .id;
            let rollups = self.app.store.rollup_snapshot(id).await.unwrap();
            all.push(json!(format!("{rollups:?}")));
        }
        Value::Array(all).to_string()
    }
}

async fn another_tenants_objects_are_not_found_by_id_node_key_or_cursor(w: World) {
    let t = w.theirs.clone();
    let before = w.fingerprint().await;

    // By `node`, every kind of object.
    for id in w.their_ids().iter().filter(|id| **id != t.customer) {
        w.not_found(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    // By the typed fields.
    for (query, variables) in [
        (
            "query($id: ID!) { journey(id: $id) { id name } }",
            json!({ "id": t.journey }),
        ),
        (
            "query($id: ID!) { persona(id: $id) { id name } }",
            json!({ "id": t.persona }),
        ),
        (
            "query($id: ID!) { touchpoint(id: $id) { id } }",
            json!({ "id": t.touchpoints[0] }),
        ),
        // By key: their journey with a key that exists there.
        (
            "query($j: ID!) { touchpoint(journeyId: $j, key: \"step-0\") { id } }",
            json!({ "j": t.journey }),
        ),
        (
            "query($c: String!) { customer(externalId: $c) { id } }",
            json!({ "c": t.customer }),
        ),
        // Ids of the wrong kind are not found either.
        (
            "query($id: ID!) { journey(id: $id) { id } }",
            json!({ "id": t.persona }),
        ),
        (
            "query($id: ID!) { persona(id: $id) { id } }",
            json!({ "id": w.ours.journey }),
        ),
    ] {
        w.not_found(query, variables).await;
    }
    // Metrics over their journey, or ours filtered by their persona.
    let metrics = [
        "journeyFunnel(journeyId: $j, personaId: $p) { phase }",
        "emotionCurve(journeyId: $j, personaId: $p) { phase }",
        "channelMix(journeyId: $j, personaId: $p) { phase }",
        "interactionSeries(journeyId: $j, interval: DAY, personaId: $p) { interactions }",
        "journeyPaths(journeyId: $j, personaId: $p) { customers }",
        "journeySummary(journeyId: $j, personaId: $p) { customers }",
    ];
    for metric in metrics {
        let query = format!("query($j: ID!, $p: ID) {{ {metric} }}");
        w.not_found(&query, json!({ "j": t.journey, "p": null }))
            .await;
        w.not_found(&query, json!({ "j": w.ours.journey, "p": t.persona }))
            .await;
    }
    // Lists filtered by their objects.
    w.not_found(
        "query($p: ID) { customers(personaId: $p) { nodes { id } } }",
        json!({ "p": t.persona }),
    )
    .await;
    let body = w
        .post(
            "query($c: String!, $j: ID) { customer(externalId: $c) { interactions(journeyId: $j) { nodes { externalId } } } }",
            json!({ "c": w.ours.customer, "j": t.journey }),
        )
        .await;
    assert!(
        body["errors"].is_array() || body["data"]["customer"]["interactions"]["nodes"] == json!([]),
        "{body}"
    );

    // Their cursors in our connections show our rows or nothing, never theirs.
    let theirs = w.app.token(OTHER_TENANT, ALL_SCOPES);
    let cursors = w
        .app
        .data(
            &theirs,
            "query($c: String!) { journeys { edges { cursor } } personas { edges { cursor } } customers { edges { cursor } }
               customer(externalId: $c) { interactions { edges { cursor } } } }",
            json!({ "c": t.customer }),
        )
        .await;
    let cursor = |path: &[&str]| {
        let mut value = &cursors;
        for step in path {
            value = &value[*step];
        }
        value["edges"][0]["cursor"].as_str().unwrap().to_owned()
    };
    for (query, after) in [
        (
            "query($a: String) { journeys(after: $a) { nodes { id } } }",
            cursor(&["journeys"]),
        ),
        (
            "query($a: String) { journeys(before: $a, last: 5) { nodes { id } } }",
            cursor(&["journeys"]),
        ),
        (
            "query($a: String) { personas(after: $a) { nodes { id } } }",
            cursor(&["personas"]),
        ),
        (
            "query($a: String) { customers(after: $a) { nodes { id } } }",
            cursor(&["customers"]),
        ),
        (
            "query($a: String) { customer(externalId: \"acme-customer\") { interactions(after: $a) { nodes { externalId } } } }",
            cursor(&["customer", "interactions"]),
        ),
    ] {
        let body = w.post(query, json!({ "a": after })).await;
        if let Some(errors) = body["errors"].as_array() {
            assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        }
    }
    assert_eq!(w.fingerprint().await, before, "reads changed nothing");
}

async fn another_tenants_objects_cannot_be_changed_or_referenced(w: World) {
    let (o, t) = (w.ours.clone(), w.theirs.clone());
    let before = w.fingerprint().await;
    let attempts: Vec<(&str, Value)> = vec![
        (
            "updateJourney(input: {id: $a, version: 1, name: \"x\"}) { journey { id } }",
            json!({"a": t.journey}),
        ),
        (
            "deleteJourney(input: {id: $a}) { deletedId }",
            json!({"a": t.journey}),
        ),
        (
            "duplicateJourney(input: {id: $a}) { journey { id } }",
            json!({"a": t.journey}),
        ),
        (
            "linkPersona(input: {journeyId: $a, personaId: $b}) { journey { id } }",
            json!({"a": o.journey, "b": t.persona}),
        ),
        (
            "linkPersona(input: {journeyId: $a, personaId: $b}) { journey { id } }",
            json!({"a": t.journey, "b": o.persona}),
        ),
        (
            "unlinkPersona(input: {journeyId: $a, personaId: $b}) { journey { id } }",
            json!({"a": t.journey, "b": t.persona}),
        ),
        (
            "addPhase(input: {journeyId: $a, name: \"x\", stage: AWARENESS}) { phase { id } }",
            json!({"a": t.journey}),
        ),
        (
            "updatePhase(input: {id: $a, name: \"x\"}) { phase { id } }",
            json!({"a": t.phases[0]}),
        ),
        (
            "movePhase(input: {id: $a, position: 1}) { phase { id } }",
            json!({"a": t.phases[1]}),
        ),
        (
            "removePhase(input: {id: $a, cascade: true}) { deletedId }",
            json!({"a": t.phases[0]}),
        ),
        (
            "removePhase(input: {id: $a, moveContentTo: $b}) { deletedId }",
            json!({"a": o.phases[0], "b": t.phases[1]}),
        ),
        (
            "updatePersona(input: {id: $a, name: \"x\"}) { persona { id } }",
            json!({"a": t.persona}),
        ),
        (
            "deletePersona(input: {id: $a}) { deletedId }",
            json!({"a": t.persona}),
        ),
        (
            "updateChannel(input: {id: $a, name: \"x\"}) { channel { id } }",
            json!({"a": t.channel}),
        ),
        (
            "deleteChannel(input: {id: $a}) { deletedId }",
            json!({"a": t.channel}),
        ),
        (
            "createTouchpoint(input: {phaseId: $a, channelId: $b, key: \"k\", name: \"x\"}) { touchpoint { id } }",
            json!({"a": t.phases[0], "b": o.channel}),
        ),
        (
            "createTouchpoint(input: {phaseId: $a, channelId: $b, key: \"k\", name: \"x\"}) { touchpoint { id } }",
            json!({"a": o.phases[0], "b": t.channel}),
        ),
        (
            "upsertTouchpoint(input: {journeyId: $a, key: \"step-0\", phaseId: $b, channelId: $b, name: \"x\"}) { touchpoint { id } }",
            json!({"a": t.journey, "b": t.phases[0]}),
        ),
        (
            "upsertTouchpoint(input: {journeyId: $a, key: \"k\", phaseId: $b, channelId: $c, name: \"x\"}) { touchpoint { id } }",
            json!({"a": o.journey, "b": t.phases[0], "c": o.channel}),
        ),
        (
            "updateTouchpoint(input: {id: $a, name: \"x\"}) { touchpoint { id } }",
            json!({"a": t.touchpoints[0]}),
        ),
        (
            "updateTouchpoint(input: {id: $a, channelId: $b}) { touchpoint { id } }",
            json!({"a": o.touchpoints[0], "b": t.channel}),
        ),
        (
            "moveTouchpoint(input: {id: $a, phaseId: $b}) { touchpoint { id } }",
            json!({"a": t.touchpoints[0], "b": t.phases[1]}),
        ),
        (
            "moveTouchpoint(input: {id: $a, phaseId: $b}) { touchpoint { id } }",
            json!({"a": o.touchpoints[0], "b": t.phases[1]}),
        ),
        (
            "deleteTouchpoint(input: {id: $a}) { deletedId }",
            json!({"a": t.touchpoints[3]}),
        ),
        (
            "createTrigger(input: {journeyId: $a, name: \"x\", kind: ADVERTISEMENT}) { trigger { id } }",
            json!({"a": t.journey}),
        ),
        (
            "createTrigger(input: {journeyId: $a, phaseId: $b, name: \"x\", kind: ADVERTISEMENT}) { trigger { id } }",
            json!({"a": o.journey, "b": t.phases[0]}),
        ),
        (
            "updateTrigger(input: {id: $a, name: \"x\"}) { trigger { id } }",
            json!({"a": t.trigger}),
        ),
        (
            "deleteTrigger(input: {id: $a}) { deletedId }",
            json!({"a": t.trigger}),
        ),
        (
            "createInsight(input: {journeyId: $a, kind: QUOTE, title: \"x\"}) { insight { id } }",
            json!({"a": t.journey}),
        ),
        (
            "createInsight(input: {journeyId: $a, touchpointId: $b, kind: QUOTE, title: \"x\"}) { insight { id } }",
            json!({"a": o.journey, "b": t.touchpoints[0]}),
        ),
        (
            "updateInsight(input: {id: $a, title: \"x\"}) { insight { id } }",
            json!({"a": t.insight}),
        ),
        (
            "updateInsight(input: {id: $a, phaseId: $b}) { insight { id } }",
            json!({"a": o.insight, "b": t.phases[0]}),
        ),
        (
            "deleteInsight(input: {id: $a}) { deletedId }",
            json!({"a": t.insight}),
        ),
        (
            "createJourney(input: {name: \"x\", template: EMPTY, personaIds: [$a]}) { journey { id } }",
            json!({"a": t.persona}),
        ),
        (
            "deleteCustomer(input: {externalId: $a}) { externalId }",
            json!({"a": t.customer}),
        ),
    ];
    for (mutation, variables) in &attempts {
        let names: Vec<&str> = ["a", "b", "c"]
            .into_iter()
            .filter(|n| variables.get(*n).is_some())
            .collect();
        let declarations: Vec<String> = names
            .iter()
            .map(|n| {
                let ty = if *n == "a" && mutation.starts_with("deleteCustomer") {
                    "String!"
                } else {
                    "ID!"
                };
                format!("${n}: {ty}")
            })
            .collect();
        let query = format!("mutation({}) {{ {mutation} }}", declarations.join(", "));
        w.not_found(&query, variables.clone()).await;
    }

    // Per-item answers in the batch mutations.
    let body = w
        .post(
            "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { accepted results { status code } } }",
            json!({ "input": { "interactions": [
                { "externalId": "x1", "customerExternalId": "c", "touchpointId": t.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z" },
                { "externalId": "x2", "customerExternalId": "c", "journeyId": t.journey, "touchpointKey": "step-0", "occurredAt": "2026-03-02T09:00:00Z" },
            ] } }),
        )
        .await;
    let results = &body["data"]["recordInteractions"];
    assert_eq!(results["accepted"], 0, "{body}");
    for result in results["results"].as_array().unwrap() {
        assert_eq!(result["code"], "NOT_FOUND", "{body}");
    }
    let body = w
        .post(
            "mutation($p: ID) { upsertCustomers(input: {customers: [{externalId: \"x\", personaId: $p}]}) { results { status code } } }",
            json!({ "p": t.persona }),
        )
        .await;
    let result = &body["data"]["upsertCustomers"]["results"][0];
    assert_eq!(result["status"], "REJECTED", "{body}");
    assert_eq!(result["code"], "NOT_FOUND", "{body}");

    assert_eq!(
        w.fingerprint().await,
        before,
        "nothing of either tenant changed"
    );
}

async fn hostile_input_is_refused_cleanly_and_changes_nothing(w: World) {
    let o = w.ours.clone();
    let before = w.fingerprint().await;
    let huge = "x".repeat(1_000_000);
    let deep = |levels: usize| {
        let mut value = json!(1);
        for _ in 0..levels {
            value = json!({ "k": value });
        }
        value
    };
    let interaction = |changes: Value| {
        let mut item = json!({ "externalId": "h1", "customerExternalId": "c-hostile",
                               "touchpointId": o.touchpoints[0], "occurredAt": "2026-03-02T09:00:00Z" });
        for (key, value) in changes.as_object().unwrap() {
            item[key] = value.clone();
        }
        json!({ "input": { "interactions": [item] } })
    };
    const CREATE_JOURNEY: &str =
        "mutation($input: CreateJourneyInput!) { createJourney(input: $input) { journey { id } } }";
    const CREATE_PERSONA: &str =
        "mutation($input: CreatePersonaInput!) { createPersona(input: $input) { persona { id } } }";
    const UPDATE_TOUCHPOINT: &str = "mutation($input: UpdateTouchpointInput!) { updateTouchpoint(input: $input) { touchpoint { id } } }";
    const RECORD: &str = "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { accepted results { status code } } }";
    const CUSTOMERS: &str = "mutation($input: UpsertCustomersInput!) { upsertCustomers(input: $input) { results { status code } } }";

    // Refused as a whole: a coded error, no data change.
    let refused: Vec<(&str, &str, Value)> = vec![
        (
            "a huge name",
            CREATE_JOURNEY,
            json!({"input": {"name": huge, "template": "EMPTY"}}),
        ),
        (
            "a huge description",
            CREATE_JOURNEY,
            json!({"input": {"name": "x", "description": huge, "template": "EMPTY"}}),
        ),
        (
            "a NUL in a name",
            CREATE_JOURNEY,
            json!({"input": {"name": "a\u{0}b", "template": "EMPTY"}}),
        ),
        (
            "a NUL in a description",
            CREATE_JOURNEY,
            json!({"input": {"name": "x", "description": "a\u{0}b", "template": "EMPTY"}}),
        ),
        (
            "an escape sequence in a name",
            CREATE_JOURNEY,
            json!({"input": {"name": "\u{1b}[31mred", "template": "EMPTY"}}),
        ),
        (
            "a blank name",
            CREATE_JOURNEY,
            json!({"input": {"name": " \t ", "template": "EMPTY"}}),
        ),
        (
            "an unknown template",
            CREATE_JOURNEY,
            json!({"input": {"name": "x", "template": "NOPE"}}),
        ),
        (
            "an absurd goal",
            CREATE_JOURNEY,
            json!({"input": {"name": "x", "template": "EMPTY", "goal": {"statement": "s", "target": 1e308, "deadline": "99999-01-01"}}}),
        ),
        (
            "a bad deadline",
            CREATE_JOURNEY,
            json!({"input": {"name": "x", "template": "EMPTY", "goal": {"statement": "s", "deadline": "2026-02-30"}}}),
        ),
        (
            "ten thousand goals",
            CREATE_PERSONA,
            json!({"input": {"name": "x", "goals": vec!["g"; 10_000]}}),
        ),
        (
            "a huge goal",
            CREATE_PERSONA,
            json!({"input": {"name": "x", "goals": [huge]}}),
        ),
        (
            "a NUL in a demographic",
            CREATE_PERSONA,
            json!({"input": {"name": "x", "demographics": [{"label": "a\u{0}", "value": "b"}]}}),
        ),
        (
            "a bad touchpoint key",
            UPDATE_TOUCHPOINT,
            json!({"input": {"id": o.touchpoints[0], "key": "Robert'); DROP TABLE touchpoints;--"}}),
        ),
        (
            "a NaN KPI target",
            UPDATE_TOUCHPOINT,
            json!({"input": {"id": o.touchpoints[0], "kpi": {"name": "k", "target": "NaN"}}}),
        ),
        (
            "an out-of-range position",
            "mutation($id: ID!) { movePhase(input: {id: $id, position: 2147483648}) { phase { id } } }",
            json!({"id": o.phases[0]}),
        ),
        (
            "a negative position",
            "mutation($id: ID!) { movePhase(input: {id: $id, position: -1}) { phase { id } } }",
            json!({"id": o.phases[0]}),
        ),
        (
            "a far position",
            "mutation($id: ID!) { movePhase(input: {id: $id, position: 1000000}) { phase { id } } }",
            json!({"id": o.phases[0]}),
        ),
        (
            "a stale version",
            "mutation($id: ID!) { updateJourney(input: {id: $id, version: -5, name: \"x\"}) { journey { id } } }",
            json!({"id": o.journey}),
        ),
        (
            "an empty id",
            "mutation { deleteJourney(input: {id: \"\"}) { deletedId } }",
            json!({}),
        ),
        (
            "a garbage id",
            "mutation { deleteJourney(input: {id: \"!!!\"}) { deletedId } }",
            json!({}),
        ),
        (
            "an id of an unknown kind",
            "mutation { deleteJourney(input: {id: \"Tm9wZTowMTk0ZmZmZi0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA\"}) { deletedId } }",
            json!({}),
        ),
        (
            "an id without a uuid",
            "mutation { deleteJourney(input: {id: \"Sm91cm5leTpub3BlCg\"}) { deletedId } }",
            json!({}),
        ),
        (
            "a huge id",
            "mutation($id: ID!) { deleteJourney(input: {id: $id}) { deletedId } }",
            json!({"id": "A".repeat(100_000)}),
        ),
        (
            "a batch over the limit",
            RECORD,
            json!({"input": {"interactions": vec![interaction(json!({}))["input"]["interactions"][0].clone(); 1001]}}),
        ),
        (
            "an unknown customer to forget",
            "mutation { deleteCustomer(input: {externalId: \"nobody\"}) { externalId } }",
            json!({}),
        ),
        (
            "a NUL customer to forget",
            "mutation { deleteCustomer(input: {externalId: \"a\\u0000b\"}) { externalId } }",
            json!({}),
        ),
    ];
    for (what, query, variables) in &refused {
        let body = w.post(query, variables.clone()).await;
        assert!(body["errors"].is_array(), "{what} was accepted: {body}");
    }

    // Refused per item: the call answers, the item is rejected.
    let items: Vec<(&str, Value)> = vec![
        (
            "deep properties",
            interaction(json!({"properties": deep(100)})),
        ),
        (
            "huge properties",
            interaction(json!({"properties": {"a": huge}})),
        ),
        (
            "properties that are not an object",
            interaction(json!({"properties": [1, 2]})),
        ),
        (
            "a NUL in properties",
            interaction(json!({"properties": {"a": "x\u{0}y"}})),
        ),
        (
            "a NUL in a property key",
            interaction(json!({"properties": {"a\u{0}": 1}})),
        ),
        (
            "a NUL in the external id",
            interaction(json!({"externalId": "h\u{0}1"})),
        ),
        (
            "a huge external id",
            interaction(json!({"externalId": huge})),
        ),
        (
            "a huge customer id",
            interaction(json!({"customerExternalId": huge})),
        ),
        (
            "a sentiment out of range",
            interaction(json!({"sentiment": 3})),
        ),
        ("a rating out of range", interaction(json!({"rating": 0}))),
        ("an NPS out of range", interaction(json!({"nps": 11}))),
        (
            "a year out of range",
            interaction(json!({"occurredAt": "99999-01-01T00:00:00Z"})),
        ),
        (
            "an impossible date",
            interaction(json!({"occurredAt": "2026-02-30T00:00:00Z"})),
        ),
        ("an empty date", interaction(json!({"occurredAt": ""}))),
        (
            "an amount like 1e400",
            interaction(json!({"value": {"amount": "1e400", "currency": "EUR"}})),
        ),
        (
            "an amount NaN",
            interaction(json!({"value": {"amount": "NaN", "currency": "EUR"}})),
        ),
        (
            "an amount Infinity",
            interaction(json!({"value": {"amount": "Infinity", "currency": "EUR"}})),
        ),
        (
            "a huge amount",
            interaction(
                json!({"value": {"amount": "99999999999999999999999999", "currency": "EUR"}}),
            ),
        ),
        (
            "an unknown currency",
            interaction(json!({"value": {"amount": "1", "currency": "XXX'--"}})),
        ),
        (
            "an injected key",
            interaction(
                json!({"touchpointId": null, "journeyId": o.journey, "touchpointKey": "' OR 1=1 --"}),
            ),
        ),
    ];
    for (what, variables) in &items {
        let body = w.post(RECORD, variables.clone()).await;
        let answer = &body["data"]["recordInteractions"];
        if answer.is_null() {
            // Refused before the items were looked at (e.g. a type error).
            assert!(body["errors"].is_array(), "{what}: {body}");
            continue;
        }
        assert_eq!(answer["accepted"], 0, "{what} was accepted: {body}");
        assert!(answer["results"][0]["code"].is_string(), "{what}: {body}");
    }
    for (what, attributes) in [
        ("deep attributes", deep(100)),
        ("huge attributes", json!({"a": huge})),
        ("attributes with a NUL", json!({"a": "\u{0}"})),
        ("attributes that are a string", json!("x")),
    ] {
        let body = w
            .post(
                CUSTOMERS,
                json!({"input": {"customers": [{"externalId": "c-hostile", "attributes": attributes}]}}),
            )
            .await;
        let result = &body["data"]["upsertCustomers"]["results"][0];
        assert!(
            result["status"] == "REJECTED" || body["errors"].is_array(),
            "{what}: {body}"
        );
    }

    // Hostile arguments of reads.
    let reads: Vec<(&str, Value)> = vec![
        ("query { journeys(first: -1) { totalCount } }", json!({})),
        (
            "query { journeys(first: 2147483648) { totalCount } }",
            json!({}),
        ),
        (
            "query($n: Int) { journeys(first: $n) { totalCount } }",
            json!({"n": 1e10}),
        ),
        (
            "query($n: Int) { journeys(first: $n) { totalCount } }",
            json!({"n": 1.5}),
        ),
        (
            "query($s: String) { journeys(filter: {search: $s}) { totalCount } }",
            json!({"s": huge}),
        ),
        (
            "query($s: String) { journeys(filter: {search: $s}) { totalCount } }",
            json!({"s": "a\u{0}b"}),
        ),
        (
            "query($s: String) { personas(search: $s) { totalCount } }",
            json!({"s": "\u{0}"}),
        ),
        (
            "query($c: String!) { customer(externalId: $c) { id } }",
            json!({"c": "\u{0}"}),
        ),
        (
            "query($c: String!) { customer(externalId: $c) { id } }",
            json!({"c": huge}),
        ),
        (
            "query($j: ID!) { touchpoint(journeyId: $j, key: \"\\u0000\") { id } }",
            json!({"j": o.journey}),
        ),
        (
            "query { journeys(after: \"not-a-cursor\") { totalCount } }",
            json!({}),
        ),
        (
            "query { journeys(after: \"eyJpZCI6MX0\") { totalCount } }",
            json!({}),
        ),
        (
            "query($a: String) { journeys(after: $a) { totalCount } }",
            json!({"a": "A".repeat(100_000)}),
        ),
        (
            "query($j: ID!) { journeyFunnel(journeyId: $j, conversionWindowDays: -5) { phase } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { journeyFunnel(journeyId: $j, conversionWindowDays: 2147483647) { phase } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { journeyPaths(journeyId: $j, limit: -1) { customers } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { journeyPaths(journeyId: $j, limit: 100000000) { customers } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { interactionSeries(journeyId: $j, interval: DAY, timezone: \"../../etc/passwd\") { interactions } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { interactionSeries(journeyId: $j, interval: DAY, timezone: \"\\u0000\") { interactions } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { interactionSeries(journeyId: $j, interval: DAY, from: \"0001-01-01T00:00:00Z\", to: \"9999-12-31T00:00:00Z\") { interactions } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { journeySummary(journeyId: $j, from: \"2026-03-02T00:00:00Z\", to: \"2026-03-01T00:00:00Z\") { customers } }",
            json!({"j": o.journey}),
        ),
        (
            "query($j: ID!) { journeySummary(journeyId: $j, from: \"yesterday\") { customers } }",
            json!({"j": o.journey}),
        ),
    ];
    for (query, variables) in &reads {
        let body = w.post(query, variables.clone()).await;
        assert!(
            body["errors"].is_array(),
            "{query} {variables} was accepted: {body}"
        );
    }
    assert_eq!(
        w.fingerprint().await,
        before,
        "hostile input changed stored data"
    );
}

async fn sql_metacharacters_are_plain_text(w: World) {
    let hostile = [
        "'",
        "\"",
        "%",
        "_",
        "\\",
        "' OR '1'='1",
        "'; DROP TABLE journeys; --",
        "%' OR 1=1 --",
        "$$; SELECT pg_sleep(5); $$",
        "\\'; DELETE FROM personas; --",
        "') UNION SELECT id, name FROM tenants --",
        "*/ DROP TABLE customers /*",
        "😀' --",
    ];
    let token = w.token();
    for text in hostile {
        // Matches nothing: the seeded names hold none of these.
        let body = w
            .post(
                "query($s: String) { journeys(filter: {search: $s}) { totalCount } personas(search: $s) { totalCount } }",
                json!({ "s": text }),
            )
            .await;
        assert_eq!(body["data"]["journeys"]["totalCount"], 0, "{text}: {body}");
        assert_eq!(body["data"]["personas"]["totalCount"], 0, "{text}: {body}");
        for (query, variables) in [
            (
                "query($c: String!) { customer(externalId: $c) { id } }",
                json!({ "c": text }),
            ),
            (
                "query($j: ID!, $k: String!) { touchpoint(journeyId: $j, key: $k) { id } }",
                json!({ "j": w.ours.journey, "k": text }),
            ),
        ] {
            let body = w.post(query, variables).await;
            let code = error_code(&body);
            assert!(
                code == "NOT_FOUND" || code == "BAD_USER_INPUT",
                "{text}: {body}"
            );
        }
        // Stored and found back exactly, as text.
        let name = format!("Persona {text}");
        let created = w
            .app
            .data(
                &token,
                "mutation($n: String!) { createPersona(input: {name: $n, description: $n}) { persona { name description } } }",
                json!({ "n": name }),
            )
            .await;
        assert_eq!(created["createPersona"]["persona"]["name"], name.as_str());
        let found = w
            .app
            .data(
                &token,
                "query($s: String) { personas(search: $s) { nodes { name } } }",
                json!({ "s": text }),
            )
            .await;
        assert_eq!(
            found["personas"]["nodes"],
            json!([{ "name": name }]),
            "{text}"
        );
        let customers = w
            .app
            .data(
                &token,
                "mutation($c: String!) { upsertCustomers(input: {customers: [{externalId: $c, attributes: {note: $c}}]}) { results { status } } }",
                json!({ "c": text }),
            )
            .await;
        assert_eq!(
            customers["upsertCustomers"]["results"][0]["status"],
            "CREATED"
        );
        let customer = w
            .app
            .data(
                &token,
                "query($c: String!) { customer(externalId: $c) { externalId attributes } }",
                json!({ "c": text }),
            )
            .await;
        assert_eq!(customer["customer"]["externalId"], text);
        assert_eq!(customer["customer"]["attributes"]["note"], text);
        // Clean up, so the next text matches only its own persona.
        let id = w
            .app
            .data(
                &token,
                "query($s: String) { personas(search: $s) { nodes { id } } }",
                json!({ "s": text }),
            )
            .await["personas"]["nodes"][0]["id"]
            .clone();
        w.app
            .data(
                &token,
                "mutation($id: ID!) { deletePersona(input: {id: $id}) { deletedId } }",
                json!({ "id": id }),
            )
            .await;
    }
    // Every table is still there and whole.
    let body = w
        .app
        .data(
            &token,
            "{ journeys { totalCount } personas { totalCount } channels { id } customers { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["journeys"]["totalCount"], 1);
    assert_eq!(body["personas"]["totalCount"], 1);
    assert_eq!(body["customers"]["totalCount"], 1 + hostile.len());
}
