//! Field-level rules applied to what services return. A service asks here which of the rows it
//! is about to hand out show the actor a restricted field ([`FieldAccess`]), and builds its view
//! of each row with that field absent where they do not: a resolver, an export or a mail then
//! has nothing to reveal, whatever it forgets to check.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    policy::FieldAccess,
};

/// The ids among `ids` (rows of `E`, keyed by the column `id`) on which `access` lets the
/// actor read the field. Asks the database only when the rule depends on the row, with the
/// same condition searches and filters use, so redaction and search cannot disagree.
///
/// # Errors
/// Database errors.
pub async fn readable<E: EntityTrait>(
    db: &impl ConnectionTrait,
    access: &FieldAccess,
    id: E::Column,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashSet<Uuid>, DbErr> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    match access {
        FieldAccess::All => Ok(ids.into_iter().collect()),
        FieldAccess::Nothing => Ok(HashSet::new()),
        FieldAccess::Rows(_) if ids.is_empty() => Ok(HashSet::new()),
        FieldAccess::Rows(condition) => Ok(E::find()
            .select_only()
            .column(id)
            .filter(id.is_in(ids))
            .filter(condition.clone())
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect()),
    }
}

/// The one view made of one row (views are made a batch at a time).
///
/// # Errors
/// `INTERNAL` if the batch came back empty, which would be a bug of the view's maker.
pub fn only<T>(mut views: Vec<T>) -> ApiResult<T> {
    views
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a row's view went missing")))
}
