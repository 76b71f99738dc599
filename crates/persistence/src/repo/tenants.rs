//! Tenants: created by operators on the command line, resolved on every request.

use crate::entity::tenant;
use crate::{Store, StoreError, convert};
use journeyd_domain::{Name, Tenant, TenantId, TenantSlug};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

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
