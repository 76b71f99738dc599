//! The `interactions` table: the raw events, the source of truth.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub external_id: String,
    pub customer_id: Uuid,
    pub journey_id: Uuid,
    pub touchpoint_id: Uuid,
    pub occurred_at: i64,
    pub sentiment: Option<i16>,
    pub rating: Option<i16>,
    pub nps: Option<i16>,
    pub value_scaled: Option<i64>,
    pub value_currency: Option<String>,
    pub properties: Option<Json>,
    pub content_hash: i64,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
