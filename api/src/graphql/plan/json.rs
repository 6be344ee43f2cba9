//! The answer of a compiled plan, written straight as JSON bytes: no `Value` tree; strings,
//! numbers, enums and scalars written by `serde_json` from the same values as the executor's
//! (its `verify` mode compares the two answers).

use async_graphql::{ScalarType, Value};
use chrono::NaiveDate;
use entity::Localized;

use super::{Item, Translation};
use crate::graphql::common::pick;
use entity::enums::Language;

/// A response being written.
pub(super) struct Json {
    bytes: Vec<u8>,
    /// Whether the object or list just opened has no member yet (no comma before the next).
    fresh: bool,
}

impl Json {
    /// An answer whose `data` is about to be written.
    pub(super) fn data(capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity);
        bytes.extend_from_slice(b"{\"data\":");
        Self { bytes, fresh: true }
    }

    /// The whole answer.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.bytes.push(b'}');
        self.bytes
    }

    pub(super) fn open_object(&mut self) {
        self.bytes.push(b'{');
        self.fresh = true;
    }

    pub(super) fn close_object(&mut self) {
        self.bytes.push(b'}');
        self.fresh = false;
    }

    pub(super) fn open_list(&mut self) {
        self.bytes.push(b'[');
        self.fresh = true;
    }

    pub(super) fn close_list(&mut self) {
        self.bytes.push(b']');
        self.fresh = false;
    }

    /// Before a member of a list.
    pub(super) fn item(&mut self) {
        if !self.fresh {
            self.bytes.push(b',');
        }
        self.fresh = false;
    }

    /// A member's name, then its value is written.
    pub(super) fn key(&mut self, key: &str) {
        self.item();
        self.string(key);
        self.bytes.push(b':');
        self.fresh = true;
    }

    pub(super) fn string(&mut self, text: &str) {
        // Writing a string into a vector cannot fail.
        let _ = serde_json::to_writer(&mut self.bytes, text);
        self.fresh = false;
    }

    pub(super) fn optional_string(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.string(text),
            None => self.null(),
        }
    }

    pub(super) fn null(&mut self) {
        self.bytes.extend_from_slice(b"null");
        self.fresh = false;
    }

    pub(super) fn boolean(&mut self, value: bool) {
        self.bytes
            .extend_from_slice(if value { b"true" } else { b"false" });
        self.fresh = false;
    }

    pub(super) fn int(&mut self, value: i64) {
        self.bytes.extend_from_slice(value.to_string().as_bytes());
        self.fresh = false;
    }

    /// A value as the executor renders it (an enum's name, a scalar's form).
    pub(super) fn value(&mut self, value: &Value) {
        let _ = serde_json::to_writer(&mut self.bytes, value);
        self.fresh = false;
    }

    /// A day, as the `NaiveDate` scalar writes it.
    pub(super) fn date(&mut self, day: NaiveDate) {
        self.value(&day.to_value());
    }

    pub(super) fn optional_date(&mut self, day: Option<NaiveDate>) {
        match day {
            Some(day) => self.date(day),
            None => self.null(),
        }
    }

    /// A text in `language`, else in any language present (as `common::translated`).
    pub(super) fn translated(&mut self, text: &Localized, language: Language) {
        self.string(&pick(text, language));
    }

    /// `Translations`: every language asked for, absent ones null.
    pub(super) fn translations(&mut self, text: &Localized, fields: &[Item<Translation>]) {
        self.open_object();
        for item in fields {
            self.key(&item.key);
            match item.field {
                Translation::Typename => self.string("Translations"),
                Translation::In(Language::En) => self.optional_string(text.en.as_deref()),
                Translation::In(Language::Ru) => self.optional_string(text.ru.as_deref()),
                Translation::In(Language::Tg) => self.optional_string(text.tg.as_deref()),
            }
        }
        self.close_object();
    }
}
