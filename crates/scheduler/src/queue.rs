//! The ready queue: a binary max-heap of node indices by (compound priority, lower index).

/// Ready nodes ordered by compound priority (higher first), ties by index (lower first).
#[derive(Debug, Clone, Default)]
pub struct ReadyQueue {
    heap: Vec<u32>,
}

impl ReadyQueue {
    /// Creates an empty queue.
    pub fn new() -> Self {
        ReadyQueue { heap: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Returns the best node without removing it.
    pub fn peek(&self) -> Option<u32> {
        self.heap.first().copied()
    }

    /// Adds a node, which must not be in the queue already. `priority` is indexed by node and
    /// must be the same slice on every call.
    ///
    /// # Complexity
    /// O(log n).
    pub fn push(&mut self, node: u32, priority: &[f64]) {
        // Move the parents that go after `node` down one level, then write `node` once.
        let mut position = self.heap.len();
        self.heap.push(node);
        while position > 0 {
            let parent = (position - 1) / 2;
            let above = self.heap[parent];
            if !before(node, above, priority) {
                break;
            }
            self.heap[position] = above;
            position = parent;
        }
        self.heap[position] = node;
    }

    /// Removes and returns the best node, or `None` when the queue is empty.
    ///
    /// # Complexity
    /// O(log n).
    pub fn pop(&mut self, priority: &[f64]) -> Option<u32> {
        let last = self.heap.pop()?;
        if self.heap.is_empty() {
            return Some(last);
        }
        let best = self.heap[0];
        self.sift_down(last, priority);
        Some(best)
    }

    /// Places `node` into the hole at the root, moving better children up.
    fn sift_down(&mut self, node: u32, priority: &[f64]) {
        let heap = &mut self.heap;
        let count = heap.len();
        let mut position = 0;
        loop {
            let left = 2 * position + 1;
            if left >= count {
                break;
            }
            let right = left + 1;
            let child = if right < count && before(heap[right], heap[left], priority) { right } else { left };
            if !before(heap[child], node, priority) {
                break;
            }
            heap[position] = heap[child];
            position = child;
        }
        heap[position] = node;
    }
}

/// Returns whether node `a` goes before node `b`.
pub fn before(a: u32, b: u32, priority: &[f64]) -> bool {
    let pa = priority[a as usize];
    let pb = priority[b as usize];
    pa > pb || (pa == pb && a < b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Mulberry32;

    const SPECIAL_PRIORITIES: [f64; 13] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        2_147_483_648.0,
        -2_147_483_648.0,
        2_147_483_647.0,
        9_007_199_254_740_992.0,
        -9_007_199_254_740_992.0,
        f64::MAX,
        -f64::MAX,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
    ];

    /// Sorts nodes as the queue must pop them: higher priority first, then lower index.
    fn sort_oracle(nodes: &mut [u32], priority: &[f64]) {
        nodes.sort_by(|&a, &b| {
            let (pa, pb) = (priority[a as usize], priority[b as usize]);
            pb.partial_cmp(&pa).unwrap().then(a.cmp(&b))
        });
    }

    #[test]
    fn pops_by_priority_then_index() {
        let priority = [5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 4.5, 4.0];
        let mut queue = ReadyQueue::new();
        for node in 0..priority.len() as u32 {
            queue.push(node, &priority);
        }

        let popped: Vec<u32> = std::iter::from_fn(|| queue.pop(&priority)).collect();

        assert_eq!(popped, vec![0, 6, 1, 7, 2, 3, 4, 5]);
        assert!(queue.is_empty());
    }

    #[test]
    fn zero_signs_tie_by_index() {
        let priority = [0.0, -0.0, 0.0];
        let mut queue = ReadyQueue::new();
        for node in [2, 1, 0] {
            queue.push(node, &priority);
        }

        assert_eq!(queue.pop(&priority), Some(0));
        assert_eq!(queue.pop(&priority), Some(1));
        assert_eq!(queue.pop(&priority), Some(2));
    }

    #[test]
    fn empty_queue_returns_none() {
        let mut queue = ReadyQueue::new();

        assert_eq!(queue.peek(), None);
        assert_eq!(queue.pop(&[]), None);
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn random_operations_match_sorted_oracle() {
        let mut rng = Mulberry32::new(23);
        for _ in 0..300 {
            let size = 1 + rng.below(200);
            let priority: Vec<f64> = (0..size)
                .map(|_| match rng.below(3) {
                    0 => SPECIAL_PRIORITIES[rng.below(SPECIAL_PRIORITIES.len() as u32) as usize],
                    1 => f64::from_bits(u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32())),
                    _ => f64::from(rng.below(7)) - 3.0,
                })
                .map(|value| if value.is_finite() { value } else { 0.5 })
                .collect();
            let mut absent: Vec<u32> = (0..size).collect();
            let mut queue = ReadyQueue::new();
            let mut oracle: Vec<u32> = Vec::new();

            for _ in 0..3 * size {
                if !absent.is_empty() && rng.below(3) != 0 {
                    let node = absent.swap_remove(rng.below(absent.len() as u32) as usize);
                    queue.push(node, &priority);
                    oracle.push(node);
                    sort_oracle(&mut oracle, &priority);
                } else {
                    let expected = if oracle.is_empty() { None } else { Some(oracle.remove(0)) };
                    let popped = queue.pop(&priority);
                    assert_eq!(popped, expected, "priorities {priority:?}");
                    absent.extend(popped);
                }
                assert_eq!(queue.peek(), oracle.first().copied());
                assert_eq!(queue.len(), oracle.len());
            }
        }
    }
}
