//! Ingest for CRM integrations: customers by external id, interaction
//! batches answered per item, and forgetting a customer. These mutations
//! need the `interactions:write` scope.

use crate::error::{ApiError, ApiResult};
use crate::graphql::context::writing;
use crate::graphql::ids;
use crate::graphql::types::Customer;
use crate::telemetry::{IngestResult, Telemetry};
use async_graphql::{Context, Enum, ID, InputObject, Json, MaybeUndefined, Object, SimpleObject};
use journeyd_domain::customer::{ATTRIBUTES_MAX_BYTES, json_object};
use journeyd_domain::interaction::DEFAULT_FUTURE_SKEW;
use journeyd_domain::*;
use std::sync::Arc;

/// An amount of money.
#[derive(InputObject, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoneyInput {
    /// A decimal amount with at most 4 decimals, as a string ("79.90").
    pub amount: String,
    /// An ISO 4217 currency code ("EUR").
    pub currency: String,
}

/// One interaction: a customer met a touchpoint at a moment. The same shape
/// is one line of an NDJSON import file.
#[derive(InputObject, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InteractionInput {
    /// The idempotency key, unique per tenant: sending it again is safe.
    pub external_id: String,
    /// The customer's id in the CRM (an unknown customer is created).
    pub customer_external_id: String,
    /// The touchpoint, by id; or give `journeyId` and `touchpointKey`.
    pub touchpoint_id: Option<ID>,
    /// The journey of `touchpointKey`.
    pub journey_id: Option<ID>,
    /// The touchpoint's key in `journeyId`.
    pub touchpoint_key: Option<String>,
    /// When it happened: RFC 3339 with an offset. Not in the future; late,
    /// old events are fine.
    pub occurred_at: String,
    /// Sentiment, -2 (very negative) to 2 (very positive).
    pub sentiment: Option<i32>,
    /// Star rating, 1 to 5.
    pub rating: Option<i32>,
    /// Answer to the NPS question, 0 to 10.
    pub nps: Option<i32>,
    /// The value of the interaction.
    pub value: Option<MoneyInput>,
    /// Free properties: a JSON object of at most 8 KiB.
    pub properties: Option<Json<serde_json::Value>>,
}

/// A batch of interactions.
#[derive(InputObject)]
pub struct RecordInteractionsInput {
    /// The interactions (at most the configured batch size, 1000 by default).
    pub interactions: Vec<InteractionInput>,
}

/// What happened to one item of a batch.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ItemStatus {
    /// Stored now.
    Accepted,
    /// Already stored with the same content: counted once, not an error.
    Duplicate,
    /// Not stored; see `code` and `message`.
    Rejected,
}

/// The answer for one interaction of a batch.
#[derive(SimpleObject)]
pub struct InteractionResult {
    /// The item's position in the batch, from 0.
    pub index: i32,
    /// The item's external id.
    pub external_id: String,
    /// What happened to it.
    pub status: ItemStatus,
    /// Why it was rejected: BAD_USER_INPUT, NOT_FOUND or CONFLICT.
    pub code: Option<String>,
    /// Why it was rejected, in words.
    pub message: Option<String>,
}

/// The answer to a batch: counts, and one result per item in order.
#[derive(SimpleObject)]
pub struct RecordInteractionsPayload {
    /// Items stored now.
    pub accepted: i32,
    /// Items already stored before.
    pub duplicates: i32,
    /// Items not stored.
    pub rejected: i32,
    /// One result per item, in the order sent.
    pub results: Vec<InteractionResult>,
}

/// A customer to create or update by external id. The same shape is one
/// line of an NDJSON import file.
#[derive(InputObject, serde::Deserialize, Clone)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerInput {
    /// The customer's id in the CRM.
    pub external_id: String,
    /// The persona to assign (null: none; left out: unchanged).
    #[serde(default = "undefined")]
    pub persona_id: MaybeUndefined<ID>,
    /// Free attributes: a JSON object of at most 16 KiB (replaces the stored
    /// one; left out: unchanged).
    pub attributes: Option<Json<serde_json::Value>>,
}

/// A batch of customers.
#[derive(InputObject)]
pub struct UpsertCustomersInput {
    /// The customers (at most the configured batch size).
    pub customers: Vec<CustomerInput>,
}

/// What happened to one customer of a batch.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CustomerStatus {
    /// A new customer was stored.
    Created,
    /// An existing customer changed.
    Updated,
    /// An existing customer already matched.
    Unchanged,
    /// Nothing was stored; see `code` and `message`.
    Rejected,
}

/// The answer for one customer of a batch.
#[derive(SimpleObject)]
pub struct CustomerResult {
    /// The item's position in the batch, from 0.
    pub index: i32,
    /// The item's external id.
    pub external_id: String,
    /// What happened to it.
    pub status: CustomerStatus,
    /// Why it was rejected.
    pub code: Option<String>,
    /// Why it was rejected, in words.
    pub message: Option<String>,
    /// The customer as stored now.
    pub customer: Option<Customer>,
}

/// The answer to a customer batch.
#[derive(SimpleObject)]
pub struct UpsertCustomersPayload {
    /// One result per item, in the order sent.
    pub results: Vec<CustomerResult>,
}

/// The customer to forget.
#[derive(InputObject)]
pub struct DeleteCustomerInput {
    /// The customer's id in the CRM.
    pub external_id: String,
}

/// The answer to a deletion.
#[derive(SimpleObject)]
pub struct DeleteCustomerPayload {
    /// The forgotten customer's external id.
    pub external_id: String,
    /// How many of their interactions were deleted.
    pub interactions_deleted: i64,
}

fn undefined() -> MaybeUndefined<ID> {
    MaybeUndefined::Undefined
}

fn check_batch(ctx: &Context<'_>, field: &str, len: usize) -> ApiResult<()> {
    let max = crate::graphql::input::limits(ctx).max_batch_items;
    if len > max {
        return Err(ApiError::bad_input(
            field,
            format!("a call takes at most {max} items, this one has {len}: split it"),
        ));
    }
    Ok(())
}

/// Validates one interaction item.
pub fn validate_interaction(
    item: &InteractionInput,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewInteraction, ItemOutcome> {
    let touchpoint = match (&item.touchpoint_id, &item.journey_id, &item.touchpoint_key) {
        (Some(id), None, None) => ids::touchpoint_id("touchpointId", id).map(TouchpointRef::Id),
        (None, Some(journey), Some(key)) => {
            ids::journey_id("journeyId", journey).and_then(|journey| {
                TouchpointKey::parse(key)
                    .map(|key| TouchpointRef::Key(journey, key))
                    .map_err(|e| ApiError::bad_input("touchpointKey", e.message))
            })
        }
        _ => Err(ApiError::bad_input(
            "touchpointId",
            "give touchpointId, or journeyId and touchpointKey",
        )),
    }
    .map_err(|err| match err {
        ApiError::NotFound(what) => ItemOutcome::Rejected {
            code: RejectionCode::NotFound,
            message: format!("no such {what}"),
        },
        other => ItemOutcome::Rejected {
            code: RejectionCode::BadUserInput,
            message: other.to_string(),
        },
    })?;
    let draft = InteractionDraft {
        external_id: &item.external_id,
        customer: &item.customer_external_id,
        occurred_at: &item.occurred_at,
        sentiment: item.sentiment.map(i64::from),
        rating: item.rating.map(i64::from),
        nps: item.nps.map(i64::from),
        value: item
            .value
            .as_ref()
            .map(|v| (v.amount.as_str(), v.currency.as_str())),
        properties: item.properties.as_ref().map(|p| &p.0),
    };
    NewInteraction::validate(&draft, touchpoint, now, DEFAULT_FUTURE_SKEW)
        .map_err(|e| ItemOutcome::invalid(&e))
}

/// Validates one customer item; a rejection is its code and message.
pub fn validate_customer(item: CustomerInput) -> Result<CustomerUpsert, (RejectionCode, String)> {
    let reject = |code: RejectionCode, message: String| (code, message);
    let external_id = ExternalId::parse("externalId", &item.external_id)
        .map_err(|e| reject(RejectionCode::BadUserInput, e.to_string()))?;
    let persona_id = match item.persona_id {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(ids::persona_id("personaId", &id).map_err(
            |e| match e {
                ApiError::NotFound(_) => {
                    reject(RejectionCode::NotFound, "personaId: no such persona".into())
                }
                other => reject(RejectionCode::BadUserInput, other.to_string()),
            },
        )?)),
    };
    let attributes = match item.attributes {
        Some(Json(value)) => {
            json_object("attributes", &value, ATTRIBUTES_MAX_BYTES)
                .map_err(|e| reject(RejectionCode::BadUserInput, e.to_string()))?;
            Some(value)
        }
        None => None,
    };
    Ok(CustomerUpsert {
        external_id,
        persona_id,
        attributes,
    })
}

fn rejection_parts(outcome: &ItemOutcome) -> (ItemStatus, Option<String>, Option<String>) {
    match outcome {
        ItemOutcome::Accepted => (ItemStatus::Accepted, None, None),
        ItemOutcome::Duplicate => (ItemStatus::Duplicate, None, None),
        ItemOutcome::Rejected { code, message } => (
            ItemStatus::Rejected,
            Some(code.label().to_owned()),
            Some(message.clone()),
        ),
    }
}

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// Records a batch of interactions in one transaction. Each item is
    /// answered: accepted, duplicate (already stored with the same content),
    /// or rejected with a code and message; rejected items never block the
    /// others. When the call fails as a whole, nothing of it is stored, so
    /// retrying is always safe.
    async fn record_interactions(
        &self,
        ctx: &Context<'_>,
        input: RecordInteractionsInput,
    ) -> ApiResult<RecordInteractionsPayload> {
        let (store, tenant) = writing(ctx, Scope::InteractionsWrite)?;
        check_batch(ctx, "interactions", input.interactions.len())?;
        let now = chrono::Utc::now();
        let items: Vec<Result<NewInteraction, ItemOutcome>> = input
            .interactions
            .iter()
            .map(|item| validate_interaction(item, now))
            .collect();
        let outcomes = store.record_interactions(tenant, items).await?;
        let mut payload = RecordInteractionsPayload {
            accepted: 0,
            duplicates: 0,
            rejected: 0,
            results: Vec::with_capacity(outcomes.len()),
        };
        for (index, (item, outcome)) in input.interactions.iter().zip(&outcomes).enumerate() {
            let (status, code, message) = rejection_parts(outcome);
            match status {
                ItemStatus::Accepted => payload.accepted += 1,
                ItemStatus::Duplicate => payload.duplicates += 1,
                ItemStatus::Rejected => payload.rejected += 1,
            }
            payload.results.push(InteractionResult {
                index: index as i32,
                external_id: item.external_id.clone(),
                status,
                code,
                message,
            });
        }
        ctx.data_unchecked::<Arc<Telemetry>>().record_ingest(
            "interaction",
            &[
                (IngestResult::Accepted, payload.accepted as u64),
                (IngestResult::Duplicate, payload.duplicates as u64),
                (IngestResult::Rejected, payload.rejected as u64),
            ],
        );
        Ok(payload)
    }

    /// Creates or updates customers by external id, in one transaction.
    async fn upsert_customers(
        &self,
        ctx: &Context<'_>,
        input: UpsertCustomersInput,
    ) -> ApiResult<UpsertCustomersPayload> {
        let (store, tenant) = writing(ctx, Scope::InteractionsWrite)?;
        check_batch(ctx, "customers", input.customers.len())?;
        let names: Vec<String> = input
            .customers
            .iter()
            .map(|c| c.external_id.clone())
            .collect();
        let items = input
            .customers
            .into_iter()
            .map(|item| {
                validate_customer(item)
                    .map_err(|(code, message)| CustomerOutcome::Rejected { code, message })
            })
            .collect();
        let outcomes = store.upsert_customers(tenant, items).await?;
        let mut tally = [
            (IngestResult::Created, 0),
            (IngestResult::Updated, 0),
            (IngestResult::Unchanged, 0),
            (IngestResult::Rejected, 0),
        ];
        for outcome in &outcomes {
            let slot = match outcome {
                CustomerOutcome::Created(_) => 0,
                CustomerOutcome::Updated(_) => 1,
                CustomerOutcome::Unchanged(_) => 2,
                CustomerOutcome::Rejected { .. } => 3,
            };
            tally[slot].1 += 1;
        }
        ctx.data_unchecked::<Arc<Telemetry>>()
            .record_ingest("customer", &tally);
        let results = outcomes
            .into_iter()
            .zip(names)
            .enumerate()
            .map(|(index, (outcome, external_id))| {
                let (status, code, message, customer) = match outcome {
                    CustomerOutcome::Created(c) => (CustomerStatus::Created, None, None, Some(c)),
                    CustomerOutcome::Updated(c) => (CustomerStatus::Updated, None, None, Some(c)),
                    CustomerOutcome::Unchanged(c) => {
                        (CustomerStatus::Unchanged, None, None, Some(c))
                    }
                    CustomerOutcome::Rejected { code, message } => (
                        CustomerStatus::Rejected,
                        Some(code.label().to_owned()),
                        Some(message),
                        None,
                    ),
                };
                CustomerResult {
                    index: index as i32,
                    external_id,
                    status,
                    code,
                    message,
                    customer: customer.map(|c| Customer(*c)),
                }
            })
            .collect();
        Ok(UpsertCustomersPayload { results })
    }

    /// Forgets a customer: deletes them and all their interactions, and
    /// corrects every derived figure (for privacy requests).
    async fn delete_customer(
        &self,
        ctx: &Context<'_>,
        input: DeleteCustomerInput,
    ) -> ApiResult<DeleteCustomerPayload> {
        let (store, tenant) = writing(ctx, Scope::InteractionsWrite)?;
        let external_id = ExternalId::parse("externalId", &input.external_id)?;
        let deleted = store.delete_customer(tenant, &external_id).await?;
        Ok(DeleteCustomerPayload {
            external_id: input.external_id,
            interactions_deleted: deleted as i64,
        })
    }
}
