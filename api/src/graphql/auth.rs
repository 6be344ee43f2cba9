//! Signing in and out in the API.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{
    accounts::Account,
    common::{caller, parse_id, services},
};
use crate::{
    auth::Restriction,
    services::auth::{IssuedSession, WithRecoveryCodes},
};

/// The tokens of a session. Send `accessToken` as `Authorization: Bearer …`; exchange
/// `refreshToken` with `refreshSession` before the access token expires. A refresh token works
/// once.
#[derive(SimpleObject)]
pub struct AuthSession {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub account: Account,
    /// The account signed in with a one-time password (given before invitations): only
    /// `changePassword` works until it is changed.
    pub must_change_password: bool,
    /// The account is an ADMIN without two-factor authentication where it is mandatory: only
    /// `enrolTotp` and `confirmTotp` work until it is on.
    pub must_enrol_two_factor: bool,
    /// Set when this sign-in used a recovery code: how many unused ones the account has left.
    /// Make new ones with `regenerateRecoveryCodes` before they run out.
    pub recovery_codes_left: Option<u64>,
}

impl From<IssuedSession> for AuthSession {
    fn from(issued: IssuedSession) -> Self {
        Self {
            access_token: issued.access_token,
            access_token_expires_at: issued.access_token_expires_at,
            refresh_token: issued.refresh_token,
            refresh_token_expires_at: issued.refresh_token_expires_at,
            account: Account(issued.account),
            must_change_password: issued.restriction == Some(Restriction::MustChangePassword),
            must_enrol_two_factor: issued.restriction == Some(Restriction::MustEnrolTotp),
            recovery_codes_left: issued.recovery_codes_left,
        }
    }
}

/// A started two-factor enrolment: add the secret to an authenticator app (scan the URI as a
/// QR code, or type the secret), then confirm with `confirmTotp` and a first code.
#[derive(SimpleObject)]
pub struct TotpEnrolment {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// `otpauth://` URI for a QR code.
    pub provisioning_uri: String,
}

/// Two-factor authentication with a new set of recovery codes.
#[derive(SimpleObject)]
pub struct RecoveryCodes {
    pub account: Account,
    /// Ten single-use codes (`xxxx-xxxx-xxxx`), each usable once at `login` as `recoveryCode`
    /// when the authenticator app is not at hand. Shown only in this answer: ask the user to
    /// save or print them. Making new ones (`regenerateRecoveryCodes`) voids the old ones.
    pub recovery_codes: Vec<String>,
}

impl From<WithRecoveryCodes> for RecoveryCodes {
    fn from(with: WithRecoveryCodes) -> Self {
        Self {
            account: Account(with.account),
            recovery_codes: with.recovery_codes,
        }
    }
}

/// The outcome of `logout`.
#[derive(SimpleObject)]
pub struct LogoutResult {
    /// How many refresh tokens were revoked.
    pub sessions_ended: u64,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in. A wrong email or password (or a locked or disabled account) gives the same
    /// `UNAUTHENTICATED` answer; five failures in a row lock the account for 15 minutes. With
    /// two-factor authentication on, give `totpCode` (six digits from the authenticator app)
    /// or, without the app, one of the account's `recoveryCode`s (which it spends); with
    /// neither the answer is `UNAUTHENTICATED` with `extensions.totpRequired`, and a wrong or
    /// already used code is `INVALID_TWO_FACTOR_CODE` with `extensions.reason`
    /// (`WRONG_CODE`, `CODE_ALREADY_USED`, `WRONG_RECOVERY_CODE`), which counts as a failure.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        #[graphql(secret)] password: String,
        #[graphql(secret)] totp_code: Option<String>,
        #[graphql(secret)] recovery_code: Option<String>,
    ) -> Result<AuthSession> {
        let session = services(ctx)?
            .auth()
            .login(
                caller(ctx)?,
                &email,
                SecretString::from(password),
                totp_code.as_deref(),
                recovery_code.as_deref(),
            )
            .await?;
        Ok(session.into())
    }

    /// Exchanges a refresh token for new tokens. Presenting a token that was already exchanged
    /// ends the whole session.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] refresh_token: String,
    ) -> Result<AuthSession> {
        let session = services(ctx)?
            .auth()
            .refresh(caller(ctx)?, &refresh_token)
            .await?;
        Ok(session.into())
    }

    /// Ends this session, or with `everywhere: true` every session of the account. Its access
    /// tokens stop working at once.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] everywhere: bool,
    ) -> Result<LogoutResult> {
        let sessions_ended = services(ctx)?
            .auth()
            .logout(caller(ctx)?, everywhere)
            .await?;
        Ok(LogoutResult { sessions_ended })
    }

    /// Changes the signed-in account's password and ends its other sessions.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] current_password: String,
        #[graphql(secret)] new_password: String,
    ) -> Result<Account> {
        let account = services(ctx)?
            .auth()
            .change_password(
                caller(ctx)?,
                SecretString::from(current_password),
                &new_password,
            )
            .await?;
        Ok(Account(account))
    }

    /// Starts two-factor enrolment.
    async fn enrol_totp(&self, ctx: &Context<'_>) -> Result<TotpEnrolment> {
        let enrolment = services(ctx)?.auth().enrol_totp(caller(ctx)?).await?;
        Ok(TotpEnrolment {
            secret: enrolment.secret_base32,
            provisioning_uri: enrolment.provisioning_uri,
        })
    }

    /// Confirms two-factor enrolment with a first code, and makes the account's ten recovery
    /// codes, shown only in this answer.
    async fn confirm_totp(&self, ctx: &Context<'_>, code: String) -> Result<RecoveryCodes> {
        let confirmed = services(ctx)?
            .auth()
            .confirm_totp(caller(ctx)?, &code)
            .await?;
        Ok(confirmed.into())
    }

    /// Replaces the signed-in account's recovery codes with ten new ones, with a current code
    /// of the authenticator app; the old ones stop working. The new ones are shown only in
    /// this answer.
    async fn regenerate_recovery_codes(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> Result<RecoveryCodes> {
        let regenerated = services(ctx)?
            .auth()
            .regenerate_recovery_codes(caller(ctx)?, &code)
            .await?;
        Ok(regenerated.into())
    }

    /// Takes two-factor authentication off an account whose owner lost it (and its recovery
    /// codes): clears the secret and the codes, lifts a lock and ends the account's sessions.
    /// Admins for any account, partner managers for the partner accounts of their
    /// organisation; never one's own (use `removeTotp`). An admin where two-factor
    /// authentication is mandatory must enrol again at the next sign-in.
    async fn reset_account_two_factor(&self, ctx: &Context<'_>, id: ID) -> Result<Account> {
        let account = services(ctx)?
            .auth()
            .reset_two_factor(caller(ctx)?, parse_id(&id, "id")?)
            .await?;
        Ok(Account(account))
    }

    /// Turns two-factor authentication off, with a current code; deletes the recovery codes.
    async fn remove_totp(&self, ctx: &Context<'_>, code: String) -> Result<Account> {
        let account = services(ctx)?
            .auth()
            .remove_totp(caller(ctx)?, &code)
            .await?;
        Ok(Account(account))
    }
}
