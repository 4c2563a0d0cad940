//! Subgraph selection: the mask of the nodes one run covers. Mirrors `src/graph/subgraph.ts`.

use std::fmt;

use crate::algorithms::edge_range;
use crate::graph::{flag, kind, Graph};

/// The part of a DAG that one run covers, as dense node indices.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub roots: Option<Vec<u32>>,
    pub excluded: Option<Vec<u32>>,
    pub targets: Option<Vec<u32>>,
    pub setup_only: bool,
    pub run_debug: bool,
}

/// The reason a selection is invalid.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectionError {
    /// A root node (index) depends on a node (index) that is not a DAG input.
    NotRoot { root: u32, parent: u32 },
    /// A target node (index) was removed by the root or exclude selection or debug being off.
    TargetRemoved { target: u32 },
    /// An index out of range.
    Invalid(String),
}

impl fmt::Display for SelectionError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectionError::NotRoot { root, parent } => write!(
                formatter,
                "root node {root} is not a root: it depends on node {parent}, which is not a DAG input"
            ),
            SelectionError::TargetRemoved { target } => write!(
                formatter,
                "target node {target} is removed by the root or exclude selection, or by debug nodes being off"
            ),
            SelectionError::Invalid(message) => formatter.write_str(message),
        }
    }
}

impl std::error::Error for SelectionError {}

/// Returns the mask (1 = runs) of the nodes `selection` covers: root, then exclude, then
/// target; debug nodes left out unless `run_debug` and joining a selected subgraph when all
/// their parents are selected; argument nodes and the input reads selected nodes use always
/// included. Same results as `selectSubgraph` in TypeScript.
///
/// # Arguments
/// `kinds` contains one `kind` value per node. With `setup_only`, only setup nodes among the
/// selection stay, and debug nodes do not join.
///
/// # Errors
/// `SelectionError::Invalid` when `kinds` has the wrong length or an index is out of range;
/// `NotRoot` for the first root with a parent that is not a DAG input (an argument node, or a
/// lookup or forward node reading only from inputs); `TargetRemoved` for the first target
/// that the debug, root or exclude selection removed.
///
/// # Complexity
/// O(V + E).
pub fn select(graph: &Graph, kinds: &[u8], selection: &Selection) -> Result<Vec<u8>, SelectionError> {
    validate(graph, kinds, selection)?;
    let size = graph.size;
    let mut mask = vec![1u8; size];
    let mut inputs = InputNodes::default();

    if !selection.run_debug {
        for (node, &flags) in graph.flags.iter().enumerate() {
            if flags & flag::DEBUG != 0 {
                mask[node] = 0;
            }
        }
    }

    if let Some(roots) = &selection.roots {
        for &root in roots {
            let not_input = graph.parents_of(root).iter().find(|&&parent| !inputs.get(graph, kinds)[parent as usize]);
            if let Some(&parent) = not_input {
                return Err(SelectionError::NotRoot { root, parent });
            }
        }
        let reached = reach(&graph.child_offsets, &graph.children, size, roots);
        for (selected, reached) in mask.iter_mut().zip(reached) {
            *selected &= reached;
        }
    }

    // An empty exclude list counts as no exclude selection, as in TypeScript.
    let excluded = match &selection.excluded {
        Some(excluded) if !excluded.is_empty() => Some(reach(&graph.child_offsets, &graph.children, size, excluded)),
        _ => None,
    };
    if let Some(excluded) = &excluded {
        for (selected, &removed) in mask.iter_mut().zip(excluded) {
            if removed == 1 {
                *selected = 0;
            }
        }
    }

    if let Some(targets) = &selection.targets {
        if let Some(&target) = targets.iter().find(|&&target| mask[target as usize] == 0) {
            return Err(SelectionError::TargetRemoved { target });
        }
        let needed = reach(&graph.parent_offsets, &graph.parents, size, targets);
        for (selected, needed) in mask.iter_mut().zip(needed) {
            *selected &= needed;
        }
    }

    // Setup runs keep the setup nodes among what the selection needs, after the targets are checked.
    if selection.setup_only {
        for (node, &flags) in graph.flags.iter().enumerate() {
            if flags & flag::SETUP == 0 {
                mask[node] = 0;
            }
        }
    }

    let selected = selection.roots.is_some() || selection.targets.is_some() || excluded.is_some();
    if selection.run_debug && selected && !selection.setup_only {
        join_debug_nodes(graph, &mut mask, excluded.as_deref());
    }

    for (node, &node_kind) in kinds.iter().enumerate() {
        if node_kind == kind::ARGUMENT {
            mask[node] = 1;
        }
    }
    include_input_reads(graph, kinds, &mut mask, &mut inputs);
    Ok(mask)
}

/// Checks that `kinds` has one entry per node and every selected index is a node.
fn validate(graph: &Graph, kinds: &[u8], selection: &Selection) -> Result<(), SelectionError> {
    if kinds.len() != graph.size {
        return Err(SelectionError::Invalid(format!(
            "kinds has {} entries, expected one per node ({})",
            kinds.len(),
            graph.size
        )));
    }
    let lists = [("roots", &selection.roots), ("excluded", &selection.excluded), ("targets", &selection.targets)];
    for (name, list) in lists {
        let Some(list) = list else { continue };
        if let Some(position) = list.iter().position(|&node| node as usize >= graph.size) {
            return Err(SelectionError::Invalid(format!(
                "{name}[{position}] is {}, expected a node index below {}",
                list[position], graph.size
            )));
        }
    }
    Ok(())
}

/// The nodes that represent DAG inputs: argument nodes, and lookup or forward nodes whose
/// parents all represent inputs (a lookup or forward node without parents reads a constant).
/// Computed on first use, because most selections never need it.
#[derive(Default)]
struct InputNodes(Option<Vec<bool>>);

impl InputNodes {
    /// Returns the flags, computing them in one topological pass the first time.
    ///
    /// # Complexity
    /// O(V + E) on the first call, O(1) afterwards.
    fn get(&mut self, graph: &Graph, kinds: &[u8]) -> &[bool] {
        self.0.get_or_insert_with(|| {
            // TypeScript's `isInput` walks the ancestors of each node it checks. One pass in
            // topological order gives the same results for every node at once.
            let mut input = vec![false; graph.size];
            for &node in &graph.topological_order {
                input[node as usize] = match kinds[node as usize] {
                    kind::ARGUMENT => true,
                    kind::LOOKUP | kind::FORWARD => {
                        graph.parents_of(node).iter().all(|&parent| input[parent as usize])
                    }
                    _ => false,
                };
            }
            input
        })
    }
}

/// Adds the lookup and forward nodes that represent DAG inputs and that selected nodes read,
/// such as an option read from an input or an inlined sub-DAG's argument. Every run has its
/// inputs, even when the root selection did not reach these nodes. Runs in reverse index
/// order, as TypeScript does, so a node added here brings its own parents.
fn include_input_reads(graph: &Graph, kinds: &[u8], mask: &mut [u8], inputs: &mut InputNodes) {
    // NOTE: a parent with a higher index than the node added here was visited earlier and
    // stays out. Traced descriptions never give such an index, and TypeScript iterates the
    // same way, so both engines select the same nodes.
    for node in (0..graph.size).rev() {
        if mask[node] == 0 {
            continue;
        }
        for &parent in graph.parents_of(node as u32) {
            let parent = parent as usize;
            let reads_input = matches!(kinds[parent], kind::LOOKUP | kind::FORWARD);
            if mask[parent] == 0 && reads_input && inputs.get(graph, kinds)[parent] {
                mask[parent] = 1;
            }
        }
    }
}

/// Adds every debug node whose parents are all selected (and that has at least one parent),
/// in topological order so chains of debug nodes join.
fn join_debug_nodes(graph: &Graph, mask: &mut [u8], excluded: Option<&[u8]>) {
    for &node in &graph.topological_order {
        let node_index = node as usize;
        if mask[node_index] == 1 || graph.flags[node_index] & flag::DEBUG == 0 {
            continue;
        }
        if excluded.is_some_and(|excluded| excluded[node_index] == 1) {
            continue;
        }
        let parents = graph.parents_of(node);
        if !parents.is_empty() && parents.iter().all(|&parent| mask[parent as usize] == 1) {
            mask[node_index] = 1;
        }
    }
}

/// Marks (1) every node reachable from `starts` along one CSR direction, starts included.
///
/// # Complexity
/// O(V + E), iterative.
fn reach(offsets: &[u32], edges: &[u32], size: usize, starts: &[u32]) -> Vec<u8> {
    let mut reached = vec![0u8; size];
    let mut stack: Vec<u32> = Vec::new();
    for &start in starts {
        if reached[start as usize] == 0 {
            reached[start as usize] = 1;
            stack.push(start);
        }
    }
    while let Some(node) = stack.pop() {
        for &next in &edges[edge_range(offsets, node as usize)] {
            if reached[next as usize] == 0 {
                reached[next as usize] = 1;
                stack.push(next);
            }
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{csr_from_parent_lists, random_dag, Mulberry32};

    const ARG: u8 = kind::ARGUMENT;
    const CALL: u8 = kind::CALL;
    const LOOKUP: u8 = kind::LOOKUP;
    const FORWARD: u8 = kind::FORWARD;

    /// Builds a graph from (parents, kind, flags) per node.
    fn graph_of(nodes: &[(&[u32], u8, u8)]) -> (Graph, Vec<u8>) {
        let parent_lists: Vec<Vec<u32>> = nodes.iter().map(|(parents, _, _)| parents.to_vec()).collect();
        let (parent_offsets, parents) = csr_from_parent_lists(&parent_lists);
        let flags = nodes.iter().map(|&(_, _, flags)| flags).collect();
        let graph = Graph::new(parent_offsets, parents, flags, vec![0.0; nodes.len()]).unwrap();
        (graph, nodes.iter().map(|&(_, kind, _)| kind).collect())
    }

    /// Builds a DAG with an input, a read from it, a debug chain and a setup node. Nodes: 0 x,
    /// 1 x.size, 2 a(x), 3 b(a), 4 c(x.size), 5 debug(b), 6 e(b, c), 7 setup(), 8 f(setup, e),
    /// 9 debug(debug(b)).
    fn pipeline() -> (Graph, Vec<u8>) {
        graph_of(&[
            (&[], ARG, 0),
            (&[0], LOOKUP, 0),
            (&[0], CALL, 0),
            (&[2], CALL, 0),
            (&[1], CALL, 0),
            (&[3], CALL, flag::DEBUG),
            (&[3, 4], CALL, 0),
            (&[], CALL, flag::SETUP),
            (&[7, 6], CALL, 0),
            (&[5], CALL, flag::DEBUG),
        ])
    }

    /// Returns the selected node indices of a mask.
    fn selected(mask: &[u8]) -> Vec<u32> {
        (0..mask.len() as u32).filter(|&node| mask[node as usize] == 1).collect()
    }

    fn select_nodes(selection: Selection) -> Result<Vec<u32>, SelectionError> {
        let (graph, kinds) = pipeline();
        select(&graph, &kinds, &selection).map(|mask| selected(&mask))
    }

    #[test]
    fn default_leaves_out_debug_nodes() {
        assert_eq!(select_nodes(Selection::default()), Ok(vec![0, 1, 2, 3, 4, 6, 7, 8]));
    }

    #[test]
    fn run_debug_keeps_every_node() {
        let selection = Selection { run_debug: true, ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok((0..10).collect()));
    }

    #[test]
    fn roots_keep_descendants_and_inputs() {
        let selection = Selection { roots: Some(vec![2]), ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok(vec![0, 2, 3, 6, 8]));
    }

    #[test]
    fn roots_bring_input_reads() {
        let selection = Selection { roots: Some(vec![4]), ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok(vec![0, 1, 4, 6, 8]));
    }

    #[test]
    fn empty_roots_keep_only_inputs() {
        let selection = Selection { roots: Some(vec![]), ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok(vec![0]));
    }

    #[test]
    fn root_with_call_parent_rejected() {
        let first = Selection { roots: Some(vec![2, 3, 6]), ..Selection::default() };
        let second = Selection { roots: Some(vec![6]), ..Selection::default() };

        assert_eq!(select_nodes(first), Err(SelectionError::NotRoot { root: 3, parent: 2 }));
        assert_eq!(select_nodes(second), Err(SelectionError::NotRoot { root: 6, parent: 3 }));
    }

    #[test]
    fn excluded_removes_descendants() {
        let selection = Selection { excluded: Some(vec![3]), ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok(vec![0, 1, 2, 4, 7]));
    }

    #[test]
    fn empty_excluded_is_no_selection() {
        let selection = Selection { excluded: Some(vec![]), run_debug: true, ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok((0..10).collect()));
    }

    #[test]
    fn targets_keep_ancestors() {
        let selection = Selection { targets: Some(vec![6]), ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok(vec![0, 1, 2, 3, 4, 6]));
    }

    #[test]
    fn target_removed_rejected() {
        let debug_off = Selection { targets: Some(vec![5]), ..Selection::default() };
        let excluded = Selection { targets: Some(vec![6]), excluded: Some(vec![2]), ..Selection::default() };
        let not_reached = Selection { targets: Some(vec![3]), roots: Some(vec![4]), ..Selection::default() };

        assert_eq!(select_nodes(debug_off), Err(SelectionError::TargetRemoved { target: 5 }));
        assert_eq!(select_nodes(excluded), Err(SelectionError::TargetRemoved { target: 6 }));
        assert_eq!(select_nodes(not_reached), Err(SelectionError::TargetRemoved { target: 3 }));
    }

    #[test]
    fn debug_chain_joins_selection() {
        let selection = Selection { targets: Some(vec![3]), run_debug: true, ..Selection::default() };

        assert_eq!(select_nodes(selection), Ok(vec![0, 2, 3, 5, 9]));
    }

    #[test]
    fn excluded_debug_node_does_not_join() {
        let selection = Selection {
            targets: Some(vec![3]),
            excluded: Some(vec![5]),
            run_debug: true,
            ..Selection::default()
        };

        assert_eq!(select_nodes(selection), Ok(vec![0, 2, 3]));
    }

    #[test]
    fn debug_node_without_parents_does_not_join() {
        // Nodes: 0 x, 1 a(x), 2 a debug node with no parents.
        let (graph, kinds) = graph_of(&[(&[], ARG, 0), (&[0], CALL, 0), (&[], CALL, flag::DEBUG)]);
        let selection = Selection { targets: Some(vec![1]), run_debug: true, ..Selection::default() };

        assert_eq!(select(&graph, &kinds, &selection), Ok(vec![1, 1, 0]));
    }

    #[test]
    fn setup_only_keeps_needed_setup_nodes() {
        let all = Selection { setup_only: true, run_debug: true, ..Selection::default() };
        let for_target = Selection { setup_only: true, targets: Some(vec![8]), ..Selection::default() };
        let not_needed = Selection {
            setup_only: true,
            targets: Some(vec![6]),
            run_debug: true,
            ..Selection::default()
        };

        assert_eq!(select_nodes(all), Ok(vec![0, 7]));
        assert_eq!(select_nodes(for_target), Ok(vec![0, 7]));
        assert_eq!(select_nodes(not_needed), Ok(vec![0]));
    }

    #[test]
    fn setup_only_checks_targets_first() {
        let selection = Selection { setup_only: true, targets: Some(vec![5]), ..Selection::default() };

        assert_eq!(select_nodes(selection), Err(SelectionError::TargetRemoved { target: 5 }));
    }

    #[test]
    fn input_reads_through_lookups_and_forwards() {
        // Nodes: 0 x, 1 x.a, 2 x.a.b, 3 forward(x.a.b), 4 g(forward), 5 g().c, 6 h(g().c),
        // 7 a forward of a constant, 8 k(constant forward, x.a.b).
        let (graph, kinds) = graph_of(&[
            (&[], ARG, 0),
            (&[0], LOOKUP, 0),
            (&[1], LOOKUP, 0),
            (&[2], FORWARD, 0),
            (&[3], CALL, 0),
            (&[4], LOOKUP, 0),
            (&[5], CALL, 0),
            (&[], FORWARD, 0),
            (&[7, 2], CALL, 0),
        ]);
        let run = |roots: Vec<u32>| {
            let selection = Selection { roots: Some(roots), ..Selection::default() };
            select(&graph, &kinds, &selection).map(|mask| selected(&mask))
        };

        assert_eq!(run(vec![4]), Ok(vec![0, 1, 2, 3, 4, 5, 6]));
        assert_eq!(run(vec![8]), Ok(vec![0, 1, 2, 7, 8]));
        assert_eq!(run(vec![6]), Err(SelectionError::NotRoot { root: 6, parent: 5 }));
    }

    #[test]
    fn invalid_indices_rejected() {
        let (graph, kinds) = pipeline();
        let out_of_range = |selection: Selection| match select(&graph, &kinds, &selection) {
            Err(SelectionError::Invalid(message)) => message,
            other => panic!("expected SelectionError::Invalid, got {other:?}"),
        };

        let roots = out_of_range(Selection { roots: Some(vec![1, 10]), ..Selection::default() });
        let excluded = out_of_range(Selection { excluded: Some(vec![99]), ..Selection::default() });
        let targets = out_of_range(Selection { targets: Some(vec![u32::MAX]), ..Selection::default() });

        assert!(roots.contains("roots[1] is 10, expected a node index below 10"), "{roots}");
        assert!(excluded.contains("excluded[0] is 99"), "{excluded}");
        assert!(targets.contains("targets[0] is 4294967295"), "{targets}");
    }

    #[test]
    fn kinds_length_rejected() {
        let (graph, _) = pipeline();

        let result = select(&graph, &[ARG], &Selection::default());

        assert!(matches!(result, Err(SelectionError::Invalid(message)) if message.contains("kinds has 1 entries")));
    }

    /// Checks whether a node represents a DAG input the way TypeScript's `isInput` does: every
    /// ancestor reached through lookup and forward nodes is an argument, a lookup or a forward node.
    fn is_input_walk(graph: &Graph, kinds: &[u8], node: u32) -> bool {
        let mut pending = vec![node];
        while let Some(current) = pending.pop() {
            match kinds[current as usize] {
                ARG => continue,
                LOOKUP | FORWARD => pending.extend_from_slice(graph.parents_of(current)),
                _ => return false,
            }
        }
        true
    }

    #[test]
    fn input_nodes_match_ancestor_walk() {
        let mut rng = Mulberry32::new(29);
        for _ in 0..200 {
            let size = 1 + rng.below(40) as usize;
            let (parent_offsets, parents) = csr_from_parent_lists(&random_dag(&mut rng, size, 3));
            let graph = Graph::new(parent_offsets, parents, vec![0; size], vec![0.0; size]).unwrap();
            // Mostly lookups and forwards, so long input chains occur.
            let kind_choices = [ARG, CALL, LOOKUP, LOOKUP, FORWARD];
            let kinds: Vec<u8> = (0..size).map(|_| kind_choices[rng.below(5) as usize]).collect();

            let mut inputs = InputNodes::default();
            let computed = inputs.get(&graph, &kinds).to_vec();

            for node in 0..size as u32 {
                assert_eq!(computed[node as usize], is_input_walk(&graph, &kinds, node), "node {node}");
            }
        }
    }
}
