//! The Programme Office's approval of a period's result: it locks the period until reopened. No
//! row: the result awaits approval.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_period_approval")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_id: Uuid,
    pub approved_at: DateTimeUtc,
    pub approved_by_id: Option<Uuid>,
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
