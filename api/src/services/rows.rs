//! Reading the one row a lookup names: a row the reader may not see answers `NOT_FOUND` exactly
//! like one that does not exist, so that an id tells nothing about hidden rows.

use sea_orm::{ConnectionTrait, EntityTrait, Select};

use crate::error::{ApiError, ApiResult};

/// The one row of a query already narrowed to what its reader may see.
pub(super) trait OneOrNotFound<E: EntityTrait> {
    /// The row, or `NOT_FOUND` naming `entity` ("Project", "Resource centre", ...).
    async fn one_or_not_found(
        self,
        db: &impl ConnectionTrait,
        entity: &'static str,
    ) -> ApiResult<E::Model>;
}

impl<E: EntityTrait> OneOrNotFound<E> for Select<E> {
    async fn one_or_not_found(
        self,
        db: &impl ConnectionTrait,
        entity: &'static str,
    ) -> ApiResult<E::Model> {
        self.one(db).await?.ok_or(ApiError::NotFound { entity })
    }
}
