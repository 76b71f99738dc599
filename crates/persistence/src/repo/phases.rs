//! Phases: added, moved and removed so that positions stay dense, and never
//! removed with content still in them unless the caller says where it goes.

use super::customers::refresh_journey_progress;
use super::journeys::{lock_journey, touch_journey};
use super::ordering::OrderedList;
use super::rollups::recorded_rows;
use super::{now, tenant_and_in};
use crate::entity::{insight, phase, touchpoint, trigger};
use crate::error::FoundExt;
use crate::{Store, StoreError, convert};
use journeyd_domain::phase::{MAX_PHASES, insertion_position, target_position};
use journeyd_domain::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

const PHASES: OrderedList<phase::Entity> = OrderedList {
    tenant: phase::Column::TenantId,
    scope: phase::Column::JourneyId,
    position: phase::Column::Position,
};

pub(crate) const TOUCHPOINTS_IN_PHASE: OrderedList<touchpoint::Entity> = OrderedList {
    tenant: touchpoint::Column::TenantId,
    scope: touchpoint::Column::PhaseId,
    position: touchpoint::Column::Position,
};

fn phase_row(tenant: TenantId, phase: &Phase) -> phase::ActiveModel {
    phase::ActiveModel {
        tenant_id: Set(tenant.uuid()),
        id: Set(phase.id.uuid()),
        journey_id: Set(phase.journey_id.uuid()),
        position: Set(phase.position as i32),
        name: Set(phase.name.as_str().to_owned()),
        stage: Set(phase.stage.label().to_owned()),
        description: Set(phase.description.clone()),
        customer_goals: Set(convert::strings_to_json(&phase.customer_goals)),
        questions: Set(convert::strings_to_json(&phase.questions)),
        expected_emotion: Set(phase.expected_emotion.map(|e| e.label().to_owned())),
        created_at: Set(phase.created_at),
    }
}

/// Reads a phase row inside a transaction.
pub(crate) async fn find_phase(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<phase::Model, StoreError> {
    phase::Entity::find_by_id((tenant.uuid(), id))
        .one(conn)
        .await?
        .found("phase")
}

/// How many rows of `E` sit in a phase.
async fn count_in_phase<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    tenant_col: E::Column,
    phase_col: E::Column,
    tenant: TenantId,
    phase: Uuid,
) -> Result<u64, StoreError>
where
    E::Model: Sync,
{
    Ok(E::find()
        .filter(tenant_col.eq(tenant.uuid()))
        .filter(phase_col.eq(phase))
        .count(conn)
        .await?)
}

impl Store {
    /// Adds a phase to a journey at `position` (none: at the end), moving
    /// later phases one place down.
    pub async fn add_phase(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        new: NewPhase,
        position: Option<i64>,
    ) -> Result<Phase, StoreError> {
        let txn = self.db.begin_write().await?;
        lock_journey(&txn, tenant, journey.uuid()).await?;
        let count = phase::Entity::find()
            .filter(phase::Column::TenantId.eq(tenant.uuid()))
            .filter(phase::Column::JourneyId.eq(journey.uuid()))
            .count(&txn)
            .await? as usize;
        if count >= MAX_PHASES {
            return Err(ValidationError::new(
                "journeyId",
                format!("a journey holds at most {MAX_PHASES} phases"),
            )
            .into());
        }
        let at = insertion_position("position", count, position)?;
        PHASES
            .open_gap(&txn, tenant.uuid(), journey.uuid(), at as i32)
            .await?;
        let phase = Phase {
            id: PhaseId::generate(),
            journey_id: journey,
            position: at as u32,
            name: new.name,
            stage: new.stage,
            description: new.description,
            customer_goals: new.customer_goals,
            questions: new.questions,
            expected_emotion: new.expected_emotion,
            created_at: now(),
        };
        phase::Entity::insert(phase_row(tenant, &phase))
            .exec_without_returning(&txn)
            .await?;
        touch_journey(&txn, tenant, journey.uuid()).await?;
        refresh_journey_progress(&txn, tenant, journey.uuid()).await?;
        txn.commit().await?;
        Ok(phase)
    }

    /// The phase with this id.
    pub async fn phase(&self, tenant: TenantId, id: PhaseId) -> Result<Phase, StoreError> {
        convert::phase(find_phase(self.db.conn(), tenant, id.uuid()).await?)
    }

    /// The phases with these ids (missing ones are left out).
    pub async fn phases_by_ids(
        &self,
        tenant: TenantId,
        ids: &[PhaseId],
    ) -> Result<Vec<Phase>, StoreError> {
        let rows = phase::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                phase::Column::TenantId,
                tenant,
                phase::Column::Id,
                ids.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::phase)
    }

    /// The phases of these journeys, each journey's in order.
    pub async fn phases_of_journeys(
        &self,
        tenant: TenantId,
        journeys: &[JourneyId],
    ) -> Result<Vec<Phase>, StoreError> {
        let rows = phase::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                phase::Column::TenantId,
                tenant,
                phase::Column::JourneyId,
                journeys.iter().map(|id| id.uuid()),
            ))
            .order_by_asc(phase::Column::JourneyId)
            .order_by_asc(phase::Column::Position)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::phase)
    }

    /// Changes a phase's own fields.
    pub async fn update_phase(
        &self,
        tenant: TenantId,
        id: PhaseId,
        patch: PhasePatch,
    ) -> Result<Phase, StoreError> {
        let txn = self.db.begin_write().await?;
        let mut phase = convert::phase(find_phase(&txn, tenant, id.uuid()).await?)?;
        lock_journey(&txn, tenant, phase.journey_id.uuid()).await?;
        patch.apply_to(&mut phase);
        phase::Entity::update(phase_row(tenant, &phase))
            .exec(&txn)
            .await?;
        touch_journey(&txn, tenant, phase.journey_id.uuid()).await?;
        txn.commit().await?;
        Ok(phase)
    }

    /// Moves a phase to `position`, shifting the phases in between.
    pub async fn move_phase(
        &self,
        tenant: TenantId,
        id: PhaseId,
        position: i64,
    ) -> Result<Phase, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = find_phase(&txn, tenant, id.uuid()).await?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        // Re-read under the journey lock: a concurrent move may have run.
        let mut phase = convert::phase(find_phase(&txn, tenant, id.uuid()).await?)?;
        let count = phase::Entity::find()
            .filter(phase::Column::TenantId.eq(tenant.uuid()))
            .filter(phase::Column::JourneyId.eq(row.journey_id))
            .count(&txn)
            .await? as usize;
        let to = target_position("position", count, position)? as i32;
        let from = phase.position as i32;
        PHASES
            .make_room_for_move(&txn, tenant.uuid(), row.journey_id, from, to)
            .await?;
        phase.position = to as u32;
        phase::Entity::update_many()
            .col_expr(phase::Column::Position, Expr::value(to))
            .filter(phase::Column::TenantId.eq(tenant.uuid()))
            .filter(phase::Column::Id.eq(id.uuid()))
            .exec(&txn)
            .await?;
        touch_journey(&txn, tenant, row.journey_id).await?;
        refresh_journey_progress(&txn, tenant, row.journey_id).await?;
        txn.commit().await?;
        Ok(phase)
    }

    /// Removes a phase. Its touchpoints, triggers and insights are moved to
    /// another phase or deleted only when `removal` says so; otherwise a phase
    /// that still holds any of them is refused.
    pub async fn remove_phase(
        &self,
        tenant: TenantId,
        id: PhaseId,
        removal: PhaseRemoval,
    ) -> Result<JourneyId, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = find_phase(&txn, tenant, id.uuid()).await?;
        let journey = row.journey_id;
        lock_journey(&txn, tenant, journey).await?;
        let row = find_phase(&txn, tenant, id.uuid()).await?;
        let t = tenant.uuid();
        let touchpoints = count_in_phase::<touchpoint::Entity>(
            &txn,
            touchpoint::Column::TenantId,
            touchpoint::Column::PhaseId,
            tenant,
            row.id,
        )
        .await?;
        let triggers = count_in_phase::<trigger::Entity>(
            &txn,
            trigger::Column::TenantId,
            trigger::Column::PhaseId,
            tenant,
            row.id,
        )
        .await?;
        let insights = count_in_phase::<insight::Entity>(
            &txn,
            insight::Column::TenantId,
            insight::Column::PhaseId,
            tenant,
            row.id,
        )
        .await?;
        match removal {
            PhaseRemoval::RefuseIfNotEmpty => {
                if touchpoints + triggers + insights > 0 {
                    return Err(StoreError::Conflict(format!(
                        "the phase still holds {touchpoints} touchpoint(s), {triggers} trigger(s) \
                         and {insights} insight(s); say where they go (moveContentTo) or delete \
                         them with it (cascade)"
                    )));
                }
            }
            PhaseRemoval::MoveContentTo(target) => {
                let target_row = find_phase(&txn, tenant, target.uuid()).await?;
                if target_row.journey_id != journey {
                    return Err(ValidationError::new(
                        "moveContentTo",
                        "must be another phase of the same journey",
                    )
                    .into());
                }
                if target_row.id == row.id {
                    return Err(ValidationError::new(
                        "moveContentTo",
                        "must not be the phase being removed",
                    )
                    .into());
                }
                let target_count = count_in_phase::<touchpoint::Entity>(
                    &txn,
                    touchpoint::Column::TenantId,
                    touchpoint::Column::PhaseId,
                    tenant,
                    target_row.id,
                )
                .await? as i32;
                // The moved touchpoints keep their order, after the target's own.
                touchpoint::Entity::update_many()
                    .col_expr(touchpoint::Column::PhaseId, Expr::value(target_row.id))
                    .col_expr(
                        touchpoint::Column::Position,
                        Expr::col(touchpoint::Column::Position).add(target_count),
                    )
                    .col_expr(touchpoint::Column::UpdatedAt, Expr::value(now()))
                    .filter(touchpoint::Column::TenantId.eq(t))
                    .filter(touchpoint::Column::PhaseId.eq(row.id))
                    .exec(&txn)
                    .await?;
                trigger::Entity::update_many()
                    .col_expr(trigger::Column::PhaseId, Expr::value(target_row.id))
                    .filter(trigger::Column::TenantId.eq(t))
                    .filter(trigger::Column::PhaseId.eq(row.id))
                    .exec(&txn)
                    .await?;
                insight::Entity::update_many()
                    .col_expr(insight::Column::PhaseId, Expr::value(target_row.id))
                    .filter(insight::Column::TenantId.eq(t))
                    .filter(insight::Column::PhaseId.eq(row.id))
                    .exec(&txn)
                    .await?;
            }
            PhaseRemoval::Cascade => {
                let doomed: Vec<Uuid> = touchpoint::Entity::find()
                    .filter(touchpoint::Column::TenantId.eq(t))
                    .filter(touchpoint::Column::PhaseId.eq(row.id))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|tp| tp.id)
                    .collect();
                if recorded_rows(&txn, tenant, journey, Some(&doomed)).await? > 0 {
                    return Err(StoreError::Conflict(
                        "customers' interactions are recorded at touchpoints of this phase; \
                         move them to another phase (moveContentTo) instead"
                            .into(),
                    ));
                }
                if !doomed.is_empty() {
                    insight::Entity::delete_many()
                        .filter(insight::Column::TenantId.eq(t))
                        .filter(insight::Column::TouchpointId.is_in(doomed))
                        .exec(&txn)
                        .await?;
                }
                insight::Entity::delete_many()
                    .filter(insight::Column::TenantId.eq(t))
                    .filter(insight::Column::PhaseId.eq(row.id))
                    .exec(&txn)
                    .await?;
                trigger::Entity::delete_many()
                    .filter(trigger::Column::TenantId.eq(t))
                    .filter(trigger::Column::PhaseId.eq(row.id))
                    .exec(&txn)
                    .await?;
                touchpoint::Entity::delete_many()
                    .filter(touchpoint::Column::TenantId.eq(t))
                    .filter(touchpoint::Column::PhaseId.eq(row.id))
                    .exec(&txn)
                    .await?;
            }
        }
        phase::Entity::delete_by_id((t, row.id)).exec(&txn).await?;
        PHASES.close_gap(&txn, t, journey, row.position).await?;
        touch_journey(&txn, tenant, journey).await?;
        refresh_journey_progress(&txn, tenant, journey).await?;
        txn.commit().await?;
        Ok(JourneyId::from_uuid(journey))
    }
}
