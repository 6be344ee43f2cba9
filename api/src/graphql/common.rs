//! What every domain module of the GraphQL layer shares: the request context, translated text,
//! ids, date ranges and Relay connections.

use async_graphql::{
    Context, ID, InputObject, SimpleObject,
    connection::{Connection, CursorType, Edge},
};
use chrono::NaiveDate;
use entity::{Localized, enums::Language};
use uuid::Uuid;

use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    services::{
        Services,
        pagination::{Cursor, DateRange, Page, PageArgs},
    },
};

pub use crate::services::pagination::PageRequest;

/// Who asks (with the request id and address the audit log records), in which language.
/// Built once per HTTP request.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub caller: Caller,
    pub language: Language,
}

/// The request's context (always present: the HTTP handler inserts it).
///
/// # Errors
/// `INTERNAL` if a request was executed without one.
pub fn request<'a>(ctx: &Context<'a>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("request context missing")))
}

/// The request's actor.
///
/// # Errors
/// As [`request`].
pub fn actor<'a>(ctx: &Context<'a>) -> ApiResult<&'a Actor> {
    request(ctx).map(|request| &request.caller.actor)
}

/// The request's caller: the actor with the request id and client address.
///
/// # Errors
/// As [`request`].
pub fn caller<'a>(ctx: &Context<'a>) -> ApiResult<&'a Caller> {
    request(ctx).map(|request| &request.caller)
}

/// The service layer.
///
/// # Errors
/// `INTERNAL` if the schema was built without it.
pub fn services<'a>(ctx: &Context<'a>) -> ApiResult<&'a Services> {
    ctx.data::<Services>()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("services missing from schema data")))
}

/// Reads an `ID` argument.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field` when it is not an id of this API.
pub fn parse_id(id: &ID, field: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| ApiError::bad_input(field, format!("`{}` is not a valid id.", id.as_str())))
}

/// Reads an optional `ID` argument.
///
/// # Errors
/// As [`parse_id`].
pub fn optional_id(id: Option<ID>, field: &str) -> ApiResult<Option<Uuid>> {
    id.map(|id| parse_id(&id, field)).transpose()
}

/// The `ID` of a row.
pub fn to_id(id: Uuid) -> ID {
    ID(id.to_string())
}

/// Picks the text in `language`, else English, Russian, Tajik, whichever is present.
pub fn pick(text: &Localized, language: Language) -> String {
    let preferred = match language {
        Language::En => &text.en,
        Language::Ru => &text.ru,
        Language::Tg => &text.tg,
    };
    preferred
        .as_deref()
        .or_else(|| text.present().next())
        .unwrap_or_default()
        .to_owned()
}

/// The text in the request's language.
///
/// # Errors
/// As [`request`].
pub fn translated(ctx: &Context<'_>, text: &Localized) -> ApiResult<String> {
    Ok(pick(text, request(ctx)?.language))
}

/// A text in every language it was written in; absent languages are null.
#[derive(SimpleObject, Clone, Debug)]
pub struct Translations {
    pub en: Option<String>,
    pub ru: Option<String>,
    pub tg: Option<String>,
}

impl From<&Localized> for Translations {
    fn from(text: &Localized) -> Self {
        Self {
            en: text.en.clone(),
            ru: text.ru.clone(),
            tg: text.tg.clone(),
        }
    }
}

/// A text in one or more languages, as editors give it; at least one language is required.
#[derive(InputObject, Clone, Debug, Default)]
pub struct TranslationsInput {
    pub en: Option<String>,
    pub ru: Option<String>,
    pub tg: Option<String>,
}

impl From<TranslationsInput> for Localized {
    fn from(input: TranslationsInput) -> Self {
        Self {
            en: input.en,
            ru: input.ru,
            tg: input.tg,
        }
    }
}

/// A range of days; either end may be left open. Both ends are included.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct DateRangeInput {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateRangeInput {
    /// # Errors
    /// `BAD_USER_INPUT` naming `field` when the range ends before it starts.
    pub fn validate(range: Option<Self>, field: &str) -> ApiResult<DateRange> {
        let range = range.unwrap_or_default();
        DateRange::new(range.from, range.to, field)
    }
}

/// A cursor that is not one of ours.
#[derive(Debug)]
pub struct InvalidCursor;

impl std::fmt::Display for InvalidCursor {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("This cursor is not valid.")
    }
}

impl CursorType for Cursor {
    type Error = InvalidCursor;

    fn decode_cursor(text: &str) -> Result<Self, Self::Error> {
        Cursor::decode(text, "after").map_err(|_| InvalidCursor)
    }

    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

/// Extra fields of every connection.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct ConnectionTotals {
    /// The number of items matching the filters that the caller may see, across all pages.
    pub total_count: u64,
}

/// A Relay connection of `Node`s.
pub type PortalConnection<Node> = Connection<Cursor, Node, ConnectionTotals>;

/// Page arguments of a connection field (`first`/`after` forward, `last`/`before` backward);
/// asks for the total only when the query selects `totalCount`, which costs one more statement.
///
/// # Errors
/// `BAD_USER_INPUT` for `first` or `last` out of range, both given, or an invalid cursor.
pub fn page_args(ctx: &Context<'_>, request: PageRequest<'_>) -> ApiResult<PageArgs> {
    let with_total = ctx.look_ahead().field("totalCount").exists();
    PageArgs::new(request, with_total)
}

/// Turns a page of rows into a connection of nodes.
pub fn connection<Row, Node>(page: Page<Row>, node: impl Fn(Row) -> Node) -> PortalConnection<Node>
where
    Node: async_graphql::OutputType,
{
    let totals = ConnectionTotals {
        // Only read when `totalCount` was selected, and then it was counted.
        total_count: page.total_count.unwrap_or_default(),
    };
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, totals);
    connection.edges = page
        .items
        .into_iter()
        .map(|(cursor, row)| Edge::new(cursor, node(row)))
        .collect();
    connection
}

/// The cost of a connection field: its page size (`first` or `last`) times the cost of one
/// node, so that a nested list's cost is multiplied by the size of the list around it (a
/// GitHub-style node budget). Both given is refused before anything is read, but is charged
/// the larger.
pub fn connection_complexity(
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    let size = match (first, last) {
        (None, None) => crate::services::pagination::DEFAULT_PAGE_SIZE,
        (first, last) => first
            .max(last)
            .map_or(1, |size| u64::try_from(size).unwrap_or(1)),
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    size.max(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}
