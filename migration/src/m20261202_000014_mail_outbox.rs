//! The mail outbox: one row per message, written in the transaction of the change that causes
//! it and sent by the delivery loop of whichever server process claims it first (a lease in
//! `claimed_until`, taken under `FOR UPDATE SKIP LOCKED` on PostgreSQL and by a guarded update
//! on SQLite). A row is kept once sent, with its attempts and the kind of its last failure.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const LANGUAGES: [&str; 3] = ["en", "ru", "tg"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(uuid(MailOutbox::Id).primary_key())
                    .col(string_len(MailOutbox::Recipient, 254))
                    .col(string_len(MailOutbox::Language, 32))
                    .col(string_len(MailOutbox::Subject, 255))
                    .col(text(MailOutbox::Body))
                    .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                    .col(integer(MailOutbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                    .col(string_len_null(MailOutbox::LastError, 32))
                    .col(timestamp_with_time_zone_null(MailOutbox::ClaimedUntil))
                    .check(Check::named(
                        "ck_mail_outbox_language",
                        Expr::col(MailOutbox::Language).is_in(LANGUAGES),
                    ))
                    .to_owned(),
            )
            .await?;
        // The delivery loop's claim: the unsent rows that are due, oldest due first.
        create_index(
            manager,
            "idx_mail_outbox_sent_at_next_attempt_at",
            MailOutbox::Table,
            [MailOutbox::SentAt, MailOutbox::NextAttemptAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Language,
    Subject,
    Body,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    SentAt,
    LastError,
    ClaimedUntil,
}
