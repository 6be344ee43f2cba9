//! Account administration: admins manage every account, partner managers those of their own
//! organisation; everyone keeps their own profile.

use chrono::Utc;
use entity::{
    account,
    enums::{AccountStatus, Language, Role},
    organisation,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set, SqlErr, sea_query::Func,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    account_links::{LinkReason, send_link},
    audit::{self, AuditRecord},
    auth::revoke_sessions,
    pagination::{KeyKind, KeysetOrder, Page, PageArgs, search_condition},
    rows::OneOrNotFound,
    values::{DisplayName, Email},
};
use crate::{
    auth::{Caller, password},
    error::{ApiError, ApiResult},
    policy,
};

/// A new account.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<Uuid>,
    pub preferred_language: Language,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` removes the organisation (for a move to a staff role).
    pub organisation_id: Option<Option<Uuid>>,
    pub preferred_language: Option<Language>,
}

/// Filters of the account list.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    /// Matches email or display name.
    pub search: Option<String>,
    pub role: Option<Role>,
    pub status: Option<AccountStatus>,
    pub organisation_id: Option<Uuid>,
}

/// A display name from input, or the error naming `displayName`.
fn parse_display_name(name: &str) -> ApiResult<DisplayName> {
    DisplayName::parse(name).map_err(|invalid| invalid.at("displayName"))
}

/// Partner roles need an organisation, staff roles must have none.
fn check_role_organisation(role: Role, organisation_id: Option<Uuid>) -> ApiResult<()> {
    match (policy::is_partner_role(role), organisation_id) {
        (true, None) => Err(ApiError::bad_input(
            "organisationId",
            "Partner accounts belong to an organisation; choose one.",
        )),
        (false, Some(_)) => Err(ApiError::bad_input(
            "organisationId",
            "Programme Office accounts (STAFF, ADMIN) belong to no organisation.",
        )),
        _ => Ok(()),
    }
}

fn keyset() -> KeysetOrder<account::Entity> {
    KeysetOrder {
        name: "EMAIL_ASC",
        column: account::Column::Email,
        kind: KeyKind::Text,
        descending: false,
        nullable: false,
        id_column: account::Column::Id,
        key_of: |row| Some(row.email.clone()),
        id_of: |row| row.id,
    }
}

fn duplicate_email(error: &sea_orm::DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Account rules.
pub struct Accounts<'a> {
    pub(super) db: &'a crate::db::Db,
    pub(super) app_url: &'a str,
}

impl Accounts<'_> {
    /// The caller's own account.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public.
    pub async fn me(&self, caller: &Caller) -> ApiResult<account::Model> {
        let member = caller.actor.signed_in()?;
        self.find(caller, member.account_id).await
    }

    async fn find(&self, caller: &Caller, id: Uuid) -> ApiResult<account::Model> {
        account::Entity::find_by_id(id)
            .filter(policy::visible_accounts(&caller.actor))
            .one_or_not_found(self.db, "Account")
            .await
    }

    /// One account the caller may see.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the caller.
    pub async fn get(&self, caller: &Caller, id: Uuid) -> ApiResult<account::Model> {
        self.find(caller, id).await
    }

    /// The accounts among `ids` that the caller may see (for DataLoaders).
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(&self, caller: &Caller, ids: &[Uuid]) -> ApiResult<Vec<account::Model>> {
        Ok(account::Entity::find()
            .filter(account::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_accounts(&caller.actor))
            .all(self.db)
            .await?)
    }

    /// A page of accounts, by email.
    ///
    /// # Errors
    /// `FORBIDDEN` for anyone but admins and partner managers.
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &AccountFilter,
        page: &PageArgs,
    ) -> ApiResult<Page<account::Model>> {
        caller.actor.signed_in()?;
        if !policy::can_list_accounts(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let mut select = account::Entity::find().filter(policy::visible_accounts(&caller.actor));
        if let Some(search) = filter.search.as_deref() {
            // Emails are stored lower-cased; names are matched the same way.
            if let (Some(by_email), Some(by_name)) = (
                search_condition(
                    account::Column::Email.into_expr(),
                    Some(search),
                    "filter.search",
                )?,
                search_condition(
                    Func::lower(account::Column::DisplayName.into_expr()).into(),
                    Some(search),
                    "filter.search",
                )?,
            ) {
                select = select.filter(sea_orm::Condition::any().add(by_email).add(by_name));
            }
        }
        if let Some(role) = filter.role {
            select = select.filter(account::Column::Role.eq(role));
        }
        if let Some(status) = filter.status {
            select = select.filter(account::Column::Status.eq(status));
        }
        if let Some(organisation_id) = filter.organisation_id {
            select = select.filter(account::Column::OrganisationId.eq(organisation_id));
        }
        keyset().fetch(self.db, select, page).await
    }

    /// Creates an account and mails its owner an invitation: a link to choose the first
    /// password (72 hours). Until then nobody can sign in to it.
    ///
    /// # Errors
    /// `FORBIDDEN` when the caller may not grant the role in that organisation;
    /// `BAD_USER_INPUT` for invalid fields; `CONFLICT` for an email already in use.
    pub async fn create(&self, caller: &Caller, new: NewAccount) -> ApiResult<account::Model> {
        caller.actor.signed_in()?;
        if !policy::can_grant(&caller.actor, new.role, new.organisation_id) {
            return Err(ApiError::Forbidden);
        }
        let email = Email::parse(&new.email).map_err(|invalid| invalid.at("email"))?;
        let display_name = parse_display_name(&new.display_name)?;
        check_role_organisation(new.role, new.organisation_id)?;
        if let Some(organisation_id) = new.organisation_id {
            self.check_organisation(organisation_id).await?;
        }
        let hash = unusable_password_hash().await?;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let account = insert_new(
            &txn,
            FreshAccount {
                email: email.into(),
                display_name: display_name.into(),
                role: new.role,
                organisation_id: new.organisation_id,
                preferred_language: new.preferred_language,
                password_hash: hash,
                must_change_password: false,
            }
            .row(Uuid::now_v7(), now),
        )
        .await?;
        send_link(&txn, &account, LinkReason::Invitation, self.app_url, now).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.create", "account", account.id).with_detail(json!({
                "role": sea_orm::ActiveEnum::to_value(&account.role),
                "organisationId": account.organisation_id,
                "invited": true,
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// Mails an account that has never signed in a new invitation; the older ones stop
    /// working.
    ///
    /// # Errors
    /// As [`Accounts::update`]; `CONFLICT` for an account that has signed in (reset its
    /// password instead) or is disabled.
    pub async fn resend_invitation(&self, caller: &Caller, id: Uuid) -> ApiResult<account::Model> {
        caller.actor.signed_in()?;
        let target = self.managed(caller, id).await?;
        if target.last_login_at.is_some() {
            return Err(ApiError::Conflict(
                "This account has signed in already; reset its password instead.".to_owned(),
            ));
        }
        if target.status != AccountStatus::Active {
            return Err(ApiError::Conflict(
                "This account is disabled; enable it first.".to_owned(),
            ));
        }
        let now = Utc::now();
        let txn = self.db.begin().await?;
        send_link(&txn, &target, LinkReason::Invitation, self.app_url, now).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.resend_invitation", "account", target.id),
        )
        .await?;
        txn.commit().await?;
        Ok(target)
    }

    async fn check_organisation(&self, organisation_id: Uuid) -> ApiResult<()> {
        let exists = organisation::Entity::find_by_id(organisation_id)
            .filter(organisation::Column::Active.eq(true))
            .one(self.db)
            .await?
            .is_some();
        if exists {
            Ok(())
        } else {
            Err(ApiError::bad_input(
                "organisationId",
                "There is no active organisation with this id.",
            ))
        }
    }

    /// The account `id` if the caller may administer it.
    async fn managed(&self, caller: &Caller, id: Uuid) -> ApiResult<account::Model> {
        let target = self.find(caller, id).await?;
        if !policy::can_manage_account(&caller.actor, &target) {
            return Err(ApiError::Forbidden);
        }
        Ok(target)
    }

    /// Changes name, role, organisation or language of an account.
    ///
    /// # Errors
    /// `NOT_FOUND` for an account hidden from the caller; `FORBIDDEN` for one the caller may
    /// not administer, a role or organisation it may not grant, or its own role;
    /// `CONFLICT` for demoting the last active admin; `BAD_USER_INPUT` for invalid fields.
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        changes: AccountChanges,
    ) -> ApiResult<account::Model> {
        let member = caller.actor.signed_in()?;
        let target = self.managed(caller, id).await?;
        let role = changes.role.unwrap_or(target.role);
        let organisation_id = changes.organisation_id.unwrap_or(target.organisation_id);
        let role_changes = role != target.role || organisation_id != target.organisation_id;
        if role_changes {
            if target.id == member.account_id {
                return Err(ApiError::Forbidden);
            }
            if !policy::can_grant(&caller.actor, role, organisation_id) {
                return Err(ApiError::Forbidden);
            }
            check_role_organisation(role, organisation_id)?;
            if let Some(organisation_id) = organisation_id {
                self.check_organisation(organisation_id).await?;
            }
        }
        let txn = self.db.begin().await?;
        if target.role == Role::Admin && role != Role::Admin {
            ensure_another_admin(&txn, target.id).await?;
        }
        let mut changed = Vec::new();
        let mut update = target.clone().into_active_model();
        if let Some(name) = changes.display_name {
            update.display_name = Set(parse_display_name(&name)?.into());
            changed.push("displayName");
        }
        if let Some(language) = changes.preferred_language {
            update.preferred_language = Set(language);
            changed.push("preferredLanguage");
        }
        if role != target.role {
            update.role = Set(role);
            changed.push("role");
        }
        if organisation_id != target.organisation_id {
            update.organisation_id = Set(organisation_id);
            changed.push("organisationId");
        }
        update.updated_at = Set(Utc::now());
        let account = update.update(&txn).await?;
        if role_changes {
            // Tokens carry the old role for their last minutes; the role is re-read on every
            // request, but a role change is also a good moment to make the user sign in again.
            revoke_sessions(&txn, account.id, None, None).await?;
        }
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.update", "account", account.id)
                .with_detail(json!({ "changed": changed })),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// Disables or enables an account. Disabling ends its sessions at once.
    ///
    /// # Errors
    /// As [`Accounts::update`]; `FORBIDDEN` for one's own account; `CONFLICT` for the last
    /// active admin.
    pub async fn set_status(
        &self,
        caller: &Caller,
        id: Uuid,
        status: AccountStatus,
    ) -> ApiResult<account::Model> {
        let member = caller.actor.signed_in()?;
        let target = self.managed(caller, id).await?;
        if target.id == member.account_id {
            return Err(ApiError::Forbidden);
        }
        let txn = self.db.begin().await?;
        if status == AccountStatus::Disabled && target.role == Role::Admin {
            ensure_another_admin(&txn, target.id).await?;
        }
        let mut update = target.into_active_model();
        update.status = Set(status);
        if status == AccountStatus::Active {
            update.failed_login_count = Set(0);
            update.locked_until = Set(None);
        }
        update.updated_at = Set(Utc::now());
        let account = update.update(&txn).await?;
        let ended = if status == AccountStatus::Disabled {
            revoke_sessions(&txn, account.id, None, None).await?
        } else {
            0
        };
        let action = match status {
            AccountStatus::Disabled => "account.disable",
            AccountStatus::Active => "account.enable",
        };
        audit::record(
            &txn,
            caller,
            AuditRecord::success(action, "account", account.id)
                .with_detail(json!({ "sessionsEnded": ended })),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// Resets an account's password: the current one stops working, its sessions end, a lock
    /// is lifted, and its owner is mailed a link to choose a new one (24 hours).
    ///
    /// # Errors
    /// As [`Accounts::update`]; `FORBIDDEN` for one's own account (use `changePassword`).
    pub async fn reset_password(&self, caller: &Caller, id: Uuid) -> ApiResult<account::Model> {
        let member = caller.actor.signed_in()?;
        let target = self.managed(caller, id).await?;
        if target.id == member.account_id {
            return Err(ApiError::Forbidden);
        }
        let hash = unusable_password_hash().await?;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let mut update = target.into_active_model();
        update.password_hash = Set(hash);
        update.must_change_password = Set(false);
        update.failed_login_count = Set(0);
        update.locked_until = Set(None);
        update.updated_at = Set(now);
        let account = update.update(&txn).await?;
        let ended = revoke_sessions(&txn, account.id, None, None).await?;
        send_link(
            &txn,
            &account,
            LinkReason::ResetByAdministrator,
            self.app_url,
            now,
        )
        .await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.reset_password", "account", account.id)
                .with_detail(json!({ "sessionsEnded": ended })),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// Changes the caller's own display name or language.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for an invalid name.
    pub async fn update_profile(
        &self,
        caller: &Caller,
        display_name: Option<String>,
        preferred_language: Option<Language>,
    ) -> ApiResult<account::Model> {
        let member = caller.actor.signed_in()?;
        let account = self.find(caller, member.account_id).await?;
        let mut update = account.into_active_model();
        let mut changed = Vec::new();
        if let Some(name) = display_name {
            update.display_name = Set(parse_display_name(&name)?.into());
            changed.push("displayName");
        }
        if let Some(language) = preferred_language {
            update.preferred_language = Set(language);
            changed.push("preferredLanguage");
        }
        update.updated_at = Set(Utc::now());
        let txn = self.db.begin().await?;
        let account = update.update(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("account.update_profile", "account", account.id)
                .with_detail(json!({ "changed": changed })),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }

    /// Creates the first admin of an install, from the command line.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for an invalid email, name or password; `CONFLICT` for an email in use.
    pub async fn create_admin(
        &self,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> ApiResult<account::Model> {
        let email = Email::parse(email).map_err(|invalid| invalid.at("email"))?;
        let display_name = parse_display_name(display_name)?;
        let password =
            password::NewPassword::parse(password, email.as_str(), display_name.as_str())
                .map_err(|problem| ApiError::bad_input("password", problem.message()))?;
        let hash = password::hash(&password).await?;
        let now = Utc::now();
        let caller = Caller::system(crate::auth::Actor::Anonymous);
        let txn = self.db.begin().await?;
        let account = insert_new(
            &txn,
            FreshAccount {
                email: email.into(),
                display_name: display_name.into(),
                role: Role::Admin,
                organisation_id: None,
                preferred_language: Language::En,
                password_hash: hash,
                must_change_password: false,
            }
            .row(Uuid::now_v7(), now),
        )
        .await?;
        audit::record_as(
            &txn,
            &caller,
            Some((account.id, account.role, None)),
            AuditRecord::success("account.create_admin", "account", account.id),
        )
        .await?;
        txn.commit().await?;
        Ok(account)
    }
}

/// What a new account is made of; the rest of its row starts the same for every account.
#[derive(Clone, Debug)]
pub struct FreshAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<Uuid>,
    pub preferred_language: Language,
    pub password_hash: String,
    /// Whether the password is one-time, to be changed at first sign-in.
    pub must_change_password: bool,
}

impl FreshAccount {
    /// The account's row as first stored: active, never signed in, no two-factor. The demo
    /// loader and the tests build their accounts here too.
    pub fn row(self, id: Uuid, created_at: chrono::DateTime<Utc>) -> account::Model {
        account::Model {
            id,
            email: self.email,
            display_name: self.display_name,
            role: self.role,
            organisation_id: self.organisation_id,
            preferred_language: self.preferred_language,
            status: AccountStatus::Active,
            password_hash: self.password_hash,
            failed_login_count: 0,
            locked_until: None,
            last_login_at: None,
            must_change_password: self.must_change_password,
            totp_secret: None,
            totp_enabled_at: None,
            totp_last_step: None,
            created_at,
            updated_at: created_at,
        }
    }
}

/// The hash of a random password nobody is told: an account whose owner has not chosen one
/// (yet) cannot be signed in to.
async fn unusable_password_hash() -> ApiResult<String> {
    Ok(password::hash_trusted(password::one_time_password().into()).await?)
}

/// Inserts a new account; an email in use is a `CONFLICT`.
async fn insert_new(conn: &impl ConnectionTrait, row: account::Model) -> ApiResult<account::Model> {
    match row.into_active_model().insert(conn).await {
        Ok(account) => Ok(account),
        Err(error) if duplicate_email(&error) => Err(ApiError::Conflict(
            "An account with this email address exists already.".to_owned(),
        )),
        Err(error) => Err(error.into()),
    }
}

/// Refuses to leave the portal without an active admin: `except` must not be the last one.
/// Runs inside the change's transaction.
async fn ensure_another_admin(conn: &impl ConnectionTrait, except: Uuid) -> ApiResult<()> {
    let mut admins = account::Entity::find()
        .filter(account::Column::Role.eq(Role::Admin))
        .filter(account::Column::Status.eq(AccountStatus::Active));
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Lock the active admins so two concurrent demotions cannot both see the other one.
        // (SQLite has one writer at a time, which serialises them anyway.)
        admins = admins.lock_exclusive();
    }
    let others = admins
        .all(conn)
        .await?
        .iter()
        .filter(|admin| admin.id != except)
        .count();
    if others == 0 {
        return Err(ApiError::Conflict(
            "This is the last active admin; make another admin first.".to_owned(),
        ));
    }
    Ok(())
}
