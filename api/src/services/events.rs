//! Events: reading, listing and filtering, the events of many projects at once, and their
//! recording by the Programme Office and partner organisations.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::{
    Localized,
    enums::{EventKind, Language, Region, ThematicArea},
    event, organisation, project,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    IntoActiveModel, Iterable, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, Select, Set,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    fields::{only, readable},
    input::{Problems, Stored, missing},
    pagination::{Cursor, DateRange, KeyKind, KeysetOrder, Page, PageArgs, search_condition},
    rows::OneOrNotFound,
    text,
    values::District,
};
use crate::{
    auth::{Actor, Caller},
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
            nullable: false,
            id_column: event::Column::Id,
            key_of: |row| Some(row.starts_on.to_string()),
            id_of: |row| row.id,
        }
    }
}

/// Events as the API reads them: every column but `search_text`, which is derived on write and
/// only ever matched in `WHERE`, so a row read here carries it empty. It is the widest column
/// (321 bytes on average in the benchmark's data, against 356 for title, summary, district and
/// venue together), and decoding it for every row of a page was wasted work.
fn read() -> Select<event::Entity> {
    read_texts(EventTexts::ALL, DbBackend::Sqlite)
}

/// Which of an event's translated texts a reader asks for (a list that shows titles does not
/// need the summaries, the widest column after `search_text`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventTexts {
    pub title: bool,
    pub summary: bool,
}

impl EventTexts {
    /// Both, as every reader but a compiled plan asks.
    pub const ALL: Self = Self {
        title: true,
        summary: true,
    };
}

/// As [`read`], with the texts not in `texts` read as empty (no language) rather than from
/// their columns. `backend` types the empty text (PostgreSQL stores it as `jsonb`).
fn read_texts(texts: EventTexts, backend: DbBackend) -> Select<event::Entity> {
    let unread = |column: &event::Column| match column {
        event::Column::SearchText => true,
        event::Column::Title => !texts.title,
        event::Column::Summary => !texts.summary,
        _ => false,
    };
    let mut select = event::Entity::find()
        .select_only()
        .columns(event::Column::iter().filter(|column| !unread(column)))
        .column_as(Expr::val(""), event::Column::SearchText);
    let empty = || match backend {
        DbBackend::Postgres => Expr::cust("'{}'::jsonb"),
        _ => Expr::cust("'{}'"),
    };
    for column in [event::Column::Title, event::Column::Summary] {
        if unread(&column) {
            select = select.column_as(empty(), column);
        }
    }
    select
}

/// What a page of a project's events is read as: every column ([`event::Model`]), or the
/// lines of a list ([`EventLine`]).
pub trait EventRow: FromQueryResult + Send + Sync + 'static {
    /// The project, first day and id: what pages are grouped and ordered by.
    fn place(&self) -> (Option<Uuid>, NaiveDate, Uuid);

    /// The row's cursor in `keyset` (newest first: by first day, then id).
    fn cursor(&self, keyset: &KeysetOrder<event::Entity>) -> Cursor;
}

impl EventRow for event::Model {
    fn place(&self) -> (Option<Uuid>, NaiveDate, Uuid) {
        (self.project_id, self.starts_on, self.id)
    }

    fn cursor(&self, keyset: &KeysetOrder<event::Entity>) -> Cursor {
        keyset.cursor(self)
    }
}

/// An event as a line of a list shows it: the title in one language and the scalar fields,
/// without translations, summary or search text (a compiled plan's read: the rows of 50
/// projects' pages of 20 events are most of that request's work, and decoding each title's
/// JSON in every language most of theirs).
#[derive(Clone, Debug, FromQueryResult)]
pub struct EventLine {
    pub id: Uuid,
    pub project_id: Option<Uuid>,
    /// In the language asked for, else the first present of English, Russian, Tajik.
    pub title: String,
    pub kind: EventKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub region: Region,
    pub district: String,
    pub venue: Option<String>,
    pub participants_female: i32,
    pub participants_male: i32,
    pub participants_undisclosed: i32,
    pub published: bool,
}

impl EventRow for EventLine {
    fn place(&self) -> (Option<Uuid>, NaiveDate, Uuid) {
        (self.project_id, self.starts_on, self.id)
    }

    /// As [`KeysetOrder::cursor`] makes an event's (`tests/api/plans.rs` compares them).
    fn cursor(&self, keyset: &KeysetOrder<event::Entity>) -> Cursor {
        Cursor {
            order: keyset.name.to_owned(),
            key: Some(self.starts_on.to_string()),
            id: self.id,
        }
    }
}

/// The columns of [`EventLine`], the title picked in `language` by the database.
fn lines(language: Language, backend: DbBackend) -> Select<event::Entity> {
    let code = match language {
        Language::En => "en",
        Language::Ru => "ru",
        Language::Tg => "tg",
    };
    // The language asked for, else the first present (`common::pick`). The codes are this
    // function's own constants, never input.
    let title = match backend {
        DbBackend::Postgres => Expr::cust(format!(
            "COALESCE(\"event\".\"title\" ->> '{code}', \"event\".\"title\" ->> 'en', \
             \"event\".\"title\" ->> 'ru', \"event\".\"title\" ->> 'tg', '')"
        )),
        _ => Expr::cust(format!(
            "COALESCE(json_extract(\"event\".\"title\", '$.{code}'), \
             json_extract(\"event\".\"title\", '$.en'), \
             json_extract(\"event\".\"title\", '$.ru'), \
             json_extract(\"event\".\"title\", '$.tg'), '')"
        )),
    };
    event::Entity::find()
        .select_only()
        .columns([
            event::Column::Id,
            event::Column::ProjectId,
            event::Column::Kind,
            event::Column::StartsOn,
            event::Column::EndsOn,
            event::Column::Region,
            event::Column::District,
            event::Column::Venue,
            event::Column::ParticipantsFemale,
            event::Column::ParticipantsMale,
            event::Column::ParticipantsUndisclosed,
            event::Column::Published,
        ])
        .column_as(title, "title")
}

/// Event rules.
pub struct Events<'a> {
    pub(super) db: &'a crate::db::Db,
}

impl Events<'_> {
    /// The events `rows` as `actor` may read them: the project of an event is left out
    /// (`project_id` is `None`, as for an event without a project) where the actor may not read
    /// that project ([`policy::event_project`]).
    async fn redacted(
        &self,
        actor: &Actor,
        mut rows: Vec<event::Model>,
    ) -> ApiResult<Vec<event::Model>> {
        let with_project = readable::<event::Entity>(
            self.db,
            &policy::event_project(actor),
            event::Column::Id,
            rows.iter()
                .filter(|row| row.project_id.is_some())
                .map(|row| row.id),
        )
        .await?;
        for row in &mut rows {
            if !with_project.contains(&row.id) {
                row.project_id = None;
            }
        }
        Ok(rows)
    }

    async fn redact(&self, actor: &Actor, row: event::Model) -> ApiResult<event::Model> {
        only(self.redacted(actor, vec![row]).await?)
    }

    async fn row(&self, actor: &Actor, id: Uuid) -> ApiResult<event::Model> {
        read()
            .filter(event::Column::Id.eq(id))
            .filter(policy::visible_events(actor))
            .one_or_not_found(self.db, "Event")
            .await
    }

    /// One event the actor may see, as it may read it.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<event::Model> {
        let row = self.row(actor, id).await?;
        self.redact(actor, row).await
    }

    /// A page of the events the actor may see, as it may read them. The project filter holds
    /// only for events whose project the actor may read, as the thematic-area filter does: a
    /// filter never tells which internal project an event belongs to.
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
        let mut select = read().filter(policy::visible_events(actor));
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
                event::Column::ProjectId
                    .in_subquery(policy::visible_project_ids_in_area(actor, area)),
            );
        }
        if let Some(region) = filter.region {
            select = select.filter(event::Column::Region.eq(region));
        }
        if let Some(district) = filter.district.as_deref().map(str::trim) {
            select = select.filter(event::Column::District.eq(district));
        }
        if let Some(project_id) = filter.project_id {
            select = select
                .filter(event::Column::ProjectId.eq(project_id))
                .filter(policy::event_project(actor).condition());
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
        let (page, rows) = order
            .keyset()
            .fetch(self.db, select, page)
            .await?
            .take_rows();
        Ok(page.with_rows(self.redacted(actor, rows).await?))
    }

    /// The same page (`first`/`after` or `last`/`before`) of visible events of each project in
    /// `project_ids`, newest first, in one statement, so that a list of projects with their
    /// events costs the same whatever its length.
    ///
    /// Each project's events are one `ORDER BY starts_on DESC, id DESC LIMIT first + 1` (both
    /// reversed for `last`) served by `idx_event_project_id_starts_on_id`: the database reads
    /// the page's rows and no more, from either end, however many events a project has (a `ROW_NUMBER()` window would read and sort them all).
    /// On PostgreSQL that subquery is joined `LATERAL` to the list of project ids, so it is
    /// planned once; SQLite has no `LATERAL`, and there the statement is a `UNION ALL` of one
    /// subquery per project (which PostgreSQL would plan part by part: ~17 ms for 50).
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for an invalid cursor; database errors.
    pub async fn page_per_project(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
        page: &PageArgs,
        texts: EventTexts,
    ) -> ApiResult<HashMap<Uuid, Page<event::Model>>> {
        let backend = self.db.get_database_backend();
        self.pages_per_project(actor, project_ids, page, || read_texts(texts, backend))
            .await
    }

    /// As [`Events::page_per_project`], each event as a line of a list shows it
    /// ([`EventLine`]: its title in `language`, picked by the database as
    /// `common::pick` picks it, and its scalar fields; no translations, no summary).
    ///
    /// # Errors
    /// As [`Events::page_per_project`].
    pub async fn lines_per_project(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
        page: &PageArgs,
        language: Language,
    ) -> ApiResult<HashMap<Uuid, Page<EventLine>>> {
        let backend = self.db.get_database_backend();
        self.pages_per_project(actor, project_ids, page, || lines(language, backend))
            .await
    }

    /// The pages of [`Events::page_per_project`], of rows read by `columns`.
    async fn pages_per_project<R: EventRow>(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
        page: &PageArgs,
        columns: impl Fn() -> Select<event::Entity>,
    ) -> ApiResult<HashMap<Uuid, Page<R>>> {
        let keyset = EventOrder::StartsOnDesc.keyset();
        let backend = self.db.get_database_backend();
        // The page of the events of the project `project_id` (a known id, or a column of the
        // row it is joined to), read from its end for `last`.
        let page_of = |project_id: Expr| {
            keyset
                .apply(
                    columns().filter(policy::visible_events_of_project(actor, project_id)),
                    page,
                )
                .map(QueryTrait::into_query)
        };
        let statement = if project_ids.is_empty() {
            None
        } else if backend == DbBackend::Postgres {
            // PostgreSQL names the one column of a VALUES list `column1`; the cast keeps the
            // comparison typed when the ids come as text (a replay with literals, as pgbench's).
            let listed = Alias::new("listed");
            let ranked = Alias::new("ranked");
            let project_id = Expr::col((listed.clone(), Alias::new("column1"))).cast_as("uuid");
            Some(
                Query::select()
                    .column((ranked.clone(), Asterisk))
                    .from_values(project_ids.iter().copied(), listed)
                    .join_lateral(
                        JoinType::InnerJoin,
                        page_of(project_id)?,
                        ranked,
                        Expr::cust("TRUE"),
                    )
                    .to_owned(),
            )
        } else {
            let mut union: Option<SelectStatement> = None;
            for (index, project_id) in project_ids.iter().enumerate() {
                // Each part is a subquery in FROM: SQLite takes no ORDER BY or LIMIT on a bare
                // member of a compound SELECT.
                let part = Query::select()
                    .column(Asterisk)
                    .from_subquery(
                        page_of(Expr::val(*project_id))?,
                        Alias::new(format!("project_{index}")),
                    )
                    .to_owned();
                match &mut union {
                    None => union = Some(part),
                    Some(union) => {
                        union.union(UnionType::All, part);
                    }
                }
            }
            union
        };
        let rows = match statement {
            Some(statement) => {
                R::find_by_statement(backend.build(&statement))
                    .all(self.db)
                    .await?
            }
            None => Vec::new(),
        };

        let mut grouped: HashMap<Uuid, Vec<R>> = HashMap::new();
        for row in rows {
            if let (Some(project_id), _, _) = row.place() {
                grouped.entry(project_id).or_default().push(row);
            }
        }
        // A union promises no order; each project's rows are put back in the order they were
        // read in (oldest first for `last`), which `Page::from_rows` expects.
        for rows in grouped.values_mut() {
            rows.sort_by_key(|row| {
                let (_, starts_on, id) = row.place();
                (starts_on, id)
            });
            if !page.from_end {
                rows.reverse();
            }
        }
        Ok(project_ids
            .iter()
            .map(|project_id| {
                let rows = grouped.remove(project_id).unwrap_or_default();
                let page = Page::from_rows(rows, page, |row| row.cursor(&keyset));
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
            .filter(policy::event_project(actor).condition())
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

/// An event's fields as given by an editor: on creation all required ones, on change the ones
/// to change (merged over the stored event before validation).
#[derive(Clone, Debug, Default)]
pub struct EventInput {
    /// `Some(None)` detaches the event from its project.
    pub project_id: Option<Option<Uuid>>,
    pub title: Option<Localized>,
    pub kind: Option<EventKind>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub region: Option<Region>,
    pub district: Option<String>,
    /// `Some(None)` removes the venue.
    pub venue: Option<Option<String>>,
    pub organiser_id: Option<Uuid>,
    pub participants_female: Option<i32>,
    pub participants_male: Option<i32>,
    pub participants_undisclosed: Option<i32>,
    pub summary: Option<Localized>,
}

const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 5_000;
const MAX_VENUE: usize = 200;
/// More participants than this in one event is a typing mistake.
const MAX_PARTICIPANTS: i32 = 100_000;

/// Merges `input` over the stored event (none on creation) and checks the result, reporting
/// every invalid field at once: the complete row to write.
fn validate(input: EventInput, stored: Stored<'_, event::Model>) -> ApiResult<event::Model> {
    let mut problems = Problems::new();
    let title = problems.required_translations(
        "title",
        stored.or(input.title, |event| event.title.clone()),
        MAX_TITLE,
    );
    let summary = stored
        .or(input.summary, |event| event.summary.clone())
        .map(|summary| problems.optional_translations("input.summary", &summary, MAX_SUMMARY))
        .unwrap_or_default();
    let kind = problems.required("kind", stored.or(input.kind, |event| event.kind));
    let starts_on = problems.required(
        "startsOn",
        stored.or(input.starts_on, |event| event.starts_on),
    );
    // A one-day event needs no end date.
    let ends_on = stored
        .or(input.ends_on, |event| event.ends_on)
        .or(starts_on);
    problems.dates_in_order("input.endsOn", "event", starts_on, ends_on);
    let region = problems.required("region", stored.or(input.region, |event| event.region));
    let district = stored
        .or(input.district, |event| event.district.clone())
        .unwrap_or_default();
    let district = problems.parse("input.district", District::parse(&district));
    let venue = problems.text_or(
        "input.venue",
        stored.or_cleared(input.venue, |event| event.venue.clone()),
        MAX_VENUE,
        format!("A venue is at most {MAX_VENUE} characters long."),
    );
    let mut count = |field: &str, merged: Option<i32>| {
        let value = merged.unwrap_or(0);
        problems.in_range(
            &format!("input.{field}"),
            value,
            0..=MAX_PARTICIPANTS,
            format!("A number of participants is 0 to {MAX_PARTICIPANTS}."),
        );
        value
    };
    let participants_female = count(
        "participantsFemale",
        stored.or(input.participants_female, |event| event.participants_female),
    );
    let participants_male = count(
        "participantsMale",
        stored.or(input.participants_male, |event| event.participants_male),
    );
    let participants_undisclosed = count(
        "participantsUndisclosed",
        stored.or(input.participants_undisclosed, |event| {
            event.participants_undisclosed
        }),
    );
    let organiser_id = stored.or(input.organiser_id, |event| event.organiser_id);
    let project_id = stored.or_cleared(input.project_id, |event| event.project_id);
    problems.finish_with(|| {
        let district = String::from(district?);
        let now = Utc::now();
        Some(event::Model {
            id: stored.row().map_or_else(Uuid::now_v7, |event| event.id),
            project_id,
            search_text: text::search_text(
                title
                    .present()
                    .chain(summary.present())
                    .chain([district.as_str()])
                    .chain(venue.as_deref()),
            ),
            title,
            kind: kind?,
            starts_on: starts_on?,
            ends_on: ends_on?,
            region: region?,
            district,
            venue,
            // Checked against the policy by the caller.
            organiser_id: organiser_id.unwrap_or_default(),
            participants_female,
            participants_male,
            participants_undisclosed,
            summary,
            published: stored.row().is_some_and(|event| event.published),
            created_at: stored.row().map_or(now, |event| event.created_at),
            updated_at: now,
        })
    })
}

/// One row of an events import (`http/imports.rs`): its line in the file, the event it
/// changes (none: a new one), its title in the request's language, and the other columns.
#[derive(Clone, Debug, Default)]
pub struct ImportedEvent {
    pub line: usize,
    pub id: Option<Uuid>,
    pub title: String,
    pub input: EventInput,
}

/// The file's column of a field of [`validate`] or [`Events::check_placement`].
fn import_column(field: &str) -> &'static str {
    let field = field.strip_prefix("input.").unwrap_or(field);
    let field = field.split('.').next().unwrap_or(field);
    match field {
        "kind" => "kind",
        "startsOn" => "starts_on",
        "endsOn" => "ends_on",
        "region" => "region",
        "district" => "district",
        "venue" => "venue",
        "organiserId" => "organiser_id",
        "projectId" => "project_id",
        "participantsFemale" => "participants_female",
        "participantsMale" => "participants_male",
        "participantsUndisclosed" => "participants_undisclosed",
        _ => "title",
    }
}

/// Whether `new` changes anything of `stored` (its write time and search text aside).
fn differs(stored: &event::Model, new: &event::Model) -> bool {
    let mut same_time = new.clone();
    same_time.updated_at = stored.updated_at;
    // Derived from the rest, and not read with the event.
    same_time.search_text.clone_from(&stored.search_text);
    same_time != *stored
}

impl Events<'_> {
    /// Checks that the actor may record an event under `project_id` and organised by
    /// `organiser_id`: the Programme Office anywhere; partners only under a project their
    /// organisation is a partner of, and as its organiser.
    async fn check_placement(
        &self,
        actor: &Actor,
        project_id: Option<Uuid>,
        organiser_id: Uuid,
    ) -> ApiResult<()> {
        if let Some(required) = policy::partner_organisation(actor)
            && organiser_id != required
        {
            return Err(ApiError::Forbidden);
        }
        match project_id {
            None if !policy::can_record_events_without_project(actor) => Err(ApiError::bad_input(
                "input.projectId",
                "Record the event under one of your organisation's projects.",
            )),
            None => Ok(()),
            Some(project_id) => {
                let open = project::Entity::find_by_id(project_id)
                    .filter(policy::projects_open_for_events(actor))
                    .count(self.db)
                    .await?;
                if open == 1 {
                    Ok(())
                } else {
                    Err(ApiError::bad_input(
                        "input.projectId",
                        "There is no project with this id that you may record events for.",
                    ))
                }
            }
        }?;
        let organiser_active = organisation::Entity::find_by_id(organiser_id)
            .filter(organisation::Column::Active.eq(true))
            .count(self.db)
            .await?;
        if organiser_active == 1 {
            Ok(())
        } else {
            Err(ApiError::bad_input(
                "input.organiserId",
                "The organiser must be an active organisation.",
            ))
        }
    }

    /// An event the caller may edit.
    async fn editable(&self, caller: &Caller, id: Uuid) -> ApiResult<event::Model> {
        caller.actor.signed_in()?;
        let event = self.row(&caller.actor, id).await?;
        let editable = event::Entity::find_by_id(id)
            .filter(policy::editable_events(&caller.actor))
            .count(self.db)
            .await?;
        if editable == 1 {
            Ok(event)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Imports events (a CSV file's, see `http/imports.rs`): a row with an `id` changes that
    /// event (as `updateEvent`, if the caller may edit it), one without records a new one (as
    /// `createEvent`, unpublished). Its title is the text in `language`: a new event has it in
    /// that language; a changed one gets it in that language, unless it is the title the export
    /// showed (then it is left as it is). Every problem of every row is named
    /// (`rows.<line>.<column>`); a dry run stops after writing in a transaction it rolls back;
    /// otherwise all rows are written in one transaction or none, and audited.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `BAD_USER_INPUT` naming every bad cell (an event the caller may not
    /// edit reads as an unknown `id`).
    pub async fn import(
        &self,
        caller: &Caller,
        language: Language,
        rows: Vec<ImportedEvent>,
        dry_run: bool,
    ) -> ApiResult<super::input::ImportOutcome> {
        caller.actor.signed_in()?;
        if rows.is_empty() {
            return Err(ApiError::bad_input("rows", "The file holds no event."));
        }
        let mut problems = Problems::new();
        let mut checked: Vec<(Option<event::Model>, event::Model)> = Vec::new();
        for row in rows {
            let cell = |column: &str| format!("rows.{}.{column}", row.line);
            let stored = match row.id {
                None => None,
                Some(id) => match self.editable(caller, id).await {
                    Ok(event) => Some(event),
                    Err(ApiError::NotFound { .. } | ApiError::Forbidden) => {
                        problems.add(cell("id"), "There is no event you may edit with this id.");
                        continue;
                    }
                    Err(error) => return Err(error),
                },
            };
            let mut input = row.input;
            if stored.is_none() && input.organiser_id.is_none() {
                input.organiser_id = policy::partner_organisation(&caller.actor);
                if input.organiser_id.is_none() {
                    problems.add(cell("organiser_id"), "Name the organiser of a new event.");
                    continue;
                }
            }
            let shown = stored.as_ref().map(|event| {
                let title = &event.title;
                match language {
                    Language::En => title.en.as_deref(),
                    Language::Ru => title.ru.as_deref(),
                    Language::Tg => title.tg.as_deref(),
                }
                .or_else(|| title.present().next())
                .unwrap_or_default()
                .to_owned()
            });
            if shown.as_deref() != Some(row.title.trim()) {
                let mut title = stored
                    .as_ref()
                    .map(|event| event.title.clone())
                    .unwrap_or_default();
                let text = Some(row.title.trim().to_owned()).filter(|text| !text.is_empty());
                match language {
                    Language::En => title.en = text,
                    Language::Ru => title.ru = text,
                    Language::Tg => title.tg = text,
                }
                input.title = Some(title);
            }
            let event = match validate(input, Stored::new(stored.as_ref())) {
                Ok(event) => event,
                Err(ApiError::BadUserInput(fields)) => {
                    for field in fields {
                        problems.add(cell(import_column(&field.field)), field.message);
                    }
                    continue;
                }
                Err(error) => return Err(error),
            };
            let moved = stored.as_ref().is_none_or(|stored| {
                stored.project_id != event.project_id || stored.organiser_id != event.organiser_id
            });
            if moved {
                match self
                    .check_placement(&caller.actor, event.project_id, event.organiser_id)
                    .await
                {
                    Ok(()) => {}
                    Err(ApiError::BadUserInput(fields)) => {
                        for field in fields {
                            problems.add(cell(import_column(&field.field)), field.message);
                        }
                        continue;
                    }
                    Err(ApiError::Forbidden) => {
                        problems.add(
                            cell("organiser_id"),
                            "You may record events organised by your own organisation only.",
                        );
                        continue;
                    }
                    Err(error) => return Err(error),
                }
            }
            checked.push((stored, event));
        }
        problems.finish()?;
        let mut outcome = super::input::ImportOutcome {
            reports: checked.len(),
            changed: 0,
        };
        let txn = self.db.begin().await?;
        for (stored, event) in checked {
            match stored {
                None => {
                    let event = event.into_active_model().insert(&txn).await?;
                    audit::record(
                        &txn,
                        caller,
                        AuditRecord::success("event.create", "event", event.id),
                    )
                    .await?;
                }
                Some(stored) if differs(&stored, &event) => {
                    let mut update = event.into_active_model().reset_all();
                    update.id = sea_orm::ActiveValue::Unchanged(stored.id);
                    update.created_at = sea_orm::ActiveValue::Unchanged(stored.created_at);
                    let event = update.update(&txn).await?;
                    audit::record(
                        &txn,
                        caller,
                        AuditRecord::success("event.update", "event", event.id)
                            .with_detail(json!({ "imported": true })),
                    )
                    .await?;
                }
                Some(_) => continue,
            }
            outcome.changed += 1;
        }
        if dry_run {
            txn.rollback().await?;
            return Ok(outcome);
        }
        audit::record(
            &txn,
            caller,
            AuditRecord {
                action: "event.import",
                entity_type: Some("event"),
                entity_id: None,
                outcome: entity::enums::AuditOutcome::Success,
                detail: Some(json!({ "events": outcome.reports, "changed": outcome.changed })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Records an event, unpublished. The Programme Office records any event; a partner records
    /// events of its organisation's projects, organised by its organisation (the default
    /// organiser).
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `FORBIDDEN` for another organiser; `BAD_USER_INPUT` naming each
    /// invalid field, or a project the caller may not record under.
    pub async fn create(&self, caller: &Caller, mut input: EventInput) -> ApiResult<event::Model> {
        caller.actor.signed_in()?;
        if input.organiser_id.is_none() {
            input.organiser_id = policy::partner_organisation(&caller.actor);
        }
        if input.organiser_id.is_none() {
            return Err(ApiError::BadUserInput(vec![missing("organiserId")]));
        }
        let event = validate(input, Stored::new(None))?;
        self.check_placement(&caller.actor, event.project_id, event.organiser_id)
            .await?;
        let txn = self.db.begin().await?;
        let event = event.into_active_model().insert(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("event.create", "event", event.id),
        )
        .await?;
        txn.commit().await?;
        self.redact(&caller.actor, event).await
    }

    /// Changes the given fields of an event the caller may edit.
    ///
    /// # Errors
    /// `NOT_FOUND` for an event hidden from the caller; `FORBIDDEN` for one it may not edit or
    /// a move to another organiser; `BAD_USER_INPUT` as for creation.
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        input: EventInput,
    ) -> ApiResult<event::Model> {
        let existing = self.editable(caller, id).await?;
        let changed = changed_fields(&input);
        let event = validate(input, Stored::new(Some(&existing)))?;
        if event.project_id != existing.project_id || event.organiser_id != existing.organiser_id {
            self.check_placement(&caller.actor, event.project_id, event.organiser_id)
                .await?;
        }
        let txn = self.db.begin().await?;
        let mut update = event.into_active_model().reset_all();
        update.id = sea_orm::ActiveValue::Unchanged(existing.id);
        update.created_at = sea_orm::ActiveValue::Unchanged(existing.created_at);
        let event = update.update(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("event.update", "event", event.id)
                .with_detail(json!({ "changed": changed })),
        )
        .await?;
        txn.commit().await?;
        self.redact(&caller.actor, event).await
    }

    /// Publishes an event (the public sees it when its project is public) or takes it back.
    ///
    /// # Errors
    /// As [`Events::update`].
    pub async fn set_published(
        &self,
        caller: &Caller,
        id: Uuid,
        published: bool,
    ) -> ApiResult<event::Model> {
        let existing = self.editable(caller, id).await?;
        let mut update = existing.into_active_model();
        update.published = Set(published);
        update.updated_at = Set(Utc::now());
        let action = if published {
            "event.publish"
        } else {
            "event.unpublish"
        };
        let event = audit::update_audited(self.db, caller, update, |event| {
            AuditRecord::success(action, "event", event.id)
        })
        .await?;
        self.redact(&caller.actor, event).await
    }

    /// Deletes an event the caller may edit.
    ///
    /// # Errors
    /// As [`Events::update`].
    pub async fn delete(&self, caller: &Caller, id: Uuid) -> ApiResult<Uuid> {
        let existing = self.editable(caller, id).await?;
        let txn = self.db.begin().await?;
        event::Entity::delete_by_id(existing.id).exec(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("event.delete", "event", id),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }
}

/// The names of the fields an update touches, for the audit log.
fn changed_fields(input: &EventInput) -> Vec<&'static str> {
    [
        ("projectId", input.project_id.is_some()),
        ("title", input.title.is_some()),
        ("kind", input.kind.is_some()),
        ("startsOn", input.starts_on.is_some()),
        ("endsOn", input.ends_on.is_some()),
        ("region", input.region.is_some()),
        ("district", input.district.is_some()),
        ("venue", input.venue.is_some()),
        ("organiserId", input.organiser_id.is_some()),
        ("participantsFemale", input.participants_female.is_some()),
        ("participantsMale", input.participants_male.is_some()),
        (
            "participantsUndisclosed",
            input.participants_undisclosed.is_some(),
        ),
        ("summary", input.summary.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_named_in_the_order_of_the_fields() {
        let input = EventInput {
            title: Some(Localized {
                en: Some("t".repeat(MAX_TITLE + 1)),
                ..Localized::default()
            }),
            summary: Some(Localized {
                ru: Some("с".repeat(MAX_SUMMARY + 1)),
                ..Localized::default()
            }),
            starts_on: "2026-05-02".parse().ok(),
            ends_on: "2026-05-01".parse().ok(),
            district: Some("  ".into()),
            venue: Some(Some("v".repeat(MAX_VENUE + 1))),
            participants_female: Some(-1),
            participants_male: Some(MAX_PARTICIPANTS + 1),
            ..EventInput::default()
        };
        let participants = "A number of participants is 0 to 100000.";
        let expected = [
            ("input.title.en", "At most 300 characters."),
            ("input.summary.ru", "At most 5000 characters."),
            ("input.kind", "`kind` is required."),
            (
                "input.endsOn",
                "The event cannot end (2026-05-01) before it starts (2026-05-02).",
            ),
            ("input.region", "`region` is required."),
            ("input.district", "A district is 1 to 100 characters long."),
            ("input.venue", "A venue is at most 200 characters long."),
            ("input.participantsFemale", participants),
            ("input.participantsMale", participants),
        ];
        let Err(ApiError::BadUserInput(fields)) = validate(input, Stored::new(None)) else {
            panic!("accepted");
        };
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|field| (field.field.as_str(), field.message.as_str()))
            .collect();
        assert_eq!(fields, expected);
    }
}
