//! The `Trigger` type: a stimulus that starts a journey or moves it on.

use super::enums::TriggerKind;
use super::{Journey, Phase};
use crate::error::ApiResult;
use crate::graphql::context::loaders;
use crate::graphql::ids::{GlobalId, NodeKind};
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use journeyd_domain as domain;

/// A stimulus that starts the journey or moves a persona to the next phase.
#[derive(Clone)]
pub struct Trigger(pub domain::Trigger);

#[Object]
impl Trigger {
    /// The trigger's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Trigger, self.0.id.uuid())
    }

    /// Its name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// What it is.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Its kind.
    async fn kind(&self) -> TriggerKind {
        self.0.kind.into()
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The journey it belongs to.
    async fn journey(&self, ctx: &Context<'_>) -> ApiResult<Journey> {
        Ok(Journey(
            loaders(ctx)?.one(self.0.journey_id, "journey").await?,
        ))
    }

    /// The phase it moves customers into (none: it starts the journey).
    async fn phase(&self, ctx: &Context<'_>) -> ApiResult<Option<Phase>> {
        match self.0.phase_id {
            Some(id) => Ok(Some(Phase(loaders(ctx)?.one(id, "phase").await?))),
            None => Ok(None),
        }
    }
}
