//! One demo account per role, so that a newcomer can sign in as each principal. The passwords
//! are printed by the development server and listed in the README; the demo is never loaded in
//! production.

use chrono::{DateTime, Utc};
use entity::{
    account,
    enums::{AccountStatus, Language, Role},
};
use sea_orm::DbErr;
use uuid::Uuid;

use super::{demo_id, org_id};
use crate::auth::password;

/// A demo sign-in.
#[derive(Clone, Copy, Debug)]
pub struct DemoLogin {
    /// The role, as its code.
    pub role: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    /// The organisation's demo key, for partner roles.
    pub organisation: Option<&'static str>,
    pub display_name: &'static str,
}

/// The demo accounts: an admin, a programme officer, the focal point of the NGO running the
/// Khujand shelter, and a staff member of the NGO running the Bokhtar resource centre.
pub const DEMO_LOGINS: &[DemoLogin] = &[
    DemoLogin {
        role: "ADMIN",
        email: "admin@portal.example.tj",
        password: "Demo-Admin-Dushanbe-2026",
        organisation: None,
        display_name: "Demo Administrator",
    },
    DemoLogin {
        role: "STAFF",
        email: "staff@portal.example.tj",
        password: "Demo-Programme-Officer-2026",
        organisation: None,
        display_name: "Demo Programme Officer",
    },
    DemoLogin {
        role: "PARTNER_MANAGER",
        email: "manager@gulrukhsor.example.tj",
        password: "Demo-Manager-Gulrukhsor-2026",
        organisation: Some("gulrukhsor"),
        display_name: "Demo Focal Point (Gulrukhsor)",
    },
    DemoLogin {
        role: "PARTNER",
        email: "partner@oksana.example.tj",
        password: "Demo-Partner-Oksana-2026",
        organisation: Some("oksana"),
        display_name: "Demo Partner (Oksana)",
    },
];

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
fn account_id(login: &DemoLogin, created_at: DateTime<Utc>) -> Result<Uuid, DbErr> {
    demo_id(&format!("account:{}", login.email), created_at)
}

/// The demo account of the organisation with demo key `organisation`, if it has one: the
/// account that acts for it in the demo's referral cases.
pub(super) fn member_of(
    organisation: &str,
    created_at: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    DEMO_LOGINS
        .iter()
        .find(|login| login.organisation == Some(organisation))
        .map(|login| account_id(login, created_at))
        .transpose()
}

/// The demo account rows, with freshly hashed passwords (on the blocking pool).
pub(super) async fn demo_accounts(created_at: DateTime<Utc>) -> Result<Vec<account::Model>, DbErr> {
    let mut accounts = Vec::with_capacity(DEMO_LOGINS.len());
    for login in DEMO_LOGINS {
        let (role, preferred_language) = role(login.role)?;
        let password_hash = password::hash_trusted(login.password.into())
            .await
            .map_err(|error| DbErr::Custom(format!("hashing a demo password: {error}")))?;
        accounts.push(account::Model {
            id: account_id(login, created_at)?,
            email: login.email.to_owned(),
            display_name: login.display_name.to_owned(),
            role,
            organisation_id: login.organisation.map(org_id).transpose()?,
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
