//! One measure of a project's results (IATI `result/indicator`): what is counted, its baseline,
//! and whether more is better. Its targets and results are `indicator_period` rows.

use sea_orm::entity::prelude::*;

use crate::{
    Localized,
    enums::{IndicatorMeasure, IndicatorPeriodicity},
};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: Localized,
    /// How the indicator is counted; may be empty in every language.
    pub definition: Localized,
    pub measure: IndicatorMeasure,
    /// Results are reported for women and men as well as in total.
    pub disaggregated_by_sex: bool,
    /// True when a higher value is better (IATI `ascending`).
    pub ascending: bool,
    pub periodicity: IndicatorPeriodicity,
    pub baseline_value: Option<f64>,
    /// When the baseline was measured; present whenever the value is.
    pub baseline_date: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id"
    )]
    Project,
    #[sea_orm(has_many = "super::indicator_period::Entity")]
    Period,
}

impl Related<super::project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Project.def()
    }
}

impl Related<super::indicator_period::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Period.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
