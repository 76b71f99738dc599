//! Insight mutations.

use super::DeletePayload;
use crate::error::{ApiError, ApiResult};
use crate::graphql::context::writing;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::{self, SHORT_TEXT_MAX, nullable, required};
use crate::graphql::types::Insight;
use crate::graphql::types::enums::{InsightKind, Severity};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::{InsightPatch, InsightTarget, NewInsight, Scope};

/// What an insight is attached to: the phase or the touchpoint given, or
/// (neither) the journey as a whole.
fn target(phase: Option<&ID>, touchpoint: Option<&ID>) -> ApiResult<InsightTarget> {
    match (phase, touchpoint) {
        (Some(_), Some(_)) => Err(ApiError::bad_input(
            "touchpointId",
            "attach an insight to a phase or a touchpoint, not both",
        )),
        (Some(phase), None) => Ok(InsightTarget::Phase(ids::phase_id("phaseId", phase)?)),
        (None, Some(tp)) => Ok(InsightTarget::Touchpoint(ids::touchpoint_id(
            "touchpointId",
            tp,
        )?)),
        (None, None) => Ok(InsightTarget::Journey),
    }
}

/// A new insight.
#[derive(InputObject)]
pub struct CreateInsightInput {
    /// The journey it belongs to.
    pub journey_id: ID,
    /// The phase it is about (leave out for the journey as a whole).
    pub phase_id: Option<ID>,
    /// The touchpoint it is about (leave out for the journey as a whole).
    pub touchpoint_id: Option<ID>,
    /// Its kind.
    pub kind: InsightKind,
    /// A short title.
    pub title: String,
    /// The finding in full.
    pub description: Option<String>,
    /// How much it matters.
    #[graphql(default_with = "Severity::Medium")]
    pub severity: Severity,
    /// Where it comes from ("interviews 2026-Q1").
    pub source: Option<String>,
}

/// A change to an insight; fields left out stay as they are. Giving
/// `phaseId` or `touchpointId` re-attaches it (both null: to the journey).
#[derive(InputObject)]
pub struct UpdateInsightInput {
    /// The insight.
    pub id: ID,
    /// A phase of the same journey to attach it to.
    pub phase_id: MaybeUndefined<ID>,
    /// A touchpoint of the same journey to attach it to.
    pub touchpoint_id: MaybeUndefined<ID>,
    /// A new kind.
    pub kind: MaybeUndefined<InsightKind>,
    /// A new title.
    pub title: MaybeUndefined<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// A new severity.
    pub severity: MaybeUndefined<Severity>,
    /// A new source (null clears it).
    pub source: MaybeUndefined<String>,
}

/// Which insight to delete.
#[derive(InputObject)]
pub struct DeleteInsightInput {
    /// The insight.
    pub id: ID,
}

/// The insight after a change.
#[derive(SimpleObject)]
pub struct InsightPayload {
    /// The insight as stored now.
    pub insight: Insight,
}

#[derive(Default)]
pub struct InsightMutation;

#[Object]
impl InsightMutation {
    /// Records an insight.
    async fn create_insight(
        &self,
        ctx: &Context<'_>,
        input: CreateInsightInput,
    ) -> ApiResult<InsightPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let journey = ids::journey_id("journeyId", &input.journey_id)?;
        let new = NewInsight {
            target: target(input.phase_id.as_ref(), input.touchpoint_id.as_ref())?,
            kind: input.kind.into(),
            title: input::name("title", &input.title)?,
            description: input::description("description", input.description.as_deref())?,
            severity: input.severity.into(),
            source: input::short_text("source", input.source.as_deref(), SHORT_TEXT_MAX)?,
        };
        let insight = store.create_insight(tenant, journey, new).await?;
        Ok(InsightPayload {
            insight: Insight(insight),
        })
    }

    /// Changes an insight.
    async fn update_insight(
        &self,
        ctx: &Context<'_>,
        input: UpdateInsightInput,
    ) -> ApiResult<InsightPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::insight_id("id", &input.id)?;
        let retarget = !input.phase_id.is_undefined() || !input.touchpoint_id.is_undefined();
        let new_target = if retarget {
            Some(target(input.phase_id.value(), input.touchpoint_id.value())?)
        } else {
            None
        };
        let patch = InsightPatch {
            target: new_target,
            kind: required("kind", input.kind, |v| Ok(v.into()))?,
            title: required("title", input.title, |v| input::name("title", &v))?,
            description: nullable(input.description, |v| {
                input::description("description", Some(&v))
            })?
            .map(Option::flatten),
            severity: required("severity", input.severity, |v| Ok(v.into()))?,
            source: nullable(input.source, |v| {
                input::short_text("source", Some(&v), SHORT_TEXT_MAX)
            })?
            .map(Option::flatten),
        };
        let insight = store.update_insight(tenant, id, patch).await?;
        Ok(InsightPayload {
            insight: Insight(insight),
        })
    }

    /// Deletes an insight.
    async fn delete_insight(
        &self,
        ctx: &Context<'_>,
        input: DeleteInsightInput,
    ) -> ApiResult<DeletePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::insight_id("id", &input.id)?;
        store.delete_insight(tenant, id).await?;
        Ok(DeletePayload {
            deleted_id: GlobalId::encode(NodeKind::Insight, id.uuid()),
        })
    }
}
