//! The figures operators scrape from `GET /metrics`, in Prometheus' text
//! exposition format: requests, GraphQL operations and their errors and
//! latency, ingest items by result, load shedding and the database pool.
//!
//! Operation names come from clients, so at most [`MAX_OPERATIONS`] distinct
//! names are tracked; later ones count under `other`.

use journeyd_persistence::PoolStatus;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds, in seconds, of the latency histograms' buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The most distinct operation names tracked.
pub const MAX_OPERATIONS: usize = 200;

/// The label of operations past [`MAX_OPERATIONS`].
const OTHER: &str = "other";

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// What an ingest item came to, for `journeyd_ingest_items_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IngestResult {
    /// A new interaction was stored.
    Accepted,
    /// The interaction was already stored with the same content.
    Duplicate,
    /// The item was refused.
    Rejected,
    /// A new customer was stored.
    Created,
    /// A stored customer changed.
    Updated,
    /// A stored customer was already so.
    Unchanged,
}

impl IngestResult {
    fn label(self) -> &'static str {
        match self {
            IngestResult::Accepted => "accepted",
            IngestResult::Duplicate => "duplicate",
            IngestResult::Rejected => "rejected",
            IngestResult::Created => "created",
            IngestResult::Updated => "updated",
            IngestResult::Unchanged => "unchanged",
        }
    }
}

#[derive(Default)]
struct Figures {
    operation_names: HashSet<String>,
    /// (route, status) → requests.
    requests: BTreeMap<(&'static str, u16), u64>,
    /// route → latency.
    request_latency: BTreeMap<&'static str, Histogram>,
    /// (operation, type) → operations run.
    operations: BTreeMap<(String, &'static str), u64>,
    /// operation → latency.
    operation_latency: BTreeMap<String, Histogram>,
    /// (operation, code) → errors.
    errors: BTreeMap<(String, String), u64>,
    /// (kind, result) → items.
    ingest: BTreeMap<(&'static str, IngestResult), u64>,
}

/// The service's counters, shared by every request.
#[derive(Default)]
pub struct Telemetry {
    figures: Mutex<Figures>,
    shed: AtomicU64,
    rate_limited: AtomicU64,
    map_cache: [AtomicU64; 2],
}

impl Telemetry {
    fn figures(&self) -> std::sync::MutexGuard<'_, Figures> {
        // The figures stay consistent whatever a panicking holder did.
        self.figures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The label for `name`: itself while fewer than [`MAX_OPERATIONS`]
    /// names are known, else `other`.
    fn operation_label(figures: &mut Figures, name: &str) -> String {
        if figures.operation_names.contains(name) {
            return name.to_owned();
        }
        if figures.operation_names.len() < MAX_OPERATIONS {
            figures.operation_names.insert(name.to_owned());
            return name.to_owned();
        }
        OTHER.to_owned()
    }

    /// Counts an HTTP request to `route` answered with `status` after `elapsed`.
    pub fn record_request(&self, route: &'static str, status: u16, elapsed: Duration) {
        let mut figures = self.figures();
        *figures.requests.entry((route, status)).or_default() += 1;
        figures
            .request_latency
            .entry(route)
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a GraphQL operation of `kind` (`query`, `mutation`) that ran
    /// for `elapsed`, and its errors' codes.
    pub fn record_operation<'a>(
        &self,
        name: &str,
        kind: &'static str,
        elapsed: Duration,
        codes: impl IntoIterator<Item = &'a str>,
    ) {
        let mut figures = self.figures();
        let label = Self::operation_label(&mut figures, name);
        *figures.operations.entry((label.clone(), kind)).or_default() += 1;
        figures
            .operation_latency
            .entry(label.clone())
            .or_default()
            .observe(elapsed.as_secs_f64());
        for code in codes {
            *figures
                .errors
                .entry((label.clone(), code.to_owned()))
                .or_default() += 1;
        }
    }

    /// Counts an error answered before any operation ran (a refused request).
    pub fn record_refusal(&self, code: &str) {
        *self
            .figures()
            .errors
            .entry(("-".to_owned(), code.to_owned()))
            .or_default() += 1;
    }

    /// Counts ingest items of `kind` (`interaction`, `customer`) by result.
    pub fn record_ingest(&self, kind: &'static str, results: &[(IngestResult, u64)]) {
        let mut figures = self.figures();
        for (result, count) in results {
            *figures.ingest.entry((kind, *result)).or_default() += count;
        }
    }

    /// Counts a request refused because too many were in flight.
    pub fn record_shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a journey-map query answered from the cache (`hit`) or run.
    pub fn record_map_cache(&self, hit: bool) {
        self.map_cache[usize::from(hit)].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request refused by a tenant's rate limit.
    pub fn record_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Every figure in the Prometheus text format (version 0.0.4), with the
    /// database pool's state and the GraphQL requests `in_flight`.
    pub fn render(&self, pool: PoolStatus, in_flight: usize) -> String {
        let figures = self.figures();
        let mut out = String::with_capacity(8 << 10);
        header(
            &mut out,
            "journeyd_http_requests_total",
            "counter",
            "HTTP requests answered, by route and status.",
        );
        for ((route, status), n) in &figures.requests {
            let _ = writeln!(
                out,
                "journeyd_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        histograms(
            &mut out,
            "journeyd_http_request_duration_seconds",
            "HTTP request latency, by route.",
            "route",
            figures.request_latency.iter().map(|(k, h)| (*k, h)),
        );
        header(
            &mut out,
            "journeyd_graphql_operations_total",
            "counter",
            "GraphQL operations run, by operation name and type.",
        );
        for ((name, kind), n) in &figures.operations {
            let _ = writeln!(
                out,
                "journeyd_graphql_operations_total{{operation=\"{}\",type=\"{kind}\"}} {n}",
                escape(name)
            );
        }
        histograms(
            &mut out,
            "journeyd_graphql_operation_duration_seconds",
            "GraphQL operation latency, by operation name.",
            "operation",
            figures
                .operation_latency
                .iter()
                .map(|(k, h)| (k.as_str(), h)),
        );
        header(
            &mut out,
            "journeyd_graphql_errors_total",
            "counter",
            "Errors answered, by operation name ('-' before any ran) and extensions.code.",
        );
        for ((name, code), n) in &figures.errors {
            let _ = writeln!(
                out,
                "journeyd_graphql_errors_total{{operation=\"{}\",code=\"{}\"}} {n}",
                escape(name),
                escape(code)
            );
        }
        header(
            &mut out,
            "journeyd_ingest_items_total",
            "counter",
            "Ingest items (interactions, customers) by result.",
        );
        for ((kind, result), n) in &figures.ingest {
            let _ = writeln!(
                out,
                "journeyd_ingest_items_total{{kind=\"{kind}\",result=\"{}\"}} {n}",
                result.label()
            );
        }
        drop(figures);
        let singles = [
            (
                "journeyd_requests_in_flight",
                "gauge",
                "GraphQL requests being served.",
                in_flight as u64,
            ),
            (
                "journeyd_requests_shed_total",
                "counter",
                "Requests refused with 503 because too many were in flight.",
                self.shed.load(Ordering::Relaxed),
            ),
            (
                "journeyd_requests_rate_limited_total",
                "counter",
                "Requests refused with 429 by a tenant's rate limit.",
                self.rate_limited.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in singles {
            header(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }
        header(
            &mut out,
            "journeyd_map_cache_total",
            "counter",
            "Journey-map queries answered from the cache (hit) or run (miss).",
        );
        for (result, count) in ["miss", "hit"].iter().zip(&self.map_cache) {
            let _ = writeln!(
                out,
                "journeyd_map_cache_total{{result=\"{result}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        header(
            &mut out,
            "journeyd_db_pool_connections",
            "gauge",
            "Database connections of the pool, by state.",
        );
        let in_use = pool.open.saturating_sub(pool.idle);
        let _ = writeln!(
            out,
            "journeyd_db_pool_connections{{state=\"in_use\"}} {in_use}"
        );
        let _ = writeln!(
            out,
            "journeyd_db_pool_connections{{state=\"idle\"}} {}",
            pool.idle
        );
        header(
            &mut out,
            "journeyd_db_pool_max_connections",
            "gauge",
            "The most connections the pool opens.",
        );
        let _ = writeln!(out, "journeyd_db_pool_max_connections {}", pool.max);
        header(
            &mut out,
            "journeyd_db_transactions_retried_total",
            "counter",
            "Write transactions run again after the database aborted them (deadlock, serialization failure).",
        );
        let _ = writeln!(
            out,
            "journeyd_db_transactions_retried_total {}",
            pool.transactions_retried
        );
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn histograms<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    series: impl Iterator<Item = (&'a str, &'a Histogram)>,
) {
    header(out, name, "histogram", help);
    for (value, histogram) in series {
        let value = escape(value);
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                "{name}_bucket{{{label}=\"{value}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{label}=\"{value}\",le=\"+Inf\"}} {}\n\
             {name}_sum{{{label}=\"{value}\"}} {}\n\
             {name}_count{{{label}=\"{value}\"}} {}",
            histogram.count, histogram.sum, histogram.count
        );
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> PoolStatus {
        PoolStatus {
            open: 3,
            idle: 1,
            max: 16,
            transactions_retried: 2,
        }
    }

    #[test]
    fn histograms_are_cumulative_and_counted() {
        let telemetry = Telemetry::default();
        for ms in [1, 20, 20, 700] {
            telemetry.record_operation(
                "JourneyMap",
                "query",
                Duration::from_millis(ms),
                ["NOT_FOUND"],
            );
        }
        let text = telemetry.render(pool(), 0);
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no line {prefix} in\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_owned()
        };
        let bucket = "journeyd_graphql_operation_duration_seconds_bucket{operation=\"JourneyMap\",";
        assert_eq!(line(&format!("{bucket}le=\"0.001\"}}")), "1");
        assert_eq!(line(&format!("{bucket}le=\"0.025\"}}")), "3");
        assert_eq!(line(&format!("{bucket}le=\"0.5\"}}")), "3");
        assert_eq!(line(&format!("{bucket}le=\"1\"}}")), "4");
        assert_eq!(line(&format!("{bucket}le=\"+Inf\"}}")), "4");
        assert_eq!(
            line("journeyd_graphql_errors_total{operation=\"JourneyMap\",code=\"NOT_FOUND\"}"),
            "4"
        );
        assert_eq!(line("journeyd_db_pool_connections{state=\"in_use\"}"), "2");
        assert_eq!(line("journeyd_db_transactions_retried_total"), "2");
    }

    #[test]
    fn operation_names_are_bounded_and_escaped() {
        let telemetry = Telemetry::default();
        for i in 0..MAX_OPERATIONS + 50 {
            telemetry.record_operation(&format!("Op{i}"), "query", Duration::ZERO, []);
        }
        let text = telemetry.render(pool(), 0);
        let names = text
            .lines()
            .filter(|l| l.starts_with("journeyd_graphql_operations_total{"))
            .count();
        assert_eq!(
            names,
            MAX_OPERATIONS + 1,
            "{MAX_OPERATIONS} names and `other`"
        );
        assert!(text.contains("operation=\"other\",type=\"query\"} 50"));
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
