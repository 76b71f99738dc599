//! What the binary's tests share: a tenant `acme` with a four-step journey,
//! a web channel and a touchpoint `tp-N-0` per phase, on a fresh database.
#![allow(dead_code)]

use journeyd_domain::*;
use journeyd_persistence::Store;
use journeyd_persistence::testing::{TestBackend, TestDatabase};

/// A fresh database holding tenant `acme` and its journey map.
pub struct Fixture {
    pub db: TestDatabase,
    pub store: Store,
    pub tenant: TenantId,
    pub journey: JourneyId,
    pub touchpoints: Vec<TouchpointId>,
    pub dir: tempfile::TempDir,
}

/// A valid name.
pub fn name(text: &str) -> Name {
    Name::parse("name", text).unwrap()
}

/// The fixture on `backend` (`None` when PostgreSQL is not configured).
pub async fn setup(backend: TestBackend) -> Option<Fixture> {
    let db = TestDatabase::create(backend).await?;
    let store = Store::new(db.database.clone());
    // One touchpoint per phase: keys tp-0-0 .. tp-3-0.
    let seeded = store
        .seed_journey("acme", JourneyTemplate::FourStep, 1, None)
        .await
        .unwrap();
    let (tenant, journey, touchpoints) = (seeded.tenant, seeded.journey, seeded.touchpoints);
    Some(Fixture {
        db,
        store,
        tenant,
        journey,
        touchpoints,
        dir: tempfile::tempdir().unwrap(),
    })
}

/// The opaque global id the API hands out for `kind` and `uuid`.
pub fn global(kind: &str, uuid: uuid::Uuid) -> String {
    let text = format!("{kind}:{}", uuid.simple());
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}
