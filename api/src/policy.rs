//! The one place that decides who may see what.
//!
//! Row visibility is expressed as SQL conditions, so that every list, every lookup by id, every
//! `totalCount` and every DataLoader applies the same rule in the database and a page never
//! loads a row its reader may not see. Field-level rules are conditions on the row as well
//! ([`FieldAccess`]): services redact what they return with them, and searches, filters and
//! orderings use a restricted field only where they hold. Everything is denied unless a rule
//! below grants it. The rules follow the access table of DESIGN.md.

use entity::{
    account, case_party, centre_report,
    enums::{CentreKind, PartnerRole, Role, ThematicArea, Visibility},
    event, indicator, indicator_period, indicator_period_approval, organisation, project,
    project_partner, project_thematic_area, referral_case, resource_centre,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait, Select,
    sea_query::{Expr, ExprTrait, IntoColumnRef, Query, SelectStatement},
};
use uuid::Uuid;

use crate::auth::{Actor, Restriction};

/// How much of the portal's content an actor reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// Published and public content only.
    Public,
    /// Public content plus what concerns the organisation.
    Organisation(Uuid),
    /// Programme Office staff and admins: all content (referral identifying data aside).
    Office,
}

fn reach(actor: &Actor) -> Reach {
    match actor {
        Actor::Anonymous => Reach::Public,
        Actor::Member(member) => match (member.role, member.organisation_id) {
            (Role::Staff | Role::Admin, _) => Reach::Office,
            (Role::Partner | Role::PartnerManager, Some(organisation_id)) => {
                Reach::Organisation(organisation_id)
            }
            // A partner account without an organisation cannot exist (a CHECK constraint
            // forbids it); should one appear, it reads no more than the public.
            (Role::Partner | Role::PartnerManager, None) => Reach::Public,
        },
    }
}

/// Condition that always holds.
fn everything() -> Condition {
    Condition::all()
}

/// Projects the actor may read: public ones; for partners also those their organisation is a
/// partner of; for the Programme Office all.
pub fn visible_projects(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Public => Condition::all().add(project::Column::Visibility.eq(Visibility::Public)),
        Reach::Organisation(organisation_id) => Condition::any()
            .add(project::Column::Visibility.eq(Visibility::Public))
            .add(is_partner_of(
                organisation_id,
                Expr::col((project::Entity, project::Column::Id)),
            )),
    }
}

/// Whether the project named by `project_id` (a column of the row being filtered) is one the
/// actor may read: the condition child tables (partners, areas, regions, events) filter by.
///
/// It is a correlated `EXISTS` on the project's primary key, so the database probes one project
/// per row it reads instead of first collecting every visible project: the cost follows the
/// page, not the size of the table. A `NULL` project meets it never.
pub fn in_visible_project(actor: &Actor, project_id: impl IntoColumnRef) -> Condition {
    project_is_visible(actor, Expr::col(project_id))
}

/// Whether the project `project_id` (a column, or a known id) is one the actor may read. With a
/// known id the `EXISTS` names no column of the outer row, so the database tests it once per
/// statement instead of once per row.
fn project_is_visible(actor: &Actor, project_id: Expr) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Public | Reach::Organisation(_) => Condition::all().add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(project::Entity)
                .and_where(Expr::col((project::Entity, project::Column::Id)).eq(project_id))
                .cond_where(visible_projects(actor))
                .to_owned(),
        )),
    }
}

/// Whether `organisation_id` is a partner of the project `project_id` (a column of the row
/// being filtered, or a known id): a probe of `project_partner`'s primary key.
fn is_partner_of(organisation_id: Uuid, project_id: Expr) -> Condition {
    Condition::all().add(Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(project_partner::Entity)
            .and_where(
                Expr::col((project_partner::Entity, project_partner::Column::ProjectId))
                    .eq(project_id),
            )
            .and_where(project_partner::Column::OrganisationId.eq(organisation_id))
            .to_owned(),
    ))
}

/// The ids of the projects in `area` that the actor may read. Filtering events by area goes
/// through this, so a filter never tells a reader the areas of a project it may not see.
pub fn visible_project_ids_in_area(actor: &Actor, area: ThematicArea) -> SelectStatement {
    Query::select()
        .column(project_thematic_area::Column::ProjectId)
        .from(project_thematic_area::Entity)
        .and_where(project_thematic_area::Column::ThematicArea.eq(area))
        .cond_where(in_visible_project(
            actor,
            (
                project_thematic_area::Entity,
                project_thematic_area::Column::ProjectId,
            ),
        ))
        .to_owned()
}

/// Events the actor may read: published events of public projects (or of none); for partners
/// also every event of their organisation's projects and every event it organises, published
/// or not; for the Programme Office all.
pub fn visible_events(actor: &Actor) -> Condition {
    events_rule(actor, Expr::col((event::Entity, event::Column::ProjectId)))
}

/// The events of the project `project_id` that the actor may read: the rule of
/// [`visible_events`] for the rows of one project, named by a known id or by a column of the row
/// the events are joined to, when the actor may read that project. The project's own tests (is it public, is the reader's
/// organisation a partner) then name no column of the event, so the database makes them once
/// for the project instead of once per event.
pub fn visible_events_of_project(actor: &Actor, project_id: Expr) -> Condition {
    Condition::all()
        .add(Expr::col((event::Entity, event::Column::ProjectId)).eq(project_id.clone()))
        // An event tells its project only to those who may read the project
        // ([`event_project`]): a partner reads the events it organises under another
        // organisation's internal project, but not as that project's.
        .add(project_is_visible(actor, project_id.clone()))
        .add(events_rule(actor, project_id))
}

/// The one rule of event visibility, with the event's project named by `project_id`: the
/// event's own column, or the project the caller has already chosen.
fn events_rule(actor: &Actor, project_id: Expr) -> Condition {
    // Published, and not part of an internal project: what the public sees.
    let published_public = Condition::all().add(event::Column::Published.eq(true)).add(
        Condition::any()
            .add(project_id.clone().is_null())
            .add(project_is_visible(&Actor::Anonymous, project_id.clone())),
    );
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Public => published_public,
        Reach::Organisation(organisation_id) => Condition::any()
            .add(published_public)
            .add(event::Column::OrganiserId.eq(organisation_id))
            .add(is_partner_of(organisation_id, project_id)),
    }
}

/// Resource centres the actor may read: the directory of active centres; for partners also
/// the centres their organisation operates; for the Programme Office all.
pub fn visible_centres(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Public => Condition::all().add(resource_centre::Column::Active.eq(true)),
        Reach::Organisation(organisation_id) => Condition::any()
            .add(resource_centre::Column::Active.eq(true))
            .add(resource_centre::Column::OperatorId.eq(organisation_id)),
    }
}

/// Organisations the actor may read. The public sees only those that appear in public content
/// (partners of public projects, organisers of public events, operators of active centres);
/// signed-in users see all.
pub fn visible_organisations(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office | Reach::Organisation(_) => everything(),
        Reach::Public => {
            // Correlated probes of the organisation's own rows (indexed by organisation), so a
            // page of organisations costs what the page holds, not a pass over every event.
            let organisation_id = (organisation::Entity, organisation::Column::Id);
            let partners = Query::select()
                .expr(Expr::val(1))
                .from(project_partner::Entity)
                .and_where(
                    Expr::col((
                        project_partner::Entity,
                        project_partner::Column::OrganisationId,
                    ))
                    .equals(organisation_id),
                )
                .cond_where(in_visible_project(
                    actor,
                    (project_partner::Entity, project_partner::Column::ProjectId),
                ))
                .to_owned();
            let organisers = Query::select()
                .expr(Expr::val(1))
                .from(event::Entity)
                .and_where(
                    Expr::col((event::Entity, event::Column::OrganiserId)).equals(organisation_id),
                )
                .cond_where(visible_events(&Actor::Anonymous))
                .to_owned();
            let operators = Query::select()
                .expr(Expr::val(1))
                .from(resource_centre::Entity)
                .and_where(
                    Expr::col((resource_centre::Entity, resource_centre::Column::OperatorId))
                        .equals(organisation_id),
                )
                .and_where(resource_centre::Column::Active.eq(true))
                .to_owned();
            Condition::any()
                .add(Expr::exists(partners))
                .add(Expr::exists(organisers))
                .add(Expr::exists(operators))
        }
    }
}

/// Which of the rows an actor reads show it one of their restricted fields: a field-level rule.
///
/// A field rule is a condition on the row, like the row rules above, so that one rule serves
/// both ends: services redact what they return with it (a field the actor may not read is
/// absent from the view they hand out, so no resolver, export or mail can show it), and every
/// search, filter and ordering that touches the field adds it as an SQL condition, so that a
/// reader can never find, narrow or order rows by a value it may not read.
#[derive(Clone, Debug)]
pub enum FieldAccess {
    /// On every row the actor reads.
    All,
    /// On the rows that meet the condition.
    Rows(Condition),
    /// On none.
    Nothing,
}

impl FieldAccess {
    /// The rule as a condition on the row.
    pub fn condition(&self) -> Condition {
        match self {
            Self::All => everything(),
            Self::Rows(condition) => condition.clone(),
            Self::Nothing => nothing(),
        }
    }
}

/// Who reads an organisation's contact details and status: signed-in users. The public sees
/// only name, acronym and kind.
pub fn organisation_details(actor: &Actor) -> FieldAccess {
    match reach(actor) {
        Reach::Office | Reach::Organisation(_) => FieldAccess::All,
        Reach::Public => FieldAccess::Nothing,
    }
}

/// Who reads a centre's street address: everyone, except a shelter's, which the public does
/// not. Publishing where a shelter is would endanger the people it protects; signed-in
/// partners need it to refer.
pub fn centre_address(actor: &Actor) -> FieldAccess {
    match reach(actor) {
        Reach::Office | Reach::Organisation(_) => FieldAccess::All,
        Reach::Public => FieldAccess::Rows(
            Condition::all().add(resource_centre::Column::Kind.ne(CentreKind::Shelter)),
        ),
    }
}

/// Who reads the fields of a centre that are not in the public directory (whether it is
/// active): the Programme Office, and the operating organisation for its own centres. When it
/// was last verified is a directory field: it tells a reader how far to trust the entry.
pub fn centre_administration(actor: &Actor) -> FieldAccess {
    match reach(actor) {
        Reach::Office => FieldAccess::All,
        Reach::Organisation(organisation_id) => FieldAccess::Rows(
            Condition::all().add(resource_centre::Column::OperatorId.eq(organisation_id)),
        ),
        Reach::Public => FieldAccess::Nothing,
    }
}

/// Who reads a project's internal figures (its budget): the Programme Office, and members of
/// the project's partner organisations.
pub fn project_internals(actor: &Actor) -> FieldAccess {
    match reach(actor) {
        Reach::Office => FieldAccess::All,
        Reach::Organisation(organisation_id) => FieldAccess::Rows(is_partner_of(
            organisation_id,
            Expr::col((project::Entity, project::Column::Id)),
        )),
        Reach::Public => FieldAccess::Nothing,
    }
}

/// Which events show the actor the project they belong to: those whose project it may read.
/// (A partner reads every event its organisation organises, also under a project it is no
/// partner of; such an event must not tell it which internal project it belongs to, neither
/// as a field nor through a filter.)
pub fn event_project(actor: &Actor) -> FieldAccess {
    match reach(actor) {
        Reach::Office => FieldAccess::All,
        Reach::Public | Reach::Organisation(_) => FieldAccess::Rows(in_visible_project(
            actor,
            (event::Entity, event::Column::ProjectId),
        )),
    }
}

/// Accounts the actor may read: admins all; partner managers those of their organisation;
/// everyone their own; the public none.
pub fn visible_accounts(actor: &Actor) -> Condition {
    match actor {
        Actor::Anonymous => nothing(),
        Actor::Member(member) => match (member.role, member.organisation_id) {
            (Role::Admin, _) => everything(),
            (Role::PartnerManager, Some(organisation_id)) => Condition::any()
                .add(account::Column::Id.eq(member.account_id))
                .add(account::Column::OrganisationId.eq(organisation_id)),
            _ => Condition::all().add(account::Column::Id.eq(member.account_id)),
        },
    }
}

/// Whether the actor may list and search accounts (admins, and managers for their own
/// organisation).
pub fn can_list_accounts(actor: &Actor) -> bool {
    matches!(actor.role(), Some(Role::Admin | Role::PartnerManager))
}

/// Whether the actor may administer `target` (change, disable, enable, reset): admins any
/// account; partner managers the partner accounts of their own organisation.
pub fn can_manage_account(actor: &Actor, target: &account::Model) -> bool {
    let Some(member) = actor.member() else {
        return false;
    };
    match member.role {
        Role::Admin => true,
        Role::PartnerManager => {
            member.organisation_id.is_some()
                && target.organisation_id == member.organisation_id
                && is_partner_role(target.role)
        }
        Role::Partner | Role::Staff => false,
    }
}

/// Whether the actor may reset `target`'s two-factor authentication (clear its secret, its
/// confirmation and its recovery codes, and end its sessions): whoever may administer the
/// account ([`can_manage_account`]: admins any account, partner managers the partner accounts
/// of their own organisation), but never their own, which goes through `removeTotp` and a
/// current code, so that a stolen session cannot take the second factor off.
pub fn can_reset_two_factor(actor: &Actor, target: &account::Model) -> bool {
    actor
        .member()
        .is_some_and(|member| member.account_id != target.id)
        && can_manage_account(actor, target)
}

/// Whether the actor may see how many unused recovery codes `target` has: its owner, and those
/// who may reset its two-factor authentication.
pub fn can_see_recovery_codes_left(actor: &Actor, target: &account::Model) -> bool {
    actor
        .member()
        .is_some_and(|member| member.account_id == target.id)
        || can_reset_two_factor(actor, target)
}

/// Whether the actor may give an account `role` in `organisation_id` (on creation or change):
/// admins any; partner managers only partner roles in their own organisation, never above
/// `PARTNER_MANAGER`.
pub fn can_grant(actor: &Actor, role: Role, organisation_id: Option<Uuid>) -> bool {
    let Some(member) = actor.member() else {
        return false;
    };
    match member.role {
        Role::Admin => true,
        Role::PartnerManager => {
            is_partner_role(role)
                && member.organisation_id.is_some()
                && organisation_id == member.organisation_id
        }
        Role::Partner | Role::Staff => false,
    }
}

/// Partner roles belong to an organisation; staff roles to none.
pub fn is_partner_role(role: Role) -> bool {
    matches!(role, Role::Partner | Role::PartnerManager)
}

/// Whether the actor may create, change and deactivate organisations.
pub fn can_manage_organisations(actor: &Actor) -> bool {
    matches!(actor.role(), Some(Role::Staff | Role::Admin))
}

/// The root fields an account with a pending [`Restriction`] may still use: those that let it
/// meet the restriction, see who it is, and leave.
fn allowed_while_restricted(restriction: Restriction, field: &str) -> bool {
    const ALWAYS: [&str; 4] = ["me", "logout", "refreshSession", "login"];
    if ALWAYS.contains(&field) {
        return true;
    }
    match restriction {
        Restriction::MustChangePassword => field == "changePassword",
        Restriction::MustEnrolTotp => {
            matches!(field, "enrolTotp" | "confirmTotp" | "changePassword")
        }
    }
}

/// Whether `actor` may use `field` (a root field, or `export` for the downloads) with what
/// its account must do first still pending. The public and accounts with nothing pending pass;
/// the GraphQL guard, subscriptions and the downloads all ask here.
///
/// # Errors
/// `FORBIDDEN` (`ApiError::ActionRequired`), saying what to do first.
pub fn check_restriction(actor: &Actor, field: &str) -> crate::error::ApiResult<()> {
    match actor.member().and_then(|member| member.restriction) {
        Some(restriction) if !allowed_while_restricted(restriction, field) => {
            Err(crate::error::ApiError::ActionRequired(match restriction {
                Restriction::MustChangePassword => {
                    "Change your one-time password first (changePassword)."
                }
                Restriction::MustEnrolTotp => {
                    "Admins must turn on two-factor authentication first (enrolTotp, then \
                     confirmTotp)."
                }
            }))
        }
        _ => Ok(()),
    }
}

/// A condition no row meets (an explicit `1 = 0`, not an empty condition whose meaning
/// depends on how it is combined).
fn nothing() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

/// Whether the actor may create, change and delete projects and set their partners.
pub fn can_manage_projects(actor: &Actor) -> bool {
    reach(actor) == Reach::Office
}

/// Projects the actor may record events under: all for the Programme Office; for partners the
/// projects their organisation is a partner of.
pub fn projects_open_for_events(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => is_partner_of(
            organisation_id,
            Expr::col((project::Entity, project::Column::Id)),
        ),
        Reach::Public => nothing(),
    }
}

/// Whether the actor may record an event without a project (the Programme Office only).
pub fn can_record_events_without_project(actor: &Actor) -> bool {
    reach(actor) == Reach::Office
}

/// The organisation a partner acts for, `None` for the Programme Office and the public. A new
/// event of a partner must name it as organiser (the Office may name any); a partner opens
/// referral cases for it (the Office and the public open none).
pub fn partner_organisation(actor: &Actor) -> Option<Uuid> {
    match reach(actor) {
        Reach::Organisation(organisation_id) => Some(organisation_id),
        Reach::Office | Reach::Public => None,
    }
}

/// Events the actor may change, publish or delete: all for the Programme Office; for partners
/// those their organisation organises.
pub fn editable_events(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => {
            Condition::all().add(event::Column::OrganiserId.eq(organisation_id))
        }
        Reach::Public => nothing(),
    }
}

/// Whether the actor may create centres, change every field of one and deactivate it.
pub fn can_manage_centres(actor: &Actor) -> bool {
    reach(actor) == Reach::Office
}

/// Centres whose directory fields (hours, phone, services, capacity, accepting referrals) the
/// actor may keep, and mark verified: all for the Programme Office; for partners the centres
/// their organisation operates.
pub fn editable_centre_directories(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => {
            Condition::all().add(resource_centre::Column::OperatorId.eq(organisation_id))
        }
        Reach::Public => nothing(),
    }
}

/// Whether the actor may submit and correct the monthly reports of `centre`: members of the
/// operating organisation only (the Programme Office reads them, it does not write them).
pub fn can_report_for(actor: &Actor, centre: &resource_centre::Model) -> bool {
    reach(actor) == Reach::Organisation(centre.operator_id)
}

/// Whether the actor may import monthly reports of `centre` from a CSV file: the members of
/// the operating organisation, as for [`can_report_for`], and the Programme Office, which
/// enters the figures of centres that still report on paper (issue 17: "staff and operators
/// upload"). One by one (`submitCentreReport`) the office still does not write reports.
pub fn can_import_reports_for(actor: &Actor, centre: &resource_centre::Model) -> bool {
    can_report_for(actor, centre) || reach(actor) == Reach::Office
}

/// Whether the actor may approve centre reports (locking their month) and reopen them: the
/// Programme Office only.
pub fn can_approve_reports(actor: &Actor) -> bool {
    reach(actor) == Reach::Office
}

/// Indicators the actor may read (their definitions, baselines and targets): those of the
/// projects the actor may read.
pub fn visible_indicators(actor: &Actor) -> Condition {
    in_visible_project(actor, (indicator::Entity, indicator::Column::ProjectId))
}

/// Projects whose indicators and targets the actor may define, change and delete: all for the
/// Programme Office; for partners those their organisation is the `ACCOUNTABLE` partner of.
pub fn projects_with_managed_indicators(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => Condition::all().add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(project_partner::Entity)
                .and_where(
                    Expr::col((project_partner::Entity, project_partner::Column::ProjectId))
                        .equals((project::Entity, project::Column::Id)),
                )
                .and_where(project_partner::Column::OrganisationId.eq(organisation_id))
                .and_where(project_partner::Column::Role.eq(PartnerRole::Accountable))
                .to_owned(),
        )),
        Reach::Public => nothing(),
    }
}

/// Projects whose results (actual values of indicator periods) the actor may report and
/// correct: for partners the projects their organisation is a partner of, in any role. The
/// Programme Office approves results; it does not report them (as with centre reports).
pub fn projects_open_for_results(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Organisation(organisation_id) => is_partner_of(
            organisation_id,
            Expr::col((project::Entity, project::Column::Id)),
        ),
        Reach::Office | Reach::Public => nothing(),
    }
}

/// Whether the actor may approve indicator results (locking their period) and reopen them: the
/// Programme Office only.
pub fn can_approve_results(actor: &Actor) -> bool {
    reach(actor) == Reach::Office
}

/// Indicator periods whose reported result (actual values, comment, reporter) the actor may
/// read, on rows of `indicator_period` joined with their `indicator`: every result for the
/// Programme Office; for partners every result of their organisation's projects and approved
/// results of others; for the public approved results only (of public projects: the
/// indicator's own rule, [`visible_indicators`], still applies).
pub fn readable_results(actor: &Actor) -> Condition {
    let approved = || {
        Condition::all().add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(indicator_period_approval::Entity)
                .and_where(
                    Expr::col((
                        indicator_period_approval::Entity,
                        indicator_period_approval::Column::PeriodId,
                    ))
                    .equals((indicator_period::Entity, indicator_period::Column::Id)),
                )
                .to_owned(),
        ))
    };
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => {
            Condition::any().add(approved()).add(is_partner_of(
                organisation_id,
                Expr::col((indicator::Entity, indicator::Column::ProjectId)),
            ))
        }
        Reach::Public => approved(),
    }
}

/// Indicator periods whose earlier revisions and pending state the actor may read, on rows of
/// `indicator_period` joined with their `indicator`: all for the Programme Office; for partners
/// those of their organisation's projects; the public none (it reads approved results only).
pub fn readable_result_history(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => is_partner_of(
            organisation_id,
            Expr::col((indicator::Entity, indicator::Column::ProjectId)),
        ),
        Reach::Public => nothing(),
    }
}

/// Whether the actor reads exact figures of people served by the centres `operator_id` runs:
/// its own members do (they submitted them); everyone else, the Programme Office included,
/// reads them with small cells suppressed.
pub fn reads_exact_people_served(actor: &Actor, operator_id: Uuid) -> bool {
    reach(actor) == Reach::Organisation(operator_id)
}

/// Whether figures about referral cases are published exactly to the actor: to nobody, the
/// parties included (they read their own cases, not counts of others').
pub fn reads_exact_case_statistics(_actor: &Actor) -> bool {
    false
}

/// Whether the actor may download CSV files: signed-in accounts without a pending restriction
/// (what each file holds is then the same as the API shows them).
///
/// # Errors
/// `UNAUTHENTICATED` for the public; the restriction's `FORBIDDEN` for an account that must
/// first change its password or enrol two-factor authentication.
pub fn may_download(actor: &Actor) -> crate::error::ApiResult<()> {
    actor.signed_in()?;
    check_restriction(actor, "export")
}

/// Whether the actor may read the public files (the IATI export): anyone; an account that
/// signs in is held to a pending restriction, as everywhere. What the files hold is decided by
/// the rules of `Actor::Anonymous`, whoever reads them.
///
/// # Errors
/// `ACTION_REQUIRED` for an account with a pending restriction.
pub fn may_read_publications(actor: &Actor) -> crate::error::ApiResult<()> {
    check_restriction(actor, "export")
}

/// Whether the actor may upload a CSV file of reports or events: signed-in accounts without a
/// pending restriction (each report of the file is then held to [`can_import_reports_for`],
/// each event to the rules of creating and editing events).
///
/// # Errors
/// As [`may_download`].
pub fn may_import(actor: &Actor) -> crate::error::ApiResult<()> {
    actor.signed_in()?;
    check_restriction(actor, "import")
}

/// Whether the actor may read the audit log: admins only.
pub fn can_read_audit_log(actor: &Actor) -> bool {
    actor.role() == Some(Role::Admin)
}

/// Centre reports the actor may read: all for the Programme Office; for partners those of the
/// centres their organisation operates; the public none (it sees suppressed statistics only).
pub fn visible_centre_reports(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => {
            let operated = Query::select()
                .column(resource_centre::Column::Id)
                .from(resource_centre::Entity)
                .and_where(resource_centre::Column::OperatorId.eq(organisation_id))
                .to_owned();
            Condition::all().add(centre_report::Column::CentreId.in_subquery(operated))
        }
        Reach::Public => nothing(),
    }
}

/// Referral cases the actor may read (their non-identifying fields and history): for partners
/// the cases their organisation refers or receives now, or received before an onward referral;
/// for the Programme Office all; for the public none. A draft is its referrer's alone (it has no
/// receiver yet).
///
/// A partner's cases are its organisation's rows of `case_party`, which the database keeps
/// equal to that rule on every write of a case or its history (migration
/// `m20261203_000022_case_parties`): one indexed probe per case read.
pub fn visible_cases(actor: &Actor) -> Condition {
    match reach(actor) {
        Reach::Office => everything(),
        Reach::Organisation(organisation_id) => Condition::all().add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(case_party::Entity)
                .and_where(
                    Expr::col((case_party::Entity, case_party::Column::CaseId))
                        .equals((referral_case::Entity, referral_case::Column::Id)),
                )
                .and_where(
                    Expr::col((case_party::Entity, case_party::Column::OrganisationId))
                        .eq(organisation_id),
                )
                .to_owned(),
        )),
        Reach::Public => nothing(),
    }
}

/// The cases the actor may read, for a list: the same rule as [`visible_cases`], written for
/// partners as a join of their organisation's rows of `case_party`, so that a page is read in
/// that table's index order; everything for the Programme Office; nothing for the public.
pub fn case_list(actor: &Actor) -> CaseList {
    let select = referral_case::Entity::find();
    match reach(actor) {
        Reach::Organisation(organisation_id) => {
            let own = case_party::Column::OrganisationId.eq(organisation_id);
            CaseList {
                select: select
                    .join_rev(JoinType::InnerJoin, case_party::Relation::Case.def())
                    .filter(own.clone()),
                parties: Some(case_party::Entity::find().filter(own)),
            }
        }
        Reach::Office => CaseList {
            select,
            parties: None,
        },
        Reach::Public => CaseList {
            select: select.filter(nothing()),
            parties: None,
        },
    }
}

/// The cases an actor may list ([`case_list`]).
pub struct CaseList {
    pub select: Select<referral_case::Entity>,
    /// For a partner: its organisation's rows of `case_party`, which `select` is joined to (one
    /// per case it may read), to count without reading the cases.
    pub parties: Option<Select<case_party::Entity>>,
}

/// Whether the actor may read the survivor-identifying fields of `case`: members of the
/// referring organisation and of the current receiving organisation, nobody else — not the
/// Programme Office, not a previous receiver. This is the portal's strongest promise.
pub fn can_read_identifying(actor: &Actor, case: &referral_case::Model) -> bool {
    match reach(actor) {
        Reach::Organisation(organisation_id) => {
            case.referring_organisation_id == organisation_id
                || case.receiving_organisation_id == Some(organisation_id)
        }
        Reach::Office | Reach::Public => false,
    }
}

/// Which side of a case the actor acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseParty {
    Referrer,
    Receiver,
}

/// The side of `case` the actor's organisation is on now, if any. Only a current party acts on
/// a case; whose turn it is depends on the transition (see `services::cases`).
pub fn case_party(actor: &Actor, case: &referral_case::Model) -> Option<CaseParty> {
    match reach(actor) {
        Reach::Organisation(organisation_id)
            if case.referring_organisation_id == organisation_id =>
        {
            Some(CaseParty::Referrer)
        }
        Reach::Organisation(organisation_id)
            if case.receiving_organisation_id == Some(organisation_id) =>
        {
            Some(CaseParty::Receiver)
        }
        _ => None,
    }
}

/// Whether the actor may read the access log of `case` (who read the identifying data): the
/// current parties, who are answerable for it.
pub fn can_read_case_access_log(actor: &Actor, case: &referral_case::Model) -> bool {
    case_party(actor, case).is_some()
}

/// Whether an access-log entry may name the account that read: only to readers of the same
/// organisation. The other party learns which organisation read, not which of its staff
/// (partners see no other organisation's accounts).
pub fn can_identify_reader(actor: &Actor, reader_organisation_id: Option<Uuid>) -> bool {
    matches!(reach(actor), Reach::Organisation(organisation_id) if reader_organisation_id == Some(organisation_id))
}

/// The organisation whose live referral events the actor receives: a partner's own. The public
/// must sign in; the Programme Office is party to no case and gets no live events (it reads
/// every case's non-identifying history through queries).
///
/// # Errors
/// `UNAUTHENTICATED` for the public, `FORBIDDEN` for an account of no organisation.
pub fn referral_event_recipient(actor: &Actor) -> crate::error::ApiResult<Uuid> {
    actor
        .signed_in()?
        .organisation_id
        .ok_or(crate::error::ApiError::Forbidden)
}

/// Whether a live case event goes to the users of `organisation_id`: only when that
/// organisation is party to the change.
pub fn receives_case_event(
    event: &crate::services::case_events::CaseEvent,
    organisation_id: Uuid,
) -> bool {
    event.parties.contains(&organisation_id)
}
