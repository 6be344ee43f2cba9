//! Two-factor recovery codes: ten per account with two-factor authentication on, each usable
//! once at sign-in instead of an authenticator code. Only a hash of each code is stored (see
//! `api/src/services/recovery_codes.rs`); `used_at` marks a spent one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCode::Table)
                    .col(uuid(RecoveryCode::Id).primary_key())
                    .col(uuid(RecoveryCode::AccountId))
                    .col(blob(RecoveryCode::CodeHash))
                    .col(timestamp_with_time_zone(RecoveryCode::CreatedAt))
                    .col(timestamp_with_time_zone_null(RecoveryCode::UsedAt))
                    // The sign-in's look-up of one account's code, the count of its unused
                    // ones, and the foreign key's deletes all start with the account.
                    .index(
                        Index::create()
                            .name("uq_recovery_code_account_id_code_hash")
                            .unique()
                            .col(RecoveryCode::AccountId)
                            .col(RecoveryCode::CodeHash),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_code_account_id")
                            .from(RecoveryCode::Table, RecoveryCode::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecoveryCode::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RecoveryCode {
    Table,
    Id,
    AccountId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}
