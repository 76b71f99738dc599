//! Journey maps: the path customers take, with a goal, a state and a status.

use crate::{JourneyId, JourneyTemplate, Name, ValidationError, text};
use chrono::{DateTime, NaiveDate, Utc};

labelled_enum!(
    /// Whether a map describes the journey as it is or as it should become.
    JourneyState {
        /// The journey customers take today.
        Current => "CURRENT",
        /// The journey the organisation is designing.
        Future => "FUTURE",
    }
);

labelled_enum!(
    /// Where a map is in its life.
    JourneyStatus {
        /// Being drafted.
        Draft => "DRAFT",
        /// In use.
        Active => "ACTIVE",
        /// Kept for reference, no longer in use.
        Archived => "ARCHIVED",
    }
);

/// The optimistic-concurrency version of a journey: every change increments
/// it, and a change that names a stale version is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub i64);

impl Version {
    /// The version a new journey starts at.
    pub const FIRST: Version = Version(1);

    /// The version after this one.
    pub fn next(self) -> Version {
        Version(self.0 + 1)
    }
}

/// A SMART goal: what should happen, how it is measured, the target and the
/// deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyGoal {
    /// What the journey should achieve.
    pub statement: String,
    /// How progress is measured (e.g. "conversion rate").
    pub metric: Option<String>,
    /// The value of the metric to reach.
    pub target: Option<f64>,
    /// When the target should be reached.
    pub deadline: Option<NaiveDate>,
}

impl JourneyGoal {
    /// Validates a goal; the statement is required, the rest optional.
    pub fn parse(
        statement: &str,
        metric: Option<&str>,
        target: Option<f64>,
        deadline: Option<NaiveDate>,
    ) -> Result<Self, ValidationError> {
        let statement = text::optional_text("goal.statement", Some(statement), 1_000)?
            .ok_or_else(|| ValidationError::new("goal.statement", "must not be empty"))?;
        let metric = text::optional_text("goal.metric", metric, text::NAME_MAX_CHARS)?;
        if target.is_some_and(|value| !value.is_finite()) {
            return Err(ValidationError::new(
                "goal.target",
                "must be a finite number",
            ));
        }
        Ok(Self {
            statement,
            metric,
            target,
            deadline,
        })
    }
}

/// A stored journey map (its phases, touchpoints and research are separate
/// rows that point at it).
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    /// The journey's id.
    pub id: JourneyId,
    /// Its name.
    pub name: Name,
    /// What it covers.
    pub description: Option<String>,
    /// Its SMART goal, if set.
    pub goal: Option<JourneyGoal>,
    /// Current-state or future-state map.
    pub state: JourneyState,
    /// Draft, active or archived.
    pub status: JourneyStatus,
    /// The framework its phases were created from.
    pub template: JourneyTemplate,
    /// The optimistic-concurrency version.
    pub version: Version,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it (or its phase structure) last changed.
    pub updated_at: DateTime<Utc>,
}

/// A validated new journey.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJourney {
    /// Its name.
    pub name: Name,
    /// What it covers.
    pub description: Option<String>,
    /// Its SMART goal.
    pub goal: Option<JourneyGoal>,
    /// Current-state or future-state map.
    pub state: JourneyState,
    /// Draft, active or archived.
    pub status: JourneyStatus,
    /// The framework whose phases it starts with.
    pub template: JourneyTemplate,
}

/// A validated change to a journey's own fields; `None` leaves a field as it
/// is, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JourneyPatch {
    /// A new name.
    pub name: Option<Name>,
    /// A new description, or none.
    pub description: Option<Option<String>>,
    /// A new goal, or none.
    pub goal: Option<Option<JourneyGoal>>,
    /// A new state.
    pub state: Option<JourneyState>,
    /// A new status.
    pub status: Option<JourneyStatus>,
}

impl JourneyPatch {
    /// Applies the patch to `journey` (without touching its version).
    pub fn apply_to(self, journey: &mut Journey) {
        if let Some(name) = self.name {
            journey.name = name;
        }
        if let Some(description) = self.description {
            journey.description = description;
        }
        if let Some(goal) = self.goal {
            journey.goal = goal;
        }
        if let Some(state) = self.state {
            journey.state = state;
        }
        if let Some(status) = self.status {
            journey.status = status;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goal_needs_a_statement_and_a_finite_target() {
        assert!(JourneyGoal::parse(" ", None, None, None).is_err());
        let err = JourneyGoal::parse("More buyers", None, Some(f64::NAN), None).unwrap_err();
        assert_eq!(err.field, "goal.target");
        let goal =
            JourneyGoal::parse(" More buyers ", Some("conversion"), Some(0.05), None).unwrap();
        assert_eq!(goal.statement, "More buyers");
    }

    #[test]
    fn labels_round_trip() {
        for state in JourneyState::ALL {
            assert_eq!(JourneyState::from_label(state.label()), Some(*state));
        }
        assert_eq!(JourneyStatus::from_label("archived"), None);
        assert_eq!(Version::FIRST.next(), Version(2));
    }
}
