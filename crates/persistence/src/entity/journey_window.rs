//! The `journey_windows` rollup: per journey, last day and persona, the
//! pairs and triples of consecutive interactions ending that day, by lag
//! in days (see `repo::windows`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journey_windows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub journey_id: Uuid,
    /// Days since the epoch (UTC) of the windows' last interaction.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    /// The customers' persona, or the nil UUID for none.
    #[sea_orm(primary_key, auto_increment = false)]
    pub persona_key: Uuid,
    /// `lag:count,...` of the pairs.
    pub pairs: String,
    /// `lag:count,...` of the triples.
    pub triples: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
