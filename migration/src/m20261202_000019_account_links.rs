//! Links mailed to account owners (issue 17): invitations and password resets.
//!
//! - `account_token`: one single-use link per row. Only the SHA-256 of the link's secret is
//!   kept (the secret has 256 random bits, so a fast hash is enough: nothing can be guessed
//!   back from it); `used_at` is set by an update guarded on it being empty, so a link works
//!   once even when two requests race. A row goes with its account.
//! - `password_reset_request`: when, and from which client address, a reset was asked for,
//!   known account or not: the database-backed limit per address (so it holds across server
//!   processes). Rows older than a day are deleted as new ones come.
//! - `mail_outbox.holds_link`: the message's body holds such a link; it is emptied once the
//!   message is sent (or given up), so that the outbox does not keep working links.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountToken::Table)
                    .col(uuid(AccountToken::Id).primary_key())
                    .col(uuid(AccountToken::AccountId))
                    .col(string_len(AccountToken::Purpose, 32))
                    .col(string_len(AccountToken::TokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(AccountToken::CreatedAt))
                    .col(timestamp_with_time_zone(AccountToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AccountToken::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_token_account_id")
                            .from(AccountToken::Table, AccountToken::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_account_token_purpose",
                        Expr::col(AccountToken::Purpose).is_in(["INVITATION", "PASSWORD_RESET"]),
                    ))
                    .to_owned(),
            )
            .await?;
        // An account's links of one kind, newest last: the per-account limit and the
        // invalidation of older links.
        create_index(
            manager,
            "idx_account_token_account_id_purpose_created_at",
            AccountToken::Table,
            [
                AccountToken::AccountId,
                AccountToken::Purpose,
                AccountToken::CreatedAt,
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResetRequest::Table)
                    .col(uuid(PasswordResetRequest::Id).primary_key())
                    .col(string_len_null(PasswordResetRequest::ClientAddress, 45))
                    .col(timestamp_with_time_zone(PasswordResetRequest::At))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_password_reset_request_client_address_at",
            PasswordResetRequest::Table,
            [
                PasswordResetRequest::ClientAddress,
                PasswordResetRequest::At,
            ],
        )
        .await?;
        create_index(
            manager,
            "idx_password_reset_request_at",
            PasswordResetRequest::Table,
            [PasswordResetRequest::At],
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MailOutbox::Table)
                    .add_column(boolean(MailOutbox::HoldsLink).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MailOutbox::Table)
                    .drop_column(MailOutbox::HoldsLink)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PasswordResetRequest::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AccountToken::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AccountToken {
    Table,
    Id,
    AccountId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum PasswordResetRequest {
    Table,
    Id,
    ClientAddress,
    At,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    HoldsLink,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}
