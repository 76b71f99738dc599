//! Insights: what research found (pain points, opportunities, quotes,
//! findings), attached to a journey, one of its phases or one of its touchpoints.

use crate::{InsightId, JourneyId, Name, PhaseId, TouchpointId};
use chrono::{DateTime, Utc};

labelled_enum!(
    /// What kind of research finding an insight is.
    InsightKind {
        /// Something that frustrates customers.
        PainPoint => "PAIN_POINT",
        /// A chance to improve the journey.
        Opportunity => "OPPORTUNITY",
        /// Something a customer said.
        Quote => "QUOTE",
        /// A survey or interview result.
        Finding => "FINDING",
    }
);

labelled_enum!(
    /// How much an insight matters.
    Severity {
        /// Minor.
        Low => "LOW",
        /// Noticeable.
        Medium => "MEDIUM",
        /// Important.
        High => "HIGH",
        /// Must be acted on.
        Critical => "CRITICAL",
    }
);

/// What an insight is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsightTarget {
    /// The journey as a whole.
    Journey,
    /// One phase of the journey.
    Phase(PhaseId),
    /// One touchpoint of the journey.
    Touchpoint(TouchpointId),
}

/// A stored insight.
#[derive(Debug, Clone, PartialEq)]
pub struct Insight {
    /// The insight's id.
    pub id: InsightId,
    /// The journey it belongs to.
    pub journey_id: JourneyId,
    /// What in the journey it is about.
    pub target: InsightTarget,
    /// Its kind.
    pub kind: InsightKind,
    /// A short title.
    pub title: Name,
    /// The finding in full.
    pub description: Option<String>,
    /// How much it matters.
    pub severity: Severity,
    /// Where it comes from ("interviews 2026-Q1", "NPS survey").
    pub source: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A validated new insight (its journey is given separately).
#[derive(Debug, Clone, PartialEq)]
pub struct NewInsight {
    /// What it is about.
    pub target: InsightTarget,
    /// Its kind.
    pub kind: InsightKind,
    /// A short title.
    pub title: Name,
    /// The finding in full.
    pub description: Option<String>,
    /// How much it matters.
    pub severity: Severity,
    /// Where it comes from.
    pub source: Option<String>,
}

/// A validated change to an insight (it stays with its journey).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InsightPatch {
    /// A new target within the same journey.
    pub target: Option<InsightTarget>,
    /// A new kind.
    pub kind: Option<InsightKind>,
    /// A new title.
    pub title: Option<Name>,
    /// A new description, or none.
    pub description: Option<Option<String>>,
    /// A new severity.
    pub severity: Option<Severity>,
    /// A new source, or none.
    pub source: Option<Option<String>>,
}

impl InsightPatch {
    /// Applies the patch to `insight`.
    pub fn apply_to(self, insight: &mut Insight) {
        if let Some(target) = self.target {
            insight.target = target;
        }
        if let Some(kind) = self.kind {
            insight.kind = kind;
        }
        if let Some(title) = self.title {
            insight.title = title;
        }
        if let Some(description) = self.description {
            insight.description = description;
        }
        if let Some(severity) = self.severity {
            insight.severity = severity;
        }
        if let Some(source) = self.source {
            insight.source = source;
        }
    }
}
