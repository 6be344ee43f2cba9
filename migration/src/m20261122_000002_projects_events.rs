//! Projects with their partners, thematic areas and regions, and events.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const PROJECT_STATUSES: [&str; 4] = ["PLANNED", "ACTIVE", "COMPLETED", "SUSPENDED"];
const VISIBILITIES: [&str; 2] = ["PUBLIC", "INTERNAL"];
const PARTNER_ROLES: [&str; 4] = ["FUNDING", "ACCOUNTABLE", "IMPLEMENTING", "COUNTERPART"];
const THEMATIC_AREAS: [&str; 16] = [
    "ARMS_CONTROL",
    "BORDER_MANAGEMENT",
    "COUNTERING_TERRORISM",
    "POLICING",
    "ECONOMIC_ACTIVITIES",
    "ENVIRONMENTAL_ACTIVITIES",
    "DISASTER_RISK_REDUCTION",
    "WATER_AND_ENERGY",
    "GOOD_GOVERNANCE",
    "HUMAN_RIGHTS",
    "MEDIA_FREEDOM",
    "RULE_OF_LAW",
    "COMBATING_TRAFFICKING",
    "GENDER_EQUALITY",
    "DOMESTIC_VIOLENCE",
    "YOUTH",
];
const REGIONS: [&str; 6] = ["DUSHANBE", "SUGHD", "KHATLON", "GBAO", "DRS", "NATIONWIDE"];
const EVENT_KINDS: [&str; 9] = [
    "TRAINING",
    "WORKSHOP",
    "ROUNDTABLE",
    "CONFERENCE",
    "FORUM",
    "STUDY_VISIT",
    "AWARENESS_CAMPAIGN",
    "MEETING",
    "OTHER",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Project::Table)
                    .col(uuid(Project::Id).primary_key())
                    .col(string(Project::Code))
                    .col(json_binary(Project::Title))
                    .col(json_binary(Project::Summary))
                    .col(string_len(Project::Status, 32))
                    .col(date(Project::StartDate))
                    .col(date_null(Project::EndDate))
                    .col(big_integer_null(Project::BudgetAmount))
                    .col(string_len_null(Project::BudgetCurrency, 3))
                    .col(string_len(Project::Visibility, 32))
                    .col(text(Project::SearchText))
                    .col(timestamp_with_time_zone(Project::CreatedAt))
                    .col(timestamp_with_time_zone(Project::UpdatedAt))
                    .index(
                        Index::create()
                            .name("uq_project_code")
                            .unique()
                            .col(Project::Code),
                    )
                    .check(Check::named(
                        "ck_project_status",
                        Expr::col(Project::Status).is_in(PROJECT_STATUSES),
                    ))
                    .check(Check::named(
                        "ck_project_visibility",
                        Expr::col(Project::Visibility).is_in(VISIBILITIES),
                    ))
                    .check(Check::named(
                        "ck_project_dates",
                        Expr::col(Project::EndDate)
                            .is_null()
                            .or(Expr::col(Project::EndDate).gte(Expr::col(Project::StartDate))),
                    ))
                    .check(Check::named(
                        "ck_project_budget_amount",
                        Expr::col(Project::BudgetAmount)
                            .is_null()
                            .or(Expr::col(Project::BudgetAmount).gte(0)),
                    ))
                    .check(Check::named(
                        "ck_project_budget_pair",
                        Expr::col(Project::BudgetAmount)
                            .is_null()
                            .and(Expr::col(Project::BudgetCurrency).is_null())
                            .or(Expr::col(Project::BudgetAmount)
                                .is_not_null()
                                .and(Expr::col(Project::BudgetCurrency).is_not_null())),
                    ))
                    .check(Check::named(
                        "ck_project_budget_currency",
                        Expr::col(Project::BudgetCurrency)
                            .is_null()
                            .or(Func::cust("length")
                                .arg(Expr::col(Project::BudgetCurrency))
                                .eq(3)),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_project_start_date_id",
            Project::Table,
            [Project::StartDate, Project::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_project_status",
            Project::Table,
            [Project::Status],
        )
        .await?;
        create_index(
            manager,
            "idx_project_visibility",
            Project::Table,
            [Project::Visibility],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProjectPartner::Table)
                    .col(uuid(ProjectPartner::ProjectId))
                    .col(uuid(ProjectPartner::OrganisationId))
                    .col(string_len(ProjectPartner::Role, 32))
                    .primary_key(
                        Index::create()
                            .col(ProjectPartner::ProjectId)
                            .col(ProjectPartner::OrganisationId)
                            .col(ProjectPartner::Role),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_partner_project_id")
                            .from(ProjectPartner::Table, ProjectPartner::ProjectId)
                            .to(Project::Table, Project::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_partner_organisation_id")
                            .from(ProjectPartner::Table, ProjectPartner::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .check(Check::named(
                        "ck_project_partner_role",
                        Expr::col(ProjectPartner::Role).is_in(PARTNER_ROLES),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_project_partner_organisation_id_project_id",
            ProjectPartner::Table,
            [ProjectPartner::OrganisationId, ProjectPartner::ProjectId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProjectThematicArea::Table)
                    .col(uuid(ProjectThematicArea::ProjectId))
                    .col(string_len(ProjectThematicArea::ThematicArea, 32))
                    .primary_key(
                        Index::create()
                            .col(ProjectThematicArea::ProjectId)
                            .col(ProjectThematicArea::ThematicArea),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_thematic_area_project_id")
                            .from(ProjectThematicArea::Table, ProjectThematicArea::ProjectId)
                            .to(Project::Table, Project::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_project_thematic_area_thematic_area",
                        Expr::col(ProjectThematicArea::ThematicArea).is_in(THEMATIC_AREAS),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_project_thematic_area_thematic_area_project_id",
            ProjectThematicArea::Table,
            [
                ProjectThematicArea::ThematicArea,
                ProjectThematicArea::ProjectId,
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProjectRegion::Table)
                    .col(uuid(ProjectRegion::ProjectId))
                    .col(string_len(ProjectRegion::Region, 32))
                    .primary_key(
                        Index::create()
                            .col(ProjectRegion::ProjectId)
                            .col(ProjectRegion::Region),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_region_project_id")
                            .from(ProjectRegion::Table, ProjectRegion::ProjectId)
                            .to(Project::Table, Project::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_project_region_region",
                        Expr::col(ProjectRegion::Region).is_in(REGIONS),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_project_region_region_project_id",
            ProjectRegion::Table,
            [ProjectRegion::Region, ProjectRegion::ProjectId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(uuid(Event::Id).primary_key())
                    .col(uuid_null(Event::ProjectId))
                    .col(json_binary(Event::Title))
                    .col(string_len(Event::Kind, 32))
                    .col(date(Event::StartsOn))
                    .col(date(Event::EndsOn))
                    .col(string_len(Event::Region, 32))
                    .col(string(Event::District))
                    .col(string_null(Event::Venue))
                    .col(uuid(Event::OrganiserId))
                    .col(integer(Event::ParticipantsFemale))
                    .col(integer(Event::ParticipantsMale))
                    .col(integer(Event::ParticipantsUndisclosed))
                    .col(json_binary(Event::Summary))
                    .col(boolean(Event::Published))
                    .col(text(Event::SearchText))
                    .col(timestamp_with_time_zone(Event::CreatedAt))
                    .col(timestamp_with_time_zone(Event::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_project_id")
                            .from(Event::Table, Event::ProjectId)
                            .to(Project::Table, Project::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_organiser_id")
                            .from(Event::Table, Event::OrganiserId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .check(Check::named(
                        "ck_event_kind",
                        Expr::col(Event::Kind).is_in(EVENT_KINDS),
                    ))
                    .check(Check::named(
                        "ck_event_region",
                        Expr::col(Event::Region).is_in(REGIONS),
                    ))
                    .check(Check::named(
                        "ck_event_dates",
                        Expr::col(Event::EndsOn).gte(Expr::col(Event::StartsOn)),
                    ))
                    .check(Check::named(
                        "ck_event_participants",
                        Expr::col(Event::ParticipantsFemale)
                            .gte(0)
                            .and(Expr::col(Event::ParticipantsMale).gte(0))
                            .and(Expr::col(Event::ParticipantsUndisclosed).gte(0)),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_event_starts_on_id",
            Event::Table,
            [Event::StartsOn, Event::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_event_project_id_starts_on_id",
            Event::Table,
            [Event::ProjectId, Event::StartsOn, Event::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_event_organiser_id",
            Event::Table,
            [Event::OrganiserId],
        )
        .await?;
        create_index(
            manager,
            "idx_event_kind_starts_on",
            Event::Table,
            [Event::Kind, Event::StartsOn],
        )
        .await?;
        create_index(
            manager,
            "idx_event_region_starts_on",
            Event::Table,
            [Event::Region, Event::StartsOn],
        )
        .await?;
        create_index(
            manager,
            "idx_event_published_starts_on",
            Event::Table,
            [Event::Published, Event::StartsOn],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Event::Table.into_iden(),
            ProjectRegion::Table.into_iden(),
            ProjectThematicArea::Table.into_iden(),
            ProjectPartner::Table.into_iden(),
            Project::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Project {
    Table,
    Id,
    Code,
    Title,
    Summary,
    Status,
    StartDate,
    EndDate,
    BudgetAmount,
    BudgetCurrency,
    Visibility,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProjectPartner {
    Table,
    ProjectId,
    OrganisationId,
    Role,
}

#[derive(DeriveIden)]
enum ProjectThematicArea {
    Table,
    ProjectId,
    ThematicArea,
}

#[derive(DeriveIden)]
enum ProjectRegion {
    Table,
    ProjectId,
    Region,
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    ProjectId,
    Title,
    Kind,
    StartsOn,
    EndsOn,
    Region,
    District,
    Venue,
    OrganiserId,
    ParticipantsFemale,
    ParticipantsMale,
    ParticipantsUndisclosed,
    Summary,
    Published,
    SearchText,
    CreatedAt,
    UpdatedAt,
}
