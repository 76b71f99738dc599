//! Validation of ingest items (interactions and customers), from JSON as an
//! import file or a GraphQL variable carries them, and from structured
//! arbitrary values.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use async_graphql::{ID, Json, MaybeUndefined};
use journeyd_api::graphql::{CustomerInput, InteractionInput, MoneyInput};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// A JSON value at most `depth` levels deep.
fn json(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Value> {
    let choice = if depth == 0 {
        u.int_in_range(0..=3)?
    } else {
        u.int_in_range(0..=5)?
    };
    Ok(match choice {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => serde_json::Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        3 => Value::String(String::arbitrary(u)?),
        4 => {
            let len = u.int_in_range(0..=4)?;
            Value::Array(
                (0..len)
                    .map(|_| json(u, depth - 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        _ => {
            let len = u.int_in_range(0..=4)?;
            let mut map = serde_json::Map::new();
            for _ in 0..len {
                map.insert(String::arbitrary(u)?, json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

fn interaction(u: &mut Unstructured<'_>) -> arbitrary::Result<InteractionInput> {
    let id = |u: &mut Unstructured<'_>| -> arbitrary::Result<Option<ID>> {
        Ok(Option::<String>::arbitrary(u)?.map(ID))
    };
    Ok(InteractionInput {
        external_id: String::arbitrary(u)?,
        customer_external_id: String::arbitrary(u)?,
        touchpoint_id: id(u)?,
        journey_id: id(u)?,
        touchpoint_key: Option::<String>::arbitrary(u)?,
        occurred_at: String::arbitrary(u)?,
        sentiment: Option::<i32>::arbitrary(u)?,
        rating: Option::<i32>::arbitrary(u)?,
        nps: Option::<i32>::arbitrary(u)?,
        value: if bool::arbitrary(u)? {
            Some(MoneyInput {
                amount: String::arbitrary(u)?,
                currency: String::arbitrary(u)?,
            })
        } else {
            None
        },
        properties: if bool::arbitrary(u)? {
            Some(Json(json(u, 12)?))
        } else {
            None
        },
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Ok(item) = serde_json::from_slice::<InteractionInput>(rest) {
                journeyd_api::fuzzing::interaction(&item);
            }
        }
        1 => {
            if let Ok(item) = serde_json::from_slice::<CustomerInput>(rest) {
                journeyd_api::fuzzing::customer(item);
            }
        }
        2 => {
            if let Ok(item) = interaction(&mut Unstructured::new(rest)) {
                journeyd_api::fuzzing::interaction(&item);
            }
        }
        _ => {
            let mut u = Unstructured::new(rest);
            let item = (|| -> arbitrary::Result<CustomerInput> {
                Ok(CustomerInput {
                    external_id: String::arbitrary(&mut u)?,
                    persona_id: match u.int_in_range(0..=2)? {
                        0 => MaybeUndefined::Undefined,
                        1 => MaybeUndefined::Null,
                        _ => MaybeUndefined::Value(ID(String::arbitrary(&mut u)?)),
                    },
                    attributes: if bool::arbitrary(&mut u)? {
                        Some(Json(json(&mut u, 12)?))
                    } else {
                        None
                    },
                })
            })();
            if let Ok(item) = item {
                journeyd_api::fuzzing::customer(item);
            }
        }
    }
});
