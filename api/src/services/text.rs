//! Derived text columns: `search_text` (what text search matches) and `sort_name` (what lists
//! sort by). Every write of a searchable row computes them here, so search behaves the same for
//! rows written by the API and by the demo loader.

use entity::Localized;

use crate::error::FieldError;

/// Lower-cased concatenation of every present part, separated by newlines.
///
/// Search lower-cases the query the same way and matches with `LIKE '%query%'`, which keeps it
/// identical on SQLite and PostgreSQL and lets it match Cyrillic text in any case.
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The key a localized name sorts by: English if present, else the first language present.
pub fn sort_name(name: &Localized) -> String {
    name.present()
        .next()
        .map(|text| text.trim().to_lowercase())
        .unwrap_or_default()
}

/// A translated text from input: each language trimmed, empty ones dropped, none longer than
/// `max` characters, at least one present. Problems are pushed onto `problems` naming `field`
/// (or `field.ru` for one language).
pub fn clean_localized(
    text: &Localized,
    field: &str,
    max: usize,
    problems: &mut Vec<FieldError>,
) -> Localized {
    let cleaned = clean_optional_localized(text, field, max, problems);
    if cleaned.is_empty() {
        problems.push(FieldError {
            field: field.to_owned(),
            message: "Give the text in at least one language (en, ru or tg).".to_owned(),
        });
    }
    cleaned
}

/// As [`clean_localized`], for a text that may be empty in every language (a summary).
pub fn clean_optional_localized(
    text: &Localized,
    field: &str,
    max: usize,
    problems: &mut Vec<FieldError>,
) -> Localized {
    let clean = |value: &Option<String>, language: &str, problems: &mut Vec<FieldError>| {
        let value = value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())?;
        if value.chars().count() > max {
            problems.push(FieldError {
                field: format!("{field}.{language}"),
                message: format!("At most {max} characters."),
            });
        }
        Some(value.to_owned())
    };
    Localized {
        en: clean(&text.en, "en", problems),
        ru: clean(&text.ru, "ru", problems),
        tg: clean(&text.tg, "tg", problems),
    }
}

/// Records that the input field `input.<field>` is missing, when it is.
pub fn require(problems: &mut Vec<FieldError>, field: &str, present: bool) {
    if !present {
        problems.push(FieldError {
            field: format!("input.{field}"),
            message: format!("`{field}` is required."),
        });
    }
}
