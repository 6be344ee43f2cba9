//! Scheduled jobs that every server process on a database shares: the overdue escalation and
//! the daily digest (issue 16), and the reminder of missing monthly reports (issue 17).
//!
//! Each process runs a [`Scheduler`] that looks every poll interval for a due job. A job runs
//! only in the process that takes its lease in `scheduled_job` (an update guarded on the old
//! lease, the same on SQLite and PostgreSQL), so of several processes one runs it at a time;
//! one that dies while running leaves a lease that runs out, and another takes the job over.
//!
//! What a job does for one subject (tells an overdue case's parties, sends an organisation its
//! digest) is written in one transaction with the subject's `job_mark`, which only an insert
//! that does nothing on conflict or an update guarded on the old mark can move. So even two
//! runs that overlap (a lease that ran out under a very slow run) tell each subject once per
//! interval, and a run that fails half-way is simply resumed by the next one.
//!
//! Like every notification, what the jobs write carries case codes and deadlines, never a
//! survivor's data.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};
use entity::{
    account, case_assignment, centre_report,
    enums::{AccountStatus, CaseStatus, Language},
    job_mark, referral_case, resource_centre, scheduled_job,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    case_events::{CaseChange, CaseEvent, CaseEventBus},
    notifications::{self, Digest, StepParties, Waiting},
};
use crate::{
    db::Db,
    error::{ApiError, ApiResult},
};

/// The overdue escalation job: tells both sides of each referral past its deadline.
pub const ESCALATION: &str = "overdue_escalation";
/// The daily digest job: tells each organisation what awaits it.
pub const DIGEST: &str = "daily_digest";
/// The monthly report reminder: tells the operators of centres without last month's report.
pub const REPORT_REMINDER: &str = "report_reminder";
/// The day of the month from which a missing report of the month before is reminded of.
pub const REMINDER_DAY: u32 = 3;

/// When the jobs run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSettings {
    /// How often a process looks for a due job, and so how soon after its deadline a referral
    /// is escalated (`PORTAL_JOBS_POLL_SECONDS`).
    pub poll_interval: Duration,
    /// How long after telling the parties of an unanswered referral they are told again
    /// (`PORTAL_ESCALATION_INTERVAL_HOURS`).
    pub escalation_interval: TimeDelta,
    /// The hour of the day (UTC) the digest goes out (`PORTAL_DIGEST_HOUR_UTC`).
    pub digest_hour: u32,
    /// How long a process may run a job before another may take it over.
    pub lease: Duration,
    /// The most overdue cases one run tells about; the rest wait for the next run.
    pub batch: usize,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(60),
            escalation_interval: TimeDelta::hours(24),
            // 08:00 in Dushanbe (UTC+5), before a shelter's day starts.
            digest_hour: 3,
            lease: Duration::from_secs(300),
            batch: 200,
        }
    }
}

/// What one look at the schedule did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ran {
    /// Overdue cases whose parties were told.
    pub escalated: usize,
    /// Organisations sent a digest.
    pub digests: usize,
    /// Centres whose operators were reminded of last month's report.
    pub reminders: usize,
}

/// Whether the parties of a case whose answer was due at `due` are to be told now, when they
/// were last told at `last` (`None`: never): once the deadline has passed, and again each
/// `interval`; a new deadline (an onward referral) starts again, since it is set after every
/// earlier telling.
pub fn escalation_due(
    due: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    interval: TimeDelta,
) -> bool {
    due < now && last.is_none_or(|last| last < due || last <= now - interval)
}

/// The latest digest time (`hour`:00 UTC) at or before `now`: a digest sent since then is
/// today's.
pub fn digest_window(now: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
    let today = now.date_naive().and_time(time).and_utc();
    if today <= now {
        today
    } else {
        today - TimeDelta::days(1)
    }
}

/// Runs the scheduled jobs of one server process.
#[derive(Clone, Debug)]
pub struct Scheduler {
    db: Db,
    events: CaseEventBus,
    settings: Arc<JobSettings>,
}

impl Scheduler {
    /// A scheduler on `db` (best a small pool of its own: its work is background work)
    /// publishing the live events of what it tells on `events`.
    pub fn new(db: Db, events: CaseEventBus, settings: JobSettings) -> Self {
        Self {
            db,
            events,
            settings: Arc::new(settings),
        }
    }

    /// Runs the loop in the background until the returned task is dropped.
    pub fn spawn(self) -> JobTask {
        JobTask(tokio::spawn(self.run()))
    }

    async fn run(self) {
        let period = self.settings.poll_interval;
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match self.run_due(Utc::now()).await {
                Ok(ran) if ran != Ran::default() => tracing::info!(
                    escalated = ran.escalated,
                    digests = ran.digests,
                    reminders = ran.reminders,
                    "scheduled jobs ran"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(?error, "a scheduled job failed; trying again later");
                }
            }
        }
    }

    /// Runs each job that is due at `now` and whose lease this process takes.
    ///
    /// # Errors
    /// The database's; a job that fails is released to run again at the next poll.
    pub async fn run_due(&self, now: DateTime<Utc>) -> ApiResult<Ran> {
        let poll = delta(self.settings.poll_interval)?;
        let next_digest = digest_window(now, self.settings.digest_hour) + TimeDelta::days(1);
        Ok(Ran {
            escalated: self
                .run_job(ESCALATION, now, (now, now + poll), || {
                    self.escalate_overdue(now)
                })
                .await?,
            digests: self
                .run_job(DIGEST, now, (next_digest, next_digest), || {
                    self.send_digests(now)
                })
                .await?,
            reminders: self
                .run_job(REPORT_REMINDER, now, (next_digest, next_digest), || {
                    self.remind_reports(now)
                })
                .await?,
        })
    }

    /// Runs `job` if this process takes the lease of job `name` (first due at `due.0`), and
    /// gives the lease back due again at `due.1`, or at the next poll when it failed. Answers
    /// what the job did (0 when it did not run).
    async fn run_job<Job, Done>(
        &self,
        name: &str,
        now: DateTime<Utc>,
        due: (DateTime<Utc>, DateTime<Utc>),
        job: Job,
    ) -> ApiResult<usize>
    where
        Job: FnOnce() -> Done,
        Done: Future<Output = ApiResult<usize>>,
    {
        if !self.take(name, now, due.0).await? {
            return Ok(0);
        }
        let outcome = job().await;
        let next = match outcome {
            Ok(_) => due.1,
            Err(_) => now + delta(self.settings.poll_interval)?,
        };
        self.release(name, now, next, outcome.is_ok()).await?;
        outcome
    }

    /// Takes the lease of job `name` if it is due at `now` and nobody holds it. A job seen for
    /// the first time is first due at `first`.
    async fn take(&self, name: &str, now: DateTime<Utc>, first: DateTime<Utc>) -> ApiResult<bool> {
        let created = scheduled_job::Entity::insert(scheduled_job::ActiveModel {
            name: Set(name.to_owned()),
            next_run_at: Set(first),
            locked_until: Set(None),
            last_finished_at: Set(None),
        })
        .on_conflict_do_nothing_on([scheduled_job::Column::Name])
        .exec_without_returning(&self.db)
        .await?;
        if matches!(created, TryInsertResult::Inserted(_)) && first > now {
            return Ok(false);
        }
        let until = now + delta(self.settings.lease)?;
        let taken = scheduled_job::Entity::update_many()
            .col_expr(scheduled_job::Column::LockedUntil, Expr::value(until))
            .filter(scheduled_job::Column::Name.eq(name))
            .filter(scheduled_job::Column::NextRunAt.lte(now))
            .filter(
                Condition::any()
                    .add(scheduled_job::Column::LockedUntil.is_null())
                    .add(scheduled_job::Column::LockedUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(taken.rows_affected == 1)
    }

    /// Gives the lease of job `name` back, due again at `next`.
    async fn release(
        &self,
        name: &str,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
        finished: bool,
    ) -> ApiResult<()> {
        let mut update = scheduled_job::Entity::update_many()
            .col_expr(scheduled_job::Column::NextRunAt, Expr::value(next))
            .col_expr(
                scheduled_job::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(scheduled_job::Column::Name.eq(name));
        if finished {
            update = update.col_expr(scheduled_job::Column::LastFinishedAt, Expr::value(now));
        }
        update.exec(&self.db).await?;
        Ok(())
    }

    /// Tells the referring and receiving organisations of every referral past its deadline
    /// and unanswered, unless they were told within the escalation interval (see
    /// [`escalation_due`]). Answers how many cases were told about.
    ///
    /// # Errors
    /// The database's; the cases told before the error stay told.
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> ApiResult<usize> {
        let interval = self.settings.escalation_interval;
        let overdue: Vec<(Uuid, Option<DateTime<Utc>>)> = referral_case::Entity::find()
            .select_only()
            .column(referral_case::Column::Id)
            .column(referral_case::Column::ResponseDueAt)
            .filter(referral_case::Column::Status.eq(CaseStatus::Referred))
            .filter(referral_case::Column::ResponseDueAt.lt(now))
            .order_by_asc(referral_case::Column::ResponseDueAt)
            .order_by_asc(referral_case::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut told = 0;
        for batch in overdue.chunks(self.settings.batch) {
            let marks = marks(&self.db, ESCALATION, batch.iter().map(|(id, _)| *id)).await?;
            for (id, due) in batch {
                let last = marks.get(id).copied();
                let due_now = due.is_some_and(|due| escalation_due(due, last, now, interval));
                if due_now && self.escalate(*id, last, now).await? {
                    told += 1;
                }
            }
        }
        Ok(told)
    }

    /// Tells the parties of case `id` that its deadline passed, if it is still unanswered and
    /// its mark is still `last`; all in one transaction with the new mark.
    async fn escalate(
        &self,
        id: Uuid,
        last: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> ApiResult<bool> {
        let txn = self.db.begin().await?;
        // The mark first: a write, it makes SQLite take its write lock before any read, so
        // that the reads below cannot turn stale before the commit.
        if !mark(&txn, ESCALATION, id, last, now).await? {
            return Ok(false);
        }
        // Read again in the transaction: it may have been answered since the list (dropping
        // the transaction then rolls the mark back).
        let Some(case) = referral_case::Entity::find_by_id(id)
            .filter(referral_case::Column::Status.eq(CaseStatus::Referred))
            .filter(referral_case::Column::ResponseDueAt.lt(now))
            .one(&txn)
            .await?
        else {
            return Ok(false);
        };
        let parties = StepParties {
            actor: None,
            referrer: case.referring_organisation_id,
            receiver: case.receiving_organisation_id,
            ..StepParties::default()
        };
        let tells = notifications::recipients(case.status, CaseChange::DeadlinePassed, &parties);
        let notified = notifications::tell(
            &txn,
            tells,
            notifications::About {
                case_id: case.id,
                code: &case.code,
            },
            now,
        )
        .await?;
        txn.commit().await?;
        let mut parties = vec![case.referring_organisation_id];
        parties.extend(case.receiving_organisation_id);
        let event = CaseEvent {
            case_id: case.id,
            code: case.code,
            change: CaseChange::DeadlinePassed,
            status: case.status,
            at: now,
            parties,
            notified,
        };
        if let Err(error) = self.events.publish(event).await {
            tracing::warn!(%error, case = %id, "could not publish a deadline event");
        }
        Ok(true)
    }

    /// Sends each organisation with something waiting its digest, once per day: to every
    /// active member, in the member's language. Answers how many organisations got one.
    ///
    /// # Errors
    /// The database's; the organisations sent theirs before the error keep them.
    pub async fn send_digests(&self, now: DateTime<Utc>) -> ApiResult<usize> {
        let window = digest_window(now, self.settings.digest_hour);
        let digests = self.digests(now).await?;
        if digests.is_empty() {
            return Ok(0);
        }
        let members = account::Entity::find()
            .filter(account::Column::OrganisationId.is_in(digests.keys().copied()))
            .filter(account::Column::Status.eq(AccountStatus::Active))
            .order_by_asc(account::Column::Id)
            .all(&self.db)
            .await?;
        let marks = marks(&self.db, DIGEST, digests.keys().copied()).await?;
        let mut sent = 0;
        for (organisation, digest) in &digests {
            let last = marks.get(organisation).copied();
            if last.is_some_and(|last| last >= window) {
                continue;
            }
            let recipients: Vec<(&str, Language)> = members
                .iter()
                .filter(|member| member.organisation_id == Some(*organisation))
                .map(|member| (member.email.as_str(), member.preferred_language))
                .collect();
            if recipients.is_empty() {
                continue;
            }
            let txn = self.db.begin().await?;
            if !mark(&txn, DIGEST, *organisation, last, now).await? {
                continue;
            }
            let mails = recipients
                .into_iter()
                .filter_map(|(email, language)| notifications::digest_mail(email, language, digest))
                .collect();
            super::mail::enqueue_all(&txn, mails).await?;
            txn.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// From the [`REMINDER_DAY`] of a month on, reminds the operators of active centres
    /// that have no report for the month before, once per centre and month: one mail to each
    /// active member of the operating organisation, naming its centres. Answers how many
    /// centres were reminded of.
    ///
    /// # Errors
    /// The database's; the operators reminded before the error stay reminded.
    pub async fn remind_reports(&self, now: DateTime<Utc>) -> ApiResult<usize> {
        let Some(month) = reminded_month(now.date_naive()) else {
            return Ok(0);
        };
        let this_month = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(month);
        let month_start = this_month.and_time(NaiveTime::MIN).and_utc();
        let centres = resource_centre::Entity::find()
            .filter(resource_centre::Column::Active.eq(true))
            // A centre that came into the portal this month owes nothing for the last one.
            .filter(resource_centre::Column::CreatedAt.lt(month_start))
            .order_by_asc(resource_centre::Column::SortName)
            .all(&self.db)
            .await?;
        let reported: HashSet<Uuid> = centre_report::Entity::find()
            .filter(centre_report::Column::Month.eq(month))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|report| report.centre_id)
            .collect();
        let marks = marks(
            &self.db,
            REPORT_REMINDER,
            centres.iter().map(|centre| centre.id),
        )
        .await?;
        let mut owed: BTreeMap<Uuid, Vec<&resource_centre::Model>> = BTreeMap::new();
        for centre in &centres {
            let reminded = marks.get(&centre.id).is_some_and(|at| *at >= month_start);
            if !reported.contains(&centre.id) && !reminded {
                owed.entry(centre.operator_id).or_default().push(centre);
            }
        }
        if owed.is_empty() {
            return Ok(0);
        }
        let members = account::Entity::find()
            .filter(account::Column::OrganisationId.is_in(owed.keys().copied()))
            .filter(account::Column::Status.eq(AccountStatus::Active))
            .order_by_asc(account::Column::Id)
            .all(&self.db)
            .await?;
        let mut reminded = 0;
        for (operator, centres) in owed {
            let txn = self.db.begin().await?;
            let mut marked = Vec::new();
            for centre in centres {
                if mark(
                    &txn,
                    REPORT_REMINDER,
                    centre.id,
                    marks.get(&centre.id).copied(),
                    now,
                )
                .await?
                {
                    marked.push(centre);
                }
            }
            let mails = members
                .iter()
                .filter(|member| member.organisation_id == Some(operator))
                .filter_map(|member| {
                    let names: Vec<String> = marked
                        .iter()
                        .map(|centre| centre_name(&centre.name, member.preferred_language))
                        .collect();
                    (!names.is_empty()).then(|| {
                        notifications::report_reminder_mail(
                            &member.email,
                            member.preferred_language,
                            month,
                            &names,
                        )
                    })?
                })
                .collect();
            super::mail::enqueue_all(&txn, mails).await?;
            txn.commit().await?;
            reminded += marked.len();
        }
        Ok(reminded)
    }

    /// What awaits each organisation at `now`, for those awaited by something.
    async fn digests(&self, now: DateTime<Utc>) -> ApiResult<BTreeMap<Uuid, Digest>> {
        let open = referral_case::Entity::find()
            .filter(referral_case::Column::Status.is_in([
                CaseStatus::Referred,
                CaseStatus::Accepted,
                CaseStatus::InService,
            ]))
            .order_by_asc(referral_case::Column::ResponseDueAt)
            .order_by_asc(referral_case::Column::Code)
            .all(&self.db)
            .await?;
        let assigned: HashSet<(Uuid, Uuid)> = case_assignment::Entity::find()
            .filter(case_assignment::Column::CaseId.is_in(open.iter().map(|case| case.id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.case_id, row.organisation_id))
            .collect();
        let mut digests: BTreeMap<Uuid, Digest> = BTreeMap::new();
        for case in &open {
            let waiting = || Waiting {
                code: case.code.clone(),
                due: case.response_due_at,
                overdue: super::cases::is_overdue(case, now),
            };
            let referrer = case.referring_organisation_id;
            if case.status == CaseStatus::Referred {
                if let Some(receiver) = case.receiving_organisation_id {
                    digests
                        .entry(receiver)
                        .or_default()
                        .to_answer
                        .push(waiting());
                }
                digests
                    .entry(referrer)
                    .or_default()
                    .awaiting_answer
                    .push(waiting());
            }
            let mut parties = vec![referrer];
            // A receiver owns a case once it has taken it; before, it has to answer it.
            if case.status != CaseStatus::Referred {
                parties.extend(case.receiving_organisation_id);
            }
            for party in parties {
                if !assigned.contains(&(case.id, party)) {
                    digests
                        .entry(party)
                        .or_default()
                        .unassigned
                        .push(case.code.clone());
                }
            }
        }
        digests.retain(|_, digest| !digest.is_empty());
        Ok(digests)
    }
}

/// The month whose missing reports are reminded of on `today`: the month before, from the
/// [`REMINDER_DAY`] of this month on; `None` before it.
pub fn reminded_month(today: NaiveDate) -> Option<NaiveDate> {
    if today.day() < REMINDER_DAY {
        return None;
    }
    today
        .with_day(1)?
        .checked_sub_months(chrono::Months::new(1))
}

/// A centre's name in `language`, else in the first language it has.
fn centre_name(name: &entity::Localized, language: Language) -> String {
    let preferred = match language {
        Language::En => &name.en,
        Language::Ru => &name.ru,
        Language::Tg => &name.tg,
    };
    preferred
        .as_deref()
        .or_else(|| name.present().next())
        .unwrap_or("-")
        .to_owned()
}

/// The marks of `job` on `subjects`.
async fn marks(
    db: &Db,
    job: &str,
    subjects: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, DateTime<Utc>>> {
    Ok(job_mark::Entity::find()
        .filter(job_mark::Column::Job.eq(job))
        .filter(job_mark::Column::Subject.is_in(subjects))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.subject, row.at))
        .collect())
}

/// Moves the mark of `job` on `subject` from `last` (`None`: no mark) to `now`, on `conn` (the
/// transaction of what the job does for the subject): an insert that does nothing if a mark
/// appeared meanwhile, or an update only while the mark is still `last`. Answers whether it
/// moved, that is whether this run is the one to act on the subject.
async fn mark(
    conn: &impl ConnectionTrait,
    job: &str,
    subject: Uuid,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let Some(last) = last else {
        let inserted = job_mark::Entity::insert(job_mark::ActiveModel {
            job: Set(job.to_owned()),
            subject: Set(subject),
            at: Set(now),
        })
        .on_conflict_do_nothing_on([job_mark::Column::Job, job_mark::Column::Subject])
        .exec_without_returning(conn)
        .await?;
        return Ok(matches!(inserted, TryInsertResult::Inserted(_)));
    };
    let moved = job_mark::Entity::update_many()
        .col_expr(job_mark::Column::At, Expr::value(now))
        .filter(job_mark::Column::Job.eq(job))
        .filter(job_mark::Column::Subject.eq(subject))
        .filter(job_mark::Column::At.eq(last))
        .exec(conn)
        .await?;
    Ok(moved.rows_affected == 1)
}

fn delta(duration: Duration) -> ApiResult<TimeDelta> {
    TimeDelta::from_std(duration).map_err(|error| ApiError::Internal(error.into()))
}

/// The scheduler's loop: stopped when dropped.
#[derive(Debug)]
pub struct JobTask(tokio::task::JoinHandle<()>);

impl Drop for JobTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_deadline_is_escalated_once_it_passes_and_again_each_interval() {
        let due = at("2026-12-01T10:00:00Z");
        let day = TimeDelta::hours(24);
        assert!(!escalation_due(due, None, at("2026-12-01T09:59:00Z"), day));
        assert!(!escalation_due(due, None, due, day));
        assert!(escalation_due(due, None, at("2026-12-01T10:01:00Z"), day));
        let told = at("2026-12-01T10:01:00Z");
        assert!(!escalation_due(
            due,
            Some(told),
            at("2026-12-02T10:00:59Z"),
            day
        ));
        assert!(escalation_due(
            due,
            Some(told),
            at("2026-12-02T10:01:00Z"),
            day
        ));
        // Told about an earlier deadline: a new one (an onward referral) starts again.
        let new_due = at("2026-12-01T18:00:00Z");
        assert!(escalation_due(
            new_due,
            Some(told),
            at("2026-12-01T18:00:01Z"),
            day
        ));
    }

    #[test]
    fn a_missing_report_is_reminded_of_from_the_third_of_the_next_month() {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a day");
        assert_eq!(reminded_month(day("2026-12-02")), None);
        assert_eq!(reminded_month(day("2026-12-03")), Some(day("2026-11-01")));
        assert_eq!(reminded_month(day("2026-12-31")), Some(day("2026-11-01")));
        assert_eq!(reminded_month(day("2027-01-05")), Some(day("2026-12-01")));
    }

    #[test]
    fn the_digest_window_starts_at_the_last_digest_hour() {
        assert_eq!(
            digest_window(at("2026-12-02T03:00:00Z"), 3),
            at("2026-12-02T03:00:00Z")
        );
        assert_eq!(
            digest_window(at("2026-12-02T17:30:00Z"), 3),
            at("2026-12-02T03:00:00Z")
        );
        assert_eq!(
            digest_window(at("2026-12-02T02:59:59Z"), 3),
            at("2026-12-01T03:00:00Z")
        );
    }
}
