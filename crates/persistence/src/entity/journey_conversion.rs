//! The `journey_conversions` rollup: per journey and UTC day, the customers
//! whose first conversion fell that day and how many of them converted
//! again within the repeat window (see `repo::conversions`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journey_conversions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub journey_id: Uuid,
    /// Days since the epoch (UTC) of the first conversions.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    /// Customers whose first conversion fell that day.
    pub firsts: i64,
    /// Those of them who converted again within the repeat window.
    pub repeats: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
