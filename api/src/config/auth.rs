//! Signing in: the token key, the data keys, two-factor authentication and the sign-in limit.

use anyhow::{Context, bail};
use secrecy::ExposeSecret;

use super::{Environment, reader::Reader};
use crate::{
    auth::{
        AuthSettings,
        tokens::{JwtSecret, MIN_JWT_SECRET_BYTES},
    },
    crypto::DataKeys,
};

/// Reads `PORTAL_JWT_SECRET` and `PORTAL_DATA_KEYS` (both required in production; development
/// generates the first and uses the publicly known key for the second),
/// `PORTAL_TOTP_REQUIRED_FOR_ADMIN` and `PORTAL_LOGIN_ATTEMPTS_PER_MINUTE`.
pub(super) fn read(reader: &Reader<'_>, environment: Environment) -> anyhow::Result<AuthSettings> {
    let production = environment == Environment::Production;
    let secret = reader.secret("PORTAL_JWT_SECRET", MIN_JWT_SECRET_BYTES, "bytes")?;
    let (jwt_secret, jwt_secret_generated) = match secret {
        Some(secret) => (
            JwtSecret::from_bytes(secret.expose_secret().as_bytes().to_vec()),
            false,
        ),
        None if production => {
            bail!(
                "PORTAL_JWT_SECRET (at least {MIN_JWT_SECRET_BYTES} bytes) is required in production"
            )
        }
        None => (JwtSecret::generate()?, true),
    };
    let data_keys = reader.parsed_with("PORTAL_DATA_KEYS", |spec| {
        DataKeys::parse(spec).context("PORTAL_DATA_KEYS")
    })?;
    let (data_keys, data_keys_insecure) = match data_keys {
        Some(keys) => (keys, false),
        None if production => {
            bail!("PORTAL_DATA_KEYS (`id:base64-of-32-bytes`) is required in production")
        }
        None => (DataKeys::development(), true),
    };
    Ok(AuthSettings {
        jwt_secret,
        jwt_secret_generated,
        data_keys,
        data_keys_insecure,
        totp_required_for_admin: reader.flag(
            "PORTAL_TOTP_REQUIRED_FOR_ADMIN",
            environment.either(false, true),
        )?,
        login_attempts_per_minute: reader.number(
            "PORTAL_LOGIN_ATTEMPTS_PER_MINUTE",
            30,
            1..,
            "a positive number",
        )?,
    })
}
