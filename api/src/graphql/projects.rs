//! Projects in the API, with their partners and events.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::{
    common::{
        DateRangeInput, PageRequest, PortalConnection, Translations, TranslationsInput, actor,
        caller, connection, page_args, parse_id, services, to_id, translated,
    },
    enums::{PartnerRole, ProjectStatus, Region, ThematicArea, Visibility},
    events::Event,
    loaders::{
        Loaders, PartnersKey, ProjectEventCountKey, ProjectEventsKey, ProjectIndicatorsKey,
        ProjectProgressKey, RegionsKey, ThematicAreasKey,
    },
    organisations::Organisation,
};
use crate::{
    error::ApiError,
    services::{
        pagination::Page,
        projects::{self, Budget, ProjectFilter, ProjectInput, ProjectOrder},
    },
};

/// A project of the Programme Office, as the service hands it to this reader (the internals
/// absent for those who may not read them).
pub struct Project(pub projects::Project);

/// An amount of money.
#[derive(SimpleObject)]
pub struct Money {
    /// The amount in minor units (cents), as a decimal string: budgets can exceed GraphQL's
    /// 32-bit `Int`.
    pub amount_minor: String,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// An organisation's part in a project.
pub struct ProjectPartner {
    role: entity::enums::PartnerRole,
    organisation: crate::services::organisations::Organisation,
}

#[Object]
impl ProjectPartner {
    /// IATI participating-organisation role.
    async fn role(&self) -> PartnerRole {
        self.role.into()
    }

    async fn organisation(&self) -> Organisation {
        Organisation(self.organisation.clone())
    }
}

#[Object]
impl Project {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// Unique code, for example `PO-2025-GE-01`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The title in the request's language, else in any language present.
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.title)?)
    }

    async fn title_translations(&self) -> Translations {
        (&self.0.title).into()
    }

    /// The summary in the request's language, else in any language present.
    async fn summary(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.summary)?)
    }

    async fn summary_translations(&self) -> Translations {
        (&self.0.summary).into()
    }

    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }

    async fn start_date(&self) -> NaiveDate {
        self.0.start_date
    }

    async fn end_date(&self) -> Option<NaiveDate> {
        self.0.end_date
    }

    /// The budget, when one is recorded. The Programme Office and the project's partner
    /// organisations only (`FORBIDDEN` for others).
    async fn budget(&self) -> Result<Option<Money>> {
        let internals = self.0.internals.as_ref().ok_or(ApiError::Forbidden)?;
        Ok(internals.budget.as_ref().map(|budget| Money {
            amount_minor: budget.amount_minor.to_string(),
            currency: budget.currency.clone(),
        }))
    }

    async fn visibility(&self) -> Visibility {
        self.0.visibility.into()
    }

    /// The office's fields of work this project belongs to.
    async fn thematic_areas(&self, ctx: &Context<'_>) -> Result<Vec<ThematicArea>> {
        let areas = ctx
            .data::<Loaders>()?
            .load_one(ThematicAreasKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(areas.into_iter().map(Into::into).collect())
    }

    /// Where the project works.
    async fn regions(&self, ctx: &Context<'_>) -> Result<Vec<Region>> {
        let regions = ctx
            .data::<Loaders>()?
            .load_one(RegionsKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(regions.into_iter().map(Into::into).collect())
    }

    /// What the project set out to change: its indicators, in the order they were defined.
    async fn indicators(&self, ctx: &Context<'_>) -> Result<Vec<super::results::Indicator>> {
        Ok(ctx
            .data::<Loaders>()?
            .load_one(ProjectIndicatorsKey(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(super::results::Indicator)
            .collect())
    }

    /// How far it got: how many of its indicators are on track, from the results the reader
    /// may read (the public: approved results).
    async fn results(&self, ctx: &Context<'_>) -> Result<super::results::ResultsSummary> {
        Ok(ctx
            .data::<Loaders>()?
            .load_one(ProjectProgressKey(self.0.id))
            .await?
            .into())
    }

    /// The organisations taking part, by role.
    async fn partners(&self, ctx: &Context<'_>) -> Result<Vec<ProjectPartner>> {
        let partners = ctx
            .data::<Loaders>()?
            .load_one(PartnersKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(partners
            .into_iter()
            .map(|partner| ProjectPartner {
                role: partner.role,
                organisation: partner.organisation,
            })
            .collect())
    }

    /// The project's events you may see, newest first.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start, 1 to 100; 20 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor: the `endCursor` of the page before.")]
        after: Option<String>,
        #[graphql(desc = "Page size from the end, 1 to 100 (paging backward); not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor: the `startCursor` of the page after.")]
        before: Option<String>,
    ) -> Result<PortalConnection<Event>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let loaders = ctx.data::<Loaders>()?;
        let page_key = ProjectEventsKey {
            project_id: self.0.id,
            page: args.clone(),
        };
        let (page, total) = futures_util::try_join!(loaders.load_one(page_key), async {
            if args.with_total {
                loaders.load_one(ProjectEventCountKey(self.0.id)).await
            } else {
                Ok(None)
            }
        })?;
        let mut page = page.map_or_else(Page::empty, std::sync::Arc::unwrap_or_clone);
        page.total_count = total;
        Ok(connection(page, Event))
    }
}

/// Filters of `projects`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct ProjectFilterInput {
    /// Matches code, title and summary in any language, ignoring case.
    pub search: Option<String>,
    pub thematic_area: Option<ThematicArea>,
    pub status: Option<ProjectStatus>,
    pub region: Option<Region>,
    /// Projects running at some time within the range.
    pub active_during: Option<DateRangeInput>,
    /// Projects this organisation takes part in.
    pub partner_id: Option<ID>,
    pub visibility: Option<Visibility>,
}

/// Orderings of `projects`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectOrderBy {
    /// Latest start first.
    #[default]
    StartDateDesc,
    StartDateAsc,
    CodeAsc,
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// One project. `NOT_FOUND` when it does not exist or you may not see it.
    async fn project(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Project>> {
        let id = parse_id(&id, "id")?;
        Ok(Some(Project(
            services(ctx)?.projects().get(actor(ctx)?, id).await?,
        )))
    }

    /// Projects you may see: the public sees `PUBLIC` projects.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "each parameter is an argument of the field: Relay's four, the filter and the order"
    )]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start, 1 to 100; 20 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor: the `endCursor` of the page before.")]
        after: Option<String>,
        #[graphql(desc = "Page size from the end, 1 to 100 (paging backward); not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor: the `startCursor` of the page after.")]
        before: Option<String>,
        filter: Option<ProjectFilterInput>,
        order_by: Option<ProjectOrderBy>,
    ) -> Result<PortalConnection<Project>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let page = services(ctx)?
            .projects()
            .list(
                actor(ctx)?,
                &project_filter(filter)?,
                project_order(order_by),
                &args,
            )
            .await?;
        Ok(connection(page, Project))
    }
}

/// The service's filter of the `filter` argument of `projects`.
///
/// # Errors
/// `BAD_USER_INPUT` for a date range that ends before it starts or an invalid partner id.
pub(super) fn project_filter(
    filter: Option<ProjectFilterInput>,
) -> Result<ProjectFilter, ApiError> {
    let input = filter.unwrap_or_default();
    Ok(ProjectFilter {
        search: input.search,
        thematic_area: input.thematic_area.map(Into::into),
        status: input.status.map(Into::into),
        region: input.region.map(Into::into),
        active_during: DateRangeInput::validate(input.active_during, "filter.activeDuring")?,
        partner_id: input
            .partner_id
            .map(|id| parse_id(&id, "filter.partnerId"))
            .transpose()?,
        visibility: input.visibility.map(Into::into),
    })
}

/// The service's order of the `orderBy` argument of `projects`.
pub(super) fn project_order(order_by: Option<ProjectOrderBy>) -> ProjectOrder {
    match order_by.unwrap_or_default() {
        ProjectOrderBy::StartDateDesc => ProjectOrder::StartDateDesc,
        ProjectOrderBy::StartDateAsc => ProjectOrder::StartDateAsc,
        ProjectOrderBy::CodeAsc => ProjectOrder::CodeAsc,
    }
}

/// An amount of money, for input.
#[derive(InputObject)]
pub struct MoneyInput {
    /// The amount in minor units (cents), as a decimal string.
    pub amount_minor: String,
    /// ISO 4217 currency code, for example `EUR`.
    pub currency: String,
}

fn budget(input: MoneyInput) -> Result<Budget, ApiError> {
    let amount_minor = input.amount_minor.trim().parse::<i64>().map_err(|_| {
        ApiError::bad_input(
            "input.budget.amountMinor",
            "Give the amount in cents as a whole number, for example \"1250000\".",
        )
    })?;
    Ok(Budget {
        amount_minor,
        currency: input.currency,
    })
}

/// A new project.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// Unique code like `PO-2025-GE-01`.
    pub code: String,
    pub title: TranslationsInput,
    pub summary: Option<TranslationsInput>,
    pub thematic_areas: Vec<ThematicArea>,
    #[graphql(default_with = "ProjectStatus::Planned")]
    pub status: ProjectStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub budget: Option<MoneyInput>,
    pub regions: Vec<Region>,
    /// Who may read it; `INTERNAL` until decided otherwise.
    #[graphql(default_with = "Visibility::Internal")]
    pub visibility: Visibility,
}

/// Changes to a project; absent fields stay as they are.
#[derive(InputObject, Default)]
pub struct UpdateProjectInput {
    pub code: Option<String>,
    pub title: Option<TranslationsInput>,
    pub summary: Option<TranslationsInput>,
    pub thematic_areas: Option<Vec<ThematicArea>>,
    pub status: Option<ProjectStatus>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Removes the end date.
    #[graphql(default)]
    pub clear_end_date: bool,
    pub budget: Option<MoneyInput>,
    /// Removes the budget.
    #[graphql(default)]
    pub clear_budget: bool,
    pub regions: Option<Vec<Region>>,
    pub visibility: Option<Visibility>,
}

/// An organisation's part in a project, for input.
#[derive(InputObject)]
pub struct ProjectPartnerInput {
    pub organisation_id: ID,
    pub role: PartnerRole,
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    /// Creates a project. Programme Office staff and admins only.
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> Result<Project> {
        let input = ProjectInput {
            code: Some(input.code),
            title: Some(input.title.into()),
            summary: input.summary.map(Into::into),
            thematic_areas: Some(input.thematic_areas.into_iter().map(Into::into).collect()),
            status: Some(input.status.into()),
            start_date: Some(input.start_date),
            end_date: Some(input.end_date),
            budget: Some(input.budget.map(budget).transpose()?),
            regions: Some(input.regions.into_iter().map(Into::into).collect()),
            visibility: Some(input.visibility.into()),
        };
        Ok(Project(
            services(ctx)?
                .projects()
                .create(caller(ctx)?, input)
                .await?,
        ))
    }

    /// Changes a project. Programme Office staff and admins only.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProjectInput,
    ) -> Result<Project> {
        let id = parse_id(&id, "id")?;
        let end_date = if input.clear_end_date {
            Some(None)
        } else {
            input.end_date.map(Some)
        };
        let budget = if input.clear_budget {
            Some(None)
        } else {
            input.budget.map(budget).transpose()?.map(Some)
        };
        let input = ProjectInput {
            code: input.code,
            title: input.title.map(Into::into),
            summary: input.summary.map(Into::into),
            thematic_areas: input
                .thematic_areas
                .map(|areas| areas.into_iter().map(Into::into).collect()),
            status: input.status.map(Into::into),
            start_date: input.start_date,
            end_date,
            budget,
            regions: input
                .regions
                .map(|regions| regions.into_iter().map(Into::into).collect()),
            visibility: input.visibility.map(Into::into),
        };
        Ok(Project(
            services(ctx)?
                .projects()
                .update(caller(ctx)?, id, input)
                .await?,
        ))
    }

    /// Deletes a project that has no events; returns its id. Programme Office staff and admins
    /// only.
    async fn delete_project(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let id = parse_id(&id, "id")?;
        let deleted = services(ctx)?.projects().delete(caller(ctx)?, id).await?;
        Ok(to_id(deleted))
    }

    /// Replaces a project's partner organisations. Programme Office staff and admins only.
    async fn set_project_partners(
        &self,
        ctx: &Context<'_>,
        id: ID,
        partners: Vec<ProjectPartnerInput>,
    ) -> Result<Project> {
        let id = parse_id(&id, "id")?;
        let partners = partners
            .into_iter()
            .enumerate()
            .map(|(index, partner)| {
                parse_id(
                    &partner.organisation_id,
                    &format!("partners.{index}.organisationId"),
                )
                .map(|organisation_id| (organisation_id, partner.role.into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Project(
            services(ctx)?
                .projects()
                .set_partners(caller(ctx)?, id, partners)
                .await?,
        ))
    }
}
