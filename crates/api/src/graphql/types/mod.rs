//! GraphQL object types: thin wrappers around domain values whose nested
//! fields go through the request's loaders.

pub mod channel;
pub mod connection;
pub mod enums;
pub mod insight;
pub mod journey;
pub mod node;
pub mod persona;
pub mod phase;
pub mod touchpoint;
pub mod trigger;
pub mod viewer;

pub use channel::Channel;
pub use connection::{JourneyConnection, PersonaConnection};
pub use insight::Insight;
pub use journey::Journey;
pub use node::Node;
pub use persona::Persona;
pub use phase::Phase;
pub use touchpoint::Touchpoint;
pub use trigger::Trigger;
pub use viewer::Viewer;
