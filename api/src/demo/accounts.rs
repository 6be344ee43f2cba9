//! One demo account per role (`api/data/demo/accounts.toml`), so that a newcomer can sign in
//! as each principal. The passwords are printed by the development server and listed in the
//! README; the demo is never loaded in production.

use chrono::{DateTime, Utc};
use entity::{
    account,
    enums::{AccountStatus, Language, Role},
};
use sea_orm::DbErr;
use uuid::Uuid;

use super::{demo_id, files::DemoLogin, org_id};
use crate::auth::password;

fn role(code: &str) -> Result<(Role, Language), DbErr> {
    match code {
        "ADMIN" => Ok((Role::Admin, Language::En)),
        "STAFF" => Ok((Role::Staff, Language::En)),
        "PARTNER_MANAGER" => Ok((Role::PartnerManager, Language::Ru)),
        "PARTNER" => Ok((Role::Partner, Language::Tg)),
        other => Err(DbErr::Custom(format!(
            "demo login with unknown role {other}"
        ))),
    }
}

/// A demo account's id (accounts are all created at `created_at`).
pub(super) fn account_id(login: &DemoLogin, created_at: DateTime<Utc>) -> Result<Uuid, DbErr> {
    demo_id(&format!("account:{}", login.email), created_at)
}

/// The demo account of the organisation with demo key `organisation`, if it has one: the
/// account that acts for it in the demo's referral cases.
pub(super) fn member_of(
    logins: &[DemoLogin],
    organisation: &str,
    created_at: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    logins
        .iter()
        .find(|login| login.organisation.as_deref() == Some(organisation))
        .map(|login| account_id(login, created_at))
        .transpose()
}

/// The demo account of role `role` (its code), if there is one: the staff account approves the
/// demo's results.
pub(super) fn with_role(
    logins: &[DemoLogin],
    role: &str,
    created_at: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    logins
        .iter()
        .find(|login| login.role == role)
        .map(|login| account_id(login, created_at))
        .transpose()
}

/// The demo account rows, with freshly hashed passwords (on the blocking pool).
pub(super) async fn demo_accounts(
    logins: &[DemoLogin],
    created_at: DateTime<Utc>,
) -> Result<Vec<account::Model>, DbErr> {
    let mut accounts = Vec::with_capacity(logins.len());
    for login in logins {
        let (role, preferred_language) = role(&login.role)?;
        let password_hash = password::hash_trusted(login.password.as_str().into())
            .await
            .map_err(|error| DbErr::Custom(format!("hashing a demo password: {error}")))?;
        accounts.push(account::Model {
            id: account_id(login, created_at)?,
            email: login.email.clone(),
            display_name: login.display_name.clone(),
            role,
            organisation_id: login.organisation.as_deref().map(org_id).transpose()?,
            preferred_language,
            status: AccountStatus::Active,
            password_hash,
            failed_login_count: 0,
            locked_until: None,
            last_login_at: None,
            must_change_password: false,
            totp_secret: None,
            totp_enabled_at: None,
            totp_last_step: None,
            created_at,
            updated_at: created_at,
        });
    }
    Ok(accounts)
}
