//! One run's scheduling state machine, identical in behaviour to `src/engine/ts.ts`: two ready
//! queues (inline and budgeted) sharing one order, the concurrency budget, sequential nodes,
//! blocking main-thread nodes, skip propagation and the three behaviours.

use std::sync::Arc;

use crate::graph::Graph;

/// Node states, shared with `src/engine/scheduler.ts`.
pub mod state {
    pub const PENDING: u8 = 0;
    pub const READY: u8 = 1;
    pub const RUNNING: u8 = 2;
    pub const SUCCEEDED: u8 = 3;
    pub const FAILED: u8 = 4;
    pub const SKIPPED_INACTIVE: u8 = 5;
    pub const SKIPPED_DEPENDENCY: u8 = 6;
    pub const NOT_RUN: u8 = 7;
}

/// Behaviours on a node failure, shared with `src/engine/scheduler.ts`.
pub mod behavior {
    pub const STRICT: u8 = 0;
    pub const ALL_CHILDREN: u8 = 1;
    pub const PERMISSIVE: u8 = 2;
}

/// The scheduling state of one run.
#[derive(Debug)]
pub struct Schedule {
    graph: Arc<Graph>,
    mask: Option<Vec<u8>>,
    /// Most budgeted nodes running at once; `u64::MAX` for no limit.
    max_concurrency: u64,
    behavior: u8,
    states: Vec<u8>,
}

impl Schedule {
    /// Prepares a run: nodes outside `mask` are not run, nodes without selected parents are ready.
    ///
    /// # Errors
    /// A message when `mask` has the wrong length, `max_concurrency` is 0 or `behavior` is unknown.
    ///
    /// # Complexity
    /// O(V + E).
    pub fn new(graph: Arc<Graph>, mask: Option<Vec<u8>>, max_concurrency: u64, behavior: u8) -> Result<Schedule, String> {
        let _ = (&graph, &mask, max_concurrency, behavior);
        todo!()
    }

    /// Writes the nodes that may start now into `out`, best first, and returns how many. A
    /// batch ends after a blocking or sequential node.
    pub fn take(&mut self, out: &mut [u32]) -> usize {
        let _ = out;
        todo!()
    }

    /// Reports that a node returned by `take` ended with `outcome` (a `state` value:
    /// SUCCEEDED, FAILED, SKIPPED_INACTIVE, or NOT_RUN for a node never started).
    ///
    /// # Errors
    /// A message when `node` is out of range, not running, or `outcome` is not an outcome.
    pub fn finish(&mut self, node: u32, outcome: u8) -> Result<(), String> {
        let _ = (node, outcome);
        todo!()
    }

    /// True when every selected node has ended, or a strict run stopped and nothing runs.
    pub fn finished(&self) -> bool {
        todo!()
    }

    /// Current states, by node.
    pub fn states(&self) -> &[u8] {
        &self.states
    }

    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
    }

    pub fn behavior(&self) -> u8 {
        let _ = (&self.mask, self.max_concurrency);
        self.behavior
    }
}
