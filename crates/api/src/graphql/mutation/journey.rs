//! Journey mutations: create (from a template), update (with the version),
//! duplicate, delete, and link or unlink personas.

use super::DeletePayload;
use crate::error::ApiResult;
use crate::graphql::context::writing;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::{self, nullable, required};
use crate::graphql::scalars::Date;
use crate::graphql::types::Journey;
use crate::graphql::types::enums::{JourneyState, JourneyStatus, JourneyTemplate};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::{self as domain, JourneyGoal, JourneyPatch, NewJourney, Scope, Version};

/// A SMART goal.
#[derive(InputObject)]
pub struct JourneyGoalInput {
    /// What the journey should achieve.
    pub statement: String,
    /// How progress is measured.
    pub metric: Option<String>,
    /// The value of the metric to reach.
    pub target: Option<f64>,
    /// When the target should be reached.
    pub deadline: Option<Date>,
}

impl JourneyGoalInput {
    fn into_domain(self) -> ApiResult<JourneyGoal> {
        Ok(JourneyGoal::parse(
            &self.statement,
            self.metric.as_deref(),
            self.target,
            self.deadline.map(|d| d.0),
        )?)
    }
}

/// A new journey.
#[derive(InputObject)]
pub struct CreateJourneyInput {
    /// Its name.
    pub name: String,
    /// What it covers.
    pub description: Option<String>,
    /// Its SMART goal.
    pub goal: Option<JourneyGoalInput>,
    /// Current-state or future-state map.
    #[graphql(default_with = "JourneyState::Current")]
    pub state: JourneyState,
    /// Draft, active or archived.
    #[graphql(default_with = "JourneyStatus::Draft")]
    pub status: JourneyStatus,
    /// The framework whose phases it starts with.
    pub template: JourneyTemplate,
    /// Personas who travel it.
    #[graphql(default)]
    pub persona_ids: Vec<ID>,
}

/// A change to a journey's own fields; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateJourneyInput {
    /// The journey.
    pub id: ID,
    /// The version the change is based on; a stale version is refused with CONFLICT.
    pub version: i64,
    /// A new name.
    pub name: MaybeUndefined<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// A new goal (null clears it).
    pub goal: MaybeUndefined<JourneyGoalInput>,
    /// A new state.
    pub state: MaybeUndefined<JourneyState>,
    /// A new status.
    pub status: MaybeUndefined<JourneyStatus>,
}

/// Which journey to copy, and how the copy differs.
#[derive(InputObject)]
pub struct DuplicateJourneyInput {
    /// The journey to copy.
    pub id: ID,
    /// The copy's name (default: the original's).
    pub name: Option<String>,
    /// The copy's state (default: the original's), e.g. FUTURE for a
    /// future-state map made from a current-state map.
    pub state: Option<JourneyState>,
}

/// Which journey to delete.
#[derive(InputObject)]
pub struct DeleteJourneyInput {
    /// The journey.
    pub id: ID,
    /// When given, delete only if the journey is still at this version.
    pub version: Option<i64>,
}

/// A journey and a persona to link or unlink.
#[derive(InputObject)]
pub struct JourneyPersonaInput {
    /// The journey.
    pub journey_id: ID,
    /// The persona.
    pub persona_id: ID,
}

/// The journey after a change.
#[derive(SimpleObject)]
pub struct JourneyPayload {
    /// The journey as stored now.
    pub journey: Journey,
}

#[derive(Default)]
pub struct JourneyMutation;

#[Object]
impl JourneyMutation {
    /// Creates a journey with the phases of its template.
    async fn create_journey(
        &self,
        ctx: &Context<'_>,
        input: CreateJourneyInput,
    ) -> ApiResult<JourneyPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let new = NewJourney {
            name: input::name("name", &input.name)?,
            description: input::description("description", input.description.as_deref())?,
            goal: input.goal.map(JourneyGoalInput::into_domain).transpose()?,
            state: input.state.into(),
            status: input.status.into(),
            template: input.template.into(),
        };
        let personas = input
            .persona_ids
            .iter()
            .map(|id| ids::persona_id("personaIds", id))
            .collect::<Result<Vec<_>, _>>()?;
        let journey = store.create_journey(tenant, new, &personas).await?;
        Ok(JourneyPayload {
            journey: Journey(journey),
        })
    }

    /// Changes a journey's own fields, if it is still at the given version.
    async fn update_journey(
        &self,
        ctx: &Context<'_>,
        input: UpdateJourneyInput,
    ) -> ApiResult<JourneyPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::journey_id("id", &input.id)?;
        let patch = JourneyPatch {
            name: required("name", input.name, |v| input::name("name", &v))?,
            description: nullable(input.description, |v| {
                input::description("description", Some(&v))
            })?
            .map(Option::flatten),
            goal: nullable(input.goal, JourneyGoalInput::into_domain)?,
            state: required("state", input.state, |v| Ok(v.into()))?,
            status: required("status", input.status, |v| Ok(v.into()))?,
        };
        let journey = store
            .update_journey(tenant, id, Version(input.version), patch)
            .await?;
        Ok(JourneyPayload {
            journey: Journey(journey),
        })
    }

    /// Copies a journey with its phases, touchpoints, triggers, insights and
    /// personas into a new draft.
    async fn duplicate_journey(
        &self,
        ctx: &Context<'_>,
        input: DuplicateJourneyInput,
    ) -> ApiResult<JourneyPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::journey_id("id", &input.id)?;
        let name = input
            .name
            .as_deref()
            .map(|n| input::name("name", n))
            .transpose()?;
        let journey = store
            .duplicate_journey(
                tenant,
                id,
                name,
                input.state.map(domain::JourneyState::from),
            )
            .await?;
        Ok(JourneyPayload {
            journey: Journey(journey),
        })
    }

    /// Deletes a journey and everything in it.
    async fn delete_journey(
        &self,
        ctx: &Context<'_>,
        input: DeleteJourneyInput,
    ) -> ApiResult<DeletePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::journey_id("id", &input.id)?;
        store
            .delete_journey(tenant, id, input.version.map(Version))
            .await?;
        Ok(DeletePayload {
            deleted_id: GlobalId::encode(NodeKind::Journey, id.uuid()),
        })
    }

    /// Links a persona to a journey (linking twice changes nothing).
    async fn link_persona(
        &self,
        ctx: &Context<'_>,
        input: JourneyPersonaInput,
    ) -> ApiResult<JourneyPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let journey = ids::journey_id("journeyId", &input.journey_id)?;
        let persona = ids::persona_id("personaId", &input.persona_id)?;
        store.link_persona(tenant, journey, persona).await?;
        Ok(JourneyPayload {
            journey: Journey(store.journey(tenant, journey).await?),
        })
    }

    /// Unlinks a persona from a journey; the persona itself stays.
    async fn unlink_persona(
        &self,
        ctx: &Context<'_>,
        input: JourneyPersonaInput,
    ) -> ApiResult<JourneyPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let journey = ids::journey_id("journeyId", &input.journey_id)?;
        let persona = ids::persona_id("personaId", &input.persona_id)?;
        store.unlink_persona(tenant, journey, persona).await?;
        Ok(JourneyPayload {
            journey: Journey(store.journey(tenant, journey).await?),
        })
    }
}
