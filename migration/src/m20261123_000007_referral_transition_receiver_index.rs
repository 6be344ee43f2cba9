//! An index on the organisations that received a case before an onward referral: a partner's
//! case list looks up "cases we received" by organisation, and without it that lookup read every
//! transition of every case.

use sea_orm_migration::prelude::*;

use crate::common::create_index;

const NAME: &str = "idx_referral_transition_receiving_organisation_id_case_id";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(
            manager,
            NAME,
            ReferralTransition::Table,
            [
                ReferralTransition::ReceivingOrganisationId,
                ReferralTransition::CaseId,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(ReferralTransition::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ReferralTransition {
    Table,
    ReceivingOrganisationId,
    CaseId,
}
