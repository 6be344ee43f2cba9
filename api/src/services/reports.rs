//! Centre reports: each month the operating organisation reports how many people each service
//! of a centre served, by sex. One report per centre and month; a correction replaces it and is
//! audited. The Programme Office reads them all; the public only ever sees suppressed
//! statistics.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, Utc};
use entity::{
    centre_report, centre_report_line, centre_service, enums::CentreService, resource_centre,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    input::Problems,
    pagination::{DateRange, KeyKind, KeysetOrder, Page, PageArgs},
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

/// Filters of the report list.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    pub centre_id: Option<Uuid>,
    /// Months within the range (compared by their first day).
    pub months: DateRange,
}

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

/// Centre report rules.
pub struct Reports<'a> {
    pub(super) db: &'a crate::db::Db,
}

impl Reports<'_> {
    /// Submits the report of `centre_id` for `month`, or corrects the one already there.
    ///
    /// # Errors
    /// `NOT_FOUND` for a centre hidden from the caller; `FORBIDDEN` unless the caller belongs to
    /// the operating organisation; `BAD_USER_INPUT` for a future month, a negative or absurd
    /// count, a repeated service or one the centre does not offer.
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
        let offered: HashSet<CentreService> = centre_service::Entity::find()
            .filter(centre_service::Column::CentreId.eq(centre_id))
            .all(self.db)
            .await?
            .into_iter()
            .map(|row| row.service)
            .collect();
        let mut problems = Problems::new();
        let mut seen = HashSet::new();
        for (index, line) in lines.iter().enumerate() {
            let field = format!("lines.{index}");
            problems.check(
                seen.insert(line.service),
                &format!("{field}.service"),
                "This service is listed twice.",
            );
            problems.check(
                offered.contains(&line.service),
                &format!("{field}.service"),
                "The centre does not offer this service; add it to the centre first.",
            );
            for (sex, count) in [("female", line.female), ("male", line.male)] {
                problems.in_range(
                    &format!("{field}.{sex}"),
                    count,
                    0..=MAX_PEOPLE,
                    format!("A count is 0 to {MAX_PEOPLE}."),
                );
            }
        }
        problems.not_empty(
            "lines",
            &lines,
            "Report at least one service (with zeros if nobody came).",
        );
        problems.finish()?;

        let member = caller.actor.signed_in()?;
        let txn = self.db.begin().await?;
        let existing = centre_report::Entity::find()
            .filter(centre_report::Column::CentreId.eq(centre_id))
            .filter(centre_report::Column::Month.eq(month))
            .one(&txn)
            .await?;
        let now = Utc::now();
        let (report, action, previous_total) = match existing {
            Some(existing) => {
                let previous: Vec<centre_report_line::Model> = centre_report_line::Entity::find()
                    .filter(centre_report_line::Column::ReportId.eq(existing.id))
                    .all(&txn)
                    .await?;
                let previous_total: i64 = previous
                    .iter()
                    .map(|line| i64::from(line.female) + i64::from(line.male))
                    .sum();
                centre_report_line::Entity::delete_many()
                    .filter(centre_report_line::Column::ReportId.eq(existing.id))
                    .exec(&txn)
                    .await?;
                let mut update = existing.clone().into_active_model();
                update.revision = Set(existing.revision + 1);
                update.submitted_by_id = Set(Some(member.account_id));
                update.submitted_at = Set(now);
                (
                    update.update(&txn).await?,
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
                .insert(&txn)
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
        let mut rows: Vec<centre_report_line::Model> = lines
            .iter()
            .map(|line| centre_report_line::Model {
                report_id: report.id,
                service: line.service,
                female: line.female,
                male: line.male,
            })
            .collect();
        // In the order every read gives them.
        rows.sort_by_key(|line| sea_orm::ActiveEnum::to_value(&line.service));
        centre_report_line::Entity::insert_many(
            rows.iter().cloned().map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(&txn)
        .await?;
        let total: i64 = rows
            .iter()
            .map(|line| i64::from(line.female) + i64::from(line.male))
            .sum();
        audit::record(
            &txn,
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
        txn.commit().await?;
        Ok(Report {
            report,
            lines: rows,
        })
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
        let page = keyset().fetch(self.db, select, page).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|(_, report)| report.id).collect();
        let mut lines: HashMap<Uuid, Vec<centre_report_line::Model>> = HashMap::new();
        for line in centre_report_line::Entity::find()
            .filter(centre_report_line::Column::ReportId.is_in(ids))
            .order_by_asc(centre_report_line::Column::Service)
            .all(self.db)
            .await?
        {
            lines.entry(line.report_id).or_default().push(line);
        }
        Ok(page.map(|report| {
            let lines = lines.remove(&report.id).unwrap_or_default();
            Report { report, lines }
        }))
    }
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
