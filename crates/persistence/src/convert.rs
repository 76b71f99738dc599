//! Conversions between stored rows and domain types. A row that does not
//! convert is reported as corrupt rather than silently patched.

use crate::StoreError;
use crate::entity::{channel, insight, journey, persona, phase, tenant, touchpoint, trigger};
use journeyd_domain::*;
use sea_orm::JsonValue;

/// Parses a stored label into its enum.
pub(crate) fn label<T>(
    what: &str,
    value: &str,
    from_label: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    from_label(value).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} '{value}'")))
}

fn optional_label<T>(
    what: &str,
    value: Option<&str>,
    from_label: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    value.map(|v| label(what, v, from_label)).transpose()
}

fn stored_name(value: &str) -> Result<Name, StoreError> {
    Name::parse("name", value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A list of strings as stored JSON.
pub(crate) fn strings_to_json(values: &[String]) -> JsonValue {
    JsonValue::Array(values.iter().cloned().map(JsonValue::String).collect())
}

fn strings_from_json(value: &JsonValue) -> Result<Vec<String>, StoreError> {
    let corrupt = || StoreError::Corrupt("expected a JSON list of strings".into());
    value
        .as_array()
        .ok_or_else(corrupt)?
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(corrupt))
        .collect()
}

/// Channel kinds as stored JSON (a list of labels).
pub(crate) fn kinds_to_json(kinds: &[ChannelKind]) -> JsonValue {
    JsonValue::Array(
        kinds
            .iter()
            .map(|k| JsonValue::String(k.label().to_owned()))
            .collect(),
    )
}

/// Labelled values as stored JSON (a list of `{label, value}` objects).
pub(crate) fn labeled_to_json(values: &[LabeledValue]) -> JsonValue {
    JsonValue::Array(
        values
            .iter()
            .map(|v| serde_json::json!({ "label": v.label, "value": v.value }))
            .collect(),
    )
}

fn labeled_from_json(value: &JsonValue) -> Result<Vec<LabeledValue>, StoreError> {
    let corrupt = || StoreError::Corrupt("expected a JSON list of {label, value}".into());
    value
        .as_array()
        .ok_or_else(corrupt)?
        .iter()
        .map(|item| {
            Ok(LabeledValue {
                label: item["label"].as_str().ok_or_else(corrupt)?.to_owned(),
                value: item["value"].as_str().ok_or_else(corrupt)?.to_owned(),
            })
        })
        .collect()
}

pub(crate) fn tenant(row: tenant::Model) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId::from_uuid(row.id),
        slug: TenantSlug::parse(&row.slug).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: stored_name(&row.name)?,
        created_at: row.created_at,
    })
}

pub(crate) fn journey(row: journey::Model) -> Result<Journey, StoreError> {
    let goal = row.goal_statement.map(|statement| JourneyGoal {
        statement,
        metric: row.goal_metric,
        target: row.goal_target,
        deadline: row.goal_deadline,
    });
    Ok(Journey {
        id: JourneyId::from_uuid(row.id),
        name: stored_name(&row.name)?,
        description: row.description,
        goal,
        state: label("journey state", &row.state, JourneyState::from_label)?,
        status: label("journey status", &row.status, JourneyStatus::from_label)?,
        template: label("template", &row.template, JourneyTemplate::from_label)?,
        version: Version(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn phase(row: phase::Model) -> Result<Phase, StoreError> {
    Ok(Phase {
        id: PhaseId::from_uuid(row.id),
        journey_id: JourneyId::from_uuid(row.journey_id),
        position: u32::try_from(row.position)
            .map_err(|_| StoreError::Corrupt("negative phase position".into()))?,
        name: stored_name(&row.name)?,
        stage: label("stage", &row.stage, Stage::from_label)?,
        description: row.description,
        customer_goals: strings_from_json(&row.customer_goals)?,
        questions: strings_from_json(&row.questions)?,
        expected_emotion: optional_label(
            "sentiment",
            row.expected_emotion.as_deref(),
            Sentiment::from_label,
        )?,
        created_at: row.created_at,
    })
}

pub(crate) fn persona(row: persona::Model) -> Result<Persona, StoreError> {
    let preferred_channels = strings_from_json(&row.preferred_channels)?
        .iter()
        .map(|kind| label("channel kind", kind, ChannelKind::from_label))
        .collect::<Result<_, _>>()?;
    Ok(Persona {
        id: PersonaId::from_uuid(row.id),
        name: stored_name(&row.name)?,
        description: row.description,
        demographics: labeled_from_json(&row.demographics)?,
        goals: strings_from_json(&row.goals)?,
        frustrations: strings_from_json(&row.frustrations)?,
        motivations: strings_from_json(&row.motivations)?,
        preferred_channels,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn channel(row: channel::Model) -> Result<Channel, StoreError> {
    Ok(Channel {
        id: ChannelId::from_uuid(row.id),
        name: stored_name(&row.name)?,
        kind: label("channel kind", &row.kind, ChannelKind::from_label)?,
        description: row.description,
    })
}

pub(crate) fn touchpoint(row: touchpoint::Model) -> Result<Touchpoint, StoreError> {
    let kpi = row.kpi_name.map(|name| Kpi {
        name,
        target: row.kpi_target,
        unit: row.kpi_unit,
    });
    Ok(Touchpoint {
        id: TouchpointId::from_uuid(row.id),
        journey_id: JourneyId::from_uuid(row.journey_id),
        phase_id: PhaseId::from_uuid(row.phase_id),
        channel_id: ChannelId::from_uuid(row.channel_id),
        key: TouchpointKey::parse(&row.key).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: stored_name(&row.name)?,
        description: row.description,
        owner: row.owner,
        goal: row.goal,
        kpi,
        sentiment: optional_label("sentiment", row.sentiment.as_deref(), Sentiment::from_label)?,
        is_conversion: row.is_conversion,
        position: u32::try_from(row.position)
            .map_err(|_| StoreError::Corrupt("negative touchpoint position".into()))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn trigger(row: trigger::Model) -> Result<Trigger, StoreError> {
    Ok(Trigger {
        id: TriggerId::from_uuid(row.id),
        journey_id: JourneyId::from_uuid(row.journey_id),
        phase_id: row.phase_id.map(PhaseId::from_uuid),
        name: stored_name(&row.name)?,
        description: row.description,
        kind: label("trigger kind", &row.kind, TriggerKind::from_label)?,
        created_at: row.created_at,
    })
}

pub(crate) fn insight(row: insight::Model) -> Result<Insight, StoreError> {
    let target = match (row.phase_id, row.touchpoint_id) {
        (None, None) => InsightTarget::Journey,
        (Some(phase), None) => InsightTarget::Phase(PhaseId::from_uuid(phase)),
        (None, Some(touchpoint)) => InsightTarget::Touchpoint(TouchpointId::from_uuid(touchpoint)),
        (Some(_), Some(_)) => {
            return Err(StoreError::Corrupt(
                "insight attached to a phase and a touchpoint".into(),
            ));
        }
    };
    Ok(Insight {
        id: InsightId::from_uuid(row.id),
        journey_id: JourneyId::from_uuid(row.journey_id),
        target,
        kind: label("insight kind", &row.kind, InsightKind::from_label)?,
        title: stored_name(&row.title)?,
        description: row.description,
        severity: label("severity", &row.severity, Severity::from_label)?,
        source: row.source,
        created_at: row.created_at,
    })
}

/// Converts every row with `f`.
pub(crate) fn all<R, T>(
    rows: Vec<R>,
    f: fn(R) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(f).collect()
}
