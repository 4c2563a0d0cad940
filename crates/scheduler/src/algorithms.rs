//! Graph algorithms over CSR arrays, all O(V + E) and iterative (no recursion on depth).
//!
//! The functions trust their arguments: `Graph::new` validates the arrays before calling them.
//! Offsets have `size + 1` entries and every index in an edge array is below `size`.

use std::ops::Range;

/// The marker of a node not visited yet in `find_cycle`. `Graph::new` keeps node counts below it.
const UNVISITED: u32 = u32::MAX;

/// Clamps a sum to ±f64::MAX so compound priorities never reach infinity.
pub fn saturate(value: f64) -> f64 {
    value.clamp(-f64::MAX, f64::MAX)
}

/// Returns the positions of node `node`'s edges in a CSR edge array.
pub(crate) fn edge_range(offsets: &[u32], node: usize) -> Range<usize> {
    offsets[node] as usize..offsets[node + 1] as usize
}

/// Builds the children CSR from the parents CSR by counting; children come out ascending.
///
/// # Complexity
/// O(V + E).
pub fn invert(size: usize, parent_offsets: &[u32], parents: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut child_offsets = vec![0u32; size + 1];
    for &parent in parents {
        child_offsets[parent as usize + 1] += 1;
    }
    for node in 0..size {
        child_offsets[node + 1] += child_offsets[node];
    }

    // Visiting the nodes in ascending order fills each parent's slots in ascending order.
    let mut cursor = child_offsets[..size].to_vec();
    let mut children = vec![0u32; parents.len()];
    for node in 0..size {
        for &parent in &parents[edge_range(parent_offsets, node)] {
            let slot = &mut cursor[parent as usize];
            children[*slot as usize] = node as u32;
            *slot += 1;
        }
    }
    (child_offsets, children)
}

/// Returns a topological order, or `None` when the graph has a cycle. Description order is
/// returned as is when every parent index is below its child's; otherwise Kahn's algorithm
/// with a FIFO queue seeded in index order (the same order as the TypeScript engine).
///
/// # Complexity
/// O(V + E).
pub fn topological_order(
    size: usize,
    parent_offsets: &[u32],
    parents: &[u32],
    child_offsets: &[u32],
    children: &[u32],
) -> Option<Vec<u32>> {
    let description_order_is_topological = (0..size).all(|node| {
        parents[edge_range(parent_offsets, node)]
            .iter()
            .all(|&parent| (parent as usize) < node)
    });
    if description_order_is_topological {
        return Some((0..size as u32).collect());
    }

    let mut in_degree: Vec<u32> = (0..size)
        .map(|node| parent_offsets[node + 1] - parent_offsets[node])
        .collect();

    // `order` doubles as the FIFO queue: nodes from `head` on are queued but not yet expanded.
    let mut order: Vec<u32> = Vec::with_capacity(size);
    order.extend((0..size as u32).filter(|&node| in_degree[node as usize] == 0));
    let mut head = 0;
    while head < order.len() {
        let node = order[head] as usize;
        head += 1;
        for &child in &children[edge_range(child_offsets, node)] {
            in_degree[child as usize] -= 1;
            if in_degree[child as usize] == 0 {
                order.push(child);
            }
        }
    }
    (order.len() == size).then_some(order)
}

/// Returns whether `order` lists every node once, each after all of its parents. Malformed
/// input (offsets of the wrong length, an index out of range) gives `false`, never a panic.
///
/// # Complexity
/// O(V + E).
pub fn is_topological_order(size: usize, parent_offsets: &[u32], parents: &[u32], order: &[u32]) -> bool {
    if order.len() != size || parent_offsets.len() != size + 1 {
        return false;
    }

    let mut position = vec![usize::MAX; size];
    for (rank, &node) in order.iter().enumerate() {
        match position.get_mut(node as usize) {
            Some(slot) if *slot == usize::MAX => *slot = rank,
            _ => return false,
        }
    }

    for node in 0..size {
        let (start, end) = (parent_offsets[node] as usize, parent_offsets[node + 1] as usize);
        let Some(node_parents) = parents.get(start..end) else {
            return false;
        };
        for &parent in node_parents {
            match position.get(parent as usize) {
                Some(&parent_rank) if parent_rank < position[node] => {}
                _ => return false,
            }
        }
    }
    true
}

/// Returns one shortest cycle through the lowest-index node lying on a cycle (a node of a
/// strongly connected component of two or more nodes, or with an edge to itself), in edge
/// direction with the first node repeated at the end. Matches `src/graph/cycle.ts`.
/// Returns an empty vector when the graph is acyclic.
///
/// # Complexity
/// O(V + E): Tarjan's algorithm with an explicit stack, then one breadth-first search.
pub fn find_cycle(size: usize, child_offsets: &[u32], children: &[u32]) -> Vec<u32> {
    let component = strongly_connected_components(size, child_offsets, children);
    let mut component_size = vec![0u32; size];
    for &label in &component {
        component_size[label as usize] += 1;
    }

    let on_cycle = |node: usize| {
        component_size[component[node] as usize] > 1
            || children[edge_range(child_offsets, node)].contains(&(node as u32))
    };
    let Some(start) = (0..size).find(|&node| on_cycle(node)) else {
        return Vec::new();
    };

    // Breadth-first search from `start`, restricted to its component: the first edge back to
    // `start` closes a shortest cycle through it.
    let start_component = component[start];
    let mut previous = vec![UNVISITED; size];
    previous[start] = start as u32;
    let mut queue: Vec<u32> = Vec::with_capacity(size);
    queue.push(start as u32);
    let mut head = 0;
    while head < queue.len() {
        let node = queue[head];
        head += 1;
        for &child in &children[edge_range(child_offsets, node as usize)] {
            if component[child as usize] != start_component {
                continue;
            }
            if child as usize == start {
                let mut cycle = vec![start as u32];
                let mut step = node;
                while step as usize != start {
                    cycle.push(step);
                    step = previous[step as usize];
                }
                cycle.push(start as u32);
                cycle.reverse();
                return cycle;
            }
            if previous[child as usize] == UNVISITED {
                previous[child as usize] = node;
                queue.push(child);
            }
        }
    }
    debug_assert!(false, "no cycle found inside a cyclic component");
    Vec::new()
}

/// Labels each node with its strongly connected component (Tarjan's algorithm, with an
/// explicit call stack instead of recursion).
///
/// # Complexity
/// O(V + E).
fn strongly_connected_components(size: usize, child_offsets: &[u32], children: &[u32]) -> Vec<u32> {
    let mut order = vec![UNVISITED; size];
    let mut low_link = vec![0u32; size];
    let mut component = vec![UNVISITED; size];
    let mut on_stack = vec![false; size];
    // The next child edge each node on the call stack will follow.
    let mut next_edge = vec![0u32; size];
    let mut tarjan_stack: Vec<u32> = Vec::new();
    let mut call_stack: Vec<u32> = Vec::new();
    let mut counter = 0u32;
    let mut components = 0u32;

    for root in 0..size {
        if order[root] != UNVISITED {
            continue;
        }
        order[root] = counter;
        low_link[root] = counter;
        counter += 1;
        next_edge[root] = child_offsets[root];
        tarjan_stack.push(root as u32);
        on_stack[root] = true;
        call_stack.push(root as u32);

        while let Some(&top) = call_stack.last() {
            let node = top as usize;
            if next_edge[node] < child_offsets[node + 1] {
                let child = children[next_edge[node] as usize] as usize;
                next_edge[node] += 1;
                if order[child] == UNVISITED {
                    order[child] = counter;
                    low_link[child] = counter;
                    counter += 1;
                    next_edge[child] = child_offsets[child];
                    tarjan_stack.push(child as u32);
                    on_stack[child] = true;
                    call_stack.push(child as u32);
                } else if on_stack[child] {
                    low_link[node] = low_link[node].min(order[child]);
                }
                continue;
            }

            call_stack.pop();
            if let Some(&parent) = call_stack.last() {
                low_link[parent as usize] = low_link[parent as usize].min(low_link[node]);
            }
            if low_link[node] == order[node] {
                while let Some(member) = tarjan_stack.pop() {
                    on_stack[member as usize] = false;
                    component[member as usize] = components;
                    if member as usize == node {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    component
}

/// Computes `cp(v) = priority(v) + Σ cp(c)` over children in ascending order, in reverse
/// topological order, saturating each partial sum. Bit-identical to `src/graph/priority.ts`.
///
/// # Complexity
/// O(V + E).
pub fn compound_priorities(priority: &[f64], child_offsets: &[u32], children: &[u32], order: &[u32]) -> Vec<f64> {
    let mut compound = vec![0.0f64; priority.len()];
    for &node in order.iter().rev() {
        let node = node as usize;
        let mut sum = priority[node];
        for &child in &children[edge_range(child_offsets, node)] {
            sum = saturate(sum + compound[child as usize]);
        }
        compound[node] = sum;
    }
    compound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{csr_from_parent_lists, random_dag, random_priority, Mulberry32};

    /// The CSR arrays of a graph given as parent lists, with its children.
    struct Csr {
        size: usize,
        parent_offsets: Vec<u32>,
        parents: Vec<u32>,
        child_offsets: Vec<u32>,
        children: Vec<u32>,
    }

    impl Csr {
        fn new(parent_lists: &[Vec<u32>]) -> Csr {
            let (parent_offsets, parents) = csr_from_parent_lists(parent_lists);
            let size = parent_lists.len();
            let (child_offsets, children) = invert(size, &parent_offsets, &parents);
            Csr { size, parent_offsets, parents, child_offsets, children }
        }

        fn order(&self) -> Option<Vec<u32>> {
            topological_order(self.size, &self.parent_offsets, &self.parents, &self.child_offsets, &self.children)
        }

        fn cycle(&self) -> Vec<u32> {
            find_cycle(self.size, &self.child_offsets, &self.children)
        }

        fn child_lists(&self) -> Vec<Vec<u32>> {
            (0..self.size)
                .map(|node| self.children[edge_range(&self.child_offsets, node)].to_vec())
                .collect()
        }
    }

    /// Computes each node's children the plain way: the nodes listing it as a parent, ascending.
    fn plain_child_lists(parent_lists: &[Vec<u32>]) -> Vec<Vec<u32>> {
        let mut child_lists = vec![Vec::new(); parent_lists.len()];
        for (node, list) in parent_lists.iter().enumerate() {
            for &parent in list {
                child_lists[parent as usize].push(node as u32);
            }
        }
        child_lists
    }

    /// Length in edges of the shortest cycle through `start`, by breadth-first search.
    fn shortest_cycle_length(child_lists: &[Vec<u32>], start: u32) -> Option<usize> {
        let mut distance = vec![usize::MAX; child_lists.len()];
        distance[start as usize] = 0;
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for &child in &child_lists[node as usize] {
                if child == start {
                    return Some(distance[node as usize] + 1);
                }
                if distance[child as usize] == usize::MAX {
                    distance[child as usize] = distance[node as usize] + 1;
                    queue.push_back(child);
                }
            }
        }
        None
    }

    /// Computes compound priorities straight from the definition, by plain recursion.
    fn compound_oracle(priority: &[f64], child_lists: &[Vec<u32>], node: u32) -> f64 {
        let mut sum = priority[node as usize];
        for &child in &child_lists[node as usize] {
            sum = (sum + compound_oracle(priority, child_lists, child)).clamp(-f64::MAX, f64::MAX);
        }
        sum
    }

    /// Walks down from `start` along random child edges and adds an edge back to `start`.
    fn inject_cycle(parent_lists: &mut [Vec<u32>], rng: &mut Mulberry32, start: u32) {
        let child_lists = plain_child_lists(parent_lists);
        let mut end = start;
        for _ in 0..rng.below(6) {
            let children = &child_lists[end as usize];
            if children.is_empty() {
                break;
            }
            end = children[rng.below(children.len() as u32) as usize];
        }
        if !parent_lists[start as usize].contains(&end) {
            parent_lists[start as usize].push(end);
        }
    }

    #[test]
    fn saturate_clamps_to_finite() {
        assert_eq!(saturate(f64::INFINITY), f64::MAX);
        assert_eq!(saturate(f64::NEG_INFINITY), -f64::MAX);
        assert_eq!(saturate(f64::MAX + f64::MAX), f64::MAX);
        assert_eq!(saturate(-1.5), -1.5);
    }

    #[test]
    fn invert_lists_children_ascending() {
        let graph = Csr::new(&[vec![], vec![0], vec![0, 1], vec![2, 0]]);

        assert_eq!(graph.child_offsets, vec![0, 3, 4, 5, 5]);
        assert_eq!(graph.children, vec![1, 2, 3, 2, 3]);
    }

    #[test]
    fn invert_matches_plain_inverse() {
        let mut rng = Mulberry32::new(11);
        for _ in 0..300 {
            let size = 1 + rng.below(2000) as usize;
            let parent_lists = random_dag(&mut rng, size, 4);
            let graph = Csr::new(&parent_lists);

            assert_eq!(graph.child_lists(), plain_child_lists(&parent_lists));
        }
    }

    #[test]
    fn topological_order_keeps_description_order() {
        let graph = Csr::new(&[vec![], vec![0], vec![0, 1], vec![]]);

        assert_eq!(graph.order(), Some(vec![0, 1, 2, 3]));
    }

    #[test]
    fn topological_order_kahn_is_fifo() {
        // Nodes 3 and 1 have no parents. Node 0 depends on 3, and node 2 on 1 and 0.
        let graph = Csr::new(&[vec![3], vec![], vec![1, 0], vec![]]);

        assert_eq!(graph.order(), Some(vec![1, 3, 0, 2]));
    }

    #[test]
    fn topological_order_none_on_cycle() {
        assert_eq!(Csr::new(&[vec![1], vec![0]]).order(), None);
        assert_eq!(Csr::new(&[vec![], vec![1]]).order(), None);
    }

    #[test]
    fn topological_order_empty_graph() {
        assert_eq!(Csr::new(&[]).order(), Some(vec![]));
    }

    #[test]
    fn topological_order_random_dags() {
        let mut rng = Mulberry32::new(7);
        for _ in 0..300 {
            let size = 1 + rng.below(2000) as usize;
            let graph = Csr::new(&random_dag(&mut rng, size, 4));
            let order = graph.order().expect("a DAG has a topological order");

            assert!(is_topological_order(size, &graph.parent_offsets, &graph.parents, &order));
        }
    }

    #[test]
    fn is_topological_order_rejects_bad_orders() {
        let graph = Csr::new(&[vec![], vec![0], vec![1]]);
        let check = |order: &[u32]| is_topological_order(3, &graph.parent_offsets, &graph.parents, order);

        assert!(check(&[0, 1, 2]));
        assert!(!check(&[0, 2, 1]), "child before parent");
        assert!(!check(&[0, 1]), "missing node");
        assert!(!check(&[0, 1, 1]), "repeated node");
        assert!(!check(&[0, 1, 3]), "index out of range");
        assert!(!check(&[0, 1, 2, 2]), "too long");
    }

    #[test]
    fn is_topological_order_rejects_malformed_csr() {
        assert!(!is_topological_order(2, &[0, 1], &[0], &[0, 1]), "offsets too short");
        assert!(!is_topological_order(2, &[0, 0, 2], &[0], &[0, 1]), "offset past the edges");
        assert!(!is_topological_order(2, &[0, 0, 1], &[5], &[0, 1]), "parent out of range");
    }

    #[test]
    fn find_cycle_self_loop() {
        assert_eq!(Csr::new(&[vec![], vec![1]]).cycle(), vec![1, 1]);
    }

    #[test]
    fn find_cycle_starts_at_lowest_index() {
        // Cycles 4 -> 2 -> 3 -> 4 and 1 -> 5 -> 1. Node 1 is the lowest index on a cycle.
        let graph = Csr::new(&[vec![], vec![5], vec![4], vec![2], vec![3], vec![1]]);

        assert_eq!(graph.cycle(), vec![1, 5, 1]);
    }

    #[test]
    fn find_cycle_takes_shortest() {
        // 0 -> 1 -> 2 -> 3 -> 0 and the shortcut 0 -> 3.
        let graph = Csr::new(&[vec![3], vec![0], vec![1], vec![2, 0]]);

        assert_eq!(graph.cycle(), vec![0, 3, 0]);
    }

    #[test]
    fn find_cycle_ignores_edges_leaving_component() {
        // Node 0 reaches the cycle 1 -> 2 -> 1 but is not on it.
        let graph = Csr::new(&[vec![], vec![0, 2], vec![1]]);

        assert_eq!(graph.cycle(), vec![1, 2, 1]);
    }

    #[test]
    fn find_cycle_empty_when_acyclic() {
        assert_eq!(Csr::new(&[vec![], vec![0]]).cycle(), Vec::<u32>::new());
    }

    #[test]
    fn find_cycle_random_injected_cycles() {
        let mut rng = Mulberry32::new(3);
        for _ in 0..300 {
            let size = 1 + rng.below(60) as usize;
            let mut parent_lists = random_dag(&mut rng, size, 3);
            let start = rng.below(size as u32);
            inject_cycle(&mut parent_lists, &mut rng, start);
            let graph = Csr::new(&parent_lists);
            let child_lists = graph.child_lists();
            let cycle = graph.cycle();

            assert!(graph.order().is_none());
            assert!(cycle.len() >= 2, "cycle {cycle:?}");
            assert_eq!(cycle.first(), cycle.last(), "cycle {cycle:?} is closed");
            for pair in cycle.windows(2) {
                assert!(child_lists[pair[0] as usize].contains(&pair[1]), "edge {pair:?} of {cycle:?}");
            }
            let lowest_on_cycle = (0..size as u32).find(|&node| shortest_cycle_length(&child_lists, node).is_some());
            assert_eq!(Some(cycle[0]), lowest_on_cycle, "cycle {cycle:?}");
            assert_eq!(Some(cycle.len() - 1), shortest_cycle_length(&child_lists, cycle[0]), "cycle {cycle:?}");
        }
    }

    #[test]
    fn compound_priorities_diamond() {
        // 0 -> 1 -> 3 and 0 -> 2 -> 3: node 3 counts once per path.
        let graph = Csr::new(&[vec![], vec![0], vec![0], vec![1, 2]]);
        let order = graph.order().unwrap();

        let compound = compound_priorities(&[1.0; 4], &graph.child_offsets, &graph.children, &order);

        assert_eq!(compound, vec![5.0, 2.0, 2.0, 1.0]);
    }

    #[test]
    fn compound_priorities_saturate() {
        let graph = Csr::new(&[vec![], vec![0], vec![0]]);
        let order = graph.order().unwrap();

        let high = compound_priorities(&[0.0, f64::MAX, f64::MAX], &graph.child_offsets, &graph.children, &order);
        let mixed = compound_priorities(&[1.0, f64::MAX, -f64::MAX], &graph.child_offsets, &graph.children, &order);

        assert_eq!(high[0], f64::MAX);
        // (1 + MAX) rounds to MAX, then MAX + (-MAX) is 0: the order of additions matters.
        assert_eq!(mixed[0], 0.0);
    }

    #[test]
    fn compound_priorities_match_recursive_oracle() {
        let mut rng = Mulberry32::new(5);
        for _ in 0..500 {
            let size = 1 + rng.below(12) as usize;
            let parent_lists = random_dag(&mut rng, size, 4);
            let priority: Vec<f64> = (0..size).map(|_| random_priority(&mut rng)).collect();
            let graph = Csr::new(&parent_lists);
            let order = graph.order().unwrap();
            let child_lists = plain_child_lists(&parent_lists);

            let compound = compound_priorities(&priority, &graph.child_offsets, &graph.children, &order);

            for node in 0..size as u32 {
                let expected = compound_oracle(&priority, &child_lists, node);
                let actual = compound[node as usize];
                assert_eq!(actual.to_bits(), expected.to_bits(), "node {node} of {parent_lists:?}, priority {priority:?}");
            }
        }
    }

    #[test]
    fn million_node_chains_no_recursion() {
        let size = 1_000_000usize;
        let forward: Vec<Vec<u32>> = (0..size as u32)
            .map(|node| if node == 0 { vec![] } else { vec![node - 1] })
            .collect();
        let backward: Vec<Vec<u32>> = (0..size as u32)
            .map(|node| if node as usize == size - 1 { vec![] } else { vec![node + 1] })
            .collect();

        let chain = Csr::new(&forward);
        let order = chain.order().unwrap();
        assert!(is_topological_order(size, &chain.parent_offsets, &chain.parents, &order));
        let compound = compound_priorities(&vec![1.0; size], &chain.child_offsets, &chain.children, &order);
        assert_eq!(compound[0], size as f64);

        let reversed = Csr::new(&backward);
        let order = reversed.order().unwrap();
        assert_eq!(order[0], size as u32 - 1);
        assert!(is_topological_order(size, &reversed.parent_offsets, &reversed.parents, &order));

        // Closing the chain makes one cycle through every node: Tarjan goes a million deep.
        let mut closed = forward;
        closed[0].push(size as u32 - 1);
        let cycle = Csr::new(&closed).cycle();
        assert_eq!(cycle.len(), size + 1);
        assert_eq!(cycle[..3], [0, 1, 2]);
    }
}
