//! `bench generate`: the schema from the api's migrations, then a large, realistic and
//! deterministic dataset loaded in bulk.
//!
//! Every value comes from a seeded generator and every id from a counter (a UUIDv7 whose time is
//! the row's creation time and whose other bits are the table and the row number), so two runs
//! write identical rows on SQLite and on PostgreSQL. Rows go in as multi-row `INSERT`s of about
//! 30,000 bound values, many per transaction; nothing is sent one row at a time.
//!
//! Referral cases carry no survivor-identifying data: the four encrypted columns stay NULL, as
//! they are for a case whose consent was withdrawn (the benchmark never reads them).

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use entity::{
    Localized, account, case_code_counter, centre_report, centre_report_line, centre_service,
    enums::{
        AccountStatus, AgeGroup, CaseKind, CaseOutcome, CaseStatus, CentreKind, CentreService,
        DeclineReason, EventKind, Language, OrganisationKind, PartnerRole, ProjectStatus, Region,
        RiskLevel, Role, Sex, ThematicArea, Visibility,
    },
    event,
    localized::CodeList,
    organisation, project, project_partner, project_region, project_thematic_area, referral_case,
    referral_transition, resource_centre,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, Iterable, ModelTrait, Statement, TransactionTrait,
};
use uuid::Uuid;

use crate::vocabulary::{
    CENTRE_NAMES, EVENT_TOPICS, ORGANISATION_NAMES, PROJECT_TOPICS, area_code,
};

/// The password of every generated account (hashed once, the hash reused).
pub const PASSWORD: &str = "Bench-Partner-Dushanbe-2026";
/// The data keys `bench run` gives the server (`PORTAL_DATA_KEYS`); the cases are sealed with
/// them when generated.
pub const DATA_KEYS: &str = "bench:YmVuY2gtb25seS1kYXRhLWtleS0zMi1ieXRlcy1vayE=";
/// The Programme Office's staff account.
pub const STAFF_EMAIL: &str = "staff@bench.example.tj";
/// The day the dataset describes: nothing is created after it.
const AS_OF: (i32, u32, u32) = (2026, 11, 16);

/// The two dataset sizes of the issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// 500 projects, 20,000 events, 10,000 referral cases.
    Small,
    /// 50 times that: 25,000 projects, 1,000,000 events, 500,000 cases.
    Large,
}

/// Row counts of one size.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub organisations: u64,
    pub projects: u64,
    pub events: u64,
    pub cases: u64,
    pub centres: u64,
    /// Months of reports from each Women's Resource Centre and shelter.
    pub report_months: u32,
}

impl Size {
    /// The row counts.
    pub fn counts(self) -> Counts {
        match self {
            Self::Small => Counts {
                organisations: 120,
                projects: 500,
                events: 20_000,
                cases: 10_000,
                centres: 60,
                report_months: 24,
            },
            Self::Large => Counts {
                organisations: 1_200,
                projects: 25_000,
                events: 1_000_000,
                cases: 500_000,
                centres: 600,
                report_months: 24,
            },
        }
    }
}

/// The partner organisation whose account reads incoming referrals in `bench run`: the first
/// service provider, which receives its share of the cases.
pub fn receiving_partner_email() -> String {
    account_email(1)
}

fn account_email(organisation: u64) -> String {
    format!("partner{organisation}@org{organisation}.bench.example.tj")
}

/// A small, fast, seeded generator (SplitMix64): the same seed gives the same dataset.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    pub fn range_i32(&mut self, low: i32, high: i32) -> i32 {
        let span = u64::try_from(high - low).unwrap_or(0);
        low + i32::try_from(self.range(0, span)).unwrap_or(0)
    }

    /// True with `percent` chance.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 99) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = usize::try_from(self.range(0, items.len() as u64 - 1)).unwrap_or(0);
        &items[index]
    }
}

/// Tables, for ids that never collide across tables.
#[derive(Clone, Copy)]
enum Table {
    Organisation = 1,
    Account = 2,
    Project = 3,
    Event = 4,
    Centre = 5,
    Report = 6,
    Case = 7,
    Transition = 8,
}

/// A UUIDv7 with the row's creation time and, in place of random bits, its table and number.
fn bench_id(table: Table, number: u64, created: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(created.timestamp_millis()).unwrap_or(0) & 0xffff_ffff_ffff;
    let mut bytes = [0_u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = 0x70 | (table as u8 & 0x0f);
    bytes[7] = 0xbe;
    bytes[8] = 0x80;
    bytes[9..16].copy_from_slice(&number.to_be_bytes()[1..]);
    Uuid::from_bytes(bytes)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, 0, 0).unwrap_or_default().and_utc()
}

fn as_of() -> NaiveDate {
    date(AS_OF.0, AS_OF.1, AS_OF.2)
}

fn two(en: String, ru: String) -> Localized {
    Localized {
        en: Some(en),
        ru: Some(ru),
        tg: None,
    }
}

/// Opens the database for loading: one connection (SQLite's pragmas hold per connection),
/// relaxed durability (a crash during generation only means generating again).
async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|options| {
            options
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Off)
                .foreign_keys(true)
                .create_if_missing(true)
        });
    let db = Database::connect(options)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("SET synchronous_commit = off")
            .await?;
    }
    Ok(db)
}

/// Inserts `rows` in multi-row statements of about 30,000 bound values each (under the
/// limits of SQLite, 32,766, and PostgreSQL, 65,535), all in one transaction. The columns are
/// counted from the entity, so a table that gains columns stays under the limits (a count
/// written by hand went stale when referral cases gained their sealed columns, and SQLite
/// refused the batch: "too many SQL variables").
async fn insert_all<M>(db: &DatabaseConnection, rows: Vec<M>) -> anyhow::Result<()>
where
    M: ModelTrait + IntoActiveModel<<M::Entity as EntityTrait>::ActiveModel>,
{
    let columns = <M::Entity as EntityTrait>::Column::iter().count();
    let per_statement = (30_000 / columns.max(1)).max(1);
    let txn = db.begin().await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows
            .by_ref()
            .take(per_statement)
            .map(IntoActiveModel::into_active_model)
            .collect();
        M::Entity::insert_many(chunk)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// What `generate` did, for the report.
#[derive(Debug, serde::Serialize)]
pub struct Generated {
    pub size: Size,
    pub backend: String,
    pub seconds: f64,
    pub rows: Vec<(String, u64)>,
}

/// Applies the migrations to an empty database and loads a dataset of `size` into it.
///
/// # Errors
/// When the database already holds data, or any statement fails.
pub async fn generate(url: &str, size: Size) -> anyhow::Result<Generated> {
    let started = Instant::now();
    let db = connect(url).await?;
    Migrator::up(&db, None).await.context("migrations")?;
    let existing: u64 = {
        use sea_orm::PaginatorTrait;
        organisation::Entity::find().count(&db).await?
    };
    anyhow::ensure!(
        existing == 0,
        "the database already holds {existing} organisations: generate into an empty database"
    );
    let counts = size.counts();
    let hash = api::auth::password::hash_trusted(secrecy::SecretString::from(PASSWORD)).await?;
    let mut rng = Rng::new(0x05ce_d05a_2026);

    let world = World::new(&counts, &mut rng)?;
    let mut rows: Vec<(String, u64)> = Vec::new();
    let mut note = |table: &str, count: usize| {
        println!(
            "  {table}: {count} rows ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        rows.push((table.to_owned(), count as u64));
    };

    let organisations = world.organisations();
    note("organisation", organisations.len());
    insert_all(&db, organisations).await?;
    let accounts = world.accounts(&hash);
    note("account", accounts.len());
    insert_all(&db, accounts).await?;

    let (projects, areas, regions, partners) = world.projects(&mut rng);
    note("project", projects.len());
    insert_all(&db, projects).await?;
    note("project_thematic_area", areas.len());
    insert_all(&db, areas).await?;
    note("project_region", regions.len());
    insert_all(&db, regions).await?;
    note("project_partner", partners.len());
    insert_all(&db, partners).await?;

    // Events in batches, so that a million rows never sit in memory at once.
    let batch = 100_000;
    let mut done = 0;
    while done < counts.events {
        let end = (done + batch).min(counts.events);
        let events = world.events(&mut rng, done..end);
        insert_all(&db, events).await?;
        done = end;
    }
    note("event", usize::try_from(counts.events)?);

    let (centres, services) = world.centres(&mut rng);
    note("resource_centre", centres.len());
    let reports_of: Vec<(Uuid, CentreKind, Vec<CentreService>, Option<i32>)> = centres
        .iter()
        .filter(|centre| {
            matches!(
                centre.kind,
                CentreKind::WomensResourceCentre | CentreKind::Shelter
            )
        })
        .map(|centre| {
            let offered = services
                .iter()
                .filter(|service| service.centre_id == centre.id)
                .map(|service| service.service)
                .collect();
            (centre.id, centre.kind, offered, centre.shelter_capacity)
        })
        .collect();
    let centre_ids: Vec<(Uuid, u64)> = centres
        .iter()
        .map(|centre| (centre.id, world.operator_of(centre.operator_id)))
        .collect();
    insert_all(&db, centres).await?;
    note("centre_service", services.len());
    insert_all(&db, services).await?;
    let (reports, lines) = world.reports(&mut rng, &reports_of, counts.report_months);
    note("centre_report", reports.len());
    insert_all(&db, reports).await?;
    note("centre_report_line", lines.len());
    insert_all(&db, lines).await?;

    let mut transitions_total = 0;
    let mut counters: std::collections::BTreeMap<i32, i32> = std::collections::BTreeMap::new();
    let case_batch = 50_000;
    let mut done = 0;
    while done < counts.cases {
        let end = (done + case_batch).min(counts.cases);
        let (cases, transitions) = world.cases(&mut rng, done..end, &centre_ids, &mut counters);
        transitions_total += transitions.len();
        insert_all(&db, cases).await?;
        insert_all(&db, transitions).await?;
        done = end;
    }
    note("referral_case", usize::try_from(counts.cases)?);
    note("referral_transition", transitions_total);
    let counter_rows: Vec<case_code_counter::Model> = counters
        .into_iter()
        .map(|(year, last_value)| case_code_counter::Model { year, last_value })
        .collect();
    insert_all(&db, counter_rows).await?;

    // Each case's own key, with its consent scope sealed under it, as the server does at start
    // (`bench run` starts it with these data keys): sealing half a million cases belongs to
    // generating the data, not to the first start of the server measured.
    // The planner needs the tables' statistics first: without them PostgreSQL joins each
    // batch's `UPDATE … FROM (VALUES …)` by reading the whole case table (507 s for the large
    // dataset's 960 batches, 31 s for the small one's 20).
    db.execute_unprepared("ANALYZE").await?;
    let keys = api::crypto::DataKeys::parse(DATA_KEYS)?;
    let txn = db.begin().await?;
    let sealed = api::services::cases::seal_stored(&txn, &keys).await?;
    txn.commit().await?;
    println!(
        "  sealed {} cases with keys of their own ({:.1} s)",
        sealed.cases_keyed,
        started.elapsed().as_secs_f64()
    );

    // Statistics for the planner, as autovacuum would gather them on a live database.
    match db.get_database_backend() {
        DbBackend::Postgres => db.execute_unprepared("VACUUM ANALYZE").await?,
        _ => db.execute_unprepared("ANALYZE").await?,
    };
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("generated the {size:?} dataset in {seconds:.1} s");
    Ok(Generated {
        size,
        backend: format!("{:?}", db.get_database_backend()),
        seconds,
        rows,
    })
}

/// The fixed frame every table hangs on: organisations with their kinds and ids, accounts.
struct World {
    counts: Counts,
    organisations: Vec<(Uuid, OrganisationKind, DateTime<Utc>)>,
    /// Ids of each organisation's partner account.
    accounts: Vec<Uuid>,
    staff: Uuid,
    /// Projects: id, start, end, public, partner organisation numbers.
    projects: Vec<ProjectFrame>,
    /// The demo's districts of Tajikistan (`api/data/districts.toml`), with their regions.
    districts: Vec<(String, Region)>,
}

struct ProjectFrame {
    id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    partners: Vec<u64>,
    areas: Vec<ThematicArea>,
}

/// Organisation 0 is the Programme Office; 1 to a fifth of them are service providers (NGOs
/// and shelters) that receive referrals; the rest are ministries, donors, universities.
fn organisation_kind(number: u64, count: u64) -> OrganisationKind {
    if number == 0 {
        return OrganisationKind::International;
    }
    if number <= count / 5 {
        return OrganisationKind::Ngo;
    }
    match number % 6 {
        0 | 1 => OrganisationKind::Ngo,
        2 => OrganisationKind::Government,
        3 => OrganisationKind::Donor,
        4 => OrganisationKind::Academic,
        _ => OrganisationKind::Private,
    }
}

impl World {
    fn new(counts: &Counts, rng: &mut Rng) -> anyhow::Result<Self> {
        let districts = api::demo::districts()?
            .into_iter()
            .filter(|district| !district.abroad)
            .map(|district| (district.name, district.region))
            .collect();
        let entered = at(date(2018, 10, 1), 9);
        let organisations: Vec<_> = (0..counts.organisations)
            .map(|number| {
                let created =
                    entered + chrono::Duration::minutes(i64::try_from(number).unwrap_or(0));
                (
                    bench_id(Table::Organisation, number, created),
                    organisation_kind(number, counts.organisations),
                    created,
                )
            })
            .collect();
        let accounts = (0..counts.organisations)
            .map(|number| bench_id(Table::Account, number, entered + chrono::Duration::days(30)))
            .collect();
        let staff = bench_id(Table::Account, u64::MAX >> 8, entered);
        let first = date(2015, 1, 1);
        let span_days = u64::try_from((date(2027, 6, 30) - first).num_days()).unwrap_or(1);
        let areas: Vec<ThematicArea> = <ThematicArea as Iterable>::iter().collect();
        let projects = (0..counts.projects)
            .map(|number| {
                let start = first + Days::new(rng.range(0, span_days));
                let end = start + Months::new(u32::try_from(rng.range(6, 48)).unwrap_or(12));
                let created = at(start - Days::new(45), 9).min(at(as_of(), 8));
                let mut partners = vec![0];
                let extra = rng.range(1, 3);
                while (partners.len() as u64) <= extra {
                    let partner = rng.range(1, counts.organisations - 1);
                    if !partners.contains(&partner) {
                        partners.push(partner);
                    }
                }
                let mut project_areas = vec![*rng.pick(&areas)];
                if rng.chance(40) {
                    let second = *rng.pick(&areas);
                    if !project_areas.contains(&second) {
                        project_areas.push(second);
                    }
                }
                ProjectFrame {
                    id: bench_id(Table::Project, number, created),
                    start,
                    end,
                    partners,
                    areas: project_areas,
                }
            })
            .collect();
        Ok(Self {
            counts: *counts,
            organisations,
            accounts,
            staff,
            projects,
            districts,
        })
    }

    /// The district (and its region) of row `number`.
    fn district(&self, number: usize) -> (&str, Region) {
        let (name, region) = &self.districts[number % self.districts.len()];
        (name, *region)
    }

    /// A district (and its region) drawn by `rng`.
    fn any_district(&self, rng: &mut Rng) -> (&str, Region) {
        let (name, region) = rng.pick(&self.districts);
        (name, *region)
    }

    fn operator_of(&self, organisation_id: Uuid) -> u64 {
        self.organisations
            .iter()
            .position(|(id, _, _)| *id == organisation_id)
            .map_or(1, |index| index as u64)
    }

    fn organisations(&self) -> Vec<organisation::Model> {
        self.organisations
            .iter()
            .enumerate()
            .map(|(number, &(id, kind, created))| {
                let (name, acronym) = if number == 0 {
                    (
                        two(
                            "OSCE Programme Office in Dushanbe".to_owned(),
                            "Программный офис ОБСЕ в Душанбе".to_owned(),
                        ),
                        Some("OSCE PO".to_owned()),
                    )
                } else {
                    let (en, ru) = ORGANISATION_NAMES[number % ORGANISATION_NAMES.len()];
                    let (district, _) = self.district(number);
                    let (kind_en, kind_ru) = match kind {
                        OrganisationKind::Ngo => {
                            ("Public Organisation", "Общественная организация")
                        }
                        OrganisationKind::Government => ("Department", "Управление"),
                        OrganisationKind::Donor => ("Foundation", "Фонд"),
                        OrganisationKind::Academic => ("Institute", "Институт"),
                        OrganisationKind::Private => ("Consultancy", "Консалтинговая компания"),
                        OrganisationKind::International => ("Mission", "Миссия"),
                    };
                    (
                        two(
                            format!("{kind_en} \"{en}\" of {district} No. {number}"),
                            format!("{kind_ru} «{ru}» ({district}) № {number}"),
                        ),
                        None,
                    )
                };
                let search =
                    api::services::text::search_text(name.present().chain(acronym.as_deref()));
                organisation::Model {
                    id,
                    sort_name: api::services::text::sort_name(&name),
                    search_text: search,
                    name,
                    acronym,
                    kind,
                    contact_email: Some(format!("info@org{number}.bench.example.tj")),
                    contact_phone: Some(format!(
                        "+992 37 {:03} {:02} {:02}",
                        number % 1000,
                        number % 97,
                        number % 89
                    )),
                    active: number % 50 != 49,
                    created_at: created,
                    updated_at: created,
                }
            })
            .collect()
    }

    fn accounts(&self, hash: &str) -> Vec<account::Model> {
        let entered = at(date(2018, 11, 1), 9);
        let mut rows: Vec<account::Model> = self
            .accounts
            .iter()
            .enumerate()
            .skip(1)
            .map(|(number, &id)| account::Model {
                id,
                email: account_email(number as u64),
                display_name: format!("Partner {number}"),
                role: if number % 3 == 0 {
                    Role::PartnerManager
                } else {
                    Role::Partner
                },
                organisation_id: Some(self.organisations[number].0),
                preferred_language: match number % 3 {
                    0 => Language::Ru,
                    1 => Language::Tg,
                    _ => Language::En,
                },
                status: AccountStatus::Active,
                password_hash: hash.to_owned(),
                failed_login_count: 0,
                locked_until: None,
                last_login_at: None,
                must_change_password: false,
                totp_secret: None,
                totp_enabled_at: None,
                totp_last_step: None,
                created_at: entered,
                updated_at: entered,
            })
            .collect();
        rows.push(account::Model {
            id: self.staff,
            email: STAFF_EMAIL.to_owned(),
            display_name: "Programme Officer".to_owned(),
            role: Role::Staff,
            organisation_id: None,
            preferred_language: Language::En,
            status: AccountStatus::Active,
            password_hash: hash.to_owned(),
            failed_login_count: 0,
            locked_until: None,
            last_login_at: None,
            must_change_password: false,
            totp_secret: None,
            totp_enabled_at: None,
            totp_last_step: None,
            created_at: entered,
            updated_at: entered,
        });
        rows
    }

    #[allow(clippy::type_complexity)]
    fn projects(
        &self,
        rng: &mut Rng,
    ) -> (
        Vec<project::Model>,
        Vec<project_thematic_area::Model>,
        Vec<project_region::Model>,
        Vec<project_partner::Model>,
    ) {
        let regions: Vec<Region> = <Region as Iterable>::iter().collect();
        let mut projects = Vec::new();
        let mut areas = Vec::new();
        let mut project_regions = Vec::new();
        let mut partners = Vec::new();
        for (number, frame) in self.projects.iter().enumerate() {
            let area = frame.areas[0];
            let (topic_en, topic_ru) =
                PROJECT_TOPICS[(number * 7 + area as usize) % PROJECT_TOPICS.len()];
            let (district, region) = self.any_district(rng);
            let code = format!(
                "PO-{}-{}-{:05}",
                frame.start.year(),
                area_code(area),
                number
            );
            let title = two(
                format!("{topic_en} in {district}"),
                format!("{topic_ru} ({district})"),
            );
            let summary = two(
                format!(
                    "A {}-month project of the Programme Office with partners in {district}: {}.",
                    (frame.end - frame.start).num_days() / 30,
                    topic_en.to_lowercase()
                ),
                format!(
                    "Проект Программного офиса с партнёрами в районе {district}: {}.",
                    topic_ru.to_lowercase()
                ),
            );
            let status = if frame.start > as_of() {
                ProjectStatus::Planned
            } else if frame.end < as_of() {
                ProjectStatus::Completed
            } else if number % 25 == 7 {
                ProjectStatus::Suspended
            } else {
                ProjectStatus::Active
            };
            let created = at(frame.start - Days::new(45), 9).min(at(as_of(), 8));
            let budget = rng
                .chance(80)
                .then(|| rng.range_i32(20, 2_500) as i64 * 100_000);
            projects.push(project::Model {
                id: frame.id,
                search_text: api::services::text::search_text(
                    [code.as_str()]
                        .into_iter()
                        .chain(title.present())
                        .chain(summary.present()),
                ),
                code,
                title,
                summary,
                status,
                start_date: frame.start,
                end_date: Some(frame.end),
                budget_amount: budget,
                budget_currency: budget.map(|_| "EUR".to_owned()),
                visibility: if number % 10 == 9 {
                    Visibility::Internal
                } else {
                    Visibility::Public
                },
                created_at: created,
                updated_at: created,
            });
            areas.extend(
                frame
                    .areas
                    .iter()
                    .map(|&thematic_area| project_thematic_area::Model {
                        project_id: frame.id,
                        thematic_area,
                    }),
            );
            project_regions.push(project_region::Model {
                project_id: frame.id,
                region,
            });
            let other = *rng.pick(&regions);
            if other != region && rng.chance(30) {
                project_regions.push(project_region::Model {
                    project_id: frame.id,
                    region: other,
                });
            }
            for (index, &partner) in frame.partners.iter().enumerate() {
                let role = match index {
                    0 => PartnerRole::Accountable,
                    1 => PartnerRole::Implementing,
                    2 => PartnerRole::Funding,
                    _ => PartnerRole::Counterpart,
                };
                partners.push(project_partner::Model {
                    project_id: frame.id,
                    organisation_id: self.organisations[usize::try_from(partner).unwrap_or(0)].0,
                    role,
                });
            }
        }
        (projects, areas, project_regions, partners)
    }

    fn events(&self, rng: &mut Rng, numbers: std::ops::Range<u64>) -> Vec<event::Model> {
        let kinds: Vec<EventKind> = <EventKind as Iterable>::iter().collect();
        numbers
            .map(|number| {
                // Spread evenly: every project gets its share of the events; one in twenty
                // belongs to no project.
                let frame = &self.projects
                    [usize::try_from(number % self.counts.projects).unwrap_or(0)];
                let standalone = number % 20 == 19;
                let kind = *rng.pick(&kinds);
                let span = u64::try_from((frame.end - frame.start).num_days()).unwrap_or(0);
                let starts_on = frame.start + Days::new(rng.range(0, span.saturating_sub(5)));
                let ends_on = starts_on + Days::new(rng.range(0, 3).min(span));
                let (district, region) = self.any_district(rng);
                let (topic_en, topic_ru) = *rng.pick(EVENT_TOPICS);
                let (kind_en, kind_ru) = kind_words(kind);
                let title = two(
                    format!("{kind_en} on {topic_en} in {district}"),
                    format!("{kind_ru}: {topic_ru} ({district})"),
                );
                let summary = two(
                    format!(
                        "{kind_en} for partners and local authorities on {topic_en}, held in {district}."
                    ),
                    format!("{kind_ru} для партнёров и местных органов власти: {topic_ru}."),
                );
                let held = ends_on < as_of();
                let (female, male, undisclosed) = if held {
                    (
                        rng.range_i32(5, 60),
                        rng.range_i32(0, 40),
                        rng.range_i32(0, 3),
                    )
                } else {
                    (0, 0, 0)
                };
                let created = at(starts_on - Days::new(21), 10).min(at(as_of(), 8));
                let updated = at(ends_on + Days::new(3), 15).clamp(created, at(as_of(), 9));
                let organiser = frame.partners
                    [usize::try_from(number).unwrap_or(0) % frame.partners.len()];
                let venue = format!("Hukumat hall, {district}");
                event::Model {
                    id: bench_id(Table::Event, number, created),
                    project_id: (!standalone).then_some(frame.id),
                    search_text: api::services::text::search_text(
                        title
                            .present()
                            .chain(summary.present())
                            .chain([district, venue.as_str()]),
                    ),
                    title,
                    kind,
                    starts_on,
                    ends_on,
                    region,
                    district: district.to_owned(),
                    venue: Some(venue),
                    organiser_id: self.organisations[usize::try_from(organiser).unwrap_or(0)].0,
                    participants_female: female,
                    participants_male: male,
                    participants_undisclosed: undisclosed,
                    summary,
                    published: held || rng.chance(50),
                    created_at: created,
                    updated_at: updated,
                }
            })
            .collect()
    }

    fn centres(&self, rng: &mut Rng) -> (Vec<resource_centre::Model>, Vec<centre_service::Model>) {
        let all_services: Vec<CentreService> = <CentreService as Iterable>::iter().collect();
        let entered = at(date(2024, 1, 15), 9);
        let providers = (self.counts.organisations / 5).max(1);
        let mut centres = Vec::new();
        let mut services = Vec::new();
        for number in 0..self.counts.centres {
            let kind = match number % 10 {
                0..=4 => CentreKind::WomensResourceCentre,
                5 => CentreKind::Shelter,
                6 => CentreKind::PoliceGenderUnit,
                7 => CentreKind::AarhusCentre,
                8 => CentreKind::LegalAid,
                _ => CentreKind::Other,
            };
            let (district, region) = self.district(usize::try_from(number).unwrap_or(0));
            let (name_en, name_ru) = CENTRE_NAMES[centre_name_index(kind)];
            let name = two(
                format!("{name_en} in {district} No. {number}"),
                format!("{name_ru} в {district} № {number}"),
            );
            let address = two(
                format!("{} Rudaki Street, {district}", 1 + number % 120),
                format!("ул. Рудаки {}, {district}", 1 + number % 120),
            );
            let id = bench_id(Table::Centre, number, entered);
            let operator = 1 + number % providers;
            let verified = rng
                .chance(70)
                .then(|| at(date(2026, 1, 1) + Days::new(rng.range(0, 300)), 10));
            centres.push(resource_centre::Model {
                id,
                sort_name: api::services::text::sort_name(&name),
                search_text: api::services::text::search_text(name.present().chain([district])),
                search_text_restricted: api::services::text::search_text(address.present()),
                name,
                kind,
                operator_id: self.organisations[usize::try_from(operator).unwrap_or(0)].0,
                region,
                district: district.to_owned(),
                address,
                phone: Some(format!(
                    "+992 {} {:03} {:02} {:02}",
                    90 + number % 10,
                    number % 1000,
                    number % 97,
                    number % 89
                )),
                opening_hours: two(
                    "Monday to Friday, 8:00–17:00".to_owned(),
                    "Понедельник — пятница, 8:00–17:00".to_owned(),
                ),
                languages: CodeList(vec!["tg".to_owned(), "ru".to_owned()]),
                shelter_capacity: (kind == CentreKind::Shelter).then(|| rng.range_i32(8, 30)),
                accepting_referrals: number % 7 != 3,
                last_verified_at: verified,
                active: number % 40 != 39,
                created_at: entered,
                updated_at: verified.unwrap_or(entered).max(entered),
            });
            let mut offered: Vec<CentreService> = all_services
                .iter()
                .copied()
                .filter(|service| *service != CentreService::Shelter || kind == CentreKind::Shelter)
                .filter(|_| rng.chance(60))
                .collect();
            if offered.is_empty() {
                offered.push(CentreService::LegalConsultation);
            }
            services.extend(offered.into_iter().map(|service| centre_service::Model {
                centre_id: id,
                service,
            }));
        }
        (centres, services)
    }

    #[allow(clippy::type_complexity)]
    fn reports(
        &self,
        rng: &mut Rng,
        centres: &[(Uuid, CentreKind, Vec<CentreService>, Option<i32>)],
        months: u32,
    ) -> (Vec<centre_report::Model>, Vec<centre_report_line::Model>) {
        let first = date(2024, 11, 1);
        let mut reports = Vec::new();
        let mut lines = Vec::new();
        let mut number = 0;
        for (centre_id, kind, offered, capacity) in centres {
            for month_index in 0..months {
                let month = first + Months::new(month_index);
                let submitted = at(
                    month + Months::new(1) + Days::new(rng.range(2, 11)),
                    u32::try_from(rng.range(9, 16)).unwrap_or(9),
                );
                let id = bench_id(Table::Report, number, submitted);
                number += 1;
                reports.push(centre_report::Model {
                    id,
                    centre_id: *centre_id,
                    month,
                    revision: 1,
                    submitted_by_id: None,
                    submitted_at: submitted,
                });
                for &service in offered {
                    let (female, male) = served(rng, *kind, service, capacity.unwrap_or(10));
                    lines.push(centre_report_line::Model {
                        report_id: id,
                        service,
                        female,
                        male,
                    });
                }
            }
        }
        (reports, lines)
    }

    fn cases(
        &self,
        rng: &mut Rng,
        numbers: std::ops::Range<u64>,
        centres: &[(Uuid, u64)],
        counters: &mut std::collections::BTreeMap<i32, i32>,
    ) -> (Vec<referral_case::Model>, Vec<referral_transition::Model>) {
        let kinds: Vec<CaseKind> = <CaseKind as Iterable>::iter().collect();
        let risks: Vec<RiskLevel> = <RiskLevel as Iterable>::iter().collect();
        let ages: Vec<AgeGroup> = <AgeGroup as Iterable>::iter().collect();
        let reasons: Vec<DeclineReason> = <DeclineReason as Iterable>::iter().collect();
        let providers = (self.counts.organisations / 5).max(2);
        let first = at(date(2020, 1, 1), 8);
        let span_minutes = (at(as_of(), 8) - first).num_minutes();
        let mut cases = Vec::new();
        let mut transitions = Vec::new();
        let mut transition_number = numbers.start * 4;
        for number in numbers.clone() {
            // Opened in order over the years, a few minutes apart.
            let offset = span_minutes * i64::try_from(number).unwrap_or(0)
                / i64::try_from(self.counts.cases).unwrap_or(1);
            let created = first + chrono::Duration::minutes(offset);
            let year = created.year();
            let sequence = counters.entry(year).or_insert(0);
            *sequence += 1;
            let code = format!("RC-{year}-{sequence:06}");
            let id = bench_id(Table::Case, number, created);
            let referring = rng.range(1, providers);
            let mut receiving = rng.range(1, providers);
            if receiving == referring {
                receiving = if referring == 1 { 2 } else { 1 };
            }
            let referrer_account = self.accounts[usize::try_from(referring).unwrap_or(1)];
            let receiver_account = self.accounts[usize::try_from(receiving).unwrap_or(1)];
            let status = match rng.range(0, 99) {
                0..=4 => CaseStatus::Draft,
                5..=19 => CaseStatus::Referred,
                20..=29 => CaseStatus::Accepted,
                30..=49 => CaseStatus::InService,
                50..=89 => CaseStatus::Closed,
                90..=94 => CaseStatus::Declined,
                _ => CaseStatus::Withdrawn,
            };
            let risk = *rng.pick(&risks);
            let (district, region) = self.any_district(rng);
            let draft = status == CaseStatus::Draft;
            let referred_at = (!draft).then(|| created + chrono::Duration::hours(2));
            let hours = if risk == RiskLevel::High { 24 } else { 72 };
            let response_due = referred_at.map(|at| at + chrono::Duration::hours(hours));
            let answered = !matches!(
                status,
                CaseStatus::Draft | CaseStatus::Referred | CaseStatus::Withdrawn
            );
            let first_response = answered.then(|| {
                created
                    + chrono::Duration::hours(
                        2 + i64::try_from(rng.range(1, hours as u64 + 24)).unwrap_or(1),
                    )
            });
            let closed_at = (status == CaseStatus::Closed).then(|| {
                created + chrono::Duration::days(i64::try_from(rng.range(7, 120)).unwrap_or(7))
            });
            let outcome = closed_at.map(|_| match rng.range(0, 9) {
                0..=5 => CaseOutcome::ServicesProvided,
                6 => CaseOutcome::ReferredElsewhere,
                7 => CaseOutcome::SurvivorDisengaged,
                8 => CaseOutcome::ConsentWithdrawn,
                _ => CaseOutcome::Other,
            });
            let erased_at = (outcome == Some(CaseOutcome::ConsentWithdrawn))
                .then_some(closed_at)
                .flatten();
            let mut services_requested = vec![
                CentreService::LegalConsultation.to_value_string(),
                CentreService::PsychosocialCounselling.to_value_string(),
            ];
            if risk == RiskLevel::High {
                services_requested.push(CentreService::CrisisSupport.to_value_string());
                services_requested.push(CentreService::Shelter.to_value_string());
            }
            services_requested.sort();
            let receiving_centre = (!draft)
                .then(|| {
                    centres
                        .iter()
                        .find(|(_, operator)| *operator == receiving)
                        .map(|(centre, _)| *centre)
                })
                .flatten();
            // The history: each step the workflow allows, by the party that takes it.
            let mut steps: Vec<Step> = Vec::new();
            if let Some(referred) = referred_at {
                steps.push((
                    Some(CaseStatus::Draft),
                    CaseStatus::Referred,
                    referrer_account,
                    referring,
                    referred,
                ));
                let answer_at = first_response.unwrap_or(referred + chrono::Duration::hours(5));
                match status {
                    CaseStatus::Declined => steps.push((
                        Some(CaseStatus::Referred),
                        CaseStatus::Declined,
                        receiver_account,
                        receiving,
                        answer_at,
                    )),
                    CaseStatus::Withdrawn => steps.push((
                        Some(CaseStatus::Referred),
                        CaseStatus::Withdrawn,
                        referrer_account,
                        referring,
                        answer_at,
                    )),
                    CaseStatus::Accepted | CaseStatus::InService | CaseStatus::Closed => {
                        steps.push((
                            Some(CaseStatus::Referred),
                            CaseStatus::Accepted,
                            receiver_account,
                            receiving,
                            answer_at,
                        ));
                        if status != CaseStatus::Accepted {
                            steps.push((
                                Some(CaseStatus::Accepted),
                                CaseStatus::InService,
                                receiver_account,
                                receiving,
                                answer_at + chrono::Duration::days(1),
                            ));
                        }
                        if let Some(closed) = closed_at {
                            steps.push((
                                Some(CaseStatus::InService),
                                CaseStatus::Closed,
                                receiver_account,
                                receiving,
                                closed,
                            ));
                        }
                    }
                    _ => {}
                }
            }
            let version = 1 + i32::try_from(steps.len()).unwrap_or(0);
            let updated = steps.last().map_or(created, |step| step.4);
            for (from, to, actor, actor_organisation, step_at) in steps {
                transitions.push(referral_transition::Model {
                    id: bench_id(Table::Transition, transition_number, step_at),
                    case_id: id,
                    from_status: from,
                    to_status: to,
                    actor_account_id: actor,
                    actor_organisation_id: Some(
                        self.organisations[usize::try_from(actor_organisation).unwrap_or(0)].0,
                    ),
                    receiving_organisation_id: (to == CaseStatus::Referred)
                        .then_some(self.organisations[usize::try_from(receiving).unwrap_or(0)].0),
                    reason: (to == CaseStatus::Declined).then(|| *rng.pick(&reasons)),
                    legacy_comment: None,
                    comment_sealed: None,
                    at: step_at,
                });
                transition_number += 1;
            }
            cases.push(referral_case::Model {
                id,
                code,
                kind: *rng.pick(&kinds),
                status,
                risk,
                survivor_sex: if rng.chance(92) {
                    Sex::Female
                } else {
                    Sex::Male
                },
                survivor_age_group: *rng.pick(&ages),
                survivor_citizenship: Some("TJ".to_owned()),
                survivor_has_disability: rng.chance(8),
                region,
                district: district.to_owned(),
                services_requested: CodeList(services_requested),
                referring_organisation_id: self.organisations
                    [usize::try_from(referring).unwrap_or(0)]
                .0,
                receiving_organisation_id: (!draft)
                    .then_some(self.organisations[usize::try_from(receiving).unwrap_or(0)].0),
                receiving_centre_id: receiving_centre,
                consent_given: !draft || rng.chance(50),
                // Plain text here, sealed with the case's own key once every case is written.
                legacy_consent_scope: (!draft)
                    .then(|| "Referral for the services requested".to_owned()),
                consent_scope_sealed: None,
                consent_recorded_at: (!draft).then_some(created + chrono::Duration::minutes(30)),
                consent_recorded_by_id: (!draft).then_some(referrer_account),
                referred_at,
                response_due_at: response_due,
                first_response_at: first_response,
                closed_at,
                outcome,
                survivor_name: None,
                contact_phone: None,
                address: None,
                notes: None,
                data_key: None,
                erased_at,
                created_by_id: referrer_account,
                version,
                created_at: created,
                updated_at: updated,
            });
        }
        (cases, transitions)
    }
}

/// One step of a case's history: from, to, actor account, actor organisation number, when.
type Step = (Option<CaseStatus>, CaseStatus, Uuid, u64, DateTime<Utc>);

trait ValueString {
    fn to_value_string(&self) -> String;
}

impl<T: sea_orm::ActiveEnum<Value = String>> ValueString for T {
    fn to_value_string(&self) -> String {
        self.to_value()
    }
}

fn centre_name_index(kind: CentreKind) -> usize {
    match kind {
        CentreKind::WomensResourceCentre => 0,
        CentreKind::Shelter => 1,
        CentreKind::AarhusCentre => 2,
        CentreKind::PoliceGenderUnit => 3,
        CentreKind::LegalAid => 4,
        CentreKind::Other => 5,
    }
}

fn kind_words(kind: EventKind) -> (&'static str, &'static str) {
    match kind {
        EventKind::Training => ("Training", "Тренинг"),
        EventKind::Workshop => ("Workshop", "Семинар"),
        EventKind::Roundtable => ("Roundtable", "Круглый стол"),
        EventKind::Conference => ("Conference", "Конференция"),
        EventKind::Forum => ("Forum", "Форум"),
        EventKind::StudyVisit => ("Study visit", "Учебный визит"),
        EventKind::AwarenessCampaign => ("Awareness campaign", "Информационная кампания"),
        EventKind::Meeting => ("Meeting", "Встреча"),
        EventKind::Other => ("Event", "Мероприятие"),
    }
}

/// People served in a month by one service, in the ranges the demo data uses: small cells
/// (crisis support, medical referrals) are often under the suppression threshold.
fn served(rng: &mut Rng, kind: CentreKind, service: CentreService, capacity: i32) -> (i32, i32) {
    use CentreService::*;
    if kind == CentreKind::Shelter {
        return match service {
            Shelter => (rng.range_i32(capacity / 4, capacity * 3 / 4), 0),
            CrisisSupport => (rng.range_i32(8, 20), rng.range_i32(0, 2)),
            PsychosocialCounselling => (rng.range_i32(8, 18), 0),
            LegalConsultation => (rng.range_i32(5, 12), rng.range_i32(0, 1)),
            MedicalReferral => (rng.range_i32(2, 8), 0),
            EconomicEmpowerment | AwarenessRaising => (rng.range_i32(0, 6), 0),
        };
    }
    match service {
        LegalConsultation => (rng.range_i32(28, 42), rng.range_i32(0, 5)),
        PsychosocialCounselling => (rng.range_i32(18, 30), rng.range_i32(0, 3)),
        CrisisSupport => (rng.range_i32(2, 9), rng.range_i32(0, 1)),
        MedicalReferral => (rng.range_i32(1, 6), rng.range_i32(0, 1)),
        EconomicEmpowerment => (rng.range_i32(10, 22), rng.range_i32(0, 2)),
        AwarenessRaising => (rng.range_i32(35, 60), rng.range_i32(3, 14)),
        Shelter => (rng.range_i32(0, 4), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_distinct_per_table_and_number() {
        let created = at(date(2025, 3, 11), 9);
        let id = bench_id(Table::Event, 42, created);
        assert_eq!(id.get_version_num(), 7);
        assert_ne!(id, bench_id(Table::Event, 43, created));
        assert_ne!(id, bench_id(Table::Case, 42, created));
    }

    #[test]
    fn the_same_seed_gives_the_same_rows() {
        let counts = Counts {
            organisations: 20,
            projects: 10,
            events: 50,
            cases: 30,
            centres: 10,
            report_months: 2,
        };
        let build = || {
            let mut rng = Rng::new(7);
            let world = World::new(&counts, &mut rng).expect("the districts read");
            let events = world.events(&mut rng, 0..50);
            let centres = world.centres(&mut rng).0;
            let ids: Vec<(Uuid, u64)> = centres.iter().map(|c| (c.id, 1)).collect();
            let cases = world.cases(&mut rng, 0..30, &ids, &mut Default::default());
            (events, cases)
        };
        let (first_events, first_cases) = build();
        let (second_events, second_cases) = build();
        assert_eq!(first_events, second_events);
        assert_eq!(first_cases, second_cases);
        for event in &first_events {
            assert!(event.ends_on >= event.starts_on);
        }
        for case in &first_cases.0 {
            assert_eq!(
                case.receiving_organisation_id.is_none(),
                case.status == CaseStatus::Draft
            );
            assert_ne!(
                Some(case.referring_organisation_id),
                case.receiving_organisation_id
            );
        }
    }
}
