//! Who is making a request: the [`Actor`], worked out once per request from the bearer token
//! (see `services::auth::authenticate`) and handed to every service call; the [`Caller`] adds
//! what the audit log records about the request.

pub mod password;
pub mod tokens;
pub mod totp;

use std::net::IpAddr;

use entity::enums::{Language, Role};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, unauthenticated};

/// The principal of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The public: no token.
    Anonymous,
    /// A signed-in account.
    Member(Member),
}

/// A signed-in account as the policy needs it, read from the database on every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub account_id: Uuid,
    pub role: Role,
    /// Set for partner roles, `None` for Programme Office staff and admins.
    pub organisation_id: Option<Uuid>,
    /// The login this request's token belongs to.
    pub session_family: Uuid,
    /// Something the account must do before it may do anything else.
    pub restriction: Option<Restriction>,
    /// The language answers use when the request names none.
    pub preferred_language: Language,
}

/// What a signed-in account must do first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restriction {
    /// It signed in with a one-time password.
    MustChangePassword,
    /// It is an ADMIN and two-factor authentication is mandatory for admins.
    MustEnrolTotp,
}

impl Actor {
    /// The role of a signed-in actor.
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::Member(member) => Some(member.role),
        }
    }

    /// The signed-in account, if any.
    pub fn member(&self) -> Option<&Member> {
        match self {
            Self::Anonymous => None,
            Self::Member(member) => Some(member),
        }
    }

    /// The signed-in account. This is the one answer to "is the caller signed in": services,
    /// policy checks and subscriptions that need an account all ask here.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` ("sign in") for the public.
    pub fn signed_in(&self) -> ApiResult<&Member> {
        self.member()
            .ok_or(ApiError::Unauthenticated(unauthenticated::SIGN_IN))
    }
}

/// The actor of a request with what the audit log needs to know about the request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    pub request_id: String,
    pub client_ip: Option<IpAddr>,
    /// The request's claim on its `Idempotency-Key`, which the transaction of its change marks
    /// (see [`crate::services::idempotency`]).
    pub idempotency: Option<IdempotencyClaim>,
}

/// A request's hold on its `Idempotency-Key`, made and marked by
/// [`crate::services::idempotency`]; carried by the request's [`Caller`] so that the services'
/// transactions mark it. Only that module reads or makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub(crate) id: Uuid,
    pub(crate) attempt: Uuid,
}

impl Caller {
    /// The caller of a request, holding no idempotency claim.
    pub fn new(actor: Actor, request_id: String, client_ip: Option<IpAddr>) -> Self {
        Self {
            actor,
            request_id,
            client_ip,
            idempotency: None,
        }
    }

    /// A caller outside any HTTP request (the command line, the demo loader, tests).
    pub fn system(actor: Actor) -> Self {
        Self::new(actor, "system".to_owned(), None)
    }
}

/// Secrets and rules of signing in (`PORTAL_JWT_SECRET`, `PORTAL_DATA_KEYS`,
/// `PORTAL_TOTP_REQUIRED_FOR_ADMIN`, `PORTAL_LOGIN_ATTEMPTS_PER_MINUTE`).
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// HS256 key of access tokens.
    pub jwt_secret: tokens::JwtSecret,
    /// Whether `jwt_secret` was generated at start (development only): tokens die with the
    /// process.
    pub jwt_secret_generated: bool,
    /// Keys that encrypt TOTP secrets (and, later, case data).
    pub data_keys: crate::crypto::DataKeys,
    /// Whether `data_keys` is the publicly known development key.
    pub data_keys_insecure: bool,
    /// Whether ADMIN accounts must enrol in two-factor authentication before doing anything.
    pub totp_required_for_admin: bool,
    /// Logins allowed per client address per minute (per server process).
    pub login_attempts_per_minute: u32,
}
