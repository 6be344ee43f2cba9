//! Time-based one-time passwords (RFC 6238) as authenticator apps make them: HMAC-SHA-1, six
//! digits, 30-second steps.
//!
//! A code is accepted for the step before and after the current one, for clocks that drift and
//! codes typed near the end of their step, and never twice: the caller stores the step
//! [`verify`] returns and passes it back as `last_used_step`.

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::crypto::random_bytes;

/// The name authenticator apps show above the code.
const ISSUER: &str = "OSCE Partner Portal";
const DIGITS: u8 = 6;
const STEP_SECONDS: i64 = 30;
/// How many steps before and after the current one a code may come from.
const SKEW_STEPS: i64 = 1;
/// RFC 4226 recommends 160 bits.
const SECRET_BYTES: usize = 20;
/// RFC 4226's minimum; a shorter secret cannot be one of ours, so nothing matches it.
const MIN_SECRET_BYTES: usize = 16;

/// Everything but RFC 3986's unreserved characters is escaped in the label and the issuer, so a
/// space is `%20` (not `+`, which apps would show) and the `:` between issuer and account stays
/// the only one.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A new random 20-byte secret from the operating system's generator.
///
/// # Panics
///
/// When the operating system has no random numbers (see [`random_bytes`]).
pub fn generate_secret() -> Vec<u8> {
    random_bytes::<SECRET_BYTES>().to_vec()
}

/// The secret in base32 (RFC 4648, no padding), for typing into an app by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret).to_base32()
}

/// The `otpauth://` URI for authenticator apps (usually shown as a QR code), with the issuer
/// "OSCE Partner Portal" and the account's email as the label.
pub fn provisioning_uri(secret: &[u8], account_email: &str) -> String {
    let issuer = utf8_percent_encode(ISSUER, URI_COMPONENT);
    let account = utf8_percent_encode(account_email, URI_COMPONENT);
    let secret = secret_base32(secret);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )
}

/// The time step `code` belongs to, if it is the code of `secret` for the step of `now` or the
/// step either side; `None` when it is not, when it is not six digits (whitespace around it is
/// ignored), and when that step is not after `last_used_step`, so a code is never accepted
/// twice.
pub fn verify(
    secret: &[u8],
    code: &str,
    now: DateTime<Utc>,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS)
        || !code.bytes().all(|byte| byte.is_ascii_digit())
        || secret.len() < MIN_SECRET_BYTES
    {
        return None;
    }
    let totp = totp(secret);
    let current = step_of(now);
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .filter(|&step| last_used_step.is_none_or(|last| step > last))
        .find(|&step| {
            // `check` compares in constant time; with no skew of its own it looks at this step
            // only.
            u64::try_from(step * STEP_SECONDS).is_ok_and(|start| totp.check(code, start).is_some())
        })
}

/// The code of `secret` at `now`, for tests and tools.
pub fn code_at(secret: &[u8], now: DateTime<Utc>) -> String {
    // Steps before 1970 do not occur; they would only be reached with a broken clock.
    let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
    totp(secret).generate(seconds).to_string()
}

/// The 30-second step `now` falls in.
fn step_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECONDS)
}

fn totp(secret: &[u8]) -> Totp {
    // Every setting is the RFC's and fixed here, so the checks of `build` could only refuse the
    // secret's length, which `verify` checks itself.
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(0)
        .with_step_duration(STEP_SECONDS.unsigned_abs())
        .with_secret(secret)
        .build_noncompliant()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-1 secret of RFC 6238's test vectors.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("in range")
    }

    #[test]
    fn codes_match_the_rfc_6238_sha1_vectors_truncated_to_six_digits() {
        // RFC 6238 appendix B gives eight digits (94287082 at T = 59); six-digit codes are the
        // same value modulo 10^6.
        let vectors = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ];
        for (seconds, code) in vectors {
            assert_eq!(code_at(RFC_SECRET, at(seconds)), code, "T = {seconds}");
            assert_eq!(
                verify(RFC_SECRET, code, at(seconds), None),
                Some(seconds / 30),
                "T = {seconds}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = generate_secret();
        let now = at(1_700_000_015);
        let step = 1_700_000_015 / 30;

        let previous = code_at(&secret, at(1_700_000_015 - 30));
        let next = code_at(&secret, at(1_700_000_015 + 30));
        let too_old = code_at(&secret, at(1_700_000_015 - 60));
        let too_new = code_at(&secret, at(1_700_000_015 + 60));

        assert_eq!(verify(&secret, &previous, now, None), Some(step - 1));
        assert_eq!(verify(&secret, &next, now, None), Some(step + 1));
        assert_eq!(verify(&secret, &too_old, now, None), None);
        assert_eq!(verify(&secret, &too_new, now, None), None);
    }

    #[test]
    fn a_code_is_never_accepted_twice() {
        let secret = generate_secret();
        let now = at(1_700_000_015);
        let code = code_at(&secret, now);

        let step = verify(&secret, &code, now, None).expect("accepted");

        assert_eq!(verify(&secret, &code, now, Some(step)), None);
        assert_eq!(verify(&secret, &code, at(1_700_000_040), Some(step)), None);
        assert_eq!(verify(&secret, &code, now, Some(step - 1)), Some(step));
        // Once a later step was used, an earlier code still inside the window is refused too.
        let previous = code_at(&secret, at(1_700_000_015 - 30));
        assert_eq!(verify(&secret, &previous, now, Some(step)), None);
    }

    #[test]
    fn surrounding_whitespace_is_ignored_and_garbage_is_refused() {
        let now = at(59);

        assert_eq!(verify(RFC_SECRET, " 287082\n", now, None), Some(1));
        for garbage in [
            "",
            "28708",
            "2870820",
            "94287082",
            "287 082",
            "+28708",
            "-28708",
            "abcdef",
            "２８７０８２",
            "287o82",
        ] {
            assert_eq!(verify(RFC_SECRET, garbage, now, None), None, "{garbage:?}");
        }
        assert_eq!(verify(b"too short", "287082", now, None), None);
    }

    #[test]
    fn secrets_are_random_and_twenty_bytes() {
        let first = generate_secret();

        assert_eq!(first.len(), 20);
        assert_ne!(first, generate_secret());
        assert_eq!(secret_base32(&first).len(), 32);
    }

    #[test]
    fn the_base32_secret_has_no_padding() {
        assert_eq!(
            secret_base32(RFC_SECRET),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert!(!secret_base32(b"12345678901234567").contains('='));
    }

    #[test]
    fn the_provisioning_uri_escapes_issuer_and_account() {
        let uri = provisioning_uri(RFC_SECRET, "nilufar.rahimova+2fa@partner.example.tj");

        assert_eq!(
            uri,
            "otpauth://totp/OSCE%20Partner%20Portal:nilufar.rahimova%2B2fa%40partner.example.tj\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=OSCE%20Partner%20Portal\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
