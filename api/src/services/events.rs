//! Events: reading, listing and filtering, and the events of many projects at once.

use std::collections::HashMap;

use entity::{
    enums::{EventKind, Region, ThematicArea},
    event, project_thematic_area,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, Order, QueryFilter, QuerySelect,
    QueryTrait,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, WindowStatement},
};
use uuid::Uuid;

use super::pagination::{DateRange, KeyKind, KeysetOrder, Page, PageArgs, search_condition};
use crate::{
    auth::Actor,
    error::{ApiError, ApiResult},
    policy,
};

/// Filters of the event list; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub search: Option<String>,
    pub kind: Option<EventKind>,
    /// Events of projects in this area.
    pub thematic_area: Option<ThematicArea>,
    pub region: Option<Region>,
    pub district: Option<String>,
    /// Events taking place at some time in the range.
    pub during: DateRange,
    pub project_id: Option<Uuid>,
    pub organiser_id: Option<Uuid>,
}

/// Orderings of event lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EventOrder {
    #[default]
    StartsOnDesc,
    StartsOnAsc,
}

impl EventOrder {
    fn keyset(self) -> KeysetOrder<event::Entity> {
        let (name, descending) = match self {
            Self::StartsOnDesc => ("STARTS_ON_DESC", true),
            Self::StartsOnAsc => ("STARTS_ON_ASC", false),
        };
        KeysetOrder {
            name,
            column: event::Column::StartsOn,
            kind: KeyKind::Date,
            descending,
            id_column: event::Column::Id,
            key_of: |row| row.starts_on.to_string(),
            id_of: |row| row.id,
        }
    }
}

/// Event rules.
pub struct Events<'a> {
    pub(super) db: &'a DatabaseConnection,
}

impl Events<'_> {
    /// One event the actor may see.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<event::Model> {
        event::Entity::find_by_id(id)
            .filter(policy::visible_events(actor))
            .one(self.db)
            .await?
            .ok_or(ApiError::NotFound { entity: "Event" })
    }

    /// A page of the events the actor may see.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for invalid filters or cursors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &EventFilter,
        order: EventOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<event::Model>> {
        let mut select = event::Entity::find().filter(policy::visible_events(actor));
        if let Some(search) = search_condition(
            event::Column::SearchText.into_expr(),
            filter.search.as_deref(),
            "filter.search",
        )? {
            select = select.filter(search);
        }
        if let Some(kind) = filter.kind {
            select = select.filter(event::Column::Kind.eq(kind));
        }
        if let Some(area) = filter.thematic_area {
            select = select.filter(
                event::Column::ProjectId.in_subquery(
                    Query::select()
                        .column(project_thematic_area::Column::ProjectId)
                        .from(project_thematic_area::Entity)
                        .and_where(project_thematic_area::Column::ThematicArea.eq(area))
                        .to_owned(),
                ),
            );
        }
        if let Some(region) = filter.region {
            select = select.filter(event::Column::Region.eq(region));
        }
        if let Some(district) = filter.district.as_deref().map(str::trim) {
            select = select.filter(event::Column::District.eq(district));
        }
        if let Some(project_id) = filter.project_id {
            select = select.filter(event::Column::ProjectId.eq(project_id));
        }
        if let Some(organiser_id) = filter.organiser_id {
            select = select.filter(event::Column::OrganiserId.eq(organiser_id));
        }
        if let Some(during) = filter
            .during
            .overlaps(event::Column::StartsOn, event::Column::EndsOn)
        {
            select = select.filter(during);
        }
        order.keyset().fetch(self.db, select, page).await
    }

    /// The first page of visible events of each project in `project_ids`, newest first, in one
    /// statement (a `ROW_NUMBER()` window per project), so that a list of projects with their
    /// events costs the same whatever its length.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for an invalid cursor; database errors.
    pub async fn first_per_project(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
        page: &PageArgs,
    ) -> ApiResult<HashMap<Uuid, Page<event::Model>>> {
        let keyset = EventOrder::StartsOnDesc.keyset();
        let mut inner = event::Entity::find()
            .filter(event::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(policy::visible_events(actor));
        if let Some(cursor) = &page.after {
            if cursor.order != keyset.name {
                return Err(ApiError::bad_input("after", "This cursor is not valid."));
            }
            inner = inner.filter(keyset.after_condition(cursor)?);
        }
        let row_number = Alias::new("row_number");
        let mut inner = inner.into_query();
        inner.expr_window_as(
            Expr::cust("ROW_NUMBER()"),
            WindowStatement::partition_by(event::Column::ProjectId)
                .order_by(event::Column::StartsOn, Order::Desc)
                .order_by(event::Column::Id, Order::Desc)
                .to_owned(),
            row_number.clone(),
        );
        let ranked = Alias::new("ranked");
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner, ranked)
            .and_where(Expr::col(row_number.clone()).lte(page.first + 1))
            .order_by(event::Column::ProjectId, Order::Asc)
            .order_by(row_number, Order::Asc)
            .to_owned();
        let statement = self.db.get_database_backend().build(&outer);
        let rows = event::Model::find_by_statement(statement)
            .all(self.db)
            .await?;

        let mut grouped: HashMap<Uuid, Vec<event::Model>> = HashMap::new();
        for row in rows {
            if let Some(project_id) = row.project_id {
                grouped.entry(project_id).or_default().push(row);
            }
        }
        Ok(project_ids
            .iter()
            .map(|project_id| {
                let rows = grouped.remove(project_id).unwrap_or_default();
                let page = Page::from_rows(rows, page.first, |row| keyset.cursor(row));
                (*project_id, page)
            })
            .collect())
    }

    /// The number of visible events of each project in `project_ids`, in one statement.
    ///
    /// # Errors
    /// Database errors.
    pub async fn count_per_project(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<HashMap<Uuid, u64>> {
        #[derive(FromQueryResult)]
        struct Count {
            project_id: Uuid,
            events: i64,
        }
        let counts = event::Entity::find()
            .select_only()
            .column(event::Column::ProjectId)
            .column_as(event::Column::Id.count(), "events")
            .filter(event::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(policy::visible_events(actor))
            .group_by(event::Column::ProjectId)
            .into_model::<Count>()
            .all(self.db)
            .await?;
        let mut by_project: HashMap<Uuid, u64> = project_ids
            .iter()
            .map(|project_id| (*project_id, 0))
            .collect();
        for count in counts {
            by_project.insert(count.project_id, u64::try_from(count.events).unwrap_or(0));
        }
        Ok(by_project)
    }
}
