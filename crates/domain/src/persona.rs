//! Personas: fictional, representative customers, shared by a tenant's journeys.

use crate::{ChannelKind, Name, PersonaId, ValidationError, text};
use chrono::{DateTime, Utc};

/// The most demographic attributes a persona may carry.
pub const MAX_DEMOGRAPHICS: usize = 30;

/// One labelled fact, such as a demographic ("Age" = "35-44").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabeledValue {
    /// What the value describes.
    pub label: String,
    /// The value.
    pub value: String,
}

impl LabeledValue {
    /// Validates a list of labelled values held in `field`.
    pub fn parse_list(
        field: &str,
        pairs: &[(String, String)],
    ) -> Result<Vec<LabeledValue>, ValidationError> {
        if pairs.len() > MAX_DEMOGRAPHICS {
            return Err(ValidationError::new(
                field,
                format!("must not hold more than {MAX_DEMOGRAPHICS} items"),
            ));
        }
        pairs
            .iter()
            .enumerate()
            .map(|(index, (label, value))| {
                let item = format!("{field}[{index}]");
                let label = Name::parse("label", label).map_err(|e| e.within(&item))?;
                let value = text::optional_text("value", Some(value), text::PHRASE_MAX_CHARS)
                    .map_err(|e| e.within(&item))?
                    .ok_or_else(|| {
                        ValidationError::new(format!("{item}.value"), "must not be empty")
                    })?;
                Ok(LabeledValue {
                    label: label.into_string(),
                    value,
                })
            })
            .collect()
    }
}

/// A stored persona.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// The persona's id.
    pub id: PersonaId,
    /// Its name ("Starter Sam").
    pub name: Name,
    /// Who it represents.
    pub description: Option<String>,
    /// Age, occupation, location, ...
    pub demographics: Vec<LabeledValue>,
    /// What it wants to achieve.
    pub goals: Vec<String>,
    /// What frustrates it (its pain points).
    pub frustrations: Vec<String>,
    /// What drives it.
    pub motivations: Vec<String>,
    /// The channels it prefers.
    pub preferred_channels: Vec<ChannelKind>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A validated new persona.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPersona {
    /// Its name.
    pub name: Name,
    /// Who it represents.
    pub description: Option<String>,
    /// Age, occupation, location, ...
    pub demographics: Vec<LabeledValue>,
    /// What it wants to achieve.
    pub goals: Vec<String>,
    /// What frustrates it.
    pub frustrations: Vec<String>,
    /// What drives it.
    pub motivations: Vec<String>,
    /// The channels it prefers.
    pub preferred_channels: Vec<ChannelKind>,
}

/// A validated change to a persona.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonaPatch {
    /// A new name.
    pub name: Option<Name>,
    /// A new description, or none.
    pub description: Option<Option<String>>,
    /// New demographics.
    pub demographics: Option<Vec<LabeledValue>>,
    /// New goals.
    pub goals: Option<Vec<String>>,
    /// New frustrations.
    pub frustrations: Option<Vec<String>>,
    /// New motivations.
    pub motivations: Option<Vec<String>>,
    /// New preferred channels.
    pub preferred_channels: Option<Vec<ChannelKind>>,
}

impl PersonaPatch {
    /// Applies the patch to `persona`.
    pub fn apply_to(self, persona: &mut Persona) {
        if let Some(name) = self.name {
            persona.name = name;
        }
        if let Some(description) = self.description {
            persona.description = description;
        }
        if let Some(demographics) = self.demographics {
            persona.demographics = demographics;
        }
        if let Some(goals) = self.goals {
            persona.goals = goals;
        }
        if let Some(frustrations) = self.frustrations {
            persona.frustrations = frustrations;
        }
        if let Some(motivations) = self.motivations {
            persona.motivations = motivations;
        }
        if let Some(channels) = self.preferred_channels {
            persona.preferred_channels = channels;
        }
    }
}

/// Removes repeats from a list of channel kinds, keeping the first of each.
pub fn distinct_channel_kinds(kinds: &[ChannelKind]) -> Vec<ChannelKind> {
    let mut seen = Vec::with_capacity(kinds.len());
    for kind in kinds {
        if !seen.contains(kind) {
            seen.push(*kind);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demographics_name_the_bad_item() {
        let ok =
            LabeledValue::parse_list("demographics", &[("Age".into(), " 35-44 ".into())]).unwrap();
        assert_eq!(ok[0].value, "35-44");
        let err = LabeledValue::parse_list(
            "demographics",
            &[("Age".into(), "35".into()), ("City".into(), "  ".into())],
        )
        .unwrap_err();
        assert_eq!(err.field, "demographics[1].value");
    }

    #[test]
    fn channel_kinds_are_deduplicated_in_order() {
        let kinds = [ChannelKind::Web, ChannelKind::Email, ChannelKind::Web];
        assert_eq!(
            distinct_channel_kinds(&kinds),
            vec![ChannelKind::Web, ChannelKind::Email]
        );
    }
}
