//! Channels: tenant-level, unique by name, never deleted while in use.

use super::tenant_and_in;
use crate::entity::{channel, touchpoint};
use crate::error::FoundExt;
use crate::{Store, StoreError, convert};
use journeyd_domain::*;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

fn channel_row(
    tenant: TenantId,
    channel: &Channel,
    at: chrono::DateTime<chrono::Utc>,
) -> channel::ActiveModel {
    channel::ActiveModel {
        tenant_id: Set(tenant.uuid()),
        id: Set(channel.id.uuid()),
        name: Set(channel.name.as_str().to_owned()),
        kind: Set(channel.kind.label().to_owned()),
        description: Set(channel.description.clone()),
        created_at: Set(at),
    }
}

fn name_taken(name: &Name) -> String {
    format!("a channel named '{name}' already exists")
}

impl Store {
    /// Creates a channel; a name already taken is a conflict.
    pub async fn create_channel(
        &self,
        tenant: TenantId,
        new: NewChannel,
    ) -> Result<Channel, StoreError> {
        let channel = Channel {
            id: ChannelId::generate(),
            name: new.name,
            kind: new.kind,
            description: new.description,
        };
        channel::Entity::insert(channel_row(tenant, &channel, super::now()))
            .exec_without_returning(self.db.conn())
            .await
            .map_err(|e| StoreError::unique_violation_as(e, || name_taken(&channel.name)))?;
        Ok(channel)
    }

    /// The channel with this id.
    pub async fn channel(&self, tenant: TenantId, id: ChannelId) -> Result<Channel, StoreError> {
        channel::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(self.db.conn())
            .await?
            .found("channel")
            .and_then(convert::channel)
    }

    /// The channels with these ids (missing ones are left out).
    pub async fn channels_by_ids(
        &self,
        tenant: TenantId,
        ids: &[ChannelId],
    ) -> Result<Vec<Channel>, StoreError> {
        let rows = channel::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                channel::Column::TenantId,
                tenant,
                channel::Column::Id,
                ids.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::channel)
    }

    /// Every channel of the tenant, by name, optionally of one kind.
    pub async fn list_channels(
        &self,
        tenant: TenantId,
        kind: Option<ChannelKind>,
    ) -> Result<Vec<Channel>, StoreError> {
        let mut select =
            channel::Entity::find().filter(channel::Column::TenantId.eq(tenant.uuid()));
        if let Some(kind) = kind {
            select = select.filter(channel::Column::Kind.eq(kind.label()));
        }
        let rows = select
            .order_by_asc(channel::Column::Name)
            .order_by_asc(channel::Column::Id)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::channel)
    }

    /// Changes a channel.
    pub async fn update_channel(
        &self,
        tenant: TenantId,
        id: ChannelId,
        patch: ChannelPatch,
    ) -> Result<Channel, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = channel::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(&txn)
            .await?
            .found("channel")?;
        let created_at = row.created_at;
        let mut channel = convert::channel(row)?;
        patch.apply_to(&mut channel);
        channel::Entity::update(channel_row(tenant, &channel, created_at))
            .exec(&txn)
            .await
            .map_err(|e| StoreError::unique_violation_as(e, || name_taken(&channel.name)))?;
        txn.commit().await?;
        Ok(channel)
    }

    /// Deletes a channel that no touchpoint uses.
    pub async fn delete_channel(&self, tenant: TenantId, id: ChannelId) -> Result<(), StoreError> {
        let txn = self.db.begin_write().await?;
        channel::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(&txn)
            .await?
            .found("channel")?;
        let users = touchpoint::Entity::find()
            .filter(touchpoint::Column::TenantId.eq(tenant.uuid()))
            .filter(touchpoint::Column::ChannelId.eq(id.uuid()))
            .count(&txn)
            .await?;
        if users > 0 {
            return Err(StoreError::Conflict(format!(
                "the channel is used by {users} touchpoint(s); move them to another channel first"
            )));
        }
        channel::Entity::delete_by_id((tenant.uuid(), id.uuid()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}
