//! Mutations: each takes one `input` object and returns a payload object.
//! Every mutation here needs the `journeys:write` scope.

mod channel;
pub mod ingest;
mod insight;
mod journey;
mod persona;
mod phase;
mod touchpoint;
mod trigger;

use async_graphql::{ID, MergedObject, SimpleObject};

/// The root of every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    journey::JourneyMutation,
    phase::PhaseMutation,
    persona::PersonaMutation,
    channel::ChannelMutation,
    touchpoint::TouchpointMutation,
    trigger::TriggerMutation,
    insight::InsightMutation,
    ingest::IngestMutation,
);

/// The answer to a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The global id of what was deleted.
    pub deleted_id: ID,
}
