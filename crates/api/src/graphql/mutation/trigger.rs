//! Trigger mutations.

use super::DeletePayload;
use crate::error::ApiResult;
use crate::graphql::context::writing;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::{self, nullable, required};
use crate::graphql::types::Trigger;
use crate::graphql::types::enums::TriggerKind;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::{NewTrigger, Scope, TriggerPatch};

/// A new trigger.
#[derive(InputObject)]
pub struct CreateTriggerInput {
    /// The journey it belongs to.
    pub journey_id: ID,
    /// The phase it moves customers into (none: it starts the journey).
    pub phase_id: Option<ID>,
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Its kind.
    pub kind: TriggerKind,
}

/// A change to a trigger; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateTriggerInput {
    /// The trigger.
    pub id: ID,
    /// A new phase of the same journey (null: the journey as a whole).
    pub phase_id: MaybeUndefined<ID>,
    /// A new name.
    pub name: MaybeUndefined<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// A new kind.
    pub kind: MaybeUndefined<TriggerKind>,
}

/// Which trigger to delete.
#[derive(InputObject)]
pub struct DeleteTriggerInput {
    /// The trigger.
    pub id: ID,
}

/// The trigger after a change.
#[derive(SimpleObject)]
pub struct TriggerPayload {
    /// The trigger as stored now.
    pub trigger: Trigger,
}

#[derive(Default)]
pub struct TriggerMutation;

#[Object]
impl TriggerMutation {
    /// Creates a trigger in a journey.
    async fn create_trigger(
        &self,
        ctx: &Context<'_>,
        input: CreateTriggerInput,
    ) -> ApiResult<TriggerPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let journey = ids::journey_id("journeyId", &input.journey_id)?;
        let new = NewTrigger {
            phase_id: input
                .phase_id
                .as_ref()
                .map(|p| ids::phase_id("phaseId", p))
                .transpose()?,
            name: input::name("name", &input.name)?,
            description: input::description("description", input.description.as_deref())?,
            kind: input.kind.into(),
        };
        let trigger = store.create_trigger(tenant, journey, new).await?;
        Ok(TriggerPayload {
            trigger: Trigger(trigger),
        })
    }

    /// Changes a trigger.
    async fn update_trigger(
        &self,
        ctx: &Context<'_>,
        input: UpdateTriggerInput,
    ) -> ApiResult<TriggerPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::trigger_id("id", &input.id)?;
        let patch = TriggerPatch {
            phase_id: nullable(input.phase_id, |v| ids::phase_id("phaseId", &v))?,
            name: required("name", input.name, |v| input::name("name", &v))?,
            description: nullable(input.description, |v| {
                input::description("description", Some(&v))
            })?
            .map(Option::flatten),
            kind: required("kind", input.kind, |v| Ok(v.into()))?,
        };
        let trigger = store.update_trigger(tenant, id, patch).await?;
        Ok(TriggerPayload {
            trigger: Trigger(trigger),
        })
    }

    /// Deletes a trigger.
    async fn delete_trigger(
        &self,
        ctx: &Context<'_>,
        input: DeleteTriggerInput,
    ) -> ApiResult<DeletePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::trigger_id("id", &input.id)?;
        store.delete_trigger(tenant, id).await?;
        Ok(DeletePayload {
            deleted_id: GlobalId::encode(NodeKind::Trigger, id.uuid()),
        })
    }
}
