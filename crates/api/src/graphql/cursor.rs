//! Opaque keyset cursors: the base64url of the sort key of a row.
//!
//! A cursor only carries sort values, never ids of other tenants' rows or
//! anything trusted: a forged cursor can at worst start a page elsewhere in
//! the caller's own list.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use journeyd_domain::CustomerId;
use journeyd_domain::{JourneyId, PersonaId};
use journeyd_persistence::{CustomerKey, InteractionKey, JourneyKey, PersonaKey};
use uuid::Uuid;

/// The longest cursor accepted.
const MAX_CURSOR_LEN: usize = 1024;

fn decode_text(field: &str, cursor: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::bad_input(field, "is not a valid cursor");
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    // Sort values never hold control characters (and databases refuse NUL).
    if text.chars().any(char::is_control) {
        return Err(invalid());
    }
    Ok(text)
}

fn uuid(field: &str, text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text).map_err(|_| ApiError::bad_input(field, "is not a valid cursor"))
}

/// The cursor of a journey's place in a listing.
pub fn encode_journey(key: &JourneyKey) -> String {
    let text = match key {
        JourneyKey::Created(id) => format!("c:{}", id.uuid().simple()),
        JourneyKey::Name(name, id) => format!("n:{}:{name}", id.uuid().simple()),
        JourneyKey::Updated(at, id) => {
            format!("u:{}:{}", id.uuid().simple(), at.timestamp_micros())
        }
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// Decodes a journey cursor given in `field`.
pub fn decode_journey(field: &str, cursor: &str) -> Result<JourneyKey, ApiError> {
    let text = decode_text(field, cursor)?;
    let invalid = || ApiError::bad_input(field, "is not a valid cursor");
    let mut parts = text.splitn(3, ':');
    let (kind, id) = (
        parts.next().ok_or_else(invalid)?,
        parts.next().ok_or_else(invalid)?,
    );
    let id = JourneyId::from_uuid(uuid(field, id)?);
    match (kind, parts.next()) {
        ("c", None) => Ok(JourneyKey::Created(id)),
        ("n", Some(name)) => Ok(JourneyKey::Name(name.to_owned(), id)),
        ("u", Some(micros)) => {
            let micros: i64 = micros.parse().map_err(|_| invalid())?;
            let at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
            Ok(JourneyKey::Updated(at, id))
        }
        _ => Err(invalid()),
    }
}

/// The cursor of a persona's place in a listing.
pub fn encode_persona(key: &PersonaKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("p:{}", key.0.uuid().simple()))
}

/// Decodes a persona cursor given in `field`.
pub fn decode_persona(field: &str, cursor: &str) -> Result<PersonaKey, ApiError> {
    let text = decode_text(field, cursor)?;
    let id = text
        .strip_prefix("p:")
        .ok_or_else(|| ApiError::bad_input(field, "is not a valid cursor"))?;
    Ok(PersonaKey(PersonaId::from_uuid(uuid(field, id)?)))
}

/// The cursor of a customer's place in a listing.
pub fn encode_customer(key: &CustomerKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("k:{}", key.0.uuid().simple()))
}

/// Decodes a customer cursor given in `field`.
pub fn decode_customer(field: &str, cursor: &str) -> Result<CustomerKey, ApiError> {
    let text = decode_text(field, cursor)?;
    let id = text
        .strip_prefix("k:")
        .ok_or_else(|| ApiError::bad_input(field, "is not a valid cursor"))?;
    Ok(CustomerKey(CustomerId::from_uuid(uuid(field, id)?)))
}

/// The cursor of an interaction's place in a timeline.
pub fn encode_interaction(key: &InteractionKey) -> String {
    URL_SAFE_NO_PAD.encode(format!("i:{}:{}", key.occurred_at_us, key.external_id))
}

/// Decodes an interaction cursor given in `field`.
pub fn decode_interaction(field: &str, cursor: &str) -> Result<InteractionKey, ApiError> {
    let text = decode_text(field, cursor)?;
    let invalid = || ApiError::bad_input(field, "is not a valid cursor");
    let rest = text.strip_prefix("i:").ok_or_else(invalid)?;
    let (micros, external_id) = rest.split_once(':').ok_or_else(invalid)?;
    Ok(InteractionKey {
        occurred_at_us: micros.parse().map_err(|_| invalid())?,
        external_id: external_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journey_cursors_round_trip() {
        let id = JourneyId::generate();
        let at = DateTime::from_timestamp_micros(1_780_000_000_123_456).unwrap();
        for key in [
            JourneyKey::Created(id),
            JourneyKey::Name("Name: with colons".into(), id),
            JourneyKey::Updated(at, id),
        ] {
            assert_eq!(decode_journey("after", &encode_journey(&key)).unwrap(), key);
        }
    }

    #[test]
    fn tampered_cursors_are_bad_input() {
        let good = encode_persona(&PersonaKey(PersonaId::generate()));
        let mut tampered = good.clone();
        tampered.insert(3, 'x');
        for cursor in [
            "",
            "%%%",
            tampered.as_str(),
            &URL_SAFE_NO_PAD.encode("u:00000000000000000000000000000000:NaN"),
            &URL_SAFE_NO_PAD.encode("x:1"),
            &"A".repeat(5000),
        ] {
            assert!(decode_journey("after", cursor).is_err(), "{cursor}");
        }
        assert!(decode_persona("after", &good).is_ok());
        assert!(
            decode_persona(
                "after",
                &encode_journey(&JourneyKey::Created(JourneyId::generate()))
            )
            .is_err()
        );
    }
}
