//! Touchpoint mutations: create, update, move, delete, and the upsert by key
//! that CRM integrations use.

use super::DeletePayload;
use crate::error::ApiResult;
use crate::graphql::context::writing;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::{self, SHORT_TEXT_MAX, nullable, required};
use crate::graphql::types::Touchpoint;
use crate::graphql::types::enums::Sentiment;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::{Kpi, NewTouchpoint, Scope, TouchpointKey, TouchpointPatch};

/// A key performance indicator with its target.
#[derive(InputObject)]
pub struct KpiInput {
    /// What is measured.
    pub name: String,
    /// The value to reach.
    pub target: Option<f64>,
    /// The unit of the value.
    pub unit: Option<String>,
}

impl KpiInput {
    fn into_domain(self) -> ApiResult<Kpi> {
        Ok(Kpi::parse(&self.name, self.target, self.unit.as_deref())?)
    }
}

/// The fields every touchpoint has, as given on create and upsert.
#[derive(InputObject)]
pub struct TouchpointFields {
    /// The phase it sits in.
    pub phase_id: ID,
    /// The channel it uses.
    pub channel_id: ID,
    /// Its name.
    pub name: String,
    /// What happens there.
    pub description: Option<String>,
    /// Who in the organisation owns it.
    pub owner: Option<String>,
    /// What it should achieve.
    pub goal: Option<String>,
    /// How that is measured.
    pub kpi: Option<KpiInput>,
    /// How customers are assessed to feel there.
    pub sentiment: Option<Sentiment>,
    /// Whether a purchase (conversion) happens there.
    #[graphql(default)]
    pub is_conversion: bool,
}

impl TouchpointFields {
    fn into_domain(self, key: &str) -> ApiResult<NewTouchpoint> {
        Ok(NewTouchpoint {
            phase_id: ids::phase_id("phaseId", &self.phase_id)?,
            channel_id: ids::channel_id("channelId", &self.channel_id)?,
            key: TouchpointKey::parse(key)?,
            name: input::name("name", &self.name)?,
            description: input::description("description", self.description.as_deref())?,
            owner: input::short_text("owner", self.owner.as_deref(), SHORT_TEXT_MAX)?,
            goal: input::description("goal", self.goal.as_deref())?,
            kpi: self.kpi.map(KpiInput::into_domain).transpose()?,
            sentiment: self.sentiment.map(Into::into),
            is_conversion: self.is_conversion,
        })
    }
}

/// A new touchpoint.
#[derive(InputObject)]
pub struct CreateTouchpointInput {
    /// Its key: lowercase letters, digits, '-' and '_', unique within the journey.
    pub key: String,
    /// Where it goes in its phase, from 0 (default: at the end).
    pub position: Option<i64>,
    /// Its fields.
    #[graphql(flatten)]
    pub fields: TouchpointFields,
}

/// A touchpoint to create or update by journey and key.
#[derive(InputObject)]
pub struct UpsertTouchpointInput {
    /// The journey.
    pub journey_id: ID,
    /// The key that identifies the touchpoint within the journey.
    pub key: String,
    /// Its fields (all of them: an upsert replaces what is stored).
    #[graphql(flatten)]
    pub fields: TouchpointFields,
}

/// A change to a touchpoint; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateTouchpointInput {
    /// The touchpoint.
    pub id: ID,
    /// A new key.
    pub key: MaybeUndefined<String>,
    /// A new channel.
    pub channel_id: MaybeUndefined<ID>,
    /// A new name.
    pub name: MaybeUndefined<String>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
    /// A new owner (null clears it).
    pub owner: MaybeUndefined<String>,
    /// A new goal (null clears it).
    pub goal: MaybeUndefined<String>,
    /// A new KPI (null clears it).
    pub kpi: MaybeUndefined<KpiInput>,
    /// A new sentiment (null clears it).
    pub sentiment: MaybeUndefined<Sentiment>,
    /// Whether a conversion happens there.
    pub is_conversion: MaybeUndefined<bool>,
}

/// Where a touchpoint moves.
#[derive(InputObject)]
pub struct MoveTouchpointInput {
    /// The touchpoint.
    pub id: ID,
    /// The phase it moves to (default: its own), in the same journey.
    pub phase_id: Option<ID>,
    /// Its position there, from 0 (default: at the end).
    pub position: Option<i64>,
}

/// Which touchpoint to delete.
#[derive(InputObject)]
pub struct DeleteTouchpointInput {
    /// The touchpoint; its insights move to its phase.
    pub id: ID,
}

/// The touchpoint after a change.
#[derive(SimpleObject)]
pub struct TouchpointPayload {
    /// The touchpoint as stored now.
    pub touchpoint: Touchpoint,
}

/// The touchpoint after an upsert.
#[derive(SimpleObject)]
pub struct UpsertTouchpointPayload {
    /// The touchpoint as stored now.
    pub touchpoint: Touchpoint,
    /// Whether it was created (false: an existing one was updated).
    pub created: bool,
}

#[derive(Default)]
pub struct TouchpointMutation;

#[Object]
impl TouchpointMutation {
    /// Creates a touchpoint in a phase.
    async fn create_touchpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateTouchpointInput,
    ) -> ApiResult<TouchpointPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let new = input.fields.into_domain(&input.key)?;
        let touchpoint = store.create_touchpoint(tenant, new, input.position).await?;
        Ok(TouchpointPayload {
            touchpoint: Touchpoint(touchpoint),
        })
    }

    /// Creates or updates the touchpoint with this key in this journey.
    async fn upsert_touchpoint(
        &self,
        ctx: &Context<'_>,
        input: UpsertTouchpointInput,
    ) -> ApiResult<UpsertTouchpointPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let journey = ids::journey_id("journeyId", &input.journey_id)?;
        let new = input.fields.into_domain(&input.key)?;
        let upsert = store.upsert_touchpoint(tenant, journey, new).await?;
        Ok(UpsertTouchpointPayload {
            touchpoint: Touchpoint(upsert.touchpoint),
            created: upsert.created,
        })
    }

    /// Changes a touchpoint's fields.
    async fn update_touchpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateTouchpointInput,
    ) -> ApiResult<TouchpointPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::touchpoint_id("id", &input.id)?;
        let patch = TouchpointPatch {
            key: required("key", input.key, |v| Ok(TouchpointKey::parse(&v)?))?,
            channel_id: required("channelId", input.channel_id, |v| {
                ids::channel_id("channelId", &v)
            })?,
            name: required("name", input.name, |v| input::name("name", &v))?,
            description: nullable(input.description, |v| {
                input::description("description", Some(&v))
            })?
            .map(Option::flatten),
            owner: nullable(input.owner, |v| {
                input::short_text("owner", Some(&v), SHORT_TEXT_MAX)
            })?
            .map(Option::flatten),
            goal: nullable(input.goal, |v| input::description("goal", Some(&v)))?
                .map(Option::flatten),
            kpi: nullable(input.kpi, KpiInput::into_domain)?,
            sentiment: nullable(input.sentiment, |v| Ok(v.into()))?,
            is_conversion: required("isConversion", input.is_conversion, Ok)?,
        };
        let touchpoint = store.update_touchpoint(tenant, id, patch).await?;
        Ok(TouchpointPayload {
            touchpoint: Touchpoint(touchpoint),
        })
    }

    /// Moves a touchpoint within its phase or to another phase of its journey.
    async fn move_touchpoint(
        &self,
        ctx: &Context<'_>,
        input: MoveTouchpointInput,
    ) -> ApiResult<TouchpointPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::touchpoint_id("id", &input.id)?;
        let phase = input
            .phase_id
            .as_ref()
            .map(|p| ids::phase_id("phaseId", p))
            .transpose()?;
        let touchpoint = store
            .move_touchpoint(tenant, id, phase, input.position)
            .await?;
        Ok(TouchpointPayload {
            touchpoint: Touchpoint(touchpoint),
        })
    }

    /// Deletes a touchpoint; its insights stay, attached to its phase.
    async fn delete_touchpoint(
        &self,
        ctx: &Context<'_>,
        input: DeleteTouchpointInput,
    ) -> ApiResult<DeletePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::touchpoint_id("id", &input.id)?;
        store.delete_touchpoint(tenant, id).await?;
        Ok(DeletePayload {
            deleted_id: GlobalId::encode(NodeKind::Touchpoint, id.uuid()),
        })
    }
}
