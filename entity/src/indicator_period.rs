//! One period (a year or a quarter) of an indicator: its target and the current revision of its
//! actual value. Earlier revisions are `indicator_period_revision` rows; an approved period has
//! an `indicator_period_approval` row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_period")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub indicator_id: Uuid,
    /// The first day of the year or quarter.
    pub period_start: Date,
    /// The last day of the year or quarter.
    pub period_end: Date,
    pub target_value: Option<f64>,
    /// The reported value; none while nothing is reported.
    pub actual_value: Option<f64>,
    /// Of a sex-disaggregated indicator: the value for women and for men.
    pub actual_female: Option<f64>,
    pub actual_male: Option<f64>,
    /// The reporter's comment on the value.
    pub comment: Option<String>,
    /// 0 while nothing is reported, 1 for the first report, incremented by each correction.
    pub revision: i32,
    pub reported_by_id: Option<Uuid>,
    pub reported_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::indicator::Entity",
        from = "Column::IndicatorId",
        to = "super::indicator::Column::Id"
    )]
    Indicator,
}

impl Related<super::indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
