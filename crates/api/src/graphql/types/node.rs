//! The Relay `Node` interface: any object fetchable by its global id.

use super::{Channel, Customer, Insight, Journey, Persona, Phase, Touchpoint, Trigger};
use async_graphql::{ID, Interface};

/// An object with a global id, fetchable through `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's global id."))]
pub enum Node {
    /// A journey.
    Journey(Journey),
    /// A phase.
    Phase(Phase),
    /// A persona.
    Persona(Persona),
    /// A channel.
    Channel(Channel),
    /// A touchpoint.
    Touchpoint(Touchpoint),
    /// A trigger.
    Trigger(Trigger),
    /// An insight.
    Insight(Insight),
    /// A customer.
    Customer(Customer),
}
