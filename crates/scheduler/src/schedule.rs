//! One run's scheduling state machine, identical in behaviour to `src/engine/ts.ts`: two ready
//! queues (inline and budgeted) sharing one order, the concurrency budget, sequential nodes,
//! blocking main-thread nodes, skip propagation and the three behaviours.

use std::sync::Arc;

use crate::graph::{flag, Graph};
use crate::queue::{before, ReadyQueue};

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

    /// Returns the name of a state value, for messages.
    pub fn name(state: u8) -> &'static str {
        match state {
            PENDING => "pending",
            READY => "ready",
            RUNNING => "running",
            SUCCEEDED => "succeeded",
            FAILED => "failed",
            SKIPPED_INACTIVE => "skipped inactive",
            SKIPPED_DEPENDENCY => "skipped dependency",
            NOT_RUN => "not run",
            _ => "unknown",
        }
    }
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
    /// Parents in the selection that have not ended yet, by node.
    in_degree: Vec<u32>,
    /// True for a node with a parent that was skipped, or failed under "all children".
    poisoned: Vec<bool>,
    /// Ready inline nodes: main-thread nodes outside the concurrency budget.
    inline_queue: ReadyQueue,
    /// Ready nodes that take a slot of the concurrency budget.
    budget_queue: ReadyQueue,
    /// Pending (node, poison its children) pairs of `release`, kept to reuse the allocation.
    release_stack: Vec<(u32, bool)>,
    /// Selected nodes that have not ended.
    remaining: usize,
    running: usize,
    budget_running: u64,
    sequential_running: bool,
    /// True once a NOT_RUN outcome or a failure under "strict" stopped the run, so nothing starts any more.
    stopped: bool,
}

impl Schedule {
    /// Prepares a run: nodes outside `mask` are not run, nodes without selected parents are ready.
    ///
    /// # Arguments
    /// `mask` contains 1 for each node that runs and 0 for the others, one entry per node, and
    /// `None` runs every node. `behavior` is a `behavior` value.
    ///
    /// # Errors
    /// A message when `mask` has the wrong length or a value other than 0 and 1,
    /// `max_concurrency` is 0 or `behavior` is unknown.
    ///
    /// # Complexity
    /// O(V + E).
    pub fn new(graph: Arc<Graph>, mask: Option<Vec<u8>>, max_concurrency: u64, behavior: u8) -> Result<Schedule, String> {
        let size = graph.size;
        if let Some(mask) = &mask {
            if mask.len() != size {
                return Err(format!("mask has {} entries, expected one per node ({size})", mask.len()));
            }
            if let Some(node) = mask.iter().position(|&value| value > 1) {
                return Err(format!(
                    "mask[{node}] is {}, expected 0 (not run) or 1 (runs)",
                    mask[node]
                ));
            }
        }
        if max_concurrency == 0 {
            return Err("max_concurrency is 0, expected at least 1 (u64::MAX for no limit)".to_string());
        }
        if behavior > behavior::PERMISSIVE {
            return Err(format!(
                "behavior is {behavior}, expected {} (strict), {} (all children) or {} (permissive)",
                behavior::STRICT,
                behavior::ALL_CHILDREN,
                behavior::PERMISSIVE
            ));
        }

        let mut schedule = Schedule {
            mask,
            max_concurrency,
            behavior,
            states: vec![state::PENDING; size],
            in_degree: vec![0; size],
            poisoned: vec![false; size],
            inline_queue: ReadyQueue::new(),
            budget_queue: ReadyQueue::new(),
            release_stack: Vec::new(),
            remaining: 0,
            running: 0,
            budget_running: 0,
            sequential_running: false,
            stopped: false,
            graph,
        };

        let graph = Arc::clone(&schedule.graph);
        for node in 0..size {
            if !schedule.is_selected(node) {
                schedule.states[node] = state::NOT_RUN;
                continue;
            }
            let parents = graph.parents_of(node as u32);
            let degree = parents.iter().filter(|&&parent| schedule.is_selected(parent as usize)).count();
            schedule.in_degree[node] = degree as u32;
            schedule.remaining += 1;
            if degree == 0 {
                schedule.enqueue(node as u32);
            }
        }
        Ok(schedule)
    }

    /// Writes the nodes that may start now into `out`, best first, and returns how many. A
    /// batch ends after a blocking or sequential node.
    ///
    /// The best eligible top of the two ready queues goes first: the budgeted queue is eligible
    /// while the budget has a free slot, so a full budget never holds back inline nodes. A
    /// sequential node at the top waits until nothing runs, and holds back every other node.
    ///
    /// # Complexity
    /// O(k log V) for k nodes taken.
    pub fn take(&mut self, out: &mut [u32]) -> usize {
        let graph = &*self.graph;
        let priority = graph.compound_priority.as_slice();
        let mut count = 0;

        while count < out.len() && !self.stopped && !self.sequential_running {
            let inline_top = self.inline_queue.peek();
            let budget_top = if self.budget_running < self.max_concurrency { self.budget_queue.peek() } else { None };
            let (queue, node) = match (inline_top, budget_top) {
                (None, None) => break,
                (Some(inline), Some(budgeted)) if !before(inline, budgeted, priority) => {
                    (&mut self.budget_queue, budgeted)
                }
                (Some(inline), _) => (&mut self.inline_queue, inline),
                (None, Some(budgeted)) => (&mut self.budget_queue, budgeted),
            };

            let node_flags = graph.flags[node as usize];
            if node_flags & flag::SEQUENTIAL != 0 {
                if self.running > 0 {
                    break;
                }
                self.sequential_running = true;
            }

            queue.pop(priority);
            self.states[node as usize] = state::RUNNING;
            self.running += 1;
            if node_flags & flag::INLINE == 0 {
                self.budget_running += 1;
            }
            out[count] = node;
            count += 1;

            // A blocking node is awaited before anything else starts, and a sequential node runs alone.
            if node_flags & (flag::BLOCKING | flag::SEQUENTIAL) != 0 {
                break;
            }
        }
        count
    }

    /// Reports that a node returned by `take` ended with `outcome` (a `state` value:
    /// SUCCEEDED, FAILED, SKIPPED_INACTIVE, or NOT_RUN for a node never started).
    ///
    /// A NOT_RUN outcome, or FAILED under "strict", stops the run: nothing starts any more, and
    /// once nothing runs every pending or ready node becomes NOT_RUN. SKIPPED_INACTIVE, and
    /// FAILED under "all children", make every descendant SKIPPED_DEPENDENCY. FAILED under
    /// "permissive" releases the children like SUCCEEDED.
    ///
    /// # Errors
    /// A message when `node` is out of range, not running, or `outcome` is not an outcome.
    /// The state is unchanged then.
    ///
    /// # Complexity
    /// O(d log V) amortized, where d counts the edges out of the node and of the nodes it skips;
    /// O(V) once, when a stopped run ends.
    pub fn finish(&mut self, node: u32, outcome: u8) -> Result<(), String> {
        let index = node as usize;
        let Some(&current) = self.states.get(index) else {
            return Err(format!(
                "node {node} is out of range, expected an index below {}",
                self.states.len()
            ));
        };
        if !matches!(outcome, state::SUCCEEDED | state::FAILED | state::SKIPPED_INACTIVE | state::NOT_RUN) {
            return Err(format!(
                "outcome {outcome} of node {node} is not an outcome, expected {} (succeeded), \
                 {} (failed), {} (skipped inactive) or {} (not run)",
                state::SUCCEEDED,
                state::FAILED,
                state::SKIPPED_INACTIVE,
                state::NOT_RUN
            ));
        }
        if current != state::RUNNING {
            return Err(format!(
                "node {node} is not running (state {current}, {}); \
                 report each node returned by take exactly once",
                state::name(current)
            ));
        }

        let node_flags = self.graph.flags[index];
        self.running -= 1;
        if node_flags & flag::INLINE == 0 {
            self.budget_running -= 1;
        }
        if node_flags & flag::SEQUENTIAL != 0 {
            self.sequential_running = false;
        }
        self.states[index] = outcome;
        self.remaining -= 1;

        let failed = outcome == state::FAILED;
        if outcome == state::NOT_RUN || (failed && self.behavior == behavior::STRICT) {
            self.stopped = true;
        }
        if self.stopped {
            if self.running == 0 {
                self.mark_unstarted_not_run();
            }
            return Ok(());
        }

        let poison = outcome == state::SKIPPED_INACTIVE || (failed && self.behavior == behavior::ALL_CHILDREN);
        self.release(node, poison);
        Ok(())
    }

    /// True when every selected node has ended, or a strict run stopped and nothing runs.
    pub fn finished(&self) -> bool {
        self.remaining == 0 || (self.stopped && self.running == 0)
    }

    /// Current states, by node.
    pub fn states(&self) -> &[u8] {
        &self.states
    }

    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
    }

    pub fn behavior(&self) -> u8 {
        self.behavior
    }

    /// Returns the maximum number of budgeted nodes running at once; `u64::MAX` for no limit.
    pub fn max_concurrency(&self) -> u64 {
        self.max_concurrency
    }

    /// Returns the number of nodes taken and not finished yet.
    pub fn running(&self) -> usize {
        self.running
    }

    fn is_selected(&self, node: usize) -> bool {
        self.mask.as_ref().is_none_or(|mask| mask[node] == 1)
    }

    /// Lets the children of an ended node become ready, and marks SKIPPED_DEPENDENCY those
    /// with a poisoned parent, whose own children it then visits in turn (with an explicit
    /// stack, so long chains of skipped nodes do not recurse).
    fn release(&mut self, ended: u32, poison: bool) {
        let graph = Arc::clone(&self.graph);
        let mut stack = std::mem::take(&mut self.release_stack);
        stack.push((ended, poison));

        while let Some((node, poison_children)) = stack.pop() {
            for &child in graph.children_of(node) {
                let index = child as usize;
                if !self.is_selected(index) {
                    continue;
                }
                if poison_children {
                    self.poisoned[index] = true;
                }
                self.in_degree[index] -= 1;
                if self.in_degree[index] != 0 {
                    continue;
                }

                if self.poisoned[index] {
                    self.states[index] = state::SKIPPED_DEPENDENCY;
                    self.remaining -= 1;
                    stack.push((child, true));
                } else {
                    self.enqueue(child);
                }
            }
        }
        self.release_stack = stack;
    }

    fn enqueue(&mut self, node: u32) {
        self.states[node as usize] = state::READY;
        let priority = self.graph.compound_priority.as_slice();
        if self.graph.flags[node as usize] & flag::INLINE != 0 {
            self.inline_queue.push(node, priority);
        } else {
            self.budget_queue.push(node, priority);
        }
    }

    fn mark_unstarted_not_run(&mut self) {
        for node_state in &mut self.states {
            if *node_state == state::PENDING || *node_state == state::READY {
                *node_state = state::NOT_RUN;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::is_topological_order;
    use crate::testing::{csr_from_parent_lists, random_dag, random_priority, Mulberry32};

    /// Largest random graph of the property tests.
    const MAX_RANDOM_SIZE: u32 = 2000;

    fn graph_of(parent_lists: &[Vec<u32>], flags: Vec<u8>, priority: Vec<f64>) -> Arc<Graph> {
        let (parent_offsets, parents) = csr_from_parent_lists(parent_lists);
        Arc::new(Graph::new(parent_offsets, parents, flags, priority).unwrap())
    }

    /// Independent nodes with the given flags and priorities.
    fn independent(nodes: &[(u8, f64)]) -> Arc<Graph> {
        let parent_lists = vec![Vec::new(); nodes.len()];
        graph_of(&parent_lists, nodes.iter().map(|node| node.0).collect(), nodes.iter().map(|node| node.1).collect())
    }

    fn take_all(schedule: &mut Schedule) -> Vec<u32> {
        let mut out = [0u32; 64];
        let count = schedule.take(&mut out);
        out[..count].to_vec()
    }

    /// Draws a DAG with random priorities and with flags drawn from `flag_choices`.
    fn random_graph(rng: &mut Mulberry32, flag_choices: &[u8]) -> Arc<Graph> {
        let size = 1 + rng.below(MAX_RANDOM_SIZE) as usize;
        let parent_lists = random_dag(rng, size, 4);
        let flags = (0..size).map(|_| flag_choices[rng.below(flag_choices.len() as u32) as usize]).collect();
        let priority = (0..size).map(|_| random_priority(rng)).collect();
        graph_of(&parent_lists, flags, priority)
    }

    /// Computes the launch order of a run where every node ends at once, one node at a time:
    /// always the ready node with the highest compound priority, then the lowest index.
    fn reference_order(graph: &Graph) -> Vec<u32> {
        let cp = &graph.compound_priority;
        let mut in_degree: Vec<usize> = (0..graph.size as u32).map(|node| graph.parents_of(node).len()).collect();
        let mut ready: Vec<u32> = (0..graph.size as u32).filter(|&node| in_degree[node as usize] == 0).collect();
        let mut order = Vec::with_capacity(graph.size);
        while !ready.is_empty() {
            let mut best = 0;
            for position in 1..ready.len() {
                let (node, current) = (ready[position] as usize, ready[best] as usize);
                if cp[node] > cp[current] || (cp[node] == cp[current] && node < current) {
                    best = position;
                }
            }
            let node = ready.swap_remove(best);
            order.push(node);
            for &child in graph.children_of(node) {
                in_degree[child as usize] -= 1;
                if in_degree[child as usize] == 0 {
                    ready.push(child);
                }
            }
        }
        order
    }

    /// Runs a schedule taking `batch` nodes at most per call and ending each node at once with
    /// `outcome(node)`, and returns the launch order.
    fn run_immediately(schedule: &mut Schedule, batch: usize, outcome: impl Fn(u32) -> u8) -> Vec<u32> {
        let mut out = vec![0u32; batch];
        let mut launched = Vec::new();
        while !schedule.finished() {
            let count = schedule.take(&mut out);
            assert!(count > 0, "nothing to take, nothing running, and the run is not finished");
            for &node in &out[..count] {
                launched.push(node);
                schedule.finish(node, outcome(node)).unwrap();
            }
        }
        assert_eq!(schedule.take(&mut out), 0, "a finished run hands out no node");
        launched
    }

    /// Computes the end states when nodes in `failing` fail and nodes in `inactive` are skipped, every
    /// other node succeeds, and no run stops (any behaviour but strict, or no failure).
    fn expected_states(graph: &Graph, behavior: u8, failing: &[bool], inactive: &[bool]) -> Vec<u8> {
        let mut states = vec![state::PENDING; graph.size];
        for &node in &graph.topological_order {
            let poisoned = graph.parents_of(node).iter().any(|&parent| match states[parent as usize] {
                state::SKIPPED_INACTIVE | state::SKIPPED_DEPENDENCY => true,
                state::FAILED => behavior == behavior::ALL_CHILDREN,
                _ => false,
            });
            let index = node as usize;
            states[index] = if poisoned {
                state::SKIPPED_DEPENDENCY
            } else if inactive[index] {
                state::SKIPPED_INACTIVE
            } else if failing[index] {
                state::FAILED
            } else {
                state::SUCCEEDED
            };
        }
        states
    }

    #[test]
    fn new_rejects_bad_arguments() {
        let graph = independent(&[(0, 0.0), (0, 0.0)]);

        let short_mask = Schedule::new(Arc::clone(&graph), Some(vec![1]), 1, behavior::STRICT).unwrap_err();
        let mask_value = Schedule::new(Arc::clone(&graph), Some(vec![1, 2]), 1, behavior::STRICT).unwrap_err();
        let no_budget = Schedule::new(Arc::clone(&graph), None, 0, behavior::STRICT).unwrap_err();
        let unknown_behavior = Schedule::new(Arc::clone(&graph), None, 1, 3).unwrap_err();

        assert!(short_mask.contains("mask has 1 entries, expected one per node (2)"), "{short_mask}");
        assert!(mask_value.contains("mask[1] is 2"), "{mask_value}");
        assert!(no_budget.contains("max_concurrency is 0"), "{no_budget}");
        assert!(unknown_behavior.contains("behavior is 3"), "{unknown_behavior}");
    }

    #[test]
    fn new_accepts_boundary_arguments() {
        let graph = independent(&[(0, 0.0)]);

        for behavior in [behavior::STRICT, behavior::ALL_CHILDREN, behavior::PERMISSIVE] {
            for max_concurrency in [1, u64::MAX] {
                assert!(Schedule::new(Arc::clone(&graph), Some(vec![1]), max_concurrency, behavior).is_ok());
            }
        }
    }

    #[test]
    fn empty_graph_is_finished() {
        let schedule = Schedule::new(independent(&[]), None, 1, behavior::STRICT).unwrap();

        assert!(schedule.finished());
    }

    #[test]
    fn mask_leaves_nodes_out() {
        // Edges 0 -> 1 -> 2 and 0 -> 3. Only 1 and 2 run, and 1 does not wait for 0.
        let graph = graph_of(&[vec![], vec![0], vec![1], vec![0]], vec![0; 4], vec![0.0; 4]);
        let mut schedule = Schedule::new(graph, Some(vec![0, 1, 1, 0]), u64::MAX, behavior::STRICT).unwrap();

        let launched = run_immediately(&mut schedule, 8, |_| state::SUCCEEDED);

        assert_eq!(launched, vec![1, 2]);
        assert_eq!(schedule.states(), &[state::NOT_RUN, state::SUCCEEDED, state::SUCCEEDED, state::NOT_RUN]);
    }

    #[test]
    fn empty_mask_is_finished() {
        let graph = independent(&[(0, 0.0), (0, 0.0)]);
        let mut schedule = Schedule::new(graph, Some(vec![0, 0]), 1, behavior::STRICT).unwrap();

        assert!(schedule.finished());
        assert_eq!(take_all(&mut schedule), Vec::<u32>::new());
    }

    #[test]
    fn take_orders_by_priority_then_index() {
        let graph = independent(&[(0, 1.0), (0, 3.0), (0, 1.0), (0, 2.0)]);
        let mut schedule = Schedule::new(graph, None, u64::MAX, behavior::STRICT).unwrap();

        assert_eq!(take_all(&mut schedule), vec![1, 3, 0, 2]);
        assert_eq!(schedule.states(), &[state::RUNNING; 4]);
    }

    #[test]
    fn take_respects_out_length() {
        let graph = independent(&[(0, 0.0); 5]);
        let mut schedule = Schedule::new(graph, None, u64::MAX, behavior::STRICT).unwrap();
        let mut out = [0u32; 2];

        assert_eq!(schedule.take(&mut out), 2);
        assert_eq!(out, [0, 1]);
        assert_eq!(schedule.take(&mut []), 0);
        assert_eq!(schedule.take(&mut out), 2);
        assert_eq!(out, [2, 3]);
    }

    #[test]
    fn full_budget_does_not_hold_back_inline() {
        let graph = independent(&[(0, 3.0), (0, 2.0), (flag::INLINE, 1.0)]);
        let mut schedule = Schedule::new(graph, None, 1, behavior::STRICT).unwrap();

        assert_eq!(take_all(&mut schedule), vec![0, 2]);
        assert_eq!(take_all(&mut schedule), Vec::<u32>::new());
        schedule.finish(0, state::SUCCEEDED).unwrap();
        assert_eq!(take_all(&mut schedule), vec![1]);
    }

    #[test]
    fn sequential_waits_and_holds_back() {
        let graph = independent(&[(0, 5.0), (flag::SEQUENTIAL, 4.0), (flag::INLINE, 3.0), (0, 2.0)]);
        let mut schedule = Schedule::new(graph, None, u64::MAX, behavior::STRICT).unwrap();

        assert_eq!(take_all(&mut schedule), vec![0], "the sequential node waits for node 0");
        assert_eq!(take_all(&mut schedule), Vec::<u32>::new(), "lower nodes wait behind it");
        schedule.finish(0, state::SUCCEEDED).unwrap();
        assert_eq!(take_all(&mut schedule), vec![1]);
        assert_eq!(take_all(&mut schedule), Vec::<u32>::new(), "nothing starts while it runs");
        schedule.finish(1, state::SUCCEEDED).unwrap();
        assert_eq!(take_all(&mut schedule), vec![2, 3]);
    }

    #[test]
    fn blocking_ends_batch() {
        let graph = independent(&[(flag::INLINE | flag::BLOCKING, 3.0), (flag::INLINE, 2.0), (0, 1.0)]);
        let mut schedule = Schedule::new(graph, None, u64::MAX, behavior::STRICT).unwrap();

        assert_eq!(take_all(&mut schedule), vec![0]);
        assert_eq!(take_all(&mut schedule), vec![1, 2]);
    }

    #[test]
    fn finish_rejects_bad_reports() {
        // Edge 0 -> 1, and node 2 is outside the mask.
        let graph = graph_of(&[vec![], vec![0], vec![]], vec![0; 3], vec![0.0; 3]);
        let mut schedule = Schedule::new(graph, Some(vec![1, 1, 0]), u64::MAX, behavior::STRICT).unwrap();
        assert_eq!(take_all(&mut schedule), vec![0]);
        let before_errors = schedule.states().to_vec();

        let out_of_range = schedule.finish(3, state::SUCCEEDED).unwrap_err();
        let far_out_of_range = schedule.finish(u32::MAX, state::SUCCEEDED).unwrap_err();
        let pending = schedule.finish(1, state::SUCCEEDED).unwrap_err();
        let not_selected = schedule.finish(2, state::NOT_RUN).unwrap_err();

        assert!(out_of_range.contains("node 3 is out of range, expected an index below 3"), "{out_of_range}");
        assert!(far_out_of_range.contains("node 4294967295 is out of range"), "{far_out_of_range}");
        assert!(pending.contains("node 1 is not running (state 0, pending)"), "{pending}");
        assert!(not_selected.contains("node 2 is not running (state 7, not run)"), "{not_selected}");
        for outcome in [state::PENDING, state::READY, state::RUNNING, state::SKIPPED_DEPENDENCY, 8, u8::MAX] {
            let message = schedule.finish(0, outcome).unwrap_err();
            assert!(message.contains(&format!("outcome {outcome} of node 0 is not an outcome")), "{message}");
        }
        assert_eq!(schedule.states(), before_errors.as_slice(), "errors leave the state unchanged");
        assert_eq!(schedule.running(), 1);

        schedule.finish(0, state::SUCCEEDED).unwrap();
        let twice = schedule.finish(0, state::SUCCEEDED).unwrap_err();
        let ready = schedule.finish(1, state::SUCCEEDED).unwrap_err();

        assert!(twice.contains("node 0 is not running (state 3, succeeded)"), "{twice}");
        assert!(ready.contains("node 1 is not running (state 1, ready)"), "{ready}");
        assert_eq!(take_all(&mut schedule), vec![1]);
        schedule.finish(1, state::SUCCEEDED).unwrap();
        assert!(schedule.finished());
    }

    #[test]
    fn strict_failure_stops_run() {
        // Nodes 0 and 1 run together, 2 depends on 0, and 3 waits for the budget.
        let graph = graph_of(&[vec![], vec![], vec![0], vec![]], vec![0; 4], vec![3.0, 2.0, 1.0, 0.0]);
        let mut schedule = Schedule::new(graph, None, 2, behavior::STRICT).unwrap();
        assert_eq!(take_all(&mut schedule), vec![0, 1]);

        schedule.finish(1, state::FAILED).unwrap();

        assert!(!schedule.finished(), "node 0 still runs");
        assert_eq!(take_all(&mut schedule), Vec::<u32>::new(), "nothing starts after a strict failure");
        schedule.finish(0, state::SUCCEEDED).unwrap();
        assert!(schedule.finished());
        assert_eq!(schedule.states(), &[state::SUCCEEDED, state::FAILED, state::NOT_RUN, state::NOT_RUN]);
    }

    #[test]
    fn not_run_outcome_stops_run() {
        let graph = independent(&[(0, 1.0), (0, 0.0)]);
        let mut schedule = Schedule::new(graph, None, 1, behavior::PERMISSIVE).unwrap();
        assert_eq!(take_all(&mut schedule), vec![0]);

        schedule.finish(0, state::NOT_RUN).unwrap();

        assert!(schedule.finished());
        assert_eq!(schedule.states(), &[state::NOT_RUN, state::NOT_RUN]);
    }

    #[test]
    fn all_children_skips_descendants_of_failure() {
        // 0 -> 1 -> 2, 3 -> 2, and 4 alone.
        let graph = graph_of(&[vec![], vec![0], vec![1, 3], vec![], vec![]], vec![0; 5], vec![0.0; 5]);
        let mut schedule = Schedule::new(graph, None, u64::MAX, behavior::ALL_CHILDREN).unwrap();

        run_immediately(&mut schedule, 8, |node| if node == 0 { state::FAILED } else { state::SUCCEEDED });

        let skipped = state::SKIPPED_DEPENDENCY;
        let expected = [state::FAILED, skipped, skipped, state::SUCCEEDED, state::SUCCEEDED];
        assert_eq!(schedule.states(), &expected);
    }

    #[test]
    fn permissive_runs_children_of_failure() {
        let graph = graph_of(&[vec![], vec![0], vec![1]], vec![0; 3], vec![0.0; 3]);
        let mut schedule = Schedule::new(graph, None, 1, behavior::PERMISSIVE).unwrap();

        let launched = run_immediately(&mut schedule, 8, |node| if node == 0 { state::FAILED } else { state::SUCCEEDED });

        assert_eq!(launched, vec![0, 1, 2]);
        assert_eq!(schedule.states(), &[state::FAILED, state::SUCCEEDED, state::SUCCEEDED]);
    }

    #[test]
    fn random_launch_order_matches_reference() {
        let mut rng = Mulberry32::new(31);
        let all_flags = [
            0,
            0,
            flag::INLINE,
            flag::SEQUENTIAL,
            flag::BLOCKING,
            flag::INLINE | flag::BLOCKING,
            flag::INLINE | flag::SEQUENTIAL,
        ];
        for round in 0..300 {
            // Half the rounds take one node per call with every kind of node, the other half
            // take large batches of budgeted nodes, which a budget of 1 cuts to one node.
            let one_at_a_time = round % 2 == 0;
            let flag_choices: &[u8] = if one_at_a_time { &all_flags } else { &[0, 0, flag::SEQUENTIAL, flag::BLOCKING] };
            let graph = random_graph(&mut rng, flag_choices);
            let mut schedule = Schedule::new(Arc::clone(&graph), None, 1, behavior::STRICT).unwrap();

            let launched = run_immediately(&mut schedule, if one_at_a_time { 1 } else { 16 }, |_| state::SUCCEEDED);

            assert!(is_topological_order(graph.size, &graph.parent_offsets, &graph.parents, &launched));
            assert_eq!(launched, reference_order(&graph), "round {round}");
            assert!(schedule.states().iter().all(|&node_state| node_state == state::SUCCEEDED));
        }
    }

    #[test]
    fn random_tick_clock_respects_limits() {
        let mut rng = Mulberry32::new(37);
        let flag_choices = [0, 0, 0, flag::INLINE, flag::SEQUENTIAL, flag::BLOCKING, flag::INLINE | flag::BLOCKING];
        for round in 0..200 {
            let graph = random_graph(&mut rng, &flag_choices);
            let size = graph.size;
            let max_concurrency = [1, 2, 3, 5, u64::MAX][rng.below(5) as usize];
            let batch = 1 + rng.below(8) as usize;
            let duration: Vec<u64> = (0..size).map(|_| u64::from(rng.below(4))).collect();
            let mut schedule = Schedule::new(Arc::clone(&graph), None, max_concurrency, behavior::STRICT).unwrap();

            let mut out = vec![0u32; batch];
            let mut ended = vec![false; size];
            let mut started = vec![false; size];
            // (end tick, node) of every running node.
            let mut running: Vec<(u64, u32)> = Vec::new();
            let mut tick = 0u64;
            loop {
                loop {
                    let count = schedule.take(&mut out);
                    if count == 0 {
                        break;
                    }
                    for (position, &node) in out[..count].iter().enumerate() {
                        let index = node as usize;
                        let node_flags = graph.flags[index];
                        assert!(!started[index], "round {round}: node {node} taken twice");
                        started[index] = true;
                        for &parent in graph.parents_of(node) {
                            let parent_ended = ended[parent as usize];
                            assert!(parent_ended, "round {round}: node {node} started before parent {parent} ended");
                        }
                        if node_flags & (flag::BLOCKING | flag::SEQUENTIAL) != 0 {
                            assert_eq!(position, count - 1, "round {round}: batch goes on after node {node}");
                        }
                        let has_flag = |other: u32, bit: u8| graph.flags[other as usize] & bit != 0;
                        let sequential_running = running.iter().any(|&(_, other)| has_flag(other, flag::SEQUENTIAL));
                        assert!(!sequential_running, "round {round}: node {node} started beside a sequential node");
                        if node_flags & flag::SEQUENTIAL != 0 {
                            assert!(running.is_empty(), "round {round}: sequential node {node} started beside others");
                        }
                        running.push((tick + duration[index], node));
                        let budgeted = running.iter().filter(|&&(_, other)| !has_flag(other, flag::INLINE)).count() as u64;
                        assert!(budgeted <= max_concurrency, "round {round}: {budgeted} budgeted nodes run, limit {max_concurrency}");
                    }
                    assert_eq!(schedule.running(), running.len());
                }
                if schedule.finished() {
                    break;
                }
                assert!(!running.is_empty(), "round {round}: the run stalled at tick {tick}");

                tick = running.iter().map(|&(end, _)| end).min().unwrap();
                let (ending, still_running): (Vec<_>, Vec<_>) = running.into_iter().partition(|&(end, _)| end == tick);
                running = still_running;
                for (_, node) in ending {
                    ended[node as usize] = true;
                    schedule.finish(node, state::SUCCEEDED).unwrap();
                }
            }

            assert!(running.is_empty());
            assert!(schedule.states().iter().all(|&node_state| node_state == state::SUCCEEDED), "round {round}");
        }
    }

    #[test]
    fn random_skips_and_failures_propagate() {
        let mut rng = Mulberry32::new(41);
        for round in 0..300 {
            let graph = random_graph(&mut rng, &[0, flag::INLINE]);
            let size = graph.size;
            let behavior = [behavior::ALL_CHILDREN, behavior::PERMISSIVE][rng.below(2) as usize];
            let inactive: Vec<bool> = (0..size).map(|_| rng.below(20) == 0).collect();
            let failing: Vec<bool> = (0..size).map(|_| rng.below(20) == 0).collect();
            let batch = 1 + rng.below(8) as usize;
            let mut schedule = Schedule::new(Arc::clone(&graph), None, 3, behavior).unwrap();

            run_immediately(&mut schedule, batch, |node| {
                if inactive[node as usize] {
                    state::SKIPPED_INACTIVE
                } else if failing[node as usize] {
                    state::FAILED
                } else {
                    state::SUCCEEDED
                }
            });

            let expected = expected_states(&graph, behavior, &failing, &inactive);
            assert_eq!(schedule.states(), expected.as_slice(), "round {round}, behavior {behavior}");
        }
    }

    #[test]
    fn random_inactive_skips_descendants_in_strict_runs() {
        let mut rng = Mulberry32::new(43);
        for round in 0..200 {
            let graph = random_graph(&mut rng, &[0]);
            let size = graph.size;
            let mut inactive = vec![false; size];
            inactive[rng.below(size as u32) as usize] = true;
            let mut schedule = Schedule::new(Arc::clone(&graph), None, u64::MAX, behavior::STRICT).unwrap();

            let outcome = |node: u32| if inactive[node as usize] { state::SKIPPED_INACTIVE } else { state::SUCCEEDED };
            run_immediately(&mut schedule, 4, outcome);

            let expected = expected_states(&graph, behavior::STRICT, &vec![false; size], &inactive);
            assert_eq!(schedule.states(), expected.as_slice(), "round {round}");
        }
    }

    #[test]
    fn random_strict_failure_stops_at_first() {
        let mut rng = Mulberry32::new(47);
        for round in 0..200 {
            let graph = random_graph(&mut rng, &[0, flag::INLINE, flag::SEQUENTIAL]);
            let size = graph.size;
            let failing: Vec<bool> = (0..size).map(|_| rng.below(10) == 0).collect();
            let mut schedule = Schedule::new(Arc::clone(&graph), None, 1, behavior::STRICT).unwrap();

            let outcome = |node: u32| if failing[node as usize] { state::FAILED } else { state::SUCCEEDED };
            let launched = run_immediately(&mut schedule, 1, outcome);

            // Until the first failure, the run goes as if every node succeeded.
            let reference = reference_order(&graph);
            let stop = reference.iter().position(|&node| failing[node as usize]).map_or(size, |position| position + 1);
            assert_eq!(launched, reference[..stop], "round {round}");
            for &node in &reference[stop..] {
                assert_eq!(schedule.states()[node as usize], state::NOT_RUN, "round {round}, node {node}");
            }
            assert!(schedule.finished());
        }
    }

    #[test]
    fn million_node_chain_runs_and_skips() {
        let size = 1_000_000u32;
        let parent_offsets: Vec<u32> = std::iter::once(0).chain(0..size).collect();
        let parents: Vec<u32> = (0..size - 1).collect();
        let graph = Graph::new(parent_offsets, parents, vec![0; size as usize], vec![0.0; size as usize]).unwrap();
        let graph = Arc::new(graph);

        let mut schedule = Schedule::new(Arc::clone(&graph), None, 1, behavior::STRICT).unwrap();
        let launched = run_immediately(&mut schedule, 16, |_| state::SUCCEEDED);
        assert_eq!(launched.len(), size as usize);

        // Skipping the head skips a million descendants with no recursion.
        let mut schedule = Schedule::new(graph, None, 1, behavior::STRICT).unwrap();
        let launched = run_immediately(&mut schedule, 16, |_| state::SKIPPED_INACTIVE);
        assert_eq!(launched, vec![0]);
        assert!(schedule.states()[1..].iter().all(|&node_state| node_state == state::SKIPPED_DEPENDENCY));
    }
}
