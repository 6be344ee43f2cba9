//! Projects: reading, listing and filtering, with their partners, areas and regions; and their
//! management by the Programme Office.

use chrono::{NaiveDate, Utc};
use entity::{
    Localized,
    enums::{PartnerRole, ProjectStatus, Region, ThematicArea, Visibility},
    event, organisation, project, project_partner, project_region, project_thematic_area,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, SqlErr, sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    fields::{only, readable},
    input::{Problems, Stored, unique},
    organisations::Organisation,
    pagination::{DateRange, KeyKind, KeysetOrder, Page, PageArgs, search_condition},
    rows::OneOrNotFound,
    text,
    values::ProjectCode,
};
use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    policy,
};

/// Filters of the project list; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub search: Option<String>,
    pub thematic_area: Option<ThematicArea>,
    pub status: Option<ProjectStatus>,
    pub region: Option<Region>,
    /// Projects running at some time in the range.
    pub active_during: DateRange,
    pub partner_id: Option<Uuid>,
    pub visibility: Option<Visibility>,
}

/// Orderings of the project list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProjectOrder {
    #[default]
    StartDateDesc,
    StartDateAsc,
    CodeAsc,
}

impl ProjectOrder {
    fn keyset(self) -> KeysetOrder<project::Entity> {
        let by_start = |name, descending| KeysetOrder {
            name,
            column: project::Column::StartDate,
            kind: KeyKind::Date,
            descending,
            nullable: false,
            id_column: project::Column::Id,
            key_of: |row: &project::Model| Some(row.start_date.to_string()),
            id_of: |row: &project::Model| row.id,
        };
        match self {
            Self::StartDateDesc => by_start("START_DATE_DESC", true),
            Self::StartDateAsc => by_start("START_DATE_ASC", false),
            Self::CodeAsc => KeysetOrder {
                name: "CODE_ASC",
                column: project::Column::Code,
                kind: KeyKind::Text,
                descending: false,
                nullable: false,
                id_column: project::Column::Id,
                key_of: |row| Some(row.code.clone()),
                id_of: |row| row.id,
            },
        }
    }
}

/// A project as one actor may read it: `internals` is `None` where the policy
/// ([`policy::project_internals`]) keeps them from the actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub id: Uuid,
    pub code: String,
    pub title: Localized,
    pub summary: Localized,
    pub status: ProjectStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub visibility: Visibility,
    pub internals: Option<ProjectInternals>,
}

/// What the Programme Office and a project's partners read of it beyond the public record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectInternals {
    /// The budget, when one is recorded.
    pub budget: Option<Budget>,
}

/// A partner organisation of a project, with its role.
#[derive(Clone, Debug)]
pub struct ProjectPartner {
    pub project_id: Uuid,
    pub role: PartnerRole,
    pub organisation: Organisation,
}

/// Project rules.
pub struct Projects<'a> {
    pub(super) db: &'a crate::db::Db,
}

impl Projects<'_> {
    /// The projects `rows` as `actor` may read them.
    async fn views(&self, actor: &Actor, rows: Vec<project::Model>) -> ApiResult<Vec<Project>> {
        let internals = readable::<project::Entity>(
            self.db,
            &policy::project_internals(actor),
            project::Column::Id,
            rows.iter().map(|row| row.id),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Project {
                internals: internals.contains(&row.id).then(|| ProjectInternals {
                    budget: row.budget_amount.zip(row.budget_currency).map(
                        |(amount_minor, currency)| Budget {
                            amount_minor,
                            currency,
                        },
                    ),
                }),
                id: row.id,
                code: row.code,
                title: row.title,
                summary: row.summary,
                status: row.status,
                start_date: row.start_date,
                end_date: row.end_date,
                visibility: row.visibility,
            })
            .collect())
    }

    async fn view(&self, actor: &Actor, row: project::Model) -> ApiResult<Project> {
        only(self.views(actor, vec![row]).await?)
    }

    async fn row(&self, actor: &Actor, id: Uuid) -> ApiResult<project::Model> {
        project::Entity::find_by_id(id)
            .filter(policy::visible_projects(actor))
            .one_or_not_found(self.db, "Project")
            .await
    }

    /// One project the actor may see, as it may read it.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<Project> {
        let row = self.row(actor, id).await?;
        self.view(actor, row).await
    }

    /// The projects among `ids` that the actor may see (for DataLoaders), as it may read them.
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<Vec<Project>> {
        let rows = project::Entity::find()
            .filter(project::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_projects(actor))
            .all(self.db)
            .await?;
        self.views(actor, rows).await
    }

    /// A page of the projects the actor may see, as it may read them. Search (code, title,
    /// summary), filters and orderings are on fields every reader of the project reads; the
    /// budget is neither searched, filtered nor sorted by.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for invalid filters or cursors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &ProjectFilter,
        order: ProjectOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<Project>> {
        let mut select = project::Entity::find().filter(policy::visible_projects(actor));
        if let Some(search) = search_condition(
            project::Column::SearchText.into_expr(),
            filter.search.as_deref(),
            "filter.search",
        )? {
            select = select.filter(search);
        }
        if let Some(area) = filter.thematic_area {
            select = select.filter(
                project::Column::Id.in_subquery(
                    Query::select()
                        .column(project_thematic_area::Column::ProjectId)
                        .from(project_thematic_area::Entity)
                        .and_where(project_thematic_area::Column::ThematicArea.eq(area))
                        .to_owned(),
                ),
            );
        }
        if let Some(region) = filter.region {
            select = select.filter(
                project::Column::Id.in_subquery(
                    Query::select()
                        .column(project_region::Column::ProjectId)
                        .from(project_region::Entity)
                        .and_where(project_region::Column::Region.eq(region))
                        .to_owned(),
                ),
            );
        }
        if let Some(partner_id) = filter.partner_id {
            select = select.filter(
                project::Column::Id.in_subquery(
                    Query::select()
                        .column(project_partner::Column::ProjectId)
                        .from(project_partner::Entity)
                        .and_where(project_partner::Column::OrganisationId.eq(partner_id))
                        .to_owned(),
                ),
            );
        }
        if let Some(status) = filter.status {
            select = select.filter(project::Column::Status.eq(status));
        }
        if let Some(visibility) = filter.visibility {
            select = select.filter(project::Column::Visibility.eq(visibility));
        }
        if let Some(during) = filter
            .active_during
            .overlaps(project::Column::StartDate, project::Column::EndDate)
        {
            select = select.filter(during);
        }
        let (page, rows) = order
            .keyset()
            .fetch(self.db, select, page)
            .await?
            .take_rows();
        Ok(page.with_rows(self.views(actor, rows).await?))
    }

    /// The partners of the visible projects among `project_ids`, with their organisations, in
    /// one statement.
    ///
    /// # Errors
    /// Database errors.
    pub async fn partners_of(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<ProjectPartner>> {
        let rows = project_partner::Entity::find()
            .find_also_related(organisation::Entity)
            .filter(project_partner::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(policy::in_visible_project(
                actor,
                (project_partner::Entity, project_partner::Column::ProjectId),
            ))
            .filter(policy::visible_organisations(actor))
            .order_by_asc(project_partner::Column::Role)
            .order_by_asc(organisation::Column::SortName)
            .all(self.db)
            .await?;
        let (partners, organisations): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .filter_map(|(partner, organisation)| organisation.map(|row| (partner, row)))
            .unzip();
        let organisations = super::organisations::views(self.db, actor, organisations).await?;
        Ok(partners
            .into_iter()
            .zip(organisations)
            .map(|(partner, organisation)| ProjectPartner {
                project_id: partner.project_id,
                role: partner.role,
                organisation,
            })
            .collect())
    }

    /// The thematic areas of the visible projects among `project_ids`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn thematic_areas_of(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<project_thematic_area::Model>> {
        Ok(project_thematic_area::Entity::find()
            .filter(project_thematic_area::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(policy::in_visible_project(
                actor,
                (
                    project_thematic_area::Entity,
                    project_thematic_area::Column::ProjectId,
                ),
            ))
            .order_by_asc(project_thematic_area::Column::ThematicArea)
            .all(self.db)
            .await?)
    }

    /// The regions of the visible projects among `project_ids`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn regions_of(
        &self,
        actor: &Actor,
        project_ids: &[Uuid],
    ) -> ApiResult<Vec<project_region::Model>> {
        Ok(project_region::Entity::find()
            .filter(project_region::Column::ProjectId.is_in(project_ids.iter().copied()))
            .filter(policy::in_visible_project(
                actor,
                (project_region::Entity, project_region::Column::ProjectId),
            ))
            .order_by_asc(project_region::Column::Region)
            .all(self.db)
            .await?)
    }
}

/// A project's fields as given by an editor: on creation all of them, on change the ones to
/// change (merged over the stored project before validation).
#[derive(Clone, Debug, Default)]
pub struct ProjectInput {
    pub code: Option<String>,
    pub title: Option<Localized>,
    pub summary: Option<Localized>,
    pub thematic_areas: Option<Vec<ThematicArea>>,
    pub status: Option<ProjectStatus>,
    pub start_date: Option<NaiveDate>,
    /// `Some(None)` removes the end date.
    pub end_date: Option<Option<NaiveDate>>,
    /// `Some(None)` removes the budget.
    pub budget: Option<Option<Budget>>,
    pub regions: Option<Vec<Region>>,
    pub visibility: Option<Visibility>,
}

/// An amount in minor units of an ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub amount_minor: i64,
    pub currency: String,
}

/// A project's thematic areas and regions, each once, as they are written with it.
#[derive(Default)]
struct Tags {
    thematic_areas: Vec<ThematicArea>,
    regions: Vec<Region>,
}

const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 5_000;

/// Merges `input` over the stored project (and its `stored_tags`; none on creation) and checks
/// the result, reporting every invalid field at once: the complete row to write, and its tags.
fn validate(
    input: ProjectInput,
    stored: Stored<'_, project::Model>,
    stored_tags: Tags,
) -> ApiResult<(project::Model, Tags)> {
    let mut problems = Problems::new();
    let code = problems
        .required(
            "code",
            stored.or(input.code, |project| project.code.clone()),
        )
        .and_then(|code| problems.parse("input.code", ProjectCode::parse(&code)));
    let title = problems.required_translations(
        "title",
        stored.or(input.title, |project| project.title.clone()),
        MAX_TITLE,
    );
    let summary = stored
        .or(input.summary, |project| project.summary.clone())
        .map(|summary| problems.optional_translations("input.summary", &summary, MAX_SUMMARY))
        .unwrap_or_default();
    let thematic_areas = unique(input.thematic_areas.unwrap_or(stored_tags.thematic_areas));
    problems.not_empty(
        "input.thematicAreas",
        &thematic_areas,
        "Choose at least one thematic area.",
    );
    let regions = unique(input.regions.unwrap_or(stored_tags.regions));
    problems.not_empty(
        "input.regions",
        &regions,
        "Choose at least one region (or NATIONWIDE).",
    );
    let start_date = problems.required(
        "startDate",
        stored.or(input.start_date, |project| project.start_date),
    );
    let end_date = stored.or_cleared(input.end_date, |project| project.end_date);
    problems.dates_in_order("input.endDate", "project", start_date, end_date);
    let budget = stored
        .or_cleared(input.budget, |project| {
            project
                .budget_amount
                .zip(project.budget_currency.clone())
                .map(|(amount_minor, currency)| Budget {
                    amount_minor,
                    currency,
                })
        })
        .map(|budget| Budget {
            amount_minor: budget.amount_minor,
            currency: budget.currency.trim().to_uppercase(),
        });
    if let Some(budget) = &budget {
        problems.check(
            budget.amount_minor >= 0,
            "input.budget.amountMinor",
            "A budget is not negative.",
        );
        problems.check(
            budget.currency.len() == 3 && budget.currency.chars().all(|c| c.is_ascii_uppercase()),
            "input.budget.currency",
            format!(
                "`{}` is not an ISO 4217 currency code such as EUR.",
                budget.currency
            ),
        );
    }
    let status = problems.required("status", stored.or(input.status, |project| project.status));
    let visibility = problems.required(
        "visibility",
        stored.or(input.visibility, |project| project.visibility),
    );
    let tags = Tags {
        thematic_areas,
        regions,
    };
    problems.finish_with(|| {
        let code = code?;
        let now = Utc::now();
        let row = project::Model {
            id: stored.row().map_or_else(Uuid::now_v7, |project| project.id),
            search_text: text::search_text(
                std::iter::once(code.as_str())
                    .chain(title.present())
                    .chain(summary.present()),
            ),
            code: code.into(),
            title,
            summary,
            status: status?,
            start_date: start_date?,
            end_date,
            budget_amount: budget.as_ref().map(|budget| budget.amount_minor),
            budget_currency: budget.map(|budget| budget.currency),
            visibility: visibility?,
            created_at: stored.row().map_or(now, |project| project.created_at),
            updated_at: now,
        };
        Some((row, tags))
    })
}

fn duplicate_code(error: &sea_orm::DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn code_taken(code: &str) -> ApiError {
    ApiError::Conflict(format!("The project code {code} is in use already."))
}

impl Projects<'_> {
    fn require_manager(caller: &Caller) -> ApiResult<()> {
        caller.actor.signed_in()?;
        if policy::can_manage_projects(&caller.actor) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Creates a project. Programme Office staff and admins only.
    ///
    /// # Errors
    /// `FORBIDDEN`; `BAD_USER_INPUT` naming each invalid field; `CONFLICT` for a code in use.
    pub async fn create(&self, caller: &Caller, input: ProjectInput) -> ApiResult<Project> {
        Self::require_manager(caller)?;
        let (row, tags) = validate(input, Stored::new(None), Tags::default())?;
        let code = row.code.clone();
        let txn = self.db.begin().await?;
        let project = match row.into_active_model().insert(&txn).await {
            Ok(project) => project,
            Err(error) if duplicate_code(&error) => return Err(code_taken(&code)),
            Err(error) => return Err(error.into()),
        };
        replace_tags(&txn, project.id, &tags.thematic_areas, &tags.regions).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("project.create", "project", project.id),
        )
        .await?;
        txn.commit().await?;
        self.view(&caller.actor, project).await
    }

    /// Changes the given fields of a project. Programme Office staff and admins only.
    ///
    /// # Errors
    /// As [`Projects::create`]; `NOT_FOUND` for an unknown project.
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        input: ProjectInput,
    ) -> ApiResult<Project> {
        Self::require_manager(caller)?;
        let existing = self.row(&caller.actor, id).await?;
        let stored_tags = Tags {
            thematic_areas: self
                .thematic_areas_of(&caller.actor, &[id])
                .await?
                .into_iter()
                .map(|row| row.thematic_area)
                .collect(),
            regions: self
                .regions_of(&caller.actor, &[id])
                .await?
                .into_iter()
                .map(|row| row.region)
                .collect(),
        };
        let changed = changed_fields(&input);
        let (row, tags) = validate(input, Stored::new(Some(&existing)), stored_tags)?;
        let code = row.code.clone();
        let txn = self.db.begin().await?;
        let mut update = row.into_active_model().reset_all();
        update.id = sea_orm::ActiveValue::Unchanged(existing.id);
        update.created_at = sea_orm::ActiveValue::Unchanged(existing.created_at);
        let project = match update.update(&txn).await {
            Ok(project) => project,
            Err(error) if duplicate_code(&error) => return Err(code_taken(&code)),
            Err(error) => return Err(error.into()),
        };
        replace_tags(&txn, project.id, &tags.thematic_areas, &tags.regions).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("project.update", "project", project.id)
                .with_detail(json!({ "changed": changed })),
        )
        .await?;
        txn.commit().await?;
        self.view(&caller.actor, project).await
    }

    /// Deletes a project with its partners, areas and regions. A project with recorded events
    /// is kept: its events would be lost or orphaned.
    ///
    /// # Errors
    /// `FORBIDDEN`; `NOT_FOUND`; `CONFLICT` while it has events.
    pub async fn delete(&self, caller: &Caller, id: Uuid) -> ApiResult<Uuid> {
        Self::require_manager(caller)?;
        let existing = self.row(&caller.actor, id).await?;
        let txn = self.db.begin().await?;
        let events = event::Entity::find()
            .filter(event::Column::ProjectId.eq(id))
            .count(&txn)
            .await?;
        if events > 0 {
            return Err(ApiError::Conflict(format!(
                "Project {} has {events} recorded events; delete them or move them to another project first.",
                existing.code
            )));
        }
        project::Entity::delete_by_id(id).exec(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("project.delete", "project", id)
                .with_detail(json!({ "code": existing.code })),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Replaces a project's partner organisations and their roles.
    ///
    /// # Errors
    /// `FORBIDDEN`; `NOT_FOUND`; `BAD_USER_INPUT` naming `partners` for an unknown or inactive
    /// organisation or a repeated pair.
    pub async fn set_partners(
        &self,
        caller: &Caller,
        id: Uuid,
        partners: Vec<(Uuid, PartnerRole)>,
    ) -> ApiResult<Project> {
        Self::require_manager(caller)?;
        let project = self.row(&caller.actor, id).await?;
        let mut pairs = partners.clone();
        pairs.sort();
        pairs.dedup();
        if pairs.len() != partners.len() {
            return Err(ApiError::bad_input(
                "partners",
                "An organisation is listed twice with the same role.",
            ));
        }
        let organisation_ids = unique(
            pairs
                .iter()
                .map(|(organisation_id, _)| *organisation_id)
                .collect(),
        );
        let known = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(organisation_ids.iter().copied()))
            .filter(organisation::Column::Active.eq(true))
            .count(self.db)
            .await?;
        if known != organisation_ids.len() as u64 {
            return Err(ApiError::bad_input(
                "partners",
                "Every partner must be an active organisation.",
            ));
        }
        let txn = self.db.begin().await?;
        project_partner::Entity::delete_many()
            .filter(project_partner::Column::ProjectId.eq(id))
            .exec(&txn)
            .await?;
        if !pairs.is_empty() {
            project_partner::Entity::insert_many(pairs.iter().map(|(organisation_id, role)| {
                project_partner::Model {
                    project_id: id,
                    organisation_id: *organisation_id,
                    role: *role,
                }
                .into_active_model()
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        audit::record(
            &txn,
            caller,
            AuditRecord::success("project.set_partners", "project", id)
                .with_detail(json!({ "partners": pairs.len() })),
        )
        .await?;
        txn.commit().await?;
        self.view(&caller.actor, project).await
    }
}

/// The names of the fields an update touches, for the audit log.
fn changed_fields(input: &ProjectInput) -> Vec<&'static str> {
    [
        ("code", input.code.is_some()),
        ("title", input.title.is_some()),
        ("summary", input.summary.is_some()),
        ("thematicAreas", input.thematic_areas.is_some()),
        ("status", input.status.is_some()),
        ("startDate", input.start_date.is_some()),
        ("endDate", input.end_date.is_some()),
        ("budget", input.budget.is_some()),
        ("regions", input.regions.is_some()),
        ("visibility", input.visibility.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}

/// Replaces a project's thematic areas and regions.
async fn replace_tags(
    txn: &impl ConnectionTrait,
    project_id: Uuid,
    areas: &[ThematicArea],
    regions: &[Region],
) -> Result<(), sea_orm::DbErr> {
    project_thematic_area::Entity::delete_many()
        .filter(project_thematic_area::Column::ProjectId.eq(project_id))
        .exec(txn)
        .await?;
    project_region::Entity::delete_many()
        .filter(project_region::Column::ProjectId.eq(project_id))
        .exec(txn)
        .await?;
    project_thematic_area::Entity::insert_many(areas.iter().map(|area| {
        project_thematic_area::Model {
            project_id,
            thematic_area: *area,
        }
        .into_active_model()
    }))
    .exec_without_returning(txn)
    .await?;
    project_region::Entity::insert_many(regions.iter().map(|region| {
        project_region::Model {
            project_id,
            region: *region,
        }
        .into_active_model()
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn problems(result: ApiResult<(project::Model, Tags)>) -> Vec<(String, String)> {
        match result {
            Err(ApiError::BadUserInput(fields)) => fields
                .into_iter()
                .map(|field| (field.field, field.message))
                .collect(),
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn every_problem_is_named_in_the_order_of_the_fields() {
        let input = ProjectInput {
            code: Some("2026-ge-07".into()),
            title: Some(Localized {
                en: Some(" ".into()),
                ..Localized::default()
            }),
            thematic_areas: Some(Vec::new()),
            regions: Some(Vec::new()),
            start_date: Some(date("2026-06-01")),
            end_date: Some(Some(date("2026-01-01"))),
            budget: Some(Some(Budget {
                amount_minor: -500,
                currency: " euro ".into(),
            })),
            ..ProjectInput::default()
        };
        let expected = [
            (
                "input.code",
                "`2026-GE-07` is not a project code like PO-2025-GE-01.",
            ),
            (
                "input.title",
                "Give the text in at least one language (en, ru or tg).",
            ),
            ("input.thematicAreas", "Choose at least one thematic area."),
            (
                "input.regions",
                "Choose at least one region (or NATIONWIDE).",
            ),
            (
                "input.endDate",
                "The project cannot end (2026-01-01) before it starts (2026-06-01).",
            ),
            ("input.budget.amountMinor", "A budget is not negative."),
            (
                "input.budget.currency",
                "`EURO` is not an ISO 4217 currency code such as EUR.",
            ),
            ("input.status", "`status` is required."),
            ("input.visibility", "`visibility` is required."),
        ];
        assert_eq!(
            problems(validate(input, Stored::new(None), Tags::default())),
            expected
                .map(|(field, message)| (field.to_owned(), message.to_owned()))
                .to_vec()
        );
    }

    #[test]
    fn an_update_keeps_the_stored_fields_it_leaves_out() {
        let now = Utc::now();
        let stored = project::Model {
            id: Uuid::now_v7(),
            code: "PO-2025-GE-01".into(),
            title: Localized {
                en: Some("Women's Resource Centres".into()),
                ..Localized::default()
            },
            summary: Localized::default(),
            status: ProjectStatus::Active,
            start_date: date("2025-01-01"),
            end_date: Some(date("2025-12-31")),
            budget_amount: Some(1_250_000),
            budget_currency: Some("EUR".into()),
            visibility: Visibility::Public,
            search_text: String::new(),
            created_at: now,
            updated_at: now,
        };
        let tags = Tags {
            thematic_areas: vec![ThematicArea::GenderEquality],
            regions: vec![Region::Khatlon],
        };
        let input = ProjectInput {
            end_date: Some(None),
            regions: Some(vec![Region::Sughd, Region::Sughd]),
            ..ProjectInput::default()
        };
        let Ok((row, tags)) = validate(input, Stored::new(Some(&stored)), tags) else {
            panic!("refused");
        };
        assert_eq!(row.id, stored.id);
        assert_eq!(row.created_at, stored.created_at);
        assert_eq!(row.code, stored.code);
        assert_eq!(row.end_date, None);
        assert_eq!(row.budget_amount, Some(1_250_000));
        assert_eq!(row.budget_currency.as_deref(), Some("EUR"));
        assert_eq!(row.search_text, "po-2025-ge-01\nwomen's resource centres");
        assert_eq!(tags.thematic_areas, [ThematicArea::GenderEquality]);
        assert_eq!(tags.regions, [Region::Sughd]);
    }
}
