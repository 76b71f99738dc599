//! Persona mutations.

use super::DeletePayload;
use crate::error::ApiResult;
use crate::graphql::context::writing;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::{self, nullable, required};
use crate::graphql::types::Persona;
use crate::graphql::types::enums::ChannelKind;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::persona::distinct_channel_kinds;
use journeyd_domain::{self as domain, LabeledValue, NewPersona, PersonaPatch, Scope};

/// A labelled fact, such as a demographic.
#[derive(InputObject)]
pub struct LabeledValueInput {
    /// What the value describes ("Age").
    pub label: String,
    /// The value ("35-44").
    pub value: String,
}

fn demographics(values: Vec<LabeledValueInput>) -> ApiResult<Vec<LabeledValue>> {
    let pairs: Vec<(String, String)> = values.into_iter().map(|v| (v.label, v.value)).collect();
    Ok(LabeledValue::parse_list("demographics", &pairs)?)
}

fn channel_kinds(kinds: Vec<ChannelKind>) -> Vec<domain::ChannelKind> {
    let kinds: Vec<domain::ChannelKind> = kinds.into_iter().map(Into::into).collect();
    distinct_channel_kinds(&kinds)
}

/// A new persona.
#[derive(InputObject)]
pub struct CreatePersonaInput {
    /// Its name.
    pub name: String,
    /// Who it represents.
    pub description: Option<String>,
    /// Age, occupation, location, ...
    #[graphql(default)]
    pub demographics: Vec<LabeledValueInput>,
    /// What it wants to achieve.
    #[graphql(default)]
    pub goals: Vec<String>,
    /// What frustrates it.
    #[graphql(default)]
    pub frustrations: Vec<String>,
    /// What drives it.
    #[graphql(default)]
    pub motivations: Vec<String>,
    /// The channels it prefers.
    #[graphql(default)]
    pub preferred_channels: Vec<ChannelKind>,
}

/// A change to a persona; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdatePersonaInput {
    /// The persona.
    pub id: ID,
    /// A new name.
    pub name: MaybeUndefined<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// New demographics.
    pub demographics: MaybeUndefined<Vec<LabeledValueInput>>,
    /// New goals.
    pub goals: MaybeUndefined<Vec<String>>,
    /// New frustrations.
    pub frustrations: MaybeUndefined<Vec<String>>,
    /// New motivations.
    pub motivations: MaybeUndefined<Vec<String>>,
    /// New preferred channels.
    pub preferred_channels: MaybeUndefined<Vec<ChannelKind>>,
}

/// Which persona to delete.
#[derive(InputObject)]
pub struct DeletePersonaInput {
    /// The persona; its links to journeys go with it, the journeys stay.
    pub id: ID,
}

/// The persona after a change.
#[derive(SimpleObject)]
pub struct PersonaPayload {
    /// The persona as stored now.
    pub persona: Persona,
}

#[derive(Default)]
pub struct PersonaMutation;

#[Object]
impl PersonaMutation {
    /// Creates a persona.
    async fn create_persona(
        &self,
        ctx: &Context<'_>,
        input: CreatePersonaInput,
    ) -> ApiResult<PersonaPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let new = NewPersona {
            name: input::name("name", &input.name)?,
            description: input::description("description", input.description.as_deref())?,
            demographics: demographics(input.demographics)?,
            goals: input::phrases("goals", &input.goals)?,
            frustrations: input::phrases("frustrations", &input.frustrations)?,
            motivations: input::phrases("motivations", &input.motivations)?,
            preferred_channels: channel_kinds(input.preferred_channels),
        };
        let persona = store.create_persona(tenant, new).await?;
        Ok(PersonaPayload {
            persona: Persona(persona),
        })
    }

    /// Changes a persona.
    async fn update_persona(
        &self,
        ctx: &Context<'_>,
        input: UpdatePersonaInput,
    ) -> ApiResult<PersonaPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::persona_id("id", &input.id)?;
        let patch = PersonaPatch {
            name: required("name", input.name, |v| input::name("name", &v))?,
            description: nullable(input.description, |v| {
                input::description("description", Some(&v))
            })?
            .map(Option::flatten),
            demographics: required("demographics", input.demographics, demographics)?,
            goals: required("goals", input.goals, |v| input::phrases("goals", &v))?,
            frustrations: required("frustrations", input.frustrations, |v| {
                input::phrases("frustrations", &v)
            })?,
            motivations: required("motivations", input.motivations, |v| {
                input::phrases("motivations", &v)
            })?,
            preferred_channels: required("preferredChannels", input.preferred_channels, |v| {
                Ok(channel_kinds(v))
            })?,
        };
        let persona = store.update_persona(tenant, id, patch).await?;
        Ok(PersonaPayload {
            persona: Persona(persona),
        })
    }

    /// Deletes a persona.
    async fn delete_persona(
        &self,
        ctx: &Context<'_>,
        input: DeletePersonaInput,
    ) -> ApiResult<DeletePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::persona_id("id", &input.id)?;
        store.delete_persona(tenant, id).await?;
        Ok(DeletePayload {
            deleted_id: GlobalId::encode(NodeKind::Persona, id.uuid()),
        })
    }
}
