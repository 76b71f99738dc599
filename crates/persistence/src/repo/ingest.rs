//! Recording interactions: one call is one transaction that stores every
//! valid new item, reports each item (accepted, duplicate, rejected), and
//! keeps the rollups exact. Safe to retry: an item already stored with the
//! same content is a duplicate, never a second event.

use super::rollups::{
    Contribution, Histories, MAX_PARAMS, NO_PERSONA, ProgressEvent, StatsDelta, advance_progress,
    decode_times,
};
use super::windows::WindowsDelta;
use super::{any_of, now};
use crate::database::in_write_transaction;
use crate::entity::{customer, interaction, journey, touchpoint};
use crate::{Store, StoreError};
use journeyd_domain::*;
use sea_orm::sea_query::{LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Value,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// One valid item on its way in: where it sits in the call, and what it resolved to.
struct Resolved<'a> {
    index: usize,
    item: &'a NewInteraction,
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
            // A retried transaction answers afresh.
            outcomes = in_write_transaction!(&self.db, |txn| {
                let mut answered = outcomes.clone();
                record(&txn, tenant, &valid, &mut answered)
                    .await
                    .map(|()| answered)
            })?;
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| rejected(RejectionCode::BadUserInput, "not processed")))
            .collect())
    }
}

/// Holds `journeys` in key-share mode, in id order (PostgreSQL; SQLite runs
/// one writer at a time). Structure changes (phases, touchpoint moves) lock
/// their journey and recompute its funnel progress from the stored
/// interactions: a call that derives progress from a journey's phases, or
/// removes a customer's progress, holds the journey so that such a change
/// waits for it, and it for the change, and neither works from what the
/// other is about to change.
pub(crate) async fn hold_journeys(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    journeys: BTreeSet<Uuid>,
) -> Result<(), StoreError> {
    if txn.get_database_backend() != DbBackend::Postgres || journeys.is_empty() {
        return Ok(());
    }
    journey::Entity::find()
        .select_only()
        .column(journey::Column::Id)
        .filter(journey::Column::TenantId.eq(tenant.uuid()))
        .filter(any_of(txn, journey::Column::Id, journeys))
        .order_by_asc(journey::Column::Id)
        .lock(LockType::KeyShare)
        .into_tuple::<Uuid>()
        .all(txn)
        .await?;
    Ok(())
}

async fn record(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    valid: &[(usize, NewInteraction)],
    outcomes: &mut [Option<ItemOutcome>],
) -> Result<(), StoreError> {
    let t = tenant.uuid();
    let resolved = resolve_touchpoints(txn, tenant, valid, outcomes).await?;
    let journeys: BTreeSet<Uuid> = resolved.iter().map(|r| r.journey).collect();
    hold_journeys(txn, tenant, journeys).await?;

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
    // Inserted in external-id order: two calls that carry the same new
    // interactions wait for each other's uncommitted rows in one order.
    fresh.sort_unstable_by(|a, b| a.item.external_id.as_str().cmp(b.item.external_id.as_str()));

    let journeys: Vec<Uuid> = fresh
        .iter()
        .map(|r| r.journey)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // A call for one journey (the usual case) reads the customers' last two
    // interactions in it with the customers.
    let only = match journeys[..] {
        [journey] => Some(journey),
        _ => None,
    };
    let names = fresh.iter().map(|r| r.item.customer.as_str());
    let customers = ensure_customers(txn, tenant, names, only).await?;
    let latest: HashMap<Uuid, i64> = customers
        .values()
        .filter_map(|c| Some((c.id, c.latest?)))
        .collect();
    // Where the windows of in-order events start: read before the insert.
    let tails = match only {
        Some(journey) => customers
            .values()
            .filter(|c| c.latest.is_some())
            .map(|c| {
                let tail = c.before_latest.into_iter().chain(c.latest).collect();
                ((journey, c.id), tail)
            })
            .collect(),
        None => {
            let mut by_journey: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
            for r in &fresh {
                let customer = customers[r.item.customer.as_str()];
                if customer.latest.is_some() {
                    by_journey.entry(r.journey).or_default().insert(customer.id);
                }
            }
            stored_tails(txn, tenant, by_journey).await?
        }
    };

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
    let histories = advance_progress(txn, tenant, &progress, &latest).await?;
    let personas: HashMap<Uuid, Uuid> = customers
        .values()
        .map(|c| (c.id, c.persona.unwrap_or(NO_PERSONA)))
        .collect();
    new_windows(&progress, &latest, &tails, &histories, &personas)?
        .apply(txn, tenant)
        .await
}

/// The `journey_windows` changes of `new` interactions (just stored). A
/// customer's new interactions in a journey that all follow their earlier
/// ones (`latest`) add the windows that end at them, starting from the
/// stored `tails`; otherwise the windows of the customer's whole history in
/// the journey (`histories`, read after the insert) replace those of the
/// history without the new interactions.
fn new_windows(
    new: &[ProgressEvent],
    latest: &HashMap<Uuid, i64>,
    tails: &HashMap<(Uuid, Uuid), Vec<i64>>,
    histories: &Histories,
    personas: &HashMap<Uuid, Uuid>,
) -> Result<WindowsDelta, StoreError> {
    let mut by_pair: BTreeMap<(Uuid, Uuid), Vec<i64>> = BTreeMap::new();
    for e in new {
        by_pair
            .entry((e.journey, e.customer))
            .or_default()
            .push(e.occurred_at);
    }
    let mut windows = WindowsDelta::default();
    for ((journey, customer), mut times) in by_pair {
        times.sort_unstable();
        let persona = personas.get(&customer).copied().unwrap_or(NO_PERSONA);
        if latest.get(&customer).is_none_or(|last| times[0] > *last) {
            let tail = tails
                .get(&(journey, customer))
                .map_or(&[][..], Vec::as_slice);
            let all: Vec<i64> = tail.iter().copied().chain(times).collect();
            windows.add(journey, persona, &all, tail.len(), 1);
            continue;
        }
        // Late: `advance_progress` read this history to recompute the chain.
        let history = histories.get(&(journey, customer)).ok_or_else(|| {
            StoreError::Corrupt("a late interaction's history was not read".into())
        })?;
        let mut after: Vec<i64> = history.iter().map(|(at, _)| *at).collect();
        after.sort_unstable();
        let mut before = Vec::with_capacity(after.len());
        let mut added = times.iter().peekable();
        for at in &after {
            if added.peek() == Some(&at) {
                added.next();
            } else {
                before.push(*at);
            }
        }
        // Both in time order already.
        windows.add(journey, persona, &after, 0, 1);
        windows.add(journey, persona, &before, 0, -1);
    }
    Ok(windows)
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
async fn resolve_touchpoints<'a>(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    valid: &'a [(usize, NewInteraction)],
    outcomes: &mut [Option<ItemOutcome>],
) -> Result<Vec<Resolved<'a>>, StoreError> {
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
        let index = *index;
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
    /// The moment of their latest interaction, read before the batch is
    /// stored: it tells which new interactions arrive in order. In the
    /// journey asked for ([`ensure_customers`]), or else in any journey.
    pub latest: Option<i64>,
    /// In the journey asked for, the moment of the interaction before it.
    pub before_latest: Option<i64>,
}

/// Every customer named, creating the unknown ones.
///
/// On PostgreSQL the customers' rows stay locked until the transaction ends,
/// so calls that touch the same customers run one after the other and each
/// sees the other's interactions when it updates the rollups. One statement
/// creates the unknown customers and locks the known ones, all in
/// external-id order, so two calls never wait for each other in a cycle
/// (locking the known ones first and creating the rest after would: a
/// customer another call creates in between is locked out of order). SQLite
/// runs one writing transaction at a time and needs no locks.
pub(crate) async fn ensure_customers<'a>(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    external_ids: impl Iterator<Item = &'a str>,
    journey: Option<Uuid>,
) -> Result<HashMap<String, KnownCustomer>, StoreError> {
    let wanted: BTreeSet<&str> = external_ids.collect();
    match txn.get_database_backend() {
        DbBackend::Postgres => {
            let created = create_or_lock_customers(txn, tenant, &wanted).await?;
            let existing = wanted
                .iter()
                .copied()
                .filter(|id| !created.contains_key(*id));
            // Read once every customer is locked: a call that held one of
            // them has committed by now, and this statement's snapshot sees
            // its interactions. The locking statement's could not: it was
            // taken before the wait.
            let mut known = find_customers(txn, tenant, existing, journey).await?;
            known.extend(created);
            Ok(known)
        }
        _ => {
            let mut known = find_customers(txn, tenant, wanted.iter().copied(), journey).await?;
            let missing: Vec<&str> = wanted
                .iter()
                .copied()
                .filter(|id| !known.contains_key(*id))
                .collect();
            known.extend(create_customers(txn, tenant, &missing).await?);
            Ok(known)
        }
    }
}

/// A customer created just now: no persona, no interactions.
fn new_customer(id: Uuid) -> KnownCustomer {
    KnownCustomer {
        id,
        persona: None,
        latest: None,
        before_latest: None,
    }
}

/// PostgreSQL: creates the customers of `wanted` that do not exist and locks
/// those that do, in one statement, in external-id order. `ON CONFLICT DO
/// UPDATE ... WHERE false` locks a conflicting row without writing it (its
/// `FOR NO KEY UPDATE` lock, as an update would take). Returns the created
/// ones; the array parameters keep the statement text, and so its prepared
/// plan, the same for every call.
pub(crate) async fn create_or_lock_customers(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    wanted: &BTreeSet<&str>,
) -> Result<HashMap<String, KnownCustomer>, StoreError> {
    use sea_orm::sea_query::ArrayType;
    let ids: Vec<Value> = wanted
        .iter()
        .map(|_| CustomerId::generate().uuid().into())
        .collect();
    let externals: Vec<Value> = wanted.iter().map(|e| (*e).into()).collect();
    let statement = sea_orm::Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO customers \
         (tenant_id, id, external_id, persona_id, attributes, created_at, updated_at) \
         SELECT $1, n.id, n.external_id, NULL, '{}'::jsonb, $4, $4 \
         FROM UNNEST($2::uuid[], $3::text[]) AS n (id, external_id) \
         ORDER BY n.external_id \
         ON CONFLICT (tenant_id, external_id) DO UPDATE \
         SET updated_at = customers.updated_at WHERE false \
         RETURNING external_id, id",
        [
            tenant.uuid().into(),
            Value::Array(ArrayType::Uuid, Some(Box::new(ids))),
            Value::Array(ArrayType::String, Some(Box::new(externals))),
            now().into(),
        ],
    );
    let mut created = HashMap::new();
    for row in txn.query_all_raw(statement).await? {
        let external: String = row.try_get("", "external_id")?;
        created.insert(external, new_customer(row.try_get("", "id")?));
    }
    Ok(created)
}

/// SQLite: creates these customers, which do not exist (the caller holds
/// the database's write lock).
async fn create_customers(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    missing: &[&str],
) -> Result<HashMap<String, KnownCustomer>, StoreError> {
    use customer::Column as C;
    let at = now();
    let empty = serde_json::json!({});
    let mut created = HashMap::with_capacity(missing.len());
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
            let id = CustomerId::generate().uuid();
            created.insert((*external).to_owned(), new_customer(id));
            insert.values_panic([
                tenant.uuid().into(),
                id.into(),
                (*external).into(),
                Option::<Uuid>::None.into(),
                empty.clone().into(),
                at.into(),
                at.into(),
            ]);
        }
        txn.execute(&insert).await?;
    }
    Ok(created)
}

/// These customers as stored (unknown ones are left out), with their latest
/// interaction in `journey` and the one before it, or without a journey their
/// latest in any: one probe of the index (tenant, customer, occurred_at,
/// journey) per customer.
async fn find_customers<'a>(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    external_ids: impl Iterator<Item = &'a str>,
    journey: Option<Uuid>,
) -> Result<HashMap<String, KnownCustomer>, StoreError> {
    use customer::Column as C;
    let latest = latest_times(txn.get_database_backend(), journey);
    let ids: Vec<&str> = external_ids.collect();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMS) {
        let rows: Vec<(String, Uuid, Option<Uuid>, Option<String>)> = customer::Entity::find()
            .select_only()
            .columns([C::ExternalId, C::Id, C::PersonaId])
            .column_as(latest.clone(), "latest")
            .filter(C::TenantId.eq(tenant.uuid()))
            .filter(any_of(
                txn,
                C::ExternalId,
                chunk.iter().map(|s| s.to_string()),
            ))
            .into_tuple()
            .all(txn)
            .await?;
        for (external, id, persona, latest) in rows {
            let times = newest_first(latest)?;
            found.insert(
                external,
                KnownCustomer {
                    id,
                    persona,
                    latest: times.first().copied(),
                    before_latest: times.get(1).copied(),
                },
            );
        }
    }
    Ok(found)
}

/// The latest interaction of the customer of the enclosing `customers` row
/// (in `journey`: the latest two), as text, newest first
/// ([`newest_first`]): one probe of the index (tenant, customer,
/// occurred_at, journey).
fn latest_times(backend: DbBackend, journey: Option<Uuid>) -> sea_orm::sea_query::SimpleExpr {
    use customer::Column as C;
    use interaction::Column as I;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order};
    let i = || Alias::new("i");
    let latest = Query::select()
        .column((i(), I::OccurredAt))
        .from_as(interaction::Entity, i())
        .and_where(Expr::col((i(), I::TenantId)).equals((customer::Entity, C::TenantId)))
        .and_where(Expr::col((i(), I::CustomerId)).equals((customer::Entity, C::Id)))
        .apply_if(journey, |select, journey| {
            select.and_where(Expr::col((i(), I::JourneyId)).eq(journey));
        })
        .order_by((i(), I::OccurredAt), Order::Desc)
        .limit(if journey.is_some() { 2 } else { 1 })
        .to_owned();
    let as_text = match backend {
        DbBackend::Postgres => "string_agg(CAST(\"t\".\"occurred_at\" AS TEXT), ',')",
        _ => "group_concat(\"t\".\"occurred_at\", ',')",
    };
    Query::select()
        .expr(Expr::cust(as_text))
        .from_subquery(latest, Alias::new("t"))
        .to_owned()
        .into()
}

/// The times of [`latest_times`], newest first.
fn newest_first(text: Option<String>) -> Result<Vec<i64>, StoreError> {
    let mut times = decode_times(text.as_deref().unwrap_or_default())?;
    times.sort_unstable_by(|a, b| b.cmp(a));
    Ok(times)
}

/// For a call over several journeys: the last two stored interactions, in
/// time order, of these customers in each journey (where the windows of
/// their in-order interactions start). One statement per journey.
async fn stored_tails(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    by_journey: BTreeMap<Uuid, BTreeSet<Uuid>>,
) -> Result<HashMap<(Uuid, Uuid), Vec<i64>>, StoreError> {
    use customer::Column as C;
    let mut tails = HashMap::new();
    for (journey, customers) in by_journey {
        let latest = latest_times(txn.get_database_backend(), Some(journey));
        let customers: Vec<Uuid> = customers.into_iter().collect();
        for chunk in customers.chunks(MAX_PARAMS) {
            let rows: Vec<(Uuid, Option<String>)> = customer::Entity::find()
                .select_only()
                .column(C::Id)
                .column_as(latest.clone(), "latest")
                .filter(C::TenantId.eq(tenant.uuid()))
                .filter(any_of(txn, C::Id, chunk.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            for (customer, latest) in rows {
                let mut tail = newest_first(latest)?;
                tail.reverse();
                tails.insert((journey, customer), tail);
            }
        }
    }
    Ok(tails)
}
