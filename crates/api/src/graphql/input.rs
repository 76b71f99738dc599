//! Shared helpers for turning GraphQL input into validated domain values.

use crate::error::ApiError;
use crate::graphql::Limits;
use async_graphql::{Context, MaybeUndefined};
use journeyd_domain::{Name, ValidationError, text};
use journeyd_persistence::PageRequest;

/// The page size when a client gives neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// The largest page a client may ask for, unless configured otherwise.
pub const MAX_PAGE_SIZE: i32 = 100;

/// The configured limits (the defaults outside a schema that has them).
pub fn limits<'a>(ctx: &'a Context<'_>) -> std::borrow::Cow<'a, Limits> {
    ctx.data_opt::<Limits>().map_or_else(
        || std::borrow::Cow::Owned(Limits::default()),
        std::borrow::Cow::Borrowed,
    )
}

/// What a connection field adds to a query's cost: its selection once per
/// item of the page asked for.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE).max(1);
    usize::try_from(size)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
}

/// Turns Relay paging arguments into a page request; `decode` reads a cursor.
pub fn page_request<K>(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    decode: fn(&str, &str) -> Result<K, ApiError>,
) -> Result<PageRequest<K>, ApiError> {
    let max = limits(ctx).max_page_size;
    let size = |field: &str, value: i32| {
        if (0..=max).contains(&value) {
            Ok(value as u64)
        } else {
            Err(ApiError::bad_input(
                field,
                format!("must be between 0 and {max}"),
            ))
        }
    };
    let (limit, from_end) = match (first, last) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_input(
                "last",
                "give either first or last, not both",
            ));
        }
        (Some(first), None) => (size("first", first)?, false),
        (None, Some(last)) => (size("last", last)?, true),
        (None, None) => (DEFAULT_PAGE_SIZE as u64, false),
    };
    Ok(PageRequest {
        after: after.as_deref().map(|c| decode("after", c)).transpose()?,
        before: before.as_deref().map(|c| decode("before", c)).transpose()?,
        limit,
        from_end,
    })
}

/// Validates a required name held in `field`.
pub fn name(field: &str, value: &str) -> Result<Name, ApiError> {
    Ok(Name::parse(field, value)?)
}

/// Validates an optional free description held in `field`.
pub fn description(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    Ok(text::description(field, value)?)
}

/// Validates an optional short text (at most `max` characters).
pub fn short_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    Ok(text::optional_text(field, value, max)?)
}

/// Validates a list of phrases.
pub fn phrases(field: &str, values: &[String]) -> Result<Vec<String>, ApiError> {
    Ok(text::phrases(field, values)?)
}

/// A patch of a nullable field: absent leaves it, `null` clears it, a value
/// (validated by `parse`) replaces it.
pub fn nullable<T, U>(
    value: MaybeUndefined<T>,
    parse: impl FnOnce(T) -> Result<U, ApiError>,
) -> Result<Option<Option<U>>, ApiError> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(v) => parse(v).map(|u| Some(Some(u))),
    }
}

/// A patch of a non-nullable field: absent leaves it, a value replaces it,
/// `null` is refused.
pub fn required<T, U>(
    field: &str,
    value: MaybeUndefined<T>,
    parse: impl FnOnce(T) -> Result<U, ApiError>,
) -> Result<Option<U>, ApiError> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(ValidationError::new(field, "must not be null").into()),
        MaybeUndefined::Value(v) => parse(v).map(Some),
    }
}

/// The length limit of owners and sources.
pub const SHORT_TEXT_MAX: usize = 200;
