//! Organisations, sign-in accounts and refresh-token sessions.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::create_index;

const ORGANISATION_KINDS: [&str; 6] = [
    "NGO",
    "GOVERNMENT",
    "INTERNATIONAL",
    "ACADEMIC",
    "PRIVATE",
    "DONOR",
];
const PARTNER_ROLES: [&str; 2] = ["PARTNER", "PARTNER_MANAGER"];
const STAFF_ROLES: [&str; 2] = ["STAFF", "ADMIN"];
const LANGUAGES: [&str; 3] = ["en", "ru", "tg"];
const ACCOUNT_STATUSES: [&str; 2] = ["ACTIVE", "DISABLED"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(uuid(Organisation::Id).primary_key())
                    .col(json_binary(Organisation::Name))
                    .col(string_null(Organisation::Acronym))
                    .col(string_len(Organisation::Kind, 32))
                    .col(string_null(Organisation::ContactEmail))
                    .col(string_null(Organisation::ContactPhone))
                    .col(boolean(Organisation::Active))
                    .col(string(Organisation::SortName))
                    .col(text(Organisation::SearchText))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .col(timestamp_with_time_zone(Organisation::UpdatedAt))
                    .check(Check::named(
                        "ck_organisation_kind",
                        Expr::col(Organisation::Kind).is_in(ORGANISATION_KINDS),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_organisation_sort_name_id",
            Organisation::Table,
            [Organisation::SortName, Organisation::Id],
        )
        .await?;
        create_index(
            manager,
            "idx_organisation_kind",
            Organisation::Table,
            [Organisation::Kind],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(uuid(Account::Id).primary_key())
                    .col(string(Account::Email))
                    .col(string(Account::DisplayName))
                    .col(string_len(Account::Role, 32))
                    .col(uuid_null(Account::OrganisationId))
                    .col(string_len(Account::PreferredLanguage, 32))
                    .col(string_len(Account::Status, 32))
                    .col(text(Account::PasswordHash))
                    .col(integer(Account::FailedLoginCount))
                    .col(timestamp_with_time_zone_null(Account::LockedUntil))
                    .col(timestamp_with_time_zone_null(Account::LastLoginAt))
                    .col(boolean(Account::MustChangePassword))
                    .col(blob_null(Account::TotpSecret))
                    .col(timestamp_with_time_zone_null(Account::TotpEnabledAt))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .col(timestamp_with_time_zone(Account::UpdatedAt))
                    .index(
                        Index::create()
                            .name("uq_account_email")
                            .unique()
                            .col(Account::Email),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_organisation_id")
                            .from(Account::Table, Account::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .check(Check::named(
                        "ck_account_role",
                        Expr::col(Account::Role)
                            .is_in(PARTNER_ROLES.into_iter().chain(STAFF_ROLES)),
                    ))
                    .check(Check::named(
                        "ck_account_role_organisation",
                        Expr::col(Account::Role)
                            .is_in(PARTNER_ROLES)
                            .and(Expr::col(Account::OrganisationId).is_not_null())
                            .or(Expr::col(Account::Role)
                                .is_in(STAFF_ROLES)
                                .and(Expr::col(Account::OrganisationId).is_null())),
                    ))
                    .check(Check::named(
                        "ck_account_preferred_language",
                        Expr::col(Account::PreferredLanguage).is_in(LANGUAGES),
                    ))
                    .check(Check::named(
                        "ck_account_status",
                        Expr::col(Account::Status).is_in(ACCOUNT_STATUSES),
                    ))
                    .check(Check::named(
                        "ck_account_failed_login_count",
                        Expr::col(Account::FailedLoginCount).gte(0),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_account_organisation_id",
            Account::Table,
            [Account::OrganisationId],
        )
        .await?;
        create_index(manager, "idx_account_role", Account::Table, [Account::Role]).await?;

        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .col(uuid(Session::Id).primary_key())
                    .col(uuid(Session::AccountId))
                    .col(uuid(Session::FamilyId))
                    .col(blob(Session::TokenHash))
                    .col(timestamp_with_time_zone(Session::CreatedAt))
                    .col(timestamp_with_time_zone(Session::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Session::RevokedAt))
                    .col(uuid_null(Session::ReplacedById))
                    .index(
                        Index::create()
                            .name("uq_session_token_hash")
                            .unique()
                            .col(Session::TokenHash),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_account_id")
                            .from(Session::Table, Session::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_session_account_id",
            Session::Table,
            [Session::AccountId],
        )
        .await?;
        create_index(
            manager,
            "idx_session_family_id",
            Session::Table,
            [Session::FamilyId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Session::Table.into_iden(),
            Account::Table.into_iden(),
            Organisation::Table.into_iden(),
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
    Name,
    Acronym,
    Kind,
    ContactEmail,
    ContactPhone,
    Active,
    SortName,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Email,
    DisplayName,
    Role,
    OrganisationId,
    PreferredLanguage,
    Status,
    PasswordHash,
    FailedLoginCount,
    LockedUntil,
    LastLoginAt,
    MustChangePassword,
    TotpSecret,
    TotpEnabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    AccountId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    ReplacedById,
}
