//! Events in the API.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::event;

use super::{
    common::{
        DateRangeInput, PageRequest, PortalConnection, Translations, TranslationsInput, actor,
        caller, connection, optional_id, page_args, parse_id, services, to_id, translated,
    },
    enums::{EventKind, Region, ThematicArea},
    loaders::{Loaders, OrganisationKey, ProjectKey},
    organisations::Organisation,
    projects::Project,
};
use crate::{
    error::ApiError,
    services::events::{EventFilter, EventInput, EventOrder},
};

/// A training, workshop, forum or other event.
pub struct Event(pub event::Model);

/// Participants by sex; `total` is their sum.
#[derive(SimpleObject)]
pub struct Participants {
    pub female: i32,
    pub male: i32,
    /// Participants who did not state their sex.
    pub undisclosed: i32,
    pub total: i32,
}

#[Object]
impl Event {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The title in the request's language, else in any language present.
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.title)?)
    }

    async fn title_translations(&self) -> Translations {
        (&self.0.title).into()
    }

    async fn kind(&self) -> EventKind {
        self.0.kind.into()
    }

    /// First day.
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }

    /// Last day (the same as `startsOn` for a one-day event).
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }

    async fn region(&self) -> Region {
        self.0.region.into()
    }

    async fn district(&self) -> &str {
        &self.0.district
    }

    /// The venue or village, in free text.
    async fn venue(&self) -> Option<&str> {
        self.0.venue.as_deref()
    }

    async fn participants(&self) -> Participants {
        let event = &self.0;
        Participants {
            female: event.participants_female,
            male: event.participants_male,
            undisclosed: event.participants_undisclosed,
            total: event.participants_female
                + event.participants_male
                + event.participants_undisclosed,
        }
    }

    /// The summary in the request's language, else in any language present.
    async fn summary(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.summary)?)
    }

    async fn summary_translations(&self) -> Translations {
        (&self.0.summary).into()
    }

    /// Whether the event is public.
    async fn published(&self) -> bool {
        self.0.published
    }

    /// The organisation that organised the event.
    async fn organiser(&self, ctx: &Context<'_>) -> Result<Organisation> {
        ctx.data::<Loaders>()?
            .load_one(OrganisationKey(self.0.organiser_id))
            .await?
            .map(Organisation)
            .ok_or_else(|| {
                ApiError::NotFound {
                    entity: "Organisation",
                }
                .into()
            })
    }

    /// The project the event belongs to: null when it has none, or when you may not see it
    /// (an event your organisation organised under another organisation's internal project).
    async fn project(&self, ctx: &Context<'_>) -> Result<Option<Project>> {
        let Some(project_id) = self.0.project_id else {
            return Ok(None);
        };
        let project = ctx
            .data::<Loaders>()?
            .load_one(ProjectKey(project_id))
            .await?;
        // An event can be visible while its project is not: a partner sees the events it
        // organises, also under another organisation's internal project. The project then
        // stays hidden (null).
        Ok(project.map(Project))
    }
}

/// Filters of `events`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct EventFilterInput {
    /// Matches title, summary, district and venue in any language, ignoring case.
    pub search: Option<String>,
    pub kind: Option<EventKind>,
    /// Events of projects in this thematic area.
    pub thematic_area: Option<ThematicArea>,
    pub region: Option<Region>,
    /// Exact district name, for example `Khujand`.
    pub district: Option<String>,
    /// Events taking place at some time within the range.
    pub during: Option<DateRangeInput>,
    pub project_id: Option<ID>,
    pub organiser_id: Option<ID>,
}

/// Orderings of `events`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventOrderBy {
    /// Latest first.
    #[default]
    StartsOnDesc,
    StartsOnAsc,
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// One event. `NOT_FOUND` when it does not exist or you may not see it.
    async fn event(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Event>> {
        let id = parse_id(&id, "id")?;
        Ok(Some(Event(
            services(ctx)?.events().get(actor(ctx)?, id).await?,
        )))
    }

    /// Events you may see: the public sees published events of public projects.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "each parameter is an argument of the field: Relay's four, the filter and the order"
    )]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start, 1 to 100; 20 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor: the `endCursor` of the page before.")]
        after: Option<String>,
        #[graphql(desc = "Page size from the end, 1 to 100 (paging backward); not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor: the `startCursor` of the page after.")]
        before: Option<String>,
        filter: Option<EventFilterInput>,
        order_by: Option<EventOrderBy>,
    ) -> Result<PortalConnection<Event>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let input = filter.unwrap_or_default();
        let filter = EventFilter {
            search: input.search,
            kind: input.kind.map(Into::into),
            thematic_area: input.thematic_area.map(Into::into),
            region: input.region.map(Into::into),
            district: input.district,
            during: DateRangeInput::validate(input.during, "filter.during")?,
            project_id: input
                .project_id
                .map(|id| parse_id(&id, "filter.projectId"))
                .transpose()?,
            organiser_id: input
                .organiser_id
                .map(|id| parse_id(&id, "filter.organiserId"))
                .transpose()?,
        };
        let order = match order_by.unwrap_or_default() {
            EventOrderBy::StartsOnDesc => EventOrder::StartsOnDesc,
            EventOrderBy::StartsOnAsc => EventOrder::StartsOnAsc,
        };
        let page = services(ctx)?
            .events()
            .list(actor(ctx)?, &filter, order, &args)
            .await?;
        Ok(connection(page, Event))
    }
}

/// A new event. It starts unpublished.
#[derive(InputObject)]
pub struct CreateEventInput {
    /// The project it belongs to. Partners must name one of their organisation's projects.
    pub project_id: Option<ID>,
    pub title: TranslationsInput,
    pub kind: EventKind,
    pub starts_on: NaiveDate,
    /// The last day; the first day when not given.
    pub ends_on: Option<NaiveDate>,
    pub region: Region,
    pub district: String,
    pub venue: Option<String>,
    /// The organising organisation; a partner's own organisation when not given (and partners
    /// may name no other).
    pub organiser_id: Option<ID>,
    #[graphql(default)]
    pub participants_female: i32,
    #[graphql(default)]
    pub participants_male: i32,
    #[graphql(default)]
    pub participants_undisclosed: i32,
    pub summary: Option<TranslationsInput>,
}

/// Changes to an event; absent fields stay as they are.
#[derive(InputObject, Default)]
pub struct UpdateEventInput {
    pub project_id: Option<ID>,
    /// Detaches the event from its project (Programme Office only).
    #[graphql(default)]
    pub clear_project: bool,
    pub title: Option<TranslationsInput>,
    pub kind: Option<EventKind>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub region: Option<Region>,
    pub district: Option<String>,
    pub venue: Option<String>,
    #[graphql(default)]
    pub clear_venue: bool,
    pub organiser_id: Option<ID>,
    pub participants_female: Option<i32>,
    pub participants_male: Option<i32>,
    pub participants_undisclosed: Option<i32>,
    pub summary: Option<TranslationsInput>,
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Records an event (unpublished). The Programme Office records any event; partners record
    /// events of their organisation's projects, organised by their organisation.
    async fn create_event(&self, ctx: &Context<'_>, input: CreateEventInput) -> Result<Event> {
        let input = EventInput {
            project_id: Some(optional_id(input.project_id, "input.projectId")?),
            title: Some(input.title.into()),
            kind: Some(input.kind.into()),
            starts_on: Some(input.starts_on),
            ends_on: input.ends_on,
            region: Some(input.region.into()),
            district: Some(input.district),
            venue: Some(input.venue),
            organiser_id: optional_id(input.organiser_id, "input.organiserId")?,
            participants_female: Some(input.participants_female),
            participants_male: Some(input.participants_male),
            participants_undisclosed: Some(input.participants_undisclosed),
            summary: input.summary.map(Into::into),
        };
        Ok(Event(
            services(ctx)?.events().create(caller(ctx)?, input).await?,
        ))
    }

    /// Changes an event. The Programme Office changes any; partners those their organisation
    /// organises.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateEventInput,
    ) -> Result<Event> {
        let id = parse_id(&id, "id")?;
        let project_id = if input.clear_project {
            Some(None)
        } else {
            optional_id(input.project_id, "input.projectId")?.map(Some)
        };
        let venue = if input.clear_venue {
            Some(None)
        } else {
            input.venue.map(Some)
        };
        let input = EventInput {
            project_id,
            title: input.title.map(Into::into),
            kind: input.kind.map(Into::into),
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            region: input.region.map(Into::into),
            district: input.district,
            venue,
            organiser_id: optional_id(input.organiser_id, "input.organiserId")?,
            participants_female: input.participants_female,
            participants_male: input.participants_male,
            participants_undisclosed: input.participants_undisclosed,
            summary: input.summary.map(Into::into),
        };
        Ok(Event(
            services(ctx)?
                .events()
                .update(caller(ctx)?, id, input)
                .await?,
        ))
    }

    /// Publishes an event: the public sees it when its project is public.
    async fn publish_event(&self, ctx: &Context<'_>, id: ID) -> Result<Event> {
        let id = parse_id(&id, "id")?;
        Ok(Event(
            services(ctx)?
                .events()
                .set_published(caller(ctx)?, id, true)
                .await?,
        ))
    }

    /// Takes an event back from the public.
    async fn unpublish_event(&self, ctx: &Context<'_>, id: ID) -> Result<Event> {
        let id = parse_id(&id, "id")?;
        Ok(Event(
            services(ctx)?
                .events()
                .set_published(caller(ctx)?, id, false)
                .await?,
        ))
    }

    /// Deletes an event; returns its id.
    async fn delete_event(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let id = parse_id(&id, "id")?;
        Ok(to_id(
            services(ctx)?.events().delete(caller(ctx)?, id).await?,
        ))
    }
}
