//! Resource centres: the public directory and the centres' services.

use entity::{
    centre_service,
    enums::{CentreKind, CentreService, Region},
    resource_centre,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, sea_query::Query,
};
use uuid::Uuid;

use super::pagination::{KeyKind, KeysetOrder, Page, PageArgs, search_condition};
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    policy,
};

/// Filters of the centre list; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct CentreFilter {
    pub search: Option<String>,
    pub kind: Option<CentreKind>,
    /// Centres offering this service.
    pub service: Option<CentreService>,
    pub region: Option<Region>,
    pub district: Option<String>,
    pub accepting_referrals: Option<bool>,
    pub operator_id: Option<Uuid>,
}

/// Orderings of the centre list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CentreOrder {
    #[default]
    NameAsc,
    DistrictAsc,
}

impl CentreOrder {
    fn keyset(self) -> KeysetOrder<resource_centre::Entity> {
        match self {
            Self::NameAsc => KeysetOrder {
                name: "NAME_ASC",
                column: resource_centre::Column::SortName,
                kind: KeyKind::Text,
                descending: false,
                id_column: resource_centre::Column::Id,
                key_of: |row| row.sort_name.clone(),
                id_of: |row| row.id,
            },
            Self::DistrictAsc => KeysetOrder {
                name: "DISTRICT_ASC",
                column: resource_centre::Column::District,
                kind: KeyKind::Text,
                descending: false,
                id_column: resource_centre::Column::Id,
                key_of: |row| row.district.clone(),
                id_of: |row| row.id,
            },
        }
    }
}

/// Resource centre rules.
pub struct Centres<'a> {
    pub(super) db: &'a DatabaseConnection,
}

impl Centres<'_> {
    /// One centre the actor may see.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<resource_centre::Model> {
        resource_centre::Entity::find_by_id(id)
            .filter(policy::visible_centres(actor))
            .one(self.db)
            .await?
            .ok_or(ApiError::NotFound {
                entity: "Resource centre",
            })
    }

    /// A page of the centres the actor may see.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for invalid filters or cursors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &CentreFilter,
        order: CentreOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<resource_centre::Model>> {
        let mut select = resource_centre::Entity::find().filter(policy::visible_centres(actor));
        if let Some(search) = search_condition(
            resource_centre::Column::SearchText.into_expr(),
            filter.search.as_deref(),
            "filter.search",
        )? {
            select = select.filter(search);
        }
        if let Some(kind) = filter.kind {
            select = select.filter(resource_centre::Column::Kind.eq(kind));
        }
        if let Some(service) = filter.service {
            select = select.filter(
                resource_centre::Column::Id.in_subquery(
                    Query::select()
                        .column(centre_service::Column::CentreId)
                        .from(centre_service::Entity)
                        .and_where(centre_service::Column::Service.eq(service))
                        .to_owned(),
                ),
            );
        }
        if let Some(region) = filter.region {
            select = select.filter(resource_centre::Column::Region.eq(region));
        }
        if let Some(district) = filter.district.as_deref().map(str::trim) {
            select = select.filter(resource_centre::Column::District.eq(district));
        }
        if let Some(accepting) = filter.accepting_referrals {
            select = select.filter(resource_centre::Column::AcceptingReferrals.eq(accepting));
        }
        if let Some(operator_id) = filter.operator_id {
            select = select.filter(resource_centre::Column::OperatorId.eq(operator_id));
        }
        order.keyset().fetch(self.db, select, page).await
    }

    /// The services of the visible centres among `centre_ids`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn services_of(
        &self,
        actor: &Actor,
        centre_ids: &[Uuid],
    ) -> ApiResult<Vec<centre_service::Model>> {
        let visible = Query::select()
            .column(resource_centre::Column::Id)
            .from(resource_centre::Entity)
            .cond_where(policy::visible_centres(actor))
            .to_owned();
        Ok(centre_service::Entity::find()
            .filter(centre_service::Column::CentreId.is_in(centre_ids.iter().copied()))
            .filter(centre_service::Column::CentreId.in_subquery(visible))
            .order_by_asc(centre_service::Column::Service)
            .all(self.db)
            .await?)
    }
}
