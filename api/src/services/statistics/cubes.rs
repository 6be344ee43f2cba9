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

    #[derive(Debug, FromQueryResult)]
    pub struct Referred {
        pub id: Uuid,
        pub kind: CaseKind,
        pub status: CaseStatus,
        pub risk: RiskLevel,
        pub region: Region,
        pub referred_at: Option<DateTimeUtc>,
        pub outcome: Option<CaseOutcome>,
        pub referring_organisation_id: Uuid,
        pub receiving_organisation_id: Option<Uuid>,
    }

    /// Cases with the same parties: who refers, who receives, and who may read them.
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub struct Class {
        pub referrer: Uuid,
        pub receiver: Option<Uuid>,
        pub knowers: Vec<Uuid>,
    }

    pub struct Cube {
        pub protection: Protection,
        pub months: Months,
        pub classes: Vec<Class>,
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

    impl Cube {
        pub fn new(
            threshold: i64,
            referred: Vec<Referred>,
            receivers: &[(Uuid, Option<Uuid>)],
        ) -> Self {
            let mut earlier: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
            for (case_id, receiver) in receivers {
                if let Some(receiver) = receiver {
                    earlier.entry(*case_id).or_default().push(*receiver);
                }
            }
            let referred: Vec<(Referred, NaiveDate)> = referred
                .into_iter()
                .filter_map(|case| {
                    let month = first_of_month(case.referred_at?.date_naive());
                    Some((case, month))
                })
                .collect();
            let months = Months::new(referred.iter().map(|(_, month)| *month));
            let class_of = |case: &Referred| {
                let mut knowers: Vec<Uuid> = [case.referring_organisation_id]
                    .into_iter()
                    .chain(case.receiving_organisation_id)
                    .chain(earlier.get(&case.id).into_iter().flatten().copied())
                    .collect();
                knowers.sort_unstable();
                knowers.dedup();
                Class {
                    referrer: case.referring_organisation_id,
                    receiver: case.receiving_organisation_id,
                    knowers,
                }
            };
            let mut first: BTreeMap<Class, u32> = BTreeMap::new();
            let mut keyed = Vec::with_capacity(referred.len());
            for (case, month) in &referred {
                let Some(m) = months.index(*month) else {
                    continue;
                };
                let class = class_of(case);
                let slot = first.entry(class.clone()).or_insert(m);
                *slot = (*slot).min(m);
                keyed.push((case, m, class));
            }
            let classes: Vec<Class> = first.keys().cloned().collect();
            let firsts: Vec<u32> = first.values().copied().collect();
            let knower_sets: Vec<Vec<Uuid>> = classes.iter().map(|c| c.knowers.clone()).collect();
            let status_index = |status: CaseStatus| {
                STATUSES
                    .iter()
                    .position(|s| *s == status)
                    .and_then(|i| u32::try_from(i).ok())
            };
            let mut counts: BTreeMap<[u32; 7], i64> = BTreeMap::new();
            let mut seen_outcomes: BTreeSet<(u32, u32)> = BTreeSet::new();
            for (case, m, class) in keyed {
                let (Some(st), Ok(k)) = (status_index(case.status), classes.binary_search(&class))
                else {
                    continue;
                };
                let out = outcome_index(case.outcome);
                seen_outcomes.insert((st, out));
                let key = [
                    m,
                    index_of(case.region),
                    index_of(case.kind),
                    index_of(case.risk),
                    st,
                    out,
                    k as u32,
                ];
                *counts.entry(key).or_default() += 1;
            }
            let mut atoms: HashMap<[u32; 6], Vec<Atom>> = HashMap::new();
            for (key, count) in counts {
                let [m, r, k, risk, st, out, class] = key;
                atoms
                    .entry([m, r, k, risk, st, out])
                    .or_default()
                    .push(Atom {
                        leaf: class,
                        count,
                        knowers: class as usize,
                    });
            }
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
                                        atoms: atoms.remove(&prefix).unwrap_or_default(),
                                    });
                                }
                            }
                        }
                    }
                }
            }
            Self {
                protection: Protection::new(
                    threshold,
                    &knower_sets,
                    &(0..classes.len()).collect::<Vec<_>>(),
                    branches,
                ),
                months,
                classes,
            }
        }

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
