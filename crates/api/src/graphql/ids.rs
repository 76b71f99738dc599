//! Opaque global ids (Relay `Node` ids): the base64url of `Kind:uuid`.
//!
//! Clients treat them as opaque; the server decodes the kind and the UUID.
//! An id of the wrong kind, or of another tenant, is simply not found.

use crate::error::ApiError;
use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use journeyd_domain::*;
use uuid::Uuid;

/// The kinds of object a global id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A journey.
    Journey,
    /// A phase.
    Phase,
    /// A persona.
    Persona,
    /// A channel.
    Channel,
    /// A touchpoint.
    Touchpoint,
    /// A trigger.
    Trigger,
    /// An insight.
    Insight,
    /// A customer.
    Customer,
}

impl NodeKind {
    const ALL: [NodeKind; 8] = [
        NodeKind::Journey,
        NodeKind::Phase,
        NodeKind::Persona,
        NodeKind::Channel,
        NodeKind::Touchpoint,
        NodeKind::Trigger,
        NodeKind::Insight,
        NodeKind::Customer,
    ];

    fn prefix(self) -> &'static str {
        match self {
            NodeKind::Journey => "Journey",
            NodeKind::Phase => "Phase",
            NodeKind::Persona => "Persona",
            NodeKind::Channel => "Channel",
            NodeKind::Touchpoint => "Touchpoint",
            NodeKind::Trigger => "Trigger",
            NodeKind::Insight => "Insight",
            NodeKind::Customer => "Customer",
        }
    }

    /// The lower-case noun used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            NodeKind::Journey => "journey",
            NodeKind::Phase => "phase",
            NodeKind::Persona => "persona",
            NodeKind::Channel => "channel",
            NodeKind::Touchpoint => "touchpoint",
            NodeKind::Trigger => "trigger",
            NodeKind::Insight => "insight",
            NodeKind::Customer => "customer",
        }
    }
}

/// A decoded global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalId {
    /// What kind of object it names.
    pub kind: NodeKind,
    /// The object's UUID.
    pub uuid: Uuid,
}

impl GlobalId {
    /// The opaque id of `kind` with `uuid`.
    pub fn encode(kind: NodeKind, uuid: Uuid) -> ID {
        ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.prefix(), uuid.simple())))
    }

    /// Decodes an opaque id; anything that is not one of ours is bad input.
    pub fn decode(field: &str, id: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::bad_input(field, "is not a valid id");
        if id.len() > 64 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| invalid())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
        let (prefix, uuid) = text.split_once(':').ok_or_else(invalid)?;
        let kind = NodeKind::ALL
            .into_iter()
            .find(|k| k.prefix() == prefix)
            .ok_or_else(invalid)?;
        let uuid = Uuid::try_parse(uuid).map_err(|_| invalid())?;
        Ok(Self { kind, uuid })
    }

    /// Decodes an id that must name a `kind`; an id of another kind names no
    /// such object and is reported as not found.
    pub fn expect(field: &str, id: &ID, kind: NodeKind) -> Result<Uuid, ApiError> {
        let decoded = Self::decode(field, id)?;
        if decoded.kind == kind {
            Ok(decoded.uuid)
        } else {
            Err(ApiError::NotFound(kind.noun().to_owned()))
        }
    }
}

macro_rules! typed_id {
    ($fn_name:ident, $kind:ident, $ty:ty) => {
        /// Decodes an id that must name this kind of object.
        pub fn $fn_name(field: &str, id: &ID) -> Result<$ty, ApiError> {
            GlobalId::expect(field, id, NodeKind::$kind).map(<$ty>::from_uuid)
        }
    };
}

typed_id!(journey_id, Journey, JourneyId);
typed_id!(phase_id, Phase, PhaseId);
typed_id!(persona_id, Persona, PersonaId);
typed_id!(channel_id, Channel, ChannelId);
typed_id!(touchpoint_id, Touchpoint, TouchpointId);
typed_id!(trigger_id, Trigger, TriggerId);
typed_id!(insight_id, Insight, InsightId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_kind() {
        let uuid = Uuid::now_v7();
        let id = GlobalId::encode(NodeKind::Touchpoint, uuid);
        assert_eq!(
            GlobalId::decode("id", &id).unwrap(),
            GlobalId {
                kind: NodeKind::Touchpoint,
                uuid
            }
        );
        assert_eq!(touchpoint_id("id", &id).unwrap().uuid(), uuid);
        assert_eq!(
            journey_id("id", &id).unwrap_err(),
            ApiError::NotFound("journey".into())
        );
    }

    #[test]
    fn forged_ids_are_bad_input() {
        for forged in [
            "",
            "!!!",
            "Sm91cm5leQ",
            "Sm91cm5leTpub3QtYS11dWlk",
            &"A".repeat(500),
        ] {
            let err = GlobalId::decode("id", forged).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT", "{forged}");
        }
    }
}
