//! Accounts in the API: one's own profile, and administration by admins and partner managers.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::account;

use super::{
    common::{
        PageRequest, PortalConnection, caller, connection, page_args, parse_id, services, to_id,
    },
    enums::{AccountStatus, Language, Role},
    loaders::{Loaders, OrganisationKey, RecoveryCodesLeftKey},
    organisations::Organisation,
};
use crate::services::accounts::{AccountChanges, AccountFilter, NewAccount};

/// A sign-in account.
pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The organisation of a partner account; null for Programme Office accounts.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(organisation_id) = self.0.organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .load_one(OrganisationKey(organisation_id))
            .await?
            .map(Organisation))
    }

    async fn preferred_language(&self) -> Language {
        self.0.preferred_language.into()
    }

    async fn status(&self) -> AccountStatus {
        self.0.status.into()
    }

    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }

    /// Whether the account signs in with a one-time password it must change: only accounts
    /// given one before invitations (new owners choose their password through the invitation
    /// or reset link, and never have one).
    async fn must_change_password(&self) -> bool {
        self.0.must_change_password
    }

    /// Whether signing in needs a code from an authenticator app.
    async fn two_factor_enabled(&self) -> bool {
        self.0.totp_enabled_at.is_some()
    }

    /// How many unused two-factor recovery codes the account has left: for its owner, and for
    /// whoever may reset its two-factor authentication (admins, the partner manager of its
    /// organisation); null for anyone else and when two-factor authentication is off.
    async fn recovery_codes_left(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        if self.0.totp_enabled_at.is_none() {
            return Ok(None);
        }
        ctx.data::<Loaders>()?
            .load_one(RecoveryCodesLeftKey(self.0.id))
            .await
    }

    /// Whether repeated failed sign-ins have locked the account for now.
    async fn locked(&self) -> bool {
        self.0.locked_until.is_some_and(|until| until > Utc::now())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A new account.
#[derive(InputObject)]
pub struct CreateAccountInput {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Required for partner roles; must be absent for STAFF and ADMIN.
    pub organisation_id: Option<ID>,
    #[graphql(default_with = "Language::En")]
    pub preferred_language: Language,
}

/// Changes to an account; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateAccountInput {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// The new organisation. To move an account to a staff role, set `clearOrganisation`.
    pub organisation_id: Option<ID>,
    #[graphql(default)]
    pub clear_organisation: bool,
    pub preferred_language: Option<Language>,
}

/// Changes to one's own profile.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    pub display_name: Option<String>,
    pub preferred_language: Option<Language>,
}

/// Filters of `accounts`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct AccountFilterInput {
    /// Matches email or display name, ignoring case.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub status: Option<AccountStatus>,
    pub organisation_id: Option<ID>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in account. `UNAUTHENTICATED` for the public.
    async fn me(&self, ctx: &Context<'_>) -> Result<Account> {
        Ok(Account(services(ctx)?.accounts().me(caller(ctx)?).await?))
    }

    /// One account: admins see all, partner managers their organisation's, everyone their own.
    /// `NOT_FOUND` otherwise.
    async fn account(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Account>> {
        let id = parse_id(&id, "id")?;
        Ok(Some(Account(
            services(ctx)?.accounts().get(caller(ctx)?, id).await?,
        )))
    }

    /// Accounts by email: all for admins, their organisation's for partner managers;
    /// `FORBIDDEN` for others.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start, 1 to 100; 20 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor: the `endCursor` of the page before.")]
        after: Option<String>,
        #[graphql(desc = "Page size from the end, 1 to 100 (paging backward); not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor: the `startCursor` of the page after.")]
        before: Option<String>,
        filter: Option<AccountFilterInput>,
    ) -> Result<PortalConnection<Account>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let input = filter.unwrap_or_default();
        let filter = AccountFilter {
            search: input.search,
            role: input.role.map(Into::into),
            status: input.status.map(Into::into),
            organisation_id: input
                .organisation_id
                .map(|id| parse_id(&id, "filter.organisationId"))
                .transpose()?,
        };
        let page = services(ctx)?
            .accounts()
            .list(caller(ctx)?, &filter, &args)
            .await?;
        Ok(connection(page, Account))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and mails its owner an invitation: a single-use link to choose the
    /// first password, valid 72 hours (`acceptInvitation`). Admins create any account; partner
    /// managers create partner accounts of their own organisation.
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        input: CreateAccountInput,
    ) -> Result<Account> {
        let new = NewAccount {
            email: input.email,
            display_name: input.display_name,
            role: input.role.into(),
            organisation_id: input
                .organisation_id
                .map(|id| parse_id(&id, "input.organisationId"))
                .transpose()?,
            preferred_language: input.preferred_language.into(),
        };
        let created = services(ctx)?.accounts().create(caller(ctx)?, new).await?;
        Ok(Account(created))
    }

    /// Mails an account that has never signed in a new invitation; earlier ones stop working.
    /// `CONFLICT` once the account has signed in (use `resetAccountPassword`).
    async fn resend_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<Account> {
        let id = parse_id(&id, "id")?;
        let account = services(ctx)?
            .accounts()
            .resend_invitation(caller(ctx)?, id)
            .await?;
        Ok(Account(account))
    }

    /// Changes an account's name, role, organisation or language. Nobody changes their own
    /// role; the last active admin stays an admin.
    async fn update_account(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateAccountInput,
    ) -> Result<Account> {
        let id = parse_id(&id, "id")?;
        let organisation_id = if input.clear_organisation {
            Some(None)
        } else {
            input
                .organisation_id
                .map(|id| parse_id(&id, "input.organisationId"))
                .transpose()?
                .map(Some)
        };
        let changes = AccountChanges {
            display_name: input.display_name,
            role: input.role.map(Into::into),
            organisation_id,
            preferred_language: input.preferred_language.map(Into::into),
        };
        let account = services(ctx)?
            .accounts()
            .update(caller(ctx)?, id, changes)
            .await?;
        Ok(Account(account))
    }

    /// Disables an account: it cannot sign in and its sessions end at once.
    async fn disable_account(&self, ctx: &Context<'_>, id: ID) -> Result<Account> {
        let id = parse_id(&id, "id")?;
        let account = services(ctx)?
            .accounts()
            .set_status(caller(ctx)?, id, entity::enums::AccountStatus::Disabled)
            .await?;
        Ok(Account(account))
    }

    /// Enables a disabled account (and lifts a lock).
    async fn enable_account(&self, ctx: &Context<'_>, id: ID) -> Result<Account> {
        let id = parse_id(&id, "id")?;
        let account = services(ctx)?
            .accounts()
            .set_status(caller(ctx)?, id, entity::enums::AccountStatus::Active)
            .await?;
        Ok(Account(account))
    }

    /// Resets an account's password: the current one stops working at once, its sessions end,
    /// a lock is lifted, and its owner is mailed a link to choose a new one (24 hours). No
    /// answer carries a password.
    async fn reset_account_password(&self, ctx: &Context<'_>, id: ID) -> Result<Account> {
        let id = parse_id(&id, "id")?;
        let reset = services(ctx)?
            .accounts()
            .reset_password(caller(ctx)?, id)
            .await?;
        Ok(Account(reset))
    }

    /// Sets the first password of an invited account, with the `token` of its invitation
    /// link; anyone holding the link may use it, once, within 72 hours. Then sign in with
    /// `login`. `BAD_USER_INPUT` naming `token` for a link that does not work (used, expired,
    /// replaced, unknown: one message for all), or `password` for one the policy refuses.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
        #[graphql(secret)] password: String,
    ) -> Result<bool> {
        services(ctx)?
            .account_links()
            .accept_invitation(caller(ctx)?, &token, &password)
            .await?;
        Ok(true)
    }

    /// Mails a password reset link (valid one hour) to the account of `email`, if there is an
    /// active one. The answer is always `true`, in the same time, whether or not there is:
    /// it tells nothing about which addresses have accounts. At most 10 requests per client
    /// address and 3 mails per account per hour (`RATE_LIMITED` past the first).
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        services(ctx)?
            .account_links()
            .request_reset(caller(ctx)?, &email)
            .await?;
        Ok(true)
    }

    /// Sets a new password with the `token` of a reset link, once; ends every session of the
    /// account and lifts a lock. Errors as `acceptInvitation`.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] token: String,
        #[graphql(secret)] new_password: String,
    ) -> Result<bool> {
        services(ctx)?
            .account_links()
            .reset_password(caller(ctx)?, &token, &new_password)
            .await?;
        Ok(true)
    }

    /// Changes the signed-in account's own name or language.
    async fn update_my_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileInput,
    ) -> Result<Account> {
        let account = services(ctx)?
            .accounts()
            .update_profile(
                caller(ctx)?,
                input.display_name,
                input.preferred_language.map(Into::into),
            )
            .await?;
        Ok(Account(account))
    }
}
