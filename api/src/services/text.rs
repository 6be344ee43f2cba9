//! Derived text columns: `search_text` (what text search matches) and `sort_name` (what lists
//! sort by). Every write of a searchable row computes them here, so search behaves the same for
//! rows written by the API and by the demo loader.

use entity::Localized;

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
