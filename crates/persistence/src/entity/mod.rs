//! SeaORM entities, one per table. They never leave this crate: repositories
//! convert them to domain types.

pub mod channel;
pub mod customer;
pub mod insight;
pub mod interaction;
pub mod interaction_stat;
pub mod journey;
pub mod journey_chain;
pub mod journey_conversion;
pub mod journey_persona;
pub mod journey_window;
pub mod map_epoch;
pub mod persona;
pub mod phase;
pub mod tenant;
pub mod touchpoint;
pub mod trigger;
