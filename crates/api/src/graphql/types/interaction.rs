//! The `Interaction` type: a customer met a touchpoint at a moment.

use super::{Customer, Journey, Touchpoint};
use crate::error::ApiResult;
use crate::graphql::context::loaders;
use async_graphql::{Context, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use journeyd_domain as domain;

/// A customer met a touchpoint at a moment.
#[derive(Clone)]
pub struct Interaction(pub domain::Interaction);

/// An exact amount of money.
#[derive(SimpleObject, Clone)]
pub struct Money {
    /// The amount as a decimal string (exact, e.g. "79.9").
    pub amount: String,
    /// The ISO 4217 currency code.
    pub currency: String,
}

#[Object]
impl Interaction {
    /// The idempotency key the client gave it.
    async fn external_id(&self) -> &str {
        self.0.external_id.as_str()
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// When journeyd stored it.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }

    /// Sentiment, from -2 (very negative) to 2 (very positive).
    async fn sentiment(&self) -> Option<i32> {
        self.0.sentiment.map(|s| i32::from(s.get()))
    }

    /// Star rating, 1 to 5.
    async fn rating(&self) -> Option<i32> {
        self.0.rating.map(|r| i32::from(r.get()))
    }

    /// Answer to the NPS question, 0 to 10.
    async fn nps(&self) -> Option<i32> {
        self.0.nps.map(|n| i32::from(n.get()))
    }

    /// The value of the interaction.
    async fn value(&self) -> Option<Money> {
        self.0.value.map(|m| Money {
            amount: m.amount_text(),
            currency: m.currency.as_str().to_owned(),
        })
    }

    /// Free properties, as the client sent them.
    async fn properties(&self) -> Option<Json<serde_json::Value>> {
        self.0.properties.clone().map(Json)
    }

    /// The customer.
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Customer> {
        Ok(Customer(
            loaders(ctx)?.one(self.0.customer_id, "customer").await?,
        ))
    }

    /// The touchpoint.
    async fn touchpoint(&self, ctx: &Context<'_>) -> ApiResult<Touchpoint> {
        Ok(Touchpoint(
            loaders(ctx)?
                .one(self.0.touchpoint_id, "touchpoint")
                .await?,
        ))
    }

    /// The journey of the touchpoint.
    async fn journey(&self, ctx: &Context<'_>) -> ApiResult<Journey> {
        Ok(Journey(
            loaders(ctx)?.one(self.0.journey_id, "journey").await?,
        ))
    }
}
