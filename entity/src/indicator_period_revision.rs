//! An earlier revision of a period's actual value, kept when a correction replaced it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_period_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub period_id: Uuid,
    pub revision: i32,
    pub actual_value: f64,
    pub actual_female: Option<f64>,
    pub actual_male: Option<f64>,
    pub comment: Option<String>,
    pub reported_by_id: Option<Uuid>,
    pub reported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::indicator_period::Entity",
        from = "Column::PeriodId",
        to = "super::indicator_period::Column::Id"
    )]
    Period,
}

impl Related<super::indicator_period::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Period.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
