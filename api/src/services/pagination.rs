//! Keyset pagination: pages are cut by `(sort key, id) > cursor` on an index, never by
//! `OFFSET`, so page 500 costs what page 1 costs and rows inserted meanwhile do not shift pages.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
    Value,
    sea_query::{Expr, ExprTrait, LikeExpr},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// The page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The longest text search accepted.
pub const MAX_SEARCH_LENGTH: usize = 100;

/// Where a page starts: after the row with this sort key and id, in this ordering.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    pub order: String,
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Cursor {
    /// The opaque text clients pass back as `after`.
    pub fn encode(&self) -> String {
        // Serializing a struct of strings cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor made by [`Cursor::encode`].
    ///
    /// # Errors
    /// `BAD_USER_INPUT` on `after` for anything else.
    pub fn decode(text: &str) -> ApiResult<Self> {
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| ApiError::bad_input("after", "This cursor is not valid."))
    }
}

/// A validated request for one page.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<Cursor>,
    /// Whether the caller wants the total number of matching rows (one more statement).
    pub with_total: bool,
}

impl PageArgs {
    /// Checks `first` (1..=100, default 20) and decodes `after`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `first` or `after`.
    pub fn new(first: Option<i32>, after: Option<&str>, with_total: bool) -> ApiResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(first) => u64::try_from(first)
                .ok()
                .filter(|first| (1..=MAX_PAGE_SIZE).contains(first))
                .ok_or_else(|| {
                    ApiError::bad_input(
                        "first",
                        format!("`first` must be between 1 and {MAX_PAGE_SIZE}, not {first}."),
                    )
                })?,
        };
        let after = after.map(Cursor::decode).transpose()?;
        Ok(Self {
            first,
            after,
            with_total,
        })
    }
}

/// One page of rows, each with its cursor.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<(Cursor, T)>,
    pub has_next_page: bool,
    /// Present when asked for with [`PageArgs::with_total`].
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    /// A page with nothing on it.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_next_page: false,
            total_count: None,
        }
    }

    /// Keeps the first `first` of `rows` (fetched as `first + 1` to learn whether more exist).
    pub fn from_rows(mut rows: Vec<T>, first: u64, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let first = usize::try_from(first).unwrap_or(usize::MAX);
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        Self {
            items: rows.into_iter().map(|row| (cursor_of(&row), row)).collect(),
            has_next_page,
            total_count: None,
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

/// An ordering of a list: one indexed sort column, then the id as a tie-breaker.
pub struct KeysetOrder<E: EntityTrait> {
    /// The `orderBy` value, recorded in cursors so a cursor cannot be used with another order.
    pub name: &'static str,
    pub column: E::Column,
    pub kind: KeyKind,
    pub descending: bool,
    pub id_column: E::Column,
    pub key_of: fn(&E::Model) -> String,
    pub id_of: fn(&E::Model) -> Uuid,
}

impl<E: EntityTrait> KeysetOrder<E> {
    /// The cursor of `model` in this ordering.
    pub fn cursor(&self, model: &E::Model) -> Cursor {
        Cursor {
            order: self.name.to_owned(),
            key: (self.key_of)(model),
            id: (self.id_of)(model),
        }
    }

    fn key_value(&self, cursor: &Cursor) -> ApiResult<Value> {
        let invalid = || ApiError::bad_input("after", "This cursor is not valid.");
        match self.kind {
            KeyKind::Text => Ok(cursor.key.clone().into()),
            KeyKind::Date => NaiveDate::parse_from_str(&cursor.key, "%Y-%m-%d")
                .map(Into::into)
                .map_err(|_| invalid()),
            KeyKind::Timestamp => chrono::DateTime::parse_from_rfc3339(&cursor.key)
                .map(|time| time.with_timezone(&chrono::Utc).into())
                .map_err(|_| invalid()),
        }
    }

    /// Orders `select` and restricts it to the rows after `page.after`, fetching one row more
    /// than the page to learn whether another page follows.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when the cursor belongs to another ordering.
    pub fn apply(&self, select: Select<E>, page: &PageArgs) -> ApiResult<Select<E>> {
        let order = if self.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        let mut select = select
            .order_by(self.column, order.clone())
            .order_by(self.id_column, order)
            .limit(page.first + 1);
        if let Some(cursor) = &page.after {
            if cursor.order != self.name {
                return Err(ApiError::bad_input(
                    "after",
                    format!(
                        "This cursor belongs to the ordering {}, not {}.",
                        cursor.order, self.name
                    ),
                ));
            }
            select = select.filter(self.after_condition(cursor)?);
        }
        Ok(select)
    }

    /// `(sort key, id) > (cursor key, cursor id)` (or `<` when descending), a row-value
    /// comparison that both databases answer from the `(sort key, id)` index.
    pub fn after_condition(&self, cursor: &Cursor) -> ApiResult<Expr> {
        let row = Expr::tuple([self.column.into_expr(), self.id_column.into_expr()]);
        let bound = Expr::tuple([Expr::val(self.key_value(cursor)?), Expr::val(cursor.id)]);
        Ok(if self.descending {
            row.lt(bound)
        } else {
            row.gt(bound)
        })
    }

    /// Runs the page query, and the count when asked for.
    ///
    /// # Errors
    /// As [`KeysetOrder::apply`], and database errors.
    pub async fn fetch<C: ConnectionTrait>(
        &self,
        db: &C,
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
        let rows = self.apply(select, page)?.all(db).await?;
        let mut page = Page::from_rows(rows, page.first, |row| self.cursor(row));
        page.total_count = total_count;
        Ok(page)
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
            key: "2024-05-01".into(),
            id: Uuid::nil(),
        };
        assert_eq!(Cursor::decode(&cursor.encode())?, cursor);
        assert!(Cursor::decode("not a cursor").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{}")).is_err());
        Ok(())
    }

    #[test]
    fn page_size_is_between_one_and_a_hundred() {
        assert_eq!(
            PageArgs::new(None, None, false).map(|page| page.first).ok(),
            Some(20)
        );
        assert_eq!(
            PageArgs::new(Some(100), None, false)
                .map(|page| page.first)
                .ok(),
            Some(100)
        );
        for first in [0, -1, 101, i32::MAX] {
            assert!(matches!(
                PageArgs::new(Some(first), None, false),
                Err(ApiError::BadUserInput(fields)) if fields[0].field == "first"
            ));
        }
    }

    #[test]
    fn date_ranges_must_not_end_before_they_start() {
        let day = |d| NaiveDate::from_ymd_opt(2025, 1, d);
        assert!(DateRange::new(day(2), day(1), "dateRange").is_err());
        assert!(DateRange::new(day(1), day(1), "dateRange").is_ok());
        assert!(DateRange::new(None, day(1), "dateRange").is_ok());
    }
}
