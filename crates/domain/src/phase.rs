//! Phases: the ordered steps of a journey, and the rules that keep their
//! positions dense (0, 1, 2, ... with no gaps or repeats).

use crate::{JourneyId, Name, PhaseId, Sentiment, ValidationError};
use chrono::{DateTime, Utc};

labelled_enum!(
    /// The canonical stage of a phase, so journeys built on different
    /// templates can be compared.
    Stage {
        /// Discovering a need and the brand.
        Awareness => "AWARENESS",
        /// Comparing options.
        Consideration => "CONSIDERATION",
        /// Choosing and buying.
        Decision => "DECISION",
        /// Using, being served, staying.
        Retention => "RETENTION",
        /// Recommending the brand.
        Advocacy => "ADVOCACY",
    }
);

/// A stored phase.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// The phase's id.
    pub id: PhaseId,
    /// The journey it belongs to.
    pub journey_id: JourneyId,
    /// Its place in the journey, from 0, dense.
    pub position: u32,
    /// Its name.
    pub name: Name,
    /// Its canonical stage.
    pub stage: Stage,
    /// What happens in it.
    pub description: Option<String>,
    /// What the customer wants to achieve here.
    pub customer_goals: Vec<String>,
    /// What the customer asks here.
    pub questions: Vec<String>,
    /// The emotion the customer is expected to feel here.
    pub expected_emotion: Option<Sentiment>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A validated new phase (where it goes is decided separately).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhase {
    /// Its name.
    pub name: Name,
    /// Its canonical stage.
    pub stage: Stage,
    /// What happens in it.
    pub description: Option<String>,
    /// What the customer wants to achieve here.
    pub customer_goals: Vec<String>,
    /// What the customer asks here.
    pub questions: Vec<String>,
    /// The expected emotion.
    pub expected_emotion: Option<Sentiment>,
}

/// A validated change to a phase's own fields (moving it is separate).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhasePatch {
    /// A new name.
    pub name: Option<Name>,
    /// A new stage.
    pub stage: Option<Stage>,
    /// A new description, or none.
    pub description: Option<Option<String>>,
    /// New customer goals.
    pub customer_goals: Option<Vec<String>>,
    /// New questions.
    pub questions: Option<Vec<String>>,
    /// A new expected emotion, or none.
    pub expected_emotion: Option<Option<Sentiment>>,
}

impl PhasePatch {
    /// Applies the patch to `phase`.
    pub fn apply_to(self, phase: &mut Phase) {
        if let Some(name) = self.name {
            phase.name = name;
        }
        if let Some(stage) = self.stage {
            phase.stage = stage;
        }
        if let Some(description) = self.description {
            phase.description = description;
        }
        if let Some(goals) = self.customer_goals {
            phase.customer_goals = goals;
        }
        if let Some(questions) = self.questions {
            phase.questions = questions;
        }
        if let Some(emotion) = self.expected_emotion {
            phase.expected_emotion = emotion;
        }
    }
}

/// What happens to a phase's touchpoints, triggers and insights when the
/// phase is removed. Nothing is dropped unless the caller says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseRemoval {
    /// Refuse when the phase still holds anything.
    RefuseIfNotEmpty,
    /// Move its touchpoints, triggers and insights to another phase of the
    /// same journey.
    MoveContentTo(PhaseId),
    /// Delete its touchpoints, triggers and insights with it.
    Cascade,
}

/// The most phases a journey may have.
pub const MAX_PHASES: usize = 100;

/// Where a new item lands in a list of `count` items when the caller asked for
/// `requested` (none: at the end). Positions run from 0 to `count`.
pub fn insertion_position(
    field: &str,
    count: usize,
    requested: Option<i64>,
) -> Result<usize, ValidationError> {
    match requested {
        None => Ok(count),
        Some(position) if position >= 0 && (position as u64) <= count as u64 => {
            Ok(position as usize)
        }
        Some(_) => Err(ValidationError::new(
            field,
            format!("must be between 0 and {count}"),
        )),
    }
}

/// Where an existing item may move in a list of `count` items.
pub fn target_position(
    field: &str,
    count: usize,
    requested: i64,
) -> Result<usize, ValidationError> {
    if requested >= 0 && (requested as u64) < count as u64 {
        Ok(requested as usize)
    } else {
        Err(ValidationError::new(
            field,
            format!("must be between 0 and {}", count.saturating_sub(1)),
        ))
    }
}

/// Moves the item at `from` to `to`, shifting the ones between; the result is
/// the new order. Positions stay dense by construction.
pub fn reorder<T>(mut items: Vec<T>, from: usize, to: usize) -> Vec<T> {
    let item = items.remove(from);
    items.insert(to, item);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertion_is_bounded_by_the_count() {
        assert_eq!(insertion_position("position", 3, None).unwrap(), 3);
        assert_eq!(insertion_position("position", 3, Some(0)).unwrap(), 0);
        assert_eq!(insertion_position("position", 3, Some(3)).unwrap(), 3);
        assert!(insertion_position("position", 3, Some(4)).is_err());
        assert!(insertion_position("position", 3, Some(-1)).is_err());
    }

    #[test]
    fn moves_are_bounded_and_keep_every_item() {
        assert!(target_position("position", 3, 3).is_err());
        assert!(target_position("position", 0, 0).is_err());
        assert_eq!(
            reorder(vec!['a', 'b', 'c', 'd'], 0, 2),
            vec!['b', 'c', 'a', 'd']
        );
        assert_eq!(
            reorder(vec!['a', 'b', 'c', 'd'], 3, 0),
            vec!['d', 'a', 'b', 'c']
        );
        assert_eq!(reorder(vec!['a', 'b'], 1, 1), vec!['a', 'b']);
    }
}
