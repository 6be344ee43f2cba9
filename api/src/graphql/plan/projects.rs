//! The compiled `projects` field: the project page, then, at once, everything its selection
//! asks of the projects on it (partners with their organisations, thematic areas, regions, a
//! page of events per project and their counts), each one service call for the whole page,
//! as the DataLoaders batch them for the executor.

use std::collections::HashMap;

use async_graphql::{
    parser::types::{Field, SelectionSet},
    resolver_utils::enum_value,
};
use entity::{
    enums::{self as stored, Language},
    event,
};
use futures_util::future::try_join_all;
use uuid::Uuid;

use super::{Compiling, Declined, Item, Translation, item, json::Json};
use crate::{
    graphql::{
        common::PageRequest,
        enums,
        projects::{ProjectFilterInput, ProjectOrderBy, project_filter, project_order},
    },
    services::{
        Services,
        events::{EventLine, EventTexts},
        organisations::Organisation,
        pagination::{Page, PageArgs},
        projects::{Project, ProjectFilter, ProjectOrder, ProjectPartner},
    },
};

use crate::graphql::common::RequestContext;

/// A Relay connection's selection, whatever its node.
pub(super) struct Connection<N> {
    name: &'static str,
    edge: &'static str,
    items: Vec<Item<ConnectionField<N>>>,
}

enum ConnectionField<N> {
    Typename,
    TotalCount,
    PageInfo(Vec<Item<PageInfoField>>),
    Edges(Vec<Item<EdgeField<N>>>),
    Nodes(N),
}

enum EdgeField<N> {
    Typename,
    Cursor,
    Node(N),
}

#[derive(Clone, Copy)]
enum PageInfoField {
    Typename,
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

/// Page arguments of a connection field, as `common::page_args` reads them.
fn page_args(compiling: &Compiling<'_>, field: &Field, with_total: bool) -> Option<PageArgs> {
    let first: Option<i32> = compiling.argument(field, "first")?;
    let after: Option<String> = compiling.argument(field, "after")?;
    let last: Option<i32> = compiling.argument(field, "last")?;
    let before: Option<String> = compiling.argument(field, "before")?;
    PageArgs::new(
        PageRequest {
            first,
            after: after.as_deref(),
            last,
            before: before.as_deref(),
        },
        with_total,
    )
    .ok()
}

impl<N> Connection<N> {
    fn compile<'d>(
        compiling: &Compiling<'d>,
        set: &'d SelectionSet,
        (name, edge): (&'static str, &'static str),
        node: &impl Fn(&Compiling<'d>, &'d Field) -> Option<N>,
    ) -> Option<Self> {
        let items = compiling
            .fields(set, name)?
            .into_iter()
            .map(|field| {
                let compiled = match field.name.node.as_str() {
                    "__typename" if Compiling::leaf(field) => ConnectionField::Typename,
                    "totalCount" if Compiling::leaf(field) => ConnectionField::TotalCount,
                    "pageInfo" if field.arguments.is_empty() => ConnectionField::PageInfo(
                        compiling
                            .fields(&field.selection_set.node, "PageInfo")?
                            .into_iter()
                            .map(|field| {
                                let compiled = match field.name.node.as_str() {
                                    "__typename" => PageInfoField::Typename,
                                    "hasPreviousPage" => PageInfoField::HasPreviousPage,
                                    "hasNextPage" => PageInfoField::HasNextPage,
                                    "startCursor" => PageInfoField::StartCursor,
                                    "endCursor" => PageInfoField::EndCursor,
                                    _ => return None,
                                };
                                Compiling::leaf(field).then(|| item(field, compiled))
                            })
                            .collect::<Option<_>>()?,
                    ),
                    "edges" if field.arguments.is_empty() => ConnectionField::Edges(
                        compiling
                            .fields(&field.selection_set.node, edge)?
                            .into_iter()
                            .map(|field| {
                                let compiled = match field.name.node.as_str() {
                                    "__typename" if Compiling::leaf(field) => EdgeField::Typename,
                                    "cursor" if Compiling::leaf(field) => EdgeField::Cursor,
                                    "node" if field.arguments.is_empty() => {
                                        EdgeField::Node(node(compiling, field)?)
                                    }
                                    _ => return None,
                                };
                                Some(item(field, compiled))
                            })
                            .collect::<Option<_>>()?,
                    ),
                    "nodes" if field.arguments.is_empty() => {
                        ConnectionField::Nodes(node(compiling, field)?)
                    }
                    _ => return None,
                };
                Some(item(field, compiled))
            })
            .collect::<Option<_>>()?;
        Some(Self { name, edge, items })
    }

    /// Whether `totalCount` is selected (it costs a statement of its own).
    fn with_total(&self) -> bool {
        self.items
            .iter()
            .any(|item| matches!(item.field, ConnectionField::TotalCount))
    }

    /// Every selection of the node, from `nodes` and `edges { node }`.
    fn nodes(&self) -> impl Iterator<Item = &N> {
        self.items.iter().flat_map(|item| {
            let from_edges: Box<dyn Iterator<Item = &N>> = match &item.field {
                ConnectionField::Nodes(node) => Box::new(std::iter::once(node)),
                ConnectionField::Edges(fields) => {
                    Box::new(fields.iter().filter_map(|field| match &field.field {
                        EdgeField::Node(node) => Some(node),
                        _ => None,
                    }))
                }
                _ => Box::new(std::iter::empty()),
            };
            from_edges
        })
    }

    fn write<R>(
        &self,
        out: &mut Json,
        page: &Page<R>,
        total: u64,
        mut node: impl FnMut(&mut Json, &N, &R) -> Result<(), Declined>,
    ) -> Result<(), Declined> {
        out.open_object();
        for item in &self.items {
            out.key(&item.key);
            match &item.field {
                ConnectionField::Typename => out.string(self.name),
                ConnectionField::TotalCount => {
                    out.int(i64::try_from(total).unwrap_or(i64::MAX));
                }
                ConnectionField::PageInfo(fields) => {
                    out.open_object();
                    for field in fields {
                        out.key(&field.key);
                        match field.field {
                            PageInfoField::Typename => out.string("PageInfo"),
                            PageInfoField::HasPreviousPage => out.boolean(page.has_previous_page),
                            PageInfoField::HasNextPage => out.boolean(page.has_next_page),
                            PageInfoField::StartCursor => out.optional_string(
                                page.items
                                    .first()
                                    .map(|(cursor, _)| cursor.encode())
                                    .as_deref(),
                            ),
                            PageInfoField::EndCursor => out.optional_string(
                                page.items
                                    .last()
                                    .map(|(cursor, _)| cursor.encode())
                                    .as_deref(),
                            ),
                        }
                    }
                    out.close_object();
                }
                ConnectionField::Edges(fields) => {
                    out.open_list();
                    for (cursor, row) in &page.items {
                        out.item();
                        out.open_object();
                        for field in fields {
                            out.key(&field.key);
                            match &field.field {
                                EdgeField::Typename => out.string(self.edge),
                                EdgeField::Cursor => out.string(&cursor.encode()),
                                EdgeField::Node(selection) => node(out, selection, row)?,
                            }
                        }
                        out.close_object();
                    }
                    out.close_list();
                }
                ConnectionField::Nodes(selection) => {
                    out.open_list();
                    for (_, row) in &page.items {
                        out.item();
                        node(out, selection, row)?;
                    }
                    out.close_list();
                }
            }
        }
        out.close_object();
        Ok(())
    }
}

/// `projects(first, after, last, before, filter, orderBy)`.
pub(super) struct ProjectsField {
    page: PageArgs,
    filter: ProjectFilter,
    order: ProjectOrder,
    selection: Connection<Vec<Item<ProjectField>>>,
}

enum ProjectField {
    Typename,
    Id,
    Code,
    Title,
    TitleTranslations(Vec<Item<Translation>>),
    Summary,
    SummaryTranslations(Vec<Item<Translation>>),
    Status,
    StartDate,
    EndDate,
    Budget(Vec<Item<MoneyField>>),
    Visibility,
    ThematicAreas,
    Regions,
    Partners(Vec<Item<PartnerField>>),
    Events(EventsField),
}

#[derive(Clone, Copy)]
enum MoneyField {
    Typename,
    AmountMinor,
    Currency,
}

enum PartnerField {
    Typename,
    Role,
    Organisation(Vec<Item<OrganisationField>>),
}

#[derive(Clone, Copy)]
enum OrganisationField {
    Typename,
    Id,
    Name,
    Acronym,
    Kind,
    ContactEmail,
    ContactPhone,
    Active,
}

/// `Project.events(first, after, last, before)`.
struct EventsField {
    page: PageArgs,
    read: EventRead,
    selection: Connection<Vec<Item<EventField>>>,
}

/// How a selection of events is read.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum EventRead {
    /// As lines (`EventLine`: the title in the request's language, the scalars): what a list
    /// without summaries or translations shows.
    Lines,
    /// Every column, but the texts the selection does not show.
    Full(EventTexts),
}

/// The pages of one `EventRead`, by project.
enum EventPages {
    Lines(HashMap<Uuid, Page<EventLine>>),
    Full(HashMap<Uuid, Page<event::Model>>),
}

enum EventField {
    Typename,
    Id,
    Title,
    TitleTranslations(Vec<Item<Translation>>),
    Kind,
    StartsOn,
    EndsOn,
    Region,
    District,
    Venue,
    Participants(Vec<Item<ParticipantsField>>),
    Summary,
    SummaryTranslations(Vec<Item<Translation>>),
    Published,
}

#[derive(Clone, Copy)]
enum ParticipantsField {
    Typename,
    Female,
    Male,
    Undisclosed,
    Total,
}

const PAGE_ARGUMENTS: [&str; 4] = ["first", "after", "last", "before"];

/// The leaf fields of an object: each name to its compiled field, no arguments, no selection.
fn leaves<'d, F: Copy>(
    compiling: &Compiling<'d>,
    field: &'d Field,
    type_name: &str,
    known: &[(&str, F)],
) -> Option<Vec<Item<F>>> {
    if !field.arguments.is_empty() {
        return None;
    }
    compiling
        .fields(&field.selection_set.node, type_name)?
        .into_iter()
        .map(|field| {
            let (_, compiled) = known
                .iter()
                .find(|(name, _)| *name == field.name.node.as_str())?;
            Compiling::leaf(field).then(|| item(field, *compiled))
        })
        .collect()
}

impl ProjectsField {
    pub(super) fn compile<'d>(compiling: &Compiling<'d>, field: &'d Field) -> Option<Self> {
        if !Compiling::arguments_within(
            field,
            &["first", "after", "last", "before", "filter", "orderBy"],
        ) {
            return None;
        }
        let selection = Connection::compile(
            compiling,
            &field.selection_set.node,
            ("ProjectConnection", "ProjectEdge"),
            &project,
        )?;
        let filter: Option<ProjectFilterInput> = compiling.argument(field, "filter")?;
        let order: Option<ProjectOrderBy> = compiling.argument(field, "orderBy")?;
        Some(Self {
            page: page_args(compiling, field, selection.with_total())?,
            filter: project_filter(filter).ok()?,
            order: project_order(order),
            selection,
        })
    }

    /// Reads the page and everything its selection needs.
    pub(super) async fn load(
        &self,
        services: &Services,
        context: &RequestContext,
    ) -> Result<Loaded, Declined> {
        let actor = &context.caller.actor;
        let page = services
            .projects()
            .list(actor, &self.filter, self.order, &self.page)
            .await?;
        let ids: Vec<Uuid> = page.items.iter().map(|(_, project)| project.id).collect();
        let fields = || self.selection.nodes().flatten();
        let wants = |wanted: fn(&ProjectField) -> bool| fields().any(|item| wanted(&item.field));
        let mut event_pages: Vec<(&PageArgs, EventRead)> = Vec::new();
        for item in fields() {
            if let ProjectField::Events(events) = &item.field
                && !event_pages.contains(&(&events.page, events.read))
            {
                event_pages.push((&events.page, events.read));
            }
        }
        let with_event_totals = fields().any(
            |item| matches!(&item.field, ProjectField::Events(events) if events.page.with_total),
        );
        let none = |ids: &[Uuid]| ids.is_empty();
        let projects = services.projects();
        let events = services.events();
        let (partners, areas, regions, pages, counts) = futures_util::try_join!(
            async {
                if none(&ids) || !wants(|field| matches!(field, ProjectField::Partners(_))) {
                    return Ok(HashMap::new());
                }
                let mut grouped: HashMap<Uuid, Vec<ProjectPartner>> = HashMap::new();
                for partner in projects.partners_of(actor, &ids).await? {
                    grouped.entry(partner.project_id).or_default().push(partner);
                }
                Ok(grouped)
            },
            async {
                if none(&ids) || !wants(|field| matches!(field, ProjectField::ThematicAreas)) {
                    return Ok(HashMap::new());
                }
                let mut grouped: HashMap<Uuid, Vec<stored::ThematicArea>> = HashMap::new();
                for row in projects.thematic_areas_of(actor, &ids).await? {
                    grouped
                        .entry(row.project_id)
                        .or_default()
                        .push(row.thematic_area);
                }
                Ok(grouped)
            },
            async {
                if none(&ids) || !wants(|field| matches!(field, ProjectField::Regions)) {
                    return Ok(HashMap::new());
                }
                let mut grouped: HashMap<Uuid, Vec<stored::Region>> = HashMap::new();
                for row in projects.regions_of(actor, &ids).await? {
                    grouped.entry(row.project_id).or_default().push(row.region);
                }
                Ok(grouped)
            },
            try_join_all(event_pages.iter().map(|(page, read)| async {
                let key = ((*page).clone(), *read);
                let pages = match read {
                    _ if none(&ids) => EventPages::Full(HashMap::new()),
                    EventRead::Lines => EventPages::Lines(
                        events
                            .lines_per_project(actor, &ids, page, context.language)
                            .await?,
                    ),
                    EventRead::Full(texts) => {
                        EventPages::Full(events.page_per_project(actor, &ids, page, *texts).await?)
                    }
                };
                Ok::<_, crate::error::ApiError>((key, pages))
            })),
            async {
                if none(&ids) || !with_event_totals {
                    return Ok(HashMap::new());
                }
                events.count_per_project(actor, &ids).await
            },
        )?;
        Ok(Loaded {
            page,
            partners,
            areas,
            regions,
            events: pages.into_iter().collect(),
            event_counts: counts,
        })
    }

    pub(super) fn write(
        &self,
        out: &mut Json,
        loaded: &Loaded,
        language: Language,
    ) -> Result<(), Declined> {
        let total = loaded.page.total_count.unwrap_or_default();
        self.selection
            .write(out, &loaded.page, total, |out, fields, project| {
                write_project(out, fields, project, loaded, language)
            })
    }
}

/// What a `projects` plan read.
pub(super) struct Loaded {
    page: Page<Project>,
    partners: HashMap<Uuid, Vec<ProjectPartner>>,
    areas: HashMap<Uuid, Vec<stored::ThematicArea>>,
    regions: HashMap<Uuid, Vec<stored::Region>>,
    events: HashMap<(PageArgs, EventRead), EventPages>,
    event_counts: HashMap<Uuid, u64>,
}

fn project<'d>(compiling: &Compiling<'d>, field: &'d Field) -> Option<Vec<Item<ProjectField>>> {
    compiling
        .fields(&field.selection_set.node, "Project")?
        .into_iter()
        .map(|field| {
            let leaf = Compiling::leaf(field);
            let compiled = match field.name.node.as_str() {
                "__typename" if leaf => ProjectField::Typename,
                "id" if leaf => ProjectField::Id,
                "code" if leaf => ProjectField::Code,
                "title" if leaf => ProjectField::Title,
                "titleTranslations" => {
                    ProjectField::TitleTranslations(compiling.translations(field)?)
                }
                "summary" if leaf => ProjectField::Summary,
                "summaryTranslations" => {
                    ProjectField::SummaryTranslations(compiling.translations(field)?)
                }
                "status" if leaf => ProjectField::Status,
                "startDate" if leaf => ProjectField::StartDate,
                "endDate" if leaf => ProjectField::EndDate,
                "budget" => ProjectField::Budget(leaves(
                    compiling,
                    field,
                    "Money",
                    &[
                        ("__typename", MoneyField::Typename),
                        ("amountMinor", MoneyField::AmountMinor),
                        ("currency", MoneyField::Currency),
                    ],
                )?),
                "visibility" if leaf => ProjectField::Visibility,
                "thematicAreas" if leaf => ProjectField::ThematicAreas,
                "regions" if leaf => ProjectField::Regions,
                "partners" if field.arguments.is_empty() => ProjectField::Partners(
                    compiling
                        .fields(&field.selection_set.node, "ProjectPartner")?
                        .into_iter()
                        .map(|field| {
                            let compiled = match field.name.node.as_str() {
                                "__typename" if Compiling::leaf(field) => PartnerField::Typename,
                                "role" if Compiling::leaf(field) => PartnerField::Role,
                                "organisation" => {
                                    PartnerField::Organisation(organisation(compiling, field)?)
                                }
                                _ => return None,
                            };
                            Some(item(field, compiled))
                        })
                        .collect::<Option<_>>()?,
                ),
                "events" if Compiling::arguments_within(field, &PAGE_ARGUMENTS) => {
                    let selection = Connection::compile(
                        compiling,
                        &field.selection_set.node,
                        ("EventConnection", "EventEdge"),
                        &event_fields,
                    )?;
                    let wants = |wanted: fn(&EventField) -> bool| {
                        selection.nodes().flatten().any(|item| wanted(&item.field))
                    };
                    let texts = EventTexts {
                        title: wants(|field| {
                            matches!(field, EventField::Title | EventField::TitleTranslations(_))
                        }),
                        summary: wants(|field| {
                            matches!(
                                field,
                                EventField::Summary | EventField::SummaryTranslations(_)
                            )
                        }),
                    };
                    let translations =
                        wants(|field| matches!(field, EventField::TitleTranslations(_)));
                    let read = if texts.summary || translations {
                        EventRead::Full(texts)
                    } else {
                        EventRead::Lines
                    };
                    ProjectField::Events(EventsField {
                        page: page_args(compiling, field, selection.with_total())?,
                        read,
                        selection,
                    })
                }
                _ => return None,
            };
            Some(item(field, compiled))
        })
        .collect()
}

fn organisation<'d>(
    compiling: &Compiling<'d>,
    field: &'d Field,
) -> Option<Vec<Item<OrganisationField>>> {
    if !field.arguments.is_empty() {
        return None;
    }
    compiling
        .fields(&field.selection_set.node, "Organisation")?
        .into_iter()
        .map(|field| {
            let compiled = match field.name.node.as_str() {
                "__typename" => OrganisationField::Typename,
                "id" => OrganisationField::Id,
                "name" => OrganisationField::Name,
                "acronym" => OrganisationField::Acronym,
                "kind" => OrganisationField::Kind,
                "contactEmail" => OrganisationField::ContactEmail,
                "contactPhone" => OrganisationField::ContactPhone,
                "active" => OrganisationField::Active,
                _ => return None,
            };
            Compiling::leaf(field).then(|| item(field, compiled))
        })
        .collect()
}

fn event_fields<'d>(compiling: &Compiling<'d>, field: &'d Field) -> Option<Vec<Item<EventField>>> {
    compiling
        .fields(&field.selection_set.node, "Event")?
        .into_iter()
        .map(|field| {
            let leaf = Compiling::leaf(field);
            let compiled = match field.name.node.as_str() {
                "__typename" if leaf => EventField::Typename,
                "id" if leaf => EventField::Id,
                "title" if leaf => EventField::Title,
                "titleTranslations" => {
                    EventField::TitleTranslations(compiling.translations(field)?)
                }
                "kind" if leaf => EventField::Kind,
                "startsOn" if leaf => EventField::StartsOn,
                "endsOn" if leaf => EventField::EndsOn,
                "region" if leaf => EventField::Region,
                "district" if leaf => EventField::District,
                "venue" if leaf => EventField::Venue,
                "participants" => EventField::Participants(leaves(
                    compiling,
                    field,
                    "Participants",
                    &[
                        ("__typename", ParticipantsField::Typename),
                        ("female", ParticipantsField::Female),
                        ("male", ParticipantsField::Male),
                        ("undisclosed", ParticipantsField::Undisclosed),
                        ("total", ParticipantsField::Total),
                    ],
                )?),
                "summary" if leaf => EventField::Summary,
                "summaryTranslations" => {
                    EventField::SummaryTranslations(compiling.translations(field)?)
                }
                "published" if leaf => EventField::Published,
                _ => return None,
            };
            Some(item(field, compiled))
        })
        .collect()
}

fn write_project(
    out: &mut Json,
    fields: &[Item<ProjectField>],
    project: &Project,
    loaded: &Loaded,
    language: Language,
) -> Result<(), Declined> {
    out.open_object();
    for item in fields {
        out.key(&item.key);
        match &item.field {
            ProjectField::Typename => out.string("Project"),
            ProjectField::Id => out.string(&project.id.to_string()),
            ProjectField::Code => out.string(&project.code),
            ProjectField::Title => out.translated(&project.title, language),
            ProjectField::TitleTranslations(fields) => out.translations(&project.title, fields),
            ProjectField::Summary => out.translated(&project.summary, language),
            ProjectField::SummaryTranslations(fields) => {
                out.translations(&project.summary, fields);
            }
            ProjectField::Status => {
                out.value(&enum_value(enums::ProjectStatus::from(project.status)))
            }
            ProjectField::StartDate => out.date(project.start_date),
            ProjectField::EndDate => out.optional_date(project.end_date),
            ProjectField::Budget(fields) => {
                // `FORBIDDEN` for a reader without the internals: the executor writes it.
                let internals = project.internals.as_ref().ok_or(Declined::FieldError)?;
                match &internals.budget {
                    None => out.null(),
                    Some(budget) => {
                        out.open_object();
                        for field in fields {
                            out.key(&field.key);
                            match field.field {
                                MoneyField::Typename => out.string("Money"),
                                MoneyField::AmountMinor => {
                                    out.string(&budget.amount_minor.to_string());
                                }
                                MoneyField::Currency => out.string(&budget.currency),
                            }
                        }
                        out.close_object();
                    }
                }
            }
            ProjectField::Visibility => {
                out.value(&enum_value(enums::Visibility::from(project.visibility)));
            }
            ProjectField::ThematicAreas => {
                out.open_list();
                for area in loaded.areas.get(&project.id).into_iter().flatten() {
                    out.item();
                    out.value(&enum_value(enums::ThematicArea::from(*area)));
                }
                out.close_list();
            }
            ProjectField::Regions => {
                out.open_list();
                for region in loaded.regions.get(&project.id).into_iter().flatten() {
                    out.item();
                    out.value(&enum_value(enums::Region::from(*region)));
                }
                out.close_list();
            }
            ProjectField::Partners(fields) => {
                out.open_list();
                for partner in loaded.partners.get(&project.id).into_iter().flatten() {
                    out.item();
                    out.open_object();
                    for field in fields {
                        out.key(&field.key);
                        match &field.field {
                            PartnerField::Typename => out.string("ProjectPartner"),
                            PartnerField::Role => {
                                out.value(&enum_value(enums::PartnerRole::from(partner.role)));
                            }
                            PartnerField::Organisation(fields) => {
                                write_organisation(out, fields, &partner.organisation, language)?;
                            }
                        }
                    }
                    out.close_object();
                }
                out.close_list();
            }
            ProjectField::Events(events) => {
                let total = loaded
                    .event_counts
                    .get(&project.id)
                    .copied()
                    .unwrap_or_default();
                let pages = loaded.events.get(&(events.page.clone(), events.read));
                match pages {
                    Some(EventPages::Lines(pages)) => {
                        let empty = Page::empty();
                        let page = pages.get(&project.id).unwrap_or(&empty);
                        events
                            .selection
                            .write(out, page, total, |out, fields, line| {
                                write_event(out, fields, &Shown::line(line, language))
                            })?;
                    }
                    Some(EventPages::Full(pages)) => {
                        let empty = Page::empty();
                        let page = pages.get(&project.id).unwrap_or(&empty);
                        events
                            .selection
                            .write(out, page, total, |out, fields, event| {
                                write_event(out, fields, &Shown::full(event, language))
                            })?;
                    }
                    None => {
                        events.selection.write(
                            out,
                            &Page::<EventLine>::empty(),
                            total,
                            |_, _, _| Ok(()),
                        )?;
                    }
                }
            }
        }
    }
    out.close_object();
    Ok(())
}

fn write_organisation(
    out: &mut Json,
    fields: &[Item<OrganisationField>],
    organisation: &Organisation,
    language: Language,
) -> Result<(), Declined> {
    out.open_object();
    for field in fields {
        out.key(&field.key);
        match field.field {
            OrganisationField::Typename => out.string("Organisation"),
            OrganisationField::Id => out.string(&organisation.id.to_string()),
            OrganisationField::Name => out.translated(&organisation.name, language),
            OrganisationField::Acronym => out.optional_string(organisation.acronym.as_deref()),
            OrganisationField::Kind => {
                out.value(&enum_value(enums::OrganisationKind::from(
                    organisation.kind,
                )));
            }
            // Signed-in readers only: `FORBIDDEN` for the others, which the executor writes.
            OrganisationField::ContactEmail => {
                let details = organisation.details.as_ref().ok_or(Declined::FieldError)?;
                out.optional_string(details.contact_email.as_deref());
            }
            OrganisationField::ContactPhone => {
                let details = organisation.details.as_ref().ok_or(Declined::FieldError)?;
                out.optional_string(details.contact_phone.as_deref());
            }
            OrganisationField::Active => {
                let details = organisation.details.as_ref().ok_or(Declined::FieldError)?;
                out.boolean(details.active);
            }
        }
    }
    out.close_object();
    Ok(())
}

/// An event as the writer reads it, from either read.
struct Shown<'a> {
    id: Uuid,
    title: std::borrow::Cow<'a, str>,
    /// Every column, when the selection asked for texts beyond the title.
    full: Option<&'a event::Model>,
    language: Language,
    kind: stored::EventKind,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
    region: stored::Region,
    district: &'a str,
    venue: Option<&'a str>,
    female: i32,
    male: i32,
    undisclosed: i32,
    published: bool,
}

impl<'a> Shown<'a> {
    fn line(line: &'a EventLine, language: Language) -> Self {
        Self {
            id: line.id,
            title: std::borrow::Cow::Borrowed(&line.title),
            full: None,
            language,
            kind: line.kind,
            starts_on: line.starts_on,
            ends_on: line.ends_on,
            region: line.region,
            district: &line.district,
            venue: line.venue.as_deref(),
            female: line.participants_female,
            male: line.participants_male,
            undisclosed: line.participants_undisclosed,
            published: line.published,
        }
    }

    fn full(event: &'a event::Model, language: Language) -> Self {
        Self {
            id: event.id,
            title: std::borrow::Cow::Owned(crate::graphql::common::pick(&event.title, language)),
            full: Some(event),
            language,
            kind: event.kind,
            starts_on: event.starts_on,
            ends_on: event.ends_on,
            region: event.region,
            district: &event.district,
            venue: event.venue.as_deref(),
            female: event.participants_female,
            male: event.participants_male,
            undisclosed: event.participants_undisclosed,
            published: event.published,
        }
    }
}

fn write_event(
    out: &mut Json,
    fields: &[Item<EventField>],
    event: &Shown<'_>,
) -> Result<(), Declined> {
    // Texts beyond the title come with the full read only (chosen so at compile time).
    let full = || event.full.ok_or(Declined::FieldError);
    out.open_object();
    for item in fields {
        out.key(&item.key);
        match &item.field {
            EventField::Typename => out.string("Event"),
            EventField::Id => out.string(&event.id.to_string()),
            EventField::Title => out.string(&event.title),
            EventField::TitleTranslations(fields) => out.translations(&full()?.title, fields),
            EventField::Kind => out.value(&enum_value(enums::EventKind::from(event.kind))),
            EventField::StartsOn => out.date(event.starts_on),
            EventField::EndsOn => out.date(event.ends_on),
            EventField::Region => out.value(&enum_value(enums::Region::from(event.region))),
            EventField::District => out.string(event.district),
            EventField::Venue => out.optional_string(event.venue),
            EventField::Participants(fields) => {
                let (female, male, undisclosed) = (event.female, event.male, event.undisclosed);
                out.open_object();
                for field in fields {
                    out.key(&field.key);
                    match field.field {
                        ParticipantsField::Typename => out.string("Participants"),
                        ParticipantsField::Female => out.int(female.into()),
                        ParticipantsField::Male => out.int(male.into()),
                        ParticipantsField::Undisclosed => out.int(undisclosed.into()),
                        ParticipantsField::Total => {
                            out.int((female + male + undisclosed).into());
                        }
                    }
                }
                out.close_object();
            }
            EventField::Summary => out.translated(&full()?.summary, event.language),
            EventField::SummaryTranslations(fields) => {
                out.translations(&full()?.summary, fields);
            }
            EventField::Published => out.boolean(event.published),
        }
    }
    out.close_object();
    Ok(())
}
