//! Figures that are submitted, corrected with their earlier revisions kept, approved by the
//! Programme Office (which locks them) and reopened with a reason: a centre's monthly report
//! and a project indicator's result of a period. One implementation serves both ([`Reviewed`]
//! says where each keeps its revision number and its approval); what each kind adds (the
//! figures, their checks, who is told) stays with it.
//!
//! The rules, for every kind:
//! - a correction holds the record's row ([`hold_open`]) from its check to its commit, so an
//!   approval cannot come in between; an approved record takes no correction (`CONFLICT`);
//! - an approval names the revision its approver read: a correction since then, or one under way,
//!   makes it a `CONFLICT` ([`approve`]); approving twice is a `CONFLICT`;
//! - reopening needs a reason ([`reopen_reason`]) and an approved record ([`reopen`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, SqlErr,
    sea_query::{Expr, SelectStatement},
};
use uuid::Uuid;

use super::input::{Problems, trimmed};
use crate::error::{ApiError, ApiResult};

/// The longest reason for reopening, in characters.
pub const MAX_REOPEN_REASON: usize = 1_000;

/// A kind of reviewed record: the table of the records (with an id and a revision number) and
/// the table of their approvals (one row per approved record, keyed by its id).
pub(super) trait Reviewed {
    /// The records.
    type Record: EntityTrait;
    /// Their approvals.
    type Approval: EntityTrait;
    /// The record's id.
    const ID: <Self::Record as EntityTrait>::Column;
    /// The record's revision number (incremented by each correction).
    const REVISION: <Self::Record as EntityTrait>::Column;
    /// The approval's key, the approved record's id.
    const APPROVED: <Self::Approval as EntityTrait>::Column;
    /// The answer to a correction of an approved record.
    const LOCKED: &'static str;
    /// The answer to an approval of a revision corrected since it was read.
    const CORRECTED: &'static str;
    /// The answer to an approval of an approved record.
    const ALREADY_APPROVED: &'static str;
    /// The answer to reopening a record that is not approved.
    const NOT_APPROVED: &'static str;

    /// The approval of record `id`, by `by` at `at`.
    fn approval(
        id: Uuid,
        at: DateTime<Utc>,
        by: Uuid,
    ) -> <Self::Approval as EntityTrait>::ActiveModel;
}

/// Holds the row of record `id` until the end of the transaction (a write that changes
/// nothing), if it still has `revision` when one is given; whether it did.
///
/// # Errors
/// The database's.
pub(super) async fn hold<R: Reviewed>(
    conn: &impl ConnectionTrait,
    id: Uuid,
    revision: Option<i32>,
) -> Result<bool, DbErr> {
    let mut update = <R::Record as EntityTrait>::update_many()
        .col_expr(R::REVISION, Expr::col(R::REVISION))
        .filter(R::ID.eq(id));
    if let Some(revision) = revision {
        update = update.filter(R::REVISION.eq(revision));
    }
    Ok(update.exec(conn).await?.rows_affected == 1)
}

/// Holds the rows of the records `ids` to the end of the transaction `txn`, and refuses when
/// one of them is approved: what a correction does first. Two statements, whatever the number
/// of records.
///
/// # Errors
/// `CONFLICT` ([`Reviewed::LOCKED`]) when a record is approved; the database's.
pub(super) async fn hold_open<R: Reviewed>(
    txn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    <R::Record as EntityTrait>::update_many()
        .col_expr(R::REVISION, Expr::col(R::REVISION))
        .filter(R::ID.is_in(ids.iter().copied()))
        .exec(txn)
        .await?;
    let approved = <R::Approval as EntityTrait>::find()
        .filter(R::APPROVED.is_in(ids.iter().copied()))
        .one(txn)
        .await?;
    if approved.is_some() {
        return Err(ApiError::Conflict(R::LOCKED.into()));
    }
    Ok(())
}

/// Approves revision `revision` of record `id` on `txn`, by `by` at `at`.
///
/// # Errors
/// `CONFLICT` when the record was corrected since `revision` (or is being corrected), or is
/// approved already; the database's.
pub(super) async fn approve<R: Reviewed>(
    txn: &impl ConnectionTrait,
    id: Uuid,
    revision: i32,
    by: Uuid,
    at: DateTime<Utc>,
) -> ApiResult<()>
where
    <R::Approval as EntityTrait>::ActiveModel: Send,
{
    // What is approved is the revision the caller could read: a correction that came in
    // since, or that is under way (it holds the row), makes this a conflict.
    if !hold::<R>(txn, id, Some(revision)).await? {
        return Err(ApiError::Conflict(R::CORRECTED.into()));
    }
    match <R::Approval as EntityTrait>::insert(R::approval(id, at, by))
        .exec_without_returning(txn)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(ApiError::Conflict(R::ALREADY_APPROVED.into()))
        }
        Err(error) => Err(error.into()),
    }
}

/// The reason given for reopening, trimmed: required, at most [`MAX_REOPEN_REASON`]
/// characters.
///
/// # Errors
/// `BAD_USER_INPUT` naming `reason`.
pub(super) fn reopen_reason(reason: &str) -> ApiResult<String> {
    let mut problems = Problems::new();
    let reason = trimmed(Some(reason.to_owned()));
    problems.check(reason.is_some(), "reason", "Say why it is reopened.");
    let reason = problems.text("reason", reason, MAX_REOPEN_REASON);
    problems.finish_with(|| reason)
}

/// Reopens record `id` on `txn`: its approval goes.
///
/// # Errors
/// `CONFLICT` ([`Reviewed::NOT_APPROVED`]) for a record that is not approved; the database's.
pub(super) async fn reopen<R: Reviewed>(txn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    let deleted = <R::Approval as EntityTrait>::delete_many()
        .filter(R::APPROVED.eq(id))
        .exec(txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::Conflict(R::NOT_APPROVED.into()));
    }
    Ok(())
}

/// The approvals of the records among `ids` that are also in `readable` (a statement selecting
/// the ids of the records the reader may read).
///
/// # Errors
/// The database's.
pub(super) async fn approvals_of<R: Reviewed>(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
    readable: SelectStatement,
) -> Result<Vec<<R::Approval as EntityTrait>::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    <R::Approval as EntityTrait>::find()
        .filter(R::APPROVED.is_in(ids.iter().copied()))
        .filter(R::APPROVED.in_subquery(readable))
        .all(conn)
        .await
}
