//! Phase mutations: add, update, move and remove, keeping positions dense.

use crate::error::{ApiError, ApiResult};
use crate::graphql::context::writing;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::{self, nullable, required};
use crate::graphql::types::enums::{Sentiment, Stage};
use crate::graphql::types::{Journey, Phase};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::{NewPhase, PhasePatch, PhaseRemoval, Scope};

/// A new phase.
#[derive(InputObject)]
pub struct AddPhaseInput {
    /// The journey it goes in.
    pub journey_id: ID,
    /// Where it goes, from 0 (default: at the end); later phases move down.
    pub position: Option<i64>,
    /// Its name.
    pub name: String,
    /// Its canonical stage.
    pub stage: Stage,
    /// What happens in it.
    pub description: Option<String>,
    /// What the customer wants to achieve here.
    #[graphql(default)]
    pub customer_goals: Vec<String>,
    /// What the customer asks here.
    #[graphql(default)]
    pub questions: Vec<String>,
    /// The emotion the customer is expected to feel here.
    pub expected_emotion: Option<Sentiment>,
}

/// A change to a phase's fields; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdatePhaseInput {
    /// The phase.
    pub id: ID,
    /// A new name.
    pub name: MaybeUndefined<String>,
    /// A new stage.
    pub stage: MaybeUndefined<Stage>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// New customer goals.
    pub customer_goals: MaybeUndefined<Vec<String>>,
    /// New questions.
    pub questions: MaybeUndefined<Vec<String>>,
    /// A new expected emotion (null clears it).
    pub expected_emotion: MaybeUndefined<Sentiment>,
}

/// Where a phase moves.
#[derive(InputObject)]
pub struct MovePhaseInput {
    /// The phase.
    pub id: ID,
    /// Its new position, from 0; the phases in between shift.
    pub position: i64,
}

/// A phase to remove, and what happens to its content.
#[derive(InputObject)]
pub struct RemovePhaseInput {
    /// The phase.
    pub id: ID,
    /// Move its touchpoints, triggers and insights to this phase of the same journey.
    pub move_content_to: Option<ID>,
    /// Delete its touchpoints, triggers and insights with it.
    #[graphql(default)]
    pub cascade: bool,
}

/// The phase after a change.
#[derive(SimpleObject)]
pub struct PhasePayload {
    /// The phase as stored now.
    pub phase: Phase,
}

/// The journey after a phase was removed.
#[derive(SimpleObject)]
pub struct RemovePhasePayload {
    /// The global id of the removed phase.
    pub deleted_id: ID,
    /// The journey it was removed from.
    pub journey: Journey,
}

#[derive(Default)]
pub struct PhaseMutation;

#[Object]
impl PhaseMutation {
    /// Adds a phase to a journey.
    async fn add_phase(&self, ctx: &Context<'_>, input: AddPhaseInput) -> ApiResult<PhasePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let journey = ids::journey_id("journeyId", &input.journey_id)?;
        let new = NewPhase {
            name: input::name("name", &input.name)?,
            stage: input.stage.into(),
            description: input::description("description", input.description.as_deref())?,
            customer_goals: input::phrases("customerGoals", &input.customer_goals)?,
            questions: input::phrases("questions", &input.questions)?,
            expected_emotion: input.expected_emotion.map(Into::into),
        };
        let phase = store
            .add_phase(tenant, journey, new, input.position)
            .await?;
        Ok(PhasePayload {
            phase: Phase(phase),
        })
    }

    /// Changes a phase's fields.
    async fn update_phase(
        &self,
        ctx: &Context<'_>,
        input: UpdatePhaseInput,
    ) -> ApiResult<PhasePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::phase_id("id", &input.id)?;
        let patch = PhasePatch {
            name: required("name", input.name, |v| input::name("name", &v))?,
            stage: required("stage", input.stage, |v| Ok(v.into()))?,
            description: nullable(input.description, |v| {
                input::description("description", Some(&v))
            })?
            .map(Option::flatten),
            customer_goals: required("customerGoals", input.customer_goals, |v| {
                input::phrases("customerGoals", &v)
            })?,
            questions: required("questions", input.questions, |v| {
                input::phrases("questions", &v)
            })?,
            expected_emotion: nullable(input.expected_emotion, |v| Ok(v.into()))?,
        };
        let phase = store.update_phase(tenant, id, patch).await?;
        Ok(PhasePayload {
            phase: Phase(phase),
        })
    }

    /// Moves a phase to another position in its journey.
    async fn move_phase(
        &self,
        ctx: &Context<'_>,
        input: MovePhaseInput,
    ) -> ApiResult<PhasePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::phase_id("id", &input.id)?;
        let phase = store.move_phase(tenant, id, input.position).await?;
        Ok(PhasePayload {
            phase: Phase(phase),
        })
    }

    /// Removes a phase. A phase that still holds touchpoints, triggers or
    /// insights is refused (CONFLICT) unless `moveContentTo` or `cascade` says
    /// what happens to them.
    async fn remove_phase(
        &self,
        ctx: &Context<'_>,
        input: RemovePhaseInput,
    ) -> ApiResult<RemovePhasePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::phase_id("id", &input.id)?;
        let removal = match (input.move_content_to, input.cascade) {
            (Some(_), true) => {
                return Err(ApiError::bad_input(
                    "cascade",
                    "give either moveContentTo or cascade, not both",
                ));
            }
            (Some(target), false) => {
                PhaseRemoval::MoveContentTo(ids::phase_id("moveContentTo", &target)?)
            }
            (None, true) => PhaseRemoval::Cascade,
            (None, false) => PhaseRemoval::RefuseIfNotEmpty,
        };
        let journey = store.remove_phase(tenant, id, removal).await?;
        Ok(RemovePhasePayload {
            deleted_id: GlobalId::encode(NodeKind::Phase, id.uuid()),
            journey: Journey(store.journey(tenant, journey).await?),
        })
    }
}
