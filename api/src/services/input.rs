//! One way to check a write's input. A service's `validate` merges the input over the stored
//! row ([`Stored`]), gathers every invalid field in a [`Problems`] (so one answer names them
//! all in `extensions.fields`, at paths like `input.title.en`), parses values into the types of
//! [`super::values`], and ends with [`Problems::finish_with`]: the valid value, or one
//! `BAD_USER_INPUT` listing the problems in the order they were found.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use entity::Localized;

use super::values::Invalid;
use crate::error::{ApiError, ApiResult, FieldError};

/// The stored row an update is merged over, or none when the input creates a row: a field the
/// update leaves out keeps its stored value, and on creation it is missing.
pub struct Stored<'a, M>(Option<&'a M>);

// Derived, these would ask `M: Copy`; the reference is copied, never the row.
impl<M> Clone for Stored<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Stored<'_, M> {}

impl<'a, M> Stored<'a, M> {
    /// The row being changed (`None` on creation).
    pub fn new(row: Option<&'a M>) -> Self {
        Self(row)
    }

    /// The row being changed, if any.
    pub fn row(self) -> Option<&'a M> {
        self.0
    }

    /// The given value, else the stored one (`None` when creating without it).
    pub fn or<T>(self, given: Option<T>, stored: impl FnOnce(&'a M) -> T) -> Option<T> {
        given.or_else(|| self.0.map(stored))
    }

    /// For a field an update may clear (given as `Some(None)`): the given value, even none,
    /// else the stored one.
    pub fn or_cleared<T>(
        self,
        given: Option<Option<T>>,
        stored: impl FnOnce(&'a M) -> Option<T>,
    ) -> Option<T> {
        given.unwrap_or_else(|| self.0.and_then(stored))
    }
}

/// The problem of a required input field, `input.<name>`, that is missing.
pub fn missing(name: &str) -> FieldError {
    FieldError {
        field: format!("input.{name}"),
        message: format!("`{name}` is required."),
    }
}

/// A text from input as it is kept: trimmed, and none when nothing is left.
pub fn trimmed(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Codes chosen from a list, as a set: sorted, each once.
pub fn unique<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort_unstable();
    values.dedup();
    values
}

/// The invalid fields of one input, in the order they were found.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// No problems yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that the field at `path` is invalid, and why.
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: path.into(),
            message: message.into(),
        });
    }

    /// Records `message` at `path` unless `valid`.
    pub fn check(&mut self, valid: bool, path: &str, message: impl Into<String>) {
        if !valid {
            self.add(path, message);
        }
    }

    /// `value`, or a record that the input field `input.<name>` is missing.
    pub fn required<T>(&mut self, name: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.0.push(missing(name));
        }
        value
    }

    /// The parsed value, or a record of why it was refused, at `path`.
    pub fn parse<T>(&mut self, path: &str, parsed: Result<T, Invalid>) -> Option<T> {
        parsed.map_err(|invalid| self.add(path, invalid)).ok()
    }

    /// An optional text parsed when present ([`trimmed`] first: an empty one is absent). `None`
    /// both when absent and when refused; a refusal is recorded at `path`.
    pub fn parse_optional<T>(
        &mut self,
        path: &str,
        value: Option<String>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        trimmed(value).and_then(|value| self.parse(path, parse(&value)))
    }

    /// A free text ([`trimmed`]) of at most `max` characters.
    pub fn text(&mut self, path: &str, value: Option<String>, max: usize) -> Option<String> {
        self.text_or(path, value, max, format!("At most {max} characters."))
    }

    /// As [`Problems::text`], with the field's own sentence for a text that is too long.
    pub fn text_or(
        &mut self,
        path: &str,
        value: Option<String>,
        max: usize,
        too_long: impl Into<String>,
    ) -> Option<String> {
        let value = trimmed(value)?;
        self.check(value.chars().count() <= max, path, too_long);
        Some(value)
    }

    /// A translated text that may be empty in every language (a summary): each language a
    /// [`Problems::text`] at `<path>.<language>` (`input.summary.ru`).
    pub fn optional_translations(&mut self, path: &str, text: &Localized, max: usize) -> Localized {
        let mut language = |value: &Option<String>, code: &str| {
            self.text(&format!("{path}.{code}"), value.clone(), max)
        };
        Localized {
            en: language(&text.en, "en"),
            ru: language(&text.ru, "ru"),
            tg: language(&text.tg, "tg"),
        }
    }

    /// A translated text present in at least one language.
    pub fn translations(&mut self, path: &str, text: &Localized, max: usize) -> Localized {
        let cleaned = self.optional_translations(path, text, max);
        self.check(
            !cleaned.is_empty(),
            path,
            "Give the text in at least one language (en, ru or tg).",
        );
        cleaned
    }

    /// The translated text of the required input field `input.<name>`.
    pub fn required_translations(
        &mut self,
        name: &str,
        text: Option<Localized>,
        max: usize,
    ) -> Localized {
        match self.required(name, text) {
            Some(text) => self.translations(&format!("input.{name}"), &text, max),
            None => Localized::default(),
        }
    }

    /// Records `message` at `path` for a number outside `range`.
    pub fn in_range(
        &mut self,
        path: &str,
        value: i32,
        range: RangeInclusive<i32>,
        message: impl Into<String>,
    ) {
        self.check(range.contains(&value), path, message);
    }

    /// Records, at `path` (the end's field), an end before the start of `what` ("project").
    pub fn dates_in_order(
        &mut self,
        path: &str,
        what: &str,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) {
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            self.add(
                path,
                format!("The {what} cannot end ({end}) before it starts ({start})."),
            );
        }
    }

    /// Records `message` at `path` for an empty list.
    pub fn not_empty<T>(&mut self, path: &str, values: &[T], message: impl Into<String>) {
        self.check(!values.is_empty(), path, message);
    }

    /// Whether nothing was found wrong so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Nothing, or the problems as one error.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming every problem recorded.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::BadUserInput(self.0))
        }
    }

    /// The valid value, built by `build` when no problem was recorded. `build` puts together
    /// the parts that passed; it answers `None` only for a missing part, which has been
    /// recorded as a problem already.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming every problem recorded.
    pub fn finish_with<T>(self, build: impl FnOnce() -> Option<T>) -> ApiResult<T> {
        if !self.0.is_empty() {
            return Err(ApiError::BadUserInput(self.0));
        }
        build().ok_or(ApiError::BadUserInput(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(problems: Problems) -> Vec<(String, String)> {
        match problems.finish() {
            Ok(()) => Vec::new(),
            Err(ApiError::BadUserInput(fields)) => fields
                .into_iter()
                .map(|field| (field.field, field.message))
                .collect(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(field, message)| ((*field).to_owned(), (*message).to_owned()))
            .collect()
    }

    #[test]
    fn translations_are_trimmed_bounded_per_language_and_required_in_one() {
        let mut problems = Problems::new();
        let text = Localized {
            en: Some("  Forum  ".into()),
            ru: Some("   ".into()),
            tg: Some("ab".repeat(3)),
        };
        let cleaned = problems.translations("input.title", &text, 5);
        assert_eq!(cleaned.en.as_deref(), Some("Forum"));
        assert_eq!(cleaned.ru, None);
        let empty = problems.translations("input.name", &Localized::default(), 5);
        assert!(empty.is_empty());
        let missing = problems.required_translations("address", None, 5);
        assert!(missing.is_empty());
        assert_eq!(
            fields(problems),
            pairs(&[
                ("input.title.tg", "At most 5 characters."),
                (
                    "input.name",
                    "Give the text in at least one language (en, ru or tg)."
                ),
                ("input.address", "`address` is required."),
            ])
        );
    }

    #[test]
    fn an_update_keeps_what_it_leaves_out_and_clears_what_it_gives_as_none() {
        struct Row {
            kind: u8,
            venue: Option<&'static str>,
        }
        let row = Row {
            kind: 1,
            venue: Some("Hall"),
        };
        let update = Stored::new(Some(&row));
        assert_eq!(update.or(None, |row| row.kind), Some(1));
        assert_eq!(update.or(Some(2), |row| row.kind), Some(2));
        assert_eq!(update.or_cleared(None, |row| row.venue), Some("Hall"));
        assert_eq!(update.or_cleared(Some(None), |row| row.venue), None);
        let creation = Stored::<Row>::new(None);
        assert_eq!(creation.or(None, |row| row.kind), None);
        assert_eq!(creation.or_cleared(None, |row| row.venue), None);
    }

    #[test]
    fn finishing_names_every_problem_or_gives_the_value() {
        assert_eq!(Problems::new().finish_with(|| Some(3)).ok(), Some(3));
        let mut problems = Problems::new();
        let start = NaiveDate::from_ymd_opt(2025, 5, 2);
        let end = NaiveDate::from_ymd_opt(2025, 5, 1);
        problems.dates_in_order("input.endsOn", "event", start, end);
        problems.in_range("input.count", -1, 0..=10, "A count is 0 to 10.");
        problems.not_empty::<u8>("lines", &[], "Report at least one.");
        assert_eq!(
            problems.text_or("input.venue", Some(" abc ".into()), 2, "Too long."),
            Some("abc".to_owned())
        );
        assert_eq!(
            fields(problems),
            pairs(&[
                (
                    "input.endsOn",
                    "The event cannot end (2025-05-01) before it starts (2025-05-02)."
                ),
                ("input.count", "A count is 0 to 10."),
                ("lines", "Report at least one."),
                ("input.venue", "Too long."),
            ])
        );
    }
}

/// What an import of a CSV file did (or, in a dry run, would do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Records in the file: reports (a centre and month), or events.
    pub reports: usize,
    /// Of those, the ones that are new or change what is stored.
    pub changed: usize,
}
