//! Tenants: created by operators on the command line, resolved on every request.

use crate::entity::{map_epoch, tenant};
use crate::{Store, StoreError, convert};
use journeyd_domain::{Name, Tenant, TenantId, TenantSlug};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

impl Store {
    /// Creates a tenant; a slug already taken is a conflict.
    pub async fn create_tenant(&self, slug: TenantSlug, name: Name) -> Result<Tenant, StoreError> {
        let row = tenant::ActiveModel {
            id: Set(TenantId::generate().uuid()),
            slug: Set(slug.as_str().to_owned()),
            name: Set(name.into_string()),
            created_at: Set(super::now()),
        };
        let model = tenant::Entity::insert(row)
            .exec_with_returning(self.db.conn())
            .await
            .map_err(|e| {
                StoreError::unique_violation_as(e, || format!("tenant '{slug}' already exists"))
            })?;
        convert::tenant(model)
    }

    /// The tenant's journey-map epoch: it grows in the same transaction as
    /// every change to its journeys, phases, touchpoints, channels, personas,
    /// triggers and insights, so a read made at an epoch that is still
    /// current is still exact.
    pub async fn map_epoch(&self, tenant: TenantId) -> Result<i64, StoreError> {
        // No row yet: the tenant's map never changed.
        Ok(map_epoch::Entity::find_by_id(tenant.uuid())
            .select_only()
            .column(map_epoch::Column::Epoch)
            .into_tuple::<i64>()
            .one(self.db.conn())
            .await?
            .unwrap_or(0))
    }

    /// The tenant with this slug, if any.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug))
            .one(self.db.conn())
            .await?
            .map(convert::tenant)
            .transpose()
    }

    /// Every tenant, by slug.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = tenant::Entity::find()
            .order_by_asc(tenant::Column::Slug)
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::tenant)
    }
}
