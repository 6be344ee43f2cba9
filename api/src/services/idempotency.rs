//! `Idempotency-Key` on mutations (the IETF httpapi draft): the same key from the same account
//! within 24 hours returns the first answer and changes nothing.
//!
//! The guarantee rests on one rule: **the claim is marked in the transaction that commits the
//! mutation's writes**. Every service writes its change's audit record with
//! [`super::audit::record`] inside that transaction; when the request holds a claim, that same
//! call marks the claim `COMMITTED` ([`mark_committed`]). So the row says exactly whether the
//! mutation committed, whatever happens to the process afterwards:
//!
//! - `IN_FLIGHT`: nothing of the request committed. A live request holds it (a retry gets
//!   `CONFLICT`, try later); once older than the request timeout its request is surely gone
//!   (killed, timed out, rolled back), and a retry takes the claim over and runs the mutation:
//!   safe, because nothing of the first attempt committed.
//! - `COMMITTED`: the mutation committed and its answer is being stored, or was lost when the
//!   server stopped in between. A retry never runs it again: `CONFLICT`, saying so.
//! - `DONE`: the first answer, sealed with the data keys, is replayed byte for byte.
//! - `ERASED`: the answer was about a case whose consent was withdrawn; it is gone, and the
//!   key cannot be used again while the row lives (a retry would recreate the case).
//!
//! A request that failed without committing anything releases its claim: a failure is never
//! pinned, and the same key may be sent again.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::{enums::IdempotencyState, idempotency_key, referral_case};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    sea_query::{Expr, Func, OnConflict},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    cases::{ADD_NOTE, READ_IDENTIFYING},
};
use crate::{
    auth::{Actor, Caller},
    crypto::DataKeys,
    error::{ApiError, ApiResult},
    policy,
};

/// The entity type of a referral case in audit records, and so in the rows of this table.
pub const CASE_ENTITY: &str = "referral_case";

/// How long a key and its answer are kept.
pub const RETENTION: ChronoDuration = ChronoDuration::hours(24);

/// The longest key the header may carry.
pub const MAX_KEY_CHARS: usize = 255;

/// A key of the `Idempotency-Key` header: 1 to 255 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks `key`, the header's value once its quoting is undone.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when it is empty, longer than 255 characters, or holds anything but
    /// printable ASCII (space to `~`).
    pub fn parse(key: &str) -> ApiResult<Self> {
        if key.is_empty()
            || key.len() > MAX_KEY_CHARS
            || !key.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
        {
            return Err(ApiError::bad_input(
                "Idempotency-Key",
                format!(
                    "The Idempotency-Key header must hold 1 to {MAX_KEY_CHARS} printable ASCII \
                     characters, as a quoted string such as \"8e03978e-40d5-43e8-bc93-6894a57f9324\"."
                ),
            ));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What makes two requests the same: the query text, the operation name and the variables.
#[derive(Clone, Debug)]
pub struct CanonicalRequest(String);

impl CanonicalRequest {
    /// The canonical form of a request: its parts as JSON with every object's keys sorted, so
    /// that a client re-serialising its variables in another order sends the same request.
    pub fn new(query: &str, operation_name: Option<&str>, variables: &serde_json::Value) -> Self {
        let mut text = String::new();
        canonical_json(&serde_json::json!(query), &mut text);
        text.push('\n');
        canonical_json(&serde_json::json!(operation_name), &mut text);
        text.push('\n');
        canonical_json(variables, &mut text);
        Self(text)
    }

    /// Its SHA-256 salted with the row's id (hex), so that the stored hash of a request
    /// holding a survivor's data cannot be matched against a guess made for another row.
    pub fn hash_for(&self, row: Uuid) -> String {
        let mut digest = Sha256::new();
        digest.update(row.as_bytes());
        digest.update(self.0.as_bytes());
        hex(&digest.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn canonical_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (name, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::from(name.as_str()).to_string());
                out.push(':');
                canonical_json(value, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

pub use crate::auth::IdempotencyClaim as Claim;

/// An answer as it went out: replayed as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The outcome of claiming a key.
#[derive(Debug)]
pub enum Claimed {
    /// The key is this request's: run the mutation under the claim, then [`Idempotency::finish`].
    Fresh(Claim),
    /// The key's first request is done: its answer.
    Replay(StoredAnswer),
}

/// Claims, answers and purges of idempotency keys.
pub struct Idempotency<'a> {
    pub(super) db: &'a crate::db::Db,
    pub(super) keys: &'a DataKeys,
}

impl Idempotency<'_> {
    /// Claims `key` of `account` for `request`: one insert, which the unique index on
    /// (account, key) makes atomic across every server process. Purges expired rows first.
    /// `stale_after` is how long a request may run (the request timeout, with a margin): a
    /// claim left `IN_FLIGHT` longer belongs to a request that is gone, and one left
    /// `COMMITTED` longer lost its answer (before, its request may still be storing it).
    ///
    /// # Errors
    /// `CONFLICT` when the key was used for another request, its request is still running,
    /// its mutation committed but the answer was lost, or its answer was erased; database
    /// errors.
    pub async fn claim(
        &self,
        caller: &Caller,
        key: &IdempotencyKey,
        request: &CanonicalRequest,
        stale_after: std::time::Duration,
    ) -> ApiResult<Claimed> {
        let actor = &caller.actor;
        let account_id = actor.signed_in()?.account_id;
        let now = Utc::now();
        let is_stale = |row: &idempotency_key::Model| {
            row.claimed_at + ChronoDuration::from_std(stale_after).unwrap_or(RETENTION) <= now
        };
        self.purge_expired(now).await?;
        // Two rounds: a row that disappears between the insert and the read (released by a
        // failed request, or purged) is claimed again once.
        for _ in 0..2 {
            let id = Uuid::now_v7();
            let attempt = Uuid::now_v7();
            let row = idempotency_key::Model {
                id,
                account_id,
                key: key.as_str().to_owned(),
                request_hash: Some(request.hash_for(id)),
                attempt,
                state: IdempotencyState::InFlight,
                entity_type: None,
                entity_id: None,
                status: None,
                content_type: None,
                answer: None,
                identifying_read: false,
                claimed_at: now,
                expires_at: now + RETENTION,
            };
            let inserted = idempotency_key::Entity::insert(row.into_active_model())
                .on_conflict(
                    OnConflict::columns([
                        idempotency_key::Column::AccountId,
                        idempotency_key::Column::Key,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(self.db)
                .await?;
            if inserted == 1 {
                return Ok(Claimed::Fresh(Claim { id, attempt }));
            }
            let Some(existing) = idempotency_key::Entity::find()
                .filter(idempotency_key::Column::AccountId.eq(account_id))
                .filter(idempotency_key::Column::Key.eq(key.as_str()))
                .one(self.db)
                .await?
            else {
                continue;
            };
            if existing.state != IdempotencyState::Erased
                && existing.request_hash.as_deref() != Some(request.hash_for(existing.id).as_str())
            {
                return Err(ApiError::Conflict(
                    "This Idempotency-Key was already used for a different request (another \
                     query, operation name or variables). Use a new key for a new request."
                        .into(),
                ));
            }
            match existing.state {
                IdempotencyState::Done => {
                    self.check_still_party(actor, &existing).await?;
                    let answer = self.replay(&existing)?;
                    if existing.identifying_read
                        && let Some(case_id) = existing.entity_id
                    {
                        // The survivor's data goes out again: the access log says so.
                        audit::record(
                            self.db,
                            caller,
                            AuditRecord::success(READ_IDENTIFYING, CASE_ENTITY, case_id)
                                .with_detail(serde_json::json!({ "replay": true })),
                        )
                        .await?;
                    }
                    return Ok(Claimed::Replay(answer));
                }
                // Its request may still be storing the answer: lost only once that request
                // is surely over.
                IdempotencyState::Committed if !is_stale(&existing) => {
                    return Err(ApiError::Conflict(in_flight_message()));
                }
                IdempotencyState::Committed => {
                    return Err(ApiError::AnswerLost {
                        result_id: existing.entity_id,
                    });
                }
                IdempotencyState::InFlight => {
                    if !is_stale(&existing) {
                        return Err(ApiError::Conflict(in_flight_message()));
                    }
                    if let Some(claim) = self.take_over(&existing, now).await? {
                        return Ok(Claimed::Fresh(claim));
                    }
                }
                IdempotencyState::Erased => {
                    return Err(ApiError::Conflict(
                        "This Idempotency-Key was used for a request about a case whose consent \
                         was withdrawn; its answer was erased. Use a new key."
                            .into(),
                    ));
                }
            }
        }
        Err(ApiError::Conflict(in_flight_message()))
    }

    /// Takes over a stale `IN_FLIGHT` claim: nothing of its request committed (a commit
    /// would have marked it), and that request is over. `None` when another request took it
    /// first or it was marked meanwhile.
    async fn take_over(
        &self,
        existing: &idempotency_key::Model,
        now: DateTime<Utc>,
    ) -> ApiResult<Option<Claim>> {
        let attempt = Uuid::now_v7();
        let taken = idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::Attempt, Expr::value(attempt))
            .col_expr(idempotency_key::Column::ClaimedAt, Expr::value(now))
            .filter(idempotency_key::Column::Id.eq(existing.id))
            .filter(idempotency_key::Column::Attempt.eq(existing.attempt))
            .filter(idempotency_key::Column::State.eq(IdempotencyState::InFlight))
            .exec(self.db)
            .await?
            .rows_affected;
        Ok((taken == 1).then_some(Claim {
            id: existing.id,
            attempt,
        }))
    }

    /// An answer about a case is replayed only while the account's organisation takes part
    /// in it: one that referred it onward, declined it or was withdrawn from it does not get
    /// the survivor's data again, even its own earlier answer.
    async fn check_still_party(
        &self,
        actor: &Actor,
        row: &idempotency_key::Model,
    ) -> ApiResult<()> {
        let (Some(CASE_ENTITY), Some(case_id)) = (row.entity_type.as_deref(), row.entity_id) else {
            return Ok(());
        };
        let case = referral_case::Entity::find_by_id(case_id)
            .one(self.db)
            .await?;
        match case {
            // A deleted draft: the deletion erased every stored answer about it but its own,
            // which is only the case's id.
            None => return Ok(()),
            Some(case) if policy::case_party(actor, &case).is_some() => return Ok(()),
            Some(_) => {}
        }
        Err(ApiError::Conflict(
            "The request with this Idempotency-Key was carried out, but its answer is about a \
             case your organisation no longer takes part in, so it is not shown again."
                .into(),
        ))
    }

    fn replay(&self, row: &idempotency_key::Model) -> ApiResult<StoredAnswer> {
        let (Some(status), Some(content_type), Some(sealed)) =
            (row.status, row.content_type.as_ref(), row.answer.as_ref())
        else {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "idempotency key {} is DONE without an answer",
                row.id
            )));
        };
        let body = self
            .keys
            .decrypt(sealed, &answer_context(row.id))
            .map_err(|error| {
                ApiError::Internal(anyhow::anyhow!("decrypt an idempotent answer: {error}"))
            })?;
        Ok(StoredAnswer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: content_type.clone(),
            body,
        })
    }

    /// Ends `claim`'s request. Its answer is stored (sealed) unless the request failed and
    /// committed nothing, in which case the claim is released and the key may be sent again.
    /// A claim that is no longer this request's (erased with its case meanwhile) is left
    /// alone.
    ///
    /// # Errors
    /// Database and encryption errors; the answer still goes out, and the row stays
    /// `COMMITTED` (a retry is told the answer was lost) or `IN_FLIGHT` (taken over once stale).
    pub async fn finish(
        &self,
        claim: &Claim,
        answer: &StoredAnswer,
        failed: bool,
    ) -> ApiResult<()> {
        let sealed = self
            .keys
            .encrypt(&answer.body, &answer_context(claim.id))
            .map_err(|error| {
                ApiError::Internal(anyhow::anyhow!("encrypt an idempotent answer: {error}"))
            })?;
        let storable = if failed {
            vec![IdempotencyState::Committed]
        } else {
            vec![IdempotencyState::InFlight, IdempotencyState::Committed]
        };
        let stored = idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::State,
                Expr::value(IdempotencyState::Done.to_value()),
            )
            .col_expr(
                idempotency_key::Column::Status,
                Expr::value(i16::try_from(answer.status).unwrap_or(500)),
            )
            .col_expr(
                idempotency_key::Column::ContentType,
                Expr::value(answer.content_type.clone()),
            )
            .col_expr(idempotency_key::Column::Answer, Expr::value(sealed))
            .filter(idempotency_key::Column::Id.eq(claim.id))
            .filter(idempotency_key::Column::Attempt.eq(claim.attempt))
            .filter(idempotency_key::Column::State.is_in(storable))
            .exec(self.db)
            .await?
            .rows_affected;
        if stored == 0 && failed {
            idempotency_key::Entity::delete_many()
                .filter(idempotency_key::Column::Id.eq(claim.id))
                .filter(idempotency_key::Column::Attempt.eq(claim.attempt))
                .filter(idempotency_key::Column::State.eq(IdempotencyState::InFlight))
                .exec(self.db)
                .await?;
        }
        Ok(())
    }

    /// Deletes every key that expired by `now`; how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn purge_expired(&self, now: DateTime<Utc>) -> ApiResult<u64> {
        Ok(idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::ExpiresAt.lte(now))
            .exec(self.db)
            .await?
            .rows_affected)
    }
}

fn in_flight_message() -> String {
    "A request with this Idempotency-Key is still being processed. Try again in a few seconds."
        .to_owned()
}

/// What a stored answer is sealed to: its row, so that it cannot be moved to another.
pub(super) fn answer_context(id: Uuid) -> Vec<u8> {
    format!("idempotency_key.answer:{id}").into_bytes()
}

/// Marks `claim` `COMMITTED` on `conn`, the transaction of the change `record` describes:
/// the mark commits with the change or not at all. The first change names the row's entity.
///
/// # Errors
/// Database errors, and an error when the claim is no longer this request's (taken over,
/// purged): the change must then roll back rather than commit unrecorded.
pub(super) async fn mark_committed(
    conn: &impl ConnectionTrait,
    claim: &Claim,
    record: &AuditRecord,
) -> Result<(), DbErr> {
    let marked = idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::State,
            Expr::value(IdempotencyState::Committed.to_value()),
        )
        .col_expr(
            idempotency_key::Column::EntityType,
            Func::coalesce([
                Expr::col(idempotency_key::Column::EntityType),
                Expr::value(record.entity_type.map(str::to_owned)),
            ])
            .into(),
        )
        .col_expr(
            idempotency_key::Column::EntityId,
            Func::coalesce([
                Expr::col(idempotency_key::Column::EntityId),
                Expr::value(record.entity_id),
            ])
            .into(),
        )
        .col_expr(
            idempotency_key::Column::IdentifyingRead,
            // The answer holds survivor data: read, or the text of a note just written.
            if record.action == READ_IDENTIFYING || record.action == ADD_NOTE {
                Expr::value(true)
            } else {
                Expr::col(idempotency_key::Column::IdentifyingRead)
            },
        )
        .filter(idempotency_key::Column::Id.eq(claim.id))
        .filter(idempotency_key::Column::Attempt.eq(claim.attempt))
        .filter(
            idempotency_key::Column::State
                .is_in([IdempotencyState::InFlight, IdempotencyState::Committed]),
        )
        .exec(conn)
        .await?
        .rows_affected;
    if marked == 1 {
        Ok(())
    } else {
        Err(DbErr::Custom(format!(
            "idempotency claim {} is no longer held by this request",
            claim.id
        )))
    }
}

/// Erases the stored answers about `entity` (a case whose consent was withdrawn), on `conn`,
/// the erasing transaction; `keep` is the erasing request's own claim (its answer comes after
/// the erasure).
///
/// # Errors
/// Database errors.
pub(super) async fn erase_answers_about(
    conn: &impl ConnectionTrait,
    entity_type: &str,
    entity_id: Uuid,
    keep: Option<&Claim>,
) -> Result<(), DbErr> {
    let mut erase = idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::State,
            Expr::value(IdempotencyState::Erased.to_value()),
        )
        .col_expr(
            idempotency_key::Column::RequestHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            idempotency_key::Column::Status,
            Expr::value(Option::<i16>::None),
        )
        .col_expr(
            idempotency_key::Column::ContentType,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            idempotency_key::Column::Answer,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(idempotency_key::Column::EntityType.eq(entity_type))
        .filter(idempotency_key::Column::EntityId.eq(entity_id));
    if let Some(keep) = keep {
        erase = erase.filter(idempotency_key::Column::Id.ne(keep.id));
    }
    erase.exec(conn).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_of_1_to_255() {
        for good in [
            "a",
            "8e03978e-40d5-43e8-bc93-6894a57f9324",
            "with space ~",
            &"k".repeat(255),
        ] {
            assert!(IdempotencyKey::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            &"k".repeat(256),
            "tab\there",
            "caf\u{e9}",
            "new\nline",
            "\u{7f}",
        ] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_canonical_request_ignores_key_order_only() {
        let vars = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("json");
        let row = Uuid::now_v7();
        let a = CanonicalRequest::new(
            "mutation M { x }",
            Some("M"),
            &vars(r#"{"a":1,"b":{"c":2,"d":[1,2]}}"#),
        );
        let b = CanonicalRequest::new(
            "mutation M { x }",
            Some("M"),
            &vars(r#"{"b":{"d":[1,2],"c":2},"a":1}"#),
        );
        assert_eq!(a.hash_for(row), b.hash_for(row));
        for other in [
            CanonicalRequest::new(
                "mutation M { y }",
                Some("M"),
                &vars(r#"{"a":1,"b":{"c":2,"d":[1,2]}}"#),
            ),
            CanonicalRequest::new(
                "mutation M { x }",
                None,
                &vars(r#"{"a":1,"b":{"c":2,"d":[1,2]}}"#),
            ),
            CanonicalRequest::new(
                "mutation M { x }",
                Some("M"),
                &vars(r#"{"a":1,"b":{"c":2,"d":[2,1]}}"#),
            ),
        ] {
            assert_ne!(a.hash_for(row), other.hash_for(row));
        }
        // Salted by the row: the same request hashes apart in two rows.
        assert_ne!(a.hash_for(row), a.hash_for(Uuid::now_v7()));
    }
}
