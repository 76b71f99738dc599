//! GraphQL object types: thin wrappers around domain values whose nested
//! fields go through the request's loaders.

pub mod channel;
pub mod connection;
pub mod customer;
pub mod enums;
pub mod insight;
pub mod interaction;
pub mod journey;
pub mod node;
pub mod persona;
pub mod phase;
pub mod touchpoint;
pub mod trigger;
pub mod viewer;

pub use channel::Channel;
pub use connection::{
    CustomerConnection, InteractionConnection, JourneyConnection, PersonaConnection,
};
pub use customer::Customer;
pub use insight::Insight;
pub use interaction::Interaction;
pub use journey::Journey;
pub use node::Node;
pub use persona::Persona;
pub use phase::Phase;
pub use touchpoint::Touchpoint;
pub use trigger::Trigger;
pub use viewer::Viewer;
