//! The in-app inbox: one row per account told about a referral case (issue 16). A row holds
//! the kind of news and the case's code, never survivor data, so that the inbox needs no join
//! and still shows the code to an organisation that is no longer party to the case.

use sea_orm_migration::{prelude::*, schema::*};

const KINDS: [&str; 8] = [
    "REFERRAL_RECEIVED",
    "REFERRAL_ACCEPTED",
    "REFERRAL_DECLINED",
    "REFERRAL_WITHDRAWN",
    "REFERRED_ONWARD",
    "CASE_CLOSED",
    "CONSENT_WITHDRAWN",
    "DEADLINE_PASSED",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notification::Table)
                    .col(uuid(Notification::Id).primary_key())
                    .col(uuid(Notification::AccountId))
                    .col(string_len(Notification::Kind, 32))
                    .col(uuid_null(Notification::CaseId))
                    .col(string_len_null(Notification::CaseCode, 32))
                    .col(timestamp_with_time_zone(Notification::At))
                    .col(timestamp_with_time_zone_null(Notification::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_account_id")
                            .from(Notification::Table, Notification::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_case_id")
                            .from(Notification::Table, Notification::CaseId)
                            .to(ReferralCase::Table, ReferralCase::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(Check::named(
                        "ck_notification_kind",
                        Expr::col(Notification::Kind).is_in(KINDS),
                    ))
                    .to_owned(),
            )
            .await?;
        // The inbox page: one account's items, newest first (the keyset order).
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_account_id_at_id")
                    .table(Notification::Table)
                    .col(Notification::AccountId)
                    .col((Notification::At, IndexOrder::Desc))
                    .col((Notification::Id, IndexOrder::Desc))
                    .to_owned(),
            )
            .await?;
        // The unread filter and count.
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_account_id_read_at")
                    .table(Notification::Table)
                    .col(Notification::AccountId)
                    .col(Notification::ReadAt)
                    .to_owned(),
            )
            .await?;
        // The live delivery's look-up of one transition's rows, and the foreign key's deletes.
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_case_id")
                    .table(Notification::Table)
                    .col(Notification::CaseId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notification::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    AccountId,
    Kind,
    CaseId,
    CaseCode,
    At,
    ReadAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReferralCase {
    Table,
    Id,
}
