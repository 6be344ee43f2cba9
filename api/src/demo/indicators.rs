//! The demo projects' results (`api/data/demo/indicators.toml`): indicators with their baselines,
//! a target per year or quarter, and the results reported for the periods that ended before the
//! demo's "now", some corrected (the earlier revisions kept), most approved.
//!
//! The file is checked against the rules of the results framework (migration 000020) while the
//! rows are built, and a row that breaks one is an error naming the file, the line and the
//! field: values that fit the measure (a percentage from 0 to 100, yes or no as 1 or 0, no
//! negative number), results by sex exactly for an indicator disaggregated by sex (for a number,
//! women and men together at most the total), targets on the right side of the baseline (a
//! descending indicator must have one), periods that are calendar years or quarters, in order,
//! once each and within the project, and results only for periods that ended before the demo's
//! "now".
//!
//! A result is reported by the demo account of the indicator's reporting organisation, a partner
//! of the project (the Programme Office approves results; it does not report them). Only two
//! partner organisations have a demo account (Gulrukhsor and Oksana); the results of the others
//! have no reporting account, as the demo's centre reports have none. Approvals are the staff
//! demo account's. The times are derived from the period, so that the rows are deterministic:
//! a result is reported 4 to 21 days after its period ended, each correction six days after the
//! revision before, and approved a week after its last revision.
//!
//! The rules of values, targets, indicators and results are `services::results::rules`, the
//! service's own (as the cases follow `services::cases`); what is checked here beyond them is
//! the demo's consistency (periods in order within the project, results of ended periods only,
//! baselines before the first period, reporters that are partners).

use std::{
    collections::{HashMap, HashSet},
    ops::Range,
};

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{
    Localized,
    enums::{IndicatorMeasure, IndicatorPeriodicity},
    indicator, indicator_period, indicator_period_approval, indicator_period_revision, project,
    project_partner,
};
use sea_orm::DbErr;
use toml::Spanned;
use uuid::Uuid;

use crate::services::results::{PeriodKey, rules};

use super::{
    PROGRAMME_OFFICE, accounts, at, bad_data, demo_id,
    files::{DemoFiles, IndicatorRow, PeriodRow, ResultRow},
    lookup, stable_hash,
};

/// The demo's indicators, their periods, the earlier revisions of their results and the
/// approvals.
#[derive(Debug, Default)]
pub(super) struct DemoResults {
    pub indicators: Vec<indicator::Model>,
    pub periods: Vec<indicator_period::Model>,
    pub revisions: Vec<indicator_period_revision::Model>,
    pub approvals: Vec<indicator_period_approval::Model>,
}

/// Days between a period's end and the first report of its result: 4 plus up to this many.
const REPORT_DELAY_DAYS: u64 = 18;
/// Days between a revision of a result and its correction.
const CORRECTION_DAYS: u64 = 6;
/// Days between the last revision of a result and its approval.
const APPROVAL_DAYS: u64 = 7;

/// Builds the rows of the indicators' file, checking each against the rules (see the module's
/// documentation). `projects` and `partners` are the demo's rows, `accounts_created` is when the
/// demo accounts were made (their ids depend on it), and nothing may happen after `as_of`.
pub(super) fn build(
    files: &DemoFiles,
    orgs: &HashMap<&str, Uuid>,
    projects: &[project::Model],
    partners: &[project_partner::Model],
    accounts_created: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Result<DemoResults, DbErr> {
    let staff = accounts::with_role(&files.logins, "STAFF", accounts_created)?;
    let mut keys = HashSet::new();
    let mut results = DemoResults::default();
    for row in &files.indicators {
        let check = Check { files, row };
        if !keys.insert(row.key.get_ref().as_str()) {
            return Err(check.fail(row.key.span(), "key", "listed twice"));
        }
        let project = projects
            .iter()
            .find(|project| &project.code == row.project.get_ref())
            .ok_or_else(|| check.fail(row.project.span(), "project", "no such project"))?;
        let reporter = check.reporter(orgs, project, partners)?;
        check.indicator(as_of)?;
        let indicator = indicator_row(row, &check, project, as_of)?;
        let reporting = Reporting {
            reporter: accounts::member_of(&files.logins, reporter, accounts_created)?,
            staff,
            as_of,
        };
        let mut previous: Option<NaiveDate> = None;
        for period in &row.periods {
            let span = period.span();
            let period = period.get_ref();
            let end = check.period(&span, period, previous, project, as_of)?;
            previous = Some(period.start);
            results.add_period(&check, &indicator, (span, period, end), &reporting)?;
        }
        results.indicators.push(indicator);
    }
    Ok(results)
}

/// The indicator's row: entered with its project (a project planned after the demo's "now" at
/// that time), last changed when its baseline was measured, if that came later.
fn indicator_row(
    row: &IndicatorRow,
    check: &Check<'_>,
    project: &project::Model,
    as_of: DateTime<Utc>,
) -> Result<indicator::Model, DbErr> {
    let created_at = (project.created_at + chrono::Duration::hours(1)).min(as_of);
    let baseline = row.baseline.as_ref().map(Spanned::get_ref);
    Ok(indicator::Model {
        id: demo_id(&format!("indicator:{}", row.key.get_ref()), created_at)?,
        project_id: project.id,
        title: row.title.localized(),
        definition: row
            .definition
            .as_ref()
            .map_or_else(Localized::default, |text| text.localized()),
        measure: row.measure,
        disaggregated_by_sex: check.disaggregated(),
        ascending: check.ascending(),
        periodicity: row.periodicity,
        baseline_value: baseline.map(|baseline| baseline.value),
        baseline_date: baseline.map(|baseline| baseline.date),
        created_at,
        updated_at: baseline.map_or(created_at, |baseline| {
            at(baseline.date, 10).clamp(created_at, as_of)
        }),
    })
}

/// Who reports and approves the results of an indicator, and the demo's "now".
struct Reporting {
    /// The demo account of the reporting organisation, if it has one.
    reporter: Option<Uuid>,
    /// The staff demo account, which approves.
    staff: Option<Uuid>,
    as_of: DateTime<Utc>,
}

impl DemoResults {
    /// Adds a checked period of `indicator` (its span in the file, its row and its last day),
    /// with its result's earlier revisions and its approval.
    fn add_period(
        &mut self,
        check: &Check<'_>,
        indicator: &indicator::Model,
        (span, period, end): (Range<usize>, &PeriodRow, NaiveDate),
        reporting: &Reporting,
    ) -> Result<(), DbErr> {
        let key = format!("indicator:{}:{}", check.row.key.get_ref(), period.start);
        let id = demo_id(&key, indicator.created_at)?;
        let mut row = indicator_period::Model {
            id,
            indicator_id: indicator.id,
            period_start: period.start,
            period_end: end,
            target_value: period.target,
            actual_value: None,
            actual_female: None,
            actual_male: None,
            comment: None,
            revision: 0,
            reported_by_id: None,
            reported_at: None,
        };
        let Some(actual) = period.actual else {
            self.periods.push(row);
            return Ok(());
        };
        // Reported some days after the period ended, at some hour; each correction later.
        let delay = stable_hash(&format!("{key}:reported"));
        let first = at(
            end + Days::new(4 + delay % REPORT_DELAY_DAYS),
            9 + u32::try_from(delay % 8).unwrap_or(0),
        );
        let reported = |revision: usize| {
            let corrections = u64::try_from(revision - 1).unwrap_or(0);
            first + Days::new(corrections * CORRECTION_DAYS)
        };
        for (index, earlier) in period.earlier.iter().enumerate() {
            let revision = index + 1;
            let reported_at = reported(revision);
            self.revisions.push(indicator_period_revision::Model {
                id: demo_id(&format!("{key}:revision:{revision}"), reported_at)?,
                period_id: id,
                revision: number(revision)?,
                actual_value: earlier.actual,
                actual_female: earlier.female,
                actual_male: earlier.male,
                comment: earlier.comment.clone(),
                reported_by_id: reporting.reporter,
                reported_at,
            });
        }
        let revision = period.earlier.len() + 1;
        let reported_at = reported(revision);
        let approved_at = reported_at + Days::new(APPROVAL_DAYS);
        let (last, field, what) = if period.approved {
            (approved_at, "periods.approved", "approved")
        } else {
            (reported_at, "periods.actual", "reported")
        };
        if last > reporting.as_of {
            return Err(check.fail(
                span,
                field,
                &format!(
                    "period {}: {what} on {}, after the demo's date {}",
                    period.start,
                    last.date_naive(),
                    reporting.as_of.date_naive()
                ),
            ));
        }
        row.actual_value = Some(actual);
        row.actual_female = period.female;
        row.actual_male = period.male;
        row.comment.clone_from(&period.comment);
        row.revision = number(revision)?;
        row.reported_by_id = reporting.reporter;
        row.reported_at = Some(reported_at);
        self.periods.push(row);
        if period.approved {
            let staff = reporting
                .staff
                .ok_or_else(|| bad_data("no STAFF demo login to approve results".to_owned()))?;
            self.approvals.push(indicator_period_approval::Model {
                period_id: id,
                approved_at,
                approved_by_id: Some(staff),
            });
        }
        Ok(())
    }
}

fn number(revision: usize) -> Result<i32, DbErr> {
    i32::try_from(revision).map_err(|_| bad_data(format!("revision {revision} out of range")))
}

/// What is wrong with `value` for `measure` ([`rules::value`]), when something is.
fn misfit(measure: IndicatorMeasure, value: f64) -> Option<String> {
    rules::value(measure, value).map(|problem| format!("{value}: {problem}"))
}

/// The checks of one indicator of the file, each failing with the line and the field.
struct Check<'a> {
    files: &'a DemoFiles,
    row: &'a IndicatorRow,
}

impl Check<'_> {
    /// The error at the value spanning `span`, in `field`.
    fn fail(&self, span: Range<usize>, field: &str, message: &str) -> DbErr {
        let message = format!("indicator {}: {message}", self.row.key.get_ref());
        bad_data(
            self.files
                .indicators_file
                .error(&span, field, &message)
                .to_string(),
        )
    }

    fn disaggregated(&self) -> bool {
        self.row
            .disaggregated_by_sex
            .as_ref()
            .is_some_and(|flag| *flag.get_ref())
    }

    fn ascending(&self) -> bool {
        self.row
            .ascending
            .as_ref()
            .is_none_or(|flag| *flag.get_ref())
    }

    /// The reporting organisation's key: an organisation that is a partner of `project`, other
    /// than the Programme Office.
    fn reporter<'r>(
        &'r self,
        orgs: &HashMap<&str, Uuid>,
        project: &project::Model,
        partners: &[project_partner::Model],
    ) -> Result<&'r str, DbErr> {
        let key = self.row.reporter.get_ref().as_str();
        let span = self.row.reporter.span();
        if key == PROGRAMME_OFFICE {
            return Err(self.fail(
                span,
                "reporter",
                "the Programme Office approves results; a partner reports them",
            ));
        }
        let organisation = lookup(orgs, "organisation", key)
            .map_err(|_| self.fail(span.clone(), "reporter", "no such organisation"))?;
        if !partners.iter().any(|partner| {
            partner.project_id == project.id && partner.organisation_id == organisation
        }) {
            return Err(self.fail(
                span,
                "reporter",
                &format!("{key} is not a partner of {}", project.code),
            ));
        }
        Ok(key)
    }

    /// The rules of the indicator's own fields.
    fn indicator(&self, as_of: DateTime<Utc>) -> Result<(), DbErr> {
        let row = self.row;
        // The first problem the rules find.
        if let Some((field, problem)) = rules::indicator(
            row.measure,
            self.disaggregated(),
            self.ascending(),
            row.baseline.is_some(),
        )
        .into_iter()
        .next()
        {
            let (flag, field) = if field == "baseline" {
                (row.ascending.as_ref().map(Spanned::span), "ascending")
            } else {
                (
                    row.disaggregated_by_sex.as_ref().map(Spanned::span),
                    "disaggregated_by_sex",
                )
            };
            return Err(self.fail(flag.unwrap_or_else(|| row.key.span()), field, problem));
        }
        if let Some(baseline) = &row.baseline {
            let value = baseline.get_ref();
            if let Some(problem) = misfit(row.measure, value.value) {
                return Err(self.fail(baseline.span(), "baseline.value", &problem));
            }
            if value.date > as_of.date_naive() {
                return Err(self.fail(
                    baseline.span(),
                    "baseline.date",
                    &format!("after the demo's date {}", as_of.date_naive()),
                ));
            }
            if let Some(first) = row.periods.first()
                && value.date >= first.get_ref().start
            {
                return Err(self.fail(
                    baseline.span(),
                    "baseline.date",
                    "not before the first period",
                ));
            }
        }
        if row.periods.is_empty() {
            return Err(self.fail(row.key.span(), "periods", "no periods"));
        }
        Ok(())
    }

    /// The rules of one period (`previous`: the start of the period before it); its last day.
    fn period(
        &self,
        span: &Range<usize>,
        period: &PeriodRow,
        previous: Option<NaiveDate>,
        project: &project::Model,
        as_of: DateTime<Utc>,
    ) -> Result<NaiveDate, DbErr> {
        let row = self.row;
        let start = period.start;
        let fail = |field: &str, message: String| {
            self.fail(
                span.clone(),
                &format!("periods.{field}"),
                &format!("period {start}: {message}"),
            )
        };
        let Some((_, end)) = PeriodKey::starting(row.periodicity, start) else {
            return Err(fail(
                "start",
                format!(
                    "not the first day of a calendar {}",
                    match row.periodicity {
                        IndicatorPeriodicity::Annual => "year",
                        IndicatorPeriodicity::Quarterly => "quarter",
                    }
                ),
            ));
        };
        if previous.is_some_and(|previous| previous >= start) {
            return Err(fail(
                "start",
                "twice, or before the period above it".to_owned(),
            ));
        }
        if end < project.start_date || project.end_date.is_some_and(|last| start > last) {
            return Err(fail(
                "start",
                format!("outside the project {}", project.code),
            ));
        }
        if let Some(target) = period.target {
            if let Some(problem) = misfit(row.measure, target) {
                return Err(fail("target", problem));
            }
            if let Some(problem) = rules::target(
                self.ascending(),
                row.baseline.as_ref().map(|b| b.get_ref().value),
                target,
            ) {
                return Err(fail("target", problem));
            }
        }
        let Some(actual) = period.actual else {
            for (field, present) in [
                ("female", period.female.is_some()),
                ("male", period.male.is_some()),
                ("comment", period.comment.is_some()),
                ("approved", period.approved),
                ("earlier", !period.earlier.is_empty()),
            ] {
                if present {
                    return Err(fail(field, "only with an actual".to_owned()));
                }
            }
            return Ok(end);
        };
        let today = as_of.date_naive();
        if start > today {
            return Err(fail(
                "actual",
                format!("the period starts after the demo's date {today}"),
            ));
        }
        if end >= today {
            return Err(fail(
                "actual",
                format!("the period has not ended by the demo's date {today}"),
            ));
        }
        let current = ResultRow {
            actual,
            female: period.female,
            male: period.male,
            comment: None,
        };
        self.result(&current)
            .map_err(|(field, problem)| fail(field, problem))?;
        for earlier in &period.earlier {
            self.result(earlier)
                .map_err(|(field, problem)| fail(&format!("earlier.{field}"), problem))?;
        }
        Ok(end)
    }

    /// The rules of one reported value: it fits the measure, and it is given by sex exactly when
    /// the indicator is disaggregated by sex (for a number, women and men together at most the
    /// total; the rest is undisclosed).
    fn result(&self, result: &ResultRow) -> Result<(), (&'static str, String)> {
        match rules::result(
            self.row.measure,
            self.disaggregated(),
            result.actual,
            result.female,
            result.male,
        )
        .into_iter()
        .next()
        {
            // The file calls the total `actual`.
            Some(("value", problem)) => Err(("actual", problem)),
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{Datelike, Months};
    use entity::{
        centre_report, centre_report_line,
        enums::{CentreKind, Visibility},
    };
    use sea_orm::Iterable;

    use super::*;
    use crate::demo::{AS_OF, Demo, accounts_created, date, files::DemoFiles, logins, org_id};

    fn demo() -> Demo {
        let files = DemoFiles::read().expect("the data files read");
        Demo::build(&files).expect("the data files are consistent")
    }

    fn as_of() -> DateTime<Utc> {
        at(date(AS_OF).expect("a date"), 9)
    }

    /// The periods of the indicator `key`, by their start.
    fn periods<'d>(demo: &'d Demo, key: &str) -> BTreeMap<NaiveDate, &'d indicator_period::Model> {
        let files = DemoFiles::read().expect("the data files read");
        let row = files
            .indicators
            .iter()
            .find(|row| row.key.get_ref() == key)
            .expect("the indicator is in the file");
        let project = demo
            .projects
            .iter()
            .find(|project| &project.code == row.project.get_ref())
            .expect("its project");
        let indicator = demo
            .indicators
            .iter()
            .find(|indicator| {
                indicator.project_id == project.id
                    && indicator.title.en == Some(row.title.localized().en.expect("a title"))
            })
            .expect("the indicator");
        demo.indicator_periods
            .iter()
            .filter(|period| period.indicator_id == indicator.id)
            .map(|period| (period.period_start, period))
            .collect()
    }

    fn actual(period: &indicator_period::Model) -> f64 {
        period.actual_value.expect("a result")
    }

    #[test]
    fn the_indicators_cover_the_results_framework() {
        let demo = demo();
        let today = as_of().date_naive();
        let projects: HashMap<Uuid, &project::Model> =
            demo.projects.iter().map(|row| (row.id, row)).collect();
        let with_indicators: HashSet<Uuid> =
            demo.indicators.iter().map(|row| row.project_id).collect();
        assert!(demo.indicators.len() >= 20, "{}", demo.indicators.len());
        assert!(with_indicators.len() >= 10, "{}", with_indicators.len());
        for visibility in [Visibility::Public, Visibility::Internal] {
            assert!(
                with_indicators
                    .iter()
                    .any(|id| projects[id].visibility == visibility),
                "{visibility:?}"
            );
        }
        for measure in IndicatorMeasure::iter() {
            assert!(demo.indicators.iter().any(|row| row.measure == measure));
        }
        for periodicity in IndicatorPeriodicity::iter() {
            assert!(
                demo.indicators
                    .iter()
                    .any(|row| row.periodicity == periodicity)
            );
        }
        assert!(demo.indicators.iter().any(|row| !row.ascending));
        assert!(demo.indicators.iter().any(|row| row.disaggregated_by_sex));
        assert!(demo.indicators.iter().any(|row| row.definition.is_empty()));
        assert!(demo.indicators.iter().any(|row| row.title.tg.is_some()));

        let reported: Vec<&indicator_period::Model> = demo
            .indicator_periods
            .iter()
            .filter(|row| row.actual_value.is_some())
            .collect();
        let approved: HashSet<Uuid> = demo
            .indicator_approvals
            .iter()
            .map(|row| row.period_id)
            .collect();
        assert!(approved.len() * 2 > reported.len(), "most results approved");
        assert!(
            reported
                .iter()
                .filter(|row| !approved.contains(&row.id))
                .count()
                >= 5
        );
        // One result corrected, its first revision kept; one period ended without a result.
        assert_eq!(demo.indicator_revisions.len(), 1);
        assert_eq!(reported.iter().filter(|row| row.revision > 1).count(), 1);
        let unreported: Vec<&indicator_period::Model> = demo
            .indicator_periods
            .iter()
            .filter(|row| row.actual_value.is_none() && row.period_end < today)
            .collect();
        assert_eq!(unreported.len(), 1, "{unreported:?}");
        // Targets for the periods to come, and no results for them.
        let coming: Vec<&indicator_period::Model> = demo
            .indicator_periods
            .iter()
            .filter(|row| row.period_start > today)
            .collect();
        assert!(coming.len() >= 5);
        for row in coming {
            assert!(row.target_value.is_some() && row.actual_value.is_none());
        }
        // Each result as the table wants it.
        for row in &demo.indicator_periods {
            assert!(row.period_end > row.period_start);
            assert_eq!(row.actual_value.is_some(), row.revision >= 1);
            assert_eq!(row.actual_value.is_some(), row.reported_at.is_some());
            if let Some(reported_at) = row.reported_at {
                assert!(reported_at.date_naive() > row.period_end);
                assert!(reported_at <= as_of());
            }
        }
    }

    #[test]
    fn partners_report_the_results_and_the_staff_approves_them() {
        let demo = demo();
        let created = accounts_created().expect("a time");
        let logins = logins().expect("the logins read");
        let account = |role: &str| {
            accounts::with_role(&logins, role, created)
                .expect("an id")
                .expect("a demo login of the role")
        };
        let staff = account("STAFF");
        let members: HashMap<Uuid, Uuid> = logins
            .iter()
            .filter_map(|login| {
                let organisation = org_id(login.organisation.as_deref()?).expect("an id");
                Some((
                    accounts::account_id(login, created).expect("an id"),
                    organisation,
                ))
            })
            .collect();
        let indicators: HashMap<Uuid, &indicator::Model> =
            demo.indicators.iter().map(|row| (row.id, row)).collect();
        let periods: HashMap<Uuid, &indicator_period::Model> = demo
            .indicator_periods
            .iter()
            .map(|row| (row.id, row))
            .collect();
        let mut reporters = HashSet::new();
        for row in &demo.indicator_periods {
            let Some(reporter) = row.reported_by_id else {
                continue;
            };
            let organisation = members[&reporter];
            let project = indicators[&row.indicator_id].project_id;
            assert!(demo.partners.iter().any(|partner| {
                partner.project_id == project && partner.organisation_id == organisation
            }));
            reporters.insert(reporter);
        }
        assert_eq!(reporters.len(), 2, "both demo partner organisations report");
        for approval in &demo.indicator_approvals {
            let period = periods[&approval.period_id];
            assert_eq!(approval.approved_by_id, Some(staff));
            assert!(period.actual_value.is_some());
            assert!(approval.approved_at > period.reported_at.expect("reported"));
            assert!(approval.approved_at <= as_of());
        }
        for revision in &demo.indicator_revisions {
            let period = periods[&revision.period_id];
            assert!(revision.revision < period.revision);
            assert!(revision.reported_at < period.reported_at.expect("reported"));
            assert_eq!(revision.reported_by_id, period.reported_by_id);
        }
    }

    #[test]
    fn the_results_agree_with_the_texts_and_the_centre_reports() {
        let demo = demo();
        let year = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).expect("a date");
        let quarter = |y: i32, q: u32| NaiveDate::from_ymd_opt(y, q * 3 - 2, 1).expect("a date");

        assert_eq!(actual(periods(&demo, "public-councils")[&year(2025)]), 53.0);
        let meetings: f64 = periods(&demo, "mobile-reception-meetings")
            .iter()
            .filter(|(start, _)| start.year() == 2024)
            .map(|(_, period)| actual(period))
            .sum();
        assert!(meetings > 330.0, "{meetings}");
        assert!(actual(periods(&demo, "mobile-reception-people")[&year(2024)]) > 17_000.0);
        let forum = periods(&demo, "syrdarya-youth-forum")[&year(2025)];
        assert_eq!(actual(forum), 248.0);
        assert!(actual(periods(&demo, "gender-police-units")[&year(2025)]) > 20.0);

        // The share of women at the College is that of its participants.
        let participants = periods(&demo, "bmsc-course-participants");
        for (start, share) in periods(&demo, "bmsc-women-share") {
            let Some(share) = share.actual_value else {
                continue;
            };
            let counted = participants[&start];
            let women = counted.actual_female.expect("by sex") / actual(counted) * 100.0;
            assert!(
                (women - share).abs() < 0.05,
                "{start}: {women} against {share}"
            );
        }

        // More than 20,000 women a year, and 2026's quarters as the centres reported them.
        let women = periods(&demo, "wrc-women-served");
        let served_2025: f64 = (1..=4).map(|q| actual(women[&quarter(2025, q)])).sum();
        assert!(served_2025 > 20_000.0, "{served_2025}");
        let wrcs: HashSet<Uuid> = demo
            .centres
            .iter()
            .filter(|row| row.kind == CentreKind::WomensResourceCentre)
            .map(|row| row.id)
            .collect();
        let reports: HashMap<Uuid, &centre_report::Model> =
            demo.reports.iter().map(|row| (row.id, row)).collect();
        let reported = |q: u32| -> i32 {
            demo.report_lines
                .iter()
                .filter(|line: &&centre_report_line::Model| {
                    let report = reports[&line.report_id];
                    wrcs.contains(&report.centre_id)
                        && report.month >= quarter(2026, q)
                        && report.month < quarter(2026, q) + Months::new(3)
                })
                .map(|line| line.female)
                .sum()
        };
        for q in 1..=3 {
            assert_eq!(
                actual(women[&quarter(2026, q)]),
                f64::from(reported(q)),
                "Q{q}"
            );
        }
        // The correction of the third quarter is the Bokhtar centre's of September: four women
        // fewer than first reported.
        let corrected = women[&quarter(2026, 3)];
        let earlier = demo
            .indicator_revisions
            .iter()
            .find(|row| row.period_id == corrected.id)
            .expect("the earlier revision");
        assert_eq!(earlier.actual_value - actual(corrected), 4.0);
        let revised = demo
            .report_revisions
            .first()
            .map(|revision| reports[&revision.report_id])
            .expect("a revised centre report");
        assert!(wrcs.contains(&revised.centre_id));
        assert_eq!(revised.month, quarter(2026, 3) + Months::new(2));
    }

    /// A valid indicator whose line `line` (1-based) is replaced by `replacement`.
    fn one_indicator(line: usize, replacement: &str) -> &'static str {
        let text = "[[indicator]]
key = \"k\"
project = \"PO-2025-GE-01\"
reporter = \"oksana\"
measure = \"NUMBER\"
periodicity = \"ANNUAL\"
baseline = { value = 10, date = 2024-12-31 }
title.en = \"T\"
title.ru = \"T\"
periods = [
  { start = 2025-01-01, target = 12, actual = 11 },
  { start = 2026-01-01, target = 14 },
]
";
        let mut lines: Vec<&str> = text.lines().collect();
        if line > 0 {
            lines[line - 1] = replacement;
        }
        (lines.join("\n") + "\n").leak()
    }

    fn build_with(text: &'static str) -> Result<Demo, String> {
        let files = DemoFiles::read()
            .expect("the data files read")
            .with_indicators(text)
            .map_err(|error| error.to_string())?;
        Demo::build(&files).map_err(|error| error.to_string())
    }

    #[test]
    fn a_bad_indicator_is_an_error_naming_the_line_and_the_field() {
        let good = build_with(one_indicator(0, "")).expect("the valid indicator builds");
        assert_eq!(good.indicators.len(), 1);
        assert_eq!(good.indicator_periods.len(), 2);
        // The line replaced, its replacement, and the line and field the error names.
        for (line, replacement, at_line, field) in [
            (2, "key = \"k\"\ntypo = 1", 3, "typo"),
            (3, "project = \"PO-2099-XX-01\"", 3, "project"),
            (4, "reporter = \"osce-po\"", 4, "reporter"),
            (4, "reporter = \"moia\"", 4, "reporter"),
            (5, "measure = \"COUNT\"", 5, "measure"),
            (
                5,
                "measure = \"YES_NO\"\ndisaggregated_by_sex = true",
                6,
                "disaggregated_by_sex",
            ),
            (
                5,
                "measure = \"PERCENTAGE\"\nascending = false",
                12,
                "periods.target",
            ),
            (7, "ascending = false", 7, "ascending"),
            (7, "baseline = { value = 10 }", 7, "date"),
            (
                7,
                "baseline = { value = 10, date = 2025-06-30 }",
                7,
                "baseline.date",
            ),
            (
                7,
                "baseline = { value = -1, date = 2024-12-31 }",
                7,
                "baseline.value",
            ),
            (
                11,
                "  { start = 2025-02-01, target = 12 },",
                11,
                "periods.start",
            ),
            (
                11,
                "  { start = 2026-01-01, target = 12 },",
                12,
                "periods.start",
            ),
            (
                12,
                "  { start = 2028-01-01, target = 14 },",
                12,
                "periods.start",
            ),
            (
                11,
                "  { start = 2025-01-01, target = 9 },",
                11,
                "periods.target",
            ),
            (11, "  { start = 2025-01-01, tagret = 12 },", 11, "tagret"),
            (
                11,
                "  { start = 2025-01-01, comment = \"Why\" },",
                11,
                "periods.comment",
            ),
            (
                11,
                "  { start = 2025-01-01, approved = true },",
                11,
                "periods.approved",
            ),
            (
                11,
                "  { start = 2025-01-01, actual = 11, female = 5 },",
                11,
                "periods.female",
            ),
            (
                11,
                "  { start = 2025-01-01, actual = 11, earlier = [{ actual = 9, male = 1 }] },",
                11,
                "periods.earlier.male",
            ),
            (
                12,
                "  { start = 2026-01-01, actual = 14 },",
                12,
                "periods.actual",
            ),
            (
                12,
                "  { start = 2027-01-01, actual = 14 },",
                12,
                "periods.actual",
            ),
        ] {
            let text = one_indicator(line, replacement);
            let error = build_with(text).expect_err(replacement);
            assert!(
                error.contains("api/data/demo/indicators.toml"),
                "{replacement}: {error}"
            );
            assert!(
                error.contains(&format!("line {at_line},")),
                "{replacement}: {error}"
            );
            assert!(error.contains(field), "{replacement}: {error}");
        }
    }

    #[test]
    fn a_result_by_sex_fits_its_total_and_a_descending_target_its_baseline() {
        let by_sex = |measure: &str, period: &str| {
            one_indicator(
                5,
                &format!("measure = \"{measure}\"\ndisaggregated_by_sex = true"),
            )
            .replace(
                "  { start = 2025-01-01, target = 12, actual = 11 },",
                period,
            )
            .leak()
        };
        let fits = "  { start = 2025-01-01, actual = 11, female = 6, male = 4 },";
        build_with(by_sex("NUMBER", fits)).expect("one undisclosed");
        let over = "  { start = 2025-01-01, actual = 11, female = 6, male = 6 },";
        let error = build_with(by_sex("NUMBER", over)).expect_err("more than the total");
        assert!(error.contains("more than the total"), "{error}");
        // Percentages by sex are each a percentage, not parts of the total.
        let shares = "  { start = 2025-01-01, actual = 40, female = 35, male = 46 },";
        build_with(by_sex("PERCENTAGE", shares)).expect("shares");
        let missing = "  { start = 2025-01-01, actual = 11, female = 6 },";
        let error = build_with(by_sex("NUMBER", missing)).expect_err("no men");
        assert!(error.contains("periods.male"), "{error}");

        let descending = one_indicator(
            7,
            "baseline = { value = 10, date = 2024-12-31 }\nascending = false",
        );
        let error = build_with(descending).expect_err("a target above the baseline");
        assert!(error.contains("at most its baseline"), "{error}");
    }
}
