//! Each referral case's identifying data under a key of its own (crypto-shredding), and the
//! free text of a case sealed like its identifying fields.
//!
//! - `referral_case.data_key`: the case's own key, wrapped under the configured data keys.
//!   Erasure deletes it, so every copy of the case's sealed values (in dead rows, the
//!   write-ahead log or a backup) becomes unreadable once the data keys that wrapped it are
//!   retired.
//! - `referral_case.consent_scope_sealed` and `referral_transition.comment_sealed`: the consent
//!   scope and the workflow comments, sealed with the case's key.
//!
//! A migration has no keys, so it cannot seal what is already stored: the server does that at
//! start (`services::cases::seal_stored`), moving the plain `consent_scope` and `comment`
//! values of existing rows into the sealed columns and clearing them, and erasing the free text
//! of cases whose consent was withdrawn before. The plain columns stay, always empty after that,
//! until a later migration drops them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for column in [ReferralCase::DataKey, ReferralCase::ConsentScopeSealed] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReferralCase::Table)
                        .add_column(blob_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ReferralTransition::Table)
                    .add_column(blob_null(ReferralTransition::CommentSealed))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ReferralTransition::Table)
                    .drop_column(ReferralTransition::CommentSealed)
                    .to_owned(),
            )
            .await?;
        for column in [ReferralCase::ConsentScopeSealed, ReferralCase::DataKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReferralCase::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ReferralCase {
    Table,
    DataKey,
    ConsentScopeSealed,
}

#[derive(DeriveIden)]
enum ReferralTransition {
    Table,
    CommentSealed,
}
