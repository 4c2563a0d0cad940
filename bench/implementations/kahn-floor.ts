/**
 * The floor of the benchmark: Kahn's algorithm in plain JavaScript over a typed-array
 * CSR with a FIFO ready queue, and nothing else (no priorities, concurrency budget or failure
 * handling). A node receives its parents' results as arguments, or as one array when it has
 * more than four parents.
 */
import { type Workload, asyncFunctions, nodeFunctions, outputOf, syncFunctions } from "../fixtures/workloads.js";
import type { Implementation, Mode, Prepared } from "./implementation.js";

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
    parents.set(parentLists[node]!, parentOffsets[node]!);
    for (const parent of parentLists[node]!) childOffsets[parent + 1]!++;
  }
  for (let node = 0; node < size; node++) childOffsets[node + 1]! += childOffsets[node]!;

  const children = new Uint32Array(parents.length);
  const next = childOffsets.slice(0, size);
  for (let node = 0; node < size; node++) {
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge++) children[next[parents[edge]!]!++] = node;
  }
  return { functions, parentOffsets, parents, childOffsets, children };
}

function call(graph: KahnGraph, results: unknown[], node: number): unknown {
  const { parentOffsets, parents } = graph;
  const start = parentOffsets[node]!;
  const end = parentOffsets[node + 1]!;
  const fn = graph.functions[node]!;
  switch (end - start) {
    case 0:
      return fn();
    case 1:
      return fn(results[parents[start]!]);
    case 2:
      return fn(results[parents[start]!], results[parents[start + 1]!]);
    case 3:
      return fn(results[parents[start]!], results[parents[start + 1]!], results[parents[start + 2]!]);
    case 4:
      return fn(
        results[parents[start]!],
        results[parents[start + 1]!],
        results[parents[start + 2]!],
        results[parents[start + 3]!],
      );
    default:
      return fn(Array.from(parents.subarray(start, end), (parent) => results[parent]));
  }
}

/** Runs a graph of synchronous functions and returns every node's result. */
export function runKahnSync(graph: KahnGraph): unknown[] {
  const { functions, parentOffsets, childOffsets, children } = graph;
  const size = functions.length;
  const results = new Array<unknown>(size);
  const waiting = new Uint32Array(size);
  const queue = new Uint32Array(size);
  let tail = 0;
  for (let node = 0; node < size; node++) {
    waiting[node] = parentOffsets[node + 1]! - parentOffsets[node]!;
    if (waiting[node] === 0) queue[tail++] = node;
  }

  for (let head = 0; head < tail; head++) {
    const node = queue[head]!;
    results[node] = call(graph, results, node);
    for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge++) {
      if (--waiting[children[edge]!] === 0) queue[tail++] = children[edge]!;
    }
  }
  return results;
}

/** Runs a graph of functions returning promises, at most `window` at once; resolves to every node's result. */
export function runKahnAsync(graph: KahnGraph, window: number): Promise<unknown[]> {
  const { functions, parentOffsets, childOffsets, children } = graph;
  const size = functions.length;
  const results = new Array<unknown>(size);
  const waiting = new Uint32Array(size);
  const queue = new Uint32Array(size);
  let head = 0;
  let tail = 0;
  let running = 0;
  let finished = 0;
  for (let node = 0; node < size; node++) {
    waiting[node] = parentOffsets[node + 1]! - parentOffsets[node]!;
    if (waiting[node] === 0) queue[tail++] = node;
  }

  return new Promise((resolve, reject) => {
    const complete = (node: number, value: unknown) => {
      results[node] = value;
      running--;
      finished++;
      for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge++) {
        if (--waiting[children[edge]!] === 0) queue[tail++] = children[edge]!;
      }
      launch();
    };
    const launch = () => {
      if (finished === size) resolve(results);
      while (head < tail && running < window) {
        const node = queue[head++]!;
        running++;
        (call(graph, results, node) as Promise<unknown>).then((value) => complete(node, value), reject);
      }
    };
    launch();
  });
}

export const kahnFloor: Implementation = {
  name: "Kahn floor",
  prepare(workload: Workload, mode: Mode, concurrency: number): Prepared<KahnGraph> {
    const functions = nodeFunctions(workload, mode === "sync" ? syncFunctions : asyncFunctions);
    return {
      build: () => buildKahn(functions, workload.parentLists),
      run:
        mode === "sync"
          ? (graph) => outputOf(workload, runKahnSync(graph))
          : async (graph) => outputOf(workload, await runKahnAsync(graph, concurrency)),
    };
  },
};
