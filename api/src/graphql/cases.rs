//! Referral cases in the API. The identifying fields sit behind their own field, `identifying`,
//! whose every read is audited and which only the current parties may open.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{referral_case, referral_transition};

use super::{
    accounts::Account,
    centres::ResourceCentre,
    common::{
        DateRangeInput, PageRequest, PortalConnection, actor, caller, connection, optional_id,
        page_args, parse_id, services, to_id,
    },
    enums::{
        AgeGroup, CaseKind, CaseOutcome, CaseStatus, CentreService, DeclineReason, Region,
        RiskLevel, Sex,
    },
    loaders::{AssigneeKey, CaseHistoryKey, CentreKey, Loaders, OrganisationKey},
    organisations::Organisation,
};
use crate::services::cases::{
    self as case_rules, CaseChanges, CaseFilter, CaseOrder, Direction, Identifying, NewCase,
};

/// A referral of a survivor from one partner organisation to another.
pub struct ReferralCase(pub referral_case::Model);

/// The survivor, without anything that identifies them.
#[derive(SimpleObject)]
pub struct SurvivorProfile {
    pub sex: Sex,
    pub age_group: AgeGroup,
    /// ISO 3166 country code.
    pub citizenship: Option<String>,
    pub has_disability: bool,
}

/// The survivor-identifying fields. Read only by the referring and the current receiving
/// organisation; every read is in the case's access log.
#[derive(SimpleObject)]
pub struct IdentifyingData {
    pub survivor_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
}

impl From<Identifying> for IdentifyingData {
    fn from(data: Identifying) -> Self {
        Self {
            survivor_name: data.survivor_name,
            contact_phone: data.contact_phone,
            address: data.address,
            notes: data.notes,
        }
    }
}

/// The survivor's consent to the referral.
#[derive(SimpleObject)]
pub struct Consent {
    pub given: bool,
    /// What the survivor agreed to, in their words: free text, so identifying. For the current
    /// parties only (`null` for everyone else, the Programme Office included, and after consent
    /// was withdrawn); every read is recorded in `accessLog`.
    pub scope: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// One step of a case's history.
pub struct CaseTransition {
    step: referral_transition::Model,
    /// Opened only for the case's current parties, and only when asked for.
    comment: Option<String>,
}

#[Object]
impl CaseTransition {
    /// Null for the opening of the case.
    async fn from_status(&self) -> Option<CaseStatus> {
        self.step.from_status.map(Into::into)
    }

    async fn to_status(&self) -> CaseStatus {
        self.step.to_status.into()
    }

    /// The organisation that acted.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.step.actor_organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .load_one(OrganisationKey(id))
            .await?
            .map(Organisation))
    }

    /// The receiving organisation after this step (for referrals and onward referrals).
    async fn receiving_organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.step.receiving_organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .load_one(OrganisationKey(id))
            .await?
            .map(Organisation))
    }

    async fn reason(&self) -> Option<DeclineReason> {
        self.step.reason.map(Into::into)
    }

    /// The actor's comment: free text, so identifying. For the case's current parties only
    /// (`null` for previous receivers and the Programme Office, and after consent was
    /// withdrawn); every read is recorded in the case's `accessLog`.
    async fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    async fn at(&self) -> DateTime<Utc> {
        self.step.at
    }
}

/// A follow-up note a party wrote on a case.
pub struct CaseNote(case_rules::CaseNote);

#[Object]
impl CaseNote {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The author's account, by id; only for readers of the author's own organisation (null
    /// for the other party, which sees the organisation).
    async fn author_account_id(&self) -> Option<ID> {
        self.0.author_account_id.map(to_id)
    }

    /// The organisation the author wrote for.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .load_one(OrganisationKey(self.0.organisation_id))
            .await?
            .map(Organisation))
    }

    /// The note: free text, so identifying. Null after consent was withdrawn; every read is
    /// recorded in the case's `accessLog`.
    async fn text(&self) -> Option<&str> {
        self.0.text.as_deref()
    }
}

/// A read of a case's identifying data.
pub struct AccessLogEntry(case_rules::AccessLogEntry);

#[Object]
impl AccessLogEntry {
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The account that read, by id; only for readers of your own organisation (null for the
    /// other party's readers, whose organisation is given).
    async fn account_id(&self) -> Option<ID> {
        self.0.account_id.map(to_id)
    }

    /// Its organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.0.organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .load_one(OrganisationKey(id))
            .await?
            .map(Organisation))
    }
}

#[Object]
impl ReferralCase {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// `RC-<year>-<6 digits>`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn kind(&self) -> CaseKind {
        self.0.kind.into()
    }

    async fn status(&self) -> CaseStatus {
        self.0.status.into()
    }

    async fn risk(&self) -> RiskLevel {
        self.0.risk.into()
    }

    async fn survivor(&self) -> SurvivorProfile {
        SurvivorProfile {
            sex: self.0.survivor_sex.into(),
            age_group: self.0.survivor_age_group.into(),
            citizenship: self.0.survivor_citizenship.clone(),
            has_disability: self.0.survivor_has_disability,
        }
    }

    async fn region(&self) -> Region {
        self.0.region.into()
    }

    async fn district(&self) -> &str {
        &self.0.district
    }

    async fn services_requested(&self) -> Vec<CentreService> {
        self.0
            .services_requested
            .0
            .iter()
            .filter_map(|code| {
                <entity::enums::CentreService as sea_orm::ActiveEnum>::try_from_value(code).ok()
            })
            .map(Into::into)
            .collect()
    }

    async fn referring_organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        Ok(ctx
            .data::<Loaders>()?
            .load_one(OrganisationKey(self.0.referring_organisation_id))
            .await?
            .map(Organisation))
    }

    /// The organisation the case is referred to now (null for a draft).
    async fn receiving_organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.0.receiving_organisation_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .load_one(OrganisationKey(id))
            .await?
            .map(Organisation))
    }

    async fn receiving_centre(&self, ctx: &Context<'_>) -> Result<Option<ResourceCentre>> {
        let Some(id) = self.0.receiving_centre_id else {
            return Ok(None);
        };
        Ok(ctx
            .data::<Loaders>()?
            .load_one(CentreKey(id))
            .await?
            .map(ResourceCentre))
    }

    async fn consent(&self, ctx: &Context<'_>) -> Result<Consent> {
        // The scope is opened (and its read audited) only when asked for.
        let scope = if ctx.look_ahead().field("scope").exists() {
            services(ctx)?
                .cases()
                .consent_scope(caller(ctx)?, &self.0)
                .await?
        } else {
            None
        };
        Ok(Consent {
            given: self.0.consent_given,
            scope,
            recorded_at: self.0.consent_recorded_at,
        })
    }

    async fn referred_at(&self) -> Option<DateTime<Utc>> {
        self.0.referred_at
    }

    /// When the receiving organisation must answer by.
    async fn response_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.response_due_at
    }

    /// Referred, unanswered and past its deadline.
    async fn overdue(&self) -> bool {
        case_rules::is_overdue(&self.0, Utc::now())
    }

    /// When the current receiver first answered (accepted or declined); null until then. An
    /// onward referral starts the wait again.
    async fn first_response_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_response_at
    }

    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }

    async fn outcome(&self) -> Option<CaseOutcome> {
        self.0.outcome.map(Into::into)
    }

    /// When consent was withdrawn and the identifying data erased.
    async fn erased_at(&self) -> Option<DateTime<Utc>> {
        self.0.erased_at
    }

    /// Increases with every change; a transition fails with `CONFLICT` when another changed
    /// the case first.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The survivor-identifying data: the referring and the current receiving organisation
    /// only (`null` with `FORBIDDEN` for everyone else, the Programme Office included). Every
    /// read is recorded in `accessLog`.
    async fn identifying(&self, ctx: &Context<'_>) -> Result<Option<IdentifyingData>> {
        let data = services(ctx)?
            .cases()
            .read_identifying(caller(ctx)?, self.0.id)
            .await?;
        Ok(Some(data.into()))
    }

    /// The case's history, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<CaseTransition>> {
        let rows = ctx
            .data::<Loaders>()?
            .load_one(CaseHistoryKey(self.0.id))
            .await?
            .unwrap_or_default();
        // Comments are opened (and the read audited) only when asked for.
        let mut comments = if ctx.look_ahead().field("comment").exists() {
            services(ctx)?
                .cases()
                .comments(caller(ctx)?, &self.0, &rows)
                .await?
        } else {
            std::collections::HashMap::new()
        };
        Ok(rows
            .into_iter()
            .map(|step| CaseTransition {
                comment: comments.remove(&step.id),
                step,
            })
            .collect())
    }

    /// Who works the case in your organisation (each party organisation has its own
    /// assignee); null when nobody does, and for anyone but the current parties.
    async fn assigned_to(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(organisation_id) = case_rules::assignee_side(actor(ctx)?, &self.0) else {
            return Ok(None);
        };
        // One batch for a whole page of cases.
        Ok(ctx
            .data::<Loaders>()?
            .load_one(AssigneeKey {
                case_id: self.0.id,
                organisation_id,
            })
            .await?
            .map(Account))
    }

    /// Follow-up notes, oldest first: for the current parties only (`null` for everyone else,
    /// the Programme Office and previous receivers included). Reading their `text` is recorded
    /// in `accessLog`.
    async fn notes(&self, ctx: &Context<'_>) -> Result<Option<Vec<CaseNote>>> {
        // Texts are opened (and the read audited) only when asked for.
        let with_text = ctx.look_ahead().field("text").exists();
        let notes = services(ctx)?
            .cases()
            .notes(caller(ctx)?, &self.0, with_text)
            .await?;
        Ok(notes.map(|notes| notes.into_iter().map(CaseNote).collect()))
    }

    /// Who read the identifying data, latest first: for the current parties (`null` with
    /// `FORBIDDEN` for everyone else).
    async fn access_log(&self, ctx: &Context<'_>) -> Result<Option<Vec<AccessLogEntry>>> {
        let rows = services(ctx)?
            .cases()
            .access_log(caller(ctx)?, self.0.id)
            .await?;
        Ok(Some(rows.into_iter().map(AccessLogEntry).collect()))
    }
}

/// Incoming or outgoing cases of your organisation.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CaseDirection {
    /// Referred to your organisation.
    Incoming,
    /// Referred by your organisation.
    Outgoing,
}

/// Filters of `referralCases`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct CaseFilterInput {
    pub direction: Option<CaseDirection>,
    pub status: Option<CaseStatus>,
    pub kind: Option<CaseKind>,
    pub risk: Option<RiskLevel>,
    /// Referred, unanswered and past the deadline (or not).
    pub overdue: Option<bool>,
    pub region: Option<Region>,
    /// Cases opened within the range.
    pub opened: Option<DateRangeInput>,
    /// Assigned to you in your organisation (or, `false`, not to you). Partner organisations
    /// only.
    pub assigned_to_me: Option<bool>,
    /// Assigned to nobody in your organisation (or, `false`, to someone). Partner
    /// organisations only.
    pub unassigned: Option<bool>,
}

/// A new case, opened as a draft for your organisation.
#[derive(InputObject)]
pub struct CreateCaseInput {
    pub kind: CaseKind,
    pub risk: RiskLevel,
    pub survivor_sex: Sex,
    pub survivor_age_group: AgeGroup,
    pub survivor_citizenship: Option<String>,
    #[graphql(default)]
    pub survivor_has_disability: bool,
    pub region: Region,
    pub district: String,
    pub services_requested: Vec<CentreService>,
    /// Identifying: encrypted at rest, read only by the parties.
    #[graphql(secret)]
    pub survivor_name: Option<String>,
    #[graphql(secret)]
    pub contact_phone: Option<String>,
    #[graphql(secret)]
    pub address: Option<String>,
    /// Free-text notes; identifying like the fields above.
    #[graphql(secret)]
    pub notes: Option<String>,
    /// Whether the survivor consented to the referral (needed before sending).
    #[graphql(default)]
    pub consent_given: bool,
    pub consent_scope: Option<String>,
}

/// Changes to a case: a field left out keeps its value; a text given empty clears it. A draft
/// takes every field; a case already referred only the survivor profile (`survivorSex`,
/// `survivorAgeGroup`, `survivorCitizenship`, `survivorHasDisability`) and the identifying
/// fields.
#[derive(InputObject, Default)]
pub struct UpdateCaseInput {
    pub kind: Option<CaseKind>,
    pub risk: Option<RiskLevel>,
    pub survivor_sex: Option<Sex>,
    pub survivor_age_group: Option<AgeGroup>,
    pub survivor_citizenship: Option<String>,
    pub survivor_has_disability: Option<bool>,
    pub region: Option<Region>,
    pub district: Option<String>,
    pub services_requested: Option<Vec<CentreService>>,
    /// Identifying: encrypted at rest, read only by the parties.
    #[graphql(secret)]
    pub survivor_name: Option<String>,
    #[graphql(secret)]
    pub contact_phone: Option<String>,
    #[graphql(secret)]
    pub address: Option<String>,
    /// Free-text notes; identifying like the fields above.
    #[graphql(secret)]
    pub notes: Option<String>,
    /// Drafts only.
    pub consent_given: Option<bool>,
    /// Drafts only; identifying free text.
    #[graphql(secret)]
    pub consent_scope: Option<String>,
}

impl From<UpdateCaseInput> for CaseChanges {
    fn from(input: UpdateCaseInput) -> Self {
        Self {
            kind: input.kind.map(Into::into),
            risk: input.risk.map(Into::into),
            survivor_sex: input.survivor_sex.map(Into::into),
            survivor_age_group: input.survivor_age_group.map(Into::into),
            survivor_citizenship: input.survivor_citizenship,
            survivor_has_disability: input.survivor_has_disability,
            region: input.region.map(Into::into),
            district: input.district,
            services_requested: input
                .services_requested
                .map(|services| services.into_iter().map(Into::into).collect()),
            survivor_name: input.survivor_name,
            contact_phone: input.contact_phone,
            address: input.address,
            notes: input.notes,
            consent_given: input.consent_given,
            consent_scope: input.consent_scope,
        }
    }
}

/// Orderings of `referralCases`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseOrderBy {
    /// Latest opened first.
    #[default]
    OpenedDesc,
    OpenedAsc,
    /// The earliest answer deadline first (a deadline is set when a case is referred);
    /// cases without one (drafts) last.
    ResponseDueAsc,
    /// The latest answer deadline first; cases without one (drafts) last.
    ResponseDueDesc,
    CodeAsc,
    CodeDesc,
}

impl From<CaseOrderBy> for CaseOrder {
    fn from(order: CaseOrderBy) -> Self {
        match order {
            CaseOrderBy::OpenedDesc => Self::OpenedDesc,
            CaseOrderBy::OpenedAsc => Self::OpenedAsc,
            CaseOrderBy::ResponseDueAsc => Self::ResponseDueAsc,
            CaseOrderBy::ResponseDueDesc => Self::ResponseDueDesc,
            CaseOrderBy::CodeAsc => Self::CodeAsc,
            CaseOrderBy::CodeDesc => Self::CodeDesc,
        }
    }
}

#[derive(Default)]
pub struct CaseQuery;

#[Object]
impl CaseQuery {
    /// One case: for the organisations party to it (and a previous receiver, without the
    /// identifying data) and the Programme Office (non-identifying fields).
    async fn referral_case(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ReferralCase>> {
        let id = parse_id(&id, "id")?;
        Ok(Some(ReferralCase(
            services(ctx)?.cases().get(actor(ctx)?, id).await?,
        )))
    }

    /// Cases you may see, latest opened first unless `orderBy` says otherwise.
    #[graphql(complexity = "super::common::connection_complexity(first, last, child_complexity)")]
    #[allow(
        clippy::too_many_arguments,
        reason = "each parameter is an argument of the field: Relay's four, the filter and the order"
    )]
    async fn referral_cases(
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
        filter: Option<CaseFilterInput>,
        order_by: Option<CaseOrderBy>,
    ) -> Result<PortalConnection<ReferralCase>> {
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
        let filter = CaseFilter {
            direction: input.direction.map(|direction| match direction {
                CaseDirection::Incoming => Direction::Incoming,
                CaseDirection::Outgoing => Direction::Outgoing,
            }),
            status: input.status.map(Into::into),
            kind: input.kind.map(Into::into),
            risk: input.risk.map(Into::into),
            overdue: input.overdue,
            region: input.region.map(Into::into),
            opened: DateRangeInput::validate(input.opened, "filter.opened")?,
            assigned_to_me: input.assigned_to_me,
            unassigned: input.unassigned,
        };
        let page = services(ctx)?
            .cases()
            .list(
                actor(ctx)?,
                &filter,
                order_by.unwrap_or_default().into(),
                &args,
            )
            .await?;
        Ok(connection(page, ReferralCase))
    }
}

#[derive(Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Opens a case (a draft) for your organisation. Partner organisations only.
    async fn create_referral_case(
        &self,
        ctx: &Context<'_>,
        input: CreateCaseInput,
    ) -> Result<ReferralCase> {
        let new = NewCase {
            kind: input.kind.into(),
            risk: input.risk.into(),
            survivor_sex: input.survivor_sex.into(),
            survivor_age_group: input.survivor_age_group.into(),
            survivor_citizenship: input.survivor_citizenship,
            survivor_has_disability: input.survivor_has_disability,
            region: input.region.into(),
            district: input.district,
            services_requested: input
                .services_requested
                .into_iter()
                .map(Into::into)
                .collect(),
            identifying: Identifying {
                survivor_name: input.survivor_name,
                contact_phone: input.contact_phone,
                address: input.address,
                notes: input.notes,
            },
            consent_given: input.consent_given,
            consent_scope: input.consent_scope,
        };
        Ok(ReferralCase(
            services(ctx)?.cases().create(caller(ctx)?, new).await?,
        ))
    }

    /// Edits a case read at `version` (`CONFLICT` when it changed since): a draft's every field
    /// by its referrer; a referred, accepted, in-service or declined case's survivor profile
    /// and identifying fields by a current party. Closed and withdrawn cases stay as they are.
    async fn update_referral_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateCaseInput,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .update(caller(ctx)?, id, version, input.into())
                .await?,
        ))
    }

    /// Deletes a draft opened by mistake, erasing its identifying data for good; returns its
    /// id. Its code is never reused. The referring organisation only.
    async fn delete_draft_referral_case(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let id = parse_id(&id, "id")?;
        Ok(to_id(
            services(ctx)?
                .cases()
                .delete_draft(caller(ctx)?, id)
                .await?,
        ))
    }

    /// Assigns a case in your organisation to `accountId`, an active member of it (`null`:
    /// unassigns). A partner manager assigns anyone; a partner takes the case or gives it
    /// back. The other party's assignee is not affected.
    async fn assign_referral_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        account_id: Option<ID>,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        let account = optional_id(account_id, "accountId")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .assign(caller(ctx)?, id, account)
                .await?,
        ))
    }

    /// Adds a follow-up note to a case: its current parties only. The text is identifying:
    /// sealed at rest, shown to the current parties, erased when consent is withdrawn.
    async fn add_case_note(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(secret)] text: String,
    ) -> Result<CaseNote> {
        let id = parse_id(&id, "id")?;
        Ok(CaseNote(
            services(ctx)?
                .cases()
                .add_note(caller(ctx)?, id, text)
                .await?,
        ))
    }

    /// Records the survivor's consent on a draft.
    async fn record_case_consent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        scope: Option<String>,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .record_consent(caller(ctx)?, id, scope)
                .await?,
        ))
    }

    /// Sends a draft to a receiving organisation (optionally one of its centres accepting
    /// referrals). Needs recorded consent.
    async fn send_referral_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        receiving_organisation_id: ID,
        receiving_centre_id: Option<ID>,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        let organisation = parse_id(&receiving_organisation_id, "receivingOrganisationId")?;
        let centre = optional_id(receiving_centre_id, "receivingCentreId")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .send(caller(ctx)?, id, organisation, centre)
                .await?,
        ))
    }

    /// The receiving organisation accepts the referral.
    async fn accept_referral_case(&self, ctx: &Context<'_>, id: ID) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?.cases().accept(caller(ctx)?, id).await?,
        ))
    }

    /// The receiving organisation declines the referral, with a coded reason.
    async fn decline_referral_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: DeclineReason,
        comment: Option<String>,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .decline(caller(ctx)?, id, reason.into(), comment)
                .await?,
        ))
    }

    /// The receiving organisation starts providing services.
    async fn start_referral_service(&self, ctx: &Context<'_>, id: ID) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .start_service(caller(ctx)?, id)
                .await?,
        ))
    }

    /// Closes a case with an outcome.
    async fn close_referral_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        outcome: CaseOutcome,
        comment: Option<String>,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .close(caller(ctx)?, id, outcome.into(), comment)
                .await?,
        ))
    }

    /// The referring organisation withdraws a referral not yet answered.
    async fn withdraw_referral_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        comment: Option<String>,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .withdraw(caller(ctx)?, id, comment)
                .await?,
        ))
    }

    /// Refers the case onward to another organisation.
    async fn refer_case_onward(
        &self,
        ctx: &Context<'_>,
        id: ID,
        receiving_organisation_id: ID,
        receiving_centre_id: Option<ID>,
        comment: Option<String>,
    ) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        let organisation = parse_id(&receiving_organisation_id, "receivingOrganisationId")?;
        let centre = optional_id(receiving_centre_id, "receivingCentreId")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .refer_onward(caller(ctx)?, id, organisation, centre, comment)
                .await?,
        ))
    }

    /// The survivor withdrew consent: erases the identifying data for good and closes the case.
    async fn withdraw_case_consent(&self, ctx: &Context<'_>, id: ID) -> Result<ReferralCase> {
        let id = parse_id(&id, "id")?;
        Ok(ReferralCase(
            services(ctx)?
                .cases()
                .withdraw_consent(caller(ctx)?, id)
                .await?,
        ))
    }
}
