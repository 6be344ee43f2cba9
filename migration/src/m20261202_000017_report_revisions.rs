//! Monthly reports that keep their history and that the Programme Office approves (issue 17).
//!
//! - `centre_report_revision` and `centre_report_revision_line`: each earlier revision of a
//!   report with its figures, who submitted it and when, copied there when a correction replaces
//!   it (the current revision stays in `centre_report` and `centre_report_line`).
//! - `centre_report_approval`: one row per approved report (no row: pending). Approval locks the
//!   month; reopening deletes the row.
//! - `centre_service_past`: services a centre no longer offers, with the last month it offered
//!   each, so that a correction or a late report of an earlier month is judged by the services
//!   of that month. Filled here from the reports already stored (a service reported for a month
//!   was offered then), and by the services when a service is removed from a centre.
//! - `notification`: two more kinds (`REPORT_APPROVED`, `REPORT_REOPENED`) and the report a
//!   notification is about (`report_id`, with `report_label`, the centre and month it names,
//!   kept like a case's code). SQLite cannot change a CHECK constraint, so the table is rebuilt
//!   (on both databases, one way of doing it) with its rows.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

/// A frozen copy of the centre services (see `m20261122_000003_centres`).
const CENTRE_SERVICES: [&str; 7] = [
    "LEGAL_CONSULTATION",
    "PSYCHOSOCIAL_COUNSELLING",
    "CRISIS_SUPPORT",
    "SHELTER",
    "MEDICAL_REFERRAL",
    "ECONOMIC_EMPOWERMENT",
    "AWARENESS_RAISING",
];

/// The notification kinds before this migration.
const KINDS_BEFORE: [&str; 8] = [
    "REFERRAL_RECEIVED",
    "REFERRAL_ACCEPTED",
    "REFERRAL_DECLINED",
    "REFERRAL_WITHDRAWN",
    "REFERRED_ONWARD",
    "CASE_CLOSED",
    "CONSENT_WITHDRAWN",
    "DEADLINE_PASSED",
];

/// The notification kinds after it.
const KINDS_AFTER: [&str; 10] = [
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

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: the rebuild of `notification` is all or nothing, and
    /// every statement runs on one connection (outside a transaction, the pool spreads them
    /// over several, and one of them was seen to refuse an index of the dropped table as
    /// still there).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CentreReportRevision::Table)
                    .col(uuid(CentreReportRevision::Id).primary_key())
                    .col(uuid(CentreReportRevision::ReportId))
                    .col(integer(CentreReportRevision::Revision))
                    .col(uuid_null(CentreReportRevision::SubmittedById))
                    .col(timestamp_with_time_zone(CentreReportRevision::SubmittedAt))
                    // Also the look-up of a report's revisions, in order.
                    .index(
                        Index::create()
                            .name("uq_centre_report_revision_report_id_revision")
                            .unique()
                            .col(CentreReportRevision::ReportId)
                            .col(CentreReportRevision::Revision),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_revision_report_id")
                            .from(CentreReportRevision::Table, CentreReportRevision::ReportId)
                            .to(CentreReport::Table, CentreReport::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_revision_submitted_by_id")
                            .from(
                                CentreReportRevision::Table,
                                CentreReportRevision::SubmittedById,
                            )
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(Check::named(
                        "ck_centre_report_revision_revision",
                        Expr::col(CentreReportRevision::Revision).gte(1),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CentreReportRevisionLine::Table)
                    .col(uuid(CentreReportRevisionLine::RevisionId))
                    .col(string_len(CentreReportRevisionLine::Service, 32))
                    .col(integer(CentreReportRevisionLine::Female))
                    .col(integer(CentreReportRevisionLine::Male))
                    .primary_key(
                        Index::create()
                            .col(CentreReportRevisionLine::RevisionId)
                            .col(CentreReportRevisionLine::Service),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_revision_line_revision_id")
                            .from(
                                CentreReportRevisionLine::Table,
                                CentreReportRevisionLine::RevisionId,
                            )
                            .to(CentreReportRevision::Table, CentreReportRevision::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_centre_report_revision_line_service",
                        Expr::col(CentreReportRevisionLine::Service).is_in(CENTRE_SERVICES),
                    ))
                    .check(Check::named(
                        "ck_centre_report_revision_line_counts",
                        Expr::col(CentreReportRevisionLine::Female)
                            .gte(0)
                            .and(Expr::col(CentreReportRevisionLine::Male).gte(0)),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CentreReportApproval::Table)
                    .col(uuid(CentreReportApproval::ReportId).primary_key())
                    .col(timestamp_with_time_zone(CentreReportApproval::ApprovedAt))
                    .col(uuid_null(CentreReportApproval::ApprovedById))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_approval_report_id")
                            .from(CentreReportApproval::Table, CentreReportApproval::ReportId)
                            .to(CentreReport::Table, CentreReport::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_approval_approved_by_id")
                            .from(
                                CentreReportApproval::Table,
                                CentreReportApproval::ApprovedById,
                            )
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CentreServicePast::Table)
                    .col(uuid(CentreServicePast::CentreId))
                    .col(string_len(CentreServicePast::Service, 32))
                    .col(date(CentreServicePast::LastMonth))
                    .primary_key(
                        Index::create()
                            .col(CentreServicePast::CentreId)
                            .col(CentreServicePast::Service),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_service_past_centre_id")
                            .from(CentreServicePast::Table, CentreServicePast::CentreId)
                            .to(ResourceCentre::Table, ResourceCentre::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_centre_service_past_service",
                        Expr::col(CentreServicePast::Service).is_in(CENTRE_SERVICES),
                    ))
                    .to_owned(),
            )
            .await?;
        // Services reported for a month but no longer offered: offered until the last month
        // reported with them.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO centre_service_past (centre_id, service, last_month) \
                 SELECT r.centre_id, l.service, MAX(r.month) \
                 FROM centre_report_line l JOIN centre_report r ON r.id = l.report_id \
                 WHERE NOT EXISTS (SELECT 1 FROM centre_service s \
                                   WHERE s.centre_id = r.centre_id AND s.service = l.service) \
                 GROUP BY r.centre_id, l.service",
            )
            .await?;

        rebuild_notification(manager, &KINDS_AFTER, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild_notification(manager, &KINDS_BEFORE, false).await?;
        for table in [
            CentreServicePast::Table.into_iden(),
            CentreReportApproval::Table.into_iden(),
            CentreReportRevisionLine::Table.into_iden(),
            CentreReportRevision::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Replaces `notification` by a table of the same name allowing `kinds`, with the report
/// columns or without, and copies the rows it may hold (going down, those of report kinds go).
async fn rebuild_notification(
    manager: &SchemaManager<'_>,
    kinds: &[&str],
    report_columns: bool,
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
        .check(Check::named(
            "ck_notification_kind",
            Expr::col(Notification::Kind).is_in(kinds.iter().copied()),
        ));
    if report_columns {
        table
            .col(uuid_null(Notification::ReportId))
            .col(string_len_null(Notification::ReportLabel, 200))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_notification_report_id")
                    .from(NotificationNew::Table, Notification::ReportId)
                    .to(CentreReport::Table, CentreReport::Id)
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
            "INSERT INTO notification_new (id, account_id, kind, case_id, case_code, at, read_at) \
             SELECT id, account_id, kind, case_id, case_code, at, read_at FROM notification \
             WHERE kind IN ({kept})"
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

    // The indexes of `m20261202_000013_notifications`, again.
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
    create_index(
        manager,
        "idx_notification_account_id_read_at",
        Notification::Table,
        [Notification::AccountId, Notification::ReadAt],
    )
    .await?;
    create_index(
        manager,
        "idx_notification_case_id",
        Notification::Table,
        [Notification::CaseId],
    )
    .await?;
    if report_columns {
        // The foreign key's deletes.
        create_index(
            manager,
            "idx_notification_report_id",
            Notification::Table,
            [Notification::ReportId],
        )
        .await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum CentreReportRevision {
    Table,
    Id,
    ReportId,
    Revision,
    SubmittedById,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum CentreReportRevisionLine {
    Table,
    RevisionId,
    Service,
    Female,
    Male,
}

#[derive(DeriveIden)]
enum CentreReportApproval {
    Table,
    ReportId,
    ApprovedAt,
    ApprovedById,
}

#[derive(DeriveIden)]
enum CentreServicePast {
    Table,
    CentreId,
    Service,
    LastMonth,
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
enum ResourceCentre {
    Table,
    Id,
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
