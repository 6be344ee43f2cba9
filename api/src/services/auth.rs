//! Signing in and out: login with lockout and two-factor codes (or a recovery code), refresh-token
//! rotation with reuse detection, the actor of each request, password changes, TOTP enrolment,
//! recovery codes and the reset of a lost second factor by an administrator.

use std::{collections::HashMap, net::IpAddr, num::NonZeroU32, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use entity::{
    account,
    enums::{AccountStatus, AuditOutcome, Role},
    session,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    recovery_codes,
    rows::OneOrNotFound,
    values::Email,
};
use crate::{
    auth::{
        Actor, AuthSettings, Caller, Member, Restriction,
        password::{self, NewPassword},
        tokens::{self, REFRESH_TOKEN_LIFETIME, TokenKeys},
        totp,
    },
    crypto::DataKeys,
    error::{ApiError, ApiResult, TwoFactorRejection, unauthenticated},
    policy,
};

/// Consecutive failures that lock an account.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a lock lasts.
pub const LOCK_DURATION: Duration = Duration::minutes(15);

/// What signing in needs beyond the database; built once per process.
pub struct AuthState {
    pub(crate) keys: TokenKeys,
    pub(crate) data_keys: DataKeys,
    pub(crate) totp_required_for_admin: bool,
    /// Login attempts per client address. Per process: several servers each allow this many,
    /// which the account lock (in the database) bounds anyway.
    login_limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AuthState")
            .field("totp_required_for_admin", &self.totp_required_for_admin)
            .finish_non_exhaustive()
    }
}

impl AuthState {
    /// From the configuration.
    pub fn new(config: &AuthSettings) -> Arc<Self> {
        let per_minute =
            NonZeroU32::new(config.login_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        Arc::new(Self {
            keys: TokenKeys::new(&config.jwt_secret),
            data_keys: config.data_keys.clone(),
            totp_required_for_admin: config.totp_required_for_admin,
            login_limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        })
    }
}

/// A new session: the tokens a client keeps.
#[derive(Debug)]
pub struct IssuedSession {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub account: account::Model,
    pub restriction: Option<Restriction>,
    /// Set when this sign-in spent a recovery code: how many unused ones are left.
    pub recovery_codes_left: Option<u64>,
}

/// How a sign-in proves the second factor.
#[derive(Clone, Copy, Debug)]
enum SecondFactor<'c> {
    /// Two-factor authentication is off.
    NotNeeded,
    /// A TOTP code of this step, already checked.
    Totp(i64),
    /// A recovery code, still to be spent.
    RecoveryCode(&'c str),
}

/// An account with its new recovery codes, shown once and never stored in the clear.
#[derive(Debug)]
pub struct WithRecoveryCodes {
    pub account: account::Model,
    pub recovery_codes: Vec<String>,
}

/// A started TOTP enrolment.
#[derive(Debug)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub provisioning_uri: String,
}

/// Sign-in rules.
pub struct Auth<'a> {
    pub(super) db: &'a crate::db::Db,
    pub(super) state: &'a AuthState,
}

pub(super) fn totp_context(account_id: Uuid) -> Vec<u8> {
    format!("account.totp_secret:{account_id}").into_bytes()
}

/// What the account must do first, if anything.
pub(super) fn restriction_of(account: &account::Model, state: &AuthState) -> Option<Restriction> {
    if account.must_change_password {
        Some(Restriction::MustChangePassword)
    } else if account.role == Role::Admin
        && state.totp_required_for_admin
        && account.totp_enabled_at.is_none()
    {
        Some(Restriction::MustEnrolTotp)
    } else {
        None
    }
}

/// Ends every live session of `account_id`, or of one login (`family`) of it.
pub(super) async fn revoke_sessions(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    family: Option<Uuid>,
    except_family: Option<Uuid>,
) -> Result<u64, sea_orm::DbErr> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(family) = family {
        update = update.filter(session::Column::FamilyId.eq(family));
    }
    if let Some(except) = except_family {
        update = update.filter(session::Column::FamilyId.ne(except));
    }
    Ok(update.exec(conn).await?.rows_affected)
}

impl Auth<'_> {
    /// The actor of a request bearing `token`: a valid signature, an active account and a live
    /// login. One primary-key lookup per request, so that disabling an account or logging out
    /// ends its tokens at once.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for any defect of the token, a disabled account or an ended login.
    pub async fn authenticate(&self, token: &str) -> ApiResult<Actor> {
        let claims = self.state.keys.verify(token).map_err(|error| {
            tracing::warn!(reason = %error.0, "access token refused");
            ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN)
        })?;
        let live_login = Query::select()
            .expr(Expr::val(1))
            .from(session::Entity)
            .and_where(session::Column::FamilyId.eq(claims.sid))
            .and_where(session::Column::AccountId.eq(claims.sub))
            .and_where(session::Column::RevokedAt.is_null())
            .and_where(session::Column::ExpiresAt.gt(Utc::now()))
            .to_owned();
        let account = account::Entity::find_by_id(claims.sub)
            .filter(account::Column::Status.eq(AccountStatus::Active))
            .filter(Expr::exists(live_login))
            .one(self.db)
            .await?
            .ok_or(ApiError::Unauthenticated(unauthenticated::INVALID_TOKEN))?;
        Ok(Actor::Member(Member {
            account_id: account.id,
            role: account.role,
            organisation_id: account.organisation_id,
            session_family: claims.sid,
            restriction: restriction_of(&account, self.state),
            preferred_language: account.preferred_language,
        }))
    }

    /// Signs in. Every failure before the password is proven right gives the same answer,
    /// whether the email is unknown, the password wrong, the account disabled or locked; five
    /// consecutive failures (wrong passwords and wrong two-factor codes alike) lock the account
    /// for 15 minutes (in the database, so the lock holds for every server process). With
    /// two-factor authentication on, `totp_code` or else one unused `recovery_code` is the
    /// second factor; a recovery code is spent by the sign-in.
    ///
    /// # Errors
    /// `RATE_LIMITED` when the client address tries too often; `UNAUTHENTICATED` for any
    /// failure, with `totpRequired` when only the two-factor code is missing;
    /// `INVALID_TWO_FACTOR_CODE` after a right password with a wrong or used code;
    /// `BAD_USER_INPUT` naming `recoveryCode` when both codes are given.
    pub async fn login(
        &self,
        caller: &Caller,
        email: &str,
        password: SecretString,
        totp_code: Option<&str>,
        recovery_code: Option<&str>,
    ) -> ApiResult<IssuedSession> {
        if let Some(address) = caller.client_ip
            && let Err(not_until) = self.state.login_limiter.check_key(&address)
        {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            return Err(ApiError::RateLimited {
                retry_after_secs: std::cmp::max(wait.as_secs(), 1),
            });
        }
        let email = Email::normalise(email);
        let account = account::Entity::find()
            .filter(account::Column::Email.eq(email.as_str()))
            .one(self.db)
            .await?;
        // Always verify, even for an unknown email (against a dummy hash), so the time taken
        // does not tell whether the account exists.
        let verified = password::verify(
            password.clone(),
            account
                .as_ref()
                .map(|account| account.password_hash.clone()),
        )
        .await?;
        let Some(account) = account else {
            self.audit_failure(caller, None, "unknown_email").await?;
            return Err(ApiError::Unauthenticated(unauthenticated::LOGIN_FAILED));
        };
        let now = Utc::now();
        if account.locked_until.is_some_and(|until| until > now) {
            self.audit_failure(caller, Some(&account), "locked").await?;
            return Err(ApiError::Unauthenticated(unauthenticated::LOGIN_FAILED));
        }
        if !verified.matches {
            self.record_failure(caller, &account, "wrong_password")
                .await?;
            return Err(ApiError::Unauthenticated(unauthenticated::LOGIN_FAILED));
        }
        if account.status != AccountStatus::Active {
            self.audit_failure(caller, Some(&account), "disabled")
                .await?;
            return Err(ApiError::Unauthenticated(unauthenticated::LOGIN_FAILED));
        }
        let second_factor = if account.totp_enabled_at.is_some() {
            self.second_factor(caller, &account, totp_code, recovery_code, now)
                .await?
        } else {
            SecondFactor::NotNeeded
        };

        let rehashed = if verified.needs_rehash {
            // The password was just proven; hash it again with today's parameters.
            Some(password::rehash(password).await?)
        } else {
            None
        };
        let txn = self.db.begin().await?;
        let mut recovery_codes_left = None;
        if let SecondFactor::RecoveryCode(code) = second_factor {
            // Spent in the sign-in's own transaction: a sign-in that fails later keeps it.
            if !recovery_codes::spend(&txn, account.id, code, now).await? {
                txn.rollback().await?;
                self.record_failure(caller, &account, "wrong_recovery_code")
                    .await?;
                return Err(ApiError::TwoFactorRejected(
                    TwoFactorRejection::WrongRecoveryCode,
                ));
            }
            let left = recovery_codes::left(&txn, account.id).await?;
            audit::record_as(
                &txn,
                caller,
                Some((account.id, account.role, account.organisation_id)),
                AuditRecord::success("auth.recovery_code_used", "account", account.id)
                    .with_detail(json!({ "recoveryCodesLeft": left })),
            )
            .await?;
            recovery_codes_left = Some(left);
        }
        if let SecondFactor::Totp(step) = second_factor {
            // Guarded, so that two sign-ins racing with the same code cannot both have it.
            let claimed = account::Entity::update_many()
                .col_expr(account::Column::TotpLastStep, Expr::value(step))
                .filter(account::Column::Id.eq(account.id))
                .filter(
                    Condition::any()
                        .add(account::Column::TotpLastStep.is_null())
                        .add(account::Column::TotpLastStep.lt(step)),
                )
                .exec(&txn)
                .await?
                .rows_affected;
            if claimed != 1 {
                txn.rollback().await?;
                self.record_failure(caller, &account, "replayed_totp_code")
                    .await?;
                return Err(ApiError::TwoFactorRejected(
                    TwoFactorRejection::CodeAlreadyUsed,
                ));
            }
        }
        let mut update = account.clone().into_active_model();
        update.failed_login_count = Set(0);
        update.locked_until = Set(None);
        update.last_login_at = Set(Some(now));
        if let SecondFactor::Totp(step) = second_factor {
            update.totp_last_step = Set(Some(step));
        }
        if let Some(hash) = rehashed {
            update.password_hash = Set(hash);
        }
        update.updated_at = Set(now);
        let account = update.update(&txn).await?;
        let (mut issued, _) = self
            .start_session(&txn, &account, Uuid::now_v7(), now)
            .await?;
        issued.recovery_codes_left = recovery_codes_left;
        audit::record_as(
            &txn,
            caller,
            Some((account.id, account.role, account.organisation_id)),
            AuditRecord::success("auth.login", "account", account.id),
        )
        .await?;
        txn.commit().await?;
        Ok(issued)
    }

    /// The second factor of a sign-in whose password was right, for an account with two-factor
    /// authentication on. A TOTP code is checked here; a recovery code is only shaped here and
    /// spent in the sign-in's transaction.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` with `totpRequired` when neither is given; `BAD_USER_INPUT` when both
    /// are; `INVALID_TWO_FACTOR_CODE` for a wrong or replayed TOTP code (counted as a failed
    /// sign-in).
    async fn second_factor<'c>(
        &self,
        caller: &Caller,
        account: &account::Model,
        totp_code: Option<&'c str>,
        recovery_code: Option<&'c str>,
        now: DateTime<Utc>,
    ) -> ApiResult<SecondFactor<'c>> {
        let given = |code: Option<&'c str>| code.map(str::trim).filter(|code| !code.is_empty());
        match (given(totp_code), given(recovery_code)) {
            (None, None) => Err(ApiError::TotpRequired),
            (Some(_), Some(_)) => Err(ApiError::bad_input(
                "recoveryCode",
                "Give either totpCode or recoveryCode, not both.",
            )),
            (None, Some(code)) => Ok(SecondFactor::RecoveryCode(code)),
            (Some(code), None) => {
                let secret = self.totp_secret(account)?;
                if let Some(step) = totp::verify(&secret, code, now, account.totp_last_step) {
                    return Ok(SecondFactor::Totp(step));
                }
                // The right code of a step already used: say so, the user only has to wait.
                let (reason, rejection) = if totp::verify(&secret, code, now, None).is_some() {
                    ("replayed_totp_code", TwoFactorRejection::CodeAlreadyUsed)
                } else {
                    ("wrong_totp_code", TwoFactorRejection::WrongCode)
                };
                self.record_failure(caller, account, reason).await?;
                Err(ApiError::TwoFactorRejected(rejection))
            }
        }
    }

    async fn start_session(
        &self,
        conn: &impl ConnectionTrait,
        account: &account::Model,
        family: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<(IssuedSession, Uuid)> {
        let (refresh_token, token_hash) = tokens::new_refresh_token()?;
        let refresh_token_expires_at = now + REFRESH_TOKEN_LIFETIME;
        let session_id = Uuid::now_v7();
        session::Model {
            id: session_id,
            account_id: account.id,
            family_id: family,
            token_hash,
            created_at: now,
            expires_at: refresh_token_expires_at,
            revoked_at: None,
            replaced_by_id: None,
        }
        .into_active_model()
        .insert(conn)
        .await?;
        let (access_token, access_token_expires_at) = self.state.keys.issue(
            account.id,
            account.role,
            account.organisation_id,
            family,
            now,
        )?;
        let issued = IssuedSession {
            access_token,
            access_token_expires_at,
            refresh_token,
            refresh_token_expires_at,
            account: account.clone(),
            restriction: restriction_of(account, self.state),
            recovery_codes_left: None,
        };
        Ok((issued, session_id))
    }

    async fn audit_failure(
        &self,
        caller: &Caller,
        account: Option<&account::Model>,
        reason: &str,
    ) -> ApiResult<()> {
        let mut record = AuditRecord {
            action: "auth.login_failed",
            entity_type: account.map(|_| "account"),
            entity_id: account.map(|account| account.id),
            outcome: AuditOutcome::Denied,
            detail: Some(json!({ "reason": reason })),
        };
        if let Some(address) = caller.client_ip {
            record.detail = Some(json!({ "reason": reason, "clientAddress": address.to_string() }));
        }
        audit::record_as(
            self.db,
            caller,
            account.map(|account| (account.id, account.role, account.organisation_id)),
            record,
        )
        .await?;
        Ok(())
    }

    /// Counts a failure in one statement (so concurrent failures all count) and locks the
    /// account at the fifth.
    async fn record_failure(
        &self,
        caller: &Caller,
        account: &account::Model,
        reason: &str,
    ) -> ApiResult<()> {
        let txn = self.db.begin().await?;
        let lock_until = Utc::now() + LOCK_DURATION;
        account::Entity::update_many()
            .col_expr(
                account::Column::FailedLoginCount,
                Expr::col(account::Column::FailedLoginCount).add(1),
            )
            .col_expr(
                account::Column::LockedUntil,
                Expr::case(
                    Expr::col(account::Column::FailedLoginCount).gte(MAX_FAILED_LOGINS - 1),
                    Expr::val(lock_until),
                )
                .finally(Expr::col(account::Column::LockedUntil))
                .into(),
            )
            .filter(account::Column::Id.eq(account.id))
            .exec(&txn)
            .await?;
        let locked = account::Entity::find_by_id(account.id)
            .filter(account::Column::LockedUntil.gt(Utc::now()))
            .one(&txn)
            .await?
            .is_some();
        txn.commit().await?;
        self.audit_failure(caller, Some(account), reason).await?;
        if locked {
            audit::record_as(
                self.db,
                caller,
                Some((account.id, account.role, account.organisation_id)),
                AuditRecord::success("auth.account_locked", "account", account.id)
                    .with_detail(json!({ "minutes": LOCK_DURATION.num_minutes() })),
            )
            .await?;
        }
        Ok(())
    }

    /// Exchanges a refresh token for a new pair. A token is good once: presenting one that was
    /// already exchanged means it was stolen or replayed, and ends the whole login (every token
    /// of its family).
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for an unknown, expired, revoked or reused token or a disabled account.
    pub async fn refresh(&self, caller: &Caller, refresh_token: &str) -> ApiResult<IssuedSession> {
        let invalid = || ApiError::Unauthenticated(unauthenticated::INVALID_REFRESH);
        let hash = tokens::refresh_token_hash(refresh_token.trim());
        let Some(presented) = session::Entity::find()
            .filter(session::Column::TokenHash.eq(hash))
            .one(self.db)
            .await?
        else {
            return Err(invalid());
        };
        let account = account::Entity::find_by_id(presented.account_id)
            .one(self.db)
            .await?
            .ok_or_else(invalid)?;
        let as_account = Some((account.id, account.role, account.organisation_id));
        if presented.replaced_by_id.is_some() {
            self.end_reused_family(caller, &presented, as_account)
                .await?;
            return Err(invalid());
        }
        let now = Utc::now();
        if presented.revoked_at.is_some() || presented.expires_at <= now {
            return Err(invalid());
        }
        if account.status != AccountStatus::Active {
            revoke_sessions(self.db, account.id, None, None).await?;
            return Err(invalid());
        }

        let txn = self.db.begin().await?;
        let (issued, new_id) = self
            .start_session(&txn, &account, presented.family_id, now)
            .await?;
        // Only one exchange of a token can win: the update is conditional on the token still
        // being current.
        let claimed = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .col_expr(session::Column::ReplacedById, Expr::value(new_id))
            .filter(session::Column::Id.eq(presented.id))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ReplacedById.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if claimed != 1 {
            txn.rollback().await?;
            self.end_reused_family(caller, &presented, as_account)
                .await?;
            return Err(invalid());
        }
        audit::record_as(
            &txn,
            caller,
            as_account,
            AuditRecord::success("auth.refresh", "account", account.id),
        )
        .await?;
        txn.commit().await?;
        Ok(issued)
    }

    async fn end_reused_family(
        &self,
        caller: &Caller,
        presented: &session::Model,
        as_account: Option<(Uuid, Role, Option<Uuid>)>,
    ) -> ApiResult<()> {
        let txn = self.db.begin().await?;
        let ended =
            revoke_sessions(&txn, presented.account_id, Some(presented.family_id), None).await?;
        audit::record_as(
            &txn,
            caller,
            as_account,
            AuditRecord::success("auth.refresh_reuse", "account", presented.account_id)
                .with_outcome(AuditOutcome::Denied)
                .with_detail(json!({ "sessionsEnded": ended })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Ends the caller's login, or every login of the account.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` when not signed in.
    pub async fn logout(&self, caller: &Caller, everywhere: bool) -> ApiResult<u64> {
        let member = caller.actor.signed_in()?;
        let txn = self.db.begin().await?;
        let family = (!everywhere).then_some(member.session_family);
        let ended = revoke_sessions(&txn, member.account_id, family, None).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("auth.logout", "account", member.account_id)
                .with_detail(json!({ "everywhere": everywhere, "sessionsEnded": ended })),
        )
        .await?;
        txn.commit().await?;
        Ok(ended)
    }

    /// Changes the caller's password, which requires the current one, and ends the account's
    /// other logins.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `currentPassword` (wrong; it counts as a failed login) or
    /// `newPassword` (fails the policy or equals the current one).
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: SecretString,
        new: &str,
    ) -> ApiResult<account::Model> {
        use secrecy::ExposeSecret;
        let member = caller.actor.signed_in()?;
        let account = account::Entity::find_by_id(member.account_id)
            .one(self.db)
            .await?
            .ok_or(ApiError::Unauthenticated(unauthenticated::SIGN_IN))?;
        let same = current.expose_secret() == new;
        let verified = password::verify(current, Some(account.password_hash.clone())).await?;
        if !verified.matches {
            self.record_failure(caller, &account, "wrong_current_password")
                .await?;
            return Err(ApiError::bad_input(
                "currentPassword",
                "The current password is not right.",
            ));
        }
        let new = NewPassword::parse(new, &account.email, &account.display_name)
            .map_err(|problem| ApiError::bad_input("newPassword", problem.message()))?;
        if same {
            return Err(ApiError::bad_input(
                "newPassword",
                "Choose a password different from the current one.",
            ));
        }
        let hash = password::hash(&new).await?;
        let txn = self.db.begin().await?;
        let mut update = account.into_active_model();
        update.password_hash = Set(hash);
        update.must_change_password = Set(false);
        update.updated_at = Set(Utc::now());
        let account = update.update(&txn).await?;
        let ended = revoke_sessions(&txn, account.id, None, Some(member.session_family)).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.change_password", "account", account.id)
                .with_detail(json!({ "otherSessionsEnded": ended })),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    fn totp_secret(&self, account: &account::Model) -> ApiResult<Vec<u8>> {
        let envelope = account
            .totp_secret
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("two-factor secret missing"))?;
        self.state
            .data_keys
            .decrypt(envelope, &totp_context(account.id))
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("two-factor secret: {error}")))
    }

    /// Starts two-factor enrolment: a new secret, to be confirmed with a first code.
    ///
    /// # Errors
    /// `CONFLICT` when two-factor authentication is already on.
    pub async fn enrol_totp(&self, caller: &Caller) -> ApiResult<TotpEnrolment> {
        let member = caller.actor.signed_in()?;
        let account = self.own_account(member).await?;
        if account.totp_enabled_at.is_some() {
            return Err(ApiError::Conflict(
                "Two-factor authentication is already on; remove it first to enrol again."
                    .to_owned(),
            ));
        }
        let secret = totp::generate_secret();
        let envelope = self
            .state
            .data_keys
            .encrypt(&secret, &totp_context(account.id))
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("encrypt: {error}")))?;
        let email = account.email.clone();
        let txn = self.db.begin().await?;
        let mut update = account.into_active_model();
        update.totp_secret = Set(Some(envelope));
        update.totp_enabled_at = Set(None);
        update.totp_last_step = Set(None);
        update.updated_at = Set(Utc::now());
        let account = update.update(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.totp_enrolment_started", "account", account.id),
        )
        .await?;
        txn.commit().await?;
        Ok(TotpEnrolment {
            secret_base32: totp::secret_base32(&secret),
            provisioning_uri: totp::provisioning_uri(&secret, &email),
        })
    }

    /// Confirms enrolment with a first code; from then on signing in needs a code. Makes the
    /// account's ten recovery codes, returned here only.
    ///
    /// # Errors
    /// `CONFLICT` without a started enrolment; `BAD_USER_INPUT` naming `code` when it is wrong.
    pub async fn confirm_totp(&self, caller: &Caller, code: &str) -> ApiResult<WithRecoveryCodes> {
        let member = caller.actor.signed_in()?;
        let account = self.own_account(member).await?;
        if account.totp_secret.is_none() || account.totp_enabled_at.is_some() {
            return Err(ApiError::Conflict(
                "There is no two-factor enrolment to confirm; start one with enrolTotp.".to_owned(),
            ));
        }
        let now = Utc::now();
        let step = totp::verify(
            &self.totp_secret(&account)?,
            code,
            now,
            account.totp_last_step,
        )
        .ok_or_else(|| {
            ApiError::bad_input("code", "This code is not right; try the current one.")
        })?;
        self.set_totp(
            caller,
            account,
            Some(now),
            Some(step),
            "account.totp_enabled",
        )
        .await
    }

    /// Replaces the caller's recovery codes (spent or not) with ten new ones, which needs a
    /// current authenticator code; the new codes are returned here only.
    ///
    /// # Errors
    /// `CONFLICT` when two-factor authentication is off; `BAD_USER_INPUT` naming `code` when
    /// the code is wrong or was used.
    pub async fn regenerate_recovery_codes(
        &self,
        caller: &Caller,
        code: &str,
    ) -> ApiResult<WithRecoveryCodes> {
        let member = caller.actor.signed_in()?;
        let account = self.own_account(member).await?;
        if account.totp_enabled_at.is_none() {
            return Err(ApiError::Conflict(
                "Two-factor authentication is not on; recovery codes come with it (enrolTotp, \
                 then confirmTotp)."
                    .to_owned(),
            ));
        }
        let now = Utc::now();
        let step = totp::verify(
            &self.totp_secret(&account)?,
            code,
            now,
            account.totp_last_step,
        )
        .ok_or_else(|| {
            ApiError::bad_input("code", "This code is not right; try the current one.")
        })?;
        let txn = self.db.begin().await?;
        let mut update = account.into_active_model();
        update.totp_last_step = Set(Some(step));
        update.updated_at = Set(now);
        let account = update.update(&txn).await?;
        let recovery_codes = recovery_codes::replace(&txn, account.id, now).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.recovery_codes_regenerated", "account", account.id),
        )
        .await?;
        txn.commit().await?;
        Ok(WithRecoveryCodes {
            account,
            recovery_codes,
        })
    }

    /// Resets the two-factor authentication of account `id` for an owner who lost it: clears
    /// its secret, its confirmation and its recovery codes, lifts a lock and ends its
    /// sessions. An admin who must use two-factor authentication is held to enrol again at the
    /// next sign-in.
    ///
    /// # Errors
    /// `NOT_FOUND` for an account hidden from the caller; `FORBIDDEN` for one the caller may
    /// not administer, and for the caller's own (use `removeTotp`).
    pub async fn reset_two_factor(&self, caller: &Caller, id: Uuid) -> ApiResult<account::Model> {
        caller.actor.signed_in()?;
        let target = account::Entity::find_by_id(id)
            .filter(policy::visible_accounts(&caller.actor))
            .one_or_not_found(self.db, "Account")
            .await?;
        if !policy::can_reset_two_factor(&caller.actor, &target) {
            return Err(ApiError::Forbidden);
        }
        let was_on = target.totp_enabled_at.is_some();
        let txn = self.db.begin().await?;
        let mut update = target.into_active_model();
        update.totp_secret = Set(None);
        update.totp_enabled_at = Set(None);
        update.totp_last_step = Set(None);
        update.failed_login_count = Set(0);
        update.locked_until = Set(None);
        update.updated_at = Set(Utc::now());
        let account = update.update(&txn).await?;
        let codes_deleted = recovery_codes::delete_all(&txn, account.id).await?;
        let ended = revoke_sessions(&txn, account.id, None, None).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.reset_two_factor", "account", account.id).with_detail(
                json!({
                    "twoFactorWasOn": was_on,
                    "recoveryCodesDeleted": codes_deleted,
                    "sessionsEnded": ended,
                }),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// How many unused recovery codes each of the accounts `ids` has, for those the actor may
    /// see it of (its owner, and whoever may reset its two-factor authentication) that have
    /// two-factor authentication on; the others are absent. Two statements, whatever the
    /// number of accounts.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recovery_codes_left(
        &self,
        actor: &Actor,
        ids: &[Uuid],
    ) -> ApiResult<HashMap<Uuid, i64>> {
        let accounts = account::Entity::find()
            .filter(account::Column::Id.is_in(ids.iter().copied()))
            .filter(account::Column::TotpEnabledAt.is_not_null())
            .filter(policy::visible_accounts(actor))
            .all(self.db)
            .await?;
        let ids: Vec<Uuid> = accounts
            .iter()
            .filter(|account| policy::can_see_recovery_codes_left(actor, account))
            .map(|account| account.id)
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let counted: HashMap<Uuid, i64> = recovery_codes::left_of(self.db, &ids)
            .await?
            .into_iter()
            .collect();
        Ok(ids
            .into_iter()
            .map(|id| (id, counted.get(&id).copied().unwrap_or(0)))
            .collect())
    }

    /// Turns two-factor authentication off, which needs a current code.
    ///
    /// # Errors
    /// `CONFLICT` when it is off; `BAD_USER_INPUT` naming `code` when the code is wrong.
    pub async fn remove_totp(&self, caller: &Caller, code: &str) -> ApiResult<account::Model> {
        let member = caller.actor.signed_in()?;
        let account = self.own_account(member).await?;
        if account.totp_enabled_at.is_none() {
            return Err(ApiError::Conflict(
                "Two-factor authentication is not on.".to_owned(),
            ));
        }
        totp::verify(
            &self.totp_secret(&account)?,
            code,
            Utc::now(),
            account.totp_last_step,
        )
        .ok_or_else(|| {
            ApiError::bad_input("code", "This code is not right; try the current one.")
        })?;
        Ok(self
            .set_totp(caller, account, None, None, "account.totp_removed")
            .await?
            .account)
    }

    async fn set_totp(
        &self,
        caller: &Caller,
        account: account::Model,
        enabled_at: Option<DateTime<Utc>>,
        step: Option<i64>,
        action: &'static str,
    ) -> ApiResult<WithRecoveryCodes> {
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let mut update = account.into_active_model();
        if enabled_at.is_none() {
            // Turning two-factor off forgets the secret.
            update.totp_secret = Set(None);
        }
        update.totp_enabled_at = Set(enabled_at);
        update.totp_last_step = Set(step);
        update.updated_at = Set(now);
        let account = update.update(&txn).await?;
        // Recovery codes exist exactly while two-factor authentication is on.
        let recovery_codes = if enabled_at.is_some() {
            recovery_codes::replace(&txn, account.id, now).await?
        } else {
            recovery_codes::delete_all(&txn, account.id).await?;
            Vec::new()
        };
        audit::record(
            &txn,
            caller,
            AuditRecord::success(action, "account", account.id),
        )
        .await?;
        txn.commit().await?;
        Ok(WithRecoveryCodes {
            account,
            recovery_codes,
        })
    }

    async fn own_account(&self, member: &Member) -> ApiResult<account::Model> {
        account::Entity::find_by_id(member.account_id)
            .one(self.db)
            .await?
            .ok_or(ApiError::Unauthenticated(unauthenticated::SIGN_IN))
    }
}
