//! The root query.

use crate::error::{ApiError, ApiResult};
use crate::graphql::context::{authenticated, loaders, scoped};
use crate::graphql::ids::{self, GlobalId, NodeKind};
use crate::graphql::input::page_request;
use crate::graphql::types::enums::{
    ChannelKind, JourneyOrderField, JourneyState, JourneyStatus, OrderDirection,
};
use crate::graphql::types::*;
use crate::graphql::{cursor, prefetch};
use async_graphql::{Context, ID, InputObject, MergedObject, Object};
use journeyd_domain::{self as domain, Scope, TouchpointKey};
use journeyd_persistence::{CustomerKey, JourneyFilter, JourneyKey, JourneyOrder, PersonaKey};

/// Which journeys to list.
#[derive(InputObject, Default)]
pub struct JourneyFilterInput {
    /// Only journeys with this status.
    pub status: Option<JourneyStatus>,
    /// Only journeys in this state.
    pub state: Option<JourneyState>,
    /// Only journeys whose name contains this text (case-insensitive).
    pub search: Option<String>,
}

/// How to order a journey listing.
#[derive(InputObject, Default)]
pub struct JourneyOrderInput {
    /// The field to order by.
    #[graphql(default)]
    pub field: JourneyOrderField,
    /// The direction.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// The longest search text accepted.
const MAX_SEARCH_CHARS: usize = 200;

fn search_text(search: Option<String>) -> ApiResult<Option<String>> {
    match search {
        Some(text) if text.chars().count() > MAX_SEARCH_CHARS => Err(ApiError::bad_input(
            "search",
            format!("must not be longer than {MAX_SEARCH_CHARS} characters"),
        )),
        Some(text) if text.chars().any(char::is_control) => Err(ApiError::bad_input(
            "search",
            "must not contain control characters",
        )),
        other => Ok(other),
    }
}

/// The root of every query.
#[derive(MergedObject, Default)]
pub struct Query(MapQuery, crate::graphql::metrics::MetricsQuery);

/// Journey maps, personas, channels, touchpoints and customers.
#[derive(Default)]
pub struct MapQuery;

#[Object]
impl MapQuery {
    /// Any object by its global id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> ApiResult<Option<Node>> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let global = GlobalId::decode("id", &id)?;
        let uuid = global.uuid;
        let node = match global.kind {
            NodeKind::Journey => {
                let journey = store
                    .journey(tenant, domain::JourneyId::from_uuid(uuid))
                    .await?;
                prefetch::journey_maps(
                    ctx,
                    store,
                    tenant,
                    std::slice::from_ref(&journey),
                    &ctx.look_ahead(),
                )
                .await?;
                Node::Journey(Journey(journey))
            }
            NodeKind::Phase => Node::Phase(Phase(
                store
                    .phase(tenant, domain::PhaseId::from_uuid(uuid))
                    .await?,
            )),
            NodeKind::Persona => Node::Persona(Persona(
                store
                    .persona(tenant, domain::PersonaId::from_uuid(uuid))
                    .await?,
            )),
            NodeKind::Channel => Node::Channel(Channel(
                store
                    .channel(tenant, domain::ChannelId::from_uuid(uuid))
                    .await?,
            )),
            NodeKind::Touchpoint => Node::Touchpoint(Touchpoint(
                store
                    .touchpoint(tenant, domain::TouchpointId::from_uuid(uuid))
                    .await?,
            )),
            NodeKind::Trigger => Node::Trigger(Trigger(
                store
                    .trigger(tenant, domain::TriggerId::from_uuid(uuid))
                    .await?,
            )),
            NodeKind::Insight => Node::Insight(Insight(
                store
                    .insight(tenant, domain::InsightId::from_uuid(uuid))
                    .await?,
            )),
            NodeKind::Customer => {
                let customers = store
                    .customers_by_ids(tenant, &[domain::CustomerId::from_uuid(uuid)])
                    .await?;
                let customer = customers
                    .into_iter()
                    .next()
                    .ok_or_else(|| ApiError::NotFound("customer".into()))?;
                Node::Customer(Customer(customer))
            }
        };
        Ok(Some(node))
    }

    /// Who is calling: the token's subject, tenant and scopes.
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Viewer> {
        Ok(Viewer::from(authenticated(ctx)?))
    }

    /// A journey by id.
    async fn journey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey's id.")] id: ID,
    ) -> ApiResult<Option<Journey>> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let journey = store.journey(tenant, ids::journey_id("id", &id)?).await?;
        prefetch::journey_maps(
            ctx,
            store,
            tenant,
            std::slice::from_ref(&journey),
            &ctx.look_ahead(),
        )
        .await?;
        Ok(Some(Journey(journey)))
    }

    /// The tenant's journeys, a page at a time.
    #[graphql(complexity = "crate::graphql::input::page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn journeys(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return the first n journeys (at most the page size limit, 100 by default)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Return the last n journeys (at most the page size limit, 100 by default)."
        )]
        last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which journeys to list (default: all).")] filter: Option<
            JourneyFilterInput,
        >,
        #[graphql(desc = "The order (default: by creation time, oldest first).")] order_by: Option<
            JourneyOrderInput,
        >,
    ) -> ApiResult<JourneyConnection> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let page = page_request(ctx, first, after, last, before, cursor::decode_journey)?;
        let filter = filter.unwrap_or_default();
        let filter = JourneyFilter {
            status: filter.status.map(Into::into),
            state: filter.state.map(Into::into),
            search: search_text(filter.search)?,
        };
        let order_by = order_by.unwrap_or_default();
        let order = match order_by.field {
            JourneyOrderField::CreatedAt => JourneyOrder::Created,
            JourneyOrderField::Name => JourneyOrder::Name,
            JourneyOrderField::UpdatedAt => JourneyOrder::Updated,
        };
        let descending = order_by.direction == OrderDirection::Desc;
        let journeys = store
            .list_journeys(tenant, &filter, order, descending, &page)
            .await?;
        let selection = ctx.look_ahead();
        let total = if selection.field("totalCount").exists() {
            store.count_journeys(tenant, &filter).await? as i64
        } else {
            0
        };
        for nodes in [
            selection.field("nodes"),
            selection.field("edges").field("node"),
        ] {
            if nodes.exists() {
                prefetch::journey_maps(ctx, store, tenant, &journeys.items, &nodes).await?;
            }
        }
        let items = journeys
            .items
            .into_iter()
            .map(|j| {
                (
                    cursor::encode_journey(&JourneyKey::of(&j, order)),
                    Journey(j),
                )
            })
            .collect();
        Ok(JourneyConnection::new(
            items,
            journeys.has_next,
            journeys.has_previous,
            total,
        ))
    }

    /// A persona by id.
    async fn persona(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The persona's id.")] id: ID,
    ) -> ApiResult<Option<Persona>> {
        let (_, _) = scoped(ctx, Scope::JourneysRead)?;
        let id = ids::persona_id("id", &id)?;
        Ok(Some(Persona(loaders(ctx)?.one(id, "persona").await?)))
    }

    /// The tenant's personas, oldest first, a page at a time.
    #[graphql(complexity = "crate::graphql::input::page_cost(first, last, child_complexity)")]
    async fn personas(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return the first n personas (at most the page size limit, 100 by default)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Return the last n personas (at most the page size limit, 100 by default)."
        )]
        last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only personas whose name contains this text.")] search: Option<String>,
    ) -> ApiResult<PersonaConnection> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let page = page_request(ctx, first, after, last, before, cursor::decode_persona)?;
        let search = search_text(search)?;
        let personas = store
            .list_personas(tenant, search.as_deref(), &page)
            .await?;
        let items = personas
            .items
            .into_iter()
            .map(|p| (cursor::encode_persona(&PersonaKey(p.id)), Persona(p)))
            .collect();
        let total = if ctx.look_ahead().field("totalCount").exists() {
            store.count_personas(tenant, search.as_deref()).await? as i64
        } else {
            0
        };
        Ok(PersonaConnection::new(
            items,
            personas.has_next,
            personas.has_previous,
            total,
        ))
    }

    /// The tenant's channels, by name.
    async fn channels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only channels of this kind.")] kind: Option<ChannelKind>,
    ) -> ApiResult<Vec<Channel>> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let channels = store.list_channels(tenant, kind.map(Into::into)).await?;
        Ok(channels.into_iter().map(Channel).collect())
    }

    /// A customer by the CRM's id.
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id in the CRM.")] external_id: String,
    ) -> ApiResult<Option<Customer>> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let external_id = domain::ExternalId::parse("externalId", &external_id)?;
        Ok(Some(Customer(
            store.customer_by_external_id(tenant, &external_id).await?,
        )))
    }

    /// The tenant's customers, oldest first, a page at a time.
    #[graphql(complexity = "crate::graphql::input::page_cost(first, last, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Return the first n customers (at most the page size limit, 100 by default)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Return the last n customers (at most the page size limit, 100 by default)."
        )]
        last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only customers assigned to this persona (NOT_FOUND if there is none).")]
        persona_id: Option<ID>,
    ) -> ApiResult<CustomerConnection> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let page = page_request(ctx, first, after, last, before, cursor::decode_customer)?;
        let persona = persona_id
            .as_ref()
            .map(|p| ids::persona_id("personaId", p))
            .transpose()?;
        if let Some(persona) = persona {
            // A filter by a persona this tenant does not have is a mistake.
            store.persona(tenant, persona).await?;
        }
        let customers = store.list_customers(tenant, persona, &page).await?;
        let total = if ctx.look_ahead().field("totalCount").exists() {
            store.count_customers(tenant, persona).await? as i64
        } else {
            0
        };
        let items = customers
            .items
            .into_iter()
            .map(|c| (cursor::encode_customer(&CustomerKey(c.id)), Customer(c)))
            .collect();
        Ok(CustomerConnection::new(
            items,
            customers.has_next,
            customers.has_previous,
            total,
        ))
    }

    /// A touchpoint by id, or by journey and key (as CRM systems address it).
    async fn touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint's id.")] id: Option<ID>,
        #[graphql(desc = "The journey, with `key`.")] journey_id: Option<ID>,
        #[graphql(desc = "The touchpoint's key in that journey.")] key: Option<String>,
    ) -> ApiResult<Option<Touchpoint>> {
        let (store, tenant) = scoped(ctx, Scope::JourneysRead)?;
        let touchpoint = match (id, journey_id, key) {
            (Some(id), None, None) => {
                store
                    .touchpoint(tenant, ids::touchpoint_id("id", &id)?)
                    .await?
            }
            (None, Some(journey), Some(key)) => {
                let journey = ids::journey_id("journeyId", &journey)?;
                let key = TouchpointKey::parse(&key)?;
                store.touchpoint_by_key(tenant, journey, &key).await?
            }
            _ => {
                return Err(ApiError::bad_input(
                    "id",
                    "give either id, or journeyId and key",
                ));
            }
        };
        Ok(Some(Touchpoint(touchpoint)))
    }
}
