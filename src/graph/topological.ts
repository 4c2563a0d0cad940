/**
 * Returns a topological order of the graph, or undefined if it has a cycle.
 *
 * A traced description only ever points back to earlier nodes, so when every parent index is
 * below its child's, description order is returned without running Kahn's algorithm. Otherwise
 * Kahn's algorithm runs with a FIFO queue seeded in index order, which keeps the result
 * deterministic.
 *
 * # Complexity
 * O(V + E).
 */
export function topologicalOrder(
  size: number,
  parentOffsets: Uint32Array,
  parents: Uint32Array,
  childOffsets: Uint32Array,
  children: Uint32Array,
): Uint32Array | undefined {
  let descriptionOrderIsTopological = true;
  for (let node = 0; node < size && descriptionOrderIsTopological; node += 1) {
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
      if (parents[edge]! >= node) {
        descriptionOrderIsTopological = false;
        break;
      }
    }
  }
  if (descriptionOrderIsTopological) {
    const order = new Uint32Array(size);
    for (let node = 0; node < size; node += 1) order[node] = node;
    return order;
  }

  const inDegree = new Uint32Array(size);
  for (let node = 0; node < size; node += 1) {
    inDegree[node] = parentOffsets[node + 1]! - parentOffsets[node]!;
  }

  const order = new Uint32Array(size);
  let tail = 0;
  for (let node = 0; node < size; node += 1) {
    if (inDegree[node] === 0) order[tail++] = node;
  }
  for (let head = 0; head < tail; head += 1) {
    const node = order[head]!;
    for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge += 1) {
      const child = children[edge]!;
      inDegree[child]! -= 1;
      if (inDegree[child] === 0) order[tail++] = child;
    }
  }
  return tail === size ? order : undefined;
}

/** Returns whether `order` lists every node once, each after all of its parents. */
export function isTopologicalOrder(
  size: number,
  parentOffsets: ArrayLike<number>,
  parents: ArrayLike<number>,
  order: ArrayLike<number>,
): boolean {
  if (order.length !== size) return false;
  const position = new Int32Array(size).fill(-1);
  for (let rank = 0; rank < size; rank += 1) {
    const node = order[rank]!;
    if (node >= size || position[node] !== -1) return false;
    position[node] = rank;
  }
  for (let node = 0; node < size; node += 1) {
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
      if (position[parents[edge]!]! >= position[node]!) return false;
    }
  }
  return true;
}
