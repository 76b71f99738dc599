//! Repository behaviour on a real database: run once on SQLite and once on
//! PostgreSQL (when `JOURNEYD_TEST_DATABASE_URL` is set).

use journeyd_domain::*;
use journeyd_persistence::testing::{TestBackend, TestDatabase};
use journeyd_persistence::{
    JourneyFilter, JourneyKey, JourneyOrder, PageRequest, Store, StoreError, on_both_databases,
};

struct Fixture {
    store: Store,
    tenant: TenantId,
    _db: TestDatabase,
}

async fn setup(backend: TestBackend) -> Option<Fixture> {
    let db = TestDatabase::create(backend).await?;
    let store = Store::new(db.database.clone());
    let tenant = store
        .create_tenant(
            TenantSlug::parse("acme").unwrap(),
            Name::parse("name", "Acme").unwrap(),
        )
        .await
        .unwrap()
        .id;
    Some(Fixture {
        store,
        tenant,
        _db: db,
    })
}

fn name(text: &str) -> Name {
    Name::parse("name", text).unwrap()
}

fn new_journey(title: &str, template: JourneyTemplate) -> NewJourney {
    NewJourney {
        name: name(title),
        description: None,
        goal: None,
        state: JourneyState::Current,
        status: JourneyStatus::Draft,
        template,
    }
}

fn new_phase(title: &str) -> NewPhase {
    NewPhase {
        name: name(title),
        stage: Stage::Consideration,
        description: None,
        customer_goals: vec![],
        questions: vec![],
        expected_emotion: None,
    }
}

async fn phase_names(f: &Fixture, journey: JourneyId) -> Vec<(u32, String)> {
    f.store
        .phases_of_journeys(f.tenant, &[journey])
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.position, p.name.into_string()))
        .collect()
}

async fn add_touchpoint(f: &Fixture, phase: PhaseId, channel: ChannelId, key: &str) -> Touchpoint {
    f.store
        .create_touchpoint(
            f.tenant,
            NewTouchpoint {
                phase_id: phase,
                channel_id: channel,
                key: TouchpointKey::parse(key).unwrap(),
                name: name(key),
                description: None,
                owner: None,
                goal: None,
                kpi: None,
                sentiment: None,
                is_conversion: false,
            },
            None,
        )
        .await
        .unwrap()
}

async fn web_channel(f: &Fixture) -> ChannelId {
    f.store
        .create_channel(
            f.tenant,
            NewChannel {
                name: name("Website"),
                kind: ChannelKind::Web,
                description: None,
            },
        )
        .await
        .unwrap()
        .id
}

on_both_databases!(setup =>
    templates_create_dense_phases,
    phase_moves_keep_positions_dense,
    removing_a_phase_never_loses_touchpoints_silently,
    stale_versions_conflict_and_change_nothing,
    keyset_pages_cover_every_journey_once,
    other_tenants_see_nothing,
    duplicate_copies_the_whole_map,
);

async fn templates_create_dense_phases(f: Fixture) {
    let journey = f
        .store
        .create_journey(
            f.tenant,
            new_journey("Webshop", JourneyTemplate::Classic),
            &[],
        )
        .await
        .unwrap();
    let phases = phase_names(&f, journey.id).await;
    assert_eq!(
        phases,
        vec![
            (0, "Awareness".to_owned()),
            (1, "Consideration".to_owned()),
            (2, "Purchase".to_owned()),
            (3, "Service".to_owned()),
            (4, "Loyalty/Advocacy".to_owned()),
        ]
    );
}

async fn phase_moves_keep_positions_dense(f: Fixture) {
    let journey = f
        .store
        .create_journey(
            f.tenant,
            new_journey("Moves", JourneyTemplate::FourStep),
            &[],
        )
        .await
        .unwrap();
    let inserted = f
        .store
        .add_phase(f.tenant, journey.id, new_phase("Research"), Some(1))
        .await
        .unwrap();
    assert_eq!(inserted.position, 1);
    f.store.move_phase(f.tenant, inserted.id, 4).await.unwrap();
    let names: Vec<String> = phase_names(&f, journey.id)
        .await
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(
        names,
        [
            "Awareness",
            "Consideration",
            "Decision",
            "Post-purchase",
            "Research"
        ]
    );
    f.store.move_phase(f.tenant, inserted.id, 0).await.unwrap();
    let phases = phase_names(&f, journey.id).await;
    assert_eq!(
        phases.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(phases[0].1, "Research");
    let beyond = f.store.move_phase(f.tenant, inserted.id, 5).await;
    assert!(matches!(beyond, Err(StoreError::Invalid(_))), "{beyond:?}");
    let far = f
        .store
        .add_phase(f.tenant, journey.id, new_phase("Far"), Some(7))
        .await;
    assert!(matches!(far, Err(StoreError::Invalid(_))), "{far:?}");
}

async fn removing_a_phase_never_loses_touchpoints_silently(f: Fixture) {
    let journey = f
        .store
        .create_journey(
            f.tenant,
            new_journey("Removal", JourneyTemplate::FourStep),
            &[],
        )
        .await
        .unwrap();
    let phases = f
        .store
        .phases_of_journeys(f.tenant, &[journey.id])
        .await
        .unwrap();
    let channel = web_channel(&f).await;
    add_touchpoint(&f, phases[2].id, channel, "existing").await;
    let moved = add_touchpoint(&f, phases[1].id, channel, "compare").await;

    let refused = f
        .store
        .remove_phase(f.tenant, phases[1].id, PhaseRemoval::RefuseIfNotEmpty)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(phase_names(&f, journey.id).await.len(), 4);

    f.store
        .remove_phase(
            f.tenant,
            phases[1].id,
            PhaseRemoval::MoveContentTo(phases[2].id),
        )
        .await
        .unwrap();
    let after = f.store.touchpoint(f.tenant, moved.id).await.unwrap();
    assert_eq!(after.phase_id, phases[2].id);
    assert_eq!(
        after.position, 1,
        "appended after the target's own touchpoint"
    );
    let positions: Vec<u32> = phase_names(&f, journey.id)
        .await
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(positions, [0, 1, 2]);

    f.store
        .remove_phase(f.tenant, phases[2].id, PhaseRemoval::Cascade)
        .await
        .unwrap();
    assert!(
        f.store
            .touchpoints_of_journeys(f.tenant, &[journey.id])
            .await
            .unwrap()
            .is_empty()
    );
}

async fn stale_versions_conflict_and_change_nothing(f: Fixture) {
    let journey = f
        .store
        .create_journey(
            f.tenant,
            new_journey("Versions", JourneyTemplate::Empty),
            &[],
        )
        .await
        .unwrap();
    let rename = |text: &str| JourneyPatch {
        name: Some(name(text)),
        ..JourneyPatch::default()
    };
    let updated = f
        .store
        .update_journey(f.tenant, journey.id, Version::FIRST, rename("First"))
        .await
        .unwrap();
    assert_eq!(updated.version, Version(2));
    let stale = f
        .store
        .update_journey(f.tenant, journey.id, Version::FIRST, rename("Second"))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let stored = f.store.journey(f.tenant, journey.id).await.unwrap();
    assert_eq!(stored.name.as_str(), "First");
    assert_eq!(stored.version, Version(2));
}

async fn keyset_pages_cover_every_journey_once(f: Fixture) {
    for i in 0..23 {
        // Names repeat so the name order must break ties by id.
        let title = format!("Journey {}", i % 5);
        f.store
            .create_journey(f.tenant, new_journey(&title, JourneyTemplate::Empty), &[])
            .await
            .unwrap();
    }
    for order in [
        JourneyOrder::Created,
        JourneyOrder::Name,
        JourneyOrder::Updated,
    ] {
        for descending in [false, true] {
            let mut seen = Vec::new();
            let mut after: Option<JourneyKey> = None;
            loop {
                let page = f
                    .store
                    .list_journeys(
                        f.tenant,
                        &JourneyFilter::default(),
                        order,
                        descending,
                        &PageRequest {
                            after: after.clone(),
                            before: None,
                            limit: 5,
                            from_end: false,
                        },
                    )
                    .await
                    .unwrap();
                seen.extend(page.items.iter().map(|j| j.id));
                after = page.items.last().map(|j| JourneyKey::of(j, order));
                if !page.has_next {
                    break;
                }
            }
            let mut distinct = seen.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(seen.len(), 23, "{order:?} desc={descending}");
            assert_eq!(distinct.len(), 23, "{order:?} desc={descending}");
        }
    }
    let filter = JourneyFilter {
        search: Some("ney 3".into()),
        ..JourneyFilter::default()
    };
    assert_eq!(f.store.count_journeys(f.tenant, &filter).await.unwrap(), 4);
    let wildcard = JourneyFilter {
        search: Some("%".into()),
        ..JourneyFilter::default()
    };
    assert_eq!(
        f.store.count_journeys(f.tenant, &wildcard).await.unwrap(),
        0
    );
}

async fn other_tenants_see_nothing(f: Fixture) {
    let journey = f
        .store
        .create_journey(
            f.tenant,
            new_journey("Private", JourneyTemplate::Classic),
            &[],
        )
        .await
        .unwrap();
    let other = f
        .store
        .create_tenant(TenantSlug::parse("rival").unwrap(), name("Rival"))
        .await
        .unwrap()
        .id;
    assert!(matches!(
        f.store.journey(other, journey.id).await,
        Err(StoreError::NotFound("journey"))
    ));
    assert!(
        f.store
            .phases_of_journeys(other, &[journey.id])
            .await
            .unwrap()
            .is_empty()
    );
    let phase = f
        .store
        .phases_of_journeys(f.tenant, &[journey.id])
        .await
        .unwrap()[0]
        .id;
    assert!(matches!(
        f.store
            .add_phase(other, journey.id, new_phase("Intruder"), None)
            .await,
        Err(StoreError::NotFound("journey"))
    ));
    assert!(matches!(
        f.store
            .remove_phase(other, phase, PhaseRemoval::Cascade)
            .await,
        Err(StoreError::NotFound("phase"))
    ));
    assert_eq!(phase_names(&f, journey.id).await.len(), 5);
}

async fn duplicate_copies_the_whole_map(f: Fixture) {
    let journey = f
        .store
        .create_journey(
            f.tenant,
            new_journey("Today", JourneyTemplate::FourStep),
            &[],
        )
        .await
        .unwrap();
    let phases = f
        .store
        .phases_of_journeys(f.tenant, &[journey.id])
        .await
        .unwrap();
    let channel = web_channel(&f).await;
    let tp = add_touchpoint(&f, phases[0].id, channel, "ad").await;
    f.store
        .create_insight(
            f.tenant,
            journey.id,
            NewInsight {
                target: InsightTarget::Touchpoint(tp.id),
                kind: InsightKind::PainPoint,
                title: name("Ads are ignored"),
                description: None,
                severity: Severity::High,
                source: None,
            },
        )
        .await
        .unwrap();
    let copy = f
        .store
        .duplicate_journey(
            f.tenant,
            journey.id,
            Some(name("Tomorrow")),
            Some(JourneyState::Future),
        )
        .await
        .unwrap();
    assert_eq!(copy.state, JourneyState::Future);
    assert_eq!(copy.status, JourneyStatus::Draft);
    let copied_phases = f
        .store
        .phases_of_journeys(f.tenant, &[copy.id])
        .await
        .unwrap();
    assert_eq!(copied_phases.len(), 4);
    let copied_tps = f
        .store
        .touchpoints_of_journeys(f.tenant, &[copy.id])
        .await
        .unwrap();
    assert_eq!(copied_tps.len(), 1);
    assert_eq!(copied_tps[0].phase_id, copied_phases[0].id);
    assert_ne!(copied_tps[0].id, tp.id);
    let insights = f
        .store
        .insights_of_touchpoints(f.tenant, &[copied_tps[0].id])
        .await
        .unwrap();
    assert_eq!(insights.len(), 1);
    assert_eq!(insights[0].journey_id, copy.id);
}
