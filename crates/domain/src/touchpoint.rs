//! Touchpoints: the moments where a customer meets the brand, each in one
//! phase and through one channel, addressed by CRM systems through a key.

use crate::{
    ChannelId, JourneyId, Name, PhaseId, TouchpointId, TouchpointKey, ValidationError, text,
};
use chrono::{DateTime, Utc};

labelled_enum!(
    /// An assessed or expected feeling at a moment of the journey.
    Sentiment {
        /// The customer is pleased.
        Positive => "POSITIVE",
        /// Neither pleased nor displeased.
        Neutral => "NEUTRAL",
        /// The customer is displeased.
        Negative => "NEGATIVE",
    }
);

/// The most touchpoints a journey may hold.
pub const MAX_TOUCHPOINTS_PER_JOURNEY: usize = 2_000;

/// A key performance indicator with an optional target ("click-through rate",
/// target 0.04).
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    /// What is measured.
    pub name: String,
    /// The value to reach.
    pub target: Option<f64>,
    /// The unit of the value ("%", "EUR", "seconds").
    pub unit: Option<String>,
}

impl Kpi {
    /// Validates a KPI.
    pub fn parse(
        name: &str,
        target: Option<f64>,
        unit: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let name = Name::parse("kpi.name", name)?.into_string();
        if target.is_some_and(|value| !value.is_finite()) {
            return Err(ValidationError::new(
                "kpi.target",
                "must be a finite number",
            ));
        }
        let unit = text::optional_text("kpi.unit", unit, 32)?;
        Ok(Self { name, target, unit })
    }
}

/// A stored touchpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Touchpoint {
    /// The touchpoint's id.
    pub id: TouchpointId,
    /// The journey it belongs to.
    pub journey_id: JourneyId,
    /// The phase it sits in.
    pub phase_id: PhaseId,
    /// The channel it uses.
    pub channel_id: ChannelId,
    /// Its key, unique within the journey.
    pub key: TouchpointKey,
    /// Its name.
    pub name: Name,
    /// What happens there.
    pub description: Option<String>,
    /// Who in the organisation owns it.
    pub owner: Option<String>,
    /// What it should achieve.
    pub goal: Option<String>,
    /// How that is measured.
    pub kpi: Option<Kpi>,
    /// How customers are assessed to feel there.
    pub sentiment: Option<Sentiment>,
    /// Whether a purchase (conversion) happens there.
    pub is_conversion: bool,
    /// Its place within its phase, from 0, dense.
    pub position: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The validated fields of a new touchpoint, or of an upsert by key.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTouchpoint {
    /// The phase it goes in.
    pub phase_id: PhaseId,
    /// The channel it uses.
    pub channel_id: ChannelId,
    /// Its key.
    pub key: TouchpointKey,
    /// Its name.
    pub name: Name,
    /// What happens there.
    pub description: Option<String>,
    /// Who owns it.
    pub owner: Option<String>,
    /// What it should achieve.
    pub goal: Option<String>,
    /// How that is measured.
    pub kpi: Option<Kpi>,
    /// The assessed sentiment.
    pub sentiment: Option<Sentiment>,
    /// Whether a conversion happens there.
    pub is_conversion: bool,
}

/// A validated change to a touchpoint's fields (moving it is separate).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TouchpointPatch {
    /// A new channel.
    pub channel_id: Option<ChannelId>,
    /// A new key.
    pub key: Option<TouchpointKey>,
    /// A new name.
    pub name: Option<Name>,
    /// A new description, or none.
    pub description: Option<Option<String>>,
    /// A new owner, or none.
    pub owner: Option<Option<String>>,
    /// A new goal, or none.
    pub goal: Option<Option<String>>,
    /// A new KPI, or none.
    pub kpi: Option<Option<Kpi>>,
    /// A new sentiment, or none.
    pub sentiment: Option<Option<Sentiment>>,
    /// Whether a conversion happens there.
    pub is_conversion: Option<bool>,
}

impl TouchpointPatch {
    /// Applies the patch to `touchpoint`.
    pub fn apply_to(self, touchpoint: &mut Touchpoint) {
        if let Some(channel_id) = self.channel_id {
            touchpoint.channel_id = channel_id;
        }
        if let Some(key) = self.key {
            touchpoint.key = key;
        }
        if let Some(name) = self.name {
            touchpoint.name = name;
        }
        if let Some(description) = self.description {
            touchpoint.description = description;
        }
        if let Some(owner) = self.owner {
            touchpoint.owner = owner;
        }
        if let Some(goal) = self.goal {
            touchpoint.goal = goal;
        }
        if let Some(kpi) = self.kpi {
            touchpoint.kpi = kpi;
        }
        if let Some(sentiment) = self.sentiment {
            touchpoint.sentiment = sentiment;
        }
        if let Some(is_conversion) = self.is_conversion {
            touchpoint.is_conversion = is_conversion;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_targets_must_be_finite() {
        assert!(Kpi::parse("CTR", Some(f64::INFINITY), None).is_err());
        let kpi = Kpi::parse("CTR", Some(0.04), Some(" % ")).unwrap();
        assert_eq!(kpi.unit.as_deref(), Some("%"));
    }
}
