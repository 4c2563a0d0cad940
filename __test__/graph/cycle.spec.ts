import test from "ava";
import fc from "fast-check";

import { TawaziCycleError } from "../../index.js";
import { compileGraph } from "../../src/graph/compiled.js";
import {
  type RandomGraph,
  assertProperty,
  childListsOf,
  graphFromParentLists,
  randomDag,
  seededRandom,
  smallDagArbitrary,
} from "../helpers/random-graph.js";

/** Length in edges of the shortest cycle through `start` (breadth-first search), or undefined. */
function shortestCycleLength(childLists: readonly number[][], start: number): number | undefined {
  const distance = new Map<number, number>([[start, 0]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const node = queue[head]!;
    for (const child of childLists[node]!) {
      if (child === start) return distance.get(node)! + 1;
      if (!distance.has(child)) {
        distance.set(child, distance.get(node)! + 1);
        queue.push(child);
      }
    }
  }
  return undefined;
}

/** Adds the edge parent -> child, which may close a cycle. */
function withEdge(graph: RandomGraph, parent: number, child: number): RandomGraph {
  const parentLists = graph.parentLists.map((list) => [...list]);
  if (!parentLists[child]!.includes(parent)) parentLists[child]!.push(parent);
  return graphFromParentLists(parentLists, graph.priority);
}

/**
 * Injects a cycle into a DAG: walks down from `start` along child edges, one step per pick
 * (stopping at a leaf), and adds an edge from where the walk stops back to `start`. A walk of
 * zero steps makes a self-loop.
 */
function withCycle(graph: RandomGraph, start: number, picks: readonly number[]): RandomGraph {
  const childLists = childListsOf(graph);
  let end = start;
  for (const pick of picks) {
    const children = childLists[end]!;
    if (children.length === 0) break;
    end = children[pick % children.length]!;
  }
  return withEdge(graph, end, start);
}

function cycleError(graph: RandomGraph): TawaziCycleError | undefined {
  try {
    compileGraph(graph);
  } catch (error) {
    if (error instanceof TawaziCycleError) return error;
    throw error;
  }
  return undefined;
}

/** Returns how the cycle error of `graph` falls short of the contract, or undefined. */
function cycleMismatch(graph: RandomGraph): string | undefined {
  const error = cycleError(graph);
  if (error === undefined) return "compileGraph did not throw a TawaziCycleError";
  if (error.code !== "ERR_TAWAZI_CYCLE") return `code ${error.code}`;

  const cycle = error.cycle.map((id) => graph.ids.indexOf(id));
  if (cycle.some((node) => node === -1)) return `unknown id in [${error.cycle.join(", ")}]`;
  if (cycle.length < 2) return `cycle too short: [${error.cycle.join(", ")}]`;
  if (cycle[0] !== cycle.at(-1)) return `first and last differ: [${error.cycle.join(", ")}]`;

  for (let step = 0; step + 1 < cycle.length; step += 1) {
    const [parent, child] = [cycle[step]!, cycle[step + 1]!];
    if (!graph.parentLists[child]!.includes(parent)) {
      return `no edge ${graph.ids[parent]} -> ${graph.ids[child]} in [${error.cycle.join(", ")}]`;
    }
  }

  const childLists = childListsOf(graph);
  const shortest = shortestCycleLength(childLists, cycle[0]!);
  if (cycle.length - 1 !== shortest) {
    return `cycle of ${cycle.length - 1} edges, shortest through its first node has ${shortest}`;
  }

  const firstOnCycle = graph.ids.findIndex(
    (_, node) => shortestCycleLength(childLists, node) !== undefined,
  );
  if (cycle[0] !== firstOnCycle) {
    return `cycle starts at ${graph.ids[cycle[0]!]}, first node on a cycle is ${graph.ids[firstOnCycle]}`;
  }

  if (!error.message.includes(error.cycle.join(" -> "))) return `message lacks the cycle: ${error.message}`;
  return undefined;
}

function checkCycle(graph: RandomGraph): void {
  const mismatch = cycleMismatch(graph);
  if (mismatch !== undefined) throw new Error(mismatch);
}

test("small graphs with a cycle report it", (t) => {
  const scenario = smallDagArbitrary(12).chain((graph) =>
    fc
      .record({
        start: fc.nat({ max: graph.size - 1 }),
        picks: fc.array(fc.nat(), { maxLength: 12 }),
      })
      .map(({ start, picks }) => withCycle(graph, start, picks)),
  );
  assertProperty(t, fc.property(scenario, checkCycle), { numRuns: 1000 });
});

test("large graphs with a cycle report it", (t) => {
  const scenario = fc
    .record({
      size: fc.integer({ min: 1, max: 3000 }),
      seed: fc.integer(),
      start: fc.nat(),
      picks: fc.array(fc.nat(), { maxLength: 40 }),
    })
    .map(({ size, seed, start, picks }) =>
      withCycle(randomDag(size, seededRandom(seed)), start % size, picks),
    );
  assertProperty(t, fc.property(scenario, checkCycle), { numRuns: 60 });
});

test("several cycles report the first one", (t) => {
  // n3 <-> n4 and a longer n1 -> n2 -> n5 -> n1. Node n1 is the lowest node on a cycle.
  const graph = graphFromParentLists([[], [5], [1], [4], [3], [2]]);
  const error = cycleError(graph);

  t.deepEqual(error?.cycle, ["n1", "n2", "n5", "n1"]);
});

test("shortest cycle chosen over a longer one", (t) => {
  // Through n0: n0 -> n1 -> n2 -> n3 -> n0 and n0 -> n4 -> n0.
  const graph = graphFromParentLists([[3, 4], [0], [1], [2], [0]]);
  const error = cycleError(graph);

  t.deepEqual(error?.cycle, ["n0", "n4", "n0"]);
});

test("self-loop gives node twice", (t) => {
  const graph = graphFromParentLists([[0]]);
  const error = cycleError(graph);

  t.deepEqual(error?.cycle, ["n0", "n0"]);
  t.true(error?.message.includes("n0 -> n0"));
});

test("self-loop named A gives [A, A]", (t) => {
  const error = t.throws(
    () =>
      compileGraph({
        ids: ["A"],
        parentOffsets: [0, 1],
        parents: [0],
        flags: [0],
        priority: [0],
      }),
    { instanceOf: TawaziCycleError },
  );

  t.deepEqual(error?.cycle, ["A", "A"]);
  t.is(error?.code, "ERR_TAWAZI_CYCLE");
});

test("two-node loop is named in order", (t) => {
  // A -> B -> A.
  const error = t.throws(
    () =>
      compileGraph({
        ids: ["A", "B"],
        parentOffsets: [0, 1, 2],
        parents: [1, 0],
        flags: [0, 0],
        priority: [0, 0],
      }),
    { instanceOf: TawaziCycleError },
  );

  t.deepEqual(error?.cycle, ["A", "B", "A"]);
});

test("three-node loop beside a free node", (t) => {
  // A -> C -> B -> A, and D on its own.
  const error = t.throws(
    () =>
      compileGraph({
        ids: ["A", "B", "C", "D"],
        parentOffsets: [0, 1, 2, 3, 3],
        parents: [1, 2, 0],
        flags: [0, 0, 0, 0],
        priority: [0, 0, 0, 0],
      }),
    { instanceOf: TawaziCycleError },
  );

  t.deepEqual(error?.cycle, ["A", "C", "B", "A"]);
  t.regex(error?.message ?? "", /A -> C -> B -> A/u);
});

test("cycle in a long chain is found iteratively", (t) => {
  const size = 200_000;
  const parentLists = Array.from({ length: size }, (_, node) => (node === 0 ? [size - 1] : [node - 1]));
  const error = cycleError(graphFromParentLists(parentLists));

  t.is(error?.cycle.length, size + 1);
  t.is(error?.cycle[0], "n0");
  t.is(error?.cycle[size - 1], `n${size - 1}`);
});
