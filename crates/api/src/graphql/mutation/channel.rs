//! Channel mutations.

use super::DeletePayload;
use crate::error::ApiResult;
use crate::graphql::context::writing;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::{self, nullable, required};
use crate::graphql::types::Channel;
use crate::graphql::types::enums::ChannelKind;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::{ChannelPatch, NewChannel, Scope};

/// A new channel.
#[derive(InputObject)]
pub struct CreateChannelInput {
    /// Its name, unique within the tenant.
    pub name: String,
    /// Its kind.
    pub kind: ChannelKind,
    /// What it is.
    pub description: Option<String>,
}

/// A change to a channel; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateChannelInput {
    /// The channel.
    pub id: ID,
    /// A new name.
    pub name: MaybeUndefined<String>,
    /// A new kind.
    pub kind: MaybeUndefined<ChannelKind>,
    /// A new description (null clears it).
    pub description: MaybeUndefined<String>,
}

/// Which channel to delete.
#[derive(InputObject)]
pub struct DeleteChannelInput {
    /// The channel; refused (CONFLICT) while touchpoints use it.
    pub id: ID,
}

/// The channel after a change.
#[derive(SimpleObject)]
pub struct ChannelPayload {
    /// The channel as stored now.
    pub channel: Channel,
}

#[derive(Default)]
pub struct ChannelMutation;

#[Object]
impl ChannelMutation {
    /// Creates a channel.
    async fn create_channel(
        &self,
        ctx: &Context<'_>,
        input: CreateChannelInput,
    ) -> ApiResult<ChannelPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let new = NewChannel {
            name: input::name("name", &input.name)?,
            kind: input.kind.into(),
            description: input::description("description", input.description.as_deref())?,
        };
        let channel = store.create_channel(tenant, new).await?;
        Ok(ChannelPayload {
            channel: Channel(channel),
        })
    }

    /// Changes a channel.
    async fn update_channel(
        &self,
        ctx: &Context<'_>,
        input: UpdateChannelInput,
    ) -> ApiResult<ChannelPayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::channel_id("id", &input.id)?;
        let patch = ChannelPatch {
            name: required("name", input.name, |v| input::name("name", &v))?,
            kind: required("kind", input.kind, |v| Ok(v.into()))?,
            description: nullable(input.description, |v| {
                input::description("description", Some(&v))
            })?
            .map(Option::flatten),
        };
        let channel = store.update_channel(tenant, id, patch).await?;
        Ok(ChannelPayload {
            channel: Channel(channel),
        })
    }

    /// Deletes a channel that no touchpoint uses.
    async fn delete_channel(
        &self,
        ctx: &Context<'_>,
        input: DeleteChannelInput,
    ) -> ApiResult<DeletePayload> {
        let (store, tenant) = writing(ctx, Scope::JourneysWrite)?;
        let id = ids::channel_id("id", &input.id)?;
        store.delete_channel(tenant, id).await?;
        Ok(DeletePayload {
            deleted_id: GlobalId::encode(NodeKind::Channel, id.uuid()),
        })
    }
}
