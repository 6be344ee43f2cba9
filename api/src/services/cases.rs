//! Referral cases between partner organisations: opening a case, the referral workflow of
//! DESIGN.md, deadlines, and the survivor-identifying data, which is encrypted at rest and read
//! only by the current parties, each read audited.
//!
//! Every transition writes the case, its transition row and its audit entry in one
//! transaction, guarded by the case's version: of two concurrent transitions one wins and the
//! other gets `CONFLICT`. The event for live subscribers is published after the commit.

use chrono::{DateTime, Duration, Utc};
use entity::{
    account, audit_entry, case_assignment, case_code_counter, case_note, case_party,
    enums::{
        AccountStatus, AgeGroup, CaseKind, CaseOutcome, CaseStatus, CentreService, DeclineReason,
        Region, RiskLevel, Role, Sex,
    },
    localized::CodeList,
    organisation, referral_case, referral_transition, resource_centre,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, Statement,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit::{self, AuditRecord},
    case_events::{CaseChange, CaseEvent, CaseEventBus},
    input::{Problems, Stored, trimmed},
    notifications,
    pagination::{DateRange, KeyKind, KeysetOrder, Page, PageArgs},
    rows::OneOrNotFound,
    values::District,
};
use crate::{
    auth::{Actor, Caller},
    crypto::{DataKeys, OwnerKey},
    db,
    error::{ApiError, ApiResult},
    policy::{self, CaseParty},
};

/// How long a receiving organisation has to answer a referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseDeadlines {
    pub standard: Duration,
    /// For `HIGH` risk cases: shorter.
    pub high_risk: Duration,
}

impl Default for CaseDeadlines {
    fn default() -> Self {
        Self {
            standard: Duration::hours(72),
            high_risk: Duration::hours(24),
        }
    }
}

impl CaseDeadlines {
    fn for_risk(self, risk: RiskLevel) -> Duration {
        match risk {
            RiskLevel::High => self.high_risk,
            RiskLevel::Low | RiskLevel::Medium => self.standard,
        }
    }
}

/// The survivor-identifying fields, in plain text: only ever in memory.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Identifying {
    pub survivor_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
}

impl std::fmt::Debug for Identifying {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Identifying(..)")
    }
}

/// A new case.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub kind: CaseKind,
    pub risk: RiskLevel,
    pub survivor_sex: Sex,
    pub survivor_age_group: AgeGroup,
    pub survivor_citizenship: Option<String>,
    pub survivor_has_disability: bool,
    pub region: Region,
    pub district: String,
    pub services_requested: Vec<CentreService>,
    pub identifying: Identifying,
    pub consent_given: bool,
    pub consent_scope: Option<String>,
}

/// Which cases of the caller's organisation a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Referred to the organisation (now or before an onward referral).
    Incoming,
    /// Referred by the organisation.
    Outgoing,
}

/// Filters of the case list; all given filters must hold.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub direction: Option<Direction>,
    pub status: Option<CaseStatus>,
    pub kind: Option<CaseKind>,
    pub risk: Option<RiskLevel>,
    /// Referred, unanswered and past the deadline.
    pub overdue: Option<bool>,
    pub region: Option<Region>,
    /// Cases opened within the range.
    pub opened: DateRange,
    /// Assigned (or not) to the caller in the caller's organisation.
    pub assigned_to_me: Option<bool>,
    /// Assigned to nobody (or to someone) in the caller's organisation.
    pub unassigned: Option<bool>,
}

impl CaseFilter {
    /// Whether every filter given is one `case_party` holds: the direction and the period.
    fn counts_from_parties(&self) -> bool {
        let Self {
            direction: _,
            status,
            kind,
            risk,
            overdue,
            region,
            opened: _,
            assigned_to_me,
            unassigned,
        } = self;
        status.is_none()
            && kind.is_none()
            && risk.is_none()
            && overdue.is_none()
            && region.is_none()
            && assigned_to_me.is_none()
            && unassigned.is_none()
    }
}

/// Cases opened within `range` (whole days, UTC), by `column`: the case's own `created_at`, or
/// `case_party`'s copy of it.
fn opened_within(column: impl ColumnTrait, range: DateRange) -> Condition {
    let start = |day: chrono::NaiveDate| day.and_time(chrono::NaiveTime::MIN).and_utc();
    let mut condition = Condition::all();
    if let Some(from) = range.from {
        condition = condition.add(column.gte(start(from)));
    }
    if let Some(to) = range.to {
        condition = condition.add(column.lt(start(to.succ_opt().unwrap_or(to))));
    }
    condition
}

/// An entry of a case's access log: who read the identifying data, when.
#[derive(Clone, Debug)]
pub struct AccessLogEntry {
    pub at: DateTime<Utc>,
    pub account_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
}

const MAX_IDENTIFYING: usize = 2_000;
const MAX_COMMENT: usize = 1_000;
const MAX_NOTE: usize = 2_000;

/// A follow-up note on a case, as a reader sees it.
#[derive(Clone)]
pub struct CaseNote {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The author's account: only for readers of the author's own organisation (as in the
    /// access log).
    pub author_account_id: Option<Uuid>,
    pub organisation_id: Uuid,
    /// The text: `None` after consent was withdrawn, or when it was not asked for.
    pub text: Option<String>,
}

impl std::fmt::Debug for CaseNote {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CaseNote")
            .field("id", &self.id)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// Whether a case is past its answer deadline.
pub fn is_overdue(case: &referral_case::Model, now: DateTime<Utc>) -> bool {
    case.status == CaseStatus::Referred && case.response_due_at.is_some_and(|due| due < now)
}

/// Orderings of the case list, on non-identifying columns only (never a survivor's data,
/// which is ciphertext anyway and must not leak through an order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaseOrder {
    /// Latest opened first.
    #[default]
    OpenedDesc,
    OpenedAsc,
    /// The earliest answer deadline first; cases without one (drafts) last.
    ResponseDueAsc,
    /// The latest answer deadline first; cases without one (drafts) last.
    ResponseDueDesc,
    CodeAsc,
    CodeDesc,
}

impl CaseOrder {
    /// The name in cursors, and whether the order is descending.
    fn name(self) -> (&'static str, bool) {
        match self {
            Self::OpenedDesc => ("OPENED_DESC", true),
            Self::OpenedAsc => ("OPENED_ASC", false),
            Self::ResponseDueAsc => ("RESPONSE_DUE_ASC", false),
            Self::ResponseDueDesc => ("RESPONSE_DUE_DESC", true),
            Self::CodeAsc => ("CODE_ASC", false),
            Self::CodeDesc => ("CODE_DESC", true),
        }
    }

    /// The same ordering on `case_party`'s copy of the opening time, for a partner's list
    /// joined to its rows there ([`policy::case_list`]): its pages are read in that table's
    /// index order (its cursors are the same as [`CaseOrder::keyset`]'s). `None` for the
    /// orders whose key `case_party` has no copy of.
    fn party_keyset(self) -> Option<KeysetOrder<referral_case::Entity, case_party::Column>> {
        let (name, descending) = self.name();
        matches!(self, Self::OpenedDesc | Self::OpenedAsc).then_some(KeysetOrder {
            name,
            column: case_party::Column::CaseCreatedAt,
            kind: KeyKind::Timestamp,
            descending,
            nullable: false,
            id_column: case_party::Column::CaseId,
            key_of: |row| Some(row.created_at.to_rfc3339()),
            id_of: |row| row.id,
        })
    }

    fn keyset(self) -> KeysetOrder<referral_case::Entity> {
        let (name, descending) = self.name();
        let (column, kind, nullable, key_of): (_, _, _, fn(&referral_case::Model) -> _) = match self
        {
            Self::OpenedDesc | Self::OpenedAsc => (
                referral_case::Column::CreatedAt,
                KeyKind::Timestamp,
                false,
                |row| Some(row.created_at.to_rfc3339()),
            ),
            Self::ResponseDueAsc | Self::ResponseDueDesc => (
                referral_case::Column::ResponseDueAt,
                KeyKind::Timestamp,
                true,
                |row| row.response_due_at.map(|due| due.to_rfc3339()),
            ),
            Self::CodeAsc | Self::CodeDesc => {
                (referral_case::Column::Code, KeyKind::Text, false, |row| {
                    Some(row.code.clone())
                })
            }
        };
        KeysetOrder {
            name,
            column,
            kind,
            descending,
            nullable,
            id_column: referral_case::Column::Id,
            key_of,
            id_of: |row| row.id,
        }
    }
}

/// The associated data that binds an encrypted value to its case and column.
fn context(case_id: Uuid, column: &str) -> Vec<u8> {
    format!("referral_case.{column}:{case_id}").into_bytes()
}

/// The associated data of a case's own key, wrapped under the data keys.
fn key_context(case_id: Uuid) -> Vec<u8> {
    context(case_id, "data_key")
}

/// The associated data of a transition's comment.
fn comment_context(case_id: Uuid, transition_id: Uuid) -> Vec<u8> {
    format!("referral_transition.comment:{case_id}:{transition_id}").into_bytes()
}

/// The associated data of a note's text.
fn note_context(case_id: Uuid, note_id: Uuid) -> Vec<u8> {
    format!("case_note.text:{case_id}:{note_id}").into_bytes()
}

/// Seals an optional text with a case's key.
fn seal(key: &OwnerKey, text: Option<&str>, context: &[u8]) -> ApiResult<Option<Vec<u8>>> {
    text.map(|text| {
        key.encrypt(text.as_bytes(), context)
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("seal a case value: {error}")))
    })
    .transpose()
}

/// Opens an optional value sealed with a case's key.
fn unseal(key: &OwnerKey, envelope: Option<&[u8]>, context: &[u8]) -> ApiResult<Option<String>> {
    envelope
        .map(|envelope| {
            let bytes = key.decrypt(envelope, context).map_err(|error| {
                ApiError::Internal(anyhow::anyhow!("open a case value: {error}"))
            })?;
            String::from_utf8(bytes)
                .map_err(|_| ApiError::Internal(anyhow::anyhow!("a case value is not text")))
        })
        .transpose()
}

/// The identifying fields sealed with the case's key, in column order.
fn seal_identifying(
    key: &OwnerKey,
    case_id: Uuid,
    identifying: &Identifying,
) -> ApiResult<[Option<Vec<u8>>; 4]> {
    let sealed = |value: &Option<String>, column: &str| {
        seal(key, value.as_deref(), &context(case_id, column))
    };
    Ok([
        sealed(&identifying.survivor_name, "survivor_name")?,
        sealed(&identifying.contact_phone, "contact_phone")?,
        sealed(&identifying.address, "address")?,
        sealed(&identifying.notes, "notes")?,
    ])
}

/// What the survivor's free text and identifying fields are sealed as, in the case's row.
struct SealedCase {
    data_key: Vec<u8>,
    fields: [Option<Vec<u8>>; 4],
    consent_scope: Option<Vec<u8>>,
}

/// Case rules.
pub struct Cases<'a> {
    pub(super) db: &'a db::Db,
    pub(super) keys: &'a DataKeys,
    pub(super) deadlines: CaseDeadlines,
    pub(super) events: &'a CaseEventBus,
}

/// One step of the workflow: from which statuses, by which party, to which status.
pub struct Step {
    /// The action's name in messages.
    name: &'static str,
    /// Its audit action.
    audit: &'static str,
    /// Allowed (current status, acting party) pairs.
    allowed: &'static [(CaseStatus, CaseParty)],
    to: CaseStatus,
    change: CaseChange,
    /// Whether the step erases the case's identifying data and free text.
    erases: bool,
}

const SEND: Step = Step {
    name: "send",
    audit: "case.send",
    allowed: &[(CaseStatus::Draft, CaseParty::Referrer)],
    to: CaseStatus::Referred,
    change: CaseChange::Referred,
    erases: false,
};
const ACCEPT: Step = Step {
    name: "accept",
    audit: "case.accept",
    allowed: &[(CaseStatus::Referred, CaseParty::Receiver)],
    to: CaseStatus::Accepted,
    change: CaseChange::Accepted,
    erases: false,
};
const DECLINE: Step = Step {
    name: "decline",
    audit: "case.decline",
    allowed: &[(CaseStatus::Referred, CaseParty::Receiver)],
    to: CaseStatus::Declined,
    change: CaseChange::Declined,
    erases: false,
};
const START: Step = Step {
    name: "start service",
    audit: "case.start_service",
    allowed: &[(CaseStatus::Accepted, CaseParty::Receiver)],
    to: CaseStatus::InService,
    change: CaseChange::ServiceStarted,
    erases: false,
};
const CLOSE: Step = Step {
    name: "close",
    audit: "case.close",
    allowed: &[
        (CaseStatus::InService, CaseParty::Receiver),
        (CaseStatus::Declined, CaseParty::Referrer),
    ],
    to: CaseStatus::Closed,
    change: CaseChange::Closed,
    erases: false,
};
const WITHDRAW: Step = Step {
    name: "withdraw",
    audit: "case.withdraw",
    allowed: &[(CaseStatus::Referred, CaseParty::Referrer)],
    to: CaseStatus::Withdrawn,
    change: CaseChange::Withdrawn,
    erases: false,
};
const REFER_ONWARD: Step = Step {
    name: "refer onward",
    audit: "case.refer_onward",
    allowed: &[
        (CaseStatus::Declined, CaseParty::Referrer),
        (CaseStatus::Accepted, CaseParty::Receiver),
        (CaseStatus::InService, CaseParty::Receiver),
    ],
    to: CaseStatus::Referred,
    change: CaseChange::Referred,
    erases: false,
};
const WITHDRAW_CONSENT: Step = Step {
    name: "withdraw consent",
    audit: "case.withdraw_consent",
    allowed: &[
        (CaseStatus::Draft, CaseParty::Referrer),
        (CaseStatus::Referred, CaseParty::Referrer),
        (CaseStatus::Referred, CaseParty::Receiver),
        (CaseStatus::Accepted, CaseParty::Referrer),
        (CaseStatus::Accepted, CaseParty::Receiver),
        (CaseStatus::InService, CaseParty::Referrer),
        (CaseStatus::InService, CaseParty::Receiver),
        (CaseStatus::Declined, CaseParty::Referrer),
        (CaseStatus::Declined, CaseParty::Receiver),
    ],
    to: CaseStatus::Closed,
    change: CaseChange::ConsentWithdrawn,
    erases: true,
};

/// A step of the workflow by name: what a party does to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Send,
    Accept,
    Decline,
    StartService,
    Close,
    Withdraw,
    ReferOnward,
    WithdrawConsent,
}

impl Action {
    fn step(self) -> &'static Step {
        match self {
            Self::Send => &SEND,
            Self::Accept => &ACCEPT,
            Self::Decline => &DECLINE,
            Self::StartService => &START,
            Self::Close => &CLOSE,
            Self::Withdraw => &WITHDRAW,
            Self::ReferOnward => &REFER_ONWARD,
            Self::WithdrawConsent => &WITHDRAW_CONSENT,
        }
    }
}

impl Step {
    /// The status the step reaches.
    pub fn to(&self) -> CaseStatus {
        self.to
    }

    /// The parties who may take the step on a case in `from` (none: not allowed now).
    pub fn parties_from(&self, from: CaseStatus) -> impl Iterator<Item = CaseParty> + '_ {
        self.allowed
            .iter()
            .filter(move |(status, _)| *status == from)
            .map(|(_, party)| *party)
    }
}

/// The workflow's step for `action` on a case in `from`, when some party may take it now: the
/// one table both the services' transitions and the demo loader's replayed histories follow.
pub fn step_for(from: CaseStatus, action: Action) -> Option<&'static Step> {
    let step = action.step();
    step.parties_from(from).next().is_some().then_some(step)
}

/// A proposed receiving centre, as the receiver rule needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceivingCentre {
    pub operator_id: Uuid,
    pub active: bool,
    pub accepting_referrals: bool,
}

/// A proposed receiver of a referral (a send or an onward referral).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposedReceiver {
    pub organisation_id: Uuid,
    /// Whether an active organisation has this id.
    pub organisation_active: bool,
    /// The chosen centre, if one was chosen: `Some(None)` when no centre has its id.
    pub centre: Option<Option<ReceivingCentre>>,
}

/// Why a proposed receiver may not receive a referral of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiverRefusal {
    /// The referrer, or the current receiver.
    AlreadyParty,
    NoActiveOrganisation,
    /// Not a centre, not active, or not the receiving organisation's.
    NotItsActiveCentre,
    CentreNotAccepting,
}

impl ReceiverRefusal {
    /// The input field at fault and the message, as the API answers them.
    pub fn field_and_message(self) -> (&'static str, &'static str) {
        match self {
            Self::AlreadyParty => (
                "receivingOrganisationId",
                "Refer the case to an organisation that is not already party to it.",
            ),
            Self::NoActiveOrganisation => (
                "receivingOrganisationId",
                "There is no active organisation with this id.",
            ),
            Self::NotItsActiveCentre => (
                "receivingCentreId",
                "The centre must be an active centre of the receiving organisation.",
            ),
            Self::CentreNotAccepting => (
                "receivingCentreId",
                "This centre is not accepting referrals now.",
            ),
        }
    }
}

/// The receiver rule: an active organisation not yet party to `case`, and optionally an active
/// centre of it that takes referrals. The services check every referral with it, the demo
/// loader every referral it replays.
pub fn receiver_refusal(
    case: &referral_case::Model,
    proposed: &ProposedReceiver,
) -> Option<ReceiverRefusal> {
    let to = proposed.organisation_id;
    if to == case.referring_organisation_id || Some(to) == case.receiving_organisation_id {
        return Some(ReceiverRefusal::AlreadyParty);
    }
    if !proposed.organisation_active {
        return Some(ReceiverRefusal::NoActiveOrganisation);
    }
    match proposed.centre {
        None => None,
        Some(Some(centre)) if centre.operator_id == to && centre.active => {
            (!centre.accepting_referrals).then_some(ReceiverRefusal::CentreNotAccepting)
        }
        Some(_) => Some(ReceiverRefusal::NotItsActiveCentre),
    }
}

fn code_of(status: CaseStatus) -> String {
    sea_orm::ActiveEnum::to_value(&status)
}

/// What a transition records beyond the status change.
#[derive(Default)]
struct TransitionNote {
    reason: Option<DeclineReason>,
    comment: Option<String>,
}

impl Cases<'_> {
    /// Opens a case for the caller's organisation, as a draft. The identifying fields are
    /// encrypted before they leave this function.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `FORBIDDEN` for the Programme Office (it does not refer survivors);
    /// `BAD_USER_INPUT` naming each invalid field.
    pub async fn create(&self, caller: &Caller, new: NewCase) -> ApiResult<referral_case::Model> {
        let member = caller.actor.signed_in()?;
        let Some(organisation_id) = policy::partner_organisation(&caller.actor) else {
            return Err(ApiError::Forbidden);
        };
        let mut problems = Problems::new();
        let district = problems.parse("input.district", District::parse(&new.district));
        let citizenship = checked_citizenship(&mut problems, new.survivor_citizenship);
        let identifying = Identifying {
            survivor_name: problems.text("input.survivorName", new.identifying.survivor_name, 200),
            contact_phone: problems.text("input.contactPhone", new.identifying.contact_phone, 32),
            address: problems.text("input.address", new.identifying.address, 300),
            notes: problems.text("input.notes", new.identifying.notes, MAX_IDENTIFYING),
        };
        let consent_scope = problems.text("input.consentScope", new.consent_scope, MAX_COMMENT);
        problems.not_empty(
            "input.servicesRequested",
            &new.services_requested,
            "Name at least one service the survivor needs.",
        );
        let district = problems.finish_with(|| district)?;
        let mut services: Vec<String> = new
            .services_requested
            .iter()
            .map(sea_orm::ActiveEnum::to_value)
            .collect();
        services.sort();
        services.dedup();

        let now = Utc::now();
        let id = Uuid::now_v7();
        let (key, data_key) = self.new_case_key(id)?;
        let sealed = SealedCase {
            fields: seal_identifying(&key, id, &identifying)?,
            consent_scope: seal(
                &key,
                consent_scope.as_deref(),
                &context(id, "consent_scope"),
            )?,
            data_key,
        };
        let txn = self.db.begin().await?;
        let code = next_code(&txn, now).await?;
        let case = referral_case::Model {
            id,
            code,
            kind: new.kind,
            status: CaseStatus::Draft,
            risk: new.risk,
            survivor_sex: new.survivor_sex,
            survivor_age_group: new.survivor_age_group,
            survivor_citizenship: citizenship,
            survivor_has_disability: new.survivor_has_disability,
            region: new.region,
            district: district.into(),
            services_requested: CodeList(services),
            referring_organisation_id: organisation_id,
            receiving_organisation_id: None,
            receiving_centre_id: None,
            consent_given: new.consent_given,
            legacy_consent_scope: None,
            consent_scope_sealed: sealed.consent_scope,
            consent_recorded_at: new.consent_given.then_some(now),
            consent_recorded_by_id: new.consent_given.then_some(member.account_id),
            referred_at: None,
            response_due_at: None,
            first_response_at: None,
            closed_at: None,
            outcome: None,
            survivor_name: sealed.fields[0].clone(),
            contact_phone: sealed.fields[1].clone(),
            address: sealed.fields[2].clone(),
            notes: sealed.fields[3].clone(),
            data_key: Some(sealed.data_key),
            erased_at: None,
            created_by_id: member.account_id,
            version: 1,
            created_at: now,
            updated_at: now,
        }
        .into_active_model()
        .insert(&txn)
        .await?;
        referral_transition::Model {
            id: Uuid::now_v7(),
            case_id: case.id,
            from_status: None,
            to_status: CaseStatus::Draft,
            actor_account_id: member.account_id,
            actor_organisation_id: Some(organisation_id),
            receiving_organisation_id: None,
            reason: None,
            legacy_comment: None,
            comment_sealed: None,
            at: now,
        }
        .into_active_model()
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("case.create", "referral_case", case.id),
        )
        .await?;
        txn.commit().await?;
        Ok(case)
    }

    /// A new key of the case `case_id`, and that key wrapped under the current data key.
    fn new_case_key(&self, case_id: Uuid) -> ApiResult<(OwnerKey, Vec<u8>)> {
        self.keys
            .new_owner_key(&key_context(case_id))
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("new case key: {error}")))
    }

    /// The case's own key; `None` once erased.
    fn case_key(&self, case: &referral_case::Model) -> ApiResult<Option<OwnerKey>> {
        case.data_key
            .as_deref()
            .map(|wrapped| {
                self.keys
                    .open_owner_key(wrapped, &key_context(case.id))
                    .map_err(|error| ApiError::Internal(anyhow::anyhow!("open case key: {error}")))
            })
            .transpose()
    }

    /// One case the actor may see.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public; `NOT_FOUND` when it does not exist or is hidden.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> ApiResult<referral_case::Model> {
        actor.signed_in()?;
        referral_case::Entity::find_by_id(id)
            .filter(policy::visible_cases(actor))
            .one_or_not_found(self.db, "Referral case")
            .await
    }

    /// The cases among `ids` that the actor may see (for DataLoaders); none for the public.
    ///
    /// # Errors
    /// Database errors.
    pub async fn by_ids(
        &self,
        actor: &Actor,
        ids: &[Uuid],
    ) -> ApiResult<Vec<referral_case::Model>> {
        if actor.member().is_none() || ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(referral_case::Entity::find()
            .filter(referral_case::Column::Id.is_in(ids.iter().copied()))
            .filter(policy::visible_cases(actor))
            .all(self.db)
            .await?)
    }

    /// A page of the cases the actor may see, in `order`.
    ///
    /// # Errors
    /// `UNAUTHENTICATED` for the public; `BAD_USER_INPUT` for an invalid cursor or a direction
    /// asked by the Programme Office (it refers and receives nothing).
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageArgs,
    ) -> ApiResult<Page<referral_case::Model>> {
        actor.signed_in()?;
        let policy::CaseList {
            mut select,
            parties,
        } = policy::case_list(actor);
        // What a partner's own rows of `case_party` hold of the filter (its side of each case,
        // and the opening time), applied to the page and the count alike.
        let mut on_parties = Condition::all();
        if let Some(direction) = filter.direction {
            if parties.is_none() {
                return Err(ApiError::bad_input(
                    "filter.direction",
                    "Incoming and outgoing are for partner organisations; the Programme Office sees every case.",
                ));
            }
            on_parties =
                on_parties.add(case_party::Column::Refers.eq(direction == Direction::Outgoing));
        }
        if let Some(status) = filter.status {
            select = select.filter(referral_case::Column::Status.eq(status));
        }
        if let Some(kind) = filter.kind {
            select = select.filter(referral_case::Column::Kind.eq(kind));
        }
        if let Some(risk) = filter.risk {
            select = select.filter(referral_case::Column::Risk.eq(risk));
        }
        if let Some(region) = filter.region {
            select = select.filter(referral_case::Column::Region.eq(region));
        }
        if let Some(overdue) = filter.overdue {
            let past_due = Expr::col(referral_case::Column::Status)
                .eq(sea_orm::ActiveEnum::to_value(&CaseStatus::Referred))
                .and(Expr::col(referral_case::Column::ResponseDueAt).lt(Utc::now()));
            select = select.filter(if overdue { past_due } else { past_due.not() });
        }
        if filter.assigned_to_me.is_some() || filter.unassigned.is_some() {
            let (Some(member), Some(organisation_id)) = (
                actor.signed_in().ok().map(|member| member.account_id),
                policy::partner_organisation(actor),
            ) else {
                return Err(ApiError::bad_input(
                    "filter",
                    "Assignment filters are for partner organisations, which assign their cases.",
                ));
            };
            let assigned = |account: Option<Uuid>| {
                let mut query = Query::select();
                query
                    .column(case_assignment::Column::CaseId)
                    .from(case_assignment::Entity)
                    .and_where(case_assignment::Column::OrganisationId.eq(organisation_id));
                if let Some(account) = account {
                    query.and_where(case_assignment::Column::AccountId.eq(account));
                }
                query.to_owned()
            };
            if let Some(mine) = filter.assigned_to_me {
                let ids = assigned(Some(member));
                select = select.filter(if mine {
                    referral_case::Column::Id.in_subquery(ids)
                } else {
                    referral_case::Column::Id.not_in_subquery(ids)
                });
            }
            if let Some(unassigned) = filter.unassigned {
                let ids = assigned(None);
                select = select.filter(if unassigned {
                    referral_case::Column::Id.not_in_subquery(ids)
                } else {
                    referral_case::Column::Id.in_subquery(ids)
                });
            }
        }
        // A partner's period is read on `case_party`'s copy of the opening time, next to its
        // organisation and side in one index.
        if parties.is_some() {
            on_parties = on_parties.add(opened_within(
                case_party::Column::CaseCreatedAt,
                filter.opened,
            ));
        } else {
            select = select.filter(opened_within(
                referral_case::Column::CreatedAt,
                filter.opened,
            ));
        }
        select = select.filter(on_parties.clone());
        // With no filter but the side and the period, a partner's count is its rows of
        // `case_party`, counted from that table's index alone.
        let total_count = match parties.as_ref().filter(|_| filter.counts_from_parties()) {
            _ if !page.with_total => None,
            Some(parties) => Some(parties.clone().filter(on_parties).count(self.db).await?),
            None => Some(select.clone().count(self.db).await?),
        };
        let mut result = match order.party_keyset().filter(|_| parties.is_some()) {
            Some(keyset) => keyset.fetch_rows(self.db, select, page).await?,
            None => order.keyset().fetch_rows(self.db, select, page).await?,
        };
        result.total_count = total_count;
        Ok(result)
    }

    /// The histories of the visible cases among `case_ids`, oldest step first, in one
    /// statement (statuses and reasons; comments stay sealed: see [`Cases::comments`]).
    ///
    /// # Errors
    /// Database errors.
    pub async fn histories(
        &self,
        actor: &Actor,
        case_ids: &[Uuid],
    ) -> ApiResult<Vec<referral_transition::Model>> {
        let visible = Query::select()
            .column(referral_case::Column::Id)
            .from(referral_case::Entity)
            .cond_where(policy::visible_cases(actor))
            .to_owned();
        Ok(referral_transition::Entity::find()
            .filter(referral_transition::Column::CaseId.is_in(case_ids.iter().copied()))
            .filter(referral_transition::Column::CaseId.in_subquery(visible))
            .order_by_asc(referral_transition::Column::At)
            .order_by_asc(referral_transition::Column::Id)
            .all(self.db)
            .await?)
    }

    /// The identifying fields of a case, decrypted for a current party; every read is audited
    /// (`case.read_identifying`), and so is every refused attempt.
    ///
    /// # Errors
    /// `NOT_FOUND` for a hidden case; `FORBIDDEN` for anyone but the current parties (the
    /// Programme Office included); `CONFLICT` after consent was withdrawn (the data is gone).
    pub async fn read_identifying(&self, caller: &Caller, case_id: Uuid) -> ApiResult<Identifying> {
        let case = self.get(&caller.actor, case_id).await?;
        if !policy::can_read_identifying(&caller.actor, &case) {
            audit::record(
                self.db,
                caller,
                AuditRecord::success(READ_IDENTIFYING, "referral_case", case.id)
                    .with_outcome(entity::enums::AuditOutcome::Denied),
            )
            .await?;
            return Err(ApiError::Forbidden);
        }
        if case.erased_at.is_some() {
            return Err(ApiError::Conflict(
                "The survivor withdrew consent; the identifying data was erased.".into(),
            ));
        }
        let Some(key) = self.case_key(&case)? else {
            return Err(ApiError::Conflict(
                "The survivor withdrew consent; the identifying data was erased.".into(),
            ));
        };
        let open = |value: &Option<Vec<u8>>, column: &str| {
            unseal(&key, value.as_deref(), &context(case.id, column))
        };
        let identifying = Identifying {
            survivor_name: open(&case.survivor_name, "survivor_name")?,
            contact_phone: open(&case.contact_phone, "contact_phone")?,
            address: open(&case.address, "address")?,
            notes: open(&case.notes, "notes")?,
        };
        audit::record(
            self.db,
            caller,
            AuditRecord::success(READ_IDENTIFYING, "referral_case", case.id),
        )
        .await?;
        Ok(identifying)
    }

    /// The consent scope of `case` (read by the caller through the API), for its current
    /// parties; `None` for everyone else (the Programme Office sees codes only), when there is
    /// none, and after erasure. Every read of a scope is audited like the identifying fields.
    ///
    /// # Errors
    /// Database errors; `INTERNAL` when the value does not open.
    pub async fn consent_scope(
        &self,
        caller: &Caller,
        case: &referral_case::Model,
    ) -> ApiResult<Option<String>> {
        if !policy::can_read_identifying(&caller.actor, case) || case.consent_scope_sealed.is_none()
        {
            return Ok(None);
        }
        let Some(key) = self.case_key(case)? else {
            return Ok(None);
        };
        let scope = unseal(
            &key,
            case.consent_scope_sealed.as_deref(),
            &context(case.id, "consent_scope"),
        )?;
        self.audit_free_text_read(caller, case.id, "consent_scope")
            .await?;
        Ok(scope)
    }

    /// The comments of `transitions`, steps of `case`'s history, by transition id: for the
    /// case's current parties only (previous receivers and the Programme Office see the coded
    /// history without them); none after erasure. A read that opens any comment is audited.
    ///
    /// # Errors
    /// Database errors; `INTERNAL` when a value does not open.
    pub async fn comments(
        &self,
        caller: &Caller,
        case: &referral_case::Model,
        transitions: &[referral_transition::Model],
    ) -> ApiResult<std::collections::HashMap<Uuid, String>> {
        let mut comments = std::collections::HashMap::new();
        let sealed: Vec<_> = transitions
            .iter()
            .filter(|step| step.case_id == case.id && step.comment_sealed.is_some())
            .collect();
        if sealed.is_empty() || !policy::can_read_identifying(&caller.actor, case) {
            return Ok(comments);
        }
        let Some(key) = self.case_key(case)? else {
            return Ok(comments);
        };
        for step in sealed {
            if let Some(comment) = unseal(
                &key,
                step.comment_sealed.as_deref(),
                &comment_context(case.id, step.id),
            )? {
                comments.insert(step.id, comment);
            }
        }
        self.audit_free_text_read(caller, case.id, "comments")
            .await?;
        Ok(comments)
    }

    async fn audit_free_text_read(
        &self,
        caller: &Caller,
        case_id: Uuid,
        fields: &'static str,
    ) -> ApiResult<()> {
        let mut record = AuditRecord::success("case.read_identifying", "referral_case", case_id);
        record.detail = Some(json!({ "fields": fields }));
        audit::record(self.db, caller, record).await?;
        Ok(())
    }

    /// Who read the case's identifying data, latest first; for the current parties.
    ///
    /// # Errors
    /// `NOT_FOUND` for a hidden case; `FORBIDDEN` for anyone but the current parties.
    pub async fn access_log(
        &self,
        caller: &Caller,
        case_id: Uuid,
    ) -> ApiResult<Vec<AccessLogEntry>> {
        let case = self.get(&caller.actor, case_id).await?;
        if !policy::can_read_case_access_log(&caller.actor, &case) {
            return Err(ApiError::Forbidden);
        }
        Ok(audit_entry::Entity::find()
            .filter(audit_entry::Column::EntityId.eq(case_id))
            .filter(audit_entry::Column::Action.eq(READ_IDENTIFYING))
            .filter(audit_entry::Column::Outcome.eq(entity::enums::AuditOutcome::Success))
            .order_by_desc(audit_entry::Column::At)
            .all(self.db)
            .await?
            .into_iter()
            .map(|entry| AccessLogEntry {
                at: entry.at,
                account_id: entry.actor_account_id.filter(|_| {
                    policy::can_identify_reader(&caller.actor, entry.actor_organisation_id)
                }),
                organisation_id: entry.actor_organisation_id,
            })
            .collect())
    }

    /// Checks that `step` is allowed now and that it is the caller's turn.
    fn check_turn(
        caller: &Caller,
        case: &referral_case::Model,
        step: &Step,
    ) -> ApiResult<CaseParty> {
        // Someone who is not a party never acts, whatever the status.
        let party = policy::case_party(&caller.actor, case).ok_or(ApiError::Forbidden)?;
        if step.parties_from(case.status).next().is_none() {
            return Err(ApiError::bad_input(
                "status",
                format!(
                    "This case is {}; it cannot {} now.",
                    code_of(case.status),
                    step.name
                ),
            ));
        }
        if step.parties_from(case.status).any(|by| by == party) {
            Ok(party)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Applies a transition: the case (if its version is still the one read), its transition
    /// row and its audit entry in one transaction; then the event for subscribers.
    async fn apply(
        &self,
        caller: &Caller,
        case: referral_case::Model,
        step: &Step,
        note: TransitionNote,
        change: impl FnOnce(&mut referral_case::ActiveModel, DateTime<Utc>),
    ) -> ApiResult<referral_case::Model> {
        let member = caller.actor.signed_in()?;
        let now = Utc::now();
        let transition_id = Uuid::now_v7();
        let comment_sealed = match note.comment.as_deref() {
            Some(comment) => {
                let key = self.case_key(&case)?.ok_or_else(erased)?;
                seal(
                    &key,
                    Some(comment),
                    &comment_context(case.id, transition_id),
                )?
            }
            None => None,
        };
        let previous_receiver = case.receiving_organisation_id;
        let version = case.version;
        let from = case.status;
        let mut update = case.into_active_model();
        update.status = Set(step.to);
        update.updated_at = Set(now);
        change(&mut update, now);
        let txn = self.db.begin().await?;
        let case = save_if_unchanged(&txn, update, version).await?;
        // An organisation that is no longer a party has no queue for the case any more.
        let mut parties = vec![case.referring_organisation_id];
        parties.extend(case.receiving_organisation_id);
        case_assignment::Entity::delete_many()
            .filter(case_assignment::Column::CaseId.eq(case.id))
            .filter(case_assignment::Column::OrganisationId.is_not_in(parties))
            .exec(&txn)
            .await?;
        if step.erases {
            erase_comments(&txn, case.id).await?;
            erase_notes(&txn, case.id).await?;
            // The answers stored for retries may hold what was just erased.
            super::idempotency::erase_answers_about(
                &txn,
                super::idempotency::CASE_ENTITY,
                case.id,
                caller.idempotency.as_ref(),
            )
            .await?;
        }
        referral_transition::Model {
            id: transition_id,
            case_id: case.id,
            from_status: Some(from),
            to_status: case.status,
            actor_account_id: member.account_id,
            actor_organisation_id: member.organisation_id,
            receiving_organisation_id: case.receiving_organisation_id,
            reason: note.reason,
            legacy_comment: None,
            comment_sealed,
            at: now,
        }
        .into_active_model()
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            caller,
            AuditRecord {
                action: step.audit,
                entity_type: Some("referral_case"),
                entity_id: Some(case.id),
                outcome: entity::enums::AuditOutcome::Success,
                detail: Some(json!({ "from": code_of(from), "to": code_of(case.status) })),
            },
        )
        .await?;
        let notified = self
            .tell_parties(
                &txn,
                &case,
                from,
                step,
                member.organisation_id,
                previous_receiver,
                now,
            )
            .await?;
        txn.commit().await?;
        if step.erases {
            // Nothing of the erased values may stay in SQLite's files once this returns.
            db::purge_deleted_content(self.db.connection()).await;
        }

        let mut parties = vec![case.referring_organisation_id];
        parties.extend(case.receiving_organisation_id);
        parties.extend(previous_receiver);
        parties.sort();
        parties.dedup();
        let event = CaseEvent {
            case_id: case.id,
            code: case.code.clone(),
            change: step.change,
            status: case.status,
            at: now,
            parties,
            notified,
        };
        if let Err(error) = self.events.publish(event).await {
            // The change is committed; a missed live event is recovered by the next list.
            tracing::warn!(error = %error, case = %case.id, "could not publish a case event");
        }
        Ok(case)
    }

    /// Writes the inbox notifications of a step in its transaction (see
    /// [`notifications::recipients`] for who is told what), and answers the organisations
    /// told.
    #[allow(
        clippy::too_many_arguments,
        reason = "the step as the transaction has it: the case after it, and what it was before"
    )]
    async fn tell_parties(
        &self,
        txn: &impl ConnectionTrait,
        case: &referral_case::Model,
        from: CaseStatus,
        step: &Step,
        actor_organisation: Option<Uuid>,
        previous_receiver: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> ApiResult<Vec<Uuid>> {
        let ever = if step.change == CaseChange::ConsentWithdrawn {
            referral_transition::Entity::find()
                .filter(referral_transition::Column::CaseId.eq(case.id))
                .filter(referral_transition::Column::ReceivingOrganisationId.is_not_null())
                .all(txn)
                .await?
                .into_iter()
                .filter_map(|transition| transition.receiving_organisation_id)
                .collect()
        } else {
            Vec::new()
        };
        let parties = notifications::StepParties {
            actor: actor_organisation,
            referrer: case.referring_organisation_id,
            receiver: case.receiving_organisation_id,
            previous_receiver,
            ever,
        };
        let tells = notifications::recipients(from, step.change, &parties);
        // Each notice is also a mail, put in the outbox in this same transaction: a change that
        // rolls back tells nobody, by either way.
        notifications::tell(
            txn,
            tells,
            notifications::About {
                case_id: case.id,
                code: &case.code,
            },
            now,
        )
        .await
    }

    async fn party_case(&self, caller: &Caller, id: Uuid) -> ApiResult<referral_case::Model> {
        caller.actor.signed_in()?;
        self.get(&caller.actor, id).await
    }

    /// Checks a receiving organisation and centre for a referral ([`receiver_refusal`]).
    async fn check_receiver(
        &self,
        case: &referral_case::Model,
        organisation_id: Uuid,
        centre_id: Option<Uuid>,
    ) -> ApiResult<()> {
        let organisation_active = organisation::Entity::find_by_id(organisation_id)
            .filter(organisation::Column::Active.eq(true))
            .one(self.db)
            .await?
            .is_some();
        let centre = match centre_id {
            Some(centre_id) => Some(
                resource_centre::Entity::find_by_id(centre_id)
                    .one(self.db)
                    .await?
                    .map(|centre| ReceivingCentre {
                        operator_id: centre.operator_id,
                        active: centre.active,
                        accepting_referrals: centre.accepting_referrals,
                    }),
            ),
            None => None,
        };
        let proposed = ProposedReceiver {
            organisation_id,
            organisation_active,
            centre,
        };
        match receiver_refusal(case, &proposed) {
            Some(refusal) => {
                let (field, message) = refusal.field_and_message();
                Err(ApiError::bad_input(field, message))
            }
            None => Ok(()),
        }
    }

    /// Sends a draft to a receiving organisation (optionally one of its centres). Needs the
    /// survivor's recorded consent; starts the answer deadline.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `status` when not a draft, `consent` without consent,
    /// `receivingOrganisationId` or `receivingCentreId`; `FORBIDDEN` for anyone but the
    /// referrer; `CONFLICT` when the case changed meanwhile.
    pub async fn send(
        &self,
        caller: &Caller,
        id: Uuid,
        receiving_organisation_id: Uuid,
        receiving_centre_id: Option<Uuid>,
    ) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        Self::check_turn(caller, &case, &SEND)?;
        if !case.consent_given {
            return Err(ApiError::bad_input(
                "consent",
                "Record the survivor's consent before referring the case.",
            ));
        }
        self.check_receiver(&case, receiving_organisation_id, receiving_centre_id)
            .await?;
        let due = self.deadlines.for_risk(case.risk);
        self.apply(
            caller,
            case,
            &SEND,
            TransitionNote::default(),
            |update, now| {
                update.receiving_organisation_id = Set(Some(receiving_organisation_id));
                update.receiving_centre_id = Set(receiving_centre_id);
                update.referred_at = Set(Some(now));
                update.response_due_at = Set(Some(now + due));
            },
        )
        .await
    }

    /// Records the survivor's consent on a draft.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when the case is not a draft; `FORBIDDEN` for anyone but the referrer.
    pub async fn record_consent(
        &self,
        caller: &Caller,
        id: Uuid,
        scope: Option<String>,
    ) -> ApiResult<referral_case::Model> {
        let member = caller.actor.signed_in()?;
        let case = self.get(&caller.actor, id).await?;
        if policy::case_party(&caller.actor, &case).is_none() {
            return Err(ApiError::Forbidden);
        }
        if case.status != CaseStatus::Draft {
            return Err(ApiError::bad_input(
                "status",
                format!(
                    "This case is {}; consent is recorded on drafts.",
                    code_of(case.status)
                ),
            ));
        }
        if policy::case_party(&caller.actor, &case) != Some(CaseParty::Referrer) {
            return Err(ApiError::Forbidden);
        }
        let mut problems = Problems::new();
        let scope = problems.text("scope", scope, MAX_COMMENT);
        problems.finish()?;
        let key = self.case_key(&case)?.ok_or_else(erased)?;
        let scope = seal(&key, scope.as_deref(), &context(case.id, "consent_scope"))?;
        let version = case.version;
        let mut update = case.into_active_model();
        let now = Utc::now();
        update.consent_given = Set(true);
        update.consent_scope_sealed = Set(scope);
        update.consent_recorded_at = Set(Some(now));
        update.consent_recorded_by_id = Set(Some(member.account_id));
        update.updated_at = Set(now);
        let txn = self.db.begin().await?;
        let case = save_if_unchanged(&txn, update, version).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("case.record_consent", "referral_case", case.id),
        )
        .await?;
        txn.commit().await?;
        Ok(case)
    }

    /// The receiver accepts the referral.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming `status`; `FORBIDDEN` when it is not the caller's turn;
    /// `CONFLICT` when another transition won.
    pub async fn accept(&self, caller: &Caller, id: Uuid) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        self.accept_from(caller, case).await
    }

    /// Accepts `case` as the caller read it: if it changed since (its version moved on), the
    /// guard refuses the write with `CONFLICT`.
    ///
    /// # Errors
    /// As [`Cases::accept`].
    pub async fn accept_from(
        &self,
        caller: &Caller,
        case: referral_case::Model,
    ) -> ApiResult<referral_case::Model> {
        Self::check_turn(caller, &case, &ACCEPT)?;
        self.apply(
            caller,
            case,
            &ACCEPT,
            TransitionNote::default(),
            |update, now| {
                answered(update, now);
            },
        )
        .await
    }

    /// The receiver declines the referral with a coded reason (`OTHER` needs a comment).
    ///
    /// # Errors
    /// As [`Cases::accept`]; `BAD_USER_INPUT` naming `comment`.
    pub async fn decline(
        &self,
        caller: &Caller,
        id: Uuid,
        reason: DeclineReason,
        comment: Option<String>,
    ) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        Self::check_turn(caller, &case, &DECLINE)?;
        let comment = checked_comment(comment)?;
        if reason == DeclineReason::Other && comment.is_none() {
            return Err(ApiError::bad_input(
                "comment",
                "Say why in a comment when the reason is OTHER.",
            ));
        }
        let note = TransitionNote {
            reason: Some(reason),
            comment,
        };
        self.apply(caller, case, &DECLINE, note, |update, now| {
            answered(update, now);
        })
        .await
    }

    /// The receiver starts providing services.
    ///
    /// # Errors
    /// As [`Cases::accept`].
    pub async fn start_service(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        Self::check_turn(caller, &case, &START)?;
        self.apply(caller, case, &START, TransitionNote::default(), |_, _| {})
            .await
    }

    /// Closes a case with an outcome: the receiver after service, or the referrer after a
    /// decline.
    ///
    /// # Errors
    /// As [`Cases::accept`].
    pub async fn close(
        &self,
        caller: &Caller,
        id: Uuid,
        outcome: CaseOutcome,
        comment: Option<String>,
    ) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        Self::check_turn(caller, &case, &CLOSE)?;
        if outcome == CaseOutcome::ConsentWithdrawn {
            return Err(ApiError::bad_input(
                "outcome",
                "Record a withdrawal of consent with withdrawCaseConsent, which also erases the identifying data.",
            ));
        }
        let note = TransitionNote {
            reason: None,
            comment: checked_comment(comment)?,
        };
        self.apply(caller, case, &CLOSE, note, |update, now| {
            update.closed_at = Set(Some(now));
            update.outcome = Set(Some(outcome));
        })
        .await
    }

    /// The referrer withdraws a referral not yet answered.
    ///
    /// # Errors
    /// As [`Cases::accept`].
    pub async fn withdraw(
        &self,
        caller: &Caller,
        id: Uuid,
        comment: Option<String>,
    ) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        Self::check_turn(caller, &case, &WITHDRAW)?;
        let note = TransitionNote {
            reason: None,
            comment: checked_comment(comment)?,
        };
        self.apply(caller, case, &WITHDRAW, note, |update, now| {
            update.closed_at = Set(Some(now));
        })
        .await
    }

    /// Refers the case onward to another organisation (optionally one of its centres): the
    /// referrer after a decline, or the receiver after accepting. The previous receiver keeps
    /// the non-identifying history only.
    ///
    /// # Errors
    /// As [`Cases::send`].
    pub async fn refer_onward(
        &self,
        caller: &Caller,
        id: Uuid,
        receiving_organisation_id: Uuid,
        receiving_centre_id: Option<Uuid>,
        comment: Option<String>,
    ) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        Self::check_turn(caller, &case, &REFER_ONWARD)?;
        self.check_receiver(&case, receiving_organisation_id, receiving_centre_id)
            .await?;
        let note = TransitionNote {
            reason: None,
            comment: checked_comment(comment)?,
        };
        let due = self.deadlines.for_risk(case.risk);
        self.apply(caller, case, &REFER_ONWARD, note, |update, now| {
            update.receiving_organisation_id = Set(Some(receiving_organisation_id));
            update.receiving_centre_id = Set(receiving_centre_id);
            update.referred_at = Set(Some(now));
            update.response_due_at = Set(Some(now + due));
            // The new receiver has not answered yet: the time to a first answer is measured
            // from the latest referral (the earlier answer stays in the history).
            update.first_response_at = Set(None);
        })
        .await
    }

    /// The survivor withdrew consent: the identifying fields are erased for good, the case is
    /// closed, and every party is told.
    ///
    /// # Errors
    /// As [`Cases::accept`].
    pub async fn withdraw_consent(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> ApiResult<referral_case::Model> {
        let case = self.party_case(caller, id).await?;
        Self::check_turn(caller, &case, &WITHDRAW_CONSENT)?;
        self.apply(
            caller,
            case,
            &WITHDRAW_CONSENT,
            TransitionNote::default(),
            |update, now| {
                update.survivor_name = Set(None);
                update.contact_phone = Set(None);
                update.address = Set(None);
                update.notes = Set(None);
                update.consent_scope_sealed = Set(None);
                update.legacy_consent_scope = Set(None);
                // The case's own key: every copy of its sealed values left anywhere becomes
                // unreadable with it (crypto-shredding, docs/SECURITY.md).
                update.data_key = Set(None);
                update.erased_at = Set(Some(now));
                update.consent_given = Set(false);
                update.closed_at = Set(Some(now));
                update.outcome = Set(Some(CaseOutcome::ConsentWithdrawn));
            },
        )
        .await
    }
}

impl Cases<'_> {
    /// Edits a case at `version`: a draft's every field (by its referrer), or an open case's
    /// survivor profile and identifying fields (by a current party). A field left out keeps
    /// its value; an empty text clears it; identifying values are sealed again with the case's
    /// key. The audit entry names the changed fields, never their values. Nothing changed:
    /// nothing written.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a hidden case; `FORBIDDEN` for anyone but the
    /// referrer of a draft or a current party of an open case (the Programme Office included);
    /// `BAD_USER_INPUT` naming `status` for a closed or withdrawn case, or each invalid field
    /// (a field only a draft may change included); `CONFLICT` when `version` is not the
    /// case's.
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        version: i32,
        changes: CaseChanges,
    ) -> ApiResult<referral_case::Model> {
        let member = caller.actor.signed_in()?;
        let case = self.get(&caller.actor, id).await?;
        let party = policy::case_party(&caller.actor, &case).ok_or(ApiError::Forbidden)?;
        let draft = match case.status {
            CaseStatus::Draft if party == CaseParty::Referrer => true,
            CaseStatus::Draft => return Err(ApiError::Forbidden),
            CaseStatus::Referred
            | CaseStatus::Accepted
            | CaseStatus::InService
            | CaseStatus::Declined => false,
            CaseStatus::Closed | CaseStatus::Withdrawn => {
                return Err(ApiError::bad_input(
                    "status",
                    format!(
                        "This case is {}; it cannot be edited now.",
                        code_of(case.status)
                    ),
                ));
            }
        };
        if version != case.version {
            return Err(stale());
        }
        let key = self.case_key(&case)?.ok_or_else(erased)?;

        let mut problems = Problems::new();
        if !draft {
            for name in changes.draft_only_given() {
                problems.add(
                    format!("input.{name}"),
                    "Once a case is referred, only its survivor profile and identifying fields can change.",
                );
            }
        }
        let stored = Stored::new(Some(&case));
        let district = changes
            .district
            .map(|district| problems.parse("input.district", District::parse(&district)));
        let citizenship = changes
            .survivor_citizenship
            .map(|code| checked_citizenship(&mut problems, Some(code)));
        if changes
            .services_requested
            .as_ref()
            .is_some_and(Vec::is_empty)
        {
            problems.add(
                "input.servicesRequested",
                "Name at least one service the survivor needs.",
            );
        }
        let mut texts = Vec::new();
        for (name, column, given, max) in [
            ("survivorName", "survivor_name", changes.survivor_name, 200),
            ("contactPhone", "contact_phone", changes.contact_phone, 32),
            ("address", "address", changes.address, 300),
            ("notes", "notes", changes.notes, MAX_IDENTIFYING),
            (
                "consentScope",
                "consent_scope",
                changes.consent_scope,
                MAX_COMMENT,
            ),
        ] {
            if let Some(given) = given {
                let text = problems.text(&format!("input.{name}"), Some(given), max);
                texts.push((name, column, text));
            }
        }
        problems.finish()?;

        let now = Utc::now();
        let mut changed: Vec<&'static str> = Vec::new();
        let mut update = case.clone().into_active_model();
        let mut set = |name: &'static str, differs: bool| {
            if differs {
                changed.push(name);
            }
            differs
        };
        if let Some(kind) = stored.or(changes.kind, |row| row.kind)
            && set("kind", kind != case.kind)
        {
            update.kind = Set(kind);
        }
        if let Some(risk) = stored.or(changes.risk, |row| row.risk)
            && set("risk", risk != case.risk)
        {
            update.risk = Set(risk);
        }
        if let Some(sex) = stored.or(changes.survivor_sex, |row| row.survivor_sex)
            && set("survivorSex", sex != case.survivor_sex)
        {
            update.survivor_sex = Set(sex);
        }
        if let Some(age) = stored.or(changes.survivor_age_group, |row| row.survivor_age_group)
            && set("survivorAgeGroup", age != case.survivor_age_group)
        {
            update.survivor_age_group = Set(age);
        }
        let citizenship = stored.or_cleared(citizenship, |row| row.survivor_citizenship.clone());
        if set(
            "survivorCitizenship",
            citizenship != case.survivor_citizenship,
        ) {
            update.survivor_citizenship = Set(citizenship);
        }
        if let Some(disability) = stored.or(changes.survivor_has_disability, |row| {
            row.survivor_has_disability
        }) && set(
            "survivorHasDisability",
            disability != case.survivor_has_disability,
        ) {
            update.survivor_has_disability = Set(disability);
        }
        if let Some(region) = stored.or(changes.region, |row| row.region)
            && set("region", region != case.region)
        {
            update.region = Set(region);
        }
        if let Some(district) = district.flatten().map(Into::<String>::into)
            && set("district", district != case.district)
        {
            update.district = Set(district);
        }
        if let Some(services) = changes.services_requested {
            let mut codes: Vec<String> =
                services.iter().map(sea_orm::ActiveEnum::to_value).collect();
            codes.sort();
            codes.dedup();
            if set("servicesRequested", codes != case.services_requested.0) {
                update.services_requested = Set(CodeList(codes));
            }
        }
        if let Some(given) = changes.consent_given
            && set("consentGiven", given != case.consent_given)
        {
            update.consent_given = Set(given);
            update.consent_recorded_at = Set(given.then_some(now));
            update.consent_recorded_by_id = Set(given.then_some(member.account_id));
        }
        for (name, column, text) in texts {
            let sealed_now = match column {
                "survivor_name" => &case.survivor_name,
                "contact_phone" => &case.contact_phone,
                "address" => &case.address,
                "notes" => &case.notes,
                _ => &case.consent_scope_sealed,
            };
            let context = context(case.id, column);
            // Opened only to compare, never shown: not a read of the identifying data.
            let before = unseal(&key, sealed_now.as_deref(), &context)?;
            if !set(name, before != text) {
                continue;
            }
            let sealed = seal(&key, text.as_deref(), &context)?;
            match column {
                "survivor_name" => update.survivor_name = Set(sealed),
                "contact_phone" => update.contact_phone = Set(sealed),
                "address" => update.address = Set(sealed),
                "notes" => update.notes = Set(sealed),
                _ => update.consent_scope_sealed = Set(sealed),
            }
        }
        if changed.is_empty() {
            return Ok(case);
        }
        update.updated_at = Set(now);
        let txn = self.db.begin().await?;
        let case = save_if_unchanged(&txn, update, version).await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("case.update", "referral_case", case.id)
                .with_detail(json!({ "fields": changed })),
        )
        .await?;
        txn.commit().await?;
        Ok(case)
    }

    /// Deletes a draft opened by mistake, with its history: its identifying data and key are
    /// gone for good, as after a withdrawal of consent, and it leaves every list. Its code is
    /// never given to another case (the year's counter does not go back).
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a hidden case; `FORBIDDEN` for anyone but the
    /// referrer; `BAD_USER_INPUT` naming `status` when the case is no longer a draft;
    /// `CONFLICT` when the case changed meanwhile.
    pub async fn delete_draft(&self, caller: &Caller, id: Uuid) -> ApiResult<Uuid> {
        let case = self.party_case(caller, id).await?;
        if policy::case_party(&caller.actor, &case) != Some(CaseParty::Referrer) {
            return Err(ApiError::Forbidden);
        }
        if case.status != CaseStatus::Draft {
            return Err(ApiError::bad_input(
                "status",
                format!(
                    "This case is {}; only a draft can be deleted.",
                    code_of(case.status)
                ),
            ));
        }
        let txn = self.db.begin().await?;
        case_note::Entity::delete_many()
            .filter(case_note::Column::CaseId.eq(case.id))
            .exec(&txn)
            .await?;
        case_assignment::Entity::delete_many()
            .filter(case_assignment::Column::CaseId.eq(case.id))
            .exec(&txn)
            .await?;
        referral_transition::Entity::delete_many()
            .filter(referral_transition::Column::CaseId.eq(case.id))
            .exec(&txn)
            .await?;
        let deleted = referral_case::Entity::delete_many()
            .filter(referral_case::Column::Id.eq(case.id))
            .filter(referral_case::Column::Version.eq(case.version))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(stale());
        }
        super::idempotency::erase_answers_about(
            &txn,
            super::idempotency::CASE_ENTITY,
            case.id,
            caller.idempotency.as_ref(),
        )
        .await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success("case.delete_draft", "referral_case", case.id)
                .with_detail(json!({ "code": case.code })),
        )
        .await?;
        txn.commit().await?;
        // Nothing of the deleted values may stay in SQLite's files once this returns.
        db::purge_deleted_content(self.db.connection()).await;
        Ok(case.id)
    }
}

impl Cases<'_> {
    /// Adds a follow-up note to a case, sealed with the case's key; by a current party. The
    /// audit entry says a note was added, never what it says.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a hidden case; `FORBIDDEN` for anyone but the
    /// current parties; `BAD_USER_INPUT` naming `text` when empty or too long; `CONFLICT` after
    /// consent was withdrawn.
    pub async fn add_note(&self, caller: &Caller, id: Uuid, text: String) -> ApiResult<CaseNote> {
        let member = caller.actor.signed_in()?;
        let case = self.get(&caller.actor, id).await?;
        let (Some(_), Some(organisation_id)) = (
            policy::case_party(&caller.actor, &case),
            member.organisation_id,
        ) else {
            return Err(ApiError::Forbidden);
        };
        let mut problems = Problems::new();
        let text = problems.text("text", Some(text), MAX_NOTE);
        problems.check(text.is_some(), "text", "Write the note.");
        problems.finish()?;
        let key = self.case_key(&case)?.ok_or_else(erased)?;
        let note_id = Uuid::now_v7();
        let sealed = seal(&key, text.as_deref(), &note_context(case.id, note_id))?;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        // Holds the case's row until the commit, so that a withdrawal of consent either comes
        // first (and this refuses) or after (and erases this note too).
        let live = referral_case::Entity::update_many()
            .col_expr(
                referral_case::Column::UpdatedAt,
                Expr::col(referral_case::Column::UpdatedAt),
            )
            .filter(referral_case::Column::Id.eq(case.id))
            .filter(referral_case::Column::ErasedAt.is_null())
            .exec(&txn)
            .await?;
        if live.rows_affected == 0 {
            return Err(erased());
        }
        let note = case_note::Model {
            id: note_id,
            case_id: case.id,
            author_account_id: member.account_id,
            author_organisation_id: organisation_id,
            at: now,
            text_sealed: sealed,
        }
        .into_active_model()
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            caller,
            AuditRecord::success(ADD_NOTE, "referral_case", case.id)
                .with_detail(json!({ "note": note.id })),
        )
        .await?;
        txn.commit().await?;
        Ok(CaseNote {
            id: note.id,
            at: note.at,
            author_account_id: Some(note.author_account_id),
            organisation_id: note.author_organisation_id,
            text,
        })
    }

    /// The follow-up notes of `case`, oldest first: for its current parties only (`None` for
    /// everyone else: previous receivers and the Programme Office). Texts are opened only when
    /// `with_text`, and such a read is audited as a read of the identifying data; after
    /// erasure the notes are listed without text.
    ///
    /// # Errors
    /// Database errors; `INTERNAL` when a value does not open.
    pub async fn notes(
        &self,
        caller: &Caller,
        case: &referral_case::Model,
        with_text: bool,
    ) -> ApiResult<Option<Vec<CaseNote>>> {
        if !policy::can_read_identifying(&caller.actor, case) {
            return Ok(None);
        }
        let rows = case_note::Entity::find()
            .filter(case_note::Column::CaseId.eq(case.id))
            .order_by_asc(case_note::Column::At)
            .order_by_asc(case_note::Column::Id)
            .all(self.db)
            .await?;
        let key = if with_text && rows.iter().any(|row| row.text_sealed.is_some()) {
            self.case_key(case)?
        } else {
            None
        };
        let mut notes = Vec::with_capacity(rows.len());
        for row in rows {
            let text = match &key {
                Some(key) => unseal(
                    key,
                    row.text_sealed.as_deref(),
                    &note_context(case.id, row.id),
                )?,
                None => None,
            };
            notes.push(CaseNote {
                id: row.id,
                at: row.at,
                author_account_id: Some(row.author_account_id).filter(|_| {
                    policy::can_identify_reader(&caller.actor, Some(row.author_organisation_id))
                }),
                organisation_id: row.author_organisation_id,
                text,
            });
        }
        if key.is_some() {
            self.audit_free_text_read(caller, case.id, "notes").await?;
        }
        Ok(Some(notes))
    }
}

impl Cases<'_> {
    /// Assigns `case` in the caller's organisation to `account_id` (`None`: unassigns). A
    /// partner manager assigns any active member of their organisation; a partner takes the
    /// case (assigns themself) or gives it back (unassigns themself). Each side of a case has
    /// its own assignee.
    ///
    /// # Errors
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a hidden case; `FORBIDDEN` for anyone but a member
    /// of a current party, and for a partner assigning or unassigning someone else;
    /// `BAD_USER_INPUT` naming `accountId` for an account that is not an active member of the
    /// caller's organisation.
    pub async fn assign(
        &self,
        caller: &Caller,
        id: Uuid,
        account_id: Option<Uuid>,
    ) -> ApiResult<referral_case::Model> {
        let member = caller.actor.signed_in()?;
        let case = self.get(&caller.actor, id).await?;
        let (Some(_), Some(organisation_id)) = (
            policy::case_party(&caller.actor, &case),
            member.organisation_id,
        ) else {
            return Err(ApiError::Forbidden);
        };
        let manager = member.role == Role::PartnerManager;
        let current = case_assignment::Entity::find_by_id((case.id, organisation_id))
            .one(self.db)
            .await?;
        match account_id {
            Some(target) => {
                if !manager && target != member.account_id {
                    return Err(ApiError::Forbidden);
                }
                let active_member = account::Entity::find_by_id(target)
                    .filter(account::Column::OrganisationId.eq(organisation_id))
                    .filter(account::Column::Status.eq(AccountStatus::Active))
                    .one(self.db)
                    .await?
                    .is_some();
                if !active_member {
                    return Err(ApiError::bad_input(
                        "accountId",
                        "Assign the case to an active member of your organisation.",
                    ));
                }
            }
            None => {
                if !manager
                    && current
                        .as_ref()
                        .is_some_and(|row| row.account_id != member.account_id)
                {
                    return Err(ApiError::Forbidden);
                }
            }
        }
        if current.as_ref().map(|row| row.account_id) == account_id {
            return Ok(case);
        }
        let txn = self.db.begin().await?;
        case_assignment::Entity::delete_many()
            .filter(case_assignment::Column::CaseId.eq(case.id))
            .filter(case_assignment::Column::OrganisationId.eq(organisation_id))
            .exec(&txn)
            .await?;
        if let Some(account_id) = account_id {
            case_assignment::Model {
                case_id: case.id,
                organisation_id,
                account_id,
                assigned_at: Utc::now(),
            }
            .into_active_model()
            .insert(&txn)
            .await?;
        }
        audit::record(
            &txn,
            caller,
            AuditRecord::success("case.assign", "referral_case", case.id)
                .with_detail(json!({ "organisation": organisation_id, "account": account_id })),
        )
        .await?;
        txn.commit().await?;
        Ok(case)
    }

    /// The members assigned, for `organisation_id`, to each of `case_ids` that has one: two
    /// statements for a whole page. Ask it only for the organisation [`assignee_side`] gives.
    ///
    /// # Errors
    /// The database's.
    pub async fn assignees(
        &self,
        organisation_id: Uuid,
        case_ids: &[Uuid],
    ) -> ApiResult<std::collections::HashMap<Uuid, account::Model>> {
        let rows = case_assignment::Entity::find()
            .filter(case_assignment::Column::OrganisationId.eq(organisation_id))
            .filter(case_assignment::Column::CaseId.is_in(case_ids.iter().copied()))
            .all(self.db)
            .await?;
        if rows.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let accounts: std::collections::HashMap<Uuid, account::Model> = account::Entity::find()
            .filter(account::Column::Id.is_in(rows.iter().map(|row| row.account_id)))
            .all(self.db)
            .await?
            .into_iter()
            .map(|account| (account.id, account))
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|row| Some((row.case_id, accounts.get(&row.account_id)?.clone())))
            .collect())
    }
}

/// Whose assignee of `case` the actor reads: its own organisation's, when that is a party to
/// the case; `None` for everyone else (the Programme Office, previous receivers, the public).
pub fn assignee_side(actor: &Actor, case: &referral_case::Model) -> Option<Uuid> {
    policy::case_party(actor, case).and_then(|_| policy::partner_organisation(actor))
}

/// Changes to a case ([`Cases::update`]): a field left out (`None`) keeps its value; a text
/// given empty clears it. No `Debug`: it holds identifying values in plain text.
#[derive(Clone, Default)]
pub struct CaseChanges {
    pub kind: Option<CaseKind>,
    pub risk: Option<RiskLevel>,
    pub survivor_sex: Option<Sex>,
    pub survivor_age_group: Option<AgeGroup>,
    pub survivor_citizenship: Option<String>,
    pub survivor_has_disability: Option<bool>,
    pub region: Option<Region>,
    pub district: Option<String>,
    pub services_requested: Option<Vec<CentreService>>,
    pub survivor_name: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub consent_given: Option<bool>,
    pub consent_scope: Option<String>,
}

impl CaseChanges {
    /// The input names of the given fields that only a draft may change.
    fn draft_only_given(&self) -> Vec<&'static str> {
        [
            ("kind", self.kind.is_some()),
            ("risk", self.risk.is_some()),
            ("region", self.region.is_some()),
            ("district", self.district.is_some()),
            ("servicesRequested", self.services_requested.is_some()),
            ("consentGiven", self.consent_given.is_some()),
            ("consentScope", self.consent_scope.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

/// A survivor's citizenship as kept (upper case), checked as an ISO 3166 code; `None` when
/// absent or empty.
fn checked_citizenship(problems: &mut Problems, given: Option<String>) -> Option<String> {
    let citizenship = trimmed(given).map(|code| code.to_uppercase());
    if let Some(code) = &citizenship {
        problems.check(
            code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()),
            "input.survivorCitizenship",
            "Give an ISO 3166 country code such as TJ or AF.",
        );
    }
    citizenship
}

/// The refusal of a change to a case read at an older version.
fn stale() -> ApiError {
    ApiError::Conflict("Someone changed this case meanwhile; reload it and try again.".into())
}

/// The audit action of a read of a case's identifying data (and of a refused attempt).
pub const READ_IDENTIFYING: &str = "case.read_identifying";

/// The audit action of a new note. Its answer holds the note's text (its author's own words,
/// so no read), but a replay of that answer hands the text out again: a replay is logged as a
/// read (see `idempotency::mark_committed`).
pub const ADD_NOTE: &str = "case.add_note";

/// Saves `update` of a case read at `version`, moving it to the next version, unless another
/// writer changed the case meanwhile: of two concurrent changes, one wins and the other gets
/// `CONFLICT`.
async fn save_if_unchanged(
    txn: &impl ConnectionTrait,
    mut update: referral_case::ActiveModel,
    version: i32,
) -> ApiResult<referral_case::Model> {
    update.version = Set(version + 1);
    match referral_case::Entity::update(update)
        .validate()?
        .filter(referral_case::Column::Version.eq(version))
        .exec(txn)
        .await
    {
        Ok(case) => Ok(case),
        Err(DbErr::RecordNotUpdated) => Err(stale()),
        Err(error) => Err(error.into()),
    }
}

/// The refusal for free text on a case whose data was erased.
fn erased() -> ApiError {
    ApiError::Conflict("The survivor withdrew consent; the case's free text was erased.".into())
}

/// Clears the comments of a case's history, sealed or (from before sealing) plain.
async fn erase_comments(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<(), DbErr> {
    referral_transition::Entity::update_many()
        .col_expr(
            referral_transition::Column::CommentSealed,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            referral_transition::Column::LegacyComment,
            Expr::value(Option::<String>::None),
        )
        .filter(referral_transition::Column::CaseId.eq(case_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Clears the texts of a case's notes.
async fn erase_notes(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<(), DbErr> {
    case_note::Entity::update_many()
        .col_expr(
            case_note::Column::TextSealed,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(case_note::Column::CaseId.eq(case_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The first answer to a referral ends its deadline.
fn answered(update: &mut referral_case::ActiveModel, now: DateTime<Utc>) {
    if matches!(
        &update.first_response_at,
        sea_orm::ActiveValue::Unchanged(None) | sea_orm::ActiveValue::NotSet
    ) {
        update.first_response_at = Set(Some(now));
    }
}

fn checked_comment(comment: Option<String>) -> ApiResult<Option<String>> {
    let mut problems = Problems::new();
    let comment = problems.text("comment", comment, MAX_COMMENT);
    problems.finish()?;
    Ok(comment)
}

/// What [`seal_stored`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SealSummary {
    /// Live cases given a key of their own (their fields moved under it).
    pub cases_keyed: u64,
    /// Plain consent scopes and comments sealed.
    pub texts_sealed: u64,
    /// Erased cases whose leftover free text or key was cleared.
    pub erased_cleared: u64,
}

/// Live cases keyed per statement by [`seal_stored`]: 7 bound values a case, well within the
/// bound parameters of both databases.
const SEAL_BATCH: u64 = 500;

/// A case's columns once it has a key of its own.
struct KeyedCase {
    id: Uuid,
    data_key: Vec<u8>,
    survivor_name: Option<Vec<u8>>,
    contact_phone: Option<Vec<u8>>,
    address: Option<Vec<u8>>,
    notes: Option<Vec<u8>>,
    consent_scope_sealed: Option<Vec<u8>>,
}

/// Gives a case a key of its own: the fields sealed under the data keys themselves (before cases
/// had keys) move under it, and a plain consent scope is sealed with it.
fn keyed_case(keys: &DataKeys, case: &referral_case::Model) -> anyhow::Result<KeyedCase> {
    let (key, data_key) = keys.new_owner_key(&key_context(case.id))?;
    let moved = |value: &Option<Vec<u8>>, column: &str| -> anyhow::Result<Option<Vec<u8>>> {
        value
            .as_deref()
            .map(|envelope| {
                let plain = secrecy::zeroize::Zeroizing::new(
                    keys.decrypt(envelope, &context(case.id, column))?,
                );
                Ok(key.encrypt(&plain, &context(case.id, column))?)
            })
            .transpose()
    };
    let consent_scope_sealed = match case.legacy_consent_scope.as_deref() {
        Some(scope) => Some(key.encrypt(scope.as_bytes(), &context(case.id, "consent_scope"))?),
        None => case.consent_scope_sealed.clone(),
    };
    Ok(KeyedCase {
        id: case.id,
        data_key,
        survivor_name: moved(&case.survivor_name, "survivor_name")?,
        contact_phone: moved(&case.contact_phone, "contact_phone")?,
        address: moved(&case.address, "address")?,
        notes: moved(&case.notes, "notes")?,
        consent_scope_sealed,
    })
}

/// One `UPDATE … FROM (VALUES …)` giving each case of a batch its key and sealed fields, joined
/// on the id (both databases name the columns of a `VALUES` list `column1`, `column2`, …). It
/// leaves a case another server keyed first as that server left it.
/// The rows of a `VALUES` list as placeholders in `backend`'s style (`($1, $2), ($3, $4)` or
/// `(?, ?), (?, ?)`), and the values they bind, in order.
fn values_list(
    backend: DbBackend,
    rows: impl IntoIterator<Item = Vec<sea_orm::Value>>,
) -> (String, Vec<sea_orm::Value>) {
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut placeholders = Vec::new();
    for row in rows {
        let mut marks = Vec::with_capacity(row.len());
        for value in row {
            values.push(value);
            marks.push(match backend {
                DbBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            });
        }
        placeholders.push(format!("({})", marks.join(", ")));
    }
    (placeholders.join(", "), values)
}

fn keyed_update(backend: DbBackend, keyed: &[KeyedCase]) -> Statement {
    let (rows, values) = values_list(
        backend,
        keyed.iter().map(|case| {
            vec![
                case.id.into(),
                Some(case.data_key.clone()).into(),
                case.survivor_name.clone().into(),
                case.contact_phone.clone().into(),
                case.address.clone().into(),
                case.notes.clone().into(),
                case.consent_scope_sealed.clone().into(),
            ]
        }),
    );
    // The names from the entity, which maps some fields to older column names.
    use referral_case::Column;
    use sea_orm::IdenStatic;
    let set = [
        Column::DataKey,
        Column::SurvivorName,
        Column::ContactPhone,
        Column::Address,
        Column::Notes,
        Column::ConsentScopeSealed,
    ]
    .iter()
    .enumerate()
    .map(|(index, column)| format!("{} = v.column{}", column.as_str(), index + 2))
    .collect::<Vec<_>>()
    .join(", ");
    let sql = format!(
        "UPDATE {table} AS c SET {set}, {scope} = NULL FROM (VALUES {rows}) AS v \
         WHERE c.{id} = v.column1 AND c.{key} IS NULL AND c.{erased} IS NULL",
        table = referral_case::Entity.as_str(),
        scope = Column::LegacyConsentScope.as_str(),
        id = Column::Id.as_str(),
        key = Column::DataKey.as_str(),
        erased = Column::ErasedAt.as_str(),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// One `UPDATE … FROM (VALUES …)` giving each transition of a batch its sealed comment (or
/// none) and clearing the plain one; a transition another server sealed first is left as it is.
fn sealed_comments_update(backend: DbBackend, sealed: &[(Uuid, Option<Vec<u8>>)]) -> Statement {
    let (rows, values) = values_list(
        backend,
        sealed
            .iter()
            .map(|(id, comment)| vec![(*id).into(), comment.clone().into()]),
    );
    use referral_transition::Column;
    use sea_orm::IdenStatic;
    let sql = format!(
        "UPDATE {table} AS t SET {sealed} = v.column2, {plain} = NULL FROM (VALUES {rows}) AS v \
         WHERE t.{id} = v.column1 AND t.{plain} IS NOT NULL",
        table = referral_transition::Entity.as_str(),
        sealed = Column::CommentSealed.as_str(),
        plain = Column::LegacyComment.as_str(),
        id = Column::Id.as_str(),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// Brings stored cases to the current protection, with the data keys (which migrations do not
/// have): every live case gets a key of its own, with its identifying fields (sealed under the
/// data keys before) moved under it; every plain consent scope and comment is sealed with its
/// case's key and cleared; an erased case keeps no free text and no key. The server runs this
/// at start and after loading the demo data; it changes nothing the second time.
///
/// # Errors
/// Database errors; a stored value that the configured keys do not open.
pub async fn seal_stored(
    conn: &impl ConnectionTrait,
    keys: &DataKeys,
) -> anyhow::Result<SealSummary> {
    use sea_orm::QuerySelect;
    let mut summary = SealSummary::default();

    let erased = referral_case::Entity::update_many()
        .col_expr(
            referral_case::Column::LegacyConsentScope,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            referral_case::Column::ConsentScopeSealed,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            referral_case::Column::DataKey,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(referral_case::Column::ErasedAt.is_not_null())
        .filter(
            Condition::any()
                .add(referral_case::Column::LegacyConsentScope.is_not_null())
                .add(referral_case::Column::ConsentScopeSealed.is_not_null())
                .add(referral_case::Column::DataKey.is_not_null()),
        )
        .exec(conn)
        .await?;
    summary.erased_cleared = erased.rows_affected;
    let erased_cases = Query::select()
        .column(referral_case::Column::Id)
        .from(referral_case::Entity)
        .and_where(Expr::col(referral_case::Column::ErasedAt).is_not_null())
        .to_owned();
    referral_transition::Entity::update_many()
        .col_expr(
            referral_transition::Column::CommentSealed,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            referral_transition::Column::LegacyComment,
            Expr::value(Option::<String>::None),
        )
        .filter(referral_transition::Column::CaseId.in_subquery(erased_cases.clone()))
        .filter(
            Condition::any()
                .add(referral_transition::Column::LegacyComment.is_not_null())
                .add(referral_transition::Column::CommentSealed.is_not_null()),
        )
        .exec(conn)
        .await?;

    // Notes are cleared in the erasing transaction; this is the safety net for any other path.
    case_note::Entity::update_many()
        .col_expr(
            case_note::Column::TextSealed,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(case_note::Column::CaseId.in_subquery(erased_cases))
        .filter(case_note::Column::TextSealed.is_not_null())
        .exec(conn)
        .await?;

    // Live cases without a key of their own, a batch at a time in the order of their ids: half a
    // million such cases (the benchmark's large dataset) are keyed in bounded memory and one
    // statement per batch, where one statement per case kept the server from listening for
    // many minutes.
    let mut after: Option<Uuid> = None;
    loop {
        let mut unkeyed = referral_case::Entity::find()
            .filter(referral_case::Column::DataKey.is_null())
            .filter(referral_case::Column::ErasedAt.is_null())
            .order_by_asc(referral_case::Column::Id)
            .limit(SEAL_BATCH);
        if let Some(after) = after {
            unkeyed = unkeyed.filter(referral_case::Column::Id.gt(after));
        }
        let batch = unkeyed.all(conn).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        let keyed = batch
            .iter()
            .map(|case| keyed_case(keys, case))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let updated = conn
            .execute_raw(keyed_update(conn.get_database_backend(), &keyed))
            .await?;
        let updated = updated.rows_affected();
        summary.cases_keyed += updated;
        // Exact unless another server keyed some of the batch first (then an upper bound).
        let scopes = batch
            .iter()
            .filter(|case| case.legacy_consent_scope.is_some())
            .count();
        summary.texts_sealed += Ord::min(updated, u64::try_from(scopes)?);
    }

    // Plain comments, a batch at a time in the order of their ids: each sealed with its case's
    // key (read for the whole batch in one statement), all written with one statement.
    let mut after: Option<Uuid> = None;
    loop {
        let mut plain = referral_transition::Entity::find()
            .filter(referral_transition::Column::LegacyComment.is_not_null())
            .order_by_asc(referral_transition::Column::Id)
            .limit(SEAL_BATCH);
        if let Some(after) = after {
            plain = plain.filter(referral_transition::Column::Id.gt(after));
        }
        let batch = plain.all(conn).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        let case_ids: std::collections::BTreeSet<Uuid> =
            batch.iter().map(|step| step.case_id).collect();
        let wrapped: Vec<(Uuid, Option<Vec<u8>>)> = referral_case::Entity::find()
            .select_only()
            .column(referral_case::Column::Id)
            .column(referral_case::Column::DataKey)
            .filter(referral_case::Column::Id.is_in(case_ids))
            .into_tuple()
            .all(conn)
            .await?;
        let mut case_keys: std::collections::HashMap<Uuid, OwnerKey> =
            std::collections::HashMap::new();
        for (case_id, wrapped) in wrapped {
            if let Some(wrapped) = wrapped {
                case_keys.insert(
                    case_id,
                    keys.open_owner_key(&wrapped, &key_context(case_id))?,
                );
            }
        }
        // Every live case has its key by now; a case without one was erased meanwhile, and
        // its comment is cleared, not sealed.
        let sealed = batch
            .iter()
            .map(|step| {
                let sealed = match (case_keys.get(&step.case_id), step.legacy_comment.as_deref()) {
                    (Some(key), Some(comment)) => Some(
                        key.encrypt(comment.as_bytes(), &comment_context(step.case_id, step.id))?,
                    ),
                    _ => None,
                };
                Ok((step.id, sealed))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let updated = conn
            .execute_raw(sealed_comments_update(conn.get_database_backend(), &sealed))
            .await?;
        summary.texts_sealed += updated.rows_affected();
    }
    Ok(summary)
}

/// The contexts a case's wrapped key is bound to, for rotation (`services::keys`).
pub(super) fn wrapped_key_context(case_id: Uuid) -> Vec<u8> {
    key_context(case_id)
}

/// Allocates the next case code of the year, `RC-<year>-<6 digits>`, inside the creating
/// transaction: one upsert on the year's counter, which the database serialises (a row lock on
/// PostgreSQL, the single writer on SQLite), so two concurrent cases never share a number.
async fn next_code(txn: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<String> {
    use chrono::Datelike;
    let year = now.year();
    let statement = Query::insert()
        .into_table(case_code_counter::Entity)
        .columns([
            case_code_counter::Column::Year,
            case_code_counter::Column::LastValue,
        ])
        .values([year.into(), 1.into()])
        .map_err(|error| anyhow::anyhow!("case counter statement: {error}"))?
        .on_conflict(
            OnConflict::column(case_code_counter::Column::Year)
                .value(
                    case_code_counter::Column::LastValue,
                    Expr::col((
                        case_code_counter::Entity,
                        case_code_counter::Column::LastValue,
                    ))
                    .add(1),
                )
                .to_owned(),
        )
        .returning_col(case_code_counter::Column::LastValue)
        .to_owned();
    let statement: Statement = txn.get_database_backend().build(&statement);
    let row = txn
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the case counter returned nothing"))?;
    let value: i32 = row.try_get("", "last_value")?;
    Ok(format!("RC-{year}-{value:06}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_allowed_from_its_statuses_to_its_parties_only() {
        let close = step_for(CaseStatus::Declined, Action::Close).expect("closing a decline");
        assert_eq!(close.to(), CaseStatus::Closed);
        assert_eq!(
            close.parties_from(CaseStatus::Declined).collect::<Vec<_>>(),
            [CaseParty::Referrer]
        );
        assert!(step_for(CaseStatus::Draft, Action::Accept).is_none());
        let consent = step_for(CaseStatus::Accepted, Action::WithdrawConsent).expect("any time");
        assert_eq!(consent.parties_from(CaseStatus::Accepted).count(), 2);
        assert!(step_for(CaseStatus::Closed, Action::WithdrawConsent).is_none());
    }

    #[test]
    fn a_receiver_is_an_active_organisation_not_yet_party_with_a_centre_of_its_own() {
        let (referrer, receiver, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let case = referral_case::Model {
            referring_organisation_id: referrer,
            receiving_organisation_id: Some(receiver),
            ..any_case()
        };
        let centre = ReceivingCentre {
            operator_id: other,
            active: true,
            accepting_referrals: true,
        };
        let proposed = |organisation_id, organisation_active, centre| ProposedReceiver {
            organisation_id,
            organisation_active,
            centre,
        };
        let refusal = |proposed| receiver_refusal(&case, &proposed);
        assert_eq!(refusal(proposed(other, true, Some(Some(centre)))), None);
        assert_eq!(refusal(proposed(other, true, None)), None);
        for party in [referrer, receiver] {
            assert_eq!(
                refusal(proposed(party, true, None)),
                Some(ReceiverRefusal::AlreadyParty)
            );
        }
        assert_eq!(
            refusal(proposed(other, false, None)),
            Some(ReceiverRefusal::NoActiveOrganisation)
        );
        for centre in [
            None,
            Some(ReceivingCentre {
                operator_id: referrer,
                ..centre
            }),
            Some(ReceivingCentre {
                active: false,
                ..centre
            }),
        ] {
            assert_eq!(
                refusal(proposed(other, true, Some(centre))),
                Some(ReceiverRefusal::NotItsActiveCentre)
            );
        }
        let closed = ReceivingCentre {
            accepting_referrals: false,
            ..centre
        };
        assert_eq!(
            refusal(proposed(other, true, Some(Some(closed)))),
            Some(ReceiverRefusal::CentreNotAccepting)
        );
    }

    /// A draft case with every field set to something.
    fn any_case() -> referral_case::Model {
        let now = Utc::now();
        referral_case::Model {
            id: Uuid::now_v7(),
            code: "RC-2026-000001".to_owned(),
            kind: CaseKind::DomesticViolence,
            status: CaseStatus::Draft,
            risk: RiskLevel::Medium,
            survivor_sex: Sex::Female,
            survivor_age_group: AgeGroup::Adult2559,
            survivor_citizenship: None,
            survivor_has_disability: false,
            region: Region::Sughd,
            district: "Khujand".to_owned(),
            services_requested: CodeList(Vec::new()),
            referring_organisation_id: Uuid::now_v7(),
            receiving_organisation_id: None,
            receiving_centre_id: None,
            consent_given: true,
            legacy_consent_scope: None,
            consent_scope_sealed: None,
            consent_recorded_at: None,
            consent_recorded_by_id: None,
            referred_at: None,
            response_due_at: None,
            first_response_at: None,
            closed_at: None,
            outcome: None,
            survivor_name: None,
            contact_phone: None,
            address: None,
            notes: None,
            data_key: None,
            erased_at: None,
            created_by_id: Uuid::now_v7(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}
