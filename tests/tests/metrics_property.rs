//! Property test of the metrics: random journeys and interaction sets
//! (out-of-order and late events, skips, back-steps, ties, several personas)
//! are loaded over HTTP, and every metric the API serves, for random ranges,
//! personas and time zones (some with non-whole-hour offsets), must equal
//! the oracle's straightforward computation from the raw interactions.

use chrono::{DateTime, Utc};
use journeyd_domain::metrics::oracle::{self, Event, Query};
use journeyd_domain::metrics::series::{Interval, SeriesBuckets, parse_zone};
use journeyd_domain::metrics::*;
use journeyd_e2e::{TENANT, TestApp, app, on_both_databases};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

on_both_databases!(app => metrics_equal_the_oracle_on_random_data);

const ZONES: &[&str] = &[
    "UTC",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Adelaide",
    "Europe/Amsterdam",
];
const KINDS: &[&str] = &["WEB", "EMAIL", "STORE", "SOCIAL"];
const DAY: i64 = 86_400_000_000;
const BASE: &str = "2026-03-01T00:00:00Z";

fn base_us() -> i64 {
    DateTime::parse_from_rfc3339(BASE)
        .unwrap()
        .timestamp_micros()
}

fn rfc(us: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .unwrap()
        .to_rfc3339()
}

/// A generated world: the journey shape, its names, and the raw events.
struct World {
    shape: JourneyShape,
    phase_names: Vec<String>,
    touchpoint_keys: Vec<String>,
    channel_names: Vec<String>,
    personas: usize,
    customer_persona: Vec<Option<usize>>,
    events: Vec<Event>,
}

fn generate(rng: &mut StdRng, case: usize) -> World {
    let phases = rng.random_range(2..=5);
    let channels = rng.random_range(1..=KINDS.len());
    let mut touchpoints = Vec::new();
    for phase in 0..phases {
        for _ in 0..rng.random_range(1..=3) {
            touchpoints.push(ShapeTouchpoint {
                phase,
                channel: rng.random_range(0..channels),
                conversion: rng.random_bool(0.25),
            });
        }
    }
    let personas = rng.random_range(1..=3);
    let customers = rng.random_range(8..=25);
    let customer_persona: Vec<Option<usize>> = (0..customers)
        .map(|_| rng.random_bool(0.8).then(|| rng.random_range(0..personas)))
        .collect();
    let mut events = Vec::new();
    for (customer, persona) in customer_persona.iter().enumerate() {
        let mut at = base_us() + rng.random_range(0..50) * DAY + rng.random_range(0..DAY);
        for _ in 0..rng.random_range(1..=10) {
            // Mostly forward through the phases, with skips and back-steps.
            let tp = rng.random_range(0..touchpoints.len());
            let step = match rng.random_range(0..10) {
                0 => 0, // a tie: the same instant
                1 => rng.random_range(0..60) * 1_000_000,
                _ => rng.random_range(1..(5 * DAY)),
            };
            at += step;
            events.push(Event {
                customer: customer as u64,
                persona: persona.map(|p| p as u64),
                touchpoint: tp,
                at_us: at,
                sentiment: rng.random_bool(0.7).then(|| rng.random_range(-2..=2)),
                rating: rng.random_bool(0.3).then(|| rng.random_range(1..=5)),
                nps: rng.random_bool(0.3).then(|| rng.random_range(0..=10)),
                value: rng.random_bool(0.2).then(|| {
                    (
                        (if rng.random_bool(0.7) { "EUR" } else { "USD" }).to_owned(),
                        rng.random_range(1..100_000) * 100,
                    )
                }),
            });
        }
    }
    World {
        shape: JourneyShape {
            phases,
            touchpoints: touchpoints.clone(),
        },
        phase_names: (0..phases).map(|p| format!("Phase {case}.{p}")).collect(),
        touchpoint_keys: (0..touchpoints.len()).map(|t| format!("tp-{t}")).collect(),
        channel_names: (0..channels)
            .map(|c| format!("Channel {case}.{c}"))
            .collect(),
        personas,
        customer_persona,
        events,
    }
}

struct Loaded {
    journey: String,
    personas: Vec<String>,
}

async fn load(app: &TestApp, world: &World, rng: &mut StdRng, case: usize) -> Loaded {
    let token = app.admin_token();
    let journey = app
        .data(
            &token,
            "mutation($name: String!) { createJourney(input: {name: $name, template: EMPTY}) { journey { id } } }",
            json!({ "name": format!("Case {case}") }),
        )
        .await["createJourney"]["journey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut phase_ids = Vec::new();
    for name in &world.phase_names {
        let id = app
            .data(&token, "mutation($input: AddPhaseInput!) { addPhase(input: $input) { phase { id } } }",
                  json!({ "input": { "journeyId": journey, "name": name, "stage": "CONSIDERATION" } }))
            .await["addPhase"]["phase"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        phase_ids.push(id);
    }
    let mut channel_ids = Vec::new();
    for (i, name) in world.channel_names.iter().enumerate() {
        let id = app
            .data(&token, "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }",
                  json!({ "input": { "name": name, "kind": KINDS[i] } }))
            .await["createChannel"]["channel"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        channel_ids.push(id);
    }
    for (i, tp) in world.shape.touchpoints.iter().enumerate() {
        app.data(
            &token,
            "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id } } }",
            json!({ "input": { "phaseId": phase_ids[tp.phase], "channelId": channel_ids[tp.channel], "key": world.touchpoint_keys[i],
                              "name": world.touchpoint_keys[i], "isConversion": tp.conversion } }),
        )
        .await;
    }
    let mut personas = Vec::new();
    for p in 0..world.personas {
        let id = app
            .data(&token, "mutation($input: CreatePersonaInput!) { createPersona(input: $input) { persona { id } } }",
                  json!({ "input": { "name": format!("Persona {case}.{p}") } }))
            .await["createPersona"]["persona"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        personas.push(id);
    }
    // Some customers get their persona before their interactions, the
    // others after (their rollup contributions then move).
    let assign = |who: &[usize]| -> Value {
        json!(who
            .iter()
            .map(|c| json!({ "externalId": format!("k{case}-{c}"), "personaId": world.customer_persona[*c].map(|p| personas[p].clone()) }))
            .collect::<Vec<_>>())
    };
    let (before, after): (Vec<usize>, Vec<usize>) =
        (0..world.customer_persona.len()).partition(|c| c % 2 == 0);
    let upsert = "mutation($input: UpsertCustomersInput!) { upsertCustomers(input: $input) { results { status } } }";
    app.data(
        &token,
        upsert,
        json!({ "input": { "customers": assign(&before) } }),
    )
    .await;
    let mut items: Vec<Value> = world
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut item = json!({ "externalId": format!("x{case}-{i}"), "customerExternalId": format!("k{case}-{}", e.customer),
                                   "journeyId": journey, "touchpointKey": world.touchpoint_keys[e.touchpoint],
                                   "occurredAt": rfc(e.at_us), "sentiment": e.sentiment, "rating": e.rating, "nps": e.nps });
            if let Some((currency, amount)) = &e.value {
                item["value"] = json!({ "amount": journeyd_domain::money::format_scaled(*amount), "currency": currency });
            }
            item
        })
        .collect();
    // Arrival order is not event order: batches of shuffled items, and
    // some items sent twice (retries).
    items.shuffle(rng);
    let retries: Vec<Value> = items
        .iter()
        .filter(|_| rng.random_bool(0.1))
        .cloned()
        .collect();
    items.extend(retries);
    let record = "mutation($input: RecordInteractionsInput!) { recordInteractions(input: $input) { rejected } }";
    for batch in items.chunks(rng.random_range(5..40)) {
        let answer = app
            .data(
                &token,
                record,
                json!({ "input": { "interactions": batch } }),
            )
            .await;
        assert_eq!(answer["recordInteractions"]["rejected"], 0);
    }
    app.data(
        &token,
        upsert,
        json!({ "input": { "customers": assign(&after) } }),
    )
    .await;
    Loaded { journey, personas }
}

fn same(actual: &Value, expected: Option<f64>, what: &str) {
    match (actual.as_f64(), expected) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} != {e}"),
        (None, None) => {}
        _ => panic!("{what}: {actual} != {expected:?}"),
    }
}

fn same_figures(row: &Value, f: &EmotionFigures, what: &str) {
    same(&row["interactions"], Some(f.interactions as f64), what);
    same(&row["withSentiment"], Some(f.with_sentiment as f64), what);
    same(&row["averageSentiment"], f.average_sentiment, what);
    same(&row["positiveShare"], f.positive_share, what);
    same(&row["neutralShare"], f.neutral_share, what);
    same(&row["negativeShare"], f.negative_share, what);
    same(&row["averageRating"], f.average_rating, what);
    same(&row["csat"], f.csat, what);
    same(&row["nps"], f.nps, what);
}

async fn check(app: &TestApp, world: &World, loaded: &Loaded, rng: &mut StdRng) {
    let bi = app.token(TENANT, "metrics:read");
    // Half the ranges have partial days at both ends (or lie within one
    // day); the others are whole UTC days, which the summary answers from
    // its rollup alone.
    let (from, to) = if rng.random_bool(0.5) {
        let from = base_us() + rng.random_range(-5..40) * DAY + rng.random_range(0..DAY);
        (
            from,
            from + rng.random_range(1..60) * (DAY / 4) + rng.random_range(0..DAY),
        )
    } else {
        let from = base_us().div_euclid(DAY) * DAY + rng.random_range(-5..40) * DAY;
        (from, from + rng.random_range(1..30) * DAY)
    };
    let persona = rng
        .random_bool(0.4)
        .then(|| rng.random_range(0..world.personas));
    let zone = ZONES[rng.random_range(0..ZONES.len())];
    let window = rng.random_range(1..=40);
    let q = Query {
        range: TimeRange::new(from, to).unwrap(),
        persona: persona.map(|p| p as u64),
    };
    let what = format!(
        "range {} .. {}, persona {persona:?}, zone {zone}, window {window}",
        rfc(from),
        rfc(to)
    );
    let vars = json!({ "j": loaded.journey, "from": rfc(from), "to": rfc(to), "p": persona.map(|p| loaded.personas[p].clone()),
                       "w": window, "tz": zone });
    let data = app
        .data(
            &bi,
            "query($j: ID!, $from: DateTime, $to: DateTime, $p: ID, $w: Int!, $tz: String!) {
               journeyFunnel(journeyId: $j, from: $from, to: $to, personaId: $p, conversionWindowDays: $w) {
                 customers conversionFromPrevious conversionFromStart dropOff medianSecondsFromPrevious p90SecondsFromPrevious }
               emotionCurve(journeyId: $j, from: $from, to: $to, personaId: $p) {
                 interactions withSentiment averageSentiment positiveShare neutralShare negativeShare averageRating csat nps
                 touchpoints { touchpoint interactions withSentiment averageSentiment positiveShare neutralShare negativeShare averageRating csat nps } }
               channelMix(journeyId: $j, from: $from, to: $to, personaId: $p) { phase channel interactions share averageSentiment }
               byPhase: interactionSeries(journeyId: $j, from: $from, to: $to, interval: DAY, timezone: $tz, groupBy: PHASE, personaId: $p) { bucket phase interactions entries }
               byChannel: interactionSeries(journeyId: $j, from: $from, to: $to, interval: WEEK, timezone: $tz, groupBy: CHANNEL, personaId: $p) { bucket channel interactions entries }
               monthly: interactionSeries(journeyId: $j, from: $from, to: $to, interval: MONTH, timezone: $tz, personaId: $p) { bucket interactions entries }
               journeyPaths(journeyId: $j, from: $from, to: $to, limit: 100, personaId: $p) { customers backStepRate skipRate paths { phases customers share } }
               journeySummary(journeyId: $j, from: $from, to: $to, personaId: $p) {
                 customers interactions funnelEntries funnelCompletions value { currency amount } bounceRate repeatRate averageSentiment csat nps }
             }",
            vars,
        )
        .await;

    let funnel = oracle::funnel(&world.shape, &world.events, &q, window);
    let rows = data["journeyFunnel"].as_array().unwrap();
    assert_eq!(rows.len(), funnel.len(), "{what}");
    for (row, step) in rows.iter().zip(&funnel) {
        same(
            &row["customers"],
            Some(step.customers as f64),
            &format!("funnel customers, {what}"),
        );
        same(
            &row["conversionFromPrevious"],
            Some(step.conversion_from_previous),
            &what,
        );
        same(
            &row["conversionFromStart"],
            Some(step.conversion_from_start),
            &what,
        );
        same(&row["dropOff"], Some(step.drop_off as f64), &what);
        same(
            &row["medianSecondsFromPrevious"],
            step.median_seconds_from_previous,
            &format!("median, {what}"),
        );
        same(
            &row["p90SecondsFromPrevious"],
            step.p90_seconds_from_previous,
            &format!("p90, {what}"),
        );
    }

    let curve = oracle::emotion_curve(&world.shape, &world.events, &q);
    for (row, phase) in data["emotionCurve"].as_array().unwrap().iter().zip(&curve) {
        same_figures(
            row,
            &phase.figures,
            &format!("phase {}, {what}", phase.phase),
        );
        assert_eq!(
            row["touchpoints"].as_array().unwrap().len(),
            phase.touchpoints.len()
        );
        for (tp, figures) in &phase.touchpoints {
            let got = row["touchpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["touchpoint"] == world.touchpoint_keys[*tp])
                .unwrap();
            same_figures(got, figures, &format!("touchpoint {tp}, {what}"));
        }
    }

    let mix = oracle::channel_mix(&world.shape, &world.events, &q);
    let rows = data["channelMix"].as_array().unwrap();
    assert_eq!(rows.len(), mix.len(), "mix rows, {what}");
    for cell in &mix {
        let row = rows
            .iter()
            .find(|r| {
                r["phase"] == world.phase_names[cell.phase]
                    && r["channel"] == world.channel_names[cell.channel]
            })
            .unwrap_or_else(|| panic!("no mix row for {cell:?}, {what}"));
        same(&row["interactions"], Some(cell.interactions as f64), &what);
        same(&row["share"], Some(cell.share), &what);
        same(&row["averageSentiment"], cell.average_sentiment, &what);
    }

    let zone_tz = parse_zone(zone).unwrap();
    for (key, interval, group, names) in [
        (
            "byPhase",
            Interval::Day,
            SeriesGroup::Phase,
            &world.phase_names,
        ),
        (
            "byChannel",
            Interval::Week,
            SeriesGroup::Channel,
            &world.channel_names,
        ),
        (
            "monthly",
            Interval::Month,
            SeriesGroup::None,
            &world.phase_names,
        ),
    ] {
        let buckets = SeriesBuckets::new(q.range, zone_tz, interval);
        let want = oracle::series(&world.shape, &world.events, &q, &buckets, group);
        let got = data[key].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{key} rows, {what}");
        // Rows within a bucket may come in another group order: compare by key.
        let field = if group == SeriesGroup::Channel {
            "channel"
        } else {
            "phase"
        };
        let mut got_rows: Vec<(String, String, u64, u64)> = got
            .iter()
            .map(|row| {
                let group = if group == SeriesGroup::None {
                    String::new()
                } else {
                    row[field].as_str().unwrap().to_owned()
                };
                (
                    row["bucket"].as_str().unwrap().to_owned(),
                    group,
                    row["interactions"].as_u64().unwrap(),
                    row["entries"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut want_rows: Vec<(String, String, u64, u64)> = want
            .iter()
            .map(|w| {
                let group = w.group.map(|g| names[g].clone()).unwrap_or_default();
                (
                    buckets.dates()[w.bucket].to_string(),
                    group,
                    w.interactions,
                    w.entries,
                )
            })
            .collect();
        got_rows.sort();
        want_rows.sort();
        assert_eq!(got_rows, want_rows, "{key}, {what}");
    }

    let paths = oracle::journey_paths(&world.shape, &world.events, &q, 100);
    let got = &data["journeyPaths"];
    same(&got["customers"], Some(paths.customers as f64), &what);
    same(&got["backStepRate"], Some(paths.back_step_rate), &what);
    same(&got["skipRate"], Some(paths.skip_rate), &what);
    let mut got_paths: Vec<(Vec<String>, u64)> = got["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_owned())
                    .collect(),
                p["customers"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut want_paths: Vec<(Vec<String>, u64)> = paths
        .paths
        .iter()
        .map(|p| {
            (
                p.phases
                    .iter()
                    .map(|i| world.phase_names[*i].clone())
                    .collect(),
                p.customers,
            )
        })
        .collect();
    got_paths.sort();
    want_paths.sort();
    assert_eq!(got_paths, want_paths, "paths, {what}");

    let summary = oracle::summary(&world.shape, &world.events, &q);
    let got = &data["journeySummary"];
    same(&got["customers"], Some(summary.customers as f64), &what);
    same(
        &got["interactions"],
        Some(summary.interactions as f64),
        &what,
    );
    same(
        &got["funnelEntries"],
        Some(summary.funnel_entries as f64),
        &what,
    );
    same(
        &got["funnelCompletions"],
        Some(summary.funnel_completions as f64),
        &what,
    );
    same(&got["bounceRate"], summary.bounce_rate, &what);
    same(
        &got["repeatRate"],
        summary.repeat_rate,
        &format!("repeatRate, {what}"),
    );
    same(&got["averageSentiment"], summary.average_sentiment, &what);
    same(&got["csat"], summary.csat, &what);
    same(&got["nps"], summary.nps, &what);
    let values = got["value"].as_array().unwrap();
    assert_eq!(values.len(), summary.value.len(), "{what}");
    for (currency, amount) in &summary.value {
        let row = values.iter().find(|v| v["currency"] == *currency).unwrap();
        assert_eq!(
            row["amount"],
            journeyd_domain::money::format_scaled(*amount),
            "{what}"
        );
    }
}

async fn metrics_equal_the_oracle_on_random_data(app: TestApp) {
    let seed = std::env::var("JOURNEYD_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261125u64);
    let mut rng = StdRng::seed_from_u64(seed);
    for case in 0..6 {
        let world = generate(&mut rng, case);
        let loaded = load(&app, &world, &mut rng, case).await;
        for _ in 0..8 {
            check(&app, &world, &loaded, &mut rng).await;
        }
    }
}
