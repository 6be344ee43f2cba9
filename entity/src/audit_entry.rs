//! An append-only audit record. Never holds survivor-identifying data.

use sea_orm::entity::prelude::*;

use crate::enums::{AuditOutcome, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_account_id: Option<Uuid>,
    pub actor_role: Option<Role>,
    pub actor_organisation_id: Option<Uuid>,
    /// Dotted action name, for example `auth.login_failed` or `case.read_identifying`.
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub outcome: AuditOutcome,
    pub request_id: Option<String>,
    /// Non-identifying details (changed field names, counts).
    pub detail: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
