//! Triggers: attached to a journey and optionally to one of its phases.

use super::journeys::{lock_journey, touch_journey};
use super::phases::find_phase;
use super::{now, tenant_and_in};
use crate::entity::trigger;
use crate::error::FoundExt;
use crate::{Store, StoreError, convert};
use journeyd_domain::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

fn trigger_row(tenant: TenantId, trigger: &Trigger) -> trigger::ActiveModel {
    trigger::ActiveModel {
        tenant_id: Set(tenant.uuid()),
        id: Set(trigger.id.uuid()),
        journey_id: Set(trigger.journey_id.uuid()),
        phase_id: Set(trigger.phase_id.map(PhaseId::uuid)),
        name: Set(trigger.name.as_str().to_owned()),
        description: Set(trigger.description.clone()),
        kind: Set(trigger.kind.label().to_owned()),
        created_at: Set(trigger.created_at),
    }
}

/// Checks that `phase` (if any) belongs to `journey`.
pub(crate) async fn check_phase_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    phase: Option<PhaseId>,
    journey: Uuid,
    field: &str,
) -> Result<(), StoreError> {
    if let Some(phase) = phase
        && find_phase(conn, tenant, phase.uuid()).await?.journey_id != journey
    {
        return Err(ValidationError::new(field, "must be a phase of the same journey").into());
    }
    Ok(())
}

impl Store {
    /// Creates a trigger in a journey.
    pub async fn create_trigger(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        new: NewTrigger,
    ) -> Result<Trigger, StoreError> {
        let txn = self.db.begin_write().await?;
        lock_journey(&txn, tenant, journey.uuid()).await?;
        check_phase_of(&txn, tenant, new.phase_id, journey.uuid(), "phaseId").await?;
        let trigger = Trigger {
            id: TriggerId::generate(),
            journey_id: journey,
            phase_id: new.phase_id,
            name: new.name,
            description: new.description,
            kind: new.kind,
            created_at: now(),
        };
        trigger::Entity::insert(trigger_row(tenant, &trigger))
            .exec_without_returning(&txn)
            .await?;
        touch_journey(&txn, tenant, journey.uuid()).await?;
        txn.commit().await?;
        Ok(trigger)
    }

    /// The trigger with this id.
    pub async fn trigger(&self, tenant: TenantId, id: TriggerId) -> Result<Trigger, StoreError> {
        trigger::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(self.db.conn())
            .await?
            .found("trigger")
            .and_then(convert::trigger)
    }

    /// The triggers of these journeys, oldest first.
    pub async fn triggers_of_journeys(
        &self,
        tenant: TenantId,
        journeys: &[JourneyId],
    ) -> Result<Vec<Trigger>, StoreError> {
        let rows = trigger::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                trigger::Column::TenantId,
                tenant,
                trigger::Column::JourneyId,
                journeys.iter().map(|id| id.uuid()),
            ))
            .order_by_asc(trigger::Column::Id)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::trigger)
    }

    /// The triggers of these phases, oldest first.
    pub async fn triggers_of_phases(
        &self,
        tenant: TenantId,
        phases: &[PhaseId],
    ) -> Result<Vec<Trigger>, StoreError> {
        let rows = trigger::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                trigger::Column::TenantId,
                tenant,
                trigger::Column::PhaseId,
                phases.iter().map(|id| id.uuid()),
            ))
            .order_by_asc(trigger::Column::Id)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::trigger)
    }

    /// Changes a trigger.
    pub async fn update_trigger(
        &self,
        tenant: TenantId,
        id: TriggerId,
        patch: TriggerPatch,
    ) -> Result<Trigger, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = trigger::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(&txn)
            .await?
            .found("trigger")?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        let mut trigger = convert::trigger(row)?;
        if let Some(phase) = patch.phase_id {
            check_phase_of(&txn, tenant, phase, trigger.journey_id.uuid(), "phaseId").await?;
        }
        patch.apply_to(&mut trigger);
        trigger::Entity::update(trigger_row(tenant, &trigger))
            .exec(&txn)
            .await?;
        touch_journey(&txn, tenant, trigger.journey_id.uuid()).await?;
        txn.commit().await?;
        Ok(trigger)
    }

    /// Deletes a trigger.
    pub async fn delete_trigger(&self, tenant: TenantId, id: TriggerId) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        let row = trigger::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(&txn)
            .await?
            .found("trigger")?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        trigger::Entity::delete_by_id((tenant.uuid(), row.id))
            .exec(&txn)
            .await?;
        touch_journey(&txn, tenant, row.journey_id).await?;
        txn.commit().await?;
        Ok(())
    }
}
