//! The ready queue: a binary max-heap of node indices by (compound priority, lower index).

/// Ready nodes ordered by compound priority (higher first), ties by index (lower first).
#[derive(Debug, Clone, Default)]
pub struct ReadyQueue {
    heap: Vec<u32>,
}

impl ReadyQueue {
    pub fn new() -> Self {
        ReadyQueue { heap: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The best node without removing it.
    pub fn peek(&self) -> Option<u32> {
        self.heap.first().copied()
    }

    /// Adds a node. # Complexity O(log n).
    pub fn push(&mut self, node: u32, priority: &[f64]) {
        let _ = (node, priority);
        todo!()
    }

    /// Removes and returns the best node. # Complexity O(log n).
    pub fn pop(&mut self, priority: &[f64]) -> Option<u32> {
        let _ = priority;
        todo!()
    }
}

/// Whether node `a` goes before node `b`.
pub fn before(a: u32, b: u32, priority: &[f64]) -> bool {
    let pa = priority[a as usize];
    let pb = priority[b as usize];
    pa > pb || (pa == pb && a < b)
}
