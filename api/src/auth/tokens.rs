//! Access tokens (short-lived JWTs) and refresh tokens (opaque, stored only as a hash).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::enums::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long an access token lives.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(15);
/// How long a refresh token lives.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::days(30);
/// The `iss` of our tokens.
pub const ISSUER: &str = "osce-dushanbe-partner-portal";
/// The `aud` of our tokens: this API.
pub const AUDIENCE: &str = "partner-portal-api";

/// The claims of an access token. Every field is required when decoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The account id.
    pub sub: Uuid,
    /// The role when the token was issued (informational: every request reads the current role
    /// from the database).
    pub role: String,
    /// The account's organisation (null for staff roles).
    pub org: Option<Uuid>,
    /// The login (session family) this token belongs to; logging out ends it.
    pub sid: Uuid,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
}

/// The shortest signing key accepted: 256 bits, the size of HS256's output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The access-token signing key; never printed.
#[derive(Clone)]
pub struct JwtSecret(std::sync::Arc<SecretBox<Vec<u8>>>);

impl JwtSecret {
    /// Wraps key bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(std::sync::Arc::new(SecretBox::new(Box::new(bytes))))
    }

    /// A random key of [`MIN_JWT_SECRET_BYTES`], for a development server without one: its
    /// tokens die with the process.
    ///
    /// # Errors
    /// When the operating system has no randomness to give.
    pub fn generate() -> anyhow::Result<Self> {
        let mut secret = vec![0_u8; MIN_JWT_SECRET_BYTES];
        getrandom::fill(&mut secret)
            .map_err(|error| anyhow::anyhow!("no random numbers: {error}"))?;
        Ok(Self::from_bytes(secret))
    }

    /// The key bytes, for signing and verifying only.
    pub fn bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("JwtSecret(..)")
    }
}

/// Signs and checks access tokens with one HS256 key.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TokenKeys(..)")
    }
}

/// Why a token was refused (for the log; the client only hears `UNAUTHENTICATED`).
#[derive(Debug)]
pub struct InvalidToken(pub jsonwebtoken::errors::Error);

impl TokenKeys {
    /// Keys from the configured secret. Validation pins HS256 (so `alg: none` and RS/ES tokens
    /// are refused), requires every registered claim we set, and checks issuer and audience.
    pub fn new(secret: &JwtSecret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret.bytes()),
            decoding: DecodingKey::from_secret(secret.bytes()),
            validation,
        }
    }

    /// A new access token.
    ///
    /// # Errors
    /// Only if serialization fails, which it cannot for these claims.
    pub fn issue(
        &self,
        account_id: Uuid,
        role: Role,
        organisation_id: Option<Uuid>,
        session_family: Uuid,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires_at = now + ACCESS_TOKEN_LIFETIME;
        let claims = Claims {
            sub: account_id,
            role: sea_orm::ActiveEnum::to_value(&role),
            org: organisation_id,
            sid: session_family,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti: Uuid::now_v7(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires_at))
    }

    /// The claims of a valid token.
    ///
    /// # Errors
    /// Any defect: bad signature, other algorithm, expired, wrong issuer or audience, a
    /// missing claim.
    pub fn verify(&self, token: &str) -> Result<Claims, InvalidToken> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(InvalidToken)
    }
}

/// A new opaque refresh token (256 random bits) and the SHA-256 that is stored instead of it.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn new_refresh_token() -> anyhow::Result<(String, Vec<u8>)> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no random numbers: {error}"))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = refresh_token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a refresh token.
pub fn refresh_token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &[u8]) -> TokenKeys {
        TokenKeys::new(&JwtSecret::from_bytes(secret.to_vec()))
    }

    #[test]
    fn a_token_round_trips_and_other_keys_refuse_it() -> anyhow::Result<()> {
        let keys = keys(&[7; 32]);
        let account = Uuid::now_v7();
        let (token, _) = keys.issue(account, Role::Staff, None, Uuid::now_v7(), Utc::now())?;

        assert_eq!(
            keys.verify(&token).map(|claims| claims.sub).ok(),
            Some(account)
        );
        assert!(self::keys(&[8; 32]).verify(&token).is_err());
        Ok(())
    }

    #[test]
    fn expired_tokens_are_refused() -> anyhow::Result<()> {
        let keys = keys(&[7; 32]);
        let long_ago = Utc::now() - Duration::hours(1);
        let (token, _) = keys.issue(Uuid::now_v7(), Role::Admin, None, Uuid::now_v7(), long_ago)?;
        assert!(keys.verify(&token).is_err());
        Ok(())
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() -> anyhow::Result<()> {
        let (first, first_hash) = new_refresh_token()?;
        let (second, _) = new_refresh_token()?;
        assert_ne!(first, second);
        assert_eq!(first_hash, refresh_token_hash(&first));
        assert_eq!(first_hash.len(), 32);
        Ok(())
    }
}
