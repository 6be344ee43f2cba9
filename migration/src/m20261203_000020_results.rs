//! The results framework (issue 18): what each project set out to change, and how far it got,
//! as IATI 2.03 models it (`result/indicator` with `baseline` and `period` `target`/`actual`).
//!
//! - `indicator`: one measure of a project's results: title and definition (translations), how
//!   it is measured, whether it is counted by sex, its baseline, whether more is better, and
//!   whether its periods are years or quarters.
//! - `indicator_period`: one period of an indicator: its target (set by whoever manages the
//!   indicator) and the current revision of its actual value (reported by a partner of the
//!   project; `revision` 0 while nothing is reported).
//! - `indicator_period_revision`: each earlier revision of a period's actual value, copied
//!   there when a correction replaces it (the pattern of `centre_report_revision`).
//! - `indicator_period_approval`: one row per approved result (no row: pending); approval locks
//!   the period until the Programme Office reopens it.
//! - `notification`: two more kinds (`RESULT_APPROVED`, `RESULT_REOPENED`) and the period a
//!   notification is about (`period_id`, with `period_label`, the indicator and period it names,
//!   kept like a case's code). SQLite cannot change a CHECK constraint, so the table is rebuilt
//!   with its rows, as `m20261202_000017_report_revisions` did.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

/// How an indicator is measured.
const MEASURES: [&str; 3] = ["NUMBER", "PERCENTAGE", "YES_NO"];

/// Whether an indicator's periods are years or quarters.
const PERIODICITIES: [&str; 2] = ["ANNUAL", "QUARTERLY"];

/// The notification kinds before this migration.
const KINDS_BEFORE: [&str; 10] = [
    "REFERRAL_RECEIVED",
    "REFERRAL_ACCEPTED",
    "REFERRAL_DECLINED",
    "REFERRAL_WITHDRAWN",
    "REFERRED_ONWARD",
    "CASE_CLOSED",
    "CONSENT_WITHDRAWN",
    "DEADLINE_PASSED",
    "REPORT_APPROVED",
    "REPORT_REOPENED",
];

/// The notification kinds after it.
const KINDS_AFTER: [&str; 12] = [
    "REFERRAL_RECEIVED",
    "REFERRAL_ACCEPTED",
    "REFERRAL_DECLINED",
    "REFERRAL_WITHDRAWN",
    "REFERRED_ONWARD",
    "CASE_CLOSED",
    "CONSENT_WITHDRAWN",
    "DEADLINE_PASSED",
    "REPORT_APPROVED",
    "REPORT_REOPENED",
    "RESULT_APPROVED",
    "RESULT_REOPENED",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too, as `m20261202_000017_report_revisions`: the rebuild of
    /// `notification` is all or nothing, on one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Indicator::Table)
                    .col(uuid(Indicator::Id).primary_key())
                    .col(uuid(Indicator::ProjectId))
                    .col(json_binary(Indicator::Title))
                    .col(json_binary(Indicator::Definition))
                    .col(string_len(Indicator::Measure, 16))
                    .col(boolean(Indicator::DisaggregatedBySex))
                    .col(boolean(Indicator::Ascending))
                    .col(string_len(Indicator::Periodicity, 16))
                    .col(double_null(Indicator::BaselineValue))
                    .col(date_null(Indicator::BaselineDate))
                    .col(timestamp_with_time_zone(Indicator::CreatedAt))
                    .col(timestamp_with_time_zone(Indicator::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_project_id")
                            .from(Indicator::Table, Indicator::ProjectId)
                            .to(Project::Table, Project::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_indicator_measure",
                        Expr::col(Indicator::Measure).is_in(MEASURES),
                    ))
                    .check(Check::named(
                        "ck_indicator_periodicity",
                        Expr::col(Indicator::Periodicity).is_in(PERIODICITIES),
                    ))
                    .check(Check::named(
                        "ck_indicator_baseline",
                        Expr::col(Indicator::BaselineValue)
                            .is_null()
                            .and(Expr::col(Indicator::BaselineDate).is_null())
                            .or(Expr::col(Indicator::BaselineValue)
                                .is_not_null()
                                .and(Expr::col(Indicator::BaselineDate).is_not_null())),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_indicator_project_id_id",
            Indicator::Table,
            [Indicator::ProjectId, Indicator::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(IndicatorPeriod::Table)
                    .col(uuid(IndicatorPeriod::Id).primary_key())
                    .col(uuid(IndicatorPeriod::IndicatorId))
                    .col(date(IndicatorPeriod::PeriodStart))
                    .col(date(IndicatorPeriod::PeriodEnd))
                    .col(double_null(IndicatorPeriod::TargetValue))
                    .col(double_null(IndicatorPeriod::ActualValue))
                    .col(double_null(IndicatorPeriod::ActualFemale))
                    .col(double_null(IndicatorPeriod::ActualMale))
                    .col(text_null(IndicatorPeriod::Comment))
                    .col(integer(IndicatorPeriod::Revision))
                    .col(uuid_null(IndicatorPeriod::ReportedById))
                    .col(timestamp_with_time_zone_null(IndicatorPeriod::ReportedAt))
                    // Also the look-up of an indicator's periods, in order.
                    .index(
                        Index::create()
                            .name("uq_indicator_period_indicator_id_period_start")
                            .unique()
                            .col(IndicatorPeriod::IndicatorId)
                            .col(IndicatorPeriod::PeriodStart),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_period_indicator_id")
                            .from(IndicatorPeriod::Table, IndicatorPeriod::IndicatorId)
                            .to(Indicator::Table, Indicator::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_period_reported_by_id")
                            .from(IndicatorPeriod::Table, IndicatorPeriod::ReportedById)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(Check::named(
                        "ck_indicator_period_dates",
                        Expr::col(IndicatorPeriod::PeriodEnd)
                            .gte(Expr::col(IndicatorPeriod::PeriodStart)),
                    ))
                    .check(Check::named(
                        "ck_indicator_period_revision",
                        Expr::col(IndicatorPeriod::Revision).gte(0),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IndicatorPeriodRevision::Table)
                    .col(uuid(IndicatorPeriodRevision::Id).primary_key())
                    .col(uuid(IndicatorPeriodRevision::PeriodId))
                    .col(integer(IndicatorPeriodRevision::Revision))
                    .col(double(IndicatorPeriodRevision::ActualValue))
                    .col(double_null(IndicatorPeriodRevision::ActualFemale))
                    .col(double_null(IndicatorPeriodRevision::ActualMale))
                    .col(text_null(IndicatorPeriodRevision::Comment))
                    .col(uuid_null(IndicatorPeriodRevision::ReportedById))
                    .col(timestamp_with_time_zone(
                        IndicatorPeriodRevision::ReportedAt,
                    ))
                    // Also the look-up of a period's revisions, in order.
                    .index(
                        Index::create()
                            .name("uq_indicator_period_revision_period_id_revision")
                            .unique()
                            .col(IndicatorPeriodRevision::PeriodId)
                            .col(IndicatorPeriodRevision::Revision),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_period_revision_period_id")
                            .from(
                                IndicatorPeriodRevision::Table,
                                IndicatorPeriodRevision::PeriodId,
                            )
                            .to(IndicatorPeriod::Table, IndicatorPeriod::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_period_revision_reported_by_id")
                            .from(
                                IndicatorPeriodRevision::Table,
                                IndicatorPeriodRevision::ReportedById,
                            )
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(Check::named(
                        "ck_indicator_period_revision_revision",
                        Expr::col(IndicatorPeriodRevision::Revision).gte(1),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IndicatorPeriodApproval::Table)
                    .col(uuid(IndicatorPeriodApproval::PeriodId).primary_key())
                    .col(timestamp_with_time_zone(
                        IndicatorPeriodApproval::ApprovedAt,
                    ))
                    .col(uuid_null(IndicatorPeriodApproval::ApprovedById))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_period_approval_period_id")
                            .from(
                                IndicatorPeriodApproval::Table,
                                IndicatorPeriodApproval::PeriodId,
                            )
                            .to(IndicatorPeriod::Table, IndicatorPeriod::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_indicator_period_approval_approved_by_id")
                            .from(
                                IndicatorPeriodApproval::Table,
                                IndicatorPeriodApproval::ApprovedById,
                            )
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        rebuild_notification(manager, &KINDS_AFTER, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild_notification(manager, &KINDS_BEFORE, false).await?;
        for table in [
            IndicatorPeriodApproval::Table.into_iden(),
            IndicatorPeriodRevision::Table.into_iden(),
            IndicatorPeriod::Table.into_iden(),
            Indicator::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Replaces `notification` by a table of the same name allowing `kinds`, with the result
/// columns or without, and copies the rows it may hold (going down, those of result kinds go).
async fn rebuild_notification(
    manager: &SchemaManager<'_>,
    kinds: &[&str],
    result_columns: bool,
) -> Result<(), DbErr> {
    let mut table = Table::create();
    table
        .table(NotificationNew::Table)
        .col(uuid(Notification::Id).primary_key())
        .col(uuid(Notification::AccountId))
        .col(string_len(Notification::Kind, 32))
        .col(uuid_null(Notification::CaseId))
        .col(string_len_null(Notification::CaseCode, 32))
        .col(timestamp_with_time_zone(Notification::At))
        .col(timestamp_with_time_zone_null(Notification::ReadAt))
        .col(uuid_null(Notification::ReportId))
        .col(string_len_null(Notification::ReportLabel, 200))
        .foreign_key(
            ForeignKey::create()
                .name("fk_notification_account_id")
                .from(NotificationNew::Table, Notification::AccountId)
                .to(Account::Table, Account::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_notification_case_id")
                .from(NotificationNew::Table, Notification::CaseId)
                .to(ReferralCase::Table, ReferralCase::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_notification_report_id")
                .from(NotificationNew::Table, Notification::ReportId)
                .to(CentreReport::Table, CentreReport::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .check(Check::named(
            "ck_notification_kind",
            Expr::col(Notification::Kind).is_in(kinds.iter().copied()),
        ));
    if result_columns {
        table
            .col(uuid_null(Notification::PeriodId))
            .col(string_len_null(Notification::PeriodLabel, 400))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_notification_period_id")
                    .from(NotificationNew::Table, Notification::PeriodId)
                    .to(IndicatorPeriod::Table, IndicatorPeriod::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            );
    }
    manager.create_table(table.to_owned()).await?;

    let kept = kinds
        .iter()
        .map(|kind| format!("'{kind}'"))
        .collect::<Vec<_>>()
        .join(", ");
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "INSERT INTO notification_new \
             (id, account_id, kind, case_id, case_code, at, read_at, report_id, report_label) \
             SELECT id, account_id, kind, case_id, case_code, at, read_at, report_id, report_label \
             FROM notification WHERE kind IN ({kept})"
        ))
        .await?;
    manager
        .drop_table(Table::drop().table(Notification::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(NotificationNew::Table, Notification::Table)
                .to_owned(),
        )
        .await?;
    // PostgreSQL names the primary key's index after the table it was created for, and index
    // names are unique in a schema: give it the name of the table it now belongs to.
    if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared("ALTER INDEX notification_new_pkey RENAME TO notification_pkey")
            .await?;
    }

    // The indexes of `m20261202_000013_notifications` and `m20261202_000017_report_revisions`,
    // again.
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
    for (name, column) in [
        ("idx_notification_account_id_read_at", None),
        ("idx_notification_case_id", Some(Notification::CaseId)),
        ("idx_notification_report_id", Some(Notification::ReportId)),
    ] {
        match column {
            None => {
                create_index(
                    manager,
                    name,
                    Notification::Table,
                    [Notification::AccountId, Notification::ReadAt],
                )
                .await?;
            }
            Some(column) => {
                create_index(manager, name, Notification::Table, [column]).await?;
            }
        }
    }
    if result_columns {
        // The foreign key's deletes.
        create_index(
            manager,
            "idx_notification_period_id",
            Notification::Table,
            [Notification::PeriodId],
        )
        .await?;
    }
    Ok(())
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
    ReportId,
    ReportLabel,
    PeriodId,
    PeriodLabel,
}

#[derive(DeriveIden)]
enum NotificationNew {
    Table,
}

#[derive(DeriveIden)]
enum CentreReport {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReferralCase {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Indicator {
    Table,
    Id,
    ProjectId,
    Title,
    Definition,
    Measure,
    DisaggregatedBySex,
    Ascending,
    Periodicity,
    BaselineValue,
    BaselineDate,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IndicatorPeriod {
    Table,
    Id,
    IndicatorId,
    PeriodStart,
    PeriodEnd,
    TargetValue,
    ActualValue,
    ActualFemale,
    ActualMale,
    Comment,
    Revision,
    ReportedById,
    ReportedAt,
}

#[derive(DeriveIden)]
enum IndicatorPeriodRevision {
    Table,
    Id,
    PeriodId,
    Revision,
    ActualValue,
    ActualFemale,
    ActualMale,
    Comment,
    ReportedById,
    ReportedAt,
}

#[derive(DeriveIden)]
enum IndicatorPeriodApproval {
    Table,
    PeriodId,
    ApprovedAt,
    ApprovedById,
}

#[derive(DeriveIden)]
enum Project {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}
