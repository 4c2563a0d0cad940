//! Subgraph selection: the mask of the nodes one run covers. Mirrors `src/graph/subgraph.ts`.

use crate::graph::Graph;

/// Which part of a DAG one run covers, as dense node indices.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub roots: Option<Vec<u32>>,
    pub excluded: Option<Vec<u32>>,
    pub targets: Option<Vec<u32>>,
    pub setup_only: bool,
    pub run_debug: bool,
}

/// Why a selection is invalid.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectionError {
    /// A root node (index) depends on a node (index) that is not a DAG input.
    NotRoot { root: u32, parent: u32 },
    /// A target node (index) was removed by the root or exclude selection or debug being off.
    TargetRemoved { target: u32 },
    /// An index out of range.
    Invalid(String),
}

/// Returns the mask (1 = runs) of the nodes `selection` covers: root, then exclude, then
/// target; debug nodes left out unless `run_debug` and joining a selected subgraph when all
/// their parents are selected; argument nodes and the input reads selected nodes use always
/// included. Same results as `selectSubgraph` in TypeScript.
///
/// # Complexity
/// O(V + E).
pub fn select(graph: &Graph, kinds: &[u8], selection: &Selection) -> Result<Vec<u8>, SelectionError> {
    let _ = (graph, kinds, selection);
    todo!()
}
