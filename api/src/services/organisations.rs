//! Organisations: reading, listing and searching.

use chrono::Utc;
use entity::{Localized, enums::OrganisationKind, organisation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    fields::{only, readable},
    input::Problems,
    pagination::{KeyKind, KeysetOrder, Page, PageArgs, search_condition},
    rows::OneOrNotFound,
    values::{Email, Phone},
};
use crate::{
    auth::{Actor, Caller},
    error::{ApiError, ApiResult},
    policy,
};

/// Filters of the organisation list.
#[derive(Clone, Debug, Default)]
pub struct OrganisationFilter {
    pub search: Option<String>,
    pub kind: Option<OrganisationKind>,
}

/// Orderings of the organisation list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrganisationOrder {
    #[default]
    NameAsc,
}

impl OrganisationOrder {
    fn keyset(self) -> KeysetOrder<organisation::Entity> {
        match self {
            Self::NameAsc => KeysetOrder {
                name: "NAME_ASC",
                column: organisation::Column::SortName,
                kind: KeyKind::Text,
                descending: false,
                nullable: false,
                id_column: organisation::Column::Id,
                key_of: |row| Some(row.sort_name.clone()),
                id_of: |row| row.id,
            },
        }
    }
}

/// An organisation as one actor may read it: `details` is `None` where the policy
/// ([`policy::organisation_details`]) keeps them from the actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    pub id: Uuid,
    pub name: Localized,
    pub acronym: Option<String>,
    pub kind: OrganisationKind,
    pub details: Option<OrganisationDetails>,
}

/// What signed-in users read of an organisation beyond its name and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganisationDetails {
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub active: bool,
}

/// The organisations `rows` as `actor` may read them.
pub(super) async fn views(
    db: &impl ConnectionTrait,
    actor: &Actor,
    rows: Vec<organisation::Model>,
) -> ApiResult<Vec<Organisation>> {
    let details = readable::<organisation::Entity>(
        db,
        &policy::organisation_details(actor),
        organisation::Column::Id,
        rows.iter().map(|row| row.id),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Organisation {
            details: details.contains(&row.id).then_some(OrganisationDetails {
                contact_email: row.contact_email,
                contact_phone: row.contact_phone,
                active: row.active,
            }),
            id: row.id,
            name: row.name,
            acronym: row.acronym,
            kind: row.kind,
        })
        .collect())
}

async fn view(
    db: &impl ConnectionTrait,
    actor: &Actor,
    row: organisation::Model,
) -> ApiResult<Organisation> {
    only(views(db, actor, vec![row]).await?)
}

/// Organisation rules.
pub struct Organisations<'a> {
    pub(super) db: &'a crate::db::Db,
}

impl Organisations<'_> {
    async fn row(&self, actor: &Actor, id: Uuid) -> ApiResult<organisation::Model> {
        organisation::Entity::find_by_id(id)
            .filter(policy::visible_organisations(actor))
            .one_or_not_found(self.db, "Organisation")
            .await
    }

    /// One organisation the actor may see, as it may read it.
    ///
    /// # Errors
    /// `NOT_FOUND` when it does not exist or is hidden from the actor.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<Organisation> {
        let row = self.row(actor, id).await?;
        view(self.db, actor, row).await
    }

    /// The organisations among `ids` that the actor may see (for DataLoaders), as it may read
    /// them.
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(&self, actor: &Actor, ids: &[Uuid]) -> ApiResult<Vec<Organisation>> {
        let rows = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_organisations(actor))
            .all(self.db)
            .await?;
        views(self.db, actor, rows).await
    }

    /// A page of the organisations the actor may see, as it may read them. Search (name,
    /// acronym), filter (kind) and ordering (name) are on fields every reader reads.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for invalid filters or cursors.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &OrganisationFilter,
        order: OrganisationOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<Organisation>> {
        let mut select = organisation::Entity::find().filter(policy::visible_organisations(actor));
        if let Some(search) = search_condition(
            organisation::Column::SearchText.into_expr(),
            filter.search.as_deref(),
            "filter.search",
        )? {
            select = select.filter(search);
        }
        if let Some(kind) = filter.kind {
            select = select.filter(organisation::Column::Kind.eq(kind));
        }
        let (page, rows) = order
            .keyset()
            .fetch(self.db, select, page)
            .await?
            .take_rows();
        Ok(page.with_rows(views(self.db, actor, rows).await?))
    }
}

/// A new organisation, or all the fields of one being changed.
#[derive(Clone, Debug)]
pub struct OrganisationFields {
    pub name: Localized,
    pub acronym: Option<String>,
    pub kind: OrganisationKind,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

const MAX_NAME_LENGTH: usize = 200;

/// Checks the fields, reporting every invalid one at once, and normalises them. An organisation
/// is always given whole, so nothing is merged over the stored row. Its paths have never had the
/// `input.` prefix of the other inputs; they are kept as clients know them.
fn validated(fields: OrganisationFields) -> ApiResult<OrganisationFields> {
    let mut problems = Problems::new();
    let name = problems.translations("name", &fields.name, MAX_NAME_LENGTH);
    let acronym = problems.text_or(
        "acronym",
        fields.acronym,
        20,
        "An acronym is at most 20 characters long.",
    );
    let contact_email = problems.parse_optional("contactEmail", fields.contact_email, Email::parse);
    let contact_phone = problems.parse_optional("contactPhone", fields.contact_phone, Phone::parse);
    problems.finish_with(|| {
        Some(OrganisationFields {
            name,
            acronym,
            kind: fields.kind,
            contact_email: contact_email.map(String::from),
            contact_phone: contact_phone.map(String::from),
        })
    })
}

fn derived(fields: &OrganisationFields) -> (String, String) {
    let sort_name = super::text::sort_name(&fields.name);
    let search_text =
        super::text::search_text(fields.name.present().chain(fields.acronym.as_deref()));
    (sort_name, search_text)
}

impl Organisations<'_> {
    /// Creates an organisation.
    ///
    /// # Errors
    /// `FORBIDDEN` for anyone but Programme Office staff and admins; `BAD_USER_INPUT` for
    /// invalid fields.
    pub async fn create(
        &self,
        caller: &Caller,
        fields: OrganisationFields,
    ) -> ApiResult<Organisation> {
        caller.actor.signed_in()?;
        if !policy::can_manage_organisations(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let fields = validated(fields)?;
        let (sort_name, search_text) = derived(&fields);
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let organisation = organisation::Model {
            id: Uuid::now_v7(),
            name: fields.name,
            acronym: fields.acronym,
            kind: fields.kind,
            contact_email: fields.contact_email,
            contact_phone: fields.contact_phone,
            active: true,
            sort_name,
            search_text,
            created_at: now,
            updated_at: now,
        }
        .into_active_model()
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("organisation.create", "organisation", organisation.id),
        )
        .await?;
        txn.commit().await?;
        view(self.db, &caller.actor, organisation).await
    }

    /// Replaces an organisation's fields.
    ///
    /// # Errors
    /// As [`Organisations::create`]; `NOT_FOUND` for an unknown id.
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        fields: OrganisationFields,
    ) -> ApiResult<Organisation> {
        caller.actor.signed_in()?;
        if !policy::can_manage_organisations(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let fields = validated(fields)?;
        let existing = self.row(&caller.actor, id).await?;
        let (sort_name, search_text) = derived(&fields);
        let txn = self.db.begin().await?;
        let mut update = existing.into_active_model();
        update.name = Set(fields.name);
        update.acronym = Set(fields.acronym);
        update.kind = Set(fields.kind);
        update.contact_email = Set(fields.contact_email);
        update.contact_phone = Set(fields.contact_phone);
        update.sort_name = Set(sort_name);
        update.search_text = Set(search_text);
        update.updated_at = Set(Utc::now());
        let organisation = update.update(&txn).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("organisation.update", "organisation", organisation.id),
        )
        .await?;
        txn.commit().await?;
        view(self.db, &caller.actor, organisation).await
    }

    /// Deactivates (or reactivates) an organisation. Its records stay; new accounts cannot be
    /// created in an inactive organisation.
    ///
    /// # Errors
    /// As [`Organisations::update`].
    pub async fn set_active(
        &self,
        caller: &Caller,
        id: Uuid,
        active: bool,
    ) -> ApiResult<Organisation> {
        caller.actor.signed_in()?;
        if !policy::can_manage_organisations(&caller.actor) {
            return Err(ApiError::Forbidden);
        }
        let existing = self.row(&caller.actor, id).await?;
        let mut update = existing.into_active_model();
        update.active = Set(active);
        update.updated_at = Set(Utc::now());
        let action = if active {
            "organisation.reactivate"
        } else {
            "organisation.deactivate"
        };
        let organisation = audit::update_audited(self.db, caller, update, |organisation| {
            AuditRecord::success(action, "organisation", organisation.id)
        })
        .await?;
        view(self.db, &caller.actor, organisation).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_named_in_the_order_of_the_fields() {
        let fields = OrganisationFields {
            name: Localized {
                ru: Some("  ".into()),
                ..Localized::default()
            },
            acronym: Some("A".repeat(21)),
            kind: OrganisationKind::Ngo,
            contact_email: Some(" someone at example.org ".into()),
            contact_phone: Some("ext. 12".into()),
        };
        let expected = [
            (
                "name",
                "Give the text in at least one language (en, ru or tg).",
            ),
            ("acronym", "An acronym is at most 20 characters long."),
            (
                "contactEmail",
                "Enter an email address such as name@example.org.",
            ),
            (
                "contactPhone",
                "A phone number has digits, spaces, + - ( ) and at most 32 characters.",
            ),
        ];
        let Err(ApiError::BadUserInput(problems)) = validated(fields).map(|_| ()) else {
            panic!("accepted");
        };
        let problems: Vec<(&str, &str)> = problems
            .iter()
            .map(|field| (field.field.as_str(), field.message.as_str()))
            .collect();
        assert_eq!(problems, expected);
    }

    #[test]
    fn empty_optional_fields_are_absent_and_the_rest_normalised() {
        let fields = OrganisationFields {
            name: Localized {
                en: Some(" Ishtirok ".into()),
                ..Localized::default()
            },
            acronym: Some("   ".into()),
            kind: OrganisationKind::Ngo,
            contact_email: Some(" Info@Ishtirok.TJ ".into()),
            contact_phone: Some("".into()),
        };
        let Ok(valid) = validated(fields) else {
            panic!("refused");
        };
        assert_eq!(valid.name.en.as_deref(), Some("Ishtirok"));
        assert_eq!(valid.acronym, None);
        assert_eq!(valid.contact_email.as_deref(), Some("info@ishtirok.tj"));
        assert_eq!(valid.contact_phone, None);
    }
}
