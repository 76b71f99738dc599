//! The worked example (`tests/fixtures/metrics-webshop.json`): the oracle's
//! figures must equal the expected ones, which were computed independently.

use chrono::DateTime;
use journeyd_domain::metrics::oracle::{self, Event, Query};
use journeyd_domain::metrics::series::{Interval, SeriesBuckets, parse_zone};
use journeyd_domain::metrics::*;
use serde_json::Value;
use std::collections::HashMap;

fn us(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

struct Example {
    json: Value,
    shape: JourneyShape,
    phases: Vec<String>,
    touchpoints: Vec<String>,
    channels: Vec<String>,
    events: Vec<Event>,
    range: TimeRange,
    personas: HashMap<String, u64>,
}

fn load() -> Example {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/metrics-webshop.json"
    ))
    .unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let phases: Vec<String> = json["journey"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let mut channels: Vec<String> = Vec::new();
    let mut touchpoints = Vec::new();
    let mut shape_tps = Vec::new();
    for tp in json["journey"]["touchpoints"].as_array().unwrap() {
        let channel = tp["channel"].as_str().unwrap().to_owned();
        if !channels.contains(&channel) {
            channels.push(channel.clone());
        }
        touchpoints.push(tp["key"].as_str().unwrap().to_owned());
        shape_tps.push(ShapeTouchpoint {
            phase: phases
                .iter()
                .position(|p| p == tp["phase"].as_str().unwrap())
                .unwrap(),
            channel: channels.iter().position(|c| *c == channel).unwrap(),
            conversion: tp["isConversion"].as_bool().unwrap(),
        });
    }
    let mut personas: HashMap<String, u64> = HashMap::new();
    let mut customer_persona: HashMap<String, Option<u64>> = HashMap::new();
    for c in json["customers"].as_array().unwrap() {
        let persona = c["persona"].as_str().map(|p| {
            let next = personas.len() as u64;
            *personas.entry(p.to_owned()).or_insert(next)
        });
        customer_persona.insert(c["externalId"].as_str().unwrap().to_owned(), persona);
    }
    let events = json["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let customer = i["customer"].as_str().unwrap();
            Event {
                customer: customer[1..].parse().unwrap(),
                persona: customer_persona[customer],
                touchpoint: touchpoints
                    .iter()
                    .position(|t| t == i["touchpoint"].as_str().unwrap())
                    .unwrap(),
                at_us: us(i["occurredAt"].as_str().unwrap()),
                sentiment: i["sentiment"].as_i64(),
                rating: i["rating"].as_i64(),
                nps: i["nps"].as_i64(),
                value: i.get("value").filter(|v| v.is_object()).map(|v| {
                    let money = journeyd_domain::Money::parse(
                        v["amount"].as_str().unwrap(),
                        v["currency"].as_str().unwrap(),
                    )
                    .unwrap();
                    (money.currency.as_str().to_owned(), money.scaled)
                }),
            }
        })
        .collect();
    let range = TimeRange::new(
        us(json["range"]["from"].as_str().unwrap()),
        us(json["range"]["to"].as_str().unwrap()),
    )
    .unwrap();
    Example {
        shape: JourneyShape {
            phases: phases.len(),
            touchpoints: shape_tps,
        },
        json,
        phases,
        touchpoints,
        channels,
        events,
        range,
        personas,
    }
}

fn close(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, expected.as_f64()) {
        (None, None) => {}
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} != {e}"),
        _ => panic!("{what}: {actual:?} != {expected}"),
    }
}

fn check_funnel(steps: &[FunnelStep], expected: &Value, ex: &Example) {
    let expected = expected.as_array().unwrap();
    assert_eq!(steps.len(), expected.len());
    for (i, (step, e)) in steps.iter().zip(expected).enumerate() {
        assert_eq!(e["phase"], ex.phases[i]);
        assert_eq!(
            step.customers,
            e["customers"].as_u64().unwrap(),
            "{}",
            ex.phases[i]
        );
        close(
            Some(step.conversion_from_previous),
            &e["conversionFromPrevious"],
            "conversionFromPrevious",
        );
        close(
            Some(step.conversion_from_start),
            &e["conversionFromStart"],
            "conversionFromStart",
        );
        assert_eq!(step.drop_off, e["dropOff"].as_u64().unwrap());
        close(
            step.median_seconds_from_previous,
            &e["medianSecondsFromPrevious"],
            "median",
        );
        close(
            step.p90_seconds_from_previous,
            &e["p90SecondsFromPrevious"],
            "p90",
        );
    }
}

fn check_figures(f: &EmotionFigures, e: &Value, what: &str) {
    assert_eq!(
        f.interactions,
        e["interactions"].as_i64().unwrap(),
        "{what}"
    );
    assert_eq!(
        f.with_sentiment,
        e["withSentiment"].as_i64().unwrap(),
        "{what}"
    );
    close(f.average_sentiment, &e["averageSentiment"], what);
    close(f.positive_share, &e["positiveShare"], what);
    close(f.neutral_share, &e["neutralShare"], what);
    close(f.negative_share, &e["negativeShare"], what);
    close(f.average_rating, &e["averageRating"], what);
    close(f.csat, &e["csat"], what);
    close(f.nps, &e["nps"], what);
}

#[test]
fn the_oracle_reproduces_the_worked_example() {
    let ex = load();
    let expected = &ex.json["expected"];
    let all = Query {
        range: ex.range,
        persona: None,
    };
    check_funnel(
        &oracle::funnel(&ex.shape, &ex.events, &all, 30),
        &expected["journeyFunnel(conversionWindowDays: 30)"],
        &ex,
    );
    let starter = Query {
        range: ex.range,
        persona: Some(ex.personas["Starter"]),
    };
    check_funnel(
        &oracle::funnel(&ex.shape, &ex.events, &starter, 30),
        &expected["journeyFunnel(conversionWindowDays: 30, persona: Starter)"],
        &ex,
    );

    let curve = oracle::emotion_curve(&ex.shape, &ex.events, &all);
    for (phase, e) in curve
        .iter()
        .zip(expected["emotionCurve"].as_array().unwrap())
    {
        assert_eq!(ex.phases[phase.phase], e["phase"]);
        check_figures(&phase.figures, e, &ex.phases[phase.phase]);
        for (tp, figures) in &phase.touchpoints {
            let e = e["touchpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["touchpoint"] == ex.touchpoints[*tp])
                .unwrap();
            check_figures(figures, e, &ex.touchpoints[*tp]);
        }
    }

    let mix = oracle::channel_mix(&ex.shape, &ex.events, &all);
    let expected_mix = expected["channelMix"].as_array().unwrap();
    assert_eq!(mix.len(), expected_mix.len());
    for row in &mix {
        let e = expected_mix
            .iter()
            .find(|e| {
                e["phase"] == ex.phases[row.phase] && e["channel"] == ex.channels[row.channel]
            })
            .unwrap();
        assert_eq!(row.interactions, e["interactions"].as_i64().unwrap());
        close(Some(row.share), &e["share"], "share");
        close(
            row.average_sentiment,
            &e["averageSentiment"],
            "mix sentiment",
        );
    }

    let weeks = SeriesBuckets::new(ex.range, parse_zone("UTC").unwrap(), Interval::Week);
    let rows = oracle::series(&ex.shape, &ex.events, &all, &weeks, SeriesGroup::None);
    let expected_weeks = expected["interactionSeries(interval: WEEK, timezone: UTC)"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), expected_weeks.len());
    for (row, e) in rows.iter().zip(expected_weeks) {
        assert_eq!(
            weeks.dates()[row.bucket].to_string(),
            e["bucket"].as_str().unwrap()
        );
        assert_eq!(row.interactions, e["interactions"].as_u64().unwrap());
        assert_eq!(row.entries, e["entries"].as_u64().unwrap());
    }
    let days = SeriesBuckets::new(ex.range, parse_zone("Asia/Kolkata").unwrap(), Interval::Day);
    let rows = oracle::series(&ex.shape, &ex.events, &all, &days, SeriesGroup::None);
    let active: Vec<&SeriesRow> = rows
        .iter()
        .filter(|r| r.interactions > 0 || r.entries > 0)
        .collect();
    let expected_days = expected["interactionSeries(interval: DAY, timezone: Asia/Kolkata) [days with activity only]"]
        .as_array()
        .unwrap();
    assert_eq!(active.len(), expected_days.len());
    for (row, e) in active.iter().zip(expected_days) {
        assert_eq!(
            days.dates()[row.bucket].to_string(),
            e["bucket"].as_str().unwrap()
        );
        assert_eq!(row.interactions, e["interactions"].as_u64().unwrap());
        assert_eq!(row.entries, e["entries"].as_u64().unwrap());
    }
    assert_eq!(
        rows.len(),
        32,
        "every day from Mar 1 to Apr 1 (Kolkata), zeros included"
    );

    let paths = oracle::journey_paths(&ex.shape, &ex.events, &all, 10);
    let e = &expected["journeyPaths(limit: 10)"];
    assert_eq!(paths.customers, e["customers"].as_u64().unwrap());
    close(
        Some(paths.back_step_rate),
        &e["backStepRate"],
        "backStepRate",
    );
    close(Some(paths.skip_rate), &e["skipRate"], "skipRate");
    let mut got: Vec<(Vec<String>, u64)> = paths
        .paths
        .iter()
        .map(|p| {
            (
                p.phases.iter().map(|i| ex.phases[*i].clone()).collect(),
                p.customers,
            )
        })
        .collect();
    let mut want: Vec<(Vec<String>, u64)> = e["paths"]
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
    got.sort();
    want.sort();
    assert_eq!(got, want);

    let summary = oracle::summary(&ex.shape, &ex.events, &all);
    let e = &expected["journeySummary"];
    assert_eq!(summary.customers, e["customers"].as_u64().unwrap());
    assert_eq!(summary.interactions, e["interactions"].as_u64().unwrap());
    assert_eq!(summary.funnel_entries, e["funnelEntries"].as_u64().unwrap());
    assert_eq!(
        summary.funnel_completions,
        e["funnelCompletions"].as_u64().unwrap()
    );
    for (currency, amount) in e["value"].as_object().unwrap() {
        let got = summary.value[currency] as f64 / 10_000.0;
        assert!((got - amount.as_f64().unwrap()).abs() < 1e-9, "{currency}");
    }
    assert_eq!(summary.value.len(), e["value"].as_object().unwrap().len());
    close(summary.bounce_rate, &e["bounceRate"], "bounceRate");
    close(summary.repeat_rate, &e["repeatRate"], "repeatRate");
    close(
        summary.average_sentiment,
        &e["averageSentiment"],
        "averageSentiment",
    );
    close(summary.csat, &e["csat"], "csat");
    close(summary.nps, &e["nps"], "nps");
}
