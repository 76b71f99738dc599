//! Customers: upserted by external id (the CRM's key), listed, read with
//! their interactions, and forgotten completely on request.

use super::conversions::ConversionsDelta;
use super::ingest::{create_or_lock_customers, ensure_customers, hold_journeys};
use super::rollups::{
    Contribution, MAX_PARAMS, NO_PERSONA, Replace, StatsDelta, recompute_progress,
};
use super::windows::WindowsDelta;
use super::{any_of, now, tenant_and_in};
use crate::database::in_write_transaction;
use crate::entity::{customer, interaction, journey_chain, persona};
use crate::error::FoundExt;
use crate::page::{KeysetOrder, SortKey, finish};
use crate::{Page, PageRequest, Store, StoreError, convert};
use chrono::{DateTime, Utc};
use journeyd_domain::*;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Value,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// A customer's place in a listing (customers are listed by creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerKey(pub CustomerId);

/// An interaction's place in a customer's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionKey {
    /// When it happened, microseconds since the epoch.
    pub occurred_at_us: i64,
    /// Its external id (breaks ties).
    pub external_id: String,
}

/// Which of a customer's interactions to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InteractionFilter {
    /// Only interactions in this journey.
    pub journey: Option<JourneyId>,
    /// Only interactions at or after this moment.
    pub from: Option<DateTime<Utc>>,
    /// Only interactions before this moment.
    pub to: Option<DateTime<Utc>>,
}

/// When a customer was first and last seen (by their interactions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// The earliest interaction.
    pub first_seen_at: DateTime<Utc>,
    /// The latest interaction.
    pub last_seen_at: DateTime<Utc>,
}

fn micros_to_time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn customer_from(row: customer::Model) -> Result<Customer, StoreError> {
    Ok(Customer {
        id: CustomerId::from_uuid(row.id),
        external_id: ExternalId::parse("externalId", &row.external_id)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        persona_id: row.persona_id.map(PersonaId::from_uuid),
        attributes: row.attributes,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn interaction_from(row: interaction::Model) -> Result<Interaction, StoreError> {
    let corrupt = |e: ValidationError| StoreError::Corrupt(e.to_string());
    let value = match (row.value_scaled, row.value_currency.as_deref()) {
        (Some(scaled), Some(currency)) => Some(Money {
            scaled,
            currency: Currency::parse("currency", currency).map_err(corrupt)?,
        }),
        _ => None,
    };
    Ok(Interaction {
        external_id: ExternalId::parse("externalId", &row.external_id).map_err(corrupt)?,
        customer_id: CustomerId::from_uuid(row.customer_id),
        journey_id: JourneyId::from_uuid(row.journey_id),
        touchpoint_id: TouchpointId::from_uuid(row.touchpoint_id),
        occurred_at: micros_to_time(row.occurred_at),
        sentiment: row
            .sentiment
            .map(|v| SentimentScore::new(v.into()))
            .transpose()
            .map_err(corrupt)?,
        rating: row
            .rating
            .map(|v| Rating::new(v.into()))
            .transpose()
            .map_err(corrupt)?,
        nps: row
            .nps
            .map(|v| NpsScore::new(v.into()))
            .transpose()
            .map_err(corrupt)?,
        value,
        properties: row.properties,
        recorded_at: row.recorded_at,
    })
}

/// Changes to the rollups kept by persona (stats and windows) from whole
/// customers' interactions: persona moves and deletions. Callers apply one
/// for all their customers: rows are written in key order, as ingest writes
/// them.
#[derive(Default)]
struct CustomerRollups {
    stats: StatsDelta,
    windows: WindowsDelta,
}

impl CustomerRollups {
    /// Adds `sign` times the contributions of all of a customer's
    /// `interactions` under the persona key `persona`.
    fn add(&mut self, interactions: &[interaction::Model], persona: Uuid, sign: i64) {
        for row in interactions {
            self.stats.add(&Contribution::of(row, persona), sign);
        }
        self.windows.add_history(interactions, persona, sign);
    }

    /// Adds the move of a customer's contributions from one persona to another.
    async fn move_persona(
        &mut self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        customer: Uuid,
        from: Uuid,
        to: Uuid,
    ) -> Result<(), StoreError> {
        let rows = interaction::Entity::find()
            .filter(interaction::Column::TenantId.eq(tenant.uuid()))
            .filter(interaction::Column::CustomerId.eq(customer))
            .all(conn)
            .await?;
        self.add(&rows, from, -1);
        self.add(&rows, to, 1);
        Ok(())
    }

    async fn apply(self, conn: &impl ConnectionTrait, tenant: TenantId) -> Result<(), StoreError> {
        self.stats.apply(conn, tenant).await?;
        self.windows.apply(conn, tenant).await
    }
}

/// The body of [`Store::upsert_customers`], in its transaction.
async fn upsert_customers(
    txn: &sea_orm::DatabaseTransaction,
    tenant: TenantId,
    items: &[Result<CustomerUpsert, CustomerOutcome>],
) -> Result<Vec<CustomerOutcome>, StoreError> {
    let t = tenant.uuid();
    let personas: BTreeSet<Uuid> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .filter_map(|u| u.persona_id.flatten())
        .map(PersonaId::uuid)
        .collect();
    let known_personas: BTreeSet<Uuid> = if personas.is_empty() {
        BTreeSet::new()
    } else {
        persona::Entity::find()
            .select_only()
            .column(persona::Column::Id)
            .filter(tenant_and_in(
                txn,
                persona::Column::TenantId,
                tenant,
                persona::Column::Id,
                personas,
            ))
            .into_tuple::<Uuid>()
            .all(txn)
            .await?
            .into_iter()
            .collect()
    };
    let unknown_persona = |u: &CustomerUpsert| {
        u.persona_id
            .flatten()
            .is_some_and(|p| !known_personas.contains(&p.uuid()))
    };
    // Items naming an unknown persona are rejected below and create nothing.
    let names: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .filter(|u| !unknown_persona(u))
        .map(|u| u.external_id.as_str())
        .collect();
    // On PostgreSQL every customer of the call is created or locked first,
    // in one statement and in external-id order, as ingest does: two calls
    // never wait for each other in a cycle. The created ones get their
    // persona and attributes from their item below.
    let mut created: HashSet<String> = match txn.get_database_backend() {
        DbBackend::Postgres => create_or_lock_customers(txn, tenant, &names)
            .await?
            .into_keys()
            .collect(),
        _ => HashSet::new(),
    };
    let existing: HashMap<String, customer::Model> = {
        let names: Vec<&str> = names.into_iter().collect();
        let mut found = HashMap::new();
        for chunk in names.chunks(MAX_PARAMS) {
            let rows = customer::Entity::find()
                .filter(customer::Column::TenantId.eq(t))
                .filter(any_of(
                    txn,
                    customer::Column::ExternalId,
                    chunk.iter().map(|s| s.to_string()),
                ))
                .all(txn)
                .await?;
            found.extend(rows.into_iter().map(|r| (r.external_id.clone(), r)));
        }
        found
    };
    let mut current: HashMap<String, customer::Model> = existing;
    let mut outcomes = Vec::with_capacity(items.len());
    let mut moves = CustomerRollups::default();
    for item in items {
        let upsert = match item {
            Ok(upsert) => upsert,
            Err(outcome) => {
                outcomes.push(outcome.clone());
                continue;
            }
        };
        if unknown_persona(upsert) {
            outcomes.push(CustomerOutcome::Rejected {
                code: RejectionCode::NotFound,
                message: "personaId: no such persona".into(),
            });
            continue;
        }
        let at = now();
        let fresh = created.remove(upsert.external_id.as_str());
        let row = match current.get(upsert.external_id.as_str()).cloned() {
            Some(row) => row,
            None => {
                // SQLite: the call holds the database's write lock, nobody
                // else creates customers meanwhile.
                let row = customer::Model {
                    tenant_id: t,
                    id: CustomerId::generate().uuid(),
                    external_id: upsert.external_id.as_str().to_owned(),
                    persona_id: upsert.persona_id.flatten().map(PersonaId::uuid),
                    attributes: upsert
                        .attributes
                        .clone()
                        .unwrap_or_else(|| serde_json::json!({})),
                    created_at: at,
                    updated_at: at,
                };
                customer::Entity::insert(customer::ActiveModel::from(row.clone()))
                    .exec_without_returning(txn)
                    .await?;
                current.insert(row.external_id.clone(), row.clone());
                outcomes.push(CustomerOutcome::Created(Box::new(customer_from(row)?)));
                continue;
            }
        };
        let persona = upsert
            .persona_id
            .map_or(row.persona_id, |p| p.map(PersonaId::uuid));
        let attributes = upsert
            .attributes
            .clone()
            .unwrap_or_else(|| row.attributes.clone());
        let changed = persona != row.persona_id || attributes != row.attributes;
        let row = if changed {
            if persona != row.persona_id && !fresh {
                moves
                    .move_persona(
                        txn,
                        tenant,
                        row.id,
                        row.persona_id.unwrap_or(NO_PERSONA),
                        persona.unwrap_or(NO_PERSONA),
                    )
                    .await?;
            }
            customer::Entity::update(customer::ActiveModel {
                tenant_id: Set(t),
                id: Set(row.id),
                persona_id: Set(persona),
                attributes: Set(attributes.clone()),
                updated_at: Set(at),
                ..Default::default()
            })
            .exec(txn)
            .await?;
            let updated = customer::Model {
                persona_id: persona,
                attributes,
                updated_at: at,
                ..row
            };
            current.insert(updated.external_id.clone(), updated.clone());
            updated
        } else {
            row
        };
        let customer = Box::new(customer_from(row)?);
        // A customer created above for this call counts as created.
        outcomes.push(match (fresh, changed) {
            (true, _) => CustomerOutcome::Created(customer),
            (false, true) => CustomerOutcome::Updated(customer),
            (false, false) => CustomerOutcome::Unchanged(customer),
        });
    }
    moves.apply(txn, tenant).await?;
    Ok(outcomes)
}

impl Store {
    /// Creates or updates customers by external id, in one transaction.
    /// `items` holds, per item, a validated upsert or the outcome that
    /// rejected it; the answer holds one outcome per item, in order.
    pub async fn upsert_customers(
        &self,
        tenant: TenantId,
        items: Vec<Result<CustomerUpsert, CustomerOutcome>>,
    ) -> Result<Vec<CustomerOutcome>, StoreError> {
        in_write_transaction!(&self.db, |txn| upsert_customers(&txn, tenant, &items).await)
    }

    /// The customer with this external id.
    pub async fn customer_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &ExternalId,
    ) -> Result<Customer, StoreError> {
        customer::Entity::find()
            .filter(customer::Column::TenantId.eq(tenant.uuid()))
            .filter(customer::Column::ExternalId.eq(external_id.as_str()))
            .one(self.db.conn())
            .await?
            .found("customer")
            .and_then(customer_from)
    }

    /// The customers with these ids (missing ones are left out).
    pub async fn customers_by_ids(
        &self,
        tenant: TenantId,
        ids: &[CustomerId],
    ) -> Result<Vec<Customer>, StoreError> {
        let rows = customer::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                customer::Column::TenantId,
                tenant,
                customer::Column::Id,
                ids.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        convert::all(rows, customer_from)
    }

    fn customer_condition(tenant: TenantId, persona: Option<PersonaId>) -> Condition {
        let mut condition = Condition::all().add(customer::Column::TenantId.eq(tenant.uuid()));
        if let Some(persona) = persona {
            condition = condition.add(customer::Column::PersonaId.eq(persona.uuid()));
        }
        condition
    }

    /// One page of the tenant's customers, oldest first, optionally of one persona.
    pub async fn list_customers(
        &self,
        tenant: TenantId,
        persona: Option<PersonaId>,
        page: &PageRequest<CustomerKey>,
    ) -> Result<Page<Customer>, StoreError> {
        let keyset = KeysetOrder {
            sort: None,
            id: customer::Column::Id,
            descending: false,
        };
        let key = |k: &CustomerKey| SortKey {
            value: None,
            id: k.0.uuid(),
        };
        let keys = PageRequest {
            after: page.after.as_ref().map(key),
            before: page.before.as_ref().map(key),
            limit: page.limit,
            from_end: page.from_end,
        };
        let select = customer::Entity::find().filter(Self::customer_condition(tenant, persona));
        let rows = keyset.apply(select, &keys).all(self.db.conn()).await?;
        finish(rows, page).try_map(customer_from)
    }

    /// How many customers there are (of one persona).
    pub async fn count_customers(
        &self,
        tenant: TenantId,
        persona: Option<PersonaId>,
    ) -> Result<u64, StoreError> {
        Ok(customer::Entity::find()
            .filter(Self::customer_condition(tenant, persona))
            .count(self.db.conn())
            .await?)
    }

    /// When each of these customers was first and last seen (customers
    /// without interactions are left out).
    pub async fn customer_activity(
        &self,
        tenant: TenantId,
        ids: &[CustomerId],
    ) -> Result<HashMap<CustomerId, Activity>, StoreError> {
        use interaction::Column as I;
        let rows: Vec<(Uuid, Option<i64>, Option<i64>)> = interaction::Entity::find()
            .select_only()
            .column(I::CustomerId)
            .column_as(I::OccurredAt.min(), "first_seen")
            .column_as(I::OccurredAt.max(), "last_seen")
            .filter(I::TenantId.eq(tenant.uuid()))
            .filter(any_of(
                self.db.conn(),
                I::CustomerId,
                ids.iter().map(|id| id.uuid()),
            ))
            .group_by(I::CustomerId)
            .into_tuple()
            .all(self.db.conn())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, first, last)| {
                Some((
                    CustomerId::from_uuid(id),
                    Activity {
                        first_seen_at: micros_to_time(first?),
                        last_seen_at: micros_to_time(last?),
                    },
                ))
            })
            .collect())
    }

    /// One page of a customer's interactions, in time order.
    pub async fn list_interactions(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        filter: &InteractionFilter,
        page: &PageRequest<InteractionKey>,
    ) -> Result<Page<Interaction>, StoreError> {
        use interaction::Column as I;
        let mut select = interaction::Entity::find()
            .filter(I::TenantId.eq(tenant.uuid()))
            .filter(I::CustomerId.eq(customer.uuid()));
        if let Some(journey) = filter.journey {
            select = select.filter(I::JourneyId.eq(journey.uuid()));
        }
        if let Some(from) = filter.from {
            select = select.filter(I::OccurredAt.gte(from.timestamp_micros()));
        }
        if let Some(to) = filter.to {
            select = select.filter(I::OccurredAt.lt(to.timestamp_micros()));
        }
        let beyond = |key: &InteractionKey, forward: bool| {
            let (time, id) = if forward {
                (
                    I::OccurredAt.gt(key.occurred_at_us),
                    I::ExternalId.gt(key.external_id.clone()),
                )
            } else {
                (
                    I::OccurredAt.lt(key.occurred_at_us),
                    I::ExternalId.lt(key.external_id.clone()),
                )
            };
            Condition::any().add(time).add(
                Condition::all()
                    .add(I::OccurredAt.eq(key.occurred_at_us))
                    .add(id),
            )
        };
        if let Some(after) = &page.after {
            select = select.filter(beyond(after, true));
        }
        if let Some(before) = &page.before {
            select = select.filter(beyond(before, false));
        }
        let select = if page.from_end {
            select
                .order_by_desc(I::OccurredAt)
                .order_by_desc(I::ExternalId)
        } else {
            select
                .order_by_asc(I::OccurredAt)
                .order_by_asc(I::ExternalId)
        };
        let rows = select.limit(page.limit + 1).all(self.db.conn()).await?;
        finish(rows, page).try_map(interaction_from)
    }

    /// Forgets a customer: deletes them and every interaction of theirs, and
    /// takes them out of every rollup, in one transaction. Returns how many
    /// interactions were deleted.
    pub async fn delete_customer(
        &self,
        tenant: TenantId,
        external_id: &ExternalId,
    ) -> Result<u64, StoreError> {
        in_write_transaction!(&self.db, |txn| {
            delete_customer(&txn, tenant, external_id).await
        })
    }
}

/// The body of [`Store::delete_customer`], in its transaction.
async fn delete_customer(
    txn: &sea_orm::DatabaseTransaction,
    tenant: TenantId,
    external_id: &ExternalId,
) -> Result<u64, StoreError> {
    let t = tenant.uuid();
    let row = customer::Entity::find()
        .filter(customer::Column::TenantId.eq(t))
        .filter(customer::Column::ExternalId.eq(external_id.as_str()))
        .lock_exclusive()
        .one(txn)
        .await?
        .found("customer")?;
    let interactions = interaction::Entity::find()
        .filter(interaction::Column::TenantId.eq(t))
        .filter(interaction::Column::CustomerId.eq(row.id))
        .all(txn)
        .await?;
    let journeys: BTreeSet<Uuid> = interactions.iter().map(|i| i.journey_id).collect();
    // A structure change of one of these journeys recomputes the progress
    // of the customers it read: held, it cannot write this customer's
    // chains back after they are deleted here.
    hold_journeys(txn, tenant, journeys.clone()).await?;
    let mut rollups = CustomerRollups::default();
    rollups.add(&interactions, row.persona_id.unwrap_or(NO_PERSONA), -1);
    // The shared rollup rows in the order ingest writes them (stats,
    // conversions, windows), so the two never wait for each other in a
    // circle.
    rollups.stats.apply(txn, tenant).await?;
    // By the customer's journeys too, so the primary key finds the rows.
    let chains = journey_chain::Entity::delete_many()
        .filter(journey_chain::Column::TenantId.eq(t))
        .filter(journey_chain::Column::JourneyId.is_in(journeys))
        .filter(journey_chain::Column::CustomerId.eq(row.id))
        .exec_with_returning(txn)
        .await?;
    let mut conversions = ConversionsDelta::default();
    for chain in chains {
        conversions.add(chain.journey_id, &chain.conversions(), -1);
    }
    conversions.apply(txn, tenant).await?;
    rollups.windows.apply(txn, tenant).await?;
    interaction::Entity::delete_many()
        .filter(interaction::Column::TenantId.eq(t))
        .filter(interaction::Column::CustomerId.eq(row.id))
        .exec(txn)
        .await?;
    customer::Entity::delete_by_id((t, row.id))
        .exec(txn)
        .await?;
    Ok(interactions.len() as u64)
}

/// Makes sure customers exist (creating unknown ones), for imports.
impl Store {
    /// The ids of these customers by external id, creating the unknown ones.
    pub async fn ensure_customers(
        &self,
        tenant: TenantId,
        external_ids: &[ExternalId],
    ) -> Result<HashMap<String, CustomerId>, StoreError> {
        let found = in_write_transaction!(&self.db, |txn| {
            ensure_customers(
                &txn,
                tenant,
                external_ids.iter().map(ExternalId::as_str),
                None,
            )
            .await
        })?;
        Ok(found
            .into_iter()
            .map(|(k, c)| (k, CustomerId::from_uuid(c.id)))
            .collect())
    }
}

/// Clears the persona of every customer of `persona`, moving their rollup
/// contributions to "no persona" (before the persona is deleted).
pub(crate) async fn detach_persona(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    persona: Uuid,
) -> Result<(), StoreError> {
    let t = tenant.uuid();
    // Locked first, in external-id order as ingest locks them, so that a
    // concurrent ingest call either comes before (and its contributions
    // are moved here) or after (and finds the customers without persona).
    let customers: Vec<Uuid> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .filter(customer::Column::TenantId.eq(t))
        .filter(customer::Column::PersonaId.eq(persona))
        .order_by_asc(customer::Column::ExternalId)
        .lock_exclusive()
        .into_tuple()
        .all(conn)
        .await?;
    let mut moves = CustomerRollups::default();
    for id in &customers {
        moves
            .move_persona(conn, tenant, *id, persona, NO_PERSONA)
            .await?;
    }
    moves.apply(conn, tenant).await?;
    customer::Entity::update_many()
        .col_expr(customer::Column::PersonaId, Expr::value(Value::Uuid(None)))
        .filter(customer::Column::TenantId.eq(t))
        .filter(customer::Column::PersonaId.eq(persona))
        .exec(conn)
        .await?;
    Ok(())
}

/// Recomputes the funnel chains and conversions of every customer of a
/// journey, after its phases or its conversion points changed.
pub(crate) async fn refresh_journey_progress(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    journey: Uuid,
) -> Result<(), StoreError> {
    let customers: Vec<Uuid> = interaction::Entity::find()
        .select_only()
        .column(interaction::Column::CustomerId)
        .distinct()
        .filter(interaction::Column::TenantId.eq(tenant.uuid()))
        .filter(interaction::Column::JourneyId.eq(journey))
        .into_tuple()
        .all(conn)
        .await?;
    let mut conversions = ConversionsDelta::default();
    for chunk in customers.chunks(1_000) {
        recompute_progress(
            conn,
            tenant,
            chunk,
            &[journey],
            Replace::Existing,
            &mut conversions,
        )
        .await?;
    }
    conversions.apply(conn, tenant).await
}
