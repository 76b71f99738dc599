//! Touchpoints: created, changed, moved between phases and upserted by key
//! (for CRM integrations), with dense positions within each phase.

use super::customers::refresh_journey_progress;
use super::journeys::{lock_journey, touch_journey};
use super::phases::{TOUCHPOINTS_IN_PHASE, find_phase};
use super::rollups::recorded_rows;
use super::{now, tenant_and_in};
use crate::entity::{channel, insight, touchpoint};
use crate::error::FoundExt;
use crate::{Store, StoreError, convert};
use journeyd_domain::phase::{insertion_position, target_position};
use journeyd_domain::touchpoint::MAX_TOUCHPOINTS_PER_JOURNEY;
use journeyd_domain::*;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

/// What an upsert by key did.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchpointUpsert {
    /// The touchpoint as stored now.
    pub touchpoint: Touchpoint,
    /// Whether it was created (rather than updated).
    pub created: bool,
}

fn touchpoint_row(tenant: TenantId, tp: &Touchpoint) -> touchpoint::ActiveModel {
    let kpi = tp.kpi.as_ref();
    touchpoint::ActiveModel {
        tenant_id: Set(tenant.uuid()),
        id: Set(tp.id.uuid()),
        journey_id: Set(tp.journey_id.uuid()),
        phase_id: Set(tp.phase_id.uuid()),
        channel_id: Set(tp.channel_id.uuid()),
        key: Set(tp.key.as_str().to_owned()),
        name: Set(tp.name.as_str().to_owned()),
        description: Set(tp.description.clone()),
        owner: Set(tp.owner.clone()),
        goal: Set(tp.goal.clone()),
        kpi_name: Set(kpi.map(|k| k.name.clone())),
        kpi_target: Set(kpi.and_then(|k| k.target)),
        kpi_unit: Set(kpi.and_then(|k| k.unit.clone())),
        sentiment: Set(tp.sentiment.map(|s| s.label().to_owned())),
        is_conversion: Set(tp.is_conversion),
        position: Set(tp.position as i32),
        created_at: Set(tp.created_at),
        updated_at: Set(tp.updated_at),
    }
}

fn key_taken(key: &TouchpointKey) -> String {
    format!("the key '{key}' is already used by another touchpoint of this journey")
}

async fn find_touchpoint(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<touchpoint::Model, StoreError> {
    touchpoint::Entity::find_by_id((tenant.uuid(), id))
        .one(conn)
        .await?
        .found("touchpoint")
}

async fn count_in_phase(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    phase: Uuid,
) -> Result<usize, StoreError> {
    Ok(touchpoint::Entity::find()
        .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
        .filter(touchpoint::Column::PhaseId.eq(phase))
        .count(conn)
        .await? as usize)
}

async fn require_channel(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: ChannelId,
) -> Result<(), StoreError> {
    channel::Entity::find_by_id((tenant.uuid(), id.uuid()))
        .one(conn)
        .await?
        .found("channel")
        .map(|_| ())
}

/// Checks that `phase` belongs to `journey` and returns its row id.
async fn phase_in_journey(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    phase: PhaseId,
    journey: Uuid,
) -> Result<Uuid, StoreError> {
    let row = find_phase(txn, tenant, phase.uuid()).await?;
    if row.journey_id != journey {
        return Err(
            ValidationError::new("phaseId", "must be a phase of the touchpoint's journey").into(),
        );
    }
    Ok(row.id)
}

impl Store {
    /// Creates a touchpoint in a phase at `position` (none: at the end).
    pub async fn create_touchpoint(
        &self,
        tenant: TenantId,
        new: NewTouchpoint,
        position: Option<i64>,
    ) -> Result<Touchpoint, StoreError> {
        let txn = self.db.begin_write().await?;
        let journey = find_phase(&txn, tenant, new.phase_id.uuid())
            .await?
            .journey_id;
        lock_journey(&txn, tenant, journey).await?;
        let touchpoint = insert_touchpoint(&txn, tenant, journey, new, position).await?;
        txn.commit().await?;
        Ok(touchpoint)
    }

    /// Creates or updates the touchpoint with `new.key` in `journey`: the way
    /// CRM systems keep their touchpoints in sync without knowing our ids.
    pub async fn upsert_touchpoint(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        new: NewTouchpoint,
    ) -> Result<TouchpointUpsert, StoreError> {
        let txn = self.db.begin_write().await?;
        lock_journey(&txn, tenant, journey.uuid()).await?;
        phase_in_journey(&txn, tenant, new.phase_id, journey.uuid()).await?;
        let existing = touchpoint::Entity::find()
            .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
            .filter(touchpoint::Column::JourneyId.eq(journey.uuid()))
            .filter(touchpoint::Column::Key.eq(new.key.as_str()))
            .one(&txn)
            .await?;
        let upsert = match existing {
            None => TouchpointUpsert {
                touchpoint: insert_touchpoint(&txn, tenant, journey.uuid(), new, None).await?,
                created: true,
            },
            Some(row) => {
                let mut touchpoint = convert::touchpoint(row)?;
                let changes_phase = touchpoint.phase_id != new.phase_id;
                let changes_conversion = touchpoint.is_conversion != new.is_conversion;
                if changes_phase {
                    relocate(&txn, tenant, &mut touchpoint, new.phase_id, None).await?;
                }
                if touchpoint.channel_id != new.channel_id {
                    require_channel(&txn, tenant, new.channel_id).await?;
                }
                let patch = TouchpointPatch {
                    channel_id: Some(new.channel_id),
                    key: None,
                    name: Some(new.name),
                    description: Some(new.description),
                    owner: Some(new.owner),
                    goal: Some(new.goal),
                    kpi: Some(new.kpi),
                    sentiment: Some(new.sentiment),
                    is_conversion: Some(new.is_conversion),
                };
                patch.apply_to(&mut touchpoint);
                touchpoint.updated_at = now();
                touchpoint::Entity::update(touchpoint_row(tenant, &touchpoint))
                    .exec(&txn)
                    .await?;
                if changes_phase || changes_conversion {
                    refresh_journey_progress(&txn, tenant, journey.uuid()).await?;
                }
                touch_journey(&txn, tenant, journey.uuid()).await?;
                TouchpointUpsert {
                    touchpoint,
                    created: false,
                }
            }
        };
        txn.commit().await?;
        Ok(upsert)
    }

    /// The touchpoint with this id.
    pub async fn touchpoint(
        &self,
        tenant: TenantId,
        id: TouchpointId,
    ) -> Result<Touchpoint, StoreError> {
        convert::touchpoint(find_touchpoint(self.db.conn(), tenant, id.uuid()).await?)
    }

    /// The touchpoint with this key in this journey.
    pub async fn touchpoint_by_key(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        key: &TouchpointKey,
    ) -> Result<Touchpoint, StoreError> {
        touchpoint::Entity::find()
            .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
            .filter(touchpoint::Column::JourneyId.eq(journey.uuid()))
            .filter(touchpoint::Column::Key.eq(key.as_str()))
            .one(self.db.conn())
            .await?
            .found("touchpoint")
            .and_then(convert::touchpoint)
    }

    /// The touchpoints with these ids (missing ones are left out).
    pub async fn touchpoints_by_ids(
        &self,
        tenant: TenantId,
        ids: &[TouchpointId],
    ) -> Result<Vec<Touchpoint>, StoreError> {
        let rows = touchpoint::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                touchpoint::Column::TenantId,
                tenant,
                touchpoint::Column::Id,
                ids.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::touchpoint)
    }

    /// The touchpoints of these phases, each phase's in order.
    pub async fn touchpoints_of_phases(
        &self,
        tenant: TenantId,
        phases: &[PhaseId],
    ) -> Result<Vec<Touchpoint>, StoreError> {
        let rows = touchpoint::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                touchpoint::Column::TenantId,
                tenant,
                touchpoint::Column::PhaseId,
                phases.iter().map(|id| id.uuid()),
            ))
            .order_by_asc(touchpoint::Column::PhaseId)
            .order_by_asc(touchpoint::Column::Position)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::touchpoint)
    }

    /// The touchpoints of these journeys (in phase order is up to the caller).
    pub async fn touchpoints_of_journeys(
        &self,
        tenant: TenantId,
        journeys: &[JourneyId],
    ) -> Result<Vec<Touchpoint>, StoreError> {
        let rows = touchpoint::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                touchpoint::Column::TenantId,
                tenant,
                touchpoint::Column::JourneyId,
                journeys.iter().map(|id| id.uuid()),
            ))
            .order_by_asc(touchpoint::Column::JourneyId)
            .order_by_asc(touchpoint::Column::Key)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::touchpoint)
    }

    /// Changes a touchpoint's fields (not its place).
    pub async fn update_touchpoint(
        &self,
        tenant: TenantId,
        id: TouchpointId,
        patch: TouchpointPatch,
    ) -> Result<Touchpoint, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = find_touchpoint(&txn, tenant, id.uuid()).await?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        let mut touchpoint = convert::touchpoint(row)?;
        if let Some(channel) = patch.channel_id {
            require_channel(&txn, tenant, channel).await?;
        }
        let was_conversion = touchpoint.is_conversion;
        patch.apply_to(&mut touchpoint);
        touchpoint.updated_at = now();
        touchpoint::Entity::update(touchpoint_row(tenant, &touchpoint))
            .exec(&txn)
            .await
            .map_err(|e| StoreError::unique_violation_as(e, || key_taken(&touchpoint.key)))?;
        if touchpoint.is_conversion != was_conversion {
            // After the row is written: the rollup reads the new flag.
            refresh_journey_progress(&txn, tenant, touchpoint.journey_id.uuid()).await?;
        }
        touch_journey(&txn, tenant, touchpoint.journey_id.uuid()).await?;
        txn.commit().await?;
        Ok(touchpoint)
    }

    /// Moves a touchpoint to `position` in `phase` (a phase of the same
    /// journey; none: its own phase; position none: at the end).
    pub async fn move_touchpoint(
        &self,
        tenant: TenantId,
        id: TouchpointId,
        phase: Option<PhaseId>,
        position: Option<i64>,
    ) -> Result<Touchpoint, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = find_touchpoint(&txn, tenant, id.uuid()).await?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        let mut touchpoint = convert::touchpoint(find_touchpoint(&txn, tenant, id.uuid()).await?)?;
        let target = phase.unwrap_or(touchpoint.phase_id);
        let changes_phase = target != touchpoint.phase_id;
        relocate(&txn, tenant, &mut touchpoint, target, position).await?;
        touchpoint.updated_at = now();
        touchpoint::Entity::update(touchpoint_row(tenant, &touchpoint))
            .exec(&txn)
            .await?;
        if changes_phase {
            // After the row is written: the chains read the touchpoint's new phase.
            refresh_journey_progress(&txn, tenant, touchpoint.journey_id.uuid()).await?;
        }
        touch_journey(&txn, tenant, touchpoint.journey_id.uuid()).await?;
        txn.commit().await?;
        Ok(touchpoint)
    }

    /// Deletes a touchpoint without recorded interactions. Research attached
    /// to it is kept: its insights move to the touchpoint's phase.
    pub async fn delete_touchpoint(
        &self,
        tenant: TenantId,
        id: TouchpointId,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        let row = find_touchpoint(&txn, tenant, id.uuid()).await?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        let row = find_touchpoint(&txn, tenant, id.uuid()).await?;
        if recorded_rows(&txn, tenant, row.journey_id, Some(&[row.id])).await? > 0 {
            return Err(StoreError::Conflict(
                "customers' interactions are recorded at this touchpoint; it cannot be deleted"
                    .into(),
            ));
        }
        insight::Entity::update_many()
            .col_expr(
                insight::Column::TouchpointId,
                Expr::value(Option::<Uuid>::None),
            )
            .col_expr(insight::Column::PhaseId, Expr::value(row.phase_id))
            .filter(insight::Column::TenantId.eq(tenant.uuid()))
            .filter(insight::Column::TouchpointId.eq(row.id))
            .exec(&txn)
            .await?;
        touchpoint::Entity::delete_by_id((tenant.uuid(), row.id))
            .exec(&txn)
            .await?;
        TOUCHPOINTS_IN_PHASE
            .close_gap(&txn, tenant.uuid(), row.phase_id, row.position)
            .await?;
        touch_journey(&txn, tenant, row.journey_id).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Inserts a new touchpoint into its phase (the journey is locked by the caller).
async fn insert_touchpoint(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    journey: Uuid,
    new: NewTouchpoint,
    position: Option<i64>,
) -> Result<Touchpoint, StoreError> {
    let phase = phase_in_journey(txn, tenant, new.phase_id, journey).await?;
    require_channel(txn, tenant, new.channel_id).await?;
    let in_journey = touchpoint::Entity::find()
        .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
        .filter(touchpoint::Column::JourneyId.eq(journey))
        .count(txn)
        .await? as usize;
    if in_journey >= MAX_TOUCHPOINTS_PER_JOURNEY {
        return Err(ValidationError::new(
            "phaseId",
            format!("a journey holds at most {MAX_TOUCHPOINTS_PER_JOURNEY} touchpoints"),
        )
        .into());
    }
    let count = count_in_phase(txn, tenant, phase).await?;
    let at = insertion_position("position", count, position)?;
    TOUCHPOINTS_IN_PHASE
        .open_gap(txn, tenant.uuid(), phase, at as i32)
        .await?;
    let created_at = now();
    let touchpoint = Touchpoint {
        id: TouchpointId::generate(),
        journey_id: JourneyId::from_uuid(journey),
        phase_id: new.phase_id,
        channel_id: new.channel_id,
        key: new.key,
        name: new.name,
        description: new.description,
        owner: new.owner,
        goal: new.goal,
        kpi: new.kpi,
        sentiment: new.sentiment,
        is_conversion: new.is_conversion,
        position: at as u32,
        created_at,
        updated_at: created_at,
    };
    touchpoint::Entity::insert(touchpoint_row(tenant, &touchpoint))
        .exec_without_returning(txn)
        .await
        .map_err(|e| StoreError::unique_violation_as(e, || key_taken(&touchpoint.key)))?;
    touch_journey(txn, tenant, journey).await?;
    Ok(touchpoint)
}

/// Moves `touchpoint` to `position` of `target` (same journey), closing the
/// gap it leaves and opening one where it lands. Updates the value, not the row.
async fn relocate(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    touchpoint: &mut Touchpoint,
    target: PhaseId,
    position: Option<i64>,
) -> Result<(), StoreError> {
    let journey = touchpoint.journey_id.uuid();
    let target_row = phase_in_journey(txn, tenant, target, journey).await?;
    let from = touchpoint.position as i32;
    if target == touchpoint.phase_id {
        let count = count_in_phase(txn, tenant, target_row).await?;
        let to = match position {
            Some(p) => target_position("position", count, p)?,
            None => count - 1,
        } as i32;
        TOUCHPOINTS_IN_PHASE
            .make_room_for_move(txn, tenant.uuid(), target_row, from, to)
            .await?;
        touchpoint.position = to as u32;
    } else {
        let count = count_in_phase(txn, tenant, target_row).await?;
        let to = insertion_position("position", count, position)? as i32;
        // Only later rows shift, so the moved row itself stays untouched.
        TOUCHPOINTS_IN_PHASE
            .close_gap(txn, tenant.uuid(), touchpoint.phase_id.uuid(), from)
            .await?;
        TOUCHPOINTS_IN_PHASE
            .open_gap(txn, tenant.uuid(), target_row, to)
            .await?;
        touchpoint.phase_id = target;
        touchpoint.position = to as u32;
    }
    Ok(())
}
