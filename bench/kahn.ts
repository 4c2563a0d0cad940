/**
 * The floor of the engine benchmark: Kahn's algorithm in plain JavaScript over a typed-array CSR,
 * with a FIFO ready queue and nothing else (no priorities, budget, behaviours or results store
 * beyond one array). A node receives its parents' results as positional arguments, or as one
 * array when it has more than four parents.
 */
export type NodeFunction = (...args: any[]) => unknown;

export interface KahnGraph {
  readonly functions: readonly NodeFunction[];
  readonly parentOffsets: Uint32Array;
  readonly parents: Uint32Array;
  readonly childOffsets: Uint32Array;
  readonly children: Uint32Array;
}

/** Builds the parent and child CSR arrays from each node's parent list. */
export function buildKahn(functions: readonly NodeFunction[], parentLists: readonly (readonly number[])[]): KahnGraph {
  const size = functions.length;
  const parentOffsets = new Uint32Array(size + 1);
  for (let node = 0; node < size; node++) parentOffsets[node + 1] = parentOffsets[node]! + parentLists[node]!.length;
  const parents = new Uint32Array(parentOffsets[size]!);
  const childOffsets = new Uint32Array(size + 1);
  for (let node = 0; node < size; node++) {
    const list = parentLists[node]!;
    for (let i = 0; i < list.length; i++) {
      parents[parentOffsets[node]! + i] = list[i]!;
      childOffsets[list[i]! + 1]!++;
    }
  }
  for (let node = 0; node < size; node++) childOffsets[node + 1]! += childOffsets[node]!;
  const children = new Uint32Array(parents.length);
  const fill = childOffsets.slice(0, size);
  for (let node = 0; node < size; node++) {
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge++) children[fill[parents[edge]!]!++] = node;
  }
  return { functions, parentOffsets, parents, childOffsets, children };
}

function call(graph: KahnGraph, results: unknown[], node: number): unknown {
  const { parentOffsets: offsets, parents } = graph;
  const start = offsets[node]!;
  const fn = graph.functions[node]!;
  switch (offsets[node + 1]! - start) {
    case 0: return fn();
    case 1: return fn(results[parents[start]!]);
    case 2: return fn(results[parents[start]!], results[parents[start + 1]!]);
    case 3: return fn(results[parents[start]!], results[parents[start + 1]!], results[parents[start + 2]!]);
    case 4: return fn(results[parents[start]!], results[parents[start + 1]!], results[parents[start + 2]!], results[parents[start + 3]!]);
    default: return fn(Array.from(parents.subarray(start, offsets[node + 1]!), (parent) => results[parent]));
  }
}

/** State of one run: results by node, the FIFO ready queue and each node's count of unfinished parents. */
function startRun(graph: KahnGraph) {
  const size = graph.functions.length;
  const waiting = new Uint32Array(size);
  const queue = new Uint32Array(size);
  let tail = 0;
  for (let node = 0; node < size; node++) {
    waiting[node] = graph.parentOffsets[node + 1]! - graph.parentOffsets[node]!;
    if (waiting[node] === 0) queue[tail++] = node;
  }
  return { results: new Array<unknown>(size), waiting, queue, tail };
}

/** Runs synchronous node functions and returns every node's result. */
export function runKahnSync(graph: KahnGraph): unknown[] {
  const run = startRun(graph);
  const { results, waiting, queue } = run;
  const { childOffsets, children } = graph;
  let tail = run.tail;
  for (let head = 0; head < tail; head++) {
    const node = queue[head]!;
    results[node] = call(graph, results, node);
    for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge++) {
      if (--waiting[children[edge]!] === 0) queue[tail++] = children[edge]!;
    }
  }
  return results;
}

/** Runs node functions returning promises, at most `window` at once, and resolves to every node's result. */
export function runKahnAsync(graph: KahnGraph, window: number): Promise<unknown[]> {
  const run = startRun(graph);
  const { results, waiting, queue } = run;
  const { childOffsets, children } = graph;
  const size = graph.functions.length;
  let head = 0;
  let tail = run.tail;
  let running = 0;
  let finished = 0;
  return new Promise((resolve, reject) => {
    const launch = () => {
      while (head < tail && running < window) {
        const node = queue[head++]!;
        running++;
        (call(graph, results, node) as Promise<unknown>).then((value) => complete(node, value), reject);
      }
    };
    const complete = (node: number, value: unknown) => {
      results[node] = value;
      running--;
      finished++;
      for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge++) {
        if (--waiting[children[edge]!] === 0) queue[tail++] = children[edge]!;
      }
      if (finished === size) resolve(results);
      else launch();
    };
    if (size === 0) resolve(results);
    else launch();
  });
}
