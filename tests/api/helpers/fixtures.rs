//! Rows written straight into a test database, for reads that need exact data. (The write API
//! comes with later issues; until then this is the only way tests arrange data.)

use api::services::text::{search_text, sort_name};
use chrono::{NaiveDate, TimeZone, Utc};
use entity::{
    Localized,
    enums::{
        CentreKind, CentreService, EventKind, OrganisationKind, PartnerRole, ProjectStatus, Region,
        ThematicArea, Visibility,
    },
    event,
    localized::CodeList,
    organisation, project, project_partner, project_region, project_thematic_area, resource_centre,
};
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel};
use uuid::Uuid;

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date like 2025-01-31")
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a time")
}

pub async fn organisation(db: &DatabaseConnection, name: &str) -> organisation::Model {
    let name = Localized::en(name);
    organisation::Model {
        id: Uuid::now_v7(),
        sort_name: sort_name(&name),
        search_text: search_text(name.present()),
        name,
        acronym: None,
        kind: OrganisationKind::Ngo,
        contact_email: Some("office@example.tj".into()),
        contact_phone: Some("+992 37 000 00 00".into()),
        active: true,
        created_at: now(),
        updated_at: now(),
    }
    .into_active_model()
    .insert(db)
    .await
    .expect("insert organisation")
}

/// A project to insert; `Default` gives a public, active project starting 2025-01-01.
pub struct NewProject<'a> {
    pub code: &'a str,
    pub title: Localized,
    pub visibility: Visibility,
    pub status: ProjectStatus,
    pub start: &'a str,
    pub end: Option<&'a str>,
    pub areas: &'a [ThematicArea],
    pub regions: &'a [Region],
    pub partners: &'a [(Uuid, PartnerRole)],
    /// In euro cents.
    pub budget_minor: i64,
}

impl Default for NewProject<'_> {
    fn default() -> Self {
        Self {
            code: "PO-2025-XX-01",
            title: Localized::en("A project"),
            visibility: Visibility::Public,
            status: ProjectStatus::Active,
            start: "2025-01-01",
            end: None,
            areas: &[ThematicArea::GenderEquality],
            regions: &[Region::Dushanbe],
            partners: &[],
            budget_minor: 12_500_000,
        }
    }
}

pub async fn project(db: &DatabaseConnection, new: NewProject<'_>) -> project::Model {
    let summary = Localized::en("Summary.");
    let model = project::Model {
        id: Uuid::now_v7(),
        code: new.code.to_owned(),
        search_text: search_text(
            std::iter::once(new.code)
                .chain(new.title.present())
                .chain(summary.present()),
        ),
        title: new.title,
        summary,
        status: new.status,
        start_date: date(new.start),
        end_date: new.end.map(date),
        budget_amount: Some(new.budget_minor),
        budget_currency: Some("EUR".into()),
        visibility: new.visibility,
        created_at: now(),
        updated_at: now(),
    }
    .into_active_model()
    .insert(db)
    .await
    .expect("insert project");
    for area in new.areas {
        project_thematic_area::Model {
            project_id: model.id,
            thematic_area: *area,
        }
        .into_active_model()
        .insert(db)
        .await
        .expect("insert area");
    }
    for region in new.regions {
        project_region::Model {
            project_id: model.id,
            region: *region,
        }
        .into_active_model()
        .insert(db)
        .await
        .expect("insert region");
    }
    for (organisation_id, role) in new.partners {
        project_partner::Model {
            project_id: model.id,
            organisation_id: *organisation_id,
            role: *role,
        }
        .into_active_model()
        .insert(db)
        .await
        .expect("insert partner");
    }
    model
}

/// An event to insert; `Default` gives a published training without a project.
pub struct NewEvent<'a> {
    pub title: &'a str,
    pub project_id: Option<Uuid>,
    pub organiser_id: Uuid,
    pub kind: EventKind,
    pub starts: &'a str,
    pub ends: Option<&'a str>,
    pub region: Region,
    pub district: &'a str,
    pub published: bool,
}

impl Default for NewEvent<'_> {
    fn default() -> Self {
        Self {
            title: "An event",
            project_id: None,
            organiser_id: Uuid::nil(),
            kind: EventKind::Training,
            starts: "2025-03-01",
            ends: None,
            region: Region::Dushanbe,
            district: "Dushanbe",
            published: true,
        }
    }
}

pub async fn event(db: &DatabaseConnection, new: NewEvent<'_>) -> event::Model {
    let title = Localized::en(new.title);
    let summary = Localized::en("What happened.");
    event::Model {
        id: Uuid::now_v7(),
        project_id: new.project_id,
        search_text: search_text(
            title
                .present()
                .chain(summary.present())
                .chain([new.district]),
        ),
        title,
        kind: new.kind,
        starts_on: date(new.starts),
        ends_on: date(new.ends.unwrap_or(new.starts)),
        region: new.region,
        district: new.district.to_owned(),
        venue: None,
        organiser_id: new.organiser_id,
        participants_female: 12,
        participants_male: 8,
        participants_undisclosed: 1,
        summary,
        published: new.published,
        created_at: now(),
        updated_at: now(),
    }
    .into_active_model()
    .insert(db)
    .await
    .expect("insert event")
}

/// A centre to insert; `Default` gives an active Women's Resource Centre in Bokhtar.
pub struct NewCentre<'a> {
    pub name: &'a str,
    pub kind: CentreKind,
    pub operator_id: Uuid,
    pub region: Region,
    pub district: &'a str,
    pub address: &'a str,
    pub active: bool,
    pub services: &'a [CentreService],
    pub phone: &'a str,
}

impl Default for NewCentre<'_> {
    fn default() -> Self {
        Self {
            name: "A centre",
            kind: CentreKind::WomensResourceCentre,
            operator_id: Uuid::nil(),
            region: Region::Khatlon,
            district: "Bokhtar",
            address: "1 Example Street",
            active: true,
            services: &[CentreService::LegalConsultation],
            phone: "+992 37 000 00 01",
        }
    }
}

pub async fn centre(db: &DatabaseConnection, new: NewCentre<'_>) -> resource_centre::Model {
    let name = Localized::en(new.name);
    let address = Localized::en(new.address);
    let model = resource_centre::Model {
        id: Uuid::now_v7(),
        sort_name: sort_name(&name),
        search_text: search_text(name.present().chain([new.district])),
        search_text_restricted: search_text(address.present()),
        name,
        kind: new.kind,
        operator_id: new.operator_id,
        region: new.region,
        district: new.district.to_owned(),
        address,
        phone: Some(new.phone.into()),
        opening_hours: Localized::en("Mon-Fri 9:00-17:00"),
        languages: CodeList(vec!["tg".into(), "ru".into()]),
        shelter_capacity: (new.kind == CentreKind::Shelter).then_some(12),
        accepting_referrals: true,
        last_verified_at: None,
        active: new.active,
        created_at: now(),
        updated_at: now(),
    }
    .into_active_model()
    .insert(db)
    .await
    .expect("insert centre");
    for service in new.services {
        entity::centre_service::Model {
            centre_id: model.id,
            service: *service,
        }
        .into_active_model()
        .insert(db)
        .await
        .expect("insert centre service");
    }
    model
}

/// `count` published events of `organiser_id` without a project, inserted a few hundred at a
/// time (one statement per batch, not per event), for tests of exports that span many pages.
/// Start dates run over `count / 3` days from `first_day`, three events a day, but are handed
/// out in a scrambled order so that neither insertion order nor id order is date order.
pub async fn events_in_bulk(
    db: &DatabaseConnection,
    organiser_id: Uuid,
    first_day: &str,
    count: usize,
) -> Vec<event::Model> {
    use sea_orm::EntityTrait;

    let first_day = date(first_day);
    let models: Vec<event::Model> = (0..count)
        .map(|index| {
            // 7919 is prime and does not divide `count` in these tests: a permutation.
            let slot = (index * 7919) % count;
            let starts_on = first_day + chrono::Days::new(u64::try_from(slot / 3).expect("days"));
            let title = Localized::en(format!("Bulk event {index}"));
            let summary = Localized::en("What happened.");
            event::Model {
                id: Uuid::now_v7(),
                project_id: None,
                search_text: search_text(title.present().chain(summary.present())),
                title,
                kind: EventKind::Meeting,
                starts_on,
                ends_on: starts_on,
                region: Region::Sughd,
                district: "Khujand".to_owned(),
                venue: None,
                organiser_id,
                participants_female: 3,
                participants_male: 2,
                participants_undisclosed: 0,
                summary,
                published: true,
                created_at: now(),
                updated_at: now(),
            }
        })
        .collect();
    for batch in models.chunks(200) {
        event::Entity::insert_many(
            batch
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec(db)
        .await
        .expect("insert events");
    }
    models
}
