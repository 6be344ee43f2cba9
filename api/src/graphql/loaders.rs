//! Per-request DataLoaders: nested fields of a page of rows are loaded in one statement per
//! relation, whatever the page size. A loader is built for each request with that request's
//! actor, so every batch applies the same policy as the top-level query and nothing is cached
//! across requests (or across principals).

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{enums, event};
use uuid::Uuid;

use crate::{
    auth::Actor,
    services::{
        Services,
        centres::Centre,
        organisations::Organisation,
        pagination::{Page, PageArgs},
        projects::{Project, ProjectPartner},
        reports::{Report, Revision},
        results::{PeriodView, ProjectProgress},
    },
};

/// The request's loaders.
pub type Loaders = DataLoader<PortalLoader>;

/// Builds the loaders of one request.
pub fn for_request(services: Services, actor: Actor) -> Loaders {
    // The loader waits this long for the keys of a batch to come in. All sibling resolvers
    // enqueue their keys in one pass, well within it; the default 1 ms was seen to split a
    // batch in two on a loaded 2-core machine.
    DataLoader::new(PortalLoader { services, actor }, tokio::spawn)
        .delay(std::time::Duration::from_millis(2))
}

/// Loads everything nested fields need, as the request's actor.
pub struct PortalLoader {
    services: Services,
    actor: Actor,
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

fn unique<K: Copy + Eq + std::hash::Hash>(keys: impl IntoIterator<Item = K>) -> Vec<K> {
    let mut seen = std::collections::HashSet::new();
    keys.into_iter().filter(|key| seen.insert(*key)).collect()
}

/// An organisation by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrganisationKey(pub Uuid);

impl Loader<OrganisationKey> for PortalLoader {
    type Value = Organisation;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[OrganisationKey]) -> LoadResult<OrganisationKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self
            .services
            .organisations()
            .by_ids(&self.actor, &ids)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (OrganisationKey(row.id), row))
            .collect())
    }
}

/// How many unused recovery codes an account has (absent where the actor may not know it or
/// two-factor authentication is off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecoveryCodesLeftKey(pub Uuid);

impl Loader<RecoveryCodesLeftKey> for PortalLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RecoveryCodesLeftKey],
    ) -> LoadResult<RecoveryCodesLeftKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let left = self
            .services
            .auth()
            .recovery_codes_left(&self.actor, &ids)
            .await?;
        Ok(left
            .into_iter()
            .map(|(id, left)| (RecoveryCodesLeftKey(id), left))
            .collect())
    }
}

/// A project by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProjectKey(pub Uuid);

impl Loader<ProjectKey> for PortalLoader {
    type Value = Project;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ProjectKey]) -> LoadResult<ProjectKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self.services.projects().by_ids(&self.actor, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| (ProjectKey(row.id), row))
            .collect())
    }
}

/// A referral case by id, as the actor may see it (absent when it may not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CaseKey(pub Uuid);

impl Loader<CaseKey> for PortalLoader {
    type Value = entity::referral_case::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CaseKey]) -> LoadResult<CaseKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self.services.cases().by_ids(&self.actor, &ids).await?;
        Ok(rows.into_iter().map(|row| (CaseKey(row.id), row)).collect())
    }
}

/// Who works a case for an organisation party to it (see `cases::assignee_side`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AssigneeKey {
    pub case_id: Uuid,
    pub organisation_id: Uuid,
}

impl Loader<AssigneeKey> for PortalLoader {
    type Value = entity::account::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AssigneeKey]) -> LoadResult<AssigneeKey, Self::Value> {
        // One organisation per request in practice (the reader's own); grouped all the same.
        let mut by_organisation: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for key in unique(keys.iter().copied()) {
            by_organisation
                .entry(key.organisation_id)
                .or_default()
                .push(key.case_id);
        }
        let mut found = HashMap::new();
        for (organisation_id, case_ids) in by_organisation {
            let assignees = self
                .services
                .cases()
                .assignees(organisation_id, &case_ids)
                .await?;
            found.extend(assignees.into_iter().map(|(case_id, account)| {
                (
                    AssigneeKey {
                        case_id,
                        organisation_id,
                    },
                    account,
                )
            }));
        }
        Ok(found)
    }
}

/// The history of a referral case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CaseHistoryKey(pub Uuid);

impl Loader<CaseHistoryKey> for PortalLoader {
    type Value = Vec<entity::referral_transition::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CaseHistoryKey]) -> LoadResult<CaseHistoryKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<CaseHistoryKey, Self::Value> = HashMap::new();
        for row in self.services.cases().histories(&self.actor, &ids).await? {
            grouped
                .entry(CaseHistoryKey(row.case_id))
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}

/// A resource centre by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CentreKey(pub Uuid);

impl Loader<CentreKey> for PortalLoader {
    type Value = Centre;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CentreKey]) -> LoadResult<CentreKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self.services.centres().by_ids(&self.actor, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| (CentreKey(row.id), row))
            .collect())
    }
}

/// The partners of a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartnersKey(pub Uuid);

impl Loader<PartnersKey> for PortalLoader {
    type Value = Vec<ProjectPartner>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PartnersKey]) -> LoadResult<PartnersKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<PartnersKey, Self::Value> = HashMap::new();
        for partner in self
            .services
            .projects()
            .partners_of(&self.actor, &ids)
            .await?
        {
            grouped
                .entry(PartnersKey(partner.project_id))
                .or_default()
                .push(partner);
        }
        Ok(grouped)
    }
}

/// The thematic areas of a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ThematicAreasKey(pub Uuid);

impl Loader<ThematicAreasKey> for PortalLoader {
    type Value = Vec<enums::ThematicArea>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ThematicAreasKey]) -> LoadResult<ThematicAreasKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<ThematicAreasKey, Self::Value> = HashMap::new();
        for row in self
            .services
            .projects()
            .thematic_areas_of(&self.actor, &ids)
            .await?
        {
            grouped
                .entry(ThematicAreasKey(row.project_id))
                .or_default()
                .push(row.thematic_area);
        }
        Ok(grouped)
    }
}

/// The regions of a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionsKey(pub Uuid);

impl Loader<RegionsKey> for PortalLoader {
    type Value = Vec<enums::Region>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RegionsKey]) -> LoadResult<RegionsKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<RegionsKey, Self::Value> = HashMap::new();
        for row in self
            .services
            .projects()
            .regions_of(&self.actor, &ids)
            .await?
        {
            grouped
                .entry(RegionsKey(row.project_id))
                .or_default()
                .push(row.region);
        }
        Ok(grouped)
    }
}

/// The services of a centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CentreServicesKey(pub Uuid);

impl Loader<CentreServicesKey> for PortalLoader {
    type Value = Vec<enums::CentreService>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CentreServicesKey]) -> LoadResult<CentreServicesKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<CentreServicesKey, Self::Value> = HashMap::new();
        for row in self
            .services
            .centres()
            .services_of(&self.actor, &ids)
            .await?
        {
            grouped
                .entry(CentreServicesKey(row.centre_id))
                .or_default()
                .push(row.service);
        }
        Ok(grouped)
    }
}

/// A page of a project's events. Keys with the same page arguments are loaded together.
///
/// The page comes shared (`Arc`): a loader hands each caller a clone of its value, and a deep
/// clone of 20 events per project (every title, summary and district) showed in the profile of
/// the nested projects request. Its one caller takes the page back with `Arc::unwrap_or_clone`,
/// which clones nothing once the loader has let go of its copy, as it has by the time a caller
/// on the same thread runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProjectEventsKey {
    pub project_id: Uuid,
    pub page: PageArgs,
}

impl Loader<ProjectEventsKey> for PortalLoader {
    type Value = Arc<Page<event::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ProjectEventsKey]) -> LoadResult<ProjectEventsKey, Self::Value> {
        let mut by_page: HashMap<&PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page.entry(&key.page).or_default().push(key.project_id);
        }
        let mut loaded = HashMap::new();
        for (page, project_ids) in by_page {
            let pages = self
                .services
                .events()
                .page_per_project(
                    &self.actor,
                    &unique(project_ids),
                    page,
                    crate::services::events::EventTexts::ALL,
                )
                .await?;
            for (project_id, events) in pages {
                let key = ProjectEventsKey {
                    project_id,
                    page: page.clone(),
                };
                loaded.insert(key, Arc::new(events));
            }
        }
        Ok(loaded)
    }
}

/// The number of a project's events the actor may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProjectEventCountKey(pub Uuid);

impl Loader<ProjectEventCountKey> for PortalLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ProjectEventCountKey],
    ) -> LoadResult<ProjectEventCountKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let counts = self
            .services
            .events()
            .count_per_project(&self.actor, &ids)
            .await?;
        Ok(counts
            .into_iter()
            .map(|(project_id, count)| (ProjectEventCountKey(project_id), count))
            .collect())
    }
}

/// A centre report by id, as the actor may read it (absent when it may not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReportKey(pub Uuid);

impl Loader<ReportKey> for PortalLoader {
    type Value = Report;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ReportKey]) -> LoadResult<ReportKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self.services.reports().by_ids(&self.actor, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| (ReportKey(row.report.id), row))
            .collect())
    }
}

/// The approval of a centre report (absent while it awaits approval).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReportApprovalKey(pub Uuid);

impl Loader<ReportApprovalKey> for PortalLoader {
    type Value = entity::centre_report_approval::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ReportApprovalKey]) -> LoadResult<ReportApprovalKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self
            .services
            .reports()
            .approvals_of(&self.actor, &ids)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (ReportApprovalKey(row.report_id), row))
            .collect())
    }
}

/// The earlier revisions of a centre report, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReportRevisionsKey(pub Uuid);

impl Loader<ReportRevisionsKey> for PortalLoader {
    type Value = Vec<Revision>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ReportRevisionsKey],
    ) -> LoadResult<ReportRevisionsKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<ReportRevisionsKey, Self::Value> = HashMap::new();
        for revision in self
            .services
            .reports()
            .revisions_of(&self.actor, &ids)
            .await?
        {
            grouped
                .entry(ReportRevisionsKey(revision.revision.report_id))
                .or_default()
                .push(revision);
        }
        Ok(grouped)
    }
}

/// The indicators of a project, in the order they were defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProjectIndicatorsKey(pub Uuid);

impl Loader<ProjectIndicatorsKey> for PortalLoader {
    type Value = Vec<entity::indicator::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ProjectIndicatorsKey],
    ) -> LoadResult<ProjectIndicatorsKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<ProjectIndicatorsKey, Self::Value> = HashMap::new();
        for row in self
            .services
            .results()
            .indicators_of(&self.actor, &ids)
            .await?
        {
            grouped
                .entry(ProjectIndicatorsKey(row.project_id))
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}

/// The periods of an indicator, oldest first, with their progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IndicatorPeriodsKey(pub Uuid);

impl Loader<IndicatorPeriodsKey> for PortalLoader {
    type Value = Vec<PeriodView>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[IndicatorPeriodsKey],
    ) -> LoadResult<IndicatorPeriodsKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let mut grouped: HashMap<IndicatorPeriodsKey, Self::Value> = HashMap::new();
        for row in self
            .services
            .results()
            .periods_of(&self.actor, &ids)
            .await?
        {
            grouped
                .entry(IndicatorPeriodsKey(row.indicator_id))
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}

/// The earlier revisions of a period's result, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeriodRevisionsKey(pub Uuid);

impl Loader<PeriodRevisionsKey> for PortalLoader {
    type Value = Vec<entity::indicator_period_revision::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PeriodRevisionsKey],
    ) -> LoadResult<PeriodRevisionsKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let revisions = self
            .services
            .results()
            .revisions_of(&self.actor, &ids)
            .await?;
        Ok(crate::services::results::by_period(revisions)
            .into_iter()
            .map(|(id, rows)| (PeriodRevisionsKey(id), rows))
            .collect())
    }
}

/// The progress of a project's indicators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProjectProgressKey(pub Uuid);

impl Loader<ProjectProgressKey> for PortalLoader {
    type Value = ProjectProgress;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ProjectProgressKey],
    ) -> LoadResult<ProjectProgressKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self
            .services
            .results()
            .progress_of_projects(&self.actor, &ids)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (ProjectProgressKey(row.project_id), row))
            .collect())
    }
}

/// An indicator period by id, as the actor may read it (absent when it may not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IndicatorPeriodKey(pub Uuid);

impl Loader<IndicatorPeriodKey> for PortalLoader {
    type Value = PeriodView;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[IndicatorPeriodKey],
    ) -> LoadResult<IndicatorPeriodKey, Self::Value> {
        let ids: Vec<Uuid> = unique(keys.iter().map(|key| key.0));
        let rows = self
            .services
            .results()
            .periods_by_ids(&self.actor, &ids)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (IndicatorPeriodKey(row.id), row))
            .collect())
    }
}
