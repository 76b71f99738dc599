//! The journeyd domain: the types of a customer-journey map, their validation,
//! the journey templates and the access scopes.
//!
//! This crate is plain Rust: no I/O, no ORM, no GraphQL. Every value that
//! reaches the storage layer has been validated here, so an invalid name, key
//! or position cannot be represented by the types the other crates use.

#[macro_use]
mod labels;

pub mod access;
pub mod channel;
pub mod customer;
pub mod error;
pub mod funnel;
pub mod ids;
pub mod insight;
pub mod interaction;
pub mod journey;
pub mod metrics;
pub mod money;
pub mod persona;
pub mod phase;
pub mod template;
pub mod tenant;
pub mod text;
pub mod touchpoint;
pub mod trigger;

pub use access::{Scope, Scopes};
pub use channel::{Channel, ChannelKind, ChannelPatch, NewChannel};
pub use customer::{Customer, CustomerId, CustomerOutcome, CustomerUpsert, ExternalId};
pub use error::ValidationError;
pub use ids::{
    ChannelId, InsightId, JourneyId, PersonaId, PhaseId, TenantId, TouchpointId, TriggerId,
};
pub use insight::{Insight, InsightKind, InsightPatch, InsightTarget, NewInsight, Severity};
pub use interaction::{
    Interaction, InteractionDraft, ItemOutcome, NewInteraction, NpsScore, Rating, RejectionCode,
    SentimentScore, TouchpointRef,
};
pub use journey::{
    Journey, JourneyGoal, JourneyPatch, JourneyState, JourneyStatus, NewJourney, Version,
};
pub use money::{Currency, Money};
pub use persona::{LabeledValue, NewPersona, Persona, PersonaPatch};
pub use phase::{NewPhase, Phase, PhasePatch, PhaseRemoval, Stage};
pub use template::JourneyTemplate;
pub use tenant::{Tenant, TenantSlug};
pub use text::{Name, TouchpointKey};
pub use touchpoint::{Kpi, NewTouchpoint, Sentiment, Touchpoint, TouchpointPatch};
pub use trigger::{NewTrigger, Trigger, TriggerKind, TriggerPatch};
