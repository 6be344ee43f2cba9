//! Checks the migrations against the entities: up, down and up again, every table and column the
//! entities describe (name, type, nullability), one round-tripped row per table, and the
//! constraints and indexes the services rely on.
//!
//! SQLite (in memory) always runs. PostgreSQL runs when `TEST_DATABASE_URL` names a
//! server database the test may use to create and drop a scratch database, for example
//! `postgres://postgres@127.0.0.1:5432/postgres`.

use std::{collections::BTreeSet, fmt::Debug};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{
    Localized, account, account_token, audit_entry, case_assignment, case_code_counter, case_note,
    case_party, centre_report, centre_report_approval, centre_report_line, centre_report_revision,
    centre_report_revision_line, centre_service, centre_service_past,
    enums::{
        AccountStatus, AgeGroup, AuditOutcome, CaseKind, CaseOutcome, CaseStatus, CentreKind,
        CentreService, DeclineReason, EventKind, IndicatorMeasure, IndicatorPeriodicity, Language,
        NotificationKind, OrganisationKind, PartnerRole, ProjectStatus, Region, RiskLevel, Role,
        Sex, ThematicArea, Visibility,
    },
    event, idempotency_key, indicator, indicator_period, indicator_period_approval,
    indicator_period_revision, job_mark,
    localized::CodeList,
    mail_outbox, notification, organisation, password_reset_request, persisted_query, project,
    project_partner, project_region, project_thematic_area, recovery_code, referral_case,
    referral_transition, resource_centre, scheduled_job, session, statistics_version,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, Database, DatabaseConnection,
    DbBackend, DbErr, EntityName, EntityTrait, IdenStatic, IntoActiveModel, Iterable, QueryFilter,
    Statement, sea_query::ColumnType, sea_query::StringLen,
};
use uuid::Uuid;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The indexes the list filters and keyset pagination rely on.
const EXPECTED_INDEXES: [&str; 55] = [
    "idx_organisation_sort_name_id",
    "idx_organisation_kind",
    "idx_account_organisation_id",
    "idx_account_role",
    "idx_session_account_id",
    "idx_session_family_id",
    "idx_project_start_date_id",
    "idx_project_status",
    "idx_project_visibility",
    "idx_project_partner_organisation_id_project_id",
    "idx_project_thematic_area_thematic_area_project_id",
    "idx_project_region_region_project_id",
    "idx_event_starts_on_id",
    "idx_event_project_id_starts_on_id",
    "idx_event_organiser_id",
    "idx_event_kind_starts_on",
    "idx_event_region_starts_on",
    "idx_event_published_starts_on",
    "idx_resource_centre_sort_name_id",
    "idx_resource_centre_district_id",
    "idx_resource_centre_operator_id",
    "idx_resource_centre_region",
    "idx_resource_centre_kind",
    "idx_centre_service_service_centre_id",
    "idx_centre_report_month",
    "idx_referral_case_referring_organisation_id_created_at_id",
    "idx_referral_case_receiving_organisation_id_created_at_id",
    "idx_referral_case_status",
    "idx_referral_case_response_due_at",
    "idx_referral_case_receiving_centre_id",
    "idx_referral_transition_case_id_at",
    "idx_referral_transition_receiving_organisation_id_case_id",
    "idx_audit_entry_at_id",
    "idx_audit_entry_actor_account_id_at",
    "idx_audit_entry_entity_type_entity_id",
    "idx_audit_entry_action_at",
    "idx_persisted_query_listed_last_used_at",
    "idx_idempotency_key_expires_at",
    "idx_idempotency_key_entity_type_entity_id",
    "idx_mail_outbox_sent_at_next_attempt_at",
    "idx_notification_account_id_at_id",
    "idx_notification_account_id_read_at",
    "idx_notification_case_id",
    "idx_notification_report_id",
    "idx_notification_period_id",
    "idx_case_note_case_id_at",
    "idx_case_assignment_account_id_case_id",
    "idx_case_assignment_organisation_id_case_id",
    "idx_account_token_account_id_purpose_created_at",
    "idx_password_reset_request_client_address_at",
    "idx_password_reset_request_at",
    "idx_indicator_project_id_id",
    "idx_case_party_organisation_id_refers_case_created_at_case_id",
    "idx_case_party_organisation_id_case_created_at_case_id",
    "idx_case_party_case_id",
];

#[tokio::test]
async fn sqlite_schema_matches_entities() -> TestResult {
    let db = Database::connect("sqlite::memory:").await?;
    check_database(&db).await
}

#[tokio::test]
async fn postgres_schema_matches_entities() -> TestResult {
    let Ok(server_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is not set; skipping the PostgreSQL check");
        return Ok(());
    };
    let (server, _) = server_url
        .rsplit_once('/')
        .ok_or("TEST_DATABASE_URL has no database path")?;
    let name = format!("migration_test_{}", Uuid::now_v7().simple());
    let admin = Database::connect(&server_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;

    let result = async {
        let db = Database::connect(format!("{server}/{name}")).await?;
        let result = check_database(&db).await;
        db.close().await?;
        result
    }
    .await;

    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await?;
    admin.close().await?;
    result
}

async fn check_database(db: &DatabaseConnection) -> TestResult {
    Migrator::up(db, None).await?;
    check_tables_and_columns(db).await?;
    check_indexes(db).await?;
    let ids = insert_rows(db).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        check_sqlite_storage(db).await?;
    }
    check_constraints(db, &ids).await?;

    // Down must drop everything, even with rows left in the tables.
    Migrator::down(db, None).await?;
    assert_eq!(
        table_names(db).await?,
        BTreeSet::from(["seaql_migrations".to_owned()])
    );
    assert!(index_names(db).await?.is_empty());

    Migrator::up(db, None).await?;
    check_tables_and_columns(db).await?;
    check_indexes(db).await?;
    insert_rows(db).await?;
    Migrator::down(db, None).await?;
    assert_eq!(
        table_names(db).await?,
        BTreeSet::from(["seaql_migrations".to_owned()])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tables and columns

/// A column as the database reports it.
#[derive(Debug)]
struct DbColumn {
    name: String,
    data_type: String,
    not_null: bool,
}

async fn check_tables_and_columns(db: &DatabaseConnection) -> TestResult {
    let mut expected_tables = BTreeSet::from(["seaql_migrations".to_owned()]);
    let mut problems = Vec::new();
    macro_rules! check_entities {
        ($($module:ident),* $(,)?) => {
            $(
                expected_tables.insert($module::Entity.table_name().to_owned());
                problems.extend(compare_columns::<$module::Entity>(db).await?);
                // Reading an empty table must work too.
                $module::Entity::find().all(db).await?;
            )*
        };
    }
    check_entities!(
        organisation,
        account,
        session,
        project,
        project_partner,
        project_thematic_area,
        project_region,
        event,
        resource_centre,
        centre_service,
        centre_report,
        centre_report_line,
        centre_report_revision,
        centre_report_revision_line,
        centre_report_approval,
        centre_service_past,
        case_code_counter,
        referral_case,
        referral_transition,
        audit_entry,
        persisted_query,
        idempotency_key,
        mail_outbox,
        notification,
        case_note,
        case_assignment,
        scheduled_job,
        job_mark,
        account_token,
        password_reset_request,
        recovery_code,
        indicator,
        indicator_period,
        indicator_period_revision,
        indicator_period_approval,
        statistics_version,
        case_party,
    );
    assert_eq!(table_names(db).await?, expected_tables);
    assert!(
        problems.is_empty(),
        "schema differs from the entities:\n{}",
        problems.join("\n")
    );
    Ok(())
}

async fn compare_columns<E: EntityTrait + Default>(
    db: &DatabaseConnection,
) -> Result<Vec<String>, DbErr> {
    let table = E::default().table_name();
    let actual = table_columns(db, table).await?;
    let mut problems = Vec::new();
    for column in E::Column::iter() {
        let name = column.as_str();
        let def = column.def();
        let Some(found) = actual.iter().find(|c| c.name == name) else {
            problems.push(format!("{table}.{name}: missing"));
            continue;
        };
        if found.not_null == def.is_null() {
            problems.push(format!(
                "{table}.{name}: entity nullable={}, database NOT NULL={}",
                def.is_null(),
                found.not_null
            ));
        }
        let accepted = accepted_types(db.get_database_backend(), def.get_column_type());
        let data_type = found.data_type.to_lowercase();
        // An unbounded entity string may be stored in a bounded column (the ISO codes).
        let bounded_string = matches!(def.get_column_type(), ColumnType::String(StringLen::None))
            && (data_type.starts_with("varchar(") || data_type.starts_with("character varying("));
        if !accepted.contains(&data_type) && !bounded_string {
            problems.push(format!(
                "{table}.{name}: entity {:?} wants one of {accepted:?}, database has {}",
                def.get_column_type(),
                found.data_type
            ));
        }
    }
    for column in &actual {
        if !E::Column::iter().any(|c| c.as_str() == column.name) {
            problems.push(format!("{table}.{}: not in the entity", column.name));
        }
    }
    Ok(problems)
}

/// The database type names that hold an entity column type, as the catalogue spells them (in
/// lower case; SQLite reports some names upper-cased).
fn accepted_types(backend: DbBackend, column_type: &ColumnType) -> Vec<String> {
    let postgres = backend == DbBackend::Postgres;
    let names: Vec<String> = match column_type {
        ColumnType::Uuid if postgres => vec!["uuid".into()],
        ColumnType::Uuid => vec!["uuid_text".into()],
        ColumnType::String(StringLen::N(n)) if postgres => {
            vec![format!("character varying({n})")]
        }
        ColumnType::String(StringLen::N(n)) => vec![format!("varchar({n})")],
        ColumnType::String(_) | ColumnType::Text if postgres => {
            vec!["character varying".into(), "text".into()]
        }
        ColumnType::String(_) | ColumnType::Text => vec!["varchar".into(), "text".into()],
        ColumnType::Json | ColumnType::JsonBinary if postgres => vec!["jsonb".into()],
        ColumnType::Json | ColumnType::JsonBinary => vec!["jsonb_text".into()],
        ColumnType::TimestampWithTimeZone if postgres => {
            vec!["timestamp with time zone".into()]
        }
        ColumnType::TimestampWithTimeZone => vec!["timestamp_with_timezone_text".into()],
        ColumnType::Date if postgres => vec!["date".into()],
        ColumnType::Date => vec!["date_text".into()],
        ColumnType::Integer => vec!["integer".into()],
        ColumnType::SmallInteger => vec!["smallint".into()],
        ColumnType::BigInteger if postgres => vec!["bigint".into()],
        ColumnType::BigInteger => vec!["integer".into()],
        ColumnType::Boolean => vec!["boolean".into()],
        ColumnType::Double if postgres => vec!["double precision".into()],
        ColumnType::Double => vec!["double".into()],
        ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob if postgres => {
            vec!["bytea".into()]
        }
        ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob => {
            vec!["blob".into()]
        }
        other => vec![format!("<no mapping for {other:?}>")],
    };
    names
}

async fn table_columns(db: &DatabaseConnection, table: &str) -> Result<Vec<DbColumn>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS data_type, \
             a.attnotnull AS not_null FROM pg_attribute a \
             WHERE a.attrelid = quote_ident($1)::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        }
        _ => {
            "SELECT name, type AS data_type, \"notnull\" <> 0 AS not_null \
             FROM pragma_table_info(?)"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DbColumn {
                name: row.try_get("", "name")?,
                data_type: row.try_get("", "data_type")?,
                not_null: row.try_get("", "not_null")?,
            })
        })
        .collect()
}

async fn table_names(db: &DatabaseConnection) -> Result<BTreeSet<String>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    names(db, sql).await
}

async fn index_names(db: &DatabaseConnection) -> Result<BTreeSet<String>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT indexname::text AS name FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname LIKE 'idx\\_%'"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx\\_%' ESCAPE '\\'"
        }
    };
    names(db, sql).await
}

async fn names(db: &DatabaseConnection, sql: &str) -> Result<BTreeSet<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter().map(|row| row.try_get("", "name")).collect()
}

async fn check_indexes(db: &DatabaseConnection) -> TestResult {
    let expected: BTreeSet<String> = EXPECTED_INDEXES.iter().map(|&n| n.to_owned()).collect();
    assert_eq!(index_names(db).await?, expected);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rows

/// Ids of the rows [`insert_rows`] creates, for the constraint checks.
struct Ids {
    ngo: Uuid,
    partner: Uuid,
    staff: Uuid,
    reporter: Uuid,
    reporter_session: Uuid,
    project: Uuid,
    centre: Uuid,
    report: Uuid,
    case: Uuid,
    indicator: Uuid,
    period: Uuid,
}

fn at(day: u32, micros: i64) -> Result<DateTime<Utc>, Box<dyn std::error::Error>> {
    let base = Utc
        .with_ymd_and_hms(2026, 11, day, 9, 30, 15)
        .single()
        .ok_or("invalid timestamp")?;
    Ok(base + Duration::microseconds(micros))
}

fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate, Box<dyn std::error::Error>> {
    Ok(NaiveDate::from_ymd_opt(year, month, day).ok_or("invalid date")?)
}

fn text(en: &str) -> Localized {
    Localized {
        en: Some(en.to_owned()),
        ru: Some(format!("{en} (ru)")),
        tg: Some(format!("{en} (tg)")),
    }
}

/// Inserts `model` through its active model, then reads it back both ways.
async fn round_trip<E>(db: &DatabaseConnection, model: E::Model) -> TestResult
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + PartialEq,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let inserted = model
        .clone()
        .into_active_model()
        .reset_all()
        .insert(db)
        .await?;
    assert_eq!(inserted, model, "insert returned a different row");
    let all = E::find().all(db).await?;
    assert!(
        all.contains(&model),
        "row did not read back unchanged: {model:?} not in {all:?}"
    );
    Ok(())
}

async fn insert_rows(db: &DatabaseConnection) -> Result<Ids, Box<dyn std::error::Error>> {
    let ids = Ids {
        ngo: Uuid::now_v7(),
        partner: Uuid::now_v7(),
        staff: Uuid::now_v7(),
        reporter: Uuid::now_v7(),
        reporter_session: Uuid::now_v7(),
        project: Uuid::now_v7(),
        centre: Uuid::now_v7(),
        report: Uuid::now_v7(),
        case: Uuid::now_v7(),
        indicator: Uuid::now_v7(),
        period: Uuid::now_v7(),
    };
    let ministry = Uuid::now_v7();

    for (id, kind, name) in [
        (ids.ngo, OrganisationKind::Ngo, "Women's Rights Union"),
        (ministry, OrganisationKind::Government, "Ministry of Labour"),
    ] {
        round_trip::<organisation::Entity>(
            db,
            organisation::Model {
                id,
                name: text(name),
                acronym: Some("WRU".to_owned()),
                kind,
                contact_email: Some("info@example.tj".to_owned()),
                contact_phone: Some("+992 37 000 00 00".to_owned()),
                active: true,
                sort_name: name.to_lowercase(),
                search_text: name.to_lowercase(),
                created_at: at(1, 123_456)?,
                updated_at: at(2, 0)?,
            },
        )
        .await?;
    }

    let account = |id: Uuid, email: &str, role: Role, organisation_id: Option<Uuid>| {
        Ok::<_, Box<dyn std::error::Error>>(account::Model {
            id,
            email: email.to_owned(),
            display_name: "Дилноза Раҳимова".to_owned(),
            role,
            organisation_id,
            preferred_language: Language::Tg,
            status: AccountStatus::Active,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            failed_login_count: 0,
            locked_until: None,
            last_login_at: None,
            must_change_password: false,
            totp_secret: None,
            totp_enabled_at: None,
            totp_last_step: None,
            created_at: at(3, 1)?,
            updated_at: at(3, 2)?,
        })
    };
    round_trip::<account::Entity>(
        db,
        account::Model {
            failed_login_count: 2,
            locked_until: Some(at(4, 0)?),
            last_login_at: Some(at(5, 999_999)?),
            must_change_password: true,
            totp_secret: Some(vec![0, 1, 2, 0xfe, 0xff, 0]),
            totp_enabled_at: Some(at(6, 0)?),
            totp_last_step: Some(59_000_123),
            ..account(
                ids.partner,
                "partner@example.tj",
                Role::PartnerManager,
                Some(ids.ngo),
            )?
        },
    )
    .await?;
    round_trip::<account::Entity>(db, account(ids.staff, "staff@osce.org", Role::Admin, None)?)
        .await?;
    round_trip::<account::Entity>(
        db,
        account(
            ids.reporter,
            "reporter@example.tj",
            Role::Partner,
            Some(ids.ngo),
        )?,
    )
    .await?;

    for (id, account_id, replaced_by_id) in [
        (Uuid::now_v7(), ids.partner, Some(Uuid::now_v7())),
        (ids.reporter_session, ids.reporter, None),
    ] {
        round_trip::<session::Entity>(
            db,
            session::Model {
                id,
                account_id,
                family_id: Uuid::now_v7(),
                token_hash: id.as_bytes().repeat(2),
                created_at: at(7, 0)?,
                expires_at: at(21, 0)?,
                revoked_at: replaced_by_id.map(|_| at(8, 0)).transpose()?,
                replaced_by_id,
            },
        )
        .await?;
    }

    round_trip::<project::Entity>(
        db,
        project::Model {
            id: ids.project,
            code: "PO-2025-GE-01".to_owned(),
            title: text("Gender equality"),
            summary: Localized::en("Only English"),
            status: ProjectStatus::Active,
            start_date: date(2025, 1, 1)?,
            end_date: Some(date(2027, 12, 31)?),
            // Beyond i32, to prove the column is 64-bit.
            budget_amount: Some(12_345_678_901_234),
            budget_currency: Some("EUR".to_owned()),
            visibility: Visibility::Internal,
            search_text: "po-2025-ge-01 gender equality".to_owned(),
            created_at: at(9, 0)?,
            updated_at: at(9, 0)?,
        },
    )
    .await?;
    round_trip::<project_partner::Entity>(
        db,
        project_partner::Model {
            project_id: ids.project,
            organisation_id: ids.ngo,
            role: PartnerRole::Implementing,
        },
    )
    .await?;
    round_trip::<project_thematic_area::Entity>(
        db,
        project_thematic_area::Model {
            project_id: ids.project,
            thematic_area: ThematicArea::DomesticViolence,
        },
    )
    .await?;
    round_trip::<project_region::Entity>(
        db,
        project_region::Model {
            project_id: ids.project,
            region: Region::Khatlon,
        },
    )
    .await?;
    round_trip::<event::Entity>(
        db,
        event::Model {
            id: Uuid::now_v7(),
            project_id: Some(ids.project),
            title: text("Training for police"),
            kind: EventKind::StudyVisit,
            starts_on: date(2026, 3, 8)?,
            ends_on: date(2026, 3, 10)?,
            region: Region::Drs,
            district: "Vahdat".to_owned(),
            venue: Some("District hall".to_owned()),
            organiser_id: ministry,
            participants_female: 20,
            participants_male: 5,
            participants_undisclosed: 1,
            summary: Localized::default(),
            published: true,
            search_text: "training".to_owned(),
            created_at: at(10, 0)?,
            updated_at: at(10, 0)?,
        },
    )
    .await?;

    round_trip::<resource_centre::Entity>(
        db,
        resource_centre::Model {
            id: ids.centre,
            name: text("Bokhtar WRC"),
            kind: CentreKind::WomensResourceCentre,
            operator_id: ids.ngo,
            region: Region::Khatlon,
            district: "Bokhtar".to_owned(),
            address: text("1 Main Street"),
            phone: Some("+992 00".to_owned()),
            opening_hours: Localized::en("Mon-Fri 9-17"),
            languages: CodeList(vec!["tg".to_owned(), "ru".to_owned(), "uz".to_owned()]),
            shelter_capacity: Some(12),
            accepting_referrals: true,
            last_verified_at: Some(at(11, 0)?),
            active: true,
            sort_name: "bokhtar wrc".to_owned(),
            search_text: "bokhtar wrc".to_owned(),
            search_text_restricted: "1 main street".to_owned(),
            created_at: at(11, 0)?,
            updated_at: at(11, 0)?,
        },
    )
    .await?;
    round_trip::<centre_service::Entity>(
        db,
        centre_service::Model {
            centre_id: ids.centre,
            service: CentreService::PsychosocialCounselling,
        },
    )
    .await?;
    round_trip::<centre_report::Entity>(
        db,
        centre_report::Model {
            id: ids.report,
            centre_id: ids.centre,
            month: date(2026, 10, 1)?,
            revision: 1,
            submitted_by_id: Some(ids.reporter),
            submitted_at: at(12, 0)?,
        },
    )
    .await?;
    round_trip::<centre_report_line::Entity>(
        db,
        centre_report_line::Model {
            report_id: ids.report,
            service: CentreService::LegalConsultation,
            female: 31,
            male: 0,
        },
    )
    .await?;
    let revision_id = Uuid::now_v7();
    round_trip::<centre_report_revision::Entity>(
        db,
        centre_report_revision::Model {
            id: revision_id,
            report_id: ids.report,
            revision: 1,
            submitted_by_id: Some(ids.reporter),
            submitted_at: at(11, 0)?,
        },
    )
    .await?;
    round_trip::<centre_report_revision_line::Entity>(
        db,
        centre_report_revision_line::Model {
            revision_id,
            service: CentreService::AwarenessRaising,
            female: 12,
            male: 4,
        },
    )
    .await?;
    round_trip::<centre_report_approval::Entity>(
        db,
        centre_report_approval::Model {
            report_id: ids.report,
            approved_at: at(13, 0)?,
            approved_by_id: Some(ids.staff),
        },
    )
    .await?;
    round_trip::<centre_service_past::Entity>(
        db,
        centre_service_past::Model {
            centre_id: ids.centre,
            service: CentreService::Shelter,
            last_month: date(2026, 9, 1)?,
        },
    )
    .await?;

    round_trip::<indicator::Entity>(
        db,
        indicator::Model {
            id: ids.indicator,
            project_id: ids.project,
            title: text("Share of women among trained officers"),
            // An empty definition is `{}`.
            definition: Localized::default(),
            measure: IndicatorMeasure::Percentage,
            disaggregated_by_sex: true,
            ascending: false,
            periodicity: IndicatorPeriodicity::Quarterly,
            baseline_value: Some(41.5),
            baseline_date: Some(date(2025, 12, 31)?),
            created_at: at(12, 1)?,
            updated_at: at(12, 2)?,
        },
    )
    .await?;
    round_trip::<indicator_period::Entity>(
        db,
        indicator_period::Model {
            id: ids.period,
            indicator_id: ids.indicator,
            period_start: date(2026, 1, 1)?,
            period_end: date(2026, 3, 31)?,
            target_value: Some(40.0),
            // Not a whole number, and beyond f32's precision.
            actual_value: Some(38.125_000_000_1),
            actual_female: Some(35.5),
            actual_male: Some(41.0),
            comment: Some("Пурсиш дар 14 ноҳия".to_owned()),
            revision: 2,
            reported_by_id: Some(ids.reporter),
            reported_at: Some(at(12, 3)?),
        },
    )
    .await?;
    // A period with only its target.
    round_trip::<indicator_period::Entity>(
        db,
        indicator_period::Model {
            id: Uuid::now_v7(),
            indicator_id: ids.indicator,
            period_start: date(2026, 4, 1)?,
            period_end: date(2026, 6, 30)?,
            target_value: Some(38.0),
            actual_value: None,
            actual_female: None,
            actual_male: None,
            comment: None,
            revision: 0,
            reported_by_id: None,
            reported_at: None,
        },
    )
    .await?;
    round_trip::<indicator_period_revision::Entity>(
        db,
        indicator_period_revision::Model {
            id: Uuid::now_v7(),
            period_id: ids.period,
            revision: 1,
            actual_value: 39.0,
            actual_female: Some(36.0),
            actual_male: None,
            comment: None,
            reported_by_id: Some(ids.reporter),
            reported_at: at(12, 2)?,
        },
    )
    .await?;
    round_trip::<indicator_period_approval::Entity>(
        db,
        indicator_period_approval::Model {
            period_id: ids.period,
            approved_at: at(12, 4)?,
            approved_by_id: Some(ids.staff),
        },
    )
    .await?;

    round_trip::<case_code_counter::Entity>(
        db,
        case_code_counter::Model {
            year: 2026,
            last_value: 1,
        },
    )
    .await?;
    round_trip::<referral_case::Entity>(
        db,
        referral_case::Model {
            id: ids.case,
            code: "RC-2026-000001".to_owned(),
            kind: CaseKind::TraffickingLabour,
            status: CaseStatus::InService,
            risk: RiskLevel::High,
            survivor_sex: Sex::Female,
            survivor_age_group: AgeGroup::Adult1824,
            survivor_citizenship: Some("TJ".to_owned()),
            survivor_has_disability: true,
            region: Region::Sughd,
            district: "Khujand".to_owned(),
            services_requested: CodeList(vec!["SHELTER".to_owned()]),
            referring_organisation_id: ids.ngo,
            receiving_organisation_id: Some(ministry),
            receiving_centre_id: Some(ids.centre),
            consent_given: true,
            legacy_consent_scope: Some("referral and follow-up".to_owned()),
            consent_scope_sealed: Some(vec![7; 80]),
            consent_recorded_at: Some(at(13, 0)?),
            consent_recorded_by_id: Some(ids.partner),
            referred_at: Some(at(13, 1)?),
            response_due_at: Some(at(14, 0)?),
            first_response_at: Some(at(13, 500_000)?),
            closed_at: Some(at(20, 0)?),
            outcome: Some(CaseOutcome::ServicesProvided),
            survivor_name: Some(b"v1:key-1:\x00\x9f\x92\x96ciphertext".to_vec()),
            contact_phone: Some(vec![1, 2, 3]),
            address: Some(Vec::new()),
            notes: Some(vec![0xff; 64]),
            data_key: Some(vec![9; 90]),
            erased_at: Some(at(21, 0)?),
            created_by_id: ids.partner,
            version: 3,
            created_at: at(13, 0)?,
            updated_at: at(20, 0)?,
        },
    )
    .await?;
    round_trip::<referral_transition::Entity>(
        db,
        referral_transition::Model {
            id: Uuid::now_v7(),
            case_id: ids.case,
            from_status: Some(CaseStatus::Referred),
            to_status: CaseStatus::Declined,
            actor_account_id: ids.partner,
            actor_organisation_id: Some(ids.ngo),
            receiving_organisation_id: Some(ministry),
            reason: Some(DeclineReason::NoCapacity),
            legacy_comment: Some("Full this month".to_owned()),
            comment_sealed: Some(vec![5; 70]),
            at: at(14, 0)?,
        },
    )
    .await?;
    round_trip::<referral_transition::Entity>(
        db,
        referral_transition::Model {
            id: Uuid::now_v7(),
            case_id: ids.case,
            from_status: None,
            to_status: CaseStatus::Draft,
            actor_account_id: ids.partner,
            actor_organisation_id: None,
            receiving_organisation_id: None,
            reason: None,
            legacy_comment: None,
            comment_sealed: None,
            at: at(13, 0)?,
        },
    )
    .await?;

    for (kind, case_id, read_at) in [
        (NotificationKind::ReferralReceived, Some(ids.case), None),
        (NotificationKind::DeadlinePassed, None, Some(at(15, 7)?)),
    ] {
        round_trip::<notification::Entity>(
            db,
            notification::Model {
                id: Uuid::now_v7(),
                account_id: ids.partner,
                kind,
                case_id,
                case_code: Some("RC-2026-000001".to_owned()),
                report_id: None,
                report_label: None,
                period_id: None,
                period_label: None,
                at: at(15, 6)?,
                read_at,
            },
        )
        .await?;
    }
    round_trip::<notification::Entity>(
        db,
        notification::Model {
            id: Uuid::now_v7(),
            account_id: ids.partner,
            kind: NotificationKind::ReportApproved,
            case_id: None,
            case_code: None,
            report_id: Some(ids.report),
            report_label: Some("Bokhtar Women's Resource Centre (2026-10)".to_owned()),
            period_id: None,
            period_label: None,
            at: at(15, 8)?,
            read_at: None,
        },
    )
    .await?;
    round_trip::<notification::Entity>(
        db,
        notification::Model {
            id: Uuid::now_v7(),
            account_id: ids.partner,
            kind: NotificationKind::ResultApproved,
            case_id: None,
            case_code: None,
            report_id: None,
            report_label: None,
            period_id: Some(ids.period),
            period_label: Some("Women trained as trainers (2026-Q1)".to_owned()),
            at: at(15, 9)?,
            read_at: None,
        },
    )
    .await?;
    round_trip::<case_note::Entity>(
        db,
        case_note::Model {
            id: Uuid::now_v7(),
            case_id: ids.case,
            author_account_id: ids.partner,
            author_organisation_id: ids.ngo,
            at: at(15, 0)?,
            text_sealed: Some(vec![3; 60]),
        },
    )
    .await?;
    round_trip::<case_assignment::Entity>(
        db,
        case_assignment::Model {
            case_id: ids.case,
            organisation_id: ids.ngo,
            account_id: ids.partner,
            assigned_at: at(15, 1)?,
        },
    )
    .await?;

    round_trip::<audit_entry::Entity>(
        db,
        audit_entry::Model {
            id: Uuid::now_v7(),
            at: at(15, 42)?,
            // No foreign keys: an unknown account is fine.
            actor_account_id: Some(Uuid::now_v7()),
            actor_role: Some(Role::Staff),
            actor_organisation_id: Some(Uuid::now_v7()),
            action: "case.read_identifying".to_owned(),
            entity_type: Some("referral_case".to_owned()),
            entity_id: Some(ids.case),
            outcome: AuditOutcome::Denied,
            request_id: Some("req-1".to_owned()),
            detail: Some(serde_json::json!({ "fields": ["notes"], "count": 2, "ok": false })),
        },
    )
    .await?;
    round_trip::<audit_entry::Entity>(
        db,
        audit_entry::Model {
            id: Uuid::now_v7(),
            at: at(15, 43)?,
            actor_account_id: None,
            actor_role: None,
            actor_organisation_id: None,
            action: "auth.login_failed".to_owned(),
            entity_type: None,
            entity_id: None,
            outcome: AuditOutcome::Failure,
            request_id: None,
            detail: None,
        },
    )
    .await?;

    round_trip::<persisted_query::Entity>(
        db,
        persisted_query::Model {
            hash: PERSISTED_HASH.to_owned(),
            document: "query Me { me { id } }".to_owned(),
            listed: true,
            created_at: at(16, 0)?,
            last_used_at: at(17, 5)?,
        },
    )
    .await?;

    round_trip::<mail_outbox::Entity>(
        db,
        mail_outbox::Model {
            id: Uuid::now_v7(),
            recipient: "partner@example.org".to_owned(),
            language: Language::Tg,
            subject: "Ирҷоъ TJ-2026-0001".to_owned(),
            body: "Ирҷоъи нав: TJ-2026-0001".to_owned(),
            created_at: at(18, 0)?,
            attempts: 2,
            next_attempt_at: at(18, 1)?,
            sent_at: None,
            last_error: Some("connect".to_owned()),
            claimed_until: Some(at(18, 2)?),
            holds_link: true,
        },
    )
    .await?;

    round_trip::<recovery_code::Entity>(
        db,
        recovery_code::Model {
            id: Uuid::now_v7(),
            account_id: ids.reporter,
            code_hash: vec![7; 32],
            created_at: at(18, 3)?,
            used_at: Some(at(18, 4)?),
        },
    )
    .await?;

    round_trip::<scheduled_job::Entity>(
        db,
        scheduled_job::Model {
            name: "overdue_escalation".to_owned(),
            next_run_at: at(19, 0)?,
            locked_until: Some(at(19, 1)?),
            last_finished_at: None,
        },
    )
    .await?;
    round_trip::<account_token::Entity>(
        db,
        account_token::Model {
            id: Uuid::now_v7(),
            account_id: ids.partner,
            purpose: entity::enums::TokenPurpose::PasswordReset,
            token_hash: "a".repeat(64),
            created_at: at(19, 3)?,
            expires_at: at(20, 3)?,
            used_at: Some(at(19, 4)?),
        },
    )
    .await?;
    round_trip::<password_reset_request::Entity>(
        db,
        password_reset_request::Model {
            id: Uuid::now_v7(),
            client_address: Some("2001:db8::1".to_owned()),
            at: at(19, 5)?,
        },
    )
    .await?;
    round_trip::<job_mark::Entity>(
        db,
        job_mark::Model {
            job: "overdue_escalation".to_owned(),
            subject: ids.case,
            at: at(19, 2)?,
        },
    )
    .await?;

    Ok(ids)
}

/// A hash for the round trip: the table checks its spelling (64 lower-case hex digits), and the
/// service that it is the document's SHA-256.
const PERSISTED_HASH: &str = "7c9d4b0a3f1e2d5c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c";

/// SQLite has no column types, only storage classes per value; these are what SeaORM writes.
async fn check_sqlite_storage(db: &DatabaseConnection) -> TestResult {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT typeof(p.id) AS id, typeof(p.title) AS json, typeof(p.start_date) AS date, \
             typeof(p.created_at) AS timestamp, typeof(p.budget_amount) AS big_integer, \
             typeof(s.token_hash) AS bytes, typeof(o.active) AS boolean, \
             typeof(i.baseline_value) AS double, p.created_at AS timestamp_text \
             FROM project p, session s, organisation o, indicator i LIMIT 1",
        ))
        .await?
        .ok_or("no rows")?;
    let class = |column: &str| row.try_get::<String>("", column);
    assert_eq!(class("id")?, "blob", "uuids are stored as 16 bytes");
    assert_eq!(class("json")?, "text");
    assert_eq!(class("date")?, "text");
    assert_eq!(class("timestamp")?, "text");
    assert_eq!(class("big_integer")?, "integer");
    assert_eq!(class("bytes")?, "blob");
    assert_eq!(class("boolean")?, "integer");
    assert_eq!(class("double")?, "real");
    eprintln!("SQLite timestamp text: {}", class("timestamp_text")?);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Constraints

/// Asserts that `result` failed; `what` names the rule for the failure message.
fn rejected<T: Debug>(what: &str, result: Result<T, DbErr>) {
    match result {
        Err(error) => eprintln!("rejected {what}: {error}"),
        Ok(value) => panic!("expected the database to reject {what}, got {value:?}"),
    }
}

async fn check_constraints(db: &DatabaseConnection, ids: &Ids) -> TestResult {
    let partner = account::Entity::find_by_id(ids.partner)
        .one(db)
        .await?
        .ok_or("partner account missing")?;
    let new_account = |role: Role, organisation_id: Option<Uuid>, email: &str| account::Model {
        id: Uuid::now_v7(),
        email: email.to_owned(),
        role,
        organisation_id,
        ..partner.clone()
    };
    rejected(
        "a partner account without an organisation",
        new_account(Role::Partner, None, "a@example.tj")
            .into_active_model()
            .reset_all()
            .insert(db)
            .await,
    );
    rejected(
        "a staff account with an organisation",
        new_account(Role::Staff, Some(ids.ngo), "b@example.tj")
            .into_active_model()
            .reset_all()
            .insert(db)
            .await,
    );
    rejected(
        "a duplicate email",
        new_account(Role::Partner, Some(ids.ngo), "partner@example.tj")
            .into_active_model()
            .reset_all()
            .insert(db)
            .await,
    );
    rejected(
        "a negative failed login count",
        db.execute_unprepared("UPDATE account SET failed_login_count = -1")
            .await,
    );
    rejected(
        "an unknown organisation",
        new_account(Role::Partner, Some(Uuid::now_v7()), "c@example.tj")
            .into_active_model()
            .reset_all()
            .insert(db)
            .await,
    );
    for sql in [
        "UPDATE organisation SET kind = 'CHARITY'",
        "UPDATE account SET role = 'ROOT'",
        "UPDATE account SET preferred_language = 'de'",
        "UPDATE account SET status = 'LOCKED'",
        "UPDATE project SET status = 'DONE'",
        "UPDATE project SET visibility = 'SECRET'",
        "UPDATE project_partner SET role = 'DONOR'",
        "UPDATE project_thematic_area SET thematic_area = 'SPORT'",
        "UPDATE project_region SET region = 'MOSCOW'",
        "UPDATE event SET kind = 'PARTY'",
        "UPDATE event SET region = 'MOSCOW'",
        "UPDATE resource_centre SET kind = 'HOSPITAL'",
        "UPDATE resource_centre SET region = 'MOSCOW'",
        "UPDATE centre_service SET service = 'FOOD'",
        "UPDATE centre_report_line SET service = 'FOOD'",
        "UPDATE referral_case SET kind = 'THEFT'",
        "UPDATE referral_case SET status = 'OPEN'",
        "UPDATE referral_case SET risk = 'EXTREME'",
        "UPDATE referral_case SET survivor_sex = 'X'",
        "UPDATE referral_case SET survivor_age_group = 'ADULT'",
        "UPDATE referral_case SET region = 'MOSCOW'",
        "UPDATE referral_case SET outcome = 'WON'",
        "UPDATE referral_transition SET from_status = 'OPEN'",
        "UPDATE referral_transition SET to_status = 'OPEN'",
        "UPDATE referral_transition SET reason = 'BUSY'",
        "UPDATE notification SET kind = 'NEWS'",
        "UPDATE audit_entry SET actor_role = 'ROOT'",
        "UPDATE audit_entry SET outcome = 'MAYBE'",
        "UPDATE indicator SET measure = 'SCORE'",
        "UPDATE indicator SET periodicity = 'MONTHLY'",
        // Other checks.
        "UPDATE project SET end_date = '2024-12-31'",
        "UPDATE project SET budget_amount = -1",
        "UPDATE project SET budget_currency = NULL",
        "UPDATE project SET budget_amount = NULL",
        "UPDATE project SET budget_currency = 'EU'",
        "UPDATE event SET ends_on = '2026-03-07'",
        "UPDATE event SET participants_female = -1",
        "UPDATE event SET participants_male = -1",
        "UPDATE event SET participants_undisclosed = -1",
        "UPDATE resource_centre SET shelter_capacity = -1",
        "UPDATE centre_report SET revision = 0",
        "UPDATE centre_report_line SET female = -1",
        "UPDATE centre_report_line SET male = -1",
        "UPDATE referral_case SET version = 0",
        "UPDATE case_code_counter SET last_value = -1",
        "UPDATE persisted_query SET hash = upper(hash)",
        "UPDATE persisted_query SET hash = substr(hash, 1, 63)",
        "UPDATE indicator SET baseline_date = NULL",
        "UPDATE indicator SET baseline_value = NULL",
        "UPDATE indicator_period SET period_end = '2025-12-31'",
        "UPDATE indicator_period SET revision = -1",
        "UPDATE indicator_period_revision SET revision = 0",
    ] {
        rejected(sql, db.execute_unprepared(sql).await);
    }
    // Nullable codes may be null, and a budget may be absent altogether.
    for sql in [
        "UPDATE referral_case SET outcome = NULL",
        "UPDATE referral_transition SET from_status = NULL, reason = NULL",
        "UPDATE audit_entry SET actor_role = NULL",
        "UPDATE project SET budget_amount = NULL, budget_currency = NULL, end_date = NULL",
        "UPDATE resource_centre SET shelter_capacity = NULL",
        "UPDATE indicator SET baseline_value = NULL, baseline_date = NULL",
        "UPDATE indicator_period SET target_value = NULL",
    ] {
        db.execute_unprepared(sql).await?;
    }

    // Unique keys.
    let report = centre_report::Entity::find_by_id(ids.report)
        .one(db)
        .await?
        .ok_or("report missing")?;
    rejected(
        "a second report for the same centre and month",
        centre_report::Model {
            id: Uuid::now_v7(),
            ..report
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await,
    );
    let project = project::Entity::find_by_id(ids.project)
        .one(db)
        .await?
        .ok_or("project missing")?;
    rejected(
        "a duplicate project code",
        project::Model {
            id: Uuid::now_v7(),
            ..project
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await,
    );
    let case = referral_case::Entity::find_by_id(ids.case)
        .one(db)
        .await?
        .ok_or("case missing")?;
    rejected(
        "a duplicate case code",
        referral_case::Model {
            id: Uuid::now_v7(),
            ..case
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await,
    );
    let session = session::Entity::find_by_id(ids.reporter_session)
        .one(db)
        .await?
        .ok_or("session missing")?;
    rejected(
        "a duplicate token hash",
        session::Model {
            id: Uuid::now_v7(),
            ..session
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await,
    );

    let period = indicator_period::Entity::find_by_id(ids.period)
        .one(db)
        .await?
        .ok_or("indicator period missing")?;
    rejected(
        "a second period of the same indicator with the same start",
        indicator_period::Model {
            id: Uuid::now_v7(),
            period_end: date(2026, 12, 31)?,
            ..period
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await,
    );
    rejected(
        "a second approval of the same period",
        indicator_period_approval::Model {
            period_id: ids.period,
            approved_at: at(14, 4)?,
            approved_by_id: None,
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await,
    );

    let persisted = persisted_query::Entity::find_by_id(PERSISTED_HASH)
        .one(db)
        .await?
        .ok_or("persisted query missing")?;
    rejected(
        "a second document under the same hash",
        persisted_query::Model {
            document: "{ me { id } }".to_owned(),
            ..persisted
        }
        .into_active_model()
        .reset_all()
        .insert(db)
        .await,
    );

    // Deletes: RESTRICT keeps history, CASCADE removes parts, SET NULL keeps reports.
    rejected(
        "deleting a project with events",
        project::Entity::delete_by_id(ids.project).exec(db).await,
    );
    rejected(
        "deleting an organisation in use",
        organisation::Entity::delete_by_id(ids.ngo).exec(db).await,
    );
    rejected(
        "deleting a centre with reports",
        resource_centre::Entity::delete_by_id(ids.centre)
            .exec(db)
            .await,
    );
    rejected(
        "deleting a case with transitions",
        referral_case::Entity::delete_by_id(ids.case).exec(db).await,
    );
    rejected(
        "deleting an account that created cases",
        account::Entity::delete_by_id(ids.partner).exec(db).await,
    );
    // An account nothing refers to (but an approval, which keeps) can go.
    account::Entity::delete_by_id(ids.staff).exec(db).await?;
    let approval = centre_report_approval::Entity::find_by_id(ids.report)
        .one(db)
        .await?
        .ok_or("deleting the approver must keep the approval")?;
    assert_eq!(approval.approved_by_id, None);
    let approval = indicator_period_approval::Entity::find_by_id(ids.period)
        .one(db)
        .await?
        .ok_or("deleting the approver must keep the result's approval")?;
    assert_eq!(approval.approved_by_id, None);

    account::Entity::delete_by_id(ids.reporter).exec(db).await?;
    assert!(
        session::Entity::find_by_id(ids.reporter_session)
            .one(db)
            .await?
            .is_none(),
        "deleting an account must delete its sessions"
    );
    assert!(
        recovery_code::Entity::find()
            .filter(recovery_code::Column::AccountId.eq(ids.reporter))
            .one(db)
            .await?
            .is_none(),
        "deleting an account must delete its recovery codes"
    );
    let report = centre_report::Entity::find_by_id(ids.report)
        .one(db)
        .await?
        .ok_or("deleting the submitter must keep the report")?;
    assert_eq!(report.submitted_by_id, None);
    let period = indicator_period::Entity::find_by_id(ids.period)
        .one(db)
        .await?
        .ok_or("deleting the reporter must keep the result")?;
    assert_eq!(period.reported_by_id, None);
    assert!(
        indicator_period_revision::Entity::find()
            .all(db)
            .await?
            .iter()
            .all(|revision| revision.reported_by_id.is_none()),
        "deleting the reporter must keep the earlier revisions"
    );

    centre_report::Entity::delete_by_id(ids.report)
        .exec(db)
        .await?;
    assert!(
        centre_report_line::Entity::find()
            .filter(centre_report_line::Column::ReportId.eq(ids.report))
            .all(db)
            .await?
            .is_empty(),
        "deleting a report must delete its lines"
    );
    assert!(
        centre_report_revision::Entity::find()
            .all(db)
            .await?
            .is_empty()
            && centre_report_revision_line::Entity::find()
                .all(db)
                .await?
                .is_empty()
            && centre_report_approval::Entity::find()
                .all(db)
                .await?
                .is_empty()
            && notification::Entity::find()
                .filter(notification::Column::ReportId.is_not_null())
                .all(db)
                .await?
                .is_empty(),
        "deleting a report must delete its revisions, approval and notifications"
    );
    // The project's children go with it once the events are gone.
    event::Entity::delete_many()
        .filter(event::Column::ProjectId.eq(ids.project))
        .exec(db)
        .await?;
    project::Entity::delete_by_id(ids.project).exec(db).await?;
    assert!(project_partner::Entity::find().all(db).await?.is_empty());
    assert!(
        project_thematic_area::Entity::find()
            .all(db)
            .await?
            .is_empty()
    );
    assert!(project_region::Entity::find().all(db).await?.is_empty());
    assert!(
        indicator::Entity::find().all(db).await?.is_empty()
            && indicator_period::Entity::find().all(db).await?.is_empty()
            && indicator_period_revision::Entity::find()
                .all(db)
                .await?
                .is_empty()
            && indicator_period_approval::Entity::find()
                .all(db)
                .await?
                .is_empty(),
        "deleting a project must delete its indicators, their periods, revisions and approvals"
    );

    // Update a single changed field through an active model, as the services do.
    let mut case = referral_case::Entity::find_by_id(ids.case)
        .one(db)
        .await?
        .ok_or("case missing")?
        .into_active_model();
    case.version = Set(4);
    let case = case.update(db).await?;
    assert_eq!(case.version, 4);
    Ok(())
}
