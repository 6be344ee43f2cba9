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

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

/// How an indicator is measured.
const MEASURES: [&str; 3] = ["NUMBER", "PERCENTAGE", "YES_NO"];

/// Whether an indicator's periods are years or quarters.
const PERIODICITIES: [&str; 2] = ["ANNUAL", "QUARTERLY"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
