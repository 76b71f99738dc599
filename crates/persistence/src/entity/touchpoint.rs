//! The `touchpoints` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "touchpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub journey_id: Uuid,
    pub phase_id: Uuid,
    pub channel_id: Uuid,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub goal: Option<String>,
    pub kpi_name: Option<String>,
    pub kpi_target: Option<f64>,
    pub kpi_unit: Option<String>,
    pub sentiment: Option<String>,
    pub is_conversion: bool,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
