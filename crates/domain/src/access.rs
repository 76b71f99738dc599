//! Access scopes carried by tokens (space-separated, as in RFC 9068).

use crate::ValidationError;

labelled_enum!(
    /// What a token allows its bearer to do.
    Scope {
        /// Read journey maps, personas, channels, touchpoints and customers.
        JourneysRead => "journeys:read",
        /// Create, change and delete journey maps and their parts.
        JourneysWrite => "journeys:write",
        /// Push customers and interaction events.
        InteractionsWrite => "interactions:write",
        /// Read aggregated journey metrics.
        MetricsRead => "metrics:read",
        /// Administer the tenant.
        Admin => "admin",
    }
);

/// The set of scopes a token grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// Parses a space-separated scope string, refusing unknown scopes.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let mut scopes = Vec::new();
        for word in text.split_whitespace() {
            let scope = Scope::from_label(word)
                .ok_or_else(|| ValidationError::new("scope", format!("unknown scope '{word}'")))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(Self(scopes))
    }

    /// Parses a space-separated scope string, ignoring scopes this service does
    /// not know (tokens may carry scopes meant for other services).
    pub fn parse_lenient(text: &str) -> Self {
        let mut scopes = Vec::new();
        for scope in text.split_whitespace().filter_map(Scope::from_label) {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Self(scopes)
    }

    /// Whether `scope` is granted.
    pub fn grants(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// The granted scopes.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// The space-separated form, as a token carries it.
    pub fn to_claim(&self) -> String {
        self.0
            .iter()
            .map(|scope| scope.label())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_scopes() {
        let scopes = Scopes::parse("journeys:read  journeys:write journeys:read").unwrap();
        assert!(scopes.grants(Scope::JourneysRead));
        assert!(scopes.grants(Scope::JourneysWrite));
        assert!(!scopes.grants(Scope::Admin));
        assert_eq!(scopes.to_claim(), "journeys:read journeys:write");
    }

    #[test]
    fn strict_parsing_refuses_unknown_scopes_lenient_ignores_them() {
        assert!(Scopes::parse("journeys:read openid").is_err());
        let lenient = Scopes::parse_lenient("openid metrics:read");
        assert_eq!(lenient.to_claim(), "metrics:read");
    }
}
