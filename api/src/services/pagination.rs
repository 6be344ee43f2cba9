//! Keyset pagination: pages are cut by `(sort key, id) > cursor` (or `<`, backward) on an index,
//! never by `OFFSET`, so page 500 costs what page 1 costs, from either end, and rows inserted
//! meanwhile do not shift pages.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
    Value,
    sea_query::{Expr, ExprTrait, LikeExpr, NullOrdering},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, FieldError};

/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The longest text search accepted.
pub const MAX_SEARCH_LENGTH: usize = 100;

/// A row's place in an ordering: its sort key (`None` when the sort column is NULL) and id.
/// The same cursor bounds a page from either side (`after` or `before`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    pub order: String,
    /// Left out of the text when absent, so that a cursor of a key that cannot be NULL reads
    /// as it always has.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Cursor {
    /// The opaque text clients pass back as `after` or `before`.
    pub fn encode(&self) -> String {
        // Serializing a struct of strings cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor made by [`Cursor::encode`], given as the argument `field`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` on `field` for anything else.
    pub fn decode(text: &str, field: &str) -> ApiResult<Self> {
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| invalid_cursor(field))
    }
}

fn invalid_cursor(field: &str) -> ApiError {
    ApiError::bad_input(field, "This cursor is not valid.")
}

/// A connection's page arguments as the client gave them (Relay: `first`/`after` to page
/// forward, `last`/`before` to page backward; `after` and `before` may be combined).
#[derive(Clone, Copy, Debug, Default)]
pub struct PageRequest<'a> {
    pub first: Option<i32>,
    pub after: Option<&'a str>,
    pub last: Option<i32>,
    pub before: Option<&'a str>,
}

/// A validated request for one page: the first `size` rows after `after` and before
/// `before`, or the last `size` of them when `from_end`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageArgs {
    /// `first` or `last`.
    pub size: u64,
    /// Whether `last` was asked for: the page is read from the end of the rows.
    pub from_end: bool,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    /// Whether the caller wants the total number of matching rows (one more statement).
    pub with_total: bool,
}

impl PageArgs {
    /// Checks `first` and `last` (1..=100, one of them at most; `first: 20` when neither) and
    /// decodes `after` and `before`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `first`, `last`, `after` or `before`.
    pub fn new(request: PageRequest<'_>, with_total: bool) -> ApiResult<Self> {
        let (size, from_end) = match (request.first, request.last) {
            (Some(_), Some(_)) => {
                return Err(ApiError::BadUserInput(vec![
                    FieldError {
                        field: "first".into(),
                        message: "`first` cannot be given with `last`: a page is counted from the start or from the end.".into(),
                    },
                    FieldError {
                        field: "last".into(),
                        message: "Give `last` alone to page backward.".into(),
                    },
                ]));
            }
            (first, None) => (page_size(first, "first")?, false),
            (None, last) => (page_size(last, "last")?, true),
        };
        Ok(Self {
            size,
            from_end,
            after: request
                .after
                .map(|text| Cursor::decode(text, "after"))
                .transpose()?,
            before: request
                .before
                .map(|text| Cursor::decode(text, "before"))
                .transpose()?,
            with_total,
        })
    }

    /// The first `size` rows after `after` (for the server's own readers, as the exports).
    pub fn forward(size: u64, after: Option<Cursor>) -> Self {
        Self {
            size,
            from_end: false,
            after,
            before: None,
            with_total: false,
        }
    }
}

/// `first` or `last` (named `field`), 1..=100; the default page size when not given.
fn page_size(size: Option<i32>, field: &str) -> ApiResult<u64> {
    let Some(size) = size else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    u64::try_from(size)
        .ok()
        .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
        .ok_or_else(|| {
            ApiError::bad_input(
                field,
                format!("`{field}` must be between 1 and {MAX_PAGE_SIZE}, not {size}."),
            )
        })
}

/// One page of rows, each with its cursor, in the connection's order.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<(Cursor, T)>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    /// Present when asked for with [`PageArgs::with_total`].
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    /// A page with nothing on it.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_previous_page: false,
            has_next_page: false,
            total_count: None,
        }
    }

    /// Makes the page of `rows`, read as [`KeysetOrder::apply`] orders them: `size + 1` rows
    /// from the page's own end (from the end backward for `last`), the extra one telling
    /// whether more rows lie beyond.
    ///
    /// Relay lets the other flag be false when it cannot be known cheaply. It is taken from the
    /// cursor instead: a page after `after` has the cursor's row before it, a page before
    /// `before` the cursor's row after it (unless that row was deleted meanwhile).
    pub fn from_rows(mut rows: Vec<T>, page: &PageArgs, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let size = usize::try_from(page.size).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        let (has_previous_page, has_next_page) = if page.from_end {
            rows.reverse();
            (more, page.before.is_some())
        } else {
            (page.after.is_some(), more)
        };
        Self {
            items: rows.into_iter().map(|row| (cursor_of(&row), row)).collect(),
            has_previous_page,
            has_next_page,
            total_count: None,
        }
    }

    /// The same page with each row turned into something else.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self
                .items
                .into_iter()
                .map(|(cursor, row)| (cursor, f(row)))
                .collect(),
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            total_count: self.total_count,
        }
    }
}

impl<T> Page<T> {
    /// The page's rows taken out, leaving their places (cursors and flags) for the views of
    /// the same rows, made in one batch, to be put in with [`Page::with_rows`].
    pub fn take_rows(self) -> (Page<()>, Vec<T>) {
        let (cursors, rows): (Vec<Cursor>, Vec<T>) = self.items.into_iter().unzip();
        let places = Page {
            items: cursors.into_iter().map(|cursor| (cursor, ())).collect(),
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            total_count: self.total_count,
        };
        (places, rows)
    }
}

impl Page<()> {
    /// Puts `rows` in the places [`Page::take_rows`] left, one for one and in order.
    pub fn with_rows<U>(self, rows: Vec<U>) -> Page<U> {
        Page {
            items: self
                .items
                .into_iter()
                .zip(rows)
                .map(|((cursor, ()), row)| (cursor, row))
                .collect(),
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            total_count: self.total_count,
        }
    }
}

/// The type of a sort key, to turn a cursor's text back into a typed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Text,
    Date,
    /// An RFC 3339 time.
    Timestamp,
}

/// An ordering of a list: one indexed sort column, then the id as a tie-breaker. The columns
/// are `E`'s own, or (`C`) those of a table joined to `E` that holds copies of them in an index
/// of its own (a partner's cases are read in the order of `case_party`).
pub struct KeysetOrder<E: EntityTrait, C: ColumnTrait = <E as EntityTrait>::Column> {
    /// The `orderBy` value, recorded in cursors so a cursor cannot be used with another order.
    pub name: &'static str,
    pub column: C,
    pub kind: KeyKind,
    pub descending: bool,
    /// Whether the sort column may be NULL. Rows without a key come last in either direction
    /// (by id), so that an ordering by a deadline lists the rows that have one first; both
    /// databases are told so (`NULLS LAST`), as their defaults differ.
    pub nullable: bool,
    pub id_column: C,
    pub key_of: fn(&E::Model) -> Option<String>,
    pub id_of: fn(&E::Model) -> Uuid,
}

impl<E: EntityTrait, C: ColumnTrait> KeysetOrder<E, C> {
    /// The cursor of `model` in this ordering.
    pub fn cursor(&self, model: &E::Model) -> Cursor {
        Cursor {
            order: self.name.to_owned(),
            key: (self.key_of)(model),
            id: (self.id_of)(model),
        }
    }

    fn key_value(&self, key: &str, field: &str) -> ApiResult<Value> {
        match self.kind {
            KeyKind::Text => Ok(key.to_owned().into()),
            KeyKind::Date => NaiveDate::parse_from_str(key, "%Y-%m-%d")
                .map(Into::into)
                .map_err(|_| invalid_cursor(field)),
            KeyKind::Timestamp => chrono::DateTime::parse_from_rfc3339(key)
                .map(|time| time.with_timezone(&chrono::Utc).into())
                .map_err(|_| invalid_cursor(field)),
        }
    }

    /// Orders `select` and restricts it to the rows between `page.after` and `page.before`,
    /// fetching one row more than the page to learn whether more follow. A `last` page is read
    /// in the reverse order (its rows are put back by [`Page::from_rows`]), so that the database
    /// reads the page's rows from the index and no more, from either end.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when a cursor is not one of this ordering's.
    pub fn apply(&self, select: Select<E>, page: &PageArgs) -> ApiResult<Select<E>> {
        let descending = self.descending != page.from_end;
        let order = if descending { Order::Desc } else { Order::Asc };
        let mut select = if self.nullable {
            // NULLs are last in the connection's order, so first when it is read backward.
            let nulls = if page.from_end {
                NullOrdering::First
            } else {
                NullOrdering::Last
            };
            select.order_by_with_nulls(self.column, order.clone(), nulls)
        } else {
            select.order_by(self.column, order.clone())
        };
        select = select.order_by(self.id_column, order).limit(page.size + 1);
        if let Some(cursor) = &page.after {
            select = select.filter(self.beyond(cursor, true, "after")?);
        }
        if let Some(cursor) = &page.before {
            select = select.filter(self.beyond(cursor, false, "before")?);
        }
        Ok(select)
    }

    /// The rows after `cursor` in this ordering (`later`), or before it: `(sort key, id) >
    /// (cursor key, cursor id)` (`<` when descending, or before), a row-value comparison that
    /// both databases answer from the `(sort key, id)` index. A nullable key adds its NULL
    /// rows, which lie after every keyed row.
    fn beyond(&self, cursor: &Cursor, later: bool, field: &str) -> ApiResult<Expr> {
        if cursor.order != self.name {
            return Err(ApiError::bad_input(
                field,
                format!(
                    "This cursor belongs to the ordering {}, not {}.",
                    cursor.order, self.name
                ),
            ));
        }
        let greater = later != self.descending;
        let compare = |left: Expr, right: Expr| {
            if greater {
                left.gt(right)
            } else {
                left.lt(right)
            }
        };
        let column = self.column.into_expr();
        let id = self.id_column.into_expr();
        Ok(match &cursor.key {
            Some(key) => {
                let row = Expr::tuple([column.clone(), id]);
                let bound =
                    Expr::tuple([Expr::val(self.key_value(key, field)?), Expr::val(cursor.id)]);
                // A NULL key makes the comparison unknown, so keyed rows only.
                let keyed = compare(row, bound);
                if self.nullable && later {
                    keyed.or(column.is_null())
                } else {
                    keyed
                }
            }
            None if self.nullable => {
                let unkeyed = column
                    .clone()
                    .is_null()
                    .and(compare(id, Expr::val(cursor.id)));
                if later {
                    unkeyed
                } else {
                    column.is_not_null().or(unkeyed)
                }
            }
            None => return Err(invalid_cursor(field)),
        })
    }

    /// Runs the page query, and the count when asked for.
    ///
    /// # Errors
    /// As [`KeysetOrder::apply`], and database errors.
    pub async fn fetch<Db: ConnectionTrait>(
        &self,
        db: &Db,
        select: Select<E>,
        page: &PageArgs,
    ) -> ApiResult<Page<E::Model>>
    where
        E::Model: Sync,
    {
        use sea_orm::PaginatorTrait;
        let total_count = if page.with_total {
            Some(select.clone().count(db).await?)
        } else {
            None
        };
        let mut result = self.fetch_rows(db, select, page).await?;
        result.total_count = total_count;
        Ok(result)
    }

    /// Runs the page query alone (`total_count` is left unset, for a caller that counts
    /// otherwise).
    ///
    /// # Errors
    /// As [`KeysetOrder::apply`], and database errors.
    pub async fn fetch_rows<Db: ConnectionTrait>(
        &self,
        db: &Db,
        select: Select<E>,
        page: &PageArgs,
    ) -> ApiResult<Page<E::Model>>
    where
        E::Model: Sync,
    {
        let rows = self.apply(select, page)?.all(db).await?;
        Ok(Page::from_rows(rows, page, |row| self.cursor(row)))
    }
}

/// A case-insensitive substring match of `query` against `target`, a lower-cased text (a
/// `search_text` column, or `LOWER(column)`).
///
/// # Errors
/// `BAD_USER_INPUT` naming `field` when the query is longer than 100 characters.
pub fn search_condition(target: Expr, query: Option<&str>, field: &str) -> ApiResult<Option<Expr>> {
    let Some(query) = query.map(str::trim).filter(|query| !query.is_empty()) else {
        return Ok(None);
    };
    if query.chars().count() > MAX_SEARCH_LENGTH {
        return Err(ApiError::bad_input(
            field,
            format!("A search is at most {MAX_SEARCH_LENGTH} characters long."),
        ));
    }
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    for character in query.to_lowercase().chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    Ok(Some(target.like(LikeExpr::new(pattern).escape('\\'))))
}

/// A validated date range; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// # Errors
    /// `BAD_USER_INPUT` naming `field` when `from` is after `to`.
    pub fn new(from: Option<NaiveDate>, to: Option<NaiveDate>, field: &str) -> ApiResult<Self> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(ApiError::bad_input(
                field,
                format!("The range starts ({from}) after it ends ({to})."),
            ));
        }
        Ok(Self { from, to })
    }

    /// Rows whose `[start, end]` span overlaps the range (`end` may be open).
    pub fn overlaps<C: ColumnTrait + Copy>(&self, start: C, end: C) -> Option<Expr> {
        let from = self.from.map(|from| end.is_null().or(end.gte(from)));
        let to = self.to.map(|to| start.lte(to));
        match (from, to) {
            (Some(from), Some(to)) => Some(from.and(to)),
            (from, to) => from.or(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() -> ApiResult<()> {
        let cursor = Cursor {
            order: "START_DATE_DESC".into(),
            key: Some("2024-05-01".into()),
            id: Uuid::nil(),
        };
        assert_eq!(Cursor::decode(&cursor.encode(), "after")?, cursor);
        let unkeyed = Cursor {
            key: None,
            ..cursor
        };
        assert_eq!(Cursor::decode(&unkeyed.encode(), "before")?, unkeyed);
        assert!(Cursor::decode("not a cursor", "after").is_err());
        assert!(matches!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{}"), "before"),
            Err(ApiError::BadUserInput(fields)) if fields[0].field == "before"
        ));
        Ok(())
    }

    fn request(first: Option<i32>, last: Option<i32>) -> ApiResult<PageArgs> {
        PageArgs::new(
            PageRequest {
                first,
                last,
                ..PageRequest::default()
            },
            false,
        )
    }

    fn named(result: ApiResult<PageArgs>) -> Vec<String> {
        match result {
            Err(ApiError::BadUserInput(fields)) => fields.into_iter().map(|f| f.field).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn page_size_is_between_one_and_a_hundred_from_either_end() {
        let size = |result: ApiResult<PageArgs>| result.map(|page| (page.size, page.from_end)).ok();
        assert_eq!(size(request(None, None)), Some((20, false)));
        assert_eq!(size(request(Some(100), None)), Some((100, false)));
        assert_eq!(size(request(None, Some(1))), Some((1, true)));
        assert_eq!(size(request(None, Some(100))), Some((100, true)));
        for size in [0, -1, 101, i32::MAX] {
            assert_eq!(named(request(Some(size), None)), ["first"]);
            assert_eq!(named(request(None, Some(size))), ["last"]);
        }
        assert_eq!(named(request(Some(5), Some(5))), ["first", "last"]);
    }

    #[test]
    fn a_last_page_is_put_back_in_order_with_the_flags_relay_asks_for() -> ApiResult<()> {
        let cursor = |id: &u128| Cursor {
            order: "X".into(),
            key: None,
            id: Uuid::from_u128(*id),
        };
        let before = Some(cursor(&9));
        // Read backward: the rows nearest the end first, one more than the page.
        let backward = PageArgs {
            before: before.clone(),
            ..request(None, Some(2))?
        };
        let page = Page::from_rows(vec![8, 7, 6], &backward, cursor);
        let ids: Vec<u128> = page.items.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids, [7, 8]);
        assert!(page.has_previous_page && page.has_next_page);
        let start = Page::from_rows(vec![2, 1], &backward, cursor);
        assert!(!start.has_previous_page);
        let forward = request(Some(2), None)?;
        let page = Page::from_rows(vec![1, 2], &forward, cursor);
        assert!(!page.has_previous_page && !page.has_next_page);
        Ok(())
    }

    #[test]
    fn date_ranges_must_not_end_before_they_start() {
        let day = |d| NaiveDate::from_ymd_opt(2025, 1, d);
        assert!(DateRange::new(day(2), day(1), "dateRange").is_err());
        assert!(DateRange::new(day(1), day(1), "dateRange").is_ok());
        assert!(DateRange::new(None, day(1), "dateRange").is_ok());
    }
}
