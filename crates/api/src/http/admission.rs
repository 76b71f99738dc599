//! Admission control: a bound on GraphQL requests in flight (past it a
//! request is refused at once with 503, so overload gives fast refusals
//! instead of a growing queue, latency and memory), and per-tenant rate
//! limits (429 with the time to wait).

use super::AppState;
use super::graphql::{Media, error_response};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use journeyd_domain::TenantId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How many requests the service takes on.
#[derive(Debug, Clone, PartialEq)]
pub struct AdmissionConfig {
    /// The most GraphQL requests served at once; more are refused with 503.
    pub max_in_flight: usize,
    /// Each tenant's request rate, or `None` for no limit.
    pub tenant_rate: Option<RateLimit>,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 256,
            tenant_rate: None,
        }
    }
}

/// A token bucket: `per_second` requests on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// The sustained rate, in requests per second.
    pub per_second: f64,
    /// The most requests a tenant may make at once after being idle.
    pub burst: u32,
}

/// The admission state shared by every request.
pub(crate) struct Admission {
    permits: Arc<Semaphore>,
    max_in_flight: usize,
    rates: Option<TenantRates>,
}

impl Admission {
    pub(crate) fn new(config: &AdmissionConfig) -> Self {
        let max_in_flight = config.max_in_flight.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            rates: config.tenant_rate.map(TenantRates::new),
        }
    }

    /// GraphQL requests being served right now.
    pub(crate) fn in_flight(&self) -> usize {
        self.max_in_flight - self.permits.available_permits()
    }

    /// Takes `operations` from `tenant`'s bucket, or says how long to wait.
    pub(crate) fn check_rate(&self, tenant: TenantId, operations: usize) -> Result<(), Duration> {
        match &self.rates {
            Some(rates) => rates.take(tenant, operations as f64, Instant::now()),
            None => Ok(()),
        }
    }
}

/// Admits a request to `/graphql` while fewer than the maximum are in
/// flight; refuses it with 503 `OVERLOADED` otherwise.
pub(super) async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Ok(_permit) = Arc::clone(&state.admission.permits).try_acquire_owned() else {
        state.telemetry.record_shed();
        let media = Media::negotiate(request.headers()).unwrap_or(Media::Json);
        let mut response = error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            "the service is at capacity; retry shortly",
            "OVERLOADED",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    next.run(request).await
}

struct TenantRates {
    limit: RateLimit,
    buckets: Mutex<HashMap<TenantId, Bucket>>,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl TenantRates {
    fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn take(&self, tenant: TenantId, cost: f64, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(tenant).or_insert(Bucket {
            tokens: burst,
            refilled: now,
        });
        let earned =
            now.saturating_duration_since(bucket.refilled).as_secs_f64() * self.limit.per_second;
        bucket.tokens = (bucket.tokens + earned).min(burst);
        bucket.refilled = now;
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            Ok(())
        } else {
            let missing = cost.min(burst) - bucket.tokens;
            Err(Duration::from_secs_f64(
                missing / self.limit.per_second.max(f64::MIN_POSITIVE),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let rates = TenantRates::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let tenant = TenantId::generate();
        let other = TenantId::generate();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(rates.take(tenant, 1.0, start).is_ok());
        }
        let wait = rates.take(tenant, 1.0, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Another tenant has its own bucket.
        assert!(rates.take(other, 1.0, start).is_ok());
        // Half a second later one token has come back, and only one.
        let later = start + Duration::from_millis(500);
        assert!(rates.take(tenant, 1.0, later).is_ok());
        assert!(rates.take(tenant, 1.0, later).is_err());
        // A long pause refills to the burst, not beyond.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(rates.take(tenant, 1.0, much_later).is_ok());
        }
        assert!(rates.take(tenant, 1.0, much_later).is_err());
    }
}
