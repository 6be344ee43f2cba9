//! Organisations: reading, listing and searching.

use entity::{enums::OrganisationKind, organisation};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::pagination::{KeyKind, KeysetOrder, Page, PageArgs, search_condition};
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    policy,
};

/// Filters of the organisation list.
#[derive(Clone, Debug, Default)]
pub struct OrganisationFilter {
    pub search: Option<String>,
    pub kind: Option<OrganisationKind>,
}

/// Orderings of the organisation list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrganisationOrder {
    #[default]
    NameAsc,
}

impl OrganisationOrder {
    fn keyset(self) -> KeysetOrder<organisation::Entity> {
        match self {
            Self::NameAsc => KeysetOrder {
                name: "NAME_ASC",
                column: organisation::Column::SortName,
                kind: KeyKind::Text,
                descending: false,
                id_column: organisation::Column::Id,
                key_of: |row| row.sort_name.clone(),
                id_of: |row| row.id,
            },
        }
    }
}

/// Organisation rules.
pub struct Organisations<'a> {
    pub(super) db: &'a DatabaseConnection,
}

impl Organisations<'_> {
    /// One organisation the actor may see.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<organisation::Model> {
        organisation::Entity::find_by_id(id)
            .filter(policy::visible_organisations(actor))
            .one(self.db)
            .await?
            .ok_or(ApiError::NotFound {
                entity: "Organisation",
            })
    }

    /// The organisations among `ids` that the actor may see (for DataLoaders).
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<Vec<organisation::Model>> {
        Ok(organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_organisations(actor))
            .all(self.db)
            .await?)
    }

    /// A page of the organisations the actor may see.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for invalid filters or cursors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &OrganisationFilter,
        order: OrganisationOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<organisation::Model>> {
        let mut select = organisation::Entity::find().filter(policy::visible_organisations(actor));
        if let Some(search) = search_condition(
            organisation::Column::SearchText,
            filter.search.as_deref(),
            "filter.search",
        )? {
            select = select.filter(search);
        }
        if let Some(kind) = filter.kind {
            select = select.filter(organisation::Column::Kind.eq(kind));
        }
        order.keyset().fetch(self.db, select, page).await
    }
}
