//! The one error the domain produces: a value that breaks a rule.

/// A value that breaks a domain rule, naming the offending field so a client
/// can point its user at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The input field (in the client's terms, e.g. `name` or `goal.target`).
    pub field: String,
    /// What is wrong with it, in a sentence a user can act on.
    pub message: String,
}

impl ValidationError {
    /// A validation error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, reported under a field nested in `parent`
    /// (e.g. `name` inside `phases[2]`).
    pub fn within(self, parent: &str) -> Self {
        Self {
            field: format!("{parent}.{}", self.field),
            message: self.message,
        }
    }
}
