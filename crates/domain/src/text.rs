//! Validated text: names, keys, free descriptions and short lists of phrases.

use crate::ValidationError;
use std::fmt;

/// The longest name (of a journey, phase, persona, ...) in characters.
pub const NAME_MAX_CHARS: usize = 200;
/// The longest free description in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 10_000;
/// The longest item of a phrase list (a goal, a question, ...) in characters.
pub const PHRASE_MAX_CHARS: usize = 500;
/// The most items a phrase list may hold.
pub const PHRASES_MAX_ITEMS: usize = 50;
/// The longest touchpoint key in characters.
pub const KEY_MAX_CHARS: usize = 64;

/// A display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// Validates `value` as the name held in `field`.
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        check_length(field, trimmed, NAME_MAX_CHARS)?;
        if trimmed.chars().any(char::is_control) {
            return Err(ValidationError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A touchpoint's stable key: a slug of lowercase letters, digits, `-` and `_`,
/// starting with a letter or digit, at most 64 characters. CRM systems address
/// touchpoints by journey and key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TouchpointKey(String);

impl TouchpointKey {
    /// Validates `value` as a touchpoint key.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        parse_slug("key", value, KEY_MAX_CHARS).map(Self)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TouchpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a slug: `[a-z0-9][a-z0-9_-]*`, at most `max` characters.
pub(crate) fn parse_slug(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let valid_start = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let valid_rest = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid_start || !valid_rest {
        return Err(ValidationError::new(
            field,
            "must be lowercase letters, digits, '-' or '_', starting with a letter or digit",
        ));
    }
    check_length(field, value, max)?;
    Ok(value.to_owned())
}

/// Validates an optional free description: trimmed, empty becomes `None`.
pub fn description(field: &str, value: Option<&str>) -> Result<Option<String>, ValidationError> {
    optional_text(field, value, DESCRIPTION_MAX_CHARS)
}

/// Validates an optional short text (owner, source, ...): trimmed, at most
/// `max` characters, empty becomes `None`.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_length(field, text, max)?;
            Ok(Some(text.to_owned()))
        }
    }
}

/// Validates a list of short phrases (goals, questions, frustrations, ...):
/// each trimmed and non-empty, at most 500 characters, at most 50 items.
pub fn phrases(field: &str, values: &[String]) -> Result<Vec<String>, ValidationError> {
    if values.len() > PHRASES_MAX_ITEMS {
        return Err(ValidationError::new(
            field,
            format!("must not hold more than {PHRASES_MAX_ITEMS} items"),
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let item_field = format!("{field}[{index}]");
            let trimmed = value.trim();
            if trimmed.is_empty() {
                return Err(ValidationError::new(item_field, "must not be empty"));
            }
            check_length(&item_field, trimmed, PHRASE_MAX_CHARS)?;
            Ok(trimmed.to_owned())
        })
        .collect()
}

/// Checks a text's length, and that it holds no control characters other
/// than tab and line breaks (databases refuse NUL; the rest is never meant).
fn check_length(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must not be longer than {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("name", "  Webshop ").unwrap().as_str(),
            "Webshop"
        );
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"x".repeat(201)).is_err());
        assert!(Name::parse("name", &"é".repeat(200)).is_ok());
        assert!(Name::parse("name", "tab\there").is_err());
    }

    #[test]
    fn keys_are_slugs() {
        assert!(TouchpointKey::parse("checkout").is_ok());
        assert!(TouchpointKey::parse("web-form_2").is_ok());
        assert!(TouchpointKey::parse("9lives").is_ok());
        for bad in ["", "-lead", "Upper", "with space", "emoji😀", "x'; drop"] {
            assert!(
                TouchpointKey::parse(bad).is_err(),
                "{bad} should be refused"
            );
        }
        assert!(TouchpointKey::parse(&"k".repeat(65)).is_err());
    }

    #[test]
    fn phrases_name_the_bad_item() {
        let err = phrases("goals", &["ok".into(), " ".into()]).unwrap_err();
        assert_eq!(err.field, "goals[1]");
        let too_many = vec!["x".to_owned(); 51];
        assert!(phrases("goals", &too_many).is_err());
    }

    #[test]
    fn free_text_keeps_line_breaks_but_refuses_other_controls() {
        assert!(description("d", Some("line 1\n\tline 2\r\n")).is_ok());
        assert!(description("d", Some("nul \u{0} byte")).is_err());
        assert!(optional_text("o", Some("bell \u{7}"), 50).is_err());
        assert!(phrases("g", &["ok".into(), "esc \u{1b}[0m".into()]).is_err());
    }

    #[test]
    fn empty_descriptions_become_none() {
        assert_eq!(description("description", Some("  ")).unwrap(), None);
        assert_eq!(
            description("description", Some(" text ")).unwrap(),
            Some("text".to_owned())
        );
    }
}
