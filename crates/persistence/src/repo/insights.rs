//! Insights: research findings attached to a journey, a phase or a touchpoint.

use super::journeys::{lock_journey, touch_journey};
use super::triggers::check_phase_of;
use super::{now, tenant_and_in};
use crate::entity::{insight, touchpoint};
use crate::error::FoundExt;
use crate::{Store, StoreError, convert};
use journeyd_domain::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

fn insight_row(tenant: TenantId, insight: &Insight) -> insight::ActiveModel {
    let (phase, touchpoint) = match insight.target {
        InsightTarget::Journey => (None, None),
        InsightTarget::Phase(p) => (Some(p.uuid()), None),
        InsightTarget::Touchpoint(t) => (None, Some(t.uuid())),
    };
    insight::ActiveModel {
        tenant_id: Set(tenant.uuid()),
        id: Set(insight.id.uuid()),
        journey_id: Set(insight.journey_id.uuid()),
        phase_id: Set(phase),
        touchpoint_id: Set(touchpoint),
        kind: Set(insight.kind.label().to_owned()),
        title: Set(insight.title.as_str().to_owned()),
        description: Set(insight.description.clone()),
        severity: Set(insight.severity.label().to_owned()),
        source: Set(insight.source.clone()),
        created_at: Set(insight.created_at),
    }
}

/// Checks that an insight's target lies within `journey`.
async fn check_target(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    target: InsightTarget,
    journey: Uuid,
) -> Result<(), StoreError> {
    match target {
        InsightTarget::Journey => Ok(()),
        InsightTarget::Phase(phase) => {
            check_phase_of(conn, tenant, Some(phase), journey, "phaseId").await
        }
        InsightTarget::Touchpoint(tp) => {
            let row = touchpoint::Entity::find_by_id((tenant.uuid(), tp.uuid()))
                .one(conn)
                .await?
                .found("touchpoint")?;
            if row.journey_id != journey {
                return Err(ValidationError::new(
                    "touchpointId",
                    "must be a touchpoint of the same journey",
                )
                .into());
            }
            Ok(())
        }
    }
}

impl Store {
    /// Records an insight in a journey.
    pub async fn create_insight(
        &self,
        tenant: TenantId,
        journey: JourneyId,
        new: NewInsight,
    ) -> Result<Insight, StoreError> {
        let txn = self.db.begin_write().await?;
        lock_journey(&txn, tenant, journey.uuid()).await?;
        check_target(&txn, tenant, new.target, journey.uuid()).await?;
        let insight = Insight {
            id: InsightId::generate(),
            journey_id: journey,
            target: new.target,
            kind: new.kind,
            title: new.title,
            description: new.description,
            severity: new.severity,
            source: new.source,
            created_at: now(),
        };
        insight::Entity::insert(insight_row(tenant, &insight))
            .exec_without_returning(&txn)
            .await?;
        touch_journey(&txn, tenant, journey.uuid()).await?;
        txn.commit().await?;
        Ok(insight)
    }

    /// The insight with this id.
    pub async fn insight(&self, tenant: TenantId, id: InsightId) -> Result<Insight, StoreError> {
        insight::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(self.db.conn())
            .await?
            .found("insight")
            .and_then(convert::insight)
    }

    /// Every insight of these journeys (whatever they are attached to), oldest first.
    pub async fn insights_of_journeys(
        &self,
        tenant: TenantId,
        journeys: &[JourneyId],
    ) -> Result<Vec<Insight>, StoreError> {
        self.insights_where(
            tenant,
            insight::Column::JourneyId,
            journeys.iter().map(|id| id.uuid()),
        )
        .await
    }

    /// The insights attached to these phases, oldest first.
    pub async fn insights_of_phases(
        &self,
        tenant: TenantId,
        phases: &[PhaseId],
    ) -> Result<Vec<Insight>, StoreError> {
        self.insights_where(
            tenant,
            insight::Column::PhaseId,
            phases.iter().map(|id| id.uuid()),
        )
        .await
    }

    /// The insights attached to these touchpoints, oldest first.
    pub async fn insights_of_touchpoints(
        &self,
        tenant: TenantId,
        touchpoints: &[TouchpointId],
    ) -> Result<Vec<Insight>, StoreError> {
        self.insights_where(
            tenant,
            insight::Column::TouchpointId,
            touchpoints.iter().map(|id| id.uuid()),
        )
        .await
    }

    async fn insights_where(
        &self,
        tenant: TenantId,
        column: insight::Column,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Vec<Insight>, StoreError> {
        let rows = insight::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                insight::Column::TenantId,
                tenant,
                column,
                ids,
            ))
            .order_by_asc(insight::Column::Id)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::insight)
    }

    /// Changes an insight (it stays in its journey).
    pub async fn update_insight(
        &self,
        tenant: TenantId,
        id: InsightId,
        patch: InsightPatch,
    ) -> Result<Insight, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = insight::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(&txn)
            .await?
            .found("insight")?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        let mut insight = convert::insight(row)?;
        if let Some(target) = patch.target {
            check_target(&txn, tenant, target, insight.journey_id.uuid()).await?;
        }
        patch.apply_to(&mut insight);
        insight::Entity::update(insight_row(tenant, &insight))
            .exec(&txn)
            .await?;
        touch_journey(&txn, tenant, insight.journey_id.uuid()).await?;
        txn.commit().await?;
        Ok(insight)
    }

    /// Deletes an insight.
    pub async fn delete_insight(&self, tenant: TenantId, id: InsightId) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        let row = insight::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(&txn)
            .await?
            .found("insight")?;
        lock_journey(&txn, tenant, row.journey_id).await?;
        insight::Entity::delete_by_id((tenant.uuid(), row.id))
            .exec(&txn)
            .await?;
        touch_journey(&txn, tenant, row.journey_id).await?;
        txn.commit().await?;
        Ok(())
    }
}
