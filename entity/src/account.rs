//! A person's sign-in account.

use sea_orm::entity::prelude::*;

use crate::enums::{AccountStatus, Language, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-cased; unique.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Required for partner roles, absent for staff roles (a CHECK constraint holds both ways).
    pub organisation_id: Option<Uuid>,
    pub preferred_language: Language,
    pub status: AccountStatus,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub failed_login_count: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
    pub must_change_password: bool,
    /// TOTP secret, AEAD-encrypted (key id inside the envelope).
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled_at: Option<DateTimeUtc>,
    /// The last TOTP time step accepted, so that no code is accepted twice.
    pub totp_last_step: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id"
    )]
    Organisation,
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
