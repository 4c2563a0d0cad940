/**
 * A binary max-heap of node indices ordered by compound priority (higher first), ties by
 * index (lower first, which is description order). Holds each node at most once.
 */
export class ReadyQueue {
  private heap: Uint32Array;
  private count = 0;

  constructor(
    private readonly priority: Float64Array,
    capacity = 16,
  ) {
    this.heap = new Uint32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Returns the best node without removing it, or undefined when empty. */
  peek(): number | undefined {
    return this.count === 0 ? undefined : this.heap[0];
  }

  push(node: number): void {
    if (this.count === this.heap.length) {
      const grown = new Uint32Array(this.heap.length * 2);
      grown.set(this.heap);
      this.heap = grown;
    }
    let position = this.count++;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      const above = this.heap[parent]!;
      if (!this.before(node, above)) break;
      this.heap[position] = above;
      position = parent;
    }
    this.heap[position] = node;
  }

  /** Removes and returns the best node; undefined when empty. */
  pop(): number | undefined {
    if (this.count === 0) return undefined;
    const best = this.heap[0]!;
    const last = this.heap[--this.count]!;
    if (this.count > 0) this.siftDown(last);
    return best;
  }

  /** Returns whether node `a` goes before node `b`. */
  before(a: number, b: number): boolean {
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    return pa > pb || (pa === pb && a < b);
  }

  private siftDown(node: number): void {
    const heap = this.heap;
    const count = this.count;
    let position = 0;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= count) break;
      const right = left + 1;
      const child = right < count && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, node)) break;
      heap[position] = heap[child]!;
      position = child;
    }
    heap[position] = node;
  }
}
