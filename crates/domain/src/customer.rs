//! Customers: real (pseudonymous) customers known by their CRM id.

use crate::{PersonaId, ValidationError};
use chrono::{DateTime, Utc};
use std::fmt;
use uuid::Uuid;

/// The longest external id (a CRM's key) in characters.
pub const EXTERNAL_ID_MAX_CHARS: usize = 200;
/// The largest customer attribute object, serialized, in bytes.
pub const ATTRIBUTES_MAX_BYTES: usize = 16 * 1024;
/// The largest interaction properties object, serialized, in bytes.
pub const PROPERTIES_MAX_BYTES: usize = 8 * 1024;
/// The deepest a free JSON object (attributes, properties) may nest.
pub const JSON_MAX_DEPTH: usize = 8;

/// Identifies a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(Uuid);

impl CustomerId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps an existing UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID inside.
    pub const fn uuid(self) -> Uuid {
        self.0
    }
}

/// A key chosen by an outside system (a CRM's customer id, an event's
/// idempotency key): 1 to 200 characters, no control characters, no
/// surrounding whitespace. Compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalId(String);

impl ExternalId {
    /// Validates `value` as the external id held in `field`.
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        if value.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if value.chars().count() > EXTERNAL_ID_MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!("must not be longer than {EXTERNAL_ID_MAX_CHARS} characters"),
            ));
        }
        if value.trim() != value || value.chars().any(char::is_control) {
            return Err(ValidationError::new(
                field,
                "must not contain control characters or surrounding whitespace",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a free JSON value held in `field`: an object, at most `max_bytes`
/// serialized and at most [`JSON_MAX_DEPTH`] levels deep.
pub fn json_object(
    field: &str,
    value: &serde_json::Value,
    max_bytes: usize,
) -> Result<(), ValidationError> {
    if !value.is_object() {
        return Err(ValidationError::new(field, "must be a JSON object"));
    }
    let (depth, has_nul) = inspect(value);
    if depth > JSON_MAX_DEPTH {
        return Err(ValidationError::new(
            field,
            format!("must not nest deeper than {JSON_MAX_DEPTH} levels"),
        ));
    }
    if has_nul {
        return Err(ValidationError::new(
            field,
            "must not contain NUL characters in keys or strings",
        ));
    }
    let size = serde_json::to_vec(value)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > max_bytes {
        return Err(ValidationError::new(
            field,
            format!("must not be larger than {max_bytes} bytes"),
        ));
    }
    Ok(())
}

/// How deep `value` nests (up to one level past the limit) and whether any
/// key or string holds a NUL character (which PostgreSQL's `jsonb` refuses).
fn inspect(value: &serde_json::Value) -> (usize, bool) {
    // Iterative, so hostile nesting cannot exhaust the stack.
    let mut deepest = 0;
    let mut has_nul = false;
    let mut stack = vec![(value, 1usize)];
    while let Some((value, level)) = stack.pop() {
        deepest = deepest.max(level);
        if level > JSON_MAX_DEPTH {
            break;
        }
        match value {
            serde_json::Value::Array(items) => stack.extend(items.iter().map(|v| (v, level + 1))),
            serde_json::Value::Object(map) => {
                has_nul |= map.keys().any(|k| k.contains('\0'));
                stack.extend(map.values().map(|v| (v, level + 1)));
            }
            serde_json::Value::String(text) => has_nul |= text.contains('\0'),
            _ => {}
        }
    }
    (deepest, has_nul)
}

/// A stored customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// The customer's id.
    pub id: CustomerId,
    /// The CRM's id for the customer, unique per tenant.
    pub external_id: ExternalId,
    /// The persona (segment) the customer is assigned to.
    pub persona_id: Option<PersonaId>,
    /// Free attributes (a JSON object).
    pub attributes: serde_json::Value,
    /// When the customer was first stored.
    pub created_at: DateTime<Utc>,
    /// When the customer's persona or attributes last changed.
    pub updated_at: DateTime<Utc>,
}

/// A validated customer to create or update by external id. `None` leaves a
/// field as it is (or empty for a new customer).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerUpsert {
    /// The CRM's id.
    pub external_id: ExternalId,
    /// A persona, none (`Some(None)`), or unchanged (`None`).
    pub persona_id: Option<Option<PersonaId>>,
    /// New attributes, or unchanged.
    pub attributes: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn external_ids_are_exact_and_bounded() {
        assert!(ExternalId::parse("externalId", "crm-42").is_ok());
        assert!(ExternalId::parse("externalId", "").is_err());
        assert!(ExternalId::parse("externalId", " crm-42").is_err());
        assert!(ExternalId::parse("externalId", "a\u{0}b").is_err());
        assert!(ExternalId::parse("externalId", &"x".repeat(201)).is_err());
        assert!(ExternalId::parse("externalId", "ünïcødé 顧客").is_ok());
    }

    #[test]
    fn json_objects_refuse_nul_characters() {
        let bad_value = serde_json::json!({"a": ["ok", "n\u{0}l"]});
        let bad_key = serde_json::json!({"k\u{0}": 1});
        assert!(json_object("p", &bad_value, 1024).is_err());
        assert!(json_object("p", &bad_key, 1024).is_err());
        assert!(json_object("p", &serde_json::json!({"a": "\\u0000 as text"}), 1024).is_ok());
    }

    #[test]
    fn json_objects_are_bounded() {
        assert!(json_object("attributes", &json!({"tier": "gold"}), 100).is_ok());
        assert!(json_object("attributes", &json!([1, 2]), 100).is_err());
        assert!(json_object("attributes", &json!({"x": "y".repeat(200)}), 100).is_err());
        let mut deep = json!(1);
        for _ in 0..20 {
            deep = json!({ "a": deep });
        }
        let err = json_object("attributes", &deep, 100_000).unwrap_err();
        assert!(err.message.contains("nest"));
    }
}

/// What happened to one customer of an upsert batch.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerOutcome {
    /// A new customer was stored.
    Created(Box<Customer>),
    /// An existing customer changed.
    Updated(Box<Customer>),
    /// An existing customer already matched.
    Unchanged(Box<Customer>),
    /// Nothing was stored for this item.
    Rejected {
        /// Why, as a code.
        code: crate::RejectionCode,
        /// Why, in words.
        message: String,
    },
}
