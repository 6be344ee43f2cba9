//! Resource centres, the services they offer and their monthly reports.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const CENTRE_KINDS: [&str; 6] = [
    "WOMENS_RESOURCE_CENTRE",
    "SHELTER",
    "AARHUS_CENTRE",
    "POLICE_GENDER_UNIT",
    "LEGAL_AID",
    "OTHER",
];
const REGIONS: [&str; 6] = ["DUSHANBE", "SUGHD", "KHATLON", "GBAO", "DRS", "NATIONWIDE"];
const CENTRE_SERVICES: [&str; 7] = [
    "LEGAL_CONSULTATION",
    "PSYCHOSOCIAL_COUNSELLING",
    "CRISIS_SUPPORT",
    "SHELTER",
    "MEDICAL_REFERRAL",
    "ECONOMIC_EMPOWERMENT",
    "AWARENESS_RAISING",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResourceCentre::Table)
                    .col(uuid(ResourceCentre::Id).primary_key())
                    .col(json_binary(ResourceCentre::Name))
                    .col(string_len(ResourceCentre::Kind, 32))
                    .col(uuid(ResourceCentre::OperatorId))
                    .col(string_len(ResourceCentre::Region, 32))
                    .col(string(ResourceCentre::District))
                    .col(json_binary(ResourceCentre::Address))
                    .col(string_null(ResourceCentre::Phone))
                    .col(json_binary(ResourceCentre::OpeningHours))
                    .col(json_binary(ResourceCentre::Languages))
                    .col(integer_null(ResourceCentre::ShelterCapacity))
                    .col(boolean(ResourceCentre::AcceptingReferrals))
                    .col(timestamp_with_time_zone_null(
                        ResourceCentre::LastVerifiedAt,
                    ))
                    .col(boolean(ResourceCentre::Active))
                    .col(string(ResourceCentre::SortName))
                    .col(text(ResourceCentre::SearchText))
                    .col(timestamp_with_time_zone(ResourceCentre::CreatedAt))
                    .col(timestamp_with_time_zone(ResourceCentre::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_resource_centre_operator_id")
                            .from(ResourceCentre::Table, ResourceCentre::OperatorId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .check(Check::named(
                        "ck_resource_centre_kind",
                        Expr::col(ResourceCentre::Kind).is_in(CENTRE_KINDS),
                    ))
                    .check(Check::named(
                        "ck_resource_centre_region",
                        Expr::col(ResourceCentre::Region).is_in(REGIONS),
                    ))
                    .check(Check::named(
                        "ck_resource_centre_shelter_capacity",
                        Expr::col(ResourceCentre::ShelterCapacity)
                            .is_null()
                            .or(Expr::col(ResourceCentre::ShelterCapacity).gte(0)),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_resource_centre_sort_name_id",
            ResourceCentre::Table,
            [ResourceCentre::SortName, ResourceCentre::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_resource_centre_district_id",
            ResourceCentre::Table,
            [ResourceCentre::District, ResourceCentre::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_resource_centre_operator_id",
            ResourceCentre::Table,
            [ResourceCentre::OperatorId],
        )
        .await?;
        create_index(
            manager,
            "idx_resource_centre_region",
            ResourceCentre::Table,
            [ResourceCentre::Region],
        )
        .await?;
        create_index(
            manager,
            "idx_resource_centre_kind",
            ResourceCentre::Table,
            [ResourceCentre::Kind],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CentreService::Table)
                    .col(uuid(CentreService::CentreId))
                    .col(string_len(CentreService::Service, 32))
                    .primary_key(
                        Index::create()
                            .col(CentreService::CentreId)
                            .col(CentreService::Service),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_service_centre_id")
                            .from(CentreService::Table, CentreService::CentreId)
                            .to(ResourceCentre::Table, ResourceCentre::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_centre_service_service",
                        Expr::col(CentreService::Service).is_in(CENTRE_SERVICES),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_centre_service_service_centre_id",
            CentreService::Table,
            [CentreService::Service, CentreService::CentreId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CentreReport::Table)
                    .col(uuid(CentreReport::Id).primary_key())
                    .col(uuid(CentreReport::CentreId))
                    .col(date(CentreReport::Month))
                    .col(integer(CentreReport::Revision))
                    .col(uuid_null(CentreReport::SubmittedById))
                    .col(timestamp_with_time_zone(CentreReport::SubmittedAt))
                    .index(
                        Index::create()
                            .name("uq_centre_report_centre_id_month")
                            .unique()
                            .col(CentreReport::CentreId)
                            .col(CentreReport::Month),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_centre_id")
                            .from(CentreReport::Table, CentreReport::CentreId)
                            .to(ResourceCentre::Table, ResourceCentre::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_submitted_by_id")
                            .from(CentreReport::Table, CentreReport::SubmittedById)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .check(Check::named(
                        "ck_centre_report_revision",
                        Expr::col(CentreReport::Revision).gte(1),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_centre_report_month",
            CentreReport::Table,
            [CentreReport::Month],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CentreReportLine::Table)
                    .col(uuid(CentreReportLine::ReportId))
                    .col(string_len(CentreReportLine::Service, 32))
                    .col(integer(CentreReportLine::Female))
                    .col(integer(CentreReportLine::Male))
                    .primary_key(
                        Index::create()
                            .col(CentreReportLine::ReportId)
                            .col(CentreReportLine::Service),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_report_line_report_id")
                            .from(CentreReportLine::Table, CentreReportLine::ReportId)
                            .to(CentreReport::Table, CentreReport::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Check::named(
                        "ck_centre_report_line_service",
                        Expr::col(CentreReportLine::Service).is_in(CENTRE_SERVICES),
                    ))
                    .check(Check::named(
                        "ck_centre_report_line_counts",
                        Expr::col(CentreReportLine::Female)
                            .gte(0)
                            .and(Expr::col(CentreReportLine::Male).gte(0)),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CentreReportLine::Table.into_iden(),
            CentreReport::Table.into_iden(),
            CentreService::Table.into_iden(),
            ResourceCentre::Table.into_iden(),
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
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ResourceCentre {
    Table,
    Id,
    Name,
    Kind,
    OperatorId,
    Region,
    District,
    Address,
    Phone,
    OpeningHours,
    Languages,
    ShelterCapacity,
    AcceptingReferrals,
    LastVerifiedAt,
    Active,
    SortName,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CentreService {
    Table,
    CentreId,
    Service,
}

#[derive(DeriveIden)]
enum CentreReport {
    Table,
    Id,
    CentreId,
    Month,
    Revision,
    SubmittedById,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum CentreReportLine {
    Table,
    ReportId,
    Service,
    Female,
    Male,
}
