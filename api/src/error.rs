//! The one error type of the API and the stable codes clients see in `extensions.code`.
//!
//! Services return [`ApiError`]; GraphQL resolvers convert it with `?`. Anything that is not a
//! deliberate client-facing error becomes [`ApiError::Internal`], whose text is logged and never
//! sent: the client gets a fixed message and the request id to quote.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// The codes of `extensions.code`. This list is the contract with the clients.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The request took longer than `PORTAL_REQUEST_TIMEOUT_SECS` and was stopped (HTTP 503).
    pub const TIMEOUT: &str = "TIMEOUT";
    pub const INTERNAL: &str = "INTERNAL";
    /// Automatic persisted queries (Apollo's code, which its client retries on): the hash is
    /// not known yet; send it again with the query text.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// `PORTAL_PERSISTED_QUERIES_ONLY`: the hash is not on the operator's list (Apollo
    /// Router's code).
    pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";
    /// `PORTAL_PERSISTED_QUERIES_ONLY`: a query text without a hash (Apollo Router's code).
    pub const PERSISTED_QUERY_ID_REQUIRED: &str = "PERSISTED_QUERY_ID_REQUIRED";
    /// A sign-in whose email and password were right but whose two-factor code (or recovery
    /// code) was wrong or already used; `extensions.reason` says which. Never given before the
    /// password was checked, and it counts towards the account's lock like a wrong password.
    pub const INVALID_TWO_FACTOR_CODE: &str = "INVALID_TWO_FACTOR_CODE";
}

/// The message every internal error is replaced with.
pub const INTERNAL_MESSAGE: &str =
    "Something went wrong on our side. Quote the request id if you report it.";

/// Messages of [`ApiError::Unauthenticated`].
pub mod unauthenticated {
    /// Any failed sign-in before the password was proven right: unknown email, wrong password,
    /// disabled or locked account. (A wrong two-factor code after a right password is
    /// `INVALID_TWO_FACTOR_CODE`.)
    pub const LOGIN_FAILED: &str = "Wrong email or password, or the account is locked or disabled. \
         After 5 failed attempts an account is locked for 15 minutes.";
    /// A token that is not valid (tampered, expired, signed by another key, ended by logout).
    pub const INVALID_TOKEN: &str = "Your session is not valid any more; sign in again.";
    /// A refresh token that is not valid.
    pub const INVALID_REFRESH: &str = "This refresh token is not valid any more; sign in again.";
    /// An operation that needs a signed-in account.
    pub const SIGN_IN: &str = "You need to sign in to do this.";
}

/// One invalid input field: its path in the request (for example `filter.dateRange`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every failure a service can report.
///
/// Deliberately not `Display`: async-graphql converts any `Display` type into an error by its
/// text, which would drop the code. Without it, `?` in a resolver goes through the conversion
/// below and always carries `extensions.code`.
#[derive(Debug)]
pub enum ApiError {
    /// No valid session, or a failed sign-in; the message says which in words that do not
    /// reveal whether an account exists.
    Unauthenticated(&'static str),
    /// The password was right and the account needs its two-factor code.
    TotpRequired,
    /// The password was right and the two-factor code was not.
    TwoFactorRejected(TwoFactorRejection),
    Forbidden,
    /// The account must do something first (change its one-time password, enrol in two-factor
    /// authentication); the message says what.
    ActionRequired(&'static str),
    /// Both for missing objects and for objects the caller may not see, so that the answer does
    /// not tell which.
    NotFound {
        entity: &'static str,
    },
    BadUserInput(Vec<FieldError>),
    Conflict(String),
    /// A request under an `Idempotency-Key` committed, but the server stopped before storing
    /// its answer: it is not run again (`CONFLICT`); `result_id` names what it changed, to load.
    AnswerLost {
        result_id: Option<uuid::Uuid>,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    /// Anything unforeseen; its text is logged, never sent.
    Internal(anyhow::Error),
    /// The database cannot be reached (an `INTERNAL` error with a message that says so).
    Unavailable,
    /// A request of the automatic persisted query protocol that cannot be served as it is.
    PersistedQuery(PersistedQueryRefusal),
}

/// Why a two-factor code was refused at sign-in (`extensions.reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoFactorRejection {
    /// Not the code of this or a neighbouring 30-second step.
    WrongCode,
    /// The code of a step that was already used to sign in: codes work once.
    CodeAlreadyUsed,
    /// Not one of the account's unused recovery codes.
    WrongRecoveryCode,
}

impl TwoFactorRejection {
    /// The value of `extensions.reason`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::WrongCode => "WRONG_CODE",
            Self::CodeAlreadyUsed => "CODE_ALREADY_USED",
            Self::WrongRecoveryCode => "WRONG_RECOVERY_CODE",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::WrongCode => {
                "This two-factor code is not right: enter the current code of your \
                 authenticator app (check that your phone's clock is right), or a recovery code. \
                 After 5 failed attempts an account is locked for 15 minutes."
            }
            Self::CodeAlreadyUsed => {
                "This two-factor code was already used; wait for the next one (codes change \
                 every 30 seconds). After 5 failed attempts an account is locked for 15 minutes."
            }
            Self::WrongRecoveryCode => {
                "This recovery code is not right or was already used; each works once. After 5 \
                 failed attempts an account is locked for 15 minutes."
            }
        }
    }
}

/// Why a persisted query was not run. The codes and the first message are those Apollo's
/// clients act on: `PersistedQueryNotFound` makes its link send the query text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersistedQueryRefusal {
    /// The hash is not stored (yet).
    NotFound,
    /// Only listed operations are served, and this hash is not on the list.
    NotInList,
    /// Only listed operations are served, and the request names none.
    IdRequired,
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        Self::Internal(error)
    }
}

impl ApiError {
    /// A `BAD_USER_INPUT` error about one field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The message a client sees.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(message) => (*message).to_owned(),
            Self::TotpRequired => {
                "Enter the six-digit code from your authenticator app.".to_owned()
            }
            Self::TwoFactorRejected(rejection) => rejection.message().to_owned(),
            Self::Forbidden => "You are not allowed to do this.".to_owned(),
            Self::ActionRequired(message) => (*message).to_owned(),
            Self::NotFound { entity } => format!("{entity} not found."),
            Self::BadUserInput(fields) => fields
                .iter()
                .map(|field| field.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            Self::Conflict(message) => message.clone(),
            Self::AnswerLost { result_id } => format!(
                "The request with this Idempotency-Key was carried out, but its answer was lost \
                 (the server stopped before storing it). Do not send it again: load the result{}.",
                if result_id.is_some() {
                    " (extensions.resultId is the id of what it changed)"
                } else {
                    ""
                }
            ),
            Self::RateLimited { retry_after_secs } => {
                format!("Too many requests; try again in {retry_after_secs} seconds.")
            }
            Self::Internal(_) => INTERNAL_MESSAGE.to_owned(),
            Self::Unavailable => {
                "The database cannot be reached at the moment; try again shortly.".to_owned()
            }
            Self::PersistedQuery(PersistedQueryRefusal::NotFound) => {
                "PersistedQueryNotFound".to_owned()
            }
            Self::PersistedQuery(PersistedQueryRefusal::NotInList) => {
                "This server runs only the operations on its list \
                 (PORTAL_PERSISTED_QUERIES_ONLY), and this hash is not on it."
                    .to_owned()
            }
            Self::PersistedQuery(PersistedQueryRefusal::IdRequired) => {
                "This server runs only the operations on its list \
                 (PORTAL_PERSISTED_QUERIES_ONLY): send the operation's SHA-256 as \
                 extensions.persistedQuery.sha256Hash instead of its text."
                    .to_owned()
            }
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) | Self::TotpRequired => code::UNAUTHENTICATED,
            Self::TwoFactorRejected(_) => code::INVALID_TWO_FACTOR_CODE,
            Self::Forbidden | Self::ActionRequired(_) => code::FORBIDDEN,
            Self::NotFound { .. } => code::NOT_FOUND,
            Self::BadUserInput(_) => code::BAD_USER_INPUT,
            Self::Conflict(_) | Self::AnswerLost { .. } => code::CONFLICT,
            Self::RateLimited { .. } => code::RATE_LIMITED,
            Self::Internal(_) | Self::Unavailable => code::INTERNAL,
            Self::PersistedQuery(PersistedQueryRefusal::NotFound) => {
                code::PERSISTED_QUERY_NOT_FOUND
            }
            Self::PersistedQuery(PersistedQueryRefusal::NotInList) => {
                code::PERSISTED_QUERY_NOT_IN_LIST
            }
            Self::PersistedQuery(PersistedQueryRefusal::IdRequired) => {
                code::PERSISTED_QUERY_ID_REQUIRED
            }
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        if matches!(error, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
            tracing::error!(error = %error, "the database is unreachable");
            return Self::Unavailable;
        }
        Self::Internal(anyhow::Error::new(error).context("database error"))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.code();
        if let ApiError::Internal(source) = &error {
            // The request id is added by the error-masking extension, which also logs the
            // request; here we only make sure the cause is in the log.
            tracing::error!(error = format!("{source:#}"), "internal error");
            return async_graphql::Error::new(INTERNAL_MESSAGE)
                .extend_with(|_, extensions| extensions.set("code", code));
        }
        let message = error.message();
        async_graphql::Error::new(message).extend_with(|_, extensions| {
            extensions.set("code", code);
            match &error {
                ApiError::BadUserInput(fields) => {
                    let fields: Vec<async_graphql::Value> = fields
                        .iter()
                        .map(|field| {
                            let mut object = async_graphql::indexmap::IndexMap::new();
                            object.insert(
                                async_graphql::Name::new("field"),
                                async_graphql::Value::from(field.field.as_str()),
                            );
                            object.insert(
                                async_graphql::Name::new("message"),
                                async_graphql::Value::from(field.message.as_str()),
                            );
                            async_graphql::Value::Object(object)
                        })
                        .collect();
                    extensions.set("fields", async_graphql::Value::List(fields));
                }
                ApiError::TotpRequired => extensions.set("totpRequired", true),
                ApiError::TwoFactorRejected(rejection) => {
                    extensions.set("reason", rejection.reason());
                }
                ApiError::AnswerLost {
                    result_id: Some(id),
                } => extensions.set("resultId", id.to_string()),
                ApiError::RateLimited { retry_after_secs } => {
                    extensions.set("retryAfterSeconds", *retry_after_secs);
                }
                _ => {}
            }
        })
    }
}

/// Result of a service call.
pub type ApiResult<T> = Result<T, ApiError>;
