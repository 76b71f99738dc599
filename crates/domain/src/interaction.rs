//! Interactions: a customer met a touchpoint at a moment, optionally with a
//! sentiment, a rating, an NPS answer, a value and free properties.

use crate::customer::{ExternalId, PROPERTIES_MAX_BYTES, json_object};
use crate::{CustomerId, JourneyId, Money, TouchpointId, TouchpointKey, ValidationError};
use chrono::{DateTime, Duration, Utc};

/// How far in the future an `occurredAt` may lie (clock skew between systems).
pub const DEFAULT_FUTURE_SKEW: Duration = Duration::minutes(5);

/// A sentiment score from -2 (very negative) to 2 (very positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SentimentScore(i8);

impl SentimentScore {
    /// Validates a score.
    pub fn new(value: i64) -> Result<Self, ValidationError> {
        match value {
            -2..=2 => Ok(Self(value as i8)),
            _ => Err(ValidationError::new(
                "sentiment",
                "must be between -2 and 2",
            )),
        }
    }

    /// The score.
    pub fn get(self) -> i8 {
        self.0
    }
}

/// A star rating from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    /// Validates a rating.
    pub fn new(value: i64) -> Result<Self, ValidationError> {
        match value {
            1..=5 => Ok(Self(value as u8)),
            _ => Err(ValidationError::new("rating", "must be between 1 and 5")),
        }
    }

    /// The rating.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// An answer to "how likely are you to recommend us", from 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NpsScore(u8);

impl NpsScore {
    /// Validates an answer.
    pub fn new(value: i64) -> Result<Self, ValidationError> {
        match value {
            0..=10 => Ok(Self(value as u8)),
            _ => Err(ValidationError::new("nps", "must be between 0 and 10")),
        }
    }

    /// The answer.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// How an incoming interaction names its touchpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TouchpointRef {
    /// By id.
    Id(TouchpointId),
    /// By journey and key, as CRM systems know it.
    Key(JourneyId, TouchpointKey),
}

/// An interaction as a client sent it, before validation.
#[derive(Debug, Clone, Copy)]
pub struct InteractionDraft<'a> {
    /// The idempotency key.
    pub external_id: &'a str,
    /// The customer's external id.
    pub customer: &'a str,
    /// When it happened, RFC 3339 with an offset.
    pub occurred_at: &'a str,
    /// Sentiment, -2..2.
    pub sentiment: Option<i64>,
    /// Star rating, 1..5.
    pub rating: Option<i64>,
    /// NPS answer, 0..10.
    pub nps: Option<i64>,
    /// Amount and currency.
    pub value: Option<(&'a str, &'a str)>,
    /// Free properties (a JSON object).
    pub properties: Option<&'a serde_json::Value>,
}

/// A validated interaction, not yet tied to a stored touchpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    /// The idempotency key, unique per tenant.
    pub external_id: ExternalId,
    /// The customer's external id.
    pub customer: ExternalId,
    /// The touchpoint.
    pub touchpoint: TouchpointRef,
    /// When it happened, microseconds since the Unix epoch (UTC).
    pub occurred_at_us: i64,
    /// Sentiment.
    pub sentiment: Option<SentimentScore>,
    /// Star rating.
    pub rating: Option<Rating>,
    /// NPS answer.
    pub nps: Option<NpsScore>,
    /// Value.
    pub value: Option<Money>,
    /// Free properties.
    pub properties: Option<serde_json::Value>,
}

impl NewInteraction {
    /// Validates a draft against the clock: `occurredAt` must carry an offset,
    /// lie after 1970 and no later than `now + skew` (old, late events are fine).
    pub fn validate(
        draft: &InteractionDraft<'_>,
        touchpoint: TouchpointRef,
        now: DateTime<Utc>,
        skew: Duration,
    ) -> Result<Self, ValidationError> {
        let external_id = ExternalId::parse("externalId", draft.external_id)?;
        let customer = ExternalId::parse("customerExternalId", draft.customer)?;
        let occurred_at = DateTime::parse_from_rfc3339(draft.occurred_at)
            .map_err(|_| {
                ValidationError::new(
                    "occurredAt",
                    "must be an RFC 3339 timestamp with an offset, such as 2026-03-02T09:00:00Z",
                )
            })?
            .with_timezone(&Utc);
        if occurred_at > now + skew {
            return Err(ValidationError::new(
                "occurredAt",
                "must not lie in the future",
            ));
        }
        if occurred_at.timestamp() < 0 {
            return Err(ValidationError::new(
                "occurredAt",
                "must not lie before 1970",
            ));
        }
        let properties = match draft.properties {
            Some(value) if !value.is_null() => {
                json_object("properties", value, PROPERTIES_MAX_BYTES)?;
                Some(value.clone())
            }
            _ => None,
        };
        Ok(Self {
            external_id,
            customer,
            touchpoint,
            occurred_at_us: occurred_at.timestamp_micros(),
            sentiment: draft.sentiment.map(SentimentScore::new).transpose()?,
            rating: draft.rating.map(Rating::new).transpose()?,
            nps: draft.nps.map(NpsScore::new).transpose()?,
            value: draft
                .value
                .map(|(amount, currency)| Money::parse(amount, currency))
                .transpose()?,
            properties,
        })
    }

    /// A fingerprint of everything the interaction says, once its touchpoint
    /// is resolved: the same external id with the same fingerprint is a
    /// duplicate, with another one a conflict. Stable across releases.
    pub fn content_hash(&self, touchpoint: TouchpointId) -> i64 {
        let mut hash = Fnv64::new();
        hash.field(self.customer.as_str().as_bytes());
        hash.field(touchpoint.uuid().as_bytes());
        hash.field(&self.occurred_at_us.to_le_bytes());
        hash.field(&[self.sentiment.map_or(0xff, |s| s.get() as u8)]);
        hash.field(&[self.rating.map_or(0xff, Rating::get)]);
        hash.field(&[self.nps.map_or(0xff, NpsScore::get)]);
        match &self.value {
            Some(money) => {
                hash.field(&money.scaled.to_le_bytes());
                hash.field(money.currency.as_str().as_bytes());
            }
            None => hash.field(b"-"),
        }
        match &self.properties {
            // serde_json keeps object keys sorted, so this text is canonical.
            Some(properties) => hash.field(properties.to_string().as_bytes()),
            None => hash.field(b"-"),
        }
        hash.finish() as i64
    }
}

/// FNV-1a, 64 bits: small, and the same on every platform and release.
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Hashes a length-prefixed field, so field boundaries cannot shift.
    fn field(&mut self, bytes: &[u8]) {
        self.bytes(&(bytes.len() as u64).to_le_bytes());
        self.bytes(bytes);
    }

    fn finish(self) -> u64 {
        self.0
    }
}

/// A stored interaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// The idempotency key.
    pub external_id: ExternalId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The journey of the touchpoint.
    pub journey_id: JourneyId,
    /// The touchpoint.
    pub touchpoint_id: TouchpointId,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Sentiment.
    pub sentiment: Option<SentimentScore>,
    /// Star rating.
    pub rating: Option<Rating>,
    /// NPS answer.
    pub nps: Option<NpsScore>,
    /// Value.
    pub value: Option<Money>,
    /// Free properties.
    pub properties: Option<serde_json::Value>,
    /// When journeyd stored it.
    pub recorded_at: DateTime<Utc>,
}

/// Why one item of a batch was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionCode {
    /// A value breaks a rule.
    BadUserInput,
    /// The touchpoint (or another referenced object) does not exist.
    NotFound,
    /// The external id is already stored with different content.
    Conflict,
}

impl RejectionCode {
    /// The code as clients see it.
    pub fn label(self) -> &'static str {
        match self {
            RejectionCode::BadUserInput => "BAD_USER_INPUT",
            RejectionCode::NotFound => "NOT_FOUND",
            RejectionCode::Conflict => "CONFLICT",
        }
    }
}

/// What happened to one item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Stored now.
    Accepted,
    /// Already stored with the same content: counted once, not an error.
    Duplicate,
    /// Not stored.
    Rejected {
        /// Why, as a code.
        code: RejectionCode,
        /// Why, in words.
        message: String,
    },
}

impl ItemOutcome {
    /// A rejection for a validation error.
    pub fn invalid(err: &ValidationError) -> Self {
        ItemOutcome::Rejected {
            code: RejectionCode::BadUserInput,
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft<'a>(occurred_at: &'a str) -> InteractionDraft<'a> {
        InteractionDraft {
            external_id: "e1",
            customer: "c1",
            occurred_at,
            sentiment: Some(1),
            rating: None,
            nps: Some(9),
            value: Some(("79.90", "EUR")),
            properties: None,
        }
    }

    fn tp() -> TouchpointRef {
        TouchpointRef::Id(TouchpointId::from_uuid(uuid::Uuid::nil()))
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-04-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn timestamps_need_an_offset_and_a_sane_moment() {
        let ok = NewInteraction::validate(
            &draft("2026-03-02T10:00:00+01:00"),
            tp(),
            now(),
            DEFAULT_FUTURE_SKEW,
        )
        .unwrap();
        assert_eq!(ok.occurred_at_us, 1_772_442_000_000_000);
        for bad in [
            "2026-03-02T10:00:00",
            "2026-03-02",
            "yesterday",
            "2026-04-01T00:06:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            let err = NewInteraction::validate(&draft(bad), tp(), now(), DEFAULT_FUTURE_SKEW)
                .unwrap_err();
            assert_eq!(err.field, "occurredAt", "{bad}");
        }
        assert!(
            NewInteraction::validate(
                &draft("2026-04-01T00:04:00Z"),
                tp(),
                now(),
                DEFAULT_FUTURE_SKEW
            )
            .is_ok()
        );
        assert!(
            NewInteraction::validate(
                &draft("2001-01-01T00:00:00Z"),
                tp(),
                now(),
                DEFAULT_FUTURE_SKEW
            )
            .is_ok()
        );
    }

    #[test]
    fn scores_are_bounded() {
        assert!(SentimentScore::new(-3).is_err());
        assert!(SentimentScore::new(2).is_ok());
        assert!(Rating::new(0).is_err());
        assert!(Rating::new(6).is_err());
        assert!(NpsScore::new(11).is_err());
        assert!(NpsScore::new(0).is_ok());
    }

    #[test]
    fn the_same_content_has_the_same_hash_whatever_the_offset() {
        let touchpoint = TouchpointId::from_uuid(uuid::Uuid::nil());
        let a = NewInteraction::validate(
            &draft("2026-03-02T10:00:00+01:00"),
            tp(),
            now(),
            DEFAULT_FUTURE_SKEW,
        )
        .unwrap();
        let b = NewInteraction::validate(
            &draft("2026-03-02T09:00:00Z"),
            tp(),
            now(),
            DEFAULT_FUTURE_SKEW,
        )
        .unwrap();
        assert_eq!(a.content_hash(touchpoint), b.content_hash(touchpoint));
        let mut c = b.clone();
        c.rating = Some(Rating::new(4).unwrap());
        assert_ne!(a.content_hash(touchpoint), c.content_hash(touchpoint));
        let mut d = b.clone();
        d.properties = Some(json!({"b": 1, "a": 2}));
        let mut e = b.clone();
        e.properties = Some(serde_json::from_str(r#"{"a": 2, "b": 1}"#).unwrap());
        assert_eq!(d.content_hash(touchpoint), e.content_hash(touchpoint));
    }
}
