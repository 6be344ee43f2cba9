//! Persisted query documents, by the SHA-256 of their text: the documents clients registered
//! through Apollo's automatic persisted queries, and the operator's allow-list
//! (`portal persisted-queries add`). In the database rather than one process's memory, so that
//! every server process knows every hash.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const NAME_LAST_USED: &str = "idx_persisted_query_listed_last_used_at";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersistedQuery::Table)
                    .col(string_len(PersistedQuery::Hash, 64).primary_key())
                    .col(text(PersistedQuery::Document))
                    .col(boolean(PersistedQuery::Listed))
                    .col(timestamp_with_time_zone(PersistedQuery::CreatedAt))
                    .col(timestamp_with_time_zone(PersistedQuery::LastUsedAt))
                    // A SHA-256 in lower-case hex: one spelling per document.
                    .check(Check::named(
                        "ck_persisted_query_hash",
                        Expr::expr(Func::char_length(Expr::col(PersistedQuery::Hash)))
                            .eq(64)
                            .and(
                                Expr::expr(Func::lower(Expr::col(PersistedQuery::Hash)))
                                    .eq(Expr::col(PersistedQuery::Hash)),
                            ),
                    ))
                    .to_owned(),
            )
            .await?;
        // The eviction of the least recently used registered documents.
        create_index(
            manager,
            NAME_LAST_USED,
            PersistedQuery::Table,
            [PersistedQuery::Listed, PersistedQuery::LastUsedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersistedQuery::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersistedQuery {
    Table,
    Hash,
    Document,
    Listed,
    CreatedAt,
    LastUsedAt,
}
