//! One protection of the finest counts, from which every published table is cut.
//!
//! Suppressing each table on its own does not survive combining tables: one table's total is
//! another's hidden cell, and two overlapping periods difference to a third. So the decision is
//! taken once, on the finest cross-classification of the whole dataset (every dimension a
//! table can be broken down by and every attribute it can be filtered by), and every table is
//! read from it.
//!
//! **Atoms** are the finest cells: a statistic's *levels* (say month, region, service, sex,
//! centre) each fix one value. The universe of atoms is every combination that can hold a count
//! (a centre's atoms start with its first report, a closed case's outcome is never `NONE`...):
//! what a reader could know to be zero from the structure alone is not an atom.
//!
//! **Blocks** partition the atoms. Each holds at least `threshold` people, and for each
//! organisation that knows some of its atoms exactly (an operator its centres' reports, a
//! party its cases) the rest of the block, what that organisation does not know, is either
//! nothing or again at least `threshold`. They are built bottom-up along the levels: the atoms
//! under one prefix that are not a block on their own are pooled; a pool that is a valid block
//! becomes one, one that is not takes in the smallest blocks already made under the same prefix
//! until it is, and otherwise moves up a level. What is left at the top is *dead*.
//!
//! **Publication**: a cell of a requested table is published exactly when it is a union of
//! whole blocks and touches no dead atom (and has any atom at all). Whatever a reader asks for,
//! and however many tables they combine, they learn at most each block's total. A hidden cell
//! cuts a block (or holds dead atoms, which no published figure constrains), so it can take any
//! value in a range at least `threshold` wide; a hidden cell below the threshold can be
//! anything from 0 to at least the threshold. For an organisation that knows some atoms, the
//! same holds for hidden cells of atoms it does not know (see docs/SECURITY.md for the proof
//! and `tests/api/statistics_audit.rs` for the check by linear programming).

use std::{collections::HashMap, sync::Arc};

use uuid::Uuid;

/// The finest count at one leaf value of a branch.
#[derive(Clone, Debug)]
pub struct Atom {
    pub leaf: u32,
    pub count: i64,
    /// Index into the knower sets: the organisations that know this count exactly.
    pub knowers: usize,
}

/// The atoms under one prefix of every level but the last.
#[derive(Clone, Debug)]
pub struct Branch {
    /// One value per level but the last.
    pub prefix: Vec<u32>,
    /// The leaf values that are atoms here (the universe); atoms not listed count zero.
    pub domain: Arc<Vec<u32>>,
    /// The atoms with a recorded count (zero allowed), each of a value in `domain`.
    pub atoms: Vec<Atom>,
}

/// Which values of each level a cell takes: `None` for every value.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub levels: Vec<Option<Vec<bool>>>,
}

impl Selection {
    /// Every atom.
    pub fn everything(levels: usize) -> Self {
        Self {
            levels: vec![None; levels],
        }
    }

    /// Keeps only `values` (out of `size`) at `level`, within what is kept already.
    pub fn restrict(&mut self, level: usize, size: usize, values: impl IntoIterator<Item = u32>) {
        let mut keep = vec![false; size];
        for value in values {
            if let Some(slot) = keep.get_mut(value as usize) {
                *slot = true;
            }
        }
        if let Some(Some(current)) = self.levels.get(level) {
            for (slot, was) in keep.iter_mut().zip(current) {
                *slot &= *was;
            }
        }
        self.levels[level] = Some(keep);
    }

    fn keeps(&self, level: usize, value: u32) -> bool {
        match &self.levels[level] {
            None => true,
            Some(keep) => keep.get(value as usize).copied().unwrap_or(false),
        }
    }

    /// Whether the atom with these values of every level is kept.
    pub fn keeps_atom(&self, values: &[u32]) -> bool {
        values
            .iter()
            .enumerate()
            .all(|(level, &value)| self.keeps(level, value))
    }
}

/// A part of a branch: one recorded atom, or the rest of the branch's universe (all zeros).
#[derive(Clone, Debug)]
struct Part {
    /// `None` for the rest: the domain's values without a recorded atom.
    leaf: Option<u32>,
    count: i64,
    /// Index into the knower sets.
    knowers: Option<usize>,
}

const DEAD: u32 = u32::MAX;

/// The protection of one dataset: its atoms and their blocks.
#[derive(Debug)]
pub struct Protection {
    prefixes: Vec<Vec<u32>>,
    /// Per branch: the range of its parts, and the values its rest covers.
    ranges: Vec<(usize, usize)>,
    /// Per branch: its domain and its recorded values (the rest is the difference).
    rests: Vec<(Arc<Vec<u32>>, Vec<u32>)>,
    parts: Vec<Part>,
    /// Per part, its block (or `DEAD`).
    block_of: Vec<u32>,
    blocks: usize,
}

/// The row (or column) of a branch's prefix in a table, `None` for none.
pub type KeyOf<'a> = dyn Fn(&[u32]) -> Option<usize> + 'a;

/// What a cell holds and whether it may be published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub value: i64,
    pub publishable: bool,
}

impl Protection {
    /// Builds the blocks of `branches` (any order) with `threshold`; `knower_sets[i]` are the
    /// organisations that know atoms of knower index `i`, `leaf_knowers[v]` the knower index of
    /// the atoms of leaf value `v` (for the atoms without a recorded count).
    pub fn new(
        threshold: i64,
        knower_sets: &[Vec<Uuid>],
        leaf_knowers: &[usize],
        mut branches: Vec<Branch>,
    ) -> Self {
        let mut knower_sets = knower_sets.to_vec();
        let mut set_index: HashMap<Vec<Uuid>, usize> = HashMap::new();
        for (i, set) in knower_sets.iter().enumerate() {
            set_index.entry(set.clone()).or_insert(i);
        }
        branches.retain(|branch| !branch.domain.is_empty());
        branches.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        let mut prefixes = Vec::with_capacity(branches.len());
        let mut ranges = Vec::with_capacity(branches.len());
        let mut rests = Vec::with_capacity(branches.len());
        let mut parts = Vec::new();
        for branch in branches {
            let start = parts.len();
            let mut recorded: Vec<u32> = Vec::new();
            for atom in &branch.atoms {
                recorded.push(atom.leaf);
                parts.push(Part {
                    leaf: Some(atom.leaf),
                    count: atom.count,
                    knowers: Some(atom.knowers),
                });
            }
            let mut rest = branch
                .domain
                .iter()
                .filter(|value| !recorded.contains(value))
                .peekable();
            if rest.peek().is_some() {
                // Known to whoever knows every atom of it.
                let mut common: Option<Vec<Uuid>> = None;
                for value in rest {
                    let set = leaf_knowers
                        .get(*value as usize)
                        .and_then(|&i| knower_sets.get(i))
                        .map_or(&[][..], Vec::as_slice);
                    let next: Vec<Uuid> = match common {
                        None => set.to_vec(),
                        Some(common) => common.into_iter().filter(|o| set.contains(o)).collect(),
                    };
                    let empty = next.is_empty();
                    common = Some(next);
                    if empty {
                        break;
                    }
                }
                let common = common.unwrap_or_default();
                let next = knower_sets.len();
                let knowers = *set_index.entry(common.clone()).or_insert(next);
                if knowers == next {
                    knower_sets.push(common);
                }
                parts.push(Part {
                    leaf: None,
                    count: 0,
                    knowers: Some(knowers),
                });
            }
            prefixes.push(branch.prefix);
            ranges.push((start, parts.len()));
            rests.push((branch.domain, recorded));
        }
        let mut builder = Builder {
            threshold,
            knower_sets: &knower_sets,
            parts: &parts,
            blocks: Vec::new(),
            totals: Vec::new(),
        };
        let all: Vec<usize> = (0..prefixes.len()).collect();
        let dead = builder.settle_branches(&prefixes, &ranges, &all, 0);
        let mut block_of = vec![DEAD; parts.len()];
        let mut blocks = 0;
        for members in builder.blocks.iter().flatten() {
            for &part in members {
                block_of[part] = blocks;
            }
            blocks += 1;
        }
        for part in dead {
            block_of[part] = DEAD;
        }
        Self {
            prefixes,
            ranges,
            rests,
            parts,
            block_of,
            blocks: blocks as usize,
        }
    }

    /// The cells of a table within `base` (whose last level no row or column key fixes):
    /// `row_of` and `column_of` give the row and column of a branch's prefix, `None` for
    /// none. Row-major, `(rows + 1) × (columns + 1)`, the totals last. The same as [`read`]
    /// of each cell, in one pass over the parts.
    ///
    /// [`read`]: Self::read
    pub fn tabulate(
        &self,
        base: &Selection,
        (rows, row_of): (usize, &KeyOf<'_>),
        (columns, column_of): (usize, &KeyOf<'_>),
    ) -> Vec<Reading> {
        const SPREAD: usize = usize::MAX;
        const NOWHERE: usize = usize::MAX - 1;
        let width = columns + 1;
        let cells = (rows + 1) * width;
        let leaf_level = base.levels.len() - 1;
        let mut value = vec![0_i64; cells];
        let mut any_atom = vec![false; cells];
        let mut dead = vec![false; cells];
        let mut touching: Vec<Vec<u32>> = vec![Vec::new(); cells];
        // Per block: every part inside the base, and the one row and column of its parts.
        let mut whole = vec![true; self.blocks];
        let mut block_row = vec![NOWHERE; self.blocks];
        let mut block_column = vec![NOWHERE; self.blocks];
        let settle = |slot: &mut usize, place: usize| {
            if *slot == NOWHERE {
                *slot = place;
            } else if *slot != place {
                *slot = SPREAD;
            }
        };
        for (branch, prefix) in self.prefixes.iter().enumerate() {
            let (start, end) = self.ranges[branch];
            let prefix_in = prefix
                .iter()
                .enumerate()
                .all(|(level, &v)| base.keeps(level, v));
            let place = prefix_in.then(|| (row_of(prefix), column_of(prefix)));
            for index in start..end {
                let part = &self.parts[index];
                let side = match place {
                    None => 2,
                    Some(_) => self.side(branch, part, base, leaf_level),
                };
                let block = self.block_of[index];
                if side != 1 && block != DEAD {
                    whole[block as usize] = false;
                }
                let Some((row, column)) = place else {
                    continue;
                };
                if side & 1 == 0 {
                    continue;
                }
                let (row, column) = (row.unwrap_or(SPREAD), column.unwrap_or(SPREAD));
                if block != DEAD {
                    settle(&mut block_row[block as usize], row);
                    settle(&mut block_column[block as usize], column);
                }
                let rows_touched = [row, rows];
                let columns_touched = [column, columns];
                for &r in rows_touched.iter().filter(|&&r| r <= rows) {
                    for &c in columns_touched.iter().filter(|&&c| c <= columns) {
                        let cell = r * width + c;
                        any_atom[cell] = true;
                        if part.leaf.is_some() && side == 1 {
                            value[cell] += part.count;
                        }
                        if block == DEAD {
                            dead[cell] = true;
                        } else if touching[cell].last() != Some(&block) {
                            touching[cell].push(block);
                        }
                    }
                }
            }
        }
        (0..cells)
            .map(|cell| {
                let (r, c) = (cell / width, cell % width);
                let inside = |block: &u32| {
                    let b = *block as usize;
                    whole[b]
                        && (r == rows || block_row[b] == r)
                        && (c == columns || block_column[b] == c)
                };
                Reading {
                    value: value[cell],
                    publishable: any_atom[cell] && !dead[cell] && touching[cell].iter().all(inside),
                }
            })
            .collect()
    }

    /// 1 when `part` lies inside `selection` (its prefix being inside), 2 outside, 3 both.
    fn side(&self, branch: usize, part: &Part, selection: &Selection, leaf_level: usize) -> u8 {
        match part.leaf {
            Some(leaf) => {
                if selection.keeps(leaf_level, leaf) {
                    1
                } else {
                    2
                }
            }
            None if selection.levels[leaf_level].is_none() => 1,
            None => {
                let (domain, recorded) = &self.rests[branch];
                let (mut inside, mut outside) = (false, false);
                for &value in domain.iter().filter(|v| !recorded.contains(v)) {
                    if selection.keeps(leaf_level, value) {
                        inside = true;
                    } else {
                        outside = true;
                    }
                    if inside && outside {
                        break;
                    }
                }
                u8::from(inside) | (u8::from(outside) << 1)
            }
        }
    }

    /// The value of the cell `selection` and whether it is a union of whole blocks.
    pub fn read(&self, selection: &Selection) -> Reading {
        let leaf_level = selection.levels.len() - 1;
        // Per block: 1 = some atom inside the cell, 2 = some outside.
        let mut seen = vec![0_u8; self.blocks];
        let mut value = 0;
        let mut any_atom = false;
        let mut touches_dead = false;
        for (branch, prefix) in self.prefixes.iter().enumerate() {
            let (start, end) = self.ranges[branch];
            let prefix_in = prefix
                .iter()
                .enumerate()
                .all(|(level, &v)| selection.keeps(level, v));
            for index in start..end {
                let part = &self.parts[index];
                let side = if prefix_in {
                    self.side(branch, part, selection, leaf_level)
                } else {
                    2
                };
                if side & 1 == 1 {
                    any_atom = true;
                    if part.leaf.is_some() && side == 1 {
                        value += part.count;
                    }
                }
                match self.block_of[index] {
                    DEAD => touches_dead |= side & 1 == 1,
                    block => seen[block as usize] |= side,
                }
            }
        }
        Reading {
            value,
            publishable: any_atom && !touches_dead && seen.iter().all(|&s| s != 3),
        }
    }
}

struct Builder<'a> {
    threshold: i64,
    knower_sets: &'a [Vec<Uuid>],
    parts: &'a [Part],
    /// Blocks in the order made; `None` once taken into a larger one.
    blocks: Vec<Option<Vec<usize>>>,
    totals: Vec<i64>,
}

/// Why a pool is not yet a block.
enum Need {
    /// Fewer people than the threshold.
    Size,
    /// What this organisation does not know of it is more than nothing and less than the
    /// threshold.
    UnknownTo(Uuid),
}

impl Builder<'_> {
    /// Blocks of the branches `members` (sorted by prefix, sharing the first `depth` values);
    /// returns the parts left over.
    fn settle_branches(
        &mut self,
        prefixes: &[Vec<u32>],
        ranges: &[(usize, usize)],
        members: &[usize],
        depth: usize,
    ) -> Vec<usize> {
        let first_block = self.blocks.len();
        let mut pool = Vec::new();
        if members.len() == 1 && depth == prefixes[members[0]].len() {
            let (start, end) = ranges[members[0]];
            for part in start..end {
                if self.parts[part].leaf.is_some() && self.parts[part].count >= self.threshold {
                    self.close(vec![part]);
                } else {
                    pool.push(part);
                }
            }
        } else {
            let mut start = 0;
            while start < members.len() {
                let value = prefixes[members[start]][depth];
                let mut end = start;
                while end < members.len() && prefixes[members[end]][depth] == value {
                    end += 1;
                }
                pool.extend(self.settle_branches(
                    prefixes,
                    ranges,
                    &members[start..end],
                    depth + 1,
                ));
                start = end;
            }
        }
        self.settle(pool, first_block)
    }

    fn close(&mut self, members: Vec<usize>) {
        self.totals
            .push(members.iter().map(|&p| self.parts[p].count).sum());
        self.blocks.push(Some(members));
    }

    /// Makes `pool` a block, taking in blocks made since `first_block` (smallest first) as
    /// needed; returns the pool unchanged when that cannot be done.
    fn settle(&mut self, pool: Vec<usize>, first_block: usize) -> Vec<usize> {
        if pool.is_empty() {
            return pool;
        }
        let mut members = pool.clone();
        let mut taken: Vec<usize> = Vec::new();
        loop {
            let Some(need) = self.need(&members) else {
                for block in taken {
                    self.blocks[block] = None;
                }
                self.close(members);
                return Vec::new();
            };
            let helper = (first_block..self.blocks.len())
                .filter(|block| !taken.contains(block))
                .filter(|&block| match (&self.blocks[block], &need) {
                    (None, _) => false,
                    (Some(_), Need::Size) => true,
                    (Some(parts), Need::UnknownTo(organisation)) => parts
                        .iter()
                        .any(|&p| self.parts[p].count > 0 && !self.knows(*organisation, p)),
                })
                .min_by_key(|&block| (self.totals[block], block));
            match helper {
                Some(block) => {
                    taken.push(block);
                    if let Some(parts) = &self.blocks[block] {
                        members.extend(parts.iter().copied());
                    }
                }
                None => return pool,
            }
        }
    }

    fn knows(&self, organisation: Uuid, part: usize) -> bool {
        self.parts[part]
            .knowers
            .is_some_and(|set| self.knower_sets[set].contains(&organisation))
    }

    /// What keeps `members` from being a block, if anything.
    fn need(&self, members: &[usize]) -> Option<Need> {
        let total: i64 = members.iter().map(|&p| self.parts[p].count).sum();
        if total < self.threshold {
            return Some(Need::Size);
        }
        // Per organisation that knows any member: what it knows, and whether it knows all.
        let mut known: HashMap<Uuid, (i64, usize)> = HashMap::new();
        for &part in members {
            if let Some(set) = self.parts[part].knowers {
                for organisation in &self.knower_sets[set] {
                    let entry = known.entry(*organisation).or_default();
                    entry.0 += self.parts[part].count;
                    entry.1 += 1;
                }
            }
        }
        let mut organisations: Vec<_> = known.into_iter().collect();
        organisations.sort_by_key(|(organisation, _)| *organisation);
        organisations
            .into_iter()
            .find(|(_, (count, parts))| *parts < members.len() && total - count < self.threshold)
            .map(|(organisation, _)| Need::UnknownTo(organisation))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const T: i64 = 5;
    /// Leaf value `v` is known to knower set `v` (where there is one), else to the first.
    const LEAVES: [usize; 8] = [0, 1, 2, 0, 0, 0, 0, 0];

    fn org(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Two levels: a group (prefix) and a leaf.
    fn branch(group: u32, domain: &[u32], atoms: &[(u32, i64, usize)]) -> Branch {
        Branch {
            prefix: vec![group],
            domain: Arc::new(domain.to_vec()),
            atoms: atoms
                .iter()
                .map(|&(leaf, count, knowers)| Atom {
                    leaf,
                    count,
                    knowers,
                })
                .collect(),
        }
    }

    fn cell(group: Option<u32>, leaves: Option<&[u32]>) -> Selection {
        let mut selection = Selection::everything(2);
        if let Some(group) = group {
            selection.restrict(0, 4, [group]);
        }
        if let Some(leaves) = leaves {
            selection.restrict(1, 8, leaves.iter().copied());
        }
        selection
    }

    #[test]
    fn large_atoms_are_published_and_a_small_one_hides_with_its_smallest_neighbour() {
        let knowers = vec![vec![org(1)]];
        let protection = Protection::new(
            T,
            &knowers,
            &LEAVES,
            vec![branch(0, &[0, 1, 2], &[(0, 20, 0), (1, 9, 0), (2, 2, 0)])],
        );
        assert!(protection.read(&cell(None, Some(&[0]))).publishable);
        // 2 takes in 9 (the smallest block): both hidden, their sum published.
        assert!(!protection.read(&cell(None, Some(&[1]))).publishable);
        assert!(!protection.read(&cell(None, Some(&[2]))).publishable);
        let pair = protection.read(&cell(None, Some(&[1, 2])));
        assert_eq!(
            pair,
            Reading {
                value: 11,
                publishable: true
            }
        );
        assert!(protection.read(&cell(None, None)).publishable);
    }

    #[test]
    fn zeros_are_atoms_too_and_a_cell_of_nothing_is_not_published() {
        let knowers = vec![vec![org(1)]];
        // Leaf 3 is in the universe without a count: a zero in the rest.
        let protection =
            Protection::new(T, &knowers, &LEAVES, vec![branch(0, &[0, 3], &[(0, 7, 0)])]);
        assert!(!protection.read(&cell(None, Some(&[3]))).publishable);
        assert!(!protection.read(&cell(None, Some(&[0]))).publishable);
        assert!(protection.read(&cell(None, None)).publishable);
        // Outside the universe: no atom at all.
        assert!(!protection.read(&cell(None, Some(&[5]))).publishable);
    }

    #[test]
    fn an_organisation_never_learns_a_small_rest_of_a_block() {
        // Organisation 1 knows 8, organisation 2 knows 3: together 11, but 1 would learn 3.
        let knowers = vec![vec![org(1)], vec![org(2)], vec![org(3)]];
        let protection = Protection::new(
            T,
            &knowers,
            &LEAVES,
            vec![branch(0, &[0, 1, 2], &[(0, 8, 0), (1, 3, 1), (2, 12, 2)])],
        );
        // 3 needs 8 for size; then 1 needs more it does not know: 12 as well.
        for leaf in 0..3 {
            assert!(!protection.read(&cell(None, Some(&[leaf]))).publishable);
        }
        assert!(protection.read(&cell(None, None)).publishable);
    }

    #[test]
    fn a_pool_too_small_everywhere_is_dead_and_hides_every_cell_it_touches() {
        let knowers = vec![vec![org(1)]];
        let protection = Protection::new(
            T,
            &knowers,
            &LEAVES,
            vec![branch(0, &[0], &[(0, 2, 0)]), branch(1, &[0], &[(0, 1, 0)])],
        );
        assert!(!protection.read(&cell(None, None)).publishable);
        assert!(!protection.read(&cell(Some(0), None)).publishable);
    }

    fn datasets() -> impl Strategy<Value = (Vec<Branch>, Vec<bool>, Vec<bool>)> {
        // Three groups × two subgroups, four leaves known to two organisations.
        let counts = proptest::collection::vec(prop_oneof![3 => 0_i64..4, 1 => 0_i64..12], 24);
        let recorded = proptest::collection::vec(any::<bool>(), 24);
        let groups = proptest::collection::vec(any::<bool>(), 3);
        let leaves = proptest::collection::vec(any::<bool>(), 4);
        (counts, recorded, groups, leaves).prop_map(|(counts, recorded, groups, leaves)| {
            let mut branches = Vec::new();
            for group in 0..3_u32 {
                for sub in 0..2_u32 {
                    let mut atoms = Vec::new();
                    for leaf in 0..4_u32 {
                        let i = ((group * 2 + sub) * 4 + leaf) as usize;
                        if recorded[i] {
                            atoms.push(Atom {
                                leaf,
                                count: counts[i],
                                knowers: (leaf % 2) as usize,
                            });
                        }
                    }
                    branches.push(Branch {
                        prefix: vec![group, sub],
                        domain: Arc::new((0..4).collect()),
                        atoms,
                    });
                }
            }
            (branches, groups, leaves)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A table in one pass reads every cell as reading it alone does.
        #[test]
        fn a_table_reads_as_its_cells((branches, groups, leaves) in datasets(), by_sub in any::<bool>()) {
            let knowers = vec![vec![org(1)], vec![org(2)]];
            let protection = Protection::new(T, &knowers, &[0, 1, 0, 1], branches);
            let mut base = Selection::everything(3);
            base.restrict(0, 3, (0..3).filter(|g| groups[*g as usize]));
            base.restrict(2, 4, (0..4).filter(|l| leaves[*l as usize]));
            let row_of = |prefix: &[u32]| Some(prefix[0] as usize);
            let column_of = |prefix: &[u32]| Some(if by_sub { prefix[1] as usize } else { 0 });
            let columns = if by_sub { 2 } else { 1 };
            let table = protection.tabulate(&base, (3, &row_of), (columns, &column_of));
            for row in 0..=3_u32 {
                for column in 0..=columns as u32 {
                    let mut selection = base.clone();
                    if row < 3 {
                        selection.restrict(0, 3, [row]);
                    }
                    if by_sub && column < 2 {
                        selection.restrict(1, 2, [column]);
                    }
                    let at = row as usize * (columns + 1) + column as usize;
                    prop_assert_eq!(table[at], protection.read(&selection), "cell ({}, {})", row, column);
                }
            }
        }
    }

    #[test]
    fn blocks_stay_within_their_group_when_they_can() {
        let knowers = vec![vec![org(1)]];
        let protection = Protection::new(
            T,
            &knowers,
            &LEAVES,
            vec![
                branch(0, &[0, 1], &[(0, 30, 0), (1, 1, 0)]),
                branch(1, &[0, 1], &[(0, 6, 0), (1, 6, 0)]),
            ],
        );
        // Group 0's small atom is settled inside group 0, so group totals stay published.
        assert!(protection.read(&cell(Some(0), None)).publishable);
        assert!(protection.read(&cell(Some(1), None)).publishable);
        assert!(protection.read(&cell(Some(1), Some(&[0]))).publishable);
        assert!(!protection.read(&cell(Some(0), Some(&[0]))).publishable);
        // Leaf 1 over both groups takes group 0's hidden part.
        assert!(!protection.read(&cell(None, Some(&[1]))).publishable);
    }
}
