//! A create/read/update/delete round trip of every journey-map entity, over
//! HTTP, on SQLite and PostgreSQL.

use journeyd_e2e::{TestApp, app, error_code, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(app =>
    journey_round_trip,
    stale_version_is_a_conflict_and_changes_nothing,
    phases_stay_dense_and_are_never_emptied_silently,
    personas_and_channels_round_trip,
    touchpoints_triggers_and_insights_round_trip,
    upsert_by_key_creates_then_updates,
    duplicate_makes_a_future_state_copy,
    bad_input_is_reported_per_field,
);

const JOURNEY_FIELDS: &str = "id name description version state status template goal { statement metric target deadline } phases { id name position stage }";

async fn create_journey(app: &TestApp, name: &str, template: &str) -> Value {
    let query = format!(
        "mutation($input: CreateJourneyInput!) {{ createJourney(input: $input) {{ journey {{ {JOURNEY_FIELDS} }} }} }}"
    );
    let input = json!({ "name": name, "template": template });
    app.data(&app.admin_token(), &query, json!({ "input": input }))
        .await["createJourney"]["journey"]
        .clone()
}

async fn create_channel(app: &TestApp, name: &str, kind: &str) -> String {
    let data = app
        .data(
            &app.admin_token(),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id name kind } } }",
            json!({ "input": { "name": name, "kind": kind } }),
        )
        .await;
    data["createChannel"]["channel"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn journey_round_trip(app: TestApp) {
    let token = app.admin_token();
    let query = format!(
        "mutation($input: CreateJourneyInput!) {{ createJourney(input: $input) {{ journey {{ {JOURNEY_FIELDS} }} }} }}"
    );
    let input = json!({
        "name": "  Webshop  ",
        "description": "Buying online",
        "goal": { "statement": "More buyers", "metric": "conversion", "target": 0.05, "deadline": "2027-06-30" },
        "state": "CURRENT",
        "status": "ACTIVE",
        "template": "FIVE_AS",
    });
    let created =
        app.data(&token, &query, json!({ "input": input })).await["createJourney"]["journey"]
            .clone();
    assert_eq!(created["name"], "Webshop");
    assert_eq!(created["version"], 1);
    assert_eq!(created["template"], "FIVE_AS");
    assert_eq!(created["goal"]["deadline"], "2027-06-30");
    let phases: Vec<&str> = created["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["Aware", "Appeal", "Ask", "Act", "Advocate"]);
    let id = created["id"].as_str().unwrap();

    let read = app
        .data(
            &token,
            &format!("query($id: ID!) {{ journey(id: $id) {{ {JOURNEY_FIELDS} }} node(id: $id) {{ id ... on Journey {{ name }} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["journey"], created);
    assert_eq!(read["node"]["name"], "Webshop");

    let updated = app
        .data(
            &token,
            "mutation($input: UpdateJourneyInput!) { updateJourney(input: $input) { journey { name description version status goal { statement } } } }",
            json!({ "input": { "id": id, "version": 1, "name": "Webshop 2", "description": null, "status": "ARCHIVED" } }),
        )
        .await["updateJourney"]["journey"]
        .clone();
    assert_eq!(updated["name"], "Webshop 2");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["status"], "ARCHIVED");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["goal"]["statement"], "More buyers",
        "untouched fields stay"
    );

    let deleted = app
        .data(
            &token,
            "mutation($input: DeleteJourneyInput!) { deleteJourney(input: $input) { deletedId } }",
            json!({ "input": { "id": id, "version": 2 } }),
        )
        .await;
    assert_eq!(deleted["deleteJourney"]["deletedId"], id);
    let gone = app
        .error_code(
            Some(&token),
            "query($id: ID!) { journey(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(gone, "NOT_FOUND");
}

async fn stale_version_is_a_conflict_and_changes_nothing(app: TestApp) {
    let token = app.admin_token();
    let journey = create_journey(&app, "Versioned", "EMPTY").await;
    let id = journey["id"].as_str().unwrap();
    let update = "mutation($input: UpdateJourneyInput!) { updateJourney(input: $input) { journey { version name } } }";
    app.data(
        &token,
        update,
        json!({ "input": { "id": id, "version": 1, "name": "First" } }),
    )
    .await;
    let body = app
        .post(
            Some(&token),
            update,
            json!({ "input": { "id": id, "version": 1, "name": "Second" } }),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT");
    let stored = app
        .data(
            &token,
            "query($id: ID!) { journey(id: $id) { name version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(stored["journey"], json!({ "name": "First", "version": 2 }));
    let delete_stale = app
        .error_code(
            Some(&token),
            "mutation($input: DeleteJourneyInput!) { deleteJourney(input: $input) { deletedId } }",
            json!({ "input": { "id": id, "version": 1 } }),
        )
        .await;
    assert_eq!(delete_stale, "CONFLICT");
}

async fn phases_stay_dense_and_are_never_emptied_silently(app: TestApp) {
    let token = app.admin_token();
    let journey = create_journey(&app, "Phases", "FOUR_STEP").await;
    let journey_id = journey["id"].as_str().unwrap();
    let phase_ids: Vec<String> = journey["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let added = app
        .data(
            &token,
            "mutation($input: AddPhaseInput!) { addPhase(input: $input) { phase { id position name expectedEmotion customerGoals } } }",
            json!({ "input": { "journeyId": journey_id, "name": "Research", "stage": "CONSIDERATION", "position": 1,
                              "expectedEmotion": "NEUTRAL", "customerGoals": ["Compare prices"] } }),
        )
        .await["addPhase"]["phase"]
        .clone();
    assert_eq!(added["position"], 1);
    assert_eq!(added["customerGoals"], json!(["Compare prices"]));
    app.data(
        &token,
        "mutation($input: MovePhaseInput!) { movePhase(input: $input) { phase { position } } }",
        json!({ "input": { "id": added["id"], "position": 4 } }),
    )
    .await;
    let names = |journey: &Value| -> Vec<(u64, String)> {
        journey["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["position"].as_u64().unwrap(),
                    p["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let read = app
        .data(
            &token,
            "query($id: ID!) { journey(id: $id) { phases { position name } } }",
            json!({ "id": journey_id }),
        )
        .await;
    assert_eq!(
        names(&read["journey"]),
        vec![
            (0, "Awareness".to_owned()),
            (1, "Consideration".to_owned()),
            (2, "Decision".to_owned()),
            (3, "Post-purchase".to_owned()),
            (4, "Research".to_owned()),
        ]
    );

    let channel = create_channel(&app, "Website", "WEB").await;
    app.data(
        &token,
        "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id } } }",
        json!({ "input": { "phaseId": phase_ids[1], "channelId": channel, "key": "compare", "name": "Compare" } }),
    )
    .await;
    let remove = "mutation($input: RemovePhaseInput!) { removePhase(input: $input) { deletedId journey { phases { position name touchpoints { key position } } } } }";
    let refused = app
        .post(
            Some(&token),
            remove,
            json!({ "input": { "id": phase_ids[1] } }),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
    let moved = app
        .data(
            &token,
            remove,
            json!({ "input": { "id": phase_ids[1], "moveContentTo": phase_ids[2] } }),
        )
        .await;
    let phases = &moved["removePhase"]["journey"]["phases"];
    assert_eq!(phases.as_array().unwrap().len(), 4);
    assert_eq!(phases[1]["name"], "Decision");
    assert_eq!(
        phases[1]["touchpoints"],
        json!([{ "key": "compare", "position": 0 }])
    );
    let positions: Vec<u64> = phases
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [0, 1, 2, 3]);
    let both = app
        .error_code(
            Some(&token),
            remove,
            json!({ "input": { "id": phase_ids[2], "moveContentTo": phase_ids[0], "cascade": true } }),
        )
        .await;
    assert_eq!(both, "BAD_USER_INPUT");
    let cascaded = app
        .data(
            &token,
            remove,
            json!({ "input": { "id": phase_ids[2], "cascade": true } }),
        )
        .await;
    assert_eq!(
        cascaded["removePhase"]["journey"]["phases"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

async fn personas_and_channels_round_trip(app: TestApp) {
    let token = app.admin_token();
    let persona = app
        .data(
            &token,
            "mutation($input: CreatePersonaInput!) { createPersona(input: $input) { persona { id name demographics { label value } goals frustrations motivations preferredChannels } } }",
            json!({ "input": {
                "name": "Starter Sam",
                "demographics": [{ "label": "Age", "value": "25-34" }],
                "goals": ["Buy quickly"],
                "frustrations": ["Hidden costs"],
                "motivations": ["Reviews"],
                "preferredChannels": ["SOCIAL", "APP", "SOCIAL"],
            } }),
        )
        .await["createPersona"]["persona"]
        .clone();
    assert_eq!(persona["preferredChannels"], json!(["SOCIAL", "APP"]));
    let persona_id = persona["id"].as_str().unwrap();
    let journey = create_journey(&app, "With persona", "CLASSIC").await;
    let journey_id = journey["id"].as_str().unwrap();
    let linked = app
        .data(
            &token,
            "mutation($input: JourneyPersonaInput!) { linkPersona(input: $input) { journey { personas { name journeys { name } } } } }",
            json!({ "input": { "journeyId": journey_id, "personaId": persona_id } }),
        )
        .await;
    assert_eq!(
        linked["linkPersona"]["journey"]["personas"],
        json!([{ "name": "Starter Sam", "journeys": [{ "name": "With persona" }] }])
    );
    let updated = app
        .data(
            &token,
            "mutation($input: UpdatePersonaInput!) { updatePersona(input: $input) { persona { name goals frustrations } } }",
            json!({ "input": { "id": persona_id, "name": "Sam", "goals": [] } }),
        )
        .await;
    assert_eq!(
        updated["updatePersona"]["persona"],
        json!({ "name": "Sam", "goals": [], "frustrations": ["Hidden costs"] })
    );
    let listed = app
        .data(
            &token,
            "{ personas(first: 10, search: \"sa\") { totalCount nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["personas"],
        json!({ "totalCount": 1, "nodes": [{ "name": "Sam" }] })
    );

    let channel = create_channel(&app, "Newsletter", "EMAIL").await;
    let duplicate = app
        .error_code(
            Some(&token),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }",
            json!({ "input": { "name": "Newsletter", "kind": "EMAIL" } }),
        )
        .await;
    assert_eq!(duplicate, "CONFLICT");
    let renamed = app
        .data(
            &token,
            "mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { name kind } } }",
            json!({ "input": { "id": channel, "name": "Weekly mail", "kind": "EMAIL" } }),
        )
        .await;
    assert_eq!(renamed["updateChannel"]["channel"]["name"], "Weekly mail");
    let channels = app
        .data(&token, "{ channels(kind: EMAIL) { name } }", json!({}))
        .await;
    assert_eq!(channels["channels"], json!([{ "name": "Weekly mail" }]));

    app.data(
        &token,
        "mutation($input: DeletePersonaInput!) { deletePersona(input: $input) { deletedId } }",
        json!({ "input": { "id": persona_id } }),
    )
    .await;
    let after = app
        .data(
            &token,
            "query($id: ID!) { journey(id: $id) { personas { name } } }",
            json!({ "id": journey_id }),
        )
        .await;
    assert_eq!(
        after["journey"]["personas"],
        json!([]),
        "the link went with the persona"
    );
    app.data(
        &token,
        "mutation($input: DeleteChannelInput!) { deleteChannel(input: $input) { deletedId } }",
        json!({ "input": { "id": channel } }),
    )
    .await;
    assert_eq!(
        app.data(&token, "{ channels { name } }", json!({})).await["channels"],
        json!([])
    );
}

async fn touchpoints_triggers_and_insights_round_trip(app: TestApp) {
    let token = app.admin_token();
    let journey = create_journey(&app, "Map", "CLASSIC").await;
    let journey_id = journey["id"].as_str().unwrap();
    let phases: Vec<String> = journey["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let web = create_channel(&app, "Website", "WEB").await;
    let store = create_channel(&app, "Store", "STORE").await;
    let create = "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id key position isConversion kpi { name target unit } channel { name } phase { name } } } }";
    let checkout = app
        .data(
            &token,
            create,
            json!({ "input": { "phaseId": phases[2], "channelId": web, "key": "checkout", "name": "Checkout",
                              "isConversion": true, "kpi": { "name": "Conversion", "target": 0.04, "unit": "%" },
                              "sentiment": "NEGATIVE" } }),
        )
        .await["createTouchpoint"]["touchpoint"]
        .clone();
    assert_eq!(checkout["channel"]["name"], "Website");
    assert_eq!(checkout["phase"]["name"], "Purchase");
    assert_eq!(
        checkout["kpi"],
        json!({ "name": "Conversion", "target": 0.04, "unit": "%" })
    );
    let first = app
        .data(
            &token,
            create,
            json!({ "input": { "phaseId": phases[2], "channelId": store, "key": "in-store", "name": "In store", "position": 0 } }),
        )
        .await["createTouchpoint"]["touchpoint"]
        .clone();
    assert_eq!(first["position"], 0);
    let taken = app
        .error_code(
            Some(&token),
            create,
            json!({ "input": { "phaseId": phases[0], "channelId": web, "key": "checkout", "name": "Again" } }),
        )
        .await;
    assert_eq!(taken, "CONFLICT");

    let checkout_id = checkout["id"].as_str().unwrap();
    let moved = app
        .data(
            &token,
            "mutation($input: MoveTouchpointInput!) { moveTouchpoint(input: $input) { touchpoint { position phase { name } } } }",
            json!({ "input": { "id": checkout_id, "phaseId": phases[1] } }),
        )
        .await;
    assert_eq!(
        moved["moveTouchpoint"]["touchpoint"],
        json!({ "position": 0, "phase": { "name": "Consideration" } })
    );
    let updated = app
        .data(
            &token,
            "mutation($input: UpdateTouchpointInput!) { updateTouchpoint(input: $input) { touchpoint { name owner kpi { name } sentiment } } }",
            json!({ "input": { "id": checkout_id, "name": "Cart", "owner": "E-commerce", "kpi": null, "sentiment": "POSITIVE" } }),
        )
        .await;
    assert_eq!(
        updated["updateTouchpoint"]["touchpoint"],
        json!({ "name": "Cart", "owner": "E-commerce", "kpi": null, "sentiment": "POSITIVE" })
    );
    let by_key = app
        .data(
            &token,
            "query($j: ID!) { touchpoint(journeyId: $j, key: \"checkout\") { name } }",
            json!({ "j": journey_id }),
        )
        .await;
    assert_eq!(by_key["touchpoint"]["name"], "Cart");

    let trigger = app
        .data(
            &token,
            "mutation($input: CreateTriggerInput!) { createTrigger(input: $input) { trigger { id name kind phase { name } } } }",
            json!({ "input": { "journeyId": journey_id, "phaseId": phases[0], "name": "Advert", "kind": "ADVERTISEMENT" } }),
        )
        .await["createTrigger"]["trigger"]
        .clone();
    assert_eq!(trigger["phase"]["name"], "Awareness");
    let trigger_update = app
        .data(
            &token,
            "mutation($input: UpdateTriggerInput!) { updateTrigger(input: $input) { trigger { phase { name } kind } } }",
            json!({ "input": { "id": trigger["id"], "phaseId": null, "kind": "INTERNAL_NEED" } }),
        )
        .await;
    assert_eq!(
        trigger_update["updateTrigger"]["trigger"],
        json!({ "phase": null, "kind": "INTERNAL_NEED" })
    );

    let insight = app
        .data(
            &token,
            "mutation($input: CreateInsightInput!) { createInsight(input: $input) { insight { id kind severity title touchpoint { key } phase { id } } } }",
            json!({ "input": { "journeyId": journey_id, "touchpointId": checkout_id, "kind": "PAIN_POINT",
                              "title": "Hidden delivery costs", "severity": "HIGH", "source": "interviews" } }),
        )
        .await["createInsight"]["insight"]
        .clone();
    assert_eq!(insight["touchpoint"]["key"], "checkout");
    let insight_id = insight["id"].as_str().unwrap();
    let retargeted = app
        .data(
            &token,
            "mutation($input: UpdateInsightInput!) { updateInsight(input: $input) { insight { phase { name } touchpoint { key } severity } } }",
            json!({ "input": { "id": insight_id, "phaseId": phases[3], "severity": "CRITICAL" } }),
        )
        .await;
    assert_eq!(
        retargeted["updateInsight"]["insight"],
        json!({ "phase": { "name": "Service" }, "touchpoint": null, "severity": "CRITICAL" })
    );

    let map = app
        .data(
            &token,
            "query($id: ID!) { journey(id: $id) { touchpoints { key } triggers { name } insights(kind: PAIN_POINT) { title } phases { name insights { title } } } }",
            json!({ "id": journey_id }),
        )
        .await;
    assert_eq!(
        map["journey"]["touchpoints"],
        json!([{ "key": "checkout" }, { "key": "in-store" }])
    );
    assert_eq!(map["journey"]["triggers"], json!([{ "name": "Advert" }]));
    assert_eq!(
        map["journey"]["insights"],
        json!([{ "title": "Hidden delivery costs" }])
    );
    assert_eq!(
        map["journey"]["phases"][3]["insights"],
        json!([{ "title": "Hidden delivery costs" }])
    );

    for (mutation, input_type, id) in [
        ("deleteInsight", "DeleteInsightInput", insight_id),
        (
            "deleteTrigger",
            "DeleteTriggerInput",
            trigger["id"].as_str().unwrap(),
        ),
        ("deleteTouchpoint", "DeleteTouchpointInput", checkout_id),
    ] {
        let query = format!(
            "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ deletedId }} }}"
        );
        let deleted = app
            .data(&token, &query, json!({ "input": { "id": id } }))
            .await;
        assert_eq!(deleted[mutation]["deletedId"], id);
        let again = app
            .error_code(Some(&token), &query, json!({ "input": { "id": id } }))
            .await;
        assert_eq!(again, "NOT_FOUND", "{mutation} twice");
    }
    let in_use = app
        .error_code(
            Some(&token),
            "mutation($input: DeleteChannelInput!) { deleteChannel(input: $input) { deletedId } }",
            json!({ "input": { "id": store } }),
        )
        .await;
    assert_eq!(in_use, "CONFLICT", "a channel in use is not deleted");
}

async fn upsert_by_key_creates_then_updates(app: TestApp) {
    let token = app.admin_token();
    let journey = create_journey(&app, "CRM", "DECISION").await;
    let journey_id = journey["id"].as_str().unwrap();
    let phases = journey["phases"].as_array().unwrap();
    let web = create_channel(&app, "Website", "WEB").await;
    let upsert = "mutation($input: UpsertTouchpointInput!) { upsertTouchpoint(input: $input) { created touchpoint { id name phase { name } position } } }";
    let first = app
        .data(
            &token,
            upsert,
            json!({ "input": { "journeyId": journey_id, "key": "demo-call", "phaseId": phases[1]["id"], "channelId": web, "name": "Demo call" } }),
        )
        .await["upsertTouchpoint"]
        .clone();
    assert_eq!(first["created"], true);
    let second = app
        .data(
            &token,
            upsert,
            json!({ "input": { "journeyId": journey_id, "key": "demo-call", "phaseId": phases[2]["id"], "channelId": web, "name": "Sales demo" } }),
        )
        .await["upsertTouchpoint"]
        .clone();
    assert_eq!(second["created"], false);
    assert_eq!(second["touchpoint"]["id"], first["touchpoint"]["id"]);
    assert_eq!(second["touchpoint"]["name"], "Sales demo");
    assert_eq!(second["touchpoint"]["phase"]["name"], "Decision");
}

async fn duplicate_makes_a_future_state_copy(app: TestApp) {
    let token = app.admin_token();
    let journey = create_journey(&app, "Today", "FOUR_STEP").await;
    let phases = journey["phases"].as_array().unwrap();
    let web = create_channel(&app, "Website", "WEB").await;
    app.data(
        &token,
        "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id } } }",
        json!({ "input": { "phaseId": phases[0]["id"], "channelId": web, "key": "landing", "name": "Landing page" } }),
    )
    .await;
    let copy = app
        .data(
            &token,
            "mutation($input: DuplicateJourneyInput!) { duplicateJourney(input: $input) { journey { id name state status version phases { name touchpoints { key } } } } }",
            json!({ "input": { "id": journey["id"], "name": "Tomorrow", "state": "FUTURE" } }),
        )
        .await["duplicateJourney"]["journey"]
        .clone();
    assert_ne!(copy["id"], journey["id"]);
    assert_eq!(copy["name"], "Tomorrow");
    assert_eq!(copy["state"], "FUTURE");
    assert_eq!(copy["status"], "DRAFT");
    assert_eq!(
        copy["phases"][0]["touchpoints"],
        json!([{ "key": "landing" }])
    );
    assert_eq!(copy["phases"].as_array().unwrap().len(), 4);
}

async fn bad_input_is_reported_per_field(app: TestApp) {
    let token = app.admin_token();
    let create =
        "mutation($input: CreateJourneyInput!) { createJourney(input: $input) { journey { id } } }";
    let body = app
        .post(
            Some(&token),
            create,
            json!({ "input": { "name": "   ", "template": "CLASSIC" } }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "name");
    let body = app
        .post(
            Some(&token),
            create,
            json!({ "input": { "name": "x", "template": "CLASSIC", "goal": { "statement": "s", "deadline": "31-12-2027" } } }),
        )
        .await;
    assert!(body["errors"].is_array(), "{body}");
    let bad_id = app
        .error_code(
            Some(&token),
            "{ journey(id: \"not-an-id\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(bad_id, "BAD_USER_INPUT");
    let listed = app
        .data(&token, "{ journeys { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["journeys"]["totalCount"], 0, "nothing was stored");
}
