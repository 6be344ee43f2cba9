//! Text stored once per language (`en`, `ru`, `tg`), as one JSON object per column.

use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

/// A text in up to three languages; at least one is present (checked by the services).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Localized {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tg: Option<String>,
}

impl Localized {
    /// A text given in English only.
    pub fn en(text: impl Into<String>) -> Self {
        Self {
            en: Some(text.into()),
            ..Self::default()
        }
    }

    /// The present translations, in the order `en`, `ru`, `tg`.
    pub fn present(&self) -> impl Iterator<Item = &str> {
        [&self.en, &self.ru, &self.tg]
            .into_iter()
            .filter_map(|text| text.as_deref())
    }

    /// True when no language has any text.
    pub fn is_empty(&self) -> bool {
        self.present().all(|text| text.trim().is_empty())
    }
}

/// A list of short codes stored as a JSON array (for example the languages a centre speaks).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct CodeList(pub Vec<String>);
