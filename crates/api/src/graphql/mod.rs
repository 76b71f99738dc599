//! The GraphQL schema: types, root query, mutations and per-request loaders.

mod context;
pub(crate) mod cursor;
mod ids;
mod input;
pub(crate) mod limits;
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
pub use metrics::MetricsMemo;
pub use mutation::ingest::{
    CustomerInput, InteractionInput, MoneyInput, validate_customer, validate_interaction,
};

use crate::telemetry::Telemetry;
use async_graphql::{EmptySubscription, Schema};
use journeyd_persistence::Store;
use std::sync::Arc;

/// journeyd's executable schema.
pub type ApiSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// The limits every request is held to. Each is checked before any work is
/// done and answered with a clear error (`LIMIT_EXCEEDED`, or
/// `BAD_USER_INPUT` for arguments such as a page size).
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// The longest GraphQL document (the `query` text), in bytes.
    pub max_document_bytes: usize,
    /// The deepest a query may nest.
    pub max_depth: usize,
    /// The most a query may cost: each field costs 1, a connection's fields
    /// cost their page size times, a metric query costs [`METRIC_COST`].
    pub max_complexity: usize,
    /// The most aliases in one document.
    pub max_aliases: usize,
    /// The most directives in one document.
    pub max_directives: usize,
    /// The most operations in one batch request (a JSON array).
    pub max_batch_operations: usize,
    /// The largest page (`first`/`last`) a connection returns.
    pub max_page_size: i32,
    /// The most items one ingest call (interactions, customers) may carry.
    pub max_batch_items: usize,
    /// How long one request may run before it is stopped.
    pub request_timeout: std::time::Duration,
    /// Whether the schema answers introspection queries.
    pub introspection: bool,
    /// Whether errors suggest similar names ("did you mean ...").
    pub suggestions: bool,
}

/// What one metric query adds to a query's cost.
pub const METRIC_COST: usize = 100;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 << 20,
            max_document_bytes: 32 << 10,
            max_depth: 12,
            max_complexity: 10_000,
            max_aliases: 30,
            max_directives: 30,
            max_batch_operations: 10,
            max_page_size: input::MAX_PAGE_SIZE,
            max_batch_items: 1_000,
            request_timeout: std::time::Duration::from_secs(30),
            introspection: true,
            suggestions: true,
        }
    }
}

/// Builds the schema once; it is shared by every request.
/// Ingest resolvers count their items in `telemetry`.
pub fn build_schema(store: Store, limits: &Limits, telemetry: Arc<Telemetry>) -> ApiSchema {
    let mut builder = Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        EmptySubscription,
    )
    .data(store)
    .data(limits.clone())
    .data(telemetry)
    .extension(limits::CostLimits {
        max_depth: limits.max_depth,
        max_complexity: limits.max_complexity,
    });
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    builder.finish()
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
