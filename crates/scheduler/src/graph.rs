//! The compiled graph: dense node indices, parents and children in CSR form, flags and
//! priorities. Built once per DAG from the arrays the TypeScript side compiles.

use std::fmt;

use crate::algorithms;

/// Bits of the per-node flags. The values are shared with `src/graph/flags.ts`.
pub mod flag {
    /// Runs alone: waits until nothing runs, and nothing starts while it runs.
    pub const SEQUENTIAL: u8 = 1;
    /// Runs inline on the main thread without taking a slot of the concurrency budget.
    pub const INLINE: u8 = 2;
    /// A main-thread user function: a batch ends after it so it can be awaited.
    pub const BLOCKING: u8 = 4;
    pub const SETUP: u8 = 8;
    pub const DEBUG: u8 = 16;
    pub const CONDITIONAL: u8 = 32;
    pub const WORKER: u8 = 64;
}

/// Node kinds, shared with `src/graph/flags.ts`.
pub mod kind {
    pub const ARGUMENT: u8 = 0;
    pub const CALL: u8 = 1;
    pub const LOOKUP: u8 = 2;
    pub const FORWARD: u8 = 3;
}

/// The reason a graph could not be built.
#[derive(Debug, Clone, PartialEq)]
pub enum GraphError {
    /// The arrays are inconsistent (lengths, offsets, indices out of range, non-finite priority).
    Invalid(String),
    /// A dependency cycle, as node indices in edge direction, the first repeated at the end.
    Cycle(Vec<u32>),
}

impl fmt::Display for GraphError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::Invalid(message) => formatter.write_str(message),
            GraphError::Cycle(cycle) => {
                let path: Vec<String> = cycle.iter().map(u32::to_string).collect();
                write!(formatter, "the graph has a dependency cycle through nodes {}", path.join(" -> "))
            }
        }
    }
}

impl std::error::Error for GraphError {}

/// A validated DAG with its derived arrays.
#[derive(Debug, Clone)]
pub struct Graph {
    pub size: usize,
    /// Node i's parents: `parents[parent_offsets[i]..parent_offsets[i + 1]]`.
    pub parent_offsets: Vec<u32>,
    pub parents: Vec<u32>,
    /// Node i's children, ascending: `children[child_offsets[i]..child_offsets[i + 1]]`.
    pub child_offsets: Vec<u32>,
    pub children: Vec<u32>,
    pub flags: Vec<u8>,
    pub priority: Vec<f64>,
    /// `priority + Σ compound(children)`, summed in ascending child order, saturated at ±f64::MAX.
    pub compound_priority: Vec<f64>,
    pub topological_order: Vec<u32>,
}

impl Graph {
    /// Validates the arrays and derives children, topological order and compound priorities.
    ///
    /// # Arguments
    /// `flags` has one entry per node, so its length is the node count `size`, which must be
    /// below `u32::MAX`. `parent_offsets` has `size + 1` entries, non-decreasing, starting at 0
    /// and ending at `parents.len()`. Every parent index is below `size`. `priority` has `size`
    /// finite entries.
    ///
    /// # Errors
    /// `GraphError::Invalid` naming the first inconsistency; `GraphError::Cycle` with one
    /// shortest cycle through the lowest-index node on a cycle.
    ///
    /// # Complexity
    /// O(V + E).
    pub fn new(
        parent_offsets: Vec<u32>,
        parents: Vec<u32>,
        flags: Vec<u8>,
        priority: Vec<f64>,
    ) -> Result<Graph, GraphError> {
        validate(&parent_offsets, &parents, &flags, &priority)?;
        let size = flags.len();

        let (child_offsets, children) = algorithms::invert(size, &parent_offsets, &parents);
        let Some(topological_order) =
            algorithms::topological_order(size, &parent_offsets, &parents, &child_offsets, &children)
        else {
            return Err(GraphError::Cycle(algorithms::find_cycle(size, &child_offsets, &children)));
        };
        let compound_priority =
            algorithms::compound_priorities(&priority, &child_offsets, &children, &topological_order);

        Ok(Graph {
            size,
            parent_offsets,
            parents,
            child_offsets,
            children,
            flags,
            priority,
            compound_priority,
            topological_order,
        })
    }

    /// Node i's parents.
    pub fn parents_of(&self, node: u32) -> &[u32] {
        let node = node as usize;
        &self.parents[self.parent_offsets[node] as usize..self.parent_offsets[node + 1] as usize]
    }

    /// Node i's children.
    pub fn children_of(&self, node: u32) -> &[u32] {
        let node = node as usize;
        &self.children[self.child_offsets[node] as usize..self.child_offsets[node + 1] as usize]
    }
}

/// Checks the arrays `Graph::new` takes, returning the first inconsistency found.
///
/// # Complexity
/// O(V + E).
fn validate(parent_offsets: &[u32], parents: &[u32], flags: &[u8], priority: &[f64]) -> Result<(), GraphError> {
    let invalid = |message: String| Err(GraphError::Invalid(message));
    let size = flags.len();

    // u32::MAX stays free as the "no node" marker of the algorithms.
    if size >= u32::MAX as usize {
        return invalid(format!("the graph has {size} nodes, expected fewer than {} (node indices are u32)", u32::MAX));
    }
    if priority.len() != size {
        return invalid(format!(
            "priority has {} entries, expected one per node: {size}, the length of flags",
            priority.len()
        ));
    }
    if parent_offsets.len() != size + 1 {
        return invalid(format!(
            "parent_offsets has {} entries, expected size + 1 = {} (size is the length of flags)",
            parent_offsets.len(),
            size + 1
        ));
    }
    if parent_offsets[0] != 0 {
        return invalid(format!("parent_offsets[0] is {}, expected 0", parent_offsets[0]));
    }
    for node in 0..size {
        if parent_offsets[node + 1] < parent_offsets[node] {
            return invalid(format!(
                "parent_offsets decreases from {} at index {node} to {} at index {}, expected non-decreasing offsets",
                parent_offsets[node],
                parent_offsets[node + 1],
                node + 1
            ));
        }
    }
    if parent_offsets[size] as usize != parents.len() {
        return invalid(format!(
            "parent_offsets ends at {}, expected parents.len() = {}",
            parent_offsets[size],
            parents.len()
        ));
    }

    for node in 0..size {
        for edge in algorithms::edge_range(parent_offsets, node) {
            let parent = parents[edge];
            if parent as usize >= size {
                return invalid(format!(
                    "node {node} has parent {parent} (parents[{edge}]), expected an index below the node count {size}"
                ));
            }
        }
    }
    if let Some(node) = priority.iter().position(|value| !value.is_finite()) {
        return invalid(format!("node {node} has priority {}, expected a finite number", priority[node]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{csr_from_parent_lists, random_dag, Mulberry32};

    /// Builds a graph from parent lists, with no flags and priority 1 on every node.
    fn graph_of(parent_lists: &[Vec<u32>]) -> Result<Graph, GraphError> {
        let (parent_offsets, parents) = csr_from_parent_lists(parent_lists);
        let size = parent_lists.len();
        Graph::new(parent_offsets, parents, vec![0; size], vec![1.0; size])
    }

    /// Returns the message of a `GraphError::Invalid`, failing on any other result.
    fn invalid_message(result: Result<Graph, GraphError>) -> String {
        match result {
            Err(GraphError::Invalid(message)) => message,
            other => panic!("expected GraphError::Invalid, got {other:?}"),
        }
    }

    #[test]
    fn new_derives_arrays() {
        let graph = graph_of(&[vec![], vec![0], vec![0, 1]]).unwrap();

        assert_eq!(graph.size, 3);
        assert_eq!(graph.children_of(0), &[1, 2]);
        assert_eq!(graph.children_of(1), &[2]);
        assert_eq!(graph.parents_of(2), &[0, 1]);
        assert_eq!(graph.topological_order, vec![0, 1, 2]);
        assert_eq!(graph.compound_priority, vec![4.0, 2.0, 1.0]);
    }

    #[test]
    fn new_accepts_empty_graph() {
        let graph = Graph::new(vec![0], vec![], vec![], vec![]).unwrap();

        assert_eq!(graph.size, 0);
        assert!(graph.topological_order.is_empty());
    }

    #[test]
    fn new_rejects_wrong_lengths() {
        let priority = invalid_message(Graph::new(vec![0, 0], vec![], vec![0], vec![]));
        let offsets = invalid_message(Graph::new(vec![0, 0], vec![], vec![0, 0], vec![1.0, 1.0]));
        let no_offsets = invalid_message(Graph::new(vec![], vec![], vec![], vec![]));

        assert!(priority.contains("priority has 0 entries"), "{priority}");
        assert!(offsets.contains("parent_offsets has 2 entries, expected size + 1 = 3"), "{offsets}");
        assert!(no_offsets.contains("parent_offsets has 0 entries"), "{no_offsets}");
    }

    #[test]
    fn new_rejects_bad_offsets() {
        let first = invalid_message(Graph::new(vec![1, 1], vec![0], vec![0], vec![0.0]));
        let decreasing = invalid_message(Graph::new(vec![0, 2, 1, 2], vec![0, 0], vec![0; 3], vec![0.0; 3]));
        let last = invalid_message(Graph::new(vec![0, 0, 1], vec![0, 0], vec![0; 2], vec![0.0; 2]));

        assert!(first.contains("parent_offsets[0] is 1, expected 0"), "{first}");
        assert!(decreasing.contains("decreases from 2 at index 1 to 1 at index 2"), "{decreasing}");
        assert!(last.contains("ends at 1, expected parents.len() = 2"), "{last}");
    }

    #[test]
    fn new_rejects_parent_out_of_range() {
        let message = invalid_message(Graph::new(vec![0, 0, 1], vec![2], vec![0; 2], vec![0.0; 2]));

        assert!(message.contains("node 1 has parent 2 (parents[0])"), "{message}");
    }

    #[test]
    fn new_rejects_non_finite_priority() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let message = invalid_message(Graph::new(vec![0, 0, 0], vec![], vec![0; 2], vec![0.0, value]));

            assert!(message.contains("node 1 has priority"), "{message}");
        }
    }

    #[test]
    fn new_reports_cycle() {
        // 0 -> 2 -> 1 -> 0, with 3 hanging off the cycle.
        let result = graph_of(&[vec![1], vec![2], vec![0], vec![2]]);

        assert_eq!(result.unwrap_err(), GraphError::Cycle(vec![0, 2, 1, 0]));
    }

    #[test]
    fn error_display_names_cycle() {
        let error = GraphError::Cycle(vec![0, 2, 0]);

        assert_eq!(error.to_string(), "the graph has a dependency cycle through nodes 0 -> 2 -> 0");
    }

    #[test]
    fn new_random_dags_consistent() {
        let mut rng = Mulberry32::new(19);
        for _ in 0..200 {
            let size = 1 + rng.below(2000) as usize;
            let parent_lists = random_dag(&mut rng, size, 4);
            let graph = graph_of(&parent_lists).unwrap();

            let order = &graph.topological_order;
            assert!(algorithms::is_topological_order(size, &graph.parent_offsets, &graph.parents, order));
            for node in 0..size as u32 {
                assert_eq!(graph.parents_of(node), parent_lists[node as usize].as_slice());
                for &child in graph.children_of(node) {
                    assert!(graph.parents_of(child).contains(&node));
                }
                assert!(graph.children_of(node).windows(2).all(|pair| pair[0] < pair[1]));
            }
            assert_eq!(graph.children.len(), graph.parents.len());
        }
    }

    #[test]
    fn new_million_node_chain() {
        let size = 1_000_000u32;
        let parent_offsets: Vec<u32> = std::iter::once(0).chain(0..size).collect();
        let parents: Vec<u32> = (0..size - 1).collect();

        let graph = Graph::new(parent_offsets, parents, vec![0; size as usize], vec![1.0; size as usize]).unwrap();

        assert_eq!(graph.compound_priority[0], f64::from(size));
        assert_eq!(graph.children_of(0), &[1]);
    }
}
