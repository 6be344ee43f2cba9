//! Idempotency keys (the IETF httpapi draft's `Idempotency-Key` header) of mutations: one row
//! per account and key, claimed by an insert that the unique index makes atomic across every
//! server process, marked in the same transaction as the mutation's writes, and holding the
//! first answer (encrypted) for 24 hours.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const STATES: [&str; 4] = ["IN_FLIGHT", "COMMITTED", "DONE", "ERASED"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .col(uuid(IdempotencyKey::Id).primary_key())
                    .col(uuid(IdempotencyKey::AccountId))
                    .col(string_len(IdempotencyKey::Key, 255))
                    .col(string_len_null(IdempotencyKey::RequestHash, 64))
                    .col(uuid(IdempotencyKey::Attempt))
                    .col(string_len(IdempotencyKey::State, 32))
                    .col(string_len_null(IdempotencyKey::EntityType, 64))
                    .col(uuid_null(IdempotencyKey::EntityId))
                    .col(small_integer_null(IdempotencyKey::Status))
                    .col(string_len_null(IdempotencyKey::ContentType, 64))
                    .col(blob_null(IdempotencyKey::Answer))
                    .col(boolean(IdempotencyKey::IdentifyingRead).default(false))
                    .col(timestamp_with_time_zone(IdempotencyKey::ClaimedAt))
                    .col(timestamp_with_time_zone(IdempotencyKey::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_idempotency_key_account_id")
                            .from(IdempotencyKey::Table, IdempotencyKey::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_idempotency_key_state",
                        Expr::col(IdempotencyKey::State).is_in(STATES),
                    ))
                    .to_owned(),
            )
            .await?;
        // The claim: of two inserts of one account's key, exactly one succeeds.
        manager
            .create_index(
                Index::create()
                    .name("uq_idempotency_key_account_id_key")
                    .table(IdempotencyKey::Table)
                    .col(IdempotencyKey::AccountId)
                    .col(IdempotencyKey::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The purge of expired rows.
        create_index(
            manager,
            "idx_idempotency_key_expires_at",
            IdempotencyKey::Table,
            [IdempotencyKey::ExpiresAt],
        )
        .await?;
        // The erasure of the answers about a case whose consent was withdrawn.
        create_index(
            manager,
            "idx_idempotency_key_entity_type_entity_id",
            IdempotencyKey::Table,
            [IdempotencyKey::EntityType, IdempotencyKey::EntityId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKey::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    Id,
    AccountId,
    Key,
    RequestHash,
    Attempt,
    State,
    EntityType,
    EntityId,
    Status,
    ContentType,
    Answer,
    IdentifyingRead,
    ClaimedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}
