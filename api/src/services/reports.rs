//! Centre reports: each month the operating organisation reports how many people each service
//! of a centre served, by sex. One report per centre and month; a correction replaces it, keeps
//! the replaced figures as an earlier revision and is audited. The Programme Office reads them
//! all and approves them: an approved month is locked until the Programme Office reopens it.
//! The public only ever sees suppressed statistics.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{
    centre_report, centre_report_approval, centre_report_line, centre_report_revision,
    centre_report_revision_line, centre_service, centre_service_past,
    enums::{CentreService, NotificationKind},
    resource_centre,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr, sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    input::{ImportOutcome, Problems},
    notifications,
    pagination::{DateRange, KeyKind, KeysetOrder, Page, PageArgs},
    review::{self, Reviewed},
    rows::OneOrNotFound,
};
use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    policy,
};

/// People served by one service in a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportLine {
    pub service: CentreService,
    pub female: i32,
    pub male: i32,
}

/// A report with its lines.
#[derive(Clone, Debug)]
pub struct Report {
    pub report: centre_report::Model,
    pub lines: Vec<centre_report_line::Model>,
}

/// An earlier revision of a report with its lines.
#[derive(Clone, Debug)]
pub struct Revision {
    pub revision: centre_report_revision::Model,
    pub lines: Vec<centre_report_revision_line::Model>,
}

/// Whether a report is approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    Approved,
    Pending,
}

/// Filters of the report list.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    pub centre_id: Option<Uuid>,
    /// Months within the range (compared by their first day).
    pub months: DateRange,
    pub approval: Option<Approval>,
}

/// The longest reason for reopening a report, in characters.
pub use super::review::MAX_REOPEN_REASON;

/// More people than this served by one service of one centre in a month is a typing mistake.
const MAX_PEOPLE: i32 = 100_000;

fn keyset() -> KeysetOrder<centre_report::Entity> {
    KeysetOrder {
        name: "MONTH_DESC",
        column: centre_report::Column::Month,
        kind: KeyKind::Date,
        descending: true,
        nullable: false,
        id_column: centre_report::Column::Id,
        key_of: |row| Some(row.month.to_string()),
        id_of: |row| row.id,
    }
}

/// The first day of `month`'s month, which must not be after the current month.
///
/// # Errors
/// `BAD_USER_INPUT` naming `month` for a future month.
pub fn reported_month(month: NaiveDate, today: NaiveDate) -> ApiResult<NaiveDate> {
    let first = month.with_day(1).unwrap_or(month);
    let this_month = today.with_day(1).unwrap_or(today);
    if first > this_month {
        return Err(ApiError::bad_input(
            "month",
            format!(
                "{} has not come yet; report past or current months only.",
                first.format("%B %Y")
            ),
        ));
    }
    Ok(first)
}

/// Checks the lines of one report against the services the centre offered that month, naming
/// each problem's field by `field(index, column)`.
fn check_lines(
    problems: &mut Problems,
    lines: &[ReportLine],
    offered: &HashSet<CentreService>,
    field: impl Fn(usize, &str) -> String,
) {
    let mut seen = HashSet::new();
    for (index, line) in lines.iter().enumerate() {
        problems.check(
            seen.insert(line.service),
            &field(index, "service"),
            "This service is listed twice for this centre and month.",
        );
        problems.check(
            offered.contains(&line.service),
            &field(index, "service"),
            "The centre did not offer this service in this month; add it to the centre first.",
        );
        for (sex, count) in [("female", line.female), ("male", line.male)] {
            problems.in_range(
                &field(index, sex),
                count,
                0..=MAX_PEOPLE,
                format!("A count is 0 to {MAX_PEOPLE}."),
            );
        }
    }
}

/// One report of an import: a centre's month, and its lines with the file's line number of
/// each (for the names of problems: `rows.<line>.<column>`).
#[derive(Clone, Debug)]
pub struct ImportedReport {
    pub centre_id: Uuid,
    /// The line of the month's first row, where a problem of the whole report is named.
    pub first_line: usize,
    pub month: NaiveDate,
    pub lines: Vec<(usize, ReportLine)>,
}

/// Centre report rules.
pub struct Reports<'a> {
    pub(super) db: &'a crate::db::Db,
}

impl Reports<'_> {
    /// Submits the report of `centre_id` for `month`, or corrects the one already there.
    ///
    /// A correction keeps the figures it replaces as an earlier revision. Figures identical to
    /// the current ones change nothing: no new revision, no audit entry; the answer is the
    /// report as it is.
    ///
    /// A month is judged by the services of that month: a line may name a service the centre
    /// offers now, one it offered in that month or later before it was removed (see
    /// [`services_of_month`]), or one the month's report already lists.
    ///
    /// # Errors
    /// `NOT_FOUND` for a centre hidden from the caller; `FORBIDDEN` unless the caller belongs to
    /// the operating organisation; `BAD_USER_INPUT` for a future month, a negative or absurd
    /// count, a repeated service or one the centre did not offer in the month; `CONFLICT` when
    /// the month's report is approved (locked until the Programme Office reopens it).
    pub async fn submit(
        &self,
        caller: &Caller,
        centre_id: Uuid,
        month: NaiveDate,
        lines: Vec<ReportLine>,
    ) -> ApiResult<Report> {
        caller.actor.signed_in()?;
        let centre = resource_centre::Entity::find_by_id(centre_id)
            .filter(policy::visible_centres(&caller.actor))
            .one_or_not_found(self.db, "Resource centre")
            .await?;
        if !policy::can_report_for(&caller.actor, &centre) {
            return Err(ApiError::Forbidden);
        }
        let month = reported_month(month, Utc::now().date_naive())?;
        let offered = services_of_month(self.db, centre_id, month).await?;
        let mut problems = Problems::new();
        check_lines(&mut problems, &lines, &offered, |index, column| {
            format!("lines.{index}.{column}")
        });
        problems.not_empty(
            "lines",
            &lines,
            "Report at least one service (with zeros if nobody came).",
        );
        problems.finish()?;
        let txn = self.db.begin().await?;
        let (report, _) = self.write(&txn, caller, centre_id, month, &lines).await?;
        txn.commit().await?;
        Ok(report)
    }

    /// Imports `reports` (a CSV file's, see `http/imports.rs`) for the centres the caller may
    /// import for (`policy::can_import_reports_for`): each is checked as `submitCentreReport`
    /// checks one, and every problem of every row is named
    /// (`rows.<line>.<column>`). A dry run stops there; otherwise every report is written in
    /// one transaction (all or nothing) and audited, with one more entry for the import.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public; `BAD_USER_INPUT` naming every bad row and field (a
    /// centre the caller may not report for is a bad `centre_id`, never a hint that it
    /// exists); `CONFLICT` when a month was approved or submitted meanwhile.
    pub async fn import(
        &self,
        caller: &Caller,
        reports: Vec<ImportedReport>,
        dry_run: bool,
    ) -> ApiResult<ImportOutcome> {
        caller.actor.signed_in()?;
        if reports.is_empty() {
            return Err(ApiError::bad_input("rows", "The file holds no report."));
        }
        let today = Utc::now().date_naive();
        let centre_ids: HashSet<Uuid> = reports.iter().map(|report| report.centre_id).collect();
        let centres: HashMap<Uuid, resource_centre::Model> = resource_centre::Entity::find()
            .filter(resource_centre::Column::Id.is_in(centre_ids))
            .filter(policy::visible_centres(&caller.actor))
            .all(self.db)
            .await?
            .into_iter()
            .filter(|centre| policy::can_import_reports_for(&caller.actor, centre))
            .map(|centre| (centre.id, centre))
            .collect();
        let mut problems = Problems::new();
        let mut checked = Vec::new();
        let mut reports = reports;
        reports.sort_by_key(|report| report.first_line);
        let mut reports_in_file = 0;
        for report in reports {
            let whole = |column: &str| format!("rows.{}.{column}", report.first_line);
            if !centres.contains_key(&report.centre_id) {
                problems.add(
                    whole("centre_id"),
                    "There is no centre you may report for with this id.",
                );
                continue;
            }
            let month = match reported_month(report.month, today) {
                Ok(month) => month,
                Err(_) => {
                    problems.add(whole("month"), "Report past or current months only.");
                    continue;
                }
            };
            let stored = centre_report::Entity::find()
                .filter(centre_report::Column::CentreId.eq(report.centre_id))
                .filter(centre_report::Column::Month.eq(month))
                .one(self.db)
                .await?;
            // A locked month may be in the file as it is (a downloaded export sent back): it
            // is left alone; only a change of it is refused.
            let mut locked = false;
            if let Some(stored) = stored
                && centre_report_approval::Entity::find_by_id(stored.id)
                    .one(self.db)
                    .await?
                    .is_some()
            {
                let figures = |lines: Vec<(CentreService, i32, i32)>| {
                    let mut lines = lines;
                    lines.sort_by_key(|(service, ..)| sea_orm::ActiveEnum::to_value(service));
                    lines
                };
                let kept = figures(
                    lines_of(self.db, stored.id)
                        .await?
                        .into_iter()
                        .map(|line| (line.service, line.female, line.male))
                        .collect(),
                );
                let sent = figures(
                    report
                        .lines
                        .iter()
                        .map(|(_, line)| (line.service, line.female, line.male))
                        .collect(),
                );
                problems.check(
                    kept == sent,
                    &whole("month"),
                    "This month is approved and locked; ask the Programme Office to reopen it.",
                );
                locked = true;
            }
            let offered = services_of_month(self.db, report.centre_id, month).await?;
            let (numbers, lines): (Vec<usize>, Vec<ReportLine>) =
                report.lines.iter().copied().unzip();
            check_lines(&mut problems, &lines, &offered, |index, column| {
                format!("rows.{}.{column}", numbers[index])
            });
            if !locked {
                checked.push((report.centre_id, month, lines));
            }
            reports_in_file += 1;
        }
        problems.finish()?;
        let mut outcome = ImportOutcome {
            reports: reports_in_file,
            changed: 0,
        };
        let txn = self.db.begin().await?;
        for (centre_id, month, lines) in &checked {
            let (_, changed) = self.write(&txn, caller, *centre_id, *month, lines).await?;
            outcome.changed += usize::from(changed);
        }
        if dry_run {
            // Everything was written as the real run would: the answer counts what would
            // change, and the rollback leaves nothing.
            txn.rollback().await?;
            return Ok(outcome);
        }
        audit::record(
            &txn,
            caller,
            AuditRecord {
                action: "centre_report.import",
                entity_type: Some("centre_report"),
                entity_id: None,
                outcome: entity::enums::AuditOutcome::Success,
                detail: Some(json!({ "reports": outcome.reports, "changed": outcome.changed })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Writes the report of `centre_id` for `month` on `txn` (checked already): a first
    /// report, or a correction that keeps the replaced figures as a revision; identical
    /// figures change nothing. Audited. Answers the report and whether anything changed.
    ///
    /// # Errors
    /// `CONFLICT` for an approved (locked) month, or a first report another request just
    /// submitted; the database's.
    async fn write(
        &self,
        txn: &impl ConnectionTrait,
        caller: &Caller,
        centre_id: Uuid,
        month: NaiveDate,
        lines: &[ReportLine],
    ) -> ApiResult<(Report, bool)> {
        let member = caller.actor.signed_in()?;
        let mut rows: Vec<centre_report_line::Model> = lines
            .iter()
            .map(|line| centre_report_line::Model {
                // Set below, once the report's id is known.
                report_id: Uuid::nil(),
                service: line.service,
                female: line.female,
                male: line.male,
            })
            .collect();
        // In the order every read gives them.
        rows.sort_by_key(|line| sea_orm::ActiveEnum::to_value(&line.service));
        let existing = centre_report::Entity::find()
            .filter(centre_report::Column::CentreId.eq(centre_id))
            .filter(centre_report::Column::Month.eq(month))
            .one(txn)
            .await?;
        let now = Utc::now();
        let (report, action, previous_total) = match existing {
            Some(existing) => {
                // The report's row is held from here to the commit, so an approval cannot
                // come in between the check and the correction (see `review`).
                review::hold_open::<ReportReview>(txn, &[existing.id]).await?;
                let previous = lines_of(txn, existing.id).await?;
                let unchanged = previous.len() == rows.len()
                    && previous.iter().zip(&rows).all(|(old, new)| {
                        (old.service, old.female, old.male) == (new.service, new.female, new.male)
                    });
                if unchanged {
                    // Nothing to correct: the report as it is.
                    return Ok((
                        Report {
                            report: existing,
                            lines: previous,
                        },
                        false,
                    ));
                }
                let previous_total: i64 = previous
                    .iter()
                    .map(|line| i64::from(line.female) + i64::from(line.male))
                    .sum();
                keep_revision(txn, &existing, &previous).await?;
                centre_report_line::Entity::delete_many()
                    .filter(centre_report_line::Column::ReportId.eq(existing.id))
                    .exec(txn)
                    .await?;
                let mut update = existing.clone().into_active_model();
                update.revision = Set(existing.revision + 1);
                update.submitted_by_id = Set(Some(member.account_id));
                update.submitted_at = Set(now);
                (
                    update.update(txn).await?,
                    "centre_report.correct",
                    Some(previous_total),
                )
            }
            None => {
                let inserted = centre_report::Model {
                    id: Uuid::now_v7(),
                    centre_id,
                    month,
                    revision: 1,
                    submitted_by_id: Some(member.account_id),
                    submitted_at: now,
                }
                .into_active_model()
                .insert(txn)
                .await;
                match inserted {
                    Ok(report) => (report, "centre_report.submit", None),
                    // Another submission for the same month won the race.
                    Err(error)
                        if matches!(
                            error.sql_err(),
                            Some(SqlErr::UniqueConstraintViolation(_))
                        ) =>
                    {
                        return Err(ApiError::Conflict(
                            "A report for this month was just submitted; reload and correct it."
                                .into(),
                        ));
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        };
        for row in &mut rows {
            row.report_id = report.id;
        }
        centre_report_line::Entity::insert_many(
            rows.iter().cloned().map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(txn)
        .await?;
        let total: i64 = rows
            .iter()
            .map(|line| i64::from(line.female) + i64::from(line.male))
            .sum();
        audit::record(
            txn,
            caller,
            AuditRecord::success(action, "centre_report", report.id).with_detail(json!({
                "centreId": centre_id,
                "month": month.to_string(),
                "revision": report.revision,
                "total": total,
                "previousTotal": previous_total,
            })),
        )
        .await?;
        Ok((
            Report {
                report,
                lines: rows,
            },
            true,
        ))
    }

    /// Approves the report `id`: its month is locked, no correction is taken until it is
    /// reopened. Audited, and told to the members of the centre's operating organisation (inbox
    /// and mail), all in one transaction.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public; `NOT_FOUND` for a report hidden from the caller;
    /// `FORBIDDEN` for anyone but the Programme Office; `CONFLICT` for a report already approved.
    pub async fn approve(&self, caller: &Caller, id: Uuid) -> ApiResult<Report> {
        let member = caller.actor.signed_in()?;
        let (report, centre) = self.for_approval(caller, id).await?;
        let txn = self.db.begin().await?;
        let now = Utc::now();
        review::approve::<ReportReview>(&txn, report.id, report.revision, member.account_id, now)
            .await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("centre_report.approve", "centre_report", report.id).with_detail(
                json!({
                    "centreId": report.centre_id,
                    "month": report.month.to_string(),
                    "revision": report.revision,
                }),
            ),
        )
        .await?;
        tell_operator(
            &txn,
            NotificationKind::ReportApproved,
            &report,
            &centre,
            now,
        )
        .await?;
        let lines = lines_of(&txn, report.id).await?;
        txn.commit().await?;
        Ok(Report { report, lines })
    }

    /// Reopens the approved report `id` for correction, for `reason` (trimmed, required, at
    /// most [`MAX_REOPEN_REASON`] characters; kept in the audit log). Audited, and told to the
    /// members of the centre's operating organisation (inbox and mail), in one transaction.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public; `NOT_FOUND` for a report hidden from the caller;
    /// `FORBIDDEN` for anyone but the Programme Office; `BAD_USER_INPUT` naming `reason`;
    /// `CONFLICT` for a report that is not approved.
    pub async fn reopen(&self, caller: &Caller, id: Uuid, reason: &str) -> ApiResult<Report> {
        caller.actor.signed_in()?;
        let (report, centre) = self.for_approval(caller, id).await?;
        let reason = review::reopen_reason(reason)?;
        let txn = self.db.begin().await?;
        review::reopen::<ReportReview>(&txn, report.id).await?;
        let now = Utc::now();
        audit::record(
            &txn,
            caller,
            AuditRecord::success("centre_report.reopen", "centre_report", report.id).with_detail(
                json!({
                    "centreId": report.centre_id,
                    "month": report.month.to_string(),
                    "revision": report.revision,
                    "reason": reason,
                }),
            ),
        )
        .await?;
        tell_operator(
            &txn,
            NotificationKind::ReportReopened,
            &report,
            &centre,
            now,
        )
        .await?;
        let lines = lines_of(&txn, report.id).await?;
        txn.commit().await?;
        Ok(Report { report, lines })
    }

    /// The report `id` and its centre, for the Programme Office to approve or reopen.
    async fn for_approval(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> ApiResult<(centre_report::Model, resource_centre::Model)> {
        let report = centre_report::Entity::find_by_id(id)
            .filter(policy::visible_centre_reports(&caller.actor))
            .one_or_not_found(self.db, "Centre report")
            .await?;
        if !policy::can_approve_reports(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let centre = resource_centre::Entity::find_by_id(report.centre_id)
            .one_or_not_found(self.db, "Resource centre")
            .await?;
        Ok((report, centre))
    }

    /// The approvals of the reports among `report_ids` the actor may read (no row: pending).
    ///
    /// # Errors
    /// Database errors.
    pub async fn approvals_of(
        &self,
        actor: &Actor,
        report_ids: &[Uuid],
    ) -> ApiResult<Vec<centre_report_approval::Model>> {
        Ok(
            review::approvals_of::<ReportReview>(self.db, report_ids, readable_reports(actor))
                .await?,
        )
    }

    /// The earlier revisions of the reports `report_ids` the actor may read, oldest first, with
    /// their lines: two statements, whatever the number of reports.
    ///
    /// # Errors
    /// Database errors.
    pub async fn revisions_of(
        &self,
        actor: &Actor,
        report_ids: &[Uuid],
    ) -> ApiResult<Vec<Revision>> {
        if report_ids.is_empty() {
            return Ok(Vec::new());
        }
        let readable = readable_reports(actor);
        let revisions = centre_report_revision::Entity::find()
            .filter(centre_report_revision::Column::ReportId.is_in(report_ids.iter().copied()))
            .filter(centre_report_revision::Column::ReportId.in_subquery(readable))
            .order_by_asc(centre_report_revision::Column::ReportId)
            .order_by_asc(centre_report_revision::Column::Revision)
            .all(self.db)
            .await?;
        let mut lines: HashMap<Uuid, Vec<centre_report_revision_line::Model>> = HashMap::new();
        if !revisions.is_empty() {
            for line in centre_report_revision_line::Entity::find()
                .filter(
                    centre_report_revision_line::Column::RevisionId
                        .is_in(revisions.iter().map(|revision| revision.id)),
                )
                .order_by_asc(centre_report_revision_line::Column::Service)
                .all(self.db)
                .await?
            {
                lines.entry(line.revision_id).or_default().push(line);
            }
        }
        Ok(revisions
            .into_iter()
            .map(|revision| Revision {
                lines: lines.remove(&revision.id).unwrap_or_default(),
                revision,
            })
            .collect())
    }

    /// A page of the reports the actor may read, latest month first, with their lines.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public; `BAD_USER_INPUT` for an invalid cursor.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &ReportFilter,
        page: &PageArgs,
    ) -> ApiResult<Page<Report>> {
        actor.signed_in()?;
        let mut select =
            centre_report::Entity::find().filter(policy::visible_centre_reports(actor));
        if let Some(centre_id) = filter.centre_id {
            select = select.filter(centre_report::Column::CentreId.eq(centre_id));
        }
        if let Some(from) = filter.months.from {
            select =
                select.filter(centre_report::Column::Month.gte(from.with_day(1).unwrap_or(from)));
        }
        if let Some(to) = filter.months.to {
            select = select.filter(centre_report::Column::Month.lte(to));
        }
        if let Some(approval) = filter.approval {
            let approved = Query::select()
                .column(centre_report_approval::Column::ReportId)
                .from(centre_report_approval::Entity)
                .to_owned();
            select = select.filter(match approval {
                Approval::Approved => centre_report::Column::Id.in_subquery(approved),
                Approval::Pending => centre_report::Column::Id.not_in_subquery(approved),
            });
        }
        let page = keyset().fetch(self.db, select, page).await?;
        let rows: Vec<centre_report::Model> = page
            .items
            .iter()
            .map(|(_, report)| report.clone())
            .collect();
        let mut complete: HashMap<Uuid, Report> = self
            .complete(rows)
            .await?
            .into_iter()
            .map(|report| (report.report.id, report))
            .collect();
        Ok(page.map(|report| {
            complete.remove(&report.id).unwrap_or(Report {
                report,
                lines: Vec::new(),
            })
        }))
    }

    /// The reports among `ids` the actor may read, with their lines.
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<Vec<Report>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = centre_report::Entity::find()
            .filter(centre_report::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_centre_reports(actor))
            .all(self.db)
            .await?;
        self.complete(rows).await
    }

    /// `rows` with their lines: one statement, whatever their number.
    async fn complete(&self, rows: Vec<centre_report::Model>) -> ApiResult<Vec<Report>> {
        let ids: Vec<Uuid> = rows.iter().map(|report| report.id).collect();
        let mut lines: HashMap<Uuid, Vec<centre_report_line::Model>> = HashMap::new();
        if !ids.is_empty() {
            for line in centre_report_line::Entity::find()
                .filter(centre_report_line::Column::ReportId.is_in(ids))
                .order_by_asc(centre_report_line::Column::Service)
                .all(self.db)
                .await?
            {
                lines.entry(line.report_id).or_default().push(line);
            }
        }
        Ok(rows
            .into_iter()
            .map(|report| {
                let lines = lines.remove(&report.id).unwrap_or_default();
                Report { report, lines }
            })
            .collect())
    }
}

/// The ids of the reports the actor may read.
fn readable_reports(actor: &Actor) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(centre_report::Column::Id)
        .from(centre_report::Entity)
        .cond_where(policy::visible_centre_reports(actor))
        .to_owned()
}

/// Centre reports as [`review`] reviews them.
struct ReportReview;

impl Reviewed for ReportReview {
    type Record = centre_report::Entity;
    type Approval = centre_report_approval::Entity;
    const ID: centre_report::Column = centre_report::Column::Id;
    const REVISION: centre_report::Column = centre_report::Column::Revision;
    const APPROVED: centre_report_approval::Column = centre_report_approval::Column::ReportId;
    const LOCKED: &'static str = "The Programme Office approved this month's report; it cannot \
                                  be corrected until the Programme Office reopens it.";
    const CORRECTED: &'static str =
        "The report was just corrected; reload it and approve what it says now.";
    const ALREADY_APPROVED: &'static str = "This report is already approved.";
    const NOT_APPROVED: &'static str = "This report is not approved; there is nothing to reopen.";

    fn approval(id: Uuid, at: DateTime<Utc>, by: Uuid) -> centre_report_approval::ActiveModel {
        centre_report_approval::Model {
            report_id: id,
            approved_at: at,
            approved_by_id: Some(by),
        }
        .into_active_model()
    }
}

/// The current lines of report `report_id`, in service order.
async fn lines_of(
    conn: &impl ConnectionTrait,
    report_id: Uuid,
) -> Result<Vec<centre_report_line::Model>, sea_orm::DbErr> {
    centre_report_line::Entity::find()
        .filter(centre_report_line::Column::ReportId.eq(report_id))
        .order_by_asc(centre_report_line::Column::Service)
        .all(conn)
        .await
}

/// Keeps `report` as it is now, with its `lines`, as an earlier revision.
async fn keep_revision(
    conn: &impl ConnectionTrait,
    report: &centre_report::Model,
    lines: &[centre_report_line::Model],
) -> Result<(), sea_orm::DbErr> {
    let revision = centre_report_revision::Model {
        id: Uuid::now_v7(),
        report_id: report.id,
        revision: report.revision,
        submitted_by_id: report.submitted_by_id,
        submitted_at: report.submitted_at,
    };
    centre_report_revision::Entity::insert(revision.clone().into_active_model())
        .exec_without_returning(conn)
        .await?;
    if !lines.is_empty() {
        centre_report_revision_line::Entity::insert_many(lines.iter().map(|line| {
            centre_report_revision_line::Model {
                revision_id: revision.id,
                service: line.service,
                female: line.female,
                male: line.male,
            }
            .into_active_model()
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// The services `centre_id` offered in `month` as far as the portal knows: those it offers now,
/// those removed in `month` or later (`centre_service_past` keeps the last month of each), and
/// those the month's report already lists (reported then, so offered then).
///
/// Why a record of ends and not of whole periods: a centre is often entered in the portal after
/// it opened, and reports its earlier months with the services it has, so the start of a
/// service is not known and not enforced, as before. What was wrong was forgetting a service
/// as soon as it was removed, which made a correction of a month that had it impossible.
///
/// # Errors
/// Database errors.
pub async fn services_of_month(
    conn: &impl ConnectionTrait,
    centre_id: Uuid,
    month: NaiveDate,
) -> Result<HashSet<CentreService>, sea_orm::DbErr> {
    let mut offered: HashSet<CentreService> = centre_service::Entity::find()
        .filter(centre_service::Column::CentreId.eq(centre_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.service)
        .collect();
    offered.extend(
        centre_service_past::Entity::find()
            .filter(centre_service_past::Column::CentreId.eq(centre_id))
            .filter(centre_service_past::Column::LastMonth.gte(month))
            .all(conn)
            .await?
            .into_iter()
            .map(|row| row.service),
    );
    let reported = Query::select()
        .column(centre_report::Column::Id)
        .from(centre_report::Entity)
        .and_where(centre_report::Column::CentreId.eq(centre_id))
        .and_where(centre_report::Column::Month.eq(month))
        .to_owned();
    offered.extend(
        centre_report_line::Entity::find()
            .select_only()
            .column(centre_report_line::Column::Service)
            .filter(centre_report_line::Column::ReportId.in_subquery(reported))
            .into_tuple::<CentreService>()
            .all(conn)
            .await?,
    );
    Ok(offered)
}

/// Tells the members of `centre`'s operating organisation of `kind` about `report`, in the
/// inbox and by mail, on `txn`.
async fn tell_operator(
    txn: &impl ConnectionTrait,
    kind: NotificationKind,
    report: &centre_report::Model,
    centre: &resource_centre::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let label = notifications::report_label(&centre.name, report.month);
    let notices = notifications::notify_report(
        txn,
        kind,
        centre.operator_id,
        notifications::AboutReport {
            report_id: report.id,
            label: &label,
        },
        now,
    )
    .await?;
    for mail in notices.iter().filter_map(notifications::mail_for) {
        super::mail::enqueue(txn, mail).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_month_is_its_first_day_and_never_in_the_future() {
        let today = day("2026-11-22");
        assert_eq!(
            reported_month(day("2026-11-30"), today).ok(),
            Some(day("2026-11-01"))
        );
        assert_eq!(
            reported_month(day("2025-02-14"), today).ok(),
            Some(day("2025-02-01"))
        );
        assert!(reported_month(day("2026-12-01"), today).is_err());
    }
}
