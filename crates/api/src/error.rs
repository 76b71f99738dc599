//! The API's one error type and how each variant reaches a client.
//!
//! Every error a client sees carries `extensions.code`. Database and internal
//! failures are masked: the client gets a request id, the log gets the cause.

use async_graphql::ErrorExtensions;
use journeyd_domain::{Scope, ValidationError};
use journeyd_persistence::StoreError;

tokio::task_local! {
    /// The id of the HTTP request being served (set by the HTTP handler).
    pub static REQUEST_ID: String;
}

/// The current request's id, if the code runs inside a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A failure as the API reports it.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ApiError {
    /// No valid token (missing, malformed, expired, wrong signature, unknown
    /// tenant). Code `UNAUTHENTICATED`.
    #[error("authentication required: send a valid bearer token")]
    Unauthenticated,
    /// The token lacks the scope the field needs. Code `FORBIDDEN`.
    #[error("this needs the '{0}' scope")]
    Forbidden(&'static str),
    /// No such object for this tenant. Code `NOT_FOUND`.
    #[error("{0} not found")]
    NotFound(String),
    /// The input is invalid; `field` names where. Code `BAD_USER_INPUT`.
    #[error("{field}: {message}")]
    BadUserInput {
        /// The offending input field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The change clashes with stored state. Code `CONFLICT`.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached. Code `UNAVAILABLE`.
    #[error("the database is unavailable, try again shortly (request {0})")]
    Unavailable(String),
    /// Anything else; details are in the log under the request id. Code `INTERNAL`.
    #[error("internal error (request {0})")]
    Internal(String),
}

impl ApiError {
    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::BadUserInput { .. } => "BAD_USER_INPUT",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::Unavailable(_) => "UNAVAILABLE",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// A bad-input error on `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The error for a missing scope.
    pub fn forbidden(scope: Scope) -> Self {
        ApiError::Forbidden(scope.label())
    }

    /// Logs `cause` under the current request id and returns the masked error.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        let request_id = current_request_id().unwrap_or_else(|| "-".to_owned());
        tracing::error!(request_id = %request_id, error = %cause, "internal error");
        ApiError::Internal(request_id)
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        ApiError::BadUserInput {
            field: err.field,
            message: err.message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::from(&err)
    }
}

impl From<&StoreError> for ApiError {
    fn from(err: &StoreError) -> Self {
        match err {
            StoreError::NotFound(kind) => ApiError::NotFound((*kind).to_owned()),
            StoreError::Conflict(message) => ApiError::Conflict(message.clone()),
            StoreError::Invalid(err) => err.clone().into(),
            StoreError::Unavailable(cause) => {
                let request_id = current_request_id().unwrap_or_else(|| "-".to_owned());
                tracing::warn!(request_id = %request_id, error = %cause, "database unavailable");
                ApiError::Unavailable(request_id)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<std::sync::Arc<StoreError>> for ApiError {
    fn from(err: std::sync::Arc<StoreError>) -> Self {
        ApiError::from(&*err)
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let ApiError::BadUserInput { field, .. } = self {
                ext.set("field", field.as_str());
            }
            if let ApiError::Internal(id) | ApiError::Unavailable(id) = self {
                ext.set("requestId", id.as_str());
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}

/// The result of a resolver.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err: ApiError = StoreError::Corrupt("secret table detail".into()).into();
        let gql = async_graphql::Error::from(err);
        assert!(!gql.message.contains("secret"), "{}", gql.message);
        assert!(gql.message.starts_with("internal error"));
    }

    #[test]
    fn validation_errors_name_the_field() {
        let err: ApiError = ValidationError::new("name", "must not be empty").into();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        let gql = async_graphql::Error::from(err);
        let ext = gql.extensions.expect("extensions");
        assert_eq!(ext.get("field"), Some(&async_graphql::Value::from("name")));
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("BAD_USER_INPUT"))
        );
    }
}
