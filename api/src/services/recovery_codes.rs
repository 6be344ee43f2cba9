//! Two-factor recovery codes: ten per account with two-factor authentication on, shown once
//! when they are made (at `confirmTotp` and `regenerateRecoveryCodes`), each usable once at
//! sign-in instead of an authenticator code.
//!
//! A code is twelve characters of Crockford's base32 alphabet (no `i`, `l`, `o`, `u`), written
//! `xxxx-xxxx-xxxx`: 60 random bits. Input is forgiving: case, hyphens and spaces do not
//! matter, and `o`, `i`, `l` are read as `0`, `1`, `1`.
//!
//! Only SHA-256 over a domain label, the account id and the normalised code is stored. A slow
//! password hash would add nothing here: it slows the guessing of *low-entropy* secrets, and
//! 2^60 candidates per code are out of reach of fast hashing too; the account id in the hash
//! keeps one guess from being tried against every account's codes at once. A code is also only
//! ever useful together with the account's password.

use chrono::{DateTime, Utc};
use entity::recovery_code;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QuerySelect, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto::random_bytes;

/// How many codes a set has.
pub const CODES_PER_SET: usize = 10;
/// Crockford's base32 alphabet, lower case: 32 characters, none easily mistaken for another.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters of a code (5 bits each: 60 bits).
const CODE_CHARS: usize = 12;
/// Characters between hyphens when shown.
const GROUP_CHARS: usize = 4;
/// Separates these hashes from any other SHA-256 the portal computes.
const HASH_LABEL: &[u8] = b"portal.recovery_code.v1\0";

/// A new random code, formatted `xxxx-xxxx-xxxx`.
///
/// # Panics
///
/// When the operating system has no random numbers (see [`random_bytes`]).
pub fn generate() -> String {
    // 256 is a multiple of 32, so the low five bits of a random byte are uniform.
    let bytes = random_bytes::<CODE_CHARS>();
    let chars: Vec<char> = bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(byte & 0x1f)]))
        .collect();
    chars
        .chunks(GROUP_CHARS)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as stored (twelve characters of the alphabet), or `None` when `input` cannot be a
/// recovery code.
pub fn normalise(input: &str) -> Option<String> {
    let mut code = String::with_capacity(CODE_CHARS);
    for character in input.chars() {
        let character = match character.to_ascii_lowercase() {
            '-' | ' ' | '\t' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            other if other.is_ascii() && ALPHABET.contains(&(other as u8)) => other,
            _ => return None,
        };
        if code.len() == CODE_CHARS {
            return None;
        }
        code.push(character);
    }
    (code.len() == CODE_CHARS).then_some(code)
}

/// The stored hash of the normalised `code` of `account_id`.
fn hash(account_id: Uuid, code: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(HASH_LABEL);
    hasher.update(account_id.as_bytes());
    hasher.update(code.as_bytes());
    hasher.finalize().to_vec()
}

/// Replaces every code of `account_id` (spent or not) with a new set; returns the new codes,
/// to be shown once.
///
/// # Errors
/// Database errors.
pub async fn replace(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    delete_all(conn, account_id).await?;
    let mut codes = Vec::with_capacity(CODES_PER_SET);
    let mut rows = Vec::with_capacity(CODES_PER_SET);
    while codes.len() < CODES_PER_SET {
        let code = generate();
        if codes.contains(&code) {
            // One chance in 2^60 per pair; the unique index would refuse it.
            continue;
        }
        let stored = normalise(&code).ok_or_else(|| DbErr::Custom("recovery code".into()))?;
        rows.push(
            recovery_code::Model {
                id: Uuid::now_v7(),
                account_id,
                code_hash: hash(account_id, &stored),
                created_at: now,
                used_at: None,
            }
            .into_active_model(),
        );
        codes.push(code);
    }
    recovery_code::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(codes)
}

/// Spends the unused code `input` of `account_id`: true when it was one and is now spent. One
/// guarded statement, so two sign-ins racing with the same code cannot both have it.
///
/// # Errors
/// Database errors.
pub async fn spend(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    input: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(code) = normalise(input) else {
        return Ok(false);
    };
    let spent = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(recovery_code::Column::CodeHash.eq(hash(account_id, &code)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(spent == 1)
}

/// Deletes every code of `account_id`; returns how many there were.
///
/// # Errors
/// Database errors.
pub async fn delete_all(conn: &impl ConnectionTrait, account_id: Uuid) -> Result<u64, DbErr> {
    Ok(recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// How many unused codes `account_id` has.
///
/// # Errors
/// Database errors.
pub async fn left(conn: &impl ConnectionTrait, account_id: Uuid) -> Result<u64, DbErr> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(conn)
        .await
}

/// How many unused codes each of `account_ids` has (accounts with none are absent).
///
/// # Errors
/// Database errors.
pub async fn left_of(
    conn: &impl ConnectionTrait,
    account_ids: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    recovery_code::Entity::find()
        .select_only()
        .column(recovery_code::Column::AccountId)
        .column_as(recovery_code::Column::Id.count(), "left")
        .filter(recovery_code::Column::AccountId.is_in(account_ids.iter().copied()))
        .filter(recovery_code::Column::UsedAt.is_null())
        .group_by(recovery_code::Column::AccountId)
        .into_tuple()
        .all(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_groups_of_four_from_the_alphabet_and_differ() {
        let code = generate();

        assert_eq!(code.len(), 14, "{code}");
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 3, "{code}");
        assert!(groups.iter().all(|group| group.len() == 4), "{code}");
        assert!(
            code.bytes()
                .filter(|byte| *byte != b'-')
                .all(|byte| ALPHABET.contains(&byte)),
            "{code}"
        );
        assert_ne!(generate(), generate());
    }

    #[test]
    fn input_is_forgiving_about_case_separators_and_lookalikes() {
        assert_eq!(normalise("ab2c-d3ef-gh45").as_deref(), Some("ab2cd3efgh45"));
        assert_eq!(
            normalise(" AB2C D3EF GH45 ").as_deref(),
            Some("ab2cd3efgh45")
        );
        assert_eq!(normalise("ab2cd3efgh45").as_deref(), Some("ab2cd3efgh45"));
        assert_eq!(normalise("oilo-0000-1111").as_deref(), Some("011000001111"));
    }

    #[test]
    fn anything_else_is_not_a_code() {
        for garbage in [
            "",
            "123456",
            "ab2c-d3ef-gh4",
            "ab2c-d3ef-gh456",
            "ab2c-d3ef-gh4u",
            "ab2c-d3ef-gh4!",
            "ab2c-d3ef-gh4é",
        ] {
            assert_eq!(normalise(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn the_hash_depends_on_the_account() {
        let code = "ab2cd3efgh45";
        let first = Uuid::now_v7();

        assert_eq!(hash(first, code), hash(first, code));
        assert_ne!(hash(first, code), hash(Uuid::now_v7(), code));
        assert_ne!(hash(first, code), hash(first, "ab2cd3efgh46"));
        assert_eq!(hash(first, code).len(), 32);
    }
}
