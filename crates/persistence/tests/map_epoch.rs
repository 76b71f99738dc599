//! The map epoch grows with every insert, update and delete in each table a
//! journey map is read from, whoever writes (database triggers), and only
//! for the tenant whose rows changed.

use journeyd_domain::*;
use journeyd_persistence::testing::{TestBackend, TestDatabase};
use journeyd_persistence::{Store, on_both_databases};

struct Fixture {
    db: TestDatabase,
    store: Store,
}

async fn setup(backend: TestBackend) -> Option<Fixture> {
    let db = TestDatabase::create(backend).await?;
    let store = Store::new(db.database.clone());
    Some(Fixture { db, store })
}

on_both_databases!(setup => every_map_table_moves_the_epoch);

async fn every_map_table_moves_the_epoch(f: Fixture) {
    let store = &f.store;
    let acme = store
        .create_tenant(
            TenantSlug::parse("acme").unwrap(),
            Name::parse("n", "Acme").unwrap(),
        )
        .await
        .unwrap()
        .id;
    let rival = store
        .create_tenant(
            TenantSlug::parse("rival").unwrap(),
            Name::parse("n", "Rival").unwrap(),
        )
        .await
        .unwrap()
        .id;
    assert_eq!(store.map_epoch(acme).await.unwrap(), 0, "no change yet");

    let journey = store.seed_map(acme, "epoch", 2).await.unwrap();
    let mut last = store.map_epoch(acme).await.unwrap();
    assert!(last > 0, "inserts move the epoch");
    assert_eq!(
        store.map_epoch(rival).await.unwrap(),
        0,
        "another tenant's is untouched"
    );

    // Updates, whoever makes them (here: plain SQL, as another replica or a
    // script would).
    for table in journeyd_migrations::MAP_TABLES {
        f.db.database
            .execute_unprepared(&format!("UPDATE {table} SET created_at = created_at"))
            .await
            .unwrap();
        let now = store.map_epoch(acme).await.unwrap();
        assert!(now > last, "an update of {table} did not move the epoch");
        last = now;
    }

    store.delete_journey(acme, journey, None).await.unwrap();
    assert!(
        store.map_epoch(acme).await.unwrap() > last,
        "deletes move it"
    );
    assert_eq!(store.map_epoch(rival).await.unwrap(), 0);
}
