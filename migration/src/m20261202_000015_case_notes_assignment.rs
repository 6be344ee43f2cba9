//! Follow-up notes on a case, and who in each party organisation works it.
//!
//! - `case_note`: a party's note on a case. Its text is free text, so identifying: sealed with
//!   the case's own key (bound to the note's row and column) and cleared when consent is
//!   withdrawn, in the same transaction.
//! - `case_assignment`: one row per case and party organisation, naming the member who works
//!   the case for that organisation. A case has two parties, each with its own queue, so each
//!   side has its own row (no row: unassigned). A row goes with its account (ON DELETE
//!   CASCADE: unassigned) and with its case; the services delete it when the organisation stops
//!   being a party (an onward referral).

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
                    .table(CaseNote::Table)
                    .col(uuid(CaseNote::Id).primary_key())
                    .col(uuid(CaseNote::CaseId))
                    .col(uuid(CaseNote::AuthorAccountId))
                    .col(uuid(CaseNote::AuthorOrganisationId))
                    .col(timestamp_with_time_zone(CaseNote::At))
                    .col(blob_null(CaseNote::TextSealed))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_note_case_id")
                            .from(CaseNote::Table, CaseNote::CaseId)
                            .to(ReferralCase::Table, ReferralCase::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_note_author_account_id")
                            .from(CaseNote::Table, CaseNote::AuthorAccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_note_author_organisation_id")
                            .from(CaseNote::Table, CaseNote::AuthorOrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // A case's notes, oldest first.
        create_index(
            manager,
            "idx_case_note_case_id_at",
            CaseNote::Table,
            [CaseNote::CaseId, CaseNote::At],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseAssignment::Table)
                    .col(uuid(CaseAssignment::CaseId))
                    .col(uuid(CaseAssignment::OrganisationId))
                    .col(uuid(CaseAssignment::AccountId))
                    .col(timestamp_with_time_zone(CaseAssignment::AssignedAt))
                    .primary_key(
                        Index::create()
                            .col(CaseAssignment::CaseId)
                            .col(CaseAssignment::OrganisationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_assignment_case_id")
                            .from(CaseAssignment::Table, CaseAssignment::CaseId)
                            .to(ReferralCase::Table, ReferralCase::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_assignment_organisation_id")
                            .from(CaseAssignment::Table, CaseAssignment::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_assignment_account_id")
                            .from(CaseAssignment::Table, CaseAssignment::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The `assignedToMe` filter: a member's cases.
        create_index(
            manager,
            "idx_case_assignment_account_id_case_id",
            CaseAssignment::Table,
            [CaseAssignment::AccountId, CaseAssignment::CaseId],
        )
        .await?;
        // The `unassigned` filter: the cases an organisation has assigned.
        create_index(
            manager,
            "idx_case_assignment_organisation_id_case_id",
            CaseAssignment::Table,
            [CaseAssignment::OrganisationId, CaseAssignment::CaseId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseAssignment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CaseNote::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CaseNote {
    Table,
    Id,
    CaseId,
    AuthorAccountId,
    AuthorOrganisationId,
    At,
    TextSealed,
}

#[derive(DeriveIden)]
enum CaseAssignment {
    Table,
    CaseId,
    OrganisationId,
    AccountId,
    AssignedAt,
}

#[derive(DeriveIden)]
enum ReferralCase {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}
