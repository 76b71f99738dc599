//! The GraphQL schema: types, root query, mutations and per-request loaders.

mod context;
mod cursor;
mod ids;
mod input;
mod loaders;
mod metrics;
mod mutation;
mod prefetch;
mod query;
mod scalars;
mod types;

pub use context::RequestData;
pub use ids::{GlobalId, NodeKind};
pub use loaders::Loaders;
pub use mutation::ingest::{
    CustomerInput, InteractionInput, MoneyInput, validate_customer, validate_interaction,
};

use async_graphql::{EmptySubscription, Schema};
use journeyd_persistence::Store;

/// journeyd's executable schema.
pub type ApiSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Limits applied to every request.
#[derive(Debug, Clone)]
pub struct SchemaLimits {
    /// The deepest a query may nest.
    pub max_depth: usize,
    /// The most a query may cost (each field costs 1, lists by their page size).
    pub max_complexity: usize,
    /// The most items one ingest call (interactions, customers) may carry.
    pub max_batch_items: usize,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 50_000,
            max_batch_items: 1_000,
        }
    }
}

/// Builds the schema once; it is shared by every request.
pub fn build_schema(store: Store, limits: &SchemaLimits) -> ApiSchema {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        EmptySubscription,
    )
    .data(store)
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn schema_sdl() -> String {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}
