//! The `journey_chains` rollup: per customer and journey, the funnel chain
//! and the first two conversions.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journey_chains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub journey_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    /// t1, in microseconds since the epoch (none: the first phase is not reached).
    pub started_at: Option<i64>,
    /// t2 − t1, ... tk − t(k−1) in microseconds, comma-separated, or empty.
    pub chain: String,
    /// The earliest interaction at a conversion touchpoint.
    pub first_conversion_at: Option<i64>,
    /// The second-earliest interaction at a conversion touchpoint.
    pub second_conversion_at: Option<i64>,
}

impl Model {
    /// The first two conversions stored, in time order.
    pub fn conversions(&self) -> Vec<i64> {
        self.first_conversion_at
            .into_iter()
            .chain(self.second_conversion_at)
            .collect()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
