//! Triggers: stimuli that start a journey or move a persona to the next phase.

use crate::{JourneyId, Name, PhaseId, TriggerId};
use chrono::{DateTime, Utc};

labelled_enum!(
    /// What kind of stimulus a trigger is.
    TriggerKind {
        /// A need the customer feels.
        InternalNeed => "INTERNAL_NEED",
        /// An advertisement.
        Advertisement => "ADVERTISEMENT",
        /// A recommendation by someone the customer trusts.
        Recommendation => "RECOMMENDATION",
        /// A review or rating read online.
        Review => "REVIEW",
        /// A promotion or discount.
        Promotion => "PROMOTION",
        /// A reminder sent by the brand.
        Reminder => "REMINDER",
        /// A life or seasonal event.
        Event => "EVENT",
        /// Anything else.
        Other => "OTHER",
    }
);

/// A stored trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// The trigger's id.
    pub id: TriggerId,
    /// The journey it belongs to.
    pub journey_id: JourneyId,
    /// The phase it moves the customer into, if any (none: it starts the journey).
    pub phase_id: Option<PhaseId>,
    /// Its name.
    pub name: Name,
    /// What it is.
    pub description: Option<String>,
    /// Its kind.
    pub kind: TriggerKind,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A validated new trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrigger {
    /// The phase it moves the customer into, if any.
    pub phase_id: Option<PhaseId>,
    /// Its name.
    pub name: Name,
    /// What it is.
    pub description: Option<String>,
    /// Its kind.
    pub kind: TriggerKind,
}

/// A validated change to a trigger.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerPatch {
    /// A new phase, or none (the journey as a whole).
    pub phase_id: Option<Option<PhaseId>>,
    /// A new name.
    pub name: Option<Name>,
    /// A new description, or none.
    pub description: Option<Option<String>>,
    /// A new kind.
    pub kind: Option<TriggerKind>,
}

impl TriggerPatch {
    /// Applies the patch to `trigger`.
    pub fn apply_to(self, trigger: &mut Trigger) {
        if let Some(phase_id) = self.phase_id {
            trigger.phase_id = phase_id;
        }
        if let Some(name) = self.name {
            trigger.name = name;
        }
        if let Some(description) = self.description {
            trigger.description = description;
        }
        if let Some(kind) = self.kind {
            trigger.kind = kind;
        }
    }
}
