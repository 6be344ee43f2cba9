//! The atoms of the protected statistics, as [`Protection`]s: people served by centres and
//! referral cases, each laid out along levels whose order says which detail is given up
//! first (the last level first). Months come first so that a month's figures are settled
//! within the month; the organisations that know counts exactly come last, so that a block
//! gathers several centres or several cases' parties before it gathers anything else.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use chrono::NaiveDate;
use entity::enums::{CaseKind, CaseOutcome, CaseStatus, CentreService, Region, RiskLevel};
use sea_orm::{FromQueryResult, Iterable, prelude::DateTimeUtc};
use uuid::Uuid;

use super::{
    MAX_MONTHS, first_of_month, months,
    suppression::{Atom, Branch, Protection, Selection},
};
use crate::{error::ApiResult, services::pagination::DateRange};

/// The position of `value` in its code list.
pub(super) fn index_of<E: Iterable + PartialEq>(value: E) -> u32 {
    E::iter()
        .position(|code| code == value)
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(u32::MAX)
}

fn count<E: Iterable>() -> u32 {
    u32::try_from(E::iter().count()).unwrap_or(u32::MAX)
}

/// Every month from the first to the last month of a dataset.
pub(super) struct Months {
    list: Vec<NaiveDate>,
}

impl Months {
    fn new(seen: impl Iterator<Item = NaiveDate>) -> Self {
        let seen: BTreeSet<NaiveDate> = seen.map(first_of_month).collect();
        let mut list = Vec::new();
        if let (Some(&first), Some(&last)) = (seen.first(), seen.last()) {
            let mut month = first;
            while month <= last {
                list.push(month);
                match month.checked_add_months(chrono::Months::new(1)) {
                    Some(next) => month = next,
                    None => break,
                }
            }
        }
        Self { list }
    }

    fn len(&self) -> u32 {
        u32::try_from(self.list.len()).unwrap_or(u32::MAX)
    }

    fn index(&self, month: NaiveDate) -> Option<u32> {
        let month = first_of_month(month);
        self.list
            .binary_search(&month)
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Keeps the months of `period` (each counted whole) at `level`.
    pub(super) fn restrict(&self, selection: &mut Selection, level: usize, period: &DateRange) {
        if period.from.is_none() && period.to.is_none() {
            return;
        }
        let from = period.from.map(first_of_month);
        let to = period.to.map(first_of_month);
        let kept = (0..self.len()).filter(|&i| {
            let month = self.list[i as usize];
            from.is_none_or(|from| month >= from) && to.is_none_or(|to| month <= to)
        });
        selection.restrict(level, self.list.len(), kept);
    }

    /// The months of `period`, or where it is open the first or last month of the dataset.
    pub(super) fn axis(&self, level: usize, period: &DateRange) -> ApiResult<Axis> {
        let span: Vec<String> = [self.list.first(), self.list.last()]
            .into_iter()
            .flatten()
            .map(|month| month.format("%Y-%m").to_string())
            .collect();
        let keys = months(period, span.iter())?;
        debug_assert!(keys.len() <= MAX_MONTHS);
        let values = keys
            .iter()
            .map(|key| {
                NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d")
                    .ok()
                    .and_then(|month| self.index(month))
                    .into_iter()
                    .collect()
            })
            .collect();
        Ok(Axis {
            level: Some(level),
            size: self.list.len(),
            keys,
            values,
        })
    }
}

/// A dimension of a table: its keys and which values of its level each key takes.
pub(super) struct Axis {
    /// `None` for the one column `ALL`.
    pub level: Option<usize>,
    pub size: usize,
    pub keys: Vec<String>,
    pub values: Vec<Vec<u32>>,
}

impl Axis {
    pub(super) fn all() -> Self {
        Self {
            level: None,
            size: 0,
            keys: vec![super::ALL.to_owned()],
            values: vec![Vec::new()],
        }
    }

    /// One key per code of `E`, in its order.
    pub(super) fn codes<E>(level: usize) -> Self
    where
        E: sea_orm::ActiveEnum<Value = String> + Iterable,
    {
        let keys = super::codes::<E>();
        Self {
            level: Some(level),
            size: keys.len(),
            values: (0..count::<E>()).map(|i| vec![i]).collect(),
            keys,
        }
    }

    /// The key of a prefix, if any.
    pub(super) fn key_of(&self) -> impl Fn(&[u32]) -> Option<usize> + use<> {
        let mut keys: Vec<Option<usize>> = vec![None; self.size];
        for (key, values) in self.values.iter().enumerate() {
            for &value in values {
                if let Some(slot) = keys.get_mut(value as usize) {
                    *slot = Some(key);
                }
            }
        }
        let level = self.level;
        move |prefix: &[u32]| match level {
            None => Some(0),
            Some(level) => prefix
                .get(level)
                .and_then(|&value| keys.get(value as usize).copied().flatten()),
        }
    }
}

/// People served: month × region × service × sex × centre.
pub(super) mod people {
    use super::*;

    pub const MONTH: usize = 0;
    pub const REGION: usize = 1;
    pub const SERVICE: usize = 2;
    pub const SEX: usize = 3;
    pub const CENTRE: usize = 4;
    pub const LEVELS: usize = 5;
    pub const SEXES: [&str; 2] = ["FEMALE", "MALE"];

    #[derive(Debug, FromQueryResult)]
    pub struct Centre {
        pub id: Uuid,
        pub region: Region,
        pub operator_id: Uuid,
    }

    #[derive(Debug, FromQueryResult)]
    pub struct Line {
        pub centre_id: Uuid,
        pub month: NaiveDate,
        pub service: CentreService,
        pub female: i32,
        pub male: i32,
    }

    pub struct Cube {
        pub protection: Protection,
        pub months: Months,
        /// By id; their positions are the values of the centre level.
        pub centres: Vec<Centre>,
    }

    impl Cube {
        pub fn new(
            threshold: i64,
            mut centres: Vec<Centre>,
            offered: &[(Uuid, CentreService)],
            lines: &[Line],
        ) -> Self {
            centres.sort_by_key(|centre| centre.id);
            let position: HashMap<Uuid, usize> = centres
                .iter()
                .enumerate()
                .map(|(i, centre)| (centre.id, i))
                .collect();
            let months = Months::new(lines.iter().map(|line| line.month));
            let operators: Vec<Uuid> = centres
                .iter()
                .map(|centre| centre.operator_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let knower_sets: Vec<Vec<Uuid>> = operators.iter().map(|o| vec![*o]).collect();
            let services = count::<CentreService>() as usize;
            let mut first: Vec<Option<u32>> = vec![None; centres.len()];
            let mut serves = vec![vec![false; services]; centres.len()];
            for (centre_id, service) in offered {
                if let Some(&c) = position.get(centre_id) {
                    serves[c][index_of(*service) as usize] = true;
                }
            }
            let mut counts: BTreeMap<(usize, u32, u32), (i64, i64)> = BTreeMap::new();
            for line in lines {
                let (Some(&c), Some(m)) = (position.get(&line.centre_id), months.index(line.month))
                else {
                    continue;
                };
                let s = index_of(line.service);
                serves[c][s as usize] = true;
                first[c] = Some(first[c].map_or(m, |f| f.min(m)));
                let entry = counts.entry((c, m, s)).or_default();
                entry.0 += i64::from(line.female);
                entry.1 += i64::from(line.male);
            }
            let mut atoms: HashMap<(u32, u32, u32, u32), Vec<Atom>> = HashMap::new();
            for (&(c, m, s), &(female, male)) in &counts {
                let r = index_of(centres[c].region);
                let knowers = operators
                    .binary_search(&centres[c].operator_id)
                    .unwrap_or_default();
                for (x, count) in [(0, female), (1, male)] {
                    atoms.entry((m, r, s, x)).or_default().push(Atom {
                        leaf: c as u32,
                        count,
                        knowers,
                    });
                }
            }
            let mut branches = Vec::new();
            for m in 0..months.len() {
                for r in 0..count::<Region>() {
                    for s in 0..services as u32 {
                        let domain: Arc<Vec<u32>> = (0..centres.len())
                            .filter(|&c| {
                                index_of(centres[c].region) == r
                                    && first[c].is_some_and(|f| f <= m)
                                    && serves[c][s as usize]
                            })
                            .map(|c| c as u32)
                            .collect::<Vec<u32>>()
                            .into();
                        for x in 0..2 {
                            branches.push(Branch {
                                prefix: vec![m, r, s, x],
                                domain: domain.clone(),
                                atoms: atoms.remove(&(m, r, s, x)).unwrap_or_default(),
                            });
                        }
                    }
                }
            }
            let leaf_knowers: Vec<usize> = centres
                .iter()
                .map(|centre| {
                    operators
                        .binary_search(&centre.operator_id)
                        .unwrap_or_default()
                })
                .collect();
            Self {
                protection: Protection::new(threshold, &knower_sets, &leaf_knowers, branches),
                months,
                centres,
            }
        }

        /// The centre level's values of the centres `keep` keeps.
        pub fn centres_where(&self, keep: impl Fn(&Centre) -> bool) -> Vec<u32> {
            (0..self.centres.len())
                .filter(|&c| keep(&self.centres[c]))
                .map(|c| c as u32)
                .collect()
        }
    }
}

/// Referral cases: month referred × region × kind × risk × status × outcome × parties.
pub(super) mod cases {
    use super::*;

    pub const MONTH: usize = 0;
    pub const REGION: usize = 1;
    pub const KIND: usize = 2;
    pub const RISK: usize = 3;
    pub const STATUS: usize = 4;
    pub const OUTCOME: usize = 5;
    pub const CLASS: usize = 6;
    pub const LEVELS: usize = 7;
    /// Statuses of referred cases, in the order of their code list (`DRAFT` is never counted).
    pub const STATUSES: [CaseStatus; 6] = [
        CaseStatus::Referred,
        CaseStatus::Accepted,
        CaseStatus::Declined,
        CaseStatus::InService,
        CaseStatus::Closed,
        CaseStatus::Withdrawn,
    ];

    /// A referred case as read for the cube, one at a time.
    #[derive(Debug, FromQueryResult)]
    pub struct Referred {
        pub id: Uuid,
        pub kind: CaseKind,
        pub status: CaseStatus,
        pub risk: RiskLevel,
        pub region: Region,
        pub referred_at: Option<DateTimeUtc>,
        pub first_response_at: Option<DateTimeUtc>,
        pub outcome: Option<CaseOutcome>,
        pub referring_organisation_id: Uuid,
        pub receiving_organisation_id: Option<Uuid>,
    }

    /// Cases with the same parties: who refers, who receives, and who may read them.
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub struct Class {
        pub referrer: Uuid,
        pub receiver: Option<Uuid>,
        pub knowers: Vec<Uuid>,
    }

    /// An answered case's values of the levels and its hours from referral to first answer:
    /// what the medians are computed from (24 bytes a case, instead of a row per request).
    #[derive(Clone, Copy, Debug)]
    pub struct Answered {
        month: u32,
        class: u32,
        region: u8,
        kind: u8,
        risk: u8,
        status: u8,
        outcome: u8,
        pub hours: f64,
    }

    impl Answered {
        /// Its value at each level, as a branch's prefix and leaf.
        pub fn levels(&self) -> [u32; LEVELS] {
            [
                self.month,
                u32::from(self.region),
                u32::from(self.kind),
                u32::from(self.risk),
                u32::from(self.status),
                u32::from(self.outcome),
                self.class,
            ]
        }
    }

    pub struct Cube {
        pub protection: Protection,
        pub months: Months,
        pub classes: Vec<Class>,
        /// Every answered case, for the medians, by hours to the first answer.
        pub answered: Vec<Answered>,
    }

    /// Outcomes as the outcome level's values: the code list, then `NONE`.
    fn outcome_index(outcome: Option<CaseOutcome>) -> u32 {
        outcome.map_or(count::<CaseOutcome>(), index_of)
    }

    /// The outcomes a case of `status` can have, whatever the data.
    fn possible_outcomes(status: CaseStatus) -> Vec<u32> {
        match status {
            CaseStatus::Closed => (0..count::<CaseOutcome>()).collect(),
            CaseStatus::Withdrawn => vec![
                outcome_index(Some(CaseOutcome::ConsentWithdrawn)),
                outcome_index(None),
            ],
            _ => vec![outcome_index(None)],
        }
    }

    fn status_index(status: CaseStatus) -> Option<u32> {
        STATUSES
            .iter()
            .position(|s| *s == status)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// A case reduced to what the cube counts, its class interned.
    struct Kept {
        month: NaiveDate,
        class: u32,
        region: u8,
        kind: u8,
        risk: u8,
        status: u8,
        outcome: u8,
        hours: Option<f64>,
    }

    /// Reads the cases one at a time ([`Builder::add`]) and keeps a few bytes of each, so that
    /// building the cube of half a million cases never holds their rows.
    pub struct Builder {
        /// Receivers of a case before its current one (onward referrals), by case.
        earlier: HashMap<Uuid, Vec<Uuid>>,
        classes: HashMap<Class, u32>,
        kept: Vec<Kept>,
    }

    /// A level's value of a short code list, as one byte.
    fn small(value: u32) -> u8 {
        u8::try_from(value).unwrap_or(u8::MAX)
    }

    impl Builder {
        /// `earlier`: each case's receivers that are neither its referrer nor its current
        /// receiver (those a case was referred on from).
        pub fn new(earlier: &[(Uuid, Uuid)]) -> Self {
            let mut by_case: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
            for (case_id, receiver) in earlier {
                by_case.entry(*case_id).or_default().push(*receiver);
            }
            Self {
                earlier: by_case,
                classes: HashMap::new(),
                kept: Vec::new(),
            }
        }

        /// Counts one case (drafts, which have no referral time, are not counted).
        pub fn add(&mut self, case: &Referred) {
            let (Some(referred_at), Some(status)) = (case.referred_at, status_index(case.status))
            else {
                return;
            };
            let mut knowers: Vec<Uuid> = [case.referring_organisation_id]
                .into_iter()
                .chain(case.receiving_organisation_id)
                .chain(self.earlier.get(&case.id).into_iter().flatten().copied())
                .collect();
            knowers.sort_unstable();
            knowers.dedup();
            let class = Class {
                referrer: case.referring_organisation_id,
                receiver: case.receiving_organisation_id,
                knowers,
            };
            let next = u32::try_from(self.classes.len()).unwrap_or(u32::MAX);
            let class = *self.classes.entry(class).or_insert(next);
            let hours = case.first_response_at.map(|answered| {
                let elapsed = answered - referred_at;
                elapsed
                    .num_microseconds()
                    .map_or(elapsed.num_seconds() as f64 / 3600.0, |micros| {
                        micros as f64 / 3_600_000_000.0
                    })
            });
            self.kept.push(Kept {
                month: first_of_month(referred_at.date_naive()),
                class,
                region: small(index_of(case.region)),
                kind: small(index_of(case.kind)),
                risk: small(index_of(case.risk)),
                status: small(status),
                outcome: small(outcome_index(case.outcome)),
                hours,
            });
        }

        /// The protection of every case added, with `threshold`.
        pub fn finish(self, threshold: i64) -> Cube {
            let months = Months::new(self.kept.iter().map(|case| case.month));
            // Classes in their order (the protection's leaves are ordered by it).
            let mut interned: Vec<(Class, u32)> = self.classes.into_iter().collect();
            interned.sort_unstable();
            let mut position = vec![0_u32; interned.len()];
            for (sorted, (_, first_seen)) in interned.iter().enumerate() {
                position[*first_seen as usize] = u32::try_from(sorted).unwrap_or(u32::MAX);
            }
            let classes: Vec<Class> = interned.into_iter().map(|(class, _)| class).collect();
            let mut firsts: Vec<u32> = vec![u32::MAX; classes.len()];
            let mut seen_outcomes: BTreeSet<(u32, u32)> = BTreeSet::new();
            // Every case's atom, sorted so that the atoms of one branch are one run (28
            // bytes a case; a map of the counts took several times that).
            let mut keys: Vec<[u32; 7]> = Vec::with_capacity(self.kept.len());
            let mut answered = Vec::new();
            for case in &self.kept {
                let Some(m) = months.index(case.month) else {
                    continue;
                };
                let k = position[case.class as usize];
                firsts[k as usize] = firsts[k as usize].min(m);
                let (st, out) = (u32::from(case.status), u32::from(case.outcome));
                seen_outcomes.insert((st, out));
                keys.push([
                    m,
                    u32::from(case.region),
                    u32::from(case.kind),
                    u32::from(case.risk),
                    st,
                    out,
                    k,
                ]);
                if let Some(hours) = case.hours {
                    answered.push(Answered {
                        month: m,
                        class: k,
                        region: case.region,
                        kind: case.kind,
                        risk: case.risk,
                        status: case.status,
                        outcome: case.outcome,
                        hours,
                    });
                }
            }
            drop(self.kept);
            drop(position);
            keys.sort_unstable();
            // By hours once, so that a median needs no sort per request.
            answered.sort_unstable_by(|a, b| a.hours.total_cmp(&b.hours));
            answered.shrink_to_fit();
            let knower_sets: Vec<Vec<Uuid>> = classes.iter().map(|c| c.knowers.clone()).collect();
            // The atoms of `prefix`: its run of keys, counted per class.
            let atoms_of = |prefix: &[u32; 6]| -> Vec<Atom> {
                let start = keys.partition_point(|key| key[..6] < prefix[..]);
                let end = start + keys[start..].partition_point(|key| key[..6] == prefix[..]);
                let mut atoms: Vec<Atom> = Vec::new();
                for key in &keys[start..end] {
                    match atoms.last_mut() {
                        Some(atom) if atom.leaf == key[6] => atom.count += 1,
                        _ => atoms.push(Atom {
                            leaf: key[6],
                            count: 1,
                            knowers: key[6] as usize,
                        }),
                    }
                }
                atoms
            };
            let mut branches = Vec::new();
            for m in 0..months.len() {
                let domain: Arc<Vec<u32>> = (0..classes.len())
                    .filter(|&c| firsts[c] <= m)
                    .map(|c| c as u32)
                    .collect::<Vec<u32>>()
                    .into();
                for (st, status) in STATUSES.iter().enumerate() {
                    let st = st as u32;
                    let mut outcomes: BTreeSet<u32> =
                        possible_outcomes(*status).into_iter().collect();
                    outcomes.extend(
                        seen_outcomes
                            .iter()
                            .filter(|(s, _)| *s == st)
                            .map(|(_, out)| *out),
                    );
                    for r in 0..count::<Region>() {
                        for k in 0..count::<CaseKind>() {
                            for risk in 0..count::<RiskLevel>() {
                                for &out in &outcomes {
                                    let prefix = [m, r, k, risk, st, out];
                                    branches.push(Branch {
                                        prefix: prefix.to_vec(),
                                        domain: domain.clone(),
                                        atoms: atoms_of(&prefix),
                                    });
                                }
                            }
                        }
                    }
                }
            }
            drop(keys);
            Cube {
                protection: Protection::new(
                    threshold,
                    &knower_sets,
                    &(0..classes.len()).collect::<Vec<_>>(),
                    branches,
                ),
                months,
                classes,
                answered,
            }
        }
    }

    impl Cube {
        /// The class level's values of the cases `organisation_id` refers or receives.
        pub fn classes_of(&self, organisation_id: Uuid) -> Vec<u32> {
            (0..self.classes.len())
                .filter(|&c| {
                    self.classes[c].referrer == organisation_id
                        || self.classes[c].receiver == Some(organisation_id)
                })
                .map(|c| c as u32)
                .collect()
        }
    }
}
