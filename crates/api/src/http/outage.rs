//! Failing fast while the database is away. Once a request finds it
//! unavailable, later requests are answered 503 `UNAVAILABLE` at once (no
//! connection attempts, no queue of waiting requests), while a probe checks
//! twice a second whether it is back; then requests run again.

use journeyd_persistence::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the probe pings the database during an outage.
const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// How long one ping may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the database is known to be away.
pub(crate) struct Outage {
    down: AtomicBool,
    store: Store,
}

impl Outage {
    pub(crate) fn new(store: Store) -> Arc<Self> {
        Arc::new(Self {
            down: AtomicBool::new(false),
            store,
        })
    }

    /// Whether requests should be refused without trying the database.
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// A request found the database unavailable: refuse the next ones until
    /// a probe reaches it again.
    pub(crate) fn report(self: &Arc<Self>) {
        if self.down.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::error!("database unavailable: answering 503 until it is back");
        let outage: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_INTERVAL).await;
                // The service was dropped meanwhile: nobody needs the answer.
                let Some(outage) = outage.upgrade() else {
                    return;
                };
                let ping = outage.store.database().ping();
                if let Ok(Ok(())) = tokio::time::timeout(PROBE_TIMEOUT, ping).await {
                    outage.down.store(false, Ordering::Release);
                    tracing::info!("database reachable again: serving requests");
                    return;
                }
            }
        });
    }
}
