//! Recording interactions: one call is one transaction that stores every
//! valid new item, reports each item (accepted, duplicate, rejected), and
//! keeps the rollups exact. Safe to retry: an item already stored with the
//! same content is a duplicate, never a second event.

use super::rollups::{
    Contribution, MAX_PARAMS, NO_PERSONA, ProgressEvent, StatsDelta, advance_progress,
};
use super::{any_of, now};
use crate::entity::{customer, interaction, journey, touchpoint};
use crate::{Store, StoreError};
use journeyd_domain::*;
use sea_orm::sea_query::{LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Value,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// One valid item on its way in: where it sits in the call, and what it resolved to.
struct Resolved {
    index: usize,
    item: NewInteraction,
    touchpoint: Uuid,
    journey: Uuid,
    hash: i64,
}

fn rejected(code: RejectionCode, message: impl Into<String>) -> ItemOutcome {
    ItemOutcome::Rejected {
        code,
        message: message.into(),
    }
}

impl Store {
    /// Records a batch of interactions. `items` holds, per item of the call,
    /// either a validated interaction or the outcome that rejected it; the
    /// answer holds one outcome per item, in order.
    pub async fn record_interactions(
        &self,
        tenant: TenantId,
        items: Vec<Result<NewInteraction, ItemOutcome>>,
    ) -> Result<Vec<ItemOutcome>, StoreError> {
        let mut outcomes: Vec<Option<ItemOutcome>> = Vec::with_capacity(items.len());
        let mut valid = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            match item {
                Ok(item) => {
                    outcomes.push(None);
                    valid.push((index, item));
                }
                Err(outcome) => outcomes.push(Some(outcome)),
            }
        }
        if !valid.is_empty() {
            let txn = self.db.begin_write().await?;
            record(&txn, tenant, valid, &mut outcomes).await?;
            txn.commit().await?;
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| rejected(RejectionCode::BadUserInput, "not processed")))
            .collect())
    }
}

async fn record(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    valid: Vec<(usize, NewInteraction)>,
    outcomes: &mut [Option<ItemOutcome>],
) -> Result<(), StoreError> {
    let t = tenant.uuid();
    let resolved = resolve_touchpoints(txn, tenant, valid, outcomes).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Structure changes (phases, touchpoint moves) lock their journey
        // and recompute its funnel progress from the stored interactions.
        // Holding the batch's journeys in key-share mode makes such a change
        // wait for this call, and this call for it, so the progress this
        // call derives from the journey's phases is never left stale.
        let journeys: BTreeSet<Uuid> = resolved.iter().map(|r| r.journey).collect();
        journey::Entity::find()
            .select_only()
            .column(journey::Column::Id)
            .filter(journey::Column::TenantId.eq(t))
            .filter(any_of(txn, journey::Column::Id, journeys))
            .order_by_asc(journey::Column::Id)
            .lock(LockType::KeyShare)
            .into_tuple::<Uuid>()
            .all(txn)
            .await?;
    }

    // The same external id twice in one call: the first one counts.
    let mut first_seen: HashMap<String, i64> = HashMap::new();
    let mut fresh = Vec::with_capacity(resolved.len());
    for r in resolved {
        match first_seen.get(r.item.external_id.as_str()) {
            Some(&hash) if hash == r.hash => outcomes[r.index] = Some(ItemOutcome::Duplicate),
            Some(_) => {
                outcomes[r.index] = Some(rejected(
                    RejectionCode::Conflict,
                    format!(
                        "externalId '{}' appears earlier in this call with different content",
                        r.item.external_id
                    ),
                ))
            }
            None => {
                first_seen.insert(r.item.external_id.as_str().to_owned(), r.hash);
                fresh.push(r);
            }
        }
    }
    if fresh.is_empty() {
        return Ok(());
    }

    let customers =
        ensure_customers(txn, tenant, fresh.iter().map(|r| r.item.customer.as_str())).await?;
    let latest: HashMap<Uuid, i64> = customers
        .values()
        .filter_map(|c| Some((c.id, c.latest?)))
        .collect();

    // Insert; rows whose external id is already stored are left alone.
    use interaction::Column as I;
    let recorded_at = now();
    let columns = [
        I::TenantId,
        I::ExternalId,
        I::CustomerId,
        I::JourneyId,
        I::TouchpointId,
        I::OccurredAt,
        I::Sentiment,
        I::Rating,
        I::Nps,
        I::ValueScaled,
        I::ValueCurrency,
        I::Properties,
        I::ContentHash,
        I::RecordedAt,
    ];
    let mut inserted: HashSet<String> = HashSet::with_capacity(fresh.len());
    for chunk in fresh.chunks(MAX_PARAMS / columns.len()) {
        let mut insert = Query::insert();
        insert.into_table(interaction::Entity).columns(columns);
        for r in chunk {
            let customer = customers[r.item.customer.as_str()].id;
            let i = &r.item;
            insert.values_panic([
                t.into(),
                i.external_id.as_str().into(),
                customer.into(),
                r.journey.into(),
                r.touchpoint.into(),
                i.occurred_at_us.into(),
                i.sentiment.map(|s| i16::from(s.get())).into(),
                i.rating.map(|s| i16::from(s.get())).into(),
                i.nps.map(|s| i16::from(s.get())).into(),
                i.value.map(|m| m.scaled).into(),
                i.value.map(|m| m.currency.as_str().to_owned()).into(),
                Value::Json(i.properties.clone().map(Box::new)).into(),
                r.hash.into(),
                recorded_at.into(),
            ]);
        }
        insert
            .on_conflict(
                OnConflict::columns([I::TenantId, I::ExternalId])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(I::ExternalId);
        for row in txn.query_all(&insert).await? {
            inserted.insert(row.try_get::<String>("", "external_id")?);
        }
    }

    // The rest were stored before: the same content is a duplicate, other
    // content a conflict (never overwritten).
    let existing: Vec<&str> = fresh
        .iter()
        .map(|r| r.item.external_id.as_str())
        .filter(|id| !inserted.contains(*id))
        .collect();
    let mut stored_hashes: HashMap<String, i64> = HashMap::new();
    for chunk in existing.chunks(MAX_PARAMS) {
        let rows: Vec<(String, i64)> = interaction::Entity::find()
            .select_only()
            .columns([I::ExternalId, I::ContentHash])
            .filter(I::TenantId.eq(t))
            .filter(any_of(
                txn,
                I::ExternalId,
                chunk.iter().map(|s| s.to_string()),
            ))
            .into_tuple()
            .all(txn)
            .await?;
        stored_hashes.extend(rows);
    }

    let mut delta = StatsDelta::default();
    let mut progress = Vec::with_capacity(inserted.len());
    for r in &fresh {
        let id = r.item.external_id.as_str();
        if inserted.contains(id) {
            let KnownCustomer {
                id: customer,
                persona,
                ..
            } = customers[r.item.customer.as_str()];
            delta.add(&contribution(r, persona.unwrap_or(NO_PERSONA)), 1);
            progress.push(ProgressEvent {
                journey: r.journey,
                customer,
                occurred_at: r.item.occurred_at_us,
                touchpoint: r.touchpoint,
            });
            outcomes[r.index] = Some(ItemOutcome::Accepted);
        } else if stored_hashes.get(id) == Some(&r.hash) {
            outcomes[r.index] = Some(ItemOutcome::Duplicate);
        } else {
            outcomes[r.index] = Some(rejected(
                RejectionCode::Conflict,
                format!("externalId '{id}' is already stored with different content"),
            ));
        }
    }
    delta.apply(txn, tenant).await?;
    advance_progress(txn, tenant, &progress, &latest).await
}

fn contribution(r: &Resolved, persona_key: Uuid) -> Contribution {
    Contribution {
        journey: r.journey,
        touchpoint: r.touchpoint,
        persona_key,
        occurred_at: r.item.occurred_at_us,
        sentiment: r.item.sentiment.map(|s| i16::from(s.get())),
        rating: r.item.rating.map(|s| i16::from(s.get())),
        nps: r.item.nps.map(|s| i16::from(s.get())),
        value: r
            .item
            .value
            .map(|m| (m.scaled, m.currency.as_str().to_owned())),
    }
}

/// Finds each item's touchpoint (by id, or by journey and key); items whose
/// touchpoint does not exist for the tenant are rejected.
async fn resolve_touchpoints(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    valid: Vec<(usize, NewInteraction)>,
    outcomes: &mut [Option<ItemOutcome>],
) -> Result<Vec<Resolved>, StoreError> {
    use touchpoint::Column as T;
    let t = tenant.uuid();
    let ids: BTreeSet<Uuid> = valid
        .iter()
        .filter_map(|(_, i)| match &i.touchpoint {
            TouchpointRef::Id(id) => Some(id.uuid()),
            TouchpointRef::Key(..) => None,
        })
        .collect();
    let keyed_journeys: BTreeSet<Uuid> = valid
        .iter()
        .filter_map(|(_, i)| match &i.touchpoint {
            TouchpointRef::Key(journey, _) => Some(journey.uuid()),
            TouchpointRef::Id(_) => None,
        })
        .collect();
    let keys: BTreeSet<&str> = valid
        .iter()
        .filter_map(|(_, i)| match &i.touchpoint {
            TouchpointRef::Key(_, key) => Some(key.as_str()),
            TouchpointRef::Id(_) => None,
        })
        .collect();
    let mut by_id: HashMap<Uuid, Uuid> = HashMap::new();
    if !ids.is_empty() {
        let rows: Vec<(Uuid, Uuid)> = touchpoint::Entity::find()
            .select_only()
            .columns([T::Id, T::JourneyId])
            .filter(T::TenantId.eq(t))
            .filter(any_of(txn, T::Id, ids))
            .into_tuple()
            .all(txn)
            .await?;
        by_id.extend(rows);
    }
    let mut by_key: HashMap<(Uuid, String), Uuid> = HashMap::new();
    if !keys.is_empty() {
        let rows: Vec<(Uuid, Uuid, String)> = touchpoint::Entity::find()
            .select_only()
            .columns([T::Id, T::JourneyId, T::Key])
            .filter(T::TenantId.eq(t))
            .filter(any_of(txn, T::JourneyId, keyed_journeys))
            .filter(any_of(txn, T::Key, keys.into_iter().map(str::to_owned)))
            .into_tuple()
            .all(txn)
            .await?;
        by_key.extend(
            rows.into_iter()
                .map(|(id, journey, key)| ((journey, key), id)),
        );
    }
    let mut resolved = Vec::with_capacity(valid.len());
    for (index, item) in valid {
        let found = match &item.touchpoint {
            TouchpointRef::Id(id) => by_id.get(&id.uuid()).map(|journey| (id.uuid(), *journey)),
            TouchpointRef::Key(journey, key) => by_key
                .get(&(journey.uuid(), key.as_str().to_owned()))
                .map(|tp| (*tp, journey.uuid())),
        };
        match found {
            Some((touchpoint, journey)) => {
                let hash = item.content_hash(TouchpointId::from_uuid(touchpoint));
                resolved.push(Resolved {
                    index,
                    item,
                    touchpoint,
                    journey,
                    hash,
                });
            }
            None => {
                let message = match &item.touchpoint {
                    TouchpointRef::Id(_) => "no touchpoint with this touchpointId".to_owned(),
                    TouchpointRef::Key(_, key) => {
                        format!("no touchpoint with key '{key}' in this journey")
                    }
                };
                outcomes[index] = Some(rejected(RejectionCode::NotFound, message));
            }
        }
    }
    Ok(resolved)
}

/// A customer as ingest sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KnownCustomer {
    pub id: Uuid,
    pub persona: Option<Uuid>,
    /// The moment of their latest interaction (in any journey), read before
    /// the batch is stored: it tells which new interactions arrive in order.
    pub latest: Option<i64>,
}

/// Every customer named, creating the unknown ones.
///
/// On PostgreSQL the customers' rows stay locked until the transaction ends
/// (existing ones locked in id order, new ones by their insert), so calls
/// that touch the same customers run one after the other and each sees the
/// other's interactions when it updates the rollups. SQLite runs one writing
/// transaction at a time and needs no locks.
pub(crate) async fn ensure_customers<'a>(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    external_ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, KnownCustomer>, StoreError> {
    use customer::Column as C;
    let t = tenant.uuid();
    let wanted: BTreeSet<&str> = external_ids.collect();
    let mut known = find_customers(txn, tenant, wanted.iter().copied()).await?;
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|id| !known.contains_key(*id))
        .collect();
    if !missing.is_empty() {
        let at = now();
        let empty = serde_json::json!({});
        for chunk in missing.chunks(MAX_PARAMS / 7) {
            let mut insert = Query::insert();
            insert.into_table(customer::Entity).columns([
                C::TenantId,
                C::Id,
                C::ExternalId,
                C::PersonaId,
                C::Attributes,
                C::CreatedAt,
                C::UpdatedAt,
            ]);
            for external in chunk {
                insert.values_panic([
                    t.into(),
                    CustomerId::generate().uuid().into(),
                    (*external).into(),
                    Option::<Uuid>::None.into(),
                    empty.clone().into(),
                    at.into(),
                    at.into(),
                ]);
            }
            insert.on_conflict(
                OnConflict::columns([C::TenantId, C::ExternalId])
                    .do_nothing()
                    .to_owned(),
            );
            txn.execute(&insert).await?;
        }
        // Read back: a concurrent call may have created some of them first.
        known.extend(find_customers(txn, tenant, missing.into_iter()).await?);
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        // Read once every customer is locked: a call that held one of them
        // has committed by now, and this statement sees its interactions.
        // The locking statement cannot: its snapshot was taken before it
        // waited for the locks.
        let ids: Vec<Uuid> = known.values().map(|c| c.id).collect();
        let mut latest: HashMap<Uuid, i64> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_PARAMS) {
            use interaction::Column as I;
            use sea_orm::sea_query::ExprTrait;
            let rows: Vec<(Uuid, Option<i64>)> = interaction::Entity::find()
                .select_only()
                .column(I::CustomerId)
                .column_as(sea_orm::sea_query::Expr::col(I::OccurredAt).max(), "latest")
                .filter(I::TenantId.eq(t))
                .filter(any_of(txn, I::CustomerId, chunk.iter().copied()))
                .group_by(I::CustomerId)
                .into_tuple()
                .all(txn)
                .await?;
            latest.extend(rows.into_iter().filter_map(|(c, at)| Some((c, at?))));
        }
        for customer in known.values_mut() {
            customer.latest = latest.get(&customer.id).copied();
        }
    }
    Ok(known)
}

async fn find_customers<'a>(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    external_ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, KnownCustomer>, StoreError> {
    use customer::Column as C;
    use sea_orm::sea_query::Expr;
    // On SQLite (one writer at a time) the latest interaction comes in the
    // same statement: one probe of the customer index (tenant, customer,
    // occurred_at) per customer. PostgreSQL reads it once the customers are
    // locked (`ensure_customers`).
    let latest = Expr::cust(match txn.get_database_backend() {
        DbBackend::Postgres => "CAST(NULL AS BIGINT)",
        _ => {
            "(SELECT MAX(\"i\".\"occurred_at\") FROM \"interactions\" AS \"i\" \
             WHERE \"i\".\"tenant_id\" = \"customers\".\"tenant_id\" \
             AND \"i\".\"customer_id\" = \"customers\".\"id\")"
        }
    });
    let ids: Vec<&str> = external_ids.collect();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMS) {
        let mut select = customer::Entity::find()
            .select_only()
            .columns([C::ExternalId, C::Id, C::PersonaId])
            .column_as(latest.clone(), "latest")
            .filter(C::TenantId.eq(tenant.uuid()))
            .filter(any_of(
                txn,
                C::ExternalId,
                chunk.iter().map(|s| s.to_string()),
            ));
        if txn.get_database_backend() == DbBackend::Postgres {
            // Locked in id order (see `ensure_customers`). SQLite needs no
            // locks, and there the order can make the planner walk every
            // customer of the tenant by id instead of probing the
            // external-id index (EXPLAIN QUERY PLAN, SQLite 3.40).
            select = select.order_by_asc(C::Id).lock_exclusive();
        }
        let rows: Vec<(String, Uuid, Option<Uuid>, Option<i64>)> =
            select.into_tuple().all(txn).await?;
        found.extend(rows.into_iter().map(|(external, id, persona, latest)| {
            (
                external,
                KnownCustomer {
                    id,
                    persona,
                    latest,
                },
            )
        }));
    }
    Ok(found)
}
