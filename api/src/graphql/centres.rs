//! Resource centres in the API: the directory.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::{
    common::{
        PageRequest, PortalConnection, Translations, TranslationsInput, actor, caller, connection,
        page_args, parse_id, services, to_id, translated,
    },
    enums::{CentreKind, CentreService, Region},
    loaders::{CentreServicesKey, Loaders, OrganisationKey},
    organisations::Organisation,
};
use crate::{
    error::ApiError,
    services::centres::{Centre, CentreFilter, CentreInput, CentreOrder},
};

/// A Women's Resource Centre, shelter, Aarhus Centre, police gender unit or legal aid office,
/// as the service hands it to this reader (the fields it may not read already absent).
pub struct ResourceCentre(pub Centre);

#[Object]
impl ResourceCentre {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// The name in the request's language, else in any language present.
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.name)?)
    }

    async fn name_translations(&self) -> Translations {
        (&self.0.name).into()
    }

    async fn kind(&self) -> CentreKind {
        self.0.kind.into()
    }

    /// The organisation that runs the centre.
    async fn operator(&self, ctx: &Context<'_>) -> Result<Organisation> {
        ctx.data::<Loaders>()?
            .load_one(OrganisationKey(self.0.operator_id))
            .await?
            .map(Organisation)
            .ok_or_else(|| {
                ApiError::NotFound {
                    entity: "Organisation",
                }
                .into()
            })
    }

    async fn region(&self) -> Region {
        self.0.region.into()
    }

    async fn district(&self) -> &str {
        &self.0.district
    }

    /// The street address in the request's language. Null for shelters unless you are signed
    /// in: a shelter's location is not published.
    async fn address(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self
            .0
            .address
            .as_ref()
            .map(|address| translated(ctx, address))
            .transpose()?)
    }

    /// The address in every language recorded; null where `address` is.
    async fn address_translations(&self) -> Option<Translations> {
        self.0.address.as_ref().map(Into::into)
    }

    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// Opening hours in the request's language, as free text.
    async fn opening_hours(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(translated(ctx, &self.0.opening_hours)?)
    }

    async fn opening_hours_translations(&self) -> Translations {
        (&self.0.opening_hours).into()
    }

    /// Services offered.
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<CentreService>> {
        let services = ctx
            .data::<Loaders>()?
            .load_one(CentreServicesKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(services.into_iter().map(Into::into).collect())
    }

    /// Languages spoken, as codes (`tg`, `ru`, `uz`, `en`, ...).
    async fn languages(&self) -> &[String] {
        &self.0.languages
    }

    /// Places for overnight stay, for shelters.
    async fn shelter_capacity(&self) -> Option<i32> {
        self.0.shelter_capacity
    }

    /// Whether the centre takes referrals now.
    async fn accepting_referrals(&self) -> bool {
        self.0.accepting_referrals
    }

    /// When the operator last confirmed these details.
    async fn last_verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_verified_at
    }

    /// Whether the centre is open. The operator and the Programme Office only (`null` with
    /// `FORBIDDEN` otherwise); the public directory lists active centres only.
    async fn active(&self) -> Result<Option<bool>> {
        Ok(Some(self.0.active.ok_or(ApiError::Forbidden)?))
    }
}

/// Filters of `resourceCentres`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct CentreFilterInput {
    /// Matches name in any language and the district, ignoring case; and the address, on the
    /// centres whose address you may read.
    pub search: Option<String>,
    pub kind: Option<CentreKind>,
    /// Centres offering this service.
    pub service: Option<CentreService>,
    pub region: Option<Region>,
    /// Exact district name, for example `Bokhtar`.
    pub district: Option<String>,
    pub accepting_referrals: Option<bool>,
    pub operator_id: Option<ID>,
}

/// Orderings of `resourceCentres`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum CentreOrderBy {
    /// By name (English, else the first language present), A to Z.
    #[default]
    NameAsc,
    /// By district, A to Z.
    DistrictAsc,
}

#[derive(Default)]
pub struct CentreQuery;

#[Object]
impl CentreQuery {
    /// One resource centre. `NOT_FOUND` when it does not exist or you may not see it.
    async fn resource_centre(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ResourceCentre>> {
        let id = parse_id(&id, "id")?;
        Ok(Some(ResourceCentre(
            services(ctx)?.centres().get(actor(ctx)?, id).await?,
        )))
    }

    /// The directory of resource centres: the public sees active centres.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "each parameter is an argument of the field: Relay's four, the filter and the order"
    )]
    async fn resource_centres(
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
        filter: Option<CentreFilterInput>,
        order_by: Option<CentreOrderBy>,
    ) -> Result<PortalConnection<ResourceCentre>> {
        let args = page_args(
            ctx,
            PageRequest {
                first,
                after: after.as_deref(),
                last,
                before: before.as_deref(),
            },
        )?;
        let input = filter.unwrap_or_default();
        let filter = CentreFilter {
            search: input.search,
            kind: input.kind.map(Into::into),
            service: input.service.map(Into::into),
            region: input.region.map(Into::into),
            district: input.district,
            accepting_referrals: input.accepting_referrals,
            operator_id: input
                .operator_id
                .map(|id| parse_id(&id, "filter.operatorId"))
                .transpose()?,
        };
        let order = match order_by.unwrap_or_default() {
            CentreOrderBy::NameAsc => CentreOrder::NameAsc,
            CentreOrderBy::DistrictAsc => CentreOrder::DistrictAsc,
        };
        let page = services(ctx)?
            .centres()
            .list(actor(ctx)?, &filter, order, &args)
            .await?;
        Ok(connection(page, ResourceCentre))
    }
}

/// A new resource centre.
#[derive(InputObject)]
pub struct CreateCentreInput {
    pub name: TranslationsInput,
    pub kind: CentreKind,
    pub operator_id: ID,
    pub region: Region,
    pub district: String,
    pub address: TranslationsInput,
    pub phone: Option<String>,
    pub opening_hours: TranslationsInput,
    #[graphql(default)]
    pub services: Vec<CentreService>,
    /// ISO 639 codes such as `tg`, `ru`, `uz`.
    #[graphql(default)]
    pub languages: Vec<String>,
    pub shelter_capacity: Option<i32>,
    #[graphql(default = true)]
    pub accepting_referrals: bool,
}

/// Changes to a centre; absent fields stay as they are. The operating organisation may change
/// the directory entry (`phone`, `openingHours`, `services`, `languages`, `shelterCapacity`,
/// `acceptingReferrals`); the other fields are the Programme Office's.
#[derive(InputObject, Default)]
pub struct UpdateCentreInput {
    pub name: Option<TranslationsInput>,
    pub kind: Option<CentreKind>,
    pub operator_id: Option<ID>,
    pub region: Option<Region>,
    pub district: Option<String>,
    pub address: Option<TranslationsInput>,
    pub phone: Option<String>,
    #[graphql(default)]
    pub clear_phone: bool,
    pub opening_hours: Option<TranslationsInput>,
    pub services: Option<Vec<CentreService>>,
    pub languages: Option<Vec<String>>,
    pub shelter_capacity: Option<i32>,
    #[graphql(default)]
    pub clear_shelter_capacity: bool,
    pub accepting_referrals: Option<bool>,
}

#[derive(Default)]
pub struct CentreMutation;

#[Object]
impl CentreMutation {
    /// Adds a centre to the directory. Programme Office staff and admins only.
    async fn create_resource_centre(
        &self,
        ctx: &Context<'_>,
        input: CreateCentreInput,
    ) -> Result<ResourceCentre> {
        let input = CentreInput {
            name: Some(input.name.into()),
            kind: Some(input.kind.into()),
            operator_id: Some(parse_id(&input.operator_id, "input.operatorId")?),
            region: Some(input.region.into()),
            district: Some(input.district),
            address: Some(input.address.into()),
            phone: Some(input.phone),
            opening_hours: Some(input.opening_hours.into()),
            services: Some(input.services.into_iter().map(Into::into).collect()),
            languages: Some(input.languages),
            shelter_capacity: Some(input.shelter_capacity),
            accepting_referrals: Some(input.accepting_referrals),
        };
        Ok(ResourceCentre(
            services(ctx)?.centres().create(caller(ctx)?, input).await?,
        ))
    }

    /// Changes a centre: any field for the Programme Office, the directory entry for the
    /// operating organisation.
    async fn update_resource_centre(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCentreInput,
    ) -> Result<ResourceCentre> {
        let id = parse_id(&id, "id")?;
        let phone = if input.clear_phone {
            Some(None)
        } else {
            input.phone.map(Some)
        };
        let shelter_capacity = if input.clear_shelter_capacity {
            Some(None)
        } else {
            input.shelter_capacity.map(Some)
        };
        let input = CentreInput {
            name: input.name.map(Into::into),
            kind: input.kind.map(Into::into),
            operator_id: input
                .operator_id
                .map(|id| parse_id(&id, "input.operatorId"))
                .transpose()?,
            region: input.region.map(Into::into),
            district: input.district,
            address: input.address.map(Into::into),
            phone,
            opening_hours: input.opening_hours.map(Into::into),
            services: input
                .services
                .map(|services| services.into_iter().map(Into::into).collect()),
            languages: input.languages,
            shelter_capacity,
            accepting_referrals: input.accepting_referrals,
        };
        Ok(ResourceCentre(
            services(ctx)?
                .centres()
                .update(caller(ctx)?, id, input)
                .await?,
        ))
    }

    /// Records that the centre's directory entry was checked today.
    async fn mark_resource_centre_verified(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<ResourceCentre> {
        let id = parse_id(&id, "id")?;
        Ok(ResourceCentre(
            services(ctx)?
                .centres()
                .mark_verified(caller(ctx)?, id)
                .await?,
        ))
    }

    /// Takes a centre out of the public directory. Programme Office staff and admins only.
    async fn deactivate_resource_centre(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<ResourceCentre> {
        let id = parse_id(&id, "id")?;
        Ok(ResourceCentre(
            services(ctx)?
                .centres()
                .set_active(caller(ctx)?, id, false)
                .await?,
        ))
    }

    /// Puts a centre back in the directory. Programme Office staff and admins only.
    async fn reactivate_resource_centre(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<ResourceCentre> {
        let id = parse_id(&id, "id")?;
        Ok(ResourceCentre(
            services(ctx)?
                .centres()
                .set_active(caller(ctx)?, id, true)
                .await?,
        ))
    }
}
