import test from "ava";
import fc from "fast-check";

import { ReadyQueue } from "../../src/engine/ready-queue.js";
import { assertProperty } from "../helpers/random-graph.js";

/** Orders nodes as the queue must: higher priority first, then lower index. */
function compareNodes(priority: Float64Array, a: number, b: number): number {
  const pa = priority[a]!;
  const pb = priority[b]!;
  if (pa > pb) return -1;
  if (pa < pb) return 1;
  return a - b;
}

/** The queue's contents as a plain list, kept sorted best first after every change. */
class SortedOracle {
  readonly nodes: number[] = [];

  constructor(private readonly priority: Float64Array) {}

  push(node: number): void {
    this.nodes.push(node);
    this.nodes.sort((a, b) => compareNodes(this.priority, a, b));
  }

  pop(): number | undefined {
    return this.nodes.shift();
  }

  peek(): number | undefined {
    return this.nodes[0];
  }
}

const specialPriorities = [
  0,
  -0,
  1,
  -1,
  2 ** 31,
  -(2 ** 31),
  2 ** 31 - 1,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
];

/** Small integers make many ties, and the rest covers huge, tiny and fractional values. */
const priorityArbitrary = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 4 },
  { arbitrary: fc.constantFrom(...specialPriorities), weight: 2 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);

type Operation = { kind: "push"; pick: number } | { kind: "pop" } | { kind: "peek" };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { arbitrary: fc.nat().map((pick) => ({ kind: "push" as const, pick })), weight: 3 },
  { arbitrary: fc.constant({ kind: "pop" as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: "peek" as const }), weight: 1 },
);

const scenarioArbitrary = fc.record({
  priorities: fc.array(priorityArbitrary, { minLength: 1, maxLength: 80 }),
  capacity: fc.integer({ min: 0, max: 4 }),
  operations: fc.array(operationArbitrary, { maxLength: 300 }),
});

/**
 * Replays `operations` on a queue and on the oracle and returns the first disagreement, or
 * undefined. A push takes a node that is not queued now, so each node is queued at most once.
 */
function firstMismatch(
  priorities: number[],
  capacity: number,
  operations: Operation[],
): string | undefined {
  const priority = Float64Array.from(priorities);
  const queue = new ReadyQueue(priority, capacity);
  const oracle = new SortedOracle(priority);
  const queued = new Uint8Array(priority.length);

  for (const [step, operation] of operations.entries()) {
    if (operation.kind === "push") {
      const free: number[] = [];
      for (let node = 0; node < priority.length; node += 1) if (queued[node] === 0) free.push(node);
      if (free.length === 0) continue;
      const node = free[operation.pick % free.length]!;
      queued[node] = 1;
      queue.push(node);
      oracle.push(node);
    } else {
      const actual = operation.kind === "pop" ? queue.pop() : queue.peek();
      const expected = operation.kind === "pop" ? oracle.pop() : oracle.peek();
      if (actual !== expected) {
        return `step ${step}: ${operation.kind} returned ${actual}, expected ${expected}`;
      }
      if (operation.kind === "pop" && actual !== undefined) queued[actual] = 0;
    }
    if (queue.size !== oracle.nodes.length) {
      return `step ${step}: size ${queue.size}, expected ${oracle.nodes.length}`;
    }
  }

  const drained: number[] = [];
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) drained.push(node);
  if (drained.join(",") !== oracle.nodes.join(",")) {
    return `drain gave [${drained.join(",")}], expected [${oracle.nodes.join(",")}]`;
  }
  return undefined;
}

test("random operations match sorted oracle", (t) => {
  assertProperty(
    t,
    fc.property(scenarioArbitrary, ({ priorities, capacity, operations }) => {
      const mismatch = firstMismatch(priorities, capacity, operations);
      if (mismatch !== undefined) throw new Error(mismatch);
    }),
    { numRuns: 500 },
  );
});

test("equal priorities pop by lower index", (t) => {
  const priority = new Float64Array(10).fill(7);
  const queue = new ReadyQueue(priority);
  for (const node of [5, 9, 0, 3, 8, 1, 7, 2, 6, 4]) queue.push(node);

  const popped: number[] = [];
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) popped.push(node);
  t.deepEqual(popped, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("negative and fractional priorities sort numerically", (t) => {
  const priority = Float64Array.from([100, -1, 2, 10, 0, 2, -0.5, 0.25]);
  const queue = new ReadyQueue(priority);
  for (let node = 0; node < priority.length; node += 1) queue.push(node);

  const popped: number[] = [];
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) popped.push(node);
  t.deepEqual(popped, [0, 3, 2, 5, 7, 4, 6, 1]);
});

test("extreme priorities neither wrap nor overflow", (t) => {
  const priority = Float64Array.from([
    0,
    -(2 ** 31),
    2 ** 31,
    -Number.MAX_VALUE,
    Number.MAX_VALUE,
    2 ** 31 - 1,
    -(2 ** 31) - 1,
    2 ** 32,
  ]);
  const queue = new ReadyQueue(priority);
  for (let node = 0; node < priority.length; node += 1) queue.push(node);

  const popped: number[] = [];
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) popped.push(node);
  t.deepEqual(popped, [4, 7, 2, 5, 0, 1, 6, 3]);
});

test("zero and negative zero tie", (t) => {
  const priority = Float64Array.from([-0, 0, -0]);
  const queue = new ReadyQueue(priority);
  queue.push(2);
  queue.push(1);
  queue.push(0);

  t.is(queue.pop(), 0);
  t.is(queue.pop(), 1);
  t.is(queue.pop(), 2);
});

test("growth beyond initial capacity keeps order", (t) => {
  const count = 5000;
  const priority = new Float64Array(count);
  for (let node = 0; node < count; node += 1) priority[node] = (node * 7919) % 61;
  const queue = new ReadyQueue(priority, 1);
  for (let node = count - 1; node >= 0; node -= 1) queue.push(node);

  t.is(queue.size, count);
  const expected = Array.from({ length: count }, (_, node) => node).sort((a, b) =>
    compareNodes(priority, a, b),
  );
  const popped: number[] = [];
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) popped.push(node);
  t.deepEqual(popped, expected);
});

test("empty queue returns undefined", (t) => {
  const queue = new ReadyQueue(new Float64Array(0), 0);

  t.is(queue.size, 0);
  t.is(queue.peek(), undefined);
  t.is(queue.pop(), undefined);
});

test("peek leaves the queue unchanged", (t) => {
  const queue = new ReadyQueue(Float64Array.from([1, 3, 2]));
  queue.push(0);
  queue.push(1);
  queue.push(2);

  t.is(queue.peek(), 1);
  t.is(queue.peek(), 1);
  t.is(queue.size, 3);
});

test("before follows priority then index", (t) => {
  const queue = new ReadyQueue(Float64Array.from([5, 5, 6]));

  t.true(queue.before(2, 0));
  t.false(queue.before(0, 2));
  t.true(queue.before(0, 1));
  t.false(queue.before(1, 0));
  t.false(queue.before(0, 0));
});
