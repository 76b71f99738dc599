//! The `Persona` type: a fictional, representative customer.

use super::Journey;
use super::enums::ChannelKind;
use crate::error::ApiResult;
use crate::graphql::context::loaders;
use crate::graphql::ids::{GlobalId, NodeKind};
use crate::graphql::loaders::*;
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use journeyd_domain as domain;

/// A fictional, representative customer, shared by the tenant's journeys.
#[derive(Clone)]
pub struct Persona(pub domain::Persona);

/// A labelled fact, such as a demographic.
#[derive(SimpleObject, Clone)]
pub struct LabeledValue {
    /// What the value describes ("Age").
    pub label: String,
    /// The value ("35-44").
    pub value: String,
}

#[Object]
impl Persona {
    /// The persona's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Persona, self.0.id.uuid())
    }

    /// Its name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// Who it represents.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Age, occupation, location, ...
    async fn demographics(&self) -> Vec<LabeledValue> {
        self.0
            .demographics
            .iter()
            .map(|d| LabeledValue {
                label: d.label.clone(),
                value: d.value.clone(),
            })
            .collect()
    }

    /// What it wants to achieve.
    async fn goals(&self) -> &[String] {
        &self.0.goals
    }

    /// What frustrates it (its pain points).
    async fn frustrations(&self) -> &[String] {
        &self.0.frustrations
    }

    /// What drives it.
    async fn motivations(&self) -> &[String] {
        &self.0.motivations
    }

    /// The channels it prefers.
    async fn preferred_channels(&self) -> Vec<ChannelKind> {
        self.0
            .preferred_channels
            .iter()
            .map(|k| (*k).into())
            .collect()
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The journeys it travels, by name.
    async fn journeys(&self, ctx: &Context<'_>) -> ApiResult<Vec<Journey>> {
        let journeys = loaders(ctx)?.many(JourneysOfPersona(self.0.id)).await?;
        Ok(journeys.into_iter().map(Journey).collect())
    }
}
