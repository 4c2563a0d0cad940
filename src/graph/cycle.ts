import assert from "node:assert";

/**
 * Returns one shortest cycle of a graph known to have one, as node indices in edge direction
 * (parent before child), the first node repeated at the end: `[a, c, b, a]`.
 *
 * The start is the lowest-index node that lies on a cycle: a node of a strongly connected
 * component with more than one node, or with an edge to itself. A breadth-first search inside
 * that component then finds the shortest cycle through it.
 *
 * # Complexity
 * O(V + E), iterative.
 */
export function findCycle(
  size: number,
  childOffsets: Uint32Array,
  children: Uint32Array,
): number[] {
  const component = stronglyConnectedComponents(size, childOffsets, children);
  const componentSize = new Uint32Array(size);
  for (let node = 0; node < size; node += 1) componentSize[component[node]!]! += 1;

  let start = -1;
  for (let node = 0; node < size && start === -1; node += 1) {
    if (componentSize[component[node]!]! > 1) start = node;
    for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge += 1) {
      if (children[edge] === node) start = node;
    }
  }
  assert.ok(start !== -1, "findCycle called on an acyclic graph");

  const previous = new Int32Array(size).fill(-1);
  const queue = new Uint32Array(size);
  let head = 0;
  let tail = 0;
  queue[tail++] = start;
  previous[start] = start;

  while (head < tail) {
    const node = queue[head++]!;
    for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge += 1) {
      const child = children[edge]!;
      if (component[child] !== component[start]) continue;
      if (child === start) {
        const cycle = [start];
        for (let step = node; step !== start; step = previous[step]!) cycle.push(step);
        cycle.push(start);
        cycle.reverse();
        return cycle;
      }
      if (previous[child] === -1) {
        previous[child] = node;
        queue[tail++] = child;
      }
    }
  }
  throw new assert.AssertionError({ message: "no cycle found inside a cyclic component" });
}

/**
 * Labels each node with its strongly connected component (Tarjan's algorithm, with an explicit
 * call stack instead of recursion).
 *
 * # Complexity
 * O(V + E).
 */
function stronglyConnectedComponents(
  size: number,
  childOffsets: Uint32Array,
  children: Uint32Array,
): Uint32Array {
  const unvisited = 0xffffffff;
  const order = new Uint32Array(size).fill(unvisited);
  const lowLink = new Uint32Array(size);
  const component = new Uint32Array(size).fill(unvisited);
  const onStack = new Uint8Array(size);
  const nextEdge = new Uint32Array(size);
  const tarjanStack: number[] = [];
  const callStack: number[] = [];
  let counter = 0;
  let components = 0;

  for (let root = 0; root < size; root += 1) {
    if (order[root] !== unvisited) continue;
    callStack.push(root);
    order[root] = lowLink[root] = counter++;
    nextEdge[root] = childOffsets[root]!;
    tarjanStack.push(root);
    onStack[root] = 1;

    while (callStack.length > 0) {
      const node = callStack[callStack.length - 1]!;
      if (nextEdge[node]! < childOffsets[node + 1]!) {
        const child = children[nextEdge[node]!]!;
        nextEdge[node]! += 1;
        if (order[child] === unvisited) {
          order[child] = lowLink[child] = counter++;
          nextEdge[child] = childOffsets[child]!;
          tarjanStack.push(child);
          onStack[child] = 1;
          callStack.push(child);
        } else if (onStack[child] === 1) {
          lowLink[node] = Math.min(lowLink[node]!, order[child]!);
        }
        continue;
      }

      callStack.pop();
      const parent = callStack[callStack.length - 1];
      if (parent !== undefined) lowLink[parent] = Math.min(lowLink[parent]!, lowLink[node]!);
      if (lowLink[node] === order[node]) {
        let member: number;
        do {
          member = tarjanStack.pop()!;
          onStack[member] = 0;
          component[member] = components;
        } while (member !== node);
        components += 1;
      }
    }
  }
  return component;
}
