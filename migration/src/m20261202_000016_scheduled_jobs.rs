//! Scheduled jobs that several server processes share (issue 16): overdue escalation and the
//! daily digest.
//!
//! - `scheduled_job`: one row per job, with when it is next due and a lease (`locked_until`).
//!   A process runs a job only after taking its lease with an update guarded on the old one, so
//!   that of several processes one runs it at a time; a process that dies while running leaves a
//!   lease that runs out.
//! - `job_mark`: when a job last acted on one subject (the overdue case told about, the
//!   organisation sent its digest). Written in the transaction of what the job does for that
//!   subject, and only by an insert that does nothing on conflict or an update guarded on the
//!   old mark, so that a subject is acted on once per interval even if two runs overlap.
//!   `subject` is a case's or an organisation's id, so it has no foreign key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScheduledJob::Table)
                    .col(string_len(ScheduledJob::Name, 64).primary_key())
                    .col(timestamp_with_time_zone(ScheduledJob::NextRunAt))
                    .col(timestamp_with_time_zone_null(ScheduledJob::LockedUntil))
                    .col(timestamp_with_time_zone_null(ScheduledJob::LastFinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobMark::Table)
                    .col(string_len(JobMark::Job, 64))
                    .col(uuid(JobMark::Subject))
                    .col(timestamp_with_time_zone(JobMark::At))
                    .primary_key(Index::create().col(JobMark::Job).col(JobMark::Subject))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobMark::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ScheduledJob::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ScheduledJob {
    Table,
    Name,
    NextRunAt,
    LockedUntil,
    LastFinishedAt,
}

#[derive(DeriveIden)]
enum JobMark {
    Table,
    Job,
    Subject,
    At,
}
