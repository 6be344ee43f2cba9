//! The append-only audit log. It has no foreign keys on purpose: entries must outlive the
//! accounts, organisations and records they mention.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const ROLES: [&str; 4] = ["PARTNER", "PARTNER_MANAGER", "STAFF", "ADMIN"];
const AUDIT_OUTCOMES: [&str; 3] = ["SUCCESS", "DENIED", "FAILURE"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEntry::Table)
                    .col(uuid(AuditEntry::Id).primary_key())
                    .col(timestamp_with_time_zone(AuditEntry::At))
                    .col(uuid_null(AuditEntry::ActorAccountId))
                    .col(string_len_null(AuditEntry::ActorRole, 32))
                    .col(uuid_null(AuditEntry::ActorOrganisationId))
                    .col(string(AuditEntry::Action))
                    .col(string_null(AuditEntry::EntityType))
                    .col(uuid_null(AuditEntry::EntityId))
                    .col(string_len(AuditEntry::Outcome, 32))
                    .col(string_null(AuditEntry::RequestId))
                    .col(json_binary_null(AuditEntry::Detail))
                    .check(Check::named(
                        "ck_audit_entry_actor_role",
                        Expr::col(AuditEntry::ActorRole)
                            .is_null()
                            .or(Expr::col(AuditEntry::ActorRole).is_in(ROLES)),
                    ))
                    .check(Check::named(
                        "ck_audit_entry_outcome",
                        Expr::col(AuditEntry::Outcome).is_in(AUDIT_OUTCOMES),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_audit_entry_at_id",
            AuditEntry::Table,
            [AuditEntry::At, AuditEntry::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_audit_entry_actor_account_id_at",
            AuditEntry::Table,
            [AuditEntry::ActorAccountId, AuditEntry::At],
        )
        .await?;
        create_index(
            manager,
            "idx_audit_entry_entity_type_entity_id",
            AuditEntry::Table,
            [AuditEntry::EntityType, AuditEntry::EntityId],
        )
        .await?;
        create_index(
            manager,
            "idx_audit_entry_action_at",
            AuditEntry::Table,
            [AuditEntry::Action, AuditEntry::At],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEntry::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEntry {
    Table,
    Id,
    At,
    ActorAccountId,
    ActorRole,
    ActorOrganisationId,
    Action,
    EntityType,
    EntityId,
    Outcome,
    RequestId,
    Detail,
}
