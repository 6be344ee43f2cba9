//! A centre's search text in two parts: `search_text` holds what every reader of the centre
//! reads (name, district), `search_text_restricted` the address, which the public may not read
//! for a shelter. Search matches the second part only where the reader may read the address;
//! one column for both let the public find a shelter by its street.
//!
//! Existing rows are split here, with this migration's own copy of how search text is made
//! (lower-cased, trimmed, non-empty parts joined by newlines), so that it never changes under
//! an applied migration.

use sea_orm::{ConnectionTrait, JsonValue, prelude::Uuid};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The search text of `parts`: lower-cased, trimmed, non-empty, one a line.
fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The translations of a localized text, in the order `en`, `ru`, `tg`.
fn translations(text: &JsonValue) -> impl Iterator<Item = &str> {
    ["en", "ru", "tg"]
        .into_iter()
        .filter_map(|language| text.get(language).and_then(JsonValue::as_str))
}

/// A centre's texts that search text is made of.
struct Texts {
    name: JsonValue,
    district: String,
    address: JsonValue,
}

/// Sets the search columns of every centre to what `search_columns` makes of its texts.
async fn rewrite_search_text(
    manager: &SchemaManager<'_>,
    search_columns: impl Fn(&Texts) -> Vec<(ResourceCentre, String)>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let rows = db
        .query_all(
            &Query::select()
                .columns([
                    ResourceCentre::Id,
                    ResourceCentre::Name,
                    ResourceCentre::District,
                    ResourceCentre::Address,
                ])
                .from(ResourceCentre::Table)
                .to_owned(),
        )
        .await?;
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let texts = Texts {
            name: row.try_get("", "name")?,
            district: row.try_get("", "district")?,
            address: row.try_get("", "address")?,
        };
        let values = search_columns(&texts)
            .into_iter()
            .map(|(column, value)| (column, value.into()));
        db.execute(
            &Query::update()
                .table(ResourceCentre::Table)
                .values(values)
                .and_where(Expr::col(ResourceCentre::Id).eq(id))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ResourceCentre::Table)
                    .add_column(text(ResourceCentre::SearchTextRestricted).default(""))
                    .to_owned(),
            )
            .await?;
        rewrite_search_text(manager, |texts| {
            vec![
                (
                    ResourceCentre::SearchText,
                    search_text(translations(&texts.name).chain([texts.district.as_str()])),
                ),
                (
                    ResourceCentre::SearchTextRestricted,
                    search_text(translations(&texts.address)),
                ),
            ]
        })
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The address back in the one search text, as before.
        rewrite_search_text(manager, |texts| {
            vec![(
                ResourceCentre::SearchText,
                search_text(
                    translations(&texts.name)
                        .chain(translations(&texts.address))
                        .chain([texts.district.as_str()]),
                ),
            )]
        })
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ResourceCentre::Table)
                    .drop_column(ResourceCentre::SearchTextRestricted)
                    .to_owned(),
            )
            .await
    }
}

#[derive(Clone, Copy, DeriveIden)]
enum ResourceCentre {
    Table,
    Id,
    Name,
    District,
    Address,
    SearchText,
    SearchTextRestricted,
}
