//! Resource centres: the public directory and the centres' services; their management by the
//! Programme Office and the upkeep of their directory entries by the operating organisations.

use chrono::{Datelike, Utc};
use entity::{
    Localized, centre_service, centre_service_past,
    enums::{CentreKind, CentreService, Region},
    localized::CodeList,
    organisation, resource_centre,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
    sea_query::{OnConflict, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    fields::{only, readable},
    input::{Problems, Stored, unique},
    pagination::{KeyKind, KeysetOrder, Page, PageArgs, search_condition},
    rows::OneOrNotFound,
    text,
    values::{District, Phone},
};
use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    policy,
};

/// Filters of the centre list; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct CentreFilter {
    pub search: Option<String>,
    pub kind: Option<CentreKind>,
    /// Centres offering this service.
    pub service: Option<CentreService>,
    pub region: Option<Region>,
    pub district: Option<String>,
    pub accepting_referrals: Option<bool>,
    pub operator_id: Option<Uuid>,
}

/// Orderings of the centre list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CentreOrder {
    #[default]
    NameAsc,
    DistrictAsc,
}

impl CentreOrder {
    fn keyset(self) -> KeysetOrder<resource_centre::Entity> {
        match self {
            Self::NameAsc => KeysetOrder {
                name: "NAME_ASC",
                column: resource_centre::Column::SortName,
                kind: KeyKind::Text,
                descending: false,
                nullable: false,
                id_column: resource_centre::Column::Id,
                key_of: |row| Some(row.sort_name.clone()),
                id_of: |row| row.id,
            },
            Self::DistrictAsc => KeysetOrder {
                name: "DISTRICT_ASC",
                column: resource_centre::Column::District,
                kind: KeyKind::Text,
                descending: false,
                nullable: false,
                id_column: resource_centre::Column::Id,
                key_of: |row| Some(row.district.clone()),
                id_of: |row| row.id,
            },
        }
    }
}

/// A centre as one actor may read it. The restricted fields are `None` where the policy
/// ([`policy::centre_address`], [`policy::centre_administration`]) keeps them from the actor,
/// so whatever shows a centre (the API, an export) cannot show them by mistake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Centre {
    pub id: Uuid,
    pub name: Localized,
    pub kind: CentreKind,
    pub operator_id: Uuid,
    pub region: Region,
    pub district: String,
    pub phone: Option<String>,
    pub opening_hours: Localized,
    /// Languages spoken, as codes (`tg`, `ru`, `uz`, `en`, ...).
    pub languages: Vec<String>,
    pub shelter_capacity: Option<i32>,
    pub accepting_referrals: bool,
    pub last_verified_at: Option<chrono::DateTime<Utc>>,
    /// The street address; `None` when the actor may not read it (a shelter's, for the public).
    pub address: Option<Localized>,
    /// Whether the centre is active; `None` when the actor may not read it.
    pub active: Option<bool>,
}

impl Centre {
    fn redacted(row: resource_centre::Model, address: bool, administration: bool) -> Self {
        Self {
            id: row.id,
            name: row.name,
            kind: row.kind,
            operator_id: row.operator_id,
            region: row.region,
            district: row.district,
            phone: row.phone,
            opening_hours: row.opening_hours,
            languages: row.languages.0,
            shelter_capacity: row.shelter_capacity,
            accepting_referrals: row.accepting_referrals,
            last_verified_at: row.last_verified_at,
            address: address.then_some(row.address),
            active: administration.then_some(row.active),
        }
    }
}

/// Resource centre rules.
pub struct Centres<'a> {
    pub(super) db: &'a crate::db::Db,
}

impl Centres<'_> {
    /// The centres `rows` as `actor` may read them.
    async fn views(
        &self,
        actor: &Actor,
        rows: Vec<resource_centre::Model>,
    ) -> ApiResult<Vec<Centre>> {
        let ids = || rows.iter().map(|row| row.id);
        let id = resource_centre::Column::Id;
        let address =
            readable::<resource_centre::Entity>(self.db, &policy::centre_address(actor), id, ids())
                .await?;
        let administration = readable::<resource_centre::Entity>(
            self.db,
            &policy::centre_administration(actor),
            id,
            ids(),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let id = row.id;
                Centre::redacted(row, address.contains(&id), administration.contains(&id))
            })
            .collect())
    }

    async fn view(&self, actor: &Actor, row: resource_centre::Model) -> ApiResult<Centre> {
        only(self.views(actor, vec![row]).await?)
    }

    /// One centre's row, whole, for the rules of this module.
    async fn row(&self, actor: &Actor, id: Uuid) -> ApiResult<resource_centre::Model> {
        resource_centre::Entity::find_by_id(id)
            .filter(policy::visible_centres(actor))
            .one_or_not_found(self.db, "Resource centre")
            .await
    }

    /// One centre the actor may see, as it may read it.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<Centre> {
        let row = self.row(actor, id).await?;
        self.view(actor, row).await
    }

    /// The centres among `ids` that the actor may see (for DataLoaders), as it may read them.
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<Vec<Centre>> {
        let rows = resource_centre::Entity::find()
            .filter(resource_centre::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_centres(actor))
            .all(self.db)
            .await?;
        self.views(actor, rows).await
    }

    /// A page of the centres the actor may see, as it may read them.
    ///
    /// The search matches the public text of every centre (name, district) and the address
    /// only of the centres whose address the actor may read: the public cannot find a shelter
    /// by its street. Every filter and ordering is on a field every reader of the row reads.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for invalid filters or cursors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &CentreFilter,
        order: CentreOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<Centre>> {
        let mut select = resource_centre::Entity::find().filter(policy::visible_centres(actor));
        let search = |column: resource_centre::Column| {
            search_condition(
                column.into_expr(),
                filter.search.as_deref(),
                "filter.search",
            )
        };
        if let (Some(public), Some(address)) = (
            search(resource_centre::Column::SearchText)?,
            search(resource_centre::Column::SearchTextRestricted)?,
        ) {
            select = select.filter(
                Condition::any()
                    .add(public)
                    .add(policy::centre_address(actor).condition().add(address)),
            );
        }
        if let Some(kind) = filter.kind {
            select = select.filter(resource_centre::Column::Kind.eq(kind));
        }
        if let Some(service) = filter.service {
            select = select.filter(
                resource_centre::Column::Id.in_subquery(
                    Query::select()
                        .column(centre_service::Column::CentreId)
                        .from(centre_service::Entity)
                        .and_where(centre_service::Column::Service.eq(service))
                        .to_owned(),
                ),
            );
        }
        if let Some(region) = filter.region {
            select = select.filter(resource_centre::Column::Region.eq(region));
        }
        if let Some(district) = filter.district.as_deref().map(str::trim) {
            select = select.filter(resource_centre::Column::District.eq(district));
        }
        if let Some(accepting) = filter.accepting_referrals {
            select = select.filter(resource_centre::Column::AcceptingReferrals.eq(accepting));
        }
        if let Some(operator_id) = filter.operator_id {
            select = select.filter(resource_centre::Column::OperatorId.eq(operator_id));
        }
        let (page, rows) = order
            .keyset()
            .fetch(self.db, select, page)
            .await?
            .take_rows();
        Ok(page.with_rows(self.views(actor, rows).await?))
    }

    /// The services of the visible centres among `centre_ids`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn services_of(
        &self,
        actor: &Actor,
        centre_ids: &[Uuid],
    ) -> ApiResult<Vec<centre_service::Model>> {
        let visible = Query::select()
            .column(resource_centre::Column::Id)
            .from(resource_centre::Entity)
            .cond_where(policy::visible_centres(actor))
            .to_owned();
        Ok(centre_service::Entity::find()
            .filter(centre_service::Column::CentreId.is_in(centre_ids.iter().copied()))
            .filter(centre_service::Column::CentreId.in_subquery(visible))
            .order_by_asc(centre_service::Column::Service)
            .all(self.db)
            .await?)
    }
}

/// A centre's fields as given by an editor: on creation all required ones, on change the ones
/// to change.
#[derive(Clone, Debug, Default)]
pub struct CentreInput {
    pub name: Option<Localized>,
    pub kind: Option<CentreKind>,
    pub operator_id: Option<Uuid>,
    pub region: Option<Region>,
    pub district: Option<String>,
    pub address: Option<Localized>,
    /// `Some(None)` removes the phone number.
    pub phone: Option<Option<String>>,
    pub opening_hours: Option<Localized>,
    pub services: Option<Vec<CentreService>>,
    pub languages: Option<Vec<String>>,
    /// `Some(None)` removes the capacity.
    pub shelter_capacity: Option<Option<i32>>,
    pub accepting_referrals: Option<bool>,
}

impl CentreInput {
    /// The fields the operating organisation may not change itself (it keeps the directory
    /// entry: hours, phone, services, languages, capacity, accepting referrals).
    fn office_only_fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("kind", self.kind.is_some()),
            ("operatorId", self.operator_id.is_some()),
            ("region", self.region.is_some()),
            ("district", self.district.is_some()),
            ("address", self.address.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, given)| given.then_some(field))
        .collect()
    }

    fn given_fields(&self) -> Vec<&'static str> {
        let mut fields = self.office_only_fields();
        for (field, given) in [
            ("phone", self.phone.is_some()),
            ("openingHours", self.opening_hours.is_some()),
            ("services", self.services.is_some()),
            ("languages", self.languages.is_some()),
            ("shelterCapacity", self.shelter_capacity.is_some()),
            ("acceptingReferrals", self.accepting_referrals.is_some()),
        ] {
            if given {
                fields.push(field);
            }
        }
        fields
    }
}

const MAX_NAME: usize = 200;
const MAX_ADDRESS: usize = 300;
const MAX_HOURS: usize = 200;

/// Merges `input` over the stored centre (and its `stored_services`; none on creation) and
/// checks the result, reporting every invalid field at once: the complete row to write, and its
/// services (each once).
fn validate(
    input: CentreInput,
    stored: Stored<'_, resource_centre::Model>,
    stored_services: Vec<CentreService>,
) -> ApiResult<(resource_centre::Model, Vec<CentreService>)> {
    let mut problems = Problems::new();
    let name =
        problems.required_translations("name", stored.or(input.name, |c| c.name.clone()), MAX_NAME);
    let address = problems.required_translations(
        "address",
        stored.or(input.address, |c| c.address.clone()),
        MAX_ADDRESS,
    );
    let opening_hours = problems.required_translations(
        "openingHours",
        stored.or(input.opening_hours, |c| c.opening_hours.clone()),
        MAX_HOURS,
    );
    let kind = problems.required("kind", stored.or(input.kind, |c| c.kind));
    let operator_id = problems.required(
        "operatorId",
        stored.or(input.operator_id, |c| c.operator_id),
    );
    let region = problems.required("region", stored.or(input.region, |c| c.region));
    let district = stored
        .or(input.district, |c| c.district.clone())
        .unwrap_or_default();
    let district = problems.parse("input.district", District::parse(&district));
    let phone = problems.parse_optional(
        "input.phone",
        stored.or_cleared(input.phone, |c| c.phone.clone()),
        Phone::parse,
    );
    let services = unique(input.services.unwrap_or(stored_services));
    let mut languages: Vec<String> = stored
        .or(input.languages, |c| c.languages.0.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|language| language.trim().to_lowercase())
        .collect();
    // Each language once, in the order first given.
    let mut seen = std::collections::HashSet::new();
    languages.retain(|language| seen.insert(language.clone()));
    problems.check(
        languages.iter().all(|language| {
            (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase())
        }),
        "input.languages",
        "Languages are ISO 639 codes such as tg, ru, uz.",
    );
    let shelter_capacity = stored.or_cleared(input.shelter_capacity, |c| c.shelter_capacity);
    if let Some(capacity) = shelter_capacity {
        problems.in_range(
            "input.shelterCapacity",
            capacity,
            0..=10_000,
            "A shelter capacity is 0 to 10,000 places.",
        );
    }
    let accepting_referrals = stored
        .or(input.accepting_referrals, |c| c.accepting_referrals)
        .unwrap_or(true);
    problems.finish_with(|| {
        let district = String::from(district?);
        let now = Utc::now();
        let row = resource_centre::Model {
            id: stored.row().map_or_else(Uuid::now_v7, |c| c.id),
            sort_name: text::sort_name(&name),
            search_text: text::search_text(name.present().chain([district.as_str()])),
            search_text_restricted: text::search_text(address.present()),
            name,
            kind: kind?,
            operator_id: operator_id?,
            region: region?,
            district,
            address,
            phone: phone.map(String::from),
            opening_hours,
            languages: CodeList(languages),
            shelter_capacity,
            accepting_referrals,
            last_verified_at: stored.row().and_then(|c| c.last_verified_at),
            active: stored.row().is_none_or(|c| c.active),
            created_at: stored.row().map_or(now, |c| c.created_at),
            updated_at: now,
        };
        Some((row, services))
    })
}

/// Makes `services` the services `centre_id` offers. A service it stops offering is not
/// forgotten: `centre_service_past` keeps this month as the last it was offered, so that the
/// reports of that month and earlier may still list it (see `reports::services_of_month`).
async fn replace_services(
    txn: &impl ConnectionTrait,
    centre_id: Uuid,
    services: &[CentreService],
) -> Result<(), sea_orm::DbErr> {
    let removed: Vec<CentreService> = centre_service::Entity::find()
        .filter(centre_service::Column::CentreId.eq(centre_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| row.service)
        .filter(|service| !services.contains(service))
        .collect();
    if !removed.is_empty() {
        let today = Utc::now().date_naive();
        let this_month = today.with_day(1).unwrap_or(today);
        centre_service_past::Entity::insert_many(removed.into_iter().map(|service| {
            centre_service_past::Model {
                centre_id,
                service,
                last_month: this_month,
            }
            .into_active_model()
        }))
        .on_conflict(
            OnConflict::columns([
                centre_service_past::Column::CentreId,
                centre_service_past::Column::Service,
            ])
            .update_column(centre_service_past::Column::LastMonth)
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    centre_service::Entity::delete_many()
        .filter(centre_service::Column::CentreId.eq(centre_id))
        .exec(txn)
        .await?;
    centre_service::Entity::insert_many(services.iter().map(|service| {
        centre_service::Model {
            centre_id,
            service: *service,
        }
        .into_active_model()
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

impl Centres<'_> {
    async fn check_operator(&self, operator_id: Uuid) -> ApiResult<()> {
        let active = organisation::Entity::find_by_id(operator_id)
            .filter(organisation::Column::Active.eq(true))
            .count(self.db)
            .await?;
        if active == 1 {
            Ok(())
        } else {
            Err(ApiError::bad_input(
                "input.operatorId",
                "The operator must be an active organisation.",
            ))
        }
    }

    /// Adds a centre to the directory. Programme Office staff and admins only.
    ///
    /// # Errors
    /// `FORBIDDEN`; `BAD_USER_INPUT` naming each invalid field.
    pub async fn create(&self, caller: &Caller, input: CentreInput) -> ApiResult<Centre> {
        caller.actor.signed_in()?;
        if !policy::can_manage_centres(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let (centre, services) = validate(input, Stored::new(None), Vec::new())?;
        self.check_operator(centre.operator_id).await?;
        let txn = self.db.begin().await?;
        let centre = centre.into_active_model().insert(&txn).await?;
        replace_services(&txn, centre.id, &services).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("centre.create", "resource_centre", centre.id),
        )
        .await?;
        txn.commit().await?;
        self.view(&caller.actor, centre).await
    }

    /// A centre whose directory entry the caller may keep.
    async fn editable(&self, caller: &Caller, id: Uuid) -> ApiResult<resource_centre::Model> {
        caller.actor.signed_in()?;
        let centre = self.row(&caller.actor, id).await?;
        let editable = resource_centre::Entity::find_by_id(id)
            .filter(policy::editable_centre_directories(&caller.actor))
            .count(self.db)
            .await?;
        if editable == 1 {
            Ok(centre)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Changes the given fields of a centre. The Programme Office changes any field; the
    /// operating organisation keeps the directory entry (hours, phone, services, languages,
    /// capacity, accepting referrals).
    ///
    /// # Errors
    /// `NOT_FOUND` for a centre hidden from the caller; `FORBIDDEN` for one it may not edit,
    /// or for fields only the Programme Office changes (named in the message);
    /// `BAD_USER_INPUT` naming each invalid field.
    pub async fn update(&self, caller: &Caller, id: Uuid, input: CentreInput) -> ApiResult<Centre> {
        let existing = self.editable(caller, id).await?;
        let office_only = input.office_only_fields();
        if !office_only.is_empty() && !policy::can_manage_centres(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let changed = input.given_fields();
        let services = self
            .services_of(&caller.actor, &[id])
            .await?
            .into_iter()
            .map(|row| row.service)
            .collect();
        let (centre, services) = validate(input, Stored::new(Some(&existing)), services)?;
        if centre.operator_id != existing.operator_id {
            self.check_operator(centre.operator_id).await?;
        }
        let txn = self.db.begin().await?;
        let mut update = centre.into_active_model().reset_all();
        update.id = sea_orm::ActiveValue::Unchanged(existing.id);
        update.created_at = sea_orm::ActiveValue::Unchanged(existing.created_at);
        let centre = update.update(&txn).await?;
        replace_services(&txn, centre.id, &services).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("centre.update", "resource_centre", centre.id)
                .with_detail(json!({ "changed": changed })),
        )
        .await?;
        txn.commit().await?;
        self.view(&caller.actor, centre).await
    }

    /// Records that the directory entry was checked and is right now.
    ///
    /// # Errors
    /// As [`Centres::update`].
    pub async fn mark_verified(&self, caller: &Caller, id: Uuid) -> ApiResult<Centre> {
        let existing = self.editable(caller, id).await?;
        let mut update = existing.into_active_model();
        let now = Utc::now();
        update.last_verified_at = Set(Some(now));
        update.updated_at = Set(now);
        let centre = audit::update_audited(self.db, caller, update, |centre| {
            AuditRecord::success("centre.verify", "resource_centre", centre.id)
        })
        .await?;
        self.view(&caller.actor, centre).await
    }

    /// Takes a centre out of the public directory, or puts it back. Programme Office staff and
    /// admins only; the centre, its reports and its cases stay.
    ///
    /// # Errors
    /// `FORBIDDEN`; `NOT_FOUND`.
    pub async fn set_active(&self, caller: &Caller, id: Uuid, active: bool) -> ApiResult<Centre> {
        caller.actor.signed_in()?;
        if !policy::can_manage_centres(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let existing = self.row(&caller.actor, id).await?;
        let mut update = existing.into_active_model();
        update.active = Set(active);
        update.updated_at = Set(Utc::now());
        let action = if active {
            "centre.reactivate"
        } else {
            "centre.deactivate"
        };
        let centre = audit::update_audited(self.db, caller, update, |centre| {
            AuditRecord::success(action, "resource_centre", centre.id)
        })
        .await?;
        self.view(&caller.actor, centre).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_named_in_the_order_of_the_fields() {
        let input = CentreInput {
            address: Some(Localized {
                tg: Some("х".repeat(MAX_ADDRESS + 1)),
                ..Localized::default()
            }),
            opening_hours: Some(Localized::default()),
            district: Some(String::new()),
            phone: Some(Some("call me".into())),
            languages: Some(vec!["english".into()]),
            shelter_capacity: Some(Some(-1)),
            ..CentreInput::default()
        };
        let expected = [
            ("input.name", "`name` is required."),
            ("input.address.tg", "At most 300 characters."),
            (
                "input.openingHours",
                "Give the text in at least one language (en, ru or tg).",
            ),
            ("input.kind", "`kind` is required."),
            ("input.operatorId", "`operatorId` is required."),
            ("input.region", "`region` is required."),
            ("input.district", "A district is 1 to 100 characters long."),
            (
                "input.phone",
                "A phone number has digits, spaces, + - ( ) and at most 32 characters.",
            ),
            (
                "input.languages",
                "Languages are ISO 639 codes such as tg, ru, uz.",
            ),
            (
                "input.shelterCapacity",
                "A shelter capacity is 0 to 10,000 places.",
            ),
        ];
        let Err(ApiError::BadUserInput(fields)) =
            validate(input, Stored::new(None), Vec::new()).map(|_| ())
        else {
            panic!("accepted");
        };
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|field| (field.field.as_str(), field.message.as_str()))
            .collect();
        assert_eq!(fields, expected);
    }
}
