//! Journeys: creating them from templates, reading, paging, updating with
//! optimistic concurrency, duplicating and deleting them, and linking personas.

use super::{now, tenant_and_in};
use crate::entity::{insight, journey, journey_persona, persona, phase, touchpoint, trigger};
use crate::error::FoundExt;
use crate::page::{KeysetOrder, SortKey, finish};
use crate::{Page, PageRequest, Store, StoreError, convert};
use chrono::{DateTime, Utc};
use journeyd_domain::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Value,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Which journeys to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JourneyFilter {
    /// Only journeys with this status.
    pub status: Option<JourneyStatus>,
    /// Only journeys in this state.
    pub state: Option<JourneyState>,
    /// Only journeys whose name contains this text (case-insensitive).
    pub search: Option<String>,
}

/// The order in which journeys are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JourneyOrder {
    /// By creation time (the id is time-ordered).
    Created,
    /// By name, then creation time.
    Name,
    /// By last change, then creation time.
    Updated,
}

/// A journey's place in a listing: what a cursor points at.
#[derive(Debug, Clone, PartialEq)]
pub enum JourneyKey {
    /// A place in the `Created` order.
    Created(JourneyId),
    /// A place in the `Name` order.
    Name(String, JourneyId),
    /// A place in the `Updated` order.
    Updated(DateTime<Utc>, JourneyId),
}

impl JourneyKey {
    /// The key of `journey` in `order`.
    pub fn of(journey: &Journey, order: JourneyOrder) -> Self {
        match order {
            JourneyOrder::Created => JourneyKey::Created(journey.id),
            JourneyOrder::Name => JourneyKey::Name(journey.name.as_str().to_owned(), journey.id),
            JourneyOrder::Updated => JourneyKey::Updated(journey.updated_at, journey.id),
        }
    }

    /// The order this key belongs to.
    pub fn order(&self) -> JourneyOrder {
        match self {
            JourneyKey::Created(_) => JourneyOrder::Created,
            JourneyKey::Name(..) => JourneyOrder::Name,
            JourneyKey::Updated(..) => JourneyOrder::Updated,
        }
    }

    fn sort_key(&self) -> SortKey {
        match self {
            JourneyKey::Created(id) => SortKey {
                value: None,
                id: id.uuid(),
            },
            JourneyKey::Name(name, id) => SortKey {
                value: Some(Value::from(name.clone())),
                id: id.uuid(),
            },
            JourneyKey::Updated(at, id) => SortKey {
                value: Some(Value::from(*at)),
                id: id.uuid(),
            },
        }
    }
}

/// Escapes `%`, `_` and `\` so user text matches literally inside LIKE.
pub(crate) fn like_contains(text: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

fn filter_condition(tenant: TenantId, filter: &JourneyFilter) -> Condition {
    let mut condition = Condition::all().add(journey::Column::TenantId.eq(tenant.uuid()));
    if let Some(status) = filter.status {
        condition = condition.add(journey::Column::Status.eq(status.label()));
    }
    if let Some(state) = filter.state {
        condition = condition.add(journey::Column::State.eq(state.label()));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        condition = condition.add(
            Expr::expr(Func::lower(Expr::col(journey::Column::Name)))
                .like(like_contains(search.trim())),
        );
    }
    condition
}

/// Reads a journey row for change, locking it (on PostgreSQL) until the
/// transaction ends, so changes to one journey's structure never interleave.
pub(crate) async fn lock_journey(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    id: Uuid,
) -> Result<journey::Model, StoreError> {
    journey::Entity::find_by_id((tenant.uuid(), id))
        .lock_exclusive()
        .one(txn)
        .await?
        .found("journey")
}

/// Records that a journey's structure (phases, touchpoints, ...) changed.
pub(crate) async fn touch_journey(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), StoreError> {
    journey::Entity::update_many()
        .col_expr(journey::Column::UpdatedAt, Expr::value(now()))
        .filter(journey::Column::TenantId.eq(tenant.uuid()))
        .filter(journey::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

fn journey_row(tenant: TenantId, journey: &Journey) -> journey::ActiveModel {
    let goal = journey.goal.as_ref();
    journey::ActiveModel {
        tenant_id: Set(tenant.uuid()),
        id: Set(journey.id.uuid()),
        name: Set(journey.name.as_str().to_owned()),
        description: Set(journey.description.clone()),
        goal_statement: Set(goal.map(|g| g.statement.clone())),
        goal_metric: Set(goal.and_then(|g| g.metric.clone())),
        goal_target: Set(goal.and_then(|g| g.target)),
        goal_deadline: Set(goal.and_then(|g| g.deadline)),
        state: Set(journey.state.label().to_owned()),
        status: Set(journey.status.label().to_owned()),
        template: Set(journey.template.label().to_owned()),
        version: Set(journey.version.0),
        created_at: Set(journey.created_at),
        updated_at: Set(journey.updated_at),
    }
}

impl Store {
    /// Creates a journey with the phases of its template and links the given
    /// personas, all in one transaction.
    pub async fn create_journey(
        &self,
        tenant: TenantId,
        new: NewJourney,
        persona_ids: &[PersonaId],
    ) -> Result<Journey, StoreError> {
        let at = now();
        let journey = Journey {
            id: JourneyId::generate(),
            name: new.name,
            description: new.description,
            goal: new.goal,
            state: new.state,
            status: new.status,
            template: new.template,
            version: Version::FIRST,
            created_at: at,
            updated_at: at,
        };
        let txn = self.db.begin_write().await?;
        journey::Entity::insert(journey_row(tenant, &journey))
            .exec_without_returning(&txn)
            .await?;
        let phases: Vec<phase::ActiveModel> = journey
            .template
            .phases()
            .iter()
            .enumerate()
            .map(|(position, spec)| phase::ActiveModel {
                tenant_id: Set(tenant.uuid()),
                id: Set(PhaseId::generate().uuid()),
                journey_id: Set(journey.id.uuid()),
                position: Set(position as i32),
                name: Set(spec.name.to_owned()),
                stage: Set(spec.stage.label().to_owned()),
                description: Set(Some(spec.description.to_owned())),
                customer_goals: Set(convert::strings_to_json(&[])),
                questions: Set(convert::strings_to_json(&[])),
                expected_emotion: Set(None),
                created_at: Set(at),
            })
            .collect();
        if !phases.is_empty() {
            phase::Entity::insert_many(phases)
                .exec_without_returning(&txn)
                .await?;
        }
        link_personas(&txn, tenant, journey.id, persona_ids).await?;
        txn.commit().await?;
        Ok(journey)
    }

    /// The journey with this id.
    pub async fn journey(&self, tenant: TenantId, id: JourneyId) -> Result<Journey, StoreError> {
        journey::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(self.db.conn())
            .await?
            .found("journey")
            .and_then(convert::journey)
    }

    /// The journeys with these ids (missing ones are left out).
    pub async fn journeys_by_ids(
        &self,
        tenant: TenantId,
        ids: &[JourneyId],
    ) -> Result<Vec<Journey>, StoreError> {
        let rows = journey::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                journey::Column::TenantId,
                tenant,
                journey::Column::Id,
                ids.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::journey)
    }

    /// One page of the tenant's journeys.
    pub async fn list_journeys(
        &self,
        tenant: TenantId,
        filter: &JourneyFilter,
        order: JourneyOrder,
        descending: bool,
        page: &PageRequest<JourneyKey>,
    ) -> Result<Page<Journey>, StoreError> {
        let mismatched = [&page.after, &page.before]
            .into_iter()
            .flatten()
            .any(|key| key.order() != order);
        if mismatched {
            return Err(
                ValidationError::new("after", "the cursor belongs to another order").into(),
            );
        }
        let keyset = KeysetOrder {
            sort: match order {
                JourneyOrder::Created => None,
                JourneyOrder::Name => Some(journey::Column::Name),
                JourneyOrder::Updated => Some(journey::Column::UpdatedAt),
            },
            id: journey::Column::Id,
            descending,
        };
        let keys = PageRequest {
            after: page.after.as_ref().map(JourneyKey::sort_key),
            before: page.before.as_ref().map(JourneyKey::sort_key),
            limit: page.limit,
            from_end: page.from_end,
        };
        let select = journey::Entity::find().filter(filter_condition(tenant, filter));
        let rows = keyset.apply(select, &keys).all(self.db.conn()).await?;
        finish(rows, page).try_map(convert::journey)
    }

    /// How many journeys match `filter`.
    pub async fn count_journeys(
        &self,
        tenant: TenantId,
        filter: &JourneyFilter,
    ) -> Result<u64, StoreError> {
        Ok(journey::Entity::find()
            .filter(filter_condition(tenant, filter))
            .count(self.db.conn())
            .await?)
    }

    /// Changes a journey's own fields if it is still at `expected` version;
    /// otherwise changes nothing and reports a conflict.
    pub async fn update_journey(
        &self,
        tenant: TenantId,
        id: JourneyId,
        expected: Version,
        patch: JourneyPatch,
    ) -> Result<Journey, StoreError> {
        let txn = self.db.begin_write().await?;
        let mut journey = convert::journey(lock_journey(&txn, tenant, id.uuid()).await?)?;
        check_version(&journey, expected)?;
        patch.apply_to(&mut journey);
        journey.version = journey.version.next();
        journey.updated_at = now();
        journey::Entity::update(journey_row(tenant, &journey))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(journey)
    }

    /// Deletes a journey with everything in it (phases, touchpoints, triggers,
    /// insights, persona links). With `expected`, only if still at that
    /// version. A journey with recorded interactions is kept (archive it).
    pub async fn delete_journey(
        &self,
        tenant: TenantId,
        id: JourneyId,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        let journey = convert::journey(lock_journey(&txn, tenant, id.uuid()).await?)?;
        if let Some(expected) = expected {
            check_version(&journey, expected)?;
        }
        if super::rollups::recorded_rows(&txn, tenant, id.uuid(), None).await? > 0 {
            return Err(StoreError::Conflict(
                "customers' interactions are recorded in this journey; archive it instead".into(),
            ));
        }
        // Insights and triggers point at phases and touchpoints with plain
        // foreign keys; remove them first so the cascade order never matters.
        insight::Entity::delete_many()
            .filter(insight::Column::TenantId.eq(tenant.uuid()))
            .filter(insight::Column::JourneyId.eq(id.uuid()))
            .exec(&txn)
            .await?;
        trigger::Entity::delete_many()
            .filter(trigger::Column::TenantId.eq(tenant.uuid()))
            .filter(trigger::Column::JourneyId.eq(id.uuid()))
            .exec(&txn)
            .await?;
        touchpoint::Entity::delete_many()
            .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
            .filter(touchpoint::Column::JourneyId.eq(id.uuid()))
            .exec(&txn)
            .await?;
        journey::Entity::delete_by_id((tenant.uuid(), id.uuid()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Copies a journey with its phases, touchpoints, triggers, insights and
    /// persona links into a new draft journey (e.g. a current-state map into a
    /// future-state map).
    pub async fn duplicate_journey(
        &self,
        tenant: TenantId,
        id: JourneyId,
        name: Option<Name>,
        state: Option<JourneyState>,
    ) -> Result<Journey, StoreError> {
        let txn = self.db.begin_write().await?;
        let source = convert::journey(lock_journey(&txn, tenant, id.uuid()).await?)?;
        let at = now();
        let copy = Journey {
            id: JourneyId::generate(),
            name: name.unwrap_or_else(|| source.name.clone()),
            state: state.unwrap_or(source.state),
            status: JourneyStatus::Draft,
            version: Version::FIRST,
            created_at: at,
            updated_at: at,
            ..source
        };
        journey::Entity::insert(journey_row(tenant, &copy))
            .exec_without_returning(&txn)
            .await?;

        let t = tenant.uuid();
        let phases = phase::Entity::find()
            .filter(phase::Column::TenantId.eq(t))
            .filter(phase::Column::JourneyId.eq(id.uuid()))
            .all(&txn)
            .await?;
        let phase_ids: HashMap<Uuid, Uuid> = phases
            .iter()
            .map(|p| (p.id, PhaseId::generate().uuid()))
            .collect();
        let touchpoints = touchpoint::Entity::find()
            .filter(touchpoint::Column::TenantId.eq(t))
            .filter(touchpoint::Column::JourneyId.eq(id.uuid()))
            .all(&txn)
            .await?;
        let touchpoint_ids: HashMap<Uuid, Uuid> = touchpoints
            .iter()
            .map(|tp| (tp.id, TouchpointId::generate().uuid()))
            .collect();
        let new_id = copy.id.uuid();
        let remap = |map: &HashMap<Uuid, Uuid>, old: Uuid| map.get(&old).copied().unwrap_or(old);

        let phase_rows: Vec<phase::ActiveModel> = phases
            .into_iter()
            .map(|p| {
                phase::ActiveModel::from(phase::Model {
                    id: remap(&phase_ids, p.id),
                    journey_id: new_id,
                    created_at: at,
                    ..p
                })
            })
            .collect();
        insert_all::<phase::Entity, _>(&txn, phase_rows).await?;
        let touchpoint_rows: Vec<touchpoint::ActiveModel> = touchpoints
            .into_iter()
            .map(|tp| {
                touchpoint::ActiveModel::from(touchpoint::Model {
                    id: remap(&touchpoint_ids, tp.id),
                    journey_id: new_id,
                    phase_id: remap(&phase_ids, tp.phase_id),
                    created_at: at,
                    updated_at: at,
                    ..tp
                })
            })
            .collect();
        insert_all::<touchpoint::Entity, _>(&txn, touchpoint_rows).await?;
        let triggers = trigger::Entity::find()
            .filter(trigger::Column::TenantId.eq(t))
            .filter(trigger::Column::JourneyId.eq(id.uuid()))
            .all(&txn)
            .await?;
        let trigger_rows: Vec<trigger::ActiveModel> = triggers
            .into_iter()
            .map(|tr| {
                trigger::ActiveModel::from(trigger::Model {
                    id: TriggerId::generate().uuid(),
                    journey_id: new_id,
                    phase_id: tr.phase_id.map(|p| remap(&phase_ids, p)),
                    created_at: at,
                    ..tr
                })
            })
            .collect();
        insert_all::<trigger::Entity, _>(&txn, trigger_rows).await?;
        let insights = insight::Entity::find()
            .filter(insight::Column::TenantId.eq(t))
            .filter(insight::Column::JourneyId.eq(id.uuid()))
            .all(&txn)
            .await?;
        let insight_rows: Vec<insight::ActiveModel> = insights
            .into_iter()
            .map(|i| {
                insight::ActiveModel::from(insight::Model {
                    id: InsightId::generate().uuid(),
                    journey_id: new_id,
                    phase_id: i.phase_id.map(|p| remap(&phase_ids, p)),
                    touchpoint_id: i.touchpoint_id.map(|tp| remap(&touchpoint_ids, tp)),
                    created_at: at,
                    ..i
                })
            })
            .collect();
        insert_all::<insight::Entity, _>(&txn, insight_rows).await?;
        let personas: Vec<PersonaId> = journey_persona::Entity::find()
            .filter(journey_persona::Column::TenantId.eq(t))
            .filter(journey_persona::Column::JourneyId.eq(id.uuid()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|link| PersonaId::from_uuid(link.persona_id))
            .collect();
        link_personas(&txn, tenant, copy.id, &personas).await?;
        txn.commit().await?;
        Ok(copy)
    }

    /// Links a persona to a journey (linking twice changes nothing).
    pub async fn link_persona(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        persona: PersonaId,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        lock_journey(&txn, tenant, journey.uuid()).await?;
        let already =
            journey_persona::Entity::find_by_id((tenant.uuid(), journey.uuid(), persona.uuid()))
                .one(&txn)
                .await?
                .is_some();
        if !already {
            link_personas(&txn, tenant, journey, &[persona]).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Unlinks a persona from a journey (the persona itself stays).
    pub async fn unlink_persona(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        persona: PersonaId,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        lock_journey(&txn, tenant, journey.uuid()).await?;
        persona::Entity::find_by_id((tenant.uuid(), persona.uuid()))
            .one(&txn)
            .await?
            .found("persona")?;
        journey_persona::Entity::delete_by_id((tenant.uuid(), journey.uuid(), persona.uuid()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

fn check_version(journey: &Journey, expected: Version) -> Result<(), StoreError> {
    if journey.version == expected {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "the journey was changed meanwhile: it is at version {}, not {}",
            journey.version.0, expected.0
        )))
    }
}

/// Inserts `rows` in one statement (nothing when empty).
pub(crate) async fn insert_all<E, A>(
    conn: &impl ConnectionTrait,
    rows: Vec<A>,
) -> Result<(), StoreError>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    if !rows.is_empty() {
        E::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Links `personas` to `journey`; every persona must exist for the tenant.
async fn link_personas(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    journey: JourneyId,
    personas: &[PersonaId],
) -> Result<(), StoreError> {
    let mut distinct: Vec<Uuid> = personas.iter().map(|p| p.uuid()).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.is_empty() {
        return Ok(());
    }
    let found = persona::Entity::find()
        .filter(tenant_and_in(
            txn,
            persona::Column::TenantId,
            tenant,
            persona::Column::Id,
            distinct.iter().copied(),
        ))
        .count(txn)
        .await?;
    if found != distinct.len() as u64 {
        return Err(StoreError::NotFound("persona"));
    }
    let at = now();
    let rows: Vec<journey_persona::ActiveModel> = distinct
        .into_iter()
        .map(|persona_id| journey_persona::ActiveModel {
            tenant_id: Set(tenant.uuid()),
            journey_id: Set(journey.uuid()),
            persona_id: Set(persona_id),
            created_at: Set(at),
        })
        .collect();
    insert_all::<journey_persona::Entity, _>(txn, rows).await
}
