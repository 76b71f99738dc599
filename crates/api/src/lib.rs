//! journeyd's GraphQL API: the schema, its resolvers, authentication and the
//! axum router that serves it.
//!
//! Resolvers are thin: they check the caller's scope, turn GraphQL input into
//! validated domain values, call the [`Store`](journeyd_persistence::Store)
//! and map the result (or the error) back.

pub mod auth;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod graphql;
pub mod http;
pub mod telemetry;

pub use auth::{AuthConfig, Claims, Session, TokenIssuer};
pub use graphql::{ApiSchema, Limits, build_schema, schema_sdl};
pub use http::{AdmissionConfig, AppState, RateLimit, router};
