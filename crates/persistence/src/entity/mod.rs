//! SeaORM entities, one per table. They never leave this crate: repositories
//! convert them to domain types.

pub mod channel;
pub mod insight;
pub mod journey;
pub mod journey_persona;
pub mod persona;
pub mod phase;
pub mod tenant;
pub mod touchpoint;
pub mod trigger;
