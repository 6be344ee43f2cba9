//! Projects: reading, listing and filtering, with their partners, areas and regions.

use entity::{
    enums::{PartnerRole, ProjectStatus, Region, ThematicArea, Visibility},
    organisation, project, project_partner, project_region, project_thematic_area,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, sea_query::Query,
};
use uuid::Uuid;

use super::pagination::{DateRange, KeyKind, KeysetOrder, Page, PageArgs, search_condition};
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    policy,
};

/// Filters of the project list; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub search: Option<String>,
    pub thematic_area: Option<ThematicArea>,
    pub status: Option<ProjectStatus>,
    pub region: Option<Region>,
    /// Projects running at some time in the range.
    pub active_during: DateRange,
    pub partner_id: Option<Uuid>,
    pub visibility: Option<Visibility>,
}

/// Orderings of the project list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProjectOrder {
    #[default]
    StartDateDesc,
    StartDateAsc,
    CodeAsc,
}

impl ProjectOrder {
    fn keyset(self) -> KeysetOrder<project::Entity> {
        let by_start = |name, descending| KeysetOrder {
            name,
            column: project::Column::StartDate,
            kind: KeyKind::Date,
            descending,
            id_column: project::Column::Id,
            key_of: |row: &project::Model| row.start_date.to_string(),
            id_of: |row: &project::Model| row.id,
        };
        match self {
            Self::StartDateDesc => by_start("START_DATE_DESC", true),
            Self::StartDateAsc => by_start("START_DATE_ASC", false),
            Self::CodeAsc => KeysetOrder {
                name: "CODE_ASC",
                column: project::Column::Code,
                kind: KeyKind::Text,
                descending: false,
                id_column: project::Column::Id,
                key_of: |row| row.code.clone(),
                id_of: |row| row.id,
            },
        }
    }
}

/// A partner organisation of a project, with its role.
#[derive(Clone, Debug)]
pub struct ProjectPartner {
    pub project_id: Uuid,
    pub role: PartnerRole,
    pub organisation: organisation::Model,
}

/// Project rules.
pub struct Projects<'a> {
    pub(super) db: &'a DatabaseConnection,
}

impl Projects<'_> {
    /// One project the actor may see.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<project::Model> {
        project::Entity::find_by_id(id)
            .filter(policy::visible_projects(actor))
            .one(self.db)
            .await?
            .ok_or(ApiError::NotFound { entity: "Project" })
    }

    /// The projects among `ids` that the actor may see (for DataLoaders).
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<Vec<project::Model>> {
        Ok(project::Entity::find()
            .filter(project::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_projects(actor))
            .all(self.db)
            .await?)
    }

    /// A page of the projects the actor may see.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for invalid filters or cursors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &ProjectFilter,
        order: ProjectOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<project::Model>> {
        let mut select = project::Entity::find().filter(policy::visible_projects(actor));
        if let Some(search) = search_condition(
            project::Column::SearchText.into_expr(),
            filter.search.as_deref(),
            "filter.search",
        )? {
            select = select.filter(search);
        }
        if let Some(area) = filter.thematic_area {
            select = select.filter(
                project::Column::Id.in_subquery(
                    Query::select()
                        .column(project_thematic_area::Column::ProjectId)
                        .from(project_thematic_area::Entity)
                        .and_where(project_thematic_area::Column::ThematicArea.eq(area))
                        .to_owned(),
                ),
            );
        }
        if let Some(region) = filter.region {
            select = select.filter(
                project::Column::Id.in_subquery(
                    Query::select()
                        .column(project_region::Column::ProjectId)
                        .from(project_region::Entity)
                        .and_where(project_region::Column::Region.eq(region))
                        .to_owned(),
                ),
            );
        }
        if let Some(partner_id) = filter.partner_id {
            select = select.filter(
                project::Column::Id.in_subquery(
                    Query::select()
                        .column(project_partner::Column::ProjectId)
                        .from(project_partner::Entity)
                        .and_where(project_partner::Column::OrganisationId.eq(partner_id))
                        .to_owned(),
                ),
            );
        }
        if let Some(status) = filter.status {
            select = select.filter(project::Column::Status.eq(status));
        }
        if let Some(visibility) = filter.visibility {
            select = select.filter(project::Column::Visibility.eq(visibility));
        }
        if let Some(during) = filter
            .active_during
            .overlaps(project::Column::StartDate, project::Column::EndDate)
        {
            select = select.filter(during);
        }
        order.keyset().fetch(self.db, select, page).await
    }

    /// The partners of the visible projects among `project_ids`, with their organisations, in
    /// one statement.
    ///
    /// # Errors
    /// Database errors.
    pub async fn partners_of(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<ProjectPartner>> {
        let rows = project_partner::Entity::find()
            .find_also_related(organisation::Entity)
            .filter(project_partner::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(
                project_partner::Column::ProjectId.in_subquery(policy::visible_project_ids(actor)),
            )
            .filter(policy::visible_organisations(actor))
            .order_by_asc(project_partner::Column::Role)
            .order_by_asc(organisation::Column::SortName)
            .all(self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(partner, organisation)| {
                organisation.map(|organisation| ProjectPartner {
                    project_id: partner.project_id,
                    role: partner.role,
                    organisation,
                })
            })
            .collect())
    }

    /// The thematic areas of the visible projects among `project_ids`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn thematic_areas_of(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<project_thematic_area::Model>> {
        Ok(project_thematic_area::Entity::find()
            .filter(project_thematic_area::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(
                project_thematic_area::Column::ProjectId
                    .in_subquery(policy::visible_project_ids(actor)),
            )
            .order_by_asc(project_thematic_area::Column::ThematicArea)
            .all(self.db)
            .await?)
    }

    /// The regions of the visible projects among `project_ids`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn regions_of(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<project_region::Model>> {
        Ok(project_region::Entity::find()
            .filter(project_region::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(
                project_region::Column::ProjectId.in_subquery(policy::visible_project_ids(actor)),
            )
            .order_by_asc(project_region::Column::Region)
            .all(self.db)
            .await?)
    }
}
