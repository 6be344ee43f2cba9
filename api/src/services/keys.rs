//! The data keys' hold on stored values: which key seals how many values, and rotation
//! (`portal keys rotate`), which re-seals every value and every case key under the current key
//! so that an operator can then retire the older keys (docs/SECURITY.md says when).
//!
//! Values sealed under the data keys directly: each referral case's own key (wrapped), each
//! account's TOTP secret and each answer kept for a retried mutation (`Idempotency-Key`). A case's identifying fields and free text are sealed with the case's
//! own key, which a rotation leaves as it is: re-wrapping that key is enough.

use std::collections::BTreeMap;

use entity::{account, idempotency_key, referral_case};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::crypto::DataKeys;

/// How many stored values each data key seals, by key id (ids no configured key has included).
pub type KeyUse = BTreeMap<String, u64>;

/// What a rotation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// What [`super::cases::seal_stored`] had left to do first.
    pub sealed: super::cases::SealSummary,
    /// Case keys re-wrapped under the current key.
    pub case_keys: u64,
    /// TOTP secrets re-sealed under the current key.
    pub totp_secrets: u64,
    /// Answers kept for retried mutations re-sealed under the current key.
    pub answers: u64,
    /// The values per key afterwards: only the current key, unless a value failed to open.
    pub after: KeyUse,
}

/// Counts the stored values per data key.
///
/// # Errors
/// Database errors.
pub async fn usage(conn: &impl ConnectionTrait) -> anyhow::Result<KeyUse> {
    let mut counts = KeyUse::new();
    for envelope in sealed_values(conn)
        .await?
        .into_iter()
        .map(|value| value.envelope)
    {
        let id = DataKeys::key_id_of(&envelope).unwrap_or("(malformed)");
        *counts.entry(id.to_owned()).or_default() += 1;
    }
    Ok(counts)
}

/// Re-seals every stored value under the current key, each row in its own short write guarded
/// by its old value (a server running meanwhile may seal new values, always under the current
/// key, or erase a case; neither is undone).
///
/// # Errors
/// Database errors; a stored value that no configured key opens (the message names its key id,
/// never a value); nothing already re-sealed is undone.
pub async fn rotate(db: &DatabaseConnection, keys: &DataKeys) -> anyhow::Result<Rotation> {
    let txn = db.begin().await?;
    let sealed = super::cases::seal_stored(&txn, keys).await?;
    txn.commit().await?;
    let mut rotation = Rotation {
        sealed,
        ..Rotation::default()
    };
    for value in sealed_values(db).await? {
        let Some(resealed) = keys
            .reseal(&value.envelope, &value.kind.context(value.id))
            .map_err(|error| anyhow::anyhow!("{} of {}: {error}", value.kind.name(), value.id))?
        else {
            continue;
        };
        let updated = match value.kind {
            Kind::CaseKey => {
                referral_case::Entity::update_many()
                    .col_expr(referral_case::Column::DataKey, Expr::value(Some(resealed)))
                    .filter(referral_case::Column::Id.eq(value.id))
                    .filter(referral_case::Column::DataKey.eq(value.envelope))
                    .exec(db)
                    .await?
            }
            Kind::TotpSecret => {
                account::Entity::update_many()
                    .col_expr(account::Column::TotpSecret, Expr::value(Some(resealed)))
                    .filter(account::Column::Id.eq(value.id))
                    .filter(account::Column::TotpSecret.eq(value.envelope))
                    .exec(db)
                    .await?
            }
            Kind::Answer => {
                idempotency_key::Entity::update_many()
                    .col_expr(idempotency_key::Column::Answer, Expr::value(Some(resealed)))
                    .filter(idempotency_key::Column::Id.eq(value.id))
                    .filter(idempotency_key::Column::Answer.eq(value.envelope))
                    .exec(db)
                    .await?
            }
        };
        match value.kind {
            Kind::CaseKey => rotation.case_keys += updated.rows_affected,
            Kind::TotpSecret => rotation.totp_secrets += updated.rows_affected,
            Kind::Answer => rotation.answers += updated.rows_affected,
        }
    }
    rotation.after = usage(db).await?;
    Ok(rotation)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    CaseKey,
    TotpSecret,
    Answer,
}

impl Kind {
    fn context(self, id: Uuid) -> Vec<u8> {
        match self {
            Self::CaseKey => super::cases::wrapped_key_context(id),
            Self::TotpSecret => super::auth::totp_context(id),
            Self::Answer => super::idempotency::answer_context(id),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::CaseKey => "the key of referral case",
            Self::TotpSecret => "the two-factor secret of account",
            Self::Answer => "the kept answer of idempotency key",
        }
    }
}

struct SealedValue {
    kind: Kind,
    id: Uuid,
    envelope: Vec<u8>,
}

/// Every stored value sealed under the data keys directly.
async fn sealed_values(conn: &impl ConnectionTrait) -> anyhow::Result<Vec<SealedValue>> {
    let cases: Vec<(Uuid, Option<Vec<u8>>)> = referral_case::Entity::find()
        .select_only()
        .column(referral_case::Column::Id)
        .column(referral_case::Column::DataKey)
        .filter(referral_case::Column::DataKey.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let accounts: Vec<(Uuid, Option<Vec<u8>>)> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::TotpSecret)
        .filter(account::Column::TotpSecret.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let answers: Vec<(Uuid, Option<Vec<u8>>)> = idempotency_key::Entity::find()
        .select_only()
        .column(idempotency_key::Column::Id)
        .column(idempotency_key::Column::Answer)
        .filter(idempotency_key::Column::Answer.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let of = |kind: Kind| {
        move |(id, envelope): (Uuid, Option<Vec<u8>>)| {
            envelope.map(|envelope| SealedValue { kind, id, envelope })
        }
    };
    Ok(cases
        .into_iter()
        .filter_map(of(Kind::CaseKey))
        .chain(accounts.into_iter().filter_map(of(Kind::TotpSecret)))
        .chain(answers.into_iter().filter_map(of(Kind::Answer)))
        .collect())
}
