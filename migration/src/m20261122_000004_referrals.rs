//! Referral cases, their transitions and the per-year case number counter.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const CASE_KINDS: [&str; 4] = [
    "DOMESTIC_VIOLENCE",
    "TRAFFICKING_SEXUAL",
    "TRAFFICKING_LABOUR",
    "OTHER_GBV",
];
const CASE_STATUSES: [&str; 7] = [
    "DRAFT",
    "REFERRED",
    "ACCEPTED",
    "DECLINED",
    "IN_SERVICE",
    "CLOSED",
    "WITHDRAWN",
];
const RISK_LEVELS: [&str; 3] = ["LOW", "MEDIUM", "HIGH"];
const SEXES: [&str; 3] = ["FEMALE", "MALE", "UNDISCLOSED"];
const AGE_GROUPS: [&str; 6] = [
    "CHILD_0_11",
    "ADOLESCENT_12_17",
    "ADULT_18_24",
    "ADULT_25_59",
    "OLDER_60_PLUS",
    "UNKNOWN",
];
const REGIONS: [&str; 6] = ["DUSHANBE", "SUGHD", "KHATLON", "GBAO", "DRS", "NATIONWIDE"];
const CASE_OUTCOMES: [&str; 5] = [
    "SERVICES_PROVIDED",
    "REFERRED_ELSEWHERE",
    "SURVIVOR_DISENGAGED",
    "CONSENT_WITHDRAWN",
    "OTHER",
];
const DECLINE_REASONS: [&str; 5] = [
    "NO_CAPACITY",
    "OUTSIDE_AREA",
    "SERVICE_NOT_OFFERED",
    "CONFLICT_OF_INTEREST",
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
                    .table(CaseCodeCounter::Table)
                    .col(integer(CaseCodeCounter::Year).primary_key())
                    .col(integer(CaseCodeCounter::LastValue))
                    .check(Check::named(
                        "ck_case_code_counter_last_value",
                        Expr::col(CaseCodeCounter::LastValue).gte(0),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferralCase::Table)
                    .col(uuid(ReferralCase::Id).primary_key())
                    .col(string(ReferralCase::Code))
                    .col(string_len(ReferralCase::Kind, 32))
                    .col(string_len(ReferralCase::Status, 32))
                    .col(string_len(ReferralCase::Risk, 32))
                    .col(string_len(ReferralCase::SurvivorSex, 32))
                    .col(string_len(ReferralCase::SurvivorAgeGroup, 32))
                    .col(string_null(ReferralCase::SurvivorCitizenship))
                    .col(boolean(ReferralCase::SurvivorHasDisability))
                    .col(string_len(ReferralCase::Region, 32))
                    .col(string(ReferralCase::District))
                    .col(json_binary(ReferralCase::ServicesRequested))
                    .col(uuid(ReferralCase::ReferringOrganisationId))
                    .col(uuid_null(ReferralCase::ReceivingOrganisationId))
                    .col(uuid_null(ReferralCase::ReceivingCentreId))
                    .col(boolean(ReferralCase::ConsentGiven))
                    .col(text_null(ReferralCase::ConsentScope))
                    .col(timestamp_with_time_zone_null(
                        ReferralCase::ConsentRecordedAt,
                    ))
                    .col(uuid_null(ReferralCase::ConsentRecordedById))
                    .col(timestamp_with_time_zone_null(ReferralCase::ReferredAt))
                    .col(timestamp_with_time_zone_null(ReferralCase::ResponseDueAt))
                    .col(timestamp_with_time_zone_null(ReferralCase::FirstResponseAt))
                    .col(timestamp_with_time_zone_null(ReferralCase::ClosedAt))
                    .col(string_len_null(ReferralCase::Outcome, 32))
                    .col(blob_null(ReferralCase::SurvivorName))
                    .col(blob_null(ReferralCase::ContactPhone))
                    .col(blob_null(ReferralCase::Address))
                    .col(blob_null(ReferralCase::Notes))
                    .col(timestamp_with_time_zone_null(ReferralCase::ErasedAt))
                    .col(uuid(ReferralCase::CreatedById))
                    .col(integer(ReferralCase::Version))
                    .col(timestamp_with_time_zone(ReferralCase::CreatedAt))
                    .col(timestamp_with_time_zone(ReferralCase::UpdatedAt))
                    .index(
                        Index::create()
                            .name("uq_referral_case_code")
                            .unique()
                            .col(ReferralCase::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_case_referring_organisation_id")
                            .from(ReferralCase::Table, ReferralCase::ReferringOrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_case_receiving_organisation_id")
                            .from(ReferralCase::Table, ReferralCase::ReceivingOrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_case_receiving_centre_id")
                            .from(ReferralCase::Table, ReferralCase::ReceivingCentreId)
                            .to(ResourceCentre::Table, ResourceCentre::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_case_consent_recorded_by_id")
                            .from(ReferralCase::Table, ReferralCase::ConsentRecordedById)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_case_created_by_id")
                            .from(ReferralCase::Table, ReferralCase::CreatedById)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .check(Check::named(
                        "ck_referral_case_kind",
                        Expr::col(ReferralCase::Kind).is_in(CASE_KINDS),
                    ))
                    .check(Check::named(
                        "ck_referral_case_status",
                        Expr::col(ReferralCase::Status).is_in(CASE_STATUSES),
                    ))
                    .check(Check::named(
                        "ck_referral_case_risk",
                        Expr::col(ReferralCase::Risk).is_in(RISK_LEVELS),
                    ))
                    .check(Check::named(
                        "ck_referral_case_survivor_sex",
                        Expr::col(ReferralCase::SurvivorSex).is_in(SEXES),
                    ))
                    .check(Check::named(
                        "ck_referral_case_survivor_age_group",
                        Expr::col(ReferralCase::SurvivorAgeGroup).is_in(AGE_GROUPS),
                    ))
                    .check(Check::named(
                        "ck_referral_case_region",
                        Expr::col(ReferralCase::Region).is_in(REGIONS),
                    ))
                    .check(Check::named(
                        "ck_referral_case_outcome",
                        Expr::col(ReferralCase::Outcome)
                            .is_null()
                            .or(Expr::col(ReferralCase::Outcome).is_in(CASE_OUTCOMES)),
                    ))
                    .check(Check::named(
                        "ck_referral_case_version",
                        Expr::col(ReferralCase::Version).gte(1),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_referral_case_referring_organisation_id_created_at_id",
            ReferralCase::Table,
            [
                ReferralCase::ReferringOrganisationId,
                ReferralCase::CreatedAt,
                ReferralCase::Id,
            ],
        )
        .await?;
        create_index(
            manager,
            "idx_referral_case_receiving_organisation_id_created_at_id",
            ReferralCase::Table,
            [
                ReferralCase::ReceivingOrganisationId,
                ReferralCase::CreatedAt,
                ReferralCase::Id,
            ],
        )
        .await?;
        create_index(
            manager,
            "idx_referral_case_status",
            ReferralCase::Table,
            [ReferralCase::Status],
        )
        .await?;
        create_index(
            manager,
            "idx_referral_case_response_due_at",
            ReferralCase::Table,
            [ReferralCase::ResponseDueAt],
        )
        .await?;
        create_index(
            manager,
            "idx_referral_case_receiving_centre_id",
            ReferralCase::Table,
            [ReferralCase::ReceivingCentreId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferralTransition::Table)
                    .col(uuid(ReferralTransition::Id).primary_key())
                    .col(uuid(ReferralTransition::CaseId))
                    .col(string_len_null(ReferralTransition::FromStatus, 32))
                    .col(string_len(ReferralTransition::ToStatus, 32))
                    .col(uuid(ReferralTransition::ActorAccountId))
                    .col(uuid_null(ReferralTransition::ActorOrganisationId))
                    .col(uuid_null(ReferralTransition::ReceivingOrganisationId))
                    .col(string_len_null(ReferralTransition::Reason, 32))
                    .col(text_null(ReferralTransition::Comment))
                    .col(timestamp_with_time_zone(ReferralTransition::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_transition_case_id")
                            .from(ReferralTransition::Table, ReferralTransition::CaseId)
                            .to(ReferralCase::Table, ReferralCase::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_transition_actor_account_id")
                            .from(
                                ReferralTransition::Table,
                                ReferralTransition::ActorAccountId,
                            )
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_transition_actor_organisation_id")
                            .from(
                                ReferralTransition::Table,
                                ReferralTransition::ActorOrganisationId,
                            )
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_transition_receiving_organisation_id")
                            .from(
                                ReferralTransition::Table,
                                ReferralTransition::ReceivingOrganisationId,
                            )
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .check(Check::named(
                        "ck_referral_transition_from_status",
                        Expr::col(ReferralTransition::FromStatus)
                            .is_null()
                            .or(Expr::col(ReferralTransition::FromStatus).is_in(CASE_STATUSES)),
                    ))
                    .check(Check::named(
                        "ck_referral_transition_to_status",
                        Expr::col(ReferralTransition::ToStatus).is_in(CASE_STATUSES),
                    ))
                    .check(Check::named(
                        "ck_referral_transition_reason",
                        Expr::col(ReferralTransition::Reason)
                            .is_null()
                            .or(Expr::col(ReferralTransition::Reason).is_in(DECLINE_REASONS)),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_referral_transition_case_id_at",
            ReferralTransition::Table,
            [ReferralTransition::CaseId, ReferralTransition::At],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReferralTransition::Table.into_iden(),
            ReferralCase::Table.into_iden(),
            CaseCodeCounter::Table.into_iden(),
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
}

#[derive(DeriveIden)]
enum CaseCodeCounter {
    Table,
    Year,
    LastValue,
}

#[derive(DeriveIden)]
enum ReferralCase {
    Table,
    Id,
    Code,
    Kind,
    Status,
    Risk,
    SurvivorSex,
    SurvivorAgeGroup,
    SurvivorCitizenship,
    SurvivorHasDisability,
    Region,
    District,
    ServicesRequested,
    ReferringOrganisationId,
    ReceivingOrganisationId,
    ReceivingCentreId,
    ConsentGiven,
    ConsentScope,
    ConsentRecordedAt,
    ConsentRecordedById,
    ReferredAt,
    ResponseDueAt,
    FirstResponseAt,
    ClosedAt,
    Outcome,
    SurvivorName,
    ContactPhone,
    Address,
    Notes,
    ErasedAt,
    CreatedById,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReferralTransition {
    Table,
    Id,
    CaseId,
    FromStatus,
    ToStatus,
    ActorAccountId,
    ActorOrganisationId,
    ReceivingOrganisationId,
    Reason,
    Comment,
    At,
}
