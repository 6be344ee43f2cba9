//! Encryption of sensitive columns: TOTP secrets, and survivor-identifying case data.
//!
//! Values are sealed with XChaCha20-Poly1305 under one of the [`DataKeys`]. Every envelope names
//! the key that sealed it, so keys can be rotated: a new key is put first and encrypts, the old
//! ones stay listed and still decrypt, and [`DataKeys::reseal`] (run over every stored value by
//! `portal keys rotate`) moves values to the current key before an old key is dropped.
//!
//! A referral case's identifying data is sealed under a key of its own, an [`OwnerKey`], stored
//! only wrapped under the data keys. Erasing the case destroys the wrapped key, which makes
//! every copy of its values left in database files, logs of the database or backups unreadable
//! once the data keys that wrapped it are retired (crypto-shredding; docs/SECURITY.md).
//!
//! Envelope layout:
//!
//! ```text
//! version (1) | key id length (1) | key id | nonce (24) | ciphertext + tag (16)
//! ```
//!
//! The associated data is the header (version, key id length, key id) followed by the caller's
//! context, such as `b"account.totp_secret:<uuid>"`: a ciphertext copied to another row or
//! column, or relabelled with another key id, fails to decrypt instead of decrypting to the
//! wrong owner's data.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::zeroize::Zeroizing;

/// The envelope format this module writes and reads.
const VERSION: u8 = 1;
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
const MAX_KEY_ID_CHARS: usize = 32;

/// The id of [`DataKeys::development`]'s key.
const DEVELOPMENT_KEY_ID: &str = "dev-insecure";
/// Public by design: it is in this source file, so it protects nothing and is only for
/// development databases.
const DEVELOPMENT_KEY: &[u8; KEY_BYTES] = b"osce-portal-development-only-key";

/// The data-encryption keys: one current key that encrypts, older ones that still decrypt.
///
/// Cheap to clone (the keys are shared). The key bytes live only inside the ciphers, which wipe
/// them when the last clone is dropped.
#[derive(Clone)]
pub struct DataKeys {
    /// Never empty; the first key is the current one.
    keys: Arc<[DataKey]>,
}

struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for DataKeys {
    // Only the ids: the key bytes must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKeys")
            .field(
                "key_ids",
                &self.keys.iter().map(|key| &key.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl DataKeys {
    /// Parses `id:base64key[,id:base64key...]`: standard base64 of exactly 32 bytes, ids of 1 to
    /// 32 characters from `A-Z a-z 0-9 _ -`. The first entry is the current key.
    ///
    /// # Errors
    ///
    /// When the list is empty, an entry is malformed, a key is not base64 of 32 bytes or an id is
    /// repeated. The message names the entry but never repeats key material.
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        let mut seen = HashSet::new();
        for (index, entry) in spec.split(',').enumerate() {
            let number = index + 1;
            let entry = entry.trim();
            if entry.is_empty() {
                bail!("data key entry {number} is empty; expected id:base64key");
            }
            let Some((id, encoded)) = entry.split_once(':') else {
                bail!("data key entry {number} is not of the form id:base64key");
            };
            if !is_valid_key_id(id) {
                // The id is not repeated: a malformed entry may have the key where the id belongs.
                bail!(
                    "data key entry {number}: the id must be 1 to {MAX_KEY_ID_CHARS} characters \
                     from A-Z a-z 0-9 _ -"
                );
            }
            if id == OWNER_KEY_ID {
                bail!("data key entry {number}: the id {OWNER_KEY_ID:?} is reserved");
            }
            if !seen.insert(id) {
                bail!("data key id {id:?} is listed twice");
            }
            keys.push(DataKey {
                id: id.to_owned(),
                cipher: decode_key(id, encoded)?,
            });
        }
        Ok(Self { keys: keys.into() })
    }

    /// A fixed, publicly known key (id `dev-insecure`), only for development mode; the caller
    /// logs a warning when it uses it.
    pub fn development() -> Self {
        Self {
            keys: Arc::new([DataKey {
                id: DEVELOPMENT_KEY_ID.to_owned(),
                cipher: XChaCha20Poly1305::new(&(*DEVELOPMENT_KEY).into()),
            }]),
        }
    }

    /// The id of the key new values are encrypted with.
    pub fn current_key_id(&self) -> &str {
        &self.current().id
    }

    /// Seals `plaintext` with the current key and a fresh random nonce. `context` names where the
    /// value is stored (for example `b"account.totp_secret:<uuid>"`) and must be given again to
    /// decrypt.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Failed`] when the operating system gives no random numbers.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = self.current();
        seal(&key.cipher, &key.id, plaintext, context)
    }

    /// Opens an envelope made by [`DataKeys::encrypt`] with the same `context`.
    ///
    /// # Errors
    ///
    /// [`CryptoError::UnknownKey`] when the envelope's key is not configured,
    /// [`CryptoError::Malformed`] when it is not an envelope of this version, and
    /// [`CryptoError::Failed`] when it was tampered with or the context is not the one it was
    /// sealed with.
    pub fn decrypt(&self, envelope: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let parts = Parts::split(envelope).ok_or(CryptoError::Malformed)?;
        let key = self
            .keys
            .iter()
            .find(|key| key.id == parts.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(parts.key_id.to_owned()))?;
        open(&key.cipher, &parts, context)
    }

    /// Re-seals an envelope under the current key, for a rotation; `None` when it already is.
    ///
    /// # Errors
    /// As [`DataKeys::decrypt`] and [`DataKeys::encrypt`].
    pub fn reseal(&self, envelope: &[u8], context: &[u8]) -> Result<Option<Vec<u8>>, CryptoError> {
        if Self::key_id_of(envelope) == Some(self.current_key_id()) {
            return Ok(None);
        }
        let plaintext = Zeroizing::new(self.decrypt(envelope, context)?);
        self.encrypt(&plaintext, context).map(Some)
    }

    /// The ids of the configured keys, the current one first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|key| key.id.as_str())
    }

    /// A new random key for one owner's data (a referral case's), and that key wrapped (sealed)
    /// under the current data key with `context`, to be stored beside the data. Destroying the
    /// stored wrapped key makes every value sealed with the owner key unreadable, wherever
    /// copies of those values remain (crypto-shredding).
    ///
    /// # Errors
    /// [`CryptoError::Failed`] when the operating system gives no random numbers.
    pub fn new_owner_key(&self, context: &[u8]) -> Result<(OwnerKey, Vec<u8>), CryptoError> {
        let bytes = Zeroizing::new(random_bytes::<KEY_BYTES>());
        let wrapped = self.encrypt(bytes.as_slice(), context)?;
        Ok((OwnerKey::from_bytes(bytes.as_slice())?, wrapped))
    }

    /// Unwraps an owner key made by [`DataKeys::new_owner_key`] with the same `context`.
    ///
    /// # Errors
    /// As [`DataKeys::decrypt`]; [`CryptoError::Malformed`] when the unwrapped bytes are not a
    /// key.
    pub fn open_owner_key(&self, wrapped: &[u8], context: &[u8]) -> Result<OwnerKey, CryptoError> {
        let bytes = Zeroizing::new(self.decrypt(wrapped, context)?);
        OwnerKey::from_bytes(&bytes)
    }

    /// The id of the key an envelope was made with, to find the values to re-encrypt after a
    /// rotation; `None` when `envelope` is not a well-formed envelope.
    pub fn key_id_of(envelope: &[u8]) -> Option<&str> {
        Parts::split(envelope).map(|parts| parts.key_id)
    }

    fn current(&self) -> &DataKey {
        // `parse` refuses an empty list and `development` has one key.
        &self.keys[0]
    }
}

/// `N` bytes from the operating system's random generator, for secrets, salts and one-time
/// passwords.
///
/// # Panics
///
/// When the operating system has no random numbers to give, as `rand`'s `OsRng` does: nothing
/// secret can be made without them, and the systems this runs on do not fail this way.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    <[u8; N]>::generate()
}

/// The key id an [`OwnerKey`]'s envelopes carry: never a configured key's (`parse` refuses it).
const OWNER_KEY_ID: &str = "owner";

/// One owner's data key (a referral case's), unwrapped: seals and opens that owner's values in
/// the same envelope format as [`DataKeys`], with the key id `owner`. The key bytes live only
/// inside the cipher, which wipes them when dropped.
pub struct OwnerKey {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for OwnerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnerKey(..)")
    }
}

impl OwnerKey {
    fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        XChaCha20Poly1305::new_from_slice(bytes)
            .map(|cipher| Self { cipher })
            .map_err(|_| CryptoError::Malformed)
    }

    /// As [`DataKeys::encrypt`], under this owner's key.
    ///
    /// # Errors
    /// [`CryptoError::Failed`] when the operating system gives no random numbers.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal(&self.cipher, OWNER_KEY_ID, plaintext, context)
    }

    /// As [`DataKeys::decrypt`], for an envelope this owner's key sealed.
    ///
    /// # Errors
    /// [`CryptoError::Malformed`] for anything but an owner envelope, [`CryptoError::Failed`]
    /// when it was sealed by another owner's key, tampered with or bound to another context.
    pub fn decrypt(&self, envelope: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let parts = Parts::split(envelope).ok_or(CryptoError::Malformed)?;
        if parts.key_id != OWNER_KEY_ID {
            return Err(CryptoError::Malformed);
        }
        open(&self.cipher, &parts, context)
    }
}

/// Seals `plaintext` under `cipher`, naming `key_id` in the header, with a fresh random nonce.
fn seal(
    cipher: &XChaCha20Poly1305,
    key_id: &str,
    plaintext: &[u8],
    context: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let nonce = XNonce::try_generate().map_err(|_| CryptoError::Failed)?;
    let mut envelope = header(key_id)?;
    let aad = [envelope.as_slice(), context].concat();
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::Failed)?;
    envelope.reserve(NONCE_BYTES + sealed.len());
    envelope.extend_from_slice(&nonce);
    envelope.extend_from_slice(&sealed);
    Ok(envelope)
}

/// Opens the envelope `parts` under `cipher` with `context`.
fn open(
    cipher: &XChaCha20Poly1305,
    parts: &Parts<'_>,
    context: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let aad = [parts.header, context].concat();
    cipher
        .decrypt(
            &parts.nonce,
            Payload {
                msg: parts.sealed,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::Failed)
}

fn is_valid_key_id(id: &str) -> bool {
    (1..=MAX_KEY_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn decode_key(id: &str, encoded: &str) -> anyhow::Result<XChaCha20Poly1305> {
    // The base64 error is dropped on purpose: it quotes the offending character of the key.
    let bytes = Zeroizing::new(
        STANDARD
            .decode(encoded.trim())
            .ok()
            .with_context(|| format!("the data key {id:?} is not standard base64"))?,
    );
    if bytes.len() != KEY_BYTES {
        bail!(
            "the data key {id:?} is {} bytes long; it must be {KEY_BYTES}",
            bytes.len()
        );
    }
    XChaCha20Poly1305::new_from_slice(&bytes)
        .ok()
        .with_context(|| format!("the data key {id:?} is not a valid key"))
}

fn header(key_id: &str) -> Result<Vec<u8>, CryptoError> {
    // Ids are checked when keys are loaded, so this only fails on a programming error.
    let id_len = u8::try_from(key_id.len()).map_err(|_| CryptoError::Failed)?;
    let mut header = Vec::with_capacity(2 + key_id.len());
    header.push(VERSION);
    header.push(id_len);
    header.extend_from_slice(key_id.as_bytes());
    Ok(header)
}

/// An envelope cut into its parts, without decrypting anything.
struct Parts<'a> {
    /// Version, id length and id: authenticated along with the context.
    header: &'a [u8],
    key_id: &'a str,
    nonce: XNonce,
    sealed: &'a [u8],
}

impl<'a> Parts<'a> {
    fn split(envelope: &'a [u8]) -> Option<Self> {
        let (&version, rest) = envelope.split_first()?;
        if version != VERSION {
            return None;
        }
        let (&id_len, rest) = rest.split_first()?;
        let (key_id, rest) = rest.split_at_checked(usize::from(id_len))?;
        let key_id = std::str::from_utf8(key_id).ok()?;
        let (nonce, sealed) = rest.split_at_checked(NONCE_BYTES)?;
        if sealed.len() < TAG_BYTES {
            return None;
        }
        Some(Self {
            header: &envelope[..2 + key_id.len()],
            key_id,
            nonce: XNonce::try_from(nonce).ok()?,
            sealed,
        })
    }
}

/// Why an envelope could not be sealed or opened. The texts never contain data or key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// The envelope was sealed with a key that is not configured (the id is given).
    UnknownKey(String),
    /// The bytes are not an envelope of a version this code knows.
    Malformed,
    /// Authentication failed (tampered value, wrong context), or the operating system gave no
    /// random numbers to encrypt with.
    Failed,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(id) => write!(f, "the data key {id:?} is not configured"),
            Self::Malformed => f.write_str("the encrypted value is malformed"),
            Self::Failed => f.write_str(
                "encryption or decryption failed (wrong context, tampered value or no randomness)",
            ),
        }
    }
}

impl std::error::Error for CryptoError {}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTEXT: &[u8] = b"account.totp_secret:0192f0c4-0000-7000-8000-000000000001";

    fn encoded(byte: u8) -> String {
        STANDARD.encode([byte; KEY_BYTES])
    }

    fn keys(spec: &str) -> DataKeys {
        DataKeys::parse(spec).expect("valid keys")
    }

    fn parse_error(spec: &str) -> String {
        format!("{:#}", DataKeys::parse(spec).expect_err("refused"))
    }

    #[test]
    fn a_value_round_trips_under_its_context() {
        let keys = keys(&format!("k1:{}", encoded(1)));

        let envelope = keys
            .encrypt(b"JBSWY3DPEHPK3PXP", CONTEXT)
            .expect("encrypts");

        assert_eq!(
            keys.decrypt(&envelope, CONTEXT).expect("decrypts"),
            b"JBSWY3DPEHPK3PXP"
        );
        assert_eq!(DataKeys::key_id_of(&envelope), Some("k1"));
        assert_eq!(envelope[0], VERSION);
        assert_eq!(envelope.len(), 2 + 2 + NONCE_BYTES + 16 + TAG_BYTES);
    }

    #[test]
    fn the_same_value_encrypts_differently_each_time() {
        let keys = keys(&format!("k1:{}", encoded(1)));

        let first = keys.encrypt(b"secret", CONTEXT).expect("encrypts");
        let second = keys.encrypt(b"secret", CONTEXT).expect("encrypts");

        assert_ne!(first, second);
    }

    #[test]
    fn an_empty_value_round_trips() {
        let keys = DataKeys::development();

        let envelope = keys.encrypt(b"", CONTEXT).expect("encrypts");

        assert_eq!(keys.decrypt(&envelope, CONTEXT).expect("decrypts"), b"");
    }

    #[test]
    fn after_a_rotation_old_values_decrypt_and_new_ones_use_the_new_key() {
        let old_only = keys(&format!("old:{}", encoded(1)));
        let old_envelope = old_only.encrypt(b"secret", CONTEXT).expect("encrypts");

        let rotated = keys(&format!("new:{}, old:{}", encoded(2), encoded(1)));
        let new_envelope = rotated.encrypt(b"secret", CONTEXT).expect("encrypts");

        assert_eq!(rotated.current_key_id(), "new");
        assert_eq!(
            rotated.decrypt(&old_envelope, CONTEXT).expect("decrypts"),
            b"secret"
        );
        assert_eq!(DataKeys::key_id_of(&old_envelope), Some("old"));
        assert_eq!(DataKeys::key_id_of(&new_envelope), Some("new"));
        assert_eq!(
            old_only.decrypt(&new_envelope, CONTEXT),
            Err(CryptoError::UnknownKey("new".to_owned()))
        );
    }

    #[test]
    fn a_value_moved_to_another_row_does_not_decrypt() {
        let keys = keys(&format!("k1:{}", encoded(1)));
        let envelope = keys.encrypt(b"secret", CONTEXT).expect("encrypts");

        let other_row = b"account.totp_secret:0192f0c4-0000-7000-8000-000000000002";

        assert_eq!(keys.decrypt(&envelope, other_row), Err(CryptoError::Failed));
    }

    #[test]
    fn any_tampered_byte_is_detected() {
        let keys = keys(&format!("k1:{}", encoded(1)));
        let envelope = keys.encrypt(b"secret", CONTEXT).expect("encrypts");

        // Past the header: the nonce, the ciphertext and the tag.
        for index in 4..envelope.len() {
            let mut tampered = envelope.clone();
            tampered[index] ^= 0x01;
            assert_eq!(
                keys.decrypt(&tampered, CONTEXT),
                Err(CryptoError::Failed),
                "byte {index}"
            );
        }
    }

    #[test]
    fn relabelling_an_envelope_with_another_key_id_is_detected() {
        // Both keys are the same bytes, so only the authenticated header catches the swap.
        let keys = keys(&format!("k1:{},k2:{}", encoded(1), encoded(1)));
        let mut envelope = keys.encrypt(b"secret", CONTEXT).expect("encrypts");

        envelope[3] = b'2';

        assert_eq!(DataKeys::key_id_of(&envelope), Some("k2"));
        assert_eq!(keys.decrypt(&envelope, CONTEXT), Err(CryptoError::Failed));
    }

    #[test]
    fn truncated_and_foreign_bytes_are_malformed() {
        let keys = keys(&format!("k1:{}", encoded(1)));
        let envelope = keys.encrypt(b"secret", CONTEXT).expect("encrypts");

        for length in [0, 1, 2, 3, 4 + NONCE_BYTES, 4 + NONCE_BYTES + TAG_BYTES - 1] {
            assert_eq!(
                keys.decrypt(&envelope[..length], CONTEXT),
                Err(CryptoError::Malformed),
                "length {length}"
            );
        }
        // A truncated ciphertext that still has room for a tag fails authentication.
        assert_eq!(
            keys.decrypt(&envelope[..envelope.len() - 1], CONTEXT),
            Err(CryptoError::Failed)
        );
        let mut other_version = envelope.clone();
        other_version[0] = 2;
        assert_eq!(
            keys.decrypt(&other_version, CONTEXT),
            Err(CryptoError::Malformed)
        );
        assert_eq!(DataKeys::key_id_of(&other_version), None);
        assert_eq!(DataKeys::key_id_of(b"plain text"), None);
    }

    #[test]
    fn an_unknown_key_id_is_named() {
        let keys = keys(&format!("k1:{}", encoded(1)));
        let other = DataKeys::development();
        let envelope = other.encrypt(b"secret", CONTEXT).expect("encrypts");

        let error = keys.decrypt(&envelope, CONTEXT).expect_err("refused");

        assert_eq!(error, CryptoError::UnknownKey("dev-insecure".to_owned()));
        assert_eq!(
            error.to_string(),
            "the data key \"dev-insecure\" is not configured"
        );
    }

    #[test]
    fn the_development_key_works_and_says_what_it_is() {
        let keys = DataKeys::development();

        let envelope = keys.encrypt(b"secret", CONTEXT).expect("encrypts");

        assert_eq!(keys.current_key_id(), "dev-insecure");
        assert_eq!(
            keys.decrypt(&envelope, CONTEXT).expect("decrypts"),
            b"secret"
        );
    }

    #[test]
    fn parse_refuses_bad_specs_without_echoing_keys() {
        let good = encoded(7);
        let bad_base64 = "not*base64*at*all*but*long*enough*to*look*like*a*key";
        let short = STANDARD.encode([7_u8; 16]);

        let cases = [
            (String::new(), "entry 1 is empty"),
            ("   ".to_owned(), "entry 1 is empty"),
            (format!("k1:{good},"), "entry 2 is empty"),
            (good.clone(), "entry 1 is not of the form id:base64key"),
            (format!("k1:{bad_base64}"), "\"k1\" is not standard base64"),
            (
                format!("k1:{short}"),
                "\"k1\" is 16 bytes long; it must be 32",
            ),
            (
                format!("k1:{good},k1:{}", encoded(8)),
                "\"k1\" is listed twice",
            ),
            (format!(":{good}"), "entry 1: the id must be"),
            (
                format!("{}:{good}", "k".repeat(33)),
                "entry 1: the id must be",
            ),
            (format!("k/1:{good}"), "entry 1: the id must be"),
        ];
        for (spec, expected) in cases {
            let error = parse_error(&spec);
            assert!(error.contains(expected), "{spec:?}: {error}");
            assert!(!error.contains(&good), "{spec:?} echoed the key: {error}");
            assert!(
                !error.contains(bad_base64),
                "{spec:?} echoed the key: {error}"
            );
            assert!(!error.contains(&short), "{spec:?} echoed the key: {error}");
        }
    }

    #[test]
    fn parse_accepts_the_longest_ids_and_the_first_key_is_current() {
        let long_id = "Key_2026-01_".repeat(3)[..32].to_owned();

        let keys = keys(&format!("{long_id}:{},k-0:{}", encoded(1), encoded(2)));

        assert_eq!(keys.current_key_id(), long_id);
    }

    #[test]
    fn an_owner_key_seals_values_only_it_opens_and_is_gone_with_its_wrapped_copy() {
        let keys = keys(&format!("k1:{}", encoded(1)));
        let (owner, wrapped) = keys
            .new_owner_key(b"referral_case.data_key:1")
            .expect("new");
        let envelope = owner.encrypt(b"Name", CONTEXT).expect("encrypts");

        assert_eq!(DataKeys::key_id_of(&envelope), Some("owner"));
        assert_eq!(DataKeys::key_id_of(&wrapped), Some("k1"));
        let reopened = keys
            .open_owner_key(&wrapped, b"referral_case.data_key:1")
            .expect("unwraps");
        assert_eq!(
            reopened.decrypt(&envelope, CONTEXT).expect("opens"),
            b"Name"
        );
        // Bound to its owner: another owner's context does not unwrap it.
        assert_eq!(
            keys.open_owner_key(&wrapped, b"referral_case.data_key:2")
                .map(|_| ()),
            Err(CryptoError::Failed)
        );
        // The configured keys do not open owner envelopes, and another owner key fails.
        assert_eq!(
            keys.decrypt(&envelope, CONTEXT),
            Err(CryptoError::UnknownKey("owner".to_owned()))
        );
        let (other, _) = keys
            .new_owner_key(b"referral_case.data_key:1")
            .expect("new");
        assert_eq!(other.decrypt(&envelope, CONTEXT), Err(CryptoError::Failed));
        // Once the key that wrapped it is retired, the wrapped copy opens nothing.
        let retired = keys_after_retiring_k1();
        assert_eq!(
            retired
                .open_owner_key(&wrapped, b"referral_case.data_key:1")
                .map(|_| ()),
            Err(CryptoError::UnknownKey("k1".to_owned()))
        );
        assert!(parse_error(&format!("owner:{}", encoded(1))).contains("reserved"));
    }

    fn keys_after_retiring_k1() -> DataKeys {
        keys(&format!("k2:{}", encoded(2)))
    }

    #[test]
    fn reseal_moves_a_value_to_the_current_key_once() {
        let old = keys(&format!("old:{}", encoded(1)));
        let envelope = old.encrypt(b"secret", CONTEXT).expect("encrypts");
        let rotated = keys(&format!("new:{},old:{}", encoded(2), encoded(1)));

        let resealed = rotated
            .reseal(&envelope, CONTEXT)
            .expect("reseals")
            .expect("was under the old key");

        assert_eq!(DataKeys::key_id_of(&resealed), Some("new"));
        assert_eq!(rotated.reseal(&resealed, CONTEXT), Ok(None));
        assert_eq!(
            keys(&format!("new:{}", encoded(2)))
                .decrypt(&resealed, CONTEXT)
                .expect("opens without the old key"),
            b"secret"
        );
        assert_eq!(rotated.key_ids().collect::<Vec<_>>(), ["new", "old"]);
    }

    #[test]
    fn random_bytes_differ_between_calls() {
        assert_ne!(random_bytes::<16>(), random_bytes::<16>());
    }

    #[test]
    fn debug_shows_only_the_key_ids() {
        let keys = keys(&format!("new:{},old:{}", encoded(0xAB), encoded(0xCD)));

        let debug = format!("{keys:?}");

        assert_eq!(debug, r#"DataKeys { key_ids: ["new", "old"] }"#);
        assert!(!debug.contains(&encoded(0xAB)));
        assert!(!format!("{:?}", DataKeys::development()).contains("development-only-key"));
    }
}
