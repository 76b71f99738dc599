//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, never in
//! a normal build). Each takes untrusted input, must not panic, and asserts
//! the invariants it can check.

use crate::graphql::cursor;
use crate::graphql::limits::{check_document, check_nesting, operation_type};
use crate::graphql::{CustomerInput, GlobalId, InteractionInput, Limits};
use crate::graphql::{validate_customer, validate_interaction};
use journeyd_persistence::JourneyKey;

/// Decodes `text` as every kind of cursor and as a global id. Whatever
/// decodes re-encodes to something that decodes to the same value, and
/// holds no control characters.
pub fn cursors(text: &str) {
    if let Ok(key) = cursor::decode_journey("after", text) {
        if let JourneyKey::Name(name, _) = &key {
            assert!(!name.chars().any(char::is_control), "{name:?}");
        }
        let again = cursor::decode_journey("after", &cursor::encode_journey(&key));
        assert_eq!(again.ok(), Some(key));
    }
    if let Ok(key) = cursor::decode_persona("after", text) {
        let again = cursor::decode_persona("after", &cursor::encode_persona(&key));
        assert_eq!(again.ok(), Some(key));
    }
    if let Ok(key) = cursor::decode_customer("after", text) {
        let again = cursor::decode_customer("after", &cursor::encode_customer(&key));
        assert_eq!(again.ok(), Some(key));
    }
    if let Ok(key) = cursor::decode_interaction("after", text) {
        let again = cursor::decode_interaction("after", &cursor::encode_interaction(&key));
        assert_eq!(again.ok(), Some(key));
    }
    if let Ok(id) = GlobalId::decode("id", text) {
        let again = GlobalId::decode("id", &GlobalId::encode(id.kind, id.uuid));
        assert_eq!(again.ok(), Some(id));
    }
}

/// Parses `bytes` as a JWKS document; a set it accepts has at least one key.
pub fn key_set(bytes: &[u8]) {
    crate::auth::fuzz_key_set(bytes);
}

/// Holds `text` to the document checks a request goes through before it
/// runs: nesting, parsing, aliases, directives, expanded size and depth.
pub fn document(text: &str) {
    let limits = Limits::default();
    if check_nesting(text).is_err() {
        return;
    }
    let Ok(doc) = async_graphql::parser::parse_query(text) else {
        return;
    };
    let _ = check_document(&doc, &limits);
    let _ = operation_type(&doc, None);
    let _ = operation_type(&doc, Some("Q"));
}

/// Validates an interaction item; an accepted one is within the documented
/// ranges.
pub fn interaction(item: &InteractionInput) {
    let now = chrono::Utc::now();
    if let Ok(valid) = validate_interaction(item, now) {
        assert!(valid.occurred_at_us >= 0);
        assert!(valid.occurred_at_us <= now.timestamp_micros() + 300_000_000);
        if let Some(sentiment) = valid.sentiment {
            assert!((-2..=2).contains(&sentiment.get()));
        }
        if let Some(rating) = valid.rating {
            assert!((1..=5).contains(&rating.get()));
        }
        if let Some(nps) = valid.nps {
            assert!(nps.get() <= 10);
        }
        if let Some(properties) = &valid.properties {
            assert!(properties.is_object());
            let text = properties.to_string();
            assert!(text.len() <= journeyd_domain::customer::PROPERTIES_MAX_BYTES);
            assert!(!text.contains("\\u0000"));
        }
        for id in [valid.external_id.as_str(), valid.customer.as_str()] {
            assert!(!id.is_empty() && !id.chars().any(char::is_control));
        }
    }
}

/// Validates a customer item; an accepted one has a clean external id and
/// bounded attributes.
pub fn customer(item: CustomerInput) {
    if let Ok(valid) = validate_customer(item) {
        let id = valid.external_id.as_str();
        assert!(!id.is_empty() && !id.chars().any(char::is_control));
        if let Some(attributes) = &valid.attributes {
            assert!(attributes.is_object());
            assert!(
                attributes.to_string().len() <= journeyd_domain::customer::ATTRIBUTES_MAX_BYTES
            );
        }
    }
}
