//! Single-use links mailed to account owners (issue 17): the invitation of a new account, and
//! a password reset asked for by the owner or started by an administrator. No API answer ever
//! carries a password: the owner sets it through the link.
//!
//! A link is `<PORTAL_APP_URL>/accept-invitation#token=<secret>` (or `/reset-password#…`): the
//! secret is 32 random bytes, in the fragment so that it never reaches a web server's log or a
//! `Referer`. Only its SHA-256 is stored (`account_token`); a link works once (an update
//! guarded on `used_at` being empty), until it expires (an invitation after 72 hours, a reset
//! asked for by its owner after one hour, one started by an administrator after 24), and a new
//! link of an account ends its older ones. Using a link ends every session of the account.
//!
//! `requestPasswordReset` answers the same, in the same time, whether or not the address has an
//! account: it records the request (for the limit per client address, in the database so that
//! it holds across processes) and answers; looking the account up, the limit per account and
//! the mail happen after the answer, in the background.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    account, account_token,
    enums::{AccountStatus, Language, TokenPurpose},
    password_reset_request,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, sea_query::Expr,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    auth::revoke_sessions,
    mail::{self, OutgoingMail},
    values::Email,
};
use crate::{
    auth::{
        Caller,
        password::{self, NewPassword},
    },
    crypto::random_bytes,
    db::Db,
    error::{ApiError, ApiResult},
};

/// How long an invitation works.
pub const INVITATION_LIFETIME: TimeDelta = TimeDelta::hours(72);
/// How long a reset asked for by the owner works.
pub const RESET_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// How long a reset started by an administrator works (the owner may not read mail at once).
pub const ADMIN_RESET_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// Reset requests one client address may make per hour, known accounts or not.
pub const RESETS_PER_ADDRESS_PER_HOUR: u64 = 10;
/// Reset links one account is sent per hour, however many addresses ask.
pub const RESETS_PER_ACCOUNT_PER_HOUR: u64 = 3;

/// Why a link is sent, which decides its words and how long it works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkReason {
    /// A new account: its owner sets the first password.
    Invitation,
    /// The owner asked for a reset.
    ResetAsked,
    /// An administrator reset the password (the old one no longer works).
    ResetByAdministrator,
}

impl LinkReason {
    fn purpose(self) -> TokenPurpose {
        match self {
            Self::Invitation => TokenPurpose::Invitation,
            Self::ResetAsked | Self::ResetByAdministrator => TokenPurpose::PasswordReset,
        }
    }

    fn lifetime(self) -> TimeDelta {
        match self {
            Self::Invitation => INVITATION_LIFETIME,
            Self::ResetAsked => RESET_LIFETIME,
            Self::ResetByAdministrator => ADMIN_RESET_LIFETIME,
        }
    }
}

/// The SHA-256 of a link's secret, as stored.
fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The one refusal of a link that does not work, whatever the reason: unknown, used, expired,
/// for another purpose, or of an account that was disabled.
fn link_refused() -> ApiError {
    ApiError::bad_input(
        "token",
        "This link does not work: it was used already, has expired or was replaced by a newer \
         one. Ask for a new one.",
    )
}

/// Sends `account` a new link for `reason`, on `conn` (the transaction of the change that
/// causes it): ends the account's older links of the same kind, stores the new one's hash and
/// puts the mail in the outbox.
///
/// # Errors
/// The database's.
pub(super) async fn send_link(
    conn: &impl ConnectionTrait,
    account: &account::Model,
    reason: LinkReason,
    app_url: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let purpose = reason.purpose();
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::AccountId.eq(account.id))
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    account_token::Model {
        id: Uuid::now_v7(),
        account_id: account.id,
        purpose,
        token_hash: digest(&secret),
        created_at: now,
        expires_at: now + reason.lifetime(),
        used_at: None,
    }
    .into_active_model()
    .insert(conn)
    .await?;
    if let Some(mail) = link_mail(account, reason, app_url, &secret) {
        mail::enqueue(conn, mail).await?;
    }
    Ok(())
}

/// The mail that carries a link, in the owner's language.
fn link_mail(
    account: &account::Model,
    reason: LinkReason,
    app_url: &str,
    secret: &str,
) -> Option<OutgoingMail> {
    let Ok(to) = Email::parse(&account.email) else {
        tracing::warn!(account = %account.id, "no link mail: the account's address does not parse");
        return None;
    };
    let base = app_url.trim_end_matches('/');
    let link = match reason {
        LinkReason::Invitation => format!("{base}/accept-invitation#token={secret}"),
        LinkReason::ResetAsked | LinkReason::ResetByAdministrator => {
            format!("{base}/reset-password#token={secret}")
        }
    };
    let name = &account.display_name;
    let email = &account.email;
    let (subject, text) = match (reason, account.preferred_language) {
        (LinkReason::Invitation, Language::En) => (
            "Your account on the OSCE partner portal".to_owned(),
            format!(
                "Hello {name},\n\nAn account was made for you on the partner portal of the OSCE \
                 Programme Office in Dushanbe ({email}). Choose your password within 72 hours \
                 here:\n\n{link}\n\nIf you did not expect this message, ignore it."
            ),
        ),
        (LinkReason::Invitation, Language::Ru) => (
            "Ваша учётная запись на портале партнёров ОБСЕ".to_owned(),
            format!(
                "Здравствуйте, {name}!\n\nДля вас создана учётная запись на портале партнёров \
                 Программного офиса ОБСЕ в Душанбе ({email}). Выберите пароль в течение 72 \
                 часов:\n\n{link}\n\nЕсли вы не ждали этого письма, не обращайте на него \
                 внимания."
            ),
        ),
        (LinkReason::Invitation, Language::Tg) => (
            "Ҳисоби шумо дар портали шарикони САҲА".to_owned(),
            format!(
                "Салом, {name}!\n\nБарои шумо дар портали шарикони Дафтари барномавии САҲА дар \
                 Душанбе ҳисоб сохта шуд ({email}). Дар давоми 72 соат пароли худро интихоб \
                 кунед:\n\n{link}\n\nАгар шумо ин мактубро интизор набудед, ба он аҳамият \
                 надиҳед."
            ),
        ),
        (LinkReason::ResetAsked, Language::En) => (
            "Reset your partner portal password".to_owned(),
            format!(
                "Hello {name},\n\nSomeone asked to reset the password of {email} on the partner \
                 portal. Choose a new one within an hour here:\n\n{link}\n\nIf it was not you, \
                 ignore this message: your password stays as it is."
            ),
        ),
        (LinkReason::ResetAsked, Language::Ru) => (
            "Сброс пароля портала партнёров".to_owned(),
            format!(
                "Здравствуйте, {name}!\n\nКто-то попросил сбросить пароль {email} на портале \
                 партнёров. Выберите новый в течение часа:\n\n{link}\n\nЕсли это были не вы, \
                 не обращайте внимания на письмо: пароль останется прежним."
            ),
        ),
        (LinkReason::ResetAsked, Language::Tg) => (
            "Барқарор кардани пароли портали шарикон".to_owned(),
            format!(
                "Салом, {name}!\n\nКасе хоҳиш кард, ки пароли {email} дар портали шарикон \
                 барқарор карда шавад. Дар давоми як соат пароли навро интихоб кунед:\n\n\
                 {link}\n\nАгар ин шумо набошед, ба мактуб аҳамият надиҳед: пароли шумо \
                 тағйир намеёбад."
            ),
        ),
        (LinkReason::ResetByAdministrator, Language::En) => (
            "Your partner portal password was reset".to_owned(),
            format!(
                "Hello {name},\n\nAn administrator reset the password of {email} on the partner \
                 portal: the old one no longer works. Choose a new one within 24 hours \
                 here:\n\n{link}"
            ),
        ),
        (LinkReason::ResetByAdministrator, Language::Ru) => (
            "Пароль портала партнёров сброшен".to_owned(),
            format!(
                "Здравствуйте, {name}!\n\nАдминистратор сбросил пароль {email} на портале \
                 партнёров: прежний больше не действует. Выберите новый в течение 24 \
                 часов:\n\n{link}"
            ),
        ),
        (LinkReason::ResetByAdministrator, Language::Tg) => (
            "Пароли портали шарикон бекор карда шуд".to_owned(),
            format!(
                "Салом, {name}!\n\nМаъмур пароли {email}-ро дар портали шарикон бекор кард: \
                 пароли пешина дигар амал намекунад. Дар давоми 24 соат пароли навро интихоб \
                 кунед:\n\n{link}"
            ),
        ),
    };
    Some(OutgoingMail {
        to,
        language: account.preferred_language,
        subject,
        body: format!("{text}\n"),
        holds_link: true,
    })
}

/// Invitations and password resets by link.
pub struct AccountLinks<'a> {
    pub(super) db: &'a Db,
    pub(super) app_url: &'a str,
}

impl AccountLinks<'_> {
    /// Asks for a password reset link for `email`. The answer is the same, and takes the same
    /// time, whether or not the address has an account; the link goes out in the background.
    ///
    /// # Errors
    /// `RATE_LIMITED` after [`RESETS_PER_ADDRESS_PER_HOUR`] requests from the caller's address
    /// within an hour (known addresses or not); the database's.
    pub async fn request_reset(&self, caller: &Caller, email: &str) -> ApiResult<()> {
        let now = Utc::now();
        let address = caller.client_ip.map(|ip| ip.to_string());
        password_reset_request::Entity::delete_many()
            .filter(password_reset_request::Column::At.lt(now - TimeDelta::days(1)))
            .exec(self.db)
            .await?;
        let mut recent = password_reset_request::Entity::find()
            .filter(password_reset_request::Column::At.gt(now - TimeDelta::hours(1)));
        recent = match &address {
            Some(address) => {
                recent.filter(password_reset_request::Column::ClientAddress.eq(address.clone()))
            }
            None => recent.filter(password_reset_request::Column::ClientAddress.is_null()),
        };
        let recent = recent.count(self.db).await?;
        if recent >= RESETS_PER_ADDRESS_PER_HOUR {
            return Err(ApiError::RateLimited {
                retry_after_secs: 3600,
            });
        }
        password_reset_request::Model {
            id: Uuid::now_v7(),
            client_address: address,
            at: now,
        }
        .into_active_model()
        .insert(self.db)
        .await?;
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let db = self.db.clone();
        let app_url = self.app_url.to_owned();
        let caller = caller.clone();
        tokio::spawn(async move {
            if let Err(error) = send_reset(&db, &caller, &email, &app_url).await {
                tracing::warn!(?error, "a password reset link could not be sent");
            }
        });
        Ok(())
    }

    /// Sets the first password of an invited account through its invitation link.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `token` for a link that does not work, or `password` for one
    /// the policy refuses.
    pub async fn accept_invitation(
        &self,
        caller: &Caller,
        token: &str,
        password: &str,
    ) -> ApiResult<()> {
        self.use_link(caller, TokenPurpose::Invitation, token, password)
            .await
    }

    /// Sets a new password through a reset link, and ends every session of the account.
    ///
    /// # Errors
    /// As [`AccountLinks::accept_invitation`].
    pub async fn reset_password(
        &self,
        caller: &Caller,
        token: &str,
        password: &str,
    ) -> ApiResult<()> {
        self.use_link(caller, TokenPurpose::PasswordReset, token, password)
            .await
    }

    async fn use_link(
        &self,
        caller: &Caller,
        purpose: TokenPurpose,
        token: &str,
        new_password: &str,
    ) -> ApiResult<()> {
        let now = Utc::now();
        let link = account_token::Entity::find()
            .filter(account_token::Column::TokenHash.eq(digest(token.trim())))
            .filter(account_token::Column::Purpose.eq(purpose))
            .one(self.db)
            .await?
            .filter(|link| link.used_at.is_none() && link.expires_at > now)
            .ok_or_else(link_refused)?;
        let account = account::Entity::find_by_id(link.account_id)
            .filter(account::Column::Status.eq(AccountStatus::Active))
            .one(self.db)
            .await?
            .ok_or_else(link_refused)?;
        let new_password = NewPassword::parse(new_password, &account.email, &account.display_name)
            .map_err(|problem| ApiError::bad_input("password", problem.message()))?;
        let hash = password::hash(&new_password).await?;
        let txn = self.db.begin().await?;
        // The guard makes the link work once, even for two requests at the same moment.
        let used = account_token::Entity::update_many()
            .col_expr(account_token::Column::UsedAt, Expr::value(now))
            .filter(account_token::Column::Id.eq(link.id))
            .filter(account_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(link_refused());
        }
        // Every other open link of the account ends with it.
        account_token::Entity::update_many()
            .col_expr(account_token::Column::UsedAt, Expr::value(now))
            .filter(account_token::Column::AccountId.eq(account.id))
            .filter(account_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        let role = account.role;
        let organisation_id = account.organisation_id;
        let mut update = account.into_active_model();
        update.password_hash = Set(hash);
        update.must_change_password = Set(false);
        update.failed_login_count = Set(0);
        update.locked_until = Set(None);
        update.updated_at = Set(now);
        let account = update.update(&txn).await?;
        let ended = revoke_sessions(&txn, account.id, None, None).await?;
        let action = match purpose {
            TokenPurpose::Invitation => "account.accept_invitation",
            TokenPurpose::PasswordReset => "account.reset_password_by_link",
        };
        audit::record_as(
            &txn,
            caller,
            Some((account.id, role, organisation_id)),
            AuditRecord::success(action, "account", account.id)
                .with_detail(json!({ "sessionsEnded": ended })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Sends the reset link of the active account of `email`, if there is one and it was not sent
/// [`RESETS_PER_ACCOUNT_PER_HOUR`] links within the hour.
async fn send_reset(db: &Db, caller: &Caller, email: &Email, app_url: &str) -> ApiResult<()> {
    let now = Utc::now();
    let Some(account) = account::Entity::find()
        .filter(account::Column::Email.eq(email.as_str()))
        .filter(account::Column::Status.eq(AccountStatus::Active))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let txn = db.begin().await?;
    // Requests for one account wait for each other here: this write locks the account's row
    // (the whole database on SQLite) until the commit, so the count below sees every link an
    // earlier request sent.
    account::Entity::update_many()
        .col_expr(
            account::Column::UpdatedAt,
            Expr::col(account::Column::UpdatedAt),
        )
        .filter(account::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    let sent = account_token::Entity::find()
        .filter(account_token::Column::AccountId.eq(account.id))
        .filter(account_token::Column::Purpose.eq(TokenPurpose::PasswordReset))
        .filter(account_token::Column::CreatedAt.gt(now - TimeDelta::hours(1)))
        .count(&txn)
        .await?;
    if sent >= RESETS_PER_ACCOUNT_PER_HOUR {
        tracing::info!(account = %account.id, "password reset not sent: the account's hourly limit");
        return Ok(());
    }
    send_link(&txn, &account, LinkReason::ResetAsked, app_url, now).await?;
    audit::record_as(
        &txn,
        caller,
        Some((account.id, account.role, account.organisation_id)),
        AuditRecord::success("account.request_password_reset", "account", account.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_digest_is_the_sha256_of_the_secret() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
