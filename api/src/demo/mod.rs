//! The demo data for development, read from the data files of `api/data/` (organisations,
//! projects, events and resource centres built from the public texts about the Programme Office
//! in `shared/context/`, one account per role, some sixty referral cases with their histories,
//! the indicators of a dozen projects with their targets and results) and loaded into a
//! database by [`load`]: with a year of monthly reports from the Women's Resource Centres and
//! shelters made up here, the case histories replayed through the workflow of
//! `services::cases` (see [`cases`]), and the indicators checked against the rules of the
//! results framework (see [`indicators`]). It runs on the bare connection, before or
//! beside the server, as the migrations do (`portal seed-demo`, or the first start in
//! development).
//!
//! Every row is deterministic: ids are UUIDv7 whose time is the row's own creation time and
//! whose other bits are a stable hash of a stable key (`org:gulrukhsor`, `event:...`), and no
//! time is read from the clock. So loading is idempotent by primary key: a second load inserts
//! nothing, and two databases loaded apart hold identical rows.
//!
//! The referral cases carry no survivor-identifying data: those columns hold ciphertext under
//! the data key from the server's configuration, which the loader does not have, so they stay
//! NULL. No sessions or audit entries are made here.

mod accounts;
mod cases;
mod files;
mod indicators;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};
use entity::{
    case_code_counter, centre_report, centre_report_approval, centre_report_line,
    centre_report_revision, centre_report_revision_line, centre_service,
    enums::{CentreKind, CentreService, OrganisationKind, ProjectStatus, Region, Visibility},
    event, indicator, indicator_period, indicator_period_approval, indicator_period_revision,
    localized::CodeList,
    organisation, project, project_partner, project_region, project_thematic_area, referral_case,
    referral_transition, resource_centre,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    crypto::DataKeys,
    services::{
        self,
        text::{search_text, sort_name},
    },
};

use self::files::{CentreRow, DemoFiles};

pub use self::files::{DataError, DemoLogin, District, districts, logins};

/// The key of the Programme Office itself: accountable for every project.
const PROGRAMME_OFFICE: &str = "osce-po";

/// What the loader wrote (counts of rows in the database after loading, per table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Rows in `organisation`.
    pub organisations: u64,
    /// Rows in `project`.
    pub projects: u64,
    /// Rows in `event`.
    pub events: u64,
    /// Rows in `resource_centre`.
    pub centres: u64,
    /// Rows in `centre_report`.
    pub centre_reports: u64,
    /// Rows in `account`.
    pub accounts: u64,
    /// Rows in `referral_case`.
    pub referral_cases: u64,
    /// Rows in `indicator`.
    pub indicators: u64,
    /// Rows in `indicator_period`.
    pub indicator_periods: u64,
}

/// Loads the demo data; idempotent: loading twice adds nothing the second time. All in one
/// transaction.
///
/// # Errors
///
/// Any database error; nothing is written then.
pub async fn load(db: &DatabaseConnection, keys: &DataKeys) -> Result<DemoSummary, DbErr> {
    let files = DemoFiles::read().map_err(|error| bad_data(error.to_string()))?;
    let demo = Demo::build(&files)?;
    let accounts = accounts::demo_accounts(&files.logins, accounts_created()?).await?;
    let txn = db.begin().await?;
    // Parents before children, for the foreign keys.
    insert(&txn, &demo.organisations).await?;
    insert(&txn, &demo.projects).await?;
    insert(&txn, &demo.thematic_areas).await?;
    insert(&txn, &demo.regions).await?;
    insert(&txn, &demo.partners).await?;
    insert(&txn, &demo.events).await?;
    insert(&txn, &demo.centres).await?;
    insert(&txn, &demo.services).await?;
    insert(&txn, &demo.reports).await?;
    insert(&txn, &demo.report_lines).await?;
    insert(&txn, &demo.report_revisions).await?;
    insert(&txn, &demo.report_revision_lines).await?;
    insert(&txn, &demo.report_approvals).await?;
    insert(&txn, &accounts).await?;
    // After the accounts, which report and approve results.
    insert(&txn, &demo.indicators).await?;
    insert(&txn, &demo.indicator_periods).await?;
    insert(&txn, &demo.indicator_revisions).await?;
    insert(&txn, &demo.indicator_approvals).await?;
    insert_cases(&txn, &demo).await?;
    // The demo's consent scopes and comments are written as text and sealed with each case's
    // own key before anything commits, as stored text is at every start.
    services::cases::seal_stored(&txn, keys)
        .await
        .map_err(|error| DbErr::Custom(format!("sealing the demo cases: {error}")))?;
    let summary = DemoSummary {
        organisations: organisation::Entity::find().count(&txn).await?,
        projects: project::Entity::find().count(&txn).await?,
        events: event::Entity::find().count(&txn).await?,
        centres: resource_centre::Entity::find().count(&txn).await?,
        centre_reports: centre_report::Entity::find().count(&txn).await?,
        accounts: entity::account::Entity::find().count(&txn).await?,
        referral_cases: referral_case::Entity::find().count(&txn).await?,
        indicators: indicator::Entity::find().count(&txn).await?,
        indicator_periods: indicator_period::Entity::find().count(&txn).await?,
    };
    txn.commit().await?;
    Ok(summary)
}

/// Inserts the demo cases (after the accounts that opened them and act in their histories)
/// and raises each year's case counter to the demo's last number, unless it is higher already.
///
/// A demo case whose code a case opened through the API already holds (the demo loaded into a
/// database that was in use) is left out with its history, rather than failing the load.
async fn insert_cases(txn: &DatabaseTransaction, demo: &Demo) -> Result<(), DbErr> {
    let taken: HashSet<Uuid> = referral_case::Entity::find()
        .filter(referral_case::Column::Code.is_in(demo.cases.iter().map(|case| case.code.clone())))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|existing| {
            demo.cases
                .iter()
                .find(|case| case.code == existing.code && case.id != existing.id)
                .map(|case| case.id)
        })
        .collect();
    let cases: Vec<referral_case::Model> = demo
        .cases
        .iter()
        .filter(|case| !taken.contains(&case.id))
        .cloned()
        .collect();
    let transitions: Vec<referral_transition::Model> = demo
        .transitions
        .iter()
        .filter(|step| !taken.contains(&step.case_id))
        .cloned()
        .collect();
    insert(txn, &cases).await?;
    insert(txn, &transitions).await?;
    insert(txn, &demo.case_counters).await?;
    for counter in &demo.case_counters {
        case_code_counter::Entity::update_many()
            .col_expr(
                case_code_counter::Column::LastValue,
                Expr::value(counter.last_value),
            )
            .filter(case_code_counter::Column::Year.eq(counter.year))
            .filter(case_code_counter::Column::LastValue.lt(counter.last_value))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// What [`load_if_missing`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoLoad {
    /// Loaded now: the counts of rows.
    Loaded(DemoSummary),
    /// The demo data was there already; nothing was written.
    AlreadyLoaded,
    /// The database has an admin account that is not a demo account (`admin`): a database in
    /// real use, to which the demo accounts, whose passwords are public, must not be added.
    /// Nothing was written: the demo's cases and reports need its accounts to act.
    RefusedForRealAdmin { admin: Uuid },
}

/// Loads the demo data unless it is already there, or the database has a real admin (see
/// [`DemoLoad::RefusedForRealAdmin`]).
///
/// # Errors
///
/// Database errors; nothing is half-loaded (one transaction).
pub async fn load_if_missing(db: &DatabaseConnection, keys: &DataKeys) -> Result<DemoLoad, DbErr> {
    if is_loaded(db).await? {
        return Ok(DemoLoad::AlreadyLoaded);
    }
    if let Some(admin) = real_admin(db).await? {
        return Ok(DemoLoad::RefusedForRealAdmin { admin });
    }
    load(db, keys).await.map(DemoLoad::Loaded)
}

/// The id of an admin account that is not one of the demo accounts, if the database has one
/// (whatever its status): the sign of a database in real use.
///
/// # Errors
///
/// Database errors, or demo data files that cannot be read.
pub async fn real_admin(db: &impl ConnectionTrait) -> Result<Option<Uuid>, DbErr> {
    let files = logins().map_err(|error| bad_data(error.to_string()))?;
    let created = accounts_created()?;
    let demo_ids = files
        .iter()
        .map(|login| accounts::account_id(login, created))
        .collect::<Result<Vec<Uuid>, DbErr>>()?;
    Ok(entity::account::Entity::find()
        .filter(entity::account::Column::Role.eq(entity::enums::Role::Admin))
        .filter(entity::account::Column::Id.is_not_in(demo_ids))
        .one(db)
        .await?
        .map(|account| account.id))
}

/// True when the demo data is already present (used to load on first start only).
///
/// # Errors
///
/// Any database error.
pub async fn is_loaded(db: &DatabaseConnection) -> Result<bool, DbErr> {
    // The load is one transaction, so one of its rows stands for all of them.
    let office = organisation::Entity::find_by_id(org_id(PROGRAMME_OFFICE)?)
        .one(db)
        .await?;
    Ok(office.is_some())
}

/// Rows per INSERT: with under 20 columns a chunk binds under 2,000 parameters, far below the
/// limits of SQLite (32,766) and PostgreSQL (65,535).
const CHUNK_ROWS: usize = 100;

/// Inserts rows in chunks, skipping any whose primary key is already there.
async fn insert<M>(txn: &DatabaseTransaction, rows: &[M]) -> Result<(), DbErr>
where
    M: ModelTrait + IntoActiveModel<<M::Entity as EntityTrait>::ActiveModel>,
{
    for chunk in rows.chunks(CHUNK_ROWS) {
        // A chunk that conflicts entirely is reported as `Conflicted`, not as an error.
        M::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Every row the demo writes, built without touching the database.
#[derive(Debug, Clone, Default, PartialEq)]
struct Demo {
    organisations: Vec<organisation::Model>,
    projects: Vec<project::Model>,
    thematic_areas: Vec<project_thematic_area::Model>,
    regions: Vec<project_region::Model>,
    partners: Vec<project_partner::Model>,
    events: Vec<event::Model>,
    centres: Vec<resource_centre::Model>,
    services: Vec<centre_service::Model>,
    reports: Vec<centre_report::Model>,
    report_lines: Vec<centre_report_line::Model>,
    /// One earlier revision: a month of the first reporting centre was corrected.
    report_revisions: Vec<centre_report_revision::Model>,
    report_revision_lines: Vec<centre_report_revision_line::Model>,
    /// The Programme Office approved every month but the last three.
    report_approvals: Vec<centre_report_approval::Model>,
    cases: Vec<referral_case::Model>,
    transitions: Vec<referral_transition::Model>,
    case_counters: Vec<case_code_counter::Model>,
    indicators: Vec<indicator::Model>,
    /// A target per year or quarter; results for most periods that ended.
    indicator_periods: Vec<indicator_period::Model>,
    /// The earlier revisions of the corrected results.
    indicator_revisions: Vec<indicator_period_revision::Model>,
    /// The staff account approved most results.
    indicator_approvals: Vec<indicator_period_approval::Model>,
}

/// When the demo's organisations and their first records were entered.
const ORGANISATIONS_ENTERED: &str = "2018-10-01";
/// When the demo's centres were entered in the directory.
const CENTRES_ENTERED: &str = "2025-01-15";
/// The demo's "now": no row is created or updated after it.
const AS_OF: &str = "2026-11-16";
/// The first of the twelve reported months (November 2025 to October 2026).
const FIRST_REPORT_MONTH: &str = "2025-11-01";
const REPORT_MONTHS: u32 = 12;
/// The first day of the eighteen months the referral cases span (to `AS_OF`).
const FIRST_CASE_DAY: &str = "2025-05-01";

impl Demo {
    fn build(files: &DemoFiles) -> Result<Self, DbErr> {
        let mut demo = Self::default();
        let orgs = demo.add_organisations(files)?;
        let projects = demo.add_projects(files, &orgs)?;
        demo.add_events(files, &orgs, &projects)?;
        demo.add_centres(files, &orgs)?;
        demo.add_cases(files, &orgs)?;
        demo.add_indicators(files, &orgs)?;
        Ok(demo)
    }

    /// Adds the organisations; returns their ids by key.
    fn add_organisations<'a>(
        &mut self,
        files: &'a DemoFiles,
    ) -> Result<HashMap<&'a str, Uuid>, DbErr> {
        let entered = at(date(ORGANISATIONS_ENTERED)?, 9);
        let mut ids = HashMap::new();
        for (index, row) in files.organisations.iter().enumerate() {
            let (key, kind, acronym) = (row.key.as_str(), row.kind, row.acronym.as_deref());
            let id = org_id(key)?;
            let name = row.name.localized();
            let (contact_email, contact_phone) = match kind {
                OrganisationKind::International | OrganisationKind::Donor => {
                    (format!("tajikistan@{key}.example.org"), None)
                }
                _ => (
                    format!("info@{key}.example.tj"),
                    Some(format!("+992 37 000 70 {index:02}")),
                ),
            };
            self.organisations.push(organisation::Model {
                id,
                sort_name: sort_name(&name),
                search_text: search_text(name.present().chain(acronym)),
                name,
                acronym: acronym.map(str::to_owned),
                kind,
                contact_email: Some(contact_email),
                contact_phone,
                active: row.active,
                created_at: entered,
                updated_at: entered,
            });
            if ids.insert(key, id).is_some() {
                return Err(bad_data(format!("organisation {key} listed twice")));
            }
        }
        Ok(ids)
    }

    /// Adds the projects with their areas, regions and partners; returns their ids by code.
    fn add_projects<'a>(
        &mut self,
        files: &'a DemoFiles,
        orgs: &HashMap<&str, Uuid>,
    ) -> Result<HashMap<&'a str, Uuid>, DbErr> {
        let as_of = at(date(AS_OF)?, 9);
        let mut ids = HashMap::new();
        for row in &files.projects {
            let start_date = row.start;
            let end_date = row.end;
            // Entered a few weeks before it started; last touched when it closed.
            let created_at = at(start_date - Days::new(45), 9).min(as_of);
            let updated_at = match row.status {
                ProjectStatus::Completed => {
                    let closed = end_date.unwrap_or(start_date) + Days::new(14);
                    at(closed, 11).clamp(created_at, as_of)
                }
                _ => created_at,
            };
            let id = demo_id(&format!("project:{}", row.code), created_at)?;
            let title = row.title.localized();
            let summary = row.summary.localized();
            self.projects.push(project::Model {
                id,
                code: row.code.clone(),
                search_text: search_text(
                    [row.code.as_str()]
                        .into_iter()
                        .chain(title.present())
                        .chain(summary.present()),
                ),
                title,
                summary,
                status: row.status,
                start_date,
                end_date,
                budget_amount: row.budget_eur.map(|euros| euros * 100),
                budget_currency: row.budget_eur.map(|_| "EUR".to_owned()),
                visibility: if row.internal {
                    Visibility::Internal
                } else {
                    Visibility::Public
                },
                created_at,
                updated_at,
            });
            self.thematic_areas
                .extend(
                    row.areas
                        .iter()
                        .map(|&thematic_area| project_thematic_area::Model {
                            project_id: id,
                            thematic_area,
                        }),
                );
            self.regions
                .extend(row.regions.iter().map(|&region| project_region::Model {
                    project_id: id,
                    region,
                }));
            for partner in &row.partners {
                self.partners.push(project_partner::Model {
                    project_id: id,
                    organisation_id: lookup(orgs, "organisation", &partner.organisation)?,
                    role: partner.role,
                });
            }
            if ids.insert(row.code.as_str(), id).is_some() {
                return Err(bad_data(format!("project {} listed twice", row.code)));
            }
        }
        Ok(ids)
    }

    fn add_events(
        &mut self,
        files: &DemoFiles,
        orgs: &HashMap<&str, Uuid>,
        projects: &HashMap<&str, Uuid>,
    ) -> Result<(), DbErr> {
        let as_of = at(date(AS_OF)?, 9);
        for row in &files.events {
            let (starts_on, ends_on) = (row.starts, row.ends);
            // Announced three weeks ahead; figures entered a few days after it ended.
            let created_at = at(starts_on - Days::new(21), 10).min(as_of);
            let updated_at = at(ends_on + Days::new(3), 15).clamp(created_at, as_of);
            let title = row.title.localized();
            let summary = row.summary.localized();
            let people = &row.participants;
            self.events.push(event::Model {
                id: demo_id(&format!("event:{}", row.key), created_at)?,
                project_id: row
                    .project
                    .as_deref()
                    .map(|code| lookup(projects, "project", code))
                    .transpose()?,
                search_text: search_text(
                    title
                        .present()
                        .chain(summary.present())
                        .chain([row.district.as_str()])
                        .chain(row.venue.as_deref()),
                ),
                title,
                kind: row.kind,
                starts_on,
                ends_on,
                region: region_of(&files.districts, &row.district)?,
                district: row.district.clone(),
                venue: row.venue.clone(),
                organiser_id: lookup(orgs, "organisation", &row.organiser)?,
                participants_female: people.female,
                participants_male: people.male,
                participants_undisclosed: people.undisclosed,
                summary,
                published: row.published,
                created_at,
                updated_at,
            });
        }
        Ok(())
    }

    /// Adds the centres, their services and, for Women's Resource Centres and shelters, a year of
    /// monthly reports.
    fn add_centres(&mut self, files: &DemoFiles, orgs: &HashMap<&str, Uuid>) -> Result<(), DbErr> {
        let entered = at(date(CENTRES_ENTERED)?, 9);
        let first_month = date(FIRST_REPORT_MONTH)?;
        for (index, row) in files.centres.iter().enumerate() {
            let id = centre_id(&row.key)?;
            let last_verified_at = row.verified.map(|day| at(day, 10));
            let name = row.name.localized();
            let address = row.address.localized();
            self.centres.push(resource_centre::Model {
                id,
                sort_name: sort_name(&name),
                search_text: search_text(name.present().chain([row.district.as_str()])),
                search_text_restricted: search_text(address.present()),
                name,
                kind: row.kind,
                operator_id: lookup(orgs, "organisation", &row.operator)?,
                region: region_of(&files.districts, &row.district)?,
                district: row.district.clone(),
                address,
                phone: Some(row.phone.clone()),
                opening_hours: row.hours.localized(),
                languages: CodeList(row.languages.clone()),
                shelter_capacity: row.shelter_capacity,
                accepting_referrals: row.accepting_referrals,
                last_verified_at,
                active: row.active,
                created_at: entered,
                updated_at: last_verified_at.unwrap_or(entered).max(entered),
            });
            self.services
                .extend(row.services.iter().map(|&service| centre_service::Model {
                    centre_id: id,
                    service,
                }));
            let reports = matches!(
                row.kind,
                CentreKind::WomensResourceCentre | CentreKind::Shelter
            ) && row.active;
            if reports {
                for offset in 0..REPORT_MONTHS {
                    let month = first_month
                        .checked_add_months(Months::new(offset))
                        .ok_or_else(|| bad_data("report month out of range".to_owned()))?;
                    self.add_report(id, index, row, month)?;
                    if offset + 2 == REPORT_MONTHS && self.report_revisions.is_empty() {
                        self.correct_last_report()?;
                    }
                    if offset + 3 < REPORT_MONTHS {
                        self.approve_last_report();
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds the referral cases, their histories and the case counters.
    fn add_cases(&mut self, files: &DemoFiles, orgs: &HashMap<&str, Uuid>) -> Result<(), DbErr> {
        let built = cases::build(
            files,
            orgs,
            accounts_created()?,
            at(date(FIRST_CASE_DAY)?, 0),
            at(date(AS_OF)?, 9),
        )?;
        self.cases = built.cases;
        self.transitions = built.transitions;
        self.case_counters = built.counters;
        Ok(())
    }

    /// Adds the indicators of the projects, their periods and results.
    fn add_indicators(
        &mut self,
        files: &DemoFiles,
        orgs: &HashMap<&str, Uuid>,
    ) -> Result<(), DbErr> {
        let built = indicators::build(
            files,
            orgs,
            &self.projects,
            &self.partners,
            accounts_created()?,
            at(date(AS_OF)?, 9),
        )?;
        self.indicators = built.indicators;
        self.indicator_periods = built.periods;
        self.indicator_revisions = built.revisions;
        self.indicator_approvals = built.approvals;
        Ok(())
    }

    /// One month's report of a centre, with a line per service it offers.
    fn add_report(
        &mut self,
        centre_id: Uuid,
        index: usize,
        row: &CentreRow,
        month: NaiveDate,
    ) -> Result<(), DbErr> {
        let key = format!("report:{}:{}", row.key, month.format("%Y-%m"));
        let next_month = month
            .checked_add_months(Months::new(1))
            .ok_or_else(|| bad_data(format!("{key}: month out of range")))?;
        // Submitted in the first fortnight of the following month, at some hour of the day.
        let delay = stable_hash(&format!("{key}:submitted"));
        let submitted_at = at(
            next_month + Days::new(2 + delay % 10),
            9 + u32::try_from(delay % 8).unwrap_or(0),
        );
        let report_id = demo_id(&key, submitted_at)?;
        self.reports.push(centre_report::Model {
            id: report_id,
            centre_id,
            month,
            revision: 1,
            submitted_by_id: None,
            submitted_at,
        });
        // Centres differ in size; the sixteen days of activism (25 Nov to 10 Dec) bring more
        // people to awareness sessions.
        let size_percent = 80 + pick(&format!("{}:size", row.key), 0, 40);
        let campaign = matches!(month.month(), 11 | 12);
        for &service in &row.services {
            let ((f_lo, f_hi), (m_lo, m_hi)) = served_range(row, service);
            let seed = format!("{key}:{index}:{service:?}");
            let mut female = pick(&format!("{seed}:f"), f_lo, f_hi);
            if row.kind == CentreKind::WomensResourceCentre {
                female = female * size_percent / 100;
            }
            if campaign && service == CentreService::AwarenessRaising {
                female = female * 16 / 10;
            }
            self.report_lines.push(centre_report_line::Model {
                report_id,
                service,
                female,
                male: pick(&format!("{seed}:m"), m_lo, m_hi),
            });
        }
        Ok(())
    }
}

impl Demo {
    /// Makes the report added last a correction: its first figures, submitted two days
    /// earlier with four more women under the first service, become revision 1.
    fn correct_last_report(&mut self) -> Result<(), DbErr> {
        let Some(report) = self.reports.last_mut() else {
            return Ok(());
        };
        let submitted_at = report.submitted_at - chrono::Duration::days(2);
        let revision_id = demo_id(
            &format!("report:{}:{}:revision:1", report.centre_id, report.month),
            submitted_at,
        )?;
        self.report_revisions.push(centre_report_revision::Model {
            id: revision_id,
            report_id: report.id,
            revision: 1,
            submitted_by_id: None,
            submitted_at,
        });
        report.revision = 2;
        let report_id = report.id;
        let mut first = true;
        for line in self
            .report_lines
            .iter()
            .filter(|line| line.report_id == report_id)
        {
            self.report_revision_lines
                .push(centre_report_revision_line::Model {
                    revision_id,
                    service: line.service,
                    female: line.female + if first { 4 } else { 0 },
                    male: line.male,
                });
            first = false;
        }
        Ok(())
    }

    /// Approves the report added last, a week after it was submitted.
    fn approve_last_report(&mut self) {
        if let Some(report) = self.reports.last() {
            self.report_approvals.push(centre_report_approval::Model {
                report_id: report.id,
                approved_at: report.submitted_at + chrono::Duration::days(7),
                approved_by_id: None,
            });
        }
    }
}

/// The monthly range of women and of men served by one service of a centre.
///
/// The network serves more than 20,000 women a year, so a centre sees some 100 to 150 a month
/// across its services, and few men. Crisis support and medical referrals are small numbers,
/// often below the suppression threshold. A shelter's residents are bounded by its capacity.
fn served_range(row: &CentreRow, service: CentreService) -> ((i32, i32), (i32, i32)) {
    use CentreService::*;
    if row.kind == CentreKind::Shelter {
        let capacity = row.shelter_capacity.unwrap_or(10);
        return match service {
            Shelter => ((capacity / 4, capacity * 3 / 4), (0, 0)),
            CrisisSupport => ((8, 20), (0, 2)),
            PsychosocialCounselling => ((8, 18), (0, 0)),
            LegalConsultation => ((5, 12), (0, 1)),
            MedicalReferral => ((2, 8), (0, 0)),
            EconomicEmpowerment | AwarenessRaising => ((0, 6), (0, 0)),
        };
    }
    match service {
        LegalConsultation => ((28, 42), (0, 5)),
        PsychosocialCounselling => ((18, 30), (0, 3)),
        CrisisSupport => ((2, 9), (0, 1)),
        MedicalReferral => ((1, 6), (0, 1)),
        EconomicEmpowerment => ((10, 22), (0, 2)),
        AwarenessRaising => ((35, 60), (3, 14)),
        Shelter => ((0, 4), (0, 0)),
    }
}

/// The deterministic id of a demo row: a UUIDv7 with the row's creation time and, in place of
/// random bits, a stable hash of its key.
fn demo_id(key: &str, created: DateTime<Utc>) -> Result<Uuid, DbErr> {
    let millis = u64::try_from(created.timestamp_millis())
        .map_err(|_| bad_data(format!("{key}: created before 1970")))?;
    let first = stable_hash(key);
    let second = splitmix64(first ^ 0x5851_f42d_4c95_7f2d);
    let mut bytes = [0_u8; 10];
    bytes[..8].copy_from_slice(&first.to_le_bytes());
    bytes[8..].copy_from_slice(&second.to_le_bytes()[..2]);
    Ok(uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid())
}

/// An organisation's id from its key (organisations are all entered at one time).
fn org_id(key: &str) -> Result<Uuid, DbErr> {
    demo_id(&format!("org:{key}"), at(date(ORGANISATIONS_ENTERED)?, 9))
}

/// A centre's id from its key (centres are all entered at one time).
fn centre_id(key: &str) -> Result<Uuid, DbErr> {
    demo_id(&format!("centre:{key}"), at(date(CENTRES_ENTERED)?, 9))
}

/// When the demo accounts were created (their ids depend on it).
fn accounts_created() -> Result<DateTime<Utc>, DbErr> {
    Ok(at(date(ORGANISATIONS_ENTERED)?, 9))
}

/// FNV-1a, then a SplitMix64 finaliser for well-spread bits. Unlike `std`'s hasher it is the
/// same on every platform and Rust version, so ids and figures never change.
fn stable_hash(key: &str) -> u64 {
    let fnv = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    splitmix64(fnv)
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number in `lo..=hi` chosen by the hash of `seed`.
fn pick(seed: &str, lo: i32, hi: i32) -> i32 {
    let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
    lo + i32::try_from(stable_hash(seed) % span).unwrap_or(0)
}

fn date(text: &str) -> Result<NaiveDate, DbErr> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|err| bad_data(format!("bad date {text}: {err}")))
}

/// A whole hour of a day, UTC.
fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    (day.and_time(NaiveTime::MIN) + chrono::Duration::hours(i64::from(hour))).and_utc()
}

fn region_of(districts: &[District], district: &str) -> Result<Region, DbErr> {
    districts
        .iter()
        .find(|row| row.name == district)
        .map(|row| row.region)
        .ok_or_else(|| bad_data(format!("district {district} has no region")))
}

fn lookup(ids: &HashMap<&str, Uuid>, what: &str, key: &str) -> Result<Uuid, DbErr> {
    ids.get(key)
        .copied()
        .ok_or_else(|| bad_data(format!("unknown {what} {key}")))
}

/// The data files contradict themselves (or do not read): reported rather than panicked.
fn bad_data(message: String) -> DbErr {
    DbErr::Custom(format!("demo data: {message}"))
}

#[cfg(test)]
mod tests {
    use entity::enums::{
        CaseKind, CaseOutcome, CaseStatus, DeclineReason, EventKind, PartnerRole, RiskLevel,
        ThematicArea,
    };
    use sea_orm::Iterable;

    use super::*;

    fn demo() -> Demo {
        let files = DemoFiles::read().expect("the data files read");
        Demo::build(&files).expect("the data files are consistent")
    }

    fn as_of() -> NaiveDate {
        date(AS_OF).expect("AS_OF is a date")
    }

    #[test]
    fn ids_are_version_7_stable_and_distinct_per_key() {
        let created = at(date("2025-03-11").expect("date"), 9);
        let first = demo_id("org:gulrukhsor", created).expect("id");
        assert_eq!(first.get_version_num(), 7);
        assert_eq!(first, demo_id("org:gulrukhsor", created).expect("id"));
        assert_ne!(first, demo_id("org:oksana", created).expect("id"));
        // The time part is the creation time, so ids sort like the rows were entered.
        let (seconds, _) = first.get_timestamp().expect("v7 has a time").to_unix();
        assert_eq!(i64::try_from(seconds).expect("fits"), created.timestamp());
        // Pinned, so that a change of the hash (which would duplicate every row of an existing
        // database on the next load) cannot go unnoticed.
        assert_eq!(first.to_string(), "0195846e-aa80-7a3f-ae53-9200da7a5b2f");
        assert_eq!(stable_hash(""), splitmix64(0xcbf2_9ce4_8422_2325));
    }

    #[test]
    fn building_twice_gives_identical_rows() {
        assert_eq!(demo(), demo());
    }

    #[test]
    fn every_id_is_version_7_and_unique() {
        let demo = demo();
        let ids: Vec<Uuid> = demo
            .organisations
            .iter()
            .map(|row| row.id)
            .chain(demo.projects.iter().map(|row| row.id))
            .chain(demo.events.iter().map(|row| row.id))
            .chain(demo.centres.iter().map(|row| row.id))
            .chain(demo.reports.iter().map(|row| row.id))
            .chain(demo.cases.iter().map(|row| row.id))
            .chain(demo.transitions.iter().map(|row| row.id))
            .chain(demo.indicators.iter().map(|row| row.id))
            .chain(demo.indicator_periods.iter().map(|row| row.id))
            .chain(demo.indicator_revisions.iter().map(|row| row.id))
            .collect();
        assert!(ids.iter().all(|id| id.get_version_num() == 7));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    }

    #[test]
    fn every_thematic_area_has_a_project() {
        let used: HashSet<ThematicArea> = demo()
            .thematic_areas
            .iter()
            .map(|row| row.thematic_area)
            .collect();
        for area in ThematicArea::iter() {
            assert!(used.contains(&area), "no project in {area:?}");
        }
    }

    #[test]
    fn every_event_kind_and_organisation_kind_is_used() {
        let demo = demo();
        let kinds: HashSet<EventKind> = demo.events.iter().map(|row| row.kind).collect();
        for kind in EventKind::iter() {
            assert!(kinds.contains(&kind), "no event of kind {kind:?}");
        }
        let kinds: HashSet<OrganisationKind> =
            demo.organisations.iter().map(|row| row.kind).collect();
        for kind in OrganisationKind::iter() {
            assert!(kinds.contains(&kind), "no organisation of kind {kind:?}");
        }
    }

    #[test]
    fn there_is_enough_of_everything() {
        let demo = demo();
        assert!((30..=60).contains(&demo.organisations.len()));
        assert!(demo.organisations.iter().any(|row| !row.active));
        assert!(demo.projects.len() >= 24);
        assert!(demo.events.len() >= 70);
        let internal = demo
            .projects
            .iter()
            .filter(|row| row.visibility == Visibility::Internal)
            .count();
        assert!((4..=6).contains(&internal), "{internal} internal projects");
        for status in ProjectStatus::iter() {
            assert!(demo.projects.iter().any(|row| row.status == status));
        }
        assert!(demo.events.iter().any(|row| !row.published));
        assert!(demo.events.iter().any(|row| row.project_id.is_none()));
    }

    #[test]
    fn event_figures_and_dates_are_sane() {
        let demo = demo();
        let projects: HashMap<Uuid, &project::Model> =
            demo.projects.iter().map(|row| (row.id, row)).collect();
        for row in &demo.events {
            let name = row.title.en.as_deref().unwrap_or_default();
            assert!(row.participants_female >= 0, "{name}");
            assert!(row.participants_male >= 0, "{name}");
            assert!(row.participants_undisclosed >= 0, "{name}");
            assert!(row.ends_on >= row.starts_on, "{name}");
            let total =
                row.participants_female + row.participants_male + row.participants_undisclosed;
            if row.ends_on < as_of() {
                assert!(total > 0, "{name} was held but has no participants");
            }
            if row.starts_on > as_of() {
                assert_eq!(total, 0, "{name} is still to come");
            }
            assert!(row.created_at <= row.updated_at, "{name}");
            if let Some(project) = row.project_id.map(|id| projects[&id]) {
                assert!(
                    row.starts_on >= project.start_date,
                    "{name} before its project"
                );
                if let Some(end) = project.end_date {
                    assert!(row.ends_on <= end, "{name} after its project");
                }
            }
        }
        // Figures the texts give.
        let by_title = |title: &str| {
            demo.events
                .iter()
                .find(|row| row.title.en.as_deref() == Some(title))
                .map(|row| {
                    row.participants_female + row.participants_male + row.participants_undisclosed
                })
        };
        assert_eq!(by_title("Roundtable on judicial independence"), Some(30));
        assert_eq!(
            by_title("Third International Youth Forum of the Syrdarya River Basin"),
            Some(248)
        );
        assert_eq!(
            by_title(
                "UNOCT–OSCE workshop on protecting vulnerable targets against terrorist attacks"
            ),
            Some(33)
        );
    }

    #[test]
    fn project_statuses_fit_november_2026() {
        let demo = demo();
        let mut codes = HashSet::new();
        for row in &demo.projects {
            assert!(codes.insert(&row.code), "{} twice", row.code);
            let parts: Vec<&str> = row.code.split('-').collect();
            assert_eq!(parts.len(), 4, "{}", row.code);
            assert_eq!(parts[0], "PO");
            assert_eq!(parts[1], row.start_date.year().to_string(), "{}", row.code);
            let start = row.start_date;
            let end = row.end_date;
            assert!(end.is_none_or(|end| end >= start), "{}", row.code);
            let fits = match row.status {
                ProjectStatus::Planned => start > as_of(),
                ProjectStatus::Active => start <= as_of() && end.is_none_or(|end| end >= as_of()),
                ProjectStatus::Completed => end.is_some_and(|end| end < as_of()),
                ProjectStatus::Suspended => start <= as_of(),
            };
            assert!(fits, "{} is {:?}", row.code, row.status);
            assert!((2019..=2027).contains(&start.year()), "{}", row.code);
            assert_eq!(row.budget_amount.is_some(), row.budget_currency.is_some());
            let partners: Vec<&project_partner::Model> = demo
                .partners
                .iter()
                .filter(|partner| partner.project_id == row.id)
                .collect();
            assert!((1..=4).contains(&partners.len()), "{}", row.code);
            let office = org_id(PROGRAMME_OFFICE).expect("id");
            assert!(
                partners
                    .iter()
                    .any(|partner| partner.organisation_id == office
                        && partner.role == PartnerRole::Accountable),
                "{}",
                row.code
            );
            assert!(
                demo.regions
                    .iter()
                    .any(|region| region.project_id == row.id)
            );
        }
    }

    #[test]
    fn centres_cover_the_network() {
        let demo = demo();
        let count = |kind: CentreKind| demo.centres.iter().filter(|row| row.kind == kind).count();
        assert_eq!(count(CentreKind::WomensResourceCentre), 14);
        assert_eq!(count(CentreKind::PoliceGenderUnit), 5);
        assert_eq!(count(CentreKind::AarhusCentre), 5);
        assert!(count(CentreKind::Shelter) >= 2);
        assert!(count(CentreKind::LegalAid) >= 1);
        for row in &demo.centres {
            let name = row.name.en.as_deref().unwrap_or_default();
            assert_eq!(
                row.shelter_capacity.is_some(),
                row.kind == CentreKind::Shelter,
                "{name}"
            );
            assert!(
                demo.services
                    .iter()
                    .any(|service| service.centre_id == row.id)
            );
            assert!(!row.languages.0.is_empty(), "{name}");
            assert!(
                row.search_text.contains(&row.district.to_lowercase()),
                "{name}"
            );
        }
        assert_eq!(demo.centres.iter().filter(|row| !row.active).count(), 1);
    }

    #[test]
    fn reports_cover_a_year_of_every_reporting_centre() {
        let demo = demo();
        let offered: HashSet<(Uuid, CentreService)> = demo
            .services
            .iter()
            .map(|row| (row.centre_id, row.service))
            .collect();
        let reports: HashMap<Uuid, &centre_report::Model> =
            demo.reports.iter().map(|row| (row.id, row)).collect();
        for centre in &demo.centres {
            let months: HashSet<NaiveDate> = demo
                .reports
                .iter()
                .filter(|row| row.centre_id == centre.id)
                .map(|row| row.month)
                .collect();
            let reporting = matches!(
                centre.kind,
                CentreKind::WomensResourceCentre | CentreKind::Shelter
            );
            assert_eq!(months.len(), if reporting { 12 } else { 0 });
            assert!(months.iter().all(|month| month.day() == 1));
        }
        for report in &demo.reports {
            assert!(report.submitted_at.date_naive() > report.month + Months::new(1));
            assert!(report.submitted_at.date_naive() <= as_of());
        }
        for line in &demo.report_lines {
            assert!(line.female >= 0 && line.male >= 0);
            let report = reports[&line.report_id];
            assert!(offered.contains(&(report.centre_id, line.service)));
        }
        // The network serves more than 20,000 women a year; some cells are small enough to be
        // suppressed in public statistics.
        let wrcs: HashSet<Uuid> = demo
            .centres
            .iter()
            .filter(|row| row.kind == CentreKind::WomensResourceCentre)
            .map(|row| row.id)
            .collect();
        let women: i32 = demo
            .report_lines
            .iter()
            .filter(|line| wrcs.contains(&reports[&line.report_id].centre_id))
            .map(|line| line.female)
            .sum();
        assert!((20_000..=30_000).contains(&women), "{women} women a year");
        assert!(
            demo.report_lines
                .iter()
                .any(|line| (1..5).contains(&line.female))
        );
        assert!(
            demo.report_lines
                .iter()
                .any(|line| (1..5).contains(&line.male))
        );
    }

    #[test]
    fn search_columns_hold_every_language() {
        let demo = demo();
        let gulrukhsor = demo
            .organisations
            .iter()
            .find(|row| row.id == org_id("gulrukhsor").expect("id"))
            .expect("Gulrukhsor is there");
        assert!(gulrukhsor.search_text.contains("gulrukhsor"));
        assert!(gulrukhsor.search_text.contains("гулрухсор"));
        assert_eq!(gulrukhsor.sort_name, "gulrukhsor public organisation");
        for row in &demo.projects {
            assert!(row.search_text.contains(&row.code.to_lowercase()));
        }
    }

    /// Each case's history, oldest step first.
    fn histories(demo: &Demo) -> HashMap<Uuid, Vec<&referral_transition::Model>> {
        let mut histories: HashMap<Uuid, Vec<&referral_transition::Model>> = HashMap::new();
        for step in &demo.transitions {
            histories.entry(step.case_id).or_default().push(step);
        }
        for history in histories.values_mut() {
            history.sort_by_key(|step| (step.at, step.id));
        }
        histories
    }

    #[test]
    fn referral_cases_cover_the_workflow() {
        let demo = demo();
        assert!(
            (55..=65).contains(&demo.cases.len()),
            "{}",
            demo.cases.len()
        );
        let count = |status: CaseStatus| demo.cases.iter().filter(|c| c.status == status).count();
        assert!((2..=3).contains(&count(CaseStatus::Draft)));
        for status in CaseStatus::iter() {
            assert!(count(status) >= 2, "{status:?}: {}", count(status));
        }
        let referred: Vec<&referral_case::Model> = demo
            .cases
            .iter()
            .filter(|c| c.referred_at.is_some())
            .collect();
        // Enough of each kind and risk that the statistics show them unsuppressed.
        for kind in CaseKind::iter() {
            let n = referred.iter().filter(|c| c.kind == kind).count();
            assert!(n >= 5, "{kind:?}: {n}");
        }
        for risk in RiskLevel::iter() {
            assert!(referred.iter().filter(|c| c.risk == risk).count() >= 5);
        }
        let outcomes: HashSet<CaseOutcome> = demo.cases.iter().filter_map(|c| c.outcome).collect();
        assert_eq!(outcomes.len(), CaseOutcome::iter().count());
        let reasons: HashSet<DeclineReason> =
            demo.transitions.iter().filter_map(|t| t.reason).collect();
        assert_eq!(reasons.len(), DeclineReason::iter().count());
        let regions: HashSet<Region> = demo.cases.iter().map(|c| c.region).collect();
        assert!(regions.len() >= 5, "{regions:?}");
        // Both demo partner organisations refer and receive, several times each.
        for key in ["gulrukhsor", "oksana"] {
            let id = org_id(key).expect("id");
            let referring = demo
                .cases
                .iter()
                .filter(|c| c.referring_organisation_id == id)
                .count();
            let receiving = demo
                .cases
                .iter()
                .filter(|c| c.receiving_organisation_id == Some(id))
                .count();
            assert!(referring >= 10 && receiving >= 10, "{key}");
        }
        // Onward referrals: the case moved on to a third organisation.
        let onward = demo
            .transitions
            .iter()
            .filter(|t| {
                t.to_status == CaseStatus::Referred
                    && t.from_status.is_some_and(|s| s != CaseStatus::Draft)
            })
            .count();
        assert!(onward >= 2, "{onward} onward referrals");
    }

    #[test]
    fn each_case_agrees_with_its_history() {
        let demo = demo();
        let histories = histories(&demo);
        let first = at(date(FIRST_CASE_DAY).expect("date"), 0);
        let as_of = at(as_of(), 9);
        let demo_accounts: HashMap<Uuid, Option<Uuid>> = logins()
            .expect("the logins read")
            .iter()
            .map(|login| {
                let id = demo_id(
                    &format!("account:{}", login.email),
                    accounts_created().expect("time"),
                )
                .expect("id");
                (
                    id,
                    login
                        .organisation
                        .as_deref()
                        .map(|key| org_id(key).expect("id")),
                )
            })
            .collect();
        assert_eq!(
            demo.transitions.len(),
            histories.values().map(Vec::len).sum::<usize>()
        );
        for case in &demo.cases {
            let code = &case.code;
            let history = &histories[&case.id];
            // The identifying data is never in the demo.
            assert!(case.survivor_name.is_none() && case.contact_phone.is_none());
            assert!(case.address.is_none() && case.notes.is_none());
            // Opened as a draft, then one step per version, each from the status before.
            assert_eq!(history[0].from_status, None, "{code}");
            assert_eq!(history[0].to_status, CaseStatus::Draft, "{code}");
            assert_eq!(history[0].at, case.created_at, "{code}");
            if let Some(send) = history.get(1) {
                assert_eq!(send.from_status, Some(CaseStatus::Draft), "{code}");
                assert_eq!(send.to_status, CaseStatus::Referred, "{code}");
            }
            for pair in history.windows(2) {
                assert_eq!(pair[1].from_status, Some(pair[0].to_status), "{code}");
                assert!(pair[0].at < pair[1].at, "{code}");
            }
            let last = history.last().expect("a history");
            assert_eq!(last.to_status, case.status, "{code}");
            assert_eq!(last.at, case.updated_at, "{code}");
            assert_eq!(usize::try_from(case.version).ok(), Some(history.len()));
            assert!(
                case.created_at >= first && case.updated_at <= as_of,
                "{code}"
            );
            // Every step by a demo account of the organisation that acted.
            for step in history {
                assert_eq!(
                    demo_accounts.get(&step.actor_account_id),
                    Some(&step.actor_organisation_id),
                    "{code}"
                );
            }
            assert_eq!(
                demo_accounts.get(&case.created_by_id),
                Some(&Some(case.referring_organisation_id))
            );
            // Times and fields as the workflow sets them.
            let referred = case.status != CaseStatus::Draft;
            assert_eq!(case.referred_at.is_some(), referred, "{code}");
            assert_eq!(case.receiving_organisation_id.is_some(), referred, "{code}");
            if let (Some(sent), Some(due)) = (case.referred_at, case.response_due_at) {
                let hours = if case.risk == RiskLevel::High { 24 } else { 72 };
                assert_eq!(due - sent, chrono::Duration::hours(hours), "{code}");
            }
            // The current receiver's first answer: the first after the latest referral.
            let latest_referral = history
                .iter()
                .rposition(|t| t.to_status == CaseStatus::Referred)
                .map_or(0, |index| index + 1);
            let answered = history
                .iter()
                .skip(latest_referral)
                .find(|t| matches!(t.to_status, CaseStatus::Accepted | CaseStatus::Declined));
            assert_eq!(case.first_response_at, answered.map(|t| t.at), "{code}");
            let ended = matches!(case.status, CaseStatus::Closed | CaseStatus::Withdrawn);
            assert_eq!(case.closed_at.is_some(), ended, "{code}");
            assert_eq!(
                case.outcome.is_some(),
                case.status == CaseStatus::Closed,
                "{code}"
            );
            let erased = case.outcome == Some(CaseOutcome::ConsentWithdrawn);
            assert_eq!(case.erased_at.is_some(), erased, "{code}");
            assert_eq!(
                case.consent_given,
                !erased && case.consent_recorded_at.is_some()
            );
            if case.consent_recorded_at.is_some() {
                assert_eq!(case.consent_recorded_by_id, Some(case.created_by_id));
                assert!(case.legacy_consent_scope.is_some());
            } else {
                assert_eq!(
                    case.status,
                    CaseStatus::Draft,
                    "{code}: sent without consent"
                );
            }
            for step in history
                .iter()
                .filter(|t| t.reason == Some(DeclineReason::Other))
            {
                assert!(step.legacy_comment.is_some(), "{code}");
            }
        }
    }

    #[test]
    fn case_codes_run_on_per_year_and_the_counters_end_at_the_last() {
        let demo = demo();
        let mut cases: Vec<&referral_case::Model> = demo.cases.iter().collect();
        cases.sort_by_key(|c| (c.created_at, c.id));
        let mut numbers: HashMap<i32, Vec<i32>> = HashMap::new();
        for case in cases {
            let (prefix, number) = case.code.rsplit_once('-').expect("RC-year-number");
            assert_eq!(prefix, format!("RC-{}", case.created_at.year()));
            assert_eq!(number.len(), 6);
            numbers
                .entry(case.created_at.year())
                .or_default()
                .push(number.parse().expect("digits"));
        }
        assert_eq!(numbers.len(), 2, "cases in 2025 and 2026");
        for (year, numbers) in &numbers {
            let expected: Vec<i32> = (1..=i32::try_from(numbers.len()).expect("fits")).collect();
            assert_eq!(numbers, &expected, "{year}");
            let counter = demo
                .case_counters
                .iter()
                .find(|c| c.year == *year)
                .expect("a counter for the year");
            assert_eq!(Some(&counter.last_value), numbers.last());
        }
        assert_eq!(demo.case_counters.len(), numbers.len());
    }
}
