//! The demo referral cases (`api/data/demo/cases.toml`): some sixty cases over the eighteen
//! months before the demo's "now", each with its full history, replayed through the referral
//! workflow of `services::cases` (its table of steps and its receiver rule), so that the rows are
//! those the service would have written, and a history the workflow does not allow is an error.
//!
//! The survivor-identifying columns (`survivor_name`, `contact_phone`, `address`, `notes`) stay
//! NULL: they hold ciphertext under the data key from the server's configuration, which the
//! demo loader does not have (and demo rows must be the same in every database). Comments and
//! consent scopes are non-identifying, as the API requires.
//!
//! Deadlines are the defaults of [`CaseDeadlines`] (72 hours, 24 for `HIGH` risk). Codes are
//! numbered per year in the order the cases were opened, and the per-year counters end at the
//! last number, so a case opened through the API afterwards gets the next one. No audit
//! entries are written.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use entity::{
    case_code_counter,
    enums::{CaseOutcome, CaseStatus, DeclineReason, RiskLevel},
    localized::CodeList,
    referral_case, referral_transition,
};
use sea_orm::DbErr;
use uuid::Uuid;

use super::{
    accounts::member_of,
    bad_data, centre_id, demo_id,
    files::{Act, CaseRow, DemoFiles, Party},
    lookup, region_of,
};
use crate::{
    policy::CaseParty,
    services::cases::{
        self, Action, CaseDeadlines, ProposedReceiver, ReceivingCentre, receiver_refusal,
    },
};

/// The demo's referral cases, their histories and the per-year code counters.
#[derive(Debug, Default)]
pub(super) struct DemoCases {
    pub cases: Vec<referral_case::Model>,
    pub transitions: Vec<referral_transition::Model>,
    pub counters: Vec<case_code_counter::Model>,
}

/// Builds the cases of the data file: each case's steps are played through the workflow's rules
/// (who acts when, what each step sets), so a row contradicting them is an error, not a row.
/// `accounts_created` is when the demo accounts were made (their ids depend on it); no step
/// may come after `as_of` nor a case be opened before `first_day`.
pub(super) fn build(
    files: &DemoFiles,
    orgs: &HashMap<&str, Uuid>,
    accounts_created: DateTime<Utc>,
    first_day: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Result<DemoCases, DbErr> {
    let mut built = Vec::with_capacity(files.cases.len());
    for row in &files.cases {
        let case = play(files, row, orgs, accounts_created)?;
        let (first, last) = (case.0.created_at, case.0.updated_at);
        if first < first_day || last > as_of {
            return Err(bad_data(format!(
                "case {}: outside the demo's eighteen months",
                row.key
            )));
        }
        built.push(case);
    }
    // Numbers per year, in the order the cases were opened (as `next_code` hands them out).
    built.sort_by_key(|(case, _)| (case.created_at, case.id));
    let mut last_of_year: Vec<(i32, i32)> = Vec::new();
    let mut demo = DemoCases::default();
    for (mut case, history) in built {
        let year = case.created_at.year();
        let number = match last_of_year.last_mut() {
            Some((last_year, number)) if *last_year == year => {
                *number += 1;
                *number
            }
            _ => {
                last_of_year.push((year, 1));
                1
            }
        };
        case.code = format!("RC-{year}-{number:06}");
        demo.cases.push(case);
        demo.transitions.extend(history);
    }
    demo.counters = last_of_year
        .into_iter()
        .map(|(year, last_value)| case_code_counter::Model { year, last_value })
        .collect();
    Ok(demo)
}

/// The account acting for the organisation `key`: its demo account, or an error for a row that
/// has another organisation act.
fn actor(
    files: &DemoFiles,
    key: &str,
    case: &str,
    accounts_created: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    member_of(&files.logins, key, accounts_created)?.ok_or_else(|| {
        bad_data(format!(
            "case {case}: {key} has no demo account to act with"
        ))
    })
}

/// The workflow's action of a step, and the party it names (only a withdrawal of consent
/// names one: either side may be told).
fn action_of(act: &Act) -> (Action, Option<CaseParty>) {
    match act {
        Act::Send { .. } => (Action::Send, None),
        Act::Accept => (Action::Accept, None),
        Act::Decline { .. } => (Action::Decline, None),
        Act::StartService => (Action::StartService, None),
        Act::Close { .. } => (Action::Close, None),
        Act::Withdraw { .. } => (Action::Withdraw, None),
        Act::ReferOnward { .. } => (Action::ReferOnward, None),
        Act::WithdrawConsent { by } => (
            Action::WithdrawConsent,
            Some(match by {
                Party::Referrer => CaseParty::Referrer,
                Party::Receiver => CaseParty::Receiver,
            }),
        ),
    }
}

/// The party acting and the status reached when `act` is done on a case in `from`, by the
/// workflow's table; an error when the workflow does not allow it, or when either party may
/// and the step does not say which.
fn turn(key: &str, from: CaseStatus, act: &Act) -> Result<(CaseParty, CaseStatus), DbErr> {
    let (action, named) = action_of(act);
    let not_allowed = || bad_data(format!("case {key}: {action:?} is not allowed {from:?}"));
    let step = cases::step_for(from, action).ok_or_else(not_allowed)?;
    let mut parties = step.parties_from(from);
    let party = match named {
        Some(party) if step.parties_from(from).any(|by| by == party) => party,
        Some(_) => return Err(not_allowed()),
        None => match (parties.next(), parties.next()) {
            (Some(party), None) => party,
            _ => {
                return Err(bad_data(format!(
                    "case {key}: say who does {action:?} {from:?}"
                )));
            }
        },
    };
    Ok((party, step.to()))
}

/// Checks a receiver by the workflow's receiver rule, from the organisations and centres of
/// the data files.
fn check_receiver(
    files: &DemoFiles,
    orgs: &HashMap<&str, Uuid>,
    key: &str,
    case: &referral_case::Model,
    to: &str,
    centre: Option<&str>,
) -> Result<(), DbErr> {
    let centre = match centre {
        Some(centre) => Some(
            files
                .centres
                .iter()
                .find(|row| row.key == centre)
                .map(|row| {
                    Ok::<_, DbErr>(ReceivingCentre {
                        operator_id: lookup(orgs, "organisation", &row.operator)?,
                        active: row.active,
                        accepting_referrals: row.accepting_referrals,
                    })
                })
                .transpose()?,
        ),
        None => None,
    };
    let proposed = ProposedReceiver {
        organisation_id: lookup(orgs, "organisation", to)?,
        organisation_active: files
            .organisations
            .iter()
            .any(|row| row.key == to && row.active),
        centre,
    };
    match receiver_refusal(case, &proposed) {
        Some(refusal) => Err(bad_data(format!(
            "case {key}: referred to {to}: {}",
            refusal.field_and_message().1
        ))),
        None => Ok(()),
    }
}

/// Plays one case's steps; returns the case (without its code) and its history.
fn play(
    files: &DemoFiles,
    row: &CaseRow,
    orgs: &HashMap<&str, Uuid>,
    accounts_created: DateTime<Utc>,
) -> Result<(referral_case::Model, Vec<referral_transition::Model>), DbErr> {
    let key = row.key.as_str();
    let opened = row.opened.and_utc();
    let id = demo_id(&format!("case:{key}"), opened)?;
    let referrer = lookup(orgs, "organisation", &row.referrer)?;
    let creator = actor(files, &row.referrer, key, accounts_created)?;
    let deadline = {
        let deadlines = CaseDeadlines::default();
        match row.risk {
            RiskLevel::High => deadlines.high_risk,
            RiskLevel::Low | RiskLevel::Medium => deadlines.standard,
        }
    };
    let consent_scope = match row.consent {
        true => Some(
            files
                .consent_scopes
                .get(&row.kind)
                .cloned()
                .ok_or_else(|| bad_data(format!("case {key}: no consent scope for its kind")))?,
        ),
        false => None,
    };
    let mut services: Vec<String> = row
        .services
        .iter()
        .map(sea_orm::ActiveEnum::to_value)
        .collect();
    services.sort();
    services.dedup();
    let mut case = referral_case::Model {
        id,
        code: String::new(),
        kind: row.kind,
        status: CaseStatus::Draft,
        risk: row.risk,
        survivor_sex: row.survivor.sex,
        survivor_age_group: row.survivor.age,
        survivor_citizenship: row.survivor.citizenship.clone(),
        survivor_has_disability: row.survivor.disability,
        region: region_of(&files.districts, &row.district)?,
        district: row.district.clone(),
        services_requested: CodeList(services),
        referring_organisation_id: referrer,
        receiving_organisation_id: None,
        receiving_centre_id: None,
        consent_given: row.consent,
        // Sealed with the case's own key by the loader, before it commits.
        legacy_consent_scope: consent_scope,
        consent_scope_sealed: None,
        consent_recorded_at: row.consent.then_some(opened),
        consent_recorded_by_id: row.consent.then_some(creator),
        referred_at: None,
        response_due_at: None,
        first_response_at: None,
        closed_at: None,
        outcome: None,
        // Identifying: ciphertext under the configured data key, which the demo does not have.
        survivor_name: None,
        contact_phone: None,
        address: None,
        notes: None,
        data_key: None,
        erased_at: None,
        created_by_id: creator,
        version: 1,
        created_at: opened,
        updated_at: opened,
    };
    let step_id = |index: usize, when: DateTime<Utc>| demo_id(&format!("case:{key}:{index}"), when);
    let mut history = vec![referral_transition::Model {
        id: step_id(0, opened)?,
        case_id: id,
        from_status: None,
        to_status: CaseStatus::Draft,
        actor_account_id: creator,
        actor_organisation_id: Some(referrer),
        receiving_organisation_id: None,
        reason: None,
        legacy_comment: None,
        comment_sealed: None,
        at: opened,
    }];
    let mut receiver: Option<&str> = None;
    let mut now = opened;
    for (index, step) in row.steps.iter().enumerate() {
        now += step.after;
        let from = case.status;
        let (party, to) = turn(key, from, &step.act)?;
        let acting = match party {
            CaseParty::Referrer => row.referrer.as_str(),
            CaseParty::Receiver => receiver.ok_or_else(|| {
                bad_data(format!("case {key}: {:?} without a receiver", step.act))
            })?,
        };
        let (mut reason, mut comment) = (None, None);
        match &step.act {
            Act::Send { to: org, centre }
            | Act::ReferOnward {
                to: org, centre, ..
            } => {
                if !case.consent_given {
                    return Err(bad_data(format!("case {key}: referred without consent")));
                }
                check_receiver(files, orgs, key, &case, org, centre.as_deref())?;
                receiver = Some(org);
                case.receiving_organisation_id = Some(lookup(orgs, "organisation", org)?);
                case.receiving_centre_id = centre.as_deref().map(centre_id).transpose()?;
                case.referred_at = Some(now);
                case.response_due_at = Some(now + deadline);
                if let Act::ReferOnward { comment: note, .. } = &step.act {
                    // As `Cases::refer_onward`: the new receiver has not answered yet.
                    case.first_response_at = None;
                    comment.clone_from(note);
                }
            }
            Act::Accept => {
                case.first_response_at.get_or_insert(now);
            }
            Act::Decline {
                reason: why,
                comment: note,
            } => {
                if *why == DeclineReason::Other && note.is_none() {
                    return Err(bad_data(format!("case {key}: OTHER without a comment")));
                }
                case.first_response_at.get_or_insert(now);
                reason = Some(*why);
                comment.clone_from(note);
            }
            Act::StartService => {}
            Act::Close {
                outcome,
                comment: note,
            } => {
                if *outcome == CaseOutcome::ConsentWithdrawn {
                    return Err(bad_data(format!(
                        "case {key}: consent withdrawal is its own step"
                    )));
                }
                case.closed_at = Some(now);
                case.outcome = Some(*outcome);
                comment.clone_from(note);
            }
            Act::Withdraw { comment: note } => {
                case.closed_at = Some(now);
                comment.clone_from(note);
            }
            Act::WithdrawConsent { .. } => {
                case.erased_at = Some(now);
                case.consent_given = false;
                case.closed_at = Some(now);
                case.outcome = Some(CaseOutcome::ConsentWithdrawn);
            }
        }
        case.status = to;
        case.version += 1;
        case.updated_at = now;
        history.push(referral_transition::Model {
            id: step_id(index + 1, now)?,
            case_id: id,
            from_status: Some(from),
            to_status: to,
            actor_account_id: actor(files, acting, key, accounts_created)?,
            actor_organisation_id: Some(lookup(orgs, "organisation", acting)?),
            receiving_organisation_id: case.receiving_organisation_id,
            reason,
            legacy_comment: comment,
            comment_sealed: None,
            at: now,
        });
    }
    Ok((case, history))
}
