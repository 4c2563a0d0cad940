//! Test helpers: a small deterministic PRNG (mulberry32), so tests need no crates, and
//! random graphs drawn with it.

pub struct Mulberry32(u32);

impl Mulberry32 {
    pub fn new(seed: u32) -> Self {
        Mulberry32(seed)
    }

    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x6D2B_79F5);
        let mut t = self.0;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        t ^ (t >> 14)
    }

    /// Returns a value in `0..bound`.
    pub fn below(&mut self, bound: u32) -> u32 {
        ((u64::from(self.next_u32()) * u64::from(bound)) >> 32) as u32
    }
}

/// Draws a DAG as per-node parent lists: a random permutation gives each node a rank, and
/// every node picks up to `max_parents` distinct parents among the nodes of lower rank, so
/// description order is not always a topological order.
pub fn random_dag(rng: &mut Mulberry32, size: usize, max_parents: u32) -> Vec<Vec<u32>> {
    let mut node_at_rank: Vec<u32> = (0..size as u32).collect();
    for rank in (1..size).rev() {
        let other = rng.below(rank as u32 + 1) as usize;
        node_at_rank.swap(rank, other);
    }

    let mut parent_lists = vec![Vec::new(); size];
    for rank in 1..size {
        let parent_count = rng.below(max_parents + 1);
        let mut chosen: Vec<u32> = Vec::new();
        for _ in 0..parent_count {
            let parent = node_at_rank[rng.below(rank as u32) as usize];
            if !chosen.contains(&parent) {
                chosen.push(parent);
            }
        }
        parent_lists[node_at_rank[rank] as usize] = chosen;
    }
    parent_lists
}

/// Builds the parents CSR (offsets, parents) from per-node parent lists.
pub fn csr_from_parent_lists(parent_lists: &[Vec<u32>]) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = Vec::with_capacity(parent_lists.len() + 1);
    offsets.push(0);
    let mut parents = Vec::new();
    for list in parent_lists {
        parents.extend_from_slice(list);
        offsets.push(parents.len() as u32);
    }
    (offsets, parents)
}

/// Draws a priority: mostly small integers (many ties), sometimes huge, saturating or tiny.
pub fn random_priority(rng: &mut Mulberry32) -> f64 {
    const SPECIAL: [f64; 8] = [
        0.5,
        -0.0,
        2_147_483_648.0,
        -2_147_483_648.0,
        9_007_199_254_740_992.0,
        f64::MAX,
        -f64::MAX,
        f64::MIN_POSITIVE,
    ];
    if rng.below(5) == 0 {
        SPECIAL[rng.below(SPECIAL.len() as u32) as usize]
    } else {
        f64::from(rng.below(7)) - 3.0
    }
}
