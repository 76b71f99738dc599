//! The `Customer` type: a real (pseudonymous) customer known by its CRM id.

use super::{InteractionConnection, Persona};
use crate::error::ApiResult;
use crate::graphql::context::{loaders, store};
use crate::graphql::cursor;
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::page_request;
use crate::graphql::loaders::ActivityOf;
use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use journeyd_domain as domain;
use journeyd_persistence::{InteractionFilter, InteractionKey};

/// A real customer, known by the CRM's id and assigned to a persona.
#[derive(Clone)]
pub struct Customer(pub domain::Customer);

#[Object]
impl Customer {
    /// The customer's global id.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Customer, self.0.id.uuid())
    }

    /// The CRM's id for the customer.
    async fn external_id(&self) -> &str {
        self.0.external_id.as_str()
    }

    /// The persona (segment) the customer is assigned to.
    async fn persona(&self, ctx: &Context<'_>) -> ApiResult<Option<Persona>> {
        match self.0.persona_id {
            Some(id) => Ok(Some(Persona(loaders(ctx)?.one(id, "persona").await?))),
            None => Ok(None),
        }
    }

    /// Free attributes, as the CRM sent them.
    async fn attributes(&self) -> Json<serde_json::Value> {
        Json(self.0.attributes.clone())
    }

    /// The moment of the customer's earliest interaction.
    async fn first_seen_at(&self, ctx: &Context<'_>) -> ApiResult<Option<DateTime<Utc>>> {
        let activity = loaders(ctx)?
            .one(ActivityOf(self.0.id), "activity")
            .await
            .ok();
        Ok(activity.map(|a| a.first_seen_at))
    }

    /// The moment of the customer's latest interaction.
    async fn last_seen_at(&self, ctx: &Context<'_>) -> ApiResult<Option<DateTime<Utc>>> {
        let activity = loaders(ctx)?
            .one(ActivityOf(self.0.id), "activity")
            .await
            .ok();
        Ok(activity.map(|a| a.last_seen_at))
    }

    /// When the customer was first stored.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the customer's persona or attributes last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The customer's interactions, in time order, a page at a time.
    #[graphql(complexity = "crate::graphql::input::page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return the first n interactions (at most the page size limit, 100 by default)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Return the last n interactions (at most the page size limit, 100 by default)."
        )]
        last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only interactions in this journey.")] journey_id: Option<ID>,
        #[graphql(desc = "Only interactions at or after this moment.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Only interactions before this moment.")] to: Option<DateTime<Utc>>,
    ) -> ApiResult<InteractionConnection> {
        let session = crate::graphql::context::authenticated(ctx)?;
        let page = page_request(ctx, first, after, last, before, cursor::decode_interaction)?;
        let filter = InteractionFilter {
            journey: journey_id
                .as_ref()
                .map(|j| ids::journey_id("journeyId", j))
                .transpose()?,
            from,
            to,
        };
        let interactions = store(ctx)
            .list_interactions(session.tenant, self.0.id, &filter, &page)
            .await?;
        let items = interactions
            .items
            .into_iter()
            .map(|i| {
                let key = InteractionKey {
                    occurred_at_us: i.occurred_at.timestamp_micros(),
                    external_id: i.external_id.as_str().to_owned(),
                };
                (cursor::encode_interaction(&key), super::Interaction(i))
            })
            .collect();
        Ok(InteractionConnection::new(
            items,
            interactions.has_next,
            interactions.has_previous,
            0,
        ))
    }
}
