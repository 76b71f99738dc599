//! The worked example through the API, on SQLite and PostgreSQL: the
//! journey, customers and interactions of `tests/fixtures/metrics-webshop.json`
//! are loaded over HTTP, and every metric must equal the expected figures.

use journeyd_e2e::{TENANT, TestApp, app, on_both_databases};
use serde_json::{Value, json};
use std::collections::HashMap;

on_both_databases!(app => every_metric_matches_the_worked_example);

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/metrics-webshop.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

struct Loaded {
    journey: String,
    personas: HashMap<String, String>,
}

async fn load(app: &TestApp, ex: &Value) -> Loaded {
    let token = app.admin_token();
    let journey = app
        .data(&token, "mutation { createJourney(input: {name: \"Webshop\", template: EMPTY}) { journey { id } } }", json!({}))
        .await["createJourney"]["journey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut phases = HashMap::new();
    for (i, name) in ex["journey"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let stage = ["AWARENESS", "CONSIDERATION", "DECISION", "ADVOCACY"][i.min(3)];
        let id = app
            .data(
                &token,
                "mutation($input: AddPhaseInput!) { addPhase(input: $input) { phase { id } } }",
                json!({ "input": { "journeyId": journey, "name": name, "stage": stage } }),
            )
            .await["addPhase"]["phase"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        phases.insert(name.as_str().unwrap().to_owned(), id);
    }
    let mut channels: HashMap<String, String> = HashMap::new();
    for tp in ex["journey"]["touchpoints"].as_array().unwrap() {
        let kind = tp["channel"].as_str().unwrap();
        if !channels.contains_key(kind) {
            let id = app
                .data(
                    &token,
                    "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }",
                    json!({ "input": { "name": kind, "kind": kind } }),
                )
                .await["createChannel"]["channel"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            channels.insert(kind.to_owned(), id);
        }
        app.data(
            &token,
            "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id } } }",
            json!({ "input": { "phaseId": phases[tp["phase"].as_str().unwrap()], "channelId": channels[kind],
                              "key": tp["key"], "name": tp["key"], "isConversion": tp["isConversion"] } }),
        )
        .await;
    }
    let mut personas = HashMap::new();
    for c in ex["customers"].as_array().unwrap() {
        if let Some(name) = c["persona"].as_str()
            && !personas.contains_key(name)
        {
            let id = app
                .data(
                    &token,
                    "mutation($input: CreatePersonaInput!) { createPersona(input: $input) { persona { id } } }",
                    json!({ "input": { "name": name } }),
                )
                .await["createPersona"]["persona"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            personas.insert(name.to_owned(), id);
        }
    }
    let customers: Vec<Value> = ex["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!({ "externalId": c["externalId"], "personaId": c["persona"].as_str().map(|p| personas[p].clone()) }))
        .collect();
    app.data(
        &token,
        "mutation($input: UpsertCustomersInput!) { upsertCustomers(input: $input) { results { status } } }",
        json!({ "input": { "customers": customers } }),
    )
    .await;
    // Interactions arrive in two batches, the second one late.
    let items: Vec<Value> = ex["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut item = json!({ "externalId": i["externalId"], "customerExternalId": i["customer"], "journeyId": journey,
                                   "touchpointKey": i["touchpoint"], "occurredAt": i["occurredAt"],
                                   "sentiment": i["sentiment"], "rating": i["rating"], "nps": i["nps"] });
            if i["value"].is_object() {
                item["value"] = i["value"].clone();
            }
            item
        })
        .collect();
    let (late, early) = items.split_at(items.len() / 2);
    for batch in [early, late] {
        let answer = app
            .data(
                &token,
                "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { accepted rejected results { message } } }",
                json!({ "input": { "interactions": batch } }),
            )
            .await;
        assert_eq!(answer["recordInteractions"]["rejected"], 0, "{answer}");
    }
    Loaded { journey, personas }
}

fn close(actual: &Value, expected: &Value, what: &str) {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} != {e}"),
        _ => assert!(
            actual.is_null() && expected.is_null(),
            "{what}: {actual} != {expected}"
        ),
    }
}

fn compare_fields(actual: &Value, expected: &Value, fields: &[&str], what: &str) {
    for field in fields {
        close(
            &actual[*field],
            &expected[*field],
            &format!("{what}.{field}"),
        );
    }
}

const FUNNEL_FIELDS: &[&str] = &[
    "customers",
    "conversionFromPrevious",
    "conversionFromStart",
    "dropOff",
    "medianSecondsFromPrevious",
    "p90SecondsFromPrevious",
];
const EMOTION_FIELDS: &[&str] = &[
    "interactions",
    "withSentiment",
    "averageSentiment",
    "positiveShare",
    "neutralShare",
    "negativeShare",
    "averageRating",
    "csat",
    "nps",
];

async fn every_metric_matches_the_worked_example(app: TestApp) {
    let ex = fixture();
    let loaded = load(&app, &ex).await;
    let bi = app.token(TENANT, "metrics:read");
    let expected = &ex["expected"];
    let vars = |extra: Value| {
        let mut v =
            json!({ "j": loaded.journey, "from": ex["range"]["from"], "to": ex["range"]["to"] });
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };

    let funnel = "query($j: ID!, $from: DateTime, $to: DateTime, $p: ID) { journeyFunnel(journeyId: $j, from: $from, to: $to, conversionWindowDays: 30, personaId: $p) {
        phase customers conversionFromPrevious conversionFromStart dropOff medianSecondsFromPrevious p90SecondsFromPrevious } }";
    for (key, persona) in [
        ("journeyFunnel(conversionWindowDays: 30)", Value::Null),
        (
            "journeyFunnel(conversionWindowDays: 30, persona: Starter)",
            json!(loaded.personas["Starter"]),
        ),
    ] {
        let rows =
            app.data(&bi, funnel, vars(json!({ "p": persona }))).await["journeyFunnel"].clone();
        let want = expected[key].as_array().unwrap();
        assert_eq!(rows.as_array().unwrap().len(), want.len());
        for (row, e) in rows.as_array().unwrap().iter().zip(want) {
            assert_eq!(row["phase"], e["phase"]);
            compare_fields(row, e, FUNNEL_FIELDS, key);
        }
    }

    let curve = app
        .data(
            &bi,
            "query($j: ID!, $from: DateTime, $to: DateTime) { emotionCurve(journeyId: $j, from: $from, to: $to) {
               phase interactions withSentiment averageSentiment positiveShare neutralShare negativeShare averageRating csat nps
               touchpoints { touchpoint interactions withSentiment averageSentiment positiveShare neutralShare negativeShare averageRating csat nps } } }",
            vars(json!({})),
        )
        .await["emotionCurve"]
        .clone();
    for (row, e) in curve
        .as_array()
        .unwrap()
        .iter()
        .zip(expected["emotionCurve"].as_array().unwrap())
    {
        assert_eq!(row["phase"], e["phase"]);
        compare_fields(row, e, EMOTION_FIELDS, e["phase"].as_str().unwrap());
        for tp in e["touchpoints"].as_array().unwrap() {
            let got = row["touchpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["touchpoint"] == tp["touchpoint"])
                .unwrap();
            compare_fields(got, tp, EMOTION_FIELDS, tp["touchpoint"].as_str().unwrap());
        }
    }

    let mix = app
        .data(
            &bi,
            "query($j: ID!, $from: DateTime, $to: DateTime) { channelMix(journeyId: $j, from: $from, to: $to) { phase channelKind interactions share averageSentiment } }",
            vars(json!({})),
        )
        .await["channelMix"]
        .clone();
    let want_mix = expected["channelMix"].as_array().unwrap();
    assert_eq!(mix.as_array().unwrap().len(), want_mix.len());
    for e in want_mix {
        let got = mix
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["phase"] == e["phase"] && r["channelKind"] == e["channel"])
            .unwrap();
        compare_fields(
            got,
            e,
            &["interactions", "share", "averageSentiment"],
            "channelMix",
        );
    }

    let series = "query($j: ID!, $from: DateTime, $to: DateTime, $interval: SeriesInterval!, $tz: String!) {
        interactionSeries(journeyId: $j, from: $from, to: $to, interval: $interval, timezone: $tz) { bucket interactions entries } }";
    let weeks = app
        .data(
            &bi,
            series,
            vars(json!({ "interval": "WEEK", "tz": "UTC" })),
        )
        .await["interactionSeries"]
        .clone();
    let want = expected["interactionSeries(interval: WEEK, timezone: UTC)"]
        .as_array()
        .unwrap();
    assert_eq!(weeks.as_array().unwrap(), want);
    let days = app
        .data(
            &bi,
            series,
            vars(json!({ "interval": "DAY", "tz": "Asia/Kolkata" })),
        )
        .await["interactionSeries"]
        .clone();
    let active: Vec<&Value> = days
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["interactions"] != 0 || d["entries"] != 0)
        .collect();
    let want: Vec<&Value> = expected["interactionSeries(interval: DAY, timezone: Asia/Kolkata) [days with activity only]"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(active, want);
    assert_eq!(days.as_array().unwrap().len(), 32);

    let paths = app
        .data(
            &bi,
            "query($j: ID!, $from: DateTime, $to: DateTime) { journeyPaths(journeyId: $j, from: $from, to: $to, limit: 10) { customers backStepRate skipRate paths { phases customers share } } }",
            vars(json!({})),
        )
        .await["journeyPaths"]
        .clone();
    let want = &expected["journeyPaths(limit: 10)"];
    compare_fields(
        &paths,
        want,
        &["customers", "backStepRate", "skipRate"],
        "paths",
    );
    let key = |p: &Value| (p["phases"].to_string(), p["customers"].as_i64().unwrap());
    let mut got: Vec<_> = paths["paths"].as_array().unwrap().iter().map(key).collect();
    let mut wanted: Vec<_> = want["paths"].as_array().unwrap().iter().map(key).collect();
    got.sort();
    wanted.sort();
    assert_eq!(got, wanted);

    let summary = app
        .data(
            &bi,
            "query($j: ID!, $from: DateTime, $to: DateTime) { journeySummary(journeyId: $j, from: $from, to: $to) {
               customers interactions funnelEntries funnelCompletions value { currency amount } bounceRate repeatRate averageSentiment csat nps } }",
            vars(json!({})),
        )
        .await["journeySummary"]
        .clone();
    let want = &expected["journeySummary"];
    compare_fields(
        &summary,
        want,
        &[
            "customers",
            "interactions",
            "funnelEntries",
            "funnelCompletions",
            "bounceRate",
            "repeatRate",
            "averageSentiment",
            "csat",
            "nps",
        ],
        "summary",
    );
    for (currency, amount) in want["value"].as_object().unwrap() {
        let got = summary["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["currency"] == *currency)
            .unwrap();
        let got: f64 = got["amount"].as_str().unwrap().parse().unwrap();
        assert!((got - amount.as_f64().unwrap()).abs() < 1e-9, "{currency}");
    }

    // Metrics need their scope; journey-map tokens are refused.
    let reader = app.token(TENANT, "journeys:read");
    let code = app
        .error_code(Some(&reader), funnel, vars(json!({ "p": null })))
        .await;
    assert_eq!(code, "FORBIDDEN");
}
