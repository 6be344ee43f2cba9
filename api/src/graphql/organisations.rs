//! Organisations in the API.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};

use super::{
    common::{
        PageRequest, PortalConnection, Translations, TranslationsInput, actor, caller, connection,
        page_args, parse_id, services, to_id, translated,
    },
    enums::OrganisationKind,
};
use crate::{
    error::ApiError,
    services::organisations::{
        self, OrganisationDetails, OrganisationFields, OrganisationFilter, OrganisationOrder,
    },
};

/// A partner organisation: NGO, ministry or agency, international partner or donor, as the
/// service hands it to this reader (the details absent for the public).
pub struct Organisation(pub organisations::Organisation);

#[Object]
impl Organisation {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The name in the request's language (`Accept-Language`), else in any language present.
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.name)?)
    }

    /// The name in every language it is recorded in.
    async fn name_translations(&self) -> Translations {
        (&self.0.name).into()
    }

    async fn acronym(&self) -> Option<&str> {
        self.0.acronym.as_deref()
    }

    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// Contact email. Signed-in users only (`FORBIDDEN` for the public).
    async fn contact_email(&self) -> Result<Option<&str>> {
        Ok(self.details()?.contact_email.as_deref())
    }

    /// Contact phone. Signed-in users only (`FORBIDDEN` for the public).
    async fn contact_phone(&self) -> Result<Option<&str>> {
        Ok(self.details()?.contact_phone.as_deref())
    }

    /// Whether the organisation is still active. Signed-in users only.
    /// (Nullable: `null`, with a `FORBIDDEN` error, for those who may not read it.)
    async fn active(&self) -> Result<Option<bool>> {
        Ok(Some(self.details()?.active))
    }
}

impl Organisation {
    /// The details, or `FORBIDDEN` where the service left them out for this reader.
    fn details(&self) -> Result<&OrganisationDetails, ApiError> {
        self.0.details.as_ref().ok_or(ApiError::Forbidden)
    }
}

/// Filters of `organisations`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct OrganisationFilterInput {
    /// Matches the name in any language, and the acronym, ignoring case.
    pub search: Option<String>,
    pub kind: Option<OrganisationKind>,
}

/// Orderings of `organisations`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrganisationOrderBy {
    /// By name (English, else the first language present), A to Z.
    #[default]
    NameAsc,
}

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// One organisation. `NOT_FOUND` when it does not exist or you may not see it.
    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Organisation>> {
        let id = parse_id(&id, "id")?;
        let row = services(ctx)?.organisations().get(actor(ctx)?, id).await?;
        Ok(Some(Organisation(row)))
    }

    /// Organisations you may see. The public sees those that take part in public content.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "each parameter is an argument of the field: Relay's four, the filter and the order"
    )]
    async fn organisations(
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
        filter: Option<OrganisationFilterInput>,
        order_by: Option<OrganisationOrderBy>,
    ) -> Result<PortalConnection<Organisation>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let filter = filter.unwrap_or_default();
        let filter = OrganisationFilter {
            search: filter.search,
            kind: filter.kind.map(Into::into),
        };
        let order = match order_by.unwrap_or_default() {
            OrganisationOrderBy::NameAsc => OrganisationOrder::NameAsc,
        };
        let page = services(ctx)?
            .organisations()
            .list(actor(ctx)?, &filter, order, &args)
            .await?;
        Ok(connection(page, Organisation))
    }
}

/// An organisation's fields, for creating or changing one.
#[derive(InputObject)]
pub struct OrganisationInput {
    /// The name in at least one language.
    pub name: TranslationsInput,
    pub acronym: Option<String>,
    pub kind: OrganisationKind,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

impl From<OrganisationInput> for OrganisationFields {
    fn from(input: OrganisationInput) -> Self {
        Self {
            name: input.name.into(),
            acronym: input.acronym,
            kind: input.kind.into(),
            contact_email: input.contact_email,
            contact_phone: input.contact_phone,
        }
    }
}

#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Creates an organisation. Programme Office staff and admins only.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        input: OrganisationInput,
    ) -> Result<Organisation> {
        let organisation = services(ctx)?
            .organisations()
            .create(caller(ctx)?, input.into())
            .await?;
        Ok(Organisation(organisation))
    }

    /// Replaces an organisation's fields. Programme Office staff and admins only.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: OrganisationInput,
    ) -> Result<Organisation> {
        let id = parse_id(&id, "id")?;
        let organisation = services(ctx)?
            .organisations()
            .update(caller(ctx)?, id, input.into())
            .await?;
        Ok(Organisation(organisation))
    }

    /// Deactivates an organisation; its records stay. Programme Office staff and admins only.
    async fn deactivate_organisation(&self, ctx: &Context<'_>, id: ID) -> Result<Organisation> {
        let id = parse_id(&id, "id")?;
        let organisation = services(ctx)?
            .organisations()
            .set_active(caller(ctx)?, id, false)
            .await?;
        Ok(Organisation(organisation))
    }

    /// Reactivates an organisation. Programme Office staff and admins only.
    async fn reactivate_organisation(&self, ctx: &Context<'_>, id: ID) -> Result<Organisation> {
        let id = parse_id(&id, "id")?;
        let organisation = services(ctx)?
            .organisations()
            .set_active(caller(ctx)?, id, true)
            .await?;
        Ok(Organisation(organisation))
    }
}
