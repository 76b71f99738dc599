//! The `interaction_stats` rollup: daily counts and sums per touchpoint,
//! persona and currency.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interaction_stats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub journey_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub touchpoint_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub persona_key: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    pub interactions: i64,
    pub sentiment_n: i64,
    pub sentiment_sum: i64,
    pub sentiment_pos: i64,
    pub sentiment_neu: i64,
    pub sentiment_neg: i64,
    pub rating_n: i64,
    pub rating_sum: i64,
    pub rating_top: i64,
    pub nps_n: i64,
    pub nps_promoters: i64,
    pub nps_detractors: i64,
    pub value_sum: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
