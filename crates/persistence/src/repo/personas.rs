//! Personas: tenant-level, linked to many journeys.

use super::journeys::like_contains;
use super::{now, tenant_and_in};
use crate::database::in_write_transaction;
use crate::entity::{journey, journey_persona, persona};
use crate::error::FoundExt;
use crate::page::{KeysetOrder, SortKey, finish};
use crate::{Page, PageRequest, Store, StoreError, convert};
use journeyd_domain::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use std::collections::HashMap;

/// A persona's place in a listing (personas are listed by creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonaKey(pub PersonaId);

fn persona_row(tenant: TenantId, persona: &Persona) -> persona::ActiveModel {
    persona::ActiveModel {
        tenant_id: Set(tenant.uuid()),
        id: Set(persona.id.uuid()),
        name: Set(persona.name.as_str().to_owned()),
        description: Set(persona.description.clone()),
        demographics: Set(convert::labeled_to_json(&persona.demographics)),
        goals: Set(convert::strings_to_json(&persona.goals)),
        frustrations: Set(convert::strings_to_json(&persona.frustrations)),
        motivations: Set(convert::strings_to_json(&persona.motivations)),
        preferred_channels: Set(convert::kinds_to_json(&persona.preferred_channels)),
        created_at: Set(persona.created_at),
        updated_at: Set(persona.updated_at),
    }
}

fn persona_condition(tenant: TenantId, search: Option<&str>) -> Condition {
    let mut condition = Condition::all().add(persona::Column::TenantId.eq(tenant.uuid()));
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        condition = condition.add(
            Expr::expr(Func::lower(Expr::col(persona::Column::Name))).like(like_contains(search)),
        );
    }
    condition
}

impl Store {
    /// How many personas match `search` (all of them without it).
    pub async fn count_personas(
        &self,
        tenant: TenantId,
        search: Option<&str>,
    ) -> Result<u64, StoreError> {
        Ok(persona::Entity::find()
            .filter(persona_condition(tenant, search))
            .count(self.db.conn())
            .await?)
    }

    /// Creates a persona.
    pub async fn create_persona(
        &self,
        tenant: TenantId,
        new: NewPersona,
    ) -> Result<Persona, StoreError> {
        let at = now();
        let persona = Persona {
            id: PersonaId::generate(),
            name: new.name,
            description: new.description,
            demographics: new.demographics,
            goals: new.goals,
            frustrations: new.frustrations,
            motivations: new.motivations,
            preferred_channels: new.preferred_channels,
            created_at: at,
            updated_at: at,
        };
        persona::Entity::insert(persona_row(tenant, &persona))
            .exec_without_returning(self.db.conn())
            .await?;
        Ok(persona)
    }

    /// The persona with this id.
    pub async fn persona(&self, tenant: TenantId, id: PersonaId) -> Result<Persona, StoreError> {
        persona::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(self.db.conn())
            .await?
            .found("persona")
            .and_then(convert::persona)
    }

    /// The personas with these ids (missing ones are left out).
    pub async fn personas_by_ids(
        &self,
        tenant: TenantId,
        ids: &[PersonaId],
    ) -> Result<Vec<Persona>, StoreError> {
        let rows = persona::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                persona::Column::TenantId,
                tenant,
                persona::Column::Id,
                ids.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        convert::all(rows, convert::persona)
    }

    /// One page of the tenant's personas, oldest first, optionally only those
    /// whose name contains `search`.
    pub async fn list_personas(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: &PageRequest<PersonaKey>,
    ) -> Result<Page<Persona>, StoreError> {
        let mut condition = Condition::all().add(persona::Column::TenantId.eq(tenant.uuid()));
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            condition = condition.add(
                Expr::expr(Func::lower(Expr::col(persona::Column::Name)))
                    .like(like_contains(search)),
            );
        }
        let keyset = KeysetOrder {
            sort: None,
            id: persona::Column::Id,
            descending: false,
        };
        let key = |k: &PersonaKey| SortKey {
            value: None,
            id: k.0.uuid(),
        };
        let keys = PageRequest {
            after: page.after.as_ref().map(key),
            before: page.before.as_ref().map(key),
            limit: page.limit,
            from_end: page.from_end,
        };
        let rows = keyset
            .apply(persona::Entity::find().filter(condition), &keys)
            .all(self.db.conn())
            .await?;
        finish(rows, page).try_map(convert::persona)
    }

    /// Changes a persona.
    pub async fn update_persona(
        &self,
        tenant: TenantId,
        id: PersonaId,
        patch: PersonaPatch,
    ) -> Result<Persona, StoreError> {
        let txn = self.db.begin_write().await?;
        let row = persona::Entity::find_by_id((tenant.uuid(), id.uuid()))
            .one(&txn)
            .await?
            .found("persona")?;
        let mut persona = convert::persona(row)?;
        patch.apply_to(&mut persona);
        persona.updated_at = now();
        persona::Entity::update(persona_row(tenant, &persona))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(persona)
    }

    /// Deletes a persona; its links to journeys go with it, the journeys stay,
    /// and its customers keep their interactions without a persona.
    pub async fn delete_persona(&self, tenant: TenantId, id: PersonaId) -> Result<(), StoreError> {
        // It locks the persona's customers, as ingest calls do.
        in_write_transaction!(&self.db, |txn| {
            async {
                persona::Entity::find_by_id((tenant.uuid(), id.uuid()))
                    .one(&txn)
                    .await?
                    .found("persona")?;
                super::customers::detach_persona(&txn, tenant, id.uuid()).await?;
                journey_persona::Entity::delete_many()
                    .filter(journey_persona::Column::TenantId.eq(tenant.uuid()))
                    .filter(journey_persona::Column::PersonaId.eq(id.uuid()))
                    .exec(&txn)
                    .await?;
                persona::Entity::delete_by_id((tenant.uuid(), id.uuid()))
                    .exec(&txn)
                    .await?;
                Ok(())
            }
            .await
        })
    }

    /// The personas linked to each of these journeys, by name.
    pub async fn personas_of_journeys(
        &self,
        tenant: TenantId,
        journeys: &[JourneyId],
    ) -> Result<Vec<(JourneyId, Persona)>, StoreError> {
        let links = journey_persona::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                journey_persona::Column::TenantId,
                tenant,
                journey_persona::Column::JourneyId,
                journeys.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        if links.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<PersonaId> = links
            .iter()
            .map(|l| PersonaId::from_uuid(l.persona_id))
            .collect();
        let personas: HashMap<PersonaId, Persona> = self
            .personas_by_ids(tenant, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut linked: Vec<(JourneyId, Persona)> = links
            .into_iter()
            .filter_map(|link| {
                let persona = personas
                    .get(&PersonaId::from_uuid(link.persona_id))?
                    .clone();
                Some((JourneyId::from_uuid(link.journey_id), persona))
            })
            .collect();
        linked.sort_by(|a, b| {
            a.1.name
                .as_str()
                .cmp(b.1.name.as_str())
                .then(a.1.id.cmp(&b.1.id))
        });
        Ok(linked)
    }

    /// The journeys each of these personas is linked to, by name.
    pub async fn journeys_of_personas(
        &self,
        tenant: TenantId,
        personas: &[PersonaId],
    ) -> Result<Vec<(PersonaId, Journey)>, StoreError> {
        let links = journey_persona::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                journey_persona::Column::TenantId,
                tenant,
                journey_persona::Column::PersonaId,
                personas.iter().map(|id| id.uuid()),
            ))
            .all(self.db.conn())
            .await?;
        if links.is_empty() {
            return Ok(Vec::new());
        }
        let rows = journey::Entity::find()
            .filter(tenant_and_in(
                self.db.conn(),
                journey::Column::TenantId,
                tenant,
                journey::Column::Id,
                links.iter().map(|l| l.journey_id),
            ))
            .order_by_asc(journey::Column::Name)
            .all(self.db.conn())
            .await?;
        let journeys: Vec<Journey> = convert::all(rows, convert::journey)?;
        let mut linked = Vec::with_capacity(links.len());
        for journey in journeys {
            for link in links.iter().filter(|l| l.journey_id == journey.id.uuid()) {
                linked.push((PersonaId::from_uuid(link.persona_id), journey.clone()));
            }
        }
        Ok(linked)
    }
}
